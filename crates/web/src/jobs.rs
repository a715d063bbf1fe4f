//! Background jobs of this server process (report builds, imports): started by a form,
//! followed on a page that shows their progress and, when done, their result. Jobs live in
//! memory; a restart forgets them (their work is either committed or not).
//!
//! Anyone signed in can start a job, so what jobs may cost is bounded here:
//! - a job's id is a random 256-bit token (not a counter), and only its owner (or whom the
//!   caller's rule allows) finds it; anyone else gets the same 404 as for an unknown id;
//! - at most [`Limits::running_per_user`] jobs of one user and [`Limits::running`] in all
//!   run (or wait their turn) at once; beyond that a new one is refused;
//! - at most [`Limits::kept_per_user`] jobs of one user and [`Limits::kept`] in all are
//!   kept, holding at most [`Limits::kept_bytes`] of results: to make room, the oldest
//!   finished job is forgotten first (the user's own when their count is full);
//! - a finished job is forgotten after an hour anyway;
//! - the heavy part of a job runs with one of [`Limits::workers`] permits ([`Jobs::turn`]),
//!   so that jobs cannot take every core from the requests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tokio::sync::{Semaphore, SemaphorePermit};

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

/// How long a finished job is kept.
const KEEP: Duration = Duration::from_secs(3600);

/// What the registry needs to know of a job's state.
pub trait JobState: Clone {
    /// Still running or waiting for its turn (counts against the running caps, and is
    /// never forgotten to make room).
    fn is_running(&self) -> bool;
    /// Bytes the state holds in memory (a report's file, an import's error list).
    fn kept_bytes(&self) -> usize;
}

/// The caps of one kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub running_per_user: usize,
    pub running: usize,
    pub kept_per_user: usize,
    pub kept: usize,
    /// Bytes of finished jobs' results kept in all.
    pub kept_bytes: usize,
    /// Jobs doing their heavy work at the same time; the others wait their turn.
    pub workers: usize,
}

impl Default for Limits {
    fn default() -> Self {
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
}

/// Why a job was not started (nothing was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user has this many jobs running already.
    UserBusy(usize),
    /// The server runs this many jobs already.
    ServerBusy(usize),
}

struct Job<S> {
    state: S,
    title: String,
    back: String,
    /// Who started it.
    owner: String,
    /// When it finished (`None` while running).
    finished: Option<Instant>,
}

/// The jobs of one kind; `S` is what a job's page shows.
pub struct Jobs<S> {
    limits: Limits,
    jobs: Mutex<HashMap<String, Job<S>>>,
    workers: Semaphore,
}

impl<S> Default for Jobs<S> {
    fn default() -> Self {
        Jobs::new(Limits::default())
    }
}

/// What a job's page needs: its state, title and the page to go back to.
pub struct JobView<S> {
    pub state: S,
    pub title: String,
    pub back: String,
}

