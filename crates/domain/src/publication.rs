//! The one rule for what the public sees: **decided and locked**.
//!
//! A board's decision on a report is recorded as a [`PeriodLock`]. It covers the data of
//! the unit and of every unit below it for the decided period and for everything that
//! ended before it ([`Period::covered_by`]: a decided annual report shows earlier years
//! too). What a decision covers is
//! - **public**: a visitor who is not signed in sees it, and nothing else;
//! - **frozen**: the store refuses every change to it (outcomes, milestones, targets,
//!   direction, commitments and their status, assessments, analyses, comparison figures)
//!   until a controller reopens the period, which is logged.
//!
//! A board's decision on its plan for a year ([`PlanDecision`]) covers that year's
//! milestones, targets and commitments (not outcomes or statuses: those are the
//! follow-up) of the unit and the units below it, in the same two halves
//! ([`Decisions::plan_covering`]).
//!
//! Both halves ask [`Decisions::covering`], so what a visitor saw on a decided page cannot
//! change under them. [`Audience`] applies the rule to follow-up data before any page,
//! chart, API answer, export or report is built from it: views never write their own check.

use std::collections::HashMap;

use crate::model::{
    Analysis, Assessment, Commitment, Goal, Id, IndicatorRecord, PeriodLock, PeriodReview, Stage,
};
use crate::period::Period;
use crate::plan::PlanDecision;

/// Every recorded decision and the organisation tree they apply through.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    locks: Vec<PeriodLock>,
    parents: HashMap<Id, Option<Id>>,
    /// Per unit: the last day (day number) through which its data is decided.
    through: HashMap<Id, i64>,
    /// The boards' decisions on their plans (verksamhetsplaner): each covers its year's
    /// milestones, targets and commitments of the unit and the units below it.
    plans: Vec<PlanDecision>,
}

/// Units deeper than this are treated as cut off (the store refuses cycles; this only
/// bounds the walk if a corrupt tree ever gets through).
const MAX_DEPTH: usize = 64;

impl Decisions {
    /// `parents` maps every unit to its parent (`None` for a root).
    pub fn new(locks: Vec<PeriodLock>, parents: HashMap<Id, Option<Id>>) -> Decisions {
        let mut d = Decisions {
            locks,
            parents,
            through: HashMap::new(),
            plans: Vec::new(),
        };
        let through: HashMap<Id, i64> = d
            .parents
            .keys()
            .filter_map(|&org| {
                d.over(org)
                    .map(|l| l.period.last_day_number())
                    .max()
                    .map(|day| (org, day))
            })
            .collect();
        d.through = through;
        d
    }

    /// With the boards' decisions on their plans.
    pub fn with_plans(mut self, plans: Vec<PlanDecision>) -> Decisions {
        self.plans = plans;
        self
    }

    /// Every decision on a plan.
    pub fn plans(&self) -> &[PlanDecision] {
        &self.plans
    }

    /// The decision on a plan that covers `year`'s milestones, targets and commitments of
    /// `org_id`: the unit's own, or else the nearest unit's above it.
    pub fn plan_covering(&self, org_id: Id, year: i32) -> Option<&PlanDecision> {
        if self.plans.is_empty() {
            return None;
        }
        self.chain(org_id).into_iter().find_map(|unit| {
            self.plans
                .iter()
                .find(|p| p.org_id == unit && p.year == year)
        })
    }

    /// The decision on a plan that shows a long-term target of `target_year` of `org_id`
    /// (a plan shows the targets of its year and later): the earliest such plan of the
    /// unit or the units above it.
    pub fn plan_showing_target(&self, org_id: Id, target_year: i32) -> Option<&PlanDecision> {
        if self.plans.is_empty() {
            return None;
        }
        let chain = self.chain(org_id);
        self.plans
            .iter()
            .filter(|p| p.year <= target_year && chain.contains(&p.org_id))
            .min_by_key(|p| p.year)
    }

    /// Every decision.
    pub fn locks(&self) -> &[PeriodLock] {
        &self.locks
    }

