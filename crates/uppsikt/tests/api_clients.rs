//! Personal API tokens used by clients we did not write: runs
//! `tests/clients/api_tokens.sh` (curl and Python's urllib against the real binary).
//! Without curl or python3 it says so and skips, unless `UPPSIKT_REQUIRE_TOOLS=1`.

use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn curl_and_python_read_the_api_and_import_outcomes_with_a_token() {
    let missing: Vec<&str> = ["curl", "python3"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        let required = std::env::var("UPPSIKT_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "UPPSIKT_REQUIRE_TOOLS=1 but missing: {missing:?}"
        );
        uppsikt_store::testing::skipped(
            "API-nycklar med curl och Python",
            "saknas: ",
            &missing.join(", "),
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/api_tokens.sh");
    let out = Command::new("bash")
        .arg(script)
        .env("UPPSIKT_BIN", env!("CARGO_BIN_EXE_uppsikt"))
        .env_remove("UPPSIKT_DATABASE_URL")
        .env_remove("UPPSIKT_ADDR")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Python: org-units, goals, import"),
        "{stdout}"
    );
    assert!(stdout.contains("importerar utfall som väntat"), "{stdout}");
}
