//! Internal control (intern kontroll): a board's plan per year (internkontrollplan) with its
//! risks, risk-reducing actions, systematic controls and contract follow-ups, and the rules
//! that make what the 2019 audit found visible: a control's execution kept apart from its
//! result, every planned occurrence followed, an action done kept apart from its effect
//! verified, a risk's age, blocked actions, and report counts computed from the data.
//!
//! The structures follow seed 004's internal-control chapter (`DOMAIN-MODULES.md` A1);
//! scoring a risk is optional (the seeds never score one): a plan that scores uses one
//! version of a [`RiskMatrix`], fixed once a risk is scored.
//!
//! What goes wrong raises a deviation into the one loop (`deviation.rs`): a control result
//! with findings, a planned occurrence not performed by its date, an action not finished at
//! the end of its year ([`deviation_candidates`], each with its cause key).

use serde::Serialize;

use crate::deviation::{NewDeviation, Severity, Source};
use crate::model::Id;
use crate::period::Period;

/// The year a risk was first documented. Seed 004 writes "Risken dokumenterades 2012 eller
/// tidigare": the year is then a latest bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "year")]
pub enum FirstDocumented {
    In(i32),
    /// That year or earlier.
    InOrBefore(i32),
}

impl FirstDocumented {
    /// Parses "2012" or "≤2012" / "2012 eller tidigare" (the data format and forms).
    pub fn parse(input: &str) -> Option<FirstDocumented> {
        let t = input.trim();
        let (text, bound) = if let Some(rest) = t.strip_prefix('≤') {
            (rest.trim(), true)
        } else if let Some(rest) = t.strip_suffix("eller tidigare") {
            (rest.trim(), true)
        } else {
            (t, false)
        };
        if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = text.parse().ok()?;
        if !(1900..=2200).contains(&year) {
            return None;
        }
        Some(if bound {
            FirstDocumented::InOrBefore(year)
        } else {
            FirstDocumented::In(year)
        })
    }

    pub fn year(self) -> i32 {
        match self {
            FirstDocumented::In(y) | FirstDocumented::InOrBefore(y) => y,
        }
    }

    /// The data format's spelling: "2012" or "≤2012".
    pub fn code(self) -> String {
        match self {
            FirstDocumented::In(y) => y.to_string(),
            FirstDocumented::InOrBefore(y) => format!("≤{y}"),
        }
    }

    /// "dokumenterad 2012 eller tidigare".
    pub fn label_sv(self) -> String {
        match self {
            FirstDocumented::In(y) => format!("dokumenterad {y}"),
            FirstDocumented::InOrBefore(y) => format!("dokumenterad {y} eller tidigare"),
        }
    }

    /// The risk's age in a plan year: "7 år" or "minst 7 år".
    pub fn age_sv(self, plan_year: i32) -> String {
        let years = (plan_year - self.year()).max(0);
        match self {
            FirstDocumented::In(_) => format!("{years} år"),
            FirstDocumented::InOrBefore(_) => format!("minst {years} år"),
        }
    }
}

/// A risk-reducing action's status at the end of its year, in the seed's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// "Ej klart i år" (also before the year ends: not done yet).
    NotDone,
    /// "Klart".
    Done,
}

impl ActionStatus {
    pub fn label_sv(self) -> &'static str {
        match self {
            ActionStatus::NotDone => "Ej klart i år",
            ActionStatus::Done => "Klart",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            ActionStatus::NotDone => "not_done",
            ActionStatus::Done => "done",
        }
    }
    pub fn parse(code: &str) -> Option<ActionStatus> {
        match code {
            "not_done" | "Ej klart i år" | "Ej klart" => Some(ActionStatus::NotDone),
            "done" | "Klart" => Some(ActionStatus::Done),
            _ => None,
        }
    }
}

/// What an action waits for: another action of the plans, or something outside them
/// (e.g. "KF:s upphandlingspolicy, beslutas 2020-02-10").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "what")]
pub enum Blocker {
    Action(Id),
    Other(String),
}

/// What an action serves. One action may serve several sources (the bisysslor action is a
/// risk action and an audit action at once) without being entered twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ActionSource {
    /// The risk it reduces.
    Risk { risk_id: Id },
    /// A recommendation of an audit or other external review, by its diarienummer and
    /// title (until the audit module holds the recommendation itself).
    Recommendation { case_ref: String, title: String },
    /// A deviation whose decision it carries out.
    Deviation { deviation_id: Id },
}

/// Who verified that a done action had its effect, how and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub by: String,
    pub how: String,
    /// ISO date.
    pub on: String,
}

/// A recorded change of an action's content: the old text stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amendment {
    /// ISO date.
    pub on: String,
    pub previous_text: String,
    pub new_text: String,
    pub reason: String,
    pub by: String,
}

/// A risk-reducing action (or an action from an audit recommendation) in a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IcAction {
    pub id: Id,
    pub plan_id: Id,
    /// The plan's own label, e.g. "R07" or "AA10".
    pub key: String,
    /// What is to be done (the current text; earlier texts are in `amendments`).
    pub text: String,
    pub responsible: String,
    pub status: ActionStatus,
    /// ISO date it was done, where known.
    pub done_on: Option<String>,
    /// The seed's "Kommentar".
    pub comment: String,
    pub blocked_by: Option<Blocker>,
    pub sources: Vec<ActionSource>,
    pub verification: Option<Verification>,
    /// Oldest first.
    pub amendments: Vec<Amendment>,
    /// The action of last year's plan this one continues.
    pub carried_from: Option<Id>,
}

impl IcAction {
    /// The risks it reduces.
    pub fn risk_ids(&self) -> impl Iterator<Item = Id> + '_ {
        self.sources.iter().filter_map(|s| match s {
            ActionSource::Risk { risk_id } => Some(*risk_id),
            _ => None,
        })
    }

    /// Done, and its effect verified.
    pub fn is_verified(&self) -> bool {
        self.status == ActionStatus::Done && self.verification.is_some()
    }
}

/// The position of a risk in its plan's matrix, 1-based on both axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RiskScore {
    pub probability: u8,
    pub consequence: u8,
}

impl RiskScore {
    /// The product, for ordering risks by weight.
    pub fn value(self) -> u16 {
        u16::from(self.probability) * u16::from(self.consequence)
    }
}

