//! A unit's current period: the period its pages, forms and reports start from when none
//! is asked for.
//!
//! A controller may choose it per unit (the year the organisation works in, e.g. 2020
//! while the 2019 annual report is decided); a unit without a choice of its own takes the
//! nearest choice above it (its board's, its parent's); with no choice on the way to the
//! root it is the latest period decided for the unit ([`Decisions::default_period`]). So
//! one outcome entered for a later year does not move anyone's default view. What the
//! public is shown by default is [`crate::publication::Audience::default_period`]'s: a
//! decided period only.

use std::collections::HashMap;

use crate::model::Id;
use crate::period::Period;
use crate::publication::Decisions;

/// Where a unit's current period comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Chosen for the unit itself.
    Chosen,
    /// Chosen for the unit above it named here (its board, its parent).
    Inherited(Id),
    /// Nobody chose: the latest period decided for the unit.
    LatestDecided,
}

/// A unit's current period and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentPeriod {
    pub period: Period,
    pub basis: Basis,
}

/// The current period of `org_id`: its own choice, else the nearest choice above it, else
/// the latest decided period; `None` when nothing is chosen or decided. `chosen` holds the
/// units' choices; `decisions` knows the unit tree.
pub fn current_period(
    chosen: &HashMap<Id, Period>,
    decisions: &Decisions,
    org_id: Id,
) -> Option<CurrentPeriod> {
    let from_choice = decisions.chain(org_id).into_iter().find_map(|unit| {
        chosen.get(&unit).map(|&period| CurrentPeriod {
            period,
            basis: if unit == org_id {
                Basis::Chosen
            } else {
                Basis::Inherited(unit)
            },
        })
    });
    from_choice.or_else(|| {
        decisions
            .default_period(org_id)
            .map(|period| CurrentPeriod {
                period,
                basis: Basis::LatestDecided,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PeriodLock;
    use crate::publication::Audience;

    const KF: Id = 1;
    const KS: Id = 2;
    const KSF: Id = 3;
    const FSN: Id = 4;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn decisions(locks: &[(Id, &str)]) -> Decisions {
        let locks = locks
            .iter()
            .map(|(org_id, period)| PeriodLock {
                org_id: *org_id,
                period: p(period),
                body: "Kommunstyrelsen".into(),
                decided_on: String::new(),
                paragraph: String::new(),
                diary_number: String::new(),
                locked_by: "controller".into(),
                locked_at: "2020-03-01T10:00:00Z".into(),
            })
            .collect();
        let tree = HashMap::from([(KF, None), (KS, Some(KF)), (KSF, Some(KS)), (FSN, Some(KF))]);
        Decisions::new(locks, tree)
    }

    /// The demo's decisions: KS's annual report 2019 and KF's report 2023.
    #[test]
    fn without_a_choice_the_current_period_is_the_latest_decided() {
        let d = decisions(&[(KS, "2019"), (KF, "2023")]);
        let none = HashMap::new();
        assert_eq!(
            current_period(&none, &d, KS),
            Some(CurrentPeriod {
                period: p("2019"),
                basis: Basis::LatestDecided
            }),
            "KS's own decision comes before KF's later one"
        );
        assert_eq!(current_period(&none, &d, FSN).unwrap().period, p("2023"));
        assert_eq!(current_period(&none, &decisions(&[]), KS), None);
    }

    #[test]
    fn a_unit_takes_its_own_choice_else_the_nearest_above() {
        let d = decisions(&[(KS, "2019")]);
        let chosen = HashMap::from([(KS, p("2020")), (KF, p("2023T2"))]);
        assert_eq!(
            current_period(&chosen, &d, KS),
            Some(CurrentPeriod {
                period: p("2020"),
                basis: Basis::Chosen
            })
        );
        assert_eq!(
            current_period(&chosen, &d, KSF),
            Some(CurrentPeriod {
                period: p("2020"),
                basis: Basis::Inherited(KS)
            }),
            "the förvaltning under KS takes KS's choice"
        );
        assert_eq!(
            current_period(&chosen, &d, FSN).unwrap().basis,
            Basis::Inherited(KF)
        );
    }

    /// The public's default is decided whatever is chosen: a chosen period the public may
    /// not see gives way to the latest decided one.
    #[test]
    fn the_public_starts_from_a_decided_period_only() {
        let d = decisions(&[(KS, "2019")]);
        let public = Audience::Public(d.clone());
        assert_eq!(public.default_period(KS, Some(p("2020"))), Some(p("2019")));
        assert_eq!(public.default_period(KS, Some(p("2018"))), Some(p("2018")));
        assert_eq!(public.default_period(FSN, Some(p("2020"))), None);
        assert_eq!(
            Audience::SignedIn.default_period(KS, Some(p("2020"))),
            Some(p("2020"))
        );
    }
}
