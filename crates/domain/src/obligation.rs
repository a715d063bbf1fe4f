//! Statutory duties with deadlines: a [`Statute`] (its SFS number, in force from, the body
//! that leads the work) and its [`Obligation`]s, each with a content checklist, a due
//! rule (a first date and/or "at least every N months" from the latest qualifying
//! evidence), the responsible board, evidence, and dated status assessments by the board
//! itself or the auditors (`DOMAIN-MODULES.md` D1, D3).
//!
//! Nothing here is particular to Lag (2023:196): its eight duties are data (the demo),
//! and any statute with duties and deadlines fits. [`compliance`] counts the statute's
//! requirements met the way the auditors do ("2 av 4": a requirement grouping several
//! duties is met only when all are); [`deviation_candidates`] raises an overdue or unmet
//! duty on its responsible board.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::area::{self, coded_enum, AreaRefusal};
use crate::deviation::{NewDeviation, Severity, Source};
use crate::model::Id;
use crate::period::Period;

/// A statute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statute {
    pub id: Id,
    /// "2023:196".
    pub sfs: String,
    pub title: String,
    /// ISO date it entered into force (2023-07-01; seed 002 says 2023-06-01 in error).
    pub in_force: Option<String>,
    /// The body leading the work under it (KS).
    pub leading_unit_id: Option<Id>,
    /// Where its text is ("https://lagen.nu/2023:196").
    pub url: String,
    pub note: String,
}

/// Whether `sfs` reads `YYYY:N`.
pub fn sfs_ok(sfs: &str) -> bool {
    let Some((y, n)) = sfs.trim().split_once(':') else {
        return false;
    };
    y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && !n.is_empty()
        && n.len() <= 5
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// Refuses an SFS number that is malformed or not registered, naming the registered one
/// it is one character from (seed 002 writes "2023:193" for 2023:196 eight times).
pub fn known_statute(sfs: &str, known: &[String]) -> Result<(), AreaRefusal> {
    if !sfs_ok(sfs) {
        return Err(AreaRefusal::BadSfs(sfs.to_string()));
    }
    if known.iter().any(|k| k == sfs.trim()) {
        return Ok(());
    }
    let close = known
        .iter()
        .find(|k| {
            k.len() == sfs.trim().len()
                && k.chars()
                    .zip(sfs.trim().chars())
                    .filter(|(a, b)| a != b)
                    .count()
                    == 1
        })
        .cloned();
    Err(AreaRefusal::UnknownStatute(sfs.trim().to_string(), close))
}

/// Checks a statute against the others.
pub fn validate_statute(s: &Statute, others: &[Statute]) -> Result<(), AreaRefusal> {
    if !sfs_ok(&s.sfs) {
        return Err(AreaRefusal::BadSfs(s.sfs.clone()));
    }
    area::required(&s.title, "title")?;
    area::short(&s.url, "url")?;
    area::long(&s.note, "note")?;
    area::date(s.in_force.as_deref(), "in_force")?;
    if others.iter().any(|o| o.id != s.id && o.sfs == s.sfs.trim()) {
        return Err(AreaRefusal::Duplicate(s.sfs.clone()));
    }
    Ok(())
}

/// A duty's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    Met,
    Partly,
    NotMet,
    NotAssessed,
}

coded_enum!(ComplianceStatus {
    Met = "uppfylld", "Uppfylld";
    Partly = "delvis", "Delvis uppfylld";
    NotMet = "ej_uppfylld", "Ej uppfylld";
    NotAssessed = "ej_bedomd", "Ej bedömd";
});

/// What kind of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    SituationReport,
    Agreement,
    Forum,
    Decision,
    Function,
    Document,
}

coded_enum!(EvidenceKind {
    SituationReport = "lagesbild", "Lägesbild";
    Agreement = "overenskommelse", "Överenskommelse";
    Forum = "forum", "Forum";
    Decision = "beslut", "Beslut";
    Function = "funktion", "Funktion";
    Document = "dokument", "Dokument";
});

