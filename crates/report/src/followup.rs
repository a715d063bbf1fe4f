//! The follow-up as pages, the API and reports show it: data from the store, evaluated by
//! the domain, shaped for display. One place, so that a page and a report never disagree.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use uppsikt_domain::assessment::Basis;
use uppsikt_domain::evaluation::{Evaluation, EvaluationSettings};
use uppsikt_domain::model::{
    Assessment, Commitment, Goal, Id, IndicatorRecord, OrgUnit, PeriodReview, Stage,
};
use uppsikt_domain::number::format_sv;
use uppsikt_domain::publication::Audience;
use uppsikt_domain::rollup::basis_by_goal;
use uppsikt_domain::{AssessmentRules, AssessmentScale, Breakdown, Period, Proposal, Status};
use uppsikt_store::{Scope, Store};

use uppsikt_store::Result;

/// A value with its unit, the Swedish way: `70 %`, `88,7`, `13,4 mnkr`. Shown with the
/// indicator's decimals, or more when the value has them (up to three), so that a typed
/// 66,5 is never displayed as 67.
pub fn format_value(value: f64, decimals: u8, unit: &str) -> String {
    let shown = (decimals..=decimals.max(3))
        .find(|d| {
            let scale = 10f64.powi(i32::from(*d));
            ((value * scale).round() / scale - value).abs() < 1e-9
        })
        .unwrap_or(decimals.max(3));
    with_unit(format_sv(value, shown), unit)
}

/// A derived figure (a group's average) with its unit, rounded to the indicator's decimals
/// as the annual report prints it: the mean of 19,87, 19,35 and 20,35 is shown as 19,86.
pub fn format_rounded(value: f64, decimals: u8, unit: &str) -> String {
    with_unit(format_sv(value, decimals), unit)
}

fn with_unit(n: String, unit: &str) -> String {
    match unit.trim() {
        "%" => format!("{n}\u{a0}%"),
        "" | "index" | "antal" | "st" => n,
        u => format!("{n}\u{a0}{u}"),
    }
}

/// The decided and proposed assessments of one goal (or a unit overall) for a period, and
/// the system's own proposal with what it rests on.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentView {
    pub decided: Option<Assessment>,
    pub proposed: Option<Assessment>,
    pub system: Option<Proposal>,
    pub basis: Basis,
    /// Position on the scale of each level, for badge styling (0 = best).
    #[serde(skip)]
    pub scale_len: usize,
    #[serde(skip)]
    pub decided_position: Option<usize>,
    #[serde(skip)]
    pub proposed_position: Option<usize>,
}

impl AssessmentView {
    fn new(
        scale: &AssessmentScale,
        assessments: &[&Assessment],
        system: Option<Proposal>,
        basis: Basis,
    ) -> AssessmentView {
        let pick = |stage: Stage| {
            assessments
                .iter()
                .rev()
                .find(|a| a.stage == stage)
                .map(|a| (*a).clone())
        };
        let decided = pick(Stage::Decided);
        let proposed = pick(Stage::Proposed);
        AssessmentView {
            decided_position: decided.as_ref().and_then(|a| scale.position(&a.level)),
            proposed_position: proposed.as_ref().and_then(|a| scale.position(&a.level)),
            decided,
            proposed,
            system,
            basis,
            scale_len: scale.levels.len(),
        }
    }

    /// CSS class for a level's badge: `level-0` best … `level-3` worst on a 4-level scale,
    /// spread evenly on other scales.
    pub fn badge_class(&self, position: Option<usize>) -> String {
        match position {
            None => "level-none".into(),
            Some(p) if self.scale_len <= 1 => format!("level-{p}"),
            Some(p) => format!(
                "level-{}",
                (p * 3 + (self.scale_len - 2)) / (self.scale_len - 1)
            ),
        }
    }

    pub fn decided_class(&self) -> String {
        self.badge_class(self.decided_position)
    }

    pub fn proposed_class(&self) -> String {
        self.badge_class(self.proposed_position)
    }

    pub fn system_class(&self) -> String {
        self.badge_class(self.system.as_ref().map(|p| p.position))
    }

    pub fn system_level(&self) -> String {
        self.system
            .as_ref()
            .map(|p| p.level.clone())
            .unwrap_or_else(|| "Underlag saknas".into())
    }

