//! Deviations (avvikelser): refusals of their lifecycle and of the oversight's addresses.

use crate::deviation::LifecycleError;

/// Why the lifecycle refused a change to a deviation.
pub fn lifecycle(e: &LifecycleError) -> &'static str {
    match e {
        LifecycleError::AlreadyDecided => {
            "Avvikelsen har redan ett beslut. Ett beslut kan inte ändras här; registrera en ny avvikelse om läget har ändrats."
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
    }
}

/// A unit chosen in a form that another user has removed meanwhile.
pub const UNIT_GONE: &str = "Enheten finns inte längre. Välj en annan.";

/// The unit chooser sent without a unit.
pub const CHOOSE_UNIT: &str = "Välj en enhet.";

/// A drill-down (`concern=`) that is none of the oversight's figures.
pub fn unknown_concern(value: &str) -> String {
    format!("Okänt urval ”{value}”.")
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
        ];
        let mut seen = std::collections::HashSet::new();
        for e in &all {
            let m = lifecycle(e);
            assert!(m.ends_with('.') && m.len() > 20, "{e:?}: {m}");
            assert!(seen.insert(m), "{e:?} shares its message");
        }
    }
}
