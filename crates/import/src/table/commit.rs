//! Writing a checked table in one transaction, after checking it again inside that
//! transaction; with progress, and cancellable.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use uppsikt_domain::access::Action;
use uppsikt_domain::model::{Id, Indicator};
use uppsikt_domain::{messages, Breakdown, Outcome, Period};
use uppsikt_store::{ChangeSource, Store, StoreError, Writer};

use super::check::{percent_in_range, same_outcome, Change, Checked, CheckedRow};
use crate::progress::Progress;
use crate::report::{Errors, ImportReport, Origin};

/// How many rows are checked or written between two looks at [`Progress::check`].
pub const CHECK_EVERY: usize = 500;

/// What a committed import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableSummary {
    /// Outcomes added.
    pub new: usize,
    /// Outcomes replaced (each logged with the value it replaced).
    pub changed: usize,
    /// Rows equal to what was stored: nothing written for them.
    pub unchanged: usize,
    /// Areas added because rows named them.
    pub new_areas: Vec<String>,
}

impl TableSummary {
    /// What the import wrote, in Swedish, one sentence a line (the web's job page lists
    /// them, the command line prints them).
    pub fn lines_sv(&self) -> Vec<String> {
        let mut out = vec![messages::table_planned(
            self.new,
            self.changed,
            self.unchanged,
        )];
        if !self.new_areas.is_empty() {
            out.push(messages::table_new_areas(&self.new_areas));
        }
        out.push(messages::table_in_history());
        out
    }
}

fn db_error(origin: &Origin, e: &StoreError) -> ImportReport {
    match e {
        StoreError::Locked(lock) => ImportReport::single(origin, messages::period_locked(lock)),
        e => ImportReport::single(origin, messages::import_database(&e.to_string())),
    }
}

/// Writes the rows of `checked` in one transaction as `actor`, each outcome through
/// `Writer::set_outcome` (so each is in the change log as if typed); rows that equal
/// what is stored are not written. Refuses while `checked.errors` is not empty.
///
/// Inside the transaction everything is checked again, since data may have changed since
/// the preview: each indicator still exists under the same unit, the principal may still
/// edit it, values of unit `%` lie within 0–100, no indicator, period and breakdown comes
/// twice, no period is locked by a decision (on PostgreSQL no decision can be recorded
/// meanwhile), and each stored outcome is still the one the preview showed. Any
/// difference refuses the whole import with a row-level report.
///
/// `progress` counts each row twice (checked, then written) and is looked at every
/// [`CHECK_EVERY`] rows and just before committing: once cancelled, the transaction is
/// rolled back and nothing of the import is left.
pub async fn commit(
    store: &Store,
    checked: &Checked,
    actor: &str,
    progress: &Progress,
) -> Result<TableSummary, ImportReport> {
    if !checked.errors.is_empty() {
        return Err(checked.report());
    }
    let whole = Origin::new(&checked.file_name, "");
    let rows = checked.rows.len() as u64;
    progress.set_total(2 * rows);
    progress.set_done(0);
    progress.set_step(messages::table_progress_checking());
    progress.check()?;
    let mut w = store
        .writer(actor, ChangeSource::file(&checked.file_name))
        .await
        .map_err(|e| db_error(&whole, &e))?;
    let written = match recheck(&mut w, checked, progress).await {
        Ok(()) => write(&mut w, checked, progress).await,
        Err(report) => Err(report),
    };
    let written = written.and_then(|summary| progress.check().map(|()| summary));
    let written = match written {
        Ok(summary) => progress.seal(&mut w).await.map(|()| summary),
        Err(report) => Err(report),
    };
    match written {
        Ok(summary) => {
            w.commit().await.map_err(|e| db_error(&whole, &e))?;
            progress.set_done(2 * rows);
            progress.set_step(messages::table_progress_done());
            Ok(summary)
        }
        Err(report) => {
            // Dropping the writer rolls back too; an explicit rollback releases it at once.
            let _ = w.rollback().await;
            Err(report)
        }
    }
}

/// What the transaction sees of one indicator.
struct Current {
    indicator: Indicator,
    owner: Id,
    outcomes: Vec<Outcome>,
}

