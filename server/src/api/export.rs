//! Exporting a form's records as CSV or XLSX through HTTP: `export::start` does the work;
//! the file is written as a list report's is (`reports::list_file`).

use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::State;
use super::identity::{actor, principal};
use super::params::Params;
use super::records::FormAt;
use crate::error::Error;
use crate::records::query::ListParams;
use crate::reports::Cell;

/// Export records as CSV (UTF-8 with a byte-order mark, so spreadsheets read Chinese
/// right; streamed) or, with `format=xlsx`, as a workbook (constant-memory worksheets, a
/// further sheet past 1,048,575 rows): headers and values as your list shows them, in your language (field and option
/// labels, yes and no, instants on your clocks), or with `keys=true` as field keys and
/// stored values. The same `filter`, `where`, `sort` and `fields` as a list; `limit` and
/// `after` do not apply. Needs the `export` operation.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/export", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ListParams),
    responses((status = 200, description = "The records as CSV (or XLSX): a header row, then one row per record", content_type = "text/csv"),
        (status = 400, description = "A bad filter, sort or fields", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "No `export` operation, or a filter on what the caller sees masked", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A `where` that is not a valid condition: `errors[].span` locates the mistake", body = super::error::Problem, content_type = "application/problem+json")))]
pub async fn export(
    state: State,
    req: HttpRequest,
    path: actix_web::web::Path<FormAt>,
    params: Params<ListParams>,
) -> Result<HttpResponse, Error> {
    let format = match params.format.as_deref() {
        None | Some("csv") => "csv",
        Some("xlsx") => "xlsx",
        Some(other) => {
            let detail = format!("no format `{other}`: `csv` or `xlsx`");
            return Err(Error::bad_input_at(crate::error::BadInputCode::bad_query, "/format", detail));
        }
    };
    let who = (&principal(&req)?, &actor(&req));
    let rows = crate::export::start(&state.core, who, (&path.app, &path.form), &params, format).await?;
    let crate::export::Rows { name, header, pages } = rows;
    let pages = pages
        .map(|page| page.map(|rows| rows.into_iter().map(|row| row.into_iter().map(Cell::text).collect()).collect()));
    super::reports::list_file(crate::reports::Rows { name, header, pages: pages.boxed_local() }, format).await
}
