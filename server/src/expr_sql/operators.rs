//! Operators: arithmetic and logic, comparisons, `in`, and the text form of values that
//! `+` joins.

use engine_rule::{BinaryOp, Expr, ExprError, ExprKind, Span, Value};
use sea_orm::sea_query::Expr as Sql;

use super::{Compiled, Compiler, NoFields, Operand, Repr, has_field, not_in_database, numeric};

impl Compiler<'_> {
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        span: Span,
    ) -> Result<Compiled, ExprError> {
        if op == BinaryOp::In {
            return self.membership(left, right, span);
        }
        let (l, r) = (self.expr(left)?, self.expr(right)?);
        Ok(match op {
            BinaryOp::And => self.bool_op("({} AND {})", self.unify(vec![l, r])),
            BinaryOp::Or => self.bool_op("({} OR {})", self.unify(vec![l, r])),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => numeric::arithmetic(self, op, l, r, span)?,
            BinaryOp::Div => numeric::divide(self, l, r),
            BinaryOp::Concat => {
                let (l, r) = (self.as_text(l, left.span)?, self.as_text(r, right.span)?);
                self.derive("({} || {})", &[&l, &r], Repr::Text, 0)
            }
            _ => self.compare(op, l, r),
        })
    }

    fn compare(&self, op: BinaryOp, l: Compiled, r: Compiled) -> Compiled {
        let mut sides = self.unify(vec![self.settle(l), self.settle(r)]).into_iter();
        let (l, r) = (sides.next().expect("two sides"), sides.next().expect("two sides"));
        // PostgreSQL orders text by the database's collation; the evaluator by code point.
        let text_order = self.pg() && l.repr == Repr::Text && !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
        let template = match (op, text_order) {
            (BinaryOp::Eq, _) => "({} = {})",
            (BinaryOp::Ne, _) => "({} <> {})",
            (BinaryOp::Lt, false) => "({} < {})",
            (BinaryOp::Le, false) => "({} <= {})",
            (BinaryOp::Gt, false) => "({} > {})",
            (BinaryOp::Ge, false) => "({} >= {})",
            (BinaryOp::Lt, true) => "({} COLLATE \"C\" < {})",
            (BinaryOp::Le, true) => "({} COLLATE \"C\" <= {})",
            (BinaryOp::Gt, true) => "({} COLLATE \"C\" > {})",
            _ => "({} COLLATE \"C\" >= {})",
        };
        self.derive(template, &[&l, &r], Repr::Bool, 1)
    }

    /// `x in [a, b]`: true if `x` equals an item, false if it equals none (null items
    /// never match), null if `x` is null, as the evaluator does.
    fn membership(&mut self, left: &Expr, right: &Expr, span: Span) -> Result<Compiled, ExprError> {
        let l = self.expr(left)?;
        // A list known before the query (`$user.org_units`).
        let known = match &right.kind {
            ExprKind::Path(path) => match self.scope.operand(path) {
                Some(Operand::Constant(Value::List(values))) => Some(values),
                _ => None,
            },
            _ => None,
        };
        let items: Vec<Compiled> = match &right.kind {
            _ if known.is_some() => {
                known.unwrap_or_default().iter().map(|v| self.constant(v, right.span)).collect::<Result<_, _>>()?
            }
            ExprKind::List(items) => items.iter().map(|i| self.expr(i)).collect::<Result<_, _>>()?,
            ExprKind::Null => return Ok(self.null_of(Repr::Bool)),
            _ if !has_field(right) => match engine_rule::evaluate(right, &NoFields, self.ctx)? {
                Value::List(values) => values.iter().map(|v| self.constant(v, right.span)).collect::<Result<_, _>>()?,
                _ => return Ok(self.null_of(Repr::Bool)),
            },
            _ => {
                return Err(not_in_database(
                    span,
                    "`in` needs a list written out here, e.g. `tier in ['hnw', 'affluent']`",
                ));
            }
        };
        let items: Vec<Compiled> = items.into_iter().filter(|i| i.repr != Repr::Null).collect();
        if items.is_empty() {
            let l = self.settle(l);
            return Ok(self.derive("CASE WHEN {} IS NULL THEN NULL ELSE FALSE END", &[&l], Repr::Bool, 1));
        }
        let mut all = vec![self.settle(l)];
        all.extend(items.into_iter().map(|i| self.settle(i)));
        let all = self.unify(all);
        let x = &all[0];
        let list = Compiled {
            expr: Sql::tuple(all[1..].iter().map(|i| i.expr.clone())),
            repr: x.repr,
            digits: 0,
            unsettled: false,
            weight: all[1..].iter().map(|i| i.weight).sum(),
        };
        Ok(self.derive(
            "CASE WHEN {} IS NULL THEN NULL WHEN {} IN {} THEN TRUE ELSE FALSE END",
            &[x, x, &list],
            Repr::Bool,
            1,
        ))
    }

    /// A value as `&` joins it: null is empty text; decimals are refused, because how many
    /// places they show differs between the database and the evaluator.
    fn as_text(&self, c: Compiled, span: Span) -> Result<Compiled, ExprError> {
        let c = self.settle(c);
        let template = match (c.repr, self.pg()) {
            (Repr::Null, _) => return self.constant(&Value::Text(String::new()), span),
            (Repr::Text, _) => "COALESCE({}, '')",
            (Repr::Int, _) => "COALESCE(CAST({} AS TEXT), '')",
            (Repr::Bool, _) => "(CASE WHEN {} THEN 'true' WHEN NOT {} THEN 'false' ELSE '' END)",
            (Repr::Date, false) => "COALESCE({}, '')",
            (Repr::Date, true) => "COALESCE(to_char({}, 'YYYY-MM-DD'), '')",
            (Repr::DateTime, false) => "COALESCE(substr({}, 1, 19) || 'Z', '')",
            (Repr::DateTime, true) => "COALESCE(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')",
            (Repr::Dec(_) | Repr::Choices, _) => {
                return Err(not_in_database(
                    span,
                    "`&` joins decimals and lists only outside the database; use round() and compare instead",
                ));
            }
        };
        let args: Vec<&Compiled> = if c.repr == Repr::Bool { vec![&c, &c] } else { vec![&c] };
        Ok(self.derive(template, &args, Repr::Text, 0))
    }
}
