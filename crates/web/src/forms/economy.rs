//! Forms of the economy and grants (issue 21): a unit's budget lines, forecasts and
//! explanations, its investments and exploitation rows, balance carry-overs and equity; the
//! municipality's cost types, account plan, ledger mapping, tolerances and settings; grants
//! with their years, allocations and spend.
//!
//! Amounts are typed in mnkr with a Swedish decimal comma (`−8,8`, `1 234,5`; at most öre
//! precision: [`Amount::parse`]), shares in per cent or the word "okänd", dates ISO. Every
//! form re-displays with what was typed and the Swedish refusal (`messages::economy`) at
//! its field; a refused save changes nothing (one writer, not committed). A year a board's
//! decision locked is refused by the store and shown with the decision
//! (`messages::period_locked`).
//!
//! # The forms (GET shows the form, POST saves), their guards and where a save goes
//!
//! [`Action::Edit`] of the unit in the address (or of the investment row's unit);
//! controllers and administrators pass. A save redirects to `/economy/{unit}/{year}`.
//!
//! | Address | Form |
//! |---|---|
//! | `/economy/{unit}/{year}/lines` | budget lines: a grid of cost types and net × Budget, Utfall, Prognos, and the forecast's date |
//! | `/economy/{unit}/{year}/explanation` | the explanations of the year's deviations (the unit's, and per cost type) |
//! | `/economy/{unit}/{year}/investments/new` | a new investment or exploitation row |
//! | `/investments/{id}/edit` | an investment or exploitation row |
//! | `/investments/{id}/delete` | removes it (asks first) |
//! | `/economy/{unit}/{year}/carry-overs/new` | a new balance carry-over (saldoöverföring) |
//! | `/economy/{unit}/{year}/carry-overs/{id}/edit` | a carry-over of that unit and year |
//! | `/economy/{unit}/{year}/carry-overs/{id}/delete` | removes it (asks first) |
//! | `/economy/{unit}/{year}/equity` | equity and result transfer (cap, IB, withdrawal, the board's request) |
//!
//! Carry-overs have no address of their own (the store reads them per unit and year), so
//! their forms carry the unit and year: the guard needs no lookup and a carry-over of
//! another unit is not found.
//!
//! [`Action::ManageEconomy`] (controllers, administrators). Saves of the municipality's
//! settings redirect to `/economy`, of grants to `/grants/{id}`.
//!
//! | Address | Form |
//! |---|---|
//! | `/economy/{unit}/tolerance` | the unit's tolerance for budget deviations (standard, % or mnkr) |
//! | `/economy/settings` | ledger dimension, what to do with wrong typed totals, their tolerance |
//! | `/economy/cost-types/new` | a new cost type with its account ranges |
//! | `/economy/cost-types/{id}/edit` | a cost type |
//! | `/economy/ledger-units` | the ledger's responsibility objects mapped to units (all rows in one form) |
//! | `/grants/new` | a new grant with its amounts per year |
//! | `/grants/{id}/edit` | a grant |
//! | `/grants/{id}/allocations/new` | a new allocation of the grant by a decision |
//! | `/allocations/{id}/edit` | an allocation |
//! | `/allocations/{id}/delete` | removes it (asks first) |
//! | `/allocations/{id}/spend/new` | spend recorded against an allocation |
//! | `/spend/{id}/delete` | removes a spend row (asks first) |
//!
//! The read pages these lead to (`/economy`, `/economy/{unit}/{year}`, `/grants`,
//! `/grants/{id}`) are `crate::economy`'s; the path parameters are named as there
//! (`{unit}`, `{year}`, `{id}`), which the router requires of routes sharing a prefix.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use uppsikt_domain::access::Action;
use uppsikt_domain::economy::{
    AccountRange, Amount, BudgetLine, CarryOver, CostGroup, CostType, EconomyRefusal,
    EconomySettings, EquityYear, Explanation, InvestmentNode, LedgerUnit, LineKind, MoneyUnit,
    Tolerance, TotalsPolicy, TreeKind, MAX_NAME_CHARS, MAX_TEXT_CHARS,
};
use uppsikt_domain::grant::{
    Allocation, DecisionRef, Direction, Grant, GrantKind, GrantShare, GrantYear, Spend,
    UseFollowUp, UseStatus,
};
use uppsikt_domain::messages::{self, economy as msg};
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::Period;
use uppsikt_store::{ChangeSource, StoreError, Writer};

use super::audits::page;
use super::{
    field_name, Errors, Field, FieldKind, Form, FormPage, Input, Post, Refusal, RefusedAt,
};
use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// The routes of this module with their guards, merged into the router in one place.
pub fn economy_form_routes(state: &AppState) -> Router<AppState> {
    // A unit's own economy: Edit of the unit (resolved by `unit_guard`).
    let unit = Router::new()
        .route(
            "/economy/{unit}/{year}/lines",
            get(lines_form).post(save_lines),
        )
        .route(
            "/economy/{unit}/{year}/explanation",
            get(explanation_form).post(save_explanation),
        )
        .route(
            "/economy/{unit}/{year}/investments/new",
            get(new_node_form).post(create_node),
        )
        .route(
            "/investments/{id}/edit",
            get(edit_node_form).post(update_node),
        )
        .route(
            "/investments/{id}/delete",
            get(delete_node_form).post(delete_node),
        )
        .route(
            "/economy/{unit}/{year}/carry-overs/new",
            get(new_carry_over_form).post(create_carry_over),
        )
        .route(
            "/economy/{unit}/{year}/carry-overs/{id}/edit",
            get(edit_carry_over_form).post(update_carry_over),
        )
        .route(
            "/economy/{unit}/{year}/carry-overs/{id}/delete",
            get(delete_carry_over_form).post(delete_carry_over),
        )
        .route(
            "/economy/{unit}/{year}/equity",
            get(equity_form).post(save_equity),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            unit_guard,
        ));
    // The municipality's economy register and grants.
    let register = Router::new()
        .route(
            "/economy/{unit}/tolerance",
            get(tolerance_form).post(save_tolerance),
        )
        .route("/economy/settings", get(settings_form).post(save_settings))
        .route(
            "/economy/cost-types/new",
            get(new_cost_type_form).post(create_cost_type),
        )
        .route(
            "/economy/cost-types/{id}/edit",
            get(edit_cost_type_form).post(update_cost_type),
        )
        .route(
            "/economy/ledger-units",
            get(ledger_units_form).post(save_ledger_units),
        )
        .route("/grants/new", get(new_grant_form).post(create_grant))
        .route("/grants/{id}/edit", get(edit_grant_form).post(update_grant))
        .route(
            "/grants/{id}/allocations/new",
            get(new_allocation_form).post(create_allocation),
        )
        .route(
            "/allocations/{id}/edit",
            get(edit_allocation_form).post(update_allocation),
        )
        .route(
            "/allocations/{id}/delete",
            get(delete_allocation_form).post(delete_allocation),
        )
        .route(
            "/allocations/{id}/spend/new",
            get(spend_form).post(add_spend),
        )
        .route(
            "/spend/{id}/delete",
            get(delete_spend_form).post(delete_spend),
        )
        .route_layer(crate::guard(state, Action::ManageEconomy));
    unit.merge(register)
}

/// [`Action::Edit`] of the unit the address concerns: `{unit}` itself, or the unit of the
/// investment row `{id}` (`/investments/{id}/…`). The public is sent to sign in, as by
/// every guard; anyone else not allowed gets the Edit refusal (403).
async fn unit_guard(
    State(state): State<AppState>,
    viewer: Viewer,
    matched: Option<MatchedPath>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    if viewer.is_public() {
        // The common guard answers the public with the sign-in page whatever the action.
        return crate::auth::guard(
            State((state, Action::ManageEconomy)),
            viewer,
            matched,
            params,
            req,
            next,
        )
        .await;
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<Id>().ok())
    };
    let is_node = matched
        .as_ref()
        .is_some_and(|m| m.as_str().starts_with("/investments/"));
    let unit = match (param("unit"), param("id")) {
        (Some(unit), _) => unit,
        (None, Some(id)) if is_node => match state.store.investment_node(id).await {
            Ok(n) => n.unit_id,
            Err(e) => return AppError::from(e).into_response(),
        },
        _ => return AppError::NotFound.into_response(),
    };
    let chain = match state.store.org_chain(unit).await {
        Ok(chain) => chain,
        Err(e) => return AppError::from(e).into_response(),
    };
    if viewer.allows(Action::Edit, &chain) {
        return next.run(req).await;
    }
    AppError::Refused(
        StatusCode::FORBIDDEN,
        messages::access::refused(Action::Edit).into(),
    )
    .into_response()
}

// ---- Shared parts ----

/// Where the economy's read pages are.
const ECONOMY: &str = "/economy";
const GRANTS: &str = "/grants";
/// Empty rows offered below the stored ones (grant years, ledger objects).
const NEW_ROWS: usize = 3;
/// The most rows a row form takes (grant years; ledger objects have their own bound).
const MAX_ROWS: usize = 200;
/// The most ledger objects the mapping form shows and takes (a larger mapping comes with
/// the ledger import; the form then edits the first ones and keeps the rest).
const MAX_LEDGER_ROWS: usize = 5_000;
/// Where budget lines typed in a form come from (the store's `origin`).
const ORIGIN: &str = "form";

/// (code, Swedish label) of a coded enum's values.
fn coded<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|&v| (code(v).to_string(), label(v).to_string()))
        .collect()
}

/// Options with an empty first choice.
fn with_empty(empty: &str, options: Vec<(String, String)>) -> FieldKind {
    let mut o = vec![(String::new(), empty.to_string())];
    o.extend(options);
    FieldKind::Select(o)
}

fn id_text(id: Option<Id>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// An amount as typed into a field: mnkr with a decimal comma and every decimal it has
/// (`-8,8`, `0,00125`), so that saving the form unchanged changes nothing.
pub fn mnkr_input(a: Option<Amount>) -> String {
    let Some(Amount(ore)) = a else {
        return String::new();
    };
    let per = MoneyUnit::Mnkr.ore();
    let (int, frac) = (
        ore.unsigned_abs() / per as u64,
        ore.unsigned_abs() % per as u64,
    );
    let sign = if ore < 0 { "-" } else { "" };
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:08}");
    format!("{sign}{int},{}", frac.trim_end_matches('0'))
}

/// An optional amount in mnkr: empty gives `Some(None)`; a bad one its message at the field.
fn amount(e: &mut Errors, input: &Input, field: &'static str) -> Option<Option<Amount>> {
    let raw = e.typed(input, field)?;
    if raw.is_empty() {
        return Some(None);
    }
    match Amount::parse(raw, MoneyUnit::Mnkr) {
        Ok(a) => Some(Some(a)),
        Err(r) => {
            e.add(field, msg::refusal(&r));
            None
        }
    }
}

/// A required amount in mnkr.
fn required_amount(e: &mut Errors, input: &Input, field: &'static str) -> Option<Amount> {
    match amount(e, input, field)? {
        Some(a) => Some(a),
        None => {
            e.add(field, messages::REQUIRED);
            None
        }
    }
}

/// A per-mille share typed in per cent (`3`, `2,5`, `3 %`), at most `max` per mille:
/// `None` with `refusal` at the field otherwise.
fn permille(
    e: &mut Errors,
    input: &Input,
    field: &'static str,
    max: u32,
    refusal: &EconomyRefusal,
) -> Option<u32> {
    let raw = e.typed(input, field)?;
    let text = raw.trim_end_matches('%').trim();
    let v = uppsikt_domain::parse_decimal(text).ok();
    match v.map(|v| v * 10.0) {
        Some(p) if p >= 0.0 && p <= max as f64 && (p - p.round()).abs() < 1e-6 => {
            Some(p.round() as u32)
        }
        _ => {
            e.add(field, msg::refusal(refusal));
            None
        }
    }
}

/// `3` for 30 per mille, `2,5` for 25.
fn percent_input(p: u32) -> String {
    if p.is_multiple_of(10) {
        (p / 10).to_string()
    } else {
        format!("{},{}", p / 10, p % 10)
    }
}

