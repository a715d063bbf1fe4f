//! The economy (issue 21): cost types with their account ranges, budget lines (budget,
//! outcome and forecast per unit, cost type and period), explanations of deviations,
//! tolerances, the economy settings, the ledger's responsibility objects mapped to units,
//! investment trees, balance carry-overs, the equity rule, and grants with their
//! allocations and spend.
//!
//! Only leaves are stored; every sum is derived by `uppsikt_domain::economy` and
//! `uppsikt_domain::grant`. Reads load table by table and return domain types. Writes are
//! [`Writer`] methods: each applies the domain's `validate_*` first (refusals are
//! [`StoreError::Economy`]), checks that what it refers to exists, refuses a change to a
//! unit's year that a decision locked (budget lines by their own period; explanations,
//! investment nodes, carry-overs and equity by the year), then writes and logs.
//!
//! The change log: cost types as `cost_type`, the settings as `economy_settings`, both
//! without a unit; a unit's budget lines (`budget_line`), explanations
//! (`budget_explanation`), bulk imports (`budget_import`, one row per unit), carry-overs
//! (`carry_over`), equity (`equity`), tolerance (`budget_tolerance`) and ledger mapping
//! (`ledger_unit`) under the unit's id; investment nodes and grants under their own kinds;
//! a grant's allocations (`grant_allocation`) and spend (`grant_spend`) under the grant.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use uppsikt_domain::deviation::NewDeviation;
use uppsikt_domain::economy::{
    self, validate_carry_over, validate_cost_type, validate_equity, validate_explanation,
    validate_line, validate_node, AccountRange, Amount, BoardEconomy, BudgetLine, CarryOver,
    CostGroup, CostType, EconomyInputs, EconomyRefusal, EconomySettings, EquityYear, Explanation,
    InvestmentNode, LedgerUnit, LineKind, Tolerance, TotalsPolicy, TreeKind, MAX_NAME_CHARS,
};
use uppsikt_domain::grant::{
    self, validate_allocation, validate_grant, validate_spend, Allocation, DecisionRef, Direction,
    Grant, GrantKind, GrantShare, GrantView, GrantYear, Spend, UseFollowUp, UseStatus,
};
use uppsikt_domain::model::{Id, OrgKind, OrgUnit};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;

use crate::area::{log_json, to_json};
use crate::deviation_sources::{BoxFuture, DeviationSource, DueDeviations};
use crate::rows::OrgUnitRow;
use crate::sql::{rows_for, rows_with as fetch};
use crate::write::{Bind, Writer};
use crate::{Backend, Result, Store, StoreError};

/// The change-log type of a unit's budget line (logged under the unit's id).
pub const BUDGET_LINE_LOG_TYPE: &str = "budget_line";
/// The change-log type of an explanation of a deviation (under the unit's id).
pub const EXPLANATION_LOG_TYPE: &str = "budget_explanation";
/// The change-log type of a bulk replacement of budget lines (one row per unit).
pub const BUDGET_IMPORT_LOG_TYPE: &str = "budget_import";
/// The change-log type of a cost type (under its id).
pub const COST_TYPE_LOG_TYPE: &str = "cost_type";
/// The change-log type of the economy settings (without an id).
pub const ECONOMY_SETTINGS_LOG_TYPE: &str = "economy_settings";
/// The change-log type of a board's equity year (under the unit's id).
pub const EQUITY_LOG_TYPE: &str = "equity";
/// The change-log type of a carry-over (under the unit's id).
pub const CARRY_OVER_LOG_TYPE: &str = "carry_over";
/// The change-log type of a unit's tolerance (under the unit's id).
pub const TOLERANCE_LOG_TYPE: &str = "budget_tolerance";
/// The change-log type of a ledger object's mapping (under the unit's id).
pub const LEDGER_UNIT_LOG_TYPE: &str = "ledger_unit";
/// The change-log type of a grant's allocation (under the grant's id).
pub const ALLOCATION_LOG_TYPE: &str = "grant_allocation";
/// The change-log type of spend against an allocation (under the grant's id).
pub const SPEND_LOG_TYPE: &str = "grant_spend";

/// Where a budget line written by hand comes from.
pub const MANUAL_ORIGIN: &str = "manual";

/// Parameters per multi-row statement of [`Writer::replace_budget_lines`]: SQLite allows
/// 32,766, PostgreSQL 65,535.
const SQLITE_MAX_BINDS: usize = 32_766;
const POSTGRES_MAX_BINDS: usize = 65_535;

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("economy: {what} {value:?}"))
}

fn refused(r: EconomyRefusal) -> StoreError {
    StoreError::Economy(r)
}

fn from_json<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

fn code<T>(what: &str, text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| corrupt(what, text))
}

fn small<T: TryFrom<i64>>(what: &str, v: i64) -> Result<T> {
    T::try_from(v).map_err(|_| corrupt(what, v))
}

fn period(text: &str) -> Result<Period> {
    Period::parse(text).map_err(|_| corrupt("period", text))
}

fn amount(v: Option<i64>) -> Option<Amount> {
    v.map(Amount)
}

fn opt_amount(a: Option<Amount>) -> Bind {
    Bind::OptInt(a.map(|a| a.0))
}

/// A text trimmed, `None` when empty.
fn trimmed(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn short(text: &str, what: &'static str) -> Result<()> {
    if text.chars().count() > MAX_NAME_CHARS {
        Err(refused(EconomyRefusal::TooLong(what)))
    } else {
        Ok(())
    }
}

fn required(text: &str, what: &'static str) -> Result<()> {
    if text.trim().is_empty() {
        Err(refused(EconomyRefusal::Required(what)))
    } else {
        short(text, what)
    }
}

/// The rows of `sql`, each made an object by `from`.
async fn fetch_as<R, T>(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    binds: &[Bind],
    from: impl Fn(R) -> Result<T>,
) -> Result<Vec<T>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    fetch::<R>(conn, sql, binds)
        .await?
        .into_iter()
        .map(from)
        .collect()
}

async fn load_org_units(conn: &mut sqlx::AnyConnection) -> Result<Vec<OrgUnit>> {
    let rows: Vec<OrgUnitRow> = sqlx::query_as(
        "SELECT id, key, name, short_name, kind, parent_id, position FROM org_units ORDER BY position, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    crate::rows::convert(rows)
}

// --- cost types ---------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct RangeJson {
    from: u32,
    to: u32,
}

#[derive(FromRow)]
struct CostTypeRow {
    id: i64,
    code: String,
    name: String,
    cost_group: String,
    position: i64,
    ranges: String,
}

fn cost_type_from(r: CostTypeRow) -> Result<CostType> {
    let ranges: Vec<RangeJson> = from_json("account ranges", &r.ranges)?;
    Ok(CostType {
        id: r.id,
        code: r.code,
        name: r.name,
        group: code("cost group", &r.cost_group, CostGroup::parse)?,
        position: r.position,
        ranges: ranges
            .into_iter()
            .map(|r| AccountRange {
                from: r.from,
                to: r.to,
            })
            .collect(),
    })
}

