//! What the domain works with, and nothing of HTTP: the database, the published apps and
//! the clock. The job runner, the scheduler and the outbox take this; the HTTP layer's
//! state holds one beside its own (sign-in limits).

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::db::Db;

#[derive(Clone)]
pub struct Core {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub clock: Clock,
    /// How many rows a report reads and how long it may take.
    pub report_limits: crate::limits::ReportLimits,
    /// Report answers kept while what they were computed from stands.
    pub answers: Arc<crate::answers::Answers>,
    /// The key channel secrets are sealed with (`TRELLIS_SECRET_KEY`); `None`: none can be
    /// stored.
    pub sealer: Option<Arc<crate::channels::secrets::Sealer>>,
}

impl Core {
    /// The database with an empty catalog and the wall clock.
    pub fn new(db: Db) -> Core {
        Core::with_clock(db, Clock::wall())
    }

    pub fn with_clock(db: Db, clock: Clock) -> Core {
        Core {
            db,
            catalog: Arc::default(),
            clock,
            report_limits: crate::limits::ReportLimits::from_env(),
            answers: Arc::default(),
            // An unusable key stops `trellis serve` before this (main checks it first).
            sealer: crate::channels::secrets::Sealer::from_env().ok().flatten().map(Arc::new),
        }
    }
}
