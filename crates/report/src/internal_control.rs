//! Internal control (intern kontroll) in the reports: the chapter of a board's
//! verksamhetsberättelse and delårsrapport, the stand-alone "Uppföljning av
//! internkontrollplan", the risk map as a chart with its table, and the executive board's
//! oversight table per board and year.
//!
//! Everything here is a pure builder from the domain's types (`ControlPlan`, `BoardYear`,
//! `RiskMap`) to generic [`Block`]s and [`Section`]s: the renderers need no knowledge of
//! internal control. The counts the summary writes come from `ControlPlan::summary` (never
//! typed), small numbers in words. A plan is cut at the day it is reported as of
//! ([`plan_as_of`]), so a delårsrapport shows what was known by its period's end.
//! The chapter follows the structure of seed 004's internal-control chapter
//! (`DOMAIN-MODULES.md` A1); what the data lacks is said to be missing, never filled in.

use std::collections::HashMap;
use std::fmt::Write;

use uppsikt_domain::audit::{Audit, IcTarget, Recommendation};
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::internal_control::{
    board_year, findings_cause_key, missed_cause_key, risk_map, ActionSource, ActionStatus,
    Adoption, Blocker, BoardYear, Control, ControlKind, ControlPlan, Execution, IcAction, Notice,
    OccurrenceState, OverallAssessment, Risk, RiskMap, RiskScore, Summary,
};
use uppsikt_domain::messages::decision_reference;
use uppsikt_domain::model::{Id, OrgKind, OrgUnit, PeriodLock};
use uppsikt_domain::Period;

use uppsikt_store::{BoxFuture, Store};

use crate::build::{Context, ReportError, ReportPart, Request, Result, Subject};
use crate::html::escape;
use crate::model::{Block, Chart, Report, ReportKind, ReportMeta, Section, Table};

/// The chapter's heading in a verksamhetsberättelse or delårsrapport.
pub const CHAPTER_TITLE: &str = "Intern kontroll";
/// The summary's heading (seed 004's label).
pub const SUMMARY_TITLE: &str = "Sammanfattning av nämndens internkontrollarbete";
pub const STRUCTURE_TITLE: &str = "Struktur för nämndens internkontrollarbete";
pub const RISK_ACTIONS_TITLE: &str = "Riskreducerande åtgärder";
pub const AUDIT_ACTIONS_TITLE: &str = "Åtgärder med anledning av revisionens granskningar";
pub const DEVIATION_ACTIONS_TITLE: &str = "Åtgärder utifrån avvikelser";
pub const CONTROLS_TITLE: &str = "Systematiska kontroller";
pub const CONTRACTS_TITLE: &str = "Plan för uppföljning och insyn";
pub const RISK_MAP_TITLE: &str = "Riskkarta";
/// The words for a missing adoption decision.
pub const NOT_ADOPTED: &str = "Beslut om planen saknas i uppsikt.";

const WORDS: [&str; 21] = [
    "noll", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv",
    "tretton", "fjorton", "femton", "sexton", "sjutton", "arton", "nitton", "tjugo",
];

