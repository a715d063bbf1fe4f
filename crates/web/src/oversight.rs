//! The oversight view ("Uppsikt") for the executive board: what has not been acted on,
//! per board, per area and in total; the drill-down to each deviation; the deviation page
//! with its decision, actions and their effect; and the workbook export.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uppsikt_domain::access::Action as Access;
use uppsikt_domain::deviation::{ActionState, Concern, Outcome};
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_report::oversight::deviations::{self, list_link, standing_sv};
use uppsikt_report::oversight::{self, ExportError, Panel};
use uppsikt_store::{ChangeSource, DeviationFilter, StoredDeviation};

use crate::auth::Viewer;
use crate::error::{AppError, Path, Query, Result};
use crate::AppState;

/// Deviations per page of a drill-down.
const PAGE_SIZE: usize = 100;
/// The highest page number asked for (ten million deviations); a larger one is refused.
const PAGE_MAX: u32 = 100_000;

#[derive(Template)]
#[template(path = "oversight.html")]
struct OversightPage {
    today: String,
    /// One per registered source of the view (`oversight::SOURCES`).
    panels: Vec<Panel>,
    can_raise: bool,
    /// Units the viewer may register a deviation for.
    units: Vec<(Id, String)>,
}

pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    let today = uppsikt_store::today();
    let key = format!("{} {today}", crate::pages::cache_key(&viewer, &uri));
    crate::pages::cached(&state, &key, || async {
        let panels = oversight::panels(&state.store, &today).await?;
        let units = state.store.org_units().await?;
        let mut editable = Vec::new();
        for u in &units {
            let chain = state.store.org_chain(u.id).await?;
            if viewer.allows(Access::Edit, &chain) {
                editable.push((u.id, u.name.clone()));
            }
        }
        let page = OversightPage {
            today: today.clone(),
            panels,
            can_raise: viewer.allows(Access::RaiseDeviations, &[]),
            units: editable,
        };
        Ok(page.render()?)
    })
    .await
}

/// The drill-down's query, as typed: numbers are read by [`page_number`] and [`id_param`]
/// so that a wrong one gets a Swedish answer.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub concern: Option<String>,
    pub board: Option<String>,
    pub area: Option<String>,
    pub page: Option<String>,
}

/// A page number 1..=[`PAGE_MAX`] (none: the first).
fn page_number(raw: Option<&str>) -> Result<usize> {
    match raw.map(str::trim) {
        None | Some("") => Ok(1),
        Some(r) => r
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=PAGE_MAX).contains(p))
            .map(|p| p as usize)
            .ok_or_else(|| {
                AppError::BadRequest(messages::bad_page_number(
                    &uppsikt_domain::text::shown(r, 40),
                    PAGE_MAX,
                ))
            }),
    }
}

/// An optional id in the query string.
fn id_param(name: &str, raw: Option<&str>) -> Result<Option<Id>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) => r.parse::<Id>().map(Some).map_err(|_| {
            AppError::BadRequest(messages::bad_id_parameter(
                name,
                &uppsikt_domain::text::shown(r, 40),
            ))
        }),
    }
}

pub struct ListItem {
    pub id: Id,
    pub description: String,
    pub unit: String,
    pub area: String,
    pub source: &'static str,
    pub period: String,
    pub raised_on: String,
    pub age: String,
    pub standing: &'static str,
    pub overdue: usize,
}

