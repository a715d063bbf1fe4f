//! Internal control's forms: a board's plan for a year (new; its header with the adoption
//! decision, the risk analysis and the assessments), its risks (with an optional score in
//! the plan's matrix), actions (status, verified effect, amended wording), controls and
//! contract follow-ups, recording a control occurrence, discontinuing a control, choosing
//! the plan's matrix, carrying the unfinished over into next year, KS's common items and
//! the municipality's risk matrices.
//!
//! Guards (`lib.rs`): every form on a plan or its items is in the [`Action::Edit`] group
//! (the path's first segment names the kind, the store its unit); pushing KS's common
//! items and saving a risk matrix are [`Action::ManageInternalControl`]'s.
//!
//! [`Action::Edit`]: uppsikt_domain::access::Action::Edit
//! [`Action::ManageInternalControl`]: uppsikt_domain::access::Action::ManageInternalControl

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::internal_control::{
    planned_dates, ActionSource, ActionStatus, Adoption, Blocker, ContractFollowUp, ControlKind,
    ControlPlan, ControlResult, Discontinuation, Execution, FirstDocumented, Handling,
    OverallAssessment, RiskAnalysis, RiskScore, Verification,
};
use uppsikt_domain::messages::internal_control as msg;
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_store::{ActionInput, ControlInput, NewControlPlan, PlanHeader, RiskInput, StoreError};

use super::{
    options, Errors, Field, FieldKind, FormPage, Input, Post, Refusal, RefusedAt, NAME_MAX,
    TEXT_MAX,
};
use crate::auth::Viewer;
use crate::error::{Path, Result};
use crate::AppState;

/// Where a plan's page is, with an anchor.
fn plan_href(plan_id: Id, anchor: &str) -> String {
    if anchor.is_empty() {
        format!("/internal-control/{plan_id}")
    } else {
        format!("/internal-control/{plan_id}#{anchor}")
    }
}

/// The trail to a plan (`internal_control::plan_trail`) for a form.
async fn plan_crumbs(state: &AppState, plan: &ControlPlan) -> Result<Vec<(String, String)>> {
    let units = state.store.org_units().await?;
    Ok(crate::internal_control::plan_trail(&units, plan).after_start())
}

fn page(
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

/// The plan holding an item of `kind`.
async fn plan_of(state: &AppState, kind: ObjectKind, id: Id) -> Result<ControlPlan> {
    let plan_id = state.store.control_plan_id_of(kind, id).await?;
    Ok(state.store.control_plan(plan_id).await?)
}

fn yes_no() -> Vec<(String, String)> {
    vec![("yes".into(), "Ja".into()), ("no".into(), "Nej".into())]
}

/// Whether a checkbox (named `{field}-{value}` by `form.html`) was ticked.
fn checked(input: &Input, name: &str) -> bool {
    input.get(name).is_some_and(|v| !v.is_empty())
}

/// A write keyed by the plan's own label: a label taken is the user's to mend, at the
/// key field; other refusals as [`RefusedAt`] places them.
fn keyed<T>(r: std::result::Result<T, StoreError>, key: &str) -> std::result::Result<T, Refusal> {
    match r {
        Err(StoreError::Duplicate(_)) => Err(Refusal::at("key", msg::key_taken(key))),
        other => other.at("key"),
    }
}

// ---- A new plan ----

fn new_plan_fields() -> Vec<Field> {
    vec![
        Field::new("year", "År", FieldKind::Integer).required(),
        Field::new("rule_ref", "Regelverk", FieldKind::Text)
            .hint("Kommunens reglemente för intern kontroll, t.ex. HKF 9410."),
        Field::new("legal_basis", "Lagstöd", FieldKind::Text).hint("T.ex. KL 6:6."),
    ]
}

async fn new_plan_page(state: &AppState, org_id: Id) -> Result<FormPage> {
    let org = state.store.org_unit(org_id).await?;
    Ok(page(
        format!("Ny internkontrollplan för {}", org.name),
        Some("Planen samlar årets risker, riskreducerande åtgärder, systematiska kontroller och avtalsuppföljningar. Beslutet om att anta planen registreras när nämnden har fattat det.".into()),
        format!("/org/{org_id}/internal-control/new"),
        format!("/org/{org_id}"),
        "Skapa planen",
        vec![(format!("/org/{org_id}"), org.name)],
        new_plan_fields(),
    ))
}

#[derive(serde::Deserialize, Default)]
pub struct YearQuery {
    pub year: Option<String>,
}

pub async fn new_plan_form(
    State(state): State<AppState>,
    Path(org_id): Path<Id>,
    crate::error::Query(q): crate::error::Query<YearQuery>,
) -> Result<Response> {
    let year = q.year.unwrap_or_default();
    new_plan_page(&state, org_id)
        .await?
        .with_values([
            ("year", year),
            ("rule_ref", String::new()),
            ("legal_basis", "KL 6:6".to_string()),
        ])
        .render_page()
}

fn parse_new_plan(org_id: Id, input: &Input) -> std::result::Result<NewControlPlan, Errors> {
    let mut e = Errors::default();
    let year = e.integer(input, "year", 1900, 2200);
    let rule_ref = e.optional_text(input, "rule_ref", NAME_MAX);
    let legal_basis = e.optional_text(input, "legal_basis", NAME_MAX);
    match (year, e.is_empty()) {
        (Some(year), true) => Ok(NewControlPlan {
            org_id,
            year: year as i32,
            rule_ref,
            legal_basis,
        }),
        _ => Err(e),
    }
}

pub async fn create_plan(post: Post) -> Result<Response> {
    let (state, org_id) = (&post.state, post.id);
    let form = async || new_plan_page(state, org_id).await;
    let parsed = parse_new_plan(org_id, &post.input);
    post.submit(form, parsed, async |w, p| {
        let year = p.year;
        let id = match w.create_control_plan(&p).await {
            Err(StoreError::Duplicate(_)) => {
                return Err(Refusal::at("year", msg::plan_exists(year)))
            }
            other => other.at("year")?,
        };
        Ok(plan_href(id, ""))
    })
    .await
}

// ---- The plan's header ----

fn header_fields() -> Vec<Field> {
    vec![
        Field::new("rule_ref", "Regelverk", FieldKind::Text)
            .hint("Kommunens reglemente för intern kontroll, t.ex. HKF 9410."),
        Field::new("legal_basis", "Lagstöd", FieldKind::Text).hint("T.ex. KL 6:6."),
        Field::new("adopted_body", "Antagen av", FieldKind::Text)
            .hint("Organet som antog planen. Lämna beslutsfälten tomma tills beslutet är fattat."),
        Field::new("adopted_on", "Beslutsdatum", FieldKind::Date),
        Field::new("adopted_paragraph", "Paragraf", FieldKind::Text).hint("T.ex. § 12."),
        Field::new("adopted_diary_number", "Diarienummer", FieldKind::Text),
        Field::new(
            "analysis_on",
            "Risk- och väsentlighetsanalysen hölls",
            FieldKind::Date,
        ),
        Field::new(
            "analysis_participants",
            "Deltagare i riskanalysen",
            FieldKind::Textarea(3),
        )
        .hint("Vilka som deltog: förtroendevalda, förvaltningsledning, handläggare."),
        Field::new(
            "analysis_elected",
            "Deltog förtroendevalda?",
            FieldKind::Radios(vec![
                ("yes".into(), "Ja".into()),
                ("no".into(), "Nej".into()),
                ("unknown".into(), "Uppgift saknas".into()),
            ]),
        ),
        Field::new("self_level", "Nämndens bedömning", FieldKind::Text).hint("T.ex. Godtagbar."),
        Field::new("self_motivation", "Motivering", FieldKind::Textarea(4)),
        Field::new("self_source", "Var bedömningen står", FieldKind::Text)
            .hint("T.ex. Verksamhetsberättelse 2019."),
        Field::new("auditor_level", "Revisorernas bedömning", FieldKind::Text)
            .hint("T.ex. Delvis."),
        Field::new(
            "auditor_motivation",
            "Revisorernas motivering",
            FieldKind::Textarea(4),
        ),
        Field::new("auditor_source", "Granskning", FieldKind::Text)
            .hint("Granskningens namn eller diarienummer."),
    ]
}

fn header_values(plan: &ControlPlan) -> Vec<(&'static str, String)> {
    let a = plan.adoption.as_ref();
    let r = plan.risk_analysis.as_ref();
    let s = plan.self_assessment.as_ref();
    let au = plan.auditor_assessment.as_ref();
    vec![
        ("rule_ref", plan.rule_ref.clone()),
        ("legal_basis", plan.legal_basis.clone()),
        (
            "adopted_body",
            a.map(|a| a.body.clone()).unwrap_or_default(),
        ),
        (
            "adopted_on",
            a.map(|a| a.decided_on.clone()).unwrap_or_default(),
        ),
        (
            "adopted_paragraph",
            a.map(|a| a.paragraph.clone()).unwrap_or_default(),
        ),
        (
            "adopted_diary_number",
            a.map(|a| a.diary_number.clone()).unwrap_or_default(),
        ),
        (
            "analysis_on",
            r.and_then(|r| r.held_on.clone()).unwrap_or_default(),
        ),
        (
            "analysis_participants",
            r.map(|r| r.participants.clone()).unwrap_or_default(),
        ),
        (
            "analysis_elected",
            match r.map(|r| r.elected_members_took_part) {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            }
            .into(),
        ),
        ("self_level", s.map(|a| a.level.clone()).unwrap_or_default()),
        (
            "self_motivation",
            s.map(|a| a.motivation.clone()).unwrap_or_default(),
        ),
        (
            "self_source",
            s.map(|a| a.source.clone()).unwrap_or_default(),
        ),
        (
            "auditor_level",
            au.map(|a| a.level.clone()).unwrap_or_default(),
        ),
        (
            "auditor_motivation",
            au.map(|a| a.motivation.clone()).unwrap_or_default(),
        ),
        (
            "auditor_source",
            au.map(|a| a.source.clone()).unwrap_or_default(),
        ),
    ]
}

async fn header_page(state: &AppState, plan: &ControlPlan) -> Result<FormPage> {
    Ok(page(
        format!("Uppgifter om internkontrollplanen {}", plan.year),
        Some("Ett beslut registreras med organ, datum och paragraf; lämna alla beslutsfält tomma så länge planen inte är antagen. Det som sparas syns i planens historik.".into()),
        format!("/internal-control/{}/edit", plan.id),
        plan_href(plan.id, ""),
        "Spara",
        plan_crumbs(state, plan).await?,
        header_fields(),
    ))
}

pub async fn header_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    header_page(&state, &plan)
        .await?
        .with_values(header_values(&plan))
        .render_page()
}

