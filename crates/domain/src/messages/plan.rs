//! The plan's (verksamhetsplanens) refusals: a decided plan, a second decision, a
//! roll-over that has nothing to roll from.

use crate::plan::PlanDecision;

/// A change to what a decided plan covers.
pub fn plan_decided(d: &PlanDecision) -> String {
    format!(
        "Verksamhetsplanen för {} är beslutad: {}. Årets etappmål, målvärden och utvecklingsåtaganden kan inte ändras. En controller kan öppna planen igen med en motivering; det loggas.",
        d.year,
        super::decision_reference(&d.as_reference())
    )
}

/// A second decision on the same plan.
pub fn plan_already_decided(year: i32) -> String {
    format!("Verksamhetsplanen för {year} är redan beslutad för enheten.")
}

/// Reopening a plan that has no decision.
pub fn plan_not_decided(year: i32) -> String {
    format!("Verksamhetsplanen för {year} är inte beslutad, så det finns inget att öppna.")
}

/// A year outside what a plan can be made for.
pub fn plan_year(raw: &str) -> String {
    format!("”{raw}” är inget år för en verksamhetsplan. Ange ett år mellan 1900 och 2200.")
}

/// A milestone row of the roll-over form that did not parse: the indicator is named, so
/// the summary says which row.
pub fn milestone_row(indicator: &str, message: &str) -> String {
    format!("{indicator}: {message}")
}

/// Only a board, committee or company (a unit that sets goals) has a plan.
pub const NOT_A_PLANNING_UNIT: &str =
    "Enheten har inga egna mål, så den har ingen egen verksamhetsplan.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decided_plan_is_named_with_its_decision() {
        let d = PlanDecision {
            org_id: 1,
            year: 2020,
            body: "Kommunstyrelsen".into(),
            decided_on: "2019-12-09".into(),
            paragraph: "§ 200".into(),
            diary_number: "KS-2019/1".into(),
            decided_by: "c".into(),
            decided_at: String::new(),
        };
        let m = plan_decided(&d);
        assert!(
            m.starts_with("Verksamhetsplanen för 2020 är beslutad: Kommunstyrelsen 2019-12-09, § 200, dnr KS-2019/1."),
            "{m}"
        );
    }
}
