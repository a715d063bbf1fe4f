//! The decided document (issue 17): locking a period stores the board version of the
//! report it decided (PDF, SHA-256, the decision); the reports page lists it with its hash
//! and serves it byte for byte; a rebuild for the decided period is a marked draft that
//! links to it; reopening the period keeps it. Only signed-in people get it, and a refused
//! lock stores nothing. On every backend.

mod common;

use common::{apps, App, KS_2019_DECISION};
use sha2::{Digest, Sha256};

async fn each(test: impl AsyncFn(&App)) {
    for app in apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Starts a report and waits for it; returns the downloaded body.
async fn report(app: &App, org: i64, form: &[(&str, &str)]) -> String {
    let (status, body, location) = app.post(&format!("/org/{org}/reports"), form).await;
    assert_eq!(status, 303, "{body}");
    let job = location.unwrap();
    for _ in 0..600 {
        let (_, s) = app.json(&format!("{job}/status")).await;
        if s["state"] == "ready" {
            let (status, body) = app.get(&format!("{job}/download")).await;
            assert_eq!(status, 200);
            return body;
        }
        assert_ne!(s["state"], "failed", "{s}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the report did not finish");
}

#[tokio::test]
async fn locking_a_period_stores_the_decided_report_and_a_rebuild_is_a_draft() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        assert!(app
            .store()
            .decided_documents(Some(ks))
            .await
            .unwrap()
            .is_empty());
        let (_, page) = app.get(&format!("/org/{ks}/reports")).await;
        assert!(page.contains("Inga beslutade dokument ännu"));

        let (status, body, _) = app
            .post(&format!("/org/{ks}/lock"), &KS_2019_DECISION)
            .await;
        assert_eq!(status, 303, "{body}");
        let docs = app.store().decided_documents(Some(ks)).await.unwrap();
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc.kind, "verksamhetsberattelse");
        assert_eq!(doc.period.to_string(), "2019");
        assert_eq!(
            (
                doc.diary_number.as_str(),
                doc.paragraph.as_str(),
                doc.decided_on.as_str()
            ),
            ("KS-2020/123", "§ 45", "2020-03-30")
        );
        assert!(doc.in_force);
        assert_eq!(doc.title, "Verksamhetsberättelse 2019 – Kommunstyrelsen");

        // Served byte for byte, the hash in a header and on the page.
        let r = app
            .client
            .get(app.url(&format!("/documents/{}", doc.id)))
            .header("cookie", &app.session.as_ref().unwrap().cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(
            r.headers()["x-uppsikt-sha256"].to_str().unwrap(),
            doc.sha256
        );
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        assert_eq!(hex(&bytes), doc.sha256);
        let (_, page) = app.get(&format!("/org/{ks}/reports")).await;
        assert!(page.contains(&format!("href=\"/documents/{}\"", doc.id)));
        assert!(page.contains(&doc.sha256));
        assert!(page.contains("KS-2020/123"));

        // The lock and the stored document are in the unit's history.
        let log = app
            .store()
            .history(uppsikt_domain::object_kind::ObjectKind::OrgUnit, ks, 100)
            .await
            .unwrap();
        assert!(
            log.iter().any(|e| e.object_type == "decided_document"
                && e.after_value
                    .as_deref()
                    .is_some_and(|a| a.contains(&doc.sha256))),
            "logged with its hash"
        );

        // A rebuild for the decided period is a draft linking to the decided document.
        let html = report(
            app,
            ks,
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "html"),
                ("version", "board"),
            ],
        )
        .await;
        assert!(html.contains("Utkast – inte det beslutade dokumentet"));
        assert!(html.contains(&format!("href=\"/documents/{}\"", doc.id)));

        // Reopening keeps the document; the page says the period was reopened.
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/reopen"),
                &[("period", "2019"), ("reason", "Rättelse av ett utfall")],
            )
            .await;
        assert_eq!(status, 303);
        let docs = app.store().decided_documents(Some(ks)).await.unwrap();
        assert_eq!(docs.len(), 1);
        assert!(!docs[0].in_force);
        assert_eq!(docs[0].sha256, doc.sha256);
        let (_, page) = app.get(&format!("/org/{ks}/reports")).await;
        assert!(page.contains("Perioden har öppnats igen efter beslutet."));
    })
    .await;
}

#[tokio::test]
async fn the_report_form_offers_board_and_working_versions_and_the_oversight_by_choice() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (_, page) = app.get(&format!("/org/{ks}/reports")).await;
        assert!(page.contains("<option value=\"board\" selected>Nämndversion"));
        assert!(page.contains("Arbetsversion"));
        assert!(page.contains("name=\"include-oversight\""));
        let working = report(
            app,
            ks,
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "html"),
                ("version", "working"),
                ("include-oversight", "1"),
            ],
        )
        .await;
        assert!(working.contains("Systemets förslag"));
        assert!(working.contains("dataversion"));
        assert!(
            working.contains(">Uppsikt"),
            "the oversight chapter, chosen"
        );
        let board = report(
            app,
            ks,
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "html"),
            ],
        )
        .await;
        assert!(!board.contains("Systemets förslag"));
        assert!(!board.contains(">Uppsikt"), "no oversight unless chosen");
        assert!(board.contains("Kriterier för måluppfyllelse"));
        // A version that is not offered is refused at its field, the input kept.
        let (status, html, _) = app
            .post(
                &format!("/org/{ks}/reports"),
                &[
                    ("kind", "verksamhetsberattelse"),
                    ("period", "2019"),
                    ("format", "html"),
                    ("version", "hemlig"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("f-version-error"));
    })
    .await;
}

#[tokio::test]
async fn decided_documents_are_for_signed_in_people_and_a_refused_lock_stores_nothing() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let editor = app.session_for("redaktor-ks").await;
        let version = app.store().data_version().await.unwrap();
        let (status, _, _) = app
            .post_as(Some(&editor), &format!("/org/{ks}/lock"), &KS_2019_DECISION)
            .await;
        assert_eq!(status, 403, "an editor may not lock");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        assert!(app
            .store()
            .decided_documents(None)
            .await
            .unwrap()
            .is_empty());
        let (status, _, _) = app
            .post(&format!("/org/{ks}/lock"), &KS_2019_DECISION)
            .await;
        assert_eq!(status, 303);
        let id = app.store().decided_documents(Some(ks)).await.unwrap()[0].id;
        // The public is sent to sign in; a reader may read it.
        let (status, _) = app.get_as(None, &format!("/documents/{id}")).await;
        assert_eq!(status, 303);
        let reader = app.session_for("lasare").await;
        let (status, _) = app.get_as(Some(&reader), &format!("/documents/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(app.get("/documents/999999").await.0, 404);
    })
    .await;
}
