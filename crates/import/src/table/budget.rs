//! Budget lines from a table (CSV, XLSX, XLS, ODS, read by [`super::read_table`]): one row
//! a line, columns Enhet, Kostnadsslag, Period, Typ, Belopp (mnkr), Prognosdatum and
//! optionally Område, guessed from the headings as for outcomes. The same checks as a line
//! typed in a form or read from a `[[budget_lines]]` row (`validate_line`), every unit and
//! cost type known, no line twice, and the principal's right to edit each unit's budget
//! (`Action::Edit` on the unit or its ancestors, or `Action::ManageEconomy`). Every error
//! is listed with its row and column; while there is any, nothing is written. Committing
//! writes in one transaction, each line by its leaf key (an existing line is replaced,
//! one equal to the stored is left alone), with origin `file`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use uppsikt_domain::access::{Action, Principal};
use uppsikt_domain::economy::{validate_line, Amount, BudgetLine, LineKind, MoneyUnit};
use uppsikt_domain::messages::{self, economy as msg, Referent};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_store::{ChangeSource, Store, StoreError};

use super::field::normalise;
use super::Table;
use crate::progress::Progress;
use crate::report::{quoted, Errors, ImportReport, Origin, RowError};

/// The origin of lines from tables.
pub const ORIGIN: &str = "file";

/// A column of a budget table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BudgetField {
    Unit,
    CostType,
    Period,
    Kind,
    Amount,
    ForecastOn,
    Area,
}

impl BudgetField {
    pub const ALL: [BudgetField; 7] = [
        BudgetField::Unit,
        BudgetField::CostType,
        BudgetField::Period,
        BudgetField::Kind,
        BudgetField::Amount,
        BudgetField::ForecastOn,
        BudgetField::Area,
    ];

    /// The template's heading.
    pub fn label_sv(self) -> &'static str {
        match self {
            BudgetField::Unit => "Enhet",
            BudgetField::CostType => "Kostnadsslag",
            BudgetField::Period => "Period",
            BudgetField::Kind => "Typ",
            BudgetField::Amount => "Belopp (mnkr)",
            BudgetField::ForecastOn => "Prognosdatum",
            BudgetField::Area => "Område",
        }
    }

    fn headings(self) -> &'static [&'static str] {
        match self {
            BudgetField::Unit => &["enhet", "ansvar", "verksamhet", "unit", "org"],
            BudgetField::CostType => &["kostnadsslag", "kostnadstyp", "slag", "cost type"],
            BudgetField::Period => &["period", "år", "manad", "year"],
            BudgetField::Kind => &["typ", "slag av belopp", "kind"],
            BudgetField::Amount => &[
                "belopp",
                "belopp mnkr",
                "belopp tkr",
                "belopp kr",
                "mnkr",
                "tkr",
                "amount",
            ],
            BudgetField::ForecastOn => &["prognosdatum", "datum", "forecast date"],
            BudgetField::Area => &["område", "omrade", "area"],
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            BudgetField::Unit | BudgetField::Period | BudgetField::Kind | BudgetField::Amount
        )
    }
}

/// The template (CSV, UTF-8 with BOM, `;`), with one example row per kind.
pub fn budget_template_csv() -> String {
    let heads: Vec<&str> = BudgetField::ALL.iter().map(|f| f.label_sv()).collect();
    format!(
        "\u{feff}{}\r\nks;Personalkostnader;2019;budget;-263,4;;\r\nks;Personalkostnader;2019;utfall;-251,6;;\r\nks;;2019;prognos;-505,0;2019-08-31;\r\n",
        heads.join(";")
    )
}

/// Which column holds each field, guessed from the headings (case, spaces, å ä ö and a
/// unit in parentheses do not matter), and the amount's unit from its heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetMapping {
    pub columns: HashMap<BudgetField, usize>,
    pub money: MoneyUnit,
}

impl BudgetMapping {
    pub fn guess(headers: &[String]) -> BudgetMapping {
        let mut columns = HashMap::new();
        let mut money = MoneyUnit::Mnkr;
        for f in BudgetField::ALL {
            let names: Vec<String> = f.headings().iter().map(|h| normalise(h)).collect();
            let found = headers.iter().enumerate().position(|(i, h)| {
                names.contains(&normalise(h)) && !columns.values().any(|c| *c == i)
            });
            if let Some(c) = found {
                columns.insert(f, c);
                if f == BudgetField::Amount {
                    let h = normalise(&headers[c]);
                    if h.ends_with("tkr") {
                        money = MoneyUnit::Tkr;
                    } else if h.ends_with(" kr") || h == "kr" {
                        money = MoneyUnit::Kr;
                    }
                }
            }
        }
        BudgetMapping { columns, money }
    }
}

