//! How an indicator's uncertainty is known, and the margin of error (95 %) of each outcome.
//!
//! An indicator's source decides how its uncertainty is known (`docs/evaluation.md` holds the
//! table of sources and the formulas):
//! - **published**: the source publishes an interval with each figure; it is recorded as the
//!   outcome's margin;
//! - **survey**: the margin follows from the number of respondents and the statistic
//!   (a proportion in per cent, or an index 0–100), with the respondents recorded on the
//!   outcome or, failing that, the source's usual number per its published methodology;
//! - **exact**: registers and the municipality's own counts have no sampling error;
//! - **unknown**: nothing says how uncertain the figure is; changes then count at the
//!   published precision, and the page says the margin is missing.
//!
//! Whatever the basis, a margin recorded on an outcome wins, and a change smaller than the
//! published precision or the municipality's relative threshold is no change.

use serde::{Deserialize, Serialize};

use crate::indicator::Outcome;

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_964;

/// The standard deviation of one answer on a 0–100 index scale (a 1–10 answer mapped to
/// 0–100, as SCB's betygsindex and the HME index are): SCB's published standard deviations
/// of single answers lie between 20 and 25 index units; the larger is used.
pub const INDEX_SD: f64 = 25.0;

/// What kind of estimate a survey figure is, which decides its margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// A share in per cent: ± z·√(p(1−p)/n)·100.
    Proportion,
    /// A mean on a 0–100 index scale: ± z·s/√n with s = [`INDEX_SD`].
    Index,
}

impl Statistic {
    /// The statistic an indicator's unit implies, if any.
    pub fn from_unit(unit: &str) -> Option<Statistic> {
        let u = unit.trim().to_lowercase();
        match u.as_str() {
            "%" | "procent" | "andel" => Some(Statistic::Proportion),
            _ if u.contains("index") => Some(Statistic::Index),
            _ => None,
        }
    }

    /// The 95 % margin of a value estimated from `n` respondents, in the indicator's unit.
    pub fn margin(self, value: f64, n: u32) -> Option<f64> {
        if n == 0 {
            return None;
        }
        let n = f64::from(n);
        Some(match self {
            Statistic::Proportion => {
                let p = (value / 100.0).clamp(0.0, 1.0);
                Z95 * (p * (1.0 - p) / n).sqrt() * 100.0
            }
            Statistic::Index => Z95 * INDEX_SD / n.sqrt(),
        })
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Statistic::Proportion => "andel",
            Statistic::Index => "index",
        }
    }
}

/// How an indicator's uncertainty is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MarginBasis {
    /// Registers and own counts: no sampling error.
    Exact,
    /// The source publishes an interval with each figure (recorded as the outcome's margin).
    Published,
    /// A sample survey; `respondents` is the usual number of answers per the source's
    /// methodology, used when an outcome does not record its own.
    Survey { respondents: Option<u32> },
    /// Nothing says how uncertain the figure is.
    Unknown,
}

impl MarginBasis {
    /// The stored code: `exact`, `published`, `survey`, `survey:480`, `unknown`.
    pub fn code(self) -> String {
        match self {
            MarginBasis::Exact => "exact".into(),
            MarginBasis::Published => "published".into(),
            MarginBasis::Survey { respondents: None } => "survey".into(),
            MarginBasis::Survey {
                respondents: Some(n),
            } => format!("survey:{n}"),
            MarginBasis::Unknown => "unknown".into(),
        }
    }

    pub fn parse(code: &str) -> Option<MarginBasis> {
        match code.trim() {
            "exact" => Some(MarginBasis::Exact),
            "published" => Some(MarginBasis::Published),
            "survey" => Some(MarginBasis::Survey { respondents: None }),
            "unknown" => Some(MarginBasis::Unknown),
            other => {
                let n: u32 = other.strip_prefix("survey:")?.trim().parse().ok()?;
                (n > 0).then_some(MarginBasis::Survey {
                    respondents: Some(n),
                })
            }
        }
    }

