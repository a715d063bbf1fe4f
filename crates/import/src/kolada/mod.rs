//! Getting Kolada's key figures in: from its API v3 or from saved pages (these machines
//! often have no internet), through one code path, all-or-nothing. See `docs/kolada.md`.
//!
//! 1. [`default_plan`] says what to get: the KPIs indicators are linked to, our
//!    municipality and every member of every comparison group, all years, incremental.
//! 2. [`import_kolada`] gets it from a [`Source`]. From the API every page is first saved
//!    to a directory (a temporary one, or [`ClientOptions::save_to`]); then the directory's
//!    pages are read on a blocking thread and fed in bounded chunks to one `Writer`, so
//!    that parsing and inserting overlap. Metadata, groups, values and deletions are
//!    written, linked indicators' outcomes filled (`sync_kolada_outcomes`), and the
//!    transaction committed only if every page was valid; otherwise every error is
//!    reported (file or URL, JSON path, Swedish message) and nothing is kept. A
//!    cancelled import ([`Progress::cancel`]) keeps nothing either.
//!
//! Values of municipality groups (a `G…` id as `municipality`) are counted and skipped:
//! group figures are computed from the members' values, as Kolada does.

mod fetch;
mod page;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use uppsikt_domain::kolada::{KoladaKey, KoladaValue, KpiId, MunicipalityId};
use uppsikt_domain::messages;
use uppsikt_store::{
    ComparisonGroupInput, KoladaKpi, KoladaMunicipality, OutcomeSync, Store, StoreError, Writer,
};

pub use fetch::{api_address, ApiAllowList, KOLADA_ORIGIN, MAX_IDS};
pub use page::{group_id, GroupData};

use crate::progress::Progress;
use crate::report::{ImportReport, Origin, RowError, MAX_ERRORS};
use fetch::{Incremental, Spool};
use page::{parse_page, Content, Filter, Op};

/// What one page held, as [`read_page`] counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PageCounts {
    pub kpis: usize,
    pub municipalities: usize,
    pub groups: usize,
    /// Values to write (missing ones included) and to delete (`isdeleted`).
    pub values: usize,
    pub deletes: usize,
    /// Values of municipality groups, skipped.
    pub group_values: u64,
}

/// Reads one saved page exactly as [`import_kolada`] does, without a database: what it
/// holds, or every error (file, JSON path, Swedish message; capped as in an import).
/// For checking a page before importing it, and for the hostile-input tests.
pub fn read_page(name: &str, bytes: &[u8]) -> Result<PageCounts, ImportReport> {
    let mut errors = crate::report::Errors::default();
    let page = parse_page(name, bytes, &Filter::default(), &mut errors);
    let mut counts = PageCounts::default();
    match page.content {
        Content::Empty => {}
        Content::Kpis(k) => counts.kpis = k.len(),
        Content::Municipalities(m) => counts.municipalities = m.len(),
        Content::Groups(g) => counts.groups = g.len(),
        Content::Data(batch) => {
            counts.group_values = batch.group_values;
            for op in &batch.ops {
                match op {
                    Op::Write(_) => counts.values += 1,
                    Op::Delete(_) => counts.deletes += 1,
                }
            }
        }
    }
    errors.into_result(counts)
}

/// Where the pages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory of saved pages: every `*.json` file in it, in name order, each one
    /// answer page of the API (the kind is told by the content).
    Dir(PathBuf),
    /// The API's base URL, e.g. `https://api.kolada.se/v3`.
    Api(String),
}

impl Source {
    /// `http://…` or `https://…` is the API, anything else a directory.
    pub fn parse(from: &str) -> Source {
        let t = from.trim();
        if t.starts_with("http://") || t.starts_with("https://") {
            Source::Api(t.to_string())
        } else {
            Source::Dir(PathBuf::from(from))
        }
    }
}

/// What to get. From the API, `kpis` and `municipalities` are required; from saved pages
/// every non-empty list (and `years`) filters, an empty one keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchPlan {
    pub kpis: Vec<KpiId>,
    pub municipalities: Vec<MunicipalityId>,
    /// First and last year, both included; `None`: all years.
    pub years: Option<(i32, i32)>,
    /// Ignore earlier fetches: ask for everything, not only what changed (`from_date`).
    pub full: bool,
}

