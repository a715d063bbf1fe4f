//! Signing in and out with a local account.
//!
//! - **One answer.** An unknown user name, a wrong password, an account that must wait and
//!   a disabled account all get [`messages::sign_in_failed`], byte for byte, after one
//!   argon2 verification each (against a dummy hash where there is no real one), so neither
//!   the words nor the time tell them apart.
//! - **Per-account back-off** ([`BackOff`]): the first [`FREE_FAILURES`] failures in a row
//!   cost nothing; then each further round waits twice as long as the one before (1, 2, 4,
//!   8 minutes), never longer than [`MAX_WAIT_MINUTES`]. A wait that has passed gives a new
//!   round of free attempts, so one typo after a wait never locks again; an hour without
//!   failures forgets everything, and so does a successful sign-in.
//! - **Devices.** A browser in which an account has signed in gets a long-lived cookie
//!   ([`DEVICE_COOKIE`], stored as a hash). Failures from that browser count on their own
//!   counter, not the account's, so strangers guessing the password can make new browsers
//!   wait but never the owner's own browser: nobody can keep a person out indefinitely.
//! - **Per client address** ([`LoginLimiter`]): at most a set number of attempts a minute
//!   (429 beyond), in a table of fixed size. The address is the peer's, or behind a
//!   configured reverse proxy the first untrusted address of `X-Forwarded-For` read from
//!   the right ([`client_address`]).

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uppsikt_domain::messages;
use uppsikt_store::{SignInCounter, SignInKey};

use super::password::{random_token, token_hash, verify_dummy, verify_password};
use super::{cookie_value, Viewer, DEVICE_COOKIE, SESSION_COOKIE, SESSION_SECONDS};
use crate::error::{Query, Result};
use crate::forms::{Errors, Field, FieldKind, Form, FormPage, Input, NAME_MAX};
use crate::AppState;

/// Failures in a row that cost no wait.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait after failures (the first is one minute, each next one twice as long).
pub const MAX_WAIT_MINUTES: i64 = 15;
/// Without a failure for this long, an account's (or browser's) failures are forgotten.
pub const FORGET_AFTER_MINUTES: i64 = 60;
/// How long a browser stays known after its last successful sign-in.
pub const DEVICE_DAYS: i64 = 180;
const PASSWORD_MAX_CHARS: usize = 1024;
const PASSWORD_MAX_BYTES: usize = 4096;
/// The longest `next` path followed after sign-in (longer ones go to the start page).
pub const NEXT_MAX: usize = 2048;

// --- client address --------------------------------------------------------------------

/// An address or a CIDR range (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`), as given to
/// `--trusted-proxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<IpRange, String> {
        let wrong = || messages::not_an_address_range(s);
        let text = s.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr = canonical(addr.parse::<IpAddr>().map_err(|_| wrong())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse::<u8>().map_err(|_| wrong())?
            }
            Some(_) => return Err(wrong()),
            None => max,
        };
        if prefix > max {
            return Err(wrong());
        }
        Ok(IpRange { addr, prefix })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// IPv4 addresses arriving as IPv4-mapped IPv6 (`::ffff:192.0.2.7`) are IPv4 addresses.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The most `X-Forwarded-For` entries read (from the right); a longer chain is cut there.
const FORWARDED_MAX: usize = 32;

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`192.0.2.7:4711`,
/// `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the
/// `X-Forwarded-For` chain is read from the right, skipping trusted proxies, and the first
/// other address is the client. An entry that is no address stops the walk at the last
/// trusted hop (never an address a client could choose).
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpRange],
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Read from the right, lazily: a long header costs no more than FORWARDED_MAX entries.
    let headers: Vec<&str> = forwarded_for.collect();
    let mut client = peer;
    for entry in headers
        .iter()
        .rev()
        .flat_map(|v| v.rsplit(','))
        .take(FORWARDED_MAX)
    {
        match forwarded_address(entry) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    return ip;
                }
            }
            None => return client,
        }
    }
    client
}

/// The client's address, as [`client_address`] finds it.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<ClientIp, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientIp(client_address(
            peer,
            forwarded,
            &state.trusted_proxies,
        )))
    }
}

