//! The report's workbook: every measure with every value, and the goal assessments.
//! Number formats use Excel's locale-neutral codes (`#,##0.0`), which Swedish Excel and
//! LibreOffice show as `1 234,5`.

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};

use rust_xlsxwriter::DocProperties;

use crate::build::Version;
use crate::model::{Block, Report};

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

    // A plan's tables (its milestones and commitments per goal) all go into the workbook.
    let plan = report.meta.kind == crate::model::ReportKind::Verksamhetsplan;
    let name = if plan { "Plan" } else { "Måluppfyllelse" };
    let sheet = wb.add_worksheet().set_name(name)?;
    let heading = if plan {
        format!("{} – {}", report.meta.title, report.meta.subject)
    } else {
        format!("Måluppfyllelse – {}", report.meta.subject)
    };
    sheet.write_string_with_format(0, 0, heading, &title)?;
    let mut row = 2u32;
    let sections: Vec<&crate::model::Section> = if plan {
        report.walk().into_iter().map(|(_, s)| s).collect()
    } else {
        report.chapters().collect()
    };
    for block in sections.into_iter().flat_map(|s| s.blocks.iter()) {
        if let Block::Table(t) = block {
            if !plan
                && !t.caption.starts_with("Måluppfyllelse per mål")
                && !t.caption.starts_with("Sammanfattning")
            {
                continue;
            }
            sheet.write_string_with_format(row, 0, &t.caption, &Format::new().set_bold())?;
            row += 1;
            for (c, name) in t.columns.iter().enumerate() {
                sheet.write_string_with_format(row, c as u16, name, &header)?;
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
    }
    for (c, width) in [40.0, 28.0, 16.0, 18.0, 50.0].iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    wb.save_to_buffer()
}
