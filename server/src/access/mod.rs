//! App roles: who may do what to which records and fields, defined in the app's metadata
//! (`roles/*.json`) and given to users in the directory.
//!
//! ```json
//! { "key": "relationship_manager", "label": { "zh-CN": "客户经理", "en": "Relationship manager" },
//!   "forms": { "customer": { "operations": ["read", "create", "update"],
//!                            "rows": "relationship_manager.login == $user.username",
//!                            "fields": { "id_number": "masked", "tier": "read_only" } } } }
//! ```
//!
//! A user's access to a form is the union of their roles': the operations any role
//! grants, the records any of those roles' `rows` conditions admit (a role without `rows`
//! admits all), and for each field the most open mode any role gives. Field modes, most
//! open first: `visible`, `read_only`, `masked` (read as `138****5678`), `hidden`.
//! Fields flagged `personal_data` are `masked` unless a role says otherwise; others are
//! `visible`. Row conditions are expressions over the record and the current user
//! (`$user.id`, `$user.username`, `$user.org_unit`, `$user.org_units`: the user's unit
//! and every unit below it), compiled into the SQL of every read and write.
//!
//! Platform administrators have every operation on every record, as has everyone signed
//! in to an app that defines no roles; but personal data is clear only where an app role
//! shows it, for them too (`Access::all_but_personal_data`). The platform itself (rules
//! and processes acting on their own) reads everything.

mod derived;
pub mod enforce;
pub mod reach;
pub mod seen_as;
mod shape;

pub use derived::{Derived, without_derived};
pub use shape::Secrets;

use std::collections::BTreeMap;

use crate::db::Table;
use engine_form::{Bundle, FormSchema, Mask};
use engine_rule::{Expr, Value as ExprValue};
use serde_json::Value;

pub use engine_app::{Grant, Mode, OPERATIONS, Role, WithUser, user_attribute};

/// The current user as row conditions see them.
#[derive(Debug, Clone, Default)]
pub struct UserContext {
    pub id: i64,
    pub username: String,
    pub org_unit: Option<String>,
    /// The user's unit and every unit below it.
    pub org_units: Vec<String>,
}

impl UserContext {
    pub fn value(&self, attribute: &str) -> Option<ExprValue> {
        Some(match attribute {
            "id" => ExprValue::Integer(self.id),
            "username" => ExprValue::Text(self.username.clone()),
            "org_unit" => self.org_unit.clone().map_or(ExprValue::Null, ExprValue::Text),
            "org_units" => ExprValue::List(self.org_units.iter().cloned().map(ExprValue::Text).collect()),
            _ => return None,
        })
    }
}

/// A user's access to one form.
#[derive(Debug, Clone)]
pub struct Access {
    pub operations: Vec<String>,
    /// `None`: every record. Otherwise the records any of these conditions admit.
    pub rows: Option<Vec<Expr>>,
    pub fields: BTreeMap<String, Mode>,
    pub user: UserContext,
    /// The caller's access to each form of the app, for what this form's records show or
    /// read of other records (relation lookups, filters through relations). Empty for full
    /// access.
    pub forms: BTreeMap<String, Access>,
    /// This form's relations with lookups: field → related form.
    lookups: BTreeMap<String, String>,
    /// How each field of the form reads masked (its type's mask).
    masks: BTreeMap<String, Mask>,
}

impl Access {
    /// Everything: administrators, and apps without roles.
    pub fn full(user: UserContext) -> Access {
        Access {
            operations: OPERATIONS.iter().map(|s| (*s).to_owned()).collect(),
            rows: None,
            fields: BTreeMap::new(),
            user,
            forms: BTreeMap::new(),
            lookups: BTreeMap::new(),
            masks: BTreeMap::new(),
        }
    }

    /// Every operation on every record, as administrators (and everyone in an app without
    /// roles) have, but personal data in clear only where one of `roles` shows it: a
    /// platform administrator is not a business user.
    pub fn all_but_personal_data(roles: &[&Role], form: &engine_form::Form, user: UserContext) -> Access {
        let shown = Access::of(roles, form, user.clone());
        let mut access = Access { lookups: shown.lookups.clone(), masks: shown.masks.clone(), ..Access::full(user) };
        for field in form.fields.iter().filter(|f| f.personal_data) {
            access.fields.insert(field.key.clone(), shown.mode(&field.key).min(Mode::Masked));
        }
        access
    }

