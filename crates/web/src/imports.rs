//! Long imports as background jobs: a form starts one, its page shows a progress bar (a
//! button reloads it without JavaScript; `job.js` polls when scripts run) and a button to
//! cancel it. An import is one transaction: cancelled or failed, nothing of it is kept.
//! Who started it, or a controller, follows and cancels it; anyone else gets the same 404
//! as for an unknown id. How many imports run and are kept is bounded by
//! [`crate::jobs::Limits`]. Imports are jobs in the database (see [`crate::jobs`]): any app
//! process runs, shows and cancels them.

use std::sync::Arc;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, Response};
use axum::Json;
use uppsikt_domain::access::Action;
use uppsikt_domain::messages;
use uppsikt_import::progress::Snapshot;
use uppsikt_import::{ImportReport, Progress};
use uppsikt_store::{ClaimedJob, JobOutcome, JobRow, JobStatus};

use crate::auth::Viewer;
use crate::error::{AppError, Result};
use crate::jobs::{JobRequest, Refused};
use crate::AppState;

/// Errors shown on a failed import's page; the rest are counted.
const SHOWN_ERRORS: usize = 500;

/// An import job as its page shows it.
#[derive(Clone)]
pub enum ImportState {
    Running(Snapshot),
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

impl ImportState {
    /// The state of the job's row (with the live progress when it runs in this process).
    fn of(job: &JobRow, live: Option<Snapshot>) -> ImportState {
        let result: serde_json::Value = job
            .result_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        let texts = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        match job.state {
            JobStatus::Waiting | JobStatus::Running => {
                let mut s = live.unwrap_or_else(|| Snapshot {
                    step: job.phase.clone(),
                    done: job.done.max(0) as u64,
                    total: job.total.max(0) as u64,
                    cancelled: false,
                });
                s.cancelled |= job.cancel_requested;
                ImportState::Running(s)
            }
            JobStatus::Done => {
                let next = texts(&result["next"]);
                ImportState::Done {
                    summary: texts(&result["summary"]),
                    next: match next.as_slice() {
                        [href, label] => (href.clone(), label.clone()),
                        _ => ("/import".into(), "Till Data in".into()),
                    },
                }
            }
            JobStatus::Failed | JobStatus::Cancelled => ImportState::Failed {
                errors: texts(&result["errors"]),
                cancelled: job.state == JobStatus::Cancelled,
            },
        }
    }
}

/// What a finished import reports: lines of summary and where to go next.
pub struct Finished {
    pub summary: Vec<String>,
    pub next: (String, String),
}

/// What an import job does (the row's `params`, with the file as its input).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum ImportParams {
    /// Outcomes from an uploaded table, as previewed: the upload it came from, its sheet
    /// and columns, and the access of who committed it (checked again in the job).
    Table {
        upload: String,
        file_name: String,
        sheet: Option<String>,
        mapping: String,
        role: String,
        units: Vec<uppsikt_domain::model::Id>,
    },
    /// A SIE 4 ledger for a unit (or the file's own).
    Sie {
        file_name: String,
        unit: Option<String>,
    },
    /// Kolada's linked KPIs from the configured API.
    Kolada,
}

/// Starts an import job (waiting for a worker); returns its id, or refuses (429, nothing
/// started) when the owner or the server runs enough imports.
pub async fn start(
    state: &AppState,
    title: String,
    back: String,
    owner: &str,
    params: ImportParams,
    input: Option<Vec<u8>>,
) -> Result<String> {
    let params = serde_json::to_value(&params).map_err(|e| AppError::Internal(e.to_string()))?;
    let started = state
        .jobs
        .start(
            &state.store,
            crate::jobs::IMPORT,
            title,
            back,
            owner,
            params,
            input,
            "Startar",
        )
        .await?;
    started.map_err(|refused| {
        let message = match refused {
            Refused::UserBusy(n) => messages::imports_user_busy(n),
            Refused::ServerBusy(_) => messages::imports_server_busy(),
        };
        tracing::warn!(owner, ?refused, "import job refused");
        AppError::Refused(StatusCode::TOO_MANY_REQUESTS, message)
    })
}

