//! The money next to the goals: budget, outcome and forecast per board and unit, the
//! investments tree, balance carry-overs and the equity rule (`DOMAIN-MODULES.md` E1).
//!
//! Only leaves are stored. Every sum and every deviation (avvikelse = outcome − budget,
//! positive is favourable) is derived here from the leaves, never typed: the KS 2019 annual
//! report prints three wrong investment totals (F1), and [`check_typed_totals`] is how an
//! import finds them. Amounts are whole öre ([`Amount`]), so sums are exact.
//!
//! Grants are in `grant.rs`; both share [`Amount`] and [`EconomyRefusal`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::area::coded_enum;
use crate::deviation::{NewDeviation, Severity, Source};
use crate::model::{Id, OrgKind, OrgUnit};
use crate::number::{format_sv, parse_decimal};
use crate::period::Period;

/// The longest name in characters (cost types, investment nodes, grants).
pub const MAX_NAME_CHARS: usize = 300;
/// The longest free text in characters (explanations, notes, rules).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The largest amount accepted, in kronor (a thousand billion): far beyond any municipality,
/// small enough that a sum of a million of them cannot overflow.
pub const MAX_KRONOR: i64 = 1_000_000_000_000;

/// An amount of money in öre. Costs are negative, income positive (seed 004's convention:
/// "Positivt tal indikerar en intäkt").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Amount(pub i64);

/// The unit an amount is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyUnit {
    Kr,
    Tkr,
    Mnkr,
}

coded_enum!(MoneyUnit {
    Kr = "kr", "kr";
    Tkr = "tkr", "tkr";
    Mnkr = "mnkr", "mnkr";
});

impl MoneyUnit {
    /// Öre in one of this unit.
    pub const fn ore(self) -> i64 {
        match self {
            MoneyUnit::Kr => 100,
            MoneyUnit::Tkr => 100_000,
            MoneyUnit::Mnkr => 100_000_000,
        }
    }
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_kronor(kr: i64) -> Amount {
        Amount(kr * 100)
    }

    /// An amount written as Swedish text in `unit` (`−8,8` mnkr, `1 234,50` kr). Refuses
    /// more precision than an öre and amounts beyond [`MAX_KRONOR`].
    pub fn parse(text: &str, unit: MoneyUnit) -> Result<Amount, EconomyRefusal> {
        let bad = || EconomyRefusal::BadAmount(text.trim().to_string());
        let v = parse_decimal(text).map_err(|_| bad())?;
        let ore = v * unit.ore() as f64;
        if !ore.is_finite() || ore.abs() > (MAX_KRONOR * 100) as f64 {
            return Err(bad());
        }
        let rounded = ore.round();
        // More decimals than öre: refused, never rounded away silently.
        if (ore - rounded).abs() > 1e-6 * ore.abs().max(1.0) {
            return Err(bad());
        }
        Ok(Amount(rounded as i64))
    }

    /// An amount from a ledger file: `-1234.50` (point, no grouping), in kronor.
    pub fn parse_ledger(text: &str) -> Option<Amount> {
        let t = text.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty() && frac.is_empty()
            || int.len() > 13
            || frac.len() > 2
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let kr: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let ore: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        let v = kr * 100 + ore;
        Some(Amount(if neg { -v } else { v }))
    }

    /// In millions of kronor.
    pub fn mnkr(self) -> f64 {
        self.0 as f64 / 100_000_000.0
    }

    /// `−8,8`: mnkr with one decimal, the minus sign U+2212 and no-break spaces in
    /// thousands, as the reports print them.
    pub fn format_mnkr(self) -> String {
        // Rounded on the exact öre, half away from zero (11,45 → 11,5), never on a binary
        // fraction (11,45 as f64 is 11,4499…).
        const TENTH: i64 = 10_000_000;
        let tenths = (self.0.unsigned_abs() + TENTH as u64 / 2) / TENTH as u64;
        let signed = if self.0 < 0 {
            -(tenths as f64)
        } else {
            tenths as f64
        };
        format_sv(signed / 10.0, 1)
    }

    /// `−8,8 mnkr` below a million as tkr or kr, for sentences.
    pub fn format_words(self) -> String {
        let abs = self.0.abs();
        if abs >= 100_000_000 {
            format!("{} mnkr", self.format_mnkr())
        } else if abs >= 100_000 {
            format!("{} tkr", format_sv(self.0 as f64 / 100_000.0, 0))
        } else {
            format!("{} kr", format_sv(self.0 as f64 / 100.0, 0))
        }
    }

    pub fn abs(self) -> Amount {
        Amount(self.0.abs())
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, o: Amount) -> Amount {
        Amount(self.0.saturating_add(o.0))
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, o: Amount) -> Amount {
        Amount(self.0.saturating_sub(o.0))
    }
}

