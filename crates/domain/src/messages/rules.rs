//! The assessment rules' form (`/regler`): what a controller is told when a tried or saved
//! setting cannot be used. Thresholds and the relative threshold are typed in percent.

/// A level's minimum share outside 0–100 %.
pub fn threshold_range(level: &str) -> String {
    format!("Gränsen för {level} ska vara mellan 0 och 100 %.")
}

/// A level's minimum share above the better level's.
pub fn threshold_order(level: &str, better: &str) -> String {
    format!(
        "Gränserna ska sjunka från bästa till sämsta nivå: gränsen för {level} får inte vara högre än gränsen för {better}."
    )
}

/// The weight of a commitment outside what the rules allow.
pub fn weight_range(max: f64) -> String {
    format!(
        "Vikten för ett åtagande ska vara mellan 0 och {} (1 = lika mycket som ett mått).",
        crate::number::format_sv(max, 0)
    )
}

/// The relative threshold outside what the rules allow.
pub fn relative_threshold_range(max_percent: f64) -> String {
    format!(
        "Den relativa tröskeln ska vara mellan 0 och {} %.",
        crate::number::format_sv(max_percent, 0)
    )
}

/// Saving without saying why.
pub const MOTIVATION_REQUIRED: &str =
    "Skriv varför reglerna ändras: motiveringen sparas med versionen.";

/// Saving settings equal to those that apply.
pub const UNCHANGED: &str =
    "Inställningarna är desamma som i den version som gäller. Ingen ny version har sparats.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_levels_and_end_in_a_full_stop() {
        assert!(threshold_order("God", "Mycket god").contains("God får inte"));
        assert!(threshold_range("Godtagbar").ends_with('.'));
        assert_eq!(
            relative_threshold_range(50.0),
            "Den relativa tröskeln ska vara mellan 0 och 50 %."
        );
        assert!(weight_range(10.0).contains("mellan 0 och 10"));
    }
}
