//! One error type for handlers: Swedish pages for people, JSON for the API; internal
//! details are logged, never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
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
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Sidan finns inte. Den kan ha tagits bort eller så är adressen fel.".into(),
            ),
            AppError::Store(e) if e.is_not_found() => (
                StatusCode::NOT_FOUND,
                "Det du söker finns inte. Det kan ha tagits bort eller så är adressen fel.".into(),
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::Refused(status, m) => (*status, m.clone()),
            AppError::NotPublished => (
                StatusCode::NOT_FOUND,
                "Här visas bara det som nämnden har beslutat, och för den här perioden finns inget beslut ännu. Logga in för att se arbetsmaterialet.".into(),
            ),
            AppError::Store(StoreError::Locked(lock)) => (
                StatusCode::CONFLICT,
                uppsikt_domain::messages::period_locked(lock),
            ),
            other => {
                tracing::error!(error = %other, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Något gick fel hos oss. Försök igen om en stund; inget av det du skrev har sparats.".into())
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

pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