/// How a risk is handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Handling {
    /// "Åtgärd": actions reduce it.
    Action,
    /// "Kontroll": controls watch it.
    Control,
    /// "Acceptera", with the motivation.
    Accept { motivation: String },
}

impl Handling {
    pub fn label_sv(&self) -> &'static str {
        match self {
            Handling::Action => "Åtgärd",
            Handling::Control => "Kontroll",
            Handling::Accept { .. } => "Acceptera",
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Handling::Action => "action",
            Handling::Control => "control",
            Handling::Accept { .. } => "accept",
        }
    }
}

/// A municipality's risk matrix, one version of it: labels for probability (sannolikhet)
/// and consequence (konsekvens), lowest first. A version is never changed: a changed
/// template is a new version, and a plan keeps the version its risks were scored in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskMatrix {
    pub id: Id,
    pub name: String,
    pub version: i64,
    pub probability: Vec<String>,
    pub consequence: Vec<String>,
}

/// Why a risk matrix or a score was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixError {
    /// Fewer than 2 or more than 10 steps on an axis.
    Size,
    /// An empty or repeated label.
    Label,
    /// A score outside the matrix.
    OutOfRange,
    /// The plan's matrix is fixed once a risk is scored in it.
    Fixed,
    /// Scoring needs a matrix chosen for the plan.
    NoMatrix,
}

impl RiskMatrix {
    /// The largest axis a matrix may have.
    pub const MAX_STEPS: usize = 10;

    /// Checks the labels of a new version.
    pub fn check_labels(probability: &[String], consequence: &[String]) -> Result<(), MatrixError> {
        for axis in [probability, consequence] {
            if axis.len() < 2 || axis.len() > Self::MAX_STEPS {
                return Err(MatrixError::Size);
            }
            let mut seen = std::collections::HashSet::new();
            if axis
                .iter()
                .any(|l| l.trim().is_empty() || !seen.insert(l.trim()))
            {
                return Err(MatrixError::Label);
            }
        }
        Ok(())
    }

    /// Checks that a score lies inside the matrix.
    pub fn check(&self, score: RiskScore) -> Result<(), MatrixError> {
        let inside = |v: u8, axis: &[String]| v >= 1 && usize::from(v) <= axis.len();
        if inside(score.probability, &self.probability)
            && inside(score.consequence, &self.consequence)
        {
            Ok(())
        } else {
            Err(MatrixError::OutOfRange)
        }
    }

    /// "Sannolik (3) × Kännbar (2)".
    pub fn describe(&self, score: RiskScore) -> String {
        let label = |v: u8, axis: &[String]| {
            axis.get(usize::from(v).wrapping_sub(1))
                .cloned()
                .unwrap_or_else(|| "?".into())
        };
        format!(
            "{} ({}) × {} ({})",
            label(score.probability, &self.probability),
            score.probability,
            label(score.consequence, &self.consequence),
            score.consequence
        )
    }
}

/// A risk in a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    pub id: Id,
    pub plan_id: Id,
    /// The plan's own label, e.g. "RK01".
    pub key: String,
    /// The process or area heading, e.g. "Informationssäkerhet".
    pub area: String,
    pub text: String,
    /// The seed's "Bakgrund".
    pub background: String,
    pub first_documented: Option<FirstDocumented>,
    /// The risk of last year's plan this one continues.
    pub carried_from: Option<Id>,
    /// The common (kommungemensam) item of KS's plan this one was pushed from.
    pub common_from: Option<Id>,
    /// Marked by KS as common to every board's plan (in KS's own plan).
    pub common: bool,
    /// Before the actions and controls (bruttorisk); `None` = not assessed ("ej bedömd").
    pub gross: Option<RiskScore>,
    /// After them (nettorisk).
    pub net: Option<RiskScore>,
    pub handling: Option<Handling>,
}

/// A contract follow-up's own fields (seed 004's "Plan för uppföljning och insyn"): it is
/// a control with a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractFollowUp {
    /// "Typ", e.g. "Avtalsuppföljning".
    pub follow_up_kind: String,
    /// "Tidplan".
    pub schedule: String,
    /// "Intervall".
    pub interval: String,
    /// "Mottagare".
    pub recipients: String,
}

/// A systematic control or a contract follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ControlKind {
    Systematic,
    ContractFollowUp(ContractFollowUp),
}

/// A control occurrence's result, apart from whether it was performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlResult {
    /// "Utan anmärkning".
    WithoutRemark,
    /// "Med anmärkning": findings that need a decision.
    WithRemark,
}

impl ControlResult {
    pub fn label_sv(self) -> &'static str {
        match self {
            ControlResult::WithoutRemark => "Utan anmärkning",
            ControlResult::WithRemark => "Med anmärkning",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            ControlResult::WithoutRemark => "without_remark",
            ControlResult::WithRemark => "with_remark",
        }
    }
    pub fn parse(code: &str) -> Option<ControlResult> {
        match code {
            "without_remark" | "Utan anmärkning" => Some(ControlResult::WithoutRemark),
            "with_remark" | "Med anmärkning" => Some(ControlResult::WithRemark),
            _ => None,
        }
    }
}

/// What was recorded for a planned occurrence of a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Execution {
    /// Performed: when, with which parameters, with what result.
    Performed {
        /// ISO date.
        performed_on: String,
        /// The parameters actually used ("> 49 000 kr"); empty = as planned.
        parameters_used: String,
        result: ControlResult,
        /// What was found (required with a remark; may summarise figures without one).
        findings: String,
    },
    /// Recorded as not performed, and why ("sjukskrivning och underbemanning").
    NotPerformed { reason: String },
}

/// Why an execution was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionError {
    /// A result with a remark needs its findings written.
    FindingsRequired,
    /// Not performed needs its reason.
    ReasonRequired,
    /// Performed on a day after today.
    InFuture,
}

