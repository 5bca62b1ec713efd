//! Files imported into a form: each cell converted as its field takes it, a dry run that
//! writes nothing, refused rows told with their row numbers and reasons, the same file
//! again leaving everything unchanged; and `trellis import` killed halfway, then run again,
//! ending with every row written exactly once.

use std::io::Write;

use serde_json::json;

use crate::reports::{APP, as_user, people};
use crate::rules::rows;
use crate::support::{Backend, both_backends, start};
use server::imports::{Counts, Import, MappingSpec, Progress};

both_backends!(
    an_import_converts_each_cell_and_names_each_refused_row,
    a_killed_import_resumes_and_writes_every_row_once,
    a_spreadsheets_floats_are_taken_only_when_exact
);

/// What the import told.
#[derive(Default)]
struct Told {
    refused: Vec<(u64, String)>,
    last: Counts,
}

impl Progress for Told {
    fn started(&mut self, _ignored: &[String], _resumed_at: u64) {}
    fn advanced(&mut self, _rows_done: u64, counts: &Counts) {
        self.last = *counts;
    }
    fn refused(&mut self, row: u64, _cells: &[String], reasons: &str) -> Result<(), server::error::Error> {
        self.refused.push((row, reasons.to_owned()));
        Ok(())
    }
}

/// The bank's integration user, as `trellis import --as core.banking` acts.
async fn integration(core: &server::core::Core) -> (server::auth::Principal, server::audit::Actor) {
    let user =
        server::auth::user(&core.db.conn, server::auth::Who::Name("core.banking")).await.expect("db").expect("user");
    let actor =
        server::audit::Actor { user_id: Some(user.user_id), name: user.username.clone(), via: "import", ip: None };
    (user, actor)
}

const FILE: &str = "客户号,姓名,手机,证件号码,年收入,生日,风险等级,Interests,客户经理工号,备用
C7001,钱进,13900007001,310101199001017001,\"1,234,567.89\",1990/01/01,R3 平衡型,高尔夫、Travel,E1001,x
C7002,孙出,not-a-mobile,310101199001017002,100,1990-02-02,r2,,E1001,
C7003,李来,13900007003,310101199001017003,100.125,19900303,r9,,E9999,
C7004,周往,13900007004,000123456789012345,88,1990年4月4日,R1 conservative,红酒,E1002,
";

async fn an_import_converts_each_cell_and_names_each_refused_row(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let core = &env.state.core;
    let (user, actor) = integration(core).await;
    let mapping = MappingSpec {
        key: "customer_no".into(),
        columns: [("客户经理工号".to_owned(), "relationship_manager.employee_no".to_owned())].into(),
        ..MappingSpec::default()
    };
    let import = |dry_run| Import {
        app: "bank_crm",
        form: "customer",
        file_name: "c.csv",
        sha256: "abc",
        mapping: &mapping,
        dry_run,
        job: None,
    };
    let reader = || server::imports::source::csv(std::io::Cursor::new(FILE.as_bytes())).expect("csv");
    let count = || rows(&env, "SELECT COUNT(*) FROM t_bank_crm_customer");
    let before = count().await;

    // A dry run: what would happen, nothing written.
    let mut told = Told::default();
    let dry = server::imports::run(core, (&user, &actor), &import(true), reader(), &mut told).await.expect("dry run");
    assert_eq!((dry.rows, dry.counts.created, dry.counts.refused), (4, 2, 2), "{:?}", told.refused);
    assert_eq!(dry.ignored, ["备用"]);
    assert_eq!(count().await, before, "a dry run writes nothing");

    let mut told = Told::default();
    let done = server::imports::run(core, (&user, &actor), &import(false), reader(), &mut told).await.expect("import");
    assert_eq!((done.counts.created, done.counts.refused), (2, 2));
    // Refused rows by their row number in the file (the header is row 1), with why.
    let rows_refused: Vec<u64> = told.refused.iter().map(|(row, _)| *row).collect();
    assert_eq!(rows_refused, [3, 4], "{:?}", told.refused);
    assert!(told.refused[0].1.starts_with("mobile: "), "{:?}", told.refused);
    let third = &told.refused[1].1;
    for part in ["annual_income", "risk_level", "relationship_manager"] {
        assert!(third.contains(part), "{part} in {third}");
    }

    // Cells as their fields take them: money exact from "1,234,567.89", dates written
    // three ways, selects by label in either language, an ID number's leading zeros kept.
    let read = |no: &str| {
        let uri = format!(
            "{APP}/forms/customer/records?filter=customer_no:eq:{no}&fields=annual_income,birthday,risk_level,interests,id_number,relationship_manager"
        );
        let env = &env;
        async move { as_user(env, "core.banking", "GET", &uri, None).await.body["items"][0].clone() }
    };
    let first = read("C7001").await;
    assert_eq!(
        (&first["annual_income"], &first["birthday"], &first["risk_level"], &first["interests"]),
        (&json!("1234567.89"), &json!("1990-01-01"), &json!("r3"), &json!(["golf", "travel"])),
        "{first}"
    );
    let fourth = read("C7004").await;
    assert_eq!(
        (&fourth["id_number"], &fourth["birthday"], &fourth["risk_level"]),
        (&json!("000123456789012345"), &json!("1990-04-04"), &json!("r1"))
    );

    // The same file again: a new import, everything unchanged.
    let mut told = Told::default();
    let again = server::imports::run(core, (&user, &actor), &import(false), reader(), &mut told).await.expect("again");
    assert_eq!((again.counts.unchanged, again.counts.created, again.counts.refused), (2, 0, 2));
    assert_ne!(again.import, done.import);
    env.finish().await;
}