/// An optional ISO date: empty gives `Some(None)`.
fn date_or_none(e: &mut Errors, input: &Input, field: &'static str) -> Option<Option<String>> {
    e.optional_date(input, field)
        .map(|d| (!d.is_empty()).then_some(d))
}

/// The id chosen in a select of `form`: empty gives `Some(None)`; an id the select does
/// not offer is refused at the field.
fn select_id(
    e: &mut Errors,
    form: &FormPage,
    input: &Input,
    field: &'static str,
) -> Option<Option<Id>> {
    let id = e.optional_id(input, field)?;
    let Some(id) = id else {
        return Some(None);
    };
    if offers(form, field, &id.to_string()) {
        Some(Some(id))
    } else {
        e.add(field, messages::unknown_choice(&id.to_string()));
        None
    }
}

/// Whether a select of `form` offers `value`.
fn offers(form: &FormPage, field: &str, value: &str) -> bool {
    form.fields
        .iter()
        .find(|f| f.name == field)
        .is_some_and(|f| f.options().iter().any(|(v, _)| v == value))
}

/// The form field a refusal of the economy names, where it names one.
fn field_of(r: &EconomyRefusal) -> Option<&'static str> {
    use EconomyRefusal::*;
    Some(match r {
        Required(w) | TooLong(w) | BadDate(w) => match *w {
            "text" => return None,
            w => w,
        },
        BadAccountRange(_) => "ranges",
        ForecastWithoutDate => "forecast_on",
        BadPeriod => "period",
        TypedTotal(_, m) => match *m {
            "Utfall" => "outcome",
            "Prognos" => "forecast",
            "Överföring" => "carry_over",
            _ => "budget",
        },
        ParentCycle => "parent",
        ShareOutOfRange => "share",
        BadTolerance => "tolerance_value",
        BadCap => "cap",
        AllocationTarget => "purpose",
        BadAmount(_) | Duplicate(_) | WrongGrant | OutsideImport(..) => return None,
    })
}

/// A write's result with an economy refusal as its Swedish message at the field it names
/// (else at `main`); a locked year and other refusals as [`RefusedAt`] places them.
fn economy_at<T>(
    r: std::result::Result<T, StoreError>,
    main: &'static str,
) -> std::result::Result<T, Refusal> {
    match r {
        Err(StoreError::Economy(refusal)) => Err(Refusal::at(
            field_of(&refusal).unwrap_or(main),
            msg::refusal(&refusal),
        )),
        other => other.at(main),
    }
}

/// The unit and year in an address (`/economy/{unit}/{year}/…`).
#[derive(Deserialize)]
pub struct UnitYearPath {
    unit: Id,
    year: i32,
}

/// A carry-over's address: its unit, year and id.
#[derive(Deserialize)]
pub struct CarryOverPath {
    unit: Id,
    year: i32,
    id: Id,
}

/// The unit and year a form is about.
struct UnitYear {
    unit: OrgUnit,
    year: i32,
}

impl UnitYear {
    async fn load(state: &AppState, unit: Id, year: i32) -> Result<UnitYear> {
        // Years a budget can have; anything else names nothing.
        if !(1900..=2200).contains(&year) {
            return Err(AppError::NotFound);
        }
        Ok(UnitYear {
            unit: state.store.org_unit(unit).await?,
            year,
        })
    }

    /// The unit's economy page for the year: where a save goes.
    fn page(&self) -> String {
        format!("/economy/{}/{}", self.unit.id, self.year)
    }

    fn crumbs(&self) -> Vec<(String, String)> {
        vec![
            (ECONOMY.into(), "Ekonomi".into()),
            (self.page(), format!("{} {}", self.unit.name, self.year)),
        ]
    }

    /// The decision that locks the year, in Swedish, if one does.
    async fn lock_note(&self, state: &AppState) -> Result<Option<String>> {
        Ok(state
            .store
            .lock_covering(self.unit.id, Period::Year(self.year))
            .await?
            .map(|l| messages::period_locked(&l)))
    }
}

fn economy_crumbs() -> Vec<(String, String)> {
    vec![(ECONOMY.into(), "Ekonomi".into())]
}

/// A removal's confirmation: what is removed, a button, and the refusal when the store
/// refuses (a locked year).
#[derive(Template)]
#[template(path = "economy_confirm.html")]
pub struct ConfirmPage {
    pub title: String,
    pub text: String,
    pub action: String,
    pub cancel: String,
    pub crumbs: Vec<(String, String)>,
    pub error: Option<String>,
}

impl ConfirmPage {
    pub fn has_errors(&self) -> bool {
        self.error.is_some()
    }

    pub fn crumbs_html(&self) -> String {
        crumbs_html(&self.crumbs, &self.action, &self.title)
    }

    fn render_page(self) -> Result<Response> {
        let status = if self.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok((status, Html(self.render()?)).into_response())
    }
}

/// The trail (`crumbs`), then the page itself.
fn crumbs_html(crumbs: &[(String, String)], action: &str, title: &str) -> String {
    crumbs
        .iter()
        .fold(crate::crumbs::Crumbs::start(), |c, (href, label)| {
            c.then(href.clone(), label.clone())
        })
        .then(action.to_string(), title.to_string())
        .html()
}

fn confirm_page(
    title: String,
    what: String,
    action: String,
    cancel: String,
    crumbs: Vec<(String, String)>,
) -> ConfirmPage {
    ConfirmPage {
        title,
        text: format!("{what} Det finns kvar i historiken."),
        action,
        cancel,
        crumbs,
        error: None,
    }
}

/// Runs a removal confirmed on `page`: saved, it redirects with the confirmation; refused,
/// nothing is written and the page shows the refusal (422).
async fn confirm(
    post: &Post,
    mut page: ConfirmPage,
    write: impl AsyncFnOnce(&mut Writer) -> std::result::Result<String, Refusal>,
) -> Result<Response> {
    let mut w = post
        .state
        .store
        .writer(&post.viewer.actor(), ChangeSource::Form)
        .await?;
    match write(&mut w).await {
        Ok(to) => {
            let changes = w.changes();
            w.commit().await?;
            Ok(crate::flash::set(
                super::saved(to),
                &messages::forms::saved(changes),
            ))
        }
        Err(Refusal::Failed(e)) => Err(e),
        Err(Refusal::At(errors)) => {
            w.rollback().await?;
            page.error = errors.0.into_values().next();
            page.render_page()
        }
    }
}

// ---- Budget lines: the grid ----

/// A cell of the budget grid.
pub struct LineCell {
    /// The input's name (`b-12`, `u-netto`, `p-3`), also its id after `c-`.
    pub name: String,
    /// For screen readers: "Budget, Personalkostnader".
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

pub struct LineRow {
    pub label: String,
    pub cells: Vec<LineCell>,
}

#[derive(Template)]
#[template(path = "economy_lines.html")]
pub struct LinesPage {
    pub title: String,
    pub crumbs: Vec<(String, String)>,
    pub action: String,
    pub cancel: String,
    /// The decision that locks the year.
    pub locked: Option<String>,
    pub rows: Vec<LineRow>,
    pub forecast_on: String,
    pub forecast_on_error: Option<String>,
    /// A refusal that belongs to no cell (the store's).
    pub form_error: Option<String>,
    /// (link target, text) for the error summary.
    pub errors: Vec<(String, String)>,
}

impl LinesPage {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn crumbs_html(&self) -> String {
        crumbs_html(&self.crumbs, &self.action, &self.title)
    }

    fn render_page(self) -> Result<Response> {
        let status = if self.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok((status, Html(self.render()?)).into_response())
    }
}

/// The kinds of the grid's columns with their input prefix.
const LINE_KINDS: [(LineKind, &str); 3] = [
    (LineKind::Budget, "b"),
    (LineKind::Outcome, "u"),
    (LineKind::Forecast, "p"),
];

/// The row key of a cost type (`12`) or the net (`netto`).
fn row_key(ct: Option<Id>) -> String {
    ct.map_or_else(|| "netto".to_string(), |c| c.to_string())
}

/// What the grid edits: the year's lines of the unit per year (not per month or tertial,
/// not per area), and the forecasts' date shown.
struct Grid {
    uy: UnitYear,
    cost_types: Vec<CostType>,
    lines: Vec<BudgetLine>,
    /// The latest forecast date of the year's forecasts, if any.
    latest_forecast: Option<String>,
}

impl Grid {
    async fn load(state: &AppState, uy: UnitYear) -> Result<Grid> {
        let mut cost_types = state.store.cost_types().await?;
        cost_types.sort_by_key(|c| (c.group, c.position, c.name.clone()));
        let lines: Vec<BudgetLine> = state
            .store
            .budget_lines(&[uy.unit.id], uy.year, uy.year)
            .await?
            .into_iter()
            .filter(|l| {
                l.unit_id == uy.unit.id && l.period == Period::Year(uy.year) && l.area.is_none()
            })
            .collect();
        let latest_forecast = lines
            .iter()
            .filter(|l| l.kind == LineKind::Forecast)
            .filter_map(|l| l.forecast_on.clone())
            .max();
        Ok(Grid {
            uy,
            cost_types,
            lines,
            latest_forecast,
        })
    }

    /// The rows: each cost type, then the net.
    fn rows(&self) -> Vec<(Option<Id>, String)> {
        let mut rows: Vec<(Option<Id>, String)> = self
            .cost_types
            .iter()
            .map(|c| (Some(c.id), c.name.clone()))
            .collect();
        rows.push((None, "Netto (utan kostnadsslag)".into()));
        rows
    }

    /// The stored line of a cell (a forecast: made on `forecast_on`).
    fn line(
        &self,
        ct: Option<Id>,
        kind: LineKind,
        forecast_on: Option<&str>,
    ) -> Option<&BudgetLine> {
        self.lines.iter().find(|l| {
            l.cost_type_id == ct
                && l.kind == kind
                && (kind != LineKind::Forecast || l.forecast_on.as_deref() == forecast_on)
        })
    }

    /// The grid with the stored values, or with `input` as typed.
    async fn page(&self, state: &AppState, input: Option<&Input>) -> Result<LinesPage> {
        let shown = self.latest_forecast.as_deref();
        let rows = self
            .rows()
            .into_iter()
            .map(|(ct, label)| LineRow {
                cells: LINE_KINDS
                    .iter()
                    .map(|(kind, prefix)| {
                        let name = format!("{prefix}-{}", row_key(ct));
                        let value = match input {
                            Some(i) => i.get(&name).cloned().unwrap_or_default(),
                            None => mnkr_input(self.line(ct, *kind, shown).map(|l| l.amount)),
                        };
                        LineCell {
                            label: format!("{}, {label}", kind.label_sv()),
                            name,
                            value,
                            error: None,
                        }
                    })
                    .collect(),
                label,
            })
            .collect();
        Ok(LinesPage {
            title: format!(
                "Budget, utfall och prognos {} för {}",
                self.uy.year, self.uy.unit.name
            ),
            crumbs: self.uy.crumbs(),
            action: format!("{}/lines", self.uy.page()),
            cancel: self.uy.page(),
            locked: self.uy.lock_note(state).await?,
            rows,
            forecast_on: match input {
                Some(i) => i.get("forecast_on").cloned().unwrap_or_default(),
                None => shown.unwrap_or_default().to_string(),
            },
            forecast_on_error: None,
            form_error: None,
            errors: Vec::new(),
        })
    }
}

/// The grid parsed: each cell's amount (empty: none) and the forecasts' date, or the
/// messages by cell name.
struct ParsedLines {
    cells: BTreeMap<(Option<Id>, LineKind), Option<Amount>>,
    forecast_on: Option<String>,
}

fn parse_lines(
    grid: &Grid,
    input: &Input,
) -> std::result::Result<ParsedLines, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut cells = BTreeMap::new();
    for (ct, _) in grid.rows() {
        for (kind, prefix) in LINE_KINDS {
            let name = format!("{prefix}-{}", row_key(ct));
            let raw = input.get(&name).map(String::as_str).unwrap_or("").trim();
            if raw.is_empty() {
                cells.insert((ct, kind), None);
            } else if raw.chars().count() > super::TYPED_MAX {
                errors.insert(name, messages::too_long(super::TYPED_MAX));
            } else {
                match Amount::parse(raw, MoneyUnit::Mnkr) {
                    Ok(a) => {
                        cells.insert((ct, kind), Some(a));
                    }
                    Err(r) => {
                        errors.insert(name, msg::refusal(&r));
                    }
                }
            }
        }
    }
    let raw_date = input
        .get("forecast_on")
        .map(String::as_str)
        .unwrap_or("")
        .trim();
    let forecast_on = if raw_date.is_empty() {
        None
    } else {
        match uppsikt_domain::date::parse_iso_date(raw_date) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.insert(
                    "forecast_on".into(),
                    msg::refusal(&EconomyRefusal::BadDate("forecast_on")),
                );
                None
            }
        }
    };
    let any_forecast = cells
        .iter()
        .any(|((_, k), v)| *k == LineKind::Forecast && v.is_some());
    if any_forecast && raw_date.is_empty() {
        errors.insert(
            "forecast_on".into(),
            msg::refusal(&EconomyRefusal::ForecastWithoutDate),
        );
    }
    if errors.is_empty() {
        Ok(ParsedLines { cells, forecast_on })
    } else {
        Err(errors)
    }
}

