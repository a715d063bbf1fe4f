//! The two safety reports on domain fixtures made from the seeds' facts
//! (`DOMAIN-MODULES.md` C4, D1, D4): the 2023 overall lägesbild with Vårby at level 5 and
//! two unnamed areas at level 3, never presented to KS; the four utsatta areas; area
//! values of seed 004; the forums and the 2023–2024 agreement; Lag (2023:196) with L1–L8
//! as the auditors assessed them ("2 av 4"), L2 overdue from 2024-07-01. Only the
//! assessment date is a test's own: the seeds' report date is the import's concern.

use std::collections::{BTreeMap, BTreeSet};

use uppsikt_domain::area::{AreaKind, Classification, PoliceClass};
use uppsikt_domain::forum::{AgreementKind, Documented, FocusArea, Party, PartyKind};
use uppsikt_domain::model::{Indicator, OrgKind};
use uppsikt_domain::obligation::{ComplianceStatus, ObligationAssessment};
use uppsikt_domain::situation::{AreaLevel, ReportStatus};
use uppsikt_domain::{Breakdown, Direction, Outcome};

use super::*;
use crate::area::area_follow_up_report;
use crate::{render, Format};

const KS: Id = 3;
const LB_2023: Id = 100;
const AG_2023: Id = 200;
const STATUTE: Id = 1;
/// A test's assessment date (after the audit, before the plan deadline).
const ASSESSED: &str = "2024-04-30";
/// The day the tests' reports are built.
const TODAY: &str = "2025-01-15";
const SOURCE: &str = "Polisens lägesbild enligt revisionsrapport 2024 (seed 000)";

fn unit(id: Id, name: &str, short: &str, kind: OrgKind, parent: Option<Id>) -> OrgUnit {
    OrgUnit {
        id,
        key: short.to_lowercase(),
        name: name.into(),
        short_name: short.into(),
        kind,
        parent_id: parent,
        position: id,
    }
}

fn area(id: Id, name: &str, kind: AreaKind, utsatt: bool, note: &str) -> Area {
    Area {
        id,
        name: name.into(),
        kind: Some(kind),
        parent_id: None,
        note: note.into(),
        classifications: if utsatt {
            vec![Classification {
                year: Some(2024),
                class: PoliceClass::Vulnerable,
                source: SOURCE.into(),
                as_of: None,
            }]
        } else {
            vec![]
        },
    }
}

const VARBY: Id = 10;
const SKOGAS: Id = 11;
const GRANTORP: Id = 12;
const VISATTRA: Id = 13;
const FLEMINGSBERG: Id = 14;

fn areas() -> Vec<Area> {
    let police_note = "Ligger i Flemingsberg enligt allmän kännedom; det överordnade området anges inte i källorna.";
    let mut out = vec![
        area(VARBY, "Vårby", AreaKind::District, true, ""),
        area(SKOGAS, "Skogås", AreaKind::District, true, ""),
        area(
            GRANTORP,
            "Grantorp",
            AreaKind::PoliceArea,
            true,
            police_note,
        ),
        area(
            VISATTRA,
            "Visättra",
            AreaKind::PoliceArea,
            true,
            police_note,
        ),
        area(FLEMINGSBERG, "Flemingsberg", AreaKind::District, false, ""),
    ];
    for (i, name) in [
        "Snättringe",
        "Gladö-Lissma",
        "Länna",
        "Fullersta",
        "Stuvsta",
        "Trångsund",
    ]
    .iter()
    .enumerate()
    {
        out.push(area(15 + i as Id, name, AreaKind::District, false, ""));
    }
    out
}

fn districts(areas: &[Area]) -> Vec<Id> {
    areas
        .iter()
        .filter(|a| a.kind == Some(AreaKind::District))
        .map(|a| a.id)
        .collect()
}

/// LB-2023-ÖVG: Vårby 5, two unnamed areas 3, every other kommundel 1; not the law's
/// lägesbild (checklist empty); presented to the steering group on no given date, so
/// no presentation is recorded; not presented to KS.
fn lb_2023(areas: &[Area]) -> SituationReport {
    SituationReport {
        id: LB_2023,
        kind: SituationKind::Overall,
        title: "Övergripande lägesbild 2023".into(),
        period_start: "2023-01-01".into(),
        period_end: "2023-12-31".into(),
        producer: "OSG".into(),
        producer_forum_id: Some(4),
        status: ReportStatus::Final,
        levels: districts(areas)
            .into_iter()
            .map(|id| AreaLevel {
                area_id: id,
                level: if id == VARBY { 5 } else { 1 },
            })
            .collect(),
        unnamed_levels: vec![3, 3],
        checklist: BTreeSet::new(),
        summary: "Underlag för samverkansöverenskommelsen 2025–2026.".into(),
        public: false,
        synthetic: false,
        presentations: vec![],
    }
}

