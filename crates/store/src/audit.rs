//! Audit recommendations (revisionens granskningar): the auditors' audits with their
//! questions, numbered recommendations (with addressees, the questions they answer and
//! what they issue again), the boards' responses, the auditors' yearly verdicts, the
//! boards' links to internal control and the audit report (PDF).
//!
//! Reads load whole audits table by table: a fixed number of queries (one per table)
//! however many audits. Writes are [`Writer`] methods: each applies the domain's rule
//! first (`uppsikt_domain::audit::validate*`, `check_report`; refusals are
//! [`StoreError::Audit`]), then writes and logs the change (`audit`, `audit_question`,
//! `audit_response` and `audit_report` under the audit's id; `audit_recommendation`,
//! `audit_verdict` and `audit_ic_link` under the recommendation's). A response is refused
//! in a year a decision locked for the responding board, and it decides the deviation
//! each of its recommendations raises for the board (raised first if need be, once by
//! cause key); a changed response corrects that decision, so the history keeps both.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::FromRow;
use uppsikt_domain::audit::{
    cause_key, check_report, deviation_candidates, deviation_for, reissue_would_cycle,
    response_decision, validate, validate_response, validate_verdict, ActionFacts, Assessment,
    Audit, AuditKind, AuditRefusal, Criterion, CriterionRef, Grade, IcLink, IcTarget, Question,
    Recommendation, ReportFile, Response, ResponseItem, Stance, SubQuestion, Verdict,
};
use uppsikt_domain::case_ref::CaseRef;
use uppsikt_domain::deviation::{ActionState, DecidingBody, NewDeviation, Source};
use uppsikt_domain::internal_control::ActionStatus;
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::Period;

use crate::deviation_sources::{BoxFuture, DeviationSource, DueDeviations};
use crate::sql::{rows_for, rows_with};
use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// The change-log type of an audit's question (logged under the audit's id).
pub const QUESTION_LOG_TYPE: &str = "audit_question";
/// The change-log type of a board's response (logged under the audit's id).
pub const RESPONSE_LOG_TYPE: &str = "audit_response";
/// The change-log type of the attached audit report (logged under the audit's id).
pub const REPORT_LOG_TYPE: &str = "audit_report";
/// The change-log type of a verdict (logged under the recommendation's id).
pub const VERDICT_LOG_TYPE: &str = "audit_verdict";
/// The change-log type of a link to internal control (logged under the recommendation's id).
pub const IC_LINK_LOG_TYPE: &str = "audit_ic_link";

/// An audit's own fields (everything of [`Audit`] but its id, questions, recommendations,
/// responses and report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditHeader {
    pub title: String,
    /// The revisionsplan year.
    pub plan_year: i32,
    pub kind: AuditKind,
    pub commissioned_by: String,
    pub performed_by: String,
    /// The audited boards, in order (the first owns the audit).
    pub audited_units: Vec<Id>,
    pub case_ref: Option<CaseRef>,
    /// ISO date.
    pub issued_on: Option<String>,
    /// ISO date.
    pub response_due: Option<String>,
    pub purpose: String,
    pub scope: String,
    pub method: String,
    pub criteria: Vec<Criterion>,
    pub fact_checked: bool,
    pub overall: Option<Assessment>,
    pub overall_text: String,
    pub signatories: Vec<String>,
    /// For a follow-up: the audits it follows up (they must exist).
    pub follows_up: Vec<Id>,
}

impl Default for AuditHeader {
    fn default() -> AuditHeader {
        AuditHeader {
            title: String::new(),
            plan_year: 0,
            kind: AuditKind::Review,
            commissioned_by: String::new(),
            performed_by: String::new(),
            audited_units: Vec::new(),
            case_ref: None,
            issued_on: None,
            response_due: None,
            purpose: String::new(),
            scope: String::new(),
            method: String::new(),
            criteria: Vec::new(),
            fact_checked: false,
            overall: None,
            overall_text: String::new(),
            signatories: Vec::new(),
            follows_up: Vec::new(),
        }
    }
}

impl AuditHeader {
    /// The header of a stored audit.
    pub fn of(a: &Audit) -> AuditHeader {
        AuditHeader {
            title: a.title.clone(),
            plan_year: a.plan_year,
            kind: a.kind,
            commissioned_by: a.commissioned_by.clone(),
            performed_by: a.performed_by.clone(),
            audited_units: a.audited_units.clone(),
            case_ref: a.case_ref.clone(),
            issued_on: a.issued_on.clone(),
            response_due: a.response_due.clone(),
            purpose: a.purpose.clone(),
            scope: a.scope.clone(),
            method: a.method.clone(),
            criteria: a.criteria.clone(),
            fact_checked: a.fact_checked,
            overall: a.overall,
            overall_text: a.overall_text.clone(),
            signatories: a.signatories.clone(),
            follows_up: a.follows_up.clone(),
        }
    }
}

/// A question as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QuestionInput {
    /// 1, 2, … unique within the audit.
    pub number: u16,
    pub text: String,
    pub assessment: Option<Assessment>,
    pub reasoning: String,
    pub sub_questions: Vec<SubQuestion>,
}

impl QuestionInput {
    pub fn of(q: &Question) -> QuestionInput {
        QuestionInput {
            number: q.number,
            text: q.text.clone(),
            assessment: q.assessment,
            reasoning: q.reasoning.clone(),
            sub_questions: q.sub_questions.clone(),
        }
    }
}

/// A recommendation as entered (its verdicts and links to internal control are written
/// by their own writes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecommendationInput {
    /// "1", "1a", "IK-1": unique within the audit.
    pub number: String,
    pub text: String,
    /// The boards it is addressed to (at least one).
    pub addressees: Vec<Id>,
    /// The numbers of the audit's questions it answers.
    pub questions: Vec<u16>,
    /// The earlier recommendation (of any audit) it issues again.
    pub reissues: Option<Id>,
}

impl RecommendationInput {
    pub fn of(r: &Recommendation) -> RecommendationInput {
        RecommendationInput {
            number: r.number.clone(),
            text: r.text.clone(),
            addressees: r.addressees.clone(),
            questions: r.questions.clone(),
            reissues: r.reissues,
        }
    }
}

/// A whole new audit: its header, questions and recommendations, written in one go.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuditInput {
    pub header: AuditHeader,
    pub questions: Vec<QuestionInput>,
    pub recommendations: Vec<RecommendationInput>,
}

/// The auditors' verdict on a recommendation in a follow-up year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictInput {
    pub year: i32,
    pub grade: Grade,
    pub text: String,
    pub evidence: String,
    pub closes: bool,
}

/// A board's decided response to an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseInput {
    pub audit_id: Id,
    /// The responding board (an addressee of the audit's recommendations).
    pub unit_id: Id,
    pub body: DecidingBody,
    /// "tjänsteutlåtande", "protokollsutdrag".
    pub document: String,
    /// ISO date.
    pub decided_on: String,
    /// "§ 9" or empty.
    pub paragraph: String,
    pub case_ref: Option<CaseRef>,
    /// A stance per recommendation addressed to the board.
    pub items: Vec<ResponseItem>,
}

impl ResponseInput {
    pub fn of(r: &Response) -> ResponseInput {
        ResponseInput {
            audit_id: r.audit_id,
            unit_id: r.unit_id,
            body: r.body,
            document: r.document.clone(),
            decided_on: r.decided_on.clone(),
            paragraph: r.paragraph.clone(),
            case_ref: r.case_ref.clone(),
            items: r.items.clone(),
        }
    }

    fn response(&self, id: Id) -> Response {
        Response {
            id,
            audit_id: self.audit_id,
            unit_id: self.unit_id,
            body: self.body,
            document: self.document.trim().to_string(),
            decided_on: self.decided_on.trim().to_string(),
            paragraph: self.paragraph.trim().to_string(),
            case_ref: self.case_ref.clone(),
            items: self.items.clone(),
        }
    }
}

// --- rows -------------------------------------------------------------------------------

