//! Workbooks (XLSX, XLSB, XLS, ODS) into a [`Grid`] of text cells, through calamine, plus
//! what calamine does not tell: which cells are formatted as percent (XLSX styles, ODS
//! value types), the merged cells of an ODS sheet, and an ODS workbook's size and text
//! before calamine lays it out in memory. Zip workbooks are checked by [`super::unzip`]
//! first, XLS files by [`super::ole`].

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};

use calamine::{Data, DataRef, Dimensions, Ods, Reader, Xls, Xlsb, Xlsx};
use quick_xml::events::{BytesStart, Event};
use uppsikt_domain::messages;

use super::read::{
    Grid, MAX_CELLS, MAX_CELL_BYTES, MAX_COLUMNS, MAX_TEXT_BYTES, MAX_WORKBOOK_CELLS,
};
use super::unzip::{self, MAX_MERGED_REGIONS};

/// A workbook's sheet read into a grid.
pub(crate) struct Book {
    pub sheets: Vec<String>,
    pub sheet: String,
    pub grid: Grid,
}

/// How much of one zip member the style and size scans read at the most (the members
/// were checked against smaller limits already).
const SCAN_LIMIT: u64 = 1 << 30;

/// Cells (row, column), sorted: the percent-formatted ones.
#[derive(Debug, Default)]
struct Positions(Vec<(u32, u32)>);

impl Positions {
    /// Takes positions in any order; keeps at most [`MAX_CELLS`] of them (a table with
    /// more cells is refused anyway).
    fn push(&mut self, at: (u32, u32)) {
        if self.0.len() < MAX_CELLS {
            self.0.push(at);
        }
    }

    fn done(mut self) -> Positions {
        self.0.sort_unstable();
        self.0.dedup();
        self
    }

    fn contains(&self, at: &(u32, u32)) -> bool {
        self.0.binary_search(at).is_ok()
    }
}

/// Reads the sheet named `wanted` (or the first) of a zip or OLE workbook. A parser
/// panicking on a damaged file is reported as an unreadable file, not passed on.
pub(crate) fn read(file_name: &str, bytes: &[u8], wanted: Option<&str>) -> Result<Book, String> {
    catch_unwind(AssertUnwindSafe(|| read_any(file_name, bytes, wanted)))
        .unwrap_or_else(|_| Err(messages::workbook_damaged()))
}

fn read_any(file_name: &str, bytes: &[u8], wanted: Option<&str>) -> Result<Book, String> {
    if !bytes.starts_with(b"PK") {
        return read_xls(bytes, wanted);
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| messages::cannot_read_file(&e.to_string()))?;
    let has = |zip: &zip::ZipArchive<_>, name: &str| zip.index_for_name(name).is_some();
    if has(&zip, "xl/workbook.xml") {
        unzip::check(bytes, unzip::Kind::Xml)?;
        read_xlsx(bytes, &mut zip, wanted)
    } else if has(&zip, "xl/workbook.bin") {
        unzip::check(bytes, unzip::Kind::Binary)?;
        read_xlsb(bytes, wanted)
    } else if has(&zip, "content.xml") && is_ods(&mut zip) {
        unzip::check(bytes, unzip::Kind::Xml)?;
        read_ods(bytes, &mut zip, wanted)
    } else {
        Err(messages::unknown_file_kind(file_name))
    }
}

fn is_ods<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> bool {
    let mut mime = String::new();
    match zip.by_name("mimetype") {
        Ok(f) => {
            let _ = f.take(200).read_to_string(&mut mime);
            mime.contains("opendocument.spreadsheet")
        }
        // A zip with content.xml but no mimetype: let calamine try it as ODS.
        Err(_) => true,
    }
}

fn calamine_error(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    if text.contains("password protected") {
        messages::password_protected()
    } else {
        messages::cannot_read_file(&text)
    }
}

/// The sheet named `wanted` (exactly, else ignoring case and surrounding spaces), or the
/// first sheet.
fn choose(sheets: &[String], wanted: Option<&str>) -> Result<String, String> {
    match wanted {
        None => sheets.first().cloned().ok_or_else(messages::no_header_row),
        Some(w) => sheets
            .iter()
            .find(|s| s.as_str() == w)
            .or_else(|| {
                sheets
                    .iter()
                    .find(|s| s.trim().to_lowercase() == w.trim().to_lowercase())
            })
            .cloned()
            .ok_or_else(|| messages::unknown_sheet(w, sheets)),
    }
}

