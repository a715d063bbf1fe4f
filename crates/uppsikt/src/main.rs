//! The `uppsikt` command: run the demo, serve, migrate and import.

mod bench;
mod bench_areas;
mod bench_audits;
mod bench_economy;
mod bench_ic;
mod bench_kolada;
mod import;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use uppsikt_domain::messages::cli as cli_messages;
use uppsikt_store::Store;

#[derive(Parser)]
#[command(
    name = "uppsikt",
    version,
    about = "Planera, följ upp och ha uppsikt över kommunens verksamhet.",
    disable_help_subcommand = true
)]
struct Cli {
    // The user-facing help texts are Swedish (help = …); the comments stay English.
    /// Database URL.
    #[arg(
        long,
        help = "Databas: sqlite://FIL (inbyggd, standard) eller postgres://ANVÄNDARE@VÄRD:PORT/DATABAS",
        global = true,
        env = "UPPSIKT_DATABASE_URL",
        // A PostgreSQL URL may hold a password: --help never prints the variable's value.
        hide_env_values = true,
        default_value = "sqlite://uppsikt.db"
    )]
    database_url: String,
    /// Listening address.
    #[arg(
        long,
        help = "Adress som webbservern lyssnar på",
        global = true,
        env = "UPPSIKT_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    addr: SocketAddr,
    /// Single sign-on: the OpenID Connect provider.
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_OIDC_ISSUER",
        help = "Inloggning via organisationens konto (OpenID Connect): utfärdarens adress, t.ex. https://login.microsoftonline.com/TENANT/v2.0"
    )]
    oidc_issuer: Option<String>,
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_OIDC_CLIENT_ID",
        help = "OpenID Connect: uppsikts klient-id hos utfärdaren"
    )]
    oidc_client_id: Option<String>,
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        help = "OpenID Connect: klienthemligheten (ange den helst som miljövariabel)"
    )]
    oidc_client_secret: Option<String>,
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_OIDC_REDIRECT_URL",
        help = "OpenID Connect: uppsikts återkomstadress (standard: PUBLIC-ORIGIN/login/oidc/callback)"
    )]
    oidc_redirect_url: Option<String>,
    /// The origin people reach the service at; a POST from any other is refused.
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_PUBLIC_ORIGIN",
        value_parser = uppsikt_web::parse_public_origin,
        help = "Adressen som användarna når tjänsten på, t.ex. https://uppsikt.kommun.se; formulär skickade från andra adresser avvisas (standard: http://ADDR och http://localhost:PORT)"
    )]
    public_origin: Option<String>,
    /// Where visitors report accessibility problems (the accessibility statement names it).
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_ACCESSIBILITY_CONTACT",
        value_name = "E-POST-ELLER-ADRESS",
        value_parser = uppsikt_web::parse_accessibility_contact,
        help = "Dit besökare rapporterar brister i tillgängligheten: en e-postadress eller en webbadress (https://…); tillgänglighetsredogörelsen visar den"
    )]
    accessibility_contact: Option<uppsikt_web::Contact>,
    /// Reverse proxies whose X-Forwarded-For names the client (repeatable, or comma-separated).
    #[arg(
        long = "trusted-proxy",
        global = true,
        env = "UPPSIKT_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "ADRESS[/PREFIX]",
        help = "Omvänd proxy vars X-Forwarded-For anger klientens adress: IP-adress eller intervall (10.0.0.0/8); kan anges flera gånger, eller kommaseparerat i miljövariabeln"
    )]
    trusted_proxies: Vec<uppsikt_web::auth::login::IpRange>,
    /// Further addresses Kolada's API may have (a mirror, a test stand-in).
    #[arg(
        long = "kolada-api-allow",
        value_name = "ADRESS",
        global = true,
        env = "UPPSIKT_KOLADA_API_ALLOW",
        value_delimiter = ',',
        help = "Tillåt även denna adress till Koladas API (och allt under den), t.ex. http://127.0.0.1:4000/v3; kan anges flera gånger. https://api.kolada.se är alltid tillåten"
    )]
    kolada_api_allow: Vec<String>,
    /// How the municipality writes its case numbers (diarienummer).
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_CASE_REF_FORMAT",
        value_name = "MALL",
        default_value = uppsikt_domain::case_ref::CaseRefFormat::DEFAULT_TEMPLATE,
        value_parser = parse_case_ref_format,
        help = "Hur kommunen skriver diarienummer, byggt av {body}, {year}, {serial} och {class}, t.ex. {body}-{year}/{serial}.{class} för KS-2018/272.912"
    )]
    case_ref_format: uppsikt_domain::case_ref::CaseRefFormat,
    /// The licence of the open data (a URI), stated on /oppna-data and in its catalogue.
    #[arg(
        long,
        global = true,
        env = "UPPSIKT_OPEN_DATA_LICENCE",
        value_name = "URI",
        default_value = uppsikt_web::OPEN_DATA_LICENCE_DEFAULT,
        value_parser = uppsikt_web::parse_licence_uri,
        help = "Licensen för öppna data (/oppna-data och katalogen för Sveriges dataportal), som en adress; standard CC0 1.0"
    )]
    open_data_licence: String,
    #[command(subcommand)]
    command: Command,
}