const AUDIT_COLUMNS: &str = "a.id, a.title, a.plan_year, a.kind, a.commissioned_by, \
     a.performed_by, a.case_ref, a.case_body, a.case_year, a.case_serial, a.case_class, \
     a.issued_on, a.response_due, a.purpose, a.scope, a.method, a.fact_checked, a.overall, \
     a.overall_text";

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    title: String,
    plan_year: i64,
    kind: String,
    commissioned_by: String,
    performed_by: String,
    case_ref: Option<String>,
    case_body: Option<String>,
    case_year: Option<i64>,
    case_serial: Option<i64>,
    case_class: Option<String>,
    issued_on: Option<String>,
    response_due: Option<String>,
    purpose: String,
    scope: String,
    method: String,
    fact_checked: i64,
    overall: Option<String>,
    overall_text: String,
}

#[derive(FromRow)]
struct CriterionRow {
    audit_id: i64,
    text: String,
    ref_kind: Option<String>,
    ref_id: Option<String>,
}

#[derive(FromRow)]
struct QuestionRow {
    id: i64,
    audit_id: i64,
    number: i64,
    text: String,
    assessment: Option<String>,
    reasoning: String,
}

#[derive(FromRow)]
struct SubQuestionRow {
    question_id: i64,
    text: String,
    assessment: Option<String>,
}

#[derive(FromRow)]
struct RecRow {
    id: i64,
    audit_id: i64,
    number: String,
    text: String,
    reissues_id: Option<i64>,
}

#[derive(FromRow)]
struct VerdictRow {
    id: i64,
    rec_id: i64,
    year: i64,
    grade: String,
    text: String,
    evidence: String,
    closes: i64,
}

#[derive(FromRow)]
struct LinkRow {
    rec_id: i64,
    org_id: i64,
    target_kind: String,
    target_id: i64,
}

#[derive(FromRow)]
struct ResponseRow {
    id: i64,
    audit_id: i64,
    org_id: i64,
    body: String,
    document: String,
    decided_on: String,
    paragraph: String,
    case_ref: Option<String>,
    case_body: Option<String>,
    case_year: Option<i64>,
    case_serial: Option<i64>,
    case_class: Option<String>,
}

#[derive(FromRow)]
struct ItemRow {
    response_id: i64,
    rec_id: i64,
    stance: String,
    stance_text: String,
    comment: String,
}

/// A link to internal control with what it links to: (recommendation, unit, target kind,
/// the action's status, its plan's year, the control's or risk's id).
type FactLinkRow = (i64, i64, String, Option<String>, Option<i64>, Option<i64>);

#[derive(FromRow)]
struct ReportRow {
    audit_id: i64,
    file_name: String,
    size: i64,
    sha256: String,
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("audit {what} {value:?}"))
}

fn refused(r: AuditRefusal) -> StoreError {
    StoreError::Audit(r)
}

fn year_from(y: i64) -> Result<i32> {
    i32::try_from(y).map_err(|_| corrupt("year", y))
}

fn assessment_from(code: Option<&str>) -> Result<Option<Assessment>> {
    code.map(|c| Assessment::parse(c).ok_or_else(|| corrupt("assessment", c)))
        .transpose()
}

fn case_ref_from(
    text: Option<String>,
    body: Option<String>,
    year: Option<i64>,
    serial: Option<i64>,
    class: Option<String>,
) -> Result<Option<CaseRef>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let year = year.ok_or_else(|| corrupt("case number year", &text))?;
    let serial = serial.ok_or_else(|| corrupt("case number serial", &text))?;
    Ok(Some(CaseRef {
        year: year_from(year)?,
        serial: u32::try_from(serial).map_err(|_| corrupt("case number serial", serial))?,
        text,
        body,
        class,
    }))
}

/// A case number's columns (`case_ref`, `case_body`, `case_year`, `case_serial`,
/// `case_class`).
fn case_ref_columns(c: Option<&CaseRef>) -> Vec<(&'static str, Bind)> {
    vec![
        ("case_ref", Bind::OptText(c.map(|c| c.text.clone()))),
        ("case_body", Bind::OptText(c.and_then(|c| c.body.clone()))),
        ("case_year", Bind::OptInt(c.map(|c| i64::from(c.year)))),
        ("case_serial", Bind::OptInt(c.map(|c| i64::from(c.serial)))),
        ("case_class", Bind::OptText(c.and_then(|c| c.class.clone()))),
    ]
}

fn audit_from(r: AuditRow) -> Result<Audit> {
    Ok(Audit {
        id: r.id,
        plan_year: year_from(r.plan_year)?,
        kind: AuditKind::parse(&r.kind).ok_or_else(|| corrupt("kind", &r.kind))?,
        case_ref: case_ref_from(
            r.case_ref,
            r.case_body,
            r.case_year,
            r.case_serial,
            r.case_class,
        )?,
        overall: assessment_from(r.overall.as_deref())?,
        title: r.title,
        commissioned_by: r.commissioned_by,
        performed_by: r.performed_by,
        audited_units: Vec::new(),
        issued_on: r.issued_on,
        response_due: r.response_due,
        purpose: r.purpose,
        scope: r.scope,
        method: r.method,
        criteria: Vec::new(),
        fact_checked: r.fact_checked != 0,
        overall_text: r.overall_text,
        signatories: Vec::new(),
        follows_up: Vec::new(),
        questions: Vec::new(),
        recommendations: Vec::new(),
        responses: Vec::new(),
        report: None,
    })
}

fn criterion_from(r: CriterionRow) -> Result<Criterion> {
    let refers_to = match (r.ref_kind.as_deref(), r.ref_id) {
        (None, _) => None,
        (Some("statute"), Some(id)) => Some(CriterionRef::Statute(id)),
        (Some("rule"), Some(id)) => Some(CriterionRef::Rule(id)),
        (Some(other), _) => return Err(corrupt("criterion reference", other)),
    };
    Ok(Criterion {
        text: r.text,
        refers_to,
    })
}

fn criterion_columns(c: &Criterion) -> [(&'static str, Bind); 3] {
    let (kind, id) = match &c.refers_to {
        Some(CriterionRef::Statute(id)) => (Some("statute"), Some(id.clone())),
        Some(CriterionRef::Rule(id)) => (Some("rule"), Some(id.clone())),
        None => (None, None),
    };
    [
        ("text", Bind::Text(c.text.trim().to_string())),
        ("ref_kind", Bind::OptText(kind.map(str::to_string))),
        ("ref_id", Bind::OptText(id)),
    ]
}

fn verdict_from(r: VerdictRow) -> Result<Verdict> {
    Ok(Verdict {
        id: r.id,
        year: year_from(r.year)?,
        grade: Grade::parse(&r.grade).ok_or_else(|| corrupt("grade", &r.grade))?,
        text: r.text,
        evidence: r.evidence,
        closes: r.closes != 0,
    })
}

fn response_from(r: ResponseRow) -> Result<Response> {
    Ok(Response {
        id: r.id,
        audit_id: r.audit_id,
        unit_id: r.org_id,
        body: DecidingBody::parse(&r.body).ok_or_else(|| corrupt("deciding body", &r.body))?,
        document: r.document,
        decided_on: r.decided_on,
        paragraph: r.paragraph,
        case_ref: case_ref_from(
            r.case_ref,
            r.case_body,
            r.case_year,
            r.case_serial,
            r.case_class,
        )?,
        items: Vec::new(),
    })
}

fn item_from(r: ItemRow) -> Result<ResponseItem> {
    Ok(ResponseItem {
        recommendation_id: r.rec_id,
        stance: Stance::from_parts(&r.stance, &r.stance_text)
            .map_err(|_| corrupt("stance", &r.stance))?,
        comment: r.comment,
    })
}

/// Which audits to load.
#[derive(Clone, Copy)]
enum Which {
    All,
    One(Id),
}

impl Which {
    /// The condition selecting the rows whose audit id is `column`.
    fn on(self, column: &str) -> String {
        match self {
            Which::All => "1 = 1".into(),
            Which::One(_) => format!("{column} = $1"),
        }
    }
}

/// The rows of `sql`, which has `$1` (the audit's id) for one audit.
async fn fetch<T>(conn: &mut sqlx::AnyConnection, sql: &str, which: Which) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    #[cfg(feature = "testing")]
    crate::testing::count_audit_query();
    let id = match which {
        Which::All => Vec::new(),
        Which::One(id) => vec![Bind::Int(id)],
    };
    rows_with(conn, sql, &id).await
}

