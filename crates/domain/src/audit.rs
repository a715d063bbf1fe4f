//! Audit recommendations (revisionens granskningar): the elected auditors' audits with
//! their questions, assessments and numbered recommendations; each addressed board's
//! response; and the auditors' yearly follow-up, a verdict per recommendation, until they
//! close it. The structures follow `DOMAIN-MODULES.md` B1 (seeds 000, 002, 003, 004).
//!
//! The rules make what the audits criticise visible (B3): a recommendation without a
//! decided response is "obesvarad", per addressee and with its age; a decline needs its
//! motivation and stays in the chain (recommended → declined → not followed → issued
//! again, [`chain`]); the board's own handling stands beside the auditors' verdict
//! ([`handling`]); and every recommendation × addressee is a deviation in the one loop
//! whose decision is the board's response ([`deviation_candidates`], [`response_decision`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::case_ref::CaseRef;
use crate::deviation::{self, DecidingBody, NewDeviation, Outcome, Severity, Source};
use crate::model::Id;
use crate::period::Period;

/// The largest audit report (PDF) stored with an audit.
pub const MAX_REPORT_BYTES: usize = 20 * 1024 * 1024;
/// The most questions, recommendations, sub-questions or criteria one audit holds, and the
/// most addressees of one recommendation.
pub const MAX_ITEMS: usize = 200;
/// The longest text field (purpose, reasoning, evidence …) in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// What kind of audit: an ordinary audit, an in-depth one (often after a förstudie), or a
/// follow-up of earlier audits (which gives verdicts and may re-issue recommendations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// "granskning".
    Review,
    /// "fördjupad granskning".
    InDepth,
    /// "uppföljande granskning".
    FollowUp,
}

/// The assessment scale of audit questions and of an audit as a whole, as the seeds use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// "Ja".
    Yes,
    /// "I allt väsentligt".
    InAllEssentials,
    /// "Delvis".
    Partly,
    /// "Nej".
    No,
}

/// The auditors' verdict on a recommendation in a follow-up year (a closed scale; the
/// seeds' free prose goes in the verdict's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// "Genomförd": the auditors judge it done; this closes the recommendation.
    Implemented,
    /// "Delvis genomförd".
    PartlyImplemented,
    /// "Planerad, ej påbörjad".
    PlannedNotStarted,
    /// "Ej genomförd".
    NotImplemented,
    /// "Avstår, med motivering": the board chose not to follow it (a text is required).
    Declined,
}

/// Stored codes and Swedish labels of the module's closed scales.
macro_rules! vocabulary {
    ($t:ty { $($v:ident => $c:literal, $sv:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            pub fn code(self) -> &'static str {
                match self { $(<$t>::$v => $c),+ }
            }
            pub fn label_sv(self) -> &'static str {
                match self { $(<$t>::$v => $sv),+ }
            }
            /// The code or the Swedish label (any case).
            pub fn parse(text: &str) -> Option<$t> {
                let t = text.trim();
                $(if t == $c || t.to_lowercase() == $sv.to_lowercase() { return Some(<$t>::$v); })+
                None
            }
        }
    };
}

vocabulary!(AuditKind {
    Review => "review", "Granskning",
    InDepth => "in_depth", "Fördjupad granskning",
    FollowUp => "follow_up", "Uppföljande granskning",
});
vocabulary!(Assessment {
    Yes => "yes", "Ja",
    InAllEssentials => "in_all_essentials", "I allt väsentligt",
    Partly => "partly", "Delvis",
    No => "no", "Nej",
});
vocabulary!(Grade {
    Implemented => "implemented", "Genomförd",
    PartlyImplemented => "partly_implemented", "Delvis genomförd",
    PlannedNotStarted => "planned_not_started", "Planerad, ej påbörjad",
    NotImplemented => "not_implemented", "Ej genomförd",
    Declined => "declined", "Avstår, med motivering",
});

/// What an audit criterion refers to, where it can be read from its text: a law by its SFS
/// number, or one of the municipality's rules by its rule-book number (HKF in Huddinge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum CriterionRef {
    /// "kommunallagen (2017:725) 6 kap. 6 §" → `2017:725`.
    Statute(String),
    /// "reglemente för intern kontroll, HKF 9410" → `HKF 9410`.
    Rule(String),
}

/// A revisionskriterium as written, with what it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub text: String,
    pub refers_to: Option<CriterionRef>,
}

impl Criterion {
    /// Reads the SFS number ("(2017:725)", "Lag (2023:196)") or the rule-book number
    /// ("HKF 9410", "HKF8020") from a criterion's text.
    pub fn parse(text: &str) -> Criterion {
        let text = text.trim().to_string();
        Criterion {
            refers_to: statute_in(&text).or_else(|| rule_in(&text)),
            text,
        }
    }
}

/// The first "(YYYY:N)" in a text.
fn statute_in(text: &str) -> Option<CriterionRef> {
    text.match_indices('(').find_map(|(i, _)| {
        let inner = &text[i + 1..];
        let close = inner.find(')')?;
        let (year, number) = inner[..close].split_once(':')?;
        let ok = year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && (1..=5).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| CriterionRef::Statute(format!("{year}:{number}")))
    })
}

/// "HKF" followed (with or without a space) by digits.
fn rule_in(text: &str) -> Option<CriterionRef> {
    let i = text.find("HKF")?;
    let digits: String = text[i + 3..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then(|| CriterionRef::Rule(format!("HKF {digits}")))
}

/// A sub-question with its own assessment (seed 002's questions carry two: "I allt
/// väsentligt/Nej").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubQuestion {
    pub text: String,
    pub assessment: Option<Assessment>,
}

/// A revisionsfråga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: Id,
    /// 1, 2, … within the audit.
    pub number: u16,
    pub text: String,
    pub assessment: Option<Assessment>,
    /// The auditors' reasoning; empty where the report gives none (seed 000's question 5).
    pub reasoning: String,
    pub sub_questions: Vec<SubQuestion>,
}

/// The auditors' verdict on one recommendation in one follow-up year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub id: Id,
    pub year: i32,
    pub grade: Grade,
    /// What the auditors write (required for "Avstår").
    pub text: String,
    /// What they saw: documents, decisions, interviews.
    pub evidence: String,
    /// The auditors close the recommendation with this verdict ("Genomförd" always does).
    pub closes: bool,
}

impl Verdict {
    pub fn is_closing(&self) -> bool {
        self.closes || self.grade == Grade::Implemented
    }
}

/// Where a board answers a recommendation through internal control instead of (or beside)
/// actions on its deviation: an action, a control or a risk of a control plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum IcTarget {
    Action(Id),
    Control(Id),
    Risk(Id),
}

