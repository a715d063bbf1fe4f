//! Deviations in the oversight view: what has not been acted on, per board, per area and
//! in total, each number leading to the deviations behind it; every deviation with its
//! decision and actions in the export; the undecided, oldest first, in reports.

use std::collections::{HashMap, HashSet};

use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use uppsikt_domain::collate::swedish_cmp;
use uppsikt_domain::deviation::{board_of, ActionState, Concern, Outcome, Standing, Tally};
use uppsikt_domain::model::{Id, OrgUnit};
use uppsikt_store::{Store, StoredDeviation};

use super::{
    subtree, BoxFuture, Count, CountRow, CountTable, ExportError, Figure, OversightSource, Panel,
    Remark,
};
use crate::build::Result;
use crate::model::{Block, Section, Table};

/// The deviations' source of the oversight view.
pub struct Deviations;

impl OversightSource for Deviations {
    fn panel<'a>(&'a self, store: &'a Store, today: &'a str) -> BoxFuture<'a, Result<Panel>> {
        Box::pin(async move { Ok(panel(&Tallies::load(store, today, None).await?)) })
    }

    fn sheets<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        workbook: &'a mut Workbook,
    ) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            let o = Tallies::load(store, today, None).await?;
            let all = store.deviations(None).await?;
            let names = store
                .org_units()
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect();
            let seen = store.actions_with_effect_seen().await?;
            Ok(sheets(workbook, &o, &all, &names, &seen)?)
        })
    }

    fn section<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
        within: Option<Id>,
    ) -> BoxFuture<'a, Result<Section>> {
        Box::pin(async move {
            let o = Tallies::load(store, today, within).await?;
            section(store, &o, within).await
        })
    }
}

/// One row of the view: a board, an area or the total.
#[derive(Debug, Clone, PartialEq)]
pub struct TallyRow {
    pub label: String,
    /// The board's unit (rows per board).
    pub board: Option<Id>,
    /// The area ("" for deviations without one; rows per area).
    pub area: Option<String>,
    pub tally: Tally,
}

/// The tallies of deviations as of a day.
#[derive(Debug, Clone, PartialEq)]
pub struct Tallies {
    /// ISO date the figures are counted as of.
    pub today: String,
    pub total: Tally,
    /// Boards in the organisation's order, only those with deviations.
    pub boards: Vec<TallyRow>,
    /// Areas in Swedish alphabetical order, "Inget område" last.
    pub areas: Vec<TallyRow>,
}

pub const NO_AREA: &str = "Inget angivet område";

impl Tallies {
    /// Counts every deviation (those of `within` and its units below, when given).
    pub async fn load(store: &Store, today: &str, within: Option<Id>) -> Result<Tallies> {
        let units = store.org_units().await?;
        let by_id: HashMap<Id, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
        let inside = within.map(|root| subtree(&units, root));
        let mut boards: HashMap<Id, Tally> = HashMap::new();
        let mut areas: HashMap<String, Tally> = HashMap::new();
        let mut total = Tally::default();
        for (org, area, tally) in store.oversight_tallies(today).await? {
            if inside.as_ref().is_some_and(|ids| !ids.contains(&org)) {
                continue;
            }
            boards.entry(board_of(&by_id, org)).or_default().add(&tally);
            areas
                .entry(area.unwrap_or_default())
                .or_default()
                .add(&tally);
            total.add(&tally);
        }
        let boards = units
            .iter()
            .filter_map(|u| {
                boards.remove(&u.id).map(|tally| TallyRow {
                    label: u.name.clone(),
                    board: Some(u.id),
                    area: None,
                    tally,
                })
            })
            .collect();
        let mut areas: Vec<TallyRow> = areas
            .into_iter()
            .map(|(area, tally)| TallyRow {
                label: if area.is_empty() {
                    NO_AREA.into()
                } else {
                    area.clone()
                },
                board: None,
                area: Some(area),
                tally,
            })
            .collect();
        areas.sort_by(|a, b| {
            let empty = |r: &TallyRow| r.area.as_deref() == Some("");
            empty(a)
                .cmp(&empty(b))
                .then_with(|| swedish_cmp(&a.label, &b.label))
        });
        Ok(Tallies {
            today: today.into(),
            total,
            boards,
            areas,
        })
    }

