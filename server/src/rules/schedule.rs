//! Scheduled rules: at each occurrence of its schedule, a rule scans its form. The
//! condition is compiled to SQL (see `expr_sql`), so the database finds the matching
//! records with its indexes; each one found is then fired like any rule (the condition
//! checked again in memory, for its explanation) under the key `rule:version:scheduled:
//! occurrence:id`, [`BATCH`] records per transaction.
//!
//! The runner owns the clock: `run_due_schedules(state, now)` runs what is due at `now`,
//! so tests move a virtual clock. An occurrence is claimed by inserting its row in
//! `trellis_schedule_runs`, so of several servers on one PostgreSQL exactly one runs it; a
//! run whose server died is claimed again after [`super::runs::LEASE`]. Only the latest occurrence of
//! the past day is run (a daily rule missed during downtime runs once, not once per missed
//! day), and never one from before the app version was published.

use chrono::{DateTime, SecondsFormat, Utc};
use engine_rule::{Context, EventRule, Trigger};
use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use super::runs::{claim, finish};
use super::{Change, act};
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;
use crate::expr_sql::{self, FormScope};
use crate::records::FormCtx;
use crate::records::read::current_values;
use crate::records::values::RecordValues;

/// Records fired per transaction.
pub const BATCH: usize = 500;

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub app: String,
    pub rule: String,
    pub occurrence: DateTime<Utc>,
    /// Records the scan found.
    pub matched: u64,
    /// Firings made now (a record fired before for this occurrence is not fired again).
    pub fired: u64,
    /// The earlier occurrences since the rule last ran that this run stands for: a scan
    /// runs as of its latest occurrence only (a greeting sent days late on the day it was
    /// for would be worse than none), and says how many it merged.
    pub merged: u64,
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Runs every scheduled rule occurrence due at `now` that no server has run yet.
pub async fn run_due_schedules(state: &Core, now: DateTime<Utc>) -> Result<Vec<RunReport>, Error> {
    let mut reports = Vec::new();
    for app_row in crate::meta::list_apps(&state.db.conn).await? {
        if app_row.published_version == 0 {
            continue;
        }
        let app = state.catalog.published(&state.db.conn, &app_row.key).await?;
        if !app.rules.iter().any(|r| r.schedule.is_some()) {
            continue;
        }
        let last_runs = super::runs::latest(&state.db.conn, &app.key).await?;
        for rule in app.rules.iter() {
            let Some(schedule) = &rule.schedule else { continue };
            let Some(occurrence) = schedule.latest_due(now).filter(|o| *o >= app.published_at) else { continue };
            if let Some(mut report) = run_occurrence(state, &app, rule, (occurrence, now)).await? {
                let since = last_runs.get(&rule.key).copied().unwrap_or(app.published_at).max(app.published_at);
                report.merged = merged(schedule, since, occurrence);
                if report.merged > 0 {
                    tracing::warn!(
                        app = %app.key, rule = %rule.key, merged = report.merged,
                        "a scheduled rule ran as of its latest occurrence; earlier ones since its last run were not run"
                    );
                }
                reports.push(report);
            }
        }
    }
    Ok(reports)
}

/// How many occurrences of `schedule` fall after `since` and before `latest`: those a run
/// at `latest` stands for (counted up to a year of minutes, past which it says that many).
fn merged(schedule: &engine_rule::Schedule, since: DateTime<Utc>, latest: DateTime<Utc>) -> u64 {
    const MOST: u64 = 366 * 24 * 60;
    let (mut count, mut cursor) = (0, since);
    while let Some(next) = schedule.next_after(cursor).filter(|t| *t < latest) {
        count += 1;
        if count == MOST {
            break;
        }
        cursor = next;
    }
    count
}

