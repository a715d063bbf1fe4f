//! Finding goals, indicators, commitments and deviations by words, the Swedish way: a
//! query and a text match when their words share a stem (Snowball's Swedish stemmer, so
//! "trygghet" finds "Trygg utomhus" and "skolor" finds "skola"), after case and accents
//! are folded as Swedish sorting folds them (`collate::fold`: å, ä, ö stay letters).
//!
//! Pure: the caller gives the texts (already filtered to what the viewer may see) and
//! gets scores; ties are broken in Swedish alphabetical order by the caller.

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use crate::collate::fold;

/// The longest query accepted, in bytes (UTF-8).
pub const QUERY_MAX_BYTES: usize = 200;
/// At most this many words of a query are used.
pub const QUERY_MAX_WORDS: usize = 8;
/// At most this many results of each kind are shown.
pub const RESULTS_MAX: usize = 50;

/// Why a query cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing to search for (no letters or digits).
    Empty,
    /// Longer than [`QUERY_MAX_BYTES`].
    TooLong { bytes: usize },
    /// More words than [`QUERY_MAX_WORDS`].
    TooManyWords { words: usize },
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::Swedish))
}

/// The words of `text`, folded and stemmed.
pub fn stems(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let folded: String = w.chars().map(fold).collect();
            stemmer().stem(&folded).into_owned()
        })
        .collect()
}

/// A parsed query: its stems, each to be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    stems: Vec<String>,
}

impl Query {
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        if input.len() > QUERY_MAX_BYTES {
            return Err(QueryError::TooLong { bytes: input.len() });
        }
        let mut stems = stems(input);
        let words = stems.len();
        if words > QUERY_MAX_WORDS {
            return Err(QueryError::TooManyWords { words });
        }
        stems.sort();
        stems.dedup();
        if stems.is_empty() {
            return Err(QueryError::Empty);
        }
        Ok(Query { stems })
    }

    /// How well a title and a longer text match, `None` when some word of the query is
    /// in neither. A word found in the title counts three times one found only in the
    /// text; a whole stem counts twice a stem that only begins a word (a word being typed).
    pub fn score(&self, title: &str, text: &str) -> Option<u32> {
        let title = stems(title);
        let text = stems(text);
        let mut total = 0;
        for q in &self.stems {
            let best = |words: &[String]| {
                words
                    .iter()
                    .map(|w| {
                        if w == q {
                            2
                        } else if q.chars().count() >= 3 && w.starts_with(q.as_str()) {
                            1
                        } else {
                            0
                        }
                    })
                    .max()
                    .unwrap_or(0)
            };
            let found = 3 * best(&title) + best(&text);
            if found == 0 {
                return None;
            }
            total += found;
        }
        Some(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn finds(q: &str, title: &str) -> bool {
        Query::parse(q).unwrap().score(title, "").is_some()
    }

    #[test]
    fn swedish_word_forms_find_each_other() {
        assert!(finds("trygghet", "Trygg utomhus"));
        assert!(finds("Trygg", "Tryggheten i skolan"));
        assert!(finds("skolor", "Andel elever i skolan"));
        assert!(finds("ÄLDREOMSORGEN", "Nöjdhet med äldreomsorg"));
        assert!(finds("miljö", "Miljön i Huddinge"));
        assert!(!finds("trygghet", "Trafik i kommunen"));
        // Å, ä and ö are letters of their own, not accents on a and o.
        assert!(!finds("ar", "år"));
        assert!(finds("café", "Cafe i centrum"));
    }

    #[test]
    fn every_word_must_be_found_and_titles_weigh_more() {
        let q = Query::parse("trygg skola").unwrap();
        assert_eq!(q.score("Trygg utomhus", ""), None);
        let in_title = q.score("Trygg skola", "").unwrap();
        let in_text = q.score("Utbildning", "trygg skola för alla").unwrap();
        assert!(in_title > in_text);
        // A word being typed: its beginning finds it, less than the whole word.
        let q = Query::parse("utom").unwrap();
        assert!(q.score("Trygg utomhus", "").is_some());
    }

    #[test]
    fn queries_are_limited_in_bytes_and_words() {
        assert_eq!(Query::parse("  –  "), Err(QueryError::Empty));
        assert_eq!(Query::parse(""), Err(QueryError::Empty));
        let long = "ö".repeat(101);
        assert_eq!(Query::parse(&long), Err(QueryError::TooLong { bytes: 202 }));
        assert!(matches!(
            Query::parse("a b c d e f g h i"),
            Err(QueryError::TooManyWords { words: 9 })
        ));
    }

    proptest! {
        #[test]
        fn any_text_finds_itself_and_never_panics(text in "\\PC{0,80}") {
            if let Ok(q) = Query::parse(&text) {
                prop_assert!(q.score(&text, "").is_some());
            }
        }

        #[test]
        fn case_never_matters(word in "[a-zåäöé]{1,12}") {
            let upper = word.to_uppercase();
            prop_assert_eq!(stems(&word), stems(&upper));
        }
    }
}
