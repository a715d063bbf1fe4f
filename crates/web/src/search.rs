//! Sök (`/sok?q=`): goals, indicators, commitments and deviations found by their words in
//! Swedish word forms (`uppsikt_domain::search`), among what the viewer may see: the
//! public through the pages' one rule (`pages::audience` → `followup::findable`, and a
//! goal only where its unit has a decided period, as its page requires); deviations only
//! for those who may read them (`Action::ReadAll`, the guard of their pages).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use uppsikt_domain::access::Action;
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_domain::search::{Query as SearchQuery, RESULTS_MAX};
use uppsikt_report::followup;

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{Query, Result};
use crate::pages;
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct Params {
    pub q: Option<String>,
}

pub struct Hit {
    pub href: String,
    pub title: String,
    /// Where it belongs (the unit, the goal).
    pub context: String,
    score: u32,
}

pub struct Group {
    pub id: &'static str,
    pub heading: &'static str,
    pub hits: Vec<Hit>,
    /// Found beyond the `RESULTS_MAX` shown.
    pub more: usize,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    q: String,
    error: Option<String>,
    groups: Vec<Group>,
    total: usize,
    searched: bool,
    /// Whether deviations are searched (for those who may read them).
    with_deviations: bool,
    crumbs: String,
}

fn group(id: &'static str, heading: &'static str, mut hits: Vec<Hit>) -> Group {
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| swedish_cmp(&a.title, &b.title))
    });
    let more = hits.len().saturating_sub(RESULTS_MAX);
    hits.truncate(RESULTS_MAX);
    Group {
        id,
        heading,
        hits,
        more,
    }
}

/// The groups found for `query`, as `viewer` may see them.
async fn find(state: &AppState, viewer: &Viewer, query: &SearchQuery) -> Result<Vec<Group>> {
    let audience = pages::audience(state, viewer).await?;
    let found = followup::findable(&state.store, &audience).await?;
    let units: HashMap<Id, String> = state
        .store
        .org_units()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let unit = |id: Id| units.get(&id).cloned().unwrap_or_default();
    // A goal's page shows the public only a unit with a decided period.
    let mut shown: HashMap<Id, bool> = HashMap::new();
    let mut goals = Vec::new();
    for g in &found.goals {
        let open = match shown.get(&g.org_id) {
            Some(open) => *open,
            None => {
                let open = pages::page_period(state, &audience, g.org_id, None)
                    .await
                    .is_ok();
                shown.insert(g.org_id, open);
                open
            }
        };
        if open {
            goals.push(g);
        }
    }
    let goal_of: HashMap<Id, (&str, Id)> = found
        .goals
        .iter()
        .map(|g| (g.id, (g.title.as_str(), g.org_id)))
        .collect();
    let context_of_goal = |goal_id: Id| {
        goal_of
            .get(&goal_id)
            .map(|(title, org)| format!("{} – {title}", unit(*org)))
            .unwrap_or_default()
    };
    let mut groups = Vec::new();
    let hits = goals
        .iter()
        .filter_map(|g| {
            Some(Hit {
                score: query.score(&g.title, &g.description)?,
                href: format!("/goals/{}", g.id),
                title: g.title.clone(),
                context: unit(g.org_id),
            })
        })
        .collect();
    groups.push(group("sok-mal", "Mål", hits));
    let hits = found
        .records
        .iter()
        .filter_map(|r| {
            let i = &r.indicator;
            Some(Hit {
                score: query.score(&i.name, &i.source)?,
                href: format!("/indicators/{}", i.id),
                title: i.name.clone(),
                context: context_of_goal(i.goal_id),
            })
        })
        .collect();
    groups.push(group("sok-matt", "Mått", hits));
    let hits = found
        .commitments
        .iter()
        .filter_map(|c| {
            Some(Hit {
                score: query.score(&c.title, &c.description)?,
                href: format!("/goals/{}#commitment-{}", c.goal_id, c.id),
                title: c.title.clone(),
                context: format!("{} ({})", context_of_goal(c.goal_id), c.year),
            })
        })
        .collect();
    groups.push(group("sok-ataganden", "Utvecklingsåtaganden", hits));
    if reads_deviations(viewer) {
        let hits = state
            .store
            .deviations(None)
            .await?
            .into_iter()
            .filter_map(|d| {
                let r = &d.deviation.raised;
                let area = r.area.clone().unwrap_or_default();
                Some(Hit {
                    score: query.score(&r.description, &area)?,
                    href: format!("/deviations/{}", d.id),
                    title: r.description.clone(),
                    context: format!("{} {}", unit(r.org_id), r.period),
                })
            })
            .collect();
        groups.push(group("sok-avvikelser", "Avvikelser", hits));
    }
    Ok(groups)
}

fn reads_deviations(viewer: &Viewer) -> bool {
    viewer.allows(Action::ReadAll, &[])
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> Result<Response> {
    let q = p.q.unwrap_or_default();
    let crumbs = Crumbs::start().then("/sok", "Sök").html();
    let mut page = SearchPage {
        q: q.clone(),
        error: None,
        groups: Vec::new(),
        total: 0,
        searched: false,
        with_deviations: reads_deviations(&viewer),
        crumbs,
    };
    if q.trim().is_empty() {
        return Ok(Html(page.render()?).into_response());
    }
    match SearchQuery::parse(&q) {
        Err(e) => {
            page.error = Some(messages::search_query(&e));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Ok(query) => {
            page.groups = find(&state, &viewer, &query).await?;
            page.total = page.groups.iter().map(|g| g.hits.len() + g.more).sum();
            page.searched = true;
            Ok(Html(page.render()?).into_response())
        }
    }
}
