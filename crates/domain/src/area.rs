//! Areas (kommundelar, the police's areas, BID and planning areas): what the municipality
//! follows up place by place. An area has a kind, an optional parent (Grantorp and
//! Visättra lie inside Flemingsberg in general knowledge, not in the seeds) and the
//! police's classification per year with its source (`DOMAIN-MODULES.md` C1, C4).
//!
//! The area's indicator values are the outcomes already broken down by area
//! (`Breakdown::Area`): [`area_values`] collects one area's, and [`comparison`] ranks the
//! areas per indicator so the municipality sees which areas are worst on which indicators
//! (Vårby on 8 of the 10 in seed 004).
//!
//! [`AreaRefusal`] is the one refusal of this module family: areas, situation reports
//! (`situation`), forums and agreements (`forum`) and statutory duties (`obligation`); its
//! Swedish messages are in `messages::area`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::indicator::{Breakdown, Direction};
use crate::model::{Id, IndicatorRecord};
use crate::period::Period;

/// The longest free text (purpose, summary, note …) in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The longest name or short field in characters.
pub const MAX_NAME_CHARS: usize = 300;
/// The most items in one list (members, parties, levels, evidence …).
pub const MAX_ITEMS: usize = 500;

macro_rules! coded_enum {
    ($t:ident { $($v:ident = $code:literal, $label:literal;)+ }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            /// The code stored and used in files and URLs.
            pub fn code(self) -> &'static str {
                match self { $($t::$v => $code),+ }
            }
            /// The Swedish name shown to users.
            pub fn label_sv(self) -> &'static str {
                match self { $($t::$v => $label),+ }
            }
            pub fn parse(text: &str) -> Option<$t> {
                let t = text.trim();
                Self::ALL.iter().copied().find(|v| v.code() == t)
            }
        }
    };
}
pub(crate) use coded_enum;

/// What kind of area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// A municipal district, the unit of the municipality's own statistics.
    District,
    /// An area the police name (Grantorp, Visättra).
    PoliceArea,
    /// A BID area of Samverkan i Huddinge.
    Bid,
    /// A planning or transformation area.
    Planning,
    Other,
}

coded_enum!(AreaKind {
    District = "kommundel", "Kommundel";
    PoliceArea = "polisomrade", "Polisens område";
    Bid = "bid", "BID-område";
    Planning = "planering", "Planeringsområde";
    Other = "ovrigt", "Övrigt område";
});

/// The police's classification of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoliceClass {
    Vulnerable,
    Risk,
    SeverelyVulnerable,
}

coded_enum!(PoliceClass {
    Vulnerable = "utsatt", "Utsatt område";
    Risk = "risk", "Riskområde";
    SeverelyVulnerable = "sarskilt-utsatt", "Särskilt utsatt område";
});

/// One classification of an area: the class, the year it applies to (`None`: the source
/// does not say), where it comes from, and the source's own date if known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub year: Option<i32>,
    pub class: PoliceClass,
    /// E.g. "Polisens lägesbild, enligt revisionsrapport 2024". Empty: not recorded.
    pub source: String,
    /// ISO date of the source's classification, if known.
    pub as_of: Option<String>,
}

/// An area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    pub id: Id,
    /// Unique, the name used in outcome breakdowns (`area:Vårby`).
    pub name: String,
    /// `None`: not recorded (areas created from an outcome breakdown).
    pub kind: Option<AreaKind>,
    pub parent_id: Option<Id>,
    /// What the area's borders or history mean for its series ("Det tidigare
    /// administrativa området Vårby motsvarar nuvarande kommundel Vårby").
    pub note: String,
    /// Oldest first.
    pub classifications: Vec<Classification>,
}

impl Area {
    /// The classification that applies in `year`: the latest with a year at or before it,
    /// else the latest without a year. `None`: not classified.
    pub fn class_in(&self, year: i32) -> Option<&Classification> {
        self.classifications
            .iter()
            .filter(|c| c.year.is_some_and(|y| y <= year))
            .max_by_key(|c| c.year)
            .or_else(|| self.classifications.iter().rev().find(|c| c.year.is_none()))
    }

    /// The latest classification of any year.
    pub fn latest_class(&self) -> Option<&Classification> {
        self.class_in(i32::MAX)
    }
}

