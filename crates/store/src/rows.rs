//! Row types as stored, and their conversion into domain types.

use sqlx::FromRow;
use uppsikt_domain::indicator::TrendWindow;
use uppsikt_domain::model::{
    Analysis, Assessment, Comparison, GapJudgement, GapKind, Goal, GoalKind, Indicator, OrgKind,
    OrgUnit, OutcomeComment, PeriodReview, Stage, StatusEntry,
};
use uppsikt_domain::uncertainty::MarginBasis;
use uppsikt_domain::{Breakdown, CommitmentStatus, Direction, Frequency, Outcome, Period, Target};

use crate::StoreError;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

pub(crate) fn period(s: &str) -> Result<Period, StoreError> {
    Period::parse(s).map_err(|_| corrupt("period", s))
}

pub(crate) fn target(s: &str) -> Result<Target, StoreError> {
    Target::parse(s).map_err(|_| corrupt("target", s))
}

#[derive(FromRow)]
pub(crate) struct OrgUnitRow {
    id: i64,
    key: String,
    name: String,
    short_name: String,
    kind: String,
    parent_id: Option<i64>,
    position: i64,
}

impl TryFrom<OrgUnitRow> for OrgUnit {
    type Error = StoreError;
    fn try_from(r: OrgUnitRow) -> Result<Self, StoreError> {
        Ok(OrgUnit {
            kind: OrgKind::parse(&r.kind).ok_or_else(|| corrupt("org kind", &r.kind))?,
            id: r.id,
            key: r.key,
            name: r.name,
            short_name: r.short_name,
            parent_id: r.parent_id,
            position: r.position,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct GoalRow {
    id: i64,
    key: String,
    org_id: i64,
    parent_id: Option<i64>,
    title: String,
    description: String,
    kind: String,
    position: i64,
}

impl TryFrom<GoalRow> for Goal {
    type Error = StoreError;
    fn try_from(r: GoalRow) -> Result<Self, StoreError> {
        Ok(Goal {
            kind: GoalKind::parse(&r.kind).ok_or_else(|| corrupt("goal kind", &r.kind))?,
            id: r.id,
            key: r.key,
            org_id: r.org_id,
            parent_id: r.parent_id,
            title: r.title,
            description: r.description,
            position: r.position,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct IndicatorRow {
    id: i64,
    key: String,
    goal_id: i64,
    name: String,
    unit: String,
    direction: String,
    source: String,
    kolada_kpi: String,
    decimals: i64,
    frequency: String,
    position: i64,
    margin_basis: String,
    trend_window: String,
}

/// The columns an [`IndicatorRow`] reads, unqualified (`i.` is prefixed where joined).
pub(crate) const INDICATOR_COLUMNS: [&str; 13] = [
    "id",
    "key",
    "goal_id",
    "name",
    "unit",
    "direction",
    "source",
    "kolada_kpi",
    "decimals",
    "frequency",
    "position",
    "margin_basis",
    "trend_window",
];

/// The indicator columns as a select list, each prefixed by `alias.` when one is given.
pub(crate) fn indicator_columns(alias: &str) -> String {
    INDICATOR_COLUMNS
        .iter()
        .map(|c| {
            if alias.is_empty() {
                (*c).to_string()
            } else {
                format!("{alias}.{c}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl TryFrom<IndicatorRow> for Indicator {
    type Error = StoreError;
    fn try_from(r: IndicatorRow) -> Result<Self, StoreError> {
        Ok(Indicator {
            direction: Direction::parse(&r.direction)
                .ok_or_else(|| corrupt("direction", &r.direction))?,
            decimals: u8::try_from(r.decimals)
                .map_err(|_| corrupt("decimals", &r.decimals.to_string()))?,
            id: r.id,
            key: r.key,
            goal_id: r.goal_id,
            name: r.name,
            unit: r.unit,
            source: r.source,
            kolada_kpi: r.kolada_kpi,
            frequency: Frequency::parse(&r.frequency)
                .ok_or_else(|| corrupt("frequency", &r.frequency))?,
            position: r.position,
            margin_basis: if r.margin_basis.trim().is_empty() {
                None
            } else {
                Some(
                    MarginBasis::parse(&r.margin_basis)
                        .ok_or_else(|| corrupt("margin basis", &r.margin_basis))?,
                )
            },
            trend_window: TrendWindow::parse(&r.trend_window)
                .ok_or_else(|| corrupt("trend window", &r.trend_window))?,
        })
    }
}

/// Unpacks the text of `packed_outcomes_sql`: one outcome per line,
/// `period|breakdown|value|margin|sample_size`.
pub(crate) fn unpack_outcomes(text: &str) -> Result<Vec<Outcome>, StoreError> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.split('|');
            let mut next = || parts.next().unwrap_or("");
            let (p, b, v, m, n) = (next(), next(), next(), next(), next());
            let number = |s: &str| s.parse::<f64>().map_err(|_| corrupt("outcome value", line));
            Ok(Outcome {
                period: period(p)?,
                breakdown: Breakdown::parse(b).map_err(|_| corrupt("breakdown", b))?,
                value: number(v)?,
                margin: if m.is_empty() { None } else { Some(number(m)?) },
                sample_size: if n.is_empty() {
                    None
                } else {
                    Some(n.parse().map_err(|_| corrupt("sample size", n))?)
                },
            })
        })
        .collect()
}

/// Unpacks `year|target` lines.
pub(crate) fn unpack_year_targets(text: &str) -> Result<Vec<(i32, Target)>, StoreError> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (year, t) = line
                .split_once('|')
                .ok_or_else(|| corrupt("year target", line))?;
            let year = year.parse::<i32>().map_err(|_| corrupt("year", year))?;
            Ok((year, target(t)?))
        })
        .collect()
}

#[derive(FromRow)]
pub(crate) struct ComparisonRow {
    pub indicator_id: i64,
    period: String,
    group_name: String,
    rank: Option<i64>,
    of_count: Option<i64>,
    average: Option<f64>,
}

impl TryFrom<ComparisonRow> for Comparison {
    type Error = StoreError;
    fn try_from(r: ComparisonRow) -> Result<Self, StoreError> {
        Ok(Comparison {
            period: period(&r.period)?,
            group: r.group_name,
            rank: r.rank,
            of: r.of_count,
            average: r.average,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct GapRow {
    pub indicator_id: i64,
    period: String,
    kind: String,
    unjustified: i64,
    comment: String,
}

impl TryFrom<GapRow> for GapJudgement {
    type Error = StoreError;
    fn try_from(r: GapRow) -> Result<Self, StoreError> {
        Ok(GapJudgement {
            period: period(&r.period)?,
            kind: GapKind::parse(&r.kind).ok_or_else(|| corrupt("gap kind", &r.kind))?,
            unjustified: r.unjustified != 0,
            comment: r.comment,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct PeriodTextRow {
    pub owner_id: i64,
    pub period: String,
    pub text: String,
}

impl PeriodTextRow {
    pub fn analysis(&self) -> Result<Analysis, StoreError> {
        Ok(Analysis {
            period: period(&self.period)?,
            text: self.text.clone(),
        })
    }

    pub fn comment(&self) -> Result<OutcomeComment, StoreError> {
        Ok(OutcomeComment {
            period: period(&self.period)?,
            text: self.text.clone(),
        })
    }
}

#[derive(FromRow)]
pub(crate) struct CommitmentRow {
    pub id: i64,
    pub key: String,
    pub goal_id: i64,
    pub title: String,
    pub description: String,
    pub year: i64,
    pub carried_over_from_id: Option<i64>,
    pub position: i64,
}

#[derive(FromRow)]
pub(crate) struct StatusRow {
    pub id: i64,
    pub commitment_id: i64,
    date: String,
    status: String,
    comment: String,
}

impl TryFrom<StatusRow> for StatusEntry {
    type Error = StoreError;
    fn try_from(r: StatusRow) -> Result<Self, StoreError> {
        Ok(StatusEntry {
            id: r.id,
            status: CommitmentStatus::parse(&r.status)
                .ok_or_else(|| corrupt("commitment status", &r.status))?,
            date: r.date,
            comment: r.comment,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct AssessmentRow {
    id: i64,
    org_id: i64,
    goal_id: Option<i64>,
    period: String,
    stage: String,
    level: String,
    motivation: String,
    author: String,
    date: String,
}

impl TryFrom<AssessmentRow> for Assessment {
    type Error = StoreError;
    fn try_from(r: AssessmentRow) -> Result<Self, StoreError> {
        Ok(Assessment {
            period: period(&r.period)?,
            stage: Stage::parse(&r.stage).ok_or_else(|| corrupt("stage", &r.stage))?,
            id: r.id,
            org_id: r.org_id,
            goal_id: r.goal_id,
            level: r.level,
            motivation: r.motivation,
            author: r.author,
            date: r.date,
        })
    }
}

pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// One unit's review of one period, read through the pool or a writer's transaction.
pub(crate) async fn fetch_period_review<'e, E>(
    executor: E,
    org_id: i64,
    period: &str,
) -> Result<Option<PeriodReview>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<PeriodReviewRow> = sqlx::query_as(
        "SELECT org_id, period, events, improvement_areas \
         FROM period_reviews WHERE org_id = $1 AND period = $2",
    )
    .bind(org_id)
    .bind(period.to_string())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(PeriodReviewRow::review).transpose()
}

#[derive(FromRow)]
pub(crate) struct PeriodReviewRow {
    pub org_id: i64,
    pub period: String,
    pub events: String,
    pub improvement_areas: String,
}

impl PeriodReviewRow {
    pub fn review(&self) -> Result<PeriodReview, StoreError> {
        let items = |what: &str, json: &str| {
            serde_json::from_str::<Vec<String>>(json).map_err(|_| corrupt(what, json))
        };
        Ok(PeriodReview {
            org_id: self.org_id,
            period: period(&self.period)?,
            events: items("events", &self.events)?,
            improvement_areas: items("improvement_areas", &self.improvement_areas)?,
        })
    }
}
