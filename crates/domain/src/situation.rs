//! Situation reports (lägesbilder): OSG's weekly operative reports, the tertial reports
//! and the overall report every second year, each ranking areas on the municipality's
//! level scale, with the content the law asks of its lägesbild and a log of whom it was
//! presented to (`DOMAIN-MODULES.md` C1, C3, D3).
//!
//! The rules make seed 002's findings visible: a tertial or overall report not presented
//! to KS within the configured days, a level at or above the threshold, and a rise in
//! level since the previous report of the same kind each raise a deviation on KS
//! ([`deviation_candidates`]). Weekly reports are OSG's operative tool and raise none.
//! The level definitions are the municipality's own ([`LevelScale`]): the seeds lost
//! them, so none are built in.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::area::{self, coded_enum, AreaRefusal};
use crate::deviation::{NewDeviation, Severity, Source};
use crate::model::Id;
use crate::period::Period;

/// The kind of situation report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SituationKind {
    Weekly,
    Tertial,
    Overall,
}

coded_enum!(SituationKind {
    Weekly = "vecka", "Veckolägesbild (operativ)";
    Tertial = "tertial", "Tertiallägesbild";
    Overall = "overgripande", "Övergripande lägesbild";
});

impl SituationKind {
    /// Whether reports of this kind are meant to reach KS and raise deviations.
    pub fn reaches_board(self) -> bool {
        !matches!(self, SituationKind::Weekly)
    }
}

/// The content the law asks of the municipality's lägesbild (Lag 2023:196 4 §: a mapping
/// of crime, its extent and consequences; other information; an analysis), with Brå's
/// reading of the mapping as type, extent and consequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistItem {
    /// Kartläggning av brottsligheten (typ av brottslighet).
    Mapping,
    /// Omfattning.
    Extent,
    /// Konsekvenser.
    Consequences,
    /// Annan information av betydelse.
    OtherInformation,
    /// Analys (orsaksanalys).
    Analysis,
}

coded_enum!(ChecklistItem {
    Mapping = "kartlaggning", "Kartläggning av brottsligheten (typ av brott)";
    Extent = "omfattning", "Brottslighetens omfattning";
    Consequences = "konsekvenser", "Brottslighetens konsekvenser";
    OtherInformation = "annan_information", "Annan information av betydelse";
    Analysis = "analys", "Analys av kartläggningen (orsaksanalys)";
});

/// Whether a report is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Under framtagande.
    InPreparation,
    Final,
}

coded_enum!(ReportStatus {
    InPreparation = "under_framtagande", "Under framtagande";
    Final = "klar", "Klar";
});

/// The municipality's level scale and the rules' settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelScale {
    /// The highest level (the lowest is 1). Default 5.
    pub max_level: u8,
    /// The municipality's own definition per level; a level without one shows
    /// "Definition saknas".
    pub definitions: BTreeMap<u8, String>,
    /// A level at or above this raises a deviation. Default 4.
    pub threshold: u8,
    /// Days after a report's period ends by which it must be presented to KS. Default 60.
    pub present_within_days: u32,
    /// The board the reports must reach and whose deviations they raise (KS); `None`:
    /// not configured, so no deviations are raised (and the page says so).
    pub board_id: Option<Id>,
}

impl Default for LevelScale {
    fn default() -> Self {
        LevelScale {
            max_level: 5,
            definitions: BTreeMap::new(),
            threshold: 4,
            present_within_days: 60,
            board_id: None,
        }
    }
}

/// Checks the scale's settings.
pub fn validate_scale(scale: &LevelScale) -> Result<(), AreaRefusal> {
    if !(2..=10).contains(&scale.max_level)
        || !(1..=scale.max_level).contains(&scale.threshold)
        || scale
            .definitions
            .keys()
            .any(|l| *l < 1 || *l > scale.max_level)
    {
        return Err(AreaRefusal::BadScale);
    }
    for d in scale.definitions.values() {
        area::long(d, "definition")?;
        no_personal_number(d, "definition")?;
    }
    Ok(())
}

