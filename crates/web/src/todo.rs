//! Att göra (`/org/{id}/att-gora?period=2019`): what a board's controllers and editors
//! still have to do for a period, each item a link to where it is done. Every list asks
//! the rules the rest of uppsikt uses: the indicator's evaluation for its total outcome
//! (`Evaluation::current`), the board view's assessments (decided or proposed), and the
//! oversight view's drill-down (`Concern::Undecided`, `Concern::OverdueActions` through
//! `Store::deviation_page`, with `Action::is_overdue` for the actions behind it).
//! Guarded as editing the unit (`Action::Edit`), the `/att-gora` chooser as reading.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uppsikt_domain::access::{Action, Role};
use uppsikt_domain::deviation::Concern;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::Period;
use uppsikt_report::followup;
use uppsikt_store::{DeviationFilter, Scope};

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{period_param, Path, Query, Result};
use crate::pages::PeriodQuery;
use crate::AppState;

/// At most this many deviations of each kind are listed (the oversight view has all).
const DEVIATIONS_MAX: usize = 100;

pub struct Item {
    pub href: String,
    pub label: String,
    pub context: String,
}

pub struct Section {
    pub id: &'static str,
    pub heading: &'static str,
    pub items: Vec<Item>,
    /// How many there are (more than listed for deviations beyond the limit).
    pub count: usize,
    pub done: &'static str,
}

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage {
    org: OrgUnit,
    period: Period,
    periods: Vec<Period>,
    sections: Vec<Section>,
    today: String,
    crumbs: String,
}

impl TodoPage {
    fn total(&self) -> usize {
        self.sections.iter().map(|s| s.count).sum()
    }
}