impl std::ops::AddAssign for Amount {
    fn add_assign(&mut self, o: Amount) {
        *self = *self + o;
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

/// Sums the present values; `None` when none is present (an empty cell stays empty).
pub fn sum_present(values: impl IntoIterator<Item = Option<Amount>>) -> Option<Amount> {
    values.into_iter().fold(None, |acc, v| match (acc, v) {
        (None, v) => v,
        (a, None) => a,
        (Some(a), Some(b)) => Some(a + b),
    })
}

/// Avvikelse: outcome − budget (positive is favourable), when both are known.
pub fn deviation(budget: Option<Amount>, outcome: Option<Amount>) -> Option<Amount> {
    Some(outcome? - budget?)
}

/// Why a change to the economy (budget lines, cost types, investments, carry-overs,
/// grants) was refused. Messages in `messages::economy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EconomyRefusal {
    /// A required field (named) left empty.
    Required(&'static str),
    /// A text over its limit (named).
    TooLong(&'static str),
    /// An amount that is not a number of kronor to the öre (as written).
    BadAmount(String),
    /// A date that is not a valid ISO date (field named).
    BadDate(&'static str),
    /// A code or name already used (given).
    Duplicate(String),
    /// An account range that is not `from–to` with 4-digit accounts, from ≤ to.
    BadAccountRange(String),
    /// A forecast without the date it was made.
    ForecastWithoutDate,
    /// A budget line's period is a week (budgets are by year, tertial or month).
    BadPeriod,
    /// A node of the investments tree typing a value its children already carry (the
    /// node's name and the measure's Swedish name): sums are derived, never typed.
    TypedTotal(String, &'static str),
    /// A node that would become its own ancestor.
    ParentCycle,
    /// A share outside 0–100 %.
    ShareOutOfRange,
    /// A tolerance that is negative or, in per cent, over 100.
    BadTolerance,
    /// An equity cap outside 0–100 %.
    BadCap,
    /// An allocation's target missing: a unit, area, duty, commitment or recipient.
    AllocationTarget,
    /// Spend recorded against an allocation of another grant.
    WrongGrant,
    /// A line of a bulk replacement (a ledger import) outside the units and year it
    /// replaces (the line's unit id and period).
    OutsideImport(Id, String),
}

pub(crate) fn required(text: &str, what: &'static str) -> Result<(), EconomyRefusal> {
    if text.trim().is_empty() {
        Err(EconomyRefusal::Required(what))
    } else {
        short(text, what)
    }
}

pub(crate) fn short(text: &str, what: &'static str) -> Result<(), EconomyRefusal> {
    if text.chars().count() > MAX_NAME_CHARS {
        Err(EconomyRefusal::TooLong(what))
    } else {
        Ok(())
    }
}

pub(crate) fn long(text: &str, what: &'static str) -> Result<(), EconomyRefusal> {
    if text.chars().count() > MAX_TEXT_CHARS {
        Err(EconomyRefusal::TooLong(what))
    } else {
        Ok(())
    }
}

pub(crate) fn date(d: Option<&str>, what: &'static str) -> Result<(), EconomyRefusal> {
    match d {
        Some(d) if crate::date::parse_iso_date(d).is_err() => Err(EconomyRefusal::BadDate(what)),
        _ => Ok(()),
    }
}

fn amount_ok(a: Option<Amount>) -> Result<(), EconomyRefusal> {
    match a {
        Some(Amount(v)) if v.abs() > MAX_KRONOR * 100 => {
            Err(EconomyRefusal::BadAmount(Amount(v).format_mnkr()))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Cost types and the account plan
// ---------------------------------------------------------------------------------------

/// Where a cost type sums in the operating statement (seed 004's "Driftredovisning").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostGroup {
    /// Verksamhetens intäkter.
    Revenue,
    /// Personalkostnader, netto (staff costs and salaries charged to investments).
    Staff,
    /// The other costs of Verksamhetens kostnader.
    Cost,
    /// Finansiella poster (below the operating result).
    Financial,
}

impl CostGroup {
    /// The label of the group's sum row in the operating statement.
    pub fn sum_label_sv(self) -> &'static str {
        match self {
            CostGroup::Revenue => "Summa verksamhetens intäkter",
            CostGroup::Staff => "Summa personalkostnader, netto",
            CostGroup::Cost => "Summa övriga verksamhetskostnader",
            CostGroup::Financial => "Summa finansiella poster",
        }
    }
}

coded_enum!(CostGroup {
    Revenue = "intakter", "Verksamhetens intäkter";
    Staff = "personal", "Personalkostnader, netto";
    Cost = "kostnader", "Övriga kostnader";
    Financial = "finansiella", "Finansiella poster";
});

/// An inclusive range of account numbers of the account plan (BAS: `5000–5999`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AccountRange {
    pub from: u32,
    pub to: u32,
}

impl AccountRange {
    /// `5000-5999`, `5000–5999` or one account `4010`.
    pub fn parse(text: &str) -> Result<AccountRange, EconomyRefusal> {
        let bad = || EconomyRefusal::BadAccountRange(text.trim().to_string());
        let t = text.trim();
        let (a, b) = t
            .split_once(['-', '–'])
            .map(|(a, b)| (a.trim(), b.trim()))
            .unwrap_or((t, t));
        let acc = |s: &str| -> Option<u32> {
            (s.len() >= 4 && s.len() <= 6 && s.bytes().all(|c| c.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let (from, to) = (acc(a).ok_or_else(bad)?, acc(b).ok_or_else(bad)?);
        if from > to {
            return Err(bad());
        }
        Ok(AccountRange { from, to })
    }

    pub fn contains(self, account: u32) -> bool {
        (self.from..=self.to).contains(&account)
    }

    pub fn width(self) -> u32 {
        self.to - self.from
    }

    /// `5000–5999`.
    pub fn label(self) -> String {
        if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{}–{}", self.from, self.to)
        }
    }
}

/// A cost type (kostnadsslag) of the report, with the accounts it collects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostType {
    pub id: Id,
    /// Short code used in files ("personal").
    pub code: String,
    /// "Personalkostnader".
    pub name: String,
    pub group: CostGroup,
    pub position: i64,
    pub ranges: Vec<AccountRange>,
}

/// Checks a cost type against the others.
pub fn validate_cost_type(c: &CostType, others: &[CostType]) -> Result<(), EconomyRefusal> {
    required(&c.code, "code")?;
    required(&c.name, "name")?;
    if others
        .iter()
        .any(|o| o.id != c.id && (o.code == c.code.trim() || o.name == c.name.trim()))
    {
        return Err(EconomyRefusal::Duplicate(c.name.clone()));
    }
    Ok(())
}

/// The account plan: which cost type an account belongs to. The narrowest range that
/// holds the account wins, so `4010` inside `4000–4999` can go elsewhere.
#[derive(Debug, Clone, Default)]
pub struct AccountPlan {
    ranges: Vec<(AccountRange, Id)>,
}

impl AccountPlan {
    pub fn new(cost_types: &[CostType]) -> AccountPlan {
        let mut ranges: Vec<(AccountRange, Id)> = cost_types
            .iter()
            .flat_map(|c| c.ranges.iter().map(move |r| (*r, c.id)))
            .collect();
        ranges.sort_by_key(|(r, _)| r.width());
        AccountPlan { ranges }
    }

    /// The cost type of an account, if the plan maps it.
    pub fn cost_type_of(&self, account: u32) -> Option<Id> {
        self.ranges
            .iter()
            .find(|(r, _)| r.contains(account))
            .map(|(_, id)| *id)
    }

    /// Accounts a balance-sheet account (class 1–2) that operating reports leave out.
    pub fn is_balance_account(account: u32) -> bool {
        let first = account
            .to_string()
            .bytes()
            .next()
            .map(|b| b - b'0')
            .unwrap_or(0);
        first == 1 || first == 2
    }
}

// ---------------------------------------------------------------------------------------
// Budget lines
// ---------------------------------------------------------------------------------------

/// What a budget line's amount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Budget,
    /// Bokslut / utfall.
    Outcome,
    /// Helårsprognos, made on a date.
    Forecast,
}

coded_enum!(LineKind {
    Budget = "budget", "Budget";
    Outcome = "utfall", "Utfall";
    Forecast = "prognos", "Prognos";
});

/// A leaf of the budget: one unit (ansvar), optionally one cost type, one period, one kind.
///
/// A line without a cost type is the unit's net ("Driftbudget per verksamhet/ansvar"):
/// a board's statement by unit then uses those, and its statement by cost type the lines
/// with one; [`Statements::agree`] compares the two totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLine {
    pub id: Id,
    pub unit_id: Id,
    pub cost_type_id: Option<Id>,
    /// Year, tertial or month.
    pub period: Period,
    pub kind: LineKind,
    pub amount: Amount,
    /// The date a forecast was made (required for forecasts, absent otherwise).
    pub forecast_on: Option<String>,
    /// An area the line concerns (Grantorp, Skogås).
    pub area: Option<String>,
}

/// Checks a budget line.
pub fn validate_line(l: &BudgetLine) -> Result<(), EconomyRefusal> {
    if matches!(l.period, Period::Week(..)) {
        return Err(EconomyRefusal::BadPeriod);
    }
    match (l.kind, &l.forecast_on) {
        (LineKind::Forecast, None) => return Err(EconomyRefusal::ForecastWithoutDate),
        (_, d) => date(d.as_deref(), "forecast_on")?,
    }
    if let Some(a) = &l.area {
        short(a, "area")?;
    }
    amount_ok(Some(l.amount))
}

/// The explanation of a unit's deviation in a year (per cost type, or for the unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub unit_id: Id,
    pub year: i32,
    pub cost_type_id: Option<Id>,
    pub text: String,
}

pub fn validate_explanation(e: &Explanation) -> Result<(), EconomyRefusal> {
    long(&e.text, "text")
}

/// One row's figures: budget, outcome, deviation (derived), last year's outcome, and the
/// latest forecast with its date.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Figures {
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
    pub deviation: Option<Amount>,
    pub last_year: Option<Amount>,
    pub forecast: Option<Amount>,
    pub forecast_on: Option<String>,
    /// Forecast − budget.
    pub forecast_deviation: Option<Amount>,
}

impl Figures {
    fn derive(mut self) -> Figures {
        self.deviation = deviation(self.budget, self.outcome);
        self.forecast_deviation = deviation(self.budget, self.forecast);
        self
    }

    fn add(&self, o: &Figures) -> Figures {
        let latest = match (&self.forecast_on, &o.forecast_on) {
            (Some(a), Some(b)) => Some(a.max(b).clone()),
            (a, b) => a.clone().or(b.clone()),
        };
        Figures {
            budget: sum_present([self.budget, o.budget]),
            outcome: sum_present([self.outcome, o.outcome]),
            deviation: None,
            last_year: sum_present([self.last_year, o.last_year]),
            forecast: sum_present([self.forecast, o.forecast]),
            forecast_on: latest,
            forecast_deviation: None,
        }
        .derive()
    }
}

/// The latest forecast date of a unit and cost type, with the amounts made on it.
type LatestForecast<'a> = (&'a str, Vec<Amount>);

/// Sums the lines of a year (`year`) and the previous year's outcome into figures. Only
/// the latest forecast counts (by date; per unit and cost type).
pub fn figures<'a>(lines: impl IntoIterator<Item = &'a BudgetLine>, year: i32) -> Figures {
    let mut f = Figures::default();
    let mut forecasts: BTreeMap<(Id, Option<Id>), LatestForecast<'a>> = BTreeMap::new();
    for l in lines {
        let y = l.period.year();
        match l.kind {
            LineKind::Budget if y == year => f.budget = sum_present([f.budget, Some(l.amount)]),
            LineKind::Outcome if y == year => f.outcome = sum_present([f.outcome, Some(l.amount)]),
            LineKind::Outcome if y == year - 1 => {
                f.last_year = sum_present([f.last_year, Some(l.amount)])
            }
            LineKind::Forecast if y == year => {
                let on = l.forecast_on.as_deref().unwrap_or("");
                let e = forecasts
                    .entry((l.unit_id, l.cost_type_id))
                    .or_insert((on, Vec::new()));
                if on > e.0 {
                    *e = (on, Vec::new());
                }
                if on == e.0 {
                    e.1.push(l.amount);
                }
            }
            _ => {}
        }
    }
    for (on, amounts) in forecasts.into_values() {
        f.forecast = sum_present([f.forecast, Some(amounts.into_iter().sum())]);
        if f.forecast_on.as_deref().is_none_or(|d| on > d) {
            f.forecast_on = Some(on.to_string());
        }
    }
    f.derive()
}