impl IcTarget {
    pub fn kind_code(self) -> &'static str {
        match self {
            IcTarget::Action(_) => "ic_action",
            IcTarget::Control(_) => "ic_control",
            IcTarget::Risk(_) => "ic_risk",
        }
    }
    pub fn id(self) -> Id {
        match self {
            IcTarget::Action(id) | IcTarget::Control(id) | IcTarget::Risk(id) => id,
        }
    }
    pub fn parse(kind: &str, id: Id) -> Option<IcTarget> {
        match kind {
            "ic_action" => Some(IcTarget::Action(id)),
            "ic_control" => Some(IcTarget::Control(id)),
            "ic_risk" => Some(IcTarget::Risk(id)),
            _ => None,
        }
    }
    pub fn label_sv(self) -> &'static str {
        match self {
            IcTarget::Action(_) => "Åtgärd i internkontrollplan",
            IcTarget::Control(_) => "Kontroll i internkontrollplan",
            IcTarget::Risk(_) => "Risk i internkontrollplan",
        }
    }
}

/// A link from a recommendation, for one addressee, to an item of internal control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IcLink {
    pub unit_id: Id,
    pub target: IcTarget,
}

/// A numbered recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub id: Id,
    pub audit_id: Id,
    /// As the report numbers it: "1", "1a", "IK-1".
    pub number: String,
    pub text: String,
    /// The boards it is addressed to; each must respond.
    pub addressees: Vec<Id>,
    /// The numbers of the questions it answers (many-to-many).
    pub questions: Vec<u16>,
    /// The earlier recommendation it issues again ("återigen överväger").
    pub reissues: Option<Id>,
    /// The auditors' verdicts, oldest year first.
    pub verdicts: Vec<Verdict>,
    /// The boards' links to internal control.
    pub ic_links: Vec<IcLink>,
}

impl Recommendation {
    pub fn latest_verdict(&self) -> Option<&Verdict> {
        self.verdicts.iter().max_by_key(|v| v.year)
    }

    /// The verdict that closed it, if any.
    pub fn closing_verdict(&self) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.is_closing())
    }
}

/// A board's stance on one recommendation in its response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "text")]
pub enum Stance {
    /// The board accepts it.
    Accepted,
    /// Accepted, but the board wants something stressed (seed 003: "ställde sig bakom …
    /// men ville betona").
    AcceptedWithReservation(String),
    /// Declined, with the required motivation.
    Declined(String),
    /// The response answers it but the record does not say how (seed 003's responses do
    /// not always state a stance per recommendation).
    NotStated,
}

impl Stance {
    pub fn code(&self) -> &'static str {
        match self {
            Stance::Accepted => "accepted",
            Stance::AcceptedWithReservation(_) => "accepted_with_reservation",
            Stance::Declined(_) => "declined",
            Stance::NotStated => "not_stated",
        }
    }
    pub fn label_sv(&self) -> &'static str {
        match self {
            Stance::Accepted => "Instämmer",
            Stance::AcceptedWithReservation(_) => "Instämmer med reservation",
            Stance::Declined(_) => "Avböjer",
            Stance::NotStated => "Ej angivet",
        }
    }
    /// The reservation's or motivation's text ("" for the others).
    pub fn text(&self) -> &str {
        match self {
            Stance::AcceptedWithReservation(t) | Stance::Declined(t) => t,
            Stance::Accepted | Stance::NotStated => "",
        }
    }
    /// Builds a stance from its code and text; a decline or a reservation without a text is
    /// refused.
    pub fn from_parts(code: &str, text: &str) -> Result<Stance, AuditRefusal> {
        let t = text.trim();
        match code.trim() {
            "accepted" | "Instämmer" => Ok(Stance::Accepted),
            "not_stated" | "Ej angivet" => Ok(Stance::NotStated),
            "accepted_with_reservation" | "Instämmer med reservation" if t.is_empty() => {
                Err(AuditRefusal::ReservationRequired)
            }
            "accepted_with_reservation" | "Instämmer med reservation" => {
                Ok(Stance::AcceptedWithReservation(t.to_string()))
            }
            "declined" | "Avböjer" if t.is_empty() => Err(AuditRefusal::MotivationRequired),
            "declined" | "Avböjer" => Ok(Stance::Declined(t.to_string())),
            other => Err(AuditRefusal::UnknownStance(other.to_string())),
        }
    }
}

/// A board's stance on one recommendation, with what the board says it will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseItem {
    pub recommendation_id: Id,
    pub stance: Stance,
    /// The planned actions or position in the board's words.
    pub comment: String,
}

/// A board's decided answer to an audit (svar till revisionen): one per addressed board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    pub id: Id,
    pub audit_id: Id,
    /// The responding board.
    pub unit_id: Id,
    /// Who decided: the board, a committee, or the administration (a tjänsteutlåtande not
    /// decided by the board, as seed 003's civil-society response).
    pub body: DecidingBody,
    /// The document: "tjänsteutlåtande", "protokollsutdrag".
    pub document: String,
    /// ISO date.
    pub decided_on: String,
    /// "§ 9" (empty where the record gives none).
    pub paragraph: String,
    pub case_ref: Option<CaseRef>,
    pub items: Vec<ResponseItem>,
}

impl Response {
    pub fn item(&self, recommendation_id: Id) -> Option<&ResponseItem> {
        self.items
            .iter()
            .find(|i| i.recommendation_id == recommendation_id)
    }

    /// "Kommunstyrelsen 2020-09-01 § 9, KS-2020/716.912" style reference (without the body).
    pub fn reference_sv(&self) -> String {
        let mut s = format!("{} {}", self.document, self.decided_on);
        if !self.paragraph.is_empty() {
            s.push_str(&format!(" {}", self.paragraph));
        }
        if let Some(c) = &self.case_ref {
            s.push_str(&format!(", {c}"));
        }
        s
    }
}

/// The audit report itself (PDF), as stored: its name, size and checksum (the bytes are
/// read separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportFile {
    pub file_name: String,
    pub bytes: usize,
    pub sha256: String,
}

/// An audit (granskning) with everything that follows from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    pub id: Id,
    pub title: String,
    /// The revisionsplan year.
    pub plan_year: i32,
    pub kind: AuditKind,
    /// "Huddinge kommuns revisorer".
    pub commissioned_by: String,
    /// "KPMG AB".
    pub performed_by: String,
    /// The audited boards (granskade nämnder).
    pub audited_units: Vec<Id>,
    pub case_ref: Option<CaseRef>,
    /// The day the report was sent to the boards (ISO), if known.
    pub issued_on: Option<String>,
    /// The day the auditors want the responses by (ISO), if set.
    pub response_due: Option<String>,
    pub purpose: String,
    pub scope: String,
    pub method: String,
    pub criteria: Vec<Criterion>,
    pub fact_checked: bool,
    pub overall: Option<Assessment>,
    pub overall_text: String,
    pub signatories: Vec<String>,
    /// For a follow-up: the audits it follows up.
    pub follows_up: Vec<Id>,
    pub questions: Vec<Question>,
    pub recommendations: Vec<Recommendation>,
    pub responses: Vec<Response>,
    pub report: Option<ReportFile>,
}

