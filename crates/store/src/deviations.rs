//! Deviations, their decisions and actions. Every change first applies the domain's
//! lifecycle rule to the stored deviation (so no write can skip a decision), then writes
//! and logs it like every other change.

use std::collections::{HashMap, HashSet};

use uppsikt_domain::object_kind::ObjectKind;

use uppsikt_domain::deviation::{
    Action, ActionState, Concern, Correction, DecidingBody, Decision, Deviation, LifecycleError,
    NewDeviation, Outcome, Severity, Source, Standing, Tally,
};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;

use crate::sql::{placeholders, rows_for, value_rows};
use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// A stored deviation with the ids of its actions (in the order of `deviation.actions`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeviation {
    pub id: Id,
    pub deviation: Deviation,
    pub action_ids: Vec<Id>,
}

type DeviationRow = (
    i64,
    i64,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);
type DecisionRow = (i64, String, String, String, String, i64, String);
/// A correction: the decision it replaced (as [`DecisionRow`]), then reason, day and who.
type CorrectionRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
);

/// A stored decision's columns as the domain's decision.
fn decision_from(
    body: &str,
    decided_on: String,
    paragraph: String,
    diary_number: String,
    act: i64,
    motivation: String,
) -> Result<Decision> {
    Ok(Decision {
        body: DecidingBody::parse(body).ok_or_else(|| corrupt("body"))?,
        decided_on,
        paragraph,
        diary_number,
        outcome: if act != 0 {
            Outcome::Act
        } else {
            Outcome::NoAction { motivation }
        },
    })
}
type ActionRow = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    Option<i64>,
    String,
    Option<String>,
);

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("deviation {what}"))
}

/// Loads deviations with their decisions (and corrections), actions and comments: five
/// queries however many.
/// Returned in the order of `ids`; a missing id is not found.
async fn load_many(conn: &mut sqlx::AnyConnection, ids: &[Id]) -> Result<Vec<StoredDeviation>> {
    let rows: Vec<DeviationRow> = rows_for(
        conn,
        "SELECT id, org_id, area, source, severity, period, description, cause_key, raised_on \
         FROM deviations WHERE id IN (@IDS@)",
        ids,
    )
    .await?;
    let decisions: Vec<DecisionRow> = rows_for(
        conn,
        "SELECT deviation_id, body, decided_on, paragraph, diary_number, act, motivation \
         FROM deviation_decisions WHERE deviation_id IN (@IDS@)",
        ids,
    )
    .await?;
    let actions: Vec<ActionRow> = rows_for(
        conn,
        "SELECT id, deviation_id, what, responsible_org_id, responsible_person, due, expected_effect, indicator_id, state, closed_on \
         FROM deviation_actions WHERE deviation_id IN (@IDS@) ORDER BY deviation_id, position",
        ids,
    )
    .await?;
    let corrections: Vec<CorrectionRow> = rows_for(
        conn,
        "SELECT deviation_id, body, decided_on, paragraph, diary_number, act, motivation, \
         reason, corrected_on, corrected_by \
         FROM deviation_decision_corrections WHERE deviation_id IN (@IDS@) ORDER BY deviation_id, id",
        ids,
    )
    .await?;
    let mut corrections_of: HashMap<Id, Vec<Correction>> = HashMap::new();
    for (id, body, decided_on, paragraph, diary_number, act, motivation, reason, on, by) in
        corrections
    {
        corrections_of.entry(id).or_default().push(Correction {
            replaced: decision_from(&body, decided_on, paragraph, diary_number, act, motivation)?,
            reason,
            corrected_by: by,
            corrected_on: on,
        });
    }
    let action_ids: Vec<Id> = actions.iter().map(|a| a.0).collect();
    let comments: Vec<(i64, String, String)> = rows_for(
        conn,
        "SELECT action_id, on_date, text FROM deviation_action_comments WHERE action_id IN (@IDS@) ORDER BY id",
        &action_ids,
    )
    .await?;
    let mut comments_of: HashMap<Id, Vec<(String, String)>> = HashMap::new();
    for (action_id, on, text) in comments {
        comments_of.entry(action_id).or_default().push((on, text));
    }
    let mut decision_of: HashMap<Id, Decision> = HashMap::new();
    for (id, body, decided_on, paragraph, diary_number, act, motivation) in decisions {
        let decision = decision_from(&body, decided_on, paragraph, diary_number, act, motivation)?;
        decision_of.insert(id, decision);
    }
    let mut actions_of: HashMap<Id, (Vec<Action>, Vec<Id>)> = HashMap::new();
    for (
        action_id,
        deviation_id,
        what,
        unit,
        person,
        due,
        effect,
        indicator_id,
        state,
        closed_on,
    ) in actions
    {
        let entry = actions_of.entry(deviation_id).or_default();
        entry.1.push(action_id);
        entry.0.push(Action {
            what,
            responsible_unit: unit,
            responsible_person: person,
            due,
            expected_effect: effect,
            indicator_id,
            state: ActionState::parse(&state).ok_or_else(|| corrupt("action state"))?,
            comments: comments_of.remove(&action_id).unwrap_or_default(),
            closed_on,
        });
    }
    let mut by_id: HashMap<Id, StoredDeviation> = HashMap::with_capacity(rows.len());
    for (id, org_id, area, source, severity, period, description, cause_key, raised_on) in rows {
        let raised = NewDeviation {
            org_id,
            area,
            source: Source::parse(&source).ok_or_else(|| corrupt("source"))?,
            severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity"))?,
            period: Period::parse(&period).map_err(|_| corrupt("period"))?,
            description,
            cause_key,
        };
        let (actions, action_ids) = actions_of.remove(&id).unwrap_or_default();
        by_id.insert(
            id,
            StoredDeviation {
                id,
                deviation: Deviation {
                    raised,
                    raised_on,
                    decision: decision_of.remove(&id),
                    actions,
                    corrections: corrections_of.remove(&id).unwrap_or_default(),
                },
                action_ids,
            },
        );
    }
    ids.iter()
        .map(|id| {
            by_id
                .remove(id)
                .ok_or_else(|| StoreError::not_found("deviation", *id))
        })
        .collect()
}

