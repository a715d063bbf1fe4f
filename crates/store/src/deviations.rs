//! Deviations, their decisions and actions. Every change first applies the domain's
//! lifecycle rule to the stored deviation (so no write can skip a decision), then writes
//! and logs it like every other change.

use std::collections::HashSet;

use uppsikt_domain::deviation::{
    Action, ActionState, DecidingBody, Decision, Deviation, LifecycleError, NewDeviation, Outcome,
    Severity, Source,
};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;

use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// A stored deviation with the ids of its actions (in the order of `deviation.actions`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeviation {
    pub id: Id,
    pub deviation: Deviation,
    pub action_ids: Vec<Id>,
}

type DeviationRow = (
    i64,
    i64,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);
type DecisionRow = (String, String, String, String, i64, String);
type ActionRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    Option<i64>,
    String,
);

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("deviation {what}"))
}

async fn load(conn: &mut sqlx::AnyConnection, id: Id) -> Result<StoredDeviation> {
    let row: Option<DeviationRow> = sqlx::query_as(
        "SELECT id, org_id, area, source, severity, period, description, cause_key, raised_on \
         FROM deviations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (id, org_id, area, source, severity, period, description, cause_key, raised_on) =
        row.ok_or_else(|| StoreError::not_found("deviation", id))?;
    let raised = NewDeviation {
        org_id,
        area,
        source: Source::parse(&source).ok_or_else(|| corrupt("source"))?,
        severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity"))?,
        period: Period::parse(&period).map_err(|_| corrupt("period"))?,
        description,
        cause_key,
    };
    let decision: Option<DecisionRow> = sqlx::query_as(
        "SELECT body, decided_on, paragraph, diary_number, act, motivation \
         FROM deviation_decisions WHERE deviation_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let decision = match decision {
        None => None,
        Some((body, decided_on, paragraph, diary_number, act, motivation)) => Some(Decision {
            body: DecidingBody::parse(&body).ok_or_else(|| corrupt("body"))?,
            decided_on,
            paragraph,
            diary_number,
            outcome: if act != 0 {
                Outcome::Act
            } else {
                Outcome::NoAction { motivation }
            },
        }),
    };
    let rows: Vec<ActionRow> = sqlx::query_as(
        "SELECT id, what, responsible_org_id, responsible_person, due, expected_effect, indicator_id, state \
         FROM deviation_actions WHERE deviation_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut actions = Vec::with_capacity(rows.len());
    let mut action_ids = Vec::with_capacity(rows.len());
    for (action_id, what, unit, person, due, effect, indicator_id, state) in rows {
        let comments: Vec<(String, String)> = sqlx::query_as(
            "SELECT on_date, text FROM deviation_action_comments WHERE action_id = $1 ORDER BY id",
        )
        .bind(action_id)
        .fetch_all(&mut *conn)
        .await?;
        action_ids.push(action_id);
        actions.push(Action {
            what,
            responsible_unit: unit,
            responsible_person: person,
            due,
            expected_effect: effect,
            indicator_id,
            state: ActionState::parse(&state).ok_or_else(|| corrupt("action state"))?,
            comments,
        });
    }
    Ok(StoredDeviation {
        id,
        deviation: Deviation {
            raised,
            raised_on,
            decision,
            actions,
        },
        action_ids,
    })
}

impl Store {
    pub async fn deviation(&self, id: Id) -> Result<StoredDeviation> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id).await
    }

    /// Every deviation of a unit (all units when `None`), oldest first.
    pub async fn deviations(&self, org_id: Option<Id>) -> Result<Vec<StoredDeviation>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM deviations WHERE $1 < 0 OR org_id = $1 ORDER BY id")
                .bind(org_id.unwrap_or(-1))
                .fetch_all(&self.pool)
                .await?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load(&mut conn, id).await?);
        }
        Ok(out)
    }
}

fn lifecycle(e: LifecycleError) -> StoreError {
    StoreError::Lifecycle(e)
}

