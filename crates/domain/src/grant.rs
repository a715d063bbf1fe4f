//! Grants traced to what they paid for (`DOMAIN-MODULES.md` E1.10, E3): a [`Grant`] the
//! municipality receives (statsbidrag, the Lag 2023:196 grant, segregation money) or gives
//! (föreningsbidrag), its amounts per year, its [`Allocation`]s by decision (body, date, §)
//! to units, areas, duties or recipients with the share the grant finances, and the
//! [`Spend`] recorded against each allocation.
//!
//! [`summary`] gives received → allocated → spent per year; [`flags`] what the audits
//! found untraceable ("andel bidragsfinansierad okänd", an allocation without an amount,
//! a half year that is not half of the full year: F18); [`deviation_candidates`] raises
//! money received but not allocated by the date the municipality set, and allocations
//! whose grant share is unknown.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::area::coded_enum;
use crate::deviation::{NewDeviation, Severity, Source};
use crate::economy::{date, long, required, short, sum_present, Amount, EconomyRefusal};
use crate::model::Id;
use crate::period::Period;

/// Whether the municipality receives or gives the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Received,
    /// Föreningsbidrag and other grants the municipality gives.
    Given,
}

coded_enum!(Direction {
    Received = "mottaget", "Mottaget bidrag";
    Given = "lamnat", "Lämnat bidrag";
});

/// How bound the money is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// Generellt: the recipient decides its use (the Lag 2023:196 grant).
    General,
    /// Riktat / öronmärkt by the grantor.
    Earmarked,
    /// A general grant the municipality itself earmarked (T-10 of seed 002).
    InternalEarmark,
    /// Not stated in the source.
    Unknown,
}

coded_enum!(GrantKind {
    General = "generellt", "Generellt bidrag";
    Earmarked = "riktat", "Riktat bidrag";
    InternalEarmark = "internt_oronmarkt", "Internt öronmärkt";
    Unknown = "okant", "Ej angivet";
});

/// A grant's amount in a year, as received or decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantYear {
    pub year: i32,
    /// `None`: the source gives no amount.
    pub amount: Option<Amount>,
    /// Received on (ISO date).
    pub received_on: Option<String>,
    /// The figure as the source words it ("ca 2,4 mnkr").
    pub quoted: String,
    /// The amount covers half the year (the grant started mid-year).
    pub half_year: bool,
}

/// A grant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grant {
    pub id: Id,
    /// "G-LAG2023".
    pub code: String,
    pub name: String,
    pub direction: Direction,
    /// Staten, Länsstyrelsen, the municipality (KF).
    pub grantor: String,
    /// Lag (2023:196), förordning, KF's rules.
    pub legal_basis: String,
    pub kind: GrantKind,
    /// "21 kr per invånare (befolkning 2021)".
    pub formula: String,
    /// Reporting duty to the grantor (to whom, when); empty: none stated.
    pub reporting_duty: String,
    /// The board that receives (or gives) it.
    pub unit_id: Option<Id>,
    /// The date by which the money must be allocated (the municipality's own rule).
    pub allocate_by: Option<String>,
    /// Rules for a grant the municipality gives ("Riktlinjer för bidragsgivning").
    pub rules: String,
    pub note: String,
    /// Source reference ("002:605-618").
    pub source: String,
    pub years: Vec<GrantYear>,
}

pub fn validate_grant(g: &Grant, others: &[Grant]) -> Result<(), EconomyRefusal> {
    required(&g.code, "code")?;
    required(&g.name, "name")?;
    for (t, w) in [
        (&g.grantor, "grantor"),
        (&g.legal_basis, "legal_basis"),
        (&g.formula, "formula"),
        (&g.source, "source"),
    ] {
        short(t, w)?;
    }
    for (t, w) in [
        (&g.reporting_duty, "reporting_duty"),
        (&g.rules, "rules"),
        (&g.note, "note"),
    ] {
        long(t, w)?;
    }
    date(g.allocate_by.as_deref(), "allocate_by")?;
    let mut seen = BTreeSet::new();
    for y in &g.years {
        if !seen.insert(y.year) {
            return Err(EconomyRefusal::Duplicate(y.year.to_string()));
        }
        date(y.received_on.as_deref(), "received_on")?;
        short(&y.quoted, "quoted")?;
    }
    if others
        .iter()
        .any(|o| o.id != g.id && o.code.trim() == g.code.trim())
    {
        return Err(EconomyRefusal::Duplicate(g.code.clone()));
    }
    Ok(())
}

