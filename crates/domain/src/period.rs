//! Periods that outcomes are reported for: year, tertial, month and ISO week.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A reporting period. Parsed from `2019`, `2019T2`, `2019-03` or `2019W07`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Year(i32),
    /// Tertial 1–3: January–April, May–August, September–December.
    Tertial(i32, u8),
    /// Month 1–12.
    Month(i32, u8),
    /// ISO week 1–53.
    Week(i32, u8),
}

/// What kind of period a [`Period`] is; outcomes are compared within one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Year,
    Tertial,
    Month,
    Week,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("empty period")]
    Empty,
    #[error("unrecognised period {0:?}")]
    Unrecognised(String),
    #[error("year {0} out of range")]
    YearOutOfRange(i32),
    #[error("part {part} out of range 1..={max} in {input:?}")]
    PartOutOfRange { input: String, part: u8, max: u8 },
}

pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2200;

impl Period {
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PeriodError::Empty);
        }
        let unrecognised = || PeriodError::Unrecognised(s.to_string());
        let year_part = s.get(..4).ok_or_else(unrecognised)?;
        if !year_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unrecognised());
        }
        let rest = &s[4..];
        let year: i32 = year_part.parse().map_err(|_| unrecognised())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(PeriodError::YearOutOfRange(year));
        }
        if rest.is_empty() {
            return Ok(Period::Year(year));
        }
        let (ctor, digits, max): (fn(i32, u8) -> Period, &str, u8) =
            if let Some(d) = rest.strip_prefix(['T', 't']) {
                (Period::Tertial, d, 3)
            } else if let Some(d) = rest.strip_prefix(['W', 'w', 'V', 'v']) {
                (Period::Week, d, iso_weeks_in_year(year))
            } else if let Some(d) = rest.strip_prefix('-') {
                (Period::Month, d, 12)
            } else {
                return Err(unrecognised());
            };
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unrecognised());
        }
        let part: u8 = digits.parse().map_err(|_| unrecognised())?;
        if part == 0 || part > max {
            return Err(PeriodError::PartOutOfRange {
                input: s.to_string(),
                part,
                max,
            });
        }
        Ok(ctor(year, part))
    }

    /// The period after this one, of the same kind (2019 → 2020, 2019T3 → 2020T1,
    /// 2019-12 → 2020-01, the last ISO week of a year → week 1 of the next).
    pub fn next(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y + 1),
            Period::Tertial(y, 3) => Period::Tertial(y + 1, 1),
            Period::Tertial(y, t) => Period::Tertial(y, t + 1),
            Period::Month(y, 12) => Period::Month(y + 1, 1),
            Period::Month(y, m) => Period::Month(y, m + 1),
            Period::Week(y, w) if w >= iso_weeks_in_year(y) => Period::Week(y + 1, 1),
            Period::Week(y, w) => Period::Week(y, w + 1),
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Tertial(y, _) | Period::Month(y, _) | Period::Week(y, _) => y,
        }
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Year(_) => PeriodKind::Year,
            Period::Tertial(..) => PeriodKind::Tertial,
            Period::Month(..) => PeriodKind::Month,
            Period::Week(..) => PeriodKind::Week,
        }
    }

    /// Whether data for `self` is part of what a decision (or a page, or a report) for
    /// `decided` covers: every period that has ended by the time `decided` ends. A decided
    /// annual report shows the year and the years before it; a delårsrapport for tertial 2
    /// shows the months and tertials up to 31 August, not the full year, which ends later.
    /// This is also the order in which outcomes become known: a 2019 figure is not part of
    /// a page for tertial 2 of 2019.
    pub fn covered_by(self, decided: Period) -> bool {
        self.last_day_number() <= decided.last_day_number()
    }

    /// The period's last day as a day number (days since 1970-01-01), for comparisons.
    pub fn last_day_number(self) -> i64 {
        let month_end = |y: i32, m: u8| {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            crate::date::days_from_civil(i64::from(ny), i64::from(nm), 1) - 1
        };
        match self {
            Period::Year(y) => crate::date::days_from_civil(i64::from(y), 12, 31),
            Period::Tertial(y, t) => month_end(y, t * 4),
            Period::Month(y, m) => month_end(y, m),
            Period::Week(y, w) => {
                // Week 1 holds 4 January; weeks run Monday–Sunday (day 0 was a Thursday).
                let jan4 = crate::date::days_from_civil(i64::from(y), 1, 4);
                let monday1 = jan4 - (jan4 + 3).rem_euclid(7);
                monday1 + 7 * i64::from(w) - 1
            }
        }
    }

    /// Swedish label for display, e.g. "2019", "Tertial 2 2019", "mars 2019", "vecka 7 2019".
    pub fn label_sv(self) -> String {
        const MONTHS: [&str; 12] = [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ];
        match self {
            Period::Year(y) => y.to_string(),
            Period::Tertial(y, t) => format!("tertial {t} {y}"),
            Period::Month(y, m) => format!("{} {y}", MONTHS[usize::from(m - 1)]),
            Period::Week(y, w) => format!("vecka {w} {y}"),
        }
    }

    /// The period's last day (ISO date): an outcome for it is known only after that day.
    pub fn last_day(self) -> String {
        crate::date::from_day_number(self.last_day_number())
    }

    /// A key that orders periods by when they start, then by kind (longer first).
    fn sort_key(self) -> (i32, u16, PeriodKind) {
        let start_day = match self {
            Period::Year(_) => 0,
            Period::Tertial(_, t) => u16::from(t - 1) * 122,
            Period::Month(_, m) => u16::from(m - 1) * 31,
            Period::Week(_, w) => u16::from(w - 1) * 7,
        };
        (self.year(), start_day, self.kind())
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Tertial(y, t) => write!(f, "{y}T{t}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
            Period::Week(y, w) => write!(f, "{y}W{w:02}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

/// Number of ISO weeks in a year (52 or 53): a year has 53 when 1 January is a Thursday,
/// or a Wednesday in a leap year.
pub fn iso_weeks_in_year(year: i32) -> u8 {
    let jan1 = weekday_of_jan1(year); // 0 = Monday
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if jan1 == 3 || (leap && jan1 == 2) {
        53
    } else {
        52
    }
}

/// Weekday of 1 January (0 = Monday … 6 = Sunday), by Gauss's algorithm.
fn weekday_of_jan1(year: i32) -> i32 {
    let y = year - 1;
    // Gauss: 0 = Sunday.
    let sunday_based = (1 + 5 * (y % 4) + 4 * (y % 100) + 6 * (y % 400)) % 7;
    (sunday_based + 6) % 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_covers_its_period_and_everything_that_ended_before_it() {
        let p = |s: &str| Period::parse(s).unwrap();
        assert!(p("2019T3").covered_by(p("2019")));
        assert!(p("2019W07").covered_by(p("2019")));
        assert!(!p("2020").covered_by(p("2019")));
        assert!(
            !p("2019").covered_by(p("2019T2")),
            "the full year ends after tertial 2"
        );
        assert!(p("2019T1").covered_by(p("2019T2")));
        assert!(p("2019-08").covered_by(p("2019T2")));
        assert!(!p("2019-09").covered_by(p("2019T2")));
        assert!(!p("2019T3").covered_by(p("2019T2")));
        assert!(
            p("2018").covered_by(p("2019")),
            "a decided report shows the years before it"
        );
        assert!(p("2018").covered_by(p("2019T1")));
        assert!(p("2019-03").covered_by(p("2019-04")));
        assert!(!p("2019-05").covered_by(p("2019-04")));
        assert!(
            !p("2020W01").covered_by(p("2019")),
            "week 1 of 2020 ends on 5 January 2020"
        );
    }

    use proptest::prelude::*;

    #[test]
    fn a_period_ends_on_its_last_calendar_day() {
        let last = |p: &str| Period::parse(p).unwrap().last_day();
        assert_eq!(last("2023"), "2023-12-31");
        assert_eq!(last("2023T1"), "2023-04-30");
        assert_eq!(last("2024-02"), "2024-02-29");
        assert_eq!(last("2023-02"), "2023-02-28");
        assert_eq!(last("2023T3"), "2023-12-31");
        assert_eq!(
            last("2019W01"),
            "2019-01-06",
            "week 1 of 2019 began Monday 31 Dec 2018"
        );
        assert_eq!(last("2020W53"), "2021-01-03");
        assert_eq!(last("2023W07"), "2023-02-19");
    }

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(Period::parse("2019"), Ok(Period::Year(2019)));
        assert_eq!(Period::parse("2019T2"), Ok(Period::Tertial(2019, 2)));
        assert_eq!(Period::parse("2019-03"), Ok(Period::Month(2019, 3)));
        assert_eq!(Period::parse("2019W07"), Ok(Period::Week(2019, 7)));
        assert_eq!(Period::parse(" 2019v7 "), Ok(Period::Week(2019, 7)));
    }

    #[test]
    fn rejects_malformed_and_out_of_range_periods() {
        for bad in [
            "", "19", "2019X", "2019T4", "2019T0", "2019-13", "2019W54", "abcd", "2019-", "2019T",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} should be rejected");
        }
        // 2019 has 52 ISO weeks, 2020 has 53.
        assert!(Period::parse("2019W53").is_err());
        assert_eq!(Period::parse("2020W53"), Ok(Period::Week(2020, 53)));
    }

    #[test]
    fn iso_week_counts_match_the_calendar() {
        assert_eq!(iso_weeks_in_year(2015), 53);
        assert_eq!(iso_weeks_in_year(2019), 52);
        assert_eq!(iso_weeks_in_year(2020), 53);
        assert_eq!(iso_weeks_in_year(2026), 53);
        assert_eq!(iso_weeks_in_year(2027), 52);
    }

    #[test]
    fn orders_periods_by_time() {
        let mut ps = vec![
            Period::Year(2020),
            Period::Tertial(2019, 3),
            Period::Year(2019),
            Period::Month(2019, 1),
        ];
        ps.sort();
        assert_eq!(
            ps,
            vec![
                Period::Year(2019),
                Period::Month(2019, 1),
                Period::Tertial(2019, 3),
                Period::Year(2020)
            ]
        );
    }

    fn any_period() -> impl Strategy<Value = Period> {
        prop_oneof![
            (MIN_YEAR..=MAX_YEAR).prop_map(Period::Year),
            (MIN_YEAR..=MAX_YEAR, 1u8..=3).prop_map(|(y, t)| Period::Tertial(y, t)),
            (MIN_YEAR..=MAX_YEAR, 1u8..=12).prop_map(|(y, m)| Period::Month(y, m)),
            (MIN_YEAR..=MAX_YEAR, 1u8..=52).prop_map(|(y, w)| Period::Week(y, w)),
        ]
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(p in any_period()) {
            prop_assert_eq!(Period::parse(&p.to_string()), Ok(p));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = Period::parse(&s);
        }

        #[test]
        fn covered_by_is_the_order_of_last_days(a in any_period(), b in any_period()) {
            prop_assert!(a.covered_by(a));
            prop_assert_eq!(a.covered_by(b), a.last_day() <= b.last_day());
            prop_assert!(a.covered_by(b) || b.covered_by(a));
        }
    }
}

#[cfg(test)]
mod next_tests {
    use super::Period;

    #[test]
    fn the_next_period_is_of_the_same_kind() {
        for (a, b) in [
            ("2019", "2020"),
            ("2019T2", "2019T3"),
            ("2019T3", "2020T1"),
            ("2019-12", "2020-01"),
            ("2019-03", "2019-04"),
            ("2020W53", "2021W01"),
            ("2019W52", "2020W01"),
            ("2019W07", "2019W08"),
        ] {
            assert_eq!(
                Period::parse(a).unwrap().next(),
                Period::parse(b).unwrap(),
                "{a}"
            );
        }
    }
}