impl Audit {
    pub fn recommendation(&self, id: Id) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.id == id)
    }

    pub fn response_of(&self, unit_id: Id) -> Option<&Response> {
        self.responses.iter().find(|r| r.unit_id == unit_id)
    }

    /// Every board the audit's recommendations are addressed to, in first-seen order.
    pub fn addressees(&self) -> Vec<Id> {
        let mut seen = Vec::new();
        for r in &self.recommendations {
            for u in &r.addressees {
                if !seen.contains(u) {
                    seen.push(*u);
                }
            }
        }
        seen
    }

    /// The day the recommendations' age counts from: the report's day, else the first day of
    /// the revisionsplan year.
    pub fn issued_or_plan_start(&self) -> String {
        self.issued_on
            .clone()
            .unwrap_or_else(|| format!("{:04}-01-01", self.plan_year))
    }

    /// Whether a board's response is past the auditors' deadline (no response by then).
    pub fn response_overdue(&self, unit_id: Id, today: &str) -> bool {
        match &self.response_due {
            Some(due) => self.response_of(unit_id).is_none() && due.as_str() < today,
            None => false,
        }
    }

    /// Questions assessed without a line of reasoning: the reader should know the report
    /// gives none (seed 000's question 5).
    pub fn questions_without_reasoning(&self) -> Vec<u16> {
        self.questions
            .iter()
            .filter(|q| q.assessment.is_some() && q.reasoning.trim().is_empty())
            .map(|q| q.number)
            .collect()
    }
}

/// Why a change to an audit, a response or a verdict was refused (messages in
/// `messages::audit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditRefusal {
    /// A title, recommendation text or question text left empty.
    Required(&'static str),
    /// A text over [`MAX_TEXT_CHARS`].
    TooLong(&'static str),
    /// More than [`MAX_ITEMS`] of something.
    TooMany(&'static str),
    /// A question or recommendation number used twice.
    DuplicateNumber(String),
    /// A recommendation answers a question the audit does not have.
    UnknownQuestion(u16),
    /// A recommendation with no addressee.
    NoAddressee,
    /// A recommendation issuing itself again, or a chain that comes back to itself.
    ReissueCycle,
    /// A decline without a motivation.
    MotivationRequired,
    /// A reservation without its text.
    ReservationRequired,
    UnknownStance(String),
    /// A response by a board the audit's recommendations are not addressed to.
    NotAddressed,
    /// A stance on a recommendation not addressed to the responding board, or not of this
    /// audit.
    NotAddressedRecommendation(String),
    /// A response or stance given twice.
    AlreadyAnswered,
    /// "Avstår" without the auditors' text.
    VerdictTextRequired,
    /// A second verdict on the same recommendation in the same year.
    VerdictExists(i32),
    /// A verdict before the audit's own year.
    VerdictBeforeAudit,
    /// A verdict on a recommendation already closed.
    AlreadyClosed,
    /// The attached report is not a PDF, or too large.
    NotPdf,
    ReportTooLarge,
    /// A response dated in the future.
    InFuture,
    /// A response dated before the audit's revisionsplan year.
    ResponseBeforeAudit,
}

/// Checks an audit's own content (not its responses or verdicts): required texts, limits,
/// unique numbers, known questions, addressees.
pub fn validate(audit: &Audit) -> Result<(), AuditRefusal> {
    let required = |t: &str, what: &'static str| {
        if t.trim().is_empty() {
            Err(AuditRefusal::Required(what))
        } else {
            Ok(())
        }
    };
    required(&audit.title, "title")?;
    for (t, what) in [
        (&audit.title, "title"),
        (&audit.purpose, "purpose"),
        (&audit.scope, "scope"),
        (&audit.method, "method"),
        (&audit.overall_text, "overall_text"),
    ] {
        too_long(t, what)?;
    }
    for (n, what) in [
        (audit.questions.len(), "questions"),
        (audit.recommendations.len(), "recommendations"),
        (audit.criteria.len(), "criteria"),
        (audit.signatories.len(), "signatories"),
        (audit.audited_units.len(), "audited_units"),
    ] {
        if n > MAX_ITEMS {
            return Err(AuditRefusal::TooMany(what));
        }
    }
    let mut numbers = HashSet::new();
    for q in &audit.questions {
        required(&q.text, "question")?;
        too_long(&q.text, "question")?;
        too_long(&q.reasoning, "reasoning")?;
        if q.sub_questions.len() > MAX_ITEMS {
            return Err(AuditRefusal::TooMany("sub_questions"));
        }
        if !numbers.insert(q.number) {
            return Err(AuditRefusal::DuplicateNumber(q.number.to_string()));
        }
    }
    let mut rec_numbers = HashSet::new();
    for r in &audit.recommendations {
        required(&r.text, "recommendation")?;
        too_long(&r.text, "recommendation")?;
        required(&r.number, "recommendation_number")?;
        if !rec_numbers.insert(r.number.trim().to_lowercase()) {
            return Err(AuditRefusal::DuplicateNumber(r.number.clone()));
        }
        if r.addressees.is_empty() {
            return Err(AuditRefusal::NoAddressee);
        }
        if r.addressees.len() > MAX_ITEMS {
            return Err(AuditRefusal::TooMany("addressees"));
        }
        if let Some(q) = r.questions.iter().find(|q| !numbers.contains(q)) {
            return Err(AuditRefusal::UnknownQuestion(*q));
        }
        if r.reissues == Some(r.id) && r.id != 0 {
            return Err(AuditRefusal::ReissueCycle);
        }
    }
    Ok(())
}

fn too_long(text: &str, what: &'static str) -> Result<(), AuditRefusal> {
    if text.chars().count() > MAX_TEXT_CHARS {
        Err(AuditRefusal::TooLong(what))
    } else {
        Ok(())
    }
}

/// Checks a response before it is stored: the board is an addressee, each stance concerns a
/// recommendation of the audit addressed to that board, once, and nothing is dated ahead.
pub fn validate_response(
    audit: &Audit,
    response: &Response,
    today: &str,
) -> Result<(), AuditRefusal> {
    if !audit.addressees().contains(&response.unit_id) {
        return Err(AuditRefusal::NotAddressed);
    }
    if response.decided_on.as_str() > today {
        return Err(AuditRefusal::InFuture);
    }
    if response
        .decided_on
        .get(..4)
        .and_then(|y| y.parse::<i32>().ok())
        < Some(audit.plan_year)
    {
        return Err(AuditRefusal::ResponseBeforeAudit);
    }
    too_long(&response.document, "document")?;
    let mut seen = HashSet::new();
    for item in &response.items {
        let rec = audit
            .recommendation(item.recommendation_id)
            .filter(|r| r.addressees.contains(&response.unit_id))
            .ok_or_else(|| {
                AuditRefusal::NotAddressedRecommendation(item.recommendation_id.to_string())
            })?;
        if !seen.insert(rec.id) {
            return Err(AuditRefusal::AlreadyAnswered);
        }
        too_long(&item.comment, "comment")?;
        too_long(item.stance.text(), "stance")?;
        if let Stance::Declined(m) = &item.stance {
            if m.trim().is_empty() {
                return Err(AuditRefusal::MotivationRequired);
            }
        }
    }
    Ok(())
}

/// Checks a verdict before it is stored against the recommendation and its audit.
pub fn validate_verdict(
    audit: &Audit,
    rec: &Recommendation,
    verdict: &Verdict,
) -> Result<(), AuditRefusal> {
    if verdict.grade == Grade::Declined && verdict.text.trim().is_empty() {
        return Err(AuditRefusal::VerdictTextRequired);
    }
    too_long(&verdict.text, "verdict")?;
    too_long(&verdict.evidence, "evidence")?;
    if verdict.year < audit.plan_year {
        return Err(AuditRefusal::VerdictBeforeAudit);
    }
    if rec
        .verdicts
        .iter()
        .any(|v| v.year == verdict.year && v.id != verdict.id)
    {
        return Err(AuditRefusal::VerdictExists(verdict.year));
    }
    if rec
        .closing_verdict()
        .is_some_and(|v| v.id != verdict.id && v.year < verdict.year)
    {
        return Err(AuditRefusal::AlreadyClosed);
    }
    Ok(())
}

/// Checks an uploaded audit report: a PDF ("%PDF-" first) of at most [`MAX_REPORT_BYTES`].
pub fn check_report(bytes: &[u8]) -> Result<(), AuditRefusal> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(AuditRefusal::ReportTooLarge);
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(AuditRefusal::NotPdf);
    }
    Ok(())
}