/// One area's level in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaLevel {
    pub area_id: Id,
    pub level: u8,
}

/// To whom a report was presented: a board (KS, KF) or a forum, with date and reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presentation {
    pub unit_id: Option<Id>,
    pub forum_id: Option<Id>,
    pub date: String,
    /// Paragraph or minutes reference ("§ 12"); empty: not recorded.
    pub reference: String,
}

/// A situation report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SituationReport {
    pub id: Id,
    pub kind: SituationKind,
    pub title: String,
    /// ISO dates, inclusive.
    pub period_start: String,
    pub period_end: String,
    /// Who made it (e.g. "OSG"), and the forum if registered.
    pub producer: String,
    pub producer_forum_id: Option<Id>,
    pub status: ReportStatus,
    /// Named areas' levels.
    pub levels: Vec<AreaLevel>,
    /// Levels the source gives for areas it does not name (seed 002's two "läge 3"):
    /// shown as unnamed, never attached to an area.
    pub unnamed_levels: Vec<u8>,
    /// The law's content items the report holds.
    pub checklist: BTreeSet<ChecklistItem>,
    /// Aggregate text: summary, events, cause analysis. Never personal data.
    pub summary: String,
    /// Whether its levels may be shown to the public.
    pub public: bool,
    /// Generated volume data, not from a source (marked on every page).
    pub synthetic: bool,
    pub presentations: Vec<Presentation>,
}

impl SituationReport {
    /// Whether it holds every content item the law asks for.
    pub fn checklist_complete(&self) -> bool {
        ChecklistItem::ALL
            .iter()
            .all(|i| self.checklist.contains(i))
    }

    /// The items it lacks.
    pub fn missing_items(&self) -> Vec<ChecklistItem> {
        ChecklistItem::ALL
            .iter()
            .copied()
            .filter(|i| !self.checklist.contains(i))
            .collect()
    }

    pub fn level_of(&self, area_id: Id) -> Option<u8> {
        self.levels
            .iter()
            .find(|l| l.area_id == area_id)
            .map(|l| l.level)
    }

    /// The first presentation to `board`, if any.
    pub fn presented_to(&self, board: Id) -> Option<&Presentation> {
        self.presentations
            .iter()
            .filter(|p| p.unit_id == Some(board))
            .min_by(|a, b| a.date.cmp(&b.date))
    }

    /// The year its period ends in.
    pub fn year(&self) -> i32 {
        self.period_end
            .get(..4)
            .and_then(|y| y.parse().ok())
            .unwrap_or(0)
    }
}

/// Refuses text holding a personal identity number.
pub fn no_personal_number(text: &str, what: &'static str) -> Result<(), AreaRefusal> {
    match crate::personal_number::find(text) {
        Some(masked) => Err(AreaRefusal::PersonalNumber(what, masked)),
        None => Ok(()),
    }
}

/// Checks a report's own content against the scale.
pub fn validate_report(
    report: &SituationReport,
    scale: &LevelScale,
    area_names: &BTreeMap<Id, String>,
) -> Result<(), AreaRefusal> {
    area::required(&report.title, "title")?;
    area::short(&report.producer, "producer")?;
    area::long(&report.summary, "summary")?;
    for (t, what) in [
        (&report.title, "title"),
        (&report.producer, "producer"),
        (&report.summary, "summary"),
    ] {
        no_personal_number(t, what)?;
    }
    area::date(Some(&report.period_start), "period_start")?;
    area::date(Some(&report.period_end), "period_end")?;
    if report.period_end < report.period_start {
        return Err(AreaRefusal::EndBeforeStart);
    }
    area::count(report.levels.len(), "levels")?;
    area::count(report.unnamed_levels.len(), "levels")?;
    area::count(report.presentations.len(), "presentations")?;
    let mut seen = BTreeSet::new();
    for l in &report.levels {
        let name = area_names
            .get(&l.area_id)
            .cloned()
            .unwrap_or_else(|| l.area_id.to_string());
        if !seen.insert(l.area_id) {
            return Err(AreaRefusal::DuplicateLevel(name));
        }
        check_level(i64::from(l.level), scale)?;
    }
    for l in &report.unnamed_levels {
        check_level(i64::from(*l), scale)?;
    }
    for p in &report.presentations {
        validate_presentation(p)?;
    }
    Ok(())
}

