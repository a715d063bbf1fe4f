//! Read queries. Collections come back in display order (position, then id).

use std::collections::HashMap;

use sqlx::FromRow;
use uppsikt_domain::evaluation::EvaluationSettings;
use uppsikt_domain::model::{
    Analysis, Assessment, Commitment, Goal, Id, IndicatorRecord, OrgUnit, PeriodReview, StatusEntry,
};
use uppsikt_domain::Period;

use crate::rows::{
    self, convert, AssessmentRow, CommitmentRow, GoalRow, IndicatorRow, OrgUnitRow, PeriodTextRow,
    StatusRow,
};
use crate::{Result, Store, StoreError};

/// Which indicators or commitments to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    All,
    /// The goals owned by an organisation unit.
    Org(Id),
    /// One goal and every goal below it.
    GoalTree(Id),
    /// One indicator.
    Indicator(Id),
}

impl Scope {
    /// A condition on the goals alias `g` (and indicators alias `i` where joined) with at
    /// most one bind parameter `$1`.
    fn goal_condition(self) -> &'static str {
        match self {
            Scope::All => "1 = 1",
            Scope::Org(_) => "g.org_id = $1",
            Scope::GoalTree(_) => {
                "g.id IN (WITH RECURSIVE sub(id) AS (SELECT CAST($1 AS BIGINT) \
                 UNION ALL SELECT gc.id FROM goals gc JOIN sub ON gc.parent_id = sub.id) SELECT id FROM sub)"
            }
            Scope::Indicator(_) => "i.id = $1",
        }
    }

    fn param(self) -> Option<Id> {
        match self {
            Scope::All => None,
            Scope::Org(id) | Scope::GoalTree(id) | Scope::Indicator(id) => Some(id),
        }
    }
}

/// An aggregate packing an indicator's outcomes into one text, one outcome per line:
/// `period|breakdown|value|margin|sample_size` (empty for NULL). The one place where the
/// backends' SQL differs in reading (`group_concat` vs `string_agg`).
fn packed_outcomes_sql(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => {
            "group_concat(x.period || '|' || x.breakdown || '|' || x.value || '|' || \
             coalesce(x.margin, '') || '|' || coalesce(x.sample_size, ''), char(10))"
        }
        crate::Backend::Postgres => {
            "string_agg(x.period || '|' || x.breakdown || '|' || x.value::text || '|' || \
             coalesce(x.margin::text, '') || '|' || coalesce(x.sample_size::text, ''), E'\\n')"
        }
    }
}

/// As [`packed_outcomes_sql`], for milestones and targets: `year|target` per line.
fn packed_year_targets_sql(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => "group_concat(x.year || '|' || x.target, char(10))",
        crate::Backend::Postgres => "string_agg(x.year::text || '|' || x.target, E'\\n')",
    }
}

/// Puts a record's lists in display order.
fn sort_record(r: &mut IndicatorRecord) {
    r.outcomes.sort_by(|a, b| {
        a.period
            .cmp(&b.period)
            .then_with(|| a.breakdown.cmp(&b.breakdown))
    });
    r.milestones.sort_by_key(|m| m.0);
    r.targets.sort_by_key(|m| m.0);
    r.comparisons
        .sort_by(|a, b| b.period.cmp(&a.period).then_with(|| a.group.cmp(&b.group)));
    r.gaps.sort_by_key(|a| a.period);
    r.comments.sort_by_key(|a| a.period);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Full,
    Totals,
}

const INDICATOR_JOIN: &str = "FROM indicators i JOIN goals g ON g.id = i.goal_id";