/// One piece of evidence for a duty. `ref_id` names the situation report, agreement or
/// forum for those kinds; a decision or document is described by its text and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: Id,
    pub kind: EvidenceKind,
    pub ref_id: Option<Id>,
    /// ISO date (a decision's date, a report's end, an agreement's start).
    pub date: Option<String>,
    /// E.g. "KS 2024-06-10 § 5", "Säkerhetssamordnare, trygghets- och säkerhetssektionen".
    pub text: String,
}

/// One status assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObligationAssessment {
    pub status: ComplianceStatus,
    /// Who assessed: "Revisorerna (KPMG), granskning 2023/24", or the board.
    pub assessed_by: String,
    pub by_auditors: bool,
    pub assessed_on: String,
    pub text: String,
}

/// A statutory duty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Obligation {
    pub id: Id,
    pub statute_id: Id,
    /// The register's code ("L1").
    pub code: String,
    /// The section ("4 §"); empty: not checked against the statute, so not shown.
    pub section: String,
    /// The duty in own words.
    pub duty: String,
    /// The content the duty asks for, as items.
    pub checklist: Vec<String>,
    /// The requirement it counts toward (duties sharing a requirement are met together:
    /// seed 002's requirement "1" is L1–L3); `None`: not counted.
    pub requirement: Option<String>,
    /// ISO date it is first due.
    pub first_due: Option<String>,
    /// At least every N months after the latest qualifying evidence.
    pub every_months: Option<u32>,
    pub responsible_unit_id: Option<Id>,
    /// The kind of evidence that can fulfil it (`None`: any).
    pub fulfilled_by: Option<EvidenceKind>,
    pub evidence: Vec<Evidence>,
    /// Oldest first.
    pub assessments: Vec<ObligationAssessment>,
    pub note: String,
}

impl Obligation {
    /// The latest assessment (by date, then as entered).
    pub fn current(&self) -> Option<&ObligationAssessment> {
        self.assessments
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| (&a.assessed_on, i).cmp(&(&b.assessed_on, j)))
            .map(|(_, a)| a)
    }

    pub fn status(&self) -> ComplianceStatus {
        self.current()
            .map(|a| a.status)
            .unwrap_or(ComplianceStatus::NotAssessed)
    }
}

/// What the evidence refers to, as far as the rules need it.
#[derive(Debug, Clone, Default)]
pub struct EvidenceFacts {
    /// Situation reports whose checklist is complete.
    pub complete_reports: BTreeSet<Id>,
    /// Forums designated the strategic council with the law's properties.
    pub qualified_councils: BTreeSet<Id>,
    /// Agreements that exist.
    pub agreements: BTreeSet<Id>,
}

/// Whether one piece of evidence can fulfil the duty: of the right kind, and for a
/// situation report a complete checklist, for a forum a qualified council designation.
pub fn qualifies(o: &Obligation, e: &Evidence, facts: &EvidenceFacts) -> bool {
    if o.fulfilled_by.is_some_and(|k| k != e.kind) {
        return false;
    }
    match (e.kind, e.ref_id) {
        (EvidenceKind::SituationReport, Some(id)) => facts.complete_reports.contains(&id),
        (EvidenceKind::SituationReport, None) => false,
        (EvidenceKind::Forum, Some(id)) => facts.qualified_councils.contains(&id),
        (EvidenceKind::Forum, None) => false,
        (EvidenceKind::Agreement, Some(id)) => facts.agreements.contains(&id),
        (EvidenceKind::Agreement, None) => false,
        _ => !e.text.trim().is_empty(),
    }
}

/// The date the duty is next due: the first due date until there is qualifying dated
/// evidence, then that evidence's date plus the cadence (no cadence: not due again).
pub fn next_due(o: &Obligation, facts: &EvidenceFacts) -> Option<String> {
    let latest = o
        .evidence
        .iter()
        .filter(|e| qualifies(o, e, facts))
        .filter_map(|e| e.date.clone())
        .max();
    match (latest, o.every_months) {
        (Some(d), Some(m)) => Some(add_months(&d, m)),
        (Some(_), None) => None,
        (None, _) => o.first_due.clone(),
    }
}