fn outcome(year: i32, b: Breakdown, value: f64) -> Outcome {
    Outcome {
        period: Period::Year(year),
        breakdown: b,
        value,
        margin: None,
        sample_size: None,
    }
}

/// An indicator of seed 004 with its total and lowest/highest areas.
fn indicator(
    id: Id,
    name: &str,
    direction: Direction,
    decimals: u8,
    year: i32,
    total: f64,
    areas: &[(&str, f64)],
) -> IndicatorRecord {
    let mut outcomes = vec![outcome(year, Breakdown::Total, total)];
    outcomes.extend(
        areas
            .iter()
            .map(|(a, v)| outcome(year, Breakdown::Area((*a).into()), *v)),
    );
    IndicatorRecord {
        indicator: Indicator {
            id,
            key: format!("i{id}"),
            goal_id: 1,
            name: name.into(),
            unit: "%".into(),
            direction,
            source: "Huddinge kommuns medborgarundersökning".into(),
            kolada_kpi: String::new(),
            decimals,
            frequency: uppsikt_domain::Frequency::Year,
            position: id,
            margin_basis: None,
            trend_window: Default::default(),
        },
        outcomes,
        milestones: vec![],
        targets: vec![],
        comparisons: vec![],
        gaps: vec![],
        comments: vec![],
        kolada: false,
        settings: Default::default(),
    }
}

fn records() -> Vec<IndicatorRecord> {
    use Direction::*;
    let mut tillit = indicator(
        3,
        "Andel som känner tillit till andra människor",
        Higher,
        0,
        2018,
        31.0,
        &[("Vårby", 13.0), ("Snättringe", 47.0)],
    );
    tillit
        .outcomes
        .push(outcome(2012, Breakdown::Area("Vårby".into()), 22.0));
    vec![
        indicator(
            1,
            "Andel vuxna som trivs mycket bra i sitt bostadsområde",
            Higher,
            0,
            2018,
            56.0,
            &[("Flemingsberg", 31.0), ("Snättringe", 82.0)],
        ),
        indicator(
            2,
            "Andel vuxna som upplever sitt bostadsområde som tryggt kvällstid",
            Higher,
            0,
            2018,
            70.0,
            &[("Vårby", 50.0), ("Gladö-Lissma", 89.0)],
        ),
        tillit,
        indicator(
            4,
            "Öppen arbetslöshet 18–64 år (oktober)",
            Lower,
            1,
            2019,
            3.3,
            &[("Stuvsta", 1.5), ("Snättringe", 1.5), ("Vårby", 6.5)],
        ),
    ]
}

fn forum(id: Id, code: &str, name: &str) -> Forum {
    Forum {
        id,
        code: code.into(),
        name: name.into(),
        purpose: String::new(),
        chair: String::new(),
        members: vec![],
        cadence: String::new(),
        reports_to_unit: None,
        reports_to_forum: None,
        reports_what: String::new(),
        documented: Documented::No,
        evaluated_on: None,
        evaluation: String::new(),
        area_ids: vec![],
        council: None,
        meetings: vec![],
        note: String::new(),
    }
}

fn forums() -> Vec<Forum> {
    let mut f03 = forum(3, "F03", "Styrgruppen för samverkansöverenskommelsen");
    f03.purpose = "Ta fram inriktning, planera, besluta och följa upp strategiska frågor".into();
    f03.chair = "Kommundirektör".into();
    f03.documented = Documented::Yes;
    let mut f04 = forum(4, "F04", "OSG, operativ samverkansgrupp");
    f04.purpose = "Veckovis lägesbild, orsaksanalyser, föreslå och fördela åtgärder".into();
    f04.cadence = "varje vecka".into();
    f04.reports_to_forum = Some(3);
    f04.reports_what = "Lägesbilder".into();
    f04.documented = Documented::Yes;
    let mut f05 = forum(5, "F05", "Samordnarforum");
    f05.cadence = "två gånger i månaden".into();
    let mut f08 = forum(8, "F08", "Samverkan i Huddinge (BID)");
    f08.purpose = "Paraplyorganisation för BID-inspirerad samverkan".into();
    f08.documented = Documented::Partly;
    f08.area_ids = vec![FLEMINGSBERG, SKOGAS, VARBY];
    vec![f03, f04, f05, f08]
}

