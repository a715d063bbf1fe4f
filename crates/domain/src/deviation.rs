//! Deviations (avvikelser) and what is decided about them: the loop from "something went
//! wrong" to a recorded decision, its actions and their effect.
//!
//! A deviation is open until it has a decision: actions, or a motivated decision not to
//! act. Actions exist only under a decision to act, and move planned → in progress → done,
//! or to cancelled. Automatic deviations carry a cause key, so raising them again for the
//! same cause and period adds nothing.

use std::collections::HashSet;

use serde::Serialize;

use crate::evaluation::{Evaluation, Status, Trend};
use crate::indicator::{Breakdown, Outcome as IndicatorOutcome, Target};
use crate::model::Id;
use crate::period::Period;

/// What raised a deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An indicator evaluated as not achieved.
    IndicatorNotAchieved,
    /// An indicator whose trend is a significant change for the worse.
    IndicatorNegativeTrend,
    /// A development commitment not finished by its year's end.
    CommitmentUnfinished,
    InternalControl,
    SituationReport,
    AuditRemark,
    CitizenDialogue,
    Other,
    /// A recommendation of an audit, per addressed board: its decision is the board's
    /// response (`audit.rs`).
    AuditRecommendation,
    /// A statutory duty overdue or assessed as unmet (`obligation.rs`).
    Obligation,
    /// An outcome or forecast below budget beyond the unit's tolerance (`economy.rs`).
    Budget,
    /// A grant not allocated by its date, or allocated with an unknown grant share
    /// (`grant.rs`).
    Grant,
}

impl Source {
    /// The sources people raise deviations from (the others come from evaluations).
    pub const MANUAL: [Source; 5] = [
        Source::InternalControl,
        Source::SituationReport,
        Source::AuditRemark,
        Source::CitizenDialogue,
        Source::Other,
    ];

    pub fn label_sv(self) -> &'static str {
        match self {
            Source::IndicatorNotAchieved => "Mått ej uppnått",
            Source::IndicatorNegativeTrend => "Mått med negativ trend",
            Source::CommitmentUnfinished => "Utvecklingsåtagande ej klart",
            Source::InternalControl => "Intern kontroll",
            Source::SituationReport => "Lägesbild",
            Source::AuditRemark => "Revisionsanmärkning",
            Source::CitizenDialogue => "Medborgardialog",
            Source::Other => "Annat",
            Source::AuditRecommendation => "Revisionens rekommendation",
            Source::Obligation => "Lagkrav",
            Source::Budget => "Budgetavvikelse",
            Source::Grant => "Bidrag",
        }
    }

    /// Whether people raise it (the others are raised from evaluations).
    pub fn is_manual(self) -> bool {
        Source::MANUAL.contains(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn label_sv(self) -> &'static str {
        match self {
            Severity::Low => "Låg",
            Severity::Medium => "Medel",
            Severity::High => "Hög",
        }
    }
}

/// A deviation not yet stored: what raising one needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewDeviation {
    pub org_id: Id,
    pub area: Option<String>,
    pub source: Source,
    pub severity: Severity,
    pub period: Period,
    pub description: String,
    /// The same cause in the same period has the same key (automatic deviations).
    pub cause_key: Option<String>,
}

/// The body that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidingBody {
    Board,
    Committee,
    Administration,
}

impl DecidingBody {
    pub fn label_sv(self) -> &'static str {
        match self {
            DecidingBody::Board => "Nämnd/styrelse",
            DecidingBody::Committee => "Utskott",
            DecidingBody::Administration => "Förvaltning",
        }
    }
}

/// What was decided about a deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    /// Act: actions follow.
    Act,
    /// Not act, and why.
    NoAction { motivation: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub body: DecidingBody,
    pub decided_on: String,
    pub paragraph: String,
    pub diary_number: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Planned,
    InProgress,
    Done,
    Cancelled,
}

impl ActionState {
    pub fn label_sv(self) -> &'static str {
        match self {
            ActionState::Planned => "Planerad",
            ActionState::InProgress => "Pågår",
            ActionState::Done => "Genomförd",
            ActionState::Cancelled => "Avbruten",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, ActionState::Done | ActionState::Cancelled)
    }

    /// planned → in progress → done; planned or in progress → cancelled.
    pub fn may_become(self, next: ActionState) -> bool {
        use ActionState::*;
        matches!(
            (self, next),
            (Planned, InProgress) | (InProgress, Done) | (Planned | InProgress, Cancelled)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub what: String,
    pub responsible_unit: Id,
    pub responsible_person: String,
    /// ISO date.
    pub due: String,
    pub expected_effect: String,
    /// The indicator that will show the effect.
    pub indicator_id: Option<Id>,
    pub state: ActionState,
    /// Dated comments (ISO date, text), oldest first.
    pub comments: Vec<(String, String)>,
    /// The day it was done or cancelled (ISO date).
    pub closed_on: Option<String>,
}

impl Action {
    /// Past its due date and not closed (`today` as an ISO date).
    pub fn is_overdue(&self, today: &str) -> bool {
        !self.state.is_closed() && self.due.as_str() < today
    }

    /// For a done action: the linked indicator's first total outcome for a period that
    /// ended after the action was done, i.e. the first figure that can show its effect.
    /// `outcomes` are the linked indicator's.
    pub fn effect<'a>(&self, outcomes: &'a [IndicatorOutcome]) -> Option<&'a IndicatorOutcome> {
        let closed_on = self.closed_on.as_deref()?;
        if self.state != ActionState::Done || self.indicator_id.is_none() {
            return None;
        }
        outcomes
            .iter()
            .filter(|o| o.breakdown == Breakdown::Total && o.period.last_day().as_str() > closed_on)
            .min_by_key(|o| (o.period.last_day(), o.period))
    }
}

