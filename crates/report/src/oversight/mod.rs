//! The oversight view ("Uppsikt"): what the executive board must see, from every module
//! registered in [`SOURCES`] (deviations, internal control and audit recommendations; the
//! duties of Lag (2023:196) are to follow). One registered list serves the web
//! page, the workbook export and the report section, so the three always show the same
//! figures; a module joins with one [`OversightSource`] implementation and one entry.

pub mod audits;
pub mod deviations;
pub mod internal_control;

use rust_xlsxwriter::{Workbook, XlsxError};
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_store::{BoxFuture, Store};

use crate::build::{Context, ReportError, ReportPart, Result, Subject};
use crate::model::Section;

pub use audits::Audits;
pub use deviations::Deviations;
pub use internal_control::InternalControl;

/// A module's contribution to the oversight view: its part of the page, its worksheets
/// in the export and its section in reports, all counted as of the same `today` (an ISO
/// date).
pub trait OversightSource: Send + Sync {
    /// Its part of the page, for the whole organisation.
    fn panel<'a>(&'a self, store: &'a Store, today: &'a str) -> BoxFuture<'a, Result<Panel>>;

    /// Adds its worksheets to the export workbook.
    fn sheets<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        workbook: &'a mut Workbook,
    ) -> BoxFuture<'a, Result<(), ExportError>>;

    /// Its section of a report on `within` and the units below it (`None`: the whole
    /// organisation).
    fn section<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        within: Option<Id>,
    ) -> BoxFuture<'a, Result<Section>>;
}

/// Every source of the oversight view, in the order the page, the export and the reports
/// show them.
pub const SOURCES: &[&dyn OversightSource] = &[&Deviations, &InternalControl, &Audits];

/// A headline figure at the top of the page: a count, what it counts, the list behind it,
/// and whether it calls for attention.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub label: String,
    pub value: usize,
    pub link: String,
    pub alert: bool,
}

/// A sentence with one emphasised part: `before`, then `emphasis` in bold, then `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct Remark {
    pub before: String,
    pub emphasis: String,
    pub after: String,
}

/// A number in a [`CountTable`], with the list behind it (none where there is nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    pub value: String,
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CountRow {
    pub label: String,
    pub link: Option<String>,
    pub cells: Vec<Count>,
}

/// A table of counts on the page (per board, per area …), with a total row.
#[derive(Debug, Clone, PartialEq)]
pub struct CountTable {
    /// The id of the table's section in the page.
    pub id: &'static str,
    pub caption: String,
    /// For screen readers: what the table counts and where its numbers lead.
    pub description: String,
    /// The heading of the row labels.
    pub heading: String,
    pub columns: Vec<String>,
    pub rows: Vec<CountRow>,
    pub total: CountRow,
}

/// A source's part of the page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// The panel's heading on a page that shows several (`None`: the page's own subject).
    pub heading: Option<String>,
    /// Said instead of the figures, remarks and tables when there is nothing to count.
    pub empty: Option<String>,
    pub figures: Vec<Figure>,
    pub remarks: Vec<Remark>,
    pub tables: Vec<CountTable>,
}

/// Why the export failed: reading the data, or writing the workbook.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("Excel: {0}")]
    Xlsx(#[from] XlsxError),
}

impl From<uppsikt_store::StoreError> for ExportError {
    fn from(e: uppsikt_store::StoreError) -> ExportError {
        ExportError::Report(e.into())
    }
}

/// The page's panels, one per source.
pub async fn panels(store: &Store, today: &str) -> Result<Vec<Panel>> {
    let mut out = Vec::with_capacity(SOURCES.len());
    for source in SOURCES {
        out.push(source.panel(store, today).await?);
    }
    Ok(out)
}

/// The export: every source's worksheets, in order.
pub async fn workbook(store: &Store, today: &str) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    for source in SOURCES {
        source.sheets(store, today, &mut workbook).await?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The report part: every source's section for the report's units.
pub struct OversightPart {
    /// ISO date the figures are counted as of (the day the report is built).
    pub today: String,
}

impl ReportPart for OversightPart {
    fn sections<'a>(&'a self, ctx: &'a Context<'a>) -> BoxFuture<'a, Result<Vec<Section>>> {
        Box::pin(async move {
            let within = match ctx.request.subject {
                Subject::Unit(id) => Some(id),
                Subject::Municipality => None,
            };
            let mut out = Vec::with_capacity(SOURCES.len());
            for source in SOURCES {
                out.push(source.section(ctx.store, &self.today, within).await?);
            }
            Ok(out)
        })
    }
}

/// `root` and every unit below it.
pub fn subtree(units: &[OrgUnit], root: Id) -> Vec<Id> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            units
                .iter()
                .filter(|u| u.parent_id == Some(parent))
                .map(|u| u.id),
        );
        i += 1;
    }
    out
}
