//! Kolada (RKA's open database of municipal key figures) as the domain sees it: KPI and
//! municipality ids, the gender split and one value, and how Kolada's values of our
//! municipality reconcile with a linked indicator's stored outcomes ([`reconcile`]).
//! Where the values come from (the API, saved files) is the importer's business.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::indicator::{Breakdown, Outcome};
use crate::period::Period;

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

/// Values within this distance are equal (as in the domain's comparators).
const EPS: f64 = 1e-9;

/// A linked indicator's stored outcome, as the reconciliation with Kolada sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOutcome {
    pub period: Period,
    pub breakdown: Breakdown,
    pub value: f64,
    /// Filled from (or confirmed by) Kolada, rather than typed or imported from a file.
    pub from_kolada: bool,
}

/// One of our municipality's values of the indicator's KPI, as fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedValue {
    pub year: i32,
    pub gender: Gender,
    /// `None`: Kolada publishes no figure (missing, never 0).
    pub value: Option<f64>,
}

/// One step that brings a linked indicator's outcomes in line with Kolada.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncStep {
    /// Kolada has a value that is not stored, or another one than stored: set it (its
    /// source becomes Kolada; margin and sample size none).
    Replace(Outcome),
    /// A typed outcome has Kolada's value: mark it as Kolada's (value, margin and sample
    /// size stay), so that pages name the source.
    Confirm(Period, Breakdown),
    /// An outcome filled from Kolada that Kolada no longer has: remove it.
    Withdraw(Period, Breakdown),
}

/// What reconciling one linked indicator with Kolada's values takes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncPlan {
    /// In order: replacements and confirmations by period and breakdown, then withdrawals.
    pub steps: Vec<SyncStep>,
    /// Outcomes already with Kolada's value (confirmed ones included).
    pub unchanged: usize,
}

/// The rule for filling a linked indicator's outcomes from Kolada: Kolada's yearly values
/// (T/K/M → total/women/men; missing values are no values) replace different stored ones
/// and confirm equal typed ones; an outcome Kolada filled is withdrawn when Kolada has no
/// value for it any more. Outcomes of other periods (tertials, months, weeks) and other
/// breakdowns (districts) are not Kolada's and are left alone, typed yearly outcomes that
/// Kolada lacks too.
pub fn reconcile(stored: &[StoredOutcome], fetched: &[FetchedValue]) -> SyncPlan {
    let key = |p: Period, b: &Breakdown| (p, b.code());
    let mut wanted: BTreeMap<(Period, String), (Breakdown, f64)> = BTreeMap::new();
    for f in fetched {
        let (Some(value), Ok(period)) = (f.value, Period::parse(&f.year.to_string())) else {
            continue;
        };
        let breakdown = f.gender.breakdown();
        wanted.insert(key(period, &breakdown), (breakdown, value));
    }
    let stored: BTreeMap<(Period, String), &StoredOutcome> = stored
        .iter()
        .filter(|o| matches!(o.period, Period::Year(_)) && is_kolada_breakdown(&o.breakdown))
        .map(|o| (key(o.period, &o.breakdown), o))
        .collect();
    let mut plan = SyncPlan::default();
    for ((period, code), (breakdown, value)) in &wanted {
        match stored.get(&(*period, code.clone())) {
            Some(o) if (o.value - value).abs() <= EPS => {
                plan.unchanged += 1;
                if !o.from_kolada {
                    plan.steps
                        .push(SyncStep::Confirm(*period, breakdown.clone()));
                }
            }
            _ => plan.steps.push(SyncStep::Replace(Outcome {
                period: *period,
                breakdown: breakdown.clone(),
                value: *value,
                margin: None,
                sample_size: None,
            })),
        }
    }
    for (k, o) in &stored {
        if o.from_kolada && !wanted.contains_key(k) {
            plan.steps
                .push(SyncStep::Withdraw(o.period, o.breakdown.clone()));
        }
    }
    plan
}

