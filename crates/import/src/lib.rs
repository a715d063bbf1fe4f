//! Getting data into uppsikt: the `uppsikt/1` data file format (TOML, see
//! `docs/import-format.md`).
//!
//! Three steps, all-or-nothing:
//! 1. [`parse_files`] / [`parse_str`]: TOML → [`DataSet`]; every row becomes domain types
//!    (periods, breakdowns, targets, numbers with decimal comma, dates, keys), duplicates
//!    within and across files are found. Every error is collected, none stops the parse.
//! 2. [`load`]: key references are resolved against the files and then the database,
//!    assessment levels against the active scale; then one transaction writes everything.
//! 3. Any error: nothing is written and an [`ImportReport`] lists every problem with its
//!    file and location, in Swedish.

mod area;
mod audit;
mod checks;
mod data;
mod demo_deviations;
pub mod economy;
mod internal_control;
mod json;
pub mod kolada;
mod load;
mod parse;
pub mod progress;
mod reader;
mod report;
mod resolve;
pub mod sie;
pub mod table;

use std::path::{Path, PathBuf};

use uppsikt_domain::case_ref::CaseRefFormat;
use uppsikt_domain::messages;
use uppsikt_store::{ChangeSource, Store};

pub use area::{
    ActivityData, AgreementData, EvidenceData, FocusAreaData, ForumData, LevelScaleData,
    ObligationData, PresentationData, SituationReportData, StatuteData, CODE_MAX,
};
pub use data::{
    ActionData, AreaData, AssessmentData, AuditData, AuditRecommendationData, BlockerData,
    CommitmentData, ComparisonGroupData, ControlData, ControlPlanData, DataSet, GoalData,
    IcItemKey, IcLinkData, IndicatorData, ItemKey, Key, KoladaData, OccurrenceData, OrgUnitData,
    QuestionData, RecommendationData, ResponseData, ResponseItemData, RiskData, StatusData,
    VerdictData, VisionData, ITEM_KEY_MAX, KEY_MAX, NAME_MAX, TEXT_MAX,
};
pub use demo_deviations::load_demo_deviations;
pub use load::{load, Summary};
pub use parse::FORMAT;
pub use progress::{Progress, Snapshot};
pub use report::{ImportReport, Origin, RowError};
/// The police's classification of an area (the domain's; the format's codes).
pub use uppsikt_domain::area::PoliceClass;

use report::Errors;

/// Reads, parses and validates all files, merged in the order given; case numbers in
/// Huddinge's format ([`CaseRefFormat::DEFAULT_TEMPLATE`]).
pub fn parse_files(paths: &[PathBuf]) -> Result<DataSet, ImportReport> {
    parse_files_in(paths, &CaseRefFormat::default())
}

/// [`parse_files`] with the installation's case-number format.
pub fn parse_files_in(paths: &[PathBuf], format: &CaseRefFormat) -> Result<DataSet, ImportReport> {
    let mut errors = Errors::default();
    let mut data = DataSet::default();
    for path in paths {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => data.append(parse::parse_document(&file, &text, &mut errors, format)),
            Err(e) => errors.at(
                &Origin::new(&file, ""),
                messages::cannot_read_file(&e.to_string()),
            ),
        }
    }
    checks::check_merged(&data, &mut errors);
    errors.into_result(data)
}

/// Parses and validates one file held in memory; `name` is used in error messages.
pub fn parse_str(name: &str, text: &str) -> Result<DataSet, ImportReport> {
    parse_texts(&[(name, text)])
}

/// [`parse_str`] with the installation's case-number format.
pub fn parse_str_in(
    name: &str,
    text: &str,
    format: &CaseRefFormat,
) -> Result<DataSet, ImportReport> {
    parse_texts_in(&[(name, text)], format)
}

/// Parses and validates several files held in memory (name, text), merged in order.
pub fn parse_texts(files: &[(&str, &str)]) -> Result<DataSet, ImportReport> {
    parse_texts_in(files, &CaseRefFormat::default())
}

/// [`parse_texts`] with the installation's case-number format.
pub fn parse_texts_in(
    files: &[(&str, &str)],
    format: &CaseRefFormat,
) -> Result<DataSet, ImportReport> {
    let mut errors = Errors::default();
    let mut data = DataSet::default();
    for (name, text) in files {
        data.append(parse::parse_document(name, text, &mut errors, format));
    }
    checks::check_merged(&data, &mut errors);
    errors.into_result(data)
}

