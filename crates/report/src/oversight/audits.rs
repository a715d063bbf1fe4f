//! Audit recommendations in the oversight view: per board, the recommendations addressed to
//! it that are still open, how many need attention, those without a decided response (and
//! of them those past the auditors' date), those the board declined, those whose action is
//! late, and the age of the oldest (`domain::audit::tally_by_unit`, `DOMAIN-MODULES.md`
//! B3). The page, the export and the report section are built from the same rows
//! ([`board_tallies`]); each board leads to its list of recommendations.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use uppsikt_domain::audit::{
    age_sv, board_rows, tally_by_unit, ActionFacts, Audit, BoardRow, BoardTally,
};
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::model::{Id, OrgKind, OrgUnit};
use uppsikt_store::Store;

use super::{
    BoxFuture, Count, CountRow, CountTable, ExportError, Figure, OversightSource, Panel, Remark,
};
use crate::build::Result;
use crate::model::{Block, Section, Table};

/// Audit recommendations' source of the oversight view.
pub struct Audits;

/// The panel's and the section's heading.
pub const HEADING: &str = "Revisionens rekommendationer";

/// The columns of the table per board, after the board's name.
pub const COLUMNS: [&str; 6] = [
    "Öppna",
    "Behöver uppmärksamhet",
    "Obesvarade (svar försenat)",
    "Avböjda",
    "Åtgärd försenad",
    "Äldsta öppna",
];

/// The list of the recommendations addressed to a board (the web's board view).
pub fn board_link(unit_id: Id) -> String {
    format!("/audits/boards/{unit_id}")
}

/// The list of all audits.
pub const AUDITS_LINK: &str = "/audits";

/// Every board with recommendations addressed to it and its tally on `today`, the executive
/// board first and the rest in Swedish alphabetical order; `within` keeps those units.
/// Boards with only closed recommendations are left out (nothing to follow).
pub fn board_tallies(
    audits: &[Audit],
    facts: &HashMap<(Id, Id), ActionFacts>,
    today: &str,
    units: &[OrgUnit],
    within: Option<&[Id]>,
) -> Vec<(OrgUnit, BoardTally)> {
    let rows = board_rows(audits, facts, today);
    let mut out: Vec<(OrgUnit, BoardTally)> = tally_by_unit(&rows)
        .into_iter()
        .filter(|(id, _)| within.is_none_or(|w| w.contains(id)))
        .map(|(id, t)| {
            let unit = units
                .iter()
                .find(|u| u.id == id)
                .cloned()
                .unwrap_or_else(|| OrgUnit {
                    id,
                    key: id.to_string(),
                    name: format!("Enhet nr {id}"),
                    short_name: id.to_string(),
                    kind: OrgKind::Namnd,
                    parent_id: None,
                    position: id,
                });
            (unit, t)
        })
        .collect();
    out.sort_by(|(a, _), (b, _)| {
        (a.kind != OrgKind::Styrelse)
            .cmp(&(b.kind != OrgKind::Styrelse))
            .then_with(|| swedish_cmp(&a.name, &b.name))
    });
    out
}

/// The cells of a board's row, in the order of [`COLUMNS`].
pub fn cells(t: &BoardTally) -> [String; 6] {
    [
        t.open.to_string(),
        t.needs_attention.to_string(),
        if t.response_overdue > 0 {
            format!("{} ({} försenat)", t.unanswered, t.response_overdue)
        } else {
            t.unanswered.to_string()
        },
        t.declined.to_string(),
        t.action_overdue.to_string(),
        t.oldest_years.map_or_else(|| "–".into(), age_sv),
    ]
}

fn sum(boards: &[(OrgUnit, BoardTally)], f: fn(&BoardTally) -> usize) -> usize {
    boards.iter().map(|(_, t)| f(t)).sum()
}

