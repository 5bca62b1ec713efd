//! Who sees which tasks: their own, those offered to their roles and units, and (asked
//! for) their team's; as SQL conditions on the task rows.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Query as Sql};
use serde_json::Value;

use super::{Whose, a};
use crate::auth::Principal;
use crate::db::Table;
use crate::error::Error;

/// Who may see which tasks: the caller's name, their (app, role) pairs, and their team.
pub struct Reach {
    pub(super) principal: Principal,
    roles: Vec<(String, String)>,
    /// The keys of the caller's org unit and every unit below it: the queues they see.
    pub(crate) units: Vec<String>,
    /// Asked for, the users of the units the caller leads (manages) and those below them.
    team: Vec<String>,
}

pub async fn reach(c: &impl ConnectionTrait, principal: Principal, team: bool) -> Result<Reach, Error> {
    let roles_q = Sql::select()
        .columns(["app", "role"].map(a))
        .from(Table::UserRoles)
        .and_where(Expr::col(a("user_id")).eq(principal.user_id))
        .to_owned();
    let mut roles = Vec::new();
    for row in c.query_all(&roles_q).await? {
        roles.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
    }
    let below = crate::auth::directory::unit_and_below(c, principal.user_id).await?;
    let mut members = Vec::new();
    let led = if team { crate::auth::directory::units_led(c, &principal.username).await? } else { Vec::new() };
    if !led.is_empty() {
        // The users of the units the caller leads and of those below them.
        let users = Sql::select()
            .column(a("username"))
            .from(Table::Users)
            .and_where(Expr::col(a("org_unit_id")).is_in(led))
            .to_owned();
        for row in c.query_all(&users).await? {
            members.push(row.try_get_by_index(0)?);
        }
    }
    let units = below.into_iter().map(|(_, key)| key).collect();
    Ok(Reach { principal, roles, units, team: members })
}

impl Reach {
    /// The tasks the caller may see, as SQL: theirs; those offered to a role of theirs,
    /// anywhere or in a unit at or below theirs; those waiting in such a unit's queue for
    /// no role; and, asked for, their team's.
    pub fn condition(&self) -> Cond {
        let mut any = Cond::any().add(Expr::col(a("assignee")).eq(self.principal.username.as_str())).add(self.queue());
        if !self.team.is_empty() {
            any = any.add(Expr::col(a("assignee")).is_in(self.team.clone()));
        }
        any
    }

    /// The tasks waiting in the caller's queues, as SQL: held by no one and offered to a
    /// role of theirs (anywhere, or in a unit at or below theirs), or waiting in such a
    /// unit's queue for no role. What the caller may claim.
    pub fn queue(&self) -> Cond {
        Cond::all().add(Expr::col(a("assignee")).is_null()).add(self.offered())
    }

    /// The tasks offered to the caller's roles and units, held or not: those they could
    /// claim, or could have.
    pub fn offered(&self) -> Cond {
        let mut any = Cond::any();
        let in_my_units = || Expr::col(a("candidate_unit")).is_in(self.units.clone());
        for (app, role) in &self.roles {
            any = any.add(
                Cond::all()
                    .add(Expr::col(a("app")).eq(app.as_str()))
                    .add(Expr::col(a("candidate_role")).eq(role.as_str()))
                    .add(Cond::any().add(Expr::col(a("candidate_unit")).is_null()).add(in_my_units())),
            );
        }
        if !self.units.is_empty() {
            any = any.add(Cond::all().add(Expr::col(a("candidate_role")).is_null()).add(in_my_units()));
        }
        if any.is_empty() {
            // No role and no unit: nothing is offered to them. (Said outright: an empty
            // `any` must not vanish from the SQL and leave every queue open.)
            return Cond::all().add(Expr::cust("1 = 0"));
        }
        any
    }

    /// Whether the caller acts on `task` (its JSON): theirs, or waiting in a queue of theirs.
    pub fn acts_on(&self, task: &Value) -> bool {
        Value::is_null(&task["assignee"]) || task["assignee"].as_str() == Some(self.principal.username.as_str())
    }

    /// Whether the caller leads the unit of `user` (or one above it).
    pub fn leads(&self, user: &str) -> bool {
        self.team.iter().any(|member| member == user)
    }

    /// Whether the caller holds `role` in `app`.
    pub fn holds(&self, app: &str, role: &str) -> bool {
        self.roles.iter().any(|(a, r)| a == app && r == role)
    }

    /// Whether the caller holds any role in `app`.
    pub fn has_roles_in(&self, app: &str) -> bool {
        self.roles.iter().any(|(a, _)| a == app)
    }

    /// The language the caller reads tasks in.
    pub fn language(&self) -> Option<&str> {
        self.principal.language.as_deref()
    }

    /// The tasks of `status` the caller may see: every one for an administrator.
    pub(super) fn tasks(&self, status: &str) -> sea_orm::sea_query::SelectStatement {
        let mut stmt = Sql::select();
        stmt.from(Table::Tasks).and_where(Expr::col(a("status")).eq(status));
        if !self.is_admin() {
            stmt.cond_where(self.condition());
        }
        stmt
    }

    pub(super) fn is_admin(&self) -> bool {
        self.principal.platform_role == "administrator"
    }

    /// `whose` part of the tasks the caller sees, as SQL (within [`Reach::condition`]).
    pub(super) fn part(&self, whose: Whose) -> Cond {
        let assignee = || Expr::col(a("assignee"));
        let me = self.principal.username.as_str();
        match whose {
            Whose::Mine => Cond::all().add(assignee().eq(me)),
            Whose::Queue => Cond::all().add(assignee().is_null()),
            Whose::Team => Cond::all().add(assignee().is_in(self.team.iter().filter(|m| *m != me).cloned())),
        }
    }
}
