//! One error type for handlers: Swedish pages for people, JSON for the API; internal
//! details are logged, never shown.
//!
//! Also the extractors for the address ([`Path`], [`Query`]): axum's own answer a bad id
//! or query with English plain text; these refuse in Swedish, as a page or, under `/api/`,
//! as JSON. [`swedish_refusals`] catches any framework refusal that is still plain text.

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, request::Parts, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;
use uppsikt_domain::messages;
use uppsikt_domain::text;
use uppsikt_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    /// Refused (403, 413, …) with a message for the user; nothing was changed.
    #[error("refused: {1}")]
    Refused(StatusCode, String),
    /// The public asked for a period that no board has decided yet.
    #[error("not published")]
    NotPublished,
    /// A failure of ours that is neither the store's nor a template's (e.g. a workbook).
    #[error("internal: {0}")]
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl From<uppsikt_report::ReportError> for AppError {
    fn from(e: uppsikt_report::ReportError) -> AppError {
        match e {
            uppsikt_report::ReportError::Store(e) => AppError::Store(e),
            uppsikt_report::ReportError::Invalid(m) => AppError::BadRequest(m),
        }
    }
}

impl AppError {
    fn status_and_message(&self) -> (StatusCode, String) {
        match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, messages::http::NO_SUCH_PAGE.into()),
            AppError::Store(e) if e.is_not_found() => {
                (StatusCode::NOT_FOUND, messages::http::NO_SUCH_OBJECT.into())
            }
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::Refused(status, m) => (*status, m.clone()),
            AppError::NotPublished => (StatusCode::NOT_FOUND, messages::http::NOT_PUBLISHED.into()),
            AppError::Store(StoreError::Locked(lock)) => (
                StatusCode::CONFLICT,
                uppsikt_domain::messages::period_locked(lock),
            ),
            AppError::Store(StoreError::PlanDecided(plan)) => (
                StatusCode::CONFLICT,
                uppsikt_domain::messages::plan::plan_decided(plan),
            ),
            // A refusal that reaches no form (an API call, a link): the request is wrong.
            AppError::Store(StoreError::Area(r)) => (
                StatusCode::BAD_REQUEST,
                uppsikt_domain::messages::area::refusal(r),
            ),
            AppError::Store(StoreError::Economy(r)) => (
                StatusCode::BAD_REQUEST,
                uppsikt_domain::messages::economy::refusal(r),
            ),
            other => {
                tracing::error!(error = %other, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    messages::http::INTERNAL.into(),
                )
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = self.status_and_message();
        let title = match status {
            StatusCode::NOT_FOUND => "Sidan hittades inte",
            StatusCode::BAD_REQUEST => "Felaktig begäran",
            StatusCode::FORBIDDEN => "Ingen behörighet",
            StatusCode::CONFLICT => "Perioden är låst",
            StatusCode::PAYLOAD_TOO_LARGE => "För stor begäran",
            StatusCode::METHOD_NOT_ALLOWED => "Fel sorts begäran",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Formuläret kunde inte läsas",
            _ => "Ett fel uppstod",
        };
        let body = ErrorPage {
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| {
            format!(
                "<!doctype html><html lang=\"sv\"><title>{title}</title><p>{message}</p></html>"
            )
        });
        (status, Html(body)).into_response()
    }
}

/// The API's errors: JSON with a Swedish message.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(AppError::Store(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = self.0.status_and_message();
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// `error` as the part of the site `path` belongs to expects it: JSON under `/api/`, a
/// Swedish page elsewhere.
pub fn respond(path: &str, error: AppError) -> Response {
    if is_api(path) {
        ApiError(error).into_response()
    } else {
        error.into_response()
    }
}

/// A refusal with a message; nothing was changed.
pub fn refusal(path: &str, status: StatusCode, message: &str) -> Response {
    respond(path, AppError::Refused(status, message.to_string()))
}

/// No route: a Swedish 404 page, or JSON under `/api/`.
pub async fn not_found(uri: Uri) -> Response {
    respond(uri.path(), AppError::NotFound)
}

/// A route that exists, asked with another method (a POST to a page, a GET to an action).
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    refusal(
        uri.path(),
        StatusCode::METHOD_NOT_ALLOWED,
        &messages::method_not_allowed(method.as_str()),
    )
}

/// Path parameters (`/goals/{id}`); a value that cannot be what the route names (`abc`,
/// an id beyond 64 bits, invalid UTF-8) is a 404 that says so in Swedish.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(Path(t)),
            Err(rejection) => Err(path_refusal(parts.uri.path(), rejection)),
        }
    }
}

fn path_refusal(path: &str, rejection: PathRejection) -> Response {
    use axum::extract::path::ErrorKind;
    let message = match rejection {
        PathRejection::FailedToDeserializePathParams(e) => match e.into_kind() {
            ErrorKind::ParseErrorAtKey { value, .. }
            | ErrorKind::ParseErrorAtIndex { value, .. }
            | ErrorKind::ParseError { value, .. } => {
                messages::bad_address_part(&text::shown(&value, 40))
            }
            ErrorKind::InvalidUtf8InPathParam { .. } => messages::BAD_ADDRESS.to_string(),
            other => {
                return respond(
                    path,
                    AppError::Internal(format!("path parameters: {other}")),
                )
            }
        },
        other => {
            return respond(
                path,
                AppError::Internal(format!("path parameters: {other}")),
            )
        }
    };
    refusal(path, StatusCode::NOT_FOUND, &message)
}

/// The query string (`?period=2019`), decoded strictly: invalid UTF-8 is refused, not
/// replaced, and a query that cannot be read (a parameter given twice, a number where
/// text cannot be one) is a Swedish 400.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let path = parts.uri.path();
        let raw = parts.uri.query().unwrap_or("");
        if let Err(name) = crate::forms::parse_form(raw.as_bytes()) {
            let message = messages::query_not_utf8(&text::shown(&name, 40));
            return Err(refusal(path, StatusCode::BAD_REQUEST, &message));
        }
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(t)) => Ok(Query(t)),
            Err(_) => Err(refusal(path, StatusCode::BAD_REQUEST, messages::BAD_QUERY)),
        }
    }
}

/// The last line of defence: a refusal that a framework part still wrote as plain text
/// (or without a body), e.g. a multipart or body-limit rejection, becomes a Swedish page,
/// or JSON under `/api/`, with the same status. Our own answers are HTML or JSON.
pub async fn swedish_refusals(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !plain {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::Refused(status, messages::http::TOO_LARGE.into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            AppError::Refused(status, messages::FORM_NOT_A_FORM.into())
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            AppError::Refused(status, messages::method_not_allowed(method.as_str()))
        }
        s if s.is_server_error() => AppError::Internal(format!("plain {s} response")),
        s => AppError::Refused(s, messages::REQUEST_UNREADABLE.into()),
    };
    respond(&path, error)
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Parses an optional `?period=` value; an invalid one is a clear 400, not a silent default.
pub fn period_param(raw: Option<&str>) -> Result<Option<uppsikt_domain::Period>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => uppsikt_domain::Period::parse(s)
            .map(Some)
            .map_err(|e| AppError::BadRequest(messages::period(&e))),
    }
}
