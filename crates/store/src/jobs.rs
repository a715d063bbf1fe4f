//! Background jobs (report builds, imports) as rows, so that any app process can run,
//! follow and serve them, and a restart loses none.
//!
//! A job is started `waiting`; a worker in some `serve` process claims it (PostgreSQL:
//! `SELECT … FOR UPDATE SKIP LOCKED` in a short transaction that sets the lease; SQLite: a
//! conditional `UPDATE` whose affected rows tell who won), renews its lease while it works
//! and writes the progress to the row; a job whose lease lapsed (its process died) is
//! taken over by another worker. Finishing is conditional on still holding the lease, and
//! an import seals its job in the transaction of its data ([`Writer::seal_job`]), so
//! nothing runs twice to completion. Times are Unix milliseconds of the caller's clock.
//!
//! The caps of [`JobLimits`] are checked when a job starts, in one transaction that
//! serialises starts (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock).

use sqlx::Row;

use crate::{Backend, Result, Store, Writer};

/// How long a finished job is kept, in milliseconds.
pub const JOB_KEEP_MS: i64 = 3_600_000;
/// How often a job is claimed at most: a job whose process dies this often fails.
pub const JOB_MAX_ATTEMPTS: i64 = 3;

/// The advisory lock that serialises job starts on PostgreSQL (any fixed number).
const START_LOCK: i64 = 22_0019;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Waiting,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Waiting => "waiting",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<JobStatus> {
        [
            JobStatus::Waiting,
            JobStatus::Running,
            JobStatus::Done,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// Waiting or running: counts against the running caps and is never forgotten.
    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Waiting | JobStatus::Running)
    }
}

/// The caps of one kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobLimits {
    /// Jobs of one user waiting or running at once.
    pub running_per_user: usize,
    /// Jobs waiting or running at once, in all.
    pub running: usize,
    /// Jobs of one user kept (the oldest finished forgotten first).
    pub kept_per_user: usize,
    pub kept: usize,
    /// Bytes of finished jobs' results kept in all.
    pub kept_bytes: usize,
}

/// Why a job was not started (nothing was).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRefused {
    /// The user has this many jobs waiting or running already.
    UserBusy(usize),
    /// This many jobs wait or run already.
    ServerBusy(usize),
}

/// A job to start.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// A random token made by the caller.
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub title: String,
    pub back: String,
    /// JSON.
    pub params: String,
    /// The file the job needs, if any.
    pub input: Option<Vec<u8>>,
    /// What its page says while it waits.
    pub phase: String,
}

/// A job as its page sees it (without its file and result bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub title: String,
    pub back: String,
    pub params: String,
    pub state: JobStatus,
    pub phase: String,
    pub done: i64,
    pub total: i64,
    pub cancel_requested: bool,
    pub result_name: Option<String>,
    pub result_type: Option<String>,
    /// The size of the result's bytes.
    pub result_size: i64,
    pub result_json: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub lease_owner: Option<String>,
    pub attempts: i64,
    pub committed: bool,
}

/// A job a worker has claimed: what it needs to run it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub owner: String,
    pub params: String,
    pub input: Option<Vec<u8>>,
    /// 1 the first time it is claimed.
    pub attempts: i64,
    /// An import whose data a previous worker committed: only its row is left to finish.
    pub committed: bool,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// Done with a file (a report): its bytes, name, content type and a JSON note.
    File {
        name: String,
        content_type: String,
        bytes: Vec<u8>,
        json: String,
    },
    /// Done, failed or cancelled with a JSON summary or list of errors.
    Json { state: JobStatus, json: String },
}

const ROW_COLUMNS: &str = "id, kind, owner, title, back, params, state, phase, progress_done, \
     progress_total, cancel_requested, result_name, result_type, \
     CAST(COALESCE(LENGTH(result), 0) AS BIGINT) AS result_size, result_json, created_at, started_at, \
     finished_at, lease_owner, attempts, committed";

