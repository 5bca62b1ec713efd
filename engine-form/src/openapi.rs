//! The OpenAPI 3.1 document of one app's generated record API, derived from its
//! published forms so an integrator can generate a typed client.

use serde_json::{Map, Value, json};

use crate::formula::ResultType;
use crate::model::{Bundle, Field, FieldType, Form, TextKind};

/// Builds the document for `bundle`, whose record routes live under `base` (for example
/// `/api/v1/apps/bank_crm`).
pub fn app_openapi(bundle: &Bundle, base: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Problem".into(), problem_schema());
    for form in &bundle.forms {
        let name = type_name(&form.key);
        schemas.insert(name.clone(), record_schema(form, Direction::Output));
        let input = record_schema(form, Direction::Input);
        // An update sends only the fields that change.
        let mut changes = input.clone();
        if let Value::Object(map) = &mut changes {
            map.remove("required");
            let title = map.get("title").and_then(Value::as_str).unwrap_or_default().replace(" input", " changes");
            map.insert("title".into(), Value::from(title));
        }
        schemas.insert(format!("{name}Input"), input);
        schemas.insert(format!("{name}Changes"), changes);
        schemas.insert(format!("{name}Page"), page_schema(&name));
        let records = format!("{base}/forms/{}/records", form.key);
        paths.insert(records.clone(), collection_path(form, &name));
        paths.insert(format!("{records}/{{id}}"), item_path(form, &name));
        if let Some(path) = upsert_path(form, &name) {
            paths.insert(format!("{records}/bulk"), path);
        }
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": bundle.name.get("en").cloned().unwrap_or_else(|| bundle.key.clone()),
            "description": format!("Record API of the Trellis app `{}`, generated from its published forms. \
                Every route needs a session or API token: `Authorization: Bearer …`.", bundle.key),
            "version": "1",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        },
        "security": [{ "bearer": [] }],
    });
    add_common_answers(&mut doc);
    doc
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Input,
    Output,
}

