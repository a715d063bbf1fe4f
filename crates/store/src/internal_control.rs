//! Internal control (intern kontroll): a board's plan per year with its risks, actions,
//! controls and their occurrences, and the versions of the risk matrix. Reads load every
//! row of the selected plans table by table (a constant number of queries however many
//! plans) and assemble the domain's [`ControlPlan`]s here. Writes are [`Writer`] methods:
//! each applies the domain's rule before it writes (an execution's check, verifying only
//! what is done, an amendment's reason, a matrix fixed once a risk is scored …), is
//! refused for a year a decision locked (`ensure_unlocked` for the plan's unit and year),
//! and logs its change. Recording findings raises their deviation in the same
//! transaction, once (by cause key).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::FromRow;
use uppsikt_domain::internal_control::{
    carry_over, findings_cause_key, findings_deviation, missed_cause_key, unfinished_cause_key,
    ActionSource, ActionStatus, Adoption, Amendment, Blocker, ContractFollowUp, Control,
    ControlKind, ControlPlan, ControlResult, Discontinuation, Execution, FirstDocumented, Handling,
    IcAction, IcRefusal, MatrixError, Occurrence, OverallAssessment, Risk, RiskAnalysis,
    RiskMatrix, RiskScore, Verification,
};
use uppsikt_domain::model::{Id, OrgKind};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;

use crate::sql::{placeholders, rows_for};
use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// The change-log type of a control occurrence's recorded execution (logged under the
/// occurrence's id; part of its control's history).
pub const OCCURRENCE_LOG_TYPE: &str = "ic_occurrence";
/// The change-log type of an action's amendment (logged under the action's id).
pub const AMENDMENT_LOG_TYPE: &str = "ic_amendment";
/// The change-log type of a saved risk matrix version.
pub const MATRIX_LOG_TYPE: &str = "risk_matrix";

/// A new plan for a unit and year (its adoption, risk analysis and assessments are set
/// later with [`Writer::update_control_plan`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewControlPlan {
    pub org_id: Id,
    pub year: i32,
    /// The rule book, e.g. "HKF 9410".
    pub rule_ref: String,
    /// E.g. "KL 6:6".
    pub legal_basis: String,
}

/// A plan's own fields besides its unit, year, matrix and items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlanHeader {
    /// The rule book, e.g. "HKF 9410".
    pub rule_ref: String,
    /// E.g. "KL 6:6".
    pub legal_basis: String,
    pub adoption: Option<Adoption>,
    pub risk_analysis: Option<RiskAnalysis>,
    pub self_assessment: Option<OverallAssessment>,
    pub auditor_assessment: Option<OverallAssessment>,
}

impl PlanHeader {
    /// The header of a stored plan.
    pub fn of(plan: &ControlPlan) -> PlanHeader {
        PlanHeader {
            rule_ref: plan.rule_ref.clone(),
            legal_basis: plan.legal_basis.clone(),
            adoption: plan.adoption.clone(),
            risk_analysis: plan.risk_analysis.clone(),
            self_assessment: plan.self_assessment.clone(),
            auditor_assessment: plan.auditor_assessment.clone(),
        }
    }
}

/// A risk's fields as people enter them. Scores need the plan's matrix and must lie
/// inside it; accepting needs a motivation ([`Writer::score_risk`] sets the scores alone).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RiskInput {
    /// The plan's label, e.g. "RK01", unique in the plan; empty: the next free "RKnn"
    /// (on update: kept).
    pub key: String,
    pub area: String,
    pub text: String,
    /// The seed's "Bakgrund".
    pub background: String,
    pub first_documented: Option<FirstDocumented>,
    /// Marked common to every board's plan (in KS's plan).
    pub common: bool,
    /// Before the actions and controls; `None`: not assessed.
    pub gross: Option<RiskScore>,
    pub net: Option<RiskScore>,
    pub handling: Option<Handling>,
}

/// A new action in a plan (not done; its status, comment and verification are set by
/// their own writes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionInput {
    /// E.g. "R07" or "AA10", unique in the plan; empty: the next free "Rnn".
    pub key: String,
    pub text: String,
    pub responsible: String,
    /// What it serves: risks of the same plan, recommendations, deviations.
    pub sources: Vec<ActionSource>,
    pub blocked_by: Option<Blocker>,
}

/// A control's fields with its planned occurrences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlInput {
    /// E.g. "C03" or "U01", unique in the plan; empty: the next free "Cnn" ("Unn" for a
    /// contract follow-up; on update: kept).
    pub key: String,
    pub kind: ControlKind,
    pub area: String,
    pub name: String,
    pub purpose: String,
    pub method: String,
    pub frequency: String,
    pub sample: String,
    pub planned_parameters: String,
    pub responsible: String,
    /// ISO date it is to be done by.
    pub due: String,
    pub origin: String,
    pub comment: String,
    pub common: bool,
    /// The planned occurrences' dates (ISO), in order: a monthly control has twelve. On
    /// update, empty keeps the occurrences as they are; otherwise occurrence n keeps what
    /// was recorded for it and gets the n-th date, and occurrences beyond the new count
    /// are removed unless something was recorded for them.
    pub planned_dates: Vec<String>,
}

/// What [`Writer::push_common_items`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushedCommon {
    /// Each board's plan of the year with how many items were copied into it now (0: it
    /// had them all).
    pub copied: Vec<(Id, usize)>,
    /// The boards (units) without a plan for the year: nothing was copied for them.
    pub without_plan: Vec<Id>,
}

impl PushedCommon {
    /// Items copied in all.
    pub fn total(&self) -> usize {
        self.copied.iter().map(|(_, n)| n).sum()
    }
}

/// What [`Writer::carry_over_control_plan`] did: (last year's id, the new year's id) of
/// each item carried now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CarriedOver {
    /// Next year's plan.
    pub plan_id: Id,
    /// Whether next year's plan was created by this carry-over.
    pub created: bool,
    pub risks: Vec<(Id, Id)>,
    pub actions: Vec<(Id, Id)>,
    pub controls: Vec<(Id, Id)>,
}

// --- rows -------------------------------------------------------------------------------

const PLAN_COLUMNS: &str = "id, org_id, year, rule_ref, legal_basis, matrix_id, \
     adoption_body, adoption_decided_on, adoption_paragraph, adoption_diary_number, \
     risk_analysis_held_on, risk_analysis_participants, risk_analysis_elected_members, \
     self_level, self_motivation, self_source, auditor_level, auditor_motivation, auditor_source";

#[derive(FromRow)]
struct PlanRow {
    id: i64,
    org_id: i64,
    year: i64,
    rule_ref: String,
    legal_basis: String,
    matrix_id: Option<i64>,
    adoption_body: Option<String>,
    adoption_decided_on: Option<String>,
    adoption_paragraph: Option<String>,
    adoption_diary_number: Option<String>,
    risk_analysis_held_on: Option<String>,
    risk_analysis_participants: Option<String>,
    risk_analysis_elected_members: Option<i64>,
    self_level: Option<String>,
    self_motivation: Option<String>,
    self_source: Option<String>,
    auditor_level: Option<String>,
    auditor_motivation: Option<String>,
    auditor_source: Option<String>,
}

#[derive(FromRow)]
struct MatrixRow {
    id: i64,
    name: String,
    version: i64,
    probability: String,
    consequence: String,
}

const RISK_COLUMNS: &str = "id, plan_id, key, area, text, background, first_documented, \
     carried_from_id, common_from_id, common, gross_probability, gross_consequence, \
     net_probability, net_consequence, handling, handling_motivation";

#[derive(FromRow)]
struct RiskRow {
    id: i64,
    plan_id: i64,
    key: String,
    area: String,
    text: String,
    background: String,
    first_documented: Option<String>,
    carried_from_id: Option<i64>,
    common_from_id: Option<i64>,
    common: i64,
    gross_probability: Option<i64>,
    gross_consequence: Option<i64>,
    net_probability: Option<i64>,
    net_consequence: Option<i64>,
    handling: Option<String>,
    handling_motivation: String,
}

const ACTION_COLUMNS: &str = "id, plan_id, key, text, responsible, status, done_on, comment, \
     blocked_by_action_id, blocked_by_text, verified_by, verified_how, verified_on, carried_from_id";

#[derive(FromRow)]
struct ActionRow {
    id: i64,
    plan_id: i64,
    key: String,
    text: String,
    responsible: String,
    status: String,
    done_on: Option<String>,
    comment: String,
    blocked_by_action_id: Option<i64>,
    blocked_by_text: Option<String>,
    verified_by: Option<String>,
    verified_how: Option<String>,
    verified_on: Option<String>,
    carried_from_id: Option<i64>,
}

#[derive(FromRow)]
struct SourceRow {
    action_id: i64,
    risk_id: Option<i64>,
    case_ref: Option<String>,
    title: Option<String>,
    deviation_id: Option<i64>,
}

#[derive(FromRow)]
struct AmendmentRow {
    action_id: i64,
    on_date: String,
    previous_text: String,
    new_text: String,
    reason: String,
    amended_by: String,
}

const CONTROL_COLUMNS: &str = "id, plan_id, key, kind, follow_up_kind, schedule, \
     follow_up_interval, recipients, area, name, purpose, method, frequency, sample, \
     planned_parameters, responsible, due, origin, comment, carried_from_id, common_from_id, \
     common, discontinued_on, discontinued_by, discontinued_reason";

#[derive(FromRow)]
struct ControlRow {
    id: i64,
    plan_id: i64,
    key: String,
    kind: String,
    follow_up_kind: String,
    schedule: String,
    follow_up_interval: String,
    recipients: String,
    area: String,
    name: String,
    purpose: String,
    method: String,
    frequency: String,
    sample: String,
    planned_parameters: String,
    responsible: String,
    due: String,
    origin: String,
    comment: String,
    carried_from_id: Option<i64>,
    common_from_id: Option<i64>,
    common: i64,
    discontinued_on: Option<String>,
    discontinued_by: Option<String>,
    discontinued_reason: Option<String>,
}

#[derive(FromRow)]
struct OccurrenceRow {
    id: i64,
    control_id: i64,
    seq: i64,
    planned_on: String,
    state: Option<String>,
    performed_on: Option<String>,
    parameters_used: Option<String>,
    result: Option<String>,
    findings: Option<String>,
    not_performed_reason: Option<String>,
    recorded_by: Option<String>,
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("internal control {what} {value:?}"))
}

