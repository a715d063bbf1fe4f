//! The follow-up views come from `uppsikt_report::followup`, shared with the reports; this
//! module adds what only the web needs.

use uppsikt_domain::Period;
pub use uppsikt_report::followup::*;

use crate::error::Result;

/// Parses an optional `?period=` value; an invalid one is a clear 400, not a silent default.
pub fn period_param(raw: Option<&str>) -> Result<Option<Period>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Period::parse(s)
            .map(Some)
            .map_err(|e| crate::AppError::BadRequest(uppsikt_domain::messages::period(&e))),
    }
}

/// An indicator with its data as `audience` may see it; one the public may not see is
/// not published.
pub async fn indicator(
    store: &uppsikt_store::Store,
    id: uppsikt_domain::model::Id,
    audience: &uppsikt_domain::publication::Audience,
) -> Result<uppsikt_domain::model::IndicatorRecord> {
    let record = store.indicator_record(id).await?;
    let org = store.owning_unit("indicator", id).await?;
    let record = audience.indicator(org, record);
    if !audience.sees_indicator(&record) {
        return Err(crate::AppError::NotPublished);
    }
    Ok(record)
}
