//! Imports of CSV and XLSX files into a form through HTTP (`crate::imports::job`): the file
//! uploaded and spooled to disk as it arrives, mapped, run as a job (a dry run first, if
//! wished) whose progress is read back, cancelled, and its refused rows downloaded as an
//! error file. Each import is its uploader's alone.

use std::io::Write;

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::error::Problem;
use super::identity::principal;
use super::params::Params;
use super::records::FormAt;
use super::{State, json_request, json_response};
use crate::error::{BadInputCode, Error};
use crate::imports::MappingSpec;
use crate::imports::job::{self, Upload};
use crate::imports::job_store::{self, ImportJob};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name; one ending in `.xlsx` is read as a workbook (its first sheet), any
    /// other as CSV (UTF-8, a header row).
    name: String,
}

/// Upload a CSV or XLSX file to import into a form (its bytes as the body, up to 1 GiB):
/// answered with the import (`uploaded`, with the file's header), its first rows, and a mapping
/// suggested by the columns' names. Needs the right to create or update the form's records.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/imports", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), UploadParams),
    request_body(content = inline(serde_json::Value), content_type = "text/csv", description = "The file's bytes"),
    responses((status = 201, description = "Uploaded", body = crate::imports::job::Uploaded),
        (status = 400, description = "Not a CSV file or workbook, or no name", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "May neither create nor update the form's records", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too many imports holding a file (`too_many_imports`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 1 GiB", body = Problem, content_type = "application/problem+json")))]
pub async fn upload_import(
    state: State,
    req: HttpRequest,
    path: Path<FormAt>,
    params: Params<UploadParams>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let principal = principal(&req)?;
    let name = params.name.trim();
    crate::attachments::check_name(&params.name)?;
    job::admit(&state.core, &principal, &path.app, &path.form).await?;
    let dir = job::spool_dir();
    std::fs::create_dir_all(&dir).map_err(|e| Error::Internal(e.into()))?;
    let spool = dir.join(format!("{:032x}.part", rand::random::<u128>()));
    let (sha256, lines) = match spool_to(&spool, body).await {
        Ok(read) => read,
        Err(e) => {
            let _ = std::fs::remove_file(&spool);
            return Err(e);
        }
    };
    let upload = Upload { file_name: name, sha256: &sha256, lines, path: &spool };
    let uploaded = job::register(&state.core, &principal, (&path.app, &path.form), &upload).await?;
    Ok(HttpResponse::Created().json(uploaded))
}

/// Writes the body to `path` as it arrives: its SHA-256 and how many lines it has.
async fn spool_to(path: &std::path::Path, body: Payload) -> Result<(String, u64), Error> {
    let file = std::fs::File::create(path).map_err(|e| Error::Internal(e.into()))?;
    let mut file = std::io::BufWriter::new(file);
    let mut print = crate::imports::Fingerprint::default();
    let size = super::read_chunks(body, job::MAX_IMPORT_BYTES, |chunk| {
        print.update(chunk);
        file.write_all(chunk).map_err(|e| Error::Internal(e.into()))
    })
    .await?;
    file.flush().map_err(|e| Error::Internal(e.into()))?;
    if size == 0 {
        return Err(Error::bad_input(BadInputCode::bad_csv, "the file is empty"));
    }
    Ok(print.finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the imports into this form.
    form: Option<String>,
}

/// Your latest imports into the app (the last 50), newest first: each with its progress
/// and its mapping, to reuse.
#[utoipa::path(get, path = "/api/v1/apps/{app}/imports", tag = "records",
    params(("app" = String, Path, description = "App key"), ListParams),
    responses((status = 200, description = "Newest first", body = Object, example = json!({ "items": [] }))))]
pub async fn list_imports(
    state: State,
    req: HttpRequest,
    path: Path<String>,
    params: Params<ListParams>,
) -> Result<HttpResponse, Error> {
    let user = principal(&req)?.user_id;
    let items = job_store::list(&state.core.db.conn, &path, user, params.form.as_deref()).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// One of your imports: its state and progress.
#[utoipa::path(get, path = "/api/v1/apps/{app}/imports/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Import id")),
    responses((status = 200, description = "The import", body = ImportJob),
        (status = 404, description = "No such import of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn get_import(state: State, req: HttpRequest, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    let found = job::owned(&state.core, &principal(&req)?, &path.0, path.1).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// How to run an import.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "mapping": { "key": "customer_no", "columns": { "客户号": "customer_no" } }, "dry_run": true }))]
pub struct RunImport {
    pub mapping: MappingSpec,
    /// Report what would be created, updated, left unchanged and refused; write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Run an uploaded import with a mapping (checked first: each problem at its path), as a
/// job: answered at once, `running`; read its progress from the import. A real run after
/// one that stopped with the same mapping goes on where it stopped. Each record goes
/// through the write pipeline with your roles.
#[utoipa::path(post, path = "/api/v1/apps/{app}/imports/{id}/run", tag = "records",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Import id")),
    request_body = RunImport,
    responses((status = 202, description = "Running", body = ImportJob),
        (status = 400, description = "A mapping that does not fit the form and the file (`bad_mapping`), each problem at its path", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Running already (`import_running`), or its file is gone (`import_file_gone`)", body = Problem, content_type = "application/problem+json")))]
pub async fn run_import(
    state: State,
    req: HttpRequest,
    path: Path<(String, i64)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let run: RunImport = json_request(body, "an import's run").await?;
    let started = job::start(&state.core, &principal(&req)?, (&path.0, path.1), &run.mapping, run.dry_run).await?;
    Ok(HttpResponse::Accepted().json(started))
}

/// Cancel a running import: it stops at its next batch of 1,000 rows (one under way is
/// rolled back unless it commits first); what it wrote stays. Run it again to go on.
#[utoipa::path(post, path = "/api/v1/apps/{app}/imports/{id}/cancel", tag = "records",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Import id")),
    responses((status = 200, description = "Cancelled", body = ImportJob),
        (status = 404, description = "No such import of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not running (`import_running`)", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel_import(state: State, req: HttpRequest, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    let cancelled = job::cancel(&state.core, &principal(&req)?, (&path.0, path.1)).await?;
    Ok(HttpResponse::Ok().json(cancelled))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefusalParams {
    /// The refusals after this row of the file.
    #[serde(default)]
    after: u64,
    /// How many, 1 to 100 (default 20).
    limit: Option<u64>,
}

/// The rows of the file an import's last run refused, in the file's order: each with its
/// number (the header is row 1), its cells, why in words (`reasons`) and the problems
/// themselves (`errors`: a path from the record, a code and a message, as a refused
/// record's are).
#[utoipa::path(get, path = "/api/v1/apps/{app}/imports/{id}/refusals", tag = "records",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Import id"), RefusalParams),
    responses((status = 200, description = "The refused rows", body = Object,
            example = json!({ "items": [{ "row": 7, "cells": ["C000123", "王芳", "r9"], "reasons": "risk_level: `r9` is not one of the options: r1, r2, r3, r4, r5",
                "errors": [{ "path": "/risk_level", "code": "option", "message": "`r9` is not one of the options: r1, r2, r3, r4, r5" }] }] })),
        (status = 400, description = "A bad limit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn import_refusals(
    state: State,
    req: HttpRequest,
    path: Path<(String, i64)>,
    params: Params<RefusalParams>,
) -> Result<HttpResponse, Error> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(Error::bad_input_at(BadInputCode::bad_query, "/limit", "a limit is 1 to 100"));
    }
    let found = job::owned(&state.core, &principal(&req)?, &path.0, path.1).await?;
    let rows = job_store::refusals(&state.core.db.conn, found.id, params.after, limit).await?;
    let items: Vec<_> = rows
        .into_iter()
        .map(|k| json!({ "row": k.row, "cells": k.cells, "reasons": k.reasons, "errors": k.problems }))
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// The error file of an import's last run: CSV (UTF-8 with a byte-order mark), the column
/// `row`, the file's own columns and `errors`, one line per refused row; fix the rows and
/// import this file again.
#[utoipa::path(get, path = "/api/v1/apps/{app}/imports/{id}/errors", tag = "records",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Import id")),
    responses((status = 200, description = "The refused rows as CSV", content_type = "text/csv"),
        (status = 404, description = "No such import of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn import_errors(state: State, req: HttpRequest, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    let found = job::owned(&state.core, &principal(&req)?, &path.0, path.1).await?;
    let mut header = vec!["row".to_owned()];
    header.extend(found.header.iter().cloned());
    header.push("errors".to_owned());
    let conn = state.core.db.conn.clone();
    let id = found.id;
    let pages = futures_util::stream::unfold(Some(0u64), move |after| {
        let conn = conn.clone();
        async move {
            let after = after?;
            let page = match job_store::refusals(&conn, id, after, 1000).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            let next = page.last().map(|k| k.row).filter(|_| page.len() == 1000);
            let cells = page.into_iter().map(|k| {
                let mut line = vec![crate::reports::Cell::text(k.row.to_string())];
                line.extend(k.cells.into_iter().map(|c| crate::reports::Cell::text(crate::reports::guarded(c))));
                line.push(crate::reports::Cell::text(crate::reports::guarded(k.reasons)));
                line
            });
            Some((Ok(cells.collect()), next))
        }
    });
    let stem = found.file_name.rsplit_once('.').map_or(found.file_name.as_str(), |(stem, _)| stem);
    let rows = crate::reports::Rows { name: format!("{stem}.errors"), header, pages: pages.boxed_local() };
    super::reports::list_file(rows, "csv").await
}