/// A count as Swedish prose writes it: 0–20 in words ("tio", "arton"), larger numbers in
/// digits. One is "en" (common gender); see [`number_word_sv_neuter`] for "ett".
pub fn number_word_sv(n: usize) -> String {
    WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// As [`number_word_sv`], with "ett" for one (neuter nouns: "ett kontrolltillfälle").
pub fn number_word_sv_neuter(n: usize) -> String {
    if n == 1 {
        "ett".into()
    } else {
        number_word_sv(n)
    }
}

/// The first letter in upper case (a count that starts a sentence).
pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A noun in the singular or plural after a count.
pub(crate) fn noun<'a>(n: usize, singular: &'a str, plural: &'a str) -> &'a str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// "x av y (z %)", or `empty` when there is nothing to count.
pub fn share_sv(part: usize, whole: usize, empty: &str) -> String {
    match Summary::percent(part, whole) {
        Some(p) => format!("{part} av {whole} ({p} %)"),
        None => empty.to_string(),
    }
}

/// An adoption decision as it is referred to: "Kommunstyrelsen 2019-01-28, § 12, dnr …"
/// (what the records lack is said to be missing).
pub fn adoption_sv(a: &Adoption) -> String {
    decision_reference(&PeriodLock {
        org_id: 0,
        period: Period::Year(0),
        body: a.body.clone(),
        decided_on: a.decided_on.clone(),
        paragraph: a.paragraph.clone(),
        diary_number: a.diary_number.clone(),
        locked_by: String::new(),
        locked_at: String::new(),
    })
}

/// The day a report on `period` counts a plan as of: the period's last day, or `today`
/// when that is earlier (a report on the running year shows the state of today).
pub fn as_of_day(period: Period, today: &str) -> String {
    let last = period.last_day();
    if today < last.as_str() {
        today.to_string()
    } else {
        last
    }
}

/// The plan as it stood at the end of `day` (ISO): executions, completions,
/// verifications, amendments and discontinuations dated later are left out, so a
/// delårsrapport shows nothing of a later day. An action marked done without a date
/// stays done (its day is unknown).
pub fn plan_as_of(plan: &ControlPlan, day: &str) -> ControlPlan {
    let after = |d: &str| d > day;
    let mut p = plan.clone();
    for a in &mut p.actions {
        if a.status == ActionStatus::Done && a.done_on.as_deref().is_some_and(after) {
            a.status = ActionStatus::NotDone;
            a.done_on = None;
        }
        if a.status != ActionStatus::Done || a.verification.as_ref().is_some_and(|v| after(&v.on)) {
            a.verification = None;
        }
        if let Some(first_later) = a.amendments.iter().position(|m| after(&m.on)) {
            a.text = a.amendments[first_later].previous_text.clone();
            a.amendments.truncate(first_later);
        }
    }
    for c in &mut p.controls {
        if c.discontinued.as_ref().is_some_and(|d| after(&d.on)) {
            c.discontinued = None;
        }
        for o in &mut c.occurrences {
            let later = match &o.execution {
                Some(Execution::Performed { performed_on, .. }) => after(performed_on),
                Some(Execution::NotPerformed { .. }) => after(&o.planned_on),
                None => false,
            };
            if later {
                o.execution = None;
                o.recorded_by = None;
            }
        }
    }
    p
}

/// The summary of the plan's actions that pass `keep` (and of all its controls).
fn summary_of(plan: &ControlPlan, day: &str, keep: impl Fn(&IcAction) -> bool) -> Summary {
    let part = ControlPlan {
        actions: plan.actions.iter().filter(|a| keep(a)).cloned().collect(),
        ..plan.clone()
    };
    part.summary(day)
}

fn serves_risk(a: &IcAction) -> bool {
    a.risk_ids().next().is_some()
}

fn serves_recommendation(a: &IcAction) -> bool {
    a.sources
        .iter()
        .any(|s| matches!(s, ActionSource::Recommendation { .. }))
}

/// What an action waits for, in words: "åtgärd R08" or the outside event as written.
/// What a blocked action waits for: "åtgärd R08", or the outside thing as written.
pub fn blocker_sv(plan: &ControlPlan, b: &Blocker) -> String {
    match b {
        Blocker::Action(id) => match plan.actions.iter().find(|a| a.id == *id) {
            Some(a) => format!("åtgärd {}", a.key),
            None => format!("en åtgärd i en annan plan (nr {id})"),
        },
        Blocker::Other(what) => what.trim().to_string(),
    }
}

/// "Tio av arton riskreducerande åtgärder har slutförts.": `done` of `total` things
/// (`singular`/`plural` with their adjectives) `verb` ("har slutförts"); none and a lone
/// one are said as Swedish says them.
fn done_of_sv(done: usize, total: usize, singular: &str, plural: &str, verb: &str) -> String {
    match (done, total) {
        (1, 1) => format!("Planens {singular} {verb}."),
        (_, 1) => format!("Planens {singular} {}.", negated(verb)),
        (0, _) => format!("Ingen av {} {plural} {verb}.", number_word_sv(total)),
        _ => format!(
            "{} av {} {plural} {verb}.",
            capitalise(&number_word_sv(done)),
            number_word_sv(total)
        ),
    }
}

/// "har slutförts" → "har inte slutförts", "är genomförd …" → "är inte genomförd …".
fn negated(verb: &str) -> String {
    match verb.split_once(' ') {
        Some((aux, rest)) => format!("{aux} inte {rest}"),
        None => format!("{verb} inte"),
    }
}

/// One paragraph per group of counts: the summary's sentences, all from the data.
pub fn summary_sentences(plan: &ControlPlan, day: &str) -> Vec<String> {
    let all = plan.summary(day);
    let risk = summary_of(plan, day, serves_risk);
    let audit = summary_of(plan, day, serves_recommendation);
    let mut out = Vec::new();

    let mut s = if all.risk_actions == 0 {
        "Planen har inga riskreducerande åtgärder.".to_string()
    } else {
        done_of_sv(
            all.risk_actions_done,
            all.risk_actions,
            "riskreducerande åtgärd",
            "riskreducerande åtgärder",
            "har slutförts",
        )
    };
    let remaining = all.risk_actions - all.risk_actions_done;
    if risk.actions_blocked > 0 {
        if remaining == 1 {
            s.push_str(" Den återstående åtgärden väntar på något annat innan den kan slutföras.");
        } else {
            let _ = write!(
                s,
                " {} av de {} återstående väntar på något annat innan {} kan slutföras.",
                capitalise(&number_word_sv(risk.actions_blocked)),
                number_word_sv(remaining),
                noun(risk.actions_blocked, "den", "de")
            );
        }
    }
    if all.risk_actions_done > 0 {
        if risk.actions_verified == 0 {
            s.push_str(" För ingen av de slutförda är effekten verifierad.");
        } else {
            let _ = write!(
                s,
                " Effekten är verifierad för {} av de slutförda.",
                number_word_sv(risk.actions_verified)
            );
        }
    }
    out.push(s);

    if all.audit_actions > 0 {
        let mut s = done_of_sv(
            all.audit_actions_done,
            all.audit_actions,
            "åtgärd utifrån revision eller annan granskning",
            "åtgärder utifrån revision eller annan granskning",
            "har slutförts",
        );
        if audit.actions_blocked > 0 && all.audit_actions - all.audit_actions_done == 1 {
            s.push_str(" Den som återstår väntar på något annat innan den kan genomföras.");
        } else if audit.actions_blocked > 0 {
            let _ = write!(
                s,
                " {} av dem som återstår väntar på något annat innan {} kan genomföras.",
                capitalise(&number_word_sv(audit.actions_blocked)),
                noun(audit.actions_blocked, "den", "de")
            );
        }
        out.push(s);
    }

    let other = plan
        .actions
        .iter()
        .filter(|a| !serves_risk(a) && !serves_recommendation(a))
        .count();
    if other > 0 {
        out.push(format!(
            "Därutöver har planen {} {} som varken anger en risk eller en granskning.",
            number_word_sv(other),
            noun(other, "åtgärd", "åtgärder")
        ));
    }

    if all.controls == 0 {
        out.push("Planen har inga systematiska kontroller.".into());
    } else {
        let mut s = if all.controls == 1 {
            done_of_sv(
                all.controls_done,
                1,
                "systematiska kontroll",
                "",
                "är genomförd vid alla planerade tillfällen",
            )
        } else {
            done_of_sv(
                all.controls_done,
                all.controls,
                "",
                "systematiska kontroller",
                "är genomförda vid alla planerade tillfällen",
            )
        };
        let left = all.occurrences - all.occurrences_performed - all.occurrences_missed;
        let _ = write!(
            s,
            " Av {} planerade {} har {} genomförts",
            number_word_sv_neuter(all.occurrences),
            noun(all.occurrences, "kontrolltillfälle", "kontrolltillfällen"),
            number_word_sv_neuter(all.occurrences_performed),
        );
        match (all.occurrences_missed, left) {
            (0, 0) => s.push('.'),
            (missed, 0) => {
                let _ = write!(
                    s,
                    " och {} har inte genomförts enligt plan.",
                    number_word_sv_neuter(missed)
                );
            }
            (0, left) => {
                let _ = write!(s, " och {} återstår.", number_word_sv_neuter(left));
            }
            (missed, left) => {
                let _ = write!(
                    s,
                    ", {} har inte genomförts enligt plan och {} återstår.",
                    number_word_sv_neuter(missed),
                    number_word_sv_neuter(left)
                );
            }
        }
        if all.findings > 0 {
            let _ = write!(
                s,
                " {} {} gav anmärkning; varje anmärkning blir en avvikelse som behöver ett beslut.",
                capitalise(&number_word_sv_neuter(all.findings)),
                noun(all.findings, "kontrolltillfälle", "kontrolltillfällen"),
            );
        }
        out.push(s);
    }
    if all.contract_follow_ups > 0 {
        out.push(format!(
            "Planen har {} {} av verksamhet som privata utförare bedriver.",
            number_word_sv(all.contract_follow_ups),
            noun(
                all.contract_follow_ups,
                "avtalsuppföljning",
                "avtalsuppföljningar"
            ),
        ));
    }
    out
}

/// What must not go unseen (`ControlPlan::notices`), in Swedish; items of a kind that
/// occurs often are listed together. The missing adoption decision is said beside the
/// decision field instead.
pub fn notices_sv(plan: &ControlPlan, day: &str) -> Vec<String> {
    let action_key = |id: Id| {
        plan.actions
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| format!("nr {id}"), |a| a.key.clone())
    };
    let control_key = |id: Id| {
        plan.controls
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("nr {id}"), |c| c.key.clone())
    };
    let mut out = Vec::new();
    let mut riskless = Vec::new();
    let mut unverified = Vec::new();
    for n in plan.notices(day) {
        match n {
            Notice::NotAdopted => {}
            Notice::NoRiskAnalysis => {
                out.push("Ingen risk- och väsentlighetsanalys är registrerad för planen.".into())
            }
            Notice::NoElectedMembers => {
                out.push("Förtroendevalda deltog inte i risk- och väsentlighetsanalysen.".into())
            }
            Notice::ActionWithoutRisk { action_id } => riskless.push(action_key(action_id)),
            Notice::Blocked { action_id, blocker } => out.push(format!(
                "Åtgärd {} väntar på {}.",
                action_key(action_id),
                blocker_sv(plan, &blocker)
            )),
            Notice::DoneNotVerified { action_id } => unverified.push(action_key(action_id)),
            Notice::ParametersChanged {
                control_id,
                planned,
                used,
                ..
            } => {
                let text = format!(
                    "Kontroll {} genomfördes med andra parametrar än planerat: {} i stället för {}.",
                    control_key(control_id),
                    used.trim(),
                    if planned.trim().is_empty() {
                        "inga angivna"
                    } else {
                        planned.trim()
                    }
                );
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            Notice::OccurrencesMissed {
                control_id,
                missed,
                planned,
            } => out.push(if planned == 1 {
                format!(
                    "Kontroll {}: kontrolltillfället har inte genomförts enligt plan.",
                    control_key(control_id)
                )
            } else {
                format!(
                    "Kontroll {}: {} av {} kontrolltillfällen har inte genomförts enligt plan.",
                    control_key(control_id),
                    number_word_sv_neuter(missed),
                    number_word_sv_neuter(planned),
                )
            }),
        }
    }
    if !riskless.is_empty() {
        out.push(format!(
            "Riskreducerande åtgärder som inte anger vilken risk de minskar: {}.",
            riskless.join(", ")
        ));
    }
    if !unverified.is_empty() {
        out.push(format!(
            "Klara åtgärder vars effekt ingen har verifierat: {}.",
            unverified.join(", ")
        ));
    }
    out
}

