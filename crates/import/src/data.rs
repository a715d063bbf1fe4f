//! The validated content of data files: every value already a domain type, every row
//! with its origin so that later checks (references, the database) can point at it.

use std::fmt;

use serde::Serialize;
use uppsikt_domain::audit::{Assessment, AuditKind, Criterion, Grade, Stance, SubQuestion};
use uppsikt_domain::case_ref::CaseRef;
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::internal_control::{
    ActionStatus, Adoption, ControlKind, Discontinuation, Execution, FirstDocumented,
    OverallAssessment, RiskAnalysis, Verification,
};
use uppsikt_domain::kolada::MunicipalityId;
use uppsikt_domain::model::{Comparison, GapJudgement, GoalKind, OrgKind, OutcomeComment, Stage};
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{CommitmentStatus, Direction, Frequency, Outcome, Period, Target};

pub use crate::area::{
    AgreementData, AreaData, ForumData, LevelScaleData, SituationReportData, StatuteData,
};
use crate::report::Origin;

/// Longest key (`[a-z0-9-]+`).
pub const KEY_MAX: usize = 80;
/// Longest name, title, unit, source, group or author.
pub const NAME_MAX: usize = 200;
/// Longest free text (descriptions, analyses, motivations, comments).
pub const TEXT_MAX: usize = 20_000;

/// A key as authors write them: lower-case ASCII letters, digits and `-`, at most 80.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Key(String);