// --- attempts per client address ---------------------------------------------------------

const LIMITER_ROWS: usize = 2;
const LIMITER_WIDTH: usize = 4096;

/// Sign-in attempts per client address and minute, in fixed memory: a count-min sketch of
/// [`LIMITER_ROWS`] × [`LIMITER_WIDTH`] cells, each row indexed by its own keyed hash
/// (SipHash with random keys) of the address (IPv6: its /64, which one host usually has
/// whole). An address's count is the smallest of its cells, so addresses that share cells
/// are counted too high, never too low: collisions make the limit stricter, not looser,
/// and nothing is ever cleared for everyone.
pub struct LoginLimiter {
    per_minute: u32,
    keys: [std::collections::hash_map::RandomState; LIMITER_ROWS],
    started: Instant,
    /// (minute the count belongs to, attempts in it)
    cells: Mutex<Vec<(u64, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> LoginLimiter {
        LoginLimiter {
            per_minute,
            keys: Default::default(),
            started: Instant::now(),
            cells: Mutex::new(vec![(0, 0); LIMITER_ROWS * LIMITER_WIDTH]),
        }
    }

    /// Counts an attempt; false when the address has used up its minute.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let minute = self.started.elapsed().as_secs() / 60;
        self.allow_at(ip, minute)
    }

    fn allow_at(&self, ip: IpAddr, minute: u64) -> bool {
        let key: u64 = match canonical(ip) {
            IpAddr::V4(v4) => u64::from(u32::from(v4)),
            // The /64 prefix, marked so it cannot equal an IPv4 key.
            IpAddr::V6(v6) => (u128::from(v6) >> 64) as u64 ^ (1 << 63),
        };
        let Ok(mut cells) = self.cells.lock() else {
            return false;
        };
        let mut count = u32::MAX;
        for (row, hasher) in self.keys.iter().enumerate() {
            let index = row * LIMITER_WIDTH + (hasher.hash_one(key) as usize) % LIMITER_WIDTH;
            let cell = &mut cells[index];
            if cell.0 != minute {
                *cell = (minute, 0);
            }
            cell.1 = cell.1.saturating_add(1);
            count = count.min(cell.1);
        }
        count <= self.per_minute
    }
}

// --- where to go after signing in ----------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// Only a path on this site is followed after sign-in: it starts with one `/` (not `//`
/// or `/\`), has no `\`, no control character and no whitespace anywhere (browsers drop
/// tabs and line breaks from a URL, which would turn `/<TAB>/evil.example` into
/// `//evil.example`), and is at most [`NEXT_MAX`] bytes. Anything else goes to `/`.
/// Letters outside ASCII are percent-encoded, so the `Location` header is plain ASCII.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else {
        return "/".into();
    };
    let bytes = n.as_bytes();
    let local = n.len() <= NEXT_MAX
        && bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !n
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if !local {
        return "/".into();
    }
    let mut out = String::with_capacity(n.len());
    for c in n.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
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
        intro: Some(messages::SIGN_IN_INTRO.into()),
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
        .map_err(|e| crate::error::AppError::Internal(format!("sign-in page body: {e}")))?;
    let href = format!(
        "/login/oidc?{}",
        serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
    );
    let link = format!(
        "<p class=\"sso\"><a class=\"button secondary\" href=\"{}\">Logga in med organisationens konto</a></p>",
        uppsikt_report::html::escape(&href)
    );
    let html = String::from_utf8_lossy(&html).replace(AFTER_FORM, &link);
    Ok(Response::from_parts(parts, axum::body::Body::from(html)))
}

// --- what was typed when the session had expired --------------------------------------------

/// The field that asks for a form to be shown again with what was typed, not saved.
pub const RESUME: &str = "resume";
/// The sign-in form's field with the address a carried form was sent to.
pub const RESUME_TO: &str = "resume_to";
/// The prefix of a carried field's name in the sign-in form: `typed.{n}.{name}`, `n`
/// keeping the form's order.
const TYPED_PREFIX: &str = "typed.";

