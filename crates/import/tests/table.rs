//! Outcome tables made by real office software, on both backends: the files under
//! `tests/fixtures/` were written by LibreOffice Calc (XLSX, XLS, ODS) and by iconv
//! (Swedish Excel's Windows-1252 CSV) from committed sources; `fixtures/make.sh` says how.
//! Each is read, its columns guessed, checked against the demo database for a controller
//! and committed, and what the database holds afterwards is compared value by value.
//! Row errors name the row as the spreadsheet numbers it, in Swedish, and stop the whole
//! import; a bad row among many, a change made after the preview and a cancelled commit
//! leave the database exactly as it was.
//!
//! The unit tests in `src/table/` cover the cell grammar and CSV decoding on strings;
//! `crates/web/tests/import.rs` the upload pages. This file is about files from other
//! programs and the store path.

use std::path::PathBuf;

use uppsikt_domain::access::{Principal, Role};
use uppsikt_domain::number::NumberError;
use uppsikt_domain::{messages, Breakdown, Outcome, Period};
use uppsikt_import::progress::Progress;
use uppsikt_import::table::{
    check, commit, read_table, Change, Checked, Mapping, Table, TableSummary,
};
use uppsikt_import::{load_demo_data, ImportReport, RowError};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Counts, Scope, Store};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(name: &str) -> Table {
    read_table(name, &fixture(name), None).unwrap_or_else(|r| panic!("{name}: {r}"))
}

fn controller() -> Principal {
    Principal {
        role: Role::Controller,
        units: Vec::new(),
    }
}

/// Both backends, each holding the demo (its indicators, areas and outcomes).
async fn demo_dbs() -> Vec<TestDb> {
    let mut dbs = TestDb::all().await;
    for db in &mut dbs {
        load_demo_data(&db.store, "demo")
            .await
            .unwrap_or_else(|r| panic!("demo on {:?}: {r}", db.backend()));
    }
    dbs
}

async fn check_table(store: &Store, table: &Table) -> Checked {
    let mapping = Mapping::guess(&table.headers);
    check(store, table, &mapping, &controller())
        .await
        .unwrap_or_else(|r| panic!("{}: {r}", table.file_name))
}

async fn check_file(store: &Store, name: &str) -> Checked {
    check_table(store, &read(name)).await
}

/// Everything an import may change.
#[derive(Debug, PartialEq)]
struct State {
    version: i64,
    counts: Counts,
    outcomes: Vec<(String, Outcome)>,
    areas: Vec<String>,
}

async fn state(store: &Store) -> State {
    let mut outcomes: Vec<(String, Outcome)> = store
        .indicator_records(Scope::All)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|r| {
            let key = r.indicator.key.clone();
            r.outcomes.into_iter().map(move |o| (key.clone(), o))
        })
        .collect();
    outcomes.sort_by(|a, b| {
        (&a.0, a.1.period.to_string(), &a.1.breakdown).cmp(&(
            &b.0,
            b.1.period.to_string(),
            &b.1.breakdown,
        ))
    });
    let mut areas: Vec<String> = store
        .areas()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    areas.sort();
    State {
        version: store.data_version().await.unwrap(),
        counts: store.counts().await.unwrap(),
        outcomes,
        areas,
    }
}

/// The stored outcome of `key` for `period` and `breakdown`.
async fn stored(
    store: &Store,
    key: &str,
    period: Period,
    breakdown: &Breakdown,
) -> Option<Outcome> {
    state(store)
        .await
        .outcomes
        .into_iter()
        .find(|(k, o)| k == key && o.period == period && &o.breakdown == breakdown)
        .map(|(_, o)| o)
}

fn outcome(
    period: Period,
    breakdown: Breakdown,
    value: f64,
    margin: Option<f64>,
    sample_size: Option<i64>,
) -> Outcome {
    Outcome {
        period,
        breakdown,
        value,
        margin,
        sample_size,
    }
}

fn area(name: &str) -> Breakdown {
    Breakdown::Area(name.into())
}

