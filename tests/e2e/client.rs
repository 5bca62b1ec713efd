//! An integrator's view: a client generated from the bank CRM's OpenAPI document by a
//! maintained generator (openapi-python-client) creates, updates, lists and deletes records
//! against the real server. A document the generator cannot read whole (it once dropped
//! every form's create and update) fails here.

use std::path::PathBuf;
use std::process::Command;

use crate::process::{Server, repo_root};

/// The generator's version, pinned so the test reads the same way every run.
const GENERATOR: &str = "openapi-python-client==0.29.1";

/// A Python with the generator, in a virtual environment under `target/` made on first use.
fn python() -> PathBuf {
    let venv = repo_root().join("target/e2e-python");
    let python = venv.join("bin/python");
    let has_generator = |python: &PathBuf| {
        Command::new(python).args(["-c", "import openapi_python_client"]).status().is_ok_and(|s| s.success())
    };
    if !has_generator(&python) {
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().expect("python3 runs");
        assert!(made.success(), "python3 -m venv {}", venv.display());
        let installed =
            Command::new(&python).args(["-m", "pip", "install", "-q", GENERATOR]).status().expect("pip runs");
        assert!(installed.success(), "pip install {GENERATOR} (the package registry must be reachable)");
    }
    python
}

#[test]
fn a_generated_client_creates_updates_lists_and_deletes() {
    let python = python();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&format!("sqlite://{}", dir.path().join("t.db").display()), &["--demo"]);
    let (status, doc) = server.anonymous("GET", "/api/v1/apps/bank_crm/openapi.json", None);
    assert_eq!(status, 200);
    let doc_path = dir.path().join("openapi.json");
    std::fs::write(&doc_path, doc.to_string()).expect("document written");
    let out = dir.path().join("client");
    // The generator formats its output with ruff, which the virtual environment holds.
    let bin = python.parent().expect("the venv's bin").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH joins");
    let generated = Command::new(&python)
        .env("PATH", path)
        .args(["-m", "openapi_python_client", "generate", "--path"])
        .arg(&doc_path)
        .arg("--output-path")
        .arg(&out)
        .output()
        .expect("the generator runs");
    let said = String::from_utf8_lossy(&generated.stdout).into_owned() + &String::from_utf8_lossy(&generated.stderr);
    assert!(generated.status.success(), "{said}");
    assert!(!said.contains("Warning"), "the generator read the whole document: {said}");
    let base = format!("http://{}", server.addr());
    let used = Command::new(&python)
        .arg(repo_root().join("tests/e2e/python/use_generated_client.py"))
        .args([&base, &server.admin_token()])
        .arg(&out)
        .output()
        .expect("the script runs");
    let said = String::from_utf8_lossy(&used.stdout).into_owned() + &String::from_utf8_lossy(&used.stderr);
    assert!(used.status.success(), "{said}");
}
