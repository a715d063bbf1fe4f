//! What each column of an outcome table means ([`Field`]) and which column holds which
//! field ([`Mapping`]), guessed from the headings in Swedish or English.

use serde::{Deserialize, Serialize};

/// A piece of an outcome that a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The indicator (mått): its key or its exact name.
    Indicator,
    Period,
    /// Totalt, Kvinnor, Män, Flickor, Pojkar or an area; empty means Totalt.
    Breakdown,
    Value,
    /// Margin of error (±), optional.
    Margin,
    /// Number of respondents (antal svarande), optional.
    SampleSize,
}

impl Field {
    /// In the order of the template's columns.
    pub const ALL: [Field; 6] = [
        Field::Indicator,
        Field::Period,
        Field::Breakdown,
        Field::Value,
        Field::Margin,
        Field::SampleSize,
    ];

    /// A stable name for form fields and the command line (`indicator`, `sample_size` …).
    pub fn code(self) -> &'static str {
        match self {
            Field::Indicator => "indicator",
            Field::Period => "period",
            Field::Breakdown => "breakdown",
            Field::Value => "value",
            Field::Margin => "margin",
            Field::SampleSize => "sample_size",
        }
    }

    /// The Swedish name, also the template's heading.
    pub fn label_sv(self) -> &'static str {
        match self {
            Field::Indicator => "Mått",
            Field::Period => "Period",
            Field::Breakdown => "Uppdelning",
            Field::Value => "Värde",
            Field::Margin => "Felmarginal",
            Field::SampleSize => "Antal svarande",
        }
    }

    /// What the column should hold, in Swedish (for the mapping page and the template).
    pub fn hint_sv(self) -> &'static str {
        match self {
            Field::Indicator => {
                "Måttets nyckel (t.ex. kf-trygg-utomhus) eller dess namn, exakt som i uppsikt."
            }
            Field::Period => "År (2019), tertial (2019T2), månad (2019-03) eller vecka (2019W07).",
            Field::Breakdown => {
                "Totalt, Kvinnor, Män, Flickor, Pojkar eller Område: NAMN. Tomt betyder Totalt."
            }
            Field::Value => {
                "Utfallet, t.ex. 88,7. Andelar i procent skrivs som procent (70, inte 0,70)."
            }
            Field::Margin => "Valfritt: felmarginal (±) i samma enhet som värdet.",
            Field::SampleSize => "Valfritt: antal svarande, ett heltal.",
        }
    }

    /// Whether every row must have it (and the mapping must choose a column for it).
    pub fn required(self) -> bool {
        matches!(self, Field::Indicator | Field::Period | Field::Value)
    }

    /// The field a user names on the command line (`värde`, `Antal svarande`,
    /// `sample_size`, `value` …): its code, its label or any heading [`Mapping::guess`]
    /// knows for it.
    pub fn parse(name: &str) -> Option<Field> {
        let n = normalise(name);
        Field::ALL.into_iter().find(|f| {
            normalise(f.code()) == n
                || normalise(f.label_sv()) == n
                || f.headings().iter().any(|h| normalise(h) == n)
        })
    }

    /// Headings that mean this field, in Swedish and English; compared normalised.
    fn headings(self) -> &'static [&'static str] {
        match self {
            Field::Indicator => &[
                "mått",
                "indikator",
                "nyckeltal",
                "mått (nyckel)",
                "måttets nyckel",
                "nyckel",
                "mått nyckel",
                "måttnamn",
                "indicator",
                "measure",
                "kpi",
                "key",
            ],
            Field::Period => &["period", "år", "tidsperiod", "tid", "year"],
            Field::Breakdown => &[
                "uppdelning",
                "kön",
                "grupp",
                "område",
                "kommundel",
                "breakdown",
                "group",
                "gender",
                "sex",
                "area",
            ],
            Field::Value => &["värde", "utfall", "resultat", "value", "outcome"],
            Field::Margin => &[
                "felmarginal",
                "felmarginal (±)",
                "marginal",
                "±",
                "margin",
                "margin of error",
            ],
            Field::SampleSize => &[
                "antal svarande",
                "svarande",
                "antal svar",
                "urvalsstorlek",
                "sample size",
                "respondents",
                "n",
            ],
        }
    }
}

/// A heading as compared: lower case, å ä → a, ö → o, é → e, only letters, digits and
/// single spaces (so `Felmarginal (±)` is `felmarginal`, `ANTAL  SVARANDE` is `antal
/// svarande`), except that a heading of only `±` stays `±`.
pub(crate) fn normalise(s: &str) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'å' | 'ä' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            c => c,
        };
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    if out.is_empty() && s.trim() == "±" {
        return "±".into();
    }
    out
}

/// Which column (0-based index into [`crate::table::Table::headers`]) holds each field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    columns: [Option<usize>; 6],
}