impl FetchPlan {
    /// Everything in the pages (for saved directories).
    pub fn everything() -> FetchPlan {
        FetchPlan::default()
    }

    fn filter(&self) -> Filter {
        Filter {
            kpis: self.kpis.iter().map(|k| k.as_str().to_string()).collect(),
            municipalities: self
                .municipalities
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            years: self.years,
        }
    }
}

/// How to talk to the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Per request (connecting and reading the whole answer).
    pub timeout: Duration,
    /// Tries after the first, on 5xx, 429, time-outs and connection errors; never on
    /// another 4xx.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one (at most 30 s).
    pub backoff: Duration,
    /// Items per page (Kolada allows at most 5000).
    pub per_page: u32,
    /// Keep the fetched pages in this directory (a copy to import offline with
    /// [`Source::Dir`]); `None`: a temporary directory, removed afterwards.
    pub save_to: Option<PathBuf>,
    /// Where the API may be: Kolada's own and what the operator allows.
    pub allowed: ApiAllowList,
    /// The largest answer read (one page); a larger one stops the fetch. A page of 5000
    /// values is about 2 MB.
    pub max_page_bytes: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_secs(1),
            per_page: 5000,
            save_to: None,
            allowed: ApiAllowList::default(),
            max_page_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KoladaSummary {
    /// Pages read (files, or pages fetched).
    pub pages: usize,
    /// HTTP requests answered (0 offline), and retries that were needed.
    pub requests: usize,
    pub retries: usize,
    /// Values written (including missing ones).
    pub values: u64,
    /// Of those, values without a figure (stored as missing, never 0).
    pub missing: u64,
    /// Values Kolada withdrew (`isdeleted`), removed if stored.
    pub deleted: u64,
    /// Values of municipality groups, skipped (figures are computed from the members).
    pub group_values: u64,
    /// Values in the pages outside the plan (other KPIs, municipalities or years).
    pub outside_plan: u64,
    /// KPI metadata, municipalities and municipality groups written.
    pub kpis: usize,
    pub municipalities: usize,
    pub groups: usize,
    /// KPIs whose values were written or deleted.
    pub value_kpis: BTreeSet<String>,
    /// Data requests that asked only for changes (`from_date`).
    pub incremental_requests: usize,
    /// The linked indicators' outcomes, filled from our municipality's values.
    pub outcomes: OutcomeSync,
}

impl KoladaSummary {
    /// What the import did, in Swedish, one sentence a line (the CLI prints them, the web
    /// page lists them).
    pub fn lines_sv(&self) -> Vec<String> {
        let mut out = vec![
            messages::kolada_read(self.pages as u64, self.requests as u64, self.retries as u64),
            messages::kolada_values_written(self.values, self.missing, self.deleted),
        ];
        if self.kpis + self.municipalities + self.groups > 0 {
            out.push(messages::kolada_metadata_written(
                self.kpis as u64,
                self.municipalities as u64,
                self.groups as u64,
            ));
        }
        if self.group_values + self.outside_plan > 0 {
            out.push(messages::kolada_skipped(
                self.group_values,
                self.outside_plan,
            ));
        }
        if self.incremental_requests > 0 {
            out.push(messages::kolada_incremental(
                self.incremental_requests as u64,
            ));
        }
        let o = &self.outcomes;
        if o.no_municipality {
            out.push(messages::kolada_no_own_municipality());
        } else if o.indicators > 0 {
            out.push(messages::kolada_outcomes_synced(
                o.indicators as u64,
                o.set as u64,
                o.removed as u64,
                o.unchanged as u64,
            ));
        }
        if !o.locked.is_empty() {
            out.push(messages::kolada_outcomes_locked(o.locked.len() as u64));
        }
        out
    }
}