fn agreements() -> Vec<Agreement> {
    vec![Agreement {
        id: AG_2023,
        code: "AG-2023-24".into(),
        kind: AgreementKind::Collaboration,
        title: "Samverkansöverenskommelse 2023–2024".into(),
        parties: [
            ("Huddinge kommun", PartyKind::Municipality),
            ("Lokalpolisområde Huddinge", PartyKind::Police),
            ("Södertörns brandförsvarsförbund", PartyKind::RescueService),
            ("Kriminalvården", PartyKind::PrisonProbation),
            ("Huge Bostäder AB", PartyKind::MunicipalCompany),
            (
                "Huddinge Samhällsfastigheter AB",
                PartyKind::MunicipalCompany,
            ),
        ]
        .into_iter()
        .map(|(n, k)| Party {
            name: n.into(),
            kind: k,
        })
        .collect(),
        valid_from: Some("2023-01-01".into()),
        valid_to: Some("2024-12-31".into()),
        purpose: "Öka tryggheten och minska brottsligheten".into(),
        focus_areas: [
            "Trygghet i offentlig miljö",
            "Gängkriminalitet",
            "Våld i nära relationer",
            "ANDTS (alkohol, narkotika, dopning, tobak och spel)",
        ]
        .iter()
        .enumerate()
        .map(|(i, n)| FocusArea {
            id: i as Id + 1,
            name: (*n).into(),
            has_plan: false,
            activities: vec![],
        })
        .collect(),
        governing_forum_id: Some(3),
        situation_report_id: None,
        statutes: vec![],
        area_ids: vec![],
        note: String::new(),
    }]
}

fn statute() -> Statute {
    Statute {
        id: STATUTE,
        sfs: "2023:196".into(),
        title: "Lag (2023:196) om kommuners ansvar för brottsförebyggande arbete".into(),
        in_force: Some("2023-07-01".into()),
        leading_unit_id: Some(KS),
        url: "https://lagen.nu/2023:196".into(),
        note: "Revisionsrapporten anger 2023-06-01; lagen trädde i kraft 2023-07-01.".into(),
    }
}

fn duty(
    id: Id,
    code: &str,
    duty: &str,
    requirement: Option<&str>,
    status: Option<ComplianceStatus>,
) -> Obligation {
    Obligation {
        id,
        statute_id: STATUTE,
        code: code.into(),
        section: String::new(),
        duty: duty.into(),
        checklist: vec![],
        requirement: requirement.map(str::to_string),
        first_due: None,
        every_months: None,
        responsible_unit_id: Some(KS),
        fulfilled_by: None,
        evidence: vec![],
        assessments: status
            .map(|s| ObligationAssessment {
                status: s,
                assessed_by: "Revisorerna (KPMG), granskning 2023/24".into(),
                by_auditors: true,
                assessed_on: ASSESSED.into(),
                text: String::new(),
            })
            .into_iter()
            .collect(),
        note: String::new(),
    }
}