    pub fn system_share(&self) -> String {
        self.system
            .as_ref()
            .map(|p| format!("{}\u{a0}%", format_sv(p.share * 100.0, 0)))
            .unwrap_or_default()
    }

    /// Whether the decided level differs from the system's proposal.
    pub fn differs(&self) -> bool {
        match (&self.decided, &self.system) {
            (Some(d), Some(s)) => self.decided_position != Some(s.position) || d.level.is_empty(),
            _ => false,
        }
    }
}

/// One goal in a list, with its assessments.
#[derive(Debug, Clone, Serialize)]
pub struct GoalSummary {
    pub goal: Goal,
    pub depth: usize,
    pub assessment: AssessmentView,
    pub indicators: usize,
    pub commitments: usize,
}

/// A group of a unit's goals under the goal above them (a KF goal for a board).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub parent: Option<GoalSummary>,
    pub goals: Vec<GoalSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoardView {
    pub org: OrgUnit,
    pub period: Period,
    pub periods: Vec<Period>,
    pub overall: AssessmentView,
    pub sections: Vec<Section>,
    pub scale: AssessmentScale,
    /// The period's events and improvement areas, if the unit has written them.
    pub review: Option<PeriodReview>,
}

impl BoardView {
    /// "KS:s", for "KS:s bedömning".
    pub fn org_genitive(&self) -> String {
        uppsikt_domain::messages::genitive(&self.org.short_name)
    }
}

/// The years a unit has data or assessments for, newest first.
fn years(assessments: &[Assessment], records: &[IndicatorRecord]) -> Vec<Period> {
    let mut years: BTreeSet<i32> = assessments.iter().map(|a| a.period.year()).collect();
    for r in records {
        years.extend(r.outcomes.iter().map(|o| o.period.year()));
        years.extend(r.milestones.iter().map(|m| m.0));
    }
    years.into_iter().rev().map(Period::Year).collect()
}

/// The period a view of `org_id` starts from when none is asked for: the unit's current
/// period (`Store::current_period`: a controller's choice, else the latest decided) as
/// `audience` may see it (`Audience::default_period`). The one place a default period is
/// picked: pages, the API, forms and reports all come here (`None`: nothing chosen and
/// nothing decided, or for the public nothing decided).
pub async fn start_period(
    store: &Store,
    org_id: Id,
    audience: &Audience,
) -> Result<Option<Period>> {
    let current = store.current_period(org_id).await?.map(|c| c.period);
    Ok(audience.default_period(org_id, current))
}

/// The period a view shows and the unit's start period: as asked, else the start period,
/// or with nothing chosen and nothing decided (a new installation) the latest year with an
/// assessment, else with data.
async fn period_or_start(
    store: &Store,
    org_id: Id,
    audience: &Audience,
    requested: Option<Period>,
    assessments: &[Assessment],
    records: &[IndicatorRecord],
) -> Result<(Period, Option<Period>)> {
    let start = start_period(store, org_id, audience).await?;
    let shown = requested
        .or(start)
        .unwrap_or_else(|| latest_with_data(assessments, records));
    Ok((shown, start))
}

/// The periods a view offers: those with data (`periods`, newest first), the one shown and
/// the unit's start period.
fn offered(mut periods: Vec<Period>, shown: Period, start: Option<Period>) -> Vec<Period> {
    for p in std::iter::once(shown).chain(start) {
        if !periods.contains(&p) {
            periods.push(p);
        }
    }
    periods.sort_by(|a, b| b.cmp(a));
    periods
}

/// The latest year with an assessment, else with data.
fn latest_with_data(assessments: &[Assessment], records: &[IndicatorRecord]) -> Period {
    assessments
        .iter()
        .map(|a| a.period)
        .filter(|p| matches!(p, Period::Year(_)))
        .max()
        .or_else(|| years(&[], records).into_iter().next())
        .unwrap_or(Period::Year(2019))
}

fn assessments_for(
    all: &[Assessment],
    org_id: Id,
    goal_id: Option<Id>,
    period: Period,
) -> Vec<&Assessment> {
    all.iter()
        .filter(|a| a.org_id == org_id && a.goal_id == goal_id && a.period == period)
        .collect()
}

