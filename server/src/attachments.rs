//! Files for attachment fields and task forms, as a caller may upload and read them: an
//! upload only by someone who may write a record (or complete a task) that takes files; an
//! attached file read by whoever may read its field of its record (or see its task),
//! before that by its uploader and administrators only. Storing is `files.rs`'.

use chrono::{DateTime, Utc};
use engine_form::FieldType;

use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::{BadInputCode, Error, ForbiddenCode};
use crate::files::{self, FileMeta};
use crate::limits;

/// Refuses an upload to `app` named `name` unless the caller may attach files there and
/// the name is a plain file name: checked before the body is read.
pub async fn admit(core: &Core, principal: &Principal, app: &str, name: &str) -> Result<(), Error> {
    let app = core.catalog.published(&core.db.conn, app).await?;
    if !may_attach(core, &app, principal).await? {
        return Err(Error::Forbidden {
            code: ForbiddenCode::forbidden,
            detail: "none of your roles may create or update records with attachments in this app".into(),
        });
    }
    check_name(name)
}

/// Refuses a file name (an upload's, an import's) that is empty, longer than
/// [`limits::FILE_NAME_BYTES`], a path, or holds hidden characters.
pub fn check_name(name: &str) -> Result<(), Error> {
    let trimmed = name.trim();
    let bad_name = trimmed.is_empty() || name.len() > limits::FILE_NAME_BYTES || trimmed.contains(['/', '\\']);
    if bad_name || limits::has_hidden_characters(trimmed) {
        return Err(Error::BadInput {
            code: BadInputCode::bad_name,
            detail: "`name` must be a plain file name of 1 to 255 bytes".into(),
            errors: vec![engine_form::FieldError::new(
                "/name",
                "bad_name",
                "a file name has 1 to 255 bytes, without `/`, `\\`, control characters (line breaks, NUL) or \
                 characters that turn the text around it (right-to-left overrides)",
            )],
        });
    }
    Ok(())
}

/// Stores an upload [`admit`] let in: its bytes, as the caller's, unattached until a
/// record or task names it.
pub async fn store(
    core: &Core,
    principal: &Principal,
    (app, name, content_type): (&str, &str, &str),
    bytes: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<FileMeta, Error> {
    if bytes.is_empty() {
        return Err(Error::bad_input(BadInputCode::empty_file, "the file is empty"));
    }
    if content_type.len() > limits::FILE_NAME_BYTES {
        let detail = format!("a Content-Type of at most {} bytes", limits::FILE_NAME_BYTES);
        return Err(Error::bad_input_at(BadInputCode::bad_content_type, "/content-type", detail));
    }
    files::store(&core.db, app, name.trim(), content_type, bytes, principal.user_id, now).await
}

/// Whether the caller may create or update records of some form with an attachment field.
async fn may_attach(core: &Core, app: &PublishedApp, principal: &Principal) -> Result<bool, Error> {
    let has_files = |fields: &[engine_form::Field]| {
        fields.iter().any(|f| match &f.kind {
            FieldType::Attachment { .. } => true,
            FieldType::SubTable { fields } => fields.iter().any(|f| matches!(f.kind, FieldType::Attachment { .. })),
            _ => false,
        })
    };
    for form in app.bundle.forms.iter().filter(|f| has_files(&f.fields)) {
        let access = crate::access::load(&core.db.conn, app, principal, form).await?;
        if access.allows("create") || access.allows("update") {
            return Ok(true);
        }
    }
    // Or they hold a task whose form takes files.
    crate::tasks::holds_task_taking_files(core, app, principal).await
}

/// File `id` of `app` and its bytes, if the caller may read it; 404 otherwise, as for a
/// file that is not there.
pub async fn read(
    core: &Core,
    principal: &Principal,
    (app, id): (&str, i64),
    now: DateTime<Utc>,
) -> Result<(FileMeta, Vec<u8>), Error> {
    let not_found = || Error::not_found(format!("no file {id} in app `{app}`"));
    let (meta, data) = files::content(&core.db.conn, id).await?.ok_or_else(not_found)?;
    if meta.app != app {
        return Err(not_found());
    }
    match &meta.attached {
        Some(at) if at.form == files::TASK_FILES => {
            crate::tasks::visible_to(core, principal.clone(), at.record_id).await?
        }
        Some(at) => {
            let access = crate::access::reach::readable(core, principal, (app, &at.form, at.record_id), now).await?;
            if !access.mode(&at.field).in_clear() {
                return Err(not_found());
            }
        }
        None => {
            if meta.uploaded_by != Some(principal.user_id) && principal.platform_role != "administrator" {
                return Err(not_found());
            }
        }
    }
    Ok((meta, data))
}