/// Writes what changed: a filled cell puts its line (changed or new), an emptied cell
/// deletes the stored one. A forecast cell is the forecast made on the form's date
/// (empty date: the latest stored); forecasts of other dates stay as they are.
async fn write_lines(
    w: &mut Writer,
    grid: &Grid,
    parsed: &ParsedLines,
) -> std::result::Result<(), StoreError> {
    let forecast_date = parsed
        .forecast_on
        .clone()
        .or_else(|| grid.latest_forecast.clone());
    for ((ct, kind), value) in &parsed.cells {
        let on = (*kind == LineKind::Forecast)
            .then(|| forecast_date.clone())
            .flatten();
        let stored = grid.line(*ct, *kind, on.as_deref());
        match (value, stored) {
            (None, Some(l)) => w.delete_budget_line(l.id).await?,
            (Some(a), Some(l)) if l.amount == *a => {}
            (Some(a), stored) => {
                w.put_budget_line(
                    &BudgetLine {
                        id: stored.map_or(0, |l| l.id),
                        unit_id: grid.uy.unit.id,
                        cost_type_id: *ct,
                        period: Period::Year(grid.uy.year),
                        kind: *kind,
                        amount: *a,
                        forecast_on: on,
                        area: None,
                    },
                    ORIGIN,
                )
                .await?;
            }
            (None, None) => {}
        }
    }
    Ok(())
}

pub async fn lines_form(
    State(state): State<AppState>,
    Path(p): Path<UnitYearPath>,
) -> Result<Response> {
    let grid = Grid::load(&state, UnitYear::load(&state, p.unit, p.year).await?).await?;
    grid.page(&state, None).await?.render_page()
}

pub async fn save_lines(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<UnitYearPath>,
    Form(input): Form,
) -> Result<Response> {
    let grid = Grid::load(&state, UnitYear::load(&state, p.unit, p.year).await?).await?;
    let refused =
        |mut page: LinesPage, errors: BTreeMap<String, String>, form_error: Option<String>| {
            for row in &mut page.rows {
                for c in &mut row.cells {
                    c.error = errors.get(&c.name).cloned();
                    if let Some(e) = &c.error {
                        page.errors
                            .push((format!("#c-{}", c.name), format!("{}: {e}", c.label)));
                    }
                }
            }
            page.forecast_on_error = errors.get("forecast_on").cloned();
            if let Some(e) = &page.forecast_on_error {
                page.errors
                    .push(("#f-forecast_on".into(), format!("Prognosdatum: {e}")));
            }
            if let Some(e) = form_error {
                page.errors.push(("#lines".into(), e));
            }
            page.render_page()
        };
    let parsed = match parse_lines(&grid, &input) {
        Ok(p) => p,
        Err(errors) => return refused(grid.page(&state, Some(&input)).await?, errors, None),
    };
    let mut w = state
        .store
        .writer(&viewer.actor(), ChangeSource::Form)
        .await?;
    match write_lines(&mut w, &grid, &parsed).await {
        Ok(()) => {
            let changes = w.changes();
            w.commit().await?;
            Ok(crate::flash::set(
                super::saved(grid.uy.page()),
                &messages::forms::saved(changes),
            ))
        }
        Err(e) => {
            w.rollback().await?;
            let message = match e {
                StoreError::Locked(lock) => messages::period_locked(&lock),
                StoreError::Economy(r) => msg::refusal(&r),
                other => return Err(other.into()),
            };
            let mut page = grid.page(&state, Some(&input)).await?;
            page.form_error = Some(message.clone());
            refused(page, BTreeMap::new(), Some(message))
        }
    }
}

// ---- Explanations ----

async fn explanation_page(state: &AppState, uy: &UnitYear) -> Result<FormPage> {
    let mut cost_types = state.store.cost_types().await?;
    cost_types.sort_by_key(|c| (c.group, c.position, c.name.clone()));
    let mut fields = vec![Field::new(
        "text-netto",
        &format!("Förklaring för {} som helhet", uy.unit.name),
        FieldKind::Textarea(5),
    )
    .hint("Varför utfallet eller prognosen avviker från budget. Töm rutan för att ta bort förklaringen.")];
    for c in &cost_types {
        fields.push(Field::new(
            field_name("text", c.id),
            &format!("Förklaring: {}", c.name),
            FieldKind::Textarea(3),
        ));
    }
    Ok(page(
        format!("Förklaringar {} för {}", uy.year, uy.unit.name),
        None,
        format!("{}/explanation", uy.page()),
        uy.page(),
        "Spara förklaringarna",
        uy.crumbs(),
        fields,
    ))
}

fn explanation_field(ct: Option<Id>) -> &'static str {
    match ct {
        None => "text-netto",
        Some(id) => field_name("text", id),
    }
}

async fn stored_explanations(state: &AppState, uy: &UnitYear) -> Result<Vec<Explanation>> {
    Ok(state
        .store
        .budget_explanations(&[uy.unit.id], uy.year)
        .await?
        .into_iter()
        .filter(|e| e.unit_id == uy.unit.id && e.year == uy.year)
        .collect())
}

pub async fn explanation_form(
    State(state): State<AppState>,
    Path(p): Path<UnitYearPath>,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let stored = stored_explanations(&state, &uy).await?;
    explanation_page(&state, &uy)
        .await?
        .with_values(
            stored
                .iter()
                .map(|e| (explanation_field(e.cost_type_id), e.text.clone())),
        )
        .render_page()
}

pub async fn save_explanation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<UnitYearPath>,
    Form(input): Form,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let stored = stored_explanations(&state, &uy).await?;
    let mut cts: Vec<Option<Id>> = vec![None];
    cts.extend(state.store.cost_types().await?.iter().map(|c| Some(c.id)));
    let mut e = Errors::default();
    let mut changed = Vec::new();
    for ct in cts {
        let field = explanation_field(ct);
        let text = e.optional_paragraphs(&input, field, MAX_TEXT_CHARS);
        let before = stored
            .iter()
            .find(|x| x.cost_type_id == ct)
            .map_or("", |x| x.text.as_str());
        if text != before {
            changed.push(Explanation {
                unit_id: uy.unit.id,
                year: uy.year,
                cost_type_id: ct,
                text,
            });
        }
    }
    let parsed = if e.is_empty() { Ok(changed) } else { Err(e) };
    let post = Post::new(&state, viewer, uy.unit.id, input);
    post.submit(
        async || explanation_page(&state, &uy).await,
        parsed,
        async |w, changed| {
            for x in changed {
                let field = explanation_field(x.cost_type_id);
                economy_at(w.put_explanation(&x).await, field)?;
            }
            Ok(uy.page())
        },
    )
    .await
}

// ---- Investment and exploitation rows ----

/// The rows under `id` (not itself).
fn descendants(nodes: &[InvestmentNode], id: Id) -> BTreeSet<Id> {
    let mut out = BTreeSet::new();
    let mut todo = vec![id];
    while let Some(at) = todo.pop() {
        for n in nodes.iter().filter(|n| n.parent_id == Some(at)) {
            if out.insert(n.id) {
                todo.push(n.id);
            }
        }
    }
    out
}

async fn node_page(
    state: &AppState,
    uy: &UnitYear,
    node: Option<&InvestmentNode>,
) -> Result<(FormPage, Vec<InvestmentNode>)> {
    let nodes = state.store.investment_nodes(uy.unit.id, uy.year).await?;
    let below = node.map(|n| descendants(&nodes, n.id)).unwrap_or_default();
    let parents: Vec<(String, String)> = nodes
        .iter()
        .filter(|n| node.is_none_or(|x| x.id != n.id) && !below.contains(&n.id))
        .map(|n| {
            let code = if n.code.is_empty() {
                String::new()
            } else {
                format!("{} ", n.code)
            };
            (
                n.id.to_string(),
                format!("{}: {code}{}", n.kind.label_sv(), n.name),
            )
        })
        .collect();
    let fields = vec![
        Field::new(
            "kind",
            "Tabell",
            FieldKind::Select(coded(TreeKind::ALL, TreeKind::code, TreeKind::label_sv)),
        )
        .required(),
        Field::new(
            "parent",
            "Ligger under",
            with_empty("Ingen (en rad på översta nivån)", parents),
        )
        .hint("Projekt ligger under sitt program, program under totalen. Summor räknas fram ur raderna under; skriv belopp bara på den nivå där de beslutas."),
        Field::new("code", "Projektkod", FieldKind::Text)
            .hint("Koden i ekonomisystemet, om det finns en."),
        Field::new("name", "Namn", FieldKind::Text).required(),
        Field::new("position", "Ordning", FieldKind::Integer)
            .hint("Lägre tal visas först. Tomt: sist."),
        Field::new("budget", "Budget (mnkr)", FieldKind::Decimal)
            .hint("Kostnader negativa, intäkter positiva, t.ex. −8,8. Tomt: räknas fram ur raderna under eller saknas."),
        Field::new("outcome", "Utfall (mnkr)", FieldKind::Decimal),
        Field::new("forecast", "Prognos (mnkr)", FieldKind::Decimal),
        Field::new("forecast_on", "Prognosdatum", FieldKind::Date)
            .hint("Datum då prognosen gjordes, ÅÅÅÅ-MM-DD. Krävs med en prognos."),
        Field::new("carry_over", "Begärd överföring till nästa år (mnkr)", FieldKind::Decimal),
        Field::new("areas", "Områden", FieldKind::Textarea(2))
            .hint("Ett område per rad, t.ex. Skogås."),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)),
    ];
    let page = match node {
        None => page(
            format!("Ny investeringsrad {} för {}", uy.year, uy.unit.name),
            None,
            format!("{}/investments/new", uy.page()),
            uy.page(),
            "Lägg till raden",
            uy.crumbs(),
            fields,
        ),
        Some(n) => page(
            format!("Ändra {}", n.name),
            None,
            format!("/investments/{}/edit", n.id),
            uy.page(),
            "Spara",
            uy.crumbs(),
            fields,
        ),
    };
    Ok((page, nodes))
}

fn node_values(n: &InvestmentNode) -> Vec<(&'static str, String)> {
    vec![
        ("kind", n.kind.code().to_string()),
        ("parent", id_text(n.parent_id)),
        ("code", n.code.clone()),
        ("name", n.name.clone()),
        ("position", n.position.to_string()),
        ("budget", mnkr_input(n.budget)),
        ("outcome", mnkr_input(n.outcome)),
        ("forecast", mnkr_input(n.forecast)),
        ("forecast_on", n.forecast_on.clone().unwrap_or_default()),
        ("carry_over", mnkr_input(n.carry_over)),
        ("areas", n.areas.join("\n")),
        ("note", n.note.clone()),
    ]
}