/// The address a form sent without a session may be sent to again after signing in: a
/// path on this site as [`safe_next`] admits it (no `//host`, no scheme, no `\`, nothing
/// but ASCII), not the start page and not signing in or out. `None`: refused.
pub fn resume_address(path: &str) -> Option<String> {
    let local = safe_next(Some(path)) == path && path != "/";
    let own = ["/login", "/logout"].iter().any(|p| {
        path == *p || path.starts_with(&format!("{p}?")) || path.starts_with(&format!("{p}/"))
    });
    (local && !own).then(|| path.to_string())
}

/// The fields of a form that travel through signing in again: never its CSRF token (the
/// new session has its own), the resume marker, or anything that names a password.
pub fn carried(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .filter(|(name, _)| {
            name != "csrf" && name != RESUME && !name.to_lowercase().contains("password")
        })
        .collect()
}

/// A form sent without a session, carried through the sign-in page: where it was sent
/// and its fields, in order. Nothing of it is stored on the server.
pub struct Typed {
    to: String,
    fields: Vec<(String, String)>,
}

/// The sign-in page (401) for a form sent without a session: a message that what was typed
/// is kept, and the form's fields as hidden inputs of the sign-in form (escaped).
pub fn typed_sign_in(to: &str, fields: &[(String, String)]) -> Response {
    let typed = Typed {
        to: to.to_string(),
        fields: fields.to_vec(),
    };
    match typed.sign_in_page(page("/")) {
        Ok(mut response) => {
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        Err(e) => e.into_response(),
    }
}

#[derive(askama::Template)]
#[template(path = "typed.html")]
struct TypedPage<'a> {
    title: &'static str,
    intro: &'static str,
    heading: &'static str,
    show: &'static str,
    save: &'static str,
    empty: &'static str,
    to: &'a str,
    csrf: &'a str,
    /// The fields to show (not the version).
    shown: Vec<(&'a str, &'a str)>,
    fields: &'a [(String, String)],
}

impl Typed {
    /// The carried form in a sign-in POST, if any. A carried form whose address is not
    /// ours ([`resume_address`]) is refused (400) as a whole.
    fn from_sign_in(input: &Input) -> Result<Option<Typed>> {
        let mut numbered: Vec<(usize, String, String)> = input
            .iter()
            .filter_map(|(k, v)| {
                let (n, name) = k.strip_prefix(TYPED_PREFIX)?.split_once('.')?;
                Some((n.parse().ok()?, name.to_string(), v.clone()))
            })
            .collect();
        let Some(to) = input.get(RESUME_TO) else {
            return Ok(None);
        };
        let Some(to) = resume_address(to) else {
            return Err(crate::error::AppError::Refused(
                StatusCode::BAD_REQUEST,
                messages::forms::RESUME_ADDRESS_REFUSED.into(),
            ));
        };
        numbered.sort_by_key(|(n, _, _)| *n);
        let fields = carried(numbered.into_iter().map(|(_, k, v)| (k, v)).collect());
        Ok(Some(Typed { to, fields }))
    }

    /// The sign-in page with the carried form in it.
    fn sign_in_page(&self, page: FormPage) -> Result<Response> {
        use askama::Template;
        let escape = uppsikt_report::html::escape;
        let hidden: String = std::iter::once((RESUME_TO.to_string(), self.to.clone()))
            .chain(
                self.fields
                    .iter()
                    .enumerate()
                    .map(|(n, (k, v))| (format!("{TYPED_PREFIX}{n}.{k}"), v.clone())),
            )
            .map(|(k, v)| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape(&k),
                    escape(&v)
                )
            })
            .collect();
        let notice = format!(
            "<div class=\"working\" role=\"alert\"><p>{}</p></div>",
            escape(messages::forms::SESSION_EXPIRED_TYPED)
        );
        let status = if page.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        let html = page
            .render()?
            .replace(crate::forms::NOTICE_MARKER, &notice)
            .replace(crate::forms::HIDDEN_MARKER, &hidden);
        Ok((status, no_store(), axum::response::Html(html)).into_response())
    }

    /// After signing in: what was typed, with the choice to see the form with it or to
    /// save it; both send it to its address with the new session's CSRF token.
    fn confirmation(&self, viewer: &Viewer, csrf: &str) -> Result<Response> {
        use askama::Template;
        let page = TypedPage {
            title: messages::forms::TYPED_TITLE,
            intro: messages::forms::TYPED_INTRO,
            heading: messages::forms::TYPED_HEADING,
            show: messages::forms::SHOW_TYPED,
            save: messages::forms::SAVE_TYPED,
            empty: messages::forms::TYPED_EMPTY,
            to: &self.to,
            csrf,
            shown: self
                .fields
                .iter()
                .filter(|(k, _)| k != crate::forms::VERSION_FIELD)
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            fields: &self.fields,
        };
        let html = page
            .render()?
            .replace(super::USER_MARKER, &viewer.user_bar())
            .replace(super::NAV_MARKER, &viewer.nav())
            .replace(super::FOOTER_MARKER, &viewer.footer());
        Ok((no_store(), axum::response::Html(html)).into_response())
    }
}

