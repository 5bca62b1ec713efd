//! engine-rule against zen-expression on the same expressions and record, compiled once
//! and evaluated many times: `cargo bench --manifest-path bench-zen/Cargo.toml`.

use bench_zen::{Customer, EXPRESSIONS};
use chrono::{TimeZone, Utc};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

fn side_by_side(c: &mut Criterion) {
    let customer = Customer::sample();
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).single().expect("instant");
    let ctx = engine_rule::Context { now, today: now.date_naive() };
    let context: zen_expression::variable::Variable = customer.json().into();
    for (name, text) in EXPRESSIONS {
        let ours = engine_rule::parse(text).expect("engine-rule parses it");
        let theirs = zen_expression::compile_expression(text).expect("zen compiles it");
        let mut vm = zen_expression::vm::VM::new();
        // Both must agree before they are timed.
        let a = engine_rule::evaluate(&ours, &customer, &ctx).expect("engine-rule evaluates it");
        let b = theirs.evaluate_with(context.clone(), &mut vm).expect("zen evaluates it");
        println!("{name}: engine-rule {a:?}, zen {b:?}");
        let mut group = c.benchmark_group(name);
        group.bench_function("engine-rule", |bench| {
            bench.iter(|| engine_rule::evaluate(black_box(&ours), black_box(&customer), &ctx).expect("evaluates"))
        });
        group.bench_function("zen-expression", |bench| {
            bench.iter(|| theirs.evaluate_with(black_box(context.clone()), &mut vm).expect("evaluates"))
        });
        group.finish();
    }
}

criterion_group!(benches, side_by_side);
criterion_main!(benches);