fn parse_node(
    form: &FormPage,
    nodes: &[InvestmentNode],
    uy: &UnitYear,
    input: &Input,
    base: Option<&InvestmentNode>,
) -> std::result::Result<InvestmentNode, Errors> {
    let mut e = Errors::default();
    let kind = e.choice(input, "kind", TreeKind::parse);
    let parent = select_id(&mut e, form, input, "parent");
    let code = e.optional_text(input, "code", MAX_NAME_CHARS);
    let name = e.text(input, "name", MAX_NAME_CHARS);
    let position = e.optional_integer(input, "position", -1_000_000, 1_000_000);
    let budget = amount(&mut e, input, "budget");
    let outcome = amount(&mut e, input, "outcome");
    let forecast = amount(&mut e, input, "forecast");
    let forecast_on = date_or_none(&mut e, input, "forecast_on");
    let carry_over = amount(&mut e, input, "carry_over");
    // One per line; the field's length bounds their number.
    let areas: Vec<String> = e
        .optional_paragraphs(input, "areas", MAX_TEXT_CHARS)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    if let (Some(k), Some(Some(p))) = (kind, parent) {
        if nodes.iter().any(|n| n.id == p && n.kind != k) {
            e.add("parent", msg::PARENT_OTHER_TABLE);
        }
    }
    match (
        kind,
        parent,
        name,
        position,
        budget,
        outcome,
        forecast,
        forecast_on,
        carry_over,
    ) {
        (
            Some(kind),
            Some(parent_id),
            Some(name),
            Some(position),
            Some(budget),
            Some(outcome),
            Some(forecast),
            Some(forecast_on),
            Some(carry_over),
        ) if e.is_empty() => {
            let position = position.or(base.map(|b| b.position)).unwrap_or_else(|| {
                nodes
                    .iter()
                    .filter(|n| n.parent_id == parent_id)
                    .map(|n| n.position + 10)
                    .max()
                    .unwrap_or(10)
            });
            Ok(InvestmentNode {
                id: base.map_or(0, |b| b.id),
                unit_id: uy.unit.id,
                year: uy.year,
                kind,
                parent_id,
                code,
                name,
                position,
                budget,
                outcome,
                forecast,
                forecast_on,
                carry_over,
                areas,
                note,
            })
        }
        _ => Err(e),
    }
}

pub async fn new_node_form(
    State(state): State<AppState>,
    Path(p): Path<UnitYearPath>,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let (form, _) = node_page(&state, &uy, None).await?;
    form.with_values([("kind", TreeKind::Investment.code())])
        .render_page()
}

pub async fn create_node(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<UnitYearPath>,
    Form(input): Form,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let (form, nodes) = node_page(&state, &uy, None).await?;
    let parsed = parse_node(&form, &nodes, &uy, &input, None);
    let post = Post::new(&state, viewer, uy.unit.id, input);
    post.submit(
        async || Ok(node_page(&state, &uy, None).await?.0),
        parsed,
        async |w, n| {
            economy_at(w.put_investment_node(&n).await, "name")?;
            Ok(uy.page())
        },
    )
    .await
}

async fn node_of(state: &AppState, id: Id) -> Result<(UnitYear, InvestmentNode)> {
    let n = state.store.investment_node(id).await?;
    Ok((UnitYear::load(state, n.unit_id, n.year).await?, n))
}

pub async fn edit_node_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (uy, n) = node_of(&state, id).await?;
    let (form, _) = node_page(&state, &uy, Some(&n)).await?;
    form.with_values(node_values(&n)).render_page()
}

pub async fn update_node(post: Post) -> Result<Response> {
    let state = &post.state;
    let (uy, stored) = node_of(state, post.id).await?;
    let (form, nodes) = node_page(state, &uy, Some(&stored)).await?;
    let parsed = parse_node(&form, &nodes, &uy, &post.input, Some(&stored));
    post.submit(
        async || Ok(node_page(state, &uy, Some(&stored)).await?.0),
        parsed,
        async |w, n| {
            economy_at(w.put_investment_node(&n).await, "name")?;
            Ok(uy.page())
        },
    )
    .await
}

async fn delete_node_page(
    state: &AppState,
    uy: &UnitYear,
    n: &InvestmentNode,
) -> Result<ConfirmPage> {
    let nodes = state.store.investment_nodes(uy.unit.id, uy.year).await?;
    let below = descendants(&nodes, n.id).len();
    let what = if below == 0 {
        format!(
            "Raden ”{}” tas bort ur {}.",
            n.name,
            n.kind.label_sv().to_lowercase()
        )
    } else {
        format!(
            "Raden ”{}” tas bort ur {}, och de {below} raderna under den med den.",
            n.name,
            n.kind.label_sv().to_lowercase()
        )
    };
    Ok(confirm_page(
        format!("Ta bort {}", n.name),
        what,
        format!("/investments/{}/delete", n.id),
        uy.page(),
        uy.crumbs(),
    ))
}

pub async fn delete_node_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (uy, n) = node_of(&state, id).await?;
    delete_node_page(&state, &uy, &n).await?.render_page()
}

pub async fn delete_node(post: Post) -> Result<Response> {
    let state = &post.state;
    let (uy, n) = node_of(state, post.id).await?;
    let form = delete_node_page(state, &uy, &n).await?;
    confirm(&post, form, async |w| {
        economy_at(w.delete_investment_node(n.id).await, "")?;
        Ok(uy.page())
    })
    .await
}

// ---- Carry-overs ----

fn carry_over_page(uy: &UnitYear, c: Option<&CarryOver>, groups: Vec<String>) -> FormPage {
    let hint = if groups.is_empty() {
        "Raderna summeras per grupp, t.ex. Samhällsbyggnadsinvesteringar.".to_string()
    } else {
        format!(
            "Raderna summeras per grupp. Grupper hittills: {}.",
            groups.join(", ")
        )
    };
    let fields = vec![
        Field::new("group", "Grupp", FieldKind::Text)
            .required()
            .hint(&hint),
        Field::new("project", "Projekt", FieldKind::Text).required(),
        Field::new("position", "Ordning", FieldKind::Integer)
            .hint("Lägre tal visas först. Tomt: sist."),
        Field::new("budget", "Budget (mnkr)", FieldKind::Decimal)
            .hint("Kostnader negativa, t.ex. −12,5."),
        Field::new("outcome", "Utfall (mnkr)", FieldKind::Decimal),
        Field::new(
            "transfer",
            "Begärd överföring till nästa år (mnkr)",
            FieldKind::Decimal,
        ),
    ];
    match c {
        None => page(
            format!("Ny saldoöverföring från {} för {}", uy.year, uy.unit.name),
            None,
            format!("{}/carry-overs/new", uy.page()),
            uy.page(),
            "Lägg till",
            uy.crumbs(),
            fields,
        ),
        Some(c) => page(
            format!("Ändra saldoöverföringen {}", c.project),
            None,
            format!("{}/carry-overs/{}/edit", uy.page(), c.id),
            uy.page(),
            "Spara",
            uy.crumbs(),
            fields,
        ),
    }
}

fn carry_over_values(c: &CarryOver) -> Vec<(&'static str, String)> {
    vec![
        ("group", c.group.clone()),
        ("project", c.project.clone()),
        ("position", c.position.to_string()),
        ("budget", mnkr_input(c.budget)),
        ("outcome", mnkr_input(c.outcome)),
        ("transfer", mnkr_input(c.transfer)),
    ]
}

fn parse_carry_over(
    uy: &UnitYear,
    all: &[CarryOver],
    input: &Input,
    base: Option<&CarryOver>,
) -> std::result::Result<CarryOver, Errors> {
    let mut e = Errors::default();
    let group = e.text(input, "group", MAX_NAME_CHARS);
    let project = e.text(input, "project", MAX_NAME_CHARS);
    let position = e.optional_integer(input, "position", -1_000_000, 1_000_000);
    let budget = amount(&mut e, input, "budget");
    let outcome = amount(&mut e, input, "outcome");
    let transfer = amount(&mut e, input, "transfer");
    match (group, project, position, budget, outcome, transfer) {
        (
            Some(group),
            Some(project),
            Some(position),
            Some(budget),
            Some(outcome),
            Some(transfer),
        ) if e.is_empty() => {
            let position = position
                .or(base.map(|b| b.position))
                .unwrap_or_else(|| all.iter().map(|c| c.position + 10).max().unwrap_or(10));
            Ok(CarryOver {
                id: base.map_or(0, |b| b.id),
                unit_id: uy.unit.id,
                year: uy.year,
                group,
                project,
                position,
                budget,
                outcome,
                transfer,
            })
        }
        _ => Err(e),
    }
}

async fn carry_overs_of(state: &AppState, uy: &UnitYear) -> Result<(Vec<CarryOver>, Vec<String>)> {
    let all = state.store.carry_overs(uy.unit.id, uy.year).await?;
    let mut groups: Vec<String> = Vec::new();
    for c in &all {
        if !groups.contains(&c.group) {
            groups.push(c.group.clone());
        }
    }
    Ok((all, groups))
}

/// The carry-over `id` of the unit and year in the address (not found otherwise).
async fn carry_over_of(state: &AppState, p: &CarryOverPath) -> Result<(UnitYear, CarryOver)> {
    let uy = UnitYear::load(state, p.unit, p.year).await?;
    let c = state
        .store
        .carry_overs(uy.unit.id, uy.year)
        .await?
        .into_iter()
        .find(|c| c.id == p.id)
        .ok_or(AppError::NotFound)?;
    Ok((uy, c))
}

pub async fn new_carry_over_form(
    State(state): State<AppState>,
    Path(p): Path<UnitYearPath>,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let (_, groups) = carry_overs_of(&state, &uy).await?;
    carry_over_page(&uy, None, groups).render_page()
}

pub async fn create_carry_over(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<UnitYearPath>,
    Form(input): Form,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let (all, groups) = carry_overs_of(&state, &uy).await?;
    let parsed = parse_carry_over(&uy, &all, &input, None);
    let post = Post::new(&state, viewer, uy.unit.id, input);
    post.submit(
        async || Ok(carry_over_page(&uy, None, groups)),
        parsed,
        async |w, c| {
            economy_at(w.put_carry_over(&c).await, "project")?;
            Ok(uy.page())
        },
    )
    .await
}

pub async fn edit_carry_over_form(
    State(state): State<AppState>,
    Path(p): Path<CarryOverPath>,
) -> Result<Response> {
    let (uy, c) = carry_over_of(&state, &p).await?;
    let (_, groups) = carry_overs_of(&state, &uy).await?;
    carry_over_page(&uy, Some(&c), groups)
        .with_values(carry_over_values(&c))
        .render_page()
}

pub async fn update_carry_over(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<CarryOverPath>,
    Form(input): Form,
) -> Result<Response> {
    let (uy, stored) = carry_over_of(&state, &p).await?;
    let (all, groups) = carry_overs_of(&state, &uy).await?;
    let parsed = parse_carry_over(&uy, &all, &input, Some(&stored));
    let post = Post::new(&state, viewer, stored.id, input);
    post.submit(
        async || Ok(carry_over_page(&uy, Some(&stored), groups)),
        parsed,
        async |w, c| {
            economy_at(w.put_carry_over(&c).await, "project")?;
            Ok(uy.page())
        },
    )
    .await
}

fn delete_carry_over_page(uy: &UnitYear, c: &CarryOver) -> ConfirmPage {
    confirm_page(
        format!("Ta bort saldoöverföringen {}", c.project),
        format!(
            "Saldoöverföringen för ”{}” ({}) tas bort ur {} {}.",
            c.project, c.group, uy.unit.name, uy.year
        ),
        format!("{}/carry-overs/{}/delete", uy.page(), c.id),
        uy.page(),
        uy.crumbs(),
    )
}

pub async fn delete_carry_over_form(
    State(state): State<AppState>,
    Path(p): Path<CarryOverPath>,
) -> Result<Response> {
    let (uy, c) = carry_over_of(&state, &p).await?;
    delete_carry_over_page(&uy, &c).render_page()
}

pub async fn delete_carry_over(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<CarryOverPath>,
    Form(input): Form,
) -> Result<Response> {
    let (uy, c) = carry_over_of(&state, &p).await?;
    let post = Post::new(&state, viewer, c.id, input);
    confirm(&post, delete_carry_over_page(&uy, &c), async |w| {
        economy_at(w.delete_carry_over(c.id).await, "")?;
        Ok(uy.page())
    })
    .await
}

// ---- Equity ----

