//! From a file's bytes to a [`Table`]: which kind of file it is, CSV decoding and
//! splitting, and the header row and column names common to every kind.

use std::collections::BTreeMap;

use uppsikt_domain::messages;

use super::workbook;
use super::{Table, TableRow};
use crate::report::{ImportReport, Origin};

/// The most columns a table may use; a value further right is refused, not dropped.
pub const MAX_COLUMNS: usize = 256;
/// The most cells (counting empty ones left of a filled one) a table may hold.
pub const MAX_CELLS: usize = 4_000_000;

/// Rows as read from a file, before the header is chosen: 0-based row index (as the
/// spreadsheet counts rows) → cells from column A, trailing empty cells removed.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    pub rows: BTreeMap<u32, Vec<String>>,
    cells: usize,
}

impl Grid {
    /// Puts `text` at (row, col); refuses a column beyond [`MAX_COLUMNS`] and a grid beyond
    /// [`MAX_CELLS`]. Empty text is not stored.
    pub fn put(&mut self, row: u32, col: u32, text: String) -> Result<(), String> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let col = col as usize;
        if col >= MAX_COLUMNS {
            return Err(messages::too_many_columns(
                &column_letters(col),
                MAX_COLUMNS,
            ));
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            self.cells += col + 1 - cells.len();
            if self.cells > MAX_CELLS {
                return Err(messages::table_too_large(MAX_CELLS));
            }
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        Ok(())
    }

    pub fn get(&self, row: u32, col: u32) -> Option<&str> {
        self.rows
            .get(&row)
            .and_then(|cells| cells.get(col as usize))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A zip archive: XLSX, XLSB or ODS (told apart by its content).
    Zip,
    /// An OLE compound file: XLS, or a password-protected XLSX.
    Ole,
    Text,
}

fn kind_of(bytes: &[u8]) -> Kind {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Kind::Ole
    } else {
        Kind::Text
    }
}

