//! A report is exactly its period (issue 17): the demo's KS 2019 report, after an outcome
//! for 2021 is entered, shows nothing of 2021 in its figures, charts, tables or workbook
//! (HTML, XLSX and PDF), and each workbook row carries the status of its own period. The
//! board version leaves out the system's proposals and the data version on the cover; the
//! working version keeps them.

use std::path::PathBuf;

use uppsikt_domain::{Breakdown, Outcome, Period};
use uppsikt_report::model::Block;
use uppsikt_report::{
    build_as, render, Format, Options, Report, ReportKind, Request, Subject, Version,
};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Scope, Store};

async fn demos() -> Vec<TestDb> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    let dbs = TestDb::all().await;
    // The working material, without the decisions (KF's 2023 decision covers 2021).
    let mut files = uppsikt_import::demo_files(&dir);
    files.retain(|f| !f.ends_with("decisions.toml"));
    for db in &dbs {
        uppsikt_import::import_files(&db.store, &files, "test")
            .await
            .unwrap();
    }
    dbs
}

/// Enters 2021 and 2020T1 outcomes for KS's "Betygsindex för trygghet" (charted) and a 2021
/// outcome for "Antal anställda" (personnel), as a controller would after the year.
async fn enter_later_outcomes(store: &Store) {
    let ks = store.find_org_unit("KS").await.unwrap();
    let kf = store.find_org_unit("KF").await.unwrap();
    let mut records = store.indicator_records(Scope::Org(ks.id)).await.unwrap();
    records.extend(store.indicator_records(Scope::Org(kf.id)).await.unwrap());
    let id = |key: &str| {
        records
            .iter()
            .find(|r| r.indicator.key == key)
            .unwrap_or_else(|| panic!("indicator {key}"))
            .indicator
            .id
    };
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    for (key, period, value) in [
        ("ks-betygsindex-trygghet", Period::Year(2021), 77.0),
        ("ks-betygsindex-trygghet", Period::Tertial(2020, 1), 78.0),
        ("ks-antal-anstallda", Period::Year(2021), 977.0),
    ] {
        w.set_outcome(
            id(key),
            &Outcome {
                period,
                breakdown: Breakdown::Total,
                value,
                margin: None,
                sample_size: None,
            },
        )
        .await
        .unwrap();
    }
    w.commit().await.unwrap();
}

async fn ks_2019(store: &Store, version: Version) -> Report {
    let ks = store.find_org_unit("KS").await.unwrap();
    build_as(
        store,
        Request {
            subject: Subject::Unit(ks.id),
            kind: ReportKind::Verksamhetsberattelse,
            year: 2019,
            tertial: None,
        },
        Options {
            version,
            oversight: false,
        },
    )
    .await
    .unwrap()
}

/// Data points after 2019 in a text: a value labelled with a later period ("2021: 77"), a
/// chart's axis label for one, or the later personnel figure (977).
const LATER: [&str; 5] = ["2021: ", "2020T1: ", ">2021<", ">2020T1<", "977"];

fn later_points(text: &str) -> usize {
    LATER
        .iter()
        .map(|needle| text.matches(needle).count())
        .sum()
}

#[tokio::test]
async fn the_2019_report_ends_at_2019_in_html_and_its_charts() {
    for db in demos().await {
        enter_later_outcomes(&db.store).await;
        let report = ks_2019(&db.store, Version::Board).await;
        let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
        let context: Vec<String> = LATER
            .iter()
            .filter_map(|n| {
                html.find(n)
                    .map(|i| html[i.saturating_sub(80)..(i + 40).min(html.len())].to_string())
            })
            .collect();
        assert_eq!(
            later_points(&html),
            0,
            "no data after 2019 in the HTML: {context:#?}"
        );
        // The safety index's chart still shows 2013–2019, with its data table beside it.
        let chart = report
            .walk()
            .into_iter()
            .flat_map(|(_, s)| &s.blocks)
            .find_map(|b| match b {
                Block::Chart(c) if c.title.starts_with("Betygsindex för trygghet") => Some(c),
                _ => None,
            })
            .expect("the safety index is charted");
        assert!(chart.alt.contains("2019: 51") && !chart.alt.contains("2021"));
        assert!(chart.svg.contains(">2019</text>") && !chart.svg.contains(">2021</text>"));
        assert!(html.contains("Betygsindex för trygghet: diagrammets värden"));
        // Personnel: 2019's figure, not 2021's.
        assert!(html.contains(">Personal</h2>"), "a personnel chapter");
        assert!(html.contains("Antal anställda"));
        db.finish().await;
    }
}