impl Key {
    pub fn parse(input: &str) -> Option<Key> {
        let s = input.trim();
        let valid = !s.is_empty()
            && s.len() <= KEY_MAX
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Key(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgUnitData {
    pub origin: Origin,
    pub key: Key,
    pub name: String,
    pub short_name: String,
    pub kind: OrgKind,
    pub parent: Option<Key>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisionData {
    pub origin: Origin,
    pub org: Key,
    pub text: String,
    /// The steering model (styrmodell) in a few paragraphs, shown in the reports'
    /// chapter "Vision och styrmodell"; empty when the data has none.
    pub steering_model: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalData {
    pub origin: Origin,
    pub key: Key,
    pub org: Key,
    pub parent: Option<Key>,
    pub title: String,
    pub description: String,
    pub kind: GoalKind,
    pub priorities: Vec<String>,
    /// `None`: file order.
    pub position: Option<i64>,
    pub analyses: Vec<(Period, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorData {
    pub origin: Origin,
    pub key: Key,
    pub goal: Key,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub source: String,
    pub kolada_kpi: String,
    pub decimals: u8,
    pub frequency: Frequency,
    /// How its margins are known; `None`: as its source implies.
    pub margin_basis: Option<MarginBasis>,
    pub trend_window: TrendWindow,
    /// `None`: file order.
    pub position: Option<i64>,
    pub outcomes: Vec<Outcome>,
    pub milestones: Vec<(i32, Target)>,
    pub targets: Vec<(i32, Target)>,
    pub comparisons: Vec<Comparison>,
    pub gaps: Vec<GapJudgement>,
    pub comments: Vec<OutcomeComment>,
    /// Keys of the comparison groups whose ranks and averages Kolada's values give, in
    /// order. `None`: the field is absent and the indicator's groups are left as they are.
    pub comparison_groups: Option<Vec<Key>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusData {
    /// ISO `YYYY-MM-DD`.
    pub date: String,
    pub status: CommitmentStatus,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentData {
    pub origin: Origin,
    pub key: Key,
    pub goal: Key,
    pub title: String,
    pub description: String,
    pub year: i32,
    pub carried_over_from: Option<Key>,
    pub statuses: Vec<StatusData>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentData {
    pub origin: Origin,
    pub org: Key,
    pub goal: Option<Key>,
    pub period: Period,
    /// As written; matched against the active scale when loading.
    pub level: String,
    pub stage: Stage,
    pub motivation: String,
    pub author: String,
    /// ISO `YYYY-MM-DD` or empty.
    pub date: String,
}

/// A unit's events and improvement areas for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodReviewData {
    pub origin: Origin,
    pub org: Key,
    pub period: Period,
    pub events: Vec<String>,
    pub improvement_areas: Vec<String>,
}

/// `[[decisions]]`: a board's decision on a report for a period, which locks it (what the
/// public sees, and what can no longer change). Written after everything else in the
/// files, so that a file can hold a period's data and its decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionData {
    pub origin: Origin,
    pub org: Key,
    pub period: Period,
    /// The deciding body, e.g. "Kommunstyrelsen".
    pub body: String,
    /// ISO `YYYY-MM-DD`, or empty where the source gives none.
    pub decided_on: String,
    /// The minutes' paragraph, e.g. "§ 45"; may be empty.
    pub paragraph: String,
    /// diarienummer; may be empty.
    pub diary_number: String,
}

/// `[kolada]`: which municipality is ours in Kolada, and where its API answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KoladaData {
    pub origin: Origin,
    pub municipality: MunicipalityId,
    /// `http(s)://…` without a trailing slash; `None`: the stored address is kept.
    pub api_url: Option<String>,
}

/// `[[comparison_groups]]`: a Kolada municipality group or a custom list of municipalities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonGroupData {
    pub origin: Origin,
    pub key: Key,
    pub title: String,
    /// Kolada's id of a municipality group (`G…`); `None` for a custom list.
    pub kolada_id: Option<String>,
    /// Never empty for a custom list; a Kolada group may list none (its members come
    /// from Kolada).
    pub members: Vec<MunicipalityId>,
}

/// A plan's own label for a risk, action or control ("RK01", "R07", "AA10", "C03",
/// "U01"): ASCII letters, digits and `-`, at most [`ITEM_KEY_MAX`]; unique in its plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ItemKey(String);

/// Longest item key of an internal-control plan.
pub const ITEM_KEY_MAX: usize = 20;

impl ItemKey {
    pub fn parse(input: &str) -> Option<ItemKey> {
        let s = input.trim();
        let valid = !s.is_empty()
            && s.len() <= ITEM_KEY_MAX
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        valid.then(|| ItemKey(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `[[control_plans]]`: a board's internal-control plan for a year with its risks,
/// actions and controls (`domain::internal_control`), items named by their plan keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlPlanData {
    pub origin: Origin,
    pub org: Key,
    pub year: i32,
    pub rule_ref: String,
    pub legal_basis: String,
    /// `None`: no adoption decision recorded (the plan shows it as missing).
    pub adoption: Option<Adoption>,
    pub risk_analysis: Option<RiskAnalysis>,
    pub self_assessment: Option<OverallAssessment>,
    pub auditor_assessment: Option<OverallAssessment>,
    pub risks: Vec<RiskData>,
    pub actions: Vec<ActionData>,
    pub controls: Vec<ControlData>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskData {
    pub origin: Origin,
    pub key: ItemKey,
    pub area: String,
    pub text: String,
    pub background: String,
    pub first_documented: Option<FirstDocumented>,
    pub common: bool,
}

/// What an action waits for, by the plan's key of another action or in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BlockerData {
    Action(ItemKey),
    Other(String),
}

/// A recommendation of an audit an action serves: its diarienummer and title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecommendationData {
    pub case_ref: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionData {
    pub origin: Origin,
    pub key: ItemKey,
    pub text: String,
    pub responsible: String,
    pub status: ActionStatus,
    /// ISO date; only with [`ActionStatus::Done`].
    pub done_on: Option<String>,
    pub comment: String,
    /// Keys of the plan's risks it reduces, in order.
    pub risks: Vec<ItemKey>,
    pub recommendations: Vec<RecommendationData>,
    pub blocked_by: Option<BlockerData>,
    pub verification: Option<Verification>,
}

/// One planned occurrence of a control and what was recorded for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OccurrenceData {
    /// ISO date.
    pub planned_on: String,
    pub execution: Option<Execution>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlData {
    pub origin: Origin,
    pub key: ItemKey,
    pub kind: ControlKind,
    pub area: String,
    pub name: String,
    pub purpose: String,
    pub method: String,
    pub frequency: String,
    pub sample: String,
    pub planned_parameters: String,
    pub responsible: String,
    /// ISO date or empty.
    pub due: String,
    /// The format's `origin`: why the control exists beyond the risk analysis.
    pub reason_origin: String,
    pub comment: String,
    pub common: bool,
    pub discontinued: Option<Discontinuation>,
    /// In order (their sequence numbers).
    pub occurrences: Vec<OccurrenceData>,
}

/// `[[audits]]`: an audit of the elected auditors (`domain::audit`) with its questions,
/// recommendations (their verdicts and links to internal control) and the boards'
/// responses. Audits and recommendations are named by keys unique across the files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditData {
    pub origin: Origin,
    pub key: Key,
    pub title: String,
    pub plan_year: i32,
    pub kind: AuditKind,
    pub commissioned_by: String,
    pub performed_by: String,
    /// Keys of the audited units.
    pub audited: Vec<Key>,
    /// Parsed with the installation's case-number format.
    pub case_ref: Option<CaseRef>,
    /// ISO dates.
    pub issued_on: Option<String>,
    pub response_due: Option<String>,
    pub purpose: String,
    pub scope: String,
    pub method: String,
    pub criteria: Vec<Criterion>,
    pub fact_checked: bool,
    pub overall: Option<Assessment>,
    pub overall_text: String,
    pub signatories: Vec<String>,
    /// Keys of the audits it follows up.
    pub follows_up: Vec<Key>,
    pub questions: Vec<QuestionData>,
    pub recommendations: Vec<AuditRecommendationData>,
    pub responses: Vec<ResponseData>,
}

/// A revisionsfråga.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionData {
    pub origin: Origin,
    pub number: u16,
    pub text: String,
    pub assessment: Option<Assessment>,
    pub reasoning: String,
    pub sub_questions: Vec<SubQuestion>,
}

/// A recommendation of an audit (named `Audit…` beside an internal-control action's
/// [`RecommendationData`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecommendationData {
    pub origin: Origin,
    /// Unique across the files.
    pub key: Key,
    /// As the report numbers it: "1", "1a", "IK-1".
    pub number: String,
    pub text: String,
    /// Keys of the units it is addressed to (at least one).
    pub to: Vec<Key>,
    /// Numbers of the audit's questions it answers.
    pub questions: Vec<u16>,
    /// Key of the recommendation it issues again.
    pub reissues: Option<Key>,
    pub ic_links: Vec<IcLinkData>,
    pub verdicts: Vec<VerdictData>,
}

/// Which item of a control plan a recommendation is linked to, by the plan's item key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "key")]
pub enum IcItemKey {
    Action(ItemKey),
    Control(ItemKey),
    Risk(ItemKey),
}

impl IcItemKey {
    pub fn key(&self) -> &ItemKey {
        match self {
            IcItemKey::Action(k) | IcItemKey::Control(k) | IcItemKey::Risk(k) => k,
        }
    }
}

/// A link from a recommendation to an item of a unit's control plan of a year; the plan's
/// unit is the addressee the link is for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IcLinkData {
    pub origin: Origin,
    pub org: Key,
    pub year: i32,
    pub item: IcItemKey,
}

/// The auditors' verdict on a recommendation in a follow-up year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictData {
    pub origin: Origin,
    pub year: i32,
    pub grade: Grade,
    pub text: String,
    pub evidence: String,
    pub closes: bool,
}

/// A board's decided response to an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseData {
    pub origin: Origin,
    pub org: Key,
    pub body: DecidingBody,
    pub document: String,
    /// ISO date.
    pub decided_on: String,
    pub paragraph: String,
    pub case_ref: Option<CaseRef>,
    pub items: Vec<ResponseItemData>,
}

/// The board's stance on one of the audit's recommendations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseItemData {
    pub origin: Origin,
    /// Key of a recommendation of the same audit.
    pub recommendation: Key,
    pub stance: Stance,
    pub comment: String,
}

/// Everything in one or more data files, merged in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataSet {
    pub org_units: Vec<OrgUnitData>,
    pub visions: Vec<VisionData>,
    pub areas: Vec<AreaData>,
    pub goals: Vec<GoalData>,
    pub indicators: Vec<IndicatorData>,
    pub commitments: Vec<CommitmentData>,
    pub assessments: Vec<AssessmentData>,
    pub period_reviews: Vec<PeriodReviewData>,
    pub decisions: Vec<DecisionData>,
    /// At most one over all files (checked when merged).
    pub kolada: Vec<KoladaData>,
    pub comparison_groups: Vec<ComparisonGroupData>,
    pub control_plans: Vec<ControlPlanData>,
    pub audits: Vec<AuditData>,
    /// At most one over all files (checked when merged).
    pub level_scales: Vec<LevelScaleData>,
    pub situation_reports: Vec<SituationReportData>,
    pub forums: Vec<ForumData>,
    pub agreements: Vec<AgreementData>,
    pub statutes: Vec<StatuteData>,
    /// `[economy]`, `[[cost_types]]`, `[[budget_lines]]`, `[[investments]]`, `[[grants]]` …
    pub economy: crate::economy::EconomyData,
}

impl DataSet {
    /// Appends another file's content (file order is kept).
    pub fn append(&mut self, other: DataSet) {
        self.org_units.extend(other.org_units);
        self.visions.extend(other.visions);
        self.areas.extend(other.areas);
        self.goals.extend(other.goals);
        self.indicators.extend(other.indicators);
        self.commitments.extend(other.commitments);
        self.assessments.extend(other.assessments);
        self.period_reviews.extend(other.period_reviews);
        self.decisions.extend(other.decisions);
        self.kolada.extend(other.kolada);
        self.comparison_groups.extend(other.comparison_groups);
        self.control_plans.extend(other.control_plans);
        self.audits.extend(other.audits);
        self.level_scales.extend(other.level_scales);
        self.situation_reports.extend(other.situation_reports);
        self.forums.extend(other.forums);
        self.agreements.extend(other.agreements);
        self.statutes.extend(other.statutes);
        self.economy.append(other.economy);
    }

    pub fn outcome_count(&self) -> usize {
        self.indicators.iter().map(|i| i.outcomes.len()).sum()
    }

    pub fn milestone_count(&self) -> usize {
        self.indicators.iter().map(|i| i.milestones.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lower_case_ascii_slugs_of_at_most_80_characters() {
        assert_eq!(Key::parse(" ks-2019 ").unwrap().as_str(), "ks-2019");
        assert!(Key::parse(&"a".repeat(80)).is_some());
        for bad in ["", "KS", "ökad", "a b", "a_b", "a.b", &"a".repeat(81)] {
            assert!(Key::parse(bad).is_none(), "{bad:?}");
        }
    }
}