    /// Whether no decision has been recorded at all.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// The unit itself, then its parent, up to the root.
    pub fn chain(&self, org_id: Id) -> Vec<Id> {
        let mut out = vec![org_id];
        let mut at = org_id;
        while let Some(Some(parent)) = self.parents.get(&at) {
            if out.contains(parent) || out.len() > MAX_DEPTH {
                break;
            }
            out.push(*parent);
            at = *parent;
        }
        out
    }

    /// The decisions that bind a unit: its own and those of the units above it.
    pub fn over(&self, org_id: Id) -> impl Iterator<Item = &PeriodLock> {
        let chain = self.chain(org_id);
        self.locks.iter().filter(move |l| chain.contains(&l.org_id))
    }

    /// The decision that covers data of `org_id` for `period`, if any: of several (KS's
    /// annual report 2019 and KF's of 2023 both cover KS's 2019 outcomes) the one on the
    /// earliest period, which is the decision that first made the data public.
    pub fn covering(&self, org_id: Id, period: Period) -> Option<&PeriodLock> {
        self.over(org_id)
            .filter(|l| period.covered_by(l.period))
            .min_by_key(|l| (l.period.last_day_number(), l.period.kind()))
    }

    /// Whether a decision covers data of `org_id` for `period`.
    pub fn covers(&self, org_id: Id, period: Period) -> bool {
        self.through
            .get(&org_id)
            .is_some_and(|&day| period.last_day_number() <= day)
    }

    /// Whether a decision covers a day (ISO date) of the unit, e.g. a commitment's status.
    pub fn covers_day(&self, org_id: Id, date: &str) -> bool {
        match (self.through.get(&org_id), day_of(date)) {
            (Some(&through), Some(day)) => day <= through,
            _ => false,
        }
    }

    /// The decision that covers a day (ISO date) of the unit, as [`Self::covering`].
    pub fn covering_day(&self, org_id: Id, date: &str) -> Option<&PeriodLock> {
        let day = day_of(date)?;
        self.over(org_id)
            .filter(|l| day <= l.period.last_day_number())
            .min_by_key(|l| (l.period.last_day_number(), l.period.kind()))
    }

    /// The decided period to show the public for a unit by default: the latest of the
    /// unit's own decisions, else the latest decision above it.
    pub fn default_period(&self, org_id: Id) -> Option<Period> {
        let own = self
            .locks
            .iter()
            .filter(|l| l.org_id == org_id)
            .map(|l| l.period)
            .max_by_key(|p| p.last_day_number());
        own.or_else(|| {
            self.over(org_id)
                .map(|l| l.period)
                .max_by_key(|p| p.last_day_number())
        })
    }
}

/// The day number of an ISO date (or of the date part of a timestamp).
fn day_of(date: &str) -> Option<i64> {
    crate::date::day_number(date.get(..10).unwrap_or(date))
}

/// Who data is shown to: the public sees only what [`Decisions`] cover and was decided;
/// a signed-in person sees the working material as well.
#[derive(Debug, Clone)]
pub enum Audience {
    SignedIn,
    Public(Decisions),
}

impl Audience {
    pub fn is_public(&self) -> bool {
        matches!(self, Audience::Public(_))
    }

    /// The period a view of `org_id` starts from when none is asked for, given the unit's
    /// current period (`crate::current_period`): anyone signed in starts from it; the
    /// public from it only if a decision covers it, else from the latest decided period
    /// (none: nothing of the unit is public).
    pub fn default_period(&self, org_id: Id, current: Option<Period>) -> Option<Period> {
        match self {
            Audience::SignedIn => current,
            Audience::Public(d) => current
                .filter(|p| d.covers(org_id, *p))
                .or_else(|| d.default_period(org_id)),
        }
    }

    /// Whether data of `org_id` for `period` may be shown.
    pub fn sees(&self, org_id: Id, period: Period) -> bool {
        match self {
            Audience::SignedIn => true,
            Audience::Public(d) => d.covers(org_id, period),
        }
    }

    /// Whether a board's economy of a year (budget, outcome, investments, equity) may be
    /// shown: the public sees it once a decision covers the year (the decided annual
    /// account or delårsrapport), never a year still being worked on.
    pub fn sees_economy(&self, board: Id, year: i32) -> bool {
        self.sees(board, Period::Year(year))
    }