fn assessment_sv(a: &OverallAssessment) -> String {
    let mut s = a.level.trim().to_string();
    if !a.motivation.trim().is_empty() {
        let _ = write!(s, ". {}", a.motivation.trim());
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    if !a.source.trim().is_empty() {
        let _ = write!(s, " Källa: {}.", a.source.trim().trim_end_matches('.'));
    }
    s
}

/// The opening paragraphs: what internal control is for, its legal basis and rule book,
/// and where it is followed up.
pub fn intro(plan: &ControlPlan) -> Vec<Block> {
    let basis = match (plan.legal_basis.trim(), plan.rule_ref.trim()) {
        ("", "") => "Lagrum och reglemente för planen saknas i uppsikt.".to_string(),
        (law, "") => format!(
            "Nämndens ansvar för den interna kontrollen följer av kommunallagen ({law}); reglementet för intern kontroll saknas i uppsikt."
        ),
        ("", rule) => format!(
            "Nämndens ansvar för den interna kontrollen följer av kommunallagen och av kommunens reglemente för intern kontroll ({rule})."
        ),
        (law, rule) => format!(
            "Nämndens ansvar för den interna kontrollen följer av kommunallagen ({law}) och av kommunens reglemente för intern kontroll ({rule})."
        ),
    };
    vec![
        Block::Paragraph {
            text: "Med intern kontroll säkerställer nämnden att verksamheten fungerar och når sina mål: risker identifieras och minskas, och systematiska kontroller visar om regler och rutiner följs.".into(),
        },
        Block::Paragraph { text: basis },
        Block::Paragraph {
            text: format!(
                "Internkontrollplanen för {} följs upp i delårsrapporten och i verksamhetsberättelsen.",
                plan.year
            ),
        },
    ]
}

/// "Sammanfattning av nämndens internkontrollarbete": the decision, the counts in words,
/// the plan in figures, the self-assessment beside the auditors', what must be seen.
pub fn summary_section(plan: &ControlPlan, day: &str) -> Section {
    let mut s = Section::new(SUMMARY_TITLE);
    s.blocks.push(match &plan.adoption {
        Some(a) => Block::Labeled {
            label: "Beslut om planen".into(),
            text: format!("{}.", adoption_sv(a)),
        },
        None => Block::Paragraph {
            text: NOT_ADOPTED.into(),
        },
    });
    for text in summary_sentences(plan, day) {
        s.blocks.push(Block::Paragraph { text });
    }
    s.blocks.push(Block::Table(figures_table(plan, day)));
    s.blocks.push(Block::Labeled {
        label: "Nämndens samlade bedömning".into(),
        text: plan
            .self_assessment
            .as_ref()
            .map_or_else(|| "Saknas i uppsikt.".into(), assessment_sv),
    });
    s.blocks.push(Block::Labeled {
        label: "Revisorernas bedömning".into(),
        text: plan
            .auditor_assessment
            .as_ref()
            .map_or_else(|| "Finns inte i uppsikt.".into(), assessment_sv),
    });
    let notices = notices_sv(plan, day);
    if !notices.is_empty() {
        s.blocks.push(Block::List {
            title: Some("Att uppmärksamma".into()),
            items: notices,
        });
    }
    s
}

/// The plan in figures, as of `day`.
pub fn figures_table(plan: &ControlPlan, day: &str) -> Table {
    let all = plan.summary(day);
    let risk = summary_of(plan, day, serves_risk);
    let row = |what: &str, whole: usize, part: String, share: Option<u32>| {
        vec![
            what.to_string(),
            whole.to_string(),
            part,
            share
                .map(|p| format!("{p} %"))
                .unwrap_or_else(|| "–".into()),
        ]
    };
    Table {
        caption: format!("Internkontrollplanen {} i siffror", plan.year),
        columns: ["Innehåll", "Antal", "Klart/genomfört", "Andel"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            row("Risker", all.risks, "–".into(), None),
            row(
                "Riskreducerande åtgärder",
                all.risk_actions,
                all.risk_actions_done.to_string(),
                Summary::percent(all.risk_actions_done, all.risk_actions),
            ),
            row(
                "varav klara med verifierad effekt",
                risk.actions_done,
                risk.actions_verified.to_string(),
                Summary::percent(risk.actions_verified, risk.actions_done),
            ),
            row(
                "Åtgärder utifrån revision eller granskning",
                all.audit_actions,
                all.audit_actions_done.to_string(),
                Summary::percent(all.audit_actions_done, all.audit_actions),
            ),
            row(
                "Systematiska kontroller",
                all.controls,
                all.controls_done.to_string(),
                Summary::percent(all.controls_done, all.controls),
            ),
            row(
                "Kontrolltillfällen",
                all.occurrences,
                all.occurrences_performed.to_string(),
                Summary::percent(all.occurrences_performed, all.occurrences),
            ),
            row(
                "Kontrolltillfällen som inte genomförts enligt plan",
                all.occurrences_missed,
                "–".into(),
                None,
            ),
            row(
                "Kontrolltillfällen med anmärkning",
                all.findings,
                "–".into(),
                None,
            ),
            row(
                "Avtalsuppföljningar",
                all.contract_follow_ups,
                "–".into(),
                None,
            ),
        ],
        row_headers: true,
    }
}

/// "Struktur för nämndens internkontrollarbete": who is responsible, the risk analysis,
/// and the items that come from the executive board's common ones.
pub fn structure_section(plan: &ControlPlan) -> Section {
    let mut s = Section::new(STRUCTURE_TITLE);
    s.blocks.push(Block::Paragraph {
        text: "Om planen inte anger någon annan ansvarar chefen för den verksamhet som risken gäller för att planens åtgärder och kontroller genomförs. Det gäller även åtgärder efter revision eller annan granskning.".into(),
    });
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Internkontrollplanen ingår i nämndens verksamhetsplan för {}.",
            plan.year
        ),
    });
    s.blocks.push(Block::Labeled {
        label: "Risk- och väsentlighetsanalys".into(),
        text: match &plan.risk_analysis {
            None => "Uppgift om analysen saknas i uppsikt.".into(),
            Some(r) => {
                let when = r
                    .held_on
                    .as_deref()
                    .filter(|d| !d.trim().is_empty())
                    .map_or_else(|| "Datum saknas".to_string(), |d| format!("Genomförd {d}"));
                let who = if r.participants.trim().is_empty() {
                    "deltagare saknas i uppgifterna".to_string()
                } else {
                    format!("med {}", r.participants.trim())
                };
                let elected = if r.elected_members_took_part {
                    "Förtroendevalda deltog."
                } else {
                    "Förtroendevalda deltog inte."
                };
                format!("{when}, {who}. {elected}")
            }
        },
    });
    let from_common = plan.items_from_common();
    if from_common > 0 {
        s.blocks.push(Block::Paragraph {
            text: format!(
                "{} av planens risker och kontroller kommer från kommunstyrelsens kommungemensamma punkter.",
                capitalise(&number_word_sv(from_common))
            ),
        });
    }
    let common = plan.common_items();
    if common > 0 {
        s.blocks.push(Block::Paragraph {
            text: format!(
                "Planen markerar {} {} som kommungemensamma för alla nämnders planer.",
                number_word_sv(common),
                noun(common, "punkt", "punkter")
            ),
        });
    }
    s
}