/// Why a change to a deviation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("the deviation already has a decision")]
    AlreadyDecided,
    #[error("a decision not to act needs a motivation")]
    MotivationRequired,
    #[error("actions need a decision to act")]
    NoDecisionToAct,
    #[error("no action {0}")]
    NoSuchAction(usize),
    #[error("an action cannot go from {0:?} to {1:?}")]
    Transition(ActionState, ActionState),
    #[error("the deviation has no decision to correct")]
    NothingToCorrect,
    #[error("a correction needs a reason")]
    ReasonRequired,
    #[error("the correction changes nothing")]
    CorrectionUnchanged,
    #[error("a decision not to act cannot stand over actions that are not cancelled")]
    ActionsStand,
}

/// A recorded decision corrected: the decision it replaced, kept whole, and who corrected
/// it, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    /// The decision in force until this correction (the first correction's is the
    /// decision originally recorded).
    pub replaced: Decision,
    pub reason: String,
    /// Who corrected it (the change log's actor: a user name).
    pub corrected_by: String,
    /// The day it was corrected (ISO date, Swedish time).
    pub corrected_on: String,
}

/// A deviation with its decision and actions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deviation {
    pub raised: NewDeviation,
    /// ISO date raised.
    pub raised_on: String,
    /// The decision in force: the one recorded, or its latest correction.
    pub decision: Option<Decision>,
    pub actions: Vec<Action>,
    /// The decision's corrections, oldest first; each keeps the decision it replaced.
    pub corrections: Vec<Correction>,
}

/// Where a deviation stands, for the oversight view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// No decision yet.
    Undecided,
    /// Decided not to act (with a motivation).
    NotActedOn,
    /// Decided to act, but no action recorded.
    DecidedWithoutAction,
    /// Actions under way.
    ActionsOpen,
    /// Every action closed.
    ActionsClosed,
}

impl Deviation {
    pub fn new(raised: NewDeviation, raised_on: &str) -> Deviation {
        Deviation {
            raised,
            raised_on: raised_on.into(),
            decision: None,
            actions: Vec::new(),
            corrections: Vec::new(),
        }
    }

    /// The decision as first recorded (kept when it is corrected).
    pub fn original_decision(&self) -> Option<&Decision> {
        self.corrections
            .first()
            .map(|c| &c.replaced)
            .or(self.decision.as_ref())
    }

    /// Corrects the recorded decision: `corrected` is in force from now on and the decision
    /// it replaces is kept with the reason, who and when. Only a recorded decision can be
    /// corrected, only with a reason and a change, and a decision not to act (motivated)
    /// only when no action stands under the decision to act (every one cancelled): no
    /// action is left without a decision to act, and what was done is not undone.
    /// (Whether a board's decision covers the decision's day is the store's lock check.)
    pub fn correct(
        &mut self,
        corrected: Decision,
        reason: &str,
        corrected_by: &str,
        corrected_on: &str,
    ) -> Result<(), LifecycleError> {
        let Some(current) = self.decision.as_mut() else {
            return Err(LifecycleError::NothingToCorrect);
        };
        if reason.trim().is_empty() {
            return Err(LifecycleError::ReasonRequired);
        }
        if let Outcome::NoAction { motivation } = &corrected.outcome {
            if motivation.trim().is_empty() {
                return Err(LifecycleError::MotivationRequired);
            }
            if self
                .actions
                .iter()
                .any(|a| a.state != ActionState::Cancelled)
            {
                return Err(LifecycleError::ActionsStand);
            }
        }
        if *current == corrected {
            return Err(LifecycleError::CorrectionUnchanged);
        }
        let replaced = std::mem::replace(current, corrected);
        self.corrections.push(Correction {
            replaced,
            reason: reason.trim().to_string(),
            corrected_by: corrected_by.to_string(),
            corrected_on: corrected_on.to_string(),
        });
        Ok(())
    }

    pub fn decide(&mut self, decision: Decision) -> Result<(), LifecycleError> {
        if self.decision.is_some() {
            return Err(LifecycleError::AlreadyDecided);
        }
        if let Outcome::NoAction { motivation } = &decision.outcome {
            if motivation.trim().is_empty() {
                return Err(LifecycleError::MotivationRequired);
            }
        }
        self.decision = Some(decision);
        Ok(())
    }

    /// Adds a planned action; only under a decision to act.
    pub fn add_action(&mut self, mut action: Action) -> Result<usize, LifecycleError> {
        match &self.decision {
            Some(Decision {
                outcome: Outcome::Act,
                ..
            }) => {
                action.state = ActionState::Planned;
                self.actions.push(action);
                Ok(self.actions.len() - 1)
            }
            _ => Err(LifecycleError::NoDecisionToAct),
        }
    }

    /// Moves an action on, with a dated comment.
    pub fn advance(
        &mut self,
        index: usize,
        next: ActionState,
        on: &str,
        comment: &str,
    ) -> Result<(), LifecycleError> {
        let action = self
            .actions
            .get_mut(index)
            .ok_or(LifecycleError::NoSuchAction(index))?;
        if !action.state.may_become(next) {
            return Err(LifecycleError::Transition(action.state, next));
        }
        action.state = next;
        if next.is_closed() {
            action.closed_on = Some(on.to_string());
        }
        action
            .comments
            .push((on.to_string(), comment.trim().to_string()));
        Ok(())
    }

    pub fn standing(&self) -> Standing {
        match &self.decision {
            None => Standing::Undecided,
            Some(d) => match d.outcome {
                Outcome::NoAction { .. } => Standing::NotActedOn,
                Outcome::Act if self.actions.is_empty() => Standing::DecidedWithoutAction,
                Outcome::Act if self.actions.iter().all(|a| a.state.is_closed()) => {
                    Standing::ActionsClosed
                }
                Outcome::Act => Standing::ActionsOpen,
            },
        }
    }
}

