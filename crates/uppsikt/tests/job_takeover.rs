//! A job whose process dies is taken over and finishes once: a report and an import are
//! started on `uppsikt serve` A, A is killed (SIGKILL) while both run, B is started on the
//! same database, and both jobs finish on B: their pages and the report's download answer
//! there, and the import's data is in exactly once. On SQLite and PostgreSQL.
//!
//! A is slowed down with the test-only `UPPSIKT_TEST_JOB_DELAY_MS` (its worker waits that
//! long after claiming a job), so that it surely dies while the jobs run; the lease is one
//! second (`UPPSIKT_JOB_LEASE_SECS`), so B takes them over soon.

mod servers;

use std::time::Duration;

use servers::{demo, session_for, Server};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{JobStatus, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_servers_jobs_finish_once_on_another() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend());
        takeover(&db.url).await;
        db.finish().await;
    }
}

async fn takeover(url: &str) {
    demo(url);
    let store = Store::open(url).await.unwrap();
    let controller = session_for(&store, "controller").await;
    let ks = store.find_org_unit("KS").await.unwrap().id;
    let lease = ("UPPSIKT_JOB_LEASE_SECS", "1");
    let mut a = Server::start(url, &[lease, ("UPPSIKT_TEST_JOB_DELAY_MS", "600000")]).await;

    // A report and an import of one outcome, both started on A.
    let (status, body, report) = a
        .post(
            &controller,
            &format!("/org/{ks}/reports"),
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "html"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let report = report.unwrap();
    let csv = "Mått;Period;Uppdelning;Värde\nks-antal-fardigstallda-bostader;2031;Totalt;777\n";
    let (status, body, preview) = a.upload(&controller, "utfall.csv", csv.into()).await;
    assert_eq!(status, 303, "{body}");
    let (status, body, import) = a
        .post(&controller, &format!("{}/commit", preview.unwrap()), &[])
        .await;
    assert_eq!(status, 303, "{body}");
    let import = import.unwrap();
    let ids: Vec<String> = [&report, &import]
        .iter()
        .map(|j| j.rsplit('/').next().unwrap().to_string())
        .collect();

    // Both claimed by A's workers (running, held), then A dies.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut running = 0;
        for id in &ids {
            let job = store
                .job(id, uppsikt_store::now_ms())
                .await
                .unwrap()
                .unwrap();
            if job.state == JobStatus::Running {
                running += 1;
            }
        }
        if running == ids.len() {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "A never claimed the jobs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        a.wait_for(&controller, &report, Duration::ZERO).await,
        "running"
    );
    a.kill();

    // B takes them over (once A's lease lapsed) and finishes them.
    let b = Server::start(url, &[lease]).await;
    assert_eq!(
        b.wait_for(&controller, &report, Duration::from_secs(120))
            .await,
        "ready"
    );
    assert_eq!(
        b.wait_for(&controller, &import, Duration::from_secs(120))
            .await,
        "done"
    );
    let (status, page) = b.get(&controller, &report).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"report-download\""), "{page}");
    let (status, file) = b.get(&controller, &format!("{report}/download")).await;
    assert_eq!(status, 200);
    assert!(file.contains("Verksamhetsberättelse"));
    let (status, page) = b.get(&controller, &import).await;
    assert_eq!(status, 200);
    let summary = uppsikt_domain::messages::table_planned(1, 0, 0);
    for id in &ids {
        let job = store
            .job(id, uppsikt_store::now_ms())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.state, JobStatus::Done);
        assert_eq!(job.attempts, 2, "claimed by A, then by B");
    }
    let job = store
        .job(&ids[1], uppsikt_store::now_ms())
        .await
        .unwrap()
        .unwrap();
    assert!(
        job.result_json.as_deref().unwrap_or("").contains(&summary),
        "{:?} {page}",
        job.result_json
    );

    // The import's outcome is there once, written once.
    let imported: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outcomes o JOIN indicators i ON i.id = o.indicator_id \
         WHERE i.key = 'ks-antal-fardigstallda-bostader' AND o.period = '2031'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(imported, 1);
    let logged = store
        .change_log(None, 100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.actor == "controller" && e.object_type == "outcome")
        .count();
    assert_eq!(logged, 1, "imported exactly once");
    drop(b);
    store.close().await;
}
