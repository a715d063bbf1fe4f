//! "Skapa rapport": a form on each unit's page starts a report job; its page shows the
//! progress (a button reloads it without JavaScript; `job.js` polls when scripts run)
//! and a download link when the file is ready. Jobs live in memory for an hour.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_report::{Format, ReportKind, Request, Subject};

use crate::error::{AppError, Path, Result};
use crate::forms::{options, Errors, Field, FieldKind, Form, FormPage, Input};
use crate::AppState;

#[derive(Clone)]
pub enum JobState {
    Running {
        step: &'static str,
        done: u8,
    },
    Ready {
        file_name: String,
        content_type: &'static str,
        bytes: Arc<Vec<u8>>,
        data_version: i64,
    },
    Failed(String),
}

/// The report jobs of this server process.
pub type Jobs = crate::jobs::Jobs<JobState>;

fn form_page(org: &uppsikt_domain::model::OrgUnit) -> FormPage {
    FormPage {
        title: format!("Skapa rapport för {}", org.name),
        intro: Some("Rapporten byggs av de uppgifter som finns nu. En rapport för kommunen omfattar alla nämnder och styrelser.".into()),
        action: format!("/org/{}/reports", org.id),
        cancel: format!("/org/{}", org.id),
        submit: "Skapa rapporten".into(),
        crumbs: vec![(format!("/org/{}", org.id), org.name.clone())],
        fields: vec![
            Field::new("kind", "Rapport", options([("verksamhetsberattelse", "Verksamhetsberättelse (helår)"), ("delarsrapport", "Delårsrapport")])).required().value("verksamhetsberattelse"),
            Field::new("period", "Period", FieldKind::Text).required().hint("År för verksamhetsberättelse (2019). Tertial för delårsrapport: 2019T1 (per 30 april) eller 2019T2 (per 31 augusti).").value("2019"),
            Field::new("format", "Format", options([("pdf", "PDF (tillgänglig, för nämnden)"), ("html", "HTML (webbsida, går att skriva ut)"), ("xlsx", "Excel (alla mått och värden)")])).required().value("pdf"),
        ],
    }
}

pub async fn new_form(State(state): State<AppState>, Path(org_id): Path<Id>) -> Result<Response> {
    let org = state.store.org_unit(org_id).await?;
    form_page(&org).render_page()
}

pub async fn create(
    State(state): State<AppState>,
    viewer: crate::auth::Viewer,
    Path(org_id): Path<Id>,
    Form(input): Form<Input>,
) -> Result<Response> {
    let org = state.store.org_unit(org_id).await?;
    let mut e = Errors::default();
    let kind = e.choice(&input, "kind", ReportKind::parse);
    let period = e.period(&input, "period");
    let format = e.choice(&input, "format", Format::parse);
    let request = match (kind, period) {
        (Some(kind), Some(period)) => {
            let tertial = match period {
                Period::Tertial(_, t) => Some(t),
                _ => None,
            };
            let subject = if org.parent_id.is_none() {
                Subject::Municipality
            } else {
                Subject::Unit(org.id)
            };
            let r = Request {
                subject,
                kind,
                year: period.year(),
                tertial,
            };
            match r.period() {
                Ok(_) => Some(r),
                Err(err) => {
                    e.add("period", err.to_string());
                    None
                }
            }
        }
        _ => None,
    };
    let (Some(request), Some(format), true) = (request, format, e.is_empty()) else {
        return e.apply(form_page(&org).fill(&input)).render_page();
    };
    let title = format!(
        "{} {} för {}",
        request.kind.label_sv(),
        input.get("period").map(|s| s.trim()).unwrap_or(""),
        org.name
    );
    let id = state.jobs.start(
        title,
        format!("/org/{}", org.id),
        &viewer.actor(),
        JobState::Running {
            step: "Hämtar uppgifterna",
            done: 10,
        },
    );
    let (store, jobs) = (state.store.clone(), state.jobs.clone());
    tokio::spawn(async move {
        let result = uppsikt_report::build(&store, request).await;
        let state = match result {
            Err(err) => JobState::Failed(err.to_string()),
            Ok(report) => {
                jobs.set(
                    id,
                    JobState::Running {
                        step: "Skapar filen",
                        done: 60,
                    },
                );
                let version = report.meta.data_version;
                let name = format!(
                    "{}-{}.{}",
                    uppsikt_store::slugify(&report.meta.title),
                    uppsikt_store::slugify(&report.meta.subject),
                    format.extension()
                );
                match tokio::task::spawn_blocking(move || uppsikt_report::render(&report, format))
                    .await
                {
                    Ok(Ok(bytes)) => JobState::Ready {
                        file_name: name,
                        content_type: format.content_type(),
                        bytes: Arc::new(bytes),
                        data_version: version,
                    },
                    Ok(Err(err)) => JobState::Failed(err.to_string()),
                    Err(err) => JobState::Failed(format!("internt fel: {err}")),
                }
            }
        };
        if let JobState::Failed(m) = &state {
            tracing::error!(job = id, "report failed: {m}");
        }
        jobs.set(id, state);
    });
    Ok(crate::forms::saved(format!("/reports/{id}")))
}

#[derive(Template)]
#[template(path = "report_job.html")]
struct JobPage {
    id: u64,
    title: String,
    back: String,
    state: JobState,
}

impl JobPage {
    fn running(&self) -> Option<(&'static str, u8)> {
        match self.state {
            JobState::Running { step, done } => Some((step, done)),
            _ => None,
        }
    }

    fn ready(&self) -> Option<(String, usize, i64)> {
        match &self.state {
            JobState::Ready {
                file_name,
                bytes,
                data_version,
                ..
            } => Some((file_name.clone(), bytes.len().div_ceil(1024), *data_version)),
            _ => None,
        }
    }

    fn failed(&self) -> Option<String> {
        match &self.state {
            JobState::Failed(m) => Some(m.clone()),
            _ => None,
        }
    }
}

pub async fn show(State(state): State<AppState>, Path(id): Path<u64>) -> Result<Response> {
    let job = state.jobs.get(id).ok_or(AppError::NotFound)?;
    let html = JobPage {
        id,
        title: job.title,
        back: job.back,
        state: job.state,
    }
    .render()?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(html),
    )
        .into_response())
}

/// The job's state as JSON, for `job.js`.
pub async fn status(State(state): State<AppState>, Path(id): Path<u64>) -> Result<Response> {
    let job_state = state.jobs.get(id).ok_or(AppError::NotFound)?.state;
    let body = match job_state {
        JobState::Running { step, done } => {
            serde_json::json!({"state": "running", "step": step, "done": done})
        }
        JobState::Ready { .. } => serde_json::json!({"state": "ready"}),
        JobState::Failed(m) => serde_json::json!({"state": "failed", "message": m}),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

pub async fn download(State(state): State<AppState>, Path(id): Path<u64>) -> Result<Response> {
    let job_state = state.jobs.get(id).ok_or(AppError::NotFound)?.state;
    let JobState::Ready {
        file_name,
        content_type,
        bytes,
        data_version,
    } = job_state
    else {
        return Err(AppError::NotFound);
    };
    let disposition = if content_type.starts_with("text/html") {
        "inline"
    } else {
        "attachment"
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{file_name}\"")),
            (header::HeaderName::from_static("x-uppsikt-data-version"), data_version.to_string()),
            // The report carries its own stylesheet.
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'".to_string()),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}