    pub fn label_sv(self) -> String {
        match self {
            MarginBasis::Exact => "Exakt (register eller egen räkning)".into(),
            MarginBasis::Published => "Publicerad felmarginal".into(),
            MarginBasis::Survey { respondents: None } => "Urvalsundersökning".into(),
            MarginBasis::Survey {
                respondents: Some(n),
            } => format!("Urvalsundersökning, normalt cirka {n} svar"),
            MarginBasis::Unknown => "Okänd".into(),
        }
    }

    /// The basis a source implies, from the table in `docs/evaluation.md`: surveys first
    /// (a Kolada number next to a survey's name is still the survey), then registers and
    /// the municipality's own counts; anything else is unknown.
    pub fn for_source(source: &str) -> MarginBasis {
        let s = source.to_lowercase();
        if let Some(known) = SOURCES
            .iter()
            .find(|k| k.patterns.iter().any(|p| s.contains(p)))
        {
            return known.basis;
        }
        if REGISTERS.iter().any(|p| s.contains(p)) {
            return MarginBasis::Exact;
        }
        MarginBasis::Unknown
    }
}

/// A source whose methodology says how uncertain its figures are.
pub struct KnownSource {
    /// Lower-case fragments of the source's name as indicators cite it.
    pub patterns: &'static [&'static str],
    pub basis: MarginBasis,
    /// Where the basis comes from (shown on the indicator page).
    pub why_sv: &'static str,
}

/// Sample surveys, by their published methodology.
pub static SOURCES: &[KnownSource] = &[
    KnownSource {
        patterns: &["medborgarundersökning"],
        basis: MarginBasis::Survey {
            respondents: Some(480),
        },
        why_sv: "SCB:s medborgarundersökning: urval 1 200 invånare 18–84 år per kommun, svarsfrekvens omkring 40 procent, alltså cirka 480 svar",
    },
    KnownSource {
        patterns: &[
            "befolkningsundersökning",
            "stockholmsenkät",
            "gatuenkät",
            "medarbetarenkät",
            "medarbetarundersökning",
            "hme",
            "svenskt näringsliv",
            "insikt",
            "brukarundersökning",
            "enkät",
        ],
        basis: MarginBasis::Survey { respondents: None },
        why_sv: "urvalsundersökning; källan anger inte antalet svar, så felmarginalen kan bara beräknas där antalet svar är registrerat",
    },
];

/// Fragments of register sources and the municipality's own counts (exact figures).
pub static REGISTERS: &[&str] = &[
    "scb",
    "kolada",
    "försäkringskassan",
    "arbetsförmedlingen",
    "post- och telestyrelsen",
    "pts",
    "skatteverket",
    "valmyndigheten",
    "bolagsverket",
    "socialstyrelsen",
    "skolverket",
    "huddinge kommun",
    "kommunen",
    "bokslut",
    "ekonomisystem",
    "personalsystem",
];

/// How the margin of one outcome was found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum MarginSource {
    /// Recorded with the outcome (a published interval).
    Recorded,
    /// Derived from the respondents and the statistic.
    Derived {
        respondents: u32,
        statistic: Statistic,
    },
    /// An exact figure: no margin.
    Exact,
    /// Not known: the figure is taken as it is.
    Unknown,
}

/// The margin (95 %) of one outcome, in the indicator's unit, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Margin {
    pub value: f64,
    pub source: MarginSource,
}

impl Margin {
    /// Whether the uncertainty is known (recorded, derived or exact).
    pub fn known(&self) -> bool {
        !matches!(self.source, MarginSource::Unknown)
    }

    /// "± 2,2 enheter (95 %), beräknad från 480 svar" and the like.
    pub fn explain_sv(&self, unit: &str, decimals: u8) -> String {
        let amount = crate::number::format_sv(self.value, decimals.max(1));
        let unit = match unit.trim() {
            "%" => "procentenheter".to_string(),
            "" | "index" | "betygsindex" => "enheter".to_string(),
            u => u.to_string(),
        };
        match self.source {
            MarginSource::Recorded => format!("±\u{a0}{amount} {unit} (95\u{a0}%), publicerad"),
            MarginSource::Derived {
                respondents,
                statistic,
            } => format!(
                "±\u{a0}{amount} {unit} (95\u{a0}%), beräknad från {respondents} svar ({})",
                statistic.label_sv()
            ),
            MarginSource::Exact => "Exakt värde: ingen felmarginal".into(),
            MarginSource::Unknown => "Felmarginal saknas".into(),
        }
    }
}

