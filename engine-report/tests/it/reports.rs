use chrono::{DateTime, NaiveDate, Utc};
use engine_report::{Cell, Column, Kind, ReportError, Table, parse_report, run};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn column(key: &str, kind: Kind) -> Column {
    Column { key: key.into(), label: json!({ "zh-CN": key, "en": key }), kind }
}

fn money(text: &str) -> Cell {
    Cell::Decimal(text.parse::<Decimal>().expect("decimal"))
}

fn at(text: &str) -> Cell {
    Cell::DateTime(text.parse::<DateTime<Utc>>().expect("instant"))
}

/// Transactions: a branch, a channel, an amount (2 places), when.
pub(crate) fn transactions() -> Table {
    let row = |branch: &str, channel: &str, amount: &str, when: &str| {
        vec![Cell::Text(branch.into()), Cell::Text(channel.into()), money(amount), at(when)]
    };
    Table {
        folded: None,
        columns: vec![
            column("branch", Kind::Text),
            column("channel", Kind::Text),
            column("amount", Kind::Decimal(2)),
            column("occurred_at", Kind::Instant),
        ],
        rows: vec![
            // 01:00 on 1 December in Shanghai: December there, November in UTC.
            row("sh001", "mobile", "0.10", "2026-11-30T17:00:00Z"),
            row("sh001", "mobile", "0.20", "2026-12-03T02:00:00Z"),
            row("sh001", "branch", "1000000.05", "2026-12-04T02:00:00Z"),
            row("sh002", "mobile", "250.00", "2026-11-29T02:00:00Z"),
            row("sh003", "branch", "99.99", "2026-12-05T02:00:00Z"),
        ],
    }
}

fn report(doc: Value) -> engine_report::Report {
    parse_report(&doc, "").expect("a valid report")
}

#[test]
fn months_are_read_in_the_reports_zone_and_every_figure_is_exact() {
    let by_month = report(
        json!({ "key": "flows", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "occurred_at", "bucket": "month", "zone": "Asia/Shanghai" }],
        "measures": [
            { "key": "n", "op": "count" },
            { "key": "total", "op": "sum", "field": "amount" },
            { "key": "mean", "op": "avg", "field": "amount" },
            { "key": "share", "op": "share", "of": ["total"] },
            { "key": "branches", "op": "count_distinct", "field": "branch" }
        ] }),
    );
    let answer = run(&by_month, &transactions()).expect("runs");
    let rows = answer["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{answer}");
    assert_eq!(rows[0]["keys"], json!(["2026-11"]));
    assert_eq!(
        rows[0]["values"],
        json!(["1", "250.00", "250.00", "0.0002", "1"]),
        "only sh002's, in Shanghai's November"
    );
    assert_eq!(rows[1]["keys"], json!(["2026-12"]));
    assert_eq!(
        rows[1]["values"],
        json!(["4", "1000100.34", "250025.08", "0.9998", "2"]),
        "0.1 + 0.2 is 0.30, exactly; 250025.085 rounds half to even"
    );
    assert_eq!(answer["total"], json!(["5", "1000350.34", "200070.07", "1.0000", "3"]));
    // The bucket's cell reproduces it: December in Shanghai, as instants.
    assert_eq!(
        rows[1]["drill"],
        json!([{ "field": "occurred_at", "from": "2026-11-30T16:00:00Z", "before": "2026-12-31T16:00:00Z",
            "zone": "Asia/Shanghai", "from_date": "2026-12-01", "before_date": "2027-01-01" }])
    );
    let columns = answer["columns"].as_array().expect("columns");
    assert_eq!(
        (columns[2]["scale"].clone(), columns[3]["scale"].clone(), columns[3]["rounding"].clone()),
        (json!(2), json!(2), json!("half_even"))
    );
}

