//! The key a report's answer is kept under (`crate::answers`): everything the answer was
//! computed from. The report as published, its parameters, the viewer's access to every
//! form it reads (their rows, with their own `$user` values, and field modes: two viewers
//! share an answer only when both are the same), the data version of each of those forms
//! and the minute, for what reads the clock. The forms it reads: its dataset's, those its
//! columns and filter reach through relations and aggregates, and those the viewer's row
//! rules over them read in turn. Tasks and the platform's other records are not kept:
//! they change with the clock and with who holds them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use engine_report::Report;
use sha2::{Digest, Sha256};

use crate::access::Access;
use crate::answers::Key;
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;

/// The key of `report`'s answer for `principal` with `given` at `now`; none for a report
/// over the platform's records.
pub(super) async fn key(
    core: &Core,
    app: &PublishedApp,
    principal: &Principal,
    report: &Report,
    given: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Option<Key>, Error> {
    if report.dataset.platform.is_some() {
        return Ok(None);
    }
    let Some((bundle, form)) = engine_app::reports::base(&app.bundle, report) else { return Ok(None) };
    let access = crate::access::load(&core.db.conn, app, principal, form).await?;
    let forms = forms_read(bundle, form, report, &access);
    let versions = crate::records::versions::read(&core.db.conn, &app.key, &forms).await?;
    let mut hash = Sha256::new();
    let mut part = |text: &str| {
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(text.as_bytes());
    };
    part(&format!("{}:{}", app.key, app.version));
    part(&format!("{report:?}"));
    part(&format!("{given:?}"));
    part(&format!("{:?}", access.user));
    for (form, version) in forms.iter().zip(versions) {
        let of = access_to(&access, form, report);
        part(&format!(
            "{form}:{version}:{:?}:{:?}:{:?}",
            of.map(|a| &a.operations),
            of.map(|a| &a.rows),
            of.map(|a| &a.fields)
        ));
    }
    part(&now.format("%Y-%m-%dT%H:%M").to_string());
    Ok(Some(hash.finalize().into()))
}

/// The viewer's access to `form`: the one loaded for the dataset's form, or one of the
/// others it holds (none: everything).
fn access_to<'a>(access: &'a Access, form: &str, report: &Report) -> Option<&'a Access> {
    if form == report.dataset.form { Some(access) } else { access.forms.get(form) }
}

/// Every form the report's answer depends on for this viewer.
fn forms_read(
    bundle: &engine_form::Bundle,
    form: &engine_form::Form,
    report: &Report,
    access: &Access,
) -> BTreeSet<String> {
    // The filter's and each calculated column's expression.
    let texts = report.filter.iter().chain(report.dataset.columns.iter().map(|c| &c.expression));
    let exprs: Vec<engine_rule::Expr> = texts.filter_map(|text| engine_rule::parse(text).ok()).collect();
    let mut forms = engine_form::forms_read(bundle, form, exprs.iter());
    for path in report.fields() {
        let path: Vec<String> = path.split('.').map(str::to_owned).collect();
        engine_form::forms_on_path(bundle, form, &path, &mut forms);
    }
    let mut unread: Vec<String> = forms.iter().cloned().collect();
    while let Some(next) = unread.pop() {
        let (Some(schema), Some(Some(rows))) = (bundle.form(&next), access_to(access, &next, report).map(|a| &a.rows))
        else {
            continue;
        };
        for more in engine_form::forms_read(bundle, schema, rows.iter()) {
            if forms.insert(more.clone()) {
                unread.push(more);
            }
        }
    }
    forms
}