/// An ISO date plus whole months (the day clamped to the month's length).
pub fn add_months(date: &str, months: u32) -> String {
    let y: i64 = date.get(..4).and_then(|s| s.parse().ok()).unwrap_or(0);
    let m: i64 = date.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    let d: i64 = date.get(8..10).and_then(|s| s.parse().ok()).unwrap_or(1);
    let total = y * 12 + (m - 1) + i64::from(months);
    let (ny, nm) = (total / 12, total % 12 + 1);
    let last = crate::date::civil_from_days(
        crate::date::days_from_civil(
            if nm == 12 { ny + 1 } else { ny },
            if nm == 12 { 1 } else { nm + 1 },
            1,
        ) - 1,
    )
    .2;
    format!("{ny:04}-{nm:02}-{:02}", d.min(last))
}

/// Whether the duty is overdue on `today`: due before today and not met by qualifying
/// evidence. `Some(due)` when overdue.
pub fn overdue(o: &Obligation, facts: &EvidenceFacts, today: &str) -> Option<String> {
    let due = next_due(o, facts)?;
    (due.as_str() < today).then_some(due)
}

/// Checks a new status assessment: "Uppfylld" needs evidence that can fulfil the duty.
pub fn validate_assessment(
    o: &Obligation,
    a: &ObligationAssessment,
    facts: &EvidenceFacts,
    today: &str,
) -> Result<(), AreaRefusal> {
    area::required(&a.assessed_by, "assessed_by")?;
    area::long(&a.text, "text")?;
    area::date(Some(&a.assessed_on), "assessed_on")?;
    if a.assessed_on.as_str() > today {
        return Err(AreaRefusal::InFuture);
    }
    if a.status == ComplianceStatus::Met && !o.evidence.iter().any(|e| qualifies(o, e, facts)) {
        return Err(AreaRefusal::NoQualifyingEvidence(missing_evidence_sv(o)));
    }
    Ok(())
}

/// What evidence a duty lacks, in Swedish.
pub fn missing_evidence_sv(o: &Obligation) -> String {
    match o.fulfilled_by {
        Some(EvidenceKind::SituationReport) => {
            "en lägesbild med allt innehåll lagen kräver (kartläggning, omfattning, konsekvenser, annan information, analys)".into()
        }
        Some(EvidenceKind::Forum) => {
            "ett forum utsett till strategiskt råd med lagens krav".into()
        }
        Some(k) => format!("underlag av slaget ”{}”", k.label_sv().to_lowercase()),
        None => "underlag".into(),
    }
}

/// Checks an obligation's own content.
pub fn validate_obligation(o: &Obligation) -> Result<(), AreaRefusal> {
    area::required(&o.code, "code")?;
    area::required(&o.duty, "duty")?;
    area::short(&o.section, "section")?;
    area::long(&o.note, "note")?;
    area::date(o.first_due.as_deref(), "first_due")?;
    area::count(o.checklist.len(), "checklist")?;
    area::count(o.evidence.len(), "evidence")?;
    area::count(o.assessments.len(), "assessments")?;
    for c in &o.checklist {
        area::required(c, "checklist")?;
    }
    for e in &o.evidence {
        area::date(e.date.as_deref(), "date")?;
        area::long(&e.text, "text")?;
    }
    if o.every_months.is_some_and(|m| m == 0 || m > 120) {
        return Err(AreaRefusal::Required("every_months"));
    }
    Ok(())
}

/// One requirement's line on the compliance page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementRow {
    pub requirement: String,
    pub obligation_ids: Vec<Id>,
    pub met: bool,
}

/// A statute's compliance: its counted requirements and how many are met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    pub requirements: Vec<RequirementRow>,
    pub met: usize,
    pub total: usize,
}

impl Compliance {
    /// "2 av 4".
    pub fn summary_sv(&self) -> String {
        format!("{} av {}", self.met, self.total)
    }
}