#[derive(Template)]
#[template(path = "deviation_list.html")]
struct ListPage {
    title: String,
    scope: String,
    concern: Concern,
    tabs: Vec<(String, &'static str, bool)>,
    items: Vec<ListItem>,
    total: usize,
    first: usize,
    last: usize,
    previous: Option<String>,
    next: Option<String>,
    /// A board's drill-down: its threshold and what the viewer may do with it.
    board: Option<BoardTools>,
}

/// A board's drill-down offers its threshold (controllers) and one decision not to act on
/// several of its undecided deviations (those who may decide on them).
pub struct BoardTools {
    pub id: Id,
    pub threshold: String,
    pub can_set_threshold: bool,
    pub can_decide: bool,
}

fn unit_names(units: &[OrgUnit]) -> HashMap<Id, String> {
    units.iter().map(|u| (u.id, u.name.clone())).collect()
}

fn list_item(s: &StoredDeviation, names: &HashMap<Id, String>, today: &str) -> ListItem {
    let d = &s.deviation;
    ListItem {
        id: s.id,
        description: d.raised.description.clone(),
        unit: names.get(&d.raised.org_id).cloned().unwrap_or_default(),
        area: d.raised.area.clone().unwrap_or_default(),
        source: d.raised.source.label_sv(),
        period: d.raised.period.label_sv(),
        raised_on: d.raised_on.clone(),
        age: d
            .decision
            .is_none()
            .then(|| uppsikt_domain::date::days_between(&d.raised_on, today))
            .flatten()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        standing: standing_sv(d.standing()),
        overdue: d.actions.iter().filter(|a| a.is_overdue(today)).count(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let concern = match q.concern.as_deref() {
        None | Some("") => Concern::All,
        Some(c) => Concern::parse(c)
            .ok_or_else(|| AppError::BadRequest(messages::deviations::unknown_concern(c)))?,
    };
    let board = id_param("board", q.board.as_deref())?;
    let page_no = page_number(q.page.as_deref())?;
    let today = uppsikt_store::today();
    let key = format!("{} {today}", crate::pages::cache_key(&viewer, &uri));
    crate::pages::cached(&state, &key, || async {
        let units = state.store.org_units().await?;
        let names = unit_names(&units);
        let (scope, filter) = match (&board, &q.area) {
            (Some(board), _) => {
                let name = names.get(board).cloned().ok_or(AppError::NotFound)?;
                let filter = DeviationFilter {
                    org_ids: Some(deviations::units_of_board(&units, *board)),
                    area: None,
                };
                (name, filter)
            }
            (None, Some(area)) => {
                let label = if area.is_empty() {
                    deviations::NO_AREA.to_string()
                } else {
                    format!("området {area}")
                };
                (
                    label,
                    DeviationFilter {
                        org_ids: None,
                        area: Some(area.clone()),
                    },
                )
            }
            (None, None) => ("hela kommunen".to_string(), DeviationFilter::default()),
        };
        let offset = (page_no - 1) * PAGE_SIZE;
        let page = state
            .store
            .deviation_page(&filter, concern, &today, offset, PAGE_SIZE)
            .await?;
        let link = |concern: Concern, page: Option<usize>| {
            let mut l = list_link(
                concern,
                board,
                if board.is_some() {
                    None
                } else {
                    q.area.as_deref()
                },
            );
            if let Some(p) = page {
                l.push_str(&format!("&page={p}"));
            }
            l
        };
        let tabs = Concern::ALL
            .iter()
            .map(|c| (link(*c, None), c.label_sv(), *c == concern))
            .collect();
        let items: Vec<ListItem> = page
            .items
            .iter()
            .map(|s| list_item(s, &names, &today))
            .collect();
        let board_tools = match board {
            Some(b) => {
                let chain = state.store.org_chain(b).await?;
                Some(BoardTools {
                    id: b,
                    threshold: crate::forms::deviation_board::threshold_sv(
                        state.store.deviation_threshold(b).await?,
                    ),
                    can_set_threshold: viewer.allows(Access::RaiseDeviations, &[]),
                    can_decide: viewer.allows(Access::Edit, &chain),
                })
            }
            None => None,
        };
        let html = ListPage {
            title: format!("{} – {scope}", concern.label_sv()),
            scope,
            concern,
            tabs,
            first: if items.is_empty() { 0 } else { offset + 1 },
            last: offset + items.len(),
            previous: (page_no > 1).then(|| link(concern, Some(page_no - 1))),
            next: (offset + items.len() < page.total).then(|| link(concern, Some(page_no + 1))),
            total: page.total,
            items,
            board: board_tools,
        }
        .render()?;
        Ok(html)
    })
    .await
}

pub struct ActionView {
    pub id: Id,
    pub what: String,
    pub unit: String,
    pub person: String,
    pub due: String,
    pub state: &'static str,
    pub open: bool,
    pub overdue: bool,
    pub expected_effect: String,
    pub indicator: Option<(Id, String)>,
    /// For a done action: the first outcome after it, or why the effect is unknown.
    pub effect: Option<String>,
    pub effect_known: bool,
    pub comments: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "deviation.html")]
struct DeviationPage {
    id: Id,
    d: uppsikt_domain::deviation::Deviation,
    unit: OrgUnit,
    raised_by_link: Option<(String, String)>,
    standing: &'static str,
    age: String,
    act: bool,
    motivation: String,
    actions: Vec<ActionView>,
    /// The decisions corrections replaced, oldest (the original) first.
    corrections: Vec<CorrectionView>,
    can_edit: bool,
    can_read_history: bool,
}

/// A decision a correction replaced, with who corrected it, when and why.
struct CorrectionView {
    /// "Ursprungligt beslut" or "Tidigare rättat beslut".
    label: &'static str,
    summary: String,
    on: String,
    by: String,
    reason: String,
}

/// A decision in one line: what, by whom, when, § and diary number.
fn decision_summary_sv(d: &uppsikt_domain::deviation::Decision) -> String {
    let what = match &d.outcome {
        Outcome::Act => "Åtgärda".to_string(),
        Outcome::NoAction { motivation } => format!("Inte åtgärda ({motivation})"),
    };
    let mut parts = vec![what, d.body.label_sv().to_string(), d.decided_on.clone()];
    if !d.paragraph.is_empty() {
        parts.push(d.paragraph.clone());
    }
    if !d.diary_number.is_empty() {
        parts.push(format!("dnr {}", d.diary_number));
    }
    parts.join(", ")
}

/// The corrections of a deviation's decision as shown, with the people's names.
async fn correction_views(
    state: &AppState,
    corrections: &[uppsikt_domain::deviation::Correction],
) -> Result<Vec<CorrectionView>> {
    if corrections.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashMap<String, String> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.username, u.display_name))
        .collect();
    Ok(corrections
        .iter()
        .enumerate()
        .map(|(i, c)| CorrectionView {
            label: if i == 0 {
                "Ursprungligt beslut"
            } else {
                "Tidigare rättat beslut"
            },
            summary: decision_summary_sv(&c.replaced),
            on: c.corrected_on.clone(),
            by: names
                .get(&c.corrected_by)
                .cloned()
                .unwrap_or_else(|| c.corrected_by.clone()),
            reason: c.reason.clone(),
        })
        .collect())
}