#[test]
fn sums_beyond_two_to_the_53_are_exact_and_near_the_limits_refused_never_wrapped() {
    let big = Table {
        folded: None,
        columns: vec![column("n", Kind::Integer), column("d", Kind::Decimal(0))],
        rows: vec![
            vec![Cell::Integer(i64::MAX), money("79228162514264337593543950335")],
            vec![Cell::Integer(i64::MAX), money("79228162514264337593543950335")],
            vec![Cell::Integer(9_007_199_254_740_993), Cell::Null],
        ],
    };
    let ints = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "measures": [{ "key": "s", "op": "sum", "field": "n" }, { "key": "m", "op": "max", "field": "n" }] }),
    );
    let answer = run(&ints, &big).expect("runs");
    // 2 × (2^63 − 1) + 2^53 + 1: far past both 2^53 and i64, exact.
    assert_eq!(answer["total"], json!(["18455751272964292607", "9223372036854775807"]));
    // Two of the largest decimals sum past what a decimal holds: refused, not wrapped.
    let decimals = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "measures": [{ "key": "s", "op": "sum", "field": "d" }] }),
    );
    assert_eq!(run(&decimals, &big), Err(ReportError::Overflow { measure: "s".into() }));
    // At ten places the same value is past i128 itself: refused before it is summed.
    let mut finer = big.clone();
    finer.columns[1].kind = Kind::Decimal(10);
    assert_eq!(run(&decimals, &finer), Err(ReportError::Overflow { measure: "s".into() }));
    // Sums that cancel out after passing i64 come back exact.
    let swing = Table {
        folded: None,
        columns: vec![column("n", Kind::Integer)],
        rows: vec![
            vec![Cell::Integer(i64::MAX)],
            vec![Cell::Integer(i64::MAX)],
            vec![Cell::Integer(i64::MIN)],
            vec![Cell::Integer(i64::MIN)],
        ],
    };
    let sum = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "measures": [{ "key": "s", "op": "sum", "field": "n" }] }),
    );
    assert_eq!(run(&sum, &swing).expect("runs")["total"], json!(["-2"]));
}

#[test]
fn the_top_branches_with_the_rest_as_others_and_a_pivot_with_its_totals() {
    let top = report(json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "branch" }],
        "measures": [{ "key": "total", "op": "sum", "field": "amount" }, { "key": "n", "op": "count" }],
        "top": { "n": 1, "by": "total", "others": true } }));
    let answer = run(&top, &transactions()).expect("runs");
    let rows = answer["rows"].as_array().expect("rows");
    assert_eq!((rows[0]["keys"].clone(), rows[0]["values"].clone()), (json!(["sh001"]), json!(["1000000.35", "3"])));
    assert_eq!(
        (rows[1]["others"].clone(), rows[1]["values"].clone()),
        (json!(true), json!(["349.99", "2"])),
        "sh002 and sh003"
    );
    assert_eq!(rows[0]["drill"], json!([{ "field": "branch", "equals": "sh001" }]));

    let pivot = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "branch" }, { "field": "channel" }], "columns": ["channel"],
        "measures": [{ "key": "total", "op": "sum", "field": "amount" }] }),
    );
    let answer = run(&pivot, &transactions()).expect("runs");
    let p = &answer["pivot"];
    assert_eq!(p["rows"], json!([["sh001"], ["sh002"], ["sh003"]]));
    assert_eq!(p["columns"], json!([["branch"], ["mobile"]]));
    assert_eq!(p["cells"][0], json!([["1000000.05"], ["0.30"]]));
    assert_eq!(p["cells"][1], json!([null, ["250.00"]]), "no sh002 branch-channel rows: no cell");
    assert_eq!(p["row_totals"], json!([["1000000.35"], ["250.00"], ["99.99"]]));
    assert_eq!(p["column_totals"], json!([["1000100.04"], ["250.30"]]));
    assert_eq!(p["total"], json!(["1000350.34"]));
}

