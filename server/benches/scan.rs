//! The scheduled-scan benchmark: `cargo bench -p server --bench scan`.
//!
//! Publishes a customer form with three scheduled rules on a SQLite file, fills it with
//! 1,000,000 customers (`BENCH_ROWS` to change), and times the scan of each rule — its
//! condition compiled to SQL, read in keyset batches as a run reads it — against the
//! equivalent hand-written SQL query run once through rusqlite, in the same run, and through
//! sea-orm (the driver Trellis uses), to tell the driver's share from Trellis's. Prints the
//! median of `BENCH_RUNS` (5) runs of each and the ratios.

#[path = "common/allocator.rs"]
mod allocator;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use server::{AppState, Db};

mod common;

/// (rule key, condition, the hand-written SQL that finds the same records).
const RULES: [(&str, &str, &str); 3] = [
    (
        "hnw_over_990m",
        "tier == 'hnw' and aum >= 990000000",
        "SELECT id FROM t_scan_customer WHERE f_tier = 'hnw' AND f_aum >= 99000000000 ORDER BY id",
    ),
    (
        "birthday_today",
        "birthday_today(birthday, 'Asia/Shanghai') and tier in ['hnw', 'affluent']",
        "SELECT id FROM t_scan_customer WHERE substr(f_birthday, 6, 5) = '11-29' AND f_tier IN ('hnw', 'affluent') ORDER BY id",
    ),
    (
        "silent_30_days",
        "tier in ['hnw', 'affluent'] and last_login < add_days(now(), -30)",
        "SELECT id FROM t_scan_customer WHERE f_tier IN ('hnw', 'affluent') AND f_last_login < '2026-10-29T16:30:00.000000Z' ORDER BY id",
    ),
];

/// 00:30 on 29 November 2026 in Shanghai.
const OCCURRENCE: &str = "2026-11-28T16:30:00Z";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn bundle() -> serde_json::Value {
    let l = |t: &str| json!({ "zh-CN": t, "en": t });
    let tiers = ["hnw", "affluent", "mass", "potential"].map(|t| json!({ "value": t, "label": l(t) }));
    let rules: Vec<_> = RULES
        .iter()
        .map(|(key, condition, _)| {
            json!({ "key": key, "condition": condition,
            "trigger": { "on": "schedule", "form": "customer", "cron": "30 0 * * *", "zone": "Asia/Shanghai" } })
        })
        .collect();
    json!({ "key": "scan", "name": l("Scan"), "forms": [{ "key": "customer", "label": l("Customer"), "fields": [
        { "key": "name", "type": "text", "label": l("Name") },
        { "key": "aum", "type": "decimal", "precision": 18, "scale": 2, "label": l("AUM"), "index": true },
        { "key": "tier", "type": "single_select", "options": tiers, "label": l("Tier"), "index": true },
        { "key": "birthday", "type": "date", "label": l("Birthday") },
        { "key": "last_login", "type": "datetime", "label": l("Last login"), "index": true }
    ]}], "rules": rules })
}

fn fill(path: &std::path::Path, rows: usize) {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    let tx = conn.transaction().expect("tx");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO t_scan_customer (_version, _created_at, _updated_at, f_name, f_aum, f_tier, f_birthday, f_last_login) \
                 VALUES (1, ?1, ?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .expect("prepare");
        for i in 0..rows {
            let (cents, tier) = common::aum_and_tier(i);
            let birthday = format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 29);
            let login = format!("2026-{:02}-{:02}T08:00:00.000000Z", 1 + i % 11, 1 + i % 28);
            insert
                .execute(rusqlite::params![
                    "2026-01-01T00:00:00.000000Z",
                    format!("c{i}"),
                    cents,
                    tier,
                    birthday,
                    login
                ])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    conn.execute_batch("ANALYZE").expect("analyze");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rows = env_number("BENCH_ROWS", 1_000_000);
    let runs = env_number("BENCH_RUNS", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scan.db");
    let state = AppState::new(Db::connect(&format!("sqlite://{}", path.display())).await.expect("connect"));
    let now = Utc::now();
    server::publish::import(&state.db, &bundle(), &server::audit::Actor::system(), now).await.expect("import");
    server::publish::publish(&state.db, "scan", &server::audit::Actor::system(), now).await.expect("publish");
    let filled = Instant::now();
    fill(&path, rows);
    println!("{rows} customers inserted in {:.1} s", filled.elapsed().as_secs_f64());
    let occurrence: DateTime<Utc> = OCCURRENCE.parse().expect("occurrence");
    let raw = rusqlite::Connection::open(&path).expect("open");
    println!(
        "| rule | matches | Trellis scan | hand SQL, rusqlite | hand SQL, sea-orm | scan / rusqlite | scan / sea-orm |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (key, _, sql) in RULES {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let mut driver = Vec::new();
        let mut counts = (0, 0);
        for _ in 0..runs {
            let start = Instant::now();
            counts.0 = server::rules::count_matches(&state, "scan", key, occurrence).await.expect("scan");
            ours.push(start.elapsed());
            let start = Instant::now();
            let mut stmt = raw.prepare_cached(sql).expect("prepare");
            let ids: Vec<i64> = stmt.query_map([], |r| r.get(0)).expect("query").map(|r| r.expect("row")).collect();
            counts.1 = ids.len() as u64;
            theirs.push(start.elapsed());
            let start = Instant::now();
            let statement = sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql);
            let found = sea_orm::ConnectionTrait::query_all_raw(&state.db.conn, statement).await.expect("query");
            let ids: Vec<i64> = found.iter().map(|r| r.try_get_by_index(0).expect("id")).collect();
            assert_eq!(ids.len() as u64, counts.1);
            driver.push(start.elapsed());
        }
        assert_eq!(counts.0, counts.1, "{key}: the scan and the hand-written SQL must find the same records");
        let (ours, theirs, driver) = (median(ours), median(theirs), median(driver));
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "| {key} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2}x | {:.2}x |",
            counts.0,
            ms(ours),
            ms(theirs),
            ms(driver),
            ours.as_secs_f64() / theirs.as_secs_f64(),
            ours.as_secs_f64() / driver.as_secs_f64()
        );
    }
}
