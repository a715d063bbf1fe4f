use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0}")]
    Backup(crate::backup::BackupError),
    #[error("deviation lifecycle: {0}")]
    Lifecycle(uppsikt_domain::deviation::LifecycleError),
    #[error("period {} of unit {} is locked by a decision", .0.period, .0.org_id)]
    Locked(Box<uppsikt_domain::model::PeriodLock>),
    /// A change to what a board's decided plan (verksamhetsplan) covers.
    #[error("the plan {} of unit {} is decided", .0.year, .0.org_id)]
    PlanDecided(Box<uppsikt_domain::plan::PlanDecision>),
    /// A change to an internal-control plan that its rules refuse (the Swedish sentence:
    /// `messages::internal_control::refusal`).
    #[error("internal control: {0:?}")]
    InternalControl(uppsikt_domain::internal_control::IcRefusal),
    /// A change to an audit, a response or a verdict that the audit rules refuse (the
    /// Swedish sentence: `messages::audit::refusal`).
    #[error("audit: {0:?}")]
    Audit(uppsikt_domain::audit::AuditRefusal),
    /// A change to an area, a situation report, a forum, an agreement, a statute or a
    /// duty that the area family's rules refuse (the Swedish sentence:
    /// `messages::area::refusal`).
    #[error("area: {0:?}")]
    Area(uppsikt_domain::area::AreaRefusal),
    /// A change to the economy (cost types, budget lines, investments, carry-overs,
    /// equity, grants) that its rules refuse (the Swedish sentence:
    /// `messages::economy::refusal`).
    #[error("economy: {0:?}")]
    Economy(uppsikt_domain::economy::EconomyRefusal),
}

impl StoreError {
    pub fn not_found(kind: &'static str, id: impl ToString) -> StoreError {
        StoreError::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::NotFound { .. })
    }
}
