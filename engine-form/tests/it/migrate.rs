//! Migration plans: what a new form version does to its table.

use engine_form::{ColumnState, MigrationStep, StorageType, index_name, parse_bundle, plan_table};
use serde_json::{Value, json};

fn fields(defs: Value) -> Vec<engine_form::Field> {
    let bundle = json!({ "key": "t", "name": { "zh-CN": "t", "en": "t" }, "forms": [ { "key": "f", "label": { "zh-CN": "f", "en": "f" }, "fields": defs } ] });
    parse_bundle(&bundle).unwrap_or_else(|d| panic!("{d:?}")).forms.remove(0).fields
}

fn label() -> Value {
    json!({ "zh-CN": "x", "en": "x" })
}

fn column(field: &str, column: &str, storage: StorageType, type_name: &str, active: bool) -> ColumnState {
    ColumnState {
        field: field.into(),
        column: column.into(),
        storage,
        type_name: type_name.into(),
        active,
        indexed: false,
        unique: false,
    }
}

#[test]
fn first_publish_creates_table_columns_and_indexes() {
    let f = fields(json!([
        { "key": "name", "type": "text", "label": label(), "unique": true },
        { "key": "aum", "type": "decimal", "scale": 2, "label": label(), "index": true },
    ]));
    let steps = plan_table("t_a_f", false, &[], &f, "/fields").expect("plan");
    assert_eq!(steps[0], MigrationStep::CreateTable);
    assert!(steps.contains(&MigrationStep::AddColumn {
        field: "aum".into(),
        column: "f_aum".into(),
        storage: StorageType::Decimal { precision: 18, scale: 2 },
        type_name: "decimal".into()
    }));
    assert!(steps.contains(&MigrationStep::CreateIndex {
        column: "f_name".into(),
        name: index_name("t_a_f", "f_name", true),
        unique: true
    }));
    assert!(steps.contains(&MigrationStep::CreateIndex {
        column: "f_aum".into(),
        name: index_name("t_a_f", "f_aum", false),
        unique: false
    }));
}

#[test]
fn removed_field_is_retired_and_comes_back_with_its_data() {
    let existing = [column("note", "f_note", StorageType::Text, "text", true)];
    let steps = plan_table(
        "t",
        true,
        &existing,
        &fields(json!([{ "key": "other", "type": "integer", "label": label() }])),
        "/fields",
    )
    .expect("plan");
    assert!(steps.contains(&MigrationStep::Retire { field: "note".into(), column: "f_note".into() }));
    let retired = [column("note", "f_note", StorageType::Text, "text", false)];
    let steps = plan_table(
        "t",
        true,
        &retired,
        &fields(json!([{ "key": "note", "type": "text", "label": label() }])),
        "/fields",
    )
    .expect("plan");
    assert_eq!(
        steps,
        vec![MigrationStep::Reactivate { field: "note".into(), column: "f_note".into(), type_name: "text".into() }]
    );
}

#[test]
fn widening_converts_into_a_new_column_and_narrowing_is_refused() {
    let existing = [column("n", "f_n", StorageType::Integer, "integer", true)];
    let steps = plan_table(
        "t",
        true,
        &existing,
        &fields(json!([{ "key": "n", "type": "decimal", "scale": 2, "label": label() }])),
        "/fields",
    )
    .expect("plan");
    assert!(
        matches!(&steps[0], MigrationStep::Convert { from_column, column, .. } if from_column == "f_n" && column == "f_n__2")
    );

    let existing = [column("d", "f_d", StorageType::Decimal { precision: 18, scale: 2 }, "decimal", true)];
    let diags = plan_table(
        "t",
        true,
        &existing,
        &fields(json!([{ "key": "d", "type": "decimal", "scale": 1, "label": label() }])),
        "/fields",
    )
    .expect_err("the change is refused");
    assert_eq!((diags[0].path.as_str(), diags[0].code), ("/fields/0/type", "type_change_refused"));
    let diags =
        plan_table("t", true, &existing, &fields(json!([{ "key": "d", "type": "date", "label": label() }])), "/fields")
            .expect_err("the change is refused");
    assert_eq!(diags[0].code, "type_change_refused");
}

#[test]
fn same_storage_narrowing_verifies_stored_values() {
    let existing = [column("c", "f_c", StorageType::Text, "text", true)];
    let steps = plan_table(
        "t",
        true,
        &existing,
        &fields(json!([{ "key": "c", "type": "email", "label": label() }])),
        "/fields",
    )
    .expect("plan");
    assert_eq!(steps, vec![MigrationStep::Verify { field: "c".into(), column: "f_c".into() }]);
    let existing = [column("c", "f_c", StorageType::Text, "email", true)];
    let steps =
        plan_table("t", true, &existing, &fields(json!([{ "key": "c", "type": "text", "label": label() }])), "/fields")
            .expect("plan");
    assert!(steps.is_empty(), "widening to text needs no check: {steps:?}");
}

#[test]
fn storage_signatures_round_trip() {
    for s in [
        StorageType::Text,
        StorageType::Integer,
        StorageType::Decimal { precision: 12, scale: 4 },
        StorageType::Boolean,
        StorageType::Date,
        StorageType::DateTime,
        StorageType::Json,
        StorageType::Link("customer".into()),
    ] {
        assert_eq!(StorageType::parse(&s.signature()), Some(s));
    }
}

#[test]
fn a_renamed_field_takes_its_column_with_the_data_unless_its_old_key_is_back() {
    let published = [column("note", "f_note", StorageType::Text, "text", true)];
    let renamed = fields(json!([{ "key": "remark", "renamed_from": "note", "type": "text", "label": label() }]));
    let steps = plan_table("t", true, &published, &renamed, "/fields").expect("plan");
    assert_eq!(
        steps,
        vec![MigrationStep::Rename { from: "note".into(), field: "remark".into(), column: "f_note".into() }],
        "no column added, none retired"
    );
    // A field named `note` again keeps that column; the renamed one starts its own.
    let both = fields(json!([
        { "key": "remark", "renamed_from": "note", "type": "text", "label": label() },
        { "key": "note", "type": "text", "label": label() }
    ]));
    let steps = plan_table("t", true, &published, &both, "/fields").expect("plan");
    assert!(
        steps.iter().all(|s| !matches!(s, MigrationStep::Rename { .. } | MigrationStep::Retire { .. })),
        "{steps:?}"
    );
    assert!(
        steps.iter().any(|s| matches!(s, MigrationStep::AddColumn { field, .. } if field == "remark")),
        "{steps:?}"
    );
    // Renamed and retyped: the column follows, then converts.
    let retyped =
        fields(json!([{ "key": "count", "renamed_from": "n", "type": "decimal", "scale": 2, "label": label() }]));
    let ints = [column("n", "f_n", StorageType::Integer, "integer", true)];
    let steps = plan_table("t", true, &ints, &retyped, "/fields").expect("plan");
    assert!(matches!(&steps[0], MigrationStep::Rename { from, .. } if from == "n"), "{steps:?}");
    assert!(matches!(&steps[1], MigrationStep::Convert { from_column, .. } if from_column == "f_n"), "{steps:?}");
}