async fn load_cost_types(conn: &mut sqlx::AnyConnection) -> Result<Vec<CostType>> {
    let mut all = fetch_as::<CostTypeRow, _>(
        conn,
        "SELECT id, code, name, cost_group, position, ranges FROM cost_types",
        &[],
        cost_type_from,
    )
    .await?;
    all.sort_by(|a, b| {
        (a.group, a.position)
            .cmp(&(b.group, b.position))
            .then_with(|| uppsikt_domain::collate::swedish_cmp(&a.name, &b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(all)
}

fn cost_type_stored(id: Id, c: &CostType) -> CostType {
    CostType {
        id,
        code: c.code.trim().to_string(),
        name: c.name.trim().to_string(),
        ..c.clone()
    }
}

fn cost_type_columns(c: &CostType) -> Vec<(&'static str, Bind)> {
    let ranges: Vec<RangeJson> = c
        .ranges
        .iter()
        .map(|r| RangeJson {
            from: r.from,
            to: r.to,
        })
        .collect();
    vec![
        ("code", Bind::Text(c.code.trim().to_string())),
        ("name", Bind::Text(c.name.trim().to_string())),
        ("cost_group", Bind::Text(c.group.code().into())),
        ("position", Bind::Int(c.position)),
        ("ranges", Bind::Text(to_json(&ranges))),
    ]
}

// --- budget lines -------------------------------------------------------------------------

const LINE_COLUMNS: &str = "id, unit_id, cost_type_id, period, kind, amount, forecast_on, area";

#[derive(FromRow)]
struct LineRow {
    id: i64,
    unit_id: i64,
    cost_type_id: Option<i64>,
    period: String,
    kind: String,
    amount: i64,
    forecast_on: Option<String>,
    area: Option<String>,
}

fn line_from(r: LineRow) -> Result<BudgetLine> {
    Ok(BudgetLine {
        id: r.id,
        unit_id: r.unit_id,
        cost_type_id: r.cost_type_id,
        period: period(&r.period)?,
        kind: code("line kind", &r.kind, LineKind::parse)?,
        amount: Amount(r.amount),
        forecast_on: r.forecast_on,
        area: r.area,
    })
}

/// The lines of `units` in the years `from..=to` (any number of units: chunked).
async fn load_lines(
    conn: &mut sqlx::AnyConnection,
    units: &[Id],
    from: i32,
    to: i32,
) -> Result<Vec<BudgetLine>> {
    // The years are integers, not input text.
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM budget_lines WHERE unit_id IN (@IDS@) \
         AND year >= {from} AND year <= {to} ORDER BY unit_id, year, period, kind, id"
    );
    let units = crate::audit::distinct(units);
    rows_for::<LineRow>(conn, &sql, &units)
        .await?
        .into_iter()
        .map(line_from)
        .collect()
}

#[derive(FromRow)]
struct SummedRow {
    unit_id: i64,
    cost_type_id: Option<i64>,
    year: i64,
    kind: String,
    forecast_on: Option<String>,
    amount: i64,
}

/// The lines of `units` (all units: `None`) in the years `from..=to` summed per unit,
/// cost type, year, kind and forecast date, as lines of a year: what `economy::figures`
/// reads of them, exactly (it reads a line's year, never its month or area).
async fn load_summed_lines(
    conn: &mut sqlx::AnyConnection,
    units: &[Id],
    from: i32,
    to: i32,
) -> Result<Vec<BudgetLine>> {
    let sql = format!(
        "SELECT unit_id, cost_type_id, year, kind, forecast_on, \
         CAST(SUM(amount) AS BIGINT) AS amount FROM budget_lines \
         WHERE unit_id IN (@IDS@) AND year >= {from} AND year <= {to} \
         GROUP BY unit_id, cost_type_id, year, kind, forecast_on"
    );
    let units = crate::audit::distinct(units);
    rows_for::<SummedRow>(conn, &sql, &units)
        .await?
        .into_iter()
        .map(summed_line)
        .collect()
}

fn summed_line(r: SummedRow) -> Result<BudgetLine> {
    Ok(BudgetLine {
        id: 0,
        unit_id: r.unit_id,
        cost_type_id: r.cost_type_id,
        period: Period::Year(small("year", r.year)?),
        kind: code("line kind", &r.kind, LineKind::parse)?,
        amount: Amount(r.amount),
        forecast_on: r.forecast_on,
        area: None,
    })
}

/// The month lines of `units` in `year` summed per month and kind, net lines (no cost
/// type) apart from the others: (net, month, kind, sum).
async fn load_summed_months(
    conn: &mut sqlx::AnyConnection,
    units: &[Id],
    year: i32,
) -> Result<Vec<(bool, Period, LineKind, Amount)>> {
    let sql = format!(
        "SELECT CAST(CASE WHEN cost_type_id IS NULL THEN 1 ELSE 0 END AS BIGINT) AS net, period, kind, \
         CAST(SUM(amount) AS BIGINT) AS amount FROM budget_lines \
         WHERE unit_id IN (@IDS@) AND year = {year} AND kind <> 'prognos' \
         GROUP BY CASE WHEN cost_type_id IS NULL THEN 1 ELSE 0 END, period, kind"
    );
    let units = crate::audit::distinct(units);
    let mut out = Vec::new();
    for (net, p, kind, amount) in rows_for::<(i64, String, String, i64)>(conn, &sql, &units).await?
    {
        let p = period(&p)?;
        if matches!(p, Period::Month(..)) {
            out.push((
                net == 1,
                p,
                code("line kind", &kind, LineKind::parse)?,
                Amount(amount),
            ));
        }
    }
    Ok(out)
}

/// A line as stored: its texts trimmed, an empty area none.
fn line_stored(id: Id, l: &BudgetLine) -> BudgetLine {
    BudgetLine {
        id,
        forecast_on: trimmed(l.forecast_on.as_deref()),
        area: trimmed(l.area.as_deref()),
        ..l.clone()
    }
}

/// The leaf key a line is unique on (`budget_lines_leaf`): unit, cost type (0: none),
/// period, kind, forecast date and area ("": none).
type LeafKey<'a> = (Id, Id, Period, LineKind, &'a str, &'a str);

fn leaf_key(l: &BudgetLine) -> LeafKey<'_> {
    (
        l.unit_id,
        l.cost_type_id.unwrap_or(0),
        l.period,
        l.kind,
        l.forecast_on.as_deref().unwrap_or(""),
        l.area.as_deref().unwrap_or(""),
    )
}

/// The binds of one line's row: unit, cost type, year, period, kind, amount, forecast
/// date, area, origin.
const LINE_INSERT_COLUMNS: &str =
    "unit_id, cost_type_id, year, period, kind, amount, forecast_on, area, origin";
const LINE_INSERT_WIDTH: usize = 9;

fn line_binds(l: &BudgetLine, origin: &str, out: &mut Vec<Bind>) {
    out.push(Bind::Int(l.unit_id));
    out.push(Bind::OptInt(l.cost_type_id));
    out.push(Bind::Int(i64::from(l.period.year())));
    out.push(Bind::Text(l.period.to_string()));
    out.push(Bind::Text(l.kind.code().into()));
    out.push(Bind::Int(l.amount.0));
    out.push(Bind::OptText(l.forecast_on.clone()));
    out.push(Bind::OptText(l.area.clone()));
    out.push(Bind::Text(origin.to_string()));
}

/// Parameters per row of a bulk insert ([`bulk_binds`]).
const BULK_WIDTH: usize = 7;

/// The parameters of one row of a bulk insert: all of [`line_binds`] but the year and the
/// origin, which the statement holds as literals ([`bulk_rows`]).
fn bulk_binds(l: &BudgetLine, out: &mut Vec<Bind>) {
    out.push(Bind::Int(l.unit_id));
    out.push(Bind::OptInt(l.cost_type_id));
    out.push(Bind::Text(l.period.to_string()));
    out.push(Bind::Text(l.kind.code().into()));
    out.push(Bind::Int(l.amount.0));
    out.push(Bind::OptText(l.forecast_on.clone()));
    out.push(Bind::OptText(l.area.clone()));
}

/// `rows` rows of [`bulk_binds`] with the year and the quoted origin between them:
/// numbered on PostgreSQL, `?` on SQLite (see `sql::value_rows`).
fn bulk_rows(backend: Backend, rows: usize, year: i32, origin_literal: &str) -> String {
    let mut out = String::with_capacity(rows * 48);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        let p: Vec<String> = match backend {
            Backend::Postgres => (1..=BULK_WIDTH)
                .map(|k| format!("${}", r * BULK_WIDTH + k))
                .collect(),
            Backend::Sqlite => vec!["?".to_string(); BULK_WIDTH],
        };
        out.push_str(&format!(
            "({}, {}, {year}, {}, {}, {}, {}, {}, {origin_literal})",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6]
        ));
    }
    out
}

/// What a line looks like in the change log.
#[derive(Serialize)]
struct LoggedLine<'a> {
    #[serde(flatten)]
    line: &'a BudgetLine,
    origin: &'a str,
}

fn check_origin(origin: &str) -> Result<String> {
    let o = origin.trim();
    required(o, "origin")?;
    Ok(o.to_string())
}

// --- explanations, tolerances, settings, ledger units --------------------------------------

#[derive(FromRow)]
struct ExplanationRow {
    unit_id: i64,
    year: i64,
    cost_type_id: Option<i64>,
    text: String,
}

fn explanation_from(r: ExplanationRow) -> Result<Explanation> {
    Ok(Explanation {
        unit_id: r.unit_id,
        year: small("year", r.year)?,
        cost_type_id: r.cost_type_id,
        text: r.text,
    })
}

async fn load_explanations(
    conn: &mut sqlx::AnyConnection,
    units: &[Id],
    year: i32,
) -> Result<Vec<Explanation>> {
    let sql = format!(
        "SELECT unit_id, year, cost_type_id, text FROM budget_explanations \
         WHERE unit_id IN (@IDS@) AND year = {year} ORDER BY unit_id, cost_type_id, id"
    );
    let units = crate::audit::distinct(units);
    rows_for::<ExplanationRow>(conn, &sql, &units)
        .await?
        .into_iter()
        .map(explanation_from)
        .collect()
}

async fn load_tolerances(conn: &mut sqlx::AnyConnection) -> Result<BTreeMap<Id, Tolerance>> {
    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT unit_id, tolerance_kind, tolerance_value FROM budget_tolerances")
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|(unit, kind, value)| {
            let t = match kind.as_str() {
                "amount" => Tolerance::Amount(Amount(value)),
                "permille" => Tolerance::Permille(small("tolerance", value)?),
                other => return Err(corrupt("tolerance kind", other)),
            };
            Ok((unit, t))
        })
        .collect()
}

async fn load_settings(conn: &mut sqlx::AnyConnection) -> Result<EconomySettings> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT ledger_dimension, totals_policy, totals_tolerance FROM economy_settings WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some((dim, policy, tolerance)) = row else {
        return Ok(EconomySettings::default());
    };
    Ok(EconomySettings {
        ledger_dimension: small("ledger dimension", dim)?,
        totals_policy: code("totals policy", &policy, TotalsPolicy::parse)?,
        totals_tolerance: Amount(tolerance),
    })
}

async fn load_ledger_units(conn: &mut sqlx::AnyConnection) -> Result<Vec<LedgerUnit>> {
    let rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT object_code, unit_id, ledger_name FROM ledger_units ORDER BY object_code",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(object_code, unit_id, ledger_name)| LedgerUnit {
            object_code,
            unit_id,
            ledger_name,
        })
        .collect())
}

// --- investment nodes ---------------------------------------------------------------------

const NODE_COLUMNS: &str = "id, unit_id, year, kind, parent_id, code, name, position, budget, \
                            outcome, forecast, forecast_on, carry_over, areas, note";

#[derive(FromRow)]
struct NodeRow {
    id: i64,
    unit_id: i64,
    year: i64,
    kind: String,
    parent_id: Option<i64>,
    code: String,
    name: String,
    position: i64,
    budget: Option<i64>,
    outcome: Option<i64>,
    forecast: Option<i64>,
    forecast_on: Option<String>,
    carry_over: Option<i64>,
    areas: String,
    note: String,
}

fn node_from(r: NodeRow) -> Result<InvestmentNode> {
    Ok(InvestmentNode {
        id: r.id,
        unit_id: r.unit_id,
        year: small("year", r.year)?,
        kind: code("tree kind", &r.kind, TreeKind::parse)?,
        parent_id: r.parent_id,
        code: r.code,
        name: r.name,
        position: r.position,
        budget: amount(r.budget),
        outcome: amount(r.outcome),
        forecast: amount(r.forecast),
        forecast_on: r.forecast_on,
        carry_over: amount(r.carry_over),
        areas: from_json("areas", &r.areas)?,
        note: r.note,
    })
}

async fn load_nodes(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<InvestmentNode>> {
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM investment_nodes WHERE {cond} ORDER BY kind, position, id"
    );
    fetch_as::<NodeRow, _>(conn, &sql, binds, node_from).await
}

async fn load_node(conn: &mut sqlx::AnyConnection, id: Id) -> Result<InvestmentNode> {
    one(
        load_nodes(conn, "id = $1", &[Bind::Int(id)]).await?,
        ObjectKind::InvestmentNode,
        id,
    )
}

fn node_stored(id: Id, n: &InvestmentNode) -> InvestmentNode {
    InvestmentNode {
        id,
        code: n.code.trim().to_string(),
        name: n.name.trim().to_string(),
        forecast_on: trimmed(n.forecast_on.as_deref()),
        areas: n
            .areas
            .iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
        ..n.clone()
    }
}

fn node_columns(n: &InvestmentNode) -> Vec<(&'static str, Bind)> {
    vec![
        ("unit_id", Bind::Int(n.unit_id)),
        ("year", Bind::Int(i64::from(n.year))),
        ("kind", Bind::Text(n.kind.code().into())),
        ("parent_id", Bind::OptInt(n.parent_id)),
        ("code", Bind::Text(n.code.clone())),
        ("name", Bind::Text(n.name.clone())),
        ("position", Bind::Int(n.position)),
        ("budget", opt_amount(n.budget)),
        ("outcome", opt_amount(n.outcome)),
        ("forecast", opt_amount(n.forecast)),
        ("forecast_on", Bind::OptText(n.forecast_on.clone())),
        ("carry_over", opt_amount(n.carry_over)),
        ("areas", Bind::Text(to_json(&n.areas))),
        ("note", Bind::Text(n.note.clone())),
    ]
}

// --- carry-overs and equity ---------------------------------------------------------------

#[derive(FromRow)]
struct CarryOverRow {
    id: i64,
    unit_id: i64,
    year: i64,
    group_name: String,
    project: String,
    position: i64,
    budget: Option<i64>,
    outcome: Option<i64>,
    transfer: Option<i64>,
}