/// The audience's view of indicators owned by the goals in `org_of_goal`.
fn visible_records(
    audience: &Audience,
    records: Vec<IndicatorRecord>,
    org_of_goal: &HashMap<Id, Id>,
) -> Vec<IndicatorRecord> {
    records
        .into_iter()
        .filter_map(|r| {
            let org = *org_of_goal.get(&r.indicator.goal_id)?;
            Some(audience.indicator(org, r)).filter(|r| audience.sees_indicator(r))
        })
        .collect()
}

/// The audience's view of commitments owned by the goals in `org_of_goal`.
fn visible_commitments(
    audience: &Audience,
    commitments: Vec<Commitment>,
    org_of_goal: &HashMap<Id, Id>,
) -> Vec<Commitment> {
    commitments
        .into_iter()
        .filter_map(|c| audience.commitment(*org_of_goal.get(&c.goal_id)?, c))
        .collect()
}

/// The goals among `goals` the audience may see: those holding something it sees (an
/// assessment, an indicator or a commitment), or with a goal below them that does.
fn visible_goals(
    audience: &Audience,
    goals: &[&Goal],
    assessments: &[Assessment],
    records: &[IndicatorRecord],
    commitments: &[Commitment],
) -> std::collections::HashSet<Id> {
    let mut seen: std::collections::HashSet<Id> = goals
        .iter()
        .filter(|g| {
            let holds = assessments.iter().any(|a| a.goal_id == Some(g.id))
                || records.iter().any(|r| r.indicator.goal_id == g.id)
                || commitments.iter().any(|c| c.goal_id == g.id);
            audience.sees_goal(g, holds)
        })
        .map(|g| g.id)
        .collect();
    // A goal above a visible goal is visible (the tree is at most a few levels deep).
    loop {
        let before = seen.len();
        for g in goals {
            if let Some(p) = g.parent_id.filter(|_| seen.contains(&g.id)) {
                seen.insert(p);
            }
        }
        if seen.len() == before {
            return seen;
        }
    }
}

/// The board page: a unit's goals grouped under the goals above them, each with decided,
/// proposed and system-proposed assessments for the period, as `audience` may see them.
pub async fn board(
    store: &Store,
    org_id: Id,
    period: Option<Period>,
    audience: &Audience,
) -> Result<BoardView> {
    board_with(store, org_id, period, audience, None).await
}

