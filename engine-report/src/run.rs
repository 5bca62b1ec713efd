//! Running a report: each row's dimension keys (dates bucketed in their zone) and measure
//! inputs (numbers as whole minor units, i128) go into a polars frame, aggregated by the
//! dimensions in one lazy query; the small result is then finished in exact decimals:
//! averages, ratios and shares at their stated scale, top-N with "others".
//!
//! Money stays exact: polars sums integers with wrapping arithmetic, so each sum has a
//! float shadow summed beside it. A wrapped sum is still the true sum modulo 2^128, so it
//! is exact whenever the true sum lies within ±2^127; the shadow (within a hair of the true
//! sum) proves that, and a sum beyond ±10^37 is refused, never wrapped. A sum that fits
//! i128 but not a decimal (28 digits) is refused too.

use std::collections::HashMap;

use polars::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::bucket::{bucket, day_of};
use crate::model::{Op, Report};
use crate::table::{Cell, Kind, Table, key, minor_units};

/// Beyond this a sum's float shadow cannot vouch for its exactness.
const SHADOW_LIMIT: f64 = 1e37;

#[derive(Debug, Clone, PartialEq)]
pub enum ReportError {
    /// A dimension or measure names no column of the dataset.
    UnknownColumn { path: String, key: String },
    /// A measure's column cannot be summed or averaged (a text).
    NotANumber { path: String, key: String },
    /// A sum beyond what is computed exactly.
    Overflow { measure: String },
    /// The data engine refused (a bug, said as it is).
    Engine(String),
}

impl From<PolarsError> for ReportError {
    fn from(e: PolarsError) -> Self {
        ReportError::Engine(e.to_string())
    }
}

/// One group's aggregates, per measure: sum (minor units), non-null count, min, max,
/// distinct count; and the group's rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Partial {
    pub rows: i64,
    pub sum: Vec<Option<i128>>,
    pub count: Vec<i64>,
    pub min: Vec<Option<i128>>,
    pub max: Vec<Option<i128>>,
    pub distinct: Vec<i64>,
}

/// A group: its dimension keys and aggregates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub keys: Vec<Option<String>>,
    pub partial: Partial,
}

/// What each measure reads: the column's index and the scale its numbers are summed at.
pub(crate) struct Inputs {
    pub column: Vec<Option<(usize, u32)>>,
}

pub(crate) fn inputs(report: &Report, table: &Table) -> Result<Inputs, ReportError> {
    let mut column = Vec::new();
    for (i, m) in report.measures.iter().enumerate() {
        let Some(field) = &m.field else {
            column.push(None);
            continue;
        };
        let path = format!("/measures/{i}/field");
        let (at, col) =
            table.column(field).ok_or_else(|| ReportError::UnknownColumn { path: path.clone(), key: field.clone() })?;
        let scale = match col.kind {
            Kind::Integer => 0,
            Kind::Decimal(s) => s,
            _ if matches!(m.op, Op::Count | Op::CountDistinct) => 0,
            _ => return Err(ReportError::NotANumber { path, key: field.clone() }),
        };
        column.push(Some((at, scale)));
    }
    Ok(Inputs { column })
}

/// Each row's key for every dimension.
pub(crate) fn keys(report: &Report, table: &Table) -> Result<Vec<Vec<Option<String>>>, ReportError> {
    let mut per_dim = Vec::new();
    for (i, d) in report.dimensions.iter().enumerate() {
        let (at, _) = table.column(&d.field).ok_or_else(|| ReportError::UnknownColumn {
            path: format!("/dimensions/{i}/field"),
            key: d.field.clone(),
        })?;
        let zone: chrono_tz::Tz = d.zone.as_deref().and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
        per_dim.push(
            table
                .rows
                .iter()
                .map(|row| match (d.bucket, &row[at]) {
                    (Some(b), Cell::Date(day)) => Some(bucket(*day, b).0),
                    (Some(b), Cell::DateTime(t)) => day_of(None, Some(*t), zone).map(|day| bucket(day, b).0),
                    (_, cell) => key(cell),
                })
                .collect::<Vec<_>>(),
        );
    }
    Ok((0..table.rows.len()).map(|r| per_dim.iter().map(|d| d[r].clone()).collect()).collect())
}