#[test]
fn a_date_is_bucketed_as_it_is_and_weeks_and_quarters_are_named_in_order() {
    let table = Table {
        folded: None,
        columns: vec![column("opened_on", Kind::Date)],
        rows: ["2026-12-31", "2027-01-01", "2027-01-04"]
            .iter()
            .map(|d| vec![Cell::Date(d.parse::<NaiveDate>().expect("date"))])
            .collect(),
    };
    let weeks = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "opened_on", "bucket": "week" }], "measures": [{ "key": "n", "op": "count" }] }),
    );
    let answer = run(&weeks, &table).expect("runs");
    let keys: Vec<Value> = answer["rows"].as_array().expect("rows").iter().map(|r| r["keys"][0].clone()).collect();
    assert_eq!(keys, vec![json!("2026-W53"), json!("2027-W01")], "ISO weeks: 1 January 2027 is in 2026's last");
    assert_eq!(
        answer["rows"][0]["drill"][0],
        json!({ "field": "opened_on", "from": "2026-12-28", "before": "2027-01-04" })
    );
    let quarters = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "opened_on", "bucket": "quarter" }], "measures": [{ "key": "n", "op": "count" }] }),
    );
    assert_eq!(run(&quarters, &table).expect("runs")["rows"][1]["keys"], json!(["2027-Q1"]));
}

#[test]
fn a_definition_is_checked_with_every_problem_at_its_path() {
    let bad = json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "occurred_at", "bucket": "month", "zone": "Mars/Olympus" }],
        "measures": [
            { "key": "total", "op": "sum" },
            { "key": "ratio", "op": "ratio", "of": ["total"] },
            { "key": "total", "op": "count" }
        ],
        "top": { "n": 3, "by": "nothing" }, "columns": ["channel"] });
    let found = parse_report(&bad, "/reports/0").expect_err("refused");
    let at: Vec<(String, &str)> = found.iter().map(|d| (d.path.clone(), d.code)).collect();
    for want in [
        ("/reports/0/measures/0/field", "required"),
        ("/reports/0/measures/1/of", "arity"),
        ("/reports/0/measures/2/key", "duplicate"),
        ("/reports/0/dimensions/0/zone", "unknown_zone"),
        ("/reports/0/top/by", "unknown_measure"),
        ("/reports/0/columns/0", "unknown_dimension"),
    ] {
        assert!(at.contains(&(want.0.to_owned(), want.1)), "{want:?} in {at:?}");
    }
    // A report over a column the dataset lacks, or summing a text, is refused at its place.
    let missing = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "measures": [{ "key": "s", "op": "sum", "field": "nope" }] }),
    );
    assert!(matches!(run(&missing, &transactions()), Err(ReportError::UnknownColumn { .. })));
    let text = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "measures": [{ "key": "s", "op": "sum", "field": "branch" }] }),
    );
    assert!(matches!(run(&text, &transactions()), Err(ReportError::NotANumber { .. })));
}

