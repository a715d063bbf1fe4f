//! Outcome grids: entering outcomes like a spreadsheet.
//!
//! - `/indicators/{id}/outcomes`: one indicator, rows = periods (those stored and the
//!   next few of its frequency; "Lägg till period" adds one), columns = breakdowns.
//! - `/goals/{id}/outcomes?period=2019`: the goal's indicators for one period.
//!
//! Each cell is a value and a margin (±), filled with what is stored. One "Spara" writes
//! every changed cell in one `Writer`, or nothing: cells are read by the import's cell
//! parser (`uppsikt_import::table::cell`, built on `domain::number`), values of unit `%`
//! must lie within 0–100, a period a decision locked is refused; a cleared cell deletes
//! its outcome (logged). Any error shows the grid again (422) with everything typed, the
//! message at its cell and a summary linking to the cells. "Läs in" fills the grid from
//! rows pasted from Excel (tab-separated, with or without a header row) without saving.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use uppsikt_domain::messages;
use uppsikt_domain::model::{Id, IndicatorRecord, PeriodLock};
use uppsikt_domain::number::{format_sv, is_percent_unit, percent_in_range};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::publication::Audience;
use uppsikt_domain::{Breakdown, Frequency, Outcome, Period};
use uppsikt_import::table::cell;
use uppsikt_import::table::same_outcome;
use uppsikt_report::followup;
use uppsikt_store::{Scope, StoreError};

use super::{Input, Post, TYPED_MAX};
use crate::error::{period_param, AppError, Path, Query, Result};
use crate::AppState;

/// The longest paste read (bytes), its most lines and cells a line.
pub(crate) const PASTE_MAX_BYTES: usize = 200_000;
pub(crate) const PASTE_MAX_LINES: usize = 500;
pub(crate) const PASTE_MAX_CELLS: usize = 60;

#[derive(Deserialize, Default)]
pub struct GridQuery {
    pub period: Option<String>,
    /// `alla`: a column for every area the municipality has.
    pub areas: Option<String>,
}

/// What a grid is of.
#[derive(Clone, Copy)]
enum Kind {
    /// One indicator over periods.
    Indicator(Id),
    /// A goal's indicators for one period.
    Goal(Id, Period),
}

pub struct Column {
    pub code: String,
    pub label: String,
    breakdown: Breakdown,
}

pub struct GridCell {
    /// `c{row}-{column}` (value), `m…` (margin), `e…` (message).
    pub id: String,
    pub name: String,
    pub margin_name: String,
    pub value: String,
    pub margin: String,
    pub error: Option<String>,
    /// Its label for screen readers: "Totalt 2019".
    pub label: String,
}

pub struct GridRow {
    pub label: String,
    pub href: Option<String>,
    pub unit: String,
    /// Locked by a decision: shown as text, with the lock's note.
    pub locked: Option<usize>,
    pub cells: Vec<GridCell>,
}

/// One row of the grid: which indicator and period its cells are.
struct Spec {
    key: String,
    label: String,
    href: Option<String>,
    record: usize,
    period: Period,
    lock: Option<PeriodLock>,
}

struct Grid {
    kind: Kind,
    records: Vec<IndicatorRecord>,
    specs: Vec<Spec>,
    columns: Vec<Column>,
    all_areas: bool,
    more_areas: bool,
    known_areas: Vec<String>,
}

