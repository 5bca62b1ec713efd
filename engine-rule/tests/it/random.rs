//! Random token soup: parsing, checking and evaluating never panic, and every input is
//! answered quickly (the length and depth bounds hold).

use engine_rule::{check, evaluate, parse};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PIECES: [&str; 40] = [
    "aum",
    "tier",
    "name",
    "maturity_date",
    "$user.branch",
    "customer.relationship_manager.branch",
    "1",
    "0",
    "0.1",
    "-",
    "+",
    "*",
    "/",
    "&",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "==",
    "<>",
    "<",
    ">=",
    " and ",
    " or ",
    " not ",
    " in ",
    "'hnw'",
    "\"x\"",
    "null",
    "true",
    "round(",
    "if(",
    "coalesce(",
    "add_months(",
    "today()",
    "date('2026-01-31')",
    "99999999999999999999999999.5",
    "'",
];

#[test]
fn random_input_never_panics() {
    let (_, sample, ctx) = super::cases::load();
    let mut rng = StdRng::seed_from_u64(7);
    let mut evaluated = 0;
    for _ in 0..50_000 {
        let n = rng.random_range(1..30);
        let text: String = (0..n).map(|_| PIECES[rng.random_range(0..PIECES.len())]).collect();
        let Ok(expr) = parse(&text) else { continue };
        if check(&expr, &sample).is_ok() {
            let _ = evaluate(&expr, &sample, &ctx);
            evaluated += 1;
        }
    }
    assert!(evaluated > 100, "the generator must reach the evaluator ({evaluated})");
    let deep = "(".repeat(100_000);
    assert!(parse(&deep).is_err(), "deep nesting is refused without exhausting the stack");
    let long_not = "not ".repeat(1000) + "true";
    assert!(parse(&long_not).is_err());
}

/// A chain of 200 `or`s (well under the length limit) was a left-leaning tree 200 levels
/// high, which the checker, the evaluator and the SQL compiler each walked recursively
/// until a thread's stack overflowed. Chains of `and`, `or` and `&` are now balanced, and
/// every other tree is refused past `MAX_DEPTH` levels, counting each operator of a chain.
#[test]
fn a_chain_of_two_hundred_ors_overflowed_the_stack() {
    let (_, sample, ctx) = super::cases::load();
    let height = |e: &engine_rule::Expr| {
        let mut pending = vec![(e, 1)];
        let mut max = 0;
        while let Some((e, d)) = pending.pop() {
            max = max.max(d);
            pending.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
        max
    };
    for op in [" or ", " and ", " || "] {
        let text = (0..400).map(|i| format!("aum > {i}")).collect::<Vec<_>>().join(op);
        let text = &text[..text[..engine_rule::MAX_LENGTH].rfind(op).expect("an operator")];
        let expr = parse(text).expect("a long list of alternatives is fine");
        assert!(height(&expr) <= 12, "{op}: {} levels", height(&expr));
        check(&expr, &sample).expect("checks");
        evaluate(&expr, &sample, &ctx).expect("evaluates");
    }
    let joined = (0..500).map(|_| "tier").collect::<Vec<_>>().join(" & ");
    assert!(height(&parse(&joined).expect("joins")) <= 12);
    // `and` binds tighter than `or` in a balanced chain too.
    let mixed = parse("false and true or true and true").expect("parses");
    assert_eq!(evaluate(&mixed, &sample, &ctx).expect("evaluates"), engine_rule::Value::Bool(true));
    for op in [" + ", " - ", " * ", " / ", " == "] {
        let deep = (0..=engine_rule::MAX_DEPTH).map(|_| "1").collect::<Vec<_>>().join(op);
        let error = parse(&deep).expect_err("past the depth limit");
        assert_eq!(error.kind.code(), "too_deep", "{op}");
        let within = (0..engine_rule::MAX_DEPTH - 1).map(|_| "1").collect::<Vec<_>>().join(op);
        assert!(parse(&within).is_ok(), "{op} within the limit");
    }
    let nested = format!("{}aum{}", "abs(".repeat(engine_rule::MAX_DEPTH), ")".repeat(engine_rule::MAX_DEPTH));
    assert_eq!(parse(&nested).expect_err("too deep").kind.code(), "too_deep");
}
