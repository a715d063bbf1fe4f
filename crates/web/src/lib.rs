//! The uppsikt web server: server-rendered Swedish pages that work without JavaScript,
//! forms that re-display with the user's input and a message per field, and a read-only
//! JSON API under `/api/v1/` described by an OpenAPI document.
//!
//! Handlers are thin: parse input, call the store and the domain, render. Derived figures
//! (status, trend, proposed assessments) are computed per request from the store's data,
//! and rendered pages are cached per data version, so a read after any write is current.

mod account;
mod api;
mod api_import;
mod areas;
mod audits;
pub mod auth;
mod cache;
mod calibration;
mod change_text;
mod crumbs;
mod economy;
mod error;
mod flash;
mod forms;
mod history;
mod imports;
mod internal_control;
mod jobs;
mod kolada;
mod open_data;
mod oversight;
mod pages;
mod plan;
mod public_site;
pub mod rate_limit;
mod reports;
mod safety;
mod search;
mod todo;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn_with_state, FromFnLayer};
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use uppsikt_domain::access::Action;
use uppsikt_store::Store;

pub use error::AppError;
pub use jobs::JobTiming;
pub use public_site::{parse_accessibility_contact, Contact};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub(crate) cache: Arc<cache::PageCache>,
    /// Report and import jobs (rows in the database) and this process's worker.
    pub(crate) jobs: Arc<jobs::Jobs>,
    pub(crate) uploads: Arc<upload::Uploads>,
    pub(crate) login_limiter: Arc<auth::login::LoginLimiter>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub(crate) trusted_proxies: Arc<Vec<auth::login::IpRange>>,
    /// Single sign-on, when configured.
    pub(crate) oidc: Option<Arc<auth::oidc::Oidc>>,
    /// Where Kolada's API may be (the operator's choice, not the Kolada page's).
    pub(crate) kolada_api: Arc<uppsikt_import::kolada::ApiAllowList>,
    /// How the municipality writes its case numbers (diarienummer).
    pub(crate) case_ref_format: Arc<uppsikt_domain::case_ref::CaseRefFormat>,
    /// The origin canonical links and the sitemap name (a configured `--public-origin`).
    pub(crate) canonical_origin: Option<Arc<str>>,
    /// Where to report accessibility problems (`--accessibility-contact`).
    pub(crate) accessibility_contact: Option<Arc<public_site::Contact>>,
    /// The public data and download files of the newest data version (`open_data`).
    pub(crate) open_data: Arc<open_data::OpenDataCache>,
    /// Requests per client address to the public API and the open data.
    pub(crate) public_limiter: Arc<rate_limit::RateLimiter>,
    /// The open data's licence (a URI).
    pub(crate) open_data_licence: Arc<str>,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState::with_options(store, &ServerOptions::default())
    }

    pub fn with_options(store: Store, options: &ServerOptions) -> AppState {
        AppState {
            store,
            cache: Arc::new(cache::PageCache::new(options.page_cache)),
            jobs: Arc::new(jobs::Jobs::new(options.job_timing)),
            uploads: Arc::new(upload::Uploads::default()),
            login_limiter: Arc::new(auth::login::LoginLimiter::new(
                options.login_attempts_per_minute,
            )),
            trusted_proxies: Arc::new(options.trusted_proxies.clone()),
            oidc: options
                .oidc
                .clone()
                .map(|c| Arc::new(auth::oidc::Oidc::new(c))),
            kolada_api: Arc::new(options.kolada_api.clone()),
            case_ref_format: Arc::new(options.case_ref_format.clone()),
            canonical_origin: options.canonical_origin.as_deref().map(Arc::from),
            accessibility_contact: options.accessibility_contact.clone().map(Arc::new),
            open_data: Arc::default(),
            public_limiter: Arc::new(rate_limit::RateLimiter::new(options.public_rate)),
            open_data_licence: options.open_data_licence.as_str().into(),
        }
    }
}

const STYLE: &str = include_str!("../static/style.css");
const JOB_JS: &str = include_str!("../static/job.js");
const GRID_JS: &str = include_str!("../static/grid.js");

