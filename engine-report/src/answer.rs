//! A report's answer: its columns with their metadata (key, label, type, scale), a row
//! per group (numbers as exact decimal strings), each with the filter that reproduces it
//! (a drill-down: a dimension's value, or a bucket's range); top-N with "others"; and, for
//! a pivot, the cells by (row, column) keys with row, column and grand totals.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::bucket::{bucket, start_of};
use crate::model::{Bucket, Op, Report};
use crate::run::{Frame, Group, Inputs, Partial, ReportError, aggregate, frame, inputs, keys, sort, top_keys, value};
use crate::table::{Kind, Table};

/// The key "others" stands under while groups are aggregated (no field value is this).
const OTHERS: &str = "\u{0}others";

/// Runs `report` over `table`: the answer as JSON, or why not.
pub fn run(report: &Report, table: &Table) -> Result<Value, ReportError> {
    if let Some(list) = &report.list {
        return Ok(crate::list::rows(report, list, table));
    }
    let inputs = inputs(report, table)?;
    let mut keyed = keys(report, table)?;
    let frame = frame(report, table, &inputs)?;
    let all = aggregate(report, &frame, &inputs, &vec![Vec::new(); table.rows.len()])?;
    let totals = all.into_iter().next().map(|g| g.partial).unwrap_or_else(|| empty(report));
    let mut groups = aggregate(report, &frame, &inputs, &keyed)?;
    if let Some(top) = &report.top {
        let by = report.measures.iter().position(|m| m.key == top.by).unwrap_or(0);
        let ranked: Vec<(Vec<Option<String>>, Option<Decimal>)> = groups
            .iter()
            .map(|g| Ok((g.keys.clone(), value(report, &inputs, by, &g.partial, &totals)?)))
            .collect::<Result<_, ReportError>>()?;
        let kept = top_keys(&ranked, top.n);
        if top.others && kept.len() < groups.len() {
            for k in &mut keyed {
                if !kept.contains_key(k) {
                    *k = vec![Some(OTHERS.to_owned()); k.len()];
                }
            }
            groups = aggregate(report, &frame, &inputs, &keyed)?;
        } else {
            groups.retain(|g| kept.contains_key(&g.keys));
        }
        groups.sort_by_key(|g| kept.get(&g.keys).copied().unwrap_or(usize::MAX));
    } else {
        sort(&mut groups);
    }
    let mut rows = Vec::new();
    for g in &groups {
        rows.push(row(report, table, &inputs, g, &totals)?);
    }
    order(report, table, &mut rows);
    let mut total: Vec<Value> = measures(report, &inputs, &totals, &totals)?;
    across(report, &mut rows, &mut total);
    let mut answer = json!({ "columns": columns(report, table, &inputs), "rows": rows, "total": total });
    if !report.columns.is_empty() {
        // Without a top-N, the groups are the pivot's cells, their keys in another order.
        let cells = report.top.is_none().then_some(&groups[..]);
        answer["pivot"] = pivot(report, (table, &frame), &inputs, (&keyed, cells), &totals)?;
    }
    Ok(answer)
}

/// The rows in the report's `sort` order, if it has one ("others" stays last): numbers
/// compared as exact decimals, empty values last.
fn order(report: &Report, table: &Table, rows: &mut [Value]) {
    if report.sort.is_empty() {
        return;
    }
    let at = |by: &str| -> Option<(&'static str, usize, bool)> {
        if let Some(d) = report.dimensions.iter().position(|d| d.field == by) {
            let numeric = report.dimensions[d].bucket.is_none()
                && table.column(by).is_some_and(|(_, c)| matches!(c.kind, Kind::Integer | Kind::Decimal(_)));
            return Some(("keys", d, numeric));
        }
        report.measures.iter().position(|m| m.key == by).map(|m| ("values", m, true))
    };
    let sorts: Vec<((&str, usize, bool), bool)> =
        report.sort.iter().filter_map(|s| Some((at(&s.by)?, s.descending))).collect();
    rows.sort_by(|a, b| {
        let last = a["others"].as_bool().cmp(&b["others"].as_bool());
        sorts.iter().fold(last, |done, ((part, i, numeric), descending)| {
            done.then_with(|| {
                let (x, y) = (&a[*part][*i], &b[*part][*i]);
                let ordering = match (x.is_null(), y.is_null()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => return std::cmp::Ordering::Greater,
                    (false, true) => return std::cmp::Ordering::Less,
                    _ if *numeric => {
                        let n = |v: &Value| v.as_str().and_then(|t| t.parse::<Decimal>().ok());
                        n(x).cmp(&n(y))
                    }
                    _ => x.as_str().cmp(&y.as_str()),
                };
                if *descending { ordering.reverse() } else { ordering }
            })
        })
    });
}

