//! Audit recommendations' forms: the auditors register an audit (its header), its
//! questions with sub-questions and assessments, its numbered recommendations with their
//! addressees and lineage, the yearly verdicts, and attach the report PDF; a board's
//! editor records the board's decided response with a stance per recommendation, and links
//! a recommendation to the board's internal control.
//!
//! Guards (`lib.rs`): the auditors' forms are in the [`Action::ManageAudits`] group
//! (auditors, controllers, administrators); a response and the links to internal control
//! are [`Action::Edit`] of the responding unit, named by the address
//! (`/org/{id}/audits/{audit}/response`, `/org/{id}/recommendations/{rec}/ic-links`).
//!
//! [`Action::ManageAudits`]: uppsikt_domain::access::Action::ManageAudits
//! [`Action::Edit`]: uppsikt_domain::access::Action::Edit

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::audit::{
    self, Assessment, Audit, AuditKind, Criterion, Grade, IcLink, IcTarget, Recommendation,
    ResponseItem, Stance, SubQuestion,
};
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::messages::audit as msg;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_store::{
    AuditHeader, AuditInput, QuestionInput, RecommendationInput, ResponseInput, StoreError,
    VerdictInput,
};

use super::{
    Errors, Field, FieldKind, FormPage, Input, Post, Refusal, RefusedAt, NAME_MAX, TEXT_MAX,
};
use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// A refusal of the audit rules becomes a message at `field`; other errors as
/// [`RefusedAt`] places them.
fn audit_at<T>(
    r: std::result::Result<T, StoreError>,
    field: &'static str,
) -> std::result::Result<T, Refusal> {
    match r {
        Err(StoreError::Audit(refusal)) => Err(Refusal::at(field, msg::refusal(&refusal))),
        other => other.at(field),
    }
}

pub(super) fn page(
    title: String,
    intro: Option<String>,
    action: String,
    cancel: String,
    submit: &str,
    crumbs: Vec<(String, String)>,
    fields: Vec<Field>,
) -> FormPage {
    FormPage {
        title,
        intro,
        action,
        cancel,
        submit: submit.into(),
        crumbs,
        fields,
    }
}

/// Field names for the rows of a form with one row per recommendation (`stance-3`):
/// made once, for at most [`audit::MAX_ITEMS`] rows.
static SLOTS: LazyLock<HashMap<(&'static str, usize), &'static str>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for prefix in ["stance", "stance_text", "comment"] {
        for i in 0..audit::MAX_ITEMS {
            let name: &'static str = Box::leak(format!("{prefix}-{i}").into_boxed_str());
            m.insert((prefix, i), name);
        }
    }
    m
});

