//! The economy's pages: every board and year with economy data (`/economy`), a board's
//! economy in a year (`/economy/{unit}/{year}`: the operating statement by cost type and
//! by unit with the explanations, the monthly budget against outcome as a chart with its
//! table, investments, the exploitation result, carry-overs, equity and the grants that
//! affect the board), the grants (`/grants`, `/grants/{id}`: received → allocated →
//! spent), and the JSON API.
//!
//! Guards (`lib.rs`): `/economy` and `/economy/{unit}/{year}` are open
//! ([`Action::ReadPublished`]); what a visitor sees is decided by the one public rule,
//! `Audience::sees_economy`: a board's year once a decision covers it. The grants, the
//! grants on a board's page and the API are working material ([`Action::ReadAll`]).
//! Edit links show for those who may use them (forms in `forms/economy.rs`).
//!
//! [`Action::ReadPublished`]: uppsikt_domain::access::Action::ReadPublished
//! [`Action::ReadAll`]: uppsikt_domain::access::Action::ReadAll

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uppsikt_domain::access::Action;
use uppsikt_domain::economy::{self, Amount, BoardEconomy, Figures, StatementRow, TreeRow};
use uppsikt_domain::grant::{self, GrantView, YearSummary};
use uppsikt_domain::messages::economy::{self as msg, grant_flag};
use uppsikt_domain::model::{Id, OrgUnit};

use uppsikt_report::chart;

use crate::auth::Viewer;
use crate::crumbs::Crumbs;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// The menu's and the trail's name for the economy.
pub const LABEL: &str = "Ekonomi";

pub fn economy_crumbs() -> Crumbs {
    Crumbs::start().then("/economy", LABEL)
}

pub fn board_trail(units: &[OrgUnit], unit: Id, year: i32) -> Crumbs {
    let name = units
        .iter()
        .find(|u| u.id == unit)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    economy_crumbs().then(format!("/economy/{unit}/{year}"), format!("{name} {year}"))
}

pub fn grants_crumbs() -> Crumbs {
    economy_crumbs().then("/grants", "Bidrag")
}

/// The trail to a grant (its page and its forms alike).
pub fn grant_trail(g: &grant::Grant) -> Crumbs {
    grants_crumbs().then(format!("/grants/{}", g.id), g.name.clone())
}

/// An amount as a table cell: mnkr with one decimal, or empty.
fn cell(a: Option<Amount>) -> String {
    a.map(Amount::format_mnkr).unwrap_or_default()
}

/// A row of a money table as the templates show it.
pub struct MoneyRow {
    pub label: String,
    pub href: String,
    pub depth: u8,
    pub sum: bool,
    pub budget: String,
    pub outcome: String,
    pub deviation: String,
    /// The deviation is unfavourable.
    pub negative: bool,
    pub last_year: String,
    pub forecast: String,
    pub forecast_on: String,
    pub explanation: String,
    pub extra: String,
    /// The row's edit form, where it has one.
    pub edit: String,
}

fn money_row(label: String, depth: u8, sum: bool, f: &Figures) -> MoneyRow {
    MoneyRow {
        label,
        href: String::new(),
        depth,
        sum,
        budget: cell(f.budget),
        outcome: cell(f.outcome),
        deviation: cell(f.deviation),
        negative: f.deviation.is_some_and(|d| d.0 < 0),
        last_year: cell(f.last_year),
        forecast: cell(f.forecast),
        forecast_on: f.forecast_on.clone().unwrap_or_default(),
        explanation: String::new(),
        extra: String::new(),
        edit: String::new(),
    }
}

fn statement_row(r: &StatementRow) -> MoneyRow {
    let mut m = money_row(r.label.clone(), r.depth, r.sum, &r.figures);
    m.explanation = r.explanation.clone();
    m
}

fn tree_row(r: &TreeRow) -> MoneyRow {
    MoneyRow {
        label: r.name.clone(),
        href: format!("/history/investments/{}", r.id),
        depth: r.depth,
        sum: !r.leaf,
        budget: cell(r.budget),
        outcome: cell(r.outcome),
        deviation: cell(r.deviation),
        negative: r.deviation.is_some_and(|d| d.0 < 0),
        last_year: String::new(),
        forecast: cell(r.forecast),
        forecast_on: r.forecast_on.clone().unwrap_or_default(),
        explanation: r.note.clone(),
        extra: cell(r.carry_over),
        edit: format!("/investments/{}/edit", r.id),
    }
}

