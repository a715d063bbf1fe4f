//! Internal control in the oversight view: per board and year, whether the plan is
//! adopted, elected members took part in the risk analysis, KS's common items are in it,
//! how many actions and control occurrences are done, the findings still without a
//! decision, and the board's own assessment beside the auditors' (`DOMAIN-MODULES.md`
//! A3.8). The page, the export and the report section are built from the same rows
//! ([`crate::internal_control::board_years`]).

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use uppsikt_domain::internal_control::BoardYear;
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_store::Store;

use super::{
    BoxFuture, Count, CountRow, CountTable, ExportError, Figure, OversightSource, Panel, Remark,
};
use crate::build::Result;
use crate::internal_control::{
    board_years, oversight_rows, oversight_table, oversight_total, oversight_year,
    OVERSIGHT_COLUMNS,
};
use crate::model::{Block, Section};

/// Internal control's source of the oversight view.
pub struct InternalControl;

/// The address of the internal-control overview of a year (the web's list of plans).
pub fn overview_link(year: i32) -> String {
    format!("/internal-control?year={year}")
}

impl OversightSource for InternalControl {
    fn panel<'a>(&'a self, store: &'a Store, today: &'a str) -> BoxFuture<'a, Result<Panel>> {
        Box::pin(async move {
            let year = oversight_year(store, today).await?;
            let boards = board_years(store, year, today, None).await?;
            Ok(panel(&boards, year))
        })
    }

    fn sheets<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        workbook: &'a mut Workbook,
    ) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            let mut years: Vec<i32> = store
                .control_plan_years()
                .await?
                .into_iter()
                .map(|(_, y, _)| y)
                .collect();
            years.sort_unstable_by(|a, b| b.cmp(a));
            years.dedup();
            let mut all = Vec::with_capacity(years.len());
            for year in years {
                all.push((year, board_years(store, year, today, None).await?));
            }
            Ok(sheet(workbook, today, &all)?)
        })
    }

    fn section<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        within: Option<Id>,
    ) -> BoxFuture<'a, Result<Section>> {
        Box::pin(async move {
            let year = oversight_year(store, today).await?;
            let boards = board_years(store, year, today, within).await?;
            Ok(section(&boards, year, today))
        })
    }
}

/// The page's part: headline figures, remarks and the table per board.
pub fn panel(boards: &[(OrgUnit, BoardYear)], year: i32) -> Panel {
    let heading = Some(format!("Intern kontroll {year}"));
    if boards.is_empty() {
        return Panel {
            heading,
            empty: Some("Det finns inga nämnder eller styrelser att följa.".into()),
            ..Panel::default()
        };
    }
    let n = boards.len();
    let count = |f: &dyn Fn(&BoardYear) -> bool| boards.iter().filter(|(_, b)| f(b)).count();
    let sum = |f: &dyn Fn(&BoardYear) -> usize| boards.iter().map(|(_, b)| f(b)).sum::<usize>();
    let link = overview_link(year);
    let figure = |label: String, value: usize, alert: bool| Figure {
        label,
        value,
        link: link.clone(),
        alert: alert && value > 0,
    };
    let elected = count(&|b| b.elected_members == Some(true));
    let audited = count(&|b| b.auditor_assessment.is_some());
    let rows = oversight_rows(boards);
    Panel {
        heading,
        empty: None,
        figures: vec![
            figure(
                format!("Nämnder och styrelser utan internkontrollplan {year}"),
                count(&|b| !b.has_plan),
                true,
            ),
            figure(
                "Planer utan registrerat beslut".into(),
                count(&|b| b.has_plan && b.adoption.is_none()),
                true,
            ),
            figure(
                "Anmärkningar från kontroller utan beslut".into(),
                sum(&|b| b.findings_undecided),
                true,
            ),
            figure(
                "Kontrolltillfällen som inte genomförts enligt plan".into(),
                sum(&|b| b.summary.occurrences_missed),
                true,
            ),
            figure(
                format!("Internkontrollplaner {year}"),
                count(&|b| b.has_plan),
                false,
            ),
        ],
        remarks: vec![
            Remark {
                before: "Förtroendevalda deltog i risk- och väsentlighetsanalysen hos".into(),
                emphasis: format!("{elected} av {n}"),
                after: " nämnder och styrelser.".into(),
            },
            Remark {
                before: "Revisorernas bedömning av den interna kontrollen finns för".into(),
                emphasis: format!("{audited} av {n}"),
                after: ".".into(),
            },
        ],
        tables: vec![CountTable {
            id: "ic-per-board",
            caption: format!("Intern kontroll per nämnd och styrelse {year}"),
            description: format!(
                "Intern kontroll {year} per nämnd och styrelse: beslut om planen, förtroendevaldas deltagande i riskanalysen, kommungemensamma punkter, klara åtgärder, genomförda kontrolltillfällen, anmärkningar utan beslut och bedömningar. Nämndens namn leder till dess plan."
            ),
            heading: "Nämnd/styrelse".into(),
            columns: OVERSIGHT_COLUMNS.map(String::from).to_vec(),
            rows: rows
                .into_iter()
                .map(|r| CountRow {
                    label: r.unit_name,
                    link: r.plan_link,
                    cells: r
                        .cells
                        .into_iter()
                        .map(|value| Count { value, link: None })
                        .collect(),
                })
                .collect(),
            total: CountRow {
                label: "Totalt".into(),
                link: None,
                cells: oversight_total(boards)
                    .into_iter()
                    .map(|value| Count { value, link: None })
                    .collect(),
            },
        }],
    }
}