/// How much of an allocation the grant finances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "permille")]
pub enum GrantShare {
    /// The decision says: per mille of the allocation (1000 = all of it).
    Known(u32),
    /// The decision does not say ("framkommer inte").
    Unknown,
}

impl GrantShare {
    /// `100 %`, `40 %`, `okänd`.
    pub fn label(self) -> String {
        match self {
            GrantShare::Known(p) => format!(
                "{} %",
                crate::number::format_sv(p as f64 / 10.0, 1).trim_end_matches(",0")
            ),
            GrantShare::Unknown => "okänd".into(),
        }
    }
}

/// The decision behind an allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DecisionRef {
    /// "KS", "kommunkoncernens ledningsgrupp".
    pub body: String,
    pub date: Option<String>,
    /// "§ 123".
    pub paragraph: String,
    /// Diarienummer.
    pub case_ref: String,
}

/// The follow-up of how a recipient used a grant the municipality gave (seed 003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UseFollowUp {
    pub date: String,
    pub status: UseStatus,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UseStatus {
    /// Accounted for as granted.
    Accounted,
    /// Accounted for with shortcomings.
    Shortcomings,
    /// Not accounted for.
    NotAccounted,
}

coded_enum!(UseStatus {
    Accounted = "redovisad", "Redovisad enligt beslut";
    Shortcomings = "brister", "Redovisad med brister";
    NotAccounted = "ej_redovisad", "Ej redovisad";
});

/// An allocation of a grant by a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    pub id: Id,
    pub grant_id: Id,
    pub year: i32,
    pub decision: DecisionRef,
    /// What it pays for ("trygghetsskapande insatser").
    pub purpose: String,
    /// The amount of the decision; `None` when the source gives none.
    pub amount: Option<Amount>,
    pub share: GrantShare,
    /// To a unit (board, förvaltning).
    pub unit_id: Option<Id>,
    /// To an area.
    pub area: Option<String>,
    /// To a statutory duty it serves.
    pub obligation_id: Option<Id>,
    /// To a development commitment or action.
    pub commitment_id: Option<Id>,
    /// The situation report it rests on (E3.4: resources tied to needs).
    pub situation_report_id: Option<Id>,
    /// To an association (a grant the municipality gives).
    pub recipient: String,
    pub follow_up: Option<UseFollowUp>,
}

impl Allocation {
    /// The part of the amount the grant finances, when both are known.
    pub fn grant_part(&self) -> Option<Amount> {
        match (self.amount, self.share) {
            (Some(a), GrantShare::Known(p)) => {
                Some(Amount(((a.0 as i128 * p as i128) / 1000) as i64))
            }
            _ => None,
        }
    }
}

pub fn validate_allocation(a: &Allocation) -> Result<(), EconomyRefusal> {
    required(&a.decision.body, "decision_body")?;
    date(a.decision.date.as_deref(), "decision_date")?;
    short(&a.decision.paragraph, "paragraph")?;
    short(&a.decision.case_ref, "case_ref")?;
    long(&a.purpose, "purpose")?;
    short(&a.recipient, "recipient")?;
    if let Some(ar) = &a.area {
        short(ar, "area")?;
    }
    if let GrantShare::Known(p) = a.share {
        if p > 1000 {
            return Err(EconomyRefusal::ShareOutOfRange);
        }
    }
    if a.unit_id.is_none()
        && a.area.as_deref().is_none_or(|s| s.trim().is_empty())
        && a.obligation_id.is_none()
        && a.commitment_id.is_none()
        && a.recipient.trim().is_empty()
        && a.purpose.trim().is_empty()
    {
        return Err(EconomyRefusal::AllocationTarget);
    }
    if let Some(f) = &a.follow_up {
        date(Some(&f.date), "follow_up_date")?;
        long(&f.text, "follow_up")?;
    }
    Ok(())
}