/// Runs a claimed import job (see [`crate::jobs`]): the import is one transaction, which
/// seals the job (so that it is never written twice).
pub(crate) async fn run(state: AppState, job: ClaimedJob, progress: Arc<Progress>) -> JobOutcome {
    progress.set_step("Startar");
    let outcome = match serde_json::from_str::<ImportParams>(&job.params) {
        Ok(params) => {
            let input = job.input.unwrap_or_default();
            match params {
                ImportParams::Table {
                    upload,
                    file_name,
                    sheet,
                    mapping,
                    role,
                    units,
                } => {
                    crate::upload::run_table(
                        &state, &job.owner, &progress, &upload, file_name, sheet, &mapping, &role,
                        units, input,
                    )
                    .await
                }
                ImportParams::Sie { file_name, unit } => {
                    crate::upload::run_sie(&state, &job.owner, &progress, file_name, unit, input)
                        .await
                }
                ImportParams::Kolada => {
                    crate::kolada::run_fetch(&state, &job.owner, &progress).await
                }
            }
        }
        Err(e) => Err(ImportReport::single(
            &uppsikt_import::Origin::new("", ""),
            format!("{}: {e}", messages::report_failed()),
        )),
    };
    match outcome {
        Ok(f) => JobOutcome::Json {
            state: JobStatus::Done,
            json: serde_json::json!({ "summary": f.summary, "next": [f.next.0, f.next.1] })
                .to_string(),
        },
        Err(report) => {
            if !report.cancelled {
                tracing::warn!(job = job.id, errors = report.errors.len(), "import failed");
            }
            let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
            JobOutcome::Json {
                state: if report.cancelled {
                    JobStatus::Cancelled
                } else {
                    JobStatus::Failed
                },
                json: serde_json::json!({ "errors": errors }).to_string(),
            }
        }
    }
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
        let ImportState::Running(s) = &self.state else {
            return None;
        };
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
async fn followed(state: &AppState, viewer: &Viewer, id: &str) -> Result<(JobRow, ImportState)> {
    let (job, live) = state
        .jobs
        .get(&state.store, crate::jobs::IMPORT, id, |owner| {
            may_follow(viewer, owner)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let view = ImportState::of(&job, live);
    Ok((job, view))
}

pub async fn show(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let (job, job_state) = followed(&state, &viewer, &id).await?;
    let can_cancel = matches!(job_state, ImportState::Running(_));
    let html = JobPage {
        id,
        title: job.title,
        back: job.back,
        state: job_state,
        can_cancel,
    }
    .render()?;
    Ok(crate::jobs::uncached(Html(html)))
}

/// The job's state as JSON, for `job.js`.
pub async fn status(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let (_, job_state) = followed(&state, &viewer, &id).await?;
    let body = match &job_state {
        ImportState::Running(s) => {
            serde_json::json!({"state": "running", "step": s.step, "done": s.percent(), "count": s.done, "total": s.total})
        }
        ImportState::Done { .. } => serde_json::json!({"state": "done"}),
        ImportState::Failed { cancelled, .. } => {
            serde_json::json!({"state": if *cancelled { "cancelled" } else { "failed" }})
        }
    };
    Ok(crate::jobs::uncached(Json(body)))
}

/// Asks the import to stop (in whichever process runs it); it rolls back at its next
/// check, and a waiting one never starts. Guard: who may follow the job (its owner or a
/// controller); anyone else gets the same 404 as for an unknown id.
pub async fn cancel(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let (_, job_state) = followed(&state, &viewer, &id).await?;
    if let ImportState::Running(_) = job_state {
        state.jobs.cancel(&state.store, &id).await?;
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