fn refused(r: IcRefusal) -> StoreError {
    StoreError::InternalControl(r)
}

fn matrix_from(r: MatrixRow) -> Result<RiskMatrix> {
    let labels =
        |s: &str| serde_json::from_str::<Vec<String>>(s).map_err(|_| corrupt("matrix labels", s));
    Ok(RiskMatrix {
        id: r.id,
        probability: labels(&r.probability)?,
        consequence: labels(&r.consequence)?,
        name: r.name,
        version: r.version,
    })
}

fn score_from(p: Option<i64>, c: Option<i64>) -> Result<Option<RiskScore>> {
    match (p, c) {
        (Some(p), Some(c)) => Ok(Some(RiskScore {
            probability: u8::try_from(p).map_err(|_| corrupt("score", p))?,
            consequence: u8::try_from(c).map_err(|_| corrupt("score", c))?,
        })),
        _ => Ok(None),
    }
}

fn handling_from(code: Option<&str>, motivation: &str) -> Result<Option<Handling>> {
    Ok(match code {
        None => None,
        Some("action") => Some(Handling::Action),
        Some("control") => Some(Handling::Control),
        Some("accept") => Some(Handling::Accept {
            motivation: motivation.to_string(),
        }),
        Some(other) => return Err(corrupt("handling", other)),
    })
}

fn risk_from(r: RiskRow) -> Result<Risk> {
    let first_documented = match &r.first_documented {
        Some(code) => {
            Some(FirstDocumented::parse(code).ok_or_else(|| corrupt("first documented", code))?)
        }
        None => None,
    };
    Ok(Risk {
        id: r.id,
        plan_id: r.plan_id,
        key: r.key,
        area: r.area,
        text: r.text,
        background: r.background,
        first_documented,
        carried_from: r.carried_from_id,
        common_from: r.common_from_id,
        common: r.common != 0,
        gross: score_from(r.gross_probability, r.gross_consequence)?,
        net: score_from(r.net_probability, r.net_consequence)?,
        handling: handling_from(r.handling.as_deref(), &r.handling_motivation)?,
    })
}

fn action_from(
    r: ActionRow,
    sources: Vec<ActionSource>,
    amendments: Vec<Amendment>,
) -> Result<IcAction> {
    let blocked_by = match (r.blocked_by_action_id, r.blocked_by_text) {
        (Some(id), _) => Some(Blocker::Action(id)),
        (None, Some(text)) => Some(Blocker::Other(text)),
        (None, None) => None,
    };
    let verification = match (r.verified_by, r.verified_how, r.verified_on) {
        (Some(by), Some(how), Some(on)) => Some(Verification { by, how, on }),
        _ => None,
    };
    Ok(IcAction {
        status: ActionStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
        id: r.id,
        plan_id: r.plan_id,
        key: r.key,
        text: r.text,
        responsible: r.responsible,
        done_on: r.done_on,
        comment: r.comment,
        blocked_by,
        sources,
        verification,
        amendments,
        carried_from: r.carried_from_id,
    })
}

fn source_from(r: SourceRow) -> Result<ActionSource> {
    match (r.risk_id, r.case_ref, r.deviation_id) {
        (Some(risk_id), None, None) => Ok(ActionSource::Risk { risk_id }),
        (None, Some(case_ref), None) => Ok(ActionSource::Recommendation {
            case_ref,
            title: r.title.unwrap_or_default(),
        }),
        (None, None, Some(deviation_id)) => Ok(ActionSource::Deviation { deviation_id }),
        _ => Err(corrupt("action source of", r.action_id)),
    }
}

fn execution_from(r: &OccurrenceRow) -> Result<Option<Execution>> {
    Ok(match r.state.as_deref() {
        None => None,
        Some("performed") => {
            let result = r.result.as_deref().unwrap_or_default();
            Some(Execution::Performed {
                performed_on: r.performed_on.clone().unwrap_or_default(),
                parameters_used: r.parameters_used.clone().unwrap_or_default(),
                result: ControlResult::parse(result).ok_or_else(|| corrupt("result", result))?,
                findings: r.findings.clone().unwrap_or_default(),
            })
        }
        Some("not_performed") => Some(Execution::NotPerformed {
            reason: r.not_performed_reason.clone().unwrap_or_default(),
        }),
        Some(other) => return Err(corrupt("occurrence state", other)),
    })
}

