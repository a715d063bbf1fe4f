//! Background jobs of this server process (report builds, imports): started by a form,
//! followed on a page that shows their progress and, when done, their result. Jobs live in
//! memory for an hour; a restart forgets them (their work is either committed or not).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const KEEP: Duration = Duration::from_secs(3600);

struct Job<S> {
    state: S,
    title: String,
    back: String,
    /// Who started it (only they, or a controller, may cancel it).
    owner: String,
    started: Instant,
}

/// The jobs of one kind; `S` is what a job's page shows.
pub struct Jobs<S> {
    next: Mutex<u64>,
    jobs: Mutex<HashMap<u64, Job<S>>>,
}

impl<S> Default for Jobs<S> {
    fn default() -> Self {
        Jobs {
            next: Mutex::new(0),
            jobs: Mutex::new(HashMap::new()),
        }
    }
}

/// What a job's page needs: its state, title, the page to go back to and its owner.
pub struct JobView<S> {
    pub state: S,
    pub title: String,
    pub back: String,
    pub owner: String,
}

impl<S: Clone> Jobs<S> {
    pub fn start(&self, title: String, back: String, owner: &str, state: S) -> u64 {
        let id = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.retain(|_, j| j.started.elapsed() < KEEP);
        jobs.insert(
            id,
            Job {
                state,
                title,
                back,
                owner: owner.to_string(),
                started: Instant::now(),
            },
        );
        id
    }

    pub fn set(&self, id: u64, state: S) {
        if let Some(j) = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&id)
        {
            j.state = state;
        }
    }

    pub fn get(&self, id: u64) -> Option<JobView<S>> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .map(|j| JobView {
                state: j.state.clone(),
                title: j.title.clone(),
                back: j.back.clone(),
                owner: j.owner.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_numbered_and_keep_their_latest_state() {
        let jobs: Jobs<&'static str> = Jobs::default();
        let a = jobs.start("A".into(), "/".into(), "anna", "running");
        let b = jobs.start("B".into(), "/".into(), "bo", "running");
        assert_ne!(a, b);
        jobs.set(a, "done");
        let view = jobs.get(a).unwrap();
        assert_eq!(
            (view.state, view.title.as_str(), view.owner.as_str()),
            ("done", "A", "anna")
        );
        assert_eq!(jobs.get(b).unwrap().state, "running");
        assert!(jobs.get(99).is_none());
    }
}