/// Whether Kolada's gender split fills this breakdown (total, women, men).
fn is_kolada_breakdown(b: &Breakdown) -> bool {
    Gender::ALL.iter().any(|g| g.breakdown() == *b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    fn stored(period: &str, breakdown: Breakdown, value: f64, from_kolada: bool) -> StoredOutcome {
        StoredOutcome {
            period: Period::parse(period).unwrap(),
            breakdown,
            value,
            from_kolada,
        }
    }

    fn fetched(year: i32, gender: Gender, value: Option<f64>) -> FetchedValue {
        FetchedValue {
            year,
            gender,
            value,
        }
    }

    fn year(y: i32) -> Period {
        Period::Year(y)
    }

    #[test]
    fn kolada_replaces_different_values_and_fills_missing_ones() {
        let plan = reconcile(
            &[stored("2019", Breakdown::Total, 19.0, false)],
            &[
                fetched(2019, Gender::Total, Some(19.87)),
                fetched(2020, Gender::Women, Some(21.5)),
            ],
        );
        let replaced: Vec<(Period, Breakdown, f64)> = plan
            .steps
            .iter()
            .map(|s| match s {
                SyncStep::Replace(o) => (o.period, o.breakdown.clone(), o.value),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            replaced,
            vec![
                (year(2019), Breakdown::Total, 19.87),
                (year(2020), Breakdown::Women, 21.5)
            ]
        );
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn an_equal_typed_value_is_confirmed_and_an_equal_kolada_value_left_alone() {
        let plan = reconcile(
            &[
                stored("2019", Breakdown::Total, 19.87, false),
                stored("2019", Breakdown::Men, 18.0, true),
            ],
            &[
                fetched(2019, Gender::Total, Some(19.87 + 1e-12)),
                fetched(2019, Gender::Men, Some(18.0)),
            ],
        );
        assert_eq!(
            plan.steps,
            vec![SyncStep::Confirm(year(2019), Breakdown::Total)]
        );
        assert_eq!(plan.unchanged, 2);
    }

    #[test]
    fn only_what_kolada_filled_is_withdrawn_when_kolada_has_no_value() {
        let plan = reconcile(
            &[
                stored("2018", Breakdown::Total, 17.0, true),
                stored("2018", Breakdown::Women, 16.0, false),
                stored("2018T2", Breakdown::Total, 5.0, true),
                stored("2018", Breakdown::Area("Vårby".into()), 3.0, true),
            ],
            &[
                fetched(2018, Gender::Total, None),
                fetched(2018, Gender::Women, None),
            ],
        );
        assert_eq!(
            plan.steps,
            vec![SyncStep::Withdraw(year(2018), Breakdown::Total)],
            "typed values, tertials and districts are not Kolada's to withdraw"
        );
    }

    #[test]
    fn steps_come_by_period_and_breakdown_then_withdrawals() {
        let plan = reconcile(
            &[stored("2017", Breakdown::Total, 1.0, true)],
            &[
                fetched(2020, Gender::Total, Some(2.0)),
                fetched(2019, Gender::Women, Some(3.0)),
                fetched(2019, Gender::Men, Some(4.0)),
            ],
        );
        let order: Vec<String> = plan
            .steps
            .iter()
            .map(|s| match s {
                SyncStep::Replace(o) => format!("set {} {}", o.period, o.breakdown.code()),
                SyncStep::Confirm(p, b) => format!("confirm {p} {}", b.code()),
                SyncStep::Withdraw(p, b) => format!("withdraw {p} {}", b.code()),
            })
            .collect();
        assert_eq!(
            order,
            [
                "set 2019 men",
                "set 2019 women",
                "set 2020 total",
                "withdraw 2017 total"
            ]
        );
    }

    /// Applies a plan to stored outcomes, as the store does.
    fn apply(stored: &[StoredOutcome], plan: &SyncPlan) -> Vec<StoredOutcome> {
        let mut out: Vec<StoredOutcome> = stored.to_vec();
        let same = |o: &StoredOutcome, p: Period, b: &Breakdown| o.period == p && o.breakdown == *b;
        for step in &plan.steps {
            match step {
                SyncStep::Replace(n) => {
                    out.retain(|o| !same(o, n.period, &n.breakdown));
                    out.push(StoredOutcome {
                        period: n.period,
                        breakdown: n.breakdown.clone(),
                        value: n.value,
                        from_kolada: true,
                    });
                }
                SyncStep::Confirm(p, b) => out
                    .iter_mut()
                    .filter(|o| same(o, *p, b))
                    .for_each(|o| o.from_kolada = true),
                SyncStep::Withdraw(p, b) => out.retain(|o| !same(o, *p, b)),
            }
        }
        out
    }

    fn any_breakdown() -> impl Strategy<Value = Breakdown> {
        prop_oneof![
            Just(Breakdown::Total),
            Just(Breakdown::Women),
            Just(Breakdown::Men),
            Just(Breakdown::Area("Vårby".into())),
        ]
    }

    fn any_gender() -> impl Strategy<Value = Gender> {
        prop::sample::select(Gender::ALL.to_vec())
    }

    fn any_stored() -> impl Strategy<Value = Vec<StoredOutcome>> {
        let one = (
            2015i32..2020,
            prop::option::of(1u8..=3),
            any_breakdown(),
            0u8..3,
            any::<bool>(),
        )
            .prop_map(|(y, t, breakdown, v, from_kolada)| StoredOutcome {
                period: t.map_or(Period::Year(y), |t| Period::Tertial(y, t)),
                breakdown,
                value: f64::from(v),
                from_kolada,
            });
        prop::collection::vec(one, 0..12).prop_map(|mut v| {
            // One outcome per period and breakdown, as the store keeps them.
            let mut seen = std::collections::BTreeSet::new();
            v.retain(|o| seen.insert((o.period, o.breakdown.code())));
            v
        })
    }

    fn any_fetched() -> impl Strategy<Value = Vec<FetchedValue>> {
        let one = (2015i32..2020, any_gender(), prop::option::of(0u8..3)).prop_map(
            |(year, gender, v)| FetchedValue {
                year,
                gender,
                value: v.map(f64::from),
            },
        );
        prop::collection::vec(one, 0..12).prop_map(|mut v| {
            let mut seen = std::collections::BTreeSet::new();
            v.retain(|f| seen.insert((f.year, f.gender)));
            v
        })
    }

    proptest! {
        /// After the plan, every value Kolada has is stored as Kolada's; no Kolada-filled
        /// yearly total/women/men outcome remains that Kolada lacks; everything else
        /// (typed values Kolada lacks, other periods and breakdowns) is untouched; and
        /// planning again finds nothing to do.
        #[test]
        fn reconciling_makes_the_outcomes_kolada_s(stored in any_stored(), fetched in any_fetched()) {
            let plan = reconcile(&stored, &fetched);
            let after = apply(&stored, &plan);
            let find = |p: Period, b: &Breakdown| after.iter().find(|o| o.period == p && o.breakdown == *b);
            for f in &fetched {
                let b = f.gender.breakdown();
                match f.value {
                    Some(v) => {
                        let o = find(Period::Year(f.year), &b);
                        prop_assert!(o.is_some_and(|o| o.from_kolada && (o.value - v).abs() <= EPS));
                    }
                    None => prop_assert!(find(Period::Year(f.year), &b).is_none_or(|o| !o.from_kolada)),
                }
            }
            let has_value = |o: &StoredOutcome| fetched.iter().any(|f| {
                f.value.is_some() && Period::Year(f.year) == o.period && f.gender.breakdown() == o.breakdown
            });
            for o in &stored {
                let kolada_s = matches!(o.period, Period::Year(_)) && is_kolada_breakdown(&o.breakdown);
                if !kolada_s || (!o.from_kolada && !has_value(o)) {
                    prop_assert_eq!(find(o.period, &o.breakdown), Some(o), "left alone");
                }
            }
            let again = reconcile(&after, &fetched);
            prop_assert!(again.steps.is_empty(), "{:?}", again.steps);
            prop_assert_eq!(again.unchanged, fetched.iter().filter(|f| f.value.is_some()).count());
        }
    }
}