#[tokio::test]
async fn the_2019_workbook_ends_at_2019_and_rows_carry_their_own_status() {
    use calamine::{Data, Reader, Xlsx};
    for db in demos().await {
        enter_later_outcomes(&db.store).await;
        let report = ks_2019(&db.store, Version::Board).await;
        let bytes = render(&report, Format::Xlsx).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let rows: Vec<Vec<Data>> = wb
            .worksheet_range("Mått")
            .unwrap()
            .rows()
            .skip(4)
            .map(|r| r.to_vec())
            .collect();
        assert!(!rows.is_empty());
        let later: Vec<String> = rows
            .iter()
            .map(|r| r[5].to_string())
            .filter(|p| Period::parse(p).is_ok_and(|p| !p.covered_by(Period::Year(2019))))
            .collect();
        assert_eq!(later, Vec::<String>::new(), "no workbook row after 2019");
        let status = |indicator: &str, period: &str| {
            rows.iter()
                .find(|r| {
                    r[2] == Data::String(indicator.into())
                        && r[5] == Data::String(period.into())
                        && r[6] == Data::String("Totalt".into())
                })
                .map(|r| (r[9].to_string(), r[10].to_string(), r[11].to_string()))
                .unwrap_or_else(|| panic!("{indicator} {period}"))
        };
        // The safety index: 2019 is judged against 2017 (51 vs 55, ± 9: no significant
        // change); 2013 has no earlier value, so no trend, and no milestone for 2013.
        let (_, _, trend_2013) = status("Betygsindex för trygghet", "2013");
        assert_eq!(trend_2013, "", "no trend for the first value");
        let (_, status_2019, _) = status("Betygsindex för trygghet", "2019");
        assert!(!status_2019.is_empty());
        // Not the 2019 status copied onto every row: some indicator has rows whose status
        // differs from its 2019 row.
        let differs = rows.iter().any(|r| {
            r[6] == Data::String("Totalt".into())
                && r[5] != Data::String("2019".into())
                && rows.iter().any(|q| {
                    q[2] == r[2]
                        && q[5] == Data::String("2019".into())
                        && q[6] == r[6]
                        && (q[10] != r[10] || q[11] != r[11])
                })
        });
        assert!(differs, "earlier rows are judged for their own period");
        // The data version is in the workbook's properties, not its text.
        let props = String::from_utf8_lossy(&render(&report, Format::Xlsx).unwrap()).to_string();
        assert!(!props.is_empty());
        let text: String = rows
            .iter()
            .flat_map(|r| r.iter().map(|c| c.to_string()))
            .collect::<Vec<_>>()
            .join("|");
        assert!(!text.contains("Dataversion"));
        db.finish().await;
    }
}

fn assessment_labels(report: &Report) -> Vec<String> {
    report
        .walk()
        .into_iter()
        .flat_map(|(_, s)| &s.blocks)
        .filter_map(|b| match b {
            Block::Assessment { entries, .. } => Some(entries.iter().map(|e| e.0.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test]
async fn board_version_has_the_seed_chapters_and_no_system_proposal() {
    for db in demos().await {
        let board = ks_2019(&db.store, Version::Board).await;
        let chapters: Vec<&str> = board.chapters().map(|s| s.title.as_str()).collect();
        assert_eq!(
            chapters,
            vec![
                "Sammanfattning",
                "Vision och styrmodell",
                "Kriterier för måluppfyllelse",
                "Kommunstyrelsen",
                "Personal",
                "Ekonomi",
                "Intern kontroll",
            ]
        );
        let html = String::from_utf8(render(&board, Format::Html).unwrap()).unwrap();
        assert!(html.contains("Huddinge – en av de tre populäraste kommunerna"));
        assert!(html.contains("planera, utföra, följa upp och förbättra"));
        assert!(html.contains("Minst 90 % uppnått"));
        assert!(!html.contains("Systemets förslag"), "no system proposal");
        assert!(!html.contains("systemets förslag"));
        assert!(
            !html.contains("dataversion"),
            "no data version on the cover"
        );
        assert!(html.contains(&format!(
            "<meta name=\"uppsikt-data-version\" content=\"{}\">",
            board.meta.data_version
        )));
        assert!(!assessment_labels(&board)
            .iter()
            .any(|l| l == "Systemets förslag"));
        assert!(!chapters.contains(&"Uppsikt"), "no oversight unless chosen");

        let working = ks_2019(&db.store, Version::Working).await;
        let html = String::from_utf8(render(&working, Format::Html).unwrap()).unwrap();
        assert!(html.contains("Systemets förslag"));
        assert!(html.contains(&format!("dataversion {}", working.meta.data_version)));
        db.finish().await;
    }
}

fn tool_missing(tool: &str) -> bool {
    let missing = std::process::Command::new(tool).arg("-v").output().is_err();
    if missing && std::env::var("UPPSIKT_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("{tool} is required (apt-get install poppler-utils)");
    }
    if missing {
        uppsikt_store::testing::skipped("PDF text check", &format!("{tool} is missing"), "");
    }
    missing
}

#[tokio::test]
async fn the_2019_pdf_ends_at_2019_and_keeps_its_data_version_in_the_metadata() {
    if tool_missing("pdftotext") {
        return;
    }
    let Some(db) = demos().await.into_iter().next() else {
        return;
    };
    enter_later_outcomes(&db.store).await;
    let report = ks_2019(&db.store, Version::Board).await;
    let bytes = render(&report, Format::Pdf).unwrap();
    let path = std::env::temp_dir().join(format!("uppsikt-period-{}.pdf", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let run = |tool: &str| {
        let mut c = std::process::Command::new(tool);
        c.arg(&path);
        if tool == "pdftotext" {
            c.arg("-");
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let text = run("pdftotext");
    assert!(text.contains("Betygsindex för trygghet"));
    assert!(!text.contains("2021: "), "nothing of 2021 in the PDF");
    assert!(!text.contains("2020T1"));
    assert!(!text.contains("977"));
    assert!(!text.contains("dataversion"));
    let info = run("pdfinfo");
    assert!(
        info.contains(&format!(
            "uppsikt-data-version: {}",
            report.meta.data_version
        )),
        "{info}"
    );
    let _ = std::fs::remove_file(path);
    db.finish().await;
}
