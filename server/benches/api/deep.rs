//! A page deep in a list against the first page, and an export of every row, each beside
//! what SQLite does alone in the same run.

use std::time::{Duration, Instant};

use engine_form::FieldValue;
use server::records::query::{SortKey, Target, encode_cursor};

use super::client::Client;
use super::median;

const SAMPLES: usize = 100;

/// The `after` cursor of the row at `offset` in the order `sort` (`-aum` or `id`).
fn cursor_at(raw: &rusqlite::Connection, sort: &str, offset: usize) -> String {
    let id = |descending| SortKey { target: Target::Id, descending };
    match sort {
        "-aum" => {
            let (aum, id_value): (i64, i64) = raw
                .query_row(
                    "SELECT f_aum, id FROM t_bench_customer ORDER BY f_aum DESC NULLS LAST, id LIMIT 1 OFFSET ?1",
                    [offset as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .expect("the row at the offset");
            let keys = [SortKey { target: Target::Field("aum".into()), descending: true }, id(false)];
            encode_cursor(
                &keys,
                &[FieldValue::Decimal(rust_decimal::Decimal::new(aum, 2)), FieldValue::Integer(id_value)],
            )
        }
        _ => {
            let id_value: i64 = raw
                .query_row("SELECT id FROM t_bench_customer ORDER BY id LIMIT 1 OFFSET ?1", [offset as i64], |r| {
                    r.get(0)
                })
                .expect("the row at the offset");
            encode_cursor(&[id(false)], &[FieldValue::Integer(id_value)])
        }
    }
}

fn timed(client: &mut Client, path: &str) -> Duration {
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let (status, body) = client.request("GET", path, "");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        samples.push(t.elapsed());
    }
    median(samples)
}

/// Page 1 against the page after nine tenths of `rows`, sorted by a field (`-aum`, which
/// some rows lack) and by id.
pub fn deep_pages(addr: &str, token: &str, raw: &rusqlite::Connection, rows: usize) {
    let mut client = Client::connect(addr, token);
    println!("a page deep in the list against page 1 (50 rows, nine tenths in) at {rows} rows, median of {SAMPLES}:");
    for sort in ["-aum", "id"] {
        let first = format!("/api/v1/apps/bench/forms/customer/records?sort={sort}&limit=50");
        let deep = format!("{first}&after={}", cursor_at(raw, sort, rows * 9 / 10));
        let (first_median, deep_median) = (timed(&mut client, &first), timed(&mut client, &deep));
        println!(
            "  sort={sort:<5} page 1 {:>8.1} µs   deep {:>8.1} µs   ratio {:.2} (target <= 1.2)",
            first_median.as_secs_f64() * 1e6,
            deep_median.as_secs_f64() * 1e6,
            deep_median.as_secs_f64() / first_median.as_secs_f64()
        );
    }
    println!();
}

/// Every row exported as CSV through the API against the same rows read and written as
/// CSV by hand on SQLite.
pub fn export(addr: &str, token: &str, raw: &rusqlite::Connection, rows: usize) {
    let t = Instant::now();
    let mut text = String::new();
    let mut stmt = raw
        .prepare("SELECT id, f_name, f_aum, f_tier, f_branch, f_birthday FROM t_bench_customer ORDER BY id")
        .expect("prepare");
    let mut read = stmt.query([]).expect("query");
    let mut count = 0;
    while let Some(row) = read.next().expect("row") {
        let (id, name, aum): (i64, String, i64) =
            (row.get(0).expect("id"), row.get(1).expect("name"), row.get(2).expect("aum"));
        let (tier, branch, birthday): (String, String, String) =
            (row.get(3).expect("tier"), row.get(4).expect("branch"), row.get(5).expect("birthday"));
        text.push_str(&format!("{id},{name},{}.{:02},{tier},{branch},{birthday}\n", aum / 100, aum % 100));
        count += 1;
    }
    let raw_time = t.elapsed();
    assert_eq!(count, rows);
    let mut client = Client::connect(addr, token);
    let t = Instant::now();
    let (status, body) = client.request("GET", "/api/v1/apps/bench/forms/customer/export?sort=id", "");
    let api_time = t.elapsed();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body[..body.len().min(400)]));
    let lines = body.iter().filter(|b| **b == b'\n').count();
    assert_eq!(lines, rows + 1, "a header and every row");
    println!("export of every row as CSV at {rows} rows ({} MB):", body.len() / 1_000_000);
    println!(
        "  raw SQLite  {:>10.2} s   {:>10.0} rows/s (read and written by hand)",
        raw_time.as_secs_f64(),
        rows as f64 / raw_time.as_secs_f64()
    );
    println!(
        "  Trellis API {:>10.2} s   {:>10.0} rows/s   ratio {:.2}",
        api_time.as_secs_f64(),
        rows as f64 / api_time.as_secs_f64(),
        api_time.as_secs_f64() / raw_time.as_secs_f64()
    );
    println!();
}
