//! Audit recommendations in the reports on every backend: audits written through the
//! store are followed up in "Uppföljning av revisionens rekommendationer" (the
//! municipality's and a board's; HTML, XLSX, PDF as text), their IC links list the audit
//! actions in KS's internal-control follow-up, and the oversight view's audit panel and
//! section count the boards' open recommendations alike.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use uppsikt_domain::audit::{AuditKind, Grade, IcLink, IcTarget, ResponseItem, Stance};
use uppsikt_domain::case_ref::CaseRefFormat;
use uppsikt_domain::deviation::DecidingBody;
use uppsikt_domain::internal_control::ActionStatus;
use uppsikt_domain::model::{Id, OrgKind};
use uppsikt_report::internal_control::AUDIT_ACTIONS_TITLE;
use uppsikt_report::model::{Block, Section};
use uppsikt_report::oversight::{self, OversightSource};
use uppsikt_report::{build, render, Format, ReportError, ReportKind, Request, Subject};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{
    ActionInput, AuditHeader, AuditInput, NewControlPlan, OrgUnitInput, RecommendationInput,
    ResponseInput, Store, VerdictInput, Writer,
};

async fn writer(store: &Store) -> Writer {
    store
        .writer("revisor", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap()
}

async fn unit(w: &mut Writer, key: &str, name: &str, kind: OrgKind, parent: Option<Id>) -> Id {
    w.upsert_org_unit(&OrgUnitInput {
        key: key.into(),
        name: name.into(),
        short_name: key.into(),
        kind,
        parent_id: parent,
        position: 0,
    })
    .await
    .unwrap()
}

fn rec(number: &str, text: &str, to: Vec<Id>) -> RecommendationInput {
    RecommendationInput {
        number: number.into(),
        text: text.into(),
        addressees: to,
        ..RecommendationInput::default()
    }
}

fn verdict(year: i32, grade: Grade, text: &str) -> VerdictInput {
    VerdictInput {
        year,
        grade,
        text: text.into(),
        evidence: "Tjänsteutlåtanden och intervjuer".into(),
        closes: false,
    }
}

struct Setup {
    ks: Id,
    gsn: Id,
}

/// KS and grundskolenämnden; a 2019 audit with two recommendations to KS (one declined)
/// and one to the nämnd (unanswered), judged in 2021; the 2021 follow-up audit issuing the
/// declined one again; recommendation 1 linked to KS's 2019 action AA01.
async fn setup(store: &Store) -> Setup {
    let mut w = writer(store).await;
    let kommun = unit(&mut w, "kommun", "Huddinge kommun", OrgKind::Kommun, None).await;
    let ks = unit(
        &mut w,
        "KS",
        "Kommunstyrelsen",
        OrgKind::Styrelse,
        Some(kommun),
    )
    .await;
    let gsn = unit(
        &mut w,
        "GSN",
        "Grundskolenämnden",
        OrgKind::Namnd,
        Some(kommun),
    )
    .await;
    let plan = w
        .create_control_plan(&NewControlPlan {
            org_id: ks,
            year: 2019,
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
        })
        .await
        .unwrap();
    let aa01 = w
        .add_ic_action(
            plan,
            &ActionInput {
                key: "AA01".into(),
                text: "Översyn av lokalförsörjningsprocessen".into(),
                responsible: String::new(),
                sources: vec![],
                blocked_by: None,
            },
        )
        .await
        .unwrap();
    w.set_action_status(
        aa01,
        ActionStatus::Done,
        Some("2019-12-01"),
        "Förslag klart",
    )
    .await
    .unwrap();
    let audit = w
        .create_audit(&AuditInput {
            header: AuditHeader {
                title: "Granskning av intern kontroll".into(),
                plan_year: 2019,
                kind: AuditKind::Review,
                commissioned_by: "Huddinge kommuns revisorer".into(),
                performed_by: "KPMG AB".into(),
                audited_units: vec![ks, gsn],
                case_ref: Some(CaseRefFormat::huddinge().parse("KS-2019/501.912").unwrap()),
                response_due: Some("2020-09-30".into()),
                ..AuditHeader::default()
            },
            questions: vec![],
            recommendations: vec![
                rec("1", "Verka för ett enhetligt angreppssätt.", vec![ks]),
                rec("2", "Ta fram en strategi för arbetet.", vec![ks]),
                rec(
                    "3",
                    "Säkerställ att förtroendevalda känner sitt ansvar.",
                    vec![gsn],
                ),
            ],
        })
        .await
        .unwrap();
    let a = w.audit_in_tx(audit).await.unwrap();
    let ids: Vec<Id> = a.recommendations.iter().map(|r| r.id).collect();
    w.record_response(
        &ResponseInput {
            audit_id: audit,
            unit_id: ks,
            body: DecidingBody::Board,
            document: "tjänsteutlåtande".into(),
            decided_on: "2020-06-22".into(),
            paragraph: String::new(),
            case_ref: Some(CaseRefFormat::huddinge().parse("KS-2020/716.912").unwrap()),
            items: vec![
                ResponseItem {
                    recommendation_id: ids[0],
                    stance: Stance::Accepted,
                    comment: "Gemensamma kontroller införs".into(),
                },
                ResponseItem {
                    recommendation_id: ids[1],
                    stance: Stance::Declined("Målstrukturen räcker".into()),
                    comment: String::new(),
                },
            ],
        },
        "2026-12-06",
    )
    .await
    .unwrap();
    w.link_ic(
        ids[0],
        IcLink {
            unit_id: ks,
            target: IcTarget::Action(aa01),
        },
    )
    .await
    .unwrap();
    w.record_verdict(ids[0], &verdict(2021, Grade::Implemented, "Åtgärdat"))
        .await
        .unwrap();
    w.record_verdict(
        ids[1],
        &verdict(2021, Grade::Declined, "Valt att inte följa"),
    )
    .await
    .unwrap();
    w.record_verdict(ids[2], &verdict(2021, Grade::PlannedNotStarted, "Planeras"))
        .await
        .unwrap();
    let mut again = rec("CS21-b", "Överväg återigen en strategi.", vec![ks]);
    again.reissues = Some(ids[1]);
    w.create_audit(&AuditInput {
        header: AuditHeader {
            title: "Uppföljning av 2019 års granskningar".into(),
            plan_year: 2021,
            kind: AuditKind::FollowUp,
            commissioned_by: "Huddinge kommuns revisorer".into(),
            performed_by: "KPMG AB".into(),
            audited_units: vec![ks],
            follows_up: vec![audit],
            ..AuditHeader::default()
        },
        questions: vec![],
        recommendations: vec![again],
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
    Setup { ks, gsn }
}

fn titles(sections: &[Section]) -> Vec<&str> {
    sections.iter().map(|s| s.title.as_str()).collect()
}

fn request(subject: Subject, year: i32) -> Request {
    Request {
        subject,
        kind: ReportKind::AuditFollowUp,
        year,
        tertial: None,
    }
}

fn tool_missing(tool: &str) -> bool {
    let missing = std::process::Command::new(tool).arg("-v").output().is_err();
    if missing && std::env::var("UPPSIKT_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("{tool} is required (apt-get install poppler-utils)");
    }
    if missing {
        uppsikt_store::testing::skipped(
            "PDF text check",
            &format!("{tool} is missing; apt-get install poppler-utils"),
            "",
        );
    }
    missing
}

#[tokio::test]
async fn the_follow_up_report_reads_the_stored_audits() {
    for db in TestDb::all().await {
        let store = &db.store;
        let u = setup(store).await;
        let report = build(store, request(Subject::Municipality, 2021))
            .await
            .unwrap();
        assert_eq!(
            report.meta.title,
            "Uppföljning av revisionens rekommendationer 2021"
        );
        assert_eq!(report.meta.subject, "Huddinge kommun");
        assert_eq!(
            titles(&report.sections),
            ["Granskning av intern kontroll", "Nya rekommendationer"]
        );
        let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
        for sample in [
            "Revisorerna bedömde tre rekommendationer 2021: en genomförd, en planerad men inte påbörjad och en där nämnden har valt att avstå.",
            "Tjänsteutlåtande 2020-06-22, KS-2020/716.912, beslutat av kommunstyrelsen.",
            "Avböjer: Målstrukturen räcker",
            "Inget svar från grundskolenämnden är registrerat i uppsikt.",
            "Upprepar 2 i Granskning av intern kontroll (2019)",
        ] {
            assert!(html.contains(sample), "sample {sample}");
        }
        let bytes = render(&report, Format::Xlsx).unwrap();
        let wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), ["Revisionsuppföljning"]);

        if !tool_missing("pdftotext") {
            let bytes = render(&report, Format::Pdf).unwrap();
            let path = std::env::temp_dir().join(format!(
                "uppsikt-audit-{}-{:?}.pdf",
                std::process::id(),
                db.backend()
            ));
            std::fs::write(&path, &bytes).unwrap();
            let text = String::from_utf8(
                std::process::Command::new("pdftotext")
                    .arg(&path)
                    .arg("-")
                    .output()
                    .unwrap()
                    .stdout,
            )
            .unwrap();
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for sample in [
                "Uppföljning av revisionens rekommendationer 2021",
                "Nämndernas svar",
                "Vidtagna åtgärder enligt uppföljningen 2021",
                "Avstår, med motivering",
                "grundskolenämnden är registrerat i uppsikt",
            ] {
                assert!(flat.contains(sample), "PDF sample {sample}");
            }
            let _ = std::fs::remove_file(path);
        }

        // The board's report keeps the audit that concerns it.
        let gsn = build(store, request(Subject::Unit(u.gsn), 2021))
            .await
            .unwrap();
        assert_eq!(gsn.meta.subject, "Grundskolenämnden");
        assert_eq!(titles(&gsn.sections)[0], "Granskning av intern kontroll");

        // A year without a follow-up, and a tertial, are refused in Swedish.
        match build(store, request(Subject::Municipality, 2020)).await {
            Err(ReportError::Invalid(m)) => assert_eq!(
                m,
                "Revisorerna har ingen uppföljning för 2020 i uppsikt. År med uppföljning: 2021."
            ),
            other => panic!("{:?}", other.map(|r| r.meta.title)),
        }
        let mut tertial = request(Subject::Municipality, 2021);
        tertial.tertial = Some(1);
        assert!(matches!(
            build(store, tertial).await,
            Err(ReportError::Invalid(_))
        ));
        db.finish().await;
    }
}

#[tokio::test]
async fn links_list_the_audit_actions_and_the_oversight_counts_the_boards() {
    for db in TestDb::all().await {
        let store = &db.store;
        let u = setup(store).await;
        let ic = build(
            store,
            Request {
                subject: Subject::Unit(u.ks),
                kind: ReportKind::InternalControlFollowUp,
                year: 2019,
                tertial: None,
            },
        )
        .await
        .unwrap();
        let audit_actions = ic
            .sections
            .iter()
            .find(|s| s.title == AUDIT_ACTIONS_TITLE)
            .expect("the audit actions");
        assert_eq!(
            titles(&audit_actions.children),
            ["Granskning av intern kontroll"]
        );
        let block = &audit_actions.children[0];
        assert!(block.blocks.contains(&Block::Labeled {
            label: "Diarienummer".into(),
            text: "KS-2019/501.912".into(),
        }));
        let Some(Block::Table(t)) = block.blocks.iter().find(|b| matches!(b, Block::Table(_)))
        else {
            panic!("{:?}", block.blocks)
        };
        assert_eq!(t.rows[0][0], "AA01 Översyn av lokalförsörjningsprocessen");
        assert!(t.rows[0][1].starts_with("Klart"));

        // Oversight: KS has the declined one (closed by the re-issue) and the new
        // unanswered one; grundskolenämnden its unanswered, overdue one.
        let today = "2026-12-06";
        let panel = oversight::Audits.panel(store, today).await.unwrap();
        let table = &panel.tables[0];
        let rows: Vec<(&str, Vec<&str>)> = table
            .rows
            .iter()
            .map(|r| {
                (
                    r.label.as_str(),
                    r.cells.iter().map(|c| c.value.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(rows[0].0, "Kommunstyrelsen");
        assert_eq!(rows[1].0, "Grundskolenämnden");
        assert_eq!(rows[1].1[2], "1 (1 försenat)");
        assert_eq!(
            table.rows[1].link.as_deref(),
            Some(format!("/audits/boards/{}", u.gsn).as_str())
        );
        let section = oversight::Audits
            .section(store, today, Some(u.gsn))
            .await
            .unwrap();
        let Block::Table(t) = &section.blocks[1] else {
            panic!("{:?}", section.blocks)
        };
        assert_eq!(t.rows.len(), 2, "the nämnd and the total");
        assert_eq!(
            t.rows[0][1..],
            rows[1].1.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]
        );
        db.finish().await;
    }
}
