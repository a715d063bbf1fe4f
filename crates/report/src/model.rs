//! The report model: a document of sections and generic blocks. Renderers (HTML, PDF via
//! typst, XLSX) know blocks, not the domain; a module that wants a place in the reports
//! (internal control, audits, budget, areas) contributes [`Section`]s through a
//! [`crate::build::ReportPart`].

use serde::Serialize;
use uppsikt_domain::Period;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Delårsrapport per 30 April (tertial 1) or 31 August (tertial 2).
    Delarsrapport,
    /// Verksamhetsberättelse for the year.
    Verksamhetsberattelse,
    /// Verksamhetsplan for the year (`crate::plan`).
    Verksamhetsplan,
    /// "Uppföljning av internkontrollplan": one board's internal-control plan of a year
    /// followed up (`crate::internal_control`).
    InternalControlFollowUp,
    /// "Uppföljning av revisionens rekommendationer": the auditors' follow-up of one year,
    /// for the municipality or one board (`crate::audit`).
    AuditFollowUp,
    /// "Områdesuppföljning": every area's classification, levels, area indicators,
    /// deviations, forums and agreements for one tertial (or year), for KS
    /// (`crate::area`).
    AreaFollowUp,
    /// "Brottsförebyggande arbete": the year's report to KF on the duties of a statute
    /// such as Lag (2023:196), the situation reports, forums, agreements and deviations
    /// (`crate::safety`).
    CrimePrevention,
}

impl ReportKind {
    pub fn code(self) -> &'static str {
        match self {
            ReportKind::Delarsrapport => "delarsrapport",
            ReportKind::Verksamhetsberattelse => "verksamhetsberattelse",
            ReportKind::Verksamhetsplan => "verksamhetsplan",
            ReportKind::InternalControlFollowUp => "internkontroll",
            ReportKind::AuditFollowUp => "revisionsuppfoljning",
            ReportKind::AreaFollowUp => "omradesuppfoljning",
            ReportKind::CrimePrevention => "brottsforebyggande",
        }
    }

    pub fn parse(code: &str) -> Option<ReportKind> {
        match code.trim().to_lowercase().as_str() {
            "delarsrapport" | "delårsrapport" => Some(ReportKind::Delarsrapport),
            "verksamhetsberattelse" | "verksamhetsberättelse" => {
                Some(ReportKind::Verksamhetsberattelse)
            }
            "verksamhetsplan" => Some(ReportKind::Verksamhetsplan),
            "internkontroll" | "internal_control_follow_up" => {
                Some(ReportKind::InternalControlFollowUp)
            }
            "revisionsuppfoljning" | "revisionsuppföljning" | "audit_follow_up" => {
                Some(ReportKind::AuditFollowUp)
            }
            "omradesuppfoljning" | "områdesuppföljning" | "area_follow_up" => {
                Some(ReportKind::AreaFollowUp)
            }
            "brottsforebyggande" | "brottsförebyggande" | "crime_prevention" => {
                Some(ReportKind::CrimePrevention)
            }
            _ => None,
        }
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            ReportKind::Delarsrapport => "Delårsrapport",
            ReportKind::Verksamhetsberattelse => "Verksamhetsberättelse",
            ReportKind::Verksamhetsplan => "Verksamhetsplan",
            ReportKind::InternalControlFollowUp => "Uppföljning av internkontrollplan",
            ReportKind::AuditFollowUp => "Uppföljning av revisionens rekommendationer",
            ReportKind::AreaFollowUp => "Områdesuppföljning",
            ReportKind::CrimePrevention => "Brottsförebyggande arbete",
        }
    }
}

/// What a report is about and when it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportMeta {
    pub kind: ReportKind,
    /// E.g. "Verksamhetsberättelse 2019".
    pub title: String,
    /// E.g. "Kommunstyrelsen" or "Huddinge kommun – alla nämnder".
    pub subject: String,
    /// The organisation shown in the running header.
    pub organisation: String,
    pub period: Period,
    /// E.g. "1 januari–31 december 2019" or "per 31 augusti 2019".
    pub period_label: String,
    /// The data version the report was built from.
    pub data_version: i64,
    /// When it was built (RFC 3339, UTC); left out of snapshots.
    #[serde(skip)]
    pub generated_at: String,
    /// The board version or the working version.
    pub version: crate::build::Version,
    /// Set on a rebuild of a decided period: the cover says it is a draft, not the
    /// decided document ("Utkast – inte det beslutade dokumentet").
    pub draft_note: Option<String>,
    /// Where the decided document is served, linked from a draft's cover (HTML).
    pub decided_href: Option<String>,
}

/// A heading with its content and subsections.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub title: String,
    /// A level shown beside the heading (the decided assessment, or else the proposal).
    pub badge: Option<Badge>,
    pub blocks: Vec<Block>,
    pub children: Vec<Section>,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            badge: None,
            blocks: Vec::new(),
            children: Vec::new(),
        }
    }
}