/// An assessment from its three fields: none when all are empty; a level is needed
/// when a motivation or source is given.
fn assessment(
    e: &mut Errors,
    input: &Input,
    (level, motivation, source): (&'static str, &'static str, &'static str),
) -> Option<OverallAssessment> {
    let l = e.optional_text(input, level, NAME_MAX);
    let m = e.optional_paragraphs(input, motivation, TEXT_MAX);
    let s = e.optional_text(input, source, NAME_MAX);
    if l.is_empty() && m.is_empty() && s.is_empty() {
        return None;
    }
    if l.is_empty() {
        e.add(level, uppsikt_domain::messages::REQUIRED);
        return None;
    }
    Some(OverallAssessment {
        level: l,
        motivation: m,
        source: s,
    })
}

fn parse_header(input: &Input) -> std::result::Result<PlanHeader, Errors> {
    let mut e = Errors::default();
    let rule_ref = e.optional_text(input, "rule_ref", NAME_MAX);
    let legal_basis = e.optional_text(input, "legal_basis", NAME_MAX);
    let body = e.optional_text(input, "adopted_body", NAME_MAX);
    let on = e.optional_date(input, "adopted_on");
    let paragraph = e.optional_text(input, "adopted_paragraph", NAME_MAX);
    let diary = e.optional_text(input, "adopted_diary_number", NAME_MAX);
    let adoption = match on {
        Some(on)
            if body.is_empty() && on.is_empty() && paragraph.is_empty() && diary.is_empty() =>
        {
            None
        }
        Some(on) => {
            if body.is_empty() {
                e.add("adopted_body", uppsikt_domain::messages::REQUIRED);
            }
            if on.is_empty() {
                e.add("adopted_on", uppsikt_domain::messages::REQUIRED);
            }
            if paragraph.is_empty() {
                e.add("adopted_paragraph", uppsikt_domain::messages::REQUIRED);
            }
            Some(Adoption {
                body,
                decided_on: on,
                paragraph,
                diary_number: diary,
            })
        }
        None => None,
    };
    let held = e.optional_date(input, "analysis_on");
    let participants = e.optional_paragraphs(input, "analysis_participants", TEXT_MAX);
    let elected = match input.get("analysis_elected").map(String::as_str) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        None | Some("") | Some("unknown") => None,
        Some(other) => {
            e.add(
                "analysis_elected",
                uppsikt_domain::messages::unknown_choice(other),
            );
            None
        }
    };
    let risk_analysis = match (held, elected) {
        (Some(h), Some(took_part)) => Some(RiskAnalysis {
            held_on: (!h.is_empty()).then_some(h),
            participants,
            elected_members_took_part: took_part,
        }),
        (Some(h), None) if !h.is_empty() || !participants.is_empty() => {
            e.add("analysis_elected", msg::ELECTED_MEMBERS);
            None
        }
        _ => None,
    };
    let self_assessment = assessment(
        &mut e,
        input,
        ("self_level", "self_motivation", "self_source"),
    );
    let auditor_assessment = assessment(
        &mut e,
        input,
        ("auditor_level", "auditor_motivation", "auditor_source"),
    );
    if !e.is_empty() {
        return Err(e);
    }
    Ok(PlanHeader {
        rule_ref,
        legal_basis,
        adoption,
        risk_analysis,
        self_assessment,
        auditor_assessment,
    })
}

pub async fn save_header(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || header_page(state, &plan).await;
    let parsed = parse_header(&post.input);
    post.submit(form, parsed, async |w, h| {
        w.update_control_plan(id, &h).await.at("adopted_body")?;
        Ok(plan_href(id, ""))
    })
    .await
}

// ---- Risks ----

fn score_options(
    plan: &ControlPlan,
    axis: fn(&uppsikt_domain::internal_control::RiskMatrix) -> &Vec<String>,
) -> FieldKind {
    let mut opts = vec![(String::new(), "Ej bedömd".to_string())];
    if let Some(m) = &plan.matrix {
        opts.extend(
            axis(m)
                .iter()
                .enumerate()
                .map(|(i, l)| ((i + 1).to_string(), format!("{} – {l}", i + 1))),
        );
    }
    FieldKind::Select(opts)
}

