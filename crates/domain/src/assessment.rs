//! Goal assessments (måluppfyllelse): a configurable scale and the rules (kommungemensamma
//! kriterier) that propose a level from a goal's indicators and commitments. People confirm
//! or override the proposal with a motivation; that decision is stored, the proposal is not.

use serde::{Deserialize, Serialize};

use crate::evaluation::Status;

/// An ordered scale of assessment levels, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentScale {
    pub name: String,
    pub levels: Vec<String>,
}

impl AssessmentScale {
    /// The scale of seed 004: Mycket god / God / Godtagbar / Ej godtagbar.
    pub fn huddinge() -> AssessmentScale {
        AssessmentScale {
            name: "Huddinge".into(),
            levels: ["Mycket god", "God", "Godtagbar", "Ej godtagbar"]
                .map(String::from)
                .to_vec(),
        }
    }

    /// Position of a level (0 = best), matched case-insensitively.
    pub fn position(&self, level: &str) -> Option<usize> {
        let wanted = level.trim().to_lowercase();
        self.levels.iter().position(|l| l.to_lowercase() == wanted)
    }

    /// The level's spelling on this scale.
    pub fn canonical(&self, level: &str) -> Option<&str> {
        self.position(level).map(|i| self.levels[i].as_str())
    }
}

/// Rules that turn a goal's basis into a proposed level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRules {
    /// Minimum share of fulfilled items for each level but the last, best first. With the
    /// default scale `[0.9, 0.6, 0.4]`: Mycket god ≥ 90 %, God ≥ 60 %, Godtagbar ≥ 40 %.
    pub thresholds: Vec<f64>,
    /// Weight of one commitment against one indicator with a milestone.
    pub commitment_weight: f64,
    /// Levels an unfinished commitment lowers the proposal by, on top of its weight in the
    /// share (0 = only the share counts).
    pub unfinished_commitment_penalty: usize,
    /// How an indicator whose milestone has no outcome yet counts.
    #[serde(default)]
    pub missing_outcomes: MissingOutcomes,
}

/// How an indicator with a milestone but no outcome counts in a proposal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingOutcomes {
    /// Left out: the proposal rests on what was measured.
    #[default]
    Ignored,
    /// Counted as not achieved.
    NotAchieved,
}

impl MissingOutcomes {
    pub const ALL: [MissingOutcomes; 2] = [MissingOutcomes::Ignored, MissingOutcomes::NotAchieved];

    pub fn code(self) -> &'static str {
        match self {
            MissingOutcomes::Ignored => "ignored",
            MissingOutcomes::NotAchieved => "not_achieved",
        }
    }

    pub fn parse(code: &str) -> Option<MissingOutcomes> {
        MissingOutcomes::ALL
            .into_iter()
            .find(|m| m.code() == code.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            MissingOutcomes::Ignored => "Räknas inte",
            MissingOutcomes::NotAchieved => "Räknas som ej uppnått",
        }
    }
}

impl Default for AssessmentRules {
    fn default() -> Self {
        AssessmentRules {
            thresholds: vec![0.9, 0.6, 0.4],
            commitment_weight: 1.0,
            unfinished_commitment_penalty: 0,
            missing_outcomes: MissingOutcomes::Ignored,
        }
    }
}

/// What a proposal is based on: counts over the goal's (and its sub-goals') indicators and
/// commitments for the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Basis {
    pub achieved: u32,
    pub not_achieved: u32,
    pub not_measured: u32,
    pub followed_only: u32,
    pub commitments_done: u32,
    pub commitments_unfinished: u32,
}

impl Basis {
    pub fn add_status(&mut self, status: Status) {
        match status {
            Status::Achieved => self.achieved += 1,
            Status::NotAchieved => self.not_achieved += 1,
            Status::NotMeasured => self.not_measured += 1,
            Status::FollowedOnly => self.followed_only += 1,
        }
    }