    /// The union of `roles`' grants on `form`.
    pub fn of(roles: &[&Role], form: &engine_form::Form, user: UserContext) -> Access {
        let grants: Vec<&Grant> = roles.iter().filter_map(|r| r.forms.get(&form.key)).collect();
        let mut operations: Vec<String> = Vec::new();
        for op in grants.iter().flat_map(|g| &g.operations) {
            if !operations.contains(op) {
                operations.push(op.clone());
            }
        }
        let rows = if grants.iter().any(|g| g.rows.is_none()) {
            None
        } else {
            Some(grants.iter().filter_map(|g| g.rows.clone()).collect())
        };
        let mut fields = BTreeMap::new();
        for field in &form.fields {
            let default = if field.personal_data { Mode::Masked } else { Mode::Visible };
            let mode = grants
                .iter()
                .map(|g| g.fields.get(&field.key).copied().unwrap_or(default))
                .min()
                .unwrap_or(Mode::Hidden);
            fields.insert(field.key.clone(), mode);
        }
        let lookups = form
            .fields
            .iter()
            .filter_map(|f| match &f.kind {
                engine_form::FieldType::Relation { form: target, lookup } if !lookup.is_empty() => {
                    Some((f.key.clone(), target.clone()))
                }
                _ => None,
            })
            .collect();
        let masks = form.fields.iter().map(|f| (f.key.clone(), Mask::of(&f.kind))).collect();
        Access { operations, rows, fields, user, forms: BTreeMap::new(), lookups, masks }
    }

    /// How `field` of this form reads masked.
    pub fn mask_of(&self, field: &str) -> Mask {
        self.masks.get(field).copied().unwrap_or(Mask::Text)
    }

    /// `value` of `field` as someone who sees it in `mode` (masked or year only) reads it.
    pub fn masked(&self, field: &str, mode: Mode, value: &Value) -> Value {
        self.mask_of(field).apply(value, mode == Mode::YearOnly)
    }

    /// The caller's access to `form` of the same app; `None`: everything.
    pub fn to_form(&self, form: &str) -> Option<&Access> {
        self.forms.get(form)
    }

    /// Whether the caller's access limits what this form's relation lookups may show.
    pub fn limits_lookups(&self) -> bool {
        self.lookups.values().any(|target| self.to_form(target).is_some_and(|a| a.rows.is_some() || !a.allows("read")))
    }

    /// Refuses a filter or sort that reads what the caller may not see in clear: a masked
    /// or hidden field, a field through a relation to a form whose records their roles
    /// limit, or a field of a related form's rows they may not read or see in clear.
    /// Otherwise a filter could find a masked value out one guess at a time. `paths` are
    /// the field paths read (an aggregate's under its collection's). An aggregate over
    /// rows their roles limit goes over the rows they read (`FormScope::for_reader`).
    pub fn check_readable(
        &self,
        bundle: &Bundle,
        form: &engine_form::Form,
        paths: &[Vec<String>],
    ) -> Result<(), String> {
        for path in paths {
            if path.first().is_some_and(|p| p == "$user") {
                continue;
            }
            let shown = path.join(".");
            let (mut form, mut access) = (form, Some(self));
            for (i, segment) in path.iter().enumerate() {
                let Some(field) = form.field(segment) else {
                    // The rows of a related form (`transaction`), read by an aggregate.
                    if i == 0
                        && let Some(engine_form::Collection::Related { form: related, .. }) =
                            (FormSchema { bundle, form }).collection(&path[..1])
                    {
                        let key = &related.key;
                        if self.to_form(key).is_some_and(|a| !a.allows("read")) {
                            return Err(format!(
                                "an aggregate over `{shown}` reads `{key}` records, which your roles do not let \
                                 you read"
                            ));
                        }
                        // On to the field of the rows it reads, as the caller sees `key`.
                        (form, access) = (related, self.to_form(key));
                        continue;
                    }
                    break;
                };
                if let Some(a) = access
                    && !a.mode(segment).in_clear()
                {
                    return Err(format!(
                        "`{shown}` is not shown to you in clear, so it cannot be filtered or sorted on"
                    ));
                }
                let engine_form::FieldType::Relation { form: target, .. } = &field.kind else { break };
                if i + 1 == path.len() {
                    break;
                }
                if self.to_form(target).is_some_and(|a| a.rows.is_some() || !a.allows("read")) {
                    return Err(format!(
                        "`{shown}` reads through `{target}` records, and your roles let you read only some \
                         `{target}` records (or none), so it cannot be filtered or sorted on"
                    ));
                }
                let Some(next) = bundle.form(target) else { break };
                (form, access) = (next, self.to_form(target));
            }
        }
        Ok(())
    }