fn risk_fields(plan: &ControlPlan) -> Vec<Field> {
    let mut f = vec![
        Field::new("key", "Beteckning", FieldKind::Text)
            .required()
            .hint("Planens egen beteckning, t.ex. RK01."),
        Field::new("area", "Process eller område", FieldKind::Text)
            .hint("T.ex. Informationssäkerhet."),
        Field::new("text", "Risk", FieldKind::Textarea(3)).required(),
        Field::new("background", "Bakgrund", FieldKind::Textarea(3)),
        Field::new("first_documented", "Först dokumenterad", FieldKind::Text)
            .hint("Årtal, eller ≤2012 för ”2012 eller tidigare”."),
        Field::new(
            "common",
            "Kommungemensam",
            FieldKind::Checkboxes(vec![(
                "yes".into(),
                "Ska föras in i alla nämnders planer".into(),
            )]),
        ),
    ];
    if plan.matrix.is_some() {
        f.extend([
            Field::new(
                "gross_p",
                "Bruttorisk: sannolikhet",
                score_options(plan, |m| &m.probability),
            ),
            Field::new(
                "gross_c",
                "Bruttorisk: konsekvens",
                score_options(plan, |m| &m.consequence),
            ),
            Field::new(
                "net_p",
                "Nettorisk: sannolikhet",
                score_options(plan, |m| &m.probability),
            ),
            Field::new(
                "net_c",
                "Nettorisk: konsekvens",
                score_options(plan, |m| &m.consequence),
            ),
        ]);
    }
    f.extend([
        Field::new(
            "handling",
            "Hantering",
            options([
                ("", "Inte vald"),
                ("action", "Åtgärd"),
                ("control", "Kontroll"),
                ("accept", "Acceptera"),
            ]),
        ),
        Field::new(
            "accept_motivation",
            "Motivering för att acceptera",
            FieldKind::Textarea(3),
        ),
    ]);
    f
}

async fn risk_page(
    state: &AppState,
    plan: &ControlPlan,
    action: String,
    title: String,
) -> Result<FormPage> {
    Ok(page(
        title,
        None,
        action,
        plan_href(plan.id, ""),
        "Spara risken",
        plan_crumbs(state, plan).await?,
        risk_fields(plan),
    ))
}

fn parse_score(
    e: &mut Errors,
    input: &Input,
    p: &'static str,
    c: &'static str,
) -> Option<Option<RiskScore>> {
    let pv = e.optional_integer(input, p, 1, 10)?;
    let cv = e.optional_integer(input, c, 1, 10)?;
    match (pv, cv) {
        (None, None) => Some(None),
        (Some(p), Some(c)) => Some(Some(RiskScore {
            probability: p as u8,
            consequence: c as u8,
        })),
        (None, Some(_)) => {
            e.add(p, uppsikt_domain::messages::REQUIRED);
            None
        }
        (Some(_), None) => {
            e.add(c, uppsikt_domain::messages::REQUIRED);
            None
        }
    }
}

fn parse_risk(plan: &ControlPlan, input: &Input) -> std::result::Result<RiskInput, Errors> {
    let mut e = Errors::default();
    let key = e.text(input, "key", 40);
    let area = e.optional_text(input, "area", NAME_MAX);
    let text = e.paragraphs(input, "text", TEXT_MAX);
    let background = e.optional_paragraphs(input, "background", TEXT_MAX);
    let first_raw = e.optional_text(input, "first_documented", 40);
    let first_documented = if first_raw.is_empty() {
        None
    } else {
        let f = FirstDocumented::parse(&first_raw);
        if f.is_none() {
            e.add("first_documented", msg::first_documented(&first_raw));
        }
        f
    };
    let (gross, net) = if plan.matrix.is_some() {
        (
            parse_score(&mut e, input, "gross_p", "gross_c").flatten(),
            parse_score(&mut e, input, "net_p", "net_c").flatten(),
        )
    } else {
        (None, None)
    };
    if let Some(m) = &plan.matrix {
        for (score, field) in [(gross, "gross_p"), (net, "net_p")] {
            if let Some(s) = score {
                if let Err(err) = m.check(s) {
                    e.add(field, msg::matrix(&err));
                }
            }
        }
    }
    let motivation = e.optional_paragraphs(input, "accept_motivation", TEXT_MAX);
    let handling = match input.get("handling").map(|s| s.trim()) {
        None | Some("") => None,
        Some("action") => Some(Handling::Action),
        Some("control") => Some(Handling::Control),
        Some("accept") if motivation.is_empty() => {
            e.add("accept_motivation", msg::ACCEPT_MOTIVATION);
            None
        }
        Some("accept") => Some(Handling::Accept { motivation }),
        Some(other) => {
            e.add("handling", uppsikt_domain::messages::unknown_choice(other));
            None
        }
    };
    match (key, text, e.is_empty()) {
        (Some(key), Some(text), true) => Ok(RiskInput {
            key,
            area,
            text,
            background,
            first_documented,
            common: checked_box(input, "common"),
            gross,
            net,
            handling,
        }),
        _ => Err(e),
    }
}

/// A single checkbox named `{name}-yes`.
fn checked_box(input: &Input, name: &str) -> bool {
    checked(input, &format!("{name}-yes"))
}

pub async fn new_risk_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    risk_page(
        &state,
        &plan,
        format!("/internal-control/{id}/risks/new"),
        format!("Ny risk i internkontrollplanen {}", plan.year),
    )
    .await?
    .render_page()
}

pub async fn create_risk(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || {
        risk_page(
            state,
            &plan,
            format!("/internal-control/{id}/risks/new"),
            format!("Ny risk i internkontrollplanen {}", plan.year),
        )
        .await
    };
    let parsed = parse_risk(&plan, &post.input);
    post.submit(form, parsed, async |w, r| {
        let risk_id = keyed(w.add_risk(id, &r).await, &r.key)?;
        Ok(plan_href(id, &format!("risk-{risk_id}")))
    })
    .await
}

fn risk_values(plan: &ControlPlan, risk_id: Id) -> Vec<(&'static str, String)> {
    let Some(r) = plan.risks.iter().find(|r| r.id == risk_id) else {
        return Vec::new();
    };
    let mut v = vec![
        ("key", r.key.clone()),
        ("area", r.area.clone()),
        ("text", r.text.clone()),
        ("background", r.background.clone()),
        (
            "first_documented",
            r.first_documented.map(|f| f.code()).unwrap_or_default(),
        ),
        (
            "common",
            if r.common {
                "yes".into()
            } else {
                String::new()
            },
        ),
        (
            "handling",
            r.handling
                .as_ref()
                .map(|h| h.code().to_string())
                .unwrap_or_default(),
        ),
        (
            "accept_motivation",
            match &r.handling {
                Some(Handling::Accept { motivation }) => motivation.clone(),
                _ => String::new(),
            },
        ),
    ];
    if plan.matrix.is_some() {
        let n = |s: Option<RiskScore>, f: fn(RiskScore) -> u8| {
            s.map(|s| f(s).to_string()).unwrap_or_default()
        };
        v.extend([
            ("gross_p", n(r.gross, |s| s.probability)),
            ("gross_c", n(r.gross, |s| s.consequence)),
            ("net_p", n(r.net, |s| s.probability)),
            ("net_c", n(r.net, |s| s.consequence)),
        ]);
    }
    v
}