fn read_xls(bytes: &[u8], wanted: Option<&str>) -> Result<Book, String> {
    // calamine trusts the file's structure; a damaged one could make it abort the process.
    let bytes = &*super::ole::prepare(bytes)?;
    let mut book = match Xls::new(Cursor::new(bytes)) {
        Ok(b) => b,
        // A password-protected XLSX is an OLE file too; calamine's XLSX reader says so.
        Err(e) => {
            return Err(match Xlsx::new(Cursor::new(bytes)) {
                Err(calamine::XlsxError::Password) => messages::password_protected(),
                _ => calamine_error(&e),
            })
        }
    };
    let sheets = book.sheet_names();
    let sheet = choose(&sheets, wanted)?;
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| calamine_error(&e))?;
    let merged = book.worksheet_merge_cells(&sheet).unwrap_or_default();
    // calamine holds every sheet; only the chosen one is needed from here on.
    drop(book);
    let grid = dense_grid(&range, &merged)?;
    Ok(Book {
        sheets,
        sheet,
        grid,
    })
}

fn read_xlsx<R: Read + Seek>(
    bytes: &[u8],
    zip: &mut zip::ZipArchive<R>,
    wanted: Option<&str>,
) -> Result<Book, String> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| calamine_error(&e))?;
    let sheets = book.sheet_names();
    let sheet = choose(&sheets, wanted)?;
    // Best effort: a workbook whose styles cannot be read has no percent cells.
    let percent = xlsx_percent_cells(zip, &sheet).unwrap_or_default();
    let mut grid = Grid::new();
    {
        // Cell by cell: a shared string is copied into the grid (within its limits), not
        // into every cell first.
        let mut cells = book
            .worksheet_cells_reader(&sheet)
            .map_err(|e| calamine_error(&e))?;
        while let Some(cell) = cells.next_cell().map_err(|e| calamine_error(&e))? {
            let (row, col) = cell.get_position();
            let text = data_ref_text(cell.get_value(), percent.contains(&(row, col)));
            grid.put(row, col, &text)?;
        }
    }
    let merged = match book.worksheet_merge_cells(&sheet) {
        Some(Ok(m)) => m,
        _ => Vec::new(),
    };
    grid.fill_merged(&merged)?;
    Ok(Book {
        sheets,
        sheet,
        grid,
    })
}

fn read_xlsb(bytes: &[u8], wanted: Option<&str>) -> Result<Book, String> {
    let mut book = Xlsb::new(Cursor::new(bytes)).map_err(|e| calamine_error(&e))?;
    let sheets = book.sheet_names();
    let sheet = choose(&sheets, wanted)?;
    let mut grid = Grid::new();
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| calamine_error(&e))?;
    while let Some(cell) = cells.next_cell().map_err(|e| calamine_error(&e))? {
        let (row, col) = cell.get_position();
        grid.put(row, col, &data_ref_text(cell.get_value(), false))?;
    }
    Ok(Book {
        sheets,
        sheet,
        grid,
    })
}

fn read_ods<R: Read + Seek>(
    bytes: &[u8],
    zip: &mut zip::ZipArchive<R>,
    wanted: Option<&str>,
) -> Result<Book, String> {
    // calamine lays out every sheet when it opens the file: refuse what it cannot do first.
    ods_safe(zip)?;
    let mut book = Ods::new(Cursor::new(bytes)).map_err(|e| calamine_error(&e))?;
    let sheets = book.sheet_names();
    let sheet = choose(&sheets, wanted)?;
    let scan = ods_scan(zip, &sheet)?;
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| calamine_error(&e))?;
    drop(book);
    let mut grid = Grid::new();
    put_range(&mut grid, &range, &scan.percent)?;
    grid.fill_merged(&scan.merged)?;
    Ok(Book {
        sheets,
        sheet,
        grid,
    })
}

fn dense_grid(range: &calamine::Range<Data>, merged: &[Dimensions]) -> Result<Grid, String> {
    let mut grid = Grid::new();
    put_range(&mut grid, range, &Positions::default())?;
    grid.fill_merged(merged)?;
    Ok(grid)
}

fn put_range(
    grid: &mut Grid,
    range: &calamine::Range<Data>,
    percent: &Positions,
) -> Result<(), String> {
    let (top, left) = range.start().unwrap_or((0, 0));
    for (r, c, value) in range.used_cells() {
        let (row, col) = (top.saturating_add(r as u32), left.saturating_add(c as u32));
        let text = data_text(value, percent.contains(&(row, col)));
        grid.put(row, col, &text)?;
    }
    Ok(())
}

