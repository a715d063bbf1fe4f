//! Kolada API pages (saved or fetched): any bytes, read exactly as `import_kolada` reads a
//! page. Must never panic; a refusal must hold at least one error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(report) = uppsikt_import::kolada::read_page("fuzz.json", data) {
        assert!(!report.errors.is_empty());
        assert!(report.errors.len() <= 501);
    }
});
