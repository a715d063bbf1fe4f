//! Accounts, sessions and period locks.
//!
//! Account and lock changes go through the [`Writer`] like every other change, so they are
//! logged (a password hash never is). Sessions and failed sign-in counters are
//! bookkeeping, not data a board decides on: they are written directly and do not bump
//! the data version.

use std::collections::HashMap;

use serde::Serialize;
use uppsikt_domain::access::{Principal, Role};
use uppsikt_domain::model::{Id, PeriodLock};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::publication::Decisions;
use uppsikt_domain::Period;

use crate::write::{now, Bind, Writer};
use crate::{Result, Store, StoreError};

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// For editors: the units they edit (each with its children).
    pub units: Vec<Id>,
    pub disabled: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub oidc_subject: Option<String>,
    pub failed_logins: i64,
    /// RFC 3339 time until which sign-in is refused after too many failures.
    pub locked_until: Option<String>,
    /// How many waits in a row the account has had (each doubles the next).
    pub lock_level: i64,
    /// RFC 3339 time of the last failed sign-in.
    pub last_failed_at: Option<String>,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            role: self.role,
            units: self.units.clone(),
        }
    }

    /// The account's own sign-in counter (failures from browsers it has not signed in from).
    pub fn sign_in_counter(&self) -> SignInCounter {
        SignInCounter {
            failures: self.failed_logins,
            level: self.lock_level,
            locked_until: self.locked_until.clone(),
            last_failed_at: self.last_failed_at.clone(),
        }
    }
}

/// Failed sign-ins of one account, or of one account in one browser. The web layer
/// decides the policy; the store keeps the counter and changes it only as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInCounter {
    /// Failures in the current round.
    pub failures: i64,
    /// How many waits in a row.
    pub level: i64,
    /// RFC 3339: no sign-in is tried before this time.
    pub locked_until: Option<String>,
    /// RFC 3339: the last failure.
    pub last_failed_at: Option<String>,
}

/// Whose counter: the account's, or the account's in a browser it has signed in from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInKey<'a> {
    Account(Id),
    Device { user_id: Id, device_hash: &'a str },
}

/// How many browsers an account is remembered in (the most recently used are kept).
pub const DEVICES_PER_USER: i64 = 20;

/// What a new account needs.
#[derive(Debug, Clone, Serialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub units: Vec<Id>,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub oidc_subject: Option<String>,
}

/// A signed-in session, found by the hash of its cookie's token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: String,
}

type UserRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<String>,
    i64,
    Option<String>,
);