impl Execution {
    /// Checks an execution before it is stored.
    pub fn check(&self, today: &str) -> Result<(), ExecutionError> {
        match self {
            Execution::Performed {
                performed_on,
                result,
                findings,
                ..
            } => {
                if *result == ControlResult::WithRemark && findings.trim().is_empty() {
                    return Err(ExecutionError::FindingsRequired);
                }
                if performed_on.as_str() > today {
                    return Err(ExecutionError::InFuture);
                }
                Ok(())
            }
            Execution::NotPerformed { reason } if reason.trim().is_empty() => {
                Err(ExecutionError::ReasonRequired)
            }
            Execution::NotPerformed { .. } => Ok(()),
        }
    }

    pub fn is_performed(&self) -> bool {
        matches!(self, Execution::Performed { .. })
    }

    pub fn has_findings(&self) -> bool {
        matches!(
            self,
            Execution::Performed {
                result: ControlResult::WithRemark,
                ..
            }
        )
    }
}

/// One planned occurrence of a control (a monthly control has twelve).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    pub id: Id,
    pub control_id: Id,
    /// 1, 2, … within the control.
    pub seq: i64,
    /// ISO date it is due.
    pub planned_on: String,
    pub execution: Option<Execution>,
    /// Who recorded the execution.
    pub recorded_by: Option<String>,
}

/// Where an occurrence stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceState {
    Performed,
    /// Performed with a remark.
    Findings,
    /// Recorded as not performed, or past its date with nothing recorded.
    Missed,
    /// Not yet due.
    Planned,
}

impl OccurrenceState {
    pub fn label_sv(self) -> &'static str {
        match self {
            OccurrenceState::Performed => "Genomförd",
            OccurrenceState::Findings => "Genomförd med anmärkning",
            OccurrenceState::Missed => "Inte genomförd",
            OccurrenceState::Planned => "Planerad",
        }
    }
}

impl Occurrence {
    pub fn state(&self, today: &str) -> OccurrenceState {
        match &self.execution {
            Some(e) if e.has_findings() => OccurrenceState::Findings,
            Some(e) if e.is_performed() => OccurrenceState::Performed,
            Some(_) => OccurrenceState::Missed,
            None if self.planned_on.as_str() < today => OccurrenceState::Missed,
            None => OccurrenceState::Planned,
        }
    }

    /// The parameters used, where they differ from the planned ones.
    pub fn parameter_drift<'a>(&'a self, planned: &str) -> Option<&'a str> {
        match &self.execution {
            Some(Execution::Performed {
                parameters_used, ..
            }) if !parameters_used.trim().is_empty()
                && parameters_used.trim() != planned.trim() =>
            {
                Some(parameters_used)
            }
            _ => None,
        }
    }
}

/// Planned dates for `count` occurrences spread over `year`: the last day of every
/// (12 / count)-th month, so 1 → 31 December, 4 → the quarters' ends, 12 → every month's
/// end (a count that does not divide 12 is spread as evenly as whole months allow).
pub fn planned_dates(year: i32, count: usize) -> Vec<String> {
    let count = count.clamp(1, 366);
    if count > 12 {
        // More often than monthly: evenly spaced days.
        let first = crate::date::days_from_civil(i64::from(year), 1, 1);
        let days = crate::date::days_from_civil(i64::from(year) + 1, 1, 1) - first;
        return (1..=count as i64)
            .map(|k| crate::date::from_day_number(first + (k * days) / count as i64 - 1))
            .collect();
    }
    (1..=count)
        .map(|k| {
            let month = ((k * 12) as f64 / count as f64).round() as i64;
            let next = if month == 12 {
                crate::date::days_from_civil(i64::from(year) + 1, 1, 1)
            } else {
                crate::date::days_from_civil(i64::from(year), month + 1, 1)
            };
            crate::date::from_day_number(next - 1)
        })
        .collect()
}

/// A decision not to continue a control the coming year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discontinuation {
    /// ISO date.
    pub on: String,
    pub decided_by: String,
    pub reason: String,
}

/// A systematic control or contract follow-up in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    pub id: Id,
    pub plan_id: Id,
    /// The plan's own label, e.g. "C03" or "U01".
    pub key: String,
    pub kind: ControlKind,
    pub area: String,
    pub name: String,
    /// "Syfte".
    pub purpose: String,
    /// "Beskrivning av kontroll": how it is done.
    pub method: String,
    /// E.g. "Månadsvis", "En gång per år", "Fem gånger per år".
    pub frequency: String,
    /// The sample, e.g. "minst fem oönskade händelser".
    pub sample: String,
    /// The planned parameters, e.g. "nettolöner över 50 000 kr" (empty: none).
    pub planned_parameters: String,
    pub responsible: String,
    /// ISO date it is to be done by (the seed's "Klart 2019-12-31").
    pub due: String,
    /// Why it exists beyond the risk analysis, e.g. "Revision 2013 (dagvatten)".
    pub origin: String,
    /// The seed's "Status och kommentar" text.
    pub comment: String,
    pub carried_from: Option<Id>,
    pub common_from: Option<Id>,
    pub common: bool,
    pub discontinued: Option<Discontinuation>,
    /// In order.
    pub occurrences: Vec<Occurrence>,
}

/// A control's status on a day: every occurrence performed is "Klart".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Done,
    NotDone,
}

impl ControlStatus {
    pub fn label_sv(self) -> &'static str {
        match self {
            ControlStatus::Done => "Klart",
            ControlStatus::NotDone => "Ej klart i år",
        }
    }
}

impl Control {
    /// Performed occurrences (with or without findings).
    pub fn performed(&self) -> usize {
        self.occurrences
            .iter()
            .filter(|o| o.execution.as_ref().is_some_and(Execution::is_performed))
            .count()
    }

    pub fn status(&self) -> ControlStatus {
        if !self.occurrences.is_empty() && self.performed() == self.occurrences.len() {
            ControlStatus::Done
        } else {
            ControlStatus::NotDone
        }
    }

    pub fn findings(&self) -> impl Iterator<Item = &Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.execution.as_ref().is_some_and(Execution::has_findings))
    }

    pub fn is_contract_follow_up(&self) -> bool {
        matches!(self.kind, ControlKind::ContractFollowUp(_))
    }
}

/// The decision that adopted a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adoption {
    pub body: String,
    /// ISO date.
    pub decided_on: String,
    pub paragraph: String,
    pub diary_number: String,
}

