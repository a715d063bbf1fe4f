//! Personal API tokens (migration 0021): what a signed-in person makes for a script, a BI
//! tool or Excel. The store keeps the SHA-256 of the secret, never the secret; the web
//! layer makes the secret and shows it once.
//!
//! Creating and revoking a token go through the [`Writer`] and the change log. A token's
//! use is bookkeeping, like a session's: [`Store::note_api_token_use`] writes directly,
//! at most once a minute per token, without moving the data version.

use serde::Serialize;
use uppsikt_domain::model::Id;

use crate::jobs::now_ms;
use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError, User};

/// At most this many live (neither expired nor revoked) tokens per person.
pub const LIVE_TOKENS_PER_USER: i64 = 20;
/// A token is valid at most this many days from its creation.
pub const MAX_TOKEN_DAYS: i64 = 365;
/// A token's use is recorded at most once per this many milliseconds.
pub const USE_RECORD_EVERY_MS: i64 = 60_000;
/// The uses of a person's tokens shown on their page (newest first).
pub const USES_SHOWN: i64 = 50;

/// What a token allows besides what its owner's role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenScope {
    /// GET and HEAD of the API and of the pages the owner may read.
    Read,
    /// As [`TokenScope::Read`], and the outcome import (`POST /api/v1/outcomes/import`).
    ReadImport,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::Read, TokenScope::ReadImport];

    pub fn key(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadImport => "read_import",
        }
    }

    pub fn parse(key: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            TokenScope::Read => "Läsa",
            TokenScope::ReadImport => "Läsa och importera utfall",
        }
    }
}

/// A stored token (without its secret, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub scope: TokenScope,
    pub prefix: String,
    /// Unix milliseconds, as every time of a token.
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// Minutes in which it was used (a use is recorded at most once a minute).
    pub use_count: i64,
}

impl ApiToken {
    /// Neither revoked nor expired at `now_ms`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now_ms
    }
}

/// A new token: its hash and display prefix come from the web layer, which made the secret.
#[derive(Debug, Clone, Serialize)]
pub struct NewApiToken {
    pub user_id: Id,
    pub name: String,
    pub scope: TokenScope,
    #[serde(skip)]
    pub secret_hash: String,
    pub prefix: String,
    pub expires_at: i64,
}

/// One recorded use of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenUse {
    pub token_id: Id,
    pub token_name: String,
    pub at: i64,
    pub method: String,
    pub path: String,
}

/// Why a token could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRefusal {
    /// The person already has [`LIVE_TOKENS_PER_USER`] live tokens.
    TooMany,
    /// The expiry is not in the future, or more than [`MAX_TOKEN_DAYS`] away.
    Expiry,
}

type TokenRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
);

const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.name, t.scope, t.prefix, t.created_at, \
     t.expires_at, t.revoked_at, t.last_used_at, t.use_count";

fn token_from_row(row: TokenRow) -> Result<ApiToken> {
    let (id, user_id, name, scope, prefix, created_at, expires_at, revoked_at, last_used_at, n) =
        row;
    Ok(ApiToken {
        id,
        user_id,
        name,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::Corrupt(format!("token scope {scope}")))?,
        prefix,
        created_at,
        expires_at,
        revoked_at,
        last_used_at,
        use_count: n,
    })
}

