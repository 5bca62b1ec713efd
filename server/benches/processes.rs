//! The process benchmark: `cargo bench -p server --bench processes`.
//!
//! On a SQLite file, and on PostgreSQL when `BENCH_PG` names a server
//! (`postgres://postgres@127.0.0.1:5432`), it measures
//! 1. processes started and driven to completion per second: a flow of two automatic
//!    steps (notifications to the outbox) and a timer, `BENCH_INSTANCES` (2,000) of them,
//!    each started in its own transaction, then their service steps and timers run by the
//!    job runner (each job in its own transaction);
//! 2. timers fired per second with `BENCH_PENDING` (1,000,000) other timers pending;
//!
//! each beside a baseline in the same run: the same rows written with plain SQL through
//! the same driver (insert an instance and its timer, then delete the timer and update the
//! instance), one transaction per instance as the runner does. Prints the rates and ratios.

#[path = "common/allocator.rs"]
mod allocator;

use std::time::Instant;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::json;
use server::{AppState, Db};

/// A memory figure of this process from /proc/self/status, in KiB (0 where there is none).
fn memory_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(key).and_then(|r| r.trim_start_matches(':').split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn bundle() -> serde_json::Value {
    let l = |t: &str| json!({ "zh-CN": t, "en": t });
    let notify = |id: &str| json!({ "id": id, "type": "service", "action": { "type": "notify", "channel": "in_app", "to": "'ops'", "message": "'step'" } });
    json!({ "key": "bench", "name": l("Bench"),
        "forms": [{ "key": "item", "label": l("Item"), "fields": [{ "key": "name", "type": "text", "label": l("Name") }] }],
        "flows": [{ "key": "two_steps_and_a_timer", "nodes": [
            { "id": "start", "type": "start" }, notify("first"), notify("second"),
            { "id": "wait", "type": "timer", "after": { "minutes": 1 } }, { "id": "end", "type": "end" }],
            "flows": [{ "from": "start", "to": "first" }, { "from": "first", "to": "second" },
                { "from": "second", "to": "wait" }, { "from": "wait", "to": "end" }] }] })
}

async fn exec(state: &AppState, sql: &str) {
    let backend = state.db.conn.get_database_backend();
    state.db.conn.execute_raw(Statement::from_string(backend, sql)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The baseline: per instance, one transaction inserting it and its timer; then per timer
/// one transaction deleting it and updating its instance. Returns the seconds it took.
async fn baseline(state: &AppState, n: usize) -> f64 {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    let stamp = if backend == DbBackend::Postgres {
        "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
    } else {
        "'2026-01-01T00:00:00.000000Z'"
    };
    let start = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let tx = conn.begin().await.expect("tx");
        let insert = format!(
            "INSERT INTO trellis_flow_instances (app, flow, version, status, state, started_at, updated_at) \
             VALUES ('baseline', 'f', 1, 'running', '{{}}', {stamp}, {stamp}) RETURNING id"
        );
        let row = tx.query_one_raw(Statement::from_string(backend, insert)).await.expect("insert").expect("id");
        let id: i64 = row.try_get_by_index(0).expect("id");
        let timer = format!(
            "INSERT INTO trellis_flow_jobs (instance_id, token, due_at, attempts) VALUES ({id}, {i}, {stamp}, 0)"
        );
        tx.execute_raw(Statement::from_string(backend, timer)).await.expect("timer");
        tx.commit().await.expect("commit");
        ids.push(id);
    }
    for id in ids {
        let tx = conn.begin().await.expect("tx");
        let delete = format!("DELETE FROM trellis_flow_jobs WHERE instance_id = {id}");
        tx.execute_raw(Statement::from_string(backend, delete)).await.expect("delete");
        let update = format!("UPDATE trellis_flow_instances SET status = 'completed', state = '{{}}' WHERE id = {id}");
        tx.execute_raw(Statement::from_string(backend, update)).await.expect("update");
        tx.commit().await.expect("commit");
    }
    start.elapsed().as_secs_f64()
}

/// Starts `n` instances, each in its own transaction; then the runner carries out their
/// service steps, then fires their timers. Seconds for each of the three.
async fn processes(state: &AppState, n: usize) -> (f64, f64, f64) {
    let start = Instant::now();
    for _ in 0..n {
        let tx = state.db.conn.begin().await.expect("tx");
        let app = state.catalog.published_for_write(&tx, "bench").await.expect("app");
        server::flows::start(&tx, &app, "two_steps_and_a_timer", None, (None, None), Utc::now()).await.expect("start");
        tx.commit().await.expect("commit");
    }
    let started = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let now = Utc::now();
    let ran = server::flows::run_due_timers(state, now).await.expect("runner");
    assert_eq!(ran, 2 * n, "each service step runs once");
    let steps = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let fired = server::flows::run_due_timers(state, now + Duration::minutes(2)).await.expect("runner");
    assert_eq!(fired, n, "every timer fires once");
    (started, steps, start.elapsed().as_secs_f64())
}

async fn run(label: &str, url: &str) {
    let n = env_number("BENCH_INSTANCES", 2000);
    let pending = env_number("BENCH_PENDING", 1_000_000);
    let state = AppState::new(Db::connect(url).await.expect("connect"));
    let now = Utc::now();
    server::publish::import(&state.db, &bundle(), &server::audit::Actor::system(), now).await.expect("import");
    server::publish::publish(&state.db, "bench", &server::audit::Actor::system(), now).await.expect("publish");

    let base = baseline(&state, n).await;
    let (started, steps, fired) = processes(&state, n).await;
    let ours = started + steps + fired;
    println!("## {label}");
    println!("| | seconds | per second | vs. plain SQL |");
    println!("|---|---|---|---|");
    println!(
        "| plain SQL: insert instance + timer, delete timer + update instance ({n}) | {base:.2} | {:.0} | 1.00x |",
        n as f64 / base
    );
    println!(
        "| processes started and completed (2 service steps + a timer) ({n}) | {ours:.2} | {:.0} | {:.2}x |",
        n as f64 / ours,
        ours / base
    );
    println!("| … of which starting | {started:.2} | {:.0} | |", n as f64 / started);
    println!("| … of which the runner's service steps ({}) | {steps:.2} | {:.0} | |", 2 * n, 2.0 * n as f64 / steps);
    println!("| … of which the runner's timers | {fired:.2} | {:.0} | |", n as f64 / fired);

    // A million timers due far in the future, then `n` due now among them.
    let backend = state.db.conn.get_database_backend();
    let fill = Instant::now();
    let first: i64 = state
        .db
        .conn
        .query_one_raw(Statement::from_string(backend, "SELECT MIN(id) FROM trellis_flow_instances"))
        .await
        .expect("min")
        .expect("row")
        .try_get_by_index(0)
        .expect("id");
    let sql = match backend {
        DbBackend::Postgres => format!(
            "INSERT INTO trellis_flow_jobs (instance_id, token, due_at, attempts) \
             SELECT {first}, 1000000000 + i, TIMESTAMPTZ '2099-01-01 00:00:00+00', 0 FROM generate_series(1, {pending}) i"
        ),
        _ => format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {pending}) \
             INSERT INTO trellis_flow_jobs (instance_id, token, due_at, attempts) \
             SELECT {first}, 1000000000 + i, '2099-01-01T00:00:00.000000Z', 0 FROM s"
        ),
    };
    exec(&state, &sql).await;
    println!("\n{pending} pending timers inserted in {:.1} s", fill.elapsed().as_secs_f64());
    let base = baseline(&state, n).await;
    let before = memory_kib("VmRSS");
    let (_, _, fired) = processes(&state, n).await;
    let after = memory_kib("VmRSS");
    println!("| with {pending} pending | seconds | per second | vs. plain SQL |");
    println!("|---|---|---|---|");
    println!("| plain SQL, as above ({n}) | {base:.2} | {:.0} | |", n as f64 / base);
    println!(
        "| timers fired by the runner ({n}) | {fired:.2} | {:.0} | {:.2}x of the whole plain-SQL cycle |",
        n as f64 / fired,
        fired / base
    );
    println!(
        "\nresident memory across that run (this process, the runner included): {} MiB before, {} MiB after",
        before / 1024,
        after / 1024
    );
    println!();
    state.db.conn.clone().close().await.ok();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    run("SQLite", &format!("sqlite://{}", dir.path().join("processes.db").display())).await;
    if let Ok(server_url) = std::env::var("BENCH_PG") {
        let name = format!("bench_processes_{}", std::process::id());
        let admin = sea_orm::Database::connect(format!("{server_url}/postgres")).await.expect("PostgreSQL");
        admin
            .execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
        run("PostgreSQL", &format!("{server_url}/{name}")).await;
        admin
            .execute_raw(Statement::from_string(DbBackend::Postgres, format!("DROP DATABASE {name} WITH (FORCE)")))
            .await
            .expect("drop database");
    }
}
