//! A dataset's rows as the server read them: typed columns, exact values (decimals as
//! `rust_decimal`, instants in UTC), never a float.

use serde_json::Value;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    /// Decimals at this many places (money at its scale).
    Decimal(u32),
    Boolean,
    Date,
    Instant,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub key: String,
    /// Its label per language, as the metadata gives it.
    pub label: Value,
    pub kind: Kind,
}

/// A number beyond i128 in minor units at its column's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// A cell: a field's value as engine-form types it (decimals exact, instants in UTC).
pub use engine_form::FieldValue as Cell;

/// The rows a report reads, each with a cell per column, in the columns' order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// When the database grouped the dataset's rows already: what each row stands for.
    pub folded: Option<Folded>,
}

/// Rows the database grouped by the report's dimensions (and the columns counted
/// distinctly): each row of the table then stands for `rows[r]` of the dataset's rows, and
/// a measure's column is read as its aggregates over them, `parts[column][r]`. Grouped by
/// raw values (a day, not its month), so buckets, top-N and pivots regroup them exactly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folded {
    pub rows: Vec<i64>,
    pub parts: std::collections::BTreeMap<String, Vec<Part>>,
}

/// A column's aggregates over the rows one folded row stands for: numbers in minor units
/// at the column's scale (none for a text); `count` of its values, not of the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Part {
    pub sum: Option<i128>,
    pub count: i64,
    pub min: Option<i128>,
    pub max: Option<i128>,
}

impl Table {
    pub fn column(&self, key: &str) -> Option<(usize, &Column)> {
        self.columns.iter().enumerate().find(|(_, c)| c.key == key)
    }
}

/// A cell as a dimension's key (a text), or none for a null.
pub fn key(cell: &Cell) -> Option<String> {
    Some(match cell {
        Cell::Null => return None,
        Cell::Text(t) => t.clone(),
        Cell::Integer(i) => i.to_string(),
        Cell::Decimal(d) => d.normalize().to_string(),
        Cell::Boolean(b) => b.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::DateTime(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Cell::Link(id) => id.to_string(),
        Cell::Choices(c) => c.join(","),
        Cell::Files(_) | Cell::Rows(_) => return None,
    })
}

/// A number as whole minor units at `scale` places: `Ok(None)` for what is no number,
/// `Err` for one beyond i128 at that scale. (A decimal with more places than its
/// column's scale is refused by the server before it gets here; were one to come, it is
/// rounded half to even.)
pub fn minor_units(cell: &Cell, scale: u32) -> Result<Option<i128>, TooLarge> {
    let (mantissa, places) = match cell {
        Cell::Integer(i) => (i128::from(*i), 0),
        Cell::Decimal(d) if d.scale() <= scale => (d.mantissa(), d.scale()),
        Cell::Decimal(d) => {
            let rounded = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointNearestEven);
            (rounded.mantissa(), rounded.scale())
        }
        _ => return Ok(None),
    };
    let factor = 10i128.checked_pow(scale - places.min(scale)).ok_or(TooLarge)?;
    mantissa.checked_mul(factor).map(Some).ok_or(TooLarge)
}
