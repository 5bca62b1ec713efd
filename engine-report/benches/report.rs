//! The report engine's benchmark: `cargo bench -p engine-report --bench report`.
//!
//! Builds a table of 1,000,000 transactions (`BENCH_ROWS` to change: a branch of 50, an
//! amount of two places, an instant within a year) and times, in the same run, two reports
//! through `engine_report::run` — AUM-style sums by branch (count, sum, average, share),
//! and sums by month in Shanghai — against the same aggregations written by hand: with
//! polars (the cells turned into columns of i128 minor units, a lazy group-by sum) and
//! with a plain `HashMap` over the rows; and a pivot of branches by channel with distinct
//! customers and sums, with its row, column and grand totals, against the same four
//! group-bys written with polars. Prints the median of `BENCH_RUNS` (5) runs of each and
//! the ratios to the hand-written ones; the answers' totals are checked equal first.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{Datelike, TimeZone, Utc};
use engine_report::{Cell, Kind, Table, parse_report, run};
use polars::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A reproducible table: no randomness, a linear congruence.
fn table(rows: usize) -> Table {
    let column = |key: &str, kind| engine_report::Column { key: key.into(), label: json!({ "en": key }), kind };
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("an instant").timestamp();
    let mut x: u64 = 42;
    let rows = (0..rows)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let branch = format!("b{:02}", (x >> 33) % 50);
            let cents = ((x >> 13) % 100_000_000) as i64;
            let at = Utc.timestamp_opt(start + ((x >> 7) % 31_536_000) as i64, 0).single().expect("an instant");
            let customer = ((x >> 3) % 100_000) as i64;
            let channel = ["mobile", "branch", "online"][((x >> 40) % 3) as usize].to_owned();
            vec![
                Cell::Text(branch),
                Cell::Decimal(Decimal::new(cents, 2)),
                Cell::DateTime(at),
                Cell::Integer(customer),
                Cell::Text(channel),
            ]
        })
        .collect();
    Table {
        folded: None,
        columns: vec![
            column("branch", Kind::Text),
            column("amount", Kind::Decimal(2)),
            column("at", Kind::Instant),
            column("customer", Kind::Integer),
            column("channel", Kind::Text),
        ],
        rows,
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(f());
        times.push(started.elapsed());
    }
    (median(times), last.expect("at least one run"))
}

fn cents(cell: &Cell) -> i128 {
    match cell {
        Cell::Decimal(d) => d.mantissa(),
        _ => 0,
    }
}

/// The sums by `key` written with polars: columns built from the cells, a lazy group-by.
fn by_hand_polars(table: &Table, key: impl Fn(&[Cell]) -> String) -> i128 {
    let keys: Vec<String> = table.rows.iter().map(|r| key(r)).collect();
    let amounts: Vec<i128> = table.rows.iter().map(|r| cents(&r[1])).collect();
    let height = keys.len();
    let frame =
        DataFrame::new(height, vec![Column::new("k".into(), keys), Column::new("a".into(), amounts)]).expect("a frame");
    let out = frame
        .lazy()
        .group_by([col("k")])
        .agg([col("a").sum(), col("a").count().alias("n")])
        .collect()
        .expect("grouped");
    let sums = out.column("a").expect("a").i128().expect("i128");
    (0..sums.len()).filter_map(|i| sums.get(i)).sum()
}

/// The sums by `key` written as a loop over the rows.
fn by_hand_map(table: &Table, key: impl Fn(&[Cell]) -> String) -> i128 {
    let mut sums: HashMap<String, (i128, u64)> = HashMap::new();
    for row in &table.rows {
        let slot = sums.entry(key(row)).or_default();
        slot.0 += cents(&row[1]);
        slot.1 += 1;
    }
    sums.values().map(|(s, _)| s).sum()
}