/// The plan for "Hämta från Kolada": the KPIs that indicators are linked to; our
/// municipality and every member of every comparison group; all years; incremental.
/// (From the API, the Kolada municipality groups among the comparison groups are always
/// fetched too, to refresh their members.)
pub async fn default_plan(store: &Store) -> Result<FetchPlan, ImportReport> {
    let whole = Origin::new("", "");
    let db =
        |e: StoreError| ImportReport::single(&whole, messages::import_database(&e.to_string()));
    let kpis = store.linked_kpis().await.map_err(db)?;
    let settings = store.kolada_settings().await.map_err(db)?;
    let groups = store.comparison_groups().await.map_err(db)?;
    let mut places: BTreeSet<MunicipalityId> = settings.municipality.into_iter().collect();
    for g in &groups {
        places.extend(g.members.iter().cloned());
    }
    Ok(FetchPlan {
        kpis: kpis.into_iter().map(|(k, _)| k).collect(),
        municipalities: places.into_iter().collect(),
        years: None,
        full: false,
    })
}

/// Imports Kolada's pages from `source` as `plan` says, all-or-nothing (see the module
/// documentation). `progress` shows how far it has come; cancelling it rolls back.
pub async fn import_kolada(
    store: &Store,
    source: &Source,
    plan: &FetchPlan,
    options: &ClientOptions,
    actor: &str,
    progress: &Progress,
) -> Result<KoladaSummary, ImportReport> {
    match source {
        Source::Dir(dir) => {
            let files = json_files(dir)?;
            import_input(
                store,
                Input::Files(files),
                plan,
                actor,
                progress,
                KoladaSummary::default(),
                false,
            )
            .await
        }
        Source::Api(url) => import_api(store, url, plan, options, actor, progress).await,
    }
}

/// Fetches every page the plan needs into a spool directory (nothing is written to the
/// database while the network is in use), then imports those pages like a saved directory.
async fn import_api(
    store: &Store,
    url: &str,
    plan: &FetchPlan,
    options: &ClientOptions,
    actor: &str,
    progress: &Progress,
) -> Result<KoladaSummary, ImportReport> {
    let whole = Origin::new("", "");
    let db =
        |e: StoreError| ImportReport::single(&whole, messages::import_database(&e.to_string()));
    let base = fetch::base_url(url, &options.allowed)?;
    if plan.kpis.is_empty() {
        return Err(ImportReport::single(&whole, messages::kolada_no_kpis()));
    }
    if plan.municipalities.is_empty() {
        return Err(ImportReport::single(
            &whole,
            messages::kolada_no_municipalities(),
        ));
    }
    let incremental = Incremental {
        fetched_on: store
            .kolada_fetched_on()
            .await
            .map_err(db)?
            .into_iter()
            .collect(),
        stored: if plan.full {
            BTreeSet::new()
        } else {
            store.kolada_pairs(&plan.kpis).await.map_err(db)?
        },
    };
    let groups: Vec<String> = store
        .comparison_groups()
        .await
        .map_err(db)?
        .into_iter()
        .filter_map(|g| g.kolada_id)
        .collect();
    let list = fetch::requests(plan, &groups, &incremental);
    let mut summary = KoladaSummary {
        incremental_requests: list.iter().filter(|r| r.from_date.is_some()).count(),
        ..KoladaSummary::default()
    };
    let mut spool = Spool::new(options.save_to.as_deref())?;
    let fetched = fetch::fetch_all(&base, &list, options, &mut spool, progress).await?;
    summary.requests = fetched.requests;
    summary.retries = fetched.retries;
    let files = spool.files().to_vec();
    // A complete fetch of all years: the next one asks only for changes since today.
    let complete = plan.years.is_none();
    import_input(
        store,
        Input::Files(files),
        plan,
        actor,
        progress,
        summary,
        complete,
    )
    .await
}

/// Reads the pages into one writer, records the fetch, fills the linked outcomes and
/// commits; or reports every error and keeps nothing.
async fn import_input(
    store: &Store,
    input: Input,
    plan: &FetchPlan,
    actor: &str,
    progress: &Progress,
    mut summary: KoladaSummary,
    complete: bool,
) -> Result<KoladaSummary, ImportReport> {
    let (w, touched) = read_pages(store, input, plan, actor, progress, &mut summary).await?;
    finish(w, touched, plan, complete, progress, summary).await
}

