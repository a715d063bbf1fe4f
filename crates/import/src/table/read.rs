//! From a file's bytes to a [`Table`]: which kind of file it is, CSV decoding and
//! splitting, and the header row and column names common to every kind.

use std::borrow::Cow;

use uppsikt_domain::messages;

use super::workbook;
use super::Table;
use crate::report::{ImportReport, Origin};

/// The most columns a table may use; a value further right is refused, not dropped.
pub const MAX_COLUMNS: usize = 256;
/// The most cells a table may hold, counting the empty cells left of a filled one. A
/// 20 MB outcome file (the largest upload) has 400 000 to 1 000 000 rows of four to six
/// columns; each cell takes 12 bytes in memory besides its text.
pub const MAX_CELLS: usize = 8_000_000;
/// The most cells an ODS or XLS workbook may lay out, all its sheets together: calamine
/// reads those formats by laying out every sheet in memory when it opens the file (about
/// 60 bytes a cell, besides the text), before a sheet can be chosen.
pub const MAX_WORKBOOK_CELLS: usize = 4_000_000;
/// The most text a table may hold, all its cells together (as UTF-8, each cell counted
/// every time it appears: a shared string in a thousand cells is a thousand copies). A
/// 20 MB CSV file holds at most 20 MB of text in UTF-8 (Windows-1252 with å, ä and ö in
/// every word: about 25 MB); an XLSX of the same rows holds the same text.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// The most text one cell may hold: Excel's own limit is 32 767 characters, at most 3
/// bytes each in UTF-8 (96 KiB).
pub const MAX_CELL_BYTES: usize = 128 << 10;

/// One filled cell: where it is, and where its text is in the grid's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    pub row: u32,
    start: u32,
    /// The text's length (below 2^24) and the column (below [`MAX_COLUMNS`]) in the top
    /// byte: a cell takes 12 bytes.
    len_col: u32,
}

impl Cell {
    pub fn col(self) -> u32 {
        self.len_col >> 24
    }

    pub(crate) fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + (self.len_col & 0x00FF_FFFF) as usize
    }

    fn at(self) -> (u32, u32) {
        (self.row, self.col())
    }
}

const _: () = assert!(MAX_CELL_BYTES < 1 << 24 && MAX_COLUMNS <= 256);
// Text offsets and cell indices are u32.
const _: () = assert!(MAX_TEXT_BYTES < u32::MAX as usize);
const _: () = assert!(MAX_CELLS < u32::MAX as usize);

/// Cells as read from a file, before the header is chosen: every filled cell with its
/// 0-based row and column (as the spreadsheet counts them) and its text, all text in one
/// string. Refuses, as they come, a column beyond [`MAX_COLUMNS`], a cell beyond
/// [`MAX_CELL_BYTES`], text beyond [`MAX_TEXT_BYTES`] and cells beyond [`MAX_CELLS`]: what
/// the grid holds never exceeds them, whatever the file claims or repeats.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    cells: Vec<Cell>,
    text: String,
    /// Whether the cells came in order (row by row, left to right, each place once).
    in_order: bool,
}

impl Grid {
    pub fn new() -> Grid {
        Grid {
            in_order: true,
            ..Grid::default()
        }
    }

