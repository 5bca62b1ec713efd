//! A compromised account can be shut out: a password changed or reset ends the sessions it
//! granted and suspends the API tokens they made, a disabled user stays out when enabled
//! again, an administrator lists and ends a user's sessions; and a lockout stops the
//! guesser, not the user (per name and address, the name's own addresses spared), with
//! the user told of the failures at their next sign-in.

use serde_json::{Value, json};

use crate::support::{Backend, Resp, both_backends, start, start_with};

both_backends!(
    a_password_change_left_the_attackers_token_working,
    an_administrators_reset_left_the_old_session_working,
    enabling_a_user_again_brought_their_sessions_back,
    an_administrator_could_not_end_a_users_sessions,
    anyone_could_lock_anyone_out_from_any_web_page
);

const LOGIN: &str = "/api/v1/auth/login";
const PASSWORD: &str = "wang lei's own passphrase";

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().expect("a token"))
}

/// `wang.lei`, with a password, signed in twice: their own session and a stolen copy.
macro_rules! wang_signed_in_twice {
    ($env:expr) => {{
        let made = $env.put("/api/v1/users/wang.lei", &json!({ "password": PASSWORD })).await;
        assert_eq!(made.status, 200, "{}", made.body);
        let login = json!({ "username": "wang.lei", "password": PASSWORD }).to_string();
        let own = $env.send("POST", LOGIN, Some(&login), &[("authorization", "")]).await;
        let stolen = $env.send("POST", LOGIN, Some(&login), &[("authorization", "")]).await;
        (bearer(&own.body["token"]), bearer(&stolen.body["token"]))
    }};
}

/// A token made by `auth`'s session for the app of the bank (an app must exist: any app).
macro_rules! token_of {
    ($env:expr, $auth:expr) => {{
        let request = json!({ "name": "feed", "app": "lab", "access": "write", "expires_in_days": 366 }).to_string();
        let made = $env.send("POST", "/api/v1/tokens", Some(&request), &[("authorization", $auth)]).await;
        assert_eq!(made.status, 201, "{}", made.body);
        (made.body["id"].as_i64().expect("id"), bearer(&made.body["token"]))
    }};
}

macro_rules! me {
    ($env:expr, $auth:expr) => {
        $env.send("GET", "/api/v1/auth/me", None, &[("authorization", $auth)]).await
    };
}

/// What a token reaches of its app: the records of its form.
macro_rules! token_reads {
    ($env:expr, $auth:expr) => {
        $env.send("GET", "/api/v1/apps/lab/forms/note/records", None, &[("authorization", $auth)]).await
    };
}

/// An app without roles (everyone signed in works with its records), published.
macro_rules! lab {
    ($env:expr) => {{
        let label = crate::support::labels("Note");
        let app = json!({ "key": "lab", "name": crate::support::labels("Lab"), "forms": [{ "key": "note",
            "label": label, "fields": [{ "key": "text", "type": "text", "label": label }] }] });
        assert_eq!($env.post("/api/v1/apps", &app).await.status, 201);
        assert_eq!($env.post("/api/v1/apps/lab/publish", &json!({})).await.status, 200);
    }};
}

fn code(r: &Resp) -> (u16, String) {
    (r.status, r.body["code"].as_str().unwrap_or_default().to_owned())
}

