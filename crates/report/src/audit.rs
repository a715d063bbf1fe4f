//! Audit recommendations (revisionens rekommendationer) in the reports: the stand-alone
//! "Uppföljning av revisionens rekommendationer" of one follow-up year, reading like the
//! auditors' follow-up (seed 003, `DOMAIN-MODULES.md` B1 "FollowUp"), and the workbook of
//! everything of one audit for the auditors ([`audit_export_xlsx`]).
//!
//! Everything here is a pure builder from the domain's `Audit`s to generic [`Block`]s and
//! [`Section`]s; the counts it writes come from the verdicts (never typed), small numbers
//! in words as the internal-control report writes them. The annual report's list of
//! actions on audits sits in the internal-control chapter
//! (`crate::internal_control::audit_actions_section`); the oversight view's panel in
//! `crate::oversight::audits`.

use std::collections::HashMap;
use std::fmt::Write;

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use uppsikt_domain::audit::{
    follow_up_year, follow_up_years, grade_counts, successors, Assessment, Audit, Grade, IcTarget,
    Recommendation, Response, Stance, Verdict,
};
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::internal_control::ControlPlan;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_domain::Period;
use uppsikt_store::{ChangeLogEntry, Store};

use crate::build::{ReportError, Request, Result, Subject};
use crate::internal_control::{capitalise, noun, number_word_sv};
use crate::model::{Block, Report, ReportKind, ReportMeta, Section, Table};

/// The report's title (before the year).
pub const REPORT_TITLE: &str = "Uppföljning av revisionens rekommendationer";
/// The chapter of the year's new recommendations.
pub const NEW_RECOMMENDATIONS_TITLE: &str = "Nya rekommendationer";

/// Names of what audits refer to by id: the boards, and the items of internal control a
/// recommendation is linked to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    pub units: HashMap<Id, String>,
    /// "Åtgärd AA01 Översyn …" per linked item ([`ic_labels`]).
    pub ic: HashMap<IcTarget, String>,
}

impl Labels {
    /// The names of `units` (no internal-control items).
    pub fn of_units(units: &[OrgUnit]) -> Labels {
        Labels {
            units: units.iter().map(|u| (u.id, u.name.clone())).collect(),
            ic: HashMap::new(),
        }
    }

    /// A board's name, or its number where the name is unknown.
    pub fn unit(&self, id: Id) -> String {
        self.units
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Enhet nr {id}"))
    }

    /// Boards' names joined: "Kommunstyrelsen, Grundskolenämnden".
    pub fn unit_list(&self, ids: &[Id]) -> String {
        if ids.is_empty() {
            return "Inga angivna".into();
        }
        ids.iter()
            .map(|id| self.unit(*id))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A linked item of internal control in words.
    pub fn ic_target(&self, t: IcTarget) -> String {
        self.ic
            .get(&t)
            .cloned()
            .unwrap_or_else(|| format!("{} (nr {})", t.label_sv(), t.id()))
    }
}

/// The linked items' names from the control plans: "Åtgärd AA01 Översyn … (2019)".
pub fn ic_labels(plans: &[ControlPlan]) -> HashMap<IcTarget, String> {
    let mut out = HashMap::new();
    for p in plans {
        for a in &p.actions {
            out.insert(
                IcTarget::Action(a.id),
                format!("Åtgärd {} {} ({})", a.key, a.text.trim(), p.year),
            );
        }
        for c in &p.controls {
            out.insert(
                IcTarget::Control(c.id),
                format!("Kontroll {} {} ({})", c.key, c.name.trim(), p.year),
            );
        }
        for r in &p.risks {
            out.insert(
                IcTarget::Risk(r.id),
                format!("Risk {} {} ({})", r.key, r.text.trim(), p.year),
            );
        }
    }
    out
}

/// "KS-2020/716.912", or the words for a missing one.
fn case_ref_sv(audit: &Audit) -> String {
    audit
        .case_ref
        .as_ref()
        .map_or_else(|| "Saknas i uppsikt".into(), |c| c.text.clone())
}

/// "Granskning av intern kontroll (2019, KS-2019/…)".
fn audit_name(audit: &Audit) -> String {
    match &audit.case_ref {
        Some(c) => format!("{} ({}, {})", audit.title.trim(), audit.plan_year, c),
        None => format!("{} ({})", audit.title.trim(), audit.plan_year),
    }
}

/// The audit's overall assessment with the auditors' words.
fn overall_sv(audit: &Audit) -> String {
    let text = audit.overall_text.trim();
    match (audit.overall, text.is_empty()) {
        (Some(a), true) => format!("{}.", a.label_sv()),
        (Some(a), false) => format!("{}. {}", a.label_sv(), sentence(text)),
        (None, false) => sentence(text),
        (None, true) => "Ingen samlad bedömning är registrerad.".into(),
    }
}

/// A text ending with a full stop.
fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// The first letter in lower case ("Kommunstyrelsen" → "kommunstyrelsen").
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "a, b och c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} och {last}", init.join(", ")),
    }
}