/// [`board`], with the indicators judged under `settings` instead of the stored ones when
/// given (trying other rules on the calibration page).
pub async fn board_with(
    store: &Store,
    org_id: Id,
    period: Option<Period>,
    audience: &Audience,
    settings: Option<EvaluationSettings>,
) -> Result<BoardView> {
    let org = store.org_unit(org_id).await?;
    let (scale, rules) = store.assessment_config().await?;
    let all_goals = store.goals().await?;
    let own_goal_org: HashMap<Id, Id> = all_goals
        .iter()
        .filter(|g| g.org_id == org_id)
        .map(|g| (g.id, g.org_id))
        .collect();
    let mut records = visible_records(
        audience,
        store.indicator_statuses(Scope::Org(org_id)).await?,
        &own_goal_org,
    );
    if let Some(settings) = settings {
        for r in &mut records {
            r.settings = settings;
        }
    }
    let commitments = visible_commitments(
        audience,
        store.commitments(Scope::Org(org_id)).await?,
        &own_goal_org,
    );
    let mut assessments = store.assessments_by_org(org_id).await?;
    assessments.retain(|a| audience.sees_assessment(a));
    let (period, start) =
        period_or_start(store, org_id, audience, period, &assessments, &records).await?;

    let by_id: HashMap<Id, &Goal> = all_goals.iter().map(|g| (g.id, g)).collect();
    let own: Vec<&Goal> = all_goals.iter().filter(|g| g.org_id == org_id).collect();
    let shown = visible_goals(audience, &own, &assessments, &records, &commitments);
    let own: Vec<&Goal> = own.into_iter().filter(|g| shown.contains(&g.id)).collect();
    // The unit's goals and the goals directly above them, for the roll-up.
    let mut tree: Vec<(Id, Option<Id>)> = own.iter().map(|g| (g.id, g.parent_id)).collect();
    let outside_parents: Vec<Id> = own
        .iter()
        .filter_map(|g| g.parent_id)
        .filter(|p| by_id.get(p).is_some_and(|pg| pg.org_id != org_id))
        .fold(Vec::new(), |mut acc, p| {
            if !acc.contains(&p) {
                acc.push(p);
            }
            acc
        });
    tree.extend(outside_parents.iter().map(|p| (*p, None)));
    let basis = basis_by_goal(&tree, &records, &commitments, period);
    let summary = |goal: &Goal, depth: usize| -> GoalSummary {
        let b = basis.get(&goal.id).copied().unwrap_or_default();
        GoalSummary {
            goal: goal.clone(),
            depth,
            assessment: AssessmentView::new(
                &scale,
                &assessments_for(&assessments, org_id, Some(goal.id), period),
                rules.propose(&scale, b),
                b,
            ),
            indicators: records
                .iter()
                .filter(|r| r.indicator.goal_id == goal.id)
                .count(),
            commitments: commitments
                .iter()
                .filter(|c| c.goal_id == goal.id && c.year == period.year())
                .count(),
        }
    };
    let mut sections: Vec<Section> = Vec::new();
    let mut ordered_parents: Vec<Option<Id>> = outside_parents.iter().map(|p| Some(*p)).collect();
    ordered_parents.sort_by_key(|p| p.and_then(|id| by_id.get(&id).map(|g| (g.position, g.id))));
    if own.iter().any(|g| g.parent_id.is_none()) {
        ordered_parents.push(None);
    }
    for parent in ordered_parents {
        let roots: Vec<&Goal> = own
            .iter()
            .copied()
            .filter(|g| match parent {
                Some(p) => g.parent_id == Some(p),
                None => g.parent_id.is_none(),
            })
            .collect();
        let mut goals = Vec::new();
        for root in roots {
            push_subtree(root, 0, &own, &mut goals, &summary);
        }
        sections.push(Section {
            parent: parent.and_then(|p| by_id.get(&p)).map(|g| summary(g, 0)),
            goals,
        });
    }
    let overall_basis = own
        .iter()
        .filter(|g| {
            g.parent_id
                .is_none_or(|p| by_id.get(&p).is_some_and(|pg| pg.org_id != org_id))
        })
        .fold(Basis::default(), |mut acc, g| {
            if let Some(b) = basis.get(&g.id) {
                acc.merge(b);
            }
            acc
        });
    let overall = AssessmentView::new(
        &scale,
        &assessments_for(&assessments, org_id, None, period),
        rules.propose(&scale, overall_basis),
        overall_basis,
    );
    let periods = offered(years(&assessments, &records), period, start);
    let review = store
        .period_review(org_id, period)
        .await?
        .filter(|r| audience.sees_review(r));
    Ok(BoardView {
        org,
        period,
        periods,
        overall,
        sections,
        scale,
        review,
    })
}

fn push_subtree(
    goal: &Goal,
    depth: usize,
    own: &[&Goal],
    out: &mut Vec<GoalSummary>,
    summary: &impl Fn(&Goal, usize) -> GoalSummary,
) {
    out.push(summary(goal, depth));
    if depth > 20 {
        return;
    }
    for child in own.iter().filter(|g| g.parent_id == Some(goal.id)) {
        push_subtree(child, depth + 1, own, out, summary);
    }
}

/// One row of a goal's measures table, laid out as in the annual report.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureRow {
    pub id: Id,
    pub name: String,
    pub unit: String,
    pub source: String,
    /// Up to four latest total outcomes, newest first: (period, value).
    pub values: Vec<(String, String)>,
    pub trend: String,
    pub trend_code: String,
    pub milestone: String,
    pub targets: Vec<String>,
    pub status: Status,
    pub status_label: String,
    pub rankings: Vec<String>,
    pub gender: Vec<String>,
    pub areas: Vec<String>,
    pub gaps: Vec<String>,
    pub comment: String,
    /// Some figure comes from Kolada: the page or report must name the source.
    pub kolada: bool,
}

/// Where a measure's figures come from, as shown beside it: Kolada's data must name
/// Kolada (its terms of use), also where Kolada republishes another producer's figures.
pub fn source_label(source: &str, kolada: bool) -> String {
    let source = source.trim();
    if !kolada || source.contains("Kolada") && source.contains("RKA") {
        source.to_string()
    } else if source.is_empty() || source.eq_ignore_ascii_case("kolada") {
        "Kolada (RKA)".into()
    } else {
        format!("{source}, via Kolada (RKA)")
    }
}

