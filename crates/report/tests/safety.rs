//! The area follow-up and the report on crime prevention on every backend: areas, the
//! 2023 overall lägesbild (Vårby at level 5, two unnamed areas at level 3, not presented
//! to KS), a forum, the 2023–2024 agreement and Lag (2023:196) with its duties written
//! through the store, the deviations they raise raised, and both reports built from the
//! store ("2 av 4", L2 overdue from 2024-07-01); the public build hides the levels of a
//! report not marked public.

use std::collections::BTreeSet;
use std::io::Cursor;

use calamine::{Reader, Xlsx};
use uppsikt_domain::area::{Area, AreaKind, Classification, PoliceClass};
use uppsikt_domain::forum::{Agreement, AgreementKind, Documented, FocusArea, Forum};
use uppsikt_domain::model::{Id, OrgKind};
use uppsikt_domain::obligation::{
    ComplianceStatus, Evidence, EvidenceKind, Obligation, ObligationAssessment, Statute,
};
use uppsikt_domain::situation::{
    AreaLevel, LevelScale, ReportStatus, SituationKind, SituationReport,
};
use uppsikt_report::{
    build, build_public, render, Format, ReportError, ReportKind, Request, Subject,
};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{OrgUnitInput, Store, Writer};

async fn writer(store: &Store) -> Writer {
    store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap()
}

fn area(name: &str, utsatt: bool) -> Area {
    Area {
        id: 0,
        name: name.into(),
        kind: Some(AreaKind::District),
        parent_id: None,
        note: String::new(),
        classifications: if utsatt {
            vec![Classification {
                year: Some(2024),
                class: PoliceClass::Vulnerable,
                source: "Polisens lägesbild enligt revisionsrapport 2024 (seed 000)".into(),
                as_of: None,
            }]
        } else {
            vec![]
        },
    }
}

fn duty(
    statute: Id,
    ks: Id,
    code: &str,
    requirement: &str,
    status: ComplianceStatus,
) -> Obligation {
    Obligation {
        id: 0,
        statute_id: statute,
        code: code.into(),
        section: String::new(),
        duty: format!("Plikt {code}"),
        checklist: vec![],
        requirement: Some(requirement.into()),
        first_due: None,
        every_months: None,
        responsible_unit_id: Some(ks),
        fulfilled_by: None,
        evidence: vec![],
        assessments: vec![ObligationAssessment {
            status,
            assessed_by: "Revisorerna (KPMG), granskning 2023/24".into(),
            by_auditors: true,
            assessed_on: "2024-04-30".into(),
            text: String::new(),
        }],
        note: String::new(),
    }
}

struct Setup {
    ks: Id,
}