/// Stored codes of the lifecycle's enums (the same words as their JSON).
macro_rules! codes {
    ($t:ty { $($v:ident => $c:literal),+ $(,)? }) => {
        impl $t {
            pub fn code(self) -> &'static str {
                match self { $(<$t>::$v => $c),+ }
            }
            pub fn parse(code: &str) -> Option<$t> {
                match code { $($c => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}

codes!(Source {
    IndicatorNotAchieved => "indicator_not_achieved",
    IndicatorNegativeTrend => "indicator_negative_trend",
    CommitmentUnfinished => "commitment_unfinished",
    InternalControl => "internal_control",
    SituationReport => "situation_report",
    AuditRemark => "audit_remark",
    CitizenDialogue => "citizen_dialogue",
    Other => "other",
    AuditRecommendation => "audit_recommendation",
    Obligation => "obligation",
    Budget => "budget",
    Grant => "grant",
});
codes!(Severity { Low => "low", Medium => "medium", High => "high" });
codes!(DecidingBody { Board => "board", Committee => "committee", Administration => "administration" });
codes!(ActionState { Planned => "planned", InProgress => "in_progress", Done => "done", Cancelled => "cancelled" });

/// When a board's indicators raise automatic deviations (the board's threshold). Only
/// significant results ever raise one: a milestone missed beyond the margin of error, a
/// change for the worse beyond it; never a milestone that was met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct DeviationThreshold {
    /// Whether a significant negative trend raises a deviation on its own (for an
    /// indicator whose milestone was not judged, or that has none).
    pub negative_trend: bool,
    /// A missed numeric or group milestone raises only when the outcome falls short of it
    /// by at least this share of the milestone (0.05 = 5 %; 0 = any significant miss).
    pub min_shortfall: f64,
}

impl Default for DeviationThreshold {
    fn default() -> Self {
        DeviationThreshold {
            negative_trend: true,
            min_shortfall: 0.0,
        }
    }
}

impl DeviationThreshold {
    /// Whether the settings make sense: a shortfall is a share between 0 and 1.
    pub fn is_valid(&self) -> bool {
        (0.0..=1.0).contains(&self.min_shortfall)
    }
}

/// Why an indicator raises a deviation (listed inside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    MilestoneMissed,
    NegativeTrend,
}

/// The reasons an evaluation gives to raise a deviation under `threshold`.
pub fn reasons(evaluation: &Evaluation, threshold: DeviationThreshold) -> Vec<Reason> {
    let mut out = Vec::new();
    if evaluation.status == Status::Achieved {
        return out;
    }
    let missed = evaluation.status == Status::NotAchieved
        && evaluation.shortfall_significant == Some(true)
        && shortfall(evaluation).is_none_or(|s| s >= threshold.min_shortfall);
    if missed {
        out.push(Reason::MilestoneMissed);
    }
    // A trend raises with a missed milestone, or on its own where no milestone was judged;
    // only a trend that ends in the period (an older trend was raised in its own period).
    let unjudged = matches!(
        evaluation.status,
        Status::FollowedOnly | Status::NotMeasured
    );
    let ends_here = evaluation
        .trend_test
        .as_ref()
        .is_some_and(|t| t.to == evaluation.period);
    if evaluation.trend == Some(Trend::Negative)
        && ends_here
        && (missed || (unjudged && threshold.negative_trend))
    {
        out.push(Reason::NegativeTrend);
    }
    out
}

/// How far the outcome falls short of a numeric or group milestone, as a share of it.
fn shortfall(evaluation: &Evaluation) -> Option<f64> {
    let value = evaluation.current?.value;
    let target = match evaluation.milestone? {
        Target::Value { value, .. } => value,
        Target::Relative { .. } => evaluation.benchmark.as_ref()?.average?,
        _ => return None,
    };
    (target != 0.0).then(|| (target - value).abs() / target.abs())
}

/// The automatic deviation an indicator's evaluation raises, if any: one per indicator and
/// period whatever the number of reasons, each reason described inside it.
pub fn from_indicator(
    indicator: &crate::model::Indicator,
    org_id: Id,
    evaluation: &Evaluation,
    threshold: DeviationThreshold,
) -> Option<NewDeviation> {
    let reasons = reasons(evaluation, threshold);
    let first = *reasons.first()?;
    let p = evaluation.period;
    let d = indicator.decimals;
    let value = |v: f64| crate::number::format_sv(v, d);
    let mut text = format!("{} {}:", indicator.name, p.label_sv());
    for reason in &reasons {
        match reason {
            Reason::MilestoneMissed => {
                let target = evaluation
                    .milestone
                    .map(|t| t.label_sv(d))
                    .unwrap_or_default();
                let cur = evaluation
                    .current
                    .map(|c| value(c.value))
                    .unwrap_or_default();
                let against = evaluation
                    .benchmark
                    .as_ref()
                    .and_then(|b| Some(format!(" ({} {})", b.group, value(b.average?))))
                    .unwrap_or_default();
                let margin = match evaluation.current.and_then(|c| c.margin) {
                    Some(m) => format!(
                        " (felmarginal ±\u{a0}{})",
                        crate::number::format_sv(m, d.max(1))
                    ),
                    None => String::new(),
                };
                text.push_str(&format!(
                    " etappmålet {target}{against} nåddes inte: utfallet blev {cur}{margin}."
                ));
            }
            Reason::NegativeTrend => {
                if let Some(t) = &evaluation.trend_test {
                    text.push_str(&format!(
                        " Utfallet försämrades {}–{} mer än felmarginalen.",
                        t.from.label_sv(),
                        t.to.label_sv()
                    ));
                }
            }
        }
    }
    Some(NewDeviation {
        org_id,
        area: None,
        source: match first {
            Reason::MilestoneMissed => Source::IndicatorNotAchieved,
            Reason::NegativeTrend => Source::IndicatorNegativeTrend,
        },
        severity: Severity::Medium,
        period: p,
        description: text,
        cause_key: Some(indicator_cause_key(indicator.id, p)),
    })
}

/// The cause key of an indicator's automatic deviation for a period.
pub fn indicator_cause_key(indicator_id: Id, period: Period) -> String {
    format!("indicator:{indicator_id}:{period}")
}

/// Keys that name the same cause as `key`: before one deviation per indicator and period,
/// a missed milestone and a negative trend were raised apart.
fn same_cause(key: &str) -> Vec<String> {
    let mut out = vec![key.to_string()];
    if let Some(rest) = key.strip_prefix("indicator:") {
        if let Some((id, period)) = rest.split_once(':') {
            if !period.contains(':') {
                out.push(format!("indicator:{id}:not_achieved:{period}"));
                out.push(format!("indicator:{id}:negative_trend:{period}"));
            }
        }
    }
    out
}

/// The deviation of a commitment not finished by the end of its year, if any.
pub fn from_commitment(
    commitment_id: Id,
    org_id: Id,
    title: &str,
    year: i32,
    finished: bool,
) -> Option<NewDeviation> {
    (!finished).then(|| NewDeviation {
        org_id,
        area: None,
        source: Source::CommitmentUnfinished,
        severity: Severity::Low,
        period: Period::Year(year),
        description: format!("Utvecklingsåtagandet ”{title}” blev inte klart {year}."),
        cause_key: Some(format!("commitment:{commitment_id}:unfinished:{year}")),
    })
}

/// The candidates not raised before: raising is idempotent per cause key.
pub fn not_yet_raised(
    raised_keys: &HashSet<String>,
    candidates: Vec<NewDeviation>,
) -> Vec<NewDeviation> {
    let mut seen = raised_keys.clone();
    candidates
        .into_iter()
        .filter(|c| match &c.cause_key {
            Some(k) => {
                let fresh = same_cause(k).iter().all(|alias| !seen.contains(alias));
                seen.insert(k.clone());
                fresh
            }
            None => true,
        })
        .collect()
}

/// The automatic candidates of indicators for a year: one for each indicator whose
/// milestone was missed beyond the margin, or whose trend is significantly negative, under
/// its board's threshold. Each pair carries the owning unit; `threshold_of` gives a unit's
/// threshold.
pub fn indicator_candidates(
    indicators: &[(Id, &crate::model::IndicatorRecord)],
    year: i32,
    threshold_of: impl Fn(Id) -> DeviationThreshold,
) -> Vec<NewDeviation> {
    let period = Period::Year(year);
    indicators
        .iter()
        .filter_map(|(org, r)| {
            from_indicator(&r.indicator, *org, &r.evaluate(period), threshold_of(*org))
        })
        .collect()
}

/// The automatic candidates of commitments for a year: every commitment of the year not
/// finished (its latest status is not done). Each pair carries the owning unit.
pub fn commitment_candidates(
    commitments: &[(Id, &crate::model::Commitment)],
    year: i32,
) -> Vec<NewDeviation> {
    commitments
        .iter()
        .filter(|(_, c)| c.year == year)
        .filter_map(|(org, c)| {
            let done = c.statuses.last().map(|s| s.status)
                == Some(crate::commitment::CommitmentStatus::Done);
            from_commitment(c.id, *org, &c.title, year, done)
        })
        .collect()
}

/// What the executive board must see of a set of deviations: what has not been acted on.
/// Tallies add up, so a board's tally is the sum of its units' and the total the sum of all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub deviations: usize,
    /// Deviations without a decision.
    pub undecided: usize,
    /// When the oldest deviation without a decision was raised (ISO date).
    pub oldest_undecided: Option<String>,
    /// Decided to act, no action recorded.
    pub decided_without_action: usize,
    /// Actions past due and not closed.
    pub overdue_actions: usize,
    /// Done actions whose indicator shows no outcome after they were done (or that have no
    /// indicator): effect unknown.
    pub done_effect_unknown: usize,
}

impl Tally {
    /// One deviation's part, as of `today` (ISO date). `effect_known(action)` tells whether
    /// a done action's indicator shows an outcome after it was done (see [`Action::effect`]).
    pub fn of(d: &Deviation, today: &str, effect_known: impl Fn(&Action) -> bool) -> Tally {
        let standing = d.standing();
        let undecided = standing == Standing::Undecided;
        Tally {
            deviations: 1,
            undecided: usize::from(undecided),
            oldest_undecided: undecided.then(|| d.raised_on.clone()),
            decided_without_action: usize::from(standing == Standing::DecidedWithoutAction),
            overdue_actions: d.actions.iter().filter(|a| a.is_overdue(today)).count(),
            done_effect_unknown: d
                .actions
                .iter()
                .filter(|a| a.state == ActionState::Done && !effect_known(a))
                .count(),
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.deviations += other.deviations;
        self.undecided += other.undecided;
        self.oldest_undecided = match (self.oldest_undecided.take(), &other.oldest_undecided) {
            (Some(a), Some(b)) => Some(a.min(b.clone())),
            (a, b) => a.or_else(|| b.clone()),
        };
        self.decided_without_action += other.decided_without_action;
        self.overdue_actions += other.overdue_actions;
        self.done_effect_unknown += other.done_effect_unknown;
    }

    /// Days the oldest undecided deviation has waited, as of `today`.
    pub fn oldest_age(&self, today: &str) -> Option<i64> {
        crate::date::days_between(self.oldest_undecided.as_deref()?, today)
    }

    /// Whether anything here waits for the board's attention.
    pub fn needs_attention(&self) -> bool {
        self.undecided
            + self.decided_without_action
            + self.overdue_actions
            + self.done_effect_unknown
            > 0
    }
}

/// What the oversight view drills down to: the deviations behind one figure of a tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    All,
    Undecided,
    DecidedWithoutAction,
    /// Deviations with at least one overdue action.
    OverdueActions,
    /// Deviations with at least one done action whose effect is unknown.
    EffectUnknown,
}

impl Concern {
    pub const ALL: [Concern; 5] = [
        Concern::All,
        Concern::Undecided,
        Concern::DecidedWithoutAction,
        Concern::OverdueActions,
        Concern::EffectUnknown,
    ];

    pub fn label_sv(self) -> &'static str {
        match self {
            Concern::All => "Alla avvikelser",
            Concern::Undecided => "Utan beslut",
            Concern::DecidedWithoutAction => "Beslut utan åtgärd",
            Concern::OverdueActions => "Med försenade åtgärder",
            Concern::EffectUnknown => "Genomförda åtgärder med okänd effekt",
        }
    }

    /// Whether `d` is behind this figure (the rule the store's queries implement).
    pub fn matches(
        self,
        d: &Deviation,
        today: &str,
        effect_known: impl Fn(&Action) -> bool,
    ) -> bool {
        let t = Tally::of(d, today, effect_known);
        match self {
            Concern::All => true,
            Concern::Undecided => t.undecided > 0,
            Concern::DecidedWithoutAction => t.decided_without_action > 0,
            Concern::OverdueActions => t.overdue_actions > 0,
            Concern::EffectUnknown => t.done_effect_unknown > 0,
        }
    }
}

