//! The change history of one object, as the change log records it: the object's own rows
//! and those of its parts (a goal's analyses and assessments, an indicator's outcomes …).

use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;

use crate::kinds::history_parts;
use crate::read::{ChangeLogEntry, CHANGE_LOG_COLUMNS as COLUMNS};
use crate::{Result, Store, StoreError};

impl Store {
    /// The object's history, newest first, at most `limit` rows: the rows of its kind and
    /// its parts (`crate::kinds::history_parts`).
    pub async fn history(
        &self,
        kind: ObjectKind,
        id: Id,
        limit: i64,
    ) -> Result<Vec<ChangeLogEntry>> {
        let parts = history_parts(kind);
        let types: Vec<String> = std::iter::once(kind.log_type())
            .chain(parts.own.iter().copied())
            .map(|t| format!("'{t}'"))
            .collect();
        let mut sql = format!(
            "SELECT {COLUMNS} WHERE (c.object_id = $1 AND c.object_type IN ({}))",
            types.join(", ")
        );
        if let Some(related) = parts.related {
            let ids: Vec<i64> = sqlx::query_scalar(related.ids_sql)
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
            if !ids.is_empty() {
                // Ids come from the database as integers, not from input.
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                sql.push_str(&format!(
                    " OR (c.object_type = '{}' AND c.object_id IN ({}))",
                    related.log_type,
                    ids.join(", ")
                ));
            }
        }
        sql.push_str(" ORDER BY c.id DESC LIMIT $2");
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
            "SELECT {COLUMNS} WHERE c.at >= $1 AND c.at < $2 ORDER BY c.id"
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
