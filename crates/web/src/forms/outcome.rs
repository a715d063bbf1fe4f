//! Add or correct an outcome (utfall) of an indicator.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::access::Action;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, IndicatorRecord};
use uppsikt_domain::{Breakdown, Outcome};

use super::{indicator_crumbs, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt};
use crate::error::{Path, Result};
use crate::AppState;

async fn breakdown_options(state: &AppState) -> Result<FieldKind> {
    let mut items: Vec<(String, String)> = Breakdown::FIXED
        .iter()
        .map(|b| (b.code(), b.label_sv()))
        .collect();
    for area in state.store.areas().await? {
        let area = area.name;
        items.push((format!("area:{area}"), format!("Område: {area}")));
    }
    Ok(FieldKind::Select(items))
}

fn page(
    record: &IndicatorRecord,
    breakdowns: FieldKind,
    crumbs: Vec<(String, String)>,
) -> FormPage {
    let i = &record.indicator;
    FormPage {
        title: format!("Lägg till ett utfall för {}", i.name),
        intro: Some(format!(
            "Enhet: {}. Ett utfall för samma period och grupp som redan finns ersätter det gamla; ändringen loggas.",
            i.unit
        )),
        action: format!("/indicators/{}/outcome", i.id),
        cancel: format!("/indicators/{}", i.id),
        submit: "Spara utfallet".into(),
        crumbs,
        fields: vec![
            Field::new("period", "Period", FieldKind::Text).required().hint("År (2019), tertial (2019T2), månad (2019-03) eller vecka (2019W07)."),
            Field::new("breakdown", "Grupp", breakdowns).required().value("total"),
            Field::new("value", "Värde", FieldKind::Decimal).required().hint("Decimalkomma går bra, t.ex. 88,7."),
            Field::new("margin", "Felmarginal (±)", FieldKind::Decimal).hint("Valfritt. Samma enhet som värdet."),
            Field::new("sample_size", "Antal svarande", FieldKind::Integer).hint("Valfritt."),
        ],
    }
}

pub(crate) fn parse(input: &Input, unit: &str) -> Result<Outcome, Errors> {
    let mut e = Errors::default();
    let period = e.period(input, "period");
    let breakdown = e.choice(input, "breakdown", |s| Breakdown::parse(s).ok());
    let percent = uppsikt_domain::number::is_percent_unit(unit);
    let value = e.value(input, "value", percent);
    if value.is_some_and(|v| !uppsikt_domain::number::percent_in_range(unit, v)) {
        e.add("value", messages::forms::PERCENT_OUT_OF_RANGE);
    }
    let margin = e.margin(input, "margin", percent);
    let sample_size = e.optional_integer(input, "sample_size", 0, 100_000_000);
    match (period, breakdown, value, margin, sample_size, e.is_empty()) {
        (Some(period), Some(breakdown), Some(value), Some(margin), Some(sample_size), true) => {
            Ok(Outcome {
                period,
                breakdown,
                value,
                margin,
                sample_size,
            })
        }
        _ => Err(e),
    }
}

pub async fn form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let record = state.store.indicator_record(id).await?;
    page(
        &record,
        breakdown_options(&state).await?,
        indicator_crumbs(&state, &record).await?,
    )
    .render_page()
}

pub async fn save(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let record = state.store.indicator_record(id).await?;
    let form = async || {
        let breakdowns = breakdown_options(state).await?;
        Ok(page(
            &record,
            breakdowns,
            indicator_crumbs(state, &record).await?,
        ))
    };
    let parsed = match parse(&post.input, &record.indicator.unit) {
        Ok(outcome) => with_new_area(state, &post.viewer, outcome).await?,
        Err(e) => Err(e),
    };
    post.submit(form, parsed, async |w, (outcome, new_area)| {
        if let Some(area) = &new_area {
            w.upsert_area(area, None).await?;
        }
        w.set_outcome(id, &outcome).await.at("period")?;
        // Back to the indicator as of the period just entered, not the unit's current one.
        Ok(format!("/indicators/{id}?period={}", outcome.period))
    })
    .await
}

/// The outcome with the area it adds, if its breakdown names one not stored yet. Areas are
/// seen by every unit: only those who manage the municipality's reference data add one;
/// editors choose among the existing.
async fn with_new_area(
    state: &AppState,
    viewer: &crate::auth::Viewer,
    outcome: Outcome,
) -> Result<std::result::Result<(Outcome, Option<String>), Errors>> {
    let new_area = match outcome.breakdown.area() {
        Some(area) if !state.store.areas().await?.iter().any(|a| a.name == area) => {
            Some(area.to_string())
        }
        _ => None,
    };
    if let Some(area) = new_area.as_deref() {
        if !viewer.allows(Action::ManageSources, &[]) {
            let mut e = Errors::default();
            e.add("breakdown", messages::area_not_allowed(area));
            return Ok(Err(e));
        }
    }
    Ok(Ok((outcome, new_area)))
}
