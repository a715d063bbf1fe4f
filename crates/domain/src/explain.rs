//! Why an evaluation came out as it did, in Swedish sentences for the indicator page: what
//! the trend compared and the margin it had to exceed, how the margin of the latest value is
//! known, and the comparison group's figure a relative milestone was judged against. The
//! rules themselves are in [`crate::evaluation`] and `docs/evaluation.md`; this only says
//! them.

use crate::evaluation::{shows, Evaluation, IndicatorFacts, Status, Trend, TrendTest};
use crate::indicator::{Breakdown, Outcome, Target, TrendWindow};
use crate::number::format_sv;
use crate::period::Period;
use crate::uncertainty::{margin_of, MarginBasis, MarginSource, REGISTERS, SOURCES};

/// "+7", "−2", "0" at the indicator's precision.
fn signed(v: f64, decimals: u8) -> String {
    let text = format_sv(v, decimals);
    if v > 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        format!("+{text}")
    } else {
        text
    }
}

/// A margin's amount: at least one decimal, so that a small margin does not read as none.
fn amount(v: f64, decimals: u8) -> String {
    format_sv(v, decimals.max(1))
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    let decimals = if (p - p.round()).abs() < 1e-9 { 0 } else { 1 };
    format!("{}\u{a0}%", format_sv(p, decimals))
}

fn total_at(outcomes: &[Outcome], period: Period) -> Option<f64> {
    outcomes
        .iter()
        .find(|o| o.breakdown == Breakdown::Total && o.period == period)
        .map(|o| o.value)
}

impl TrendTest {
    /// Why the trend is what it is, e.g. "Trend: Oförändrad. Förändringen 47 → 45 (−2)
    /// ligger inom den sammanlagda felmarginalen ±3,2 (95 %)." or, for the whole series,
    /// "Trend över hela serien 2013–2019: Positiv. …". `outcomes` are the indicator's (the
    /// values at the window's ends are read from them).
    pub fn explain_sv(&self, trend: Trend, facts: &IndicatorFacts<'_>) -> String {
        let d = facts.decimals;
        let threshold = facts.settings.relative_threshold;
        match self.window {
            TrendWindow::LastTwo => {
                let from = total_at(facts.outcomes, self.from).unwrap_or(0.0);
                let to = total_at(facts.outcomes, self.to).unwrap_or(from + self.change);
                let change = format!(
                    "Förändringen {} → {} ({})",
                    format_sv(from, d),
                    format_sv(to, d),
                    signed(self.change, d)
                );
                let head = format!(
                    "Trend ({}–{}): {}.",
                    self.from.label_sv(),
                    self.to.label_sv(),
                    trend.label_sv()
                );
                let why = if self.significant {
                    if self.bound > 0.0 {
                        format!(
                            "{change} är större än den sammanlagda felmarginalen ±\u{a0}{} (95\u{a0}%).",
                            amount(self.bound, d)
                        )
                    } else if self.latest_margin.source == MarginSource::Exact {
                        format!("{change}. Värdena är exakta, så en förändring som syns med måttets decimaler räknas.")
                    } else {
                        format!("{change}. Felmarginalen är okänd, så förändringen räknas som den syns med måttets decimaler.")
                    }
                } else if self.change.abs() <= self.bound && self.bound > 0.0 {
                    format!(
                        "{change} ligger inom den sammanlagda felmarginalen ±\u{a0}{} (95\u{a0}%).",
                        amount(self.bound, d)
                    )
                } else if !shows(from, to, d) {
                    format!("{change} syns inte med måttets {d} decimaler.")
                } else {
                    format!(
                        "{change} är mindre än kommunens tröskel på {} av det tidigare värdet.",
                        percent(threshold)
                    )
                };
                format!("{head} {why}")
            }
            TrendWindow::Series => {
                let head = format!(
                    "Trend över hela serien {}–{}: {}.",
                    self.from.label_sv(),
                    self.to.label_sv(),
                    trend.label_sv()
                );
                if !self.bound.is_finite() {
                    return format!(
                        "{head} Serien har för få skilda perioder för att skatta en trend."
                    );
                }
                let line = format!(
                    "Den anpassade linjen genom de {} värdena ändras {} över perioden",
                    self.points,
                    signed(self.change, d)
                );
                let bound = format!("±\u{a0}{} (95\u{a0}%)", amount(self.bound, d));
                let why = if self.significant {
                    format!("{line}, mer än osäkerheten {bound}.")
                } else if self.change.abs() <= self.bound {
                    format!("{line}, inom osäkerheten {bound}.")
                } else {
                    format!(
                        "{line}, mer än osäkerheten {bound}, men förändringen syns inte med måttets decimaler eller är mindre än kommunens tröskel på {} av startvärdet.",
                        percent(threshold)
                    )
                };
                format!("{head} {why}")
            }
        }
    }
}

