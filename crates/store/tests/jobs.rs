//! Jobs as rows, on every backend: a claim is exclusive under concurrency, a lapsed lease
//! is taken over, finishing without the lease is refused, an import's seal commits it once,
//! cancelling, the caps and the purge; uploads between preview and commit.

use uppsikt_store::testing::TestDb;
use uppsikt_store::{
    ChangeSource, JobLimits, JobOutcome, JobRefused, JobSeal, JobStatus, NewJob, Store,
    JOB_KEEP_MS, JOB_MAX_ATTEMPTS,
};

const T0: i64 = 1_000_000_000_000;
const LEASE: i64 = 30_000;

fn limits() -> JobLimits {
    JobLimits {
        running_per_user: 2,
        running: 3,
        kept_per_user: 3,
        kept: 5,
        kept_bytes: 100,
    }
}

fn job(id: &str, owner: &str) -> NewJob {
    NewJob {
        id: format!("{id:0>64}"),
        kind: "report".into(),
        owner: owner.into(),
        title: "Rapport".into(),
        back: "/org/1".into(),
        params: r#"{"x":1}"#.into(),
        input: Some(vec![1, 2, 3]),
        phase: "Väntar på sin tur".into(),
    }
}

fn id(n: &str) -> String {
    format!("{n:0>64}")
}

async fn start(store: &Store, n: &str, owner: &str, now: i64) -> Result<(), JobRefused> {
    store
        .start_job(&job(n, owner), &limits(), now)
        .await
        .unwrap()
}

fn done(json: &str) -> JobOutcome {
    JobOutcome::Json {
        state: JobStatus::Done,
        json: json.into(),
    }
}