async fn setup(store: &Store) -> Setup {
    let mut w = writer(store).await;
    let kommun = w
        .upsert_org_unit(&OrgUnitInput {
            key: "huddinge".into(),
            name: "Huddinge kommun".into(),
            short_name: "Huddinge".into(),
            kind: OrgKind::Kommun,
            parent_id: None,
            position: 0,
        })
        .await
        .unwrap();
    let ks = w
        .upsert_org_unit(&OrgUnitInput {
            key: "ks".into(),
            name: "Kommunstyrelsen".into(),
            short_name: "KS".into(),
            kind: OrgKind::Styrelse,
            parent_id: Some(kommun),
            position: 1,
        })
        .await
        .unwrap();
    let varby = w.create_area(&area("Vårby", true)).await.unwrap();
    let skogas = w.create_area(&area("Skogås", true)).await.unwrap();
    let flemingsberg = w.create_area(&area("Flemingsberg", false)).await.unwrap();
    w.set_level_scale(&LevelScale {
        board_id: Some(ks),
        ..LevelScale::default()
    })
    .await
    .unwrap();
    let lb = w
        .create_situation_report(&SituationReport {
            id: 0,
            kind: SituationKind::Overall,
            title: "Övergripande lägesbild 2023".into(),
            period_start: "2023-01-01".into(),
            period_end: "2023-12-31".into(),
            producer: "OSG".into(),
            producer_forum_id: None,
            status: ReportStatus::Final,
            levels: [(varby, 5), (skogas, 1), (flemingsberg, 1)]
                .into_iter()
                .map(|(area_id, level)| AreaLevel { area_id, level })
                .collect(),
            unnamed_levels: vec![3, 3],
            checklist: BTreeSet::new(),
            summary: String::new(),
            public: false,
            synthetic: false,
            presentations: vec![],
        })
        .await
        .unwrap();
    w.create_forum(&Forum {
        id: 0,
        code: "F05".into(),
        name: "Samordnarforum".into(),
        purpose: String::new(),
        chair: String::new(),
        members: vec![],
        cadence: "två gånger i månaden".into(),
        reports_to_unit: None,
        reports_to_forum: None,
        reports_what: String::new(),
        documented: Documented::No,
        evaluated_on: None,
        evaluation: String::new(),
        area_ids: vec![varby],
        council: None,
        meetings: vec![],
        note: String::new(),
    })
    .await
    .unwrap();
    let statute = w
        .create_statute(&Statute {
            id: 0,
            sfs: "2023:196".into(),
            title: "Lag (2023:196) om kommuners ansvar för brottsförebyggande arbete".into(),
            in_force: Some("2023-07-01".into()),
            leading_unit_id: Some(ks),
            url: String::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let agreement = w
        .create_agreement(&Agreement {
            id: 0,
            code: "AG-2023-24".into(),
            kind: AgreementKind::Collaboration,
            title: "Samverkansöverenskommelse 2023–2024".into(),
            parties: vec![],
            valid_from: Some("2023-01-01".into()),
            valid_to: Some("2024-12-31".into()),
            purpose: "Öka tryggheten och minska brottsligheten".into(),
            focus_areas: vec![FocusArea {
                id: 0,
                name: "Gängkriminalitet".into(),
                has_plan: false,
                activities: vec![],
            }],
            governing_forum_id: None,
            situation_report_id: None,
            statutes: vec![],
            area_ids: vec![],
            note: String::new(),
        })
        .await
        .unwrap();
    use ComplianceStatus::*;
    let mut l1 = duty(statute, ks, "L1", "1", NotMet);
    l1.fulfilled_by = Some(EvidenceKind::SituationReport);
    l1.evidence.push(Evidence {
        id: 0,
        kind: EvidenceKind::SituationReport,
        ref_id: Some(lb),
        date: Some("2023-12-31".into()),
        text: String::new(),
    });
    let mut l2 = duty(statute, ks, "L2", "1", NotMet);
    l2.first_due = Some("2024-07-01".into());
    l2.every_months = Some(24);
    l2.fulfilled_by = Some(EvidenceKind::Decision);
    let mut l4 = duty(statute, ks, "L4", "2", Met);
    l4.evidence.push(Evidence {
        id: 0,
        kind: EvidenceKind::Agreement,
        ref_id: Some(agreement),
        date: Some("2023-01-01".into()),
        text: String::new(),
    });
    let mut l6 = duty(statute, ks, "L6", "4", Met);
    l6.evidence.push(Evidence {
        id: 0,
        kind: EvidenceKind::Function,
        ref_id: None,
        date: None,
        text: "Säkerhetssamordnare, trygghets- och säkerhetssektionen".into(),
    });
    for o in [
        l1,
        l2,
        duty(statute, ks, "L3", "1", NotMet),
        l4,
        duty(statute, ks, "L5", "3", NotMet),
        l6,
    ] {
        w.create_obligation(&o).await.unwrap();
    }
    w.commit().await.unwrap();
    let due = store
        .automatic_deviations("2024-12-31", 2023)
        .await
        .unwrap();
    let mut w = writer(store).await;
    w.raise_deviations(due, "2024-12-31").await.unwrap();
    w.commit().await.unwrap();
    Setup { ks }
}

fn request(kind: ReportKind, year: i32, tertial: Option<u8>) -> Request {
    Request {
        subject: Subject::Municipality,
        kind,
        year,
        tertial,
    }
}

fn html(report: &uppsikt_report::Report) -> String {
    String::from_utf8(render(report, Format::Html).unwrap()).unwrap()
}

#[tokio::test]
async fn both_reports_read_the_stored_areas_reports_and_duties() {
    for db in TestDb::all().await {
        let store = &db.store;
        let s = setup(store).await;

        let areas = build(store, request(ReportKind::AreaFollowUp, 2023, Some(3)))
            .await
            .unwrap();
        assert_eq!(areas.meta.title, "Områdesuppföljning tertial 3 2023");
        assert_eq!(areas.meta.subject, store.org_unit(s.ks).await.unwrap().name);
        let text = html(&areas);
        for sample in [
            "Läge 5 av 5",
            "läge 3, läge 3",
            "Vårby har läge 5 av 5 i ”Övergripande lägesbild 2023” (tröskel 4).",
            "F05 Samordnarforum",
            "Definition saknas (kommunen har inte angett nivåernas innebörd)",
        ] {
            assert!(text.contains(sample), "area sample {sample}");
        }
        let public = build_public(store, request(ReportKind::AreaFollowUp, 2023, Some(3)))
            .await
            .unwrap();
        let public = html(&public);
        assert!(!public.contains("Läge 5"), "levels of a non-public report");
        assert!(!public.contains("läge 5"), "nor the deviations naming them");

        let crime = build(store, request(ReportKind::CrimePrevention, 2024, None))
            .await
            .unwrap();
        assert_eq!(crime.meta.title, "Brottsförebyggande arbete 2024");
        let text = html(&crime);
        for sample in [
            "2 av 4",
            "L2 (sedan 2024-07-01)",
            "skulle vara uppfylld senast 2024-07-01",
            "Fokusområdet ”Gängkriminalitet” saknar aktivitetsplan",
            "Lägesbild: Övergripande lägesbild 2023, 2023-12-31 (uppfyller inte plikten)",
        ] {
            assert!(text.contains(sample), "crime-prevention sample {sample}");
        }
        let y2023 = build(store, request(ReportKind::CrimePrevention, 2023, None))
            .await
            .unwrap();
        let text = html(&y2023);
        assert!(text.contains("Nej (skulle redovisas senast 2024-02-29)"));
        assert!(text.contains("Läge 5: Vårby"));
        let bytes = render(&crime, Format::Xlsx).unwrap();
        let wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), ["Brottsförebyggande arbete"]);

        // A tertial for the yearly report, and a tertial 4, are refused in Swedish.
        assert!(matches!(
            build(store, request(ReportKind::CrimePrevention, 2024, Some(1))).await,
            Err(ReportError::Invalid(_))
        ));
        assert!(matches!(
            build(store, request(ReportKind::AreaFollowUp, 2024, Some(4))).await,
            Err(ReportError::Invalid(_))
        ));
        // The other reports have no public build.
        assert!(matches!(
            build_public(
                store,
                request(ReportKind::Verksamhetsberattelse, 2024, None)
            )
            .await,
            Err(ReportError::Invalid(_))
        ));
        db.finish().await;
    }
}

