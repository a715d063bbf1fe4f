//! Importing outcomes from a file (CSV, Excel, OpenDocument): the "Data in" page with the
//! template and the upload form; the mapping and preview page of an uploaded file; the
//! commit as a background import job.
//!
//! An upload is read as a stream (its CSRF token first, see [`CheckedUpload`]), the file
//! within [`UPLOAD_MAX`]. The file is parsed once, on a blocking thread and at most
//! [`PARSE_PERMITS`] at a time (others wait up to [`PARSE_WAIT`], then are asked to try
//! again), and the parsed table is kept in memory (for its owner, an hour) between the
//! steps, so the user can change the mapping and look again before anything is written.
//! The file and what its owner chose are kept in the database (within [`KEEP_BYTES`], an
//! hour), so that the preview on one app process and the commit on another find it; each
//! process keeps the tables it parsed, and parses the file again when it has none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use uppsikt_domain::access::Action;
use uppsikt_domain::messages;
use uppsikt_import::table::{self, Change, Checked, Field, Mapping, Table};

use crate::auth::{CheckedUpload, Viewer};
use crate::error::{AppError, Path, Result};
use crate::forms::{Form, Input};
use crate::imports::{self, Finished};
use crate::AppState;
use uppsikt_store::now_ms;

/// The largest file accepted.
pub const UPLOAD_MAX: usize = 20 * 1024 * 1024;
/// Uploads kept at most this long, and at most this many bytes in all (oldest go first):
/// the files in the database, and apart from them the tables each process parsed.
const KEEP: Duration = Duration::from_secs(3600);
const KEEP_BYTES: usize = 200 * 1024 * 1024;
/// Rows shown in the preview (all are checked and all errors listed).
const PREVIEW_ROWS: usize = 200;
/// Files parsed at once. Parsing a 20 MB workbook keeps one core busy for seconds and
/// takes a few hundred MB at its peak; this machine class has two cores.
pub const PARSE_PERMITS: usize = 1;
/// How long an upload waits for its turn to be parsed before it is asked to try again.
pub const PARSE_WAIT: Duration = Duration::from_secs(30);

/// A parsed sheet of an upload, kept in this process so that the preview does not read
/// the file again; the upload itself (file, sheet, columns) is a row in the database.
struct Parsed {
    at: Instant,
    /// The sheet it is (none: the first).
    sheet: Option<String>,
    table: Arc<Table>,
}

/// The tables of uploaded files parsed in this process, and the turns to parse files.
pub struct Uploads {
    kept: Mutex<HashMap<String, Parsed>>,
    parsing: Arc<tokio::sync::Semaphore>,
}

impl Default for Uploads {
    fn default() -> Uploads {
        Uploads {
            kept: Mutex::default(),
            parsing: Arc::new(tokio::sync::Semaphore::new(PARSE_PERMITS)),
        }
    }
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Parsed>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for `adding` bytes within `budget` (dropping expired tables, then the
    /// oldest others; `keep` is never dropped).
    fn make_room(
        map: &mut HashMap<String, Parsed>,
        adding: usize,
        keep: Option<&str>,
        budget: usize,
    ) {
        map.retain(|_, u| u.at.elapsed() < KEEP);
        loop {
            let kept: usize = map
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != keep)
                .map(|(_, u)| u.table.heap_bytes())
                .sum();
            if kept + adding <= budget {
                return;
            }
            let Some(oldest) = map
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != keep)
                .min_by_key(|(_, u)| u.at)
                .map(|(k, _)| k.clone())
            else {
                return;
            };
            map.remove(&oldest);
        }
    }

    /// Keeps the parsed `sheet` of the upload `token`.
    fn keep(&self, token: &str, sheet: Option<String>, table: Arc<Table>) {
        let mut map = self.lock();
        Uploads::make_room(&mut map, table.heap_bytes(), Some(token), KEEP_BYTES);
        map.insert(
            token.to_string(),
            Parsed {
                at: Instant::now(),
                sheet,
                table,
            },
        );
    }

    /// The parsed `sheet` of the upload `token`, if this process has it.
    fn parsed(&self, token: &str, sheet: &Option<String>) -> Option<Arc<Table>> {
        self.lock()
            .get(token)
            .filter(|p| &p.sheet == sheet && p.at.elapsed() < KEEP)
            .map(|p| p.table.clone())
    }

    fn forget(&self, token: &str) {
        self.lock().remove(token);
    }

    /// Reads `bytes` as `file_name` (the sheet `sheet`, or the first) on a blocking thread
    /// once a turn is free: the server's async workers go on answering meanwhile. `Err`
    /// with the Swedish reason when the file cannot be read, or when no turn came within
    /// [`PARSE_WAIT`].
    pub(crate) async fn parse(
        &self,
        file_name: String,
        bytes: Arc<Vec<u8>>,
        sheet: Option<String>,
    ) -> std::result::Result<Table, String> {
        self.parse_within(PARSE_WAIT, file_name, bytes, sheet).await
    }

    async fn parse_within(
        &self,
        wait: Duration,
        file_name: String,
        bytes: Arc<Vec<u8>>,
        sheet: Option<String>,
    ) -> std::result::Result<Table, String> {
        let permit = match tokio::time::timeout(wait, self.parsing.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(messages::upload_busy()),
        };
        // The turn stays taken until the parse ends, even if the request is abandoned.
        let parsed = tokio::task::spawn_blocking(move || {
            let _turn = permit;
            table::read_table(&file_name, &bytes, sheet.as_deref())
        })
        .await;
        match parsed {
            Ok(Ok(table)) => Ok(table),
            Ok(Err(report)) => Err(report.to_string()),
            Err(_) => Err(messages::workbook_damaged()),
        }
    }
}

