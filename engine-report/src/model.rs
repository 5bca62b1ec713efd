//! A report as its metadata declares it (`reports/*.json`): the dimensions its rows are
//! grouped by (fields; dates bucketed in a named zone), its measures, top-N with
//! "others", and how it is drawn. Parsed with every problem at its JSON path.

use engine_rule::Diagnostic;
use serde::Deserialize;
use serde_json::Value;

/// How a date or an instant is bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// A column of the dataset.
    pub field: String,
    pub bucket: Option<Bucket>,
    /// The zone an instant's bucket is read in (`Asia/Shanghai`); dates have none.
    pub zone: Option<String>,
}

/// What a measure computes over each group's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
    /// One measure divided by another (`of: [numerator, denominator]`).
    Ratio,
    /// A measure's share of its total over every group (`of: [measure]`).
    Share,
    /// A measure summed over this row and every row before it, in the answer's order
    /// (`of: [measure]`).
    RunningTotal,
    /// A measure's change from the row before (the previous period, when rows are buckets
    /// of time in order): `of: [measure]`.
    Change,
}

impl Op {
    /// Whether it is computed from other measures rather than from a column.
    pub fn derived(self) -> bool {
        matches!(self, Op::Ratio | Op::Share | Op::RunningTotal | Op::Change)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub key: String,
    pub label: Option<Value>,
    pub op: Op,
    /// The column it reads (count needs none).
    pub field: Option<String>,
    /// The measures a ratio or share is of.
    #[serde(default)]
    pub of: Vec<String>,
    /// Places of an average, ratio or share (rounded half to even); default 2, 4 for shares.
    pub scale: Option<u32>,
    /// Shown as a percentage, as a share is (a ratio of alerts handled in time).
    #[serde(default)]
    pub percent: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Top {
    pub n: usize,
    /// The measure ranked by, largest first.
    pub by: String,
    /// Whether the rest are summed into one "others" row.
    #[serde(default)]
    pub others: bool,
}

/// The rows a report reads: a form's records (within each viewer's access). Its columns
/// are the form's fields and, through relation fields, the related records' fields
/// (`customer.relationship_manager.branch`), each related record read within the
/// viewer's access to its form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// The app's form whose records it reads; empty for a platform dataset.
    #[serde(default)]
    pub form: String,
    /// Or one of the platform's own datasets (`tasks`).
    pub platform: Option<crate::Platform>,
    /// Columns calculated from each row in the expression language, read by the report as
    /// the form's fields are (`age_band`, from `birthday`).
    #[serde(default)]
    pub columns: Vec<Calculated>,
}

/// A calculated column: its key, label, result type (as a formula's: `text`, `integer`,
/// `decimal`, `boolean`, `date`, `datetime`) and the expression over the dataset's row
/// (its fields, and through relations the related records' fields).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calculated {
    pub key: String,
    pub label: Option<Value>,
    #[serde(rename = "type")]
    pub result: String,
    pub expression: String,
}

impl Dataset {
    /// The form whose records (or the platform dataset whose rows) it reads.
    pub fn key(&self) -> &str {
        match self.platform {
            Some(platform) => platform.key(),
            None => &self.form,
        }
    }
}

/// A list of rows rather than groups: the dataset's rows in the report's sort, each with
/// the `fields` given, at most `limit` of them (a card of "due today").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List {
    pub fields: Vec<String>,
    #[serde(default = "ten")]
    pub limit: usize,
}

fn ten() -> usize {
    10
}

/// What a parameter compares its field with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
}

impl Compare {
    /// As the list filter writes it (`tier:eq:hnw`).
    pub fn name(self) -> &'static str {
        match self {
            Compare::Eq => "eq",
            Compare::Ne => "ne",
            Compare::Lt => "lt",
            Compare::Lte => "lte",
            Compare::Gt => "gt",
            Compare::Gte => "gte",
            Compare::In => "in",
        }
    }
}

/// A filter the viewer sets (`?branch=SH001`): the rows whose `field` compares so with the
/// value given, typed and checked as the field's values are; without one, its `default`,
/// or no filter unless it is `required`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub key: String,
    pub label: Option<Value>,
    pub field: String,
    #[serde(default = "eq")]
    pub op: Compare,
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
}

fn eq() -> Compare {
    Compare::Eq
}

/// How the answer's rows are ordered: by a dimension or a measure.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// A dimension's field or a measure's key.
    pub by: String,
    #[serde(default)]
    pub descending: bool,
}

/// How a report is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartType {
    /// A list report's rows, each opening its record or task.
    List,
    Table,
    Pivot,
    Kpi,
    Bar,
    StackedBar,
    Line,
    Area,
    Pie,
    Funnel,
    Scatter,
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    #[serde(rename = "type")]
    pub kind: ChartType,
    /// A KPI card's comparison: the measure it is set beside (a change, a target).
    pub compare: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub key: String,
    pub label: Option<Value>,
    pub dataset: Dataset,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub measures: Vec<Measure>,
    /// Rows listed rather than grouped.
    pub list: Option<List>,
    pub top: Option<Top>,
    /// For a pivot: the dimensions across (the rest go down).
    #[serde(default)]
    pub columns: Vec<String>,
    /// A fixed condition on the rows, in the expression language (`status == "active"`).
    pub filter: Option<String>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub sort: Vec<Sort>,
    pub chart: Option<Chart>,
}