impl Store {
    async fn fetch_scoped<R>(&self, sql: String, scope: Scope) -> Result<Vec<R>>
    where
        R: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut q = sqlx::query_as::<_, R>(&sql);
        if let Some(p) = scope.param() {
            q = q.bind(p);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// The current data version: bumped by every committed write.
    pub async fn data_version(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT version FROM data_version WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn org_units(&self) -> Result<Vec<OrgUnit>> {
        let rows: Vec<OrgUnitRow> = sqlx::query_as(
            "SELECT id, key, name, short_name, kind, parent_id, position FROM org_units ORDER BY position, id",
        )
        .fetch_all(&self.pool)
        .await?;
        convert(rows)
    }

    pub async fn org_unit(&self, id: Id) -> Result<OrgUnit> {
        let row: Option<OrgUnitRow> = sqlx::query_as(
            "SELECT id, key, name, short_name, kind, parent_id, position FROM org_units WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or_else(|| StoreError::not_found("org unit", id))?
            .try_into()
    }

    /// Finds a unit by id, key or short name (case-insensitive), as typed on the CLI.
    pub async fn find_org_unit(&self, reference: &str) -> Result<OrgUnit> {
        let wanted = reference.trim();
        let units = self.org_units().await?;
        units
            .into_iter()
            .find(|u| {
                u.id.to_string() == wanted
                    || u.key == wanted
                    || u.short_name.to_lowercase() == wanted.to_lowercase()
            })
            .ok_or_else(|| StoreError::not_found("org unit", wanted))
    }

    pub async fn vision(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT text FROM visions ORDER BY id LIMIT 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The steering model (styrmodell) described beside the vision, if any.
    pub async fn steering_model(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT steering_model FROM visions WHERE steering_model <> '' ORDER BY id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    const GOAL_COLUMNS: &'static str =
        "SELECT id, key, org_id, parent_id, title, description, kind, position FROM goals";

    pub async fn goals(&self) -> Result<Vec<Goal>> {
        let sql = format!("{} ORDER BY position, id", Self::GOAL_COLUMNS);
        convert(
            sqlx::query_as::<_, GoalRow>(&sql)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn goals_of_org(&self, org_id: Id) -> Result<Vec<Goal>> {
        let sql = format!(
            "{} WHERE org_id = $1 ORDER BY position, id",
            Self::GOAL_COLUMNS
        );
        convert(
            sqlx::query_as::<_, GoalRow>(&sql)
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn child_goals(&self, goal_id: Id) -> Result<Vec<Goal>> {
        let sql = format!(
            "{} WHERE parent_id = $1 ORDER BY position, id",
            Self::GOAL_COLUMNS
        );
        convert(
            sqlx::query_as::<_, GoalRow>(&sql)
                .bind(goal_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// A goal and every goal below it, in tree order of their ids as stored.
    pub async fn goal_tree(&self, goal_id: Id) -> Result<Vec<Goal>> {
        let sql = format!(
            "{} g WHERE {} ORDER BY position, id",
            Self::GOAL_COLUMNS,
            Scope::GoalTree(goal_id).goal_condition()
        );
        convert(
            sqlx::query_as::<_, GoalRow>(&sql)
                .bind(goal_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn goal(&self, id: Id) -> Result<Goal> {
        let sql = format!("{} WHERE id = $1", Self::GOAL_COLUMNS);
        let row: Option<GoalRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or_else(|| StoreError::not_found("goal", id))?
            .try_into()
    }

    pub async fn priorities(&self, goal_id: Id) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT text FROM goal_priorities WHERE goal_id = $1 ORDER BY position, id",
        )
        .bind(goal_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn analyses(&self, goal_id: Id) -> Result<Vec<Analysis>> {
        let rows: Vec<PeriodTextRow> = sqlx::query_as(
            "SELECT goal_id AS owner_id, period, text FROM goal_analyses WHERE goal_id = $1",
        )
        .bind(goal_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(PeriodTextRow::analysis)
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|a| a.period);
        Ok(out)
    }

    /// A unit's events and improvement areas for a period, if any were recorded.
    pub async fn period_review(&self, org_id: Id, period: Period) -> Result<Option<PeriodReview>> {
        rows::fetch_period_review(&self.pool, org_id, &period.to_string()).await
    }

    /// Indicators with all their data, in display order.
    pub async fn indicator_records(&self, scope: Scope) -> Result<Vec<IndicatorRecord>> {
        self.load_records(scope, Detail::Full).await
    }

    /// Indicators with only what a status and trend need: total outcomes, milestones, the
    /// evaluation settings and, for milestones against a comparison group, the group's
    /// figures (no breakdowns, other comparisons, gap judgements or comments). For lists of
    /// goals.
    pub async fn indicator_statuses(&self, scope: Scope) -> Result<Vec<IndicatorRecord>> {
        self.load_records(scope, Detail::Totals).await
    }

    async fn load_records(&self, scope: Scope, detail: Detail) -> Result<Vec<IndicatorRecord>> {
        let cond = scope.goal_condition();
        let indicators: Vec<IndicatorRow> = self
            .fetch_scoped(
                format!(
                    "SELECT {} {INDICATOR_JOIN} WHERE {cond} ORDER BY i.position, i.id",
                    rows::indicator_columns("i")
                ),
                scope,
            )
            .await?;
        let settings = self.evaluation_settings().await?;
        let mut records: Vec<IndicatorRecord> = Vec::with_capacity(indicators.len());
        let mut index: HashMap<Id, usize> = HashMap::with_capacity(indicators.len());
        for row in indicators {
            let indicator: uppsikt_domain::model::Indicator = row.try_into()?;
            index.insert(indicator.id, records.len());
            records.push(IndicatorRecord {
                indicator,
                outcomes: Vec::new(),
                milestones: Vec::new(),
                targets: Vec::new(),
                comparisons: Vec::new(),
                gaps: Vec::new(),
                comments: Vec::new(),
                kolada: false,
                settings,
            });
        }
        if records.is_empty() {
            return Ok(records);
        }
        let sub = |table: &str, cols: &str| {
            format!("SELECT {cols} FROM {table} x JOIN indicators i ON i.id = x.indicator_id JOIN goals g ON g.id = i.goal_id WHERE {cond}")
        };
        // One row per indicator with its outcomes packed as text: decoding 15,000 rows one
        // by one through the Any driver costs far more than splitting one string each.
        let packed: Vec<(i64, String)> = self
            .fetch_scoped(
                format!(
                    "SELECT x.indicator_id, {} FROM outcomes x JOIN indicators i ON i.id = x.indicator_id \
                     JOIN goals g ON g.id = i.goal_id WHERE {cond}{} GROUP BY x.indicator_id",
                    packed_outcomes_sql(self.backend),
                    if detail == Detail::Totals { " AND x.breakdown = 'total'" } else { "" }
                ),
                scope,
            )
            .await?;
        for (indicator_id, text) in packed {
            if let Some(&i) = index.get(&indicator_id) {
                records[i].outcomes = rows::unpack_outcomes(&text)?;
            }
        }
        for (table, is_milestone) in [("milestones", true), ("targets", false)] {
            let packed: Vec<(i64, String)> = self
                .fetch_scoped(
                    format!(
                        "SELECT x.indicator_id, {} FROM {table} x JOIN indicators i ON i.id = x.indicator_id \
                         JOIN goals g ON g.id = i.goal_id WHERE {cond} GROUP BY x.indicator_id",
                        packed_year_targets_sql(self.backend)
                    ),
                    scope,
                )
                .await?;
            for (indicator_id, text) in packed {
                if let Some(&i) = index.get(&indicator_id) {
                    let list = rows::unpack_year_targets(&text)?;
                    if is_milestone {
                        records[i].milestones = list;
                    } else {
                        records[i].targets = list;
                    }
                }
            }
        }
        if detail == Detail::Totals {
            self.add_kolada_figures(&mut records, false).await?;
            self.add_benchmark_comparisons(&mut records, scope, &index)
                .await?;
            records.iter_mut().for_each(sort_record);
            return Ok(records);
        }
        let comparisons: Vec<rows::ComparisonRow> = self
            .fetch_scoped(
                sub(
                    "comparisons",
                    "x.indicator_id, x.period, x.group_name, x.rank, x.of_count, x.average",
                ),
                scope,
            )
            .await?;
        for row in comparisons {
            if let Some(&i) = index.get(&row.indicator_id) {
                records[i].comparisons.push(row.try_into()?);
            }
        }
        let gaps: Vec<rows::GapRow> = self
            .fetch_scoped(
                sub(
                    "gap_judgements",
                    "x.indicator_id, x.period, x.kind, x.unjustified, x.comment",
                ),
                scope,
            )
            .await?;
        for row in gaps {
            if let Some(&i) = index.get(&row.indicator_id) {
                records[i].gaps.push(row.try_into()?);
            }
        }
        let comments: Vec<PeriodTextRow> = self
            .fetch_scoped(
                sub(
                    "outcome_comments",
                    "x.indicator_id AS owner_id, x.period, x.text",
                ),
                scope,
            )
            .await?;
        for row in comments {
            if let Some(&i) = index.get(&row.owner_id) {
                records[i].comments.push(row.comment()?);
            }
        }
        self.add_kolada_figures(&mut records, true).await?;
        records.iter_mut().for_each(sort_record);
        Ok(records)
    }

    /// For [`Detail::Totals`]: the comparisons of the indicators with a milestone set
    /// against a comparison group ("> Länssnitt", "bland de 25 % bästa"), from the same
    /// places the full load takes them (stored comparisons, then Kolada's derived or decided
    /// figures), so that a goal list judges them as the indicator page does. Nothing is
    /// read when no indicator in scope has such a milestone.
    async fn add_benchmark_comparisons(
        &self,
        records: &mut [IndicatorRecord],
        scope: Scope,
        index: &HashMap<Id, usize>,
    ) -> Result<()> {
        let wanted: std::collections::HashSet<Id> = records
            .iter()
            .filter(|r| r.milestones.iter().any(|(_, t)| t.benchmark().is_some()))
            .map(|r| r.indicator.id)
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let cond = scope.goal_condition();
        let stored: Vec<rows::ComparisonRow> = self
            .fetch_scoped(
                format!(
                    "SELECT x.indicator_id, x.period, x.group_name, x.rank, x.of_count, x.average \
                     FROM comparisons x JOIN indicators i ON i.id = x.indicator_id \
                     JOIN goals g ON g.id = i.goal_id WHERE {cond}"
                ),
                scope,
            )
            .await?;
        for row in stored {
            if !wanted.contains(&row.indicator_id) {
                continue;
            }
            if let Some(&i) = index.get(&row.indicator_id) {
                records[i].comparisons.push(row.try_into()?);
            }
        }
        self.attach_kolada_comparisons(records, |r| wanted.contains(&r.indicator.id))
            .await
    }

    /// The municipality's settings for judging changes: those of the newest rule version,
    /// or the defaults when no version is stored.
    pub async fn evaluation_settings(&self) -> Result<EvaluationSettings> {
        let threshold: Option<f64> = sqlx::query_scalar(
            "SELECT relative_threshold FROM rule_versions ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(threshold
            .map(|relative_threshold| EvaluationSettings { relative_threshold })
            .unwrap_or_default())
    }

    pub async fn indicator_record(&self, id: Id) -> Result<IndicatorRecord> {
        self.indicator_records(Scope::Indicator(id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::not_found("indicator", id))
    }

    /// Commitments with their status history, in display order.
    pub async fn commitments(&self, scope: Scope) -> Result<Vec<Commitment>> {
        let cond = match scope {
            Scope::Indicator(_) => return Ok(Vec::new()),
            other => other.goal_condition(),
        };
        let rows: Vec<CommitmentRow> = self
            .fetch_scoped(
                format!(
                    "SELECT c.id, c.key, c.goal_id, c.title, c.description, c.year, c.carried_over_from_id, c.position \
                     FROM commitments c JOIN goals g ON g.id = c.goal_id WHERE {cond} ORDER BY c.position, c.id"
                ),
                scope,
            )
            .await?;
        let statuses: Vec<StatusRow> = self
            .fetch_scoped(
                format!(
                    "SELECT s.id, s.commitment_id, s.date, s.status, s.comment FROM commitment_statuses s \
                     JOIN commitments c ON c.id = s.commitment_id JOIN goals g ON g.id = c.goal_id \
                     WHERE {cond} ORDER BY s.date, s.id"
                ),
                scope,
            )
            .await?;
        let mut by_commitment: HashMap<Id, Vec<StatusEntry>> = HashMap::new();
        for s in statuses {
            let owner = s.commitment_id;
            by_commitment.entry(owner).or_default().push(s.try_into()?);
        }
        rows.into_iter()
            .map(|r| {
                Ok(Commitment {
                    statuses: by_commitment.remove(&r.id).unwrap_or_default(),
                    year: i32::try_from(r.year)
                        .map_err(|_| StoreError::Corrupt(format!("year {}", r.year)))?,
                    id: r.id,
                    key: r.key,
                    goal_id: r.goal_id,
                    title: r.title,
                    description: r.description,
                    carried_over_from: r.carried_over_from_id,
                    position: r.position,
                })
            })
            .collect()
    }

    pub async fn commitment(&self, id: Id) -> Result<Commitment> {
        let goal_id: Option<i64> =
            sqlx::query_scalar("SELECT goal_id FROM commitments WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let goal_id = goal_id.ok_or_else(|| StoreError::not_found("commitment", id))?;
        let goal = self.goal(goal_id).await?;
        self.commitments(Scope::Org(goal.org_id))
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::not_found("commitment", id))
    }

    const ASSESSMENT_COLUMNS: &'static str =
        "SELECT id, org_id, goal_id, period, stage, level, motivation, author, date FROM assessments";

    /// Assessments made by a unit (of its own goals, the goals above them, and overall).
    pub async fn assessments_by_org(&self, org_id: Id) -> Result<Vec<Assessment>> {
        let sql = format!(
            "{} WHERE org_id = $1 ORDER BY period, id",
            Self::ASSESSMENT_COLUMNS
        );
        convert(
            sqlx::query_as::<_, AssessmentRow>(&sql)
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn assessments_of_goal(&self, goal_id: Id) -> Result<Vec<Assessment>> {
        let sql = format!(
            "{} WHERE goal_id = $1 ORDER BY period, id",
            Self::ASSESSMENT_COLUMNS
        );
        convert(
            sqlx::query_as::<_, AssessmentRow>(&sql)
                .bind(goal_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn all_assessments(&self) -> Result<Vec<Assessment>> {
        let sql = format!("{} ORDER BY period, id", Self::ASSESSMENT_COLUMNS);
        convert(
            sqlx::query_as::<_, AssessmentRow>(&sql)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The change log, newest first, optionally for one object.
    pub async fn change_log(
        &self,
        object: Option<(&str, Id)>,
        limit: i64,
    ) -> Result<Vec<ChangeLogEntry>> {
        let rows: Vec<ChangeLogEntry> = match object {
            Some((kind, id)) => {
                sqlx::query_as(&format!(
                    "SELECT {CHANGE_LOG_COLUMNS} \
                     WHERE c.object_type = $1 AND c.object_id = $2 ORDER BY c.id DESC LIMIT $3"
                ))
                .bind(kind)
                .bind(id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "SELECT {CHANGE_LOG_COLUMNS} ORDER BY c.id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows)
    }

    /// Counts of the main objects, for summaries and tests.
    pub async fn counts(&self) -> Result<Counts> {
        let count = |table: &'static str| async move {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&self.pool)
                .await?;
            Ok::<i64, StoreError>(n)
        };
        Ok(Counts {
            org_units: count("org_units").await?,
            goals: count("goals").await?,
            indicators: count("indicators").await?,
            outcomes: count("outcomes").await?,
            milestones: count("milestones").await?,
            commitments: count("commitments").await?,
            assessments: count("assessments").await?,
            change_log: count("change_log").await?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub org_units: i64,
    pub goals: i64,
    pub indicators: i64,
    pub outcomes: i64,
    pub milestones: i64,
    pub commitments: i64,
    pub assessments: i64,
    pub change_log: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ChangeLogEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    /// The account's display name, when the actor is an account (people, not logins).
    pub actor_name: Option<String>,
    /// `ChangeSource::code` (`None` for rows from before sources were recorded).
    pub source: Option<String>,
    /// `ChangeSource::detail`: the imported file's name.
    pub source_detail: Option<String>,
}

impl ChangeLogEntry {
    /// Where the change came from, `None` when the row does not say.
    pub fn change_source(&self) -> Option<crate::ChangeSource> {
        crate::ChangeSource::from_stored(self.source.as_deref(), self.source_detail.as_deref())
    }
}

/// The change log's columns as `ChangeLogEntry` reads them (`change_log c`, with the
/// actor's account joined for the display name).
pub(crate) const CHANGE_LOG_COLUMNS: &str =
    "c.id, c.at, c.actor, c.action, c.object_type, c.object_id, c.before_value, c.after_value, \
     u.display_name AS actor_name, c.source, c.source_detail \
     FROM change_log c LEFT JOIN users u ON u.username = c.actor";