/// A row of a statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementRow {
    pub label: String,
    /// 0 for a row, 1 for a "varav" row under it.
    pub depth: u8,
    /// A sum row (Σ).
    pub sum: bool,
    pub unit_id: Option<Id>,
    pub cost_type_id: Option<Id>,
    pub figures: Figures,
    /// The explanation of the row's deviation, where given.
    pub explanation: String,
}

/// A board's economy in a year: the operating statement by cost type and by unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statements {
    pub unit_id: Id,
    pub year: i32,
    pub by_cost_type: Vec<StatementRow>,
    pub by_unit: Vec<StatementRow>,
    /// Årets resultat from the cost types, and from the units.
    pub total_by_cost_type: Figures,
    pub total_by_unit: Figures,
}

/// The most two statement totals may differ and still agree (seed 004's rounding to
/// 0,1 mnkr makes its two tables differ by 0,1).
pub const STATEMENT_TOLERANCE: Amount = Amount(20_000_000);

impl Statements {
    /// Whether the totals by cost type and by unit agree within [`STATEMENT_TOLERANCE`]
    /// (both present), and the differences otherwise (budget, outcome).
    pub fn agree(&self) -> Vec<(&'static str, Amount, Amount)> {
        let pairs = [
            (
                "Budget",
                self.total_by_cost_type.budget,
                self.total_by_unit.budget,
            ),
            (
                "Utfall",
                self.total_by_cost_type.outcome,
                self.total_by_unit.outcome,
            ),
        ];
        pairs
            .into_iter()
            .filter_map(|(what, a, b)| {
                let (a, b) = (a?, b?);
                ((a - b).abs() > STATEMENT_TOLERANCE).then_some((what, a, b))
            })
            .collect()
    }
}

