//! Bulk upsert throughput: `cargo bench -p server --bench upsert`.
//!
//! Starts the real server on a SQLite file with the bank CRM demo and sends, as the bank's
//! integration user over HTTP, `BENCH_ROWS` customers (100,000) in upserts of
//! `BENCH_BATCH` (1,000) records, each naming its manager and branch by key: first all
//! created, then the same feed again (all unchanged: nothing written). Every record goes
//! through the write pipeline: access, checks, the write, audit, rules, processes. In the
//! same run the baseline: the same rows inserted straight into a copy of the customer
//! table in a fresh SQLite file (WAL, `synchronous=FULL`, as the server's), one
//! transaction and one prepared statement per batch. Prints rows per second and the
//! ratios. Then `BENCH_IMPORT_ROWS` (100,000) other customers written to a CSV file and
//! imported as `trellis import` does it (in batches of 1,000, progress saved with each):
//! rows per second, and the process's resident memory before and at its highest during
//! the import (sampled at every batch). Last the floor: every row the created feed added to
//! any table (customers, audit entries, firings) inserted raw the same way into copies of
//! those tables: what keeping that trail costs SQLite alone.

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

const UPSERT: &str = "/api/v1/apps/bank_crm/forms/customer/records/bulk";
const PASSWORD: &str = "bench password 2026";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// Customer `i` as the feed sends it.
fn customer(i: usize) -> Value {
    json!({
        "customer_no": format!("F{i:08}"), "name": format!("客户{i}"), "mobile": format!("139{:08}", i % 100_000_000),
        "id_number": format!("3101011990{:08}", i), "risk_level": "r3", "annual_income": format!("{}.50", 100_000 + i % 900_000),
        "birthday": "1985-06-15", "opened_on": "2020-01-02",
        "relationship_manager": { "employee_no": if i.is_multiple_of(2) { "E1001" } else { "E1002" } },
        "branch": { "code": if i.is_multiple_of(2) { "SH001" } else { "BJ001" } },
    })
}

/// Signs the bank's integration user in over HTTP.
fn integration_session(addr: &str, admin: &str) -> String {
    let mut client = Client::connect(addr, admin);
    let directory = json!({ "users": [{ "username": "core.banking", "password": PASSWORD, "org_unit": "hq",
        "app_roles": { "bank_crm": ["integration"] } }], "org_units": [{ "key": "hq", "name": "总行" }] });
    let (status, body) = client.request("POST", "/api/v1/directory/import", &directory.to_string());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let login = json!({ "username": "core.banking", "password": PASSWORD }).to_string();
    let (status, body) = client.request("POST", "/api/v1/auth/login", &login);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let session: Value = serde_json::from_slice(&body).expect("json");
    session["token"].as_str().expect("token").to_owned()
}

/// Sends every batch; each upsert's counts of created, updated and unchanged summed.
fn feed(client: &mut Client, rows: usize, batch: usize) -> (Duration, [u64; 3]) {
    let mut counts = [0u64; 3];
    let t = Instant::now();
    for start in (0..rows).step_by(batch) {
        let records: Vec<Value> = (start..(start + batch).min(rows)).map(customer).collect();
        let body = json!({ "key": "customer_no", "records": records }).to_string();
        let (status, answer) = client.request("POST", UPSERT, &body);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer[..answer.len().min(2000)]));
        let answer: Value = serde_json::from_slice(&answer).expect("json");
        for (i, key) in ["created", "updated", "unchanged"].iter().enumerate() {
            counts[i] += answer[key].as_u64().unwrap_or(0);
        }
    }
    (t.elapsed(), counts)
}

