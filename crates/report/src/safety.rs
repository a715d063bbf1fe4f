//! Safety and crime prevention in the reports (`DOMAIN-MODULES.md` C and D): the data both
//! reports read ([`SafetyData`], loaded once from the store or made by hand in tests),
//! the helpers they share, and "Brottsförebyggande arbete", the year's report to KF on
//! the statutes' duties (the reporting duty of Lag (2023:196), L7 in the demo): each
//! statute's compliance ("2 av 4"), each duty with its status, assessor, due date and
//! evidence, the year's situation reports and whether they reached the board, the forums
//! and agreements with what the registry flags, and the deviations raised.
//!
//! Everything here is a pure builder from domain values to [`Section`]s; the store is
//! read only by [`SafetyData::load`]. The area follow-up for KS is `crate::area`.
//! Levels of situation reports are shown only where
//! [`uppsikt_domain::situation::visible_levels`] allows (the public build).

use std::collections::BTreeMap;

use uppsikt_domain::area::Area;
use uppsikt_domain::deviation::{Deviation, Outcome, Source, Standing};
use uppsikt_domain::forum::{agreement_flags, forum_flags, Agreement, Forum};
use uppsikt_domain::model::{Id, IndicatorRecord, OrgUnit};
use uppsikt_domain::obligation::{
    compliance, next_due, overdue, qualifies, Evidence, EvidenceFacts, EvidenceKind, Obligation,
    Statute,
};
use uppsikt_domain::situation::{visible_levels, LevelScale, SituationKind, SituationReport};
use uppsikt_domain::Period;
use uppsikt_store::{Scope, Store};

use crate::build::{ReportError, Request, Result};
use crate::internal_control::{noun, number_word_sv};
use crate::model::{Block, Report, ReportKind, ReportMeta, Section, Table};

/// The report's title (before the year).
pub const REPORT_TITLE: &str = "Brottsförebyggande arbete";

/// What a missing level definition reads.
pub const DEFINITION_MISSING: &str =
    "Definition saknas (kommunen har inte angett nivåernas innebörd)";

/// Everything the two safety reports read, as domain values.
#[derive(Debug, Clone, Default)]
pub struct SafetyData {
    /// The root unit's name ("Huddinge kommun").
    pub organisation: String,
    pub units: Vec<OrgUnit>,
    pub areas: Vec<Area>,
    pub scale: LevelScale,
    /// Tertial and overall reports of every year, weekly ones of the report's year.
    pub reports: Vec<SituationReport>,
    /// Indicators with area values (until the report's period).
    pub records: Vec<IndicatorRecord>,
    pub deviations: Vec<Deviation>,
    pub forums: Vec<Forum>,
    pub agreements: Vec<Agreement>,
    pub statutes: Vec<Statute>,
    /// Every statute's duties.
    pub obligations: Vec<Obligation>,
    pub facts: EvidenceFacts,
}

impl SafetyData {
    /// Reads what the reports of `period` need. Weekly situation reports are read for the
    /// period's year only (there are thousands); the indicators only for the area report
    /// (`with_indicators`), cut at the period's end.
    pub async fn load(store: &Store, period: Period, with_indicators: bool) -> Result<SafetyData> {
        let units = store.org_units().await?;
        let organisation = units
            .iter()
            .find(|u| u.parent_id.is_none())
            .map_or_else(String::new, |u| u.name.clone());
        let mut reports = store
            .situation_reports(Some(SituationKind::Tertial), None)
            .await?;
        reports.extend(
            store
                .situation_reports(Some(SituationKind::Overall), None)
                .await?,
        );
        reports.extend(
            store
                .situation_reports(Some(SituationKind::Weekly), Some(period.year()))
                .await?,
        );
        let records = if with_indicators {
            store
                .indicator_records(Scope::All)
                .await?
                .into_iter()
                .filter(|r| r.outcomes.iter().any(|o| o.breakdown.area().is_some()))
                .map(|r| r.until(period))
                .collect()
        } else {
            Vec::new()
        };
        let statutes = store.statutes().await?;
        let mut obligations = Vec::new();
        for s in &statutes {
            obligations.extend(store.obligations(s.id).await?);
        }
        Ok(SafetyData {
            organisation,
            units,
            areas: store.areas().await?,
            scale: store.level_scale().await?,
            reports,
            records,
            deviations: store
                .deviations(None)
                .await?
                .into_iter()
                .map(|d| d.deviation)
                .collect(),
            forums: store.forums().await?,
            agreements: store.agreements().await?,
            statutes,
            obligations,
            facts: store.evidence_facts().await?,
        })
    }

