//! uppsikt/1 data files: any bytes a file may hold, as `parse_files` would read them (UTF-8
//! only; other bytes are refused before parsing, so they are decoded lossily here to reach
//! the parser anyway). Must never panic; a refusal must hold at least one error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(report) = uppsikt_import::parse_str("fuzz.toml", &text) {
        assert!(!report.errors.is_empty());
        assert!(report.errors.len() <= 501);
    }
});
