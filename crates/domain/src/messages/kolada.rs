//! The Kolada page's answers: linking a comparison group, and groups that only Kolada
//! changes.

/// A group fetched from Kolada cannot be edited in uppsikt.
pub const GROUP_FROM_KOLADA: &str =
    "Koladas grupper ändras i Kolada och hämtas därifrån; de kan inte ändras här.";

/// The notice after linking a group to every linked indicator; `count` is the number of
/// indicators it was added to, as the address carries it.
pub fn group_linked(count: &str) -> String {
    match count {
        "0" => "Gruppen användes redan av alla kopplade mått.".to_string(),
        n => format!("Gruppen kopplades till {n} mått."),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn linking_to_no_indicator_says_they_all_had_it() {
        assert_eq!(
            super::group_linked("0"),
            "Gruppen användes redan av alla kopplade mått."
        );
        assert_eq!(super::group_linked("4"), "Gruppen kopplades till 4 mått.");
    }
}