/// The measures' inputs as polars columns and the aggregations over them, built from the
/// table's cells once for every grouping of its rows (a pivot groups them four ways).
pub(crate) struct Frame {
    columns: Vec<Column>,
    exprs: Vec<Expr>,
    height: usize,
}

pub(crate) fn frame(report: &Report, table: &Table, inputs: &Inputs) -> Result<Frame, ReportError> {
    let mut columns: Vec<Column> = Vec::new();
    let folded = table.folded.as_ref();
    let mut exprs = match folded {
        // Each row stands for as many of the dataset's rows as the database counted.
        Some(f) => {
            columns.push(Column::new("w".into(), f.rows.clone()));
            vec![col("w").sum().cast(DataType::Int64).alias("rows")]
        }
        None => vec![len().cast(DataType::Int64).alias("rows")],
    };
    for (m, input) in inputs.column.iter().enumerate() {
        let Some((at, scale)) = *input else { continue };
        let measure = &report.measures[m];
        let parts = folded.map(|f| {
            let field = measure.field.as_deref().unwrap_or_default();
            f.parts.get(field).map_or(&[][..], Vec::as_slice)
        });
        let cells = table.rows.iter().map(|row| &row[at]);
        // Only what the measure's operation reads: numbers (with their float shadow) for
        // sums, averages and extremes; the values' keys for counts of values.
        if matches!(measure.op, Op::Count | Op::CountDistinct) {
            let count = match parts {
                // A folded row counts its column's values; distinct values are grouped on.
                Some(parts) => {
                    columns
                        .push(Column::new(format!("c{m}").into(), parts.iter().map(|p| p.count).collect::<Vec<_>>()));
                    col(format!("c{m}")).sum()
                }
                None => col(format!("t{m}")).count(),
            };
            let text: Vec<Option<String>> = cells.map(key).collect();
            columns.push(Column::new(format!("t{m}").into(), text));
            exprs.extend([
                count.cast(DataType::Int64).alias(format!("count{m}")),
                col(format!("t{m}")).drop_nulls().n_unique().cast(DataType::Int64).alias(format!("distinct{m}")),
            ]);
            continue;
        }
        let too_large = || ReportError::Overflow { measure: measure.key.clone() };
        let (minor, count, min, max): (Vec<Option<i128>>, Expr, Expr, Expr) = match parts {
            Some(parts) => {
                let least: Vec<Option<i128>> = parts.iter().map(|p| p.min).collect();
                let most: Vec<Option<i128>> = parts.iter().map(|p| p.max).collect();
                let counted: Vec<i64> = parts.iter().map(|p| p.count).collect();
                columns.push(Column::new(format!("n{m}").into(), least));
                columns.push(Column::new(format!("x{m}").into(), most));
                columns.push(Column::new(format!("c{m}").into(), counted));
                let sums = parts.iter().map(|p| p.sum).collect();
                (sums, col(format!("c{m}")).sum(), col(format!("n{m}")).min(), col(format!("x{m}")).max())
            }
            None => {
                let minor = cells.map(|c| minor_units(c, scale).map_err(|_| too_large())).collect::<Result<_, _>>()?;
                (minor, col(format!("v{m}")).count(), col(format!("v{m}")).min(), col(format!("v{m}")).max())
            }
        };
        let shadow: Vec<Option<f64>> = minor.iter().map(|v| v.map(|v| v as f64)).collect();
        columns.push(Column::new(format!("v{m}").into(), minor));
        columns.push(Column::new(format!("f{m}").into(), shadow));
        exprs.extend([
            col(format!("v{m}")).sum().alias(format!("sum{m}")),
            col(format!("f{m}")).sum().alias(format!("shadow{m}")),
            count.cast(DataType::Int64).alias(format!("count{m}")),
            min.alias(format!("min{m}")),
            max.alias(format!("max{m}")),
        ]);
    }
    Ok(Frame { columns, exprs, height: table.rows.len() })
}

