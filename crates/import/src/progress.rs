//! How far a long import has come, and a way to cancel it: shared between the importer,
//! the command line's progress bar and the web's job page. An importer checks
//! [`Progress::check`] between chunks; a cancelled import rolls its transaction back, so
//! nothing of it is left.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::report::ImportReport;

#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
    step: Mutex<String>,
    /// The job this import runs as, if it runs as one: sealed in the import's transaction.
    seal: Mutex<Option<uppsikt_store::JobSeal>>,
}

/// A consistent reading of a [`Progress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// What the import is doing, in Swedish ("Läser sida 3 av 12").
    pub step: String,
    pub done: u64,
    /// 0 while unknown.
    pub total: u64,
    pub cancelled: bool,
}

impl Snapshot {
    /// Whole per cent done, when the total is known.
    pub fn percent(&self) -> Option<u8> {
        (self.total > 0).then(|| (self.done.min(self.total) * 100 / self.total) as u8)
    }
}

impl Progress {
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }

    pub fn set_step(&self, step: impl Into<String>) {
        *self.step.lock().unwrap_or_else(|e| e.into_inner()) = step.into();
    }

    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn add_total(&self, more: u64) {
        self.total.fetch_add(more, Ordering::Relaxed);
    }

    pub fn advance(&self, by: u64) {
        self.done.fetch_add(by, Ordering::Relaxed);
    }

    pub fn set_done(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
    }

    /// Asks the import to stop; it rolls back at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err` once cancelled: the importer returns it and its writer rolls back.
    pub fn check(&self) -> Result<(), ImportReport> {
        if self.is_cancelled() {
            Err(ImportReport::cancelled())
        } else {
            Ok(())
        }
    }

    /// Makes the import seal `job` in its transaction (see [`Progress::seal`]).
    pub fn set_seal(&self, job: uppsikt_store::JobSeal) {
        *self.seal.lock().unwrap_or_else(|e| e.into_inner()) = Some(job);
    }

    /// Called by an importer just before it commits: when it runs as a job, marks the
    /// job's data as committed in the same transaction, and is `Err` (the importer rolls
    /// back) when cancelling was asked for (in any process), or the job was taken over by
    /// another worker or committed already, so that no import is written twice. Nothing to
    /// do for an import that is no job.
    pub async fn seal(&self, w: &mut uppsikt_store::Writer) -> Result<(), ImportReport> {
        let job = self.seal.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(job) = job else {
            return Ok(());
        };
        let origin = crate::report::Origin::new("", "");
        let db = |e: uppsikt_store::StoreError| ImportReport::single(&origin, e.to_string());
        if w.seal_job(&job).await.map_err(db)? {
            return Ok(());
        }
        if w.job_cancel_requested(&job.id).await.map_err(db)? {
            self.cancel();
            return Err(ImportReport::cancelled());
        }
        Err(ImportReport::single(
            &origin,
            uppsikt_domain::messages::jobs::import_taken_over(),
        ))
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            step: self.step.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            cancelled: self.is_cancelled(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_import_fails_its_next_check() {
        let p = Progress::new();
        p.set_total(200);
        p.advance(50);
        assert_eq!(p.snapshot().percent(), Some(25));
        assert!(p.check().is_ok());
        p.cancel();
        let report = p.check().unwrap_err();
        assert!(report.cancelled);
        assert_eq!(report.to_string(), "Importen avbröts. Ingenting sparades.");
    }

    #[test]
    fn percent_is_unknown_without_a_total_and_capped_at_100() {
        let p = Progress::new();
        p.advance(10);
        assert_eq!(p.snapshot().percent(), None);
        p.set_total(5);
        assert_eq!(p.snapshot().percent(), Some(100));
    }
}
