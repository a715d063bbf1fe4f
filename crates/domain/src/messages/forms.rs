//! Refusals at a form's field that belong to one form (the general field rules are at the
//! top of [`super`]).

/// A goal's analysis typed without the period it concerns.
pub const ANALYSIS_NEEDS_PERIOD: &str = "Ange vilken period analysen gäller, t.ex. 2019.";

/// Locking a period that the unit has already locked; `period` as shown (`label_sv`).
pub fn already_locked(period: &str) -> String {
    format!("Perioden {period} är redan låst för enheten.")
}

/// An outcome in percent outside 0–100.
pub const PERCENT_OUT_OF_RANGE: &str = "En andel i procent måste ligga mellan 0 och 100.";

pub const NEGATIVE_MARGIN: &str = "Felmarginalen kan inte vara negativ.";

#[cfg(test)]
mod tests {
    #[test]
    fn an_already_locked_period_is_named() {
        assert_eq!(
            super::already_locked("tertial 2 2019"),
            "Perioden tertial 2 2019 är redan låst för enheten."
        );
    }
}
