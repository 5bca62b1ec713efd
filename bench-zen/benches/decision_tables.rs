//! engine-rule's decision table against a zen-engine decision table of the same rows (3,
//! 30, 300), on the same customer, each compiled once and evaluated many times:
//! `cargo bench --manifest-path bench-zen/Cargo.toml --bench decision_tables`.
//!
//! zen evaluates a decision graph (input → table → output), the smallest thing its engine
//! runs; its evaluation is async, driven here by a current-thread tokio runtime.

use std::sync::Arc;

use bench_zen::{Customer, tiering_tables};
use chrono::{TimeZone, Utc};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use zen_engine::DecisionEngine;

fn side_by_side(c: &mut Criterion) {
    let customer = Customer::sample();
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).single().expect("instant");
    let ctx = engine_rule::Context::at(now, now.date_naive());
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let context: zen_expression::variable::Variable = customer.json().into();
    for rows in [3, 30, 300] {
        let (ours, zen) = tiering_tables(rows);
        let table = engine_rule::parse_table(&ours, &customer).expect("engine-rule reads the table");
        let content = serde_json::from_value(zen).expect("a zen decision graph");
        let mut decision = DecisionEngine::default().create_decision(Arc::new(content)).expect("a decision");
        decision.compile();
        // Both must pick the same row before they are timed.
        let a = table.evaluate(&customer, &ctx).expect("engine-rule evaluates it");
        let b = runtime.block_on(decision.evaluate(context.clone())).expect("zen evaluates it");
        let want = serde_json::json!(format!("t{}", rows - 1));
        assert_eq!(table.output_value(&a, "tier"), engine_rule::Value::Text(format!("t{}", rows - 1)));
        let theirs: serde_json::Value = b.result.to_value();
        assert_eq!(theirs["tier"], want, "zen picked {theirs}");
        let mut group = c.benchmark_group(format!("table_{rows}_rows"));
        group.bench_function("engine-rule", |bench| {
            bench.iter(|| table.evaluate(black_box(&customer), &ctx).expect("evaluates"))
        });
        group.bench_function("zen-engine", |bench| {
            bench.iter(|| runtime.block_on(decision.evaluate(black_box(context.clone()))).expect("evaluates"))
        });
        group.finish();
    }
}

criterion_group!(benches, side_by_side);
criterion_main!(benches);
