//! The report's workbook: every measure with every value, and the goal assessments.
//! Number formats use Excel's locale-neutral codes (`#,##0.0`), which Swedish Excel and
//! LibreOffice show as `1 234,5`.

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

use rust_xlsxwriter::DocProperties;

use crate::build::Version;
use crate::model::{Block, FigureTable, Report, ReportKind, Section, Table};

fn number_format(decimals: u8) -> String {
    if decimals == 0 {
        "#,##0".into()
    } else {
        format!("#,##0.{}", "0".repeat(usize::from(decimals.min(6))))
    }
}

pub fn render(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // The data version the workbook was built from, in its properties (Arkiv > Egenskaper).
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{} – {}", report.meta.title, report.meta.subject))
            .set_author(&report.meta.organisation)
            .set_keywords(format!(
                "uppsikt-data-version: {}",
                report.meta.data_version
            ))
            .set_comment(format!(
                "{}, dataversion {}",
                report.meta.version.label_sv(),
                report.meta.data_version
            )),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE3EA")
        .set_border_bottom(FormatBorder::Medium);
    let title = Format::new().set_bold().set_font_size(14);

    // A follow-up of an internal-control plan or of the auditors' recommendations has no
    // measures.
    if !matches!(
        report.meta.kind,
        ReportKind::InternalControlFollowUp
            | ReportKind::AuditFollowUp
            | ReportKind::AreaFollowUp
            | ReportKind::CrimePrevention
    ) {
        let sheet = wb.add_worksheet().set_name("Mått")?;
        sheet.write_string_with_format(
            0,
            0,
            format!("{} – {}", report.meta.title, report.meta.subject),
            &title,
        )?;
        let note = match report.meta.version {
            Version::Working => format!(
                "{}. Dataversion {}. Etappmål, status och trend per rad gäller radens period.",
                report.meta.period_label, report.meta.data_version
            ),
            Version::Board => format!(
                "{}. Etappmål, status och trend per rad gäller radens period.",
                report.meta.period_label
            ),
        };
        sheet.write_string(1, 0, note)?;
        let columns = [
            "Enhet",
            "Mål",
            "Mått",
            "Enhet (mått)",
            "Källa",
            "Period",
            "Grupp",
            "Värde",
            "Felmarginal (±)",
            "Etappmål",
            "Status",
            "Trend",
        ];
        for (c, name) in columns.iter().enumerate() {
            sheet.write_string_with_format(3, c as u16, *name, &header)?;
        }
        let mut row = 4u32;
        for m in &report.measures {
            let number = Format::new().set_num_format(number_format(m.decimals));
            for (period, group, value, margin) in &m.values {
                let judged = m.by_period.iter().find(|e| &e.period == period);
                sheet.write_string(row, 0, &m.unit_name)?;
                sheet.write_string(row, 1, &m.goal)?;
                sheet.write_string(row, 2, &m.indicator)?;
                sheet.write_string(row, 3, &m.unit)?;
                sheet.write_string(row, 4, &m.source)?;
                sheet.write_string(row, 5, period)?;
                sheet.write_string(row, 6, group)?;
                sheet.write_number_with_format(row, 7, *value, &number)?;
                if let Some(mg) = margin {
                    sheet.write_number_with_format(row, 8, *mg, &number)?;
                }
                if let Some(e) = judged {
                    sheet.write_string(row, 9, &e.milestone)?;
                    sheet.write_string(row, 10, &e.status)?;
                    sheet.write_string(row, 11, &e.trend)?;
                }
                row += 1;
            }
        }
        sheet.autofilter(
            3,
            0,
            row.saturating_sub(1).max(3),
            (columns.len() - 1) as u16,
        )?;
        sheet.set_freeze_panes(4, 0)?;
        for (c, width) in [
            14.0, 30.0, 45.0, 10.0, 22.0, 9.0, 14.0, 10.0, 12.0, 14.0, 12.0, 11.0,
        ]
        .iter()
        .enumerate()
        {
            sheet.set_column_width(c as u16, *width)?;
        }
    }

    // A plan's and an internal-control follow-up's tables all go into the workbook; of a
    // verksamhetsberättelse or delårsrapport, the goal tables and the summary.
    let (name, all) = match report.meta.kind {
        ReportKind::Verksamhetsplan => ("Plan", true),
        ReportKind::InternalControlFollowUp => ("Internkontroll", true),
        ReportKind::AuditFollowUp => ("Revisionsuppföljning", true),
        ReportKind::AreaFollowUp => ("Områdesuppföljning", true),
        ReportKind::CrimePrevention => ("Brottsförebyggande arbete", true),
        ReportKind::Verksamhetsberattelse | ReportKind::Delarsrapport => ("Måluppfyllelse", false),
    };
    let heading = if all {
        format!("{} – {}", report.meta.title, report.meta.subject)
    } else {
        format!("Måluppfyllelse – {}", report.meta.subject)
    };
    let tables: Vec<&Table> = if all {
        report
            .walk()
            .into_iter()
            .flat_map(|(_, s)| tables_of(s))
            .collect()
    } else {
        report
            .chapters()
            .flat_map(tables_of)
            .filter(|t| {
                t.caption.starts_with("Måluppfyllelse per mål")
                    || t.caption.starts_with("Sammanfattning")
            })
            .collect()
    };
    tables_sheet(&mut wb, name, &heading, &tables, &header, &title)?;
    // The internal-control chapter of a verksamhetsberättelse or delårsrapport: its tables
    // on a sheet of their own.
    if !all {
        if let Some(chapter) = report
            .sections
            .iter()
            .find(|s| s.title == crate::internal_control::CHAPTER_TITLE)
        {
            let mut sections = Vec::new();
            walk(chapter, &mut sections);
            let tables: Vec<&Table> = sections.into_iter().flat_map(tables_of).collect();
            if !tables.is_empty() {
                let heading = format!("Intern kontroll – {}", report.meta.subject);
                tables_sheet(
                    &mut wb,
                    "Intern kontroll",
                    &heading,
                    &tables,
                    &header,
                    &title,
                )?;
            }
        }
    }
    // The economy chapter: its tables of figures as numbers, its notes as text.
    if !all {
        if let Some(chapter) = report
            .sections
            .iter()
            .find(|s| s.title == crate::economy::CHAPTER_TITLE)
        {
            let mut sections = Vec::new();
            walk(chapter, &mut sections);
            let has_tables = sections.iter().any(|s| {
                s.blocks
                    .iter()
                    .any(|b| matches!(b, Block::Figures(_) | Block::Table(_)))
            });
            if has_tables {
                economy_sheet(&mut wb, report, &sections, &header, &title)?;
            }
        }
    }
    wb.save_to_buffer()
}

