//! Register a deviation by hand, record the decision on it, add actions and follow them up.
//! The domain's lifecycle decides what is allowed; a refusal is shown at the field it
//! concerns, with everything typed kept.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::deviation::{
    Action, ActionState, DecidingBody, Decision, LifecycleError, NewDeviation, Outcome, Severity,
    Source,
};
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_store::{StoreError, StoredDeviation};

use super::{
    options, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, NAME_MAX, TEXT_MAX,
};
use crate::error::{Path, Result};
use crate::AppState;

fn deviation_crumbs(id: Id) -> Vec<(String, String)> {
    vec![
        ("/uppsikt".into(), crate::crumbs::OVERSIGHT_LABEL.into()),
        (format!("/deviations/{id}"), format!("Avvikelse {id}")),
    ]
}

// ---- A deviation raised by hand ----

fn new_page(unit: &OrgUnit, today: &str) -> FormPage {
    FormPage {
        title: format!("Ny avvikelse för {}", unit.name),
        intro: Some("Avvikelser från mått och utvecklingsåtaganden tas fram automatiskt. Här registreras de som upptäcks på annat sätt: intern kontroll, lägesbilder, revisionen, medborgardialog.".into()),
        action: format!("/org/{}/deviations/new", unit.id),
        cancel: "/uppsikt".into(),
        submit: "Registrera avvikelsen".into(),
        crumbs: vec![("/uppsikt".into(), crate::crumbs::OVERSIGHT_LABEL.into())],
        fields: vec![
            Field::new("description", "Vad har hänt", FieldKind::Textarea(5)).required(),
            Field::new(
                "source",
                "Källa",
                options(
                    Source::MANUAL
                        .into_iter()
                        .map(|s| (s.code(), s.label_sv())),
                ),
            )
            .required(),
            Field::new(
                "severity",
                "Allvarlighet",
                options(
                    [Severity::High, Severity::Medium, Severity::Low]
                        .into_iter()
                        .map(|s| (s.code(), s.label_sv())),
                ),
            )
            .required()
            .value(Severity::Medium.code()),
            Field::new("area", "Område", FieldKind::Text)
                .hint("Kommundel eller område, t.ex. Vårby. Lämna tomt om avvikelsen gäller hela enheten."),
            Field::new("period", "Period", FieldKind::Text)
                .required()
                .hint("Den period avvikelsen gäller: 2024, 2024T2, 2024-05 eller 2024W07.")
                .value(&today[..4]),
            Field::new("raised_on", "Upptäckt", FieldKind::Date)
                .required()
                .hint("ÅÅÅÅ-MM-DD.")
                .value(today),
        ],
    }
}

pub async fn new_form(State(state): State<AppState>, Path(org): Path<Id>) -> Result<Response> {
    let unit = state.store.org_unit(org).await?;
    new_page(&unit, &uppsikt_store::today()).render_page()
}

/// A deviation raised by hand for unit `org`, and the day it was found.
pub(crate) fn parse_new(input: &Input, org: Id) -> Result<(NewDeviation, String), Errors> {
    let mut e = Errors::default();
    let description = e.paragraphs(input, "description", TEXT_MAX);
    let source = e.choice(input, "source", |c| {
        Source::parse(c).filter(|s| s.is_manual())
    });
    let severity = e.choice(input, "severity", Severity::parse);
    let area = e.optional_text(input, "area", NAME_MAX);
    let period = e.period(input, "period");
    let raised_on = e.date(input, "raised_on");
    let (Some(description), Some(source), Some(severity), Some(period), Some(raised_on), true) = (
        description,
        source,
        severity,
        period,
        raised_on,
        e.is_empty(),
    ) else {
        return Err(e);
    };
    let deviation = NewDeviation {
        org_id: org,
        area: (!area.is_empty()).then_some(area),
        source,
        severity,
        period,
        description,
        cause_key: None,
    };
    Ok((deviation, raised_on))
}

pub async fn create(post: Post) -> Result<Response> {
    let (state, org) = (&post.state, post.id);
    let unit = state.store.org_unit(org).await?;
    let form = async || Ok(new_page(&unit, &uppsikt_store::today()));
    let parsed = parse_new(&post.input, org);
    post.submit(form, parsed, async |w, (deviation, raised_on)| {
        let ids = w.raise_deviations(vec![deviation], &raised_on).await?;
        let id = ids.first().copied().unwrap_or_default();
        Ok(format!("/deviations/{id}"))
    })
    .await
}

