//! The test harness: a fresh database per test (a temporary SQLite file, or a new
//! PostgreSQL database), the real app factory, and small request helpers.

use std::path::PathBuf;

use actix_http::Request;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::{App, test};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use server::{AppState, Db, configure};

/// Runs each named async test function against both backends.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    super::$name(crate::support::Backend::Sqlite).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$name(crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}
pub(crate) use both_backends;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

/// The PostgreSQL server tests use; CI starts it at this address.
fn pg_server() -> String {
    std::env::var("TRELLIS_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("trellis.db").display());
                TestDb { url, _dir: Some(dir), pg_name: None }
            }
            Backend::Postgres => {
                let name = format!("trellis_t_{}_{}", std::process::id(), rand::random::<u32>());
                let admin = Database::connect(format!("{}/postgres", pg_server()))
                    .await
                    .expect("PostgreSQL must answer at TRELLIS_TEST_PG");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                admin.close().await.ok();
                TestDb { url: format!("{}/{name}", pg_server()), _dir: None, pg_name: Some(name) }
            }
        }
    }

    /// Drops a PostgreSQL test database; SQLite files go with their temporary folder.
    pub async fn finish(self) {
        if let Some(name) = &self.pg_name {
            let admin = Database::connect(format!("{}/postgres", pg_server())).await.expect("PostgreSQL");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop test database");
        }
    }
}

/// Every problem answer carries a code of the one table, with the status it lists.
pub fn assert_listed_code(status: u16, body: &Value) {
    let code = body["code"].as_str().unwrap_or_default();
    let listed = server::error::codes().into_iter().find(|(_, name, _)| *name == code);
    match listed {
        Some((listed, _, _)) => {
            assert!(listed == status || listed == 0, "`{code}` is listed as {listed}, answered {status}: {body}")
        }
        None => panic!("the code `{code}` ({status}) is not in the table of codes: {body}"),
    }
}

/// Every answer a platform route gives has its status in the route's documented answers:
/// a client generated from the document (and schemathesis in CI) must meet no other.
pub fn assert_documented(method: &str, uri: &str, status: u16) {
    let Some(operation) = server::api::operation_of(method, uri) else { return };
    let answers = operation["responses"].as_object().expect("responses");
    assert!(
        answers.contains_key(&status.to_string()),
        "{method} {uri} answered {status}, which its operation does not document ({:?})",
        answers.keys().collect::<Vec<_>>()
    );
}

/// A response as the tests read it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// The paths of a problem's `errors`, in order.
    pub fn error_paths(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| format!("{} {}", e["path"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or("")))
            .collect()
    }
}

pub struct Env<S> {
    pub db: TestDb,
    pub state: std::sync::Arc<AppState>,
    svc: S,
    /// The administrator's session token, sent with every request unless the request
    /// carries its own `authorization` header.
    pub token: String,
}

/// The test administrator's password.
pub const ADMIN_PASSWORD: &str = "test admin password";

pub async fn start(
    backend: Backend,
) -> Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start_with(backend, server::auth::throttle::Limits::default()).await
}

/// `start`, with the sign-in rate limits given.
pub async fn start_with(
    backend: Backend,
    limits: server::auth::throttle::Limits,
) -> Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start_full(backend, limits, None, server::clock::Clock::at(test_now()), |_| {}).await
}

/// `start`, with the server's core set as `tweak` says (its report limits).
pub async fn start_tweaked(
    backend: Backend,
    tweak: fn(&mut server::core::Core),
) -> Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start_full(backend, server::auth::throttle::Limits::default(), None, server::clock::Clock::at(test_now()), tweak)
        .await
}

/// The instant every test starts at: `TRELLIS_TEST_NOW` (RFC 3339), else 08:00 on Tuesday
/// 1 December 2026 in Shanghai. No test reads the wall clock, so none depends on the day
/// it runs; CI runs the suites that work with dates at a second instant too.
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    let text = std::env::var("TRELLIS_TEST_NOW").unwrap_or_else(|_| "2026-12-01T00:00:00Z".into());
    engine_form::parse_instant(&text).unwrap_or_else(|| panic!("TRELLIS_TEST_NOW is not an RFC 3339 instant: {text}"))
}

/// The date in Shanghai (the bank CRM's zone) `days` after the test's start.
pub fn day(days: i64) -> chrono::NaiveDate {
    test_now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + chrono::Duration::days(days)
}

/// That day at `hour:minute` in Shanghai, as an instant.
pub fn day_at(days: i64, hour: u32, minute: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let local = day(days).and_hms_opt(hour, minute, 0).expect("a time of day");
    chrono_tz::Asia::Shanghai.from_local_datetime(&local).single().expect("Shanghai has no gaps").to_utc()
}

/// The SQL statements a server ran, in order, as `start_observed` records them.
pub type Statements = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// `start`, recording every SQL statement the server runs.
pub async fn start_observed(
    backend: Backend,
) -> (Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>>, Statements) {
    let statements = Statements::default();
    let clock = server::clock::Clock::at(test_now());
    let env =
        start_full(backend, server::auth::throttle::Limits::default(), Some(statements.clone()), clock, |_| {}).await;
    (env, statements)
}

/// `start`, on a virtual clock standing at `at`: the test moves it with `POST /api/v1/clock`.
pub async fn start_at(
    backend: Backend,
    at: chrono::DateTime<chrono::Utc>,
) -> Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start_full(backend, server::auth::throttle::Limits::default(), None, server::clock::Clock::at(at), |_| {}).await
}

/// `start`, on the machine's clock: only for a test that no time passes in (that a wall
/// clock cannot be moved).
pub async fn start_on_wall_clock(
    backend: Backend,
) -> Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    start_full(backend, server::auth::throttle::Limits::default(), None, server::clock::Clock::wall(), |_| {}).await
}