/// The units of the subtree under `root` (itself first), depth-first in position order.
pub fn subtree(units: &[OrgUnit], root: Id) -> Vec<(Id, u8)> {
    let mut out = Vec::new();
    fn walk(units: &[OrgUnit], id: Id, depth: u8, out: &mut Vec<(Id, u8)>) {
        if out.iter().any(|(u, _)| *u == id) || depth > 30 {
            return;
        }
        out.push((id, depth));
        let mut children: Vec<&OrgUnit> =
            units.iter().filter(|u| u.parent_id == Some(id)).collect();
        children.sort_by_key(|u| (u.position, u.name.clone()));
        for c in children {
            walk(units, c.id, depth + 1, out);
        }
    }
    walk(units, root, 0, &mut out);
    out
}

fn sum_row(label: &str, figures: Figures) -> StatementRow {
    StatementRow {
        label: label.into(),
        depth: 0,
        sum: true,
        unit_id: None,
        cost_type_id: None,
        figures,
        explanation: String::new(),
    }
}

/// The statements of board `board` in `year` from the lines of its subtree (this year's
/// and last year's). Sums are derived; explanations attach to their rows.
pub fn statements(
    board: Id,
    year: i32,
    units: &[OrgUnit],
    cost_types: &[CostType],
    lines: &[BudgetLine],
    explanations: &[Explanation],
) -> Statements {
    let tree = subtree(units, board);
    let in_tree: BTreeSet<Id> = tree.iter().map(|(u, _)| *u).collect();
    let lines: Vec<&BudgetLine> = lines
        .iter()
        .filter(|l| in_tree.contains(&l.unit_id))
        .collect();
    let explain = |unit: Option<Id>, ct: Option<Id>| {
        explanations
            .iter()
            .filter(|e| {
                e.year == year && e.cost_type_id == ct && unit.is_none_or(|u| u == e.unit_id)
            })
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    };

    // By cost type, grouped.
    let mut by_cost_type = Vec::new();
    let mut group_totals: Vec<(CostGroup, Figures)> = Vec::new();
    let mut sorted: Vec<&CostType> = cost_types.iter().collect();
    sorted.sort_by_key(|c| (c.group, c.position, c.name.clone()));
    let mut of_cost_type: HashMap<Id, Vec<&BudgetLine>> = HashMap::new();
    for l in lines.iter().copied() {
        if let Some(c) = l.cost_type_id {
            of_cost_type.entry(c).or_default().push(l);
        }
    }
    for group in CostGroup::ALL {
        let members: Vec<&&CostType> = sorted.iter().filter(|c| c.group == *group).collect();
        let mut total = Figures::default();
        let mut any = false;
        for c in members {
            let f = figures(of_cost_type.get(&c.id).into_iter().flatten().copied(), year);
            if f == Figures::default() {
                continue;
            }
            any = true;
            total = total.add(&f);
            by_cost_type.push(StatementRow {
                label: c.name.clone(),
                depth: 0,
                sum: false,
                unit_id: None,
                cost_type_id: Some(c.id),
                figures: f,
                explanation: explain(None, Some(c.id)),
            });
        }
        if any {
            by_cost_type.push(sum_row(group.sum_label_sv(), total.clone()));
            group_totals.push((*group, total));
        }
        // Verksamhetens kostnader: staff (net) and the other costs, as seed 004 sums them.
        let costs: Vec<&Figures> = group_totals
            .iter()
            .filter(|(g, _)| matches!(g, CostGroup::Staff | CostGroup::Cost))
            .map(|(_, f)| f)
            .collect();
        if *group == CostGroup::Cost && costs.len() == 2 {
            let sum = costs[0].add(costs[1]);
            by_cost_type.push(sum_row("Summa verksamhetens kostnader", sum));
        }
    }
    let total_by_cost_type = group_totals
        .iter()
        .fold(Figures::default(), |acc, (_, f)| acc.add(f));

    // By unit: net lines where the board has them, else the typed lines per unit.
    let has_net = lines.iter().any(|l| l.cost_type_id.is_none());
    // Indexed by unit once: a ledger's board holds a million lines and hundreds of units.
    let mut of_unit: HashMap<Id, Vec<&BudgetLine>> = HashMap::new();
    for l in lines
        .iter()
        .copied()
        .filter(|l| l.cost_type_id.is_none() || !has_net)
    {
        of_unit.entry(l.unit_id).or_default().push(l);
    }
    let unit_lines = |u: Id| of_unit.get(&u).into_iter().flatten().copied();
    // A row for each unit with lines of its own (an "ansvar"); units that only group
    // others (a förvaltning) get none, and a row's descendants with rows are its "varav".
    let mut by_unit = Vec::new();
    let mut total_by_unit = Figures::default();
    let has_own: BTreeSet<Id> = tree
        .iter()
        .map(|(u, _)| *u)
        .filter(|u| *u != board && unit_lines(*u).next().is_some())
        .collect();
    let parent_of = |u: Id| units.iter().find(|x| x.id == u).and_then(|x| x.parent_id);
    for (u, _) in tree.iter().copied().filter(|(u, _)| has_own.contains(u)) {
        let mut depth = 0u8;
        let mut at = parent_of(u);
        while let Some(p) = at.filter(|p| *p != board && in_tree.contains(p)) {
            depth += u8::from(has_own.contains(&p));
            at = parent_of(p);
            if depth > 30 {
                break;
            }
        }
        let sub: BTreeSet<Id> = subtree(units, u).into_iter().map(|(x, _)| x).collect();
        let f = figures(sub.iter().flat_map(|s| unit_lines(*s)), year);
        if depth == 0 {
            total_by_unit = total_by_unit.add(&f);
        }
        let name = units
            .iter()
            .find(|x| x.id == u)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        by_unit.push(StatementRow {
            label: if depth > 0 {
                format!("varav {name}")
            } else {
                name
            },
            depth,
            sum: false,
            unit_id: Some(u),
            cost_type_id: None,
            figures: f,
            explanation: explain(Some(u), None),
        });
    }
    // The board's own lines (not on a sub-unit).
    let own = figures(unit_lines(board), year);
    if own != Figures::default() && !by_unit.is_empty() {
        total_by_unit = total_by_unit.add(&own);
        by_unit.push(StatementRow {
            label: "Gemensamt (ej fördelat på ansvar)".into(),
            depth: 0,
            sum: false,
            unit_id: Some(board),
            cost_type_id: None,
            figures: own,
            explanation: explain(Some(board), None),
        });
    } else if by_unit.is_empty() {
        total_by_unit = own;
    }
    Statements {
        unit_id: board,
        year,
        by_cost_type,
        by_unit,
        total_by_cost_type,
        total_by_unit,
    }
}

