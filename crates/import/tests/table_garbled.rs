//! Whatever the bytes, `read_table` answers with a table or a report naming the file; it
//! never panics. Damaged copies of the LibreOffice and Excel fixtures (bytes changed,
//! files cut short, the XML inside a workbook edited and zipped again) are read like
//! arbitrary bytes. And however valid and invalid rows mix, `check` + `commit` write
//! every row or nothing.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uppsikt_domain::access::{Principal, Role};
use uppsikt_import::progress::Progress;
use uppsikt_import::table::{check, commit, read_table, Mapping, Table, MAX_COLUMNS};
use uppsikt_import::{load_demo_data, ImportReport};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Scope, Store};

const FIXTURES: [&str; 12] = [
    "utfall.csv",
    "utfall-excel.csv",
    "utfall.xlsx",
    "utfall.xls",
    "utfall.ods",
    "fel.csv",
    "fel.xlsx",
    "fel.ods",
    "procent.xlsx",
    "procent.ods",
    // Not a spreadsheet we read, but XML a user might upload by mistake.
    "procent.fods",
    "make.sh",
];

fn fixtures() -> &'static [(&'static str, Vec<u8>)] {
    static FILES: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        FIXTURES
            .iter()
            .map(|name| {
                let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                (*name, bytes)
            })
            .collect()
    })
}

/// A zip archive's members, decompressed: (member name, bytes).
type Members = Vec<(String, Vec<u8>)>;

