//! When a person leaves: what they own is handed to another in one audited action. For a
//! form whose records are people (`user_field`, the bank CRM's relationship managers), the
//! records of the forms named (their customers; not the history they wrote, such as
//! follow-ups) that link to the one leaving are linked to their successor instead, each through the write pipeline with
//! the caller's own authority (a branch manager moves only what their roles let them
//! change), and the open tasks held by the one leaving go to the successor, who is told.
//! Only an administrator or the manager of the person's org unit (or a unit above) may.
//! All of it, or nothing: the first refusal names the record and why.

use std::collections::BTreeMap;

use engine_form::FieldType;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde_json::{Map, Value, json};

use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::edit::{Edit, Who};
use crate::error::{BadInputCode, Error, ForbiddenCode};
use crate::pipeline::Op;
use crate::records::FormCtx;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What a handover moved: per form, how many records; and how many open tasks.
pub struct Handed {
    pub records: BTreeMap<String, usize>,
    pub tasks: u64,
}

/// Hands the records of `forms` that link to person `from` (a record of `form` in `app`),
/// and the open tasks `from` holds, to person `to`.
pub async fn hand_over(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, form): (&str, &str),
    (from, to): (i64, i64),
    forms: &[String],
) -> Result<Handed, Error> {
    let mut edit = Edit::begin(core, Who::Caller(principal, actor), app).await?;
    let (published, now) = (edit.app.clone(), edit.now);
    let people = published.bundle.form(form).ok_or_else(|| Error::not_found(format!("no form `{form}`")))?;
    let Some(user_field) = people.user_field.clone() else {
        return Err(Error::bad_input(
            BadInputCode::not_people,
            format!("`{form}` records are not people: it declares no `user_field`"),
        ));
    };
    if from == to {
        return Err(Error::bad_input_at(BadInputCode::same_person, "/to", "a person cannot hand over to themselves"));
    }
    let ctx = FormCtx::new(&published, form, core.db.backend(), now)?;
    let mut logins = Vec::new();
    for (id, at) in [(from, "/from"), (to, "/to")] {
        let record = crate::records::read::get(&edit.tx, &ctx, id, None).await?;
        let Some(record) = record else {
            return Err(Error::bad_input_at(BadInputCode::unknown_person, at, format!("no `{form}` record {id}")));
        };
        logins.push(record[user_field.as_str()].as_str().map(str::to_owned));
    }
    if principal.platform_role != "administrator" && !leads(&edit.tx, principal, logins[0].as_deref()).await? {
        return Err(Error::Forbidden {
            code: ForbiddenCode::forbidden,
            detail: "only an administrator or the manager of the person's org unit hands their work over".into(),
        });
    }
    let mut handed = Handed { records: BTreeMap::new(), tasks: 0 };
    if forms.is_empty() {
        return Err(Error::bad_input_at(
            BadInputCode::no_forms,
            "/forms",
            "name the forms whose records are handed over",
        ));
    }
    for (i, key) in forms.iter().enumerate() {
        let linking = published.bundle.form(key).is_some_and(|f| {
            f.fields.iter().any(|x| matches!(&x.kind, FieldType::Relation { form: target, .. } if target == form))
        });
        if !linking {
            return Err(Error::bad_input_at(
                BadInputCode::bad_form,
                &format!("/forms/{i}"),
                format!("`{key}` has no relation to `{form}`"),
            ));
        }
    }
    for other in published.bundle.forms.iter().filter(|f| forms.contains(&f.key)) {
        let links: Vec<&str> = other
            .fields
            .iter()
            .filter(|f| matches!(&f.kind, FieldType::Relation { form: target, .. } if target == form))
            .map(|f| f.key.as_str())
            .collect();
        if links.is_empty() {
            continue;
        }
        let table = FormCtx::new(&published, &other.key, core.db.backend(), now)?.map;
        for link in links {
            let (column, _) =
                table.column(link).ok_or_else(|| Error::Internal(anyhow::anyhow!("no column for `{link}`")))?;
            let linked = Query::select()
                .column(a("id"))
                .from(a(&table.table))
                .and_where(Expr::col(a(column)).eq(from))
                .order_by(a("id"), Order::Asc)
                .to_owned();
            let ids: Vec<i64> =
                edit.tx.query_all(&linked).await?.iter().map(|r| r.try_get_by_index(0)).collect::<Result<_, _>>()?;
            let mut values = Map::new();
            values.insert(link.to_owned(), Value::from(to));
            for id in ids {
                let op = Op::Update { id, version: None, values: &values };
                edit.write(&other.key, op).await.map_err(|e| refusal(e, &other.key, id))?;
                *handed.records.entry(other.key.clone()).or_default() += 1;
            }
        }
    }
    if let (Some(leaving), Some(successor)) = (&logins[0], &logins[1]) {
        handed.tasks = crate::tasks::hand_all(&edit.tx, app, (leaving, successor), now).await?;
    }
    let detail = json!({ "form": form, "from": from, "to": to, "records": handed.records, "tasks": handed.tasks });
    audit::write(&edit.tx, actor, Entry::form("person.handover", app, form, detail), now).await?;
    edit.commit().await?;
    Ok(handed)
}

/// Whether `principal` leads the org unit of user `leaving` (or a unit above it).
async fn leads(c: &impl ConnectionTrait, principal: &Principal, leaving: Option<&str>) -> Result<bool, Error> {
    let Some(leaving) = leaving else { return Ok(false) };
    let unit_of = Query::select()
        .column(a("org_unit_id"))
        .from(crate::db::Table::Users)
        .and_where(Expr::col(a("username")).eq(leaving))
        .to_owned();
    let Some(unit) = c.query_one(&unit_of).await?.map(|r| r.try_get_by_index::<Option<i64>>(0)).transpose()?.flatten()
    else {
        return Ok(false);
    };
    let led = Query::select()
        .column(a("id"))
        .from(crate::db::Table::OrgUnits)
        .and_where(Expr::col(a("manager")).eq(principal.username.as_str()))
        .to_owned();
    for row in c.query_all(&led).await? {
        let top: i64 = row.try_get_by_index(0)?;
        if crate::auth::directory::units_from(c, top).await?.iter().any(|(id, _)| *id == unit) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A write the handover could not make, named by its record.
fn refusal(e: Error, form: &str, id: i64) -> Error {
    match e {
        Error::NotFound(_) | Error::Forbidden { .. } => Error::Forbidden {
            code: ForbiddenCode::handover_refused,
            detail: format!("your roles do not let you hand over `{form}` record {id}; nothing was moved"),
        },
        other => other,
    }
}