// ---- The decision ----

fn decision_page(s: &StoredDeviation, today: &str) -> FormPage {
    FormPage {
        title: format!("Beslut om avvikelse {}", s.id),
        intro: Some(format!(
            "{} Ett beslut är antingen att åtgärda (åtgärderna läggs till sedan) eller att inte åtgärda, med motivering. Ett registrerat beslut kan rättas efteråt med skäl; det ursprungliga beslutet sparas.",
            s.deviation.raised.description
        )),
        action: format!("/deviations/{}/decision", s.id),
        cancel: format!("/deviations/{}", s.id),
        submit: "Spara beslutet".into(),
        crumbs: deviation_crumbs(s.id),
        fields: vec![
            Field::new(
                "outcome",
                "Beslut",
                options([("act", "Åtgärda avvikelsen"), ("no_action", "Inte åtgärda avvikelsen")]),
            )
            .required()
            .value("act"),
            Field::new("motivation", "Motivering", FieldKind::Textarea(4))
                .hint("Krävs om avvikelsen inte ska åtgärdas."),
        ]
        .into_iter()
        .chain(decision_fields(today))
        .collect(),
    }
}

/// Who decided, when, under which paragraph and diary number: the fields every decision
/// form has (one deviation's, or several deviations' at once).
pub(crate) fn decision_fields(today: &str) -> Vec<Field> {
    vec![
        Field::new(
            "body",
            "Beslutat av",
            options(
                [
                    DecidingBody::Board,
                    DecidingBody::Committee,
                    DecidingBody::Administration,
                ]
                .into_iter()
                .map(|b| (b.code(), b.label_sv())),
            ),
        )
        .required(),
        Field::new("decided_on", "Beslutsdatum", FieldKind::Date)
            .required()
            .hint("ÅÅÅÅ-MM-DD.")
            .value(today),
        Field::new("paragraph", "Paragraf", FieldKind::Text)
            .hint("T.ex. § 12. Lämna tomt för ett beslut utan protokollsparagraf (förvaltningen)."),
        Field::new("diary_number", "Diarienummer", FieldKind::Text).hint("T.ex. KS-2024/123."),
    ]
}

pub async fn decision_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let s = state.store.deviation(id).await?;
    decision_page(&s, &uppsikt_store::today()).render_page()
}

pub(crate) fn parse_decision(input: &Input) -> Result<Decision, Errors> {
    let mut e = Errors::default();
    let act = e.choice(input, "outcome", |c| match c {
        "act" => Some(true),
        "no_action" => Some(false),
        _ => None,
    });
    let motivation = e.optional_paragraphs(input, "motivation", TEXT_MAX);
    let body = e.choice(input, "body", DecidingBody::parse);
    let decided_on = e.date(input, "decided_on");
    let paragraph = e.optional_text(input, "paragraph", NAME_MAX);
    let diary_number = e.optional_text(input, "diary_number", NAME_MAX);
    let (Some(act), Some(body), Some(decided_on), true) = (act, body, decided_on, e.is_empty())
    else {
        return Err(e);
    };
    Ok(Decision {
        body,
        decided_on,
        paragraph,
        diary_number,
        outcome: if act {
            Outcome::Act
        } else {
            Outcome::NoAction { motivation }
        },
    })
}

pub async fn decide(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let s = state.store.deviation(id).await?;
    let form = async || Ok(decision_page(&s, &uppsikt_store::today()));
    let parsed = parse_decision(&post.input);
    post.submit(form, parsed, async |w, decision| {
        let act = matches!(decision.outcome, Outcome::Act);
        let field = if act { "outcome" } else { "motivation" };
        w.decide_deviation(id, &decision).await.at(field)?;
        Ok(if act {
            format!("/deviations/{id}/actions/new")
        } else {
            format!("/deviations/{id}")
        })
    })
    .await
}

// ---- Correcting the decision ----

