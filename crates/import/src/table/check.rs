//! Validating every row of a table against the database and the principal's rights: the
//! preview. Nothing is written here.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use uppsikt_domain::access::{Action, Principal};
use uppsikt_domain::model::{Id, IndicatorRecord, OrgUnit, PeriodLock};
use uppsikt_domain::{messages, Breakdown, Outcome, Period};
use uppsikt_store::{Scope, Store, StoreError};

use super::cell;
use super::field::{Field, Mapping};
use super::Table;
use crate::data::NAME_MAX;
use crate::report::{Errors, ImportReport, Origin, RowError};

/// What committing a row would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// No outcome is stored for the indicator, period and breakdown.
    New,
    /// It replaces a stored outcome with another value, margin or sample size.
    Changed,
    /// The stored outcome is the same; committing leaves it (and the change log) alone.
    Unchanged,
}

/// A valid row: the outcome it holds, for which indicator, and what it replaces. The
/// indicator's and owner's names are shared by every row of that indicator (a preview of
/// a million rows holds each name once).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedRow {
    /// The row's number in the file ([`super::TableRow::number`]).
    pub number: usize,
    pub indicator_id: Id,
    #[serde(serialize_with = "shared_str")]
    pub indicator_key: Arc<str>,
    #[serde(serialize_with = "shared_str")]
    pub indicator_name: Arc<str>,
    /// The indicator's unit (`%`, `index`, `antal` …), shown after values.
    #[serde(serialize_with = "shared_str")]
    pub unit: Arc<str>,
    /// Decimals the indicator is shown with.
    pub decimals: u8,
    /// The organisation unit owning the indicator's goal.
    pub owner_id: Id,
    #[serde(serialize_with = "shared_str")]
    pub owner: Arc<str>,
    pub outcome: Outcome,
    /// The stored outcome it replaces (same indicator, period and breakdown), if any.
    pub before: Option<Outcome>,
}

impl CheckedRow {
    pub fn change(&self) -> Change {
        match &self.before {
            None => Change::New,
            Some(b) if same_outcome(b, &self.outcome) => Change::Unchanged,
            Some(_) => Change::Changed,
        }
    }
}

/// The preview of an import: every valid row, every error and warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checked {
    pub file_name: String,
    /// The valid rows in file order (rows with errors are not here).
    pub rows: Vec<CheckedRow>,
    /// Everything wrong, in file order: `rad 7, Värde` and a Swedish sentence. While
    /// there is any, [`super::commit`] refuses.
    pub errors: Vec<RowError>,
    /// What the user should look at but may commit (a value ≤ 1 for an indicator in per
    /// cent, an area that does not exist yet).
    pub warnings: Vec<RowError>,
    /// The headings of the columns that are not imported.
    pub ignored_columns: Vec<String>,
    /// Areas the rows name that do not exist yet; committing adds them.
    pub new_areas: Vec<String>,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Whom the rows were checked for; [`super::commit`] checks their rights again.
    #[serde(skip)]
    pub principal: Principal,
}

