//! SIGKILL in the middle of a large write: the server and a large import are killed at
//! once while signed-in users' writes are being acknowledged. After a restart the database
//! is intact, every acknowledged write is there, and the import is all or nothing. Runs on
//! SQLite (the embedded file must survive) and PostgreSQL (our transactions must be whole).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uppsikt_store::testing::TestDb;
use uppsikt_store::{Backend, Store};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_uppsikt"));
    c.env_remove("UPPSIKT_DATABASE_URL")
        .env_remove("UPPSIKT_ADDR")
        .env("RUST_LOG", "warn");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_server(url: &str, port: u16) -> Child {
    let mut child = bin()
        .args([
            "--database-url",
            url,
            "--addr",
            &format!("127.0.0.1:{port}"),
            "serve",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let health = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status() == 200) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start");
}

/// Ten new weekly indicators of an existing KS goal, 15,600 outcomes each.
fn large_import(path: &std::path::Path) -> usize {
    let mut toml = String::from("format = \"uppsikt/1\"\n");
    let mut n = 0;
    // Weeks after the demo's decisions (KF's covers everything up to 2023).
    for i in 0..18 {
        toml.push_str(&format!(
            "\n[[indicators]]\nkey = \"krasch-{i}\"\ngoal = \"ks-okat-bostadsbyggande\"\nname = \"Kraschtest {i}\"\nunit = \"antal\"\ndirection = \"higher\"\nfrequency = \"week\"\noutcomes = [\n"
        ));
        for year in 2030..2201 {
            for week in 1..=52 {
                toml.push_str(&format!(
                    "  {{ period = \"{year}W{week:02}\", value = {n} }},\n"
                ));
                n += 1;
            }
        }
        toml.push_str("]\n");
    }
    std::fs::write(path, toml).unwrap();
    n
}

fn wal_size(db: &std::path::Path) -> u64 {
    std::fs::metadata(format!("{}-wal", db.display()))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_write_loses_no_committed_change() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend());
        crash_story(&db).await;
        db.finish().await;
    }
}

/// Whether the large import is inside its transaction, writing outcomes.
async fn import_is_writing(db: &TestDb, sqlite_file: &std::path::Path, base_wal: u64) -> bool {
    match db.backend() {
        // Its uncommitted pages spill into the WAL once they outgrow the page cache.
        Backend::Sqlite => wal_size(sqlite_file) >= base_wal + 4 * 1024 * 1024,
        // A transaction open for a while whose last statement was a multi-row insert.
        Backend::Postgres => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND xact_start < now() - interval '300 milliseconds' \
                 AND query LIKE 'INSERT INTO outcomes%), (%'",
            )
            .fetch_one(db.store.pool())
            .await
            .unwrap();
            n > 0
        }
    }
}

async fn crash_story(db: &TestDb) {
    let dir = std::env::temp_dir().join(format!(
        "uppsikt-crash-{}-{:?}",
        std::process::id(),
        db.backend()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = db.url.clone();
    let sqlite_file = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let ok = bin()
        .args(["--database-url", &url, "demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(ok.status.success());

    // A signed-in controller (a session stored as sign-in stores it) and KS's indicators.
    let store = Store::open(&url).await.unwrap();
    let user = store.user_by_name("controller").await.unwrap().unwrap();
    let token = uppsikt_web::auth::password::random_token();
    let csrf = uppsikt_web::auth::password::random_token();
    store
        .create_session(
            &uppsikt_web::auth::password::token_hash(&token),
            user.id,
            &csrf,
            "2999-01-01T00:00:00Z",
        )
        .await
        .unwrap();
    let ks = store.find_org_unit("KS").await.unwrap().id;
    let indicators: Vec<i64> = store
        .indicator_records(uppsikt_store::Scope::Org(ks))
        .await
        .unwrap()
        .iter()
        .map(|r| r.indicator.id)
        .collect();
    store.close().await;
    let import_file = dir.join("stor.toml");
    let import_rows = large_import(&import_file);

    let port = free_port();
    let mut server = start_server(&url, port).await;
    let cookie = format!("{}={token}", uppsikt_web::auth::SESSION_COOKIE);
    let acked: Arc<Mutex<Vec<(i64, String, i64)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4i64 {
        let (acked, stop, cookie, csrf) =
            (acked.clone(), stop.clone(), cookie.clone(), csrf.clone());
        let indicators = indicators.clone();
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            for k in 0..10_000i64 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let ind = indicators[(k as usize) % indicators.len()];
                let n = k * 4 + w;
                let period = format!("{}W{:02}", 2150 + n / 52, n % 52 + 1);
                let value = n % 97; // valid for percentages too
                let sent = client
                    .post(format!("http://127.0.0.1:{port}/indicators/{ind}/outcome"))
                    .header("cookie", &cookie)
                    .header("origin", format!("http://127.0.0.1:{port}"))
                    .form(&[
                        ("period", period.as_str()),
                        ("breakdown", "total"),
                        ("value", &value.to_string()),
                        ("csrf", &csrf),
                    ])
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 303 => acked.lock().unwrap().push((ind, period, value)),
                    Ok(r) => panic!("write refused: {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Some acknowledged writes first, then the large import; kill both while it writes.
    while acked.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let base_wal = wal_size(&sqlite_file);
    let mut import = bin()
        .args(["--database-url", &url, "import", "data"])
        .arg(&import_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !import_is_writing(db, &sqlite_file, base_wal).await {
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import finished before it could be killed mid-write"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "import never wrote"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        import.try_wait().unwrap().is_none(),
        "still writing when killed"
    );
    import.kill().unwrap(); // SIGKILL
    server.kill().unwrap(); // SIGKILL
    import.wait().unwrap();
    server.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20);

    // After the crash: intact, every acknowledged write there, the import all or nothing.
    let store = Store::open(&url).await.unwrap();
    if db.backend() == Backend::Sqlite {
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
    for (ind, period, value) in &acked {
        let record = store.indicator_record(*ind).await.unwrap();
        let found = record
            .outcomes
            .iter()
            .any(|o| o.period.to_string() == *period && o.value == *value as f64);
        assert!(found, "acknowledged write {ind} {period} = {value} is lost");
    }
    let logged = store.change_log(None, 100_000).await.unwrap();
    let acked_logged = logged
        .iter()
        .filter(|e| e.actor == "controller" && e.object_type == "outcome")
        .count();
    assert!(
        acked_logged >= acked.len(),
        "every acknowledged write is logged"
    );
    let imported: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outcomes o JOIN indicators i ON i.id = o.indicator_id WHERE i.key LIKE 'krasch-%'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(
        imported == 0 || imported == import_rows as i64,
        "import is all or nothing, found {imported} of {import_rows}"
    );
    store.close().await;
    eprintln!(
        "killed mid-import: {} acknowledged writes kept, import rows after restart: {imported}",
        acked.len()
    );

    // And the server starts again on the same file.
    let mut server = start_server(&url, free_port()).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

/// SIGTERM lets a request in flight finish: a sign-in whose body is still arriving when
/// the signal comes is answered, and then the server exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight() {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("uppsikt-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    let ok = bin()
        .args(["--database-url", &url, "demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let port = free_port();
    let mut server = start_server(&url, port).await;

    let body = "username=controller&password=fel-l%C3%B6senord-123";
    let (first, rest) = body.split_at(20);
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        tcp,
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    tcp.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );
    tcp.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 422"),
        "answered: {}",
        response.lines().next().unwrap_or("")
    );
    assert!(response.contains("Fel användarnamn eller lösenord."));
    let started = Instant::now();
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "clean exit: {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not exit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
