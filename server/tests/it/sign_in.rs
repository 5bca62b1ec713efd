//! Guessing passwords: the lockout holds however the guesses arrive, unknown and locked
//! names answer alike, sprays are rate limited, administrators unlock, users change their
//! own password.

use chrono::Duration;
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, Backend, both_backends, start, start_with};

both_backends!(
    parallel_wrong_passwords_bypassed_the_lockout,
    a_locked_name_answered_unlike_an_unknown_one,
    a_spray_of_sign_ins_was_not_slowed_down,
    right_passwords_from_unknown_addresses_locked_the_name,
    administrators_unlock_and_users_change_their_own_password
);

const LOGIN: &str = "/api/v1/auth/login";
const NO_TOKEN: [(&str, &str); 1] = [("authorization", "")];

fn attempt(username: &str, password: &str) -> String {
    json!({ "username": username, "password": password }).to_string()
}

/// 40 wrong passwords at once, then the right one: five are checked, the rest are refused
/// as locked (or slowed down), and the right password no longer gets in.
async fn parallel_wrong_passwords_bypassed_the_lockout(backend: Backend) {
    let env = start(backend).await;
    let guesses: Vec<String> = (0..40).map(|i| attempt("admin", &format!("guess {i}"))).collect();
    let answers =
        futures_util::future::join_all(guesses.iter().map(|g| env.send("POST", LOGIN, Some(g), &NO_TOKEN))).await;
    let codes: Vec<&str> = answers.iter().map(|a| a.body["code"].as_str().unwrap_or("")).collect();
    let checked = codes.iter().filter(|c| **c == "wrong_credentials").count();
    assert!(checked <= 5, "at most five guesses are checked: {codes:?}");
    assert!(codes.iter().all(|c| ["wrong_credentials", "locked", "too_many_requests"].contains(c)), "{codes:?}");
    // The lockout is the database's: the right password is refused even without the rate limit.
    let right = server::auth::login(&env.state.db.conn, "admin", ADMIN_PASSWORD, server::auth::wall_now()).await;
    assert_eq!(right.err().map(|e| e.code()), Some("locked"));
    let later = server::auth::wall_now() + Duration::minutes(16);
    assert!(server::auth::login(&env.state.db.conn, "admin", ADMIN_PASSWORD, later).await.is_ok(), "unlocked later");
    env.finish().await;
}

/// A locked name answered `locked` while an unknown one answered `wrong_credentials`, which
/// told an attacker which names exist. Now both lock after five attempts.
async fn a_locked_name_answered_unlike_an_unknown_one(backend: Backend) {
    let env = start(backend).await;
    let now = server::auth::wall_now();
    for name in ["admin", "nobody.at.all"] {
        let mut codes = Vec::new();
        for i in 0..6 {
            let outcome = server::auth::login(&env.state.db.conn, name, &format!("guess {i}"), now).await;
            codes.push(outcome.err().map(|e| e.code()).unwrap_or("signed in"));
        }
        assert_eq!(codes, [["wrong_credentials"; 5].as_slice(), &["locked"]].concat(), "{name}");
        let detail = server::auth::login(&env.state.db.conn, name, "again", now).await.err().map(|e| e.to_string());
        assert!(detail.is_some_and(|d| d.starts_with("too many wrong attempts for this user name")), "{name}");
    }
    env.finish().await;
}

/// A hundred attempts from one client, each with another name, went through unhindered.
async fn a_spray_of_sign_ins_was_not_slowed_down(backend: Backend) {
    let limits = server::auth::throttle::Limits {
        address_header: Some("x-forwarded-for".into()),
        ..server::auth::throttle::Limits::default()
    };
    let env = start_with(backend, limits).await;
    // The client claims 203.0.113.9; the proxy appends the address it saw.
    macro_rules! send {
        ($body:expr, $address:expr) => {{
            let forwarded = format!("203.0.113.9, {}", $address);
            env.send("POST", LOGIN, Some(&$body), &[("authorization", ""), ("x-forwarded-for", &forwarded)]).await
        }};
    }
    let mut refused = None;
    for i in 0..100 {
        let r = send!(attempt(&format!("user{i}"), "Winter2026!"), "10.1.1.1");
        if r.status == 429 {
            refused = Some((i, r));
            break;
        }
        assert_eq!(r.body["code"], "wrong_credentials");
    }
    let (after, r) = refused.expect("the spray is slowed down");
    assert_eq!(after, 30, "thirty attempts a minute from one address");
    assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"));
    assert_eq!(r.body["code"], "too_many_requests");
    let wait: u64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=61).contains(&wait), "{wait}");
    // One name from many addresses: ten a minute.
    let mut statuses = Vec::new();
    for i in 0..11 {
        statuses.push(send!(attempt("someone", "x"), format!("10.2.0.{i}")).status);
    }
    assert_eq!(statuses, [[401; 10].as_slice(), &[429]].concat());
    // The address is the proxy's last entry: the client's own claim (203.0.113.9) is not
    // what is limited, and another address signs in as usual.
    assert_eq!(send!(attempt("admin", ADMIN_PASSWORD), "10.3.0.1").status, 200);
    let audit = env.get("/api/v1/audit?action=auth.login").await;
    assert_eq!(audit.body["items"][0]["ip"], "10.3.0.1");
    env.finish().await;
}

