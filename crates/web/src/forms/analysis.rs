//! A goal's analysis of one period, written where it is read: the goal page shows the
//! analysis of its period with a form (editors), which posts here; `GET` is the same form
//! on a page of its own (the goal page's link, and where a refused save is shown again).

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::model::Id;
use uppsikt_domain::publication::Audience;
use uppsikt_domain::Period;
use uppsikt_report::followup;

use super::{goal_crumbs, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, TEXT_MAX};
use crate::error::{period_param, Path, Query, Result};
use crate::pages::PeriodQuery;
use crate::AppState;

fn page(goal_id: Id, title: &str, period: Period, crumbs: Vec<(String, String)>) -> FormPage {
    FormPage {
        title: format!("Analys {} för {title}", period.label_sv()),
        intro: Some(
            "Analysen visas på målets sida och i rapporterna för perioden. Töm texten för att ta bort analysen; ändringen loggas."
                .into(),
        ),
        action: format!("/goals/{goal_id}/analysis"),
        cancel: format!("/goals/{goal_id}?period={period}"),
        submit: "Spara analysen".into(),
        crumbs,
        fields: vec![
            Field::new("period", "Period", FieldKind::Text)
                .required()
                .value(period.to_string())
                .hint("Den period analysen gäller, t.ex. 2019 eller 2019T2."),
            Field::new("analysis", "Analys", FieldKind::Textarea(10)),
        ],
    }
}

fn parse(input: &Input) -> std::result::Result<(Period, String), Errors> {
    let mut e = Errors::default();
    let period = e.period(input, "period");
    let text = e.optional_paragraphs(input, "analysis", TEXT_MAX);
    match (period, e.is_empty()) {
        (Some(p), true) => Ok((p, text)),
        _ => Err(e),
    }
}

/// `GET /goals/{id}/analysis?period=2020`: the form, filled with the period's analysis.
pub async fn form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response> {
    let period = period_param(q.period.as_deref())?;
    let view = followup::goal(&state.store, id, period, &Audience::SignedIn).await?;
    page(
        id,
        &view.goal.title,
        view.period,
        goal_crumbs(&state, id).await?,
    )
    .with_values([("analysis", view.analysis.unwrap_or_default())])
    .render_page()
}

/// `POST /goals/{id}/analysis`: saves the analysis of exactly the period sent.
pub async fn save(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let goal = state.store.goal(id).await?;
    let parsed = parse(&post.input);
    let shown = parsed.as_ref().map(|(p, _)| *p).unwrap_or(Period::Year(0));
    let form = async || Ok(page(id, &goal.title, shown, goal_crumbs(state, id).await?));
    post.submit(form, parsed, async |w, (period, text)| {
        w.set_analysis(id, period, &text).await.at("analysis")?;
        Ok(format!("/goals/{id}?period={period}#analysis-h"))
    })
    .await
}