/// The risk and materiality analysis (risk- och väsentlighetsanalys) before the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskAnalysis {
    /// ISO date, where known.
    pub held_on: Option<String>,
    /// Who took part, as written.
    pub participants: String,
    pub elected_members_took_part: bool,
}

/// An assessment of the internal control as a whole, with its motivation: the board's own,
/// or the auditors' with the audit it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverallAssessment {
    /// E.g. "Godtagbar" (the board) or "Delvis" (the auditors).
    pub level: String,
    pub motivation: String,
    /// Where it is written, e.g. "Verksamhetsberättelse 2019" or an audit's diarienummer.
    pub source: String,
}

/// A board's internal-control plan for a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlPlan {
    pub id: Id,
    pub org_id: Id,
    pub year: i32,
    /// The rule book, e.g. "HKF 9410".
    pub rule_ref: String,
    /// E.g. "KL 6:6".
    pub legal_basis: String,
    /// `None`: no adoption decision recorded (shown as missing).
    pub adoption: Option<Adoption>,
    pub risk_analysis: Option<RiskAnalysis>,
    pub self_assessment: Option<OverallAssessment>,
    pub auditor_assessment: Option<OverallAssessment>,
    /// The matrix version its risks are scored in, once chosen.
    pub matrix: Option<RiskMatrix>,
    pub risks: Vec<Risk>,
    pub actions: Vec<IcAction>,
    pub controls: Vec<Control>,
}

/// The counts a plan's summary prints, computed from its data (never typed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub risks: usize,
    pub risks_scored: usize,
    pub actions: usize,
    pub actions_done: usize,
    pub actions_verified: usize,
    pub actions_blocked: usize,
    /// Actions reducing a risk (risk-reducing actions; one may also be an audit action).
    pub risk_actions: usize,
    pub risk_actions_done: usize,
    /// Actions serving a recommendation (audit actions).
    pub audit_actions: usize,
    pub audit_actions_done: usize,
    /// Systematic controls (contract follow-ups counted apart).
    pub controls: usize,
    pub controls_done: usize,
    pub occurrences: usize,
    pub occurrences_performed: usize,
    pub occurrences_missed: usize,
    pub findings: usize,
    pub contract_follow_ups: usize,
}

impl Summary {
    /// A share in whole per cent, `None` when there is nothing to count.
    pub fn percent(part: usize, whole: usize) -> Option<u32> {
        (whole > 0).then(|| ((part as f64 / whole as f64) * 100.0).round() as u32)
    }
}

impl ControlPlan {
    pub fn summary(&self, today: &str) -> Summary {
        let mut s = Summary {
            risks: self.risks.len(),
            risks_scored: self.risks.iter().filter(|r| r.gross.is_some()).count(),
            actions: self.actions.len(),
            ..Summary::default()
        };
        for a in &self.actions {
            let done = a.status == ActionStatus::Done;
            s.actions_done += usize::from(done);
            s.actions_verified += usize::from(a.is_verified());
            s.actions_blocked += usize::from(!done && a.blocked_by.is_some());
            let reduces = a.risk_ids().next().is_some();
            s.risk_actions += usize::from(reduces);
            s.risk_actions_done += usize::from(reduces && done);
            let audit = a
                .sources
                .iter()
                .any(|x| matches!(x, ActionSource::Recommendation { .. }));
            s.audit_actions += usize::from(audit);
            s.audit_actions_done += usize::from(audit && done);
        }
        for c in &self.controls {
            if c.is_contract_follow_up() {
                s.contract_follow_ups += 1;
                continue;
            }
            s.controls += 1;
            s.controls_done += usize::from(c.status() == ControlStatus::Done);
            for o in &c.occurrences {
                s.occurrences += 1;
                match o.state(today) {
                    OccurrenceState::Performed => s.occurrences_performed += 1,
                    OccurrenceState::Findings => {
                        s.occurrences_performed += 1;
                        s.findings += 1;
                    }
                    OccurrenceState::Missed => s.occurrences_missed += 1,
                    OccurrenceState::Planned => {}
                }
            }
        }
        s
    }

    /// Whether the plan's matrix may still be changed: no risk is scored yet.
    pub fn matrix_is_open(&self) -> bool {
        self.risks
            .iter()
            .all(|r| r.gross.is_none() && r.net.is_none())
    }

    /// The risk-reducing actions of a risk, in plan order.
    pub fn actions_of(&self, risk_id: Id) -> impl Iterator<Item = &IcAction> {
        self.actions
            .iter()
            .filter(move |a| a.risk_ids().any(|r| r == risk_id))
    }

    /// Its items marked common (in KS's plan: what is pushed into every board's plan).
    pub fn common_items(&self) -> usize {
        self.risks.iter().filter(|r| r.common).count()
            + self.controls.iter().filter(|c| c.common).count()
    }

    /// Items pushed in from a common plan.
    pub fn items_from_common(&self) -> usize {
        self.risks
            .iter()
            .filter(|r| r.common_from.is_some())
            .count()
            + self
                .controls
                .iter()
                .filter(|c| c.common_from.is_some())
                .count()
    }

    /// What must be visible about the plan (`DOMAIN-MODULES.md` A3), in plan order.
    pub fn notices(&self, today: &str) -> Vec<Notice> {
        let mut out = Vec::new();
        if self.adoption.is_none() {
            out.push(Notice::NotAdopted);
        }
        match &self.risk_analysis {
            None => out.push(Notice::NoRiskAnalysis),
            Some(r) if !r.elected_members_took_part => out.push(Notice::NoElectedMembers),
            Some(_) => {}
        }
        for a in &self.actions {
            let serves_other = a
                .sources
                .iter()
                .any(|s| !matches!(s, ActionSource::Risk { .. }));
            if a.risk_ids().next().is_none() && !serves_other {
                out.push(Notice::ActionWithoutRisk { action_id: a.id });
            }
            if a.status == ActionStatus::NotDone {
                if let Some(b) = &a.blocked_by {
                    out.push(Notice::Blocked {
                        action_id: a.id,
                        blocker: b.clone(),
                    });
                }
            }
            if a.status == ActionStatus::Done && a.verification.is_none() {
                out.push(Notice::DoneNotVerified { action_id: a.id });
            }
        }
        for c in &self.controls {
            for o in &c.occurrences {
                if let Some(used) = o.parameter_drift(&c.planned_parameters) {
                    out.push(Notice::ParametersChanged {
                        control_id: c.id,
                        occurrence_id: o.id,
                        planned: c.planned_parameters.clone(),
                        used: used.to_string(),
                    });
                }
            }
            let missed = c
                .occurrences
                .iter()
                .filter(|o| o.state(today) == OccurrenceState::Missed)
                .count();
            if missed > 0 {
                out.push(Notice::OccurrencesMissed {
                    control_id: c.id,
                    missed,
                    planned: c.occurrences.len(),
                });
            }
        }
        out
    }
}