fn equity_page(uy: &UnitYear) -> FormPage {
    page(
        format!("Eget kapital {} för {}", uy.year, uy.unit.name),
        Some("Årets resultat mot budget förs till det egna kapitalet upp till taket; resten räknas fram på ekonomisidan.".into()),
        format!("{}/equity", uy.page()),
        uy.page(),
        "Spara",
        uy.crumbs(),
        vec![
            Field::new("cap", "Tak för eget kapital (% av budgetens omslutning)", FieldKind::Decimal)
                .required()
                .hint("T.ex. 3."),
            Field::new("opening", "Eget kapital vid årets början, IB (mnkr)", FieldKind::Decimal)
                .hint("Tomt om det inte är känt."),
            Field::new("withdrawal", "Uttag ur eget kapital (mnkr)", FieldKind::Decimal)
                .hint("Tomt: inget uttag."),
            Field::new(
                "requested_carry_over",
                "Resultatöverföring som nämnden begär i texten (mnkr)",
                FieldKind::Decimal,
            )
            .hint("Bara om texten begär ett annat belopp än tabellen ger."),
            Field::new("reconciliation", "Avstämning", FieldKind::Textarea(3))
                .hint("Varför begäran skiljer sig från tabellen."),
        ],
    )
}

fn equity_values(e: &EquityYear) -> Vec<(&'static str, String)> {
    vec![
        ("cap", percent_input(e.cap_permille)),
        ("opening", mnkr_input(e.opening)),
        (
            "withdrawal",
            if e.withdrawal == Amount::ZERO {
                String::new()
            } else {
                mnkr_input(Some(e.withdrawal))
            },
        ),
        ("requested_carry_over", mnkr_input(e.requested_carry_over)),
        ("reconciliation", e.reconciliation.clone()),
    ]
}

fn parse_equity(uy: &UnitYear, input: &Input) -> std::result::Result<EquityYear, Errors> {
    let mut e = Errors::default();
    let cap = if Errors::is_blank(input, "cap") {
        e.add("cap", messages::REQUIRED);
        None
    } else {
        permille(&mut e, input, "cap", 1000, &EconomyRefusal::BadCap)
    };
    let opening = amount(&mut e, input, "opening");
    let withdrawal = amount(&mut e, input, "withdrawal");
    let requested = amount(&mut e, input, "requested_carry_over");
    let reconciliation = e.optional_paragraphs(input, "reconciliation", MAX_TEXT_CHARS);
    match (cap, opening, withdrawal, requested) {
        (Some(cap_permille), Some(opening), Some(withdrawal), Some(requested_carry_over))
            if e.is_empty() =>
        {
            Ok(EquityYear {
                unit_id: uy.unit.id,
                year: uy.year,
                cap_permille,
                opening,
                withdrawal: withdrawal.unwrap_or_default(),
                requested_carry_over,
                reconciliation,
            })
        }
        _ => Err(e),
    }
}

pub async fn equity_form(
    State(state): State<AppState>,
    Path(p): Path<UnitYearPath>,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let values = match state.store.equity_year(uy.unit.id, uy.year).await? {
        Some(e) => equity_values(&e),
        None => vec![("cap", "3".to_string())],
    };
    equity_page(&uy).with_values(values).render_page()
}

pub async fn save_equity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<UnitYearPath>,
    Form(input): Form,
) -> Result<Response> {
    let uy = UnitYear::load(&state, p.unit, p.year).await?;
    let parsed = parse_equity(&uy, &input);
    let post = Post::new(&state, viewer, uy.unit.id, input);
    post.submit(
        async || Ok(equity_page(&uy)),
        parsed,
        async |w, e| {
            economy_at(w.put_equity_year(&e).await, "cap")?;
            Ok(uy.page())
        },
    )
    .await
}

// ---- Tolerance per unit ----

/// The tolerance's kinds in the form.
const TOLERANCE_STANDARD: &str = "standard";
const TOLERANCE_PERCENT: &str = "procent";
const TOLERANCE_MNKR: &str = "mnkr";

fn tolerance_page(unit: &OrgUnit) -> FormPage {
    page(
        format!("Tolerans för budgetavvikelser: {}", unit.name),
        Some("Ett utfall eller en prognos som understiger budget med mer än toleransen blir en avvikelse.".into()),
        format!("/economy/{}/tolerance", unit.id),
        ECONOMY.into(),
        "Spara",
        economy_crumbs(),
        vec![
            Field::new(
                "tolerance_kind",
                "Tolerans",
                FieldKind::Radios(vec![
                    (TOLERANCE_STANDARD.into(), "Kommunens standard (1 % av budgeten)".into()),
                    (TOLERANCE_PERCENT.into(), "Procent av budgeten".into()),
                    (TOLERANCE_MNKR.into(), "Belopp i mnkr".into()),
                ]),
            )
            .required(),
            Field::new("tolerance_value", "Procent eller belopp", FieldKind::Decimal)
                .hint("T.ex. 2 (procent) eller 0,5 (mnkr). Tomt med standard."),
        ],
    )
}

fn tolerance_values(t: Option<Tolerance>) -> Vec<(&'static str, String)> {
    match t {
        None => vec![("tolerance_kind", TOLERANCE_STANDARD.into())],
        Some(Tolerance::Permille(p)) => vec![
            ("tolerance_kind", TOLERANCE_PERCENT.into()),
            ("tolerance_value", percent_input(p)),
        ],
        Some(Tolerance::Amount(a)) => vec![
            ("tolerance_kind", TOLERANCE_MNKR.into()),
            ("tolerance_value", mnkr_input(Some(a))),
        ],
    }
}

fn parse_tolerance(input: &Input) -> std::result::Result<Option<Tolerance>, Errors> {
    let mut e = Errors::default();
    let kind = e.choice(input, "tolerance_kind", |k| {
        [TOLERANCE_STANDARD, TOLERANCE_PERCENT, TOLERANCE_MNKR]
            .into_iter()
            .find(|x| *x == k)
    });
    let blank = Errors::is_blank(input, "tolerance_value");
    let t = match kind {
        Some(TOLERANCE_STANDARD) if !blank => {
            e.add("tolerance_kind", msg::TOLERANCE_KIND);
            None
        }
        Some(TOLERANCE_STANDARD) => Some(None),
        Some(_) if blank => {
            e.add("tolerance_value", messages::REQUIRED);
            None
        }
        Some(TOLERANCE_PERCENT) => permille(
            &mut e,
            input,
            "tolerance_value",
            1000,
            &EconomyRefusal::BadTolerance,
        )
        .map(|p| Some(Tolerance::Permille(p))),
        Some(_) => match amount(&mut e, input, "tolerance_value") {
            Some(Some(a)) if a.0 >= 0 => Some(Some(Tolerance::Amount(a))),
            Some(_) => {
                e.add(
                    "tolerance_value",
                    msg::refusal(&EconomyRefusal::BadTolerance),
                );
                None
            }
            None => None,
        },
        None => None,
    };
    match t {
        Some(t) if e.is_empty() => Ok(t),
        _ => Err(e),
    }
}

#[derive(Deserialize)]
pub struct UnitPath {
    unit: Id,
}

pub async fn tolerance_form(
    State(state): State<AppState>,
    Path(p): Path<UnitPath>,
) -> Result<Response> {
    let unit = state.store.org_unit(p.unit).await?;
    let t = state
        .store
        .budget_tolerances()
        .await?
        .get(&unit.id)
        .copied();
    tolerance_page(&unit)
        .with_values(tolerance_values(t))
        .render_page()
}

pub async fn save_tolerance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(p): Path<UnitPath>,
    Form(input): Form,
) -> Result<Response> {
    let unit = state.store.org_unit(p.unit).await?;
    let parsed = parse_tolerance(&input);
    let post = Post::new(&state, viewer, unit.id, input);
    post.submit(
        async || Ok(tolerance_page(&unit)),
        parsed,
        async |w, t| {
            economy_at(w.put_tolerance(unit.id, t).await, "tolerance_value")?;
            Ok(ECONOMY.into())
        },
    )
    .await
}

// ---- Settings ----

fn settings_page() -> FormPage {
    page(
        "Inställningar för ekonomin".into(),
        None,
        "/economy/settings".into(),
        ECONOMY.into(),
        "Spara",
        economy_crumbs(),
        vec![
            Field::new(
                "ledger_dimension",
                "Dimension för ansvar i ekonomisystemet",
                FieldKind::Integer,
            )
            .required()
            .hint("Numret på den dimension (#DIM i SIE-filen) som anger ansvar, oftast 1."),
            Field::new(
                "totals_policy",
                "När en fils summor inte stämmer med raderna",
                FieldKind::Radios(coded(
                    TotalsPolicy::ALL,
                    TotalsPolicy::code,
                    TotalsPolicy::label_sv,
                )),
            )
            .required(),
            Field::new(
                "totals_tolerance",
                "Största tillåtna avrundningsskillnad (mnkr)",
                FieldKind::Decimal,
            )
            .required()
            .hint("Tryckta tabeller avrundar till 0,1 mnkr; 0,2 tillåter summor av några rader."),
        ],
    )
}

fn settings_values(s: &EconomySettings) -> Vec<(&'static str, String)> {
    vec![
        ("ledger_dimension", s.ledger_dimension.to_string()),
        ("totals_policy", s.totals_policy.code().to_string()),
        ("totals_tolerance", mnkr_input(Some(s.totals_tolerance))),
    ]
}

fn parse_settings(input: &Input) -> std::result::Result<EconomySettings, Errors> {
    let mut e = Errors::default();
    let dim = e.integer(input, "ledger_dimension", 1, 99_999);
    let policy = e.choice(input, "totals_policy", TotalsPolicy::parse);
    let tolerance = required_amount(&mut e, input, "totals_tolerance");
    if tolerance.is_some_and(|t| t.0 < 0) {
        e.add(
            "totals_tolerance",
            msg::refusal(&EconomyRefusal::BadTolerance),
        );
    }
    match (dim, policy, tolerance) {
        (Some(dim), Some(totals_policy), Some(totals_tolerance)) if e.is_empty() => {
            Ok(EconomySettings {
                ledger_dimension: dim as u32,
                totals_policy,
                totals_tolerance,
            })
        }
        _ => Err(e),
    }
}

pub async fn settings_form(State(state): State<AppState>) -> Result<Response> {
    let s = state.store.economy_settings().await?;
    settings_page()
        .with_values(settings_values(&s))
        .render_page()
}

pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form,
) -> Result<Response> {
    let parsed = parse_settings(&input);
    let post = Post::new(&state, viewer, 0, input);
    post.submit(
        async || Ok(settings_page()),
        parsed,
        async |w, s| {
            economy_at(w.put_economy_settings(&s).await, "ledger_dimension")?;
            Ok(ECONOMY.into())
        },
    )
    .await
}

// ---- Cost types ----

fn cost_type_page(c: Option<&CostType>) -> FormPage {
    let fields = vec![
        Field::new("code", "Kod", FieldKind::Text)
            .required()
            .hint("Kort kod som filer använder, t.ex. personal."),
        Field::new("name", "Namn", FieldKind::Text)
            .required()
            .hint("Som årsredovisningen skriver det, t.ex. Personalkostnader."),
        Field::new(
            "group",
            "Summeras under",
            FieldKind::Radios(coded(CostGroup::ALL, CostGroup::code, CostGroup::label_sv)),
        )
        .required(),
        Field::new("position", "Ordning", FieldKind::Integer)
            .hint("Lägre tal visas först inom gruppen. Tomt: sist."),
        Field::new("ranges", "Konton", FieldKind::Textarea(3)).hint(
            "Kontointervall i kontoplanen (BAS), ett per rad eller åtskilda med kommatecken, t.ex. 5000–5999 eller ett konto, 4010. Det smalaste intervallet som rymmer ett konto gäller.",
        ),
    ];
    match c {
        None => page(
            "Nytt kostnadsslag".into(),
            None,
            "/economy/cost-types/new".into(),
            ECONOMY.into(),
            "Lägg till kostnadsslaget",
            economy_crumbs(),
            fields,
        ),
        Some(c) => page(
            format!("Ändra kostnadsslaget {}", c.name),
            None,
            format!("/economy/cost-types/{}/edit", c.id),
            ECONOMY.into(),
            "Spara",
            economy_crumbs(),
            fields,
        ),
    }
}