/// Groups items by their area, in the order each area first appears.
fn by_area<'a, T>(
    items: impl Iterator<Item = &'a T>,
    area: impl Fn(&T) -> &str,
) -> Vec<(String, Vec<&'a T>)>
where
    T: 'a,
{
    let mut out: Vec<(String, Vec<&T>)> = Vec::new();
    for item in items {
        let a = area(item).trim();
        let a = if a.is_empty() {
            "Inget angivet område"
        } else {
            a
        };
        match out.iter_mut().find(|(name, _)| name == a) {
            Some((_, v)) => v.push(item),
            None => out.push((a.to_string(), vec![item])),
        }
    }
    out
}

fn risk_cell(plan: &ControlPlan, r: &Risk) -> String {
    let mut lines = vec![format!("{} {}", r.key, r.text.trim())];
    if !r.background.trim().is_empty() {
        lines.push(format!("Bakgrund: {}", r.background.trim()));
    }
    if let Some(f) = r.first_documented {
        lines.push(format!(
            "Risken är {} (ålder {}).",
            f.label_sv(),
            f.age_sv(plan.year)
        ));
    }
    if r.carried_from.is_some() {
        lines.push("Överflyttad från föregående års plan.".into());
    }
    if r.common_from.is_some() {
        lines.push("Kommungemensam risk från kommunstyrelsen.".into());
    }
    if let Some(m) = &plan.matrix {
        lines.push(match r.gross {
            Some(g) => format!("Bruttorisk: {}", m.describe(g)),
            None => "Bruttorisk: ej bedömd".into(),
        });
        if let Some(n) = r.net {
            lines.push(format!("Nettorisk: {}", m.describe(n)));
        }
    }
    lines.join("\n")
}

/// An action's own text: key, content, responsible, amendments, other sources.
fn action_cell(a: &IcAction) -> String {
    let mut lines = vec![format!("{} {}", a.key, a.text.trim())];
    if !a.responsible.trim().is_empty() {
        lines.push(format!("Ansvarig: {}", a.responsible.trim()));
    }
    for m in &a.amendments {
        let mut l = format!(
            "Ändrad {}: tidigare lydelse ”{}”",
            m.on,
            m.previous_text.trim()
        );
        if !m.reason.trim().is_empty() {
            let _ = write!(l, ", skäl: {}", m.reason.trim());
        }
        if !m.by.trim().is_empty() {
            let _ = write!(l, " ({})", m.by.trim());
        }
        lines.push(l);
    }
    if a.carried_from.is_some() {
        lines.push("Överflyttad från föregående års plan.".into());
    }
    for src in &a.sources {
        match src {
            ActionSource::Recommendation { case_ref, title } => lines.push(format!(
                "Även åtgärd utifrån granskning: {} ({})",
                title.trim(),
                case_ref.trim()
            )),
            ActionSource::Deviation { deviation_id } => {
                lines.push(format!("Även åtgärd efter avvikelse nr {deviation_id}"))
            }
            ActionSource::Risk { .. } => {}
        }
    }
    lines.join("\n")
}

/// An action's status: done (when), verified or not, or what it waits for.
fn action_status_cell(plan: &ControlPlan, a: &IcAction) -> String {
    let mut lines = Vec::new();
    match (a.status, &a.done_on) {
        (ActionStatus::Done, Some(d)) => lines.push(format!("{} {d}", a.status.label_sv())),
        (status, _) => lines.push(status.label_sv().to_string()),
    }
    if a.status == ActionStatus::Done {
        lines.push(match &a.verification {
            Some(v) => format!(
                "Effekten verifierad {} av {}: {}",
                v.on,
                v.by.trim(),
                v.how.trim()
            ),
            None => "Effekten är inte verifierad.".into(),
        });
    } else if let Some(b) = &a.blocked_by {
        lines.push(format!("Väntar på {}.", blocker_sv(plan, b)));
    }
    lines.join("\n")
}

/// "Riskreducerande åtgärder": per area, a row per action of each risk (a risk without
/// actions has a row saying how it is handled); actions that state no risk last.
pub fn risk_actions_section(plan: &ControlPlan) -> Section {
    let mut s = Section::new(RISK_ACTIONS_TITLE);
    if plan.risks.is_empty() && !plan.actions.iter().any(serves_risk) {
        s.blocks.push(Block::Paragraph {
            text: "Planen har inga risker med riskreducerande åtgärder.".into(),
        });
    }
    let columns = ["Risk", "Åtgärd", "Status", "Kommentar"]
        .map(String::from)
        .to_vec();
    for (area, risks) in by_area(plan.risks.iter(), |r| r.area.as_str()) {
        let mut rows = Vec::new();
        for r in risks {
            let actions: Vec<&IcAction> = plan.actions_of(r.id).collect();
            if actions.is_empty() {
                let handling = match &r.handling {
                    Some(h @ uppsikt_domain::internal_control::Handling::Accept { motivation }) => {
                        format!("{}: {}", h.label_sv(), motivation.trim())
                    }
                    Some(h) => h.label_sv().to_string(),
                    None => "Hantering ej angiven".into(),
                };
                rows.push(vec![
                    risk_cell(plan, r),
                    "Ingen åtgärd i planen".into(),
                    handling,
                    String::new(),
                ]);
            }
            for (i, a) in actions.into_iter().enumerate() {
                let risk = if i == 0 {
                    risk_cell(plan, r)
                } else {
                    format!("{} (samma risk som ovan)", r.key)
                };
                rows.push(vec![
                    risk,
                    action_cell(a),
                    action_status_cell(plan, a),
                    a.comment.trim().to_string(),
                ]);
            }
        }
        let mut child = Section::new(area.clone());
        child.blocks.push(Block::Table(Table {
            caption: format!("Riskreducerande åtgärder: {area}"),
            columns: columns.clone(),
            rows,
            row_headers: false,
        }));
        s.children.push(child);
    }
    let riskless: Vec<Vec<String>> = plan
        .actions
        .iter()
        .filter(|a| a.sources.is_empty())
        .map(|a| {
            vec![
                "Ingen risk angiven".into(),
                action_cell(a),
                action_status_cell(plan, a),
                a.comment.trim().to_string(),
            ]
        })
        .collect();
    if !riskless.is_empty() {
        let mut child = Section::new("Åtgärder utan angiven risk");
        child.blocks.push(Block::Paragraph {
            text: "Varje riskreducerande åtgärd ska ange den risk den minskar; dessa gör det inte."
                .into(),
        });
        child.blocks.push(Block::Table(Table {
            caption: "Åtgärder utan angiven risk".into(),
            columns,
            rows: riskless,
            row_headers: false,
        }));
        s.children.push(child);
    }
    s
}

/// An audit action's row: the action with its responsible, amendments and the risk it
/// also reduces; its status; its comment.
fn audit_action_row(plan: &ControlPlan, a: &IcAction) -> Vec<String> {
    let mut what = vec![format!("{} {}", a.key, a.text.trim())];
    if !a.responsible.trim().is_empty() {
        what.push(format!("Ansvarig: {}", a.responsible.trim()));
    }
    for m in &a.amendments {
        what.push(format!(
            "Ändrad {}: tidigare lydelse ”{}”",
            m.on,
            m.previous_text.trim()
        ));
    }
    let risks: Vec<String> = a
        .risk_ids()
        .filter_map(|id| plan.risks.iter().find(|r| r.id == id))
        .map(|r| r.key.clone())
        .collect();
    if !risks.is_empty() {
        what.push(format!(
            "Samma åtgärd minskar även risk {} (se {}).",
            risks.join(", "),
            RISK_ACTIONS_TITLE
        ));
    }
    vec![
        what.join("\n"),
        action_status_cell(plan, a),
        a.comment.trim().to_string(),
    ]
}

/// The row of an item of the plan a recommendation is linked to.
fn linked_item_row(plan: &ControlPlan, target: IcTarget) -> Option<Vec<String>> {
    match target {
        IcTarget::Action(id) => plan
            .actions
            .iter()
            .find(|a| a.id == id)
            .map(|a| audit_action_row(plan, a)),
        IcTarget::Control(id) => plan.controls.iter().find(|c| c.id == id).map(|c| {
            vec![
                format!("Kontroll {} {}", c.key, c.name.trim()),
                c.status().label_sv().to_string(),
                c.comment.trim().to_string(),
            ]
        }),
        IcTarget::Risk(id) => plan.risks.iter().find(|r| r.id == id).map(|r| {
            vec![
                format!("Risk {} {}", r.key, r.text.trim()),
                "Finns i planens riskförteckning".into(),
                r.handling
                    .as_ref()
                    .map(|h| format!("Hantering: {}", h.label_sv()))
                    .unwrap_or_default(),
            ]
        }),
    }
}

/// The plan's items in plan order: actions, controls, risks.
fn plan_items(plan: &ControlPlan) -> Vec<IcTarget> {
    plan.actions
        .iter()
        .map(|a| IcTarget::Action(a.id))
        .chain(plan.controls.iter().map(|c| IcTarget::Control(c.id)))
        .chain(plan.risks.iter().map(|r| IcTarget::Risk(r.id)))
        .collect()
}

/// "Åtgärder med anledning av revisionens granskningar", as the annual report lists them
/// (seed 004's "Åtgärdslista"): per audit its title, diarienummer and background (the
/// recommendations' texts with the board's answer), then a row per action (or control, or
/// risk) of the plan the recommendations are linked to (`Recommendation::ic_links`), with
/// status and comment. An item linked from several audits is listed under the oldest, whose
/// background then names the others' recommendations too. Actions that name a review only
/// by its diarienummer (`ActionSource::Recommendation`) and are linked from no audit
/// follow, grouped by that number.
pub fn audit_actions_section(plan: &ControlPlan, audits: &[Audit]) -> Option<Section> {
    type Recs<'a> = Vec<(&'a Audit, &'a Recommendation)>;
    // (main audit, linked items, recommendations behind them), in the plan's order.
    let mut blocks: Vec<(&Audit, Vec<IcTarget>, Recs)> = Vec::new();
    for target in plan_items(plan) {
        let mut recs: Recs = audits
            .iter()
            .flat_map(|a| a.recommendations.iter().map(move |r| (a, r)))
            .filter(|(_, r)| r.ic_links.iter().any(|l| l.target == target))
            .collect();
        if recs.is_empty() {
            continue;
        }
        recs.sort_by_key(|(a, _)| (a.plan_year, a.id));
        let main = recs[0].0;
        let i = match blocks.iter().position(|(a, _, _)| a.id == main.id) {
            Some(i) => i,
            None => {
                blocks.push((main, Vec::new(), Vec::new()));
                blocks.len() - 1
            }
        };
        let block = &mut blocks[i];
        block.1.push(target);
        for (a, r) in recs {
            if !block.2.iter().any(|(_, x)| x.id == r.id) {
                block.2.push((a, r));
            }
        }
    }
    let linked: Vec<IcTarget> = blocks.iter().flat_map(|(_, t, _)| t.clone()).collect();
    let mut groups: Vec<(String, String, Vec<&IcAction>)> = Vec::new();
    for a in &plan.actions {
        if linked.contains(&IcTarget::Action(a.id)) {
            continue;
        }
        for src in &a.sources {
            if let ActionSource::Recommendation { case_ref, title } = src {
                match groups.iter_mut().find(|(c, _, _)| c == case_ref.trim()) {
                    Some((_, _, v)) => {
                        if !v.iter().any(|x| x.id == a.id) {
                            v.push(a)
                        }
                    }
                    None => groups.push((
                        case_ref.trim().to_string(),
                        title.trim().to_string(),
                        vec![a],
                    )),
                }
            }
        }
    }
    if blocks.is_empty() && groups.is_empty() {
        return None;
    }
    let columns = ["Åtgärd", "Status", "Kommentar"].map(String::from).to_vec();
    let mut s = Section::new(AUDIT_ACTIONS_TITLE);
    for (main, targets, mut recs) in blocks {
        recs.sort_by_key(|(a, _)| (a.plan_year, a.id));
        let mut child = Section::new(main.title.trim());
        let mut refs: Vec<String> = Vec::new();
        for (a, _) in &recs {
            if let Some(c) = &a.case_ref {
                if !refs.contains(&c.text) {
                    refs.push(c.text.clone());
                }
            }
        }
        child.blocks.push(Block::Labeled {
            label: "Diarienummer".into(),
            text: if refs.is_empty() {
                "Saknas i uppsikt".into()
            } else {
                refs.join(", ")
            },
        });
        child.blocks.push(Block::Labeled {
            label: "Granskning".into(),
            text: format!(
                "{}, revisionsplanen för {}.",
                main.kind.label_sv(),
                main.plan_year
            ),
        });
        let background = recs
            .iter()
            .map(|(a, r)| {
                let mut line = format!("{}. {}", r.number, r.text.trim());
                if a.id != main.id {
                    let _ = write!(line, " ({} {})", a.title.trim(), a.plan_year);
                }
                if let Some(item) = a
                    .response_of(plan.org_id)
                    .and_then(|resp| resp.item(r.id).map(|i| (resp, i)))
                {
                    let (resp, i) = item;
                    let _ = write!(
                        line,
                        " Svar {}: {}",
                        resp.decided_on,
                        i.stance.label_sv().to_lowercase()
                    );
                    for t in [i.stance.text().trim(), i.comment.trim()] {
                        if !t.is_empty() {
                            let _ = write!(line, ". {}", t.trim_end_matches('.'));
                        }
                    }
                    line.push('.');
                }
                line
            })
            .collect();
        child.blocks.push(Block::List {
            title: Some("Bakgrund: revisionens rekommendationer".into()),
            items: background,
        });
        child.blocks.push(Block::Table(Table {
            caption: format!("Åtgärder utifrån granskningen {}", main.title.trim()),
            columns: columns.clone(),
            rows: targets
                .into_iter()
                .filter_map(|t| linked_item_row(plan, t))
                .collect(),
            row_headers: false,
        }));
        s.children.push(child);
    }
    for (case_ref, title, actions) in groups {
        let heading = match (title.is_empty(), case_ref.is_empty()) {
            (false, false) => format!("{title} ({case_ref})"),
            (false, true) => title.clone(),
            (true, false) => case_ref.clone(),
            (true, true) => "Granskning utan angiven titel".into(),
        };
        let mut child = Section::new(heading.clone());
        if !case_ref.is_empty() {
            child.blocks.push(Block::Labeled {
                label: "Diarienummer".into(),
                text: case_ref.clone(),
            });
        }
        child.blocks.push(Block::Table(Table {
            caption: format!("Åtgärder utifrån granskningen {heading}"),
            columns: columns.clone(),
            rows: actions
                .into_iter()
                .map(|a| audit_action_row(plan, a))
                .collect(),
            row_headers: false,
        }));
        s.children.push(child);
    }
    Some(s)
}

/// Actions that carry out a deviation's decision, if any.
pub fn deviation_actions_section(plan: &ControlPlan) -> Option<Section> {
    let rows: Vec<Vec<String>> = plan
        .actions
        .iter()
        .filter_map(|a| {
            let ids: Vec<String> = a
                .sources
                .iter()
                .filter_map(|s| match s {
                    ActionSource::Deviation { deviation_id } => Some(format!("nr {deviation_id}")),
                    _ => None,
                })
                .collect();
            (!ids.is_empty()).then(|| {
                vec![
                    ids.join(", "),
                    format!("{} {}", a.key, a.text.trim()),
                    action_status_cell(plan, a),
                    a.comment.trim().to_string(),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut s = Section::new(DEVIATION_ACTIONS_TITLE);
    s.blocks.push(Block::Table(Table {
        caption: DEVIATION_ACTIONS_TITLE.into(),
        columns: ["Avvikelse", "Åtgärd", "Status", "Kommentar"]
            .map(String::from)
            .to_vec(),
        rows,
        row_headers: false,
    }));
    Some(s)
}

/// The deviation raised for a cause, in words.
fn deviation_sv(deviations: &HashMap<String, Id>, key: &str) -> String {
    match deviations.get(key) {
        Some(id) => format!("Avvikelse nr {id}."),
        None => "Ingen avvikelse är registrerad.".into(),
    }
}

/// A control's status on `day`: the computed status, the occurrences performed of those
/// planned ("3 av 12 genomförda"), those missed, and a decision to discontinue it.
pub fn control_status_cell(c: &Control, day: &str) -> String {
    let planned = c.occurrences.len();
    let performed = c.performed();
    let missed = c
        .occurrences
        .iter()
        .filter(|o| o.state(day) == OccurrenceState::Missed)
        .count();
    let mut lines = vec![c.status().label_sv().to_string()];
    if planned == 0 {
        lines.push("Inga kontrolltillfällen är planerade.".into());
    } else {
        lines.push(format!("{performed} av {planned} genomförda"));
        if missed > 0 {
            lines.push(format!("{missed} inte genomförda enligt plan"));
        }
    }
    if let Some(d) = &c.discontinued {
        let mut l = if d.on.trim().is_empty() {
            "Avslutas: beslut (datum saknas)".to_string()
        } else {
            format!("Avslutas: beslut {}", d.on.trim())
        };
        if !d.decided_by.trim().is_empty() {
            let _ = write!(l, " av {}", d.decided_by.trim());
        }
        if !d.reason.trim().is_empty() {
            let _ = write!(l, ": {}", d.reason.trim());
        }
        lines.push(l);
    }
    lines.join("\n")
}

/// A control's description: method, frequency, sample, and the planned parameters beside
/// those used where they differ.
pub fn control_description_cell(c: &Control) -> String {
    let mut lines = Vec::new();
    if !c.method.trim().is_empty() {
        lines.push(c.method.trim().to_string());
    }
    if !c.frequency.trim().is_empty() {
        lines.push(format!("Frekvens: {}", c.frequency.trim()));
    }
    if !c.sample.trim().is_empty() {
        lines.push(format!("Urval: {}", c.sample.trim()));
    }
    if !c.planned_parameters.trim().is_empty() {
        lines.push(format!("Planerat: {}", c.planned_parameters.trim()));
    }
    // Each value used instead of the planned one, with the occurrences it was used at.
    let mut drift: Vec<(String, Vec<&str>)> = Vec::new();
    for o in &c.occurrences {
        if let Some(used) = o.parameter_drift(&c.planned_parameters) {
            let used = used.trim().to_string();
            match drift.iter_mut().find(|(u, _)| *u == used) {
                Some((_, dates)) => dates.push(&o.planned_on),
                None => drift.push((used, vec![&o.planned_on])),
            }
        }
    }
    for (used, dates) in drift {
        let when = if dates.len() <= 3 {
            dates.join(", ")
        } else {
            format!("{} tillfällen", dates.len())
        };
        lines.push(format!("Använt i stället: {used} ({when})"));
    }
    lines.join("\n")
}

/// The occurrences not performed (recorded so, or past their day with nothing recorded),
/// one line per reason: when, how many, why, and the deviations raised.
fn missed_lines(c: &Control, day: &str, deviations: &HashMap<String, Id>) -> Vec<String> {
    let mut groups: Vec<(String, Vec<&str>, Vec<Id>)> = Vec::new();
    for o in &c.occurrences {
        if o.state(day) != OccurrenceState::Missed {
            continue;
        }
        let reason = match &o.execution {
            Some(Execution::NotPerformed { reason }) => reason.trim().trim_end_matches('.'),
            _ => "",
        };
        let reason = if reason.is_empty() {
            "inget är registrerat".to_string()
        } else {
            reason.to_string()
        };
        let deviation = deviations.get(&missed_cause_key(o.id)).copied();
        match groups.iter_mut().find(|(r, _, _)| *r == reason) {
            Some((_, dates, ids)) => {
                dates.push(&o.planned_on);
                ids.extend(deviation);
            }
            None => groups.push((reason, vec![&o.planned_on], deviation.into_iter().collect())),
        }
    }
    groups
        .into_iter()
        .map(|(reason, dates, ids)| {
            let mut l = match dates.as_slice() {
                [one] => format!("Inte genomförd {one}: {reason}."),
                [first, .., last] if dates.len() > 3 => format!(
                    "Inte genomförda {first} – {last} ({} tillfällen): {reason}.",
                    dates.len()
                ),
                _ => format!("Inte genomförda {}: {reason}.", dates.join(", ")),
            };
            match ids.as_slice() {
                [] => {}
                [one] => {
                    let _ = write!(l, " Avvikelse nr {one}.");
                }
                _ => {
                    let ids: Vec<String> = ids.iter().map(Id::to_string).collect();
                    let _ = write!(l, " Avvikelser nr {}.", ids.join(", "));
                }
            }
            l
        })
        .collect()
}

/// A control's results: each occurrence with findings, a findings text or a reason it was
/// not performed, with the deviation raised; then the comment.
pub fn control_result_cell(c: &Control, day: &str, deviations: &HashMap<String, Id>) -> String {
    let mut lines = Vec::new();
    for o in &c.occurrences {
        match &o.execution {
            Some(Execution::Performed {
                performed_on,
                result,
                findings,
                ..
            }) => {
                if o.state(day) == OccurrenceState::Findings {
                    lines.push(format!(
                        "{performed_on}: {}: {} {}",
                        result.label_sv(),
                        findings.trim(),
                        deviation_sv(deviations, &findings_cause_key(o.id))
                    ));
                } else if !findings.trim().is_empty() {
                    lines.push(format!(
                        "{performed_on}: {}: {}",
                        result.label_sv(),
                        findings.trim()
                    ));
                }
            }
            Some(Execution::NotPerformed { .. }) | None => {}
        }
    }
    lines.extend(missed_lines(c, day, deviations));
    if !c.comment.trim().is_empty() {
        lines.push(c.comment.trim().to_string());
    }
    lines.join("\n")
}

fn control_cell(c: &Control) -> String {
    let mut lines = vec![format!("{} {}", c.key, c.name.trim())];
    if !c.purpose.trim().is_empty() {
        lines.push(format!("Syfte: {}", c.purpose.trim()));
    }
    if !c.responsible.trim().is_empty() {
        lines.push(format!("Ansvarig: {}", c.responsible.trim()));
    }
    if !c.due.trim().is_empty() {
        lines.push(format!("Klart senast {}", c.due.trim()));
    }
    if !c.origin.trim().is_empty() {
        lines.push(format!("Ursprung: {}", c.origin.trim()));
    }
    if c.carried_from.is_some() {
        lines.push("Överflyttad från föregående års plan.".into());
    }
    if c.common_from.is_some() {
        lines.push("Kommungemensam kontroll från kommunstyrelsen.".into());
    }
    lines.join("\n")
}

/// "Systematiska kontroller": per area, a row per control.
pub fn controls_section(
    plan: &ControlPlan,
    day: &str,
    deviations: &HashMap<String, Id>,
) -> Section {
    let mut s = Section::new(CONTROLS_TITLE);
    let systematic = plan.controls.iter().filter(|c| !c.is_contract_follow_up());
    let groups = by_area(systematic, |c| c.area.as_str());
    if groups.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: "Planen har inga systematiska kontroller.".into(),
        });
    }
    for (area, controls) in groups {
        let rows = controls
            .into_iter()
            .map(|c| {
                vec![
                    control_cell(c),
                    control_description_cell(c),
                    control_status_cell(c, day),
                    control_result_cell(c, day, deviations),
                ]
            })
            .collect();
        let mut child = Section::new(area.clone());
        child.blocks.push(Block::Table(Table {
            caption: format!("Systematiska kontroller: {area}"),
            columns: [
                "Kontroll",
                "Beskrivning av kontroll",
                "Status",
                "Resultat och kommentar",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            row_headers: false,
        }));
        s.children.push(child);
    }
    s
}

/// "Plan för uppföljning och insyn": the contract follow-ups, if any.
pub fn contracts_section(
    plan: &ControlPlan,
    day: &str,
    deviations: &HashMap<String, Id>,
) -> Option<Section> {
    let rows: Vec<Vec<String>> = plan
        .controls
        .iter()
        .filter_map(|c| match &c.kind {
            ControlKind::ContractFollowUp(f) => Some(vec![
                c.area.trim().to_string(),
                format!("{} {}", c.key, c.name.trim()),
                f.follow_up_kind.trim().to_string(),
                c.responsible.trim().to_string(),
                f.schedule.trim().to_string(),
                f.interval.trim().to_string(),
                f.recipients.trim().to_string(),
                [
                    control_status_cell(c, day),
                    control_result_cell(c, day, deviations),
                ]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
            ]),
            ControlKind::Systematic => None,
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut s = Section::new(CONTRACTS_TITLE);
    s.blocks.push(Block::Paragraph {
        text:
            "Uppföljning av avtal och uppdrag där privata utförare bedriver verksamhet åt kommunen."
                .into(),
    });
    s.blocks.push(Block::Table(Table {
        caption: "Avtalsuppföljningar".into(),
        columns: [
            "Verksamhetsområde",
            "Avtal/uppdrag",
            "Typ",
            "Ansvar",
            "Tidplan",
            "Intervall",
            "Mottagare",
            "Status och kommentar",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        row_headers: false,
    }));
    Some(s)
}

const MAP_WIDTH: f64 = 640.0;
const MAP_LEFT: f64 = 170.0;
const MAP_RIGHT: f64 = 12.0;
const MAP_TOP: f64 = 34.0;
const MAP_CELL_H: f64 = 40.0;
const MAP_BOTTOM: f64 = 62.0;

fn cell_of(cells: &[(RiskScore, Vec<String>)], p: u8, c: u8) -> &[String] {
    cells
        .iter()
        .find(|(s, _)| s.probability == p && s.consequence == c)
        .map_or(&[], |(_, keys)| keys.as_slice())
}

fn risks_sv(n: usize) -> String {
    format!("{n} {}", noun(n, "risk", "risker"))
}

/// The risk map of a plan as an SVG grid (probability upwards, consequence to the
/// right), each cell with its count as text and a label naming its position and risks,
/// and its text alternative; `net` draws the net risks, otherwise the gross.
pub fn risk_map_chart(map: &RiskMap, net: bool, id: &str) -> Chart {
    let (cells, which) = if net {
        (&map.net, "nettorisk")
    } else {
        (&map.gross, "bruttorisk")
    };
    let m = &map.matrix;
    let np = m.probability.len().max(1);
    let nc = m.consequence.len().max(1);
    let title = format!("Riskkarta, {which}");
    let height = MAP_TOP + MAP_CELL_H * np as f64 + MAP_BOTTOM;
    let cell_w = (MAP_WIDTH - MAP_LEFT - MAP_RIGHT) / nc as f64;
    let max_value = (np * nc) as f64;
    let alt = describe_map(map, net);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" width="100%" viewBox="0 0 {MAP_WIDTH} {height}" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title {id}-desc" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"##,
        escape(&title),
        escape(&alt)
    );
    let _ = write!(
        svg,
        r##"<text font-size="12" fill="#3b434d" x="4" y="{:.1}">Sannolikhet</text>"##,
        MAP_TOP - 12.0
    );
    for pi in 0..np {
        // The highest probability on top.
        let p = (np - pi) as u8;
        let y = MAP_TOP + MAP_CELL_H * pi as f64;
        let label = m
            .probability
            .get(usize::from(p) - 1)
            .map_or("", String::as_str);
        let _ = write!(
            svg,
            r##"<text font-size="12" fill="#3b434d" x="{:.1}" y="{:.1}" text-anchor="end">{} ({p})</text>"##,
            MAP_LEFT - 6.0,
            y + MAP_CELL_H / 2.0 + 4.0,
            escape(label)
        );
        for ci in 0..nc {
            let c = (ci + 1) as u8;
            let x = MAP_LEFT + cell_w * ci as f64;
            let keys = cell_of(cells, p, c);
            let weight = f64::from(u16::from(p) * u16::from(c)) / max_value;
            let fill = if weight > 0.5 {
                "#f9d9d6"
            } else if weight > 0.2 {
                "#fff1c2"
            } else {
                "#e3f1e5"
            };
            let c_label = m.consequence.get(ci).map_or("", String::as_str);
            let mut cell_title = format!(
                "Sannolikhet {label} ({p}), konsekvens {c_label} ({c}): {}",
                risks_sv(keys.len())
            );
            if !keys.is_empty() {
                let _ = write!(cell_title, " ({})", keys.join(", "));
            }
            let _ = write!(
                svg,
                r##"<g><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{cell_w:.1}" height="{MAP_CELL_H}" fill="{fill}" stroke="#4a5360" stroke-width="1"/><text font-size="{}" font-weight="{}" fill="{}" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"##,
                escape(&cell_title),
                if keys.is_empty() { 12 } else { 15 },
                if keys.is_empty() { 400 } else { 700 },
                if keys.is_empty() {
                    "#5b6470"
                } else {
                    "#1b1f24"
                },
                x + cell_w / 2.0,
                y + MAP_CELL_H / 2.0 + 5.0,
                keys.len()
            );
        }
    }
    let bottom = MAP_TOP + MAP_CELL_H * np as f64;
    for ci in 0..nc {
        let x = MAP_LEFT + cell_w * ci as f64 + cell_w / 2.0;
        let label = m.consequence.get(ci).map_or("", String::as_str);
        let _ = write!(
            svg,
            r##"<text font-size="11" fill="#3b434d" x="{x:.1}" y="{:.1}" text-anchor="middle">{} ({})</text>"##,
            bottom + 16.0,
            escape(label),
            ci + 1
        );
    }
    let _ = write!(
        svg,
        r##"<text font-size="12" fill="#3b434d" x="{:.1}" y="{:.1}" text-anchor="middle">Konsekvens</text></svg>"##,
        MAP_LEFT + (MAP_WIDTH - MAP_LEFT - MAP_RIGHT) / 2.0,
        bottom + 40.0
    );
    Chart { title, alt, svg }
}

/// The text alternative of [`risk_map_chart`]: every non-empty cell with its risks.
fn describe_map(map: &RiskMap, net: bool) -> String {
    let cells = if net { &map.net } else { &map.gross };
    let which = if net { "Nettorisk" } else { "Bruttorisk" };
    let mut parts: Vec<String> = cells
        .iter()
        .map(|(s, keys)| {
            format!(
                "{}: {} ({})",
                map.matrix.describe(*s),
                risks_sv(keys.len()),
                keys.join(", ")
            )
        })
        .collect();
    if parts.is_empty() {
        parts.push("inga bedömda risker".into());
    }
    let mut out = format!(
        "{which} per sannolikhet och konsekvens: {}.",
        parts.join("; ")
    );
    if !net && !map.not_assessed.is_empty() {
        let _ = write!(out, " Ej bedömda: {}.", map.not_assessed.join(", "));
    }
    out.push_str(" Samma värden finns i tabellen nedan.");
    out
}

/// The data of [`risk_map_chart`] as a table: a row per probability (highest first), a
/// column per consequence, each cell the count and the risks' keys.
pub fn risk_map_table(map: &RiskMap, net: bool) -> Table {
    let cells = if net { &map.net } else { &map.gross };
    let which = if net { "nettorisk" } else { "bruttorisk" };
    let m = &map.matrix;
    let rows = (1..=m.probability.len())
        .rev()
        .map(|p| {
            let p8 = p as u8;
            std::iter::once(format!("{} ({p})", m.probability[p - 1]))
                .chain((1..=m.consequence.len()).map(|c| {
                    let keys = cell_of(cells, p8, c as u8);
                    if keys.is_empty() {
                        "0".to_string()
                    } else {
                        format!("{}\n{}", keys.len(), keys.join(", "))
                    }
                }))
                .collect()
        })
        .collect();
    Table {
        caption: format!("Riskkarta, {which}: antal risker per sannolikhet och konsekvens"),
        columns: std::iter::once("Sannolikhet \\ konsekvens".to_string())
            .chain(
                m.consequence
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{l} ({})", i + 1)),
            )
            .collect(),
        rows,
        row_headers: true,
    }
}

/// "Riskkarta": the gross (and, where scored, net) risk map with its tables, when the plan
/// has a matrix.
pub fn risk_map_section(plan: &ControlPlan) -> Option<Section> {
    let map = risk_map(plan)?;
    let mut s = Section::new(RISK_MAP_TITLE);
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Riskerna är bedömda i riskmatrisen {} (version {}): sannolikhet i {} steg och konsekvens i {} steg.",
            map.matrix.name,
            map.matrix.version,
            map.matrix.probability.len(),
            map.matrix.consequence.len()
        ),
    });
    let id = format!("riskmap-{}", plan.id);
    s.blocks.push(Block::Chart(risk_map_chart(
        &map,
        false,
        &format!("{id}-gross"),
    )));
    s.blocks.push(Block::Table(risk_map_table(&map, false)));
    if !map.net.is_empty() {
        s.blocks.push(Block::Chart(risk_map_chart(
            &map,
            true,
            &format!("{id}-net"),
        )));
        s.blocks.push(Block::Table(risk_map_table(&map, true)));
    }
    if !map.not_assessed.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: format!("Ej bedömda risker: {}.", map.not_assessed.join(", ")),
        });
    }
    Some(s)
}