    pub fn add_commitment(&mut self, finished: bool) {
        if finished {
            self.commitments_done += 1;
        } else {
            self.commitments_unfinished += 1;
        }
    }

    pub fn merge(&mut self, other: &Basis) {
        self.achieved += other.achieved;
        self.not_achieved += other.not_achieved;
        self.not_measured += other.not_measured;
        self.followed_only += other.followed_only;
        self.commitments_done += other.commitments_done;
        self.commitments_unfinished += other.commitments_unfinished;
    }

    /// A Swedish sentence saying what the proposal rests on.
    pub fn summary_sv(&self) -> String {
        let measured = self.achieved + self.not_achieved;
        let commitments = self.commitments_done + self.commitments_unfinished;
        let mut parts = Vec::new();
        if measured > 0 {
            parts.push(format!(
                "{} av {} mått nådde etappmålet",
                self.achieved, measured
            ));
        }
        if self.not_measured > 0 {
            parts.push(format!("{} mått saknar utfall", self.not_measured));
        }
        if commitments > 0 {
            parts.push(if commitments == 1 {
                format!("{} av 1 åtagande klart", self.commitments_done)
            } else {
                format!(
                    "{} av {} åtaganden klara",
                    self.commitments_done, commitments
                )
            });
        }
        if parts.is_empty() {
            return "Underlag saknas: inga mått med etappmål och inga åtaganden".into();
        }
        let mut s = parts.join(", ");
        if let Some(first) = s.get(..1) {
            let upper = first.to_uppercase();
            s.replace_range(..1, &upper);
        }
        s
    }
}

/// A proposed level with the share it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// Position on the scale, 0 = best.
    pub position: usize,
    pub level: String,
    /// Share of fulfilled items, 0.0–1.0.
    pub share: f64,
    pub basis: Basis,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("the scale has no levels")]
    EmptyScale,
    #[error("{thresholds} thresholds for {levels} levels; expected one fewer than the levels")]
    ThresholdCount { thresholds: usize, levels: usize },
    #[error("thresholds must fall from best to worst and lie within 0..=1")]
    ThresholdOrder,
    #[error("commitment weight must be zero or positive")]
    NegativeWeight,
}

impl AssessmentRules {
    pub fn check(&self, scale: &AssessmentScale) -> Result<(), RulesError> {
        if scale.levels.is_empty() {
            return Err(RulesError::EmptyScale);
        }
        if self.thresholds.len() + 1 != scale.levels.len() {
            return Err(RulesError::ThresholdCount {
                thresholds: self.thresholds.len(),
                levels: scale.levels.len(),
            });
        }
        let in_range = self.thresholds.iter().all(|t| (0.0..=1.0).contains(t));
        let falling = self.thresholds.windows(2).all(|w| w[0] >= w[1]);
        if !in_range || !falling {
            return Err(RulesError::ThresholdOrder);
        }
        if self.commitment_weight.is_nan() || self.commitment_weight < 0.0 {
            return Err(RulesError::NegativeWeight);
        }
        Ok(())
    }

    /// Proposes a level, or `None` when there is nothing to judge by.
    pub fn propose(&self, scale: &AssessmentScale, basis: Basis) -> Option<Proposal> {
        debug_assert!(self.check(scale).is_ok());
        let w = self.commitment_weight;
        let commitments = f64::from(basis.commitments_done + basis.commitments_unfinished);
        let missing = match self.missing_outcomes {
            MissingOutcomes::Ignored => 0,
            MissingOutcomes::NotAchieved => basis.not_measured,
        };
        let denominator =
            f64::from(basis.achieved + basis.not_achieved + missing) + w * commitments;
        if denominator <= 0.0 || scale.levels.is_empty() {
            return None;
        }
        let share =
            (f64::from(basis.achieved) + w * f64::from(basis.commitments_done)) / denominator;
        let last = scale.levels.len() - 1;
        let by_share = self
            .thresholds
            .iter()
            .position(|t| share >= *t)
            .unwrap_or(last);
        let penalty = if basis.commitments_unfinished > 0 {
            self.unfinished_commitment_penalty
        } else {
            0
        };
        let position = (by_share + penalty).min(last);
        Some(Proposal {
            position,
            level: scale.levels[position].clone(),
            share,
            basis,
        })
    }
}

