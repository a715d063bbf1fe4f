//! Internal control's pages: KS's oversight of every board's internal control per year
//! (`/internal-control?year=`), and one board's plan for a year
//! (`/internal-control/{id}`) with its risks, actions, controls, occurrences and contract
//! follow-ups, the notices of what must not go unseen, and the links to every form.
//!
//! Guards: both pages are internal working material, in the [`Action::ReadAll`] group
//! (`lib.rs`); the public meets internal control in the decided reports. The forms are in
//! `forms/internal_control.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uppsikt_domain::access::Action;
use uppsikt_domain::internal_control::{
    self as ic, ActionSource, ActionStatus, BoardYear, Control, ControlKind, ControlPlan,
    Execution, IcAction, Occurrence, OccurrenceState, Risk, Summary,
};
use uppsikt_domain::model::{Id, OrgKind, OrgUnit};

use uppsikt_report::internal_control as report_ic;

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{Path, Query, Result};
use crate::AppState;

/// The menu's and the trail's name for internal control.
pub const LABEL: &str = "Intern kontroll";

/// The address of the overview for a year.
pub fn overview_href(year: i32) -> String {
    format!("/internal-control?year={year}")
}

// ---- KS's oversight ----

#[derive(Deserialize, Default)]
pub struct YearQuery {
    pub year: Option<String>,
}

/// One board's row in the overview.
pub struct OverviewRow {
    pub unit: OrgUnit,
    pub row: BoardYear,
    pub actions: String,
    pub occurrences: String,
    pub common: String,
    /// Whether the viewer may create the board's plan.
    pub can_create: bool,
}

#[derive(Template)]
#[template(path = "internal_control.html")]
struct OverviewPage {
    crumbs: String,
    year: i32,
    years: Vec<i32>,
    year_error: Option<String>,
    rows: Vec<OverviewRow>,
    without_plan: usize,
    can_manage: bool,
}

/// "10 av 18 (56 %)", or "–" when there is nothing to count.
pub fn share_sv(part: usize, whole: usize) -> String {
    report_ic::share_sv(part, whole, "–")
}

/// The year asked for, else the latest year any plan is for, else this year.
fn chosen_year(query: &YearQuery, years: &[i32]) -> (i32, Option<String>) {
    let fallback = years
        .iter()
        .copied()
        .max()
        .unwrap_or_else(|| this_year(&uppsikt_store::today()));
    match query.year.as_deref().map(str::trim) {
        None | Some("") => (fallback, None),
        Some(raw) => match raw.parse::<i32>() {
            Ok(y) if (1900..=2200).contains(&y) => (y, None),
            _ => (
                fallback,
                Some(uppsikt_domain::messages::internal_control::plan_year(raw)),
            ),
        },
    }
}

fn this_year(today: &str) -> i32 {
    today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2000)
}

/// KS's oversight: per board, the year's plan adopted or not, elected members in the risk
/// analysis, KS's common items included, actions and control occurrences done, findings
/// without a decision, and the board's own assessment beside the auditors'.
pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::extract::OriginalUri,
    Query(query): Query<YearQuery>,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        overview_html(state, viewer, &query, &today).await
    })
    .await
}

async fn overview_html(
    state: &AppState,
    viewer: &Viewer,
    query: &YearQuery,
    today: &str,
) -> Result<String> {
    let store = &state.store;
    let mut years: Vec<i32> = store
        .control_plan_years()
        .await?
        .into_iter()
        .map(|(_, y, _)| y)
        .collect();
    years.sort_unstable();
    years.dedup();
    let (year, year_error) = chosen_year(query, &years);
    let decisions = store.decisions().await?;
    let rows: Vec<OverviewRow> = board_years(state, year, today)
        .await?
        .into_iter()
        .map(|(unit, row)| {
            let s = row.summary;
            OverviewRow {
                actions: share_sv(s.actions_done, s.actions),
                occurrences: share_sv(s.occurrences_performed, s.occurrences),
                common: if row.common_expected == 0 {
                    "–".into()
                } else {
                    format!("{} av {}", row.common_included, row.common_expected)
                },
                can_create: viewer.allows(Action::Edit, &decisions.chain(unit.id)),
                unit,
                row,
            }
        })
        .collect();
    let without_plan = rows.iter().filter(|r| !r.row.has_plan).count();
    Ok(OverviewPage {
        crumbs: Crumbs::start()
            .then(overview_href(year), format!("{LABEL} {year}"))
            .html(),
        year,
        years,
        year_error,
        can_manage: viewer.allows(Action::ManageInternalControl, &[]),
        rows,
        without_plan,
    }
    .render()?)
}

