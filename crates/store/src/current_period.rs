//! Each unit's current period (`current_periods`): chosen by a controller, else the
//! nearest choice above the unit, else its latest decided period
//! (`uppsikt_domain::current_period`). Read wherever a view starts without a period;
//! written through the [`Writer`] and logged in the unit's history.

use std::collections::HashMap;

use uppsikt_domain::current_period::{current_period, CurrentPeriod};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;

use crate::write::{Bind, Writer};
use crate::{Result, Store, StoreError};

/// The change log's object type of a unit's chosen current period (logged under the
/// unit's id).
pub const CURRENT_PERIOD_LOG_TYPE: &str = "current_period";

fn parse(period: &str) -> Result<Period> {
    Period::parse(period).map_err(|_| StoreError::Corrupt(format!("current period {period}")))
}

impl Store {
    /// Every unit's own choice of current period.
    pub async fn chosen_current_periods(&self) -> Result<HashMap<Id, Period>> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT org_id, period FROM current_periods")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(org, period)| -> Result<(Id, Period)> { Ok((org, parse(&period)?)) })
            .collect()
    }

    /// The unit's current period and where it comes from (`None`: nothing chosen on the
    /// way to the root and nothing decided).
    pub async fn current_period(&self, org_id: Id) -> Result<Option<CurrentPeriod>> {
        let chosen = self.chosen_current_periods().await?;
        let decisions = self.decisions().await?;
        Ok(current_period(&chosen, &decisions, org_id))
    }
}

impl Writer {
    /// Chooses the unit's current period (`None`: removes its own choice, so it takes the
    /// choice above it or the latest decided period again); logged with the choice before
    /// and after. Choosing what is already chosen writes nothing.
    pub async fn set_current_period(&mut self, org_id: Id, period: Option<Period>) -> Result<()> {
        // Not found unless the unit exists.
        self.org_chain(org_id).await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT period FROM current_periods WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let before = before.as_deref().map(parse).transpose()?;
        if before == period {
            return Ok(());
        }
        match period {
            Some(p) => {
                let (at, actor) = (self.time().to_string(), self.actor().to_string());
                self.execute(
                    "INSERT INTO current_periods (org_id, period, saved_at, saved_by) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id) DO UPDATE SET period = excluded.period, \
                     saved_at = excluded.saved_at, saved_by = excluded.saved_by",
                    vec![
                        Bind::Int(org_id),
                        Bind::Text(p.to_string()),
                        Bind::Text(at),
                        Bind::Text(actor),
                    ],
                )
                .await?;
            }
            None => {
                self.execute(
                    "DELETE FROM current_periods WHERE org_id = $1",
                    vec![Bind::Int(org_id)],
                )
                .await?;
            }
        }
        let json = |p: Option<Period>| serde_json::json!({ "period": p.map(|p| p.to_string()) });
        self.log(
            "update",
            CURRENT_PERIOD_LOG_TYPE,
            Some(org_id),
            Some(json(before)),
            Some(json(period)),
        )
        .await
    }
}
