//! Where automatic deviations come from: one registration per module. A module that
//! raises deviations (indicators, commitments, internal control, audit recommendations,
//! situation reports, statutory duties) implements [`DeviationSource`] — load its data,
//! then name the candidates of a year through its pure rules in the domain — and adds
//! itself to [`DEVIATION_SOURCES`]. [`Store::automatic_deviations`] asks every source.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use uppsikt_domain::deviation::{
    commitment_candidates, indicator_candidates, DeviationThreshold, NewDeviation,
};
use uppsikt_domain::internal_control::{deviation_candidates, ControlPlan};
use uppsikt_domain::model::{Commitment, Id, IndicatorRecord};

use crate::{Result, Scope, Store};

/// A boxed future, so that implementations can sit in one list: deviation sources here,
/// and the report crate's `ReportPart` and `OversightSource` use the same type.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A module that raises automatic deviations.
pub trait DeviationSource: Send + Sync {
    /// Loads what the source raises deviations from, as of `today` (ISO date).
    fn load<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>>;
}

/// A source's loaded data.
pub trait DueDeviations: Send {
    /// The years it holds data for. Deviations are due for every year any source holds
    /// data for (from the first year followed up to this one), and each source is asked
    /// for each of them.
    fn years(&self) -> Vec<i32>;

    /// Its candidates of a year, each with its cause key (the domain's rules).
    fn candidates(&self, year: i32) -> Vec<NewDeviation>;
}

/// Every registered source, in the order their candidates of a year are raised.
pub static DEVIATION_SOURCES: &[&dyn DeviationSource] = &[
    &IndicatorSource,
    &CommitmentSource,
    &InternalControlSource,
    &crate::audit::AuditSource,
    &crate::area::SituationSource,
    &crate::area::ObligationSource,
    &crate::economy::BudgetSource,
    &crate::economy::GrantSource,
];

/// The year of an ISO date (a date without one: no year has ended).
fn year_of(today: &str) -> i32 {
    today
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(i32::MAX)
}

/// The unit owning each goal.
async fn unit_of_goal(store: &Store) -> Result<HashMap<Id, Id>> {
    Ok(store
        .goals()
        .await?
        .iter()
        .map(|g| (g.id, g.org_id))
        .collect())
}

/// Indicators whose significant results (a milestone missed beyond the margin of error, a
/// significant change for the worse) pass their board's threshold: one deviation per
/// indicator and period.
pub struct IndicatorSource;

struct IndicatorsDue {
    /// Each indicator with its owning unit.
    owned: Vec<(Id, IndicatorRecord)>,
    /// The threshold that applies to each owning unit (its board's).
    thresholds: HashMap<Id, DeviationThreshold>,
}

impl DeviationSource for IndicatorSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        _today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let org_of = unit_of_goal(store).await?;
            let records = store.indicator_records(Scope::All).await?;
            let owned: Vec<(Id, IndicatorRecord)> = records
                .into_iter()
                .filter_map(|r| Some((*org_of.get(&r.indicator.goal_id)?, r)))
                .collect();
            let units = store.org_units().await?;
            let stored = store.deviation_thresholds().await?;
            let of = crate::thresholds::threshold_of(&units, &stored);
            let thresholds = owned.iter().map(|(org, _)| (*org, of(*org))).collect();
            Ok(Box::new(IndicatorsDue { owned, thresholds }) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for IndicatorsDue {
    fn years(&self) -> Vec<i32> {
        self.owned
            .iter()
            .flat_map(|(_, r)| r.outcomes.iter().map(|o| o.period.year()))
            .collect()
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        let pairs: Vec<(Id, &IndicatorRecord)> = self.owned.iter().map(|(o, r)| (*o, r)).collect();
        indicator_candidates(&pairs, year, |org| {
            self.thresholds.get(&org).copied().unwrap_or_default()
        })
    }
}

/// Commitments of an ended year not finished.
pub struct CommitmentSource;

struct CommitmentsDue(Vec<(Id, Commitment)>);

impl DeviationSource for CommitmentSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let this_year = year_of(today);
            let org_of = unit_of_goal(store).await?;
            let commitments = store.commitments(Scope::All).await?;
            let ended = commitments
                .into_iter()
                .filter(|c| c.year < this_year)
                .filter_map(|c| Some((*org_of.get(&c.goal_id)?, c)))
                .collect();
            Ok(Box::new(CommitmentsDue(ended)) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for CommitmentsDue {
    fn years(&self) -> Vec<i32> {
        self.0.iter().map(|(_, c)| c.year).collect()
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        let pairs: Vec<(Id, &Commitment)> = self.0.iter().map(|(o, c)| (*o, c)).collect();
        commitment_candidates(&pairs, year)
    }
}

/// Internal control: control occurrences with findings, occurrences past their date and
/// not performed, actions not done when their year has ended
/// (`domain::internal_control::deviation_candidates`).
pub struct InternalControlSource;

struct ControlPlansDue {
    plans: Vec<ControlPlan>,
    today: String,
}

impl DeviationSource for InternalControlSource {
    fn load<'a>(
        &'a self,
        store: &'a Store,
        today: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn DueDeviations>>> {
        Box::pin(async move {
            let plans = store.control_plans(None).await?;
            Ok(Box::new(ControlPlansDue {
                plans,
                today: today.to_string(),
            }) as Box<dyn DueDeviations>)
        })
    }
}

impl DueDeviations for ControlPlansDue {
    fn years(&self) -> Vec<i32> {
        self.plans.iter().map(|p| p.year).collect()
    }

    fn candidates(&self, year: i32) -> Vec<NewDeviation> {
        self.plans
            .iter()
            .filter(|p| p.year == year)
            .flat_map(|p| deviation_candidates(p, &self.today))
            .collect()
    }
}

impl Store {
    /// The automatic deviations due as of `today` (ISO date): what every registered
    /// [`DeviationSource`] raises in a year from `from_year` up to this one (indicators
    /// whose significant results pass their board's threshold, commitments of an ended
    /// year not finished, internal control's findings, missed occurrences and unfinished
    /// actions). Raise them with [`crate::Writer::raise_deviations`],
    /// which skips those raised before. (Years before `from_year` are history the system
    /// was not there to follow up.)
    pub async fn automatic_deviations(
        &self,
        today: &str,
        from_year: i32,
    ) -> Result<Vec<NewDeviation>> {
        let this_year = year_of(today);
        let mut loaded = Vec::with_capacity(DEVIATION_SOURCES.len());
        for source in DEVIATION_SOURCES {
            loaded.push(source.load(self, today).await?);
        }
        let mut years: Vec<i32> = loaded
            .iter()
            .flat_map(|l| l.years())
            .filter(|y| (from_year..=this_year).contains(y))
            .collect();
        years.sort_unstable();
        years.dedup();
        Ok(years
            .into_iter()
            .flat_map(|y| loaded.iter().flat_map(move |l| l.candidates(y)))
            .collect())
    }
}