fn slot(prefix: &'static str, i: usize) -> &'static str {
    SLOTS[&(prefix, i.min(audit::MAX_ITEMS - 1))]
}

fn assessment_options(empty: &str) -> FieldKind {
    let mut o = vec![(String::new(), empty.to_string())];
    o.extend(
        Assessment::ALL
            .iter()
            .map(|a| (a.code().to_string(), a.label_sv().to_string())),
    );
    FieldKind::Select(o)
}

pub(super) fn board_choices(units: &HashMap<Id, OrgUnit>) -> Vec<(String, String)> {
    crate::audits::boards(units)
        .into_iter()
        .map(|u| (u.id.to_string(), u.name.clone()))
        .collect()
}

pub(super) fn yes_no() -> Vec<(String, String)> {
    vec![("yes".into(), "Ja".into()), ("no".into(), "Nej".into())]
}

/// Ids chosen in a checkbox field.
pub(super) fn chosen_ids(field: &Field, input: &Input) -> Vec<Id> {
    field
        .checked_in(input)
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// Non-empty lines of a text (criteria, signatories), at most `MAX_ITEMS`.
fn lines(e: &mut Errors, input: &Input, field: &'static str) -> Vec<String> {
    e.list(input, field, audit::MAX_ITEMS, || {
        msg::refusal(&audit::AuditRefusal::TooMany(field_key(field)))
    })
}

fn field_key(field: &'static str) -> &'static str {
    match field {
        "criteria" => "criteria",
        "signatories" => "signatories",
        _ => "sub_questions",
    }
}

pub(super) fn optional_choice<T>(
    e: &mut Errors,
    input: &Input,
    field: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<Option<T>> {
    if Errors::is_blank(input, field) {
        return Some(None);
    }
    e.choice(input, field, parse).map(Some)
}

fn optional_case_ref(
    state: &AppState,
    e: &mut Errors,
    input: &Input,
    field: &'static str,
) -> Option<Option<uppsikt_domain::case_ref::CaseRef>> {
    let raw = e.optional_text(input, field, NAME_MAX);
    if raw.is_empty() {
        return Some(None);
    }
    match state.case_ref_format.parse(&raw) {
        Ok(c) => Some(Some(c)),
        Err(err) => {
            e.add(field, msg::case_ref(&err));
            None
        }
    }
}

pub(super) fn date_or_none(
    e: &mut Errors,
    input: &Input,
    field: &'static str,
) -> Option<Option<String>> {
    e.optional_date(input, field)
        .map(|d| (!d.is_empty()).then_some(d))
}

// ---- The audit's header ----

async fn header_page(state: &AppState, audit: Option<&Audit>) -> Result<FormPage> {
    let units = crate::audits::unit_names(state).await?;
    let others: Vec<(String, String)> = state
        .store
        .audits()
        .await?
        .iter()
        .filter(|a| audit.is_none_or(|x| x.id != a.id))
        .map(|a| (a.id.to_string(), format!("{} ({})", a.title, a.plan_year)))
        .collect();
    let example = state.case_ref_format.example();
    let kinds = AuditKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), k.label_sv().to_string()))
        .collect();
    let mut fields = vec![
        Field::new("title", "Rubrik", FieldKind::Text).required(),
        Field::new("plan_year", "Revisionsplan (år)", FieldKind::Integer).required(),
        Field::new("kind", "Slag av granskning", FieldKind::Radios(kinds)).required(),
        Field::new("commissioned_by", "Beställd av", FieldKind::Text)
            .hint("T.ex. De förtroendevalda revisorerna."),
        Field::new("performed_by", "Utförd av", FieldKind::Text).hint("T.ex. KPMG AB."),
        Field::new("audited", "Granskade nämnder och styrelser", FieldKind::Checkboxes(board_choices(&units))),
        Field::new("case_ref", "Diarienummer", FieldKind::Text)
            .hint(&format!("I kommunens format, t.ex. {example}. Flera granskningar kan ha samma.")),
        Field::new("issued_on", "Rapporten skickad till nämnderna", FieldKind::Date),
        Field::new("response_due", "Svar senast", FieldKind::Date)
            .hint("Den dag revisorerna vill ha nämndernas svar. Svar som saknas efter den dagen visas som försenade."),
        Field::new("purpose", "Syfte", FieldKind::Textarea(3)),
        Field::new("scope", "Avgränsning", FieldKind::Textarea(2)),
        Field::new("method", "Metod", FieldKind::Textarea(2)),
        Field::new("criteria", "Revisionskriterier", FieldKind::Textarea(4)).hint(
            "Ett kriterium per rad. Lagar med SFS-nummer, t.ex. kommunallagen (2017:725) 6 kap. 6 §; kommunens regler med nummer, t.ex. HKF 9410.",
        ),
        Field::new("fact_checked", "Faktakontrollerad av de intervjuade", FieldKind::Radios(yes_no())),
        Field::new("overall", "Samlad bedömning", assessment_options("Ej angiven")),
        Field::new("overall_text", "Den samlade bedömningen i ord", FieldKind::Textarea(3)),
        Field::new("signatories", "Undertecknad av", FieldKind::Textarea(3)).hint("En person per rad, med titel."),
    ];
    if !others.is_empty() {
        fields.push(
            Field::new(
                "follows_up",
                "Följer upp granskningarna",
                FieldKind::Checkboxes(others),
            )
            .hint("För en uppföljande granskning: de granskningar den följer upp."),
        );
    }
    Ok(match audit {
        None => page(
            "Registrera granskning".into(),
            Some("Granskningens uppgifter som rapporten anger dem. Revisionsfrågor och rekommendationer läggs till på granskningens sida.".into()),
            "/audits/new".into(),
            "/audits".into(),
            "Registrera granskningen",
            vec![("/audits".into(), crate::audits::LABEL.into())],
            fields,
        ),
        Some(a) => page(
            format!("Ändra {}", a.title),
            None,
            format!("/audits/{}/edit", a.id),
            format!("/audits/{}", a.id),
            "Spara",
            crate::audits::audit_trail(a).after_start(),
            fields,
        ),
    })
}

fn header_values(a: &Audit) -> Vec<(&'static str, String)> {
    let ids = |v: &[Id]| v.iter().map(Id::to_string).collect::<Vec<_>>().join(",");
    vec![
        ("title", a.title.clone()),
        ("plan_year", a.plan_year.to_string()),
        ("kind", a.kind.code().into()),
        ("commissioned_by", a.commissioned_by.clone()),
        ("performed_by", a.performed_by.clone()),
        ("audited", ids(&a.audited_units)),
        (
            "case_ref",
            a.case_ref
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default(),
        ),
        ("issued_on", a.issued_on.clone().unwrap_or_default()),
        ("response_due", a.response_due.clone().unwrap_or_default()),
        ("purpose", a.purpose.clone()),
        ("scope", a.scope.clone()),
        ("method", a.method.clone()),
        (
            "criteria",
            a.criteria
                .iter()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "fact_checked",
            if a.fact_checked { "yes" } else { "no" }.into(),
        ),
        (
            "overall",
            a.overall.map(|o| o.code().to_string()).unwrap_or_default(),
        ),
        ("overall_text", a.overall_text.clone()),
        ("signatories", a.signatories.join("\n")),
    ]
}

fn parse_header(
    state: &AppState,
    form: &FormPage,
    input: &Input,
) -> std::result::Result<AuditHeader, Errors> {
    let mut e = Errors::default();
    let title = e.text(input, "title", NAME_MAX);
    let plan_year = e.integer(input, "plan_year", 1900, 2200);
    let kind = e.choice(input, "kind", AuditKind::parse);
    let commissioned_by = e.optional_text(input, "commissioned_by", NAME_MAX);
    let performed_by = e.optional_text(input, "performed_by", NAME_MAX);
    let field = |name: &str| form.fields.iter().find(|f| f.name == name);
    let audited = field("audited")
        .map(|f| chosen_ids(f, input))
        .unwrap_or_default();
    let follows_up = field("follows_up")
        .map(|f| chosen_ids(f, input))
        .unwrap_or_default();
    let case_ref = optional_case_ref(state, &mut e, input, "case_ref");
    let issued_on = date_or_none(&mut e, input, "issued_on");
    let response_due = date_or_none(&mut e, input, "response_due");
    let purpose = e.optional_paragraphs(input, "purpose", TEXT_MAX);
    let scope = e.optional_paragraphs(input, "scope", TEXT_MAX);
    let method = e.optional_paragraphs(input, "method", TEXT_MAX);
    let criteria = lines(&mut e, input, "criteria");
    let fact_checked = input.get("fact_checked").is_some_and(|v| v == "yes");
    let overall = optional_choice(&mut e, input, "overall", Assessment::parse);
    let overall_text = e.optional_paragraphs(input, "overall_text", TEXT_MAX);
    let signatories = lines(&mut e, input, "signatories");
    match (
        title,
        plan_year,
        kind,
        case_ref,
        issued_on,
        response_due,
        overall,
    ) {
        (
            Some(title),
            Some(plan_year),
            Some(kind),
            Some(case_ref),
            Some(issued_on),
            Some(response_due),
            Some(overall),
        ) if e.is_empty() => Ok(AuditHeader {
            title,
            plan_year: plan_year as i32,
            kind,
            commissioned_by,
            performed_by,
            audited_units: audited,
            case_ref,
            issued_on,
            response_due,
            purpose,
            scope,
            method,
            criteria: criteria.iter().map(|c| Criterion::parse(c)).collect(),
            fact_checked,
            overall,
            overall_text,
            signatories,
            follows_up,
        }),
        _ => Err(e),
    }
}

pub async fn new_audit_form(State(state): State<AppState>) -> Result<Response> {
    header_page(&state, None)
        .await?
        .with_values([
            (
                "commissioned_by",
                "De förtroendevalda revisorerna".to_string(),
            ),
            ("kind", "review".to_string()),
        ])
        .render_page()
}

pub async fn create_audit(
    State(state): State<AppState>,
    viewer: Viewer,
    super::Form(input): super::Form,
) -> Result<Response> {
    let post = Post::new(&state, viewer, 0, input);
    let form_page = header_page(&state, None).await?;
    let parsed = parse_header(&state, &form_page, &post.input);
    post.submit(
        async || header_page(&state, None).await,
        parsed,
        async |w, header| {
            let id = audit_at(
                w.create_audit(&AuditInput {
                    header,
                    questions: Vec::new(),
                    recommendations: Vec::new(),
                })
                .await,
                "title",
            )?;
            Ok(format!("/audits/{id}"))
        },
    )
    .await
}

pub async fn edit_audit_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let a = state.store.audit(id).await?;
    header_page(&state, Some(&a))
        .await?
        .with_values(header_values(&a))
        .with_values([(
            "follows_up",
            a.follows_up
                .iter()
                .map(Id::to_string)
                .collect::<Vec<_>>()
                .join(","),
        )])
        .render_page()
}

