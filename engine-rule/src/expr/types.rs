//! The static types of the expression language.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// The type of `null`: fits anywhere.
    Null,
    Bool,
    Integer,
    /// Exact decimal; integers widen to it.
    Decimal,
    Text,
    Date,
    /// An instant (UTC).
    DateTime,
    List(Box<Type>),
    /// Not known statically (after an error, or a list of nothing but nulls).
    Any,
}

impl Type {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal | Type::Null | Type::Any)
    }

    /// Whether a value of type `self` may stand where `want` is expected.
    pub fn fits(&self, want: &Type) -> bool {
        match (self, want) {
            (Type::Null | Type::Any, _) | (_, Type::Any) => true,
            (Type::Integer, Type::Decimal) => true,
            (Type::List(a), Type::List(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }

    /// The common type of two branches (`if`, `coalesce`, list items), if there is one.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        Some(match (self, other) {
            (Type::Null, t) | (t, Type::Null) => t.clone(),
            (Type::Any, _) | (_, Type::Any) => Type::Any,
            (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => Type::Decimal,
            (Type::List(a), Type::List(b)) => Type::List(Box::new(a.unify(b)?)),
            (a, b) if a == b => a.clone(),
            _ => return None,
        })
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Null => f.write_str("null"),
            Type::Bool => f.write_str("boolean"),
            Type::Integer => f.write_str("integer"),
            Type::Decimal => f.write_str("decimal"),
            Type::Text => f.write_str("text"),
            Type::Date => f.write_str("date"),
            Type::DateTime => f.write_str("datetime"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Any => f.write_str("any"),
        }
    }
}
