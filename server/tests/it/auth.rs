//! Signing in: every route but the public ones needs a session token; wrong passwords lock
//! a user for a while; expired and revoked tokens are refused, all as 401 problems.

use chrono::{Duration, Utc};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, Backend, both_backends, start};

both_backends!(routes_need_a_session_token, wrong_passwords_lock_the_user, the_first_start_creates_the_administrator);

async fn routes_need_a_session_token(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let none = [("authorization", "")];
    for uri in ["/api/v1/apps", "/api/v1/apps/bank_crm/forms/customer/records", "/api/v1/auth/me", "/nope"] {
        let refused = env.send("GET", uri, None, &none).await;
        assert_eq!((refused.status, refused.body["code"].as_str()), (401, Some("unauthorized")), "{uri}");
        assert_eq!(refused.header("www-authenticate").as_deref(), Some("Bearer"));
        assert_eq!(refused.header("content-type").as_deref(), Some("application/problem+json"));
    }
    for uri in ["/healthz", "/api/v1/openapi.json", "/api/v1/schemas/bundle", "/api/v1/apps/bank_crm/openapi.json"] {
        assert_eq!(env.send("GET", uri, None, &none).await.status, 200, "{uri} is public");
    }
    let forged = env.send("GET", "/api/v1/auth/me", None, &[("authorization", "Bearer not-a-token")]).await;
    assert_eq!((forged.status, forged.body["code"].as_str()), (401, Some("invalid_token")));
    let basic = env.send("GET", "/api/v1/auth/me", None, &[("authorization", "Basic YWRtaW46YWRtaW4=")]).await;
    assert_eq!(basic.status, 401);

    let login = json!({ "username": "admin", "password": ADMIN_PASSWORD });
    let signed_in = env.send("POST", "/api/v1/auth/login", Some(&login.to_string()), &none).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let bearer = format!("Bearer {}", signed_in.body["token"].as_str().expect("token"));
    let me = env.send("GET", "/api/v1/auth/me", None, &[("authorization", &bearer)]).await;
    assert_eq!(
        (me.body["username"].as_str(), me.body["platform_role"].as_str()),
        (Some("admin"), Some("administrator"))
    );
    assert_eq!(env.send("POST", "/api/v1/auth/logout", None, &[("authorization", &bearer)]).await.status, 204);
    let revoked = env.send("GET", "/api/v1/auth/me", None, &[("authorization", &bearer)]).await;
    assert_eq!((revoked.status, revoked.body["code"].as_str()), (401, Some("invalid_token")), "signed out");

    // A session from 13 hours ago has expired (sessions last 12 hours).
    let long_ago = Utc::now() - Duration::hours(13);
    let (old, _) = server::auth::login(&env.state.db.conn, "admin", ADMIN_PASSWORD, long_ago).await.expect("login");
    let expired = env.send("GET", "/api/v1/auth/me", None, &[("authorization", &format!("Bearer {old}"))]).await;
    assert_eq!((expired.status, expired.body["code"].as_str()), (401, Some("invalid_token")));
    assert_eq!(env.get("/api/v1/auth/me").await.status, 200, "other sessions go on");
    let stored = crate::rules::rows(&env, "SELECT token_hash FROM trellis_sessions").await;
    assert!(stored.iter().all(|r| r[0].len() == 64 && !bearer.contains(&r[0])), "only hashes are stored");
    env.finish().await;
}

async fn wrong_passwords_lock_the_user(backend: Backend) {
    let env = start(backend).await;
    let none = [("authorization", "")];
    let attempt = |password: &str| json!({ "username": "admin", "password": password }).to_string();
    for n in 1..=5 {
        let wrong = env.send("POST", "/api/v1/auth/login", Some(&attempt("guess")), &none).await;
        assert_eq!((wrong.status, wrong.body["code"].as_str()), (401, Some("wrong_credentials")), "attempt {n}");
    }
    let locked = env.send("POST", "/api/v1/auth/login", Some(&attempt(ADMIN_PASSWORD)), &none).await;
    assert_eq!((locked.status, locked.body["code"].as_str()), (401, Some("locked")), "{}", locked.body);
    assert_eq!(env.get("/api/v1/auth/me").await.status, 200, "a session from before the lock goes on");
    let later = Utc::now() + Duration::minutes(16);
    assert!(server::auth::login(&env.state.db.conn, "admin", ADMIN_PASSWORD, later).await.is_ok(), "unlocked");
    let unknown = json!({ "username": "nobody", "password": "x" }).to_string();
    let unknown = env.send("POST", "/api/v1/auth/login", Some(&unknown), &none).await;
    assert_eq!(unknown.body["code"], "wrong_credentials", "the same answer as a wrong password");
    env.finish().await;
}

async fn the_first_start_creates_the_administrator(backend: Backend) {
    let env = start(backend).await;
    let conn = &env.state.db.conn;
    assert_eq!(server::auth::bootstrap_admin(conn, Utc::now()).await.expect("runs"), None, "admin exists already");
    crate::rules::rows(&env, "DELETE FROM trellis_sessions").await;
    crate::rules::rows(&env, "DELETE FROM trellis_users").await;
    let password = server::auth::bootstrap_admin(conn, Utc::now()).await.expect("runs").expect("a random password");
    assert!(password.len() >= 24, "{password}");
    assert!(server::auth::login(conn, "admin", &password, Utc::now()).await.is_ok());
    let hashes = crate::rules::rows(&env, "SELECT password_hash FROM trellis_users").await;
    assert!(hashes[0][0].starts_with("$argon2id$"), "{}", hashes[0][0]);
    env.finish().await;
}
