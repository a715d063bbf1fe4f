//! Outcomes (utfall) from a table: CSV, Excel (XLSX, XLS) or OpenDocument (ODS), as
//! municipal staff keep them. See `docs/import-outcomes.md` for what a file may hold.
//!
//! Four steps, each a function the web pages and the command line call in turn:
//!
//! 1. [`read_table`]: the file's bytes → a [`Table`] of text cells, one [`TableRow`] per
//!    non-empty row, numbered as the spreadsheet numbers them (the header is usually row
//!    1). The kind of file is found from its content (magic bytes), its name only breaks
//!    ties; CSV may be UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode-text") or
//!    Windows-1252 (Swedish Excel's "CSV (semikolonavgränsad)"), separated by `;`, `,` or
//!    tab. Spreadsheet numbers become their shortest exact decimal text; cells formatted
//!    as percent (XLSX, ODS) become the number of percent the user sees (0.887 → `88.7`);
//!    merged cells below the header repeat their value in every cell they cover.
//! 2. [`Mapping::guess`] proposes which column holds which [`Field`]; the user may change
//!    it ([`Mapping::set`]).
//! 3. [`check`] validates every row against the database and the principal's rights and
//!    collects every error ([`Checked::errors`], `rad 7, Värde: ”8,7,1” är inget tal.`), the
//!    warnings, and what each row would do: a new outcome, a change (with the stored
//!    outcome it replaces) or no change. That is the preview.
//! 4. [`commit`] writes the checked rows in one transaction, checking everything again
//!    inside it (locks, rights, the stored values the preview showed); it reports progress
//!    and can be cancelled. All or nothing: on any error, or when cancelled, nothing of the
//!    import is left.
//!
//! [`template_xlsx`] and [`template_csv`] make the file to fill in, for the indicators
//! [`template_indicators`] says the principal may import for.

pub mod budget;
pub mod cell;
mod check;
mod commit;
mod field;
mod ole;
mod read;
#[doc(hidden)]
pub mod samples;
mod template;
mod unzip;
mod workbook;

pub use budget::{
    budget_template_csv, check_budget, commit_budget, BudgetField, BudgetMapping, CheckedBudget,
};
pub use check::{check, same_outcome, Change, Checked, CheckedRow};
pub use commit::{commit, TableSummary};
pub use field::{Field, Mapping};
pub use read::{
    read_table, MAX_CELLS, MAX_CELL_BYTES, MAX_COLUMNS, MAX_TEXT_BYTES, MAX_WORKBOOK_CELLS,
};
pub use template::{template_csv, template_indicators, template_xlsx, TemplateIndicator};
pub use unzip::{
    MAX_MEMBERS, MAX_MEMBER_BYTES, MAX_MERGED_REGIONS, MAX_PART_BYTES, MAX_RATIO,
    MAX_SHARED_STRINGS, MAX_TOKEN_BYTES, MAX_UNPACKED_BYTES,
};

use read::Cell;

/// A table read from a file: the header row's names and the rows below it, all as text.
/// It holds every cell's text in one string and 12 bytes per filled cell
/// ([`Table::heap_bytes`] says how much in all).
#[derive(Debug, Clone)]
pub struct Table {
    /// The file's name as uploaded or given on the command line (used in errors).
    pub file_name: String,
    /// The workbook's sheets in order; empty for CSV.
    pub sheets: Vec<String>,
    /// The sheet that was read; `None` for CSV.
    pub sheet: Option<String>,
    /// The row number of the header row (1 unless rows above it are empty).
    pub header_row: usize,
    /// One name per column, as the header row writes it (trimmed). A blank header cell,
    /// or a column with values beyond the last heading, is named `Kolumn C` after its
    /// letter; a heading that repeats an earlier one gets its letter added,
    /// `Värde (kolumn D)`, so that every name says which column it is.
    pub headers: Vec<String>,
    /// The filled cells, row by row and left to right (the header row's first).
    cells: Vec<Cell>,
    /// Where each row below the header starts in `cells`, and where the last one ends.
    row_starts: Vec<u32>,
    /// The cells' text.
    text: String,
}

/// One row of a [`Table`]: its number and its cells.
#[derive(Debug, Clone, Copy)]
pub struct TableRow<'a> {
    /// The row's number as the user sees it in Excel, LibreOffice or the CSV file opened
    /// in one of them (the header is row 1; empty rows are counted, and a CSV record whose
    /// quoted field holds line breaks is one row).
    pub number: usize,
    cells: &'a [Cell],
    text: &'a str,
}

impl<'a> TableRow<'a> {
    /// The cell in column `index`, or `""` where the row has none.
    pub fn cell(&self, index: usize) -> &'a str {
        let Ok(col) = u32::try_from(index) else {
            return "";
        };
        match self.cells.binary_search_by_key(&col, |c| c.col()) {
            Ok(i) => &self.text[self.cells[i].range()],
            Err(_) => "",
        }
    }

    /// The number of columns up to the row's last filled cell: never more than the
    /// table's headers.
    pub fn width(&self) -> usize {
        self.cells.last().map_or(0, |c| c.col() as usize + 1)
    }

    /// The row's cells from column A to its last filled one (empty ones as `""`).
    pub fn cells(&self) -> Vec<&'a str> {
        (0..self.width()).map(|i| self.cell(i)).collect()
    }
}

impl Table {
    /// The rows below the header, in file order (rows wholly empty are left out).
    pub fn rows(&self) -> impl ExactSizeIterator<Item = TableRow<'_>> + '_ {
        self.row_starts.windows(2).map(|w| {
            let cells = &self.cells[w[0] as usize..w[1] as usize];
            TableRow {
                number: cells[0].row as usize + 1,
                cells,
                text: &self.text,
            }
        })
    }

    /// The number of rows below the header.
    pub fn row_count(&self) -> usize {
        self.row_starts.len().saturating_sub(1)
    }

    /// The memory the table holds (its text, cells and names), in bytes.
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self
            .headers
            .iter()
            .chain(&self.sheets)
            .chain(&self.sheet)
            .map(|s| s.capacity() + std::mem::size_of::<String>())
            .sum();
        self.text.capacity()
            + self.cells.capacity() * std::mem::size_of::<Cell>()
            + self.row_starts.capacity() * 4
            + self.file_name.capacity()
            + names
    }

    /// The column a user means by `name`: a heading (compared as [`Mapping::guess`]
    /// compares them: case, spaces and å ä ö do not matter) or a column letter (`C`).
    pub fn column(&self, name: &str) -> Option<usize> {
        let wanted = field::normalise(name);
        self.headers
            .iter()
            .position(|h| field::normalise(h) == wanted)
            .or_else(|| read::column_from_letters(name.trim()).filter(|&c| c < self.headers.len()))
    }
}

/// Two tables are equal when they name the same file, sheets and columns and hold the
/// same rows with the same text (however the text is laid out in memory).
impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.file_name == other.file_name
            && self.sheets == other.sheets
            && self.sheet == other.sheet
            && self.header_row == other.header_row
            && self.headers == other.headers
            && self.row_count() == other.row_count()
            && self
                .rows()
                .zip(other.rows())
                .all(|(a, b)| a.number == b.number && a.cells() == b.cells())
    }
}

impl Eq for Table {}