impl Store {
    /// A person's tokens, newest first.
    pub async fn api_tokens_of(&self, user_id: Id) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.user_id = $1 \
             ORDER BY t.created_at DESC, t.id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(token_from_row).collect()
    }

    /// The live token whose secret hashes to `secret_hash`, with its owner, if the owner's
    /// account is enabled. One indexed lookup by the hash (the `UNIQUE` index): the time
    /// taken does not depend on how much of a guessed secret is right.
    pub async fn api_token_by_hash(&self, secret_hash: &str) -> Result<Option<(ApiToken, User)>> {
        let row: Option<TokenRow> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
             AND u.disabled = 0"
        ))
        .bind(secret_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(token) = row.map(token_from_row).transpose()? else {
            return Ok(None);
        };
        let user = self.user_by_id(token.user_id).await?;
        Ok(user.map(|u| (token, u)))
    }

    /// Records a use of the token at most once per [`USE_RECORD_EVERY_MS`]: the first use in
    /// a minute moves `last_used_at`, counts one and adds a row to the owner's list of uses;
    /// later uses in that minute write nothing. `true` when this use was recorded.
    pub async fn note_api_token_use(&self, token_id: Id, method: &str, path: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1, use_count = use_count + 1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(now)
        .bind(token_id)
        .bind(now - USE_RECORD_EVERY_MS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        // The path as asked (bounded: it is the client's), without its query.
        let path: String = path.chars().take(200).collect();
        sqlx::query(
            "INSERT INTO api_token_uses (token_id, at, method, path) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_id)
        .bind(now)
        .bind(method)
        .bind(path)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The latest recorded uses of a person's tokens, newest first.
    pub async fn api_token_uses_of(&self, user_id: Id) -> Result<Vec<ApiTokenUse>> {
        let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
            "SELECT u.token_id, t.name, u.at, u.method, u.path FROM api_token_uses u \
             JOIN api_tokens t ON t.id = u.token_id WHERE t.user_id = $1 \
             ORDER BY u.at DESC, u.id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(USES_SHOWN)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(token_id, token_name, at, method, path)| ApiTokenUse {
                token_id,
                token_name,
                at,
                method,
                path,
            })
            .collect())
    }
}

impl Writer {
    /// Stores a new token (logged without its hash). Refused when the person already has
    /// [`LIVE_TOKENS_PER_USER`] live tokens, or the expiry is not within
    /// [`MAX_TOKEN_DAYS`] from now.
    pub async fn create_api_token(
        &mut self,
        token: &NewApiToken,
    ) -> Result<std::result::Result<Id, TokenRefusal>> {
        let now = now_ms();
        if token.expires_at <= now || token.expires_at > now + (MAX_TOKEN_DAYS + 1) * 86_400_000 {
            return Ok(Err(TokenRefusal::Expiry));
        }
        // PostgreSQL: two creations at once by the same person both count the same rows
        // unless the account row is locked first (SQLite's writer holds the write lock).
        if self.backend == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(token.user_id)
                .execute(&mut *self.tx)
                .await?;
        }
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(token.user_id)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        if live >= LIVE_TOKENS_PER_USER {
            return Ok(Err(TokenRefusal::TooMany));
        }
        let id = self
            .insert_returning_id(
                "INSERT INTO api_tokens (user_id, name, scope, secret_hash, prefix, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    Bind::Int(token.user_id),
                    Bind::Text(token.name.clone()),
                    Bind::Text(token.scope.key().into()),
                    Bind::Text(token.secret_hash.clone()),
                    Bind::Text(token.prefix.clone()),
                    Bind::Int(now),
                    Bind::Int(token.expires_at),
                ],
            )
            .await?;
        let after = serde_json::to_value(token).ok();
        self.log("create", "api_token", Some(id), None, after)
            .await?;
        Ok(Ok(id))
    }

    /// Revokes one of `user_id`'s tokens. Another person's token, or none, is not found
    /// (nothing changes); revoking a revoked token changes nothing and is not logged again.
    pub async fn revoke_api_token(&mut self, user_id: Id, token_id: Id) -> Result<()> {
        let row: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT name, revoked_at FROM api_tokens WHERE id = $1 AND user_id = $2",
        )
        .bind(token_id)
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some((name, revoked)) = row else {
            return Err(StoreError::not_found("api_token", token_id));
        };
        if revoked.is_some() {
            return Ok(());
        }
        let now = now_ms();
        self.execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3",
            vec![Bind::Int(now), Bind::Int(token_id), Bind::Int(user_id)],
        )
        .await?;
        let after = serde_json::json!({ "name": name, "revoked_at": now });
        self.log("revoke", "api_token", Some(token_id), None, Some(after))
            .await
    }
}
