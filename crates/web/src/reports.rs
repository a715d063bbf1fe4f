//! "Skapa rapport": a form on each unit's page starts a report job; its page shows the
//! progress (a button reloads it without JavaScript; `job.js` polls when scripts run)
//! and a download link when the file is ready. Only the one who started a job finds it
//! (anyone else gets the same 404 as for an unknown id); how many jobs run and are kept,
//! and how many build at once, is bounded by [`crate::jobs::Limits`].

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_report::{Format, Options, ReportError, ReportKind, Request, Subject, Version};

use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::forms::{options, Errors, Field, FieldKind, FormPage, Post};
use crate::jobs::{JobRequest, Refused};
use crate::AppState;
use std::sync::Arc;
use uppsikt_import::Progress;
use uppsikt_store::{ClaimedJob, JobOutcome, JobRow, JobStatus};

/// A report job as its page shows it.
#[derive(Clone)]
pub enum JobState {
    Running {
        step: String,
        done: u8,
    },
    Ready {
        file_name: String,
        size: i64,
        data_version: i64,
    },
    Failed(String),
}

impl JobState {
    /// The state of the job's row (with the live progress when it runs in this process).
    fn of(job: &JobRow, live: Option<uppsikt_import::progress::Snapshot>) -> JobState {
        let note: serde_json::Value = job
            .result_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        match job.state {
            JobStatus::Waiting | JobStatus::Running => {
                let (step, done, total) = match live {
                    Some(s) => (s.step, s.done as i64, s.total as i64),
                    None => (job.phase.clone(), job.done, job.total),
                };
                JobState::Running {
                    step,
                    done: if total > 0 {
                        (done.clamp(0, total) * 100 / total) as u8
                    } else {
                        0
                    },
                }
            }
            JobStatus::Done => JobState::Ready {
                file_name: job.result_name.clone().unwrap_or_default(),
                size: job.result_size,
                data_version: note["data_version"].as_i64().unwrap_or(0),
            },
            JobStatus::Failed | JobStatus::Cancelled => JobState::Failed(
                note["message"]
                    .as_str()
                    .map_or_else(messages::report_failed, str::to_string),
            ),
        }
    }
}

/// What a report job needs besides its owner (the row's `params`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Params {
    org_id: Id,
    /// The subject: a unit's id, or none for the municipality.
    subject: Option<Id>,
    kind: String,
    year: i32,
    tertial: Option<u8>,
    format: String,
    version: String,
    oversight: bool,
}

/// The report form, its period filled with `period` (the unit's current period).
fn form_page(org: &uppsikt_domain::model::OrgUnit, period: Option<Period>) -> FormPage {
    FormPage {
        title: format!("Skapa rapport för {}", org.name),
        intro: Some("Rapporten byggs av de uppgifter som finns nu. En rapport för kommunen omfattar alla nämnder och styrelser.".into()),
        action: format!("/org/{}/reports", org.id),
        cancel: format!("/org/{}", org.id),
        submit: "Skapa rapporten".into(),
        crumbs: vec![(format!("/org/{}", org.id), org.name.clone())],
        fields: vec![
            Field::new("kind", "Rapport", options([("verksamhetsberattelse", "Verksamhetsberättelse (helår)"), ("delarsrapport", "Delårsrapport"), ("verksamhetsplan", "Verksamhetsplan"), ("internkontroll", "Uppföljning av internkontrollplan"), ("revisionsuppfoljning", "Uppföljning av revisionens rekommendationer"), ("omradesuppfoljning", "Områdesuppföljning (för kommunstyrelsen)"), ("brottsforebyggande", "Brottsförebyggande arbete (till kommunfullmäktige)")])).required().value("verksamhetsberattelse"),
            Field::new("period", "Period", FieldKind::Text).required().hint("År för verksamhetsberättelse (2019), revisorernas uppföljning (2021) och brottsförebyggande arbete (2024). Tertial för delårsrapport: 2019T1 (per 30 april) eller 2019T2 (per 31 augusti); för områdesuppföljning 2023T1, 2023T2 eller 2023T3 (eller ett helt år).").value(period.map(|p| p.to_string()).unwrap_or_default()),
            Field::new("format", "Format", options([("pdf", "PDF (tillgänglig, för nämnden)"), ("html", "HTML (webbsida, går att skriva ut)"), ("xlsx", "Excel (alla mått och värden)")])).required().value("pdf"),
            Field::new("version", "Version", options([(Version::Board.code(), "Nämndversion (för beslut och publicering)"), (Version::Working.code(), "Arbetsversion (med systemets förslag och dataversion)")])).required().value(Version::Board.code()),
            Field::new("include", "Ta även med", FieldKind::Checkboxes(vec![(OVERSIGHT.into(), "Uppsikten över avvikelser (läget när rapporten skapas)".into())])),
        ],
    }
}

