//! Writing a validated [`DataSet`] in one transaction: references resolved first, then
//! the Kolada settings, comparison groups, org units, vision, areas, goals, indicators (with
//! their comparison groups), commitments, assessments, period reviews, internal-control
//! plans and audits, in that order; decisions last.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use uppsikt_domain::kolada::MunicipalityId;
use uppsikt_domain::messages::{self, Referent};
use uppsikt_domain::model::{Id, PeriodLock, PeriodReview};
use uppsikt_domain::AssessmentScale;
use uppsikt_store::{
    AssessmentInput, ChangeSource, CommitmentInput, ComparisonGroupInput, GoalInput,
    IndicatorInput, KoladaSettings, OrgUnitInput, Store, StoreError, Writer, KOLADA_API,
};

use crate::data::*;
use crate::report::{ImportReport, Origin};
use crate::resolve::{self, parents_first, Existing};

/// How many objects of each kind the files held (and were written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub org_units: usize,
    pub goals: usize,
    pub indicators: usize,
    pub outcomes: usize,
    pub milestones: usize,
    pub commitments: usize,
    pub assessments: usize,
    pub period_reviews: usize,
    pub decisions: usize,
    /// Internal-control plans (`[[control_plans]]`).
    pub control_plans: usize,
    /// Audits (`[[audits]]`).
    pub audits: usize,
    /// Areas listed (`[[areas]]`).
    pub areas: usize,
    pub situation_reports: usize,
    pub forums: usize,
    pub agreements: usize,
    pub statutes: usize,
    /// The statutes' duties.
    pub obligations: usize,
    /// The economy sections (`[[budget_lines]]`, `[[investments]]`, `[[grants]]` …).
    pub economy: crate::economy::EconomySummary,
    /// What the user should look at although it was loaded: typed totals that disagree
    /// with their rows under the policy `flagga`, stray figures on heading rows.
    pub warnings: Vec<crate::report::RowError>,
}

impl Summary {
    pub fn of(data: &DataSet) -> Summary {
        Summary {
            org_units: data.org_units.len(),
            goals: data.goals.len(),
            indicators: data.indicators.len(),
            outcomes: data.outcome_count(),
            milestones: data.milestone_count(),
            commitments: data.commitments.len(),
            assessments: data.assessments.len(),
            period_reviews: data.period_reviews.len(),
            decisions: data.decisions.len(),
            control_plans: data.control_plans.len(),
            audits: data.audits.len(),
            areas: data.areas.len(),
            situation_reports: data.situation_reports.len(),
            forums: data.forums.len(),
            agreements: data.agreements.len(),
            statutes: data.statutes.len(),
            obligations: data.statutes.iter().map(|s| s.obligations.len()).sum(),
            economy: crate::economy::EconomySummary::of(&data.economy),
            warnings: Vec::new(),
        }
    }
}

/// A database error while writing the row at `origin`.
pub(crate) fn db_error(origin: &Origin, e: &StoreError) -> ImportReport {
    let message = match e {
        StoreError::InternalControl(r) => messages::internal_control::refusal(r),
        StoreError::Audit(r) => messages::audit::refusal(r),
        StoreError::Area(r) => messages::area::refusal(r),
        StoreError::Economy(r) => messages::economy::refusal(r),
        StoreError::Locked(lock) => messages::period_locked(lock),
        StoreError::PlanDecided(plan) => messages::plan::plan_decided(plan),
        other => messages::import_database(&other.to_string()),
    };
    ImportReport::single(origin, message)
}

/// Attaches the row being written to a store error.
pub(crate) trait At<T> {
    fn at(self, origin: &Origin) -> Result<T, ImportReport>;
}

impl<T> At<T> for Result<T, StoreError> {
    fn at(self, origin: &Origin) -> Result<T, ImportReport> {
        self.map_err(|e| db_error(origin, &e))
    }
}

