//! The economy family of the uppsikt/1 format (`DOMAIN-MODULES.md` E): `[economy]`
//! settings, `[[cost_types]]` with their account ranges, `[[ledger_units]]`,
//! `[[budget_lines]]`, `[[budget_explanations]]`, `[[investments]]` (a tree of `children`),
//! `[[carry_overs]]`, `[[equity]]` and `[[grants]]` with their allocations and spend.
//!
//! As in `area`: what a row can check of itself is checked when parsing (with the domain's
//! `validate_*`), what spans the files in [`check_merged`], what needs the database when
//! loading. Amounts are written in `unit` (mnkr unless the row says `tkr` or `kr`), as
//! TOML numbers or Swedish text (`"−8,8"`); more precision than an öre is refused.
//!
//! Sums are never stored. An investment tree stores its leaves (and a value typed on the
//! level where it is decided); the totals a printed table types (`typed_budget`,
//! `typed_outcome`, `typed_deviation`) are checked against what the leaves give, by
//! `check_typed_totals` within the settings' tolerance, and the file refused (policy
//! `avvisa`) or loaded with warnings (`flagga`). An empty typed cell is computed. A lone
//! `typed_deviation` on a heading row (no typed budget or outcome beside it: seed 004's
//! stray "0,0" on "Planeringsprojekt") is a warning, never a total.
//!
//! Writing compares with what is stored and writes only what differs (a decided year can
//! be loaded again unchanged); nothing is deleted for being absent, except that a file's
//! investment tree replaces the stored tree of its unit, year and kind when they differ.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use toml::Value;
use uppsikt_domain::economy::{
    check_typed_totals, tree_rows, validate_carry_over, validate_cost_type, validate_equity,
    validate_explanation, validate_line, validate_node, AccountRange, Amount, BudgetLine,
    CarryOver, CostGroup, CostType, EconomySettings, EquityYear, Explanation, InvestmentNode,
    LedgerUnit, LineKind, Measure, MoneyUnit, TotalsPolicy, TreeKind, TypedTotal,
};
use uppsikt_domain::grant::{
    validate_allocation, validate_grant, validate_spend, Allocation, DecisionRef, Direction, Grant,
    GrantKind, GrantShare, GrantYear, Spend, UseFollowUp, UseStatus,
};
use uppsikt_domain::messages::{self, economy as msg, Referent};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_store::{Store, StoreError, Writer};

use crate::area::coded;
use crate::data::{DataSet, Key, NAME_MAX, TEXT_MAX};
use crate::load::{At, Ids};
use crate::parse::Unique;
use crate::reader::{boolean, date, integer, key_of, long_text, period, text, year, Row};
use crate::report::{quoted, Errors, ImportReport, Origin, RowError};

/// The origin of budget lines from uppsikt/1 files.
pub const ORIGIN: &str = "file";
/// Deepest investment tree read.
const MAX_DEPTH: usize = 10;
/// Most rows of one section in a file (and nodes of one tree).
const MAX_ROWS: usize = 100_000;

// --- the rows ------------------------------------------------------------------------------

/// `[economy]`: absent fields keep what is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EconomySettingsData {
    pub origin: Origin,
    pub ledger_dimension: Option<u32>,
    pub totals_policy: Option<TotalsPolicy>,
    pub totals_tolerance: Option<Amount>,
}

/// `[[cost_types]]`, by code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostTypeData {
    pub origin: Origin,
    pub cost_type: CostType,
}

/// `[[ledger_units]]`: a ledger object of the responsibility dimension mapped to a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerUnitData {
    pub origin: Origin,
    pub object: String,
    pub org: Key,
    pub name: String,
}

/// `[[budget_lines]]`; the line's ids are filled in when loading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLineData {
    pub origin: Origin,
    pub org: Key,
    /// Cost type code; `None`: the unit's net line.
    pub cost_type: Option<String>,
    pub line: BudgetLine,
}

/// `[[budget_explanations]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplanationData {
    pub origin: Origin,
    pub org: Key,
    pub cost_type: Option<String>,
    pub year: i32,
    pub text: String,
}

/// A node of `[[investments]]` with its children. `node` holds the stored values (ids 0);
/// `typed` the printed totals to check (not stored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestmentData {
    pub origin: Origin,
    pub node: InvestmentNode,
    pub typed: Vec<(Measure, Option<Amount>)>,
    pub children: Vec<InvestmentData>,
}

/// One tree: a root row of `[[investments]]` with its unit, year and kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestmentTreeData {
    pub org: Key,
    pub root: InvestmentData,
}

/// `[[carry_overs]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarryOverData {
    pub origin: Origin,
    pub org: Key,
    pub carry_over: CarryOver,
}

/// `[[equity]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquityData {
    pub origin: Origin,
    pub org: Key,
    pub equity: EquityYear,
}

/// `[[grants.allocations]]` with its spend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationData {
    pub origin: Origin,
    pub org: Option<Key>,
    pub allocation: Allocation,
    pub spend: Vec<(Origin, Spend)>,
}

/// `[[grants]]`, by code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantData {
    pub origin: Origin,
    pub org: Option<Key>,
    pub grant: Grant,
    pub allocations: Vec<AllocationData>,
}

/// The economy sections of the files.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EconomyData {
    /// At most one over all files.
    pub settings: Vec<EconomySettingsData>,
    pub cost_types: Vec<CostTypeData>,
    pub ledger_units: Vec<LedgerUnitData>,
    pub budget_lines: Vec<BudgetLineData>,
    pub explanations: Vec<ExplanationData>,
    pub investments: Vec<InvestmentTreeData>,
    pub carry_overs: Vec<CarryOverData>,
    pub equity: Vec<EquityData>,
    pub grants: Vec<GrantData>,
}

impl EconomyData {
    pub fn append(&mut self, o: EconomyData) {
        self.settings.extend(o.settings);
        self.cost_types.extend(o.cost_types);
        self.ledger_units.extend(o.ledger_units);
        self.budget_lines.extend(o.budget_lines);
        self.explanations.extend(o.explanations);
        self.investments.extend(o.investments);
        self.carry_overs.extend(o.carry_overs);
        self.equity.extend(o.equity);
        self.grants.extend(o.grants);
    }