const BRA_PLATS: &str = "kf-bra-plats-att-leva-och-bo";
const TRYGG: &str = "kf-trygg-utomhus";
const SJUK: &str = "ks-sjukfranvaro-total";

/// What `utfall.*` holds, row by row as the spreadsheet numbers them (row 7 is blank),
/// with what committing it does to the demo. `fraction` is what rows 4–6, typed `88,7 %`
/// and so stored by LibreOffice as the fraction 0.887 in a percent-formatted cell, give:
/// the percent shown, except from an XLS file (see the XLS test).
fn utfall_rows(fraction: bool) -> Vec<(usize, &'static str, Outcome, Change)> {
    let y = Period::Year;
    let pct = |shown: f64, stored: f64| if fraction { stored } else { shown };
    vec![
        (
            2,
            BRA_PLATS,
            outcome(y(2023), Breakdown::Total, 88.7, None, None),
            Change::Unchanged,
        ),
        (
            3,
            BRA_PLATS,
            outcome(y(2022), Breakdown::Total, 93.5, None, None),
            Change::Changed,
        ),
        (
            4,
            BRA_PLATS,
            outcome(
                y(2024),
                Breakdown::Total,
                pct(88.7, 0.887),
                Some(1.5),
                Some(1204),
            ),
            Change::New,
        ),
        (
            5,
            BRA_PLATS,
            outcome(
                y(2024),
                Breakdown::Women,
                pct(91.2, 0.912),
                Some(2.1),
                Some(618),
            ),
            Change::New,
        ),
        (
            6,
            BRA_PLATS,
            outcome(
                y(2024),
                Breakdown::Men,
                pct(86.0, 0.86),
                Some(2.3),
                Some(586),
            ),
            Change::New,
        ),
        (
            8,
            TRYGG,
            outcome(y(2024), area("Vårby"), 51.2, None, None),
            Change::New,
        ),
        (
            9,
            TRYGG,
            outcome(y(2024), area("Skogås"), 58.9, None, None),
            Change::New,
        ),
        (
            10,
            SJUK,
            outcome(Period::Tertial(2024, 1), Breakdown::Total, 4.9, None, None),
            Change::New,
        ),
        (
            11,
            SJUK,
            outcome(Period::Week(2024, 10), Breakdown::Women, 5.7, None, None),
            Change::New,
        ),
        (
            12,
            "ks-oppen-arbetsloshet-18-64",
            outcome(y(2024), Breakdown::Total, 3.8, Some(0.4), None),
            Change::New,
        ),
        (
            13,
            "ks-antal-fardigstallda-bostader",
            outcome(y(2024), Breakdown::Total, 1012.0, None, None),
            Change::New,
        ),
        (
            14,
            "ks-kommunal-skattesats",
            outcome(y(2024), Breakdown::Total, 20.37, None, None),
            Change::New,
        ),
        (
            15,
            TRYGG,
            outcome(y(2024), area("Högmora"), 47.3, None, None),
            Change::New,
        ),
    ]
}

fn rows_of(checked: &Checked) -> Vec<(usize, &str, Outcome, Change)> {
    checked
        .rows
        .iter()
        .map(|r| (r.number, &*r.indicator_key, r.outcome.clone(), r.change()))
        .collect()
}

fn messages_at(errors: &[RowError]) -> Vec<(&str, &str)> {
    errors
        .iter()
        .map(|e| (e.location.as_str(), e.message.as_str()))
        .collect()
}

// --- Reading ------------------------------------------------------------------------