/// `wealth_holding` becomes `WealthHolding`.
fn type_name(key: &str) -> String {
    key.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn record_schema(form: &Form, direction: Direction) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    if direction == Direction::Output {
        properties.insert("id".into(), json!({ "type": "integer", "format": "int64", "readOnly": true }));
        properties.insert(
            "_version".into(),
            json!({ "type": "integer", "readOnly": true, "description": "Send it back in If-Match to update." }),
        );
        properties.insert("_created_at".into(), json!({ "type": "string", "format": "date-time", "readOnly": true }));
        properties.insert("_updated_at".into(), json!({ "type": "string", "format": "date-time", "readOnly": true }));
        required.extend(["id", "_version", "_created_at", "_updated_at"].map(Value::from));
        let lookups = lookup_schema(form);
        if !lookups.is_empty() {
            properties.insert("_lookup".into(), json!({ "type": "object", "readOnly": true, "properties": lookups }));
        }
    }
    for field in &form.fields {
        if direction == Direction::Input && matches!(field.kind, FieldType::Formula { .. }) {
            continue;
        }
        properties.insert(field.key.clone(), field_schema(field, direction));
        if field.required && direction == Direction::Input && field.default.is_none() {
            required.push(Value::from(field.key.clone()));
        }
    }
    // Generated clients name their types by title: the input type must not take the
    // record's name.
    let title = form.label.get("en").cloned().unwrap_or_else(|| type_name(&form.key));
    json!({
        "type": "object",
        "title": if direction == Direction::Input { format!("{title} input") } else { title },
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn lookup_schema(form: &Form) -> Map<String, Value> {
    form.fields
        .iter()
        .filter_map(|f| match &f.kind {
            FieldType::Relation { form: target, lookup } if !lookup.is_empty() => Some((
                f.key.clone(),
                json!({
                    "type": ["object", "null"],
                    "description": format!("Fields of the linked `{target}` record: {}", lookup.join(", ")),
                }),
            )),
            _ => None,
        })
        .collect()
}

fn field_schema(field: &Field, direction: Direction) -> Value {
    let mut schema = base_schema(field, direction);
    if let Value::Object(map) = &mut schema {
        if let Some(label) = field.label.get("en") {
            map.insert("title".into(), Value::from(label.clone()));
        }
        if let Some(help) = field.help.as_ref().and_then(|h| h.get("en")) {
            map.insert("description".into(), Value::from(help.clone()));
        }
        if let Some(default) = &field.default {
            map.insert("default".into(), default.to_json());
        }
        if matches!(field.kind, FieldType::Formula { .. }) {
            map.insert("readOnly".into(), Value::Bool(true));
        }
    }
    match direction {
        // A required value must be sent (unless the field is hidden by its condition).
        Direction::Input if field.required && field.visible_when.is_none() => schema,
        Direction::Input => nullable(schema),
        // Any value may come back empty (a record made before the field was required, or
        // while its condition hid it) and, for personal data, masked (`138****5678`).
        Direction::Output if field.personal_data => json!({ "anyOf": [schema, masked(), { "type": "null" }] }),
        Direction::Output => nullable(schema),
    }
}

/// A value as a caller whose roles mask the field reads it.
fn masked() -> Value {
    json!({ "type": "string", "pattern": "\\*", "description": "Masked by the caller's roles: the middle (or all) of the value as `*`." })
}

fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

fn base_schema(field: &Field, direction: Direction) -> Value {
    match &field.kind {
        FieldType::Text { kind, min_length, max_length, .. } => {
            let mut s = json!({ "type": "string", "maxLength": max_length });
            if let Some(min) = min_length {
                s["minLength"] = Value::from(*min);
            }
            match kind {
                TextKind::Email => s["format"] = Value::from("email"),
                TextKind::Phone => s["pattern"] = Value::from(r"^\+?[0-9 ()-]+$"),
                TextKind::Text | TextKind::LongText => {}
            }
            s
        }
        FieldType::Integer { min, max } => {
            let mut s = json!({ "type": "integer", "format": "int64" });
            if let Some(m) = min {
                s["minimum"] = Value::from(*m);
            }
            if let Some(m) = max {
                s["maximum"] = Value::from(*m);
            }
            s
        }
        FieldType::Decimal { precision, scale, currency, .. } => {
            let mut s = json!({
                "type": "string",
                "format": "decimal",
                "pattern": format!(r"^-?\d{{1,{}}}(\.\d{{1,{scale}}})?$", (precision - scale).max(1)),
                "description": format!("Exact decimal with {scale} digits after the point{}; sent and returned as a string.",
                    currency.as_ref().map(|c| format!(", in {c}")).unwrap_or_default()),
            });
            if direction == Direction::Input {
                s = json!({ "anyOf": [s, { "type": "number" }] });
            }
            s
        }
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Date { .. } => json!({ "type": "string", "format": "date" }),
        FieldType::DateTime => {
            json!({ "type": "string", "format": "date-time", "description": "RFC 3339 with an explicit offset; returned in UTC." })
        }
        FieldType::SingleSelect { options } => {
            json!({ "type": "string", "enum": options.iter().map(|o| o.value.clone()).collect::<Vec<_>>() })
        }
        FieldType::MultiSelect { options } => json!({
            "type": "array", "uniqueItems": true,
            "items": { "type": "string", "enum": options.iter().map(|o| o.value.clone()).collect::<Vec<_>>() },
        }),
        FieldType::Relation { form, .. } => {
            json!({ "type": "integer", "format": "int64", "description": format!("Id of a `{form}` record.") })
        }
        FieldType::SubTable { fields } => {
            let mut properties = Map::new();
            for f in fields {
                properties.insert(f.key.clone(), field_schema(f, direction));
            }
            json!({ "type": "array", "items": { "type": "object", "properties": properties, "additionalProperties": false } })
        }
        FieldType::Attachment { max_files, .. } => json!({
            "type": "array", "maxItems": max_files,
            "items": { "type": "integer", "format": "int64" },
            "description": "Ids of files uploaded to POST /api/v1/apps/{app}/files.",
        }),
        FieldType::Formula { result, expression, .. } => {
            let mut s = match result {
                ResultType::Text => json!({ "type": "string" }),
                ResultType::Integer => json!({ "type": "integer", "format": "int64" }),
                ResultType::Decimal => json!({ "type": "string", "format": "decimal" }),
                ResultType::Boolean => json!({ "type": "boolean" }),
                ResultType::Date => json!({ "type": "string", "format": "date" }),
                ResultType::DateTime => json!({ "type": "string", "format": "date-time" }),
            };
            s["description"] = Value::from(format!("Computed: {expression}"));
            s
        }
    }
}

fn page_schema(name: &str) -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{name}") } },
            "next": { "type": ["string", "null"], "description": "Pass as `after` to get the next page; null on the last page." },
            "total": { "type": "integer", "description": "Only when count=true was asked." },
        },
    })
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
            "detail": { "type": "string" }, "code": { "type": "string" },
            "errors": { "type": "array", "items": { "type": "object", "required": ["path", "code", "message"], "properties": {
                "path": { "type": "string", "description": "JSON pointer of the wrong field or parameter" },
                "code": { "type": "string" }, "message": { "type": "string" },
                "span": { "type": "array", "items": { "type": "integer" }, "minItems": 2, "maxItems": 2,
                    "description": "In an expression, the byte offsets of the wrong part" } } } },
        },
    })
}