/// Something about a plan that must not go unseen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Notice {
    /// No adoption decision is recorded.
    NotAdopted,
    /// No risk analysis is recorded.
    NoRiskAnalysis,
    /// The risk analysis was done without elected members.
    NoElectedMembers,
    /// A risk-reducing action that states no risk (and serves nothing else).
    ActionWithoutRisk { action_id: Id },
    /// An unfinished action waits for something.
    Blocked { action_id: Id, blocker: Blocker },
    /// "Klart" without anyone having verified the effect.
    DoneNotVerified { action_id: Id },
    /// A control run with other parameters than planned.
    ParametersChanged {
        control_id: Id,
        occurrence_id: Id,
        planned: String,
        used: String,
    },
    /// Occurrences past their date and not performed.
    OccurrencesMissed {
        control_id: Id,
        missed: usize,
        planned: usize,
    },
}

/// The cause key of a control occurrence's findings.
pub fn findings_cause_key(occurrence_id: Id) -> String {
    format!("internal_control:occurrence:{occurrence_id}:findings")
}

/// The cause key of a control occurrence not performed.
pub fn missed_cause_key(occurrence_id: Id) -> String {
    format!("internal_control:occurrence:{occurrence_id}:missed")
}

/// The cause key of an action not finished at its year's end.
pub fn unfinished_cause_key(action_id: Id, year: i32) -> String {
    format!("internal_control:action:{action_id}:unfinished:{year}")
}

/// The deviation a control occurrence's findings raise.
pub fn findings_deviation(plan: &ControlPlan, control: &Control, o: &Occurrence) -> NewDeviation {
    let findings = match &o.execution {
        Some(Execution::Performed { findings, .. }) => findings.as_str(),
        _ => "",
    };
    NewDeviation {
        org_id: plan.org_id,
        area: non_empty(&control.area),
        source: Source::InternalControl,
        severity: Severity::Medium,
        period: Period::Year(plan.year),
        description: format!(
            "Kontrollen {} ”{}” fann brister ({}): {}",
            control.key,
            control.name,
            o.planned_on,
            findings.trim()
        ),
        cause_key: Some(findings_cause_key(o.id)),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_string())
}

/// The deviations a plan raises on `today` (ISO date): each control occurrence with
/// findings; each occurrence past its date and not performed; each action not done when
/// its year has ended. Controls discontinued before an occurrence's date raise nothing for
/// it. Raising is idempotent through the cause keys (`deviation::not_yet_raised`).
pub fn deviation_candidates(plan: &ControlPlan, today: &str) -> Vec<NewDeviation> {
    let mut out = Vec::new();
    for c in &plan.controls {
        for o in &c.occurrences {
            let discontinued = c
                .discontinued
                .as_ref()
                .is_some_and(|d| d.on.as_str() <= o.planned_on.as_str());
            match o.state(today) {
                OccurrenceState::Findings => out.push(findings_deviation(plan, c, o)),
                OccurrenceState::Missed if !discontinued => out.push(NewDeviation {
                    org_id: plan.org_id,
                    area: non_empty(&c.area),
                    source: Source::InternalControl,
                    severity: Severity::Low,
                    period: Period::Year(plan.year),
                    description: format!(
                        "Kontrollen {} ”{}” genomfördes inte enligt plan ({}).",
                        c.key, c.name, o.planned_on
                    ),
                    cause_key: Some(missed_cause_key(o.id)),
                }),
                _ => {}
            }
        }
    }
    let year_over = today > format!("{}-12-31", plan.year).as_str();
    if year_over {
        for a in plan
            .actions
            .iter()
            .filter(|a| a.status == ActionStatus::NotDone)
        {
            out.push(NewDeviation {
                org_id: plan.org_id,
                area: None,
                source: Source::InternalControl,
                severity: Severity::Low,
                period: Period::Year(plan.year),
                description: format!(
                    "Åtgärden {} ”{}” i internkontrollplanen {} blev inte klar.",
                    a.key, a.text, plan.year
                ),
                cause_key: Some(unfinished_cause_key(a.id, plan.year)),
            });
        }
    }
    out
}

/// What a roll-over carries from a plan into next year's: the unfinished actions (not
/// carried yet), the risks they reduce, and the controls not done or not discontinued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CarryOver {
    pub risks: Vec<Id>,
    pub actions: Vec<Id>,
    pub controls: Vec<Id>,
}

/// Which items of `plan` move into `next` (which may already hold carried items: those are
/// not carried again).
pub fn carry_over(plan: &ControlPlan, next: Option<&ControlPlan>) -> CarryOver {
    let carried = |f: &dyn Fn(&ControlPlan) -> Vec<Id>| next.map(f).unwrap_or_default();
    let risks_there = carried(&|n| n.risks.iter().filter_map(|r| r.carried_from).collect());
    let actions_there = carried(&|n| n.actions.iter().filter_map(|a| a.carried_from).collect());
    let controls_there = carried(&|n| n.controls.iter().filter_map(|c| c.carried_from).collect());
    let actions: Vec<Id> = plan
        .actions
        .iter()
        .filter(|a| a.status == ActionStatus::NotDone && !actions_there.contains(&a.id))
        .map(|a| a.id)
        .collect();
    let mut risks: Vec<Id> = Vec::new();
    for a in plan.actions.iter().filter(|a| actions.contains(&a.id)) {
        for r in a.risk_ids() {
            if !risks.contains(&r) && !risks_there.contains(&r) {
                risks.push(r);
            }
        }
    }
    let controls = plan
        .controls
        .iter()
        .filter(|c| c.discontinued.is_none() && !controls_there.contains(&c.id))
        .map(|c| c.id)
        .collect();
    CarryOver {
        risks,
        actions,
        controls,
    }
}