/// The pivot written with polars: distinct customers and sums by (branch, channel), by
/// branch, by channel and in all; the grand total's distinct customers.
fn pivot_by_hand(table: &Table) -> u32 {
    let text = |c: &Cell| match c {
        Cell::Text(t) => t.clone(),
        _ => String::new(),
    };
    let branches: Vec<String> = table.rows.iter().map(|r| text(&r[0])).collect();
    let channels: Vec<String> = table.rows.iter().map(|r| text(&r[4])).collect();
    let customers: Vec<i64> = table.rows.iter().map(|r| if let Cell::Integer(i) = r[3] { i } else { 0 }).collect();
    let amounts: Vec<i128> = table.rows.iter().map(|r| cents(&r[1])).collect();
    let height = amounts.len();
    let frame = DataFrame::new(
        height,
        vec![
            Column::new("b".into(), branches),
            Column::new("c".into(), channels),
            Column::new("u".into(), customers),
            Column::new("a".into(), amounts),
        ],
    )
    .expect("a frame")
    .lazy();
    let aggs = || [col("u").n_unique().alias("u"), col("a").sum().alias("a")];
    for by in [vec![col("b"), col("c")], vec![col("b")], vec![col("c")]] {
        frame.clone().group_by(by).agg(aggs()).collect().expect("grouped");
    }
    let all = frame.select(aggs()).collect().expect("totalled");
    all.column("u").expect("u").u32().expect("u32").get(0).expect("a count")
}

fn main() {
    let rows = env_number("BENCH_ROWS", 1_000_000);
    let runs = env_number("BENCH_RUNS", 5);
    let table = table(rows);
    let shanghai: chrono_tz::Tz = "Asia/Shanghai".parse().expect("a zone");
    let month = move |r: &[Cell]| match &r[2] {
        Cell::DateTime(t) => {
            let local = t.with_timezone(&shanghai);
            format!("{}-{:02}", local.year(), local.month())
        }
        _ => String::new(),
    };
    let branch = |r: &[Cell]| match &r[0] {
        Cell::Text(t) => t.clone(),
        _ => String::new(),
    };
    let reports = [
        (
            "sums by branch",
            json!({ "key": "r", "dataset": { "form": "t" }, "dimensions": [{ "field": "branch" }],
            "measures": [{ "key": "n", "op": "count" }, { "key": "s", "op": "sum", "field": "amount" },
                { "key": "a", "op": "avg", "field": "amount" }, { "key": "p", "op": "share", "of": ["s"] }] }),
        ),
        (
            "sums by month in Shanghai",
            json!({ "key": "r", "dataset": { "form": "t" },
            "dimensions": [{ "field": "at", "bucket": "month", "zone": "Asia/Shanghai" }],
            "measures": [{ "key": "n", "op": "count" }, { "key": "s", "op": "sum", "field": "amount" }] }),
        ),
    ];
    let pivot = parse_report(
        &json!({ "key": "r", "dataset": { "form": "t" }, "dimensions": [{ "field": "branch" }, { "field": "channel" }],
            "columns": ["channel"], "measures": [{ "key": "u", "op": "count_distinct", "field": "customer" },
                { "key": "s", "op": "sum", "field": "amount" }] }),
        "",
    )
    .expect("a valid report");
    println!("{rows} rows, median of {runs} runs");
    let (engine, answer) = time(runs, || run(&pivot, &table).expect("runs"));
    let (by_hand, distinct) = time(runs, || pivot_by_hand(&table));
    assert_eq!(answer["pivot"]["total"][0], json!(distinct.to_string()), "the same distinct customers");
    println!(
        "pivot of branches by channel, distinct customers and sums with totals: engine {:.0} ms · polars by hand {:.0} ms (×{:.2})",
        engine.as_secs_f64() * 1000.0,
        by_hand.as_secs_f64() * 1000.0,
        engine.as_secs_f64() / by_hand.as_secs_f64()
    );
    for (i, (name, doc)) in reports.iter().enumerate() {
        let report = parse_report(doc, "").expect("a valid report");
        let (engine, answer) = time(runs, || run(&report, &table).expect("runs"));
        let key: &dyn Fn(&[Cell]) -> String = if i == 0 { &branch } else { &month };
        let (polars, by_polars) = time(runs, || by_hand_polars(&table, key));
        let (map, by_map) = time(runs, || by_hand_map(&table, key));
        let total: Decimal = answer["total"][1].as_str().and_then(|s| s.parse().ok()).expect("a total");
        assert_eq!(total.mantissa(), by_polars, "the same sum as polars by hand");
        assert_eq!(by_polars, by_map, "the same sum by hand twice");
        let ratio = |d: Duration| engine.as_secs_f64() / d.as_secs_f64();
        println!(
            "{name}: engine {:.0} ms · polars by hand {:.0} ms (×{:.2}) · HashMap by hand {:.0} ms (×{:.2})",
            engine.as_secs_f64() * 1000.0,
            polars.as_secs_f64() * 1000.0,
            ratio(polars),
            map.as_secs_f64() * 1000.0,
            ratio(map)
        );
    }
}
