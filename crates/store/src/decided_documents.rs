//! The documents boards decided (`decided_documents`): the file a board adopted when it
//! locked a period (the board version of its verksamhetsberättelse or delårsrapport; a
//! verksamhetsplan the same way later), kept byte for byte with its SHA-256 and the
//! decision (body, date, paragraph, diary number). A reopened period keeps its documents;
//! a new decision on it stores another, and the newest is "the decided document".
//!
//! Written only through [`Writer::store_decided_document`], logged as `decided_document`
//! under the unit's id (the file's hash in the log, not its bytes).

use serde_json::json;
use sha2::{Digest, Sha256};
use uppsikt_domain::model::{Id, PeriodLock};
use uppsikt_domain::Period;

use crate::write::Writer;
use crate::{Result, Store, StoreError};

/// The change log's object type of a stored decided document.
pub const DECIDED_DOCUMENT_LOG_TYPE: &str = "decided_document";

/// A document to store as decided.
#[derive(Debug, Clone)]
pub struct NewDecidedDocument<'a> {
    /// What the document is: `verksamhetsberattelse`, `delarsrapport`, `verksamhetsplan` …
    pub kind: &'a str,
    /// The decision it was adopted by (its unit and period are the document's).
    pub decision: &'a PeriodLock,
    /// E.g. "Verksamhetsberättelse 2019 – Kommunstyrelsen".
    pub title: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
    /// The data version the document was built from.
    pub data_version: i64,
}

/// A stored decided document without its bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DecidedDocument {
    pub id: Id,
    pub kind: String,
    pub org_id: Id,
    pub period: Period,
    /// Whether the decision it was stored with still holds (the period was not reopened).
    pub in_force: bool,
    pub body: String,
    pub decided_on: String,
    pub paragraph: String,
    pub diary_number: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    /// Lower-case hex SHA-256 of the stored bytes.
    pub sha256: String,
    pub size: i64,
    pub data_version: i64,
    pub stored_by: String,
    pub stored_at: String,
}

/// The lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    org_id: i64,
    period: String,
    lock_id: Option<i64>,
    body: String,
    decided_on: String,
    paragraph: String,
    diary_number: String,
    title: String,
    file_name: String,
    content_type: String,
    sha256: String,
    size: i64,
    data_version: i64,
    stored_by: String,
    stored_at: String,
}

const COLUMNS: &str = "id, kind, org_id, period, lock_id, body, decided_on, paragraph, \
    diary_number, title, file_name, content_type, sha256, \
    CAST(LENGTH(content) AS BIGINT) AS size, data_version, stored_by, stored_at";

fn document(r: Row) -> Result<DecidedDocument> {
    let period = Period::parse(&r.period)
        .map_err(|e| StoreError::Corrupt(format!("period {}: {e}", r.period)))?;
    Ok(DecidedDocument {
        id: r.id,
        kind: r.kind,
        org_id: r.org_id,
        period,
        in_force: r.lock_id.is_some(),
        body: r.body,
        decided_on: r.decided_on,
        paragraph: r.paragraph,
        diary_number: r.diary_number,
        title: r.title,
        file_name: r.file_name,
        content_type: r.content_type,
        sha256: r.sha256,
        size: r.size,
        data_version: r.data_version,
        stored_by: r.stored_by,
        stored_at: r.stored_at,
    })
}

impl Store {
    /// Every decided document of a unit (all units with `None`), newest first.
    pub async fn decided_documents(&self, org_id: Option<Id>) -> Result<Vec<DecidedDocument>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM decided_documents WHERE $1 < 0 OR org_id = $1 ORDER BY id DESC"
        ))
        .bind(org_id.unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(document).collect()
    }

    /// The decided document of a unit's period and kind: the newest stored (a period
    /// decided again after a reopening has its latest decision's document).
    pub async fn decided_document(
        &self,
        org_id: Id,
        period: Period,
        kind: &str,
    ) -> Result<Option<DecidedDocument>> {
        Ok(self
            .decided_documents(Some(org_id))
            .await?
            .into_iter()
            .find(|d| d.period == period && d.kind == kind))
    }

    /// A stored document with its bytes.
    pub async fn decided_document_content(&self, id: Id) -> Result<(DecidedDocument, Vec<u8>)> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM decided_documents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let doc = document(row.ok_or_else(|| StoreError::not_found("decided_document", id))?)?;
        let content: Vec<u8> =
            sqlx::query_scalar("SELECT content FROM decided_documents WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok((doc, content))
    }
}

impl Writer {
    /// Stores a document as the one a board decided, with its SHA-256 and the decision
    /// (the lock must be recorded, in this transaction or before). Used when a period is
    /// locked (the report) and for any later kind of decided document (the plan): pass its
    /// `kind`, its rendered bytes and the decision. Logged under the unit's id with the
    /// hash, size and decision; returns the document's id.
    pub async fn store_decided_document(&mut self, doc: NewDecidedDocument<'_>) -> Result<Id> {
        let lock = doc.decision;
        let period = lock.period.to_string();
        let lock_id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM period_locks WHERE org_id = $1 AND period = $2")
                .bind(lock.org_id)
                .bind(&period)
                .fetch_optional(&mut *self.tx)
                .await?;
        let lock_id = lock_id.ok_or_else(|| StoreError::not_found("period_lock", &period))?;
        let sha256 = sha256_hex(doc.content);
        let id: Id = {
            use sqlx::Row as _;
            sqlx::query(
                "INSERT INTO decided_documents (kind, org_id, period, lock_id, body, decided_on, \
                 paragraph, diary_number, title, file_name, content_type, content, sha256, \
                 data_version, stored_by, stored_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 RETURNING id",
            )
            .bind(doc.kind)
            .bind(lock.org_id)
            .bind(&period)
            .bind(lock_id)
            .bind(&lock.body)
            .bind(&lock.decided_on)
            .bind(&lock.paragraph)
            .bind(&lock.diary_number)
            .bind(doc.title)
            .bind(doc.file_name)
            .bind(doc.content_type)
            .bind(doc.content.to_vec())
            .bind(&sha256)
            .bind(doc.data_version)
            .bind(self.actor.clone())
            .bind(self.at.clone())
            .fetch_one(&mut *self.tx)
            .await?
            .try_get(0)?
        };
        let after = json!({
            "document": id,
            "kind": doc.kind,
            "period": period,
            "title": doc.title,
            "file_name": doc.file_name,
            "sha256": sha256,
            "bytes": doc.content.len(),
            "data_version": doc.data_version,
            "body": lock.body,
            "decided_on": lock.decided_on,
            "paragraph": lock.paragraph,
            "diary_number": lock.diary_number,
        });
        self.log(
            "store",
            DECIDED_DOCUMENT_LOG_TYPE,
            Some(lock.org_id),
            None,
            Some(after),
        )
        .await?;
        Ok(id)
    }
}