/// The parts of a plan's follow-up, counted as of `day` (the plan is cut there first):
/// the opening paragraphs, the summary, and the sections after it in the seed's order.
pub struct FollowUp {
    pub intro: Vec<Block>,
    pub summary: Section,
    pub sections: Vec<Section>,
}

/// Builds the follow-up of a plan as of `day`; `deviations` maps cause keys to the
/// deviations raised (`Store::control_plan_deviations`).
pub fn follow_up(
    plan: &ControlPlan,
    day: &str,
    deviations: &HashMap<String, Id>,
    audits: &[Audit],
) -> FollowUp {
    let plan = plan_as_of(plan, day);
    let mut sections = vec![structure_section(&plan), risk_actions_section(&plan)];
    sections.extend(audit_actions_section(&plan, audits));
    sections.extend(deviation_actions_section(&plan));
    sections.push(controls_section(&plan, day, deviations));
    sections.extend(contracts_section(&plan, day, deviations));
    sections.extend(risk_map_section(&plan));
    FollowUp {
        intro: intro(&plan),
        summary: summary_section(&plan, day),
        sections,
    }
}

/// The chapter "Intern kontroll" of a board's verksamhetsberättelse or delårsrapport for
/// `year`, counted as of `day` (see [`as_of_day`]). Without a plan it says so.
pub fn chapter(
    unit_name: &str,
    year: i32,
    plan: Option<&ControlPlan>,
    day: &str,
    deviations: &HashMap<String, Id>,
    audits: &[Audit],
) -> Section {
    let mut s = Section::new(CHAPTER_TITLE);
    let Some(plan) = plan else {
        s.blocks.push(Block::Paragraph {
            text: format!("{unit_name} har ingen internkontrollplan för {year} i uppsikt."),
        });
        return s;
    };
    let f = follow_up(plan, day, deviations, audits);
    s.blocks = f.intro;
    if day < format!("{year}-12-31").as_str() {
        s.blocks.push(Block::Paragraph {
            text: format!("Läget per {day}."),
        });
    }
    s.children.push(f.summary);
    s.children.extend(f.sections);
    s
}

