//! Swedish alphabetical order: a–z, then å, ä, ö (and æ, ø as ä, ö); accents fold onto
//! their base letter (é as e, ü as y), case is ignored until everything else is equal.

use std::cmp::Ordering;

/// A letter as Swedish reads it: lower case, accents folded onto their base letter (é as
/// e, ü as y), æ and ø as ä and ö; å, ä and ö stay letters of their own. Search folds
/// words with it, so that what sorts alike is found alike.
pub fn fold(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'æ' => 'ä',
        'ø' => 'ö',
        'á' | 'à' | 'â' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' => 'o',
        'ú' | 'ù' | 'û' => 'u',
        'ü' | 'ý' | 'ÿ' => 'y',
        'ç' => 'c',
        'ñ' => 'n',
        other => other,
    }
}

fn primary(c: char) -> (u32, u32) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let letter = match fold(c) {
        'å' => 'z' as u32 + 1,
        'ä' => 'z' as u32 + 2,
        'ö' => 'z' as u32 + 3,
        other => other as u32,
    };
    (letter, lower as u32)
}

/// Compares two strings in Swedish alphabetical order.
pub fn swedish_cmp(a: &str, b: &str) -> Ordering {
    let key = |s: &str| s.chars().map(primary).collect::<Vec<_>>();
    let (ka, kb) = (key(a), key(b));
    let letters = |k: &[(u32, u32)]| k.iter().map(|p| p.0).collect::<Vec<_>>();
    letters(&ka)
        .cmp(&letters(&kb))
        .then_with(|| ka.cmp(&kb))
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_a_swedish_dictionary() {
        let mut names = vec![
            "Ängsvägen",
            "Vårby",
            "Östberga",
            "Alby",
            "Åby",
            "Visättra",
            "Gladö-Lissma",
            "Zinkensdamm",
            "émile",
            "Ödeshög",
            "Ärla",
        ];
        names.sort_by(|a, b| swedish_cmp(a, b));
        assert_eq!(
            names,
            vec![
                "Alby",
                "émile",
                "Gladö-Lissma",
                "Visättra",
                "Vårby",
                "Zinkensdamm",
                "Åby",
                "Ängsvägen",
                "Ärla",
                "Ödeshög",
                "Östberga"
            ]
        );
    }

    #[test]
    fn case_only_breaks_ties() {
        assert!(swedish_cmp("skogås", "Skogås").is_ne());
        assert_eq!(swedish_cmp("Skogås", "skogåsa"), Ordering::Less);
    }
}
