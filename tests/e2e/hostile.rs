//! The worst input within every limit, through the real server (a debug build, as README's
//! first command runs it): long chains of each operator, deep nesting of each construct,
//! many filter clauses and `in` values, deep JSON, each also one step past its limit, and
//! the worst of them fifty times at once. Every answer is a 2xx or a 4xx problem; the
//! server never drops a connection and still answers afterwards. And guesses spread over
//! two servers sharing one database still lock the user after five.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::process::{ADMIN_PASSWORD, PgDb, Server};

const APP: &str = "/api/v1/apps/bank_crm";
/// The expression language's limits (`engine_rule::MAX_LENGTH`, `MAX_DEPTH`).
const MAX_LENGTH: usize = 4000;
const MAX_DEPTH: usize = 64;

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `operand op operand op …` with `count` operators, or as many as fit the length limit.
fn chain(operand: &str, op: &str, count: Option<usize>) -> String {
    let fit = (MAX_LENGTH - operand.len()) / (operand.len() + op.len() + 2);
    let n = count.unwrap_or(fit);
    std::iter::repeat_n(operand, n + 1).collect::<Vec<_>>().join(&format!(" {op} "))
}

/// `open` repeated `depth` times around `core`, closed by `close`.
fn nest(open: &str, core: &str, close: &str, depth: usize) -> String {
    format!("{}{core}{}", open.repeat(depth), close.repeat(depth))
}

/// The expressions every route that takes one is sent.
fn expressions(seed: u64) -> Vec<String> {
    let mut out = Vec::new();
    let binary: [(&str, &str, &str); 14] = [
        ("aum > 0", "or", ""),
        ("aum > 0", "and", ""),
        ("aum > 0", "||", ""),
        ("name", "&", "name == "),
        ("aum", "+", "aum > "),
        ("aum", "-", "aum > "),
        ("aum", "*", "aum > "),
        ("aum", "/", "aum > "),
        ("true", "==", ""),
        ("true", "!=", ""),
        ("aum", "<", ""),
        ("aum", ">=", ""),
        ("name", "in", ""),
        ("1", "+", ""),
    ];
    for (operand, op, prefix) in binary {
        for count in [Some(MAX_DEPTH - 2), Some(MAX_DEPTH + 1), None] {
            let text = format!("{prefix}{}", chain(operand, op, count));
            if text.len() <= MAX_LENGTH + 200 {
                out.push(text);
            }
        }
    }
    let nesting: [(&str, &str, &str); 10] = [
        ("(", "aum > 0", ")"),
        ("abs(", "aum", ")"),
        ("round(", "aum", ", 2)"),
        ("coalesce(", "aum", ")"),
        ("if(aum > 0, ", "aum", ", aum)"),
        ("not ", "true", ""),
        ("-", "aum", ""),
        ("[", "1", "]"),
        ("sum(transaction, ", "amount", ")"),
        ("upper(", "name", ")"),
    ];
    for (open, core, close) in nesting {
        let fit = (MAX_LENGTH - core.len()) / (open.len() + close.len());
        for depth in [MAX_DEPTH - 2, MAX_DEPTH + 1, fit, 5000] {
            out.push(nest(open, core, close, depth));
        }
    }
    out.push("'".repeat(MAX_LENGTH));
    out.push(format!("name == '{}'", "客".repeat(MAX_LENGTH - 12)));
    out.push(format!("aum in [{}]", (0..700).map(|i| i.to_string()).collect::<Vec<_>>().join(",")));
    out.push("9".repeat(MAX_LENGTH));
    out.push(format!("aum > {}.{}", "9".repeat(30), "9".repeat(30)));
    // Random mixtures of everything above, up to the length limit.
    let mut rng = StdRng::seed_from_u64(seed);
    let parts = ["aum", "name", "1", "0.5", "null", "true", "tier", "customer_no", "today_in('Asia/Shanghai')"];
    let ops = ["+", "-", "*", "/", "&", "and", "or", "==", "<", "in"];
    let wraps = [("abs(", ")"), ("(", ")"), ("not ", ""), ("coalesce(", ", 1)"), ("round(", ", 2)"), ("-", "")];
    for _ in 0..60 {
        let mut text = parts[rng.random_range(0..parts.len())].to_owned();
        while text.len() < rng.random_range(10..MAX_LENGTH) {
            text = if rng.random_bool(0.6) {
                format!("{text} {} {}", ops[rng.random_range(0..ops.len())], parts[rng.random_range(0..parts.len())])
            } else {
                let (open, close) = wraps[rng.random_range(0..wraps.len())];
                format!("{open}{text}{close}")
            };
        }
        out.push(text);
    }
    out
}