/// A goal's decided level for a period, with what the rules would have proposed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecidedCase {
    pub goal_id: crate::model::Id,
    pub goal: String,
    pub period: crate::period::Period,
    pub decided: String,
    pub basis: Basis,
}

/// One decided case under a set of rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibratedCase {
    pub case: DecidedCase,
    pub proposal: Option<Proposal>,
    /// Proposed position minus decided position: negative when the rules propose a better
    /// level than was decided. `None` without a proposal or when the decided level is not
    /// on the scale.
    pub difference: Option<i64>,
}

impl CalibratedCase {
    pub fn agrees(&self) -> bool {
        self.difference == Some(0)
    }
}

/// How well a set of rules agrees with the levels a board decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub cases: Vec<CalibratedCase>,
    /// Cases whose proposal equals the decided level.
    pub agreeing: usize,
    /// Cases with a proposal and a decided level on the scale.
    pub compared: usize,
    /// Cases the rules propose nothing for.
    pub without_proposal: usize,
}

impl Calibration {
    /// Agreement as a share of the compared cases.
    pub fn share(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.agreeing as f64 / self.compared as f64)
    }
}

/// Runs `rules` over decided cases.
pub fn calibrate(
    scale: &AssessmentScale,
    rules: &AssessmentRules,
    cases: Vec<DecidedCase>,
) -> Calibration {
    let cases: Vec<CalibratedCase> = cases
        .into_iter()
        .map(|case| {
            let proposal = rules.propose(scale, case.basis);
            let decided = scale.position(&case.decided);
            let difference = proposal
                .as_ref()
                .zip(decided)
                .map(|(p, d)| p.position as i64 - d as i64);
            CalibratedCase {
                case,
                proposal,
                difference,
            }
        })
        .collect();
    Calibration {
        agreeing: cases.iter().filter(|c| c.agrees()).count(),
        compared: cases.iter().filter(|c| c.difference.is_some()).count(),
        without_proposal: cases.iter().filter(|c| c.proposal.is_none()).count(),
        cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn basis(achieved: u32, not_achieved: u32, done: u32, unfinished: u32) -> Basis {
        Basis {
            achieved,
            not_achieved,
            commitments_done: done,
            commitments_unfinished: unfinished,
            ..Basis::default()
        }
    }

    /// Seed 004, Ökad valfrihet: no indicators, its one commitment not finished → Ej godtagbar.
    #[test]
    fn unfinished_only_commitment_gives_the_lowest_level() {
        let p = AssessmentRules::default()
            .propose(&AssessmentScale::huddinge(), basis(0, 0, 0, 1))
            .unwrap();
        assert_eq!(p.level, "Ej godtagbar");
    }

    #[test]
    fn two_of_three_indicators_is_good() {
        let p = AssessmentRules::default()
            .propose(&AssessmentScale::huddinge(), basis(2, 1, 0, 0))
            .unwrap();
        assert_eq!(p.level, "God");
        assert!((p.share - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_to_judge_by_gives_no_proposal() {
        let b = Basis {
            not_measured: 3,
            followed_only: 2,
            ..Basis::default()
        };
        assert_eq!(
            AssessmentRules::default().propose(&AssessmentScale::huddinge(), b),
            None
        );
        assert!(b.summary_sv().contains("3 mått saknar utfall"));
    }

    #[test]
    fn a_penalty_rule_lowers_the_level_for_unfinished_commitments() {
        let rules = AssessmentRules {
            unfinished_commitment_penalty: 1,
            ..AssessmentRules::default()
        };
        let p = rules
            .propose(&AssessmentScale::huddinge(), basis(9, 0, 0, 1))
            .unwrap();
        assert_eq!(p.level, "God", "90 % share but one commitment unfinished");
    }

    #[test]
    fn rules_are_checked_against_the_scale() {
        let scale = AssessmentScale::huddinge();
        assert!(AssessmentRules::default().check(&scale).is_ok());
        let bad = AssessmentRules {
            thresholds: vec![0.5, 0.9, 0.1],
            ..AssessmentRules::default()
        };
        assert_eq!(bad.check(&scale), Err(RulesError::ThresholdOrder));
        let three = AssessmentScale {
            name: "SKR".into(),
            levels: vec![
                "Uppfyllt".into(),
                "Delvis uppfyllt".into(),
                "Ej uppfyllt".into(),
            ],
        };
        assert!(AssessmentRules::default().check(&three).is_err());
        let rules = AssessmentRules {
            thresholds: vec![1.0, 0.5],
            ..AssessmentRules::default()
        };
        assert_eq!(
            rules.propose(&three, basis(1, 1, 0, 0)).unwrap().level,
            "Delvis uppfyllt"
        );
    }

    /// Seed 004's KS 2019: decided God, the rules propose God for 2 of 3 and Mycket god
    /// for 9 of 9; a level not on the scale and a goal without basis are not compared.
    #[test]
    fn calibration_compares_proposals_with_decided_levels() {
        let scale = AssessmentScale::huddinge();
        let case = |goal_id, decided: &str, basis| DecidedCase {
            goal_id,
            goal: format!("Mål {goal_id}"),
            period: crate::period::Period::Year(2019),
            decided: decided.into(),
            basis,
        };
        let cases = vec![
            case(1, "God", basis(2, 1, 0, 0)),
            case(2, "god", basis(9, 0, 0, 0)),
            case(3, "Uppfyllt", basis(1, 0, 0, 0)),
            case(4, "God", Basis::default()),
        ];
        let c = calibrate(&scale, &AssessmentRules::default(), cases);
        assert_eq!((c.agreeing, c.compared, c.without_proposal), (1, 2, 1));
        assert_eq!(c.share(), Some(0.5));
        assert!(c.cases[0].agrees());
        assert_eq!(c.cases[1].difference, Some(-1), "proposed one level better");
        assert_eq!(c.cases[2].difference, None, "not on the scale");
        assert!(c.cases[3].proposal.is_none());
        let none = calibrate(&scale, &AssessmentRules::default(), Vec::new());
        assert_eq!(none.share(), None);
    }

    #[test]
    fn scale_levels_match_case_insensitively() {
        let s = AssessmentScale::huddinge();
        assert_eq!(s.canonical("ej godtagbar"), Some("Ej godtagbar"));
        assert_eq!(s.position("God"), Some(1));
        assert_eq!(s.position("Bra"), None);
    }

    fn any_basis() -> impl Strategy<Value = Basis> {
        (0u32..20, 0u32..20, 0u32..5, 0u32..5, 0u32..5, 0u32..5).prop_map(|(a, n, m, f, d, u)| {
            Basis {
                achieved: a,
                not_achieved: n,
                not_measured: m,
                followed_only: f,
                commitments_done: d,
                commitments_unfinished: u,
            }
        })
    }

    fn any_rules() -> impl Strategy<Value = AssessmentRules> {
        (
            proptest::collection::vec(0.0f64..=1.0, 3),
            0.0f64..3.0,
            0usize..3,
            any::<bool>(),
        )
            .prop_map(|(mut t, w, p, missing)| {
                t.sort_by(|a, b| b.partial_cmp(a).unwrap());
                AssessmentRules {
                    thresholds: t,
                    commitment_weight: w,
                    unfinished_commitment_penalty: p,
                    missing_outcomes: if missing {
                        MissingOutcomes::NotAchieved
                    } else {
                        MissingOutcomes::Ignored
                    },
                }
            })
    }

    proptest! {
        /// One more achieved indicator never makes the proposal worse.
        #[test]
        fn more_achieved_never_worsens(b in any_basis(), rules in any_rules()) {
            let scale = AssessmentScale::huddinge();
            let better = Basis { achieved: b.achieved + 1, ..b };
            if let (Some(p), Some(q)) = (rules.propose(&scale, b), rules.propose(&scale, better)) {
                prop_assert!(q.position <= p.position);
            }
        }

        /// One more unfinished commitment never makes the proposal better.
        #[test]
        fn unfinished_commitment_never_improves(b in any_basis(), rules in any_rules()) {
            let scale = AssessmentScale::huddinge();
            let worse = Basis { commitments_unfinished: b.commitments_unfinished + 1, ..b };
            if let (Some(p), Some(q)) = (rules.propose(&scale, b), rules.propose(&scale, worse)) {
                prop_assert!(q.position >= p.position);
            }
        }

        /// A proposal is always a level of the scale, and its share lies within 0..=1.
        #[test]
        fn proposal_is_on_the_scale(b in any_basis(), rules in any_rules()) {
            let scale = AssessmentScale::huddinge();
            if let Some(p) = rules.propose(&scale, b) {
                prop_assert!(p.position < scale.levels.len());
                prop_assert_eq!(&scale.levels[p.position], &p.level);
                prop_assert!((0.0..=1.0).contains(&p.share));
            }
        }

        /// Items that cannot be judged (followed only; not measured unless the rules count
        /// missing outcomes) never change the proposal.
        #[test]
        fn unjudgeable_items_do_not_count(b in any_basis(), extra in 0u32..10, rules in any_rules()) {
            let scale = AssessmentScale::huddinge();
            let counted = rules.missing_outcomes == MissingOutcomes::NotAchieved;
            let more = Basis {
                not_measured: b.not_measured + if counted { 0 } else { extra },
                followed_only: b.followed_only + extra,
                ..b
            };
            prop_assert_eq!(rules.propose(&scale, b).map(|p| p.position), rules.propose(&scale, more).map(|p| p.position));
        }

        /// Counted as not achieved, a missing outcome never makes the proposal better.
        #[test]
        fn missing_outcomes_counted_never_improve(b in any_basis(), rules in any_rules()) {
            let scale = AssessmentScale::huddinge();
            let rules = AssessmentRules { missing_outcomes: MissingOutcomes::NotAchieved, ..rules };
            let worse = Basis { not_measured: b.not_measured + 1, ..b };
            if let (Some(p), Some(q)) = (rules.propose(&scale, b), rules.propose(&scale, worse)) {
                prop_assert!(q.position >= p.position);
            }
        }

        /// Calibration counts add up: every case is compared or lacks a proposal (the
        /// decided levels here are all on the scale), and agreeing cases are compared.
        #[test]
        fn calibration_counts_add_up(
            bases in proptest::collection::vec((any_basis(), 0usize..4), 0..20),
            rules in any_rules(),
        ) {
            let scale = AssessmentScale::huddinge();
            let cases: Vec<DecidedCase> = bases
                .iter()
                .enumerate()
                .map(|(i, (basis, level))| DecidedCase {
                    goal_id: i as i64,
                    goal: format!("Mål {i}"),
                    period: crate::period::Period::Year(2019),
                    decided: scale.levels[*level].clone(),
                    basis: *basis,
                })
                .collect();
            let c = calibrate(&scale, &rules, cases);
            prop_assert_eq!(c.compared + c.without_proposal, c.cases.len());
            prop_assert!(c.agreeing <= c.compared);
            prop_assert!(c.share().is_none_or(|s| (0.0..=1.0).contains(&s)));
        }
    }
}