/// With a stolen session an attacker minted a 366-day write token; the owner changed their
/// password and the token still read and wrote.
async fn a_password_change_left_the_attackers_token_working(backend: Backend) {
    let env = start(backend).await;
    lab!(env);
    let (own, stolen) = wang_signed_in_twice!(env);
    let (minted, minted_token) = token_of!(env, &stolen);
    let (feed, feed_token) = token_of!(env, &own);
    assert_eq!(token_reads!(env, &minted_token).status, 200);
    let change = json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }).to_string();
    let changed = env.send("POST", "/api/v1/auth/password", Some(&change), &[("authorization", &own)]).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(me!(env, &own).status, 200, "the session that changed it goes on");
    assert_eq!(code(&me!(env, &stolen)), (401, "invalid_token".into()), "the other session ended");
    assert_eq!(code(&token_reads!(env, &minted_token)), (401, "token_suspended".into()), "its token too");
    assert_eq!(token_reads!(env, &feed_token).status, 200, "the owner's own session made this one");
    // The owner, who knows which tokens are theirs, takes one back; nobody else can.
    let confirm = format!("/api/v1/tokens/{minted}/confirm");
    assert_eq!(env.send("POST", &confirm, Some("{}"), &[("authorization", &feed_token)]).await.status, 403);
    assert_eq!(env.post(&confirm, &json!({})).await.status, 404, "an administrator does not confirm another's");
    assert_eq!(env.send("POST", &confirm, None, &[("authorization", &own)]).await.status, 204);
    assert_eq!(token_reads!(env, &minted_token).status, 200);
    let listed = env.send("GET", "/api/v1/tokens", None, &[("authorization", &own)]).await.body["items"].clone();
    assert!(listed.as_array().expect("items").iter().all(|t| t["suspended_at"].is_null()), "{listed}");
    let audit = env.get("/api/v1/audit?action=auth.password_changed").await;
    assert_eq!(
        audit.body["items"][0]["detail"]["ended"],
        json!({ "sessions": 1, "tokens_suspended": 1, "tokens_revoked": 0 })
    );
    assert_eq!(env.get("/api/v1/audit?action=token.confirm").await.body["items"][0]["detail"]["token_id"], minted);
    let _ = feed;
    env.finish().await;
}

/// After an administrator reset a password, the user's old session still answered.
async fn an_administrators_reset_left_the_old_session_working(backend: Backend) {
    let env = start(backend).await;
    lab!(env);
    let (own, stolen) = wang_signed_in_twice!(env);
    let (_, token) = token_of!(env, &stolen);
    let reset = env.put("/api/v1/users/wang.lei", &json!({ "password": "reset by the helpdesk" })).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    for session in [&own, &stolen] {
        assert_eq!(code(&me!(env, session)), (401, "invalid_token".into()), "every session ends");
    }
    assert_eq!(code(&token_reads!(env, &token)), (401, "token_suspended".into()));
    let audit = env.get("/api/v1/audit?action=user.save").await;
    assert_eq!(audit.body["items"][0]["detail"]["ended"]["wang.lei"]["sessions"], 2, "{}", audit.body);
    env.finish().await;
}

/// Disabling a user ended their sessions, but enabling them again brought the sessions
/// and tokens back.
async fn enabling_a_user_again_brought_their_sessions_back(backend: Backend) {
    let env = start(backend).await;
    lab!(env);
    let (own, _) = wang_signed_in_twice!(env);
    let (_, token) = token_of!(env, &own);
    assert_eq!(env.put("/api/v1/users/wang.lei", &json!({ "disabled": true })).await.status, 200);
    assert_eq!(me!(env, &own).status, 401);
    assert_eq!(env.put("/api/v1/users/wang.lei", &json!({ "disabled": false })).await.status, 200);
    assert_eq!(code(&me!(env, &own)), (401, "invalid_token".into()), "the session stays ended");
    assert_eq!(code(&token_reads!(env, &token)), (401, "invalid_token".into()), "the token stays revoked");
    let login = json!({ "username": "wang.lei", "password": PASSWORD }).to_string();
    assert_eq!(env.send("POST", LOGIN, Some(&login), &[("authorization", "")]).await.status, 200, "a new sign-in");
    env.finish().await;
}

