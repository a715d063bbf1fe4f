//! What an incremental Kolada fetch needs to know of the stored values.

use std::collections::BTreeSet;

use uppsikt_domain::kolada::KpiId;

use crate::{Result, Store};

impl Store {
    /// The (KPI, municipality) pairs that have stored values, for the KPIs given: a pair
    /// without values must be fetched whole even when the KPI was fetched before (the
    /// municipality may have joined a comparison group since).
    pub async fn kolada_pairs(&self, kpis: &[KpiId]) -> Result<BTreeSet<(String, String)>> {
        let mut out = BTreeSet::new();
        for kpi in kpis {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT DISTINCT municipality FROM kolada_values WHERE kpi = $1")
                    .bind(kpi.as_str())
                    .fetch_all(&self.pool)
                    .await?;
            out.extend(rows.into_iter().map(|(m,)| (kpi.as_str().to_string(), m)));
        }
        Ok(out)
    }
}