/// The stand-alone report "Uppföljning av internkontrollplan" of one board's plan, as of
/// `day` (the year's last day, or today while the year runs).
pub fn follow_up_report(
    plan: &ControlPlan,
    unit_name: &str,
    organisation: &str,
    day: &str,
    deviations: &HashMap<String, Id>,
    audits: &[Audit],
    data_version: i64,
) -> Report {
    let f = follow_up(plan, day, deviations, audits);
    let mut summary = f.summary;
    let mut blocks = f.intro;
    blocks.append(&mut summary.blocks);
    summary.blocks = blocks;
    let year = plan.year;
    let period_label = if day < format!("{year}-12-31").as_str() {
        format!("Läget per {day}")
    } else {
        format!("1 januari–31 december {year}")
    };
    Report {
        meta: ReportMeta {
            kind: ReportKind::InternalControlFollowUp,
            title: format!("Uppföljning av internkontrollplan {year}"),
            subject: unit_name.to_string(),
            organisation: organisation.to_string(),
            period: Period::Year(year),
            period_label,
            data_version,
            generated_at: String::new(),
            version: crate::build::Version::Board,
            draft_note: None,
            decided_href: None,
        },
        summary,
        sections: f.sections,
        measures: Vec::new(),
    }
}

/// The columns of the executive board's oversight table, after the board's name.
pub const OVERSIGHT_COLUMNS: [&str; 8] = [
    "Plan antagen",
    "Förtroendevalda i riskanalysen",
    "Kommungemensamma punkter",
    "Åtgärder klara",
    "Kontrolltillfällen genomförda",
    "Anmärkningar utan beslut",
    "Nämndens bedömning",
    "Revisorernas bedömning",
];