/// How many recommendations got a grade, as a phrase after the count: "fem genomförda",
/// "en planerad men inte påbörjad", "en där nämnden avstår".
fn grade_phrase(grade: Grade, n: usize) -> String {
    let count = number_word_sv(n);
    let words = match grade {
        Grade::Implemented => noun(n, "genomförd", "genomförda"),
        Grade::PartlyImplemented => noun(n, "delvis genomförd", "delvis genomförda"),
        Grade::PlannedNotStarted => noun(
            n,
            "planerad men inte påbörjad",
            "planerade men inte påbörjade",
        ),
        Grade::NotImplemented => noun(n, "inte genomförd", "inte genomförda"),
        Grade::Declined => "där nämnden har valt att avstå",
    };
    format!("{count} {words}")
}

/// The sentence of a year's verdicts: "Revisorerna bedömde tolv rekommendationer 2021:
/// fem genomförda, … och en där nämnden har valt att avstå." (or that there were none).
pub fn grades_sentence<'a>(year: i32, verdicts: impl IntoIterator<Item = &'a Verdict>) -> String {
    let counts = grade_counts(verdicts);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return format!("Revisorerna bedömde inga rekommendationer {year}.");
    }
    let parts: Vec<String> = counts.iter().map(|(g, n)| grade_phrase(*g, *n)).collect();
    if total == 1 {
        return format!(
            "Revisorerna bedömde en rekommendation {year}: ”{}”.",
            counts[0].0.label_sv()
        );
    }
    format!(
        "Revisorerna bedömde {} rekommendationer {year}: {}.",
        number_word_sv(total),
        and_list(&parts)
    )
}

/// A table of verdicts by grade: one row per audit (or what `label` names) and a total.
fn grades_table(caption: String, rows: &[(String, Vec<&Verdict>)]) -> Table {
    let count_row = |label: String, verdicts: &[&Verdict]| -> Vec<String> {
        let counts = grade_counts(verdicts.iter().copied());
        std::iter::once(label)
            .chain(Grade::ALL.iter().map(|g| {
                counts
                    .iter()
                    .find(|(c, _)| c == g)
                    .map_or(0, |(_, n)| *n)
                    .to_string()
            }))
            .chain(std::iter::once(verdicts.len().to_string()))
            .collect()
    };
    let mut body: Vec<Vec<String>> = rows
        .iter()
        .map(|(label, v)| count_row(label.clone(), v))
        .collect();
    if rows.len() > 1 {
        let all: Vec<&Verdict> = rows.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        body.push(count_row("Totalt".into(), &all));
    }
    Table {
        caption,
        columns: std::iter::once("Granskning".to_string())
            .chain(Grade::ALL.iter().map(|g| g.label_sv().to_string()))
            .chain(std::iter::once("Totalt".to_string()))
            .collect(),
        rows: body,
        row_headers: true,
    }
}

/// Who decided a response, in words: "beslutat av kommunstyrelsen".
fn decided_by_sv(labels: &Labels, r: &Response) -> String {
    match r.body {
        DecidingBody::Board => format!("beslutat av {}", lower_first(&labels.unit(r.unit_id))),
        DecidingBody::Committee => "beslutat av ett utskott".into(),
        DecidingBody::Administration => "skrivet av förvaltningen, inte beslutat av nämnden".into(),
    }
}

/// A stance with its reservation or motivation.
fn stance_sv(s: &Stance) -> String {
    match s.text().trim() {
        "" => s.label_sv().to_string(),
        t => format!("{}: {t}", s.label_sv()),
    }
}

/// Whether an audit concerns any of `within` (audited, or addressed by a recommendation).
fn concerns(audit: &Audit, within: Option<&[Id]>) -> bool {
    let Some(units) = within else {
        return true;
    };
    audit.audited_units.iter().any(|u| units.contains(u))
        || audit
            .recommendations
            .iter()
            .any(|r| r.addressees.iter().any(|u| units.contains(u)))
}