/// A month's budget and outcome, summed (the chart of budget vs outcome over the months,
/// cumulative). Months without lines are absent; a series ends with its last month with
/// lines (the outcome of a delårsrapport per August is `None` from September on, not
/// August's total carried forward).
pub fn monthly(lines: &[BudgetLine], year: i32) -> Vec<(u8, Option<Amount>, Option<Amount>)> {
    let mut by: BTreeMap<u8, (Option<Amount>, Option<Amount>)> = BTreeMap::new();
    for l in lines {
        if let Period::Month(y, m) = l.period {
            if y != year {
                continue;
            }
            let e = by.entry(m).or_default();
            match l.kind {
                LineKind::Budget => e.0 = sum_present([e.0, Some(l.amount)]),
                LineKind::Outcome => e.1 = sum_present([e.1, Some(l.amount)]),
                LineKind::Forecast => {}
            }
        }
    }
    let last = |f: fn(&(Option<Amount>, Option<Amount>)) -> bool| {
        by.iter().filter(|(_, v)| f(v)).map(|(m, _)| *m).max()
    };
    let (last_b, last_o) = (last(|v| v.0.is_some()), last(|v| v.1.is_some()));
    let (mut b, mut o) = (None, None);
    by.into_iter()
        .map(|(m, (bm, om))| {
            b = sum_present([b, bm]);
            o = sum_present([o, om]);
            let until = |l: Option<u8>, v: Option<Amount>| v.filter(|_| l.is_some_and(|l| m <= l));
            (m, until(last_b, b), until(last_o, o))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Investments
// ---------------------------------------------------------------------------------------

/// Which table of the annual report a tree belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeKind {
    /// Investeringar.
    Investment,
    /// Exploateringsresultat.
    Exploitation,
}

coded_enum!(TreeKind {
    Investment = "investering", "Investeringar";
    Exploitation = "exploatering", "Exploateringsresultat";
});

/// A node of an investment tree (project → programme → total). A value is typed on the
/// level where it is decided; a node whose children carry a value derives it from them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestmentNode {
    pub id: Id,
    /// The board whose investments these are.
    pub unit_id: Id,
    pub year: i32,
    pub kind: TreeKind,
    pub parent_id: Option<Id>,
    /// Project code in the ledger, where there is one.
    pub code: String,
    pub name: String,
    pub position: i64,
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
    pub forecast: Option<Amount>,
    pub forecast_on: Option<String>,
    /// Requested balance carry-over to next year (ombudgetering).
    pub carry_over: Option<Amount>,
    pub areas: Vec<String>,
    pub note: String,
}

/// A measure of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Budget,
    Outcome,
    Forecast,
    CarryOver,
    /// Avvikelse, always derived.
    Deviation,
}

coded_enum!(Measure {
    Budget = "budget", "Budget";
    Outcome = "utfall", "Utfall";
    Forecast = "prognos", "Prognos";
    CarryOver = "overforing", "Överföring";
    Deviation = "avvikelse", "Avvikelse";
});

impl InvestmentNode {
    pub fn value(&self, m: Measure) -> Option<Amount> {
        match m {
            Measure::Budget => self.budget,
            Measure::Outcome => self.outcome,
            Measure::Forecast => self.forecast,
            Measure::CarryOver => self.carry_over,
            Measure::Deviation => None,
        }
    }
}

/// A row of a computed tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeRow {
    pub id: Id,
    pub parent_id: Option<Id>,
    pub depth: u8,
    pub code: String,
    pub name: String,
    pub leaf: bool,
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
    pub deviation: Option<Amount>,
    pub forecast: Option<Amount>,
    pub forecast_on: Option<String>,
    pub carry_over: Option<Amount>,
    /// Unused budget (budget − outcome, as a positive amount to carry over) where both
    /// are known.
    pub unused: Option<Amount>,
    pub areas: Vec<String>,
    pub note: String,
}

impl TreeRow {
    pub fn value(&self, m: Measure) -> Option<Amount> {
        match m {
            Measure::Budget => self.budget,
            Measure::Outcome => self.outcome,
            Measure::Forecast => self.forecast,
            Measure::CarryOver => self.carry_over,
            Measure::Deviation => self.deviation,
        }
    }
}

/// Computes a tree's rows depth-first (position order): each measure is the node's own
/// value, or the sum of its children's where it has none.
pub fn tree_rows(nodes: &[InvestmentNode]) -> Vec<TreeRow> {
    let mut children: HashMap<Option<Id>, Vec<&InvestmentNode>> = HashMap::new();
    for n in nodes {
        children.entry(n.parent_id).or_default().push(n);
    }
    for v in children.values_mut() {
        v.sort_by_key(|n| (n.position, n.id));
    }
    let ids: BTreeSet<Id> = nodes.iter().map(|n| n.id).collect();
    let roots: Vec<&InvestmentNode> = nodes
        .iter()
        .filter(|n| n.parent_id.is_none_or(|p| !ids.contains(&p)))
        .collect();
    let mut out = Vec::new();
    fn walk<'a>(
        n: &'a InvestmentNode,
        depth: u8,
        children: &HashMap<Option<Id>, Vec<&'a InvestmentNode>>,
        seen: &mut BTreeSet<Id>,
        out: &mut Vec<TreeRow>,
    ) -> usize {
        let at = out.len();
        out.push(TreeRow {
            id: n.id,
            parent_id: n.parent_id,
            depth,
            code: n.code.clone(),
            name: n.name.clone(),
            leaf: true,
            budget: n.budget,
            outcome: n.outcome,
            deviation: None,
            forecast: n.forecast,
            forecast_on: n.forecast_on.clone(),
            carry_over: n.carry_over,
            unused: None,
            areas: n.areas.clone(),
            note: n.note.clone(),
        });
        let mut kids = Vec::new();
        if seen.insert(n.id) && depth < 30 {
            for c in children.get(&Some(n.id)).into_iter().flatten() {
                kids.push(walk(c, depth + 1, children, seen, out));
            }
        }
        if !kids.is_empty() {
            let sum = |f: fn(&TreeRow) -> Option<Amount>, out: &Vec<TreeRow>| {
                sum_present(kids.iter().map(|k| f(&out[*k])))
            };
            let b = sum(|r| r.budget, out);
            let o = sum(|r| r.outcome, out);
            let fc = sum(|r| r.forecast, out);
            let co = sum(|r| r.carry_over, out);
            let on = kids
                .iter()
                .filter_map(|k| out[*k].forecast_on.clone())
                .max();
            let row = &mut out[at];
            row.leaf = false;
            row.budget = row.budget.or(b);
            row.outcome = row.outcome.or(o);
            if row.forecast.is_none() {
                row.forecast = fc;
                row.forecast_on = on;
            }
            row.carry_over = row.carry_over.or(co);
        }
        let row = &mut out[at];
        row.deviation = deviation(row.budget, row.outcome);
        row.unused = match (row.budget, row.outcome) {
            (Some(b), Some(o)) if o > b => Some(o - b),
            (Some(_), Some(_)) => Some(Amount::ZERO),
            _ => None,
        };
        at
    }
    let mut seen = BTreeSet::new();
    let mut sorted_roots = roots;
    sorted_roots.sort_by_key(|n| (n.position, n.id));
    for r in sorted_roots {
        walk(r, 0, &children, &mut seen, &mut out);
    }
    out
}

