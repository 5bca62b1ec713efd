//! A dashboard end to end: `cargo bench -p server --bench dashboard`.
//!
//! Starts the real server on a SQLite file with the bank CRM demo, grows its customers to
//! `BENCH_CUSTOMERS` (1,000,000; copies of the first, by SQL before any request: reading is
//! measured here, writing by the API benchmark), and times over HTTP the managers'
//! dashboard (every card) as an administrator reads it: the first time (computed), then
//! kept (the median of `BENCH_RUNS`, 20), then the first time after a customer is written
//! (the cards reading customers computed again, the others kept). In the same run, one of
//! its cards' figures — AUM and customers by tier — straight from SQLite, as the baseline.
//! Prints each card's outcome and the process's peak memory.

#[path = "common/allocator.rs"]
mod allocator;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "api/client.rs"]
mod client;
#[path = "common/serve.rs"]
mod serve;

use client::Client;

const DASHBOARD: &str = "/api/v1/apps/bank_crm/dashboards/managers";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// Copies the first customer until there are `count`, each with its own number and name.
fn grow(conn: &rusqlite::Connection, count: usize) -> String {
    let table: String = conn
        .query_row("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%bank_crm%customer'", [], |r| {
            r.get(0)
        })
        .expect("the customer table");
    let mut columns = Vec::new();
    {
        let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})")).expect("columns");
        let rows = stmt.query_map([], |r| r.get::<_, String>(1)).expect("columns");
        columns.extend(rows.map(|c| c.expect("column")).filter(|c| c != "id"));
    }
    let made = |column: &str| match column {
        "f_customer_no" => "'B' || printf('%07d', n.i)".to_owned(),
        "f_name" => "'客户' || n.i".to_owned(),
        "f_id_number" => "'1100000000' || printf('%08d', n.i)".to_owned(),
        other => format!("c.{other}"),
    };
    let have: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).expect("count");
    let select: Vec<String> = columns.iter().map(|c| made(c)).collect();
    conn.execute(
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO {table} ({}) SELECT {} FROM n, (SELECT * FROM {table} ORDER BY id LIMIT 1) c",
            columns.join(", "),
            select.join(", ")
        ),
        [(count as i64).saturating_sub(have)],
    )
    .expect("grow");
    conn.execute_batch("ANALYZE").expect("analyze");
    table
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The dashboard once: its time and each card's outcome (`ok` or its problem's code).
fn dashboard(client: &mut Client) -> (Duration, Vec<(String, String)>) {
    let t = Instant::now();
    let (status, body) = client.request("GET", DASHBOARD, "");
    let took = t.elapsed();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let answer: Value = serde_json::from_slice(&body).expect("json");
    let cards = answer["cards"].as_array().expect("cards").iter().map(|c| {
        let outcome = c["problem"]["code"].as_str().unwrap_or("ok").to_owned();
        (c["report"].as_str().unwrap_or_default().to_owned(), outcome)
    });
    (took, cards.collect())
}

/// The process's peak resident memory (`VmHWM`), as Linux reports it.
fn peak_memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmHWM")).map_or("unknown".into(), |l| l[6..].trim().to_owned())
}

fn main() {
    let customers = env_number("BENCH_CUSTOMERS", 1_000_000);
    let runs = env_number("BENCH_RUNS", 20).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("dashboard.db");
    let url = format!("sqlite://{}", db.display());
    let (addr, session) = serve::serve(url, |state| async move {
        let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm");
        server::demo::import_path(&state.core, &bank, true, false).await.expect("the bank CRM");
    });
    let raw = rusqlite::Connection::open(&db).expect("open");
    raw.busy_timeout(Duration::from_secs(30)).expect("busy timeout");
    let started = Instant::now();
    let table = grow(&raw, customers);
    println!(
        "Trellis dashboard benchmark (SQLite; {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("{customers} customers in {table} (grown in {:.1} s)", started.elapsed().as_secs_f64());
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The baseline: AUM and customers by tier, straight from SQLite.
    let t = Instant::now();
    let tiers: Vec<(Option<String>, i64, i64)> = raw
        .prepare(&format!("SELECT f_tier, SUM(f_aum), COUNT(*) FROM {table} GROUP BY f_tier"))
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let raw_time = t.elapsed();
    assert!(tiers.iter().map(|(_, _, n)| n).sum::<i64>() as usize >= customers);

    // A fresh connection after each long request: the server does not keep one open that long.
    let (cold, cards) = dashboard(&mut Client::connect(&addr, &session));
    let mut client = Client::connect(&addr, &session);
    let mut again = Vec::new();
    let kept = median(
        (0..runs)
            .map(|_| {
                let (took, outcomes) = dashboard(&mut client);
                again = outcomes;
                took
            })
            .collect(),
    );
    // A write to one customer: the cards reading customers are computed again.
    let (status, first) = client.request("GET", "/api/v1/apps/bank_crm/forms/customer/records?limit=1&sort=id", "");
    assert_eq!(status, 200);
    let first: Value = serde_json::from_slice(&first).expect("json");
    let customer = &first["items"][0];
    let (status, body) = client.request_with(
        "PATCH",
        &format!("/api/v1/apps/bank_crm/forms/customer/records/{}", customer["id"]),
        &json!({ "notes": "bench" }).to_string(),
        &[("if-match", &format!("\"{}\"", customer["_version"]))],
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (after_write, _) = dashboard(&mut Client::connect(&addr, &session));

    println!("the managers' dashboard ({} cards), over HTTP as an administrator:", cards.len());
    println!("  {:<24} {:<10} asked again", "card", "first");
    for ((report, outcome), (_, later)) in cards.iter().zip(&again) {
        println!("  {report:<24} {outcome:<10} {later}");
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("  computed             {:>10.1} ms   × raw SQL by tier {:.0}", ms(cold), ms(cold) / ms(raw_time));
    println!("  kept (median of {runs}) {:>8.1} ms   × raw SQL by tier {:.2}", ms(kept), ms(kept) / ms(raw_time));
    println!("  after a customer write{:>8.1} ms", ms(after_write));
    println!("  raw SQL by tier      {:>10.1} ms", ms(raw_time));
    println!("peak memory of the process (server and client): {}", peak_memory());
}