/// The unit and every unit below it.
fn subtree(units: &[OrgUnit], root: Id) -> Vec<Id> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let at = out[i];
        let children: Vec<Id> = units
            .iter()
            .filter(|u| u.parent_id == Some(at) && !out.contains(&u.id))
            .map(|u| u.id)
            .collect();
        out.extend(children);
        i += 1;
    }
    out
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response> {
    let requested = period_param(q.period.as_deref())?;
    let store = &state.store;
    // What the unit's editors see: everything (the route is guarded as editing it).
    let board = followup::board(store, id, requested, &Audience::SignedIn).await?;
    let period = board.period;
    let units = store.org_units().await?;
    let name_of: HashMap<Id, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();
    let today = uppsikt_store::today();
    let q = format!("?period={period}");

    let goals: Vec<&followup::GoalSummary> =
        board.sections.iter().flat_map(|s| s.goals.iter()).collect();
    let title_of: HashMap<Id, &str> = goals
        .iter()
        .map(|g| (g.goal.id, g.goal.title.as_str()))
        .collect();

    // Indicators without a total outcome for the period (the evaluation's `current`).
    let records = store.indicator_statuses(Scope::Org(id)).await?;
    let missing_outcomes: Vec<Item> = records
        .iter()
        .filter(|r| r.evaluate(period).current.is_none())
        .map(|r| Item {
            href: format!("/indicators/{}/outcomes", r.indicator.id),
            label: r.indicator.name.clone(),
            context: title_of
                .get(&r.indicator.goal_id)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        })
        .collect();

    let mut missing_analyses = Vec::new();
    for g in &goals {
        let analyses = store.analyses(g.goal.id).await?;
        if !analyses
            .iter()
            .any(|a| a.period == period && !a.text.trim().is_empty())
        {
            missing_analyses.push(Item {
                // The analysis is written on the goal page, for the period shown.
                href: format!("/goals/{}?period={period}#analysis-h", g.goal.id),
                label: g.goal.title.clone(),
                context: String::new(),
            });
        }
    }

    let missing_assessments: Vec<Item> = goals
        .iter()
        .filter(|g| g.assessment.decided.is_none() && g.assessment.proposed.is_none())
        .map(|g| Item {
            href: format!("/goals/{}/assessment{q}", g.goal.id),
            label: g.goal.title.clone(),
            context: g
                .assessment
                .system
                .as_ref()
                .map(|p| format!("Systemets förslag: {}", p.level))
                .unwrap_or_default(),
        })
        .collect();

    let filter = DeviationFilter {
        org_ids: Some(subtree(&units, id)),
        area: None,
    };
    let undecided = store
        .deviation_page(&filter, Concern::Undecided, &today, 0, DEVIATIONS_MAX)
        .await?;
    let undecided_items = undecided
        .items
        .iter()
        .map(|d| Item {
            href: format!("/deviations/{}/decision", d.id),
            label: d.deviation.raised.description.clone(),
            context: format!(
                "{}, {}, upptäckt {}",
                name_of.get(&d.deviation.raised.org_id).unwrap_or(&""),
                d.deviation.raised.period,
                d.deviation.raised_on
            ),
        })
        .collect();
    let overdue = store
        .deviation_page(&filter, Concern::OverdueActions, &today, 0, DEVIATIONS_MAX)
        .await?;
    let overdue_items: Vec<Item> = overdue
        .items
        .iter()
        .flat_map(|d| {
            d.deviation
                .actions
                .iter()
                .zip(&d.action_ids)
                .filter(|(a, _)| a.is_overdue(&today))
                .map(|(a, action_id)| Item {
                    href: format!("/deviation-actions/{action_id}/progress"),
                    label: a.what.clone(),
                    context: format!(
                        "Skulle vara klar {}. Avvikelse: {}",
                        a.due, d.deviation.raised.description
                    ),
                })
                .collect::<Vec<_>>()
        })
        .collect();

    let sections = vec![
        Section {
            id: "utfall",
            heading: "Utfall saknas",
            count: missing_outcomes.len(),
            items: missing_outcomes,
            done: "Alla mått har ett totalt utfall för perioden.",
        },
        Section {
            id: "analyser",
            heading: "Analys saknas",
            count: missing_analyses.len(),
            items: missing_analyses,
            done: "Alla mål har en analys för perioden.",
        },
        Section {
            id: "bedomningar",
            heading: "Bedömning saknas",
            count: missing_assessments.len(),
            items: missing_assessments,
            done: "Alla mål har en föreslagen eller beslutad bedömning.",
        },
        Section {
            id: "avvikelser",
            heading: "Avvikelser utan beslut",
            count: undecided.total,
            items: undecided_items,
            done: "Inga avvikelser väntar på beslut.",
        },
        Section {
            id: "forsenade",
            heading: "Försenade åtgärder",
            count: overdue_items.len(),
            items: overdue_items,
            done: "Inga åtgärder är försenade.",
        },
    ];
    let crumbs = Crumbs::units(&units, id, Some(period))
        .then(format!("/org/{id}/att-gora{q}"), "Att göra")
        .html();
    let html = TodoPage {
        org: board.org,
        period,
        periods: board.periods,
        sections,
        today,
        crumbs,
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "todo_choose.html")]
struct ChoosePage {
    units: Vec<OrgUnit>,
    crumbs: String,
}

/// `/att-gora`: the units whose Att göra the viewer may open; straight there when it
/// is one.
pub async fn choose(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let decisions = state.store.decisions().await?;
    let units: Vec<OrgUnit> = state
        .store
        .org_units()
        .await?
        .into_iter()
        .filter(|u| viewer.allows(Action::Edit, &decisions.chain(u.id)))
        // An editor's own units, not every unit below them.
        .filter(|u| viewer.principal.role != Role::Editor || viewer.principal.units.contains(&u.id))
        .collect();
    if let [only] = units.as_slice() {
        return Ok(Redirect::to(&format!("/org/{}/att-gora", only.id)).into_response());
    }
    let crumbs = Crumbs::start().then("/att-gora", "Att göra").html();
    Ok(Html(ChoosePage { units, crumbs }.render()?).into_response())
}