pub async fn edit_risk_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let plan = plan_of(&state, ObjectKind::IcRisk, id).await?;
    risk_page(
        &state,
        &plan,
        format!("/ic-risks/{id}/edit"),
        "Ändra risken".into(),
    )
    .await?
    .with_values(risk_values(&plan, id))
    .render_page()
}

pub async fn update_risk(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = plan_of(state, ObjectKind::IcRisk, id).await?;
    let form = async || {
        risk_page(
            state,
            &plan,
            format!("/ic-risks/{id}/edit"),
            "Ändra risken".into(),
        )
        .await
    };
    let parsed = parse_risk(&plan, &post.input);
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, r| {
        keyed(w.update_risk(id, &r).await, &r.key)?;
        Ok(plan_href(plan_id, &format!("risk-{id}")))
    })
    .await
}

// ---- Actions ----

fn action_fields(plan: &ControlPlan, except: Option<Id>) -> Vec<Field> {
    let risks: Vec<(String, String)> = plan
        .risks
        .iter()
        .map(|r| (r.id.to_string(), format!("{} {}", r.key, r.text)))
        .collect();
    let mut blockers = vec![(String::new(), "Inget".to_string())];
    blockers.extend(
        plan.actions
            .iter()
            .filter(|a| Some(a.id) != except)
            .map(|a| (a.id.to_string(), format!("{} {}", a.key, a.text))),
    );
    vec![
        Field::new("key", "Beteckning", FieldKind::Text)
            .required()
            .hint("Planens egen beteckning, t.ex. R07."),
        Field::new("text", "Åtgärd", FieldKind::Textarea(3)).required(),
        Field::new("responsible", "Ansvarig", FieldKind::Text)
            .hint("Chefen för den del av verksamheten som utsätts för risken."),
        Field::new(
            "risks",
            "Risker som åtgärden minskar",
            FieldKind::Checkboxes(risks),
        ),
        Field::new("case_ref", "Rekommendation: diarienummer", FieldKind::Text).hint(
            "När åtgärden också svarar på en revision eller granskning, t.ex. KS-2018/753.912.",
        ),
        Field::new("case_title", "Rekommendation: granskning", FieldKind::Text),
        Field::new(
            "blocked_by",
            "Väntar på åtgärd",
            FieldKind::Select(blockers),
        ),
        Field::new("blocked_by_text", "Väntar på annat", FieldKind::Text)
            .hint("T.ex. ett beslut i fullmäktige."),
    ]
}

async fn action_page(state: &AppState, plan: &ControlPlan) -> Result<FormPage> {
    Ok(page(
        format!("Ny åtgärd i internkontrollplanen {}", plan.year),
        Some("En åtgärd kan minska flera risker och samtidigt svara på en rekommendation; den förs då in en gång.".into()),
        format!("/internal-control/{}/actions/new", plan.id),
        plan_href(plan.id, ""),
        "Spara åtgärden",
        plan_crumbs(state, plan).await?,
        action_fields(plan, None),
    ))
}

pub async fn new_action_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    action_page(&state, &plan).await?.render_page()
}

fn parse_action(plan: &ControlPlan, input: &Input) -> std::result::Result<ActionInput, Errors> {
    let mut e = Errors::default();
    let key = e.text(input, "key", 40);
    let text = e.paragraphs(input, "text", TEXT_MAX);
    let responsible = e.optional_text(input, "responsible", NAME_MAX);
    let mut sources = Vec::new();
    for r in &plan.risks {
        if checked(input, &format!("risks-{}", r.id)) {
            sources.push(ActionSource::Risk { risk_id: r.id });
        }
    }
    let case_ref = e.optional_text(input, "case_ref", NAME_MAX);
    let case_title = e.optional_text(input, "case_title", NAME_MAX);
    if !case_ref.is_empty() || !case_title.is_empty() {
        if case_ref.is_empty() {
            e.add("case_ref", uppsikt_domain::messages::REQUIRED);
        }
        sources.push(ActionSource::Recommendation {
            case_ref,
            title: case_title,
        });
    }
    let blocked = e.optional_id(input, "blocked_by");
    let blocked_text = e.optional_text(input, "blocked_by_text", NAME_MAX);
    let blocked_by = match blocked {
        Some(Some(b)) if plan.actions.iter().any(|a| a.id == b) => Some(Blocker::Action(b)),
        Some(Some(b)) => {
            e.add(
                "blocked_by",
                uppsikt_domain::messages::unknown_choice(&b.to_string()),
            );
            None
        }
        _ if !blocked_text.is_empty() => Some(Blocker::Other(blocked_text)),
        _ => None,
    };
    match (key, text, e.is_empty()) {
        (Some(key), Some(text), true) => Ok(ActionInput {
            key,
            text,
            responsible,
            sources,
            blocked_by,
        }),
        _ => Err(e),
    }
}

pub async fn create_action(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || action_page(state, &plan).await;
    let parsed = parse_action(&plan, &post.input);
    post.submit(form, parsed, async |w, a| {
        let action_id = keyed(w.add_ic_action(id, &a).await, &a.key)?;
        Ok(plan_href(id, &format!("action-{action_id}")))
    })
    .await
}

// ---- An action's status, verification and amendment ----

async fn action_of(
    state: &AppState,
    id: Id,
) -> Result<(ControlPlan, uppsikt_domain::internal_control::IcAction)> {
    let plan = plan_of(state, ObjectKind::IcAction, id).await?;
    let a = plan
        .actions
        .iter()
        .find(|a| a.id == id)
        .cloned()
        .ok_or(crate::error::AppError::NotFound)?;
    Ok((plan, a))
}

/// The three forms on one action: its status, its verified effect, its wording.
#[derive(Clone, Copy)]
enum ActionForm {
    Status,
    Verify,
    Amend,
}

impl ActionForm {
    /// The last segment of the form's path.
    fn segment(self) -> &'static str {
        match self {
            ActionForm::Status => "status",
            ActionForm::Verify => "verify",
            ActionForm::Amend => "amend",
        }
    }
}

/// One of an action's forms, under its plan's trail.
async fn action_form_page(
    state: &AppState,
    plan: &ControlPlan,
    a: &uppsikt_domain::internal_control::IcAction,
    which: ActionForm,
) -> Result<FormPage> {
    let (title, intro, submit, fields) = match which {
        ActionForm::Status => (
            format!("Status för åtgärd {}", a.key),
            a.text.clone(),
            "Spara status",
            status_fields(),
        ),
        ActionForm::Verify => (
            format!("Verifiera effekten av åtgärd {}", a.key),
            format!("{} En åtgärd kan vara klar utan att effekten är verifierad; här registreras vem som verifierade, hur och när.", a.text),
            "Spara verifieringen",
            verify_fields(),
        ),
        ActionForm::Amend => (
            format!("Ändra lydelsen av åtgärd {}", a.key),
            format!("Gällande lydelse: ”{}”", a.text),
            "Spara ändringen",
            amend_fields(),
        ),
    };
    Ok(page(
        title,
        Some(intro),
        format!("/ic-actions/{}/{}", a.id, which.segment()),
        plan_href(plan.id, &format!("action-{}", a.id)),
        submit,
        plan_crumbs(state, plan).await?,
        fields,
    ))
}