fn obligations() -> Vec<Obligation> {
    use ComplianceStatus::*;
    let mut l1 = duty(
        11,
        "L1",
        "Ta fram en lägesbild över brottsligheten",
        Some("1"),
        Some(NotMet),
    );
    l1.section = "4 §".into();
    l1.every_months = Some(24);
    l1.fulfilled_by = Some(EvidenceKind::SituationReport);
    l1.evidence.push(Evidence {
        id: 1,
        kind: EvidenceKind::SituationReport,
        ref_id: Some(LB_2023),
        date: Some("2023-12-31".into()),
        text: String::new(),
    });
    let mut l2 = duty(
        12,
        "L2",
        "Besluta om en åtgärdsplan utifrån lägesbilden",
        Some("1"),
        Some(NotMet),
    );
    l2.first_due = Some("2024-07-01".into());
    l2.every_months = Some(24);
    l2.fulfilled_by = Some(EvidenceKind::Decision);
    let mut l3 = duty(
        13,
        "L3",
        "Uppdatera lägesbilden och följa upp åtgärdsplanen",
        Some("1"),
        Some(NotMet),
    );
    l3.every_months = Some(24);
    let mut l4 = duty(
        14,
        "L4",
        "Verka för skriftliga samverkansöverenskommelser",
        Some("2"),
        Some(Met),
    );
    l4.fulfilled_by = Some(EvidenceKind::Agreement);
    l4.evidence.push(Evidence {
        id: 2,
        kind: EvidenceKind::Agreement,
        ref_id: Some(AG_2023),
        date: Some("2023-01-01".into()),
        text: String::new(),
    });
    let mut l5 = duty(
        15,
        "L5",
        "Verka för ett strategiskt råd",
        Some("3"),
        Some(NotMet),
    );
    l5.fulfilled_by = Some(EvidenceKind::Forum);
    let mut l6 = duty(16, "L6", "Ha en samordningsfunktion", Some("4"), Some(Met));
    l6.fulfilled_by = Some(EvidenceKind::Function);
    l6.evidence.push(Evidence {
        id: 3,
        kind: EvidenceKind::Function,
        ref_id: None,
        date: None,
        text: "Säkerhetssamordnare, trygghets- och säkerhetssektionen".into(),
    });
    let l7 = duty(
        17,
        "L7",
        "Rapportera kontinuerligt till kommunfullmäktige",
        None,
        None,
    );
    let l8 = duty(18, "L8", "Statsbidrag 21 kronor per invånare", None, None);
    vec![l1, l2, l3, l4, l5, l6, l7, l8]
}

/// The deviations the domain's rules raise from the fixtures.
fn deviations(data: &SafetyData) -> Vec<Deviation> {
    let names: BTreeMap<Id, String> = data.areas.iter().map(|a| (a.id, a.name.clone())).collect();
    let mut out: Vec<Deviation> = uppsikt_domain::situation::deviation_candidates(
        &data.reports,
        &data.scale,
        &names,
        2023,
        "2024-03-01",
    )
    .into_iter()
    .map(|d| Deviation::new(d, "2024-03-01"))
    .collect();
    out.extend(
        uppsikt_domain::obligation::deviation_candidates(
            &data.statutes,
            &data.obligations,
            &data.facts,
            2024,
            "2024-07-02",
        )
        .into_iter()
        .map(|d| Deviation::new(d, "2024-07-02")),
    );
    out
}

fn seed_data() -> SafetyData {
    let areas = areas();
    let mut data = SafetyData {
        organisation: "Huddinge kommun".into(),
        units: vec![
            unit(1, "Huddinge kommun", "Kommunen", OrgKind::Kommun, None),
            unit(2, "Kommunfullmäktige", "KF", OrgKind::Fullmaktige, Some(1)),
            unit(KS, "Kommunstyrelsen", "KS", OrgKind::Styrelse, Some(2)),
        ],
        reports: vec![lb_2023(&areas)],
        areas,
        scale: LevelScale {
            board_id: Some(KS),
            ..LevelScale::default()
        },
        records: records(),
        deviations: vec![],
        forums: forums(),
        agreements: agreements(),
        statutes: vec![statute()],
        obligations: obligations(),
        facts: EvidenceFacts {
            complete_reports: BTreeSet::new(),
            qualified_councils: BTreeSet::new(),
            agreements: [AG_2023].into(),
        },
    };
    data.deviations = deviations(&data);
    data
}

/// The document's main part, a line per closing block, for readable snapshots.
fn main_html(report: &Report) -> String {
    let html = String::from_utf8(render(report, Format::Html).unwrap()).unwrap();
    let start = html.find("<main>").unwrap();
    let end = html.find("</main>").unwrap();
    let mut out = html[start..end + "</main>".len()].to_string();
    for tag in [
        "</p>",
        "</tr>",
        "</h2>",
        "</h3>",
        "</h4>",
        "</caption>",
        "</ul>",
    ] {
        out = out.replace(tag, &format!("{tag}\n"));
    }
    out
}

fn text_of(report: &Report) -> String {
    String::from_utf8(render(report, Format::Html).unwrap()).unwrap()
}

#[test]
fn the_fixtures_meet_two_of_four_with_the_plan_overdue() {
    let data = seed_data();
    let c = compliance(&data.obligations);
    assert_eq!(c.summary_sv(), "2 av 4");
    let l2 = &data.obligations[1];
    assert_eq!(
        overdue(l2, &data.facts, "2024-07-02").as_deref(),
        Some("2024-07-01")
    );
    let keys: Vec<String> = data
        .deviations
        .iter()
        .filter_map(|d| d.raised.cause_key.clone())
        .collect();
    assert!(keys.contains(&uppsikt_domain::situation::level_key(LB_2023, VARBY)));
    assert!(keys.contains(&uppsikt_domain::obligation::overdue_key(12, "2024-07-01")));
}