    /// A unit's name, or its number where the name is unknown.
    pub fn unit(&self, id: Id) -> String {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("Enhet nr {id}"), |u| u.name.clone())
    }

    /// A unit's short name ("KS"), else its name.
    pub fn unit_short(&self, id: Id) -> String {
        self.units.iter().find(|u| u.id == id).map_or_else(
            || format!("enhet nr {id}"),
            |u| {
                if u.short_name.trim().is_empty() {
                    u.name.clone()
                } else {
                    u.short_name.clone()
                }
            },
        )
    }

    pub fn area_name(&self, id: Id) -> String {
        self.areas
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| format!("Område nr {id}"), |a| a.name.clone())
    }

    pub fn forum_name(&self, id: Id) -> String {
        self.forums
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| format!("Forum nr {id}"), forum_label)
    }

    pub fn report_title(&self, id: Id) -> String {
        self.reports
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| format!("Lägesbild nr {id}"), |r| r.title.clone())
    }

    pub fn agreement_name(&self, id: Id) -> String {
        self.agreements
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| format!("Överenskommelse nr {id}"), agreement_label)
    }

    /// The names of the areas of `ids`, in Swedish order.
    pub fn area_names(&self, ids: &[Id]) -> Vec<String> {
        let mut names: Vec<String> = ids.iter().map(|id| self.area_name(*id)).collect();
        names.sort_by(|a, b| uppsikt_domain::collate::swedish_cmp(a, b));
        names
    }
}

/// "F03 Styrgruppen" (the code where the register has one).
pub fn forum_label(f: &Forum) -> String {
    if f.code.trim().is_empty() {
        f.name.clone()
    } else {
        format!("{} {}", f.code.trim(), f.name)
    }
}

/// "AG-2023-24 Samverkansöverenskommelse 2023–2024".
pub fn agreement_label(a: &Agreement) -> String {
    if a.code.trim().is_empty() {
        a.title.clone()
    } else {
        format!("{} {}", a.code.trim(), a.title)
    }
}

/// "2023-01-01–2024-12-31", "från 2023-01-01", "till 2021-12-31" or "Giltighet anges inte".
pub fn validity(a: &Agreement) -> String {
    match (&a.valid_from, &a.valid_to) {
        (Some(f), Some(t)) => format!("{f}–{t}"),
        (Some(f), None) => format!("Från {f}"),
        (None, Some(t)) => format!("Till {t}"),
        (None, None) => "Giltighet anges inte".into(),
    }
}

/// Whether an agreement is in force some day of `start..=end` (ISO dates).
pub fn in_force_during(a: &Agreement, start: &str, end: &str) -> bool {
    a.valid_from.as_deref().is_none_or(|f| f <= end)
        && a.valid_to.as_deref().is_none_or(|t| t >= start)
}

/// The first and last day of a year or tertial (ISO dates).
pub fn period_bounds(period: Period) -> (String, String) {
    let y = period.year();
    let start = match period {
        Period::Tertial(_, t) => format!("{y:04}-{:02}-01", (u16::from(t) - 1) * 4 + 1),
        _ => format!("{y:04}-01-01"),
    };
    let end = match period {
        Period::Tertial(..) => period.last_day(),
        _ => format!("{y:04}-12-31"),
    };
    (start, end)
}

/// An ISO date in words: "1 juli 2024" (the text as given if it is not a date).
pub fn date_sv(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u32>()) {
            (Ok(y), Ok(m @ 1..=12), Ok(d)) => format!("{d} {}", Period::Month(y, m).label_sv()),
            _ => iso.to_string(),
        },
        _ => iso.to_string(),
    }
}

/// "1 september–31 december 2023".
pub fn period_words(period: Period) -> String {
    let (start, end) = period_bounds(period);
    let s = date_sv(&start);
    let e = date_sv(&end);
    // Drop the start's year: both are in the same year.
    let s = s.rsplit_once(' ').map_or(s.clone(), |(d, _)| d.to_string());
    format!("{s}–{e}")
}

/// A yes or no.
pub fn yes_no(b: bool) -> String {
    if b { "Ja" } else { "Nej" }.into()
}

/// Whether a deviation is still open: undecided, decided without actions, or with
/// actions under way.
pub fn is_open(d: &Deviation) -> bool {
    matches!(
        d.standing(),
        Standing::Undecided | Standing::DecidedWithoutAction | Standing::ActionsOpen
    )
}