/// The total over the boards (the oldest is the oldest of all).
pub fn total(boards: &[(OrgUnit, BoardTally)]) -> BoardTally {
    BoardTally {
        open: sum(boards, |t| t.open),
        needs_attention: sum(boards, |t| t.needs_attention),
        unanswered: sum(boards, |t| t.unanswered),
        response_overdue: sum(boards, |t| t.response_overdue),
        action_overdue: sum(boards, |t| t.action_overdue),
        declined: sum(boards, |t| t.declined),
        awaiting_follow_up: sum(boards, |t| t.awaiting_follow_up),
        oldest_years: boards.iter().filter_map(|(_, t)| t.oldest_years).max(),
    }
}

/// The page's part: headline figures, the oldest open recommendation, the table per board.
pub fn panel(boards: &[(OrgUnit, BoardTally)]) -> Panel {
    let heading = Some(HEADING.to_string());
    if boards.is_empty() {
        return Panel {
            heading,
            empty: Some("Inga rekommendationer från revisionen är öppna i uppsikt.".into()),
            ..Panel::default()
        };
    }
    let t = total(boards);
    let figure = |label: &str, value: usize, alert: bool| Figure {
        label: label.into(),
        value,
        link: AUDITS_LINK.into(),
        alert: alert && value > 0,
    };
    let mut remarks = Vec::new();
    if let Some((unit, oldest)) = boards
        .iter()
        .filter_map(|(u, t)| t.oldest_years.map(|y| (u, y)))
        .max_by_key(|(_, y)| *y)
    {
        remarks.push(Remark {
            before: "Den äldsta öppna rekommendationen är".into(),
            emphasis: age_sv(oldest),
            after: format!(" gammal ({}).", unit.name),
        });
    }
    let link_if = |unit: Id, n: usize| (n > 0).then(|| board_link(unit));
    Panel {
        heading,
        empty: None,
        figures: vec![
            figure("Obesvarade rekommendationer", t.unanswered, true),
            figure("Svar efter revisorernas sista dag", t.response_overdue, true),
            figure("Rekommendationer med försenad åtgärd", t.action_overdue, true),
            figure("Avböjda rekommendationer", t.declined, false),
            figure("Öppna rekommendationer", t.open, false),
        ],
        remarks,
        tables: vec![CountTable {
            id: "audits-per-board",
            caption: "Revisionens öppna rekommendationer per nämnd och styrelse".into(),
            description: "Öppna rekommendationer från revisionen per nämnd och styrelse: hur många som behöver uppmärksamhet, är obesvarade (och av dem med svaret försenat), är avböjda eller har en försenad åtgärd, och hur gammal den äldsta är. Nämndens namn och varje tal leder till nämndens lista över rekommendationer.".into(),
            heading: "Nämnd/styrelse".into(),
            columns: COLUMNS.map(String::from).to_vec(),
            rows: boards
                .iter()
                .map(|(u, t)| {
                    let counts = [
                        t.open,
                        t.needs_attention,
                        t.unanswered,
                        t.declined,
                        t.action_overdue,
                        t.oldest_years.map_or(0, |_| 1),
                    ];
                    CountRow {
                        label: u.name.clone(),
                        link: Some(board_link(u.id)),
                        cells: cells(t)
                            .into_iter()
                            .zip(counts)
                            .map(|(value, n)| Count {
                                value,
                                link: link_if(u.id, n),
                            })
                            .collect(),
                    }
                })
                .collect(),
            total: CountRow {
                label: "Totalt".into(),
                link: None,
                cells: cells(&t)
                    .into_iter()
                    .map(|value| Count { value, link: None })
                    .collect(),
            },
        }],
    }
}

/// The table per board as a report block, with its total.
pub fn table(boards: &[(OrgUnit, BoardTally)]) -> Table {
    let mut rows: Vec<Vec<String>> = boards
        .iter()
        .map(|(u, t)| std::iter::once(u.name.clone()).chain(cells(t)).collect())
        .collect();
    if !boards.is_empty() {
        rows.push(
            std::iter::once("Totalt".to_string())
                .chain(cells(&total(boards)))
                .collect(),
        );
    }
    Table {
        caption: "Revisionens öppna rekommendationer per nämnd och styrelse".into(),
        columns: std::iter::once("Nämnd/styrelse".to_string())
            .chain(COLUMNS.map(String::from))
            .collect(),
        rows,
        row_headers: true,
    }
}