#[derive(Template)]
#[template(path = "outcome_grid.html")]
pub struct GridPage {
    pub title: String,
    pub lead: String,
    pub crumbs: Vec<(String, String)>,
    pub action: String,
    pub cancel: String,
    pub row_heading: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<GridRow>,
    /// (link target, text) for the error summary.
    pub errors: Vec<(String, String)>,
    pub locks: Vec<String>,
    pub paste: String,
    pub paste_errors: Vec<String>,
    pub add_periods: Vec<(String, String)>,
    /// The goal grid's period and the periods to choose from.
    pub period: Option<(String, Vec<(String, String)>)>,
    pub areas_link: Option<(String, &'static str)>,
    pub all_areas: bool,
    pub one_outcome: Option<String>,
}

/// A cell's typed value and margin, by (row key, column code).
type Typed = HashMap<(String, String), (String, String)>;

/// What saving a cell does.
enum Change {
    Set(Id, Outcome),
    Delete(Id, Period, String),
}

/// A stored number as it is typed back: every digit kept (a re-save changes nothing), a
/// decimal comma.
fn exact_sv(v: f64) -> String {
    format!("{v}").replace('.', ",")
}

fn breakdown_label(b: &Breakdown) -> String {
    match b.area() {
        Some(a) => a.to_string(),
        None => b.label_sv(),
    }
}

/// The first period of a frequency in `year`.
fn first_of(frequency: Frequency, year: i32) -> Period {
    match frequency {
        Frequency::Year | Frequency::Biennial => Period::Year(year),
        Frequency::Tertial => Period::Tertial(year, 1),
        Frequency::Month => Period::Month(year, 1),
        Frequency::Week => Period::Week(year, 1),
    }
}

/// The year today, in Sweden.
fn this_year() -> i32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    uppsikt_domain::date::swedish_date(now)
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(2026)
}

/// An indicator's rows: its stored periods of its frequency's kind, the next two after
/// the latest (or from this year), and `extra` (typed, pasted or added).
fn indicator_periods(record: &IndicatorRecord, extra: &BTreeSet<Period>) -> Vec<Period> {
    let freq = record.indicator.frequency;
    let kind = first_of(freq, 2000).kind();
    let mut set: BTreeSet<Period> = record.outcomes.iter().map(|o| o.period).collect();
    let latest = set.iter().filter(|p| p.kind() == kind).max().copied();
    let step = if freq == Frequency::Biennial { 2 } else { 1 };
    match latest {
        Some(l) => {
            let mut p = l;
            for _ in 0..2 {
                for _ in 0..step {
                    p = p.next();
                }
                set.insert(p);
            }
        }
        None => {
            set.insert(first_of(freq, this_year()));
        }
    }
    set.extend(extra.iter().copied());
    let mut v: Vec<Period> = set.into_iter().collect();
    v.sort_by_key(|p| (p.last_day_number(), p.kind()));
    v
}

/// The periods "Lägg till period" offers: of the indicator's frequency, from five years
/// back to next year, not already rows.
fn addable_periods(record: &IndicatorRecord, shown: &[Period]) -> Vec<(String, String)> {
    let freq = record.indicator.frequency;
    let year = this_year();
    let start = first_of(freq, year - 5);
    let end = first_of(freq, year + 2);
    let mut out = Vec::new();
    let mut p = start;
    while p < end && out.len() < 200 {
        if !shown.contains(&p) {
            out.push((p.to_string(), p.label_sv()));
        }
        p = p.next();
    }
    out
}

