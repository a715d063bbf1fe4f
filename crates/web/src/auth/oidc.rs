//! Single sign-on with OpenID Connect (Entra ID and the like): the authorization code flow
//! with PKCE, state and nonce. The ID token's signature is checked against the provider's
//! published keys, and its issuer, audience, expiry and nonce are checked. The token's
//! `sub` must belong to an account (`uppsikt user add … --oidc-subject SUB`): signing in
//! through the provider never creates an account or a role by itself.
//!
//! **Bound to the browser.** What a sign-in begun here must remember (state, nonce, PKCE
//! verifier, where to go next) travels in a short-lived `__Host-` cookie
//! ([`OIDC_COOKIE`]), signed (HMAC-SHA256, a key derived from the client secret) so the
//! browser cannot change it. The callback is accepted only when its `state` equals the one
//! in that cookie: a callback carried to another browser (login CSRF: an attacker's own
//! sign-in planted on a victim) finds no cookie, or another state, and is refused. Nothing
//! is kept in the server's memory per sign-in, so a flood of started sign-ins costs no
//! memory, and any of several server processes can finish a sign-in another began.
//!
//! **Cached.** The discovery document and the key set are fetched once and kept for
//! [`METADATA_TTL`] and [`JWKS_TTL`]; a token signed with a key id the cached set does not
//! have makes one refetch of the keys (at most once per [`JWKS_REFETCH_GAP`]), which is how
//! a provider's key rotation is followed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uppsikt_domain::messages;

use super::login::{append_cookie, safe_next, start_session, NextQuery};
use super::password::{constant_time_eq, random_token};
use super::{cookie_value, OIDC_COOKIE};
use crate::error::{AppError, Query, Result};
use crate::AppState;

/// How long a sign-in started at the provider may take.
const PENDING_SECONDS: u64 = 10 * 60;
/// How long the provider's discovery document is used before it is fetched again.
pub const METADATA_TTL: Duration = Duration::from_secs(60 * 60);
/// How long the provider's key set is used before it is fetched again.
pub const JWKS_TTL: Duration = Duration::from_secs(60 * 60);
/// An unknown key id refetches the key set at most this often.
pub const JWKS_REFETCH_GAP: Duration = Duration::from_secs(60);
/// The longest `code` or `state` accepted from the provider.
const PARAM_MAX: usize = 4096;

/// The provider and this server's registration there.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// e.g. `https://login.microsoftonline.com/{tenant}/v2.0`
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This server's callback, e.g. `https://uppsikt.kommun.se/login/oidc/callback`.
    pub redirect_url: String,
}

#[derive(Deserialize, Clone)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// What a sign-in begun in a browser remembers, in that browser's [`OIDC_COOKIE`].
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    exp: u64,
}

/// A fetched document and when it was fetched.
type Cached<T> = Mutex<Option<(Instant, Arc<T>)>>;

pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    /// Signs and checks the pending-sign-in cookie.
    cookie_key: Vec<u8>,
    metadata: Cached<Metadata>,
    jwks: Cached<JwkSet>,
    last_refetch: Mutex<Option<Instant>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    nonce: Option<String>,
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn unavailable(detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(%detail, "single sign-on failed");
    AppError::Refused(StatusCode::BAD_GATEWAY, messages::SSO_UNAVAILABLE.into())
}