/// The figures of a board's year as a sentence-sized summary (the board page).
pub struct Summary {
    pub unit_id: Id,
    pub year: i32,
    pub budget: String,
    pub outcome: String,
    pub deviation: String,
    pub negative: bool,
    pub forecast: String,
    pub forecast_on: String,
    pub equity: String,
}

/// The total a board's economy is judged on: by unit where there is one, else by cost type.
fn total(e: &BoardEconomy) -> &Figures {
    if e.statements.total_by_unit.budget.is_some() || e.statements.total_by_unit.outcome.is_some() {
        &e.statements.total_by_unit
    } else {
        &e.statements.total_by_cost_type
    }
}

/// The board page's economy box for `year`, when the viewer may see it and there is data.
pub async fn summary(
    state: &AppState,
    audience: &uppsikt_domain::publication::Audience,
    unit: Id,
    year: i32,
) -> Result<Option<Summary>> {
    if !audience.sees_economy(unit, year) {
        return Ok(None);
    }
    let e = state.store.board_economy(unit, year).await?;
    if e.is_empty() {
        return Ok(None);
    }
    let t = total(&e);
    Ok(Some(Summary {
        unit_id: unit,
        year,
        budget: cell(t.budget),
        outcome: cell(t.outcome),
        deviation: cell(t.deviation),
        negative: t.deviation.is_some_and(|d| d.0 < 0),
        forecast: cell(t.forecast),
        forecast_on: t.forecast_on.clone().unwrap_or_default(),
        equity: cell(e.equity.as_ref().and_then(|q| q.closing)),
    }))
}

// ---- /economy ----------------------------------------------------------------------------

pub struct YearLink {
    pub unit_id: Id,
    pub unit: String,
    pub year: i32,
}

#[derive(Template)]
#[template(path = "economy_list.html")]
struct ListPage {
    crumbs: String,
    years: Vec<YearLink>,
    signed_in: bool,
    can_manage: bool,
}

/// `GET /economy`: the boards and years with economy data the viewer may see.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |_today| async move {
        let audience = crate::pages::audience(state, viewer).await?;
        let units = state.store.org_units().await?;
        let years = state
            .store
            .economy_years()
            .await?
            .into_iter()
            .filter(|(u, y)| audience.sees_economy(*u, *y))
            .map(|(unit_id, year)| YearLink {
                unit: units
                    .iter()
                    .find(|u| u.id == unit_id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                unit_id,
                year,
            })
            .collect();
        Ok(ListPage {
            crumbs: economy_crumbs().html(),
            years,
            signed_in: !viewer.is_public(),
            can_manage: viewer.allows(Action::ManageEconomy, &[]),
        }
        .render()?)
    })
    .await
}

// ---- /economy/{unit}/{year} ----------------------------------------------------------------

/// A point of the monthly chart: the month and cumulative budget and outcome.
pub struct MonthRow {
    pub month: String,
    pub budget: String,
    pub outcome: String,
    pub deviation: String,
}

pub struct GrantRow {
    pub id: Id,
    pub name: String,
    pub code: String,
    pub kind: String,
    pub years: Vec<YearRow>,
    pub flags: Vec<String>,
}

pub struct YearRow {
    pub year: i32,
    pub received: String,
    pub allocated: String,
    pub spent: String,
    pub unallocated: String,
    pub without_amount: usize,
    pub share_unknown: usize,
}

fn year_row(s: &YearSummary) -> YearRow {
    YearRow {
        year: s.year,
        received: cell(s.received),
        allocated: cell(s.allocated),
        spent: cell(s.spent),
        unallocated: cell(s.unallocated),
        without_amount: s.allocations_without_amount,
        share_unknown: s.share_unknown,
    }
}

fn grant_row(v: &GrantView) -> GrantRow {
    GrantRow {
        id: v.grant.id,
        name: v.grant.name.clone(),
        code: v.grant.code.clone(),
        kind: v.grant.kind.label_sv().into(),
        years: v.years.iter().map(year_row).collect(),
        flags: v.flags.iter().map(grant_flag).collect(),
    }
}

pub struct EquityView {
    pub opening: String,
    pub result: String,
    pub withdrawal: String,
    pub cap: String,
    pub cap_share: String,
    pub closing: String,
    pub transfer: String,
    pub forfeited: String,
    pub negative: bool,
}

pub struct CarryGroup {
    pub group: String,
    /// Id, project, budget, outcome, transfer.
    pub rows: Vec<(Id, String, String, String, String)>,
    pub budget: String,
    pub outcome: String,
    pub transfer: String,
}

