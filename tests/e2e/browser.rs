//! The browser app's tests (`web-designer/tests/run.mjs`: playwright-core driving Debian's
//! Chromium) against a real `trellis serve --demo` on a fresh SQLite file, signed in as the
//! demo's relationship manager, her branch's manager, its analyst (a designer), its
//! integration user or the administrator. Screenshots go to `target/browser-screenshots`.

use std::process::Command;

use serde_json::json;

use crate::process::{Server, repo_root};

#[test]
fn the_browser_app_works_for_a_relationship_manager() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "the browser tests need Debian's chromium: apt-get install -y chromium (.ci/run installs it)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // On a virtual clock standing at the tests' instant: the demo's dates are placed
    // relative to it, so what the RM finds does not depend on the day the test runs.
    let at = crate::process::test_now().to_rfc3339();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let server = Server::start(&db, &["--demo", "--virtual-clock", &at]);
    let password = "the RM's long password";
    let (status, body) = server.request("PUT", "/api/v1/users/zhang.min", Some(&json!({ "password": password })));
    assert_eq!(status, 200, "{body}");
    // Her branch's manager, for the checks that are a manager's.
    let manager = "the manager's long password";
    let (status, body) = server.request("PUT", "/api/v1/users/li.hang", Some(&json!({ "password": manager })));
    assert_eq!(status, 200, "{body}");
    // The demo's analyst, a designer, for the designers' checks.
    let analyst = "the analyst's long password";
    let (status, body) = server.request("PUT", "/api/v1/users/chen.analyst", Some(&json!({ "password": analyst })));
    assert_eq!(status, 200, "{body}");
    // The bank's integration user, for the import screen.
    let integration = "the integration's long password";
    let (status, body) = server.request("PUT", "/api/v1/users/core.banking", Some(&json!({ "password": integration })));
    assert_eq!(status, 200, "{body}");
    let web = repo_root().join("web-designer");
    let out = repo_root().join("target/browser-screenshots");
    let ran = Command::new("node")
        .arg("tests/run.mjs")
        .current_dir(&web)
        .env("BASE_URL", format!("http://{}", server.addr()))
        .env("TRELLIS_USER", "zhang.min")
        .env("TRELLIS_PASSWORD", password)
        .env("TRELLIS_MANAGER", "li.hang")
        .env("TRELLIS_MANAGER_PASSWORD", manager)
        .env("TRELLIS_ANALYST_PASSWORD", analyst)
        .env("TRELLIS_INTEGRATION_PASSWORD", integration)
        .env("TRELLIS_ADMIN_PASSWORD", crate::process::ADMIN_PASSWORD)
        .env("OUT", &out)
        .output()
        .expect("node runs");
    let said = String::from_utf8_lossy(&ran.stdout).into_owned() + &String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{said}");
}

/// The web app's unit tests (`web-designer/tests/unit`, node:test: how filters are written,
/// money, instants and values between inputs and the API, refusals' wording), and its
/// first-load budget: the scripts the built index.html names, at most 600 KB gzipped.
#[test]
fn the_web_apps_unit_tests_pass_and_its_first_load_fits_its_budget() {
    let web = repo_root().join("web-designer");
    for script in ["test:unit", "budget"] {
        let ran = Command::new("npm").args(["run", "--silent", script]).current_dir(&web).output().expect("npm runs");
        let said = String::from_utf8_lossy(&ran.stdout).into_owned() + &String::from_utf8_lossy(&ran.stderr);
        assert!(ran.status.success(), "npm run {script}:\n{said}");
        if script == "budget" {
            println!("{said}");
        }
    }
}