impl Writer {
    /// Raises the deviations not raised before (by cause key); returns the new ids.
    pub async fn raise_deviations(
        &mut self,
        candidates: Vec<NewDeviation>,
        raised_on: &str,
    ) -> Result<Vec<Id>> {
        let keys: Vec<String> =
            sqlx::query_scalar("SELECT cause_key FROM deviations WHERE cause_key IS NOT NULL")
                .fetch_all(&mut *self.tx)
                .await?;
        let keys: HashSet<String> = keys.into_iter().collect();
        let mut ids = Vec::new();
        for d in uppsikt_domain::deviation::not_yet_raised(&keys, candidates) {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO deviations (org_id, area, source, severity, period, description, cause_key, raised_on, raised_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(d.org_id)
            .bind(&d.area)
            .bind(d.source.code())
            .bind(d.severity.code())
            .bind(d.period.to_string())
            .bind(&d.description)
            .bind(&d.cause_key)
            .bind(raised_on)
            .bind(self.actor().to_string())
            .fetch_one(&mut *self.tx)
            .await?;
            self.log(
                "raise",
                "deviation",
                Some(id),
                None,
                serde_json::to_value(&d).ok(),
            )
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Records the decision on a deviation (once; a decision not to act needs a motivation).
    pub async fn decide_deviation(&mut self, id: Id, decision: &Decision) -> Result<()> {
        let mut stored = load(&mut self.tx, id).await?;
        stored
            .deviation
            .decide(decision.clone())
            .map_err(lifecycle)?;
        let (act, motivation) = match &decision.outcome {
            Outcome::Act => (1, String::new()),
            Outcome::NoAction { motivation } => (0, motivation.clone()),
        };
        self.execute(
            "INSERT INTO deviation_decisions (deviation_id, body, decided_on, paragraph, diary_number, act, motivation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Bind::Int(id),
                Bind::Text(decision.body.code().into()),
                Bind::Text(decision.decided_on.clone()),
                Bind::Text(decision.paragraph.clone()),
                Bind::Text(decision.diary_number.clone()),
                Bind::Int(act),
                Bind::Text(motivation),
            ],
        )
        .await?;
        self.log(
            "decide",
            "deviation",
            Some(id),
            None,
            serde_json::to_value(decision).ok(),
        )
        .await
    }

    /// Adds an action (planned) under a decision to act; returns its id.
    pub async fn add_deviation_action(&mut self, id: Id, action: &Action) -> Result<Id> {
        let mut stored = load(&mut self.tx, id).await?;
        let position = stored
            .deviation
            .add_action(action.clone())
            .map_err(lifecycle)?;
        let action_id: i64 = sqlx::query_scalar(
            "INSERT INTO deviation_actions (deviation_id, what, responsible_org_id, responsible_person, due, expected_effect, indicator_id, state, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(id)
        .bind(&action.what)
        .bind(action.responsible_unit)
        .bind(&action.responsible_person)
        .bind(&action.due)
        .bind(&action.expected_effect)
        .bind(action.indicator_id)
        .bind(ActionState::Planned.code())
        .bind(position as i64)
        .fetch_one(&mut *self.tx)
        .await?;
        let after = serde_json::to_value(&stored.deviation.actions[position]).ok();
        self.log("create", "deviation_action", Some(action_id), None, after)
            .await?;
        Ok(action_id)
    }

    /// Moves an action on (planned → in progress → done, or cancelled), with a comment.
    pub async fn advance_deviation_action(
        &mut self,
        action_id: Id,
        next: ActionState,
        on: &str,
        comment: &str,
    ) -> Result<()> {
        let deviation_id: Option<i64> =
            sqlx::query_scalar("SELECT deviation_id FROM deviation_actions WHERE id = $1")
                .bind(action_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let deviation_id =
            deviation_id.ok_or_else(|| StoreError::not_found("deviation_action", action_id))?;
        let mut stored = load(&mut self.tx, deviation_id).await?;
        let index = stored
            .action_ids
            .iter()
            .position(|a| *a == action_id)
            .ok_or_else(|| StoreError::not_found("deviation_action", action_id))?;
        let before = stored.deviation.actions[index].state;
        stored
            .deviation
            .advance(index, next, on, comment)
            .map_err(lifecycle)?;
        self.execute(
            "UPDATE deviation_actions SET state = $1 WHERE id = $2",
            vec![Bind::Text(next.code().into()), Bind::Int(action_id)],
        )
        .await?;
        self.execute(
            "INSERT INTO deviation_action_comments (action_id, on_date, text) VALUES ($1, $2, $3)",
            vec![
                Bind::Int(action_id),
                Bind::Text(on.into()),
                Bind::Text(comment.trim().into()),
            ],
        )
        .await?;
        self.log(
            "advance",
            "deviation_action",
            Some(action_id),
            Some(serde_json::json!({ "state": before.code() })),
            Some(serde_json::json!({ "state": next.code(), "on": on, "comment": comment.trim() })),
        )
        .await
    }
}