    /// Whether an assessment may be shown: the public sees decided assessments of decided
    /// periods only, never a proposal.
    pub fn sees_assessment(&self, a: &Assessment) -> bool {
        match self {
            Audience::SignedIn => true,
            Audience::Public(d) => a.stage == Stage::Decided && d.covers(a.org_id, a.period),
        }
    }

    /// An indicator's data as the audience may see it (`org_id` owns its goal). For the
    /// public only what decided periods hold: outcomes, milestones, comparisons, gap
    /// judgements and comments of covered periods, milestones of decided plans; targets
    /// only beside decided data (a decision freezes them, see the module docs).
    pub fn indicator(&self, org_id: Id, mut record: IndicatorRecord) -> IndicatorRecord {
        let Audience::Public(d) = self else {
            return record;
        };
        let sees = |p: Period| d.covers(org_id, p);
        record.outcomes.retain(|o| sees(o.period));
        record
            .milestones
            .retain(|(y, _)| sees(Period::Year(*y)) || d.plan_covering(org_id, *y).is_some());
        record.comparisons.retain(|c| sees(c.period));
        record.gaps.retain(|g| sees(g.period));
        record.comments.retain(|c| sees(c.period));
        if record.outcomes.is_empty() && record.milestones.is_empty() {
            record.targets.clear();
        }
        record
    }

    /// Whether the public may see an indicator at all: it holds decided data.
    pub fn sees_indicator(&self, record: &IndicatorRecord) -> bool {
        match self {
            Audience::SignedIn => true,
            Audience::Public(_) => !record.outcomes.is_empty() || !record.milestones.is_empty(),
        }
    }

    /// A commitment as the audience may see it: for the public only commitments of
    /// decided years or of a decided plan, with the statuses dated within what is decided
    /// (a plan decides what is to be done, not how it went).
    pub fn commitment(&self, org_id: Id, mut c: Commitment) -> Option<Commitment> {
        let Audience::Public(d) = self else {
            return Some(c);
        };
        let planned = d.plan_covering(org_id, c.year).is_some();
        if !planned && !d.covers(org_id, Period::Year(c.year)) {
            return None;
        }
        c.statuses.retain(|s| d.covers_day(org_id, &s.date));
        Some(c)
    }

    /// Whether a situation report's levels may be shown: the public sees them only where
    /// the municipality marked the report public (`situation::visible_levels`).
    pub fn sees_situation_levels(&self, r: &crate::situation::SituationReport) -> bool {
        crate::situation::visible_levels(r, !self.is_public())
    }

    /// The same from a report's public mark (an area's level history).
    pub fn sees_levels_marked(&self, marked_public: bool) -> bool {
        crate::situation::levels_visible(marked_public, !self.is_public())
    }

    pub fn sees_analysis(&self, org_id: Id, a: &Analysis) -> bool {
        self.sees(org_id, a.period)
    }

    pub fn sees_review(&self, r: &PeriodReview) -> bool {
        self.sees(r.org_id, r.period)
    }

