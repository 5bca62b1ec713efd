//! A report's answer as a CSV file, in the exporter's words: a header of the columns'
//! labels in their language, a row per group (a select's value by its option's label, each
//! measure as its exact decimal), then the total. What it reads is what the answer read —
//! the viewer's rows and fields — and the export leaves an audit entry like a record
//! export's before the first byte leaves.

use serde_json::{Value, json};

use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;
use crate::export::{Words, push_row, words_of};

/// The CSV of `answer` (report `key` of `app`) with its file name, the export audited.
pub async fn csv(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, key): (&str, &str),
    answer: &Value,
) -> Result<(String, String), Error> {
    let now = core.clock.now();
    let published = core.catalog.published(&core.db.conn, app).await?;
    let words = words_of(core, principal, &published, false).await?;
    let form = answer["report"]["form"].as_str().unwrap_or_default();
    let rows = answer["rows"].as_array().map_or(0, Vec::len);
    let parameters: Vec<&Value> = answer["report"]["parameters"].as_array().into_iter().flatten().collect();
    let detail = json!({ "format": "csv", "report": key, "rows": rows,
        "parameters": parameters.iter().map(|p| json!({ "key": p["key"], "value": p["value"] })).collect::<Vec<_>>() });
    audit::write(&core.db.conn, actor, Entry::form("report.export", app, form, detail), now).await?;
    let name = words.label_of(&answer["report"]["label"]).unwrap_or(key).to_owned();
    Ok((format!("{name}-{}.csv", now.format("%Y%m%d-%H%M%S")), text(answer, &words)))
}

fn text(answer: &Value, words: &Words) -> String {
    let columns: Vec<&Value> = answer["columns"].as_array().into_iter().flatten().collect();
    // Dimensions (or a list's fields) first, in words; then the measures, exact.
    let dims = columns.iter().filter(|c| c["role"] != "measure").count();
    let mut out = "\u{feff}".to_owned();
    let header =
        columns.iter().map(|c| words.label_of(&c["label"]).unwrap_or(c["key"].as_str().unwrap_or("")).to_owned());
    push_row(&mut out, header);
    let others = if words.language.as_deref() == Some("en") { "Others" } else { "其他" };
    for row in answer["rows"].as_array().into_iter().flatten() {
        let keys = (0..dims).map(|d| {
            if row["others"] == true {
                return others.to_owned();
            }
            let key = row["keys"][d].as_str().unwrap_or_default();
            let option = columns[d]["options"].as_array().and_then(|o| o.iter().find(|o| o["key"] == key));
            let text = option.and_then(|o| words.label_of(&o["label"])).unwrap_or(key);
            // A text a spreadsheet could take for a formula is written with a leading `'`.
            if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
        });
        let values = row["values"].as_array().into_iter().flatten().map(|v| v.as_str().unwrap_or("").to_owned());
        push_row(&mut out, keys.chain(values));
    }
    // The total under the measures, named in the first column where there is a dimension
    // (a list has none).
    if answer["total"].as_array().is_none_or(Vec::is_empty) {
        return out;
    }
    let total = if words.language.as_deref() == Some("en") { "Total" } else { "合计" };
    let named = (0..dims).map(|d| if d == 0 { total.to_owned() } else { String::new() });
    let values = answer["total"].as_array().into_iter().flatten().map(|v| v.as_str().unwrap_or("").to_owned());
    push_row(&mut out, named.chain(values));
    out
}