/// A case-number template, or the Swedish reason it cannot be used.
fn parse_case_ref_format(s: &str) -> Result<uppsikt_domain::case_ref::CaseRefFormat, String> {
    uppsikt_domain::case_ref::CaseRefFormat::parse_template(s)
        .map_err(|e| uppsikt_domain::messages::audit::case_ref(&e))
}

impl Cli {
    /// Single sign-on when an issuer is given; then the client id and secret are needed too.
    fn oidc(&self) -> Result<Option<uppsikt_web::auth::oidc::OidcConfig>, Failure> {
        let Some(issuer) = &self.oidc_issuer else {
            return Ok(None);
        };
        let (Some(client_id), Some(client_secret)) =
            (&self.oidc_client_id, &self.oidc_client_secret)
        else {
            return Err(Failure(cli_messages::OIDC_INCOMPLETE.into()));
        };
        Ok(Some(uppsikt_web::auth::oidc::OidcConfig {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            redirect_url: self.oidc_redirect_url.clone().unwrap_or_else(|| {
                let origin = self
                    .public_origin
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", self.addr));
                format!("{origin}/login/oidc/callback")
            }),
        }))
    }

    /// Server options that every command serving the web UI shares.
    fn server_options(&self) -> Result<uppsikt_web::ServerOptions, Failure> {
        Ok(uppsikt_web::ServerOptions {
            oidc: self.oidc()?,
            trusted_proxies: self.trusted_proxies.clone(),
            public_origins: self.public_origin.iter().cloned().collect(),
            kolada_api: uppsikt_import::kolada::ApiAllowList::with(&self.kolada_api_allow)
                .map_err(Failure)?,
            case_ref_format: self.case_ref_format.clone(),
            accessibility_contact: self.accessibility_contact.clone(),
            open_data_licence: self.open_data_licence.clone(),
            ..Default::default()
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Demo database.
    #[command(about = "Skapa eller uppdatera en demodatabas (Huddinge) och starta webbservern")]
    Demo {
        /// Load only.
        #[arg(long, help = "Läs bara in demodata, starta inte webbservern")]
        no_serve: bool,
    },
    /// Serve.
    #[command(about = "Starta webbservern (webbgränssnitt och JSON-API)")]
    Serve {
        /// Static files.
        #[arg(long, help = "Visa filerna i denna katalog under /files/")]
        files_dir: Option<PathBuf>,
        /// Sign-in attempts per client address and minute.
        #[arg(
            long,
            env = "UPPSIKT_LOGIN_RATE",
            default_value_t = 20,
            value_parser = clap::value_parser!(u32).range(1..),
            help = "Högsta antal inloggningsförsök per klientadress och minut"
        )]
        login_rate: u32,
        /// Requests per client address and 10 seconds to the public API and open data.
        #[arg(
            long,
            env = "UPPSIKT_PUBLIC_RATE",
            default_value_t = 60,
            value_parser = clap::value_parser!(u32).range(1..),
            help = "Högsta antal anrop per klientadress och 10 sekunder till det öppna API:t och öppna data"
        )]
        public_rate: u32,
    },
    /// Accounts.
    #[command(about = "Hantera konton: add, set-password, disable, enable, list")]
    User {
        #[command(subcommand)]
        what: users::UserCommand,
    },
    /// Migrate.
    #[command(about = "Uppdatera databasens schema och avsluta")]
    Migrate,
    /// Raise the automatic deviations that are due (idempotent; run e.g. nightly).
    #[command(
        about = "Ta fram automatiska avvikelser (mått som inte nått etappmålet eller har negativ trend, utvecklingsåtaganden som inte blev klara)"
    )]
    RaiseDeviations {
        #[arg(
            long,
            help = "Första året att ta fram avvikelser för (standard: förra året)"
        )]
        from_year: Option<i32>,
    },
    /// Import.
    #[command(
        about = "Importera data: filer i formatet uppsikt/1, nyckeltal från Kolada, utfall från CSV eller Excel"
    )]
    Import {
        #[command(subcommand)]
        what: import::ImportCommand,
    },
    /// `import sie` under the name the issue gives it.
    #[command(
        name = "import-sie",
        about = "Importera budget och utfall från en SIE 4-fil (samma som import sie)"
    )]
    ImportSie(import::SieArgs),
    /// Report.
    #[command(
        about = "Skapa en rapport (verksamhetsberättelse eller delårsrapport) som HTML eller Excel"
    )]
    Report {
        #[arg(
            long,
            help = "Enhetens id eller kortnamn (t.ex. KS); kommunen (t.ex. Huddinge) ger en rapport för alla nämnder"
        )]
        org: String,
        #[arg(
            long,
            help = "År (2019) för verksamhetsberättelse, tertial (2019T2) för delårsrapport och områdesuppföljning"
        )]
        period: String,
        #[arg(
            long,
            default_value = "verksamhetsberattelse",
            help = "verksamhetsberattelse, delarsrapport, verksamhetsplan, internkontroll, revisionsuppfoljning, omradesuppfoljning eller brottsforebyggande"
        )]
        kind: String,
        #[arg(long, default_value = "pdf", help = "pdf, html eller xlsx")]
        format: String,
        #[arg(
            long,
            help = "Arbetsversionen (med systemets förslag och dataversion) i stället för nämndversionen"
        )]
        arbetsversion: bool,
        #[arg(short = 'o', long, help = "Fil att skriva")]
        output: PathBuf,
    },
    /// Online backup of the SQLite database.
    #[command(
        about = "Gör en säkerhetskopia av SQLite-databasen; fungerar medan webbservern är igång"
    )]
    Backup {
        #[arg(help = "Fil att skriva säkerhetskopian till (får inte finnas)")]
        file: PathBuf,
    },
    /// Online restore of the SQLite database from a backup.
    #[command(
        about = "Återställ SQLite-databasen från en säkerhetskopia; allt eller inget, fungerar medan webbservern är igång"
    )]
    Restore {
        #[arg(help = "Säkerhetskopian att återställa från")]
        file: PathBuf,
    },
    /// Benchmark helpers (synthetic data, timings); see bench/.
    #[command(hide = true)]
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Write a synthetic large municipality into the database.
    Synthetic(bench::Shape),
    /// Write synthetic deviations, decisions and actions over the existing units.
    Deviations {
        #[arg(long, default_value_t = 100_000)]
        deviations: usize,
        #[arg(long, default_value_t = 300_000)]
        actions: usize,
    },
    /// Synthetic Kolada data pages (and the same values as CSV) for bench/kolada.sh.
    KoladaPages(bench_kolada::PagesArgs),
    /// The normal and hostile files bench/upload.sh uploads.
    UploadFiles {
        #[arg(long)]
        out: PathBuf,
    },
    /// Write synthetic internal-control plans for every board (bench/internal_control.sh).
    InternalControl(bench_ic::IcShape),
    /// Print the year the synthetic internal-control plans end with.
    InternalControlYear,
    /// Write synthetic areas, weekly lägesbilder, forums and a statute (bench/areas.sh).
    Areas(bench_areas::AreaShape),
    /// Write a synthetic register of audits over the years (bench/audits.sh).
    Audits(bench_audits::AuditShape),
    /// Write a large municipality's ledger: units, account plan, mapping, a synthetic SIE 4
    /// file and the same rows as CSV (bench/economy.sh).
    Economy(bench_economy::EconomyShape),
    /// Time building the auditors' follow-up report of the synthetic register's last year
    /// as PDF.
    AuditReport {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Time the evaluation of every goal.
    Evaluate {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
}

/// A failure with the message the user sees.
pub(crate) struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Fel: {}", cli_messages::cannot_start(&e));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("Fel: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A backup or restore failure in Swedish; a refused restore has changed nothing.
fn backup_failure(e: uppsikt_store::StoreError) -> Failure {
    use uppsikt_store::{BackupError, StoreError};
    let StoreError::Backup(e) = e else {
        return Failure(cli_messages::nothing_changed(&e));
    };
    Failure(match e {
        BackupError::NotSqlite => cli_messages::BACKUP_SQLITE_ONLY.into(),
        BackupError::Exists(p) => cli_messages::backup_exists(&p),
        BackupError::Missing(p) => cli_messages::backup_missing(&p),
        BackupError::NotADatabase(p) => cli_messages::not_a_sqlite_database(&p),
        BackupError::Damaged(p, detail) => cli_messages::backup_damaged(&p, &detail),
        BackupError::Incompatible(p, detail) => cli_messages::backup_incompatible(&p, &detail),
    })
}

async fn open(url: &str) -> Result<Store, Failure> {
    check_sqlite_path(url)?;
    Store::open(url)
        .await
        .map_err(|e| Failure(cli_messages::cannot_open_database(&e)))
}

/// Refuses a SQLite file that cannot be created or written, with a clear message.
fn check_sqlite_path(url: &str) -> Result<(), Failure> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let path = std::path::Path::new(path);
    let probe = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    match probe {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure(cli_messages::database_file_not_writable(path, &e))),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    uppsikt_store::backend_of(&cli.database_url).map_err(|_| {
        Failure(cli_messages::invalid_database_url(&uppsikt_store::redact(
            &cli.database_url,
        )))
    })?;
    let options = cli.server_options()?;
    match cli.command {
        Command::Migrate => {
            open(&cli.database_url).await?;
            tracing::info!("databasen är uppdaterad");
            Ok(())
        }
        Command::RaiseDeviations { from_year } => {
            let store = open(&cli.database_url).await?;
            let raised = store
                .raise_automatic_deviations("system", uppsikt_store::ChangeSource::Cli, from_year)
                .await?;
            println!("{} nya avvikelser.", raised.len());
            Ok(())
        }
        Command::Serve {
            files_dir,
            login_rate,
            public_rate,
        } => {
            let options = uppsikt_web::ServerOptions {
                files_dir,
                login_attempts_per_minute: login_rate,
                public_rate: uppsikt_web::rate_limit::RateLimit {
                    requests: public_rate,
                    window: std::time::Duration::from_secs(10),
                },
                ..options
            };
            serve(open(&cli.database_url).await?, cli.addr, options).await
        }
        Command::User { what } => users::run(&open(&cli.database_url).await?, what).await,
        Command::Bench {
            what: BenchCommand::Synthetic(shape),
        } => {
            let store = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            bench::generate(&store, shape).await?;
            println!(
                "synthetic_generate_s={:.1}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Report {
            org,
            period,
            kind,
            format,
            arbetsversion,
            output,
        } => {
            let store = open(&cli.database_url).await?;
            let version = if arbetsversion {
                uppsikt_report::Version::Working
            } else {
                uppsikt_report::Version::Board
            };
            report(&store, &org, &period, &kind, &format, version, &output).await
        }
        Command::Bench {
            what:
                BenchCommand::Deviations {
                    deviations,
                    actions,
                },
        } => {
            let store = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            bench::deviations(&store, deviations, actions).await?;
            println!(
                "synthetic_deviations_s={:.1}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::InternalControl(shape),
        } => {
            let store = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            let plans = bench_ic::generate(&store, shape).await?;
            println!(
                "synthetic_internal_control_plans={plans} generate_s={:.1}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::InternalControlYear,
        } => {
            println!("{}", bench_ic::LAST_YEAR);
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::Audits(shape),
        } => {
            let store = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            let (recommendations, board) = bench_audits::generate(&store, shape).await?;
            println!(
                "synthetic_audit_recommendations={recommendations} board={board} generate_s={:.1}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::Areas(shape),
        } => {
            let store = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            let (reports, area, statute) = bench_areas::generate(&store, shape).await?;
            println!(
                "synthetic_situation_reports={reports} area={area} statute={statute} generate_s={:.1}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::Economy(shape),
        } => {
            let store = open(&cli.database_url).await?;
            bench_economy::generate(&store, &shape).await
        }
        Command::Bench {
            what: BenchCommand::AuditReport { rounds },
        } => {
            let store = open(&cli.database_url).await?;
            let year = bench_audits::LAST_YEAR;
            let (ms, bytes) = bench_audits::time_report(&store, year, rounds).await?;
            println!("follow_up_report_pdf year={year} median_ms={ms:.1} bytes={bytes}");
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::KoladaPages(args),
        } => {
            let started = std::time::Instant::now();
            let (values, pages) = bench_kolada::write_pages(&args)?;
            println!(
                "kolada_pages_values={values} pages={pages} generate_s={:.1}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::UploadFiles { out },
        } => {
            let store = open(&cli.database_url).await?;
            let keys: Vec<String> = store
                .indicator_statuses(uppsikt_store::Scope::All)
                .await?
                .into_iter()
                .map(|r| r.indicator.key)
                .collect();
            for (name, size, what) in bench::upload_files(&keys, &out)? {
                println!("{name}\t{size}\t{what}");
            }
            Ok(())
        }
        Command::Bench {
            what: BenchCommand::Evaluate { rounds },
        } => {
            let store = open(&cli.database_url).await?;
            bench::evaluate(&store, rounds).await?;
            Ok(())
        }
        Command::Demo { no_serve } => {
            let store = open(&cli.database_url).await?;
            let summary = uppsikt_import::load_demo(&store, "demo")
                .await
                .map_err(|r| Failure(cli_messages::demo_unreadable(&r)))?;
            tracing::info!(?summary, "demodata inläst");
            let raised = uppsikt_import::load_demo_deviations(&store, "demo").await?;
            tracing::info!(raised, "avvikelser i demodata");
            let created = users::demo_accounts(&store).await?;
            if !created.is_empty() {
                let list: Vec<String> = created
                    .iter()
                    .map(|(name, role)| format!("{name} ({role})"))
                    .collect();
                println!(
                    "Demokonton: {}. Lösenord för alla: {}",
                    list.join(", "),
                    users::DEMO_PASSWORD
                );
            }
            if no_serve {
                return Ok(());
            }
            serve(store, cli.addr, options).await
        }
        Command::Backup { file } => {
            let store = open(&cli.database_url).await?;
            store.backup_to(&file).await.map_err(backup_failure)?;
            println!("Säkerhetskopian skrevs till {}.", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let store = open(&cli.database_url).await?;
            let done = store
                .restore_from(&file, "kommandorad (återställning)")
                .await
                .map_err(backup_failure)?;
            println!(
                "Databasen återställdes från {}: {} tabeller, {} rader. Ny dataversion: {}.",
                file.display(),
                done.tables,
                done.rows,
                done.data_version
            );
            Ok(())
        }
        Command::ImportSie(args) => import::import_sie(&open(&cli.database_url).await?, args).await,
        Command::Import { what } => {
            import::run(
                &open(&cli.database_url).await?,
                what,
                options.kolada_api,
                &cli.case_ref_format,
            )
            .await
        }
    }
}

/// `uppsikt report`: parses the request, builds the report, writes the file.
async fn report(
    store: &Store,
    org: &str,
    period: &str,
    kind: &str,
    format: &str,
    version: uppsikt_report::Version,
    output: &std::path::Path,
) -> Result<(), Failure> {
    use uppsikt_report::{Format, ReportKind, Request, Subject};
    let kind =
        ReportKind::parse(kind).ok_or_else(|| Failure(cli_messages::unknown_report_kind(kind)))?;
    let format = Format::parse(format)
        .ok_or_else(|| Failure(cli_messages::unknown_report_format(format)))?;
    let period = uppsikt_domain::Period::parse(period)
        .map_err(|e| Failure(uppsikt_domain::messages::period(&e)))?;
    let unit = store
        .find_org_unit(org)
        .await
        .map_err(|_| Failure(cli_messages::unknown_unit_example(org)))?;
    let subject = if unit.parent_id.is_none() {
        Subject::Municipality
    } else {
        Subject::Unit(unit.id)
    };
    let tertial = match period {
        uppsikt_domain::Period::Tertial(_, t) => Some(t),
        _ => None,
    };
    let request = Request {
        subject,
        kind,
        year: period.year(),
        tertial,
    };
    let started = std::time::Instant::now();
    let options = uppsikt_report::Options {
        version,
        oversight: false,
    };
    let report = uppsikt_report::build_as(store, request, options)
        .await
        .map_err(|e| Failure(e.to_string()))?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "report model built"
    );
    let bytes = uppsikt_report::render(&report, format).map_err(|e| Failure(e.to_string()))?;
    std::fs::write(output, &bytes).map_err(|e| Failure(cli_messages::cannot_write(output, &e)))?;
    println!(
        "Skrev {} ({} kB, {} avsnitt) på {:.2} s.",
        output.display(),
        bytes.len() / 1024,
        report.walk().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn serve(
    store: Store,
    addr: SocketAddr,
    options: uppsikt_web::ServerOptions,
) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Failure(cli_messages::address_in_use(addr))
        } else {
            Failure(cli_messages::cannot_listen(addr, &e))
        }
    })?;
    println!("uppsikt är igång: http://{addr}/  (avsluta med Ctrl+C)");
    uppsikt_web::serve_with(store.clone(), listener, options, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("avslutat");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("avslutar: väntar på pågående förfrågningar");
}
