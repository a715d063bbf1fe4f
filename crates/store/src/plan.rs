//! The plan (verksamhetsplan): rolling a board into the next year and the board's decision
//! on its plan. Goals and indicators are timeless and are not copied; a roll-over carries
//! the unfinished commitments over (`uppsikt_domain::plan::to_carry_over`) and sets the
//! new year's milestones, in one transaction. A decided plan freezes its year's
//! milestones, targets and commitment definitions for the unit and the units below it
//! ([`Writer::ensure_plan_open`], asked by the writes in `write.rs`), until a controller
//! reopens it with a reason.

use serde::Serialize;
use uppsikt_domain::model::Id;
use uppsikt_domain::plan::{to_carry_over, PlanDecision};
use uppsikt_domain::Target;

use crate::write::{Bind, Writer};
use crate::{CommitmentInput, Result, Scope, Store, StoreError};

/// The change-log type of plan decisions and roll-overs, logged under the unit's id (part
/// of the unit's history).
pub const PLAN_LOG_TYPE: &str = "plan";

const PLAN_COLUMNS: &str =
    "org_id, year, body, decided_on, paragraph, diary_number, decided_by, decided_at";

type PlanRow = (i64, i64, String, String, String, String, String, String);

fn plan_from_row(row: PlanRow) -> Result<PlanDecision> {
    let (org_id, year, body, decided_on, paragraph, diary_number, decided_by, decided_at) = row;
    Ok(PlanDecision {
        org_id,
        year: i32::try_from(year).map_err(|_| StoreError::Corrupt(format!("plan year {year}")))?,
        body,
        decided_on,
        paragraph,
        diary_number,
        decided_by,
        decided_at,
    })
}

/// Every decision on a plan, through one connection (a transaction's own, so a writer sees
/// the decisions it has just recorded).
pub(crate) async fn load_plans(conn: &mut sqlx::AnyConnection) -> Result<Vec<PlanDecision>> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM plan_decisions ORDER BY org_id, year"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(plan_from_row).collect()
}

/// What a roll-over did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollOver {
    /// (last year's commitment, the new year's) for each commitment carried over now.
    pub carried: Vec<(Id, Id)>,
    /// How many milestones of the new year were set, changed or removed.
    pub milestones: usize,
}

impl Store {
    /// The decision on a unit's own plan for a year, if any.
    pub async fn plan_decision(&self, org_id: Id, year: i32) -> Result<Option<PlanDecision>> {
        let row: Option<PlanRow> = sqlx::query_as(&format!(
            "SELECT {PLAN_COLUMNS} FROM plan_decisions WHERE org_id = $1 AND year = $2"
        ))
        .bind(org_id)
        .bind(i64::from(year))
        .fetch_optional(&self.pool)
        .await?;
        row.map(plan_from_row).transpose()
    }

    /// The decision that covers a unit's plan for a year: its own, or that of a unit
    /// above it (a board's decision covers the units below it).
    pub async fn plan_covering(&self, org_id: Id, year: i32) -> Result<Option<PlanDecision>> {
        Ok(self.decisions().await?.plan_covering(org_id, year).cloned())
    }
}

impl Writer {
    /// Refuses a change to `year`'s milestones, targets or commitments of `org_id` when a
    /// decision on a plan covers them.
    pub async fn ensure_plan_open(&mut self, org_id: Id, year: i32) -> Result<()> {
        match self.lock_index().await?.plan_covering(org_id, year) {
            Some(d) => Err(StoreError::PlanDecided(Box::new(d.clone()))),
            None => Ok(()),
        }
    }

    /// As [`Self::ensure_plan_open`], for the unit owning an indicator.
    pub(crate) async fn ensure_indicator_plan_open(
        &mut self,
        indicator_id: Id,
        year: i32,
    ) -> Result<()> {
        if self.lock_index().await?.plans().is_empty() {
            return Ok(());
        }
        let org = self.org_of_indicator(indicator_id).await?;
        self.ensure_plan_open(org, year).await
    }

    /// Refuses a change to an indicator's long-term target of `target_year` when a
    /// decided plan shows it (a plan shows the targets of its year and later).
    pub(crate) async fn ensure_target_plan_open(
        &mut self,
        indicator_id: Id,
        target_year: i32,
    ) -> Result<()> {
        if self.lock_index().await?.plans().is_empty() {
            return Ok(());
        }
        let org = self.org_of_indicator(indicator_id).await?;
        match self
            .lock_index()
            .await?
            .plan_showing_target(org, target_year)
        {
            Some(d) => Err(StoreError::PlanDecided(Box::new(d.clone()))),
            None => Ok(()),
        }
    }

    /// Refuses removing an indicator's series (a re-import) when a decided plan covers
    /// any of its milestones or shows any of its targets.
    pub(crate) async fn ensure_series_plan_open(&mut self, indicator_id: Id) -> Result<()> {
        if self.lock_index().await?.plans().is_empty() {
            return Ok(());
        }
        let years = |table: &str| format!("SELECT year FROM {table} WHERE indicator_id = $1");
        let milestones: Vec<i64> = sqlx::query_scalar(&years("milestones"))
            .bind(indicator_id)
            .fetch_all(&mut *self.tx)
            .await?;
        let targets: Vec<i64> = sqlx::query_scalar(&years("targets"))
            .bind(indicator_id)
            .fetch_all(&mut *self.tx)
            .await?;
        let year = |y: i64| i32::try_from(y).map_err(|_| StoreError::Corrupt(format!("year {y}")));
        for y in milestones {
            self.ensure_indicator_plan_open(indicator_id, year(y)?)
                .await?;
        }
        for y in targets {
            self.ensure_target_plan_open(indicator_id, year(y)?).await?;
        }
        Ok(())
    }