async fn load(conn: &mut sqlx::AnyConnection, id: Id) -> Result<StoredDeviation> {
    let mut one = load_many(conn, &[id]).await?;
    one.pop()
        .ok_or_else(|| StoreError::not_found("deviation", id))
}

// The oversight rules of `uppsikt_domain::deviation::Tally` as SQL conditions (the store's
// tests check that both agree). `$1` is today.
const UNDECIDED: &str =
    "NOT EXISTS (SELECT 1 FROM deviation_decisions dd WHERE dd.deviation_id = d.id)";
const WITHOUT_ACTION: &str =
    "EXISTS (SELECT 1 FROM deviation_decisions dd WHERE dd.deviation_id = d.id AND dd.act = 1) \
     AND NOT EXISTS (SELECT 1 FROM deviation_actions a WHERE a.deviation_id = d.id)";
const OVERDUE: &str = "a.state IN ('planned', 'in_progress') AND a.due < $1";
const EFFECT_UNKNOWN: &str = "a.state = 'done' AND NOT EXISTS (SELECT 1 FROM outcomes o \
     WHERE o.indicator_id = a.indicator_id AND o.breakdown = 'total' AND o.last_day > a.closed_on)";
const EFFECT_SEEN: &str = "a.state = 'done' AND EXISTS (SELECT 1 FROM outcomes o \
     WHERE o.indicator_id = a.indicator_id AND o.breakdown = 'total' AND o.last_day > a.closed_on)";

fn concern_condition(concern: Concern) -> String {
    match concern {
        Concern::All => "1 = 1".into(),
        Concern::Undecided => UNDECIDED.into(),
        Concern::DecidedWithoutAction => format!("({WITHOUT_ACTION})"),
        Concern::OverdueActions => format!(
            "EXISTS (SELECT 1 FROM deviation_actions a WHERE a.deviation_id = d.id AND {OVERDUE})"
        ),
        Concern::EffectUnknown => format!(
            "EXISTS (SELECT 1 FROM deviation_actions a WHERE a.deviation_id = d.id AND {EFFECT_UNKNOWN})"
        ),
    }
}

