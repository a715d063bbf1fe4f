//! The oversight view on every backend, over the demo with its deviations: the page's
//! panel, the export workbook and the report section of the registered sources show the
//! same figures.

use std::io::Cursor;
use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx};
use uppsikt_report::model::Block;
use uppsikt_report::oversight::{self, deviations::Tallies, SOURCES};
use uppsikt_report::{build_as, Options, ReportKind, Request, Subject};
use uppsikt_store::testing::TestDb;

#[tokio::test]
async fn page_export_and_report_show_the_same_deviation_figures() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    for db in TestDb::all().await {
        let store = &db.store;
        uppsikt_import::import_files(store, &uppsikt_import::demo_files(&dir), "test")
            .await
            .unwrap();
        uppsikt_import::load_demo_deviations(store, "demo")
            .await
            .unwrap();
        let today = uppsikt_store::today();
        let t = Tallies::load(store, &today, None).await.unwrap().total;
        assert!(t.undecided > 0 && t.deviations > t.undecided, "{t:?}");

        // The page: one panel per source; the deviations' figures and tables.
        let panels = oversight::panels(store, &today).await.unwrap();
        assert_eq!(panels.len(), SOURCES.len());
        let p = &panels[0];
        assert_eq!(p.empty, None);
        let figures: Vec<(&str, usize, bool)> = p
            .figures
            .iter()
            .map(|f| (f.label.as_str(), f.value, f.alert))
            .collect();
        assert_eq!(
            figures,
            [
                ("Avvikelser utan beslut", t.undecided, true),
                (
                    "Beslut utan åtgärd",
                    t.decided_without_action,
                    t.decided_without_action > 0
                ),
                (
                    "Försenade åtgärder",
                    t.overdue_actions,
                    t.overdue_actions > 0
                ),
                (
                    "Genomförda åtgärder med okänd effekt",
                    t.done_effect_unknown,
                    t.done_effect_unknown > 0
                ),
                ("Avvikelser totalt", t.deviations, false),
            ]
        );
        assert_eq!(p.figures[0].link, "/uppsikt/list?concern=undecided");
        let captions: Vec<&str> = p.tables.iter().map(|t| t.caption.as_str()).collect();
        assert_eq!(captions, ["Per nämnd och styrelse", "Per område"]);
        assert_eq!(p.tables[0].total.cells[0].value, t.deviations.to_string());
        assert_eq!(p.remarks.len(), 1, "the oldest undecided's age");

        // The export: the deviations' two sheets, with the same totals (internal
        // control's and the audit recommendations' sheets after them).
        let bytes = oversight::workbook(store, &today).await.unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            [
                "Sammanställning",
                "Avvikelser",
                "Intern kontroll",
                "Revision per nämnd",
                "Revision rekommendationer"
            ]
        );
        let summary = wb.worksheet_range("Sammanställning").unwrap();
        let total = summary
            .rows()
            .find(|r| r[0] == Data::String("Totalt".into()))
            .unwrap();
        assert_eq!(total[1], Data::Float(t.deviations as f64));
        assert_eq!(total[2], Data::Float(t.undecided as f64));
        let list = wb.worksheet_range("Avvikelser").unwrap();
        assert_eq!(list.height(), t.deviations + 1, "a header and one row each");

        // The report: the deviations' section of KS's report counts KS's deviations.
        let ks = store.find_org_unit("KS").await.unwrap().id;
        let k = Tallies::load(store, &today, Some(ks)).await.unwrap().total;
        // The oversight is a chapter only when chosen.
        let report = build_as(
            store,
            Request {
                subject: Subject::Unit(ks),
                kind: ReportKind::Verksamhetsberattelse,
                year: 2019,
                tertial: None,
            },
            Options {
                oversight: true,
                ..Options::default()
            },
        )
        .await
        .unwrap();
        let section = report
            .sections
            .iter()
            .find(|s| s.title == "Uppsikt: avvikelser, beslut och åtgärder")
            .unwrap();
        let Block::Paragraph { text } = &section.blocks[0] else {
            panic!("{:?}", section.blocks[0]);
        };
        assert!(
            text.contains(&format!(
                ": {} avvikelser, varav {} utan beslut",
                k.deviations, k.undecided
            )),
            "{text}"
        );
        db.finish().await;
    }
}
