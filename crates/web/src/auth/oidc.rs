//! Single sign-on with OpenID Connect (Entra ID and the like): the authorization code flow
//! with PKCE, state and nonce. The ID token's signature is checked against the provider's
//! published keys, and its issuer, audience, expiry and nonce are checked. The token's
//! `sub` must belong to an account (`uppsikt user add … --oidc-subject SUB`): signing in
//! through the provider never creates an account or a role by itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::login::{start_session, NextQuery};
use super::password::random_token;
use crate::error::{AppError, Query, Result};
use crate::AppState;

/// How long a sign-in started at the provider may take.
const PENDING_FOR: Duration = Duration::from_secs(10 * 60);

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

struct Pending {
    nonce: String,
    verifier: String,
    next: String,
    started: Instant,
}

pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
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
    AppError::Refused(
        StatusCode::BAD_GATEWAY,
        "Inloggningen via organisationens konto fungerar inte just nu. Försök igen om en stund eller logga in med lösenord.".into(),
    )
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

impl Oidc {
    pub fn new(config: OidcConfig) -> Oidc {
        Oidc {
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            pending: Mutex::default(),
        }
    }

    async fn metadata(&self) -> Result<Metadata> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let metadata: Metadata = fetch_json(self.http.get(&url)).await?;
        if metadata.issuer.trim_end_matches('/') != self.config.issuer.trim_end_matches('/') {
            return Err(unavailable("issuer in metadata differs from configuration"));
        }
        Ok(metadata)
    }

    /// Where to send the browser to sign in; remembers state, nonce and PKCE verifier.
    async fn authorize_url(&self, next: String) -> Result<String> {
        let metadata = self.metadata().await?;
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
            pending.insert(
                state.clone(),
                Pending {
                    nonce: nonce.clone(),
                    verifier,
                    next,
                    started: Instant::now(),
                },
            );
        }
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("scope", "openid profile"),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .map_err(unavailable)?;
        Ok(format!("{}?{query}", metadata.authorization_endpoint))
    }

    /// Exchanges the code, checks the ID token; returns its subject and where to go next.
    async fn finish(&self, code: &str, state: &str) -> Result<(String, String)> {
        let pending = self
            .pending
            .lock()
            .ok()
            .and_then(|mut p| p.remove(state))
            .filter(|p| p.started.elapsed() < PENDING_FOR)
            .ok_or_else(|| {
                refused("Inloggningen hade gått ut eller startades inte här. Börja om från inloggningssidan.")
            })?;
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
            return Err(refused(
                "Inloggningen kunde inte kontrolleras. Börja om från inloggningssidan.",
            ));
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
        let keys: JwkSet = fetch_json(self.http.get(&metadata.jwks_uri)).await?;
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
                refused("Inloggningen kunde inte kontrolleras. Börja om från inloggningssidan.")
            })
    }
}

/// `GET /login/oidc`: off to the provider.
pub async fn start(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Result<Response> {
    let oidc = state.oidc.as_ref().ok_or(AppError::NotFound)?;
    let next = super::login::safe_next(q.next.as_deref());
    Ok(Redirect::to(&oidc.authorize_url(next).await?).into_response())
}

/// `GET /login/oidc/callback`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    Query(q): Query<Callback>,
) -> Result<Response> {
    let oidc = state.oidc.as_ref().ok_or(AppError::NotFound)?;
    if let Some(error) = q.error {
        tracing::info!(%error, "provider refused sign-in");
        return Err(refused(
            "Inloggningen avbröts hos organisationens inloggningstjänst.",
        ));
    }
    let (Some(code), Some(st)) = (q.code, q.state) else {
        return Err(AppError::BadRequest(
            "Svaret från inloggningstjänsten saknar uppgifter.".into(),
        ));
    };
    let (subject, next) = oidc.finish(&code, &st).await?;
    let user = state.store.user_by_oidc_subject(&subject).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        tracing::info!(subject, "no active account for OIDC subject");
        return Err(refused(
            "Du är inloggad hos organisationen men har inget aktivt konto i uppsikt. Be en administratör lägga upp dig.",
        ));
    };
    start_session(&state, user.id, &next).await
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
}