enum Key<'a> {
    Id(Id),
    Text(&'a str),
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.password_hash, \
     u.oidc_subject, u.disabled, u.failed_logins, u.locked_until, u.lock_level, u.last_failed_at";

impl Store {
    async fn user_where(&self, condition: &str, value: Key<'_>) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE {condition}");
        let q = sqlx::query_as(&sql);
        let q = match value {
            Key::Id(id) => q.bind(id),
            Key::Text(text) => q.bind(text),
        };
        let row: Option<UserRow> = q.fetch_optional(&self.pool).await?;
        match row {
            Some(row) => Ok(Some(self.user_from_row(row).await?)),
            None => Ok(None),
        }
    }

    async fn user_from_row(&self, row: UserRow) -> Result<User> {
        let (
            id,
            username,
            display_name,
            role,
            hash,
            subject,
            disabled,
            failed,
            locked,
            level,
            last_failed,
        ) = row;
        let role =
            Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("user role {role}")))?;
        let units: Vec<i64> =
            sqlx::query_scalar("SELECT org_id FROM user_units WHERE user_id = $1 ORDER BY org_id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(User {
            id,
            username,
            display_name,
            role,
            units,
            disabled: disabled != 0,
            password_hash: hash,
            oidc_subject: subject,
            failed_logins: failed,
            locked_until: locked,
            lock_level: level,
            last_failed_at: last_failed,
        })
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        self.user_where("u.username = $1", Key::Text(username))
            .await
    }

    /// The account with this id, if it exists.
    pub async fn user_by_id(&self, id: Id) -> Result<Option<User>> {
        self.user_where("u.id = $1", Key::Id(id)).await
    }

    pub async fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<User>> {
        self.user_where("u.oidc_subject = $1", Key::Text(subject))
            .await
    }

    /// Every account, by user name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.user_from_row(row).await?);
        }
        Ok(out)
    }

    /// The counter of an account in a browser it has signed in from before; `None` when
    /// this browser is unknown for the account.
    pub async fn device_counter(
        &self,
        user_id: Id,
        device_hash: &str,
    ) -> Result<Option<SignInCounter>> {
        let row: Option<(i64, i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT failed_logins, lock_level, locked_until, last_failed_at FROM sign_in_devices \
             WHERE device_hash = $1 AND user_id = $2",
        )
        .bind(device_hash)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(failures, level, locked_until, last_failed_at)| SignInCounter {
                failures,
                level,
                locked_until,
                last_failed_at,
            },
        ))
    }

    /// The counter as stored now (`None`: the account or the browser is gone).
    pub async fn sign_in_counter(&self, key: SignInKey<'_>) -> Result<Option<SignInCounter>> {
        match key {
            SignInKey::Account(id) => Ok(self
                .user_where("u.id = $1", Key::Id(id))
                .await?
                .map(|u| u.sign_in_counter())),
            SignInKey::Device {
                user_id,
                device_hash,
            } => self.device_counter(user_id, device_hash).await,
        }
    }

    /// Replaces the counter with `new` if it is still `old` (compare and set), so that
    /// sign-ins at the same moment never lose a failure; false when another came first.
    pub async fn swap_sign_in_counter(
        &self,
        key: SignInKey<'_>,
        old: &SignInCounter,
        new: &SignInCounter,
    ) -> Result<bool> {
        let (table, condition) = match key {
            SignInKey::Account(_) => ("users", "id = $9"),
            SignInKey::Device { .. } => ("sign_in_devices", "user_id = $9 AND device_hash = $10"),
        };
        let sql = format!(
            "UPDATE {table} SET failed_logins = $1, lock_level = $2, locked_until = $3, last_failed_at = $4 \
             WHERE {condition} AND failed_logins = $5 AND lock_level = $6 \
             AND COALESCE(locked_until, '') = $7 AND COALESCE(last_failed_at, '') = $8"
        );
        let q = sqlx::query(&sql)
            .bind(new.failures)
            .bind(new.level)
            .bind(new.locked_until.clone())
            .bind(new.last_failed_at.clone())
            .bind(old.failures)
            .bind(old.level)
            .bind(old.locked_until.clone().unwrap_or_default())
            .bind(old.last_failed_at.clone().unwrap_or_default());
        let q = match key {
            SignInKey::Account(id) => q.bind(id),
            SignInKey::Device {
                user_id,
                device_hash,
            } => q.bind(user_id).bind(device_hash),
        };
        Ok(q.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// A successful sign-in: the counter starts again from nothing.
    pub async fn reset_sign_in_counter(&self, key: SignInKey<'_>) -> Result<()> {
        const RESET: &str =
            "SET failed_logins = 0, lock_level = 0, locked_until = NULL, last_failed_at = NULL";
        match key {
            SignInKey::Account(id) => {
                sqlx::query(&format!("UPDATE users {RESET} WHERE id = $1"))
                    .bind(id)
                    .execute(&self.pool)
                    .await?
            }
            SignInKey::Device {
                user_id,
                device_hash,
            } => {
                sqlx::query(&format!(
                    "UPDATE sign_in_devices {RESET} WHERE user_id = $1 AND device_hash = $2"
                ))
                .bind(user_id)
                .bind(device_hash)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(())
    }

    /// Remembers that the account signed in from this browser at `now` (RFC 3339): its
    /// failures count on their own from now on. Only the [`DEVICES_PER_USER`] most
    /// recently used browsers of an account are kept.
    pub async fn trust_device(&self, user_id: Id, device_hash: &str, now: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_devices (device_hash, user_id, last_used_at) VALUES ($1, $2, $3) \
             ON CONFLICT (device_hash, user_id) DO UPDATE SET last_used_at = $3, \
             failed_logins = 0, lock_level = 0, locked_until = NULL, last_failed_at = NULL",
        )
        .bind(device_hash)
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "DELETE FROM sign_in_devices WHERE user_id = $1 AND device_hash NOT IN \
             (SELECT device_hash FROM sign_in_devices WHERE user_id = $1 \
              ORDER BY last_used_at DESC, device_hash LIMIT $2)",
        )
        .bind(user_id)
        .bind(DEVICES_PER_USER)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: Id,
        csrf_token: &str,
        expires_at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired and its account is active.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT s.csrf_token, s.expires_at, s.user_id FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some((csrf_token, expires_at, user_id)) = row else {
            return Ok(None);
        };
        let user = self.user_where("u.id = $1", Key::Id(user_id)).await?;
        Ok(user.map(|user| Session {
            user,
            csrf_token,
            expires_at,
        }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Removes the expired sessions of one account (done at each of its sign-ins).
    pub async fn delete_expired_sessions_of(&self, user_id: Id) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
                .bind(user_id)
                .bind(now())
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Forgets browsers not used to sign in since `before` (RFC 3339); returns how many.
    pub async fn delete_devices_unused_since(&self, before: &str) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM sign_in_devices WHERE last_used_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Period locks, of one unit or of all, newest period first.
    pub async fn period_locks(&self, org_id: Option<Id>) -> Result<Vec<PeriodLock>> {
        let rows: Vec<LockRow> = sqlx::query_as(
            "SELECT org_id, period, body, decided_on, paragraph, diary_number, locked_by, locked_at \
             FROM period_locks WHERE $1 < 0 OR org_id = $1",
        )
        .bind(org_id.unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?;
        let mut locks = rows
            .into_iter()
            .map(lock_from_row)
            .collect::<Result<Vec<_>>>()?;
        locks.sort_by_key(|l| std::cmp::Reverse(l.period));
        Ok(locks)
    }

    /// The unit itself, then its parent, up to the root.
    pub async fn org_chain(&self, org_id: Id) -> Result<Vec<Id>> {
        let parents: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, parent_id FROM org_units")
                .fetch_all(&self.pool)
                .await?;
        chain(&parents.into_iter().collect(), org_id)
    }

    /// The locks that bind the unit: its own and its ancestors', newest period first.
    pub async fn locks_over(&self, org_id: Id) -> Result<Vec<PeriodLock>> {
        let decisions = self.decisions().await?;
        let mut locks: Vec<PeriodLock> = decisions.over(org_id).cloned().collect();
        locks.sort_by_key(|l| std::cmp::Reverse(l.period.last_day_number()));
        Ok(locks)
    }

    /// The decision (on the unit or an ancestor) that covers `period`, if any.
    pub async fn lock_covering(&self, org_id: Id, period: Period) -> Result<Option<PeriodLock>> {
        Ok(self.decisions().await?.covering(org_id, period).cloned())
    }

    /// Every recorded decision and the organisation tree: what is public and what is
    /// frozen (`uppsikt_domain::publication`).
    pub async fn decisions(&self) -> Result<Decisions> {
        let mut conn = self.pool.acquire().await?;
        load_decisions(&mut conn).await
    }
}

/// Every decision and the unit tree, read through one connection (a transaction's own, so a
/// writer sees the decisions it has just recorded).
pub(crate) async fn load_decisions(conn: &mut sqlx::AnyConnection) -> Result<Decisions> {
    let decisions = load_decisions_where(conn, "1 = 1").await?;
    Ok(decisions.with_plans(crate::plan::load_plans(conn).await?))
}

/// As [`load_decisions`], of the decisions whose comparison figures are frozen (all but
/// those recorded before this was done at the decision, until the store freezes them).
pub(crate) async fn load_frozen_decisions(conn: &mut sqlx::AnyConnection) -> Result<Decisions> {
    load_decisions_where(conn, "comparisons_frozen = 1").await
}

async fn load_decisions_where(
    conn: &mut sqlx::AnyConnection,
    condition: &'static str,
) -> Result<Decisions> {
    let parents: Vec<(i64, Option<i64>)> = sqlx::query_as("SELECT id, parent_id FROM org_units")
        .fetch_all(&mut *conn)
        .await?;
    let rows: Vec<LockRow> = sqlx::query_as(&format!(
        "SELECT org_id, period, body, decided_on, paragraph, diary_number, locked_by, locked_at \
         FROM period_locks WHERE {condition}"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let locks = rows
        .into_iter()
        .map(lock_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Decisions::new(locks, parents.into_iter().collect()))
}

type LockRow = (i64, String, String, String, String, String, String, String);

fn lock_from_row(row: LockRow) -> Result<PeriodLock> {
    let (org_id, period, body, decided_on, paragraph, diary_number, locked_by, locked_at) = row;
    Ok(PeriodLock {
        org_id,
        period: Period::parse(&period)
            .map_err(|_| StoreError::Corrupt(format!("lock period {period}")))?,
        body,
        decided_on,
        paragraph,
        diary_number,
        locked_by,
        locked_at,
    })
}

fn chain(parents: &HashMap<Id, Option<Id>>, org_id: Id) -> Result<Vec<Id>> {
    let mut out = vec![org_id];
    let mut at = org_id;
    while let Some(parent) = parents
        .get(&at)
        .ok_or_else(|| StoreError::not_found("org_unit", at))?
    {
        if out.contains(parent) {
            return Err(StoreError::Corrupt(format!("org unit cycle at {parent}")));
        }
        out.push(*parent);
        at = *parent;
    }
    Ok(out)
}

impl Writer {
    pub(crate) async fn lock_index(&mut self) -> Result<&Decisions> {
        if self.locks.is_none() {
            // PostgreSQL: a decision being recorded in another transaction (its INSERT
            // takes ROW EXCLUSIVE) makes this wait until it commits, and a decision cannot
            // be recorded while this transaction may still write under the old state. On
            // SQLite the writer already holds the database's one write lock.
            if self.backend == crate::Backend::Postgres {
                sqlx::query("LOCK TABLE period_locks IN SHARE MODE")
                    .execute(&mut *self.tx)
                    .await?;
                // The same for decisions on plans (`crate::plan`).
                sqlx::query("LOCK TABLE plan_decisions IN SHARE MODE")
                    .execute(&mut *self.tx)
                    .await?;
            }
            let decisions = load_decisions(&mut self.tx).await?;
            self.locks = Some(decisions);
        }
        Ok(self.locks.get_or_insert_with(Decisions::default))
    }

    pub(crate) async fn has_locks(&mut self) -> Result<bool> {
        Ok(!self.lock_index().await?.is_empty())
    }

    /// The decisions as this transaction sees them (the one rule of
    /// `uppsikt_domain::publication`).
    pub async fn decisions(&mut self) -> Result<Decisions> {
        Ok(self.lock_index().await?.clone())
    }

    /// Refuses a change to data of `org_id` for `period` when a decision covers it.
    pub async fn ensure_unlocked(&mut self, org_id: Id, period: Period) -> Result<()> {
        let index = self.lock_index().await?;
        if index.is_empty() {
            return Ok(());
        }
        match index.covering(org_id, period) {
            Some(lock) => Err(StoreError::Locked(Box::new(lock.clone()))),
            None => Ok(()),
        }
    }

    /// Refuses a change to data of `org_id` dated `date` (ISO) when a decision covers it.
    pub async fn ensure_day_unlocked(&mut self, org_id: Id, date: &str) -> Result<()> {
        match self.lock_index().await?.covering_day(org_id, date) {
            Some(lock) => Err(StoreError::Locked(Box::new(lock.clone()))),
            None => Ok(()),
        }
    }

    /// The unit itself, then its parent, up to the root, as this transaction sees them.
    pub async fn org_chain(&mut self, org_id: Id) -> Result<Vec<Id>> {
        let parents: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, parent_id FROM org_units")
                .fetch_all(&mut *self.tx)
                .await?;
        chain(&parents.into_iter().collect(), org_id)
    }

    pub(crate) async fn org_of_goal(&mut self, goal_id: Id) -> Result<Id> {
        let org: Option<i64> = sqlx::query_scalar("SELECT org_id FROM goals WHERE id = $1")
            .bind(goal_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        org.ok_or_else(|| StoreError::not_found("goal", goal_id))
    }

    pub(crate) async fn org_of_commitment(&mut self, commitment_id: Id) -> Result<Id> {
        let org: Option<i64> = sqlx::query_scalar(
            "SELECT g.org_id FROM commitments c JOIN goals g ON g.id = c.goal_id WHERE c.id = $1",
        )
        .bind(commitment_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        org.ok_or_else(|| StoreError::not_found("commitment", commitment_id))
    }

    pub(crate) async fn org_of_indicator(&mut self, indicator_id: Id) -> Result<Id> {
        let org: Option<i64> = sqlx::query_scalar(
            "SELECT g.org_id FROM indicators i JOIN goals g ON g.id = i.goal_id WHERE i.id = $1",
        )
        .bind(indicator_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        org.ok_or_else(|| StoreError::not_found("indicator", indicator_id))
    }

    /// Refuses a change to an indicator's data for any of `periods` that is locked.
    pub async fn ensure_indicator_unlocked(
        &mut self,
        indicator_id: Id,
        periods: impl IntoIterator<Item = Period>,
    ) -> Result<()> {
        if self.lock_index().await?.is_empty() {
            return Ok(());
        }
        let org = self.org_of_indicator(indicator_id).await?;
        for p in periods {
            self.ensure_unlocked(org, p).await?;
        }
        Ok(())
    }

    /// Creates an account (logged without its password hash).
    pub async fn add_user(&mut self, user: &NewUser) -> Result<Id> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(&user.username)
            .fetch_optional(&mut *self.tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate(format!("user {}", user.username)));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, oidc_subject, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.key())
        .bind(&user.password_hash)
        .bind(&user.oidc_subject)
        .bind(now())
        .fetch_one(&mut *self.tx)
        .await?;
        self.insert_units(id, &user.units).await?;
        let after = serde_json::to_value(user).ok();
        self.log("create", "user", Some(id), None, after).await?;
        Ok(id)
    }

    async fn insert_units(&mut self, user_id: Id, units: &[Id]) -> Result<()> {
        for org in units {
            self.execute(
                "INSERT INTO user_units (user_id, org_id) VALUES ($1, $2)",
                vec![Bind::Int(user_id), Bind::Int(*org)],
            )
            .await?;
        }
        Ok(())
    }

    /// Sets a new password hash; the log records that it changed, never the hash. Every
    /// session of the account ends, and a lock-out is lifted.
    pub async fn set_password(&mut self, user_id: Id, password_hash: &str) -> Result<()> {
        let n = self
            .execute(
                "UPDATE users SET password_hash = $1, failed_logins = 0, lock_level = 0, \
                 locked_until = NULL, last_failed_at = NULL WHERE id = $2",
                vec![Bind::Text(password_hash.into()), Bind::Int(user_id)],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("user", user_id));
        }
        self.execute(
            "DELETE FROM sessions WHERE user_id = $1",
            vec![Bind::Int(user_id)],
        )
        .await?;
        self.log("set_password", "user", Some(user_id), None, None)
            .await
    }

    /// Disables (or enables) an account; disabling ends its sessions at once.
    pub async fn set_user_disabled(&mut self, user_id: Id, disabled: bool) -> Result<()> {
        let n = self
            .execute(
                "UPDATE users SET disabled = $1 WHERE id = $2",
                vec![Bind::Int(i64::from(disabled)), Bind::Int(user_id)],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::not_found("user", user_id));
        }
        if disabled {
            self.execute(
                "DELETE FROM sessions WHERE user_id = $1",
                vec![Bind::Int(user_id)],
            )
            .await?;
        }
        let after = serde_json::json!({ "disabled": disabled });
        self.log("set_disabled", "user", Some(user_id), None, Some(after))
            .await
    }

    /// Records a board's decision and locks the period.
    pub async fn lock_period(&mut self, lock: &PeriodLock) -> Result<()> {
        let p = lock.period.to_string();
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT org_id FROM period_locks WHERE org_id = $1 AND period = $2")
                .bind(lock.org_id)
                .bind(&p)
                .fetch_optional(&mut *self.tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate(format!("lock {p}")));
        }
        let lock_id = self.insert_returning_id(
            "INSERT INTO period_locks (org_id, period, body, decided_on, paragraph, diary_number, locked_by, locked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                Bind::Int(lock.org_id),
                Bind::Text(p),
                Bind::Text(lock.body.clone()),
                Bind::Text(lock.decided_on.clone()),
                Bind::Text(lock.paragraph.clone()),
                Bind::Text(lock.diary_number.clone()),
                Bind::Text(lock.locked_by.clone()),
                Bind::Text(lock.locked_at.clone()),
            ],
        )
        .await?;
        self.locks = None;
        self.freeze_comparisons(lock_id, lock).await?;
        let after = serde_json::to_value(lock).ok();
        self.log("lock", "period", Some(lock.org_id), None, after)
            .await
    }

    /// Reopens a locked period; the reason and the lock it lifts are logged.
    pub async fn reopen_period(&mut self, org_id: Id, period: Period, reason: &str) -> Result<()> {
        let p = period.to_string();
        let row: Option<LockRow> = sqlx::query_as(
            "SELECT org_id, period, body, decided_on, paragraph, diary_number, locked_by, locked_at \
             FROM period_locks WHERE org_id = $1 AND period = $2",
        )
        .bind(org_id)
        .bind(&p)
        .fetch_optional(&mut *self.tx)
        .await?;
        let lock = lock_from_row(row.ok_or_else(|| StoreError::not_found("period_lock", &p))?)?;
        self.execute(
            "DELETE FROM period_locks WHERE org_id = $1 AND period = $2",
            vec![Bind::Int(org_id), Bind::Text(p.clone())],
        )
        .await?;
        self.locks = None;
        let before = serde_json::to_value(&lock).ok();
        let after = serde_json::json!({ "period": p, "reason": reason });
        self.log("reopen", "period", Some(org_id), before, Some(after))
            .await
    }
}

impl Store {
    /// The organisation unit that owns an object of `kind`.
    pub async fn owning_unit(&self, kind: ObjectKind, id: Id) -> Result<Id> {
        let sql = crate::kinds::owning_unit_sql(kind);
        let org: Option<i64> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        org.ok_or_else(|| StoreError::NotFound {
            kind: "object",
            id: format!("{} {id}", kind.log_type()),
        })
    }
}