/// The checkbox value that adds the oversight of deviations as a chapter.
const OVERSIGHT: &str = "oversight";

/// The kind of decided document a report is stored as (its `ReportKind` code).
pub(crate) fn document_kind(kind: ReportKind) -> &'static str {
    kind.code()
}

/// Where a form page carries more than its fields (here: the decided documents).
const AFTER_FORM: &str = "<!--uppsikt:after-form-->";

/// The unit's decided documents as a list with their hashes, for the report page.
fn decided_list(docs: &[uppsikt_store::DecidedDocument]) -> String {
    use uppsikt_report::html::escape;
    let mut out = String::from(
        r#"<section aria-labelledby="decided-h"><h2 id="decided-h">Beslutade dokument</h2>"#,
    );
    if docs.is_empty() {
        out.push_str("<p>Inga beslutade dokument ännu. När en period låses efter nämndens beslut sparas nämndversionen av rapporten här.</p></section>");
        return out;
    }
    out.push_str("<ul class=\"decided\">");
    for d in docs {
        out.push_str(&format!(
            r#"<li><a href="/documents/{id}">{title}</a> ({period}, PDF, {kb} kB). Beslut: {body} {decided_on}, {paragraph}, dnr {diary}.{reopened} <span class="hash">SHA-256: <code>{sha}</code></span></li>"#,
            id = d.id,
            title = escape(&d.title),
            period = escape(&d.period.label_sv()),
            kb = (d.size as usize).div_ceil(1024),
            body = escape(&d.body),
            decided_on = escape(&d.decided_on),
            paragraph = escape(&d.paragraph),
            diary = escape(&d.diary_number),
            reopened = if d.in_force { "" } else { " Perioden har öppnats igen efter beslutet." },
            sha = escape(&d.sha256),
        ));
    }
    out.push_str("</ul></section>");
    out
}

/// The form page with the unit's decided documents below the form.
async fn page_with_documents(state: &AppState, org_id: Id, page: FormPage) -> Result<Response> {
    let status = if page.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let docs = state.store.decided_documents(Some(org_id)).await?;
    let html = page.render()?.replace(AFTER_FORM, &decided_list(&docs));
    Ok((status, axum::response::Html(html)).into_response())
}

pub async fn new_form(State(state): State<AppState>, Path(org_id): Path<Id>) -> Result<Response> {
    let org = state.store.org_unit(org_id).await?;
    let audience = uppsikt_domain::publication::Audience::SignedIn;
    let period = uppsikt_report::followup::start_period(&state.store, org_id, &audience).await?;
    page_with_documents(&state, org_id, form_page(&org, period)).await
}

