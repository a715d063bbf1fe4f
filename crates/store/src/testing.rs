//! Fresh databases for tests, on both backends. Enabled with the `testing` feature.
//!
//! PostgreSQL: `UPPSIKT_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! names an admin database; each test gets its own database with a random name, dropped by
//! [`TestDb::finish`]. Where no server answers, the Postgres half of a test is skipped with
//! a message (see [`skipped`]), unless `UPPSIKT_REQUIRE_POSTGRES=1` (set by `.ci/run`),
//! where a missing server fails the test.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Backend, Store};

thread_local! {
    static AUDIT_QUERIES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one query of the audits' loading (on this thread: a `#[tokio::test]` runs on
/// its own).
pub(crate) fn count_audit_query() {
    AUDIT_QUERIES.with(|c| c.set(c.get() + 1));
}

/// How many queries loading audits has made on this thread so far: a test compares the
/// count before and after a load.
pub fn audit_queries() -> usize {
    AUDIT_QUERIES.with(std::cell::Cell::get)
}

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

/// How long [`TestDb::finish`] waits for the store's connections to come back.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn admin_url() -> String {
    std::env::var("UPPSIKT_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

fn postgres_required() -> bool {
    std::env::var("UPPSIKT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// The variable naming the file where skips are counted; `test.sh` sets it.
pub const SKIP_LOG: &str = "UPPSIKT_SKIP_LOG";

/// Says that (part of) a test did not run: `SKIPPED (what): why detail` on stderr, which
/// libtest shows only for failing tests or under `--nocapture`, and the line `what<TAB>why`
/// appended to the file [`SKIP_LOG`] names, which `test.sh` sums up after `cargo test`
/// ("SKIPPED (PostgreSQL) 214 times: no server at …"). Keep `why` the same for the same
/// cause, so that the summary counts it as one; the varying part goes in `detail`.
pub fn skipped(what: &str, why: &str, detail: &str) {
    eprintln!("SKIPPED ({what}): {why}{detail}");
    let Ok(path) = std::env::var(SKIP_LOG) else {
        return;
    };
    // One short write in append mode: lines of parallel tests do not interleave.
    let line = format!("{what}\t{why}\n");
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = appended {
        eprintln!("could not count the skip in {path}: {e}");
    }
}

impl TestDb {
    /// A migrated, empty SQLite database in a temporary file.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("uppsikt-test-{}.db", unique_suffix()));
        let url = format!("sqlite://{}", path.display());
        let store = Store::open(&url).await.expect("open test SQLite database");
        TestDb {
            store,
            url,
            cleanup: Cleanup::File(path),
        }
    }

    /// A migrated, empty PostgreSQL database, or `None` (with a visible message) when no
    /// server answers and Postgres is not required.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = admin_url();
        let admin = match Store::connect(&admin_url).await {
            Ok(s) => s,
            Err(e) => {
                if postgres_required() {
                    panic!("UPPSIKT_REQUIRE_POSTGRES is set but PostgreSQL is unreachable: {e}");
                }
                skipped(
                    "PostgreSQL",
                    &format!("no server at {}", crate::redact(&admin_url)),
                    &format!(" ({e}); set UPPSIKT_TEST_POSTGRES_URL"),
                );
                return None;
            }
        };
        let name = format!("uppsikt_t_{}", unique_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.pool())
            .await
            .expect("create test database");
        admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin_url.clone());
        let url = format!("{base}/{name}");
        let store = Store::open(&url)
            .await
            .expect("open test PostgreSQL database");
        Some(TestDb {
            store,
            url,
            cleanup: Cleanup::Database { admin_url, name },
        })
    }

    /// Both backends: SQLite always, PostgreSQL when reachable (or required).
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Closes the store and removes the database.
    pub async fn finish(self) {
        // Closing waits for every connection to come back: a `Writer` the test still holds
        // would make it wait for ever, so say so instead of hanging the test run.
        let closing = tokio::time::timeout(CLOSE_WITHIN, self.store.close());
        if closing.await.is_err() {
            panic!(
                "the test store did not close within {CLOSE_WITHIN:?}: a Writer (or another \
                 connection) is still held; commit, roll back or drop it before finish()"
            );
        }
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(admin) = Store::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(admin.pool())
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}
