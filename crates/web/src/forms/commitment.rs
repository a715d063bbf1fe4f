//! Create and edit development commitments (utvecklingsåtaganden) and record their status.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::model::{Commitment, Goal, Id};
use uppsikt_domain::CommitmentStatus;
use uppsikt_store::{CommitmentInput, Scope};

use super::{
    goal_crumbs, options, refs, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt,
    NAME_MAX, TEXT_MAX,
};
use crate::error::{Path, Result};
use crate::AppState;

async fn earlier_options(state: &AppState, goal: &Goal, exclude: Option<Id>) -> Result<FieldKind> {
    let all = state.store.commitments(Scope::Org(goal.org_id)).await?;
    let mut items = vec![(String::new(), "Inget (nytt åtagande)".to_string())];
    items.extend(
        all.iter()
            .filter(|c| Some(c.id) != exclude)
            .map(|c| (c.id.to_string(), format!("{} ({})", c.title, c.year))),
    );
    Ok(FieldKind::Select(items))
}

fn page(goal: &Goal, commitment: Option<&Commitment>, earlier: FieldKind) -> FormPage {
    let (title, action) = match commitment {
        Some(c) => (
            format!("Ändra åtagandet {}", c.title),
            format!("/commitments/{}/edit", c.id),
        ),
        None => (
            format!("Nytt utvecklingsåtagande för {}", goal.title),
            format!("/goals/{}/commitments/new", goal.id),
        ),
    };
    FormPage {
        title,
        intro: None,
        action,
        cancel: format!("/goals/{}", goal.id),
        submit: "Spara åtagandet".into(),
        crumbs: vec![(format!("/goals/{}", goal.id), goal.title.clone())],
        fields: vec![
            Field::new("title", "Rubrik", FieldKind::Text).required(),
            Field::new("description", "Vad ska göras", FieldKind::Textarea(5)),
            Field::new("year", "År", FieldKind::Integer)
                .required()
                .hint("Det år åtagandet gäller."),
            Field::new("carried_over_from", "Överfört från", earlier)
                .hint("Välj åtagandet från ett tidigare år som detta fortsätter."),
        ],
    }
}

pub(crate) fn parse(input: &Input, goal_id: Id) -> Result<CommitmentInput, Errors> {
    let mut e = Errors::default();
    let title = e.text(input, "title", NAME_MAX);
    let description = e.optional_paragraphs(input, "description", TEXT_MAX);
    let year = e.integer(input, "year", 1900, 2200);
    let carried = e.optional_id(input, "carried_over_from");
    match (title, year, carried, e.is_empty()) {
        (Some(title), Some(year), Some(carried_over_from), true) => Ok(CommitmentInput {
            key: String::new(),
            goal_id,
            title,
            description,
            year: year as i32,
            carried_over_from,
            position: 0,
        }),
        _ => Err(e),
    }
}

/// The parsed form, or the errors with the commitment it is carried over from checked too
/// ([`refs::carried_over_from`]).
async fn parse_checked(
    state: &AppState,
    input: &Input,
    goal: &Goal,
    this: Option<&Commitment>,
) -> Result<Result<CommitmentInput, Errors>> {
    let parsed = parse(input, goal.id);
    let Ok(CommitmentInput {
        carried_over_from: Some(from),
        year,
        ..
    }) = &parsed
    else {
        return Ok(parsed);
    };
    Ok(
        match refs::carried_over_from(state, goal.org_id, this, *year, *from).await? {
            None => parsed,
            Some(message) => {
                let mut e = Errors::default();
                e.add("carried_over_from", message);
                Err(e)
            }
        },
    )
}

/// The status form's fields: (status, date, comment).
pub(crate) fn parse_status(input: &Input) -> Result<(CommitmentStatus, String, String), Errors> {
    let mut e = Errors::default();
    let status = e.choice(input, "status", CommitmentStatus::parse);
    let date = e.date(input, "date");
    let comment = e.optional_paragraphs(input, "comment", TEXT_MAX);
    match (status, date, e.is_empty()) {
        (Some(status), Some(date), true) => Ok((status, date, comment)),
        _ => Err(e),
    }
}