/// Running totals and changes, read down the rows in their order ("others" last, as a
/// row like the rest), separately for each value of the dimensions after the first (AUM by
/// month and branch: each branch's change from its own month before); the total's running
/// total is the measure's total, its change none.
fn across(report: &Report, rows: &mut [Value], total: &mut [Value]) {
    for (m, measure) in report.measures.iter().enumerate() {
        if !matches!(measure.op, Op::RunningTotal | Op::Change) {
            continue;
        }
        let Some(of) = report.measures.iter().position(|x| measure.of.first() == Some(&x.key)) else { continue };
        let mut series: std::collections::HashMap<String, (Option<Decimal>, Option<Decimal>)> =
            std::collections::HashMap::new();
        for row in rows.iter_mut() {
            let rest = row["keys"].as_array().map(|k| Value::from(k.get(1..).unwrap_or_default()).to_string());
            let (sum, before) = series.entry(rest.unwrap_or_default()).or_default();
            let now = row["values"][of].as_str().and_then(|v| v.parse::<Decimal>().ok());
            let shown = if measure.op == Op::RunningTotal {
                *sum = match (*sum, now) {
                    (Some(s), Some(v)) => s.checked_add(v),
                    (s, v) => s.or(v),
                };
                *sum
            } else {
                let change = now.zip(*before).and_then(|(v, b)| v.checked_sub(b));
                *before = now;
                change
            };
            row["values"][m] = shown.map_or(Value::Null, |d| Value::from(d.to_string()));
        }
        total[m] = if measure.op == Op::RunningTotal { total[of].clone() } else { Value::Null };
    }
}

/// `groups` merged by their keys at `which`: counts and sums added (exactly, or refused),
/// extremes kept.
fn merged(report: &Report, groups: &[Group], which: &[usize]) -> Result<Vec<Group>, ReportError> {
    let mut out: Vec<Group> = Vec::new();
    let mut at: std::collections::HashMap<Vec<Option<String>>, usize> = std::collections::HashMap::new();
    for g in groups {
        let keys: Vec<Option<String>> = which.iter().map(|i| g.keys[*i].clone()).collect();
        let Some(&i) = at.get(&keys) else {
            at.insert(keys.clone(), out.len());
            out.push(Group { keys, partial: g.partial.clone() });
            continue;
        };
        let (into, from) = (&mut out[i].partial, &g.partial);
        into.rows += from.rows;
        for m in 0..report.measures.len() {
            let too_large = || ReportError::Overflow { measure: report.measures[m].key.clone() };
            into.sum[m] = match (into.sum[m], from.sum[m]) {
                (Some(a), Some(b)) => Some(a.checked_add(b).ok_or_else(too_large)?),
                (a, b) => a.or(b),
            };
            into.count[m] += from.count[m];
            into.min[m] = [into.min[m], from.min[m]].into_iter().flatten().min();
            into.max[m] = [into.max[m], from.max[m]].into_iter().flatten().max();
        }
    }
    Ok(out)
}

fn empty(report: &Report) -> Partial {
    let n = report.measures.len();
    Partial {
        rows: 0,
        sum: vec![None; n],
        count: vec![0; n],
        min: vec![None; n],
        max: vec![None; n],
        distinct: vec![0; n],
    }
}

