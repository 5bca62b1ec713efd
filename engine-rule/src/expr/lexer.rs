//! Splits expression text into tokens, each with its span.

use rust_decimal::Decimal;

use super::ast::Span;
use super::{ExprError, ExprErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Integer(i64),
    Decimal(Decimal),
    Text(String),
    /// An identifier; `$user` style names keep their `$`.
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    End,
}

pub fn lex(text: &str) -> Result<Vec<(Tok, Span)>, ExprError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let span = |end: usize| Span { start, end };
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' | b')' | b'[' | b']' | b',' | b'.' => {
                i += 1;
                let tok = match c {
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b'[' => Tok::LBracket,
                    b']' => Tok::RBracket,
                    b',' => Tok::Comma,
                    _ => Tok::Dot,
                };
                tokens.push((tok, span(i)));
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let is_decimal = i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit();
                if is_decimal {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                let literal = &text[start..i];
                let tok = if is_decimal {
                    Decimal::from_str_exact(literal).map(Tok::Decimal)
                } else {
                    literal
                        .parse::<i64>()
                        .map(Tok::Integer)
                        .map_err(|_| rust_decimal::Error::ExceedsMaximumPossibleValue)
                };
                let tok = tok.map_err(|_| {
                    ExprError::new(ExprErrorKind::Syntax, span(i), format!("the number {literal} is too large"))
                })?;
                tokens.push((tok, span(i)));
            }
            b'\'' | b'"' => {
                let quote = c;
                i += 1;
                let mut value = String::new();
                loop {
                    match text[i..].chars().next() {
                        None => return Err(ExprError::new(ExprErrorKind::Syntax, span(i), "the text is not closed")),
                        Some('\\') => {
                            let escaped = text[i + 1..].chars().next().ok_or_else(|| {
                                ExprError::new(ExprErrorKind::Syntax, span(i + 1), "the text is not closed")
                            })?;
                            value.push(escaped);
                            i += 1 + escaped.len_utf8();
                        }
                        Some(ch) if ch as u32 == u32::from(quote) => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            value.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                tokens.push((Tok::Text(value), span(i)));
            }
            b'$' | b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                tokens.push((Tok::Ident(text[start..i].to_owned()), span(i)));
            }
            _ => {
                const OPS: [&str; 16] =
                    ["==", "!=", "<>", "<=", ">=", "&&", "||", "=", "<", ">", "+", "-", "*", "/", "&", "!"];
                let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) else {
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    return Err(ExprError::new(
                        ExprErrorKind::Syntax,
                        span(i + ch.len_utf8()),
                        format!("unexpected character `{ch}`"),
                    ));
                };
                i += op.len();
                tokens.push((Tok::Op(op), span(i)));
            }
        }
    }
    tokens.push((Tok::End, Span { start: text.len(), end: text.len() }));
    Ok(tokens)
}

/// The words the language reserves (`and`, `true`, …): a name that is one is a keyword.
pub const KEYWORDS: [&str; 7] = ["and", "or", "not", "in", "true", "false", "null"];

/// Each token of `text` as an editor colours it: its span and its class (`number`, `text`,
/// `keyword`, `name`, `operator`, `punctuation`). The browser app's highlighter splits text
/// the same way; both are tested against one corpus (`tests/data/tokens.json`).
pub fn token_classes(text: &str) -> Result<Vec<(Span, &'static str)>, ExprError> {
    let tokens = lex(text)?;
    Ok(tokens
        .into_iter()
        .filter_map(|(tok, span)| {
            let class = match tok {
                Tok::Integer(_) | Tok::Decimal(_) => "number",
                Tok::Text(_) => "text",
                Tok::Ident(name) if KEYWORDS.contains(&name.as_str()) => "keyword",
                Tok::Ident(_) => "name",
                Tok::Op(_) => "operator",
                Tok::LParen | Tok::RParen | Tok::LBracket | Tok::RBracket | Tok::Comma | Tok::Dot => "punctuation",
                Tok::End => return None,
            };
            Some((span, class))
        })
        .collect())
}