/// Optional parts of the server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// A directory whose files are served as they are under `/files/` (exported
    /// documents; the benchmarks use it for their static-file baseline).
    pub files_dir: Option<std::path::PathBuf>,
    /// Sign-in attempts allowed per client address and minute (429 beyond).
    pub login_attempts_per_minute: u32,
    /// Single sign-on through an OpenID Connect provider.
    pub oidc: Option<auth::oidc::OidcConfig>,
    /// Reverse proxies (addresses or ranges) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<auth::login::IpRange>,
    /// The origin people reach the service at (`https://uppsikt.kommun.se`); a POST is
    /// accepted only from it. Empty: `serve_with` derives it from the listening address
    /// (`http://127.0.0.1:8080` and `http://localhost:8080`).
    pub public_origins: Vec<String>,
    /// How often expired sessions (and browsers unused for half a year) are removed.
    pub purge_every: std::time::Duration,
    /// Where Kolada's API may be: Kolada's own, and what `--kolada-api-allow` adds.
    pub kolada_api: uppsikt_import::kolada::ApiAllowList,
    /// How the municipality writes its case numbers (`--case-ref-format`).
    pub case_ref_format: uppsikt_domain::case_ref::CaseRefFormat,
    /// Whether rendered pages are cached: on unless `UPPSIKT_PAGE_CACHE=off` (the
    /// benchmarks measure both; a test compares cached pages with freshly built ones).
    pub page_cache: bool,
    /// How long a job's worker holds it and how often workers look for jobs (default:
    /// 30 s and 1 s; `UPPSIKT_JOB_LEASE_SECS` sets the lease).
    pub job_timing: JobTiming,
    /// The origin that canonical links, `og:url` and the sitemap name. `serve_with` sets it
    /// to the first of `public_origins` when those were configured; an origin derived from
    /// the listening address is never named (the page then has no canonical link).
    pub canonical_origin: Option<String>,
    /// Where a visitor reports accessibility problems (`--accessibility-contact`, an
    /// e-mail address or a web address); the statement says it is missing when unset.
    pub accessibility_contact: Option<public_site::Contact>,
    /// Requests per client address to the public API and the open-data downloads
    /// (default 60 per 10 s; `--public-rate`).
    pub public_rate: rate_limit::RateLimit,
    /// The licence of the open data, a URI (`--open-data-licence`; default CC0 1.0).
    pub open_data_licence: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            files_dir: None,
            login_attempts_per_minute: 20,
            oidc: None,
            trusted_proxies: Vec::new(),
            public_origins: Vec::new(),
            purge_every: std::time::Duration::from_secs(15 * 60),
            kolada_api: uppsikt_import::kolada::ApiAllowList::default(),
            case_ref_format: uppsikt_domain::case_ref::CaseRefFormat::huddinge(),
            page_cache: std::env::var("UPPSIKT_PAGE_CACHE").map_or(true, |v| v != "off"),
            job_timing: JobTiming::from_env(),
            canonical_origin: None,
            accessibility_contact: None,
            public_rate: rate_limit::RateLimit::default(),
            open_data_licence: open_data::DEFAULT_LICENCE.into(),
        }
    }
}

impl ServerOptions {
    /// The origins of a service listening at `addr` and reached directly: the address
    /// itself, and `localhost` for a loopback or unspecified address.
    pub fn local_origins(addr: SocketAddr) -> Vec<String> {
        let port = addr.port();
        let mut out = Vec::new();
        if addr.ip().is_unspecified() {
            out.push(format!("http://127.0.0.1:{port}"));
        } else {
            out.push(format!("http://{addr}"));
        }
        if addr.ip().is_loopback() || addr.ip().is_unspecified() {
            out.push(format!("http://localhost:{port}"));
        }
        out.into_iter()
            .filter_map(|o| auth::PublicOrigins::origin_of(&o))
            .collect()
    }
}