/// Why a change in the area family (areas, situation reports, forums, agreements,
/// statutes and obligations) was refused. Messages in `messages::area`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AreaRefusal {
    /// A required field (named) left empty.
    Required(&'static str),
    /// A text over its limit (named).
    TooLong(&'static str),
    /// More than [`MAX_ITEMS`] of something (named).
    TooMany(&'static str),
    /// A name already used (areas, forums, statutes are unique by name or number).
    Duplicate(String),
    /// An area that would become its own ancestor.
    ParentCycle,
    /// A date that is not a valid ISO date (field named).
    BadDate(&'static str),
    /// An end before its start.
    EndBeforeStart,
    /// A level outside the municipality's scale (given, max).
    LevelOutOfScale(i64, u8),
    /// The same area given two levels in one situation report.
    DuplicateLevel(String),
    /// A scale with fewer than 2 or more than 10 levels, or a threshold outside it.
    BadScale,
    /// Free text that holds what looks like a personal identity number (the field named,
    /// the match masked): a situation report is aggregate (GDPR art. 10).
    PersonalNumber(&'static str, String),
    /// A presentation to neither a board nor a forum, or to both.
    PresentationTarget,
    /// An SFS number that is not `YYYY:N`.
    BadSfs(String),
    /// An SFS number that is not a registered statute; the close match, if any.
    UnknownStatute(String, Option<String>),
    /// "Uppfylld" with no evidence that can fulfil the duty (what is missing, in Swedish).
    NoQualifyingEvidence(String),
    /// An assessment dated in the future.
    InFuture,
}

/// Checks a required short text.
pub fn required(text: &str, what: &'static str) -> Result<(), AreaRefusal> {
    if text.trim().is_empty() {
        Err(AreaRefusal::Required(what))
    } else {
        short(text, what)
    }
}

/// Checks a short text's length.
pub fn short(text: &str, what: &'static str) -> Result<(), AreaRefusal> {
    if text.chars().count() > MAX_NAME_CHARS {
        Err(AreaRefusal::TooLong(what))
    } else {
        Ok(())
    }
}

/// Checks a free text's length.
pub fn long(text: &str, what: &'static str) -> Result<(), AreaRefusal> {
    if text.chars().count() > MAX_TEXT_CHARS {
        Err(AreaRefusal::TooLong(what))
    } else {
        Ok(())
    }
}

/// Checks a list's length.
pub fn count(n: usize, what: &'static str) -> Result<(), AreaRefusal> {
    if n > MAX_ITEMS {
        Err(AreaRefusal::TooMany(what))
    } else {
        Ok(())
    }
}

/// Checks an optional ISO date.
pub fn date(d: Option<&str>, what: &'static str) -> Result<(), AreaRefusal> {
    match d {
        Some(d) if crate::date::parse_iso_date(d).is_err() => Err(AreaRefusal::BadDate(what)),
        _ => Ok(()),
    }
}

/// Checks an area against the others (`others` excludes the area itself when editing).
pub fn validate_area(area: &Area, others: &[Area]) -> Result<(), AreaRefusal> {
    required(&area.name, "name")?;
    long(&area.note, "note")?;
    count(area.classifications.len(), "classifications")?;
    for c in &area.classifications {
        short(&c.source, "source")?;
        date(c.as_of.as_deref(), "as_of")?;
    }
    if others
        .iter()
        .any(|o| o.id != area.id && o.name.trim().to_lowercase() == area.name.trim().to_lowercase())
    {
        return Err(AreaRefusal::Duplicate(area.name.clone()));
    }
    if let Some(parent) = area.parent_id {
        if parent_would_cycle(others, area.id, parent) {
            return Err(AreaRefusal::ParentCycle);
        }
    }
    Ok(())
}

/// Whether giving `area` the parent `parent` makes it its own ancestor.
pub fn parent_would_cycle(areas: &[Area], area: Id, parent: Id) -> bool {
    let parent_of: BTreeMap<Id, Option<Id>> = areas.iter().map(|a| (a.id, a.parent_id)).collect();
    let mut at = Some(parent);
    let mut steps = 0;
    while let Some(id) = at {
        if id == area || steps > areas.len() {
            return true;
        }
        steps += 1;
        at = parent_of.get(&id).copied().flatten();
    }
    false
}

/// The areas below `area` (children, grandchildren …), nearest first.
pub fn descendants(areas: &[Area], area: Id) -> Vec<Id> {
    let mut out = Vec::new();
    let mut frontier = vec![area];
    while let Some(at) = frontier.pop() {
        for a in areas.iter().filter(|a| a.parent_id == Some(at)) {
            if !out.contains(&a.id) && a.id != area {
                out.push(a.id);
                frontier.push(a.id);
            }
        }
    }
    out
}

/// One indicator's value for one area in one period, with the municipal value of the
/// same period beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaValue {
    pub indicator_id: Id,
    pub period: Period,
    pub value: f64,
    /// The total (no breakdown) of the same period; `None`: not recorded.
    pub municipal: Option<f64>,
    /// Whether the area is the worst of the areas with a value that period (by the
    /// indicator's direction; `false` for indicators without a better direction).
    pub worst: bool,
    /// How many areas have a value that period.
    pub areas_with_value: usize,
}

/// Every value of one area (by name), per indicator, oldest period first.
pub fn area_values(records: &[IndicatorRecord], area: &str) -> Vec<AreaValue> {
    let mut out = Vec::new();
    for r in records {
        let mut periods: Vec<Period> = r
            .outcomes
            .iter()
            .filter(|o| o.breakdown.area() == Some(area))
            .map(|o| o.period)
            .collect();
        periods.sort();
        periods.dedup();
        for p in periods {
            let row = period_row(r, p);
            if let Some(v) = row.values.iter().find(|(n, _)| n == area) {
                out.push(AreaValue {
                    indicator_id: r.indicator.id,
                    period: p,
                    value: v.1,
                    municipal: row.municipal,
                    worst: row.worst.iter().any(|w| w == area),
                    areas_with_value: row.values.len(),
                });
            }
        }
    }
    out
}

/// One indicator's area values in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub indicator_id: Id,
    pub period: Period,
    pub municipal: Option<f64>,
    /// Every area with a value, best first by the indicator's direction (as entered for
    /// an indicator without one).
    pub values: Vec<(String, f64)>,
    /// The worst area(s) (ties share it); empty for an indicator without a better
    /// direction or with fewer than two area values.
    pub worst: Vec<String>,
    /// The best area(s), the same way.
    pub best: Vec<String>,
}

fn period_row(r: &IndicatorRecord, period: Period) -> ComparisonRow {
    let mut values: Vec<(String, f64)> = r
        .outcomes
        .iter()
        .filter(|o| o.period == period)
        .filter_map(|o| o.breakdown.area().map(|a| (a.to_string(), o.value)))
        .collect();
    let municipal = r
        .outcomes
        .iter()
        .find(|o| o.period == period && o.breakdown == Breakdown::Total)
        .map(|o| o.value);
    let dir = r.indicator.direction;
    match dir {
        Direction::Higher => values.sort_by(|a, b| b.1.total_cmp(&a.1)),
        Direction::Lower => values.sort_by(|a, b| a.1.total_cmp(&b.1)),
        Direction::None => {}
    }
    let (worst, best) = if dir == Direction::None || values.len() < 2 {
        (Vec::new(), Vec::new())
    } else {
        let last = values[values.len() - 1].1;
        let first = values[0].1;
        let names = |v: f64| {
            values
                .iter()
                .filter(|(_, x)| *x == v)
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>()
        };
        (names(last), names(first))
    };
    ComparisonRow {
        indicator_id: r.indicator.id,
        period,
        municipal,
        values,
        worst,
        best,
    }
}

/// The municipality-wide comparison: per indicator with area values, its latest period
/// with at least two area values.
pub fn comparison(records: &[IndicatorRecord]) -> Vec<ComparisonRow> {
    records
        .iter()
        .filter_map(|r| {
            let latest = r
                .outcomes
                .iter()
                .filter(|o| o.breakdown.area().is_some())
                .map(|o| o.period)
                .filter(|p| {
                    r.outcomes
                        .iter()
                        .filter(|o| o.period == *p && o.breakdown.area().is_some())
                        .count()
                        >= 2
                })
                .max()?;
            Some(period_row(r, latest))
        })
        .collect()
}

/// How many of the compared indicators each area is worst on, most first (then by
/// Swedish name order): "Vårby: 8 av 10".
pub fn worst_counts(rows: &[ComparisonRow]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        for w in &r.worst {
            *counts.entry(w.clone()).or_default() += 1;
        }
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| crate::collate::swedish_cmp(&a.0, &b.0))
    });
    out
}