impl Mapping {
    /// Each field gets the first column whose heading is one of the field's names
    /// (`Mått`/`Indikator`/`Nyckeltal`, `Period`/`År`, `Uppdelning`/`Kön`,
    /// `Värde`/`Utfall`, `Felmarginal`, `Antal svarande` and English ones), compared
    /// without regard to case, spaces, punctuation or å ä ö. A column serves one field.
    pub fn guess(headers: &[String]) -> Mapping {
        let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        let mut m = Mapping::default();
        for f in Field::ALL {
            let names: Vec<String> = f.headings().iter().map(|h| normalise(h)).collect();
            let found = normalised.iter().enumerate().position(|(i, h)| {
                !h.is_empty() && names.contains(h) && !m.columns.contains(&Some(i))
            });
            m.set(f, found);
        }
        m
    }

    pub fn get(&self, f: Field) -> Option<usize> {
        self.columns[f as usize]
    }

    pub fn set(&mut self, f: Field, col: Option<usize>) {
        self.columns[f as usize] = col;
    }

    /// The required fields that have no column.
    pub fn missing(&self) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|f| f.required() && self.get(*f).is_none())
            .collect()
    }

    /// The columns no field uses: they are not imported (the preview lists them).
    pub fn ignored(&self, column_count: usize) -> Vec<usize> {
        (0..column_count)
            .filter(|c| !self.columns.contains(&Some(*c)))
            .collect()
    }

    /// The fields with a column, in [`Field::ALL`] order.
    pub fn mapped(&self) -> impl Iterator<Item = (Field, usize)> + '_ {
        Field::ALL
            .into_iter()
            .filter_map(|f| self.get(f).map(|c| (f, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn guesses_swedish_and_english_headings_whatever_their_case_and_accents() {
        let m = Mapping::guess(&headers(&[
            "  INDIKATOR ",
            "År",
            "Kön",
            "Utfall",
            "Felmarginal (±)",
            "Antal  svarande",
        ]));
        for (i, f) in Field::ALL.into_iter().enumerate() {
            assert_eq!(m.get(f), Some(i), "{f:?}");
        }
        let m = Mapping::guess(&headers(&["value", "indicator", "year", "Matt", "varde"]));
        assert_eq!(m.get(Field::Value), Some(0));
        assert_eq!(m.get(Field::Indicator), Some(1));
        assert_eq!(m.get(Field::Period), Some(2));
        assert_eq!(m.get(Field::Breakdown), None);
        assert_eq!(m.ignored(5), vec![3, 4]);
        assert!(m.missing().is_empty());
    }

    #[test]
    fn unknown_headings_map_nothing_and_the_required_fields_are_missing() {
        let m = Mapping::guess(&headers(&["Kommentar", "Enhet", ""]));
        assert_eq!(m.mapped().count(), 0);
        assert_eq!(
            m.missing(),
            vec![Field::Indicator, Field::Period, Field::Value]
        );
        assert_eq!(m.ignored(3), vec![0, 1, 2]);
    }

    #[test]
    fn a_column_serves_one_field_and_the_user_can_change_the_mapping() {
        let mut m = Mapping::guess(&headers(&["Mått", "Mått", "Värde"]));
        assert_eq!(m.get(Field::Indicator), Some(0));
        m.set(Field::Indicator, Some(1));
        m.set(Field::Period, Some(0));
        assert_eq!(m.get(Field::Indicator), Some(1));
        assert_eq!(m.get(Field::Period), Some(0));
        m.set(Field::Value, None);
        assert_eq!(m.missing(), vec![Field::Value]);
    }

    #[test]
    fn fields_are_named_by_code_label_or_heading() {
        assert_eq!(Field::parse("värde"), Some(Field::Value));
        assert_eq!(Field::parse("VARDE"), Some(Field::Value));
        assert_eq!(Field::parse("sample_size"), Some(Field::SampleSize));
        assert_eq!(Field::parse("Antal svarande"), Some(Field::SampleSize));
        assert_eq!(Field::parse("kön"), Some(Field::Breakdown));
        assert_eq!(Field::parse("±"), Some(Field::Margin));
        assert_eq!(Field::parse("kommentar"), None);
        for f in Field::ALL {
            assert_eq!(Field::parse(f.code()), Some(f));
            assert_eq!(Field::parse(f.label_sv()), Some(f));
        }
    }

    #[test]
    fn normalising_folds_case_accents_punctuation_and_spaces() {
        assert_eq!(normalise(" Måttets  NYCKEL: "), "mattets nyckel");
        assert_eq!(normalise("Felmarginal (±)"), "felmarginal");
        assert_eq!(normalise("Kön"), "kon");
        assert_eq!(normalise("±"), "±");
        assert_eq!(normalise(""), "");
    }
}
