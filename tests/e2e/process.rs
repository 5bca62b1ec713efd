//! Starting and stopping a real `trellis serve`, and a minimal HTTP/1.1 client, so these
//! tests use nothing the product does not.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `trellis` binary cargo built next to this test binary. `cargo nextest run
/// --workspace` (the README's test command) rebuilds it; `-p tests` alone does not.
pub fn trellis() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target directory");
    let bin = dir.join("trellis");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (cargo nextest run --workspace builds it)",
        bin.display()
    );
    bin
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub struct Server {
    child: Child,
    /// Where it listens, as it says once it is bound (see [`Server::addr`]).
    bound: std::sync::OnceLock<String>,
    said: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
    /// The administrator's session token, once signed in.
    token: std::sync::Mutex<Option<String>>,
}

/// The administrator's password every server in these tests is started with.
pub const ADMIN_PASSWORD: &str = "e2e admin password";

/// The instant servers on a virtual clock start at: `TRELLIS_TEST_NOW` (RFC 3339), else
/// 08:00 on Tuesday 1 December 2026 in Shanghai, as in the server's own tests. CI runs the
/// suites that work with dates at a second instant too.
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    let text = std::env::var("TRELLIS_TEST_NOW").unwrap_or_else(|_| "2026-12-01T00:00:00Z".into());
    text.parse().unwrap_or_else(|_| panic!("TRELLIS_TEST_NOW is not an RFC 3339 instant: {text}"))
}

impl Server {
    /// Starts `trellis serve` on a free port and waits until /healthz answers.
    pub fn start(db: &str, extra: &[&str]) -> Server {
        let server = Server::spawn(db, extra);
        server.wait_healthy();
        server
    }

    /// `start`, with what the server prints to standard error kept in the file `log`.
    pub fn start_logged(db: &str, extra: &[&str], log: &std::path::Path) -> Server {
        let file = std::fs::File::create(log).expect("a log file");
        let server = Server::spawn_with(&repo_root(), db, extra, Box::new(file));
        server.wait_healthy();
        server
    }

    /// `start`, run from the folder `cwd` (not the repository).
    pub fn start_in(cwd: &std::path::Path, db: &str, extra: &[&str]) -> Server {
        let server = Server::spawn_with(cwd, db, extra, Box::new(std::io::stderr()));
        server.wait_healthy();
        server
    }

    /// Starts `trellis serve` on a free port without waiting for it.
    pub fn spawn(db: &str, extra: &[&str]) -> Server {
        Server::spawn_with(&repo_root(), db, extra, Box::new(std::io::stderr()))
    }

