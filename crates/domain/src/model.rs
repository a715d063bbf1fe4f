//! The objects of the follow-up model, as plain data (names from the glossary).
//! Storage fills them; the web and reports read them. No behaviour that needs I/O.

use serde::Serialize;

use crate::commitment::CommitmentStatus;
use crate::evaluation::EvaluationSettings;
use crate::indicator::{Direction, Frequency, Outcome, Target, TrendWindow};
use crate::period::Period;
use crate::uncertainty::MarginBasis;

pub type Id = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Kommun,
    Fullmaktige,
    Styrelse,
    Namnd,
    Bolag,
    Forvaltning,
    Avdelning,
    Enhet,
}

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Kommun,
        OrgKind::Fullmaktige,
        OrgKind::Styrelse,
        OrgKind::Namnd,
        OrgKind::Bolag,
        OrgKind::Forvaltning,
        OrgKind::Avdelning,
        OrgKind::Enhet,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Kommun => "kommun",
            OrgKind::Fullmaktige => "fullmaktige",
            OrgKind::Styrelse => "styrelse",
            OrgKind::Namnd => "namnd",
            OrgKind::Bolag => "bolag",
            OrgKind::Forvaltning => "forvaltning",
            OrgKind::Avdelning => "avdelning",
            OrgKind::Enhet => "enhet",
        }
    }

    pub fn parse(code: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            OrgKind::Kommun => "Kommun",
            OrgKind::Fullmaktige => "Kommunfullmäktige",
            OrgKind::Styrelse => "Styrelse",
            OrgKind::Namnd => "Nämnd",
            OrgKind::Bolag => "Bolag",
            OrgKind::Forvaltning => "Förvaltning",
            OrgKind::Avdelning => "Avdelning",
            OrgKind::Enhet => "Enhet",
        }
    }

    /// Whether units of this kind set goals and decide on reports (KF, KS, boards, companies).
    pub fn is_governing(self) -> bool {
        matches!(
            self,
            OrgKind::Fullmaktige | OrgKind::Styrelse | OrgKind::Namnd | OrgKind::Bolag
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgUnit {
    pub id: Id,
    pub key: String,
    pub name: String,
    pub short_name: String,
    pub kind: OrgKind,
    pub parent_id: Option<Id>,
    pub position: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalKind {
    /// Övergripande mål (KF, outward).
    Overall,
    /// Strategiskt mål (KF, inward).
    Strategic,
    /// Nämndmål or any goal below.
    Board,
}

impl GoalKind {
    pub const ALL: [GoalKind; 3] = [GoalKind::Overall, GoalKind::Strategic, GoalKind::Board];

    pub fn code(self) -> &'static str {
        match self {
            GoalKind::Overall => "overall",
            GoalKind::Strategic => "strategic",
            GoalKind::Board => "board",
        }
    }

    pub fn parse(code: &str) -> Option<GoalKind> {
        GoalKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            GoalKind::Overall => "Övergripande mål",
            GoalKind::Strategic => "Strategiskt mål",
            GoalKind::Board => "Nämndmål",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub id: Id,
    pub key: String,
    pub org_id: Id,
    pub parent_id: Option<Id>,
    pub title: String,
    pub description: String,
    pub kind: GoalKind,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub period: Period,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub id: Id,
    pub key: String,
    pub goal_id: Id,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub source: String,
    pub kolada_kpi: String,
    pub decimals: u8,
    pub frequency: Frequency,
    pub position: i64,
    /// How the uncertainty of its outcomes is known; `None`: as its source implies
    /// ([`MarginBasis::for_source`]).
    pub margin_basis: Option<MarginBasis>,
    /// Over which outcomes its trend is judged.
    pub trend_window: TrendWindow,
}

impl Indicator {
    /// The basis of its margins: set on the indicator, or implied by its source.
    pub fn uncertainty(&self) -> MarginBasis {
        self.margin_basis
            .unwrap_or_else(|| MarginBasis::for_source(&self.source))
    }
}

/// Position within a comparison group and the group's average (ranking & genomsnitt).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub period: Period,
    pub group: String,
    pub rank: Option<i64>,
    pub of: Option<i64>,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// Kön.
    Gender,
    /// Område.
    Area,
}

impl GapKind {
    pub fn code(self) -> &'static str {
        match self {
            GapKind::Gender => "gender",
            GapKind::Area => "area",
        }
    }

    pub fn parse(code: &str) -> Option<GapKind> {
        match code.trim() {
            "gender" => Some(GapKind::Gender),
            "area" => Some(GapKind::Area),
            _ => None,
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            GapKind::Gender => "Kön",
            GapKind::Area => "Område",
        }
    }
}

/// A published judgement whether a gap is unjustified (omotiverade skillnader).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapJudgement {
    pub period: Period,
    pub kind: GapKind,
    pub unjustified: bool,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeComment {
    pub period: Period,
    pub text: String,
}

/// An indicator with everything recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRecord {
    pub indicator: Indicator,
    pub outcomes: Vec<Outcome>,
    pub milestones: Vec<(i32, Target)>,
    pub targets: Vec<(i32, Target)>,
    pub comparisons: Vec<Comparison>,
    pub gaps: Vec<GapJudgement>,
    pub comments: Vec<OutcomeComment>,
    /// Whether any outcome or comparison shown comes from Kolada (then the page or report
    /// must say "Källa: Kolada (RKA)").
    pub kolada: bool,
    /// The municipality's settings for judging changes.
    pub settings: EvaluationSettings,
}

