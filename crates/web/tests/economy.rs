//! The economy and grants over HTTP on both backends, from the seeds' demo (KS 2019 of
//! seed 004, the grants of seeds 002 and 004): the board's page derives every sum from
//! the leaves (the investments show 86,0 where seed 004 prints 42,1), the varav rows and
//! explanations, exploitation, carry-overs with the 28,7 vs 33,5 note, and the equity
//! rule; the board page shows the year next to its goals; the grants show received →
//! allocated → spent with "andel bidragsfinansierad okänd" and the half-year check; the
//! public sees decided years only and no grants; the JSON API and its OpenAPI entries.

mod common;

use common::App;

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

async fn grant_id(app: &App, code: &str) -> i64 {
    app.store()
        .grants()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.code == code)
        .unwrap_or_else(|| panic!("the demo holds {code}"))
        .id
}

#[tokio::test]
async fn ks_2019_derives_every_sum_from_the_leaves() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (status, html) = app.get(&format!("/economy/{ks}/2019")).await;
        assert_eq!(status, 200, "{html}");
        for expected in [
            "Driftredovisning per kostnadsslag",
            "Taxor och avgifter",
            "Driftredovisning per ansvar",
            "varav Politisk verksamhet",
            "Kansliavdelningen",
            "−2,6",
            "Investeringar",
            // Investeringsprojekt from its leaves; seed 004 prints 42,1.
            "86,0",
            "Exploateringsresultat",
            "24,4",
            "Saldoöverföringar till 2020",
            "33,5",
            "28,7",
            "Eget kapital och resultatöverföring",
            "15,3",
            "Bidrag som berör",
        ] {
            assert!(html.contains(expected), "{expected} on the page");
        }
        assert!(
            !html.contains("42,1"),
            "the printed wrong total is not shown"
        );
        assert!(!html.contains("137,7"));
        assert!(!html.contains("163,7"));
        // The board page shows the year next to its goals.
        let (status, html) = app.get(&format!("/org/{ks}?period=2019")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Ekonomi 2019"), "{html}");
        assert!(html.contains(&format!("/economy/{ks}/2019")));
        let (status, html) = app.get("/economy").await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("/economy/{ks}/2019")), "{html}");
    })
    .await;
}

#[tokio::test]
async fn grants_show_received_allocated_spent_and_what_is_unknown() {
    each(async |app| {
        let (status, html) = app.get("/grants").await;
        assert_eq!(status, 200);
        assert!(html.contains("G-LAG2023"), "{html}");
        assert!(html.contains("G-SEG"));
        let lag = grant_id(app, "G-LAG2023").await;
        let (status, html) = app.get(&format!("/grants/{lag}")).await;
        assert_eq!(status, 200);
        for expected in [
            "1,9",
            "ca 2,4 miljoner kronor",
            "andel bidragsfinansierad okänd",
            "2023-10-27",
            "hälften vore 1,2 mnkr",
            "/history/grants/",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        let seg = grant_id(app, "G-SEG").await;
        let (_, html) = app.get(&format!("/grants/{seg}")).await;
        assert!(html.contains("saknar belopp i beslutet"), "{html}");
        let (status, html) = app.get(&format!("/history/grants/{lag}")).await;
        assert_eq!(status, 200, "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_api_serves_computed_economy_and_grants() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (status, doc) = app.json(&format!("/api/v1/economy/{ks}/2019")).await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["amount_unit"], "öre");
        let investments = doc["economy"]["investments"].as_array().unwrap();
        let projects = investments
            .iter()
            .find(|r| r["name"] == "Investeringsprojekt")
            .expect("Investeringsprojekt");
        assert_eq!(projects["deviation"], 8_600_000_000_i64);
        let (status, doc) = app.json("/api/v1/grants").await;
        assert_eq!(status, 200);
        let codes: Vec<&str> = doc["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["grant"]["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&"G-LAG2023"), "{codes:?}");
        let lag = grant_id(app, "G-LAG2023").await;
        let (status, doc) = app.json(&format!("/api/v1/grants/{lag}")).await;
        assert_eq!(status, 200);
        assert!(doc["grant"]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "share_unknown"));
        let (status, _) = app.json("/api/v1/grants/999999").await;
        assert_eq!(status, 404);
        let (_, doc) = app.json("/api/v1/openapi.json").await;
        for path in [
            "/api/v1/economy",
            "/api/v1/economy/{unit}/{year}",
            "/api/v1/grants",
            "/api/v1/grants/{id}",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} described");
        }
    })
    .await;
}

#[tokio::test]
async fn the_public_sees_decided_years_and_no_grants() {
    for app in common::decided_apps().await {
        let ks = app.org_id("KS").await;
        // KS 2019 is decided in the demo.
        let (status, html) = app.get_as(None, &format!("/economy/{ks}/2019")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("86,0"));
        assert!(
            !html.contains("Bidrag som berör"),
            "grants are working material"
        );
        assert!(!html.contains("Ändra budget och utfall"));
        // A year no decision covers is not published.
        let (status, _) = app.get_as(None, &format!("/economy/{ks}/2024")).await;
        assert_eq!(status, 404);
        let lag = grant_id(&app, "G-LAG2023").await;
        for path in [
            "/grants".to_string(),
            format!("/grants/{lag}"),
            format!("/history/grants/{lag}"),
            "/api/v1/grants".into(),
            format!("/api/v1/grants/{lag}"),
            "/api/v1/economy".into(),
            format!("/api/v1/economy/{ks}/2019"),
        ] {
            let (status, _) = app.get_as(None, &path).await;
            assert!(
                status == 303 || status == 401,
                "a visitor is refused {path}: {status}"
            );
        }
        // A reader sees the grants but no edit links.
        let reader = app.session_for("lasare").await;
        let (status, html) = app.get_as(Some(&reader), &format!("/grants/{lag}")).await;
        assert_eq!(status, 200);
        assert!(!html.contains("Ändra bidraget"));
        app.finish().await;
    }
}

#[tokio::test]
async fn a_year_out_of_range_or_an_unknown_unit_is_not_found() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        assert_eq!(app.get(&format!("/economy/{ks}/99999")).await.0, 404);
        assert_eq!(app.get("/economy/999999/2019").await.0, 404);
        let (status, _) = app.get(&format!("/economy/{ks}/abc")).await;
        assert!(status == 400 || status == 404, "{status}");
    })
    .await;
}