/// Every board's internal control in `year`, as the overview page, the API, the Uppsikt
/// view and the reports show it (`uppsikt_report::internal_control::board_years`).
pub async fn board_years(
    state: &AppState,
    year: i32,
    today: &str,
) -> Result<Vec<(OrgUnit, BoardYear)>> {
    Ok(report_ic::board_years(&state.store, year, today, None).await?)
}

/// `GET /api/v1/internal-control?year=`: every board's row of the overview.
pub async fn api_overview(
    State(state): State<AppState>,
    Query(query): Query<YearQuery>,
) -> std::result::Result<axum::Json<serde_json::Value>, crate::error::ApiError> {
    let today = uppsikt_store::today();
    let years: Vec<i32> = state
        .store
        .control_plan_years()
        .await?
        .into_iter()
        .map(|(_, y, _)| y)
        .collect();
    let (year, error) = chosen_year(&query, &years);
    if let Some(e) = error {
        return Err(crate::error::AppError::BadRequest(e).into());
    }
    let rows = board_years(&state, year, &today)
        .await
        .map_err(crate::error::ApiError)?;
    let boards: Vec<serde_json::Value> = rows
        .iter()
        .map(|(u, r)| serde_json::json!({ "org_unit": { "id": u.id, "name": u.name }, "internal_control": r }))
        .collect();
    Ok(axum::Json(
        serde_json::json!({ "year": year, "as_of": today, "boards": boards }),
    ))
}

