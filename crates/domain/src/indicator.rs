//! Indicators (mått), their outcomes (utfall) and milestone targets (etappmål, målvärde).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::number::{format_sv, parse_decimal};
use crate::period::Period;

/// Which way is better for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Higher is better.
    Higher,
    /// Lower is better.
    Lower,
    /// Followed only; no better direction.
    None,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Higher, Direction::Lower, Direction::None];

    pub fn code(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::None => "none",
        }
    }

    pub fn parse(code: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.code() == code.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Direction::Higher => "Högre är bättre",
            Direction::Lower => "Lägre är bättre",
            Direction::None => "Följs (ingen riktning)",
        }
    }

    /// +1 when a rise is an improvement, −1 when a fall is, 0 when neither.
    pub fn sign(self) -> f64 {
        match self {
            Direction::Higher => 1.0,
            Direction::Lower => -1.0,
            Direction::None => 0.0,
        }
    }
}

/// Over which outcomes an indicator's trend is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendWindow {
    /// The two latest values: their difference against the combined margin.
    #[default]
    LastTwo,
    /// The whole series: the slope of a least-squares line against its standard error.
    Series,
}

impl TrendWindow {
    pub const ALL: [TrendWindow; 2] = [TrendWindow::LastTwo, TrendWindow::Series];

    pub fn code(self) -> &'static str {
        match self {
            TrendWindow::LastTwo => "last_two",
            TrendWindow::Series => "series",
        }
    }

    pub fn parse(code: &str) -> Option<TrendWindow> {
        TrendWindow::ALL
            .into_iter()
            .find(|w| w.code() == code.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            TrendWindow::LastTwo => "De två senaste värdena",
            TrendWindow::Series => "Hela serien",
        }
    }
}

/// How often an indicator is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Year,
    /// Every other year.
    Biennial,
    Tertial,
    Month,
    Week,
}

impl Frequency {
    /// From the longest interval to the shortest (the order forms offer them in).
    pub const ALL: [Frequency; 5] = [
        Frequency::Year,
        Frequency::Biennial,
        Frequency::Tertial,
        Frequency::Month,
        Frequency::Week,
    ];

    /// The stored and written code (`year`, `biennial`, `tertial`, `month`, `week`).
    pub fn code(self) -> &'static str {
        match self {
            Frequency::Year => "year",
            Frequency::Biennial => "biennial",
            Frequency::Tertial => "tertial",
            Frequency::Month => "month",
            Frequency::Week => "week",
        }
    }

    pub fn parse(code: &str) -> Option<Frequency> {
        Frequency::ALL.into_iter().find(|f| f.code() == code.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Frequency::Year => "År",
            Frequency::Biennial => "Vartannat år",
            Frequency::Tertial => "Tertial",
            Frequency::Month => "Månad",
            Frequency::Week => "Vecka",
        }
    }
}

/// The population an outcome describes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Breakdown {
    Total,
    Women,
    Men,
    Girls,
    Boys,
    /// A district (kommundel, område) by name.
    Area(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown breakdown {0:?}")]
pub struct BreakdownError(pub String);

impl Breakdown {
    pub const FIXED: [Breakdown; 5] = [
        Breakdown::Total,
        Breakdown::Women,
        Breakdown::Men,
        Breakdown::Girls,
        Breakdown::Boys,
    ];

    pub fn parse(input: &str) -> Result<Breakdown, BreakdownError> {
        let s = input.trim();
        Ok(match s {
            "" | "total" => Breakdown::Total,
            "women" => Breakdown::Women,
            "men" => Breakdown::Men,
            "girls" => Breakdown::Girls,
            "boys" => Breakdown::Boys,
            _ => match s.strip_prefix("area:").map(str::trim) {
                Some(name)
                    if !name.is_empty()
                        && name.chars().count() <= 100
                        && !name.contains(['|', '\n', '\r']) =>
                {
                    Breakdown::Area(name.to_string())
                }
                _ => return Err(BreakdownError(s.to_string())),
            },
        })
    }

    pub fn code(&self) -> String {
        match self {
            Breakdown::Total => "total".into(),
            Breakdown::Women => "women".into(),
            Breakdown::Men => "men".into(),
            Breakdown::Girls => "girls".into(),
            Breakdown::Boys => "boys".into(),
            Breakdown::Area(name) => format!("area:{name}"),
        }
    }

    pub fn label_sv(&self) -> String {
        match self {
            Breakdown::Total => "Totalt".into(),
            Breakdown::Women => "Kvinnor".into(),
            Breakdown::Men => "Män".into(),
            Breakdown::Girls => "Flickor".into(),
            Breakdown::Boys => "Pojkar".into(),
            Breakdown::Area(name) => name.clone(),
        }
    }

    pub fn area(&self) -> Option<&str> {
        match self {
            Breakdown::Area(name) => Some(name),
            _ => None,
        }
    }
}

impl TryFrom<String> for Breakdown {
    type Error = BreakdownError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Breakdown::parse(&s)
    }
}