/// The worksheet "Intern kontroll": a row per board and year, latest year first, numbers
/// as numbers.
pub fn sheet(
    wb: &mut Workbook,
    today: &str,
    years: &[(i32, Vec<(OrgUnit, BoardYear)>)],
) -> std::result::Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE3EA")
        .set_border_bottom(FormatBorder::Medium);
    let sheet = wb.add_worksheet().set_name("Intern kontroll")?;
    sheet.write_string_with_format(
        0,
        0,
        format!("Intern kontroll per nämnd och år, läget per {today}"),
        &Format::new().set_bold(),
    )?;
    let columns = [
        "År",
        "Nämnd/styrelse",
        "Plan i uppsikt",
        "Beslut om planen",
        "Förtroendevalda i riskanalysen",
        "Kommungemensamma punkter med",
        "Kommungemensamma punkter totalt",
        "Åtgärder",
        "Åtgärder klara",
        "Åtgärder med verifierad effekt",
        "Kontrolltillfällen",
        "Kontrolltillfällen genomförda",
        "Kontrolltillfällen ej genomförda enligt plan",
        "Anmärkningar utan beslut",
        "Nämndens bedömning",
        "Källa (nämndens bedömning)",
        "Revisorernas bedömning",
        "Källa (revisorernas bedömning)",
    ];
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *name, &header)?;
    }
    let mut row = 3u32;
    for (year, boards) in years {
        for (unit, b) in boards {
            let s = &b.summary;
            sheet.write_number(row, 0, f64::from(*year))?;
            sheet.write_string(row, 1, &unit.name)?;
            sheet.write_string(row, 2, if b.has_plan { "Ja" } else { "Nej" })?;
            if b.has_plan {
                sheet.write_string(
                    row,
                    3,
                    b.adoption
                        .as_ref()
                        .map_or_else(|| "Saknas".into(), crate::internal_control::adoption_sv),
                )?;
                sheet.write_string(
                    row,
                    4,
                    match b.elected_members {
                        Some(true) => "Ja",
                        Some(false) => "Nej",
                        None => "Uppgift saknas",
                    },
                )?;
                for (c, n) in [
                    (5, b.common_included),
                    (6, b.common_expected),
                    (7, s.actions),
                    (8, s.actions_done),
                    (9, s.actions_verified),
                    (10, s.occurrences),
                    (11, s.occurrences_performed),
                    (12, s.occurrences_missed),
                    (13, b.findings_undecided),
                ] {
                    sheet.write_number(row, c, n as f64)?;
                }
                for (c, a) in [(14, &b.self_assessment), (16, &b.auditor_assessment)] {
                    match a {
                        Some(a) => {
                            sheet.write_string(row, c, &a.level)?;
                            sheet.write_string(row, c + 1, &a.source)?;
                        }
                        None => {
                            sheet.write_string(row, c, "Saknas")?;
                        }
                    }
                }
            }
            row += 1;
        }
    }
    sheet.autofilter(2, 0, row.saturating_sub(1).max(2), columns.len() as u16 - 1)?;
    sheet.set_freeze_panes(3, 2)?;
    sheet.set_column_width(1, 36)?;
    sheet.set_column_width(3, 40)?;
    Ok(())
}