// --- the "Data in" page ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    error: Option<String>,
    indicators: usize,
    manage_sources: bool,
    /// The ledger form (controllers): the boards and units by key, and its error.
    economy: bool,
    units: Vec<(String, String)>,
    sie_error: Option<String>,
}

async fn import_page(state: &AppState, viewer: &Viewer, error: Option<String>) -> Result<Response> {
    import_page_with(state, viewer, error, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The "Data in" page, with `error` (and `status`) when an upload was refused.
async fn import_page_with(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    data_in_page(state, viewer, error, None, status).await
}

/// The "Data in" page with an outcome-file error or a ledger-file error.
async fn data_in_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    sie_error: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    let indicators = table::template_indicators(&state.store, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?
        .len();
    let status = if error.is_some() || sie_error.is_some() {
        status
    } else {
        StatusCode::OK
    };
    let economy = viewer.allows(Action::ManageEconomy, &[]);
    let units = if economy {
        state
            .store
            .org_units()
            .await?
            .into_iter()
            .map(|u| (u.key, u.name))
            .collect()
    } else {
        Vec::new()
    };
    let html = ImportPage {
        error,
        indicators,
        manage_sources: viewer.allows(Action::ManageSources, &[]),
        economy,
        units,
        sie_error,
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

/// Receives the file: reads it from the form (after its CSRF token, within
/// [`UPLOAD_MAX`]), parses it once and keeps the table. A file that cannot be read comes
/// back to the "Data in" page with the reason; one that can is kept and its preview shown.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    CheckedUpload(mut form): CheckedUpload,
) -> Result<Response> {
    let too_large = || messages::upload_too_large(UPLOAD_MAX / (1024 * 1024));
    let refused = |message: String, status: StatusCode| {
        let (state, viewer) = (&state, &viewer);
        async move { import_page_with(state, viewer, Some(message), status).await }
    };
    let unreadable = |e: &multer::Error| match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            (too_large(), StatusCode::PAYLOAD_TOO_LARGE)
        }
        _ => (
            messages::upload_unreadable(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let (message, status) = unreadable(&e);
                return refused(message, status).await;
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").to_string();
        let mut bytes = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > UPLOAD_MAX => {
                    return refused(too_large(), StatusCode::PAYLOAD_TOO_LARGE).await
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    let (message, status) = unreadable(&e);
                    return refused(message, status).await;
                }
            }
        }
        file = Some((name, bytes));
    }
    let Some((name, bytes)) = file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        return import_page(&state, &viewer, Some(messages::upload_no_file())).await;
    };
    if bytes.is_empty() {
        return import_page(&state, &viewer, Some(messages::upload_empty(&name))).await;
    }
    let bytes = Arc::new(bytes);
    let table = match state.uploads.parse(name.clone(), bytes.clone(), None).await {
        Ok(table) => table,
        Err(message) => return import_page(&state, &viewer, Some(message)).await,
    };
    let token = crate::auth::password::random_token();
    state
        .store
        .put_upload(&token, &viewer.actor(), &name, &bytes, KEEP_BYTES, now_ms())
        .await?;
    state.uploads.keep(&token, None, Arc::new(table));
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
                indicator: r.indicator_name.to_string(),
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

/// A mapping as stored with its upload: each field's code and its column.
fn mapping_json(m: &Mapping) -> String {
    let pairs: Vec<(&str, usize)> = Field::ALL
        .into_iter()
        .filter_map(|f| m.get(f).map(|c| (f.code(), c)))
        .collect();
    serde_json::to_string(&pairs).unwrap_or_default()
}

/// The mapping [`mapping_json`] wrote; `None` when it cannot be read.
fn mapping_of(json: &str) -> Option<Mapping> {
    let pairs: Vec<(String, usize)> = serde_json::from_str(json).ok()?;
    let mut m = Mapping::default();
    for (code, col) in pairs {
        let f = Field::ALL.into_iter().find(|f| f.code() == code)?;
        m.set(f, Some(col));
    }
    Some(m)
}

/// An upload as its preview and commit need it.
struct Loaded {
    file_name: String,
    sheet: Option<String>,
    table: Arc<Table>,
    mapping: Mapping,
}

/// The viewer's upload with its table (parsed in this process before, or now from the
/// stored file) and its chosen mapping (guessed when none was chosen); 404 with a Swedish
/// message when it is gone or not theirs.
async fn load(state: &AppState, viewer: &Viewer, token: &str) -> Result<Loaded> {
    let gone = || AppError::Refused(StatusCode::NOT_FOUND, messages::upload_gone().into());
    let stored = state
        .store
        .upload(token, &viewer.actor(), now_ms())
        .await?
        .ok_or_else(gone)?;
    let table = match state.uploads.parsed(token, &stored.sheet) {
        Some(table) => table,
        None => {
            let bytes = state.store.upload_bytes(token).await?.ok_or_else(gone)?;
            let table = state
                .uploads
                .parse(
                    stored.file_name.clone(),
                    Arc::new(bytes),
                    stored.sheet.clone(),
                )
                .await
                .map_err(AppError::BadRequest)?;
            let table = Arc::new(table);
            state
                .uploads
                .keep(token, stored.sheet.clone(), table.clone());
            table
        }
    };
    let mapping = stored
        .mapping
        .as_deref()
        .and_then(mapping_of)
        .unwrap_or_else(|| Mapping::guess(&table.headers));
    Ok(Loaded {
        file_name: stored.file_name,
        sheet: stored.sheet,
        table,
        mapping,
    })
}

async fn render_preview(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    stale: Option<String>,
) -> Result<Response> {
    let Loaded {
        file_name,
        table,
        mapping,
        ..
    } = load(state, viewer, token).await?;
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

/// Saves the chosen sheet and columns, then shows the preview again. Another sheet is
/// read now (once), and its columns guessed.
pub async fn choose(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    Form(input): Form<Input>,
) -> Result<Response> {
    let loaded = load(&state, &viewer, &token).await?;
    let table = &loaded.table;
    let sheet = input
        .get("sheet")
        .filter(|s| table.sheets.contains(s))
        .cloned()
        .or(table.sheet.clone());
    if sheet != table.sheet {
        let bytes = state.store.upload_bytes(&token).await?.ok_or_else(|| {
            AppError::Refused(StatusCode::NOT_FOUND, messages::upload_gone().into())
        })?;
        let other = state
            .uploads
            .parse(loaded.file_name.clone(), Arc::new(bytes), sheet.clone())
            .await
            .map_err(AppError::BadRequest)?;
        // Another sheet has other columns: guess again.
        state
            .store
            .set_upload_choice(&token, sheet.as_deref(), None)
            .await?;
        state.uploads.keep(&token, sheet, Arc::new(other));
        return Ok(crate::forms::saved(format!("/import/outcomes/{token}")));
    }
    let mut m = Mapping::default();
    for f in Field::ALL {
        let col = input
            .get(f.code())
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|c| *c < table.headers.len());
        m.set(f, col);
    }
    state
        .store
        .set_upload_choice(&token, loaded.sheet.as_deref(), Some(&mapping_json(&m)))
        .await?;
    Ok(crate::forms::saved(format!("/import/outcomes/{token}")))
}

/// Receives a SIE 4 ledger file (`POST /import/sie`, multipart: the CSRF token, `unit`,
/// `file`). Guard: `Action::ManageEconomy` (controllers, administrators), else 403 and
/// nothing read. The file (within [`UPLOAD_MAX`]; larger files go through `uppsikt import
/// sie`) is imported as a background job: all or nothing, every error with its line.
pub async fn upload_sie(
    State(state): State<AppState>,
    viewer: Viewer,
    CheckedUpload(mut form): CheckedUpload,
) -> Result<Response> {
    if !viewer.allows(Action::ManageEconomy, &[]) {
        return Err(AppError::Refused(
            StatusCode::FORBIDDEN,
            messages::access::refused(Action::ManageEconomy).into(),
        ));
    }
    let refused = |message: String, status: StatusCode| {
        let (state, viewer) = (&state, &viewer);
        async move { data_in_page(state, viewer, None, Some(message), status).await }
    };
    let too_large = || messages::upload_too_large(UPLOAD_MAX / (1024 * 1024));
    let mut unit: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(
                multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. },
            ) => return refused(too_large(), StatusCode::PAYLOAD_TOO_LARGE).await,
            Err(_) => {
                return refused(
                    messages::upload_unreadable(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        };
        match field.name() {
            Some("unit") => {
                let t = field.text().await.unwrap_or_default();
                unit = Some(t.trim().to_string()).filter(|t| !t.is_empty() && t.len() <= 200);
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(c)) if bytes.len() + c.len() > UPLOAD_MAX => {
                            return refused(too_large(), StatusCode::PAYLOAD_TOO_LARGE).await
                        }
                        Ok(Some(c)) => bytes.extend_from_slice(&c),
                        Ok(None) => break,
                        Err(_) => {
                            return refused(
                                messages::upload_unreadable(),
                                StatusCode::UNPROCESSABLE_ENTITY,
                            )
                            .await
                        }
                    }
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        return refused(messages::upload_no_file(), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if bytes.is_empty() {
        return refused(
            messages::upload_empty(&name),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let id = imports::start(
        &state,
        format!("Import av {name}"),
        "/import".into(),
        &viewer.actor(),
        imports::ImportParams::Sie {
            file_name: name,
            unit,
        },
        Some(bytes),
    )
    .await?;
    Ok(crate::forms::saved(format!("/imports/{id}")))
}

/// Runs a ledger import job for `actor`.
pub(crate) async fn run_sie(
    state: &AppState,
    actor: &str,
    progress: &Arc<uppsikt_import::Progress>,
    file_name: String,
    unit: Option<String>,
    bytes: Vec<u8>,
) -> std::result::Result<Finished, uppsikt_import::ImportReport> {
    progress.set_total(bytes.len() as u64);
    let summary = uppsikt_import::sie::import(
        &state.store,
        &file_name,
        std::io::Cursor::new(bytes),
        unit.as_deref(),
        actor,
        progress,
    )
    .await?;
    Ok(Finished {
        summary: summary.lines_sv(),
        next: ("/import".into(), "Till Data in".into()),
    })
}

/// Checks again (the data may have changed since the preview) and starts the import.
pub async fn commit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response> {
    let Loaded {
        file_name,
        sheet,
        table,
        mapping,
    } = load(&state, &viewer, &token).await?;
    let checked = table::check(&state.store, &table, &mapping, &viewer.principal)
        .await
        .map_err(|r| AppError::Internal(r.to_string()))?;
    if !checked.errors.is_empty() {
        return render_preview(&state, &viewer, &token, Some(messages::preview_stale())).await;
    }
    let bytes =
        state.store.upload_bytes(&token).await?.ok_or_else(|| {
            AppError::Refused(StatusCode::NOT_FOUND, messages::upload_gone().into())
        })?;
    let id = imports::start(
        &state,
        format!("Import av {file_name}"),
        "/import".into(),
        &viewer.actor(),
        imports::ImportParams::Table {
            upload: token,
            file_name,
            sheet,
            mapping: mapping_json(&mapping),
            role: viewer.principal.role.key().to_string(),
            units: viewer.principal.units.clone(),
        },
        Some(bytes),
    )
    .await?;
    Ok(crate::forms::saved(format!("/imports/{id}")))
}

/// Runs an outcome import job for `actor`: reads the file as previewed, checks it again
/// with the access of who committed it, and writes it in one transaction; the upload is
/// forgotten once it is in.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_table(
    state: &AppState,
    actor: &str,
    progress: &uppsikt_import::Progress,
    upload: &str,
    file_name: String,
    sheet: Option<String>,
    mapping: &str,
    role: &str,
    units: Vec<uppsikt_domain::model::Id>,
    bytes: Vec<u8>,
) -> std::result::Result<Finished, uppsikt_import::ImportReport> {
    let whole = uppsikt_import::Origin::new(&file_name, "");
    let single = |m: String| uppsikt_import::ImportReport::single(&whole, m);
    progress.set_step(messages::table_progress_checking());
    let table = state
        .uploads
        .parse(file_name.clone(), Arc::new(bytes), sheet)
        .await
        .map_err(single)?;
    let mapping = mapping_of(mapping).unwrap_or_else(|| Mapping::guess(&table.headers));
    let principal = uppsikt_domain::access::Principal {
        role: uppsikt_domain::access::Role::parse(role)
            .unwrap_or(uppsikt_domain::access::Role::Public),
        units,
    };
    let summary = check_and_commit(state, &table, &mapping, &principal, actor, progress).await?;
    if let Err(e) = state.store.remove_upload(upload).await {
        tracing::warn!("forgetting an imported upload failed: {e}");
    }
    state.uploads.forget(upload);
    Ok(Finished {
        summary: summary.lines_sv(),
        next: ("/import".into(), "Importera fler utfall".into()),
    })
}

/// The one way from a read table to written outcomes, for the web's import job and the
/// API's import alike: every row checked with the access of who imports, then written
/// all or nothing (`table::commit` checks again inside its transaction).
pub(crate) async fn check_and_commit(
    state: &AppState,
    table: &Table,
    mapping: &Mapping,
    principal: &uppsikt_domain::access::Principal,
    actor: &str,
    progress: &uppsikt_import::Progress,
) -> std::result::Result<table::TableSummary, uppsikt_import::ImportReport> {
    let checked = table::check(&state.store, table, mapping, principal).await?;
    table::commit(&state.store, &checked, actor, progress).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rows: usize) -> Vec<u8> {
        let mut out = b"M\xc3\xa5tt;V\xc3\xa4rde\n".to_vec();
        for i in 0..rows {
            out.extend(format!("matt-{i};{i}\n").into_bytes());
        }
        out
    }

    #[tokio::test]
    async fn a_file_waits_for_its_turn_to_be_parsed_and_else_is_asked_to_try_again() {
        let uploads = Uploads::default();
        let file = Arc::new(csv(3));
        let turns = uploads
            .parsing
            .clone()
            .acquire_many_owned(PARSE_PERMITS as u32)
            .await
            .unwrap();
        let wait = Duration::from_millis(50);
        let busy = uploads
            .parse_within(wait, "a.csv".into(), file.clone(), None)
            .await;
        assert_eq!(busy.unwrap_err(), messages::upload_busy());
        // A turn freed while it waits: the file is parsed.
        let parsing = uploads.parse_within(Duration::from_secs(5), "a.csv".into(), file, None);
        let free = async {
            tokio::time::sleep(wait).await;
            drop(turns);
        };
        let (table, ()) = tokio::join!(parsing, free);
        assert_eq!(table.unwrap().row_count(), 3);
    }

    #[test]
    fn the_tables_kept_are_bounded_in_bytes_oldest_first() {
        let table = |rows| Arc::new(table::read_table("a.csv", &csv(rows), None).unwrap());
        let one = table(20_000);
        let kept = one.heap_bytes();
        assert!(kept > 20_000 * 12, "{kept}");
        let mut map = HashMap::new();
        let budget = 2 * kept + kept / 2;
        for (i, token) in ["a", "b", "c"].into_iter().enumerate() {
            Uploads::make_room(&mut map, kept, None, budget);
            map.insert(
                token.to_string(),
                Parsed {
                    at: Instant::now() + Duration::from_millis(i as u64),
                    sheet: None,
                    table: one.clone(),
                },
            );
        }
        let mut tokens: Vec<&String> = map.keys().collect();
        tokens.sort();
        assert_eq!(tokens, ["b", "c"], "the oldest went first");
        let total: usize = map.values().map(|u| u.table.heap_bytes()).sum();
        assert!(total <= budget);
    }

    #[test]
    fn a_mapping_is_stored_and_read_back_as_chosen() {
        let mut m = Mapping::default();
        m.set(Field::ALL[0], Some(3));
        m.set(Field::ALL[2], Some(0));
        let back = mapping_of(&mapping_json(&m)).unwrap();
        for f in Field::ALL {
            assert_eq!(back.get(f), m.get(f));
        }
        assert!(mapping_of("[[\"nej\", 1]]").is_none());
    }
}
