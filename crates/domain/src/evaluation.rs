//! Evaluation of an indicator for a period: status against the milestone, trend honouring
//! margins of error, gender gap and district spread. Derived on demand, never stored.

use serde::Serialize;

use crate::indicator::{Breakdown, Direction, Outcome, Target};
use crate::period::Period;

/// Whether the milestone of the period was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    NotAchieved,
    /// A milestone exists but the outcome needed to judge it does not (yet).
    NotMeasured,
    /// No milestone (Indikator): followed only.
    FollowedOnly,
}

impl Status {
    pub fn label_sv(self) -> &'static str {
        match self {
            Status::Achieved => "Uppnått",
            Status::NotAchieved => "Ej uppnått",
            Status::NotMeasured => "Inget utfall",
            Status::FollowedOnly => "Följs",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::NotAchieved => "not_achieved",
            Status::NotMeasured => "not_measured",
            Status::FollowedOnly => "followed_only",
        }
    }
}

/// Direction of change between the two latest outcomes of one kind of period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Changed, beyond the margin of error, in the better direction.
    Positive,
    /// No change beyond the margin of error (or the displayed precision).
    Unchanged,
    /// Changed, beyond the margin of error, in the worse direction.
    Negative,
    /// Rose, for an indicator with no better direction.
    Rising,
    /// Fell, for an indicator with no better direction.
    Falling,
}

impl Trend {
    pub fn label_sv(self) -> &'static str {
        match self {
            Trend::Positive => "Positiv",
            Trend::Unchanged => "Oförändrad",
            Trend::Negative => "Negativ",
            Trend::Rising => "Ökande",
            Trend::Falling => "Minskande",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Trend::Positive => "positive",
            Trend::Unchanged => "unchanged",
            Trend::Negative => "negative",
            Trend::Rising => "rising",
            Trend::Falling => "falling",
        }
    }
}

/// The facts about one indicator that evaluation needs.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorFacts<'a> {
    pub direction: Direction,
    /// Decimals the indicator is published with; changes smaller than that are no change.
    pub decimals: u8,
    pub outcomes: &'a [Outcome],
    /// Milestones (etappmål) per year.
    pub milestones: &'a [(i32, Target)],
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeriodValue {
    pub period: Period,
    pub value: f64,
    pub margin: Option<f64>,
}

/// Women − men (or girls − boys) for the latest period that has both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenderGap {
    pub period: Period,
    pub women: f64,
    pub men: f64,
    /// Women minus men.
    pub gap: f64,
    /// Whether the gap exceeds the combined margin of error (or the displayed precision).
    pub significant: bool,
    /// True when the values are for girls and boys.
    pub children: bool,
}

/// Lowest and highest district for the latest period that has district values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistrictSpread {
    pub period: Period,
    pub lowest_area: String,
    pub lowest: f64,
    pub highest_area: String,
    pub highest: f64,
    pub spread: f64,
    pub areas: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub period: Period,
    pub status: Status,
    pub milestone: Option<Target>,
    /// The total outcome of the period.
    pub current: Option<PeriodValue>,
    /// The total outcome of the same kind of period before `current` (or before the period
    /// when it has no outcome).
    pub previous: Option<PeriodValue>,
    pub trend: Option<Trend>,
    pub gender_gap: Option<GenderGap>,
    pub district_spread: Option<DistrictSpread>,
}

/// Evaluates an indicator for a period.
pub fn evaluate(facts: &IndicatorFacts<'_>, period: Period) -> Evaluation {
    let totals = series(facts.outcomes, &Breakdown::Total, period);
    let current = totals.iter().rev().find(|v| v.period == period).copied();
    let previous = totals.iter().rev().find(|v| v.period < period).copied();
    let latest = totals.last().copied();
    let before_latest =
        latest.and_then(|l| totals.iter().rev().find(|v| v.period < l.period).copied());
    let trend = match (latest, before_latest) {
        (Some(cur), Some(prev)) => Some(trend_between(prev, cur, facts.direction, facts.decimals)),
        _ => None,
    };
    let milestone = facts
        .milestones
        .iter()
        .find(|(year, _)| *year == period.year())
        .map(|(_, t)| *t);
    let status = status_for(
        milestone,
        current,
        previous,
        facts.direction,
        facts.decimals,
    );
    Evaluation {
        period,
        status,
        milestone,
        current,
        previous,
        trend,
        gender_gap: gender_gap(facts, period),
        district_spread: district_spread(facts.outcomes, period),
    }
}