fn cost_type_values(c: &CostType) -> Vec<(&'static str, String)> {
    vec![
        ("code", c.code.clone()),
        ("name", c.name.clone()),
        ("group", c.group.code().to_string()),
        ("position", c.position.to_string()),
        (
            "ranges",
            c.ranges
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]
}

fn parse_cost_type(
    all: &[CostType],
    input: &Input,
    base: Option<&CostType>,
) -> std::result::Result<CostType, Errors> {
    let mut e = Errors::default();
    let code = e.text(input, "code", MAX_NAME_CHARS);
    let name = e.text(input, "name", MAX_NAME_CHARS);
    let group = e.choice(input, "group", CostGroup::parse);
    let position = e.optional_integer(input, "position", -1_000_000, 1_000_000);
    let text = e.optional_paragraphs(input, "ranges", MAX_TEXT_CHARS);
    let mut ranges = Vec::new();
    for part in text.split(['\n', ',', ';']).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        match AccountRange::parse(part) {
            Ok(r) => ranges.push(r),
            Err(r) => {
                e.add("ranges", msg::refusal(&r));
                break;
            }
        }
    }
    match (code, name, group, position) {
        (Some(code), Some(name), Some(group), Some(position)) if e.is_empty() => {
            let position = position.or(base.map(|b| b.position)).unwrap_or_else(|| {
                all.iter()
                    .filter(|c| c.group == group)
                    .map(|c| c.position + 10)
                    .max()
                    .unwrap_or(10)
            });
            Ok(CostType {
                id: base.map_or(0, |b| b.id),
                code,
                name,
                group,
                position,
                ranges,
            })
        }
        _ => Err(e),
    }
}

async fn cost_type_of(state: &AppState, id: Id) -> Result<(Vec<CostType>, CostType)> {
    let all = state.store.cost_types().await?;
    let c = all
        .iter()
        .find(|c| c.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((all, c))
}

pub async fn new_cost_type_form() -> Result<Response> {
    cost_type_page(None)
        .with_values([("group", CostGroup::Cost.code())])
        .render_page()
}

pub async fn create_cost_type(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form,
) -> Result<Response> {
    let all = state.store.cost_types().await?;
    let parsed = parse_cost_type(&all, &input, None);
    let post = Post::new(&state, viewer, 0, input);
    post.submit(
        async || Ok(cost_type_page(None)),
        parsed,
        async |w, c| {
            economy_at(w.put_cost_type(&c).await, "name")?;
            Ok(ECONOMY.into())
        },
    )
    .await
}

pub async fn edit_cost_type_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (_, c) = cost_type_of(&state, id).await?;
    cost_type_page(Some(&c))
        .with_values(cost_type_values(&c))
        .render_page()
}

pub async fn update_cost_type(post: Post) -> Result<Response> {
    let state = &post.state;
    let (all, stored) = cost_type_of(state, post.id).await?;
    let parsed = parse_cost_type(&all, &post.input, Some(&stored));
    post.submit(
        async || Ok(cost_type_page(Some(&stored))),
        parsed,
        async |w, c| {
            economy_at(w.put_cost_type(&c).await, "name")?;
            Ok(ECONOMY.into())
        },
    )
    .await
}

// ---- The ledger's responsibility objects ----

fn ledger_fields(rows: usize, units: &[(String, String)]) -> Vec<Field> {
    let mut out = Vec::new();
    for i in 0..rows {
        let n = i + 1;
        let mut code = Field::new(
            field_name("object_code", i),
            &format!("Objekt {n}: kod i ekonomisystemet"),
            FieldKind::Text,
        );
        if i == 0 {
            code = code.hint("Ett objekt i ansvarsdimensionen per rad med den enhet det hör till. Töm en rad för att ta bort kopplingen; tomma rader sparas inte.");
        }
        out.push(code);
        out.push(Field::new(
            field_name("unit", i),
            &format!("Objekt {n}: enhet"),
            with_empty("Välj enhet", units.to_vec()),
        ));
        out.push(Field::new(
            field_name("ledger_name", i),
            &format!("Objekt {n}: namn i ekonomisystemet"),
            FieldKind::Text,
        ));
    }
    out
}

async fn ledger_page(state: &AppState, stored: usize) -> Result<FormPage> {
    let units: Vec<(String, String)> = state
        .store
        .org_units()
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let rows = (stored + NEW_ROWS).min(MAX_LEDGER_ROWS);
    Ok(page(
        "Ansvar i ekonomisystemet".into(),
        Some("Vilken enhet varje objekt i ekonomisystemets ansvarsdimension hör till. Inläsning från ekonomisystemet (SIE) använder kopplingen.".into()),
        "/economy/ledger-units".into(),
        ECONOMY.into(),
        "Spara kopplingen",
        economy_crumbs(),
        ledger_fields(rows, &units),
    ))
}

fn ledger_values(stored: &[LedgerUnit]) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    for (i, l) in stored.iter().enumerate().take(MAX_LEDGER_ROWS) {
        v.push((field_name("object_code", i), l.object_code.clone()));
        v.push((field_name("unit", i), l.unit_id.to_string()));
        v.push((field_name("ledger_name", i), l.ledger_name.clone()));
    }
    v
}

fn parse_ledger(form: &FormPage, input: &Input) -> std::result::Result<Vec<LedgerUnit>, Errors> {
    let mut e = Errors::default();
    let rows = form
        .fields
        .iter()
        .filter(|f| f.name.starts_with("object_code-"))
        .count();
    let mut out: Vec<LedgerUnit> = Vec::new();
    for i in 0..rows {
        let names = [
            field_name("object_code", i),
            field_name("unit", i),
            field_name("ledger_name", i),
        ];
        if names.iter().all(|f| Errors::is_blank(input, f)) {
            continue;
        }
        let code = e.text(input, names[0], MAX_NAME_CHARS);
        let unit = select_id(&mut e, form, input, names[1]);
        let name = e.optional_text(input, names[2], MAX_NAME_CHARS);
        if let Some(None) = unit {
            e.add(names[1], messages::REQUIRED);
        }
        if let (Some(code), Some(Some(unit_id))) = (code, unit) {
            if out.iter().any(|l| l.object_code == code) {
                e.add(
                    names[0],
                    msg::refusal(&EconomyRefusal::Duplicate(code.clone())),
                );
            }
            out.push(LedgerUnit {
                object_code: code,
                unit_id,
                ledger_name: name,
            });
        }
    }
    if e.is_empty() {
        Ok(out)
    } else {
        Err(e)
    }
}

pub async fn ledger_units_form(State(state): State<AppState>) -> Result<Response> {
    let stored = state.store.ledger_units().await?;
    ledger_page(&state, stored.len())
        .await?
        .with_values(ledger_values(&stored))
        .render_page()
}

pub async fn save_ledger_units(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form,
) -> Result<Response> {
    let stored = state.store.ledger_units().await?;
    let form = ledger_page(&state, stored.len()).await?;
    let parsed = parse_ledger(&form, &input);
    let post = Post::new(&state, viewer, 0, input);
    let first = field_name("object_code", 0);
    post.submit(
        async || ledger_page(&state, stored.len()).await,
        parsed,
        async |w, rows| {
            // Only what the form showed can have been emptied: a mapping beyond the
            // form's rows (more than it shows) is kept.
            for old in stored.iter().take(MAX_LEDGER_ROWS) {
                if !rows.iter().any(|r| r.object_code == old.object_code) {
                    economy_at(w.delete_ledger_unit(&old.object_code).await, first)?;
                }
            }
            for r in &rows {
                if !stored.contains(r) {
                    economy_at(w.put_ledger_unit(r).await, first)?;
                }
            }
            Ok(ECONOMY.into())
        },
    )
    .await
}

// ---- Grants ----

fn grant_year_fields(rows: usize) -> Vec<Field> {
    let mut out = Vec::new();
    for i in 0..rows {
        let n = i + 1;
        let mut year = Field::new(
            field_name("year", i),
            &format!("År {n}"),
            FieldKind::Integer,
        );
        if i == 0 {
            year = year.hint("Bidragets belopp per år, ett år per rad. Lämna beloppet tomt om källan inte anger det. Töm en rad för att ta bort året.");
        }
        out.push(year);
        out.push(Field::new(
            field_name("amount", i),
            &format!("Belopp år {n} (mnkr)"),
            FieldKind::Decimal,
        ));
        out.push(Field::new(
            field_name("received_on", i),
            &format!("Mottaget datum år {n}"),
            FieldKind::Date,
        ));
        out.push(Field::new(
            field_name("quoted", i),
            &format!("Beloppet som källan skriver det, år {n}"),
            FieldKind::Text,
        ));
        out.push(Field::new(
            field_name("half_year", i),
            &format!("Gäller halva året, år {n}"),
            FieldKind::Select(vec![
                ("nej".into(), "Nej".into()),
                ("ja".into(), "Ja, bidraget började mitt i året".into()),
            ]),
        ));
    }
    out
}

async fn grant_page(state: &AppState, g: Option<&Grant>) -> Result<FormPage> {
    let boards = super::audits::board_choices(&crate::audits::unit_names(state).await?);
    let rows = g.map_or(0, |g| g.years.len()).min(MAX_ROWS) + NEW_ROWS;
    let mut fields = vec![
        Field::new("code", "Kod", FieldKind::Text)
            .required()
            .hint("Kort och unik, t.ex. G-LAG2023."),
        Field::new("name", "Namn", FieldKind::Text).required(),
        Field::new(
            "direction",
            "Slag",
            FieldKind::Radios(coded(Direction::ALL, Direction::code, Direction::label_sv)),
        )
        .required(),
        Field::new("grantor", "Bidragsgivare", FieldKind::Text)
            .hint("Staten, Länsstyrelsen eller kommunen (KF)."),
        Field::new("legal_basis", "Grund", FieldKind::Text)
            .hint("Lag, förordning eller kommunens regler, t.ex. Lag (2023:196)."),
        Field::new(
            "kind",
            "Bundenhet",
            FieldKind::Select(coded(GrantKind::ALL, GrantKind::code, GrantKind::label_sv)),
        )
        .required(),
        Field::new("formula", "Beräkning", FieldKind::Text)
            .hint("T.ex. 21 kr per invånare (befolkning 2021)."),
        Field::new(
            "reporting_duty",
            "Redovisningsplikt",
            FieldKind::Textarea(2),
        )
        .hint("Till vem och när bidraget ska redovisas. Tomt: ingen angiven."),
        Field::new(
            "unit_id",
            "Nämnd som tar emot eller ger bidraget",
            with_empty("Ingen angiven", boards),
        ),
        Field::new("allocate_by", "Ska vara fördelat senast", FieldKind::Date).hint(
            "Kommunens eget datum; mottagna pengar som inte är fördelade då blir en avvikelse.",
        ),
        Field::new(
            "rules",
            "Regler för bidragsgivningen",
            FieldKind::Textarea(3),
        )
        .hint("För bidrag som kommunen ger, t.ex. föreningsbidrag."),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)),
        Field::new("source", "Källa", FieldKind::Text).hint("T.ex. 002:605-618."),
    ];
    fields.extend(grant_year_fields(rows));
    Ok(match g {
        None => page(
            "Nytt bidrag".into(),
            None,
            "/grants/new".into(),
            GRANTS.into(),
            "Lägg till bidraget",
            vec![(GRANTS.into(), "Bidrag".into())],
            fields,
        ),
        Some(g) => page(
            format!("Ändra {}", g.name),
            None,
            format!("/grants/{}/edit", g.id),
            format!("/grants/{}", g.id),
            "Spara",
            grant_crumbs(g),
            fields,
        ),
    })
}

fn grant_crumbs(g: &Grant) -> Vec<(String, String)> {
    vec![
        (GRANTS.into(), "Bidrag".into()),
        (format!("/grants/{}", g.id), g.name.clone()),
    ]
}

