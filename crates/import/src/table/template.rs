//! The file to fill in: an XLSX workbook (sheet Utfall to fill in, sheet Mått listing the
//! indicators the user may import for, sheet Exempel with two example rows) and its CSV
//! equivalent (semicolon-separated UTF-8 with BOM, as Swedish Excel opens it).

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatBorder, Workbook, XlsxError,
};
use serde::Serialize;
use uppsikt_domain::access::{Action, Principal};
use uppsikt_domain::model::Id;
use uppsikt_domain::{messages, Breakdown};
use uppsikt_store::{Scope, Store};

use super::field::Field;
use crate::report::{ImportReport, Origin};

/// An indicator as the template lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateIndicator {
    pub id: Id,
    pub key: String,
    pub name: String,
    /// The indicator's unit (`%`, `index` …).
    pub unit: String,
    /// The title of the goal it measures.
    pub goal: String,
    /// The name of the organisation unit owning that goal.
    pub owner: String,
}

/// The indicators `principal` may import outcomes for (`Action::ImportData`, and
/// `Action::Edit` on the unit owning the indicator's goal), in the store's display order.
pub async fn template_indicators(
    store: &Store,
    principal: &Principal,
) -> Result<Vec<TemplateIndicator>, ImportReport> {
    let fail = |e: uppsikt_store::StoreError| {
        ImportReport::single(
            &Origin::new("", ""),
            messages::import_database(&e.to_string()),
        )
    };
    if !principal.allows(Action::ImportData, &[]) {
        return Ok(Vec::new());
    }
    let goals: std::collections::HashMap<Id, (Id, String)> = store
        .goals()
        .await
        .map_err(fail)?
        .into_iter()
        .map(|g| (g.id, (g.org_id, g.title)))
        .collect();
    let units: std::collections::HashMap<Id, String> = store
        .org_units()
        .await
        .map_err(fail)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut allowed: std::collections::HashMap<Id, bool> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for record in store.indicator_statuses(Scope::All).await.map_err(fail)? {
        let i = record.indicator;
        let Some((org, goal)) = goals.get(&i.goal_id) else {
            continue;
        };
        let may = match allowed.get(org) {
            Some(&a) => a,
            None => {
                let chain = store.org_chain(*org).await.map_err(fail)?;
                let a = principal.allows(Action::Edit, &chain);
                allowed.insert(*org, a);
                a
            }
        };
        if may {
            out.push(TemplateIndicator {
                id: i.id,
                key: i.key,
                name: i.name,
                unit: i.unit,
                goal: goal.clone(),
                owner: units.get(org).cloned().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// The headings of the template's columns, in order.
pub fn headings() -> Vec<&'static str> {
    Field::ALL.iter().map(|f| f.label_sv()).collect()
}

/// The CSV template: the heading row, `;`-separated, UTF-8 with a BOM so that Swedish
/// Excel shows å ä ö. Only the headings: example rows left in a file would be imported as
/// outcomes (the XLSX template shows examples on a sheet of their own).
pub fn template_csv(_indicators: &[TemplateIndicator]) -> String {
    format!("\u{feff}{}\r\n", headings().join(";"))
}

/// The XLSX template. Sheet `Utfall` has the headings (each with a hint shown when a
/// cell is selected; the Period column formatted as text so that Excel keeps `2019-03`
/// as written); sheet `Mått` lists `indicators` (key, name, unit, goal, unit owner);
/// sheet `Exempel` shows two filled-in rows for the first indicator.
pub fn template_xlsx(indicators: &[TemplateIndicator]) -> Result<Vec<u8>, ImportReport> {
    build_xlsx(indicators).map_err(|e| {
        ImportReport::single(
            &Origin::new("", ""),
            messages::cannot_read_file(&e.to_string()),
        )
    })
}

fn build_xlsx(indicators: &[TemplateIndicator]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE3EA")
        .set_border_bottom(FormatBorder::Medium);
    let text = Format::new().set_num_format("@");
    let widths = [36.0, 12.0, 22.0, 12.0, 14.0, 16.0];
    const LAST_ROW: u32 = 1_048_575;

    let sheet = wb.add_worksheet().set_name("Utfall")?;
    for (c, f) in Field::ALL.iter().enumerate() {
        let col = c as u16;
        sheet.write_string_with_format(0, col, f.label_sv(), &header)?;
        sheet.set_column_width(col, widths[c])?;
        let title: String = f.label_sv().chars().take(32).collect();
        let mut rule = DataValidation::new()
            .set_input_title(title)?
            .set_input_message(f.hint_sv())?;
        rule = if *f == Field::Breakdown {
            let choices: Vec<String> = Breakdown::FIXED.iter().map(|b| b.label_sv()).collect();
            // Information only: an area (Område: Vårby) is allowed too.
            rule.allow_list_strings(&choices)?
                .set_error_style(DataValidationErrorStyle::Information)
        } else {
            rule.allow_any_value()
        };
        sheet.add_data_validation(1, col, LAST_ROW, col, &rule)?;
    }
    sheet.set_column_format(1, &text)?;
    sheet.set_freeze_panes(1, 0)?;

    let list = wb.add_worksheet().set_name("Mått")?;
    let columns = [
        ("Nyckel", 34.0),
        ("Namn", 60.0),
        ("Måttenhet", 12.0),
        ("Mål", 40.0),
        ("Ansvarig enhet", 30.0),
    ];
    for (c, (name, width)) in columns.iter().enumerate() {
        list.write_string_with_format(0, c as u16, *name, &header)?;
        list.set_column_width(c as u16, *width)?;
    }
    for (r, i) in indicators.iter().enumerate() {
        let row = r as u32 + 1;
        list.write_string(row, 0, &i.key)?;
        list.write_string(row, 1, &i.name)?;
        list.write_string(row, 2, &i.unit)?;
        list.write_string(row, 3, &i.goal)?;
        list.write_string(row, 4, &i.owner)?;
    }
    list.autofilter(0, 0, indicators.len() as u32, 4)?;
    list.set_freeze_panes(1, 0)?;

    let example = wb.add_worksheet().set_name("Exempel")?;
    for (c, f) in Field::ALL.iter().enumerate() {
        example.write_string_with_format(0, c as u16, f.label_sv(), &header)?;
        example.set_column_width(c as u16, widths[c])?;
    }
    let key = indicators
        .first()
        .map_or("nyckel-for-mattet", |i| i.key.as_str());
    example.write_string(1, 0, key)?;
    example.write_string_with_format(1, 1, "2023", &text)?;
    example.write_string(1, 2, "Totalt")?;
    example.write_number(1, 3, 88.7)?;
    example.write_number(1, 4, 2.1)?;
    example.write_number(1, 5, 1200)?;
    example.write_string(2, 0, key)?;
    example.write_string_with_format(2, 1, "2023T2", &text)?;
    example.write_string(2, 2, "Kvinnor")?;
    example.write_number(2, 3, 61)?;
    example.write_string(4, 0, messages::template_example_note())?;
    wb.save_to_buffer()
}