/// Checks a node against the tree it joins: no cycles, and no typed value where its
/// children (or its parent's typing) make it a derived sum.
pub fn validate_node(n: &InvestmentNode, tree: &[InvestmentNode]) -> Result<(), EconomyRefusal> {
    required(&n.name, "name")?;
    short(&n.code, "code")?;
    long(&n.note, "note")?;
    date(n.forecast_on.as_deref(), "forecast_on")?;
    for a in &n.areas {
        short(a, "area")?;
    }
    for m in [n.budget, n.outcome, n.forecast, n.carry_over] {
        amount_ok(m)?;
    }
    if n.forecast.is_some() && n.forecast_on.is_none() {
        return Err(EconomyRefusal::ForecastWithoutDate);
    }
    // Cycle: walk up from the new parent.
    let mut at = n.parent_id;
    let mut steps = 0;
    while let Some(p) = at {
        if p == n.id || steps > 64 {
            return Err(EconomyRefusal::ParentCycle);
        }
        at = tree.iter().find(|x| x.id == p).and_then(|x| x.parent_id);
        steps += 1;
    }
    let measures = [
        Measure::Budget,
        Measure::Outcome,
        Measure::Forecast,
        Measure::CarryOver,
    ];
    // Its descendants typing a value it types too.
    let mut below: Vec<Id> = vec![n.id];
    let mut i = 0;
    while i < below.len() && below.len() < 100_000 {
        let id = below[i];
        below.extend(
            tree.iter()
                .filter(|x| x.parent_id == Some(id) && x.id != n.id)
                .map(|x| x.id),
        );
        i += 1;
    }
    let below: Vec<&InvestmentNode> = tree
        .iter()
        .filter(|x| x.id != n.id && below.contains(&x.id))
        .collect();
    let mut ancestors = Vec::new();
    let mut at = n.parent_id;
    while let Some(p) = at {
        let Some(x) = tree.iter().find(|x| x.id == p) else {
            break;
        };
        ancestors.push(x);
        at = x.parent_id;
        if ancestors.len() > 64 {
            break;
        }
    }
    for m in measures {
        if n.value(m).is_none() {
            continue;
        }
        if below.iter().any(|x| x.value(m).is_some()) {
            return Err(EconomyRefusal::TypedTotal(n.name.clone(), m.label_sv()));
        }
        if let Some(a) = ancestors.iter().find(|a| a.value(m).is_some()) {
            return Err(EconomyRefusal::TypedTotal(a.name.clone(), m.label_sv()));
        }
    }
    Ok(())
}

/// A total typed in a file, to be checked against the rows (the file's row number).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypedTotal {
    pub row: usize,
    /// The node it types (by id after the file's leaves are loaded).
    pub node_id: Id,
    pub measure: Measure,
    /// `None`: the cell is empty (the value is computed; F2's missing 43,9).
    pub value: Option<Amount>,
}

/// A typed total that the rows do not give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalDisagreement {
    pub row: usize,
    pub name: String,
    pub measure: Measure,
    pub typed: Amount,
    pub computed: Option<Amount>,
}

/// Default tolerance for typed totals: the printed figures are rounded to 0,1 mnkr and
/// a sum of eight rounded rows may be 0,2 off (seed 004, E1.1).
pub const TOTALS_TOLERANCE: Amount = Amount(20_000_000);

/// Compares typed totals with what the leaves give. Empty typed cells never disagree.
pub fn check_typed_totals(
    rows: &[TreeRow],
    typed: &[TypedTotal],
    tolerance: Amount,
) -> Vec<TotalDisagreement> {
    typed
        .iter()
        .filter_map(|t| {
            let typed_value = t.value?;
            let row = rows.iter().find(|r| r.id == t.node_id)?;
            let computed = row.value(t.measure);
            let off = computed.is_none_or(|c| (c - typed_value).abs() > tolerance);
            off.then(|| TotalDisagreement {
                row: t.row,
                name: row.name.clone(),
                measure: t.measure,
                typed: typed_value,
                computed,
            })
        })
        .collect()
}

/// What to do with a file whose typed totals disagree with its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalsPolicy {
    /// Refuse the whole file with a row-level report (the default).
    #[default]
    Refuse,
    /// Load the rows, compute the totals and list the disagreements as warnings.
    Flag,
}

coded_enum!(TotalsPolicy {
    Refuse = "avvisa", "Avvisa filen";
    Flag = "flagga", "Läs in och flagga";
});

// ---------------------------------------------------------------------------------------
// Carry-overs and equity
// ---------------------------------------------------------------------------------------

/// A requested balance carry-over of an investment project to next year
/// ("Saldoöverföringar till 2020").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarryOver {
    pub id: Id,
    pub unit_id: Id,
    /// The year the money was budgeted (carried into `year + 1`).
    pub year: i32,
    /// The group it sums under ("Samhällsbyggnadsinvesteringar").
    pub group: String,
    pub project: String,
    pub position: i64,
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
    pub transfer: Option<Amount>,
}

pub fn validate_carry_over(c: &CarryOver) -> Result<(), EconomyRefusal> {
    required(&c.group, "group")?;
    required(&c.project, "project")?;
    for a in [c.budget, c.outcome, c.transfer] {
        amount_ok(a)?;
    }
    Ok(())
}

/// A group of carry-overs with its derived sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarryOverGroup {
    pub group: String,
    pub rows: Vec<CarryOver>,
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
    pub transfer: Option<Amount>,
}

/// The carry-overs of a board's year, grouped, with the total, and the rows that ask to
/// carry over more than they left unused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarryOvers {
    pub groups: Vec<CarryOverGroup>,
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
    pub transfer: Option<Amount>,
    pub over_unused: Vec<String>,
}

