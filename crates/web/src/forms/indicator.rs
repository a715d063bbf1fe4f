//! Create and edit indicators (mått).

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::kolada::KpiId;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Goal, Id, Indicator};
use uppsikt_domain::{Direction, Frequency};
use uppsikt_store::{ComparisonGroup, IndicatorInput};

use super::{options, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, NAME_MAX};
use crate::error::{Path, Result};
use crate::AppState;

pub(crate) fn page(
    goal: &Goal,
    indicator: Option<&Indicator>,
    groups: &[ComparisonGroup],
) -> FormPage {
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
            Field::new("kolada_kpi", "Kolada-id", FieldKind::Text).hint(
                "Valfritt, t.ex. N00901. Då fylls utfallen för totalt, kvinnor och män i från Kolada för vår kommun.",
            ),
            Field::new("decimals", "Decimaler", FieldKind::Integer)
                .required()
                .hint("Antal decimaler som visas, 0–4.")
                .value("0"),
            Field::new(
                "frequency",
                "Mäts",
                options(Frequency::ALL.iter().map(|f| (f.code(), f.label_sv()))),
            )
                .required()
                .value("year"),
            Field::new(
                "groups",
                "Jämförelsegrupper",
                FieldKind::Checkboxes(
                    groups
                        .iter()
                        .map(|g| (g.id.to_string(), g.title.clone()))
                        .collect(),
                ),
            )
            .hint("Placering och genomsnitt i grupperna räknas ur Kolada-värdena; kräver ett Kolada-id."),
        ],
    }
}

/// The comparison groups chosen in the form (ids of existing groups).
fn chosen_groups(page: &FormPage, input: &Input, e: &mut Errors, kpi: &str) -> Vec<Id> {
    let groups: Vec<Id> = page
        .fields
        .iter()
        .filter(|f| f.name == "groups")
        .flat_map(|f| f.checked_in(input))
        .filter_map(|v| v.parse().ok())
        .collect();
    if !groups.is_empty() && kpi.trim().is_empty() {
        e.add("groups", messages::GROUPS_NEED_KPI);
    }
    groups
}

pub(crate) fn parse(
    input: &Input,
    goal_id: Id,
    page: &FormPage,
) -> Result<(IndicatorInput, Vec<Id>), Errors> {
    let mut e = Errors::default();
    let name = e.text(input, "name", NAME_MAX);
    let unit = e.text(input, "unit", 20);
    let direction = e.choice(input, "direction", Direction::parse);
    let source = e.optional_text(input, "source", NAME_MAX);
    let kolada_kpi = e.optional_text(input, "kolada_kpi", 20);
    if !kolada_kpi.is_empty() && KpiId::parse(&kolada_kpi).is_none() {
        e.add("kolada_kpi", messages::not_a_kpi_id(&kolada_kpi));
    }
    let groups = chosen_groups(page, input, &mut e, &kolada_kpi);
    let decimals = e.integer(input, "decimals", 0, 4);
    let frequency = e.choice(input, "frequency", Frequency::parse);
    match (name, unit, direction, decimals, frequency, e.is_empty()) {
        (Some(name), Some(unit), Some(direction), Some(decimals), Some(frequency), true) => {
            let input = IndicatorInput {
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
                margin_basis: None,
                trend_window: Default::default(),
            };
            Ok((input, groups))
        }
        _ => Err(e),
    }
}

pub async fn new_form(State(state): State<AppState>, Path(goal_id): Path<Id>) -> Result<Response> {
    let goal = state.store.goal(goal_id).await?;
    let groups = state.store.comparison_groups().await?;
    page(&goal, None, &groups).render_page()
}

/// Saves the indicator's comparison groups and fills its outcomes from Kolada when linked.
async fn save_link(w: &mut uppsikt_store::Writer, id: Id, groups: &[Id]) -> Result<()> {
    w.set_indicator_groups(id, groups).await?;
    w.sync_indicator_outcomes(id).await?;
    Ok(())
}

pub async fn create(post: Post) -> Result<Response> {
    let (state, goal_id) = (&post.state, post.id);
    let goal = state.store.goal(goal_id).await?;
    let form = page(&goal, None, &state.store.comparison_groups().await?);
    let mut parsed = parse(&post.input, goal_id, &form);
    if let Ok((parsed, _)) = &mut parsed {
        parsed.position = state
            .store
            .indicator_records(uppsikt_store::Scope::GoalTree(goal_id))
            .await?
            .len() as i64;
    }
    let form = async || Ok(form);
    post.submit(form, parsed, async |w, (parsed, groups)| {
        let id = w.create_indicator(&parsed).await?;
        save_link(w, id, &groups).await?;
        Ok(format!("/indicators/{id}"))
    })
    .await
}

pub async fn edit_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let record = state.store.indicator_record(id).await?;
    let i = &record.indicator;
    let goal = state.store.goal(i.goal_id).await?;
    let p = page(&goal, Some(i), &state.store.comparison_groups().await?);
    let chosen: Vec<String> = state
        .store
        .indicator_groups(id)
        .await?
        .iter()
        .map(Id::to_string)
        .collect();
    let values = [
        ("name", i.name.clone()),
        ("unit", i.unit.clone()),
        ("direction", i.direction.code().to_string()),
        ("source", i.source.clone()),
        ("kolada_kpi", i.kolada_kpi.clone()),
        ("decimals", i.decimals.to_string()),
        ("frequency", i.frequency.code().to_string()),
        ("groups", chosen.join(",")),
    ];
    p.with_values(values).render_page()
}

pub async fn update(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let record = state.store.indicator_record(id).await?;
    let goal = state.store.goal(record.indicator.goal_id).await?;
    let form = page(
        &goal,
        Some(&record.indicator),
        &state.store.comparison_groups().await?,
    );
    let parsed = parse(&post.input, goal.id, &form);
    let form = async || Ok(form);
    post.submit(form, parsed, async |w, (mut parsed, groups)| {
        parsed.key = record.indicator.key.clone();
        parsed.position = record.indicator.position;
        // A decision on the indicator's data freezes its direction, decimals and goal.
        w.update_indicator(id, &parsed).await.at("direction")?;
        save_link(w, id, &groups).await?;
        Ok(format!("/indicators/{id}"))
    })
    .await
}