pub fn measure_row(record: &IndicatorRecord, period: Period) -> MeasureRow {
    let ind = &record.indicator;
    let e: Evaluation = record.evaluate(period);
    let fmt = |v: f64| format_value(v, ind.decimals, &ind.unit);
    let mut totals: Vec<_> = record
        .outcomes
        .iter()
        .filter(|o| o.breakdown == Breakdown::Total && o.period.covered_by(period))
        .collect();
    totals.sort_by_key(|b| std::cmp::Reverse(b.period));
    let values = totals
        .iter()
        .take(4)
        .map(|o| (o.period.label_sv(), fmt(o.value)))
        .collect();
    let latest_comparison_period = record
        .comparisons
        .iter()
        .map(|c| c.period)
        .filter(|p| p.covered_by(period))
        .max_by_key(|p| p.last_day_number());
    let rankings = record
        .comparisons
        .iter()
        .filter(|c| Some(c.period) == latest_comparison_period)
        .map(|c| {
            let mut s = String::new();
            if let (Some(r), Some(n)) = (c.rank, c.of) {
                s.push_str(&format!("Ranking {}: {r}/{n}", c.period.label_sv()));
            }
            if let Some(avg) = c.average {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                s.push_str(&format!(
                    "snitt {}",
                    format_rounded(avg, ind.decimals, &ind.unit)
                ));
            }
            format!("{s} ({})", c.group)
        })
        .collect();
    let gender = e
        .gender_gap
        .as_ref()
        .map(|g| {
            let (w, m) = if g.children {
                ("Flickor", "Pojkar")
            } else {
                ("Kvinnor", "Män")
            };
            vec![
                format!("{w} {}: {}", g.period.label_sv(), fmt(g.women)),
                format!("{m} {}: {}", g.period.label_sv(), fmt(g.men)),
            ]
        })
        .unwrap_or_default();
    let areas = e
        .district_spread
        .as_ref()
        .map(|d| {
            vec![
                format!(
                    "Lägst {}: {} ({})",
                    d.period.label_sv(),
                    fmt(d.lowest),
                    d.lowest_area
                ),
                format!(
                    "Högst {}: {} ({})",
                    d.period.label_sv(),
                    fmt(d.highest),
                    d.highest_area
                ),
            ]
        })
        .unwrap_or_default();
    let latest_gap_period = record
        .gaps
        .iter()
        .map(|g| g.period)
        .filter(|p| p.covered_by(period))
        .max_by_key(|p| p.last_day_number());
    let gaps = record
        .gaps
        .iter()
        .filter(|g| Some(g.period) == latest_gap_period)
        .map(|g| {
            format!(
                "{}: {}",
                g.kind.label_sv(),
                if g.unjustified { "Ja" } else { "Nej" }
            )
        })
        .collect();
    MeasureRow {
        id: ind.id,
        name: ind.name.clone(),
        unit: ind.unit.clone(),
        source: source_label(&ind.source, record.kolada),
        values,
        trend: e
            .trend
            .map(|t| t.label_sv().to_string())
            .unwrap_or_else(|| "–".into()),
        trend_code: e
            .trend
            .map(|t| t.code().to_string())
            .unwrap_or_else(|| "none".into()),
        milestone: e
            .milestone
            .map(|t| format!("Etappmål {}: {}", period.year(), t.label_sv(ind.decimals)))
            .unwrap_or_default(),
        targets: record
            .targets
            .iter()
            .map(|(y, t)| format!("Målvärde {y}: {}", t.label_sv(ind.decimals)))
            .collect(),
        status: e.status,
        status_label: e.status.label_sv().to_string(),
        rankings,
        gender,
        areas,
        gaps,
        comment: record
            .comments
            .iter()
            .filter(|c| c.period.covered_by(period))
            .max_by_key(|c| c.period.last_day_number())
            .map(|c| c.text.clone())
            .unwrap_or_default(),
        kolada: record.kolada,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitmentRow {
    pub commitment: Commitment,
    pub status: String,
    pub status_code: String,
    pub comment: String,
    pub date: String,
}

pub fn commitment_row(c: &Commitment, period: Period) -> CommitmentRow {
    let end = format!("{:04}-12-31", period.year());
    let current = c
        .statuses
        .iter()
        .filter(|s| s.date <= end)
        .max_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
    CommitmentRow {
        commitment: c.clone(),
        status: current
            .map(|s| s.status.label_sv().to_string())
            .unwrap_or_else(|| "Ingen status".into()),
        status_code: current
            .map(|s| s.status.code().to_string())
            .unwrap_or_else(|| "none".into()),
        comment: current.map(|s| s.comment.clone()).unwrap_or_default(),
        date: current.map(|s| s.date.clone()).unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GoalView {
    pub goal: Goal,
    pub org: OrgUnit,
    pub parent: Option<(Goal, OrgUnit)>,
    pub period: Period,
    pub periods: Vec<Period>,
    pub priorities: Vec<String>,
    pub analysis: Option<String>,
    pub assessment: AssessmentView,
    /// Assessments of this goal by other units (e.g. KS assessing a KF goal), and all periods.
    pub history: Vec<(Assessment, String)>,
    pub children: Vec<GoalSummary>,
    pub measures: Vec<MeasureRow>,
    pub commitments: Vec<CommitmentRow>,
    pub scale: AssessmentScale,
    pub rules: AssessmentRules,
}

impl GoalView {
    /// Whether a measure shows Kolada's figures (then "Källa: Kolada (RKA)" is due).
    pub fn shows_kolada(&self) -> bool {
        self.measures.iter().any(|m| m.kolada)
    }
}

/// The goal page as `audience` may see it; a goal the public may not see is not found.
pub async fn goal(
    store: &Store,
    goal_id: Id,
    period: Option<Period>,
    audience: &Audience,
) -> Result<GoalView> {
    let goal = store.goal(goal_id).await?;
    let org = store.org_unit(goal.org_id).await?;
    let (scale, rules) = store.assessment_config().await?;
    let parent = match goal.parent_id {
        Some(p) => {
            let pg = store.goal(p).await?;
            let po = store.org_unit(pg.org_id).await?;
            Some((pg, po))
        }
        None => None,
    };
    let tree = store.goal_tree(goal_id).await?;
    let org_of_goal: HashMap<Id, Id> = tree.iter().map(|g| (g.id, g.org_id)).collect();
    let records = visible_records(
        audience,
        store.indicator_records(Scope::GoalTree(goal_id)).await?,
        &org_of_goal,
    );
    let commitments = visible_commitments(
        audience,
        store.commitments(Scope::GoalTree(goal_id)).await?,
        &org_of_goal,
    );
    let mut assessments = store.assessments_of_goal(goal_id).await?;
    assessments.retain(|a| audience.sees_assessment(a));
    let child_assessments = {
        let mut all = Vec::new();
        for g in tree.iter().filter(|g| g.parent_id == Some(goal_id)) {
            all.extend(store.assessments_of_goal(g.id).await?);
        }
        all.retain(|a| audience.sees_assessment(a));
        all
    };
    let tree_refs: Vec<&Goal> = tree.iter().collect();
    let child_assessed: Vec<Assessment> = assessments
        .iter()
        .chain(child_assessments.iter())
        .cloned()
        .collect();
    let shown = visible_goals(
        audience,
        &tree_refs,
        &child_assessed,
        &records,
        &commitments,
    );
    if !shown.contains(&goal_id) {
        return Err(uppsikt_store::StoreError::not_found("goal", goal_id));
    }
    let (period, start) =
        period_or_start(store, goal.org_id, audience, period, &assessments, &records).await?;
    let tree_ids: Vec<(Id, Option<Id>)> = tree
        .iter()
        .map(|g| (g.id, if g.id == goal_id { None } else { g.parent_id }))
        .collect();
    let basis = basis_by_goal(&tree_ids, &records, &commitments, period);
    let own_basis = basis.get(&goal_id).copied().unwrap_or_default();
    let own_assessments: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.period == period && a.org_id == goal.org_id)
        .collect();
    let assessment = AssessmentView::new(
        &scale,
        &own_assessments,
        rules.propose(&scale, own_basis),
        own_basis,
    );
    let units = store.org_units().await?;
    let unit_name = |id: Id| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.short_name.clone())
            .unwrap_or_default()
    };
    let mut history: Vec<(Assessment, String)> = assessments
        .iter()
        .map(|a| (a.clone(), unit_name(a.org_id)))
        .collect();
    history.sort_by(|a, b| b.0.period.cmp(&a.0.period).then(a.0.id.cmp(&b.0.id)));
    let children = tree
        .iter()
        .filter(|g| g.parent_id == Some(goal_id) && shown.contains(&g.id))
        .map(|g| {
            let b = basis.get(&g.id).copied().unwrap_or_default();
            let mine: Vec<&Assessment> = child_assessments
                .iter()
                .filter(|a| a.goal_id == Some(g.id) && a.period == period && a.org_id == g.org_id)
                .collect();
            GoalSummary {
                goal: g.clone(),
                depth: 0,
                assessment: AssessmentView::new(&scale, &mine, rules.propose(&scale, b), b),
                indicators: records
                    .iter()
                    .filter(|r| r.indicator.goal_id == g.id)
                    .count(),
                commitments: commitments
                    .iter()
                    .filter(|c| c.goal_id == g.id && c.year == period.year())
                    .count(),
            }
        })
        .collect();
    let own_records: Vec<&IndicatorRecord> = records
        .iter()
        .filter(|r| r.indicator.goal_id == goal_id)
        .collect();
    let measures = own_records.iter().map(|r| measure_row(r, period)).collect();
    let commitments = commitments
        .iter()
        .filter(|c| c.goal_id == goal_id && c.year <= period.year())
        .filter(|c| c.year == period.year() || c.statuses.iter().all(|s| !s.status.is_finished()))
        .map(|c| commitment_row(c, period))
        .collect();
    let mut analyses = store.analyses(goal_id).await?;
    analyses.retain(|a| audience.sees_analysis(goal.org_id, a));
    let mut periods = years(
        &assessments,
        &own_records.iter().map(|r| (*r).clone()).collect::<Vec<_>>(),
    );
    for a in &analyses {
        if !periods.contains(&Period::Year(a.period.year())) {
            periods.push(Period::Year(a.period.year()));
        }
    }
    let periods = offered(periods, period, start);
    Ok(GoalView {
        priorities: store.priorities(goal_id).await?,
        analysis: analyses
            .into_iter()
            .find(|a| a.period == period)
            .map(|a| a.text),
        goal,
        org,
        parent,
        period,
        periods,
        assessment,
        history,
        children,
        measures,
        commitments,
        scale,
        rules,
    })
}

/// Every goal, indicator and commitment as `audience` may see them, by the rules the
/// pages use (`visible_records`, `visible_commitments`, `visible_goals`): what a search
/// may list. Goals come in the store's order; indicators and commitments as the
/// audience's view of them.
pub struct Findable {
    pub goals: Vec<Goal>,
    pub records: Vec<IndicatorRecord>,
    pub commitments: Vec<Commitment>,
}

pub async fn findable(store: &Store, audience: &Audience) -> Result<Findable> {
    let goals = store.goals().await?;
    let org_of_goal: HashMap<Id, Id> = goals.iter().map(|g| (g.id, g.org_id)).collect();
    let records = visible_records(
        audience,
        store.indicator_records(Scope::All).await?,
        &org_of_goal,
    );
    let commitments =
        visible_commitments(audience, store.commitments(Scope::All).await?, &org_of_goal);
    let mut assessments = store.all_assessments().await?;
    assessments.retain(|a| audience.sees_assessment(a));
    let refs: Vec<&Goal> = goals.iter().collect();
    let seen = visible_goals(audience, &refs, &assessments, &records, &commitments);
    let goals = goals.into_iter().filter(|g| seen.contains(&g.id)).collect();
    Ok(Findable {
        goals,
        records,
        commitments,
    })
}

#[cfg(test)]
mod tests {
    use super::source_label;

    #[test]
    fn kolada_figures_always_name_kolada() {
        assert_eq!(source_label("SCB", false), "SCB");
        assert_eq!(source_label("SCB", true), "SCB, via Kolada (RKA)");
        assert_eq!(source_label("", true), "Kolada (RKA)");
        assert_eq!(source_label("Kolada", true), "Kolada (RKA)");
        assert_eq!(source_label("Kolada (RKA)", true), "Kolada (RKA)");
    }
}