/// A decided document, byte for byte, with its SHA-256 in a header.
pub async fn document(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (doc, bytes) = state.store.decided_document_content(id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", doc.file_name),
            ),
            (
                header::HeaderName::from_static("x-uppsikt-sha256"),
                doc.sha256.clone(),
            ),
            (
                header::HeaderName::from_static("x-uppsikt-data-version"),
                doc.data_version.to_string(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The subject of a unit's report: the root unit's is the whole municipality's.
pub(crate) fn subject_of(org: &uppsikt_domain::model::OrgUnit) -> Subject {
    if org.parent_id.is_none() {
        Subject::Municipality
    } else {
        Subject::Unit(org.id)
    }
}

/// The report a decision on `period` adopts: a verksamhetsberättelse for a year, a
/// delårsrapport for tertial 1 or 2; other periods have none.
pub(crate) fn decided_request(
    org: &uppsikt_domain::model::OrgUnit,
    period: Period,
) -> Option<Request> {
    let (kind, tertial) = match period {
        Period::Year(_) => (ReportKind::Verksamhetsberattelse, None),
        Period::Tertial(_, t @ (1 | 2)) => (ReportKind::Delarsrapport, Some(t)),
        _ => return None,
    };
    Some(Request {
        subject: subject_of(org),
        kind,
        year: period.year(),
        tertial,
    })
}

/// The board version of a unit's report for a period as PDF: (title, file name, bytes,
/// data version). Built when a period is locked, to store as the decided document.
pub(crate) async fn board_pdf(
    store: &uppsikt_store::Store,
    request: Request,
) -> std::result::Result<(String, String, Vec<u8>, i64), String> {
    let report = uppsikt_report::build_as(store, request, Options::default())
        .await
        .map_err(|e| e.to_string())?;
    let title = format!("{} – {}", report.meta.title, report.meta.subject);
    let name = file_name(&report, Format::Pdf);
    let version = report.meta.data_version;
    let bytes = tokio::task::spawn_blocking(move || uppsikt_report::render(&report, Format::Pdf))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    Ok((title, name, bytes, version))
}

fn file_name(report: &uppsikt_report::Report, format: Format) -> String {
    format!(
        "{}-{}{}.{}",
        uppsikt_store::slugify(&report.meta.title),
        uppsikt_store::slugify(&report.meta.subject),
        match report.meta.version {
            Version::Board => "",
            Version::Working => "-arbetsversion",
        },
        format.extension()
    )
}

pub async fn create(post: Post) -> Result<Response> {
    let Post {
        state,
        viewer,
        id: org_id,
        input,
        ..
    } = post;
    let org = state.store.org_unit(org_id).await?;
    let mut e = Errors::default();
    let kind = e.choice(&input, "kind", ReportKind::parse);
    let period = e.period(&input, "period");
    let format = e.choice(&input, "format", Format::parse);
    // A form without the field (an older page, a script) asks for the board version.
    let version = match input.get("version").map(|v| v.trim()) {
        None | Some("") => Some(Version::Board),
        Some(_) => e.choice(&input, "version", Version::parse),
    };
    let page = form_page(&org, None);
    let oversight = page
        .fields
        .iter()
        .find(|f| f.name == "include")
        .is_some_and(|f| f.checked_in(&input).iter().any(|v| v == OVERSIGHT));
    let request = match (kind, period) {
        (Some(kind), Some(period)) => {
            let tertial = match period {
                Period::Tertial(_, t) => Some(t),
                _ => None,
            };
            // A plan is always one unit's (`uppsikt_report::plan`), and so is the
            // follow-up of its internal-control plan.
            let subject = if matches!(
                kind,
                ReportKind::Verksamhetsplan | ReportKind::InternalControlFollowUp
            ) {
                Subject::Unit(org.id)
            } else {
                subject_of(&org)
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
    let (Some(request), Some(format), Some(version), true) =
        (request, format, version, e.is_empty())
    else {
        return page_with_documents(&state, org_id, e.apply(page.fill(&input))).await;
    };
    let title = format!(
        "{} {} för {}",
        request.kind.label_sv(),
        input.get("period").map(|s| s.trim()).unwrap_or(""),
        org.name
    );
    let params = Params {
        org_id,
        subject: match request.subject {
            Subject::Unit(id) => Some(id),
            Subject::Municipality => None,
        },
        kind: request.kind.code().to_string(),
        year: request.year,
        tertial: request.tertial,
        format: format.extension().to_string(),
        version: version.code().to_string(),
        oversight,
    };
    let owner = viewer.actor();
    let started = state
        .jobs
        .start(
            &state.store,
            crate::jobs::REPORT,
            title,
            format!("/org/{}", org.id),
            &owner,
            serde_json::to_value(&params).map_err(|e| AppError::Internal(e.to_string()))?,
            None,
            messages::jobs::job_waiting(),
        )
        .await?;
    let id = started.map_err(|refused| {
        let message = match refused {
            Refused::UserBusy(n) => messages::reports_user_busy(n),
            Refused::ServerBusy(_) => messages::reports_server_busy(),
        };
        tracing::warn!(owner, ?refused, "report job refused");
        AppError::Refused(StatusCode::TOO_MANY_REQUESTS, message)
    })?;
    Ok(crate::forms::saved(format!("/reports/{id}")))
}

/// Runs a claimed report job (see [`crate::jobs`]): builds and renders the report.
pub(crate) async fn run(state: AppState, job: ClaimedJob, progress: Arc<Progress>) -> JobOutcome {
    let failed = |message: String| JobOutcome::Json {
        state: JobStatus::Failed,
        json: serde_json::json!({ "message": message }).to_string(),
    };
    let params: Params = match serde_json::from_str(&job.params) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(job = job.id, "report job with unreadable parameters: {e}");
            return failed(messages::report_failed());
        }
    };
    let (Some(kind), Some(format), Some(version)) = (
        ReportKind::parse(&params.kind),
        Format::parse(&params.format),
        Version::parse(&params.version),
    ) else {
        tracing::error!(
            job = job.id,
            "report job with unknown kind, format or version"
        );
        return failed(messages::report_failed());
    };
    let request = Request {
        subject: params.subject.map_or(Subject::Municipality, Subject::Unit),
        kind,
        year: params.year,
        tertial: params.tertial,
    };
    let options = Options {
        version,
        oversight: params.oversight,
    };
    progress.set_total(100);
    progress.set_step("Hämtar uppgifterna");
    progress.set_done(10);
    let kept = state.jobs.limits(crate::jobs::REPORT).kept_bytes;
    match build(
        &state.store,
        &job.id,
        &progress,
        params.org_id,
        request,
        options,
        format,
        kept,
    )
    .await
    {
        Ok((name, bytes, version)) => JobOutcome::File {
            name,
            content_type: format.content_type().to_string(),
            bytes,
            json: serde_json::json!({ "data_version": version }).to_string(),
        },
        Err(message) => failed(message),
    }
}

/// Builds and renders the report (the renderers are synchronous and CPU-bound: they run
/// on a blocking thread): (file name, bytes, data version). Failures of ours are logged
/// and shown as one Swedish sentence. A report on a period with a decided document says on
/// its cover that it is a draft.
#[allow(clippy::too_many_arguments)]
async fn build(
    store: &uppsikt_store::Store,
    job: &str,
    progress: &Progress,
    org_id: Id,
    request: Request,
    options: Options,
    format: Format,
    kept_bytes: usize,
) -> std::result::Result<(String, Vec<u8>, i64), String> {
    let failed = |detail: String| {
        tracing::error!(job, "report failed: {detail}");
        messages::report_failed()
    };
    let mut report = match uppsikt_report::build_as(store, request, options).await {
        Ok(report) => report,
        Err(ReportError::Invalid(m)) => return Err(m),
        Err(e) => return Err(failed(e.to_string())),
    };
    let decided = store
        .decided_document(org_id, report.meta.period, document_kind(request.kind))
        .await
        .map_err(|e| failed(e.to_string()))?;
    if let Some(d) = decided {
        report.meta.draft_note = Some(format!(
            "Utkast – inte det beslutade dokumentet. Det beslutade dokumentet ({} {}, {}) finns i uppsikt: /documents/{}, SHA-256 {}.",
            d.body, d.decided_on, d.paragraph, d.id, d.sha256
        ));
        report.meta.decided_href = Some(format!("/documents/{}", d.id));
    }
    progress.set_step("Skapar filen");
    progress.set_done(60);
    let version = report.meta.data_version;
    let name = file_name(&report, format);
    match tokio::task::spawn_blocking(move || uppsikt_report::render(&report, format)).await {
        Ok(Ok(bytes)) if bytes.len() > kept_bytes => {
            tracing::warn!(job, bytes = bytes.len(), "report too large to keep");
            Err(messages::report_too_large(kept_bytes / (1024 * 1024)))
        }
        Ok(Ok(bytes)) => Ok((name, bytes, version)),
        Ok(Err(err)) => Err(failed(err.to_string())),
        Err(err) => Err(failed(err.to_string())),
    }
}

#[derive(Template)]
#[template(path = "report_job.html")]
struct JobPage {
    id: String,
    title: String,
    crumbs: String,
    back: String,
    state: JobState,
}

impl JobPage {
    fn running(&self) -> Option<(String, u8)> {
        match &self.state {
            JobState::Running { step, done } => Some((step.clone(), *done)),
            _ => None,
        }
    }

    fn ready(&self) -> Option<(String, usize, i64)> {
        match &self.state {
            JobState::Ready {
                file_name,
                size,
                data_version,
            } => Some((
                file_name.clone(),
                (*size as usize).div_ceil(1024),
                *data_version,
            )),
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

/// The job, if the viewer started it; otherwise the same 404 as for an unknown id.
async fn own_job(state: &AppState, viewer: &Viewer, id: &str) -> Result<(JobRow, JobState)> {
    let me = viewer.actor();
    let (job, live) = state
        .jobs
        .get(&state.store, crate::jobs::REPORT, id, |owner| owner == me)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = JobState::of(&job, live);
    Ok((job, view))
}

pub async fn show(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let (job, job_state) = own_job(&state, &viewer, &id).await?;
    // Start → the unit tree (the report's unit is where the job was started) → the report.
    let units = state.store.org_units().await?;
    let trail = match job
        .back
        .strip_prefix("/org/")
        .and_then(|i| i.parse::<Id>().ok())
    {
        Some(org) => crate::crumbs::Crumbs::units(&units, org, None)
            .then(format!("/org/{org}/reports"), "Rapport"),
        None => crate::crumbs::Crumbs::start(),
    };
    let crumbs = trail
        .then(format!("/reports/{id}"), job.title.clone())
        .html();
    let html = JobPage {
        id,
        title: job.title,
        crumbs,
        back: job.back,
        state: job_state,
    }
    .render()?;
    Ok(crate::jobs::uncached(axum::response::Html(html)))
}

/// The job's state as JSON, for `job.js`.
pub async fn status(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let (_, job_state) = own_job(&state, &viewer, &id).await?;
    let body = match job_state {
        JobState::Running { step, done } => {
            serde_json::json!({"state": "running", "step": step, "done": done})
        }
        JobState::Ready { .. } => serde_json::json!({"state": "ready"}),
        JobState::Failed(m) => serde_json::json!({"state": "failed", "message": m}),
    };
    Ok(crate::jobs::uncached(Json(body)))
}

pub async fn download(JobRequest { state, viewer, id }: JobRequest) -> Result<Response> {
    let (job, job_state) = own_job(&state, &viewer, &id).await?;
    let JobState::Ready {
        file_name,
        data_version,
        ..
    } = job_state
    else {
        return Err(AppError::NotFound);
    };
    let content_type = job.result_type.unwrap_or_default();
    let bytes = state.store.job_file(&id).await?.ok_or(AppError::NotFound)?;
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
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            // The report carries its own stylesheet.
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'".to_string()),
        ],
        bytes,
    )
        .into_response())
}
