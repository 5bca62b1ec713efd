//! Rows the database grouped already give the answer their rows give: every operation,
//! buckets regrouped from raw values, top-N with "others", pivots, running totals and
//! changes.

use std::collections::BTreeMap;

use engine_report::{Cell, Folded, Kind, Part, Table, minor_units, parse_report, run};
use serde_json::json;

use super::reports::transactions;

/// `table` grouped by every column the measures do not sum (as the server's query groups
/// by the dimensions and the columns counted distinctly), with the parts of each column
/// `measured` (summed or counted).
fn fold(table: &Table, summed: &[&str], counted: &[&str]) -> Table {
    let measured: Vec<&str> = summed.iter().chain(counted).copied().collect();
    let kept: Vec<usize> =
        (0..table.columns.len()).filter(|c| !summed.contains(&table.columns[*c].key.as_str())).collect();
    let mut groups: BTreeMap<String, (Vec<Cell>, i64, Vec<Part>)> = BTreeMap::new();
    for row in &table.rows {
        let key = format!("{:?}", kept.iter().map(|c| &row[*c]).collect::<Vec<_>>());
        let (_, rows, parts) = groups.entry(key).or_insert_with(|| {
            let cells = (0..row.len()).map(|c| if kept.contains(&c) { row[c].clone() } else { Cell::Null }).collect();
            (cells, 0, vec![Part::default(); measured.len()])
        });
        *rows += 1;
        for (part, key) in parts.iter_mut().zip(&measured) {
            let (at, column) = table.column(key).expect("a summed column");
            let scale = match column.kind {
                Kind::Decimal(s) => s,
                _ => 0,
            };
            if row[at] != Cell::Null {
                part.count += 1;
            }
            let Ok(Some(v)) = minor_units(&row[at], scale) else { continue };
            part.sum = Some(part.sum.unwrap_or(0) + v);
            part.min = Some(part.min.map_or(v, |m| m.min(v)));
            part.max = Some(part.max.map_or(v, |m| m.max(v)));
        }
    }
    let mut folded = Folded::default();
    let mut rows = Vec::new();
    for (cells, n, parts) in groups.into_values() {
        rows.push(cells);
        folded.rows.push(n);
        for (key, part) in measured.iter().zip(parts) {
            folded.parts.entry((*key).to_owned()).or_default().push(part);
        }
    }
    Table { columns: table.columns.clone(), rows, folded: Some(folded) }
}

#[test]
fn grouped_rows_answer_as_their_rows_do() {
    // Each transaction twice, the second 1.01 more (and one without an amount): groups of two.
    let mut table = transactions();
    let again: Vec<Vec<Cell>> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut row = row.clone();
            row[2] = match (&row[2], i) {
                (_, 0) => Cell::Null,
                (Cell::Decimal(d), _) => Cell::Decimal(*d + rust_decimal::Decimal::new(101, 2)),
                (other, _) => other.clone(),
            };
            row
        })
        .collect();
    table.rows.extend(again);
    let folded = fold(&table, &["amount"], &["branch", "channel"]);
    assert_eq!((table.rows.len(), folded.rows.len()), (10, 5), "grouped in twos");
    let reports = [
        json!({ "key": "r", "dataset": { "form": "t" }, "dimensions": [{ "field": "occurred_at", "bucket": "month", "zone": "Asia/Shanghai" }],
            "measures": [{ "key": "n", "op": "count" }, { "key": "total", "op": "sum", "field": "amount" },
                { "key": "mean", "op": "avg", "field": "amount" }, { "key": "share", "op": "share", "of": ["total"] },
                { "key": "least", "op": "min", "field": "amount" }, { "key": "most", "op": "max", "field": "amount" },
                { "key": "counted", "op": "count", "field": "amount" }, { "key": "branches", "op": "count_distinct", "field": "branch" },
                { "key": "per", "op": "ratio", "of": ["total", "n"] }, { "key": "run", "op": "running_total", "of": ["total"] },
                { "key": "change", "op": "change", "of": ["total"] }] }),
        json!({ "key": "r", "dataset": { "form": "t" }, "dimensions": [{ "field": "branch" }],
            "measures": [{ "key": "total", "op": "sum", "field": "amount" }, { "key": "n", "op": "count" }],
            "top": { "n": 1, "by": "total", "others": true } }),
        json!({ "key": "r", "dataset": { "form": "t" }, "dimensions": [{ "field": "branch" }, { "field": "channel" }], "columns": ["channel"],
            "measures": [{ "key": "total", "op": "sum", "field": "amount" }, { "key": "channels", "op": "count_distinct", "field": "channel" }] }),
        json!({ "key": "r", "dataset": { "form": "t" }, "measures": [{ "key": "total", "op": "sum", "field": "amount" }] }),
    ];
    for doc in reports {
        let report = parse_report(&doc, "").expect("a valid report");
        assert_eq!(run(&report, &folded).expect("folded"), run(&report, &table).expect("rows"), "{doc}");
    }
}

#[test]
fn a_group_whose_sum_is_past_i128_is_refused_not_wrapped() {
    let table = transactions();
    let mut folded = fold(&table, &["amount"], &[]);
    let parts = folded.folded.as_mut().and_then(|f| f.parts.get_mut("amount")).expect("parts");
    parts[0].sum = Some(i128::MAX);
    parts[1].sum = Some(i128::MAX);
    let report = parse_report(
        &json!({ "key": "r", "dataset": { "form": "t" }, "measures": [{ "key": "total", "op": "sum", "field": "amount" }] }),
        "",
    )
    .expect("valid");
    assert_eq!(run(&report, &folded), Err(engine_report::ReportError::Overflow { measure: "total".into() }));
}
