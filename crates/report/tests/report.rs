//! The demo's KS 2019 report in every format, on every backend: every goal, its assessment
//! and sample measure values appear, Swedish letters survive, and the model is snapshotted.

use std::path::PathBuf;

use uppsikt_report::model::Block;
use uppsikt_report::{build, render, Format, Report, ReportKind, Request, Subject};
use uppsikt_store::testing::TestDb;
use uppsikt_store::Store;

/// A database on each backend, holding the demo.
async fn demos() -> Vec<TestDb> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    let dbs = TestDb::all().await;
    for db in &dbs {
        uppsikt_import::import_files(&db.store, &uppsikt_import::demo_files(&dir), "test")
            .await
            .unwrap();
    }
    dbs
}

async fn ks_2019(store: &Store) -> Report {
    let ks = store.find_org_unit("KS").await.unwrap();
    build(
        store,
        Request {
            subject: Subject::Unit(ks.id),
            kind: ReportKind::Verksamhetsberattelse,
            year: 2019,
            tertial: None,
        },
    )
    .await
    .unwrap()
}

/// (goal title, decided level) for every KS goal, from the store.
async fn published(store: &Store) -> Vec<(String, String)> {
    let ks = store.find_org_unit("KS").await.unwrap();
    let goals = store.goals().await.unwrap();
    store
        .assessments_by_org(ks.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| {
            a.goal_id.map(|g| {
                (
                    goals.iter().find(|x| x.id == g).unwrap().title.clone(),
                    a.level,
                )
            })
        })
        .collect()
}

#[tokio::test]
async fn html_report_holds_every_goal_assessment_and_sample_values() {
    for db in demos().await {
        let report = ks_2019(&db.store).await;
        let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
        assert!(html.starts_with("<!doctype html><html lang=\"sv\">"));
        assert!(html.contains("<title>Verksamhetsberättelse 2019 – Kommunstyrelsen</title>"));
        let escape = uppsikt_report::html::escape;
        for (goal, level) in published(&db.store).await {
            let heading = format!("{}</h", escape(&goal));
            let with_badge = format!("{} <span class=\"badge", escape(&goal));
            assert!(
                html.contains(&heading) || html.contains(&with_badge),
                "goal {goal}"
            );
            assert!(
                html.contains(&format!(">{level}</span>")),
                "level {level} of {goal}"
            );
        }
        for sample in [
            "Betygsindex för trygghet",
            "2019: 51",
            "2018: 997",
            "Ranking 2019: 13/19",
            "Ej klart i år",
            "Vårby",
            "Årets händelser</h3>",
            "Valet till Europaparlamentet hölls i maj.",
            "Förbättringsområden</h3>",
            "Utveckla processen för lokalförsörjning.",
        ] {
            assert!(html.contains(sample), "sample {sample}");
        }
        assert!(
            html.contains("uppsikt-data-version"),
            "records its data version"
        );
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
        db.finish().await;
    }
}

#[tokio::test]
async fn workbook_holds_every_measure_value_with_swedish_letters() {
    use calamine::{Data, Reader, Xlsx};
    for db in demos().await {
        let report = ks_2019(&db.store).await;
        let bytes = render(&report, Format::Xlsx).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            vec![
                "Mått".to_string(),
                "Måluppfyllelse".to_string(),
                "Intern kontroll".to_string(),
                "Ekonomi".to_string()
            ]
        );
        let sheet = wb.worksheet_range("Mått").unwrap();
        let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
        let values: usize = report.measures.iter().map(|m| m.values.len()).sum();
        assert_eq!(
            rows.len(),
            4 + values,
            "title, note, blank, header and one row per value"
        );
        let find = |indicator: &str, period: &str, group: &str| {
            rows.iter()
                .find(|r| {
                    r[2] == Data::String(indicator.into())
                        && r[5] == Data::String(period.into())
                        && r[6] == Data::String(group.into())
                })
                .map(|r| r[7].clone())
        };
        assert_eq!(
            find("Betygsindex för trygghet", "2019", "Totalt"),
            Some(Data::Float(51.0))
        );
        assert_eq!(
            find("Betygsindex för trygghet", "2019", "Kvinnor"),
            Some(Data::Float(50.0))
        );
        let goals = wb.worksheet_range("Måluppfyllelse").unwrap();
        let text: String = goals
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string()))
            .collect::<Vec<_>>()
            .join("|");
        assert!(text.contains("Ökad valfrihet") && text.contains("Ej godtagbar"));
        db.finish().await;
    }
}