fn measures(report: &Report, inputs: &Inputs, p: &Partial, totals: &Partial) -> Result<Vec<Value>, ReportError> {
    (0..report.measures.len())
        .map(|m| Ok(value(report, inputs, m, p, totals)?.map_or(Value::Null, |d| Value::from(d.to_string()))))
        .collect()
}

/// Each column's metadata: dimensions, then measures.
fn columns(report: &Report, table: &Table, inputs: &Inputs) -> Vec<Value> {
    let mut out = Vec::new();
    for d in &report.dimensions {
        let label = table.column(&d.field).map_or(Value::Null, |(_, c)| c.label.clone());
        let kind = match (d.bucket, table.column(&d.field).map(|(_, c)| c.kind)) {
            (Some(_), _) => "bucket",
            (_, Some(Kind::Integer | Kind::Decimal(_))) => "number",
            (_, Some(Kind::Boolean)) => "boolean",
            _ => "text",
        };
        out.push(json!({ "key": d.field, "label": label, "role": "dimension", "type": kind, "bucket": d.bucket.map(bucket_name) }));
    }
    for (m, measure) in report.measures.iter().enumerate() {
        let scale = match measure.op {
            Op::Count | Op::CountDistinct => 0,
            Op::Sum | Op::Min | Op::Max => inputs.column[m].map_or(0, |(_, s)| s),
            Op::Avg | Op::Ratio => measure.scale.unwrap_or(2),
            Op::Share => measure.scale.unwrap_or(4),
            Op::RunningTotal | Op::Change => {
                let of = report.measures.iter().position(|x| measure.of.first() == Some(&x.key)).unwrap_or(m);
                inputs.column[of].map_or(0, |(_, s)| s)
            }
        };
        let kind = if measure.percent || matches!(measure.op, Op::Share) { "share" } else { "decimal" };
        out.push(json!({ "key": measure.key, "label": measure.label, "role": "measure", "type": kind, "scale": scale,
            "rounding": matches!(measure.op, Op::Avg | Op::Ratio | Op::Share).then_some("half_even") }));
    }
    out
}

fn bucket_name(b: Bucket) -> &'static str {
    match b {
        Bucket::Day => "day",
        Bucket::Week => "week",
        Bucket::Month => "month",
        Bucket::Quarter => "quarter",
        Bucket::Year => "year",
    }
}

/// A group's row: its keys, its measures, and the filter that reproduces it.
fn row(report: &Report, table: &Table, inputs: &Inputs, g: &Group, totals: &Partial) -> Result<Value, ReportError> {
    let others = g.keys.iter().any(|k| k.as_deref() == Some(OTHERS));
    let keys: Vec<Value> = g.keys.iter().map(|k| if others { Value::Null } else { json!(k) }).collect();
    let drill: Vec<Value> = if others {
        Vec::new()
    } else {
        report.dimensions.iter().zip(&g.keys).map(|(d, k)| drill(table, d, k.as_deref())).collect()
    };
    Ok(
        json!({ "keys": keys, "values": measures(report, inputs, &g.partial, totals)?, "others": others, "drill": drill }),
    )
}

/// The filter of one dimension's value: equal to it, empty, or within its bucket's range
/// (dates as dates, instants from the bucket's first instant in its zone).
fn drill(table: &Table, d: &crate::model::Dimension, key: Option<&str>) -> Value {
    let Some(key) = key else { return json!({ "field": d.field, "empty": true }) };
    let Some(b) = d.bucket else { return json!({ "field": d.field, "equals": key }) };
    let instants = table.column(&d.field).is_some_and(|(_, c)| c.kind == Kind::Instant);
    let zone: chrono_tz::Tz = d.zone.as_deref().and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    // A bucket's first day from its name: parse the day, week, month, quarter or year back.
    let first = first_day(key, b);
    let Some(first) = first else { return json!({ "field": d.field, "equals": key }) };
    let (_, from, to) = bucket(first, b);
    if instants {
        let at = |day| start_of(day, zone).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let zone_name = zone.name();
        json!({ "field": d.field, "from": at(from), "before": at(to), "zone": zone_name,
            "from_date": from.to_string(), "before_date": to.to_string() })
    } else {
        json!({ "field": d.field, "from": from.to_string(), "before": to.to_string() })
    }
}

