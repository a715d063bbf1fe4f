//! Sign-in, sessions and response headers (issue 14, items 5–9), over HTTP on the real
//! server, on SQLite and (when reachable) PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::{App, Session};
use uppsikt_web::ServerOptions;

async fn each(options: ServerOptions, test: impl AsyncFn(&App)) {
    for app in common::apps_with(options).await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

async fn each_default(test: impl AsyncFn(&App)) {
    each(ServerOptions::default(), test).await;
}

/// A client like a browser with no cookies: it names no origin unless told.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    async fn of(r: reqwest::Response) -> Answer {
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn get_as(app: &App, session: Option<&Session>, path: &str) -> Answer {
    let mut req = app.client.get(app.url(path));
    if let Some(s) = session {
        req = req.header("cookie", &s.cookie);
    }
    Answer::of(req.send().await.unwrap()).await
}

async fn ks_indicator(app: &App) -> i64 {
    let ks = app.org_id("KS").await;
    app.store()
        .indicator_records(uppsikt_store::Scope::Org(ks))
        .await
        .unwrap()
        .first()
        .unwrap()
        .indicator
        .id
}

// --- item 5: caches and HTTPS ------------------------------------------------------------------

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A report built in the background, downloaded when ready.
async fn report_pdf(app: &App, session: &Session) -> Answer {
    let ks = app.org_id("KS").await;
    let (status, _, location) = app
        .post_as(
            Some(session),
            &format!("/org/{ks}/reports"),
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "pdf"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let job = location.unwrap();
    let started = Instant::now();
    loop {
        let status = get_as(app, Some(session), &format!("{job}/status")).await;
        assert_eq!(status.header("cache-control"), Some("no-store"));
        if status.body.contains("ready") {
            break;
        }
        assert!(!status.body.contains("failed"), "{}", status.body);
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "report not built"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    get_as(app, Some(session), &format!("{job}/download")).await
}

#[tokio::test]
async fn signed_in_answers_are_never_stored_and_every_answer_asks_for_https() {
    each_default(async |app| {
        let auditor = app.session_for("revisor").await;
        let ind = ks_indicator(app).await;
        let mut signed_in = vec![
            (
                "API JSON",
                get_as(app, Some(&auditor), "/api/v1/org-units").await,
            ),
            (
                "Uppsikt workbook",
                get_as(app, Some(&auditor), "/uppsikt/export.xlsx").await,
            ),
            (
                "change-log CSV",
                get_as(app, Some(&auditor), "/history/export.csv?from=2000-01-01").await,
            ),
            ("report PDF", report_pdf(app, &auditor).await),
            ("HTML page", get_as(app, Some(&auditor), "/").await),
            (
                "not found",
                get_as(app, Some(&auditor), "/finns-inte").await,
            ),
            (
                "refusal",
                get_as(app, Some(&auditor), &format!("/indicators/{ind}/outcomes")).await,
            ),
        ];
        // A redirect after a saved form.
        let admin = app.session.clone().unwrap();
        let r = app
            .client
            .post(app.url(&format!("/indicators/{ind}/outcomes")))
            .header("cookie", &admin.cookie)
            .form(&[
                ("period", "2024"),
                ("breakdown", "total"),
                ("value", "42"),
                ("csrf", admin.csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        signed_in.push(("redirect", Answer::of(r).await));
        let expected_status = [200, 200, 200, 200, 200, 404, 403, 303];
        for ((what, answer), status) in signed_in.iter().zip(expected_status) {
            assert_eq!(answer.status, status, "{what}");
            assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
            assert_eq!(
                answer.header("strict-transport-security"),
                Some(HSTS),
                "{what}"
            );
            // The existing protections stay.
            assert_eq!(
                answer.header("x-content-type-options"),
                Some("nosniff"),
                "{what}"
            );
            assert!(answer.header("content-security-policy").is_some(), "{what}");
        }
        assert!(signed_in[3]
            .1
            .header("content-type")
            .unwrap()
            .contains("pdf"));
        // The public gets HTTPS pinned too; the shared style sheet stays cacheable.
        for path in [
            "/",
            "/healthz",
            "/static/style.css",
            "/login",
            "/indicators/1",
        ] {
            let answer = get_as(app, None, path).await;
            assert_eq!(
                answer.header("strict-transport-security"),
                Some(HSTS),
                "{path}"
            );
        }
        let css = get_as(app, Some(&auditor), "/static/style.css").await;
        assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));
    })
    .await;
}
