//! Write a unit's events and improvement areas for a period (årets händelser,
//! förbättringsområden): one item per line, shown on the unit's page and in its reports.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::model::{Id, OrgUnit, PeriodReview};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::Period;
use uppsikt_report::followup;

use super::{Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, TEXT_MAX};
use crate::error::{Path, Query, Result};
use crate::pages::PeriodQuery;
use crate::AppState;

const ONE_PER_LINE: &str =
    "En punkt per rad. Lämna båda fälten tomma för att ta bort periodens redovisning.";

/// The form; `period` (when valid) makes "Avbryt" return to that period's page.
fn page(org: &OrgUnit, period: Option<Period>) -> FormPage {
    FormPage {
        title: format!("Händelser och förbättringsområden: {}", org.name),
        intro: Some(
            "Det här visas på enhetens sida och i sammanfattningen av dess delårsrapport och verksamhetsberättelse."
                .into(),
        ),
        action: format!("/org/{}/review", org.id),
        cancel: match period {
            Some(p) => format!("/org/{}?period={p}", org.id),
            None => format!("/org/{}", org.id),
        },
        submit: "Spara".into(),
        crumbs: vec![(format!("/org/{}", org.id), org.name.clone())],
        fields: vec![
            Field::new("period", "Period", FieldKind::Text)
                .required()
                .hint("Ett år som 2019, eller ett tertial som 2019T2.")
                .value(period.map(|p| p.to_string()).unwrap_or_default()),
            Field::new("events", "Viktiga händelser", FieldKind::Textarea(8)).hint(ONE_PER_LINE),
            Field::new("improvement_areas", "Förbättringsområden", FieldKind::Textarea(8))
                .hint(ONE_PER_LINE),
        ],
    }
}

pub async fn form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response> {
    let org = state.store.org_unit(id).await?;
    let period = match crate::error::period_param(q.period.as_deref())? {
        Some(p) => p,
        None => {
            followup::board(&state.store, id, None, &Audience::SignedIn)
                .await?
                .period
        }
    };
    let stored = state.store.period_review(id, period).await?;
    let (events, improvements) = stored
        .map(|r| {
            (
                PeriodReview::lines_from_items(&r.events),
                PeriodReview::lines_from_items(&r.improvement_areas),
            )
        })
        .unwrap_or_default();
    page(&org, Some(period))
        .with_values([
            ("period", period.to_string()),
            ("events", events),
            ("improvement_areas", improvements),
        ])
        .render_page()
}

/// The review, or the errors and the period when that alone could be read.
pub(crate) fn parse(input: &Input, org_id: Id) -> Result<PeriodReview, (Errors, Option<Period>)> {
    let mut e = Errors::default();
    let period = e.period(input, "period");
    let events = e.optional_paragraphs(input, "events", TEXT_MAX);
    let improvements = e.optional_paragraphs(input, "improvement_areas", TEXT_MAX);
    match period {
        Some(period) if e.is_empty() => Ok(PeriodReview {
            org_id,
            period,
            events: PeriodReview::items_from_lines(&events),
            improvement_areas: PeriodReview::items_from_lines(&improvements),
        }),
        _ => Err((e, period)),
    }
}

pub async fn save(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let org = state.store.org_unit(id).await?;
    // The submitted period is shown as typed; the page's links go to it when it is valid.
    let (parsed, period) = match parse(&post.input, id) {
        Ok(review) => {
            let period = review.period;
            (Ok(review), Some(period))
        }
        Err((e, period)) => (Err(e), period),
    };
    let form = async || Ok(page(&org, period));
    post.submit(form, parsed, async |w, review| {
        w.set_period_review(&review).await.at("period")?;
        Ok(format!("/org/{id}?period={}", review.period))
    })
    .await
}
