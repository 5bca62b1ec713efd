//! The documented core-banking example (`examples/integrations/`) as an integrator runs it:
//! `trellis serve --demo`, an API token of the bank's integration user, and the script
//! sending the sample extract twice — created the first time, unchanged the second — and
//! `trellis import` with the same mapping file, everything unchanged.

use std::process::Command;

use serde_json::json;

use crate::process::{Server, repo_root, trellis};

const PASSWORD: &str = "a long enough secret";

#[test]
fn the_nightly_example_lands_the_extract_and_a_second_night_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("feed.db").display());
    let server = Server::start(&db, &["--demo"]);
    let (status, body) = server.request("PUT", "/api/v1/users/core.banking", Some(&json!({ "password": PASSWORD })));
    assert_eq!(status, 200, "{body}");
    let login = json!({ "username": "core.banking", "password": PASSWORD });
    let (status, session) = server.anonymous("POST", "/api/v1/auth/login", Some(&login));
    assert_eq!(status, 200, "{session}");
    let session = session["token"].as_str().expect("session").to_owned();
    let wanted = json!({ "name": "nightly feed", "app": "bank_crm", "access": "write", "expires_in_days": 30 });
    let (status, token) = server.request_as(&session, "POST", "/api/v1/tokens", Some(&wanted));
    assert_eq!(status, 201, "{token}");
    let token = token["token"].as_str().expect("token").to_owned();

    let examples = repo_root().join("examples/integrations");
    let sample = dir.path().join("customers.csv");
    std::fs::copy(examples.join("customers.sample.csv"), &sample).expect("copy");
    let night = || {
        Command::new("python3")
            .arg(examples.join("core_banking_nightly.py"))
            .arg(&sample)
            .arg(examples.join("customers.mapping.json"))
            .env("TRELLIS_URL", format!("http://{}", server.addr()))
            .env("TRELLIS_TOKEN", &token)
            .output()
            .expect("python3 runs")
    };
    let first = night();
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{said} {}", String::from_utf8_lossy(&first.stderr));
    assert!(said.contains("created 3, updated 0, unchanged 0, refused 0"), "{said}");
    let second = night();
    let said = String::from_utf8_lossy(&second.stdout);
    assert!(said.contains("created 0, updated 0, unchanged 3, refused 0"), "{said}");

    // The customers as the integration user reads them: money exact, relations by key.
    let (status, page) = server.request_as(
        &token,
        "GET",
        "/api/v1/apps/bank_crm/forms/customer/records?filter=customer_no:eq:C8002&fields=annual_income,mobile,branch",
        None,
    );
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["annual_income"], "1250000.50", "{page}");
    assert_eq!(page["items"][0]["mobile"], "13900008002", "{page}");

    // The same file with `trellis import` and the same mapping: nothing to change.
    let import = Command::new(trellis())
        .args(["import", "--app", "bank_crm", "--form", "customer", "--as", "core.banking", "--mapping"])
        .arg(examples.join("customers.mapping.json"))
        .arg("--db")
        .arg(&db)
        .arg(&sample)
        .env("TRELLIS_LOG", "warn")
        .output()
        .expect("trellis import runs");
    let said = String::from_utf8_lossy(&import.stdout);
    assert!(import.status.success(), "{said} {}", String::from_utf8_lossy(&import.stderr));
    assert!(said.contains("3 rows: created 0, updated 0, unchanged 3, refused 0"), "{said}");
}