    pub fn is_empty(&self) -> bool {
        *self == EconomyData::default()
    }

    /// Investment nodes in all trees.
    pub fn node_count(&self) -> usize {
        fn count(n: &InvestmentData) -> usize {
            1 + n.children.iter().map(count).sum::<usize>()
        }
        self.investments.iter().map(|t| count(&t.root)).sum()
    }

    /// Every org key the sections name, with where.
    fn org_refs(&self) -> Vec<(&Key, Origin)> {
        let mut out: Vec<(&Key, Origin)> = Vec::new();
        out.extend(
            self.ledger_units
                .iter()
                .map(|r| (&r.org, r.origin.field("org"))),
        );
        out.extend(
            self.budget_lines
                .iter()
                .map(|r| (&r.org, r.origin.field("org"))),
        );
        out.extend(
            self.explanations
                .iter()
                .map(|r| (&r.org, r.origin.field("org"))),
        );
        out.extend(
            self.investments
                .iter()
                .map(|r| (&r.org, r.root.origin.field("org"))),
        );
        out.extend(
            self.carry_overs
                .iter()
                .map(|r| (&r.org, r.origin.field("org"))),
        );
        out.extend(self.equity.iter().map(|r| (&r.org, r.origin.field("org"))));
        for g in &self.grants {
            if let Some(k) = &g.org {
                out.push((k, g.origin.field("org")));
            }
            for a in &g.allocations {
                if let Some(k) = &a.org {
                    out.push((k, a.origin.field("org")));
                }
            }
        }
        out
    }
}

// --- converters -----------------------------------------------------------------------------

/// The row's money unit (`unit`), or the one it inherits.
fn money_unit(r: &Row<'_>, errors: &mut Errors, inherited: MoneyUnit) -> MoneyUnit {
    match r.table.get("unit") {
        None => inherited,
        Some(v) => match v.as_str().map(str::trim).and_then(MoneyUnit::parse) {
            Some(u) => u,
            None => {
                errors.at(&r.at("unit"), msg::money_unit(&quoted(&v.to_string())));
                inherited
            }
        },
    }
}

/// An amount in `unit`: a TOML number or Swedish text.
fn money(unit: MoneyUnit) -> impl Fn(&Value) -> Result<Amount, String> {
    move |v| {
        let written = match v {
            Value::Integer(i) => i.to_string(),
            Value::Float(f) if f.is_finite() => f.to_string(),
            Value::String(s) => s.trim().to_string(),
            _ => return Err(messages::wrong_type(messages::Expected::Number)),
        };
        Amount::parse(&written, unit).map_err(|e| msg::refusal(&e))
    }
}

/// A cost-type, object or grant code: one line, at most 40 characters.
fn code(v: &Value) -> Result<String, String> {
    crate::area::code(v)
}

fn short(r: &Row<'_>, errors: &mut Errors, field: &str) -> String {
    r.opt(errors, field, &text(NAME_MAX)).unwrap_or_default()
}

fn long(r: &Row<'_>, errors: &mut Errors, field: &str) -> String {
    r.opt(errors, field, &long_text(TEXT_MAX))
        .unwrap_or_default()
}

/// A domain refusal at the row.
fn refused<T>(
    r: Result<T, uppsikt_domain::economy::EconomyRefusal>,
    at: &Origin,
    errors: &mut Errors,
) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => {
            errors.at(at, msg::refusal(&e));
            false
        }
    }
}

fn rows<'a>(r: &Row<'a>, errors: &mut Errors, field: &str) -> Vec<Row<'a>> {
    let rows = r.rows(errors, field);
    if rows.len() > MAX_ROWS {
        errors.at(&r.at(field), messages::out_of_range(0, MAX_ROWS as i64));
        return Vec::new();
    }
    rows
}

// --- parsing --------------------------------------------------------------------------------

/// The economy sections of one document.
pub(crate) fn parse(doc: &Row<'_>, errors: &mut Errors) -> EconomyData {
    EconomyData {
        settings: doc
            .sub_table(errors, "economy")
            .map(|r| settings(&r, errors))
            .into_iter()
            .collect(),
        cost_types: rows(doc, errors, "cost_types")
            .iter()
            .filter_map(|r| cost_type(r, errors))
            .collect(),
        ledger_units: rows(doc, errors, "ledger_units")
            .iter()
            .filter_map(|r| ledger_unit(r, errors))
            .collect(),
        budget_lines: rows(doc, errors, "budget_lines")
            .iter()
            .filter_map(|r| budget_line(r, errors))
            .collect(),
        explanations: rows(doc, errors, "budget_explanations")
            .iter()
            .filter_map(|r| explanation(r, errors))
            .collect(),
        investments: rows(doc, errors, "investments")
            .iter()
            .filter_map(|r| investment_tree(r, errors))
            .collect(),
        carry_overs: rows(doc, errors, "carry_overs")
            .iter()
            .filter_map(|r| carry_over(r, errors))
            .collect(),
        equity: rows(doc, errors, "equity")
            .iter()
            .filter_map(|r| equity(r, errors))
            .collect(),
        grants: rows(doc, errors, "grants")
            .iter()
            .filter_map(|r| grant(r, errors))
            .collect(),
    }
}

fn settings(r: &Row<'_>, errors: &mut Errors) -> EconomySettingsData {
    r.only(
        errors,
        &[
            "ledger_dimension",
            "totals_policy",
            "totals_tolerance",
            "unit",
        ],
    );
    let unit = money_unit(r, errors, MoneyUnit::Mnkr);
    let tolerance = r.opt(errors, "totals_tolerance", &money(unit));
    if tolerance.is_some_and(|t| t.0 < 0) {
        errors.at(&r.at("totals_tolerance"), messages::negative());
    }
    EconomySettingsData {
        origin: r.origin.clone(),
        ledger_dimension: r
            .opt(errors, "ledger_dimension", &integer(1, 9999))
            .map(|d| d as u32),
        totals_policy: r.opt(errors, "totals_policy", &coded::<TotalsPolicy>),
        totals_tolerance: tolerance,
    }
}