#[derive(Template)]
#[template(path = "economy.html")]
struct BoardPage {
    crumbs: String,
    unit_id: Id,
    unit: String,
    year: i32,
    by_cost_type: Vec<MoneyRow>,
    by_unit: Vec<MoneyRow>,
    disagreements: Vec<String>,
    forecast: Option<MoneyRow>,
    months: Vec<MonthRow>,
    chart: String,
    investments: Vec<MoneyRow>,
    exploitation: Vec<MoneyRow>,
    carry_groups: Vec<CarryGroup>,
    carry_total: (String, String, String),
    carry_over_flags: Vec<String>,
    /// The board's request differs from the table (F5), empty when not.
    request_differs: String,
    reconciliation: String,
    equity: Option<EquityView>,
    grants: Vec<GrantRow>,
    years: Vec<i32>,
    signed_in: bool,
    can_edit: bool,
    can_manage: bool,
    empty: bool,
}

/// `GET /economy/{unit}/{year}`: a board's economy in a year.
pub async fn board_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((unit, year)): Path<(Id, i32)>,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        let audience = crate::pages::audience(state, viewer).await?;
        if !audience.sees_economy(unit, year) {
            return Err(AppError::NotPublished);
        }
        if !(uppsikt_domain::period::MIN_YEAR..=uppsikt_domain::period::MAX_YEAR).contains(&year) {
            return Err(AppError::NotFound);
        }
        let units = state.store.org_units().await?;
        let Some(board) = units.iter().find(|u| u.id == unit) else {
            return Err(AppError::NotFound);
        };
        let e = state.store.board_economy(unit, year).await?;
        let signed_in = !viewer.is_public();
        let grants = if signed_in {
            let sub: BTreeSet<Id> = economy::subtree(&units, unit)
                .into_iter()
                .map(|(u, _)| u)
                .collect();
            let mut rows = Vec::new();
            for g in state.store.grants_affecting(&sub).await? {
                rows.push(grant_row(&state.store.grant_view(g.id, &today).await?));
            }
            rows
        } else {
            Vec::new()
        };
        let chain = state.store.org_chain(unit).await?;
        let page = board_view(state, viewer, &units, board, &e, grants, &chain).await?;
        Ok(page.render()?)
    })
    .await
}

async fn board_view(
    state: &AppState,
    viewer: &Viewer,
    units: &[OrgUnit],
    board: &OrgUnit,
    e: &BoardEconomy,
    grants: Vec<GrantRow>,
    chain: &[Id],
) -> Result<BoardPage> {
    let audience = crate::pages::audience(state, viewer).await?;
    let years: Vec<i32> = state
        .store
        .economy_years()
        .await?
        .into_iter()
        .filter(|(u, y)| *u == board.id && audience.sees_economy(*u, *y))
        .map(|(_, y)| y)
        .collect();
    let t = total(e);
    let forecast = t
        .forecast
        .map(|_| money_row("Årets resultat, prognos".into(), 0, true, t));
    let months = e
        .monthly
        .iter()
        .map(|(m, b, o)| MonthRow {
            month: chart::month_sv(*m).into(),
            budget: cell(*b),
            outcome: cell(*o),
            deviation: cell(economy::deviation(*b, *o)),
        })
        .collect();
    let equity = e.equity.as_ref().map(|q| EquityView {
        opening: cell(q.opening),
        result: cell(q.result),
        withdrawal: q.withdrawal.format_mnkr(),
        cap: cell(q.cap),
        cap_share: e
            .equity_year
            .as_ref()
            .map(|y| {
                uppsikt_domain::number::format_sv(f64::from(y.cap_permille) / 10.0, 1)
                    .trim_end_matches(",0")
                    .to_string()
            })
            .unwrap_or_default(),
        closing: cell(q.closing),
        transfer: cell(q.transfer),
        forfeited: cell(q.forfeited),
        negative: q.negative,
    });
    let c = &e.carry_overs;
    Ok(BoardPage {
        crumbs: board_trail(units, board.id, e.year).html(),
        unit_id: board.id,
        unit: board.name.clone(),
        year: e.year,
        by_cost_type: {
            let mut rows: Vec<MoneyRow> = e
                .statements
                .by_cost_type
                .iter()
                .map(statement_row)
                .collect();
            if !rows.is_empty() {
                rows.push(money_row(
                    "Årets resultat".into(),
                    0,
                    true,
                    &e.statements.total_by_cost_type,
                ));
            }
            rows
        },
        by_unit: e.statements.by_unit.iter().map(statement_row).collect(),
        disagreements: e
            .disagreements
            .iter()
            .map(|(what, a, b)| msg::statement_disagreement(what, *a, *b))
            .collect(),
        forecast,
        chart: chart::budget_chart(
            &e.monthly,
            &format!("Budget och utfall per månad {}, ackumulerat", e.year),
            "month-chart",
        ),
        months,
        investments: e.investments.iter().map(tree_row).collect(),
        exploitation: e.exploitation.iter().map(tree_row).collect(),
        carry_groups: c
            .groups
            .iter()
            .map(|g| CarryGroup {
                group: g.group.clone(),
                rows: g
                    .rows
                    .iter()
                    .map(|r| {
                        (
                            r.id,
                            r.project.clone(),
                            cell(r.budget),
                            cell(r.outcome),
                            cell(r.transfer),
                        )
                    })
                    .collect(),
                budget: cell(g.budget),
                outcome: cell(g.outcome),
                transfer: cell(g.transfer),
            })
            .collect(),
        carry_total: (cell(c.budget), cell(c.outcome), cell(c.transfer)),
        carry_over_flags: c
            .over_unused
            .iter()
            .map(|p| msg::carry_over_over_unused(p))
            .collect(),
        request_differs: match (
            e.equity_year.as_ref().and_then(|y| y.requested_carry_over),
            c.transfer,
        ) {
            (Some(r), Some(t)) if r != t => msg::carry_over_request_differs(r, t, e.year + 1),
            _ => String::new(),
        },
        reconciliation: e
            .equity_year
            .as_ref()
            .map(|y| y.reconciliation.clone())
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| msg::RECONCILIATION_MISSING.to_string()),
        equity,
        grants,
        years,
        signed_in: !viewer.is_public(),
        can_edit: viewer.allows(Action::Edit, chain),
        can_manage: viewer.allows(Action::ManageEconomy, &[]),
        empty: e.is_empty(),
    })
}