/// The same table saved by LibreOffice as XLSX, XLS and ODS, and by Swedish Excel as CSV,
/// reads as the same headings, row numbers and text: å ä ö intact from every encoding,
/// the blank row 7 counted, the quoted `;` and line break inside one cell.
#[test]
fn one_table_saved_by_libreoffice_and_excel_reads_alike_with_the_spreadsheets_row_numbers() {
    let headers = [
        "Mått",
        "Period",
        "Uppdelning",
        "Värde",
        "Felmarginal",
        "Antal svarande",
        "Kommentar",
    ];
    let numbers = [2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let indicators = [
        "Invånare som upplever att kommunen är en bra plats att leva och bo på",
        BRA_PLATS,
        BRA_PLATS,
        BRA_PLATS,
        BRA_PLATS,
        "Trygg utomhus i området där du bor när det är mörkt ute, andel",
        TRYGG,
        SJUK,
        SJUK,
        "Öppen arbetslöshet 18-64 år (oktober, %)",
        "Antal färdigställda bostäder (Totalt)",
        "Kommunal skattesats (öre per skattekrona) - Huddinge kommun",
        TRYGG,
    ];
    let breakdowns = [
        "Totalt",
        "Totalt",
        "Totalt",
        "Kvinnor",
        "Män",
        "Område: Vårby",
        "Skogås",
        "Totalt",
        "Kvinnor",
        "Totalt",
        "",
        "Totalt",
        "Område: Högmora",
    ];
    // Column D as each kind of file gives it: the text typed (CSV), or LibreOffice's
    // number; percent-formatted cells as the percent shown (XLSX, ODS) or, from XLS,
    // the stored fraction.
    let typed = [
        "88,7", "93,5", "88,7 %", "91,2 %", "86,0 %", "51,2", "58,9", "4,9", "5,7", "3,8", "1 012",
        "20,37", "47,3",
    ];
    let numeric = [
        "88.7", "93.5", "88.7", "91.2", "86", "51.2", "58.9", "4.9", "5.7", "3.8", "1012", "20.37",
        "47.3",
    ];
    let mut from_xls = numeric;
    from_xls[2..5].copy_from_slice(&["0.887", "0.912", "0.86"]);
    for (name, sheet, values, periods, samples) in [
        ("utfall.csv", None, &typed, "text", "1 204"),
        ("utfall-excel.csv", None, &typed, "text", "1 204"),
        ("utfall.xlsx", Some("utfall"), &numeric, "number", "1204"),
        ("utfall.ods", Some("utfall"), &numeric, "number", "1204"),
        ("utfall.xls", Some("utfall"), &from_xls, "number", "1204"),
    ] {
        let t = read(name);
        assert_eq!(t.file_name, name);
        assert_eq!(t.sheet.as_deref(), sheet, "{name}");
        assert_eq!(t.header_row, 1, "{name}");
        assert_eq!(t.headers, headers, "{name}");
        let col = |c: usize| t.rows().map(|r| r.cell(c)).collect::<Vec<_>>();
        assert_eq!(
            t.rows().map(|r| r.number).collect::<Vec<_>>(),
            numbers,
            "{name}"
        );
        assert_eq!(col(0), indicators, "{name}");
        assert_eq!(col(2), breakdowns, "{name}");
        assert_eq!(col(3), values.to_vec(), "{name}");
        // Years are numbers in a workbook; tertials and weeks stay text everywhere.
        assert_eq!(col(1)[0], "2023", "{name} ({periods})");
        assert_eq!(col(1)[7..9], ["2024T1", "2024W10"], "{name}");
        assert_eq!(col(4)[2], if periods == "text" { "1,5" } else { "1.5" });
        assert_eq!(col(5)[2], samples, "{name}");
        assert_eq!(
            col(6)[4],
            "Svarsfrekvens 48 %; lägre än 2022",
            "{name}: a quoted `;` stays in its cell"
        );
        assert_eq!(
            col(6)[5],
            "Trygghetsvandring i Vårby\noch i Skogås",
            "{name}: a line break inside a cell does not start a row"
        );
        assert_eq!(col(6)[11], "Höjd med 50 öre", "{name}");
    }
}

// --- Check and commit ---------------------------------------------------------------

/// XLSX, ODS and both CSVs of one table give exactly the same preview against the demo:
/// `88,7` and the percent cell `88,7 %` both 88.7, `1 012` 1012, names with å ä ö found,
/// an unchanged row, a changed one and a new area. Committing the XLSX stores exactly
/// those values, with one change-log row per outcome written and one for the new area;
/// committing the ODS afterwards finds everything unchanged and writes nothing.
#[tokio::test]
async fn libreoffice_and_excel_files_check_alike_and_commit_their_exact_values_on_both_backends() {
    for db in demo_dbs().await {
        let store = &db.store;
        let before = state(store).await;
        for name in [
            "utfall.xlsx",
            "utfall.ods",
            "utfall.csv",
            "utfall-excel.csv",
        ] {
            let checked = check_file(store, name).await;
            assert_eq!(checked.errors, Vec::<RowError>::new(), "{name}");
            assert_eq!(rows_of(&checked), utfall_rows(false), "{name}");
            assert_eq!(
                messages_at(&checked.warnings),
                [("rad 15, Uppdelning", messages::new_area("Högmora").as_str())],
                "{name}"
            );
            assert_eq!(checked.ignored_columns, ["Kommentar"], "{name}");
            assert_eq!(checked.new_areas, ["Högmora"], "{name}");
            assert_eq!(
                (checked.new, checked.changed, checked.unchanged),
                (11, 1, 1),
                "{name}"
            );
            let changed = &checked.rows[1];
            assert_eq!(changed.before.as_ref().map(|o| o.value), Some(93.4));
            assert_eq!(&*changed.unit, "%");
            assert_eq!(
                &*changed.indicator_name,
                "Invånare som upplever att kommunen är en bra plats att leva och bo på"
            );
        }
        assert_eq!(state(store).await, before, "checking writes nothing");

        let checked = check_file(store, "utfall.xlsx").await;
        let summary = commit(store, &checked, "controller", &Progress::new())
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            summary,
            TableSummary {
                new: 11,
                changed: 1,
                unchanged: 1,
                new_areas: vec!["Högmora".into()],
            }
        );
        let after = state(store).await;
        assert_eq!(after.version, before.version + 1);
        assert_eq!(after.counts.outcomes, before.counts.outcomes + 11);
        assert_eq!(after.counts.change_log, before.counts.change_log + 13);
        for (number, key, o, _) in utfall_rows(false) {
            assert_eq!(
                stored(store, key, o.period, &o.breakdown).await,
                Some(o.clone()),
                "row {number} on {:?}",
                db.backend()
            );
        }
        assert!(after.areas.iter().any(|a| a == "Högmora"));
        let log = store.change_log(None, 13).await.unwrap();
        assert!(log.iter().all(|e| e.actor == "controller"), "{log:?}");
        assert_eq!(
            log.iter()
                .filter(|e| (e.action.as_str(), e.object_type.as_str()) == ("set", "outcome"))
                .count(),
            12
        );

        // The same table again, from the ODS: nothing to do, nothing written.
        let again = check_file(store, "utfall.ods").await;
        assert_eq!((again.new, again.changed, again.unchanged), (0, 0, 13));
        assert_eq!(again.new_areas, Vec::<String>::new());
        let summary = commit(store, &again, "controller", &Progress::new())
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            (summary.new, summary.changed, summary.unchanged),
            (0, 0, 13)
        );
        assert_eq!(
            state(store).await,
            after,
            "an unchanged import changes nothing"
        );
        db.finish().await;
    }
}