fn refused(message: &str) -> AppError {
    AppError::Refused(StatusCode::FORBIDDEN, message.into())
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Sends a request to the provider and reads its JSON answer.
async fn fetch_json<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T> {
    request
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(unavailable)?
        .json()
        .await
        .map_err(unavailable)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The cached value if it is younger than `ttl`.
fn fresh<T>(cache: &Cached<T>, ttl: Duration) -> Option<Arc<T>> {
    let cache = cache.lock().ok()?;
    cache
        .as_ref()
        .filter(|(at, _)| at.elapsed() < ttl)
        .map(|(_, v)| v.clone())
}

fn remember<T>(cache: &Cached<T>, value: T) -> Arc<T> {
    let value = Arc::new(value);
    if let Ok(mut cache) = cache.lock() {
        *cache = Some((Instant::now(), value.clone()));
    }
    value
}

fn pending_cookie(value: &str, max_age: u64) -> String {
    format!("{OIDC_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Oidc {
        let cookie_key = Sha256::new()
            .chain_update(b"uppsikt oidc pending sign-in v1\0")
            .chain_update(config.client_secret.as_bytes())
            .chain_update(b"\0")
            .chain_update(config.client_id.as_bytes())
            .finalize()
            .to_vec();
        Oidc {
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            cookie_key,
            metadata: Mutex::default(),
            jwks: Mutex::default(),
            last_refetch: Mutex::default(),
        }
    }

    async fn metadata(&self) -> Result<Arc<Metadata>> {
        if let Some(m) = fresh(&self.metadata, METADATA_TTL) {
            return Ok(m);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let metadata: Metadata = fetch_json(self.http.get(&url)).await?;
        if metadata.issuer.trim_end_matches('/') != self.config.issuer.trim_end_matches('/') {
            return Err(unavailable("issuer in metadata differs from configuration"));
        }
        Ok(remember(&self.metadata, metadata))
    }

    async fn fetch_jwks(&self, metadata: &Metadata) -> Result<Arc<JwkSet>> {
        let keys: JwkSet = fetch_json(self.http.get(&metadata.jwks_uri)).await?;
        Ok(remember(&self.jwks, keys))
    }

    /// The key set, fetched again when `kid` is not in the cached one (a rotation), but
    /// at most once per [`JWKS_REFETCH_GAP`].
    async fn jwks(&self, metadata: &Metadata, kid: Option<&str>) -> Result<Arc<JwkSet>> {
        let Some(keys) = fresh(&self.jwks, JWKS_TTL) else {
            return self.fetch_jwks(metadata).await;
        };
        let Some(kid) = kid.filter(|kid| keys.find(kid).is_none()) else {
            return Ok(keys);
        };
        let may_refetch = self.last_refetch.lock().is_ok_and(|mut last| {
            let may = last.is_none_or(|at| at.elapsed() >= JWKS_REFETCH_GAP);
            if may {
                *last = Some(Instant::now());
            }
            may
        });
        if !may_refetch {
            tracing::warn!(kid, "unknown key id; key set refetched too recently");
            return Ok(keys);
        }
        self.fetch_jwks(metadata).await
    }

    /// Where to send the browser to sign in, and the cookie that binds the sign-in to it.
    async fn authorize(&self, next: String) -> Result<(String, String)> {
        let metadata = self.metadata().await?;
        let pending = Pending {
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
            next,
            exp: unix_now() + PENDING_SECONDS,
        };
        let challenge = base64url(&Sha256::digest(pending.verifier.as_bytes()));
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("scope", "openid profile"),
            ("state", pending.state.as_str()),
            ("nonce", pending.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .map_err(unavailable)?;
        let cookie = encode(
            &Header::new(Algorithm::HS256),
            &pending,
            &EncodingKey::from_secret(&self.cookie_key),
        )
        .map_err(unavailable)?;
        let separator = if metadata.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok((
            format!("{}{separator}{query}", metadata.authorization_endpoint),
            cookie,
        ))
    }

    /// The sign-in this browser began, if its cookie is ours, unexpired and has `state`.
    fn pending(&self, cookie: Option<&str>, state: &str) -> Option<Pending> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        let pending = decode::<Pending>(
            cookie?,
            &DecodingKey::from_secret(&self.cookie_key),
            &validation,
        )
        .ok()?
        .claims;
        constant_time_eq(&pending.state, state).then_some(pending)
    }

    /// Exchanges the code, checks the ID token; returns its subject and where to go next.
    async fn finish(&self, code: &str, pending: Pending) -> Result<(String, String)> {
        let metadata = self.metadata().await?;
        let token: TokenResponse = fetch_json(self.http.post(&metadata.token_endpoint).form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.config.redirect_url),
            ("code_verifier", &pending.verifier),
            ("client_id", &self.config.client_id),
            ("client_secret", &self.config.client_secret),
        ]))
        .await?;
        let claims = self.verify(&metadata, &token.id_token).await?;
        if claims.nonce.as_deref() != Some(pending.nonce.as_str()) {
            return Err(refused(messages::SSO_UNVERIFIABLE));
        }
        Ok((claims.sub, pending.next))
    }

    async fn verify(&self, metadata: &Metadata, id_token: &str) -> Result<Claims> {
        let header = decode_header(id_token).map_err(unavailable)?;
        if !matches!(
            header.alg,
            Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256
        ) {
            return Err(unavailable(format!(
                "unsupported algorithm {:?}",
                header.alg
            )));
        }
        let keys = self.jwks(metadata, header.kid.as_deref()).await?;
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None => keys.keys.first(),
        }
        .ok_or_else(|| unavailable("no key for the token"))?;
        let key = DecodingKey::from_jwk(jwk).map_err(unavailable)?;
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_issuer(&[&metadata.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        decode::<Claims>(id_token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                tracing::warn!(error = %e, "ID token refused");
                refused(messages::SSO_UNVERIFIABLE)
            })
    }
}