#[test]
fn a_running_total_and_the_change_from_the_previous_month() {
    let months = report(json!({ "key": "r", "dataset": { "form": "transaction" },
        "dimensions": [{ "field": "occurred_at", "bucket": "month", "zone": "Asia/Shanghai" }],
        "measures": [
            { "key": "total", "op": "sum", "field": "amount" },
            { "key": "so_far", "op": "running_total", "of": ["total"] },
            { "key": "change", "op": "change", "of": ["total"] }
        ] }));
    let answer = run(&months, &transactions()).expect("runs");
    assert_eq!(answer["rows"][0]["values"], json!(["250.00", "250.00", null]));
    assert_eq!(answer["rows"][1]["values"], json!(["1000100.34", "1000350.34", "999850.34"]));
    assert_eq!(answer["total"], json!(["1000350.34", "1000350.34", null]));
    assert_eq!(answer["columns"][2]["scale"], json!(2));
    // By month and branch: each branch changes from its own month before, not its neighbour's.
    let by_branch = report(json!({ "key": "r", "dataset": { "form": "transaction" },
        "dimensions": [{ "field": "occurred_at", "bucket": "month", "zone": "Asia/Shanghai" }, { "field": "branch" }],
        "measures": [
            { "key": "total", "op": "sum", "field": "amount" },
            { "key": "change", "op": "change", "of": ["total"] }
        ] }));
    let mut table = transactions();
    table.rows.push(vec![
        Cell::Text("sh002".into()),
        Cell::Text("mobile".into()),
        money("100.00"),
        at("2026-12-06T02:00:00Z"),
    ]);
    let answer = run(&by_branch, &table).expect("runs");
    let changes: Vec<(String, Value, Value)> = answer["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["keys"][0].as_str().unwrap_or("").to_owned(), r["keys"][1].clone(), r["values"][1].clone()))
        .collect();
    assert!(
        changes.iter().any(|(_, _, change)| change == "-150.00"),
        "sh002's December against its November: {changes:?}"
    );
    for (month, branch, change) in &changes {
        let expected = if month.starts_with("2026-12") && branch == "sh002" { json!("-150.00") } else { Value::Null };
        assert_eq!(change, &expected, "{month} {branch}: {changes:?}");
    }
    let wrong =
        json!({ "key": "r", "dataset": { "form": "t" }, "measures": [{ "key": "c", "op": "change", "of": ["c"] }] });
    let found = parse_report(&wrong, "").expect_err("refused");
    assert!(found.iter().any(|d| d.code == "unknown_measure"), "{found:?}");
}

#[test]
fn a_sort_orders_rows_as_numbers_and_a_pivot_drills_by_row_and_column() {
    let sorted = report(
        json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "branch" }],
        "measures": [{ "key": "total", "op": "sum", "field": "amount" }], "sort": [{ "by": "total", "descending": true }] }),
    );
    let answer = run(&sorted, &transactions()).expect("runs");
    let keys: Vec<Value> = answer["rows"].as_array().expect("rows").iter().map(|r| r["keys"][0].clone()).collect();
    // 250.00 before 99.99: compared as decimals, not as text.
    assert_eq!(keys, [json!("sh001"), json!("sh002"), json!("sh003")]);
    let ascending =
        report(json!({ "key": "r", "dataset": { "form": "transaction" }, "dimensions": [{ "field": "branch" }],
        "measures": [{ "key": "total", "op": "sum", "field": "amount" }], "sort": [{ "by": "total" }] }));
    let answer = run(&ascending, &transactions()).expect("runs");
    assert_eq!(answer["rows"][0]["keys"], json!(["sh003"]));

    let pivot = report(json!({ "key": "r", "dataset": { "form": "transaction" },
        "dimensions": [{ "field": "occurred_at", "bucket": "month", "zone": "Asia/Shanghai" }, { "field": "channel" }],
        "columns": ["channel"], "measures": [{ "key": "n", "op": "count" }] }));
    let answer = run(&pivot, &transactions()).expect("runs");
    let p = &answer["pivot"];
    assert_eq!(
        p["row_drill"][1],
        json!([{ "field": "occurred_at", "from": "2026-11-30T16:00:00Z", "before": "2026-12-31T16:00:00Z",
        "zone": "Asia/Shanghai", "from_date": "2026-12-01", "before_date": "2027-01-01" }])
    );
    assert_eq!(
        p["column_drill"],
        json!([[{ "field": "channel", "equals": "branch" }], [{ "field": "channel", "equals": "mobile" }]])
    );
}

#[test]
fn a_definition_names_its_unknown_sort_and_comparison_and_a_dashboard_its_grid() {
    let wrong = json!({ "key": "r", "dataset": { "form": "f" }, "measures": [{ "key": "n", "op": "count" }],
        "sort": [{ "by": "nothing" }], "chart": { "type": "kpi", "compare": "none" },
        "parameters": [{ "key": "p", "field": "a" }, { "key": "p", "field": "b" }] });
    let paths: Vec<String> =
        parse_report(&wrong, "/reports/0").expect_err("wrong").into_iter().map(|d| d.path).collect();
    assert_eq!(paths, ["/reports/0/parameters/1/key", "/reports/0/sort/0/by", "/reports/0/chart/compare"]);

    let board = json!({ "key": "b", "cards": [{ "report": "r", "x": 0, "y": 0, "w": 6, "h": 2 },
        { "report": "r", "x": 4, "y": 1 }, { "report": "r", "x": 10, "y": 5, "w": 4 }] });
    let found = engine_report::parse_dashboard(&board, "/dashboards/0").expect_err("wrong");
    let codes: Vec<(String, &str)> = found.iter().map(|d| (d.path.clone(), d.code)).collect();
    assert_eq!(
        codes,
        [("/dashboards/0/cards/1".to_owned(), "overlap"), ("/dashboards/0/cards/2/w".to_owned(), "off_grid")]
    );
}