/// Starts, claims and finishes a job with `bytes` bytes of result at `now`.
async fn finished(store: &Store, n: &str, owner: &str, bytes: usize, now: i64) {
    start(store, n, owner, now).await.unwrap();
    let claimed = store
        .claim_job("report", "w", LEASE, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id(n));
    let outcome = JobOutcome::File {
        name: "r.html".into(),
        content_type: "text/html".into(),
        bytes: vec![b'x'; bytes],
        json: String::new(),
    };
    assert!(store
        .finish_job(&id(n), "w", outcome, limits().kept_bytes, now)
        .await
        .unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_claimers_one_wins() {
    for db in TestDb::all().await {
        for round in 0..10 {
            let n = format!("{round}");
            start(&db.store, &n, "anna", T0).await.unwrap();
            let (a, b) = tokio::join!(
                db.store.claim_job("report", "a", LEASE, T0),
                db.store.claim_job("report", "b", LEASE, T0)
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!(
                a.is_some() != b.is_some(),
                "{:?}: exactly one claims it",
                db.backend()
            );
            let winner = if a.is_some() { "a" } else { "b" };
            let won = a.or(b).unwrap();
            assert_eq!(
                (won.id.as_str(), won.params.as_str(), won.attempts),
                (id(&n).as_str(), r#"{"x":1}"#, 1)
            );
            assert_eq!(won.input.as_deref(), Some(&[1u8, 2, 3][..]));
            let row = db.store.job(&id(&n), T0).await.unwrap().unwrap();
            assert_eq!(row.state, JobStatus::Running);
            assert_eq!(row.lease_owner.as_deref(), Some(winner));
            assert!(db
                .store
                .finish_job(&id(&n), winner, done("{}"), 100, T0)
                .await
                .unwrap());
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_lapsed_lease_is_taken_over_and_the_first_worker_can_no_longer_finish() {
    for db in TestDb::all().await {
        let s = &db.store;
        start(s, "1", "anna", T0).await.unwrap();
        let a = s
            .claim_job("report", "a", LEASE, T0)
            .await
            .unwrap()
            .unwrap();
        // Held: nobody else gets it, and the holder renews it with its progress.
        assert!(s
            .claim_job("report", "b", LEASE, T0 + 1)
            .await
            .unwrap()
            .is_none());
        let beat = s
            .job_heartbeat(
                &a.id,
                "a",
                LEASE,
                T0 + 10_000,
                Some(("Skapar filen", 60, 100)),
            )
            .await
            .unwrap();
        assert_eq!(beat, Some(false));
        let row = s.job(&a.id, T0).await.unwrap().unwrap();
        assert_eq!(
            (row.phase.as_str(), row.done, row.total),
            ("Skapar filen", 60, 100)
        );
        assert!(
            s.claim_job("report", "b", LEASE, T0 + LEASE + 1)
                .await
                .unwrap()
                .is_none(),
            "renewed until T0 + 10 s + the lease"
        );
        // Lapsed: another worker takes it over, and the first one lost it.
        let b = s
            .claim_job("report", "b", LEASE, T0 + 10_000 + LEASE + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((b.id.as_str(), b.attempts), (a.id.as_str(), 2));
        assert_eq!(
            s.job_heartbeat(&a.id, "a", LEASE, T0 + 50_000, None)
                .await
                .unwrap(),
            None
        );
        assert!(
            !s.finish_job(&a.id, "a", done(r#"{"by":"a"}"#), 100, T0 + 50_000)
                .await
                .unwrap(),
            "finishing without the lease is refused"
        );
        assert!(s
            .finish_job(&a.id, "b", done(r#"{"by":"b"}"#), 100, T0 + 50_000)
            .await
            .unwrap());
        let row = s.job(&a.id, T0 + 50_000).await.unwrap().unwrap();
        assert_eq!(row.state, JobStatus::Done);
        assert_eq!(row.result_json.as_deref(), Some(r#"{"by":"b"}"#));
        assert_eq!(row.lease_owner, None);
        assert!(
            !s.finish_job(&a.id, "b", done("{}"), 100, T0 + 50_001)
                .await
                .unwrap(),
            "finished once"
        );
        // A worker's own lapsed lease is not its to take again (its run may go on).
        start(s, "2", "anna", T0).await.unwrap();
        s.claim_job("report", "c", LEASE, T0)
            .await
            .unwrap()
            .unwrap();
        assert!(s
            .claim_job("report", "c", LEASE, T0 + 2 * LEASE)
            .await
            .unwrap()
            .is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_fails_after_so_many_attempts() {
    for db in TestDb::all().await {
        let s = &db.store;
        start(s, "1", "anna", T0).await.unwrap();
        let mut now = T0;
        for attempt in 1..=JOB_MAX_ATTEMPTS {
            let c = s
                .claim_job("report", &format!("w{attempt}"), LEASE, now)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(c.attempts, attempt);
            now += LEASE + 1;
        }
        assert!(s
            .claim_job("report", "w9", LEASE, now)
            .await
            .unwrap()
            .is_none());
        s.purge_jobs(r#"{"message":"gave up"}"#, now).await.unwrap();
        let row = s.job(&id("1"), now).await.unwrap().unwrap();
        assert_eq!(row.state, JobStatus::Failed);
        assert_eq!(row.result_json.as_deref(), Some(r#"{"message":"gave up"}"#));
        db.finish().await;
    }
}

#[tokio::test]
async fn an_import_seals_its_job_in_its_transaction_once() {
    for db in TestDb::all().await {
        let s = &db.store;
        start(s, "1", "anna", T0).await.unwrap();
        s.claim_job("report", "a", LEASE, T0)
            .await
            .unwrap()
            .unwrap();
        let seal = |worker: &str| JobSeal {
            id: id("1"),
            worker: worker.into(),
        };
        // Rolled back: the seal goes with the data.
        let mut w = s.writer("anna", ChangeSource::Form).await.unwrap();
        assert!(w.seal_job(&seal("a")).await.unwrap());
        w.rollback().await.unwrap();
        assert!(!s.job(&id("1"), T0).await.unwrap().unwrap().committed);
        // Not held: refused.
        let mut w = s.writer("anna", ChangeSource::Form).await.unwrap();
        assert!(!w.seal_job(&seal("b")).await.unwrap());
        w.rollback().await.unwrap();
        // Committed once; a takeover sees it and cannot seal again.
        let mut w = s.writer("anna", ChangeSource::Form).await.unwrap();
        assert!(w.seal_job(&seal("a")).await.unwrap());
        w.commit().await.unwrap();
        let b = s
            .claim_job("report", "b", LEASE, T0 + LEASE + 1)
            .await
            .unwrap()
            .unwrap();
        assert!(b.committed, "the taker-over knows the data is in");
        let mut w = s.writer("anna", ChangeSource::Form).await.unwrap();
        assert!(!w.seal_job(&seal("b")).await.unwrap());
        w.rollback().await.unwrap();

        // Cancelling asked for (from any process) before the commit: no seal.
        start(s, "2", "anna", T0).await.unwrap();
        s.claim_job("report", "a", LEASE, T0)
            .await
            .unwrap()
            .unwrap();
        s.cancel_job(&id("2"), "{}", T0).await.unwrap();
        let mut w = s.writer("anna", ChangeSource::Form).await.unwrap();
        let two = JobSeal {
            id: id("2"),
            worker: "a".into(),
        };
        assert!(!w.seal_job(&two).await.unwrap());
        assert!(w.job_cancel_requested(&two.id).await.unwrap());
        w.rollback().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn cancelling_stops_a_waiting_job_at_once_and_flags_a_running_one() {
    for db in TestDb::all().await {
        let s = &db.store;
        start(s, "1", "anna", T0).await.unwrap();
        s.cancel_job(&id("1"), r#"{"errors":["avbröts"]}"#, T0)
            .await
            .unwrap();
        let row = s.job(&id("1"), T0).await.unwrap().unwrap();
        assert_eq!(row.state, JobStatus::Cancelled);
        assert!(s
            .claim_job("report", "a", LEASE, T0)
            .await
            .unwrap()
            .is_none());

        start(s, "2", "anna", T0).await.unwrap();
        s.claim_job("report", "a", LEASE, T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.job_heartbeat(&id("2"), "a", LEASE, T0, None)
                .await
                .unwrap(),
            Some(false)
        );
        s.cancel_job(&id("2"), "{}", T0).await.unwrap();
        assert_eq!(
            s.job_heartbeat(&id("2"), "a", LEASE, T0, None)
                .await
                .unwrap(),
            Some(true),
            "the worker sees the flag"
        );
        let row = s.job(&id("2"), T0).await.unwrap().unwrap();
        assert_eq!(row.state, JobStatus::Running, "until its worker stops it");
        let cancelled = JobOutcome::Json {
            state: JobStatus::Cancelled,
            json: "{}".into(),
        };
        assert!(s
            .finish_job(&id("2"), "a", cancelled, 100, T0)
            .await
            .unwrap());
        db.finish().await;
    }
}

#[tokio::test]
async fn the_caps_refuse_without_writing_and_kept_jobs_are_bounded_oldest_first() {
    for db in TestDb::all().await {
        let s = &db.store;
        start(s, "1", "anna", T0).await.unwrap();
        start(s, "2", "anna", T0).await.unwrap();
        assert_eq!(
            start(s, "3", "anna", T0).await,
            Err(JobRefused::UserBusy(2))
        );
        start(s, "4", "bo", T0).await.unwrap();
        assert_eq!(
            start(s, "5", "carl", T0).await,
            Err(JobRefused::ServerBusy(3))
        );
        assert!(
            s.job(&id("3"), T0).await.unwrap().is_none(),
            "refused: not written"
        );
        assert!(s.job(&id("5"), T0).await.unwrap().is_none());
        // Another kind has its own caps.
        let other = NewJob {
            kind: "import".into(),
            ..job("6", "carl")
        };
        s.start_job(&other, &limits(), T0).await.unwrap().unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn a_users_kept_jobs_and_the_kept_bytes_are_bounded_oldest_finished_first() {
    for db in TestDb::all().await {
        let s = &db.store;
        for (i, n) in ["a1", "a2", "a3", "a4"].into_iter().enumerate() {
            finished(s, n, "anna", 10, T0 + i as i64).await;
        }
        assert!(s.job(&id("a1"), T0 + 10).await.unwrap().is_none());
        assert!(s.job(&id("a2"), T0 + 10).await.unwrap().is_some());
        // 3 × (10 + 6) kept; 66 more: the oldest finished goes until it fits in 100.
        finished(s, "b1", "bo", 60, T0 + 20).await;
        assert!(s.job(&id("b1"), T0 + 20).await.unwrap().is_some());
        assert!(s.job(&id("a2"), T0 + 20).await.unwrap().is_none());
        assert!(s.job(&id("a3"), T0 + 20).await.unwrap().is_some());
        assert!(s.job(&id("a4"), T0 + 20).await.unwrap().is_some());
        assert_eq!(s.job_file(&id("b1")).await.unwrap().unwrap().len(), 60);
        db.finish().await;
    }
}

#[tokio::test]
async fn finished_jobs_are_forgotten_after_an_hour() {
    for db in TestDb::all().await {
        let s = &db.store;
        finished(s, "1", "anna", 5, T0).await;
        assert!(s.job(&id("1"), T0 + JOB_KEEP_MS).await.unwrap().is_some());
        assert!(s
            .job(&id("1"), T0 + JOB_KEEP_MS + 1)
            .await
            .unwrap()
            .is_none());
        assert_eq!(s.purge_jobs("{}", T0 + JOB_KEEP_MS - 1).await.unwrap(), 0);
        assert_eq!(s.purge_jobs("{}", T0 + JOB_KEEP_MS + 1).await.unwrap(), 1);
        assert!(s.job_file(&id("1")).await.unwrap().is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn an_upload_is_its_owners_bounded_in_bytes_and_keeps_the_choices() {
    for db in TestDb::all().await {
        let s = &db.store;
        s.put_upload("t1", "anna", "a.csv", &[1; 40], 100, T0)
            .await
            .unwrap();
        s.put_upload("t2", "anna", "b.csv", &[2; 40], 100, T0 + 1)
            .await
            .unwrap();
        let got = s.upload("t1", "anna", T0 + 2).await.unwrap().unwrap();
        assert_eq!((got.file_name.as_str(), got.size), ("a.csv", 40));
        assert!(
            s.upload("t1", "bo", T0 + 2).await.unwrap().is_none(),
            "not bo's"
        );
        // 40 more bytes: the oldest goes.
        s.put_upload("t3", "bo", "c.csv", &[3; 40], 100, T0 + 3)
            .await
            .unwrap();
        assert!(s.upload("t1", "anna", T0 + 4).await.unwrap().is_none());
        assert_eq!(s.upload_bytes("t2").await.unwrap().unwrap(), vec![2; 40]);
        s.set_upload_choice("t2", Some("Blad 2"), Some("[[\"value\",1]]"))
            .await
            .unwrap();
        let got = s.upload("t2", "anna", T0 + 4).await.unwrap().unwrap();
        assert_eq!(got.sheet.as_deref(), Some("Blad 2"));
        assert_eq!(got.mapping.as_deref(), Some("[[\"value\",1]]"));
        assert!(s
            .upload("t2", "anna", T0 + 1 + uppsikt_store::UPLOAD_KEEP_MS + 1)
            .await
            .unwrap()
            .is_none());
        s.remove_upload("t2").await.unwrap();
        assert!(s.upload_bytes("t2").await.unwrap().is_none());
        db.finish().await;
    }
}
