//! Uploading and downloading files for attachment fields.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::State;
use super::error::Problem;
use super::identity::principal;
use super::params::Params;
use crate::attachments;
use crate::error::Error;
use crate::files::{self, FileMeta};
use crate::limits;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name, e.g. `statement.pdf`.
    name: String,
}

/// Upload a file (the raw bytes as the body, its type as Content-Type). Attach it by putting
/// its id into an attachment field; the field's size and type limits are checked then.
#[utoipa::path(post, path = "/api/v1/apps/{app}/files", tag = "files",
    params(("app" = String, Path, description = "App key"), UploadParams),
    request_body(content = inline(serde_json::Value), content_type = "application/octet-stream", description = "The file's bytes, any of them"),
    responses((status = 201, description = "Stored", body = FileMeta),
        (status = 400, description = "Empty file or missing name", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too many uploads not yet attached (`too_many_uploads`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the server accepts", body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: State,
    path: Path<String>,
    params: Params<UploadParams>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let principal = principal(&req)?;
    attachments::admit(&state, &principal, &path, &params.name).await?;
    let body = super::read_body(body, files::MAX_FILE_SIZE).await?;
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream");
    let about = (path.as_str(), params.name.as_str(), content_type);
    let stored = attachments::store(&state, &principal, about, body.to_vec(), state.clock.now()).await?;
    Ok(HttpResponse::Created().json(stored))
}

/// Download a stored file.
#[utoipa::path(get, path = "/api/v1/apps/{app}/files/{id}", tag = "files",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "File id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 404, description = "No such file in this app", body = Problem, content_type = "application/problem+json")))]
pub async fn download(state: State, req: HttpRequest, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    let (meta, data) = attachments::read(&state, &principal(&req)?, (&path.0, path.1), state.clock.now()).await?;
    Ok(HttpResponse::Ok().content_type(meta.content_type.clone()).insert_header(attachment(&meta.name)).body(data))
}

/// `Content-Disposition: attachment` naming the file as RFC 6266 says: `filename*` in UTF-8
/// for what browsers show, and an ASCII `filename` for those that read only that. Characters
/// that would turn the name around or break the header (names stored before they were
/// refused) become `_`.
pub(super) fn attachment(name: &str) -> ContentDisposition {
    let shown: String =
        name.chars().map(|c| if limits::has_hidden_characters(&c.to_string()) { '_' } else { c }).collect();
    let ascii: String = shown.chars().map(|c| if c.is_ascii() && c != '"' && c != '\\' { c } else { '_' }).collect();
    let mut parameters = vec![DispositionParam::Filename(ascii)];
    if !shown.is_ascii() {
        parameters.push(DispositionParam::FilenameExt(header::ExtendedValue {
            charset: header::Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: shown.into_bytes(),
        }));
    }
    ContentDisposition { disposition: DispositionType::Attachment, parameters }
}
