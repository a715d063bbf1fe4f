//! Background jobs (report builds, imports): started by a form, followed on a page that
//! shows their progress and, when done, their result. Jobs are rows in the database
//! (`uppsikt_store::jobs`): a worker in every `serve` process claims waiting ones, renews
//! its lease while it works and writes the progress to the row, so a job survives a
//! restart, is taken over when its process dies, and any app process serves its page and
//! download.
//!
//! Anyone signed in can start a job, so what jobs may cost is bounded here:
//! - a job's id is a random 256-bit token (not a counter), and only its owner (or whom the
//!   caller's rule allows) finds it; anyone else gets the same 404 as for an unknown id;
//! - at most [`Limits::running_per_user`] jobs of one user and [`Limits::running`] in all
//!   wait or run at once (in all processes); beyond that a new one is refused;
//! - at most [`Limits::kept_per_user`] jobs of one user and [`Limits::kept`] in all are
//!   kept, holding at most [`Limits::kept_bytes`] of results: to make room, the oldest
//!   finished job is forgotten first (the user's own when their count is full);
//! - a finished job is forgotten after an hour anyway;
//! - a process runs at most [`Limits::workers`] jobs of a kind at once, so that jobs cannot
//!   take every core from the requests.
//!
//! Timing (see [`JobTiming`]): a worker holds a job for a lease (30 s), renews it and writes
//! the progress every second (at most a third of the lease), and looks for waiting jobs
//! every second or at once when its own process starts one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tokio::sync::{Notify, Semaphore};
use uppsikt_import::Progress;
use uppsikt_store::{now_ms, JobLimits, JobOutcome, JobRefused, JobRow, NewJob, Store};

use crate::auth::Viewer;
use crate::error::Path;
use crate::AppState;

/// A request about one job (`/imports/{id}`, `/reports/{id}/status`, …): the app, who
/// asks, and the job's id from the address.
pub struct JobRequest {
    pub state: AppState,
    pub viewer: Viewer,
    pub id: String,
}

impl FromRequestParts<AppState> for JobRequest {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<JobRequest, Response> {
        let Ok(viewer) = Viewer::from_request_parts(parts, state).await;
        let Path(id) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(JobRequest {
            state: state.clone(),
            viewer,
            id,
        })
    }
}

/// A job's page or state, which changes while the job runs: never stored by a browser or
/// a proxy, whoever asks.
pub fn uncached(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// The kind of a report job.
pub const REPORT: &str = "report";
/// The kind of an import job (outcomes from a file, a ledger, Kolada).
pub const IMPORT: &str = "import";

/// The caps of one kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub running_per_user: usize,
    pub running: usize,
    pub kept_per_user: usize,
    pub kept: usize,
    /// Bytes of finished jobs' results kept in all.
    pub kept_bytes: usize,
    /// Jobs of the kind one process runs at the same time; the others wait their turn.
    pub workers: usize,
}

impl Limits {
    /// The caps of report builds: two per user, four in all, one build per two cores.
    pub fn reports() -> Limits {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Limits {
            running_per_user: 2,
            running: 4,
            kept_per_user: 10,
            kept: 100,
            kept_bytes: 128 * 1024 * 1024,
            workers: (cores / 2).max(1),
        }
    }

    /// The caps of imports: as reports, but every started import runs (each is one
    /// transaction that mostly waits for the database).
    pub fn imports() -> Limits {
        Limits {
            workers: 4,
            ..Limits::reports()
        }
    }

    fn store(&self) -> JobLimits {
        JobLimits {
            running_per_user: self.running_per_user,
            running: self.running,
            kept_per_user: self.kept_per_user,
            kept: self.kept,
            kept_bytes: self.kept_bytes,
        }
    }
}

/// Why a job was not started (nothing was).
pub type Refused = JobRefused;

/// How long a worker holds a job and how often it looks for work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTiming {
    /// A job whose worker has not renewed its lease for this long is taken over.
    pub lease: Duration,
    /// How often a worker looks for waiting jobs (at once when its process starts one).
    pub poll: Duration,
}

impl Default for JobTiming {
    fn default() -> Self {
        JobTiming {
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(1),
        }
    }
}

impl JobTiming {
    /// The default, with the lease from `UPPSIKT_JOB_LEASE_SECS` when set (tests use a
    /// short one so that a dead process's job is taken over quickly).
    pub fn from_env() -> JobTiming {
        let mut timing = JobTiming::default();
        if let Some(secs) = std::env::var("UPPSIKT_JOB_LEASE_SECS")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| *s > 0.0 && *s <= 3600.0)
        {
            timing.lease = Duration::from_secs_f64(secs);
            timing.poll = timing.poll.min(timing.lease / 3);
        }
        timing
    }

    /// How often a running job renews its lease and writes its progress.
    fn heartbeat(&self) -> Duration {
        (self.lease / 3).min(Duration::from_secs(1))
    }
}