/// `GET /api/v1/internal-control/{id}`: one plan whole, with its computed summary and
/// notices.
pub async fn api_plan(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> std::result::Result<axum::Json<serde_json::Value>, crate::error::ApiError> {
    let today = uppsikt_store::today();
    let plan = state.store.control_plan(id).await?;
    let raised = state.store.control_plan_deviations(id).await?;
    Ok(axum::Json(serde_json::json!({
        "as_of": today,
        "plan": plan,
        "summary": plan.summary(&today),
        "notices": plan.notices(&today),
        "deviations": raised,
    })))
}

/// Whether the unit is the executive board (kommunstyrelsen): its plan holds the common
/// items.
fn is_ks(unit: &OrgUnit) -> bool {
    unit.kind == OrgKind::Styrelse
}

// ---- One plan ----

pub struct ActionView {
    pub action: IcAction,
    pub status: &'static str,
    pub done: bool,
    pub blocker: Option<String>,
    pub verified: Option<String>,
    /// Recommendations and deviations it also serves.
    pub also_serves: Vec<String>,
    /// The deviation raised because it was not finished, if any.
    pub deviation: Option<Id>,
}

pub struct RiskView {
    pub risk: Risk,
    pub documented: Option<String>,
    pub age: Option<String>,
    pub gross: Option<String>,
    pub net: Option<String>,
    pub handling: Option<String>,
    pub actions: Vec<ActionView>,
}

pub struct AreaView<T> {
    pub name: String,
    pub items: Vec<T>,
}

pub struct OccurrenceView {
    pub occurrence: Occurrence,
    pub state: &'static str,
    pub missed: bool,
    pub findings: bool,
    pub detail: String,
    pub drift: Option<String>,
    pub deviation: Option<Id>,
}

pub struct ControlView {
    pub control: Control,
    pub status: &'static str,
    pub performed: String,
    pub follow_up: Option<ic::ContractFollowUp>,
    pub occurrences: Vec<OccurrenceView>,
}

pub struct AuditView {
    pub case_ref: String,
    pub title: String,
    pub actions: Vec<ActionView>,
}

pub struct MapCell {
    pub label: String,
    pub gross: String,
    pub net: String,
}

#[derive(Template)]
#[template(path = "internal_control_plan.html")]
struct PlanPage {
    crumbs: String,
    org: OrgUnit,
    plan: ControlPlan,
    summary: Summary,
    actions_share: String,
    risk_actions_share: String,
    audit_actions_share: String,
    controls_share: String,
    occurrences_share: String,
    notices: Vec<String>,
    risk_areas: Vec<AreaView<RiskView>>,
    riskless: Vec<ActionView>,
    audits: Vec<AuditView>,
    control_areas: Vec<AreaView<ControlView>>,
    follow_ups: Vec<ControlView>,
    map: Vec<MapCell>,
    /// The risk map drawn (gross, then net) with its caption, beside its table.
    map_svgs: Vec<(&'static str, String)>,
    not_assessed: Vec<String>,
    can_edit: bool,
    /// Carrying over writes next year's plan: allowed when this year is decided.
    can_carry: bool,
    can_manage: bool,
    is_ks: bool,
    today: String,
    /// The decision that locked the plan's year for its unit, as the messages name it.
    locked_by: Option<String>,
}

/// The trail to a plan: the unit tree, the year's overview, the plan (its page and its
/// forms alike).
pub fn plan_trail(units: &[OrgUnit], plan: &ControlPlan) -> Crumbs {
    Crumbs::units(units, plan.org_id, None)
        .then(overview_href(plan.year), format!("{LABEL} {}", plan.year))
        .then(
            format!("/internal-control/{}", plan.id),
            format!("Internkontrollplan {}", plan.year),
        )
}

/// The plan of a board for a year, every item with its state.
pub async fn plan_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: axum::extract::OriginalUri,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        plan_html(state, viewer, id, &today).await
    })
    .await
}

async fn plan_html(state: &AppState, viewer: &Viewer, id: Id, today: &str) -> Result<String> {
    let store = &state.store;
    let today = today.to_string();
    let plan = store.control_plan(id).await?;
    let org = store.org_unit(plan.org_id).await?;
    let units = store.org_units().await?;
    let raised = store.control_plan_deviations(id).await?;
    let decisions = store.decisions().await?;
    let chain = decisions.chain(org.id);
    let locked_by = decisions
        .covering(org.id, uppsikt_domain::Period::Year(plan.year))
        .map(uppsikt_domain::messages::decision_reference);
    let view = PlanView::new(&plan, &raised, &today);
    let s = plan.summary(&today);
    let html = PlanPage {
        crumbs: plan_trail(&units, &plan).html(),
        actions_share: share_sv(s.actions_done, s.actions),
        risk_actions_share: share_sv(s.risk_actions_done, s.risk_actions),
        audit_actions_share: share_sv(s.audit_actions_done, s.audit_actions),
        controls_share: share_sv(s.controls_done, s.controls),
        occurrences_share: share_sv(s.occurrences_performed, s.occurrences),
        notices: report_ic::notices_sv(&plan, &today),
        risk_areas: view.risk_areas,
        riskless: view.riskless,
        audits: view.audits,
        control_areas: view.control_areas,
        follow_ups: view.follow_ups,
        map: view.map,
        map_svgs: match ic::risk_map(&plan) {
            Some(m) if !m.gross.is_empty() || !m.net.is_empty() => [false, true]
                .into_iter()
                .map(|net| {
                    let (id, caption) = if net {
                        ("ic-map-net", "Nettorisk: efter åtgärder och kontroller")
                    } else {
                        ("ic-map-gross", "Bruttorisk: före åtgärder och kontroller")
                    };
                    (caption, report_ic::risk_map_chart(&m, net, id).svg)
                })
                .collect(),
            _ => Vec::new(),
        },
        not_assessed: view.not_assessed,
        // A decided year's plan is frozen: its forms would only be refused.
        can_edit: viewer.allows(Action::Edit, &chain) && locked_by.is_none(),
        can_carry: viewer.allows(Action::Edit, &chain),
        can_manage: viewer.allows(Action::ManageInternalControl, &[]),
        is_ks: is_ks(&org),
        locked_by,
        summary: s,
        org,
        plan,
        today,
    }
    .render()?;
    Ok(html)
}