/// Which deviations a drill-down lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviationFilter {
    /// Only these units' deviations (all when `None`).
    pub org_ids: Option<Vec<Id>>,
    /// Only this area's ("" for deviations without an area).
    pub area: Option<String>,
}

/// One page of a drill-down.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviationPage {
    /// How many match in all.
    pub total: usize,
    pub items: Vec<StoredDeviation>,
}

/// A query over deviations with today and the filter's values bound, in that order.
fn filtered<'q>(
    sql: &'q str,
    today: &'q str,
    filter: &'q DeviationFilter,
) -> sqlx::query::QueryScalar<'q, sqlx::Any, i64, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query_scalar(sql).bind(today);
    for id in filter.org_ids.iter().flatten() {
        q = q.bind(*id);
    }
    if let Some(area) = &filter.area {
        q = q.bind(area.as_str());
    }
    q
}

type TallyRow = (i64, String, i64, i64, Option<String>, i64, i64, i64);

impl Store {
    pub async fn deviation(&self, id: Id) -> Result<StoredDeviation> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, id).await
    }

    /// Every deviation of a unit (all units when `None`), oldest first.
    pub async fn deviations(&self, org_id: Option<Id>) -> Result<Vec<StoredDeviation>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM deviations WHERE $1 < 0 OR org_id = $1 ORDER BY id")
                .bind(org_id.unwrap_or(-1))
                .fetch_all(&self.pool)
                .await?;
        let mut conn = self.pool.acquire().await?;
        load_many(&mut conn, &ids).await
    }

    /// The oversight tally per unit and area (`None` for deviations without one), as of
    /// `today`: one query, however many deviations.
    pub async fn oversight_tallies(&self, today: &str) -> Result<Vec<(Id, Option<String>, Tally)>> {
        let sql = format!(
            "SELECT d.org_id, COALESCE(d.area, ''), COUNT(*), \
             CAST(SUM(CASE WHEN dd.deviation_id IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
             MIN(CASE WHEN dd.deviation_id IS NULL THEN d.raised_on END), \
             CAST(SUM(CASE WHEN dd.act = 1 AND ac.deviation_id IS NULL THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(COALESCE(ac.overdue, 0)) AS BIGINT), \
             CAST(SUM(COALESCE(ac.unknown, 0)) AS BIGINT) \
             FROM deviations d \
             LEFT JOIN deviation_decisions dd ON dd.deviation_id = d.id \
             LEFT JOIN (SELECT a.deviation_id, \
                 CAST(SUM(CASE WHEN {OVERDUE} THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
                 CAST(SUM(CASE WHEN {EFFECT_UNKNOWN} THEN 1 ELSE 0 END) AS BIGINT) AS unknown \
                 FROM deviation_actions a GROUP BY a.deviation_id) ac ON ac.deviation_id = d.id \
             GROUP BY d.org_id, COALESCE(d.area, '')"
        );
        let rows: Vec<TallyRow> = sqlx::query_as(&sql)
            .bind(today)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(org, area, n, undecided, oldest, without, overdue, unknown)| {
                    let count = |v: i64| usize::try_from(v).unwrap_or(0);
                    (
                        org,
                        (!area.is_empty()).then_some(area),
                        Tally {
                            deviations: count(n),
                            undecided: count(undecided),
                            oldest_undecided: oldest,
                            decided_without_action: count(without),
                            overdue_actions: count(overdue),
                            done_effect_unknown: count(unknown),
                        },
                    )
                },
            )
            .collect())
    }

    /// The deviation an action belongs to.
    pub async fn owning_deviation(&self, action_id: Id) -> Result<Id> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT deviation_id FROM deviation_actions WHERE id = $1")
                .bind(action_id)
                .fetch_optional(&self.pool)
                .await?;
        id.ok_or_else(|| StoreError::not_found("deviation_action", action_id))
    }

    /// Every indicator as (id, name, owning unit's name): the choices for the indicator
    /// that will show an action's effect.
    pub async fn indicator_choices(&self) -> Result<Vec<(Id, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.name, o.name FROM indicators i JOIN goals g ON g.id = i.goal_id \
             JOIN org_units o ON o.id = g.org_id ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The done actions whose indicator shows an outcome after they were done.
    pub async fn actions_with_effect_seen(&self) -> Result<HashSet<Id>> {
        let sql = format!("SELECT a.id FROM deviation_actions a WHERE {EFFECT_SEEN}");
        let ids: Vec<i64> = sqlx::query_scalar(&sql).fetch_all(&self.pool).await?;
        Ok(ids.into_iter().collect())
    }

    /// The deviations behind one figure of the oversight view, oldest raised first:
    /// `limit` of them from `offset`, with how many there are in all.
    pub async fn deviation_page(
        &self,
        filter: &DeviationFilter,
        concern: Concern,
        today: &str,
        offset: usize,
        limit: usize,
    ) -> Result<DeviationPage> {
        let mut conditions = vec![concern_condition(concern)];
        let mut next = 2;
        if let Some(ids) = &filter.org_ids {
            conditions.push(if ids.is_empty() {
                "1 = 0".into()
            } else {
                format!("d.org_id IN ({})", placeholders(next, ids.len()))
            });
            next += ids.len();
        }
        if filter.area.is_some() {
            conditions.push(format!("COALESCE(d.area, '') = ${next}"));
        }
        let filter_sql = format!("FROM deviations d WHERE {}", conditions.join(" AND "));
        let count_sql = format!("SELECT COUNT(*) {filter_sql}");
        let ids_sql = format!(
            "SELECT d.id {filter_sql} ORDER BY d.raised_on, d.id LIMIT {limit} OFFSET {offset}"
        );
        let total = filtered(&count_sql, today, filter)
            .fetch_one(&self.pool)
            .await?;
        let ids = filtered(&ids_sql, today, filter)
            .fetch_all(&self.pool)
            .await?;
        let mut conn = self.pool.acquire().await?;
        Ok(DeviationPage {
            total: usize::try_from(total).unwrap_or(0),
            items: load_many(&mut conn, &ids).await?,
        })
    }
}