impl From<Breakdown> for String {
    fn from(b: Breakdown) -> String {
        b.code()
    }
}

/// One value of an indicator for a period and breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub period: Period,
    pub breakdown: Breakdown,
    pub value: f64,
    /// Margin of error (±), in the indicator's unit.
    pub margin: Option<f64>,
    pub sample_size: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Comparator {
    pub fn holds(self, value: f64, target: f64) -> bool {
        // Published figures carry a fixed number of decimals; compare with a tolerance far
        // below any displayed precision so that 93.7 >= 93.7 holds after float round-trips.
        const EPS: f64 = 1e-9;
        match self {
            Comparator::Gt => value > target + EPS,
            Comparator::Ge => value >= target - EPS,
            Comparator::Lt => value < target - EPS,
            Comparator::Le => value <= target + EPS,
            Comparator::Eq => (value - target).abs() <= EPS,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Gt => ">",
            Comparator::Ge => "≥",
            Comparator::Lt => "<",
            Comparator::Le => "≤",
            Comparator::Eq => "=",
        }
    }

    fn ascii(self) -> &'static str {
        match self {
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Eq => "=",
        }
    }
}

/// A comparison group a milestone may be set against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Benchmark {
    /// The county (länssnitt): a comparison group named "Länssnitt" or "… län".
    County,
    /// The country (riket): a group named "Riket", "Rikssnitt", "Sverige" or "Alla kommuner".
    Country,
}

impl Benchmark {
    /// Whether a comparison group's name is this benchmark (the one rule for it).
    pub fn matches(self, group: &str) -> bool {
        let g = group.trim().to_lowercase();
        match self {
            Benchmark::County => g == "länssnitt" || g == "länet" || g.ends_with(" län"),
            Benchmark::Country => {
                matches!(
                    g.as_str(),
                    "riket" | "rikssnitt" | "sverige" | "alla kommuner"
                )
            }
        }
    }

    /// The word in a milestone: "Länssnitt", "Riket".
    pub fn label_sv(self) -> &'static str {
        match self {
            Benchmark::County => "Länssnitt",
            Benchmark::Country => "Riket",
        }
    }

    /// "i länet", "i riket".
    fn within_sv(self) -> &'static str {
        match self {
            Benchmark::County => "i länet",
            Benchmark::Country => "i riket",
        }
    }

    fn parse_average(word: &str) -> Option<Benchmark> {
        match word.trim().to_lowercase().as_str() {
            "länssnitt" | "länssnittet" | "länet" => Some(Benchmark::County),
            "riket" | "rikssnitt" | "rikssnittet" => Some(Benchmark::Country),
            _ => None,
        }
    }
}