codes!(Concern {
    All => "all",
    Undecided => "undecided",
    DecidedWithoutAction => "without_action",
    OverdueActions => "overdue",
    EffectUnknown => "effect_unknown",
});

/// The board a unit's deviations are overseen under: the unit itself if it governs (KF,
/// KS, a nämnd or a company), else its nearest governing ancestor, else the root.
pub fn board_of(units: &std::collections::HashMap<Id, &crate::model::OrgUnit>, id: Id) -> Id {
    let mut current = id;
    let mut last = id;
    for _ in 0..units.len() + 1 {
        let Some(unit) = units.get(&current) else {
            return last;
        };
        if unit.kind.is_governing() {
            return unit.id;
        }
        last = unit.id;
        match unit.parent_id {
            Some(parent) => current = parent,
            None => return last,
        }
    }
    last
}

/// The tally of many deviations.
pub fn oversight<'a>(
    deviations: impl IntoIterator<Item = &'a Deviation>,
    today: &str,
    effect_known: impl Fn(&Action) -> bool,
) -> Tally {
    let mut total = Tally::default();
    for d in deviations {
        total.add(&Tally::of(d, today, &effect_known));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{Comparator, Direction};
    use crate::model::{Indicator, IndicatorRecord};
    use proptest::prelude::*;

    fn record(values: &[(i32, f64, Option<f64>)], target: Target) -> IndicatorRecord {
        IndicatorRecord {
            indicator: Indicator {
                id: 7,
                key: "bra-plats".into(),
                goal_id: 1,
                name: "Bra plats att leva och bo".into(),
                unit: "%".into(),
                direction: Direction::Higher,
                source: "SCB".into(),
                kolada_kpi: String::new(),
                decimals: 1,
                frequency: crate::indicator::Frequency::Year,
                position: 0,
                margin_basis: None,
                trend_window: Default::default(),
            },
            outcomes: values
                .iter()
                .map(|(y, v, m)| IndicatorOutcome {
                    period: Period::Year(*y),
                    breakdown: Breakdown::Total,
                    value: *v,
                    margin: *m,
                    sample_size: None,
                })
                .collect(),
            milestones: vec![(2023, target)],
            targets: vec![],
            comparisons: vec![],
            gaps: vec![],
            comments: vec![],
            kolada: false,
            settings: Default::default(),
        }
    }

    fn above(v: f64) -> Target {
        Target::Value {
            comparator: Comparator::Gt,
            value: v,
        }
    }

    /// Seed 002: Bra plats att leva och bo 93,4 → 88,7 against > 93,7 in 2023: the milestone
    /// was missed and the trend is negative, and that is one deviation listing both.
    #[test]
    fn one_deviation_per_indicator_and_period_lists_every_reason() {
        let r = record(&[(2022, 93.4, None), (2023, 88.7, None)], above(93.7));
        let e = r.evaluate(Period::Year(2023));
        let d = from_indicator(&r.indicator, 3, &e, DeviationThreshold::default()).unwrap();
        assert_eq!(d.source, Source::IndicatorNotAchieved);
        assert_eq!(d.cause_key.as_deref(), Some("indicator:7:2023"));
        assert!(
            d.description
                .contains("etappmålet >\u{a0}93,7 nåddes inte: utfallet blev 88,7."),
            "{}",
            d.description
        );
        assert!(
            d.description.contains("försämrades 2022–2023"),
            "{}",
            d.description
        );
        let candidates = indicator_candidates(&[(3, &r)], 2023, |_| DeviationThreshold::default());
        assert_eq!(candidates.len(), 1);
    }

    #[test]
    fn a_met_milestone_or_a_miss_inside_the_margin_raises_nothing() {
        let met = record(&[(2022, 99.0, None), (2023, 95.0, None)], above(93.7));
        let e = met.evaluate(Period::Year(2023));
        assert_eq!(e.trend, Some(Trend::Negative));
        assert_eq!(
            from_indicator(&met.indicator, 3, &e, DeviationThreshold::default()),
            None
        );
        let near = record(
            &[(2022, 93.0, Some(2.0)), (2023, 93.0, Some(2.0))],
            above(93.7),
        );
        let e = near.evaluate(Period::Year(2023));
        assert_eq!(e.status, Status::NotAchieved);
        assert_eq!(e.shortfall_significant, Some(false));
        assert_eq!(
            from_indicator(&near.indicator, 3, &e, DeviationThreshold::default()),
            None
        );
    }

    #[test]
    fn a_boards_threshold_filters_near_misses_and_trend_only_deviations() {
        let r = record(&[(2022, 93.4, None), (2023, 90.0, None)], above(93.7));
        let e = r.evaluate(Period::Year(2023));
        let strict = DeviationThreshold {
            negative_trend: true,
            min_shortfall: 0.05,
        };
        assert_eq!(
            from_indicator(&r.indicator, 3, &e, strict),
            None,
            "3,9 % short of 93,7"
        );
        let followed = record(
            &[(2022, 93.4, None), (2023, 90.0, None)],
            Target::FollowOnly,
        );
        let e = followed.evaluate(Period::Year(2023));
        assert!(
            from_indicator(&followed.indicator, 3, &e, DeviationThreshold::default()).is_some()
        );
        let no_trends = DeviationThreshold {
            negative_trend: false,
            min_shortfall: 0.0,
        };
        assert_eq!(from_indicator(&followed.indicator, 3, &e, no_trends), None);
    }

    /// A trend ending in an earlier period raises nothing in a later one.
    #[test]
    fn an_old_trend_is_not_raised_again_in_a_later_period() {
        let r = record(
            &[(2021, 93.4, None), (2022, 88.7, None)],
            Target::FollowOnly,
        );
        let in_2022 = r.evaluate(Period::Year(2022));
        assert!(from_indicator(&r.indicator, 3, &in_2022, DeviationThreshold::default()).is_some());
        let in_2023 = r.evaluate(Period::Year(2023));
        assert_eq!(in_2023.trend, Some(Trend::Negative));
        assert_eq!(
            from_indicator(&r.indicator, 3, &in_2023, DeviationThreshold::default()),
            None
        );
    }

    #[test]
    fn a_cause_raised_under_the_old_keys_is_not_raised_again() {
        let r = record(&[(2022, 93.4, None), (2023, 88.7, None)], above(93.7));
        let candidates = indicator_candidates(&[(3, &r)], 2023, |_| DeviationThreshold::default());
        let old: HashSet<String> = ["indicator:7:negative_trend:2023".to_string()].into();
        assert!(not_yet_raised(&old, candidates.clone()).is_empty());
        let other: HashSet<String> = ["indicator:7:negative_trend:2022".to_string()].into();
        assert_eq!(not_yet_raised(&other, candidates).len(), 1);
    }

    fn raised(key: &str) -> NewDeviation {
        NewDeviation {
            org_id: 1,
            area: Some("Vårby".into()),
            source: Source::IndicatorNotAchieved,
            severity: Severity::Medium,
            period: Period::Year(2023),
            description: "Trygg utomhus under etappmålet".into(),
            cause_key: Some(key.into()),
        }
    }

    fn decision(outcome: Outcome) -> Decision {
        Decision {
            body: DecidingBody::Board,
            decided_on: "2024-03-20".into(),
            paragraph: "§ 12".into(),
            diary_number: "KS-2024/55".into(),
            outcome,
        }
    }

    fn action(due: &str) -> Action {
        Action {
            what: "Trygghetsvandring i Vårby".into(),
            responsible_unit: 2,
            responsible_person: "Områdessamordnare".into(),
            due: due.into(),
            expected_effect: "Fler känner sig trygga kvällstid".into(),
            indicator_id: Some(7),
            state: ActionState::Done,
            comments: vec![],
            closed_on: None,
        }
    }

    #[test]
    fn a_deviation_is_open_until_decided_and_actions_need_a_decision_to_act() {
        let mut d = Deviation::new(raised("k"), "2024-02-01");
        assert_eq!(d.standing(), Standing::Undecided);
        assert_eq!(
            d.add_action(action("2024-06-30")),
            Err(LifecycleError::NoDecisionToAct)
        );
        assert_eq!(
            d.decide(decision(Outcome::NoAction {
                motivation: " ".into()
            })),
            Err(LifecycleError::MotivationRequired)
        );
        d.decide(decision(Outcome::Act)).unwrap();
        assert_eq!(d.standing(), Standing::DecidedWithoutAction);
        let i = d.add_action(action("2024-06-30")).unwrap();
        assert_eq!(
            d.actions[i].state,
            ActionState::Planned,
            "always starts planned"
        );
        assert!(d.actions[i].is_overdue("2024-07-01"));
        assert!(!d.actions[i].is_overdue("2024-06-30"));
        assert_eq!(
            d.advance(i, ActionState::Done, "2024-05-01", ""),
            Err(LifecycleError::Transition(
                ActionState::Planned,
                ActionState::Done
            ))
        );
        d.advance(i, ActionState::InProgress, "2024-04-01", "Startad")
            .unwrap();
        assert_eq!(d.standing(), Standing::ActionsOpen);
        d.advance(i, ActionState::Done, "2024-06-01", "Genomförd")
            .unwrap();
        assert_eq!(d.standing(), Standing::ActionsClosed);
        assert!(!d.actions[i].is_overdue("2025-01-01"));
        assert_eq!(
            d.decide(decision(Outcome::Act)),
            Err(LifecycleError::AlreadyDecided)
        );
    }

    #[test]
    fn a_recorded_decision_is_corrected_with_a_reason_and_the_original_kept() {
        let mut d = Deviation::new(raised("k"), "2024-02-01");
        let not_acting = decision(Outcome::NoAction {
            motivation: "Ryms i ordinarie arbete".into(),
        });
        assert_eq!(
            d.correct(not_acting.clone(), "Fel datum", "controller", "2024-04-02"),
            Err(LifecycleError::NothingToCorrect)
        );
        d.decide(not_acting.clone()).unwrap();
        let acting = Decision {
            decided_on: "2024-03-27".into(),
            paragraph: "§ 14".into(),
            ..decision(Outcome::Act)
        };
        assert_eq!(
            d.correct(acting.clone(), "  ", "controller", "2024-04-02"),
            Err(LifecycleError::ReasonRequired)
        );
        assert_eq!(
            d.correct(not_acting.clone(), "Samma", "controller", "2024-04-02"),
            Err(LifecycleError::CorrectionUnchanged)
        );
        assert_eq!(d.corrections, vec![], "a refusal changes nothing");
        d.correct(
            acting.clone(),
            " Protokollet justerades: nämnden beslutade att åtgärda. ",
            "controller",
            "2024-04-02",
        )
        .unwrap();
        assert_eq!(
            d.decision.as_ref(),
            Some(&acting),
            "the correction is in force"
        );
        assert_eq!(
            d.original_decision(),
            Some(&not_acting),
            "the original is kept"
        );
        assert_eq!(
            d.corrections[0].reason,
            "Protokollet justerades: nämnden beslutade att åtgärda."
        );
        assert_eq!(d.standing(), Standing::DecidedWithoutAction);
        // Actions now stand under the decision to act: it cannot become not to act.
        let i = d.add_action(action("2024-06-30")).unwrap();
        assert_eq!(
            d.correct(not_acting.clone(), "Ångrat", "controller", "2024-05-02"),
            Err(LifecycleError::ActionsStand)
        );
        d.advance(i, ActionState::Cancelled, "2024-05-02", "Avbruten")
            .unwrap();
        d.correct(not_acting.clone(), "Ångrat", "controller", "2024-05-02")
            .unwrap();
        assert_eq!(d.standing(), Standing::NotActedOn);
        assert_eq!(d.corrections.len(), 2);
        assert_eq!(d.corrections[1].replaced, acting);
        assert_eq!(d.original_decision(), Some(&not_acting));
        assert_eq!(
            d.add_action(action("2024-12-31")),
            Err(LifecycleError::NoDecisionToAct)
        );
    }

    /// The oversight counts the decision in force: a decision not to act corrected to a
    /// decision to act is a decision without action.
    #[test]
    fn oversight_counts_the_corrected_decision() {
        let mut d = Deviation::new(raised("k"), "2024-02-01");
        d.decide(decision(Outcome::NoAction {
            motivation: "Ryms i ordinarie arbete".into(),
        }))
        .unwrap();
        assert_eq!(
            Tally::of(&d, "2024-06-01", |_| false).decided_without_action,
            0
        );
        d.correct(
            decision(Outcome::Act),
            "Fel beslut",
            "controller",
            "2024-04-02",
        )
        .unwrap();
        let t = Tally::of(&d, "2024-06-01", |_| false);
        assert_eq!((t.undecided, t.decided_without_action), (0, 1));
        assert!(Concern::DecidedWithoutAction.matches(&d, "2024-06-01", |_| false));
    }

    #[test]
    fn oversight_counts_what_has_not_been_acted_on() {
        let undecided_old = Deviation::new(raised("a"), "2023-01-10");
        let undecided_new = Deviation::new(raised("b"), "2024-05-01");
        let mut without_action = Deviation::new(raised("c"), "2024-01-01");
        without_action.decide(decision(Outcome::Act)).unwrap();
        let mut with_actions = Deviation::new(raised("d"), "2024-01-01");
        with_actions.decide(decision(Outcome::Act)).unwrap();
        with_actions.add_action(action("2024-03-31")).unwrap(); // overdue by June
        let done = with_actions.add_action(action("2024-12-31")).unwrap();
        with_actions
            .advance(done, ActionState::InProgress, "2024-02-01", "")
            .unwrap();
        with_actions
            .advance(done, ActionState::Done, "2024-04-01", "")
            .unwrap();
        let mut not_acted = Deviation::new(raised("e"), "2024-01-01");
        not_acted
            .decide(decision(Outcome::NoAction {
                motivation: "Ryms i ordinarie arbete".into(),
            }))
            .unwrap();
        let all = [
            undecided_new,
            without_action,
            with_actions,
            not_acted,
            undecided_old,
        ];
        let o = oversight(&all, "2024-06-01", |_| false);
        assert_eq!(o.deviations, 5);
        assert_eq!(o.undecided, 2);
        assert_eq!(o.oldest_undecided.as_deref(), Some("2023-01-10"));
        assert_eq!(o.oldest_age("2024-06-01"), Some(508), "age in days");
        assert_eq!(o.decided_without_action, 1);
        assert_eq!(o.overdue_actions, 1);
        assert_eq!(o.done_effect_unknown, 1);
        assert_eq!(
            oversight(&all, "2024-06-01", |_| true).done_effect_unknown,
            0
        );
        let mut halves = oversight(&all[..2], "2024-06-01", |_| false);
        halves.add(&oversight(&all[2..], "2024-06-01", |_| false));
        assert_eq!(halves, o, "tallies add up");
    }

    #[test]
    fn a_done_actions_effect_is_the_first_outcome_after_it_was_done() {
        use crate::indicator::Outcome as O;
        let out = |p: &str, v: f64| O {
            period: Period::parse(p).unwrap(),
            breakdown: Breakdown::Total,
            value: v,
            margin: None,
            sample_size: None,
        };
        let outcomes = [
            out("2025", 71.0),
            out("2023", 60.0),
            out("2024", 64.0),
            out("2024T2", 63.0),
        ];
        let mut d = Deviation::new(raised("k"), "2024-01-01");
        d.decide(decision(Outcome::Act)).unwrap();
        let i = d.add_action(action("2024-12-31")).unwrap();
        assert_eq!(d.actions[i].effect(&outcomes), None, "not done yet");
        d.advance(i, ActionState::InProgress, "2024-02-01", "")
            .unwrap();
        d.advance(i, ActionState::Done, "2024-06-15", "Klar")
            .unwrap();
        assert_eq!(d.actions[i].closed_on.as_deref(), Some("2024-06-15"));
        assert_eq!(
            d.actions[i].effect(&outcomes).map(|o| o.value),
            Some(63.0),
            "tertial 2 ends 31 Aug"
        );
        assert_eq!(
            d.actions[i].effect(&outcomes[..3]).map(|o| o.value),
            Some(64.0)
        );
        assert_eq!(
            d.actions[i].effect(&outcomes[..2]).map(|o| o.value),
            Some(71.0)
        );
        assert_eq!(
            d.actions[i].effect(&outcomes[1..2]),
            None,
            "only an earlier outcome"
        );
    }

    #[test]
    fn codes_round_trip() {
        for s in [
            Source::IndicatorNotAchieved,
            Source::AuditRemark,
            Source::Other,
        ] {
            assert_eq!(Source::parse(s.code()), Some(s));
        }
        for a in [
            ActionState::Planned,
            ActionState::InProgress,
            ActionState::Done,
            ActionState::Cancelled,
        ] {
            assert_eq!(ActionState::parse(a.code()), Some(a));
        }
        assert_eq!(Severity::parse("high"), Some(Severity::High));
        assert_eq!(DecidingBody::parse("board"), Some(DecidingBody::Board));
        assert_eq!(Source::parse("okänd"), None);
    }

    #[test]
    fn raising_twice_adds_nothing() {
        let once = not_yet_raised(&HashSet::new(), vec![raised("a"), raised("b"), raised("a")]);
        assert_eq!(once.len(), 2, "a duplicate in one batch is dropped too");
        let keys: HashSet<String> = once.iter().filter_map(|d| d.cause_key.clone()).collect();
        assert!(not_yet_raised(&keys, vec![raised("a"), raised("b")]).is_empty());
    }

    #[test]
    fn an_unfinished_commitment_raises_one_deviation_for_its_year() {
        let d = from_commitment(9, 3, "Ökad valfrihet", 2019, false).unwrap();
        assert_eq!(d.period, Period::Year(2019));
        assert_eq!(d.cause_key.as_deref(), Some("commitment:9:unfinished:2019"));
        assert!(from_commitment(9, 3, "Ökad valfrihet", 2019, true).is_none());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Decide(bool),
        Correct(bool),
        Add,
        Advance(usize, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<bool>().prop_map(Op::Decide),
            any::<bool>().prop_map(Op::Correct),
            Just(Op::Add),
            (0usize..4, 0u8..4).prop_map(|(i, s)| Op::Advance(i, s)),
        ]
    }

    fn act_or_not(act: bool) -> Decision {
        decision(if act {
            Outcome::Act
        } else {
            Outcome::NoAction {
                motivation: "Ryms inom ordinarie arbete".into(),
            }
        })
    }

    proptest! {
        /// Whatever is tried in whatever order (corrections too), no action that stands
        /// (is not cancelled) exists without a decision to act, no action reaches done
        /// without having been in progress, a refusal changes nothing and a correction
        /// keeps the original decision.
        #[test]
        fn no_state_skips_a_decision(ops in proptest::collection::vec(op(), 0..30)) {
            let mut d = Deviation::new(raised("k"), "2024-01-01");
            for op in ops {
                let before = d.clone();
                let corrected = matches!(op, Op::Correct(_));
                let result = match op {
                    Op::Decide(act) => d.decide(act_or_not(act)),
                    Op::Correct(act) => d.correct(act_or_not(act), "Rättelse", "controller", "2024-06-01"),
                    Op::Add => d.add_action(action("2024-12-31")).map(|_| ()),
                    Op::Advance(i, s) => {
                        let next = [ActionState::Planned, ActionState::InProgress, ActionState::Done, ActionState::Cancelled][s as usize];
                        d.advance(i, next, "2024-06-01", "")
                    }
                };
                if result.is_err() {
                    prop_assert_eq!(&d, &before, "a refusal changes nothing");
                }
                if corrected && result.is_ok() {
                    prop_assert_eq!(d.corrections.last().map(|c| &c.replaced), before.decision.as_ref());
                    prop_assert_eq!(d.original_decision(), before.original_decision(), "the original is kept");
                }
                let decided_to_act = matches!(&d.decision, Some(x) if x.outcome == Outcome::Act);
                let standing: Vec<&Action> = d.actions.iter().filter(|a| a.state != ActionState::Cancelled).collect();
                prop_assert!(standing.is_empty() || decided_to_act, "actions without a decision to act");
                for a in &d.actions {
                    if a.state == ActionState::Done {
                        prop_assert!(a.comments.len() >= 2, "done only via in progress");
                    }
                }
                if d.decision.is_none() {
                    prop_assert_eq!(d.standing(), Standing::Undecided);
                }
            }
        }

        /// Raising is idempotent: raising the result again adds nothing.
        #[test]
        fn raising_is_idempotent(keys in proptest::collection::vec("[a-c]{1,2}", 0..20)) {
            let candidates: Vec<NewDeviation> = keys.iter().map(|k| raised(k)).collect();
            let first = not_yet_raised(&HashSet::new(), candidates.clone());
            let raised_keys: HashSet<String> = first.iter().filter_map(|d| d.cause_key.clone()).collect();
            prop_assert_eq!(first.len(), raised_keys.len());
            prop_assert!(not_yet_raised(&raised_keys, candidates).is_empty());
        }
    }
}
