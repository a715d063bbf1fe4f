//! Importing outcomes from a file (CSV, Excel, OpenDocument): the "Data in" page with the
//! template and the upload form; the mapping and preview page of an uploaded file; the
//! commit as a background import job. The uploaded file is kept in memory (for its owner,
//! an hour) between the steps, so the user can change the mapping or the sheet and look
//! again before anything is written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use uppsikt_domain::access::Action;
use uppsikt_domain::messages;
use uppsikt_import::table::{self, Change, Checked, Field, Mapping, Table};

use crate::auth::Viewer;
use crate::error::{AppError, Result};
use crate::forms::Input;
use crate::imports::{self, Finished};
use crate::AppState;

/// The largest file accepted.
pub const UPLOAD_MAX: usize = 20 * 1024 * 1024;
/// Uploads kept at most this long, and at most this many bytes in all (oldest go first).
const KEEP: Duration = Duration::from_secs(3600);
const KEEP_BYTES: usize = 200 * 1024 * 1024;
/// Rows shown in the preview (all are checked and all errors listed).
const PREVIEW_ROWS: usize = 200;

struct Upload {
    owner: String,
    at: Instant,
    file: Stored,
}

/// An uploaded file and what its owner chose for it.
#[derive(Clone)]
struct Stored {
    file_name: String,
    bytes: Arc<Vec<u8>>,
    sheet: Option<String>,
    mapping: Option<Mapping>,
}

/// Uploaded files waiting for their preview and commit.
#[derive(Default)]
pub struct Uploads(Mutex<HashMap<String, Upload>>);

impl Uploads {
    fn put(&self, upload: Upload) -> String {
        let token = crate::auth::password::random_token();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, u| u.at.elapsed() < KEEP);
        while map.values().map(|u| u.file.bytes.len()).sum::<usize>() + upload.file.bytes.len()
            > KEEP_BYTES
        {
            let Some(oldest) = map.iter().min_by_key(|(_, u)| u.at).map(|(k, _)| k.clone()) else {
                break;
            };
            map.remove(&oldest);
        }
        map.insert(token.clone(), upload);
        token
    }

    /// The upload, if it exists and belongs to `owner`.
    fn get(&self, token: &str, owner: &str) -> Option<Stored> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|u| u.owner == owner && u.at.elapsed() < KEEP)
            .map(|u| u.file.clone())
    }

    fn set_choice(&self, token: &str, sheet: Option<String>, mapping: Option<Mapping>) {
        if let Some(u) = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(token)
        {
            u.file.sheet = sheet;
            u.file.mapping = mapping;
        }
    }

    fn remove(&self, token: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }
}

// --- the "Data in" page ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    error: Option<String>,
    indicators: usize,
    manage_sources: bool,
}

async fn import_page(state: &AppState, viewer: &Viewer, error: Option<String>) -> Result<Response> {
    let indicators = table::template_indicators(&state.store, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?
        .len();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let html = ImportPage {
        error,
        indicators,
        manage_sources: viewer.allows(Action::ManageSources, &[]),
    }
    .render()?;
    Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    import_page(&state, &viewer, None).await
}

pub async fn template_xlsx(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let indicators = table::template_indicators(&state.store, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?;
    let bytes = table::template_xlsx(&indicators).map_err(|r| AppError::Internal(r.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"utfall-mall.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn template_csv(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let indicators = table::template_indicators(&state.store, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"utfall-mall.csv\"",
            ),
        ],
        table::template_csv(&indicators),
    )
        .into_response())
}

/// Receives the file. A file that cannot be read comes back to the "Data in" page with
/// the reason; one that can is kept and its preview shown.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    mut form: Multipart,
) -> Result<Response> {
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let message = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    messages::upload_too_large(UPLOAD_MAX / (1024 * 1024))
                } else {
                    messages::upload_unreadable()
                };
                return import_page(&state, &viewer, Some(message)).await;
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").to_string();
        match field.bytes().await {
            Ok(b) => file = Some((name, b.to_vec())),
            Err(_) => {
                return import_page(
                    &state,
                    &viewer,
                    Some(messages::upload_too_large(UPLOAD_MAX / (1024 * 1024))),
                )
                .await
            }
        }
    }
    let Some((name, bytes)) = file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        return import_page(&state, &viewer, Some(messages::upload_no_file())).await;
    };
    if bytes.is_empty() {
        return import_page(&state, &viewer, Some(messages::upload_empty(&name))).await;
    }
    if let Err(report) = table::read_table(&name, &bytes, None) {
        return import_page(&state, &viewer, Some(report.to_string())).await;
    }
    let token = state.uploads.put(Upload {
        owner: viewer.actor(),
        at: Instant::now(),
        file: Stored {
            file_name: name,
            bytes: Arc::new(bytes),
            sheet: None,
            mapping: None,
        },
    });
    Ok(crate::forms::saved(format!("/import/outcomes/{token}")))
}

// --- mapping and preview -----------------------------------------------------------------

pub struct MappingRow {
    pub code: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub required: bool,
    pub chosen: Option<usize>,
}

pub struct PreviewRow {
    pub number: usize,
    pub indicator: String,
    pub period: String,
    pub breakdown: String,
    pub value: String,
    pub before: String,
    pub change: &'static str,
    pub change_code: &'static str,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    token: String,
    file_name: String,
    sheets: Vec<String>,
    sheet: Option<String>,
    headers: Vec<String>,
    mapping: Vec<MappingRow>,
    row_count: usize,
    errors: Vec<String>,
    warnings: Vec<String>,
    ignored: Vec<String>,
    new_areas: Vec<String>,
    new: usize,
    changed: usize,
    unchanged: usize,
    rows: Vec<PreviewRow>,
    more_rows: usize,
    /// The preview is older than the data: shown after a refused commit.
    stale: Option<String>,
}