/// Runs `rule` for `occurrence` if this server can claim it at `now`; `None` if another has.
pub async fn run_occurrence(
    state: &Core,
    app: &PublishedApp,
    rule: &EventRule,
    (occurrence, now): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Option<RunReport>, Error> {
    let conn = &state.db.conn;
    let key = occurrence.to_rfc3339_opts(SecondsFormat::Secs, true);
    if !claim(conn, app, (&rule.key, rule.version), &key, now).await? {
        return Ok(None);
    }
    let form_key = rule.form.as_deref().ok_or_else(|| anyhow::anyhow!("scheduled rule without a form"))?;
    let ctx = FormCtx::new(app, form_key, state.db.backend(), occurrence)?;
    // The occurrence is the rule's "now": a rerun sees the same day and the same values.
    let clock = clock(app, occurrence);
    let scan = Scan::new(&ctx, rule, &clock)?;
    let mut report =
        RunReport { app: app.key.clone(), rule: rule.key.clone(), occurrence, matched: 0, fired: 0, merged: 0 };
    let paths = super::related::related_paths([rule]);
    let ids = scan.ids(conn).await?;
    report.matched = ids.len() as u64;
    for batch in ids.chunks(BATCH) {
        let tx = conn.begin().await?;
        for &record_id in batch {
            let Some((version, values)) = current_values(&tx, &ctx, record_id).await? else { continue };
            let mut record = RecordValues::new(ctx.form, record_id, values.clone(), clock);
            super::related::load(&tx, app, &mut record, &paths).await?;
            let outcome = {
                let trigger = Trigger::Scheduled { occurrence, id: record_id, record: &record };
                rule.fire(&trigger, &clock)
                    .map_err(|e| super::Unfired { key: rule.idempotency_key(&trigger), error: e.to_string() })
            };
            let change = Change {
                form: form_key.to_owned(),
                id: record_id,
                version,
                kind: engine_rule::TriggerKind::Schedule,
                before: None,
                after: Some(values),
                by: None,
                about: None,
            };
            if act(&tx, app, rule, outcome, &change, occurrence, 0).await? {
                report.fired += 1;
            }
        }
        tx.commit().await?;
    }
    finish(conn, app, (&rule.key, rule.version), &key, (report.matched, report.fired), now).await?;
    Ok(Some(report))
}

/// The database side of a scheduled rule: its condition as SQL over the form's table. The
/// ids it finds come in one query, so the database plans it as a whole (an index on the
/// condition's fields, then a sort of the ids found); 8 bytes per match are held.
struct Scan {
    table: Alias,
    condition: Option<sea_orm::sea_query::SimpleExpr>,
}

impl Scan {
    fn new(ctx: &FormCtx<'_>, rule: &EventRule, clock: &Context) -> Result<Scan, Error> {
        let scope = FormScope::new(ctx);
        let condition = match rule.condition() {
            Some(condition) => {
                let (_, compiled) = expr_sql::compile(condition, &scope, ctx.backend, clock)
                    .map_err(|errors| Error::InvalidExpression { param: "condition", errors })?;
                Some(compiled.expr)
            }
            None => None,
        };
        Ok(Scan { table: a(&ctx.map.table), condition })
    }

    /// The ids of the matching records, in id order.
    async fn ids(&self, c: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
        let id = Expr::col((self.table.clone(), a("id")));
        let mut select = Query::select();
        select.expr(id.clone()).from(self.table.clone());
        if let Some(condition) = &self.condition {
            select.and_where(condition.clone());
        }
        select.order_by_expr(id, Order::Asc);
        c.query_all(&select).await?.iter().map(|r| r.try_get_by_index(0)).collect()
    }
}

/// How many records `rule` would find at `occurrence`, read as a run reads them, without
/// firing: what the scan costs (`cargo bench -p server --bench scan`).
pub async fn count_matches(state: &Core, app: &str, rule: &str, occurrence: DateTime<Utc>) -> Result<u64, Error> {
    let app = state.catalog.published(&state.db.conn, app).await?;
    let rule = app.rules.iter().find(|r| r.key == rule).ok_or_else(|| Error::not_found(format!("no rule `{rule}`")))?;
    let form = rule.form.as_deref().ok_or_else(|| Error::not_found("the rule scans no form"))?;
    let ctx = FormCtx::new(&app, form, state.db.backend(), occurrence)?;
    let scan = Scan::new(&ctx, rule, &clock(&app, occurrence))?;
    Ok(scan.ids(&state.db.conn).await?.len() as u64)
}

/// The moment a scheduled rule evaluates at: its occurrence, so a rerun sees the same day.
fn clock(app: &PublishedApp, occurrence: DateTime<Utc>) -> Context<'_> {
    Context::at(occurrence, occurrence.date_naive()).with_calendars(&app.bundle.calendars)
}
