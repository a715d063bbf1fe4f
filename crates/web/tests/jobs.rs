//! Background jobs over HTTP, on every backend: a report or import job has an id nobody can
//! guess, and only its owner (for imports also a controller) finds it; anyone else gets
//! the same 404 as for an unknown id. One reader cannot start report builds without
//! limit (429 with a Swedish answer beyond two running, nothing started), the server runs
//! only so many at once while another user can still start one, and a user's finished
//! reports are kept only up to a count, the oldest forgotten first.

mod common;

use std::time::Duration;

use common::{apps, App, Session};

/// The guessable-looking id nobody has: answered like every job that is not yours.
const UNKNOWN: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn is_token(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// POSTs the report form for `org` as `s`: (status, body, Location).
async fn start_report(
    app: &App,
    s: &Session,
    org: i64,
    format: &str,
) -> (u16, String, Option<String>) {
    app.post_as(
        Some(s),
        &format!("/org/{org}/reports"),
        &[
            ("kind", "verksamhetsberattelse"),
            ("period", "2019"),
            ("format", format),
        ],
    )
    .await
}

/// Polls a job's status as `s` until it no longer runs; returns its state.
async fn wait_for(app: &App, s: &Session, job: &str) -> String {
    for _ in 0..1200 {
        let (status, body) = app.get_as(Some(s), &format!("{job}/status")).await;
        assert_eq!(status, 200, "{job}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let state = v["state"].as_str().unwrap().to_string();
        if state != "running" {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{job} did not finish");
}

#[tokio::test]
async fn a_report_job_has_an_unguessable_id_and_only_its_owner_finds_it() {
    for app in apps().await {
        let reader = app.session_for("lasare").await;
        let ks = app.org_id("KS").await;
        let (status, _, location) = start_report(&app, &reader, ks, "html").await;
        assert_eq!(status, 303);
        let job = location.unwrap();
        let id = job.strip_prefix("/reports/").unwrap();
        assert!(is_token(id), "{job}");
        assert_eq!(wait_for(&app, &reader, &job).await, "ready");
        let (status, html) = app.get_as(Some(&reader), &format!("{job}/download")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Verksamhetsberättelse"));

        for other in ["revisor", "controller", "admin", "redaktor-ks"] {
            let s = app.session_for(other).await;
            let (_, unknown) = app.get_as(Some(&s), &format!("/reports/{UNKNOWN}")).await;
            for path in [
                job.clone(),
                format!("{job}/status"),
                format!("{job}/download"),
            ] {
                let (status, body) = app.get_as(Some(&s), &path).await;
                assert_eq!(status, 404, "{other} {path}");
                assert_eq!(body, unknown, "{other} {path}: the same answer as no job");
            }
        }
        // A counter's first value finds nothing either.
        for path in ["/reports/1", "/reports/1/status", "/reports/1/download"] {
            let (status, _) = app.get_as(Some(&reader), path).await;
            assert_eq!(status, 404, "{path}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn an_import_job_has_an_unguessable_id_and_only_its_owner_or_a_controller_follows_it() {
    for app in apps().await {
        // An editor imports outcomes of their own board's indicator.
        let editor = app.session_for("redaktor-ks").await;
        let csv = "Mått;Period;Uppdelning;Värde\nks-antal-fardigstallda-bostader;2024;Totalt;750\n";
        let (status, _, location) = app
            .upload(&editor, "utfall.csv", csv.as_bytes().to_vec(), true)
            .await;
        assert_eq!(status, 303);
        let preview = location.unwrap();
        let (status, _, location) = app
            .post_as(Some(&editor), &format!("{preview}/commit"), &[])
            .await;
        assert_eq!(status, 303, "{preview}");
        let job = location.unwrap();
        let id = job.strip_prefix("/imports/").unwrap();
        assert!(is_token(id), "{job}");
        wait_for(&app, &editor, &job).await;

        // Another editor: the same 404 as for no job, and cancelling is refused alike.
        let other = app.session_for("redaktor-fsn").await;
        let (_, unknown) = app
            .get_as(Some(&other), &format!("/imports/{UNKNOWN}"))
            .await;
        for path in [job.clone(), format!("{job}/status")] {
            let (status, body) = app.get_as(Some(&other), &path).await;
            assert_eq!((status, body.as_str()), (404, unknown.as_str()), "{path}");
        }
        let (status, _, _) = app
            .post_as(Some(&other), &format!("{job}/cancel"), &[])
            .await;
        assert_eq!(status, 404);
        let (status, _) = app.get_as(Some(&other), "/imports/1").await;
        assert_eq!(status, 404);
        // A controller follows every import, as before.
        let controller = app.session_for("controller").await;
        let (status, _) = app.get_as(Some(&controller), &job).await;
        assert_eq!(status, 200);
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_cannot_start_reports_without_limit_and_another_user_still_can() {
    for app in apps().await {
        let reader = app.session_for("lasare").await;
        let all = app.org_id("Huddinge").await;
        // Eight municipality-wide PDFs at once (each takes the better part of a second).
        let answers = start_reports_at_once(&app, &reader, all, 8).await;
        let started: Vec<String> = answers.iter().filter_map(|a| a.2.clone()).collect();
        let refused: Vec<&(u16, String, Option<String>)> =
            answers.iter().filter(|a| a.0 == 429).collect();
        assert!(
            (2..=3).contains(&started.len()),
            "two run at a time: {:?}",
            answers.iter().map(|a| a.0).collect::<Vec<_>>()
        );
        assert_eq!(started.len() + refused.len(), 8);
        for (_, html, location) in &refused {
            assert!(location.is_none(), "a refusal starts nothing");
            assert!(
                html.contains("Du har redan 2 rapporter som skapas")
                    && html.contains("Ingen ny rapport har påbörjats"),
                "{html}"
            );
        }
        // Another reader of everything still gets one, and a controller too…
        let auditor = app.session_for("revisor").await;
        let (status, _, audit) = start_report(&app, &auditor, all, "pdf").await;
        assert_eq!(status, 303);
        let controller = app.session_for("controller").await;
        let (status, _, control) = start_report(&app, &controller, all, "pdf").await;
        assert_eq!(status, 303);
        // …until the server runs four: then everyone waits.
        let admin = app.session_for("admin").await;
        let (status, html, location) = start_report(&app, &admin, all, "pdf").await;
        assert_eq!((status, location), (429, None), "{html}");
        assert!(html.contains("Många rapporter skapas just nu"), "{html}");

        for job in &started {
            assert_eq!(wait_for(&app, &reader, job).await, "ready");
        }
        assert_eq!(wait_for(&app, &auditor, &audit.unwrap()).await, "ready");
        assert_eq!(
            wait_for(&app, &controller, &control.unwrap()).await,
            "ready"
        );
        // Done, the reader may start again.
        let (status, _, again) = start_report(&app, &reader, all, "html").await;
        assert_eq!(status, 303);
        wait_for(&app, &reader, &again.unwrap()).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_users_finished_reports_are_kept_up_to_ten_the_oldest_forgotten_first() {
    for app in apps().await {
        let reader = app.session_for("lasare").await;
        let auditor = app.session_for("revisor").await;
        let ks = app.org_id("KS").await;
        let (_, _, theirs) = start_report(&app, &auditor, ks, "html").await;
        let theirs = theirs.unwrap();
        wait_for(&app, &auditor, &theirs).await;
        let mut jobs = Vec::new();
        for _ in 0..11 {
            let (status, _, location) = start_report(&app, &reader, ks, "html").await;
            assert_eq!(status, 303);
            let job = location.unwrap();
            assert_eq!(wait_for(&app, &reader, &job).await, "ready");
            jobs.push(job);
        }
        let (status, _) = app.get_as(Some(&reader), &jobs[0]).await;
        assert_eq!(status, 404, "the oldest is forgotten");
        for job in &jobs[1..] {
            let (status, _) = app.get_as(Some(&reader), &format!("{job}/download")).await;
            assert_eq!(status, 200, "{job}");
        }
        let (status, _) = app.get_as(Some(&auditor), &theirs).await;
        assert_eq!(
            status, 200,
            "another user's report is not the reader's to lose"
        );
        app.finish().await;
    }
}

/// POSTs the report form for `org` as `s` `n` times at once: each (status, body, Location).
async fn start_reports_at_once(
    app: &App,
    s: &Session,
    org: i64,
    n: usize,
) -> Vec<(u16, String, Option<String>)> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url(&format!("/org/{org}/reports"));
            let s = s.clone();
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .header("cookie", &s.cookie)
                    .form(&[
                        ("kind", "verksamhetsberattelse"),
                        ("period", "2019"),
                        ("format", "pdf"),
                        ("csrf", s.csrf.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                common::answer(r).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}