/// Where an indicator's margins come from: the basis set on it, or what its source's
/// methodology says (the table in [`crate::uncertainty`]).
pub fn basis_reason_sv(set: Option<MarginBasis>, source: &str) -> String {
    if let Some(basis) = set {
        return format!("Vald för måttet: {}.", basis.label_sv());
    }
    let lower = source.to_lowercase();
    if let Some(known) = SOURCES
        .iter()
        .find(|k| k.patterns.iter().any(|p| lower.contains(p)))
    {
        return format!("Källa: {}.", known.why_sv);
    }
    if REGISTERS.iter().any(|p| lower.contains(p)) {
        return format!(
            "Källa: {} är ett register eller kommunens egen räkning, utan urvalsfel.",
            source.trim()
        );
    }
    if source.trim().is_empty() {
        "Måttet anger ingen källa, så felmarginalen är okänd.".into()
    } else {
        format!(
            "Källan ({}) säger inte hur osäkra värdena är.",
            source.trim()
        )
    }
}

fn status_word(status: Status) -> String {
    status.label_sv().to_lowercase()
}

impl Evaluation {
    /// Why the trend is what it is (see [`TrendTest::explain_sv`]); `None` without a trend.
    pub fn trend_explain_sv(&self, facts: &IndicatorFacts<'_>) -> Option<String> {
        let test = self.trend_test.as_ref()?;
        Some(test.explain_sv(self.trend?, facts))
    }

    /// The margin of the latest total value up to the period and how it is known, e.g.
    /// "Felmarginal: ±\u{a0}2,2 enheter (95 %), beräknad från 480 svar (index)."; `None`
    /// without a value.
    pub fn margin_explain_sv(&self, facts: &IndicatorFacts<'_>) -> Option<String> {
        let latest = facts
            .outcomes
            .iter()
            .filter(|o| {
                o.breakdown == Breakdown::Total
                    && o.period.kind() == self.period.kind()
                    && o.period <= self.period
            })
            .max_by_key(|o| o.period)?;
        let m = margin_of(latest, facts.basis, facts.unit);
        let text = m.explain_sv(facts.unit, facts.decimals);
        Some(match m.source {
            MarginSource::Exact | MarginSource::Unknown => {
                format!(
                    "Felmarginal {}: {}.",
                    latest.period.label_sv(),
                    lower_first(&text)
                )
            }
            _ => format!("Felmarginal {}: {text}.", latest.period.label_sv()),
        })
    }