pub async fn update_audit(post: Post) -> Result<Response> {
    let state = &post.state;
    let a = state.store.audit(post.id).await?;
    let form_page = header_page(state, Some(&a)).await?;
    let parsed = parse_header(state, &form_page, &post.input);
    post.submit(
        async || header_page(state, Some(&a)).await,
        parsed,
        async |w, header| {
            audit_at(w.update_audit(a.id, &header).await, "title")?;
            Ok(format!("/audits/{}", a.id))
        },
    )
    .await
}

// ---- Questions ----

fn question_fields() -> Vec<Field> {
    vec![
        Field::new("number", "Nummer", FieldKind::Integer).required(),
        Field::new("text", "Revisionsfråga", FieldKind::Textarea(3)).required(),
        Field::new("assessment", "Bedömning", assessment_options("Ej bedömd")),
        Field::new("reasoning", "Revisorernas motivering", FieldKind::Textarea(5))
            .hint("Lämna tom om rapporten inte ger någon; sidan visar då att motiveringen saknas."),
        Field::new("sub_questions", "Delfrågor", FieldKind::Textarea(4)).hint(
            "En delfråga per rad; bedömningen efter ett lodstreck, t.ex. ”Är beredningens uppdrag tydligt? | Nej”.",
        ),
    ]
}

fn question_page(a: &Audit, question_id: Option<Id>) -> FormPage {
    let (title, action) = match question_id {
        None => (
            "Ny revisionsfråga".to_string(),
            format!("/audits/{}/questions/new", a.id),
        ),
        Some(q) => (
            "Ändra revisionsfråga".to_string(),
            format!("/audits/{}/questions/{q}/edit", a.id),
        ),
    };
    page(
        title,
        None,
        action,
        format!("/audits/{}", a.id),
        "Spara frågan",
        crate::audits::audit_trail(a).after_start(),
        question_fields(),
    )
}

fn parse_question(input: &Input) -> std::result::Result<QuestionInput, Errors> {
    let mut e = Errors::default();
    let number = e.integer(input, "number", 1, 999);
    let text = e.paragraphs(input, "text", TEXT_MAX);
    let assessment = optional_choice(&mut e, input, "assessment", Assessment::parse);
    let reasoning = e.optional_paragraphs(input, "reasoning", TEXT_MAX);
    let mut sub_questions = Vec::new();
    for line in lines(&mut e, input, "sub_questions") {
        let (text, assessment) = match line.rsplit_once('|') {
            Some((t, a)) => match Assessment::parse(a) {
                Some(a) => (t.trim().to_string(), Some(a)),
                None => {
                    e.add(
                        "sub_questions",
                        msg::not_on_scale(a.trim(), "Ja, I allt väsentligt, Delvis eller Nej"),
                    );
                    (t.trim().to_string(), None)
                }
            },
            None => (line.clone(), None),
        };
        sub_questions.push(SubQuestion { text, assessment });
    }
    match (number, text, assessment) {
        (Some(n), Some(text), Some(assessment)) if e.is_empty() => Ok(QuestionInput {
            number: n as u16,
            text,
            assessment,
            reasoning,
            sub_questions,
        }),
        _ => Err(e),
    }
}