    /// The oldest undecided deviation's age in days.
    pub fn age(&self, tally: &Tally) -> String {
        tally
            .oldest_age(&self.today)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }
}

/// The units whose deviations a board's row counts: those `board_of` maps to it.
pub fn units_of_board(units: &[OrgUnit], board: Id) -> Vec<Id> {
    let by_id: HashMap<Id, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
    units
        .iter()
        .filter(|u| board_of(&by_id, u.id) == board)
        .map(|u| u.id)
        .collect()
}

/// The column headings of a tally table, after the row heading.
pub const TALLY_COLUMNS: [&str; 6] = [
    "Avvikelser",
    "Utan beslut",
    "Äldsta utan beslut (dagar)",
    "Beslut utan åtgärd",
    "Försenade åtgärder",
    "Genomförda åtgärder, okänd effekt",
];

/// A tally's cells in the order of [`TALLY_COLUMNS`].
pub fn tally_cells(o: &Tallies, t: &Tally) -> [String; 6] {
    [
        t.deviations.to_string(),
        t.undecided.to_string(),
        o.age(t),
        t.decided_without_action.to_string(),
        t.overdue_actions.to_string(),
        t.done_effect_unknown.to_string(),
    ]
}

/// How a deviation stands, in Swedish.
pub fn standing_sv(standing: Standing) -> &'static str {
    match standing {
        Standing::Undecided => "Utan beslut",
        Standing::NotActedOn => "Beslut att inte åtgärda",
        Standing::DecidedWithoutAction => "Beslut utan åtgärd",
        Standing::ActionsOpen => "Åtgärder pågår",
        Standing::ActionsClosed => "Åtgärder avslutade",
    }
}

/// The concerns behind each column of [`TALLY_COLUMNS`] (the age column lists the undecided).
const COLUMN_CONCERNS: [Concern; 6] = [
    Concern::All,
    Concern::Undecided,
    Concern::Undecided,
    Concern::DecidedWithoutAction,
    Concern::OverdueActions,
    Concern::EffectUnknown,
];