fn first_day(key: &str, b: Bucket) -> Option<chrono::NaiveDate> {
    use chrono::NaiveDate;
    match b {
        Bucket::Day => key.parse().ok(),
        Bucket::Week => {
            let (y, w) = key.split_once("-W")?;
            NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)
        }
        Bucket::Month => NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok(),
        Bucket::Quarter => {
            let (y, q) = key.split_once("-Q")?;
            NaiveDate::from_ymd_opt(y.parse().ok()?, (q.parse::<u32>().ok()? - 1) * 3 + 1, 1)
        }
        Bucket::Year => NaiveDate::from_ymd_opt(key.parse().ok()?, 1, 1),
    }
}

/// A pivot: the row dimensions down, the `columns` dimensions across; each cell's
/// measures, each row's and column's totals and the grand total, all exact.
fn pivot(
    report: &Report,
    (table, frame): (&Table, &Frame),
    inputs: &Inputs,
    (keyed, grouped): (&[Vec<Option<String>>], Option<&[Group]>),
    totals: &Partial,
) -> Result<Value, ReportError> {
    let across: Vec<usize> =
        (0..report.dimensions.len()).filter(|i| report.columns.contains(&report.dimensions[*i].field)).collect();
    let down: Vec<usize> = (0..report.dimensions.len()).filter(|i| !across.contains(i)).collect();
    let project =
        |which: &[usize]| keyed.iter().map(|k| which.iter().map(|i| k[*i].clone()).collect()).collect::<Vec<Vec<_>>>();
    // Aggregated by (row, column) keys first; the rows' and columns' totals are those
    // cells merged — but for distinct counts, which do not add up, read from the rows.
    let order = [down.clone(), across.clone()].concat();
    let both = match grouped {
        Some(groups) => groups
            .iter()
            .map(|g| Group { keys: order.iter().map(|i| g.keys[*i].clone()).collect(), partial: g.partial.clone() })
            .collect(),
        None => aggregate(report, frame, inputs, &project(&order))?,
    };
    let (mut rows, mut cols) = if report.measures.iter().any(|m| m.op == Op::CountDistinct) {
        (aggregate(report, frame, inputs, &project(&down))?, aggregate(report, frame, inputs, &project(&across))?)
    } else {
        let (down_at, across_at): (Vec<usize>, Vec<usize>) =
            ((0..down.len()).collect(), (down.len()..order.len()).collect());
        (merged(report, &both, &down_at)?, merged(report, &both, &across_at)?)
    };
    sort(&mut rows);
    sort(&mut cols);
    let mut cells = Vec::new();
    for r in &rows {
        let mut line = Vec::new();
        for c in &cols {
            let key = [r.keys.clone(), c.keys.clone()].concat();
            let found = both.iter().find(|g| g.keys == key);
            line.push(match found {
                Some(g) => Value::Array(measures(report, inputs, &g.partial, totals)?),
                None => Value::Null,
            });
        }
        cells.push(Value::Array(line));
    }
    let totals_of = |groups: &[Group]| -> Result<Vec<Value>, ReportError> {
        groups.iter().map(|g| Ok(Value::Array(measures(report, inputs, &g.partial, totals)?))).collect()
    };
    let drills = |groups: &[Group], which: &[usize]| -> Vec<Value> {
        groups
            .iter()
            .map(|g| {
                let each = which.iter().zip(&g.keys).map(|(i, k)| drill(table, &report.dimensions[*i], k.as_deref()));
                Value::Array(each.collect())
            })
            .collect()
    };
    Ok(json!({
        "rows": rows.iter().map(|g| json!(g.keys)).collect::<Vec<_>>(),
        "columns": cols.iter().map(|g| json!(g.keys)).collect::<Vec<_>>(),
        "row_drill": drills(&rows, &down),
        "column_drill": drills(&cols, &across),
        "cells": cells,
        "row_totals": totals_of(&rows)?,
        "column_totals": totals_of(&cols)?,
        "total": measures(report, inputs, totals, totals)?,
    }))
}
