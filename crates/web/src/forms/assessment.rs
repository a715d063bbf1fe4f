//! Assess goal fulfilment (måluppfyllelse): propose or decide a level with a motivation.
//! A decided level that differs from the system's proposal needs a written motivation.

use std::future::Future;

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, Stage};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::{AssessmentScale, Period};
use uppsikt_report::followup::{self, AssessmentView};
use uppsikt_store::AssessmentInput;

use super::{
    options, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, NAME_MAX, TEXT_MAX,
};
use crate::auth::Viewer;
use crate::error::{period_param, Path, Query, Result};
use crate::pages::PeriodQuery;
use crate::AppState;

/// What is being assessed: a goal as assessed by its own unit, or a unit overall.
pub(crate) struct Subject {
    org_id: Id,
    goal_id: Option<Id>,
    name: String,
    back: String,
    action: String,
}

fn page(
    subject: &Subject,
    scale: &AssessmentScale,
    current: &AssessmentView,
    period: Period,
) -> FormPage {
    let proposal = match &current.system {
        Some(p) => format!(
            "Systemets förslag för {}: {} ({}). {}.",
            period.label_sv(),
            p.level,
            current.system_share(),
            current.basis.summary_sv()
        ),
        None => format!(
            "Systemet har inget förslag för {}: {}.",
            period.label_sv(),
            current.basis.summary_sv()
        ),
    };
    FormPage {
        title: format!("Bedöm måluppfyllelse: {}", subject.name),
        intro: Some(proposal),
        action: subject.action.clone(),
        cancel: subject.back.clone(),
        submit: "Spara bedömningen".into(),
        crumbs: vec![(subject.back.clone(), subject.name.clone())],
        fields: vec![
            Field::new("period", "Period", FieldKind::Text)
                .required()
                .value(period.to_string()),
            Field::new(
                "stage",
                "Steg",
                options([
                    (Stage::Proposed.code(), "Förslag"),
                    (Stage::Decided.code(), "Beslutad bedömning"),
                ]),
            )
            .required()
            .value("proposed"),
            Field::new(
                "level",
                "Nivå",
                FieldKind::Radios(
                    scale
                        .levels
                        .iter()
                        .map(|l| (l.clone(), l.clone()))
                        .collect(),
                ),
            )
            .required()
            .hint(
                "Välj själv: ingen nivå är förvald. Systemets förslag och underlaget står intill.",
            ),
            Field::new("motivation", "Motivering", FieldKind::Textarea(6))
                .hint("Krävs när en beslutad nivå skiljer sig från systemets förslag."),
            Field::new("author", "Bedömd av", FieldKind::Text)
                .required()
                .hint("Ifyllt med ditt namn; ändra om någon annan gjorde bedömningen."),
            Field::new("date", "Datum", FieldKind::Date)
                .hint("ÅÅÅÅ-MM-DD. Beslutsdatum för en beslutad bedömning."),
        ],
    }
}

async fn current(state: &AppState, subject: &Subject, period: Period) -> Result<AssessmentView> {
    Ok(match subject.goal_id {
        Some(goal) => {
            followup::goal(&state.store, goal, Some(period), &Audience::SignedIn)
                .await?
                .assessment
        }
        None => {
            followup::board(
                &state.store,
                subject.org_id,
                Some(period),
                &Audience::SignedIn,
            )
            .await?
            .overall
        }
    })
}

/// The period the goal's or unit's page shows by default (its latest with data).
async fn default_period(state: &AppState, subject: &Subject) -> Result<Period> {
    Ok(match subject.goal_id {
        Some(goal) => {
            followup::goal(&state.store, goal, None, &Audience::SignedIn)
                .await?
                .period
        }
        None => {
            followup::board(&state.store, subject.org_id, None, &Audience::SignedIn)
                .await?
                .period
        }
    })
}

async fn goal_subject(state: &AppState, id: Id) -> Result<Subject> {
    let goal = state.store.goal(id).await?;
    Ok(Subject {
        org_id: goal.org_id,
        goal_id: Some(id),
        name: goal.title,
        back: format!("/goals/{id}"),
        action: format!("/goals/{id}/assessment"),
    })
}

async fn org_subject(state: &AppState, id: Id) -> Result<Subject> {
    let org = state.store.org_unit(id).await?;
    Ok(Subject {
        org_id: id,
        goal_id: None,
        name: format!("{} (sammanvägd)", org.name),
        back: format!("/org/{id}"),
        action: format!("/org/{id}/assessment"),
    })
}

async fn show(
    state: AppState,
    viewer: &Viewer,
    subject: Subject,
    q: PeriodQuery,
) -> Result<Response> {
    let (scale, _) = state.store.assessment_config().await?;
    let period = match period_param(q.period.as_deref())? {
        Some(p) => p,
        None => default_period(&state, &subject).await?,
    };
    let now = current(&state, &subject, period).await?;
    // No level is chosen for the assessor; the author is the signed-in person.
    let author = viewer
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let response = page(&subject, &scale, &now, period)
        .with_values([("author", author)])
        .render_page()?;
    with_basis(&state, &subject, period, response).await
}

