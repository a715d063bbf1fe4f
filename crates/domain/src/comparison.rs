//! Comparison groups (länssnitt, liknande kommuner, a custom list): where the municipality
//! ranks among the group's members for a year, and the group's average.
//!
//! The rules, as Kolada applies them:
//! - The **average** is the unweighted mean of the members that reported a value; members
//!   without a value are left out (missing is never zero). The municipality itself counts
//!   only if it is a member.
//! - The **rank** places the municipality among the members that reported a value, itself
//!   included (whether or not it is a member): 1 is best by the indicator's direction, ties
//!   share the better place ("1, 2, 2, 4"), and `of` is how many were ranked. There is no
//!   rank when the municipality has no value or the indicator has no better direction.

use serde::Serialize;

use crate::indicator::Direction;

/// One group's figures for one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// Place of the municipality, 1 = best.
    pub rank: Option<i64>,
    /// How many were ranked (members with a value, and the municipality).
    pub of: Option<i64>,
    /// Unweighted mean of the members' values.
    pub average: Option<f64>,
    /// Members that reported a value.
    pub reporting: usize,
    /// Members of the group.
    pub members: usize,
}

/// Values within this distance are equal (published figures carry few decimals).
const EPS: f64 = 1e-9;

/// The group's figures. `others` are the values of the members other than the
/// municipality, `None` where a member has no value; `ours` is the municipality's value and
/// `we_are_member` whether the municipality belongs to the group.
pub fn group_figures(
    ours: Option<f64>,
    others: &[Option<f64>],
    we_are_member: bool,
    direction: Direction,
) -> GroupFigures {
    let reported: Vec<f64> = others.iter().flatten().copied().collect();
    let mut members_values = reported.clone();
    if we_are_member {
        members_values.extend(ours);
    }
    let average = (!members_values.is_empty())
        .then(|| members_values.iter().sum::<f64>() / members_values.len() as f64);
    let (rank, of) = match (ours, direction) {
        (Some(v), Direction::Higher | Direction::Lower) => {
            let better = |other: f64| match direction {
                Direction::Higher => other > v + EPS,
                _ => other < v - EPS,
            };
            let ahead = reported.iter().filter(|&&o| better(o)).count();
            (Some(ahead as i64 + 1), Some(reported.len() as i64 + 1))
        }
        _ => (None, None),
    };
    GroupFigures {
        rank,
        of,
        average,
        reporting: members_values.len(),
        members: others.len() + usize::from(we_are_member),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn huddinge_tax_rate_ranks_among_the_county() {
        // Lower is better; 20 members below Huddinge's 19,87, 5 above.
        let mut others: Vec<Option<f64>> =
            (0..20).map(|i| Some(17.0 + f64::from(i) * 0.1)).collect();
        others.extend((0..5).map(|i| Some(19.9 + f64::from(i) * 0.1)));
        let f = group_figures(Some(19.87), &others, true, Direction::Lower);
        assert_eq!((f.rank, f.of), (Some(21), Some(26)));
        assert_eq!(f.reporting, 26);
        assert_eq!(f.members, 26);
    }

    #[test]
    fn missing_values_are_left_out_never_zero() {
        let f = group_figures(
            Some(10.0),
            &[Some(20.0), None, Some(30.0)],
            true,
            Direction::Higher,
        );
        assert_eq!(f.average, Some(20.0));
        assert_eq!((f.rank, f.of), (Some(3), Some(3)));
        assert_eq!((f.reporting, f.members), (3, 4));
        let none = group_figures(None, &[None, None], true, Direction::Higher);
        assert_eq!((none.rank, none.of, none.average), (None, None, None));
    }

    #[test]
    fn a_non_member_is_ranked_but_not_averaged() {
        let f = group_figures(
            Some(100.0),
            &[Some(10.0), Some(20.0)],
            false,
            Direction::Higher,
        );
        assert_eq!(f.average, Some(15.0));
        assert_eq!((f.rank, f.of), (Some(1), Some(3)));
    }

    #[test]
    fn ties_share_the_better_place_and_no_direction_gives_no_rank() {
        let f = group_figures(
            Some(5.0),
            &[Some(5.0), Some(7.0), Some(5.0)],
            true,
            Direction::Higher,
        );
        assert_eq!((f.rank, f.of), (Some(2), Some(4)));
        let f = group_figures(Some(5.0), &[Some(7.0)], true, Direction::None);
        assert_eq!((f.rank, f.of), (None, None));
        assert_eq!(f.average, Some(6.0));
    }

    fn values() -> impl Strategy<Value = Vec<Option<f64>>> {
        prop::collection::vec(
            prop::option::of((-1000i32..1000).prop_map(|v| f64::from(v) / 10.0)),
            0..40,
        )
    }

    proptest! {
        #[test]
        fn rank_is_within_the_ranked_and_one_is_best(ours in (-1000i32..1000).prop_map(|v| f64::from(v) / 10.0), others in values(), member in any::<bool>()) {
            let f = group_figures(Some(ours), &others, member, Direction::Higher);
            let (rank, of) = (f.rank.unwrap(), f.of.unwrap());
            prop_assert!(rank >= 1 && rank <= of);
            prop_assert_eq!(of as usize, others.iter().flatten().count() + 1);
            let best = others.iter().flatten().all(|&o| o <= ours + EPS);
            prop_assert_eq!(rank == 1, best);
        }

        #[test]
        fn reversing_the_direction_reverses_the_rank_without_ties(ours in -1000i32..1000, others in prop::collection::btree_set(-1000i32..1000, 0..30)) {
            prop_assume!(!others.contains(&ours));
            let others: Vec<Option<f64>> = others.into_iter().map(|v| Some(f64::from(v))).collect();
            let up = group_figures(Some(f64::from(ours)), &others, true, Direction::Higher);
            let down = group_figures(Some(f64::from(ours)), &others, true, Direction::Lower);
            prop_assert_eq!(up.rank.unwrap() + down.rank.unwrap(), up.of.unwrap() + 1);
        }

        #[test]
        fn average_lies_between_the_members_values(ours in prop::option::of(-1000i32..1000), others in values(), member in any::<bool>()) {
            let ours = ours.map(f64::from);
            let f = group_figures(ours, &others, member, Direction::Lower);
            let mut counted: Vec<f64> = others.iter().flatten().copied().collect();
            if member { counted.extend(ours); }
            match f.average {
                None => prop_assert!(counted.is_empty()),
                Some(a) => {
                    let min = counted.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = counted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    prop_assert!(a >= min - 1e-9 && a <= max + 1e-9);
                    prop_assert_eq!(f.reporting, counted.len());
                }
            }
        }
    }
}