/// TEST ONLY: `UPPSIKT_TEST_JOB_DELAY_MS` makes this process's worker wait so long after
/// claiming a job before it runs it (renewing the lease meanwhile), so that a test can
/// kill the process while a job runs. Harmless: it only delays jobs, never changes them;
/// unset in production.
const TEST_DELAY_VAR: &str = "UPPSIKT_TEST_JOB_DELAY_MS";

/// What a job of some kind does once claimed: its outcome, with `progress` kept current
/// (and looked at for cancelling).
pub type Run = fn(
    AppState,
    uppsikt_store::ClaimedJob,
    Arc<Progress>,
) -> std::pin::Pin<Box<dyn Future<Output = JobOutcome> + Send>>;

/// The jobs of this process: starts them as rows, and runs the worker that claims them.
pub struct Jobs {
    /// This process's name in leases.
    worker: String,
    timing: JobTiming,
    reports: Limits,
    imports: Limits,
    /// Woken when this process starts a job.
    wake: Arc<Notify>,
    /// The jobs running in this process, with their live progress.
    local: Mutex<HashMap<String, Arc<Progress>>>,
    delay: Option<Duration>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs::new(JobTiming::from_env())
    }
}

/// Whether `id` can be a job's id at all (64 lower-case hex digits); anything else is
/// answered as unknown without a look-up.
fn well_formed(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Jobs {
    pub fn new(timing: JobTiming) -> Jobs {
        Jobs {
            worker: crate::auth::password::random_token(),
            timing,
            reports: Limits::reports(),
            imports: Limits::imports(),
            wake: Arc::new(Notify::new()),
            local: Mutex::new(HashMap::new()),
            delay: std::env::var(TEST_DELAY_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis),
        }
    }

    pub fn limits(&self, kind: &str) -> &Limits {
        if kind == REPORT {
            &self.reports
        } else {
            &self.imports
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Progress>>> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a job of `kind` for `owner` (waiting for a worker), or refuses it when a
    /// running cap is reached (then nothing is written). Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        &self,
        store: &Store,
        kind: &str,
        title: String,
        back: String,
        owner: &str,
        params: serde_json::Value,
        input: Option<Vec<u8>>,
        phase: &str,
    ) -> crate::error::Result<std::result::Result<String, Refused>> {
        let job = NewJob {
            id: crate::auth::password::random_token(),
            kind: kind.to_string(),
            owner: owner.to_string(),
            title,
            back,
            params: params.to_string(),
            input,
            phase: phase.to_string(),
        };
        let started = store
            .start_job(&job, &self.limits(kind).store(), now_ms())
            .await?;
        if started.is_ok() {
            self.wake.notify_waiters();
        }
        Ok(started.map(|()| job.id))
    }

    /// The job of `kind`, if it exists and `may_see` its owner; otherwise `None`,
    /// whichever it was. A job running in this process shows its live progress.
    pub async fn get(
        &self,
        store: &Store,
        kind: &str,
        id: &str,
        may_see: impl FnOnce(&str) -> bool,
    ) -> crate::error::Result<Option<(JobRow, Option<uppsikt_import::progress::Snapshot>)>> {
        if !well_formed(id) {
            return Ok(None);
        }
        let Some(job) = store.job(id, now_ms()).await? else {
            return Ok(None);
        };
        if job.kind != kind || !may_see(&job.owner) {
            return Ok(None);
        }
        let live = job
            .state
            .is_active()
            .then(|| self.lock().get(id).map(|p| p.snapshot()))
            .flatten();
        Ok(Some((job, live)))
    }

    /// Asks the job to stop (in whichever process it runs).
    pub async fn cancel(&self, store: &Store, id: &str) -> crate::error::Result<()> {
        let cancelled = serde_json::json!({
            "errors": [uppsikt_domain::messages::import_cancelled()],
        });
        // The flag first: a worker of this process that registers the job after the look
        // below reads the flag once registered (see `run_one`).
        store
            .cancel_job(id, &cancelled.to_string(), now_ms())
            .await?;
        if let Some(p) = self.lock().get(id) {
            p.cancel();
        }
        Ok(())
    }

    /// Runs the workers of this process until the task is aborted: one loop per kind,
    /// each claiming jobs while it has a free turn.
    pub fn spawn_workers(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
        let kinds: [(&'static str, Run); 2] = [
            (REPORT, |s, j, p| Box::pin(crate::reports::run(s, j, p))),
            (IMPORT, |s, j, p| Box::pin(crate::imports::run(s, j, p))),
        ];
        let mut out: Vec<_> = kinds
            .into_iter()
            .map(|(kind, run)| tokio::spawn(work(state.clone(), kind, run)))
            .collect();
        out.push(tokio::spawn(purge(state.clone())));
        out
    }
}

/// Claims and runs jobs of `kind`, at most [`Limits::workers`] at once.
async fn work(state: AppState, kind: &'static str, run: Run) {
    let jobs = state.jobs.clone();
    let turns = Arc::new(Semaphore::new(jobs.limits(kind).workers.max(1)));
    let lease_ms = jobs.timing.lease.as_millis() as i64;
    loop {
        // Registered before looking, so that a job started meanwhile wakes us.
        let woken = jobs.wake.notified();
        let Ok(turn) = turns.clone().acquire_owned().await else {
            return;
        };
        match state
            .store
            .claim_job(kind, &jobs.worker, lease_ms, now_ms())
            .await
        {
            Ok(Some(job)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    run_one(state, job, run).await;
                    drop(turn);
                });
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(kind, "claiming a job failed: {e}"),
        }
        drop(turn);
        let _ = tokio::time::timeout(jobs.timing.poll, woken).await;
    }
}

/// Runs one claimed job: renews its lease and writes its progress while it runs, stops it
/// when cancelling was asked for or another worker took it over, and finishes it if this
/// worker still holds it.
async fn run_one(state: AppState, job: uppsikt_store::ClaimedJob, run: Run) {
    let jobs = state.jobs.clone();
    let store = state.store.clone();
    let id = job.id.clone();
    let kind = job.kind.clone();
    let lease_ms = jobs.timing.lease.as_millis() as i64;
    tracing::info!(job = id, kind, attempt = job.attempts, "job claimed");
    let progress = Progress::new();
    progress.set_seal(uppsikt_store::JobSeal {
        id: id.clone(),
        worker: jobs.worker.clone(),
    });
    jobs.lock().insert(id.clone(), progress.clone());
    // Cancelled before it was registered here (see `Jobs::cancel`).
    if let Ok(Some(true)) = store
        .job_heartbeat(&id, &jobs.worker, lease_ms, now_ms(), None)
        .await
    {
        progress.cancel();
    }
    let heartbeat = {
        let (store, jobs, id, progress) =
            (store.clone(), jobs.clone(), id.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(jobs.timing.heartbeat()).await;
                let s = progress.snapshot();
                let beat = store
                    .job_heartbeat(
                        &id,
                        &jobs.worker,
                        lease_ms,
                        now_ms(),
                        Some((&s.step, s.done as i64, s.total as i64)),
                    )
                    .await;
                match beat {
                    Ok(Some(true)) => progress.cancel(),
                    Ok(Some(false)) => {}
                    Ok(None) => {
                        tracing::warn!(job = id, "job taken over by another worker; stopping");
                        progress.cancel();
                        return;
                    }
                    // SQLite: an import's transaction holds the write lock; try again.
                    Err(e) => tracing::debug!(job = id, "job heartbeat failed: {e}"),
                }
            }
        })
    };
    let outcome = if job.committed {
        // A previous worker committed the import and died before writing its summary.
        import_saved_outcome()
    } else {
        if let Some(delay) = jobs.delay {
            let until = tokio::time::Instant::now() + delay;
            while tokio::time::Instant::now() < until && !progress.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        run(state.clone(), job, progress.clone()).await
    };
    heartbeat.abort();
    jobs.lock().remove(&id);
    let kept = jobs.limits(&kind).kept_bytes;
    match store
        .finish_job(&id, &jobs.worker, outcome, kept, now_ms())
        .await
    {
        Ok(true) => tracing::info!(job = id, kind, "job finished"),
        Ok(false) => tracing::warn!(job = id, kind, "job no longer ours; its outcome dropped"),
        Err(e) => tracing::error!(job = id, kind, "finishing the job failed: {e}"),
    }
}

/// The outcome of an import whose data is in but whose summary was lost.
fn import_saved_outcome() -> JobOutcome {
    JobOutcome::Json {
        state: uppsikt_store::JobStatus::Done,
        json: serde_json::json!({
            "summary": [uppsikt_domain::messages::jobs::import_saved_summary_lost()],
            "next": ["/import", "Till Data in"],
        })
        .to_string(),
    }
}

/// Forgets jobs finished more than an hour ago, and fails those whose servers died too
/// often, every minute.
async fn purge(state: AppState) {
    let gave_up = serde_json::json!({
        "errors": [uppsikt_domain::messages::jobs::job_gave_up()],
        "message": uppsikt_domain::messages::jobs::job_gave_up(),
    })
    .to_string();
    let mut ticks = tokio::time::interval(Duration::from_secs(60).min(state.jobs.timing.lease));
    loop {
        ticks.tick().await;
        match state.store.purge_jobs(&gave_up, now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "finished jobs forgotten"),
            Err(e) => tracing::warn!("purging jobs failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_lower_case_hex_digits() {
        let id = crate::auth::password::random_token();
        assert!(well_formed(&id), "{id}");
        assert!(!well_formed(&id.to_uppercase()));
        assert!(!well_formed("1"));
    }

    #[test]
    fn the_heartbeat_renews_the_lease_at_least_three_times_and_every_second() {
        let t = JobTiming {
            lease: Duration::from_millis(900),
            poll: Duration::from_millis(300),
        };
        assert_eq!(t.heartbeat(), Duration::from_millis(300));
        assert_eq!(JobTiming::default().heartbeat(), Duration::from_secs(1));
    }
}