/// The recommendation `id` among all audits, with its audit.
fn find_rec(audits: &[Audit], id: Id) -> Option<(&Audit, &Recommendation)> {
    audits
        .iter()
        .find_map(|a| a.recommendation(id).map(|r| (a, r)))
}

/// A recommendation with its number, as the tables' first column: "1. Verka för …".
fn numbered(r: &Recommendation) -> String {
    format!("{}. {}", r.number.trim(), r.text.trim())
}

/// "IK-1 i Granskning av intern kontroll (2019)".
fn rec_ref(audits: &[Audit], id: Id) -> String {
    match find_rec(audits, id) {
        Some((a, r)) => format!("{} i {} ({})", r.number, a.title.trim(), a.plan_year),
        None => format!("rekommendation nr {id}"),
    }
}

/// The parts of the year's follow-up: the summary and a section per audit followed up,
/// then the new recommendations.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub summary: Section,
    pub sections: Vec<Section>,
}

/// Builds the follow-up of `year` from every audit; `within` keeps the audits that concern
/// those units (`None`: all).
pub fn follow_up(audits: &[Audit], year: i32, within: Option<&[Id]>, labels: &Labels) -> FollowUp {
    let fy = follow_up_year(audits, year);
    let by_id: HashMap<Id, &Audit> = audits.iter().map(|a| (a.id, a)).collect();
    let succ = successors(audits);
    let judged: Vec<(&Audit, Vec<&Recommendation>)> = fy
        .judged
        .iter()
        .filter_map(|(aid, recs)| {
            let a = *by_id.get(aid)?;
            concerns(a, within).then(|| {
                (
                    a,
                    recs.iter().filter_map(|id| a.recommendation(*id)).collect(),
                )
            })
        })
        .collect();
    let follow_ups: Vec<&Audit> = fy
        .follow_up_audits
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .filter(|a| concerns(a, within))
        .collect();
    let verdict_of = |r: &'_ Recommendation| -> Option<Verdict> {
        r.verdicts.iter().find(|v| v.year == year).cloned()
    };

    let mut summary = Section::new("Sammanfattning");
    if judged.is_empty() && follow_ups.is_empty() {
        summary.blocks.push(Block::Paragraph {
            text: format!(
                "Det finns ingen uppföljning av revisionens rekommendationer för {year} i uppsikt."
            ),
        });
        return FollowUp {
            summary,
            sections: Vec::new(),
        };
    }
    for f in &follow_ups {
        let mut s = format!(
            "Uppföljningen {year} görs i {} ”{}” ur revisionsplanen för {}",
            lower_first(f.kind.label_sv()),
            f.title.trim(),
            f.plan_year
        );
        if let Some(c) = &f.case_ref {
            let _ = write!(s, " (dnr {c})");
        }
        s.push('.');
        match (f.performed_by.trim(), f.commissioned_by.trim()) {
            ("", "") => {}
            (by, "") => {
                let _ = write!(s, " Den är utförd av {by}.");
            }
            ("", on) => {
                let _ = write!(s, " Den är beställd av {on}.");
            }
            (by, on) => {
                let _ = write!(s, " Den är utförd av {by} på uppdrag av {on}.");
            }
        }
        summary.blocks.push(Block::Paragraph { text: s });
        if f.overall.is_some() || !f.overall_text.trim().is_empty() {
            summary.blocks.push(Block::Labeled {
                label: "Revisorernas samlade bedömning".into(),
                text: overall_sv(f),
            });
        }
    }
    if !judged.is_empty() {
        let n = judged.len();
        summary.blocks.push(Block::Paragraph {
            text: format!(
                "{} {} följs upp:",
                capitalise(&number_word_sv(n)),
                noun(n, "granskning", "granskningar")
            ),
        });
        summary.blocks.push(Block::List {
            title: None,
            items: judged.iter().map(|(a, _)| audit_name(a)).collect(),
        });
    }
    let all_verdicts: Vec<Verdict> = judged
        .iter()
        .flat_map(|(_, recs)| recs.iter().filter_map(|r| verdict_of(r)))
        .collect();
    if !all_verdicts.is_empty() {
        let mut text = grades_sentence(year, &all_verdicts);
        let closed = all_verdicts.iter().filter(|v| v.is_closing()).count();
        let reissued = judged
            .iter()
            .flat_map(|(_, recs)| recs.iter())
            .filter(|r| {
                verdict_of(r).is_some_and(|v| !v.is_closing())
                    && succ.get(&r.id).is_some_and(|s| !s.is_empty())
            })
            .count();
        // (verb first, subject first): "Av dem är sex avslutade …, sex lämnas …".
        let mut parts: Vec<(String, String)> = Vec::new();
        if closed > 0 {
            let done = noun(closed, "avslutad", "avslutade");
            let n = number_word_sv(closed);
            parts.push((
                format!("är {n} {done} med bedömningen"),
                format!("{n} är {done} med bedömningen"),
            ));
        }
        if reissued > 0 {
            let n = number_word_sv(reissued);
            parts.push((
                format!("lämnas {n} på nytt i nya rekommendationer"),
                format!("{n} lämnas på nytt i nya rekommendationer"),
            ));
        }
        let rest = all_verdicts.len() - closed - reissued;
        if rest > 0 {
            let n = number_word_sv(rest);
            parts.push((format!("följs {n} upp igen"), format!("{n} följs upp igen")));
        }
        let mut clauses: Vec<String> = Vec::new();
        for (i, (first, later)) in parts.into_iter().enumerate() {
            clauses.push(if i == 0 { first } else { later });
        }
        let _ = write!(text, " Av dem {}.", and_list(&clauses));
        summary.blocks.push(Block::Paragraph { text });
        let rows: Vec<(String, Vec<&Verdict>)> = judged
            .iter()
            .map(|(a, recs)| {
                (
                    format!("{} ({})", a.title.trim(), a.plan_year),
                    recs.iter()
                        .filter_map(|r| r.verdicts.iter().find(|v| v.year == year))
                        .collect(),
                )
            })
            .collect();
        summary.blocks.push(Block::Table(grades_table(
            format!("Revisorernas bedömningar {year} per granskning"),
            &rows,
        )));
    }
    let new: Vec<&Recommendation> = follow_ups.iter().flat_map(|a| &a.recommendations).collect();
    if !new.is_empty() {
        let again = new.iter().filter(|r| r.reissues.is_some()).count();
        let mut text = format!(
            "Uppföljningen ger {} {}",
            number_word_sv(new.len()),
            noun(new.len(), "ny rekommendation", "nya rekommendationer")
        );
        match (again, new.len()) {
            (0, _) => text.push('.'),
            (1, 1) => text.push_str(", som upprepar en tidigare."),
            (a, n) if a == n => text.push_str(", som alla upprepar tidigare rekommendationer."),
            (a, _) => {
                let _ = write!(
                    text,
                    "; {} av dem upprepar tidigare rekommendationer.",
                    number_word_sv(a)
                );
            }
        }
        let _ = write!(text, " De finns i avsnittet {NEW_RECOMMENDATIONS_TITLE}.");
        summary.blocks.push(Block::Paragraph { text });
    }

    let mut sections: Vec<Section> = judged
        .iter()
        .map(|(a, recs)| audit_section(audits, a, recs, year, labels, &succ))
        .collect();
    if !follow_ups.is_empty() {
        sections.push(new_recommendations_section(
            audits,
            &follow_ups,
            year,
            labels,
        ));
    }
    FollowUp { summary, sections }
}