/// The selected audits, whole, by plan year (newest first) and id: fifteen queries (one
/// per table) however many audits.
async fn load_audits(conn: &mut sqlx::AnyConnection, which: Which) -> Result<Vec<Audit>> {
    let rows: Vec<AuditRow> = fetch(
        conn,
        &format!(
            "SELECT {AUDIT_COLUMNS} FROM audits a WHERE {} ORDER BY a.plan_year DESC, a.id",
            which.on("a.id")
        ),
        which,
    )
    .await?;
    let mut audits = rows
        .into_iter()
        .map(audit_from)
        .collect::<Result<Vec<_>>>()?;
    if audits.is_empty() {
        return Ok(audits);
    }
    let units: Vec<(i64, i64)> = fetch(
        conn,
        &format!(
            "SELECT u.audit_id, u.org_id FROM audit_units u WHERE {} ORDER BY u.audit_id, u.position",
            which.on("u.audit_id")
        ),
        which,
    )
    .await?;
    let criteria: Vec<CriterionRow> = fetch(
        conn,
        &format!(
            "SELECT c.audit_id, c.text, c.ref_kind, c.ref_id FROM audit_criteria c WHERE {} \
             ORDER BY c.audit_id, c.position, c.id",
            which.on("c.audit_id")
        ),
        which,
    )
    .await?;
    let signatories: Vec<(i64, String)> = fetch(
        conn,
        &format!(
            "SELECT s.audit_id, s.name FROM audit_signatories s WHERE {} \
             ORDER BY s.audit_id, s.position, s.id",
            which.on("s.audit_id")
        ),
        which,
    )
    .await?;
    let follows: Vec<(i64, i64)> = fetch(
        conn,
        &format!(
            "SELECT f.audit_id, f.followed_id FROM audit_follows_up f WHERE {} \
             ORDER BY f.audit_id, f.position",
            which.on("f.audit_id")
        ),
        which,
    )
    .await?;
    let questions: Vec<QuestionRow> = fetch(
        conn,
        &format!(
            "SELECT q.id, q.audit_id, q.number, q.text, q.assessment, q.reasoning \
             FROM audit_questions q WHERE {} ORDER BY q.audit_id, q.number",
            which.on("q.audit_id")
        ),
        which,
    )
    .await?;
    let subs: Vec<SubQuestionRow> = fetch(
        conn,
        &format!(
            "SELECT s.question_id, s.text, s.assessment FROM audit_sub_questions s \
             JOIN audit_questions q ON q.id = s.question_id WHERE {} \
             ORDER BY s.question_id, s.position, s.id",
            which.on("q.audit_id")
        ),
        which,
    )
    .await?;
    let recs: Vec<RecRow> = fetch(
        conn,
        &format!(
            "SELECT r.id, r.audit_id, r.number, r.text, r.reissues_id FROM audit_recommendations r \
             WHERE {} ORDER BY r.audit_id, r.position, r.id",
            which.on("r.audit_id")
        ),
        which,
    )
    .await?;
    let addressees: Vec<(i64, i64)> = fetch(
        conn,
        &format!(
            "SELECT ra.rec_id, ra.org_id FROM audit_rec_addressees ra \
             JOIN audit_recommendations r ON r.id = ra.rec_id WHERE {} \
             ORDER BY ra.rec_id, ra.position",
            which.on("r.audit_id")
        ),
        which,
    )
    .await?;
    let rec_questions: Vec<(i64, i64)> = fetch(
        conn,
        &format!(
            "SELECT rq.rec_id, rq.question_number FROM audit_rec_questions rq \
             JOIN audit_recommendations r ON r.id = rq.rec_id WHERE {} \
             ORDER BY rq.rec_id, rq.position",
            which.on("r.audit_id")
        ),
        which,
    )
    .await?;
    let verdicts: Vec<VerdictRow> = fetch(
        conn,
        &format!(
            "SELECT v.id, v.rec_id, v.year, v.grade, v.text, v.evidence, v.closes \
             FROM audit_verdicts v JOIN audit_recommendations r ON r.id = v.rec_id WHERE {} \
             ORDER BY v.rec_id, v.year",
            which.on("r.audit_id")
        ),
        which,
    )
    .await?;
    let links: Vec<LinkRow> = fetch(
        conn,
        &format!(
            "SELECT l.rec_id, l.org_id, l.target_kind, l.target_id FROM audit_ic_links l \
             JOIN audit_recommendations r ON r.id = l.rec_id WHERE {} ORDER BY l.rec_id, l.id",
            which.on("r.audit_id")
        ),
        which,
    )
    .await?;
    let responses: Vec<ResponseRow> = fetch(
        conn,
        &format!(
            "SELECT p.id, p.audit_id, p.org_id, p.body, p.document, p.decided_on, p.paragraph, \
             p.case_ref, p.case_body, p.case_year, p.case_serial, p.case_class \
             FROM audit_responses p WHERE {} ORDER BY p.audit_id, p.decided_on, p.id",
            which.on("p.audit_id")
        ),
        which,
    )
    .await?;
    let items: Vec<ItemRow> = fetch(
        conn,
        &format!(
            "SELECT i.response_id, i.rec_id, i.stance, i.stance_text, i.comment \
             FROM audit_response_items i JOIN audit_responses p ON p.id = i.response_id \
             WHERE {} ORDER BY i.response_id, i.position, i.id",
            which.on("p.audit_id")
        ),
        which,
    )
    .await?;
    let reports: Vec<ReportRow> = fetch(
        conn,
        &format!(
            "SELECT p.audit_id, p.file_name, p.size, p.sha256 FROM audit_reports p WHERE {}",
            which.on("p.audit_id")
        ),
        which,
    )
    .await?;

    let index: HashMap<Id, usize> = audits.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let at = |audit_id: Id| {
        index
            .get(&audit_id)
            .copied()
            .ok_or_else(|| corrupt("row of audit", audit_id))
    };
    for (audit_id, org) in units {
        audits[at(audit_id)?].audited_units.push(org);
    }
    for c in criteria {
        let i = at(c.audit_id)?;
        audits[i].criteria.push(criterion_from(c)?);
    }
    for (audit_id, name) in signatories {
        audits[at(audit_id)?].signatories.push(name);
    }
    for (audit_id, followed) in follows {
        audits[at(audit_id)?].follows_up.push(followed);
    }
    let mut subs_of: HashMap<Id, Vec<SubQuestion>> = HashMap::new();
    for s in subs {
        subs_of.entry(s.question_id).or_default().push(SubQuestion {
            assessment: assessment_from(s.assessment.as_deref())?,
            text: s.text,
        });
    }
    for q in questions {
        let i = at(q.audit_id)?;
        audits[i].questions.push(Question {
            id: q.id,
            number: u16::try_from(q.number).map_err(|_| corrupt("question number", q.number))?,
            assessment: assessment_from(q.assessment.as_deref())?,
            sub_questions: subs_of.remove(&q.id).unwrap_or_default(),
            text: q.text,
            reasoning: q.reasoning,
        });
    }
    let mut addressees_of: HashMap<Id, Vec<Id>> = HashMap::new();
    for (rec, org) in addressees {
        addressees_of.entry(rec).or_default().push(org);
    }
    let mut questions_of: HashMap<Id, Vec<u16>> = HashMap::new();
    for (rec, number) in rec_questions {
        let n = u16::try_from(number).map_err(|_| corrupt("question number", number))?;
        questions_of.entry(rec).or_default().push(n);
    }
    let mut verdicts_of: HashMap<Id, Vec<Verdict>> = HashMap::new();
    for v in verdicts {
        let rec = v.rec_id;
        verdicts_of.entry(rec).or_default().push(verdict_from(v)?);
    }
    let mut links_of: HashMap<Id, Vec<IcLink>> = HashMap::new();
    for l in links {
        let target = IcTarget::parse(&l.target_kind, l.target_id)
            .ok_or_else(|| corrupt("link", &l.target_kind))?;
        links_of.entry(l.rec_id).or_default().push(IcLink {
            unit_id: l.org_id,
            target,
        });
    }
    for r in recs {
        let i = at(r.audit_id)?;
        audits[i].recommendations.push(Recommendation {
            id: r.id,
            audit_id: r.audit_id,
            number: r.number,
            text: r.text,
            addressees: addressees_of.remove(&r.id).unwrap_or_default(),
            questions: questions_of.remove(&r.id).unwrap_or_default(),
            reissues: r.reissues_id,
            verdicts: verdicts_of.remove(&r.id).unwrap_or_default(),
            ic_links: links_of.remove(&r.id).unwrap_or_default(),
        });
    }
    let mut items_of: HashMap<Id, Vec<ResponseItem>> = HashMap::new();
    for item in items {
        let response = item.response_id;
        items_of.entry(response).or_default().push(item_from(item)?);
    }
    for r in responses {
        let i = at(r.audit_id)?;
        let mut response = response_from(r)?;
        response.items = items_of.remove(&response.id).unwrap_or_default();
        audits[i].responses.push(response);
    }
    for r in reports {
        let i = at(r.audit_id)?;
        audits[i].report = Some(ReportFile {
            file_name: r.file_name,
            bytes: usize::try_from(r.size).map_err(|_| corrupt("report size", r.size))?,
            sha256: r.sha256,
        });
    }
    Ok(audits)
}