fn status_fields() -> Vec<Field> {
    vec![
        Field::new(
            "status",
            "Status",
            FieldKind::Radios(vec![
                ("done".into(), "Klart".into()),
                ("not_done".into(), "Ej klart i år".into()),
            ]),
        )
        .required(),
        Field::new("done_on", "Klar den", FieldKind::Date),
        Field::new("comment", "Kommentar", FieldKind::Textarea(4))
            .hint("Vad som är gjort och vad som återstår; ett nytt måldatum när åtgärden inte blir klar i år."),
    ]
}

pub async fn status_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (plan, a) = action_of(&state, id).await?;
    action_form_page(&state, &plan, &a, ActionForm::Status)
        .await?
        .with_values([
            ("status", a.status.code().to_string()),
            ("done_on", a.done_on.clone().unwrap_or_default()),
            ("comment", a.comment.clone()),
        ])
        .render_page()
}

pub async fn save_status(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let (plan, a) = action_of(state, id).await?;
    let form = async || action_form_page(state, &plan, &a, ActionForm::Status).await;
    let mut e = Errors::default();
    let status = e.choice(&post.input, "status", ActionStatus::parse);
    let done_on = e.optional_date(&post.input, "done_on");
    let comment = e.optional_paragraphs(&post.input, "comment", TEXT_MAX);
    let parsed = match (status, done_on, e.is_empty()) {
        (Some(s), Some(d), true) => Ok((s, d, comment)),
        _ => Err(e),
    };
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, (s, d, c)| {
        let on = (!d.is_empty()).then_some(d);
        w.set_action_status(id, s, on.as_deref(), &c)
            .await
            .at("status")?;
        Ok(plan_href(plan_id, &format!("action-{id}")))
    })
    .await
}

fn verify_fields() -> Vec<Field> {
    vec![
        Field::new("by", "Verifierad av", FieldKind::Text).required(),
        Field::new("how", "Hur effekten verifierades", FieldKind::Textarea(3))
            .required()
            .hint("T.ex. stickprov, uppföljning i ledningsgruppen."),
        Field::new("on", "Datum", FieldKind::Date).required(),
    ]
}

pub async fn verify_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (plan, a) = action_of(&state, id).await?;
    let v = a.verification.clone();
    action_form_page(&state, &plan, &a, ActionForm::Verify)
        .await?
        .with_values([
            ("by", v.as_ref().map(|v| v.by.clone()).unwrap_or_default()),
            ("how", v.as_ref().map(|v| v.how.clone()).unwrap_or_default()),
            ("on", v.map(|v| v.on).unwrap_or_default()),
        ])
        .render_page()
}

pub async fn verify(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let (plan, a) = action_of(state, id).await?;
    let form = async || action_form_page(state, &plan, &a, ActionForm::Verify).await;
    let mut e = Errors::default();
    let by = e.text(&post.input, "by", NAME_MAX);
    let how = e.paragraphs(&post.input, "how", TEXT_MAX);
    let on = e.date(&post.input, "on");
    let mut parsed = match (by, how, on, e.is_empty()) {
        (Some(by), Some(how), Some(on), true) => Ok(Verification { by, how, on }),
        _ => Err(e),
    };
    if parsed.is_ok() && a.status != ActionStatus::Done {
        let mut e = Errors::default();
        e.add("by", msg::VERIFY_NOT_DONE);
        parsed = Err(e);
    }
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, v| {
        w.verify_action(id, &v).await.at("by")?;
        Ok(plan_href(plan_id, &format!("action-{id}")))
    })
    .await
}

fn amend_fields() -> Vec<Field> {
    vec![
        Field::new("text", "Ny lydelse", FieldKind::Textarea(4)).required(),
        Field::new("reason", "Varför ändras åtgärden?", FieldKind::Textarea(3))
            .required()
            .hint("Den tidigare lydelsen sparas och visas bredvid den nya."),
    ]
}

pub async fn amend_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (plan, a) = action_of(&state, id).await?;
    action_form_page(&state, &plan, &a, ActionForm::Amend)
        .await?
        .with_values([("text", a.text.clone())])
        .render_page()
}

pub async fn amend(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let (plan, a) = action_of(state, id).await?;
    let form = async || action_form_page(state, &plan, &a, ActionForm::Amend).await;
    let mut e = Errors::default();
    let text = e.paragraphs(&post.input, "text", TEXT_MAX);
    let reason = e.paragraphs(&post.input, "reason", TEXT_MAX);
    if text.as_deref() == Some(a.text.as_str()) {
        e.add("text", msg::AMENDMENT_UNCHANGED);
    }
    let parsed = match (text, reason, e.is_empty()) {
        (Some(t), Some(r), true) => Ok((t, r)),
        _ => Err(e),
    };
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, (t, r)| {
        let today = uppsikt_store::today();
        w.amend_action(id, &t, &r, &today).await.at("text")?;
        Ok(plan_href(plan_id, &format!("action-{id}")))
    })
    .await
}

// ---- Controls ----

fn control_fields(new: bool) -> Vec<Field> {
    let mut f = vec![
        Field::new("key", "Beteckning", FieldKind::Text)
            .required()
            .hint("Planens egen beteckning, t.ex. C03, eller U01 för en avtalsuppföljning."),
        Field::new(
            "kind",
            "Slag",
            FieldKind::Radios(vec![
                ("systematic".into(), "Systematisk kontroll".into()),
                ("contract".into(), "Avtalsuppföljning".into()),
            ]),
        )
        .required(),
        Field::new("area", "Process eller område", FieldKind::Text),
        Field::new("name", "Kontroll", FieldKind::Text).required(),
        Field::new("purpose", "Syfte", FieldKind::Textarea(3)),
        Field::new("method", "Beskrivning av kontroll", FieldKind::Textarea(3))
            .hint("Hur kontrollen görs."),
        Field::new("frequency", "Frekvens", FieldKind::Text).hint("T.ex. Månadsvis, En gång per år."),
        Field::new("sample", "Urval", FieldKind::Text).hint("T.ex. minst fem oönskade händelser."),
        Field::new("planned_parameters", "Planerade parametrar", FieldKind::Text)
            .hint("T.ex. nettolöner över 50 000 kr. Den som registrerar ett tillfälle anger vilka som användes."),
        Field::new("responsible", "Ansvar", FieldKind::Text),
        Field::new("due", "Klart senast", FieldKind::Date).required(),
        Field::new("origin", "Ursprung", FieldKind::Text)
            .hint("När kontrollen kommer från annat än riskanalysen, t.ex. en revision."),
        Field::new("comment", "Kommentar", FieldKind::Textarea(3)),
        Field::new(
            "common",
            "Kommungemensam",
            FieldKind::Checkboxes(vec![(
                "yes".into(),
                "Ska föras in i alla nämnders planer".into(),
            )]),
        ),
        Field::new("follow_up_kind", "Avtalsuppföljning: typ", FieldKind::Text),
        Field::new("schedule", "Avtalsuppföljning: tidplan", FieldKind::Text),
        Field::new("interval", "Avtalsuppföljning: intervall", FieldKind::Text),
        Field::new("recipients", "Avtalsuppföljning: mottagare", FieldKind::Text),
    ];
    if new {
        f.insert(
            8,
            Field::new("occurrences", "Antal planerade tillfällen under året", FieldKind::Integer)
                .required()
                .hint("1 för en gång per år, 4 för kvartalsvis, 12 för månadsvis. Tillfällena planeras till periodernas sista dag."),
        );
    }
    f
}