/// One audit followed up in `year`: the audit in brief, its recommendations, the boards'
/// responses, what was done, and the verdicts.
fn audit_section(
    audits: &[Audit],
    a: &Audit,
    judged: &[&Recommendation],
    year: i32,
    labels: &Labels,
    succ: &HashMap<Id, Vec<Id>>,
) -> Section {
    let mut s = Section::new(a.title.trim());
    s.blocks.push(Block::Labeled {
        label: "Revisionsplan".into(),
        text: format!("{} ({})", a.plan_year, lower_first(a.kind.label_sv())),
    });
    s.blocks.push(Block::Labeled {
        label: "Diarienummer".into(),
        text: case_ref_sv(a),
    });
    s.blocks.push(Block::Labeled {
        label: "Granskade nämnder och styrelser".into(),
        text: labels.unit_list(&a.audited_units),
    });
    s.blocks.push(Block::Labeled {
        label: format!("Samlad bedömning {}", a.plan_year),
        text: overall_sv(a),
    });

    let mut recs = Section::new("Rekommendationer");
    recs.blocks.push(Block::Table(Table {
        caption: format!("Rekommendationer i {}", a.title.trim()),
        columns: ["Rekommendation", "Till"].map(String::from).to_vec(),
        rows: a
            .recommendations
            .iter()
            .map(|r| vec![numbered(r), labels.unit_list(&r.addressees)])
            .collect(),
        row_headers: true,
    }));
    s.children.push(recs);

    let mut answers = Section::new("Nämndernas svar");
    for unit in a.addressees() {
        let name = labels.unit(unit);
        let Some(r) = a.response_of(unit) else {
            answers.blocks.push(Block::Paragraph {
                text: format!(
                    "Inget svar från {} är registrerat i uppsikt.",
                    lower_first(&name)
                ),
            });
            continue;
        };
        answers.blocks.push(Block::Labeled {
            label: name.clone(),
            text: format!(
                "{}, {}.",
                capitalise(&r.reference_sv()),
                decided_by_sv(labels, r)
            ),
        });
        let rows: Vec<Vec<String>> = a
            .recommendations
            .iter()
            .filter(|rec| rec.addressees.contains(&unit))
            .map(|rec| match r.item(rec.id) {
                Some(i) => vec![
                    numbered(rec),
                    stance_sv(&i.stance),
                    i.comment.trim().to_string(),
                ],
                None => vec![
                    numbered(rec),
                    "Inte besvarad i svaret".into(),
                    String::new(),
                ],
            })
            .collect();
        answers.blocks.push(Block::Table(
            Table {
                caption: format!("Svar från {}", lower_first(&name)),
                columns: [
                    "Rekommendation",
                    "Ställningstagande",
                    "Planerade åtgärder och kommentar",
                ]
                .map(String::from)
                .to_vec(),
                rows,
                row_headers: true,
            }
            .without_empty_columns(),
        ));
    }
    s.children.push(answers);

    let mut done = Section::new(format!("Vidtagna åtgärder enligt uppföljningen {year}"));
    done.blocks.push(Block::Table(Table {
        caption: format!("Vad revisorerna tog del av {year}: {}", a.title.trim()),
        columns: ["Rekommendation", "Underlag och iakttagelser"]
            .map(String::from)
            .to_vec(),
        rows: judged
            .iter()
            .map(|r| {
                let evidence = r
                    .verdicts
                    .iter()
                    .find(|v| v.year == year)
                    .map(|v| v.evidence.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .unwrap_or_else(|| "Inget underlag är angivet.".into());
                vec![numbered(r), evidence]
            })
            .collect(),
        row_headers: true,
    }));
    s.children.push(done);

    let mut judged_s = Section::new(format!("Bedömning {year}"));
    let verdicts: Vec<&Verdict> = judged
        .iter()
        .filter_map(|r| r.verdicts.iter().find(|v| v.year == year))
        .collect();
    judged_s.blocks.push(Block::Paragraph {
        text: grades_sentence(year, verdicts.iter().copied()),
    });
    judged_s.blocks.push(Block::Table(Table {
        caption: format!("Revisorernas bedömning {year}: {}", a.title.trim()),
        columns: [
            "Rekommendation",
            "Bedömning",
            "Revisorernas motivering",
            "Fortsättning",
        ]
        .map(String::from)
        .to_vec(),
        rows: judged
            .iter()
            .filter_map(|r| {
                let v = r.verdicts.iter().find(|v| v.year == year)?;
                let mut grade = vec![v.grade.label_sv().to_string()];
                for earlier in r.verdicts.iter().filter(|e| e.year < year) {
                    grade.push(format!("{}: {}", earlier.year, earlier.grade.label_sv()));
                }
                let next = match succ.get(&r.id).map(Vec::as_slice) {
                    _ if v.is_closing() => "Avslutad".to_string(),
                    Some([_, ..]) => {
                        let names: Vec<String> =
                            succ[&r.id].iter().map(|id| rec_ref(audits, *id)).collect();
                        format!("Lämnas på nytt som {}", and_list(&names))
                    }
                    _ => "Följs upp igen".to_string(),
                };
                Some(vec![
                    numbered(r),
                    grade.join("\n"),
                    v.text.trim().to_string(),
                    next,
                ])
            })
            .collect(),
        row_headers: true,
    }));
    let not_judged: Vec<&str> = a
        .recommendations
        .iter()
        .filter(|r| !judged.iter().any(|j| j.id == r.id))
        .map(|r| r.number.as_str())
        .collect();
    if !not_judged.is_empty() {
        judged_s.blocks.push(Block::Paragraph {
            text: format!(
                "{} följdes inte upp {year}: {}.",
                noun(not_judged.len(), "Rekommendationen", "Rekommendationerna"),
                not_judged.join(", ")
            ),
        });
    }
    s.children.push(judged_s);
    s
}

/// The follow-up audits' own recommendations, each with what it issues again.
fn new_recommendations_section(
    audits: &[Audit],
    follow_ups: &[&Audit],
    year: i32,
    labels: &Labels,
) -> Section {
    let mut s = Section::new(NEW_RECOMMENDATIONS_TITLE);
    for f in follow_ups {
        let mut child = Section::new(f.title.trim());
        if let Some(c) = &f.case_ref {
            child.blocks.push(Block::Labeled {
                label: "Diarienummer".into(),
                text: c.text.clone(),
            });
        }
        if f.recommendations.is_empty() {
            child.blocks.push(Block::Paragraph {
                text: "Granskningen ger inga nya rekommendationer.".into(),
            });
        } else {
            child.blocks.push(Block::Table(Table {
                caption: format!("Nya rekommendationer {year}: {}", f.title.trim()),
                columns: ["Rekommendation", "Till", "Tidigare rekommendation"]
                    .map(String::from)
                    .to_vec(),
                rows: f
                    .recommendations
                    .iter()
                    .map(|r| {
                        let earlier = match r.reissues.and_then(|p| find_rec(audits, p)) {
                            None if r.reissues.is_some() => {
                                rec_ref(audits, r.reissues.unwrap_or(0))
                            }
                            None => "Ny".into(),
                            Some((pa, pr)) => {
                                let mut t = format!(
                                    "Upprepar {} i {} ({})",
                                    pr.number,
                                    pa.title.trim(),
                                    pa.plan_year
                                );
                                if let Some(v) = pr.latest_verdict() {
                                    let _ =
                                        write!(t, "\nBedömd {}: {}", v.year, v.grade.label_sv());
                                }
                                t
                            }
                        };
                        vec![numbered(r), labels.unit_list(&r.addressees), earlier]
                    })
                    .collect(),
                row_headers: true,
            }));
        }
        s.children.push(child);
    }
    s
}

/// The stand-alone report "Uppföljning av revisionens rekommendationer" of `year`.
pub fn follow_up_report(
    audits: &[Audit],
    year: i32,
    within: Option<&[Id]>,
    labels: &Labels,
    organisation: &str,
    subject: &str,
    data_version: i64,
) -> Report {
    let f = follow_up(audits, year, within, labels);
    Report {
        meta: ReportMeta {
            kind: ReportKind::AuditFollowUp,
            title: format!("{REPORT_TITLE} {year}"),
            subject: subject.to_string(),
            organisation: organisation.to_string(),
            period: Period::Year(year),
            period_label: format!("Revisorernas uppföljning {year}"),
            data_version,
            generated_at: String::new(),
            version: crate::build::Version::Board,
            draft_note: None,
            decided_href: None,
        },
        summary: f.summary,
        sections: f.sections,
        measures: Vec::new(),
    }
}

/// Builds "Uppföljning av revisionens rekommendationer" for a request
/// (`ReportKind::AuditFollowUp`): the municipality's covers every audit, a unit's the
/// audits of it and the units below it. A year without a follow-up is refused with the
/// years that have one.
pub async fn build(store: &Store, request: Request) -> Result<Report> {
    request.period()?;
    let units = store.org_units().await?;
    let audits = store.audits().await?;
    let organisation = units
        .iter()
        .find(|u| u.parent_id.is_none())
        .map_or_else(String::new, |u| u.name.clone());
    let (within, subject) = match request.subject {
        Subject::Municipality => (None, organisation.clone()),
        Subject::Unit(id) => {
            let unit = store.org_unit(id).await?;
            (Some(crate::oversight::subtree(&units, id)), unit.name)
        }
    };
    let years: Vec<i32> = follow_up_years(&audits);
    if !years.contains(&request.year) {
        let known: Vec<String> = years.iter().map(i32::to_string).collect();
        return Err(ReportError::Invalid(if known.is_empty() {
            "Det finns ingen uppföljning av revisionens rekommendationer i uppsikt.".into()
        } else {
            format!(
                "Revisorerna har ingen uppföljning för {} i uppsikt. År med uppföljning: {}.",
                request.year,
                known.join(", ")
            )
        }));
    }
    let labels = Labels::of_units(&units);
    Ok(follow_up_report(
        &audits,
        request.year,
        within.as_deref(),
        &labels,
        &organisation,
        &subject,
        store.data_version().await?,
    ))
}

/// One row of an audit's history for the export: when, who, what, and the values before
/// and after (the web describes the change in Swedish; [`HistoryRow::from`] gives the
/// stored fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub what: String,
    pub before: String,
    pub after: String,
    pub source: String,
}

