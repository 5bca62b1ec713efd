//! Shared data of the side-by-side benchmark: the expressions and the record they read.

use engine_rule::{Record, Value};
use rust_decimal::Decimal;

/// Expressions written the same way in both languages.
pub const EXPRESSIONS: [(&str, &str); 4] = [
    ("alert", "outflow_today > aum * 0.3 and days_since_login >= 30"),
    ("fee", "aum * 0.004 + 1200"),
    ("segment", "tier == 'hnw' or (aum > 1000000 and risk_level == 'r3')"),
    ("ratio", "(aum - outflow_today) / aum"),
];

/// The same expressions in JSONLogic, for datalogic-rs (whose numbers are floats).
pub const JSON_LOGIC: [&str; 4] = [
    r#"{"and": [{">": [{"var": "outflow_today"}, {"*": [{"var": "aum"}, 0.3]}]}, {">=": [{"var": "days_since_login"}, 30]}]}"#,
    r#"{"+": [{"*": [{"var": "aum"}, 0.004]}, 1200]}"#,
    r#"{"or": [{"==": [{"var": "tier"}, "hnw"]}, {"and": [{">": [{"var": "aum"}, 1000000]}, {"==": [{"var": "risk_level"}, "r3"]}]}]}"#,
    r#"{"/": [{"-": [{"var": "aum"}, {"var": "outflow_today"}]}, {"var": "aum"}]}"#,
];

/// The customer both engines read.
pub struct Customer {
    pub aum: Decimal,
    pub outflow_today: Decimal,
    pub days_since_login: i64,
    pub tier: String,
    pub risk_level: String,
    pub age: i64,
    pub income: Decimal,
}

impl Customer {
    pub fn sample() -> Customer {
        Customer {
            aum: Decimal::new(1_280_000_000, 2),
            outflow_today: Decimal::new(420_000_000, 2),
            days_since_login: 31,
            tier: "hnw".into(),
            risk_level: "r3".into(),
            age: 51,
            income: Decimal::new(96_000_000, 2),
        }
    }

    /// The same customer as zen's JSON context.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "aum": serde_json::Number::from_string_unchecked(self.aum.to_string()),
            "outflow_today": serde_json::Number::from_string_unchecked(self.outflow_today.to_string()),
            "days_since_login": self.days_since_login,
            "tier": self.tier,
            "risk_level": self.risk_level,
            "age": self.age,
            "income": serde_json::Number::from_string_unchecked(self.income.to_string()),
        })
    }
}

impl Record for Customer {
    fn value(&self, path: &[String]) -> Value {
        match path.first().map(String::as_str) {
            Some("aum") => Value::Decimal(self.aum),
            Some("outflow_today") => Value::Decimal(self.outflow_today),
            Some("days_since_login") => Value::Integer(self.days_since_login),
            Some("tier") => Value::Text(self.tier.clone()),
            Some("risk_level") => Value::Text(self.risk_level.clone()),
            Some("age") => Value::Integer(self.age),
            Some("income") => Value::Decimal(self.income),
            _ => Value::Null,
        }
    }
}

impl engine_rule::Schema for Customer {
    fn type_of(&self, path: &[String]) -> Option<engine_rule::Type> {
        use engine_rule::Type;
        Some(match path.first().map(String::as_str)? {
            "aum" | "outflow_today" | "income" => Type::Decimal,
            "days_since_login" | "age" => Type::Integer,
            "tier" | "risk_level" => Type::Text,
            _ => return None,
        })
    }
}

/// A tiering table of `rows` rows over AUM bands of 100,000, age and income, in both
/// engines' formats: engine-rule's decision table and a zen JDM graph (input → table →
/// output). Row `i` gives tier `t{i}`; the sample customer's AUM falls in the last band,
/// so both engines go through every row (hit policy first).
pub fn tiering_tables(rows: usize) -> (serde_json::Value, serde_json::Value) {
    use serde_json::json;
    let band = |i: usize| (i as i64 * 100_000 + 12_800_000 - (rows as i64 - 1) * 100_000, (i as i64 + 1) * 100_000 + 12_800_000 - (rows as i64 - 1) * 100_000);
    let ours_rules: Vec<serde_json::Value> = (0..rows)
        .map(|i| {
            let (low, high) = band(i);
            json!({ "id": format!("r{i}"), "when": [format!("[{low}..{high})"), if i % 2 == 0 { "< 70" } else { "-" }, "-"], "then": [format!("'t{i}'")] })
        })
        .collect();
    let ours = json!({ "key": "tiering", "hit_policy": "first",
        "inputs": [{ "key": "aum", "expression": "aum" }, { "key": "age", "expression": "age" }, { "key": "income", "expression": "income" }],
        "outputs": [{ "key": "tier" }], "rules": ours_rules });
    let zen_rules: Vec<serde_json::Value> = (0..rows)
        .map(|i| {
            let (low, high) = band(i);
            json!({ "_id": format!("r{i}"), "aum": format!("[{low}..{high})"), "age": if i % 2 == 0 { "< 70" } else { "" }, "income": "", "tier": format!("\"t{i}\"") })
        })
        .collect();
    let zen = json!({
        "nodes": [
            { "id": "in", "name": "request", "type": "inputNode", "content": {} },
            { "id": "table", "name": "tiering", "type": "decisionTableNode", "content": {
                "hitPolicy": "first",
                "inputs": [{ "id": "aum", "name": "AUM", "field": "aum" }, { "id": "age", "name": "Age", "field": "age" }, { "id": "income", "name": "Income", "field": "income" }],
                "outputs": [{ "id": "tier", "name": "Tier", "field": "tier" }],
                "rules": zen_rules } },
            { "id": "out", "name": "response", "type": "outputNode", "content": {} }
        ],
        "edges": [
            { "id": "e1", "sourceId": "in", "targetId": "table" },
            { "id": "e2", "sourceId": "table", "targetId": "out" }
        ]
    });
    (ours, zen)
}