fn control_from(r: ControlRow, occurrences: Vec<Occurrence>) -> Result<Control> {
    let kind = match r.kind.as_str() {
        "systematic" => ControlKind::Systematic,
        "contract_follow_up" => ControlKind::ContractFollowUp(ContractFollowUp {
            follow_up_kind: r.follow_up_kind,
            schedule: r.schedule,
            interval: r.follow_up_interval,
            recipients: r.recipients,
        }),
        other => return Err(corrupt("control kind", other)),
    };
    let discontinued = match (r.discontinued_on, r.discontinued_by, r.discontinued_reason) {
        (Some(on), by, reason) => Some(Discontinuation {
            on,
            decided_by: by.unwrap_or_default(),
            reason: reason.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Control {
        id: r.id,
        plan_id: r.plan_id,
        key: r.key,
        kind,
        area: r.area,
        name: r.name,
        purpose: r.purpose,
        method: r.method,
        frequency: r.frequency,
        sample: r.sample,
        planned_parameters: r.planned_parameters,
        responsible: r.responsible,
        due: r.due,
        origin: r.origin,
        comment: r.comment,
        carried_from: r.carried_from_id,
        common_from: r.common_from_id,
        common: r.common != 0,
        discontinued,
        occurrences,
    })
}

fn plan_from(r: PlanRow, matrix: Option<RiskMatrix>) -> Result<ControlPlan> {
    let adoption = r.adoption_body.map(|body| Adoption {
        body,
        decided_on: r.adoption_decided_on.unwrap_or_default(),
        paragraph: r.adoption_paragraph.unwrap_or_default(),
        diary_number: r.adoption_diary_number.unwrap_or_default(),
    });
    let risk_analysis = r.risk_analysis_elected_members.map(|elected| RiskAnalysis {
        held_on: r.risk_analysis_held_on,
        participants: r.risk_analysis_participants.unwrap_or_default(),
        elected_members_took_part: elected != 0,
    });
    let assessment = |level: Option<String>, motivation: Option<String>, source: Option<String>| {
        level.map(|level| OverallAssessment {
            level,
            motivation: motivation.unwrap_or_default(),
            source: source.unwrap_or_default(),
        })
    };
    Ok(ControlPlan {
        id: r.id,
        org_id: r.org_id,
        year: i32::try_from(r.year).map_err(|_| corrupt("plan year", r.year))?,
        rule_ref: r.rule_ref,
        legal_basis: r.legal_basis,
        adoption,
        risk_analysis,
        self_assessment: assessment(r.self_level, r.self_motivation, r.self_source),
        auditor_assessment: assessment(r.auditor_level, r.auditor_motivation, r.auditor_source),
        matrix,
        risks: Vec::new(),
        actions: Vec::new(),
        controls: Vec::new(),
    })
}

/// Which plans to load.
enum Which {
    One(Id),
    OrgYear(Id, i32),
    /// Every plan, or those of one year.
    Year(Option<i32>),
}

/// Every matrix version, oldest first per name.
async fn load_matrices(conn: &mut sqlx::AnyConnection) -> Result<Vec<RiskMatrix>> {
    let rows: Vec<MatrixRow> = sqlx::query_as(
        "SELECT id, name, version, probability, consequence FROM risk_matrices ORDER BY name, version",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(matrix_from).collect()
}

/// The selected plans, whole, ordered by year and unit: nine queries however many (one
/// per table, in chunks of ids).
/// The selected plans without their items (their own row and matrix version): one or
/// two queries.
async fn load_heads(conn: &mut sqlx::AnyConnection, which: Which) -> Result<Vec<ControlPlan>> {
    let select = format!("SELECT {PLAN_COLUMNS} FROM control_plans");
    let rows: Vec<PlanRow> = match which {
        Which::One(id) => {
            sqlx::query_as(&format!("{select} WHERE id = $1"))
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
        Which::OrgYear(org, year) => {
            sqlx::query_as(&format!("{select} WHERE org_id = $1 AND year = $2"))
                .bind(org)
                .bind(i64::from(year))
                .fetch_all(&mut *conn)
                .await?
        }
        Which::Year(year) => {
            sqlx::query_as(&format!(
                "{select} WHERE $1 < 0 OR year = $1 ORDER BY year, org_id"
            ))
            .bind(year.map_or(-1, i64::from))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let matrices: HashMap<Id, RiskMatrix> = if rows.iter().any(|r| r.matrix_id.is_some()) {
        load_matrices(conn)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect()
    } else {
        HashMap::new()
    };
    rows.into_iter()
        .map(|r| {
            let matrix = match r.matrix_id {
                Some(m) => Some(
                    matrices
                        .get(&m)
                        .cloned()
                        .ok_or_else(|| corrupt("matrix", m))?,
                ),
                None => None,
            };
            plan_from(r, matrix)
        })
        .collect()
}

/// The selected plans, whole, ordered by year and unit: nine queries however many (one
/// per table, in chunks of ids).
async fn load_plans(conn: &mut sqlx::AnyConnection, which: Which) -> Result<Vec<ControlPlan>> {
    let mut plans = load_heads(conn, which).await?;
    if plans.is_empty() {
        return Ok(plans);
    }
    let ids: Vec<Id> = plans.iter().map(|p| p.id).collect();
    let risks: Vec<RiskRow> = rows_for(
        conn,
        &format!(
            "SELECT {RISK_COLUMNS} FROM ic_risks WHERE plan_id IN (@IDS@) ORDER BY plan_id, position, id"
        ),
        &ids,
    )
    .await?;
    let actions: Vec<ActionRow> = rows_for(
        conn,
        &format!(
            "SELECT {ACTION_COLUMNS} FROM ic_actions WHERE plan_id IN (@IDS@) ORDER BY plan_id, position, id"
        ),
        &ids,
    )
    .await?;
    let sources: Vec<SourceRow> = rows_for(
        conn,
        "SELECT s.action_id, s.risk_id, s.case_ref, s.title, s.deviation_id FROM ic_action_sources s \
         JOIN ic_actions a ON a.id = s.action_id WHERE a.plan_id IN (@IDS@) ORDER BY s.action_id, s.position, s.id",
        &ids,
    )
    .await?;
    let amendments: Vec<AmendmentRow> = rows_for(
        conn,
        "SELECT m.action_id, m.on_date, m.previous_text, m.new_text, m.reason, m.amended_by \
         FROM ic_action_amendments m JOIN ic_actions a ON a.id = m.action_id \
         WHERE a.plan_id IN (@IDS@) ORDER BY m.action_id, m.id",
        &ids,
    )
    .await?;
    let controls: Vec<ControlRow> = rows_for(
        conn,
        &format!(
            "SELECT {CONTROL_COLUMNS} FROM ic_controls WHERE plan_id IN (@IDS@) ORDER BY plan_id, position, id"
        ),
        &ids,
    )
    .await?;
    let occurrences: Vec<OccurrenceRow> = rows_for(
        conn,
        "SELECT o.id, o.control_id, o.seq, o.planned_on, o.state, o.performed_on, o.parameters_used, \
         o.result, o.findings, o.not_performed_reason, o.recorded_by \
         FROM ic_occurrences o JOIN ic_controls c ON c.id = o.control_id \
         WHERE c.plan_id IN (@IDS@) ORDER BY o.control_id, o.seq",
        &ids,
    )
    .await?;

    let mut sources_of: HashMap<Id, Vec<ActionSource>> = HashMap::new();
    for s in sources {
        let action = s.action_id;
        sources_of.entry(action).or_default().push(source_from(s)?);
    }
    let mut amendments_of: HashMap<Id, Vec<Amendment>> = HashMap::new();
    for m in amendments {
        amendments_of
            .entry(m.action_id)
            .or_default()
            .push(Amendment {
                on: m.on_date,
                previous_text: m.previous_text,
                new_text: m.new_text,
                reason: m.reason,
                by: m.amended_by,
            });
    }
    let mut occurrences_of: HashMap<Id, Vec<Occurrence>> = HashMap::new();
    for o in occurrences {
        let execution = execution_from(&o)?;
        occurrences_of
            .entry(o.control_id)
            .or_default()
            .push(Occurrence {
                id: o.id,
                control_id: o.control_id,
                seq: o.seq,
                planned_on: o.planned_on,
                execution,
                recorded_by: o.recorded_by,
            });
    }
    let index: HashMap<Id, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for r in risks {
        let i = index[&r.plan_id];
        plans[i].risks.push(risk_from(r)?);
    }
    for a in actions {
        let i = index[&a.plan_id];
        let sources = sources_of.remove(&a.id).unwrap_or_default();
        let amendments = amendments_of.remove(&a.id).unwrap_or_default();
        plans[i].actions.push(action_from(a, sources, amendments)?);
    }
    for c in controls {
        let i = index[&c.plan_id];
        let occurrences = occurrences_of.remove(&c.id).unwrap_or_default();
        plans[i].controls.push(control_from(c, occurrences)?);
    }
    Ok(plans)
}

/// One control with its occurrences: two queries.
async fn load_control(conn: &mut sqlx::AnyConnection, control_id: Id) -> Result<Control> {
    let row: Option<ControlRow> = sqlx::query_as(&format!(
        "SELECT {CONTROL_COLUMNS} FROM ic_controls WHERE id = $1"
    ))
    .bind(control_id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| StoreError::not_found("ic_control", control_id))?;
    let rows: Vec<OccurrenceRow> = sqlx::query_as(
        "SELECT id, control_id, seq, planned_on, state, performed_on, parameters_used, result, \
         findings, not_performed_reason, recorded_by FROM ic_occurrences WHERE control_id = $1 ORDER BY seq",
    )
    .bind(control_id)
    .fetch_all(&mut *conn)
    .await?;
    let occurrences = rows
        .into_iter()
        .map(|o| {
            Ok(Occurrence {
                execution: execution_from(&o)?,
                id: o.id,
                control_id: o.control_id,
                seq: o.seq,
                planned_on: o.planned_on,
                recorded_by: o.recorded_by,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    control_from(row, occurrences)
}

async fn load_plan(conn: &mut sqlx::AnyConnection, plan_id: Id) -> Result<ControlPlan> {
    load_plans(conn, Which::One(plan_id))
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("control_plan", plan_id))
}

/// The object a cause key of internal control names: an occurrence or an action.
enum Cause {
    Occurrence(Id),
    Action(Id),
}

fn cause_of(key: &str) -> Option<Cause> {
    let mut parts = key.split(':');
    if parts.next()? != "internal_control" {
        return None;
    }
    let kind = parts.next()?;
    let id: Id = parts.next()?.parse().ok()?;
    match kind {
        "occurrence" => Some(Cause::Occurrence(id)),
        "action" => Some(Cause::Action(id)),
        _ => None,
    }
}

/// A `like` pattern no user text reaches: the cause keys internal control raises.
const CAUSE_PREFIX: &str = "internal_control:%";

impl Store {
    /// A plan, whole; not found if none.
    pub async fn control_plan(&self, plan_id: Id) -> Result<ControlPlan> {
        let mut conn = self.pool.acquire().await?;
        load_plan(&mut conn, plan_id).await
    }

    /// A unit's plan for a year, if it has one.
    pub async fn control_plan_of(&self, org_id: Id, year: i32) -> Result<Option<ControlPlan>> {
        let mut conn = self.pool.acquire().await?;
        Ok(load_plans(&mut conn, Which::OrgYear(org_id, year))
            .await?
            .pop())
    }

    /// Every plan (optionally of one year), whole, ordered by year and unit: for the
    /// oversight and reports, in a constant number of queries.
    pub async fn control_plans(&self, year: Option<i32>) -> Result<Vec<ControlPlan>> {
        let mut conn = self.pool.acquire().await?;
        load_plans(&mut conn, Which::Year(year)).await
    }

    /// The plan an internal-control object belongs to (a plan: itself; a risk, an action
    /// or a control: its plan); not found for another kind or a missing object.
    pub async fn control_plan_id_of(&self, kind: ObjectKind, id: Id) -> Result<Id> {
        let sql = match kind {
            ObjectKind::ControlPlan => "SELECT id FROM control_plans WHERE id = $1",
            ObjectKind::IcRisk => "SELECT plan_id FROM ic_risks WHERE id = $1",
            ObjectKind::IcAction => "SELECT plan_id FROM ic_actions WHERE id = $1",
            ObjectKind::Control => "SELECT plan_id FROM ic_controls WHERE id = $1",
            _ => return Err(StoreError::not_found(kind.log_type(), id)),
        };
        let plan: Option<i64> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        plan.ok_or_else(|| StoreError::not_found(kind.log_type(), id))
    }

    /// (unit, year, plan id) of every plan, for year choosers.
    pub async fn control_plan_years(&self) -> Result<Vec<(Id, i32, Id)>> {
        let rows: Vec<(i64, i64, i64)> =
            sqlx::query_as("SELECT org_id, year, id FROM control_plans ORDER BY org_id, year")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(org, year, id)| {
                Ok((
                    org,
                    i32::try_from(year).map_err(|_| corrupt("plan year", year))?,
                    id,
                ))
            })
            .collect()
    }

    /// Every version of every risk matrix, by name and version.
    pub async fn risk_matrices(&self) -> Result<Vec<RiskMatrix>> {
        let mut conn = self.pool.acquire().await?;
        load_matrices(&mut conn).await
    }

    /// How many deviations raised from internal control (source internal control, an
    /// `internal_control:` cause key) have no decision, per plan id.
    pub async fn undecided_findings(&self) -> Result<HashMap<Id, usize>> {
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT d.cause_key FROM deviations d WHERE d.source = $1 AND d.cause_key LIKE $2 \
             AND NOT EXISTS (SELECT 1 FROM deviation_decisions dd WHERE dd.deviation_id = d.id)",
        )
        .bind(uppsikt_domain::deviation::Source::InternalControl.code())
        .bind(CAUSE_PREFIX)
        .fetch_all(&self.pool)
        .await?;
        let causes: Vec<Cause> = keys.iter().filter_map(|k| cause_of(k)).collect();
        let (plan_of_occurrence, plan_of_action) = self.plans_of_causes(&causes).await?;
        let mut out: HashMap<Id, usize> = HashMap::new();
        for cause in causes {
            let plan = match cause {
                Cause::Occurrence(id) => plan_of_occurrence.get(&id),
                Cause::Action(id) => plan_of_action.get(&id),
            };
            if let Some(plan) = plan {
                *out.entry(*plan).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// The plan of each occurrence and each action the causes name.
    async fn plans_of_causes(
        &self,
        causes: &[Cause],
    ) -> Result<(HashMap<Id, Id>, HashMap<Id, Id>)> {
        let mut occurrences = Vec::new();
        let mut actions = Vec::new();
        for c in causes {
            match c {
                Cause::Occurrence(id) => occurrences.push(*id),
                Cause::Action(id) => actions.push(*id),
            }
        }
        occurrences.sort_unstable();
        occurrences.dedup();
        actions.sort_unstable();
        actions.dedup();
        let mut conn = self.pool.acquire().await?;
        let of_occurrence: Vec<(i64, i64)> = rows_for(
            &mut conn,
            "SELECT o.id, c.plan_id FROM ic_occurrences o JOIN ic_controls c ON c.id = o.control_id \
             WHERE o.id IN (@IDS@)",
            &occurrences,
        )
        .await?;
        let of_action: Vec<(i64, i64)> = rows_for(
            &mut conn,
            "SELECT id, plan_id FROM ic_actions WHERE id IN (@IDS@)",
            &actions,
        )
        .await?;
        Ok((
            of_occurrence.into_iter().collect(),
            of_action.into_iter().collect(),
        ))
    }

    /// The deviation raised for each cause key of a plan (its occurrences' findings and
    /// misses, its actions unfinished at the year's end): cause key → deviation id.
    pub async fn control_plan_deviations(&self, plan_id: Id) -> Result<HashMap<String, Id>> {
        let year: Option<i64> = sqlx::query_scalar("SELECT year FROM control_plans WHERE id = $1")
            .bind(plan_id)
            .fetch_optional(&self.pool)
            .await?;
        let year = year.ok_or_else(|| StoreError::not_found("control_plan", plan_id))?;
        let year = i32::try_from(year).map_err(|_| corrupt("plan year", year))?;
        let occurrences: Vec<i64> = sqlx::query_scalar(
            "SELECT o.id FROM ic_occurrences o JOIN ic_controls c ON c.id = o.control_id WHERE c.plan_id = $1",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        let actions: Vec<i64> = sqlx::query_scalar("SELECT id FROM ic_actions WHERE plan_id = $1")
            .bind(plan_id)
            .fetch_all(&self.pool)
            .await?;
        let keys: HashSet<String> = occurrences
            .iter()
            .flat_map(|o| [findings_cause_key(*o), missed_cause_key(*o)])
            .chain(actions.iter().map(|a| unfinished_cause_key(*a, year)))
            .collect();
        let raised: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, cause_key FROM deviations WHERE source = $1 AND cause_key LIKE $2",
        )
        .bind(uppsikt_domain::deviation::Source::InternalControl.code())
        .bind(CAUSE_PREFIX)
        .fetch_all(&self.pool)
        .await?;
        Ok(raised
            .into_iter()
            .filter(|(_, k)| keys.contains(k))
            .map(|(id, k)| (k, id))
            .collect())
    }
}

// --- writes -----------------------------------------------------------------------------

fn json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

fn opt_text(v: Option<&str>) -> Bind {
    Bind::OptText(v.map(str::to_string))
}

/// The header's columns with their values.
fn header_columns(h: &PlanHeader) -> Vec<(&'static str, Bind)> {
    let a = h.adoption.as_ref();
    let r = h.risk_analysis.as_ref();
    let s = h.self_assessment.as_ref();
    let u = h.auditor_assessment.as_ref();
    vec![
        ("rule_ref", Bind::Text(h.rule_ref.clone())),
        ("legal_basis", Bind::Text(h.legal_basis.clone())),
        ("adoption_body", opt_text(a.map(|a| a.body.as_str()))),
        (
            "adoption_decided_on",
            opt_text(a.map(|a| a.decided_on.as_str())),
        ),
        (
            "adoption_paragraph",
            opt_text(a.map(|a| a.paragraph.as_str())),
        ),
        (
            "adoption_diary_number",
            opt_text(a.map(|a| a.diary_number.as_str())),
        ),
        (
            "risk_analysis_held_on",
            opt_text(r.and_then(|r| r.held_on.as_deref())),
        ),
        (
            "risk_analysis_participants",
            opt_text(r.map(|r| r.participants.as_str())),
        ),
        (
            "risk_analysis_elected_members",
            Bind::OptInt(r.map(|r| i64::from(r.elected_members_took_part))),
        ),
        ("self_level", opt_text(s.map(|s| s.level.as_str()))),
        (
            "self_motivation",
            opt_text(s.map(|s| s.motivation.as_str())),
        ),
        ("self_source", opt_text(s.map(|s| s.source.as_str()))),
        ("auditor_level", opt_text(u.map(|s| s.level.as_str()))),
        (
            "auditor_motivation",
            opt_text(u.map(|s| s.motivation.as_str())),
        ),
        ("auditor_source", opt_text(u.map(|s| s.source.as_str()))),
    ]
}

/// A risk's columns (besides plan, position and links) with their values.
fn risk_columns(r: &RiskInput, key: &str) -> Vec<(&'static str, Bind)> {
    let mut cols = vec![
        ("key", Bind::Text(key.to_string())),
        ("area", Bind::Text(r.area.clone())),
        ("text", Bind::Text(r.text.clone())),
        ("background", Bind::Text(r.background.clone())),
        (
            "first_documented",
            Bind::OptText(r.first_documented.map(FirstDocumented::code)),
        ),
        ("common", Bind::Int(i64::from(r.common))),
    ];
    cols.extend(score_columns(r.gross, r.net, r.handling.as_ref()));
    cols
}

/// Checks scores against the plan's matrix and an acceptance's motivation; returns the
/// handling as stored (motivation trimmed).
fn check_scores(
    matrix: Option<&RiskMatrix>,
    gross: Option<RiskScore>,
    net: Option<RiskScore>,
    handling: Option<&Handling>,
) -> Result<Option<Handling>> {
    for score in [gross, net].into_iter().flatten() {
        let matrix = matrix.ok_or_else(|| refused(IcRefusal::Matrix(MatrixError::NoMatrix)))?;
        matrix
            .check(score)
            .map_err(|e| refused(IcRefusal::Matrix(e)))?;
    }
    Ok(match handling {
        Some(Handling::Accept { motivation }) if motivation.trim().is_empty() => {
            return Err(refused(IcRefusal::AcceptMotivation))
        }
        Some(Handling::Accept { motivation }) => Some(Handling::Accept {
            motivation: motivation.trim().to_string(),
        }),
        other => other.cloned(),
    })
}

fn score_columns(
    gross: Option<RiskScore>,
    net: Option<RiskScore>,
    handling: Option<&Handling>,
) -> Vec<(&'static str, Bind)> {
    let p = |s: Option<RiskScore>| Bind::OptInt(s.map(|s| i64::from(s.probability)));
    let c = |s: Option<RiskScore>| Bind::OptInt(s.map(|s| i64::from(s.consequence)));
    let motivation = match handling {
        Some(Handling::Accept { motivation }) => motivation.trim().to_string(),
        _ => String::new(),
    };
    vec![
        ("gross_probability", p(gross)),
        ("gross_consequence", c(gross)),
        ("net_probability", p(net)),
        ("net_consequence", c(net)),
        ("handling", opt_text(handling.map(Handling::code))),
        ("handling_motivation", Bind::Text(motivation)),
    ]
}

fn control_columns(c: &ControlInput, key: &str) -> Vec<(&'static str, Bind)> {
    let (kind, follow_up) = match &c.kind {
        ControlKind::Systematic => ("systematic", None),
        ControlKind::ContractFollowUp(f) => ("contract_follow_up", Some(f)),
    };
    let f = |pick: fn(&ContractFollowUp) -> &String| {
        Bind::Text(follow_up.map(pick).cloned().unwrap_or_default())
    };
    vec![
        ("key", Bind::Text(key.to_string())),
        ("kind", Bind::Text(kind.into())),
        ("follow_up_kind", f(|f| &f.follow_up_kind)),
        ("schedule", f(|f| &f.schedule)),
        ("follow_up_interval", f(|f| &f.interval)),
        ("recipients", f(|f| &f.recipients)),
        ("area", Bind::Text(c.area.clone())),
        ("name", Bind::Text(c.name.clone())),
        ("purpose", Bind::Text(c.purpose.clone())),
        ("method", Bind::Text(c.method.clone())),
        ("frequency", Bind::Text(c.frequency.clone())),
        ("sample", Bind::Text(c.sample.clone())),
        (
            "planned_parameters",
            Bind::Text(c.planned_parameters.clone()),
        ),
        ("responsible", Bind::Text(c.responsible.clone())),
        ("due", Bind::Text(c.due.clone())),
        ("origin", Bind::Text(c.origin.clone())),
        ("comment", Bind::Text(c.comment.clone())),
        ("common", Bind::Int(i64::from(c.common))),
    ]
}

/// A new action's columns (besides plan, position and links): not done, no comment.
fn action_columns(a: &ActionInput, key: &str) -> Vec<(&'static str, Bind)> {
    let mut cols = vec![
        ("key", Bind::Text(key.to_string())),
        ("text", Bind::Text(a.text.clone())),
        ("responsible", Bind::Text(a.responsible.clone())),
        ("status", Bind::Text(ActionStatus::NotDone.code().into())),
        ("done_on", Bind::OptText(None)),
        ("comment", Bind::Text(String::new())),
    ];
    cols.extend(blocker_columns(a.blocked_by.as_ref()));
    cols
}

fn blocker_columns(b: Option<&Blocker>) -> [(&'static str, Bind); 2] {
    let (id, text) = match b {
        Some(Blocker::Action(id)) => (Some(*id), None),
        Some(Blocker::Other(text)) => (None, Some(text.clone())),
        None => (None, None),
    };
    [
        ("blocked_by_action_id", Bind::OptInt(id)),
        ("blocked_by_text", Bind::OptText(text)),
    ]
}

/// The input that recreates a stored control (for comparing and logging).
fn control_input_of(c: &Control) -> ControlInput {
    ControlInput {
        key: c.key.clone(),
        kind: c.kind.clone(),
        area: c.area.clone(),
        name: c.name.clone(),
        purpose: c.purpose.clone(),
        method: c.method.clone(),
        frequency: c.frequency.clone(),
        sample: c.sample.clone(),
        planned_parameters: c.planned_parameters.clone(),
        responsible: c.responsible.clone(),
        due: c.due.clone(),
        origin: c.origin.clone(),
        comment: c.comment.clone(),
        common: c.common,
        planned_dates: c.occurrences.iter().map(|o| o.planned_on.clone()).collect(),
    }
}

fn risk_input_of(r: &Risk) -> RiskInput {
    RiskInput {
        key: r.key.clone(),
        area: r.area.clone(),
        text: r.text.clone(),
        background: r.background.clone(),
        first_documented: r.first_documented,
        common: r.common,
        gross: r.gross,
        net: r.net,
        handling: r.handling.clone(),
    }
}

/// The same day a year later (29 February becomes 28 February); text that is no ISO
/// date is kept.
fn next_year(date: &str) -> String {
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => match y.parse::<i32>() {
            Ok(year) => {
                let day = if *m == "02" && *d == "29" { "28" } else { d };
                format!("{}-{m}-{day}", year + 1)
            }
            Err(_) => date.to_string(),
        },
        _ => date.to_string(),
    }
}

/// Where an item is stored, for its key and its plan.
#[derive(Clone, Copy)]
enum Item {
    Risk,
    Action,
    Control,
}

impl Item {
    const fn table(self) -> &'static str {
        match self {
            Item::Risk => "ic_risks",
            Item::Action => "ic_actions",
            Item::Control => "ic_controls",
        }
    }
    const fn kind(self) -> ObjectKind {
        match self {
            Item::Risk => ObjectKind::IcRisk,
            Item::Action => ObjectKind::IcAction,
            Item::Control => ObjectKind::Control,
        }
    }
}

/// The boards that keep an internal-control plan.
fn keeps_a_plan(kind: &str) -> bool {
    matches!(
        OrgKind::parse(kind),
        Some(OrgKind::Styrelse | OrgKind::Namnd)
    )
}

impl Writer {
    /// The plan (seen from inside the transaction), whole.
    async fn plan_in_tx(&mut self, plan_id: Id) -> Result<ControlPlan> {
        load_plan(&mut self.tx, plan_id).await
    }

    /// A plan as this transaction sees it (with what it wrote so far), whole: for a
    /// writer that needs the ids of items it just added (an import records executions on
    /// the occurrences of the controls it created).
    pub async fn control_plan_in_tx(&mut self, plan_id: Id) -> Result<ControlPlan> {
        self.plan_in_tx(plan_id).await
    }

    /// The plan without its items (its row and matrix), for writes that need no more.
    async fn plan_head(&mut self, plan_id: Id) -> Result<ControlPlan> {
        load_heads(&mut self.tx, Which::One(plan_id))
            .await?
            .pop()
            .ok_or_else(|| StoreError::not_found("control_plan", plan_id))
    }

    /// A risk and its plan's head (with the matrix).
    async fn risk_in_plan(&mut self, risk_id: Id) -> Result<(ControlPlan, Risk)> {
        let row: Option<RiskRow> = sqlx::query_as(&format!(
            "SELECT {RISK_COLUMNS} FROM ic_risks WHERE id = $1"
        ))
        .bind(risk_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let row = row.ok_or_else(|| StoreError::not_found("ic_risk", risk_id))?;
        let plan = self.plan_head(row.plan_id).await?;
        Ok((plan, risk_from(row)?))
    }

    /// A control with its occurrences and its plan's head.
    async fn control_in_plan(&mut self, control_id: Id) -> Result<(ControlPlan, Control)> {
        let control = load_control(&mut self.tx, control_id).await?;
        let plan = self.plan_head(control.plan_id).await?;
        Ok((plan, control))
    }

    /// PostgreSQL: pushes and carry-overs take turns with each other and with every write
    /// to a plan's own row, so two of them cannot both copy the same item (they read what
    /// the plans hold after taking the turn). SQLite's writer already holds the
    /// database's one write lock.
    async fn take_plans_turn(&mut self) -> Result<()> {
        if self.backend == crate::Backend::Postgres {
            sqlx::query("LOCK TABLE control_plans IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Refuses a change to a plan whose unit's year a decision locked.
    async fn ensure_plan_unlocked(&mut self, plan: &ControlPlan) -> Result<()> {
        self.ensure_unlocked(plan.org_id, Period::Year(plan.year))
            .await
    }

    /// `wanted` if the plan has no item of that key yet, else `Duplicate`; empty: the
    /// next free `{prefix}nn`.
    async fn new_key(
        &mut self,
        item: Item,
        plan_id: Id,
        wanted: &str,
        prefix: &str,
    ) -> Result<String> {
        let wanted = wanted.trim();
        if !wanted.is_empty() {
            if self.key_taken(item, plan_id, wanted).await? {
                return Err(StoreError::Duplicate(format!(
                    "{} {wanted}",
                    item.kind().log_type()
                )));
            }
            return Ok(wanted.to_string());
        }
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {} WHERE plan_id = $1",
            item.table()
        ))
        .bind(plan_id)
        .fetch_one(&mut *self.tx)
        .await?;
        let mut n = count + 1;
        loop {
            let key = format!("{prefix}{n:02}");
            if !self.key_taken(item, plan_id, &key).await? {
                return Ok(key);
            }
            n += 1;
        }
    }

    /// The position after the plan's last item.
    async fn next_position(&mut self, item: Item, plan_id: Id) -> Result<i64> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT CAST(COALESCE(MAX(position), 0) AS BIGINT) + 1 FROM {} WHERE plan_id = $1",
            item.table()
        ))
        .bind(plan_id)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// `wanted`, or `wanted-2`, `wanted-3` … if the plan has it already (copies).
    async fn copy_key(&mut self, item: Item, plan_id: Id, wanted: &str) -> Result<String> {
        let mut key = wanted.to_string();
        let mut n = 2;
        while self.key_taken(item, plan_id, &key).await? {
            key = format!("{wanted}-{n}");
            n += 1;
        }
        Ok(key)
    }

    async fn key_taken(&mut self, item: Item, plan_id: Id, key: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM {} WHERE plan_id = $1 AND key = $2",
            item.table()
        ))
        .bind(plan_id)
        .bind(key)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(found.is_some())
    }

    /// Inserts a row of `table` from its columns and values; returns its id.
    pub(crate) async fn insert_columns(
        &mut self,
        table: &str,
        cols: Vec<(&'static str, Bind)>,
    ) -> Result<Id> {
        let (names, binds): (Vec<&str>, Vec<Bind>) = cols.into_iter().unzip();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders(1, binds.len())
        );
        self.insert_returning_id(&sql, binds).await
    }

    /// Sets columns of the row `id` of `table`.
    pub(crate) async fn update_columns(
        &mut self,
        table: &str,
        id: Id,
        cols: Vec<(&'static str, Bind)>,
    ) -> Result<()> {
        let (names, mut binds): (Vec<&str>, Vec<Bind>) = cols.into_iter().unzip();
        let set: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE {table} SET {} WHERE id = ${}",
            set.join(", "),
            names.len() + 1
        );
        binds.push(Bind::Int(id));
        self.execute(&sql, binds).await?;
        Ok(())
    }

    async fn insert_plan(
        &mut self,
        org_id: Id,
        year: i32,
        header: &PlanHeader,
        matrix_id: Option<Id>,
    ) -> Result<Id> {
        self.ensure_unlocked(org_id, Period::Year(year)).await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM control_plans WHERE org_id = $1 AND year = $2")
                .bind(org_id)
                .bind(i64::from(year))
                .fetch_optional(&mut *self.tx)
                .await?;
        if exists.is_some() {
            return Err(refused(IcRefusal::PlanExists(year)));
        }
        let unit: Option<i64> = sqlx::query_scalar("SELECT id FROM org_units WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        if unit.is_none() {
            return Err(StoreError::not_found("org_unit", org_id));
        }
        let mut cols = vec![
            ("org_id", Bind::Int(org_id)),
            ("year", Bind::Int(i64::from(year))),
            ("matrix_id", Bind::OptInt(matrix_id)),
        ];
        cols.extend(header_columns(header));
        let id = self.insert_columns("control_plans", cols).await?;
        let after = Some(serde_json::json!({
            "org_id": org_id,
            "year": year,
            "header": header,
            "matrix_id": matrix_id,
        }));
        self.log(
            "create",
            ObjectKind::ControlPlan.log_type(),
            Some(id),
            None,
            after,
        )
        .await?;
        Ok(id)
    }

    /// Creates a unit's plan for a year; refused when the unit has one for the year
    /// already or a decision locked the year.
    pub async fn create_control_plan(&mut self, p: &NewControlPlan) -> Result<Id> {
        let header = PlanHeader {
            rule_ref: p.rule_ref.clone(),
            legal_basis: p.legal_basis.clone(),
            ..PlanHeader::default()
        };
        self.insert_plan(p.org_id, p.year, &header, None).await
    }

    /// Sets a plan's header (rule, legal basis, adoption, risk analysis, assessments).
    pub async fn update_control_plan(&mut self, plan_id: Id, p: &PlanHeader) -> Result<()> {
        let plan = self.plan_head(plan_id).await?;
        let before = PlanHeader::of(&plan);
        if before == *p {
            return Ok(());
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns("control_plans", plan_id, header_columns(p))
            .await?;
        self.log(
            "update",
            ObjectKind::ControlPlan.log_type(),
            Some(plan_id),
            json(&before),
            json(p),
        )
        .await
    }

    /// Adds a risk to a plan; returns its id.
    pub async fn add_risk(&mut self, plan_id: Id, r: &RiskInput) -> Result<Id> {
        let plan = self.plan_head(plan_id).await?;
        let handling = check_scores(plan.matrix.as_ref(), r.gross, r.net, r.handling.as_ref())?;
        self.ensure_plan_unlocked(&plan).await?;
        let key = self.new_key(Item::Risk, plan_id, &r.key, "RK").await?;
        let after = RiskInput {
            key: key.clone(),
            handling,
            ..r.clone()
        };
        let position = self.next_position(Item::Risk, plan_id).await?;
        let mut cols = vec![
            ("plan_id", Bind::Int(plan_id)),
            ("position", Bind::Int(position)),
        ];
        cols.extend(risk_columns(&after, &key));
        let id = self.insert_columns("ic_risks", cols).await?;
        self.log(
            "create",
            ObjectKind::IcRisk.log_type(),
            Some(id),
            None,
            json(&after),
        )
        .await?;
        Ok(id)
    }

    /// Changes a risk's fields (an empty key keeps its key).
    pub async fn update_risk(&mut self, risk_id: Id, r: &RiskInput) -> Result<()> {
        let (plan, risk) = self.risk_in_plan(risk_id).await?;
        let risk = &risk;
        let before = risk_input_of(risk);
        let key = if r.key.trim().is_empty() {
            risk.key.clone()
        } else {
            r.key.trim().to_string()
        };
        let handling = check_scores(plan.matrix.as_ref(), r.gross, r.net, r.handling.as_ref())?;
        let after = RiskInput {
            key: key.clone(),
            handling,
            ..r.clone()
        };
        if after == before {
            return Ok(());
        }
        if key != risk.key && self.key_taken(Item::Risk, plan.id, &key).await? {
            return Err(StoreError::Duplicate(format!("ic_risk {key}")));
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns("ic_risks", risk_id, risk_columns(&after, &key))
            .await?;
        self.log(
            "update",
            ObjectKind::IcRisk.log_type(),
            Some(risk_id),
            json(&before),
            json(&after),
        )
        .await
    }

    /// Chooses the matrix version a plan's risks are scored in (`None`: none); refused
    /// (`MatrixError::Fixed`) once a risk is scored.
    pub async fn choose_risk_matrix(&mut self, plan_id: Id, matrix_id: Option<Id>) -> Result<()> {
        let plan = self.plan_in_tx(plan_id).await?;
        let current = plan.matrix.as_ref().map(|m| m.id);
        if current == matrix_id {
            return Ok(());
        }
        if !plan.matrix_is_open() {
            return Err(refused(IcRefusal::Matrix(MatrixError::Fixed)));
        }
        if let Some(m) = matrix_id {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM risk_matrices WHERE id = $1")
                    .bind(m)
                    .fetch_optional(&mut *self.tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::not_found(MATRIX_LOG_TYPE, m));
            }
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns(
            "control_plans",
            plan_id,
            vec![("matrix_id", Bind::OptInt(matrix_id))],
        )
        .await?;
        self.log(
            "choose_matrix",
            ObjectKind::ControlPlan.log_type(),
            Some(plan_id),
            Some(serde_json::json!({ "matrix_id": current })),
            Some(serde_json::json!({ "matrix_id": matrix_id })),
        )
        .await
    }

    /// Scores a risk gross and net in its plan's matrix and sets its handling (`None`s
    /// clear them). Scores need the plan's matrix and must lie inside it; accepting a
    /// risk needs a motivation.
    pub async fn score_risk(
        &mut self,
        risk_id: Id,
        gross: Option<RiskScore>,
        net: Option<RiskScore>,
        handling: Option<Handling>,
    ) -> Result<()> {
        let (plan, risk) = self.risk_in_plan(risk_id).await?;
        let risk = &risk;
        let handling = check_scores(plan.matrix.as_ref(), gross, net, handling.as_ref())?;
        if risk.gross == gross && risk.net == net && risk.handling == handling {
            return Ok(());
        }
        let before =
            serde_json::json!({ "gross": risk.gross, "net": risk.net, "handling": risk.handling });
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns(
            "ic_risks",
            risk_id,
            score_columns(gross, net, handling.as_ref()),
        )
        .await?;
        self.log(
            "score",
            ObjectKind::IcRisk.log_type(),
            Some(risk_id),
            Some(before),
            Some(serde_json::json!({ "gross": gross, "net": net, "handling": handling })),
        )
        .await
    }

    /// Saves a matrix as a new version of `name` (versions are never changed); returns
    /// its id.
    pub async fn save_risk_matrix(
        &mut self,
        name: &str,
        probability: &[String],
        consequence: &[String],
    ) -> Result<Id> {
        RiskMatrix::check_labels(probability, consequence)
            .map_err(|e| refused(IcRefusal::Matrix(e)))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(refused(IcRefusal::Matrix(MatrixError::Label)));
        }
        let trimmed = |axis: &[String]| {
            axis.iter()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>()
        };
        let (probability, consequence) = (trimmed(probability), trimmed(consequence));
        let last: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM risk_matrices WHERE name = $1",
        )
        .bind(name)
        .fetch_one(&mut *self.tx)
        .await?;
        let version = last + 1;
        let text = |axis: &Vec<String>| serde_json::to_string(axis).unwrap_or_default();
        let id = self
            .insert_columns(
                "risk_matrices",
                vec![
                    ("name", Bind::Text(name.to_string())),
                    ("version", Bind::Int(version)),
                    ("probability", Bind::Text(text(&probability))),
                    ("consequence", Bind::Text(text(&consequence))),
                    ("saved_at", Bind::Text(self.at.clone())),
                    ("saved_by", Bind::Text(self.actor.clone())),
                ],
            )
            .await?;
        let matrix = RiskMatrix {
            id,
            name: name.to_string(),
            version,
            probability,
            consequence,
        };
        self.log("create", MATRIX_LOG_TYPE, Some(id), None, json(&matrix))
            .await?;
        Ok(id)
    }

    /// Checks an action's sources and blocker against the plan: its risks are the plan's,
    /// its deviations and blocking action exist.
    async fn check_links(
        &mut self,
        plan_id: Id,
        sources: &[ActionSource],
        blocked_by: Option<&Blocker>,
    ) -> Result<()> {
        for s in sources {
            match s {
                ActionSource::Risk { risk_id } => {
                    let found: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM ic_risks WHERE id = $1 AND plan_id = $2",
                    )
                    .bind(*risk_id)
                    .bind(plan_id)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                    if found.is_none() {
                        return Err(StoreError::not_found("ic_risk", risk_id));
                    }
                }
                ActionSource::Deviation { deviation_id } => {
                    let found: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM deviations WHERE id = $1")
                            .bind(*deviation_id)
                            .fetch_optional(&mut *self.tx)
                            .await?;
                    if found.is_none() {
                        return Err(StoreError::not_found("deviation", deviation_id));
                    }
                }
                ActionSource::Recommendation { .. } => {}
            }
        }
        if let Some(Blocker::Action(id)) = blocked_by {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM ic_actions WHERE id = $1")
                .bind(*id)
                .fetch_optional(&mut *self.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::not_found("ic_action", id));
            }
        }
        Ok(())
    }

    async fn insert_sources(&mut self, action_id: Id, sources: &[ActionSource]) -> Result<()> {
        for (position, s) in sources.iter().enumerate() {
            let (risk, case_ref, title, deviation) = match s {
                ActionSource::Risk { risk_id } => (Some(*risk_id), None, None, None),
                ActionSource::Recommendation { case_ref, title } => {
                    (None, Some(case_ref.clone()), Some(title.clone()), None)
                }
                ActionSource::Deviation { deviation_id } => (None, None, None, Some(*deviation_id)),
            };
            self.insert_columns(
                "ic_action_sources",
                vec![
                    ("action_id", Bind::Int(action_id)),
                    ("risk_id", Bind::OptInt(risk)),
                    ("case_ref", Bind::OptText(case_ref)),
                    ("title", Bind::OptText(title)),
                    ("deviation_id", Bind::OptInt(deviation)),
                    ("position", Bind::Int(position as i64)),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Adds an action to a plan with what it serves (its risks must be the plan's) and
    /// what it waits for; returns its id.
    pub async fn add_ic_action(&mut self, plan_id: Id, a: &ActionInput) -> Result<Id> {
        let plan = self.plan_head(plan_id).await?;
        self.check_links(plan_id, &a.sources, a.blocked_by.as_ref())
            .await?;
        self.ensure_plan_unlocked(&plan).await?;
        let key = self.new_key(Item::Action, plan_id, &a.key, "R").await?;
        let position = self.next_position(Item::Action, plan_id).await?;
        let mut cols = vec![
            ("plan_id", Bind::Int(plan_id)),
            ("position", Bind::Int(position)),
        ];
        cols.extend(action_columns(a, &key));
        let id = self.insert_columns("ic_actions", cols).await?;
        self.insert_sources(id, &a.sources).await?;
        let after = ActionInput { key, ..a.clone() };
        self.log(
            "create",
            ObjectKind::IcAction.log_type(),
            Some(id),
            None,
            json(&after),
        )
        .await?;
        Ok(id)
    }

    /// An action's own row (without its sources and amendments, which its writes do not
    /// need) and its plan's head.
    async fn action_in_plan(&mut self, action_id: Id) -> Result<(ControlPlan, IcAction)> {
        let row: Option<ActionRow> = sqlx::query_as(&format!(
            "SELECT {ACTION_COLUMNS} FROM ic_actions WHERE id = $1"
        ))
        .bind(action_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let row = row.ok_or_else(|| StoreError::not_found("ic_action", action_id))?;
        let plan = self.plan_head(row.plan_id).await?;
        Ok((plan, action_from(row, Vec::new(), Vec::new())?))
    }

    /// Sets an action's status ("Klart" / "Ej klart i år"), the day it was done and its
    /// comment.
    pub async fn set_action_status(
        &mut self,
        action_id: Id,
        status: ActionStatus,
        done_on: Option<&str>,
        comment: &str,
    ) -> Result<()> {
        let (plan, a) = self.action_in_plan(action_id).await?;
        if a.status == status && a.done_on.as_deref() == done_on && a.comment == comment {
            return Ok(());
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns(
            "ic_actions",
            action_id,
            vec![
                ("status", Bind::Text(status.code().into())),
                ("done_on", opt_text(done_on)),
                ("comment", Bind::Text(comment.to_string())),
            ],
        )
        .await?;
        self.log(
            "set_status",
            ObjectKind::IcAction.log_type(),
            Some(action_id),
            Some(serde_json::json!({ "status": a.status, "done_on": a.done_on, "comment": a.comment })),
            Some(serde_json::json!({ "status": status, "done_on": done_on, "comment": comment })),
        )
        .await
    }

    /// Records who verified a done action's effect, how and when; refused unless the
    /// action is done.
    pub async fn verify_action(&mut self, action_id: Id, v: &Verification) -> Result<()> {
        let (plan, a) = self.action_in_plan(action_id).await?;
        if a.status != ActionStatus::Done {
            return Err(refused(IcRefusal::VerifyNotDone));
        }
        if [&v.by, &v.how, &v.on].iter().any(|s| s.trim().is_empty()) {
            return Err(refused(IcRefusal::VerificationIncomplete));
        }
        if a.verification.as_ref() == Some(v) {
            return Ok(());
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns(
            "ic_actions",
            action_id,
            vec![
                ("verified_by", Bind::Text(v.by.clone())),
                ("verified_how", Bind::Text(v.how.clone())),
                ("verified_on", Bind::Text(v.on.clone())),
            ],
        )
        .await?;
        self.log(
            "verify",
            ObjectKind::IcAction.log_type(),
            Some(action_id),
            json(&a.verification),
            json(v),
        )
        .await
    }

    /// Changes an action's content with a reason; the earlier text is kept as an
    /// amendment (logged as `ic_amendment` under the action's id).
    pub async fn amend_action(
        &mut self,
        action_id: Id,
        new_text: &str,
        reason: &str,
        on: &str,
    ) -> Result<()> {
        let (plan, a) = self.action_in_plan(action_id).await?;
        if reason.trim().is_empty() {
            return Err(refused(IcRefusal::AmendmentReason));
        }
        if new_text.trim() == a.text.trim() {
            return Err(refused(IcRefusal::AmendmentUnchanged));
        }
        self.ensure_plan_unlocked(&plan).await?;
        let amendment = Amendment {
            on: on.to_string(),
            previous_text: a.text.clone(),
            new_text: new_text.trim().to_string(),
            reason: reason.trim().to_string(),
            by: self.actor.clone(),
        };
        self.insert_columns(
            "ic_action_amendments",
            vec![
                ("action_id", Bind::Int(action_id)),
                ("on_date", Bind::Text(amendment.on.clone())),
                ("previous_text", Bind::Text(amendment.previous_text.clone())),
                ("new_text", Bind::Text(amendment.new_text.clone())),
                ("reason", Bind::Text(amendment.reason.clone())),
                ("amended_by", Bind::Text(amendment.by.clone())),
            ],
        )
        .await?;
        self.update_columns(
            "ic_actions",
            action_id,
            vec![("text", Bind::Text(amendment.new_text.clone()))],
        )
        .await?;
        self.log(
            "amend",
            AMENDMENT_LOG_TYPE,
            Some(action_id),
            Some(serde_json::json!({ "text": a.text })),
            json(&amendment),
        )
        .await
    }

    /// Sets or clears what an action waits for; an action cannot wait for itself.
    pub async fn set_action_blocker(
        &mut self,
        action_id: Id,
        blocked_by: Option<&Blocker>,
    ) -> Result<()> {
        if blocked_by == Some(&Blocker::Action(action_id)) {
            return Err(refused(IcRefusal::BlockedByItself));
        }
        let (plan, a) = self.action_in_plan(action_id).await?;
        self.check_links(plan.id, &[], blocked_by).await?;
        if a.blocked_by.as_ref() == blocked_by {
            return Ok(());
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns(
            "ic_actions",
            action_id,
            blocker_columns(blocked_by).to_vec(),
        )
        .await?;
        self.log(
            "set_blocker",
            ObjectKind::IcAction.log_type(),
            Some(action_id),
            json(&a.blocked_by),
            json(&blocked_by),
        )
        .await
    }

    async fn insert_occurrences(
        &mut self,
        control_id: Id,
        first_seq: i64,
        dates: &[String],
    ) -> Result<()> {
        for (i, date) in dates.iter().enumerate() {
            self.insert_columns(
                "ic_occurrences",
                vec![
                    ("control_id", Bind::Int(control_id)),
                    ("seq", Bind::Int(first_seq + i as i64)),
                    ("planned_on", Bind::Text(date.clone())),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Adds a control (or contract follow-up) with its planned occurrences; returns its id.
    pub async fn add_control(&mut self, plan_id: Id, c: &ControlInput) -> Result<Id> {
        let plan = self.plan_head(plan_id).await?;
        self.ensure_plan_unlocked(&plan).await?;
        let prefix = match c.kind {
            ControlKind::Systematic => "C",
            ControlKind::ContractFollowUp(_) => "U",
        };
        let key = self.new_key(Item::Control, plan_id, &c.key, prefix).await?;
        let position = self.next_position(Item::Control, plan_id).await?;
        let mut cols = vec![
            ("plan_id", Bind::Int(plan_id)),
            ("position", Bind::Int(position)),
        ];
        cols.extend(control_columns(c, &key));
        let id = self.insert_columns("ic_controls", cols).await?;
        self.insert_occurrences(id, 1, &c.planned_dates).await?;
        let after = ControlInput { key, ..c.clone() };
        self.log(
            "create",
            ObjectKind::Control.log_type(),
            Some(id),
            None,
            json(&after),
        )
        .await?;
        Ok(id)
    }

    /// Changes a control's fields and planned dates (an empty key keeps its key).
    /// Occurrence n keeps what was recorded for it; occurrences beyond the new count are
    /// removed unless something was recorded for them.
    pub async fn update_control(&mut self, control_id: Id, c: &ControlInput) -> Result<()> {
        let (plan, control) = self.control_in_plan(control_id).await?;
        let before = control_input_of(&control);
        let key = if c.key.trim().is_empty() {
            control.key.clone()
        } else {
            c.key.trim().to_string()
        };
        let planned_dates = if c.planned_dates.is_empty() {
            before.planned_dates.clone()
        } else {
            c.planned_dates.clone()
        };
        let after = ControlInput {
            key: key.clone(),
            planned_dates,
            ..c.clone()
        };
        if after == before {
            return Ok(());
        }
        if key != control.key && self.key_taken(Item::Control, plan.id, &key).await? {
            return Err(StoreError::Duplicate(format!("ic_control {key}")));
        }
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns("ic_controls", control_id, control_columns(c, &key))
            .await?;
        for o in &control.occurrences {
            let index = usize::try_from(o.seq - 1).unwrap_or(usize::MAX);
            match after.planned_dates.get(index) {
                Some(date) if *date != o.planned_on => {
                    self.update_columns(
                        "ic_occurrences",
                        o.id,
                        vec![("planned_on", Bind::Text(date.clone()))],
                    )
                    .await?;
                }
                Some(_) => {}
                None if o.execution.is_none() => {
                    self.execute(
                        "DELETE FROM ic_occurrences WHERE id = $1",
                        vec![Bind::Int(o.id)],
                    )
                    .await?;
                }
                None => {}
            }
        }
        let last_seq = control.occurrences.iter().map(|o| o.seq).max().unwrap_or(0);
        let have = usize::try_from(last_seq).unwrap_or(0);
        if after.planned_dates.len() > have {
            self.insert_occurrences(control_id, last_seq + 1, &after.planned_dates[have..])
                .await?;
        }
        self.log(
            "update",
            ObjectKind::Control.log_type(),
            Some(control_id),
            json(&before),
            json(&after),
        )
        .await
    }

    /// Records what was done for a planned occurrence (checked by `Execution::check`
    /// against `today`). With findings it raises their deviation in the same transaction
    /// (once: by its cause key) and returns its id.
    pub async fn record_execution(
        &mut self,
        occurrence_id: Id,
        e: &Execution,
        today: &str,
    ) -> Result<Option<Id>> {
        e.check(today)
            .map_err(|x| refused(IcRefusal::Execution(x)))?;
        let owner: Option<(i64, i64)> = sqlx::query_as(
            "SELECT c.plan_id, c.id FROM ic_occurrences o JOIN ic_controls c ON c.id = o.control_id WHERE o.id = $1",
        )
        .bind(occurrence_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let (plan_id, control_id) =
            owner.ok_or_else(|| StoreError::not_found(OCCURRENCE_LOG_TYPE, occurrence_id))?;
        // The plan's own row and the one control: what the lock check and the deviation need.
        let plan = self.plan_head(plan_id).await?;
        let mut control = load_control(&mut self.tx, control_id).await?;
        let oi = control
            .occurrences
            .iter()
            .position(|o| o.id == occurrence_id)
            .ok_or_else(|| StoreError::not_found(OCCURRENCE_LOG_TYPE, occurrence_id))?;
        let before = control.occurrences[oi].execution.clone();
        if before.as_ref() != Some(e) {
            self.ensure_plan_unlocked(&plan).await?;
            let cols = match e {
                Execution::Performed {
                    performed_on,
                    parameters_used,
                    result,
                    findings,
                } => vec![
                    ("state", Bind::OptText(Some("performed".into()))),
                    ("performed_on", Bind::OptText(Some(performed_on.clone()))),
                    (
                        "parameters_used",
                        Bind::OptText(Some(parameters_used.clone())),
                    ),
                    ("result", Bind::OptText(Some(result.code().into()))),
                    ("findings", Bind::OptText(Some(findings.clone()))),
                    ("not_performed_reason", Bind::OptText(None)),
                ],
                Execution::NotPerformed { reason } => vec![
                    ("state", Bind::OptText(Some("not_performed".into()))),
                    ("performed_on", Bind::OptText(None)),
                    ("parameters_used", Bind::OptText(None)),
                    ("result", Bind::OptText(None)),
                    ("findings", Bind::OptText(None)),
                    ("not_performed_reason", Bind::OptText(Some(reason.clone()))),
                ],
            };
            let mut cols = cols;
            cols.push(("recorded_by", Bind::OptText(Some(self.actor.clone()))));
            cols.push(("recorded_at", Bind::OptText(Some(self.at.clone()))));
            self.update_columns("ic_occurrences", occurrence_id, cols)
                .await?;
            self.log(
                "record",
                OCCURRENCE_LOG_TYPE,
                Some(occurrence_id),
                json(&before),
                json(e),
            )
            .await?;
        }
        if !e.has_findings() {
            return Ok(None);
        }
        control.occurrences[oi].execution = Some(e.clone());
        let deviation = findings_deviation(&plan, &control, &control.occurrences[oi]);
        self.raise_deviations(vec![deviation], today).await?;
        self.deviation_by_cause(&findings_cause_key(occurrence_id))
            .await
    }

    /// Records the decision not to continue a control.
    pub async fn discontinue_control(&mut self, control_id: Id, d: &Discontinuation) -> Result<()> {
        let (plan, control) = self.control_in_plan(control_id).await?;
        if control.discontinued.as_ref() == Some(d) {
            return Ok(());
        }
        let before = json(&control.discontinued);
        self.ensure_plan_unlocked(&plan).await?;
        self.update_columns(
            "ic_controls",
            control_id,
            vec![
                ("discontinued_on", Bind::OptText(Some(d.on.clone()))),
                ("discontinued_by", Bind::OptText(Some(d.decided_by.clone()))),
                ("discontinued_reason", Bind::OptText(Some(d.reason.clone()))),
            ],
        )
        .await?;
        self.log(
            "discontinue",
            ObjectKind::Control.log_type(),
            Some(control_id),
            before,
            json(d),
        )
        .await
    }

    /// Inserts a copy of a risk into a plan (key kept where free) with its links.
    async fn copy_risk(
        &mut self,
        to_plan: Id,
        r: &Risk,
        links: (Option<Id>, Option<Id>),
        first_documented: Option<FirstDocumented>,
        scores: bool,
        action: &str,
    ) -> Result<Id> {
        let key = self.copy_key(Item::Risk, to_plan, &r.key).await?;
        let position = self.next_position(Item::Risk, to_plan).await?;
        let mut input = RiskInput {
            first_documented,
            common: r.common && links.1.is_none(),
            ..risk_input_of(r)
        };
        if !scores {
            (input.gross, input.net, input.handling) = (None, None, None);
        }
        let mut cols = vec![
            ("plan_id", Bind::Int(to_plan)),
            ("position", Bind::Int(position)),
            ("carried_from_id", Bind::OptInt(links.0)),
            ("common_from_id", Bind::OptInt(links.1)),
        ];
        cols.extend(risk_columns(&input, &key));
        let id = self.insert_columns("ic_risks", cols).await?;
        let after = serde_json::json!({
            "risk": RiskInput { key, ..input },
            "carried_from": links.0,
            "common_from": links.1,
        });
        self.log(
            action,
            ObjectKind::IcRisk.log_type(),
            Some(id),
            None,
            Some(after),
        )
        .await?;
        Ok(id)
    }

    /// Inserts a copy of a control into a plan with fresh planned occurrences (its dates
    /// moved a year on when carried).
    async fn copy_control(
        &mut self,
        to_plan: Id,
        c: &Control,
        links: (Option<Id>, Option<Id>),
        move_year: bool,
        action: &str,
    ) -> Result<Id> {
        let key = self.copy_key(Item::Control, to_plan, &c.key).await?;
        let position = self.next_position(Item::Control, to_plan).await?;
        let shift = |d: &str| {
            if move_year {
                next_year(d)
            } else {
                d.to_string()
            }
        };
        let mut input = ControlInput {
            common: c.common && links.1.is_none(),
            ..control_input_of(c)
        };
        input.due = shift(&input.due);
        input.planned_dates = input.planned_dates.iter().map(|d| shift(d)).collect();
        let mut cols = vec![
            ("plan_id", Bind::Int(to_plan)),
            ("position", Bind::Int(position)),
            ("carried_from_id", Bind::OptInt(links.0)),
            ("common_from_id", Bind::OptInt(links.1)),
        ];
        cols.extend(control_columns(&input, &key));
        let id = self.insert_columns("ic_controls", cols).await?;
        self.insert_occurrences(id, 1, &input.planned_dates).await?;
        let after = serde_json::json!({
            "control": ControlInput { key, ..input },
            "carried_from": links.0,
            "common_from": links.1,
        });
        self.log(
            action,
            ObjectKind::Control.log_type(),
            Some(id),
            None,
            Some(after),
        )
        .await?;
        Ok(id)
    }

    /// Copies the items a plan marks common (KS's) into every board's plan of the same
    /// year, once per item and plan (a copy names its original in `common_from`). Creates
    /// no plan: boards without one are reported. Refused as a whole when a decision
    /// locked the year of a plan it would change.
    pub async fn push_common_items(&mut self, from_plan_id: Id) -> Result<PushedCommon> {
        self.take_plans_turn().await?;
        let from = self.plan_in_tx(from_plan_id).await?;
        let units: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, kind FROM org_units ORDER BY position, id")
                .fetch_all(&mut *self.tx)
                .await?;
        let plans = load_plans(&mut self.tx, Which::Year(Some(from.year))).await?;
        let mut done = PushedCommon::default();
        for (org, kind) in units {
            if org == from.org_id || !keeps_a_plan(&kind) {
                continue;
            }
            let Some(plan) = plans.iter().find(|p| p.org_id == org) else {
                done.without_plan.push(org);
                continue;
            };
            let risks: Vec<&Risk> = from
                .risks
                .iter()
                .filter(|r| r.common && !plan.risks.iter().any(|x| x.common_from == Some(r.id)))
                .collect();
            let controls: Vec<&Control> = from
                .controls
                .iter()
                .filter(|c| c.common && !plan.controls.iter().any(|x| x.common_from == Some(c.id)))
                .collect();
            if !risks.is_empty() || !controls.is_empty() {
                self.ensure_plan_unlocked(plan).await?;
            }
            for r in &risks {
                self.copy_risk(
                    plan.id,
                    r,
                    (None, Some(r.id)),
                    r.first_documented,
                    false,
                    "push_common",
                )
                .await?;
            }
            for c in &controls {
                self.copy_control(plan.id, c, (None, Some(c.id)), false, "push_common")
                    .await?;
            }
            done.copied.push((plan.id, risks.len() + controls.len()));
        }
        if done.total() > 0 {
            self.log(
                "push_common",
                ObjectKind::ControlPlan.log_type(),
                Some(from_plan_id),
                None,
                json(&done),
            )
            .await?;
        }
        Ok(done)
    }

    /// Carries a plan's unfinished items into the unit's plan of next year (created with
    /// the same rule, legal basis and matrix if missing), once
    /// (`domain::internal_control::carry_over`): its unfinished actions (status reset to
    /// not done, their risk sources pointing at the carried risks), the risks they reduce,
    /// and its controls not discontinued (with fresh planned occurrences a year on). Each
    /// copy names its original in `carried_from`.
    pub async fn carry_over_control_plan(&mut self, plan_id: Id) -> Result<CarriedOver> {
        self.take_plans_turn().await?;
        let plan = self.plan_in_tx(plan_id).await?;
        let to_year = plan.year + 1;
        let existing = load_plans(&mut self.tx, Which::OrgYear(plan.org_id, to_year))
            .await?
            .pop();
        let what = carry_over(&plan, existing.as_ref());
        let mut done = CarriedOver::default();
        let (next_id, matrix_id) = match &existing {
            Some(next) => {
                if !(what.risks.is_empty() && what.actions.is_empty() && what.controls.is_empty()) {
                    self.ensure_unlocked(plan.org_id, Period::Year(to_year))
                        .await?;
                }
                (next.id, next.matrix.as_ref().map(|m| m.id))
            }
            None => {
                let header = PlanHeader {
                    rule_ref: plan.rule_ref.clone(),
                    legal_basis: plan.legal_basis.clone(),
                    ..PlanHeader::default()
                };
                let matrix = plan.matrix.as_ref().map(|m| m.id);
                let id = self
                    .insert_plan(plan.org_id, to_year, &header, matrix)
                    .await?;
                done.created = true;
                (id, matrix)
            }
        };
        done.plan_id = next_id;
        let same_matrix = matrix_id.is_some() && matrix_id == plan.matrix.as_ref().map(|m| m.id);
        // Last year's risk → this year's, for risks carried before and now.
        let mut risk_map: HashMap<Id, Id> = existing
            .iter()
            .flat_map(|n| n.risks.iter())
            .filter_map(|r| Some((r.carried_from?, r.id)))
            .collect();
        for r in plan.risks.iter().filter(|r| what.risks.contains(&r.id)) {
            let first = r.first_documented.or(Some(FirstDocumented::In(plan.year)));
            let id = self
                .copy_risk(
                    next_id,
                    r,
                    (Some(r.id), None),
                    first,
                    same_matrix,
                    "carry_over",
                )
                .await?;
            risk_map.insert(r.id, id);
            done.risks.push((r.id, id));
        }
        let mut action_map: HashMap<Id, Id> = existing
            .iter()
            .flat_map(|n| n.actions.iter())
            .filter_map(|a| Some((a.carried_from?, a.id)))
            .collect();
        let carried: Vec<&IcAction> = plan
            .actions
            .iter()
            .filter(|a| what.actions.contains(&a.id))
            .collect();
        for a in &carried {
            let key = self.copy_key(Item::Action, next_id, &a.key).await?;
            let position = self.next_position(Item::Action, next_id).await?;
            let sources: Vec<ActionSource> = a
                .sources
                .iter()
                .filter_map(|s| match s {
                    ActionSource::Risk { risk_id } => risk_map
                        .get(risk_id)
                        .map(|r| ActionSource::Risk { risk_id: *r }),
                    other => Some(other.clone()),
                })
                .collect();
            let input = ActionInput {
                key: key.clone(),
                text: a.text.clone(),
                responsible: a.responsible.clone(),
                sources,
                blocked_by: None,
            };
            let mut cols = vec![
                ("plan_id", Bind::Int(next_id)),
                ("position", Bind::Int(position)),
                ("carried_from_id", Bind::OptInt(Some(a.id))),
            ];
            cols.extend(action_columns(&input, &key));
            let id = self.insert_columns("ic_actions", cols).await?;
            self.insert_sources(id, &input.sources).await?;
            action_map.insert(a.id, id);
            done.actions.push((a.id, id));
            let after = serde_json::json!({ "action": input, "carried_from": a.id });
            self.log(
                "carry_over",
                ObjectKind::IcAction.log_type(),
                Some(id),
                None,
                Some(after),
            )
            .await?;
        }
        // What the carried actions wait for, pointing at the carried blockers.
        for a in &carried {
            let blocker = match &a.blocked_by {
                Some(Blocker::Action(b)) => {
                    Some(Blocker::Action(action_map.get(b).copied().unwrap_or(*b)))
                }
                other => other.clone(),
            };
            if blocker.is_some() {
                let id = action_map[&a.id];
                self.update_columns("ic_actions", id, blocker_columns(blocker.as_ref()).to_vec())
                    .await?;
            }
        }
        for c in plan
            .controls
            .iter()
            .filter(|c| what.controls.contains(&c.id))
        {
            let id = self
                .copy_control(next_id, c, (Some(c.id), None), true, "carry_over")
                .await?;
            done.controls.push((c.id, id));
        }
        let carried_any =
            !(done.risks.is_empty() && done.actions.is_empty() && done.controls.is_empty());
        if done.created || carried_any {
            self.log(
                "carry_over",
                ObjectKind::ControlPlan.log_type(),
                Some(next_id),
                None,
                Some(serde_json::json!({
                    "from": plan_id,
                    "risks": done.risks.len(),
                    "actions": done.actions.len(),
                    "controls": done.controls.len(),
                })),
            )
            .await?;
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_moves_a_year_on() {
        assert_eq!(next_year("2019-12-31"), "2020-12-31");
        assert_eq!(next_year("2020-02-29"), "2021-02-28");
        assert_eq!(next_year("snart"), "snart");
    }

    #[test]
    fn cause_keys_name_their_objects() {
        assert!(matches!(
            cause_of(&findings_cause_key(7)),
            Some(Cause::Occurrence(7))
        ));
        assert!(matches!(
            cause_of(&unfinished_cause_key(3, 2019)),
            Some(Cause::Action(3))
        ));
        assert!(cause_of("indicator:1").is_none());
    }
}
