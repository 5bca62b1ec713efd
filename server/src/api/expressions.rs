//! Previewing an expression on stored records (`crate::records::preview`).

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};

use super::error::Problem;
use super::identity::{Designer, principal};
use super::{State, json_request, json_response};
use crate::error::Error;
use crate::records::preview::EvaluateRequest;

/// An expression's value for stored records, computed by the database: the records the
/// caller's roles admit, reading only what they see in clear.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/evaluate", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body = EvaluateRequest,
    responses((status = 200, description = "The expression's type and its value for each record", body = Object,
            example = json!({ "type": "boolean", "items": [{ "id": 1, "value": true }, { "id": 2, "value": false }], "next": null })),
        (status = 422, description = "The expression is invalid (each problem with its `span`) or a value is out of range", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer; the caller's roles do not read the form (`forbidden`), or the expression reads what they see masked or hidden (`not_readable`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json")))]
pub async fn evaluate(
    state: State,
    _: Designer,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let request: EvaluateRequest = json_request(payload, "an evaluation request").await?;
    let body = crate::records::preview::preview(&state.core, &principal(&req)?, (&path.0, &path.1), &request).await?;
    Ok(json_response(StatusCode::OK, &body))
}