    /// For a milestone set against a comparison group, the group's figure it was judged
    /// against, e.g. "Etappmål 2019: > Länssnitt. Stockholms län 2019: 78. Utfall 82:
    /// uppnått." or "… Jämförelsevärde för 2019 saknas."; `None` for other milestones.
    pub fn milestone_explain_sv(&self, decimals: u8) -> Option<String> {
        let target = self.milestone?;
        target.benchmark()?;
        let year = self.period.label_sv();
        let head = format!("Etappmål {year}: {}.", target.label_sv(decimals));
        let outcome = match self.current {
            Some(c) => format!(
                "Utfall {}: {}.",
                format_sv(c.value, decimals),
                status_word(self.status)
            ),
            None => format!("Utfall för {year} saknas."),
        };
        let figure = match (&self.benchmark, target) {
            (Some(b), Target::Relative { .. }) => b.average.map(|a| {
                format!(
                    "{} {}: {}.",
                    b.group,
                    b.period.label_sv(),
                    format_sv(a, decimals)
                )
            }),
            (Some(b), Target::Top { percent, .. }) => b.rank.zip(b.of).map(|(rank, of)| {
                let places = ((of as f64) * f64::from(percent) / 100.0).ceil().max(1.0) as i64;
                format!(
                    "Placering {rank} av {of} i {} {} (de {places} bästa räknas).",
                    b.group,
                    b.period.label_sv()
                )
            }),
            _ => None,
        };
        Some(match figure {
            Some(f) => format!("{head} {f} {outcome}"),
            None => format!("{head} Jämförelsevärde för {year} saknas."),
        })
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::evaluate;
    use crate::indicator::{Benchmark, Comparator, Direction};
    use crate::model::Comparison;

    fn total(year: i32, value: f64) -> Outcome {
        Outcome {
            period: Period::Year(year),
            breakdown: Breakdown::Total,
            value,
            margin: None,
            sample_size: None,
        }
    }

    fn survey<'a>(outcomes: &'a [Outcome]) -> IndicatorFacts<'a> {
        IndicatorFacts {
            basis: MarginBasis::for_source("SCB:s medborgarundersökning"),
            unit: "index",
            ..IndicatorFacts::plain(Direction::Higher, 0, outcomes, &[])
        }
    }

    #[test]
    fn a_change_within_the_combined_margin_is_explained() {
        let outcomes = [total(2017, 47.0), total(2019, 45.0)];
        let facts = survey(&outcomes);
        let e = evaluate(&facts, Period::Year(2019));
        assert_eq!(e.trend, Some(Trend::Unchanged));
        assert_eq!(
            e.trend_explain_sv(&facts).unwrap(),
            "Trend (2017–2019): Oförändrad. Förändringen 47 → 45 (−2) ligger inom den sammanlagda felmarginalen ±\u{a0}3,2 (95\u{a0}%)."
        );
        assert_eq!(
            e.margin_explain_sv(&facts).unwrap(),
            "Felmarginal 2019: ±\u{a0}2,2 enheter (95\u{a0}%), beräknad från 480 svar (index)."
        );
        assert!(basis_reason_sv(None, "SCB:s medborgarundersökning")
            .starts_with("Källa: SCB:s medborgarundersökning: urval 1 200"));
    }

    #[test]
    fn exact_changes_and_series_are_explained() {
        let outcomes = [total(2017, 651.0), total(2018, 997.0)];
        let facts = IndicatorFacts::plain(Direction::Higher, 0, &outcomes, &[]);
        let e = evaluate(&facts, Period::Year(2018));
        let text = e.trend_explain_sv(&facts).unwrap();
        assert!(
            text.starts_with(
                "Trend (2017–2018): Positiv. Förändringen 651 → 997 (+346). Värdena är exakta"
            ),
            "{text}"
        );
        assert_eq!(
            e.margin_explain_sv(&facts).unwrap(),
            "Felmarginal 2018: exakt värde: ingen felmarginal."
        );
        let rising = [
            total(2013, 50.0),
            total(2015, 53.0),
            total(2017, 56.0),
            total(2019, 59.0),
        ];
        let facts = IndicatorFacts {
            window: TrendWindow::Series,
            ..IndicatorFacts::plain(Direction::Higher, 0, &rising, &[])
        };
        let e = evaluate(&facts, Period::Year(2019));
        let text = e.trend_explain_sv(&facts).unwrap();
        assert!(text.starts_with("Trend över hela serien 2013–2019: Positiv. Den anpassade linjen genom de 4 värdena ändras +9 över perioden, mer än osäkerheten"), "{text}");
    }

    #[test]
    fn a_relative_milestone_names_the_group_figure_or_its_absence() {
        let outcomes = [total(2019, 82.0)];
        let milestones = [(
            2019,
            Target::Relative {
                comparator: Comparator::Gt,
                benchmark: Benchmark::County,
            },
        )];
        let comparisons = [Comparison {
            period: Period::Year(2019),
            group: "Stockholms län".into(),
            rank: None,
            of: None,
            average: Some(78.0),
        }];
        let facts = IndicatorFacts {
            comparisons: &comparisons,
            ..IndicatorFacts::plain(Direction::Higher, 0, &outcomes, &milestones)
        };
        let e = evaluate(&facts, Period::Year(2019));
        assert_eq!(
            e.milestone_explain_sv(0).unwrap(),
            "Etappmål 2019: >\u{a0}Länssnitt. Stockholms län 2019: 78. Utfall 82: uppnått."
        );
        let without = IndicatorFacts {
            comparisons: &[],
            ..facts
        };
        let e = evaluate(&without, Period::Year(2019));
        assert_eq!(
            e.milestone_explain_sv(0).unwrap(),
            "Etappmål 2019: >\u{a0}Länssnitt. Jämförelsevärde för 2019 saknas."
        );
    }
}