/// Aggregates the frame's rows, keyed by `keys` (each row's group), with polars.
pub(crate) fn aggregate(
    report: &Report,
    frame: &Frame,
    inputs: &Inputs,
    keys: &[Vec<Option<String>>],
) -> Result<Vec<Group>, ReportError> {
    let dims = keys.first().map_or(report.dimensions.len(), Vec::len);
    let mut columns = frame.columns.clone();
    for d in 0..dims {
        let values: Vec<Option<&str>> = keys.iter().map(|k| k[d].as_deref()).collect();
        columns.push(Column::new(format!("d{d}").into(), values));
    }
    let exprs = frame.exprs.clone();
    let height = frame.height;
    let frame = DataFrame::new(height, columns)?.lazy();
    let by: Vec<Expr> = (0..dims).map(|d| col(format!("d{d}"))).collect();
    let out = if by.is_empty() { frame.select(exprs).collect()? } else { frame.group_by(by).agg(exprs).collect()? };
    read_groups(report, inputs, &out, dims)
}

fn read_groups(report: &Report, inputs: &Inputs, out: &DataFrame, dims: usize) -> Result<Vec<Group>, ReportError> {
    let text = |name: &str| -> Result<Vec<Option<String>>, ReportError> {
        let values = out.column(name)?.str()?;
        Ok((0..values.len()).map(|i| values.get(i).map(str::to_owned)).collect())
    };
    let n = out.height();
    // A column the measure's operation did not ask for reads as empty.
    let int = |name: &str| -> Result<Vec<Option<i64>>, ReportError> {
        let Ok(column) = out.column(name) else { return Ok(vec![Some(0); n]) };
        let values = column.i64()?;
        Ok((0..values.len()).map(|i| values.get(i)).collect())
    };
    let wide = |name: &str| -> Result<Vec<Option<i128>>, ReportError> {
        let Ok(column) = out.column(name) else { return Ok(vec![None; n]) };
        let values = column.i128()?;
        Ok((0..values.len()).map(|i| values.get(i)).collect())
    };
    let float = |name: &str| -> Result<Vec<Option<f64>>, ReportError> {
        let Ok(column) = out.column(name) else { return Ok(vec![None; n]) };
        let values = column.f64()?;
        Ok((0..values.len()).map(|i| values.get(i)).collect())
    };
    let dim_keys: Vec<Vec<Option<String>>> = (0..dims).map(|d| text(&format!("d{d}"))).collect::<Result<_, _>>()?;
    let rows = int("rows")?;
    let mut groups: Vec<Group> = (0..n)
        .map(|r| Group {
            keys: dim_keys.iter().map(|d| d[r].clone()).collect(),
            partial: Partial { rows: rows[r].unwrap_or(0), ..Partial::default() },
        })
        .collect();
    for (m, input) in inputs.column.iter().enumerate() {
        let (sum, shadow, count, min, max, distinct) = if input.is_some() {
            (
                wide(&format!("sum{m}"))?,
                float(&format!("shadow{m}"))?,
                int(&format!("count{m}"))?,
                wide(&format!("min{m}"))?,
                wide(&format!("max{m}"))?,
                int(&format!("distinct{m}"))?,
            )
        } else {
            (vec![None; n], vec![None; n], vec![Some(0); n], vec![None; n], vec![None; n], vec![Some(0); n])
        };
        for (r, group) in groups.iter_mut().enumerate() {
            if shadow[r].is_some_and(|f| f.abs() > SHADOW_LIMIT) {
                return Err(ReportError::Overflow { measure: report.measures[m].key.clone() });
            }
            let p = &mut group.partial;
            // A group whose values are all empty sums to nothing, not to zero.
            let counted = count[r].unwrap_or(0);
            p.sum.push(if counted > 0 { sum[r] } else { None });
            p.count.push(counted);
            p.min.push(min[r]);
            p.max.push(max[r]);
            p.distinct.push(distinct[r].unwrap_or(0));
        }
    }
    Ok(groups)
}