/// A column formatted `0,0 %` in LibreOffice holds fractions (0.887 shown as 88,7 %);
/// saved as XLSX (number format `[$-41D]0.0\ %`) or ODS (value type percentage) it
/// imports as the percent the sheet shows, margins too, and 100 % as 100, with no
/// warning. The headings are the alternative names `Indikator`, `År`, `Kön`, `Utfall`,
/// `Felmarginal (±)`.
#[tokio::test]
async fn percent_formatted_cells_from_libreoffice_import_as_the_percent_shown_on_both_backends() {
    let y = Period::Year(2024);
    let expected = vec![
        (
            2,
            TRYGG,
            outcome(y, Breakdown::Total, 65.5, Some(2.1), None),
        ),
        (3, TRYGG, outcome(y, Breakdown::Women, 58.0, None, None)),
        (4, TRYGG, outcome(y, Breakdown::Men, 73.1, None, None)),
        (5, BRA_PLATS, outcome(y, Breakdown::Total, 88.7, None, None)),
        (6, SJUK, outcome(y, Breakdown::Total, 4.9, None, None)),
        (
            7,
            "ks-fordon-fornybara-drivmedel",
            outcome(y, Breakdown::Total, 100.0, None, None),
        ),
    ];
    for name in ["procent.xlsx", "procent.ods"] {
        let t = read(name);
        assert_eq!(t.sheet.as_deref(), Some("Andelar 2024"));
        assert_eq!(
            t.rows().map(|r| r.cell(3)).collect::<Vec<_>>(),
            ["65.5", "58", "73.1", "88.7", "4.9", "100"],
            "{name}"
        );
    }
    for db in demo_dbs().await {
        let store = &db.store;
        for name in ["procent.xlsx", "procent.ods"] {
            let checked = check_file(store, name).await;
            assert_eq!(checked.errors, Vec::<RowError>::new(), "{name}");
            assert_eq!(
                checked.warnings,
                Vec::<RowError>::new(),
                "{name}: no value looks like a fraction"
            );
            let rows: Vec<_> = checked
                .rows
                .iter()
                .map(|r| (r.number, &*r.indicator_key, r.outcome.clone()))
                .collect();
            assert_eq!(rows, expected, "{name}");
        }
        let checked = check_file(store, "procent.ods").await;
        let summary = commit(store, &checked, "controller", &Progress::new())
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(summary.new, 6);
        for (_, key, o) in &expected {
            assert_eq!(
                stored(store, key, o.period, &o.breakdown).await.as_ref(),
                Some(o),
                "{key} on {:?}",
                db.backend()
            );
        }
        db.finish().await;
    }
}