impl Store {
    /// Raises, in one transaction on behalf of `actor`, the automatic deviations due today
    /// from `from_year` on (by default last year, the annual report's, and this year; older
    /// years are history). Returns the ids of those not raised before.
    pub async fn raise_automatic_deviations(
        &self,
        actor: &str,
        source: crate::ChangeSource,
        from_year: Option<i32>,
    ) -> Result<Vec<Id>> {
        let today = crate::today();
        let last_year = today[..4].parse::<i32>().unwrap_or(2000) - 1;
        let due = self
            .automatic_deviations(&today, from_year.unwrap_or(last_year))
            .await?;
        let mut w = self.writer(actor, source).await?;
        let raised = w.raise_deviations(due, &today).await?;
        w.commit().await?;
        Ok(raised)
    }
}

impl Store {
    /// Fills in the last day of every outcome's period where it is missing (outcomes
    /// stored before the column existed, or restored from an older backup): once, when
    /// the store is opened, through a writer that logs it, and only when something is
    /// missing (else nothing is written and the data version stays).
    pub(crate) async fn fill_last_days(&self) -> Result<()> {
        let periods: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT period FROM outcomes WHERE last_day IS NULL")
                .fetch_all(&self.pool)
                .await?;
        let periods: Vec<Period> = periods
            .iter()
            .filter_map(|p| Period::parse(p).ok())
            .collect();
        if periods.is_empty() {
            return Ok(());
        }
        let mut w = self
            .writer(crate::UPGRADE_ACTOR, crate::ChangeSource::Upgrade)
            .await?;
        w.fill_last_days(&periods).await?;
        w.commit().await
    }
}

impl Writer {
    /// Sets the last day of the periods' outcomes where it is missing; one change-log row.
    async fn fill_last_days(&mut self, periods: &[Period]) -> Result<()> {
        let mut filled = 0;
        for p in periods {
            filled += self
                .execute(
                    "UPDATE outcomes SET last_day = $1 WHERE period = $2 AND last_day IS NULL",
                    vec![Bind::Text(p.last_day()), Bind::Text(p.to_string())],
                )
                .await?;
        }
        if filled == 0 {
            return Ok(());
        }
        let periods: Vec<String> = periods.iter().map(Period::to_string).collect();
        self.log(
            "fill_last_days",
            "outcomes",
            None,
            None,
            Some(serde_json::json!({ "periods": periods, "outcomes": filled })),
        )
        .await
    }
}

