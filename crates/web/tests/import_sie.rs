//! The SIE 4 upload on the Data in page (`POST /import/sie`), on every backend: a
//! controller's file is imported as a job (CP437 names, signs, the board's remainder); a
//! file with an unmapped account fails with its line and writes nothing; an editor is
//! refused (403) and anonymous visitors are sent to sign in, nothing read or written.

mod common;

use std::time::Duration;

use common::{apps, App, Session};
use uppsikt_domain::economy::{AccountRange, Amount, LedgerUnit};
use uppsikt_import::sie::encode_cp437;

async fn wait_for(app: &App, s: &Session, job: &str) -> String {
    for _ in 0..600 {
        let r = app
            .client
            .get(app.url(&format!("{job}/status")))
            .header("cookie", &s.cookie)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        let state = v["state"].as_str().unwrap().to_string();
        if state != "running" {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

fn sie(extra: &str) -> Vec<u8> {
    encode_cp437(&format!(
        "#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20240101 20241231\r\n#DIM 1 \"Ansvar\"\r\n\
#OBJEKT 1 \"100\" \"Ekonomiavdelningen på Sjödalsvägen\"\r\n#KONTO 5010 \"Löner\"\r\n\
#PSALDO 0 202401 5010 {{1 \"100\"}} 1000.00\r\n#PBUDGET 0 202401 5010 {{1 \"100\"}} 1200.00\r\n\
#PSALDO 0 202401 5010 {{}} 1500.00\r\n{extra}"
    ))
}

async fn post(app: &App, s: Option<&Session>, bytes: Vec<u8>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some(s) = s {
        form = form.text("csrf", s.csrf.clone());
    }
    let form = form.text("unit", "ks").part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("bok.se"),
    );
    let mut req = app.client.post(app.url("/import/sie")).multipart(form);
    if let Some(s) = s {
        req = req.header("cookie", &s.cookie);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_controller_imports_a_ledger_file_and_others_are_refused() {
    for app in apps().await {
        let store = app.store();
        let units = store.org_units().await.unwrap();
        let id = |k: &str| units.iter().find(|u| u.key == k).unwrap().id;
        let (ks, eko) = (id("ks"), id("ksf-ekonomi"));
        let lines = || async move { store.budget_lines(&[ks, eko], 2024, 2024).await.unwrap() };

        let editor = app.session_for("redaktor-ks").await;
        let (status, html) = app.get_as(Some(&editor), "/import").await;
        assert_eq!(status, 200);
        assert!(!html.contains("/import/sie"), "the form is for controllers");
        let r = post(&app, Some(&editor), sie("")).await;
        assert_eq!(r.status().as_u16(), 403);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Bara controller och administratörer kan föra ekonomiregistret"),
            "the guard, not the form check: {body}"
        );
        let r = post(&app, None, sie("")).await;
        assert_ne!(r.status().as_u16(), 200);
        assert!(r.status().is_redirection() || r.status().is_client_error());
        assert!(lines().await.is_empty(), "nothing written");

        let c = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&c), "/import").await;
        assert_eq!(status, 200);
        assert!(html.contains("action=\"/import/sie\""), "{html}");

        // The demo's cost types have no accounts: the file fails at its first row.
        let r = post(&app, Some(&c), sie("")).await;
        assert_eq!(r.status().as_u16(), 303);
        let job = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(wait_for(&app, &c, &job).await, "failed");
        let (_, page) = app.get_as(Some(&c), &job).await;
        assert!(page.contains("rad 8"), "{page}");
        assert!(page.contains("Kontot 5010"), "{page}");
        assert!(lines().await.is_empty(), "nothing written");

        // Mapped, it loads.
        let mut w = store
            .writer("test", uppsikt_store::ChangeSource::Cli)
            .await
            .unwrap();
        let mut personal = store
            .cost_types()
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.code == "personal")
            .unwrap();
        personal.ranges = vec![AccountRange::parse("5000-5999").unwrap()];
        w.put_cost_type(&personal).await.unwrap();
        w.put_ledger_unit(&LedgerUnit {
            object_code: "100".into(),
            unit_id: eko,
            ledger_name: String::new(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let r = post(&app, Some(&c), sie("")).await;
        let job = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(wait_for(&app, &c, &job).await, "done");
        let got = lines().await;
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got
            .iter()
            .any(|l| l.unit_id == eko && l.amount == Amount(-100_000)));
        assert!(got
            .iter()
            .any(|l| l.unit_id == ks && l.amount == Amount(-50_000)));
        app.finish().await;
    }
}
