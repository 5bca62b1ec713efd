//! The directory (org units and users) managed and imported by administrators, the
//! platform roles guarding what each user may do, and maker-checker publishing.

use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(
    the_directory_is_imported_whole_or_not_at_all,
    platform_roles_guard_the_routes,
    publishing_can_need_a_second_persons_approval
);

async fn the_directory_is_imported_whole_or_not_at_all(backend: Backend) {
    let env = start(backend).await;
    let directory = json!({
        "org_units": [
            { "key": "hq", "name": "总行" },
            { "key": "sh", "name": "上海分行", "parent": "hq" },
            { "key": "sh.wealth", "name": "上海财富团队", "parent": "sh" }
        ],
        "users": [
            { "username": "zhang.wei", "display_name": "张伟", "org_unit": "sh.wealth", "password": "a long enough secret" },
            { "username": "li.na", "display_name": "李娜", "org_unit": "sh", "platform_role": "designer" }
        ]
    });
    let imported = env.post("/api/v1/directory/import", &directory).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert_eq!(imported.body, json!({ "org_units": 3, "users": 2 }));
    let units = env.get("/api/v1/org-units").await;
    let parents: Vec<(String, Option<String>)> = units.body["items"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| (u["key"].as_str().unwrap_or("").to_owned(), u["parent"].as_str().map(str::to_owned)))
        .collect();
    assert_eq!(
        parents,
        [("hq".into(), None), ("sh".into(), Some("hq".into())), ("sh.wealth".into(), Some("sh".into()))]
    );

    let bad = json!({
        "org_units": [{ "key": "bj", "name": "北京分行", "parent": "north" }],
        "users": [
            { "username": "wang.fang", "platform_role": "root", "org_unit": "gz" },
            { "username": "Wang Fang", "password": "short" },
            { "username": "zhang.wei" }, { "username": "zhang.wei" }
        ]
    });
    let refused = env.post("/api/v1/directory/import", &bad).await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.error_paths(),
        [
            "/org_units/0/parent unknown_unit",
            "/users/0/platform_role bad_role",
            "/users/0/org_unit unknown_unit",
            "/users/1/username bad_username",
            "/users/1/password weak_password",
            "/users/3/username duplicate"
        ]
    );
    assert_eq!(env.get("/api/v1/org-units").await.body["items"].as_array().map(Vec::len), Some(3), "nothing written");

    let csv = "username,display_name,org_unit,password\r\nzhao.gang,\"赵刚, 客户经理\",sh.wealth,another long secret\r\nzhang.wei,张伟（财富）,sh,\r\n";
    let from_csv = env.send("POST", "/api/v1/directory/import", Some(csv), &[("content-type", "text/csv")]).await;
    assert_eq!(from_csv.status, 200, "{}", from_csv.body);
    let users = env.get("/api/v1/users").await;
    let listed: Vec<(String, Option<String>, String, Option<String>)> = users.body["items"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap_or("").to_owned(),
                u["display_name"].as_str().map(str::to_owned),
                u["platform_role"].as_str().unwrap_or("").to_owned(),
                u["org_unit"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("admin".into(), None, "administrator".into(), None),
            ("zhang.wei".into(), Some("张伟（财富）".into()), "user".into(), Some("sh".into())),
            ("li.na".into(), Some("李娜".into()), "designer".into(), Some("sh".into())),
            ("zhao.gang".into(), Some("赵刚, 客户经理".into()), "user".into(), Some("sh.wealth".into())),
        ],
        "the CSV updated 张伟 and added 赵刚"
    );
    assert!(users.body["items"][0].get("password_hash").is_none());
    let conn = &env.state.db.conn;
    assert!(
        server::auth::login(conn, "zhang.wei", "a long enough secret", server::auth::wall_now()).await.is_ok(),
        "password kept"
    );
    assert!(server::auth::login(conn, "li.na", "", server::auth::wall_now()).await.is_err(), "no password, no sign-in");
    let saved = env.put("/api/v1/users/li.na", &json!({ "password": "the designer's secret", "org_unit": "hq" })).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(server::auth::login(conn, "li.na", "the designer's secret", server::auth::wall_now()).await.is_ok());
    // A password reset that names no unit leaves the user in theirs (it once cleared it).
    let reset = env.put("/api/v1/users/li.na", &json!({ "password": "another long secret" })).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let listed = env.get("/api/v1/users").await.body["items"].clone();
    let li_na = listed.as_array().expect("users").iter().find(|u| u["username"] == "li.na").cloned();
    assert_eq!(li_na.map(|u| u["org_unit"].clone()), Some(json!("hq")), "{listed}");
    env.finish().await;
}