async fn recheck(
    w: &mut Writer,
    checked: &Checked,
    progress: &Progress,
) -> Result<(), ImportReport> {
    let file = checked.file_name.as_str();
    let mut current: HashMap<Id, Option<Current>> = HashMap::new();
    let mut allowed: HashMap<Id, bool> = HashMap::new();
    let mut first: HashMap<(Id, Period, Breakdown), usize> = HashMap::new();
    let mut errors = Errors::default();
    for (i, row) in checked.rows.iter().enumerate() {
        if i % CHECK_EVERY == 0 {
            progress.check()?;
        }
        let at = Origin::new(file, messages::table_row(row.number));
        if let std::collections::hash_map::Entry::Vacant(slot) = current.entry(row.indicator_id) {
            let read = read_current(w, row.indicator_id)
                .await
                .map_err(|e| db_error(&at, &e))?;
            slot.insert(read);
        }
        let Some(Some(now)) = current.get(&row.indicator_id) else {
            errors.at(&at, messages::indicator_gone());
            continue;
        };
        if now.owner != row.owner_id {
            errors.at(&at, messages::indicator_gone());
            continue;
        }
        let may = match allowed.get(&now.owner) {
            Some(&a) => a,
            None => {
                let chain = w
                    .org_chain(now.owner)
                    .await
                    .map_err(|e| db_error(&at, &e))?;
                let a = checked.principal.allows(Action::Edit, &chain);
                allowed.insert(now.owner, a);
                a
            }
        };
        if !may {
            errors.at(&at, messages::not_allowed_for_unit(&row.owner));
        }
        let o = &row.outcome;
        if !percent_in_range(&now.indicator.unit, o.value) {
            errors.at(&at, messages::percent_out_of_range(o.value));
        }
        match w
            .ensure_indicator_unlocked(row.indicator_id, [o.period])
            .await
        {
            Ok(()) => {}
            Err(StoreError::Locked(lock)) => errors.at(&at, messages::period_locked(&lock)),
            Err(e) => return Err(db_error(&at, &e)),
        }
        let key = (row.indicator_id, o.period, o.breakdown.clone());
        if let Some(n) = first.get(&key) {
            errors.at(
                &at,
                messages::duplicate_outcome(
                    &o.period.label_sv(),
                    &o.breakdown.label_sv(),
                    &messages::table_row(*n),
                ),
            );
        } else {
            first.insert(key, row.number);
        }
        let stored = now
            .outcomes
            .iter()
            .find(|s| s.period == o.period && s.breakdown == o.breakdown);
        let as_previewed = match (stored, &row.before) {
            (None, None) => true,
            (Some(s), Some(b)) => same_outcome(s, b),
            _ => false,
        };
        if !as_previewed {
            errors.at(
                &at,
                messages::changed_since_preview(
                    &messages::outcome_value(stored, row.decimals),
                    &messages::outcome_value(row.before.as_ref(), row.decimals),
                ),
            );
        }
        progress.advance(1);
    }
    if errors.0.is_empty() {
        return Ok(());
    }
    let count = errors.0.len();
    errors.0.insert(
        0,
        Origin::new(file, "").error(messages::table_has_errors(count)),
    );
    errors.into_result(())
}

async fn read_current(w: &mut Writer, id: Id) -> Result<Option<Current>, StoreError> {
    let Some((indicator, owner)) = w.indicator_owner(id).await? else {
        return Ok(None);
    };
    let outcomes = w.stored_outcomes(id).await?;
    Ok(Some(Current {
        indicator,
        owner,
        outcomes,
    }))
}

async fn write(
    w: &mut Writer,
    checked: &Checked,
    progress: &Progress,
) -> Result<TableSummary, ImportReport> {
    let file = checked.file_name.as_str();
    progress.set_step(messages::table_progress_saving());
    // Every area a row names exists afterwards (adding one that exists changes nothing).
    let areas: BTreeSet<&str> = checked
        .rows
        .iter()
        .filter_map(|r| r.outcome.breakdown.area())
        .collect();
    for area in areas {
        w.upsert_area(area, None)
            .await
            .map_err(|e| db_error(&Origin::new(file, ""), &e))?;
    }
    let mut summary = TableSummary {
        new_areas: checked.new_areas.clone(),
        ..TableSummary::default()
    };
    for (i, row) in checked.rows.iter().enumerate() {
        if i % CHECK_EVERY == 0 {
            progress.check()?;
        }
        match row.change() {
            Change::Unchanged => summary.unchanged += 1,
            change => {
                set(w, file, row).await?;
                if change == Change::New {
                    summary.new += 1;
                } else {
                    summary.changed += 1;
                }
            }
        }
        progress.advance(1);
    }
    Ok(summary)
}

async fn set(w: &mut Writer, file: &str, row: &CheckedRow) -> Result<(), ImportReport> {
    w.set_outcome(row.indicator_id, &row.outcome)
        .await
        .map_err(|e| db_error(&Origin::new(file, messages::table_row(row.number)), &e))
}