fn check_level(level: i64, scale: &LevelScale) -> Result<(), AreaRefusal> {
    if level < 1 || level > i64::from(scale.max_level) {
        Err(AreaRefusal::LevelOutOfScale(level, scale.max_level))
    } else {
        Ok(())
    }
}

/// Checks one presentation: to exactly one of a board or a forum, on a real date.
pub fn validate_presentation(p: &Presentation) -> Result<(), AreaRefusal> {
    if p.unit_id.is_some() == p.forum_id.is_some() {
        return Err(AreaRefusal::PresentationTarget);
    }
    area::date(Some(&p.date), "date")?;
    area::short(&p.reference, "reference")?;
    no_personal_number(&p.reference, "reference")
}

/// Whether a report of a kind that must reach the board has not, past its due day.
/// `Some(due date)` when overdue.
pub fn presentation_overdue(
    report: &SituationReport,
    scale: &LevelScale,
    today: &str,
) -> Option<String> {
    let board = scale.board_id?;
    if !report.kind.reaches_board() || report.status != ReportStatus::Final {
        return None;
    }
    let end = crate::date::day_number(&report.period_end)?;
    let due = crate::date::from_day_number(end + i64::from(scale.present_within_days));
    let presented_in_time = report
        .presented_to(board)
        .is_some_and(|p| p.date.as_str() <= due.as_str());
    (!presented_in_time && today > due.as_str()).then_some(due)
}

/// One area's level history: each report with a level for it, oldest first, with the
/// change from the previous report of the same kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelHistoryRow {
    pub report_id: Id,
    pub title: String,
    /// The report's public mark ([`levels_visible`]).
    pub public: bool,
    pub kind: SituationKind,
    pub period_end: String,
    pub level: u8,
    /// Level minus the previous same-kind report's level for the area; `None`: first.
    pub change: Option<i16>,
}

/// An area's level history over `reports` (any order).
pub fn level_history(reports: &[SituationReport], area_id: Id) -> Vec<LevelHistoryRow> {
    let mut rows: Vec<&SituationReport> = reports
        .iter()
        .filter(|r| r.level_of(area_id).is_some())
        .collect();
    rows.sort_by(|a, b| (&a.period_end, a.id).cmp(&(&b.period_end, b.id)));
    let mut last: BTreeMap<SituationKind, u8> = BTreeMap::new();
    rows.into_iter()
        .map(|r| {
            let level = r.level_of(area_id).unwrap_or(0);
            let change = last
                .insert(r.kind, level)
                .map(|prev| i16::from(level) - i16::from(prev));
            LevelHistoryRow {
                report_id: r.id,
                title: r.title.clone(),
                public: r.public,
                kind: r.kind,
                period_end: r.period_end.clone(),
                level,
                change,
            }
        })
        .collect()
}

/// The cause keys of the three rules.
pub fn not_presented_key(report: Id) -> String {
    format!("situation-not-presented:{report}")
}
pub fn level_key(report: Id, area: Id) -> String {
    format!("situation-level:{report}:{area}")
}
pub fn rise_key(report: Id, area: Id) -> String {
    format!("situation-rise:{report}:{area}")
}