/// Each right password from an address the name was not known at counted as a wrong one
/// over unknown addresses: the twentieth sign-in locked the user out. Now a right password
/// gives its reservation back, and wrong ones from many addresses still lock the name.
async fn right_passwords_from_unknown_addresses_locked_the_name(backend: Backend) {
    let env = start(backend).await;
    let now = server::auth::wall_now();
    for i in 0..(server::auth::MAX_NAME_FAILURES + 5) {
        let outcome = server::auth::login(&env.state.db.conn, "admin", ADMIN_PASSWORD, now).await;
        assert!(outcome.is_ok(), "sign-in {i}: {:?}", outcome.err());
    }
    let mut codes = Vec::new();
    for i in 0..=server::auth::MAX_NAME_FAILURES {
        let outcome = server::auth::login(&env.state.db.conn, "admin", &format!("guess {i}"), now).await;
        codes.push(outcome.err().map(|e| e.code()).unwrap_or("signed in"));
    }
    assert_eq!(codes.last(), Some(&"locked"), "wrong passwords still lock: {codes:?}");
    env.finish().await;
}

async fn administrators_unlock_and_users_change_their_own_password(backend: Backend) {
    let env = start(backend).await;
    let now = server::auth::wall_now();
    let saved = env.put("/api/v1/users/li.na", &json!({ "password": "li na's first password" })).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    for i in 0..5 {
        let _ = server::auth::login(&env.state.db.conn, "li.na", &format!("guess {i}"), now).await;
    }
    let locked = server::auth::login(&env.state.db.conn, "li.na", "li na's first password", now).await;
    assert_eq!(locked.err().map(|e| e.code()), Some("locked"));
    let unlocked = env.post("/api/v1/users/li.na/unlock", &json!({})).await;
    assert_eq!((unlocked.status, &unlocked.body["was_locked"]), (200, &json!(true)), "{}", unlocked.body);
    let audit = env.get("/api/v1/audit?action=user.unlock").await;
    assert_eq!(audit.body["items"][0]["detail"]["username"], "li.na");

    let signed_in = env.send("POST", LOGIN, Some(&attempt("li.na", "li na's first password")), &NO_TOKEN).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let token = format!("Bearer {}", signed_in.body["token"].as_str().expect("token"));
    let other = server::auth::login(&env.state.db.conn, "li.na", "li na's first password", now).await.expect("in");
    let as_li = [("authorization", token.as_str())];
    let change = |current: &str, new: &str| json!({ "current_password": current, "new_password": new }).to_string();
    let wrong =
        env.send("POST", "/api/v1/auth/password", Some(&change("not it", "a brand new passphrase")), &as_li).await;
    assert_eq!(wrong.error_paths(), ["/current_password wrong_password"]);
    let short =
        env.send("POST", "/api/v1/auth/password", Some(&change("li na's first password", "short")), &as_li).await;
    assert_eq!(short.error_paths(), ["/new_password weak_password"]);
    let changed = env
        .send(
            "POST",
            "/api/v1/auth/password",
            Some(&change("li na's first password", "a brand new passphrase")),
            &as_li,
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(env.send("GET", "/api/v1/auth/me", None, &as_li).await.status, 200, "this session goes on");
    let other_session = format!("Bearer {}", other.0);
    assert_eq!(env.send("GET", "/api/v1/auth/me", None, &[("authorization", &other_session)]).await.status, 401);
    assert!(server::auth::login(&env.state.db.conn, "li.na", "li na's first password", now).await.is_err());
    assert!(server::auth::login(&env.state.db.conn, "li.na", "a brand new passphrase", now).await.is_ok());
    let audit = env.get("/api/v1/audit?action=auth.password_changed").await;
    assert_eq!(audit.body["items"][0]["actor"], "li.na");
    assert_eq!(env.post("/api/v1/users/li.na/unlock", &json!({})).await.body["was_locked"], json!(false));
    env.finish().await;
}