/// Rows per multi-row insert of decisions and actions (at most 10 parameters a row).
const BULK_ROWS: usize = 1_000;

const ACTION_COLUMNS: &str = "deviation_id, what, responsible_org_id, responsible_person, due, \
     expected_effect, indicator_id, state, position, closed_on";

const RAISED_COLUMNS: &str = "org_id, area, source, severity, period, description, cause_key, \
     raised_on, raised_by";

/// A deviation's row in `deviations` as raised by `actor` (the columns of [`RAISED_COLUMNS`]).
fn raised_binds(r: &NewDeviation, raised_on: &str, actor: &str) -> [Bind; 9] {
    [
        Bind::Int(r.org_id),
        Bind::OptText(r.area.clone()),
        Bind::Text(r.source.code().into()),
        Bind::Text(r.severity.code().into()),
        Bind::Text(r.period.to_string()),
        Bind::Text(r.description.clone()),
        Bind::OptText(r.cause_key.clone()),
        Bind::Text(raised_on.into()),
        Bind::Text(actor.into()),
    ]
}

/// Refuses a deviation given whole that breaks the lifecycle: a decision not to act
/// without a motivation, or actions without a decision to act.
fn check_lifecycle(d: &Deviation) -> Result<()> {
    let mut check = Deviation::new(d.raised.clone(), &d.raised_on);
    if let Some(decision) = &d.decision {
        check.decide(decision.clone()).map_err(lifecycle)?;
    }
    if !d.actions.is_empty() && check.standing() != Standing::DecidedWithoutAction {
        return Err(lifecycle(LifecycleError::NoDecisionToAct));
    }
    Ok(())
}

/// A decision's row in `deviation_decisions`.
fn decision_binds(id: Id, decision: &Decision) -> [Bind; 7] {
    let (act, motivation) = match &decision.outcome {
        Outcome::Act => (1, String::new()),
        Outcome::NoAction { motivation } => (0, motivation.clone()),
    };
    [
        Bind::Int(id),
        Bind::Text(decision.body.code().into()),
        Bind::Text(decision.decided_on.clone()),
        Bind::Text(decision.paragraph.clone()),
        Bind::Text(decision.diary_number.clone()),
        Bind::Int(act),
        Bind::Text(motivation),
    ]
}

/// An action's row in `deviation_actions` (the columns of [`ACTION_COLUMNS`]).
fn action_binds(deviation_id: Id, position: usize, a: &Action) -> [Bind; 10] {
    [
        Bind::Int(deviation_id),
        Bind::Text(a.what.clone()),
        Bind::Int(a.responsible_unit),
        Bind::Text(a.responsible_person.clone()),
        Bind::Text(a.due.clone()),
        Bind::Text(a.expected_effect.clone()),
        Bind::OptInt(a.indicator_id),
        Bind::Text(a.state.code().into()),
        Bind::Int(position as i64),
        Bind::OptText(a.closed_on.clone()),
    ]
}

fn lifecycle(e: LifecycleError) -> StoreError {
    StoreError::Lifecycle(e)
}

