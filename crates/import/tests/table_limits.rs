//! What a file may hold, in bytes: files built to expand when read (a zip bomb, a member
//! lying about its size, one shared string in every cell, LABELSST records in an XLS, a
//! repeated ODS cell, …) are refused with the reason in Swedish before they take memory
//! out of proportion to the limits; ordinary files pass; and random changes to any of
//! them never make a reader panic.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uppsikt_domain::messages;
use uppsikt_import::table::samples::{self, Member};
use uppsikt_import::table::{
    read_table, MAX_CELLS, MAX_CELL_BYTES, MAX_MEMBERS, MAX_MEMBER_BYTES, MAX_MERGED_REGIONS,
    MAX_RATIO, MAX_SHARED_STRINGS, MAX_TEXT_BYTES, MAX_TOKEN_BYTES, MAX_WORKBOOK_CELLS,
};

fn refusal(name: &str, bytes: &[u8]) -> String {
    match read_table(name, bytes, None) {
        Ok(t) => panic!("{name}: read {} rows", t.row_count()),
        Err(report) => {
            assert_eq!(report.errors.len(), 1, "{name}: {report}");
            report.errors[0].message.clone()
        }
    }
}

fn keys() -> Vec<String> {
    (1..=40).map(|i| format!("matt-{i}")).collect()
}

const SHEET_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
    <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";

/// An XLSX whose sheet is `rows` (XML inside `<sheetData>`), with `shared` strings.
fn xlsx(rows: &str, shared: Option<&str>) -> Vec<u8> {
    let sheet = format!("{SHEET_HEAD}{rows}</sheetData></worksheet>");
    let shared = shared.map(|si| {
        Member::deflated(
            "xl/sharedStrings.xml",
            format!("<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">{si}</sst>")
                .as_bytes(),
        )
    });
    samples::zip(&samples::xlsx_members(
        Member::deflated("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        shared,
    ))
}

#[test]
fn files_built_to_expand_are_refused_with_the_reason() {
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        // One cell of 4 GiB of text, declared honestly (zip64), packed to 4 MB.
        (
            "bomb.xlsx",
            samples::zip_bomb_xlsx(4 << 30),
            messages::unpacks_too_large(MAX_MEMBER_BYTES >> 20),
        ),
        // 16 MiB of text declared, packed 1 000 times.
        (
            "packad.xlsx",
            samples::zip_bomb_xlsx(16 << 20),
            messages::packed_too_tightly(MAX_RATIO),
        ),
        // The member says 4 kB and holds 1 GiB.
        (
            "ljuger.xlsx",
            samples::lying_member_xlsx(1 << 30, 4096),
            messages::workbook_damaged(),
        ),
        // One shared string of 32 KiB in 256 000 cells.
        (
            "delad-text.xlsx",
            samples::shared_string_xlsx(32 * 1024, 1_000),
            messages::text_too_large(MAX_TEXT_BYTES >> 20),
        ),
        // One shared string of 8 000 characters in 100 000 LABELSST records.
        (
            "labelsst.xls",
            samples::labelsst_xls(8_000, 100_000),
            messages::text_too_large(MAX_TEXT_BYTES >> 20),
        ),
        // A cell of 30 kB repeated over 256 columns and 500 rows.
        (
            "upprepad.ods",
            samples::repeated_cell_ods(30_000, 500),
            messages::text_too_large(MAX_TEXT_BYTES >> 20),
        ),
    ];
    for (name, bytes, expected) in cases {
        assert!(bytes.len() < 8 << 20, "{name}: {} bytes", bytes.len());
        let started = std::time::Instant::now();
        assert_eq!(refusal(name, &bytes), expected, "{name}");
        eprintln!(
            "{name}: {} bytes, refused in {:?}",
            bytes.len(),
            started.elapsed()
        );
    }
}

/// `len` letters that do not repeat (a real sheet's text packs a few times, not a
/// thousand).
fn noise(len: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b'a' + ((x >> 33) % 26) as u8)
        })
        .collect()
}

