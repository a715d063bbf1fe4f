//! `uppsikt import …`: data files, Kolada (API or saved pages) and outcome tables, each
//! all-or-nothing, with a progress bar on the terminal; Ctrl+C cancels and keeps nothing.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use uppsikt_domain::access::{Principal, Role};
use uppsikt_domain::kolada::{KpiId, MunicipalityId};
use uppsikt_domain::messages;
use uppsikt_import::kolada::{self, ClientOptions, FetchPlan, Source};
use uppsikt_import::table::{self, Field, Mapping};
use uppsikt_import::{ImportReport, Progress};
use uppsikt_store::Store;

use crate::Failure;

/// Who the change log names for imports from the command line.
const ACTOR: &str = "kommandorad";

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Files in the uppsikt/1 data format (docs/import-format.md); all or nothing.
    #[command(
        about = "Importera filer i formatet uppsikt/1 (docs/import-format.md); allt eller inget"
    )]
    Data {
        #[arg(required = true, help = "Filer att importera")]
        files: Vec<PathBuf>,
    },
    /// Kolada's key figures from its API v3 or from saved pages (docs/kolada.md).
    #[command(
        about = "Hämta nyckeltal från Kolada (API v3) eller från sparade sidor (docs/kolada.md); allt eller inget"
    )]
    Kolada(KoladaArgs),
    /// Outcomes from a CSV, Excel or OpenDocument table (docs/import-outcomes.md).
    #[command(
        about = "Importera utfall från en tabell: CSV, Excel (xlsx, xls) eller OpenDocument (ods); allt eller inget"
    )]
    Outcomes(OutcomesArgs),
    /// Budget and outcome from a SIE 4 ledger file (docs/import-format.md, "SIE 4").
    #[command(
        about = "Importera budget och utfall från en SIE 4-fil från ekonomisystemet (#PSALDO, #PBUDGET); allt eller inget"
    )]
    Sie(SieArgs),
}

#[derive(Args)]
pub struct SieArgs {
    #[arg(help = "SIE 4-filen (PC8/CP437, t.ex. .se eller .si)")]
    pub file: PathBuf,
    #[arg(
        long,
        value_name = "ENHET",
        help = "Enheten (nyckel, id eller kortnamn, t.ex. ks) som får rader utan ansvarsobjekt; utan den är sådana rader fel"
    )]
    pub unit: Option<String>,
}

#[derive(Args)]
pub struct KoladaArgs {
    #[arg(
        long,
        value_name = "KATALOG|URL",
        help = "En katalog med sparade svarssidor (*.json) eller API:ets adress, t.ex. https://api.kolada.se/v3 (standard: adressen på Kolada-sidan)"
    )]
    from: Option<String>,
    #[arg(
        long = "kpi",
        value_name = "ID",
        value_delimiter = ',',
        help = "Nyckeltal att hämta, t.ex. N00901 (standard: de som mått är kopplade till; från en katalog: alla)"
    )]
    kpis: Vec<String>,
    #[arg(
        long = "municipality",
        value_name = "ID",
        value_delimiter = ',',
        help = "Kommuner att hämta, t.ex. 0126 (standard: vår kommun och jämförelsegruppernas medlemmar; från en katalog: alla)"
    )]
    municipalities: Vec<String>,
    #[arg(
        long,
        value_name = "ÅR[-ÅR]",
        help = "Bara dessa år, t.ex. 2015-2023 (standard: alla)"
    )]
    years: Option<String>,
    #[arg(
        long,
        help = "Hämta allt på nytt, inte bara det som ändrats sedan förra hämtningen"
    )]
    full: bool,
    #[arg(
        long,
        value_name = "KATALOG",
        help = "Spara hämtade sidor i denna (nya eller tomma) katalog för import på en dator utan internet"
    )]
    save: Option<PathBuf>,
    #[arg(
        long,
        default_value_t = 60,
        value_name = "SEKUNDER",
        help = "Längsta väntan på ett svar"
    )]
    timeout: u64,
    #[arg(
        long,
        default_value_t = 4,
        help = "Antal nya försök vid serverfel och tidsgränser"
    )]
    retries: u32,
}