fn problem_content() -> Value {
    json!({ "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

fn problem_responses() -> Value {
    let problem = problem_content();
    json!({
        "400": { "description": "Malformed request", "content": problem },
        "404": { "description": "Unknown app, form or record", "content": problem },
        "422": { "description": "Invalid values; `errors` names each bad field", "content": problem },
    })
}

fn with_problems(mut responses: Value) -> Value {
    if let (Value::Object(map), Value::Object(problems)) = (&mut responses, problem_responses()) {
        map.extend(problems);
    }
    responses
}

fn collection_path(form: &Form, name: &str) -> Value {
    let json_body = |schema: &str| json!({ "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    let param = |n: &str, d: &str, schema: Value| json!({ "name": n, "in": "query", "required": false, "description": d, "schema": schema });
    json!({
        "get": {
            "operationId": format!("list{name}"),
            "summary": format!("List {} records", form.key),
            "parameters": [
                param("filter", "Comma-separated `field:op:value` clauses (at most 100); ops eq, ne, lt, lte, gt, gte, in (values split by |, at most 1000), contains, starts, null, notnull, has.", json!({ "type": "string" })),
                param("where", "A condition in the expression language, at most 4,000 characters, e.g. `aum >= 5000000 and tier in ['hnw']`.", json!({ "type": "string", "maxLength": 4000 })),
                param("sort", "Comma-separated fields; a leading - sorts descending.", json!({ "type": "string" })),
                param("limit", "Page size, 1 to 1000 (default 50).", json!({ "type": "integer", "minimum": 1, "maximum": 1000 })),
                param("after", "The `next` cursor of the previous page, made with the same sort.", json!({ "type": "string" })),
                param("fields", "Comma-separated fields to return.", json!({ "type": "string" })),
                param("count", "Also return `total`.", json!({ "type": "boolean" })),
            ],
            "responses": with_problems(json!({ "200": { "description": "A page of records", "content": json_body(&format!("{name}Page"))["content"] } })),
        },
        "post": {
            "operationId": format!("create{name}"),
            "requestBody": { "required": true, "content": json_body(&format!("{name}Input"))["content"] },
            "responses": with_problems(json!({
                "201": { "description": "Created", "content": json_body(name)["content"] },
                "409": { "description": "A unique value is taken", "content": problem_content() },
            })),
        },
    })
}

/// The bulk upsert of a form with a unique text or integer field to match records on.
fn upsert_path(form: &Form, name: &str) -> Option<Value> {
    let keys: Vec<&str> = form.key_fields().map(|f| f.key.as_str()).collect();
    if keys.is_empty() {
        return None;
    }
    let outcome = json!({ "type": "object", "required": ["index", "outcome"], "properties": {
        "index": { "type": "integer" },
        "outcome": { "type": "string", "enum": ["created", "updated", "unchanged", "refused"] },
        "id": { "type": "integer", "format": "int64" },
        "errors": { "type": "array", "items": { "type": "object" } },
    } });
    let count = json!({ "type": "integer" });
    Some(json!({
        "post": {
            "operationId": format!("upsert{name}"),
            "summary": format!("Create or update up to 10,000 {} records by a unique key", form.key),
            "description": "A record whose key no record holds is created, one whose key a record holds is updated \
                with the fields sent, one whose values equal the stored ones writes nothing. A relation may name its \
                record as `{\"<unique field>\": value}`. All or nothing unless `atomic` is false.",
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["key", "records"], "additionalProperties": false,
                "properties": {
                    "key": { "type": "string", "enum": keys },
                    "records": { "type": "array", "minItems": 1, "maxItems": 10000, "items": {
                        "type": "object", "description": format!("As {name}Input, with the key; a relation by id or by key") } },
                    "atomic": { "type": "boolean", "default": true },
                },
            } } } },
            "responses": with_problems(json!({
                "200": { "description": "Each record's outcome", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["created", "updated", "unchanged", "refused", "results"],
                    "properties": { "created": count, "updated": count, "unchanged": count, "refused": count,
                        "results": { "type": "array", "items": outcome } },
                } } } },
                "422": { "description": "Atomic, some records refused (nothing written): each at `/records/{i}/…`", "content": problem_content() },
            })),
        },
    }))
}