/// An administrator could not see or end another user's sessions.
async fn an_administrator_could_not_end_a_users_sessions(backend: Backend) {
    let env = start(backend).await;
    lab!(env);
    let (own, stolen) = wang_signed_in_twice!(env);
    let (_, token) = token_of!(env, &stolen);
    let listed = env.get("/api/v1/users/wang.lei/sessions").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let sessions = listed.body["sessions"].as_array().expect("sessions").clone();
    assert_eq!((sessions.len(), listed.body["tokens"].as_array().map(Vec::len)), (2, Some(1)));
    assert!(!listed.body.to_string().contains(own.trim_start_matches("Bearer ")), "never a token");
    assert_eq!(env.send("GET", "/api/v1/users/wang.lei/sessions", None, &[("authorization", &own)]).await.status, 403);
    // One session (the newest: the stolen one) ends; then everything.
    let one = env.delete(&format!("/api/v1/users/wang.lei/sessions/{}", sessions[0]["id"])).await;
    assert_eq!(one.status, 204, "{}", one.body);
    assert_eq!((me!(env, &stolen).status, me!(env, &own).status), (401, 200));
    let all = env.delete("/api/v1/users/wang.lei/sessions").await;
    assert_eq!((all.status, &all.body["sessions"], &all.body["tokens_revoked"]), (200, &json!(1), &json!(1)));
    assert_eq!((me!(env, &own).status, token_reads!(env, &token).status), (401, 401));
    assert_eq!(env.delete("/api/v1/users/nobody/sessions").await.status, 404);
    let audit = env.get("/api/v1/audit?action=user.sessions_ended").await;
    assert_eq!(audit.body["items"][0]["detail"]["username"], "wang.lei");
    env.finish().await;
}

/// Five wrong passwords locked a name without authentication, and sign-in took
/// `text/plain`, so any page a member of staff opened could lock out the administrator.
async fn anyone_could_lock_anyone_out_from_any_web_page(backend: Backend) {
    let per_name = server::auth::throttle::Limit { attempts: 1000, window: std::time::Duration::from_secs(60) };
    let limits = server::auth::throttle::Limits {
        address_header: Some("x-forwarded-for".into()),
        per_name,
        per_address: per_name,
    };
    let env = start_with(backend, limits).await;
    assert_eq!(env.put("/api/v1/users/wang.lei", &json!({ "password": PASSWORD })).await.status, 200);
    let sign_in = |password: &str, from: &str, kind: &str| {
        let body = json!({ "username": "wang.lei", "password": password }).to_string();
        let (from, kind) = (from.to_owned(), kind.to_owned());
        let env = &env;
        async move {
            env.send(
                "POST",
                LOGIN,
                Some(&body),
                &[("authorization", ""), ("x-forwarded-for", &from), ("content-type", &kind)],
            )
            .await
        }
    };
    // A page elsewhere can send only simple bodies: refused before they are counted.
    for kind in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        for _ in 0..6 {
            let refused = sign_in("guess", "10.0.0.9", kind).await;
            assert_eq!(code(&refused), (415, "unsupported_media_type".into()), "{kind}");
        }
    }
    assert_eq!(sign_in(PASSWORD, "10.0.0.9", "application/json").await.status, 200, "nothing was counted");
    // Five wrong passwords from one address lock that address out, not the user.
    for _ in 0..5 {
        assert_eq!(code(&sign_in("guess", "10.6.6.6", "application/json").await).1, "wrong_credentials");
    }
    assert_eq!(code(&sign_in(PASSWORD, "10.6.6.6", "application/json").await).1, "locked");
    let home = sign_in(PASSWORD, "10.0.0.9", "application/json").await;
    assert_eq!(home.status, 200, "her own machine: {}", home.body);
    assert_eq!(home.body["failed_attempts"]["count"], 6, "she is told: {}", home.body);
    assert_eq!(home.body["failed_attempts"]["last_address"], "10.6.6.6");
    assert!(sign_in(PASSWORD, "10.0.0.9", "application/json").await.body["failed_attempts"].is_null(), "told once");
    // Guesses spread over addresses she never used lock the name for those addresses only.
    for i in 0..20 {
        let _ = sign_in("guess", &format!("10.7.0.{}", i / 4), "application/json").await;
    }
    assert_eq!(code(&sign_in(PASSWORD, "10.8.0.1", "application/json").await).1, "locked", "a new address");
    assert_eq!(sign_in(PASSWORD, "10.0.0.9", "application/json").await.status, 200, "her own address still");
    env.finish().await;
}