#[test]
fn a_value_longer_than_a_cell_holds_is_refused_however_it_is_written() {
    let too_long = messages::cell_too_long(None, MAX_CELL_BYTES / 1024);
    let text = noise(MAX_CELL_BYTES + 1);
    // In pieces between comments: no piece is long, the value is.
    let pieces: String = text.chars().map(|c| format!("{c}<!---->")).collect();
    // An inline string of many runs.
    let runs: String = text
        .as_bytes()
        .chunks(16)
        .map(|c| format!("<r><t>{}</t></r>", std::str::from_utf8(c).unwrap()))
        .collect();
    for (what, cell) in [
        ("text", format!("<c r=\"A2\" t=\"str\"><v>{text}</v></c>")),
        (
            "pieces",
            format!("<c r=\"A2\" t=\"str\"><v>{pieces}</v></c>"),
        ),
        (
            "runs",
            format!("<c r=\"A2\" t=\"inlineStr\"><is>{runs}</is></c>"),
        ),
    ] {
        let rows = format!(
            "<row r=\"1\"><c r=\"A1\" t=\"str\"><v>Mått</v></c></row><row r=\"2\">{cell}</row>"
        );
        assert_eq!(refusal("a.xlsx", &xlsx(&rows, None)), too_long, "{what}");
    }
    // A shared string of that length, and an element longer than the XML reader buffers.
    let shared = format!("<si><t>{text}</t></si>");
    let one = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>";
    assert_eq!(refusal("a.xlsx", &xlsx(one, Some(&shared))), too_long);
    let endless = format!(
        "<row r=\"1\"><c r=\"A1\" a=\"{}\"/></row>",
        noise(MAX_TOKEN_BYTES as usize)
    );
    assert_eq!(refusal("a.xlsx", &xlsx(&endless, None)), too_long);
    // CSV: one field over the limit, named by its place.
    let csv = format!("Mått;Värde\na;{text}\n");
    assert_eq!(
        refusal("a.csv", csv.as_bytes()),
        messages::cell_too_long(Some("B2"), MAX_CELL_BYTES / 1024)
    );
    // At the limit, it is read.
    let csv = format!("Mått;Värde\na;{}\n", &text[1..]);
    assert_eq!(
        read_table("a.csv", csv.as_bytes(), None)
            .unwrap()
            .row_count(),
        1
    );
}

#[test]
fn counts_that_calamine_would_keep_whole_are_limited() {
    // Members.
    let members: Vec<Member> = (0..=MAX_MEMBERS)
        .map(|i| Member::deflated(&format!("x/{i}.xml"), b"<a/>"))
        .chain(samples::xlsx_members(
            Member::deflated("xl/worksheets/sheet1.xml", b"<worksheet/>"),
            None,
        ))
        .collect();
    assert_eq!(
        refusal("a.xlsx", &samples::zip(&members)),
        messages::too_many_members(MAX_MEMBERS)
    );
    // Shared strings: one more than allowed.
    let many: String = (0..=MAX_SHARED_STRINGS)
        .map(|i| format!("<si><t>{i}</t></si>"))
        .collect();
    assert_eq!(
        refusal("a.xlsx", &xlsx("", Some(&many))),
        messages::too_many_shared_strings(MAX_SHARED_STRINGS)
    );
    // Merged regions.
    let merged = format!(
        "<row r=\"1\"><c r=\"A1\" t=\"str\"><v>Mått</v></c></row></sheetData><mergeCells>{}</mergeCells><sheetData>",
        (0..=MAX_MERGED_REGIONS)
            .map(|i| format!("<mergeCell ref=\"A{0}:B{0}\"/>", i + 2))
            .collect::<String>()
    );
    assert_eq!(
        refusal("a.xlsx", &xlsx(&merged, None)),
        messages::too_many_merged_regions(MAX_MERGED_REGIONS)
    );
    // Merged regions within the count, but covering a million rows each below a row far
    // down: the fill is refused before it walks their area.
    let rows = "<row r=\"1\"><c r=\"A1\" t=\"str\"><v>Mått</v></c></row>\
                <row r=\"2\"><c r=\"A2\" t=\"str\"><v>a</v></c></row>\
                <row r=\"1000000\"><c r=\"A1000000\" t=\"str\"><v>b</v></c></row>";
    let regions = "<mergeCell ref=\"A2:IV1000000\"/>".repeat(1_000);
    let sheet = format!("{rows}</sheetData><mergeCells>{regions}</mergeCells><sheetData>");
    let started = std::time::Instant::now();
    assert_eq!(
        refusal("a.xlsx", &xlsx(&sheet, None)),
        messages::table_too_large(MAX_CELLS)
    );
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

#[test]
fn workbooks_laid_out_whole_are_limited_over_all_their_sheets() {
    // A sheet laid out wider than the workbook may hold, over two sheets of an ODS.
    let half = MAX_WORKBOOK_CELLS / 256 / 2 + 1;
    let sheet = |name: &str| {
        format!(
            "<table:table table:name=\"{name}\"><table:table-row table:number-rows-repeated=\"{half}\">\
             <table:table-cell table:number-columns-repeated=\"256\" office:value=\"1\"/>\
             </table:table-row></table:table>"
        )
    };
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">\
         <office:body><office:spreadsheet>{}{}</office:spreadsheet></office:body></office:document-content>",
        sheet("Utfall"),
        sheet("Blad2")
    );
    let ods = samples::ods(&content);
    assert_eq!(
        refusal("a.ods", &ods),
        messages::table_too_large(MAX_WORKBOOK_CELLS)
    );
    // The same LABELSST records over a short string pass.
    let fine = samples::labelsst_xls(10, 10_000);
    assert_eq!(read_table("a.xls", &fine, None).unwrap().row_count(), 49);
}