pub async fn new_question_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let a = state.store.audit(id).await?;
    let next = a.questions.iter().map(|q| q.number).max().unwrap_or(0) + 1;
    question_page(&a, None)
        .with_values([("number", next.to_string())])
        .render_page()
}

pub async fn create_question(post: Post) -> Result<Response> {
    let a = post.state.store.audit(post.id).await?;
    let parsed = parse_question(&post.input);
    post.submit(
        async || Ok(question_page(&a, None)),
        parsed,
        async |w, q| {
            audit_at(w.add_question(a.id, &q).await, "number")?;
            Ok(format!("/audits/{}", a.id))
        },
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct AuditItem {
    id: Id,
    item: Id,
}

pub async fn edit_question_form(
    State(state): State<AppState>,
    Path(AuditItem { id, item }): Path<AuditItem>,
) -> Result<Response> {
    let a = state.store.audit(id).await?;
    let q = a
        .questions
        .iter()
        .find(|q| q.id == item)
        .ok_or(AppError::NotFound)?;
    let subs = q
        .sub_questions
        .iter()
        .map(|s| match s.assessment {
            Some(x) => format!("{} | {}", s.text, x.label_sv()),
            None => s.text.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    question_page(&a, Some(item))
        .with_values([
            ("number", q.number.to_string()),
            ("text", q.text.clone()),
            (
                "assessment",
                q.assessment
                    .map(|x| x.code().to_string())
                    .unwrap_or_default(),
            ),
            ("reasoning", q.reasoning.clone()),
            ("sub_questions", subs),
        ])
        .render_page()
}

pub async fn update_question(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(AuditItem { id, item }): Path<AuditItem>,
    uri: axum::http::Uri,
    super::Form(input): super::Form,
) -> Result<Response> {
    let a = state.store.audit(id).await?;
    if !a.questions.iter().any(|q| q.id == item) {
        return Err(AppError::NotFound);
    }
    let post = Post::new(&state, viewer, id, input).at(uri.path());
    let parsed = parse_question(&post.input);
    post.submit(
        async || Ok(question_page(&a, Some(item))),
        parsed,
        async |w, q| {
            audit_at(w.update_question(item, &q).await, "number")?;
            Ok(format!("/audits/{}", a.id))
        },
    )
    .await
}

// ---- Recommendations ----

async fn recommendation_page(
    state: &AppState,
    a: &Audit,
    rec: Option<&Recommendation>,
) -> Result<FormPage> {
    let units = crate::audits::unit_names(state).await?;
    let audits = state.store.audits().await?;
    // Earlier recommendations it may issue again: those of other audits.
    let mut earlier: Vec<(String, String)> = vec![(String::new(), "Ingen".into())];
    for other in audits.iter().filter(|o| o.id != a.id) {
        for r in &other.recommendations {
            earlier.push((
                r.id.to_string(),
                format!("{} {} ({})", r.number, other.title, other.plan_year),
            ));
        }
    }
    let questions: Vec<(String, String)> = a
        .questions
        .iter()
        .map(|q| {
            (
                q.number.to_string(),
                format!("{}. {}", q.number, uppsikt_domain::text::shown(&q.text, 80)),
            )
        })
        .collect();
    let mut fields = vec![
        Field::new("number", "Nummer", FieldKind::Text)
            .required()
            .hint("Som rapporten numrerar, t.ex. 1, 1a eller T-3."),
        Field::new("text", "Rekommendation", FieldKind::Textarea(4)).required(),
        Field::new(
            "to",
            "Riktas till",
            FieldKind::Checkboxes(board_choices(&units)),
        )
        .required()
        .hint("Varje nämnd som rekommendationen riktas till lämnar ett eget svar."),
    ];
    if !questions.is_empty() {
        fields.push(Field::new(
            "questions",
            "Svarar på revisionsfrågorna",
            FieldKind::Checkboxes(questions),
        ));
    }
    fields.push(
        Field::new("reissues", "Återutfärdar", FieldKind::Select(earlier))
            .hint("En tidigare rekommendation som revisorerna ger igen."),
    );
    let (title, action, submit) = match rec {
        None => (
            "Ny rekommendation".to_string(),
            format!("/audits/{}/recommendations/new", a.id),
            "Lägg till",
        ),
        Some(r) => (
            format!("Ändra rekommendation {}", r.number),
            format!("/recommendations/{}/edit", r.id),
            "Spara",
        ),
    };
    Ok(page(
        title,
        None,
        action,
        format!("/audits/{}", a.id),
        submit,
        crate::audits::audit_trail(a).after_start(),
        fields,
    ))
}

fn parse_recommendation(
    form: &FormPage,
    input: &Input,
) -> std::result::Result<RecommendationInput, Errors> {
    let mut e = Errors::default();
    let number = e.text(input, "number", 20);
    let text = e.paragraphs(input, "text", TEXT_MAX);
    let field = |name: &str| form.fields.iter().find(|f| f.name == name);
    let to = field("to")
        .map(|f| chosen_ids(f, input))
        .unwrap_or_default();
    if to.is_empty() {
        e.add("to", msg::refusal(&audit::AuditRefusal::NoAddressee));
    }
    let questions: Vec<u16> = field("questions")
        .map(|f| {
            f.checked_in(input)
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let reissues = e.optional_id(input, "reissues");
    match (number, text, reissues) {
        (Some(number), Some(text), Some(reissues)) if e.is_empty() => Ok(RecommendationInput {
            number,
            text,
            addressees: to,
            questions,
            reissues,
        }),
        _ => Err(e),
    }
}

pub async fn new_recommendation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let a = state.store.audit(id).await?;
    let next = a.recommendations.len() + 1;
    recommendation_page(&state, &a, None)
        .await?
        .with_values([("number", next.to_string())])
        .render_page()
}

pub async fn create_recommendation(post: Post) -> Result<Response> {
    let state = &post.state;
    let a = state.store.audit(post.id).await?;
    let form_page = recommendation_page(state, &a, None).await?;
    let parsed = parse_recommendation(&form_page, &post.input);
    post.submit(
        async || recommendation_page(state, &a, None).await,
        parsed,
        async |w, r| {
            let id = audit_at(w.add_recommendation(a.id, &r).await, "number")?;
            Ok(format!("/recommendations/{id}"))
        },
    )
    .await
}

async fn audit_of_rec(state: &AppState, rec_id: Id) -> Result<(Audit, Recommendation)> {
    let audit_id = state
        .store
        .audit_id_of(
            uppsikt_domain::object_kind::ObjectKind::Recommendation,
            rec_id,
        )
        .await?;
    let a = state.store.audit(audit_id).await?;
    let r = a
        .recommendation(rec_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((a, r))
}

pub async fn edit_recommendation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (a, r) = audit_of_rec(&state, id).await?;
    let ids = |v: &[Id]| v.iter().map(Id::to_string).collect::<Vec<_>>().join(",");
    let page = recommendation_page(&state, &a, Some(&r))
        .await?
        .with_values([
            ("number", r.number.clone()),
            ("text", r.text.clone()),
            ("to", ids(&r.addressees)),
            (
                "reissues",
                r.reissues.map(|x| x.to_string()).unwrap_or_default(),
            ),
        ]);
    let questions = r
        .questions
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut page = page;
    if let Some(f) = page.fields.iter_mut().find(|f| f.name == "questions") {
        f.value = questions;
    }
    page.render_page()
}

pub async fn update_recommendation(post: Post) -> Result<Response> {
    let state = &post.state;
    let (a, r) = audit_of_rec(state, post.id).await?;
    let form_page = recommendation_page(state, &a, Some(&r)).await?;
    let parsed = parse_recommendation(&form_page, &post.input);
    post.submit(
        async || recommendation_page(state, &a, Some(&r)).await,
        parsed,
        async |w, input| {
            audit_at(w.update_recommendation(r.id, &input).await, "reissues")?;
            Ok(format!("/recommendations/{}", r.id))
        },
    )
    .await
}

// ---- Verdicts ----

fn verdict_page(a: &Audit, r: &Recommendation) -> FormPage {
    let grades = Grade::ALL
        .iter()
        .map(|g| (g.code().to_string(), g.label_sv().to_string()))
        .collect();
    page(
        format!("Revisorernas uppföljning av rekommendation {}", r.number),
        Some(format!("{} Bedömningen görs per år. ”Genomförd” avslutar rekommendationen; andra bedömningar håller den öppen om ni inte avslutar den.", r.text)),
        format!("/recommendations/{}/verdicts/new", r.id),
        format!("/recommendations/{}", r.id),
        "Registrera bedömningen",
        crate::audits::recommendation_trail(a, r).after_start(),
        vec![
            Field::new("year", "Uppföljningsår", FieldKind::Integer).required(),
            Field::new("grade", "Bedömning", FieldKind::Radios(grades)).required(),
            Field::new("text", "Revisorernas bedömning i ord", FieldKind::Textarea(4))
                .hint("Krävs för ”Avstår”: varför nämnden valt att inte följa rekommendationen."),
            Field::new("evidence", "Underlag", FieldKind::Textarea(3))
                .hint("Dokument, beslut och intervjuer som bedömningen bygger på."),
            Field::new("closes", "Avslutar revisorerna rekommendationen?", FieldKind::Radios(yes_no())),
        ],
    )
}

fn parse_verdict(input: &Input) -> std::result::Result<VerdictInput, Errors> {
    let mut e = Errors::default();
    let year = e.integer(input, "year", 1900, 2200);
    let grade = e.choice(input, "grade", Grade::parse);
    let text = e.optional_paragraphs(input, "text", TEXT_MAX);
    let evidence = e.optional_paragraphs(input, "evidence", TEXT_MAX);
    let closes = input.get("closes").is_some_and(|v| v == "yes");
    if grade == Some(Grade::Declined) && text.is_empty() {
        e.add(
            "text",
            msg::refusal(&audit::AuditRefusal::VerdictTextRequired),
        );
    }
    match (year, grade) {
        (Some(year), Some(grade)) if e.is_empty() => Ok(VerdictInput {
            year: year as i32,
            grade,
            text,
            evidence,
            closes,
        }),
        _ => Err(e),
    }
}

pub async fn new_verdict_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (a, r) = audit_of_rec(&state, id).await?;
    let year = uppsikt_store::today().get(..4).unwrap_or("").to_string();
    verdict_page(&a, &r)
        .with_values([("year", year), ("closes", "no".to_string())])
        .render_page()
}

pub async fn create_verdict(post: Post) -> Result<Response> {
    let (a, r) = audit_of_rec(&post.state, post.id).await?;
    let parsed = parse_verdict(&post.input);
    post.submit(
        async || Ok(verdict_page(&a, &r)),
        parsed,
        async |w, v| {
            audit_at(w.record_verdict(r.id, &v).await, "year")?;
            Ok(format!("/recommendations/{}", r.id))
        },
    )
    .await
}

// ---- A board's response ----

#[derive(serde::Deserialize)]
pub struct UnitAudit {
    id: Id,
    audit: Id,
}

/// The recommendations of `a` addressed to `unit_id`, in the audit's order.
fn addressed(a: &Audit, unit_id: Id) -> Vec<&Recommendation> {
    a.recommendations
        .iter()
        .filter(|r| r.addressees.contains(&unit_id))
        .collect()
}

fn stance_options() -> FieldKind {
    FieldKind::Select(vec![
        (String::new(), "Inte besvarad i detta svar".into()),
        ("accepted".into(), "Instämmer".into()),
        (
            "accepted_with_reservation".into(),
            "Instämmer med reservation".into(),
        ),
        ("declined".into(), "Avböjer (motivering krävs)".into()),
        (
            "not_stated".into(),
            "Besvarad, ställningstagande ej angivet".into(),
        ),
    ])
}

fn response_page(state: &AppState, a: &Audit, unit: &OrgUnit) -> FormPage {
    let bodies = vec![
        (
            "board".to_string(),
            DecidingBody::Board.label_sv().to_string(),
        ),
        (
            "committee".to_string(),
            DecidingBody::Committee.label_sv().to_string(),
        ),
        (
            "administration".to_string(),
            DecidingBody::Administration.label_sv().to_string(),
        ),
    ];
    let mut fields = vec![
        Field::new("body", "Beslutat av", FieldKind::Radios(bodies)).required(),
        Field::new("document", "Dokument", FieldKind::Text)
            .required()
            .hint("T.ex. protokollsutdrag eller tjänsteutlåtande."),
        Field::new("decided_on", "Beslutsdatum", FieldKind::Date).required(),
        Field::new("paragraph", "Paragraf", FieldKind::Text).hint("T.ex. § 9."),
        Field::new("case_ref", "Diarienummer", FieldKind::Text).hint(&format!(
            "I kommunens format, t.ex. {}.",
            state.case_ref_format.example()
        )),
    ];
    for (i, r) in addressed(a, unit.id).into_iter().enumerate() {
        let label = format!(
            "Rekommendation {}: {}",
            r.number,
            uppsikt_domain::text::shown(&r.text, 160)
        );
        fields.push(Field::new(slot("stance", i), &label, stance_options()));
        fields.push(
            Field::new(
                slot("stance_text", i),
                &format!("Motivering eller reservation (rekommendation {})", r.number),
                FieldKind::Textarea(2),
            )
            .hint("Krävs när nämnden avböjer eller instämmer med reservation."),
        );
        fields.push(Field::new(
            slot("comment", i),
            &format!(
                "Planerade åtgärder och kommentar (rekommendation {})",
                r.number
            ),
            FieldKind::Textarea(3),
        ));
    }
    page(
        format!("Svar från {} på {}", unit.name, a.title),
        Some("Nämndens beslutade svar till revisionen. Ställningstagandet blir beslutet på rekommendationens avvikelse; åtgärderna läggs in på avvikelsen eller kopplas till den interna kontrollen.".into()),
        format!("/org/{}/audits/{}/response", unit.id, a.id),
        format!("/audits/{}", a.id),
        "Spara svaret",
        crate::audits::audit_trail(a).after_start(),
        fields,
    )
}

fn response_values(a: &Audit, unit_id: Id) -> Vec<(&'static str, String)> {
    let Some(resp) = a.response_of(unit_id) else {
        return vec![("body", "board".to_string())];
    };
    let mut v = vec![
        ("body", resp.body.code().to_string()),
        ("document", resp.document.clone()),
        ("decided_on", resp.decided_on.clone()),
        ("paragraph", resp.paragraph.clone()),
        (
            "case_ref",
            resp.case_ref
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default(),
        ),
    ];
    for (i, r) in addressed(a, unit_id).into_iter().enumerate() {
        if let Some(item) = resp.item(r.id) {
            v.push((slot("stance", i), item.stance.code().to_string()));
            v.push((slot("stance_text", i), item.stance.text().to_string()));
            v.push((slot("comment", i), item.comment.clone()));
        }
    }
    v
}

fn parse_response(
    state: &AppState,
    a: &Audit,
    unit_id: Id,
    input: &Input,
) -> std::result::Result<ResponseInput, Errors> {
    let mut e = Errors::default();
    let body = e.choice(input, "body", DecidingBody::parse);
    let document = e.text(input, "document", NAME_MAX);
    let decided_on = e.date(input, "decided_on");
    let paragraph = e.optional_text(input, "paragraph", NAME_MAX);
    let case_ref = optional_case_ref(state, &mut e, input, "case_ref");
    let mut items = Vec::new();
    for (i, r) in addressed(a, unit_id).into_iter().enumerate() {
        let code = e.optional_text(input, slot("stance", i), NAME_MAX);
        let text = e.optional_paragraphs(input, slot("stance_text", i), TEXT_MAX);
        let comment = e.optional_paragraphs(input, slot("comment", i), TEXT_MAX);
        if code.is_empty() {
            continue;
        }
        match Stance::from_parts(&code, &text) {
            Ok(stance) => items.push(ResponseItem {
                recommendation_id: r.id,
                stance,
                comment,
            }),
            Err(refusal) => e.add(
                match refusal {
                    audit::AuditRefusal::UnknownStance(_) => slot("stance", i),
                    _ => slot("stance_text", i),
                },
                msg::refusal(&refusal),
            ),
        }
    }
    match (body, document, decided_on, case_ref) {
        (Some(body), Some(document), Some(decided_on), Some(case_ref)) if e.is_empty() => {
            Ok(ResponseInput {
                audit_id: a.id,
                unit_id,
                body,
                document,
                decided_on,
                paragraph,
                case_ref,
                items,
            })
        }
        _ => Err(e),
    }
}

pub async fn response_form(
    State(state): State<AppState>,
    Path(UnitAudit { id, audit }): Path<UnitAudit>,
) -> Result<Response> {
    let a = state.store.audit(audit).await?;
    let unit = state.store.org_unit(id).await?;
    if !a.addressees().contains(&id) {
        return Err(AppError::NotFound);
    }
    response_page(&state, &a, &unit)
        .with_values(response_values(&a, id))
        .render_page()
}

pub async fn save_response(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(UnitAudit { id, audit }): Path<UnitAudit>,
    super::Form(input): super::Form,
) -> Result<Response> {
    let a = state.store.audit(audit).await?;
    let unit = state.store.org_unit(id).await?;
    if !a.addressees().contains(&id) {
        return Err(AppError::NotFound);
    }
    let post = Post::new(&state, viewer, id, input);
    let parsed = parse_response(&state, &a, id, &post.input);
    let existing = a.response_of(id).map(|r| r.id);
    let today = uppsikt_store::today();
    post.submit(
        async || Ok(response_page(&state, &a, &unit)),
        parsed,
        async |w, r| {
            match existing {
                Some(rid) => audit_at(w.update_response(rid, &r, &today).await, "decided_on")?,
                None => {
                    audit_at(w.record_response(&r, &today).await, "decided_on")?;
                }
            }
            Ok(format!("/audits/{}#response-{}", a.id, id))
        },
    )
    .await
}

// ---- Links to internal control ----

#[derive(serde::Deserialize)]
pub struct UnitRec {
    id: Id,
    rec: Id,
}

/// The board's internal-control items a recommendation can be linked to, newest plan
/// first: (form value `kind:id`, label).
async fn ic_choices(state: &AppState, unit_id: Id) -> Result<Vec<(String, String)>> {
    let mut plans: Vec<_> = state
        .store
        .control_plans(None)
        .await?
        .into_iter()
        .filter(|p| p.org_id == unit_id)
        .collect();
    plans.sort_by_key(|p| std::cmp::Reverse(p.year));
    let mut out = vec![(String::new(), "Välj".to_string())];
    let short = |t: &str| uppsikt_domain::text::shown(t, 90);
    for p in plans {
        for a in &p.actions {
            out.push((
                format!("ic_action:{}", a.id),
                format!("{} · åtgärd {}: {}", p.year, a.key, short(&a.text)),
            ));
        }
        for c in &p.controls {
            out.push((
                format!("ic_control:{}", c.id),
                format!("{} · kontroll {}: {}", p.year, c.key, short(&c.name)),
            ));
        }
        for r in &p.risks {
            out.push((
                format!("ic_risk:{}", r.id),
                format!("{} · risk {}: {}", p.year, r.key, short(&r.text)),
            ));
        }
    }
    Ok(out)
}

async fn ic_link_page(
    state: &AppState,
    a: &Audit,
    r: &Recommendation,
    unit: &OrgUnit,
) -> Result<FormPage> {
    let choices = ic_choices(state, unit.id).await?;
    let linked: Vec<String> = r
        .ic_links
        .iter()
        .filter(|l| l.unit_id == unit.id)
        .map(|l| format!("{} {}", l.target.label_sv(), l.target.id()))
        .collect();
    let intro = if linked.is_empty() {
        "Om nämnden hanterar rekommendationen i sin internkontrollplan: välj åtgärden, kontrollen eller risken. Den räknas då som nämndens planerade åtgärd.".to_string()
    } else {
        format!("Kopplad till: {}. Välj en till, eller ta bort en koppling från rekommendationens sida.", linked.join(", "))
    };
    Ok(page(
        format!(
            "Koppla rekommendation {} till intern kontroll för {}",
            r.number, unit.name
        ),
        Some(intro),
        format!("/org/{}/recommendations/{}/ic-links", unit.id, r.id),
        format!("/recommendations/{}", r.id),
        "Koppla",
        crate::audits::recommendation_trail(a, r).after_start(),
        vec![Field::new(
            "target",
            "Post i internkontrollplanen",
            FieldKind::Select(choices),
        )
        .required()
        .hint("Nämndens planer, nyast först.")],
    ))
}

fn parse_target(
    input: &Input,
    allowed: &[(String, String)],
) -> std::result::Result<IcTarget, Errors> {
    let mut e = Errors::default();
    let raw = e.choice(input, "target", |v| Some(v.to_string()));
    let target = raw.as_deref().and_then(|v| {
        let (kind, id) = v.split_once(':')?;
        IcTarget::parse(kind, id.parse().ok()?)
    });
    match (raw, target) {
        (Some(raw), Some(t)) if allowed.iter().any(|(v, _)| *v == raw) => Ok(t),
        (Some(raw), _) => {
            e.add("target", uppsikt_domain::messages::unknown_choice(&raw));
            Err(e)
        }
        _ => Err(e),
    }
}

pub async fn ic_link_form(
    State(state): State<AppState>,
    Path(UnitRec { id, rec }): Path<UnitRec>,
) -> Result<Response> {
    let (a, r) = audit_of_rec(&state, rec).await?;
    if !r.addressees.contains(&id) {
        return Err(AppError::NotFound);
    }
    let unit = state.store.org_unit(id).await?;
    ic_link_page(&state, &a, &r, &unit).await?.render_page()
}

pub async fn save_ic_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(UnitRec { id, rec }): Path<UnitRec>,
    super::Form(input): super::Form,
) -> Result<Response> {
    let (a, r) = audit_of_rec(&state, rec).await?;
    if !r.addressees.contains(&id) {
        return Err(AppError::NotFound);
    }
    let unit = state.store.org_unit(id).await?;
    // Only the board's own items can be chosen.
    let allowed = ic_choices(&state, id).await?;
    let post = Post::new(&state, viewer, id, input);
    let parsed = parse_target(&post.input, &allowed);
    post.submit(
        async || ic_link_page(&state, &a, &r, &unit).await,
        parsed,
        async |w, target| {
            audit_at(
                w.link_ic(
                    r.id,
                    IcLink {
                        unit_id: id,
                        target,
                    },
                )
                .await,
                "target",
            )?;
            Ok(format!("/recommendations/{}", r.id))
        },
    )
    .await
}

/// `POST /org/{id}/recommendations/{rec}/ic-links/remove`: removes the board's link to an
/// item of internal control (one the recommendation has for that board; else not found).
pub async fn remove_ic_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(UnitRec { id, rec }): Path<UnitRec>,
    super::Form(input): super::Form,
) -> Result<Response> {
    let (_, r) = audit_of_rec(&state, rec).await?;
    let link = input
        .get("target")
        .and_then(|v| v.split_once(':'))
        .and_then(|(kind, target)| IcTarget::parse(kind, target.parse().ok()?))
        .map(|target| IcLink {
            unit_id: id,
            target,
        })
        .filter(|l| r.ic_links.contains(l))
        .ok_or(AppError::NotFound)?;
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    w.unlink_ic(r.id, link).await?;
    w.commit().await?;
    Ok(crate::flash::set(
        super::saved(format!("/recommendations/{}", r.id)),
        &uppsikt_domain::messages::forms::saved(1),
    ))
}

// ---- The report PDF ----

#[derive(askama::Template)]
#[template(path = "audit_upload.html")]
struct UploadPage {
    crumbs: String,
    audit: Audit,
    error: Option<String>,
    max_mb: usize,
}

fn upload_page(a: Audit, error: Option<String>) -> Result<Response> {
    use askama::Template;
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let html = UploadPage {
        crumbs: crate::audits::audit_trail(&a)
            .then(format!("/audits/{}/report", a.id), "Bifoga rapporten")
            .html(),
        audit: a,
        error,
        max_mb: audit::MAX_REPORT_BYTES / (1024 * 1024),
    }
    .render()?;
    Ok(axum::response::IntoResponse::into_response((
        status,
        axum::response::Html(html),
    )))
}

pub async fn report_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    upload_page(state.store.audit(id).await?, None)
}

/// `POST /audits/{id}/report` (multipart): the report PDF, read within the limit; a file
/// that is not a PDF, or too large, is refused and nothing is stored.
pub async fn upload_report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    crate::auth::CheckedUpload(mut form): crate::auth::CheckedUpload,
) -> Result<Response> {
    let a = state.store.audit(id).await?;
    let refuse = |r: audit::AuditRefusal| Some(msg::refusal(&r));
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return upload_page(a, refuse(audit::AuditRefusal::ReportTooLarge)),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .unwrap_or("granskningsrapport.pdf")
            .to_string();
        let mut bytes = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > audit::MAX_REPORT_BYTES => {
                    return upload_page(a, refuse(audit::AuditRefusal::ReportTooLarge))
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => return upload_page(a, refuse(audit::AuditRefusal::ReportTooLarge)),
            }
        }
        file = Some((name, bytes));
    }
    let Some((name, bytes)) = file else {
        return upload_page(a, refuse(audit::AuditRefusal::NotPdf));
    };
    if let Err(r) = audit::check_report(&bytes) {
        return upload_page(a, refuse(r));
    }
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    match w.attach_audit_report(id, &name, &bytes).await {
        Ok(()) => {}
        Err(StoreError::Audit(r)) => return upload_page(a, refuse(r)),
        Err(e) => return Err(e.into()),
    }
    w.commit().await?;
    Ok(crate::flash::set(
        super::saved(format!("/audits/{id}")),
        &uppsikt_domain::messages::forms::saved(1),
    ))
}