/// The report section: the figures in a sentence and the table.
pub fn section(boards: &[(OrgUnit, BoardTally)], today: &str) -> Section {
    let mut s = Section::new(format!("Uppsikt: {}", HEADING.to_lowercase()));
    if boards.is_empty() {
        s.blocks.push(Block::Paragraph {
            text: "Inga rekommendationer från revisionen är öppna i uppsikt.".into(),
        });
        return s;
    }
    let t = total(boards);
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Läget den {today}: {} öppna rekommendationer till {} nämnder och styrelser; {} saknar ett beslutat svar och {} har en försenad åtgärd.",
            t.open,
            boards.len(),
            t.unanswered,
            t.action_overdue
        ),
    });
    s.blocks.push(Block::Table(table(boards)));
    s
}

/// The worksheets: "Revision per nämnd" (the table, numbers as numbers) and
/// "Revision rekommendationer" (every recommendation × addressee with where it stands).
pub fn sheets(
    wb: &mut Workbook,
    today: &str,
    boards: &[(OrgUnit, BoardTally)],
    audits: &[Audit],
    rows: &[BoardRow],
    units: &[OrgUnit],
) -> std::result::Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE3EA")
        .set_border_bottom(FormatBorder::Medium);
    let bold = Format::new().set_bold();
    let sheet = wb.add_worksheet().set_name("Revision per nämnd")?;
    sheet.write_string_with_format(
        0,
        0,
        format!("Revisionens öppna rekommendationer per nämnd, läget per {today}"),
        &bold,
    )?;
    let columns = [
        "Nämnd/styrelse",
        "Öppna",
        "Behöver uppmärksamhet",
        "Obesvarade",
        "Svar försenat",
        "Avböjda",
        "Åtgärd försenad",
        "Väntar på uppföljning",
        "Äldsta öppna (år)",
    ];
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *name, &header)?;
    }
    let mut r = 3u32;
    for (u, t) in boards {
        sheet.write_string(r, 0, &u.name)?;
        for (c, n) in [
            t.open,
            t.needs_attention,
            t.unanswered,
            t.response_overdue,
            t.declined,
            t.action_overdue,
            t.awaiting_follow_up,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_number(r, c as u16 + 1, n as f64)?;
        }
        if let Some(y) = t.oldest_years {
            sheet.write_number(r, 8, y as f64)?;
        }
        r += 1;
    }
    sheet.autofilter(2, 0, r.saturating_sub(1).max(2), columns.len() as u16 - 1)?;
    sheet.set_freeze_panes(3, 1)?;
    sheet.set_column_width(0, 36)?;

    let sheet = wb.add_worksheet().set_name("Revision rekommendationer")?;
    sheet.write_string_with_format(
        0,
        0,
        format!("Revisionens rekommendationer per nämnd, läget per {today}"),
        &bold,
    )?;
    let columns = [
        "Nämnd/styrelse",
        "Granskning",
        "Revisionsplan (år)",
        "Diarienummer",
        "Nr",
        "Rekommendation",
        "Läge",
        "Ålder (år)",
        "Svar försenat",
        "Planerade åtgärder",
        "Klara",
        "Försenade",
        "Senaste bedömning",
    ];
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *name, &header)?;
    }
    let name = |id: Id| {
        units
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("Enhet nr {id}"), |u| u.name.clone())
    };
    let mut r = 3u32;
    for row in rows {
        let Some(a) = audits.iter().find(|a| a.id == row.audit_id) else {
            continue;
        };
        let Some(rec) = a.recommendation(row.recommendation_id) else {
            continue;
        };
        sheet.write_string(r, 0, name(row.unit_id))?;
        sheet.write_string(r, 1, &a.title)?;
        sheet.write_number(r, 2, f64::from(a.plan_year))?;
        sheet.write_string(r, 3, a.case_ref.as_ref().map_or("", |c| c.text.as_str()))?;
        sheet.write_string(r, 4, &rec.number)?;
        sheet.write_string(r, 5, &rec.text)?;
        sheet.write_string(r, 6, row.handling.label_sv())?;
        sheet.write_number(r, 7, row.age_years as f64)?;
        sheet.write_string(r, 8, if row.response_overdue { "Ja" } else { "Nej" })?;
        sheet.write_number(r, 9, row.facts.planned as f64)?;
        sheet.write_number(r, 10, row.facts.done as f64)?;
        sheet.write_number(r, 11, row.facts.overdue as f64)?;
        if let Some((year, grade)) = row.latest_verdict {
            sheet.write_string(r, 12, format!("{year}: {}", grade.label_sv()))?;
        }
        r += 1;
    }
    sheet.autofilter(2, 0, r.saturating_sub(1).max(2), columns.len() as u16 - 1)?;
    sheet.set_freeze_panes(3, 1)?;
    sheet.set_column_width(0, 30)?;
    sheet.set_column_width(1, 40)?;
    sheet.set_column_width(5, 60)?;
    Ok(())
}