/// The workbooks' zip members: (fixture, members).
fn members() -> &'static [(&'static str, Members)] {
    static MEMBERS: OnceLock<Vec<(&'static str, Members)>> = OnceLock::new();
    MEMBERS.get_or_init(|| {
        fixtures()
            .iter()
            .filter(|(_, bytes)| bytes.starts_with(b"PK"))
            .map(|(name, bytes)| {
                let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
                let names: Vec<String> = zip.file_names().map(str::to_string).collect();
                let members = names
                    .into_iter()
                    .map(|member| {
                        let mut content = Vec::new();
                        zip.by_name(&member)
                            .unwrap()
                            .read_to_end(&mut content)
                            .unwrap();
                        (member, content)
                    })
                    .collect();
                (*name, members)
            })
            .collect()
    })
}

/// A zip of `members`, stored uncompressed.
fn rezip(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Reads `bytes` as `name` and checks what comes back: a report names the file and says
/// something; a table has a header, rows numbered below it in order, no row wider than
/// the headings and no more columns than allowed.
fn read_checked(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    match read_table(name, bytes, None) {
        Err(report) => {
            prop_assert!(!report.errors.is_empty());
            for e in &report.errors {
                prop_assert_eq!(&e.file, name);
                prop_assert!(!e.message.trim().is_empty());
            }
        }
        Ok(table) => {
            prop_assert!(table.row_count() > 0);
            prop_assert!(table.header_row >= 1);
            prop_assert!(!table.headers.is_empty() && table.headers.len() <= MAX_COLUMNS);
            let mut last = table.header_row;
            for row in table.rows() {
                prop_assert!(row.number > last, "{} after {}", row.number, last);
                prop_assert!(row.width() <= table.headers.len());
                last = row.number;
            }
            // Whatever was read, guessing and checking its columns does not panic either.
            let mapping = Mapping::guess(&table.headers);
            let _ = mapping.missing();
        }
    }
    Ok(())
}

/// Values a damaged file might carry where a count or a size belongs.
fn awkward_number() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(255),
        Just(65_535),
        Just(1_048_576),
        Just(2_147_483_647),
        Just(4_294_967_295),
        Just(4_294_967_296),
        Just(9_007_199_254_740_993),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

/// One change to a file's bytes.
#[derive(Debug, Clone)]
enum Edit {
    /// Overwrite the byte at (position modulo length).
    Byte(usize, u8),
    /// Overwrite four bytes with a little-endian number (a record length, a sector id).
    Word(usize, u32),
    /// Remove up to `len` bytes.
    Delete(usize, usize),
    /// Repeat up to `len` bytes in place.
    Repeat(usize, usize),
    /// Replace the run of digits nearest the position with a number (XML attributes:
    /// repeat counts, spans, style indices, cell references).
    Digits(usize, u64),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Byte(p, b)),
        (any::<usize>(), awkward_number()).prop_map(|(p, n)| Edit::Word(p, n as u32)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Repeat(p, n)),
        (any::<usize>(), awkward_number()).prop_map(|(p, n)| Edit::Digits(p, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    if bytes.is_empty() {
        return;
    }
    let at = |p: usize| p % bytes.len();
    match *edit {
        Edit::Byte(p, b) => {
            let i = at(p);
            bytes[i] = b;
        }
        Edit::Word(p, w) => {
            let i = at(p);
            for (k, b) in w.to_le_bytes().into_iter().enumerate() {
                if let Some(slot) = bytes.get_mut(i + k) {
                    *slot = b;
                }
            }
        }
        Edit::Delete(p, n) => {
            let i = at(p);
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Edit::Repeat(p, n) => {
            let i = at(p);
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(i..i, copy);
        }
        Edit::Digits(p, n) => {
            let start = at(p);
            let Some(first) = (start..bytes.len())
                .chain(0..start)
                .find(|&i| bytes[i].is_ascii_digit())
            else {
                return;
            };
            let end = (first..bytes.len())
                .find(|&i| !bytes[i].is_ascii_digit())
                .unwrap_or(bytes.len());
            bytes.splice(first..end, n.to_string().into_bytes());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        magic in prop_oneof![
            Just(&b""[..]),
            Just(&b"PK\x03\x04"[..]),
            Just(&b"PK\x05\x06"[..]),
            Just(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..]),
            Just(&b"\xEF\xBB\xBF"[..]),
            Just(&b"\xFF\xFE"[..]),
            Just(&b"sep="[..]),
        ],
        name in prop_oneof![
            Just("a.csv"), Just("a.xlsx"), Just("a.xls"), Just("a.ods"), Just("utan-ändelse"),
        ],
    ) {
        let mut file = magic.to_vec();
        file.extend_from_slice(&bytes);
        read_checked(name, &file)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[;,\t\"\\r\\n a-zåäöÅÄÖ0-9%±:-]{0,400}") {
        read_checked("text.csv", text.as_bytes())?;
    }

    #[test]
    fn fixtures_with_changed_bytes_never_panic(
        file in 0..FIXTURES.len(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let (name, bytes) = &fixtures()[file];
        let mut bytes = bytes.clone();
        for e in &edits {
            apply(&mut bytes, e);
        }
        read_checked(name, &bytes)?;
    }

    #[test]
    fn fixtures_cut_short_never_panic(file in 0..FIXTURES.len(), cut in any::<usize>()) {
        let (name, bytes) = &fixtures()[file];
        let len = cut % (bytes.len() + 1);
        read_checked(name, &bytes[..len])?;
    }

    /// The XML (or any member) inside an XLSX or ODS fixture edited, then zipped again:
    /// damage that passes the zip layer and reaches the workbook readers and the style,
    /// size and merge scans.
    #[test]
    fn workbooks_with_edited_members_never_panic(
        file in any::<usize>(),
        member in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..5),
        drop_member in any::<bool>(),
    ) {
        let (name, members) = &members()[file % members().len()];
        let mut members = members.clone();
        let i = member % members.len();
        if drop_member && edits.len() == 1 {
            members.remove(i);
        } else {
            for e in &edits {
                apply(&mut members[i].1, e);
            }
        }
        read_checked(name, &rezip(&members))?;
    }
}

#[test]
fn the_fixtures_zipped_again_read_as_before() {
    for (name, members) in members() {
        let original = fixtures().iter().find(|(n, _)| n == name).unwrap();
        let before = read_table(name, &original.1, None).unwrap_or_else(|r| panic!("{r}"));
        let after = read_table(name, &rezip(members), None).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(before, after, "{name}");
    }
}

// --- All or nothing -----------------------------------------------------------------

/// Indicators of the demo: key, exact name, whether in per cent.
const INDICATORS: [(&str, &str, bool); 5] = [
    (
        "kf-trygg-utomhus",
        "Trygg utomhus i området där du bor när det är mörkt ute, andel",
        true,
    ),
    ("ks-sjukfranvaro-total", "Sjukfrånvaro (total)", true),
    (
        "ks-antal-fardigstallda-bostader",
        "Antal färdigställda bostäder (Totalt)",
        false,
    ),
    ("ks-betygsindex-trygghet", "Betygsindex för trygghet", false),
    (
        "ks-kommunal-skattesats",
        "Kommunal skattesats (öre per skattekrona) - Huddinge kommun",
        false,
    ),
];
const PERIODS: [&str; 6] = ["2019", "2024", "2025", "2024T2", "2024-03", "2024W07"];
const BREAKDOWNS: [&str; 5] = ["Totalt", "Kvinnor", "män", "Område: Vårby", "skogås"];

/// One row of a random table.
#[derive(Debug, Clone)]
enum Row {
    /// Valid on its own: indicator (by key or name), period, breakdown, value in tenths
    /// (within 0–100 for an indicator in per cent).
    Good {
        indicator: usize,
        by_name: bool,
        period: usize,
        breakdown: usize,
        tenths: u32,
    },
    UnknownIndicator,
    BadPeriod(&'static str),
    NotANumber(&'static str),
    PercentOutOfRange(&'static str),
}

/// A wrong row to put into a table of valid ones.
#[derive(Debug, Clone)]
enum Wrong {
    Row(Row),
    /// The valid row at this index (modulo their count) once more.
    Repeat(usize),
}

/// Tables of distinct valid rows (by key or by name, any value), and in about a third of
/// them one to three wrong rows: invalid on their own, or repeating a valid row.
fn rows() -> impl Strategy<Value = Vec<Row>> {
    let keys: Vec<(usize, usize, usize)> = (0..INDICATORS.len())
        .flat_map(|i| {
            (0..PERIODS.len()).flat_map(move |p| (0..BREAKDOWNS.len()).map(move |b| (i, p, b)))
        })
        .collect();
    let good = prop::sample::subsequence(keys, 1..30)
        .prop_shuffle()
        .prop_flat_map(|keys| {
            let n = keys.len();
            (
                Just(keys),
                prop::collection::vec((any::<bool>(), 0u32..=1000), n),
            )
        })
        .prop_map(|(keys, looks)| {
            keys.into_iter()
                .zip(looks)
                .map(
                    |((indicator, period, breakdown), (by_name, tenths))| Row::Good {
                        indicator,
                        by_name,
                        period,
                        breakdown,
                        tenths,
                    },
                )
                .collect::<Vec<_>>()
        });
    let wrong = prop_oneof![
        Just(Wrong::Row(Row::UnknownIndicator)),
        prop_oneof![
            Just("2024T4"),
            Just("2024-13"),
            Just("2024-03-01"),
            Just("tjugo")
        ]
        .prop_map(|p| Wrong::Row(Row::BadPeriod(p))),
        prop_oneof![
            Just("sextio"),
            Just("12,3,4"),
            Just("#DIV/0!"),
            Just("88,7 %")
        ]
        .prop_map(|v| Wrong::Row(Row::NotANumber(v))),
        prop_oneof![Just("100,1"), Just("-0,5"), Just("250")]
            .prop_map(|v| Wrong::Row(Row::PercentOutOfRange(v))),
        any::<usize>().prop_map(Wrong::Repeat),
    ];
    let extras = prop_oneof![
        2 => Just(Vec::new()),
        1 => prop::collection::vec((wrong, any::<usize>()), 1..4),
    ];
    (good, extras).prop_map(|(mut rows, extras)| {
        let valid = rows.clone();
        for (wrong, at) in extras {
            let row = match wrong {
                Wrong::Row(row) => row,
                Wrong::Repeat(i) => valid[i % valid.len()].clone(),
            };
            let at = at % (rows.len() + 1);
            rows.insert(at, row);
        }
        rows
    })
}

/// The rows as a CSV (`;` or tab; UTF-8 or Windows-1252), and whether any row is wrong:
/// invalid on its own, or repeating an earlier row's indicator, period and breakdown.
fn table_file(rows: &[Row], tab: bool, cp1252: bool) -> (Vec<u8>, bool) {
    let sep = if tab { "\t" } else { ";" };
    let mut text = ["Mått", "Period", "Uppdelning", "Värde"].join(sep) + "\r\n";
    let mut seen = HashSet::new();
    let mut wrong = false;
    for r in rows {
        let cells: [String; 4] = match *r {
            Row::Good {
                indicator,
                by_name,
                period,
                breakdown,
                tenths,
            } => {
                let (key, name, percent) = INDICATORS[indicator];
                // Areas and Kvinnor/Män are one breakdown whatever their case.
                wrong |= !seen.insert((indicator, period, breakdown));
                let tenths = if percent { tenths } else { tenths * 7 };
                [
                    (if by_name { name } else { key }).to_string(),
                    PERIODS[period].to_string(),
                    BREAKDOWNS[breakdown].to_string(),
                    format!("{},{}", tenths / 10, tenths % 10),
                ]
            }
            Row::UnknownIndicator => {
                wrong = true;
                ["Okänt mått för Vårby", "2024", "Totalt", "1"].map(String::from)
            }
            Row::BadPeriod(p) => {
                wrong = true;
                ["kf-trygg-utomhus", p, "Totalt", "1"].map(String::from)
            }
            Row::NotANumber(v) => {
                wrong = true;
                ["ks-antal-fardigstallda-bostader", "2024", "Totalt", v].map(String::from)
            }
            Row::PercentOutOfRange(v) => {
                wrong = true;
                ["ks-sjukfranvaro-total", "2024", "Kvinnor", v].map(String::from)
            }
        };
        text.push_str(&cells.join(sep));
        text.push_str("\r\n");
    }
    let bytes = if cp1252 {
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable);
        bytes.into_owned()
    } else {
        text.into_bytes()
    };
    (bytes, wrong)
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    version: i64,
    outcomes: i64,
    change_log: i64,
    values: Vec<(String, String, String, u64)>,
}

async fn snapshot(store: &Store) -> Snapshot {
    let counts = store.counts().await.unwrap();
    let mut values: Vec<_> = store
        .indicator_records(Scope::All)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|r| {
            let key = r.indicator.key;
            r.outcomes.into_iter().map(move |o| {
                (
                    key.clone(),
                    o.period.to_string(),
                    o.breakdown.code(),
                    o.value.to_bits(),
                )
            })
        })
        .collect();
    values.sort();
    Snapshot {
        version: store.data_version().await.unwrap(),
        outcomes: counts.outcomes,
        change_log: counts.change_log,
        values,
    }
}

async fn all_or_nothing(store: &Store, table: &Table, wrong: bool) -> Result<(), TestCaseError> {
    let principal = Principal {
        role: Role::Controller,
        units: Vec::new(),
    };
    let mapping = Mapping::guess(&table.headers);
    let checked = check(store, table, &mapping, &principal)
        .await
        .map_err(|r| TestCaseError::fail(r.to_string()))?;
    prop_assert_eq!(
        checked.errors.is_empty(),
        !wrong,
        "errors: {:#?}",
        checked.errors
    );
    let before = snapshot(store).await;
    let result: Result<_, ImportReport> =
        commit(store, &checked, "egenskap", &Progress::new()).await;
    let after = snapshot(store).await;
    match result {
        Err(report) => {
            prop_assert!(wrong, "refused a good table: {}", report);
            prop_assert_eq!(after, before, "a refused import changed the database");
        }
        Ok(summary) => {
            prop_assert!(!wrong);
            prop_assert_eq!(
                summary.new + summary.changed + summary.unchanged,
                table.row_count()
            );
            prop_assert_eq!(after.outcomes, before.outcomes + summary.new as i64);
            let written = summary.new + summary.changed;
            let areas = summary.new_areas.len();
            prop_assert_eq!(
                after.change_log,
                before.change_log + (written + areas) as i64
            );
            prop_assert_eq!(
                after.version,
                before.version + i64::from(written + areas > 0)
            );
            // Every row is stored as checked.
            for row in &checked.rows {
                let o = &row.outcome;
                let found = after.values.iter().any(|(k, p, b, v)| {
                    k.as_str() == &*row.indicator_key
                        && p == &o.period.to_string()
                        && b == &o.breakdown.code()
                        && *v == o.value.to_bits()
                });
                prop_assert!(found, "row {} not stored as {:?}", row.number, o);
            }
        }
    }
    Ok(())
}

/// Random tables of valid rows, invalid ones and repeats, checked and committed one after
/// another into one SQLite database holding the demo: each commits every row or nothing.
#[test]
fn random_tables_commit_every_row_or_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(async {
        let db = TestDb::sqlite().await;
        load_demo_data(&db.store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        db
    });
    let strategy = (rows(), any::<bool>(), any::<bool>());
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let (committed, refused) = (Cell::new(0), Cell::new(0));
    let result = runner.run(&strategy, |(rows, tab, cp1252)| {
        let (bytes, wrong) = table_file(&rows, tab, cp1252);
        let table = read_table("slump.csv", &bytes, None)
            .map_err(|r| TestCaseError::fail(r.to_string()))?;
        prop_assert_eq!(table.row_count(), rows.len());
        let count = if wrong { &refused } else { &committed };
        count.set(count.get() + 1);
        rt.block_on(all_or_nothing(&db.store, &table, wrong))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (committed, refused) = (committed.get(), refused.get());
    eprintln!("{committed} tables committed, {refused} refused");
    assert!(committed > 10 && refused > 10, "{committed} / {refused}");
    rt.block_on(db.finish());
}