async fn load_audit(conn: &mut sqlx::AnyConnection, id: Id) -> Result<Audit> {
    load_audits(conn, Which::One(id))
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("audit", id))
}

/// The prefix of the cause keys audit recommendations raise (`audit::cause_key`).
const CAUSE_PREFIX: &str = "audit-recommendation:";

/// (recommendation id, unit id) of an audit recommendation's cause key.
fn cause_of(key: &str) -> Option<(Id, Id)> {
    let rest = key.strip_prefix(CAUSE_PREFIX)?;
    let (rec, unit) = rest.split_once(':')?;
    Some((rec.parse().ok()?, unit.parse().ok()?))
}

/// The year of an ISO date (a date without one: no year has ended).
fn year_of(date: &str) -> i32 {
    date.get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(i32::MAX)
}

impl Store {
    /// Every audit, whole, by plan year (newest first) and id: a fixed number of queries
    /// however many.
    pub async fn audits(&self) -> Result<Vec<Audit>> {
        let mut conn = self.pool.acquire().await?;
        load_audits(&mut conn, Which::All).await
    }

    /// One audit, whole; not found (`audit`) if none.
    pub async fn audit(&self, id: Id) -> Result<Audit> {
        let mut conn = self.pool.acquire().await?;
        load_audit(&mut conn, id).await
    }

    /// The audit an audit object belongs to (an audit: itself; a recommendation: its
    /// audit); not found for another kind or a missing object.
    pub async fn audit_id_of(&self, kind: ObjectKind, id: Id) -> Result<Id> {
        let sql = match kind {
            ObjectKind::Audit => "SELECT id FROM audits WHERE id = $1",
            ObjectKind::Recommendation => {
                "SELECT audit_id FROM audit_recommendations WHERE id = $1"
            }
            _ => return Err(StoreError::not_found(kind.log_type(), id)),
        };
        let audit: Option<i64> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        audit.ok_or_else(|| StoreError::not_found(kind.log_type(), id))
    }

    /// The attached audit report with its bytes, if any.
    pub async fn audit_report(&self, audit_id: Id) -> Result<Option<(ReportFile, Vec<u8>)>> {
        let row: Option<(String, i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT file_name, size, sha256, bytes FROM audit_reports WHERE audit_id = $1",
        )
        .bind(audit_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(file_name, size, sha256, bytes)| {
            Ok((
                ReportFile {
                    file_name,
                    bytes: usize::try_from(size).map_err(|_| corrupt("report size", size))?,
                    sha256,
                },
                bytes,
            ))
        })
        .transpose()
    }

    /// (recommendation id, unit id) → what the board has done about it on `today` (ISO):
    /// the actions on the recommendation's deviation for the board (cause key
    /// `audit::cause_key`; cancelled ones do not count; overdue = past its due date and
    /// not done) and the linked items of internal control (an action: done when its
    /// status is done, overdue when not done and its plan's year has ended; a control or a
    /// risk counts as planned). Two queries.
    pub async fn audit_action_facts(&self, today: &str) -> Result<HashMap<(Id, Id), ActionFacts>> {
        let mut facts: HashMap<(Id, Id), ActionFacts> = HashMap::new();
        let actions: Vec<(Option<String>, String, String)> = sqlx::query_as(
            "SELECT d.cause_key, a.state, a.due FROM deviations d \
             JOIN deviation_actions a ON a.deviation_id = d.id \
             WHERE d.source = $1 AND d.cause_key LIKE $2",
        )
        .bind(Source::AuditRecommendation.code())
        .bind(format!("{CAUSE_PREFIX}%"))
        .fetch_all(&self.pool)
        .await?;
        for (key, state, due) in actions {
            let Some(at) = key.as_deref().and_then(cause_of) else {
                continue;
            };
            let state =
                ActionState::parse(&state).ok_or_else(|| corrupt("action state", &state))?;
            if state == ActionState::Cancelled {
                continue;
            }
            let f = facts.entry(at).or_default();
            f.planned += 1;
            if state == ActionState::Done {
                f.done += 1;
            } else if due.as_str() < today {
                f.overdue += 1;
            }
        }
        let this_year = i64::from(year_of(today));
        let links: Vec<FactLinkRow> = sqlx::query_as(
            "SELECT l.rec_id, l.org_id, l.target_kind, a.status, p.year, \
                 COALESCE(c.id, r.id) FROM audit_ic_links l \
                 LEFT JOIN ic_actions a ON l.target_kind = 'ic_action' AND a.id = l.target_id \
                 LEFT JOIN control_plans p ON p.id = a.plan_id \
                 LEFT JOIN ic_controls c ON l.target_kind = 'ic_control' AND c.id = l.target_id \
                 LEFT JOIN ic_risks r ON l.target_kind = 'ic_risk' AND r.id = l.target_id",
        )
        .fetch_all(&self.pool)
        .await?;
        for (rec, unit, kind, status, year, other) in links {
            let f = match (kind.as_str(), status, year, other) {
                ("ic_action", Some(status), Some(year), _) => {
                    let f = facts.entry((rec, unit)).or_default();
                    f.planned += 1;
                    if status == ActionStatus::Done.code() {
                        f.done += 1;
                    } else if year < this_year {
                        f.overdue += 1;
                    }
                    continue;
                }
                ("ic_control" | "ic_risk", _, _, Some(_)) => facts.entry((rec, unit)).or_default(),
                // A link to an item that is gone counts for nothing.
                _ => continue,
            };
            f.planned += 1;
        }
        Ok(facts)
    }

    /// Cause key → deviation id of the deviations audit recommendations raised (for
    /// links from the audit's pages).
    pub async fn audit_deviations(&self) -> Result<HashMap<String, Id>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, cause_key FROM deviations WHERE source = $1 AND cause_key LIKE $2",
        )
        .bind(Source::AuditRecommendation.code())
        .bind(format!("{CAUSE_PREFIX}%"))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id, key)| (key, id)).collect())
    }
}

// --- deviations -------------------------------------------------------------------------

/// Audit recommendations: every recommendation × addressee of the audits of a plan year
/// that is not closed (`domain::audit::deviation_candidates`).
pub struct AuditSource;

struct AuditsDue(Vec<Audit>);

impl DeviationSource for AuditSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        _today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(
            async move { Ok(Box::new(AuditsDue(store.audits().await?)) as Box<dyn DueDeviations>) },
        )
    }
}