/// Money spent against an allocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spend {
    pub id: Id,
    pub allocation_id: Id,
    pub period: Period,
    pub amount: Amount,
    /// Project code or budget line it was booked on.
    pub booked_on: String,
    pub note: String,
}

pub fn validate_spend(s: &Spend, allocation: &Allocation, grant: Id) -> Result<(), EconomyRefusal> {
    if allocation.grant_id != grant || s.allocation_id != allocation.id {
        return Err(EconomyRefusal::WrongGrant);
    }
    if matches!(s.period, Period::Week(..)) {
        return Err(EconomyRefusal::BadPeriod);
    }
    short(&s.booked_on, "booked_on")?;
    long(&s.note, "note")
}

/// Received → allocated → spent of a grant in a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearSummary {
    pub year: i32,
    pub received: Option<Amount>,
    /// Sum of the allocations with an amount.
    pub allocated: Option<Amount>,
    /// Allocations without an amount.
    pub allocations_without_amount: usize,
    /// Sum of the grant-financed parts where the share is known.
    pub grant_financed: Option<Amount>,
    /// Allocations whose grant share is unknown.
    pub share_unknown: usize,
    pub spent: Option<Amount>,
    /// Received − allocated.
    pub unallocated: Option<Amount>,
    /// Allocated − spent.
    pub unspent: Option<Amount>,
}

/// The years of a grant (its amounts' and its allocations').
pub fn summary(g: &Grant, allocations: &[Allocation], spend: &[Spend]) -> Vec<YearSummary> {
    let mine: Vec<&Allocation> = allocations.iter().filter(|a| a.grant_id == g.id).collect();
    let mut years: BTreeSet<i32> = g.years.iter().map(|y| y.year).collect();
    years.extend(mine.iter().map(|a| a.year));
    years
        .into_iter()
        .map(|year| {
            let of_year: Vec<&&Allocation> = mine.iter().filter(|a| a.year == year).collect();
            let ids: BTreeSet<Id> = of_year.iter().map(|a| a.id).collect();
            let received = g
                .years
                .iter()
                .find(|y| y.year == year)
                .and_then(|y| y.amount);
            let allocated = sum_present(of_year.iter().map(|a| a.amount));
            let spent = sum_present(
                spend
                    .iter()
                    .filter(|s| ids.contains(&s.allocation_id))
                    .map(|s| Some(s.amount)),
            );
            YearSummary {
                year,
                received,
                allocated,
                allocations_without_amount: of_year.iter().filter(|a| a.amount.is_none()).count(),
                grant_financed: sum_present(of_year.iter().map(|a| a.grant_part())),
                share_unknown: of_year
                    .iter()
                    .filter(|a| a.share == GrantShare::Unknown)
                    .count(),
                spent,
                unallocated: received.map(|r| r - allocated.unwrap_or_default()),
                unspent: allocated.map(|a| a - spent.unwrap_or_default()),
            }
        })
        .collect()
}

/// Something about a grant the reader should see.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GrantFlag {
    /// "andel bidragsfinansierad okänd" (allocation id, purpose).
    ShareUnknown { allocation_id: Id, purpose: String },
    /// An allocation whose decision gives no amount.
    AllocationWithoutAmount { allocation_id: Id, purpose: String },
    /// More allocated than received in a year.
    OverAllocated {
        year: i32,
        received: Amount,
        allocated: Amount,
    },
    /// More spent than allocated.
    OverSpent {
        allocation_id: Id,
        allocated: Amount,
        spent: Amount,
    },
    /// A half-year amount that is not about half the next full year's (F18).
    HalfYearMismatch {
        year: i32,
        amount: Amount,
        next_year: i32,
        next: Amount,
    },
    /// Money received but not allocated by the date set.
    Unallocated {
        year: i32,
        amount: Amount,
        by: String,
    },
    /// A grant the municipality gave whose use has not been followed up.
    UseNotFollowedUp {
        allocation_id: Id,
        recipient: String,
    },
    /// Received money with no allocation recorded at all (use cannot be traced).
    NoAllocations { year: i32 },
}