/// A cell as text: numbers in their shortest exact decimal form (2019.0 is `2019`),
/// percent-formatted numbers as the number of percent shown (0.887 → `88.7`), dates as
/// `2019-03-05` (so that they are refused as periods and values with a clear message),
/// durations as `12:30:00`, booleans as Swedish Excel shows them, errors as their code.
/// Text is borrowed, not copied.
fn data_text(value: &Data, percent: bool) -> Cow<'_, str> {
    match value {
        Data::Int(i) => number_text(*i as f64, percent).into(),
        Data::Float(f) => number_text(*f, percent).into(),
        Data::String(s) => s.as_str().into(),
        Data::Bool(b) => bool_text(*b).into(),
        Data::DateTime(d) => datetime_text(d).into(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.as_str().into(),
        Data::Error(e) => e.to_string().into(),
        Data::Empty => "".into(),
    }
}

fn data_ref_text<'a>(value: &'a DataRef<'_>, percent: bool) -> Cow<'a, str> {
    match value {
        DataRef::Int(i) => number_text(*i as f64, percent).into(),
        DataRef::Float(f) => number_text(*f, percent).into(),
        DataRef::String(s) => s.as_str().into(),
        DataRef::SharedString(s) => (*s).into(),
        DataRef::Bool(b) => bool_text(*b).into(),
        DataRef::DateTime(d) => datetime_text(d).into(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.as_str().into(),
        DataRef::Error(e) => e.to_string().into(),
        DataRef::Empty => "".into(),
    }
}

fn bool_text(b: bool) -> String {
    if b { "SANT" } else { "FALSKT" }.into()
}

fn number_text(v: f64, percent: bool) -> String {
    let plain = format!("{v}");
    if percent && v.is_finite() {
        shift_two_places(&plain)
    } else {
        plain
    }
}

/// `0.887` → `88.7`, `1` → `100`, `-0.05` → `-5`: multiplies a decimal text by 100
/// exactly, without the rounding of `f64 * 100.0`.
fn shift_two_places(plain: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", plain),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut frac = frac.to_string();
    while frac.len() < 2 {
        frac.push('0');
    }
    let (moved, rest) = frac.split_at(2);
    let int = format!("{int}{moved}");
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let rest = rest.trim_end_matches('0');
    let body = if rest.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{rest}")
    };
    if body == "0" {
        body
    } else {
        format!("{sign}{body}")
    }
}

fn datetime_text(d: &calamine::ExcelDateTime) -> String {
    let v = d.as_f64();
    // Excel's dates run from 1900 to 9999 (serial 2 958 465); outside that, the number.
    if !(0.0..2_958_466.0).contains(&v) {
        return format!("{v}");
    }
    let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
    if d.is_duration() {
        let hours = (v * 24.0).floor();
        format!("{hours}:{min:02}:{s:02}")
    } else if (h, min, s) == (0, 0, 0) {
        format!("{y:04}-{m:02}-{day:02}")
    } else {
        format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}")
    }
}

// --- XLSX: which cells are formatted as percent ------------------------------------

/// Streams zip member `name` through `f` as XML; `None` if it is missing.
fn with_xml<R: Read + Seek, T>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    f: impl FnOnce(&mut quick_xml::Reader<BufReader<&mut dyn Read>>) -> T,
) -> Option<T> {
    let file = zip.by_name(name).ok()?;
    let mut limited = file.take(SCAN_LIMIT);
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(&mut limited as &mut dyn Read));
    // As calamine reads them: an end tag need not match its start tag.
    reader.config_mut().check_end_names = false;
    Some(f(&mut reader))
}