impl Checked {
    /// The errors as a report (what [`super::commit`] returns while there are any).
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

fn shared_str<S: serde::Serializer>(s: &Arc<str>, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(s)
}

/// Values equal as stored: the text form of a float read back from the database may
/// differ in the last digits.
pub(crate) fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Two outcomes equal as stored (value and margin to the float's precision, the same
/// sample size): re-writing one is not a change.
pub fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
    let margin = match (a.margin, b.margin) {
        (None, None) => true,
        (Some(x), Some(y)) => same_number(x, y),
        _ => false,
    };
    a.period == b.period
        && a.breakdown == b.breakdown
        && same_number(a.value, b.value)
        && margin
        && a.sample_size == b.sample_size
}

pub(crate) use uppsikt_domain::number::{is_percent_unit as percent_unit, percent_in_range};

fn db_error(file: &str, e: &StoreError) -> ImportReport {
    ImportReport::single(
        &Origin::new(file, ""),
        messages::import_database(&e.to_string()),
    )
}

/// What the database knows that rows refer to, read once.
struct Known {
    records: Vec<IndicatorRecord>,
    by_key: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    goal_org: HashMap<Id, Id>,
    units: HashMap<Id, OrgUnit>,
    areas: Vec<String>,
}

fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Known {
    async fn read(store: &Store) -> Result<Known, StoreError> {
        let records = store.indicator_records(Scope::All).await?;
        let mut by_key = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            by_key.insert(r.indicator.key.to_lowercase(), i);
            by_name
                .entry(name_key(&r.indicator.name))
                .or_default()
                .push(i);
        }
        let goal_org = store
            .goals()
            .await?
            .into_iter()
            .map(|g| (g.id, g.org_id))
            .collect();
        let units = store
            .org_units()
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let areas = store.areas().await?.into_iter().map(|a| a.name).collect();
        Ok(Known {
            records,
            by_key,
            by_name,
            goal_org,
            units,
            areas,
        })
    }

    /// The indicator a cell names: its key (any case), else its exact name (any case,
    /// spaces folded); several indicators of that name is an error listing their keys.
    fn indicator(&self, text: &str) -> Result<&IndicatorRecord, String> {
        let t = text.trim();
        if let Some(&i) = self.by_key.get(&t.to_lowercase()) {
            return Ok(&self.records[i]);
        }
        match self.by_name.get(&name_key(t)).map(Vec::as_slice) {
            Some([i]) => Ok(&self.records[*i]),
            Some(many) if !many.is_empty() => {
                let mut keys: Vec<String> = many
                    .iter()
                    .map(|&i| self.records[i].indicator.key.clone())
                    .collect();
                keys.sort();
                Err(messages::ambiguous_indicator(t, &keys))
            }
            _ => Err(messages::unknown_indicator(t)),
        }
    }
}

/// Answers per unit and per (unit, period), asked of the store once each.
#[derive(Default)]
struct Cache {
    allowed: HashMap<Id, bool>,
    locks: HashMap<(Id, Period), Option<PeriodLock>>,
}

/// Whole-table problems: the principal may not import; a required field has no column;
/// a column is chosen twice or does not exist.
fn mapping_errors(table: &Table, mapping: &Mapping, principal: &Principal) -> Vec<RowError> {
    let whole = Origin::new(&table.file_name, "");
    let mut errors = Vec::new();
    if !principal.allows(Action::ImportData, &[]) {
        errors.push(whole.error(messages::import_not_allowed()));
    }
    for f in mapping.missing() {
        errors.push(whole.error(messages::column_not_mapped(f.label_sv())));
    }
    let mut used: HashMap<usize, Field> = HashMap::new();
    for (f, c) in mapping.mapped() {
        match table.headers.get(c) {
            None => errors.push(whole.error(messages::no_such_column(
                &super::read::column_letters(c),
                &table.headers,
            ))),
            Some(h) => {
                if let Some(first) = used.insert(c, f) {
                    errors.push(whole.error(messages::column_mapped_twice(
                        h,
                        first.label_sv(),
                        f.label_sv(),
                    )));
                }
            }
        }
    }
    errors
}