async fn control_page(
    state: &AppState,
    plan: &ControlPlan,
    action: String,
    title: String,
    new: bool,
) -> Result<FormPage> {
    Ok(page(
        title,
        None,
        action,
        plan_href(plan.id, ""),
        "Spara kontrollen",
        plan_crumbs(state, plan).await?,
        control_fields(new),
    ))
}

/// The control's fields; `existing`: the control being changed (its occurrences and
/// place stay), `None` for a new one.
fn parse_control(
    plan: &ControlPlan,
    input: &Input,
    existing: Option<Id>,
) -> std::result::Result<ControlInput, Errors> {
    let new = existing.is_none();
    let mut e = Errors::default();
    let key = e.text(input, "key", 40);
    let kind = e.choice(input, "kind", |k| match k {
        "systematic" | "contract" => Some(k.to_string()),
        _ => None,
    });
    let area = e.optional_text(input, "area", NAME_MAX);
    let name = e.text(input, "name", NAME_MAX);
    let purpose = e.optional_paragraphs(input, "purpose", TEXT_MAX);
    let method = e.optional_paragraphs(input, "method", TEXT_MAX);
    let frequency = e.optional_text(input, "frequency", NAME_MAX);
    let sample = e.optional_text(input, "sample", NAME_MAX);
    let planned_parameters = e.optional_text(input, "planned_parameters", NAME_MAX);
    let responsible = e.optional_text(input, "responsible", NAME_MAX);
    let due = e.date(input, "due");
    let origin = e.optional_text(input, "origin", NAME_MAX);
    let comment = e.optional_paragraphs(input, "comment", TEXT_MAX);
    let follow_up_kind = e.optional_text(input, "follow_up_kind", NAME_MAX);
    let schedule = e.optional_text(input, "schedule", NAME_MAX);
    let interval = e.optional_text(input, "interval", NAME_MAX);
    let recipients = e.optional_text(input, "recipients", NAME_MAX);
    let count = if new {
        e.integer(input, "occurrences", 1, 366)
    } else {
        Some(0)
    };
    let (Some(key), Some(kind), Some(name), Some(due), Some(count), true) =
        (key, kind, name, due, count, e.is_empty())
    else {
        return Err(e);
    };
    Ok(ControlInput {
        key,
        kind: if kind == "contract" {
            ControlKind::ContractFollowUp(ContractFollowUp {
                follow_up_kind,
                schedule,
                interval,
                recipients,
            })
        } else {
            ControlKind::Systematic
        },
        area,
        name,
        purpose,
        method,
        frequency,
        sample,
        planned_parameters,
        responsible,
        due,
        origin,
        comment,
        common: checked_box(input, "common"),
        // On a change the occurrences stay as they are.
        planned_dates: if new {
            planned_dates(plan.year, count as usize)
        } else {
            Vec::new()
        },
    })
}

pub async fn new_control_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    control_page(
        &state,
        &plan,
        format!("/internal-control/{id}/controls/new"),
        format!("Ny kontroll i internkontrollplanen {}", plan.year),
        true,
    )
    .await?
    .with_values([
        ("kind", "systematic".to_string()),
        ("due", format!("{}-12-31", plan.year)),
        ("occurrences", "1".to_string()),
    ])
    .render_page()
}

pub async fn create_control(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || {
        control_page(
            state,
            &plan,
            format!("/internal-control/{id}/controls/new"),
            format!("Ny kontroll i internkontrollplanen {}", plan.year),
            true,
        )
        .await
    };
    let parsed = parse_control(&plan, &post.input, None);
    post.submit(form, parsed, async |w, c| {
        let control_id = keyed(w.add_control(id, &c).await, &c.key)?;
        Ok(plan_href(id, &format!("control-{control_id}")))
    })
    .await
}

fn control_values(plan: &ControlPlan, id: Id) -> Vec<(&'static str, String)> {
    let Some(c) = plan.controls.iter().find(|c| c.id == id) else {
        return Vec::new();
    };
    let f = match &c.kind {
        ControlKind::ContractFollowUp(f) => Some(f.clone()),
        ControlKind::Systematic => None,
    };
    vec![
        ("key", c.key.clone()),
        (
            "kind",
            if f.is_some() {
                "contract"
            } else {
                "systematic"
            }
            .to_string(),
        ),
        ("area", c.area.clone()),
        ("name", c.name.clone()),
        ("purpose", c.purpose.clone()),
        ("method", c.method.clone()),
        ("frequency", c.frequency.clone()),
        ("sample", c.sample.clone()),
        ("planned_parameters", c.planned_parameters.clone()),
        ("responsible", c.responsible.clone()),
        ("due", c.due.clone()),
        ("origin", c.origin.clone()),
        ("comment", c.comment.clone()),
        (
            "common",
            if c.common {
                "yes".into()
            } else {
                String::new()
            },
        ),
        (
            "follow_up_kind",
            f.as_ref()
                .map(|f| f.follow_up_kind.clone())
                .unwrap_or_default(),
        ),
        (
            "schedule",
            f.as_ref().map(|f| f.schedule.clone()).unwrap_or_default(),
        ),
        (
            "interval",
            f.as_ref().map(|f| f.interval.clone()).unwrap_or_default(),
        ),
        ("recipients", f.map(|f| f.recipients).unwrap_or_default()),
    ]
}

pub async fn edit_control_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let plan = plan_of(&state, ObjectKind::Control, id).await?;
    control_page(
        &state,
        &plan,
        format!("/ic-controls/{id}/edit"),
        "Ändra kontrollen".into(),
        false,
    )
    .await?
    .with_values(control_values(&plan, id))
    .render_page()
}

pub async fn update_control(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = plan_of(state, ObjectKind::Control, id).await?;
    let form = async || {
        control_page(
            state,
            &plan,
            format!("/ic-controls/{id}/edit"),
            "Ändra kontrollen".into(),
            false,
        )
        .await
    };
    let parsed = parse_control(&plan, &post.input, Some(id));
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, c| {
        keyed(w.update_control(id, &c).await, &c.key)?;
        Ok(plan_href(plan_id, &format!("control-{id}")))
    })
    .await
}

// ---- Recording an occurrence ----

fn occurrence_fields() -> Vec<Field> {
    vec![
        Field::new("performed", "Genomfördes kontrollen?", FieldKind::Radios(yes_no())).required(),
        Field::new("performed_on", "Genomförd den", FieldKind::Date),
        Field::new("parameters_used", "Parametrar som användes", FieldKind::Text)
            .hint("Lämna tomt om de planerade användes."),
        Field::new(
            "result",
            "Resultat",
            FieldKind::Radios(vec![
                ("without_remark".into(), "Utan anmärkning".into()),
                ("with_remark".into(), "Med anmärkning".into()),
            ]),
        ),
        Field::new("findings", "Iakttagelser", FieldKind::Textarea(4))
            .hint("Vad kontrollen fann, med siffror. Med anmärkning blir iakttagelserna en avvikelse som behöver ett beslut."),
        Field::new("reason", "Varför genomfördes den inte?", FieldKind::Textarea(3)),
    ]
}