fn cost_type(r: &Row<'_>, errors: &mut Errors) -> Option<CostTypeData> {
    r.only(errors, &["code", "name", "group", "position", "ranges"]);
    let code_ = r.req(errors, "code", &code);
    let name = r.req(errors, "name", &text(NAME_MAX));
    let group = r.req(errors, "group", &coded::<CostGroup>);
    let position = r.opt(errors, "position", &integer(-1_000_000, 1_000_000));
    let mut ranges = Vec::new();
    for (i, t) in r.text_list(errors, "ranges", 40).iter().enumerate() {
        match AccountRange::parse(t) {
            Ok(range) => ranges.push(range),
            Err(e) => errors.at(&r.at(&format!("ranges[{i}]")), msg::refusal(&e)),
        }
    }
    let c = CostType {
        id: 0,
        code: code_?,
        name: name?,
        group: group?,
        position: position.unwrap_or(0),
        ranges,
    };
    refused(validate_cost_type(&c, &[]), &r.origin, errors).then(|| CostTypeData {
        origin: r.origin.clone(),
        cost_type: c,
    })
}

fn ledger_unit(r: &Row<'_>, errors: &mut Errors) -> Option<LedgerUnitData> {
    r.only(errors, &["object", "org", "name"]);
    let object = r.req(errors, "object", &code);
    let org = r.req(errors, "org", &key_of);
    let name = short(r, errors, "name");
    Some(LedgerUnitData {
        origin: r.origin.clone(),
        object: object?,
        org: org?,
        name,
    })
}

fn budget_line(r: &Row<'_>, errors: &mut Errors) -> Option<BudgetLineData> {
    r.only(
        errors,
        &[
            "org",
            "cost_type",
            "period",
            "kind",
            "amount",
            "unit",
            "forecast_on",
            "area",
        ],
    );
    let unit = money_unit(r, errors, MoneyUnit::Mnkr);
    let org = r.req(errors, "org", &key_of);
    let cost_type = r.opt(errors, "cost_type", &code);
    let p = r.req(errors, "period", &period);
    let kind = r.req(errors, "kind", &coded::<LineKind>);
    let amount = r.req(errors, "amount", &money(unit));
    let forecast_on = r.opt(errors, "forecast_on", &date);
    let area = r.opt(errors, "area", &text(100));
    let line = BudgetLine {
        id: 0,
        unit_id: 0,
        cost_type_id: None,
        period: p?,
        kind: kind?,
        amount: amount?,
        forecast_on,
        area,
    };
    let org = org?;
    refused(validate_line(&line), &r.origin, errors).then(|| BudgetLineData {
        origin: r.origin.clone(),
        org,
        cost_type,
        line,
    })
}

fn explanation(r: &Row<'_>, errors: &mut Errors) -> Option<ExplanationData> {
    r.only(errors, &["org", "year", "cost_type", "text"]);
    let org = r.req(errors, "org", &key_of);
    let y = r.req(errors, "year", &year);
    let cost_type = r.opt(errors, "cost_type", &code);
    let t = r.req(errors, "text", &long_text(TEXT_MAX));
    let e = Explanation {
        unit_id: 0,
        year: y?,
        cost_type_id: None,
        text: t?,
    };
    let org = org?;
    refused(validate_explanation(&e), &r.origin, errors).then(|| ExplanationData {
        origin: r.origin.clone(),
        org,
        cost_type,
        year: e.year,
        text: e.text,
    })
}

const NODE_FIELDS: &[&str] = &[
    "code",
    "name",
    "unit",
    "budget",
    "outcome",
    "forecast",
    "forecast_on",
    "carry_over",
    "typed_budget",
    "typed_outcome",
    "typed_deviation",
    "areas",
    "note",
    "children",
];

fn investment_tree(r: &Row<'_>, errors: &mut Errors) -> Option<InvestmentTreeData> {
    let mut fields = NODE_FIELDS.to_vec();
    fields.extend(["org", "year", "kind"]);
    r.only(errors, &fields);
    let org = r.req(errors, "org", &key_of);
    let y = r.req(errors, "year", &year);
    let kind = r
        .opt(errors, "kind", &coded::<TreeKind>)
        .unwrap_or(TreeKind::Investment);
    let mut count = 0;
    let root = node(
        r,
        errors,
        MoneyUnit::Mnkr,
        y.unwrap_or(0),
        kind,
        0,
        &mut count,
    )?;
    // The domain's checks on the whole tree (typed values where the children carry them).
    let mut flat = Vec::new();
    flatten(&root, None, &mut flat);
    let nodes: Vec<InvestmentNode> = flat.iter().map(|(n, _)| n.clone()).collect();
    for (n, at) in &flat {
        refused(validate_node(n, &nodes), at, errors);
    }
    Some(InvestmentTreeData { org: org?, root })
}

#[allow(clippy::too_many_arguments)]
fn node(
    r: &Row<'_>,
    errors: &mut Errors,
    inherited: MoneyUnit,
    y: i32,
    kind: TreeKind,
    depth: usize,
    count: &mut usize,
) -> Option<InvestmentData> {
    if depth > 0 {
        r.only(errors, NODE_FIELDS);
    }
    *count += 1;
    if depth > MAX_DEPTH || *count > MAX_ROWS {
        errors.at(&r.origin, messages::out_of_range(0, MAX_DEPTH as i64));
        return None;
    }
    let unit = money_unit(r, errors, inherited);
    let m = money(unit);
    let name = r.req(errors, "name", &text(NAME_MAX));
    let code_ = short(r, errors, "code");
    let forecast_on = r.opt(errors, "forecast_on", &date);
    let areas = r.text_list(errors, "areas", 100);
    let note = long(r, errors, "note");
    let typed = [
        ("typed_budget", Measure::Budget),
        ("typed_outcome", Measure::Outcome),
        ("typed_deviation", Measure::Deviation),
    ]
    .into_iter()
    .filter(|(f, _)| r.table.contains_key(*f))
    .map(|(f, measure)| (measure, r.opt(errors, f, &m)))
    .collect();
    let value = InvestmentNode {
        id: 0,
        unit_id: 0,
        year: y,
        kind,
        parent_id: None,
        code: code_,
        name: name?,
        position: 0,
        budget: r.opt(errors, "budget", &m),
        outcome: r.opt(errors, "outcome", &m),
        forecast: r.opt(errors, "forecast", &m),
        forecast_on,
        carry_over: r.opt(errors, "carry_over", &m),
        areas,
        note,
    };
    let children = rows(r, errors, "children")
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let mut child = node(c, errors, unit, y, kind, depth + 1, count)?;
            child.node.position = i as i64 + 1;
            Some(child)
        })
        .collect();
    Some(InvestmentData {
        origin: r.origin.clone(),
        node: value,
        typed,
        children,
    })
}