fn job_row(r: &sqlx::any::AnyRow) -> Result<JobRow> {
    let state: String = r.try_get("state")?;
    Ok(JobRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        owner: r.try_get("owner")?,
        title: r.try_get("title")?,
        back: r.try_get("back")?,
        params: r.try_get("params")?,
        state: JobStatus::parse(&state)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("job state {state}")))?,
        phase: r.try_get("phase")?,
        done: r.try_get("progress_done")?,
        total: r.try_get("progress_total")?,
        cancel_requested: r.try_get::<i64, _>("cancel_requested")? != 0,
        result_name: r.try_get("result_name")?,
        result_type: r.try_get("result_type")?,
        result_size: r.try_get::<Option<i64>, _>("result_size")?.unwrap_or(0),
        result_json: r.try_get("result_json")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        lease_owner: r.try_get("lease_owner")?,
        attempts: r.try_get("attempts")?,
        committed: r.try_get::<i64, _>("committed")? != 0,
    })
}

/// A transaction that serialises with every other start and finish of jobs.
async fn serialised(store: &Store) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    match store.backend {
        Backend::Sqlite => Ok(store.pool.begin_with("BEGIN IMMEDIATE").await?),
        Backend::Postgres => {
            let mut tx = store.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(START_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// Forgets the finished job of `kind` that finished first (of `owner` if given, never
/// `except`); `false` if there is none.
async fn forget_oldest_finished(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    owner: Option<&str>,
    except: &str,
) -> Result<bool> {
    let sql = format!(
        "SELECT id FROM jobs WHERE kind = $1 AND finished_at IS NOT NULL AND id <> $2{} \
         ORDER BY finished_at, created_at LIMIT 1",
        if owner.is_some() {
            " AND owner = $3"
        } else {
            ""
        }
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql)
        .bind(kind)
        .bind(except);
    if let Some(owner) = owner {
        q = q.bind(owner);
    }
    let oldest = q.fetch_optional(&mut *conn).await?;
    let Some(id) = oldest else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// How many jobs of `kind` (of `owner` if given; only waiting or running ones if
/// `active`) there are.
async fn count(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    owner: Option<&str>,
    active: bool,
) -> Result<usize> {
    let sql = format!(
        "SELECT COUNT(*) FROM jobs WHERE kind = $1{}{}",
        if owner.is_some() {
            " AND owner = $2"
        } else {
            ""
        },
        if active {
            " AND state IN ('waiting', 'running')"
        } else {
            ""
        }
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(kind);
    if let Some(owner) = owner {
        q = q.bind(owner);
    }
    Ok(q.fetch_one(&mut *conn).await? as usize)
}

impl Store {
    /// Starts `job` (`waiting`) unless a running cap of `limits` is reached: then nothing
    /// is written and the refusal says which. Makes room by forgetting the oldest finished
    /// jobs of its kind (the owner's first when their count is full); forgets jobs
    /// finished more than [`JOB_KEEP_MS`] ago.
    pub async fn start_job(
        &self,
        job: &NewJob,
        limits: &JobLimits,
        now: i64,
    ) -> Result<std::result::Result<(), JobRefused>> {
        let mut tx = serialised(self).await?;
        sqlx::query("DELETE FROM jobs WHERE finished_at < $1")
            .bind(now - JOB_KEEP_MS)
            .execute(&mut *tx)
            .await?;
        let mine = count(&mut tx, &job.kind, Some(&job.owner), true).await?;
        if mine >= limits.running_per_user {
            return Ok(Err(JobRefused::UserBusy(mine)));
        }
        let all = count(&mut tx, &job.kind, None, true).await?;
        if all >= limits.running {
            return Ok(Err(JobRefused::ServerBusy(all)));
        }
        while count(&mut tx, &job.kind, Some(&job.owner), false).await? >= limits.kept_per_user {
            if !forget_oldest_finished(&mut tx, &job.kind, Some(&job.owner), "").await? {
                break;
            }
        }
        while count(&mut tx, &job.kind, None, false).await? >= limits.kept {
            if !forget_oldest_finished(&mut tx, &job.kind, None, "").await? {
                break;
            }
        }
        sqlx::query(
            "INSERT INTO jobs (id, kind, owner, title, back, params, input, state, phase, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8, $9)",
        )
        .bind(&job.id)
        .bind(&job.kind)
        .bind(&job.owner)
        .bind(&job.title)
        .bind(&job.back)
        .bind(&job.params)
        .bind(job.input.clone())
        .bind(&job.phase)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The job, unless it is unknown or was finished more than [`JOB_KEEP_MS`] before `now`.
    pub async fn job(&self, id: &str, now: i64) -> Result<Option<JobRow>> {
        let row = sqlx::query(&format!("SELECT {ROW_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let job = job_row(&row)?;
        Ok(job
            .finished_at
            .is_none_or(|at| at >= now - JOB_KEEP_MS)
            .then_some(job))
    }

    /// The bytes of a finished job's file.
    pub async fn job_file(&self, id: &str) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT result FROM jobs WHERE id = $1 AND state = 'done'")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Claims the oldest job of `kind` that waits, or runs under a lease that lapsed
    /// before `now` and is not `worker`'s own, for `worker` until `now + lease_ms`. `None`
    /// when there is none (or another worker won it).
    pub async fn claim_job(
        &self,
        kind: &str,
        worker: &str,
        lease_ms: i64,
        now: i64,
    ) -> Result<Option<ClaimedJob>> {
        let claimable = "kind = $1 AND attempts < $2 AND (state = 'waiting' OR (state = 'running' \
             AND lease_until < $3 AND lease_owner <> $4))";
        let claim = "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1, started_at = COALESCE(started_at, $3) WHERE id = $4";
        let id = match self.backend {
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let id: Option<String> = sqlx::query_scalar(&format!(
                    "SELECT id FROM jobs WHERE {claimable} ORDER BY created_at LIMIT 1 \
                     FOR UPDATE SKIP LOCKED"
                ))
                .bind(kind)
                .bind(JOB_MAX_ATTEMPTS)
                .bind(now)
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                sqlx::query(claim)
                    .bind(worker)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                id
            }
            Backend::Sqlite => {
                let candidates: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT id FROM jobs WHERE {claimable} ORDER BY created_at LIMIT 8"
                ))
                .bind(kind)
                .bind(JOB_MAX_ATTEMPTS)
                .bind(now)
                .bind(worker)
                .fetch_all(&self.pool)
                .await?;
                let mut won = None;
                for id in candidates {
                    // The same condition again: of two claimers, one changes the row.
                    let changed = sqlx::query(&format!(
                        "{claim} AND attempts < $5 AND (state = 'waiting' OR (state = 'running' \
                         AND lease_until < $3 AND lease_owner <> $1))"
                    ))
                    .bind(worker)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(&id)
                    .bind(JOB_MAX_ATTEMPTS)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    if changed == 1 {
                        won = Some(id);
                        break;
                    }
                }
                let Some(id) = won else {
                    return Ok(None);
                };
                id
            }
        };
        let row = sqlx::query(
            "SELECT id, kind, owner, params, input, attempts, committed FROM jobs WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(ClaimedJob {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            owner: row.try_get("owner")?,
            params: row.try_get("params")?,
            input: row.try_get("input")?,
            attempts: row.try_get("attempts")?,
            committed: row.try_get::<i64, _>("committed")? != 0,
        }))
    }

    /// Renews `worker`'s lease on the job until `now + lease_ms` and writes its progress
    /// (phase, done, total) when given. `None` when the worker no longer holds the job
    /// (taken over, or finished); else whether cancelling was asked for.
    pub async fn job_heartbeat(
        &self,
        id: &str,
        worker: &str,
        lease_ms: i64,
        now: i64,
        progress: Option<(&str, i64, i64)>,
    ) -> Result<Option<bool>> {
        let with_progress = "UPDATE jobs SET lease_until = $3, phase = $4, progress_done = $5, \
             progress_total = $6 WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
        let lease_only = "UPDATE jobs SET lease_until = $3 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
        let changed = match progress {
            Some((phase, done, total)) => sqlx::query(with_progress)
                .bind(id)
                .bind(worker)
                .bind(now + lease_ms)
                .bind(phase)
                .bind(done)
                .bind(total),
            None => sqlx::query(lease_only)
                .bind(id)
                .bind(worker)
                .bind(now + lease_ms),
        }
        .execute(&self.pool)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let cancel: i64 = sqlx::query_scalar("SELECT cancel_requested FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(cancel != 0))
    }

    /// Finishes the job with `outcome` if `worker` still holds it (else `false`, nothing
    /// written). Drops its input, then forgets the oldest other finished jobs of its kind
    /// while the kept results hold more than `kept_bytes`.
    pub async fn finish_job(
        &self,
        id: &str,
        worker: &str,
        outcome: JobOutcome,
        kept_bytes: usize,
        now: i64,
    ) -> Result<bool> {
        let (state, name, content_type, bytes, json) = match outcome {
            JobOutcome::File {
                name,
                content_type,
                bytes,
                json,
            } => (
                JobStatus::Done,
                Some(name),
                Some(content_type),
                Some(bytes),
                json,
            ),
            JobOutcome::Json { state, json } => (state, None, None, None, json),
        };
        let kept =
            bytes.as_ref().map_or(0, Vec::len) + name.as_ref().map_or(0, String::len) + json.len();
        let mut tx = serialised(self).await?;
        let changed = sqlx::query(
            "UPDATE jobs SET state = $3, result = $4, result_name = $5, result_type = $6, \
             result_json = $7, kept_bytes = $8, finished_at = $9, input = NULL, \
             lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(state.code())
        .bind(bytes)
        .bind(name)
        .bind(content_type)
        .bind(json)
        .bind(kept as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let kind: String = sqlx::query_scalar("SELECT kind FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        loop {
            let held: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(SUM(kept_bytes) AS BIGINT) FROM jobs WHERE kind = $1",
            )
            .bind(&kind)
            .fetch_one(&mut *tx)
            .await?;
            if held.unwrap_or(0) as usize <= kept_bytes
                || !forget_oldest_finished(&mut tx, &kind, None, id).await?
            {
                break;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Asks the job to stop: a waiting job is cancelled at once (with `json` as its
    /// result), a running one sees the flag at its worker's next heartbeat. Nothing for a
    /// finished job.
    pub async fn cancel_job(&self, id: &str, json: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, result_json = $2, \
             finished_at = $3, input = NULL WHERE id = $1 AND state = 'waiting'",
        )
        .bind(id)
        .bind(json)
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1 AND state = 'running'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes jobs finished more than [`JOB_KEEP_MS`] before `now`, and fails (with
    /// `json`) jobs whose last allowed worker died: claimed [`JOB_MAX_ATTEMPTS`] times,
    /// lease lapsed. Returns how many were removed.
    pub async fn purge_jobs(&self, json: &str, now: i64) -> Result<u64> {
        sqlx::query(
            "UPDATE jobs SET state = 'failed', result_json = $1, finished_at = $2, input = NULL, \
             lease_owner = NULL, lease_until = NULL \
             WHERE state = 'running' AND attempts >= $3 AND lease_until < $2",
        )
        .bind(json)
        .bind(now)
        .bind(JOB_MAX_ATTEMPTS)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query("DELETE FROM jobs WHERE finished_at < $1")
            .bind(now - JOB_KEEP_MS)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// Who runs a job: what an import needs to seal its job in its own transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSeal {
    pub id: String,
    pub worker: String,
}

impl Writer {
    /// Marks the job's data as committed in this writer's transaction, if `seal.worker`
    /// still holds the job, no one committed it before and no one asked to cancel it:
    /// `false` otherwise (then the caller rolls back). Once this transaction commits, the
    /// job never runs again.
    pub async fn seal_job(&mut self, seal: &JobSeal) -> Result<bool> {
        let changed = sqlx::query(
            "UPDATE jobs SET committed = 1 WHERE id = $1 AND lease_owner = $2 \
             AND state = 'running' AND committed = 0 AND cancel_requested = 0",
        )
        .bind(&seal.id)
        .bind(&seal.worker)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Whether cancelling the job was asked for, as this transaction sees it.
    pub async fn job_cancel_requested(&mut self, id: &str) -> Result<bool> {
        let flag: Option<i64> =
            sqlx::query_scalar("SELECT cancel_requested FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(flag.unwrap_or(0) != 0)
    }
}