async fn occurrence_page(
    state: &AppState,
    plan: &ControlPlan,
    control_id: Id,
    seq: i64,
) -> Result<FormPage> {
    let c = plan
        .controls
        .iter()
        .find(|c| c.id == control_id)
        .ok_or(crate::error::AppError::NotFound)?;
    let o = c
        .occurrences
        .iter()
        .find(|o| o.seq == seq)
        .ok_or(crate::error::AppError::NotFound)?;
    let planned = if c.planned_parameters.is_empty() {
        String::new()
    } else {
        format!(" Planerade parametrar: {}.", c.planned_parameters)
    };
    Ok(page(
        format!(
            "Kontroll {} – tillfälle {} ({})",
            c.key, o.seq, o.planned_on
        ),
        Some(format!(
            "{}.{planned} Att kontrollen är genomförd och vad den fann registreras var för sig.",
            c.name
        )),
        format!("/ic-controls/{control_id}/occurrences/{seq}"),
        plan_href(plan.id, &format!("occurrence-{}", o.id)),
        "Spara tillfället",
        plan_crumbs(state, plan).await?,
        occurrence_fields(),
    ))
}

fn occurrence_values(plan: &ControlPlan, control_id: Id, seq: i64) -> Vec<(&'static str, String)> {
    let o = plan
        .controls
        .iter()
        .find(|c| c.id == control_id)
        .and_then(|c| c.occurrences.iter().find(|o| o.seq == seq));
    match o.and_then(|o| o.execution.as_ref()) {
        Some(Execution::Performed {
            performed_on,
            parameters_used,
            result,
            findings,
        }) => vec![
            ("performed", "yes".into()),
            ("performed_on", performed_on.clone()),
            ("parameters_used", parameters_used.clone()),
            ("result", result.code().into()),
            ("findings", findings.clone()),
        ],
        Some(Execution::NotPerformed { reason }) => {
            vec![("performed", "no".into()), ("reason", reason.clone())]
        }
        None => Vec::new(),
    }
}

pub async fn occurrence_form(
    State(state): State<AppState>,
    Path((id, seq)): Path<(Id, i64)>,
) -> Result<Response> {
    let plan = plan_of(&state, ObjectKind::Control, id).await?;
    occurrence_page(&state, &plan, id, seq)
        .await?
        .with_values(occurrence_values(&plan, id, seq))
        .render_page()
}

fn parse_execution(input: &Input, today: &str) -> std::result::Result<Execution, Errors> {
    let mut e = Errors::default();
    let performed = e.choice(input, "performed", |v| match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    });
    let execution = match performed {
        Some(true) => {
            let on = e.date(input, "performed_on");
            let used = e.optional_text(input, "parameters_used", NAME_MAX);
            let result = e.choice(input, "result", ControlResult::parse);
            let findings = e.optional_paragraphs(input, "findings", TEXT_MAX);
            match (on, result) {
                (Some(on), Some(result)) => Some(Execution::Performed {
                    performed_on: on,
                    parameters_used: used,
                    result,
                    findings,
                }),
                _ => None,
            }
        }
        Some(false) => {
            let reason = e.optional_paragraphs(input, "reason", TEXT_MAX);
            Some(Execution::NotPerformed { reason })
        }
        None => None,
    };
    let Some(execution) = execution.filter(|_| e.is_empty()) else {
        return Err(e);
    };
    if let Err(err) = execution.check(today) {
        let field = match err {
            uppsikt_domain::internal_control::ExecutionError::FindingsRequired => "findings",
            uppsikt_domain::internal_control::ExecutionError::ReasonRequired => "reason",
            uppsikt_domain::internal_control::ExecutionError::InFuture => "performed_on",
        };
        e.add(field, msg::execution(&err));
        return Err(e);
    }
    Ok(execution)
}

pub async fn record_occurrence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, seq)): Path<(Id, i64)>,
    super::Form(input): super::Form,
) -> Result<Response> {
    let post = Post::new(&state, viewer, id, input);
    let plan = plan_of(&state, ObjectKind::Control, id).await?;
    let occurrence_id = plan
        .controls
        .iter()
        .find(|c| c.id == id)
        .and_then(|c| c.occurrences.iter().find(|o| o.seq == seq))
        .map(|o| o.id)
        .ok_or(crate::error::AppError::NotFound)?;
    let form = async || occurrence_page(&state, &plan, id, seq).await;
    let today = uppsikt_store::today();
    let parsed = parse_execution(&post.input, &today);
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, e| {
        w.record_execution(occurrence_id, &e, &today)
            .await
            .at("performed")?;
        Ok(plan_href(plan_id, &format!("occurrence-{occurrence_id}")))
    })
    .await
}

// ---- Discontinuing a control ----

fn discontinue_fields() -> Vec<Field> {
    vec![
        Field::new("on", "Beslutsdatum", FieldKind::Date).required(),
        Field::new("decided_by", "Beslutat av", FieldKind::Text)
            .required()
            .hint("T.ex. den ansvariga chefen."),
        Field::new("reason", "Skäl", FieldKind::Textarea(3)).required(),
    ]
}

async fn discontinue_page(state: &AppState, plan: &ControlPlan, id: Id) -> Result<FormPage> {
    let c = plan
        .controls
        .iter()
        .find(|c| c.id == id)
        .ok_or(crate::error::AppError::NotFound)?;
    Ok(page(
        format!("Avsluta kontroll {} efter {}", c.key, plan.year),
        Some("Kontrollen förs inte över till nästa års plan. Tillfällen efter beslutet räknas inte som missade.".into()),
        format!("/ic-controls/{id}/discontinue"),
        plan_href(plan.id, &format!("control-{id}")),
        "Spara beslutet",
        plan_crumbs(state, plan).await?,
        discontinue_fields(),
    ))
}

pub async fn discontinue_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let plan = plan_of(&state, ObjectKind::Control, id).await?;
    discontinue_page(&state, &plan, id).await?.render_page()
}

pub async fn discontinue(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = plan_of(state, ObjectKind::Control, id).await?;
    let form = async || discontinue_page(state, &plan, id).await;
    let mut e = Errors::default();
    let on = e.date(&post.input, "on");
    let by = e.text(&post.input, "decided_by", NAME_MAX);
    let reason = e.paragraphs(&post.input, "reason", TEXT_MAX);
    let parsed = match (on, by, reason, e.is_empty()) {
        (Some(on), Some(decided_by), Some(reason), true) => Ok(Discontinuation {
            on,
            decided_by,
            reason,
        }),
        _ => Err(e),
    };
    let plan_id = plan.id;
    post.submit(form, parsed, async |w, d| {
        w.discontinue_control(id, &d).await.at("on")?;
        Ok(plan_href(plan_id, &format!("control-{id}")))
    })
    .await
}

// ---- The plan's matrix ----

async fn matrix_page(state: &AppState, plan: &ControlPlan) -> Result<FormPage> {
    let matrices = state.store.risk_matrices().await?;
    let mut opts = vec![(String::new(), "Ingen riskmatris".to_string())];
    opts.extend(matrices.iter().map(|m| {
        (
            m.id.to_string(),
            format!(
                "{}, version {} ({}×{})",
                m.name,
                m.version,
                m.probability.len(),
                m.consequence.len()
            ),
        )
    }));
    Ok(page(
        format!("Riskmatris för internkontrollplanen {}", plan.year),
        Some("Planen bedömer sina risker i en version av matrisen. När en risk är bedömd ligger versionen fast, så att en ändrad mall aldrig skriver om en gammal bedömning.".into()),
        format!("/internal-control/{}/matrix", plan.id),
        plan_href(plan.id, ""),
        "Spara",
        plan_crumbs(state, plan).await?,
        vec![Field::new("matrix", "Riskmatris", FieldKind::Select(opts))],
    ))
}

pub async fn matrix_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    let current = plan
        .matrix
        .as_ref()
        .map(|m| m.id.to_string())
        .unwrap_or_default();
    matrix_page(&state, &plan)
        .await?
        .with_values([("matrix", current)])
        .render_page()
}