#[test]
fn ordinary_files_pass_the_limits() {
    let keys = keys();
    let csv = samples::outcomes_csv(&keys, 20_000);
    let xlsx = samples::outcomes_xlsx(&keys, 20_000);
    let mut kept = Vec::new();
    for (name, bytes) in [("utfall.csv", &csv), ("utfall.xlsx", &xlsx)] {
        let table = read_table(name, bytes, None).unwrap_or_else(|r| panic!("{name}: {r}"));
        assert_eq!(table.row_count(), 20_000, "{name}");
        assert_eq!(table.headers.len(), 6, "{name}");
        assert_eq!(table.rows().last().unwrap().number, 20_001);
        kept.push(table.heap_bytes());
    }
    // The table keeps its text and 12 bytes a cell (and 4 a row): about three times the
    // CSV of these short cells, whichever file the rows came from.
    assert!(
        kept[0] < csv.len() * 7 / 2,
        "{} kept for {}",
        kept[0],
        csv.len()
    );
    assert!(kept[1] < kept[0] * 6 / 5, "{} kept for the XLSX", kept[1]);
}

// --- Random changes --------------------------------------------------------------------

/// Whether `message` is one of the readers' Swedish messages about a whole file.
fn is_swedish_refusal(message: &str) -> bool {
    [
        "Filen ",
        "Cellen ",
        "En cell ",
        "Bladet ",
        "Det står något i kolumn",
        "” är ingen fil som kan läsas",
        "” ser inte ut att vara en kalkylbladsfil",
    ]
    .iter()
    .any(|p| message.contains(p))
}

/// Reads `bytes` and checks the answer: a table within the limits, or one Swedish
/// message naming the file.
fn read_within_limits(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    match read_table(name, bytes, None) {
        Ok(table) => {
            prop_assert!(table.row_count() > 0);
            let text: usize = table
                .rows()
                .map(|r| r.cells().iter().map(|c| c.len()).sum::<usize>())
                .sum();
            prop_assert!(text <= MAX_TEXT_BYTES);
            prop_assert!(table.heap_bytes() < 2 * MAX_TEXT_BYTES + 12 * MAX_CELLS);
        }
        Err(report) => {
            for e in &report.errors {
                prop_assert_eq!(&e.file, name);
                prop_assert!(is_swedish_refusal(&e.message), "{}", e.message);
            }
        }
    }
    Ok(())
}