/// What the three outputs read: the units, the audits and the board's action facts.
async fn load(
    store: &Store,
    today: &str,
) -> Result<(Vec<OrgUnit>, Vec<Audit>, HashMap<(Id, Id), ActionFacts>)> {
    Ok((
        store.org_units().await?,
        store.audits().await?,
        store.audit_action_facts(today).await?,
    ))
}

impl OversightSource for Audits {
    fn panel<'a>(&'a self, store: &'a Store, today: &'a str) -> BoxFuture<'a, Result<Panel>> {
        Box::pin(async move {
            let (units, audits, facts) = load(store, today).await?;
            Ok(panel(&board_tallies(&audits, &facts, today, &units, None)))
        })
    }

    fn sheets<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        workbook: &'a mut Workbook,
    ) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            let (units, audits, facts) = load(store, today).await?;
            let boards = board_tallies(&audits, &facts, today, &units, None);
            let rows = board_rows(&audits, &facts, today);
            Ok(sheets(workbook, today, &boards, &audits, &rows, &units)?)
        })
    }

    fn section<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        within: Option<Id>,
    ) -> BoxFuture<'a, Result<Section>> {
        Box::pin(async move {
            let (units, audits, facts) = load(store, today).await?;
            let inside = within.map(|root| super::subtree(&units, root));
            let boards = board_tallies(&audits, &facts, today, &units, inside.as_deref());
            Ok(section(&boards, today))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uppsikt_domain::audit::{AuditKind, Recommendation, Response, ResponseItem, Stance};
    use uppsikt_domain::deviation::DecidingBody;

    fn unit(id: Id, name: &str, kind: OrgKind) -> OrgUnit {
        OrgUnit {
            id,
            key: name.into(),
            name: name.into(),
            short_name: name.into(),
            kind,
            parent_id: Some(100),
            position: id,
        }
    }

    fn rec(id: Id, to: &[Id]) -> Recommendation {
        Recommendation {
            id,
            audit_id: 0,
            number: format!("T-{id}"),
            text: format!("Rekommendation {id}"),
            addressees: to.to_vec(),
            questions: vec![],
            reissues: None,
            verdicts: vec![],
            ic_links: vec![],
        }
    }

    fn audit(id: Id, year: i32, recs: Vec<Recommendation>) -> Audit {
        Audit {
            id,
            title: format!("Granskning {year}"),
            plan_year: year,
            kind: AuditKind::Review,
            commissioned_by: String::new(),
            performed_by: String::new(),
            audited_units: vec![],
            case_ref: None,
            issued_on: None,
            response_due: Some(format!("{year}-06-30")),
            purpose: String::new(),
            scope: String::new(),
            method: String::new(),
            criteria: vec![],
            fact_checked: false,
            overall: None,
            overall_text: String::new(),
            signatories: vec![],
            follows_up: vec![],
            questions: vec![],
            recommendations: recs,
            responses: vec![],
            report: None,
        }
    }

    const KS: Id = 1;
    const SOC: Id = 2;
    const FSN: Id = 3;

    /// Seed 002's ten recommendations to KS and the boards, unanswered; seed 000's three to
    /// KS; a 2013 one answered by KS with an action that is late.
    fn audits() -> Vec<Audit> {
        let mut old = audit(1, 2013, vec![rec(1, &[KS])]);
        old.responses.push(Response {
            id: 1,
            audit_id: 1,
            unit_id: KS,
            body: DecidingBody::Board,
            document: "tjänsteutlåtande".into(),
            decided_on: "2013-11-04".into(),
            paragraph: String::new(),
            case_ref: None,
            items: vec![ResponseItem {
                recommendation_id: 1,
                stance: Stance::Accepted,
                comment: String::new(),
            }],
        });
        let t = audit(
            2,
            2023,
            (11..=20).map(|id| rec(id, &[KS, SOC, FSN])).collect(),
        );
        let u = audit(3, 2024, (21..=23).map(|id| rec(id, &[KS])).collect());
        vec![old, t, u]
    }

    fn units() -> Vec<OrgUnit> {
        vec![
            unit(SOC, "Socialnämnden", OrgKind::Namnd),
            unit(FSN, "Förskolenämnden", OrgKind::Namnd),
            unit(KS, "Kommunstyrelsen", OrgKind::Styrelse),
        ]
    }

    #[test]
    fn the_panel_the_section_and_the_sheets_show_the_same_tallies() {
        let facts: HashMap<(Id, Id), ActionFacts> = [(
            (1, KS),
            ActionFacts {
                planned: 1,
                done: 0,
                overdue: 1,
            },
        )]
        .into();
        let boards = board_tallies(&audits(), &facts, "2026-12-06", &units(), None);
        let names: Vec<&str> = boards.iter().map(|(u, _)| u.name.as_str()).collect();
        assert_eq!(
            names,
            ["Kommunstyrelsen", "Förskolenämnden", "Socialnämnden"]
        );
        let ks = boards[0].1;
        assert_eq!((ks.open, ks.unanswered, ks.action_overdue), (14, 13, 1));
        assert_eq!(ks.response_overdue, 13);
        assert_eq!(ks.oldest_years, Some(13));
        let p = panel(&boards);
        let figures: Vec<(usize, bool)> = p.figures.iter().map(|f| (f.value, f.alert)).collect();
        assert_eq!(
            figures,
            [(33, true), (33, true), (1, true), (0, false), (34, false)]
        );
        assert_eq!(p.remarks[0].emphasis, "13 år");
        let t = &p.tables[0];
        assert_eq!(t.rows[0].link.as_deref(), Some("/audits/boards/1"));
        assert_eq!(t.rows[0].cells[2].value, "13 (13 försenat)");
        assert_eq!(t.rows[0].cells[3].link, None, "no declined, no link");
        assert_eq!(t.rows[0].cells[4].link.as_deref(), Some("/audits/boards/1"));
        assert_eq!(t.total.cells[0].value, "34");
        let s = section(&boards, "2026-12-06");
        let Block::Table(table) = &s.blocks[1] else {
            panic!("a table")
        };
        for (row, count_row) in table.rows.iter().zip(&t.rows) {
            let cells: Vec<&str> = count_row.cells.iter().map(|c| c.value.as_str()).collect();
            assert_eq!(row[1..], cells[..]);
        }
        assert_eq!(table.rows.last().unwrap()[0], "Totalt");
        let within = board_tallies(&audits(), &facts, "2026-12-06", &units(), Some(&[SOC]));
        assert_eq!(within.len(), 1);
        let mut wb = Workbook::new();
        let rows = board_rows(&audits(), &facts, "2026-12-06");
        sheets(&mut wb, "2026-12-06", &boards, &audits(), &rows, &units()).unwrap();
        assert!(wb.save_to_buffer().is_ok());
    }

    #[test]
    fn nothing_open_is_said_so() {
        let p = panel(&[]);
        assert!(p.empty.is_some());
        assert!(p.tables.is_empty());
    }
}