/// The same document as JSON (`{"format":"uppsikt/1","audits":[…]}`), for the web's JSON
/// API: read into the values the TOML reader walks (a `null`, which TOML cannot hold, is
/// refused at its place), then parsed and validated as a file; case numbers in Huddinge's
/// format.
pub fn parse_json(name: &str, json: &str) -> Result<DataSet, ImportReport> {
    parse_json_in(name, json, &CaseRefFormat::default())
}

/// [`parse_json`] with the installation's case-number format.
pub fn parse_json_in(
    name: &str,
    json: &str,
    format: &CaseRefFormat,
) -> Result<DataSet, ImportReport> {
    let mut errors = Errors::default();
    let data = match json::to_table(name, json, &mut errors) {
        Some(table) => parse::parse_table(name, &table, &mut errors, format),
        None => DataSet::default(),
    };
    checks::check_merged(&data, &mut errors);
    errors.into_result(data)
}

/// The demo data set (`demo/*.toml`), built into the program so that `uppsikt demo` works
/// anywhere; in load order, as [`demo_files`] lists them (the decisions are in
/// [`DEMO_DECISIONS`]). The files are loaded as one: the audits are written after the
/// internal-control plans they link to whatever the files' order.
pub const DEMO: &[(&str, &str)] = &[
    (
        "demo/huddinge.toml",
        include_str!("../../../demo/huddinge.toml"),
    ),
    (
        "demo/audits.toml",
        include_str!("../../../demo/audits.toml"),
    ),
    (
        "demo/economy.toml",
        include_str!("../../../demo/economy.toml"),
    ),
    (
        "demo/kf-2021-2023.toml",
        include_str!("../../../demo/kf-2021-2023.toml"),
    ),
    (
        "demo/ks-2019-internal-control.toml",
        include_str!("../../../demo/ks-2019-internal-control.toml"),
    ),
    (
        "demo/ks-2019.toml",
        include_str!("../../../demo/ks-2019.toml"),
    ),
    (
        "demo/safety.toml",
        include_str!("../../../demo/safety.toml"),
    ),
];

/// The decisions the seeds document (`demo/decisions.toml`), loaded last.
pub const DEMO_DECISIONS: (&str, &str) = (
    "demo/decisions.toml",
    include_str!("../../../demo/decisions.toml"),
);

/// Loads the built-in demo data set ([`DEMO`]), then the demo's saved Kolada pages
/// ([`kolada::DEMO_KOLADA`]: the values behind the ranks and group averages of the linked
/// indicators, and Stockholm County's members), then the decisions ([`DEMO_DECISIONS`]),
/// which lock what they cover as it then is. Each step is all-or-nothing; loading the demo
/// again updates by key and leaves decided data as decided. The summary is that of the
/// data files and the decisions.
pub async fn load_demo(store: &Store, actor: &str) -> Result<Summary, ImportReport> {
    let mut summary = load_demo_data(store, actor).await?;
    let decisions = parse_texts(&[DEMO_DECISIONS])?;
    summary.decisions = load(store, &decisions, actor, ChangeSource::Demo)
        .await?
        .decisions;
    Ok(summary)
}

/// The demo as working material before its boards decided: [`load_demo`] without the
/// decisions, so that every period can still be written (tests of imports and forms).
pub async fn load_demo_data(store: &Store, actor: &str) -> Result<Summary, ImportReport> {
    let data = parse_texts(DEMO)?;
    let summary = load(store, &data, actor, ChangeSource::Demo).await?;
    kolada::load_demo_kolada(store, actor).await?;
    Ok(summary)
}

/// [`parse_files`] and [`load`] in one step.
pub async fn import_files(
    store: &Store,
    paths: &[PathBuf],
    actor: &str,
) -> Result<Summary, ImportReport> {
    import_files_in(store, paths, actor, &CaseRefFormat::default()).await
}

/// [`import_files`] with the installation's case-number format ([`load`] needs none: the
/// parsed data holds the case numbers' parts).
pub async fn import_files_in(
    store: &Store,
    paths: &[PathBuf],
    actor: &str,
    format: &CaseRefFormat,
) -> Result<Summary, ImportReport> {
    let data = parse_files_in(paths, format)?;
    load(store, &data, actor, files_source(paths)).await
}

/// The source the change log names for data files: their names (without directories),
/// joined by ", ".
pub fn files_source(paths: &[PathBuf]) -> ChangeSource {
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    ChangeSource::file(&names.join(", "))
}

/// The demo data files in `dir` in load order: `huddinge.toml` (the organisation) first,
/// then the other `*.toml` files by name, `decisions.toml` last.
pub fn demo_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort_by_key(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (name != "huddinge.toml", name == "decisions.toml", p.clone())
    });
    files
}

#[cfg(test)]
mod tests;