/// The economy chapter on a sheet: each section's heading, its notes, and its tables with
/// amounts as numbers (mnkr, one decimal), sum rows bold and sub-rows indented.
fn economy_sheet(
    wb: &mut Workbook,
    report: &Report,
    sections: &[&Section],
    header: &Format,
    title: &Format,
) -> Result<(), XlsxError> {
    let sheet = wb.add_worksheet().set_name(crate::economy::CHAPTER_TITLE)?;
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "{} – {}, {}",
            crate::economy::CHAPTER_TITLE,
            report.meta.subject,
            report.meta.period_label
        ),
        title,
    )?;
    let bold = Format::new().set_bold();
    let mut row = 2u32;
    for s in sections.iter().skip(1) {
        sheet.write_string_with_format(row, 0, &s.title, &bold)?;
        row += 1;
        for b in &s.blocks {
            match b {
                Block::Paragraph { text } => {
                    sheet.write_string(row, 0, text)?;
                    row += 1;
                }
                Block::Labeled { label, text } => {
                    sheet.write_string(row, 0, format!("{label}: {text}"))?;
                    row += 1;
                }
                Block::List { title, items } => {
                    if let Some(t) = title {
                        sheet.write_string(row, 0, t)?;
                        row += 1;
                    }
                    for i in items {
                        sheet.write_string(row, 0, format!("– {i}"))?;
                        row += 1;
                    }
                }
                Block::Figures(t) => {
                    row = figure_rows(sheet, t, row, header)?;
                }
                Block::Table(t) => {
                    sheet.write_string_with_format(row, 0, &t.caption, &bold)?;
                    row += 1;
                    for (c, name) in t.columns.iter().enumerate() {
                        sheet.write_string_with_format(row, c as u16, name, header)?;
                    }
                    row += 1;
                    for r in &t.rows {
                        for (c, cell) in r.iter().enumerate() {
                            sheet.write_string(row, c as u16, cell.replace('\n', "; "))?;
                        }
                        row += 1;
                    }
                }
                Block::Assessment { .. } | Block::Chart(_) | Block::Commitment { .. } => {}
            }
        }
        row += 1;
    }
    sheet.set_column_width(0, 48.0)?;
    for c in 1..=6u16 {
        sheet.set_column_width(c, 16.0)?;
    }
    Ok(())
}

