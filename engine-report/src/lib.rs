//! Reports over record data: datasets (the rows a form and the forms it relates to give,
//! read by the server within the viewer's access), grouped by dimensions (dates bucketed
//! in a named zone), measured (counts, distinct counts, sums, averages, extremes, ratios,
//! shares of the total), top-N with "others", and pivots with totals; and dashboards, grids
//! of reports. Pure, like the other
//! engines: a report definition and typed rows in, an answer out, every number an exact
//! decimal. polars does the grouping (lazily, one query per grouping); money never
//! becomes a float.

mod answer;
mod bucket;
mod dashboard;
mod list;
mod model;
mod platform;
mod run;
mod table;

pub use answer::run;
pub use dashboard::{Card, Dashboard, Drill, GRID_COLUMNS, SharedParameter, parse_dashboard};
pub use model::{
    Bucket, Calculated, Chart, ChartType, Compare, Dataset, Dimension, List, Measure, Op, Parameter, Report, Sort, Top,
    parse_report,
};
pub use platform::{Platform, bundle as platform_bundle};
pub use run::ReportError;
pub use table::{Cell, Column, Folded, Kind, Part, Table, TooLarge, minor_units};
