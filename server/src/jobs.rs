//! Due work, run by every server but an API-only one (`--no-jobs`): scheduled rules and
//! process starts, rule retries, process timers and service steps, task escalations, the
//! outbox, imports whose server stopped, forgetting old sign-in attempts and deleting
//! uploads never attached or imported. The loop looks every tick (`TRELLIS_TICK_MS`, 20 s
//! by default); a virtual clock's move runs it at once.

use chrono::{DateTime, Utc};

use crate::core::Core;
use crate::error::Error;

/// How much of each kind of due work one run did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Ran {
    pub scheduled_rules: usize,
    /// Earlier occurrences of scheduled rules that their runs stood for (a clock moved on
    /// by days runs each daily scan once, as of the latest day), said rather than hidden.
    pub merged_occurrences: u64,
    pub retried_firings: usize,
    pub started_processes: usize,
    pub process_jobs: usize,
    pub escalations: usize,
    pub messages: usize,
}

/// Runs everything due at `now`, each kind on its own: one failing does not stop the others
/// (its error is logged, and it is tried again next time).
pub async fn run_due(core: &Core, now: DateTime<Utc>) -> Ran {
    fn logged<T: Default>(what: &str, outcome: Result<T, Error>) -> T {
        outcome.unwrap_or_else(|e| {
            tracing::error!("{what}: {e}");
            T::default()
        })
    }
    let scheduled = logged("scheduled rules", crate::rules::run_due_schedules(core, now).await);
    let mut ran = Ran {
        scheduled_rules: scheduled.len(),
        merged_occurrences: scheduled.iter().map(|r| r.merged).sum(),
        ..Ran::default()
    };
    ran.retried_firings = logged("retrying rule actions", crate::rules::retry_due_firings(core, now).await);
    ran.started_processes = logged("scheduled process starts", crate::flows::run_due_starts(core, now).await);
    ran.process_jobs = logged("process timers", crate::flows::run_due_timers(core, now).await);
    ran.escalations = logged("task escalations", crate::flows::run_due_escalations(core, now).await);
    ran.messages = logged("delivering the outbox", crate::outbox::deliver_due(core, now).await).delivered;
    // Sign-in counts live on the wall clock, as sessions do: a virtual clock days ahead
    // would otherwise forget a count between its seeding and its increment.
    if let Err(e) = crate::auth::attempts::forget_old(&core.db.conn, crate::auth::wall_now()).await {
        tracing::error!("forgetting old sign-in attempts: {e}");
    }
    if let Err(e) = crate::imports::job::look_after(core, now).await {
        tracing::error!("looking after imports: {e}");
    }
    if let Err(e) = crate::files::forget_unattached(&core.db.conn, now).await {
        tracing::error!("deleting uploads never attached: {e}");
    }
    ran
}

/// How often due work is looked for: `TRELLIS_TICK_MS`, 20 s by default.
fn tick() -> std::time::Duration {
    let ms = std::env::var("TRELLIS_TICK_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    std::time::Duration::from_millis(ms)
}

/// Runs due work every tick, by the core's clock, until the server stops.
pub fn spawn(core: Core) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(tick());
        loop {
            ticks.tick().await;
            run_due(&core, core.clock.now()).await;
        }
    });
}
