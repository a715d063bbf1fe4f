//! Answers to requests that cannot be served: addresses that lead nowhere, bodies that are
//! too large, and our own failures. The web's error page and the API's JSON show them.

/// An address that matches no page.
pub const NO_SUCH_PAGE: &str = "Sidan finns inte. Den kan ha tagits bort eller så är adressen fel.";

/// An address whose object (goal, indicator, report, …) is not stored.
pub const NO_SUCH_OBJECT: &str =
    "Det du söker finns inte. Det kan ha tagits bort eller så är adressen fel.";

/// The public asked for a period that no board has decided yet.
pub const NOT_PUBLISHED: &str = "Här visas bara det som nämnden har beslutat, och för den här perioden finns inget beslut ännu. Logga in för att se arbetsmaterialet.";

/// A failure of ours; the details are logged, never shown.
pub const INTERNAL: &str =
    "Något gick fel hos oss. Försök igen om en stund; inget av det du skrev har sparats.";

/// A body the framework refused as too large.
pub const TOO_LARGE: &str = "Det du skickade är för stort. Inget har sparats.";

/// A form body over the limit of every POST that is not a file upload.
pub fn form_too_large(max_mb: usize) -> String {
    format!("Det du skickade är för stort (högst {max_mb} MB). Inget har sparats.")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_form_limit_is_named_in_megabytes() {
        assert_eq!(
            super::form_too_large(1),
            "Det du skickade är för stort (högst 1 MB). Inget har sparats."
        );
    }
}