#[test]
fn area_follow_up_html_snapshot() {
    let data = seed_data();
    let report = area_follow_up_report(&data, Period::Tertial(2023, 3), true, 7);
    assert_eq!(report.meta.title, "Områdesuppföljning tertial 3 2023");
    assert_eq!(report.meta.subject, "Kommunstyrelsen");
    assert_eq!(report.meta.period_label, "1 september–31 december 2023");
    insta::assert_snapshot!("area_follow_up_2023t3", main_html(&report));
}

#[test]
fn area_follow_up_puts_the_utsatta_first_and_names_the_worst() {
    let data = seed_data();
    let report = area_follow_up_report(&data, Period::Tertial(2023, 3), true, 7);
    let areas: Vec<&str> = report.sections[0]
        .children
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(
        &areas[..4],
        ["Grantorp", "Skogås", "Visättra", "Vårby"],
        "the police's utsatta first, in Swedish order"
    );
    let html = text_of(&report);
    for sample in [
        "Vårby: 3 av 4",
        "Läge 5 av 5",
        "Sämst av 3",
        "Definition saknas (kommunen har inte angett nivåernas innebörd)",
        "läge 3, läge 3",
        "Första lägesbilden av slaget",
        "50 %",
        "6,5 %",
        "Inte klassat 2023; klassat som Utsatt område från 2024",
    ] {
        assert!(html.contains(sample), "sample {sample}");
    }
    // Vårby's open deviation (level 5) is in its section, with no decision yet.
    let varby = report.sections[0]
        .children
        .iter()
        .find(|s| s.title == "Vårby")
        .unwrap();
    let tables: Vec<&Table> = varby
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    let devs = tables
        .iter()
        .find(|t| t.caption == "Öppna avvikelser för Vårby")
        .unwrap();
    assert_eq!(devs.rows.len(), 1);
    assert_eq!(devs.rows[0][6], "Inget beslut");
}

#[test]
fn the_public_build_hides_levels_of_reports_not_marked_public() {
    let mut data = seed_data();
    let public = area_follow_up_report(&data, Period::Tertial(2023, 3), false, 7);
    let html = text_of(&public);
    assert!(!html.contains("Läge 5"), "no level of a non-public report");
    assert!(
        !html.contains("läge 5"),
        "nor its deviations, which name the level"
    );
    assert!(html.contains("Lägen visas bara ur lägesbilder som är markerade som offentliga."));
    let crime = crime_prevention_report(&data, 2023, "2023-12-31", TODAY, false, 7);
    let html = text_of(&crime);
    assert!(html.contains("Visas inte offentligt"));
    assert!(!html.contains("läge 5"), "no deviation naming the level");
    assert!(text_of(&crime_prevention_report(
        &data,
        2023,
        "2023-12-31",
        TODAY,
        true,
        7
    ))
    .contains("Vårby har läge 5 av 5"));
    // Marked public, its levels are shown to everyone.
    data.reports[0].public = true;
    let html = text_of(&area_follow_up_report(
        &data,
        Period::Tertial(2023, 3),
        false,
        7,
    ));
    assert!(html.contains("Läge 5 av 5"));
}

#[test]
fn crime_prevention_html_snapshot() {
    let data = seed_data();
    let report = crime_prevention_report(&data, 2024, "2024-12-31", TODAY, true, 7);
    assert_eq!(report.meta.title, "Brottsförebyggande arbete 2024");
    insta::assert_snapshot!("crime_prevention_2024", main_html(&report));
}