/// The plan arranged for its page.
struct PlanView {
    risk_areas: Vec<AreaView<RiskView>>,
    riskless: Vec<ActionView>,
    audits: Vec<AuditView>,
    control_areas: Vec<AreaView<ControlView>>,
    follow_ups: Vec<ControlView>,
    map: Vec<MapCell>,
    not_assessed: Vec<String>,
}

impl PlanView {
    fn new(plan: &ControlPlan, raised: &HashMap<String, Id>, today: &str) -> PlanView {
        let action_view = |a: &IcAction| action_view(plan, a, raised);
        let mut risk_areas: Vec<AreaView<RiskView>> = Vec::new();
        for r in &plan.risks {
            let view = RiskView {
                documented: r.first_documented.map(|f| f.label_sv()),
                age: r.first_documented.map(|f| f.age_sv(plan.year)),
                gross: score_sv(plan, r.gross),
                net: score_sv(plan, r.net),
                handling: r.handling.as_ref().map(|h| match h {
                    ic::Handling::Accept { motivation } => {
                        format!("{}: {motivation}", h.label_sv())
                    }
                    _ => h.label_sv().to_string(),
                }),
                actions: plan.actions_of(r.id).map(action_view).collect(),
                risk: r.clone(),
            };
            push_in_area(&mut risk_areas, &r.area, view);
        }
        let riskless = plan
            .actions
            .iter()
            .filter(|a| a.risk_ids().next().is_none() && !is_audit_action(a))
            .map(action_view)
            .collect();
        let mut audits: Vec<AuditView> = Vec::new();
        for a in plan.actions.iter() {
            for s in &a.sources {
                if let ActionSource::Recommendation { case_ref, title } = s {
                    let v = action_view(a);
                    match audits.iter_mut().find(|g| &g.case_ref == case_ref) {
                        Some(g) => g.actions.push(v),
                        None => audits.push(AuditView {
                            case_ref: case_ref.clone(),
                            title: title.clone(),
                            actions: vec![v],
                        }),
                    }
                }
            }
        }
        let mut control_areas: Vec<AreaView<ControlView>> = Vec::new();
        let mut follow_ups = Vec::new();
        for c in &plan.controls {
            let v = control_view(c, raised, today);
            if c.is_contract_follow_up() {
                follow_ups.push(v);
            } else {
                push_in_area(&mut control_areas, &c.area, v);
            }
        }
        let (map, not_assessed) = match ic::risk_map(plan) {
            Some(m) => {
                let keys = |cells: &[(ic::RiskScore, Vec<String>)], s: ic::RiskScore| {
                    cells
                        .iter()
                        .find(|(c, _)| *c == s)
                        .map(|(_, k)| k.join(", "))
                        .unwrap_or_default()
                };
                let mut cells = Vec::new();
                for p in (1..=m.matrix.probability.len()).rev() {
                    for c in 1..=m.matrix.consequence.len() {
                        let s = ic::RiskScore {
                            probability: p as u8,
                            consequence: c as u8,
                        };
                        let (gross, net) = (keys(&m.gross, s), keys(&m.net, s));
                        if gross.is_empty() && net.is_empty() {
                            continue;
                        }
                        cells.push(MapCell {
                            label: m.matrix.describe(s),
                            gross,
                            net,
                        });
                    }
                }
                (cells, m.not_assessed)
            }
            None => (Vec::new(), Vec::new()),
        };
        PlanView {
            risk_areas,
            riskless,
            audits,
            control_areas,
            follow_ups,
            map,
            not_assessed,
        }
    }
}

