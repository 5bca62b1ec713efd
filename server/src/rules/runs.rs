//! Runs of occurrences (a scheduled rule's, a timed process start's), claimed by inserting
//! their row in `trellis_schedule_runs`: of several servers on one database exactly one
//! runs an occurrence, and a run whose server died is claimed again after [`LEASE`].

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::catalog::PublishedApp;
use crate::db::Table;
use crate::db::codec::datetime;

/// How long a claimed run is its server's before another may take it over.
pub const LEASE: Duration = Duration::minutes(10);

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Claims an occurrence of a scheduled rule (or of a flow's scheduled start, keyed
/// `flow:<key>`): inserts its run, or takes over one whose lease ran out.
pub(crate) async fn claim(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    (rule, version): (&str, i64),
    occurrence: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let backend = c.get_database_backend();
    let insert = Query::insert()
        .into_table(Table::ScheduleRuns)
        .columns(["app", "rule", "rule_version", "occurrence", "state", "claimed_at"].map(a))
        .values([
            app.key.as_str().into(),
            rule.into(),
            version.into(),
            occurrence.into(),
            "running".into(),
            datetime(now, backend).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::columns(["app", "rule", "rule_version", "occurrence"].map(a)).do_nothing().to_owned())
        .to_owned();
    if c.execute(&insert).await?.rows_affected() == 1 {
        return Ok(true);
    }
    let take_over = Query::update()
        .table(Table::ScheduleRuns)
        .value(a("claimed_at"), datetime(now, backend))
        .and_where(Expr::col(a("app")).eq(app.key.as_str()))
        .and_where(Expr::col(a("rule")).eq(rule))
        .and_where(Expr::col(a("rule_version")).eq(version))
        .and_where(Expr::col(a("occurrence")).eq(occurrence))
        .and_where(Expr::col(a("state")).eq("running"))
        .and_where(Expr::col(a("claimed_at")).lt(datetime(now - LEASE, backend)))
        .to_owned();
    Ok(c.execute(&take_over).await?.rows_affected() == 1)
}

pub(crate) async fn finish(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    (rule, version): (&str, i64),
    occurrence: &str,
    (matched, fired): (u64, u64),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Table::ScheduleRuns)
        .value(a("state"), "done")
        .value(a("matched"), matched as i64)
        .value(a("fired"), fired as i64)
        .value(a("finished_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("app")).eq(app.key.as_str()))
        .and_where(Expr::col(a("rule")).eq(rule))
        .and_where(Expr::col(a("rule_version")).eq(version))
        .and_where(Expr::col(a("occurrence")).eq(occurrence))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// The latest occurrence each scheduled rule of `app` ran for (any version), by rule.
pub(crate) async fn latest(
    c: &impl ConnectionTrait,
    app: &str,
) -> Result<std::collections::HashMap<String, DateTime<Utc>>, DbErr> {
    let stmt = Query::select()
        .column(a("rule"))
        .expr(Expr::col(a("occurrence")).max())
        .from(Table::ScheduleRuns)
        .and_where(Expr::col(a("app")).eq(app))
        .group_by_col(a("rule"))
        .to_owned();
    let mut out = std::collections::HashMap::new();
    for row in c.query_all(&stmt).await? {
        let (rule, occurrence): (String, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        // Occurrences are keyed as RFC 3339 to the second in UTC, so the greatest is the latest.
        if let Ok(at) = DateTime::parse_from_rfc3339(&occurrence) {
            out.insert(rule, at.with_timezone(&Utc));
        }
    }
    Ok(out)
}