fn grant_values(g: &Grant) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("code", g.code.clone()),
        ("name", g.name.clone()),
        ("direction", g.direction.code().to_string()),
        ("grantor", g.grantor.clone()),
        ("legal_basis", g.legal_basis.clone()),
        ("kind", g.kind.code().to_string()),
        ("formula", g.formula.clone()),
        ("reporting_duty", g.reporting_duty.clone()),
        ("unit_id", id_text(g.unit_id)),
        ("allocate_by", g.allocate_by.clone().unwrap_or_default()),
        ("rules", g.rules.clone()),
        ("note", g.note.clone()),
        ("source", g.source.clone()),
    ];
    for (i, y) in g.years.iter().enumerate().take(MAX_ROWS) {
        v.push((field_name("year", i), y.year.to_string()));
        v.push((field_name("amount", i), mnkr_input(y.amount)));
        v.push((
            field_name("received_on", i),
            y.received_on.clone().unwrap_or_default(),
        ));
        v.push((field_name("quoted", i), y.quoted.clone()));
        v.push((
            field_name("half_year", i),
            if y.half_year { "ja" } else { "nej" }.into(),
        ));
    }
    v
}

fn parse_grant(
    form: &FormPage,
    input: &Input,
    base: Option<&Grant>,
) -> std::result::Result<Grant, Errors> {
    let mut e = Errors::default();
    let code = e.text(input, "code", MAX_NAME_CHARS);
    let name = e.text(input, "name", MAX_NAME_CHARS);
    let direction = e.choice(input, "direction", Direction::parse);
    let grantor = e.optional_text(input, "grantor", MAX_NAME_CHARS);
    let legal_basis = e.optional_text(input, "legal_basis", MAX_NAME_CHARS);
    let kind = e.choice(input, "kind", GrantKind::parse);
    let formula = e.optional_text(input, "formula", MAX_NAME_CHARS);
    let reporting_duty = e.optional_paragraphs(input, "reporting_duty", MAX_TEXT_CHARS);
    let unit_id = select_id(&mut e, form, input, "unit_id");
    let allocate_by = date_or_none(&mut e, input, "allocate_by");
    let rules = e.optional_paragraphs(input, "rules", MAX_TEXT_CHARS);
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    let source = e.optional_text(input, "source", MAX_NAME_CHARS);
    let rows = form
        .fields
        .iter()
        .filter(|f| f.name.starts_with("year-"))
        .count();
    let mut years: Vec<GrantYear> = Vec::new();
    for i in 0..rows {
        let names = [
            field_name("year", i),
            field_name("amount", i),
            field_name("received_on", i),
            field_name("quoted", i),
            field_name("half_year", i),
        ];
        let half = input.get(names[4]).is_some_and(|v| v == "ja");
        if names[..4].iter().all(|f| Errors::is_blank(input, f)) && !half {
            continue;
        }
        let year = e.integer(input, names[0], 1900, 2200);
        let amount = amount(&mut e, input, names[1]);
        let received_on = date_or_none(&mut e, input, names[2]);
        let quoted = e.optional_text(input, names[3], MAX_NAME_CHARS);
        if let Some(y) = year {
            if years.iter().any(|x| x.year == y as i32) {
                e.add(
                    names[0],
                    msg::refusal(&EconomyRefusal::Duplicate(y.to_string())),
                );
            }
        }
        if let (Some(year), Some(amount), Some(received_on)) = (year, amount, received_on) {
            years.push(GrantYear {
                year: year as i32,
                amount,
                received_on,
                quoted,
                half_year: half,
            });
        }
    }
    years.sort_by_key(|y| y.year);
    match (code, name, direction, kind, unit_id, allocate_by) {
        (Some(code), Some(name), Some(direction), Some(kind), Some(unit_id), Some(allocate_by))
            if e.is_empty() =>
        {
            Ok(Grant {
                id: base.map_or(0, |b| b.id),
                code,
                name,
                direction,
                grantor,
                legal_basis,
                kind,
                formula,
                reporting_duty,
                unit_id,
                allocate_by,
                rules,
                note,
                source,
                years,
            })
        }
        _ => Err(e),
    }
}

pub async fn new_grant_form(State(state): State<AppState>) -> Result<Response> {
    grant_page(&state, None)
        .await?
        .with_values([
            ("direction", Direction::Received.code()),
            ("kind", GrantKind::Unknown.code()),
        ])
        .render_page()
}

pub async fn create_grant(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form,
) -> Result<Response> {
    let form = grant_page(&state, None).await?;
    let parsed = parse_grant(&form, &input, None);
    let post = Post::new(&state, viewer, 0, input);
    post.submit(
        async || grant_page(&state, None).await,
        parsed,
        async |w, g| {
            let id = economy_at(w.put_grant(&g).await, "code")?;
            Ok(format!("/grants/{id}"))
        },
    )
    .await
}

pub async fn edit_grant_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let g = state.store.grant(id).await?;
    grant_page(&state, Some(&g))
        .await?
        .with_values(grant_values(&g))
        .render_page()
}

pub async fn update_grant(post: Post) -> Result<Response> {
    let state = &post.state;
    let stored = state.store.grant(post.id).await?;
    let form = grant_page(state, Some(&stored)).await?;
    let parsed = parse_grant(&form, &post.input, Some(&stored));
    post.submit(
        async || grant_page(state, Some(&stored)).await,
        parsed,
        async |w, g| {
            economy_at(w.put_grant(&g).await, "code")?;
            Ok(format!("/grants/{}", stored.id))
        },
    )
    .await
}

// ---- Allocations ----

/// The choices an allocation offers: areas, duties, commitments and situation reports.
async fn allocation_page(state: &AppState, g: &Grant, a: Option<&Allocation>) -> Result<FormPage> {
    let units: Vec<(String, String)> = state
        .store
        .org_units()
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let mut areas: Vec<(String, String)> = state
        .store
        .areas()
        .await?
        .into_iter()
        .map(|a| (a.name.clone(), a.name))
        .collect();
    // An area stored by an import under a name the register does not have is kept.
    if let Some(stored) = a.and_then(|a| a.area.clone()) {
        if !areas.iter().any(|(v, _)| *v == stored) {
            areas.push((stored.clone(), stored));
        }
    }
    let mut duties = Vec::new();
    for s in state.store.statutes().await? {
        for o in state.store.obligations(s.id).await? {
            duties.push((
                o.id.to_string(),
                format!(
                    "Lag ({}) {}: {}",
                    s.sfs,
                    o.code,
                    uppsikt_domain::text::shown(&o.duty, 80)
                ),
            ));
        }
    }
    let commitments: Vec<(String, String)> = state
        .store
        .commitments(uppsikt_store::Scope::All)
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), format!("{} ({})", c.title, c.year)))
        .collect();
    let reports: Vec<(String, String)> = state
        .store
        .situation_reports(None, None)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.id.to_string(),
                format!("{} ({}–{})", r.title, r.period_start, r.period_end),
            )
        })
        .collect();
    let fields = vec![
        Field::new("year", "År", FieldKind::Integer).required(),
        Field::new("decision_body", "Beslutande organ", FieldKind::Text)
            .required()
            .hint("T.ex. KS eller kommunkoncernens ledningsgrupp."),
        Field::new("decision_date", "Beslutsdatum", FieldKind::Date),
        Field::new("paragraph", "Paragraf", FieldKind::Text).hint("T.ex. § 123."),
        Field::new("case_ref", "Diarienummer", FieldKind::Text),
        Field::new("purpose", "Ändamål", FieldKind::Textarea(3))
            .hint("Vad pengarna betalar, t.ex. trygghetsskapande insatser."),
        Field::new("amount", "Belopp (mnkr)", FieldKind::Decimal)
            .hint("Beslutets belopp. Tomt om beslutet inte anger något."),
        Field::new("share", "Andel som bidraget finansierar (%)", FieldKind::Text)
            .hint("En procentsats 0–100, t.ex. 40, eller ”okänd” (tomt betyder okänd) om beslutet inte säger det."),
        Field::new("unit_id", "Till enhet", with_empty("Ingen", units)),
        Field::new("area", "Till område", with_empty("Inget", areas)),
        Field::new("obligation_id", "Till lagkrav", with_empty("Inget", duties)),
        Field::new("commitment_id", "Till åtagande", with_empty("Inget", commitments)),
        Field::new(
            "situation_report_id",
            "Lägesbild som fördelningen bygger på",
            with_empty("Ingen", reports),
        ),
        Field::new("recipient", "Mottagare", FieldKind::Text)
            .hint("En förening eller annan mottagare av ett bidrag som kommunen ger."),
        Field::new("follow_up_date", "Uppföljning: datum", FieldKind::Date)
            .hint("Hur mottagaren använde bidraget. Lämna uppföljningen tom tills den är gjord."),
        Field::new(
            "follow_up_status",
            "Uppföljning: resultat",
            with_empty(
                "Inte uppföljd",
                coded(UseStatus::ALL, UseStatus::code, UseStatus::label_sv),
            ),
        ),
        Field::new("follow_up", "Uppföljning: beskrivning", FieldKind::Textarea(3)),
    ];
    let crumbs = grant_crumbs(g);
    Ok(match a {
        None => page(
            format!("Ny fördelning av {}", g.name),
            None,
            format!("/grants/{}/allocations/new", g.id),
            format!("/grants/{}", g.id),
            "Lägg till fördelningen",
            crumbs,
            fields,
        ),
        Some(a) => page(
            format!("Ändra fördelningen {} {}", a.decision.body, a.year),
            None,
            format!("/allocations/{}/edit", a.id),
            format!("/grants/{}", g.id),
            "Spara",
            crumbs,
            fields,
        ),
    })
}

fn share_input(s: GrantShare) -> String {
    match s {
        GrantShare::Known(p) => percent_input(p),
        GrantShare::Unknown => "okänd".into(),
    }
}

fn allocation_values(a: &Allocation) -> Vec<(&'static str, String)> {
    let f = a.follow_up.as_ref();
    vec![
        ("year", a.year.to_string()),
        ("decision_body", a.decision.body.clone()),
        ("decision_date", a.decision.date.clone().unwrap_or_default()),
        ("paragraph", a.decision.paragraph.clone()),
        ("case_ref", a.decision.case_ref.clone()),
        ("purpose", a.purpose.clone()),
        ("amount", mnkr_input(a.amount)),
        ("share", share_input(a.share)),
        ("unit_id", id_text(a.unit_id)),
        ("area", a.area.clone().unwrap_or_default()),
        ("obligation_id", id_text(a.obligation_id)),
        ("commitment_id", id_text(a.commitment_id)),
        ("situation_report_id", id_text(a.situation_report_id)),
        ("recipient", a.recipient.clone()),
        (
            "follow_up_date",
            f.map(|f| f.date.clone()).unwrap_or_default(),
        ),
        (
            "follow_up_status",
            f.map(|f| f.status.code().to_string()).unwrap_or_default(),
        ),
        ("follow_up", f.map(|f| f.text.clone()).unwrap_or_default()),
    ]
}

/// A share as typed: a percentage, or empty / "okänd" for unknown.
fn parse_share(e: &mut Errors, input: &Input) -> Option<GrantShare> {
    let raw = e.typed(input, "share")?;
    let text = raw.trim_end_matches('%').trim();
    if text.is_empty() || text.eq_ignore_ascii_case("okänd") || text.eq_ignore_ascii_case("okand")
    {
        return Some(GrantShare::Unknown);
    }
    match uppsikt_domain::parse_decimal(text).map(|v| v * 10.0) {
        Ok(p) if (p - p.round()).abs() < 1e-6 && (0.0..=1000.0).contains(&p) => {
            Some(GrantShare::Known(p.round() as u32))
        }
        Ok(p) if (p - p.round()).abs() < 1e-6 => {
            e.add("share", msg::refusal(&EconomyRefusal::ShareOutOfRange));
            None
        }
        _ => {
            e.add("share", msg::bad_share(raw));
            None
        }
    }
}

