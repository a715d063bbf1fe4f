//! Open data and the public read-only API (`/oppna-data`, `/api/public/v1/`): decided data
//! only, the same answer for everyone, cacheable, rate-limited; on both backends.

mod common;

use common::{decided_apps, App};
use uppsikt_web::rate_limit::RateLimit;

const HOMES: &str = "Antal färdigställda bostäder (Totalt)";
/// An outcome no decision covers, written by the tests: it must never reach the public.
const UNDECIDED_VALUE: f64 = 4242.75;

/// Every public route, with a path that answers 200 in the decided demo (ids filled in).
async fn public_routes(app: &App) -> Vec<String> {
    let ind = app.indicator_id(HOMES).await;
    let goal = app.goal_id("Ökat bostadsbyggande").await;
    vec![
        "/oppna-data/katalog.rdf".into(),
        "/oppna-data/indikatorer.csv".into(),
        "/oppna-data/utfall.csv?format=rfc4180".into(),
        "/oppna-data/bedomningar.json".into(),
        "/api/public/v1/units".into(),
        "/api/public/v1/goals".into(),
        format!("/api/public/v1/goals/{goal}"),
        "/api/public/v1/indicators".into(),
        format!("/api/public/v1/indicators/{ind}"),
        "/api/public/v1/assessments".into(),
    ]
}

/// A second server over the app's database with its own request limit (the tests'
/// requests all come from 127.0.0.1).
async fn server(app: &App, requests: u32) -> common::Twin {
    app.twin(uppsikt_web::ServerOptions {
        public_rate: RateLimit {
            requests,
            window: std::time::Duration::from_secs(10),
        },
        ..Default::default()
    })
    .await
}

async fn get(
    base: &str,
    path: &str,
    cookie: Option<&str>,
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(format!("{base}{path}"));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(t) = if_none_match {
        req = req.header("if-none-match", t);
    }
    req.send().await.unwrap()
}

async fn body(base: &str, path: &str) -> (u16, Vec<u8>) {
    let r = get(base, path, None, None).await;
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// Writes an outcome of HOMES for 2031, a year no decision covers.
async fn write_undecided_outcome(app: &App) {
    let ind = app.indicator_id(HOMES).await;
    let mut w = app
        .store()
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_outcome(
        ind,
        &uppsikt_domain::Outcome {
            period: uppsikt_domain::Period::Year(2031),
            breakdown: uppsikt_domain::Breakdown::Total,
            value: UNDECIDED_VALUE,
            margin: None,
            sample_size: None,
        },
    )
    .await
    .unwrap();
    // Assessments no decision covers: a proposal, and one marked decided for a year no
    // decision covers. Neither is public.
    let ks = app.org_id("KS").await;
    let goal = app.goal_id("Ökat bostadsbyggande").await;
    for (stage, year) in [
        (uppsikt_domain::model::Stage::Proposed, 2030),
        (uppsikt_domain::model::Stage::Decided, 2031),
    ] {
        w.set_assessment(&uppsikt_store::AssessmentInput {
            org_id: ks,
            goal_id: Some(goal),
            period: uppsikt_domain::Period::Year(year),
            stage,
            level: "God".into(),
            motivation: format!("Ej beslutad motivering 4242 ({year})"),
            author: "test".into(),
            date: format!("{year}-12-01"),
        })
        .await
        .unwrap();
    }
    w.commit().await.unwrap();
}

fn csv_rows(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// An Excel-variant cell as the RFC variant writes it: the formula guard's `'` removed
/// and the decimal comma of a number turned back into a point.
fn unexcel(cell: &str, numeric: bool) -> String {
    if numeric {
        return cell.replace(',', ".");
    }
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) => rest.into(),
        _ => cell.into(),
    }
}