fn carry_over_from(r: CarryOverRow) -> Result<CarryOver> {
    Ok(CarryOver {
        id: r.id,
        unit_id: r.unit_id,
        year: small("year", r.year)?,
        group: r.group_name,
        project: r.project,
        position: r.position,
        budget: amount(r.budget),
        outcome: amount(r.outcome),
        transfer: amount(r.transfer),
    })
}

async fn load_carry_overs(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<CarryOver>> {
    let sql = format!(
        "SELECT id, unit_id, year, group_name, project, position, budget, outcome, transfer \
         FROM carry_overs WHERE {cond} ORDER BY position, id"
    );
    fetch_as::<CarryOverRow, _>(conn, &sql, binds, carry_over_from).await
}

async fn load_carry_over(conn: &mut sqlx::AnyConnection, id: Id) -> Result<CarryOver> {
    load_carry_overs(conn, "id = $1", &[Bind::Int(id)])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found(CARRY_OVER_LOG_TYPE, id))
}

fn carry_over_stored(id: Id, c: &CarryOver) -> CarryOver {
    CarryOver {
        id,
        group: c.group.trim().to_string(),
        project: c.project.trim().to_string(),
        ..c.clone()
    }
}

fn carry_over_columns(c: &CarryOver) -> Vec<(&'static str, Bind)> {
    vec![
        ("unit_id", Bind::Int(c.unit_id)),
        ("year", Bind::Int(i64::from(c.year))),
        ("group_name", Bind::Text(c.group.clone())),
        ("project", Bind::Text(c.project.clone())),
        ("position", Bind::Int(c.position)),
        ("budget", opt_amount(c.budget)),
        ("outcome", opt_amount(c.outcome)),
        ("transfer", opt_amount(c.transfer)),
    ]
}

#[derive(FromRow)]
struct EquityRow {
    unit_id: i64,
    year: i64,
    cap_permille: i64,
    opening: Option<i64>,
    withdrawal: i64,
    requested_carry_over: Option<i64>,
    reconciliation: String,
}

fn equity_from(r: EquityRow) -> Result<EquityYear> {
    Ok(EquityYear {
        unit_id: r.unit_id,
        year: small("year", r.year)?,
        cap_permille: small("cap", r.cap_permille)?,
        opening: amount(r.opening),
        withdrawal: Amount(r.withdrawal),
        requested_carry_over: amount(r.requested_carry_over),
        reconciliation: r.reconciliation,
    })
}

async fn load_equity(
    conn: &mut sqlx::AnyConnection,
    unit: Id,
    year: i32,
) -> Result<Option<EquityYear>> {
    Ok(fetch_as::<EquityRow, _>(
        conn,
        "SELECT unit_id, year, cap_permille, opening, withdrawal, requested_carry_over, \
         reconciliation FROM equity_years WHERE unit_id = $1 AND year = $2",
        &[Bind::Int(unit), Bind::Int(i64::from(year))],
        equity_from,
    )
    .await?
    .pop())
}

// --- grants -------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct GrantYearJson {
    year: i32,
    amount: Option<i64>,
    received_on: Option<String>,
    quoted: String,
    half_year: bool,
}

#[derive(FromRow)]
struct GrantRow {
    id: i64,
    code: String,
    name: String,
    direction: String,
    grantor: String,
    legal_basis: String,
    kind: String,
    formula: String,
    reporting_duty: String,
    unit_id: Option<i64>,
    allocate_by: Option<String>,
    rules: String,
    note: String,
    source: String,
    years: String,
}

fn grant_from(r: GrantRow) -> Result<Grant> {
    let years: Vec<GrantYearJson> = from_json("grant years", &r.years)?;
    Ok(Grant {
        id: r.id,
        code: r.code,
        name: r.name,
        direction: code("grant direction", &r.direction, Direction::parse)?,
        grantor: r.grantor,
        legal_basis: r.legal_basis,
        kind: code("grant kind", &r.kind, GrantKind::parse)?,
        formula: r.formula,
        reporting_duty: r.reporting_duty,
        unit_id: r.unit_id,
        allocate_by: r.allocate_by,
        rules: r.rules,
        note: r.note,
        source: r.source,
        years: years
            .into_iter()
            .map(|y| GrantYear {
                year: y.year,
                amount: amount(y.amount),
                received_on: y.received_on,
                quoted: y.quoted,
                half_year: y.half_year,
            })
            .collect(),
    })
}

