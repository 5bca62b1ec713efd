//! engine-rule against zen-expression and datalogic-rs (JSONLogic) on the same expressions
//! and record, compiled once and evaluated many times:
//! `cargo bench --manifest-path bench-zen/Cargo.toml --bench expressions`.

use bench_zen::{Customer, EXPRESSIONS, JSON_LOGIC};
use chrono::{TimeZone, Utc};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

fn side_by_side(c: &mut Criterion) {
    let customer = Customer::sample();
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).single().expect("instant");
    let ctx = engine_rule::Context::at(now, now.date_naive());
    let context: zen_expression::variable::Variable = customer.json().into();
    let logic_engine = datalogic_rs::Engine::new();
    let logic_data = datalogic_rs::ParsedData::from_json(&customer.json().to_string()).expect("JSON data");
    for ((name, text), logic) in EXPRESSIONS.into_iter().zip(JSON_LOGIC) {
        let compiled_logic = logic_engine.compile(logic).expect("datalogic compiles it");
        let ours = engine_rule::parse(text).expect("engine-rule parses it");
        let theirs = zen_expression::compile_expression(text).expect("zen compiles it");
        let mut vm = zen_expression::vm::VM::new();
        // Both must agree before they are timed.
        let a = engine_rule::evaluate(&ours, &customer, &ctx).expect("engine-rule evaluates it");
        let b = theirs.evaluate_with(context.clone(), &mut vm).expect("zen evaluates it");
        let arena = datalogic_rs::bumpalo::Bump::new();
        let d = logic_engine.evaluate(&compiled_logic, &logic_data, &arena).expect("datalogic evaluates it");
        println!("{name}: engine-rule {a:?}, zen {b:?}, datalogic {d:?}");
        let mut group = c.benchmark_group(name);
        group.bench_function("engine-rule", |bench| {
            bench.iter(|| engine_rule::evaluate(black_box(&ours), black_box(&customer), &ctx).expect("evaluates"))
        });
        group.bench_function("zen-expression", |bench| {
            bench.iter(|| theirs.evaluate_with(black_box(context.clone()), &mut vm).expect("evaluates"))
        });
        group.bench_function("datalogic-rs", |bench| {
            let mut arena = datalogic_rs::bumpalo::Bump::new();
            bench.iter(|| {
                let value = logic_engine.evaluate(&compiled_logic, black_box(&logic_data), &arena).map(|v| v.as_bool());
                black_box(value.is_ok());
                drop(value);
                arena.reset();
            })
        });
        group.finish();
    }
}

criterion_group!(benches, side_by_side);
criterion_main!(benches);