impl Report {
    /// Every dataset column it reads: dimensions (or a list's fields), measures' fields,
    /// parameters' fields.
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let listed = self.list.iter().flat_map(|l| l.fields.iter().map(String::as_str));
        let named = self.dimensions.iter().map(|d| d.field.as_str()).chain(listed);
        let measured = self.measures.iter().filter_map(|m| m.field.as_deref());
        for f in named.chain(measured).chain(self.parameters.iter().map(|p| p.field.as_str())) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }
}

/// The report in `doc`, or every problem with it, each at its JSON path (`at` its own).
pub fn parse_report(doc: &Value, at: &str) -> Result<Report, Vec<Diagnostic>> {
    let report: Report = serde_json::from_value(doc.clone())
        .map_err(|e| vec![Diagnostic::new(at.to_owned(), "shape", e.to_string())])?;
    let mut diags = Vec::new();
    if report.dataset.form.is_empty() == report.dataset.platform.is_none() {
        let message = "a dataset is a form of the app or a platform dataset, one of them";
        diags.push(Diagnostic::new(format!("{at}/dataset"), "shape", message));
    }
    match &report.list {
        Some(list) if list.fields.is_empty() || !(1..=200).contains(&list.limit) => {
            let message = "a list names its fields and lists 1 to 200 rows";
            diags.push(Diagnostic::new(format!("{at}/list"), "shape", message));
        }
        Some(_) if !report.measures.is_empty() || !report.dimensions.is_empty() => {
            let message = "a list lists rows: it has no dimensions or measures";
            diags.push(Diagnostic::new(format!("{at}/list"), "shape", message));
        }
        None if report.measures.is_empty() => {
            diags.push(Diagnostic::new(
                format!("{at}/measures"),
                "required",
                "a report measures something, or lists rows",
            ));
        }
        _ => {}
    }
    let keys: Vec<&str> = report.measures.iter().map(|m| m.key.as_str()).collect();
    for (i, m) in report.measures.iter().enumerate() {
        let here = format!("{at}/measures/{i}");
        if keys.iter().filter(|k| **k == m.key).count() > 1 {
            diags.push(Diagnostic::new(
                format!("{here}/key"),
                "duplicate",
                format!("two measures are called `{}`", m.key),
            ));
        }
        let wants_field = !(m.op == Op::Count || m.op.derived());
        if wants_field && m.field.is_none() {
            diags.push(Diagnostic::new(format!("{here}/field"), "required", "this measure reads a field"));
        }
        let wants = match m.op {
            Op::Ratio => 2,
            Op::Share | Op::RunningTotal | Op::Change => 1,
            _ => 0,
        };
        if m.of.len() != wants {
            diags.push(Diagnostic::new(format!("{here}/of"), "arity", format!("names {wants} other measure(s)")));
        }
        for other in &m.of {
            let before = report.measures[..i].iter().any(|x| &x.key == other && !x.op.derived());
            if !before {
                let message = format!("`{other}` is no plain measure before this one");
                diags.push(Diagnostic::new(format!("{here}/of"), "unknown_measure", message));
            }
        }
    }
    for (i, d) in report.dimensions.iter().enumerate() {
        if let Some(zone) = &d.zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            diags.push(Diagnostic::new(
                format!("{at}/dimensions/{i}/zone"),
                "unknown_zone",
                format!("no time zone `{zone}`"),
            ));
        }
    }
    if let Some(top) = &report.top
        && !keys.contains(&top.by.as_str())
    {
        diags.push(Diagnostic::new(format!("{at}/top/by"), "unknown_measure", format!("no measure `{}`", top.by)));
    }
    for (i, c) in report.columns.iter().enumerate() {
        if !report.dimensions.iter().any(|d| &d.field == c) {
            diags.push(Diagnostic::new(
                format!("{at}/columns/{i}"),
                "unknown_dimension",
                format!("no dimension `{c}`"),
            ));
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, p) in report.parameters.iter().enumerate() {
        if seen.contains(&p.key.as_str()) {
            let message = format!("two parameters are called `{}`", p.key);
            diags.push(Diagnostic::new(format!("{at}/parameters/{i}/key"), "duplicate", message));
        }
        seen.push(&p.key);
    }
    let listed = |by: &str| report.list.as_ref().is_some_and(|l| l.fields.iter().any(|f| f == by));
    for (i, s) in report.sort.iter().enumerate() {
        if !keys.contains(&s.by.as_str()) && !report.dimensions.iter().any(|d| d.field == s.by) && !listed(&s.by) {
            let message = format!("no dimension or measure `{}`", s.by);
            diags.push(Diagnostic::new(format!("{at}/sort/{i}/by"), "unknown_column", message));
        }
    }
    if let Some(compare) = report.chart.as_ref().and_then(|c| c.compare.as_ref())
        && !keys.contains(&compare.as_str())
    {
        diags.push(Diagnostic::new(
            format!("{at}/chart/compare"),
            "unknown_measure",
            format!("no measure `{compare}`"),
        ));
    }
    if diags.is_empty() { Ok(report) } else { Err(diags) }
}