/// Parses a `--public-origin`: `http(s)://host[:port]` with nothing after it but `/`.
pub fn parse_public_origin(value: &str) -> Result<String, String> {
    let wrong = || uppsikt_domain::messages::not_an_origin(value);
    let url = reqwest::Url::parse(value.trim()).map_err(|_| wrong())?;
    let bare = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if !bare {
        return Err(wrong());
    }
    auth::PublicOrigins::origin_of(url.as_str()).ok_or_else(wrong)
}

/// The open data's licence when none is configured: CC0 1.0.
pub const OPEN_DATA_LICENCE_DEFAULT: &str = open_data::DEFAULT_LICENCE;

/// Parses `--open-data-licence`: an absolute `http(s)` URI.
pub fn parse_licence_uri(value: &str) -> Result<String, String> {
    let value = value.trim();
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            // As the URL standard serialises it: what an IRI cannot hold percent-encoded,
            // so the catalogue stays valid RDF.
            Ok(url.to_string())
        }
        _ => Err(uppsikt_domain::messages::not_a_licence_uri(value)),
    }
}

/// `Cache-Control: no-store` on every response to a signed-in viewer (HTML, JSON, CSV,
/// workbooks, PDFs, redirects, refusals) and on every response that sets a cookie, so that
/// neither a shared proxy nor the browser's back button keeps them. A request counts as
/// signed in when it carries a session cookie or an API token (`Authorization`); only a response that declares itself
/// `public` (the style sheet and script, the same for everyone) keeps its own caching.
async fn private_responses(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let signed_in = auth::cookie_value(req.headers(), auth::SESSION_COOKIE).is_some()
        || req.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(req).await;
    let sets_cookie = response.headers().contains_key(header::SET_COOKIE);
    let public = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim() == "public"));
    if sets_cookie || (signed_in && !public) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    router_with(state, &ServerOptions::default())
}

type Guard = FromFnLayer<
    fn(
        axum::extract::State<(AppState, Action)>,
        auth::Viewer,
        Option<axum::extract::MatchedPath>,
        axum::extract::RawPathParams,
        axum::extract::Request,
        axum::middleware::Next,
    )
        -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>,
    (AppState, Action),
    (
        axum::extract::State<(AppState, Action)>,
        auth::Viewer,
        Option<axum::extract::MatchedPath>,
        axum::extract::RawPathParams,
        axum::extract::Request,
    ),
>;

/// The layer that lets a route group through only for viewers allowed `action` there.
fn guard(state: &AppState, action: Action) -> Guard {
    from_fn_with_state((state.clone(), action), |s, v, m, p, r, n| {
        Box::pin(auth::guard(s, v, m, p, r, n))
    })
}