fn item_path(form: &Form, name: &str) -> Value {
    let body = |schema: String| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } });
    json!({
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int64" } }],
        "get": {
            "operationId": format!("get{name}"),
            "summary": format!("Read one {} record", form.key),
            "parameters": [{ "name": "fields", "in": "query", "required": false, "description": "Comma-separated fields to return.", "schema": { "type": "string" } }],
            "responses": with_problems(json!({ "200": { "description": "The record; ETag carries its version", "content": body(name.to_owned()) } })),
        },
        "patch": {
            "operationId": format!("update{name}"),
            "parameters": [{ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The record's `_version`." }],
            "requestBody": { "required": true, "content": body(format!("{name}Changes")) },
            "responses": with_problems(json!({
                "200": { "description": "Updated", "content": body(name.to_owned()) },
                "409": { "description": "A unique value is taken", "content": problem_content() },
                "412": { "description": "The record changed since that version", "content": problem_content() },
                "428": { "description": "If-Match is missing", "content": problem_content() },
            })),
        },
        "delete": {
            "operationId": format!("delete{name}"),
            "responses": with_problems(json!({ "204": { "description": "Deleted" }, "409": { "description": "Other records still link to it", "content": problem_content() } })),
        },
    })
}

/// Adds to every operation of an OpenAPI document the answers any route may give, so the
/// document lists every status the server sends: 400 (a malformed body, query or path),
/// 401 and 403 (no or insufficient credentials, unless the operation is public), 404
/// (where a path names something), 413 (a body too large), 414 (a URI too long). Each is
/// a problem (`#/components/schemas/Problem`). Answers an operation documents itself stay.
pub fn add_common_answers(doc: &mut Value) {
    let global_security = doc.get("security").is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    let problem = json!({ "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } });
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let Some(operation) = operation.as_object_mut() else { continue };
            let public = match operation.get("security").and_then(Value::as_array) {
                Some(requirements) => requirements.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())),
                None => !global_security,
            };
            let has_body = operation.contains_key("requestBody");
            let responses = operation.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| json!({ "description": description, "content": problem.clone() }));
            };
            add("400", "A malformed request: its body, a query parameter or a path segment");
            if !public {
                add("401", "No valid session or API token (`unauthorized`, `invalid_token`)");
                add("403", "The caller's roles or token do not allow this (`forbidden`, `token_scope`)");
            }
            if path.contains('{') {
                add("404", "Nothing of that name or id, or not one the caller may see");
            }
            if has_body {
                add("413", "The body is larger than the server accepts");
            }
            add("414", "The URI is longer than 16 KiB");
        }
    }
}