#[test]
fn the_kinds_parse_from_their_codes_and_swedish_names() {
    for (code, kind) in [
        ("omradesuppfoljning", ReportKind::AreaFollowUp),
        ("områdesuppföljning", ReportKind::AreaFollowUp),
        ("brottsforebyggande", ReportKind::CrimePrevention),
        ("brottsförebyggande", ReportKind::CrimePrevention),
    ] {
        assert_eq!(ReportKind::parse(code), Some(kind));
    }
    assert_eq!(ReportKind::AreaFollowUp.code(), "omradesuppfoljning");
    assert_eq!(ReportKind::CrimePrevention.code(), "brottsforebyggande");
}

/// The demo on each backend.
async fn demos() -> Vec<TestDb> {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    let mut out = Vec::new();
    for db in TestDb::all().await {
        uppsikt_import::import_files(&db.store, &uppsikt_import::demo_files(&dir), "test")
            .await
            .unwrap();
        out.push(db);
    }
    out
}

#[tokio::test]
async fn the_demo_gives_both_reports_the_seeds_figures() {
    for db in demos().await {
        let store = &db.store;
        let areas = build(store, request(ReportKind::AreaFollowUp, 2023, Some(3)))
            .await
            .unwrap();
        let crime = build(store, request(ReportKind::CrimePrevention, 2024, None))
            .await
            .unwrap();
        if let Ok(dir) = std::env::var("UPPSIKT_WRITE_REPORTS") {
            for (name, r) in [
                ("omradesuppfoljning", &areas),
                ("brottsforebyggande", &crime),
            ] {
                for f in [Format::Html, Format::Pdf, Format::Xlsx] {
                    std::fs::write(
                        format!("{dir}/demo-{name}.{}", f.extension()),
                        render(r, f).unwrap(),
                    )
                    .unwrap();
                }
            }
        }
        let text = html(&areas);
        for sample in ["Vårby: 8 av 10", "Läge 5 av 5", "läge 3, läge 3"] {
            assert!(text.contains(sample), "area sample {sample}");
        }
        let text = html(&crime);
        for sample in ["2 av 4", "L2 (sedan 2024-07-01)"] {
            assert!(text.contains(sample), "crime-prevention sample {sample}");
        }
        db.finish().await;
    }
}