#[test]
fn a_list_gives_rows_in_its_sort_at_most_its_limit_each_with_its_id() {
    let mut table = transactions();
    table.columns.push(column("id", Kind::Integer));
    for (i, row) in table.rows.iter_mut().enumerate() {
        row.push(Cell::Integer(i as i64 + 1));
    }
    let list = report(json!({ "key": "r", "dataset": { "form": "transaction" },
        "list": { "fields": ["branch", "amount"], "limit": 2 }, "sort": [{ "by": "amount", "descending": true }] }));
    let answer = run(&list, &table).expect("runs");
    assert_eq!(answer["rows"][0]["keys"], json!(["sh001", "1000000.05"]));
    assert_eq!(
        (answer["rows"][0]["id"].clone(), answer["rows"][1]["id"].clone()),
        (json!(3), json!(4)),
        "250.00 before 99.99"
    );
    assert_eq!(answer["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(answer["columns"][1]["scale"], 2);
    let wrong =
        json!({ "key": "r", "dataset": { "form": "f", "platform": "tasks" }, "list": { "fields": [], "limit": 0 } });
    let paths: Vec<String> = parse_report(&wrong, "").expect_err("wrong").into_iter().map(|d| d.path).collect();
    assert_eq!(paths, ["/dataset", "/list"]);
}

#[test]
fn a_pivots_totals_merged_from_its_cells_are_those_read_from_the_rows() {
    let measures = json!([{ "key": "n", "op": "count" }, { "key": "s", "op": "sum", "field": "amount" },
        { "key": "lo", "op": "min", "field": "amount" }, { "key": "hi", "op": "max", "field": "amount" },
        { "key": "mean", "op": "avg", "field": "amount" }]);
    let merged = report(json!({ "key": "r", "dataset": { "form": "transaction" },
        "dimensions": [{ "field": "branch" }, { "field": "channel" }], "columns": ["channel"], "measures": measures }));
    // A distinct count does not add up: with one, the totals are read from the rows.
    let mut with_distinct = measures.as_array().expect("measures").clone();
    with_distinct.push(json!({ "key": "d", "op": "count_distinct", "field": "branch" }));
    let read = report(json!({ "key": "r", "dataset": { "form": "transaction" },
        "dimensions": [{ "field": "branch" }, { "field": "channel" }], "columns": ["channel"], "measures": with_distinct }));
    let (a, b) = (run(&merged, &transactions()).expect("runs"), run(&read, &transactions()).expect("runs"));
    for part in ["row_totals", "column_totals", "cells"] {
        let first_five = |v: &Value| -> Value {
            let trim = |cell: &Value| match cell.as_array() {
                Some(values) => json!(values.iter().take(5).cloned().collect::<Vec<_>>()),
                None => cell.clone(),
            };
            match part {
                "cells" => json!(
                    v.as_array()
                        .expect("lines")
                        .iter()
                        .map(|l| json!(l.as_array().expect("line").iter().map(trim).collect::<Vec<_>>()))
                        .collect::<Vec<_>>()
                ),
                _ => json!(v.as_array().expect("totals").iter().map(trim).collect::<Vec<_>>()),
            }
        };
        assert_eq!(first_five(&a["pivot"][part]), first_five(&b["pivot"][part]), "{part}");
    }
    assert_eq!(a["pivot"]["row_totals"][0], json!(["3", "1000000.35", "0.10", "1000000.05", "333333.45"]));
}