async fn a_killed_import_resumes_and_writes_every_row_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("feed.csv");
    let total = 2500;
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
        writeln!(out, "customer_no,name,risk_level,relationship_manager").expect("header");
        for i in 0..total {
            writeln!(out, "K{i:06},客户{i},r3,1").expect("row");
        }
    }
    let trellis = |dry: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_trellis"));
        command.args([
            "import",
            "--app",
            "bank_crm",
            "--form",
            "customer",
            "--as",
            "core.banking",
            "--key",
            "customer_no",
        ]);
        command.arg("--db").arg(&env.db.url).arg(&file).env("TRELLIS_LOG", "warn");
        if dry {
            command.arg("--dry-run");
        }
        command
    };
    let mut running =
        trellis(false).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect("spawn");
    // Killed (SIGKILL) once its first batch is written.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let done = rows(&env, "SELECT COALESCE(MAX(rows_done), 0) FROM trellis_imports").await;
        if done[0][0] != "0" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the import wrote no batch");
        assert!(running.try_wait().expect("wait").is_none(), "the import ended before it was killed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    running.kill().expect("kill -9");
    running.wait().expect("reaped");
    let written = rows(&env, "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no LIKE 'K%'").await;
    assert!(written[0][0].parse::<i64>().expect("n") < total, "killed halfway: {written:?}");

    let resumed = trellis(false).output().expect("resumed");
    let said = String::from_utf8_lossy(&resumed.stdout);
    assert!(resumed.status.success(), "{said} {}", String::from_utf8_lossy(&resumed.stderr));
    assert!(said.contains(&format!("{total} rows")), "{said}");
    let once = rows(
        &env,
        "SELECT COUNT(*), COUNT(DISTINCT f_customer_no) FROM t_bank_crm_customer WHERE f_customer_no LIKE 'K%'",
    )
    .await;
    assert_eq!(once, [[total.to_string(), total.to_string()]], "every row once");
    let created =
        rows(&env, "SELECT COUNT(*) FROM trellis_audit WHERE action = 'record.create' AND detail LIKE '%\"K0%'").await;
    assert_eq!(created, [[total.to_string()]], "each created once, audited once");
    let imports = rows(&env, "SELECT state, CAST(rows_done AS TEXT), CAST(created AS TEXT) FROM trellis_imports").await;
    assert_eq!(imports, [["done".to_owned(), total.to_string(), total.to_string()]]);
    // A dry run of the same file now: every row unchanged, nothing written.
    let dry = trellis(true).output().expect("dry run");
    let said = String::from_utf8_lossy(&dry.stdout);
    assert!(said.contains(&format!("unchanged {total}")), "{said}");
    env.finish().await;
}

async fn a_spreadsheets_floats_are_taken_only_when_exact(backend: Backend) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("feed.xlsx");
    {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let day = Format::new().set_num_format("yyyy-mm-dd");
        for (c, title) in ["客户号", "姓名", "手机", "证件号码", "年收入", "生日", "客户经理"].iter().enumerate()
        {
            sheet.write_string(0, c as u16, *title).expect("header");
        }
        // Row 2: every number exact. Row 3: money that is no decimal of two places, an ID
        // number past what a double holds. Row 5 after an empty row 4.
        for (r, no, income, id) in
            [(1u32, "C7101", 1234.5, 110101.0), (2, "C7102", 0.1 + 0.2, 310101199001017102.0), (4, "C7103", 88.0, 7.0)]
        {
            sheet.write_string(r, 0, no).expect("no");
            sheet.write_string(r, 1, format!("客户{r}")).expect("name");
            sheet.write_number(r, 2, 13900007101.0 + f64::from(r)).expect("mobile");
            sheet.write_number(r, 3, id).expect("id");
            sheet.write_number(r, 4, income).expect("income");
            let birthday = ExcelDateTime::from_ymd(1990, 1, 2).expect("date");
            sheet.write_datetime_with_format(r, 5, &birthday, &day).expect("birthday");
            sheet.write_string(r, 6, "E1001").expect("rm");
        }
        book.save(&path).expect("saved");
    }
    let core = &env.state.core;
    let (user, actor) = integration(core).await;
    let mapping = MappingSpec {
        key: "customer_no".into(),
        columns: [("客户经理".to_owned(), "relationship_manager.employee_no".to_owned())].into(),
        ..MappingSpec::default()
    };
    let import = Import {
        app: "bank_crm",
        form: "customer",
        file_name: "feed.xlsx",
        sha256: "xlsx",
        mapping: &mapping,
        dry_run: false,
        job: None,
    };
    let source = server::imports::source::xlsx(&path).expect("a workbook");
    let mut told = Told::default();
    let done = server::imports::run(core, (&user, &actor), &import, source, &mut told).await.expect("import");
    assert_eq!((done.rows, done.counts.created, done.counts.refused), (4, 2, 1), "{:?}", told.refused);
    assert_eq!(told.refused.len(), 1);
    let (row, why) = &told.refused[0];
    assert_eq!(*row, 3, "{why}");
    assert!(why.contains("annual_income") && why.contains("id_number"), "{why}");
    let first = as_user(
        &env,
        "core.banking",
        "GET",
        &format!(
            "{APP}/forms/customer/records?filter=customer_no:eq:C7101&fields=annual_income,mobile,id_number,birthday"
        ),
        None,
    )
    .await;
    let first = &first.body["items"][0];
    assert_eq!(
        (&first["annual_income"], &first["mobile"], &first["id_number"], &first["birthday"]),
        (&json!("1234.50"), &json!("13900007102"), &json!("110101"), &json!("1990-01-02")),
        "{first}"
    );
    env.finish().await;
}
