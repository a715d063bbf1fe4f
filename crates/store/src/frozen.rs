//! What a decision freezes, checked in the one write path.
//!
//! A decision (period lock) covers the data of the unit and the units below it for the
//! decided period and everything that ended before it (`uppsikt_domain::publication`).
//! Besides the period-bound data every writer checks with [`Writer::ensure_unlocked`]
//! (outcomes, milestones, assessments, analyses, comments, gap judgements), a decided page
//! rests on data that has no period of its own: an indicator's direction, decimals, goal
//! and long-term targets, a goal's place in the tree, a commitment, a unit's place in the
//! organisation, and the ranks and averages derived from Kolada. The checks here refuse
//! changes to those while a decision rests on them; changing them needs the logged
//! reopening of the period.

use uppsikt_domain::model::{Comparison, GapJudgement, Id, OutcomeComment, PeriodLock};
use uppsikt_domain::{Outcome, Period, Target};

use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

impl Writer {
    /// Every period an indicator holds data for: outcomes, milestones, comparisons, gap
    /// judgements and comments.
    async fn indicator_periods(&mut self, indicator_id: Id) -> Result<Vec<Period>> {
        let texts: Vec<String> = sqlx::query_scalar(
            "SELECT period FROM outcomes WHERE indicator_id = $1 \
             UNION SELECT period FROM comparisons WHERE indicator_id = $1 \
             UNION SELECT period FROM gap_judgements WHERE indicator_id = $1 \
             UNION SELECT period FROM outcome_comments WHERE indicator_id = $1",
        )
        .bind(indicator_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let years: Vec<i64> =
            sqlx::query_scalar("SELECT year FROM milestones WHERE indicator_id = $1")
                .bind(indicator_id)
                .fetch_all(&mut *self.tx)
                .await?;
        let mut periods: Vec<Period> = texts
            .iter()
            .map(|p| crate::rows::period(p))
            .collect::<Result<_>>()?;
        periods.extend(
            years
                .into_iter()
                .filter_map(|y| i32::try_from(y).ok())
                .map(Period::Year),
        );
        Ok(periods)
    }

    /// Refuses a change to what an indicator's decided data rests on (direction, decimals,
    /// goal, targets) when a decision over `org_id` covers any of its data.
    pub(crate) async fn ensure_indicator_open_in(
        &mut self,
        indicator_id: Id,
        org_id: Id,
    ) -> Result<()> {
        if !self.has_locks().await? {
            return Ok(());
        }
        for p in self.indicator_periods(indicator_id).await? {
            self.ensure_unlocked(org_id, p).await?;
        }
        Ok(())
    }

    /// As [`Self::ensure_indicator_open_in`], for the unit that owns the indicator now.
    pub(crate) async fn ensure_indicator_open(&mut self, indicator_id: Id) -> Result<()> {
        if !self.has_locks().await? {
            return Ok(());
        }
        let org = self.org_of_indicator(indicator_id).await?;
        self.ensure_indicator_open_in(indicator_id, org).await
    }

    /// Refuses moving a goal (another parent or unit) while a decision rests on it: a
    /// decided assessment of it, an indicator of it with decided data, or a commitment of
    /// a decided year.
    pub(crate) async fn ensure_goal_open(&mut self, goal_id: Id) -> Result<()> {
        if !self.has_locks().await? {
            return Ok(());
        }
        let assessed: Vec<(i64, String)> = sqlx::query_as(
            "SELECT org_id, period FROM assessments WHERE goal_id = $1 AND stage = 'decided'",
        )
        .bind(goal_id)
        .fetch_all(&mut *self.tx)
        .await?;
        for (org, period) in assessed {
            self.ensure_unlocked(org, crate::rows::period(&period)?)
                .await?;
        }
        let org = self.org_of_goal(goal_id).await?;
        let indicators: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM indicators WHERE goal_id = $1")
                .bind(goal_id)
                .fetch_all(&mut *self.tx)
                .await?;
        for id in indicators {
            self.ensure_indicator_open_in(id, org).await?;
        }
        let years: Vec<i64> = sqlx::query_scalar("SELECT year FROM commitments WHERE goal_id = $1")
            .bind(goal_id)
            .fetch_all(&mut *self.tx)
            .await?;
        for y in years.into_iter().filter_map(|y| i32::try_from(y).ok()) {
            self.ensure_unlocked(org, Period::Year(y)).await?;
        }
        Ok(())
    }

    /// Refuses a change to a commitment of a decided year (under `goal_id`'s unit).
    pub(crate) async fn ensure_commitment_open(&mut self, goal_id: Id, year: i32) -> Result<()> {
        if !self.has_locks().await? {
            return Ok(());
        }
        let org = self.org_of_goal(goal_id).await?;
        self.ensure_unlocked(org, Period::Year(year)).await
    }

    /// Refuses moving a unit to `new_parent` when that changes which decisions cover its
    /// data: a decided unit cannot slip out from under its decision, nor an undecided one
    /// in under another's. Moving within what the same decisions cover is fine.
    pub(crate) async fn ensure_unit_move_open(
        &mut self,
        org_id: Id,
        new_parent: Option<Id>,
    ) -> Result<()> {
        let decisions = self.lock_index().await?;
        if decisions.is_empty() {
            return Ok(());
        }
        let above = |chain: Vec<Id>| -> Vec<&PeriodLock> {
            decisions
                .locks()
                .iter()
                .filter(|l| l.org_id != org_id && chain.contains(&l.org_id))
                .collect()
        };
        let now = above(decisions.chain(org_id));
        let then = new_parent
            .map(|p| above(decisions.chain(p)))
            .unwrap_or_default();
        let changed = now
            .iter()
            .find(|l| !then.contains(l))
            .or_else(|| then.iter().find(|l| !now.contains(l)))
            .map(|l| (*l).clone());
        match changed {
            Some(lock) => Err(StoreError::Locked(Box::new(lock))),
            None => Ok(()),
        }
    }

    /// Copies the comparison figures derived from Kolada that pages show for the periods
    /// the decision `lock_id` covers, so that they stay as decided. Figures of periods an
    /// earlier decision covers are copied as that decision froze them.
    pub(crate) async fn freeze_comparisons(
        &mut self,
        lock_id: Id,
        lock: &PeriodLock,
    ) -> Result<()> {
        let decisions = self.decisions().await?;
        let linked: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT i.id, g.org_id FROM indicators i JOIN goals g ON g.id = i.goal_id \
             WHERE i.kolada_kpi <> ''",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let mut indicators = Vec::new();
        for (id, org) in linked {
            if decisions.chain(org).contains(&lock.org_id) {
                indicators.push(self.indicator_before(id).await?);
            }
        }
        let figures = self.store.kolada_comparisons(&indicators).await?;
        for (indicator_id, list) in figures {
            for c in list.iter().filter(|c| c.period.covered_by(lock.period)) {
                self.execute(
                    "INSERT INTO decided_comparisons (lock_id, indicator_id, period, group_name, rank, of_count, average) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [Bind::Int(lock_id), Bind::Int(indicator_id)]
                        .into_iter()
                        .chain(crate::write::comparison_binds(c))
                        .collect(),
                )
                .await?;
            }
        }
        self.execute(
            "UPDATE period_locks SET comparisons_frozen = 1 WHERE id = $1",
            vec![Bind::Int(lock_id)],
        )
        .await?;
        Ok(())
    }
}

impl Store {
    /// Freezes the comparison figures of decisions recorded before figures were frozen
    /// at the decision (an upgraded database): once, when the store is opened.
    pub(crate) async fn freeze_earlier_decisions(&self) -> Result<()> {
        let pending: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, org_id, period FROM period_locks WHERE comparisons_frozen = 0",
        )
        .fetch_all(&self.pool)
        .await?;
        if pending.is_empty() {
            return Ok(());
        }
        let mut w = self
            .writer(crate::UPGRADE_ACTOR, crate::ChangeSource::Upgrade)
            .await?;
        for (id, org_id, period) in pending {
            let lock = w
                .decisions()
                .await?
                .over(org_id)
                .find(|l| l.org_id == org_id && l.period.to_string() == period)
                .cloned();
            if let Some(lock) = lock {
                w.freeze_comparisons(id, &lock).await?;
                let after = serde_json::json!({ "period": period });
                w.log(
                    "freeze_comparisons",
                    "period",
                    Some(org_id),
                    None,
                    Some(after),
                )
                .await?;
            }
        }
        w.commit().await
    }
}

