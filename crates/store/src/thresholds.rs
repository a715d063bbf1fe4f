//! A board's threshold for automatic deviations (`deviation_thresholds`): which of its
//! indicators' significant results raise a deviation. No row is the default (every
//! significant result raises one). Read by the indicators' deviation source
//! (`deviation_sources.rs`), written by controllers through the [`Writer`] and logged.

use std::collections::HashMap;

use uppsikt_domain::deviation::{board_of, DeviationThreshold};
use uppsikt_domain::model::{Id, OrgUnit};

use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// The change log's object type of a board's threshold (logged under the unit's id).
pub const THRESHOLD_LOG_TYPE: &str = "deviation_threshold";

type ThresholdRow = (i64, i64, f64);

fn stored_threshold((_, negative_trend, min_shortfall): ThresholdRow) -> DeviationThreshold {
    DeviationThreshold {
        negative_trend: negative_trend != 0,
        min_shortfall,
    }
}

impl Store {
    /// Every stored threshold by unit; a unit without one has the default.
    pub async fn deviation_thresholds(&self) -> Result<HashMap<Id, DeviationThreshold>> {
        let rows: Vec<ThresholdRow> = sqlx::query_as(
            "SELECT org_id, negative_trend, min_shortfall FROM deviation_thresholds",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.0, stored_threshold(r)))
            .collect())
    }

    /// The threshold that applies to a unit: its stored threshold, else its board's, else the default.
    pub async fn deviation_threshold(&self, org_id: Id) -> Result<DeviationThreshold> {
        let units = self.org_units().await?;
        let stored = self.deviation_thresholds().await?;
        let of = threshold_of(&units, &stored);
        let threshold = of(org_id);
        Ok(threshold)
    }
}

/// The threshold that applies to a unit's indicators: the unit's own if stored, else that
/// of the board it is overseen under (`deviation::board_of`), else the default.
pub fn threshold_of<'a>(
    units: &'a [OrgUnit],
    stored: &'a HashMap<Id, DeviationThreshold>,
) -> impl Fn(Id) -> DeviationThreshold + 'a {
    let by_id: HashMap<Id, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
    move |org| {
        stored
            .get(&org)
            .or_else(|| stored.get(&board_of(&by_id, org)))
            .copied()
            .unwrap_or_default()
    }
}

impl Writer {
    /// Sets a unit's (a board's) threshold for automatic deviations; logged with the
    /// threshold before and after. Refused when it makes no sense (a shortfall outside
    /// 0–100 %).
    pub async fn set_deviation_threshold(
        &mut self,
        org_id: Id,
        threshold: DeviationThreshold,
    ) -> Result<()> {
        if !threshold.is_valid() || !threshold.min_shortfall.is_finite() {
            // As the writer refuses other input no caller should send (a goal under itself).
            return Err(StoreError::Corrupt(format!(
                "min_shortfall {} is not a share between 0 and 1",
                threshold.min_shortfall
            )));
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM org_units WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::not_found("org_unit", org_id));
        }
        let before: Option<ThresholdRow> = sqlx::query_as(
            "SELECT org_id, negative_trend, min_shortfall FROM deviation_thresholds WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let before = before.map(stored_threshold);
        if before == Some(threshold) {
            return Ok(());
        }
        let (at, actor) = (self.time().to_string(), self.actor().to_string());
        self.execute(
            "INSERT INTO deviation_thresholds (org_id, negative_trend, min_shortfall, saved_at, saved_by) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id) DO UPDATE SET negative_trend = excluded.negative_trend, \
             min_shortfall = excluded.min_shortfall, saved_at = excluded.saved_at, saved_by = excluded.saved_by",
            vec![
                Bind::Int(org_id),
                Bind::Int(i64::from(threshold.negative_trend)),
                Bind::Real(threshold.min_shortfall),
                Bind::Text(at),
                Bind::Text(actor),
            ],
        )
        .await?;
        self.log(
            "update",
            THRESHOLD_LOG_TYPE,
            Some(org_id),
            Some(serde_json::to_value(before.unwrap_or_default()).unwrap_or_default()),
            serde_json::to_value(threshold).ok(),
        )
        .await
    }
}
