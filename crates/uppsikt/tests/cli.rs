//! The command line: clear messages and non-zero exits for the failures people meet.

use std::net::TcpListener;
use std::process::{Command, Output};

fn uppsikt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uppsikt"))
        .args(args)
        .env_remove("UPPSIKT_DATABASE_URL")
        .env_remove("UPPSIKT_ADDR")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run uppsikt")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_db(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("uppsikt-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("db.sqlite");
    let url = format!("sqlite://{}", path.display());
    (dir, url)
}

#[test]
fn a_bad_database_url_is_refused_clearly() {
    let o = uppsikt(&["--database-url", "mysql://root@localhost/x", "migrate"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("ogiltig databasadress"),
        "{}",
        stderr(&o)
    );
    let o = uppsikt(&[
        "--database-url",
        "postgres://u:hemligt@127.0.0.1:1/x",
        "migrate",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("kan inte öppna databasen"), "{err}");
    assert!(
        !err.contains("hemligt"),
        "password must not be printed: {err}"
    );
}

#[test]
fn an_unwritable_database_file_is_refused_clearly() {
    let o = uppsikt(&[
        "--database-url",
        "sqlite:///finns/inte/katalog/uppsikt.db",
        "migrate",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("går inte att skriva"), "{}", stderr(&o));
}

#[test]
fn a_port_in_use_is_refused_clearly() {
    let (dir, url) = temp_db("port");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = uppsikt(&["--database-url", &url, "--addr", &addr, "serve"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("används redan"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_loads_the_seed_data_and_is_idempotent() {
    let (dir, url) = temp_db("demo");
    for _ in 0..2 {
        let o = uppsikt(&["--database-url", &url, "demo", "--no-serve"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = uppsikt_store::Store::open(&url).await.unwrap();
        let c = store.counts().await.unwrap();
        assert_eq!(
            (
                c.org_units,
                c.goals,
                c.indicators,
                c.commitments,
                c.assessments
            ),
            // 25 units: KS's ansvar of seed 004's economy (Kommundirektör, Politisk
            // verksamhet, the brandförsvar and överförmyndare lines) among them.
            (25, 36, 92, 43, 34)
        );
        store.close().await;
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn import_reports_every_bad_row_and_writes_nothing() {
    let (dir, url) = temp_db("import");
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "format = \"uppsikt/1\"\n\n[[org_units]]\nkey = \"kommun\"\nname = \"Kommunen\"\nshort_name = \"K\"\nkind = \"kommun\"\n\n[[goals]]\nkey = \"g\"\norg = \"kommun\"\ntitle = \"Mål\"\n\n[[indicators]]\nkey = \"i\"\ngoal = \"g\"\nname = \"Mått\"\nunit = \"%\"\ndirection = \"higher\"\noutcomes = [ { period = \"2019X\", value = 1 }, { period = \"2020\", value = \"tio\" } ]\n",
    )
    .unwrap();
    let o = uppsikt(&[
        "--database-url",
        &url,
        "import",
        "data",
        file.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("Ingenting importerades"), "{err}");
    assert!(err.contains("indicators[0].outcomes[0].period"), "{err}");
    assert!(err.contains("indicators[0].outcomes[1].value"), "{err}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = uppsikt_store::Store::open(&url).await.unwrap();
        assert_eq!(
            store.counts().await.unwrap().org_units,
            0,
            "nothing written"
        );
        store.close().await;
    });
    let good = std::fs::read_to_string(&file)
        .unwrap()
        .replace("2019X", "2019")
        .replace("\"tio\"", "\"10,5\"");
    std::fs::write(&file, good).unwrap();
    let o = uppsikt(&[
        "--database-url",
        &url,
        "import",
        "data",
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 utfall"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn report_writes_html_and_xlsx_and_refuses_bad_requests() {
    let (dir, url) = temp_db("report");
    assert!(uppsikt(&["--database-url", &url, "demo", "--no-serve"])
        .status
        .success());
    for format in ["html", "xlsx"] {
        let out = dir.join(format!("ks.{format}"));
        let o = uppsikt(&[
            "--database-url",
            &url,
            "report",
            "--org",
            "KS",
            "--period",
            "2019",
            "--kind",
            "verksamhetsberattelse",
            "--format",
            format,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(std::fs::metadata(&out).unwrap().len() > 10_000);
    }
    let html = std::fs::read_to_string(dir.join("ks.html")).unwrap();
    assert!(html.contains("Ökad valfrihet") && html.contains("Ej godtagbar"));
    let o = uppsikt(&[
        "--database-url",
        &url,
        "report",
        "--org",
        "XX",
        "--period",
        "2019",
        "-o",
        "/tmp/x.html",
    ]);
    assert!(!o.status.success() && stderr(&o).contains("finns inte"));
    let o = uppsikt(&[
        "--database-url",
        &url,
        "report",
        "--org",
        "KS",
        "--period",
        "2019T3",
        "--kind",
        "delarsrapport",
        "-o",
        "/tmp/x.html",
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("tertial 1"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Backup, a change, restore: the change is gone, the restore is logged, and a file that
/// is not a backup is refused without changing anything.
#[tokio::test]
async fn backup_and_restore_round_trip_and_refuse_bad_files() {
    let (dir, url) = temp_db("backup");
    let ok = |o: &Output| assert!(o.status.success(), "{}", stderr(o));
    ok(&uppsikt(&["--database-url", &url, "demo", "--no-serve"]));
    let backup = dir.join("kopia.sqlite");
    let backup_arg = backup.to_str().unwrap();
    ok(&uppsikt(&["--database-url", &url, "backup", backup_arg]));
    let again = uppsikt(&["--database-url", &url, "backup", backup_arg]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("finns redan"), "{}", stderr(&again));

    let extra = dir.join("extra.toml");
    std::fs::write(
        &extra,
        "format = \"uppsikt/1\"\n[[org_units]]\nkey = \"ovn\"\nname = \"Överförmyndarnämnden\"\nshort_name = \"ÖFN\"\nkind = \"namnd\"\nparent = \"kf\"\n",
    )
    .unwrap();
    ok(&uppsikt(&[
        "--database-url",
        &url,
        "import",
        "data",
        extra.to_str().unwrap(),
    ]));
    let store = uppsikt_store::Store::open(&url).await.unwrap();
    assert!(store.find_org_unit("ÖFN").await.is_ok());
    let version_before = store.data_version().await.unwrap();

    let garbage = dir.join("inte-en-kopia.sqlite");
    std::fs::write(&garbage, "det här är ingen databas").unwrap();
    let refused = uppsikt(&["--database-url", &url, "restore", garbage.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("ingen SQLite-databas"),
        "{}",
        stderr(&refused)
    );
    assert!(store.find_org_unit("ÖFN").await.is_ok(), "nothing changed");

    let restored = uppsikt(&["--database-url", &url, "restore", backup_arg]);
    ok(&restored);
    assert!(String::from_utf8_lossy(&restored.stdout).contains("Databasen återställdes"));
    assert!(
        store.find_org_unit("ÖFN").await.is_err(),
        "the change is gone"
    );
    assert!(store.find_org_unit("KS").await.is_ok());
    assert!(
        store.data_version().await.unwrap() > version_before,
        "caches see a new version"
    );
    let log = store.change_log(None, 1).await.unwrap();
    assert_eq!(log[0].action, "restore");
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// `--help` shows which environment variables are read, never the value of a secret one:
/// a PostgreSQL URL holds a password (main printed `[env: UPPSIKT_DATABASE_URL=postgres://u:hemligt@…]`).
#[test]
fn help_never_prints_a_secret_from_the_environment() {
    for args in [&["--help"][..], &["serve", "--help"], &["demo", "--help"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_uppsikt"))
            .args(args)
            .env(
                "UPPSIKT_DATABASE_URL",
                "postgres://u:hemligt-db@127.0.0.1:1/x",
            )
            .env("UPPSIKT_OIDC_CLIENT_SECRET", "hemligt-oidc")
            .output()
            .expect("run uppsikt");
        assert!(o.status.success(), "{}", stderr(&o));
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(help.contains("UPPSIKT_DATABASE_URL"), "{help}");
        assert!(!help.contains("hemligt"), "{args:?}: {help}");
        assert!(
            help.contains("--trusted-proxy") && help.contains("--public-origin"),
            "{help}"
        );
    }
}

#[test]
fn a_bad_trusted_proxy_or_public_origin_is_refused_clearly() {
    let o = uppsikt(&["--trusted-proxy", "10.0.0.0/33", "migrate"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ingen IP-adress"), "{}", stderr(&o));
    let o = uppsikt(&[
        "--public-origin",
        "https://uppsikt.kommun.se/sida",
        "migrate",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("ingen webbadress för tjänsten"),
        "{}",
        stderr(&o)
    );
}