/// A checked budget table: the lines, every error, and what committing would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedBudget {
    pub file_name: String,
    /// (row number, the line).
    pub lines: Vec<(usize, BudgetLine)>,
    pub errors: Vec<RowError>,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl CheckedBudget {
    pub fn report(&self) -> ImportReport {
        let mut errors = self.errors.clone();
        if !errors.is_empty() {
            errors.insert(
                0,
                Origin::new(&self.file_name, "")
                    .error(messages::table_has_errors(self.errors.len())),
            );
        }
        ImportReport {
            errors,
            cancelled: false,
        }
    }
}

type LeafKey = (
    Id,
    Option<Id>,
    Period,
    LineKind,
    Option<String>,
    Option<String>,
);

fn leaf(l: &BudgetLine) -> LeafKey {
    (
        l.unit_id,
        l.cost_type_id,
        l.period,
        l.kind,
        l.forecast_on.clone(),
        l.area.clone(),
    )
}

fn db(file: &str, e: &StoreError) -> ImportReport {
    crate::load::db_error(&Origin::new(file, ""), e)
}

/// Checks every row of `table` (the preview); nothing is written.
pub async fn check_budget(
    store: &Store,
    table: &Table,
    mapping: &BudgetMapping,
    principal: &Principal,
) -> Result<CheckedBudget, ImportReport> {
    let file = table.file_name.as_str();
    let whole = Origin::new(file, "");
    let mut errors = Errors::default();
    if !principal.allows(Action::ImportData, &[]) {
        errors.at(&whole, messages::import_not_allowed());
    }
    for f in BudgetField::ALL
        .iter()
        .filter(|f| f.required() && !mapping.columns.contains_key(f))
    {
        errors.at(&whole, messages::column_not_mapped(f.label_sv()));
    }
    if !errors.is_empty() {
        return Err(errors.into_result(()).unwrap_err());
    }
    let units = store.org_units().await.map_err(|e| db(file, &e))?;
    let cost_types = store.cost_types().await.map_err(|e| db(file, &e))?;
    let unit_of = |t: &str| {
        let n = t.trim().to_lowercase();
        units
            .iter()
            .find(|u| u.key == n || u.short_name.to_lowercase() == n || u.name.to_lowercase() == n)
    };
    let ct_of = |t: &str| {
        let n = t.trim().to_lowercase();
        cost_types
            .iter()
            .find(|c| c.code.to_lowercase() == n || c.name.to_lowercase() == n)
    };
    let chain = |id: Id| {
        let mut out = vec![id];
        let mut at = units.iter().find(|u| u.id == id).and_then(|u| u.parent_id);
        while let Some(p) = at {
            if out.contains(&p) || out.len() > 64 {
                break;
            }
            out.push(p);
            at = units.iter().find(|u| u.id == p).and_then(|u| u.parent_id);
        }
        out
    };
    let economist = principal.allows(Action::ManageEconomy, &[]);
    let heading = |f: BudgetField| {
        mapping
            .columns
            .get(&f)
            .and_then(|c| table.headers.get(*c))
            .map_or(f.label_sv(), String::as_str)
    };
    fn cell<'t>(m: &BudgetMapping, row: &super::TableRow<'t>, f: BudgetField) -> &'t str {
        m.columns.get(&f).map_or("", |c| row.cell(*c).trim())
    }
    let cell = |row: &super::TableRow<'_>, f: BudgetField| cell(mapping, row, f).to_string();
    let at = |n: usize, f: BudgetField| Origin::new(file, messages::table_cell(n, heading(f)));
    let mut lines = Vec::new();
    let mut seen: HashMap<LeafKey, usize> = HashMap::new();
    for row in table.rows() {
        let n = row.number;
        let mut ok = true;
        let mut fail = |f: BudgetField, m: String, errors: &mut Errors| {
            errors.at(&at(n, f), m);
            ok = false;
        };
        let unit = match unit_of(&cell(&row, BudgetField::Unit)) {
            Some(u) => Some(u),
            None => {
                let t = cell(&row, BudgetField::Unit);
                let m = if t.is_empty() {
                    messages::REQUIRED.to_string()
                } else {
                    messages::unknown_reference(Referent::OrgUnit, &quoted(&t))
                };
                fail(BudgetField::Unit, m, &mut errors);
                None
            }
        };
        let ct_text = cell(&row, BudgetField::CostType);
        let cost_type = if ct_text.is_empty() {
            None
        } else {
            match ct_of(&ct_text) {
                Some(c) => Some(c.id),
                None => {
                    fail(
                        BudgetField::CostType,
                        msg::unknown_cost_type(&quoted(&ct_text)),
                        &mut errors,
                    );
                    None
                }
            }
        };
        let period = match Period::parse(&cell(&row, BudgetField::Period)) {
            Ok(p) => Some(p),
            Err(e) => {
                fail(BudgetField::Period, messages::period(&e), &mut errors);
                None
            }
        };
        let kind_text = cell(&row, BudgetField::Kind).to_lowercase();
        let kind = match kind_text.as_str() {
            "bokslut" => Some(LineKind::Outcome),
            t => LineKind::parse(t),
        };
        if kind.is_none() {
            let codes: Vec<&str> = LineKind::ALL.iter().map(|k| k.code()).collect();
            fail(
                BudgetField::Kind,
                messages::choice_of(&quoted(&kind_text), &codes),
                &mut errors,
            );
        }
        let amount = match Amount::parse(&cell(&row, BudgetField::Amount), mapping.money) {
            Ok(a) => Some(a),
            Err(e) => {
                fail(BudgetField::Amount, msg::refusal(&e), &mut errors);
                None
            }
        };
        let on = cell(&row, BudgetField::ForecastOn);
        let forecast_on = (!on.is_empty()).then(|| on.to_string());
        let area = Some(cell(&row, BudgetField::Area)).filter(|a| !a.is_empty());
        let (Some(unit), Some(period), Some(kind), Some(amount), true) =
            (unit, period, kind, amount, ok)
        else {
            continue;
        };
        if !economist && !principal.allows(Action::Edit, &chain(unit.id)) {
            errors.at(
                &Origin::new(file, messages::table_row(n)),
                msg::budget_not_allowed(&unit.name),
            );
            continue;
        }
        let line = BudgetLine {
            id: 0,
            unit_id: unit.id,
            cost_type_id: cost_type,
            period,
            kind,
            amount,
            forecast_on,
            area,
        };
        if let Err(e) = validate_line(&line) {
            errors.at(&Origin::new(file, messages::table_row(n)), msg::refusal(&e));
            continue;
        }
        if let Some(first) = seen.insert(leaf(&line), n) {
            errors.at(
                &Origin::new(file, messages::table_row(n)),
                msg::duplicate_budget_line(&messages::table_row(first)),
            );
            continue;
        }
        lines.push((n, line));
    }
    // What committing would do, against the stored lines.
    let mut ids: Vec<Id> = lines.iter().map(|(_, l)| l.unit_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let years = lines.iter().map(|(_, l)| l.period.year());
    let stored = match (years.clone().min(), years.max()) {
        (Some(from), Some(to)) => store
            .budget_lines(&ids, from, to)
            .await
            .map_err(|e| db(file, &e))?,
        _ => Vec::new(),
    };
    let by: BTreeMap<LeafKey, Amount> = stored.iter().map(|l| (leaf(l), l.amount)).collect();
    let (mut new, mut changed, mut unchanged) = (0, 0, 0);
    for (_, l) in &lines {
        match by.get(&leaf(l)) {
            None => new += 1,
            Some(a) if *a == l.amount => unchanged += 1,
            Some(_) => changed += 1,
        }
    }
    let listed = errors.0;
    let mut all = listed;
    if errors.1 > 0 {
        all.push(Origin::new("", "").error(messages::too_many_errors(errors.1)));
    }
    Ok(CheckedBudget {
        file_name: file.to_string(),
        lines,
        errors: all,
        new,
        changed,
        unchanged,
    })
}

