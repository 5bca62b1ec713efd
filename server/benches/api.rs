//! The storage and API benchmark: `cargo bench -p server --bench api`.
//!
//! Starts the real server on a SQLite file and measures, over one keep-alive HTTP
//! connection, single-record POST throughput and the median latency of a filtered,
//! paginated list at 100,000 and 1,000,000 rows. In the same run it does the same insert
//! and query directly on SQLite (rusqlite, same pragmas: WAL, synchronous=FULL) as the
//! baseline, and prints each figure as a ratio against it.
//! Requests carry the session of an administrator signed in at start; the list is timed
//! once more with an API token (read access), the way an integrator reads. Each figure is
//! split into shares: HTTP and sign-in (the median of `GET /api/v1/auth/me`, which does
//! nothing else), the database (the same statement through the driver alone) and the rest,
//! Trellis' own work (access, checks, audit, rules, JSON).
//! `BENCH_INSERTS` and `BENCH_ROWS` (comma-separated) scale it down for a quick look.

#[path = "common/allocator.rs"]
mod allocator;

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use server::Db;

#[path = "api/client.rs"]
mod client;
mod common;
#[path = "api/deep.rs"]
mod deep;
#[path = "common/serve.rs"]
mod serve;

use client::Client;

const FILTER: &str = "tier:eq:hnw,aum:gte:5000000";
const RAW_QUERY: &str = "SELECT id, _version, _created_at, _updated_at, f_name, f_aum, f_tier, f_branch, f_birthday \
     FROM t_bench_customer WHERE f_tier = ?1 AND f_aum >= ?2 ORDER BY f_aum DESC NULLS LAST, id ASC LIMIT 51";
const LIST_SAMPLES: usize = 200;

/// One row of RAW_QUERY, read into owned values as a client would.
#[allow(dead_code)]
struct RawRow {
    id: i64,
    version: i64,
    created_at: String,
    updated_at: String,
    name: String,
    aum: i64,
    tier: String,
    branch: String,
    birthday: String,
}

impl RawRow {
    fn read(r: &rusqlite::Row) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            id: r.get(0)?,
            version: r.get(1)?,
            created_at: r.get(2)?,
            updated_at: r.get(3)?,
            name: r.get(4)?,
            aum: r.get(5)?,
            tier: r.get(6)?,
            branch: r.get(7)?,
            birthday: r.get(8)?,
        })
    }
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name).unwrap_or_else(|_| default.into()).split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn bundle() -> serde_json::Value {
    let l = |t: &str| json!({ "zh-CN": t, "en": t });
    let tiers = ["hnw", "affluent", "mass", "potential"].map(|t| json!({ "value": t, "label": l(t) }));
    json!({ "key": "bench", "name": l("Bench"), "forms": [{ "key": "customer", "label": l("Customer"), "fields": [
        { "key": "name", "type": "text", "label": l("Name"), "required": true },
        { "key": "aum", "type": "decimal", "scale": 2, "label": l("AUM"), "index": true },
        { "key": "tier", "type": "single_select", "options": tiers, "label": l("Tier"), "index": true },
        { "key": "branch", "type": "text", "label": l("Branch") },
        { "key": "birthday", "type": "date", "label": l("Birthday") }
    ]}]})
}

/// The i-th synthetic customer: (name, aum in cents, tier, branch, birthday).
fn customer(i: usize) -> (String, i64, &'static str, String, String) {
    let (aum_cents, tier) = common::aum_and_tier(i);
    (
        format!("customer {i}"),
        aum_cents,
        tier,
        format!("branch {}", i % 40),
        format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28),
    )
}

fn raw_connection(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open sqlite");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "FULL").expect("sync");
    conn.busy_timeout(Duration::from_secs(30)).expect("busy timeout");
    conn
}

fn raw_schema(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "CREATE TABLE t_bench_customer (id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL, _created_at TEXT NOT NULL,
           _updated_at TEXT NOT NULL, f_name TEXT, f_aum INTEGER, f_tier TEXT, f_branch TEXT, f_birthday TEXT);
         CREATE INDEX ix_aum ON t_bench_customer (f_aum); CREATE INDEX ix_tier ON t_bench_customer (f_tier);",
    )
    .expect("schema");
}

/// Where a request's `total` time goes, given the time of HTTP and sign-in alone and of
/// the database alone, as a line of percentages.
fn shares(total: Duration, http: Duration, database: Duration) -> String {
    let (t, h, d) = (total.as_secs_f64(), http.as_secs_f64(), database.as_secs_f64());
    let pct = |x: f64| 100.0 * x / t;
    format!(
        "shares: HTTP and sign-in {:.0}%, the database {:.0}%, Trellis' own work {:.0}%",
        pct(h),
        pct(d),
        pct((t - h - d).max(0.0))
    )
}

