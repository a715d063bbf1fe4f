//! The change history of one object, as the change log records it: the object's own rows
//! and those of its parts (a goal's analyses and assessments, an indicator's outcomes …).

use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;

use crate::kinds::history_parts;
use crate::read::{ChangeLogEntry, CHANGE_LOG_COLUMNS as COLUMNS};
use crate::{Result, Store, StoreError, Writer};

impl Store {
    /// The object's history, newest first, at most `limit` rows: the rows of its kind and
    /// its parts (`crate::kinds::history_parts`).
    pub async fn history(
        &self,
        kind: ObjectKind,
        id: Id,
        limit: i64,
    ) -> Result<Vec<ChangeLogEntry>> {
        let related = related_ids(&self.pool, kind, id).await?;
        let sql = format!(
            "SELECT {COLUMNS} WHERE {} ORDER BY c.id DESC LIMIT $2",
            history_filter(kind, &related)
        );
        let rows = sqlx::query_as(&sql)
            .bind(id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }

    /// The object's history after `version` (rows with a greater id), newest first, at most
    /// `limit` rows: what others changed since a form showed that version.
    pub async fn history_since(
        &self,
        kind: ObjectKind,
        id: Id,
        version: i64,
        limit: i64,
    ) -> Result<Vec<ChangeLogEntry>> {
        let mut rows = self.history(kind, id, limit).await?;
        rows.retain(|e| e.id > version);
        Ok(rows)
    }

    /// The object's version outside a write: see [`Writer::object_version`].
    pub async fn object_version(&self, kind: ObjectKind, id: Id) -> Result<i64> {
        let related = related_ids(&self.pool, kind, id).await?;
        Ok(sqlx::query_scalar(&version_sql(kind, &related))
            .bind(id)
            .fetch_one(&self.pool)
            .await?)
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

impl Writer {
    /// The version of an object: the id of the newest change-log row of its history (its
    /// own rows and its parts', as its "Historik" page lists them), 0 when it has none.
    /// A form carries the version it showed; a save compares it with this, inside the
    /// writer's transaction and before writing, so that a change someone else made since
    /// is not overwritten unseen. SQLite's writers are serialised (`BEGIN IMMEDIATE`); on
    /// PostgreSQL a transaction-scoped advisory lock on the object does the same for the
    /// writers that check it, until this writer commits or rolls back.
    pub async fn object_version(&mut self, kind: ObjectKind, id: Id) -> Result<i64> {
        if self.backend == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("uppsikt-object:{}:{id}", kind.log_type()))
                .execute(&mut *self.tx)
                .await?;
        }
        let related = related_ids(&mut *self.tx, kind, id).await?;
        Ok(sqlx::query_scalar(&version_sql(kind, &related))
            .bind(id)
            .fetch_one(&mut *self.tx)
            .await?)
    }
}

/// The ids of the related objects whose rows are part of an object's history (a goal's
/// assessments, a deviation's actions …; `crate::kinds::history_parts`), read through
/// `executor` (the pool, or a writer's transaction).
async fn related_ids<'e, E>(executor: E, kind: ObjectKind, id: Id) -> Result<Vec<Id>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(match history_parts(kind).related {
        Some(r) => {
            sqlx::query_scalar(r.ids_sql)
                .bind(id)
                .fetch_all(executor)
                .await?
        }
        None => Vec::new(),
    })
}

/// The condition on `change_log c` (its parameter `$1` is the object's id) that selects
/// an object's history: the rows of its kind and its own parts under its id, and those of
/// its related parts (`related`: their ids, read from the database).
fn history_filter(kind: ObjectKind, related: &[i64]) -> String {
    let parts = history_parts(kind);
    let types: Vec<String> = std::iter::once(kind.log_type())
        .chain(parts.own.iter().copied())
        .map(|t| format!("'{t}'"))
        .collect();
    let mut sql = format!(
        "(c.object_id = $1 AND c.object_type IN ({}))",
        types.join(", ")
    );
    if let (Some(r), false) = (parts.related, related.is_empty()) {
        // Ids come from the database as integers, not from input.
        let ids: Vec<String> = related.iter().map(i64::to_string).collect();
        sql.push_str(&format!(
            " OR (c.object_type = '{}' AND c.object_id IN ({}))",
            r.log_type,
            ids.join(", ")
        ));
    }
    sql
}

fn version_sql(kind: ObjectKind, related: &[i64]) -> String {
    format!(
        "SELECT CAST(COALESCE(MAX(c.id), 0) AS BIGINT) FROM change_log c WHERE {}",
        history_filter(kind, related)
    )
}

fn next_day(day: &str) -> Result<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date =
        time::Date::parse(day, &format).map_err(|_| StoreError::Corrupt(format!("date {day}")))?;
    let next = date.next_day().unwrap_or(date);
    Ok(next.format(&format).unwrap_or_default())
}