/// The margin of `outcome` of an indicator with `basis` and `unit`.
pub fn margin_of(outcome: &Outcome, basis: MarginBasis, unit: &str) -> Margin {
    if let Some(m) = outcome.margin {
        return Margin {
            value: m.abs(),
            source: MarginSource::Recorded,
        };
    }
    let unknown = Margin {
        value: 0.0,
        source: MarginSource::Unknown,
    };
    match basis {
        MarginBasis::Exact => Margin {
            value: 0.0,
            source: MarginSource::Exact,
        },
        MarginBasis::Published | MarginBasis::Unknown => unknown,
        MarginBasis::Survey { respondents } => {
            let n = outcome
                .sample_size
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .or(respondents);
            let derived = n.zip(Statistic::from_unit(unit)).and_then(|(n, s)| {
                s.margin(outcome.value, n).map(|value| Margin {
                    value,
                    source: MarginSource::Derived {
                        respondents: n,
                        statistic: s,
                    },
                })
            });
            derived.unwrap_or(unknown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Breakdown;
    use crate::period::Period;
    use proptest::prelude::*;

    fn outcome(value: f64, margin: Option<f64>, n: Option<i64>) -> Outcome {
        Outcome {
            period: Period::Year(2019),
            breakdown: Breakdown::Total,
            value,
            margin,
            sample_size: n,
        }
    }

    #[test]
    fn the_citizen_survey_index_has_a_margin_of_about_two_units() {
        let basis = MarginBasis::for_source("SCB:s medborgarundersökning, Kolada nr U45400");
        let m = margin_of(&outcome(47.0, None, None), basis, "index");
        assert!((m.value - 2.24).abs() < 0.01, "{m:?}");
        assert_eq!(
            m.explain_sv("index", 0),
            "±\u{a0}2,2 enheter (95\u{a0}%), beräknad från 480 svar (index)"
        );
    }

    #[test]
    fn a_recorded_margin_wins_and_registers_are_exact() {
        let basis = MarginBasis::for_source("SCB:s medborgarundersökning");
        let m = margin_of(&outcome(51.0, Some(9.0), None), basis, "index");
        assert_eq!((m.value, m.source), (9.0, MarginSource::Recorded));
        let exact = margin_of(
            &outcome(997.0, None, None),
            MarginBasis::for_source("SCB (OSDB)"),
            "antal",
        );
        assert_eq!(exact.source, MarginSource::Exact);
        assert_eq!(
            MarginBasis::for_source("Befolkningsundersökningen"),
            MarginBasis::Survey { respondents: None }
        );
        assert_eq!(
            MarginBasis::for_source("Länsstyrelsen"),
            MarginBasis::Unknown
        );
    }

    #[test]
    fn a_survey_without_respondents_has_no_known_margin_until_they_are_recorded() {
        let basis = MarginBasis::for_source("Befolkningsundersökningen");
        let unknown = margin_of(&outcome(56.0, None, None), basis, "%");
        assert!(!unknown.known());
        let known = margin_of(&outcome(50.0, None, Some(400)), basis, "%");
        assert!((known.value - 4.9).abs() < 0.01, "{known:?}");
    }

    #[test]
    fn codes_round_trip() {
        for b in [
            MarginBasis::Exact,
            MarginBasis::Published,
            MarginBasis::Survey { respondents: None },
            MarginBasis::Survey {
                respondents: Some(480),
            },
            MarginBasis::Unknown,
        ] {
            assert_eq!(MarginBasis::parse(&b.code()), Some(b));
        }
        assert_eq!(MarginBasis::parse("survey:0"), None);
        assert_eq!(MarginBasis::parse("gissning"), None);
    }

    proptest! {
        /// More respondents never widen a derived margin.
        #[test]
        fn more_respondents_never_widen_the_margin(v in 0.0f64..100.0, n in 1u32..5000, more in 0u32..5000) {
            for s in [Statistic::Proportion, Statistic::Index] {
                let a = s.margin(v, n).unwrap();
                let b = s.margin(v, n + more).unwrap();
                prop_assert!(b <= a + 1e-12);
            }
        }
    }
}