/// The drill-down to the deviations of a concern (of a board or an area): the address of
/// the web's list page, `/uppsikt/list`.
pub fn list_link(concern: Concern, board: Option<Id>, area: Option<&str>) -> String {
    let mut pairs = vec![("concern", concern.code().to_string())];
    if let Some(b) = board {
        pairs.push(("board", b.to_string()));
    }
    if let Some(a) = area {
        pairs.push(("area", a.to_string()));
    }
    format!(
        "/uppsikt/list?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// The page: headline figures, the oldest undecided's age, the tables per board and area.
fn panel(o: &Tallies) -> Panel {
    let t = &o.total;
    if t.deviations == 0 {
        return Panel {
            empty: Some("Inga avvikelser är registrerade.".into()),
            ..Panel::default()
        };
    }
    let figure = |label: &str, value: usize, concern: Concern| Figure {
        label: label.into(),
        value,
        link: list_link(concern, None, None),
        alert: value > 0 && concern != Concern::All,
    };
    let age = o.age(t);
    Panel {
        heading: None,
        empty: None,
        figures: vec![
            figure("Avvikelser utan beslut", t.undecided, Concern::Undecided),
            figure(
                "Beslut utan åtgärd",
                t.decided_without_action,
                Concern::DecidedWithoutAction,
            ),
            figure(
                "Försenade åtgärder",
                t.overdue_actions,
                Concern::OverdueActions,
            ),
            figure(
                "Genomförda åtgärder med okänd effekt",
                t.done_effect_unknown,
                Concern::EffectUnknown,
            ),
            figure("Avvikelser totalt", t.deviations, Concern::All),
        ],
        remarks: (!age.is_empty())
            .then(|| Remark {
                before: "Den äldsta avvikelsen utan beslut har väntat i".into(),
                emphasis: format!("{age} dagar"),
                after: ".".into(),
            })
            .into_iter()
            .collect(),
        tables: vec![
            count_table(
                o,
                "per-board",
                "Per nämnd och styrelse",
                "Nämnd/styrelse",
                &o.boards,
            ),
            count_table(o, "per-area", "Per område", "Område", &o.areas),
        ],
    }
}

fn count_row(
    o: &Tallies,
    label: &str,
    board: Option<Id>,
    area: Option<&str>,
    t: &Tally,
) -> CountRow {
    let cells = tally_cells(o, t)
        .into_iter()
        .zip(COLUMN_CONCERNS)
        .map(|(value, concern)| Count {
            link: (!value.is_empty() && value != "0").then(|| list_link(concern, board, area)),
            value,
        })
        .collect();
    CountRow {
        label: label.to_string(),
        link: (t.deviations > 0).then(|| list_link(Concern::All, board, area)),
        cells,
    }
}

fn count_table(
    o: &Tallies,
    id: &'static str,
    caption: &str,
    heading: &str,
    rows: &[TallyRow],
) -> CountTable {
    CountTable {
        id,
        caption: caption.into(),
        description: format!(
            "{caption}: antal per {}. Varje tal leder till avvikelserna bakom det.",
            heading.to_lowercase()
        ),
        heading: heading.into(),
        columns: TALLY_COLUMNS.map(String::from).to_vec(),
        rows: rows
            .iter()
            .map(|r| count_row(o, &r.label, r.board, r.area.as_deref(), &r.tally))
            .collect(),
        total: count_row(o, "Totalt", None, None, &o.total),
    }
}

/// The worksheets: the tallies, and every deviation with its decision and actions.
/// `effect_seen` holds the done actions whose indicator shows an outcome after them.
pub fn sheets(
    wb: &mut Workbook,
    o: &Tallies,
    deviations: &[StoredDeviation],
    unit_names: &HashMap<Id, String>,
    effect_seen: &HashSet<Id>,
) -> std::result::Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE3EA")
        .set_border_bottom(FormatBorder::Medium);
    let bold = Format::new().set_bold();
    let sheet = wb.add_worksheet().set_name("Sammanställning")?;
    sheet.write_string_with_format(0, 0, format!("Uppsikt per {}", o.today), &bold)?;
    let mut row = 2u32;
    for (heading, rows) in [("Nämnd/styrelse", &o.boards), ("Område", &o.areas)] {
        sheet.write_string_with_format(row, 0, heading, &header)?;
        for (c, name) in TALLY_COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(row, c as u16 + 1, *name, &header)?;
        }
        row += 1;
        let total = TallyRow {
            label: "Totalt".into(),
            board: None,
            area: None,
            tally: o.total.clone(),
        };
        for r in rows.iter().chain(std::iter::once(&total)) {
            sheet.write_string(row, 0, &r.label)?;
            for (c, cell) in tally_cells(o, &r.tally).iter().enumerate() {
                match cell.parse::<f64>() {
                    Ok(n) => sheet.write_number(row, c as u16 + 1, n)?,
                    Err(_) => sheet.write_string(row, c as u16 + 1, cell)?,
                };
            }
            row += 1;
        }
        row += 1;
    }
    sheet.set_column_width(0, 40)?;
    sheet.set_column_range_width(1, 6, 18)?;

    let sheet = wb.add_worksheet().set_name("Avvikelser")?;
    let columns = [
        "Nr",
        "Enhet",
        "Område",
        "Källa",
        "Allvarlighet",
        "Period",
        "Beskrivning",
        "Upptäckt",
        "Läge",
        "Dagar utan beslut",
        "Beslutsorgan",
        "Beslutsdatum",
        "Paragraf",
        "Diarienummer",
        "Motivering (ej åtgärd)",
        "Åtgärder",
        "Försenade åtgärder",
        "Genomförda, okänd effekt",
    ];
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &header)?;
    }
    for (i, s) in deviations.iter().enumerate() {
        let r = i as u32 + 1;
        let d = &s.deviation;
        let tally = Tally::of(d, &o.today, |_| true);
        sheet.write_number(r, 0, s.id as f64)?;
        let unit = unit_names
            .get(&d.raised.org_id)
            .cloned()
            .unwrap_or_default();
        sheet.write_string(r, 1, unit)?;
        sheet.write_string(r, 2, d.raised.area.as_deref().unwrap_or(""))?;
        sheet.write_string(r, 3, d.raised.source.label_sv())?;
        sheet.write_string(r, 4, d.raised.severity.label_sv())?;
        sheet.write_string(r, 5, d.raised.period.label_sv())?;
        sheet.write_string(r, 6, &d.raised.description)?;
        sheet.write_string(r, 7, &d.raised_on)?;
        sheet.write_string(r, 8, standing_sv(d.standing()))?;
        if let Some(age) = tally.oldest_age(&o.today) {
            sheet.write_number(r, 9, age as f64)?;
        }
        if let Some(dec) = &d.decision {
            sheet.write_string(r, 10, dec.body.label_sv())?;
            sheet.write_string(r, 11, &dec.decided_on)?;
            sheet.write_string(r, 12, &dec.paragraph)?;
            sheet.write_string(r, 13, &dec.diary_number)?;
            if let Outcome::NoAction { motivation } = &dec.outcome {
                sheet.write_string(r, 14, motivation)?;
            }
        }
        sheet.write_number(r, 15, d.actions.len() as f64)?;
        sheet.write_number(r, 16, tally.overdue_actions as f64)?;
        let unknown = d
            .actions
            .iter()
            .zip(&s.action_ids)
            .filter(|(a, id)| a.state == ActionState::Done && !effect_seen.contains(id))
            .count();
        sheet.write_number(r, 17, unknown as f64)?;
    }
    sheet.autofilter(0, 0, deviations.len() as u32, columns.len() as u16 - 1)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_column_width(6, 60)?;
    Ok(())
}