/// The correction form, filled with the decision in force (the fields of the decision
/// form and the reason).
fn correction_page(s: &StoredDeviation, today: &str) -> FormPage {
    let mut page = decision_page(s, today);
    page.title = format!("Rätta beslutet om avvikelse {}", s.id);
    page.intro = Some(format!(
        "{} Rätta det som blev fel när beslutet registrerades. Det ursprungliga beslutet sparas och visas överstruket med skälet, datumet och ditt namn; rättelsen gäller från nu.",
        s.deviation.raised.description
    ));
    page.action = format!("/deviations/{}/decision/correct", s.id);
    page.submit = "Spara rättelsen".into();
    page.fields.push(
        Field::new("reason", "Skäl till rättelsen", FieldKind::Textarea(3))
            .required()
            .hint("Vad var fel, och var står det rätta (t.ex. det justerade protokollet)?"),
    );
    let Some(d) = &s.deviation.decision else {
        return page;
    };
    let (outcome, motivation) = match &d.outcome {
        Outcome::Act => ("act", String::new()),
        Outcome::NoAction { motivation } => ("no_action", motivation.clone()),
    };
    page.with_values([
        ("outcome", outcome.to_string()),
        ("motivation", motivation),
        ("body", d.body.code().to_string()),
        ("decided_on", d.decided_on.clone()),
        ("paragraph", d.paragraph.clone()),
        ("diary_number", d.diary_number.clone()),
    ])
}

pub async fn correction_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let s = state.store.deviation(id).await?;
    if s.deviation.decision.is_none() {
        return Err(crate::error::AppError::NotFound);
    }
    correction_page(&s, &uppsikt_store::today()).render_page()
}

/// The corrected decision and the reason.
pub(crate) fn parse_correction(input: &Input) -> Result<(Decision, String), Errors> {
    let mut reason_errors = Errors::default();
    let reason = reason_errors.paragraphs(input, "reason", TEXT_MAX);
    match (parse_decision(input), reason) {
        (Ok(decision), Some(reason)) => Ok((decision, reason)),
        (Ok(_), None) => Err(reason_errors),
        (Err(mut e), _) => {
            for (field, message) in reason_errors.0 {
                e.add(field, message);
            }
            Err(e)
        }
    }
}

/// The field a refused correction is shown at.
fn correction_field(e: &StoreError) -> &'static str {
    match e {
        StoreError::Locked(_) => "decided_on",
        StoreError::Lifecycle(LifecycleError::ReasonRequired)
        | StoreError::Lifecycle(LifecycleError::CorrectionUnchanged) => "reason",
        StoreError::Lifecycle(LifecycleError::MotivationRequired) => "motivation",
        _ => "outcome",
    }
}

pub async fn correct(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let s = state.store.deviation(id).await?;
    let form = async || Ok(correction_page(&s, &uppsikt_store::today()));
    let parsed = parse_correction(&post.input);
    post.submit(form, parsed, async |w, (decision, reason)| {
        match w.correct_deviation_decision(id, &decision, &reason).await {
            Ok(()) => Ok(format!("/deviations/{id}#decision-h")),
            Err(e) => {
                let field = correction_field(&e);
                Err::<String, _>(e).at(field)
            }
        }
    })
    .await
}

// ---- Actions ----