/// What a milestone (etappmål) or long-term target (målvärde) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    /// A number with a comparator, e.g. `>93.7`, `≥850`.
    Value { comparator: Comparator, value: f64 },
    /// The comparison group's average for the same year, e.g. `> Länssnitt`, `< Riket`.
    Relative {
        comparator: Comparator,
        benchmark: Benchmark,
    },
    /// Among the best `percent` per cent of the group by the indicator's direction, e.g.
    /// "bland de 25 % bästa i länet".
    Top { percent: u8, benchmark: Benchmark },
    /// Öka: a significant change on the previous outcome in the indicator's better
    /// direction (a rise; for an indicator where lower is better, such as a ranking place,
    /// an improvement). With no better direction, a significant rise.
    Increase,
    /// Minska: as Öka (an improvement) for an indicator with a better direction; with none,
    /// a significant fall.
    Decrease,
    /// Behåll: no significant worsening on the previous outcome.
    Maintain,
    /// Indikator: followed, with no target.
    FollowOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised target {0:?}")]
pub struct TargetError(pub String);

impl Target {
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let s = input.trim();
        let err = || TargetError(s.to_string());
        match s.to_lowercase().as_str() {
            "öka" => return Ok(Target::Increase),
            "minska" => return Ok(Target::Decrease),
            "behåll" | "bibehåll" => return Ok(Target::Maintain),
            "indikator" => return Ok(Target::FollowOnly),
            _ => {}
        }
        const PREFIXES: [(&str, Comparator); 7] = [
            (">=", Comparator::Ge),
            ("≥", Comparator::Ge),
            ("<=", Comparator::Le),
            ("≤", Comparator::Le),
            (">", Comparator::Gt),
            ("<", Comparator::Lt),
            ("=", Comparator::Eq),
        ];
        if let Some(top) = Target::parse_top(s) {
            return Ok(top);
        }
        let (comparator, rest) = PREFIXES
            .iter()
            .find_map(|(p, c)| s.strip_prefix(p).map(|rest| (*c, rest)))
            .unwrap_or((Comparator::Ge, s));
        if let Some(benchmark) = Benchmark::parse_average(rest) {
            return Ok(Target::Relative {
                comparator,
                benchmark,
            });
        }
        let value = parse_decimal(rest).map_err(|_| err())?;
        Ok(Target::Value { comparator, value })
    }

    /// "bland de 25 % bästa [i länet|i riket]" (the county when no group is named).
    fn parse_top(s: &str) -> Option<Target> {
        let lower = s.to_lowercase();
        let rest = lower.strip_prefix("bland de")?.trim_start();
        let (number, rest) = rest.split_once('%')?;
        let percent: u8 = number.trim().parse().ok()?;
        if percent == 0 || percent > 100 {
            return None;
        }
        let rest = rest.trim().strip_prefix("bästa")?.trim();
        let benchmark = match rest {
            "" | "i länet" => Benchmark::County,
            "i riket" => Benchmark::Country,
            _ => return None,
        };
        Some(Target::Top { percent, benchmark })
    }

    pub fn label_sv(&self, decimals: u8) -> String {
        match self {
            Target::Value { comparator, value } => {
                format!(
                    "{}\u{a0}{}",
                    comparator.symbol(),
                    format_sv(*value, decimals)
                )
            }
            Target::Relative {
                comparator,
                benchmark,
            } => format!("{}\u{a0}{}", comparator.symbol(), benchmark.label_sv()),
            Target::Top { .. } => self.to_string(),
            Target::Increase => "Öka".into(),
            Target::Decrease => "Minska".into(),
            Target::Maintain => "Behåll".into(),
            Target::FollowOnly => "Indikator".into(),
        }
    }

    /// Whether the target is judged against a comparison group.
    pub fn benchmark(&self) -> Option<Benchmark> {
        match self {
            Target::Relative { benchmark, .. } | Target::Top { benchmark, .. } => Some(*benchmark),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Value { comparator, value } => write!(f, "{}{}", comparator.ascii(), value),
            Target::Relative {
                comparator,
                benchmark,
            } => write!(f, "{} {}", comparator.ascii(), benchmark.label_sv()),
            Target::Top { percent, benchmark } => {
                write!(f, "Bland de {percent} % bästa {}", benchmark.within_sv())
            }
            Target::Increase => f.write_str("Öka"),
            Target::Decrease => f.write_str("Minska"),
            Target::Maintain => f.write_str("Behåll"),
            Target::FollowOnly => f.write_str("Indikator"),
        }
    }
}