    /// Puts `text` at (row, col), replacing what was there. Text that is empty or only
    /// spaces is not stored.
    pub fn put(&mut self, row: u32, col: u32, text: &str) -> Result<(), String> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let column = col as usize;
        if column >= MAX_COLUMNS {
            return Err(messages::too_many_columns(
                &column_letters(column),
                MAX_COLUMNS,
            ));
        }
        if text.len() > MAX_CELL_BYTES {
            let at = format!("{}{}", column_letters(column), u64::from(row) + 1);
            return Err(messages::cell_too_long(Some(&at), MAX_CELL_BYTES / 1024));
        }
        if self.text.len() + text.len() > MAX_TEXT_BYTES {
            return Err(messages::text_too_large(MAX_TEXT_BYTES >> 20));
        }
        if self.cells.len() >= MAX_CELLS {
            return Err(messages::table_too_large(MAX_CELLS));
        }
        let cell = Cell {
            row,
            start: self.text.len() as u32,
            len_col: text.len() as u32 | col << 24,
        };
        if let Some(last) = self.cells.last() {
            self.in_order &= last.at() < cell.at();
        }
        self.text.push_str(text);
        self.cells.push(cell);
        Ok(())
    }

    /// The text of a cell.
    fn text_of(&self, cell: Cell) -> &str {
        &self.text[cell.range()]
    }

    /// The cells in order, each place once (the last put wins).
    fn sort(&mut self) {
        if self.in_order {
            return;
        }
        // Stable: among cells at one place the last put comes last.
        self.cells.sort_by_key(|c| c.at());
        let mut kept = 0;
        for i in 0..self.cells.len() {
            let next_same = self
                .cells
                .get(i + 1)
                .is_some_and(|n| n.at() == self.cells[i].at());
            if !next_same {
                self.cells[kept] = self.cells[i];
                kept += 1;
            }
        }
        self.cells.truncate(kept);
        self.in_order = true;
    }

    /// Every filled cell's text, row by row.
    #[cfg(test)]
    pub fn texts(&mut self) -> Vec<String> {
        self.sort();
        self.cells
            .iter()
            .map(|c| self.text_of(*c).to_string())
            .collect()
    }

    /// The first and last row with a filled cell.
    fn row_span(&mut self) -> Option<(u32, u32)> {
        self.sort();
        Some((self.cells.first()?.row, self.cells.last()?.row))
    }

    /// Below the header row, a merged cell's value stands in every cell it covers (as the
    /// user sees it), up to the last row that has anything else in it and within
    /// [`MAX_COLUMNS`]; the copies share the value's text. Merged header cells are left as
    /// they are: the columns they cover are unnamed. Regions covering more than
    /// [`MAX_CELLS`] cells in all are refused (a file can declare millions of them).
    pub fn fill_merged(&mut self, merged: &[calamine::Dimensions]) -> Result<(), String> {
        let Some((header, last)) = self.row_span() else {
            return Ok(());
        };
        let mut covered: u64 = 0;
        let mut fills = Vec::new();
        for region in merged {
            let (top, left) = region.start;
            let (bottom, right) = region.end;
            if top <= header || top > last || left as usize >= MAX_COLUMNS {
                continue;
            }
            let Ok(i) = self.cells.binary_search_by_key(&(top, left), |c| c.at()) else {
                continue;
            };
            let value = self.cells[i];
            let (bottom, right) = (bottom.min(last), right.min(MAX_COLUMNS as u32 - 1));
            if bottom < top || right < left {
                continue;
            }
            covered += u64::from(bottom - top + 1) * u64::from(right - left + 1);
            if covered > MAX_CELLS as u64 {
                return Err(messages::table_too_large(MAX_CELLS));
            }
            for row in top..=bottom {
                for col in left..=right {
                    if self
                        .cells
                        .binary_search_by_key(&(row, col), |c| c.at())
                        .is_err()
                    {
                        if self.cells.len() + fills.len() >= MAX_CELLS {
                            return Err(messages::table_too_large(MAX_CELLS));
                        }
                        fills.push(Cell {
                            row,
                            start: value.start,
                            len_col: (value.len_col & 0x00FF_FFFF) | col << 24,
                        });
                    }
                }
            }
        }
        if fills.is_empty() {
            return Ok(());
        }
        // Where two regions overlap, the first one's value stays (as it was filled
        // first): the sort is stable and the filled cells come after the file's own.
        self.cells.extend(fills);
        self.cells.sort_by_key(|c| c.at());
        self.cells.dedup_by_key(|c| c.at());
        Ok(())
    }

    /// The table: the first row with a filled cell is the header, the rows below it the
    /// data. Refuses a table whose rows, counted from column A to their last filled cell,
    /// hold more than [`MAX_CELLS`] cells.
    fn into_table(
        mut self,
        file_name: &str,
        sheets: Vec<String>,
        sheet: Option<String>,
    ) -> Result<Table, String> {
        self.sort();
        let Some(first) = self.cells.first().copied() else {
            return Err(messages::no_header_row());
        };
        let mut row_starts: Vec<u32> = Vec::new();
        let mut dense: u64 = 0;
        let mut width = 0usize;
        let mut header_len = 0usize;
        for (i, c) in self.cells.iter().enumerate() {
            let new_row = i == 0 || self.cells[i - 1].row != c.row;
            if c.row == first.row {
                header_len = i + 1;
            } else if new_row {
                row_starts.push(i as u32);
            }
            let ends_row = self.cells.get(i + 1).is_none_or(|n| n.row != c.row);
            if ends_row {
                dense += u64::from(c.col()) + 1;
            }
            width = width.max(c.col() as usize + 1);
        }
        if dense > MAX_CELLS as u64 {
            return Err(messages::table_too_large(MAX_CELLS));
        }
        if row_starts.is_empty() {
            return Err(messages::no_data_rows());
        }
        row_starts.push(self.cells.len() as u32);
        // What the table keeps is what it holds (the vectors grew by doubling).
        self.cells.shrink_to_fit();
        self.text.shrink_to_fit();
        row_starts.shrink_to_fit();
        let header: Vec<String> = {
            let mut h = vec![String::new(); self.cells[header_len - 1].col() as usize + 1];
            for c in &self.cells[..header_len] {
                h[c.col() as usize] = self.text_of(*c).to_string();
            }
            h
        };
        Ok(Table {
            file_name: file_name.to_string(),
            sheets,
            sheet,
            header_row: first.row as usize + 1,
            headers: column_names(&header, width),
            cells: self.cells,
            row_starts,
            text: self.text,
        })
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
    grid.into_table(file_name, sheets, chosen).map_err(fail)
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
/// UTF-8 without a BOM is read where it lies, not copied.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    let text = if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        encoding.decode_without_bom_handling(&bytes[bom..]).0
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
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
    let mut grid = Grid::new();
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
            grid.put(row, col, field)?;
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
        t.rows().map(|r| (r.number, r.cells())).collect()
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
            assert_eq!(t.rows().next().unwrap().cell(0), "a");
        }
        assert_eq!(
            read("sep=,\nMått,Värde\na,1\n")
                .rows()
                .next()
                .unwrap()
                .number,
            2
        );
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
            assert_eq!(t.rows().next().unwrap().cell(0), "Trygg i Vårby");
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