impl Writer {
    /// The deviation raised for a cause key, if any (seen from inside the transaction).
    pub async fn deviation_by_cause(&mut self, cause_key: &str) -> Result<Option<Id>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM deviations WHERE cause_key = $1")
                .bind(cause_key)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }

    /// The decision in force on a deviation, if any (seen from inside the transaction).
    pub(crate) async fn deviation_decision(&mut self, id: Id) -> Result<Option<Decision>> {
        Ok(load(&mut self.tx, id).await?.deviation.decision)
    }

    /// Whether the deviation has a decision (seen from inside the transaction).
    pub async fn deviation_is_decided(&mut self, id: Id) -> Result<bool> {
        Ok(load(&mut self.tx, id).await?.deviation.decision.is_some())
    }

    /// Raises the deviations not raised before (by cause key); returns the new ids.
    pub async fn raise_deviations(
        &mut self,
        candidates: Vec<NewDeviation>,
        raised_on: &str,
    ) -> Result<Vec<Id>> {
        let keys: Vec<String> =
            sqlx::query_scalar("SELECT cause_key FROM deviations WHERE cause_key IS NOT NULL")
                .fetch_all(&mut *self.tx)
                .await?;
        let keys: HashSet<String> = keys.into_iter().collect();
        let mut ids = Vec::new();
        let actor = self.actor().to_string();
        for d in uppsikt_domain::deviation::not_yet_raised(&keys, candidates) {
            let sql = format!(
                "INSERT INTO deviations ({RAISED_COLUMNS}) VALUES ({})",
                placeholders(1, 9)
            );
            let binds = raised_binds(&d, raised_on, &actor).to_vec();
            let id = self.insert_returning_id(&sql, binds).await?;
            self.log(
                "raise",
                ObjectKind::Deviation.log_type(),
                Some(id),
                None,
                serde_json::to_value(&d).ok(),
            )
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Writes many deviations at once, each with its decision and actions as given (bulk
    /// data such as the benchmarks' or a move from another system): each must hold the
    /// lifecycle's rules (actions only under a decision to act, a decision not to act
    /// motivated). Logged as one change; returns the new ids in order.
    pub async fn insert_deviations(&mut self, deviations: &[Deviation]) -> Result<Vec<Id>> {
        if deviations.is_empty() {
            return Ok(Vec::new());
        }
        for d in deviations {
            check_lifecycle(d)?;
        }
        let ids = self.reserve_ids("deviations", deviations.len()).await?;
        let actor = self.actor().to_string();
        for (ids, chunk) in ids.chunks(BULK_ROWS).zip(deviations.chunks(BULK_ROWS)) {
            let sql = format!(
                "INSERT INTO deviations (id, {RAISED_COLUMNS}) VALUES {}",
                value_rows(self.backend, chunk.len(), 10)
            );
            let binds = ids
                .iter()
                .zip(chunk)
                .flat_map(|(id, d)| {
                    std::iter::once(Bind::Int(*id)).chain(raised_binds(
                        &d.raised,
                        &d.raised_on,
                        &actor,
                    ))
                })
                .collect();
            self.execute(&sql, binds).await?;
        }
        let decided: Vec<(Id, &Decision)> = ids
            .iter()
            .zip(deviations)
            .filter_map(|(id, d)| Some((*id, d.decision.as_ref()?)))
            .collect();
        for chunk in decided.chunks(BULK_ROWS) {
            let sql = format!("INSERT INTO deviation_decisions (deviation_id, body, decided_on, paragraph, diary_number, act, motivation) VALUES {}", value_rows(self.backend, chunk.len(), 7));
            let binds = chunk
                .iter()
                .flat_map(|(id, d)| decision_binds(*id, d))
                .collect();
            self.execute(&sql, binds).await?;
        }
        let actions: Vec<(Id, usize, &Action)> = ids
            .iter()
            .zip(deviations)
            .flat_map(|(id, d)| d.actions.iter().enumerate().map(|(i, a)| (*id, i, a)))
            .collect();
        let (with_comments, plain): (Vec<_>, Vec<_>) =
            actions.iter().partition(|(_, _, a)| !a.comments.is_empty());
        for chunk in plain.chunks(BULK_ROWS) {
            let sql = format!(
                "INSERT INTO deviation_actions ({ACTION_COLUMNS}) VALUES {}",
                value_rows(self.backend, chunk.len(), 10)
            );
            let binds = chunk
                .iter()
                .flat_map(|(id, i, a)| action_binds(*id, *i, a))
                .collect();
            self.execute(&sql, binds).await?;
        }
        for (id, i, a) in with_comments {
            let action_id = self.insert_action(id, i, a).await?;
            for (on, text) in &a.comments {
                self.insert_action_comment(action_id, on, text).await?;
            }
        }
        let after = serde_json::json!({"deviations": ids.len(), "decisions": decided.len(), "actions": actions.len()});
        self.log("import", "deviations", None, None, Some(after))
            .await?;
        Ok(ids)
    }

    /// `n` fresh ids for rows of `table`, numbered here so that a bulk insert needs no
    /// `RETURNING` per row. PostgreSQL: drawn from the table's own sequence, so any other
    /// writer's rows get other ids; SQLite: after the largest id, which is safe because
    /// SQLite lets one transaction write at a time (another writer in between makes this
    /// one fail with "busy", not reuse an id).
    async fn reserve_ids(&mut self, table: &str, n: usize) -> Result<Vec<Id>> {
        let count = i64::try_from(n).unwrap_or(i64::MAX);
        if self.backend == crate::Backend::Postgres {
            let mut ids: Vec<Id> = sqlx::query_scalar(&format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
            ))
            .bind(count)
            .fetch_all(&mut *self.tx)
            .await?;
            ids.sort_unstable();
            return Ok(ids);
        }
        let last: Id = sqlx::query_scalar(&format!(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"
        ))
        .fetch_one(&mut *self.tx)
        .await?;
        Ok((1..=count).map(|i| last + i).collect())
    }

    async fn insert_action(&mut self, deviation_id: Id, position: usize, a: &Action) -> Result<Id> {
        let sql = format!(
            "INSERT INTO deviation_actions ({ACTION_COLUMNS}) VALUES ({})",
            placeholders(1, 10)
        );
        self.insert_returning_id(&sql, action_binds(deviation_id, position, a).to_vec())
            .await
    }

    async fn insert_action_comment(&mut self, action_id: Id, on: &str, text: &str) -> Result<()> {
        self.execute(
            "INSERT INTO deviation_action_comments (action_id, on_date, text) VALUES ($1, $2, $3)",
            vec![
                Bind::Int(action_id),
                Bind::Text(on.into()),
                Bind::Text(text.into()),
            ],
        )
        .await?;
        Ok(())
    }

    /// Records the decision on a deviation (once; a decision not to act needs a motivation).
    pub async fn decide_deviation(&mut self, id: Id, decision: &Decision) -> Result<()> {
        let mut stored = load(&mut self.tx, id).await?;
        stored
            .deviation
            .decide(decision.clone())
            .map_err(lifecycle)?;
        self.execute(
            "INSERT INTO deviation_decisions (deviation_id, body, decided_on, paragraph, diary_number, act, motivation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            decision_binds(id, decision).to_vec(),
        )
        .await?;
        self.log(
            "decide",
            ObjectKind::Deviation.log_type(),
            Some(id),
            None,
            serde_json::to_value(decision).ok(),
        )
        .await
    }

    /// Corrects the recorded decision on a deviation, with a reason: the domain's lifecycle
    /// rule (`Deviation::correct`) decides whether it may be corrected, and neither the
    /// decision's day nor the corrected one may lie within a period a board has decided
    /// (`ensure_day_unlocked`: the decided report stated it). The decision in force is
    /// replaced; the one it replaces is kept whole in `deviation_decision_corrections`
    /// with the reason, who and the day. Logged with both decisions.
    pub async fn correct_deviation_decision(
        &mut self,
        id: Id,
        corrected: &Decision,
        reason: &str,
    ) -> Result<()> {
        let mut stored = load(&mut self.tx, id).await?;
        let org = stored.deviation.raised.org_id;
        let today = crate::today();
        let actor = self.actor().to_string();
        stored
            .deviation
            .correct(corrected.clone(), reason, &actor, &today)
            .map_err(lifecycle)?;
        let Some(correction) = stored.deviation.corrections.last().cloned() else {
            return Err(corrupt("correction"));
        };
        self.ensure_day_unlocked(org, &correction.replaced.decided_on)
            .await?;
        self.ensure_day_unlocked(org, &corrected.decided_on).await?;
        let mut binds = decision_binds(id, &correction.replaced).to_vec();
        binds.extend([
            Bind::Text(correction.reason.clone()),
            Bind::Text(correction.corrected_on.clone()),
            Bind::Text(correction.corrected_by.clone()),
        ]);
        self.execute(
            "INSERT INTO deviation_decision_corrections (deviation_id, body, decided_on, paragraph, \
             diary_number, act, motivation, reason, corrected_on, corrected_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            binds,
        )
        .await?;
        let [_, body, decided_on, paragraph, diary_number, act, motivation] =
            decision_binds(id, corrected);
        self.execute(
            "UPDATE deviation_decisions SET body = $1, decided_on = $2, paragraph = $3, \
             diary_number = $4, act = $5, motivation = $6 WHERE deviation_id = $7",
            vec![
                body,
                decided_on,
                paragraph,
                diary_number,
                act,
                motivation,
                Bind::Int(id),
            ],
        )
        .await?;
        let mut after = serde_json::to_value(corrected).unwrap_or_default();
        if let Some(o) = after.as_object_mut() {
            o.insert("reason".into(), correction.reason.clone().into());
        }
        self.log(
            "correct_decision",
            ObjectKind::Deviation.log_type(),
            Some(id),
            serde_json::to_value(&correction.replaced).ok(),
            Some(after),
        )
        .await
    }

    /// For each of `ids` that exists (seen from inside the transaction): its unit and
    /// whether it has a decision. One query per chunk of ids, however many.
    pub async fn deviation_standings(&mut self, ids: &[Id]) -> Result<HashMap<Id, (Id, bool)>> {
        let rows: Vec<(i64, i64, i64)> = rows_for(
            &mut self.tx,
            "SELECT d.id, d.org_id, CAST(COUNT(dd.deviation_id) AS BIGINT) FROM deviations d \
             LEFT JOIN deviation_decisions dd ON dd.deviation_id = d.id \
             WHERE d.id IN (@IDS@) GROUP BY d.id, d.org_id",
            ids,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, org, decided)| (id, (org, decided > 0)))
            .collect())
    }

    /// Records one decision on several deviations, each through [`Writer::decide_deviation`]
    /// (the same lifecycle rule, one change-log row each). The first refusal ends it with
    /// its error; the caller's transaction then keeps none of them.
    pub async fn decide_deviations(&mut self, ids: &[Id], decision: &Decision) -> Result<()> {
        for id in ids {
            self.decide_deviation(*id, decision).await?;
        }
        Ok(())
    }

    /// Adds an action (planned) under a decision to act; returns its id.
    pub async fn add_deviation_action(&mut self, id: Id, action: &Action) -> Result<Id> {
        let mut stored = load(&mut self.tx, id).await?;
        let position = stored
            .deviation
            .add_action(action.clone())
            .map_err(lifecycle)?;
        let planned = Action {
            closed_on: None,
            ..stored.deviation.actions[position].clone()
        };
        let action_id = self.insert_action(id, position, &planned).await?;
        let after = serde_json::to_value(&stored.deviation.actions[position]).ok();
        self.log(
            "create",
            ObjectKind::DeviationAction.log_type(),
            Some(action_id),
            None,
            after,
        )
        .await?;
        Ok(action_id)
    }

    /// Moves an action on (planned → in progress → done, or cancelled), with a comment.
    pub async fn advance_deviation_action(
        &mut self,
        action_id: Id,
        next: ActionState,
        on: &str,
        comment: &str,
    ) -> Result<()> {
        let deviation_id: Option<i64> =
            sqlx::query_scalar("SELECT deviation_id FROM deviation_actions WHERE id = $1")
                .bind(action_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let deviation_id =
            deviation_id.ok_or_else(|| StoreError::not_found("deviation_action", action_id))?;
        let mut stored = load(&mut self.tx, deviation_id).await?;
        let index = stored
            .action_ids
            .iter()
            .position(|a| *a == action_id)
            .ok_or_else(|| StoreError::not_found("deviation_action", action_id))?;
        let before = stored.deviation.actions[index].state;
        stored
            .deviation
            .advance(index, next, on, comment)
            .map_err(lifecycle)?;
        self.execute(
            "UPDATE deviation_actions SET state = $1, closed_on = $2 WHERE id = $3",
            vec![
                Bind::Text(next.code().into()),
                Bind::OptText(stored.deviation.actions[index].closed_on.clone()),
                Bind::Int(action_id),
            ],
        )
        .await?;
        self.insert_action_comment(action_id, on, comment.trim())
            .await?;
        self.log(
            "advance",
            ObjectKind::DeviationAction.log_type(),
            Some(action_id),
            Some(serde_json::json!({ "state": before.code() })),
            Some(serde_json::json!({ "state": next.code(), "on": on, "comment": comment.trim() })),
        )
        .await
    }
}