/// Whether a reader may see a deviation: a situation report's deviation names the
/// level, so for the public only those of reports whose levels are public
/// ([`visible_levels`]); a key that names no known report is not shown to the public.
pub fn deviation_visible(data: &SafetyData, d: &Deviation, reads_all: bool) -> bool {
    if reads_all || d.raised.source != Source::SituationReport {
        return true;
    }
    // "situation-level:{report}:{area}", "situation-rise:…", "situation-not-presented:{report}".
    let report = d
        .raised
        .cause_key
        .as_deref()
        .and_then(|k| k.split(':').nth(1))
        .and_then(|id| id.parse::<Id>().ok());
    report
        .and_then(|id| data.reports.iter().find(|r| r.id == id))
        .is_some_and(|r| visible_levels(r, false))
}

/// A deviation's decision in words.
pub fn decision_sv(d: &Deviation) -> String {
    match &d.decision {
        None => "Inget beslut".into(),
        Some(dec) => {
            let what = match &dec.outcome {
                Outcome::Act => "åtgärder".to_string(),
                Outcome::NoAction { motivation } => {
                    format!("inga åtgärder ({})", motivation.trim())
                }
            };
            let reference = [dec.paragraph.trim(), dec.diary_number.trim()]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            if reference.is_empty() {
                format!("{} {}: {what}", dec.body.label_sv(), dec.decided_on)
            } else {
                format!(
                    "{} {} ({reference}): {what}",
                    dec.body.label_sv(),
                    dec.decided_on
                )
            }
        }
    }
}

/// A deviation's actions counted: "2 (1 avslutad)", "Inga".
pub fn actions_sv(d: &Deviation) -> String {
    let n = d.actions.len();
    if n == 0 {
        return "Inga".into();
    }
    let closed = d.actions.iter().filter(|a| a.state.is_closed()).count();
    format!("{n} ({closed} {})", noun(closed, "avslutad", "avslutade"))
}

/// A table of deviations: what, source, board, area, severity, raised, decision, actions.
pub fn deviations_table(caption: String, data: &SafetyData, devs: &[&Deviation]) -> Table {
    Table {
        caption,
        columns: [
            "Avvikelse",
            "Källa",
            "Nämnd/styrelse",
            "Område",
            "Allvarlighet",
            "Upptäckt",
            "Beslut",
            "Åtgärder",
        ]
        .map(String::from)
        .to_vec(),
        rows: devs
            .iter()
            .map(|d| {
                vec![
                    d.raised.description.clone(),
                    d.raised.source.label_sv().to_string(),
                    data.unit(d.raised.org_id),
                    d.raised
                        .area
                        .clone()
                        .unwrap_or_else(|| "Hela kommunen".into()),
                    d.raised.severity.label_sv().to_string(),
                    d.raised_on.clone(),
                    decision_sv(d),
                    actions_sv(d),
                ]
            })
            .collect(),
        row_headers: true,
    }
}

