//! The year starts with the plan (verksamhetsplan): a board's goals and indicators are
//! timeless and stay; what belongs to a year is the indicators' milestones (etappmål) and
//! the commitments (utvecklingsåtaganden). Rolling a board into the next year carries its
//! unfinished commitments over ([`to_carry_over`]); the board's decision on the plan
//! ([`PlanDecision`]) freezes that year's milestones, targets and commitments for the unit
//! and the units below it, and makes them public (`publication::Decisions::plan_covering`).

use std::collections::HashSet;

use serde::Serialize;

use crate::commitment::CommitmentStatus;
use crate::model::{Commitment, Id, PeriodLock};
use crate::period::Period;

/// A board's decision on its verksamhetsplan for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDecision {
    pub org_id: Id,
    pub year: i32,
    /// The deciding body, e.g. "Kommunstyrelsen".
    pub body: String,
    /// ISO date of the decision.
    pub decided_on: String,
    /// The minutes' paragraph, e.g. "§ 12".
    pub paragraph: String,
    /// diarienummer, e.g. "KS-2019/1234".
    pub diary_number: String,
    pub decided_by: String,
    /// RFC 3339, UTC.
    pub decided_at: String,
}

impl PlanDecision {
    /// The decision in the shape of a period decision, for the one way decisions are
    /// referred to (`messages::decision_reference`).
    pub fn as_reference(&self) -> PeriodLock {
        PeriodLock {
            org_id: self.org_id,
            period: Period::Year(self.year),
            body: self.body.clone(),
            decided_on: self.decided_on.clone(),
            paragraph: self.paragraph.clone(),
            diary_number: self.diary_number.clone(),
            locked_by: self.decided_by.clone(),
            locked_at: self.decided_at.clone(),
        }
    }
}

/// Whether a commitment of last year is carried into the next: it is not finished
/// ("Klart") or cancelled ("Avbrutet") by its latest status (a status recorded after the
/// year ended counts: a commitment finished in January is not carried).
pub fn is_unfinished(c: &Commitment) -> bool {
    !matches!(
        c.latest().map(|s| s.status),
        Some(CommitmentStatus::Done | CommitmentStatus::Cancelled)
    )
}

/// The commitments of `from_year` to carry into `from_year + 1`: unfinished and not yet
/// carried over (no commitment names them as `carried_over_from`), in their order.
/// Carrying is idempotent: once carried, a commitment is not carried again.
pub fn to_carry_over(commitments: &[Commitment], from_year: i32) -> Vec<&Commitment> {
    let carried: HashSet<Id> = commitments
        .iter()
        .filter_map(|c| c.carried_over_from)
        .collect();
    let mut out: Vec<&Commitment> = commitments
        .iter()
        .filter(|c| c.year == from_year && is_unfinished(c) && !carried.contains(&c.id))
        .collect();
    out.sort_by_key(|c| (c.goal_id, c.position, c.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StatusEntry;
    use proptest::prelude::*;

    fn commitment(id: Id, year: i32, status: Option<CommitmentStatus>) -> Commitment {
        Commitment {
            id,
            key: format!("c{id}"),
            goal_id: 1,
            title: format!("Åtagande {id}"),
            description: String::new(),
            year,
            carried_over_from: None,
            position: id,
            statuses: status
                .map(|status| StatusEntry {
                    id,
                    date: format!("{year}-12-31"),
                    status,
                    comment: String::new(),
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn unfinished_commitments_of_the_year_are_carried_once() {
        let mut list = vec![
            commitment(1, 2019, Some(CommitmentStatus::NotDoneThisYear)),
            commitment(2, 2019, Some(CommitmentStatus::Done)),
            commitment(3, 2019, Some(CommitmentStatus::InProgress)),
            commitment(4, 2019, None),
            commitment(5, 2019, Some(CommitmentStatus::Cancelled)),
            commitment(6, 2018, Some(CommitmentStatus::NotDoneThisYear)),
        ];
        let ids =
            |l: &[Commitment]| -> Vec<Id> { to_carry_over(l, 2019).iter().map(|c| c.id).collect() };
        assert_eq!(ids(&list), vec![1, 3, 4]);
        list.push(Commitment {
            carried_over_from: Some(1),
            ..commitment(7, 2020, None)
        });
        assert_eq!(ids(&list), vec![3, 4], "1 is carried already");
    }

    #[test]
    fn a_commitment_finished_after_the_year_is_not_carried() {
        let mut c = commitment(1, 2019, Some(CommitmentStatus::NotDoneThisYear));
        c.statuses.push(StatusEntry {
            id: 9,
            date: "2020-01-20".into(),
            status: CommitmentStatus::Done,
            comment: String::new(),
        });
        assert!(!is_unfinished(&c));
    }

    proptest! {
        /// Carrying what `to_carry_over` names and asking again names nothing, and never
        /// names a finished commitment or one of another year.
        #[test]
        fn carrying_over_is_idempotent(statuses in proptest::collection::vec(0usize..5, 0..12)) {
            let mut list: Vec<Commitment> = statuses
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let status = [None, Some(CommitmentStatus::Done), Some(CommitmentStatus::NotDoneThisYear),
                        Some(CommitmentStatus::InProgress), Some(CommitmentStatus::Cancelled)][*s];
                    commitment(i as Id + 1, 2019 + (i % 2) as i32, status)
                })
                .collect();
            let first: Vec<Id> = to_carry_over(&list, 2019).iter().map(|c| c.id).collect();
            for c in to_carry_over(&list, 2019) {
                prop_assert_eq!(c.year, 2019);
                prop_assert!(is_unfinished(c));
            }
            let next = list.len() as Id + 1;
            for (n, id) in first.iter().enumerate() {
                list.push(Commitment { carried_over_from: Some(*id), ..commitment(next + n as Id, 2020, None) });
            }
            prop_assert!(to_carry_over(&list, 2019).is_empty());
        }
    }
}
