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

/// The customer both engines read.
pub struct Customer {
    pub aum: Decimal,
    pub outflow_today: Decimal,
    pub days_since_login: i64,
    pub tier: String,
    pub risk_level: String,
}

impl Customer {
    pub fn sample() -> Customer {
        Customer {
            aum: Decimal::new(1_280_000_000, 2),
            outflow_today: Decimal::new(420_000_000, 2),
            days_since_login: 31,
            tier: "hnw".into(),
            risk_level: "r3".into(),
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
            _ => Value::Null,
        }
    }
}