#[tokio::test]
async fn decided_data_is_in_every_format_and_undecided_data_is_in_none() {
    for app in decided_apps().await {
        write_undecided_outcome(&app).await;
        let srv = server(&app, 100_000).await;
        let base = srv.base.as_str();
        let undecided = "4242";
        let ind = app.indicator_id(HOMES).await;

        for stem in ["indikatorer", "utfall", "bedomningar"] {
            let (status, excel) = body(base, &format!("/oppna-data/{stem}.csv?format=excel")).await;
            assert_eq!(status, 200, "{stem}");
            let (status, plain_default) = body(base, &format!("/oppna-data/{stem}.csv")).await;
            assert_eq!(status, 200);
            assert_eq!(excel, plain_default, "Excel's variant is the default");
            let (_, rfc) = body(base, &format!("/oppna-data/{stem}.csv?format=rfc4180")).await;
            let (_, json) = body(base, &format!("/oppna-data/{stem}.json")).await;

            // Excel's: BOM, semicolons, CRLF; the RFC's: no BOM, commas, CRLF.
            assert!(excel.starts_with("\u{feff}".as_bytes()), "{stem}: BOM");
            assert!(!rfc.starts_with("\u{feff}".as_bytes()), "{stem}: no BOM");
            let excel_text = String::from_utf8(excel.clone()).unwrap();
            let rfc_text = String::from_utf8(rfc.clone()).unwrap();
            let excel_header = excel_text
                .trim_start_matches('\u{feff}')
                .lines()
                .next()
                .unwrap();
            assert!(excel_header.contains(';') && !excel_header.contains(','));
            assert!(rfc_text.lines().next().unwrap().contains(','));
            assert!(excel_text.ends_with("\r\n") && rfc_text.ends_with("\r\n"));
            let first_break = excel_text.find('\n').unwrap();
            assert_eq!(&excel_text[first_break - 1..=first_break], "\r\n", "CRLF");

            // Both parse back to the same rows.
            let e = csv_rows(&excel, b';');
            let r = csv_rows(&rfc, b',');
            assert_eq!(e.len(), r.len(), "{stem}");
            assert!(e.len() > 1, "{stem}: the decided demo has rows");
            let header = &r[0];
            let numeric: Vec<bool> = header
                .iter()
                .map(|h| matches!(h.as_str(), "value" | "margin_of_error"))
                .collect();
            for (er, rr) in e.iter().zip(&r) {
                let back: Vec<String> = er
                    .iter()
                    .zip(&numeric)
                    .map(|(c, n)| unexcel(c, *n))
                    .collect();
                assert_eq!(&back, rr, "{stem}");
            }
            // JSON has the same rows, keyed by the same columns.
            let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let rows = doc["rows"].as_array().unwrap();
            assert_eq!(rows.len() + 1, r.len(), "{stem}: JSON rows");
            assert_eq!(
                doc["licence"],
                "http://creativecommons.org/publicdomain/zero/1.0/"
            );
            for (name, cell) in header.iter().zip(&r[1]) {
                let v = &rows[0][name];
                match v {
                    serde_json::Value::String(s) => assert_eq!(s, cell, "{stem}: {name}"),
                    serde_json::Value::Null => assert_eq!(cell, "", "{stem}: {name}"),
                    n => assert_eq!(n.as_f64(), cell.parse::<f64>().ok(), "{stem}: {name}"),
                }
            }

            for text in [&excel_text, &rfc_text, &String::from_utf8(json).unwrap()] {
                assert!(
                    !text.contains(undecided),
                    "{stem}: undecided data is public"
                );
                assert!(!text.contains("2031"), "{stem}: undecided period is public");
            }
        }

        // The decided 2018 outcome of HOMES (997) is there, with its decision, Swedish
        // letters intact and the value a number (Excel: decimal comma).
        let (_, rfc) = body(base, "/oppna-data/utfall.csv?format=rfc4180").await;
        let rows = csv_rows(&rfc, b',');
        let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
        let homes: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| r[col("indicator_id")] == ind.to_string())
            .collect();
        assert!(!homes.is_empty());
        assert!(homes
            .iter()
            .all(|r| r[col("indicator")].starts_with("Antal färdigställda bostäder")));
        let y2018 = homes
            .iter()
            .find(|r| r[col("period")] == "2018" && r[col("breakdown")] == "total")
            .expect("the decided 2018 outcome");
        assert_eq!(y2018[col("value")], "997");
        assert_eq!(y2018[col("decided_by")], "Kommunstyrelsen");
        assert_eq!(y2018[col("org_unit")], "Kommunstyrelsen");
        // Where the seed gives no date, paragraph or diary number, the cells are empty.
        let (_, indicators) = body(base, "/oppna-data/indikatorer.csv?format=rfc4180").await;
        assert!(String::from_utf8(indicators)
            .unwrap()
            .contains("färdigställda"));

        // The API: the indicator's decided outcomes, not the undecided one.
        let (status, detail) = body(base, &format!("/api/public/v1/indicators/{ind}")).await;
        assert_eq!(status, 200);
        let detail: serde_json::Value = serde_json::from_slice(&detail).unwrap();
        let outcomes = detail["indicator"]["outcomes"].as_array().unwrap();
        assert!(outcomes
            .iter()
            .any(|o| o["period"] == "2018" && o["value"] == 997.0));
        assert!(outcomes.iter().all(|o| o["period"] != "2031"));
        assert!(outcomes.iter().all(|o| !o["decision"].is_null()));
        for path in [
            "/api/public/v1/indicators",
            "/api/public/v1/assessments",
            "/api/public/v1/goals",
        ] {
            let (status, b) = body(base, path).await;
            assert_eq!(status, 200, "{path}");
            assert!(!String::from_utf8(b).unwrap().contains(undecided), "{path}");
        }
        // The working material's proposed assessments are not public: only decided ones.
        let (_, assessments) = body(base, "/api/public/v1/assessments").await;
        let assessments: serde_json::Value = serde_json::from_slice(&assessments).unwrap();
        let list = assessments["assessments"].as_array().unwrap();
        assert!(!list.is_empty());
        let stored = app.store().all_assessments().await.unwrap();
        for a in list {
            let s = stored
                .iter()
                .find(|s| serde_json::json!(s.id) == a["id"])
                .unwrap();
            assert_eq!(s.stage, uppsikt_domain::model::Stage::Decided);
        }
        assert!(
            stored
                .iter()
                .any(|s| s.stage != uppsikt_domain::model::Stage::Decided
                    || !list.iter().any(|a| a["id"] == serde_json::json!(s.id))),
            "the demo holds assessments the public does not get"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn answers_are_the_same_for_everyone_cacheable_and_304_when_unchanged() {
    for app in decided_apps().await {
        let srv = server(&app, 100_000).await;
        let base = srv.base.as_str();
        let admin = app.session_for("admin").await;
        for path in public_routes(&app).await {
            let public = get(base, &path, None, None).await;
            assert_eq!(public.status(), 200, "{path}");
            let tag = public.headers()["etag"].to_str().unwrap().to_string();
            assert!(
                tag.starts_with('"') && tag.ends_with('"'),
                "a strong ETag: {tag}"
            );
            assert_eq!(
                public.headers()["cache-control"],
                "public, max-age=300",
                "{path}"
            );
            let public_body = public.bytes().await.unwrap();

            // Signed in: the same answer, and still publicly cacheable.
            let signed_in = get(base, &path, Some(&admin.cookie), None).await;
            assert_eq!(signed_in.headers()["etag"].to_str().unwrap(), tag);
            assert_eq!(
                signed_in.headers()["cache-control"],
                "public, max-age=300",
                "{path}"
            );
            assert_eq!(signed_in.bytes().await.unwrap(), public_body, "{path}");

            // The tag again: 304, no body, the same validators.
            let again = get(base, &path, None, Some(&tag)).await;
            assert_eq!(again.status(), 304, "{path}");
            assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
            assert_eq!(again.headers()["cache-control"], "public, max-age=300");
            assert!(again.bytes().await.unwrap().is_empty());
            // Another tag (a different path's) is not this one.
            let other = get(base, &path, None, Some("\"v1-0000000000000000\"")).await;
            assert_eq!(other.status(), 200);
        }
        // A write changes the data version: the old tag no longer matches.
        let path = "/api/public/v1/indicators";
        let tag = get(base, path, None, None).await.headers()["etag"]
            .to_str()
            .unwrap()
            .to_string();
        write_undecided_outcome(&app).await;
        let after = get(base, path, None, Some(&tag)).await;
        assert_eq!(after.status(), 200);
        assert_ne!(after.headers()["etag"].to_str().unwrap(), tag);
        // Different queries have different tags.
        let ks = app.org_id("KS").await;
        let filtered = get(base, &format!("{path}?unit={ks}"), None, None).await;
        assert_ne!(filtered.headers()["etag"], after.headers()["etag"]);
        let filtered: serde_json::Value = filtered.json().await.unwrap();
        assert!(filtered["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["org_unit"]["id"] == ks));

        // Answers are kept per data version: the same bytes again, and a write that changes
        // what the public sees shows at once.
        let units = "/api/public/v1/units";
        let first = body(base, units).await;
        assert_eq!(body(base, units).await, first);
        let unit = app.store().org_unit(ks).await.unwrap();
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.upsert_org_unit(&uppsikt_store::OrgUnitInput {
            key: unit.key.clone(),
            name: "Kommunstyrelsen (nytt namn)".into(),
            short_name: unit.short_name.clone(),
            kind: unit.kind,
            parent_id: unit.parent_id,
            position: unit.position,
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let (status, renamed) = body(base, units).await;
        assert_eq!(status, 200);
        assert!(String::from_utf8(renamed)
            .unwrap()
            .contains("Kommunstyrelsen (nytt namn)"));
        app.finish().await;
    }
}

#[tokio::test]
async fn over_the_limit_a_client_gets_429_with_retry_after_and_nothing_changes() {
    for app in decided_apps().await {
        let srv = server(&app, 5).await;
        let base = srv.base.as_str();
        let before = app.store().data_version().await.unwrap();
        for _ in 0..5 {
            assert_eq!(
                get(base, "/api/public/v1/units", None, None).await.status(),
                200
            );
        }
        let refused = get(base, "/api/public/v1/goals", None, None).await;
        assert_eq!(refused.status(), 429);
        let wait: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=10).contains(&wait), "{wait}");
        let message: serde_json::Value = refused.json().await.unwrap();
        assert!(message["error"]
            .as_str()
            .unwrap()
            .starts_with("För många anrop"));
        // The downloads and the catalogue share the limit; the page about them does not.
        for path in ["/oppna-data/utfall.csv", "/oppna-data/katalog.rdf"] {
            assert_eq!(get(base, path, None, None).await.status(), 429, "{path}");
        }
        assert_eq!(get(base, "/oppna-data", None, None).await.status(), 200);
        // Signing in does not lift it (the same address).
        let admin = app.session_for("admin").await;
        assert_eq!(
            get(base, "/api/public/v1/units", Some(&admin.cookie), None)
                .await
                .status(),
            429
        );
        assert_eq!(
            app.store().data_version().await.unwrap(),
            before,
            "nothing changed"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn write_methods_and_hostile_queries_are_refused_in_swedish_and_change_nothing() {
    for app in decided_apps().await {
        let srv = server(&app, 100_000).await;
        let base = srv.base.as_str();
        let admin = app.session_for("admin").await;
        let before = app.store().data_version().await.unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for path in public_routes(&app).await {
            // Signed in with the form token, from our own origin: the method is refused.
            for method in [
                reqwest::Method::POST,
                reqwest::Method::PUT,
                reqwest::Method::DELETE,
            ] {
                let r = client
                    .request(method.clone(), format!("{base}{path}"))
                    .header("cookie", &admin.cookie)
                    .header("origin", base)
                    .form(&[("csrf", admin.csrf.as_str())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 405, "{method} {path}");
                let text = r.text().await.unwrap();
                assert!(text.contains(method.as_str()), "{method} {path}: {text}");
            }
            // A visitor's POST is refused as well (before or at routing).
            let r = client
                .post(format!("{base}{path}"))
                .header("origin", base)
                .send()
                .await
                .unwrap();
            // (The sign-in guard sends a visitor's POST to sign in, as on every page.)
            assert!(
                r.status().is_client_error() || r.status() == 303,
                "POST {path}: {}",
                r.status()
            );
        }
        let huge = format!("/api/public/v1/goals?unit={}", "1".repeat(10_000));
        for (path, expect) in [
            (huge.as_str(), "högst 256 byte"),
            ("/api/public/v1/goals?unit=abc", "inte kunde läsas"),
            ("/api/public/v1/goals?unit=1&unit=2", "inte kunde läsas"),
            ("/api/public/v1/goals?admin=1", "inte kunde läsas"),
            ("/api/public/v1/units?unit=1", "inte kunde läsas"),
            ("/api/public/v1/indicators?unit=%FF", "UTF-8"),
            ("/oppna-data/utfall.csv?format=xls", "format=excel"),
            ("/oppna-data/utfall.json?format=excel", "format=excel"),
        ] {
            let r = get(base, path, None, None).await;
            assert_eq!(r.status(), 400, "{path}");
            let text = r.text().await.unwrap();
            assert!(text.contains(expect), "{path}: {text}");
            assert!(text.len() < 2_000, "the refusal is bounded: {}", text.len());
        }
        for path in [
            "/api/public/v1/goals/abc",
            "/api/public/v1/indicators/99999999",
            "/oppna-data/hemligt.csv",
            "/oppna-data/utfall.xlsx",
            "/oppna-data/utfall",
        ] {
            assert_eq!(get(base, path, None, None).await.status(), 404, "{path}");
        }
        assert_eq!(
            app.store().data_version().await.unwrap(),
            before,
            "nothing changed"
        );
        app.finish().await;
    }
}

/// The catalogue read as RDF (not as text): a dcat:Catalog with a publisher and licence,
/// three datasets each with a licence, a theme and distributions whose downloadURL the
/// server answers, and the API as a dcat:DataService.
#[tokio::test]
async fn the_catalogue_is_dcat_ap_se_rdf_whose_download_urls_answer() {
    const RDF_TYPE: &str = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>";
    const DCAT: &str = "http://www.w3.org/ns/dcat#";
    const DCT: &str = "http://purl.org/dc/terms/";
    for app in decided_apps().await {
        let srv = server(&app, 100_000).await;
        let base = srv.base.as_str();
        let r = get(base, "/oppna-data/katalog.rdf", None, None).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rdf+xml"));
        let xml = r.bytes().await.unwrap();
        let triples: Vec<(String, String, String)> = oxrdfxml::RdfXmlParser::new()
            .for_slice(&xml)
            .map(|t| {
                let t = t.expect("valid RDF/XML");
                (
                    t.subject.to_string(),
                    t.predicate.to_string(),
                    t.object.to_string(),
                )
            })
            .collect();
        let of = |s: &str, p: &str| -> Vec<String> {
            triples
                .iter()
                .filter(|t| t.0 == s && t.1 == p)
                .map(|t| t.2.clone())
                .collect()
        };
        let typed = |class: &str| -> Vec<String> {
            triples
                .iter()
                .filter(|t| t.1 == RDF_TYPE && t.2 == format!("<{class}>"))
                .map(|t| t.0.clone())
                .collect()
        };
        let p = |ns: &str, name: &str| format!("<{ns}{name}>");
        let cc0 = "<http://creativecommons.org/publicdomain/zero/1.0/>".to_string();

        let catalogs = typed(&format!("{DCAT}Catalog"));
        assert_eq!(catalogs.len(), 1);
        let catalog = &catalogs[0];
        assert_eq!(of(catalog, &p(DCT, "license")), vec![cc0.clone()]);
        assert!(of(catalog, &p(DCT, "title"))[0].ends_with("@sv"));
        let publisher = &of(catalog, &p(DCT, "publisher"))[0];
        assert_eq!(
            of(publisher, "<http://xmlns.com/foaf/0.1/name>"),
            vec!["\"Huddinge kommun\"@sv".to_string()],
            "the municipality as the store names it"
        );
        assert!(of(publisher, RDF_TYPE).contains(&"<http://xmlns.com/foaf/0.1/Agent>".into()));

        let datasets = typed(&format!("{DCAT}Dataset"));
        assert_eq!(datasets.len(), 3);
        assert_eq!(of(catalog, &p(DCAT, "dataset")).len(), 3);
        let mut downloads = Vec::new();
        for d in &datasets {
            assert_eq!(of(d, &p(DCT, "license")), vec![cc0.clone()], "{d}");
            assert!(of(d, &p(DCT, "title"))[0].ends_with("@sv"));
            assert!(of(d, &p(DCT, "description"))[0].ends_with("@sv"));
            assert_eq!(
                of(d, &p(DCAT, "theme")),
                vec![
                    "<http://publications.europa.eu/resource/authority/data-theme/GOVE>"
                        .to_string()
                ]
            );
            assert_eq!(of(d, &p(DCT, "accrualPeriodicity")).len(), 1);
            let contact = &of(d, &p(DCAT, "contactPoint"))[0];
            assert!(!of(contact, "<http://www.w3.org/2006/vcard/ns#fn>").is_empty());
            let distributions = of(d, &p(DCAT, "distribution"));
            assert_eq!(distributions.len(), 3, "{d}");
            for dist in distributions {
                assert_eq!(of(&dist, &p(DCT, "license")), vec![cc0.clone()]);
                assert!(of(&dist, &p(DCAT, "mediaType"))[0]
                    .starts_with("<https://www.iana.org/assignments/media-types/"));
                assert_eq!(of(&dist, &p(DCT, "format")).len(), 1);
                assert_eq!(of(&dist, &p(DCAT, "accessURL")).len(), 1);
                let url = of(&dist, &p(DCAT, "downloadURL"))[0].clone();
                downloads.push(url.trim_matches(['<', '>']).to_string());
            }
        }
        assert_eq!(downloads.len(), 9);
        for url in &downloads {
            assert!(
                url.starts_with(base),
                "absolute, from the configured origin: {url}"
            );
            let r = reqwest::get(url).await.unwrap();
            assert_eq!(r.status(), 200, "{url}");
        }
        let services = typed(&format!("{DCAT}DataService"));
        assert_eq!(services.len(), 1);
        let endpoint = &of(&services[0], &p(DCAT, "endpointURL"))[0];
        assert_eq!(endpoint, &format!("<{base}/api/public/v1>"));
        let conforms = of(&services[0], &p(DCT, "conformsTo"))[0].clone();
        let openapi = reqwest::get(conforms.trim_matches(['<', '>']))
            .await
            .unwrap();
        assert_eq!(openapi.status(), 200);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_licence_is_a_setting_shown_on_the_page_and_in_the_catalogue() {
    for app in decided_apps().await {
        // The setting is read as a URL: what an IRI cannot hold is percent-encoded.
        let licence =
            uppsikt_web::parse_licence_uri("https://example.org/licens?a=1&b=<2>").unwrap();
        assert_eq!(licence, "https://example.org/licens?a=1&b=%3C2%3E");
        assert!(uppsikt_web::parse_licence_uri("CC0").is_err());
        assert!(uppsikt_web::parse_licence_uri("javascript:alert(1)").is_err());
        let srv = app
            .twin(uppsikt_web::ServerOptions {
                open_data_licence: licence.clone(),
                ..Default::default()
            })
            .await;
        let (status, html) = body(&srv.base, "/oppna-data").await;
        assert_eq!(status, 200);
        let html = String::from_utf8(html).unwrap();
        let at = html.find("example.org").expect("the licence is shown");
        assert!(
            html.contains("https://example.org/licens?a=1&#38;b=%3C2%3E"),
            "escaped: {}",
            &html[at.saturating_sub(40)..(at + 80).min(html.len())]
        );
        let (_, xml) = body(&srv.base, "/oppna-data/katalog.rdf").await;
        let licences: Vec<String> = oxrdfxml::RdfXmlParser::new()
            .for_slice(&xml)
            .map(|t| t.expect("valid RDF/XML, the licence escaped"))
            .filter(|t| t.predicate.as_str() == "http://purl.org/dc/terms/license")
            .map(|t| t.object.to_string())
            .collect();
        assert!(licences.len() > 3);
        assert!(licences.iter().all(|l| l == &format!("<{licence}>")));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_page_describes_the_datasets_for_everyone_and_the_footer_links_it() {
    for app in decided_apps().await {
        let (status, html) = app.get_as(None, "/oppna-data").await;
        assert_eq!(status, 200);
        for text in [
            "Öppna data",
            "CC0 1.0",
            "Huddinge kommun",
            "semikolon",
            "decimalkomma",
            "RFC 4180",
            "href=\"/oppna-data/utfall.csv?format=excel\"",
            "href=\"/oppna-data/utfall.csv?format=rfc4180\"",
            "href=\"/oppna-data/bedomningar.json\"",
            "href=\"/oppna-data/katalog.rdf\"",
            "<code>decided_by</code>",
            "får ett inledande <code>'</code>",
            // The demo's decisions carry no date: freshness is said to be unknown.
            "Besluten saknar datum i underlaget",
        ] {
            assert!(html.contains(text), "{text}");
        }
        assert!(
            !html.contains("Senaste beslutet är från ."),
            "no empty date"
        );
        let (_, start) = app.get_as(None, "/").await;
        assert!(
            start.contains("<a href=\"/oppna-data\">"),
            "the footer links it"
        );
        let reader = app.session_for("lasare").await;
        let (status, signed_in) = app.get_as(Some(&reader), "/oppna-data").await;
        assert_eq!(status, 200);
        assert!(signed_in.contains("CC0 1.0"));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_public_endpoint() {
    for app in decided_apps().await {
        let (status, doc) = app.json("/api/v1/openapi.json").await;
        assert_eq!(status, 200);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/public/v1/units",
            "/api/public/v1/goals",
            "/api/public/v1/goals/{id}",
            "/api/public/v1/indicators",
            "/api/public/v1/indicators/{id}",
            "/api/public/v1/assessments",
            "/oppna-data/indikatorer.csv",
            "/oppna-data/utfall.csv",
            "/oppna-data/bedomningar.csv",
            "/oppna-data/indikatorer.json",
            "/oppna-data/utfall.json",
            "/oppna-data/bedomningar.json",
            "/oppna-data/katalog.rdf",
        ] {
            let get = &paths[p]["get"];
            assert!(get.is_object(), "{p}");
            for status in ["200", "304", "400", "429"] {
                assert!(get["responses"][status].is_object(), "{p} {status}");
            }
            // Every $ref points at a schema that exists.
            for r in get.to_string().split("#/components/schemas/").skip(1) {
                let name = &r[..r.find('"').unwrap()];
                assert!(doc["components"]["schemas"][name].is_object(), "{name}");
            }
        }
        app.finish().await;
    }
}
