//! Reports and dashboards computed for the caller (`crate::reports`): a published report
//! with its parameters from the query string, a designer's draft previewed, a dashboard
//! with every card.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::error::{Problem, problem};
use super::identity::{Designer, actor, principal};
use super::params::Params;
use super::{State, json_request, json_response};
use crate::error::Error;

/// A published report computed over the caller's rows: `?{parameter}=value` for each of its
/// parameters (a wrong value refused at `/{parameter}`). A report reading a field the caller
/// sees masked or hidden is refused whole: a sum or a maximum over one row would show it.
/// `?format=csv` or `xlsx`: the answer as a file in the caller's words (audited as an export).
#[utoipa::path(get, path = "/api/v1/apps/{app}/reports/{report}", tag = "reports",
    params(("app" = String, Path, description = "App key"), ("report" = String, Path, description = "Report key")),
    responses((status = 200, description = "The answer (with `format=csv` or `xlsx`, a file)", body = super::schemas::ReportAnswer),
        (status = 400, description = "A parameter the report does not take, or a value its field cannot hold; a format other than `csv` or `xlsx`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's roles do not read the report's form, or it reads what they see masked or hidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or report", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More rows than a report reads, or a sum past what is computed exactly", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Past the report's time limit", body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    state: State,
    req: HttpRequest,
    path: Path<(String, String)>,
    given: Params<BTreeMap<String, String>>,
) -> Result<HttpResponse, Error> {
    let mut given = given.0;
    let format = given.remove("format");
    let principal = principal(&req)?;
    // A list's export: every row, read and written a page at a time.
    if let Some(format @ ("csv" | "xlsx")) = format.as_deref() {
        let who = (&principal, &actor(&req));
        if let Some(rows) = crate::reports::list_rows(&state.core, who, (&path.0, &path.1), &given, format).await? {
            return list_file(rows, format).await;
        }
    }
    let crate::reports::Answer { value: answer, kept } =
        crate::reports::answer(&state.core, &principal, (&path.0, &path.1), &given).await?;
    match format.as_deref() {
        None | Some("json") => {
            let mut response = json_response(StatusCode::OK, &answer);
            // RFC 9211: whether the answer was kept from an earlier request.
            let status = if kept { "trellis; hit" } else { "trellis; fwd=miss" };
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("cache-status"),
                actix_web::http::header::HeaderValue::from_static(status),
            );
            Ok(response)
        }
        Some(format @ ("csv" | "xlsx")) => {
            let who = (&principal, &actor(&req));
            let file = crate::reports::file(&state.core, who, (&path.0, &path.1), &answer, format).await?;
            Ok(HttpResponse::Ok()
                .content_type(file.content_type)
                .insert_header(super::files::attachment(&file.name))
                .body(file.bytes))
        }
        Some(other) => Err(Error::bad_input_at(
            crate::error::BadInputCode::bad_query,
            "/format",
            format!("no format `{other}`: `json`, `csv` or `xlsx`"),
        )),
    }
}

/// A list report's (or a record list's) rows as a file: CSV streamed as its pages are
/// read; XLSX written a page at a time into constant-memory worksheets, then sent.
pub(super) async fn list_file(rows: crate::reports::Rows, format: &str) -> Result<HttpResponse, Error> {
    let filename = format!("{}.{format}", rows.name);
    if format == "csv" {
        let chunks = crate::reports::list_csv(rows).map(|chunk| chunk.map(actix_web::web::Bytes::from));
        return Ok(HttpResponse::Ok()
            .content_type(crate::reports::CSV)
            .insert_header(super::files::attachment(&filename))
            .streaming(chunks));
    }
    let crate::reports::Rows { header, mut pages, .. } = rows;
    let mut book = crate::reports::Book::new(header)?;
    while let Some(page) = pages.next().await {
        let page = page?;
        book = tokio::task::spawn_blocking(move || book.write(&page).map(|()| book))
            .await
            .map_err(|e| Error::Internal(e.into()))??;
    }
    let bytes = tokio::task::spawn_blocking(move || book.finish()).await.map_err(|e| Error::Internal(e.into()))??;
    Ok(HttpResponse::Ok()
        .content_type(crate::reports::XLSX)
        .insert_header(super::files::attachment(&filename))
        .body(bytes))
}

/// A report not yet published, checked against the published app (every problem at its
/// path) and computed over the designer's own rows: the report designer's live preview.
#[utoipa::path(post, path = "/api/v1/apps/{app}/reports/preview", tag = "reports",
    params(("app" = String, Path, description = "App key")),
    request_body = super::schemas::ReportPreview,
    responses((status = 200, description = "The answer", body = super::schemas::ReportAnswer),
        (status = 400, description = "Malformed JSON, or a bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer, or the report reads what the designer sees masked or hidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The definition is invalid: each diagnostic at its path", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Past the report's time limit", body = Problem, content_type = "application/problem+json")))]
pub async fn preview(
    state: State,
    designer: Designer,
    path: Path<String>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let request: super::schemas::ReportPreview = json_request(body, "a report preview").await?;
    let answer = crate::reports::preview(&state.core, &designer.0, &path, &request.report, &request.parameters).await?;
    Ok(json_response(StatusCode::OK, &answer))
}

/// A dashboard the caller sees, every card computed at once within their access and the
/// shared parameters (`?{parameter}=value`) given to each card whose report takes them; a
/// card that fails carries its problem while the others show.
#[utoipa::path(get, path = "/api/v1/apps/{app}/dashboards/{dashboard}", tag = "reports",
    params(("app" = String, Path, description = "App key"), ("dashboard" = String, Path, description = "Dashboard key")),
    responses((status = 200, description = "The dashboard", body = super::schemas::DashboardAnswer),
        (status = 404, description = "No such app or dashboard, or not one the caller sees", body = Problem, content_type = "application/problem+json")))]
pub async fn dashboard(
    state: State,
    req: HttpRequest,
    path: Path<(String, String)>,
    given: Params<BTreeMap<String, String>>,
) -> Result<HttpResponse, Error> {
    let board = crate::reports::dashboard(&state.core, &principal(&req)?, (&path.0, &path.1), &given).await?;
    let cards: Vec<Value> = board
        .cards
        .into_iter()
        .map(|(mut card, answer)| {
            match answer {
                Ok(answer) => card["answer"] = answer,
                Err(e) => card["problem"] = json!(problem(&e)),
            }
            card
        })
        .collect();
    let mut body = board.about;
    body["cards"] = Value::Array(cards);
    Ok(json_response(StatusCode::OK, &body))
}
