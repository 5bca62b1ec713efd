//! The `trellis app` commands: validate, import, export; `trellis serve` refusing a bad key.

use std::process::Command;

use crate::process::{Server, repo_root, trellis};

#[test]
fn validate_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    let label = serde_json::json!({ "zh-CN": "x", "en": "x" });
    let bundle = serde_json::json!({ "key": "bad", "name": label, "forms": [{ "key": "f", "label": label, "fields": [
        { "key": "a", "type": "decimal", "label": label },
        { "key": "b", "type": "relation", "form": "ghost", "label": label }
    ]}]});
    std::fs::write(&bad, bundle.to_string()).expect("write");
    let out = Command::new(trellis()).args(["app", "validate"]).arg(&bad).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("/forms/0/fields/0/scale [missing]"), "{stdout}");
    assert!(stdout.contains("/forms/0/fields/1/form [unknown_form]"), "{stdout}");

    let ok = Command::new(trellis())
        .args(["app", "validate", "examples/bank-crm"])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
}

#[test]
fn import_then_export_round_trips_the_bundle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let import = Command::new(trellis())
        .args(["app", "import", "examples/bank-crm", "--publish", "--db", &db])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let export = Command::new(trellis()).args(["app", "export", "bank_crm", "--db", &db]).output().expect("runs");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let exported: serde_json::Value = serde_json::from_slice(&export.stdout).expect("JSON");
    let app: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("examples/bank-crm/app.json")).expect("app.json"),
    )
    .expect("JSON");
    assert_eq!(exported["name"], app["name"]);
    assert_eq!(exported["forms"].as_array().map(Vec::len), Some(10));
    assert_eq!(exported["forms"][2]["key"], "customer");
    let again = Command::new(trellis())
        .args(["app", "import", "examples/bank-crm", "--db", &db])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(!again.status.success(), "importing the same app twice is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

/// `serve --demo` makes the bank CRM's people on its first start, each password printed
/// once: a relationship manager signs in with it and works in their own inbox; a second
/// start makes nobody again.
#[test]
fn the_demo_has_its_people() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let log = dir.path().join("first.log");
    let server = Server::start_logged(&db, &["--demo"], &log);
    let printed = std::fs::read_to_string(&log).expect("the log");
    let password = |user: &str| -> String {
        let line = printed
            .lines()
            .find(|l| l.contains(&format!("created the demo user `{user}` with the password ")))
            .unwrap_or_else(|| panic!("no password for {user}: {printed}"));
        line.rsplit(' ').next().expect("the password").to_owned()
    };
    for user in ["zhang.min", "wang.lei", "li.hang", "chen.analyst", "zhou.compliance"] {
        assert!(password(user).len() >= 12, "{user}");
    }
    let login = serde_json::json!({ "username": "zhang.min", "password": password("zhang.min") });
    let (status, signed) = server.anonymous("POST", "/api/v1/auth/login", Some(&login));
    assert_eq!(status, 200, "{signed}");
    let token = signed["token"].as_str().expect("a token");
    let (status, inbox) = server.request_as(token, "GET", "/api/v1/tasks", None);
    assert_eq!(status, 200, "{inbox}");
    let (status, mine) =
        server.request_as(token, "GET", "/api/v1/apps/bank_crm/forms/customer/records?fields=name", None);
    assert_eq!(status, 200, "{mine}");
    assert!(mine["items"].as_array().is_some_and(|c| !c.is_empty()), "an RM sees their customers: {mine}");
    // The analyst designs: the designer routes are hers.
    let login = serde_json::json!({ "username": "chen.analyst", "password": password("chen.analyst") });
    let (_, analyst) = server.anonymous("POST", "/api/v1/auth/login", Some(&login));
    let token = analyst["token"].as_str().expect("a token");
    let (status, forms) = server.request_as(token, "GET", "/api/v1/apps/bank_crm/drafts/forms", None);
    assert_eq!(status, 200, "the demo's analyst is a designer: {forms}");
    server.kill();
    let again = dir.path().join("second.log");
    let second = Server::start_logged(&db, &["--demo"], &again);
    assert!(!std::fs::read_to_string(&again).expect("the log").contains("created the demo user"));
    second.kill();
}

/// `trellis serve --demo` run outside the repository failed with a backtrace: the demo is
/// built into the binary; a demo bundle named but missing is one line naming the path and
/// the variable to set.
#[test]
fn the_demo_runs_outside_the_repository() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("elsewhere.db").display());
    let server = Server::start_in(dir.path(), &db, &["--demo"]);
    let (status, apps) = server.request("GET", "/api/v1/apps", None);
    assert_eq!(status, 200, "{apps}");
    assert_eq!(apps["items"][0]["key"], "bank_crm", "the built-in demo: {apps}");
    let (status, customers) = server.request("GET", "/api/v1/apps/bank_crm/forms/customer/records?count=true", None);
    assert!(status == 200 && customers["total"].as_i64() > Some(0), "with its seed: {customers}");
    server.kill();

    let missing = dir.path().join("no-such-bundle");
    let failed = Command::new(trellis())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db", &db])
        .env("TRELLIS_DEMO_BUNDLE", &missing)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(failed.status.code(), Some(1));
    let said = String::from_utf8_lossy(&failed.stderr);
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one line: {said}");
    assert!(errors[0].contains(&missing.display().to_string()) && errors[0].contains("TRELLIS_DEMO_BUNDLE"), "{said}");
    assert!(!said.contains("stack backtrace"), "{said}");
}

/// A key for channel secrets that is set but unusable stops `trellis serve` before it
/// listens, saying which setting is wrong: it never runs as if it had no key.
#[test]
fn serve_refuses_an_unusable_key_for_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("trellis.db").display());
    for (name, value) in [("TRELLIS_SECRET_KEY", "not base64!"), ("TRELLIS_SECRET_KEY", "c2hvcnQ=")] {
        let out = Command::new(trellis())
            .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
            .env(name, value)
            .output()
            .expect("runs");
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains("TRELLIS_SECRET_KEY") && !said.contains("listening on"), "{said}");
    }
    let missing = Command::new(trellis())
        .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
        .env("TRELLIS_SECRET_KEY_FILE", dir.path().join("no such key"))
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(missing.status.code() == Some(1) && said.contains("TRELLIS_SECRET_KEY_FILE"), "{said}");
}