/// A condensed view of the model: every heading with its badge and the kinds of its blocks.
fn outline(report: &Report) -> Vec<String> {
    report
        .walk()
        .into_iter()
        .map(|(depth, s)| {
            let kinds: Vec<&str> = s
                .blocks
                .iter()
                .map(|b| match b {
                    Block::Paragraph { .. } => "p",
                    Block::Labeled { .. } => "labeled",
                    Block::List { .. } => "list",
                    Block::Assessment { .. } => "assessment",
                    Block::Table(_) => "table",
                    Block::Figures(_) => "figures",
                    Block::Chart(_) => "chart",
                    Block::Commitment { .. } => "commitment",
                })
                .collect();
            format!(
                "{}{} [{}] {}",
                "  ".repeat(depth),
                s.title,
                s.badge.as_ref().map(|b| b.text.as_str()).unwrap_or("-"),
                kinds.join(",")
            )
        })
        .collect()
}

#[tokio::test]
async fn report_model_snapshot() {
    for db in demos().await {
        let report = ks_2019(&db.store).await;
        insta::assert_json_snapshot!("ks_2019_outline", outline(&report));
        insta::assert_json_snapshot!("ks_2019_summary", report.summary);
        let valfrihet = report
            .walk()
            .into_iter()
            .find(|(_, s)| s.title == "Ökad valfrihet")
            .unwrap()
            .1
            .clone();
        insta::assert_json_snapshot!("ks_2019_okad_valfrihet", valfrihet);
        db.finish().await;
    }
}

#[tokio::test]
async fn delarsrapport_needs_a_tertial_and_municipality_covers_every_board() {
    for db in demos().await {
        let bad = build(
            &db.store,
            Request {
                subject: Subject::Municipality,
                kind: ReportKind::Delarsrapport,
                year: 2019,
                tertial: Some(3),
            },
        )
        .await;
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("tertial 1 (per 30 april) eller tertial 2 (per 31 augusti)"));
        let r = build(
            &db.store,
            Request {
                subject: Subject::Municipality,
                kind: ReportKind::Delarsrapport,
                year: 2019,
                tertial: Some(2),
            },
        )
        .await
        .unwrap();
        assert_eq!(r.meta.title, "Delårsrapport per 31 augusti 2019");
        let chapters: Vec<&str> = r.sections.iter().map(|s| s.title.as_str()).collect();
        assert!(
            chapters.contains(&"Kommunfullmäktige") && chapters.contains(&"Kommunstyrelsen"),
            "{chapters:?}"
        );
        db.finish().await;
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
async fn pdf_report_is_tagged_swedish_and_holds_every_goal_and_level() {
    if tool_missing("pdftotext") {
        return;
    }
    for db in demos().await {
        let report = ks_2019(&db.store).await;
        let bytes = render(&report, Format::Pdf).unwrap();
        let path = std::env::temp_dir().join(format!("uppsikt-ks-2019-{}.pdf", std::process::id()));
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
        // pdftotext may break a long title over lines; compare with whitespace collapsed.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (goal, level) in published(&db.store).await {
            let goal_flat = goal.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&goal_flat), "goal {goal}");
            assert!(
                flat.contains(&format!("{goal_flat} {level}")),
                "{goal} with its level {level}"
            );
        }
        for sample in [
            "Betygsindex för trygghet",
            "2019: 51",
            "2018: 997",
            "Ej klart i år",
            "Innehåll",
            "Sammanfattning",
            "Årets händelser",
            "Valet till Europaparlamentet hölls i maj.",
            "Förbättringsområden",
            "Utveckla processen för lokalförsörjning.",
        ] {
            assert!(flat.contains(sample), "sample {sample}");
        }
        let info = String::from_utf8(
            std::process::Command::new("pdfinfo")
                .arg(&path)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert!(info.contains("Tagged:          yes"), "{info}");
        assert!(
            info.contains("Title:           Verksamhetsberättelse 2019 – Kommunstyrelsen"),
            "{info}"
        );
        let raw = String::from_utf8_lossy(&bytes);
        assert!(
            raw.contains("<dc:language>") || raw.contains("/Lang"),
            "declares a language"
        );
        assert!(raw.contains("sv"), "language sv");
        let _ = std::fs::remove_file(path);
        db.finish().await;
    }
}