    /// As [`Self::ensure_plan_open`], for the unit owning a goal.
    pub(crate) async fn ensure_goal_plan_open(&mut self, goal_id: Id, year: i32) -> Result<()> {
        if self.lock_index().await?.plans().is_empty() {
            return Ok(());
        }
        let org = self.org_of_goal(goal_id).await?;
        self.ensure_plan_open(org, year).await
    }

    /// Records a board's decision on its plan for a year; `Duplicate` if the plan is
    /// decided already. Returns the decision's id, which a stored decided document
    /// refers to.
    pub async fn decide_plan(&mut self, decision: &PlanDecision) -> Result<Id> {
        self.lock_plans().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM plan_decisions WHERE org_id = $1 AND year = $2")
                .bind(decision.org_id)
                .bind(i64::from(decision.year))
                .fetch_optional(&mut *self.tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate(format!("plan {}", decision.year)));
        }
        let id = self
            .insert_returning_id(
                &format!(
                    "INSERT INTO plan_decisions ({PLAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ),
                vec![
                    Bind::Int(decision.org_id),
                    Bind::Int(i64::from(decision.year)),
                    Bind::Text(decision.body.clone()),
                    Bind::Text(decision.decided_on.clone()),
                    Bind::Text(decision.paragraph.clone()),
                    Bind::Text(decision.diary_number.clone()),
                    Bind::Text(decision.decided_by.clone()),
                    Bind::Text(decision.decided_at.clone()),
                ],
            )
            .await?;
        self.locks = None;
        let after = serde_json::to_value(decision).ok();
        self.log("decide", PLAN_LOG_TYPE, Some(decision.org_id), None, after)
            .await?;
        Ok(id)
    }

    /// Reopens a decided plan; the reason and the decision it lifts are logged.
    pub async fn reopen_plan(&mut self, org_id: Id, year: i32, reason: &str) -> Result<()> {
        self.lock_plans().await?;
        let row: Option<PlanRow> = sqlx::query_as(&format!(
            "SELECT {PLAN_COLUMNS} FROM plan_decisions WHERE org_id = $1 AND year = $2"
        ))
        .bind(org_id)
        .bind(i64::from(year))
        .fetch_optional(&mut *self.tx)
        .await?;
        let decision = plan_from_row(row.ok_or_else(|| StoreError::not_found("plan", year))?)?;
        self.execute(
            "DELETE FROM plan_decisions WHERE org_id = $1 AND year = $2",
            vec![Bind::Int(org_id), Bind::Int(i64::from(year))],
        )
        .await?;
        self.locks = None;
        let before = serde_json::to_value(&decision).ok();
        let after = serde_json::json!({ "year": year, "reason": reason });
        self.log("reopen", PLAN_LOG_TYPE, Some(org_id), before, Some(after))
            .await
    }

    /// PostgreSQL: plan decisions and roll-overs of any unit take turns (the mode conflicts
    /// with itself and with every write to the table), so two roll-overs cannot both
    /// carry the same commitment and a decision cannot slip in under a roll-over. SQLite's
    /// writer already holds the database's one write lock.
    async fn lock_plans(&mut self) -> Result<()> {
        if self.backend == crate::Backend::Postgres {
            sqlx::query("LOCK TABLE plan_decisions IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Rolls a unit's plan from `to_year - 1` into `to_year`: carries its unfinished
    /// commitments of last year over (each once: title and description kept,
    /// `carried_over_from` naming last year's, whose history stays with it) and sets the
    /// new year's milestones (`None` removes one). All of it or nothing; refused when a
    /// decision covers the new year's plan. `milestones` must name indicators of the
    /// unit's own goals.
    pub async fn roll_over(
        &mut self,
        org_id: Id,
        to_year: i32,
        milestones: &[(Id, Option<Target>)],
    ) -> Result<RollOver> {
        self.lock_plans().await?;
        self.ensure_plan_open(org_id, to_year).await?;
        let mut done = RollOver::default();
        // Read after taking the turn: another roll-over's carried commitments are committed.
        let commitments = self.store.commitments(Scope::Org(org_id)).await?;
        for old in to_carry_over(&commitments, to_year - 1) {
            let new = self
                .create_commitment(&CommitmentInput {
                    key: format!("{}-{to_year}", old.key),
                    goal_id: old.goal_id,
                    title: old.title.clone(),
                    description: old.description.clone(),
                    year: to_year,
                    carried_over_from: Some(old.id),
                    position: old.position,
                })
                .await?;
            done.carried.push((old.id, new));
        }
        for (indicator, target) in milestones {
            if self.org_of_indicator(*indicator).await? != org_id {
                return Err(StoreError::not_found("indicator of the unit", indicator));
            }
            let before = self.changes();
            self.set_milestone(*indicator, to_year, *target).await?;
            if self.changes() > before {
                done.milestones += 1;
            }
        }
        let after = serde_json::json!({
            "from": to_year - 1,
            "to": to_year,
            "carried": done.carried.len(),
            "milestones": done.milestones,
        });
        self.log("roll_over", PLAN_LOG_TYPE, Some(org_id), None, Some(after))
            .await?;
        Ok(done)
    }
}