/// calamine does not tell an XLS (BIFF8) cell's number format, so a percent cell from an
/// XLS file reads as its fraction: 88,7 % is 0.887. The preview says so at each such
/// row of an indicator in per cent, before anything is saved.
#[tokio::test]
async fn percent_cells_of_an_xls_file_read_as_fractions_and_the_preview_warns_at_each_row() {
    for db in demo_dbs().await {
        let checked = check_file(&db.store, "utfall.xls").await;
        assert_eq!(checked.errors, Vec::<RowError>::new());
        assert_eq!(rows_of(&checked), utfall_rows(true));
        let expected: Vec<(String, String)> = [(4, 0.887), (5, 0.912), (6, 0.86)]
            .into_iter()
            .map(|(row, v)| {
                (
                    format!("rad {row}, Värde"),
                    messages::percent_looks_like_fraction(v),
                )
            })
            .chain([(
                "rad 15, Uppdelning".to_string(),
                messages::new_area("Högmora"),
            )])
            .collect();
        let warnings: Vec<(String, String)> = checked
            .warnings
            .iter()
            .map(|w| (w.location.clone(), w.message.clone()))
            .collect();
        assert_eq!(warnings, expected);
        assert!(
            warnings[0].1.contains("0,887 betyder 88,7 %"),
            "{}",
            warnings[0].1
        );
        db.finish().await;
    }
}

// --- Row errors ---------------------------------------------------------------------