/// Areas sorted by Swedish name order.
pub fn sorted(mut areas: Vec<Area>) -> Vec<Area> {
    areas.sort_by(|a, b| crate::collate::swedish_cmp(&a.name, &b.name));
    areas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(id: Id, name: &str, parent: Option<Id>) -> Area {
        Area {
            id,
            name: name.into(),
            kind: Some(AreaKind::District),
            parent_id: parent,
            note: String::new(),
            classifications: vec![],
        }
    }

    #[test]
    fn class_in_takes_the_latest_year_at_or_before() {
        let mut a = area(1, "Vårby", None);
        a.classifications = vec![
            Classification {
                year: Some(2019),
                class: PoliceClass::Risk,
                source: "x".into(),
                as_of: None,
            },
            Classification {
                year: Some(2023),
                class: PoliceClass::Vulnerable,
                source: "y".into(),
                as_of: None,
            },
        ];
        assert_eq!(a.class_in(2018), None);
        assert_eq!(a.class_in(2020).unwrap().class, PoliceClass::Risk);
        assert_eq!(a.class_in(2024).unwrap().class, PoliceClass::Vulnerable);
    }

    #[test]
    fn parents_cannot_cycle_and_names_are_unique() {
        let areas = vec![area(1, "Flemingsberg", None), area(2, "Grantorp", Some(1))];
        assert!(parent_would_cycle(&areas, 1, 2));
        assert!(!parent_would_cycle(&areas, 2, 1));
        let mut again = area(1, "Flemingsberg", Some(2));
        assert_eq!(validate_area(&again, &areas), Err(AreaRefusal::ParentCycle));
        again = area(3, "flemingsberg", None);
        assert!(matches!(
            validate_area(&again, &areas),
            Err(AreaRefusal::Duplicate(_))
        ));
        assert_eq!(descendants(&areas, 1), vec![2]);
    }

    #[test]
    fn codes_round_trip() {
        for k in AreaKind::ALL {
            assert_eq!(AreaKind::parse(k.code()), Some(*k));
        }
        for c in PoliceClass::ALL {
            assert_eq!(PoliceClass::parse(c.code()), Some(*c));
        }
    }
}