/// The report section: the table of the report's boards.
pub fn section(boards: &[(OrgUnit, BoardYear)], year: i32, today: &str) -> Section {
    let mut s = Section::new(format!("Uppsikt: intern kontroll {year}"));
    if boards.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: "Det finns inga nämnder eller styrelser att följa.".into(),
        });
        return s;
    }
    let with_plan = boards.iter().filter(|(_, b)| b.has_plan).count();
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Läget den {today}: {with_plan} av {} nämnder och styrelser har en internkontrollplan för {year} i uppsikt.",
            boards.len()
        ),
    });
    s.blocks.push(Block::Table(oversight_table(boards, year)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use uppsikt_domain::internal_control::{board_year, ControlPlan};

    fn unit(id: Id, name: &str) -> OrgUnit {
        OrgUnit {
            id,
            key: name.into(),
            name: name.into(),
            short_name: name.into(),
            kind: uppsikt_domain::model::OrgKind::Namnd,
            parent_id: Some(1),
            position: id,
        }
    }

    fn plan(id: Id, org_id: Id) -> ControlPlan {
        ControlPlan {
            id,
            org_id,
            year: 2019,
            rule_ref: "HKF 9410".into(),
            legal_basis: "KL 6:6".into(),
            adoption: None,
            risk_analysis: None,
            self_assessment: None,
            auditor_assessment: None,
            matrix: None,
            risks: vec![],
            actions: vec![],
            controls: vec![],
        }
    }

    #[test]
    fn the_panel_and_the_section_show_the_same_rows() {
        let boards = vec![
            (
                unit(2, "Kommunstyrelsen"),
                board_year(2, 2019, Some(&plan(7, 2)), 0, 2, "2019-12-31"),
            ),
            (
                unit(3, "Gymnasie- och arbetsmarknadsnämnden"),
                board_year(3, 2019, None, 0, 0, "2019-12-31"),
            ),
        ];
        let p = panel(&boards, 2019);
        assert_eq!(p.heading.as_deref(), Some("Intern kontroll 2019"));
        let figures: Vec<(usize, bool)> = p.figures.iter().map(|f| (f.value, f.alert)).collect();
        assert_eq!(
            figures,
            [(1, true), (1, true), (2, true), (0, false), (1, false)]
        );
        assert_eq!(p.figures[0].link, "/internal-control?year=2019");
        let t = &p.tables[0];
        assert_eq!(t.rows[0].link.as_deref(), Some("/internal-control/7"));
        assert_eq!(t.rows[0].cells[0].value, "Saknas");
        assert_eq!(t.rows[1].cells[0].value, "Ingen plan i uppsikt");
        assert_eq!(t.total.cells[5].value, "2");
        let s = section(&boards, 2019, "2020-01-10");
        let Block::Table(table) = &s.blocks[1] else {
            panic!("a table")
        };
        for (row, count_row) in table.rows.iter().zip(&t.rows) {
            let cells: Vec<&str> = count_row.cells.iter().map(|c| c.value.as_str()).collect();
            assert_eq!(row[1..], cells[..]);
        }
        let mut wb = Workbook::new();
        sheet(&mut wb, "2020-01-10", &[(2019, boards)]).unwrap();
        assert!(wb.save_to_buffer().is_ok());
    }
}
