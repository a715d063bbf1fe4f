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