/// How far a half year may be from half the full year before it is flagged (10 %).
const HALF_YEAR_SLACK_PERMILLE: i64 = 100;

/// What the grant page flags, as of `today`.
pub fn flags(
    g: &Grant,
    allocations: &[Allocation],
    spend: &[Spend],
    today: &str,
) -> Vec<GrantFlag> {
    let mut out = Vec::new();
    let mine: Vec<&Allocation> = allocations.iter().filter(|a| a.grant_id == g.id).collect();
    for a in &mine {
        if g.direction == Direction::Received && a.share == GrantShare::Unknown {
            out.push(GrantFlag::ShareUnknown {
                allocation_id: a.id,
                purpose: a.purpose.clone(),
            });
        }
        if a.amount.is_none() {
            out.push(GrantFlag::AllocationWithoutAmount {
                allocation_id: a.id,
                purpose: a.purpose.clone(),
            });
        }
        let spent = sum_present(
            spend
                .iter()
                .filter(|s| s.allocation_id == a.id)
                .map(|s| Some(s.amount)),
        );
        if let (Some(al), Some(sp)) = (a.amount, spent) {
            if sp.abs() > al.abs() {
                out.push(GrantFlag::OverSpent {
                    allocation_id: a.id,
                    allocated: al,
                    spent: sp,
                });
            }
        }
        if g.direction == Direction::Given && a.follow_up.is_none() && a.year < year_of(today) {
            out.push(GrantFlag::UseNotFollowedUp {
                allocation_id: a.id,
                recipient: a.recipient.clone(),
            });
        }
    }
    for s in summary(g, allocations, spend) {
        if let (Some(r), Some(al)) = (s.received, s.allocated) {
            if al > r {
                out.push(GrantFlag::OverAllocated {
                    year: s.year,
                    received: r,
                    allocated: al,
                });
            }
        }
        if g.direction == Direction::Received
            && s.received.is_some()
            && !mine.iter().any(|a| a.year == s.year)
        {
            out.push(GrantFlag::NoAllocations { year: s.year });
        }
    }
    out.extend(half_year_mismatch(g));
    out.extend(unallocated(g, allocations, spend, today));
    out
}

fn year_of(d: &str) -> i32 {
    d.get(..4).and_then(|y| y.parse().ok()).unwrap_or(i32::MAX)
}

/// F18: "hälften så mycket pengar ut 2023 som … 2024", yet 1,9 vs 2,4.
pub fn half_year_mismatch(g: &Grant) -> Option<GrantFlag> {
    g.years.iter().find_map(|y| {
        if !y.half_year {
            return None;
        }
        let amount = y.amount?;
        let next = g
            .years
            .iter()
            .find(|n| n.year == y.year + 1 && !n.half_year)?;
        let full = next.amount?;
        let half = full.0 / 2;
        let slack = (half.abs() * HALF_YEAR_SLACK_PERMILLE) / 1000;
        ((amount.0 - half).abs() > slack).then_some(GrantFlag::HalfYearMismatch {
            year: y.year,
            amount,
            next_year: next.year,
            next: full,
        })
    })
}

/// Received money not allocated by the grant's date, per year (after the date only).
pub fn unallocated(
    g: &Grant,
    allocations: &[Allocation],
    spend: &[Spend],
    today: &str,
) -> Vec<GrantFlag> {
    let Some(by) = g.allocate_by.as_deref() else {
        return Vec::new();
    };
    if today <= by || g.direction == Direction::Given {
        return Vec::new();
    }
    summary(g, allocations, spend)
        .into_iter()
        .filter(|s| s.year <= year_of(by))
        .filter_map(|s| {
            let left = s.unallocated?;
            (left.0 > 0).then(|| GrantFlag::Unallocated {
                year: s.year,
                amount: left,
                by: by.to_string(),
            })
        })
        .collect()
}

/// Whether a grant affects any of `units` (the grant's own board or an allocation's):
/// a board sees every grant that affects it (E3.3).
pub fn affects(g: &Grant, allocations: &[Allocation], units: &BTreeSet<Id>) -> bool {
    g.unit_id.is_some_and(|u| units.contains(&u))
        || allocations
            .iter()
            .any(|a| a.grant_id == g.id && a.unit_id.is_some_and(|u| units.contains(&u)))
}