#[derive(Args)]
pub struct OutcomesArgs {
    #[arg(help = "Filen: .csv, .xlsx, .xls eller .ods")]
    file: PathBuf,
    #[arg(long, help = "Bladet att läsa (standard: det första)")]
    sheet: Option<String>,
    #[arg(
        long = "column",
        value_name = "FÄLT=KOLUMN",
        help = "Vilken kolumn som innehåller vad, t.ex. värde=D eller \"Mått=Nyckeltal\"; fält: mått, period, uppdelning, värde, felmarginal, antal svarande (standard: gissas från rubrikerna)"
    )]
    columns: Vec<String>,
    #[arg(
        long,
        help = "Kontrollera bara och visa vad som skulle importeras; spara ingenting"
    )]
    dry_run: bool,
}

pub async fn run(
    store: &Store,
    what: ImportCommand,
    kolada_api: kolada::ApiAllowList,
    case_ref_format: &uppsikt_domain::case_ref::CaseRefFormat,
) -> Result<(), Failure> {
    match what {
        ImportCommand::Data { files } => {
            let summary = uppsikt_import::import_files_in(store, &files, ACTOR, case_ref_format)
                .await
                .map_err(nothing_imported)?;
            println!(
                "Importerat: {} enheter, {} mål, {} mått, {} utfall, {} etappmål, {} åtaganden, {} bedömningar, {} redovisningar av händelser och förbättringsområden, {} internkontrollplaner, {} granskningar, {} områden, {} lägesbilder, {} forum, {} överenskommelser och planer, {} lagar med {} skyldigheter.",
                summary.org_units, summary.goals, summary.indicators, summary.outcomes, summary.milestones, summary.commitments, summary.assessments, summary.period_reviews, summary.control_plans, summary.audits, summary.areas, summary.situation_reports, summary.forums, summary.agreements, summary.statutes, summary.obligations
            );
            let e = &summary.economy;
            if *e != uppsikt_import::economy::EconomySummary::default() {
                println!(
                    "{}",
                    messages::economy::economy_loaded(
                        e.budget_lines,
                        e.investment_nodes,
                        e.carry_overs,
                        e.grants
                    )
                );
            }
            for w in &summary.warnings {
                println!("Obs: {w}");
            }
            Ok(())
        }
        ImportCommand::Kolada(args) => import_kolada(store, args, kolada_api).await,
        ImportCommand::Outcomes(args) => import_outcomes(store, args).await,
        ImportCommand::Sie(args) => import_sie(store, args).await,
    }
}

/// `uppsikt import sie FILE --unit KEY` (also `uppsikt import-sie`).
pub async fn import_sie(store: &Store, args: SieArgs) -> Result<(), Failure> {
    let summary = with_progress(|p| async move {
        uppsikt_import::sie::import_file(store, &args.file, args.unit.as_deref(), ACTOR, &p).await
    })
    .await
    .map_err(nothing_imported)?;
    for line in summary.lines_sv() {
        println!("{line}");
    }
    Ok(())
}

fn nothing_imported(report: ImportReport) -> Failure {
    if report.cancelled {
        Failure(report.to_string())
    } else {
        Failure(format!("{}\n{report}", messages::nothing_imported()))
    }
}

async fn import_kolada(
    store: &Store,
    args: KoladaArgs,
    allowed: kolada::ApiAllowList,
) -> Result<(), Failure> {
    let source = match &args.from {
        Some(from) => Source::parse(from),
        None => Source::Api(store.kolada_settings().await?.api_url),
    };
    let mut plan = match source {
        Source::Dir(_) => FetchPlan::everything(),
        Source::Api(_) => kolada::default_plan(store)
            .await
            .map_err(nothing_imported)?,
    };
    if !args.kpis.is_empty() {
        plan.kpis = parse_ids(&args.kpis, KpiId::parse, messages::invalid_kpi_id)?;
    }
    if !args.municipalities.is_empty() {
        plan.municipalities = parse_ids(
            &args.municipalities,
            MunicipalityId::parse,
            messages::invalid_municipality_id,
        )?;
    }
    plan.years = args.years.as_deref().map(parse_years).transpose()?;
    plan.full = args.full;
    let options = ClientOptions {
        timeout: Duration::from_secs(args.timeout.max(1)),
        retries: args.retries,
        save_to: args.save,
        allowed,
        ..ClientOptions::default()
    };
    let summary = with_progress(|p| async move {
        kolada::import_kolada(store, &source, &plan, &options, ACTOR, &p).await
    })
    .await
    .map_err(nothing_imported)?;
    for line in summary.lines_sv() {
        println!("{line}");
    }
    println!("{}", uppsikt_domain::kolada::ATTRIBUTION);
    Ok(())
}