/// One board's row of the oversight table.
#[derive(Debug, Clone, PartialEq)]
pub struct OversightRow {
    pub org_id: Id,
    pub unit_name: String,
    pub year: i32,
    /// The plan's page, when the board has a plan.
    pub plan_link: Option<String>,
    /// In the order of [`OVERSIGHT_COLUMNS`].
    pub cells: [String; 8],
}

/// The board's cells in the order of [`OVERSIGHT_COLUMNS`].
pub fn oversight_cells(b: &BoardYear) -> [String; 8] {
    if !b.has_plan {
        let mut cells: [String; 8] = Default::default();
        cells[0] = "Ingen plan i uppsikt".into();
        for c in cells.iter_mut().skip(1) {
            *c = "–".into();
        }
        return cells;
    }
    let s = &b.summary;
    let level = |a: &Option<OverallAssessment>| {
        a.as_ref()
            .map_or_else(|| "Saknas".to_string(), |a| a.level.trim().to_string())
    };
    [
        b.adoption
            .as_ref()
            .map_or_else(|| "Saknas".to_string(), adoption_sv),
        match b.elected_members {
            Some(true) => "Ja".into(),
            Some(false) => "Nej".into(),
            None => "Uppgift saknas".into(),
        },
        if b.common_expected == 0 {
            "–".into()
        } else {
            format!("{} av {}", b.common_included, b.common_expected)
        },
        share_sv(s.actions_done, s.actions, "Inga åtgärder"),
        share_sv(
            s.occurrences_performed,
            s.occurrences,
            "Inga kontrolltillfällen",
        ),
        b.findings_undecided.to_string(),
        level(&b.self_assessment),
        level(&b.auditor_assessment),
    ]
}

/// The oversight rows, in the given order (the organisation's).
pub fn oversight_rows(boards: &[(OrgUnit, BoardYear)]) -> Vec<OversightRow> {
    boards
        .iter()
        .map(|(unit, b)| OversightRow {
            org_id: unit.id,
            unit_name: unit.name.clone(),
            year: b.year,
            plan_link: b.plan_id.map(plan_link),
            cells: oversight_cells(b),
        })
        .collect()
}

/// The address of a plan's page.
pub fn plan_link(plan_id: Id) -> String {
    format!("/internal-control/{plan_id}")
}