    pub fn allows(&self, operation: &str) -> bool {
        self.operations.iter().any(|o| o == operation)
    }

    pub fn mode(&self, field: &str) -> Mode {
        self.fields.get(field).copied().unwrap_or(Mode::Visible)
    }

    /// A record as this user may see it: hidden fields removed, masked ones masked as their
    /// type's mask says.
    pub fn shape(&self, record: &mut serde_json::Map<String, Value>) {
        for (field, mode) in &self.fields {
            match mode {
                Mode::Hidden => {
                    record.remove(field);
                }
                Mode::Masked | Mode::YearOnly => {
                    if let Some(value) = record.get_mut(field) {
                        *value = self.masked(field, *mode, value);
                    }
                }
                Mode::Visible | Mode::ReadOnly => {}
            }
        }
        // Related records' lookup fields, as the caller may see the related form.
        if let Some(Value::Object(lookups)) = record.get_mut("_lookup") {
            for (relation, target) in &self.lookups {
                match (self.mode(relation), self.to_form(target)) {
                    (mode, _) if !mode.in_clear() => {
                        lookups.remove(relation);
                    }
                    (_, Some(access)) => {
                        if let Some(Value::Object(fields)) = lookups.get_mut(relation) {
                            access.shape(fields);
                        }
                    }
                    (_, None) => {}
                }
            }
        }
    }
}

/// The caller's access to `form` of `app`, from their roles in the directory.
pub async fn load(
    c: &impl sea_orm::ConnectionTrait,
    app: &crate::catalog::PublishedApp,
    principal: &crate::auth::Principal,
    form: &engine_form::Form,
) -> Result<Access, crate::error::Error> {
    load_under(c, (app, &app.roles), principal, form).await
}

/// [`load`] with the app's roles defined as `defined` says (the drafts', for "see as").
pub async fn load_under(
    c: &impl sea_orm::ConnectionTrait,
    (app, defined): (&crate::catalog::PublishedApp, &[Role]),
    principal: &crate::auth::Principal,
    form: &engine_form::Form,
) -> Result<Access, crate::error::Error> {
    // The user's roles in the app, and their org unit with every unit below it.
    let (roles, units) = roles_and_units(c, (&app.key, defined), principal).await?;
    let user = UserContext {
        id: principal.user_id,
        username: principal.username.clone(),
        org_unit: units.first().map(|(_, key)| key.clone()),
        org_units: units.into_iter().map(|(_, key)| key).collect(),
    };
    let everything = principal.platform_role == "administrator" || defined.is_empty();
    let of = |form: &engine_form::Form, user: UserContext| {
        if everything { Access::all_but_personal_data(&roles, form, user) } else { Access::of(&roles, form, user) }
    };
    let mut access = of(form, user);
    for other in &app.bundle.forms {
        access.forms.insert(other.key.clone(), of(other, access.user.clone()));
    }
    Ok(access)
}