/// A table of figures from `row` on; returns the row after it (and a blank line).
fn figure_rows(
    sheet: &mut rust_xlsxwriter::Worksheet,
    t: &FigureTable,
    mut row: u32,
    header: &Format,
) -> Result<u32, XlsxError> {
    sheet.write_string_with_format(row, 0, &t.caption, &Format::new().set_bold())?;
    row += 1;
    for (c, name) in t.columns.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, name, header)?;
    }
    row += 1;
    for r in &t.rows {
        let mut label = Format::new().set_indent(r.depth.min(5));
        let mut number = Format::new().set_num_format("#,##0.0");
        let mut text = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
        if r.sum {
            label = label.set_bold();
            number = number.set_bold();
            text = text.set_bold();
        }
        sheet.write_string_with_format(row, 0, &r.label, &label)?;
        for (i, cell) in r.cells.iter().enumerate() {
            let c = (i + 1) as u16;
            match cell.value {
                Some(v) => {
                    sheet.write_number_with_format(row, c, v, &number)?;
                }
                None if !cell.text.is_empty() => {
                    sheet.write_string_with_format(row, c, cell.text.replace('\n', "; "), &text)?;
                }
                None => {}
            }
        }
        row += 1;
    }
    Ok(row + 1)
}

fn tables_of(s: &Section) -> impl Iterator<Item = &Table> {
    s.blocks.iter().filter_map(|b| match b {
        Block::Table(t) => Some(t),
        _ => None,
    })
}

fn walk<'a>(s: &'a Section, out: &mut Vec<&'a Section>) {
    out.push(s);
    for c in &s.children {
        walk(c, out);
    }
}

/// A worksheet of tables one below the other, each with its caption and header row.
fn tables_sheet(
    wb: &mut Workbook,
    name: &str,
    heading: &str,
    tables: &[&Table],
    header: &Format,
    title: &Format,
) -> Result<(), XlsxError> {
    let sheet = wb.add_worksheet().set_name(name)?;
    sheet.write_string_with_format(0, 0, heading, title)?;
    let mut row = 2u32;
    for t in tables {
        sheet.write_string_with_format(row, 0, &t.caption, &Format::new().set_bold())?;
        row += 1;
        for (c, name) in t.columns.iter().enumerate() {
            sheet.write_string_with_format(row, c as u16, name, header)?;
        }
        row += 1;
        for r in &t.rows {
            for (c, cell) in r.iter().enumerate() {
                sheet.write_string(row, c as u16, cell.replace('\n', "; "))?;
            }
            row += 1;
        }
        row += 1;
    }
    for (c, width) in [40.0, 28.0, 16.0, 18.0, 50.0].iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    Ok(())
}