impl IndicatorRecord {
    pub fn facts(&self) -> crate::evaluation::IndicatorFacts<'_> {
        crate::evaluation::IndicatorFacts {
            direction: self.indicator.direction,
            decimals: self.indicator.decimals,
            outcomes: &self.outcomes,
            milestones: &self.milestones,
            basis: self.indicator.uncertainty(),
            unit: &self.indicator.unit,
            window: self.indicator.trend_window,
            comparisons: &self.comparisons,
            settings: self.settings,
        }
    }

    pub fn evaluate(&self, period: Period) -> crate::evaluation::Evaluation {
        crate::evaluation::evaluate(&self.facts(), period)
    }

    /// The record as it stood at the end of `period`: outcomes, milestones, comparisons,
    /// gap judgements and comments of periods that ended by then ([`Period::covered_by`]).
    /// A report on 2019 is built from this, so nothing entered for 2020 or later shows in
    /// its figures, charts, tables or workbook. Long-term targets (målvärden) are the
    /// board's aim, not data, and stay.
    pub fn until(mut self, period: Period) -> IndicatorRecord {
        self.outcomes.retain(|o| o.period.covered_by(period));
        self.milestones
            .retain(|(y, _)| Period::Year(*y).covered_by(period) || *y == period.year());
        self.comparisons.retain(|c| c.period.covered_by(period));
        self.gaps.retain(|g| g.period.covered_by(period));
        self.comments.retain(|c| c.period.covered_by(period));
        self
    }

    /// Every period with a recorded outcome, oldest first.
    pub fn periods(&self) -> Vec<Period> {
        let mut ps: Vec<Period> = self.outcomes.iter().map(|o| o.period).collect();
        ps.sort();
        ps.dedup();
        ps
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusEntry {
    pub id: Id,
    /// ISO date `YYYY-MM-DD`.
    pub date: String,
    pub status: CommitmentStatus,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    pub id: Id,
    pub key: String,
    pub goal_id: Id,
    pub title: String,
    pub description: String,
    pub year: i32,
    pub carried_over_from: Option<Id>,
    pub position: i64,
    /// Oldest first.
    pub statuses: Vec<StatusEntry>,
}

impl Commitment {
    /// The status in force at the end of a year, if any was recorded by then.
    pub fn status_at_year_end(&self, year: i32) -> Option<CommitmentStatus> {
        let end = format!("{year:04}-12-31");
        crate::commitment::status_on(&self.statuses, &end, |s| (s.date.as_str(), s.status))
    }

    pub fn latest(&self) -> Option<&StatusEntry> {
        self.statuses
            .iter()
            .max_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Proposed,
    Decided,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Proposed => "proposed",
            Stage::Decided => "decided",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        match code.trim() {
            "proposed" => Some(Stage::Proposed),
            "decided" => Some(Stage::Decided),
            _ => None,
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Stage::Proposed => "Föreslagen",
            Stage::Decided => "Beslutad",
        }
    }
}

/// A person's or a board's assessment of goal fulfilment (måluppfyllelse).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub id: Id,
    pub org_id: Id,
    /// `None` for the unit's overall (sammanvägd) assessment.
    pub goal_id: Option<Id>,
    pub period: Period,
    pub stage: Stage,
    pub level: String,
    pub motivation: String,
    pub author: String,
    pub date: String,
}