/// The median time of `GET /api/v1/auth/me` over one connection: HTTP and sign-in alone
/// (an app's token is refused there once it is recognised, which is as far as it goes).
fn http_alone(addr: &str, token: &str) -> Duration {
    let mut client = Client::connect(addr, token);
    let mut samples = Vec::with_capacity(LIST_SAMPLES);
    for _ in 0..LIST_SAMPLES {
        let t = Instant::now();
        let (status, body) = client.request("GET", "/api/v1/auth/me", "");
        assert!(status == 200 || status == 403, "{status}: {}", String::from_utf8_lossy(&body));
        samples.push(t.elapsed());
    }
    median(samples)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let inserts = env_list("BENCH_INSERTS", "10000")[0];
    let sizes = env_list("BENCH_ROWS", "100000,1000000");
    let dir = tempfile::tempdir().expect("temp dir");
    let api_db = dir.path().join("api.db");
    let raw_db = dir.path().join("raw.db");

    // The server, its bundle imported and published.
    let url = format!("sqlite://{}", api_db.display());
    let (addr, session) = serve::serve(url, |state| async move {
        let system = server::audit::Actor::system();
        server::publish::import(&state.db, &bundle(), &system, chrono::Utc::now()).await.expect("import");
        server::publish::publish(&state.db, "bench", &system, chrono::Utc::now()).await.expect("publish");
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err()
        || Client::connect(&addr, &session).request("GET", "/api/v1/apps/bench/forms/customer/records?limit=1", "").0
            != 200
    {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, made) = Client::connect(&addr, &session).request(
        "POST",
        "/api/v1/tokens",
        &json!({ "name": "bench feed", "app": "bench", "access": "read", "expires_in_days": 1 }).to_string(),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&made));
    let made: serde_json::Value = serde_json::from_slice(&made).expect("token");
    let api_token = made["token"].as_str().expect("token").to_owned();

    println!(
        "Trellis storage/API benchmark (SQLite, WAL, synchronous=FULL; {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();

    // Inserts: API (one record per POST, one transaction each) vs raw autocommit inserts.
    let raw = raw_connection(&raw_db);
    raw_schema(&raw);
    let start = Instant::now();
    {
        let mut stmt = raw
            .prepare("INSERT INTO t_bench_customer (_version, _created_at, _updated_at, f_name, f_aum, f_tier, f_branch, f_birthday) VALUES (1, ?1, ?1, ?2, ?3, ?4, ?5, ?6)")
            .expect("prepare");
        for i in 0..inserts {
            let (name, aum, tier, branch, birthday) = customer(i);
            stmt.execute(rusqlite::params!["2026-11-28T00:00:00.000000Z", name, aum, tier, branch, birthday])
                .expect("insert");
        }
    }
    let raw_rate = inserts as f64 / start.elapsed().as_secs_f64();

    // The same autocommit insert through sea-orm on sqlx, into a third database file.
    let driver_db = dir.path().join("driver.db");
    raw_schema(&raw_connection(&driver_db));
    let driver_runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let driver_insert =
        driver_runtime.block_on(Db::connect(&format!("sqlite://{}", driver_db.display()))).expect("driver connection");
    let start = Instant::now();
    driver_runtime.block_on(async {
        use sea_orm::{ConnectionTrait, Statement, Value as V};
        for i in 0..inserts {
            let (name, aum, tier, branch, birthday) = customer(i);
            let stmt = Statement::from_sql_and_values(
                sea_orm::DbBackend::Sqlite,
                "INSERT INTO t_bench_customer (_version, _created_at, _updated_at, f_name, f_aum, f_tier, f_branch, f_birthday) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                [
                    V::from("2026-11-28T00:00:00.000000Z"),
                    V::from("2026-11-28T00:00:00.000000Z"),
                    V::from(name),
                    V::from(aum),
                    V::from(tier),
                    V::from(branch),
                    V::from(birthday),
                ],
            );
            driver_insert.conn.execute_raw(stmt).await.expect("driver insert");
        }
    });
    let driver_rate = inserts as f64 / start.elapsed().as_secs_f64();
    // The server closes idle keep-alive connections; the baselines above take a while.
    let mut client = Client::connect(&addr, &session);
    let start = Instant::now();
    for i in 0..inserts {
        let (name, aum, tier, branch, birthday) = customer(i);
        let body = json!({ "name": name, "aum": format!("{}.{:02}", aum / 100, aum % 100), "tier": tier, "branch": branch, "birthday": birthday }).to_string();
        let (status, response) = client.request("POST", "/api/v1/apps/bench/forms/customer/records", &body);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&response));
    }
    let api_rate = inserts as f64 / start.elapsed().as_secs_f64();
    println!("single-record inserts ({inserts}):");
    println!("  raw SQLite  {raw_rate:>10.0} rows/s");
    println!("  sea-orm/sqlx{driver_rate:>10.0} rows/s   ratio {:.2} (the driver alone)", driver_rate / raw_rate);
    println!("  Trellis API {api_rate:>10.0} rows/s   ratio {:.2} (target >= 0.33)", api_rate / raw_rate);
    let per = |rate: f64| Duration::from_secs_f64(1.0 / rate);
    println!("  {}", shares(per(api_rate), http_alone(&addr, &session), per(driver_rate)));
    println!();

    // Lists: bulk-load both tables to each size, then time the same filtered first page.
    let api = raw_connection(&api_db);
    let driver_runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let driver =
        driver_runtime.block_on(Db::connect(&format!("sqlite://{}", raw_db.display()))).expect("driver connection");
    let mut loaded = inserts;
    for &rows in &sizes {
        for (conn, already) in [(&raw, loaded), (&api, loaded)] {
            let tx = conn.unchecked_transaction().expect("tx");
            {
                let mut stmt = tx
                    .prepare("INSERT INTO t_bench_customer (_version, _created_at, _updated_at, f_name, f_aum, f_tier, f_branch, f_birthday) VALUES (1, ?1, ?1, ?2, ?3, ?4, ?5, ?6)")
                    .expect("prepare");
                for i in already..rows {
                    let (name, aum, tier, branch, birthday) = customer(i);
                    stmt.execute(rusqlite::params!["2026-11-28T00:00:00.000000Z", name, aum, tier, branch, birthday])
                        .expect("insert");
                }
            }
            tx.commit().expect("commit");
            conn.execute_batch("ANALYZE").expect("analyze");
        }
        loaded = rows.max(loaded);
        let mut raw_samples = Vec::with_capacity(LIST_SAMPLES);
        let mut stmt = raw.prepare(RAW_QUERY).expect("prepare query");
        for _ in 0..LIST_SAMPLES {
            let t = Instant::now();
            let rows: Vec<RawRow> = stmt
                .query_map(rusqlite::params!["hnw", 500_000_000i64], RawRow::read)
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(rows.len(), 51);
            raw_samples.push(t.elapsed());
        }
        // The same SQL through sea-orm on sqlx, the driver the server uses: the cost of the
        // driver alone, without HTTP, checks or JSON.
        let driver_median = driver_runtime.block_on(async {
            use sea_orm::{ConnectionTrait, Statement, Value as V};
            let mut samples = Vec::with_capacity(LIST_SAMPLES);
            for _ in 0..LIST_SAMPLES {
                let stmt = Statement::from_sql_and_values(
                    sea_orm::DbBackend::Sqlite,
                    RAW_QUERY.replace("?1", "?").replace("?2", "?"),
                    [V::String(Some("hnw".into())), V::BigInt(Some(500_000_000))],
                );
                let t = Instant::now();
                let rows = driver.conn.query_all_raw(stmt).await.expect("driver query");
                assert_eq!(rows.len(), 51);
                samples.push(t.elapsed());
            }
            median(samples)
        });
        // The server closes idle keep-alive connections; the bulk load above takes longer.
        let path = format!("/api/v1/apps/bench/forms/customer/records?filter={FILTER}&sort=-aum&limit=50");
        let list_median = |token: &str| {
            let mut client = Client::connect(&addr, token);
            let mut samples = Vec::with_capacity(LIST_SAMPLES);
            for _ in 0..LIST_SAMPLES {
                let t = Instant::now();
                let (status, body) = client.request("GET", &path, "");
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                samples.push(t.elapsed());
            }
            median(samples)
        };
        let (raw_median, api_median, token_median) =
            (median(raw_samples), list_median(&session), list_median(&api_token));
        println!("filtered list, first page of 50 (`{FILTER}`, sort -aum) at {rows} rows, median of {LIST_SAMPLES}:");
        println!("  raw SQLite  {:>10.1} µs", raw_median.as_secs_f64() * 1e6);
        println!(
            "  sea-orm/sqlx{:>10.1} µs   ratio {:.2} (the driver alone)",
            driver_median.as_secs_f64() * 1e6,
            driver_median.as_secs_f64() / raw_median.as_secs_f64()
        );
        println!(
            "  Trellis API {:>10.1} µs   ratio {:.2} (target <= 2.0)",
            api_median.as_secs_f64() * 1e6,
            api_median.as_secs_f64() / raw_median.as_secs_f64()
        );
        println!(
            "  with a token{:>10.1} µs   ratio {:.2} (an API token instead of a session)",
            token_median.as_secs_f64() * 1e6,
            token_median.as_secs_f64() / raw_median.as_secs_f64()
        );
        println!("  {}", shares(api_median, http_alone(&addr, &session), driver_median));
        println!("  with a token, {}", shares(token_median, http_alone(&addr, &api_token), driver_median));
        println!();
        deep::deep_pages(&addr, &session, &api, rows);
    }
    deep::export(&addr, &session, &api, loaded);
}