/// Records the fetch, fills the linked outcomes and commits (unless cancelled).
async fn finish(
    mut w: Writer,
    touched: BTreeSet<String>,
    plan: &FetchPlan,
    complete: bool,
    progress: &Progress,
    mut summary: KoladaSummary,
) -> Result<KoladaSummary, ImportReport> {
    let whole = Origin::new("", "");
    let db =
        |e: StoreError| ImportReport::single(&whole, messages::import_database(&e.to_string()));
    progress.set_step("Fyller i utfall för kopplade mått");
    let result = async {
        if complete {
            w.set_kolada_fetched_on(&plan.kpis, &uppsikt_store::today())
                .await?;
        } else {
            // Some years only (or saved pages): a pair this stored may lack other years,
            // which a later `from_date` would never ask for. The KPI's next fetch is whole.
            let partial: Vec<KpiId> = touched.iter().filter_map(|k| KpiId::parse(k)).collect();
            w.forget_kolada_fetched_on(&partial).await?;
        }
        let mut kpis = touched.clone();
        kpis.extend(plan.kpis.iter().map(|k| k.as_str().to_string()));
        w.sync_kolada_outcomes(Some(&kpis)).await
    }
    .await;
    match result {
        Ok(sync) => summary.outcomes = sync,
        Err(e) => {
            let _ = w.rollback().await;
            return Err(db(e));
        }
    }
    if let Err(cancelled) = progress.check() {
        let _ = w.rollback().await;
        return Err(cancelled);
    }
    if let Err(r) = progress.seal(&mut w).await {
        let _ = w.rollback().await;
        return Err(r);
    }
    w.commit().await.map_err(db)?;
    summary.value_kpis = touched;
    progress.set_step("Klart");
    Ok(summary)
}

/// The `*.json` files of a directory, by name, each with the name errors give it.
fn json_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ImportReport> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ImportReport::single(
            &Origin::new("", ""),
            messages::cannot_read_dir(&shown, &e.to_string()),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("json"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ImportReport::single(
            &Origin::new("", ""),
            messages::no_json_files(&shown),
        ));
    }
    Ok(files
        .into_iter()
        .map(|p| (p.display().to_string(), p))
        .collect())
}

enum Input {
    /// Files, each with the name errors give it (its path, or the URL it was fetched from).
    Files(Vec<(String, PathBuf)>),
    Memory(Vec<(String, String)>),
}

impl Input {
    fn len(&self) -> usize {
        match self {
            Input::Files(f) => f.len(),
            Input::Memory(m) => m.len(),
        }
    }
}

/// What the reading thread sends to the writer, in page order.
enum Msg {
    Start(String),
    /// A page's errors, and how many more it had beyond the cap.
    Errors(Vec<RowError>, usize),
    Kpis(Vec<KoladaKpi>),
    Municipalities(Vec<KoladaMunicipality>),
    Groups(Vec<GroupData>),
    Values(Vec<KoladaValue>),
    Deletes(Vec<KoladaKey>),
    Skipped {
        group_values: u64,
        outside_plan: u64,
    },
    PageDone,
}

/// Values per message: bounds the memory in flight (a few messages are queued).
const CHUNK: usize = 20_000;
const QUEUED: usize = 4;

/// A page's name and its bytes (or why they could not be read).
type NamedBytes = (String, Result<Vec<u8>, String>);