fn parse_ids<T>(
    given: &[String],
    parse: impl Fn(&str) -> Option<T>,
    invalid: impl Fn(&str) -> String,
) -> Result<Vec<T>, Failure> {
    given
        .iter()
        .map(|s| parse(s.trim()).ok_or_else(|| Failure(invalid(s))))
        .collect()
}

/// `2019` or `2015-2023`.
fn parse_years(s: &str) -> Result<(i32, i32), Failure> {
    let year = |t: &str| {
        t.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (year(a), year(b)),
        None => (year(s), year(s)),
    };
    match (a, b) {
        (Some(a), Some(b)) if a <= b => Ok((a, b)),
        _ => Err(Failure(messages::invalid_year_range(s))),
    }
}

async fn import_outcomes(store: &Store, args: OutcomesArgs) -> Result<(), Failure> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| {
        Failure(format!(
            "{name}: {}",
            messages::cannot_read_file(&e.to_string())
        ))
    })?;
    let table =
        table::read_table(&name, &bytes, args.sheet.as_deref()).map_err(nothing_imported)?;
    let mut mapping = Mapping::guess(&table.headers);
    for given in &args.columns {
        let (field, column) = column_choice(&table, given)?;
        mapping.set(field, Some(column));
    }
    // Run from the server's own machine with access to its database: all rights.
    let principal = Principal {
        role: Role::Admin,
        units: Vec::new(),
    };
    let checked = table::check(store, &table, &mapping, &principal)
        .await
        .map_err(nothing_imported)?;
    for (field, column) in mapping.mapped() {
        println!("{}: {}", field.label_sv(), table.headers[column]);
    }
    if !checked.ignored_columns.is_empty() {
        println!(
            "{}",
            messages::table_ignored_columns(&checked.ignored_columns)
        );
    }
    for w in &checked.warnings {
        println!("Obs: {w}");
    }
    if !checked.errors.is_empty() {
        return Err(nothing_imported(checked.report()));
    }
    let planned = messages::table_planned(checked.new, checked.changed, checked.unchanged);
    if args.dry_run {
        println!("{planned} {}", messages::dry_run_nothing_saved());
        return Ok(());
    }
    let summary = with_progress(|p| async move { table::commit(store, &checked, ACTOR, &p).await })
        .await
        .map_err(nothing_imported)?;
    for line in summary.lines_sv() {
        println!("{line}");
    }
    Ok(())
}

/// `värde=D` or `Mått=Nyckeltal`: a field and the column (heading or letter) that holds it.
fn column_choice(table: &table::Table, given: &str) -> Result<(Field, usize), Failure> {
    let invalid = || Failure(messages::invalid_column_choice(given));
    let (field, column) = given.split_once('=').ok_or_else(invalid)?;
    let field = Field::parse(field).ok_or_else(invalid)?;
    let column = table
        .column(column)
        .ok_or_else(|| Failure(messages::no_such_column(column.trim(), &table.headers)))?;
    Ok((field, column))
}

/// Runs an import while a progress bar on stderr shows its [`Progress`] (hidden when
/// stderr is no terminal). Ctrl+C cancels it: the import rolls back and reports so.
async fn with_progress<T, F, Fut>(import: F) -> Result<T, ImportReport>
where
    F: FnOnce(Arc<Progress>) -> Fut,
    Fut: Future<Output = Result<T, ImportReport>>,
{
    let progress = &Progress::new();
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let draw = {
        let (bar, progress) = (bar.clone(), Arc::clone(progress));
        tokio::spawn(async move {
            loop {
                let s = progress.snapshot();
                bar.set_length(s.total.max(s.done));
                bar.set_position(s.done);
                bar.set_message(s.step);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let cancel = {
        let progress = Arc::clone(progress);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("{}", messages::import_cancelling());
                progress.cancel();
            }
        })
    };
    let result = import(Arc::clone(progress)).await;
    draw.abort();
    cancel.abort();
    bar.finish_and_clear();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_one_or_a_range_in_order() {
        assert_eq!(parse_years("2019").ok(), Some((2019, 2019)));
        assert_eq!(parse_years("2015-2023").ok(), Some((2015, 2023)));
        assert_eq!(parse_years(" 2015 - 2016 ").ok(), Some((2015, 2016)));
        for bad in [
            "2023-2015",
            "",
            "tjugo",
            "2019-",
            "99-2000",
            "2019-2020-2021",
        ] {
            assert!(parse_years(bad).is_err(), "{bad}");
        }
    }
}