/// An XML element as the scans see it.
enum Tag<'a, 'b> {
    /// A start tag, and whether it is empty (`<c/>`).
    Open(&'a BytesStart<'b>, bool),
    /// An end tag's local name.
    Close(&'a [u8]),
}

/// Calls `f` with every start, empty and end tag until the end of the document or an
/// XML error (which ends the scan).
fn each_element<B: BufRead>(reader: &mut quick_xml::Reader<B>, mut f: impl FnMut(Tag<'_, '_>)) {
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => f(Tag::Open(&e, false)),
            Ok(Event::Empty(e)) => f(Tag::Open(&e, true)),
            Ok(Event::End(e)) => f(Tag::Close(e.local_name().as_ref())),
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// The value of the attribute with local name `name`.
fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            let raw = std::str::from_utf8(&a.value).ok()?;
            quick_xml::escape::unescape(raw)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn attr_number(e: &BytesStart<'_>, name: &[u8]) -> Option<u64> {
    attr(e, name).and_then(|v| v.trim().parse().ok())
}

/// Whether an Excel number format shows a percentage: built-in formats 9 and 10, or a
/// custom format with `%` outside quotes, escapes and brackets in its first section.
fn is_percent_format(code: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    let mut bracket = false;
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '"' => quoted = !quoted,
            _ if quoted => {}
            '\\' | '_' | '*' => escaped = true,
            '[' => bracket = true,
            ']' => bracket = false,
            _ if bracket => {}
            ';' => return false,
            '%' => return true,
            _ => {}
        }
    }
    false
}

/// `B12` → (11, 1), 0-based.
fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    let col = super::read::column_from_letters(letters)?;
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, u32::try_from(col).ok()?))
}

/// The positions of the sheet's numeric cells whose style formats them as percent.
fn xlsx_percent_cells<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    sheet: &str,
) -> Option<Positions> {
    let percent_styles = with_xml(zip, "xl/styles.xml", |r| {
        let mut custom = std::collections::HashMap::new();
        let mut xfs = Vec::new();
        let mut in_xfs = false;
        each_element(r, |tag| match tag {
            Tag::Open(e, empty) => match e.local_name().as_ref() {
                b"numFmt" => {
                    if let (Some(id), Some(code)) =
                        (attr_number(e, b"numFmtId"), attr(e, b"formatCode"))
                    {
                        custom.insert(id, code);
                    }
                }
                b"cellXfs" if !empty => in_xfs = true,
                b"xf" if in_xfs => xfs.push(attr_number(e, b"numFmtId").unwrap_or(0)),
                _ => {}
            },
            Tag::Close(b"cellXfs") => in_xfs = false,
            Tag::Close(_) => {}
        });
        xfs.iter()
            .enumerate()
            .filter(|(_, id)| {
                matches!(id, 9 | 10)
                    || custom
                        .get(id)
                        .is_some_and(|c: &String| is_percent_format(c))
            })
            .map(|(i, _)| i as u64)
            .collect::<std::collections::HashSet<u64>>()
    })?;
    if percent_styles.is_empty() {
        return Some(Positions::default());
    }
    let path = xlsx_sheet_path(zip, sheet)?;
    with_xml(zip, &path, |r| {
        let mut cells = Positions::default();
        let (mut next_row, mut col) = (0u32, 0u32);
        each_element(r, |tag| {
            let Tag::Open(e, _) = tag else { return };
            match e.local_name().as_ref() {
                b"row" => {
                    let row = attr_number(e, b"r")
                        .and_then(|n| u32::try_from(n).ok()?.checked_sub(1))
                        .unwrap_or(next_row);
                    next_row = row.saturating_add(1);
                    col = 0;
                }
                b"c" => {
                    let at = attr(e, b"r")
                        .and_then(|r| cell_ref(&r))
                        .unwrap_or((next_row.saturating_sub(1), col));
                    if attr_number(e, b"s").is_some_and(|s| percent_styles.contains(&s)) {
                        cells.push(at);
                    }
                    col = at.1.saturating_add(1);
                }
                _ => {}
            }
        });
        cells.done()
    })
}

/// `xl/worksheets/sheet1.xml` for the sheet named `sheet`, from the workbook and its
/// relationships.
fn xlsx_sheet_path<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, sheet: &str) -> Option<String> {
    let rid = with_xml(zip, "xl/workbook.xml", |r| {
        let mut found = None;
        each_element(r, |tag| {
            if let Tag::Open(e, _) = tag {
                if e.local_name().as_ref() == b"sheet" && attr(e, b"name").as_deref() == Some(sheet)
                {
                    found = attr(e, b"id");
                }
            }
        });
        found
    })??;
    let target = with_xml(zip, "xl/_rels/workbook.xml.rels", |r| {
        let mut found = None;
        each_element(r, |tag| {
            if let Tag::Open(e, _) = tag {
                if e.local_name().as_ref() == b"Relationship"
                    && attr(e, b"Id").as_deref() == Some(rid.as_str())
                {
                    found = attr(e, b"Target");
                }
            }
        });
        found
    })??;
    Some(match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    })
}