impl PreviewPage {
    fn is_chosen(&self, row: &MappingRow, column: &usize) -> bool {
        row.chosen == Some(*column)
    }

    fn is_sheet(&self, name: &str) -> bool {
        self.sheet.as_deref() == Some(name)
    }
}

fn fmt_value(v: f64, decimals: u8, unit: &str) -> String {
    uppsikt_report::followup::format_value(v, decimals, unit)
}

fn preview_rows(checked: &Checked) -> Vec<PreviewRow> {
    checked
        .rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|r| {
            let (change, change_code) = match r.change() {
                Change::New => ("Nytt", "new"),
                Change::Changed => ("Ändras", "changed"),
                Change::Unchanged => ("Oförändrat", "unchanged"),
            };
            let with_margin = |o: &uppsikt_domain::Outcome| match o.margin {
                Some(m) => format!(
                    "{} (±{})",
                    fmt_value(o.value, r.decimals, &r.unit),
                    uppsikt_domain::number::format_sv(m, r.decimals.max(1))
                ),
                None => fmt_value(o.value, r.decimals, &r.unit),
            };
            PreviewRow {
                number: r.number,
                indicator: r.indicator_name.clone(),
                period: r.outcome.period.label_sv(),
                breakdown: r.outcome.breakdown.label_sv(),
                value: with_margin(&r.outcome),
                before: r.before.as_ref().map(with_margin).unwrap_or_default(),
                change,
                change_code,
            }
        })
        .collect()
}

/// Reads the upload with its chosen sheet and mapping (guessed when none was chosen).
async fn load(state: &AppState, viewer: &Viewer, token: &str) -> Result<(String, Table, Mapping)> {
    let Stored {
        file_name,
        bytes,
        sheet,
        mapping,
    } = state
        .uploads
        .get(token, &viewer.actor())
        .ok_or_else(|| AppError::Refused(StatusCode::NOT_FOUND, messages::upload_gone().into()))?;
    let table = match table::read_table(&file_name, &bytes, sheet.as_deref()) {
        Ok(t) => t,
        Err(report) => return Err(AppError::BadRequest(report.to_string())),
    };
    let mapping = mapping.unwrap_or_else(|| Mapping::guess(&table.headers));
    Ok((file_name, table, mapping))
}

async fn render_preview(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    stale: Option<String>,
) -> Result<Response> {
    let (file_name, table, mapping) = load(state, viewer, token).await?;
    let checked = table::check(&state.store, &table, &mapping, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?;
    let status = if stale.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let page = PreviewPage {
        token: token.to_string(),
        file_name,
        sheets: table.sheets.clone(),
        sheet: table.sheet.clone(),
        headers: table.headers.clone(),
        mapping: Field::ALL
            .into_iter()
            .map(|f| MappingRow {
                code: f.code(),
                label: f.label_sv(),
                hint: f.hint_sv(),
                required: f.required(),
                chosen: mapping.get(f),
            })
            .collect(),
        row_count: table.row_count(),
        errors: checked.errors.iter().map(|e| e.to_string()).collect(),
        warnings: checked.warnings.iter().map(|e| e.to_string()).collect(),
        ignored: checked.ignored_columns.clone(),
        new_areas: checked.new_areas.clone(),
        new: checked.new,
        changed: checked.changed,
        unchanged: checked.unchanged,
        more_rows: checked.rows.len().saturating_sub(PREVIEW_ROWS),
        rows: preview_rows(&checked),
        stale,
    };
    Ok((
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response> {
    render_preview(&state, &viewer, &token, None).await
}

/// Saves the chosen sheet and columns, then shows the preview again.
pub async fn choose(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(input): Form<Input>,
) -> Result<Response> {
    let (_, table, _) = load(&state, &viewer, &token).await?;
    let sheet = input
        .get("sheet")
        .filter(|s| table.sheets.contains(s))
        .cloned()
        .or(table.sheet.clone());
    let sheet_changed = sheet != table.sheet;
    let mapping = if sheet_changed {
        // Another sheet has other columns: guess again.
        None
    } else {
        let mut m = Mapping::default();
        for f in Field::ALL {
            let col = input
                .get(f.code())
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|c| *c < table.headers.len());
            m.set(f, col);
        }
        Some(m)
    };
    state.uploads.set_choice(&token, sheet, mapping);
    Ok(crate::forms::saved(format!("/import/outcomes/{token}")))
}

/// Checks again (the data may have changed since the preview) and starts the import.
pub async fn commit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response> {
    let (file_name, table, mapping) = load(&state, &viewer, &token).await?;
    let checked = table::check(&state.store, &table, &mapping, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?;
    if !checked.errors.is_empty() {
        return render_preview(&state, &viewer, &token, Some(messages::preview_stale())).await;
    }
    let store = state.store.clone();
    let actor = viewer.actor();
    let uploads_token = token.clone();
    let uploads = state.uploads.clone();
    let title = format!("Import av {file_name}");
    let id = imports::spawn(
        &state,
        title,
        "/import".into(),
        &actor.clone(),
        move |progress| async move {
            let result = table::commit(&store, &checked, &actor, &progress).await;
            if result.is_ok() {
                uploads.remove(&uploads_token);
            }
            result.map(|s| Finished {
                summary: s.lines_sv(),
                next: ("/import".into(), "Importera fler utfall".into()),
            })
        },
    );
    Ok(crate::forms::saved(format!("/imports/{id}")))
}
