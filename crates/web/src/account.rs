//! The signed-in person's own pages: `/konto` (the account) and `/konto/api-nycklar`
//! (personal API tokens: list, create, revoke).
//!
//! Guard: signed in in a browser, any role (`auth::require_session`); everything here is
//! the viewer's own: another person's token is not found, and nothing changes.

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use uppsikt_domain::date;
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_store::{
    ApiToken, NewApiToken, TokenRefusal, TokenScope, User, LIVE_TOKENS_PER_USER, MAX_TOKEN_DAYS,
};

use crate::auth::bearer;
use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::forms::{Errors, Form, Input};
use crate::AppState;

/// A token's name: at most this many characters.
const NAME_MAX: usize = 100;
/// The expiry offered for a new token.
const DEFAULT_DAYS: i64 = 90;

fn user_of(viewer: &Viewer) -> Result<&User> {
    // `require_session` let only a signed-in person through.
    viewer.user.as_ref().ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    user: &'a User,
    live: usize,
}

/// `/konto`: who is signed in, and the way to their API tokens.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let user = user_of(&viewer)?;
    let now = uppsikt_store::now_ms();
    let live = state
        .store
        .api_tokens_of(user.id)
        .await?
        .iter()
        .filter(|t| t.is_live(now))
        .count();
    Ok(Html(AccountPage { user, live }.render()?).into_response())
}

/// A moment (Unix milliseconds) as Swedish date and time: `2026-12-06 20:15`.
fn when(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let local = secs + 3600 * date::swedish_utc_offset_hours(secs);
    let t = date::civil_from_unix(local);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

/// Today in Sweden as a day number.
fn today() -> i64 {
    let secs = uppsikt_store::now_ms().div_euclid(1000);
    date::day_number(&date::swedish_date(secs)).unwrap_or(secs.div_euclid(86_400))
}

/// A token chosen to expire on `day` (an ISO date) holds through that day in Sweden: it
/// ends at the following midnight, Swedish time.
fn end_of_day_ms(day: i64) -> i64 {
    let midnight_utc = (day + 1) * 86_400;
    (midnight_utc - 3600 * date::swedish_utc_offset_hours(midnight_utc)) * 1000
}

struct TokenRow {
    id: Id,
    name: String,
    prefix: String,
    scope: &'static str,
    created: String,
    expires: String,
    last_used: String,
    uses: i64,
    status: &'static str,
    live: bool,
}

impl TokenRow {
    fn of(t: &ApiToken, now: i64) -> TokenRow {
        let status = if t.revoked_at.is_some() {
            "Återkallad"
        } else if t.expires_at <= now {
            "Har gått ut"
        } else {
            "Giltig"
        };
        TokenRow {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            scope: t.scope.label_sv(),
            created: when(t.created_at),
            // The last day it holds (it ends at the following midnight).
            expires: when(t.expires_at - 1).chars().take(10).collect(),
            last_used: t.last_used_at.map(when).unwrap_or_default(),
            uses: t.use_count,
            status,
            live: t.is_live(now),
        }
    }
}

struct UseRow {
    token: String,
    at: String,
    method: String,
    path: String,
}

/// The token just made: its secret, shown on this one page and never again.
struct Created {
    name: String,
    secret: String,
}

/// A scope as a radio button of the form.
struct ScopeOption {
    key: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "api_tokens.html")]
struct TokensPage {
    tokens: Vec<TokenRow>,
    uses: Vec<UseRow>,
    created: Option<Created>,
    name: String,
    scope: String,
    expires: String,
    error_name: Option<String>,
    error_scope: Option<String>,
    error_expires: Option<String>,
    min_date: String,
    max_date: String,
    live_limit: i64,
    max_days: i64,
}

impl TokensPage {
    fn has_errors(&self) -> bool {
        self.error_name.is_some() || self.error_scope.is_some() || self.error_expires.is_some()
    }

    fn scopes(&self) -> Vec<ScopeOption> {
        TokenScope::ALL
            .iter()
            .map(|s| ScopeOption {
                key: s.key(),
                label: s.label_sv(),
                checked: s.key() == self.scope,
            })
            .collect()
    }
}

