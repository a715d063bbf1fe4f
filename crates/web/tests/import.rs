//! Importing outcomes from a file over HTTP, on every backend: the template, an upload
//! with errors (every row reported, nothing saved), a valid upload previewed, its columns
//! changed, committed as a background job, cancelled without leaving anything, and the
//! refusals (no CSRF token, too large, someone else's upload, a reader).

mod common;

use std::time::Duration;

use common::{apps, App, Session};
use uppsikt_domain::{Breakdown, Period};

/// Polls an import job until it is no longer running; returns its final state.
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

async fn outcome_count(app: &App) -> i64 {
    app.store()
        .indicator_records(uppsikt_store::Scope::All)
        .await
        .unwrap()
        .iter()
        .map(|r| r.outcomes.len() as i64)
        .sum()
}

#[tokio::test]
async fn a_file_is_previewed_row_by_row_and_imported_all_or_nothing() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&c), "/import").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("/import/outcomes/template.xlsx") && html.contains("/kolada"));
        let r = app
            .client
            .get(app.url("/import/outcomes/template.csv"))
            .header("cookie", &c.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let csv = r.text().await.unwrap();
        assert!(
            csv.starts_with('\u{feff}') && csv.contains("Mått;Period;Uppdelning;Värde"),
            "{csv}"
        );
        let r = app
            .client
            .get(app.url("/import/outcomes/template.xlsx"))
            .header("cookie", &c.cookie)
            .send()
            .await
            .unwrap();
        assert!(
            r.bytes().await.unwrap().starts_with(b"PK"),
            "an XLSX is a zip"
        );

        // Every wrong row is reported; nothing is saved.
        let before = outcome_count(&app).await;
        let bad = "Mått;Period;Uppdelning;Värde\n\
                   kf-trygg-utomhus;2024;Totalt;65,5\n\
                   inget-sadant-matt;2024;;10\n\
                   kf-trygg-utomhus;2024X;;10\n\
                   kf-trygg-utomhus;2025;Kvinnor;sextio\n\
                   kf-trygg-utomhus;2024;Totalt;66\n\
                   kf-trygg-utomhus;2026;Män;120\n";
        let (status, _, location) = app
            .upload(&c, "trygghet.csv", bad.as_bytes().to_vec(), true)
            .await;
        assert_eq!(status, 303);
        let preview = location.unwrap();
        let (status, html) = app.get_as(Some(&c), &preview).await;
        assert_eq!(status, 200, "{html}");
        for row in ["rad 3", "rad 4", "rad 5", "rad 6", "rad 7"] {
            assert!(html.contains(row), "{row} is reported: {html}");
        }
        assert!(html.contains("5 fel"), "{html}");
        assert!(
            !html.contains("id=\"import-commit\""),
            "no commit while there are errors"
        );
        let token = preview.rsplit('/').next().unwrap();
        let (status, html, _) = app
            .post_as(Some(&c), &format!("/import/outcomes/{token}/commit"), &[])
            .await;
        assert_eq!(status, 409, "a commit with errors is refused: {html}");
        assert_eq!(outcome_count(&app).await, before, "nothing saved");

        // A valid file: previewed, its columns chosen, then imported as a job.
        let good = "Indikator,År,Kön,Utfall,Kommentar\n\
                    \"Trygg utomhus i området där du bor när det är mörkt ute, andel\",2024,Totalt,\"65,5\",ny enkät\n\
                    kf-trygg-utomhus,2024,Kvinnor,\"58,0\",\n\
                    kf-trygg-utomhus,2023,Totalt,\"63,5\",\n\
                    kf-trygg-utomhus,2024,Område: Vårby,\"51,2\",\n";
        let (_, _, location) = app
            .upload(&c, "trygghet 2024.csv", good.as_bytes().to_vec(), true)
            .await;
        let preview = location.unwrap();
        let token = preview.rsplit('/').next().unwrap().to_string();
        let (_, html) = app.get_as(Some(&c), &preview).await;
        assert!(
            html.contains("id=\"count-new\">3<") && html.contains("id=\"count-unchanged\">1<"),
            "{html}"
        );
        assert!(html.contains("Importeras inte: Kommentar"), "{html}");
        // Choosing no column for Uppdelning makes the women's row a duplicate total.
        let (status, _, _) = app
            .post_as(
                Some(&c),
                &format!("/import/outcomes/{token}/columns"),
                &[
                    ("indicator", "0"),
                    ("period", "1"),
                    ("breakdown", ""),
                    ("value", "3"),
                    ("margin", ""),
                    ("sample_size", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = app.get_as(Some(&c), &preview).await;
        assert!(
            html.contains("fel") && !html.contains("id=\"import-commit\""),
            "{html}"
        );
        assert!(
            html.contains("<option value=\"\" selected>(ingen kolumn)</option>"),
            "the choice is kept"
        );
        app.post_as(
            Some(&c),
            &format!("/import/outcomes/{token}/columns"),
            &[
                ("indicator", "0"),
                ("period", "1"),
                ("breakdown", "2"),
                ("value", "3"),
                ("margin", ""),
                ("sample_size", ""),
            ],
        )
        .await;
        // Someone else cannot see or commit the upload.
        let other = app.session_for("redaktor-ks").await;
        let (status, _) = app.get_as(Some(&other), &preview).await;
        assert_eq!(status, 404);
        // Nor change its columns or commit it (the upload is a row any process finds, but
        // only for its owner); the owner's choice and file stay as they were.
        for path in [
            format!("/import/outcomes/{token}/columns"),
            format!("/import/outcomes/{token}/commit"),
        ] {
            let (status, _, location) = app
                .post_as(Some(&other), &path, &[("value", "0"), ("indicator", "3")])
                .await;
            assert_eq!((status, location), (404, None), "{path}");
        }
        let (status, _, location) = app
            .post_as(Some(&c), &format!("/import/outcomes/{token}/commit"), &[])
            .await;
        assert_eq!(status, 303);
        let job = location.unwrap();
        assert!(job.starts_with("/imports/"));
        assert_eq!(wait_for(&app, &c, &job).await, "done");
        let (_, html) = app.get_as(Some(&c), &job).await;
        assert!(
            html.contains("Importen är klar") && html.contains("3 nya utfall"),
            "{html}"
        );
        assert_eq!(outcome_count(&app).await, before + 3);
        let id = app.indicator_id("Trygg utomhus").await;
        let r = app.store().indicator_record(id).await.unwrap();
        let vårby = r
            .outcomes
            .iter()
            .find(|o| {
                o.breakdown == Breakdown::Area("Vårby".into()) && o.period == Period::Year(2024)
            })
            .unwrap();
        assert_eq!(vårby.value, 51.2);
        let (_, html) = app
            .get_as(Some(&c), &format!("/history/indicators/{id}"))
            .await;
        assert!(
            html.contains("Test controller"),
            "the import is in the indicator's history, under the person's name"
        );
        assert!(
            html.contains("import av trygghet 2024.csv")
                && html.contains("Utfall 2024 Totalt: – → 65,5"),
            "the history names the file and reads the change: {html}"
        );
        let (status, _) = app.get_as(Some(&c), &preview).await;
        assert_eq!(status, 404, "a committed upload is gone");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_import_can_be_cancelled_without_leaving_anything() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let mut csv = String::from("Mått;Period;Uppdelning;Värde\n");
        for week in 1..=52 {
            for year in 1990..2030 {
                csv.push_str(&format!(
                    "kf-trygg-utomhus;{year}W{week:02};Totalt;{},5\n",
                    week % 100
                ));
            }
        }
        let before = outcome_count(&app).await;
        let (_, _, location) = app.upload(&c, "veckor.csv", csv.into_bytes(), true).await;
        let token = location.unwrap().rsplit('/').next().unwrap().to_string();
        let (_, _, location) = app
            .post_as(Some(&c), &format!("/import/outcomes/{token}/commit"), &[])
            .await;
        let job = location.unwrap();
        let (status, _, _) = app.post_as(Some(&c), &format!("{job}/cancel"), &[]).await;
        assert_eq!(status, 303);
        assert_eq!(wait_for(&app, &c, &job).await, "cancelled");
        let (_, html) = app.get_as(Some(&c), &job).await;
        assert!(html.contains("Importen avbröts"), "{html}");
        assert_eq!(
            outcome_count(&app).await,
            before,
            "nothing of a cancelled import is kept"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn uploads_need_the_token_the_right_and_a_reasonable_size() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let (status, html, _) = app
            .upload(
                &c,
                "a.csv",
                b"M\xc3\xa5tt;Period;V\xc3\xa4rde\n".to_vec(),
                false,
            )
            .await;
        assert_eq!(status, 403, "no CSRF token: {html}");
        let (status, html, _) = app
            .upload(&c, "stor.csv", vec![b'x'; 21 * 1024 * 1024], true)
            .await;
        assert_eq!(status, 413, "{html}");
        assert!(html.contains("högst 20 MB"), "{html}");
        let (status, html, _) = app.upload(&c, "tom.csv", Vec::new(), true).await;
        assert_eq!(status, 422);
        assert!(html.contains("är tom"), "{html}");
        let (status, html, _) = app
            .upload(&c, "bild.png", b"\x89PNG\r\n\x1a\n\0\0\0".to_vec(), true)
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Filen kunde inte läsas"));
        let reader = app.session_for("lasare").await;
        let (status, _) = app.get_as(Some(&reader), "/import").await;
        assert_eq!(status, 403);
        app.finish().await;
    }
}