/// Every recommendation's successors (the recommendations that issue it again), across
/// audits.
pub fn successors(audits: &[Audit]) -> HashMap<Id, Vec<Id>> {
    let mut map: HashMap<Id, Vec<Id>> = HashMap::new();
    for r in audits.iter().flat_map(|a| &a.recommendations) {
        if let Some(p) = r.reissues {
            map.entry(p).or_default().push(r.id);
        }
    }
    map
}

/// Whether following `reissues` from `start` with `predecessor` as its new predecessor
/// comes back to `start` (a cycle the store must refuse).
pub fn reissue_would_cycle(audits: &[Audit], start: Id, predecessor: Id) -> bool {
    let parent: HashMap<Id, Id> = audits
        .iter()
        .flat_map(|a| &a.recommendations)
        .filter_map(|r| r.reissues.map(|p| (r.id, p)))
        .collect();
    let mut at = Some(predecessor);
    let mut steps = 0;
    while let Some(id) = at {
        if id == start || steps > 10_000 {
            return true;
        }
        at = parent.get(&id).copied();
        steps += 1;
    }
    false
}

/// How a recommendation was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Closure {
    /// The auditors' verdict of that year closed it.
    ByVerdict { year: i32, grade: Grade },
    /// A later recommendation issues it again: follow-up continues there.
    Reissued { by: Id },
}

/// Whether, and how, a recommendation is closed.
pub fn closure(rec: &Recommendation, successors: &HashMap<Id, Vec<Id>>) -> Option<Closure> {
    if let Some(v) = rec.closing_verdict() {
        return Some(Closure::ByVerdict {
            year: v.year,
            grade: v.grade,
        });
    }
    successors
        .get(&rec.id)
        .and_then(|s| s.first())
        .map(|by| Closure::Reissued { by: *by })
}

/// What the board has done about one recommendation, as the deviation loop and internal
/// control record it (the store gathers it; [`handling`] reads it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ActionFacts {
    /// Actions on the recommendation's deviation for this board, and linked items of
    /// internal control.
    pub planned: usize,
    /// Of those: done.
    pub done: usize,
    /// Of those: past their date and not done (a deviation action past its due date; a
    /// linked internal-control action not done when its plan year has ended).
    pub overdue: usize,
}

/// Where one recommendation stands for one addressed board: the states the board view
/// lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// No decided response ("obesvarad").
    Unanswered,
    /// Answered, but no action planned and not declined ("besvarad utan åtgärd").
    AnsweredWithoutAction,
    /// An action is past its date ("åtgärd försenad").
    ActionOverdue,
    /// Declined by the board, still open until the auditors close it ("avböjd").
    Declined,
    /// Answered with actions; the auditors' next verdict is awaited ("väntar på uppföljning").
    AwaitingFollowUp,
    /// Closed by the auditors or issued again ("avslutad").
    Closed,
}

vocabulary!(Handling {
    Unanswered => "unanswered", "Obesvarad",
    AnsweredWithoutAction => "answered_without_action", "Besvarad utan åtgärd",
    ActionOverdue => "action_overdue", "Åtgärd försenad",
    Declined => "declined", "Avböjd",
    AwaitingFollowUp => "awaiting_follow_up", "Väntar på uppföljning",
    Closed => "closed", "Avslutad",
});

impl Handling {
    /// Whether it needs the board's or KS's attention (the states the Uppsikt view counts).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Handling::Unanswered | Handling::AnsweredWithoutAction | Handling::ActionOverdue
        )
    }
}

/// Where a recommendation stands for one addressee.
pub fn handling(
    audit: &Audit,
    rec: &Recommendation,
    unit_id: Id,
    closed: bool,
    facts: ActionFacts,
) -> Handling {
    if closed {
        return Handling::Closed;
    }
    let Some(item) = audit.response_of(unit_id).and_then(|r| r.item(rec.id)) else {
        return Handling::Unanswered;
    };
    if matches!(item.stance, Stance::Declined(_)) {
        return Handling::Declined;
    }
    if facts.overdue > 0 {
        Handling::ActionOverdue
    } else if facts.planned == 0 {
        // Whatever the response's words say, nothing is planned in the loop or in internal
        // control.
        Handling::AnsweredWithoutAction
    } else {
        Handling::AwaitingFollowUp
    }
}

/// A recommendation's age in whole years on `today` (ISO), counted from the audit's
/// report day (or the start of its plan year).
pub fn age_years(audit: &Audit, today: &str) -> i64 {
    let from = audit.issued_or_plan_start();
    let (Some(fy), Some(ty)) = (year_of(&from), year_of(today)) else {
        return 0;
    };
    let mut years = i64::from(ty - fy);
    if today.get(4..) < from.get(4..) {
        years -= 1;
    }
    years.max(0)
}