/// The outcomes of one breakdown with the same kind of period as `period`, up to and
/// including it, in time order.
fn series(outcomes: &[Outcome], breakdown: &Breakdown, period: Period) -> Vec<PeriodValue> {
    let mut values: Vec<PeriodValue> = outcomes
        .iter()
        .filter(|o| {
            &o.breakdown == breakdown && o.period.kind() == period.kind() && o.period <= period
        })
        .map(|o| PeriodValue {
            period: o.period,
            value: o.value,
            margin: o.margin,
        })
        .collect();
    values.sort_by_key(|v| v.period);
    values
}

/// The change from `prev` to `cur` is significant when it exceeds the combined margin of
/// error of the two estimates (root of the sum of squares, as for the difference of two
/// independent estimates) and shows at the indicator's published precision.
pub fn significant_change(prev: PeriodValue, cur: PeriodValue, decimals: u8) -> bool {
    let combined = combined_margin(prev.margin, cur.margin);
    let diff = cur.value - prev.value;
    diff.abs() > combined && !same_at_precision(prev.value, cur.value, decimals)
}

pub fn combined_margin(a: Option<f64>, b: Option<f64>) -> f64 {
    let a = a.unwrap_or(0.0).abs();
    let b = b.unwrap_or(0.0).abs();
    (a * a + b * b).sqrt()
}

fn same_at_precision(a: f64, b: f64, decimals: u8) -> bool {
    let scale = 10f64.powi(i32::from(decimals.min(9)));
    (a * scale).round() == (b * scale).round()
}

pub fn trend_between(
    prev: PeriodValue,
    cur: PeriodValue,
    direction: Direction,
    decimals: u8,
) -> Trend {
    if !significant_change(prev, cur, decimals) {
        return Trend::Unchanged;
    }
    let rose = cur.value > prev.value;
    match (direction, rose) {
        (Direction::None, true) => Trend::Rising,
        (Direction::None, false) => Trend::Falling,
        (Direction::Higher, true) | (Direction::Lower, false) => Trend::Positive,
        (Direction::Higher, false) | (Direction::Lower, true) => Trend::Negative,
    }
}

fn status_for(
    milestone: Option<Target>,
    current: Option<PeriodValue>,
    previous: Option<PeriodValue>,
    direction: Direction,
    decimals: u8,
) -> Status {
    let Some(target) = milestone else {
        return Status::FollowedOnly;
    };
    if target == Target::FollowOnly {
        return Status::FollowedOnly;
    }
    let Some(cur) = current else {
        return Status::NotMeasured;
    };
    let achieved = match target {
        Target::FollowOnly => unreachable!("handled above"),
        Target::Value { comparator, value } => comparator.holds(cur.value, value),
        Target::Increase | Target::Decrease | Target::Maintain => {
            let Some(prev) = previous else {
                return Status::NotMeasured;
            };
            let changed = significant_change(prev, cur, decimals);
            let rose = cur.value > prev.value;
            match target {
                Target::Increase => changed && rose,
                Target::Decrease => changed && !rose,
                _ => {
                    // Behåll: no significant change for the worse.
                    let worse = match direction {
                        Direction::Higher => !rose,
                        Direction::Lower => rose,
                        Direction::None => true,
                    };
                    !(changed && worse)
                }
            }
        }
    };
    if achieved {
        Status::Achieved
    } else {
        Status::NotAchieved
    }
}

