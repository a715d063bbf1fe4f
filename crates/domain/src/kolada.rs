//! Kolada (RKA's open database of municipal key figures) as the domain sees it: KPI and
//! municipality ids, the gender split and one value. Where the values come from (the API,
//! saved files) is the importer's business; this module only says what a value is.

use std::fmt;

use serde::Serialize;

use crate::indicator::Breakdown;

/// What every page and report that shows Kolada data must say (Kolada's terms of use).
pub const ATTRIBUTION: &str = "Källa: Kolada (RKA)";

/// A Kolada KPI id: an upper-case letter followed by five digits, e.g. `N00901`, `U07414`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct KpiId(String);

impl KpiId {
    pub fn parse(input: &str) -> Option<KpiId> {
        let s = input.trim();
        let b = s.as_bytes();
        let valid =
            b.len() == 6 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
        valid.then(|| KpiId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KpiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Kolada municipality or region id: four digits, e.g. `0126` (Huddinge), `0001`
/// (Region Stockholm), `0000` (Riket).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MunicipalityId(String);

impl MunicipalityId {
    pub fn parse(input: &str) -> Option<MunicipalityId> {
        let s = input.trim();
        let valid = s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
        valid.then(|| MunicipalityId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MunicipalityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Kolada's gender split: `T` (totalt), `K` (kvinnor), `M` (män).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Gender {
    Total,
    Women,
    Men,
}

impl Gender {
    pub const ALL: [Gender; 3] = [Gender::Total, Gender::Women, Gender::Men];

    pub fn parse(code: &str) -> Option<Gender> {
        match code.trim() {
            "T" => Some(Gender::Total),
            "K" => Some(Gender::Women),
            "M" => Some(Gender::Men),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Gender::Total => "T",
            Gender::Women => "K",
            Gender::Men => "M",
        }
    }

    /// The outcome breakdown a Kolada value of this gender fills.
    pub fn breakdown(self) -> Breakdown {
        match self {
            Gender::Total => Breakdown::Total,
            Gender::Women => Breakdown::Women,
            Gender::Men => Breakdown::Men,
        }
    }
}

/// One Kolada value: a KPI for a municipality, year and gender. `value` is `None` where
/// Kolada publishes no figure (it is missing, never zero); `status` keeps Kolada's flag
/// as given (empty for a normal value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KoladaValue {
    pub kpi: KpiId,
    pub municipality: MunicipalityId,
    pub year: i32,
    pub gender: Gender,
    pub value: Option<f64>,
    pub status: String,
}

/// Which value a deletion removes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct KoladaKey {
    pub kpi: KpiId,
    pub municipality: MunicipalityId,
    pub year: i32,
    pub gender: Gender,
}

impl KoladaValue {
    pub fn key(&self) -> KoladaKey {
        KoladaKey {
            kpi: self.kpi.clone(),
            municipality: self.municipality.clone(),
            year: self.year,
            gender: self.gender,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_parsed_strictly() {
        assert_eq!(KpiId::parse(" N00901 ").unwrap().as_str(), "N00901");
        for bad in ["n00901", "N0090", "N009011", "NN0090", "", "N0090X"] {
            assert!(KpiId::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(MunicipalityId::parse("0126").unwrap().as_str(), "0126");
        for bad in ["126", "01260", "G0126", "01a6", ""] {
            assert!(MunicipalityId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn genders_fill_total_women_and_men() {
        assert_eq!(Gender::parse("T").unwrap().breakdown(), Breakdown::Total);
        assert_eq!(Gender::parse("K").unwrap().breakdown(), Breakdown::Women);
        assert_eq!(Gender::parse("M").unwrap().breakdown(), Breakdown::Men);
        assert_eq!(Gender::parse("F"), None);
        for g in Gender::ALL {
            assert_eq!(Gender::parse(g.code()), Some(g));
        }
    }
}