/// What a data file says about an indicator's series, as canonical lines in a fixed order:
/// two series with the same lines are the same data, so a re-import of unchanged data
/// writes nothing (and is not refused where a decision covers it).
pub fn series_lines(
    outcomes: &[Outcome],
    milestones: &[(i32, Target)],
    targets: &[(i32, Target)],
    comparisons: &[Comparison],
    gaps: &[GapJudgement],
    comments: &[OutcomeComment],
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    lines.extend(outcomes.iter().map(|o| {
        format!(
            "o|{}|{}|{}|{:?}|{:?}",
            o.period,
            o.breakdown.code(),
            o.value,
            o.margin,
            o.sample_size
        )
    }));
    lines.extend(milestones.iter().map(|(y, t)| format!("m|{y}|{t}")));
    lines.extend(targets.iter().map(|(y, t)| format!("t|{y}|{t}")));
    lines.extend(comparisons.iter().map(|c| {
        format!(
            "c|{}|{}|{:?}|{:?}|{:?}",
            c.period, c.group, c.rank, c.of, c.average
        )
    }));
    lines.extend(gaps.iter().map(|g| {
        format!(
            "g|{}|{}|{}|{}",
            g.period,
            g.kind.code(),
            g.unjustified,
            g.comment
        )
    }));
    lines.extend(
        comments
            .iter()
            .map(|c| format!("k|{}|{}", c.period, c.text)),
    );
    lines.sort();
    lines
}