/// The tree's nodes depth-first with temporary ids (1, 2, …) and parent links.
fn flatten(n: &InvestmentData, parent: Option<Id>, out: &mut Vec<(InvestmentNode, Origin)>) {
    let id = out.len() as Id + 1;
    let mut node = n.node.clone();
    node.id = id;
    node.parent_id = parent;
    out.push((node, n.origin.clone()));
    for c in &n.children {
        flatten(c, Some(id), out);
    }
}

fn carry_over(r: &Row<'_>, errors: &mut Errors) -> Option<CarryOverData> {
    r.only(
        errors,
        &[
            "org", "year", "group", "project", "position", "unit", "budget", "outcome", "transfer",
        ],
    );
    let unit = money_unit(r, errors, MoneyUnit::Mnkr);
    let m = money(unit);
    let org = r.req(errors, "org", &key_of);
    let y = r.req(errors, "year", &year);
    let group = r.req(errors, "group", &text(NAME_MAX));
    let project = r.req(errors, "project", &text(NAME_MAX));
    let position = r.opt(errors, "position", &integer(-1_000_000, 1_000_000));
    let c = CarryOver {
        id: 0,
        unit_id: 0,
        year: y?,
        group: group?,
        project: project?,
        position: position.unwrap_or(0),
        budget: r.opt(errors, "budget", &m),
        outcome: r.opt(errors, "outcome", &m),
        transfer: r.opt(errors, "transfer", &m),
    };
    let org = org?;
    refused(validate_carry_over(&c), &r.origin, errors).then(|| CarryOverData {
        origin: r.origin.clone(),
        org,
        carry_over: c,
    })
}

fn equity(r: &Row<'_>, errors: &mut Errors) -> Option<EquityData> {
    r.only(
        errors,
        &[
            "org",
            "year",
            "cap_percent",
            "unit",
            "opening",
            "withdrawal",
            "requested_carry_over",
            "reconciliation",
        ],
    );
    let unit = money_unit(r, errors, MoneyUnit::Mnkr);
    let m = money(unit);
    let org = r.req(errors, "org", &key_of);
    let y = r.req(errors, "year", &year);
    let cap = r.req(errors, "cap_percent", &percent);
    let e = EquityYear {
        unit_id: 0,
        year: y?,
        cap_permille: cap?,
        opening: r.opt(errors, "opening", &m),
        withdrawal: r.opt(errors, "withdrawal", &m).unwrap_or_default(),
        requested_carry_over: r.opt(errors, "requested_carry_over", &m),
        reconciliation: long(r, errors, "reconciliation"),
    };
    let org = org?;
    refused(validate_equity(&e), &r.origin, errors).then(|| EquityData {
        origin: r.origin.clone(),
        org,
        equity: e,
    })
}

/// A per cent 0–100 (number or Swedish text, one decimal) as per mille.
fn percent(v: &Value) -> Result<u32, String> {
    let n = crate::reader::number(v)?;
    let pm = (n * 10.0).round();
    if !(0.0..=1000.0).contains(&pm) || ((n * 10.0) - pm).abs() > 1e-6 {
        return Err(messages::out_of_range(0, 100));
    }
    Ok(pm as u32)
}

/// A grant share: a per cent, or `"okänd"`.
fn share(v: &Value) -> Result<GrantShare, String> {
    if let Value::String(s) = v {
        if matches!(s.trim().to_lowercase().as_str(), "okänd" | "okand") {
            return Ok(GrantShare::Unknown);
        }
    }
    percent(v)
        .map(GrantShare::Known)
        .map_err(|_| msg::share(&quoted(&v.to_string())))
}

fn grant(r: &Row<'_>, errors: &mut Errors) -> Option<GrantData> {
    r.only(
        errors,
        &[
            "code",
            "name",
            "direction",
            "grantor",
            "legal_basis",
            "kind",
            "formula",
            "reporting_duty",
            "org",
            "allocate_by",
            "rules",
            "note",
            "source",
            "unit",
            "years",
            "allocations",
        ],
    );
    let unit = money_unit(r, errors, MoneyUnit::Mnkr);
    let code_ = r.req(errors, "code", &code);
    let name = r.req(errors, "name", &text(NAME_MAX));
    let direction = r
        .opt(errors, "direction", &coded::<Direction>)
        .unwrap_or(Direction::Received);
    let kind = r
        .opt(errors, "kind", &coded::<GrantKind>)
        .unwrap_or(GrantKind::Unknown);
    let org = r.opt(errors, "org", &key_of);
    let mut years = Vec::new();
    for y in rows(r, errors, "years") {
        y.only(
            errors,
            &[
                "year",
                "amount",
                "unit",
                "received_on",
                "quoted",
                "half_year",
            ],
        );
        let yu = money_unit(&y, errors, unit);
        let year_ = y.req(errors, "year", &year);
        let amount = y.opt(errors, "amount", &money(yu));
        let received_on = y.opt(errors, "received_on", &date);
        let quoted_ = short(&y, errors, "quoted");
        let half_year = y.opt(errors, "half_year", &boolean).unwrap_or(false);
        if let Some(year) = year_ {
            years.push(GrantYear {
                year,
                amount,
                received_on,
                quoted: quoted_,
                half_year,
            });
        }
    }
    let g = Grant {
        id: 0,
        code: code_?,
        name: name?,
        direction,
        grantor: short(r, errors, "grantor"),
        legal_basis: short(r, errors, "legal_basis"),
        kind,
        formula: short(r, errors, "formula"),
        reporting_duty: long(r, errors, "reporting_duty"),
        unit_id: None,
        allocate_by: r.opt(errors, "allocate_by", &date),
        rules: long(r, errors, "rules"),
        note: long(r, errors, "note"),
        source: short(r, errors, "source"),
        years,
    };
    if !refused(validate_grant(&g, &[]), &r.origin, errors) {
        return None;
    }
    let allocations = rows(r, errors, "allocations")
        .iter()
        .filter_map(|a| allocation(a, errors, unit))
        .collect();
    Some(GrantData {
        origin: r.origin.clone(),
        org,
        grant: g,
        allocations,
    })
}