/// The reading thread: every page parsed in order and sent in chunks; stops when the
/// writer hangs up (an error in the database, or cancellation).
fn read_all(input: Input, filter: Filter, tx: mpsc::Sender<Msg>) {
    let send = |m: Msg| tx.blocking_send(m).is_ok();
    let pages: Box<dyn Iterator<Item = NamedBytes>> = match input {
        Input::Files(files) => Box::new(files.into_iter().map(|(name, p)| {
            let bytes = std::fs::read(&p).map_err(|e| e.to_string());
            (name, bytes)
        })),
        Input::Memory(pages) => Box::new(pages.into_iter().map(|(n, t)| (n, Ok(t.into_bytes())))),
    };
    for (name, bytes) in pages {
        if !send(Msg::Start(name.clone())) {
            return;
        }
        let mut errors = crate::report::Errors::default();
        let page = match bytes {
            Ok(bytes) => Some(parse_page(&name, &bytes, &filter, &mut errors)),
            Err(e) => {
                errors.at(&Origin::new(&name, ""), messages::cannot_read_file(&e));
                None
            }
        };
        if !errors.is_empty() && !send(Msg::Errors(errors.0, errors.1)) {
            return;
        }
        let ok = match page.map(|p| p.content) {
            None | Some(Content::Empty) => true,
            Some(Content::Kpis(k)) => send(Msg::Kpis(k)),
            Some(Content::Municipalities(m)) => send(Msg::Municipalities(m)),
            Some(Content::Groups(g)) => send(Msg::Groups(g)),
            Some(Content::Data(batch)) => {
                send(Msg::Skipped {
                    group_values: batch.group_values,
                    outside_plan: batch.outside_plan,
                }) && send_runs(batch.ops, &send)
            }
        };
        if !ok || !send(Msg::PageDone) {
            return;
        }
    }
}

/// Writes and deletions in their order, as runs of at most [`CHUNK`].
fn send_runs(ops: Vec<Op>, send: &impl Fn(Msg) -> bool) -> bool {
    let mut values = Vec::new();
    let mut deletes = Vec::new();
    for op in ops {
        match op {
            Op::Write(v) => {
                if !deletes.is_empty() && !send(Msg::Deletes(std::mem::take(&mut deletes))) {
                    return false;
                }
                values.push(v);
                if values.len() == CHUNK && !send(Msg::Values(std::mem::take(&mut values))) {
                    return false;
                }
            }
            Op::Delete(k) => {
                if !values.is_empty() && !send(Msg::Values(std::mem::take(&mut values))) {
                    return false;
                }
                deletes.push(k);
            }
        }
    }
    (values.is_empty() || send(Msg::Values(values)))
        && (deletes.is_empty() || send(Msg::Deletes(deletes)))
}