/// The total row: boards with an adopted plan, with elected members in the analysis, the
/// summed actions, occurrences and undecided findings.
pub fn oversight_total(boards: &[(OrgUnit, BoardYear)]) -> [String; 8] {
    let n = boards.len();
    let with_plan = boards.iter().filter(|(_, b)| b.has_plan).count();
    let adopted = boards.iter().filter(|(_, b)| b.adoption.is_some()).count();
    let elected = boards
        .iter()
        .filter(|(_, b)| b.elected_members == Some(true))
        .count();
    let sum = |f: fn(&BoardYear) -> usize| boards.iter().map(|(_, b)| f(b)).sum::<usize>();
    let actions = sum(|b| b.summary.actions);
    let done = sum(|b| b.summary.actions_done);
    let occ = sum(|b| b.summary.occurrences);
    let performed = sum(|b| b.summary.occurrences_performed);
    let assessed = boards
        .iter()
        .filter(|(_, b)| b.self_assessment.is_some())
        .count();
    let audited = boards
        .iter()
        .filter(|(_, b)| b.auditor_assessment.is_some())
        .count();
    [
        format!("{adopted} av {n} (planer: {with_plan})"),
        format!("Ja: {elected} av {n}"),
        "–".into(),
        share_sv(done, actions, "Inga åtgärder"),
        share_sv(performed, occ, "Inga kontrolltillfällen"),
        sum(|b| b.findings_undecided).to_string(),
        format!("{assessed} av {n}"),
        format!("{audited} av {n}"),
    ]
}

/// The oversight table as a report block: a row per board and its total.
pub fn oversight_table(boards: &[(OrgUnit, BoardYear)], year: i32) -> Table {
    let mut rows: Vec<Vec<String>> = oversight_rows(boards)
        .into_iter()
        .map(|r| std::iter::once(r.unit_name).chain(r.cells).collect())
        .collect();
    if !boards.is_empty() {
        rows.push(
            std::iter::once("Totalt".to_string())
                .chain(oversight_total(boards))
                .collect(),
        );
    }
    Table {
        caption: format!("Intern kontroll per nämnd och styrelse {year}"),
        columns: std::iter::once("Nämnd/styrelse".to_string())
            .chain(OVERSIGHT_COLUMNS.map(String::from))
            .collect(),
        rows,
        row_headers: true,
    }
}

/// The units that answer for internal control under KL 6:6: the executive board and the
/// boards (a unit of another kind joins when it has a plan).
fn answers_for_internal_control(unit: &OrgUnit) -> bool {
    matches!(unit.kind, OrgKind::Styrelse | OrgKind::Namnd)
}

/// Whether a unit is the executive board, whose plan holds the common items.
fn is_executive_board(unit: &OrgUnit) -> bool {
    unit.kind == OrgKind::Styrelse
}

/// Every board's row for `year` (`domain::internal_control::board_year`), the executive
/// board first and then the boards in Swedish alphabetical order (as the web's overview),
/// counted as of the year's end or `today` while it runs; `within` keeps the unit and
/// those below it. The common items expected are those the executive board's plan of the
/// year marks common (its own row expects none); undecided findings come from the
/// deviations.
pub async fn board_years(
    store: &Store,
    year: i32,
    today: &str,
    within: Option<Id>,
) -> Result<Vec<(OrgUnit, BoardYear)>> {
    let day = as_of_day(Period::Year(year), today);
    let units = store.org_units().await?;
    let plans = store.control_plans(Some(year)).await?;
    let undecided = store.undecided_findings().await?;
    let common_expected: usize = plans
        .iter()
        .filter(|p| {
            units
                .iter()
                .any(|u| u.id == p.org_id && is_executive_board(u))
        })
        .map(ControlPlan::common_items)
        .sum();
    let inside = within.map(|root| crate::oversight::subtree(&units, root));
    let mut out = Vec::new();
    for unit in units {
        if inside.as_ref().is_some_and(|ids| !ids.contains(&unit.id)) {
            continue;
        }
        let plan = plans
            .iter()
            .find(|p| p.org_id == unit.id)
            .map(|p| plan_as_of(p, &day));
        if plan.is_none() && !answers_for_internal_control(&unit) {
            continue;
        }
        let findings = plan
            .as_ref()
            .and_then(|p| undecided.get(&p.id))
            .copied()
            .unwrap_or(0);
        let expected = if is_executive_board(&unit) {
            0
        } else {
            common_expected
        };
        let row = board_year(unit.id, year, plan.as_ref(), expected, findings, &day);
        out.push((unit, row));
    }
    out.sort_by(|(a, _), (b, _)| {
        (!is_executive_board(a))
            .cmp(&!is_executive_board(b))
            .then_with(|| swedish_cmp(&a.name, &b.name))
    });
    Ok(out)
}

/// The year the oversight shows: the latest year up to `today`'s with a plan, else
/// `today`'s year.
pub async fn oversight_year(store: &Store, today: &str) -> Result<i32> {
    let this_year: i32 = today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    Ok(store
        .control_plan_years()
        .await?
        .into_iter()
        .map(|(_, year, _)| year)
        .filter(|y| *y <= this_year)
        .max()
        .unwrap_or(this_year))
}

/// The chapter in a verksamhetsberättelse or delårsrapport: for one board its plan
/// followed up ([`chapter`]), or that it has none; in the municipality's report, every
/// board's row. Units that answer for no plan (the council, companies) get no chapter
/// unless they keep one.
pub struct InternalControlPart {
    /// ISO date: a report on the running year counts as of it.
    pub today: String,
}

impl ReportPart for InternalControlPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            let year = ctx.period.year();
            let day = as_of_day(ctx.period, &self.today);
            if ctx.consolidated() {
                let boards = board_years(ctx.store, year, &day, None).await?;
                let mut s = Section::new(CHAPTER_TITLE);
                s.blocks.push(Block::Paragraph {
                    text: format!(
                        "Varje nämnds och styrelses internkontrollplan för {year}, läget per {day}. Planerna följs upp i nämndernas egna rapporter."
                    ),
                });
                s.blocks.push(Block::Table(oversight_table(&boards, year)));
                return Ok(vec![s]);
            }
            let mut out = Vec::new();
            // The recommendations' links to the plans list the audit actions.
            let audits = ctx.store.audits().await?;
            for data in &ctx.units {
                let plan = ctx.store.control_plan_of(data.unit.id, year).await?;
                // A council or a company answers for no internkontrollplan: no chapter
                // unless it keeps one; a board without one is told it lacks it.
                if plan.is_none() && !answers_for_internal_control(&data.unit) {
                    continue;
                }
                let deviations = match &plan {
                    Some(p) => ctx.store.control_plan_deviations(p.id).await?,
                    None => HashMap::new(),
                };
                out.push(chapter(
                    &data.unit.name,
                    year,
                    plan.as_ref(),
                    &day,
                    &deviations,
                    &audits,
                ));
            }
            Ok(out)
        })
    }
}

/// Builds "Uppföljning av internkontrollplan" for a unit and year
/// (`ReportKind::InternalControlFollowUp`), counted as of the year's end or today while
/// the year runs. A unit without a plan for the year is refused with a Swedish message.
pub async fn build(store: &Store, request: Request) -> Result<Report> {
    let Subject::Unit(org_id) = request.subject else {
        return Err(ReportError::Invalid(
            "En uppföljning av internkontrollplanen gäller en nämnd eller styrelse; välj enheten."
                .into(),
        ));
    };
    let period = request.period()?;
    let unit = store.org_unit(org_id).await?;
    let Some(plan) = store.control_plan_of(org_id, request.year).await? else {
        return Err(ReportError::Invalid(format!(
            "{} har ingen internkontrollplan för {} i uppsikt.",
            unit.name, request.year
        )));
    };
    build_of_plan(store, &plan, &unit, period).await
}

/// Builds "Uppföljning av internkontrollplan" of a stored plan (the plan page's download).
pub async fn build_for_plan(store: &Store, plan_id: Id) -> Result<Report> {
    let plan = store.control_plan(plan_id).await?;
    let unit = store.org_unit(plan.org_id).await?;
    build_of_plan(store, &plan, &unit, Period::Year(plan.year)).await
}

async fn build_of_plan(
    store: &Store,
    plan: &ControlPlan,
    unit: &OrgUnit,
    period: Period,
) -> Result<Report> {
    let data_version = store.data_version().await?;
    let organisation = store
        .org_units()
        .await?
        .into_iter()
        .find(|u| u.parent_id.is_none())
        .map_or_else(|| unit.name.clone(), |u| u.name);
    let deviations = store.control_plan_deviations(plan.id).await?;
    let audits = store.audits().await?;
    let day = as_of_day(period, &uppsikt_store::today());
    Ok(follow_up_report(
        plan,
        &unit.name,
        &organisation,
        &day,
        &deviations,
        &audits,
        data_version,
    ))
}

#[cfg(test)]
mod tests;