pub fn carry_overs(rows: &[CarryOver]) -> CarryOvers {
    let mut order: Vec<String> = Vec::new();
    let mut sorted: Vec<&CarryOver> = rows.iter().collect();
    sorted.sort_by_key(|c| (c.position, c.id));
    for c in &sorted {
        if !order.contains(&c.group) {
            order.push(c.group.clone());
        }
    }
    let groups: Vec<CarryOverGroup> = order
        .into_iter()
        .map(|g| {
            let rows: Vec<CarryOver> = sorted
                .iter()
                .filter(|c| c.group == g)
                .map(|c| (*c).clone())
                .collect();
            CarryOverGroup {
                budget: sum_present(rows.iter().map(|r| r.budget)),
                outcome: sum_present(rows.iter().map(|r| r.outcome)),
                transfer: sum_present(rows.iter().map(|r| r.transfer)),
                group: g,
                rows,
            }
        })
        .collect();
    let over_unused = sorted
        .iter()
        .filter(|c| match (c.budget, c.outcome, c.transfer) {
            // Costs are negative: unused = outcome − budget.
            (Some(b), Some(o), Some(t)) => t > (o - b) + Amount(5_000_000),
            _ => false,
        })
        .map(|c| c.project.clone())
        .collect();
    CarryOvers {
        budget: sum_present(groups.iter().map(|g| g.budget)),
        outcome: sum_present(groups.iter().map(|g| g.outcome)),
        transfer: sum_present(groups.iter().map(|g| g.transfer)),
        groups,
        over_unused,
    }
}

/// A board's equity settings and requests for a year: the cap on equity (a share of the
/// budget turnover, 3 % in Huddinge), the opening balance, withdrawals, and what the board
/// requests in words (the 28,7 mnkr of a table summing 33,5: F5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquityYear {
    pub unit_id: Id,
    pub year: i32,
    /// Cap in per mille of the budget turnover (30 = 3 %).
    pub cap_permille: u32,
    /// IB eget kapital.
    pub opening: Option<Amount>,
    /// Uttag ur eget kapital.
    pub withdrawal: Amount,
    /// Carry-over the board requests in its text, where it differs from the table.
    pub requested_carry_over: Option<Amount>,
    /// Why the request differs from the table.
    pub reconciliation: String,
}

pub fn validate_equity(e: &EquityYear) -> Result<(), EconomyRefusal> {
    if e.cap_permille > 1000 {
        return Err(EconomyRefusal::BadCap);
    }
    long(&e.reconciliation, "reconciliation")?;
    for a in [e.opening, Some(e.withdrawal), e.requested_carry_over] {
        amount_ok(a)?;
    }
    Ok(())
}

/// The equity rule computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equity {
    pub opening: Option<Amount>,
    /// Årets resultat mot budget (the deviation).
    pub result: Option<Amount>,
    pub withdrawal: Amount,
    /// Cap: share × budget turnover (|net budget|).
    pub cap: Option<Amount>,
    /// UB eget kapital: min(opening + result − withdrawal, cap).
    pub closing: Option<Amount>,
    /// Closing − opening: the result transfer the board requests.
    pub transfer: Option<Amount>,
    /// The part of the result above the cap, which is lost.
    pub forfeited: Option<Amount>,
    /// Closing equity is negative: the deficit must be restored.
    pub negative: bool,
}

pub fn equity(e: &EquityYear, total: &Figures) -> Equity {
    let result = total.deviation;
    let cap = total
        .budget
        .map(|b| Amount(((b.0.abs() as i128 * e.cap_permille as i128) / 1000) as i64));
    let uncapped = match (e.opening, result) {
        (Some(o), Some(r)) => Some(o + r - e.withdrawal),
        _ => None,
    };
    let closing = match (uncapped, cap) {
        (Some(u), Some(c)) => Some(u.min(c)),
        (u, _) => u,
    };
    Equity {
        opening: e.opening,
        result,
        withdrawal: e.withdrawal,
        cap,
        closing,
        transfer: deviation(e.opening, closing),
        forfeited: match (uncapped, closing) {
            (Some(u), Some(c)) if u > c => Some(u - c),
            _ => None,
        },
        negative: closing.is_some_and(|c| c.0 < 0),
    }
}

// ---------------------------------------------------------------------------------------
// Deviations
// ---------------------------------------------------------------------------------------

/// How far a unit's outcome or forecast may fall below budget before it is a deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Tolerance {
    /// An amount (öre).
    Amount(Amount),
    /// Per mille of the budget's magnitude (10 = 1 %).
    Permille(u32),
}

/// The default tolerance: 1 % of the budget.
pub const DEFAULT_TOLERANCE: Tolerance = Tolerance::Permille(10);

impl Tolerance {
    pub fn validate(self) -> Result<(), EconomyRefusal> {
        match self {
            Tolerance::Amount(a) if a.0 < 0 => Err(EconomyRefusal::BadTolerance),
            Tolerance::Permille(p) if p > 1000 => Err(EconomyRefusal::BadTolerance),
            _ => Ok(()),
        }
    }

    /// The allowed shortfall on `budget`.
    pub fn allowed(self, budget: Amount) -> Amount {
        match self {
            Tolerance::Amount(a) => a,
            Tolerance::Permille(p) => Amount(((budget.0.abs() as i128 * p as i128) / 1000) as i64),
        }
    }

    /// `1 %` or `0,5 mnkr`.
    pub fn label(self) -> String {
        match self {
            Tolerance::Amount(a) => a.format_words(),
            Tolerance::Permille(p) => {
                format!("{} %", format_sv(p as f64 / 10.0, 1).trim_end_matches(",0"))
            }
        }
    }
}

/// Cause key of a budget deviation of a unit in a year (outcome or forecast).
pub fn budget_key(unit: Id, year: i32, kind: LineKind) -> String {
    format!("budget:{unit}:{year}:{}", kind.code())
}

/// The figures of a set of units (a unit with its "varav" units): their net lines (no
/// cost type) where they have any, else all their lines.
pub fn unit_figures(units: &BTreeSet<Id>, lines: &[BudgetLine], year: i32) -> Figures {
    let mine = || lines.iter().filter(|l| units.contains(&l.unit_id));
    let has_net = mine().any(|l| l.cost_type_id.is_none());
    figures(
        mine().filter(|l| l.cost_type_id.is_none() || !has_net),
        year,
    )
}