/// An assessment level as a badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Badge {
    pub text: String,
    /// 0 best … 3 worst; `None` for "not assessed".
    pub tone: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    /// A short labelled text: "Motivering: …".
    Labeled {
        label: String,
        text: String,
    },
    List {
        title: Option<String>,
        items: Vec<String>,
    },
    /// Decided, proposed and the system's proposal, side by side.
    Assessment {
        entries: Vec<(String, Badge)>,
        basis: String,
    },
    Table(Table),
    /// A table of amounts with sum rows and indented sub-rows (the economy chapter).
    Figures(FigureTable),
    Chart(Chart),
    Commitment {
        title: String,
        description: String,
        status: String,
        done: bool,
        comment: String,
    },
}

/// A table with a header row; the first column heads its row when `row_headers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    /// Cells may hold several lines separated by `\n`.
    pub rows: Vec<Vec<String>>,
    pub row_headers: bool,
}

impl Table {
    /// Without the columns (after the first) that are empty in every row: a measure
    /// table for goals without rankings or breakdowns then gives its space to the rest.
    pub fn without_empty_columns(mut self) -> Table {
        let keep: Vec<bool> = (0..self.columns.len())
            .map(|c| {
                c == 0
                    || self
                        .rows
                        .iter()
                        .any(|r| r.get(c).is_some_and(|v| !v.is_empty()))
            })
            .collect();
        fn kept(cells: Vec<String>, keep: &[bool]) -> Vec<String> {
            cells
                .into_iter()
                .zip(keep)
                .filter_map(|(cell, k)| k.then_some(cell))
                .collect()
        }
        self.columns = kept(self.columns, &keep);
        self.rows = self.rows.into_iter().map(|r| kept(r, &keep)).collect();
        self
    }
}

/// A table of figures: a label column, then columns of amounts. Rows may be sums (shown
/// bold) and sit at a depth (indented: a "varav" row, a project under its programme).
/// Each cell carries its printed text and, for the workbook, its number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureTable {
    pub caption: String,
    /// Column headings; the first heads the labels.
    pub columns: Vec<String>,
    pub rows: Vec<FigureRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureRow {
    pub label: String,
    /// 0 for a top row; 1, 2 … indented under the row above it.
    pub depth: u8,
    /// A sum row (bold).
    pub sum: bool,
    pub cells: Vec<FigureCell>,
}

/// A cell: its text as printed (`−8,8`, `okänd`, empty) and its value where it is a
/// number (in the unit of the table, e.g. mnkr), for the workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureCell {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

impl FigureCell {
    pub fn text(text: impl Into<String>) -> FigureCell {
        FigureCell {
            text: text.into(),
            value: None,
        }
    }

    pub fn empty() -> FigureCell {
        FigureCell::text("")
    }
}

/// A chart as SVG with its text alternative; the data is also in a table nearby.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub title: String,
    pub alt: String,
    #[serde(skip)]
    pub svg: String,
}

/// One measure with every value, for the workbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureValues {
    pub unit_name: String,
    pub goal: String,
    pub indicator: String,
    pub unit: String,
    pub decimals: u8,
    pub source: String,
    /// (period, breakdown label, value, margin)
    pub values: Vec<(String, String, f64, Option<f64>)>,
    /// Milestone, status and trend for the report's period.
    pub milestone: String,
    pub status: String,
    pub trend: String,
    /// Milestone, status and trend as judged for each period with an outcome, from what
    /// was known by its end: a workbook row for 2017 shows 2017's status, never the
    /// report period's.
    pub by_period: Vec<PeriodEvaluation>,
}

/// An indicator's milestone, status and trend for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodEvaluation {
    pub period: String,
    pub milestone: String,
    pub status: String,
    pub trend: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub meta: ReportMeta,
    /// The first chapter, "Sammanfattning": overall assessment, events, improvement areas.
    pub summary: Section,
    pub sections: Vec<Section>,
    pub measures: Vec<MeasureValues>,
}

impl Report {
    /// The chapters in document order: the summary, then the parts' sections.
    pub fn chapters(&self) -> impl Iterator<Item = &Section> {
        std::iter::once(&self.summary).chain(&self.sections)
    }

    /// Every section in document order (depth first), with its depth (0 = chapter).
    pub fn walk(&self) -> Vec<(usize, &Section)> {
        fn visit<'a>(s: &'a Section, depth: usize, out: &mut Vec<(usize, &'a Section)>) {
            out.push((depth, s));
            for c in &s.children {
                visit(c, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        for s in self.chapters() {
            visit(s, 0, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn empty_columns_are_dropped_but_never_the_first() {
        let t = Table {
            caption: "Mått".into(),
            columns: ["Mått", "Utfall", "Kön", "Område"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                ["", "51", "", ""].map(String::from).to_vec(),
                ["Trygghet", "", "", "Vårby: 40"].map(String::from).to_vec(),
            ],
            row_headers: true,
        }
        .without_empty_columns();
        assert_eq!(t.columns, vec!["Mått", "Utfall", "Område"]);
        assert_eq!(t.rows[0], vec!["", "51", ""]);
        assert_eq!(t.rows[1], vec!["Trygghet", "", "Vårby: 40"]);
    }
}