fn gender_gap(facts: &IndicatorFacts<'_>, period: Period) -> Option<GenderGap> {
    let pair = |a: Breakdown, b: Breakdown, children: bool| {
        let first = series(facts.outcomes, &a, period);
        let second = series(facts.outcomes, &b, period);
        first.iter().rev().find_map(|w| {
            second
                .iter()
                .find(|m| m.period == w.period)
                .map(|m| GenderGap {
                    period: w.period,
                    women: w.value,
                    men: m.value,
                    gap: w.value - m.value,
                    significant: significant_change(*m, *w, facts.decimals),
                    children,
                })
        })
    };
    let adults = pair(Breakdown::Women, Breakdown::Men, false);
    let children = pair(Breakdown::Girls, Breakdown::Boys, true);
    match (adults, children) {
        (Some(a), Some(c)) => Some(if c.period > a.period { c } else { a }),
        (a, c) => a.or(c),
    }
}

fn district_spread(outcomes: &[Outcome], period: Period) -> Option<DistrictSpread> {
    let latest = outcomes
        .iter()
        .filter(|o| {
            o.breakdown.area().is_some() && o.period.kind() == period.kind() && o.period <= period
        })
        .map(|o| o.period)
        .max()?;
    let in_latest = outcomes.iter().filter(|o| o.period == latest);
    let mut lowest: Option<(&str, f64)> = None;
    let mut highest: Option<(&str, f64)> = None;
    let mut areas = 0;
    for o in in_latest {
        let Some(area) = o.breakdown.area() else {
            continue;
        };
        areas += 1;
        if lowest.is_none_or(|(_, v)| o.value < v) {
            lowest = Some((area, o.value));
        }
        if highest.is_none_or(|(_, v)| o.value > v) {
            highest = Some((area, o.value));
        }
    }
    let (lowest_area, lowest) = lowest?;
    let (highest_area, highest) = highest?;
    Some(DistrictSpread {
        period: latest,
        lowest_area: lowest_area.to_string(),
        lowest,
        highest_area: highest_area.to_string(),
        highest,
        spread: highest - lowest,
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Comparator;
    use proptest::prelude::*;

    fn total(period: &str, value: f64, margin: Option<f64>) -> Outcome {
        Outcome {
            period: Period::parse(period).unwrap(),
            breakdown: Breakdown::Total,
            value,
            margin,
            sample_size: None,
        }
    }

    fn with(b: Breakdown, period: &str, value: f64) -> Outcome {
        Outcome {
            breakdown: b,
            ..total(period, value, None)
        }
    }

    fn gt(v: f64) -> Target {
        Target::Value {
            comparator: Comparator::Gt,
            value: v,
        }
    }

    /// Seed 004: Betygsindex för trygghet 56, 57, 55, 51 with estimates ±9 is Oförändrad.
    #[test]
    fn safety_index_fall_within_margin_is_unchanged() {
        let outcomes = [
            total("2013", 56.0, Some(9.0)),
            total("2015", 57.0, Some(9.0)),
            total("2017", 55.0, Some(9.0)),
            total("2019", 51.0, Some(9.0)),
        ];
        let facts = IndicatorFacts {
            direction: Direction::Higher,
            decimals: 0,
            outcomes: &outcomes,
            milestones: &[],
        };
        let e = evaluate(&facts, Period::Year(2019));
        assert_eq!(e.trend, Some(Trend::Unchanged));
        assert_eq!(e.status, Status::FollowedOnly);
        assert_eq!(e.previous.map(|p| p.value), Some(55.0));
    }

    /// Seed 002: Bra plats att leva och bo 89, 93.4, 88.7 against >93.7 in 2023.
    #[test]
    fn good_place_to_live_misses_its_2023_milestone() {
        let outcomes = [
            total("2021", 89.0, None),
            total("2022", 93.4, None),
            total("2023", 88.7, None),
        ];
        let milestones = [(2023, gt(93.7))];
        let facts = IndicatorFacts {
            direction: Direction::Higher,
            decimals: 1,
            outcomes: &outcomes,
            milestones: &milestones,
        };
        let e = evaluate(&facts, Period::Year(2023));
        assert_eq!(e.status, Status::NotAchieved);
        assert_eq!(e.trend, Some(Trend::Negative));
        let later = evaluate(&facts, Period::Year(2024));
        assert_eq!(
            later.status,
            Status::FollowedOnly,
            "no milestone set for 2024"
        );
    }

    /// Seed 004: Antal färdigställda bostäder 864, 651, 997; milestone 2019 850, no 2019 value yet.
    #[test]
    fn milestone_without_outcome_is_not_measured() {
        let outcomes = [
            total("2016", 864.0, None),
            total("2017", 651.0, None),
            total("2018", 997.0, None),
        ];
        let milestones = [(
            2019,
            Target::Value {
                comparator: Comparator::Ge,
                value: 850.0,
            },
        )];
        let facts = IndicatorFacts {
            direction: Direction::Higher,
            decimals: 0,
            outcomes: &outcomes,
            milestones: &milestones,
        };
        let e = evaluate(&facts, Period::Year(2019));
        assert_eq!(e.status, Status::NotMeasured);
        assert_eq!(
            e.trend,
            Some(Trend::Positive),
            "trend of the latest two values, 651 → 997"
        );
    }

    #[test]
    fn increase_milestone_needs_a_rise_beyond_the_margin() {
        let milestones = [(2019, Target::Increase)];
        let check = |prev: f64, cur: f64, margin: Option<f64>| {
            let outcomes = [total("2018", prev, margin), total("2019", cur, margin)];
            let facts = IndicatorFacts {
                direction: Direction::Higher,
                decimals: 0,
                outcomes: &outcomes,
                milestones: &milestones,
            };
            evaluate(&facts, Period::Year(2019)).status
        };
        assert_eq!(check(70.0, 72.0, None), Status::Achieved);
        assert_eq!(check(70.0, 72.0, Some(3.0)), Status::NotAchieved);
        assert_eq!(
            check(70.0, 70.2, None),
            Status::NotAchieved,
            "invisible at 0 decimals"
        );
        let alone = [total("2019", 70.0, None)];
        let facts = IndicatorFacts {
            direction: Direction::Higher,
            decimals: 0,
            outcomes: &alone,
            milestones: &milestones,
        };
        assert_eq!(
            evaluate(&facts, Period::Year(2019)).status,
            Status::NotMeasured
        );
    }

    #[test]
    fn maintain_is_missed_only_by_a_significant_worsening() {
        let milestones = [(2019, Target::Maintain)];
        let check = |direction, prev: f64, cur: f64| {
            let outcomes = [total("2018", prev, None), total("2019", cur, None)];
            let facts = IndicatorFacts {
                direction,
                decimals: 0,
                outcomes: &outcomes,
                milestones: &milestones,
            };
            evaluate(&facts, Period::Year(2019)).status
        };
        assert_eq!(check(Direction::Higher, 70.0, 75.0), Status::Achieved);
        assert_eq!(check(Direction::Higher, 70.0, 65.0), Status::NotAchieved);
        assert_eq!(check(Direction::Lower, 70.0, 65.0), Status::Achieved);
        assert_eq!(check(Direction::Lower, 70.0, 75.0), Status::NotAchieved);
    }

    /// Seed 004: tryggt kvällstid 2018: women 61, men 82; Vårby 50, Gladö-Lissma 89.
    #[test]
    fn gender_gap_and_district_spread_from_the_latest_period() {
        let outcomes = [
            total("2018", 70.0, None),
            with(Breakdown::Women, "2018", 61.0),
            with(Breakdown::Men, "2018", 82.0),
            with(Breakdown::Area("Vårby".into()), "2018", 50.0),
            with(Breakdown::Area("Gladö-Lissma".into()), "2018", 89.0),
        ];
        let facts = IndicatorFacts {
            direction: Direction::Higher,
            decimals: 0,
            outcomes: &outcomes,
            milestones: &[],
        };
        let e = evaluate(&facts, Period::Year(2019));
        let gap = e.gender_gap.unwrap();
        assert_eq!(
            (gap.gap, gap.significant, gap.children),
            (-21.0, true, false)
        );
        let spread = e.district_spread.unwrap();
        assert_eq!(spread.lowest_area, "Vårby");
        assert_eq!(spread.highest_area, "Gladö-Lissma");
        assert_eq!(spread.spread, 39.0);
        assert_eq!(spread.areas, 2);
    }

    fn pv(value: f64, margin: Option<f64>, year: i32) -> PeriodValue {
        PeriodValue {
            period: Period::Year(year),
            value,
            margin,
        }
    }

    proptest! {
        /// A change inside the combined margin of error is always Oförändrad.
        #[test]
        fn change_within_margin_is_unchanged(a in -1000.0f64..1000.0, frac in 0.0f64..1.0, m1 in 0.0f64..50.0, m2 in 0.0f64..50.0) {
            let combined = (m1 * m1 + m2 * m2).sqrt();
            let b = a + combined * frac;
            for d in [Direction::Higher, Direction::Lower, Direction::None] {
                prop_assert_eq!(trend_between(pv(a, Some(m1), 2018), pv(b, Some(m2), 2019), d, 3), Trend::Unchanged);
            }
        }

        /// Swapping the two values turns a positive trend into a negative one and back.
        #[test]
        fn trend_is_antisymmetric(a in -1000.0f64..1000.0, b in -1000.0f64..1000.0, m in proptest::option::of(0.0f64..20.0)) {
            let up = trend_between(pv(a, m, 2018), pv(b, m, 2019), Direction::Higher, 1);
            let down = trend_between(pv(b, m, 2018), pv(a, m, 2019), Direction::Higher, 1);
            let flipped = match up { Trend::Positive => Trend::Negative, Trend::Negative => Trend::Positive, t => t };
            prop_assert_eq!(down, flipped);
            let lower = trend_between(pv(a, m, 2018), pv(b, m, 2019), Direction::Lower, 1);
            prop_assert_eq!(lower, flipped);
        }

        /// A wider margin never turns "unchanged" into a change.
        #[test]
        fn wider_margin_never_creates_a_trend(a in -100.0f64..100.0, b in -100.0f64..100.0, m in 0.0f64..10.0, extra in 0.0f64..10.0) {
            let narrow = trend_between(pv(a, Some(m), 2018), pv(b, Some(m), 2019), Direction::Higher, 2);
            let wide = trend_between(pv(a, Some(m + extra), 2018), pv(b, Some(m + extra), 2019), Direction::Higher, 2);
            if narrow == Trend::Unchanged {
                prop_assert_eq!(wide, Trend::Unchanged);
            }
        }

        /// Against a numeric milestone, status is achieved exactly when the comparator holds.
        #[test]
        fn numeric_milestone_status_follows_the_comparator(v in -1000.0f64..1000.0, t in -1000.0f64..1000.0, c in 0usize..5) {
            let comparator = [Comparator::Gt, Comparator::Ge, Comparator::Lt, Comparator::Le, Comparator::Eq][c];
            let outcomes = [total("2019", v, None)];
            let milestones = [(2019, Target::Value { comparator, value: t })];
            let facts = IndicatorFacts { direction: Direction::Higher, decimals: 1, outcomes: &outcomes, milestones: &milestones };
            let status = evaluate(&facts, Period::Year(2019)).status;
            prop_assert_eq!(status == Status::Achieved, comparator.holds(v, t));
            prop_assert!(matches!(status, Status::Achieved | Status::NotAchieved));
        }

        /// Outcomes of later periods never change the evaluation of an earlier one.
        #[test]
        fn later_outcomes_do_not_change_earlier_evaluations(vals in proptest::collection::vec(0.0f64..100.0, 2..8), later in 0.0f64..100.0) {
            let mut outcomes: Vec<Outcome> = vals.iter().enumerate().map(|(i, v)| total(&(2010 + i as i32).to_string(), *v, None)).collect();
            let milestones = [(2011, Target::Increase)];
            let period = Period::Year(2010 + vals.len() as i32 - 1);
            let before = evaluate(&IndicatorFacts { direction: Direction::Higher, decimals: 0, outcomes: &outcomes, milestones: &milestones }, period);
            outcomes.push(total("2030", later, None));
            let after = evaluate(&IndicatorFacts { direction: Direction::Higher, decimals: 0, outcomes: &outcomes, milestones: &milestones }, period);
            prop_assert_eq!(before, after);
        }
    }
}