async fn start_full(
    backend: Backend,
    limits: server::auth::throttle::Limits,
    observed: Option<Statements>,
    clock: server::clock::Clock,
    tweak: fn(&mut server::core::Core),
) -> Env<impl Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> {
    // Internal errors are logged, not returned: show them in a failing test's output.
    let _ = tracing_subscriber::fmt().with_env_filter("warn").with_test_writer().try_init();
    let db = TestDb::new(backend).await;
    let mut database = Db::connect(&db.url).await.expect("connect");
    if let Some(log) = observed {
        database.conn.set_metric_callback(move |info| {
            log.lock().expect("statements").push(info.statement.sql.clone());
        });
    }
    let mut core = server::core::Core::with_clock(database, clock);
    tweak(&mut core);
    let state = AppState::of(core, limits);
    let svc = test::init_service(App::new().configure(configure(state.clone()))).await;
    let now = state.clock.now();
    server::auth::create_user(&state.db.conn, "admin", ADMIN_PASSWORD, "administrator", now).await.expect("admin");
    let (token, _) = server::auth::login(&state.db.conn, "admin", ADMIN_PASSWORD, server::auth::wall_now())
        .await
        .expect("signed in");
    Env { db, state, svc, token }
}

pub fn bank_crm() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm")
}

impl<S> Env<S>
where
    S: Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    /// Imports, publishes and seeds the bank CRM example.
    pub async fn with_bank_crm(self) -> Self {
        server::demo::import_path(&self.state, &bank_crm(), true, false).await.expect("bank CRM loads");
        self
    }

    /// Gives the test administrator the bank CRM's compliance role, the role that shows
    /// customers' personal data: administrators see it masked like everyone else unless an
    /// app role shows it.
    pub async fn shows_personal_data(self) -> Self {
        let granted =
            self.put("/api/v1/users/admin", &serde_json::json!({ "app_roles": { "bank_crm": ["compliance"] } })).await;
        assert_eq!(granted.status, 200, "{}", granted.body);
        self
    }

    /// Cancels the processes the seed's records started (seeding goes through the write
    /// pipeline, so its purchases start the follow-up SOP), for tests that count the
    /// timers, jobs and messages of processes of their own.
    pub async fn without_seeded_processes(self) -> Self {
        let running: Vec<i64> = {
            use sea_orm::ConnectionTrait;
            let conn = &self.state.db.conn;
            let sql = "SELECT id FROM trellis_flow_instances WHERE status = 'running' ORDER BY id";
            let rows = conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await;
            rows.expect("instances").iter().map(|r| r.try_get_by_index(0).expect("id")).collect()
        };
        for id in running {
            let cancelled =
                self.post(&format!("/api/v1/apps/bank_crm/instances/{id}/cancel"), &serde_json::json!({})).await;
            assert_eq!(cancelled.status, 200, "{}", cancelled.body);
        }
        self
    }

    /// A GET whose body is taken as it comes, a chunk at a time, by `each` (never held
    /// whole): its status.
    pub async fn get_streamed(&self, uri: &str, headers: &[(&str, &str)], mut each: impl FnMut(&[u8])) -> u16 {
        use actix_web::body::MessageBody;
        let mut req = test::TestRequest::get().uri(uri);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
            req = req.insert_header(("authorization", format!("Bearer {}", self.token)));
        }
        for (k, v) in headers.iter().filter(|(_, v)| !v.is_empty()) {
            req = req.insert_header((*k, *v));
        }
        let res = test::call_service(&self.svc, req.to_request()).await;
        let status = res.status().as_u16();
        let mut body = std::pin::pin!(res.into_body());
        while let Some(chunk) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
            each(&chunk.expect("a chunk of the body"));
        }
        status
    }

    pub async fn send(&self, method: &str, uri: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Resp {
        let mut req = test::TestRequest::default().method(method.parse().expect("method")).uri(uri);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
            req = req.insert_header(("authorization", format!("Bearer {}", self.token)));
        }
        for (k, v) in headers.iter().filter(|(_, v)| !v.is_empty()) {
            req = req.insert_header((*k, *v));
        }
        if let Some(body) = body {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                req = req.insert_header(("content-type", "application/json"));
            }
            req = req.set_payload(body.to_owned());
        }
        let res = test::call_service(&self.svc, req.to_request()).await;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        if status == 500 {
            panic!("{method} {uri} answered 500: {body}");
        }
        if headers.get("content-type").is_some_and(|t| t == "application/problem+json") {
            assert_listed_code(status, &body);
        }
        assert_documented(method, uri, status);
        Resp { status, headers, body }
    }

    /// The server's time: the test's clock, which moves only when the test moves it.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock.now()
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send("GET", uri, None, &[]).await
    }

    pub async fn post(&self, uri: &str, body: &Value) -> Resp {
        self.send("POST", uri, Some(&body.to_string()), &[]).await
    }

    pub async fn put(&self, uri: &str, body: &Value) -> Resp {
        self.send("PUT", uri, Some(&body.to_string()), &[]).await
    }

    pub async fn patch(&self, uri: &str, version: i64, body: &Value) -> Resp {
        self.send("PATCH", uri, Some(&body.to_string()), &[("if-match", &format!("\"{version}\""))]).await
    }

    pub async fn delete(&self, uri: &str) -> Resp {
        self.send("DELETE", uri, None, &[]).await
    }

    pub async fn finish(self) {
        self.state.db.conn.clone().close().await.ok();
        self.db.finish().await;
    }
}

pub fn labels(text: &str) -> Value {
    serde_json::json!({ "zh-CN": text, "en": text })
}