/// A measure's value for a group, exact: sums and extremes at the column's scale,
/// averages, ratios and shares rounded half to even at theirs; `totals` for shares.
pub(crate) fn value(
    report: &Report,
    inputs: &Inputs,
    m: usize,
    p: &Partial,
    totals: &Partial,
) -> Result<Option<Decimal>, ReportError> {
    let measure = &report.measures[m];
    let scale = inputs.column[m].map_or(0, |(_, s)| s);
    let exact = |v: Option<i128>| -> Result<Option<Decimal>, ReportError> {
        v.map(|v| {
            Decimal::try_from_i128_with_scale(v, scale)
                .map_err(|_| ReportError::Overflow { measure: measure.key.clone() })
        })
        .transpose()
    };
    let index = |key: &str| report.measures.iter().position(|x| x.key == key);
    // Rounded half to even and written at exactly its places (`250.00`, `1.0000`).
    let round = |d: Decimal, places: u32| {
        let mut r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
        r.rescale(places);
        r
    };
    Ok(match measure.op {
        Op::Count => Some(Decimal::from(if measure.field.is_some() { p.count[m] } else { p.rows })),
        Op::CountDistinct => Some(Decimal::from(p.distinct[m])),
        Op::Sum => exact(p.sum[m])?,
        Op::Min => exact(p.min[m])?,
        Op::Max => exact(p.max[m])?,
        Op::Avg => match (exact(p.sum[m])?, p.count[m]) {
            (Some(sum), n) if n > 0 => {
                engine_rule::divide(sum, Decimal::from(n)).map(|d| round(d, measure.scale.unwrap_or(2)))
            }
            _ => None,
        },
        Op::Ratio => {
            let (Some(a), Some(b)) = (index(&measure.of[0]), index(&measure.of[1])) else { return Ok(None) };
            match (value(report, inputs, a, p, totals)?, value(report, inputs, b, p, totals)?) {
                (Some(x), Some(y)) if !y.is_zero() => {
                    engine_rule::divide(x, y).map(|d| round(d, measure.scale.unwrap_or(2)))
                }
                _ => None,
            }
        }
        // Read across rows: the answer fills them in (`answer::across`).
        Op::RunningTotal | Op::Change => None,
        Op::Share => {
            let Some(a) = index(&measure.of[0]) else { return Ok(None) };
            match (value(report, inputs, a, p, totals)?, value(report, inputs, a, totals, totals)?) {
                (Some(x), Some(t)) if !t.is_zero() => {
                    engine_rule::divide(x, t).map(|d| round(d, measure.scale.unwrap_or(4)))
                }
                _ => None,
            }
        }
    })
}

/// Groups in order of their keys (nulls last), for a stable answer.
pub(crate) fn sort(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        a.keys
            .iter()
            .zip(&b.keys)
            .map(|(x, y)| match (x, y) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => x.cmp(y),
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// Keys of the groups kept by a top-N (largest `by` first), as joined text.
pub(crate) fn top_keys(
    groups: &[(Vec<Option<String>>, Option<Decimal>)],
    n: usize,
) -> HashMap<Vec<Option<String>>, usize> {
    let mut ranked: Vec<&(Vec<Option<String>>, Option<Decimal>)> = groups.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.into_iter().take(n).enumerate().map(|(i, g)| (g.0.clone(), i)).collect()
}
