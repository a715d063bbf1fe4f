//! Set the milestone (etappmål) of a year, or a long-term target (målvärde).

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, IndicatorRecord};
use uppsikt_domain::Target;

use super::{
    indicator_crumbs, options, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt,
};
use crate::error::{Path, Result};
use crate::AppState;

fn page(record: &IndicatorRecord, crumbs: Vec<(String, String)>) -> FormPage {
    let i = &record.indicator;
    FormPage {
        title: format!("Sätt etappmål för {}", i.name),
        intro: Some("Ett etappmål för ett år som redan har ett ersätter det gamla. Lämna målet tomt för att ta bort årets etappmål.".into()),
        action: format!("/indicators/{}/milestones", i.id),
        cancel: format!("/indicators/{}", i.id),
        submit: "Spara etappmålet".into(),
        crumbs,
        fields: vec![
            Field::new("kind", "Slag", options([("milestone", "Etappmål för året"), ("target", "Långsiktigt målvärde")])).required().value("milestone"),
            Field::new("year", "År", FieldKind::Integer).required(),
            Field::new("target", "Målvärde", FieldKind::Text).hint("Ett jämförelsetal som >93,7 eller ≥850, eller Öka, Minska, Behåll eller Indikator (följs utan mål)."),
        ],
    }
}

pub async fn form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let record = state.store.indicator_record(id).await?;
    page(&record, indicator_crumbs(&state, &record).await?).render_page()
}

/// A milestone or target as typed (already through the text rule): empty is none, else
/// the domain's target grammar, or the Swedish message why not.
pub(crate) fn target_of(raw: &str) -> Result<Option<Target>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Target::parse(raw)
        .map(Some)
        .map_err(|err| messages::target(&err))
}

/// (long-term target rather than the year's milestone, year, target or none to remove it).
pub(crate) fn parse(input: &Input) -> Result<(bool, i32, Option<Target>), Errors> {
    let mut e = Errors::default();
    let long_term = e.choice(input, "kind", |s| match s {
        "milestone" => Some(false),
        "target" => Some(true),
        _ => None,
    });
    let year = e.integer(input, "year", 1900, 2200);
    let target = if Errors::is_blank(input, "target") {
        Some(None)
    } else {
        e.typed(input, "target")
            .and_then(|raw| match target_of(raw) {
                Ok(t) => Some(t),
                Err(message) => {
                    e.add("target", message);
                    None
                }
            })
    };
    match (long_term, year, target, e.is_empty()) {
        (Some(long_term), Some(year), Some(target), true) => Ok((long_term, year as i32, target)),
        _ => Err(e),
    }
}

pub async fn save(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let record = state.store.indicator_record(id).await?;
    let form = async || Ok(page(&record, indicator_crumbs(state, &record).await?));
    let parsed = parse(&post.input);
    post.submit(form, parsed, async |w, (long_term, year, target)| {
        let written = if long_term {
            w.set_target(id, year, target).await
        } else {
            w.set_milestone(id, year, target).await
        };
        written.at("year")?;
        Ok(format!("/indicators/{id}"))
    })
    .await
}
