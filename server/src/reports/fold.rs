//! A report the database can group is read as its groups, not its rows: grouped by each
//! dimension's first field (a relation's id for `relationship_manager.branch`, the related
//! records then read within the viewer's access as for rows) and by each column counted
//! distinctly, every measured field's count, sum, least and greatest computed there, exact.
//! The engine regroups them (a day into its month, top-N, pivots), so the answer is the one
//! its rows give. What the database cannot group — an instant bucketed in a zone, a formula
//! computed on reading, a measure through a relation — is read row by row.

use engine_form::{Form, StorageType};
use engine_report::{Folded, Op, Report};
use serde_json::{Map, Value};

use super::dataset::Reader;
use crate::error::Error;
use crate::records::FormCtx;
use crate::records::grouped::{groupable, grouped};
use crate::records::query::ListParams;

/// What the database groups by and measures.
struct Plan {
    by: Vec<String>,
    measured: Vec<String>,
}

/// The plan for `report` over `form`'s table, or none where a row must be read whole.
fn plan(report: &Report, form: &Form, ctx: &FormCtx<'_>) -> Option<Plan> {
    if report.list.is_some() || report.dataset.platform.is_some() {
        return None;
    }
    let storage = |key: &str| ctx.map.column(key).map(|(_, s)| s);
    let mut plan = Plan { by: Vec::new(), measured: Vec::new() };
    let group = |key: &str, plan: &mut Plan| {
        if !plan.by.iter().any(|b| b == key) {
            plan.by.push(key.to_owned());
        }
    };
    for d in &report.dimensions {
        let mut path = d.field.split('.');
        let first = path.next()?;
        let kind = storage(first)?;
        let through = path.next().is_some();
        if !groupable(kind) || (through && !matches!(kind, StorageType::Link(_))) {
            return None;
        }
        group(first, &mut plan);
    }
    for m in &report.measures {
        let Some(field) = m.field.as_deref() else { continue };
        let kind = storage(field)?;
        let numeric = matches!(kind, StorageType::Integer | StorageType::Decimal { .. });
        match m.op {
            Op::CountDistinct if groupable(kind) => group(field, &mut plan),
            Op::Count => {}
            Op::Sum | Op::Avg | Op::Min | Op::Max if numeric => {}
            _ => return None,
        }
        if !plan.measured.iter().any(|x| x == field) {
            plan.measured.push(field.to_owned());
        }
    }
    // A field's own column: never a formula's (computed on reading) or a sub-table's.
    let own = |key: &str| form.field(key).is_some_and(|f| !matches!(f.kind, engine_form::FieldType::Formula { .. }));
    plan.by.iter().chain(&plan.measured).all(|k| own(k)).then_some(plan)
}

impl Reader<'_> {
    /// The report's groups as records (each dimension's first field, a relation holding the
    /// related record) and what each stands for; `None` when the database cannot group it.
    pub(super) async fn folded(
        &self,
        report: &Report,
        params: &ListParams,
        paths: &[Vec<String>],
    ) -> Result<Option<(Vec<Map<String, Value>>, Folded)>, Error> {
        if !self.core.report_limits.fold {
            return Ok(None);
        }
        let ctx = FormCtx::new(self.app, &report.dataset.form, self.core.db.backend(), self.now)?;
        let Some(plan) = plan(report, ctx.form, &ctx) else { return Ok(None) };
        let (access, query) = self.scope(&ctx, params, paths, Some(report)).await?;
        let scoped = FormCtx { access: Some(&access), ..ctx };
        let limit = self.max_rows.saturating_add(1);
        let groups = grouped(&self.core.db.conn, &scoped, &query, (&plan.by, &plan.measured), limit).await?;
        if groups.len() as u64 > self.max_rows {
            return Err(Error::TooManyRows(format!(
                "`{}` has more than the {} groups a report reads for this report: narrow it with its parameters",
                report.dataset.form, self.max_rows
            )));
        }
        let mut folded = Folded::default();
        let mut records = Vec::with_capacity(groups.len());
        for group in groups {
            folded.rows.push(group.rows);
            for (field, part) in plan.measured.iter().zip(group.parts) {
                folded.parts.entry(field.clone()).or_default().push(part);
            }
            records.push(plan.by.iter().cloned().zip(group.keys.iter().map(|k| k.to_json())).collect());
        }
        self.join(scoped.form, &mut records, paths).await?;
        Ok(Some((records, folded)))
    }
}