/// What was typed is not kept by any cache.
fn no_store() -> [(header::HeaderName, &'static str); 1] {
    [(header::CACHE_CONTROL, "no-store")]
}

// --- back-off --------------------------------------------------------------------------------

/// An RFC 3339 time in whole seconds (as the sign-in counters store it).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn parse_time(t: Option<&str>) -> Option<OffsetDateTime> {
    t.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

/// The back-off rule, applied to an account's or a browser's [`SignInCounter`].
pub struct BackOff;

impl BackOff {
    /// Whether sign-in must wait at `now` (no password is tried then).
    pub fn waiting(counter: &SignInCounter, now: OffsetDateTime) -> bool {
        parse_time(counter.locked_until.as_deref()).is_some_and(|until| until > now)
    }

    /// The wait that the `level`-th wait in a row lasts: 1, 2, 4, 8, then 15 minutes.
    pub fn wait(level: i64) -> time::Duration {
        let minutes = 1i64
            .checked_shl(level.clamp(0, 62) as u32)
            .unwrap_or(i64::MAX)
            .min(MAX_WAIT_MINUTES);
        time::Duration::minutes(minutes)
    }

    /// The counter after a failure at `now`.
    pub fn after_failure(counter: &SignInCounter, now: OffsetDateTime) -> SignInCounter {
        let mut c = counter.clone();
        let last = parse_time(c.last_failed_at.as_deref());
        let until = parse_time(c.locked_until.as_deref());
        if last.is_none_or(|t| now - t >= time::Duration::minutes(FORGET_AFTER_MINUTES)) {
            // A quiet hour: everything is forgotten.
            c = SignInCounter::default();
        } else if until.is_some_and(|u| u <= now) {
            // The wait has passed: a new round of free attempts (the level is kept).
            c.failures = 0;
            c.locked_until = None;
        }
        c.failures += 1;
        c.last_failed_at = Some(rfc3339(now));
        if c.failures >= FREE_FAILURES {
            c.locked_until = Some(rfc3339(now + Self::wait(c.level)));
            c.level = (c.level + 1).min(16);
        }
        c
    }
}

// --- signing in ----------------------------------------------------------------------------

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
    Form(input): Form<Input>,
) -> Result<Response> {
    let next = safe_next(q.next.as_deref());
    // What a form carried here when it was sent without a session: refused as a whole if
    // its address is not one of ours, before any password is tried.
    let carried = Typed::from_sign_in(&input)?;
    let mut e = Errors::default();
    let username = e.text(&input, "username", NAME_MAX);
    let password = input.get("password").cloned().unwrap_or_default();
    if password.is_empty() {
        e.add("password", messages::REQUIRED);
    } else if password.chars().count() > PASSWORD_MAX_CHARS {
        e.add("password", messages::too_long(PASSWORD_MAX_CHARS));
    } else if password.len() > PASSWORD_MAX_BYTES {
        e.add("password", messages::password_too_long(PASSWORD_MAX_BYTES));
    }
    // The password is never shown again; the user name is.
    let redisplay = |e: Errors| {
        let mut shown = input.clone();
        shown.remove("password");
        let page = e.apply(page(&next).fill(&shown));
        match &carried {
            Some(typed) => typed.sign_in_page(page),
            None => page.render_page(),
        }
    };
    let redisplay = |e: Errors| async {
        match carried.is_some() {
            true => redisplay(e),
            false => with_sso(&state, &next, redisplay(e)?).await,
        }
    };
    let Some(username) = username.filter(|_| e.is_empty()) else {
        return redisplay(e).await;
    };
    if !state.login_limiter.allow(ip) {
        let mut e = Errors::default();
        e.add("username", messages::TOO_MANY_SIGN_INS_FROM_HERE);
        let mut response = redisplay(e).await?;
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(response);
    }
    let device = cookie_value(&headers, DEVICE_COOKIE).filter(|t| is_token(t));
    let device_hash = device.as_deref().map(token_hash);
    match check(&state, &username, password, device_hash.as_deref()).await? {
        Some(user_id) => {
            // The browser is known for this account from now on (a new one gets a cookie).
            let device = device.unwrap_or_else(random_token);
            state
                .store
                .trust_device(
                    user_id,
                    &token_hash(&device),
                    &rfc3339(OffsetDateTime::now_utc()),
                )
                .await?;
            let (token, csrf) = new_session(&state, user_id).await?;
            let mut response = match &carried {
                Some(typed) => {
                    // The page is the first of the new session: its header shows who is
                    // signed in.
                    let viewer = match state.store.session(&token_hash(&token)).await? {
                        Some(s) => Viewer {
                            principal: s.user.principal(),
                            user: Some(s.user),
                            csrf: Some(csrf.clone()),
                            token_hash: None,
                        },
                        None => Viewer::public(),
                    };
                    typed.confirmation(&viewer, &csrf)?
                }
                None => Redirect::to(&safe_next(Some(&next))).into_response(),
            };
            append_cookie(&mut response, &session_cookie(&token, SESSION_SECONDS));
            append_cookie(&mut response, &device_cookie(&device));
            Ok(response)
        }
        None => {
            tracing::info!(username, client = %ip, "failed sign-in");
            let mut e = Errors::default();
            e.add("password", messages::sign_in_failed(MAX_WAIT_MINUTES));
            redisplay(e).await
        }
    }
}

