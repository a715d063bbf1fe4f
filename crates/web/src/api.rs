//! The read-only JSON API under `/api/v1/`, described by `openapi.json`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use uppsikt_domain::model::{Assessment, Id};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::Period;

use uppsikt_report::followup::{self, AssessmentView};

use crate::error::{period_param, ApiError, Path, Query};
use crate::pages::PeriodQuery;
use crate::AppState;

const OPENAPI: &str = include_str!("../openapi.json");

type ApiResult = Result<Json<Value>, ApiError>;

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

fn period(q: &PeriodQuery) -> Result<Option<Period>, ApiError> {
    Ok(period_param(q.period.as_deref())?)
}

fn assessment_json(a: &Option<Assessment>) -> Value {
    match a {
        None => Value::Null,
        Some(a) => json!({
            "level": a.level, "period": a.period.to_string(), "stage": a.stage,
            "motivation": a.motivation, "author": a.author, "date": a.date,
        }),
    }
}

fn assessments_json(v: &AssessmentView) -> Value {
    json!({
        "decided": assessment_json(&v.decided),
        "proposed": assessment_json(&v.proposed),
        "system": v.system.as_ref().map(|p| json!({ "level": p.level, "share": p.share })),
        "basis": v.basis,
    })
}

fn to_value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

pub async fn org_units(State(state): State<AppState>) -> ApiResult {
    let units = state.store.org_units().await?;
    Ok(Json(json!({ "org_units": to_value(&units) })))
}

pub async fn goals_of_org(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let v = followup::board(&state.store, id, period(&q)?, &Audience::SignedIn).await?;
    let goals: Vec<Value> = v
        .sections
        .iter()
        .flat_map(|s| s.goals.iter())
        .map(|g| {
            json!({
                "id": g.goal.id, "key": g.goal.key, "title": g.goal.title, "kind": g.goal.kind,
                "parent_id": g.goal.parent_id, "assessment": assessments_json(&g.assessment),
            })
        })
        .collect();
    let parents: Vec<Value> = v
        .sections
        .iter()
        .filter_map(|s| s.parent.as_ref())
        .map(|p| json!({ "id": p.goal.id, "title": p.goal.title, "assessment": assessments_json(&p.assessment) }))
        .collect();
    Ok(Json(json!({
        "org_unit": to_value(&v.org),
        "period": v.period.to_string(),
        "overall": assessments_json(&v.overall),
        "parent_goals": parents,
        "goals": goals,
    })))
}

pub async fn goal(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let v = followup::goal(&state.store, id, period(&q)?, &Audience::SignedIn).await?;
    let records = state
        .store
        .indicator_records(uppsikt_store::Scope::GoalTree(id))
        .await?;
    let indicators: Vec<Value> = records
        .iter()
        .filter(|r| r.indicator.goal_id == id)
        .map(|r| json!({ "id": r.indicator.id, "key": r.indicator.key, "name": r.indicator.name, "unit": r.indicator.unit, "evaluation": to_value(&r.evaluate(v.period)) }))
        .collect();
    Ok(Json(json!({
        "goal": to_value(&v.goal),
        "org_unit": to_value(&v.org),
        "period": v.period.to_string(),
        "priorities": v.priorities,
        "analysis": v.analysis,
        "assessment": assessments_json(&v.assessment),
        "assessments": v.history.iter().map(|(a, unit)| json!({"unit": unit, "assessment": to_value(a)})).collect::<Vec<_>>(),
        "children": v.children.iter().map(|c| json!({"id": c.goal.id, "title": c.goal.title, "assessment": assessments_json(&c.assessment)})).collect::<Vec<_>>(),
        "indicators": indicators,
        "commitments": v.commitments.iter().map(|c| json!({"id": c.commitment.id, "title": c.commitment.title, "year": c.commitment.year, "status": c.status, "comment": c.comment, "history": to_value(&c.commitment.statuses)})).collect::<Vec<_>>(),
    })))
}

pub async fn indicator(State(state): State<AppState>, Path(id): Path<Id>) -> ApiResult {
    let r = state.store.indicator_record(id).await?;
    let mut years: Vec<i32> = r
        .outcomes
        .iter()
        .filter(|o| matches!(o.period, Period::Year(_)))
        .map(|o| o.period.year())
        .collect();
    years.extend(r.milestones.iter().map(|m| m.0));
    years.sort();
    years.dedup();
    let evaluations: Vec<Value> = years
        .iter()
        .map(|y| to_value(&r.evaluate(Period::Year(*y))))
        .collect();
    Ok(Json(json!({
        "indicator": to_value(&r.indicator),
        "outcomes": to_value(&r.outcomes),
        "milestones": r.milestones.iter().map(|(y, t)| json!({"year": y, "target": t.to_string()})).collect::<Vec<_>>(),
        "targets": r.targets.iter().map(|(y, t)| json!({"year": y, "target": t.to_string()})).collect::<Vec<_>>(),
        "comparisons": to_value(&r.comparisons),
        "gaps": to_value(&r.gaps),
        "evaluations": evaluations,
        "source_attribution": r.kolada.then_some(uppsikt_domain::kolada::ATTRIBUTION),
    })))
}