/// The deviations the economy raises for `year`: for each unit with lines (and each
/// board, on its total), an outcome
/// below budget by more than its tolerance, and (before the outcome is known) a latest
/// forecast below budget by more than it. A unit's row includes its "varav" units.
pub fn deviation_candidates(
    units: &[OrgUnit],
    lines: &[BudgetLine],
    tolerances: &BTreeMap<Id, Tolerance>,
    year: i32,
) -> Vec<NewDeviation> {
    let mut with_lines: BTreeSet<Id> = BTreeSet::new();
    for l in lines.iter().filter(|l| l.period.year() == year) {
        with_lines.insert(l.unit_id);
    }
    let mut out = Vec::new();
    // Units with lines of their own (each "ansvar") and boards (their total); a unit
    // that only groups others raises nothing of its own.
    let board = |u: &OrgUnit| matches!(u.kind, OrgKind::Styrelse | OrgKind::Namnd);
    for unit in units {
        let sub: BTreeSet<Id> = subtree(units, unit.id)
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        let counts = with_lines.contains(&unit.id)
            || (board(unit) && sub.iter().any(|u| with_lines.contains(u)));
        if !counts {
            continue;
        }
        let f = unit_figures(&sub, lines, year);
        let tol = tolerances
            .get(&unit.id)
            .copied()
            .unwrap_or(DEFAULT_TOLERANCE);
        let Some(budget) = f.budget else { continue };
        let allowed = tol.allowed(budget);
        let below = |d: Option<Amount>| d.filter(|d| d.0 < 0 && d.abs() > allowed);
        if let Some(d) = below(f.deviation) {
            out.push(NewDeviation {
                org_id: unit.id,
                area: None,
                source: Source::Budget,
                severity: Severity::High,
                period: Period::Year(year),
                description: format!(
                    "{}: utfallet {} mnkr avviker med {} mnkr från budget {} mnkr (tolerans {}).",
                    unit.name,
                    f.outcome.unwrap_or_default().format_mnkr(),
                    d.format_mnkr(),
                    budget.format_mnkr(),
                    tol.label()
                ),
                cause_key: Some(budget_key(unit.id, year, LineKind::Outcome)),
            });
        } else if f.outcome.is_none() {
            if let Some(d) = below(f.forecast_deviation) {
                out.push(NewDeviation {
                    org_id: unit.id,
                    area: None,
                    source: Source::Budget,
                    severity: Severity::Medium,
                    period: Period::Year(year),
                    description: format!(
                        "{}: prognosen {} mnkr ({}) pekar på en avvikelse på {} mnkr mot budget {} mnkr.",
                        unit.name,
                        f.forecast.unwrap_or_default().format_mnkr(),
                        f.forecast_on.clone().unwrap_or_default(),
                        d.format_mnkr(),
                        budget.format_mnkr()
                    ),
                    cause_key: Some(budget_key(unit.id, year, LineKind::Forecast)),
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Settings, the ledger mapping and a board's economy as a whole
// ---------------------------------------------------------------------------------------

/// The municipality's economy settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EconomySettings {
    /// The ledger dimension (`#DIM`) that is the responsibility unit (ansvar).
    pub ledger_dimension: u32,
    pub totals_policy: TotalsPolicy,
    pub totals_tolerance: Amount,
}

impl Default for EconomySettings {
    fn default() -> Self {
        EconomySettings {
            ledger_dimension: 1,
            totals_policy: TotalsPolicy::Refuse,
            totals_tolerance: TOTALS_TOLERANCE,
        }
    }
}

/// An object of the ledger's responsibility dimension mapped to a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerUnit {
    pub object_code: String,
    pub unit_id: Id,
    pub ledger_name: String,
}

/// A board's economy in a year, computed: what the board page, the report chapter and
/// the API show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardEconomy {
    pub unit_id: Id,
    pub year: i32,
    pub statements: Statements,
    /// The totals by cost type and by unit that disagree (what, by cost type, by unit).
    pub disagreements: Vec<(&'static str, Amount, Amount)>,
    pub investments: Vec<TreeRow>,
    pub exploitation: Vec<TreeRow>,
    pub carry_overs: CarryOvers,
    pub equity_year: Option<EquityYear>,
    pub equity: Option<Equity>,
    /// Cumulative budget and outcome per month (the chart and its table).
    pub monthly: Vec<(u8, Option<Amount>, Option<Amount>)>,
}

impl BoardEconomy {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.statements.by_cost_type.is_empty()
            && self.statements.by_unit.is_empty()
            && self.investments.is_empty()
            && self.exploitation.is_empty()
            && self.carry_overs.groups.is_empty()
            && self.equity_year.is_none()
    }
}

/// What [`board_economy`] computes from.
pub struct EconomyInputs<'a> {
    pub units: &'a [OrgUnit],
    pub cost_types: &'a [CostType],
    /// The lines of the board's subtree for the year and the year before.
    pub lines: &'a [BudgetLine],
    pub explanations: &'a [Explanation],
    /// The board's investment nodes of the year (both kinds).
    pub nodes: &'a [InvestmentNode],
    pub carry_overs: &'a [CarryOver],
    pub equity_year: Option<EquityYear>,
}

/// Computes a board's economy in a year.
pub fn board_economy(board: Id, year: i32, i: EconomyInputs<'_>) -> BoardEconomy {
    let statements = statements(board, year, i.units, i.cost_types, i.lines, i.explanations);
    let of_kind = |k: TreeKind| {
        let nodes: Vec<InvestmentNode> = i
            .nodes
            .iter()
            .filter(|n| n.kind == k && n.year == year && n.unit_id == board)
            .cloned()
            .collect();
        tree_rows(&nodes)
    };
    let total = if statements.total_by_unit.budget.is_some() {
        statements.total_by_unit.clone()
    } else {
        statements.total_by_cost_type.clone()
    };
    let equity = i.equity_year.as_ref().map(|e| equity(e, &total));
    let sub: BTreeSet<Id> = subtree(i.units, board)
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let net: Vec<BudgetLine> = {
        let mine: Vec<&BudgetLine> = i
            .lines
            .iter()
            .filter(|l| sub.contains(&l.unit_id))
            .collect();
        let has_net = mine.iter().any(|l| l.cost_type_id.is_none());
        mine.into_iter()
            .filter(|l| l.cost_type_id.is_none() || !has_net)
            .cloned()
            .collect()
    };
    BoardEconomy {
        unit_id: board,
        year,
        disagreements: statements.agree(),
        statements,
        investments: of_kind(TreeKind::Investment),
        exploitation: of_kind(TreeKind::Exploitation),
        carry_overs: carry_overs(
            &i.carry_overs
                .iter()
                .filter(|c| c.unit_id == board && c.year == year)
                .cloned()
                .collect::<Vec<_>>(),
        ),
        equity_year: i.equity_year,
        equity,
        monthly: monthly(&net, year),
    }
}

#[cfg(test)]
mod tests;
