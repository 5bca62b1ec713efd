//! Uploading and downloading files for attachment fields.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::State;
use super::error::Problem;
use super::identity::principal;
use super::params::Params;
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::files::{self, FileMeta};
use crate::limits;
use engine_form::FieldType;

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
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, description = "Stored", body = FileMeta),
        (status = 400, description = "Empty file or missing name", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the server accepts", body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    state: State,
    path: Path<String>,
    params: Params<UploadParams>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let principal = principal(&req)?;
    let app = state.catalog.published(&state.db.conn, &path).await?;
    if !may_attach(&state, &app, &principal).await? {
        return Err(Error::Forbidden {
            code: "forbidden",
            detail: "none of your roles may create or update records with attachments in this app".into(),
        });
    }
    let name = params.name.trim();
    let bad_name = name.is_empty() || params.name.len() > limits::FILE_NAME_BYTES || name.contains(['/', '\\']);
    if bad_name || limits::has_hidden_characters(name) {
        return Err(Error::BadInput {
            code: "bad_name",
            detail: "`name` must be a plain file name of 1 to 255 bytes".into(),
            errors: vec![engine_form::FieldError::new(
                "/name",
                "bad_name",
                "a file name has 1 to 255 bytes, without `/`, `\\`, control characters (line breaks, NUL) or \
                 characters that turn the text around it (right-to-left overrides)",
            )],
        });
    }
    let body = super::read_body(body, files::MAX_FILE_SIZE).await?;
    if body.is_empty() {
        return Err(Error::bad_input("empty_file", "the file is empty"));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    if content_type.len() > limits::FILE_NAME_BYTES {
        let detail = format!("a Content-Type of at most {} bytes", limits::FILE_NAME_BYTES);
        return Err(Error::bad_input_at("bad_content_type", "/content-type", detail));
    }
    let stored =
        files::store(&state.db, &path, name, &content_type, body.to_vec(), principal.user_id, state.clock.now())
            .await?;
    Ok(HttpResponse::Created().json(stored))
}

/// Whether the caller may create or update records of some form with an attachment field.
async fn may_attach(state: &State, app: &PublishedApp, principal: &Principal) -> Result<bool, Error> {
    let has_files = |fields: &[engine_form::Field]| {
        fields.iter().any(|f| match &f.kind {
            FieldType::Attachment { .. } => true,
            FieldType::SubTable { fields } => fields.iter().any(|f| matches!(f.kind, FieldType::Attachment { .. })),
            _ => false,
        })
    };
    for form in app.bundle.forms.iter().filter(|f| has_files(&f.fields)) {
        let access = crate::access::load(&state.db.conn, app, principal, form).await?;
        if access.allows("create") || access.allows("update") {
            return Ok(true);
        }
    }
    // Or they hold a task whose form takes files.
    crate::tasks::holds_task_taking_files(state, app, principal).await
}

/// Download a stored file.
#[utoipa::path(get, path = "/api/v1/apps/{app}/files/{id}", tag = "files",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "File id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 404, description = "No such file in this app", body = Problem, content_type = "application/problem+json")))]
pub async fn download(state: State, req: HttpRequest, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    let not_found = || Error::not_found(format!("no file {} in app `{}`", path.1, path.0));
    let (meta, data) = files::content(&state.db.conn, path.1).await?.ok_or_else(not_found)?;
    if meta.app != path.0 {
        return Err(not_found());
    }
    // An attached file is read by whoever may read its field of its record; before that,
    // by its uploader (and administrators) only.
    match &meta.attached {
        Some(at) if at.form == files::TASK_FILES => {
            crate::tasks::visible_to(&state, principal(&req)?, at.record_id).await?
        }
        Some(at) => {
            let access = crate::access::reach::readable(
                &state.core,
                &principal(&req)?,
                (&path.0, &at.form, at.record_id),
                state.clock.now(),
            )
            .await?;
            if !access.mode(&at.field).in_clear() {
                return Err(not_found());
            }
        }
        None => {
            let principal = principal(&req)?;
            if meta.uploaded_by != Some(principal.user_id) && principal.platform_role != "administrator" {
                return Err(not_found());
            }
        }
    }
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