    /// The server on port 0, so the system gives it a free port (a port found free by the
    /// test and handed over could be taken meanwhile by another test's server); what it
    /// prints goes on to `log`, and the address it says it listens on to [`Server::addr`].
    fn spawn_with(cwd: &std::path::Path, db: &str, extra: &[&str], mut log: Box<dyn Write + Send>) -> Server {
        let mut child = Command::new(trellis())
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0", "--workers", "1"])
            .args(extra)
            .env("TRELLIS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // Channel secrets are sealed with a key from the configuration (a test's own).
            .env("TRELLIS_SECRET_KEY", "dGVzdHMnIG93biBrZXksIDMyIGJ5dGVzIGxvbmcuLi4=")
            // Due work is looked for every 200 ms, so tests need not wait 20 s.
            .env("TRELLIS_TICK_MS", "200")
            .current_dir(cwd)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("trellis starts");
        let stderr = child.stderr.take().expect("its standard error");
        let (tell, said) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tell.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
                let _ = writeln!(log, "{line}");
            }
        });
        Server {
            child,
            bound: std::sync::OnceLock::new(),
            said: std::sync::Mutex::new(said),
            token: std::sync::Mutex::new(None),
        }
    }

    /// The address the server listens on, once it has said so (within a minute).
    pub fn addr(&self) -> &str {
        self.bound.get_or_init(|| {
            let said = self.said.lock().expect("its words");
            said.recv_timeout(Duration::from_secs(60)).expect("trellis says where it listens within a minute")
        })
    }

    pub fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        self.addr();
        while Instant::now() < deadline {
            if matches!(self.try_request("GET", "/healthz", None, None), Ok((200, _))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("trellis did not become healthy on {}", self.addr());
    }

    /// Kills the process outright, as a crash or a power cut would.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    /// A request as the administrator (signed in on first use).
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let token = self.token();
        self.try_request(method, path, body, Some(&token)).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A request with `token` (another user's session).
    pub fn request_as(&self, token: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.try_request(method, path, body, Some(token)).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.try_request(method, path, body, None).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    fn token(&self) -> String {
        let mut token = self.token.lock().expect("token");
        if token.is_none() {
            let login = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD });
            let (status, body) = self.anonymous("POST", "/api/v1/auth/login", Some(&login));
            assert_eq!(status, 200, "signing in: {body}");
            *token = body["token"].as_str().map(str::to_owned);
        }
        token.clone().expect("a token")
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> std::io::Result<(u16, Value)> {
        let payload = body.map(Value::to_string).unwrap_or_default();
        let (status, text) = self.send_raw(method, path, &payload, token)?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// One request with a body as given, on a connection of its own: the status and the
    /// body's text. An error means the server dropped the connection (or is gone).
    pub fn send_raw(
        &self,
        method: &str,
        target: &str,
        body: &str,
        token: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        self.send_at_version(method, target, body, token, 1)
    }

    /// A PATCH of the record at `path` as it stands at `version`, as the administrator.
    pub fn patch(&self, path: &str, version: i64, body: &Value) -> (u16, Value) {
        let token = self.token();
        let (status, text) = self
            .send_at_version("PATCH", path, &body.to_string(), Some(&token), version)
            .unwrap_or_else(|e| panic!("PATCH {path}: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn send_at_version(
        &self,
        method: &str,
        target: &str,
        body: &str,
        token: Option<&str>,
        version: i64,
    ) -> std::io::Result<(u16, String)> {
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        // A record's change names the version it read; other requests name none (a draft
        // saved with If-Match lands only over that revision).
        let matching = if method == "PATCH" { format!("If-Match: \"{version}\"\r\n") } else { String::new() };
        let headers = format!("{auth}Content-Type: application/json\r\n{matching}");
        self.exchange(method, target, &headers, body).map(|answer| (answer.status, answer.body))
    }

    /// One request with the header lines given (each ending in CRLF) and its body, on a
    /// connection of its own: the whole answer.
    pub fn exchange(&self, method: &str, target: &str, headers: &str, body: &str) -> std::io::Result<Answer> {
        let mut stream = TcpStream::connect(self.addr())?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            self.addr(),
            body.len()
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no response"));
        };
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Ok(Answer { status, headers, body: body.to_owned() })
    }

    /// The administrator's session token.
    pub fn admin_token(&self) -> String {
        self.token()
    }
}

/// An answer as it came: its status, its headers (names in lower case) and its body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The value of header `name`, if the answer has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL database for one test, dropped at the end.
pub struct PgDb {
    pub url: String,
    name: String,
}

fn psql(sql: &str) {
    let server = std::env::var("TRELLIS_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let status = Command::new("psql").args([&format!("{server}/postgres"), "-qc", sql]).status().expect("psql runs");
    assert!(status.success(), "psql failed: {sql}");
}

impl PgDb {
    /// The single value `sql` gives in this database, as psql prints it.
    pub fn value(&self, sql: &str) -> String {
        let out = Command::new("psql").args([&self.url, "-tAc", sql]).output().expect("psql runs");
        assert!(out.status.success(), "psql failed: {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn new() -> PgDb {
        let name = format!("trellis_e2e_{}_{}", std::process::id(), rand::random::<u32>());
        psql(&format!("CREATE DATABASE {name}"));
        let server = std::env::var("TRELLIS_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        PgDb { url: format!("{server}/{name}"), name }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}
