//! The task inbox over HTTP: the caller's tasks (and their team's), one task with its form
//! and record, completing one, claiming, giving back and delegating (`crate::tasks`).

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{actor, principal};
use super::params::Params;
use super::{State, json_body, json_request, json_response};
use crate::error::Error;
use crate::flows::Completion;
use crate::tasks::{self, Reassignment, TaskQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// Only this app's tasks.
    app: Option<String>,
    /// `open` (the default), `completed` or `cancelled`.
    status: Option<String>,
    /// Also the tasks of the users in the org units you lead (manage) and those below them.
    team: Option<bool>,
    /// Only `mine` (held by you), `queue` (waiting in a queue of yours: offered to a role
    /// or unit of yours, held by no one) or `team` (held by the others in the units you lead).
    whose: Option<String>,
    /// Only tasks past their due time.
    overdue: Option<bool>,
    /// Only tasks due before this instant (RFC 3339), e.g. the end of the week.
    due_before: Option<chrono::DateTime<Utc>>,
    /// Only tasks of this priority: `low`, `normal` or `high`.
    priority: Option<String>,
    /// At most this many, 1 to 500; 100 by default.
    limit: Option<u64>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

impl TaskFilter {
    fn query(&self) -> Result<TaskQuery, Error> {
        Ok(TaskQuery {
            app: self.app.clone(),
            status: self.status.clone(),
            team: self.team.unwrap_or(false),
            whose: self.whose.as_deref().map(tasks::Whose::parse).transpose()?,
            overdue: self.overdue.unwrap_or(false),
            due_before: self.due_before,
            priority: self.priority.clone(),
            limit: self.limit.unwrap_or(100),
            after: self.after.clone(),
        })
    }
}

/// Your tasks and your queues' (with `team=true` your team's too; `whose` for one of them), soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskFilter),
    responses((status = 200, description = "Tasks, soonest due first; `overdue` marks those past due; `next` is the cursor of the following page; a team's first page counts each holder's (`holders`)", body = super::schemas::TaskList),
        (status = 400, description = "A bad status, priority, whose, limit or cursor", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, req: HttpRequest, filter: Params<TaskFilter>) -> Result<HttpResponse, Error> {
    let page = tasks::list(&state, principal(&req)?, &filter.query()?, state.clock.now()).await?;
    let mut body = json!({ "items": page.items, "next": page.next });
    if let Some(holders) = page.holders {
        body["holders"] = json!(holders);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// One task with its form, its outcomes and the record it is about (as you may see it).
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = super::schemas::TaskDetail),
        (status = 404, description = "No such task of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    let task = tasks::detail(&state, &principal(&req)?, *path, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &task))
}

/// Complete a task: `{"outcome": "reached", "values": {...}}`, the values checked against
/// the task's form. Its process moves on in the same transaction.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/complete", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    request_body(content = Object, example = json!({ "outcome": "reached", "values": { "notes": "客户满意" } })),
    responses((status = 200, description = "Completed", body = Object),
        (status = 409, description = "Not open, or not yours to complete", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The values do not fit the task form, or the outcome is not one of its outcomes", body = Problem, content_type = "application/problem+json")))]
pub async fn complete(state: State, req: HttpRequest, path: Path<i64>, body: Payload) -> Result<HttpResponse, Error> {
    let doc = json_body(body).await?;
    let done = Completion {
        outcome: doc.get("outcome").and_then(Value::as_str).map(str::to_owned),
        values: doc.get("values").and_then(Value::as_object).cloned().unwrap_or_default(),
    };
    let who = (principal(&req)?, actor(&req));
    let task = crate::flows::complete(&state, who, *path, done, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &task))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Delegation {
    /// The user name of who takes the task over.
    to: String,
}

/// Changes who holds task `id`; the answer names who holds it now.
async fn reassigned(state: &State, req: &HttpRequest, id: i64, how: Reassignment) -> Result<HttpResponse, Error> {
    let who = (principal(req)?, actor(req));
    let holder = tasks::reassign(state, who, id, how, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &json!({ "id": id, "assignee": holder })))
}

/// Take a task offered to a role you hold.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/claim", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Yours now", body = Object),
        (status = 409, description = "Someone holds it already", body = Problem, content_type = "application/problem+json")))]
pub async fn claim(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    reassigned(&state, &req, *path, Reassignment::Claim).await
}

/// Give a claimed task back to its candidates.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/unclaim", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Offered to its candidates again", body = Object),
        (status = 409, description = "Not yours, or not offered to a role", body = Problem, content_type = "application/problem+json")))]
pub async fn unclaim(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    reassigned(&state, &req, *path, Reassignment::Unclaim).await
}

/// Hand a task you hold to another user.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/delegate", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    request_body = Delegation,
    responses((status = 200, description = "Theirs now", body = Object),
        (status = 409, description = "Not yours to hand on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such user", body = Problem, content_type = "application/problem+json")))]
pub async fn delegate(state: State, req: HttpRequest, path: Path<i64>, body: Payload) -> Result<HttpResponse, Error> {
    let delegation: Delegation = json_request(body, "a delegation").await?;
    reassigned(&state, &req, *path, Reassignment::Delegate(delegation.to)).await
}

/// The people you may hand task `id` to (you hold it, or lead the unit of who does): each
/// may work on it.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/takers", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Who may take the task over, by user name", body = super::schemas::Takers),
        (status = 404, description = "No such task of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open, not held, or not yours to hand on", body = Problem, content_type = "application/problem+json")))]
pub async fn takers(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    let items = tasks::takers(&state, &principal(&req)?, *path, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}