/// The application's routes with options. Every route group states what it needs.
pub fn router_with(state: AppState, options: &ServerOptions) -> Router {
    // Open to everyone; board, goal and indicator pages show the public only what
    // decisions cover (`uppsikt_domain::publication`, through `pages::audience`).
    let open = Router::new()
        .route("/", get(pages::index))
        .route("/org/{id}", get(pages::org_unit))
        .route("/goals/{id}", get(pages::goal))
        .route("/indicators/{id}", get(pages::indicator))
        // A plan no decision covers needs ReadAll, checked in the handler (`plan.rs`).
        .route("/org/{id}/plan/{year}", get(plan::page))
        // Search: what the viewer may see (the public: what decisions cover).
        .route("/sok", get(search::page))
        .route("/areas", get(areas::list))
        .route("/areas/{id}", get(areas::page))
        // A board's economy of a year: the public sees decided years only
        // (`Audience::sees_economy`, in the handlers).
        .route("/economy", get(economy::list))
        .route("/economy/{unit}/{year}", get(economy::board_page))
        // The site for residents (`public_site`): open, no input. The sitemap lists only
        // what the one public rule shows a visitor; the statement and robots.txt are fixed.
        .route("/robots.txt", get(public_site::robots))
        .route("/sitemap.xml", get(public_site::sitemap))
        .route("/tillganglighet", get(public_site::statement))
        .route(
            "/favicon.svg",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/svg+xml"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    public_site::FAVICON_SVG,
                )
            }),
        )
        .route("/static/style.css", get(style))
        .route(
            "/static/job.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    JOB_JS,
                )
            }),
        )
        .route(
            "/static/grid.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    GRID_JS,
                )
            }),
        )
        .route("/login", get(auth::login::form).post(auth::login::login))
        .route("/logout", post(auth::login::logout))
        .route("/login/oidc", get(auth::oidc::start))
        .route("/login/oidc/callback", get(auth::oidc::callback))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/healthz", get(|| async { "ok" }))
        // Open to everyone, decided data only (Audience::Public): what the datasets are.
        .route("/oppna-data", get(open_data::page));
    // Open to everyone, decided data only (Audience::Public, whoever asks: the answers are
    // the same for everyone and publicly cacheable), limited per client address.
    let public_data = Router::new()
        // Open to everyone, decided data only (Audience::Public).
        .route("/oppna-data/katalog.rdf", get(open_data::catalogue))
        // Open to everyone, decided data only (Audience::Public).
        .route("/oppna-data/{file}", get(open_data::download))
        // Open to everyone, decided data only (Audience::Public).
        .route("/api/public/v1/units", get(open_data::api_units))
        // Open to everyone, decided data only (Audience::Public).
        .route("/api/public/v1/goals", get(open_data::api_goals))
        // Open to everyone, decided data only (Audience::Public).
        .route("/api/public/v1/goals/{id}", get(open_data::api_goal))
        // Open to everyone, decided data only (Audience::Public).
        .route("/api/public/v1/indicators", get(open_data::api_indicators))
        // Open to everyone, decided data only (Audience::Public).
        .route(
            "/api/public/v1/indicators/{id}",
            get(open_data::api_indicator),
        )
        // Open to everyone, decided data only (Audience::Public).
        .route(
            "/api/public/v1/assessments",
            get(open_data::api_assessments),
        )
        .route_layer(from_fn_with_state(state.clone(), rate_limit::limit_public));
    let read_all = Router::new()
        .route(
            "/org/{id}/reports",
            get(reports::new_form).post(reports::create),
        )
        .route("/uppsikt", get(oversight::overview))
        .route("/internal-control", get(internal_control::overview))
        .route("/internal-control/{id}", get(internal_control::plan_page))
        .route("/att-gora", get(todo::choose))
        .route("/uppsikt/list", get(oversight::list))
        .route("/uppsikt/export.xlsx", get(oversight::export))
        .route("/deviations/new", get(oversight::choose_unit))
        .route("/deviations/{id}", get(oversight::show))
        .route("/reports/{id}", get(reports::show))
        .route("/reports/{id}/status", get(reports::status))
        .route("/reports/{id}/download", get(reports::download))
        .route("/documents/{id}", get(reports::document))
        .route("/api/v1/org-units", get(api::org_units))
        .route("/api/v1/org-units/{id}/goals", get(api::goals_of_org))
        .route("/api/v1/goals/{id}", get(api::goal))
        .route("/api/v1/indicators/{id}", get(api::indicator))
        .route(
            "/api/v1/internal-control",
            get(internal_control::api_overview),
        )
        .route(
            "/api/v1/internal-control/{id}",
            get(internal_control::api_plan),
        )
        .route("/audits", get(audits::register))
        .route("/audits/{id}", get(audits::audit_page))
        .route("/audits/{id}/report.pdf", get(audits::report_pdf))
        .route("/audits/boards/{id}", get(audits::board_page))
        .route("/recommendations/{id}", get(audits::recommendation_page))
        .route("/api/v1/audits", get(audits::api_audits))
        .route("/api/v1/audits/{id}", get(audits::api_audit))
        .route("/crime-prevention", get(safety::hub))
        .route("/situation-reports", get(safety::reports))
        .route("/situation-reports/{id}", get(safety::report_page))
        .route("/forums/{id}", get(safety::forum_page))
        .route("/agreements/{id}", get(safety::agreement_page))
        .route("/statutes/{id}", get(safety::statute_page))
        .route("/obligations/{id}", get(safety::obligation_page))
        .route("/api/v1/areas", get(safety::api_areas))
        .route("/api/v1/areas/{id}", get(safety::api_area))
        .route("/api/v1/situation-reports", get(safety::api_reports))
        .route("/api/v1/situation-reports/{id}", get(safety::api_report))
        .route("/api/v1/forums", get(safety::api_forums))
        .route("/api/v1/agreements", get(safety::api_agreements))
        .route("/api/v1/statutes", get(safety::api_statutes))
        .route("/api/v1/statutes/{id}", get(safety::api_statute))
        .route("/grants", get(economy::grants))
        .route("/grants/{id}", get(economy::grant_page))
        .route("/api/v1/economy", get(economy::api_years))
        .route("/api/v1/economy/{unit}/{year}", get(economy::api_board))
        .route("/api/v1/grants", get(economy::api_grants))
        .route("/api/v1/grants/{id}", get(economy::api_grant))
        .route_layer(guard(&state, Action::ReadAll));
    // The auditors' own work: audits, their questions and recommendations, the yearly
    // verdicts and the report PDF (auditors, controllers, administrators).
    let audit_register = Router::new()
        .route(
            "/audits/new",
            get(forms::audits::new_audit_form).post(forms::audits::create_audit),
        )
        .route(
            "/audits/{id}/edit",
            get(forms::audits::edit_audit_form).post(forms::audits::update_audit),
        )
        .route(
            "/audits/{id}/questions/new",
            get(forms::audits::new_question_form).post(forms::audits::create_question),
        )
        .route(
            "/audits/{id}/questions/{item}/edit",
            get(forms::audits::edit_question_form).post(forms::audits::update_question),
        )
        .route(
            "/audits/{id}/recommendations/new",
            get(forms::audits::new_recommendation_form).post(forms::audits::create_recommendation),
        )
        .route(
            "/recommendations/{id}/edit",
            get(forms::audits::edit_recommendation_form).post(forms::audits::update_recommendation),
        )
        .route(
            "/recommendations/{id}/verdicts/new",
            get(forms::audits::new_verdict_form).post(forms::audits::create_verdict),
        )
        .route(
            "/audits/{id}/report",
            get(forms::audits::report_form).post(forms::audits::upload_report),
        )
        .route_layer(guard(&state, Action::ManageAudits));
    let raise = Router::new()
        .route("/uppsikt/raise", post(oversight::raise))
        .route(
            "/org/{id}/deviation-threshold",
            get(forms::deviation_board::threshold_form)
                .post(forms::deviation_board::save_threshold),
        )
        .route_layer(guard(&state, Action::RaiseDeviations));
    let rules = Router::new()
        .route(
            calibration::PATH,
            get(calibration::page).post(calibration::save),
        )
        .route_layer(guard(&state, Action::ManageRules));
    // What internal control shares across the municipality: KS's common items pushed into
    // every board's plan, and the versions of the risk matrix.
    let internal_control_shared = Router::new()
        .route(
            "/internal-control/{id}/push-common",
            get(forms::internal_control::push_form).post(forms::internal_control::push_common),
        )
        .route(
            "/risk-matrices",
            get(forms::internal_control::matrices_page).post(forms::internal_control::save_matrix),
        )
        .route_layer(guard(&state, Action::ManageInternalControl));
    let history = Router::new()
        .route("/history/{kind}/{id}", get(history::page))
        // Everything of one audit with its history, for the auditors.
        .route("/audits/{id}/export.xlsx", get(audits::export))
        .route_layer(guard(&state, Action::ReadHistory));
    let export = Router::new()
        .route("/history/export.csv", get(history::export))
        .route_layer(guard(&state, Action::ExportLog));
    // Locking a period, and choosing the unit's current period (the same yearly cycle:
    // controllers and administrators).
    let lock = Router::new()
        .route(
            "/org/{id}/lock",
            get(forms::lock::lock_form).post(forms::lock::lock),
        )
        .route(
            "/org/{id}/current-period",
            get(forms::current_period::form).post(forms::current_period::save),
        )
        .route(
            "/org/{id}/plan/{year}/decide",
            get(plan::decide_form).post(plan::decide),
        )
        .route_layer(guard(&state, Action::LockPeriod));
    let reopen = Router::new()
        .route(
            "/org/{id}/reopen",
            get(forms::lock::reopen_form).post(forms::lock::reopen),
        )
        .route(
            "/org/{id}/plan/{year}/reopen",
            get(plan::reopen_form).post(plan::reopen),
        )
        .route_layer(guard(&state, Action::ReopenPeriod));
    let import = Router::new()
        .route("/import", get(upload::page))
        .route("/import/outcomes/template.xlsx", get(upload::template_xlsx))
        .route("/import/outcomes/template.csv", get(upload::template_csv))
        .route(
            "/import/outcomes",
            post(upload::upload).layer(axum::extract::DefaultBodyLimit::max(upload::UPLOAD_MAX)),
        )
        .route(
            "/import/sie",
            post(upload::upload_sie)
                .layer(axum::extract::DefaultBodyLimit::max(upload::UPLOAD_MAX)),
        )
        .route("/import/outcomes/{token}", get(upload::preview))
        .route("/import/outcomes/{token}/columns", post(upload::choose))
        .route("/import/outcomes/{token}/commit", post(upload::commit))
        // The outcome import for scripts: ImportData, and only with an API token that may
        // import (`auth::bearer`; checked again in the handler). The file is the body.
        .route(
            "/api/v1/outcomes/import",
            post(api_import::import)
                .layer(axum::extract::DefaultBodyLimit::max(upload::UPLOAD_MAX)),
        )
        .route("/imports/{id}", get(imports::show))
        .route("/imports/{id}/status", get(imports::status))
        .route("/imports/{id}/cancel", post(imports::cancel))
        .route_layer(guard(&state, Action::ImportData));
    let sources = Router::new()
        .route("/kolada", get(kolada::page))
        .route(
            "/kolada/settings",
            get(kolada::settings_form).post(kolada::save_settings),
        )
        .route(
            "/kolada/groups/new",
            get(kolada::new_group_form).post(kolada::create_group),
        )
        .route(
            "/kolada/groups/{id}/edit",
            get(kolada::edit_group_form).post(kolada::update_group),
        )
        .route("/kolada/groups/{id}/delete", post(kolada::delete_group))
        .route("/kolada/groups/{id}/link-all", post(kolada::link_all))
        .route("/kolada/fetch", post(kolada::fetch))
        .route_layer(guard(&state, Action::ManageSources));
    let edit = Router::new()
        .route("/org/{id}/att-gora", get(todo::page))
        // A board's response to an audit and its links to internal control: the
        // responding unit's editors (the address names the unit).
        .route(
            "/org/{id}/audits/{audit}/response",
            get(forms::audits::response_form).post(forms::audits::save_response),
        )
        .route(
            "/org/{id}/recommendations/{rec}/ic-links",
            get(forms::audits::ic_link_form).post(forms::audits::save_ic_link),
        )
        .route(
            "/org/{id}/recommendations/{rec}/ic-links/remove",
            post(forms::audits::remove_ic_link),
        )
        .route(
            "/org/{id}/goals/new",
            get(forms::goal::new_form).post(forms::goal::create),
        )
        .route(
            "/goals/{id}/edit",
            get(forms::goal::edit_form).post(forms::goal::update),
        )
        .route(
            "/goals/{id}/indicators/new",
            get(forms::indicator::new_form).post(forms::indicator::create),
        )
        .route(
            "/indicators/{id}/edit",
            get(forms::indicator::edit_form).post(forms::indicator::update),
        )
        .route(
            "/indicators/{id}/outcomes",
            get(forms::grid::indicator_form).post(forms::grid::indicator_save),
        )
        .route(
            "/indicators/{id}/outcome",
            get(forms::outcome::form).post(forms::outcome::save),
        )
        .route(
            "/goals/{id}/outcomes",
            get(forms::grid::goal_form).post(forms::grid::goal_save),
        )
        .route(
            "/goals/{id}/analysis",
            get(forms::analysis::form).post(forms::analysis::save),
        )
        .route(
            "/indicators/{id}/milestones",
            get(forms::milestone::form).post(forms::milestone::save),
        )
        .route(
            "/goals/{id}/commitments/new",
            get(forms::commitment::new_form).post(forms::commitment::create),
        )
        .route(
            "/commitments/{id}/edit",
            get(forms::commitment::edit_form).post(forms::commitment::update),
        )
        .route(
            "/commitments/{id}/status",
            get(forms::commitment::status_form).post(forms::commitment::add_status),
        )
        .route(
            "/goals/{id}/assessment",
            get(forms::assessment::form::<forms::assessment::OfGoal>)
                .post(forms::assessment::save::<forms::assessment::OfGoal>),
        )
        .route(
            "/org/{id}/assessment",
            get(forms::assessment::form::<forms::assessment::OfUnit>)
                .post(forms::assessment::save::<forms::assessment::OfUnit>),
        )
        .route(
            "/org/{id}/review",
            get(forms::review::form).post(forms::review::save),
        )
        .route(
            "/org/{id}/plan/{year}/rollover",
            get(plan::rollover_form).post(plan::rollover),
        )
        .route(
            "/org/{id}/deviations/new",
            get(forms::deviation::new_form).post(forms::deviation::create),
        )
        .route(
            "/deviations/{id}/decision",
            get(forms::deviation::decision_form).post(forms::deviation::decide),
        )
        .route(
            "/deviations/{id}/decision/correct",
            get(forms::deviation::correction_form).post(forms::deviation::correct),
        )
        .route(
            "/org/{id}/deviations/decide",
            get(forms::deviation_board::bulk_form).post(forms::deviation_board::bulk_decide),
        )
        .route(
            "/deviations/{id}/actions/new",
            get(forms::deviation::action_form).post(forms::deviation::add_action),
        )
        .route(
            "/deviation-actions/{id}/progress",
            get(forms::deviation::progress_form).post(forms::deviation::progress),
        )
        .route(
            "/org/{id}/internal-control/new",
            get(forms::internal_control::new_plan_form).post(forms::internal_control::create_plan),
        )
        .route(
            "/internal-control/{id}/edit",
            get(forms::internal_control::header_form).post(forms::internal_control::save_header),
        )
        .route(
            "/internal-control/{id}/risks/new",
            get(forms::internal_control::new_risk_form).post(forms::internal_control::create_risk),
        )
        .route(
            "/internal-control/{id}/actions/new",
            get(forms::internal_control::new_action_form)
                .post(forms::internal_control::create_action),
        )
        .route(
            "/internal-control/{id}/controls/new",
            get(forms::internal_control::new_control_form)
                .post(forms::internal_control::create_control),
        )
        .route(
            "/internal-control/{id}/matrix",
            get(forms::internal_control::matrix_form).post(forms::internal_control::choose_matrix),
        )
        .route(
            "/internal-control/{id}/carry-over",
            get(forms::internal_control::carry_form).post(forms::internal_control::carry_over),
        )
        .route(
            "/ic-risks/{id}/edit",
            get(forms::internal_control::edit_risk_form).post(forms::internal_control::update_risk),
        )
        .route(
            "/ic-actions/{id}/status",
            get(forms::internal_control::status_form).post(forms::internal_control::save_status),
        )
        .route(
            "/ic-actions/{id}/verify",
            get(forms::internal_control::verify_form).post(forms::internal_control::verify),
        )
        .route(
            "/ic-actions/{id}/amend",
            get(forms::internal_control::amend_form).post(forms::internal_control::amend),
        )
        .route(
            "/ic-controls/{id}/edit",
            get(forms::internal_control::edit_control_form)
                .post(forms::internal_control::update_control),
        )
        .route(
            "/ic-controls/{id}/occurrences/{seq}",
            get(forms::internal_control::occurrence_form)
                .post(forms::internal_control::record_occurrence),
        )
        .route(
            "/ic-controls/{id}/discontinue",
            get(forms::internal_control::discontinue_form)
                .post(forms::internal_control::discontinue),
        )
        .route_layer(guard(&state, Action::Edit));
    // The signed-in person's own account and API tokens: signed in in a browser, any role
    // (`auth::require_session`); each handler reads and changes only the viewer's own.
    let account = Router::new()
        .route("/konto", get(account::page))
        .route(
            "/konto/api-nycklar",
            get(account::list).post(account::create),
        )
        .route("/konto/api-nycklar/{id}/aterkalla", post(account::revoke))
        .route_layer(axum::middleware::from_fn(auth::require_session));
    let open = match &options.files_dir {
        Some(dir) => open.nest_service("/files", tower_http::services::ServeDir::new(dir)),
        None => open,
    };
    let routed = open
        .merge(public_data)
        .merge(read_all)
        .merge(raise)
        .merge(rules)
        .merge(history)
        .merge(export)
        .merge(lock)
        .merge(reopen)
        .merge(edit)
        .merge(internal_control_shared)
        .merge(audit_register)
        // The crime-prevention register's forms, with their guards (`forms::safety`).
        .merge(forms::safety::safety_form_routes(&state))
        // The economy's and grants' forms, with their guards (`forms::economy`).
        .merge(forms::economy::economy_form_routes(&state))
        .merge(sources)
        .merge(import)
        .merge(account)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(error::swedish_refusals))
        .with_state(state.clone());
    // Authentication runs before routing (the routes are its fallback), so that a form
    // shown again after signing in (`auth::authenticate`'s resume) is routed as the GET of
    // its page.
    Router::new()
        .fallback_service(routed)
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::Extension(auth::PublicOrigins(
            options.public_origins.clone(),
        )))
        .layer(axum::middleware::from_fn(private_responses))
        .layer(axum::extract::DefaultBodyLimit::max(auth::MAX_BODY_BYTES))
        // Browsers that have reached us over HTTPS use nothing else for a year (HTTP
        // answers carry it too; browsers ignore it there, as the standard says).
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}