async fn platform_roles_guard_the_routes(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let people = json!({ "users": [
        { "username": "rm", "password": "relationship manager", "platform_role": "user",
          "app_roles": { "bank_crm": ["analyst"] } },
        { "username": "analyst", "password": "the designer's secret", "platform_role": "designer" }
    ] });
    let unknown =
        json!({ "users": [{ "username": "rm", "app_roles": { "bank_crm": ["analyst", "teller"], "no_app": ["x"] } }] });
    let refused = env.post("/api/v1/directory/import", &unknown).await;
    let paths: Vec<&str> =
        refused.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!((refused.status, paths), (422, vec!["/users/0/app_roles/bank_crm/1", "/users/0/app_roles/no_app"]));
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let conn = &env.state.db.conn;
    let (rm, _) = server::auth::login(conn, "rm", "relationship manager", server::auth::wall_now()).await.expect("rm");
    let (analyst, _) =
        server::auth::login(conn, "analyst", "the designer's secret", server::auth::wall_now()).await.expect("analyst");
    let rm = format!("Bearer {rm}");
    let analyst = format!("Bearer {analyst}");
    let rule = json!({ "key": "noop", "trigger": { "on": "created", "form": "customer" } }).to_string();
    let cases: [(&str, &str, Option<&str>, &str, u16); 8] = [
        ("GET", "/api/v1/apps/bank_crm/forms/customer/records", None, &rm, 200),
        ("PUT", "/api/v1/apps/bank_crm/drafts/rules/noop", Some(&rule), &rm, 403),
        ("POST", "/api/v1/apps/bank_crm/publish", Some("{}"), &rm, 403),
        ("GET", "/api/v1/users", None, &rm, 403),
        ("PUT", "/api/v1/apps/bank_crm/drafts/rules/noop", Some(&rule), &analyst, 200),
        ("POST", "/api/v1/apps/bank_crm/publish", Some("{}"), &analyst, 200),
        ("GET", "/api/v1/audit", None, &analyst, 403),
        ("GET", "/api/v1/users", None, &analyst, 403),
    ];
    for (method, uri, body, who, want) in cases {
        let got = env.send(method, uri, body, &[("authorization", who)]).await;
        assert_eq!(got.status, want, "{method} {uri} as {}: {}", if who == rm { "rm" } else { "analyst" }, got.body);
        if want == 403 {
            assert_eq!(got.body["code"], "forbidden");
        }
    }
    env.finish().await;
}

async fn publishing_can_need_a_second_persons_approval(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let people = json!({ "users": [
        { "username": "maker", "password": "the maker's secret", "platform_role": "designer" },
        { "username": "checker", "password": "the checker's secret", "platform_role": "designer" }
    ] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let conn = &env.state.db.conn;
    let bearer = |t: String| format!("Bearer {t}");
    let maker = bearer(
        server::auth::login(conn, "maker", "the maker's secret", server::auth::wall_now()).await.expect("maker").0,
    );
    let checker = bearer(
        server::auth::login(conn, "checker", "the checker's secret", server::auth::wall_now())
            .await
            .expect("checker")
            .0,
    );
    let settings = json!({ "publish_approval": true }).to_string();
    let as_maker = [("authorization", maker.as_str())];
    let refused = env.send("PUT", "/api/v1/apps/bank_crm/settings", Some(&settings), &as_maker).await;
    assert_eq!(refused.status, 403, "settings are for administrators");
    assert_eq!(env.put("/api/v1/apps/bank_crm/settings", &json!({ "publish_approval": true })).await.status, 200);

    let rule = json!({ "key": "noop", "trigger": { "on": "created", "form": "customer" } }).to_string();
    assert_eq!(env.send("PUT", "/api/v1/apps/bank_crm/drafts/rules/noop", Some(&rule), &as_maker).await.status, 200);
    let asked = env.send("POST", "/api/v1/apps/bank_crm/publish", Some("{}"), &as_maker).await;
    assert_eq!((asked.status, asked.body["state"].as_str()), (202, Some("pending")), "{}", asked.body);
    let request = asked.body["request"].as_i64().expect("request");
    // A later draft change is not what was asked for.
    let other = json!({ "key": "later", "trigger": { "on": "created", "form": "customer" } }).to_string();
    assert_eq!(env.send("PUT", "/api/v1/apps/bank_crm/drafts/rules/later", Some(&other), &as_maker).await.status, 200);
    let approve = format!("/api/v1/apps/bank_crm/publish-requests/{request}/approve");
    let own = env.send("POST", &approve, Some("{}"), &as_maker).await;
    assert_eq!((own.status, own.body["code"].as_str()), (403, Some("four_eyes")));
    let approved = env.send("POST", &approve, Some("{}"), &[("authorization", checker.as_str())]).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        (approved.body["made_by"].as_str(), approved.body["approved_by"].as_str()),
        (Some("maker"), Some("checker"))
    );
    let version = approved.body["version"].as_i64().expect("version");
    let signed = crate::rules::rows(
        &env,
        &format!("SELECT made_by, approved_by, bundle FROM trellis_app_versions WHERE app = 'bank_crm' AND version = {version}"),
    )
    .await;
    assert_eq!((signed[0][0].as_str(), signed[0][1].as_str()), ("maker", "checker"));
    assert!(signed[0][2].contains("\"noop\"") && !signed[0][2].contains("\"later\""), "the bundle asked for, exactly");
    let again = env.send("POST", &approve, Some("{}"), &[("authorization", checker.as_str())]).await;
    assert_eq!(again.status, 404, "decided already");
    let requests = env.get("/api/v1/apps/bank_crm/publish-requests").await;
    assert_eq!(requests.body["items"][0]["state"], "approved");
    env.finish().await;
}