/// 64 hex digits, as [`random_token`] makes them.
fn is_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn verify_blocking(hash: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&hash, &password),
        None => {
            verify_dummy(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// The account's id if the sign-in succeeds. Every way to fail spends one argon2
/// verification and gives the same answer.
async fn check(
    state: &AppState,
    username: &str,
    password: String,
    device_hash: Option<&str>,
) -> Result<Option<i64>> {
    let now = OffsetDateTime::now_utc();
    let user = state.store.user_by_name(username).await?;
    let Some(user) = user.filter(|u| !u.disabled && u.password_hash.is_some()) else {
        verify_blocking(None, password).await;
        return Ok(None);
    };
    let device_counter = match device_hash {
        Some(d) => state.store.device_counter(user.id, d).await?,
        None => None,
    };
    let (key, counter) = match (device_hash, device_counter) {
        (Some(device_hash), Some(counter)) => (
            SignInKey::Device {
                user_id: user.id,
                device_hash,
            },
            counter,
        ),
        _ => (SignInKey::Account(user.id), user.sign_in_counter()),
    };
    if BackOff::waiting(&counter, now) {
        verify_blocking(None, password).await;
        return Ok(None);
    }
    if verify_blocking(user.password_hash.clone(), password).await {
        state.store.reset_sign_in_counter(key).await?;
        return Ok(Some(user.id));
    }
    record_failure(state, key, counter, now).await?;
    Ok(None)
}

/// Counts a failure on the counter, retrying when a simultaneous attempt changed it first.
async fn record_failure(
    state: &AppState,
    key: SignInKey<'_>,
    mut counter: SignInCounter,
    now: OffsetDateTime,
) -> Result<()> {
    for _ in 0..8 {
        let next = BackOff::after_failure(&counter, now);
        if state
            .store
            .swap_sign_in_counter(key, &counter, &next)
            .await?
        {
            return Ok(());
        }
        match state.store.sign_in_counter(key).await? {
            Some(current) => counter = current,
            None => return Ok(()),
        }
    }
    tracing::warn!("sign-in counter kept changing; one failure not counted");
    Ok(())
}

// --- sessions ----------------------------------------------------------------------------------

fn session_cookie(value: &str, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

fn device_cookie(value: &str) -> String {
    format!(
        "{DEVICE_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
        DEVICE_DAYS * 24 * 60 * 60
    )
}

/// Adds a `Set-Cookie` header to a response (cookie values here are always ASCII).
pub(crate) fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Starts a session for the account and sends the browser to `next`; the account's
/// expired sessions are removed on the way.
pub async fn start_session(state: &AppState, user_id: i64, next: &str) -> Result<Response> {
    let (token, _) = new_session(state, user_id).await?;
    let mut response = Redirect::to(&safe_next(Some(next))).into_response();
    append_cookie(&mut response, &session_cookie(&token, SESSION_SECONDS));
    Ok(response)
}

/// A new session for the account: its token (for the cookie) and its CSRF token. The
/// account's expired sessions are removed on the way.
async fn new_session(state: &AppState, user_id: i64) -> Result<(String, String)> {
    state.store.delete_expired_sessions_of(user_id).await?;
    let token = random_token();
    let csrf = random_token();
    let expires = (OffsetDateTime::now_utc() + time::Duration::seconds(SESSION_SECONDS))
        .format(&Rfc3339)
        .unwrap_or_default();
    state
        .store
        .create_session(&token_hash(&token), user_id, &csrf, &expires)
        .await?;
    Ok((token, csrf))
}

pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    if let Some(hash) = &viewer.token_hash {
        state.store.delete_session(hash).await?;
    }
    let mut response = Redirect::to("/").into_response();
    append_cookie(&mut response, &session_cookie("", 0));
    Ok(response)
}

/// Removes expired sessions and browsers unused for [`DEVICE_DAYS`] days.
pub async fn purge(store: &uppsikt_store::Store) -> uppsikt_store::Result<(u64, u64)> {
    let sessions = store.delete_expired_sessions().await?;
    let stale = rfc3339(OffsetDateTime::now_utc() - time::Duration::days(DEVICE_DAYS));
    let devices = store.delete_devices_unused_since(&stale).await?;
    Ok((sessions, devices))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/goals/3?period=2019")),
            "/goals/3?period=2019"
        );
        assert_eq!(safe_next(Some("/sök?q=å")), "/s%C3%B6k?q=%C3%A5");
        for hostile in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " //evil.example",
            "/ /evil.example",
            "/x\\y",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "\t//evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(NEXT_MAX)))), "/");
        assert_eq!(safe_next(None), "/");
    }

    proptest! {
        /// Whatever `next` is, a browser that follows the `Location` stays on this site:
        /// resolved as a browser resolves it (the WHATWG URL parser, which also drops tabs
        /// and line breaks), it has this site's origin.
        #[test]
        fn the_redirect_after_sign_in_stays_on_the_site(next in prop_oneof![
            any::<String>(),
            "[/\\\\\t\n\r .:@%a-z0-9?#]{0,12}",
            "/[\\x00-\\x20/\\\\]{0,3}evil\\.example",
        ]) {
            let location = safe_next(Some(&next));
            prop_assert!(location.starts_with('/'));
            prop_assert!(HeaderValue::from_str(&location).is_ok());
            let base = reqwest::Url::parse("https://uppsikt.kommun.se/login?next=x").unwrap();
            let target = base.join(&location).unwrap();
            prop_assert_eq!(target.origin(), base.origin(), "{:?} -> {:?}", next, location);
        }
    }

    #[test]
    fn the_limiter_counts_per_address_and_minute() {
        let l = LoginLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.allow_at(a, 0) && l.allow_at(a, 0) && l.allow_at(a, 0));
        assert!(!l.allow_at(a, 0));
        assert!(l.allow_at(b, 0));
        assert!(l.allow_at(a, 1), "a new minute");
    }

    /// Main cleared every count once 10,000 addresses had tried, so an attacker with
    /// enough addresses freed its own.
    #[test]
    fn many_other_addresses_never_free_a_limited_one() {
        let l = LoginLimiter::new(20);
        let a: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..20 {
            assert!(l.allow(a));
        }
        assert!(!l.allow(a));
        for i in 0..20_000u32 {
            l.allow(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)));
        }
        assert!(!l.allow(a), "still limited after 20,000 other addresses");
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64_prefix() {
        let l = LoginLimiter::new(2);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.allow_at(one, 0) && l.allow_at(same_64, 0));
        assert!(!l.allow_at(one, 0) && !l.allow_at(same_64, 0));
        assert!(l.allow_at(other_64, 0));
    }

    #[test]
    fn ranges_parse_and_match() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains("10.200.3.4".parse().unwrap()));
        assert!(r.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!r.contains("11.0.0.1".parse().unwrap()));
        let one: IpRange = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()));
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "proxy",
        ] {
            let e = bad.parse::<IpRange>().unwrap_err();
            assert!(e.contains("ingen IP-adress"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_client_is_the_first_untrusted_address_from_the_right() {
        let trusted: Vec<IpRange> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let at = |peer, xff: &[&str]| client_address(peer, xff.iter().copied(), &trusted);
        // Not from a trusted proxy: the header is ignored.
        assert_eq!(at(stranger, &["198.51.100.1"]), stranger);
        // From the proxy: the client it saw, not what the client claimed before it.
        assert_eq!(
            at(proxy, &["1.2.3.4, 198.51.100.1"]),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            at(proxy, &["1.2.3.4", "198.51.100.1, 10.0.0.3"]),
            "198.51.100.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            at(proxy, &["[2001:db8::1]:4711"]),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        // Garbage stops at the last trusted hop; no header: the proxy itself.
        assert_eq!(
            at(proxy, &["unknown, 10.0.0.3"]),
            "10.0.0.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(at(proxy, &[]), proxy);
    }

    fn at(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::minutes(minutes)
    }

    /// Fails `n` times at minute `t`, each a second apart.
    fn fail(c: &SignInCounter, t: i64, n: usize) -> SignInCounter {
        let mut c = c.clone();
        for i in 0..n {
            let now = at(t) + time::Duration::seconds(i as i64);
            assert!(!BackOff::waiting(&c, now));
            c = BackOff::after_failure(&c, now);
        }
        c
    }

    #[test]
    fn waits_grow_from_one_minute_to_fifteen_and_no_further() {
        let waits: Vec<i64> = (0..8).map(|l| BackOff::wait(l).whole_minutes()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 15, 15, 15, 15]);
        assert_eq!(BackOff::wait(i64::MAX).whole_minutes(), 15);
        // Four failures cost nothing; the fifth makes the account wait a minute.
        let c = fail(&SignInCounter::default(), 0, 4);
        assert!(!BackOff::waiting(&c, at(0) + time::Duration::seconds(5)));
        let c = fail(&c, 0, 1);
        assert!(BackOff::waiting(&c, at(0) + time::Duration::seconds(59)));
        assert!(!BackOff::waiting(&c, at(2)));
        // Each further round waits twice as long, never more than 15 minutes.
        let (mut c, mut t) = (c, 2);
        for expected in [2, 4, 8, 15, 15, 15] {
            c = fail(&c, t, 5);
            let until = parse_time(c.locked_until.as_deref()).unwrap();
            let last = parse_time(c.last_failed_at.as_deref()).unwrap();
            assert_eq!((until - last).whole_minutes(), expected);
            t += expected + 1;
        }
    }

    /// Main kept the count after a lock ended, so one typo locked the account again.
    #[test]
    fn after_a_wait_one_typo_does_not_lock_again() {
        let c = fail(&SignInCounter::default(), 0, 5);
        assert!(BackOff::waiting(&c, at(0) + time::Duration::seconds(30)));
        let c = fail(&c, 2, 1);
        assert!(!BackOff::waiting(&c, at(2) + time::Duration::seconds(1)));
        assert_eq!(c.failures, 1, "a new round");
        assert_eq!(c.level, 1, "the next wait is longer");
    }

    #[test]
    fn a_quiet_hour_forgets_every_failure() {
        let c = fail(&SignInCounter::default(), 0, 5);
        let c = fail(&c, 2, 5);
        assert_eq!(c.level, 2);
        let c = fail(&c, 2 + 2 + 61, 1);
        assert_eq!((c.failures, c.level), (1, 0));
        assert!(c.locked_until.is_none());
    }
}