impl From<&ChangeLogEntry> for HistoryRow {
    fn from(e: &ChangeLogEntry) -> HistoryRow {
        HistoryRow {
            at: e.at.clone(),
            who: e.actor_name.clone().unwrap_or_else(|| e.actor.clone()),
            what: match e.object_id {
                Some(id) => format!("{} {} nr {id}", e.action, e.object_type),
                None => format!("{} {}", e.action, e.object_type),
            },
            before: e.before_value.clone().unwrap_or_default(),
            after: e.after_value.clone().unwrap_or_default(),
            source: [e.source.as_deref(), e.source_detail.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": "),
        }
    }
}

/// Everything of one audit for the auditors, as a workbook: the sheets "Granskning",
/// "Frågor", "Rekommendationer", "Svar", "Uppföljning" and "Historik". `all` names the
/// recommendations it issues again and those that issue it again; `labels` names boards
/// and linked items of internal control.
pub fn audit_export_xlsx(
    audit: &Audit,
    all: &[Audit],
    labels: &Labels,
    history: &[HistoryRow],
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(audit.title.trim())
            .set_author(audit.commissioned_by.trim()),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE3EA")
        .set_border_bottom(FormatBorder::Medium);
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    let bold = Format::new().set_bold();

    // Granskning: the header as label/value rows.
    let sheet = wb.add_worksheet().set_name("Granskning")?;
    let mut rows: Vec<(&str, String)> = vec![
        ("Titel", audit.title.trim().to_string()),
        ("Revisionsplan (år)", audit.plan_year.to_string()),
        ("Typ", audit.kind.label_sv().to_string()),
        ("Beställd av", audit.commissioned_by.trim().to_string()),
        ("Utförd av", audit.performed_by.trim().to_string()),
        (
            "Granskade nämnder och styrelser",
            labels.unit_list(&audit.audited_units),
        ),
        ("Diarienummer", case_ref_sv(audit)),
        ("Rapportdatum", audit.issued_on.clone().unwrap_or_default()),
        (
            "Svar senast",
            audit.response_due.clone().unwrap_or_default(),
        ),
        ("Syfte", audit.purpose.trim().to_string()),
        ("Avgränsning", audit.scope.trim().to_string()),
        ("Metod", audit.method.trim().to_string()),
        (
            "Revisionskriterier",
            audit
                .criteria
                .iter()
                .map(|c| c.text.trim().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "Faktakontrollerad",
            if audit.fact_checked { "Ja" } else { "Nej" }.into(),
        ),
        (
            "Samlad bedömning",
            audit.overall.map(Assessment::label_sv).unwrap_or("").into(),
        ),
        ("Motivering", audit.overall_text.trim().to_string()),
        ("Undertecknad av", audit.signatories.join("\n")),
        (
            "Följer upp",
            audit
                .follows_up
                .iter()
                .map(|id| {
                    all.iter()
                        .find(|a| a.id == *id)
                        .map_or_else(|| format!("Granskning nr {id}"), audit_name)
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ];
    if let Some(f) = &audit.report {
        rows.push((
            "Rapport (fil)",
            format!("{} ({} byte, SHA-256 {})", f.file_name, f.bytes, f.sha256),
        ));
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, *label, &bold)?;
        sheet.write_string_with_format(i as u32, 1, value, &wrap)?;
    }
    sheet.set_column_width(0, 32)?;
    sheet.set_column_width(1, 90)?;

    // A sheet of a header row and string rows.
    let mut table_sheet = |name: &str,
                           columns: &[&str],
                           widths: &[f64],
                           rows: Vec<Vec<String>>|
     -> std::result::Result<(), XlsxError> {
        let sheet = wb.add_worksheet().set_name(name)?;
        for (c, col) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *col, &header)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string_with_format(r as u32 + 1, c as u16, cell, &wrap)?;
            }
        }
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(c as u16, *w)?;
        }
        sheet.autofilter(0, 0, rows.len() as u32, columns.len() as u16 - 1)?;
        sheet.set_freeze_panes(1, 0)?;
        Ok(())
    };

    let assessment = |a: Option<Assessment>| a.map(Assessment::label_sv).unwrap_or("").to_string();
    let mut questions = Vec::new();
    for q in &audit.questions {
        questions.push(vec![
            q.number.to_string(),
            String::new(),
            q.text.trim().to_string(),
            assessment(q.assessment),
            q.reasoning.trim().to_string(),
        ]);
        for (i, sq) in q.sub_questions.iter().enumerate() {
            questions.push(vec![
                q.number.to_string(),
                format!("{}.{}", q.number, i + 1),
                sq.text.trim().to_string(),
                assessment(sq.assessment),
                String::new(),
            ]);
        }
    }
    table_sheet(
        "Frågor",
        &[
            "Fråga",
            "Delfråga",
            "Revisionsfråga",
            "Bedömning",
            "Revisorernas resonemang",
        ],
        &[8.0, 10.0, 60.0, 18.0, 80.0],
        questions,
    )?;

    let succ = successors(all);
    let recs = audit
        .recommendations
        .iter()
        .map(|r| {
            vec![
                r.number.clone(),
                r.text.trim().to_string(),
                labels.unit_list(&r.addressees),
                r.questions
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                r.reissues.map(|p| rec_ref(all, p)).unwrap_or_default(),
                succ.get(&r.id)
                    .map(|s| {
                        s.iter()
                            .map(|id| rec_ref(all, *id))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
                r.ic_links
                    .iter()
                    .map(|l| format!("{}: {}", labels.unit(l.unit_id), labels.ic_target(l.target)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]
        })
        .collect();
    table_sheet(
        "Rekommendationer",
        &[
            "Nr",
            "Rekommendation",
            "Till",
            "Besvarar fråga",
            "Upprepar",
            "Lämnas på nytt som",
            "Kopplad intern kontroll",
        ],
        &[8.0, 60.0, 30.0, 12.0, 36.0, 36.0, 48.0],
        recs,
    )?;

    let mut answers = Vec::new();
    for unit in audit.addressees() {
        let addressed: Vec<&Recommendation> = audit
            .recommendations
            .iter()
            .filter(|r| r.addressees.contains(&unit))
            .collect();
        let response = audit.response_of(unit);
        for r in addressed {
            let (reference, body, stance, comment) = match response {
                None => (
                    "Inget svar registrerat".to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                ),
                Some(resp) => {
                    let item = resp.item(r.id);
                    (
                        resp.reference_sv(),
                        resp.body.label_sv().to_string(),
                        item.map_or_else(
                            || "Inte besvarad i svaret".into(),
                            |i| i.stance.label_sv().to_string(),
                        ),
                        item.map_or_else(String::new, |i| {
                            [i.stance.text().trim(), i.comment.trim()]
                                .into_iter()
                                .filter(|t| !t.is_empty())
                                .collect::<Vec<_>>()
                                .join("\n")
                        }),
                    )
                }
            };
            answers.push(vec![
                labels.unit(unit),
                reference,
                body,
                r.number.clone(),
                stance,
                comment,
            ]);
        }
    }
    table_sheet(
        "Svar",
        &[
            "Nämnd/styrelse",
            "Svar",
            "Beslutat av",
            "Rekommendation",
            "Ställningstagande",
            "Motivering, reservation och planerade åtgärder",
        ],
        &[30.0, 40.0, 16.0, 14.0, 24.0, 70.0],
        answers,
    )?;

    let verdicts = audit
        .recommendations
        .iter()
        .flat_map(|r| {
            r.verdicts.iter().map(move |v| {
                vec![
                    r.number.clone(),
                    v.year.to_string(),
                    v.grade.label_sv().to_string(),
                    if v.is_closing() { "Ja" } else { "Nej" }.to_string(),
                    v.text.trim().to_string(),
                    v.evidence.trim().to_string(),
                ]
            })
        })
        .collect();
    table_sheet(
        "Uppföljning",
        &[
            "Nr",
            "År",
            "Bedömning",
            "Avslutar",
            "Revisorernas text",
            "Underlag",
        ],
        &[8.0, 8.0, 22.0, 10.0, 60.0, 60.0],
        verdicts,
    )?;

    table_sheet(
        "Historik",
        &["Tidpunkt", "Vem", "Ändring", "Före", "Efter", "Källa"],
        &[22.0, 24.0, 40.0, 40.0, 40.0, 24.0],
        history
            .iter()
            .map(|h| {
                vec![
                    h.at.clone(),
                    h.who.clone(),
                    h.what.clone(),
                    h.before.clone(),
                    h.after.clone(),
                    h.source.clone(),
                ]
            })
            .collect(),
    )?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests;