impl TryFrom<String> for Target {
    type Error = TargetError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Target::parse(&s)
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn frequencies_round_trip_through_their_codes_and_json() {
        for f in Frequency::ALL {
            assert_eq!(Frequency::parse(f.code()), Some(f));
            assert_eq!(
                serde_json::to_value(f).unwrap(),
                serde_json::Value::String(f.code().into()),
                "the change log and the API show the code"
            );
        }
        assert_eq!(Frequency::parse(" week "), Some(Frequency::Week));
        assert_eq!(Frequency::parse("Year"), None);
        assert_eq!(Frequency::parse(""), None);
        assert_eq!(Frequency::Biennial.label_sv(), "Vartannat år");
    }

    #[test]
    fn parses_milestones_as_published() {
        assert_eq!(
            Target::parse(">93.7"),
            Ok(Target::Value {
                comparator: Comparator::Gt,
                value: 93.7
            })
        );
        assert_eq!(
            Target::parse("≥850"),
            Ok(Target::Value {
                comparator: Comparator::Ge,
                value: 850.0
            })
        );
        assert_eq!(
            Target::parse(">= 93,7"),
            Ok(Target::Value {
                comparator: Comparator::Ge,
                value: 93.7
            })
        );
        assert_eq!(Target::parse("Öka"), Ok(Target::Increase));
        assert_eq!(Target::parse("MINSKA"), Ok(Target::Decrease));
        assert_eq!(Target::parse("Behåll"), Ok(Target::Maintain));
        assert_eq!(Target::parse("Indikator"), Ok(Target::FollowOnly));
        assert!(Target::parse("bättre").is_err());
        assert_eq!(
            Target::parse("> Länssnitt"),
            Ok(Target::Relative {
                comparator: Comparator::Gt,
                benchmark: Benchmark::County
            })
        );
        assert_eq!(
            Target::parse("<riket"),
            Ok(Target::Relative {
                comparator: Comparator::Lt,
                benchmark: Benchmark::Country
            })
        );
        assert_eq!(
            Target::parse("bland de 25 % bästa"),
            Ok(Target::Top {
                percent: 25,
                benchmark: Benchmark::County
            })
        );
        assert_eq!(
            Target::parse("Bland de 10 % bästa i riket").map(|t| t.to_string()),
            Ok("Bland de 10 % bästa i riket".to_string())
        );
        assert!(Target::parse("bland de 0 % bästa").is_err());
        assert!(Target::parse("> Grannkommunen").is_err());
        assert!(Target::parse(">").is_err());
    }

    #[test]
    fn comparators_treat_equal_published_values_as_equal() {
        assert!(Comparator::Ge.holds(93.7, 93.7));
        assert!(!Comparator::Gt.holds(93.7, 93.7));
        assert!(!Comparator::Gt.holds(88.7, 93.7));
        assert!(Comparator::Le.holds(0.1 + 0.2, 0.3));
    }

    #[test]
    fn breakdowns_round_trip_through_their_codes() {
        for b in Breakdown::FIXED
            .into_iter()
            .chain([Breakdown::Area("Vårby".into())])
        {
            assert_eq!(Breakdown::parse(&b.code()), Ok(b));
        }
        assert!(Breakdown::parse("area:").is_err());
        assert!(Breakdown::parse("kvinnor").is_err());
    }

    proptest! {
        #[test]
        fn target_display_parses_back(v in -1.0e6f64..1.0e6, c in 0usize..5) {
            let comparator = [Comparator::Gt, Comparator::Ge, Comparator::Lt, Comparator::Le, Comparator::Eq][c];
            let t = Target::Value { comparator, value: v };
            prop_assert_eq!(Target::parse(&t.to_string()), Ok(t));
        }
    }
}