fn spreadsheet_name(file_name: &str) -> bool {
    let lower = file_name.to_lowercase();
    [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".ots", ".xltx"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Reads a CSV or text file (`.csv`, `.txt`), an Excel workbook (`.xlsx`, `.xlsm`, `.xlsb`,
/// `.xls`) or an OpenDocument spreadsheet (`.ods`) into a [`Table`]. The content decides
/// the kind (a zip archive is a workbook, an OLE file an XLS, anything else text); the
/// name only refuses a file that claims to be a workbook but is not one. `sheet` chooses
/// a workbook's sheet by name (exactly, or else ignoring case); the first sheet otherwise.
///
/// The header is the first non-empty row; rows wholly empty are left out (their numbers
/// are skipped, not reused). Errors concern the whole file (it cannot be read, is too
/// large, has no such sheet, no header or no rows below it) and name the file.
pub fn read_table(
    file_name: &str,
    bytes: &[u8],
    sheet: Option<&str>,
) -> Result<Table, ImportReport> {
    let whole = Origin::new(file_name, "");
    let fail = |message: String| ImportReport::single(&whole, message);
    let (sheets, chosen, grid) = match kind_of(bytes) {
        Kind::Zip | Kind::Ole => {
            let book = workbook::read(file_name, bytes, sheet).map_err(fail)?;
            (book.sheets, Some(book.sheet), book.grid)
        }
        Kind::Text if spreadsheet_name(file_name) => {
            return Err(fail(messages::file_not_what_its_name_says(file_name)))
        }
        Kind::Text => {
            let text = decode(bytes).map_err(fail)?;
            (Vec::new(), None, csv_grid(&text).map_err(fail)?)
        }
    };
    table_from(file_name, sheets, chosen, grid).map_err(fail)
}

/// The header row and the rows below it.
fn table_from(
    file_name: &str,
    sheets: Vec<String>,
    sheet: Option<String>,
    grid: Grid,
) -> Result<Table, String> {
    let mut rows = grid.rows.into_iter();
    let (header_index, header) = rows.next().ok_or_else(messages::no_header_row)?;
    let rows: Vec<TableRow> = rows
        .map(|(i, cells)| TableRow {
            number: i as usize + 1,
            cells,
        })
        .collect();
    if rows.is_empty() {
        return Err(messages::no_data_rows());
    }
    let width = rows
        .iter()
        .map(|r| r.cells.len())
        .chain([header.len()])
        .max()
        .unwrap_or(0);
    Ok(Table {
        file_name: file_name.to_string(),
        sheets,
        sheet,
        header_row: header_index as usize + 1,
        headers: column_names(&header, width),
        rows,
    })
}

/// Names every column: its heading, `Kolumn C` for a blank one, and the letter added to
/// a heading that repeats an earlier one.
fn column_names(header: &[String], width: usize) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(width);
    for i in 0..width {
        let heading = header.get(i).map_or("", |h| h.trim());
        let letters = column_letters(i);
        let name = if heading.is_empty() {
            format!("Kolumn {letters}")
        } else if names
            .iter()
            .any(|n| super::field::normalise(n) == super::field::normalise(heading))
        {
            format!("{heading} (kolumn {letters})")
        } else {
            heading.to_string()
        };
        names.push(name);
    }
    names
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub(crate) fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `A` → `0`, `AA` → `26`; `None` for anything but one to three letters.
pub(crate) fn column_from_letters(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let n = letters.bytes().fold(0usize, |n, b| {
        n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    Some(n - 1)
}

/// The text of a CSV file: UTF-8 (a BOM is removed), UTF-16 with a BOM (Excel's
/// "Unicode-text"), or else Windows-1252 (Swedish Excel's "CSV (semikolonavgränsad)").
fn decode(bytes: &[u8]) -> Result<String, String> {
    let text = if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        text.into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                text.into_owned()
            }
        }
    };
    if text.contains('\0') {
        return Err(messages::binary_file());
    }
    Ok(text)
}

/// `;`, tab or `,`: whichever appears most often outside quotes on the header line (`;`
/// wins a tie, then tab), as Swedish Excel writes `;`. Excel's own `sep=X` first line
/// names it outright (and is not part of the table).
fn sniff_delimiter(text: &str) -> (u8, &str) {
    if let Some(rest) = text.strip_prefix("sep=") {
        let mut chars = rest.chars();
        if let Some(d @ (';' | ',' | '\t' | '|')) = chars.next() {
            let after = chars.as_str();
            let after = after
                .strip_prefix("\r\n")
                .or_else(|| after.strip_prefix('\n'))
                .unwrap_or(after);
            return (d as u8, after);
        }
    }
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ';' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ',' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [b';', b'\t', b',']
        .into_iter()
        .zip(counts)
        .fold(
            (b';', 0),
            |best, (d, n)| if n > best.1 { (d, n) } else { best },
        );
    (best.0, text)
}

/// Splits CSV text into rows numbered as a spreadsheet shows them: a line break inside a
/// quoted field does not start a new row, an empty line is a row of its own.
fn csv_grid(text: &str) -> Result<Grid, String> {
    let (delimiter, body) = sniff_delimiter(text);
    // A `sep=` line is line 1 in the file but not a row in Excel.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut grid = Grid::default();
    let mut embedded_breaks: u64 = 0;
    let (mut scanned, mut lines_before) = (0usize, 0u64);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(messages::cannot_read_file(&e.to_string())),
        }
        // Lines before the record's start. csv's position is where reading began, before
        // the empty lines and line ends it skipped; a record itself starts with neither.
        let mut start = record
            .position()
            .map_or(scanned, |p| p.byte() as usize)
            .clamp(scanned, body.len());
        while matches!(body.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        lines_before += body.as_bytes()[scanned..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        scanned = start;
        let row = lines_before.saturating_sub(embedded_breaks);
        let row = u32::try_from(row).map_err(|_| messages::table_too_large(MAX_CELLS))?;
        for (col, field) in record.iter().enumerate() {
            embedded_breaks += field.matches('\n').count() as u64;
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            grid.put(row, col, field.to_string())?;
        }
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Table {
        read_table("t.csv", text.as_bytes(), None).unwrap_or_else(|r| panic!("{r}"))
    }

    fn cells(t: &Table) -> Vec<(usize, Vec<&str>)> {
        t.rows
            .iter()
            .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_header_line() {
        for (text, d) in [
            ("Mått;Period;Värde\na;2019;1,5\n", ';'),
            ("Mått,Period,Värde\na,2019,\"1,5\"\n", ','),
            ("Mått\tPeriod\tVärde\na\t2019\t1,5\n", '\t'),
            ("\"Mått; namn\",Period,Värde\na,2019,1\n", ','),
            ("sep=,\nMått,Period,Värde\na,2019,1\n", ','),
        ] {
            let t = read(text);
            assert_eq!(t.headers.len(), 3, "{d:?} in {text:?}: {:?}", t.headers);
            assert_eq!(t.rows[0].cell(0), "a");
        }
        assert_eq!(read("sep=,\nMått,Värde\na,1\n").rows[0].number, 2);
    }

    #[test]
    fn row_numbers_are_the_spreadsheets_with_empty_rows_counted_and_quoted_breaks_not() {
        let t = read("Mått;Värde\n\na;\"1\n2\"\n;\nb;\"x;y\"\r\nc;3");
        assert_eq!(
            cells(&t),
            vec![
                (3, vec!["a", "1\n2"]),
                (5, vec!["b", "x;y"]),
                (6, vec!["c", "3"]),
            ]
        );
        assert_eq!(t.header_row, 1);
    }

    #[test]
    fn text_is_utf8_with_or_without_bom_utf16_or_windows_1252() {
        let utf8 = "Mått;Värde\nTrygg i Vårby;1\n";
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(utf8.as_bytes());
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(utf8);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in utf8.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for bytes in [utf8.as_bytes(), &bom[..], &cp1252[..], &utf16[..]] {
            let t = read_table("t.csv", bytes, None).unwrap_or_else(|r| panic!("{r}"));
            assert_eq!(t.headers, vec!["Mått", "Värde"]);
            assert_eq!(t.rows[0].cell(0), "Trygg i Vårby");
        }
    }

    #[test]
    fn blank_and_repeated_headings_get_their_column_letter() {
        let t = read("Mått;;Värde;värde\na;b;c;d;e\n");
        assert_eq!(
            t.headers,
            vec!["Mått", "Kolumn B", "Värde", "värde (kolumn D)", "Kolumn E"]
        );
        assert_eq!(t.column("VÄRDE"), Some(2));
        assert_eq!(t.column("e"), Some(4));
        assert_eq!(t.column("F"), None);
    }

    #[test]
    fn whole_file_problems_are_reported_in_swedish() {
        let err = |name: &str, bytes: &[u8]| {
            read_table(name, bytes, None)
                .unwrap_err()
                .errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(err("t.csv", b""), vec![messages::no_header_row()]);
        assert_eq!(err("t.csv", b" ; \n\n"), vec![messages::no_header_row()]);
        assert_eq!(
            err("t.csv", "Mått;Värde\n".as_bytes()),
            vec![messages::no_data_rows()]
        );
        assert_eq!(err("t.csv", b"M\0\x01\x02"), vec![messages::binary_file()]);
        assert_eq!(
            err("t.xlsx", "Mått;Värde\na;1".as_bytes()),
            vec![messages::file_not_what_its_name_says("t.xlsx")]
        );
        let wide = format!("Mått{}x\na;1\n", ";".repeat(MAX_COLUMNS));
        assert_eq!(
            err("t.csv", wide.as_bytes()),
            vec![messages::too_many_columns(
                &column_letters(MAX_COLUMNS),
                MAX_COLUMNS
            )]
        );
    }

    #[test]
    fn column_letters_go_both_ways() {
        for (i, l) in [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (51, "AZ"),
            (701, "ZZ"),
            (702, "AAA"),
        ] {
            assert_eq!(column_letters(i), l);
            assert_eq!(column_from_letters(l), Some(i));
        }
        assert_eq!(column_from_letters("a"), Some(0));
        assert_eq!(column_from_letters("A1"), None);
        assert_eq!(column_from_letters(""), None);
    }
}
