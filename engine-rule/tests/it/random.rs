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
