//! Swedish alphabetical order: a–z, then å, ä, ö (and æ, ø as ä, ö); accents fold onto
//! their base letter (é as e, ü as y), case is ignored until everything else is equal.

use std::cmp::Ordering;

fn primary(c: char) -> (u32, u32) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let letter = match lower {
        'å' => 'z' as u32 + 1,
        'ä' | 'æ' => 'z' as u32 + 2,
        'ö' | 'ø' => 'z' as u32 + 3,
        'á' | 'à' | 'â' | 'ã' => 'a' as u32,
        'é' | 'è' | 'ê' | 'ë' => 'e' as u32,
        'í' | 'ì' | 'î' | 'ï' => 'i' as u32,
        'ó' | 'ò' | 'ô' | 'õ' => 'o' as u32,
        'ú' | 'ù' | 'û' => 'u' as u32,
        'ü' | 'ý' | 'ÿ' => 'y' as u32,
        'ç' => 'c' as u32,
        'ñ' => 'n' as u32,
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