// --- ODS: size, percent cells and merged cells --------------------------------------

#[derive(Default)]
struct OdsScan {
    percent: Positions,
    merged: Vec<Dimensions>,
}

/// Whether calamine may take an ODS cell for a filled one (and repeat it): it has a value
/// type, a value, a formula or content.
fn ods_filled(e: &BytesStart<'_>, empty: bool) -> bool {
    const VALUES: [&[u8]; 7] = [
        b"value-type",
        b"value",
        b"string-value",
        b"date-value",
        b"time-value",
        b"boolean-value",
        b"formula",
    ];
    !empty
        || e.attributes()
            .flatten()
            .any(|a| VALUES.contains(&a.key.local_name().as_ref()))
}

/// The text of an ODS cell as calamine builds it: from a string, date or time value
/// attribute, or else (for a string cell) from its content; and its formula's text.
#[derive(Debug, Default)]
struct OdsCell {
    /// `number-columns-repeated`.
    repeat: u64,
    text: u64,
    formula: u64,
    /// Whether calamine reads the cell's content (a string cell without a value
    /// attribute), and whether a paragraph was seen (each further one adds a line break).
    content: bool,
    paragraph: bool,
}

impl OdsCell {
    fn of(e: &BytesStart<'_>) -> OdsCell {
        let mut cell = OdsCell {
            repeat: attr_number(e, b"number-columns-repeated")
                .unwrap_or(1)
                .max(1),
            ..OdsCell::default()
        };
        let (mut string, mut valued) = (false, false);
        for a in e.attributes().flatten() {
            let len = a.value.len() as u64;
            match a.key.as_ref() {
                b"office:string-value" | b"office:date-value" | b"office:time-value" => {
                    cell.text = cell.text.saturating_add(len);
                    valued = true;
                }
                b"office:value" | b"office:boolean-value" => valued = true,
                b"office:value-type" => string |= &*a.value == b"string",
                b"table:formula" => cell.formula = cell.formula.saturating_add(len),
                _ => {}
            }
        }
        cell.content = string && !valued;
        cell
    }
}