impl Writer {
    /// The series of an indicator as this transaction sees it, as [`series_lines`]
    /// (outcomes of every source: a typed outcome Kolada confirmed is Kolada's now, with
    /// the same value).
    pub async fn stored_series_lines(&mut self, indicator_id: Id) -> Result<Vec<String>> {
        let outcomes = self.stored_outcomes(indicator_id).await?;
        let year_targets = |rows: Vec<(i64, String)>| -> Result<Vec<(i32, Target)>> {
            rows.into_iter()
                .map(|(y, t)| {
                    Ok((
                        i32::try_from(y).map_err(|_| StoreError::Corrupt(format!("year {y}")))?,
                        Target::parse(&t)
                            .map_err(|_| StoreError::Corrupt(format!("target {t}")))?,
                    ))
                })
                .collect()
        };
        let milestones = year_targets(
            sqlx::query_as("SELECT year, target FROM milestones WHERE indicator_id = $1")
                .bind(indicator_id)
                .fetch_all(&mut *self.tx)
                .await?,
        )?;
        let targets = year_targets(
            sqlx::query_as("SELECT year, target FROM targets WHERE indicator_id = $1")
                .bind(indicator_id)
                .fetch_all(&mut *self.tx)
                .await?,
        )?;
        let comparisons: Vec<crate::rows::ComparisonRow> = sqlx::query_as(
            "SELECT indicator_id, period, group_name, rank, of_count, average FROM comparisons WHERE indicator_id = $1",
        )
        .bind(indicator_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let comparisons: Vec<Comparison> = comparisons
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<_>>()?;
        let gaps: Vec<crate::rows::GapRow> = sqlx::query_as(
            "SELECT indicator_id, period, kind, unjustified, comment FROM gap_judgements WHERE indicator_id = $1",
        )
        .bind(indicator_id)
        .fetch_all(&mut *self.tx)
        .await?;
        let gaps: Vec<GapJudgement> = gaps
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<_>>()?;
        let comments: Vec<(String, String)> =
            sqlx::query_as("SELECT period, text FROM outcome_comments WHERE indicator_id = $1")
                .bind(indicator_id)
                .fetch_all(&mut *self.tx)
                .await?;
        let comments: Vec<OutcomeComment> = comments
            .into_iter()
            .map(|(p, text)| {
                Ok(OutcomeComment {
                    period: crate::rows::period(&p)?,
                    text,
                })
            })
            .collect::<Result<_>>()?;
        Ok(series_lines(
            &outcomes,
            &milestones,
            &targets,
            &comparisons,
            &gaps,
            &comments,
        ))
    }

    /// A commitment's status history as this transaction sees it: (date, status, comment),
    /// sorted.
    pub async fn stored_statuses(
        &mut self,
        commitment_id: Id,
    ) -> Result<Vec<(String, String, String)>> {
        let mut rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT date, status, comment FROM commitment_statuses WHERE commitment_id = $1",
        )
        .bind(commitment_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.sort();
        Ok(rows)
    }
}