/// Whether `id` can be a job's id at all (64 lower-case hex digits); anything else is
/// answered as unknown without a look-up.
fn well_formed(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl<S> Jobs<S> {
    pub fn new(limits: Limits) -> Self {
        Jobs {
            limits,
            jobs: Mutex::new(HashMap::new()),
            workers: Semaphore::new(limits.workers.max(1)),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Waits for a worker's permit; the heavy part of a job runs while holding it.
    pub async fn turn(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so this is always `Some`.
        self.workers.acquire().await.ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job<S>>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S: JobState> Jobs<S> {
    /// Registers a new job of `owner`, or refuses it when a running cap is reached (then
    /// nothing is registered). Makes room by forgetting the oldest finished jobs.
    pub fn start(
        &self,
        title: String,
        back: String,
        owner: &str,
        state: S,
    ) -> Result<String, Refused> {
        let mut jobs = self.lock();
        jobs.retain(|_, j| j.finished.is_none_or(|at| at.elapsed() < KEEP));
        let running = jobs.values().filter(|j| j.finished.is_none()).count();
        let mine_running = jobs
            .values()
            .filter(|j| j.finished.is_none() && j.owner == owner)
            .count();
        if mine_running >= self.limits.running_per_user {
            return Err(Refused::UserBusy(mine_running));
        }
        if running >= self.limits.running {
            return Err(Refused::ServerBusy(running));
        }
        while jobs.values().filter(|j| j.owner == owner).count() >= self.limits.kept_per_user {
            if !forget_oldest_finished(&mut jobs, |_, j| j.owner == owner) {
                break;
            }
        }
        while jobs.len() >= self.limits.kept {
            if !forget_oldest_finished(&mut jobs, |_, _| true) {
                break;
            }
        }
        let id = loop {
            let id = crate::auth::password::random_token();
            if !jobs.contains_key(&id) {
                break id;
            }
        };
        jobs.insert(
            id.clone(),
            Job {
                finished: (!state.is_running()).then(Instant::now),
                state,
                title,
                back,
                owner: owner.to_string(),
            },
        );
        Ok(id)
    }

    /// The job's new state. When that makes the kept results larger than allowed, the
    /// oldest other finished jobs are forgotten (callers keep a single result within
    /// [`Limits::kept_bytes`]).
    pub fn set(&self, id: &str, state: S) {
        let mut jobs = self.lock();
        let Some(job) = jobs.get_mut(id) else {
            return;
        };
        if !state.is_running() && job.finished.is_none() {
            job.finished = Some(Instant::now());
        }
        job.state = state;
        while jobs.values().map(|j| j.state.kept_bytes()).sum::<usize>() > self.limits.kept_bytes {
            if !forget_oldest_finished(&mut jobs, |other, _| other != id) {
                break;
            }
        }
    }

    /// The job, if it exists and `may_see` its owner; otherwise `None`, whichever it was.
    pub fn get(&self, id: &str, may_see: impl FnOnce(&str) -> bool) -> Option<JobView<S>> {
        if !well_formed(id) {
            return None;
        }
        let jobs = self.lock();
        let j = jobs.get(id)?;
        if j.finished.is_some_and(|at| at.elapsed() >= KEEP) || !may_see(&j.owner) {
            return None;
        }
        Some(JobView {
            state: j.state.clone(),
            title: j.title.clone(),
            back: j.back.clone(),
        })
    }

    /// Bytes the kept jobs hold.
    #[cfg(test)]
    fn kept_bytes(&self) -> usize {
        self.lock().values().map(|j| j.state.kept_bytes()).sum()
    }
}

/// Forgets the finished job that finished first among those `which` selects; `false` if
/// there is none.
fn forget_oldest_finished<S>(
    jobs: &mut HashMap<String, Job<S>>,
    which: impl Fn(&str, &Job<S>) -> bool,
) -> bool {
    let oldest = jobs
        .iter()
        .filter(|(id, j)| which(id, j))
        .filter_map(|(id, j)| j.finished.map(|at| (at, id)))
        .min()
        .map(|(_, id)| id.clone());
    match oldest {
        Some(id) => {
            jobs.remove(&id);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that runs, or is done holding so many bytes.
    #[derive(Clone, Debug, PartialEq)]
    enum T {
        Running,
        Done(usize),
    }

    impl JobState for T {
        fn is_running(&self) -> bool {
            *self == T::Running
        }
        fn kept_bytes(&self) -> usize {
            match self {
                T::Running => 0,
                T::Done(n) => *n,
            }
        }
    }

    fn limits() -> Limits {
        Limits {
            running_per_user: 2,
            running: 3,
            kept_per_user: 3,
            kept: 5,
            kept_bytes: 100,
            workers: 1,
        }
    }

    fn start(jobs: &Jobs<T>, owner: &str) -> Result<String, Refused> {
        jobs.start("A".into(), "/".into(), owner, T::Running)
    }

    fn seen(jobs: &Jobs<T>, id: &str) -> bool {
        jobs.get(id, |_| true).is_some()
    }

    #[test]
    fn ids_are_random_tokens_and_only_whom_the_rule_allows_sees_a_job() {
        let jobs = Jobs::new(limits());
        let a = start(&jobs, "anna").unwrap();
        let b = start(&jobs, "bo").unwrap();
        assert!(well_formed(&a) && well_formed(&b), "{a} {b}");
        assert_ne!(a, b);
        jobs.set(&a, T::Done(7));
        let view = jobs.get(&a, |owner| owner == "anna").unwrap();
        assert_eq!((view.state, view.title.as_str()), (T::Done(7), "A"));
        assert!(jobs.get(&a, |owner| owner == "bo").is_none(), "not bo's");
        assert!(jobs.get("1", |_| true).is_none());
        assert!(jobs.get(&a.to_uppercase(), |_| true).is_none());
    }

    #[test]
    fn a_user_and_the_server_run_at_most_so_many_jobs_and_a_refusal_starts_nothing() {
        let jobs = Jobs::new(limits());
        let a1 = start(&jobs, "anna").unwrap();
        start(&jobs, "anna").unwrap();
        assert_eq!(start(&jobs, "anna"), Err(Refused::UserBusy(2)));
        start(&jobs, "bo").unwrap();
        assert_eq!(start(&jobs, "carl"), Err(Refused::ServerBusy(3)));
        assert_eq!(jobs.lock().len(), 3, "the refused were not registered");
        // A finished job frees its place.
        jobs.set(&a1, T::Done(1));
        start(&jobs, "anna").unwrap();
    }

    #[test]
    fn a_users_kept_jobs_are_bounded_by_forgetting_their_oldest_finished_one() {
        let jobs = Jobs::new(limits());
        let bo = start(&jobs, "bo").unwrap();
        jobs.set(&bo, T::Done(1));
        let mut ids = Vec::new();
        for _ in 0..4 {
            let id = start(&jobs, "anna").unwrap();
            jobs.set(&id, T::Done(1));
            ids.push(id);
        }
        assert!(!seen(&jobs, &ids[0]), "anna's oldest is forgotten");
        assert!(ids[1..].iter().all(|id| seen(&jobs, id)));
        assert!(seen(&jobs, &bo), "bo's job is not anna's to lose");
    }

    #[test]
    fn kept_results_are_bounded_in_count_and_bytes_oldest_finished_first() {
        let jobs = Jobs::new(limits());
        let mut ids = Vec::new();
        for owner in ["a", "b", "c", "d", "e", "f"] {
            let id = start(&jobs, owner).unwrap();
            jobs.set(&id, T::Done(10));
            ids.push(id);
        }
        assert!(!seen(&jobs, &ids[0]), "at most 5 kept");
        assert!(ids[1..].iter().all(|id| seen(&jobs, id)));
        // Starting makes room for one more (5 kept); 40 bytes more: 80 ≤ 100.
        let big = start(&jobs, "g").unwrap();
        assert!(!seen(&jobs, &ids[1]), "at most 5 kept");
        jobs.set(&big, T::Done(40));
        assert!(jobs.kept_bytes() <= 100, "{}", jobs.kept_bytes());
        // 60 bytes more: the oldest finished go until the rest fits.
        let bigger = start(&jobs, "h").unwrap();
        jobs.set(&bigger, T::Done(60));
        assert!(jobs.kept_bytes() <= 100, "{}", jobs.kept_bytes());
        assert!(seen(&jobs, &bigger) && seen(&jobs, &big));
        assert!(!seen(&jobs, &ids[2]) && !seen(&jobs, &ids[3]));
    }

    #[test]
    fn running_jobs_are_never_forgotten_to_make_room() {
        let jobs = Jobs::new(Limits {
            kept: 2,
            kept_per_user: 2,
            ..limits()
        });
        let a = start(&jobs, "anna").unwrap();
        let b = start(&jobs, "bo").unwrap();
        assert_eq!(jobs.lock().len(), 2);
        let c = start(&jobs, "carl").unwrap();
        assert!(seen(&jobs, &a) && seen(&jobs, &b) && seen(&jobs, &c));
    }
}