fn allocation(r: &Row<'_>, errors: &mut Errors, inherited: MoneyUnit) -> Option<AllocationData> {
    r.only(
        errors,
        &[
            "year",
            "decision_body",
            "decision_date",
            "paragraph",
            "case_ref",
            "purpose",
            "amount",
            "unit",
            "share",
            "org",
            "area",
            "recipient",
            "follow_up",
            "spend",
        ],
    );
    let unit = money_unit(r, errors, inherited);
    let y = r.req(errors, "year", &year);
    let body = r.req(errors, "decision_body", &text(NAME_MAX));
    let org = r.opt(errors, "org", &key_of);
    let follow_up = r.sub_table(errors, "follow_up").and_then(|f| {
        f.only(errors, &["date", "status", "text"]);
        let d = f.req(errors, "date", &date);
        let status = f.req(errors, "status", &coded::<UseStatus>);
        let t = long(&f, errors, "text");
        Some(UseFollowUp {
            date: d?,
            status: status?,
            text: t,
        })
    });
    let a = Allocation {
        id: 1,
        grant_id: 1,
        year: y?,
        decision: DecisionRef {
            body: body?,
            date: r.opt(errors, "decision_date", &date),
            paragraph: short(r, errors, "paragraph"),
            case_ref: short(r, errors, "case_ref"),
        },
        purpose: long(r, errors, "purpose"),
        amount: r.opt(errors, "amount", &money(unit)),
        share: r
            .opt(errors, "share", &share)
            .unwrap_or(GrantShare::Unknown),
        // A placeholder while parsing: the target check counts the unit.
        unit_id: org.as_ref().map(|_| 0),
        area: r.opt(errors, "area", &text(100)),
        obligation_id: None,
        commitment_id: None,
        situation_report_id: None,
        recipient: short(r, errors, "recipient"),
        follow_up,
    };
    if !refused(validate_allocation(&a), &r.origin, errors) {
        return None;
    }
    let mut spend = Vec::new();
    for s in rows(r, errors, "spend") {
        s.only(errors, &["period", "amount", "unit", "booked_on", "note"]);
        let su = money_unit(&s, errors, unit);
        let p = s.req(errors, "period", &period);
        let amount = s.req(errors, "amount", &money(su));
        let (Some(p), Some(amount)) = (p, amount) else {
            continue;
        };
        let sp = Spend {
            id: 0,
            allocation_id: 1,
            period: p,
            amount,
            booked_on: short(&s, errors, "booked_on"),
            note: long(&s, errors, "note"),
        };
        if refused(validate_spend(&sp, &a, 1), &s.origin, errors) {
            spend.push((s.origin.clone(), sp));
        }
    }
    Some(AllocationData {
        origin: r.origin.clone(),
        org,
        allocation: Allocation {
            id: 0,
            grant_id: 0,
            unit_id: None,
            ..a
        },
        spend,
    })
}

// --- across the files -----------------------------------------------------------------------

/// The leaf key of a budget line as the files write it.
fn line_key(
    l: &BudgetLineData,
) -> (
    String,
    Option<String>,
    Period,
    LineKind,
    Option<String>,
    Option<String>,
) {
    (
        l.org.to_string(),
        l.cost_type.clone(),
        l.line.period,
        l.line.kind,
        l.line.forecast_on.clone(),
        l.line.area.clone(),
    )
}

pub(crate) fn check_merged(data: &EconomyData, errors: &mut Errors) {
    let mut one = Unique::default();
    for s in &data.settings {
        one.first((), &s.origin, errors, msg::duplicate_settings);
    }
    let mut codes = Unique::default();
    let mut names = Unique::default();
    for c in &data.cost_types {
        codes.first(
            c.cost_type.code.clone(),
            &c.origin.field("code"),
            errors,
            |_| {
                msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                    c.cost_type.code.clone(),
                ))
            },
        );
        names.first(
            c.cost_type.name.clone(),
            &c.origin.field("name"),
            errors,
            |_| {
                msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                    c.cost_type.name.clone(),
                ))
            },
        );
    }
    let mut objects = Unique::default();
    for l in &data.ledger_units {
        objects.first(l.object.clone(), &l.origin.field("object"), errors, |_| {
            msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                l.object.clone(),
            ))
        });
    }
    let mut lines = Unique::default();
    for l in &data.budget_lines {
        lines.first(line_key(l), &l.origin, errors, msg::duplicate_budget_line);
    }
    let mut explanations = Unique::default();
    for e in &data.explanations {
        explanations.first(
            (e.org.clone(), e.year, e.cost_type.clone()),
            &e.origin,
            errors,
            msg::duplicate_budget_line,
        );
    }
    let mut trees = Unique::default();
    for t in &data.investments {
        let n = &t.root.node;
        trees.first(
            (t.org.clone(), n.year, n.kind),
            &t.root.origin,
            errors,
            |f| {
                msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                    format!("{} {} {} ({f})", n.kind.label_sv(), t.org, n.year),
                ))
            },
        );
    }
    let mut carry = Unique::default();
    for c in &data.carry_overs {
        let k = (
            c.org.clone(),
            c.carry_over.year,
            c.carry_over.group.clone(),
            c.carry_over.project.clone(),
        );
        carry.first(k, &c.origin, errors, |_| {
            msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                c.carry_over.project.clone(),
            ))
        });
    }
    let mut eq = Unique::default();
    for e in &data.equity {
        eq.first((e.org.clone(), e.equity.year), &e.origin, errors, |_| {
            msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                format!("{} {}", e.org, e.equity.year),
            ))
        });
    }
    let mut grants = Unique::default();
    for g in &data.grants {
        grants.first(
            g.grant.code.clone(),
            &g.origin.field("code"),
            errors,
            |_| {
                msg::refusal(&uppsikt_domain::economy::EconomyRefusal::Duplicate(
                    g.grant.code.clone(),
                ))
            },
        );
    }
}

