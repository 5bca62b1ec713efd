//! A list report's answer: the dataset's rows themselves, in the report's sort, at most
//! its limit, each with its fields' values (decimals exact, instants in UTC) and its id,
//! which is what it drills to. The table's `id` column says which row is which.

use serde_json::{Value, json};

use crate::model::{List, Report};
use crate::table::{Cell, Kind, Table, key};

pub fn rows(report: &Report, list: &List, table: &Table) -> Value {
    let id = table.column("id").map(|(i, _)| i);
    let at: Vec<Option<usize>> = list.fields.iter().map(|f| table.column(f).map(|(i, _)| i)).collect();
    let mut order: Vec<usize> = (0..table.rows.len()).collect();
    let sorts: Vec<(usize, bool)> =
        report.sort.iter().filter_map(|s| Some((table.column(&s.by)?.0, s.descending))).collect();
    order.sort_by(|a, b| {
        sorts.iter().fold(std::cmp::Ordering::Equal, |done, (c, descending)| {
            done.then_with(|| {
                let (x, y) = (&table.rows[*a][*c], &table.rows[*b][*c]);
                match (x, y) {
                    (Cell::Null, Cell::Null) => std::cmp::Ordering::Equal,
                    (Cell::Null, _) => std::cmp::Ordering::Greater,
                    (_, Cell::Null) => std::cmp::Ordering::Less,
                    _ => {
                        let o = compare(x, y);
                        if *descending { o.reverse() } else { o }
                    }
                }
            })
        })
    });
    let rows: Vec<Value> = order
        .into_iter()
        .take(list.limit)
        .map(|r| {
            let row = &table.rows[r];
            let keys: Vec<Value> = at
                .iter()
                .map(|i| i.and_then(|i| text(&row[i], table.columns[i].kind)).map_or(Value::Null, Value::from))
                .collect();
            let id = id.and_then(|i| match row[i] {
                Cell::Integer(n) => Some(n),
                _ => None,
            });
            json!({ "keys": keys, "values": [], "others": false, "id": id,
                "drill": id.map(|n| vec![json!({ "field": "id", "equals": n.to_string() })]).unwrap_or_default() })
        })
        .collect();
    let columns: Vec<Value> = list
        .fields
        .iter()
        .zip(&at)
        .map(|(f, i)| {
            let column = i.map(|i| &table.columns[i]);
            let (kind, scale) = match column.map(|c| c.kind) {
                Some(Kind::Integer) => ("number", Some(0)),
                Some(Kind::Decimal(s)) => ("decimal", Some(s)),
                Some(Kind::Boolean) => ("boolean", None),
                Some(Kind::Date) => ("date", None),
                Some(Kind::Instant) => ("instant", None),
                _ => ("text", None),
            };
            json!({ "key": f, "label": column.map(|c| c.label.clone()), "role": "field", "type": kind, "scale": scale })
        })
        .collect();
    json!({ "columns": columns, "rows": rows, "total": [] })
}

/// A cell as the list shows it: a decimal at its column's scale, the rest as their keys.
fn text(cell: &Cell, kind: Kind) -> Option<String> {
    match (cell, kind) {
        (Cell::Decimal(d), Kind::Decimal(scale)) => {
            let mut shown = *d;
            shown.rescale(scale);
            Some(shown.to_string())
        }
        _ => key(cell),
    }
}

/// Two cells of one column, in order: numbers as numbers, the rest as their keys.
fn compare(x: &Cell, y: &Cell) -> std::cmp::Ordering {
    match (x, y) {
        (Cell::Integer(a), Cell::Integer(b)) => a.cmp(b),
        (Cell::Decimal(a), Cell::Decimal(b)) => a.cmp(b),
        (Cell::Date(a), Cell::Date(b)) => a.cmp(b),
        (Cell::DateTime(a), Cell::DateTime(b)) => a.cmp(b),
        _ => key(x).cmp(&key(y)),
    }
}
