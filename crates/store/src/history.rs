//! The change history of one object, as the change log records it: the object's own rows
//! and those of its parts (a goal's analyses and assessments, an indicator's outcomes …).

use uppsikt_domain::model::Id;

use crate::read::ChangeLogEntry;
use crate::{Result, Store, StoreError};

/// Objects that have a history page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOf {
    OrgUnit,
    Goal,
    Indicator,
    Commitment,
    Deviation,
}

impl HistoryOf {
    pub fn parse(kind: &str) -> Option<HistoryOf> {
        match kind {
            "org" => Some(HistoryOf::OrgUnit),
            "goals" => Some(HistoryOf::Goal),
            "indicators" => Some(HistoryOf::Indicator),
            "commitments" => Some(HistoryOf::Commitment),
            "deviations" => Some(HistoryOf::Deviation),
            _ => None,
        }
    }

    /// The change-log object types logged with this object's id.
    fn own_types(self) -> &'static [&'static str] {
        match self {
            HistoryOf::OrgUnit => &[
                "org_unit",
                "vision",
                "period_review",
                "period",
                "assessments",
            ],
            HistoryOf::Goal => &["goal", "goal_priorities", "goal_analysis"],
            HistoryOf::Indicator => &[
                "indicator",
                "outcome",
                "milestone",
                "target",
                "comparison",
                "gap_judgement",
                "outcome_comment",
            ],
            HistoryOf::Commitment => &["commitment", "commitment_status"],
            HistoryOf::Deviation => &["deviation"],
        }
    }
}

const COLUMNS: &str =
    "id, at, actor, action, object_type, object_id, before_value, after_value FROM change_log";

impl Store {
    /// The object's history, newest first, at most `limit` rows.
    pub async fn history(&self, of: HistoryOf, id: Id, limit: i64) -> Result<Vec<ChangeLogEntry>> {
        // Assessments are logged under their own ids: a goal's, or a unit's overall ones;
        // so are a deviation's actions.
        let (related, related_type): (Vec<i64>, &str) = match of {
            HistoryOf::Deviation => (
                sqlx::query_scalar("SELECT id FROM deviation_actions WHERE deviation_id = $1")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?,
                "deviation_action",
            ),
            _ => (Vec::new(), "assessment"),
        };
        let assessments: Vec<i64> = match of {
            HistoryOf::Goal => {
                sqlx::query_scalar("SELECT id FROM assessments WHERE goal_id = $1")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
            }
            HistoryOf::OrgUnit => {
                sqlx::query_scalar(
                    "SELECT id FROM assessments WHERE org_id = $1 AND goal_id IS NULL",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?
            }
            _ => related,
        };
        let types: Vec<String> = of.own_types().iter().map(|t| format!("'{t}'")).collect();
        let mut sql = format!(
            "SELECT {COLUMNS} WHERE (object_id = $1 AND object_type IN ({}))",
            types.join(", ")
        );
        if !assessments.is_empty() {
            // Ids come from the database as integers, not from input.
            let ids: Vec<String> = assessments.iter().map(i64::to_string).collect();
            sql.push_str(&format!(
                " OR (object_type = '{related_type}' AND object_id IN ({}))",
                ids.join(", ")
            ));
        }
        sql.push_str(" ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query_as(&sql)
            .bind(id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }

    /// The whole change log in order, optionally between two ISO dates (inclusive).
    pub async fn change_log_between(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<ChangeLogEntry>> {
        let from = from.unwrap_or("0000-01-01");
        // The upper bound is the day after `to`, compared as text like the RFC 3339 times.
        let to = match to {
            Some(day) => next_day(day)?,
            None => "9999-12-31".into(),
        };
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} WHERE at >= $1 AND at < $2 ORDER BY id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn next_day(day: &str) -> Result<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date =
        time::Date::parse(day, &format).map_err(|_| StoreError::Corrupt(format!("date {day}")))?;
    let next = date.next_day().unwrap_or(date);
    Ok(next.format(&format).unwrap_or_default())
}