/// What calamine's ODS reader does with every sheet when it opens a file, before a sheet
/// can be chosen, checked first. Refused: rows and cells that it would lay out beyond
/// [`MAX_WORKBOOK_CELLS`] in all sheets together, or beyond [`MAX_COLUMNS`]; a cell with
/// more text than [`MAX_CELL_BYTES`] (repeated spaces, `<text:s text:c>`, included);
/// more text than [`MAX_TEXT_BYTES`] in all, each repetition of a cell counted (calamine
/// copies the text into every cell a repeated one stands for, and its formula too); and a
/// sheet or a comment left open at the end of the file, where calamine would wait for the
/// end tag forever. Names are compared as calamine compares them, with their prefix.
fn ods_safe<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<(), String> {
    let result = with_xml(zip, "content.xml", |r| {
        let (mut row, mut row_repeat, mut col) = (0u64, 1u64, 0u64);
        let (mut filled, mut last_row, mut last_col) = (0u64, 0u64, 0u64);
        let (mut table_open, mut comment_open) = (false, false);
        // The cells laid out by the sheets before this one, and all text so far.
        let (mut laid_out, mut text) = (0u64, 0u64);
        // The cell whose content is being read, and how deep inside a comment.
        let mut cell: Option<OdsCell> = None;
        let mut in_comment = 0usize;
        let mut buf = Vec::new();
        let too_large = || messages::table_too_large(MAX_WORKBOOK_CELLS);
        let area = |last_row: u64, last_col: u64, filled: u64| {
            if filled == 0 {
                0
            } else {
                last_row.saturating_add(1).saturating_mul(last_col + 1)
            }
        };
        // A finished cell: its text, repeated as calamine repeats it.
        let mut count = |c: &OdsCell, row_repeat: u64| -> Result<(), String> {
            if c.text > MAX_CELL_BYTES as u64 {
                return Err(messages::cell_too_long(None, MAX_CELL_BYTES / 1024));
            }
            let each = c.text.saturating_add(c.formula);
            text = text.saturating_add(each.saturating_mul(c.repeat).saturating_mul(row_repeat));
            if text > MAX_TEXT_BYTES as u64 {
                return Err(messages::text_too_large(MAX_TEXT_BYTES >> 20));
            }
            Ok(())
        };
        loop {
            buf.clear();
            let (e, empty) = match r.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => (e, false),
                Ok(Event::Empty(e)) => (e, true),
                Ok(Event::End(e)) => {
                    match e.name().as_ref() {
                        b"office:annotation" => {
                            comment_open = false;
                            in_comment = in_comment.saturating_sub(1);
                        }
                        _ if in_comment > 0 => {}
                        b"table:table-cell" | b"table:covered-table-cell" => {
                            if let Some(c) = cell.take() {
                                count(&c, row_repeat)?;
                            }
                        }
                        b"table:table" => {
                            table_open = false;
                            laid_out = laid_out.saturating_add(area(last_row, last_col, filled));
                            (row, filled, last_row, last_col) = (0, 0, 0, 0);
                        }
                        b"table:table-row" => row = row.saturating_add(row_repeat),
                        _ => {}
                    }
                    continue;
                }
                Ok(Event::Text(t)) => {
                    if let (Some(c), 0) = (&mut cell, in_comment) {
                        c.text = c.text.saturating_add(t.len() as u64);
                    }
                    continue;
                }
                Ok(Event::GeneralRef(_)) => {
                    if let (Some(c), 0) = (&mut cell, in_comment) {
                        c.text = c.text.saturating_add(4);
                    }
                    continue;
                }
                Ok(Event::Eof) if table_open || comment_open => {
                    return Err(messages::workbook_damaged())
                }
                // calamine stops at the same XML error.
                Ok(Event::Eof) | Err(_) => return Ok(()),
                Ok(_) => continue,
            };
            match e.name().as_ref() {
                b"office:annotation" => {
                    comment_open |= !empty;
                    in_comment += usize::from(!empty);
                }
                _ if in_comment > 0 => {}
                b"table:table" => table_open |= !empty,
                b"text:p" => {
                    if let Some(c) = &mut cell {
                        c.text += u64::from(c.paragraph);
                        c.paragraph = true;
                    }
                }
                b"text:s" => {
                    let spaces = attr_number(&e, b"c").unwrap_or(1);
                    if let Some(c) = &mut cell {
                        c.text = c.text.saturating_add(spaces);
                        if c.text > MAX_CELL_BYTES as u64 {
                            return Err(messages::cell_too_long(None, MAX_CELL_BYTES / 1024));
                        }
                    }
                }
                b"table:table-row" => {
                    row_repeat = attr_number(&e, b"number-rows-repeated").unwrap_or(1).max(1);
                    col = 0;
                    if empty {
                        row = row.saturating_add(row_repeat);
                    }
                }
                b"table:table-cell" | b"table:covered-table-cell" => {
                    let this = OdsCell::of(&e);
                    let repeat = this.repeat;
                    if ods_filled(&e, empty) {
                        filled = filled.saturating_add(repeat.saturating_mul(row_repeat));
                        last_row = last_row.max(row.saturating_add(row_repeat - 1));
                        last_col = last_col.max(col.saturating_add(repeat - 1));
                        if last_col >= MAX_COLUMNS as u64 {
                            return Err(messages::too_many_columns(
                                &super::read::column_letters(MAX_COLUMNS),
                                MAX_COLUMNS,
                            ));
                        }
                        let sheet = area(last_row, last_col, filled).max(filled);
                        if laid_out.saturating_add(sheet) > MAX_WORKBOOK_CELLS as u64 {
                            return Err(too_large());
                        }
                    }
                    if this.content && !empty {
                        cell = Some(this);
                    } else {
                        count(&this, row_repeat)?;
                    }
                    col = col.saturating_add(repeat);
                }
                _ => {}
            }
        }
    });
    result.unwrap_or(Ok(()))
}

