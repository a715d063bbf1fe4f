//! The one write path. A [`Writer`] is a transaction: each change writes its change-log row
//! (who, when, what, before, after) in the same transaction, and committing bumps the data
//! version. Dropping a writer without committing rolls everything back.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, Transaction};
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::model::{
    Assessment, Goal, GoalKind, Id, Indicator, OrgKind, PeriodReview, Stage,
};
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{CommitmentStatus, Direction, Frequency, Outcome, Period, Target};

use uppsikt_domain::object_kind::ObjectKind;

use crate::rows::{self, AssessmentRow, GoalRow, IndicatorRow};
use crate::sql::{placeholders, value_rows};
use crate::{Result, Store, StoreError};

pub struct Writer {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) actor: String,
    source: crate::ChangeSource,
    pub(crate) at: String,
    changes: usize,
    /// Decisions (period locks) and the unit tree, loaded at the first lock check.
    pub(crate) locks: Option<uppsikt_domain::publication::Decisions>,
    /// The store this writer writes to, for reads outside the transaction (a decision's
    /// comparison figures are derived by the same code pages use).
    pub(crate) store: Store,
    pub(crate) backend: crate::Backend,
    /// Raw Kolada values written or deleted in this transaction, logged once at commit.
    pub(crate) kolada: Option<crate::kolada::KoladaChanges>,
    /// What the logged changes were to, for the scopes the commit moves (`scope.rs`).
    touched: crate::scope::Touched,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgUnitInput {
    pub key: String,
    pub name: String,
    pub short_name: String,
    pub kind: OrgKind,
    pub parent_id: Option<Id>,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GoalInput {
    /// Empty: derived from the title.
    pub key: String,
    pub org_id: Id,
    pub parent_id: Option<Id>,
    pub title: String,
    pub description: String,
    pub kind: GoalKind,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorInput {
    /// Empty: derived from the name.
    pub key: String,
    pub goal_id: Id,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub source: String,
    pub kolada_kpi: String,
    pub decimals: u8,
    pub frequency: Frequency,
    pub position: i64,
    /// How its margins are known; `None`: as its source implies.
    pub margin_basis: Option<MarginBasis>,
    pub trend_window: TrendWindow,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitmentInput {
    /// Empty: derived from the title.
    pub key: String,
    pub goal_id: Id,
    pub title: String,
    pub description: String,
    pub year: i32,
    pub carried_over_from: Option<Id>,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssessmentInput {
    pub org_id: Id,
    pub goal_id: Option<Id>,
    pub period: Period,
    pub stage: Stage,
    pub level: String,
    pub motivation: String,
    pub author: String,
    pub date: String,
}

/// An input for an object that has a key (goals, indicators, commitments): where it is
/// stored and its columns besides `id` and `key` with their values, so that creating and
/// updating one is written once ([`Writer::create_keyed`], [`Writer::update_keyed`]).
trait Keyed: Serialize + Clone {
    const TABLE: &'static str;
    /// The object type the change log names.
    const OBJECT: &'static str;
    /// Each column with its value, in the order of the insert.
    fn columns(&self) -> Vec<(&'static str, Bind)>;
    /// The title a key is derived from when none is wanted.
    fn title(&self) -> &str;
    /// The wanted key (empty: derived from the title); set to the key it got before the
    /// change log records the input.
    fn key_mut(&mut self) -> &mut String;
}

impl Keyed for GoalInput {
    const TABLE: &'static str = "goals";
    const OBJECT: &'static str = ObjectKind::Goal.log_type();
    fn columns(&self) -> Vec<(&'static str, Bind)> {
        vec![
            ("org_id", Bind::Int(self.org_id)),
            ("parent_id", Bind::OptInt(self.parent_id)),
            ("title", Bind::Text(self.title.clone())),
            ("description", Bind::Text(self.description.clone())),
            ("kind", Bind::Text(self.kind.code().into())),
            ("position", Bind::Int(self.position)),
        ]
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn key_mut(&mut self) -> &mut String {
        &mut self.key
    }
}

impl Keyed for IndicatorInput {
    const TABLE: &'static str = "indicators";
    const OBJECT: &'static str = ObjectKind::Indicator.log_type();
    fn columns(&self) -> Vec<(&'static str, Bind)> {
        vec![
            ("goal_id", Bind::Int(self.goal_id)),
            ("name", Bind::Text(self.name.clone())),
            ("unit", Bind::Text(self.unit.clone())),
            ("direction", Bind::Text(self.direction.code().into())),
            ("source", Bind::Text(self.source.clone())),
            ("kolada_kpi", Bind::Text(self.kolada_kpi.clone())),
            ("decimals", Bind::Int(i64::from(self.decimals))),
            ("frequency", Bind::Text(self.frequency.code().into())),
            ("position", Bind::Int(self.position)),
            (
                "margin_basis",
                Bind::Text(self.margin_basis.map(MarginBasis::code).unwrap_or_default()),
            ),
            ("trend_window", Bind::Text(self.trend_window.code().into())),
        ]
    }
    fn title(&self) -> &str {
        &self.name
    }
    fn key_mut(&mut self) -> &mut String {
        &mut self.key
    }
}

impl Keyed for CommitmentInput {
    const TABLE: &'static str = "commitments";
    const OBJECT: &'static str = ObjectKind::Commitment.log_type();
    fn columns(&self) -> Vec<(&'static str, Bind)> {
        vec![
            ("goal_id", Bind::Int(self.goal_id)),
            ("title", Bind::Text(self.title.clone())),
            ("description", Bind::Text(self.description.clone())),
            ("year", Bind::Int(i64::from(self.year))),
            ("carried_over_from_id", Bind::OptInt(self.carried_over_from)),
            ("position", Bind::Int(self.position)),
        ]
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn key_mut(&mut self) -> &mut String {
        &mut self.key
    }
}

/// The current time as RFC 3339 (UTC), as change-log rows record it.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn json<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// A URL- and file-friendly key from a Swedish title: `Ökad valfrihet` → `okad-valfrihet`.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'å' | 'ä' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if mapped == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(mapped);
        if out.len() >= 60 {
            break;
        }
    }
    let trimmed = out.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "x".into()
    } else {
        trimmed
    }
}

impl Writer {
    pub(crate) async fn begin(
        store: &Store,
        actor: &str,
        source: crate::ChangeSource,
    ) -> Result<Writer> {
        // SQLite: take the write lock at the start, so that concurrent writers queue on
        // busy_timeout instead of failing when a read transaction tries to upgrade.
        let tx = match store.backend {
            crate::Backend::Sqlite => store.pool.begin_with("BEGIN IMMEDIATE").await?,
            crate::Backend::Postgres => store.pool.begin().await?,
        };
        let at = now();
        Ok(Writer {
            tx,
            actor: actor.to_string(),
            source,
            at,
            changes: 0,
            locks: None,
            store: store.clone(),
            backend: store.backend,
            kolada: None,
            touched: crate::scope::Touched::default(),
        })
    }

    /// Commits the transaction; if anything changed, moves the data version and the
    /// versions of the scopes the changes were to (see `scope.rs`), in the same transaction.
    pub async fn commit(mut self) -> Result<()> {
        if let Some(kolada) = self.kolada.take().filter(|k| !k.is_empty()) {
            self.log("import", "kolada_values", None, None, json(&kolada))
                .await?;
        }
        if self.changes > 0 {
            let version: i64 = sqlx::query_scalar(
                "UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version",
            )
            .fetch_one(&mut *self.tx)
            .await?;
            let touched = std::mem::take(&mut self.touched);
            let scopes = crate::scope::changed_scopes(&mut self.tx, touched).await?;
            crate::scope::bump(&mut self.tx, &scopes, version).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// The time this writer records in the change log (RFC 3339, UTC).
    pub fn time(&self) -> &str {
        &self.at
    }

    /// Who this writer records in the change log.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Where the changes of this writer come from.
    pub fn source(&self) -> &crate::ChangeSource {
        &self.source
    }

    pub fn changes(&self) -> usize {
        self.changes
    }

    /// Records one change in the change log.
    pub async fn log(
        &mut self,
        action: &str,
        object_type: &str,
        object_id: Option<Id>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<()> {
        self.changes += 1;
        self.touched
            .note(object_type, object_id, before.as_ref(), after.as_ref());
        sqlx::query(
            "INSERT INTO change_log (at, actor, action, object_type, object_id, before_value, after_value, source, source_detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&self.at)
        .bind(&self.actor)
        .bind(action)
        .bind(object_type)
        .bind(object_id)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .bind(self.source.code())
        .bind(self.source.detail().map(str::to_string))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn id_by_key(&mut self, table: &str, key: &str) -> Result<Option<Id>> {
        Ok(
            sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE key = $1"))
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// A key not yet used in `table`, from `wanted` or else from `title`.
    async fn fresh_key(&mut self, table: &str, wanted: &str, title: &str) -> Result<String> {
        let base = if wanted.trim().is_empty() {
            slugify(title)
        } else {
            wanted.trim().to_string()
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while self.id_by_key(table, &candidate).await?.is_some() {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        Ok(candidate)
    }

    /// Inserts an object under a key not yet used (from its wanted key or its title) and
    /// logs its creation with the key it got.
    async fn create_keyed<T: Keyed>(&mut self, input: &T) -> Result<Id> {
        let mut after = input.clone();
        let wanted = std::mem::take(after.key_mut());
        let key = self.fresh_key(T::TABLE, &wanted, input.title()).await?;
        let (mut names, mut binds): (Vec<&str>, Vec<Bind>) = input.columns().into_iter().unzip();
        names.push("key");
        binds.push(Bind::Text(key.clone()));
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            T::TABLE,
            names.join(", "),
            placeholders(1, binds.len())
        );
        let id = self.insert_returning_id(&sql, binds).await?;
        *after.key_mut() = key;
        self.log("create", T::OBJECT, Some(id), None, json(&after))
            .await?;
        Ok(id)
    }

    /// Writes an object's columns (its key stays `key`) and logs the change from `before`.
    async fn update_keyed<T: Keyed>(
        &mut self,
        id: Id,
        input: &T,
        key: &str,
        before: Option<Value>,
    ) -> Result<()> {
        let (names, mut binds): (Vec<&str>, Vec<Bind>) = input.columns().into_iter().unzip();
        let set: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ${}",
            T::TABLE,
            set.join(", "),
            names.len() + 1
        );
        binds.push(Bind::Int(id));
        self.execute(&sql, binds).await?;
        let mut after = input.clone();
        *after.key_mut() = key.to_string();
        self.log("update", T::OBJECT, Some(id), before, json(&after))
            .await
    }

    pub(crate) async fn insert_returning_id(&mut self, sql: &str, binds: Vec<Bind>) -> Result<Id> {
        use sqlx::Row;
        let sql = format!("{sql} RETURNING id");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = b.apply(q);
        }
        Ok(q.fetch_one(&mut *self.tx).await?.try_get(0)?)
    }

    pub(crate) async fn execute(&mut self, sql: &str, binds: Vec<Bind>) -> Result<u64> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = b.apply(q);
        }
        Ok(q.execute(&mut *self.tx).await?.rows_affected())
    }

    // --- organisation -----------------------------------------------------------------

    pub async fn upsert_org_unit(&mut self, input: &OrgUnitInput) -> Result<Id> {
        let binds = || {
            vec![
                Bind::Text(input.name.clone()),
                Bind::Text(input.short_name.clone()),
                Bind::Text(input.kind.code().into()),
                Bind::OptInt(input.parent_id),
                Bind::Int(input.position),
                Bind::Text(input.key.clone()),
            ]
        };
        let id = match self.id_by_key("org_units", &input.key).await? {
            Some(id) => {
                self.ensure_unit_move_open(id, input.parent_id).await?;
                self.execute(
                    "UPDATE org_units SET name = $1, short_name = $2, kind = $3, parent_id = $4, position = $5 WHERE key = $6",
                    binds(),
                )
                .await?;
                self.log(
                    "update",
                    ObjectKind::OrgUnit.log_type(),
                    Some(id),
                    None,
                    json(input),
                )
                .await?;
                id
            }
            None => {
                let id = self
                    .insert_returning_id(
                        "INSERT INTO org_units (name, short_name, kind, parent_id, position, key) VALUES ($1, $2, $3, $4, $5, $6)",
                        binds(),
                    )
                    .await?;
                self.log(
                    "create",
                    ObjectKind::OrgUnit.log_type(),
                    Some(id),
                    None,
                    json(input),
                )
                .await?;
                id
            }
        };
        Ok(id)
    }

    pub async fn set_vision(&mut self, org_id: Id, text: &str) -> Result<()> {
        let before: Option<String> =
            sqlx::query_scalar("SELECT text FROM visions WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        if before.is_some() {
            self.execute(
                "UPDATE visions SET text = $1 WHERE org_id = $2",
                vec![Bind::Text(text.into()), Bind::Int(org_id)],
            )
            .await?;
        } else {
            self.execute(
                "INSERT INTO visions (text, org_id) VALUES ($1, $2)",
                vec![Bind::Text(text.into()), Bind::Int(org_id)],
            )
            .await?;
        }
        self.log(
            "set",
            "vision",
            Some(org_id),
            before.map(Value::String),
            Some(Value::String(text.into())),
        )
        .await
    }

    /// Sets the steering model (styrmodell) beside a unit's vision (which must exist);
    /// logged as a change of the vision. Unchanged text is not a change.
    pub async fn set_steering_model(&mut self, org_id: Id, text: &str) -> Result<()> {
        let before: Option<String> =
            sqlx::query_scalar("SELECT steering_model FROM visions WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let Some(before) = before else {
            return Err(StoreError::not_found("vision", org_id));
        };
        if before == text {
            return Ok(());
        }
        self.execute(
            "UPDATE visions SET steering_model = $1 WHERE org_id = $2",
            vec![Bind::Text(text.into()), Bind::Int(org_id)],
        )
        .await?;
        self.log(
            "set",
            "vision",
            Some(org_id),
            Some(serde_json::json!({ "steering_model": before })),
            Some(serde_json::json!({ "steering_model": text })),
        )
        .await
    }

    // --- goals ------------------------------------------------------------------------

    async fn goal_before(&mut self, id: Id) -> Result<Goal> {
        let row: Option<GoalRow> = sqlx::query_as(
            "SELECT id, key, org_id, parent_id, title, description, kind, position FROM goals WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.ok_or_else(|| StoreError::not_found("goal", id))?
            .try_into()
    }

    pub async fn create_goal(&mut self, input: &GoalInput) -> Result<Id> {
        self.create_keyed(input).await
    }

    pub async fn update_goal(&mut self, id: Id, input: &GoalInput) -> Result<()> {
        let before = self.goal_before(id).await?;
        if let Some(parent) = input.parent_id {
            self.refuse_goal_cycle(id, parent).await?;
        }
        if before.parent_id != input.parent_id || before.org_id != input.org_id {
            self.ensure_goal_open(id).await?;
        }
        self.update_keyed(id, input, &before.key, json(&before))
            .await
    }

    /// Refuses to make a goal its own ancestor.
    async fn refuse_goal_cycle(&mut self, id: Id, new_parent: Id) -> Result<()> {
        let mut cursor = Some(new_parent);
        let mut steps = 0;
        while let Some(current) = cursor {
            if current == id {
                return Err(StoreError::Corrupt(
                    "a goal cannot be placed under itself".into(),
                ));
            }
            steps += 1;
            if steps > 10_000 {
                break;
            }
            cursor =
                sqlx::query_scalar::<_, Option<i64>>("SELECT parent_id FROM goals WHERE id = $1")
                    .bind(current)
                    .fetch_optional(&mut *self.tx)
                    .await?
                    .flatten();
        }
        Ok(())
    }

    /// Creates or updates the goal with `input.key` (which must not be empty).
    pub async fn upsert_goal(&mut self, input: &GoalInput) -> Result<Id> {
        match self.id_by_key("goals", &input.key).await? {
            Some(id) => {
                self.update_goal(id, input).await?;
                Ok(id)
            }
            None => self.create_goal(input).await,
        }
    }

    pub async fn set_priorities(&mut self, goal_id: Id, priorities: &[String]) -> Result<()> {
        let before: Vec<String> = sqlx::query_scalar(
            "SELECT text FROM goal_priorities WHERE goal_id = $1 ORDER BY position, id",
        )
        .bind(goal_id)
        .fetch_all(&mut *self.tx)
        .await?;
        if before == priorities {
            return Ok(());
        }
        self.execute(
            "DELETE FROM goal_priorities WHERE goal_id = $1",
            vec![Bind::Int(goal_id)],
        )
        .await?;
        for (i, text) in priorities.iter().enumerate() {
            self.execute(
                "INSERT INTO goal_priorities (goal_id, position, text) VALUES ($1, $2, $3)",
                vec![
                    Bind::Int(goal_id),
                    Bind::Int(i as i64),
                    Bind::Text(text.clone()),
                ],
            )
            .await?;
        }
        self.log(
            "set",
            "goal_priorities",
            Some(goal_id),
            json(&before),
            json(&priorities),
        )
        .await
    }

    /// Sets the analysis of a goal for a period; an empty text removes it.
    pub async fn set_analysis(&mut self, goal_id: Id, period: Period, text: &str) -> Result<()> {
        let p = period.to_string();
        let before: Option<String> =
            sqlx::query_scalar("SELECT text FROM goal_analyses WHERE goal_id = $1 AND period = $2")
                .bind(goal_id)
                .bind(&p)
                .fetch_optional(&mut *self.tx)
                .await?;
        if before.as_deref() == Some(text) || (before.is_none() && text.is_empty()) {
            return Ok(());
        }
        let org = self.org_of_goal(goal_id).await?;
        self.ensure_unlocked(org, period).await?;
        self.execute(
            "DELETE FROM goal_analyses WHERE goal_id = $1 AND period = $2",
            vec![Bind::Int(goal_id), Bind::Text(p.clone())],
        )
        .await?;
        if !text.is_empty() {
            self.execute(
                "INSERT INTO goal_analyses (goal_id, period, text) VALUES ($1, $2, $3)",
                vec![
                    Bind::Int(goal_id),
                    Bind::Text(p.clone()),
                    Bind::Text(text.into()),
                ],
            )
            .await?;
        }
        let after = (!text.is_empty()).then(|| serde_json::json!({"period": p, "text": text}));
        let before = before.map(|t| serde_json::json!({"period": p, "text": t}));
        self.log("set", "goal_analysis", Some(goal_id), before, after)
            .await
    }

    // --- period reviews ---------------------------------------------------------------

    /// Sets a unit's events and improvement areas for a period; an empty review removes it.
    pub async fn set_period_review(&mut self, review: &PeriodReview) -> Result<()> {
        let p = review.period.to_string();
        let before = rows::fetch_period_review(&mut *self.tx, review.org_id, &p).await?;
        let unchanged = match &before {
            Some(b) => b == review,
            None => review.is_empty(),
        };
        if unchanged {
            return Ok(());
        }
        self.ensure_unlocked(review.org_id, review.period).await?;
        self.execute(
            "DELETE FROM period_reviews WHERE org_id = $1 AND period = $2",
            vec![Bind::Int(review.org_id), Bind::Text(p.clone())],
        )
        .await?;
        if !review.is_empty() {
            let items = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
            self.execute(
                "INSERT INTO period_reviews (org_id, period, events, improvement_areas) \
                 VALUES ($1, $2, $3, $4)",
                vec![
                    Bind::Int(review.org_id),
                    Bind::Text(p),
                    Bind::Text(items(&review.events)),
                    Bind::Text(items(&review.improvement_areas)),
                ],
            )
            .await?;
        }
        let after = (!review.is_empty()).then(|| json(review)).flatten();
        let before = before.and_then(|b| json(&b));
        self.log("set", "period_review", Some(review.org_id), before, after)
            .await
    }

    // --- indicators -------------------------------------------------------------------

    pub(crate) async fn indicator_before(&mut self, id: Id) -> Result<Indicator> {
        let row: Option<IndicatorRow> = sqlx::query_as(&format!(
            "SELECT {} FROM indicators WHERE id = $1",
            rows::indicator_columns("")
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.ok_or_else(|| StoreError::not_found("indicator", id))?
            .try_into()
    }

    /// An indicator and the unit owning its goal as this transaction sees them, or `None`
    /// if it no longer exists: what an importer checks again before it writes.
    pub async fn indicator_owner(&mut self, id: Id) -> Result<Option<(Indicator, Id)>> {
        let row: Option<IndicatorRow> = sqlx::query_as(&format!(
            "SELECT {} FROM indicators WHERE id = $1",
            rows::indicator_columns("")
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let indicator: Indicator = row.try_into()?;
        let org = self.org_of_goal(indicator.goal_id).await?;
        Ok(Some((indicator, org)))
    }

    /// An indicator's stored outcomes as this transaction sees them (in no order).
    pub async fn stored_outcomes(&mut self, indicator_id: Id) -> Result<Vec<Outcome>> {
        type Row = (String, String, f64, Option<f64>, Option<i64>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT period, breakdown, value, margin, sample_size FROM outcomes WHERE indicator_id = $1",
        )
        .bind(indicator_id)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter()
            .map(|(period, breakdown, value, margin, sample_size)| {
                Ok(Outcome {
                    period: rows::period(&period)?,
                    breakdown: uppsikt_domain::Breakdown::parse(&breakdown)
                        .map_err(|_| StoreError::Corrupt(format!("breakdown {breakdown}")))?,
                    value,
                    margin,
                    sample_size,
                })
            })
            .collect()
    }

    pub async fn create_indicator(&mut self, input: &IndicatorInput) -> Result<Id> {
        self.create_keyed(input).await
    }

    pub async fn update_indicator(&mut self, id: Id, input: &IndicatorInput) -> Result<()> {
        let before = self.indicator_before(id).await?;
        if before.direction != input.direction
            || before.decimals != input.decimals
            || before.goal_id != input.goal_id
        {
            self.ensure_indicator_open(id).await?;
            if before.goal_id != input.goal_id {
                let new_org = self.org_of_goal(input.goal_id).await?;
                self.ensure_indicator_open_in(id, new_org).await?;
            }
        }
        self.update_keyed(id, input, &before.key, json(&before))
            .await
    }

    pub async fn upsert_indicator(&mut self, input: &IndicatorInput) -> Result<Id> {
        match self.id_by_key("indicators", &input.key).await? {
            Some(id) => {
                self.update_indicator(id, input).await?;
                Ok(id)
            }
            None => self.create_indicator(input).await,
        }
    }

    /// Removes every outcome, milestone, target, comparison, gap judgement and comment of
    /// an indicator, so that a re-import replaces them whole.
    pub async fn clear_indicator_series(&mut self, indicator_id: Id) -> Result<()> {
        self.ensure_indicator_open(indicator_id).await?;
        self.ensure_series_plan_open(indicator_id).await?;
        let mut removed = 0;
        for table in [
            "outcomes",
            "milestones",
            "targets",
            "comparisons",
            "gap_judgements",
            "outcome_comments",
        ] {
            removed += self
                .execute(
                    &format!("DELETE FROM {table} WHERE indicator_id = $1"),
                    vec![Bind::Int(indicator_id)],
                )
                .await?;
        }
        if removed > 0 {
            self.log(
                "clear_series",
                ObjectKind::Indicator.log_type(),
                Some(indicator_id),
                json(&removed),
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Inserts many outcomes of one indicator at once (an import); logged as one change.
    pub async fn insert_outcomes(&mut self, indicator_id: Id, outcomes: &[Outcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        self.ensure_indicator_unlocked(indicator_id, outcomes.iter().map(|o| o.period))
            .await?;
        for chunk in outcomes.chunks(100) {
            let sql = format!(
                "INSERT INTO outcomes (indicator_id, period, breakdown, value, margin, sample_size, last_day) VALUES {}",
                value_rows(self.backend, chunk.len(), 7)
            );
            let binds = chunk
                .iter()
                .flat_map(|o| outcome_binds(indicator_id, o))
                .collect();
            self.execute(&sql, binds).await?;
        }
        self.log(
            "import_outcomes",
            ObjectKind::Indicator.log_type(),
            Some(indicator_id),
            None,
            json(&outcomes.len()),
        )
        .await
    }

    /// Sets one outcome (insert or replace for its period and breakdown).
    pub async fn set_outcome(&mut self, indicator_id: Id, outcome: &Outcome) -> Result<()> {
        self.set_outcome_from(indicator_id, outcome, "").await
    }

    /// Sets one outcome and records where it came from (`""` typed or from a file,
    /// `"kolada"` filled from Kolada's values).
    pub(crate) async fn set_outcome_from(
        &mut self,
        indicator_id: Id,
        outcome: &Outcome,
        source: &str,
    ) -> Result<()> {
        self.ensure_indicator_unlocked(indicator_id, [outcome.period])
            .await?;
        let before = self
            .delete_outcome_row(indicator_id, outcome.period, &outcome.breakdown.code())
            .await?;
        let mut binds = outcome_binds(indicator_id, outcome).to_vec();
        binds.push(Bind::Text(source.into()));
        self.execute(
            "INSERT INTO outcomes (indicator_id, period, breakdown, value, margin, sample_size, last_day, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            binds,
        )
        .await?;
        let after = json(outcome).map(|mut v| {
            if !source.is_empty() {
                v["source"] = Value::String(source.into());
            }
            v
        });
        self.log("set", "outcome", Some(indicator_id), before, after)
            .await
    }

    pub async fn delete_outcome(
        &mut self,
        indicator_id: Id,
        period: Period,
        breakdown: &str,
    ) -> Result<bool> {
        self.ensure_indicator_unlocked(indicator_id, [period])
            .await?;
        let before = self
            .delete_outcome_row(indicator_id, period, breakdown)
            .await?;
        let found = before.is_some();
        if found {
            self.log("delete", "outcome", Some(indicator_id), before, None)
                .await?;
        }
        Ok(found)
    }

    async fn delete_outcome_row(
        &mut self,
        indicator_id: Id,
        period: Period,
        breakdown: &str,
    ) -> Result<Option<Value>> {
        let before: Option<(f64, Option<f64>, Option<i64>)> = sqlx::query_as(
            "SELECT value, margin, sample_size FROM outcomes WHERE indicator_id = $1 AND period = $2 AND breakdown = $3",
        )
        .bind(indicator_id)
        .bind(period.to_string())
        .bind(breakdown)
        .fetch_optional(&mut *self.tx)
        .await?;
        if before.is_some() {
            self.execute(
                "DELETE FROM outcomes WHERE indicator_id = $1 AND period = $2 AND breakdown = $3",
                vec![
                    Bind::Int(indicator_id),
                    Bind::Text(period.to_string()),
                    Bind::Text(breakdown.into()),
                ],
            )
            .await?;
        }
        Ok(before.map(|(value, margin, sample_size)| {
            serde_json::json!({"period": period.to_string(), "breakdown": breakdown, "value": value, "margin": margin, "sample_size": sample_size})
        }))
    }

    /// Sets (or with `None` removes) the milestone of a year.
    pub async fn set_milestone(
        &mut self,
        indicator_id: Id,
        year: i32,
        target: Option<Target>,
    ) -> Result<()> {
        self.set_year_target("milestones", "milestone", indicator_id, year, target)
            .await
    }

    /// Sets (or with `None` removes) a long-term target.
    pub async fn set_target(
        &mut self,
        indicator_id: Id,
        year: i32,
        target: Option<Target>,
    ) -> Result<()> {
        self.set_year_target("targets", "target", indicator_id, year, target)
            .await
    }

    async fn set_year_target(
        &mut self,
        table: &str,
        kind: &str,
        indicator_id: Id,
        year: i32,
        target: Option<Target>,
    ) -> Result<()> {
        let before: Option<String> = sqlx::query_scalar(&format!(
            "SELECT target FROM {table} WHERE indicator_id = $1 AND year = $2"
        ))
        .bind(indicator_id)
        .bind(i64::from(year))
        .fetch_optional(&mut *self.tx)
        .await?;
        let after = target.map(|t| t.to_string());
        if before == after {
            return Ok(());
        }
        if table == "milestones" {
            self.ensure_indicator_unlocked(indicator_id, [Period::Year(year)])
                .await?;
            self.ensure_indicator_plan_open(indicator_id, year).await?;
        } else {
            // A long-term target has no period of its own: it is shown beside every
            // decided figure of the indicator, so a decision on any of them freezes it.
            self.ensure_indicator_open(indicator_id).await?;
            self.ensure_target_plan_open(indicator_id, year).await?;
        }
        self.execute(
            &format!("DELETE FROM {table} WHERE indicator_id = $1 AND year = $2"),
            vec![Bind::Int(indicator_id), Bind::Int(i64::from(year))],
        )
        .await?;
        if let Some(t) = &after {
            self.execute(
                &format!("INSERT INTO {table} (indicator_id, year, target) VALUES ($1, $2, $3)"),
                vec![
                    Bind::Int(indicator_id),
                    Bind::Int(i64::from(year)),
                    Bind::Text(t.clone()),
                ],
            )
            .await?;
        }
        let wrap = |t: Option<String>| t.map(|t| serde_json::json!({"year": year, "target": t}));
        self.log("set", kind, Some(indicator_id), wrap(before), wrap(after))
            .await
    }

    pub async fn add_comparison(
        &mut self,
        indicator_id: Id,
        c: &uppsikt_domain::model::Comparison,
    ) -> Result<()> {
        self.ensure_indicator_unlocked(indicator_id, [c.period])
            .await?;
        self.execute(
            "INSERT INTO comparisons (indicator_id, period, group_name, rank, of_count, average) VALUES ($1, $2, $3, $4, $5, $6)",
            [Bind::Int(indicator_id)]
                .into_iter()
                .chain(comparison_binds(c))
                .collect(),
        )
        .await?;
        self.log("create", "comparison", Some(indicator_id), None, json(c))
            .await
    }

    pub async fn add_gap_judgement(
        &mut self,
        indicator_id: Id,
        g: &uppsikt_domain::model::GapJudgement,
    ) -> Result<()> {
        self.ensure_indicator_unlocked(indicator_id, [g.period])
            .await?;
        self.execute(
            "INSERT INTO gap_judgements (indicator_id, period, kind, unjustified, comment) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Bind::Int(indicator_id),
                Bind::Text(g.period.to_string()),
                Bind::Text(g.kind.code().into()),
                Bind::Int(i64::from(g.unjustified)),
                Bind::Text(g.comment.clone()),
            ],
        )
        .await?;
        self.log("create", "gap_judgement", Some(indicator_id), None, json(g))
            .await
    }

    pub async fn add_outcome_comment(
        &mut self,
        indicator_id: Id,
        period: Period,
        text: &str,
    ) -> Result<()> {
        self.ensure_indicator_unlocked(indicator_id, [period])
            .await?;
        self.execute(
            "INSERT INTO outcome_comments (indicator_id, period, text) VALUES ($1, $2, $3)",
            vec![
                Bind::Int(indicator_id),
                Bind::Text(period.to_string()),
                Bind::Text(text.into()),
            ],
        )
        .await?;
        self.log(
            "create",
            "outcome_comment",
            Some(indicator_id),
            None,
            json(&(period, text)),
        )
        .await
    }

    // --- commitments ------------------------------------------------------------------

    pub async fn create_commitment(&mut self, input: &CommitmentInput) -> Result<Id> {
        self.ensure_commitment_open(input.goal_id, input.year)
            .await?;
        self.ensure_goal_plan_open(input.goal_id, input.year)
            .await?;
        self.create_keyed(input).await
    }

    pub async fn update_commitment(&mut self, id: Id, input: &CommitmentInput) -> Result<()> {
        let before: Option<(String, i64, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT key, goal_id, title, description, year, carried_over_from_id FROM commitments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let before = before.ok_or_else(|| StoreError::not_found("commitment", id))?;
        let unchanged = before.1 == input.goal_id
            && before.2 == input.title
            && before.3 == input.description
            && before.4 == i64::from(input.year)
            && before.5 == input.carried_over_from;
        if !unchanged {
            let year = i32::try_from(before.4)
                .map_err(|_| StoreError::Corrupt(format!("commitment year {}", before.4)))?;
            self.ensure_commitment_open(before.1, year).await?;
            self.ensure_commitment_open(input.goal_id, input.year)
                .await?;
            self.ensure_goal_plan_open(before.1, year).await?;
            self.ensure_goal_plan_open(input.goal_id, input.year)
                .await?;
        }
        let key = before.0.clone();
        let before = serde_json::json!({"key": before.0, "goal_id": before.1, "title": before.2, "description": before.3, "year": before.4, "carried_over_from": before.5});
        self.update_keyed(id, input, &key, Some(before)).await
    }

    pub async fn upsert_commitment(&mut self, input: &CommitmentInput) -> Result<Id> {
        match self.id_by_key("commitments", &input.key).await? {
            Some(id) => {
                self.update_commitment(id, input).await?;
                Ok(id)
            }
            None => self.create_commitment(input).await,
        }
    }

    pub async fn add_commitment_status(
        &mut self,
        commitment_id: Id,
        date: &str,
        status: CommitmentStatus,
        comment: &str,
    ) -> Result<Id> {
        let org = self.org_of_commitment(commitment_id).await?;
        self.ensure_day_unlocked(org, date).await?;
        let id = self
            .insert_returning_id(
                "INSERT INTO commitment_statuses (commitment_id, date, status, comment) VALUES ($1, $2, $3, $4)",
                vec![Bind::Int(commitment_id), Bind::Text(date.into()), Bind::Text(status.code().into()), Bind::Text(comment.into())],
            )
            .await?;
        let after =
            serde_json::json!({"date": date, "status": status.label_sv(), "comment": comment});
        self.log(
            "create",
            "commitment_status",
            Some(commitment_id),
            None,
            Some(after),
        )
        .await?;
        Ok(id)
    }

    pub async fn clear_commitment_statuses(&mut self, commitment_id: Id) -> Result<()> {
        if self.has_locks().await? {
            let org = self.org_of_commitment(commitment_id).await?;
            let dates: Vec<String> =
                sqlx::query_scalar("SELECT date FROM commitment_statuses WHERE commitment_id = $1")
                    .bind(commitment_id)
                    .fetch_all(&mut *self.tx)
                    .await?;
            for date in dates {
                self.ensure_day_unlocked(org, &date).await?;
            }
        }
        let removed = self
            .execute(
                "DELETE FROM commitment_statuses WHERE commitment_id = $1",
                vec![Bind::Int(commitment_id)],
            )
            .await?;
        if removed > 0 {
            self.log(
                "clear_statuses",
                ObjectKind::Commitment.log_type(),
                Some(commitment_id),
                json(&removed),
                None,
            )
            .await?;
        }
        Ok(())
    }

    // --- assessments ------------------------------------------------------------------

    /// Records an assessment; replaces the one of the same unit, goal, period and stage.
    pub async fn set_assessment(&mut self, input: &AssessmentInput) -> Result<Id> {
        let existing: Option<AssessmentRow> = sqlx::query_as(
            "SELECT id, org_id, goal_id, period, stage, level, motivation, author, date FROM assessments \
             WHERE org_id = $1 AND period = $2 AND stage = $3 AND (goal_id = $4 OR (goal_id IS NULL AND $5 = 1))",
        )
        .bind(input.org_id)
        .bind(input.period.to_string())
        .bind(input.stage.code())
        .bind(input.goal_id.unwrap_or(-1))
        .bind(i64::from(input.goal_id.is_none()))
        .fetch_optional(&mut *self.tx)
        .await?;
        let existing: Option<Assessment> = existing.map(TryInto::try_into).transpose()?;
        if let Some(same) = existing.as_ref().filter(|a| {
            a.level == input.level
                && a.motivation == input.motivation
                && a.author == input.author
                && a.date == input.date
        }) {
            // Unchanged: nothing to write (a re-import of decided data is not refused).
            return Ok(same.id);
        }
        self.ensure_unlocked(input.org_id, input.period).await?;
        let binds = vec![
            Bind::Text(input.level.clone()),
            Bind::Text(input.motivation.clone()),
            Bind::Text(input.author.clone()),
            Bind::Text(input.date.clone()),
        ];
        match existing {
            Some(before) => {
                let mut binds = binds;
                binds.push(Bind::Int(before.id));
                self.execute("UPDATE assessments SET level = $1, motivation = $2, author = $3, date = $4 WHERE id = $5", binds)
                    .await?;
                self.log(
                    "update",
                    "assessment",
                    Some(before.id),
                    json(&before),
                    json(input),
                )
                .await?;
                Ok(before.id)
            }
            None => {
                let mut binds = binds;
                binds.extend([
                    Bind::Int(input.org_id),
                    Bind::OptInt(input.goal_id),
                    Bind::Text(input.period.to_string()),
                    Bind::Text(input.stage.code().into()),
                ]);
                let id = self
                    .insert_returning_id(
                        "INSERT INTO assessments (level, motivation, author, date, org_id, goal_id, period, stage) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        binds,
                    )
                    .await?;
                self.log("create", "assessment", Some(id), None, json(input))
                    .await?;
                Ok(id)
            }
        }
    }

    /// Removes every assessment of a unit for a period (for a re-import).
    pub async fn clear_assessments(&mut self, org_id: Id, period: Period) -> Result<()> {
        self.ensure_unlocked(org_id, period).await?;
        let removed = self
            .execute(
                "DELETE FROM assessments WHERE org_id = $1 AND period = $2",
                vec![Bind::Int(org_id), Bind::Text(period.to_string())],
            )
            .await?;
        if removed > 0 {
            self.log(
                "clear",
                "assessments",
                Some(org_id),
                json(&(period, removed)),
                None,
            )
            .await?;
        }
        Ok(())
    }
}

/// The six values of an outcome row, in the order of the outcomes table's columns.
fn outcome_binds(indicator_id: Id, o: &Outcome) -> [Bind; 7] {
    [
        Bind::Int(indicator_id),
        Bind::Text(o.period.to_string()),
        Bind::Text(o.breakdown.code()),
        Bind::Real(o.value),
        Bind::OptReal(o.margin),
        Bind::OptInt(o.sample_size),
        Bind::Text(o.period.last_day()),
    ]
}

/// A comparison's five values (period, group, rank, of, average), as its tables store them.
pub(crate) fn comparison_binds(c: &uppsikt_domain::model::Comparison) -> [Bind; 5] {
    [
        Bind::Text(c.period.to_string()),
        Bind::Text(c.group.clone()),
        Bind::OptInt(c.rank),
        Bind::OptInt(c.of),
        Bind::OptReal(c.average),
    ]
}

/// A bind value of one of the types both backends share.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    OptInt(Option<i64>),
    Real(f64),
    OptReal(Option<f64>),
    Text(String),
    OptText(Option<String>),
}

/// A NULL that reaches PostgreSQL as `float8`. sqlx 0.8's `Any` driver swaps the types of
/// typed NULLs (an `Option<f64>::None` is sent as `float4`, an `Option<f32>::None` as
/// `float8`); a statement first prepared with the `float4` NULL then fails on every real
/// `f64` ("incorrect binary data format in bind parameter").
const NULL_DOUBLE: Option<f32> = None;

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

impl Bind {
    fn apply(self, q: AnyQuery<'_>) -> AnyQuery<'_> {
        match self {
            Bind::Int(v) => q.bind(v),
            Bind::OptInt(v) => q.bind(v),
            Bind::Real(v) => q.bind(v),
            Bind::OptReal(None) => q.bind(NULL_DOUBLE),
            Bind::OptReal(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
            Bind::OptText(v) => q.bind(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_ascii_and_readable() {
        assert_eq!(slugify("Ökad valfrihet"), "okad-valfrihet");
        assert_eq!(slugify("Bra att leva och bo"), "bra-att-leva-och-bo");
        assert_eq!(slugify("  Trygg utomhus! "), "trygg-utomhus");
        assert_eq!(slugify("???"), "x");
    }
}