async fn load_grants(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Grant>> {
    let sql = format!(
        "SELECT id, code, name, direction, grantor, legal_basis, kind, formula, reporting_duty, \
         unit_id, allocate_by, rules, note, source, years FROM grants WHERE {cond}"
    );
    let grants = fetch_as::<GrantRow, _>(conn, &sql, binds, grant_from).await?;
    Ok(grant::sorted(grants))
}

async fn load_grant(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Grant> {
    one(
        load_grants(conn, "id = $1", &[Bind::Int(id)]).await?,
        ObjectKind::Grant,
        id,
    )
}

fn grant_stored(id: Id, g: &Grant) -> Grant {
    let mut years = g.years.clone();
    years.sort_by_key(|y| y.year);
    for y in &mut years {
        y.quoted = y.quoted.trim().to_string();
        y.received_on = trimmed(y.received_on.as_deref());
    }
    Grant {
        id,
        code: g.code.trim().to_string(),
        name: g.name.trim().to_string(),
        grantor: g.grantor.trim().to_string(),
        legal_basis: g.legal_basis.trim().to_string(),
        formula: g.formula.trim().to_string(),
        source: g.source.trim().to_string(),
        allocate_by: trimmed(g.allocate_by.as_deref()),
        years,
        ..g.clone()
    }
}

fn grant_columns(g: &Grant) -> Vec<(&'static str, Bind)> {
    let years: Vec<GrantYearJson> = g
        .years
        .iter()
        .map(|y| GrantYearJson {
            year: y.year,
            amount: y.amount.map(|a| a.0),
            received_on: y.received_on.clone(),
            quoted: y.quoted.clone(),
            half_year: y.half_year,
        })
        .collect();
    vec![
        ("code", Bind::Text(g.code.clone())),
        ("name", Bind::Text(g.name.clone())),
        ("direction", Bind::Text(g.direction.code().into())),
        ("grantor", Bind::Text(g.grantor.clone())),
        ("legal_basis", Bind::Text(g.legal_basis.clone())),
        ("kind", Bind::Text(g.kind.code().into())),
        ("formula", Bind::Text(g.formula.clone())),
        ("reporting_duty", Bind::Text(g.reporting_duty.clone())),
        ("unit_id", Bind::OptInt(g.unit_id)),
        ("allocate_by", Bind::OptText(g.allocate_by.clone())),
        ("rules", Bind::Text(g.rules.clone())),
        ("note", Bind::Text(g.note.clone())),
        ("source", Bind::Text(g.source.clone())),
        ("years", Bind::Text(to_json(&years))),
    ]
}

#[derive(Serialize, Deserialize)]
struct FollowUpJson {
    date: String,
    status: String,
    text: String,
}

#[derive(FromRow)]
struct AllocationRow {
    id: i64,
    grant_id: i64,
    year: i64,
    decision_body: String,
    decision_date: Option<String>,
    paragraph: String,
    case_ref: String,
    purpose: String,
    amount: Option<i64>,
    share_permille: Option<i64>,
    unit_id: Option<i64>,
    area: Option<String>,
    obligation_id: Option<i64>,
    commitment_id: Option<i64>,
    situation_report_id: Option<i64>,
    recipient: String,
    follow_up: Option<String>,
}

fn allocation_from(r: AllocationRow) -> Result<Allocation> {
    let follow_up = match r.follow_up.as_deref() {
        Some(t) => {
            let f: FollowUpJson = from_json("follow-up", t)?;
            Some(UseFollowUp {
                date: f.date,
                status: code("use status", &f.status, UseStatus::parse)?,
                text: f.text,
            })
        }
        None => None,
    };
    Ok(Allocation {
        id: r.id,
        grant_id: r.grant_id,
        year: small("year", r.year)?,
        decision: DecisionRef {
            body: r.decision_body,
            date: r.decision_date,
            paragraph: r.paragraph,
            case_ref: r.case_ref,
        },
        purpose: r.purpose,
        amount: amount(r.amount),
        share: match r.share_permille {
            Some(p) => GrantShare::Known(small("share", p)?),
            None => GrantShare::Unknown,
        },
        unit_id: r.unit_id,
        area: r.area,
        obligation_id: r.obligation_id,
        commitment_id: r.commitment_id,
        situation_report_id: r.situation_report_id,
        recipient: r.recipient,
        follow_up,
    })
}

async fn load_allocations(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Allocation>> {
    let sql = format!(
        "SELECT id, grant_id, year, decision_body, decision_date, paragraph, case_ref, purpose, \
         amount, share_permille, unit_id, area, obligation_id, commitment_id, \
         situation_report_id, recipient, follow_up FROM grant_allocations WHERE {cond} \
         ORDER BY grant_id, year, position, id"
    );
    fetch_as::<AllocationRow, _>(conn, &sql, binds, allocation_from).await
}

async fn load_allocation(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Allocation> {
    load_allocations(conn, "id = $1", &[Bind::Int(id)])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found(ALLOCATION_LOG_TYPE, id))
}

fn allocation_stored(id: Id, a: &Allocation) -> Allocation {
    Allocation {
        id,
        decision: DecisionRef {
            body: a.decision.body.trim().to_string(),
            date: trimmed(a.decision.date.as_deref()),
            paragraph: a.decision.paragraph.trim().to_string(),
            case_ref: a.decision.case_ref.trim().to_string(),
        },
        area: trimmed(a.area.as_deref()),
        recipient: a.recipient.trim().to_string(),
        ..a.clone()
    }
}

fn allocation_columns(a: &Allocation) -> Vec<(&'static str, Bind)> {
    vec![
        ("grant_id", Bind::Int(a.grant_id)),
        ("year", Bind::Int(i64::from(a.year))),
        ("decision_body", Bind::Text(a.decision.body.clone())),
        ("decision_date", Bind::OptText(a.decision.date.clone())),
        ("paragraph", Bind::Text(a.decision.paragraph.clone())),
        ("case_ref", Bind::Text(a.decision.case_ref.clone())),
        ("purpose", Bind::Text(a.purpose.clone())),
        ("amount", opt_amount(a.amount)),
        (
            "share_permille",
            Bind::OptInt(match a.share {
                GrantShare::Known(p) => Some(i64::from(p)),
                GrantShare::Unknown => None,
            }),
        ),
        ("unit_id", Bind::OptInt(a.unit_id)),
        ("area", Bind::OptText(a.area.clone())),
        ("obligation_id", Bind::OptInt(a.obligation_id)),
        ("commitment_id", Bind::OptInt(a.commitment_id)),
        ("situation_report_id", Bind::OptInt(a.situation_report_id)),
        ("recipient", Bind::Text(a.recipient.clone())),
        (
            "follow_up",
            Bind::OptText(a.follow_up.as_ref().map(|f| {
                to_json(&FollowUpJson {
                    date: f.date.clone(),
                    status: f.status.code().into(),
                    text: f.text.clone(),
                })
            })),
        ),
    ]
}

#[derive(FromRow)]
struct SpendRow {
    id: i64,
    allocation_id: i64,
    period: String,
    amount: i64,
    booked_on: String,
    note: String,
}

fn spend_from(r: SpendRow) -> Result<Spend> {
    Ok(Spend {
        id: r.id,
        allocation_id: r.allocation_id,
        period: period(&r.period)?,
        amount: Amount(r.amount),
        booked_on: r.booked_on,
        note: r.note,
    })
}

async fn load_spend(
    conn: &mut sqlx::AnyConnection,
    cond: &str,
    binds: &[Bind],
) -> Result<Vec<Spend>> {
    let sql = format!(
        "SELECT s.id, s.allocation_id, s.period, s.amount, s.booked_on, s.note FROM grant_spend s \
         JOIN grant_allocations a ON a.id = s.allocation_id WHERE {cond} \
         ORDER BY s.allocation_id, s.year, s.period, s.id"
    );
    fetch_as::<SpendRow, _>(conn, &sql, binds, spend_from).await
}

fn spend_stored(id: Id, s: &Spend) -> Spend {
    Spend {
        id,
        booked_on: s.booked_on.trim().to_string(),
        ..s.clone()
    }
}

fn spend_columns(s: &Spend) -> Vec<(&'static str, Bind)> {
    vec![
        ("allocation_id", Bind::Int(s.allocation_id)),
        ("year", Bind::Int(i64::from(s.period.year()))),
        ("period", Bind::Text(s.period.to_string())),
        ("amount", Bind::Int(s.amount.0)),
        ("booked_on", Bind::Text(s.booked_on.clone())),
        ("note", Bind::Text(s.note.clone())),
    ]
}

/// The one object a load by id found; not found (its kind) if none.
fn one<T>(mut found: Vec<T>, kind: ObjectKind, id: Id) -> Result<T> {
    found
        .pop()
        .ok_or_else(|| StoreError::not_found(kind.log_type(), id))
}

/// The nearest ancestor-or-self of `unit` that is a board (styrelse or nämnd); the unit
/// itself when none is.
fn board_of(units: &HashMap<Id, &OrgUnit>, unit: Id) -> Id {
    let mut at = Some(unit);
    let mut steps = 0;
    while let Some(id) = at {
        let Some(u) = units.get(&id) else { break };
        if matches!(u.kind, OrgKind::Styrelse | OrgKind::Namnd) {
            return id;
        }
        at = u.parent_id;
        steps += 1;
        if steps > 64 {
            break;
        }
    }
    unit
}

// --- reads --------------------------------------------------------------------------------

impl Store {
    /// Every cost type, by group, position and name.
    pub async fn cost_types(&self) -> Result<Vec<CostType>> {
        let mut conn = self.pool.acquire().await?;
        load_cost_types(&mut conn).await
    }

    /// The budget lines of `units` whose period falls in `from_year..=to_year`.
    pub async fn budget_lines(
        &self,
        units: &[Id],
        from_year: i32,
        to_year: i32,
    ) -> Result<Vec<BudgetLine>> {
        let mut conn = self.pool.acquire().await?;
        load_lines(&mut conn, units, from_year, to_year).await
    }

    /// The explanations of `units` in `year`.
    pub async fn budget_explanations(&self, units: &[Id], year: i32) -> Result<Vec<Explanation>> {
        let mut conn = self.pool.acquire().await?;
        load_explanations(&mut conn, units, year).await
    }

    /// The units' own tolerances (units without one use `DEFAULT_TOLERANCE`).
    pub async fn budget_tolerances(&self) -> Result<BTreeMap<Id, Tolerance>> {
        let mut conn = self.pool.acquire().await?;
        load_tolerances(&mut conn).await
    }

    /// The economy settings (the defaults when never set).
    pub async fn economy_settings(&self) -> Result<EconomySettings> {
        let mut conn = self.pool.acquire().await?;
        load_settings(&mut conn).await
    }

    /// The ledger's responsibility objects mapped to units, by object code.
    pub async fn ledger_units(&self) -> Result<Vec<LedgerUnit>> {
        let mut conn = self.pool.acquire().await?;
        load_ledger_units(&mut conn).await
    }

    /// A board's investment nodes of a year, both kinds (by kind, position, id).
    pub async fn investment_nodes(&self, unit: Id, year: i32) -> Result<Vec<InvestmentNode>> {
        let mut conn = self.pool.acquire().await?;
        load_nodes(
            &mut conn,
            "unit_id = $1 AND year = $2",
            &[Bind::Int(unit), Bind::Int(i64::from(year))],
        )
        .await
    }

    /// One investment node; not found (`investment`) if none.
    pub async fn investment_node(&self, id: Id) -> Result<InvestmentNode> {
        let mut conn = self.pool.acquire().await?;
        load_node(&mut conn, id).await
    }

    /// A board's carry-overs of a year (by position).
    pub async fn carry_overs(&self, unit: Id, year: i32) -> Result<Vec<CarryOver>> {
        let mut conn = self.pool.acquire().await?;
        load_carry_overs(
            &mut conn,
            "unit_id = $1 AND year = $2",
            &[Bind::Int(unit), Bind::Int(i64::from(year))],
        )
        .await
    }

    /// A board's equity year, if recorded.
    pub async fn equity_year(&self, unit: Id, year: i32) -> Result<Option<EquityYear>> {
        let mut conn = self.pool.acquire().await?;
        load_equity(&mut conn, unit, year).await
    }

    /// Every grant (`grant::sorted`: received first, then by code).
    pub async fn grants(&self) -> Result<Vec<Grant>> {
        let mut conn = self.pool.acquire().await?;
        load_grants(&mut conn, "1 = 1", &[]).await
    }

    /// One grant; not found (`grant`) if none.
    pub async fn grant(&self, id: Id) -> Result<Grant> {
        let mut conn = self.pool.acquire().await?;
        load_grant(&mut conn, id).await
    }

    /// The allocations of a grant, or of every grant (by grant, year, position).
    pub async fn grant_allocations(&self, grant: Option<Id>) -> Result<Vec<Allocation>> {
        let mut conn = self.pool.acquire().await?;
        match grant {
            Some(g) => load_allocations(&mut conn, "grant_id = $1", &[Bind::Int(g)]).await,
            None => load_allocations(&mut conn, "1 = 1", &[]).await,
        }
    }

    /// The spend against a grant's allocations, or against every grant's.
    pub async fn grant_spend(&self, grant: Option<Id>) -> Result<Vec<Spend>> {
        let mut conn = self.pool.acquire().await?;
        match grant {
            Some(g) => load_spend(&mut conn, "a.grant_id = $1", &[Bind::Int(g)]).await,
            None => load_spend(&mut conn, "1 = 1", &[]).await,
        }
    }

    /// A board's economy in a year (`economy::board_economy`): the lines of its subtree for
    /// the year and the year before, explanations, its investment nodes, carry-overs and
    /// equity.
    pub async fn board_economy(&self, board: Id, year: i32) -> Result<BoardEconomy> {
        let mut conn = self.pool.acquire().await?;
        let units = load_org_units(&mut conn).await?;
        if !units.iter().any(|u| u.id == board) {
            return Err(StoreError::not_found(ObjectKind::OrgUnit.log_type(), board));
        }
        let sub: Vec<Id> = economy::subtree(&units, board)
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        let cost_types = load_cost_types(&mut conn).await?;
        // The statements and the equity rule read sums per unit, cost type, year, kind and
        // forecast date: summed in the database, so that a ledger's million monthly lines
        // stay there. The monthly chart is summed there too, below.
        let lines = load_summed_lines(&mut conn, &sub, year - 1, year).await?;
        let explanations = load_explanations(&mut conn, &sub, year).await?;
        let year_bind = [Bind::Int(board), Bind::Int(i64::from(year))];
        let nodes = load_nodes(&mut conn, "unit_id = $1 AND year = $2", &year_bind).await?;
        let carry_overs =
            load_carry_overs(&mut conn, "unit_id = $1 AND year = $2", &year_bind).await?;
        let equity_year = load_equity(&mut conn, board, year).await?;
        let mut e = economy::board_economy(
            board,
            year,
            EconomyInputs {
                units: &units,
                cost_types: &cost_types,
                lines: &lines,
                explanations: &explanations,
                nodes: &nodes,
                carry_overs: &carry_overs,
                equity_year,
            },
        );
        // `economy::monthly` over what `board_economy` gives it (the subtree's net lines
        // where it has any, else all), from the months summed per kind.
        let has_net = lines.iter().any(|l| l.cost_type_id.is_none());
        let months = load_summed_months(&mut conn, &sub, year).await?;
        let net: Vec<BudgetLine> = months
            .into_iter()
            .filter(|(is_net, ..)| *is_net || !has_net)
            .map(|(_, period, kind, amount)| BudgetLine {
                id: 0,
                unit_id: board,
                cost_type_id: None,
                period,
                kind,
                amount,
                forecast_on: None,
                area: None,
            })
            .collect();
        e.monthly = economy::monthly(&net, year);
        Ok(e)
    }

    /// A grant's page as of `today` (`grant::view`).
    pub async fn grant_view(&self, id: Id, today: &str) -> Result<GrantView> {
        let mut conn = self.pool.acquire().await?;
        let g = load_grant(&mut conn, id).await?;
        let allocations = load_allocations(&mut conn, "grant_id = $1", &[Bind::Int(id)]).await?;
        let spend = load_spend(&mut conn, "a.grant_id = $1", &[Bind::Int(id)]).await?;
        Ok(grant::view(g, &allocations, &spend, today))
    }

    /// The (board, year) pairs with any budget line, investment node, carry-over or equity
    /// row, the board being the nearest ancestor-or-self of kind styrelse or nämnd of the
    /// row's unit (the unit itself when it has none). Newest year first, then the board's
    /// position.
    pub async fn economy_years(&self) -> Result<Vec<(Id, i32)>> {
        let mut conn = self.pool.acquire().await?;
        let pairs: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT DISTINCT unit_id, year FROM budget_lines \
             UNION SELECT DISTINCT unit_id, year FROM investment_nodes \
             UNION SELECT DISTINCT unit_id, year FROM carry_overs \
             UNION SELECT DISTINCT unit_id, year FROM equity_years",
        )
        .fetch_all(&mut *conn)
        .await?;
        let units = load_org_units(&mut conn).await?;
        let by_id: HashMap<Id, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
        let mut out: BTreeSet<(Id, i32)> = BTreeSet::new();
        for (unit, year) in pairs {
            out.insert((board_of(&by_id, unit), small("year", year)?));
        }
        let position = |u: Id| by_id.get(&u).map_or(i64::MAX, |u| u.position);
        let mut out: Vec<(Id, i32)> = out.into_iter().collect();
        out.sort_by_key(|&(u, y)| (std::cmp::Reverse(y), position(u), u));
        Ok(out)
    }

    /// The grants that affect any of `units` (`grant::affects`: the grant's board or an
    /// allocation's unit).
    pub async fn grants_affecting(&self, units: &BTreeSet<Id>) -> Result<Vec<Grant>> {
        let mut conn = self.pool.acquire().await?;
        let grants = load_grants(&mut conn, "1 = 1", &[]).await?;
        let allocations = load_allocations(&mut conn, "1 = 1", &[]).await?;
        Ok(grants
            .into_iter()
            .filter(|g| grant::affects(g, &allocations, units))
            .collect())
    }
}

// --- deviation sources ----------------------------------------------------------------------

/// Budget deviations: a unit's (or a board's) outcome, or before it its latest forecast,
/// below budget by more than its tolerance (`economy::deviation_candidates`). The lines
/// are summed per unit, cost type, year, kind and forecast date in the database: that is
/// all the rule reads, and a ledger's million lines stay there.
pub struct BudgetSource;

struct BudgetDue {
    units: Vec<OrgUnit>,
    lines: Vec<BudgetLine>,
    tolerances: BTreeMap<Id, Tolerance>,
}

impl DeviationSource for BudgetSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        _today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let mut conn = store.pool.acquire().await?;
            let rows: Vec<SummedRow> = sqlx::query_as(
                "SELECT unit_id, cost_type_id, year, kind, forecast_on, \
                 CAST(SUM(amount) AS BIGINT) AS amount FROM budget_lines \
                 GROUP BY unit_id, cost_type_id, year, kind, forecast_on",
            )
            .fetch_all(&mut *conn)
            .await?;
            let lines = rows
                .into_iter()
                .map(summed_line)
                .collect::<Result<Vec<_>>>()?;
            let units = load_org_units(&mut conn).await?;
            let tolerances = load_tolerances(&mut conn).await?;
            Ok(Box::new(BudgetDue {
                units,
                lines,
                tolerances,
            }) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for BudgetDue {
    fn years(&self) -> Vec<i32> {
        let years: BTreeSet<i32> = self.lines.iter().map(|l| l.period.year()).collect();
        years.into_iter().collect()
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        economy::deviation_candidates(&self.units, &self.lines, &self.tolerances, year)
    }
}

/// Grant deviations: received money not allocated by the date set, allocations whose
/// grant share is unknown (`grant::deviation_candidates`).
pub struct GrantSource;

struct GrantsDue {
    grants: Vec<Grant>,
    allocations: Vec<Allocation>,
    spend: Vec<Spend>,
    today: String,
}

impl DeviationSource for GrantSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let mut conn = store.pool.acquire().await?;
            let grants = load_grants(&mut conn, "1 = 1", &[]).await?;
            let allocations = load_allocations(&mut conn, "1 = 1", &[]).await?;
            let spend = load_spend(&mut conn, "1 = 1", &[]).await?;
            Ok(Box::new(GrantsDue {
                grants,
                allocations,
                spend,
                today: today.to_string(),
            }) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for GrantsDue {
    fn years(&self) -> Vec<i32> {
        let mut years: BTreeSet<i32> = self
            .grants
            .iter()
            .flat_map(|g| g.years.iter().map(|y| y.year))
            .collect();
        years.extend(self.allocations.iter().map(|a| a.year));
        // The year of each date by which money must be allocated: its deviation is raised
        // in that year.
        years.extend(
            self.grants
                .iter()
                .filter_map(|g| g.allocate_by.as_deref()?.get(..4)?.parse::<i32>().ok()),
        );
        years.into_iter().collect()
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        grant::deviation_candidates(
            &self.grants,
            &self.allocations,
            &self.spend,
            year,
            &self.today,
        )
    }
}

// --- writes -------------------------------------------------------------------------------

impl Writer {
    /// Every cost type as this transaction sees it.
    pub async fn cost_types_in_tx(&mut self) -> Result<Vec<CostType>> {
        load_cost_types(&mut self.tx).await
    }

    /// The economy settings as this transaction sees them.
    pub async fn economy_settings_in_tx(&mut self) -> Result<EconomySettings> {
        load_settings(&mut self.tx).await
    }

    /// The ledger mapping as this transaction sees it.
    pub async fn ledger_units_in_tx(&mut self) -> Result<Vec<LedgerUnit>> {
        load_ledger_units(&mut self.tx).await
    }

    /// A board's investment nodes of a year as this transaction sees them.
    pub async fn investment_nodes_in_tx(
        &mut self,
        unit: Id,
        year: i32,
    ) -> Result<Vec<InvestmentNode>> {
        load_nodes(
            &mut self.tx,
            "unit_id = $1 AND year = $2",
            &[Bind::Int(unit), Bind::Int(i64::from(year))],
        )
        .await
    }

    /// Every grant as this transaction sees it.
    pub async fn grants_in_tx(&mut self) -> Result<Vec<Grant>> {
        load_grants(&mut self.tx, "1 = 1", &[]).await
    }

    /// A grant's allocations as this transaction sees them.
    pub async fn grant_allocations_in_tx(&mut self, grant: Id) -> Result<Vec<Allocation>> {
        load_allocations(&mut self.tx, "grant_id = $1", &[Bind::Int(grant)]).await
    }

    async fn ensure_unit(&mut self, unit: Id) -> Result<()> {
        self.ensure_exist("org_units", ObjectKind::OrgUnit.log_type(), &[unit])
            .await
    }

    // --- cost types -------------------------------------------------------------------

    /// Creates (`id` 0) or changes a cost type; returns its id. Unchanged is no change.
    pub async fn put_cost_type(&mut self, c: &CostType) -> Result<Id> {
        let others = load_cost_types(&mut self.tx).await?;
        let before = match c.id {
            0 => None,
            id => Some(
                others
                    .iter()
                    .find(|o| o.id == id)
                    .cloned()
                    .ok_or_else(|| StoreError::not_found(COST_TYPE_LOG_TYPE, id))?,
            ),
        };
        let after = cost_type_stored(c.id, c);
        validate_cost_type(&after, &others).map_err(refused)?;
        match before {
            None => {
                let id = self
                    .insert_columns("cost_types", cost_type_columns(&after))
                    .await?;
                let stored = cost_type_stored(id, &after);
                self.log(
                    "create",
                    COST_TYPE_LOG_TYPE,
                    Some(id),
                    None,
                    log_json(&stored),
                )
                .await?;
                Ok(id)
            }
            Some(before) => {
                if before == after {
                    return Ok(after.id);
                }
                self.update_columns("cost_types", after.id, cost_type_columns(&after))
                    .await?;
                self.log(
                    "update",
                    COST_TYPE_LOG_TYPE,
                    Some(after.id),
                    log_json(&before),
                    log_json(&after),
                )
                .await?;
                Ok(after.id)
            }
        }
    }

    // --- budget lines -----------------------------------------------------------------

    async fn line_by_id(&mut self, id: Id) -> Result<Option<(BudgetLine, String)>> {
        let found = fetch::<LineRowWithOrigin>(
            &mut self.tx,
            &format!("SELECT {LINE_COLUMNS}, origin FROM budget_lines WHERE id = $1"),
            &[Bind::Int(id)],
        )
        .await?
        .pop();
        found.map(LineRowWithOrigin::split).transpose()
    }

    async fn line_by_leaf(&mut self, l: &BudgetLine) -> Result<Option<(BudgetLine, String)>> {
        let (unit, ct, period, kind, on, area) = leaf_key(l);
        let (period, kind, on, area) = (
            period.to_string(),
            kind.code(),
            on.to_string(),
            area.to_string(),
        );
        let found = fetch::<LineRowWithOrigin>(
            &mut self.tx,
            &format!(
                "SELECT {LINE_COLUMNS}, origin FROM budget_lines WHERE unit_id = $1 \
                 AND COALESCE(cost_type_id, 0) = $2 AND period = $3 AND kind = $4 \
                 AND COALESCE(forecast_on, '') = $5 AND COALESCE(area, '') = $6"
            ),
            &[
                Bind::Int(unit),
                Bind::Int(ct),
                Bind::Text(period),
                Bind::Text(kind.into()),
                Bind::Text(on),
                Bind::Text(area),
            ],
        )
        .await?
        .pop();
        found.map(LineRowWithOrigin::split).transpose()
    }

    /// Checks a line's unit and cost type exist and its unit's period is not locked.
    async fn check_line(&mut self, l: &BudgetLine) -> Result<()> {
        validate_line(l).map_err(refused)?;
        self.ensure_unit(l.unit_id).await?;
        if let Some(ct) = l.cost_type_id {
            self.ensure_exist("cost_types", COST_TYPE_LOG_TYPE, &[ct])
                .await?;
        }
        self.ensure_unlocked(l.unit_id, l.period).await
    }

    /// Writes a budget line, upserting on its leaf key (unit, cost type, period, kind,
    /// forecast date, area): a line with `id` 0 replaces the amount of the line at its key
    /// if there is one; a line with an id changes that line. Refused when a decision
    /// locked the line's period for its unit (the stored line's too, when it moves).
    /// Logged under the unit. Returns the line's id.
    pub async fn put_budget_line(&mut self, line: &BudgetLine, origin: &str) -> Result<Id> {
        let origin = check_origin(origin)?;
        let after = line_stored(line.id, line);
        self.check_line(&after).await?;
        let at_key = self.line_by_leaf(&after).await?;
        let before = match after.id {
            0 => at_key,
            id => {
                let before = self
                    .line_by_id(id)
                    .await?
                    .ok_or_else(|| StoreError::not_found(BUDGET_LINE_LOG_TYPE, id))?;
                if let Some((other, _)) = at_key.filter(|(o, _)| o.id != id) {
                    return Err(refused(EconomyRefusal::Duplicate(format!(
                        "{} {}",
                        other.kind.label_sv(),
                        other.period
                    ))));
                }
                self.ensure_unlocked(before.0.unit_id, before.0.period)
                    .await?;
                Some(before)
            }
        };
        let mut binds = Vec::with_capacity(LINE_INSERT_WIDTH);
        line_binds(&after, &origin, &mut binds);
        match before {
            None => {
                let sql = format!(
                    "INSERT INTO budget_lines ({LINE_INSERT_COLUMNS}) VALUES ({})",
                    crate::sql::placeholders(1, LINE_INSERT_WIDTH)
                );
                let id = self.insert_returning_id(&sql, binds).await?;
                let stored = line_stored(id, &after);
                self.log(
                    "create",
                    BUDGET_LINE_LOG_TYPE,
                    Some(stored.unit_id),
                    None,
                    log_json(&LoggedLine {
                        line: &stored,
                        origin: &origin,
                    }),
                )
                .await?;
                Ok(id)
            }
            Some((before, before_origin)) => {
                let stored = line_stored(before.id, &after);
                if stored == before && before_origin == origin {
                    return Ok(before.id);
                }
                let set: Vec<String> = LINE_INSERT_COLUMNS
                    .split(", ")
                    .enumerate()
                    .map(|(i, c)| format!("{c} = ${}", i + 1))
                    .collect();
                binds.push(Bind::Int(before.id));
                self.execute(
                    &format!(
                        "UPDATE budget_lines SET {} WHERE id = ${}",
                        set.join(", "),
                        LINE_INSERT_WIDTH + 1
                    ),
                    binds,
                )
                .await?;
                if before.unit_id != stored.unit_id {
                    // Moved to another unit: the old unit's history says where it went.
                    self.log(
                        "delete",
                        BUDGET_LINE_LOG_TYPE,
                        Some(before.unit_id),
                        log_json(&LoggedLine {
                            line: &before,
                            origin: &before_origin,
                        }),
                        None,
                    )
                    .await?;
                }
                self.log(
                    "update",
                    BUDGET_LINE_LOG_TYPE,
                    Some(stored.unit_id),
                    log_json(&LoggedLine {
                        line: &before,
                        origin: &before_origin,
                    }),
                    log_json(&LoggedLine {
                        line: &stored,
                        origin: &origin,
                    }),
                )
                .await?;
                Ok(before.id)
            }
        }
    }

    /// Deletes a budget line (refused when its period is locked for its unit).
    pub async fn delete_budget_line(&mut self, id: Id) -> Result<()> {
        let (before, origin) = self
            .line_by_id(id)
            .await?
            .ok_or_else(|| StoreError::not_found(BUDGET_LINE_LOG_TYPE, id))?;
        self.ensure_unlocked(before.unit_id, before.period).await?;
        self.execute(
            "DELETE FROM budget_lines WHERE id = $1",
            vec![Bind::Int(id)],
        )
        .await?;
        self.log(
            "delete",
            BUDGET_LINE_LOG_TYPE,
            Some(before.unit_id),
            log_json(&LoggedLine {
                line: &before,
                origin: &origin,
            }),
            None,
        )
        .await
    }

    /// Replaces the lines of `origin` for `units` in `year` with `lines` (a ledger or file
    /// import), in this transaction: every line must be of one of `units` and of `year`
    /// and valid, no two on the same leaf key, every unit and cost type must exist, and no
    /// period touched (the old lines' and the new) may be locked for its unit; otherwise
    /// nothing is written. A line on the key of a line of another origin takes it over
    /// (the change log keeps what it replaced). Inserted in multi-row statements under the
    /// backends' parameter limits; one `budget_import` entry per unit (lines per kind,
    /// lines removed, lines taken over). Returns the number of lines written.
    pub async fn replace_budget_lines(
        &mut self,
        origin: &str,
        units: &[Id],
        year: i32,
        lines: &[BudgetLine],
    ) -> Result<usize> {
        let origin = check_origin(origin)?;
        let units = crate::audit::distinct(units);
        let unit_set: HashSet<Id> = units.iter().copied().collect();
        // Validate everything before writing anything.
        let mut keys: HashSet<LeafKey> = HashSet::with_capacity(lines.len());
        let mut cost_types: BTreeSet<Id> = BTreeSet::new();
        let mut touched: BTreeSet<(Id, Period)> = BTreeSet::new();
        let stored: Vec<BudgetLine> = lines.iter().map(|l| line_stored(0, l)).collect();
        for l in &stored {
            if !unit_set.contains(&l.unit_id) || l.period.year() != year {
                return Err(refused(EconomyRefusal::OutsideImport(
                    l.unit_id,
                    l.period.to_string(),
                )));
            }
            validate_line(l).map_err(refused)?;
            if !keys.insert(leaf_key(l)) {
                return Err(refused(EconomyRefusal::Duplicate(format!(
                    "{} {}",
                    l.kind.label_sv(),
                    l.period
                ))));
            }
            if let Some(ct) = l.cost_type_id {
                cost_types.insert(ct);
            }
            touched.insert((l.unit_id, l.period));
        }
        self.ensure_exist("org_units", ObjectKind::OrgUnit.log_type(), &units)
            .await?;
        let cts: Vec<Id> = cost_types.into_iter().collect();
        self.ensure_exist("cost_types", COST_TYPE_LOG_TYPE, &cts)
            .await?;
        // The periods the old lines of this origin hold.
        let sql = format!(
            "SELECT DISTINCT unit_id, period FROM budget_lines WHERE unit_id IN (@IDS@) \
             AND year = {year} AND origin = '{}'",
            origin.replace('\'', "''")
        );
        for (unit, p) in rows_for::<(i64, String)>(&mut self.tx, &sql, &units).await? {
            touched.insert((unit, period(&p)?));
        }
        for (unit, p) in &touched {
            self.ensure_unlocked(*unit, *p).await?;
        }
        for unit in &units {
            self.ensure_unlocked(*unit, Period::Year(year)).await?;
        }

        // Lines of other origins on the new lines' keys are taken over: remember them.
        let sql = format!(
            "SELECT {LINE_COLUMNS}, origin FROM budget_lines WHERE unit_id IN (@IDS@) \
             AND year = {year} AND origin <> '{}'",
            origin.replace('\'', "''")
        );
        let mut taken: BTreeMap<Id, Vec<serde_json::Value>> = BTreeMap::new();
        for row in rows_for::<LineRowWithOrigin>(&mut self.tx, &sql, &units).await? {
            let (line, line_origin) = row.split()?;
            if keys.contains(&leaf_key(&line)) {
                taken
                    .entry(line.unit_id)
                    .or_default()
                    .extend(log_json(&LoggedLine {
                        line: &line,
                        origin: &line_origin,
                    }));
            }
        }

        let mut removed: BTreeMap<Id, u64> = BTreeMap::new();
        for unit in &units {
            let n = self
                .execute(
                    "DELETE FROM budget_lines WHERE unit_id = $1 AND year = $2 AND origin = $3",
                    vec![
                        Bind::Int(*unit),
                        Bind::Int(i64::from(year)),
                        Bind::Text(origin.clone()),
                    ],
                )
                .await?;
            removed.insert(*unit, n);
        }

        // Seven parameters a row; the year and the origin, the same for every row, are
        // literals (the year an integer, the origin quoted).
        let max_binds = match self.backend {
            Backend::Sqlite => SQLITE_MAX_BINDS,
            Backend::Postgres => POSTGRES_MAX_BINDS,
        };
        let per_statement = max_binds / BULK_WIDTH;
        let backend = self.backend;
        let literal = format!("'{}'", origin.replace('\'', "''"));
        let statement = |rows: usize| {
            format!(
                "INSERT INTO budget_lines ({LINE_INSERT_COLUMNS}) VALUES {} \
                 ON CONFLICT (unit_id, COALESCE(cost_type_id, 0), period, kind, \
                 COALESCE(forecast_on, ''), COALESCE(area, '')) \
                 DO UPDATE SET amount = excluded.amount, year = excluded.year, \
                 origin = excluded.origin",
                bulk_rows(backend, rows, year, &literal)
            )
        };
        let full = (stored.len() >= per_statement).then(|| statement(per_statement));
        for chunk in stored.chunks(per_statement) {
            let sql = match &full {
                Some(full) if chunk.len() == per_statement => full.clone(),
                _ => statement(chunk.len()),
            };
            let mut binds = Vec::with_capacity(chunk.len() * BULK_WIDTH);
            for l in chunk {
                bulk_binds(l, &mut binds);
            }
            self.execute(&sql, binds).await?;
        }

        // One entry per unit: what it got, per kind.
        let mut per_unit: BTreeMap<Id, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for l in &stored {
            *per_unit
                .entry(l.unit_id)
                .or_default()
                .entry(l.kind.code())
                .or_default() += 1;
        }
        for unit in &units {
            let kinds = per_unit.remove(unit).unwrap_or_default();
            let removed = removed.get(unit).copied().unwrap_or(0);
            let taken = taken.remove(unit).unwrap_or_default();
            if kinds.is_empty() && removed == 0 {
                continue;
            }
            let after = serde_json::json!({
                "origin": origin,
                "year": year,
                "lines": kinds.values().sum::<usize>(),
                "kinds": kinds,
                "removed": removed,
                "taken_over": taken,
            });
            self.log(
                "import",
                BUDGET_IMPORT_LOG_TYPE,
                Some(*unit),
                None,
                Some(after),
            )
            .await?;
        }
        Ok(stored.len())
    }

    // --- explanations, tolerances, settings, ledger units ------------------------------

    /// Sets the explanation of a unit's deviation in a year (per cost type, or the
    /// unit's); an empty text deletes it. Refused when the year is locked for the unit.
    pub async fn put_explanation(&mut self, e: &Explanation) -> Result<()> {
        validate_explanation(e).map_err(refused)?;
        self.ensure_unit(e.unit_id).await?;
        if let Some(ct) = e.cost_type_id {
            self.ensure_exist("cost_types", COST_TYPE_LOG_TYPE, &[ct])
                .await?;
        }
        self.ensure_unlocked(e.unit_id, Period::Year(e.year))
            .await?;
        let key = [
            Bind::Int(e.unit_id),
            Bind::Int(i64::from(e.year)),
            Bind::Int(e.cost_type_id.unwrap_or(0)),
        ];
        let before = fetch_as::<ExplanationRow, _>(
            &mut self.tx,
            "SELECT unit_id, year, cost_type_id, text FROM budget_explanations \
             WHERE unit_id = $1 AND year = $2 AND COALESCE(cost_type_id, 0) = $3",
            &key,
            explanation_from,
        )
        .await?
        .pop();
        let text = e.text.trim();
        let after = (!text.is_empty()).then(|| Explanation {
            text: text.to_string(),
            ..e.clone()
        });
        if before == after {
            return Ok(());
        }
        self.execute(
            "DELETE FROM budget_explanations WHERE unit_id = $1 AND year = $2 \
             AND COALESCE(cost_type_id, 0) = $3",
            key.to_vec(),
        )
        .await?;
        if let Some(a) = &after {
            self.execute(
                "INSERT INTO budget_explanations (unit_id, year, cost_type_id, text) \
                 VALUES ($1, $2, $3, $4)",
                vec![
                    Bind::Int(a.unit_id),
                    Bind::Int(i64::from(a.year)),
                    Bind::OptInt(a.cost_type_id),
                    Bind::Text(a.text.clone()),
                ],
            )
            .await?;
        }
        let action = match (&before, &after) {
            (None, _) => "create",
            (_, None) => "delete",
            _ => "update",
        };
        self.log(
            action,
            EXPLANATION_LOG_TYPE,
            Some(e.unit_id),
            log_json(&before),
            log_json(&after),
        )
        .await
    }

    /// Sets a unit's tolerance for budget deviations; `None`: the default.
    pub async fn put_tolerance(&mut self, unit: Id, tolerance: Option<Tolerance>) -> Result<()> {
        if let Some(t) = tolerance {
            t.validate().map_err(refused)?;
        }
        self.ensure_unit(unit).await?;
        let before = load_tolerances(&mut self.tx).await?.get(&unit).copied();
        if before == tolerance {
            return Ok(());
        }
        self.execute(
            "DELETE FROM budget_tolerances WHERE unit_id = $1",
            vec![Bind::Int(unit)],
        )
        .await?;
        if let Some(t) = tolerance {
            let (kind, value) = match t {
                Tolerance::Amount(a) => ("amount", a.0),
                Tolerance::Permille(p) => ("permille", i64::from(p)),
            };
            self.execute(
                "INSERT INTO budget_tolerances (unit_id, tolerance_kind, tolerance_value) \
                 VALUES ($1, $2, $3)",
                vec![Bind::Int(unit), Bind::Text(kind.into()), Bind::Int(value)],
            )
            .await?;
        }
        self.log(
            "set",
            TOLERANCE_LOG_TYPE,
            Some(unit),
            log_json(&before),
            log_json(&tolerance),
        )
        .await
    }

    /// Sets the economy settings; unchanged is no change.
    pub async fn put_economy_settings(&mut self, s: &EconomySettings) -> Result<()> {
        if s.totals_tolerance.0 < 0 {
            return Err(refused(EconomyRefusal::BadTolerance));
        }
        if s.totals_tolerance.0.abs() > economy::MAX_KRONOR * 100 {
            return Err(refused(EconomyRefusal::BadAmount(
                s.totals_tolerance.format_mnkr(),
            )));
        }
        let before = load_settings(&mut self.tx).await?;
        if before == *s {
            return Ok(());
        }
        self.execute("DELETE FROM economy_settings", vec![]).await?;
        self.execute(
            "INSERT INTO economy_settings (id, ledger_dimension, totals_policy, totals_tolerance) \
             VALUES (1, $1, $2, $3)",
            vec![
                Bind::Int(i64::from(s.ledger_dimension)),
                Bind::Text(s.totals_policy.code().into()),
                Bind::Int(s.totals_tolerance.0),
            ],
        )
        .await?;
        self.log(
            "set",
            ECONOMY_SETTINGS_LOG_TYPE,
            None,
            log_json(&before),
            log_json(s),
        )
        .await
    }

    /// Maps a ledger object to a unit (replacing its mapping, if any). Logged under the
    /// unit.
    pub async fn put_ledger_unit(&mut self, l: &LedgerUnit) -> Result<()> {
        required(&l.object_code, "code")?;
        short(&l.ledger_name, "name")?;
        self.ensure_unit(l.unit_id).await?;
        let after = LedgerUnit {
            object_code: l.object_code.trim().to_string(),
            unit_id: l.unit_id,
            ledger_name: l.ledger_name.trim().to_string(),
        };
        let before = load_ledger_units(&mut self.tx)
            .await?
            .into_iter()
            .find(|x| x.object_code == after.object_code);
        if before.as_ref() == Some(&after) {
            return Ok(());
        }
        self.execute(
            "DELETE FROM ledger_units WHERE object_code = $1",
            vec![Bind::Text(after.object_code.clone())],
        )
        .await?;
        self.execute(
            "INSERT INTO ledger_units (object_code, unit_id, ledger_name) VALUES ($1, $2, $3)",
            vec![
                Bind::Text(after.object_code.clone()),
                Bind::Int(after.unit_id),
                Bind::Text(after.ledger_name.clone()),
            ],
        )
        .await?;
        if let Some(b) = before.as_ref().filter(|b| b.unit_id != after.unit_id) {
            self.log(
                "delete",
                LEDGER_UNIT_LOG_TYPE,
                Some(b.unit_id),
                log_json(b),
                None,
            )
            .await?;
        }
        self.log(
            if before.is_some() { "update" } else { "create" },
            LEDGER_UNIT_LOG_TYPE,
            Some(after.unit_id),
            log_json(&before),
            log_json(&after),
        )
        .await
    }

    /// Removes a ledger object's mapping; not found (`ledger_unit`) if none.
    pub async fn delete_ledger_unit(&mut self, object_code: &str) -> Result<()> {
        let code = object_code.trim();
        let before = load_ledger_units(&mut self.tx)
            .await?
            .into_iter()
            .find(|x| x.object_code == code)
            .ok_or_else(|| StoreError::not_found(LEDGER_UNIT_LOG_TYPE, code))?;
        self.execute(
            "DELETE FROM ledger_units WHERE object_code = $1",
            vec![Bind::Text(code.to_string())],
        )
        .await?;
        self.log(
            "delete",
            LEDGER_UNIT_LOG_TYPE,
            Some(before.unit_id),
            log_json(&before),
            None,
        )
        .await
    }

    // --- investment nodes ---------------------------------------------------------------

    /// Creates (`id` 0) or changes an investment node; returns its id. Checked with
    /// `economy::validate_node` against its tree (the nodes of its unit, year and kind,
    /// and its own descendants): no cycle, no value typed where the children carry it.
    /// Its parent must be in that tree. Refused when the year is locked for the unit (the
    /// stored node's too). A node moved to another unit, year or kind takes its
    /// descendants along.
    pub async fn put_investment_node(&mut self, n: &InvestmentNode) -> Result<Id> {
        let after = node_stored(n.id, n);
        self.ensure_unit(after.unit_id).await?;
        let before = match after.id {
            0 => None,
            id => Some(load_node(&mut self.tx, id).await?),
        };
        let mut tree = load_nodes(
            &mut self.tx,
            "unit_id = $1 AND year = $2 AND kind = $3",
            &[
                Bind::Int(after.unit_id),
                Bind::Int(i64::from(after.year)),
                Bind::Text(after.kind.code().into()),
            ],
        )
        .await?;
        let mut moved: Vec<Id> = Vec::new();
        if let Some(b) = &before {
            if (b.unit_id, b.year, b.kind) != (after.unit_id, after.year, after.kind) {
                let old = load_nodes(
                    &mut self.tx,
                    "unit_id = $1 AND year = $2 AND kind = $3",
                    &[
                        Bind::Int(b.unit_id),
                        Bind::Int(i64::from(b.year)),
                        Bind::Text(b.kind.code().into()),
                    ],
                )
                .await?;
                moved = descendants(&old, b.id);
                tree.extend(old.into_iter().filter(|x| moved.contains(&x.id)));
            }
        }
        if let Some(p) = after.parent_id {
            if !tree.iter().any(|x| x.id == p && !moved.contains(&x.id)) && p != after.id {
                return Err(StoreError::not_found(
                    ObjectKind::InvestmentNode.log_type(),
                    p,
                ));
            }
        }
        validate_node(&after, &tree).map_err(refused)?;
        self.ensure_unlocked(after.unit_id, Period::Year(after.year))
            .await?;
        match before {
            None => {
                let id = self
                    .insert_columns("investment_nodes", node_columns(&after))
                    .await?;
                let stored = node_stored(id, &after);
                self.log(
                    "create",
                    ObjectKind::InvestmentNode.log_type(),
                    Some(id),
                    None,
                    log_json(&stored),
                )
                .await?;
                Ok(id)
            }
            Some(before) => {
                if before == after {
                    return Ok(after.id);
                }
                self.ensure_unlocked(before.unit_id, Period::Year(before.year))
                    .await?;
                self.update_columns("investment_nodes", after.id, node_columns(&after))
                    .await?;
                if !moved.is_empty() {
                    let sql = format!(
                        "UPDATE investment_nodes SET unit_id = {}, year = {}, kind = '{}' \
                         WHERE id IN (@IDS@)",
                        after.unit_id,
                        after.year,
                        after.kind.code()
                    );
                    for chunk in moved.chunks(500) {
                        let sql = sql.replace("@IDS@", &crate::sql::placeholders(1, chunk.len()));
                        self.execute(&sql, chunk.iter().map(|id| Bind::Int(*id)).collect())
                            .await?;
                    }
                }
                self.log(
                    "update",
                    ObjectKind::InvestmentNode.log_type(),
                    Some(after.id),
                    log_json(&before),
                    log_json(&after),
                )
                .await?;
                Ok(after.id)
            }
        }
    }

    /// Deletes an investment node with its descendants (refused when the year is locked
    /// for the unit).
    pub async fn delete_investment_node(&mut self, id: Id) -> Result<()> {
        let before = load_node(&mut self.tx, id).await?;
        self.ensure_unlocked(before.unit_id, Period::Year(before.year))
            .await?;
        let tree = load_nodes(
            &mut self.tx,
            "unit_id = $1 AND year = $2 AND kind = $3",
            &[
                Bind::Int(before.unit_id),
                Bind::Int(i64::from(before.year)),
                Bind::Text(before.kind.code().into()),
            ],
        )
        .await?;
        let below = descendants(&tree, id);
        // Children first (the foreign key cascades too, but each removal is logged).
        for child in below.iter().rev() {
            let node = tree.iter().find(|x| x.id == *child).cloned();
            self.execute(
                "DELETE FROM investment_nodes WHERE id = $1",
                vec![Bind::Int(*child)],
            )
            .await?;
            self.log(
                "delete",
                ObjectKind::InvestmentNode.log_type(),
                Some(*child),
                log_json(&node),
                None,
            )
            .await?;
        }
        self.execute(
            "DELETE FROM investment_nodes WHERE id = $1",
            vec![Bind::Int(id)],
        )
        .await?;
        self.log(
            "delete",
            ObjectKind::InvestmentNode.log_type(),
            Some(id),
            log_json(&before),
            None,
        )
        .await
    }

    // --- carry-overs and equity -----------------------------------------------------------

    /// Creates (`id` 0) or changes a carry-over; returns its id. Refused when the year is
    /// locked for the unit (the stored row's too). Logged under the unit.
    pub async fn put_carry_over(&mut self, c: &CarryOver) -> Result<Id> {
        let after = carry_over_stored(c.id, c);
        validate_carry_over(&after).map_err(refused)?;
        self.ensure_unit(after.unit_id).await?;
        self.ensure_unlocked(after.unit_id, Period::Year(after.year))
            .await?;
        match after.id {
            0 => {
                let id = self
                    .insert_columns("carry_overs", carry_over_columns(&after))
                    .await?;
                let stored = carry_over_stored(id, &after);
                self.log(
                    "create",
                    CARRY_OVER_LOG_TYPE,
                    Some(stored.unit_id),
                    None,
                    log_json(&stored),
                )
                .await?;
                Ok(id)
            }
            id => {
                let before = load_carry_over(&mut self.tx, id).await?;
                if before == after {
                    return Ok(id);
                }
                self.ensure_unlocked(before.unit_id, Period::Year(before.year))
                    .await?;
                self.update_columns("carry_overs", id, carry_over_columns(&after))
                    .await?;
                if before.unit_id != after.unit_id {
                    self.log(
                        "delete",
                        CARRY_OVER_LOG_TYPE,
                        Some(before.unit_id),
                        log_json(&before),
                        None,
                    )
                    .await?;
                }
                self.log(
                    "update",
                    CARRY_OVER_LOG_TYPE,
                    Some(after.unit_id),
                    log_json(&before),
                    log_json(&after),
                )
                .await?;
                Ok(id)
            }
        }
    }

    /// Deletes a carry-over (refused when its year is locked for its unit).
    pub async fn delete_carry_over(&mut self, id: Id) -> Result<()> {
        let before = load_carry_over(&mut self.tx, id).await?;
        self.ensure_unlocked(before.unit_id, Period::Year(before.year))
            .await?;
        self.execute("DELETE FROM carry_overs WHERE id = $1", vec![Bind::Int(id)])
            .await?;
        self.log(
            "delete",
            CARRY_OVER_LOG_TYPE,
            Some(before.unit_id),
            log_json(&before),
            None,
        )
        .await
    }

    /// Sets a board's equity year (refused when the year is locked for the unit).
    pub async fn put_equity_year(&mut self, e: &EquityYear) -> Result<()> {
        validate_equity(e).map_err(refused)?;
        self.ensure_unit(e.unit_id).await?;
        self.ensure_unlocked(e.unit_id, Period::Year(e.year))
            .await?;
        let after = EquityYear {
            reconciliation: e.reconciliation.trim().to_string(),
            ..e.clone()
        };
        let before = load_equity(&mut self.tx, e.unit_id, e.year).await?;
        if before.as_ref() == Some(&after) {
            return Ok(());
        }
        self.execute(
            "DELETE FROM equity_years WHERE unit_id = $1 AND year = $2",
            vec![Bind::Int(e.unit_id), Bind::Int(i64::from(e.year))],
        )
        .await?;
        self.execute(
            "INSERT INTO equity_years (unit_id, year, cap_permille, opening, withdrawal, \
             requested_carry_over, reconciliation) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Bind::Int(after.unit_id),
                Bind::Int(i64::from(after.year)),
                Bind::Int(i64::from(after.cap_permille)),
                opt_amount(after.opening),
                Bind::Int(after.withdrawal.0),
                opt_amount(after.requested_carry_over),
                Bind::Text(after.reconciliation.clone()),
            ],
        )
        .await?;
        self.log(
            if before.is_some() { "update" } else { "create" },
            EQUITY_LOG_TYPE,
            Some(after.unit_id),
            log_json(&before),
            log_json(&after),
        )
        .await
    }

    // --- grants -----------------------------------------------------------------------

    /// Creates (`id` 0) or changes a grant; returns its id. Unchanged is no change.
    pub async fn put_grant(&mut self, g: &Grant) -> Result<Id> {
        let after = grant_stored(g.id, g);
        let others = load_grants(&mut self.tx, "1 = 1", &[]).await?;
        validate_grant(&after, &others).map_err(refused)?;
        if let Some(unit) = after.unit_id {
            self.ensure_unit(unit).await?;
        }
        let kind = ObjectKind::Grant.log_type();
        match after.id {
            0 => {
                let id = self.insert_columns("grants", grant_columns(&after)).await?;
                let stored = grant_stored(id, &after);
                self.log("create", kind, Some(id), None, log_json(&stored))
                    .await?;
                Ok(id)
            }
            id => {
                let before = others
                    .into_iter()
                    .find(|o| o.id == id)
                    .ok_or_else(|| StoreError::not_found(kind, id))?;
                if before == after {
                    return Ok(id);
                }
                self.update_columns("grants", id, grant_columns(&after))
                    .await?;
                self.log(
                    "update",
                    kind,
                    Some(id),
                    log_json(&before),
                    log_json(&after),
                )
                .await?;
                Ok(id)
            }
        }
    }

    /// Checks what an allocation refers to exists.
    async fn check_allocation_refs(&mut self, a: &Allocation) -> Result<()> {
        self.ensure_exist("grants", ObjectKind::Grant.log_type(), &[a.grant_id])
            .await?;
        if let Some(u) = a.unit_id {
            self.ensure_unit(u).await?;
        }
        if let Some(o) = a.obligation_id {
            self.ensure_exist("obligations", ObjectKind::Obligation.log_type(), &[o])
                .await?;
        }
        if let Some(c) = a.commitment_id {
            self.ensure_exist("commitments", ObjectKind::Commitment.log_type(), &[c])
                .await?;
        }
        if let Some(s) = a.situation_report_id {
            self.ensure_exist(
                "situation_reports",
                ObjectKind::SituationReport.log_type(),
                &[s],
            )
            .await?;
        }
        Ok(())
    }

    /// Creates (`id` 0) or changes an allocation of a grant; returns its id. Logged under
    /// the grant (both grants', when it moves).
    pub async fn put_allocation(&mut self, a: &Allocation) -> Result<Id> {
        let after = allocation_stored(a.id, a);
        validate_allocation(&after).map_err(refused)?;
        self.check_allocation_refs(&after).await?;
        match after.id {
            0 => {
                let mut cols = allocation_columns(&after);
                let position: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(position) FROM grant_allocations WHERE grant_id = $1",
                )
                .bind(after.grant_id)
                .fetch_one(&mut *self.tx)
                .await?;
                cols.push(("position", Bind::Int(position.map_or(0, |p| p + 1))));
                let id = self.insert_columns("grant_allocations", cols).await?;
                let stored = allocation_stored(id, &after);
                self.log(
                    "create",
                    ALLOCATION_LOG_TYPE,
                    Some(stored.grant_id),
                    None,
                    log_json(&stored),
                )
                .await?;
                Ok(id)
            }
            id => {
                let before = load_allocation(&mut self.tx, id).await?;
                if before == after {
                    return Ok(id);
                }
                if before.grant_id != after.grant_id {
                    // Spend recorded against it belongs to the grant it was of.
                    let spent: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM grant_spend WHERE allocation_id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *self.tx)
                    .await?;
                    if spent > 0 {
                        return Err(refused(EconomyRefusal::WrongGrant));
                    }
                }
                self.update_columns("grant_allocations", id, allocation_columns(&after))
                    .await?;
                if before.grant_id != after.grant_id {
                    self.log(
                        "delete",
                        ALLOCATION_LOG_TYPE,
                        Some(before.grant_id),
                        log_json(&before),
                        None,
                    )
                    .await?;
                }
                self.log(
                    "update",
                    ALLOCATION_LOG_TYPE,
                    Some(after.grant_id),
                    log_json(&before),
                    log_json(&after),
                )
                .await?;
                Ok(id)
            }
        }
    }

    /// Deletes an allocation with the spend recorded against it (each logged under the
    /// grant).
    pub async fn delete_allocation(&mut self, id: Id) -> Result<()> {
        let before = load_allocation(&mut self.tx, id).await?;
        let spend = load_spend(&mut self.tx, "s.allocation_id = $1", &[Bind::Int(id)]).await?;
        for s in &spend {
            self.execute(
                "DELETE FROM grant_spend WHERE id = $1",
                vec![Bind::Int(s.id)],
            )
            .await?;
            self.log(
                "delete",
                SPEND_LOG_TYPE,
                Some(before.grant_id),
                log_json(s),
                None,
            )
            .await?;
        }
        self.execute(
            "DELETE FROM grant_allocations WHERE id = $1",
            vec![Bind::Int(id)],
        )
        .await?;
        self.log(
            "delete",
            ALLOCATION_LOG_TYPE,
            Some(before.grant_id),
            log_json(&before),
            None,
        )
        .await
    }

    /// Records (`id` 0) or changes spend against an allocation
    /// (`grant::validate_spend`: a change may not move it to another grant's allocation);
    /// returns its id. Logged under the grant.
    pub async fn put_spend(&mut self, s: &Spend) -> Result<Id> {
        let after = spend_stored(s.id, s);
        let allocation = load_allocation(&mut self.tx, after.allocation_id).await?;
        let before = match after.id {
            0 => None,
            id => Some(
                load_spend(&mut self.tx, "s.id = $1", &[Bind::Int(id)])
                    .await?
                    .pop()
                    .ok_or_else(|| StoreError::not_found(SPEND_LOG_TYPE, id))?,
            ),
        };
        let grant = match &before {
            Some(b) => {
                load_allocation(&mut self.tx, b.allocation_id)
                    .await?
                    .grant_id
            }
            None => allocation.grant_id,
        };
        validate_spend(&after, &allocation, grant).map_err(refused)?;
        match before {
            None => {
                let id = self
                    .insert_columns("grant_spend", spend_columns(&after))
                    .await?;
                self.log(
                    "create",
                    SPEND_LOG_TYPE,
                    Some(grant),
                    None,
                    log_json(&spend_stored(id, &after)),
                )
                .await?;
                Ok(id)
            }
            Some(before) => {
                if before == after {
                    return Ok(before.id);
                }
                self.update_columns("grant_spend", before.id, spend_columns(&after))
                    .await?;
                self.log(
                    "update",
                    SPEND_LOG_TYPE,
                    Some(grant),
                    log_json(&before),
                    log_json(&after),
                )
                .await?;
                Ok(before.id)
            }
        }
    }

    /// Deletes spend (logged under its grant).
    pub async fn delete_spend(&mut self, id: Id) -> Result<()> {
        let before = load_spend(&mut self.tx, "s.id = $1", &[Bind::Int(id)])
            .await?
            .pop()
            .ok_or_else(|| StoreError::not_found(SPEND_LOG_TYPE, id))?;
        let grant = load_allocation(&mut self.tx, before.allocation_id)
            .await?
            .grant_id;
        self.execute("DELETE FROM grant_spend WHERE id = $1", vec![Bind::Int(id)])
            .await?;
        self.log(
            "delete",
            SPEND_LOG_TYPE,
            Some(grant),
            log_json(&before),
            None,
        )
        .await
    }
}

/// The ids below `root` in `tree`, parents before children.
fn descendants(tree: &[InvestmentNode], root: Id) -> Vec<Id> {
    let mut out: Vec<Id> = Vec::new();
    let mut frontier = vec![root];
    while let Some(id) = frontier.pop() {
        for x in tree.iter().filter(|x| x.parent_id == Some(id)) {
            if x.id != root && !out.contains(&x.id) {
                out.push(x.id);
                frontier.push(x.id);
            }
        }
    }
    out
}

#[derive(FromRow)]
struct LineRowWithOrigin {
    id: i64,
    unit_id: i64,
    cost_type_id: Option<i64>,
    period: String,
    kind: String,
    amount: i64,
    forecast_on: Option<String>,
    area: Option<String>,
    origin: String,
}

impl LineRowWithOrigin {
    fn split(self) -> Result<(BudgetLine, String)> {
        let line = line_from(LineRow {
            id: self.id,
            unit_id: self.unit_id,
            cost_type_id: self.cost_type_id,
            period: self.period,
            kind: self.kind,
            amount: self.amount,
            forecast_on: self.forecast_on,
            area: self.area,
        })?;
        Ok((line, self.origin))
    }
}
