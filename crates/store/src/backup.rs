//! Online backup and restore of the embedded SQLite database.
//!
//! A backup is SQLite's `VACUUM INTO`: one consistent snapshot, written while others
//! keep reading and writing. A restore replaces every table's rows with the backup's in
//! one transaction on the live database: readers see the old content or the new, never a
//! mix; the data version moves past both so that cached pages are dropped; and the
//! restore itself is entered in the change log. A backup made before a schema change is
//! brought up to date on a temporary copy first. PostgreSQL has its own tools
//! (`pg_dump`, `pg_restore`).

use std::path::{Path, PathBuf};

use sqlx::{Executor, Row};

use crate::{Backend, Result, Store, StoreError};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    pub tables: usize,
    pub rows: u64,
    /// The data version after the restore.
    pub data_version: i64,
}

/// Why a backup or restore was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup and restore work on SQLite; use pg_dump and pg_restore for PostgreSQL")]
    NotSqlite,
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("{0} does not exist")]
    Missing(PathBuf),
    #[error("{0} is not an SQLite database")]
    NotADatabase(PathBuf),
    #[error("{0} is damaged: {1}")]
    Damaged(PathBuf, String),
    #[error("{0} is not an uppsikt database or is from a newer version: {1}")]
    Incompatible(PathBuf, String),
}

impl From<BackupError> for StoreError {
    fn from(e: BackupError) -> StoreError {
        StoreError::Backup(e)
    }
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    fn require_sqlite(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => Ok(()),
            Backend::Postgres => Err(BackupError::NotSqlite.into()),
        }
    }

    /// Writes a consistent copy of the whole database to `path`, which must not exist.
    pub async fn backup_to(&self, path: &Path) -> Result<()> {
        self.require_sqlite()?;
        if path.exists() {
            return Err(BackupError::Exists(path.to_path_buf()).into());
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the database's content with the backup's at `path`, in one transaction.
    /// The backup is checked first (an SQLite file, intact, an uppsikt schema no newer
    /// than this version's); if anything fails nothing changes.
    pub async fn restore_from(&self, path: &Path, actor: &str) -> Result<RestoreSummary> {
        self.require_sqlite()?;
        let copy = prepared_copy(path).await?;
        let result = self.copy_tables_from(&copy.0, path, actor).await;
        drop(copy);
        result
    }

    async fn copy_tables_from(
        &self,
        source: &Path,
        original: &Path,
        actor: &str,
    ) -> Result<RestoreSummary> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("ATTACH DATABASE $1 AS restore_source")
            .bind(source.to_string_lossy().into_owned())
            .execute(&mut *conn)
            .await?;
        // Foreign keys are checked once, over the whole restored database, before commit
        // (SQLite's deferred counting misjudges tables emptied and refilled out of order).
        (&mut *conn).execute("PRAGMA foreign_keys = OFF").await?;
        let copied = async {
            let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
            let summary = copy_all(&mut tx, original, actor).await?;
            tx.commit().await?;
            Ok(summary)
        }
        .await;
        let _ = (&mut *conn).execute("DETACH DATABASE restore_source").await;
        (&mut *conn).execute("PRAGMA foreign_keys = ON").await?;
        copied
    }
}

/// Copies every table inside the transaction, moves the data version past both
/// databases' and logs the restore.
async fn copy_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    original: &Path,
    actor: &str,
) -> Result<RestoreSummary> {
    let version = "SELECT version FROM main.data_version WHERE id = 1";
    let before: Option<i64> = sqlx::query_scalar(version)
        .fetch_optional(&mut **tx)
        .await?;
    let before = before.unwrap_or(0);
    // The change log is append-only and stays as it is: it records what the restore
    // undoes, and the restore itself. Sessions end: everyone signs in again. The scope
    // versions stay this database's (they must never go back: a page cached before the
    // restore would look current), and global moves past them below.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' \
         AND name NOT IN ('_sqlx_migrations', 'change_log', 'sessions', 'scope_versions') ORDER BY name",
    )
    .fetch_all(&mut **tx)
    .await?;
    // Names come from the database's own catalogue, not from input. Every table is
    // emptied before any is filled, so that no cascade removes rows already copied.
    (&mut **tx).execute("DELETE FROM main.sessions").await?;
    for t in &tables {
        (&mut **tx)
            .execute(format!("DELETE FROM main.\"{t}\"").as_str())
            .await?;
    }
    let mut rows = 0;
    for t in &tables {
        rows += (&mut **tx)
            .execute(
                format!("INSERT INTO main.\"{t}\" SELECT * FROM restore_source.\"{t}\"").as_str(),
            )
            .await?
            .rows_affected();
    }
    let dangling: Vec<String> =
        sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(&mut **tx)
            .await?;
    if let Some(table) = dangling.first() {
        return Err(BackupError::Damaged(
            original.to_path_buf(),
            format!("references that lead nowhere in {table}"),
        )
        .into());
    }
    let restored: Option<i64> = sqlx::query_scalar(version)
        .fetch_optional(&mut **tx)
        .await?;
    let restored = restored.unwrap_or(0);
    let data_version = before.max(restored) + 1;
    sqlx::query("DELETE FROM main.data_version")
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO main.data_version (id, version) VALUES (1, $1)")
        .bind(data_version)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE main.scope_versions SET version = $1 WHERE scope = 0")
        .bind(data_version)
        .execute(&mut **tx)
        .await?;
    let after = serde_json::json!({
        "file": original.to_string_lossy(),
        "data_version_before": before,
        "data_version_of_backup": restored,
    });
    sqlx::query(
        "INSERT INTO main.change_log (at, actor, action, object_type, object_id, before_value, after_value, source) \
         VALUES ($1, $2, 'restore', 'database', NULL, NULL, $3, 'cli')",
    )
    .bind(crate::write::now())
    .bind(actor)
    .bind(after.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(RestoreSummary {
        tables: tables.len(),
        rows,
        data_version,
    })
}

/// A temporary copy of the backup, checked and migrated to this version's schema;
/// removed when dropped.
struct TempCopy(PathBuf);

impl Drop for TempCopy {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// Whether the file starts as an SQLite database does; reads only those 16 bytes.
fn has_sqlite_header(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).map_err(|_| BackupError::Missing(path.to_path_buf()))?;
    let mut header = [0u8; 16];
    Ok(file.read_exact(&mut header).is_ok() && &header == SQLITE_HEADER)
}

async fn prepared_copy(path: &Path) -> Result<TempCopy> {
    if !has_sqlite_header(path)? {
        return Err(BackupError::NotADatabase(path.to_path_buf()).into());
    }
    let temp = TempCopy(path.with_extension(format!(
        "restore-{}-{}.tmp",
        std::process::id(),
        crate::write::now().replace([':', '.'], "-")
    )));
    std::fs::copy(path, &temp.0).map_err(|_| BackupError::Missing(path.to_path_buf()))?;
    let url = format!("sqlite://{}", temp.0.display());
    let store = Store::connect(&url).await?;
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&store.pool)
        .await
        .map_err(|e| BackupError::Damaged(path.to_path_buf(), e.to_string()))?
        .try_get(0)?;
    if check != "ok" {
        return Err(BackupError::Damaged(path.to_path_buf(), check).into());
    }
    let has_schema: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&store.pool)
    .await?;
    if has_schema.is_none() {
        return Err(
            BackupError::Incompatible(path.to_path_buf(), "no uppsikt schema".into()).into(),
        );
    }
    store
        .migrate()
        .await
        .map_err(|e| BackupError::Incompatible(path.to_path_buf(), e.to_string()))?;
    store.pool.close().await;
    Ok(temp)
}
