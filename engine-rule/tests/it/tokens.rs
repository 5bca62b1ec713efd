//! tests/data/tokens.json: expression text split as an editor colours it. The browser
//! app's highlighter is tested against the same file, so the two agree on every token.
//! `TRELLIS_WRITE_TOKENS=1` writes the lexer's answer into the file (then read the diff).

use serde_json::{Value, json};

#[test]
fn the_editor_and_the_lexer_agree_on_every_token() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tokens.json");
    let mut corpus: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("corpus")).expect("json");
    let write = std::env::var_os("TRELLIS_WRITE_TOKENS").is_some();
    for case in corpus["cases"].as_array_mut().expect("cases") {
        let text = case["text"].as_str().expect("text").to_owned();
        let found: Vec<Value> = engine_rule::token_classes(&text)
            .expect("the corpus lexes")
            .into_iter()
            .map(|(span, class)| json!([span.start, span.end, class]))
            .collect();
        if write {
            case["tokens"] = json!(found);
        } else {
            assert_eq!(case["tokens"], json!(found), "{text}");
        }
    }
    if write {
        let cases: Vec<String> = corpus["cases"].as_array().into_iter().flatten().map(|c| format!("    {c}")).collect();
        let text = format!("{{\n  \"about\": {},\n  \"cases\": [\n{}\n  ]\n}}\n", corpus["about"], cases.join(",\n"));
        std::fs::write(path, text).expect("written");
    }
}