/// The deviations due in `year` (reports whose period ends that year), on the scale's
/// board: not presented in time, a level at or above the threshold, a rise since the
/// previous report of the same kind. Weekly and unfinished reports raise none.
pub fn deviation_candidates(
    reports: &[SituationReport],
    scale: &LevelScale,
    area_names: &BTreeMap<Id, String>,
    year: i32,
    today: &str,
) -> Vec<NewDeviation> {
    let Some(board) = scale.board_id else {
        return Vec::new();
    };
    let mut ordered: Vec<&SituationReport> = reports
        .iter()
        .filter(|r| r.kind.reaches_board() && r.status == ReportStatus::Final)
        .collect();
    ordered.sort_by(|a, b| (&a.period_end, a.id).cmp(&(&b.period_end, b.id)));
    let mut previous: BTreeMap<(SituationKind, Id), u8> = BTreeMap::new();
    let mut out = Vec::new();
    let name = |id: Id| area_names.get(&id).cloned().unwrap_or_default();
    for r in ordered {
        let this_year = r.year() == year;
        if this_year {
            if let Some(due) = presentation_overdue(r, scale, today) {
                out.push(NewDeviation {
                    org_id: board,
                    area: None,
                    source: Source::SituationReport,
                    severity: Severity::Medium,
                    period: Period::Year(year),
                    description: format!(
                        "{} ”{}” har inte redovisats för kommunstyrelsen senast {due}.",
                        r.kind.label_sv(),
                        r.title
                    ),
                    cause_key: Some(not_presented_key(r.id)),
                });
            }
        }
        for l in &r.levels {
            let prev = previous.insert((r.kind, l.area_id), l.level);
            if !this_year {
                continue;
            }
            if l.level >= scale.threshold {
                out.push(NewDeviation {
                    org_id: board,
                    area: Some(name(l.area_id)),
                    source: Source::SituationReport,
                    severity: if l.level >= scale.max_level {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    period: Period::Year(year),
                    description: format!(
                        "{} har läge {} av {} i ”{}” (tröskel {}).",
                        name(l.area_id),
                        l.level,
                        scale.max_level,
                        r.title,
                        scale.threshold
                    ),
                    cause_key: Some(level_key(r.id, l.area_id)),
                });
            }
            if let Some(p) = prev.filter(|p| l.level > *p) {
                out.push(NewDeviation {
                    org_id: board,
                    area: Some(name(l.area_id)),
                    source: Source::SituationReport,
                    severity: Severity::Medium,
                    period: Period::Year(year),
                    description: format!(
                        "{} har stigit från läge {p} till läge {} i ”{}”.",
                        name(l.area_id),
                        l.level,
                        r.title
                    ),
                    cause_key: Some(rise_key(r.id, l.area_id)),
                });
            }
        }
    }
    out
}

/// The years with reports that can raise deviations.
pub fn deviation_years(reports: &[SituationReport]) -> Vec<i32> {
    let years: BTreeSet<i32> = reports
        .iter()
        .filter(|r| r.kind.reaches_board())
        .map(|r| r.year())
        .collect();
    years.into_iter().collect()
}

/// The levels a reader may see: everything for those who read all, and only the levels
/// of reports marked public for the public. (The visitor rule for this module; the web
/// and the reports call it, nothing else decides.)
pub fn visible_levels(report: &SituationReport, reads_all: bool) -> bool {
    levels_visible(report.public, reads_all)
}

/// The same rule from a report's public mark alone (level history rows carry it).
pub fn levels_visible(marked_public: bool, reads_all: bool) -> bool {
    reads_all || marked_public
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: Id, kind: SituationKind, end: &str, levels: &[(Id, u8)]) -> SituationReport {
        SituationReport {
            id,
            kind,
            title: format!("Lägesbild {id}"),
            period_start: format!("{}-01-01", &end[..4]),
            period_end: end.into(),
            producer: "OSG".into(),
            producer_forum_id: None,
            status: ReportStatus::Final,
            levels: levels
                .iter()
                .map(|(a, l)| AreaLevel {
                    area_id: *a,
                    level: *l,
                })
                .collect(),
            unnamed_levels: vec![],
            checklist: BTreeSet::new(),
            summary: String::new(),
            public: false,
            synthetic: false,
            presentations: vec![],
        }
    }

    fn scale() -> LevelScale {
        LevelScale {
            board_id: Some(2),
            ..LevelScale::default()
        }
    }

    fn names() -> BTreeMap<Id, String> {
        [(10, "Vårby".to_string()), (11, "Skogås".to_string())].into()
    }

    #[test]
    fn the_2023_overall_report_raises_vårby_at_level_5_and_not_presented() {
        let r = report(1, SituationKind::Overall, "2023-12-31", &[(10, 5), (11, 1)]);
        let got = deviation_candidates(&[r], &scale(), &names(), 2023, "2024-06-01");
        let keys: Vec<_> = got.iter().filter_map(|d| d.cause_key.clone()).collect();
        assert_eq!(
            keys,
            vec![not_presented_key(1), level_key(1, 10)],
            "{got:?}"
        );
        assert_eq!(got[1].area.as_deref(), Some("Vårby"));
        assert_eq!(got[1].severity, Severity::High);
    }

    #[test]
    fn presented_in_time_raises_nothing_and_late_presentation_still_does() {
        let mut r = report(1, SituationKind::Tertial, "2023-04-30", &[]);
        r.presentations.push(Presentation {
            unit_id: Some(2),
            forum_id: None,
            date: "2023-05-20".into(),
            reference: "§ 4".into(),
        });
        assert_eq!(presentation_overdue(&r, &scale(), "2024-01-01"), None);
        r.presentations[0].date = "2023-09-01".into();
        assert_eq!(
            presentation_overdue(&r, &scale(), "2024-01-01").as_deref(),
            Some("2023-06-29")
        );
        // Not yet due.
        assert_eq!(presentation_overdue(&r, &scale(), "2023-06-01"), None);
    }

    #[test]
    fn a_rise_within_the_same_kind_raises_and_weekly_reports_never() {
        let a = report(1, SituationKind::Tertial, "2023-04-30", &[(11, 1)]);
        let b = report(2, SituationKind::Tertial, "2023-08-31", &[(11, 3)]);
        let w = report(3, SituationKind::Weekly, "2023-08-31", &[(11, 5)]);
        let got = deviation_candidates(&[b, a, w], &scale(), &names(), 2023, "2023-05-01");
        let keys: Vec<_> = got.iter().filter_map(|d| d.cause_key.clone()).collect();
        assert_eq!(keys, vec![rise_key(2, 11)]);
    }

    #[test]
    fn history_shows_changes_per_kind() {
        let a = report(1, SituationKind::Tertial, "2023-04-30", &[(10, 2)]);
        let b = report(2, SituationKind::Overall, "2023-06-30", &[(10, 5)]);
        let c = report(3, SituationKind::Tertial, "2023-08-31", &[(10, 4)]);
        let h = level_history(&[c, b, a], 10);
        let changes: Vec<_> = h.iter().map(|r| r.change).collect();
        assert_eq!(changes, vec![None, None, Some(2)]);
    }

    #[test]
    fn validation_refuses_levels_outside_the_scale_and_personal_numbers() {
        let mut r = report(1, SituationKind::Overall, "2023-12-31", &[(10, 6)]);
        assert_eq!(
            validate_report(&r, &scale(), &names()),
            Err(AreaRefusal::LevelOutOfScale(6, 5))
        );
        r.levels.clear();
        r.summary = "Händelse med 121212-1212 i Vårby".into();
        assert!(matches!(
            validate_report(&r, &scale(), &names()),
            Err(AreaRefusal::PersonalNumber("summary", _))
        ));
        r.summary.clear();
        r.levels = vec![
            AreaLevel {
                area_id: 10,
                level: 1,
            },
            AreaLevel {
                area_id: 10,
                level: 2,
            },
        ];
        assert_eq!(
            validate_report(&r, &scale(), &names()),
            Err(AreaRefusal::DuplicateLevel("Vårby".into()))
        );
    }

    #[test]
    fn checklist_completeness() {
        let mut r = report(1, SituationKind::Overall, "2023-12-31", &[]);
        assert_eq!(r.missing_items().len(), 5);
        r.checklist = ChecklistItem::ALL.iter().copied().collect();
        assert!(r.checklist_complete());
    }
}