async fn action_page(state: &AppState, s: &StoredDeviation) -> Result<FormPage> {
    let mut units = state.store.org_units().await?;
    units.sort_by(|a, b| swedish_cmp(&a.name, &b.name));
    let mut indicators = state.store.indicator_choices().await?;
    indicators.sort_by(|a, b| swedish_cmp(&a.1, &b.1).then_with(|| swedish_cmp(&a.2, &b.2)));
    let mut indicator_options = vec![(String::new(), "Inget mått".to_string())];
    indicator_options.extend(
        indicators
            .into_iter()
            .map(|(id, name, unit)| (id.to_string(), format!("{name} ({unit})"))),
    );
    // The indicator that raised the deviation is the natural one to follow.
    let raised_by = s
        .deviation
        .raised
        .cause_key
        .as_deref()
        .and_then(|k| k.strip_prefix("indicator:"))
        .and_then(|k| k.split(':').next())
        .unwrap_or("")
        .to_string();
    Ok(FormPage {
        title: format!("Ny åtgärd för avvikelse {}", s.id),
        intro: Some(s.deviation.raised.description.clone()),
        action: format!("/deviations/{}/actions/new", s.id),
        cancel: format!("/deviations/{}", s.id),
        submit: "Spara åtgärden".into(),
        crumbs: deviation_crumbs(s.id),
        fields: vec![
            Field::new("what", "Åtgärd", FieldKind::Text).required(),
            Field::new(
                "responsible_unit",
                "Ansvarig enhet",
                options(units.iter().map(|u| (u.id, u.name.clone()))),
            )
            .required()
            .value(s.deviation.raised.org_id.to_string()),
            Field::new("responsible_person", "Ansvarig person eller funktion", FieldKind::Text)
                .required(),
            Field::new("due", "Klar senast", FieldKind::Date)
                .required()
                .hint("ÅÅÅÅ-MM-DD."),
            Field::new("expected_effect", "Förväntad effekt", FieldKind::Textarea(4))
                .required()
                .hint("Vad ska bli bättre, och hur mycket?"),
            Field::new("indicator", "Mått som ska visa effekten", FieldKind::Select(indicator_options))
                .hint("När åtgärden är genomförd visas måttets nästa utfall bredvid den förväntade effekten.")
                .value(raised_by),
        ],
    })
}

pub async fn action_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let s = state.store.deviation(id).await?;
    action_page(&state, &s).await?.render_page()
}

pub(crate) fn parse_action(input: &Input) -> Result<Action, Errors> {
    let mut e = Errors::default();
    let what = e.text(input, "what", NAME_MAX);
    let unit = e.choice(input, "responsible_unit", |c| c.parse::<Id>().ok());
    let person = e.text(input, "responsible_person", NAME_MAX);
    let due = e.date(input, "due");
    let effect = e.paragraphs(input, "expected_effect", TEXT_MAX);
    let indicator = e.optional_id(input, "indicator");
    let (Some(what), Some(unit), Some(person), Some(due), Some(effect), Some(indicator), true) =
        (what, unit, person, due, effect, indicator, e.is_empty())
    else {
        return Err(e);
    };
    Ok(Action {
        what,
        responsible_unit: unit,
        responsible_person: person,
        due,
        expected_effect: effect,
        indicator_id: indicator,
        state: ActionState::Planned,
        comments: Vec::new(),
        closed_on: None,
    })
}

/// The checkbox that confirms a due date already past (name `confirm-yes` when ticked).
fn confirm_past_due() -> Field {
    Field::new(
        "confirm",
        "Förfallodatumet har passerat",
        FieldKind::Checkboxes(vec![("yes".into(), "Spara ändå".into())]),
    )
}

/// An action whose due date is already past (it would be overdue at once, as
/// `Action::is_overdue` judges) is saved only when the confirmation is ticked; otherwise the
/// form comes back with the warning at the date and the confirmation beside it.
pub(crate) fn confirmed_due(input: &Input, action: Action, today: &str) -> Result<Action, Errors> {
    let confirmed = confirm_past_due()
        .checked_in(input)
        .iter()
        .any(|v| v == "yes");
    if action.is_overdue(today) && !confirmed {
        let mut e = Errors::default();
        e.add("due", messages::deviations::DUE_PASSED);
        return Err(e);
    }
    Ok(action)
}

/// The action form, with the confirmation when the date typed is already past.
async fn action_page_for(state: &AppState, s: &StoredDeviation, input: &Input) -> Result<FormPage> {
    let mut page = action_page(state, s).await?;
    let today = uppsikt_store::today();
    let past = input
        .get("due")
        .and_then(|d| uppsikt_domain::date::parse_iso_date(d.trim()).ok())
        .is_some_and(|d| d < today);
    if past {
        let at = page
            .fields
            .iter()
            .position(|f| f.name == "due")
            .map_or(page.fields.len(), |i| i + 1);
        page.fields.insert(at, confirm_past_due());
    }
    Ok(page)
}