/// `fel.*`: row 2 is good, rows 3, 4, 5, 7 and 8 each have one error, row 6 is blank and
/// row 9 is good. Checks every file of it on both backends and returns, per file, the
/// errors found; asserts that only rows 2 and 9 are valid and that committing refuses
/// with the count first and changes nothing.
async fn errors_of_fel() -> Vec<(String, Vec<RowError>)> {
    let mut out = Vec::new();
    for db in demo_dbs().await {
        let store = &db.store;
        let before = state(store).await;
        for name in ["fel.xlsx", "fel.ods", "fel.csv"] {
            let checked = check_file(store, name).await;
            assert_eq!(
                checked.rows.iter().map(|r| r.number).collect::<Vec<_>>(),
                [2, 9],
                "{name}"
            );
            assert_eq!(checked.errors.len(), 5, "{name}: {:#?}", checked.errors);
            assert!(checked.errors.iter().all(|e| e.file == name));
            let refused: ImportReport = commit(store, &checked, "controller", &Progress::new())
                .await
                .expect_err("a file with errors is not committed");
            assert!(!refused.cancelled);
            assert_eq!(refused.errors[0].message, messages::table_has_errors(5));
            assert_eq!(refused.errors[1..], checked.errors[..], "{name}");
            assert_eq!(state(store).await, before, "{name}: nothing changed");
            out.push((format!("{name} on {:?}", db.backend()), checked.errors));
        }
        db.finish().await;
    }
    assert!(out.len() >= 3);
    out
}

fn assert_row_error(found: &[(String, Vec<RowError>)], location: &str, message: &str) {
    for (file, errors) in found {
        assert!(
            errors
                .iter()
                .any(|e| e.location == location && e.message == message),
            "{file}: no {location:?}: {message:?} in {:#?}",
            errors
        );
    }
}

#[tokio::test]
async fn an_unknown_indicator_is_an_error_at_its_row_and_column_and_nothing_is_committed() {
    let found = errors_of_fel().await;
    assert_row_error(
        &found,
        "rad 3, Mått",
        &messages::unknown_indicator("Trygg i Vårby"),
    );
}

#[tokio::test]
async fn a_bad_period_is_an_error_at_its_row_and_column_and_nothing_is_committed() {
    let found = errors_of_fel().await;
    let e = Period::parse("2024T4").unwrap_err();
    assert_row_error(&found, "rad 4, Period", &messages::period(&e));
    assert!(messages::period(&e).contains("2024T4"));
}

#[tokio::test]
async fn a_value_that_is_no_number_is_an_error_at_its_row_and_column_and_nothing_is_committed() {
    let found = errors_of_fel().await;
    assert_row_error(
        &found,
        "rad 5, Värde",
        &messages::number(&NumberError::NotANumber("sextio".into())),
    );
}

#[tokio::test]
async fn a_duplicate_row_is_an_error_naming_the_first_and_nothing_is_committed() {
    let found = errors_of_fel().await;
    // Row 7: the blank row 6 is counted, as the spreadsheet counts it.
    assert_row_error(
        &found,
        "rad 7",
        &messages::duplicate_outcome(
            &Period::Year(2024).label_sv(),
            &Breakdown::Total.label_sv(),
            "rad 2",
        ),
    );
}

#[tokio::test]
async fn a_percentage_outside_0_to_100_is_an_error_at_its_row_and_nothing_is_committed() {
    let found = errors_of_fel().await;
    // Typed `120 %`: a percent cell holding 1.2 in the workbooks, text in the CSV.
    assert_row_error(
        &found,
        "rad 8, Värde",
        &messages::percent_out_of_range(120.0),
    );
}

// --- All or nothing -----------------------------------------------------------------