/// The report section: the tally of the report's units, and the deviations without a
/// decision, oldest first.
async fn section(store: &Store, o: &Tallies, within: Option<Id>) -> Result<Section> {
    let mut s = Section::new("Uppsikt: avvikelser, beslut och åtgärder");
    if o.total.deviations == 0 {
        s.blocks.push(Block::Paragraph {
            text: "Inga avvikelser är registrerade.".into(),
        });
        return Ok(s);
    }
    s.blocks.push(Block::Paragraph {
        text: format!(
            "Läget den {}: {} avvikelser, varav {} utan beslut, {} med beslut men utan åtgärd; {} försenade åtgärder och {} genomförda åtgärder vars effekt ännu inte syns i något utfall.",
            o.today,
            o.total.deviations,
            o.total.undecided,
            o.total.decided_without_action,
            o.total.overdue_actions,
            o.total.done_effect_unknown
        ),
    });
    let table = |caption: &str, heading: &str, rows: &[TallyRow]| Table {
        caption: caption.into(),
        columns: std::iter::once(heading.to_string())
            .chain(TALLY_COLUMNS.iter().map(|c| c.to_string()))
            .collect(),
        rows: rows
            .iter()
            .map(|r| {
                std::iter::once(r.label.clone())
                    .chain(tally_cells(o, &r.tally))
                    .collect()
            })
            .collect(),
        row_headers: true,
    };
    s.blocks.push(Block::Table(table(
        "Avvikelser per nämnd och styrelse",
        "Nämnd/styrelse",
        &o.boards,
    )));
    s.blocks.push(Block::Table(table(
        "Avvikelser per område",
        "Område",
        &o.areas,
    )));
    let units = store.org_units().await?;
    let filter = uppsikt_store::DeviationFilter {
        org_ids: within.map(|root| subtree(&units, root)),
        area: None,
    };
    const SHOWN: usize = 50;
    let undecided = store
        .deviation_page(&filter, Concern::Undecided, &o.today, 0, SHOWN)
        .await?;
    if undecided.total > 0 {
        let names: HashMap<Id, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();
        let caption = if undecided.total > SHOWN {
            format!(
                "De {SHOWN} äldsta av {} avvikelser utan beslut",
                undecided.total
            )
        } else {
            "Avvikelser utan beslut, äldst först".to_string()
        };
        s.blocks.push(Block::Table(Table {
            caption,
            columns: ["Avvikelse", "Enhet", "Område", "Källa", "Upptäckt", "Dagar"]
                .map(String::from)
                .to_vec(),
            rows: undecided
                .items
                .iter()
                .map(|sd| {
                    let d = &sd.deviation;
                    vec![
                        d.raised.description.clone(),
                        names.get(&d.raised.org_id).unwrap_or(&"").to_string(),
                        d.raised.area.clone().unwrap_or_default(),
                        d.raised.source.label_sv().to_string(),
                        d.raised_on.clone(),
                        uppsikt_domain::date::days_between(&d.raised_on, &o.today)
                            .map(|n| n.to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
            row_headers: false,
        }));
    }
    Ok(s)
}