fn push_in_area<T>(areas: &mut Vec<AreaView<T>>, area: &str, item: T) {
    let name = if area.trim().is_empty() {
        "Utan område".to_string()
    } else {
        area.trim().to_string()
    };
    match areas.iter_mut().find(|a| a.name == name) {
        Some(a) => a.items.push(item),
        None => areas.push(AreaView {
            name,
            items: vec![item],
        }),
    }
}

fn is_audit_action(a: &IcAction) -> bool {
    a.sources
        .iter()
        .any(|s| matches!(s, ActionSource::Recommendation { .. }))
}

fn score_sv(plan: &ControlPlan, score: Option<ic::RiskScore>) -> Option<String> {
    Some(plan.matrix.as_ref()?.describe(score?))
}

fn action_view(plan: &ControlPlan, a: &IcAction, raised: &HashMap<String, Id>) -> ActionView {
    ActionView {
        status: a.status.label_sv(),
        done: a.status == ActionStatus::Done,
        blocker: a
            .blocked_by
            .as_ref()
            .filter(|_| a.status == ActionStatus::NotDone)
            .map(|b| format!("väntar på {}", report_ic::blocker_sv(plan, b))),
        verified: a
            .verification
            .as_ref()
            .map(|v| format!("Effekten verifierad {} av {}: {}", v.on, v.by, v.how)),
        also_serves: a
            .sources
            .iter()
            .filter_map(|s| match s {
                ActionSource::Risk { .. } => None,
                ActionSource::Recommendation { case_ref, title } => {
                    Some(format!("rekommendation {case_ref} ({title})"))
                }
                ActionSource::Deviation { deviation_id } => {
                    Some(format!("avvikelse {deviation_id}"))
                }
            })
            .collect(),
        deviation: raised
            .get(&ic::unfinished_cause_key(a.id, plan.year))
            .copied(),
        action: a.clone(),
    }
}

fn control_view(c: &Control, raised: &HashMap<String, Id>, today: &str) -> ControlView {
    let occurrences = c
        .occurrences
        .iter()
        .map(|o| {
            let state = o.state(today);
            let detail = match &o.execution {
                Some(Execution::Performed {
                    performed_on,
                    result,
                    findings,
                    ..
                }) => {
                    let mut d = format!("{performed_on}: {}", result.label_sv());
                    if !findings.trim().is_empty() {
                        d.push_str(". ");
                        d.push_str(findings.trim());
                    }
                    d
                }
                Some(Execution::NotPerformed { reason }) => format!("Ej genomförd: {reason}"),
                None if state == OccurrenceState::Missed => "Inget registrerat".into(),
                None => String::new(),
            };
            let deviation = raised
                .get(&ic::findings_cause_key(o.id))
                .or_else(|| raised.get(&ic::missed_cause_key(o.id)))
                .copied();
            OccurrenceView {
                state: state.label_sv(),
                missed: state == OccurrenceState::Missed,
                findings: state == OccurrenceState::Findings,
                drift: o
                    .parameter_drift(&c.planned_parameters)
                    .map(|used| format!("Planerat: {} · använt: {used}", c.planned_parameters)),
                detail,
                deviation,
                occurrence: o.clone(),
            }
        })
        .collect();
    ControlView {
        status: c.status().label_sv(),
        performed: format!("{} av {} genomförda", c.performed(), c.occurrences.len()),
        follow_up: match &c.kind {
            ControlKind::ContractFollowUp(f) => Some(f.clone()),
            ControlKind::Systematic => None,
        },
        occurrences,
        control: c.clone(),
    }
}
