#!/usr/bin/env bash
# Fuzzes the two parsers of untrusted files, the uppsikt/1 data format (`data_file`) and
# Kolada's pages (`kolada_page`), for SECONDS each (default 60), starting from
# fuzz/corpus/TARGET, and prints how many inputs each tried. New interesting inputs go to
# a temporary directory that is named at the end; copy those worth keeping into
# fuzz/corpus/TARGET (the normal `cargo test` replays that directory: tests/fuzz_corpus.rs).
#
# Needs `cargo install cargo-fuzz --locked` and a C++ compiler. cargo-fuzz wants a nightly
# compiler for its -Z flags (sanitizer, coverage); with only a stable toolchain,
# RUSTC_BOOTSTRAP=1 lets stable accept them, which this script sets for its own commands.
# Its build directory is CARGO_TARGET_DIR if set (else fuzz/target), apart from the
# project's: the sanitizer rebuilds every dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 1
fi
export RUSTC_BOOTSTRAP=1

echo "== cargo fuzz build (address sanitizer, optimised)"
cargo fuzz build -O

for target in data_file kolada_page; do
    found=$(mktemp -d "${TMPDIR:-/tmp}/uppsikt-fuzz-$target.XXXXXX")
    echo "== $target: ${seconds} s from fuzz/corpus/$target"
    log="$found.log"
    if ! cargo fuzz run -O "$target" "$found" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "FAILED: $target crashed; the input is in fuzz/artifacts/$target (log: $log)" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "$target: ${runs:-?} inputs tried, no crash; $(find "$found" -type f | wc -l) new inputs in $found"
done