/// Deep JSON: arrays and objects nested `depth` levels.
fn deep_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn assert_answered(server: &Server, what: &str, answer: std::io::Result<(u16, String)>) {
    match answer {
        Ok((status, body)) => {
            assert!((200..500).contains(&status), "{what}: {status} {}", &body[..body.len().min(300)]);
            if status >= 400 {
                assert!(body.contains("\"code\""), "{what}: {status} without a problem body: {body}");
            }
        }
        Err(e) => panic!(
            "{what}: the server dropped the connection ({e}); is it still up? {:?}",
            server.send_raw("GET", "/healthz", "", None)
        ),
    }
}

fn worst_input_is_answered(server: &Server) {
    let token = server.admin_token();
    let t = Some(token.as_str());
    let seed: u64 =
        std::env::var("TRELLIS_HOSTILE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("TRELLIS_HOSTILE_SEED={seed}");
    let mut sent = 0;
    for text in expressions(seed) {
        let shown = format!("{}… ({} characters)", &text.chars().take(40).collect::<String>(), text.len());
        // Past 128 KiB the HTTP layer itself refuses a request head, with a bare 431: those
        // texts go in a body only.
        if text.len() <= 2 * MAX_LENGTH {
            for target in [
                format!("{APP}/forms/customer/records?limit=1&where={}", encode(&text)),
                format!("{APP}/forms/customer/export?where={}", encode(&text)),
            ] {
                assert_answered(server, &format!("GET where={shown}"), server.send_raw("GET", &target, "", t));
                sent += 1;
            }
        }
        let body = json!({ "expression": text, "limit": 5 }).to_string();
        let answer = server.send_raw("POST", &format!("{APP}/forms/customer/evaluate"), &body, t);
        assert_answered(server, &format!("evaluate {shown}"), answer);
        // A report previewed with the text as its fixed filter.
        let report = json!({ "report": { "key": "h", "dataset": { "form": "customer" }, "filter": text,
            "dimensions": [{ "field": "tier" }], "measures": [{ "key": "n", "op": "count" }] } });
        let answer = server.send_raw("POST", &format!("{APP}/reports/preview"), &report.to_string(), t);
        assert_answered(server, &format!("report filter {shown}"), answer);
        sent += 2;
    }
    // Report parameters: 1000 values to an `in`, a value of every length up to the URI's, NUL.
    let tiers = std::iter::repeat_n("hnw", 1000).collect::<Vec<_>>().join("|");
    let many = json!({ "report": { "key": "p", "dataset": { "form": "customer" },
        "parameters": [{ "key": "t", "field": "tier", "op": "in" }], "measures": [{ "key": "n", "op": "count" }] },
        "parameters": { "t": tiers } });
    let answer = server.send_raw("POST", &format!("{APP}/reports/preview"), &many.to_string(), t);
    assert_answered(server, "a report parameter of 1000 values", answer);
    for query in [format!("tier={}", "a".repeat(12_000)), "tier=%00".to_owned(), format!("{}=1", "p".repeat(5000))] {
        let target = format!("{APP}/reports/book?{query}");
        assert_answered(server, "a hostile report parameter", server.send_raw("GET", &target, "", t));
    }
    let clause = "aum:gt:1";
    for count in [100, 101, 1000, 3000] {
        let filter = std::iter::repeat_n(clause, count).collect::<Vec<_>>().join(",");
        let target = format!("{APP}/forms/customer/records?filter={}", encode(&filter));
        assert_answered(server, &format!("{count} filter clauses"), server.send_raw("GET", &target, "", t));
    }
    for count in [1000, 1001, 3000] {
        let values = (0..count).map(|i| format!("C{i:04}")).collect::<Vec<_>>().join("|");
        let target = format!("{APP}/forms/customer/records?filter=customer_no:in:{}", encode(&values));
        assert_answered(server, &format!("in with {count} values"), server.send_raw("GET", &target, "", t));
    }
    let long_sort = std::iter::repeat_n("-aum", 500).collect::<Vec<_>>().join(",");
    let long_fields = std::iter::repeat_n("name", 2000).collect::<Vec<_>>().join(",");
    for query in [format!("sort={long_sort}"), format!("fields={long_fields}"), format!("after={}", "A".repeat(12000))]
    {
        assert_answered(
            server,
            "long list parameters",
            server.send_raw("GET", &format!("{APP}/forms/customer/records?{query}"), "", t),
        );
    }
    let uri_too_long = format!("{APP}/forms/customer/records?where={}", "a".repeat(20_000));
    assert_answered(server, "a 20 KB URI", server.send_raw("GET", &uri_too_long, "", t));
    for depth in [100, 127, 129, 10_000] {
        let nested = deep_json(depth);
        for (method, target, body) in [
            (
                "POST",
                format!("{APP}/forms/customer/records"),
                format!(r#"{{"customer_no": "X1", "name": "n", "interests": {nested}}}"#),
            ),
            (
                "POST",
                format!("{APP}/events/mobile_login/occurrences"),
                format!(r#"{{"event_id": "e", "data": {{"device": {nested}}}}}"#),
            ),
            (
                "PUT",
                format!("{APP}/drafts/forms/deep"),
                format!(r#"{{"key": "deep", "label": {nested}, "fields": []}}"#),
            ),
            ("POST", "/api/v1/auth/login".to_owned(), format!(r#"{{"username": {nested}, "password": "x"}}"#)),
        ] {
            assert_answered(
                server,
                &format!("{depth}-deep JSON to {target}"),
                server.send_raw(method, &target, &body, t),
            );
        }
    }
    // The worst accepted shapes, fifty at once.
    let worst =
        [chain("aum", "+", Some(MAX_DEPTH - 2)), nest("abs(", "aum", ")", MAX_DEPTH - 2), chain("aum > 0", "or", None)];
    std::thread::scope(|scope| {
        for i in 0..50 {
            let text = &worst[i % worst.len()];
            let token = token.clone();
            scope.spawn(move || {
                let body = json!({ "expression": text, "limit": 1000 }).to_string();
                let answer = server.send_raw("POST", &format!("{APP}/forms/customer/evaluate"), &body, Some(&token));
                assert_answered(server, "fifty at once", answer);
            });
        }
    });
    let (status, _) = server.send_raw("GET", "/healthz", "", None).expect("the server still answers");
    assert_eq!(status, 200);
    println!("{sent} expressions answered");
}

#[test]
fn worst_input_within_every_limit_is_answered_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&format!("sqlite://{}", dir.path().join("t.db").display()), &["--demo"]);
    worst_input_is_answered(&server);
}

#[test]
fn worst_input_within_every_limit_is_answered_on_postgres() {
    let db = PgDb::new();
    let server = Server::start(&db.url, &["--demo"]);
    worst_input_is_answered(&server);
}

/// 40 wrong passwords at once, half through each of two servers on one database: five are
/// checked, and the right password is then refused as locked.
#[test]
fn guesses_spread_over_two_servers_lock_the_user_after_five() {
    let db = PgDb::new();
    let a = Server::start(&db.url, &[]);
    let b = Server::start(&db.url, &[]);
    let codes: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let server = if i % 2 == 0 { &a } else { &b };
                scope.spawn(move || {
                    let body = json!({ "username": "admin", "password": format!("guess {i}") }).to_string();
                    let (_, text) = server.send_raw("POST", "/api/v1/auth/login", &body, None).expect("answered");
                    serde_json::from_str::<Value>(&text).expect("json")["code"].as_str().unwrap_or("").to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let checked = codes.iter().filter(|c| *c == "wrong_credentials").count();
    assert!(checked <= 5, "{checked} guesses checked: {codes:?}");
    // A third server, whose rate limits have seen nothing: the lock is the database's.
    let c = Server::start(&db.url, &[]);
    let right = json!({ "username": "admin", "password": ADMIN_PASSWORD }).to_string();
    let (status, text) = c.send_raw("POST", "/api/v1/auth/login", &right, None).expect("answered");
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("\"locked\""), "{text}");
}