// --- what the database holds ----------------------------------------------------------------

/// The economy as stored, read before writing (only when the files have economy sections):
/// what the files' existing units hold for the years the files name.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredEconomy {
    pub settings: EconomySettings,
    pub cost_types: Vec<CostType>,
    pub ledger_units: Vec<LedgerUnit>,
    pub lines: Vec<BudgetLine>,
    pub explanations: Vec<Explanation>,
    /// By (unit, year).
    pub nodes: HashMap<(Id, i32), Vec<InvestmentNode>>,
    pub carry_overs: HashMap<(Id, i32), Vec<CarryOver>>,
    pub equity: HashMap<(Id, i32), EquityYear>,
    pub grants: Vec<Grant>,
    pub allocations: Vec<Allocation>,
    pub spend: Vec<Spend>,
}

impl StoredEconomy {
    pub async fn read(store: &Store, data: &DataSet) -> Result<StoredEconomy, StoreError> {
        let e = &data.economy;
        if e.is_empty() {
            return Ok(StoredEconomy::default());
        }
        let by_key: HashMap<String, Id> = store
            .org_units()
            .await?
            .into_iter()
            .map(|u| (u.key, u.id))
            .collect();
        let id = |k: &Key| by_key.get(k.as_str()).copied();
        let mut out = StoredEconomy {
            settings: store.economy_settings().await?,
            cost_types: store.cost_types().await?,
            ledger_units: store.ledger_units().await?,
            ..StoredEconomy::default()
        };
        let mut units: Vec<Id> = e.budget_lines.iter().filter_map(|l| id(&l.org)).collect();
        units.sort_unstable();
        units.dedup();
        let years = e.budget_lines.iter().map(|l| l.line.period.year());
        if let (Some(from), Some(to)) = (years.clone().min(), years.max()) {
            if !units.is_empty() {
                out.lines = store.budget_lines(&units, from, to).await?;
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for x in &e.explanations {
            if let Some(u) = id(&x.org) {
                if seen.insert((u, x.year)) {
                    out.explanations
                        .extend(store.budget_explanations(&[u], x.year).await?);
                }
            }
        }
        for t in &e.investments {
            if let Some(u) = id(&t.org) {
                let y = t.root.node.year;
                if let std::collections::hash_map::Entry::Vacant(v) = out.nodes.entry((u, y)) {
                    v.insert(store.investment_nodes(u, y).await?);
                }
            }
        }
        for c in &e.carry_overs {
            if let Some(u) = id(&c.org) {
                let y = c.carry_over.year;
                if let std::collections::hash_map::Entry::Vacant(v) = out.carry_overs.entry((u, y))
                {
                    v.insert(store.carry_overs(u, y).await?);
                }
            }
        }
        for q in &e.equity {
            if let Some(u) = id(&q.org) {
                if let Some(s) = store.equity_year(u, q.equity.year).await? {
                    out.equity.insert((u, q.equity.year), s);
                }
            }
        }
        if !e.grants.is_empty() {
            out.grants = store.grants().await?;
            out.allocations = store.grant_allocations(None).await?;
            out.spend = store.grant_spend(None).await?;
        }
        Ok(out)
    }
}

/// The settings in force for the files: the files' `[economy]` over the stored.
fn settings_in_force(data: &EconomyData, stored: &EconomySettings) -> EconomySettings {
    let mut s = stored.clone();
    if let Some(f) = data.settings.first() {
        if let Some(d) = f.ledger_dimension {
            s.ledger_dimension = d;
        }
        if let Some(p) = f.totals_policy {
            s.totals_policy = p;
        }
        if let Some(t) = f.totals_tolerance {
            s.totals_tolerance = t;
        }
    }
    s
}

/// Every reference the files and the database cannot satisfy (units, cost types), and the
/// typed totals of the investment trees that disagree with their rows: errors under the
/// policy `avvisa`, warnings (returned) under `flagga`.
pub(crate) fn check(
    data: &EconomyData,
    stored: &StoredEconomy,
    units: &dyn Fn(&Key) -> bool,
    errors: &mut Errors,
) -> Vec<RowError> {
    for (k, at) in data.org_refs() {
        if !units(k) {
            errors.at(
                &at,
                messages::unknown_reference(Referent::OrgUnit, k.as_str()),
            );
        }
    }
    let known_ct = |c: &str| {
        data.cost_types.iter().any(|x| x.cost_type.code == c)
            || stored.cost_types.iter().any(|x| x.code == c)
    };
    for l in &data.budget_lines {
        if let Some(c) = l.cost_type.as_deref().filter(|c| !known_ct(c)) {
            errors.at(&l.origin.field("cost_type"), msg::unknown_cost_type(c));
        }
    }
    for e in &data.explanations {
        if let Some(c) = e.cost_type.as_deref().filter(|c| !known_ct(c)) {
            errors.at(&e.origin.field("cost_type"), msg::unknown_cost_type(c));
        }
    }
    let settings = settings_in_force(data, &stored.settings);
    let mut warnings = Errors::default();
    for t in &data.investments {
        check_totals(t, &settings, errors, &mut warnings);
    }
    warnings.0
}

/// The typed totals of one tree against its rows.
fn check_totals(
    t: &InvestmentTreeData,
    settings: &EconomySettings,
    errors: &mut Errors,
    warnings: &mut Errors,
) {
    let mut flat = Vec::new();
    flatten(&t.root, None, &mut flat);
    let nodes: Vec<InvestmentNode> = flat.iter().map(|(n, _)| n.clone()).collect();
    let rows = tree_rows(&nodes);
    let mut typed = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut datas = Vec::new();
    collect(&t.root, &mut datas);
    for (i, d) in datas.iter().enumerate() {
        let id = i as Id + 1;
        let has_children = !d.children.is_empty();
        let totals_row = d
            .typed
            .iter()
            .any(|(m, v)| v.is_some() && matches!(m, Measure::Budget | Measure::Outcome));
        for (measure, value) in &d.typed {
            let Some(v) = value else { continue };
            if has_children && !totals_row && *measure == Measure::Deviation {
                let at = d.origin.field("typed_deviation");
                warnings.at(
                    &at,
                    msg::stray_value(&d.node.name, measure.label_sv(), &v.format_mnkr()),
                );
                continue;
            }
            origins.push(d.origin.field(match measure {
                Measure::Budget => "typed_budget",
                Measure::Outcome => "typed_outcome",
                _ => "typed_deviation",
            }));
            typed.push(TypedTotal {
                row: origins.len() - 1,
                node_id: id,
                measure: *measure,
                value: Some(*v),
            });
        }
    }
    for d in check_typed_totals(&rows, &typed, settings.totals_tolerance) {
        let at = &origins[d.row];
        match settings.totals_policy {
            TotalsPolicy::Refuse => errors.at(at, msg::total_disagreement(&d)),
            TotalsPolicy::Flag => warnings.at(at, msg::total_flagged(&d)),
        }
    }
}

fn collect<'a>(n: &'a InvestmentData, out: &mut Vec<&'a InvestmentData>) {
    out.push(n);
    for c in &n.children {
        collect(c, out);
    }
}

// --- writing --------------------------------------------------------------------------------

/// How many economy objects the files held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EconomySummary {
    pub cost_types: usize,
    pub budget_lines: usize,
    pub investment_nodes: usize,
    pub carry_overs: usize,
    pub grants: usize,
    pub allocations: usize,
}