/// Writes `data` in one transaction as `actor`, every change logged with `source` (the
/// files' names, the demo); on any error nothing is written.
///
/// References and assessment levels are checked first, against the files and what the
/// database holds; then everything is written through one [`Writer`]. A database error
/// halfway rolls the whole transaction back and names the row being written.
pub async fn load(
    store: &Store,
    data: &DataSet,
    actor: &str,
    source: ChangeSource,
) -> Result<Summary, ImportReport> {
    let whole = Origin::new("", "");
    let (scale, _rules) = store.assessment_config().await.at(&whole)?;
    let mut existing = Existing::read(store).await.at(&whole)?;
    existing.safety = crate::area::StoredSafety::read(store, data)
        .await
        .at(&whole)?;
    let mut errors = resolve::check_references(data, &existing);
    let unit_known = |k: &Key| {
        existing.org_units.contains_key(k.as_str()) || data.org_units.iter().any(|u| &u.key == k)
    };
    errors.append(crate::area::check_references(
        data,
        &existing.safety,
        &unit_known,
    ));
    errors.append(resolve::check_levels(data, &scale));
    let economy = crate::economy::StoredEconomy::read(store, data)
        .await
        .at(&whole)?;
    let warnings = crate::economy::check(&data.economy, &economy, &unit_known, &mut errors);
    errors.into_result(())?;
    let mut w = store.writer(actor, source).await.at(&whole)?;
    let written = write_all(&mut w, data, &scale, &existing, &economy).await;
    match written {
        Ok(()) => w.commit().await.at(&whole)?,
        Err(report) => {
            // Dropping the writer rolls back too; an explicit rollback releases it at once.
            let _ = w.rollback().await;
            return Err(report);
        }
    }
    Ok(Summary {
        warnings,
        ..Summary::of(data)
    })
}

/// Ids by kind and key: the database's, replaced by the files' objects as they are written
/// (an upsert keeps the id of an existing key).
pub(crate) struct Ids(HashMap<Referent, HashMap<String, Id>>);

impl Ids {
    fn new(existing: &Existing) -> Ids {
        let ids = |m: &HashMap<String, resolve::Stored>| {
            m.iter().map(|(k, s)| (k.clone(), s.id)).collect()
        };
        let mut map = HashMap::new();
        map.insert(Referent::OrgUnit, ids(&existing.org_units));
        map.insert(Referent::Goal, ids(&existing.goals));
        map.insert(Referent::Commitment, ids(&existing.commitments));
        map.insert(
            Referent::ComparisonGroup,
            existing
                .comparison_groups
                .iter()
                .map(|(k, g)| (k.clone(), g.id))
                .collect(),
        );
        Ids(map)
    }

    fn insert(&mut self, kind: Referent, key: &Key, id: Id) {
        self.0.entry(kind).or_default().insert(key.to_string(), id);
    }

    fn find(&self, kind: Referent, key: &Key) -> Option<Id> {
        self.0.get(&kind).and_then(|m| m.get(key.as_str())).copied()
    }

    /// Checked before writing; fails only if another writer removed the object meanwhile.
    pub(crate) fn get(
        &self,
        kind: Referent,
        key: &Key,
        origin: &Origin,
    ) -> Result<Id, ImportReport> {
        self.find(kind, key).ok_or_else(|| {
            ImportReport::single(origin, messages::unknown_reference(kind, key.as_str()))
        })
    }
}

async fn write_all(
    w: &mut Writer,
    data: &DataSet,
    scale: &AssessmentScale,
    existing: &Existing,
    economy: &crate::economy::StoredEconomy,
) -> Result<(), ImportReport> {
    let mut ids = Ids::new(existing);
    let municipality_changed = write_kolada(w, data, existing).await?;
    write_groups(w, data, existing, &mut ids).await?;
    write_org_units(w, data, &mut ids).await?;
    write_visions(w, data, &ids).await?;
    let mut sids = crate::area::SafetyIds::new(&existing.safety);
    crate::area::write_areas(w, data, &existing.safety, &mut sids).await?;
    write_goals(w, data, &mut ids).await?;
    sids.indicators
        .extend(write_indicators(w, data, &ids).await?);
    write_commitments(w, data, &mut ids).await?;
    write_assessments(w, data, scale, &ids).await?;
    write_period_reviews(w, data, &ids).await?;
    let plans = write_control_plans(w, data, &ids, existing).await?;
    crate::audit::write_audits(w, data, &ids, existing, &plans).await?;
    crate::area::write_safety(w, data, &ids, &existing.safety, &mut sids).await?;
    if let (true, Some(k)) = (municipality_changed, data.kolada.first()) {
        // As saving the Kolada page does: our municipality decides which of the stored
        // Kolada values fill the linked indicators (locked periods are left as decided).
        w.sync_kolada_outcomes(None).await.at(&k.origin)?;
    }
    crate::economy::write(w, &data.economy, &ids, economy).await?;
    write_decisions(w, data, &ids).await
}