/// Row keys and column codes typed into the form (`v|{row}|{column}`, `m|…`).
fn typed_cells(input: &Input) -> Typed {
    let mut typed = Typed::new();
    for (name, value) in input {
        let mut parts = name.splitn(3, '|');
        let (Some(which), Some(row), Some(col)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let entry = typed.entry((row.to_string(), col.to_string())).or_default();
        match which {
            "v" => entry.0 = value.clone(),
            "m" => entry.1 = value.clone(),
            _ => {}
        }
    }
    typed
}

async fn load(
    state: &AppState,
    kind: Kind,
    extra: &BTreeSet<Period>,
    extra_areas: &BTreeSet<String>,
    all_areas: bool,
) -> Result<Grid> {
    let (records, unit_id) = match kind {
        Kind::Indicator(id) => (
            vec![state.store.indicator_record(id).await?],
            state.store.owning_unit(ObjectKind::Indicator, id).await?,
        ),
        Kind::Goal(goal, _) => {
            let mut rs: Vec<IndicatorRecord> = state
                .store
                .indicator_records(Scope::GoalTree(goal))
                .await?
                .into_iter()
                .filter(|r| r.indicator.goal_id == goal)
                .collect();
            rs.sort_by_key(|r| (r.indicator.position, r.indicator.id));
            (rs, state.store.owning_unit(ObjectKind::Goal, goal).await?)
        }
    };
    let known_areas: Vec<String> = state
        .store
        .areas()
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    let mut specs = Vec::new();
    match kind {
        Kind::Indicator(_) => {
            for p in indicator_periods(&records[0], extra) {
                specs.push(Spec {
                    key: p.to_string(),
                    label: p.label_sv(),
                    href: None,
                    record: 0,
                    period: p,
                    lock: None,
                });
            }
        }
        Kind::Goal(_, period) => {
            for (i, r) in records.iter().enumerate() {
                specs.push(Spec {
                    key: r.indicator.id.to_string(),
                    label: r.indicator.name.clone(),
                    href: Some(format!("/indicators/{}", r.indicator.id)),
                    record: i,
                    period,
                    lock: None,
                });
            }
        }
    }
    let mut locks: HashMap<Period, Option<PeriodLock>> = HashMap::new();
    for s in &mut specs {
        s.lock = match locks.get(&s.period) {
            Some(l) => l.clone(),
            None => {
                let l = state.store.lock_covering(unit_id, s.period).await?;
                locks.insert(s.period, l.clone());
                l
            }
        };
    }
    // Two open periods to write in after the latest stored one, past decided periods.
    if let (Kind::Indicator(_), Some(last)) = (kind, specs.last().map(|s| s.period)) {
        let freq = records[0].indicator.frequency;
        let latest = records[0].outcomes.iter().map(|o| o.period).max();
        let open_after = |specs: &[Spec]| {
            specs
                .iter()
                .filter(|s| s.lock.is_none() && latest.is_none_or(|l| s.period > l))
                .count()
        };
        let step = if freq == Frequency::Biennial { 2 } else { 1 };
        let mut p = last;
        for _ in 0..12 {
            if open_after(&specs) >= 2 {
                break;
            }
            for _ in 0..step {
                p = p.next();
            }
            let lock = state.store.lock_covering(unit_id, p).await?;
            specs.push(Spec {
                key: p.to_string(),
                label: p.label_sv(),
                href: None,
                record: 0,
                period: p,
                lock,
            });
        }
    }
    // Columns: Totalt, Kvinnor, Män; girls, boys and areas where stored or typed.
    let used: BTreeSet<Breakdown> = records
        .iter()
        .flat_map(|r| r.outcomes.iter().map(|o| o.breakdown.clone()))
        .collect();
    let mut columns: Vec<Column> = Vec::new();
    for b in Breakdown::FIXED {
        let always = matches!(b, Breakdown::Total | Breakdown::Women | Breakdown::Men);
        if always || used.contains(&b) {
            columns.push(Column {
                code: b.code(),
                label: breakdown_label(&b),
                breakdown: b,
            });
        }
    }
    let mut areas: Vec<String> = used
        .iter()
        .filter_map(|b| b.area().map(String::from))
        .collect();
    for a in &known_areas {
        if (all_areas || extra_areas.contains(a)) && !areas.contains(a) {
            areas.push(a.clone());
        }
    }
    areas.sort_by(|a, b| uppsikt_domain::collate::swedish_cmp(a, b));
    let more_areas = known_areas.iter().any(|a| !areas.contains(a));
    for a in areas {
        let b = Breakdown::Area(a);
        columns.push(Column {
            code: b.code(),
            label: breakdown_label(&b),
            breakdown: b,
        });
    }
    Ok(Grid {
        kind,
        records,
        specs,
        columns,
        all_areas,
        more_areas,
        known_areas,
    })
}

impl Grid {
    fn stored(&self, s: &Spec, c: &Column) -> Option<&Outcome> {
        self.records[s.record]
            .outcomes
            .iter()
            .find(|o| o.period == s.period && o.breakdown == c.breakdown)
    }

    /// What saving a typed cell does, or the message at the cell.
    fn change(
        &self,
        s: &Spec,
        c: &Column,
        typed: &(String, String),
    ) -> std::result::Result<Option<Change>, String> {
        let ind = &self.records[s.record].indicator;
        let stored = self.stored(s, c);
        let (value, margin) = (typed.0.trim(), typed.1.trim());
        for t in [value, margin] {
            if t.chars().count() > TYPED_MAX {
                return Err(messages::too_long(TYPED_MAX));
            }
            uppsikt_domain::text::check(t, uppsikt_domain::text::Lines::One)
                .map_err(|e| messages::text_refused(&e))?;
        }
        let change = if value.is_empty() {
            if !margin.is_empty() {
                return Err(messages::forms::GRID_MARGIN_WITHOUT_VALUE.into());
            }
            stored.map(|_| Change::Delete(ind.id, s.period, c.code.clone()))
        } else {
            let percent = is_percent_unit(&ind.unit);
            let v = cell::number(value, percent)?;
            let m = cell::margin(margin, percent)?;
            if !percent_in_range(&ind.unit, v) {
                return Err(messages::percent_out_of_range(v));
            }
            let outcome = Outcome {
                period: s.period,
                breakdown: c.breakdown.clone(),
                value: v,
                margin: m,
                // The grid does not show sample sizes: a stored one is kept.
                sample_size: stored.and_then(|o| o.sample_size),
            };
            match stored {
                Some(o) if same_outcome(o, &outcome) => None,
                _ => Some(Change::Set(ind.id, outcome)),
            }
        };
        match (&s.lock, change) {
            (Some(lock), Some(_)) => Err(messages::period_locked(lock)),
            (_, change) => Ok(change),
        }
    }

    /// Checks every typed cell: the changes, or the messages by (row, column) index.
    #[allow(clippy::type_complexity)]
    fn check(&self, typed: &Typed) -> (Vec<Change>, HashMap<(usize, usize), String>) {
        let mut changes = Vec::new();
        let mut errors = HashMap::new();
        for (r, s) in self.specs.iter().enumerate() {
            for (c, col) in self.columns.iter().enumerate() {
                let Some(t) = typed.get(&(s.key.clone(), col.code.clone())) else {
                    continue;
                };
                match self.change(s, col, t) {
                    Ok(Some(ch)) => changes.push(ch),
                    Ok(None) => {}
                    Err(m) => {
                        errors.insert((r, c), m);
                    }
                }
            }
        }
        (changes, errors)
    }

    /// The row a pasted line's first cell names, by key: a period (indicator grid) or an
    /// indicator's key or name (goal grid).
    fn row_named(&self, text: &str) -> Option<String> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        match self.kind {
            Kind::Indicator(_) => cell::period(t).ok().map(|p| p.to_string()),
            Kind::Goal(..) => {
                let fold = |s: &str| {
                    s.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                };
                self.records
                    .iter()
                    .find(|r| {
                        r.indicator.key.eq_ignore_ascii_case(t)
                            || fold(&r.indicator.name) == fold(t)
                    })
                    .map(|r| r.indicator.id.to_string())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn page(
        &self,
        state_title: (String, String, Vec<(String, String)>, String),
        typed: &Typed,
        errors: &HashMap<(usize, usize), String>,
        paste: String,
        paste_errors: Vec<String>,
        period_choice: Option<(String, Vec<(String, String)>)>,
    ) -> GridPage {
        let (title, lead, crumbs, cancel) = state_title;
        let mut locks: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        let mut summary = Vec::new();
        if !paste_errors.is_empty() {
            for e in &paste_errors {
                summary.push(("#f-paste".to_string(), format!("Inklistrat: {e}")));
            }
        }
        for (r, s) in self.specs.iter().enumerate() {
            let ind = &self.records[s.record].indicator;
            let locked = s.lock.as_ref().map(|l| {
                let text = format!("{}: {}", s.label, messages::period_locked(l));
                match locks.iter().position(|t| *t == text) {
                    Some(i) => i,
                    None => {
                        locks.push(text);
                        locks.len() - 1
                    }
                }
            });
            let mut cells = Vec::new();
            for (c, col) in self.columns.iter().enumerate() {
                let stored = self.stored(s, col);
                let (value, margin) = match typed.get(&(s.key.clone(), col.code.clone())) {
                    Some((v, m)) if s.lock.is_none() || errors.contains_key(&(r, c)) => {
                        (v.clone(), m.clone())
                    }
                    _ => match (stored, s.lock.is_some()) {
                        (Some(o), false) => (
                            exact_sv(o.value),
                            o.margin.map(exact_sv).unwrap_or_default(),
                        ),
                        (Some(o), true) => (
                            format_sv(o.value, ind.decimals),
                            o.margin
                                .map(|m| format_sv(m, ind.decimals.max(1)))
                                .unwrap_or_default(),
                        ),
                        (None, _) => (String::new(), String::new()),
                    },
                };
                let error = errors.get(&(r, c)).cloned();
                let label = match self.kind {
                    Kind::Indicator(_) => format!("{} {}", col.label, s.label),
                    Kind::Goal(..) => format!("{}, {}", s.label, col.label),
                };
                if let Some(e) = &error {
                    summary.push((format!("#c{r}-{c}"), format!("{label}: {e}")));
                }
                cells.push(GridCell {
                    id: format!("{r}-{c}"),
                    name: format!("v|{}|{}", s.key, col.code),
                    margin_name: format!("m|{}|{}", s.key, col.code),
                    value,
                    margin,
                    error,
                    label,
                });
            }
            rows.push(GridRow {
                label: s.label.clone(),
                href: s.href.clone(),
                unit: ind.unit.clone(),
                locked,
                cells,
            });
        }
        let (action, add_periods, one_outcome) = match self.kind {
            Kind::Indicator(id) => {
                let shown: Vec<Period> = self.specs.iter().map(|s| s.period).collect();
                (
                    format!("/indicators/{id}/outcomes"),
                    addable_periods(&self.records[0], &shown),
                    Some(format!("/indicators/{id}/outcome")),
                )
            }
            Kind::Goal(goal, _) => (format!("/goals/{goal}/outcomes"), Vec::new(), None),
        };
        let areas_link = match (self.all_areas, self.more_areas) {
            (false, true) => Some((alla(&action, &self.kind), "Visa en kolumn för varje område")),
            (true, _) => Some((
                without_areas(&action, &self.kind),
                "Visa bara områden med utfall",
            )),
            _ => None,
        };
        GridPage {
            title,
            lead,
            crumbs,
            action,
            cancel,
            row_heading: match self.kind {
                Kind::Indicator(_) => "Period",
                Kind::Goal(..) => "Mått",
            },
            columns: Vec::new(),
            rows,
            errors: summary,
            locks,
            paste,
            paste_errors,
            add_periods,
            period: period_choice,
            areas_link,
            all_areas: self.all_areas,
            one_outcome,
        }
        .with_columns(&self.columns)
    }
}

fn alla(action: &str, kind: &Kind) -> String {
    match kind {
        Kind::Goal(_, p) => format!("{action}?period={p}&areas=alla"),
        Kind::Indicator(_) => format!("{action}?areas=alla"),
    }
}

fn without_areas(action: &str, kind: &Kind) -> String {
    match kind {
        Kind::Goal(_, p) => format!("{action}?period={p}"),
        Kind::Indicator(_) => action.to_string(),
    }
}

impl GridPage {
    fn with_columns(mut self, columns: &[Column]) -> GridPage {
        self.columns = columns
            .iter()
            .map(|c| Column {
                code: c.code.clone(),
                label: c.label.clone(),
                breakdown: c.breakdown.clone(),
            })
            .collect();
        self
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    fn respond(self) -> Result<Response> {
        let status = if self.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok((status, Html(self.render()?)).into_response())
    }
}

/// What a pasted column holds.
#[derive(Clone)]
enum PastedColumn {
    /// The row's name (period or indicator).
    Label,
    Value(String),
    Margin(String),
    Ignored,
}

/// Fills `typed` from rows pasted from Excel: tab-separated cells, Swedish numbers, with
/// or without a header row naming the breakdowns (`Totalt`, `Kvinnor`, `Män`, areas; a
/// `±` or `Felmarginal` heading after one is its margin). A line whose first cell names a
/// row (a period, an indicator) goes to that row; lines without one fill the grid's rows
/// in order. A cell `58 ± 3` is a value and its margin; an empty pasted cell leaves the
/// grid's cell as it is. Returns the messages for what could not be placed.
fn read_paste(grid: &Grid, text: &str, typed: &mut Typed) -> Vec<String> {
    let mut errors = Vec::new();
    if text.len() > PASTE_MAX_BYTES {
        return vec![messages::forms::paste_too_large(PASTE_MAX_BYTES / 1000)];
    }
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.len() > PASTE_MAX_LINES {
        return vec![messages::forms::paste_too_many_lines(PASTE_MAX_LINES)];
    }
    let split = |l: &str| -> Vec<String> { l.split('\t').map(|c| c.trim().to_string()).collect() };
    let header_of = |cells: &[String]| -> Option<Vec<PastedColumn>> {
        let mut out = Vec::new();
        let mut any_breakdown = false;
        let mut last: Option<String> = None;
        for (i, c) in cells.iter().enumerate() {
            if cell::number(c, true).is_ok() {
                return None;
            }
            let lc = c.to_lowercase();
            if ["±", "+/-", "felmarginal", "marginal"].contains(&lc.as_str()) {
                match &last {
                    Some(code) => out.push(PastedColumn::Margin(code.clone())),
                    None => out.push(PastedColumn::Ignored),
                }
                continue;
            }
            if c.is_empty() && i > 0 {
                out.push(PastedColumn::Ignored);
                continue;
            }
            match cell::breakdown(c, &grid.known_areas) {
                Ok((b, false)) if !(i == 0 && c.is_empty()) => {
                    any_breakdown = true;
                    last = Some(b.code());
                    out.push(PastedColumn::Value(b.code()));
                }
                _ if i == 0 => out.push(PastedColumn::Label),
                _ => out.push(PastedColumn::Ignored),
            }
        }
        any_breakdown.then_some(out)
    };
    let mut start = 0;
    let mut header: Option<Vec<PastedColumn>> = None;
    if let Some(first) = lines.first() {
        let cells = split(first);
        if let Some(h) = header_of(&cells) {
            for (i, c) in cells.iter().enumerate() {
                let unknown =
                    matches!(h.get(i), Some(PastedColumn::Ignored)) && !c.is_empty() && i > 0;
                if unknown {
                    errors.push(messages::forms::paste_unknown_column(c, &grid.known_areas));
                }
            }
            header = Some(h);
            start = 1;
        }
    }
    let default_columns: Vec<String> = grid.columns.iter().map(|c| c.code.clone()).collect();
    let mut next_row = 0usize;
    for (n, line) in lines.iter().enumerate().skip(start) {
        let number = n + 1;
        let cells = split(line);
        if cells.len() > PASTE_MAX_CELLS {
            errors.push(messages::forms::paste_too_many_cells(
                number,
                PASTE_MAX_CELLS,
            ));
            continue;
        }
        let named = grid.row_named(&cells[0]);
        let first_is_text = !cells[0].is_empty() && cell::number(&cells[0], true).is_err();
        let row_key = match (&named, first_is_text) {
            (Some(k), _) => k.clone(),
            (None, true) => {
                errors.push(messages::forms::paste_unknown_row(
                    number,
                    &cells[0],
                    matches!(grid.kind, Kind::Indicator(_)),
                ));
                continue;
            }
            (None, false) => match grid.specs.get(next_row) {
                Some(s) => {
                    next_row += 1;
                    s.key.clone()
                }
                None => {
                    errors.push(messages::forms::paste_beyond_grid(number));
                    continue;
                }
            },
        };
        let layout: Vec<PastedColumn> = match &header {
            Some(h) => h.clone(),
            None => {
                let mut l = Vec::new();
                if named.is_some() || first_is_text {
                    l.push(PastedColumn::Label);
                }
                l.extend(default_columns.iter().cloned().map(PastedColumn::Value));
                l
            }
        };
        // A line that names its row while the header has no label column.
        let offset =
            usize::from(named.is_some() && !matches!(layout.first(), Some(PastedColumn::Label)));
        for (i, text) in cells.iter().enumerate().skip(offset) {
            let Some(col) = layout.get(i - offset) else {
                if !text.is_empty() {
                    errors.push(messages::forms::paste_too_many_values(number));
                }
                break;
            };
            if text.is_empty() {
                continue;
            }
            match col {
                PastedColumn::Value(code) => {
                    let entry = typed.entry((row_key.clone(), code.clone())).or_default();
                    match text.split_once('±') {
                        Some((v, m)) => {
                            entry.0 = v.trim().to_string();
                            entry.1 = m.trim().to_string();
                        }
                        None => entry.0 = text.clone(),
                    }
                }
                PastedColumn::Margin(code) => {
                    typed.entry((row_key.clone(), code.clone())).or_default().1 = text.clone();
                }
                PastedColumn::Label | PastedColumn::Ignored => {}
            }
        }
    }
    errors
}

/// Periods and areas a form's cells name (typed or pasted), so that their rows and
/// columns are shown.
fn named_in(typed: &Typed, known: &[String]) -> (BTreeSet<Period>, BTreeSet<String>) {
    let mut periods = BTreeSet::new();
    let mut areas = BTreeSet::new();
    for (row, col) in typed.keys() {
        if let Ok(p) = Period::parse(row) {
            periods.insert(p);
        }
        if let Ok(Breakdown::Area(a)) = Breakdown::parse(col) {
            if known.contains(&a) {
                areas.insert(a);
            }
        }
    }
    (periods, areas)
}

async fn titles(
    state: &AppState,
    kind: Kind,
) -> Result<(String, String, Vec<(String, String)>, String)> {
    const HOW: &str = "Skriv värdet och vid behov felmarginalen (±) i varje ruta; decimalkomma, mellanslag som tusentalsavgränsare, ”3 %” och ”±3” går bra. Töm en ruta för att ta bort det utfallet. Allt sparas på en gång, eller inget om något behöver rättas. Varje ändring loggas.";
    Ok(match kind {
        Kind::Indicator(id) => {
            let record = state.store.indicator_record(id).await?;
            let crumbs = super::indicator_crumbs(state, &record).await?;
            (
                format!("Utfall för {}", record.indicator.name),
                format!("Enhet: {}. {HOW}", record.indicator.unit),
                crumbs,
                format!("/indicators/{id}"),
            )
        }
        Kind::Goal(goal, period) => {
            let crumbs = super::goal_crumbs(state, goal).await?;
            let title = crumbs.last().map(|(_, t)| t.clone()).unwrap_or_default();
            (
                format!("Utfall {} för {title}", period.label_sv()),
                HOW.to_string(),
                crumbs,
                format!("/goals/{goal}?period={period}"),
            )
        }
    })
}

/// The goal grid's period choice: the periods its indicators have outcomes for, the next
/// year and the shown one.
fn goal_periods(grid: &Grid, shown: Period) -> (String, Vec<(String, String)>) {
    let mut set: BTreeSet<Period> = grid
        .records
        .iter()
        .flat_map(|r| r.outcomes.iter().map(|o| o.period))
        .collect();
    set.insert(shown);
    let latest_year = set.iter().map(|p| p.year()).max().unwrap_or(shown.year());
    set.insert(Period::Year(latest_year + 1));
    let mut v: Vec<Period> = set.into_iter().collect();
    v.sort_by_key(|p| std::cmp::Reverse((p.last_day_number(), p.kind())));
    (
        shown.to_string(),
        v.into_iter()
            .map(|p| (p.to_string(), p.label_sv()))
            .collect(),
    )
}

async fn show(state: &AppState, kind: Kind, all_areas: bool) -> Result<Response> {
    let grid = load(state, kind, &BTreeSet::new(), &BTreeSet::new(), all_areas).await?;
    let choice = match kind {
        Kind::Goal(_, p) => Some(goal_periods(&grid, p)),
        Kind::Indicator(_) => None,
    };
    grid.page(
        titles(state, kind).await?,
        &Typed::new(),
        &HashMap::new(),
        String::new(),
        Vec::new(),
        choice,
    )
    .respond()
}

/// `GET /indicators/{id}/outcomes`.
pub async fn indicator_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<GridQuery>,
) -> Result<Response> {
    show(
        &state,
        Kind::Indicator(id),
        q.areas.as_deref() == Some("alla"),
    )
    .await
}

/// `GET /goals/{id}/outcomes?period=2019`; without a period, the goal page's.
pub async fn goal_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    Query(q): Query<GridQuery>,
) -> Result<Response> {
    let period = match period_param(q.period.as_deref())? {
        Some(p) => p,
        None => {
            followup::goal(&state.store, id, None, &Audience::SignedIn)
                .await?
                .period
        }
    };
    show(
        &state,
        Kind::Goal(id, period),
        q.areas.as_deref() == Some("alla"),
    )
    .await
}

pub async fn indicator_save(post: Post) -> Result<Response> {
    let kind = Kind::Indicator(post.id);
    save(post, kind).await
}

pub async fn goal_save(post: Post) -> Result<Response> {
    let mut e = super::Errors::default();
    let period = e
        .period(&post.input, "period")
        .ok_or_else(|| AppError::BadRequest(messages::forms::GRID_NEEDS_PERIOD.into()))?;
    let kind = Kind::Goal(post.id, period);
    save(post, kind).await
}

async fn save(post: Post, kind: Kind) -> Result<Response> {
    let state = &post.state;
    let input = &post.input;
    let action = input.get("action").map(String::as_str).unwrap_or("save");
    let all_areas = input.get("areas").is_some_and(|a| a == "alla");
    let known: Vec<String> = state
        .store
        .areas()
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    let mut typed = typed_cells(input);
    let (mut periods, mut areas) = named_in(&typed, &known);
    if let Kind::Goal(..) = kind {
        periods.clear();
    }
    let mut paste_errors = Vec::new();
    let mut add_error = None;
    match action {
        "add" => match input.get("add_period").map(|p| Period::parse(p)) {
            Some(Ok(p)) => {
                periods.insert(p);
            }
            Some(Err(e)) => add_error = Some(messages::period(&e)),
            None => {}
        },
        "read" => {
            let grid = load(state, kind, &periods, &areas, all_areas).await?;
            let text = input.get("paste").map(String::as_str).unwrap_or("");
            paste_errors = read_paste(&grid, text, &mut typed);
            let (p, a) = named_in(&typed, &known);
            if let Kind::Indicator(_) = kind {
                periods.extend(p);
            }
            areas.extend(a);
        }
        _ => {}
    }
    if let Some(e) = add_error {
        paste_errors.push(e);
    }
    let grid = load(state, kind, &periods, &areas, all_areas).await?;
    let (changes, errors) = grid.check(&typed);
    let choice = match kind {
        Kind::Goal(_, p) => Some(goal_periods(&grid, p)),
        Kind::Indicator(_) => None,
    };
    let paste_text = if paste_errors.is_empty() {
        String::new()
    } else {
        input.get("paste").cloned().unwrap_or_default()
    };
    if action != "save" || !errors.is_empty() {
        // Read in or added: shown, not saved (messages for cells already wrong).
        return grid
            .page(
                titles(state, kind).await?,
                &typed,
                &errors,
                paste_text,
                paste_errors,
                choice,
            )
            .respond();
    }
    let mut w = state
        .store
        .writer(&post.viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    let (mut set, mut deleted) = (0, 0);
    for ch in &changes {
        let written = match ch {
            Change::Set(id, o) => w.set_outcome(*id, o).await.map(|()| set += 1),
            Change::Delete(id, p, code) => w
                .delete_outcome(*id, *p, code)
                .await
                .map(|found| deleted += usize::from(found)),
        };
        match written {
            Ok(()) => {}
            Err(StoreError::Locked(lock)) => {
                // A decision recorded since the grid was read: nothing is saved.
                let _ = w.rollback().await;
                let mut errors = HashMap::new();
                let (id, period, code) = match ch {
                    Change::Set(id, o) => (*id, o.period, o.breakdown.code()),
                    Change::Delete(id, p, c) => (*id, *p, c.clone()),
                };
                for (r, s) in grid.specs.iter().enumerate() {
                    for (c, col) in grid.columns.iter().enumerate() {
                        if grid.records[s.record].indicator.id == id
                            && s.period == period
                            && col.code == code
                        {
                            errors.insert((r, c), messages::period_locked(&lock));
                        }
                    }
                }
                return grid
                    .page(
                        titles(state, kind).await?,
                        &typed,
                        &errors,
                        String::new(),
                        Vec::new(),
                        choice,
                    )
                    .respond();
            }
            Err(e) => return Err(e.into()),
        }
    }
    w.commit().await?;
    let to = match kind {
        Kind::Indicator(id) => format!("/indicators/{id}/outcomes"),
        Kind::Goal(goal, p) => format!("/goals/{goal}/outcomes?period={p}"),
    };
    let to = if all_areas {
        format!("{to}{}areas=alla", if to.contains('?') { '&' } else { '?' })
    } else {
        to
    };
    Ok(crate::flash::set(
        super::saved(to),
        &messages::forms::outcomes_saved(set, deleted),
    ))
}