pub async fn add_action(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let s = state.store.deviation(id).await?;
    let form = async || action_page_for(state, &s, &post.input).await;
    let today = uppsikt_store::today();
    let parsed = match parse_action(&post.input) {
        Ok(action) => match choices_exist(state, action).await? {
            Ok(action) => confirmed_due(&post.input, action, &today),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    post.submit(form, parsed, async |w, action| {
        let action_id = w.add_deviation_action(id, &action).await.at("what")?;
        Ok(format!("/deviations/{id}#action-{action_id}"))
    })
    .await
}

/// The action if both its choices still exist (another user may have removed them
/// meanwhile).
async fn choices_exist(state: &AppState, action: Action) -> Result<Result<Action, Errors>> {
    let mut e = Errors::default();
    let units = state.store.org_units().await?;
    let indicators = state.store.indicator_choices().await?;
    if !units.iter().any(|u| u.id == action.responsible_unit) {
        e.add("responsible_unit", messages::deviations::UNIT_GONE);
    }
    if let Some(i) = action
        .indicator_id
        .filter(|i| !indicators.iter().any(|c| c.0 == *i))
    {
        e.add("indicator", messages::unknown_choice(&i.to_string()));
    }
    Ok(if e.is_empty() { Ok(action) } else { Err(e) })
}

// ---- Following up an action ----

fn progress_page(deviation_id: Id, action_id: Id, a: &Action, today: &str) -> FormPage {
    let next: Vec<ActionState> = [
        ActionState::InProgress,
        ActionState::Done,
        ActionState::Cancelled,
    ]
    .into_iter()
    .filter(|n| a.state.may_become(*n))
    .collect();
    FormPage {
        title: format!("Följ upp åtgärden {}", a.what),
        intro: Some(format!(
            "Status nu: {}. Klar senast {}.",
            a.state.label_sv(),
            a.due
        )),
        action: format!("/deviation-actions/{action_id}/progress"),
        cancel: format!("/deviations/{deviation_id}#action-{action_id}"),
        submit: "Spara uppföljningen".into(),
        crumbs: deviation_crumbs(deviation_id),
        fields: vec![
            Field::new(
                "state",
                "Ny status",
                options(next.iter().map(|s| (s.code(), s.label_sv()))),
            )
            .required(),
            Field::new("on", "Datum", FieldKind::Date)
                .required()
                .hint("ÅÅÅÅ-MM-DD.")
                .value(today),
            Field::new("comment", "Kommentar", FieldKind::Textarea(4))
                .hint("Vad har gjorts? Vid genomförd: vad blev resultatet?"),
        ],
    }
}

async fn action_of(state: &AppState, action_id: Id) -> Result<(StoredDeviation, usize)> {
    let deviation_id = state.store.owning_deviation(action_id).await?;
    let s = state.store.deviation(deviation_id).await?;
    let index = s
        .action_ids
        .iter()
        .position(|a| *a == action_id)
        .ok_or(crate::error::AppError::NotFound)?;
    Ok((s, index))
}

pub async fn progress_form(
    State(state): State<AppState>,
    Path(action_id): Path<Id>,
) -> Result<Response> {
    let (s, i) = action_of(&state, action_id).await?;
    progress_page(
        s.id,
        action_id,
        &s.deviation.actions[i],
        &uppsikt_store::today(),
    )
    .render_page()
}

/// (the action's next state, the day, a comment).
pub(crate) fn parse_progress(input: &Input) -> Result<(ActionState, String, String), Errors> {
    let mut e = Errors::default();
    let next = e.choice(input, "state", ActionState::parse);
    let on = e.date(input, "on");
    let comment = e.optional_paragraphs(input, "comment", TEXT_MAX);
    match (next, on, e.is_empty()) {
        (Some(next), Some(on), true) => Ok((next, on, comment)),
        _ => Err(e),
    }
}

pub async fn progress(post: Post) -> Result<Response> {
    let (state, action_id) = (&post.state, post.id);
    let (s, i) = action_of(state, action_id).await?;
    let action = &s.deviation.actions[i];
    let form = async || {
        Ok(progress_page(
            s.id,
            action_id,
            action,
            &uppsikt_store::today(),
        ))
    };
    let parsed = parse_progress(&post.input);
    post.submit(form, parsed, async |w, (next, on, comment)| {
        w.advance_deviation_action(action_id, next, &on, &comment)
            .await
            .at("state")?;
        Ok(format!("/deviations/{}#action-{action_id}", s.id))
    })
    .await
}