/// What the assessment judges, shown beside its form: the goal's measures with status
/// and trend for the period and its commitments' statuses, as the goal page shows them
/// (`uppsikt_report::followup::goal`), and the system's basis and proposal.
#[derive(askama::Template)]
#[template(path = "_assessment_basis.html")]
struct Basis {
    period: Period,
    assessment: AssessmentView,
    measures: Vec<followup::MeasureRow>,
    commitments: Vec<followup::CommitmentRow>,
    goal: bool,
}

/// Puts the basis into the form page's aside (`<!--uppsikt:form-aside-->`).
async fn with_basis(
    state: &AppState,
    subject: &Subject,
    period: Period,
    response: Response,
) -> Result<Response> {
    let basis = match subject.goal_id {
        Some(goal) => {
            let v = followup::goal(&state.store, goal, Some(period), &Audience::SignedIn).await?;
            Basis {
                period: v.period,
                assessment: v.assessment,
                measures: v.measures,
                commitments: v.commitments,
                goal: true,
            }
        }
        None => Basis {
            period,
            assessment: current(state, subject, period).await?,
            measures: Vec::new(),
            commitments: Vec::new(),
            goal: false,
        },
    };
    let aside = askama::Template::render(&basis)?;
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| crate::error::AppError::Internal(format!("assessment page body: {e}")))?;
    let html = String::from_utf8_lossy(&bytes).replacen(FORM_ASIDE, &aside, 1);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, axum::body::Body::from(html)))
}

/// Where a form page carries what its form is about (`form.html`).
const FORM_ASIDE: &str = "<!--uppsikt:form-aside-->";

/// The form's fields as far as they could be read, and the errors.
pub(crate) struct Fields {
    pub(crate) period: Option<Period>,
    pub(crate) stage: Option<Stage>,
    pub(crate) level: Option<String>,
    pub(crate) motivation: String,
    pub(crate) author: Option<String>,
    pub(crate) date: Option<String>,
}

pub(crate) fn parse(input: &Input, scale: &AssessmentScale) -> (Fields, Errors) {
    let mut e = Errors::default();
    // Read in the form's order, so that the errors are too.
    let fields = Fields {
        period: e.period(input, "period"),
        stage: e.choice(input, "stage", Stage::parse),
        level: level(&mut e, input, scale),
        motivation: e.optional_paragraphs(input, "motivation", TEXT_MAX),
        author: e.text(input, "author", NAME_MAX),
        date: e.optional_date(input, "date"),
    };
    (fields, e)
}

/// One of the scale's levels, as the scale spells it.
fn level(e: &mut Errors, input: &Input, scale: &AssessmentScale) -> Option<String> {
    match e.typed(input, "level") {
        None => None,
        Some("") => {
            e.add("level", messages::REQUIRED);
            None
        }
        Some(raw) => scale.canonical(raw).map(String::from).or_else(|| {
            e.add("level", messages::unknown_level(raw, &scale.levels));
            None
        }),
    }
}

async fn save_assessment(post: &Post, subject: Subject) -> Result<Response> {
    let (state, input) = (&post.state, &post.input);
    let (scale, _) = state.store.assessment_config().await?;
    let (f, mut e) = parse(input, &scale);
    let shown_period = match f.period {
        Some(p) => p,
        None => default_period(state, &subject).await?,
    };
    let now = current(state, &subject, shown_period).await?;
    if let (Some(Stage::Decided), Some(level), Some(system)) = (f.stage, &f.level, &now.system) {
        if *level != system.level && f.motivation.is_empty() {
            e.add("motivation", messages::MOTIVATION_REQUIRED);
        }
    }
    let parsed = match (f.period, f.stage, f.level, f.author, f.date, e.is_empty()) {
        (Some(period), Some(stage), Some(level), Some(author), Some(date), true) => {
            Ok(AssessmentInput {
                org_id: subject.org_id,
                goal_id: subject.goal_id,
                period,
                stage,
                level,
                motivation: f.motivation,
                author,
                date,
            })
        }
        _ => Err(e),
    };
    let form = async || Ok(page(&subject, &scale, &now, shown_period));
    let response = post
        .submit(form, parsed, async |w, assessment| {
            w.set_assessment(&assessment).await.at("period")?;
            Ok(format!("{}?period={}", subject.back, assessment.period))
        })
        .await?;
    if response.status().is_redirection() {
        return Ok(response);
    }
    with_basis(state, &subject, shown_period, response).await
}

/// What an assessment's routes are about: a goal or a unit overall.
pub(crate) trait Of {
    fn subject(state: &AppState, id: Id) -> impl Future<Output = Result<Subject>> + Send;
}

/// A goal, as assessed by its own unit (`/goals/{id}/assessment`).
pub(crate) struct OfGoal;

/// A unit overall (`/org/{id}/assessment`).
pub(crate) struct OfUnit;

impl Of for OfGoal {
    fn subject(state: &AppState, id: Id) -> impl Future<Output = Result<Subject>> + Send {
        goal_subject(state, id)
    }
}

impl Of for OfUnit {
    fn subject(state: &AppState, id: Id) -> impl Future<Output = Result<Subject>> + Send {
        org_subject(state, id)
    }
}

pub(crate) async fn form<O: Of>(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response> {
    let subject = O::subject(&state, id).await?;
    show(state, &viewer, subject, q).await
}

pub(crate) async fn save<O: Of>(post: Post) -> Result<Response> {
    let subject = O::subject(&post.state, post.id).await?;
    save_assessment(&post, subject).await
}