/// Swedish-Excel-style CSV (Windows-1252, `;`, CRLF) of `n` monthly outcomes of
/// "Antal färdigställda bostäder (Totalt)" from 1980-01, with `bad` in place of the value
/// of the data row at index `bad_at`.
fn months_csv(n: usize, bad_at: Option<(usize, &str)>) -> Vec<u8> {
    let mut text = String::from("Mått;Period;Uppdelning;Värde\r\n");
    for i in 0..n {
        let (year, month) = (1980 + i / 12, i % 12 + 1);
        let value = match bad_at {
            Some((at, bad)) if at == i => bad.to_string(),
            _ => format!("{},{}", 100 + i, i % 10),
        };
        text.push_str(&format!(
            "Antal färdigställda bostäder (Totalt);{year}-{month:02};Totalt;{value}\r\n"
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// 600 good rows and one value `12,3,4` at row 302: the preview has exactly that error,
/// and committing leaves counts, data version, change log and every value as they were.
#[tokio::test]
async fn one_bad_row_among_many_good_ones_commits_nothing_on_both_backends() {
    let bytes = months_csv(601, Some((300, "12,3,4")));
    let table = read_table("månader.csv", &bytes, None).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(table.row_count(), 601);
    for db in demo_dbs().await {
        let store = &db.store;
        let before = state(store).await;
        let checked = check_table(store, &table).await;
        assert_eq!(checked.rows.len(), 600);
        assert_eq!(
            messages_at(&checked.errors),
            [(
                "rad 302, Värde",
                messages::number(&NumberError::Ambiguous("12,3,4".into())).as_str()
            )]
        );
        let report = commit(store, &checked, "controller", &Progress::new())
            .await
            .expect_err("refused");
        assert_eq!(report.errors[0].message, messages::table_has_errors(1));
        assert_eq!(state(store).await, before, "on {:?}", db.backend());
        db.finish().await;
    }
}

/// Between preview and commit someone stores an outcome that row 14 of `utfall.xlsx`
/// was previewed as adding: the commit, checking again inside its transaction, refuses
/// the whole file at that row, though the other twelve rows are still fine.
#[tokio::test]
async fn an_outcome_stored_after_the_preview_refuses_the_whole_import_on_both_backends() {
    for db in demo_dbs().await {
        let store = &db.store;
        let checked = check_file(store, "utfall.xlsx").await;
        assert_eq!(checked.rows[11].number, 14);
        assert_eq!(checked.rows[11].change(), Change::New);
        let meanwhile = outcome(Period::Year(2024), Breakdown::Total, 20.12, None, None);
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_outcome(checked.rows[11].indicator_id, &meanwhile)
            .await
            .unwrap();
        w.commit().await.unwrap();
        let before = state(store).await;

        let report = commit(store, &checked, "controller", &Progress::new())
            .await
            .expect_err("refused");
        assert_eq!(
            messages_at(&report.errors),
            [
                ("", messages::table_has_errors(1).as_str()),
                (
                    "rad 14",
                    messages::changed_since_preview(
                        &messages::outcome_value(Some(&meanwhile), 2),
                        &messages::outcome_value(None, 2),
                    )
                    .as_str()
                ),
            ]
        );
        assert_eq!(state(store).await, before, "on {:?}", db.backend());
        db.finish().await;
    }
}

/// A commit cancelled after it has written outcomes (seen in its progress) rolls back:
/// nothing of the import is left, not even the change-log rows of what it had written.
#[tokio::test]
async fn a_commit_cancelled_while_writing_leaves_nothing_on_both_backends() {
    let n = 700;
    let table = read_table("månader.csv", &months_csv(n, None), None).unwrap();
    for db in demo_dbs().await {
        let store = &db.store;
        let checked = check_table(store, &table).await;
        assert_eq!((checked.errors.len(), checked.new), (0, n));
        let before = state(store).await;
        let progress = Progress::new();
        // The test runs on one thread: the watcher gets its turns while the commit waits
        // for the database, and cancels once the first outcome is written (the progress
        // counts each row checked, then each row written).
        let watcher = {
            let progress = progress.clone();
            tokio::spawn(async move {
                while progress.snapshot().done <= n as u64 {
                    tokio::task::yield_now().await;
                }
                let at = progress.snapshot().done;
                progress.cancel();
                at
            })
        };
        let report = commit(store, &checked, "controller", &progress)
            .await
            .expect_err("cancelled");
        let cancelled_at = watcher.await.unwrap();
        assert!(
            cancelled_at > n as u64 && cancelled_at < 2 * n as u64,
            "cancelled while writing: {cancelled_at}"
        );
        assert!(report.cancelled, "{report}");
        assert_eq!(report.to_string(), messages::import_cancelled());
        assert_eq!(state(store).await, before, "on {:?}", db.backend());
        db.finish().await;
    }
}
