//! "See as": a form's records as another user would read them, for a designer weighing who
//! may see what before publishing: the rows their roles admit and the modes they give, the
//! roles as the drafts define them. Never more than the designer may read themselves: the
//! rows both reach, each field at the more closed of the two modes.

use chrono::{DateTime, Utc};
use engine_rule::{BinaryOp, Expr, ExprKind, Value as ExprValue};
use serde_json::{Map, Value, json};

use super::reach::list_query;
use super::{Access, Role, UserContext};
use crate::auth::{Principal, Who};
use crate::core::Core;
use crate::error::{Error, ForbiddenCode};
use crate::records::FormCtx;
use crate::records::query::ListParams;

/// A page of form `form`'s records as `username` would read them under the drafts' roles,
/// within what `viewer` reads: with their operations and each field's mode.
pub async fn list(
    core: &Core,
    viewer: &Principal,
    (app, form, username): (&str, &str, &str),
    params: &ListParams,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let conn = &core.db.conn;
    let published = core.catalog.published(conn, app).await?;
    let roles = draft_roles(core, &published).await?;
    let target = crate::auth::user(conn, Who::Name(username))
        .await?
        .ok_or_else(|| Error::not_found(format!("no user `{username}` who may sign in")))?;
    let mut ctx = FormCtx::new(&published, form, core.db.backend(), now)?;
    let theirs = super::load_under(conn, (&published, &roles), &target, ctx.form).await?;
    let (mine, query) = list_query(conn, &ctx, viewer, params, "read").await?;
    let seen = within(&theirs, &mine);
    let modes: Map<String, Value> = seen.fields.iter().map(|(k, m)| (k.clone(), Value::from(m.name()))).collect();
    let about = json!({ "user": target.username, "operations": theirs.operations, "fields": modes });
    let mut body = if theirs.allows("read") {
        seen.check_readable(&published.bundle, ctx.form, &query.paths_read(&published.bundle, ctx.form))
            .map_err(|detail| Error::Forbidden { code: ForbiddenCode::not_readable, detail })?;
        ctx.access = Some(&seen);
        super::reach::page(conn, &ctx, &seen, &query).await?
    } else {
        json!({ "items": [], "next": null })
    };
    for (k, v) in about.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    Ok(body)
}

/// The app's roles as its drafts define them, checked against the published forms.
async fn draft_roles(core: &Core, app: &crate::catalog::PublishedApp) -> Result<Vec<Role>, Error> {
    let of = |kind| crate::meta::list_drafts(&core.db.conn, &app.key, kind);
    let bodies = |drafts: Vec<crate::meta::Draft>| drafts.into_iter().map(|d| d.body).collect::<Vec<_>>();
    // The events they may send are checked against the drafts' events.
    let doc = json!({ "roles": bodies(of("roles").await?), "events": bodies(of("events").await?) });
    let mut diags = Vec::new();
    let roles = engine_app::check_roles(&doc, &app.bundle, &mut diags);
    if diags.is_empty() { Ok(roles) } else { Err(Error::InvalidMetadata(diags)) }
}

/// What `theirs` reads that `mine` reads too: the rows both admit (my row rules read with
/// my own `$user`), each field at the more closed mode, the same for related forms.
fn within(theirs: &Access, mine: &Access) -> Access {
    let rows = match (&theirs.rows, &mine.rows) {
        (rows, None) => rows.clone(),
        (None, Some(m)) => Some(vec![any(m, &mine.user)]),
        (Some(t), Some(m)) => {
            let both = Expr {
                kind: ExprKind::Binary(BinaryOp::And, Box::new(any(t, &theirs.user)), Box::new(any(m, &mine.user))),
                span: Default::default(),
            };
            Some(vec![both])
        }
    };
    let mut fields = theirs.fields.clone();
    for (key, mode) in &mut fields {
        *mode = (*mode).max(mine.mode(key));
    }
    let forms = theirs
        .forms
        .iter()
        .map(|(key, t)| (key.clone(), mine.to_form(key).map_or_else(|| t.clone(), |m| within(t, m))))
        .collect();
    Access { rows, fields, forms, ..theirs.clone() }
}

/// `conditions` as one (any of them), `$user.…` of mine written in as values (theirs stay:
/// the reads run as their user).
fn any(conditions: &[Expr], user: &UserContext) -> Expr {
    let mut all = conditions.iter().map(|c| fixed(c, user));
    let first = all.next().unwrap_or(Expr { kind: ExprKind::Bool(false), span: Default::default() });
    all.fold(first, |l, r| Expr {
        kind: ExprKind::Binary(BinaryOp::Or, Box::new(l), Box::new(r)),
        span: Default::default(),
    })
}

/// `expr` with `user`'s attributes in place of `$user.…`.
fn fixed(expr: &Expr, user: &UserContext) -> Expr {
    let mut out = expr.clone();
    let mut stack = vec![&mut out];
    while let Some(node) = stack.pop() {
        if let ExprKind::Path(path) = &node.kind
            && path.len() == 2
            && path[0] == "$user"
            && let Some(value) = user.value(&path[1])
        {
            node.kind = literal(value);
            continue;
        }
        stack.extend(node.children_mut());
    }
    out
}

fn literal(value: ExprValue) -> ExprKind {
    let at = |kind| Expr { kind, span: Default::default() };
    match value {
        ExprValue::Integer(i) => ExprKind::Integer(i),
        ExprValue::Text(t) => ExprKind::Text(t),
        ExprValue::List(items) => ExprKind::List(items.into_iter().map(|v| at(literal(v))).collect()),
        _ => ExprKind::Null,
    }
}
