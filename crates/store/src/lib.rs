//! Storage for uppsikt: one schema on SQLite (embedded default) and PostgreSQL (server),
//! through sqlx's `Any` driver so that every query is written once.
//!
//! Rows become domain types here and domain types become rows; there are no business rules.
//! Every write goes through a [`Writer`], which records a change-log row for each change
//! in the same transaction and bumps the data version that readers use to tell whether
//! cached derived data is still current.

mod access;
mod api_tokens;
mod area;
mod audit;
mod backup;
mod current_period;
mod decided_documents;
mod deviation_sources;
mod deviations;
mod economy;
mod error;
mod frozen;
mod history;
mod internal_control;
mod jobs;
mod kinds;
mod kolada;
mod kolada_pairs;
mod plan;
mod read;
mod rows;
mod rules;
mod scope;
mod source;
mod sql;
mod thresholds;
mod uploads;
mod write;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use access::{NewUser, Session, SignInCounter, SignInKey, User, DEVICES_PER_USER};
pub use api_tokens::{
    ApiToken, ApiTokenUse, NewApiToken, TokenRefusal, TokenScope, LIVE_TOKENS_PER_USER,
    MAX_TOKEN_DAYS, USE_RECORD_EVERY_MS,
};
pub use area::{
    natural_cmp, ObligationSource, SituationSource, EVIDENCE_LOG_TYPE, MEETING_LOG_TYPE,
    OBLIGATION_ASSESSMENT_LOG_TYPE, PRESENTATION_LOG_TYPE, SCALE_LOG_TYPE,
};
pub use audit::{
    AuditHeader, AuditInput, AuditSource, QuestionInput, RecommendationInput, ResponseInput,
    VerdictInput, IC_LINK_LOG_TYPE, QUESTION_LOG_TYPE, REPORT_LOG_TYPE, RESPONSE_LOG_TYPE,
    VERDICT_LOG_TYPE,
};
pub use backup::{BackupError, RestoreSummary};
pub use current_period::CURRENT_PERIOD_LOG_TYPE;
pub use decided_documents::{
    sha256_hex, DecidedDocument, NewDecidedDocument, DECIDED_DOCUMENT_LOG_TYPE,
};
pub use deviation_sources::{
    BoxFuture, CommitmentSource, DeviationSource, DueDeviations, IndicatorSource,
    InternalControlSource, DEVIATION_SOURCES,
};
pub use deviations::{DeviationFilter, DeviationPage, StoredDeviation};
pub use economy::{
    BudgetSource, GrantSource, ALLOCATION_LOG_TYPE, BUDGET_IMPORT_LOG_TYPE, BUDGET_LINE_LOG_TYPE,
    CARRY_OVER_LOG_TYPE, COST_TYPE_LOG_TYPE, ECONOMY_SETTINGS_LOG_TYPE, EQUITY_LOG_TYPE,
    EXPLANATION_LOG_TYPE, LEDGER_UNIT_LOG_TYPE, MANUAL_ORIGIN, SPEND_LOG_TYPE, TOLERANCE_LOG_TYPE,
};
pub use error::StoreError;
pub use frozen::series_lines;
pub use internal_control::{
    ActionInput, CarriedOver, ControlInput, NewControlPlan, PlanHeader, PushedCommon, RiskInput,
    AMENDMENT_LOG_TYPE, MATRIX_LOG_TYPE, OCCURRENCE_LOG_TYPE,
};
pub use jobs::{
    now_ms, ClaimedJob, JobLimits, JobOutcome, JobRefused, JobRow, JobSeal, JobStatus, NewJob,
    JOB_KEEP_MS, JOB_MAX_ATTEMPTS,
};
pub use kolada::{
    ComparisonGroup, ComparisonGroupInput, KoladaChanges, KoladaKpi, KoladaMunicipality,
    KoladaSettings, OutcomeSync, KOLADA_API,
};
pub use plan::{RollOver, PLAN_LOG_TYPE};
pub use read::{ChangeLogEntry, Counts, Scope};
pub use rules::{
    check_rules, RuleProblem, RuleVersion, COMMITMENT_WEIGHT_MAX, RELATIVE_THRESHOLD_MAX,
    RULE_VERSION_LOG_TYPE,
};
pub use scope::{PageScope, Stamp};
pub use source::ChangeSource;
pub use thresholds::{threshold_of, THRESHOLD_LOG_TYPE};
pub use uploads::{StoredUpload, UPLOAD_KEEP_MS};
pub use write::{
    slugify, AssessmentInput, CommitmentInput, GoalInput, IndicatorInput, OrgUnitInput, Writer,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who the change log names for what the store writes itself when it opens an older
/// database (filling new columns, freezing figures).
pub(crate) const UPGRADE_ACTOR: &str = "uppsikt (uppgradering)";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Which backend a database URL names, or why it names none.
pub fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl(redact(url)))
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Connects to `sqlite://FILE` (created if missing; WAL, foreign keys on) or
    /// `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|e| StoreError::Connect {
            url: redact(&url),
            source: e,
        })?;
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
                             PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect {
                url: redact(&url),
                source: e,
            })?;
        Ok(Store { pool, backend })
    }

    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        self.fill_last_days().await?;
        self.freeze_earlier_decisions().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for tests that must see or break what no API shows (every
    /// write of the application goes through a [`Writer`]).
    #[cfg(feature = "testing")]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction on behalf of `actor`; every change it logs names
    /// `source` (a form, an imported file, Kolada …).
    pub async fn writer(&self, actor: &str, source: ChangeSource) -> Result<Writer> {
        Writer::begin(self, actor, source).await
    }
}

/// Today's date in Sweden (ISO): what every date default, "overdue" and "age" are
/// measured against. Between midnight and 01:00/02:00 Swedish time the UTC date is still
/// yesterday's; `domain::date::swedish_date` knows CET/CEST.
pub fn today() -> String {
    uppsikt_domain::date::swedish_date(time::OffsetDateTime::now_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn only_sqlite_and_postgres_urls_are_accepted() {
        assert_eq!(backend_of("sqlite://uppsikt.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgresql://h/db").unwrap(), Backend::Postgres);
        assert!(backend_of("mysql://h/db").is_err());
        assert!(backend_of("uppsikt.db").is_err());
    }
}

#[cfg(feature = "testing")]
pub mod testing;