fn year_of(date: &str) -> Option<i32> {
    date.get(..4)?.parse().ok()
}

/// "6 år", "1 år", "under ett år".
pub fn age_sv(years: i64) -> String {
    match years {
        0 => "under ett år".into(),
        n => format!("{n} år"),
    }
}

/// One row of a board's list: a recommendation addressed to it, where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardRow {
    pub audit_id: Id,
    pub recommendation_id: Id,
    pub unit_id: Id,
    pub handling: Handling,
    pub age_years: i64,
    pub response_overdue: bool,
    pub facts: ActionFacts,
    /// The auditors' latest verdict (year, grade).
    pub latest_verdict: Option<(i32, Grade)>,
}

/// Every recommendation × addressee, where it stands on `today`. `facts` gives the board's
/// actions per (recommendation, unit); missing means none.
pub fn board_rows(
    audits: &[Audit],
    facts: &HashMap<(Id, Id), ActionFacts>,
    today: &str,
) -> Vec<BoardRow> {
    let succ = successors(audits);
    let mut rows = Vec::new();
    for audit in audits {
        for rec in &audit.recommendations {
            let closed = closure(rec, &succ).is_some();
            for &unit_id in &rec.addressees {
                let f = facts.get(&(rec.id, unit_id)).copied().unwrap_or_default();
                rows.push(BoardRow {
                    audit_id: audit.id,
                    recommendation_id: rec.id,
                    unit_id,
                    handling: handling(audit, rec, unit_id, closed, f),
                    age_years: age_years(audit, today),
                    response_overdue: !closed && audit.response_overdue(unit_id, today),
                    facts: f,
                    latest_verdict: rec.latest_verdict().map(|v| (v.year, v.grade)),
                });
            }
        }
    }
    rows
}

/// Counts per board for KS's oversight (Uppsikt): open recommendations, how many of them
/// need attention, unanswered ones (and overdue), declined ones, and the oldest open one's
/// age.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BoardTally {
    pub open: usize,
    pub needs_attention: usize,
    pub unanswered: usize,
    pub response_overdue: usize,
    pub action_overdue: usize,
    pub declined: usize,
    pub awaiting_follow_up: usize,
    pub oldest_years: Option<i64>,
}

/// The tally of every board that has recommendations addressed to it.
pub fn tally_by_unit(rows: &[BoardRow]) -> BTreeMap<Id, BoardTally> {
    let mut map: BTreeMap<Id, BoardTally> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.handling != Handling::Closed) {
        let t = map.entry(r.unit_id).or_default();
        t.open += 1;
        t.needs_attention += usize::from(r.handling.needs_attention());
        t.unanswered += usize::from(r.handling == Handling::Unanswered);
        t.response_overdue += usize::from(r.response_overdue);
        t.action_overdue += usize::from(r.handling == Handling::ActionOverdue);
        t.declined += usize::from(r.handling == Handling::Declined);
        t.awaiting_follow_up += usize::from(r.handling == Handling::AwaitingFollowUp);
        t.oldest_years = Some(t.oldest_years.map_or(r.age_years, |o| o.max(r.age_years)));
    }
    map
}

/// One step in a recommendation's chain, in time order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum ChainStep {
    /// Issued in an audit.
    Recommended {
        audit_id: Id,
        recommendation_id: Id,
        year: i32,
    },
    /// A board's stance in its response.
    Responded {
        recommendation_id: Id,
        unit_id: Id,
        decided_on: String,
        stance: Stance,
    },
    /// The auditors' verdict of a year.
    Judged {
        recommendation_id: Id,
        year: i32,
        grade: Grade,
    },
}

/// The whole chain a recommendation belongs to: its predecessors and successors
/// (recommended → declined → not followed → issued again), each with its responses and
/// verdicts, oldest first.
pub fn chain(audits: &[Audit], recommendation_id: Id) -> Vec<ChainStep> {
    let by_id: HashMap<Id, (&Audit, &Recommendation)> = audits
        .iter()
        .flat_map(|a| a.recommendations.iter().map(move |r| (r.id, (a, r))))
        .collect();
    let succ = successors(audits);
    // Walk back to the first of the chain.
    let mut first = recommendation_id;
    let mut guard = 0;
    while let Some(p) = by_id.get(&first).and_then(|(_, r)| r.reissues) {
        if !by_id.contains_key(&p) || guard > MAX_ITEMS {
            break;
        }
        first = p;
        guard += 1;
    }
    // Then forward, breadth first (a recommendation may be issued again more than once).
    let mut order = vec![first];
    let mut i = 0;
    while i < order.len() && order.len() <= MAX_ITEMS {
        for s in succ.get(&order[i]).into_iter().flatten() {
            if !order.contains(s) {
                order.push(*s);
            }
        }
        i += 1;
    }
    let mut steps = Vec::new();
    for id in order {
        let Some((audit, rec)) = by_id.get(&id) else {
            continue;
        };
        steps.push(ChainStep::Recommended {
            audit_id: audit.id,
            recommendation_id: id,
            year: audit.plan_year,
        });
        let mut answered: Vec<&Response> = audit
            .responses
            .iter()
            .filter(|r| r.item(id).is_some())
            .collect();
        answered.sort_by(|a, b| a.decided_on.cmp(&b.decided_on));
        for r in answered {
            steps.push(ChainStep::Responded {
                recommendation_id: id,
                unit_id: r.unit_id,
                decided_on: r.decided_on.clone(),
                stance: r
                    .item(id)
                    .map(|i| i.stance.clone())
                    .unwrap_or(Stance::NotStated),
            });
        }
        for v in &rec.verdicts {
            steps.push(ChainStep::Judged {
                recommendation_id: id,
                year: v.year,
                grade: v.grade,
            });
        }
    }
    steps
}

/// The cause key of the deviation for one recommendation and one addressee.
pub fn cause_key(recommendation_id: Id, unit_id: Id) -> String {
    format!("audit-recommendation:{recommendation_id}:{unit_id}")
}

/// The deviation a recommendation raises for one addressee: it is raised in the audit's
/// plan year, in the board, and its decision is the board's response.
pub fn deviation_for(audit: &Audit, rec: &Recommendation, unit_id: Id) -> NewDeviation {
    let severity = match audit.overall {
        Some(Assessment::No) => Severity::High,
        _ => Severity::Medium,
    };
    NewDeviation {
        org_id: unit_id,
        area: None,
        source: Source::AuditRecommendation,
        severity,
        period: Period::Year(audit.plan_year),
        description: format!(
            "Rekommendation {} i ”{}” ({}): {}",
            rec.number, audit.title, audit.plan_year, rec.text
        ),
        cause_key: Some(cause_key(rec.id, unit_id)),
    }
}