/// What a unit reports beside its assessments for a period: the year's (or the
/// tertial's) most important events (årets händelser) and the improvement areas
/// (förbättringsområden) it proposes for coming planning periods. One item per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodReview {
    pub org_id: Id,
    pub period: Period,
    pub events: Vec<String>,
    pub improvement_areas: Vec<String>,
}

impl PeriodReview {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.improvement_areas.is_empty()
    }

    /// "Årets händelser" for a year, "Periodens händelser" for a tertial or shorter.
    pub fn events_label_sv(&self) -> &'static str {
        match self.period {
            Period::Year(_) => "Årets händelser",
            _ => "Periodens händelser",
        }
    }

    /// Items from a text with one item per line: lines are trimmed, a leading list
    /// mark (`-`, `*`, `•`, `–`) is removed and empty lines are skipped.
    pub fn items_from_lines(text: &str) -> Vec<String> {
        text.lines()
            .map(|line| {
                let line = line.trim();
                line.strip_prefix(['-', '*', '•', '–'])
                    .map(str::trim_start)
                    .unwrap_or(line)
                    .to_string()
            })
            .filter(|line| !line.is_empty())
            .collect()
    }

    /// The items as a text with one item per line (the inverse of [`Self::items_from_lines`]
    /// for items without line breaks or leading list marks).
    pub fn lines_from_items(items: &[String]) -> String {
        items.join("\n")
    }
}

#[cfg(test)]
mod period_review_tests {
    use super::PeriodReview;

    #[test]
    fn items_from_lines_drops_marks_and_blank_lines() {
        let items = PeriodReview::items_from_lines(
            "  - Spårväg syd tidigareläggs\r\n\n• Val till Europaparlamentet\n–  Servicecenter i nya lokaler \n   \nHuddKLASSA",
        );
        assert_eq!(
            items,
            vec![
                "Spårväg syd tidigareläggs",
                "Val till Europaparlamentet",
                "Servicecenter i nya lokaler",
                "HuddKLASSA"
            ]
        );
    }

    #[test]
    fn lines_round_trip() {
        let items = vec!["Första".to_string(), "Andra – med tankstreck".to_string()];
        let text = PeriodReview::lines_from_items(&items);
        assert_eq!(PeriodReview::items_from_lines(&text), items);
    }
}

/// A board's decision on a report for a period (e.g. KS's verksamhetsberättelse 2019):
/// it locks that period's outcomes, analyses and assessments of the unit and its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodLock {
    pub org_id: Id,
    pub period: Period,
    /// The deciding body, e.g. "Kommunstyrelsen".
    pub body: String,
    /// ISO date of the decision.
    pub decided_on: String,
    /// The minutes' paragraph, e.g. "§ 45".
    pub paragraph: String,
    /// diarienummer, e.g. "KS-2020/123".
    pub diary_number: String,
    pub locked_by: String,
    pub locked_at: String,
}