/// Internal-control plans: created, or updated by unit and year and their items by key.
/// Returns every plan's id by (unit id, year): the database's and the files'.
async fn write_control_plans(
    w: &mut Writer,
    data: &DataSet,
    ids: &Ids,
    existing: &Existing,
) -> Result<HashMap<(Id, i32), Id>, ImportReport> {
    let today = uppsikt_store::today();
    let mut plans = existing.control_plans.clone();
    for p in &data.control_plans {
        let org_id = ids.get(Referent::OrgUnit, &p.org, &p.origin.field("org"))?;
        let stored = existing.control_plans.get(&(org_id, p.year)).copied();
        let id = crate::internal_control::write_plan(w, p, org_id, stored, &today).await?;
        plans.insert((org_id, p.year), id);
    }
    Ok(plans)
}

/// Decisions last: they lock what the files (and the database) hold for their periods.
/// A decision already recorded as the file says is left as it is; one recorded otherwise
/// is an error (reopening is a controller's logged act, not an import's).
async fn write_decisions(w: &mut Writer, data: &DataSet, ids: &Ids) -> Result<(), ImportReport> {
    for d in &data.decisions {
        let org_id = ids.get(Referent::OrgUnit, &d.org, &d.origin.field("org"))?;
        let recorded = w
            .decisions()
            .await
            .at(&d.origin)?
            .locks()
            .iter()
            .find(|l| l.org_id == org_id && l.period == d.period)
            .cloned();
        let lock = PeriodLock {
            org_id,
            period: d.period,
            body: d.body.clone(),
            decided_on: d.decided_on.clone(),
            paragraph: d.paragraph.clone(),
            diary_number: d.diary_number.clone(),
            locked_by: w.actor().to_string(),
            locked_at: w.time().to_string(),
        };
        match recorded {
            Some(r) if same_decision(&r, &lock) => {}
            Some(r) => {
                return Err(ImportReport::single(
                    &d.origin,
                    messages::decision_differs(&r),
                ))
            }
            None => w.lock_period(&lock).await.at(&d.origin)?,
        }
    }
    Ok(())
}

fn same_decision(a: &PeriodLock, b: &PeriodLock) -> bool {
    (&a.body, &a.decided_on, &a.paragraph, &a.diary_number)
        == (&b.body, &b.decided_on, &b.paragraph, &b.diary_number)
}

/// `[kolada]` (at most one, checked when parsing); `true` when our municipality changed.
/// Without `api_url` the stored address is kept.
async fn write_kolada(
    w: &mut Writer,
    data: &DataSet,
    existing: &Existing,
) -> Result<bool, ImportReport> {
    let Some(k) = data.kolada.first() else {
        return Ok(false);
    };
    let before = existing.kolada.clone().unwrap_or(KoladaSettings {
        municipality: None,
        api_url: KOLADA_API.to_string(),
    });
    let settings = KoladaSettings {
        municipality: Some(k.municipality.clone()),
        api_url: k.api_url.clone().unwrap_or_else(|| before.api_url.clone()),
    };
    w.set_kolada_settings(&settings).await.at(&k.origin)?;
    Ok(before.municipality != settings.municipality)
}

/// Comparison groups by key. A Kolada group listed without members keeps the members last
/// fetched from Kolada; a group exactly as stored is not written again.
async fn write_groups(
    w: &mut Writer,
    data: &DataSet,
    existing: &Existing,
    ids: &mut Ids,
) -> Result<(), ImportReport> {
    for g in &data.comparison_groups {
        let stored = existing.comparison_groups.get(g.key.as_str());
        let members = match stored {
            Some(s)
                if g.members.is_empty() && g.kolada_id.is_some() && s.kolada_id == g.kolada_id =>
            {
                s.members.clone()
            }
            _ => g.members.clone(),
        };
        let input = ComparisonGroupInput {
            key: g.key.to_string(),
            title: g.title.clone(),
            kolada_id: g.kolada_id.clone(),
            members,
        };
        let id = match stored {
            Some(s)
                if s.title == input.title
                    && s.kolada_id == input.kolada_id
                    && member_set(&s.members) == member_set(&input.members) =>
            {
                s.id
            }
            _ => w.upsert_comparison_group(&input).await.at(&g.origin)?,
        };
        ids.insert(Referent::ComparisonGroup, &g.key, id);
    }
    Ok(())
}

fn member_set(members: &[MunicipalityId]) -> BTreeSet<&str> {
    members.iter().map(MunicipalityId::as_str).collect()
}

/// File order, 1-based, where no position is given.
fn position(given: Option<i64>, index: usize) -> i64 {
    given.unwrap_or(index as i64 + 1)
}