pub async fn choose_matrix(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || matrix_page(state, &plan).await;
    let mut e = Errors::default();
    let chosen = e.optional_id(&post.input, "matrix");
    let matrices = state.store.risk_matrices().await?;
    let parsed = match chosen {
        Some(Some(m)) if !matrices.iter().any(|x| x.id == m) => {
            e.add(
                "matrix",
                uppsikt_domain::messages::unknown_choice(&m.to_string()),
            );
            Err(e)
        }
        Some(m) if e.is_empty() => Ok(m),
        _ => Err(e),
    };
    post.submit(form, parsed, async |w, m| {
        w.choose_risk_matrix(id, m).await.at("matrix")?;
        Ok(plan_href(id, ""))
    })
    .await
}

// ---- Carrying over, and KS's common items ----

async fn confirm_page(
    state: &AppState,
    plan: &ControlPlan,
    title: String,
    intro: String,
    action: String,
    submit: &str,
) -> Result<FormPage> {
    Ok(page(
        title,
        Some(intro),
        action,
        plan_href(plan.id, ""),
        submit,
        plan_crumbs(state, plan).await?,
        vec![Field::new(
            "confirm",
            "Bekräfta",
            FieldKind::Checkboxes(vec![("yes".into(), "Jag har läst vad som händer".into())]),
        )
        .required()],
    ))
}

/// The confirmation box of a confirmation page, ticked.
fn confirmed(input: &Input) -> std::result::Result<(), Errors> {
    if checked_box(input, "confirm") {
        Ok(())
    } else {
        let mut e = Errors::default();
        e.add("confirm", msg::CONFIRM);
        Err(e)
    }
}

async fn carry_page(state: &AppState, plan: &ControlPlan) -> Result<FormPage> {
    let next = state
        .store
        .control_plan_of(plan.org_id, plan.year + 1)
        .await?;
    let c = uppsikt_domain::internal_control::carry_over(plan, next.as_ref());
    confirm_page(
        state,
        plan,
        format!("För över till internkontrollplanen {}", plan.year + 1),
        format!(
            "{} åtgärder som inte blev klara, {} risker de minskar och {} kontroller som inte är avslutade förs över till {} med sin historik. Det som redan är överfört förs inte över igen.{}",
            c.actions.len(),
            c.risks.len(),
            c.controls.len(),
            plan.year + 1,
            if next.is_none() { " Planen för nästa år skapas." } else { "" }
        ),
        format!("/internal-control/{}/carry-over", plan.id),
        "För över",
    )
    .await
}

pub async fn carry_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    carry_page(&state, &plan).await?.render_page()
}

pub async fn carry_over(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || carry_page(state, &plan).await;
    post.submit(form, confirmed(&post.input), async |w, ()| {
        let done = w.carry_over_control_plan(id).await.at("confirm")?;
        Ok(plan_href(done.plan_id, ""))
    })
    .await
}

async fn push_page(state: &AppState, plan: &ControlPlan) -> Result<FormPage> {
    confirm_page(
        state,
        plan,
        format!("För in gemensamma risker och kontroller {}", plan.year),
        format!(
            "De {} risker och kontroller som är markerade kommungemensamma i den här planen förs in i varje nämnds internkontrollplan för {}, markerade som kommunstyrelsens. Det som redan finns i en plan förs inte in igen. Nämnder utan plan för året får ingen ny plan; de visas i översikten.",
            plan.common_items(),
            plan.year
        ),
        format!("/internal-control/{}/push-common", plan.id),
        "För in i nämndernas planer",
    )
    .await
}

pub async fn push_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let plan = state.store.control_plan(id).await?;
    push_page(&state, &plan).await?.render_page()
}

pub async fn push_common(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let plan = state.store.control_plan(id).await?;
    let form = async || push_page(state, &plan).await;
    let year = plan.year;
    post.submit(form, confirmed(&post.input), async |w, ()| {
        w.push_common_items(id).await.at("confirm")?;
        Ok(crate::internal_control::overview_href(year))
    })
    .await
}

// ---- The municipality's risk matrices ----

fn matrix_fields() -> Vec<Field> {
    vec![
        Field::new("name", "Namn", FieldKind::Text).required().hint(
            "Samma namn igen ger en ny version; planer som redan bedömt risker behåller sin.",
        ),
        Field::new(
            "probability",
            "Sannolikhet, lägst först",
            FieldKind::Textarea(5),
        )
        .required()
        .hint(
            "En benämning per rad, 2–10 rader, t.ex. Osannolik, Mindre sannolik, Möjlig, Sannolik.",
        ),
        Field::new(
            "consequence",
            "Konsekvens, lägst först",
            FieldKind::Textarea(5),
        )
        .required()
        .hint("En benämning per rad, 2–10 rader, t.ex. Försumbar, Lindrig, Kännbar, Allvarlig."),
    ]
}

async fn matrices_form_page(state: &AppState) -> Result<FormPage> {
    let matrices = state.store.risk_matrices().await?;
    let existing = if matrices.is_empty() {
        "Det finns ingen riskmatris än. Risker kan ändå föras in; de visas som ej bedömda."
            .to_string()
    } else {
        let list: Vec<String> = matrices
            .iter()
            .map(|m| {
                format!(
                    "{} version {} ({}×{}: {} / {})",
                    m.name,
                    m.version,
                    m.probability.len(),
                    m.consequence.len(),
                    m.probability.join(", "),
                    m.consequence.join(", ")
                )
            })
            .collect();
        format!("Befintliga versioner: {}.", list.join("; "))
    };
    Ok(page(
        "Riskmatriser".into(),
        Some(format!(
            "Kommunen väljer om risker bedöms med sannolikhet × konsekvens. En version ändras aldrig; en ändrad mall sparas som en ny version. {existing}"
        )),
        "/risk-matrices".into(),
        "/internal-control".into(),
        "Spara en ny version",
        vec![("/internal-control".into(), crate::internal_control::LABEL.into())],
        matrix_fields(),
    ))
}

pub async fn matrices_page(State(state): State<AppState>) -> Result<Response> {
    matrices_form_page(&state).await?.render_page()
}

fn labels(e: &mut Errors, input: &Input, field: &'static str) -> Option<Vec<String>> {
    let text = e.paragraphs(input, field, TEXT_MAX)?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

pub async fn save_matrix(
    State(state): State<AppState>,
    viewer: Viewer,
    super::Form(input): super::Form,
) -> Result<Response> {
    let post = Post::new(&state, viewer, 0, input);
    let form = async || matrices_form_page(&state).await;
    let mut e = Errors::default();
    let name = e.text(&post.input, "name", NAME_MAX);
    let p = labels(&mut e, &post.input, "probability");
    let c = labels(&mut e, &post.input, "consequence");
    let parsed = match (name, p, c, e.is_empty()) {
        (Some(n), Some(p), Some(c), true) => {
            match uppsikt_domain::internal_control::RiskMatrix::check_labels(&p, &c) {
                Ok(()) => Ok((n, p, c)),
                Err(err) => {
                    e.add("probability", msg::matrix(&err));
                    Err(e)
                }
            }
        }
        _ => Err(e),
    };
    post.submit(form, parsed, async |w, (n, p, c)| {
        w.save_risk_matrix(&n, &p, &c).await.at("name")?;
        Ok("/risk-matrices".into())
    })
    .await
}