/// Small files of every kind, ordinary and built to expand.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let keys = keys();
    vec![
        ("utfall.csv", samples::outcomes_csv(&keys, 30)),
        ("utfall.xlsx", samples::outcomes_xlsx(&keys, 30)),
        ("delad-text.xlsx", samples::shared_string_xlsx(64, 3)),
        ("labelsst.xls", samples::labelsst_xls(20, 50)),
        ("upprepad.ods", samples::repeated_cell_ods(20, 3)),
        ("bomb.xlsx", samples::zip_bomb_xlsx(3_000)),
    ]
}

/// One change: a byte, a little-endian number, a run of digits (a repeat count, a size,
/// an index) replaced, or bytes removed.
#[derive(Debug, Clone)]
enum Edit {
    Byte(usize, u8),
    Word(usize, u32),
    Digits(usize, u64),
    Delete(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let number = prop_oneof![
        Just(0u64),
        Just(255),
        Just(65_535),
        Just(1 << 20),
        Just(u32::MAX as u64),
        any::<u64>()
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Byte(p, b)),
        (any::<usize>(), number.clone()).prop_map(|(p, n)| Edit::Word(p, n as u32)),
        (any::<usize>(), number).prop_map(|(p, n)| Edit::Digits(p, n)),
        (any::<usize>(), 1usize..32).prop_map(|(p, n)| Edit::Delete(p, n)),
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
        Edit::Digits(p, n) => {
            let start = at(p);
            let Some(first) = (start..bytes.len()).find(|&i| bytes[i].is_ascii_digit()) else {
                return;
            };
            let end = (first..bytes.len())
                .find(|&i| !bytes[i].is_ascii_digit())
                .unwrap_or(bytes.len());
            bytes.splice(first..end, n.to_string().into_bytes());
        }
        Edit::Delete(p, n) => {
            let i = at(p);
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
    }
}

#[test]
fn changed_files_of_every_kind_are_read_within_the_limits_or_refused_in_swedish() {
    let seeds = seeds();
    let tried = Cell::new(0u64);
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), prop::collection::vec(edit(), 1..4));
    let result = runner.run(&strategy, |(seed, edits)| {
        tried.set(tried.get() + 1);
        let (name, bytes) = &seeds[seed];
        let mut bytes = bytes.clone();
        for e in &edits {
            apply(&mut bytes, e);
        }
        read_within_limits(name, &bytes)
    });
    eprintln!("{} changed files read", tried.get());
    result.unwrap();
}

/// A zip archive's members, unpacked: (name, bytes).
type Members = Vec<(String, Vec<u8>)>;

#[test]
fn changed_xml_inside_workbooks_is_read_within_the_limits_or_refused_in_swedish() {
    // The changes made to the XML of a member, then zipped again: they reach the
    // checks and calamine instead of the zip layer.
    let keys = keys();
    let members: Vec<(&str, Members)> = [
        ("utfall.xlsx", samples::outcomes_xlsx(&keys, 20)),
        ("delad-text.xlsx", samples::shared_string_xlsx(64, 2)),
        ("upprepad.ods", samples::repeated_cell_ods(20, 3)),
    ]
    .into_iter()
    .map(|(name, bytes)| {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let members = (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut content = Vec::new();
                f.read_to_end(&mut content).unwrap();
                (f.name().to_string(), content)
            })
            .collect();
        (name, members)
    })
    .collect();
    let tried = Cell::new(0u64);
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..members.len(),
        any::<usize>(),
        prop::collection::vec(edit(), 1..4),
    );
    let result = runner.run(&strategy, |(file, member, edits)| {
        tried.set(tried.get() + 1);
        let (name, members) = &members[file];
        let mut members = members.clone();
        let i = member % members.len();
        for e in &edits {
            apply(&mut members[i].1, e);
        }
        let zipped: Vec<Member> = members
            .iter()
            .map(|(n, c)| Member::deflated(n, c))
            .collect();
        read_within_limits(name, &samples::zip(&zipped))
    });
    eprintln!("{} workbooks with changed XML read", tried.get());
    result.unwrap();
}
