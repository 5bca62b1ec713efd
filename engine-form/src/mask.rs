//! How a value reads to someone who may not see it in clear: each field type has a mask
//! that shows what it is meant to and no more. A mobile shows its last four digits; an ID
//! number (a text of 15 characters or more) its first three and last four; a shorter text
//! its last four only when at least six stay hidden; an e-mail its first letter and its
//! domain; a date nothing, or its year alone where a role says `year_only`; numbers,
//! choices, links and files nothing. A value masked whole reads `****` whatever its length,
//! so the mask does not tell the length either.

use serde_json::Value;

use crate::model::{FieldType, TextKind};

/// What a masked value of one field type shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// A mobile or phone number: its last four digits.
    Phone,
    /// An e-mail address: its first letter and its domain.
    Email,
    /// Any other text: see [`engine_rule::mask`].
    Text,
    /// A date: nothing, or its year.
    Date,
    /// An instant: nothing, or its year.
    DateTime,
    /// Nothing at all.
    Whole,
}

/// The mask of a value nothing is shown of.
pub const HIDDEN: &str = "****";

impl Mask {
    pub fn of(kind: &FieldType) -> Mask {
        match kind {
            FieldType::Text { kind: TextKind::Phone, .. } => Mask::Phone,
            FieldType::Text { kind: TextKind::Email, .. } => Mask::Email,
            FieldType::Text { .. } => Mask::Text,
            FieldType::Date { .. } => Mask::Date,
            FieldType::DateTime => Mask::DateTime,
            _ => Mask::Whole,
        }
    }

    /// `value` as it reads masked; with `year`, a date or an instant shows its year.
    pub fn apply(self, value: &Value, year: bool) -> Value {
        if value.is_null() {
            return Value::Null;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Value::String(self.text(&text, year))
    }

    /// `text` as it reads masked.
    pub fn text(self, text: &str, year: bool) -> String {
        let shown_year = || text.get(..4).filter(|y| year && y.chars().all(|c| c.is_ascii_digit()));
        match self {
            Mask::Phone => {
                let n = text.chars().count();
                if n < 10 {
                    return HIDDEN.to_owned();
                }
                text.chars().enumerate().map(|(i, c)| if i + 4 < n { '*' } else { c }).collect()
            }
            Mask::Email => match text.split_once('@') {
                Some((local, domain)) if local.chars().count() > 1 && !domain.is_empty() => {
                    format!("{}***@{domain}", local.chars().next().unwrap_or('*'))
                }
                _ => HIDDEN.to_owned(),
            },
            Mask::Text => engine_rule::mask(text),
            Mask::Date => format!("{}-**-**", shown_year().unwrap_or("****")),
            Mask::DateTime => format!("{}-**-** **:**", shown_year().unwrap_or("****")),
            Mask::Whole => HIDDEN.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_shows_what_it_is_meant_to() {
        assert_eq!(Mask::Phone.text("13700000001", false), "*******0001");
        assert_eq!(Mask::Text.text("110101198001010001", false), "110***********0001");
        assert_eq!(Mask::Text.text("12345678", false), HIDDEN, "eight characters show nothing");
        assert_eq!(Mask::Text.text("AB12345678", false), "******5678");
        assert_eq!(Mask::Email.text("zhang.min@example-bank.cn", false), "z***@example-bank.cn");
        assert_eq!(Mask::Date.text("1975-03-14", false), "****-**-**", "a birthday shows nothing");
        assert_eq!(Mask::Date.text("1975-03-14", true), "1975-**-**");
        assert_eq!(Mask::DateTime.text("2026-10-20T01:30:00.000000Z", true), "2026-**-** **:**");
        assert_eq!(Mask::Whole.text("12800000.00", false), HIDDEN);
    }
}
