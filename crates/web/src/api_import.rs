//! `POST /api/v1/outcomes/import`: the outcome import for scripts. The body is the file
//! itself (CSV, or an Excel workbook), read within the web upload's limit and imported by
//! the same code as the "Data in" page's import (`upload::check_and_commit`): every row
//! checked, then all or nothing. The answer is JSON: 200 with what was written, or 422
//! with every row's error (row, column, Swedish message) and nothing written.
//!
//! Guard: `Action::ImportData` (the route group's), and a personal API token with the scope
//! "read and import" (`auth::bearer`). A browser session cannot use it: its POST would need
//! the session's CSRF token, which a file body cannot carry, so it is refused before this.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use uppsikt_domain::messages;
use uppsikt_import::table::Mapping;
use uppsikt_import::{ImportReport, RowError};
use uppsikt_store::TokenScope;

use crate::auth::bearer::BearerToken;
use crate::auth::Viewer;
use crate::error::{ApiError, AppError};
use crate::upload::UPLOAD_MAX;
use crate::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One error of a refused import.
#[derive(Serialize)]
struct ApiRowError {
    /// The row in the file (the heading is row 1), when the error is a row's.
    row: Option<u64>,
    /// The column's heading, when the error is a cell's.
    column: Option<String>,
    message: String,
}

impl ApiRowError {
    /// The importer writes a row's place as `rad 7` and a cell's as `rad 7, Värde`
    /// (`messages::table_row`, `messages::table_cell`).
    fn of(e: &RowError) -> ApiRowError {
        let (row, column) = match e.location.strip_prefix("rad ") {
            Some(rest) => {
                let (number, column) = match rest.split_once(", ") {
                    Some((n, c)) => (n, Some(c.to_string())),
                    None => (rest, None),
                };
                match number.parse() {
                    Ok(n) => (Some(n), column),
                    Err(_) => (None, None),
                }
            }
            None => (None, None),
        };
        ApiRowError {
            row,
            column,
            message: e.message.clone(),
        }
    }
}

fn refused(report: &ImportReport) -> Response {
    let errors: Vec<ApiRowError> = report.errors.iter().map(ApiRowError::of).collect();
    let summary = report
        .errors
        .first()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({ "error": summary, "errors": errors })),
    )
        .into_response()
}

fn api_refusal(status: StatusCode, message: &str) -> Response {
    ApiError(AppError::Refused(status, message.into())).into_response()
}

pub async fn import(State(state): State<AppState>, viewer: Viewer, req: Request) -> Response {
    let bearer = req.extensions().get::<BearerToken>().copied();
    if !bearer.is_some_and(|b| b.scope == TokenScope::ReadImport) {
        return api_refusal(StatusCode::FORBIDDEN, messages::access::IMPORT_NEEDS_TOKEN);
    }
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let file_name = match kind.as_deref() {
        Some("text/csv") => "api-import.csv",
        Some(XLSX) => "api-import.xlsx",
        _ => {
            return api_refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                messages::access::IMPORT_CONTENT_TYPE,
            )
        }
    };
    let too_large = || {
        api_refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            &messages::upload_too_large(UPLOAD_MAX / (1024 * 1024)),
        )
    };
    // A body announced larger than the limit is not read at all.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > UPLOAD_MAX as u64) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, UPLOAD_MAX).await else {
        return too_large();
    };
    let whole = uppsikt_import::Origin::new(file_name, "");
    let table = match state
        .uploads
        .parse(file_name.to_string(), Arc::new(bytes.to_vec()), None)
        .await
    {
        Ok(table) => table,
        Err(message) => return refused(&ImportReport::single(&whole, message)),
    };
    let mapping = Mapping::guess(&table.headers);
    let progress = uppsikt_import::Progress::new();
    match crate::upload::check_and_commit(
        &state,
        &table,
        &mapping,
        &viewer.principal,
        &viewer.actor(),
        &progress,
    )
    .await
    {
        Ok(summary) => (
            StatusCode::OK,
            Json(serde_json::json!({
                "new": summary.new,
                "changed": summary.changed,
                "unchanged": summary.unchanged,
                "new_areas": summary.new_areas,
                "message": summary.lines_sv().join(" "),
            })),
        )
            .into_response(),
        Err(report) => refused(&report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_error_names_its_row_and_column() {
        let at = |location: &str| {
            ApiRowError::of(&RowError {
                file: "a.csv".into(),
                location: location.into(),
                message: "fel".into(),
            })
        };
        let cell = at("rad 7, Värde");
        assert_eq!((cell.row, cell.column.as_deref()), (Some(7), Some("Värde")));
        let row = at("rad 12");
        assert_eq!((row.row, row.column), (Some(12), None));
        let whole = at("");
        assert_eq!((whole.row, whole.column), (None, None));
    }
}