/// Reads every page into one writer. `Ok`: the writer (not committed) and the KPIs whose
/// values changed; `Err`: every error, and the writer rolled back.
async fn read_pages(
    store: &Store,
    input: Input,
    plan: &FetchPlan,
    actor: &str,
    progress: &Progress,
    summary: &mut KoladaSummary,
) -> Result<(Writer, BTreeSet<String>), ImportReport> {
    let whole = Origin::new("", "");
    let db_at = |name: &str, e: StoreError| {
        ImportReport::single(
            &Origin::new(name, ""),
            messages::import_database(&e.to_string()),
        )
    };
    // Kolada's groups may already be comparison groups under a key of the user's choice.
    let mut group_keys: std::collections::HashMap<String, String> = store
        .comparison_groups()
        .await
        .map_err(|e| db_at("", e))?
        .into_iter()
        .filter_map(|g| g.kolada_id.map(|id| (id, g.key)))
        .collect();
    let total = input.len();
    progress.set_done(0);
    progress.set_total(total as u64);
    let mut w = store
        .writer(actor, uppsikt_store::ChangeSource::Kolada)
        .await
        .map_err(|e| db_at("", e))?;
    let (tx, mut rx) = mpsc::channel(QUEUED);
    let filter = plan.filter();
    let reader = tokio::task::spawn_blocking(move || read_all(input, filter, tx));

    let mut errors: Vec<RowError> = Vec::new();
    let mut more_errors = 0usize;
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut current = String::new();
    let mut failure: Option<ImportReport> = None;
    while let Some(msg) = rx.recv().await {
        if progress.is_cancelled() {
            failure = Some(ImportReport::cancelled());
            break;
        }
        let clean = errors.is_empty() && more_errors == 0;
        let written: Result<(), StoreError> = match msg {
            Msg::Start(name) => {
                progress.set_step(format!(
                    "Läser in sida {} av {total}",
                    progress.snapshot().done + 1
                ));
                current = name;
                Ok(())
            }
            Msg::PageDone => {
                summary.pages += 1;
                progress.advance(1);
                Ok(())
            }
            Msg::Errors(list, beyond) => {
                more_errors += beyond;
                for e in list {
                    if errors.len() < MAX_ERRORS {
                        errors.push(e);
                    } else {
                        more_errors += 1;
                    }
                }
                Ok(())
            }
            Msg::Skipped {
                group_values,
                outside_plan,
            } => {
                summary.group_values += group_values;
                summary.outside_plan += outside_plan;
                Ok(())
            }
            _ if !clean => Ok(()),
            Msg::Kpis(list) => {
                summary.kpis += list.len();
                w.upsert_kolada_kpis(&list).await
            }
            Msg::Municipalities(list) => {
                summary.municipalities += list.len();
                w.upsert_kolada_municipalities(&list).await
            }
            Msg::Groups(list) => {
                let mut r = Ok(());
                for g in list {
                    let key = group_keys
                        .entry(g.id.clone())
                        .or_insert_with(|| format!("kolada-{}", g.id.to_lowercase()))
                        .clone();
                    let input = ComparisonGroupInput {
                        key,
                        title: g.title,
                        kolada_id: Some(g.id),
                        members: g.members,
                    };
                    summary.groups += 1;
                    r = w.upsert_comparison_group(&input).await.map(|_| ());
                    if r.is_err() {
                        break;
                    }
                }
                r
            }
            Msg::Values(values) => {
                summary.values += values.len() as u64;
                summary.missing += values.iter().filter(|v| v.value.is_none()).count() as u64;
                for v in &values {
                    if !touched.contains(v.kpi.as_str()) {
                        touched.insert(v.kpi.as_str().to_string());
                    }
                }
                w.write_kolada_values(&values).await
            }
            Msg::Deletes(keys) => {
                summary.deleted += keys.len() as u64;
                touched.extend(keys.iter().map(|k| k.kpi.as_str().to_string()));
                w.delete_kolada_values(&keys).await
            }
        };
        if let Err(e) = written {
            failure = Some(db_at(&current, e));
            break;
        }
    }
    // Hanging up stops the reader at its next page or chunk.
    drop(rx);
    let joined = reader.await;
    if failure.is_none() && progress.is_cancelled() {
        failure = Some(ImportReport::cancelled());
    }
    if failure.is_none() {
        if let Err(e) = joined {
            failure = Some(ImportReport::single(
                &whole,
                messages::import_database(&e.to_string()),
            ));
        }
    }
    if failure.is_none() && !errors.is_empty() {
        if more_errors > 0 {
            errors.push(whole.error(messages::too_many_errors(more_errors)));
        }
        failure = Some(ImportReport {
            errors,
            cancelled: false,
        });
    }
    match failure {
        Some(report) => {
            let _ = w.rollback().await;
            Err(report)
        }
        None => Ok((w, touched)),
    }
}

/// The demo's saved Kolada pages (`demo/kolada/`), built in like [`crate::DEMO`]: N00901
/// (kommunal skattesats) 2017–2019 for the municipalities of Stockholm County, the county
/// as a municipality group, and their metadata. See `demo/kolada/README.md`.
pub const DEMO_KOLADA: &[(&str, &str)] = &[
    (
        "demo/kolada/kpi.json",
        include_str!("../../../../demo/kolada/kpi.json"),
    ),
    (
        "demo/kolada/municipality.json",
        include_str!("../../../../demo/kolada/municipality.json"),
    ),
    (
        "demo/kolada/municipality_groups.json",
        include_str!("../../../../demo/kolada/municipality_groups.json"),
    ),
    (
        "demo/kolada/data.json",
        include_str!("../../../../demo/kolada/data.json"),
    ),
];

/// Imports the built-in demo pages ([`DEMO_KOLADA`]) through [`import_kolada`].
pub async fn load_demo_kolada(store: &Store, actor: &str) -> Result<KoladaSummary, ImportReport> {
    let pages = DEMO_KOLADA
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    import_input(
        store,
        Input::Memory(pages),
        &FetchPlan::everything(),
        actor,
        &Progress::default(),
        KoladaSummary::default(),
        false,
    )
    .await
}