/// `GET /login/oidc`: off to the provider, with the cookie that binds the sign-in here.
pub async fn start(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Result<Response> {
    let oidc = state.oidc.as_ref().ok_or(AppError::NotFound)?;
    let next = safe_next(q.next.as_deref());
    let (url, cookie) = oidc.authorize(next).await?;
    let mut response = Redirect::to(&url).into_response();
    append_cookie(&mut response, &pending_cookie(&cookie, PENDING_SECONDS));
    Ok(response)
}

/// `GET /login/oidc/callback`: back from the provider. Whatever the outcome, the pending
/// sign-in's cookie is cleared: it serves one callback only.
pub async fn callback(
    State(state): State<AppState>,
    Query(q): Query<Callback>,
    headers: HeaderMap,
) -> Response {
    let mut response = match finish_callback(&state, q, &headers).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    };
    append_cookie(&mut response, &pending_cookie("", 0));
    response
}

async fn finish_callback(state: &AppState, q: Callback, headers: &HeaderMap) -> Result<Response> {
    let oidc = state.oidc.as_ref().ok_or(AppError::NotFound)?;
    if let Some(error) = q.error {
        tracing::info!(error = %error.chars().take(200).collect::<String>(), "provider refused sign-in");
        return Err(refused(messages::SSO_CANCELLED));
    }
    let (Some(code), Some(st)) = (q.code, q.state) else {
        return Err(AppError::BadRequest(messages::SSO_INCOMPLETE_ANSWER.into()));
    };
    if code.len() > PARAM_MAX || st.len() > PARAM_MAX {
        return Err(AppError::BadRequest(messages::SSO_INCOMPLETE_ANSWER.into()));
    }
    let cookie = cookie_value(headers, OIDC_COOKIE);
    let Some(pending) = oidc.pending(cookie.as_deref(), &st) else {
        tracing::info!(
            with_cookie = cookie.is_some(),
            "single sign-on callback not begun in this browser"
        );
        return Err(refused(messages::SSO_NOT_STARTED_HERE));
    };
    let (subject, next) = oidc.finish(&code, pending).await?;
    let user = state.store.user_by_oidc_subject(&subject).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        tracing::info!(subject, "no active account for OIDC subject");
        return Err(refused(messages::SSO_NO_ACCOUNT));
    };
    start_session(state, user.id, &next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_base64url_of_sha256() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            base64url(&Sha256::digest(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
    }

    fn oidc(secret: &str) -> Oidc {
        Oidc::new(OidcConfig {
            issuer: "https://idp.example".into(),
            client_id: "uppsikt".into(),
            client_secret: secret.into(),
            redirect_url: "https://uppsikt.example/login/oidc/callback".into(),
        })
    }

    fn signed(o: &Oidc, state: &str, exp: u64) -> String {
        let pending = Pending {
            state: state.into(),
            nonce: "n".into(),
            verifier: "v".into(),
            next: "/".into(),
            exp,
        };
        encode(
            &Header::new(Algorithm::HS256),
            &pending,
            &EncodingKey::from_secret(&o.cookie_key),
        )
        .unwrap()
    }

    #[test]
    fn only_this_servers_unexpired_cookie_with_the_same_state_is_accepted() {
        let o = oidc("hemlighet");
        let later = unix_now() + 60;
        assert!(o.pending(Some(&signed(&o, "s1", later)), "s1").is_some());
        assert!(o.pending(None, "s1").is_none(), "no cookie");
        assert!(
            o.pending(Some(&signed(&o, "s2", later)), "s1").is_none(),
            "another sign-in"
        );
        assert!(
            o.pending(Some(&signed(&o, "s1", unix_now() - 1)), "s1")
                .is_none(),
            "expired"
        );
        let other = oidc("en annan hemlighet");
        assert!(
            o.pending(Some(&signed(&other, "s1", later)), "s1")
                .is_none(),
            "not signed by us"
        );
        assert!(o.pending(Some("skräp"), "s1").is_none());
    }
}