impl DueDeviations for AuditsDue {
    fn years(&self) -> Vec<i32> {
        self.0.iter().map(|a| a.plan_year).collect()
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        deviation_candidates(&self.0, year)
    }
}

// --- writes -----------------------------------------------------------------------------

fn json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

fn opt_text(v: Option<&str>) -> Bind {
    Bind::OptText(v.map(str::to_string))
}

/// The header's columns of `audits`.
fn header_columns(h: &AuditHeader) -> Vec<(&'static str, Bind)> {
    let mut cols = vec![
        ("title", Bind::Text(h.title.trim().to_string())),
        ("plan_year", Bind::Int(i64::from(h.plan_year))),
        ("kind", Bind::Text(h.kind.code().into())),
        (
            "commissioned_by",
            Bind::Text(h.commissioned_by.trim().to_string()),
        ),
        (
            "performed_by",
            Bind::Text(h.performed_by.trim().to_string()),
        ),
        ("issued_on", opt_text(h.issued_on.as_deref())),
        ("response_due", opt_text(h.response_due.as_deref())),
        ("purpose", Bind::Text(h.purpose.clone())),
        ("scope", Bind::Text(h.scope.clone())),
        ("method", Bind::Text(h.method.clone())),
        ("fact_checked", Bind::Int(i64::from(h.fact_checked))),
        ("overall", opt_text(h.overall.map(Assessment::code))),
        ("overall_text", Bind::Text(h.overall_text.clone())),
    ];
    cols.extend(case_ref_columns(h.case_ref.as_ref()));
    cols
}

/// An audit as the domain checks it, from its parts (new parts have id 0).
fn audit_of(id: Id, h: &AuditHeader) -> Audit {
    Audit {
        id,
        title: h.title.clone(),
        plan_year: h.plan_year,
        kind: h.kind,
        commissioned_by: h.commissioned_by.clone(),
        performed_by: h.performed_by.clone(),
        audited_units: h.audited_units.clone(),
        case_ref: h.case_ref.clone(),
        issued_on: h.issued_on.clone(),
        response_due: h.response_due.clone(),
        purpose: h.purpose.clone(),
        scope: h.scope.clone(),
        method: h.method.clone(),
        criteria: h.criteria.clone(),
        fact_checked: h.fact_checked,
        overall: h.overall,
        overall_text: h.overall_text.clone(),
        signatories: h.signatories.clone(),
        follows_up: h.follows_up.clone(),
        questions: Vec::new(),
        recommendations: Vec::new(),
        responses: Vec::new(),
        report: None,
    }
}

fn question_of(id: Id, q: &QuestionInput) -> Question {
    Question {
        id,
        number: q.number,
        text: q.text.clone(),
        assessment: q.assessment,
        reasoning: q.reasoning.clone(),
        sub_questions: q.sub_questions.clone(),
    }
}

fn recommendation_of(id: Id, audit_id: Id, r: &RecommendationInput) -> Recommendation {
    Recommendation {
        id,
        audit_id,
        number: r.number.trim().to_string(),
        text: r.text.clone(),
        addressees: r.addressees.clone(),
        questions: r.questions.clone(),
        reissues: r.reissues,
        verdicts: Vec::new(),
        ic_links: Vec::new(),
    }
}

/// `ids` without repeats, in first-seen order.
pub(crate) fn distinct(ids: &[Id]) -> Vec<Id> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// An ISO date, or the refusal that names the field.
fn check_date(date: Option<&str>, what: &'static str) -> Result<()> {
    match date {
        Some(d) if uppsikt_domain::date::parse_iso_date(d).is_err() => {
            Err(refused(AuditRefusal::Required(what)))
        }
        _ => Ok(()),
    }
}

fn check_header(h: &AuditHeader) -> Result<()> {
    check_date(h.issued_on.as_deref(), "issued_on")?;
    check_date(h.response_due.as_deref(), "response_due")?;
    if !(1900..=2200).contains(&h.plan_year) {
        return Err(refused(AuditRefusal::Required("plan_year")));
    }
    Ok(())
}

impl Writer {
    /// An audit as this transaction sees it, whole.
    pub async fn audit_in_tx(&mut self, audit_id: Id) -> Result<Audit> {
        load_audit(&mut self.tx, audit_id).await
    }