impl EconomySummary {
    pub fn of(data: &EconomyData) -> EconomySummary {
        EconomySummary {
            cost_types: data.cost_types.len(),
            budget_lines: data.budget_lines.len(),
            investment_nodes: data.node_count(),
            carry_overs: data.carry_overs.len(),
            grants: data.grants.len(),
            allocations: data.grants.iter().map(|g| g.allocations.len()).sum(),
        }
    }
}

fn unit(ids: &Ids, k: &Key, at: &Origin) -> Result<Id, ImportReport> {
    ids.get(Referent::OrgUnit, k, &at.field("org"))
}

/// Writes the economy sections (after the org units, before the decisions), each object
/// only where it differs from what is stored.
pub(crate) async fn write(
    w: &mut Writer,
    data: &EconomyData,
    ids: &Ids,
    stored: &StoredEconomy,
) -> Result<(), ImportReport> {
    if data.is_empty() {
        return Ok(());
    }
    if let Some(s) = data.settings.first() {
        let wanted = settings_in_force(data, &stored.settings);
        if wanted != stored.settings {
            w.put_economy_settings(&wanted).await.at(&s.origin)?;
        }
    }
    // Cost types by code.
    let mut ct: HashMap<String, Id> = stored
        .cost_types
        .iter()
        .map(|c| (c.code.clone(), c.id))
        .collect();
    for (i, c) in data.cost_types.iter().enumerate() {
        let before = stored
            .cost_types
            .iter()
            .find(|s| s.code == c.cost_type.code);
        let mut wanted = c.cost_type.clone();
        wanted.id = before.map_or(0, |b| b.id);
        if c.cost_type.position == 0 {
            wanted.position = i as i64 + 1;
        }
        let id = match before {
            Some(b) if *b == wanted => b.id,
            _ => w.put_cost_type(&wanted).await.at(&c.origin)?,
        };
        ct.insert(wanted.code.clone(), id);
    }
    let ct_id = |code: &Option<String>, at: &Origin| -> Result<Option<Id>, ImportReport> {
        match code {
            None => Ok(None),
            Some(c) => ct.get(c).copied().map(Some).ok_or_else(|| {
                ImportReport::single(&at.field("cost_type"), msg::unknown_cost_type(c))
            }),
        }
    };
    for l in &data.ledger_units {
        let wanted = LedgerUnit {
            object_code: l.object.clone(),
            unit_id: unit(ids, &l.org, &l.origin)?,
            ledger_name: l.name.clone(),
        };
        if !stored.ledger_units.contains(&wanted) {
            w.put_ledger_unit(&wanted).await.at(&l.origin)?;
        }
    }
    write_lines(w, data, ids, stored, &ct_id).await?;
    for e in &data.explanations {
        let wanted = Explanation {
            unit_id: unit(ids, &e.org, &e.origin)?,
            year: e.year,
            cost_type_id: ct_id(&e.cost_type, &e.origin)?,
            text: e.text.clone(),
        };
        if !stored.explanations.contains(&wanted) {
            w.put_explanation(&wanted).await.at(&e.origin)?;
        }
    }
    for t in &data.investments {
        write_tree(w, t, ids, stored).await?;
    }
    write_carry_overs(w, data, ids, stored).await?;
    for e in &data.equity {
        let mut wanted = e.equity.clone();
        wanted.unit_id = unit(ids, &e.org, &e.origin)?;
        if stored.equity.get(&(wanted.unit_id, wanted.year)) != Some(&wanted) {
            w.put_equity_year(&wanted).await.at(&e.origin)?;
        }
    }
    write_grants(w, data, ids, stored).await
}

/// The cost type id of a file's code (none for a net line).
type CostTypeOf<'a> = dyn Fn(&Option<String>, &Origin) -> Result<Option<Id>, ImportReport> + 'a;