// ---- /grants -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "grants.html")]
struct GrantsPage {
    crumbs: String,
    received: Vec<GrantRow>,
    given: Vec<GrantRow>,
    can_manage: bool,
}

/// `GET /grants`: every grant with received → allocated → spent per year and its flags.
pub async fn grants(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    let (state, viewer) = (&state, &viewer);
    crate::pages::cached_today(state, viewer, &uri, |today| async move {
        let allocations = state.store.grant_allocations(None).await?;
        let spend = state.store.grant_spend(None).await?;
        let (mut received, mut given) = (Vec::new(), Vec::new());
        for g in state.store.grants().await? {
            let direction = g.direction;
            let row = grant_row(&grant::view(g, &allocations, &spend, &today));
            match direction {
                grant::Direction::Received => received.push(row),
                grant::Direction::Given => given.push(row),
            }
        }
        Ok(GrantsPage {
            crumbs: grants_crumbs().html(),
            received,
            given,
            can_manage: viewer.allows(Action::ManageEconomy, &[]),
        }
        .render()?)
    })
    .await
}

pub struct AllocationRow {
    pub id: Id,
    pub year: i32,
    pub decision: String,
    pub purpose: String,
    pub target: String,
    pub target_href: String,
    pub amount: String,
    pub share: String,
    pub share_unknown: bool,
    pub grant_part: String,
    pub spent: String,
    pub follow_up: String,
    pub spend: Vec<(Id, String, String, String)>,
}

#[derive(Template)]
#[template(path = "grant.html")]
struct GrantPage {
    crumbs: String,
    g: grant::Grant,
    direction: String,
    kind: String,
    unit: String,
    years: Vec<YearRow>,
    quoted: Vec<(i32, String, bool)>,
    flags: Vec<String>,
    allocations: Vec<AllocationRow>,
    can_manage: bool,
}

fn decision_text(d: &grant::DecisionRef) -> String {
    let mut parts = vec![d.body.clone()];
    if let Some(date) = &d.date {
        parts.push(date.clone());
    }
    if !d.paragraph.is_empty() {
        parts.push(d.paragraph.clone());
    }
    if !d.case_ref.is_empty() {
        parts.push(format!("dnr {}", d.case_ref));
    }
    parts.join(", ")
}

/// `GET /grants/{id}`: one grant, received → allocated → spent, each allocation with its
/// decision, target, grant share and spend.
pub async fn grant_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
    uri: OriginalUri,
) -> Result<Response> {
    crate::pages::object_page(&state, &viewer, &uri, id, grant_html).await
}

