//! The decided cases the rules are calibrated against: every goal a board has decided a
//! level for, with the basis the rules propose from, exactly as the board page shows it
//! (the basis is built by [`followup::board`], not again here).

use std::collections::{BTreeSet, HashSet};

use uppsikt_domain::assessment::DecidedCase;
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::evaluation::EvaluationSettings;
use uppsikt_domain::model::{Id, OrgUnit, Stage};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::Period;
use uppsikt_store::{Result, Store};

use crate::followup;

/// One board's decided goals for one period.
#[derive(Debug, Clone)]
pub struct BoardCases {
    pub org: OrgUnit,
    pub period: Period,
    /// By goal title in Swedish order.
    pub cases: Vec<DecidedCase>,
}

/// The decided cases of `org` (a board), or of every unit with decided goal assessments:
/// boards by name in Swedish order, each board's periods newest first. With `settings`,
/// the indicators are judged under them instead of the stored ones (what the basis would
/// be under other rules).
pub async fn decided_cases(
    store: &Store,
    org: Option<Id>,
    settings: Option<EvaluationSettings>,
) -> Result<Vec<BoardCases>> {
    let assessments = match org {
        Some(id) => store.assessments_by_org(id).await?,
        None => store.all_assessments().await?,
    };
    let pairs: BTreeSet<(Id, Period)> = assessments
        .iter()
        .filter(|a| a.stage == Stage::Decided && a.goal_id.is_some())
        .map(|a| (a.org_id, a.period))
        .collect();
    let mut out = Vec::new();
    for (org_id, period) in pairs {
        let view = followup::board_with(store, org_id, Some(period), &Audience::SignedIn, settings)
            .await?;
        let mut seen = HashSet::new();
        let mut cases = Vec::new();
        let summaries = view
            .sections
            .iter()
            .flat_map(|s| s.parent.iter().chain(s.goals.iter()));
        for g in summaries {
            let Some(decided) = &g.assessment.decided else {
                continue;
            };
            if !seen.insert(g.goal.id) {
                continue;
            }
            cases.push(DecidedCase {
                goal_id: g.goal.id,
                goal: g.goal.title.clone(),
                period,
                decided: decided.level.clone(),
                basis: g.assessment.basis,
            });
        }
        if cases.is_empty() {
            continue;
        }
        cases.sort_by(|a, b| swedish_cmp(&a.goal, &b.goal).then(a.goal_id.cmp(&b.goal_id)));
        out.push(BoardCases {
            org: view.org,
            period,
            cases,
        });
    }
    out.sort_by(|a, b| {
        swedish_cmp(&a.org.name, &b.org.name)
            .then(a.org.id.cmp(&b.org.id))
            .then(b.period.cmp(&a.period))
    });
    Ok(out)
}