async fn write_org_units(
    w: &mut Writer,
    data: &DataSet,
    ids: &mut Ids,
) -> Result<(), ImportReport> {
    let links: Vec<_> = data
        .org_units
        .iter()
        .map(|u| (&u.key, u.parent.as_ref()))
        .collect();
    for i in parents_first(&links) {
        let u = &data.org_units[i];
        let parent_id = match &u.parent {
            Some(p) => Some(ids.get(Referent::OrgUnit, p, &u.origin.field("parent"))?),
            None => None,
        };
        let input = OrgUnitInput {
            key: u.key.to_string(),
            name: u.name.clone(),
            short_name: u.short_name.clone(),
            kind: u.kind,
            parent_id,
            position: position(None, i),
        };
        let id = w.upsert_org_unit(&input).await.at(&u.origin)?;
        ids.insert(Referent::OrgUnit, &u.key, id);
    }
    Ok(())
}

async fn write_visions(w: &mut Writer, data: &DataSet, ids: &Ids) -> Result<(), ImportReport> {
    for v in &data.visions {
        let org = ids.get(Referent::OrgUnit, &v.org, &v.origin.field("org"))?;
        w.set_vision(org, &v.text).await.at(&v.origin)?;
        w.set_steering_model(org, &v.steering_model)
            .await
            .at(&v.origin)?;
    }
    Ok(())
}

async fn write_goals(w: &mut Writer, data: &DataSet, ids: &mut Ids) -> Result<(), ImportReport> {
    let links: Vec<_> = data
        .goals
        .iter()
        .map(|g| (&g.key, g.parent.as_ref()))
        .collect();
    for i in parents_first(&links) {
        let g = &data.goals[i];
        let parent_id = match &g.parent {
            Some(p) => Some(ids.get(Referent::Goal, p, &g.origin.field("parent"))?),
            None => None,
        };
        let input = GoalInput {
            key: g.key.to_string(),
            org_id: ids.get(Referent::OrgUnit, &g.org, &g.origin.field("org"))?,
            parent_id,
            title: g.title.clone(),
            description: g.description.clone(),
            kind: g.kind,
            position: position(g.position, i),
        };
        let id = w.upsert_goal(&input).await.at(&g.origin)?;
        ids.insert(Referent::Goal, &g.key, id);
        w.set_priorities(id, &g.priorities).await.at(&g.origin)?;
        for (period, text) in &g.analyses {
            w.set_analysis(id, *period, text).await.at(&g.origin)?;
        }
    }
    Ok(())
}

/// Returns every indicator's id by key (an activity's effect indicator names one).
async fn write_indicators(
    w: &mut Writer,
    data: &DataSet,
    ids: &Ids,
) -> Result<HashMap<String, Id>, ImportReport> {
    let mut written = HashMap::with_capacity(data.indicators.len());
    for (i, ind) in data.indicators.iter().enumerate() {
        let input = IndicatorInput {
            key: ind.key.to_string(),
            goal_id: ids.get(Referent::Goal, &ind.goal, &ind.origin.field("goal"))?,
            name: ind.name.clone(),
            unit: ind.unit.clone(),
            direction: ind.direction,
            source: ind.source.clone(),
            kolada_kpi: ind.kolada_kpi.clone(),
            decimals: ind.decimals,
            frequency: ind.frequency,
            margin_basis: ind.margin_basis,
            trend_window: ind.trend_window,
            position: position(ind.position, i),
        };
        let id = w.upsert_indicator(&input).await.at(&ind.origin)?;
        written.insert(ind.key.to_string(), id);
        write_series(w, id, ind).await.at(&ind.origin)?;
        if let Some(keys) = &ind.comparison_groups {
            let mut groups = Vec::with_capacity(keys.len());
            for (n, key) in keys.iter().enumerate() {
                let at = ind.origin.field(&format!("comparison_groups[{n}]"));
                groups.push(ids.get(Referent::ComparisonGroup, key, &at)?);
            }
            w.set_indicator_groups(id, &groups).await.at(&ind.origin)?;
        }
    }
    Ok(written)
}