/// A risk map: how many risks lie in each cell of the matrix, gross and net.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskMap {
    pub matrix: RiskMatrix,
    /// (score, keys of the risks there), gross.
    pub gross: Vec<(RiskScore, Vec<String>)>,
    pub net: Vec<(RiskScore, Vec<String>)>,
    /// Keys of risks not assessed ("ej bedömd").
    pub not_assessed: Vec<String>,
}

/// The plan's risk map, if it has a matrix.
pub fn risk_map(plan: &ControlPlan) -> Option<RiskMap> {
    let matrix = plan.matrix.clone()?;
    let mut gross: Vec<(RiskScore, Vec<String>)> = Vec::new();
    let mut net: Vec<(RiskScore, Vec<String>)> = Vec::new();
    let mut not_assessed = Vec::new();
    let add = |cells: &mut Vec<(RiskScore, Vec<String>)>, s: RiskScore, key: &str| match cells
        .iter_mut()
        .find(|(c, _)| *c == s)
    {
        Some((_, keys)) => keys.push(key.to_string()),
        None => cells.push((s, vec![key.to_string()])),
    };
    for r in &plan.risks {
        match r.gross {
            Some(s) => add(&mut gross, s, &r.key),
            None => not_assessed.push(r.key.clone()),
        }
        if let Some(s) = r.net {
            add(&mut net, s, &r.key);
        }
    }
    let order = |cells: &mut Vec<(RiskScore, Vec<String>)>| {
        cells.sort_by_key(|(s, _)| (std::cmp::Reverse(s.value()), s.probability, s.consequence))
    };
    order(&mut gross);
    order(&mut net);
    Some(RiskMap {
        matrix,
        gross,
        net,
        not_assessed,
    })
}

/// One board's internal control in one year, as KS's oversight shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardYear {
    pub org_id: Id,
    pub year: i32,
    /// `false`: the board has no plan in uppsikt for the year.
    pub has_plan: bool,
    pub plan_id: Option<Id>,
    pub adoption: Option<Adoption>,
    /// `None`: no risk analysis recorded.
    pub elected_members: Option<bool>,
    /// Items pushed from KS's common items, and how many KS marked common.
    pub common_included: usize,
    pub common_expected: usize,
    pub summary: Summary,
    /// Findings (deviations raised from this plan's controls) without a decision.
    pub findings_undecided: usize,
    pub self_assessment: Option<OverallAssessment>,
    pub auditor_assessment: Option<OverallAssessment>,
}

/// The oversight row of a board and year. `common_expected` is how many items KS's plan of
/// the year marks common; `findings_undecided` comes from the deviations.
pub fn board_year(
    org_id: Id,
    year: i32,
    plan: Option<&ControlPlan>,
    common_expected: usize,
    findings_undecided: usize,
    today: &str,
) -> BoardYear {
    BoardYear {
        org_id,
        year,
        has_plan: plan.is_some(),
        plan_id: plan.map(|p| p.id),
        adoption: plan.and_then(|p| p.adoption.clone()),
        elected_members: plan
            .and_then(|p| p.risk_analysis.as_ref())
            .map(|r| r.elected_members_took_part),
        common_included: plan.map_or(0, ControlPlan::items_from_common),
        common_expected,
        summary: plan.map(|p| p.summary(today)).unwrap_or_default(),
        findings_undecided,
        self_assessment: plan.and_then(|p| p.self_assessment.clone()),
        auditor_assessment: plan.and_then(|p| p.auditor_assessment.clone()),
    }
}