    /// The audit a recommendation belongs to, whole.
    async fn audit_of_rec(&mut self, rec_id: Id) -> Result<Audit> {
        let audit: Option<i64> =
            sqlx::query_scalar("SELECT audit_id FROM audit_recommendations WHERE id = $1")
                .bind(rec_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let audit = audit.ok_or_else(|| StoreError::not_found("audit_recommendation", rec_id))?;
        self.audit_in_tx(audit).await
    }

    /// Refuses ids of `table` that do not exist (not found as `kind`).
    pub(crate) async fn ensure_exist(
        &mut self,
        table: &str,
        kind: &'static str,
        ids: &[Id],
    ) -> Result<()> {
        let ids = distinct(ids);
        if ids.is_empty() {
            return Ok(());
        }
        let found: Vec<i64> = rows_for::<(i64,)>(
            &mut self.tx,
            &format!("SELECT id FROM {table} WHERE id IN (@IDS@)"),
            &ids,
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
        match ids.iter().find(|id| !found.contains(id)) {
            Some(missing) => Err(StoreError::not_found(kind, missing)),
            None => Ok(()),
        }
    }

    /// The header's parts that live in their own tables, written anew.
    async fn write_header_parts(&mut self, audit_id: Id, h: &AuditHeader) -> Result<()> {
        for table in [
            "audit_units",
            "audit_criteria",
            "audit_signatories",
            "audit_follows_up",
        ] {
            self.execute(
                &format!("DELETE FROM {table} WHERE audit_id = $1"),
                vec![Bind::Int(audit_id)],
            )
            .await?;
        }
        for (i, org) in distinct(&h.audited_units).into_iter().enumerate() {
            self.execute(
                "INSERT INTO audit_units (audit_id, org_id, position) VALUES ($1, $2, $3)",
                vec![Bind::Int(audit_id), Bind::Int(org), Bind::Int(i as i64)],
            )
            .await?;
        }
        for (i, c) in h.criteria.iter().enumerate() {
            let mut cols = vec![
                ("audit_id", Bind::Int(audit_id)),
                ("position", Bind::Int(i as i64)),
            ];
            cols.extend(criterion_columns(c));
            self.insert_columns("audit_criteria", cols).await?;
        }
        for (i, name) in h.signatories.iter().enumerate() {
            self.insert_columns(
                "audit_signatories",
                vec![
                    ("audit_id", Bind::Int(audit_id)),
                    ("position", Bind::Int(i as i64)),
                    ("name", Bind::Text(name.trim().to_string())),
                ],
            )
            .await?;
        }
        for (i, followed) in distinct(&h.follows_up).into_iter().enumerate() {
            self.execute(
                "INSERT INTO audit_follows_up (audit_id, followed_id, position) VALUES ($1, $2, $3)",
                vec![Bind::Int(audit_id), Bind::Int(followed), Bind::Int(i as i64)],
            )
            .await?;
        }
        Ok(())
    }

    /// Checks what a header refers to: its units and the audits it follows up exist.
    async fn check_header_links(&mut self, h: &AuditHeader) -> Result<()> {
        self.ensure_exist("org_units", "org_unit", &h.audited_units)
            .await?;
        self.ensure_exist("audits", "audit", &h.follows_up).await
    }

    /// Checks what a recommendation refers to: its addressees and what it re-issues exist.
    async fn check_rec_links(&mut self, r: &RecommendationInput) -> Result<()> {
        self.ensure_exist("org_units", "org_unit", &r.addressees)
            .await?;
        if let Some(p) = r.reissues {
            self.ensure_exist("audit_recommendations", "audit_recommendation", &[p])
                .await?;
        }
        Ok(())
    }

    async fn insert_question(&mut self, audit_id: Id, q: &QuestionInput) -> Result<Id> {
        let id = self
            .insert_columns(
                "audit_questions",
                vec![
                    ("audit_id", Bind::Int(audit_id)),
                    ("number", Bind::Int(i64::from(q.number))),
                    ("text", Bind::Text(q.text.trim().to_string())),
                    ("assessment", opt_text(q.assessment.map(Assessment::code))),
                    ("reasoning", Bind::Text(q.reasoning.clone())),
                ],
            )
            .await?;
        self.insert_sub_questions(id, &q.sub_questions).await?;
        Ok(id)
    }

    async fn insert_sub_questions(&mut self, question_id: Id, subs: &[SubQuestion]) -> Result<()> {
        for (i, s) in subs.iter().enumerate() {
            self.insert_columns(
                "audit_sub_questions",
                vec![
                    ("question_id", Bind::Int(question_id)),
                    ("position", Bind::Int(i as i64)),
                    ("text", Bind::Text(s.text.trim().to_string())),
                    ("assessment", opt_text(s.assessment.map(Assessment::code))),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// The recommendation's addressees and questions, written anew.
    async fn write_rec_parts(&mut self, rec_id: Id, r: &RecommendationInput) -> Result<()> {
        for table in ["audit_rec_addressees", "audit_rec_questions"] {
            self.execute(
                &format!("DELETE FROM {table} WHERE rec_id = $1"),
                vec![Bind::Int(rec_id)],
            )
            .await?;
        }
        for (i, org) in distinct(&r.addressees).into_iter().enumerate() {
            self.execute(
                "INSERT INTO audit_rec_addressees (rec_id, org_id, position) VALUES ($1, $2, $3)",
                vec![Bind::Int(rec_id), Bind::Int(org), Bind::Int(i as i64)],
            )
            .await?;
        }
        let mut numbers: Vec<u16> = Vec::new();
        for n in &r.questions {
            if !numbers.contains(n) {
                numbers.push(*n);
            }
        }
        for (i, n) in numbers.into_iter().enumerate() {
            self.execute(
                "INSERT INTO audit_rec_questions (rec_id, question_number, position) VALUES ($1, $2, $3)",
                vec![Bind::Int(rec_id), Bind::Int(i64::from(n)), Bind::Int(i as i64)],
            )
            .await?;
        }
        Ok(())
    }

    /// Inserts a recommendation at the end of its audit and logs its creation.
    async fn insert_recommendation(&mut self, audit_id: Id, r: &RecommendationInput) -> Result<Id> {
        let position: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(position), 0) AS BIGINT) + 1 FROM audit_recommendations WHERE audit_id = $1",
        )
        .bind(audit_id)
        .fetch_one(&mut *self.tx)
        .await?;
        let id = self
            .insert_columns(
                "audit_recommendations",
                vec![
                    ("audit_id", Bind::Int(audit_id)),
                    ("number", Bind::Text(r.number.trim().to_string())),
                    ("text", Bind::Text(r.text.trim().to_string())),
                    ("reissues_id", Bind::OptInt(r.reissues)),
                    ("position", Bind::Int(position)),
                ],
            )
            .await?;
        self.write_rec_parts(id, r).await?;
        let mut after = json(r).unwrap_or_default();
        if let Some(o) = after.as_object_mut() {
            o.insert("audit_id".into(), audit_id.into());
        }
        self.log(
            "create",
            ObjectKind::Recommendation.log_type(),
            Some(id),
            None,
            Some(after),
        )
        .await?;
        Ok(id)
    }

    /// Creates an audit with its questions and recommendations in one go (what an import
    /// writes); returns its id. The whole is checked first (`audit::validate`: required
    /// texts, limits, unique numbers, known questions, addressees), and every unit, audit
    /// followed up and recommendation re-issued must exist. Logged as the audit's creation
    /// and each recommendation's.
    pub async fn create_audit(&mut self, a: &AuditInput) -> Result<Id> {
        check_header(&a.header)?;
        let mut audit = audit_of(0, &a.header);
        audit.questions = a.questions.iter().map(|q| question_of(0, q)).collect();
        audit.recommendations = a
            .recommendations
            .iter()
            .map(|r| recommendation_of(0, 0, r))
            .collect();
        validate(&audit).map_err(refused)?;
        self.check_header_links(&a.header).await?;
        for r in &a.recommendations {
            self.check_rec_links(r).await?;
        }
        let id = self
            .insert_columns("audits", header_columns(&a.header))
            .await?;
        self.write_header_parts(id, &a.header).await?;
        for q in &a.questions {
            self.insert_question(id, q).await?;
        }
        let after = serde_json::json!({ "header": &a.header, "questions": &a.questions });
        self.log(
            "create",
            ObjectKind::Audit.log_type(),
            Some(id),
            None,
            Some(after),
        )
        .await?;
        for r in &a.recommendations {
            self.insert_recommendation(id, r).await?;
        }
        Ok(id)
    }

    /// Changes an audit's header. An audit cannot follow itself up.
    pub async fn update_audit(&mut self, audit_id: Id, h: &AuditHeader) -> Result<()> {
        let audit = self.audit_in_tx(audit_id).await?;
        let before = AuditHeader::of(&audit);
        if before == *h {
            return Ok(());
        }
        check_header(h)?;
        if h.follows_up.contains(&audit_id) {
            return Err(refused(AuditRefusal::ReissueCycle));
        }
        let mut changed = audit_of(audit_id, h);
        changed.questions = audit.questions.clone();
        changed.recommendations = audit.recommendations.clone();
        validate(&changed).map_err(refused)?;
        self.check_header_links(h).await?;
        self.update_columns("audits", audit_id, header_columns(h))
            .await?;
        self.write_header_parts(audit_id, h).await?;
        self.log(
            "update",
            ObjectKind::Audit.log_type(),
            Some(audit_id),
            json(&before),
            json(h),
        )
        .await
    }

    /// Adds a question to an audit; returns its id.
    pub async fn add_question(&mut self, audit_id: Id, q: &QuestionInput) -> Result<Id> {
        let mut audit = self.audit_in_tx(audit_id).await?;
        audit.questions.push(question_of(0, q));
        validate(&audit).map_err(refused)?;
        let id = self.insert_question(audit_id, q).await?;
        let mut after = json(q).unwrap_or_default();
        if let Some(o) = after.as_object_mut() {
            o.insert("question_id".into(), id.into());
        }
        self.log(
            "create",
            QUESTION_LOG_TYPE,
            Some(audit_id),
            None,
            Some(after),
        )
        .await?;
        Ok(id)
    }

    /// Changes a question. A new number carries the recommendations that answer it along.
    pub async fn update_question(&mut self, question_id: Id, q: &QuestionInput) -> Result<()> {
        let audit_id: Option<i64> =
            sqlx::query_scalar("SELECT audit_id FROM audit_questions WHERE id = $1")
                .bind(question_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let audit_id =
            audit_id.ok_or_else(|| StoreError::not_found(QUESTION_LOG_TYPE, question_id))?;
        let mut audit = self.audit_in_tx(audit_id).await?;
        let i = audit
            .questions
            .iter()
            .position(|x| x.id == question_id)
            .ok_or_else(|| StoreError::not_found(QUESTION_LOG_TYPE, question_id))?;
        let before = QuestionInput::of(&audit.questions[i]);
        if before == *q {
            return Ok(());
        }
        let old_number = audit.questions[i].number;
        audit.questions[i] = question_of(question_id, q);
        for r in &mut audit.recommendations {
            for n in &mut r.questions {
                if *n == old_number {
                    *n = q.number;
                }
            }
        }
        validate(&audit).map_err(refused)?;
        self.update_columns(
            "audit_questions",
            question_id,
            vec![
                ("number", Bind::Int(i64::from(q.number))),
                ("text", Bind::Text(q.text.trim().to_string())),
                ("assessment", opt_text(q.assessment.map(Assessment::code))),
                ("reasoning", Bind::Text(q.reasoning.clone())),
            ],
        )
        .await?;
        self.execute(
            "DELETE FROM audit_sub_questions WHERE question_id = $1",
            vec![Bind::Int(question_id)],
        )
        .await?;
        self.insert_sub_questions(question_id, &q.sub_questions)
            .await?;
        if old_number != q.number {
            self.execute(
                "UPDATE audit_rec_questions SET question_number = $1 WHERE question_number = $2 \
                 AND rec_id IN (SELECT id FROM audit_recommendations WHERE audit_id = $3)",
                vec![
                    Bind::Int(i64::from(q.number)),
                    Bind::Int(i64::from(old_number)),
                    Bind::Int(audit_id),
                ],
            )
            .await?;
        }
        let with_id = |v: &QuestionInput| {
            let mut j = json(v).unwrap_or_default();
            if let Some(o) = j.as_object_mut() {
                o.insert("question_id".into(), question_id.into());
            }
            j
        };
        self.log(
            "update",
            QUESTION_LOG_TYPE,
            Some(audit_id),
            Some(with_id(&before)),
            Some(with_id(q)),
        )
        .await
    }

    /// Adds a recommendation to an audit; returns its id.
    pub async fn add_recommendation(
        &mut self,
        audit_id: Id,
        r: &RecommendationInput,
    ) -> Result<Id> {
        let mut audit = self.audit_in_tx(audit_id).await?;
        audit
            .recommendations
            .push(recommendation_of(0, audit_id, r));
        validate(&audit).map_err(refused)?;
        self.check_rec_links(r).await?;
        self.insert_recommendation(audit_id, r).await
    }

    /// Changes a recommendation: its number, text, addressees, questions and what it
    /// re-issues (refused when that would close a loop: `ReissueCycle`). An addressee
    /// whose board has answered it cannot be removed (`AlreadyAnswered`); the links to
    /// internal control of a removed addressee go with it.
    pub async fn update_recommendation(
        &mut self,
        rec_id: Id,
        r: &RecommendationInput,
    ) -> Result<()> {
        let mut audit = self.audit_of_rec(rec_id).await?;
        let i = audit
            .recommendations
            .iter()
            .position(|x| x.id == rec_id)
            .ok_or_else(|| StoreError::not_found("audit_recommendation", rec_id))?;
        let stored = audit.recommendations[i].clone();
        let before = RecommendationInput::of(&stored);
        if before == *r {
            return Ok(());
        }
        let mut changed = recommendation_of(rec_id, audit.id, r);
        changed.verdicts = stored.verdicts.clone();
        changed.ic_links = stored.ic_links.clone();
        audit.recommendations[i] = changed;
        validate(&audit).map_err(refused)?;
        if let Some(p) = r.reissues {
            if p == rec_id {
                return Err(refused(AuditRefusal::ReissueCycle));
            }
            if stored.reissues != Some(p) {
                let all = load_audits(&mut self.tx, Which::All).await?;
                if reissue_would_cycle(&all, rec_id, p) {
                    return Err(refused(AuditRefusal::ReissueCycle));
                }
            }
        }
        let removed: Vec<Id> = stored
            .addressees
            .iter()
            .copied()
            .filter(|u| !r.addressees.contains(u))
            .collect();
        if audit
            .responses
            .iter()
            .any(|resp| removed.contains(&resp.unit_id) && resp.item(rec_id).is_some())
        {
            return Err(refused(AuditRefusal::AlreadyAnswered));
        }
        self.check_rec_links(r).await?;
        self.update_columns(
            "audit_recommendations",
            rec_id,
            vec![
                ("number", Bind::Text(r.number.trim().to_string())),
                ("text", Bind::Text(r.text.trim().to_string())),
                ("reissues_id", Bind::OptInt(r.reissues)),
            ],
        )
        .await?;
        self.write_rec_parts(rec_id, r).await?;
        for link in stored
            .ic_links
            .iter()
            .filter(|l| removed.contains(&l.unit_id))
        {
            self.unlink_ic(rec_id, *link).await?;
        }
        self.log(
            "update",
            ObjectKind::Recommendation.log_type(),
            Some(rec_id),
            json(&before),
            json(r),
        )
        .await
    }

    /// Records the auditors' verdict of a year on a recommendation (`audit::validate_verdict`:
    /// one per year, not before the audit, not after it was closed, "Avstår" with its
    /// text); returns its id. Verdicts are the auditors': no board's decision locks them.
    pub async fn record_verdict(&mut self, rec_id: Id, v: &VerdictInput) -> Result<Id> {
        let audit = self.audit_of_rec(rec_id).await?;
        let rec = audit
            .recommendation(rec_id)
            .ok_or_else(|| StoreError::not_found("audit_recommendation", rec_id))?;
        let verdict = Verdict {
            id: 0,
            year: v.year,
            grade: v.grade,
            text: v.text.trim().to_string(),
            evidence: v.evidence.trim().to_string(),
            closes: v.closes,
        };
        validate_verdict(&audit, rec, &verdict).map_err(refused)?;
        let id = self
            .insert_columns(
                "audit_verdicts",
                vec![
                    ("rec_id", Bind::Int(rec_id)),
                    ("year", Bind::Int(i64::from(verdict.year))),
                    ("grade", Bind::Text(verdict.grade.code().into())),
                    ("text", Bind::Text(verdict.text.clone())),
                    ("evidence", Bind::Text(verdict.evidence.clone())),
                    ("closes", Bind::Int(i64::from(verdict.closes))),
                ],
            )
            .await?;
        self.log(
            "create",
            VERDICT_LOG_TYPE,
            Some(rec_id),
            None,
            json(&Verdict { id, ..verdict }),
        )
        .await?;
        Ok(id)
    }

    /// Refuses a response dated in a year a decision locked for the responding board.
    async fn ensure_response_unlocked(&mut self, unit_id: Id, decided_on: &str) -> Result<()> {
        self.ensure_unlocked(unit_id, Period::Year(year_of(decided_on)))
            .await
    }

    /// Checks a response against its audit (`audit::validate_response` and a real date).
    fn check_response(audit: &Audit, response: &Response, today: &str) -> Result<()> {
        if uppsikt_domain::date::parse_iso_date(&response.decided_on).is_err() {
            return Err(refused(AuditRefusal::Required("decided_on")));
        }
        validate_response(audit, response, today).map_err(refused)
    }

    async fn write_items(&mut self, response_id: Id, items: &[ResponseItem]) -> Result<()> {
        self.execute(
            "DELETE FROM audit_response_items WHERE response_id = $1",
            vec![Bind::Int(response_id)],
        )
        .await?;
        for (i, item) in items.iter().enumerate() {
            self.insert_columns(
                "audit_response_items",
                vec![
                    ("response_id", Bind::Int(response_id)),
                    ("rec_id", Bind::Int(item.recommendation_id)),
                    ("stance", Bind::Text(item.stance.code().into())),
                    (
                        "stance_text",
                        Bind::Text(item.stance.text().trim().to_string()),
                    ),
                    ("comment", Bind::Text(item.comment.clone())),
                    ("position", Bind::Int(i as i64)),
                ],
            )
            .await?;
        }
        Ok(())
    }

    fn response_columns(r: &Response) -> Vec<(&'static str, Bind)> {
        let mut cols = vec![
            ("body", Bind::Text(r.body.code().into())),
            ("document", Bind::Text(r.document.clone())),
            ("decided_on", Bind::Text(r.decided_on.clone())),
            ("paragraph", Bind::Text(r.paragraph.clone())),
        ];
        cols.extend(case_ref_columns(r.case_ref.as_ref()));
        cols
    }

    /// The response decides the deviation each of its recommendations raises for the
    /// board: raised now if need be (once, by cause key), decided by the board's stance
    /// (`audit::response_decision`), or, when decided before otherwise, corrected.
    async fn decide_by_response(
        &mut self,
        audit: &Audit,
        response: &Response,
        today: &str,
    ) -> Result<()> {
        for item in &response.items {
            let Some(rec) = audit.recommendation(item.recommendation_id) else {
                continue;
            };
            let key = cause_key(rec.id, response.unit_id);
            let deviation = match self.deviation_by_cause(&key).await? {
                Some(id) => id,
                None => {
                    self.raise_deviations(vec![deviation_for(audit, rec, response.unit_id)], today)
                        .await?;
                    self.deviation_by_cause(&key)
                        .await?
                        .ok_or_else(|| corrupt("deviation of", &key))?
                }
            };
            let decision = response_decision(response, item);
            match self.deviation_decision(deviation).await? {
                None => self.decide_deviation(deviation, &decision).await?,
                Some(current) if current == decision => {}
                Some(_) => {
                    let reason =
                        uppsikt_domain::messages::audit::response_changed(&response.reference_sv());
                    self.correct_deviation_decision(deviation, &decision, &reason)
                        .await?
                }
            }
        }
        Ok(())
    }

    /// Records a board's decided response to an audit (`audit::validate_response`: the
    /// board is an addressee, each stance concerns a recommendation addressed to it, once,
    /// a decline is motivated, nothing is dated after `today`); one per board and audit
    /// (`AlreadyAnswered`). Refused (`StoreError::Locked`) when a decision locked the year
    /// of its date for the board. Each stance decides the recommendation's deviation for
    /// the board (raised now if need be). Returns the response's id.
    pub async fn record_response(&mut self, r: &ResponseInput, today: &str) -> Result<Id> {
        let audit = self.audit_in_tx(r.audit_id).await?;
        let response = r.response(0);
        Self::check_response(&audit, &response, today)?;
        if audit.response_of(r.unit_id).is_some() {
            return Err(refused(AuditRefusal::AlreadyAnswered));
        }
        self.ensure_response_unlocked(r.unit_id, &response.decided_on)
            .await?;
        let mut cols = vec![
            ("audit_id", Bind::Int(r.audit_id)),
            ("org_id", Bind::Int(r.unit_id)),
        ];
        cols.extend(Self::response_columns(&response));
        let id = self.insert_columns("audit_responses", cols).await?;
        self.write_items(id, &response.items).await?;
        let response = Response { id, ..response };
        self.log(
            "create",
            RESPONSE_LOG_TYPE,
            Some(r.audit_id),
            None,
            json(&response),
        )
        .await?;
        self.decide_by_response(&audit, &response, today).await?;
        Ok(id)
    }

    /// Changes a board's response (its audit and board stay the stored response's; those
    /// of `r` are not used). Refused when a decision locked the year of the earlier date
    /// or of the new one. Each stance decides or corrects the recommendation's deviation
    /// (a stance removed from the response leaves its deviation's decision as it is).
    pub async fn update_response(
        &mut self,
        response_id: Id,
        r: &ResponseInput,
        today: &str,
    ) -> Result<()> {
        let audit_id: Option<i64> =
            sqlx::query_scalar("SELECT audit_id FROM audit_responses WHERE id = $1")
                .bind(response_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let audit_id =
            audit_id.ok_or_else(|| StoreError::not_found(RESPONSE_LOG_TYPE, response_id))?;
        let audit = self.audit_in_tx(audit_id).await?;
        let stored = audit
            .responses
            .iter()
            .find(|x| x.id == response_id)
            .cloned()
            .ok_or_else(|| StoreError::not_found(RESPONSE_LOG_TYPE, response_id))?;
        let input = ResponseInput {
            audit_id,
            unit_id: stored.unit_id,
            ..r.clone()
        };
        let response = input.response(response_id);
        if response == stored {
            return Ok(());
        }
        Self::check_response(&audit, &response, today)?;
        self.ensure_response_unlocked(stored.unit_id, &stored.decided_on)
            .await?;
        self.ensure_response_unlocked(stored.unit_id, &response.decided_on)
            .await?;
        self.update_columns(
            "audit_responses",
            response_id,
            Self::response_columns(&response),
        )
        .await?;
        self.write_items(response_id, &response.items).await?;
        self.log(
            "update",
            RESPONSE_LOG_TYPE,
            Some(audit_id),
            json(&stored),
            json(&response),
        )
        .await?;
        self.decide_by_response(&audit, &response, today).await
    }

    /// Links a recommendation, for one of its addressees, to an item of internal control
    /// (which must exist). Linking twice changes nothing.
    pub async fn link_ic(&mut self, rec_id: Id, link: IcLink) -> Result<()> {
        let audit = self.audit_of_rec(rec_id).await?;
        let rec = audit
            .recommendation(rec_id)
            .ok_or_else(|| StoreError::not_found("audit_recommendation", rec_id))?;
        if !rec.addressees.contains(&link.unit_id) {
            return Err(refused(AuditRefusal::NotAddressedRecommendation(
                rec.number.clone(),
            )));
        }
        if rec.ic_links.contains(&link) {
            return Ok(());
        }
        let table = match link.target {
            IcTarget::Action(_) => "ic_actions",
            IcTarget::Control(_) => "ic_controls",
            IcTarget::Risk(_) => "ic_risks",
        };
        self.ensure_exist(table, link.target.kind_code(), &[link.target.id()])
            .await?;
        self.insert_columns(
            "audit_ic_links",
            vec![
                ("rec_id", Bind::Int(rec_id)),
                ("org_id", Bind::Int(link.unit_id)),
                ("target_kind", Bind::Text(link.target.kind_code().into())),
                ("target_id", Bind::Int(link.target.id())),
            ],
        )
        .await?;
        self.log("link", IC_LINK_LOG_TYPE, Some(rec_id), None, json(&link))
            .await
    }

    /// Removes a link to internal control (none: nothing changes).
    pub async fn unlink_ic(&mut self, rec_id: Id, link: IcLink) -> Result<()> {
        let removed = self
            .execute(
                "DELETE FROM audit_ic_links WHERE rec_id = $1 AND org_id = $2 \
                 AND target_kind = $3 AND target_id = $4",
                vec![
                    Bind::Int(rec_id),
                    Bind::Int(link.unit_id),
                    Bind::Text(link.target.kind_code().into()),
                    Bind::Int(link.target.id()),
                ],
            )
            .await?;
        if removed == 0 {
            return Ok(());
        }
        self.log("unlink", IC_LINK_LOG_TYPE, Some(rec_id), json(&link), None)
            .await
    }

    /// Attaches the audit report (a PDF of at most `audit::MAX_REPORT_BYTES`:
    /// `audit::check_report`), replacing one attached before; kept byte for byte with its
    /// SHA-256 (the log holds its name, size and hash).
    pub async fn attach_audit_report(
        &mut self,
        audit_id: Id,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<()> {
        check_report(bytes).map_err(refused)?;
        let file_name = file_name.trim();
        if file_name.is_empty() {
            return Err(refused(AuditRefusal::Required("file_name")));
        }
        self.ensure_exist("audits", "audit", &[audit_id]).await?;
        let before: Option<(String, i64, String)> =
            sqlx::query_as("SELECT file_name, size, sha256 FROM audit_reports WHERE audit_id = $1")
                .bind(audit_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let before = before.map(|(file_name, size, sha256)| ReportFile {
            file_name,
            bytes: usize::try_from(size).unwrap_or_default(),
            sha256,
        });
        let after = ReportFile {
            file_name: file_name.to_string(),
            bytes: bytes.len(),
            sha256: crate::sha256_hex(bytes),
        };
        if before.as_ref() == Some(&after) {
            return Ok(());
        }
        sqlx::query("DELETE FROM audit_reports WHERE audit_id = $1")
            .bind(audit_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO audit_reports (audit_id, file_name, bytes, size, sha256, stored_by, stored_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(audit_id)
        .bind(&after.file_name)
        .bind(bytes.to_vec())
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(&after.sha256)
        .bind(self.actor.clone())
        .bind(self.at.clone())
        .execute(&mut *self.tx)
        .await?;
        self.log(
            "attach",
            REPORT_LOG_TYPE,
            Some(audit_id),
            before.as_ref().and_then(json),
            json(&after),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_keys_name_recommendation_and_unit() {
        assert_eq!(cause_of(&cause_key(12, 7)), Some((12, 7)));
        assert_eq!(cause_of("internal_control:action:1"), None);
        assert_eq!(cause_of("audit-recommendation:x:1"), None);
    }
}
