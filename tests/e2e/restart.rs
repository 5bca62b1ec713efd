//! Records survive a server restart, even a kill in the middle of work.

use serde_json::json;

use crate::process::{PgDb, Server};

const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";

fn records_survive_a_killed_server(db: &str) {
    let server = Server::start(db, &["--demo"]);
    let (status, created) = server.request(
        "POST",
        CUSTOMERS,
        Some(&json!({ "customer_no": "R1", "name": "Restart", "aum": "1000000.01", "tier": "affluent" })),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    let (status, updated) =
        server.request("PATCH", &format!("{CUSTOMERS}/{id}"), Some(&json!({ "notes": "after the restart" })));
    assert_eq!(status, 200, "{updated}");
    server.kill();

    // --demo again must find the app and leave it (and its seed) alone.
    let server = Server::start(db, &["--demo"]);
    let (status, read) = server.request("GET", &format!("{CUSTOMERS}/{id}"), None);
    assert_eq!(status, 200);
    assert_eq!(
        (read["aum"].as_str(), read["tier"].as_str(), read["_version"].as_i64()),
        (Some("1000000.01"), Some("affluent"), Some(2))
    );
    let (_, list) = server.request("GET", &format!("{CUSTOMERS}?count=true&limit=1"), None);
    assert_eq!(list["total"], 7, "six seeded customers and ours, no second seeding");
}

#[test]
fn records_survive_a_killed_server_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    records_survive_a_killed_server(&format!("sqlite://{}", dir.path().join("trellis.db").display()));
}

#[test]
fn records_survive_a_killed_server_on_postgres() {
    let db = PgDb::new();
    records_survive_a_killed_server(&db.url);
}
