//! A rule's firings for records written together, acted on together: stored with one
//! statement, and when every firing only sets fields of its own record (`update_fields`
//! without a `record`, with the platform's authority, as re-tiering does), those updates
//! made together (`actions::update_subjects`) under one savepoint. Whatever refuses them
//! rolls that savepoint back, and each firing then runs its actions alone as `act` runs
//! them: in a savepoint of its own, a failure kept as an incident.

use chrono::{DateTime, Utc};
use engine_rule::{Action, EventRule, Firing, TriggerKind};
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::{Change, Outcome, Unfired, act, run_fired, store};
use crate::actions::SubjectUpdate;
use crate::catalog::PublishedApp;
use crate::error::Error;

/// Acts on what `rule` made of each of `changes` (`outcomes`, in their order).
pub(super) async fn act_on_all(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    rule: &EventRule,
    outcomes: Vec<Option<Outcome>>,
    changes: &[Change],
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    if let [change] = changes {
        if let Some(outcome) = outcomes.into_iter().next().flatten() {
            act(tx, app, rule, outcome, change, now, depth).await?;
        }
        return Ok(());
    }
    let acting = |change: &Change| if rule.on_behalf { change.by } else { None };
    let mut fired: Vec<(Firing, &Change)> = Vec::new();
    for (outcome, change) in outcomes.into_iter().zip(changes) {
        match outcome {
            None | Some(Ok(None)) => {}
            Some(Err(Unfired { key, error })) => {
                store::failed_evaluation(tx, app, rule, &key, change, &error, now).await?
            }
            Some(Ok(Some(firing))) => fired.push((firing, change)),
        }
    }
    if fired.is_empty() {
        return Ok(());
    }
    let rows: Vec<(&Firing, &Change, Option<i64>)> = fired.iter().map(|(f, c)| (f, *c, acting(c))).collect();
    let ids = store::insert_firings(tx, app, &rows, now).await?;
    // A trigger that fired this rule before fires it no more.
    let new: Vec<(i64, &Firing, &Change)> =
        ids.into_iter().zip(&fired).filter_map(|(id, (f, c))| id.map(|id| (id, f, *c))).collect();
    if let Some(updates) = own_updates(rule, &new) {
        let point = tx.begin().await?;
        match Box::pin(crate::actions::update_subjects(&point, app, &updates, now, depth)).await {
            Ok(()) => {
                point.commit().await?;
                return Ok(());
            }
            Err(_) => point.rollback().await?,
        }
    }
    for (id, firing, change) in new {
        run_fired(tx, app, (id, firing), change, acting(change), now, depth).await?;
    }
    Ok(())
}

/// What the firings `fired` update, when each only sets fields of its own live record
/// with the platform's authority: (firing, form, record, values); `None` otherwise.
fn own_updates<'f>(rule: &EventRule, fired: &[(i64, &'f Firing, &Change)]) -> Option<Vec<SubjectUpdate<'f>>> {
    if rule.on_behalf || fired.is_empty() {
        return None;
    }
    fired
        .iter()
        .map(|(firing_id, firing, change)| match (&firing.actions[..], change.kind) {
            ([Action::UpdateFields { record: None, set }], TriggerKind::Created | TriggerKind::Updated) => {
                Some((*firing_id, change.form.clone(), change.id, set))
            }
            _ => None,
        })
        .collect()
}