/// Checks every row of `table` read through `mapping` for `principal`. `Err` only when the
/// database cannot be read; every problem with the file or its rows is in
/// [`Checked::errors`], all of them, in file order.
///
/// A row must name an indicator (key, or exact name) whose unit the principal may edit
/// (`Action::Edit` on the unit and its ancestors), a period, a value (for unit `%`
/// within 0–100), optionally a breakdown, a margin (not negative) and a sample size (a
/// whole number from 0); its period must not be locked by a board's decision; no two rows
/// may give the same indicator, period and breakdown (the later one is the error, naming
/// the first). A cell over 200 characters is refused, never cut.
pub async fn check(
    store: &Store,
    table: &Table,
    mapping: &Mapping,
    principal: &Principal,
) -> Result<Checked, ImportReport> {
    let file = table.file_name.as_str();
    let mut checked = Checked {
        file_name: file.to_string(),
        rows: Vec::new(),
        errors: mapping_errors(table, mapping, principal),
        warnings: Vec::new(),
        ignored_columns: mapping
            .ignored(table.headers.len())
            .into_iter()
            .map(|c| table.headers[c].clone())
            .collect(),
        new_areas: Vec::new(),
        new: 0,
        changed: 0,
        unchanged: 0,
        principal: principal.clone(),
    };
    if !checked.errors.is_empty() {
        return Ok(checked);
    }
    let known = Known::read(store).await.map_err(|e| db_error(file, &e))?;
    let mut cache = Cache::default();
    let mut errors = Errors::default();
    let mut warnings = Errors::default();
    let mut first_row: HashMap<(Id, Period, Breakdown), usize> = HashMap::new();
    let mut shared = Shared::default();
    for row in table.rows() {
        let at = |f: Field| {
            let column = mapping
                .get(f)
                .and_then(|c| table.headers.get(c))
                .map_or(f.label_sv(), String::as_str);
            Origin::new(file, messages::table_cell(row.number, column))
        };
        let text = |f: Field| mapping.get(f).map_or("", |c| row.cell(c));
        let before = errors.0.len();
        // Over-long cells first: their content is not quoted back.
        for f in Field::ALL {
            if text(f).chars().count() > NAME_MAX {
                errors.at(&at(f), messages::too_long(NAME_MAX));
            }
        }
        if errors.0.len() > before {
            continue;
        }
        let record = match text(Field::Indicator).trim() {
            "" => Err(messages::REQUIRED.to_string()),
            t => known.indicator(t),
        };
        let percent = record
            .as_ref()
            .is_ok_and(|r| percent_unit(&r.indicator.unit));
        let period = cell::period(text(Field::Period));
        let breakdown = cell::breakdown(text(Field::Breakdown), &known.areas);
        let value = cell::number(text(Field::Value), percent);
        let margin = cell::margin(text(Field::Margin), percent);
        let sample_size = cell::sample_size(text(Field::SampleSize));
        let (
            Some(record),
            Some(period),
            Some((breakdown, new_area)),
            Some(value),
            Some(margin),
            Some(sample_size),
        ) = (
            keep(&mut errors, at(Field::Indicator), record),
            keep(&mut errors, at(Field::Period), period),
            keep(&mut errors, at(Field::Breakdown), breakdown),
            keep(&mut errors, at(Field::Value), value),
            keep(&mut errors, at(Field::Margin), margin),
            keep(&mut errors, at(Field::SampleSize), sample_size),
        )
        else {
            continue;
        };
        let ind = &record.indicator;
        let Some(&owner_id) = known.goal_org.get(&ind.goal_id) else {
            errors.at(&at(Field::Indicator), messages::indicator_gone());
            continue;
        };
        let owner = shared
            .owners
            .entry(owner_id)
            .or_insert_with(|| {
                known
                    .units
                    .get(&owner_id)
                    .map_or_else(|| owner_id.to_string(), |u| u.name.clone())
                    .into()
            })
            .clone();
        let mut fine = true;
        if !allowed(store, &mut cache, principal, owner_id, file).await? {
            errors.at(
                &at(Field::Indicator),
                messages::not_allowed_for_unit(&owner),
            );
            fine = false;
        }
        if !percent_in_range(&ind.unit, value) {
            errors.at(&at(Field::Value), messages::percent_out_of_range(value));
            fine = false;
        } else if percent && value > 0.0 && value <= 1.0 {
            warnings.at(
                &at(Field::Value),
                messages::percent_looks_like_fraction(value),
            );
        }
        if let Some(lock) = lock(store, &mut cache, owner_id, period, file).await? {
            errors.at(&at(Field::Period), messages::period_locked(&lock));
            fine = false;
        }
        let key = (ind.id, period, breakdown.clone());
        if let Some(first) = first_row.get(&key) {
            errors.at(
                &Origin::new(file, messages::table_row(row.number)),
                messages::duplicate_outcome(
                    &period.label_sv(),
                    &breakdown.label_sv(),
                    &messages::table_row(*first),
                ),
            );
            continue;
        }
        first_row.insert(key, row.number);
        if let Some(name) = breakdown.area().filter(|_| new_area) {
            // Every unit sees an area: adding one is for those who manage reference data.
            if !principal.allows(Action::ManageSources, &[]) {
                errors.at(&at(Field::Breakdown), messages::area_not_allowed(name));
                continue;
            }
            if let Err(e) = uppsikt_domain::text::check(name, uppsikt_domain::text::Lines::One) {
                errors.at(&at(Field::Breakdown), messages::text_refused(&e));
                continue;
            }
            if !checked.new_areas.iter().any(|a| a == name) {
                checked.new_areas.push(name.to_string());
                warnings.at(&at(Field::Breakdown), messages::new_area(name));
            }
        }
        if !fine {
            continue;
        }
        let outcome = Outcome {
            period,
            breakdown,
            value,
            margin,
            sample_size,
        };
        let before = record
            .outcomes
            .iter()
            .find(|o| o.period == period && o.breakdown == outcome.breakdown)
            .cloned();
        let (indicator_key, indicator_name, unit) = shared
            .indicators
            .entry(ind.id)
            .or_insert_with(|| {
                (
                    ind.key.as_str().into(),
                    ind.name.as_str().into(),
                    ind.unit.as_str().into(),
                )
            })
            .clone();
        checked.rows.push(CheckedRow {
            number: row.number,
            indicator_id: ind.id,
            indicator_key,
            indicator_name,
            unit,
            decimals: ind.decimals,
            owner_id,
            owner,
            outcome,
            before,
        });
    }
    checked.errors = errors.0;
    checked.warnings = warnings.0;
    for r in &checked.rows {
        match r.change() {
            Change::New => checked.new += 1,
            Change::Changed => checked.changed += 1,
            Change::Unchanged => checked.unchanged += 1,
        }
    }
    Ok(checked)
}