/// Replaces the indicator's outcomes, milestones, targets, comparisons, gaps and comments.
/// Unchanged data is not written again, so a re-import of decided data is not refused.
async fn write_series(w: &mut Writer, id: Id, ind: &IndicatorData) -> Result<(), StoreError> {
    let wanted = uppsikt_store::series_lines(
        &ind.outcomes,
        &ind.milestones,
        &ind.targets,
        &ind.comparisons,
        &ind.gaps,
        &ind.comments,
    );
    if w.stored_series_lines(id).await? == wanted {
        return Ok(());
    }
    w.clear_indicator_series(id).await?;
    w.insert_outcomes(id, &ind.outcomes).await?;
    for (year, target) in &ind.milestones {
        w.set_milestone(id, *year, Some(*target)).await?;
    }
    for (year, target) in &ind.targets {
        w.set_target(id, *year, Some(*target)).await?;
    }
    for c in &ind.comparisons {
        w.add_comparison(id, c).await?;
    }
    for g in &ind.gaps {
        w.add_gap_judgement(id, g).await?;
    }
    for c in &ind.comments {
        w.add_outcome_comment(id, c.period, &c.text).await?;
    }
    Ok(())
}

/// Commitments, then their status histories; a `carried_over_from` that names a
/// commitment written later in the same run is set in a second pass.
async fn write_commitments(
    w: &mut Writer,
    data: &DataSet,
    ids: &mut Ids,
) -> Result<(), ImportReport> {
    let mut deferred = Vec::new();
    for (i, c) in data.commitments.iter().enumerate() {
        let from = c
            .carried_over_from
            .as_ref()
            .and_then(|k| ids.find(Referent::Commitment, k));
        if c.carried_over_from.is_some() && from.is_none() {
            deferred.push(i);
        }
        let id = w
            .upsert_commitment(&commitment_input(c, i, ids, from)?)
            .await
            .at(&c.origin)?;
        ids.insert(Referent::Commitment, &c.key, id);
        let mut wanted: Vec<(String, String, String)> = c
            .statuses
            .iter()
            .map(|s| {
                (
                    s.date.clone(),
                    s.status.code().to_string(),
                    s.comment.clone(),
                )
            })
            .collect();
        wanted.sort();
        if w.stored_statuses(id).await.at(&c.origin)? == wanted {
            continue;
        }
        w.clear_commitment_statuses(id).await.at(&c.origin)?;
        for s in &c.statuses {
            w.add_commitment_status(id, &s.date, s.status, &s.comment)
                .await
                .at(&c.origin)?;
        }
    }
    for i in deferred {
        let c = &data.commitments[i];
        let from = c.carried_over_from.as_ref().map(|k| {
            ids.get(
                Referent::Commitment,
                k,
                &c.origin.field("carried_over_from"),
            )
        });
        let input = commitment_input(c, i, ids, from.transpose()?)?;
        w.upsert_commitment(&input).await.at(&c.origin)?;
    }
    Ok(())
}

fn commitment_input(
    c: &CommitmentData,
    i: usize,
    ids: &Ids,
    from: Option<Id>,
) -> Result<CommitmentInput, ImportReport> {
    Ok(CommitmentInput {
        key: c.key.to_string(),
        goal_id: ids.get(Referent::Goal, &c.goal, &c.origin.field("goal"))?,
        title: c.title.clone(),
        description: c.description.clone(),
        year: c.year,
        carried_over_from: from,
        position: position(None, i),
    })
}

async fn write_assessments(
    w: &mut Writer,
    data: &DataSet,
    scale: &AssessmentScale,
    ids: &Ids,
) -> Result<(), ImportReport> {
    for a in &data.assessments {
        let goal_id = match &a.goal {
            Some(g) => Some(ids.get(Referent::Goal, g, &a.origin.field("goal"))?),
            None => None,
        };
        let level = scale.canonical(&a.level).unwrap_or(&a.level).to_string();
        let input = AssessmentInput {
            org_id: ids.get(Referent::OrgUnit, &a.org, &a.origin.field("org"))?,
            goal_id,
            period: a.period,
            stage: a.stage,
            level,
            motivation: a.motivation.clone(),
            author: a.author.clone(),
            date: a.date.clone(),
        };
        w.set_assessment(&input).await.at(&a.origin)?;
    }
    Ok(())
}

async fn write_period_reviews(
    w: &mut Writer,
    data: &DataSet,
    ids: &Ids,
) -> Result<(), ImportReport> {
    for r in &data.period_reviews {
        let review = PeriodReview {
            org_id: ids.get(Referent::OrgUnit, &r.org, &r.origin.field("org"))?,
            period: r.period,
            events: r.events.clone(),
            improvement_areas: r.improvement_areas.clone(),
        };
        w.set_period_review(&review).await.at(&r.origin)?;
    }
    Ok(())
}
