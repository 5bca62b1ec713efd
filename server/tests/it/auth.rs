//! Signing in: every route but the public ones needs a session token; wrong passwords lock
//! a user for a while; expired and revoked tokens are refused, all as 401 problems.

use chrono::Duration;
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, Backend, both_backends, start};

both_backends!(
    routes_need_a_session_token,
    wrong_passwords_lock_the_user,
    the_first_start_creates_the_administrator,
    api_tokens_reach_one_app_within_their_access
);

async fn api_tokens_reach_one_app_within_their_access(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let make = |access: &str, days: i64| json!({ "name": "core banking feed", "app": "bank_crm", "access": access, "expires_in_days": days });
    let read = env.post("/api/v1/tokens", &make("read", 30)).await;
    assert_eq!(read.status, 201, "{}", read.body);
    let write = env.post("/api/v1/tokens", &make("write", 30)).await;
    let (read_token, write_token) =
        (read.body["token"].as_str().expect("token"), write.body["token"].as_str().expect("token"));
    assert!(read_token.starts_with("trt_"));
    let as_token = |token: &str| format!("Bearer {token}");
    let records = "/api/v1/apps/bank_crm/forms/customer/records";
    let customer = json!({ "customer_no": "C0900", "name": "林晓" });

    let listed = env.send("GET", records, None, &[("authorization", &as_token(read_token))]).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let refused =
        env.send("POST", records, Some(&customer.to_string()), &[("authorization", &as_token(read_token))]).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("token_scope")), "a read token only reads");
    let made =
        env.send("POST", records, Some(&customer.to_string()), &[("authorization", &as_token(write_token))]).await;
    assert_eq!(made.status, 201, "{}", made.body);
    for uri in ["/api/v1/apps", "/api/v1/tokens", "/api/v1/auth/me"] {
        let outside = env.send("GET", uri, None, &[("authorization", &as_token(write_token))]).await;
        assert_eq!((outside.status, outside.body["code"].as_str()), (403, Some("token_scope")), "{uri}");
    }

    let tokens = env.get("/api/v1/tokens").await;
    let items = tokens.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|t| t.get("token").is_none()), "a token is shown once, never listed");
    assert!(!items[1]["last_used_at"].is_null(), "its use is recorded");
    assert_eq!(env.delete(&format!("/api/v1/tokens/{}", read.body["id"])).await.status, 204);
    let revoked = env.send("GET", records, None, &[("authorization", &as_token(read_token))]).await;
    assert_eq!((revoked.status, revoked.body["code"].as_str()), (401, Some("invalid_token")));
    assert_eq!(env.delete(&format!("/api/v1/tokens/{}", read.body["id"])).await.status, 404, "revoked already");

    // An expired token: made a year ago for 30 days.
    let admin = server::auth::Principal {
        user_id: 1,
        username: "admin".into(),
        platform_role: "administrator".into(),
        org_unit_id: None,
        language: None,
        session: String::new(),
        scope: None,
    };
    let year_ago = server::auth::wall_now() - Duration::days(365);
    let (_, old, _) = server::auth::tokens::create(&env.state.db.conn, &admin, "old", "bank_crm", "read", 30, year_ago)
        .await
        .expect("made");
    let expired = env.send("GET", records, None, &[("authorization", &as_token(&old))]).await;
    assert_eq!((expired.status, expired.body["code"].as_str()), (401, Some("invalid_token")));

    let bad = env
        .post("/api/v1/tokens", &json!({ "name": "", "app": "bank_crm", "access": "admin", "expires_in_days": 9999 }))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        env.post("/api/v1/tokens", &json!({ "name": "x", "app": "nope", "access": "read", "expires_in_days": 1 }))
            .await
            .status,
        404
    );
    env.finish().await;
}

async fn routes_need_a_session_token(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let none = [("authorization", "")];
    for uri in ["/api/v1/apps", "/api/v1/apps/bank_crm/forms/customer/records", "/api/v1/auth/me", "/api/nope"] {
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
    let long_ago = server::auth::wall_now() - Duration::hours(13);
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
    let later = server::auth::wall_now() + Duration::minutes(16);
    assert!(server::auth::login(&env.state.db.conn, "admin", ADMIN_PASSWORD, later).await.is_ok(), "unlocked");
    let unknown = json!({ "username": "nobody", "password": "x" }).to_string();
    let unknown = env.send("POST", "/api/v1/auth/login", Some(&unknown), &none).await;
    assert_eq!(unknown.body["code"], "wrong_credentials", "the same answer as a wrong password");
    env.finish().await;
}

async fn the_first_start_creates_the_administrator(backend: Backend) {
    let env = start(backend).await;
    let conn = &env.state.db.conn;
    assert_eq!(server::auth::bootstrap_admin(conn, env.now()).await.expect("runs"), None, "admin exists already");
    crate::rules::rows(&env, "DELETE FROM trellis_sessions").await;
    crate::rules::rows(&env, "DELETE FROM trellis_users").await;
    let password = server::auth::bootstrap_admin(conn, env.now()).await.expect("runs").expect("a random password");
    assert!(password.len() >= 24, "{password}");
    assert!(server::auth::login(conn, "admin", &password, server::auth::wall_now()).await.is_ok());
    let hashes = crate::rules::rows(&env, "SELECT password_hash FROM trellis_users").await;
    assert!(hashes[0][0].starts_with("$argon2id$"), "{}", hashes[0][0]);
    env.finish().await;
}