/// The app roles `principal` holds in `app`, and their org unit (first) with every unit
/// below it: one statement (the roles' rows, then the tree of units) where both are needed.
async fn roles_and_units<'a>(
    c: &impl sea_orm::ConnectionTrait,
    (app, defined): (&str, &'a [Role]),
    principal: &crate::auth::Principal,
) -> Result<(Vec<&'a Role>, Vec<(i64, String)>), sea_orm::DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, UnionType};
    let a = Alias::new;
    let Some(unit) = principal.org_unit_id else {
        return Ok((
            if defined.is_empty() { Vec::new() } else { roles_of(c, (app, defined), principal).await? },
            Vec::new(),
        ));
    };
    if defined.is_empty() {
        return Ok((Vec::new(), crate::auth::directory::units_from(c, unit).await?));
    }
    // Each row: (key, unit id, parent unit id); a role's row has no unit id.
    let mut both =
        Query::select().column(a("key")).column(a("id")).column(a("parent_id")).from(Table::OrgUnits).to_owned();
    let granted = Query::select()
        .column(a("role"))
        .expr(Expr::cust("CAST(NULL AS BIGINT)"))
        .expr(Expr::cust("CAST(NULL AS BIGINT)"))
        .from(Table::UserRoles)
        .and_where(Expr::col(a("user_id")).eq(principal.user_id))
        .and_where(Expr::col(a("app")).eq(app))
        .to_owned();
    both.union(UnionType::All, granted);
    let (mut names, mut tree) = (Vec::new(), Vec::new());
    for row in c.query_all(&both).await? {
        let key: String = row.try_get_by_index(0)?;
        match row.try_get_by_index::<Option<i64>>(1)? {
            Some(id) => tree.push(crate::auth::directory::UnitNode { id, key, parent: row.try_get_by_index(2)? }),
            None => names.push(key),
        }
    }
    let roles = defined.iter().filter(|r| names.contains(&r.key)).collect();
    Ok((roles, crate::auth::directory::below(&tree, unit)))
}

/// The keys of the app roles `principal` holds in `app`.
pub async fn held(
    c: &impl sea_orm::ConnectionTrait,
    app: &crate::catalog::PublishedApp,
    principal: &crate::auth::Principal,
) -> Result<Vec<String>, sea_orm::DbErr> {
    Ok(roles_of(c, (&app.key, &app.roles), principal).await?.into_iter().map(|r| r.key.clone()).collect())
}

/// The app roles `principal` holds in `app`.
async fn roles_of<'a>(
    c: &impl sea_orm::ConnectionTrait,
    (app, defined): (&str, &'a [Role]),
    principal: &crate::auth::Principal,
) -> Result<Vec<&'a Role>, sea_orm::DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let granted = Query::select()
        .column(Alias::new("role"))
        .from(Table::UserRoles)
        .and_where(Expr::col(Alias::new("user_id")).eq(principal.user_id))
        .and_where(Expr::col(Alias::new("app")).eq(app))
        .to_owned();
    let mut names: Vec<String> = Vec::new();
    for row in c.query_all(&granted).await? {
        names.push(row.try_get_by_index(0)?);
    }
    Ok(defined.iter().filter(|r| names.contains(&r.key)).collect())
}

/// Whether `principal` may send `event` in: designers and administrators (signed in or by
/// their API tokens), everyone in an app without roles, and holders of a role that lists
/// the event.
pub async fn may_send(
    c: &impl sea_orm::ConnectionTrait,
    app: &crate::catalog::PublishedApp,
    principal: &crate::auth::Principal,
    event: &str,
) -> Result<bool, sea_orm::DbErr> {
    if matches!(principal.platform_role.as_str(), "administrator" | "designer") || app.roles.is_empty() {
        return Ok(true);
    }
    Ok(roles_of(c, (&app.key, &app.roles), principal).await?.iter().any(|r| r.events.iter().any(|e| e == event)))
}

/// The access to `form` of user `user_id`, for work done on their behalf (a rule with
/// `"run_as": "user"`); refused if the user is gone or disabled.
pub async fn load_for_user(
    c: &impl sea_orm::ConnectionTrait,
    app: &crate::catalog::PublishedApp,
    user_id: i64,
    form: &engine_form::Form,
) -> Result<Access, crate::error::Error> {
    let Some(user) = crate::auth::user(c, crate::auth::Who::Id(user_id)).await? else {
        return Err(crate::error::Error::Forbidden {
            code: crate::error::ForbiddenCode::forbidden,
            detail: format!("user {user_id}, whom the rule acts for, is gone or disabled"),
        });
    };
    load(c, app, &user, form).await
}