pub async fn new_form(State(state): State<AppState>, Path(goal_id): Path<Id>) -> Result<Response> {
    let goal = state.store.goal(goal_id).await?;
    page(&goal, None, earlier_options(&state, &goal, None).await?).render_page()
}

pub async fn create(post: Post) -> Result<Response> {
    let (state, goal_id) = (&post.state, post.id);
    let goal = state.store.goal(goal_id).await?;
    let parsed = parse_checked(state, &post.input, &goal, None).await?;
    let form = async || {
        Ok(page(
            &goal,
            None,
            earlier_options(state, &goal, None).await?,
        ))
    };
    post.submit(form, parsed, async |w, parsed| {
        let id = w.create_commitment(&parsed).await.at("year")?;
        let started = format!("{:04}-01-01", parsed.year);
        w.add_commitment_status(id, &started, CommitmentStatus::InProgress, "")
            .await?;
        Ok(format!(
            "/goals/{goal_id}?period={}#commitment-{id}",
            parsed.year
        ))
    })
    .await
}

pub async fn edit_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let c = state.store.commitment(id).await?;
    let goal = state.store.goal(c.goal_id).await?;
    let p = page(
        &goal,
        Some(&c),
        earlier_options(&state, &goal, Some(id)).await?,
    );
    let values = [
        ("title", c.title.clone()),
        ("description", c.description.clone()),
        ("year", c.year.to_string()),
        (
            "carried_over_from",
            c.carried_over_from
                .map(|x| x.to_string())
                .unwrap_or_default(),
        ),
    ];
    p.with_values(values).render_page()
}

pub async fn update(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let c = state.store.commitment(id).await?;
    let goal = state.store.goal(c.goal_id).await?;
    let parsed = parse_checked(state, &post.input, &goal, Some(&c)).await?;
    let form = async || {
        let earlier = earlier_options(state, &goal, Some(id)).await?;
        Ok(page(&goal, Some(&c), earlier))
    };
    post.submit(form, parsed, async |w, mut parsed| {
        parsed.key = c.key.clone();
        parsed.position = c.position;
        w.update_commitment(id, &parsed).await.at("year")?;
        Ok(format!(
            "/goals/{}?period={}#commitment-{id}",
            goal.id, parsed.year
        ))
    })
    .await
}

fn status_page(c: &Commitment, mut crumbs: Vec<(String, String)>) -> FormPage {
    crumbs.push((
        format!("/goals/{}#commitment-{}", c.goal_id, c.id),
        c.title.clone(),
    ));
    FormPage {
        title: format!("Ny status för {}", c.title),
        intro: Some(
            "Statusen läggs till i åtagandets historik; tidigare statusar finns kvar.".into(),
        ),
        action: format!("/commitments/{}/status", c.id),
        cancel: format!("/goals/{}", c.goal_id),
        submit: "Spara statusen".into(),
        crumbs,
        fields: vec![
            Field::new(
                "status",
                "Status",
                options(
                    CommitmentStatus::ALL
                        .iter()
                        .map(|s| (s.code(), s.label_sv())),
                ),
            )
            .required(),
            Field::new("date", "Datum", FieldKind::Date)
                .required()
                .hint("ÅÅÅÅ-MM-DD, t.ex. 2019-12-31."),
            Field::new("comment", "Kommentar", FieldKind::Textarea(5)),
        ],
    }
}

pub async fn status_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let c = state.store.commitment(id).await?;
    let latest = c.latest().map(|l| ("status", l.status.code().to_string()));
    status_page(&c, goal_crumbs(&state, c.goal_id).await?)
        .with_values(latest)
        .with_values([("date", format!("{:04}-12-31", c.year))])
        .render_page()
}

pub async fn add_status(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let c = state.store.commitment(id).await?;
    let form = async || Ok(status_page(&c, goal_crumbs(state, c.goal_id).await?));
    let parsed = parse_status(&post.input);
    post.submit(form, parsed, async |w, (status, date, comment)| {
        w.add_commitment_status(id, &date, status, &comment)
            .await
            .at("date")?;
        Ok(format!(
            "/goals/{}?period={}#commitment-{id}",
            c.goal_id, c.year
        ))
    })
    .await
}