/// Walks the sheet's rows and cells as the file writes them (with their repeat counts),
/// refusing a sheet whose filled cells, or whose area up to the last filled cell, exceed
/// [`MAX_WORKBOOK_CELLS`], or that has something beyond [`MAX_COLUMNS`], or more than
/// [`MAX_MERGED_REGIONS`] merged regions.
fn ods_scan<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, sheet: &str) -> Result<OdsScan, String> {
    let result = with_xml(zip, "content.xml", |r| {
        let mut scan = OdsScan::default();
        let mut problem: Option<String> = None;
        let mut depth_in_sheet = 0usize;
        let mut in_sheet = false;
        let (mut row, mut col) = (0u64, 0u64);
        let mut row_repeat = 1u64;
        let mut filled = 0u64;
        let (mut last_row, mut last_col) = (0u64, 0u64);
        each_element(r, |tag| {
            if problem.is_some() {
                return;
            }
            let (e, empty) = match tag {
                Tag::Open(e, empty) => (e, empty),
                Tag::Close(end) => {
                    match end {
                        _ if !in_sheet => {}
                        b"table" if depth_in_sheet > 0 => depth_in_sheet -= 1,
                        b"table" => in_sheet = false,
                        b"table-row" if depth_in_sheet == 0 => row = row.saturating_add(row_repeat),
                        _ => {}
                    }
                    return;
                }
            };
            let name = e.local_name();
            let name = name.as_ref();
            if name == b"table" {
                if in_sheet {
                    depth_in_sheet += usize::from(!empty);
                } else if attr(e, b"name").as_deref() == Some(sheet) && !empty {
                    in_sheet = true;
                }
                return;
            }
            if !in_sheet || depth_in_sheet > 0 {
                return;
            }
            match name {
                b"table-row" => {
                    row_repeat = attr_number(e, b"number-rows-repeated").unwrap_or(1).max(1);
                    col = 0;
                    if empty {
                        row = row.saturating_add(row_repeat);
                    }
                }
                b"table-cell" | b"covered-table-cell" => {
                    let repeat = attr_number(e, b"number-columns-repeated")
                        .unwrap_or(1)
                        .max(1);
                    let value_type = attr(e, b"value-type");
                    if ods_filled(e, empty) {
                        filled = filled.saturating_add(repeat.saturating_mul(row_repeat));
                        last_row = last_row.max(row.saturating_add(row_repeat - 1));
                        last_col = last_col.max(col.saturating_add(repeat - 1));
                        if last_col >= MAX_COLUMNS as u64 {
                            problem = Some(messages::too_many_columns(
                                &super::read::column_letters(MAX_COLUMNS),
                                MAX_COLUMNS,
                            ));
                            return;
                        }
                        let area = last_row.saturating_add(1).saturating_mul(last_col + 1);
                        if filled > MAX_WORKBOOK_CELLS as u64 || area > MAX_WORKBOOK_CELLS as u64 {
                            problem = Some(messages::table_too_large(MAX_WORKBOOK_CELLS));
                            return;
                        }
                        if value_type.as_deref() == Some("percentage") {
                            // Within the sheet's area, which was checked above.
                            for r in row..row + row_repeat {
                                for c in col..col + repeat {
                                    scan.percent.push((r as u32, c as u32));
                                }
                            }
                        }
                        let rows = attr_number(e, b"number-rows-spanned").unwrap_or(1);
                        let cols = attr_number(e, b"number-columns-spanned").unwrap_or(1);
                        if rows > 1 || cols > 1 {
                            if scan.merged.len() as u64 >= MAX_MERGED_REGIONS {
                                problem =
                                    Some(messages::too_many_merged_regions(MAX_MERGED_REGIONS));
                                return;
                            }
                            let end_row = row.saturating_add(rows - 1).min(u64::from(u32::MAX));
                            let end_col = col.saturating_add(cols - 1).min(u64::from(u32::MAX));
                            scan.merged.push(Dimensions::new(
                                (row as u32, col as u32),
                                (end_row as u32, end_col as u32),
                            ));
                        }
                    }
                    col = col.saturating_add(repeat);
                }
                _ => {}
            }
        });
        match problem {
            Some(p) => Err(p),
            None => Ok(OdsScan {
                percent: scan.percent.done(),
                merged: scan.merged,
            }),
        }
    });
    result.unwrap_or_else(|| Ok(OdsScan::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_cells_become_the_percent_the_user_sees_exactly() {
        for (v, shown) in [
            (0.887, "88.7"),
            (1.0, "100"),
            (0.05, "5"),
            (-0.032, "-3.2"),
            (0.0, "0"),
            (0.123456789, "12.3456789"),
            (12.5, "1250"),
        ] {
            assert_eq!(number_text(v, true), shown, "{v}");
        }
        assert_eq!(number_text(2019.0, false), "2019");
        assert_eq!(number_text(88.7, false), "88.7");
    }

    #[test]
    fn percent_formats_are_told_from_others() {
        for code in ["0%", "0.0%", "0.0 %", "#,##0.00%;-0.00%", "[Red]0%"] {
            assert!(is_percent_format(code), "{code}");
        }
        for code in [
            "0.0",
            "General",
            "0\"%\"",
            "0\\%",
            "0;0%",
            "[$%-41D]0",
            "yyyy-mm-dd",
        ] {
            assert!(!is_percent_format(code), "{code}");
        }
    }

    #[test]
    fn cell_references_are_zero_based_row_and_column() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("B12"), Some((11, 1)));
        assert_eq!(cell_ref("AA3"), Some((2, 26)));
        assert_eq!(cell_ref("A0"), None);
        assert_eq!(cell_ref("12"), None);
        assert_eq!(cell_ref("B"), None);
    }

    /// An ODS file whose content.xml holds `tables` in its spreadsheet body.
    fn ods(tables: &str) -> Vec<u8> {
        use std::io::Write;
        let content = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <office:document-content \
               xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
               xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
               xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.3\">\
             <office:body><office:spreadsheet>{tables}"
        );
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, text) in [
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            (
                "META-INF/manifest.xml",
                "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"/>",
            ),
            ("content.xml", &content),
        ] {
            zip.start_file(name, stored).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const ODS_END: &str = "</office:spreadsheet></office:body></office:document-content>";

    fn row(cells: &str) -> String {
        format!("<table:table-row>{cells}</table:table-row>")
    }

    fn text_cell(text: &str) -> String {
        format!("<table:table-cell office:value-type=\"string\"><text:p>{text}</text:p></table:table-cell>")
    }

    fn read_ods_text(tables: &str) -> Result<Vec<String>, String> {
        read("t.ods", &ods(tables), None).map(|mut book| book.grid.texts())
    }

    #[test]
    fn a_sound_ods_sheet_is_read() {
        let sheet = format!(
            "<table:table table:name=\"Utfall\">{}{}</table:table>{ODS_END}",
            row(&text_cell("Mått")),
            row("<table:table-cell office:value=\"88.7\"/>"),
        );
        assert_eq!(
            read_ods_text(&sheet),
            Ok(vec!["Mått".into(), "88.7".into()])
        );
    }

    #[test]
    fn an_ods_sheet_or_comment_left_open_is_refused_before_calamine_waits_for_its_end() {
        // calamine reads a sheet until its end tag and loops at the end of the file.
        let open_sheet = format!(
            "<table:table table:name=\"Utfall\">{}{ODS_END}",
            row(&text_cell("Mått"))
        );
        let open_comment = format!(
            "<table:table table:name=\"Utfall\"><table:table-row>\
             <table:table-cell office:value-type=\"string\"><office:annotation><text:p>x</text:p>\
             {ODS_END}"
        );
        for tables in [open_sheet, open_comment] {
            assert_eq!(read_ods_text(&tables), Err(messages::workbook_damaged()));
        }
    }

    #[test]
    fn what_calamine_would_repeat_beyond_max_cells_in_any_sheet_is_refused_before_it_opens_the_file(
    ) {
        let first = format!(
            "<table:table table:name=\"Utfall\">{}</table:table>",
            row(&text_cell("Mått"))
        );
        // A value without a value type, its row repeated ten billion times, in the second
        // sheet: calamine would lay out every repetition while opening the file.
        let repeated = format!(
            "{first}<table:table table:name=\"Blad2\">\
             <table:table-row table:number-rows-repeated=\"10000000000\">\
             <table:table-cell office:value=\"1\"/></table:table-row></table:table>{ODS_END}"
        );
        // A trillion repeated spaces in one text.
        let spaces = format!(
            "<table:table table:name=\"Utfall\">{}</table:table>{ODS_END}",
            row(&text_cell("a<text:s text:c=\"1000000000000\"/>b"))
        );
        assert_eq!(
            read_ods_text(&repeated),
            Err(messages::table_too_large(MAX_WORKBOOK_CELLS))
        );
        assert_eq!(
            read_ods_text(&spaces),
            Err(messages::cell_too_long(None, MAX_CELL_BYTES / 1024))
        );
    }

    #[test]
    fn sheets_are_chosen_by_name_or_else_the_first() {
        let sheets = vec!["Utfall".to_string(), "Mått".to_string()];
        assert_eq!(choose(&sheets, None).unwrap(), "Utfall");
        assert_eq!(choose(&sheets, Some("mått ")).unwrap(), "Mått");
        assert_eq!(
            choose(&sheets, Some("Blad1")).unwrap_err(),
            messages::unknown_sheet("Blad1", &sheets)
        );
    }
}