    /// Whether the public may see a goal: it (or a goal below it) holds something decided.
    /// `has_decided_content` is what the caller found for the goal's own data (decided
    /// assessments, visible indicators or commitments); goals never have a period of
    /// their own, so a goal written after a decision stays out of its pages until it
    /// holds decided data.
    pub fn sees_goal(&self, _goal: &Goal, has_decided_content: bool) -> bool {
        match self {
            Audience::SignedIn => true,
            Audience::Public(_) => has_decided_content,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{Breakdown, Direction, Outcome, Target};
    use crate::model::{Indicator, StatusEntry};
    use crate::CommitmentStatus;

    const KF: Id = 1;
    const KS: Id = 2;
    const KSF: Id = 3;
    const FSN: Id = 4;

    fn lock(org_id: Id, period: &str) -> PeriodLock {
        PeriodLock {
            org_id,
            period: Period::parse(period).unwrap(),
            body: "Kommunstyrelsen".into(),
            decided_on: String::new(),
            paragraph: String::new(),
            diary_number: String::new(),
            locked_by: "controller".into(),
            locked_at: "2020-03-01T10:00:00Z".into(),
        }
    }

    fn tree() -> HashMap<Id, Option<Id>> {
        HashMap::from([(KF, None), (KS, Some(KF)), (KSF, Some(KS)), (FSN, Some(KF))])
    }

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn a_decision_covers_the_unit_below_it_and_earlier_periods() {
        let d = Decisions::new(vec![lock(KS, "2019")], tree());
        assert!(d.covers(KS, p("2019")));
        assert!(d.covers(KSF, p("2019T2")), "a unit below KS");
        assert!(
            d.covers(KS, p("2017")),
            "history shown in the decided report"
        );
        assert!(!d.covers(KS, p("2020")));
        assert!(!d.covers(FSN, p("2019")), "another board");
        assert!(!d.covers(KF, p("2019")), "the unit above");
        assert!(d.covers_day(KS, "2019-12-31"));
        assert!(!d.covers_day(KS, "2020-01-01"));
        assert!(!d.covers_day(KS, "not a date"));
    }

    #[test]
    fn the_first_decision_covering_data_is_the_one_named() {
        let d = Decisions::new(vec![lock(KF, "2023"), lock(KS, "2019")], tree());
        assert_eq!(d.covering(KS, p("2019")).unwrap().org_id, KS);
        assert_eq!(d.covering(KS, p("2021")).unwrap().org_id, KF);
        assert_eq!(d.covering(KS, p("2024")), None);
        assert_eq!(d.default_period(KS), Some(p("2019")), "KS's own decision");
        assert_eq!(d.default_period(FSN), Some(p("2023")), "through KF");
    }

    #[test]
    fn a_tertial_decision_does_not_publish_the_full_year() {
        let d = Decisions::new(vec![lock(KS, "2019T2")], tree());
        assert!(d.covers(KS, p("2019T1")));
        assert!(d.covers(KS, p("2019-08")));
        assert!(!d.covers(KS, p("2019")));
        assert!(!d.covers(KS, p("2019T3")));
    }

    fn assessment(stage: Stage, period: &str) -> Assessment {
        Assessment {
            id: 1,
            org_id: KS,
            goal_id: Some(10),
            period: p(period),
            stage,
            level: "God".into(),
            motivation: "m".into(),
            author: "a".into(),
            date: String::new(),
        }
    }

    #[test]
    fn the_public_sees_decided_assessments_of_decided_periods_only() {
        let public = Audience::Public(Decisions::new(vec![lock(KS, "2019")], tree()));
        assert!(public.sees_assessment(&assessment(Stage::Decided, "2019")));
        assert!(!public.sees_assessment(&assessment(Stage::Proposed, "2019")));
        assert!(!public.sees_assessment(&assessment(Stage::Decided, "2020")));
        assert!(!public.sees_assessment(&assessment(Stage::Proposed, "2020")));
        assert!(Audience::SignedIn.sees_assessment(&assessment(Stage::Proposed, "2020")));
    }

    fn record() -> IndicatorRecord {
        let outcome = |period: &str, value: f64| Outcome {
            period: p(period),
            breakdown: Breakdown::Total,
            value,
            margin: None,
            sample_size: None,
        };
        IndicatorRecord {
            indicator: Indicator {
                id: 5,
                key: "k".into(),
                goal_id: 10,
                name: "Färdigställda bostäder".into(),
                unit: "antal".into(),
                direction: Direction::Higher,
                source: String::new(),
                kolada_kpi: String::new(),
                decimals: 0,
                frequency: crate::Frequency::Year,
                position: 0,
                margin_basis: None,
                trend_window: Default::default(),
            },
            outcomes: vec![
                outcome("2018", 997.0),
                outcome("2019", 853.0),
                outcome("2020", 1200.0),
            ],
            milestones: vec![
                (2019, Target::parse("≥850").unwrap()),
                (2020, Target::parse("≥900").unwrap()),
            ],
            targets: vec![(2030, Target::parse("≥1000").unwrap())],
            comparisons: vec![],
            gaps: vec![],
            comments: vec![],
            kolada: false,
            settings: Default::default(),
        }
    }

    #[test]
    fn the_public_sees_an_indicator_as_decided() {
        let public = Audience::Public(Decisions::new(vec![lock(KS, "2019")], tree()));
        let r = public.indicator(KS, record());
        assert_eq!(r.outcomes.len(), 2, "2018 and 2019, not 2020");
        assert_eq!(r.milestones.len(), 1);
        assert_eq!(r.targets.len(), 1);
        assert!(public.sees_indicator(&r));
        let other_board = public.indicator(FSN, record());
        assert!(!public.sees_indicator(&other_board));
        assert!(
            other_board.targets.is_empty(),
            "no target without decided data"
        );
        assert_eq!(Audience::SignedIn.indicator(FSN, record()), record());
    }

    #[test]
    fn the_public_sees_commitments_of_decided_years_with_their_statuses_then() {
        let public = Audience::Public(Decisions::new(vec![lock(KS, "2019")], tree()));
        let status = |date: &str, status| StatusEntry {
            id: 1,
            date: date.into(),
            status,
            comment: String::new(),
        };
        let c = Commitment {
            id: 1,
            key: "c".into(),
            goal_id: 10,
            title: "Åtagande".into(),
            description: String::new(),
            year: 2019,
            carried_over_from: None,
            position: 0,
            statuses: vec![
                status("2019-12-31", CommitmentStatus::NotDoneThisYear),
                status("2020-02-01", CommitmentStatus::Done),
            ],
        };
        let seen = public.commitment(KS, c.clone()).unwrap();
        assert_eq!(seen.statuses.len(), 1, "the 2020 status is not decided");
        let later = Commitment { year: 2020, ..c };
        assert!(public.commitment(KS, later).is_none());
    }

    fn plan(org_id: Id, year: i32) -> PlanDecision {
        PlanDecision {
            org_id,
            year,
            body: "Kommunstyrelsen".into(),
            decided_on: "2019-12-09".into(),
            paragraph: "§ 200".into(),
            diary_number: String::new(),
            decided_by: "controller".into(),
            decided_at: "2019-12-10T10:00:00Z".into(),
        }
    }

    #[test]
    fn a_decided_plan_publishes_its_years_milestones_and_commitments_not_outcomes() {
        let d = Decisions::new(vec![lock(KS, "2019")], tree()).with_plans(vec![plan(KS, 2020)]);
        assert_eq!(
            d.plan_covering(KSF, 2020).unwrap().org_id,
            KS,
            "a unit below"
        );
        assert!(d.plan_covering(KS, 2021).is_none());
        assert!(d.plan_covering(FSN, 2020).is_none(), "another board");
        assert!(d.plan_covering(KF, 2020).is_none(), "the unit above");
        assert_eq!(d.plan_showing_target(KSF, 2030).unwrap().year, 2020);
        assert!(d.plan_showing_target(KS, 2019).is_none(), "before the plan");
        assert!(
            !d.covers(KS, p("2020")),
            "a plan does not decide the follow-up"
        );
        let public = Audience::Public(d);
        let r = public.indicator(KS, record());
        assert_eq!(r.outcomes.len(), 2, "2018 and 2019, not 2020");
        assert_eq!(
            r.milestones.iter().map(|(y, _)| *y).collect::<Vec<_>>(),
            vec![2019, 2020]
        );
        let c = Commitment {
            id: 1,
            key: "c".into(),
            goal_id: 10,
            title: "Åtagande".into(),
            description: String::new(),
            year: 2020,
            carried_over_from: None,
            position: 0,
            statuses: vec![StatusEntry {
                id: 1,
                date: "2020-06-30".into(),
                status: CommitmentStatus::InProgress,
                comment: String::new(),
            }],
        };
        let seen = public
            .commitment(KS, c.clone())
            .expect("the decided plan's");
        assert!(
            seen.statuses.is_empty(),
            "the 2020 follow-up is not decided"
        );
        assert!(public.commitment(FSN, c).is_none());
    }
}
