//! Rolls indicator statuses and commitment states up the goal tree into a proposal per goal.

use std::collections::HashMap;

use crate::assessment::{AssessmentRules, AssessmentScale, Basis, Proposal};
use crate::model::{Commitment, Id, IndicatorRecord};
use crate::period::Period;

/// The basis of each goal for a year-end assessment: its own indicators and commitments
/// plus those of every goal below it.
pub fn basis_by_goal(
    goals: &[(Id, Option<Id>)],
    indicators: &[IndicatorRecord],
    commitments: &[Commitment],
    period: Period,
) -> HashMap<Id, Basis> {
    let mut own: HashMap<Id, Basis> = goals
        .iter()
        .map(|(id, _)| (*id, Basis::default()))
        .collect();
    for record in indicators {
        if let Some(b) = own.get_mut(&record.indicator.goal_id) {
            b.add_status(record.evaluate(period).status);
        }
    }
    for c in commitments.iter().filter(|c| c.year == period.year()) {
        if let Some(b) = own.get_mut(&c.goal_id) {
            let finished = c
                .status_at_year_end(period.year())
                .is_some_and(|s| s.is_finished());
            b.add_commitment(finished);
        }
    }
    let parent: HashMap<Id, Option<Id>> = goals.iter().copied().collect();
    let mut total = own.clone();
    for (id, basis) in &own {
        let mut seen = 0;
        let mut cursor = parent.get(id).copied().flatten();
        while let Some(ancestor) = cursor {
            // A cycle cannot be stored, but never loop forever on bad data.
            seen += 1;
            if seen > goals.len() {
                break;
            }
            if let Some(t) = total.get_mut(&ancestor) {
                t.merge(basis);
            }
            cursor = parent.get(&ancestor).copied().flatten();
        }
    }
    total
}

/// The system's proposed assessment per goal.
pub fn proposals(
    scale: &AssessmentScale,
    rules: &AssessmentRules,
    basis: &HashMap<Id, Basis>,
) -> HashMap<Id, Option<Proposal>> {
    basis
        .iter()
        .map(|(id, b)| (*id, rules.propose(scale, *b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitment::CommitmentStatus;
    use crate::indicator::{Breakdown, Comparator, Direction, Outcome, Target};
    use crate::model::{Indicator, StatusEntry};

    fn indicator(id: Id, goal_id: Id, value: f64, target: f64) -> IndicatorRecord {
        IndicatorRecord {
            indicator: Indicator {
                id,
                key: format!("i{id}"),
                goal_id,
                name: format!("Mått {id}"),
                unit: "%".into(),
                direction: Direction::Higher,
                source: String::new(),
                kolada_kpi: String::new(),
                decimals: 0,
                frequency: crate::Frequency::Year,
                position: 0,
                margin_basis: None,
                trend_window: Default::default(),
            },
            outcomes: vec![Outcome {
                period: Period::Year(2019),
                breakdown: Breakdown::Total,
                value,
                margin: None,
                sample_size: None,
            }],
            milestones: vec![(
                2019,
                Target::Value {
                    comparator: Comparator::Ge,
                    value: target,
                },
            )],
            targets: vec![],
            comparisons: vec![],
            gaps: vec![],
            comments: vec![],
            kolada: false,
            settings: Default::default(),
        }
    }

    fn commitment(goal_id: Id, status: CommitmentStatus) -> Commitment {
        Commitment {
            id: 1,
            key: "c".into(),
            goal_id,
            title: "Strategi".into(),
            description: String::new(),
            year: 2019,
            carried_over_from: None,
            position: 0,
            statuses: vec![StatusEntry {
                id: 1,
                date: "2019-12-31".into(),
                status,
                comment: String::new(),
            }],
        }
    }

    #[test]
    fn parent_goal_counts_its_children() {
        // KF goal 1 with board goals 2 and 3.
        let goals = [(1, None), (2, Some(1)), (3, Some(1))];
        let indicators = [
            indicator(10, 2, 80.0, 70.0),
            indicator(11, 2, 60.0, 70.0),
            indicator(12, 3, 90.0, 70.0),
        ];
        let commitments = [commitment(3, CommitmentStatus::NotDoneThisYear)];
        let basis = basis_by_goal(&goals, &indicators, &commitments, Period::Year(2019));
        assert_eq!((basis[&2].achieved, basis[&2].not_achieved), (1, 1));
        assert_eq!(
            (basis[&3].achieved, basis[&3].commitments_unfinished),
            (1, 1)
        );
        assert_eq!(
            (
                basis[&1].achieved,
                basis[&1].not_achieved,
                basis[&1].commitments_unfinished
            ),
            (2, 1, 1)
        );
        let p = proposals(
            &AssessmentScale::huddinge(),
            &AssessmentRules::default(),
            &basis,
        );
        assert_eq!(p[&1].as_ref().unwrap().level, "Godtagbar", "2 of 4 items");
        assert_eq!(p[&3].as_ref().unwrap().level, "Godtagbar", "1 of 2 items");
    }

    #[test]
    fn commitments_of_other_years_do_not_count() {
        let goals = [(1, None)];
        let mut c = commitment(1, CommitmentStatus::NotDoneThisYear);
        c.year = 2018;
        let basis = basis_by_goal(&goals, &[], &[c], Period::Year(2019));
        assert_eq!(basis[&1], Basis::default());
    }
}