/// Counts a statute's requirements met: each requirement (in first-seen order by code)
/// is met when every duty counted toward it has the status "Uppfylld".
pub fn compliance(obligations: &[Obligation]) -> Compliance {
    let mut order: Vec<String> = Vec::new();
    let mut by_req: BTreeMap<String, Vec<&Obligation>> = BTreeMap::new();
    for o in obligations {
        if let Some(r) = &o.requirement {
            if !by_req.contains_key(r) {
                order.push(r.clone());
            }
            by_req.entry(r.clone()).or_default().push(o);
        }
    }
    let requirements: Vec<RequirementRow> = order
        .into_iter()
        .map(|r| {
            let os = &by_req[&r];
            RequirementRow {
                met: os.iter().all(|o| o.status() == ComplianceStatus::Met),
                obligation_ids: os.iter().map(|o| o.id).collect(),
                requirement: r,
            }
        })
        .collect();
    Compliance {
        met: requirements.iter().filter(|r| r.met).count(),
        total: requirements.len(),
        requirements,
    }
}

pub fn overdue_key(obligation: Id, due: &str) -> String {
    format!("obligation-overdue:{obligation}:{due}")
}
pub fn unmet_key(obligation: Id) -> String {
    format!("obligation-unmet:{obligation}")
}

/// The deviations due in `year`, on each duty's responsible board: overdue (its due
/// date falls in or before `year` and has passed) and unmet (the latest assessment,
/// made in `year`, says "Ej uppfylld").
pub fn deviation_candidates(
    statutes: &[Statute],
    obligations: &[Obligation],
    facts: &EvidenceFacts,
    year: i32,
    today: &str,
) -> Vec<NewDeviation> {
    let title = |sid: Id| {
        statutes
            .iter()
            .find(|s| s.id == sid)
            .map(|s| format!("Lag ({})", s.sfs))
            .unwrap_or_default()
    };
    let year_of = |d: &str| d.get(..4).and_then(|y| y.parse::<i32>().ok());
    let mut out = Vec::new();
    for o in obligations {
        let Some(unit) = o.responsible_unit_id else {
            continue;
        };
        if let Some(due) = overdue(o, facts, today) {
            if year_of(&due) == Some(year) {
                out.push(NewDeviation {
                    org_id: unit,
                    area: None,
                    source: Source::Obligation,
                    severity: Severity::High,
                    period: Period::Year(year),
                    description: format!(
                        "{} {}: ”{}” skulle vara uppfylld senast {due}.",
                        title(o.statute_id),
                        o.code,
                        o.duty
                    ),
                    cause_key: Some(overdue_key(o.id, &due)),
                });
            }
        }
        if let Some(a) = o.current() {
            if a.status == ComplianceStatus::NotMet && year_of(&a.assessed_on) == Some(year) {
                out.push(NewDeviation {
                    org_id: unit,
                    area: None,
                    source: Source::Obligation,
                    severity: Severity::High,
                    period: Period::Year(year),
                    description: format!(
                        "{} {}: ”{}” bedöms ej uppfylld ({}, {}).",
                        title(o.statute_id),
                        o.code,
                        o.duty,
                        a.assessed_by,
                        a.assessed_on
                    ),
                    cause_key: Some(unmet_key(o.id)),
                });
            }
        }
    }
    out
}

