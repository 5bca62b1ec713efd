//! A list report's export holds every row its filter and parameters give, in its order,
//! within the viewer's rows, audited; read and written a page at a time, so that a million
//! rows are exported in the memory of a page.

use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::reports::{APP, as_user, people, token};
use crate::support::{Backend, Env, both_backends, start};

both_backends!(a_list_reports_export_holds_every_row_in_its_order);

const REPORT: &str = "maturities_30_days";

/// `count` more deposit accounts like the first that matures within 30 days, maturing on
/// each of the next 30 days in turn.
async fn more_maturities<S>(env: &Env<S>, backend: Backend, count: usize) {
    let conn = &env.state.db.conn;
    let table = engine_form::main_table_name("bank_crm", "deposit_account");
    let listed = match backend {
        Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
        Backend::Postgres => {
            format!("SELECT column_name::text FROM information_schema.columns WHERE table_name = '{table}'")
        }
    };
    let columns: Vec<String> = conn
        .query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), listed))
        .await
        .expect("columns")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("name"))
        .filter(|c| c != "id")
        .collect();
    let today = env.state.core.clock.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (series, day) = match backend {
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) SELECT i FROM n"
            ),
            format!("date('{today}', '+' || (n.i % 30) || ' days')"),
        ),
        Backend::Postgres => {
            (format!("SELECT i FROM generate_series(1, {count}) i"), format!("DATE '{today}' + (n.i % 30)::int"))
        }
    };
    let made: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "f_account_no" => "'X' || n.i".to_owned(),
            "f_maturity_date" => day.clone(),
            other => format!("c.{other}"),
        })
        .collect();
    let first = format!(
        "SELECT * FROM {table} WHERE f_maturity_date >= {} ORDER BY id LIMIT 1",
        if backend == Backend::Sqlite { format!("'{today}'") } else { format!("DATE '{today}'") }
    );
    conn.execute_unprepared(&format!(
        "INSERT INTO {table} ({}) SELECT {} FROM ({series}) n, ({first}) c",
        columns.join(", "),
        made.join(", ")
    ))
    .await
    .expect("accounts copied");
    conn.execute_unprepared("ANALYZE").await.expect("analysed");
}

/// The export's lines, read as they come.
async fn exported<S>(env: &Env<S>, username: &str, format: &str) -> (u16, Vec<String>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let token = token(env, username).await;
    let mut bytes = Vec::new();
    let uri = format!("{APP}/reports/{REPORT}?format={format}");
    let status = env.get_streamed(&uri, &[("authorization", &format!("Bearer {token}"))], |b| bytes.extend(b)).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (status, text.lines().map(str::to_owned).collect())
}

async fn a_list_reports_export_holds_every_row_in_its_order(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    more_maturities(&env, backend, 45).await;
    let card = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/{REPORT}"), None).await;
    assert_eq!(card.status, 200, "{}", card.body);
    let shown = card.body["rows"].as_array().expect("rows");
    assert_eq!((shown.len(), &card.body["read"]["count"]), (20, &Value::from(20)), "the card reads its 20 rows");
    let (status, lines) = exported(&env, "hq.manager", "csv").await;
    assert_eq!(status, 200);
    let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 45, "every row, not the card's 20: {}", rows.len());
    // In the report's order: by maturity date, the card's rows first.
    assert!(rows.windows(2).all(|w| w[0][2] <= w[1][2]), "by maturity date");
    for (row, line) in shown.iter().zip(&rows) {
        assert_eq!(row["keys"][1].as_str(), Some(line[1]), "the card's rows lead the file");
    }
    // An RM's file holds his customers' accounts only (the copies are another's).
    let (_, hers) = exported(&env, "wang.lei", "csv").await;
    let her_card = as_user(&env, "wang.lei", "GET", &format!("{APP}/reports/{REPORT}"), None).await;
    assert!(hers.len() < lines.len(), "{} of {}", hers.len(), lines.len());
    let names: Vec<&str> =
        her_card.body["rows"].as_array().expect("rows").iter().filter_map(|r| r["keys"][0].as_str()).collect();
    assert!(hers[1..].iter().all(|l| names.iter().any(|n| l.starts_with(n))), "{hers:?}");
    let (status, _) = exported(&env, "hq.manager", "xlsx").await;
    assert_eq!(status, 200);
    let audit = env.get("/api/v1/audit?action=report.export").await;
    let entries = audit.body["items"].as_array().expect("entries");
    assert_eq!(entries.len(), 3, "each export audited: {}", audit.body);
    assert_eq!(entries.last().expect("first")["detail"]["rows"], Value::from(rows.len()), "{}", audit.body);
    env.finish().await;
}

/// A workbook whose rows pass a sheet's goes on in further sheets, each headed alike.
#[test]
fn rows_past_a_sheet_go_on_in_the_next() {
    use server::reports::{Book, Cell};
    let mut book = Book::with_sheet_rows(vec!["客户".into(), "金额".into()], 3);
    let rows: Vec<Vec<Cell>> = (0..7).map(|i| vec![Cell::text(format!("c{i}")), Cell::text(i.to_string())]).collect();
    book.write(&rows[..5]).expect("written");
    book.write(&rows[5..]).expect("written");
    let bytes = book.finish().expect("a workbook");
    let has = |name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(has("xl/worksheets/sheet3.xml"), "seven rows, three a sheet: three sheets");
    assert!(!has("xl/worksheets/sheet4.xml"), "and no fourth");
}

/// The process's peak resident memory so far, in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|k| k.parse::<u64>().ok()).expect("kB") * 1024
}

#[actix_web::test]
async fn a_million_rows_are_exported_in_the_memory_of_a_page() {
    let backend = Backend::Sqlite;
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    more_maturities(&env, backend, 1_000_000).await;
    let card = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/{REPORT}"), None).await;
    assert_eq!(card.status, 200, "{}", card.body);
    let before = peak_memory();
    let token = token(&env, "hq.manager").await;
    let (mut bytes, mut lines, mut last_day, mut ordered) = (0usize, 0usize, String::new(), true);
    let (mut partial, mut at_tenth) = (Vec::new(), None);
    let uri = format!("{APP}/reports/{REPORT}?format=csv");
    let status = env
        .get_streamed(&uri, &[("authorization", &format!("Bearer {token}"))], |chunk| {
            bytes += chunk.len();
            partial.extend_from_slice(chunk);
            let end = partial.iter().rposition(|b| *b == b'\n').map_or(0, |e| e + 1);
            for line in String::from_utf8_lossy(&partial[..end]).lines() {
                lines += 1;
                if let Some(day) = line.split(',').nth(2).filter(|_| lines > 1) {
                    ordered &= last_day.as_str() <= day;
                    last_day = day.to_owned();
                }
            }
            partial.drain(..end);
            if lines >= 100_000 && at_tenth.is_none() {
                at_tenth = Some(peak_memory());
            }
        })
        .await;
    assert_eq!(status, 200);
    assert!(lines > 1_000_000, "every row: {lines}");
    assert!(ordered, "in the report's order");
    // Memory held in proportion to the rows would grow nine times as much again over the
    // last nine tenths as over the first; held for a page, it grows no more.
    let first = at_tenth.expect("a tenth").saturating_sub(before);
    let rest = peak_memory().saturating_sub(before + first);
    eprintln!(
        "exported {lines} lines, {bytes} bytes; peak memory grew {first} bytes over the first tenth, {rest} over the rest"
    );
    assert!(rest < (bytes as u64) / 20, "{rest} bytes more over the last 900,000 rows (the file: {bytes})");
    env.finish().await;
}