/// A report's levels grouped from the highest: "Läge 5: Vårby", "Läge 3: två ej
/// namngivna områden", "Läge 1: Fullersta, …"; or why they are not shown.
pub fn levels_sv(data: &SafetyData, r: &SituationReport, reads_all: bool) -> String {
    if !visible_levels(r, reads_all) {
        return "Visas inte offentligt".into();
    }
    if r.levels.is_empty() && r.unnamed_levels.is_empty() {
        return "Inga lägen angivna".into();
    }
    let mut by_level: BTreeMap<u8, (Vec<String>, usize)> = BTreeMap::new();
    for l in &r.levels {
        by_level
            .entry(l.level)
            .or_default()
            .0
            .push(data.area_name(l.area_id));
    }
    for l in &r.unnamed_levels {
        by_level.entry(*l).or_default().1 += 1;
    }
    by_level
        .into_iter()
        .rev()
        .map(|(level, (mut names, unnamed))| {
            names.sort_by(|a, b| uppsikt_domain::collate::swedish_cmp(a, b));
            if unnamed > 0 {
                names.push(format!(
                    "{} ej {} {}",
                    number_word_sv(unnamed),
                    noun(unnamed, "namngivet", "namngivna"),
                    noun(unnamed, "område", "områden")
                ));
            }
            format!("Läge {level}: {}", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The reports' content checklist in words: "Komplett" or what it lacks.
pub fn checklist_sv(r: &SituationReport) -> String {
    let missing = r.missing_items();
    if missing.is_empty() {
        "Komplett enligt lagen".into()
    } else {
        format!(
            "Saknar: {}",
            missing
                .iter()
                .map(|i| i.label_sv().to_lowercase())
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

/// The situation report's presentation to the scale's board: "Ja, 2023-05-20 § 4", "Nej"
/// (with the due day when overdue) or that no board is configured.
pub fn presented_sv(data: &SafetyData, r: &SituationReport, today: &str) -> String {
    let Some(board) = data.scale.board_id else {
        return "Ingen styrelse angiven i inställningarna för lägesbilder".into();
    };
    match r.presented_to(board) {
        Some(p) if p.reference.trim().is_empty() => format!("Ja, {}", p.date),
        Some(p) => format!("Ja, {} {}", p.date, p.reference.trim()),
        None => match uppsikt_domain::situation::presentation_overdue(r, &data.scale, today) {
            Some(due) => format!("Nej (skulle redovisas senast {due})"),
            None => "Nej".into(),
        },
    }
}

/// The report's presentations to others than the board (forums, other boards).
pub fn other_presentations_sv(data: &SafetyData, r: &SituationReport) -> String {
    let lines: Vec<String> = r
        .presentations
        .iter()
        .filter(|p| p.unit_id.is_none() || p.unit_id != data.scale.board_id)
        .map(|p| {
            let to = match (p.unit_id, p.forum_id) {
                (Some(u), _) => data.unit(u),
                (None, Some(f)) => data.forum_name(f),
                (None, None) => "okänd mottagare".into(),
            };
            [to, p.date.clone(), p.reference.trim().to_string()]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if lines.is_empty() {
        "Inga registrerade".into()
    } else {
        lines.join("\n")
    }
}

/// A duty as it stood on `as_of`: only assessments made and evidence dated by then
/// (undated evidence counts).
pub fn obligation_as_of(o: &Obligation, as_of: &str) -> Obligation {
    let mut o = o.clone();
    o.assessments.retain(|a| a.assessed_on.as_str() <= as_of);
    o.evidence
        .retain(|e| e.date.as_deref().is_none_or(|d| d <= as_of));
    o
}

/// Duty codes in natural order: L2 before L10.
fn natural_key(code: &str) -> (String, u64, String) {
    let digits_at = code
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(code.len());
    let (prefix, rest) = code.split_at(digits_at);
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (
        prefix.to_string(),
        rest[..end].parse().unwrap_or(0),
        rest[end..].to_string(),
    )
}

/// One piece of evidence in words, with whether it can fulfil the duty.
fn evidence_sv(data: &SafetyData, o: &Obligation, e: &Evidence) -> String {
    let what = match (e.kind, e.ref_id) {
        (EvidenceKind::SituationReport, Some(id)) => data.report_title(id),
        (EvidenceKind::Agreement, Some(id)) => data.agreement_name(id),
        (EvidenceKind::Forum, Some(id)) => data.forum_name(id),
        _ => String::new(),
    };
    let details: Vec<&str> = [
        what.as_str(),
        e.text.trim().trim_end_matches('.'),
        e.date.as_deref().unwrap_or(""),
    ]
    .into_iter()
    .filter(|t| !t.is_empty())
    .collect();
    let mut s = if details.is_empty() {
        e.kind.label_sv().to_string()
    } else {
        format!("{}: {}", e.kind.label_sv(), details.join(", "))
    };
    if !qualifies(o, e, &data.facts) {
        s.push_str(" (uppfyller inte plikten)");
    }
    s
}

/// A statute in words: "Lag (2023:196) om kommuners ansvar …" where the title says it,
/// else "Lag (2023:196)".
pub fn statute_label(s: &Statute) -> String {
    if s.title.contains(&s.sfs) {
        s.title.clone()
    } else if s.title.trim().is_empty() {
        format!("Lag ({})", s.sfs)
    } else {
        format!("{} (SFS {})", s.title, s.sfs)
    }
}

/// The section of one statute: the facts, the requirements counted ("2 av 4") and every
/// duty with its status, assessor, due date and evidence as they stood on `as_of`.
pub fn statute_section(data: &SafetyData, statute: &Statute, as_of: &str) -> Section {
    let mut duties: Vec<Obligation> = data
        .obligations
        .iter()
        .filter(|o| o.statute_id == statute.id)
        .map(|o| obligation_as_of(o, as_of))
        .collect();
    duties.sort_by_key(|o| natural_key(&o.code));
    let c = compliance(&duties);
    let mut s = Section::new(statute_label(statute));
    let mut facts = Vec::new();
    facts.push((
        "I kraft från".to_string(),
        statute
            .in_force
            .as_deref()
            .map_or_else(|| "Uppgift saknas".into(), date_sv),
    ));
    facts.push((
        "Leder arbetet".to_string(),
        statute
            .leading_unit_id
            .map_or_else(|| "Uppgift saknas".into(), |u| data.unit(u)),
    ));
    if !statute.url.trim().is_empty() {
        facts.push(("Lagtext".to_string(), statute.url.trim().to_string()));
    }
    if !statute.note.trim().is_empty() {
        facts.push(("Anmärkning".to_string(), statute.note.trim().to_string()));
    }
    for (label, text) in facts {
        s.blocks.push(Block::Labeled { label, text });
    }
    if duties.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: "Inga plikter är registrerade för lagen i uppsikt.".into(),
        });
        return s;
    }
    let code_of = |id: Id| {
        duties
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.code.clone())
    };
    if c.total > 0 {
        s.blocks.push(Block::Paragraph {
            text: format!(
                "Kommunen uppfyller {} av lagens krav per {} (ett krav som omfattar flera plikter är uppfyllt först när alla är det).",
                c.summary_sv(),
                date_sv(as_of)
            ),
        });
        s.blocks.push(Block::Table(Table {
            caption: format!("Lagens krav: {} uppfyllda", c.summary_sv()),
            columns: ["Krav", "Plikter", "Uppfyllt"].map(String::from).to_vec(),
            rows: c
                .requirements
                .iter()
                .map(|r| {
                    vec![
                        r.requirement.clone(),
                        r.obligation_ids
                            .iter()
                            .map(|id| code_of(*id))
                            .collect::<Vec<_>>()
                            .join(", "),
                        yes_no(r.met),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    } else {
        s.blocks.push(Block::Paragraph {
            text: "Ingen plikt är kopplad till ett krav som räknas; antalet uppfyllda krav kan inte anges."
                .into(),
        });
    }
    let duty_name = |o: &Obligation| {
        if o.section.trim().is_empty() {
            format!("{} {}", o.code, o.duty.trim())
        } else {
            format!("{} ({}) {}", o.code, o.section.trim(), o.duty.trim())
        }
    };
    // Status, assessor and dates in one table; the assessments' words and the evidence
    // in the next, so that neither table is too wide for a page.
    let rows = duties
        .iter()
        .map(|o| {
            let assessed = o.current().map_or_else(
                || "Inte bedömd".into(),
                |a| format!("{}, {}", a.assessed_by.trim(), a.assessed_on),
            );
            let fulfilled = o.evidence.iter().any(|e| qualifies(o, e, &data.facts));
            let due = match next_due(o, &data.facts) {
                Some(d) => d,
                None if fulfilled => "Förfaller inte igen".into(),
                None if o.every_months.is_some() => "Första tidpunkt anges inte".into(),
                None => "Ingen tidsgräns".into(),
            };
            let late = match overdue(o, &data.facts, as_of) {
                Some(d) => format!("Ja, sedan {d}"),
                None => "Nej".into(),
            };
            vec![
                duty_name(o),
                o.requirement
                    .clone()
                    .unwrap_or_else(|| "Räknas inte".into()),
                o.status().label_sv().to_string(),
                assessed,
                o.responsible_unit_id
                    .map_or_else(|| "Inte angivet".into(), |u| data.unit(u)),
                due,
                late,
            ]
        })
        .collect();
    s.blocks.push(Block::Table(Table {
        caption: format!("Plikter enligt {} per {}", statute_label(statute), as_of),
        columns: [
            "Plikt",
            "Krav",
            "Status",
            "Bedömd av",
            "Ansvarig",
            "Förfaller",
            "Försenad",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        row_headers: true,
    }));
    let rows = duties
        .iter()
        .map(|o| {
            vec![
                duty_name(o),
                o.current()
                    .map(|a| a.text.trim())
                    .filter(|t| !t.is_empty())
                    .unwrap_or("Ingen motivering registrerad")
                    .to_string(),
                if o.evidence.is_empty() {
                    "Inget underlag".to_string()
                } else {
                    o.evidence
                        .iter()
                        .map(|e| evidence_sv(data, o, e))
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            ]
        })
        .collect();
    s.blocks.push(Block::Table(Table {
        caption: format!("Bedömningar och underlag per {as_of}"),
        columns: ["Plikt", "Bedömning", "Underlag"]
            .map(String::from)
            .to_vec(),
        rows,
        row_headers: true,
    }));
    s
}

/// The pure builder of "Brottsförebyggande arbete" for `year`: the duties as they stood
/// on `as_of` (the year's last day, or today within the year; [`as_of`]), the situation
/// reports' presentations as known `today` (a report of December is presented in the
/// next year). `reads_all` false: the public build, with levels only of reports marked
/// public.
pub fn crime_prevention_report(
    data: &SafetyData,
    year: i32,
    as_of: &str,
    today: &str,
    reads_all: bool,
    data_version: i64,
) -> Report {
    let period = Period::Year(year);
    let mut sections = Vec::new();

    // The statutes' duties.
    let mut statutes: Vec<&Statute> = data.statutes.iter().collect();
    statutes.sort_by(|a, b| a.sfs.cmp(&b.sfs));
    let mut duties_chapter = Section::new("Lagkrav och plikter");
    if statutes.is_empty() {
        duties_chapter.blocks.push(Block::Paragraph {
            text: "Ingen lag med plikter är registrerad i uppsikt.".into(),
        });
    }
    for st in &statutes {
        duties_chapter
            .children
            .push(statute_section(data, st, as_of));
    }
    sections.push(duties_chapter);

    // The year's situation reports.
    let mut year_reports: Vec<&SituationReport> = data
        .reports
        .iter()
        .filter(|r| r.year() == year && r.kind != SituationKind::Weekly)
        .collect();
    year_reports.sort_by(|a, b| (&a.period_end, a.id).cmp(&(&b.period_end, b.id)));
    let weekly = data
        .reports
        .iter()
        .filter(|r| r.year() == year && r.kind == SituationKind::Weekly)
        .count();
    let board_short = data.scale.board_id.map(|b| data.unit_short(b));
    let mut reports_chapter = Section::new(format!("Lägesbilder {year}"));
    if year_reports.is_empty() {
        reports_chapter.blocks.push(Block::Paragraph {
            text: format!(
                "Ingen tertiallägesbild eller övergripande lägesbild för {year} finns i uppsikt."
            ),
        });
    } else {
        reports_chapter.blocks.push(Block::Table(Table {
            caption: format!("Lägesbilder {year} och deras redovisning"),
            columns: vec![
                "Lägesbild".into(),
                "Slag".into(),
                "Period".into(),
                "Status".into(),
                "Lagens innehåll".into(),
                match &board_short {
                    Some(b) => format!("Redovisad för {b}"),
                    None => "Redovisad för styrelsen".into(),
                },
                "Redovisad för i övrigt".into(),
                "Lägen".into(),
            ],
            rows: year_reports
                .iter()
                .map(|r| {
                    let mut title = r.title.clone();
                    if r.synthetic {
                        title.push_str(" (genererade data)");
                    }
                    vec![
                        title,
                        r.kind.label_sv().to_string(),
                        format!("{}–{}", r.period_start, r.period_end),
                        r.status.label_sv().to_string(),
                        checklist_sv(r),
                        presented_sv(data, r, today),
                        other_presentations_sv(data, r),
                        levels_sv(data, r, reads_all),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }
    if weekly > 0 {
        reports_chapter.blocks.push(Block::Paragraph {
            text: format!(
                "Dessutom finns {weekly} {} för {year}; de är samverkansgruppens operativa verktyg och redovisas inte här.",
                noun(weekly, "veckolägesbild", "veckolägesbilder")
            ),
        });
    }
    if !reads_all {
        reports_chapter.blocks.push(Block::Paragraph {
            text: "Lägen visas bara ur lägesbilder som är markerade som offentliga.".into(),
        });
    }
    sections.push(reports_chapter);

    // Forums.
    let mut forums: Vec<&Forum> = data.forums.iter().collect();
    forums.sort_by(|a, b| {
        (a.code.is_empty(), a.code.as_str(), a.name.as_str()).cmp(&(
            b.code.is_empty(),
            b.code.as_str(),
            b.name.as_str(),
        ))
    });
    let mut forum_chapter = Section::new("Forum");
    let councils: Vec<&&Forum> = forums
        .iter()
        .filter(|f| f.council.as_ref().is_some_and(|c| c.qualifies()))
        .collect();
    forum_chapter.blocks.push(Block::Paragraph {
        text: if councils.is_empty() {
            "Inget forum är utsett till strategiskt råd med de egenskaper lagen anger (leds av kommunen, parterna representerade av personer i ledande befattning, strategiskt uppdrag).".into()
        } else {
            format!(
                "Utsett till strategiskt råd enligt lagen: {}.",
                councils
                    .iter()
                    .map(|f| forum_label(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    });
    let flagged_forums = forums.iter().filter(|f| !forum_flags(f).is_empty()).count();
    if forums.is_empty() {
        forum_chapter.blocks.push(Block::Paragraph {
            text: "Inga forum är registrerade i uppsikt.".into(),
        });
    } else {
        forum_chapter.blocks.push(Block::Table(Table {
            caption: format!(
                "Forum och vad som saknas ({flagged_forums} av {} med brister)",
                forums.len()
            ),
            columns: [
                "Forum",
                "Syfte",
                "Rapporterar till",
                "Rapporterar vad",
                "Dokumentation",
                "Brister",
            ]
            .map(String::from)
            .to_vec(),
            rows: forums
                .iter()
                .map(|f| {
                    let to = match (f.reports_to_unit, f.reports_to_forum) {
                        (Some(u), _) => data.unit(u),
                        (None, Some(x)) => data.forum_name(x),
                        (None, None) => "Inte angivet".into(),
                    };
                    let flags = forum_flags(f);
                    vec![
                        forum_label(f),
                        or_missing(&f.purpose),
                        to,
                        or_missing(&f.reports_what),
                        f.documented.label_sv().to_string(),
                        flags_sv(flags.iter().map(|x| x.label_sv())),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }
    sections.push(forum_chapter);

    // Agreements in force some day of the year.
    let (start, end) = period_bounds(period);
    let agreements: Vec<&Agreement> = data
        .agreements
        .iter()
        .filter(|a| in_force_during(a, &start, &end))
        .collect();
    let mut agreement_chapter = Section::new("Överenskommelser, program och planer");
    if agreements.is_empty() {
        agreement_chapter.blocks.push(Block::Paragraph {
            text: format!("Ingen överenskommelse, inget program och ingen plan gäller under {year} enligt uppsikt."),
        });
    } else {
        let flagged = agreements
            .iter()
            .filter(|a| !agreement_flags(a).is_empty())
            .count();
        agreement_chapter.blocks.push(Block::Table(Table {
            caption: format!(
                "Gäller under {year} ({flagged} av {} med brister)",
                agreements.len()
            ),
            columns: [
                "Överenskommelse",
                "Slag",
                "Giltighet",
                "Parter",
                "Hänvisar till lag",
                "Bygger på lägesbild",
                "Brister",
            ]
            .map(String::from)
            .to_vec(),
            rows: agreements
                .iter()
                .map(|a| {
                    let flags = agreement_flags(a);
                    vec![
                        agreement_label(a),
                        a.kind.label_sv().to_string(),
                        validity(a),
                        if a.parties.is_empty() {
                            "Inte angivna".into()
                        } else {
                            a.parties
                                .iter()
                                .map(|p| p.name.clone())
                                .collect::<Vec<_>>()
                                .join("\n")
                        },
                        if a.statutes.is_empty() {
                            "Nej".into()
                        } else {
                            a.statutes
                                .iter()
                                .map(|s| format!("SFS {s}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                        a.situation_report_id
                            .map_or_else(|| "Anges inte".into(), |id| data.report_title(id)),
                        flags_sv(flags.iter().map(|x| x.label_sv())),
                    ]
                })
                .collect(),
            row_headers: true,
        }));
    }
    sections.push(agreement_chapter);

    // Deviations raised for the year by the situation reports and the duties.
    let devs: Vec<&Deviation> = data
        .deviations
        .iter()
        .filter(|d| {
            matches!(
                d.raised.source,
                Source::SituationReport | Source::Obligation
            ) && d.raised.period.year() == year
                && deviation_visible(data, d, reads_all)
        })
        .collect();
    let mut dev_chapter = Section::new(format!("Avvikelser {year}"));
    if devs.is_empty() {
        dev_chapter.blocks.push(Block::Paragraph {
            text: format!("Inga avvikelser från lägesbilder eller lagkrav avser {year}."),
        });
    } else {
        dev_chapter.blocks.push(Block::Paragraph {
            text: "Beslut och åtgärder visas som de är registrerade när rapporten skapas.".into(),
        });
        dev_chapter.blocks.push(Block::Table(deviations_table(
            format!("Avvikelser från lägesbilder och lagkrav {year}"),
            data,
            &devs,
        )));
    }
    sections.push(dev_chapter);

    // The summary: one line per topic.
    let mut summary = Section::new("Sammanfattning");
    summary.blocks.push(Block::Paragraph {
        text: format!(
            "Redovisningen till kommunfullmäktige av det brottsförebyggande arbetet {year}: lagens krav och hur de bedöms, årets lägesbilder och om de redovisats, forum, överenskommelser och avvikelser. Lagkraven visas som de stod per {}.",
            date_sv(as_of)
        ),
    });
    let mut rows = Vec::new();
    for st in &statutes {
        let duties: Vec<Obligation> = data
            .obligations
            .iter()
            .filter(|o| o.statute_id == st.id)
            .map(|o| obligation_as_of(o, as_of))
            .collect();
        let c = compliance(&duties);
        rows.push(vec![
            format!("Lagkrav uppfyllda, SFS {}", st.sfs),
            if c.total == 0 {
                "Inga krav räknas".into()
            } else {
                c.summary_sv()
            },
        ]);
        let mut late: Vec<(String, String)> = duties
            .iter()
            .filter_map(|o| overdue(o, &data.facts, as_of).map(|d| (o.code.clone(), d)))
            .collect();
        late.sort_by_key(|(c, _)| natural_key(c));
        rows.push(vec![
            format!("Försenade plikter, SFS {}", st.sfs),
            if late.is_empty() {
                "Inga".into()
            } else {
                late.iter()
                    .map(|(c, d)| format!("{c} (sedan {d})"))
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        ]);
    }
    let presented = data.scale.board_id.map(|b| {
        year_reports
            .iter()
            .filter(|r| r.presented_to(b).is_some())
            .count()
    });
    rows.push(vec![
        format!("Lägesbilder {year}"),
        match (presented, &board_short) {
            (Some(p), Some(b)) => format!(
                "{}, varav {p} {} för {b}",
                year_reports.len(),
                noun(p, "redovisad", "redovisade")
            ),
            _ => year_reports.len().to_string(),
        },
    ]);
    rows.push(vec![
        "Forum med brister".into(),
        format!("{flagged_forums} av {}", forums.len()),
    ]);
    rows.push(vec![
        format!("Överenskommelser med brister, {year}"),
        format!(
            "{} av {}",
            agreements
                .iter()
                .filter(|a| !agreement_flags(a).is_empty())
                .count(),
            agreements.len()
        ),
    ]);
    rows.push(vec![
        format!("Avvikelser {year}"),
        format!(
            "{}, varav {} öppna",
            devs.len(),
            devs.iter().filter(|d| is_open(d)).count()
        ),
    ]);
    summary.blocks.push(Block::Table(Table {
        caption: format!("Sammanfattning {year}"),
        columns: ["Uppgift", "Läge"].map(String::from).to_vec(),
        rows,
        row_headers: true,
    }));

    // The body leading the work reports (KS); else the municipality's report.
    let mut leaders: Vec<Id> = statutes.iter().filter_map(|s| s.leading_unit_id).collect();
    leaders.dedup();
    let subject = match leaders.as_slice() {
        [one] => data.unit(*one),
        _ => data.organisation.clone(),
    };
    Report {
        meta: ReportMeta {
            kind: ReportKind::CrimePrevention,
            title: format!("{REPORT_TITLE} {year}"),
            subject,
            organisation: data.organisation.clone(),
            period,
            period_label: format!(
                "Redovisning till kommunfullmäktige, {}",
                period_words(period)
            ),
            data_version,
            generated_at: String::new(),
            version: crate::build::Version::Board,
            draft_note: None,
            decided_href: None,
        },
        summary,
        sections,
        measures: Vec::new(),
    }
}

/// What the registry flags, a line each, or "Inga".
pub fn flags_sv<S: Into<String>>(flags: impl Iterator<Item = S>) -> String {
    let v: Vec<String> = flags.map(Into::into).collect();
    if v.is_empty() {
        "Inga".into()
    } else {
        v.join("\n")
    }
}

/// The text, or "Saknas".
pub fn or_missing(text: &str) -> String {
    match text.trim() {
        "" => "Saknas".into(),
        t => t.to_string(),
    }
}

/// The day the report's figures stand on: the year's last day, or today within the year.
/// A year not yet begun is refused.
pub fn as_of(year: i32, today: &str) -> Result<String> {
    let end = format!("{year:04}-12-31");
    let start = format!("{year:04}-01-01");
    if today < start.as_str() {
        return Err(ReportError::Invalid(format!(
            "Året {year} har inte börjat; rapporten kan avse {} eller tidigare.",
            today.get(..4).unwrap_or("i år")
        )));
    }
    Ok(if today < end.as_str() {
        today.to_string()
    } else {
        end
    })
}

/// Builds "Brottsförebyggande arbete" for a request (`ReportKind::CrimePrevention`): the
/// municipality's, whatever unit asked. `reads_all` false is the public build.
pub async fn build(store: &Store, request: Request, reads_all: bool) -> Result<Report> {
    let period = request.period()?;
    let today = uppsikt_store::today();
    let as_of = as_of(request.year, &today)?;
    let data = SafetyData::load(store, period, false).await?;
    Ok(crime_prevention_report(
        &data,
        request.year,
        &as_of,
        &today,
        reads_all,
        store.data_version().await?,
    ))
}

#[cfg(test)]
mod tests;
