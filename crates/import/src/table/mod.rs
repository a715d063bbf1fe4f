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

mod cell;
mod check;
mod commit;
mod field;
mod ole;
mod read;
mod template;
mod workbook;

use serde::{Deserialize, Serialize};

pub use check::{check, Change, Checked, CheckedRow};
pub use commit::{commit, TableSummary};
pub use field::{Field, Mapping};
pub use read::{read_table, MAX_CELLS, MAX_COLUMNS};
pub use template::{template_csv, template_indicators, template_xlsx, TemplateIndicator};

/// A table read from a file: the header row's names and the rows below it, all as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The non-empty rows below the header, in file order.
    pub rows: Vec<TableRow>,
}

/// One row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    /// The row's number as the user sees it in Excel, LibreOffice or the CSV file opened
    /// in one of them (the header is row 1; empty rows are counted, and a CSV record whose
    /// quoted field holds line breaks is one row).
    pub number: usize,
    /// The cells, left to right, as text; may be shorter than the headers (missing cells
    /// are empty), never longer.
    pub cells: Vec<String>,
}

impl TableRow {
    /// The cell in column `index`, or `""` where the row has none.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", String::as_str)
    }
}

impl Table {
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