/// The same rows straight into a copy of the customer table: one transaction and one
/// prepared statement per batch.
fn raw_inserts(server_db: &std::path::Path, dir: &std::path::Path, rows: usize, batch: usize) -> Duration {
    let server = rusqlite::Connection::open(server_db).expect("open");
    let ddl: String = server
        .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 't_bank_crm_customer'", [], |r| {
            r.get(0)
        })
        .expect("the customer table's DDL");
    let raw = rusqlite::Connection::open(dir.join("raw.db")).expect("raw db");
    raw.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").expect("pragmas");
    raw.execute_batch(&ddl).expect("table");
    let sql = "INSERT INTO t_bank_crm_customer (f_customer_no, f_name, f_mobile, f_id_number, f_risk_level, \
        f_annual_income, f_birthday, f_opened_on, f_relationship_manager, f_branch, _version, _created_at, _updated_at) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?11)";
    let t = Instant::now();
    for start in (0..rows).step_by(batch) {
        let tx = raw.unchecked_transaction().expect("tx");
        {
            let mut stmt = tx.prepare_cached(sql).expect("prepare");
            for i in start..(start + batch).min(rows) {
                let c = customer(i);
                let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
                // Money as integer minor units, as the server stores it on SQLite.
                let income: i64 = text("annual_income").replace('.', "").parse().expect("minor units");
                stmt.execute(rusqlite::params![
                    text("customer_no"),
                    text("name"),
                    text("mobile"),
                    text("id_number"),
                    text("risk_level"),
                    income,
                    text("birthday"),
                    text("opened_on"),
                    (i % 2 + 1) as i64,
                    (i % 2 + 1) as i64,
                    "2026-12-07T00:00:00Z"
                ])
                .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    t.elapsed()
}

/// Each table's highest rowid.
type Marks = Vec<(String, i64)>;

/// Every table's highest rowid now: what a feed adds lies above it.
fn marks(db: &std::path::Path) -> Marks {
    let c = rusqlite::Connection::open(db).expect("open");
    let mut names =
        c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").expect("tables");
    let names: Vec<String> = names.query_map([], |r| r.get(0)).expect("tables").map(|n| n.expect("name")).collect();
    names
        .into_iter()
        .map(|n| {
            let mark = c.query_row(&format!("SELECT coalesce(max(rowid), 0) FROM \"{n}\""), [], |r| r.get(0));
            (n, mark.expect("max rowid"))
        })
        .collect()
}

/// The floor: every row the created feed added to any table (the customers, their audit
/// entries, the rules' firings and whatever else the pipeline keeps), inserted straight
/// into copies of those tables (the server's own DDL, indexes and triggers) in a fresh
/// SQLite file: one transaction per batch, one prepared statement per table. What any
/// implementation keeping that audit trail and those firings must at least write. Answers
/// the time and the rows each table got.
fn raw_floor(
    server_db: &std::path::Path,
    dir: &std::path::Path,
    (from, to): (&Marks, &Marks),
    batches: usize,
) -> (Duration, Vec<(String, usize)>) {
    use rusqlite::types::Value as Cell;
    let server = rusqlite::Connection::open(server_db).expect("open");
    let floor = rusqlite::Connection::open(dir.join("floor.db")).expect("floor db");
    floor.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").expect("pragmas");
    let mut ddl = server
        .prepare(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type <> 'table'",
        )
        .expect("ddl");
    for sql in ddl.query_map([], |r| r.get::<_, String>(0)).expect("ddl") {
        floor.execute_batch(&sql.expect("sql")).expect("the server's DDL");
    }
    let mut added: Vec<(String, usize, Vec<Vec<Cell>>)> = Vec::new();
    for ((table, mark), (_, end)) in from.iter().zip(to) {
        let sql = format!("SELECT * FROM \"{table}\" WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid");
        let mut select = server.prepare(&sql).expect("select");
        let width = select.column_count();
        let rows: Vec<Vec<Cell>> = select
            .query_map([mark, end], |r| (0..width).map(|i| r.get::<_, Cell>(i)).collect())
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect();
        if !rows.is_empty() {
            added.push((table.clone(), width, rows));
        }
    }
    let t = Instant::now();
    for b in 0..batches {
        let tx = floor.unchecked_transaction().expect("tx");
        for (table, width, rows) in &added {
            let places = (1..=*width).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
            let mut insert = tx.prepare_cached(&format!("INSERT INTO \"{table}\" VALUES ({places})")).expect("prepare");
            let chunk = rows.len().div_ceil(batches);
            for row in rows.iter().skip(b * chunk).take(chunk) {
                insert.execute(rusqlite::params_from_iter(row.iter())).expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    (t.elapsed(), added.into_iter().map(|(t, _, rows)| (t, rows.len())).collect())
}

/// The process's resident memory now (`VmRSS`), in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The highest resident memory seen at each batch of an import.
struct Sampled {
    highest: u64,
    refused: u64,
}

impl server::imports::Progress for Sampled {
    fn started(&mut self, _ignored: &[String], _resumed_at: u64) {}
    fn advanced(&mut self, _rows_done: u64, _counts: &server::imports::Counts) {
        self.highest = self.highest.max(resident_kib());
    }
    fn refused(&mut self, _row: u64, _cells: &[String], _reasons: &str) -> Result<(), server::error::Error> {
        self.refused += 1;
        Ok(())
    }
}

/// `rows` customers written to a CSV file and imported in-process as `trellis import`
/// does it: the time, and resident memory before and at its highest.
fn import(url: &str, dir: &std::path::Path, rows: usize) -> (Duration, u64, u64) {
    use std::io::Write;
    let path = dir.join("import.csv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("csv"));
        writeln!(out, "customer_no,name,mobile,id_number,risk_level,annual_income,birthday,opened_on,rm,branch_code")
            .expect("header");
        for i in 0..rows {
            let c = customer(10_000_000 + i);
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                text("customer_no"),
                text("name"),
                text("mobile"),
                text("id_number"),
                text("risk_level"),
                text("annual_income"),
                text("birthday"),
                text("opened_on"),
                c["relationship_manager"]["employee_no"].as_str().unwrap_or_default(),
                c["branch"]["code"].as_str().unwrap_or_default()
            )
            .expect("row");
        }
    }
    actix_web::rt::System::new().block_on(async move {
        let core = server::core::Core::new(server::Db::connect(url).await.expect("db"));
        let user = server::auth::user(&core.db.conn, server::auth::Who::Name("core.banking"))
            .await
            .expect("db")
            .expect("the integration user");
        let actor =
            server::audit::Actor { user_id: Some(user.user_id), name: user.username.clone(), via: "import", ip: None };
        let mapping = server::imports::MappingSpec {
            key: "customer_no".into(),
            columns: [("rm", "relationship_manager.employee_no"), ("branch_code", "branch.code")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .into(),
            ..Default::default()
        };
        let (sha256, _) = server::imports::fingerprint(std::fs::File::open(&path).expect("csv")).expect("read");
        let import = server::imports::Import {
            app: "bank_crm",
            form: "customer",
            file_name: "import.csv",
            sha256: &sha256,
            mapping: &mapping,
            dry_run: false,
            job: None,
        };
        let source = server::imports::source::csv(std::io::BufReader::new(std::fs::File::open(&path).expect("csv")))
            .expect("csv");
        let before = resident_kib();
        let mut sampled = Sampled { highest: before, refused: 0 };
        let t = Instant::now();
        let done = server::imports::run(&core, (&user, &actor), &import, source, &mut sampled).await.expect("imported");
        let took = t.elapsed();
        assert_eq!((done.counts.created as usize, sampled.refused), (rows, 0), "every row created");
        (took, before, sampled.highest)
    })
}

fn main() {
    let rows = env_number("BENCH_ROWS", 100_000);
    let imported = env_number("BENCH_IMPORT_ROWS", 100_000);
    let batch = env_number("BENCH_BATCH", 1_000).clamp(1, 10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("upsert.db");
    let (addr, admin) = serve::serve(format!("sqlite://{}", db.display()), |state| async move {
        let bank = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm");
        server::demo::import_path(&state.core, &bank, true, false).await.expect("the bank CRM");
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut client = Client::connect(&addr, &integration_session(&addr, &admin));
    let before_feed = marks(&db);
    let (created_in, created) = feed(&mut client, rows, batch);
    let after_feed = marks(&db);
    assert_eq!(created[0] as usize, rows, "every customer created: {created:?}");
    let (again_in, again) = feed(&mut client, rows, batch);
    assert_eq!(again[2] as usize, rows, "every customer unchanged the second time: {again:?}");
    let raw = raw_inserts(&db, dir.path(), rows, batch);
    let (took, before, highest) = import(&format!("sqlite://{}", db.display()), dir.path(), imported);
    // After the import, so that the rows it holds weigh nothing on the import's memory.
    let (floor, written) = raw_floor(&db, dir.path(), (&before_feed, &after_feed), rows.div_ceil(batch));

    let per_second = |d: Duration| rows as f64 / d.as_secs_f64();
    println!(
        "Trellis bulk upsert benchmark (SQLite; {} cores): {rows} customers in upserts of {batch}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("  created over HTTP     {:>9.0} rows/s  ({:.1} s)", per_second(created_in), created_in.as_secs_f64());
    println!("  sent again, unchanged {:>9.0} rows/s  ({:.1} s)", per_second(again_in), again_in.as_secs_f64());
    println!("  raw SQLite inserts    {:>9.0} rows/s  ({:.1} s)", per_second(raw), raw.as_secs_f64());
    let written: Vec<String> = written.iter().map(|(table, n)| format!("{table} {n}")).collect();
    println!("  raw SQLite, every row the created feed wrote ({})", written.join(", "));
    println!("                        {:>9.0} rows/s  ({:.1} s)", per_second(floor), floor.as_secs_f64());
    println!(
        "  created: {:.3} of raw; unchanged: {:.3} of raw; every row written raw: {:.3} of raw",
        raw.as_secs_f64() / created_in.as_secs_f64(),
        raw.as_secs_f64() / again_in.as_secs_f64(),
        raw.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "  import of {imported} rows from CSV {:>5.0} rows/s  ({:.1} s); resident memory {} MiB before, at most {} MiB during",
        imported as f64 / took.as_secs_f64(),
        took.as_secs_f64(),
        before / 1024,
        highest / 1024
    );
}