/// Writes a checked budget table in one transaction (refused while it has errors); lines
/// equal to the stored are left alone. Cancellable through `progress`.
pub async fn commit_budget(
    store: &Store,
    checked: &CheckedBudget,
    actor: &str,
    progress: &Progress,
) -> Result<usize, ImportReport> {
    if !checked.errors.is_empty() {
        return Err(checked.report());
    }
    let file = checked.file_name.as_str();
    let mut ids: Vec<Id> = checked.lines.iter().map(|(_, l)| l.unit_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let years = checked.lines.iter().map(|(_, l)| l.period.year());
    let stored = match (years.clone().min(), years.max()) {
        (Some(from), Some(to)) => store
            .budget_lines(&ids, from, to)
            .await
            .map_err(|e| db(file, &e))?,
        _ => Vec::new(),
    };
    let by: BTreeMap<LeafKey, &BudgetLine> = stored.iter().map(|l| (leaf(l), l)).collect();
    progress.set_total(checked.lines.len() as u64);
    let mut w = store
        .writer(actor, ChangeSource::file(file))
        .await
        .map_err(|e| db(file, &e))?;
    let mut written = 0;
    let mut units: HashSet<Id> = HashSet::new();
    for (i, (n, l)) in checked.lines.iter().enumerate() {
        if i.is_multiple_of(super::commit::CHECK_EVERY) {
            if let Err(r) = progress.check() {
                let _ = w.rollback().await;
                return Err(r);
            }
        }
        progress.advance(1);
        let mut line = l.clone();
        match by.get(&leaf(l)) {
            Some(b) if b.amount == l.amount => continue,
            Some(b) => line.id = b.id,
            None => {}
        }
        if let Err(e) = w.put_budget_line(&line, ORIGIN).await {
            let _ = w.rollback().await;
            return Err(crate::load::db_error(
                &Origin::new(file, messages::table_row(*n)),
                &e,
            ));
        }
        units.insert(l.unit_id);
        written += 1;
    }
    if let Err(r) = progress.check() {
        let _ = w.rollback().await;
        return Err(r);
    }
    if let Err(r) = progress.seal(&mut w).await {
        let _ = w.rollback().await;
        return Err(r);
    }
    w.commit().await.map_err(|e| db(file, &e))?;
    Ok(written)
}