/// Cause key of a grant deviation.
pub fn grant_key(grant: Id, what: &str, year: i32, extra: Id) -> String {
    format!("grant:{grant}:{what}:{year}:{extra}")
}

/// The deviations grants raise in `year`, on the grant's board (or the allocation's unit):
/// received money not allocated by the date set, and allocations whose grant share is
/// unknown (the audit's "framkommer inte").
pub fn deviation_candidates(
    grants: &[Grant],
    allocations: &[Allocation],
    spend: &[Spend],
    year: i32,
    today: &str,
) -> Vec<NewDeviation> {
    let mut out = Vec::new();
    for g in grants {
        for f in unallocated(g, allocations, spend, today) {
            let GrantFlag::Unallocated {
                year: y,
                amount,
                by,
            } = f
            else {
                continue;
            };
            let Some(unit) = g.unit_id else { continue };
            if year_of(&by) != year {
                continue;
            }
            out.push(NewDeviation {
                org_id: unit,
                area: None,
                source: Source::Grant,
                severity: Severity::High,
                period: Period::Year(year),
                description: format!(
                    "{} ({}): {} mnkr av {} är inte fördelat på beslut senast {by}.",
                    g.name,
                    g.code,
                    amount.format_mnkr(),
                    y
                ),
                cause_key: Some(grant_key(g.id, "ofordelat", y, 0)),
            });
        }
        if g.direction != Direction::Received {
            continue;
        }
        for a in allocations
            .iter()
            .filter(|a| a.grant_id == g.id && a.year == year && a.share == GrantShare::Unknown)
        {
            let Some(unit) = a.unit_id.or(g.unit_id) else {
                continue;
            };
            let amount = a
                .amount
                .map(|x| format!(" ({} mnkr)", x.format_mnkr()))
                .unwrap_or_default();
            out.push(NewDeviation {
                org_id: unit,
                area: a.area.clone(),
                source: Source::Grant,
                severity: Severity::Medium,
                period: Period::Year(year),
                description: format!(
                    "{} ({}): andel bidragsfinansierad okänd i beslutet {} {}{amount}: {}.",
                    g.name,
                    g.code,
                    a.decision.body,
                    a.decision.date.clone().unwrap_or_default(),
                    a.purpose
                ),
                cause_key: Some(grant_key(g.id, "andel", year, a.id)),
            });
        }
    }
    out
}

/// A grant with what its page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantView {
    pub grant: Grant,
    pub allocations: Vec<Allocation>,
    pub spend: Vec<Spend>,
    pub years: Vec<YearSummary>,
    pub flags: Vec<GrantFlag>,
}

/// Assembles a grant's page from all allocations and spend (filtered here).
pub fn view(grant: Grant, allocations: &[Allocation], spend: &[Spend], today: &str) -> GrantView {
    let mine: Vec<Allocation> = allocations
        .iter()
        .filter(|a| a.grant_id == grant.id)
        .cloned()
        .collect();
    let ids: BTreeSet<Id> = mine.iter().map(|a| a.id).collect();
    let spend: Vec<Spend> = spend
        .iter()
        .filter(|s| ids.contains(&s.allocation_id))
        .cloned()
        .collect();
    GrantView {
        years: summary(&grant, &mine, &spend),
        flags: flags(&grant, &mine, &spend, today),
        grant,
        allocations: mine,
        spend,
    }
}

/// Grants ordered for a list: received first, then by code.
pub fn sorted(mut grants: Vec<Grant>) -> Vec<Grant> {
    grants.sort_by(|a, b| {
        a.direction
            .cmp(&b.direction)
            .then_with(|| crate::collate::swedish_cmp(&a.code, &b.code))
    });
    grants
}

/// The allocations of each grant, keyed by grant.
pub fn by_grant(allocations: &[Allocation]) -> BTreeMap<Id, Vec<&Allocation>> {
    let mut m: BTreeMap<Id, Vec<&Allocation>> = BTreeMap::new();
    for a in allocations {
        m.entry(a.grant_id).or_default().push(a);
    }
    m
}

#[cfg(test)]
mod tests;
