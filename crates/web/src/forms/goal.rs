//! Create and edit goals, with their priorities and the analysis of a period.

use axum::extract::State;
use axum::response::Response;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Goal, GoalKind, Id, OrgUnit};
use uppsikt_store::GoalInput;

use super::{
    options, refs, Errors, Field, FieldKind, FormPage, Input, Post, RefusedAt, NAME_MAX, TEXT_MAX,
};
use crate::error::{Path, Result};
use crate::AppState;

/// The goals a goal of `org` may hang under: those of the unit itself and of the units
/// above it, except the goal itself and its subgoals; and the stored parent, if any.
async fn parent_options(state: &AppState, org: Id, goal: Option<&Goal>) -> Result<FieldKind> {
    let goals = state.store.goals().await?;
    let units = state.store.org_units().await?;
    let chain = state.store.org_chain(org).await?;
    let excluded: Vec<Id> = match goal {
        Some(g) => state
            .store
            .goal_tree(g.id)
            .await?
            .iter()
            .map(|g| g.id)
            .collect(),
        None => Vec::new(),
    };
    let stored = goal.and_then(|g| g.parent_id);
    let unit = |id: Id| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.short_name.clone())
            .unwrap_or_default()
    };
    let mut items = vec![(String::new(), "Inget överordnat mål".to_string())];
    items.extend(
        goals
            .iter()
            .filter(|g| !excluded.contains(&g.id))
            .filter(|g| refs::may_hang_under(&chain, g) || Some(g.id) == stored)
            .map(|g| {
                (
                    g.id.to_string(),
                    format!("{} ({})", g.title, unit(g.org_id)),
                )
            }),
    );
    Ok(FieldKind::Select(items))
}

fn page(org: &OrgUnit, goal: Option<&Goal>, parents: FieldKind) -> FormPage {
    let (title, action, cancel) = match goal {
        Some(g) => (
            format!("Redigera målet {}", g.title),
            format!("/goals/{}/edit", g.id),
            format!("/goals/{}", g.id),
        ),
        None => (
            format!("Nytt mål för {}", org.name),
            format!("/org/{}/goals/new", org.id),
            format!("/org/{}", org.id),
        ),
    };
    let mut crumbs = vec![(format!("/org/{}", org.id), org.name.clone())];
    if let Some(g) = goal {
        crumbs.push((format!("/goals/{}", g.id), g.title.clone()));
    }
    FormPage {
        title,
        intro: None,
        action,
        cancel,
        submit: "Spara målet".into(),
        crumbs,
        fields: vec![
            Field::new("title", "Rubrik", FieldKind::Text).required(),
            Field::new("description", "Beskrivning", FieldKind::Textarea(4)),
            Field::new("parent", "Överordnat mål", parents).hint(
                "Det mål i kommunfullmäktiges eller nämndens målkedja som målet bidrar till.",
            ),
            Field::new(
                "kind",
                "Typ av mål",
                options(GoalKind::ALL.iter().map(|k| (k.code(), k.label_sv()))),
            )
            .required(),
            Field::new("priorities", "Särskilt prioriterat", FieldKind::Textarea(5))
                .hint("En prioritering per rad."),
            Field::new("analysis_period", "Analysens period", FieldKind::Text)
                .hint("T.ex. 2019 eller 2019T2. Lämna tomt om du inte skriver någon analys."),
            Field::new("analysis", "Analys", FieldKind::Textarea(8)),
            Field::new("position", "Ordning", FieldKind::Integer)
                .hint("Valfritt. Lägre tal visas först."),
        ],
    }
}

pub(crate) struct Parsed {
    pub(crate) input: GoalInput,
    pub(crate) priorities: Vec<String>,
    pub(crate) analysis: Option<(uppsikt_domain::Period, String)>,
}

pub(crate) fn parse(input: &Input, org_id: Id) -> Result<Parsed, Errors> {
    let mut e = Errors::default();
    let title = e.text(input, "title", NAME_MAX);
    let description = e.optional_paragraphs(input, "description", TEXT_MAX);
    let parent_id = e.optional_id(input, "parent");
    let kind = e.choice(input, "kind", GoalKind::parse);
    let priorities_raw = e.optional_paragraphs(input, "priorities", TEXT_MAX);
    let priorities: Vec<String> = priorities_raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if priorities.iter().any(|p| p.chars().count() > 1000) {
        e.add("priorities", messages::too_long(1000));
    }
    let analysis_text = e.optional_paragraphs(input, "analysis", TEXT_MAX);
    let analysis = if !Errors::is_blank(input, "analysis_period") {
        e.period(input, "analysis_period")
            .map(|p| Some((p, analysis_text)))
    } else if !analysis_text.is_empty() {
        e.add("analysis_period", messages::forms::ANALYSIS_NEEDS_PERIOD);
        None
    } else {
        Some(None)
    };
    let position = e.optional_integer(input, "position", -1_000_000, 1_000_000);
    match (title, parent_id, kind, analysis, position, e.is_empty()) {
        (Some(title), Some(parent_id), Some(kind), Some(analysis), Some(position), true) => {
            Ok(Parsed {
                input: GoalInput {
                    key: String::new(),
                    org_id,
                    parent_id,
                    title,
                    description,
                    kind,
                    position: position.unwrap_or(0),
                },
                priorities,
                analysis,
            })
        }
        _ => Err(e),
    }
}