/// An indicator's key, name and unit.
type Names = (Arc<str>, Arc<str>, Arc<str>);

/// Names shared by the checked rows: per indicator its key, name and unit; per unit its
/// name.
#[derive(Default)]
struct Shared {
    indicators: HashMap<Id, Names>,
    owners: HashMap<Id, Arc<str>>,
}

/// The value, or `None` with the error recorded at `at`.
fn keep<T>(errors: &mut Errors, at: Origin, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(m) => {
            errors.at(&at, m);
            None
        }
    }
}

async fn allowed(
    store: &Store,
    cache: &mut Cache,
    principal: &Principal,
    unit: Id,
    file: &str,
) -> Result<bool, ImportReport> {
    if let Some(&a) = cache.allowed.get(&unit) {
        return Ok(a);
    }
    let chain = store
        .org_chain(unit)
        .await
        .map_err(|e| db_error(file, &e))?;
    let a = principal.allows(Action::Edit, &chain);
    cache.allowed.insert(unit, a);
    Ok(a)
}

async fn lock(
    store: &Store,
    cache: &mut Cache,
    unit: Id,
    period: Period,
    file: &str,
) -> Result<Option<PeriodLock>, ImportReport> {
    if let Some(l) = cache.locks.get(&(unit, period)) {
        return Ok(l.clone());
    }
    let l = store
        .lock_covering(unit, period)
        .await
        .map_err(|e| db_error(file, &e))?;
    cache.locks.insert((unit, period), l.clone());
    Ok(l)
}