async fn tokens_page(state: &AppState, user: &User) -> Result<TokensPage> {
    let now = uppsikt_store::now_ms();
    let tokens = state.store.api_tokens_of(user.id).await?;
    let uses = state.store.api_token_uses_of(user.id).await?;
    let today = today();
    Ok(TokensPage {
        tokens: tokens.iter().map(|t| TokenRow::of(t, now)).collect(),
        uses: uses
            .into_iter()
            .map(|u| UseRow {
                token: u.token_name,
                at: when(u.at),
                method: u.method,
                path: u.path,
            })
            .collect(),
        created: None,
        name: String::new(),
        scope: TokenScope::Read.key().into(),
        expires: date::from_day_number(today + DEFAULT_DAYS),
        error_name: None,
        error_scope: None,
        error_expires: None,
        min_date: date::from_day_number(today + 1),
        max_date: date::from_day_number(today + MAX_TOKEN_DAYS),
        live_limit: LIVE_TOKENS_PER_USER,
        max_days: MAX_TOKEN_DAYS,
    })
}

/// Every answer of these pages is the viewer's own: never kept by a cache (a new token's
/// secret above all).
fn private(status: StatusCode, page: &TokensPage) -> Result<Response> {
    Ok((
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

/// `/konto/api-nycklar`: the viewer's tokens, their recent uses and the form for a new one.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let user = user_of(&viewer)?;
    let page = tokens_page(&state, user).await?;
    private(StatusCode::OK, &page)
}

/// Makes a token and shows its secret once (200, `no-store`); or the form again (422)
/// with what was typed and the Swedish messages at their fields.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<Input>,
) -> Result<Response> {
    let user = user_of(&viewer)?;
    let mut errors = Errors::default();
    let name = errors.text(&input, "name", NAME_MAX);
    let scope = errors.choice(&input, "scope", TokenScope::parse);
    let today = today();
    let expires = errors.date(&input, "expires").and_then(|d| {
        let day = date::day_number(&d)?;
        if day <= today || day > today + MAX_TOKEN_DAYS {
            errors.add("expires", messages::access::token_expiry(MAX_TOKEN_DAYS));
            return None;
        }
        Some(day)
    });
    let refused = |mut errors: Errors, page: TokensPage| {
        let mut page = page;
        page.name = input.get("name").cloned().unwrap_or_default();
        page.scope = input.get("scope").cloned().unwrap_or_default();
        page.expires = input.get("expires").cloned().unwrap_or_default();
        page.error_name = errors.0.remove("name");
        page.error_scope = errors.0.remove("scope");
        page.error_expires = errors.0.remove("expires");
        private(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    let (Some(name), Some(scope), Some(day), true) = (name, scope, expires, errors.is_empty())
    else {
        return refused(errors, tokens_page(&state, user).await?);
    };
    let secret = bearer::new_secret();
    let new = NewApiToken {
        user_id: user.id,
        name: name.clone(),
        scope,
        secret_hash: secret.hash,
        prefix: secret.prefix,
        expires_at: end_of_day_ms(day),
    };
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    match w.create_api_token(&new).await? {
        Ok(_) => w.commit().await?,
        Err(refusal) => {
            w.rollback().await?;
            let mut errors = Errors::default();
            match refusal {
                TokenRefusal::TooMany => errors.add(
                    "name",
                    messages::access::too_many_tokens(LIVE_TOKENS_PER_USER),
                ),
                TokenRefusal::Expiry => {
                    errors.add("expires", messages::access::token_expiry(MAX_TOKEN_DAYS))
                }
            }
            return refused(errors, tokens_page(&state, user).await?);
        }
    }
    let mut page = tokens_page(&state, user).await?;
    page.created = Some(Created {
        name,
        secret: secret.secret,
    });
    private(StatusCode::OK, &page)
}

/// Revokes one of the viewer's tokens; another person's (or none) is not found and
/// nothing changes.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
) -> Result<Response> {
    let user = user_of(&viewer)?;
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    w.revoke_api_token(user.id, id).await?;
    w.commit().await?;
    Ok(crate::forms::saved("/konto/api-nycklar".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_through_its_last_day_in_sweden() {
        // 2027-01-15 (winter, UTC+1): ends at 2027-01-15 23:00 UTC.
        let day = date::days_from_civil(2027, 1, 15);
        assert_eq!(end_of_day_ms(day), (day * 86_400 + 23 * 3600) * 1000);
        assert_eq!(&when(end_of_day_ms(day) - 1)[..10], "2027-01-15");
        // 2027-07-15 (summer, UTC+2): ends at 22:00 UTC.
        let day = date::days_from_civil(2027, 7, 15);
        assert_eq!(end_of_day_ms(day), (day * 86_400 + 22 * 3600) * 1000);
        assert_eq!(&when(end_of_day_ms(day) - 1)[..10], "2027-07-15");
    }
}