#[test]
fn crime_prevention_counts_the_requirements_and_the_late_plan() {
    let data = seed_data();
    let report = crime_prevention_report(&data, 2024, "2024-12-31", TODAY, true, 7);
    let html = text_of(&report);
    for sample in [
        "2 av 4",
        "L2 (sedan 2024-07-01)",
        "Ja, sedan 2024-07-01",
        "Revisorerna (KPMG), granskning 2023/24, 2024-04-30",
        "Lägesbild: Övergripande lägesbild 2023, 2023-12-31 (uppfyller inte plikten)",
        "Fokusområdet ”Gängkriminalitet” saknar aktivitetsplan",
        "Inget forum är utsett till strategiskt råd",
        "Syfte saknas",
    ] {
        assert!(html.contains(sample), "sample {sample}");
    }
    // 2023: the overall lägesbild, not presented to KS; before the assessments nothing
    // is met yet.
    let y2023 = crime_prevention_report(&data, 2023, "2023-12-31", TODAY, true, 7);
    let html = text_of(&y2023);
    for sample in [
        "Övergripande lägesbild 2023",
        "Redovisad för KS",
        "Nej (skulle redovisas senast 2024-02-29)",
        "Läge 5: Vårby",
        "Läge 3: två ej namngivna områden",
        "0 av 4",
        "1, varav 0 redovisade för KS",
    ] {
        assert!(html.contains(sample), "sample {sample}");
    }
    // Before the plan's deadline it is not late.
    let early = crime_prevention_report(&data, 2024, "2024-06-30", TODAY, true, 7);
    assert!(!text_of(&early).contains("Ja, sedan 2024-07-01"));
}

#[test]
fn a_year_not_begun_is_refused_and_the_current_year_stands_on_today() {
    assert_eq!(as_of(2024, "2026-12-06").unwrap(), "2024-12-31");
    assert_eq!(as_of(2026, "2026-12-06").unwrap(), "2026-12-06");
    assert!(matches!(
        as_of(2027, "2026-12-06"),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn the_workbook_has_every_table() {
    use calamine::{Reader, Xlsx};
    let data = seed_data();
    for (report, sheet, sample) in [
        (
            crime_prevention_report(&data, 2024, "2024-12-31", TODAY, true, 7),
            "Brottsförebyggande arbete",
            "2 av 4",
        ),
        (
            area_follow_up_report(&data, Period::Tertial(2023, 3), true, 7),
            "Områdesuppföljning",
            "Vårby",
        ),
    ] {
        let bytes = render(&report, Format::Xlsx).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), [sheet]);
        let range = wb.worksheet_range(sheet).unwrap();
        assert!(
            range.rows().flatten().any(|c| *c == sample),
            "{sheet}: {sample}"
        );
    }
}

/// The PDF's text (pdftotext), or `None` where poppler-utils is not installed.
fn pdf_text(report: &Report, name: &str) -> Option<String> {
    let missing = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err();
    if missing {
        if std::env::var("UPPSIKT_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            panic!("pdftotext is required (apt-get install poppler-utils)");
        }
        uppsikt_store::testing::skipped(
            "PDF text check",
            "pdftotext is missing; apt-get install poppler-utils",
            "",
        );
        return None;
    }
    let bytes = render(report, Format::Pdf).unwrap();
    let path = std::env::temp_dir().join(format!("uppsikt-{name}-{}.pdf", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn the_pdfs_have_the_figures_with_swedish_letters() {
    let data = seed_data();
    let crime = crime_prevention_report(&data, 2024, "2024-12-31", TODAY, true, 7);
    if let Some(text) = pdf_text(&crime, "brottsforebyggande") {
        for sample in [
            "Brottsförebyggande arbete 2024",
            "2 av 4",
            "Lägesbilder 2024",
            "Överenskommelser, program och planer",
            "Kommunen uppfyller 2 av 4 av lagens krav per 31 december 2024",
        ] {
            assert!(text.contains(sample), "PDF sample {sample}");
        }
    }
    let areas = area_follow_up_report(&data, Period::Tertial(2023, 3), true, 7);
    if let Some(text) = pdf_text(&areas, "omradesuppfoljning") {
        for sample in [
            "Områdesuppföljning tertial 3 2023",
            "Vårby",
            "Skogås",
            "Övergripande lägesbild 2023",
            "Vårby: 3 av 4",
        ] {
            assert!(text.contains(sample), "PDF sample {sample}");
        }
    }
}

#[test]
#[ignore = "writes the fixtures' reports to /tmp/rpt for reading"]
fn write_samples() {
    let data = seed_data();
    for (name, report) in [
        (
            "crime-2024",
            crime_prevention_report(&data, 2024, "2024-12-31", TODAY, true, 7),
        ),
        (
            "crime-2023",
            crime_prevention_report(&data, 2023, "2023-12-31", TODAY, true, 7),
        ),
        (
            "area-2023t3",
            area_follow_up_report(&data, Period::Tertial(2023, 3), true, 7),
        ),
    ] {
        for f in [Format::Html, Format::Pdf] {
            std::fs::write(
                format!("/tmp/rpt/{name}.{}", f.extension()),
                render(&report, f).unwrap(),
            )
            .unwrap();
        }
    }
}