/// The deviations due in a year: every recommendation × addressee of the audits of that
/// plan year that is not closed. (Raising skips those raised before, by cause key.)
pub fn deviation_candidates(audits: &[Audit], year: i32) -> Vec<NewDeviation> {
    let succ = successors(audits);
    audits
        .iter()
        .filter(|a| a.plan_year == year)
        .flat_map(|a| a.recommendations.iter().map(move |r| (a, r)))
        .filter(|(_, r)| closure(r, &succ).is_none())
        .flat_map(|(a, r)| r.addressees.iter().map(move |u| deviation_for(a, r, *u)))
        .collect()
}

/// The decision a response records on a recommendation's deviation: the board's stance
/// decides whether actions follow (a decline carries its motivation).
pub fn response_decision(response: &Response, item: &ResponseItem) -> deviation::Decision {
    deviation::Decision {
        body: response.body,
        decided_on: response.decided_on.clone(),
        paragraph: response.paragraph.clone(),
        diary_number: response
            .case_ref
            .as_ref()
            .map(|c| c.text.clone())
            .unwrap_or_default(),
        outcome: match &item.stance {
            Stance::Declined(m) => Outcome::NoAction {
                motivation: m.clone(),
            },
            _ => Outcome::Act,
        },
    }
}

/// What the auditors' follow-up of a year covers: every recommendation with a verdict that
/// year, grouped by audit (oldest audit first), and the follow-up audits of that year
/// (whose recommendations are the new ones).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUpYear {
    pub year: i32,
    /// (audit id, recommendation ids judged that year), audits in plan-year order.
    pub judged: Vec<(Id, Vec<Id>)>,
    /// Follow-up audits of the year (their new recommendations).
    pub follow_up_audits: Vec<Id>,
}

/// Gathers the follow-up of a year.
pub fn follow_up_year(audits: &[Audit], year: i32) -> FollowUpYear {
    let mut sorted: Vec<&Audit> = audits.iter().collect();
    sorted.sort_by_key(|a| (a.plan_year, a.id));
    let judged = sorted
        .iter()
        .filter_map(|a| {
            let ids: Vec<Id> = a
                .recommendations
                .iter()
                .filter(|r| r.verdicts.iter().any(|v| v.year == year))
                .map(|r| r.id)
                .collect();
            (!ids.is_empty()).then_some((a.id, ids))
        })
        .collect();
    let follow_up_audits = sorted
        .iter()
        .filter(|a| a.kind == AuditKind::FollowUp && a.plan_year == year)
        .map(|a| a.id)
        .collect();
    FollowUpYear {
        year,
        judged,
        follow_up_audits,
    }
}

/// The years with verdicts or follow-up audits, newest first.
pub fn follow_up_years(audits: &[Audit]) -> Vec<i32> {
    let mut years: Vec<i32> = audits
        .iter()
        .flat_map(|a| a.recommendations.iter().flat_map(|r| &r.verdicts))
        .map(|v| v.year)
        .chain(
            audits
                .iter()
                .filter(|a| a.kind == AuditKind::FollowUp)
                .map(|a| a.plan_year),
        )
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    years
}

