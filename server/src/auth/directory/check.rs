//! Reading an import (JSON, or CSV for users) and checking it whole: every problem
//! with its path, before anything is written.

use std::collections::{HashMap, HashSet};

use engine_form::FieldError;

use super::{AppRoles, Import, MIN_PASSWORD, UserEntry};
use crate::auth::PLATFORM_ROLES;
use crate::error::{BadInputCode, Error};

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
}

/// Reads users from CSV with a header row naming the columns (`username`, and any of
/// `display_name`, `platform_role`, `org_unit`, `password`, `language`); fields may be quoted, with
/// `""` for a quote inside.
pub fn users_from_csv(text: &str) -> Result<Vec<UserEntry>, Error> {
    let rows = parse_csv(text);
    let Some((header, body)) = rows.split_first() else { return Ok(Vec::new()) };
    let known = ["username", "display_name", "platform_role", "org_unit", "password", "language"];
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            errors.push(FieldError::new(format!("/0/{i}"), "unknown_column", format!("`{name}` is not a column")));
        }
    }
    if !header.iter().any(|h| h == "username") {
        errors.push(FieldError::new("/0", "missing", "the header names no `username` column"));
    }
    if !errors.is_empty() {
        return Err(Error::BadInput { code: BadInputCode::bad_csv, detail: "the CSV header is wrong".into(), errors });
    }
    let column = |row: &[String], name: &str| {
        header.iter().position(|h| h == name).and_then(|i| row.get(i)).filter(|v| !v.is_empty()).cloned()
    };
    Ok(body
        .iter()
        .filter(|row| row.iter().any(|f| !f.is_empty()))
        .map(|row| UserEntry {
            username: column(row, "username").unwrap_or_default(),
            display_name: column(row, "display_name"),
            platform_role: column(row, "platform_role"),
            org_unit: column(row, "org_unit"),
            password: column(row, "password"),
            disabled: None,
            language: column(row, "language"),
            app_roles: None,
        })
        .collect())
}

/// Rows of fields; quotes as RFC 4180 writes them.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Checks `import` against itself and the units already there, with every problem.
pub(super) fn check(import: &Import, existing: &HashMap<String, i64>, app_roles: &AppRoles) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut keys: HashSet<&str> = existing.keys().map(String::as_str).collect();
    let mut new_keys = HashSet::new();
    for (i, unit) in import.org_units.iter().enumerate() {
        if !is_name(&unit.key) {
            errors.push(FieldError::new(
                format!("/org_units/{i}/key"),
                "bad_key",
                "a key is lower-case letters, digits, _ . -",
            ));
        }
        if !new_keys.insert(unit.key.as_str()) {
            errors.push(FieldError::new(
                format!("/org_units/{i}/key"),
                "duplicate",
                format!("`{}` is listed twice", unit.key),
            ));
        }
        if unit.name.trim().is_empty() {
            errors.push(FieldError::new(format!("/org_units/{i}/name"), "required", "a unit has a name"));
        }
        if unit.name.chars().count() > crate::limits::NAME {
            let message = format!("at most {} characters", crate::limits::NAME);
            errors.push(FieldError::new(format!("/org_units/{i}/name"), "too_long", message));
        }
        // A parent comes before its children, so the tree has no cycle.
        if let Some(parent) = &unit.parent
            && !keys.contains(parent.as_str())
        {
            errors.push(FieldError::new(
                format!("/org_units/{i}/parent"),
                "unknown_unit",
                format!("no org unit `{parent}` above it (list parents first)"),
            ));
        }
        keys.insert(&unit.key);
    }
    let mut names = HashSet::new();
    for (i, user) in import.users.iter().enumerate() {
        let at = |field: &str| format!("/users/{i}/{field}");
        if !is_name(&user.username) {
            errors.push(FieldError::new(
                at("username"),
                "bad_username",
                "a user name is lower-case letters, digits, _ . -",
            ));
        }
        if user.display_name.as_ref().is_some_and(|n| n.chars().count() > crate::limits::NAME) {
            errors.push(FieldError::new(
                at("display_name"),
                "too_long",
                format!("at most {} characters", crate::limits::NAME),
            ));
        }
        if !names.insert(user.username.as_str()) {
            errors.push(FieldError::new(at("username"), "duplicate", format!("`{}` is listed twice", user.username)));
        }
        if let Some(role) = &user.platform_role
            && !PLATFORM_ROLES.contains(&role.as_str())
        {
            errors.push(FieldError::new(
                at("platform_role"),
                "bad_role",
                format!("`{role}` is not {}", PLATFORM_ROLES.join(", ")),
            ));
        }
        if let Some(language) = &user.language
            && !engine_rule::LANGUAGES.contains(&language.as_str())
        {
            let message = format!("`{language}` is not {}", engine_rule::LANGUAGES.join(", "));
            errors.push(FieldError::new(at("language"), "bad_language", message));
        }
        if let Some(unit) = &user.org_unit
            && !keys.contains(unit.as_str())
        {
            errors.push(FieldError::new(at("org_unit"), "unknown_unit", format!("no org unit `{unit}`")));
        }
        for (app, roles) in user.app_roles.iter().flatten() {
            let Some(known) = app_roles.get(app) else {
                errors.push(FieldError::new(
                    format!("/users/{i}/app_roles/{app}"),
                    "unknown_app",
                    format!("no published app `{app}`"),
                ));
                continue;
            };
            for (j, role) in roles.iter().enumerate() {
                if !known.contains(role) {
                    errors.push(FieldError::new(
                        format!("/users/{i}/app_roles/{app}/{j}"),
                        "unknown_role",
                        format!("`{app}` defines no role `{role}` (published roles: {})", known.join(", ")),
                    ));
                }
            }
        }
        if user.password.as_ref().is_some_and(|p| p.chars().count() < MIN_PASSWORD) {
            errors.push(FieldError::new(
                at("password"),
                "weak_password",
                format!("at least {MIN_PASSWORD} characters"),
            ));
        }
    }
    errors
}