/// Why the store refused a change to a plan; the sentences are
/// `messages::internal_control::refusal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IcRefusal {
    Execution(ExecutionError),
    Matrix(MatrixError),
    /// An amendment without its reason.
    AmendmentReason,
    /// An amendment to the text in force.
    AmendmentUnchanged,
    /// A verification without who, how or when.
    VerificationIncomplete,
    /// Verifying an action that is not done.
    VerifyNotDone,
    /// The unit has a plan for the year already.
    PlanExists(i32),
    /// Accepting a risk without a motivation.
    AcceptMotivation,
    /// An action blocked by itself.
    BlockedByItself,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn occurrence(id: Id, planned_on: &str, execution: Option<Execution>) -> Occurrence {
        Occurrence {
            id,
            control_id: 1,
            seq: id,
            planned_on: planned_on.into(),
            execution,
            recorded_by: None,
        }
    }

    fn performed(result: ControlResult, findings: &str, used: &str) -> Option<Execution> {
        Some(Execution::Performed {
            performed_on: "2019-02-01".into(),
            parameters_used: used.into(),
            result,
            findings: findings.into(),
        })
    }

    fn control(id: Id, occurrences: Vec<Occurrence>) -> Control {
        Control {
            id,
            plan_id: 1,
            key: format!("C{id:02}"),
            kind: ControlKind::Systematic,
            area: "Sund ekonomi".into(),
            name: "Leverantörsfakturor".into(),
            purpose: String::new(),
            method: "Månadsvisa stickprov".into(),
            frequency: "Månadsvis".into(),
            sample: String::new(),
            planned_parameters: "> 50 000 kr".into(),
            responsible: "Ekonomiavdelningen".into(),
            due: "2019-12-31".into(),
            origin: String::new(),
            comment: String::new(),
            carried_from: None,
            common_from: None,
            common: false,
            discontinued: None,
            occurrences,
        }
    }

    fn action(id: Id, status: ActionStatus, sources: Vec<ActionSource>) -> IcAction {
        IcAction {
            id,
            plan_id: 1,
            key: format!("R{id:02}"),
            text: "Ta fram riktlinjer".into(),
            responsible: String::new(),
            status,
            done_on: None,
            comment: String::new(),
            blocked_by: None,
            sources,
            verification: None,
            amendments: vec![],
            carried_from: None,
        }
    }

    fn plan(actions: Vec<IcAction>, controls: Vec<Control>) -> ControlPlan {
        ControlPlan {
            id: 1,
            org_id: 7,
            year: 2019,
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
            adoption: None,
            risk_analysis: None,
            self_assessment: None,
            auditor_assessment: None,
            matrix: None,
            risks: vec![],
            actions,
            controls,
        }
    }

    fn monthly(first_id: Id, performed_months: usize) -> Vec<Occurrence> {
        (1..=12)
            .map(|m| {
                let e = (m <= performed_months)
                    .then(|| performed(ControlResult::WithoutRemark, "", ""))
                    .flatten();
                occurrence(first_id + m as Id, &format!("2019-{m:02}-28"), e)
            })
            .collect()
    }

    #[test]
    fn planned_dates_fall_on_month_ends() {
        assert_eq!(planned_dates(2019, 1), vec!["2019-12-31"]);
        assert_eq!(
            planned_dates(2019, 4),
            vec!["2019-03-31", "2019-06-30", "2019-09-30", "2019-12-31"]
        );
        let monthly = planned_dates(2020, 12);
        assert_eq!(monthly[1], "2020-02-29");
        assert_eq!(monthly.len(), 12);
        assert_eq!(planned_dates(2019, 5).len(), 5);
        assert_eq!(
            planned_dates(2019, 52).last().map(String::as_str),
            Some("2019-12-31")
        );
    }

    #[test]
    fn first_documented_parses_the_seeds_spelling() {
        assert_eq!(
            FirstDocumented::parse("2012 eller tidigare"),
            Some(FirstDocumented::InOrBefore(2012))
        );
        assert_eq!(
            FirstDocumented::parse("≤2012"),
            Some(FirstDocumented::InOrBefore(2012))
        );
        assert_eq!(
            FirstDocumented::parse("2017"),
            Some(FirstDocumented::In(2017))
        );
        assert_eq!(FirstDocumented::parse("17"), None);
        assert_eq!(FirstDocumented::parse("två tusen"), None);
        let risk = FirstDocumented::InOrBefore(2012);
        assert_eq!(risk.label_sv(), "dokumenterad 2012 eller tidigare");
        assert_eq!(risk.age_sv(2019), "minst 7 år");
        assert_eq!(FirstDocumented::parse(&risk.code()), Some(risk));
    }

    #[test]
    fn a_monthly_control_run_in_the_first_quarter_only_shows_three_of_twelve() {
        // C03 of seed 004: Q1 done, Q2–Q4 not.
        let p = plan(vec![], vec![control(3, monthly(100, 3))]);
        let s = p.summary("2020-01-15");
        assert_eq!((s.occurrences, s.occurrences_performed), (12, 3));
        assert_eq!(s.occurrences_missed, 9);
        assert_eq!(p.controls[0].status(), ControlStatus::NotDone);
        let missed = deviation_candidates(&p, "2020-01-15");
        assert_eq!(missed.len(), 9);
        assert!(missed
            .iter()
            .all(|d| d.source == Source::InternalControl && d.period == Period::Year(2019)));
        // Before the dates pass, nothing is missed yet.
        assert_eq!(p.summary("2019-04-01").occurrences_missed, 0);
    }

    #[test]
    fn done_with_findings_raises_a_deviation_and_keeps_the_status() {
        // C13: "Klart" although the municipality breaks its own rules.
        let o = occurrence(
            9,
            "2019-11-30",
            performed(ControlResult::WithRemark, "Ej tillåtna logotyper", ""),
        );
        let p = plan(vec![], vec![control(13, vec![o])]);
        assert_eq!(p.controls[0].status(), ControlStatus::Done);
        let raised = deviation_candidates(&p, "2019-12-01");
        assert_eq!(raised.len(), 1);
        assert_eq!(
            raised[0].cause_key.as_deref(),
            Some(findings_cause_key(9).as_str())
        );
        assert!(raised[0].description.contains("Ej tillåtna logotyper"));
        assert_eq!(p.summary("2019-12-01").findings, 1);
    }

    #[test]
    fn findings_need_text_and_not_performed_needs_a_reason() {
        let remark = Execution::Performed {
            performed_on: "2019-03-01".into(),
            parameters_used: String::new(),
            result: ControlResult::WithRemark,
            findings: "  ".into(),
        };
        assert_eq!(
            remark.check("2019-12-01"),
            Err(ExecutionError::FindingsRequired)
        );
        let missed = Execution::NotPerformed {
            reason: String::new(),
        };
        assert_eq!(
            missed.check("2019-12-01"),
            Err(ExecutionError::ReasonRequired)
        );
        let future = Execution::Performed {
            performed_on: "2020-01-01".into(),
            parameters_used: String::new(),
            result: ControlResult::WithoutRemark,
            findings: String::new(),
        };
        assert_eq!(future.check("2019-12-01"), Err(ExecutionError::InFuture));
    }

    #[test]
    fn parameters_used_beside_the_planned_ones_are_a_notice() {
        // C05: planned "> 50 000 kr", run on "> 49 000 kr".
        let o = occurrence(
            1,
            "2019-01-31",
            performed(ControlResult::WithoutRemark, "", "> 49 000 kr"),
        );
        let same = occurrence(
            2,
            "2019-02-28",
            performed(ControlResult::WithoutRemark, "", "> 50 000 kr"),
        );
        let p = plan(vec![], vec![control(5, vec![o, same])]);
        let drift: Vec<_> = p
            .notices("2019-03-01")
            .into_iter()
            .filter(|n| matches!(n, Notice::ParametersChanged { .. }))
            .collect();
        assert_eq!(drift.len(), 1);
    }

    #[test]
    fn unfinished_actions_raise_only_after_their_year() {
        let p = plan(
            vec![
                action(
                    1,
                    ActionStatus::NotDone,
                    vec![ActionSource::Risk { risk_id: 1 }],
                ),
                action(
                    2,
                    ActionStatus::Done,
                    vec![ActionSource::Risk { risk_id: 1 }],
                ),
            ],
            vec![],
        );
        assert!(deviation_candidates(&p, "2019-12-31").is_empty());
        let raised = deviation_candidates(&p, "2020-01-01");
        assert_eq!(raised.len(), 1);
        assert_eq!(
            raised[0].cause_key.as_deref(),
            Some(unfinished_cause_key(1, 2019).as_str())
        );
    }

    #[test]
    fn the_seeds_summary_counts_come_from_the_data() {
        // 18 actions, 10 Klart; 16 controls, 12 Klart (seed 004).
        let actions = (1..=18)
            .map(|i| {
                let status = if i <= 10 {
                    ActionStatus::Done
                } else {
                    ActionStatus::NotDone
                };
                action(i, status, vec![ActionSource::Risk { risk_id: 1 }])
            })
            .collect();
        let controls = (1..=16)
            .map(|i| {
                let e = (i <= 12)
                    .then(|| performed(ControlResult::WithoutRemark, "", ""))
                    .flatten();
                control(i, vec![occurrence(100 + i, "2019-12-31", e)])
            })
            .collect();
        let s = plan(actions, controls).summary("2020-02-01");
        assert_eq!((s.actions, s.actions_done), (18, 10));
        assert_eq!((s.controls, s.controls_done), (16, 12));
    }

    #[test]
    fn an_action_serving_a_risk_and_a_recommendation_counts_once() {
        // R16 = AA10: bisysslor.
        let a = action(
            16,
            ActionStatus::Done,
            vec![
                ActionSource::Risk { risk_id: 11 },
                ActionSource::Recommendation {
                    case_ref: "KS-2018/753.912".into(),
                    title: "Bisysslor".into(),
                },
            ],
        );
        let p = plan(vec![a], vec![]);
        let s = p.summary("2020-01-01");
        assert_eq!(
            (s.actions, s.audit_actions, s.audit_actions_done),
            (1, 1, 1)
        );
        assert_eq!(p.actions_of(11).count(), 1);
    }

    #[test]
    fn notices_name_missing_adoption_blocked_and_riskless_actions() {
        let mut blocked = action(
            7,
            ActionStatus::NotDone,
            vec![ActionSource::Risk { risk_id: 5 }],
        );
        blocked.blocked_by = Some(Blocker::Action(8));
        let riskless = action(9, ActionStatus::NotDone, vec![]);
        let p = plan(vec![blocked, riskless], vec![]);
        let n = p.notices("2019-06-01");
        assert!(n.contains(&Notice::NotAdopted));
        assert!(n.contains(&Notice::NoRiskAnalysis));
        assert!(n.contains(&Notice::Blocked {
            action_id: 7,
            blocker: Blocker::Action(8)
        }));
        assert!(n.contains(&Notice::ActionWithoutRisk { action_id: 9 }));
        assert_eq!(p.summary("2019-06-01").actions_blocked, 1);
    }

    #[test]
    fn carry_over_takes_unfinished_actions_their_risks_and_live_controls_once() {
        let mut p = plan(
            vec![
                action(
                    1,
                    ActionStatus::NotDone,
                    vec![ActionSource::Risk { risk_id: 10 }],
                ),
                action(
                    2,
                    ActionStatus::Done,
                    vec![ActionSource::Risk { risk_id: 11 }],
                ),
            ],
            vec![control(3, vec![]), control(4, vec![])],
        );
        p.controls[1].discontinued = Some(Discontinuation {
            on: "2019-12-01".into(),
            decided_by: "Ansvarig chef".into(),
            reason: "Fångar bara skräppost".into(),
        });
        let c = carry_over(&p, None);
        assert_eq!(c.actions, vec![1]);
        assert_eq!(c.risks, vec![10]);
        assert_eq!(c.controls, vec![3]);
        let mut next = plan(vec![action(20, ActionStatus::NotDone, vec![])], vec![]);
        next.actions[0].carried_from = Some(1);
        assert!(carry_over(&p, Some(&next)).actions.is_empty());
    }

    #[test]
    fn a_matrix_checks_its_labels_and_scores() {
        let labels = |n: usize| (1..=n).map(|i| format!("Nivå {i}")).collect::<Vec<_>>();
        assert!(RiskMatrix::check_labels(&labels(4), &labels(4)).is_ok());
        assert_eq!(
            RiskMatrix::check_labels(&labels(1), &labels(4)),
            Err(MatrixError::Size)
        );
        assert_eq!(
            RiskMatrix::check_labels(&["A".into(), "A".into()], &labels(4)),
            Err(MatrixError::Label)
        );
        let m = RiskMatrix {
            id: 1,
            name: "4×4".into(),
            version: 1,
            probability: labels(4),
            consequence: labels(4),
        };
        assert!(m
            .check(RiskScore {
                probability: 4,
                consequence: 1
            })
            .is_ok());
        assert_eq!(
            m.check(RiskScore {
                probability: 5,
                consequence: 1
            }),
            Err(MatrixError::OutOfRange)
        );
        assert_eq!(
            m.describe(RiskScore {
                probability: 2,
                consequence: 3
            }),
            "Nivå 2 (2) × Nivå 3 (3)"
        );
    }

    proptest! {
        #[test]
        fn summary_counts_add_up_and_raising_is_per_cause(
            states in proptest::collection::vec(0u8..4, 0..40),
            today_month in 1u32..=12,
        ) {
            let occurrences: Vec<Occurrence> = states
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let e = match s {
                        0 => None,
                        1 => performed(ControlResult::WithoutRemark, "", ""),
                        2 => performed(ControlResult::WithRemark, "brist", ""),
                        _ => Some(Execution::NotPerformed { reason: "sjukdom".into() }),
                    };
                    occurrence(i as Id + 1, &format!("2019-{:02}-15", (i % 12) + 1), e)
                })
                .collect();
            let p = plan(vec![], vec![control(1, occurrences)]);
            let today = format!("2019-{today_month:02}-20");
            let s = p.summary(&today);
            prop_assert!(s.occurrences_performed + s.occurrences_missed <= s.occurrences);
            prop_assert!(s.findings <= s.occurrences_performed);
            let raised = deviation_candidates(&p, &today);
            prop_assert_eq!(raised.len(), s.findings + s.occurrences_missed);
            let keys: std::collections::HashSet<_> =
                raised.iter().filter_map(|d| d.cause_key.clone()).collect();
            prop_assert_eq!(keys.len(), raised.len());
        }

        #[test]
        fn first_documented_never_panics_and_round_trips(input in "\\PC{0,20}") {
            if let Some(f) = FirstDocumented::parse(&input) {
                prop_assert_eq!(FirstDocumented::parse(&f.code()), Some(f));
            }
        }
    }
}