fn parse_allocation(
    form: &FormPage,
    g: &Grant,
    input: &Input,
    base: Option<&Allocation>,
) -> std::result::Result<Allocation, Errors> {
    let mut e = Errors::default();
    let year = e.integer(input, "year", 1900, 2200);
    let body = e.text(input, "decision_body", MAX_NAME_CHARS);
    let date = date_or_none(&mut e, input, "decision_date");
    let paragraph = e.optional_text(input, "paragraph", MAX_NAME_CHARS);
    let case_ref = e.optional_text(input, "case_ref", MAX_NAME_CHARS);
    let purpose = e.optional_paragraphs(input, "purpose", MAX_TEXT_CHARS);
    let amount = amount(&mut e, input, "amount");
    let share = parse_share(&mut e, input);
    let unit_id = select_id(&mut e, form, input, "unit_id");
    let area = {
        let v = e.optional_text(input, "area", MAX_NAME_CHARS);
        if v.is_empty() {
            Some(None)
        } else if offers(form, "area", &v) {
            Some(Some(v))
        } else {
            e.add("area", messages::unknown_choice(&v));
            None
        }
    };
    let obligation_id = select_id(&mut e, form, input, "obligation_id");
    let commitment_id = select_id(&mut e, form, input, "commitment_id");
    let situation_report_id = select_id(&mut e, form, input, "situation_report_id");
    let recipient = e.optional_text(input, "recipient", MAX_NAME_CHARS);
    let follow_up = {
        let any = ["follow_up_date", "follow_up_status", "follow_up"]
            .iter()
            .any(|f| !Errors::is_blank(input, f));
        if any {
            let date = if Errors::is_blank(input, "follow_up_date") {
                e.add("follow_up_date", messages::REQUIRED);
                None
            } else {
                e.date(input, "follow_up_date")
            };
            let status = e.choice(input, "follow_up_status", UseStatus::parse);
            let text = e.optional_paragraphs(input, "follow_up", MAX_TEXT_CHARS);
            match (date, status) {
                (Some(date), Some(status)) => Some(Some(UseFollowUp { date, status, text })),
                _ => None,
            }
        } else {
            Some(None)
        }
    };
    match (
        year,
        body,
        date,
        amount,
        share,
        unit_id,
        area,
        obligation_id,
        commitment_id,
        situation_report_id,
        follow_up,
    ) {
        (
            Some(year),
            Some(body),
            Some(date),
            Some(amount),
            Some(share),
            Some(unit_id),
            Some(area),
            Some(obligation_id),
            Some(commitment_id),
            Some(situation_report_id),
            Some(follow_up),
        ) if e.is_empty() => Ok(Allocation {
            id: base.map_or(0, |b| b.id),
            grant_id: g.id,
            year: year as i32,
            decision: DecisionRef {
                body,
                date,
                paragraph,
                case_ref,
            },
            purpose,
            amount,
            share,
            unit_id,
            area,
            obligation_id,
            commitment_id,
            situation_report_id,
            recipient,
            follow_up,
        }),
        _ => Err(e),
    }
}

pub async fn new_allocation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let g = state.store.grant(id).await?;
    let year = g
        .years
        .last()
        .map(|y| y.year.to_string())
        .unwrap_or_default();
    allocation_page(&state, &g, None)
        .await?
        .with_values([("year", year)])
        .render_page()
}

pub async fn create_allocation(post: Post) -> Result<Response> {
    let state = &post.state;
    let g = state.store.grant(post.id).await?;
    let form = allocation_page(state, &g, None).await?;
    let parsed = parse_allocation(&form, &g, &post.input, None);
    post.submit(
        async || allocation_page(state, &g, None).await,
        parsed,
        async |w, a| {
            economy_at(w.put_allocation(&a).await, "decision_body")?;
            Ok(format!("/grants/{}", g.id))
        },
    )
    .await
}

/// An allocation and its grant (not found: 404).
async fn allocation_of(state: &AppState, id: Id) -> Result<(Grant, Allocation)> {
    let a = state
        .store
        .grant_allocations(None)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(AppError::NotFound)?;
    Ok((state.store.grant(a.grant_id).await?, a))
}

pub async fn edit_allocation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (g, a) = allocation_of(&state, id).await?;
    allocation_page(&state, &g, Some(&a))
        .await?
        .with_values(allocation_values(&a))
        .render_page()
}

pub async fn update_allocation(post: Post) -> Result<Response> {
    let state = &post.state;
    let (g, stored) = allocation_of(state, post.id).await?;
    let form = allocation_page(state, &g, Some(&stored)).await?;
    let parsed = parse_allocation(&form, &g, &post.input, Some(&stored));
    post.submit(
        async || allocation_page(state, &g, Some(&stored)).await,
        parsed,
        async |w, a| {
            economy_at(w.put_allocation(&a).await, "decision_body")?;
            Ok(format!("/grants/{}", g.id))
        },
    )
    .await
}

fn allocation_label(a: &Allocation) -> String {
    let mut s = format!("{} {}", a.decision.body, a.year);
    if !a.purpose.is_empty() {
        s.push_str(&format!(
            ": {}",
            uppsikt_domain::text::shown(&a.purpose, 120)
        ));
    }
    s
}

fn delete_allocation_page(g: &Grant, a: &Allocation, spend: usize) -> ConfirmPage {
    let mut what = format!(
        "Fördelningen ”{}” tas bort ur {}.",
        allocation_label(a),
        g.name
    );
    match spend {
        0 => {}
        1 => what.push_str(" Dess rad med användning tas bort med den."),
        n => what.push_str(&format!(" Dess {n} rader med användning tas bort med den.")),
    }
    confirm_page(
        "Ta bort fördelningen".into(),
        what,
        format!("/allocations/{}/delete", a.id),
        format!("/grants/{}", g.id),
        grant_crumbs(g),
    )
}

async fn spend_count(state: &AppState, g: &Grant, a: &Allocation) -> Result<usize> {
    Ok(state
        .store
        .grant_spend(Some(g.id))
        .await?
        .iter()
        .filter(|s| s.allocation_id == a.id)
        .count())
}

pub async fn delete_allocation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (g, a) = allocation_of(&state, id).await?;
    let n = spend_count(&state, &g, &a).await?;
    delete_allocation_page(&g, &a, n).render_page()
}

pub async fn delete_allocation(post: Post) -> Result<Response> {
    let state = &post.state;
    let (g, a) = allocation_of(state, post.id).await?;
    let n = spend_count(state, &g, &a).await?;
    confirm(&post, delete_allocation_page(&g, &a, n), async |w| {
        economy_at(w.delete_allocation(a.id).await, "")?;
        Ok(format!("/grants/{}", g.id))
    })
    .await
}

// ---- Spend ----

fn spend_page(g: &Grant, a: &Allocation) -> FormPage {
    page(
        "Ny användning".into(),
        Some(format!(
            "Pengar som använts av fördelningen {}.",
            allocation_label(a)
        )),
        format!("/allocations/{}/spend/new", a.id),
        format!("/grants/{}", g.id),
        "Lägg till",
        grant_crumbs(g),
        vec![
            Field::new("period", "Period", FieldKind::Text)
                .required()
                .hint("År, tertial eller månad: 2024, 2024T1 eller 2024-03."),
            Field::new("amount", "Belopp (mnkr)", FieldKind::Decimal).required(),
            Field::new("booked_on", "Projekt eller budgetrad", FieldKind::Text)
                .hint("Där kostnaden är bokförd."),
            Field::new("note", "Anteckning", FieldKind::Textarea(2)),
        ],
    )
}

fn parse_spend(a: &Allocation, input: &Input) -> std::result::Result<Spend, Errors> {
    let mut e = Errors::default();
    let period = e.period(input, "period");
    let amount = required_amount(&mut e, input, "amount");
    let booked_on = e.optional_text(input, "booked_on", MAX_NAME_CHARS);
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    if matches!(period, Some(Period::Week(..))) {
        e.add("period", msg::refusal(&EconomyRefusal::BadPeriod));
    }
    match (period, amount) {
        (Some(period), Some(amount)) if e.is_empty() => Ok(Spend {
            id: 0,
            allocation_id: a.id,
            period,
            amount,
            booked_on,
            note,
        }),
        _ => Err(e),
    }
}

pub async fn spend_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (g, a) = allocation_of(&state, id).await?;
    spend_page(&g, &a)
        .with_values([("period", a.year.to_string())])
        .render_page()
}

pub async fn add_spend(post: Post) -> Result<Response> {
    let state = &post.state;
    let (g, a) = allocation_of(state, post.id).await?;
    let parsed = parse_spend(&a, &post.input);
    post.submit(
        async || Ok(spend_page(&g, &a)),
        parsed,
        async |w, s| {
            economy_at(w.put_spend(&s).await, "amount")?;
            Ok(format!("/grants/{}", g.id))
        },
    )
    .await
}

/// A spend row, its allocation and grant (not found: 404).
async fn spend_of(state: &AppState, id: Id) -> Result<(Grant, Allocation, Spend)> {
    let s = state
        .store
        .grant_spend(None)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    let (g, a) = allocation_of(state, s.allocation_id).await?;
    Ok((g, a, s))
}

fn delete_spend_page(g: &Grant, a: &Allocation, s: &Spend) -> ConfirmPage {
    confirm_page(
        "Ta bort användningen".into(),
        format!(
            "Användningen {} mnkr ({}) av fördelningen {} tas bort.",
            s.amount.format_mnkr(),
            s.period.label_sv(),
            allocation_label(a)
        ),
        format!("/spend/{}/delete", s.id),
        format!("/grants/{}", g.id),
        grant_crumbs(g),
    )
}

pub async fn delete_spend_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (g, a, s) = spend_of(&state, id).await?;
    delete_spend_page(&g, &a, &s).render_page()
}

pub async fn delete_spend(post: Post) -> Result<Response> {
    let state = &post.state;
    let (g, a, s) = spend_of(state, post.id).await?;
    confirm(&post, delete_spend_page(&g, &a, &s), async |w| {
        economy_at(w.delete_spend(s.id).await, "")?;
        Ok(format!("/grants/{}", g.id))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_as_typed_with_every_decimal() {
        assert_eq!(mnkr_input(None), "");
        assert_eq!(mnkr_input(Some(Amount(-880_000_000))), "-8,8");
        assert_eq!(mnkr_input(Some(Amount(125_000))), "0,00125");
        assert_eq!(mnkr_input(Some(Amount(123_450_000_000))), "1234,5");
        assert_eq!(mnkr_input(Some(Amount(-1))), "-0,00000001");
        for a in [-880_000_000, 125_000, 123_456_789_012, -1, 0] {
            let text = mnkr_input(Some(Amount(a)));
            assert_eq!(
                Amount::parse(&text, MoneyUnit::Mnkr),
                Ok(Amount(a)),
                "{text}"
            );
        }
    }

    #[test]
    fn shares_are_percent_or_unknown() {
        let parse = |s: &str| {
            let mut e = Errors::default();
            let input: Input = [("share".to_string(), s.to_string())].into();
            (parse_share(&mut e, &input), e.0.get("share").cloned())
        };
        assert_eq!(parse("40").0, Some(GrantShare::Known(400)));
        assert_eq!(parse("12,5 %").0, Some(GrantShare::Known(125)));
        assert_eq!(parse("okänd").0, Some(GrantShare::Unknown));
        assert_eq!(parse("").0, Some(GrantShare::Unknown));
        let (none, message) = parse("140");
        assert_eq!(none, None);
        assert!(message.unwrap().contains("mellan 0 och 100"));
        let (none, message) = parse("hälften");
        assert_eq!(none, None);
        assert!(message.unwrap().contains("ingen andel"));
    }

    #[test]
    fn refusals_land_at_the_field_they_name() {
        assert_eq!(
            field_of(&EconomyRefusal::TypedTotal("IT".into(), "Utfall")),
            Some("outcome")
        );
        assert_eq!(
            field_of(&EconomyRefusal::Required("decision_body")),
            Some("decision_body")
        );
        assert_eq!(field_of(&EconomyRefusal::Duplicate("x".into())), None);
        let r: std::result::Result<(), StoreError> =
            Err(StoreError::Economy(EconomyRefusal::ForecastWithoutDate));
        match economy_at(r, "name") {
            Err(Refusal::At(e)) => assert!(e.0.contains_key("forecast_on")),
            _ => panic!("a refusal at a field"),
        }
    }
}