async fn grant_html(state: &AppState, viewer: &Viewer, id: Id, today: &str) -> Result<String> {
    let v = state.store.grant_view(id, today).await?;
    let units = state.store.org_units().await?;
    let unit_name = |u: Option<Id>| {
        u.and_then(|u| units.iter().find(|x| x.id == u))
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let allocations = v
        .allocations
        .iter()
        .map(|a| {
            let spend: Vec<&grant::Spend> =
                v.spend.iter().filter(|s| s.allocation_id == a.id).collect();
            let (target, target_href) = if let Some(u) = a.unit_id {
                (unit_name(Some(u)), format!("/org/{u}"))
            } else if let Some(o) = a.obligation_id {
                ("Lagkrav".to_string(), format!("/obligations/{o}"))
            } else if let Some(c) = a.commitment_id {
                (
                    "Utvecklingsåtagande".to_string(),
                    format!("/history/commitments/{c}"),
                )
            } else {
                (a.recipient.clone(), String::new())
            };
            let target = match &a.area {
                Some(ar) if !ar.is_empty() && target.is_empty() => ar.clone(),
                Some(ar) if !ar.is_empty() => format!("{target} ({ar})"),
                _ => target,
            };
            AllocationRow {
                id: a.id,
                year: a.year,
                decision: decision_text(&a.decision),
                purpose: a.purpose.clone(),
                target,
                target_href,
                amount: cell(a.amount),
                share: a.share.label(),
                share_unknown: a.share == grant::GrantShare::Unknown,
                grant_part: cell(a.grant_part()),
                spent: cell(economy::sum_present(spend.iter().map(|s| Some(s.amount)))),
                follow_up: a
                    .follow_up
                    .as_ref()
                    .map(|f| format!("{} {}: {}", f.date, f.status.label_sv(), f.text))
                    .unwrap_or_default(),
                spend: spend
                    .iter()
                    .map(|s| {
                        (
                            s.id,
                            s.period.label_sv(),
                            s.amount.format_mnkr(),
                            s.booked_on.clone(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(GrantPage {
        crumbs: grant_trail(&v.grant).html(),
        direction: v.grant.direction.label_sv().into(),
        kind: v.grant.kind.label_sv().into(),
        unit: unit_name(v.grant.unit_id),
        years: v.years.iter().map(year_row).collect(),
        quoted: v
            .grant
            .years
            .iter()
            .map(|y| (y.year, y.quoted.clone(), y.half_year))
            .collect(),
        flags: v.flags.iter().map(grant_flag).collect(),
        allocations,
        can_manage: viewer.allows(Action::ManageEconomy, &[]),
        g: v.grant,
    }
    .render()?)
}

// ---- API ---------------------------------------------------------------------------------

type ApiResult = std::result::Result<Response, crate::error::ApiError>;

/// `GET /api/v1/economy`: the boards and years with economy data.
pub async fn api_years(State(state): State<AppState>) -> ApiResult {
    let years: Vec<serde_json::Value> = state
        .store
        .economy_years()
        .await?
        .into_iter()
        .map(|(unit, year)| {
            serde_json::json!({
                "unit_id": unit,
                "year": year,
                "href": format!("/api/v1/economy/{unit}/{year}"),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "years": years })).into_response())
}

/// `GET /api/v1/economy/{unit}/{year}`: a board's economy, computed (amounts in öre).
pub async fn api_board(
    State(state): State<AppState>,
    Path((unit, year)): Path<(Id, i32)>,
) -> ApiResult {
    state.store.org_unit(unit).await?;
    let e = state.store.board_economy(unit, year).await?;
    let cost_types = state.store.cost_types().await?;
    Ok(Json(serde_json::json!({
        "amount_unit": "öre",
        "cost_types": cost_types,
        "economy": e,
    }))
    .into_response())
}

/// `GET /api/v1/grants`: every grant with its allocations, spend, yearly summary and flags.
pub async fn api_grants(State(state): State<AppState>) -> ApiResult {
    let today = uppsikt_store::today();
    let allocations = state.store.grant_allocations(None).await?;
    let spend = state.store.grant_spend(None).await?;
    let grants: Vec<GrantView> = state
        .store
        .grants()
        .await?
        .into_iter()
        .map(|g| grant::view(g, &allocations, &spend, &today))
        .collect();
    Ok(Json(serde_json::json!({ "amount_unit": "öre", "grants": grants })).into_response())
}

/// `GET /api/v1/grants/{id}`.
pub async fn api_grant(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult {
    let v = state.store.grant_view(id, &uppsikt_store::today()).await?;
    Ok(Json(serde_json::json!({ "amount_unit": "öre", "grant": v })).into_response())
}
