//! Personal API tokens: `Authorization: Bearer upk_…` for scripts, BI tools and Excel.
//!
//! A token is 32 random bytes from the operating system (the same `OsRng` as session
//! tokens), shown as `upk_` and 43 characters of unpadded base64url. Only its SHA-256 is
//! stored; it is looked up by that hash (see `Store::api_token_by_hash`).
//!
//! A request that carries `Authorization` is a bearer request and nothing else: its
//! cookies are ignored (it acts as the token's owner only), it needs no CSRF token (CSRF
//! protects what a browser sends on its own, and a browser never adds this header to a
//! request another site makes), and a token that does not hold is 401 with
//! `WWW-Authenticate: Bearer error="invalid_token"`, never the public's view. The token's
//! scope limits the owner's role: [`TokenScope::Read`] allows GET and HEAD (of the API and
//! of the pages the owner may read); [`TokenScope::ReadImport`] also the outcome import
//! ([`IMPORT_PATH`]), where the owner's role still decides which indicators.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand_core::{OsRng, RngCore};
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_store::TokenScope;

use super::{password, personalise, Versions, Viewer};
use crate::error::{ApiError, AppError};
use crate::AppState;

/// What every token starts with (so that secret scanners and people recognise it).
pub const TOKEN_PREFIX: &str = "upk_";
/// The characters after [`TOKEN_PREFIX`]: 32 bytes as unpadded base64url.
const SECRET_CHARS: usize = 43;
/// How much of a token is shown in lists (not secret: 36 bits of 256).
const SHOWN_CHARS: usize = 6;
/// The one route a token may POST to (with [`TokenScope::ReadImport`]).
pub const IMPORT_PATH: &str = "/api/v1/outcomes/import";

/// A request authenticated by a token, put in its extensions beside the [`Viewer`].
#[derive(Debug, Clone, Copy)]
pub struct BearerToken {
    pub id: Id,
    pub scope: TokenScope,
}

/// A new secret: the token as shown once, its SHA-256 as stored, its prefix as listed.
pub struct NewSecret {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn new_secret() -> NewSecret {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    NewSecret {
        hash: password::token_hash(&secret),
        prefix: secret[..TOKEN_PREFIX.len() + SHOWN_CHARS].to_string(),
        secret,
    }
}

/// The token of an `Authorization` header, if it has the one shape a token can have.
fn token_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    let secret = token.strip_prefix(TOKEN_PREFIX)?;
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && secret.len() == SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then_some(token)
}

/// 401 (the token does not hold) or 403 (its scope does not allow this), as JSON with a
/// Swedish message and the `WWW-Authenticate` challenge of RFC 6750.
fn refuse(status: StatusCode) -> Response {
    let (message, challenge) = if status == StatusCode::UNAUTHORIZED {
        (
            messages::access::TOKEN_INVALID,
            "Bearer error=\"invalid_token\"",
        )
    } else {
        (
            messages::access::TOKEN_SCOPE,
            "Bearer error=\"insufficient_scope\"",
        )
    };
    let mut response = ApiError(AppError::Refused(status, message.into())).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

/// Whether the token's scope allows this method on this path.
fn scope_allows(scope: TokenScope, method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => true,
        Method::POST => scope == TokenScope::ReadImport && path == IMPORT_PATH,
        _ => false,
    }
}

/// [`super::authenticate`] for a request that carries `Authorization`.
pub(super) async fn authenticate(state: AppState, req: Request, next: Next) -> Response {
    let Some(token) = token_of(req.headers()) else {
        return refuse(StatusCode::UNAUTHORIZED);
    };
    let (token, user) = match state
        .store
        .api_token_by_hash(&password::token_hash(token))
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED),
        Err(e) => return ApiError(e.into()).into_response(),
    };
    let (mut parts, body) = req.into_parts();
    if !scope_allows(token.scope, &parts.method, parts.uri.path()) {
        return refuse(StatusCode::FORBIDDEN);
    }
    match state
        .store
        .note_api_token_use(token.id, parts.method.as_str(), parts.uri.path())
        .await
    {
        Ok(true) => tracing::info!(
            token = token.id,
            user = %user.username,
            method = %parts.method,
            path = parts.uri.path(),
            "API token used"
        ),
        Ok(false) => {}
        Err(e) => return ApiError(e.into()).into_response(),
    }
    // Cookies are not this request's: a session of another person in the same client
    // must not add to (or replace) what the token's owner may do.
    parts.headers.remove(header::COOKIE);
    let viewer = Viewer {
        principal: user.principal(),
        user: Some(user),
        csrf: None,
        token_hash: None,
    };
    parts.extensions.insert(viewer.clone());
    parts.extensions.insert(BearerToken {
        id: token.id,
        scope: token.scope,
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    personalise(&state, response, &viewer, None, Versions::Current, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_256_random_bits_in_the_one_shape_accepted() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + SECRET_CHARS);
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(a.hash, password::token_hash(&a.secret));
        let mut headers = axum::http::HeaderMap::new();
        let bearer = format!("Bearer {}", a.secret);
        headers.insert(header::AUTHORIZATION, bearer.parse().unwrap());
        assert_eq!(token_of(&headers), Some(a.secret.as_str()));
        for wrong in [
            format!("Basic {}", a.secret),
            format!("Bearer {}", &a.secret[1..]),
            format!("Bearer {}x", a.secret),
            format!("Bearer {}", a.secret.replace("upk_", "upx_")),
            "Bearer".to_string(),
        ] {
            headers.insert(header::AUTHORIZATION, wrong.parse().unwrap());
            assert_eq!(token_of(&headers), None, "{wrong}");
        }
        headers.insert(header::AUTHORIZATION, bearer.parse().unwrap());
        headers.append(header::AUTHORIZATION, bearer.parse().unwrap());
        assert_eq!(token_of(&headers), None, "two headers: nothing to trust");
    }

    #[test]
    fn a_read_token_only_reads_and_only_an_import_token_imports() {
        for scope in TokenScope::ALL {
            assert!(scope_allows(scope, &Method::GET, "/api/v1/org-units"));
            assert!(scope_allows(scope, &Method::HEAD, "/org/1"));
            assert!(!scope_allows(scope, &Method::POST, "/goals/1/edit"));
            assert!(!scope_allows(scope, &Method::DELETE, IMPORT_PATH));
        }
        assert!(!scope_allows(TokenScope::Read, &Method::POST, IMPORT_PATH));
        assert!(scope_allows(
            TokenScope::ReadImport,
            &Method::POST,
            IMPORT_PATH
        ));
    }
}