async fn style() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}

/// Binds `addr` and serves until `shutdown` resolves; requests in flight finish first.
pub async fn serve(
    store: Store,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(store, listener, shutdown).await
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(store, listener, ServerOptions::default(), shutdown).await
}

/// Serves with options on an already bound listener.
pub async fn serve_with(
    store: Store,
    listener: tokio::net::TcpListener,
    mut options: ServerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("uppsikt lyssnar på http://{addr}");
        if options.public_origins.is_empty() {
            options.public_origins = ServerOptions::local_origins(addr);
        } else if options.canonical_origin.is_none() {
            options.canonical_origin = options.public_origins.first().cloned();
        }
    }
    tracing::info!(origins = ?options.public_origins, "POST accepted only from these origins");
    let purge = tokio::spawn(purge_periodically(store.clone(), options.purge_every));
    let state = AppState::with_options(store, &options);
    // This process's job workers: they claim report and import jobs from the database.
    let workers = jobs::Jobs::spawn_workers(&state);
    let app = router_with(state, &options).into_make_service_with_connect_info::<SocketAddr>();
    // Without TCP_NODELAY a streamed body (files) stalls on Nagle's algorithm and delayed
    // ACKs: tens of milliseconds per response on keep-alive connections.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("cannot set TCP_NODELAY: {e}");
        }
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    purge.abort();
    for w in workers {
        w.abort();
    }
    served
}

/// Removes expired sessions (and browsers unused for half a year) now and every `every`.
async fn purge_periodically(store: Store, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every.max(std::time::Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match auth::login::purge(&store).await {
            Ok((0, 0)) => {}
            Ok((sessions, devices)) => {
                tracing::info!(sessions, devices, "expired sign-in records removed")
            }
            Err(e) => tracing::warn!("purging expired sessions failed: {e}"),
        }
    }
}