/// The page of what raised an automatic deviation (from its cause key), with a label.
async fn raised_by(state: &AppState, cause_key: Option<&str>) -> Result<Option<(String, String)>> {
    let Some(key) = cause_key else {
        return Ok(None);
    };
    let mut parts = key.split(':');
    let (kind, id) = (
        parts.next(),
        parts.next().and_then(|s| s.parse::<Id>().ok()),
    );
    Ok(match (kind, id) {
        (Some("indicator"), Some(id)) => match state.store.indicator_record(id).await {
            Ok(r) => Some((
                format!("/indicators/{id}"),
                format!("Måttet {}", r.indicator.name),
            )),
            Err(_) => None,
        },
        (Some("commitment"), Some(id)) => match state.store.commitment(id).await {
            Ok(c) => Some((
                format!("/goals/{}?period={}#commitment-{id}", c.goal_id, c.year),
                format!("Utvecklingsåtagandet {}", c.title),
            )),
            Err(_) => None,
        },
        _ => None,
    })
}

async fn action_view(
    state: &AppState,
    a: &uppsikt_domain::deviation::Action,
    id: Id,
    names: &HashMap<Id, String>,
    today: &str,
) -> Result<ActionView> {
    let record = match a.indicator_id {
        Some(i) => state.store.indicator_record(i).await.ok(),
        None => None,
    };
    let (effect, effect_known) = match (a.state, &record) {
        (ActionState::Done, None) => (
            Some("Effekten går inte att följa: inget mått är kopplat.".to_string()),
            false,
        ),
        (ActionState::Done, Some(r)) => match a.effect(&r.outcomes) {
            Some(o) => (
                Some(format!(
                    "{}: {}",
                    o.period.label_sv(),
                    uppsikt_report::followup::format_value(
                        o.value,
                        r.indicator.decimals,
                        &r.indicator.unit
                    )
                )),
                true,
            ),
            None => (
                Some(format!(
                    "Okänd ännu: inget utfall för en period efter {}.",
                    a.closed_on.as_deref().unwrap_or("genomförandet")
                )),
                false,
            ),
        },
        _ => (None, false),
    };
    Ok(ActionView {
        id,
        what: a.what.clone(),
        unit: names.get(&a.responsible_unit).cloned().unwrap_or_default(),
        person: a.responsible_person.clone(),
        due: a.due.clone(),
        state: a.state.label_sv(),
        open: !a.state.is_closed(),
        overdue: a.is_overdue(today),
        expected_effect: a.expected_effect.clone(),
        indicator: record.map(|r| (r.indicator.id, r.indicator.name.clone())),
        effect,
        effect_known,
        comments: a.comments.clone(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(id): Path<Id>,
) -> Result<Response> {
    let today = uppsikt_store::today();
    let key = format!("{} {today}", crate::pages::cache_key(&viewer, &uri));
    crate::pages::cached(&state, &key, || async {
        let stored = state.store.deviation(id).await?;
        let d = stored.deviation;
        let units = state.store.org_units().await?;
        let names = unit_names(&units);
        let unit = state.store.org_unit(d.raised.org_id).await?;
        let chain = state.store.org_chain(unit.id).await?;
        let mut actions = Vec::new();
        for (a, action_id) in d.actions.iter().zip(&stored.action_ids) {
            actions.push(action_view(&state, a, *action_id, &names, &today).await?);
        }
        let (act, motivation) = match d.decision.as_ref().map(|x| &x.outcome) {
            Some(Outcome::Act) => (true, String::new()),
            Some(Outcome::NoAction { motivation }) => (false, motivation.clone()),
            None => (false, String::new()),
        };
        let page = DeviationPage {
            id,
            raised_by_link: raised_by(&state, d.raised.cause_key.as_deref()).await?,
            standing: standing_sv(d.standing()),
            age: uppsikt_domain::date::days_between(&d.raised_on, &today)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            act,
            motivation,
            actions,
            corrections: correction_views(&state, &d.corrections).await?,
            can_edit: viewer.allows(Access::Edit, &chain),
            can_read_history: viewer.allows(Access::ReadHistory, &chain),
            unit,
            d,
        };
        Ok(page.render()?)
    })
    .await
}

/// The workbook: every registered source's sheets (`oversight::SOURCES`).
pub async fn export(State(state): State<AppState>) -> Result<Response> {
    let today = uppsikt_store::today();
    let bytes = oversight::workbook(&state.store, &today)
        .await
        .map_err(|e| match e {
            ExportError::Report(e) => AppError::from(e),
            ExportError::Xlsx(e) => AppError::Internal(format!("Excel: {e}")),
        })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"uppsikt-{today}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct NewQuery {
    pub org: Option<String>,
}

/// From the unit chooser on the oversight page to that unit's form.
pub async fn choose_unit(Query(q): Query<NewQuery>) -> Result<Response> {
    let org = id_param("org", q.org.as_deref())?
        .ok_or_else(|| AppError::BadRequest(messages::deviations::CHOOSE_UNIT.into()))?;
    Ok(Redirect::to(&format!("/org/{org}/deviations/new")).into_response())
}

/// Raises every automatic deviation that is due (idempotent). Its route's guard lets only
/// those allowed [`Access::RaiseDeviations`] through.
pub async fn raise(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let raised = state
        .store
        .raise_automatic_deviations(&viewer.actor(), ChangeSource::Form, None)
        .await?;
    tracing::info!(raised = raised.len(), "automatic deviations raised");
    Ok(Redirect::to(&format!("/uppsikt?raised={}", raised.len())).into_response())
}