/// Counts of verdicts by grade (for a year's follow-up summary), in scale order.
pub fn grade_counts<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Vec<(Grade, usize)> {
    let mut counts: HashMap<Grade, usize> = HashMap::new();
    for v in verdicts {
        *counts.entry(v.grade).or_default() += 1;
    }
    Grade::ALL
        .iter()
        .filter_map(|g| counts.get(g).map(|n| (*g, *n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_ref::CaseRefFormat;
    use proptest::prelude::*;

    const KS: Id = 1;
    const GSN: Id = 2;

    fn rec(id: Id, number: &str, addressees: &[Id]) -> Recommendation {
        Recommendation {
            id,
            audit_id: 0,
            number: number.into(),
            text: format!("Rekommendation {number}"),
            addressees: addressees.to_vec(),
            questions: vec![],
            reissues: None,
            verdicts: vec![],
            ic_links: vec![],
        }
    }

    fn audit(id: Id, year: i32, recs: Vec<Recommendation>) -> Audit {
        Audit {
            id,
            title: format!("Granskning {id}"),
            plan_year: year,
            kind: AuditKind::Review,
            commissioned_by: "Huddinge kommuns revisorer".into(),
            performed_by: "KPMG AB".into(),
            audited_units: vec![KS],
            case_ref: None,
            issued_on: None,
            response_due: None,
            purpose: String::new(),
            scope: String::new(),
            method: String::new(),
            criteria: vec![],
            fact_checked: true,
            overall: Some(Assessment::Partly),
            overall_text: String::new(),
            signatories: vec![],
            follows_up: vec![],
            questions: vec![],
            recommendations: recs
                .into_iter()
                .map(|mut r| {
                    r.audit_id = id;
                    r
                })
                .collect(),
            responses: vec![],
            report: None,
        }
    }

    fn verdict(id: Id, year: i32, grade: Grade) -> Verdict {
        Verdict {
            id,
            year,
            grade,
            text: "text".into(),
            evidence: String::new(),
            closes: false,
        }
    }

    fn response(unit_id: Id, items: Vec<(Id, Stance, &str)>) -> Response {
        Response {
            id: 1,
            audit_id: 0,
            unit_id,
            body: DecidingBody::Board,
            document: "protokollsutdrag".into(),
            decided_on: "2020-09-01".into(),
            paragraph: "§ 9".into(),
            case_ref: None,
            items: items
                .into_iter()
                .map(|(id, stance, comment)| ResponseItem {
                    recommendation_id: id,
                    stance,
                    comment: comment.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_civil_society_chain_shows_all_three_steps() {
        // CS-1 (2019, to KS) declined 2020, "valt att inte följa" 2021, issued again 2021.
        let mut cs = audit(10, 2019, vec![rec(101, "1", &[KS])]);
        cs.responses.push(response(
            KS,
            vec![(101, Stance::Declined("Ordinarie styrning".into()), "")],
        ));
        cs.recommendations[0]
            .verdicts
            .push(verdict(1, 2021, Grade::Declined));
        let mut follow = audit(20, 2021, vec![rec(201, "CS21-b", &[KS])]);
        follow.kind = AuditKind::FollowUp;
        follow.recommendations[0].reissues = Some(101);
        let audits = vec![cs, follow];
        let steps = chain(&audits, 201);
        let kinds: Vec<&str> = steps
            .iter()
            .map(|s| match s {
                ChainStep::Recommended { .. } => "recommended",
                ChainStep::Responded { .. } => "responded",
                ChainStep::Judged { .. } => "judged",
            })
            .collect();
        assert_eq!(kinds, ["recommended", "responded", "judged", "recommended"]);
        assert_eq!(chain(&audits, 101), steps, "the same chain from either end");
        // The original is closed by being issued again; the successor is open, unanswered.
        let rows = board_rows(&audits, &HashMap::new(), "2026-12-06");
        assert_eq!(rows[0].handling, Handling::Closed);
        assert_eq!(rows[1].handling, Handling::Unanswered);
    }

    #[test]
    fn each_addressee_needs_its_own_response() {
        let mut a = audit(1, 2023, vec![rec(11, "T-1", &[KS, GSN])]);
        a.responses
            .push(response(KS, vec![(11, Stance::Accepted, "Ses över")]));
        let rows = board_rows(&[a], &HashMap::new(), "2026-12-06");
        let by_unit: HashMap<Id, Handling> = rows.iter().map(|r| (r.unit_id, r.handling)).collect();
        assert_eq!(by_unit[&KS], Handling::AnsweredWithoutAction);
        assert_eq!(by_unit[&GSN], Handling::Unanswered);
    }

    #[test]
    fn handling_follows_the_boards_actions() {
        let mut a = audit(1, 2019, vec![rec(11, "1", &[KS])]);
        a.responses
            .push(response(KS, vec![(11, Stance::Accepted, "")]));
        let r = a.recommendations[0].clone();
        let f = |planned, overdue| ActionFacts {
            planned,
            done: 0,
            overdue,
        };
        assert_eq!(
            handling(&a, &r, KS, false, f(0, 0)),
            Handling::AnsweredWithoutAction
        );
        assert_eq!(
            handling(&a, &r, KS, false, f(2, 0)),
            Handling::AwaitingFollowUp
        );
        assert_eq!(
            handling(&a, &r, KS, false, f(2, 1)),
            Handling::ActionOverdue
        );
        assert_eq!(handling(&a, &r, KS, true, f(2, 1)), Handling::Closed);
        assert_eq!(handling(&a, &r, GSN, false, f(0, 0)), Handling::Unanswered);
    }

    #[test]
    fn genomford_closes_and_other_verdicts_keep_it_open_unless_the_auditors_close_it() {
        let mut r = rec(1, "1", &[KS]);
        let none = HashMap::new();
        r.verdicts.push(verdict(1, 2021, Grade::PartlyImplemented));
        assert_eq!(closure(&r, &none), None);
        r.verdicts.push(Verdict {
            closes: true,
            ..verdict(2, 2022, Grade::PlannedNotStarted)
        });
        assert_eq!(
            closure(&r, &none),
            Some(Closure::ByVerdict {
                year: 2022,
                grade: Grade::PlannedNotStarted
            })
        );
        let mut r = rec(1, "1", &[KS]);
        r.verdicts.push(verdict(1, 2021, Grade::Implemented));
        assert!(closure(&r, &none).is_some());
    }

    #[test]
    fn age_counts_whole_years_from_the_report_or_the_plan_year() {
        let mut a = audit(1, 2013, vec![]);
        assert_eq!(age_years(&a, "2019-12-31"), 6);
        assert_eq!(age_years(&a, "2013-06-01"), 0);
        a.issued_on = Some("2016-05-10".into());
        assert_eq!(age_years(&a, "2019-05-09"), 2);
        assert_eq!(age_years(&a, "2019-05-10"), 3);
        assert_eq!(age_sv(0), "under ett år");
        assert_eq!(age_sv(6), "6 år");
    }

    #[test]
    fn responses_are_checked_against_the_addressees() {
        let a = audit(1, 2019, vec![rec(11, "1", &[KS]), rec(12, "2", &[GSN])]);
        let ok = response(KS, vec![(11, Stance::Accepted, "")]);
        assert_eq!(validate_response(&a, &ok, "2026-01-01"), Ok(()));
        let other = response(KS, vec![(12, Stance::Accepted, "")]);
        assert!(matches!(
            validate_response(&a, &other, "2026-01-01"),
            Err(AuditRefusal::NotAddressedRecommendation(_))
        ));
        let twice = response(
            KS,
            vec![(11, Stance::Accepted, ""), (11, Stance::NotStated, "")],
        );
        assert_eq!(
            validate_response(&a, &twice, "2026-01-01"),
            Err(AuditRefusal::AlreadyAnswered)
        );
        assert_eq!(
            validate_response(&a, &response(99, vec![]), "2026-01-01"),
            Err(AuditRefusal::NotAddressed)
        );
        assert_eq!(
            validate_response(&a, &ok, "2019-01-01"),
            Err(AuditRefusal::InFuture)
        );
        let mut early = ok.clone();
        early.decided_on = "2018-12-31".into();
        assert_eq!(
            validate_response(&a, &early, "2026-01-01"),
            Err(AuditRefusal::ResponseBeforeAudit)
        );
        assert_eq!(
            Stance::from_parts("declined", "  "),
            Err(AuditRefusal::MotivationRequired)
        );
        assert_eq!(
            Stance::from_parts("accepted_with_reservation", ""),
            Err(AuditRefusal::ReservationRequired)
        );
    }

    #[test]
    fn a_decline_becomes_a_decision_not_to_act_with_its_motivation() {
        let mut r = response(
            KS,
            vec![(11, Stance::Declined("Ordinarie styrning".into()), "")],
        );
        r.case_ref = Some(CaseRefFormat::huddinge().parse("KS-2020/716.912").unwrap());
        let d = response_decision(&r, &r.items[0]);
        assert_eq!(d.diary_number, "KS-2020/716.912");
        assert_eq!(
            d.outcome,
            Outcome::NoAction {
                motivation: "Ordinarie styrning".into()
            }
        );
        let r = response(KS, vec![(11, Stance::NotStated, "")]);
        assert_eq!(response_decision(&r, &r.items[0]).outcome, Outcome::Act);
    }

    #[test]
    fn verdicts_are_checked() {
        let mut a = audit(1, 2019, vec![rec(11, "1", &[KS])]);
        a.recommendations[0]
            .verdicts
            .push(verdict(1, 2021, Grade::Implemented));
        let r = a.recommendations[0].clone();
        let mut v = verdict(0, 2021, Grade::PartlyImplemented);
        assert_eq!(
            validate_verdict(&a, &r, &v),
            Err(AuditRefusal::VerdictExists(2021))
        );
        v.year = 2022;
        assert_eq!(
            validate_verdict(&a, &r, &v),
            Err(AuditRefusal::AlreadyClosed)
        );
        v.year = 2018;
        assert_eq!(
            validate_verdict(&a, &r, &v),
            Err(AuditRefusal::VerdictBeforeAudit)
        );
        let r = rec(12, "2", &[KS]);
        let mut v = verdict(0, 2021, Grade::Declined);
        v.text = " ".into();
        assert_eq!(
            validate_verdict(&a, &r, &v),
            Err(AuditRefusal::VerdictTextRequired)
        );
    }

    #[test]
    fn an_audit_is_checked() {
        let mut a = audit(1, 2024, vec![rec(11, "1", &[KS]), rec(12, "1", &[KS])]);
        assert_eq!(validate(&a), Err(AuditRefusal::DuplicateNumber("1".into())));
        a.recommendations[1].number = "2".into();
        a.recommendations[1].questions = vec![5];
        assert_eq!(validate(&a), Err(AuditRefusal::UnknownQuestion(5)));
        a.recommendations[1].questions = vec![];
        a.recommendations[1].addressees = vec![];
        assert_eq!(validate(&a), Err(AuditRefusal::NoAddressee));
        a.recommendations[1].addressees = vec![KS];
        assert_eq!(validate(&a), Ok(()));
        a.title = " ".into();
        assert_eq!(validate(&a), Err(AuditRefusal::Required("title")));
    }

    #[test]
    fn a_question_assessed_without_reasoning_is_named() {
        let mut a = audit(1, 2024, vec![]);
        for (n, reasoning) in [(4, "Bara delår"), (5, "")] {
            a.questions.push(Question {
                id: n.into(),
                number: n,
                text: "?".into(),
                assessment: Some(Assessment::No),
                reasoning: reasoning.into(),
                sub_questions: vec![],
            });
        }
        assert_eq!(a.questions_without_reasoning(), vec![5]);
    }

    #[test]
    fn criteria_name_their_law_or_rule() {
        let c = Criterion::parse("kommunallagen (2017:725) 6 kap. 6 §");
        assert_eq!(c.refers_to, Some(CriterionRef::Statute("2017:725".into())));
        let c =
            Criterion::parse("Lag (2023:196) om kommuners ansvar för brottsförebyggande arbete");
        assert_eq!(c.refers_to, Some(CriterionRef::Statute("2023:196".into())));
        let c = Criterion::parse("HKF8020 Regler för föreningsbidrag");
        assert_eq!(c.refers_to, Some(CriterionRef::Rule("HKF 8020".into())));
        let c = Criterion::parse("Eventuella avtal och gränsdragningar");
        assert_eq!(c.refers_to, None);
    }

    #[test]
    fn the_pdf_check_reads_the_magic_and_the_size() {
        assert_eq!(check_report(b"%PDF-1.7\n..."), Ok(()));
        assert_eq!(check_report(b"<html>"), Err(AuditRefusal::NotPdf));
        assert_eq!(
            check_report(&vec![b'%'; MAX_REPORT_BYTES + 1]),
            Err(AuditRefusal::ReportTooLarge)
        );
    }

    #[test]
    fn deviations_are_due_once_per_recommendation_and_addressee_until_closed() {
        let mut a = audit(
            1,
            2023,
            vec![rec(11, "T-1", &[KS, GSN]), rec(12, "T-2", &[KS])],
        );
        a.recommendations[1]
            .verdicts
            .push(verdict(1, 2024, Grade::Implemented));
        let due = deviation_candidates(&[a.clone()], 2023);
        let keys: Vec<String> = due.iter().filter_map(|d| d.cause_key.clone()).collect();
        assert_eq!(keys, [cause_key(11, KS), cause_key(11, GSN)]);
        assert!(deviation_candidates(&[a], 2024).is_empty());
    }

    #[test]
    fn vocabularies_parse_their_labels_and_codes() {
        assert_eq!(
            Assessment::parse("I allt väsentligt"),
            Some(Assessment::InAllEssentials)
        );
        assert_eq!(Assessment::parse("nej"), Some(Assessment::No));
        assert_eq!(
            Grade::parse("planned_not_started"),
            Some(Grade::PlannedNotStarted)
        );
        assert_eq!(
            AuditKind::parse("Uppföljande granskning"),
            Some(AuditKind::FollowUp)
        );
        assert_eq!(Handling::parse("Obesvarad"), Some(Handling::Unanswered));
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.code()), Some(*g));
            assert_eq!(Grade::parse(g.label_sv()), Some(*g));
        }
    }

    proptest! {
        /// Whatever the chain of re-issues, every recommendation in it appears once as
        /// "recommended", and walking it never loops.
        #[test]
        fn chains_are_finite_and_complete(parents in proptest::collection::vec(proptest::option::of(0usize..12), 1..12)) {
            // Recommendation i may re-issue an earlier one (j < i): no cycles by construction.
            let recs: Vec<Recommendation> = parents.iter().enumerate().map(|(i, p)| {
                let mut r = rec(i as Id + 1, &format!("{i}"), &[KS]);
                r.reissues = p.filter(|j| *j < i).map(|j| j as Id + 1);
                r
            }).collect();
            let audits = vec![audit(1, 2020, recs)];
            for i in 0..parents.len() {
                let steps = chain(&audits, i as Id + 1);
                let mut seen = HashSet::new();
                for s in &steps {
                    if let ChainStep::Recommended { recommendation_id, .. } = s {
                        prop_assert!(seen.insert(*recommendation_id));
                    }
                }
                prop_assert!(seen.contains(&(i as Id + 1)));
            }
        }

        /// A re-issue that would close a loop is always detected.
        #[test]
        fn cycles_are_detected(n in 2usize..10, back in 0usize..10) {
            let back = back % n;
            let recs: Vec<Recommendation> = (0..n).map(|i| {
                let mut r = rec(i as Id + 1, &format!("{i}"), &[KS]);
                r.reissues = (i > 0).then_some(i as Id);
                r
            }).collect();
            let audits = vec![audit(1, 2020, recs)];
            // Making rec back+1 re-issue the last one closes a loop.
            prop_assert!(reissue_would_cycle(&audits, back as Id + 1, n as Id));
            prop_assert!(!reissue_would_cycle(&audits, n as Id, back as Id + 1) || back as Id + 1 == n as Id);
        }

        /// Open tallies add up: every open row is counted once, and attention is a part of it.
        #[test]
        fn tallies_add_up(states in proptest::collection::vec((0usize..6, 0i64..20), 0..40)) {
            let rows: Vec<BoardRow> = states.iter().enumerate().map(|(i, (h, age))| BoardRow {
                audit_id: 1,
                recommendation_id: i as Id,
                unit_id: (i % 3) as Id,
                handling: Handling::ALL[*h],
                age_years: *age,
                response_overdue: false,
                facts: ActionFacts::default(),
                latest_verdict: None,
            }).collect();
            let t = tally_by_unit(&rows);
            let open: usize = t.values().map(|x| x.open).sum();
            prop_assert_eq!(open, rows.iter().filter(|r| r.handling != Handling::Closed).count());
            for x in t.values() {
                prop_assert!(x.needs_attention <= x.open);
                prop_assert!(x.unanswered + x.action_overdue <= x.needs_attention);
                prop_assert!(x.unanswered + x.action_overdue + x.declined + x.awaiting_follow_up <= x.open);
                prop_assert!(x.oldest_years.is_some());
            }
        }
    }
}
