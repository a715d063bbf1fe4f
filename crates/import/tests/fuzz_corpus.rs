//! The fuzz targets' corpora (`fuzz/corpus/`), replayed in the normal test run: every
//! input the fuzzer kept (seeds, inputs that reached new code, and any input that once
//! crashed, added there when fixed) goes through the same calls as in `fuzz/fuzz_targets`
//! and the same checks as the property tests, without a fuzzer or a nightly compiler.

mod refusal;

use std::path::{Path, PathBuf};

use refusal::check_refusal;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no corpus", dir.display());
    files
}

#[test]
fn the_data_file_corpus_never_panics() {
    let files = corpus("data_file");
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if let Err(report) = uppsikt_import::parse_str("fuzz.toml", &text) {
            check_refusal(&report, "fuzz.toml")
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    eprintln!("fuzz corpus data_file: {} inputs tried", files.len());
}

#[test]
fn the_kolada_page_corpus_never_panics() {
    let files = corpus("kolada_page");
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        if let Err(report) = uppsikt_import::kolada::read_page("fuzz.json", &bytes) {
            check_refusal(&report, "fuzz.json")
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    eprintln!("fuzz corpus kolada_page: {} inputs tried", files.len());
}