async fn write_lines(
    w: &mut Writer,
    data: &EconomyData,
    ids: &Ids,
    stored: &StoredEconomy,
    ct_id: &CostTypeOf<'_>,
) -> Result<(), ImportReport> {
    // What is stored for the files' units and years, read once.
    let mut wanted = Vec::with_capacity(data.budget_lines.len());
    for l in &data.budget_lines {
        let mut line = l.line.clone();
        line.unit_id = unit(ids, &l.org, &l.origin)?;
        line.cost_type_id = ct_id(&l.cost_type, &l.origin)?;
        wanted.push((l, line));
    }
    let key = |l: &BudgetLine| {
        (
            l.unit_id,
            l.cost_type_id,
            l.period,
            l.kind,
            l.forecast_on.clone(),
            l.area.clone(),
        )
    };
    let by_key: BTreeMap<_, &BudgetLine> = stored.lines.iter().map(|l| (key(l), l)).collect();
    for (l, mut line) in wanted {
        match by_key.get(&key(&line)) {
            Some(b) if b.amount == line.amount => continue,
            Some(b) => line.id = b.id,
            None => {}
        }
        w.put_budget_line(&line, ORIGIN).await.at(&l.origin)?;
    }
    Ok(())
}

/// A tree as compared with the stored one: depth-first (depth, values).
fn shape(nodes: &[InvestmentNode]) -> Vec<(u8, InvestmentNode)> {
    let rows = tree_rows(nodes);
    rows.iter()
        .filter_map(|r| {
            let mut n = nodes.iter().find(|n| n.id == r.id)?.clone();
            n.id = 0;
            n.parent_id = None;
            n.unit_id = 0;
            Some((r.depth, n))
        })
        .collect()
}

async fn write_tree(
    w: &mut Writer,
    t: &InvestmentTreeData,
    ids: &Ids,
    stored: &StoredEconomy,
) -> Result<(), ImportReport> {
    let unit_id = unit(ids, &t.org, &t.root.origin)?;
    let (year, kind) = (t.root.node.year, t.root.node.kind);
    let at = &t.root.origin;
    let stored: Vec<InvestmentNode> = stored
        .nodes
        .get(&(unit_id, year))
        .into_iter()
        .flatten()
        .filter(|n| n.kind == kind)
        .cloned()
        .collect();
    let mut flat = Vec::new();
    flatten(&t.root, None, &mut flat);
    let file: Vec<InvestmentNode> = flat.iter().map(|(n, _)| n.clone()).collect();
    // Stored trees of this unit, year and kind may hold other roots: compare all.
    if shape(&stored) == shape(&file) {
        return Ok(());
    }
    for root in stored.iter().filter(|n| {
        n.parent_id
            .is_none_or(|p| !stored.iter().any(|x| x.id == p))
    }) {
        w.delete_investment_node(root.id).await.at(at)?;
    }
    let mut new_ids: HashMap<Id, Id> = HashMap::new();
    for (n, origin) in flat {
        let temp = n.id;
        let node = InvestmentNode {
            id: 0,
            unit_id,
            parent_id: n.parent_id.and_then(|p| new_ids.get(&p).copied()),
            ..n
        };
        let id = w.put_investment_node(&node).await.at(&origin)?;
        new_ids.insert(temp, id);
    }
    Ok(())
}

async fn write_carry_overs(
    w: &mut Writer,
    data: &EconomyData,
    ids: &Ids,
    stored: &StoredEconomy,
) -> Result<(), ImportReport> {
    for (i, c) in data.carry_overs.iter().enumerate() {
        let unit_id = unit(ids, &c.org, &c.origin)?;
        let year = c.carry_over.year;
        let before = stored
            .carry_overs
            .get(&(unit_id, year))
            .into_iter()
            .flatten()
            .find(|s| s.group == c.carry_over.group && s.project == c.carry_over.project);
        let mut wanted = c.carry_over.clone();
        wanted.unit_id = unit_id;
        if wanted.position == 0 {
            wanted.position = i as i64 + 1;
        }
        wanted.id = before.map_or(0, |b| b.id);
        if before != Some(&wanted) {
            w.put_carry_over(&wanted).await.at(&c.origin)?;
        }
    }
    Ok(())
}

async fn write_grants(
    w: &mut Writer,
    data: &EconomyData,
    ids: &Ids,
    stored: &StoredEconomy,
) -> Result<(), ImportReport> {
    for g in &data.grants {
        let before = stored.grants.iter().find(|s| s.code == g.grant.code);
        let mut wanted = g.grant.clone();
        wanted.id = before.map_or(0, |b| b.id);
        wanted.unit_id = match &g.org {
            Some(k) => Some(unit(ids, k, &g.origin)?),
            None => None,
        };
        let grant_id = match before {
            Some(b) if *b == wanted => b.id,
            _ => w.put_grant(&wanted).await.at(&g.origin)?,
        };
        for a in &g.allocations {
            let mut alloc = a.allocation.clone();
            alloc.grant_id = grant_id;
            alloc.unit_id = match &a.org {
                Some(k) => Some(unit(ids, k, &a.origin)?),
                None => None,
            };
            let same = |s: &&Allocation| {
                s.grant_id == grant_id
                    && s.year == alloc.year
                    && s.decision.body == alloc.decision.body
                    && s.decision.date == alloc.decision.date
                    && s.purpose == alloc.purpose
            };
            let prior = stored.allocations.iter().find(same);
            alloc.id = prior.map_or(0, |p| p.id);
            let alloc_id = match prior {
                Some(p) if *p == alloc => p.id,
                _ => w.put_allocation(&alloc).await.at(&a.origin)?,
            };
            for (at, s) in &a.spend {
                let known = stored.spend.iter().any(|x| {
                    x.allocation_id == alloc_id
                        && x.period == s.period
                        && x.amount == s.amount
                        && x.booked_on == s.booked_on
                });
                if !known {
                    let mut sp = s.clone();
                    sp.allocation_id = alloc_id;
                    w.put_spend(&sp).await.at(at)?;
                }
            }
        }
    }
    Ok(())
}
