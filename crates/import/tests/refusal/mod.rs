//! Shared by the hostile-input tests of the data-file format and the Kolada pages: what a
//! refusal must look like, and a property runner that says how many inputs it tried.

#![allow(dead_code)] // each test binary uses its part

use std::cell::Cell;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uppsikt_domain::text::{refused, Lines};
use uppsikt_import::ImportReport;

/// Words of which a Swedish message has at least one (or else a letter å, ä, ö outside
/// its quotes) and an English one (a parser's own text leaking through) none.
const SWEDISH: &[&str] = &[
    "är", "ska", "inte", "och", "för", "som", "med", "har", "finns", "måste", "kan", "eller",
    "inget", "ingen", "inga", "en", "ett", "att", "av", "på", "den", "det", "Filen", "Texten",
    "Värdet", "Ange", "Skriv", "fel", "högst", "mellan", "saknar", "raden", "redan",
];

/// Openings of messages that are not ours.
const FOREIGN: &[&str] = &[
    "expected",
    "invalid",
    "missing",
    "unknown",
    "unexpected",
    "error",
    "TOML parse",
    "EOF",
    "duplicate",
    "called `",
];

pub fn swedish(message: &str) -> bool {
    // Our own words only: what stands between ” and ” is quoted from the input.
    let own: String = message.split('”').step_by(2).collect::<Vec<_>>().join(" ");
    (own.contains(['å', 'ä', 'ö', 'Å', 'Ä', 'Ö'])
        || own
            .split(|c: char| !c.is_alphabetic())
            .any(|w| SWEDISH.contains(&w)))
        && !FOREIGN
            .iter()
            .any(|f| message.to_lowercase().starts_with(&f.to_lowercase()))
}

/// The longest message or location a report may hold (`report::tame` cuts at 1 000
/// characters and marks the cut).
pub const SHOWN_MAX: usize = 1_001;

/// Every error of a refusal: in `file` (or the closing "… och N fel till"), a Swedish
/// sentence, at a place in the file (a field path or `rad L, kolumn C`; only whole-file
/// errors may have none), with no control, direction-changing or invisible character
/// from the input and of bounded length, whatever the input held.
pub fn check_refusal(report: &ImportReport, file: &str) -> Result<(), TestCaseError> {
    proptest::prop_assert!(!report.errors.is_empty(), "a refusal with no error");
    proptest::prop_assert!(!report.cancelled);
    for e in &report.errors {
        let more = e.message.starts_with('…');
        proptest::prop_assert!(
            e.file == file || (more && e.file.is_empty()),
            "wrong file: {:?}",
            e
        );
        proptest::prop_assert!(swedish(&e.message), "not a Swedish message: {:?}", e);
        proptest::prop_assert!(
            !e.location.is_empty() || more || whole_file(&e.message),
            "no place named: {:?}",
            e
        );
        for text in [&e.message, &e.location] {
            proptest::prop_assert!(
                !text.chars().any(|c| refused(c, Lines::One).is_some()),
                "a refused character shown raw: {:?}",
                e
            );
            proptest::prop_assert!(text.chars().count() <= SHOWN_MAX, "too long: {:?}", e);
        }
    }
    let _ = report.to_string();
    Ok(())
}

/// Messages about the file as a whole, which have no place inside it.
fn whole_file(message: &str) -> bool {
    message.starts_with("Filen ")
}

/// Runs `test` on `cases` inputs drawn from `strategy` (shrinking a failure), prints how
/// many inputs were tried (shrinking included) and fails with the smallest failing one.
pub fn property<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let tried = Cell::new(0u64);
    let result = runner.run(&strategy, |v| {
        tried.set(tried.get() + 1);
        test(v)
    });
    eprintln!("{name}: {} inputs tried", tried.get());
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}