/// The parsed form, or the errors with the parent checked too (it must exist and may be
/// chosen: [`refs::goal_parent`]).
async fn parse_checked(
    state: &AppState,
    input: &Input,
    org_id: Id,
    goal: Option<&Goal>,
) -> Result<Result<Parsed, Errors>> {
    let parsed = parse(input, org_id);
    let parent = match &parsed {
        Ok(p) => p.input.parent_id,
        Err(_) => None,
    };
    let Some(parent) = parent else {
        return Ok(parsed);
    };
    Ok(
        match refs::goal_parent(state, org_id, goal, parent).await? {
            None => parsed,
            Some(message) => {
                let mut e = Errors::default();
                e.add("parent", message);
                Err(e)
            }
        },
    )
}

pub async fn new_form(State(state): State<AppState>, Path(org_id): Path<Id>) -> Result<Response> {
    let org = state.store.org_unit(org_id).await?;
    let p = page(&org, None, parent_options(&state, org_id, None).await?);
    let kind = if org.kind.is_governing()
        && org.parent_id.is_some()
        && org.kind != uppsikt_domain::model::OrgKind::Fullmaktige
    {
        "board"
    } else {
        "overall"
    };
    p.with_values([("kind", kind)]).render_page()
}

pub async fn create(post: Post) -> Result<Response> {
    let (state, org_id) = (&post.state, post.id);
    let org = state.store.org_unit(org_id).await?;
    let parsed = parse_checked(state, &post.input, org_id, None).await?;
    let form = async || Ok(page(&org, None, parent_options(state, org_id, None).await?));
    post.submit(form, parsed, async |w, parsed| {
        let id = w.create_goal(&parsed.input).await?;
        w.set_priorities(id, &parsed.priorities).await?;
        if let Some((period, text)) = &parsed.analysis {
            w.set_analysis(id, *period, text).await?;
        }
        Ok(format!("/goals/{id}"))
    })
    .await
}

pub async fn edit_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let goal = state.store.goal(id).await?;
    let org = state.store.org_unit(goal.org_id).await?;
    let analyses = state.store.analyses(id).await?;
    let latest = analyses.last();
    let p = page(
        &org,
        Some(&goal),
        parent_options(&state, goal.org_id, Some(&goal)).await?,
    );
    let values = [
        ("title", goal.title.clone()),
        ("description", goal.description.clone()),
        (
            "parent",
            goal.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("kind", goal.kind.code().to_string()),
        ("priorities", state.store.priorities(id).await?.join("\n")),
        (
            "analysis_period",
            latest.map(|a| a.period.to_string()).unwrap_or_default(),
        ),
        (
            "analysis",
            latest.map(|a| a.text.clone()).unwrap_or_default(),
        ),
        ("position", goal.position.to_string()),
    ];
    p.with_values(values).render_page()
}

pub async fn update(post: Post) -> Result<Response> {
    let (state, id) = (&post.state, post.id);
    let goal = state.store.goal(id).await?;
    let org = state.store.org_unit(goal.org_id).await?;
    let parsed = parse_checked(state, &post.input, goal.org_id, Some(&goal)).await?;
    let form = async || {
        let options = parent_options(state, goal.org_id, Some(&goal)).await?;
        Ok(page(&org, Some(&goal), options))
    };
    post.submit(form, parsed, async |w, mut parsed| {
        parsed.input.key = goal.key.clone();
        // A decided goal keeps its place in the tree until the decision is reopened.
        w.update_goal(id, &parsed.input).await.at("parent")?;
        w.set_priorities(id, &parsed.priorities).await?;
        if let Some((period, text)) = &parsed.analysis {
            w.set_analysis(id, *period, text)
                .await
                .at("analysis_period")?;
        }
        Ok(format!("/goals/{id}"))
    })
    .await
}
