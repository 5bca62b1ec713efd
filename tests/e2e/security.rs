//! What a bank's security reviewer checks on the real server: a session's life (a password
//! changed and reset, a user disabled and enabled again, an administrator ending what a
//! user holds), and the headers every answer carries: the browser app's page and assets,
//! API answers and refusals.

use serde_json::{Value, json};

use crate::process::Server;

const PASSWORD: &str = "wang lei's own passphrase";

fn demo() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&format!("sqlite://{}", dir.path().join("t.db").display()), &["--demo"]);
    (dir, server)
}

fn sign_in(server: &Server, password: &str) -> String {
    let login = json!({ "username": "wang.lei", "password": password });
    let (status, body) = server.anonymous("POST", "/api/v1/auth/login", Some(&login));
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("a token").to_owned()
}

fn me(server: &Server, token: &str) -> (u16, Value) {
    server.request_as(token, "GET", "/api/v1/auth/me", None)
}

fn customers(server: &Server, token: &str) -> (u16, Value) {
    server.request_as(token, "GET", "/api/v1/apps/bank_crm/forms/customer/records?limit=1", None)
}

#[test]
fn a_session_ends_with_the_credentials_that_granted_it() {
    let (_dir, server) = demo();
    let set = server.request("PUT", "/api/v1/users/wang.lei", Some(&json!({ "password": PASSWORD })));
    assert_eq!(set.0, 200, "{}", set.1);
    let (own, stolen) = (sign_in(&server, PASSWORD), sign_in(&server, PASSWORD));
    // With the stolen session, a year-long write token.
    let mint = json!({ "name": "mine now", "app": "bank_crm", "access": "write", "expires_in_days": 366 });
    let (status, minted) = server.request_as(&stolen, "POST", "/api/v1/tokens", Some(&mint));
    assert_eq!(status, 201, "{minted}");
    let token = minted["token"].as_str().expect("the token").to_owned();
    assert_eq!(customers(&server, &token).0, 200);

    // The owner changes the password: the other session ends, its token is suspended.
    let change = json!({ "current_password": PASSWORD, "new_password": "a new passphrase of his" });
    assert_eq!(server.request_as(&own, "POST", "/api/v1/auth/password", Some(&change)).0, 204);
    assert_eq!(me(&server, &own).0, 200, "the session that changed it");
    assert_eq!(me(&server, &stolen).0, 401);
    let (status, refused) = customers(&server, &token);
    assert_eq!((status, refused["code"].as_str()), (401, Some("token_suspended")), "{refused}");

    // The administrator resets it: every session ends.
    let reset = json!({ "password": "reset by the helpdesk" });
    assert_eq!(server.request("PUT", "/api/v1/users/wang.lei", Some(&reset)).0, 200);
    assert_eq!(me(&server, &own).0, 401);

    // Disabled, then enabled again: nothing comes back.
    let fresh = sign_in(&server, "reset by the helpdesk");
    assert_eq!(server.request("PUT", "/api/v1/users/wang.lei", Some(&json!({ "disabled": true }))).0, 200);
    assert_eq!(server.request("PUT", "/api/v1/users/wang.lei", Some(&json!({ "disabled": false }))).0, 200);
    assert_eq!(me(&server, &fresh).0, 401, "the session stays ended");
    assert_eq!(customers(&server, &token).0, 401, "the token stays ended");

    // An administrator sees a user's sessions and ends them.
    let (one, two) = (sign_in(&server, "reset by the helpdesk"), sign_in(&server, "reset by the helpdesk"));
    let (status, listed) = server.request("GET", "/api/v1/users/wang.lei/sessions", None);
    assert_eq!((status, listed["sessions"].as_array().map(Vec::len)), (200, Some(2)), "{listed}");
    assert_eq!(listed["sessions"][0]["address"], "127.0.0.1");
    let (status, ended) = server.request("DELETE", "/api/v1/users/wang.lei/sessions", None);
    assert_eq!((status, &ended["sessions"]), (200, &json!(2)), "{ended}");
    assert_eq!((me(&server, &one).0, me(&server, &two).0), (401, 401));
    let (_, audit) = server.request("GET", "/api/v1/audit?actor=admin&limit=20", None);
    let actions: Vec<&str> =
        audit["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"user.sessions_ended") && actions.contains(&"user.save"), "{actions:?}");
}

#[test]
fn every_answer_carries_the_security_headers() {
    let (_dir, server) = demo();
    let page = server.exchange("GET", "/apps/bank_crm/forms/customer", "", "").expect("the page");
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").expect("a policy for the page");
    for part in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
        assert!(policy.contains(part), "{part} in {policy}");
    }
    assert!(
        !policy.contains("unsafe-eval")
            && !policy.split(';').any(|p| p.contains("script-src") && p.contains("unsafe-inline"))
    );
    let asset = page.body.split('"').find(|s| s.starts_with("/assets/") && s.ends_with(".js")).expect("a script");
    let script = server.exchange("GET", asset, "", "").expect("the asset");
    assert_eq!(script.status, 200);
    assert_eq!(script.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let token = server.admin_token();
    let api = server.exchange("GET", "/api/v1/auth/me", &format!("Authorization: Bearer {token}\r\n"), "").expect("me");
    let refused = server.exchange("GET", "/api/v1/apps/bank_crm/forms/customer/records", "", "").expect("401");
    let missing = server.exchange("GET", "/api/v1/nothing/here", &format!("Authorization: Bearer {token}\r\n"), "");
    let missing = missing.expect("404");
    assert_eq!((api.status, refused.status, missing.status), (200, 401, 404));
    for answer in [&page, &script, &api, &refused, &missing] {
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert!(answer.header("content-security-policy").is_some_and(|p| p.contains("frame-ancestors 'none'")));
    }
    for answer in [&api, &refused, &missing] {
        assert_eq!(answer.header("cache-control"), Some("no-store"), "API answers are never kept");
        let policy = answer.header("content-security-policy").unwrap_or_default();
        assert!(policy.starts_with("default-src 'none'") && policy.contains("sandbox"), "nothing in it runs: {policy}");
    }
    // The page is never cached either: a new build is picked up at once.
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    // A browser's session cookie: HttpOnly, SameSite=Strict, gone at sign-out.
    let login = json!({ "username": "admin", "password": crate::process::ADMIN_PASSWORD, "cookie": true }).to_string();
    let signed =
        server.exchange("POST", "/api/v1/auth/login", "Content-Type: application/json\r\n", &login).expect("a sign-in");
    let cookie = signed.header("set-cookie").expect("a cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!signed.body.contains("\"token\""), "no token for the page's scripts: {}", signed.body);
    let session = cookie.split(';').next().expect("name=value");
    let with_cookie = format!("Cookie: {session}\r\n");
    assert_eq!(server.exchange("GET", "/api/v1/auth/me", &with_cookie, "").expect("me").status, 200);
    // A change made with the cookie from another site's page is refused.
    let across = format!("{with_cookie}Sec-Fetch-Site: cross-site\r\nContent-Type: application/json\r\n");
    let forged = server.exchange("PATCH", "/api/v1/auth/me", &across, r#"{"language":"en"}"#).expect("refused");
    assert!(forged.status == 403 && forged.body.contains("cross_site"), "{} {}", forged.status, forged.body);
    let out = server.exchange("POST", "/api/v1/auth/logout", &with_cookie, "").expect("signed out");
    assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(server.exchange("GET", "/api/v1/auth/me", &with_cookie, "").expect("me").status, 401);
}

/// 800 connections sending a body a byte every 10 s were held forever: a body that stops
/// coming is answered 408 after 10 s, and the server still answers the others meanwhile.
#[test]
fn a_body_sent_a_byte_at_a_time_held_its_connection() {
    use std::io::{Read, Write};
    let (_dir, server) = demo();
    let started = std::time::Instant::now();
    let slow: Vec<std::net::TcpStream> = (0..50)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(server.addr()).expect("a connection");
            let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
            stream.write_all(head.as_bytes()).expect("sent");
            stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("a timeout");
            stream
        })
        .collect();
    assert_eq!(server.anonymous("GET", "/healthz", None).0, 200, "the others are answered meanwhile");
    for mut stream in slow {
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("request_timeout"), "a problem, said: {answer}");
    }
    let waited = started.elapsed().as_secs();
    assert!((10..30).contains(&waited), "refused after the 10 s a body may pause, not held: {waited} s");
}
