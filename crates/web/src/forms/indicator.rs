//! Create and edit indicators (mått).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use uppsikt_domain::model::{Goal, Id, Indicator};
use uppsikt_domain::Direction;
use uppsikt_store::IndicatorInput;

use super::{options, saved, Errors, Field, FieldKind, FormPage, Input, NAME_MAX};
use crate::error::Result;
use crate::AppState;

const FREQUENCIES: [(&str, &str); 5] = [
    ("year", "År"),
    ("biennial", "Vartannat år"),
    ("tertial", "Tertial"),
    ("month", "Månad"),
    ("week", "Vecka"),
];

fn page(goal: &Goal, indicator: Option<&Indicator>) -> FormPage {
    let (title, action, cancel) = match indicator {
        Some(i) => (
            format!("Redigera måttet {}", i.name),
            format!("/indicators/{}/edit", i.id),
            format!("/indicators/{}", i.id),
        ),
        None => (
            format!("Nytt mått för {}", goal.title),
            format!("/goals/{}/indicators/new", goal.id),
            format!("/goals/{}", goal.id),
        ),
    };
    FormPage {
        title,
        intro: None,
        action,
        cancel,
        submit: "Spara måttet".into(),
        crumbs: vec![(format!("/goals/{}", goal.id), goal.title.clone())],
        fields: vec![
            Field::new("name", "Namn", FieldKind::Text).required(),
            Field::new("unit", "Enhet", FieldKind::Text)
                .required()
                .hint("T.ex. %, index, antal, mnkr, dagar."),
            Field::new(
                "direction",
                "Riktning",
                options(Direction::ALL.iter().map(|d| (d.code(), d.label_sv()))),
            )
            .required(),
            Field::new("source", "Källa", FieldKind::Text)
                .hint("T.ex. SCB:s medborgarundersökning, Kolada eller egen mätning."),
            Field::new("kolada_kpi", "Kolada-id", FieldKind::Text).hint("Valfritt, t.ex. U07414."),
            Field::new("decimals", "Decimaler", FieldKind::Integer)
                .required()
                .hint("Antal decimaler som visas, 0–4.")
                .value("0"),
            Field::new("frequency", "Mäts", options(FREQUENCIES))
                .required()
                .value("year"),
        ],
    }
}

fn parse(input: &Input, goal_id: Id) -> Result<IndicatorInput, Errors> {
    let mut e = Errors::default();
    let name = e.text(input, "name", NAME_MAX);
    let unit = e.text(input, "unit", 20);
    let direction = e.choice(input, "direction", Direction::parse);
    let source = e.optional_text(input, "source", NAME_MAX);
    let kolada_kpi = e.optional_text(input, "kolada_kpi", 20);
    if !kolada_kpi.chars().all(|c| c.is_ascii_alphanumeric()) {
        e.add(
            "kolada_kpi",
            "Ett Kolada-id består av bokstäver och siffror, t.ex. U07414.",
        );
    }
    let decimals = e.integer(input, "decimals", 0, 4);
    let frequency = e.choice(input, "frequency", |s| {
        FREQUENCIES
            .iter()
            .find(|f| f.0 == s)
            .map(|f| f.0.to_string())
    });
    match (name, unit, direction, decimals, frequency, e.is_empty()) {
        (Some(name), Some(unit), Some(direction), Some(decimals), Some(frequency), true) => {
            Ok(IndicatorInput {
                key: String::new(),
                goal_id,
                name,
                unit,
                direction,
                source,
                kolada_kpi,
                decimals: decimals as u8,
                frequency,
                position: 0,
            })
        }
        _ => Err(e),
    }
}

pub async fn new_form(State(state): State<AppState>, Path(goal_id): Path<Id>) -> Result<Response> {
    let goal = state.store.goal(goal_id).await?;
    page(&goal, None).render_page()
}

pub async fn create(
    State(state): State<AppState>,
    viewer: crate::auth::Viewer,
    Path(goal_id): Path<Id>,
    Form(input): Form<Input>,
) -> Result<Response> {
    let goal = state.store.goal(goal_id).await?;
    let mut parsed = match parse(&input, goal_id) {
        Ok(p) => p,
        Err(e) => return e.apply(page(&goal, None).fill(&input)).render_page(),
    };
    parsed.position = state
        .store
        .indicator_records(uppsikt_store::Scope::GoalTree(goal_id))
        .await?
        .len() as i64;
    let mut w = state.store.writer(&viewer.actor()).await?;
    let id = w.create_indicator(&parsed).await?;
    w.commit().await?;
    Ok(saved(format!("/indicators/{id}")))
}

pub async fn edit_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let record = state.store.indicator_record(id).await?;
    let i = &record.indicator;
    let goal = state.store.goal(i.goal_id).await?;
    let p = page(&goal, Some(i));
    let values = [
        i.name.clone(),
        i.unit.clone(),
        i.direction.code().to_string(),
        i.source.clone(),
        i.kolada_kpi.clone(),
        i.decimals.to_string(),
        i.frequency.clone(),
    ];
    p.with_values(values).render_page()
}

pub async fn update(
    State(state): State<AppState>,
    viewer: crate::auth::Viewer,
    Path(id): Path<Id>,
    Form(input): Form<Input>,
) -> Result<Response> {
    let record = state.store.indicator_record(id).await?;
    let goal = state.store.goal(record.indicator.goal_id).await?;
    let mut parsed = match parse(&input, goal.id) {
        Ok(p) => p,
        Err(e) => {
            return e
                .apply(page(&goal, Some(&record.indicator)).fill(&input))
                .render_page()
        }
    };
    parsed.key = record.indicator.key.clone();
    parsed.position = record.indicator.position;
    let mut w = state.store.writer(&viewer.actor()).await?;
    w.update_indicator(id, &parsed).await?;
    w.commit().await?;
    Ok(saved(format!("/indicators/{id}")))
}
