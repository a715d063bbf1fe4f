//! Long imports as background jobs: a form starts one, its page shows a progress bar (a
//! button reloads it without JavaScript; `job.js` polls when scripts run) and a button to
//! cancel it. An import is one transaction: cancelled or failed, nothing of it is kept.
//! Who started it, or a controller, follows and cancels it; anyone else gets the same 404
//! as for an unknown id. How many imports run and are kept is bounded by
//! [`crate::jobs::Limits`].

use std::future::Future;
use std::sync::Arc;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, Response};
use axum::Json;
use uppsikt_domain::access::Action;
use uppsikt_domain::messages;
use uppsikt_import::{ImportReport, Progress};

use crate::auth::Viewer;
use crate::error::{AppError, Result};
use crate::jobs::{JobRequest, Refused};
use crate::AppState;

/// Errors shown on a failed import's page; the rest are counted.
const SHOWN_ERRORS: usize = 500;

#[derive(Clone)]
pub enum ImportState {
    Running(Arc<Progress>),
    Done {
        summary: Vec<String>,
        /// Where to go next: (href, label).
        next: (String, String),
    },
    Failed {
        errors: Vec<String>,
        cancelled: bool,
    },
}

impl crate::jobs::JobState for ImportState {
    fn is_running(&self) -> bool {
        matches!(self, ImportState::Running(_))
    }

    fn kept_bytes(&self) -> usize {
        let texts = |list: &[String]| list.iter().map(String::len).sum::<usize>();
        match self {
            ImportState::Running(_) => 0,
            ImportState::Done { summary, next } => texts(summary) + next.0.len() + next.1.len(),
            ImportState::Failed { errors, .. } => texts(errors),
        }
    }
}

pub type ImportJobs = crate::jobs::Jobs<ImportState>;

/// What a finished import reports: lines of summary and where to go next.
pub struct Finished {
    pub summary: Vec<String>,
    pub next: (String, String),
}

/// Starts `work` in the background with a fresh [`Progress`]; returns the job's id, or
/// refuses (429, nothing started) when the owner or the server runs enough imports.
pub fn spawn<F, Fut>(
    state: &AppState,
    title: String,
    back: String,
    owner: &str,
    work: F,
) -> Result<String>
where
    F: FnOnce(Arc<Progress>) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<Finished, ImportReport>> + Send + 'static,
{
    let progress = Progress::new();
    progress.set_step("Startar");
    let id = state
        .imports
        .start(title, back, owner, ImportState::Running(progress.clone()))
        .map_err(|refused| {
            let message = match refused {
                Refused::UserBusy(n) => messages::imports_user_busy(n),
                Refused::ServerBusy(_) => messages::imports_server_busy(),
            };
            tracing::warn!(owner, ?refused, "import job refused");
            AppError::Refused(StatusCode::TOO_MANY_REQUESTS, message)
        })?;
    let (jobs, job) = (state.imports.clone(), id.clone());
    tokio::spawn(async move {
        let outcome = work(progress).await;
        let state = match outcome {
            Ok(f) => ImportState::Done {
                summary: f.summary,
                next: f.next,
            },
            Err(report) => {
                if !report.cancelled {
                    tracing::warn!(job, errors = report.errors.len(), "import failed");
                }
                ImportState::Failed {
                    cancelled: report.cancelled,
                    errors: report.errors.iter().map(ToString::to_string).collect(),
                }
            }
        };
        jobs.set(&job, state);
    });
    Ok(id)
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    id: String,
    title: String,
    back: String,
    state: ImportState,
    can_cancel: bool,
}

impl JobPage {
    /// (step, per cent if known, "x av y" text, cancel requested).
    fn running(&self) -> Option<(String, Option<u8>, String, bool)> {
        let ImportState::Running(p) = &self.state else {
            return None;
        };
        let s = p.snapshot();
        let count = if s.total > 0 {
            format!("{} av {}", group(s.done), group(s.total))
        } else if s.done > 0 {
            group(s.done)
        } else {
            String::new()
        };
        Some((s.step.clone(), s.percent(), count, s.cancelled))
    }

    fn done(&self) -> Option<(&[String], &(String, String))> {
        match &self.state {
            ImportState::Done { summary, next } => Some((summary, next)),
            _ => None,
        }
    }

    /// (the errors shown, how many more, how many in all, cancelled).
    fn failed(&self) -> Option<(Vec<String>, usize, usize, bool)> {
        match &self.state {
            ImportState::Failed { errors, cancelled } => {
                let shown: Vec<String> = errors.iter().take(SHOWN_ERRORS).cloned().collect();
                let more = errors.len() - shown.len();
                Some((shown, more, errors.len(), *cancelled))
            }
            _ => None,
        }
    }
}

/// A count with Swedish digit grouping: 10 000 000.
fn group(n: u64) -> String {
    uppsikt_domain::number::format_sv(n as f64, 0)
}

/// Whether the viewer may see and cancel the job: who started it, or a controller.
fn may_follow(viewer: &Viewer, owner: &str) -> bool {
    viewer.actor() == owner || viewer.allows(Action::ManageSources, &[])
}

/// The job, if the viewer may follow it; otherwise the same 404 as for an unknown id.
fn followed(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<crate::jobs::JobView<ImportState>> {
    state
        .imports
        .get(id, |owner| may_follow(viewer, owner))
        .ok_or(AppError::NotFound)
}

pub async fn show(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let job = followed(&state, &viewer, &id)?;
    let can_cancel = matches!(job.state, ImportState::Running(_));
    let html = JobPage {
        id,
        title: job.title,
        back: job.back,
        state: job.state,
        can_cancel,
    }
    .render()?;
    Ok(crate::jobs::uncached(Html(html)))
}

/// The job's state as JSON, for `job.js`.
pub async fn status(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let job = followed(&state, &viewer, &id)?;
    let body = match &job.state {
        ImportState::Running(p) => {
            let s = p.snapshot();
            serde_json::json!({"state": "running", "step": s.step, "done": s.percent(), "count": s.done, "total": s.total})
        }
        ImportState::Done { .. } => serde_json::json!({"state": "done"}),
        ImportState::Failed { cancelled, .. } => {
            serde_json::json!({"state": if *cancelled { "cancelled" } else { "failed" }})
        }
    };
    Ok(crate::jobs::uncached(Json(body)))
}

/// Asks the import to stop; it rolls back at its next check.
pub async fn cancel(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let job = followed(&state, &viewer, &id)?;
    if let ImportState::Running(p) = &job.state {
        p.cancel();
    }
    Ok(crate::forms::saved(format!("/imports/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_the_swedish_way() {
        assert_eq!(group(10_000_000), "10\u{a0}000\u{a0}000");
        assert_eq!(group(7), "7");
    }
}
