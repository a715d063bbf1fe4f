//! Internal control in the reports on every backend: a plan written through the store is
//! followed up in the stand-alone report (HTML, XLSX read back, PDF as text), in the
//! board's verksamhetsberättelse and delårsrapport (cut at the period's end), and in the
//! oversight view, whose page, export and report section show the same rows.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use uppsikt_domain::internal_control::{
    ActionSource, ActionStatus, Adoption, Blocker, ControlKind, ControlResult, Execution,
    FirstDocumented, OverallAssessment, Verification,
};
use uppsikt_domain::model::{Id, OrgKind};
use uppsikt_report::model::{Block, Section};
use uppsikt_report::oversight::{self, OversightSource, SOURCES};
use uppsikt_report::{build, render, Format, ReportKind, Request, Subject};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{
    ActionInput, ControlInput, NewControlPlan, OrgUnitInput, PlanHeader, RiskInput, Store, Writer,
};

struct Units {
    ks: Id,
    son: Id,
    gan: Id,
}

async fn writer(store: &Store) -> Writer {
    store
        .writer("test", uppsikt_store::ChangeSource::Form)
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

fn control(key: &str, name: &str, parameters: &str, planned_dates: Vec<String>) -> ControlInput {
    ControlInput {
        key: key.into(),
        kind: ControlKind::Systematic,
        area: "Sund ekonomi".into(),
        name: name.into(),
        purpose: String::new(),
        method: "Stickprov".into(),
        frequency: "Månadsvis".into(),
        sample: String::new(),
        planned_parameters: parameters.into(),
        responsible: "Ekonomichef".into(),
        due: "2019-12-31".into(),
        origin: String::new(),
        comment: String::new(),
        common: false,
        planned_dates,
    }
}

fn performed(on: &str, used: &str, result: ControlResult, findings: &str) -> Execution {
    Execution::Performed {
        performed_on: on.into(),
        parameters_used: used.into(),
        result,
        findings: findings.into(),
    }
}

/// Kommunen with KS (a plan for 2019 without an adoption decision), Socialnämnden (an
/// adopted plan) and a board without a plan. Returns the units and the id of the
/// deviation C13's findings raised.
async fn setup(store: &Store) -> (Units, Id) {
    let mut w = writer(store).await;
    let kommun = unit(&mut w, "kommun", "Kommunen", OrgKind::Kommun, None).await;
    let ks = unit(
        &mut w,
        "KS",
        "Kommunstyrelsen",
        OrgKind::Styrelse,
        Some(kommun),
    )
    .await;
    let son = unit(&mut w, "SON", "Socialnämnden", OrgKind::Namnd, Some(kommun)).await;
    let gan = unit(
        &mut w,
        "GAN",
        "Gymnasienämnden",
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
    w.update_control_plan(
        plan,
        &PlanHeader {
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
            self_assessment: Some(OverallAssessment {
                level: "Godtagbar".into(),
                motivation: "I stort fungerande".into(),
                source: "Verksamhetsberättelse 2019".into(),
            }),
            ..PlanHeader::default()
        },
    )
    .await
    .unwrap();
    let rk01 = w
        .add_risk(
            plan,
            &RiskInput {
                key: "RK01".into(),
                area: "Informationssäkerhet".into(),
                text: "Infoläckage via molntjänster".into(),
                first_documented: Some(FirstDocumented::InOrBefore(2012)),
                ..RiskInput::default()
            },
        )
        .await
        .unwrap();
    let rk05 = w
        .add_risk(
            plan,
            &RiskInput {
                key: "RK05".into(),
                area: "Sund ekonomi".into(),
                text: "Investeringar utan beslutad budget".into(),
                ..RiskInput::default()
            },
        )
        .await
        .unwrap();
    let action = |key: &str, sources: Vec<ActionSource>| ActionInput {
        key: key.into(),
        text: format!("Åtgärd {key}"),
        responsible: String::new(),
        sources,
        blocked_by: None,
    };
    let r01 = w
        .add_ic_action(
            plan,
            &action("R01", vec![ActionSource::Risk { risk_id: rk01 }]),
        )
        .await
        .unwrap();
    let r07 = w
        .add_ic_action(
            plan,
            &action("R07", vec![ActionSource::Risk { risk_id: rk05 }]),
        )
        .await
        .unwrap();
    let r08 = w
        .add_ic_action(
            plan,
            &action("R08", vec![ActionSource::Risk { risk_id: rk05 }]),
        )
        .await
        .unwrap();
    w.set_action_blocker(r07, Some(&Blocker::Action(r08)))
        .await
        .unwrap();
    for (id, on) in [(r01, "2019-05-15"), (r08, "2019-11-15")] {
        w.set_action_status(id, ActionStatus::Done, Some(on), "Klar")
            .await
            .unwrap();
    }
    w.verify_action(
        r01,
        &Verification {
            by: "IT-chef".into(),
            how: "Stickprov".into(),
            on: "2019-06-01".into(),
        },
    )
    .await
    .unwrap();
    w.add_ic_action(
        plan,
        &action(
            "AA10",
            vec![ActionSource::Recommendation {
                case_ref: "KS-2018/753.912".into(),
                title: "Bisysslor".into(),
            }],
        ),
    )
    .await
    .unwrap();
    let monthly: Vec<String> = (1..=12).map(|m| format!("2019-{m:02}-28")).collect();
    let c03 = w
        .add_control(
            plan,
            &control("C03", "Leverantörsfakturor", "", monthly.clone()),
        )
        .await
        .unwrap();
    let c05 = w
        .add_control(
            plan,
            &control("C05", "Höga nettolöner", "> 50 000 kr", monthly),
        )
        .await
        .unwrap();
    let c13 = w
        .add_control(
            plan,
            &control("C13", "Grafisk profil", "", vec!["2019-10-30".into()]),
        )
        .await
        .unwrap();
    w.commit().await.unwrap();

    let stored = store.control_plan(plan).await.unwrap();
    let occurrences = |id: Id| {
        stored
            .controls
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .occurrences
            .iter()
            .map(|o| (o.id, o.planned_on.clone()))
            .collect::<Vec<_>>()
    };
    let mut w = writer(store).await;
    for (id, planned) in occurrences(c03).into_iter().take(3) {
        w.record_execution(
            id,
            &performed(&planned, "", ControlResult::WithoutRemark, ""),
            "2020-01-15",
        )
        .await
        .unwrap();
    }
    for (id, planned) in occurrences(c05) {
        w.record_execution(
            id,
            &performed(&planned, "> 49 000 kr", ControlResult::WithoutRemark, ""),
            "2020-01-15",
        )
        .await
        .unwrap();
    }
    let (c13_occurrence, _) = occurrences(c13)[0].clone();
    let deviation = w
        .record_execution(
            c13_occurrence,
            &performed(
                "2019-10-30",
                "",
                ControlResult::WithRemark,
                "Ej tillåtna logotyper",
            ),
            "2020-01-15",
        )
        .await
        .unwrap()
        .expect("findings raise a deviation");
    let son_plan = w
        .create_control_plan(&NewControlPlan {
            org_id: son,
            year: 2019,
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
        })
        .await
        .unwrap();
    w.update_control_plan(
        son_plan,
        &PlanHeader {
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
            adoption: Some(Adoption {
                body: "Socialnämnden".into(),
                decided_on: "2019-02-10".into(),
                paragraph: "§ 5".into(),
                diary_number: "SON-2019/7".into(),
            }),
            ..PlanHeader::default()
        },
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    (Units { ks, son, gan }, deviation)
}

fn request(org: Id, kind: ReportKind, tertial: Option<u8>) -> Request {
    Request {
        subject: Subject::Unit(org),
        kind,
        year: 2019,
        tertial,
    }
}

fn texts(s: &Section, out: &mut Vec<String>) {
    for b in &s.blocks {
        match b {
            Block::Paragraph { text } => out.push(text.clone()),
            Block::Labeled { label, text } => out.push(format!("{label}: {text}")),
            Block::List { items, .. } => out.extend(items.iter().cloned()),
            Block::Table(t) => out.extend(t.rows.iter().flatten().cloned()),
            _ => {}
        }
    }
    for c in &s.children {
        texts(c, out);
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
async fn the_follow_up_report_in_html_xlsx_and_pdf() {
    for db in TestDb::all().await {
        let store = &db.store;
        let (u, deviation) = setup(store).await;
        let report = build(
            store,
            request(u.ks, ReportKind::InternalControlFollowUp, None),
        )
        .await
        .unwrap();
        assert_eq!(report.meta.title, "Uppföljning av internkontrollplan 2019");
        assert_eq!(report.meta.subject, "Kommunstyrelsen");
        assert_eq!(report.meta.organisation, "Kommunen");

        let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
        let finding = format!("Med anmärkning: Ej tillåtna logotyper Avvikelse nr {deviation}.");
        for sample in [
            "<title>Uppföljning av internkontrollplan 2019 – Kommunstyrelsen</title>",
            "Två av tre riskreducerande åtgärder har slutförts. Den återstående åtgärden väntar på något annat innan den kan slutföras. Effekten är verifierad för en av de slutförda.",
            "Planens åtgärd utifrån revision eller annan granskning har inte slutförts.",
            "Två av tre systematiska kontroller är genomförda vid alla planerade tillfällen. Av 25 planerade kontrolltillfällen har sexton genomförts och nio har inte genomförts enligt plan.",
            "<p>Beslut om planen saknas i uppsikt.</p>",
            "Godtagbar. I stort fungerande. Källa: Verksamhetsberättelse 2019.",
            "dokumenterad 2012 eller tidigare (ålder minst 7 år)",
            "Väntar på åtgärd R08.",
            "Effekten verifierad 2019-06-01 av IT-chef",
            "Bisysslor (KS-2018/753.912)",
            "3 av 12 genomförda<br>9 inte genomförda enligt plan",
            "Planerat: &gt; 50 000 kr<br>Använt i stället: &gt; 49 000 kr (12 tillfällen)",
            &finding,
        ] {
            assert!(html.contains(sample), "sample {sample}");
        }

        let bytes = render(&report, Format::Xlsx).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), ["Internkontroll"]);
        let sheet = wb.worksheet_range("Internkontroll").unwrap();
        let cells: Vec<String> = sheet
            .rows()
            .flat_map(|r| r.iter().map(Data::to_string))
            .collect();
        assert!(cells.contains(&"Riskreducerande åtgärder: Informationssäkerhet".to_string()));
        assert!(
            cells
                .iter()
                .any(|c| c.starts_with("Ej klart i år; 3 av 12 genomförda; 9 inte genomförda")),
            "{cells:?}"
        );
        assert!(cells.iter().any(|c| c.contains(&finding)));

        if !tool_missing("pdftotext") {
            let bytes = render(&report, Format::Pdf).unwrap();
            let path = std::env::temp_dir().join(format!(
                "uppsikt-ic-{}-{:?}.pdf",
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
                "Uppföljning av internkontrollplan 2019",
                "Sammanfattning av nämndens internkontrollarbete",
                "Två av tre riskreducerande åtgärder har slutförts.",
                "Beslut om planen saknas i uppsikt.",
                "Systematiska kontroller",
                "Ej tillåtna logotyper",
            ] {
                assert!(flat.contains(sample), "PDF sample {sample}");
            }
            let _ = std::fs::remove_file(path);
        }

        // A unit without a plan, a municipality and a tertial are refused in Swedish.
        let none = build(
            store,
            request(u.gan, ReportKind::InternalControlFollowUp, None),
        )
        .await
        .unwrap_err()
        .to_string();
        assert_eq!(
            none,
            "Gymnasienämnden har ingen internkontrollplan för 2019 i uppsikt."
        );
        let tertial = build(
            store,
            request(u.ks, ReportKind::InternalControlFollowUp, Some(2)),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(tertial.contains("ange inget tertial"), "{tertial}");
        db.finish().await;
    }
}

#[tokio::test]
async fn the_chapter_in_the_verksamhetsberattelse_and_the_delarsrapport() {
    for db in TestDb::all().await {
        let store = &db.store;
        let (u, _) = setup(store).await;
        let vb = build(
            store,
            request(u.ks, ReportKind::Verksamhetsberattelse, None),
        )
        .await
        .unwrap();
        let chapter = vb
            .sections
            .iter()
            .find(|s| s.title == "Intern kontroll")
            .expect("the chapter");
        let mut t = Vec::new();
        texts(chapter, &mut t);
        let all = t.join("\n");
        assert!(
            all.contains("Två av tre riskreducerande åtgärder har slutförts."),
            "{all}"
        );
        assert!(
            all.contains(
                "Två av tre systematiska kontroller är genomförda vid alla planerade tillfällen."
            ),
            "{all}"
        );
        let bytes = render(&vb, Format::Xlsx).unwrap();
        let wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert!(wb.sheet_names().contains(&"Intern kontroll".to_string()));

        // Per 31 August: R08 (done in November) is not done yet, C13 not yet performed.
        let delar = build(store, request(u.ks, ReportKind::Delarsrapport, Some(2)))
            .await
            .unwrap();
        let chapter = delar
            .sections
            .iter()
            .find(|s| s.title == "Intern kontroll")
            .unwrap();
        let mut t = Vec::new();
        texts(chapter, &mut t);
        let all = t.join("\n");
        assert!(all.contains("Läget per 2019-08-31."), "{all}");
        assert!(
            all.contains("En av tre riskreducerande åtgärder har slutförts."),
            "{all}"
        );
        assert!(!all.contains("Ej tillåtna logotyper"), "{all}");

        // A board without a plan says so.
        let gan = build(
            store,
            request(u.gan, ReportKind::Verksamhetsberattelse, None),
        )
        .await
        .unwrap();
        let chapter = gan
            .sections
            .iter()
            .find(|s| s.title == "Intern kontroll")
            .unwrap();
        let mut t = Vec::new();
        texts(chapter, &mut t);
        assert_eq!(
            t,
            ["Gymnasienämnden har ingen internkontrollplan för 2019 i uppsikt."]
        );
        // An adopted plan names its decision.
        let son = build(
            store,
            request(u.son, ReportKind::Verksamhetsberattelse, None),
        )
        .await
        .unwrap();
        let chapter = son
            .sections
            .iter()
            .find(|s| s.title == "Intern kontroll")
            .unwrap();
        let mut t = Vec::new();
        texts(chapter, &mut t);
        assert!(
            t.contains(
                &"Beslut om planen: Socialnämnden 2019-02-10, § 5, dnr SON-2019/7.".to_string()
            ),
            "{t:?}"
        );
        assert!(t.contains(&"Planen har inga riskreducerande åtgärder.".to_string()));
        db.finish().await;
    }
}

#[tokio::test]
async fn the_oversight_page_export_and_section_show_the_same_rows() {
    for db in TestDb::all().await {
        let store = &db.store;
        let (u, _) = setup(store).await;
        let today = uppsikt_store::today();
        let panels = oversight::panels(store, &today).await.unwrap();
        assert_eq!(panels.len(), SOURCES.len());
        let p = panels
            .iter()
            .find(|p| p.heading.as_deref() == Some("Intern kontroll 2019"))
            .expect("internal control's panel");
        let figures: Vec<(&str, usize)> = p
            .figures
            .iter()
            .map(|f| (f.label.as_str(), f.value))
            .collect();
        assert_eq!(
            figures,
            [
                ("Nämnder och styrelser utan internkontrollplan 2019", 1),
                ("Planer utan registrerat beslut", 1),
                ("Anmärkningar från kontroller utan beslut", 1),
                ("Kontrolltillfällen som inte genomförts enligt plan", 9),
                ("Internkontrollplaner 2019", 2),
            ]
        );
        let table = &p.tables[0];
        let labels: Vec<&str> = table.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Kommunstyrelsen", "Gymnasienämnden", "Socialnämnden"]
        );
        let ks = &table.rows[0];
        assert_eq!(ks.cells[0].value, "Saknas");
        assert_eq!(ks.cells[3].value, "2 av 4 (50 %)");
        assert_eq!(ks.cells[4].value, "16 av 25 (64 %)");
        assert_eq!(ks.cells[5].value, "1");
        assert_eq!(
            ks.cells[2].value, "–",
            "KS's plan is where the common items come from"
        );
        assert_eq!(table.rows[1].cells[0].value, "Ingen plan i uppsikt");
        assert_eq!(
            table.rows[2].cells[0].value,
            "Socialnämnden 2019-02-10, § 5, dnr SON-2019/7"
        );

        let bytes = oversight::workbook(store, &today).await.unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert!(wb.sheet_names().contains(&"Intern kontroll".to_string()));
        let sheet = wb.worksheet_range("Intern kontroll").unwrap();
        let ks_row = sheet
            .rows()
            .find(|r| r.get(1) == Some(&Data::String("Kommunstyrelsen".into())))
            .unwrap();
        assert_eq!(ks_row[0], Data::Float(2019.0));
        assert_eq!(ks_row[7], Data::Float(4.0), "actions");
        assert_eq!(ks_row[8], Data::Float(2.0), "actions done");
        assert_eq!(ks_row[13], Data::Float(1.0), "findings without a decision");

        // KS's report: its own row only.
        assert_eq!(SOURCES.len(), 3, "deviations, internal control and audits");
        let section = oversight::InternalControl
            .section(store, &today, Some(u.ks))
            .await
            .unwrap();
        assert_eq!(section.title, "Uppsikt: intern kontroll 2019");
        let Block::Table(t) = &section.blocks[1] else {
            panic!("{:?}", section.blocks)
        };
        assert_eq!(t.rows.len(), 2, "KS and the total");
        assert_eq!(
            t.rows[0][1..],
            table.rows[0]
                .cells
                .iter()
                .map(|c| c.value.clone())
                .collect::<Vec<_>>()[..]
        );
        db.finish().await;
    }
}

/// The demo's KS plan 2019 (seed 004's chapter) in KS's verksamhetsberättelse: the
/// summary's counts come from the data, as the seed's chapter gives them.
#[tokio::test]
async fn the_demo_plan_gives_the_seeds_counts_in_the_verksamhetsberattelse() {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    for db in TestDb::all().await {
        let store = &db.store;
        uppsikt_import::import_files(store, &uppsikt_import::demo_files(&dir), "test")
            .await
            .unwrap();
        let ks = store.find_org_unit("KS").await.unwrap().id;
        let vb = build(store, request(ks, ReportKind::Verksamhetsberattelse, None))
            .await
            .unwrap();
        let chapter = vb
            .sections
            .iter()
            .find(|s| s.title == "Intern kontroll")
            .expect("the chapter");
        let mut t = Vec::new();
        texts(chapter, &mut t);
        let all = t.join("\n");
        for sample in [
            "Beslut om planen saknas i uppsikt.",
            "Tio av arton riskreducerande åtgärder har slutförts.",
            "Sju av elva åtgärder utifrån revision eller annan granskning har slutförts.",
            "Tolv av sexton systematiska kontroller är genomförda vid alla planerade tillfällen.",
            "Källa: Verksamhetsberättelse 2019.",
            "dokumenterad 2012 eller tidigare (ålder minst 7 år)",
            "Ej klart i år\n3 av 12 genomförda\n9 inte genomförda enligt plan",
            "Planerat: > 50 000 kr\nAnvänt i stället: > 49 000 kr (12 tillfällen)",
            "(9 tillfällen): Sjukskrivning och underbemanning.",
        ] {
            assert!(all.contains(sample), "sample {sample}: {all}");
        }
        // C13's findings with the deviation they raised.
        let c13 = t
            .iter()
            .find(|c| c.contains("otillåtna undervarumärken"))
            .expect("C13's findings");
        assert!(
            c13.contains("Med anmärkning") && c13.contains("Avvikelse nr "),
            "{c13}"
        );
        db.finish().await;
    }
}
