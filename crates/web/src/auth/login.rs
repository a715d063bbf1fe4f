//! Signing in and out with a local account.
//!
//! Wrong user name and wrong password get the same answer in the same time. After
//! [`MAX_FAILURES`] failures in a row an account is locked for [`LOCK_MINUTES`]; each client
//! address may try at most a set number of times a minute (429 beyond that).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::password::{random_token, token_hash, verify_dummy, verify_password};
use super::{Viewer, SESSION_COOKIE, SESSION_SECONDS};
use crate::error::{Query, Result};
use crate::forms::{Errors, Field, FieldKind, Form, FormPage, Input, NAME_MAX};
use crate::AppState;

pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
const PASSWORD_MAX: usize = 1024;
const WRONG: &str = "Fel användarnamn eller lösenord.";

/// Sign-in attempts per client address and minute.
pub struct LoginLimiter {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> LoginLimiter {
        LoginLimiter {
            per_minute,
            seen: Mutex::default(),
        }
    }

    /// Counts an attempt; false when the address has used up its minute.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        if seen.len() > 10_000 {
            seen.clear();
        }
        let now = Instant::now();
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

/// The client's address (the connection's peer).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// Only a path on this site is followed after sign-in.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn page(next: &str) -> FormPage {
    let action = if next == "/" {
        "/login".to_string()
    } else {
        format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        )
    };
    FormPage {
        title: "Logga in".into(),
        intro: Some("Logga in med ditt konto i uppsikt. Utan inloggning ser du bara det som nämnderna har beslutat.".into()),
        action,
        cancel: "/".into(),
        submit: "Logga in".into(),
        crumbs: vec![],
        fields: vec![
            Field::new("username", "Användarnamn", FieldKind::Username).required(),
            Field::new("password", "Lösenord", FieldKind::Password).required(),
        ],
    }
}

pub async fn form(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Result<Response> {
    let next = safe_next(q.next.as_deref());
    with_sso(&state, &next, page(&next).render_page()?).await
}

/// Where a form page may carry more than its fields (the sign-in page's SSO link).
const AFTER_FORM: &str = "<!--uppsikt:after-form-->";

/// Adds "sign in with the organisation's account" below the form when SSO is configured.
async fn with_sso(state: &AppState, next: &str, response: Response) -> Result<Response> {
    if state.oidc.is_none() {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let html = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| crate::error::AppError::BadRequest(e.to_string()))?;
    let href = format!(
        "/login/oidc?{}",
        serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
    );
    let link = format!(
        "<p class=\"sso\"><a class=\"button secondary\" href=\"{}\">Logga in med organisationens konto</a></p>",
        crate::pages::escape(&href)
    );
    let html = String::from_utf8_lossy(&html).replace(AFTER_FORM, &link);
    Ok(Response::from_parts(parts, axum::body::Body::from(html)))
}

fn in_minutes(minutes: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// "kl. 14.35" (UTC+1/+2 is not known here; the time is shown as UTC with its zone).
fn clock(rfc3339: &str) -> String {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .map(|t| format!("kl. {:02}.{:02} (UTC)", t.hour(), t.minute()))
        .unwrap_or_else(|_| rfc3339.into())
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(q): Query<NextQuery>,
    Form(input): Form<Input>,
) -> Result<Response> {
    let next = safe_next(q.next.as_deref());
    let mut e = Errors::default();
    let username = e.text(&input, "username", NAME_MAX);
    let password = input.get("password").cloned().unwrap_or_default();
    if password.is_empty() {
        e.add("password", uppsikt_domain::messages::REQUIRED);
    } else if password.chars().count() > PASSWORD_MAX {
        e.add("password", uppsikt_domain::messages::too_long(PASSWORD_MAX));
    }
    // The password is never shown again; the user name is.
    let redisplay = |e: Errors| {
        let mut shown = input.clone();
        shown.remove("password");
        e.apply(page(&next).fill(&shown)).render_page()
    };
    let redisplay = |e: Errors| async { with_sso(&state, &next, redisplay(e)?).await };
    let Some(username) = username.filter(|_| e.is_empty()) else {
        return redisplay(e).await;
    };
    if !state.login_limiter.allow(ip) {
        let mut response = redisplay({
            let mut e = Errors::default();
            e.add(
                "username",
                "För många inloggningsförsök från din dator. Vänta en minut och försök igen.",
            );
            e
        })
        .await?;
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    match check(&state, &username, password).await? {
        Ok(user_id) => start_session(&state, user_id, &next).await,
        Err(message) => {
            let mut e = Errors::default();
            e.add("password", message);
            redisplay(e).await
        }
    }
}

/// The account's id if the password is right, else the message to show.
async fn check(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<std::result::Result<i64, String>> {
    let user = state.store.user_by_name(username).await?;
    let Some(user) = user.filter(|u| !u.disabled && u.password_hash.is_some()) else {
        let _ = tokio::task::spawn_blocking(move || verify_dummy(&password)).await;
        return Ok(Err(WRONG.into()));
    };
    if let Some(until) = user.locked_until.as_deref().filter(|u| *u > now().as_str()) {
        return Ok(Err(format!(
            "Kontot är spärrat efter för många misslyckade inloggningar, till {}. Försök igen då eller be en administratör sätta ett nytt lösenord.",
            clock(until)
        )));
    }
    let hash = user.password_hash.clone().unwrap_or_default();
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    if ok {
        state.store.record_login(user.id).await?;
        return Ok(Ok(user.id));
    }
    let until = in_minutes(LOCK_MINUTES);
    state
        .store
        .record_failed_login(user.id, MAX_FAILURES, &until)
        .await?;
    tracing::info!(username, "failed sign-in");
    if user.failed_logins + 1 >= MAX_FAILURES {
        return Ok(Err(format!(
            "{WRONG} Kontot är nu spärrat i {LOCK_MINUTES} minuter efter {MAX_FAILURES} misslyckade försök."
        )));
    }
    Ok(Err(WRONG.into()))
}

fn cookie(value: &str, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}")
}

pub async fn start_session(state: &AppState, user_id: i64, next: &str) -> Result<Response> {
    let token = random_token();
    let expires = (OffsetDateTime::now_utc() + time::Duration::seconds(SESSION_SECONDS))
        .format(&Rfc3339)
        .unwrap_or_default();
    state
        .store
        .create_session(&token_hash(&token), user_id, &random_token(), &expires)
        .await?;
    Ok((
        [(header::SET_COOKIE, cookie(&token, SESSION_SECONDS))],
        Redirect::to(next),
    )
        .into_response())
}

pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    if let Some(hash) = &viewer.token_hash {
        state.store.delete_session(hash).await?;
    }
    Ok(([(header::SET_COOKIE, cookie("", 0))], Redirect::to("/")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/goals/3?period=2019")),
            "/goals/3?period=2019"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_limiter_counts_per_address_and_minute() {
        let l = LoginLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.allow(a) && l.allow(a) && l.allow(a));
        assert!(!l.allow(a));
        assert!(l.allow(b));
    }
}
