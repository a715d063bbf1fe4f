//! Deviations (avvikelser): refusals of their lifecycle and of the oversight's addresses.

use crate::deviation::LifecycleError;

/// Why the lifecycle refused a change to a deviation.
pub fn lifecycle(e: &LifecycleError) -> &'static str {
    match e {
        LifecycleError::AlreadyDecided => {
            "Avvikelsen har redan ett beslut. Ett registrerat beslut ändras med ”Rätta beslutet” på avvikelsens sida, med skäl till rättelsen."
        }
        LifecycleError::MotivationRequired => {
            "Skriv varför avvikelsen inte ska åtgärdas. Ett beslut att inte åtgärda måste motiveras."
        }
        LifecycleError::NoDecisionToAct => {
            "Åtgärder kan bara läggas till när det finns ett beslut att åtgärda avvikelsen."
        }
        LifecycleError::NoSuchAction(_) => "Åtgärden finns inte. Den kan ha tagits bort.",
        LifecycleError::Transition(..) => {
            "Åtgärden kan inte få den statusen nu: planerad → pågår → genomförd, eller avbruten."
        }
        LifecycleError::NothingToCorrect => {
            "Avvikelsen har inget beslut att rätta. Registrera beslutet i stället."
        }
        LifecycleError::ReasonRequired => {
            "Skriv skälet till rättelsen. Det visas bredvid det ursprungliga beslutet."
        }
        LifecycleError::CorrectionUnchanged => {
            "Rättelsen är likadan som beslutet som gäller. Ändra det som var fel."
        }
        LifecycleError::ActionsStand => {
            "Beslutet kan inte rättas till att inte åtgärda medan avvikelsen har åtgärder som inte är avbrutna. Avbryt dem först, med en kommentar."
        }
    }
}

/// A unit chosen in a form that another user has removed meanwhile.
pub const UNIT_GONE: &str = "Enheten finns inte längre. Välj en annan.";

/// An action's due date already past when it is saved: it would be overdue at once.
pub const DUE_PASSED: &str = "Förfallodatumet har redan passerat; åtgärden blir försenad direkt. Ändra datumet, eller kryssa i ”Spara ändå” om det är rätt.";

/// The unit chooser sent without a unit.
pub const CHOOSE_UNIT: &str = "Välj en enhet.";

/// A drill-down (`concern=`) that is none of the oversight's figures.
pub fn unknown_concern(value: &str) -> String {
    format!("Okänt urval ”{value}”.")
}

/// A board's threshold: a shortfall outside 0–100 %.
pub const SHORTFALL_RANGE: &str = "Ange en andel mellan 0 och 100 procent, t.ex. 5 eller 2,5.";

/// A decision on several deviations with none marked.
pub const NONE_MARKED: &str = "Markera minst en avvikelse som beslutet gäller.";

/// A decision on several deviations with more marked than one decision may cover.
pub fn too_many_marked(marked: usize, max: usize) -> String {
    format!("Högst {max} avvikelser kan beslutas på en gång; {marked} är markerade. Besluta i flera omgångar.")
}

/// A marked value that is no deviation's number (a crafted form).
pub fn not_a_deviation(value: &str) -> String {
    format!("”{value}” är inte ett avvikelsenummer.")
}

/// Why a decision on several deviations decided none: the marked ones that cannot be
/// decided here, by number (already decided, not the viewer's or this board's, or gone).
pub fn bulk_refused(decided: &[i64], out_of_scope: &[i64], missing: &[i64]) -> String {
    let numbers = |ids: &[i64]| {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        match ids.split_last() {
            Some((last, [])) => format!("Avvikelse {last}"),
            Some((last, rest)) => format!("Avvikelserna {} och {last}", rest.join(", ")),
            None => String::new(),
        }
    };
    let mut parts = vec!["Inget beslut sparades.".to_string()];
    if !decided.is_empty() {
        parts.push(format!("{} har redan ett beslut.", numbers(decided)));
    }
    if !out_of_scope.is_empty() {
        parts.push(format!(
            "{} hör inte till nämnden eller till de enheter du får ändra.",
            numbers(out_of_scope)
        ));
    }
    if !missing.is_empty() {
        parts.push(format!("{} finns inte.", numbers(missing)));
    }
    parts.push("Avmarkera dem och försök igen.".into());
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deviation::ActionState;

    #[test]
    fn every_lifecycle_refusal_is_a_swedish_sentence() {
        let all = [
            LifecycleError::AlreadyDecided,
            LifecycleError::MotivationRequired,
            LifecycleError::NoDecisionToAct,
            LifecycleError::NoSuchAction(3),
            LifecycleError::Transition(ActionState::Done, ActionState::Planned),
            LifecycleError::NothingToCorrect,
            LifecycleError::ReasonRequired,
            LifecycleError::CorrectionUnchanged,
            LifecycleError::ActionsStand,
        ];
        let mut seen = std::collections::HashSet::new();
        for e in &all {
            let m = lifecycle(e);
            assert!(m.ends_with('.') && m.len() > 20, "{e:?}: {m}");
            assert!(seen.insert(m), "{e:?} shares its message");
        }
    }

    #[test]
    fn a_refused_bulk_decision_names_the_deviations() {
        assert_eq!(
            bulk_refused(&[3, 7, 9], &[], &[12]),
            "Inget beslut sparades. Avvikelserna 3, 7 och 9 har redan ett beslut. Avvikelse 12 finns inte. Avmarkera dem och försök igen."
        );
        assert!(bulk_refused(&[], &[5], &[]).contains("Avvikelse 5 hör inte till nämnden"));
    }
}
