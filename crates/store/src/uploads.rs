//! Uploaded files between their preview and their commit, as rows, so that the preview
//! on one app process and the commit on another find the same file. Bounded in bytes by
//! the caller; kept for [`UPLOAD_KEEP_MS`]. Times are Unix milliseconds.

use sqlx::Row;

use crate::{Result, Store};

/// How long an upload is kept, in milliseconds.
pub const UPLOAD_KEEP_MS: i64 = 3_600_000;

/// What the owner chose for an upload (its file's bytes are fetched apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpload {
    pub file_name: String,
    pub size: i64,
    /// The chosen sheet; none: the first.
    pub sheet: Option<String>,
    /// The chosen columns (JSON); none: guessed.
    pub mapping: Option<String>,
}

impl Store {
    /// Keeps `bytes` under `token` for `owner`, after dropping expired uploads and, while
    /// the kept ones and this one would hold more than `budget` bytes, the oldest.
    pub async fn put_upload(
        &self,
        token: &str,
        owner: &str,
        file_name: &str,
        bytes: &[u8],
        budget: usize,
        now: i64,
    ) -> Result<()> {
        let mut tx = match self.backend {
            crate::Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            crate::Backend::Postgres => self.pool.begin().await?,
        };
        sqlx::query("DELETE FROM uploads WHERE created_at < $1")
            .bind(now - UPLOAD_KEEP_MS)
            .execute(&mut *tx)
            .await?;
        loop {
            let kept: Option<i64> =
                sqlx::query_scalar("SELECT CAST(SUM(size) AS BIGINT) FROM uploads")
                    .fetch_one(&mut *tx)
                    .await?;
            if kept.unwrap_or(0) as usize + bytes.len() <= budget {
                break;
            }
            let oldest: Option<String> =
                sqlx::query_scalar("SELECT token FROM uploads ORDER BY created_at LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(oldest) = oldest else { break };
            sqlx::query("DELETE FROM uploads WHERE token = $1")
                .bind(oldest)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO uploads (token, owner, file_name, bytes, size, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token)
        .bind(owner)
        .bind(file_name)
        .bind(bytes.to_vec())
        .bind(bytes.len() as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The upload, if it exists, belongs to `owner` and has not expired by `now`.
    pub async fn upload(&self, token: &str, owner: &str, now: i64) -> Result<Option<StoredUpload>> {
        let row = sqlx::query(
            "SELECT file_name, size, sheet, mapping FROM uploads \
             WHERE token = $1 AND owner = $2 AND created_at >= $3",
        )
        .bind(token)
        .bind(owner)
        .bind(now - UPLOAD_KEEP_MS)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredUpload {
                file_name: r.try_get("file_name")?,
                size: r.try_get("size")?,
                sheet: r.try_get("sheet")?,
                mapping: r.try_get("mapping")?,
            })
        })
        .transpose()
    }

    /// The upload's file.
    pub async fn upload_bytes(&self, token: &str) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT bytes FROM uploads WHERE token = $1")
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records the owner's choice of sheet and columns.
    pub async fn set_upload_choice(
        &self,
        token: &str,
        sheet: Option<&str>,
        mapping: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE uploads SET sheet = $2, mapping = $3 WHERE token = $1")
            .bind(token)
            .bind(sheet)
            .bind(mapping)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn remove_upload(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM uploads WHERE token = $1")
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