/// The years the duties can raise deviations in (due dates and assessments).
pub fn deviation_years(obligations: &[Obligation], facts: &EvidenceFacts) -> Vec<i32> {
    let mut years = BTreeSet::new();
    for o in obligations {
        for d in next_due(o, facts)
            .into_iter()
            .chain(o.assessments.iter().map(|a| a.assessed_on.clone()))
        {
            if let Some(y) = d.get(..4).and_then(|y| y.parse().ok()) {
                years.insert(y);
            }
        }
    }
    years.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duty(id: Id, code: &str, req: Option<&str>, status: ComplianceStatus) -> Obligation {
        Obligation {
            id,
            statute_id: 1,
            code: code.into(),
            section: String::new(),
            duty: format!("Plikt {code}"),
            checklist: vec![],
            requirement: req.map(str::to_string),
            first_due: None,
            every_months: None,
            responsible_unit_id: Some(2),
            fulfilled_by: None,
            evidence: vec![],
            assessments: vec![ObligationAssessment {
                status,
                assessed_by: "Revisorerna (KPMG), granskning 2023/24".into(),
                by_auditors: true,
                assessed_on: "2024-03-01".into(),
                text: String::new(),
            }],
            note: String::new(),
        }
    }

    use ComplianceStatus::*;

    fn huddinge() -> Vec<Obligation> {
        vec![
            duty(1, "L1", Some("1"), NotMet),
            duty(2, "L2", Some("1"), NotMet),
            duty(3, "L3", Some("1"), NotMet),
            duty(4, "L4", Some("2"), Met),
            duty(5, "L5", Some("3"), NotMet),
            duty(6, "L6", Some("4"), Met),
            duty(7, "L7", None, NotAssessed),
            duty(8, "L8", None, NotAssessed),
        ]
    }

    #[test]
    fn huddinge_meets_two_of_four() {
        let c = compliance(&huddinge());
        assert_eq!(c.summary_sv(), "2 av 4");
        assert_eq!(c.requirements[0].obligation_ids, vec![1, 2, 3]);
    }

    #[test]
    fn the_plan_is_overdue_after_2024_07_01() {
        let mut plan = duty(2, "L2", Some("1"), NotMet);
        plan.first_due = Some("2024-07-01".into());
        plan.every_months = Some(24);
        plan.fulfilled_by = Some(EvidenceKind::Decision);
        let f = EvidenceFacts::default();
        assert_eq!(overdue(&plan, &f, "2024-07-01"), None);
        assert_eq!(
            overdue(&plan, &f, "2024-07-02").as_deref(),
            Some("2024-07-01")
        );
        let got = deviation_candidates(&[], &[plan.clone()], &f, 2024, "2024-12-01");
        let keys: Vec<_> = got.iter().filter_map(|d| d.cause_key.clone()).collect();
        assert_eq!(keys, vec![overdue_key(2, "2024-07-01"), unmet_key(2)]);
        // A decision on 2024-09-10 makes it due again two years later.
        plan.evidence.push(Evidence {
            id: 1,
            kind: EvidenceKind::Decision,
            ref_id: None,
            date: Some("2024-09-10".into()),
            text: "KS 2024-09-10 § 7".into(),
        });
        assert_eq!(next_due(&plan, &f).as_deref(), Some("2026-09-10"));
        assert_eq!(overdue(&plan, &f, "2025-01-01"), None);
    }

    #[test]
    fn met_needs_qualifying_evidence() {
        let mut l1 = duty(1, "L1", Some("1"), NotMet);
        l1.fulfilled_by = Some(EvidenceKind::SituationReport);
        l1.evidence.push(Evidence {
            id: 1,
            kind: EvidenceKind::SituationReport,
            ref_id: Some(9),
            date: Some("2023-12-31".into()),
            text: String::new(),
        });
        let met = ObligationAssessment {
            status: Met,
            assessed_by: "KS".into(),
            by_auditors: false,
            assessed_on: "2024-01-01".into(),
            text: String::new(),
        };
        let mut facts = EvidenceFacts::default();
        assert!(matches!(
            validate_assessment(&l1, &met, &facts, "2024-02-01"),
            Err(AreaRefusal::NoQualifyingEvidence(_))
        ));
        facts.complete_reports.insert(9);
        assert_eq!(validate_assessment(&l1, &met, &facts, "2024-02-01"), Ok(()));
        assert_eq!(
            validate_assessment(&l1, &met, &facts, "2023-12-01"),
            Err(AreaRefusal::InFuture)
        );
    }

    #[test]
    fn sfs_numbers_are_checked_and_the_seed_typo_is_named() {
        assert!(sfs_ok("2023:196"));
        assert!(!sfs_ok("2023-196"));
        assert!(!sfs_ok("23:196"));
        assert_eq!(
            known_statute("2023:193", &["2023:196".into()]),
            Err(AreaRefusal::UnknownStatute(
                "2023:193".into(),
                Some("2023:196".into())
            ))
        );
    }

    #[test]
    fn months_are_added_with_clamped_days() {
        assert_eq!(add_months("2024-07-01", 24), "2026-07-01");
        assert_eq!(add_months("2024-01-31", 1), "2024-02-29");
        assert_eq!(add_months("2023-12-15", 1), "2024-01-15");
    }
}
