//! The Kolada page and the indicator's link to Kolada over HTTP, on every backend: only
//! controllers configure it; bad input is re-displayed with what was typed; a linked
//! indicator shows its Kolada-filled outcomes, its rank and group average, and names
//! Kolada as the source.

mod common;

use common::{apps, apps_with};
use uppsikt_domain::kolada::{Gender, KoladaValue, KpiId, MunicipalityId};

fn value(place: &str, year: i32, v: f64) -> KoladaValue {
    KoladaValue {
        kpi: KpiId::parse("N09901").unwrap(),
        municipality: MunicipalityId::parse(place).unwrap(),
        year,
        gender: Gender::Total,
        value: Some(v),
        status: String::new(),
    }
}

#[tokio::test]
async fn only_controllers_configure_kolada() {
    for app in apps().await {
        let controller = app.session_for("controller").await;
        let (status, html) = app.get_as(Some(&controller), "/kolada").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Jämförelsegrupper") && html.contains("Kopplade mått"));
        let editor = app.session_for("redaktor-ks").await;
        let (status, html) = app.get_as(Some(&editor), "/kolada").await;
        assert_eq!(status, 403, "{html}");
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                "/kolada/settings",
                &[
                    ("municipality", "0180"),
                    ("api_url", "https://api.kolada.se/v3"),
                ],
            )
            .await;
        assert_eq!(status, 403);
        assert_ne!(
            app.store()
                .kolada_settings()
                .await
                .unwrap()
                .municipality
                .map(|m| m.to_string()),
            Some("0180".to_string()),
            "a refusal changes nothing"
        );
        let (status, _, location) = app
            .post_as(None, "/kolada/settings", &[("municipality", "0180")])
            .await;
        assert!([303, 401, 403].contains(&status), "{status} {location:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_linked_indicator_is_filled_ranked_and_attributed() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        // A wrong municipality code is re-displayed as typed.
        let (status, html, _) = app
            .post_as(
                Some(&c),
                "/kolada/settings",
                &[("municipality", "126"), ("api_url", "api.kolada.se")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("value=\"126\"") && html.contains("är ingen kommunkod"),
            "{html}"
        );
        assert!(html.contains("value=\"api.kolada.se\"") && html.contains("ingen webbadress"));
        let (status, _, _) = app
            .post_as(
                Some(&c),
                "/kolada/settings",
                &[
                    ("municipality", "0126"),
                    ("api_url", "HTTPS://api.kolada.se/v3/"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let settings = app.store().kolada_settings().await.unwrap();
        assert_eq!(settings.municipality.unwrap().as_str(), "0126");
        assert_eq!(settings.api_url, "https://api.kolada.se/v3");

        // A group naming an unknown municipality keeps what was typed.
        let members = "0127\n0126\nGöteborgsstad";
        let (status, html, _) = app
            .post_as(
                Some(&c),
                "/kolada/groups/new",
                &[("title", "Testgrupp söder"), ("members", members)],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Göteborgsstad") && html.contains("Okända kommuner"),
            "{html}"
        );
        let (status, _, _) = app
            .post_as(
                Some(&c),
                "/kolada/groups/new",
                &[
                    ("title", "Testgrupp söder"),
                    ("members", "0127\n0126, 0136"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let group = app
            .store()
            .comparison_groups()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.title == "Testgrupp söder")
            .unwrap();
        assert_eq!(group.members.len(), 3);
        // Its edit form shows the title and the members in their own fields.
        let (status, html) = app
            .get_as(Some(&c), &format!("/kolada/groups/{}/edit", group.id))
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains("name=\"title\" value=\"Testgrupp söder\""),
            "{html}"
        );
        let members = html.split("name=\"members\"").nth(1).unwrap();
        let members = members.split("</textarea>").next().unwrap();
        for code in ["0126", "0127", "0136"] {
            assert!(members.contains(code), "{members}");
        }
        let (_, html) = app.get_as(Some(&c), "/kolada/settings").await;
        assert!(
            html.contains("name=\"municipality\" value=\"0126\""),
            "{html}"
        );
        let (status, _, _) = app
            .post_as(
                Some(&c),
                "/kolada/groups/new",
                &[("title", "testgrupp SÖDER"), ("members", "0127")],
            )
            .await;
        assert_eq!(status, 422, "titles are unique");

        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.write_kolada_values(&[
            value("0126", 2019, 19.87),
            value("0127", 2019, 19.35),
            value("0136", 2019, 20.35),
            value("0126", 2020, 19.97),
        ])
        .await
        .unwrap();
        w.commit().await.unwrap();

        // Link an indicator through its form: a bad id and groups without an id are refused.
        let id = app.indicator_id("Kommunal skattesats").await;
        let group_field = format!("groups-{}", group.id);
        let form = |kpi: &'static str| {
            vec![
                (
                    "name",
                    "Kommunal skattesats (öre per skattekrona) - Huddinge kommun",
                ),
                ("unit", "öre per skattekrona"),
                ("direction", "lower"),
                ("source", "SCB"),
                ("kolada_kpi", kpi),
                ("decimals", "2"),
                ("frequency", "year"),
            ]
        };
        let mut bad = form("X1");
        bad.push((group_field.as_str(), "1"));
        let (status, html, _) = app
            .post_as(Some(&c), &format!("/indicators/{id}/edit"), &bad)
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("inget Kolada-id") && html.contains("value=\"X1\""),
            "{html}"
        );
        assert!(
            html.contains(&format!("name=\"{group_field}\" value=\"1\" checked")),
            "the choice is kept"
        );
        let mut no_kpi = form("");
        no_kpi.push((group_field.as_str(), "1"));
        let (status, html, _) = app
            .post_as(Some(&c), &format!("/indicators/{id}/edit"), &no_kpi)
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("ange måttets Kolada-id"), "{html}");
        let mut good = form("N09901");
        good.push((group_field.as_str(), "1"));
        let (status, html, _) = app
            .post_as(Some(&c), &format!("/indicators/{id}/edit"), &good)
            .await;
        assert_eq!(status, 303, "{html}");
        assert_eq!(
            app.store().indicator_groups(id).await.unwrap(),
            vec![group.id]
        );

        let (status, html) = app.get_as(Some(&c), &format!("/indicators/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Källa: Kolada (RKA)"),
            "attribution on the indicator page"
        );
        assert!(html.contains("Testgrupp söder"));
        // Lower is better: 0127 (19,35) ahead of us (19,87), 0136 behind.
        assert!(html.contains("2 av 3"), "{html}");
        assert!(
            html.contains("19,86"),
            "unweighted average of 19,87, 19,35 and 20,35"
        );
        assert!(html.contains("19,97"), "2020's outcome filled from Kolada");
        let record = app.store().indicator_record(id).await.unwrap();
        assert!(record.kolada);
        let (_, json) = app.json(&format!("/api/v1/indicators/{id}")).await;
        assert_eq!(
            json["source_attribution"], "Källa: Kolada (RKA)",
            "the API names the source"
        );
        let goal = record.indicator.goal_id;
        let (_, html) = app.get_as(Some(&c), &format!("/goals/{goal}")).await;
        assert!(
            html.contains("Källa: Kolada (RKA)"),
            "attribution on the goal page"
        );
        assert!(html.contains("SCB, via Kolada (RKA)"));
        let (_, html) = app.get_as(Some(&c), "/kolada").await;
        assert!(html.contains("N09901") && html.contains("Testgrupp söder"));

        // Deleting the group removes it from the indicator.
        let (status, _, _) = app
            .post_as(
                Some(&c),
                &format!("/kolada/groups/{}/delete", group.id),
                &[],
            )
            .await;
        assert_eq!(status, 303);
        assert!(app.store().indicator_groups(id).await.unwrap().is_empty());
        app.finish().await;
    }
}

#[tokio::test]
async fn a_group_can_be_used_by_every_linked_indicator_at_once() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(
                Some(&c),
                "/kolada/groups/new",
                &[("title", "Testgrupp alla"), ("members", "0127")],
            )
            .await;
        assert_eq!(status, 303);
        let group = app
            .store()
            .comparison_groups()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.title == "Testgrupp alla")
            .unwrap();
        let linked = app.store().linked_kpis().await.unwrap();
        assert!(!linked.is_empty(), "the demo links indicators to Kolada");
        let (status, _, location) = app
            .post_as(
                Some(&c),
                &format!("/kolada/groups/{}/link-all", group.id),
                &[],
            )
            .await;
        assert_eq!(status, 303);
        let n: i64 = linked.iter().map(|(_, n)| n).sum();
        assert_eq!(
            location.as_deref(),
            Some(format!("/kolada?linked={n}").as_str())
        );
        let (_, _, location) = app
            .post_as(
                Some(&c),
                &format!("/kolada/groups/{}/link-all", group.id),
                &[],
            )
            .await;
        assert_eq!(
            location.as_deref(),
            Some("/kolada?linked=0"),
            "twice links nothing more"
        );
        let (_, html) = app.get_as(Some(&c), "/kolada?linked=0").await;
        assert!(html.contains("användes redan av alla"));
        app.finish().await;
    }
}

/// A stand-in for Kolada's API on localhost serving the demo's saved pages (filtered by
/// the ids in the path); paths under `/broken` answer 404. Returns its base URL.
async fn kolada_stand_in() -> String {
    use axum::extract::Path;
    use axum::routing::get;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/kolada");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let data = read("data.json")["values"].clone();
    let municipalities = read("municipality.json")["values"].clone();
    let groups = read("municipality_groups.json")["values"].clone();
    let kpis = read("kpi.json")["values"].clone();
    let answer = move |Path(rest): Path<String>| {
        let (data, municipalities, groups, kpis) = (
            data.clone(),
            municipalities.clone(),
            groups.clone(),
            kpis.clone(),
        );
        async move {
            let parts: Vec<&str> = rest.split('/').collect();
            let ids = |segment: &str| -> Option<Vec<String>> {
                let i = parts.iter().position(|p| *p == segment)?;
                parts
                    .get(i + 1)
                    .map(|s| s.split(',').map(String::from).collect())
            };
            let keep = |list: &serde_json::Value,
                        field: &str,
                        wanted: Option<Vec<String>>|
             -> Vec<serde_json::Value> {
                list.as_array()
                    .unwrap()
                    .iter()
                    .filter(|v| {
                        wanted.as_ref().is_none_or(|w| {
                            let f = &v[field];
                            let s = f
                                .as_str()
                                .map(String::from)
                                .unwrap_or_else(|| f.to_string());
                            w.contains(&s)
                        })
                    })
                    .cloned()
                    .collect()
            };
            let values = match parts.first().copied() {
                Some("data") => {
                    let mut v = keep(&data, "kpi", ids("kpi"));
                    v = keep(
                        &serde_json::Value::Array(v),
                        "municipality",
                        ids("municipality"),
                    );
                    keep(&serde_json::Value::Array(v), "period", ids("year"))
                }
                Some("municipality") => keep(
                    &municipalities,
                    "id",
                    parts
                        .get(1)
                        .map(|s| s.split(',').map(String::from).collect()),
                ),
                Some("municipality_groups") => keep(
                    &groups,
                    "id",
                    parts
                        .get(1)
                        .map(|s| s.split(',').map(String::from).collect()),
                ),
                Some("kpi") => keep(
                    &kpis,
                    "id",
                    parts
                        .get(1)
                        .map(|s| s.split(',').map(String::from).collect()),
                ),
                _ => {
                    return (
                        axum::http::StatusCode::NOT_FOUND,
                        axum::Json(serde_json::json!({})),
                    )
                }
            };
            let n = values.len();
            (
                axum::http::StatusCode::OK,
                axum::Json(serde_json::json!({"values": values, "count": n, "next_url": null})),
            )
        }
    };
    let app = axum::Router::new().route("/v3/{*rest}", get(answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    base
}

async fn wait_for_job(app: &common::App, s: &common::Session, job: &str) -> String {
    for _ in 0..600 {
        let (_, body) = app.get_as(Some(s), &format!("{job}/status")).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        if v["state"] != "running" {
            return v["state"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the fetch did not finish");
}

/// Server options allowing Kolada's API at `base` too (as `--kolada-api-allow` does).
fn allowing(base: &str) -> uppsikt_web::ServerOptions {
    uppsikt_web::ServerOptions {
        kolada_api: uppsikt_import::kolada::ApiAllowList::with(&[base.to_string()]).unwrap(),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_settings_form_refuses_an_address_the_operator_has_not_allowed() {
    for app in apps_with(allowing("http://127.0.0.1:9/v3")).await {
        let c = app.session_for("controller").await;
        let before = app.store().kolada_settings().await.unwrap();
        let version = app.store().data_version().await.unwrap();
        let refused = [
            ("http://127.0.0.1:8080/v3", "ingen tillåten adress"),
            ("http://127.0.0.1:9/admin", "ingen tillåten adress"),
            ("http://localhost:9/v3", "ingen tillåten adress"),
            (
                "http://169.254.169.254/latest/meta-data",
                "ingen tillåten adress",
            ),
            ("http://[::1]:5432/", "ingen tillåten adress"),
            (
                "https://api.kolada.se.example.org/v3",
                "ingen tillåten adress",
            ),
            ("http://127.0.0.1:9/v3/../internal", "ingen tillåten adress"),
            ("http://127.0.0.1:9/v3?", "ingen giltig adress"),
            ("https://api.kolada.se/v3#x", "ingen giltig adress"),
            (
                "https://admin:hemligt@api.kolada.se/v3",
                "ingen giltig adress",
            ),
        ];
        for (address, why) in refused {
            let (status, html, _) = app
                .post_as(
                    Some(&c),
                    "/kolada/settings",
                    &[("municipality", "0180"), ("api_url", address)],
                )
                .await;
            assert_eq!(status, 422, "{address}");
            let shown = address.replace('&', "&amp;");
            assert!(
                html.contains(&format!("value=\"{shown}\"")) && html.contains(why),
                "{address}: {html}"
            );
            assert_eq!(app.store().kolada_settings().await.unwrap(), before);
            assert_eq!(app.store().data_version().await.unwrap(), version);
        }
        // What the operator allowed, and Kolada's own API, are taken (normalised).
        for (address, stored) in [
            ("http://127.0.0.1:9/v3/", "http://127.0.0.1:9/v3"),
            ("http://127.0.0.1:9/v3/sub", "http://127.0.0.1:9/v3/sub"),
            ("https://api.kolada.se/v3", "https://api.kolada.se/v3"),
        ] {
            let (status, html, _) = app
                .post_as(
                    Some(&c),
                    "/kolada/settings",
                    &[("municipality", "0126"), ("api_url", address)],
                )
                .await;
            assert_eq!(status, 303, "{address}: {html}");
            assert_eq!(app.store().kolada_settings().await.unwrap().api_url, stored);
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn fetching_from_kolada_runs_as_a_job_and_fills_the_linked_indicator() {
    let base = kolada_stand_in().await;
    for app in apps_with(allowing(&base)).await {
        let c = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(
                Some(&c),
                "/kolada/settings",
                &[
                    ("municipality", "0126"),
                    ("api_url", &format!("{base}/broken")),
                ],
            )
            .await;
        assert_eq!(status, 303);
        // A broken address: the job fails with the reason and nothing is stored.
        let (status, _, location) = app.post_as(Some(&c), "/kolada/fetch", &[]).await;
        assert_eq!(status, 303);
        let job = location.unwrap();
        assert_eq!(wait_for_job(&app, &c, &job).await, "failed");
        let (_, html) = app.get_as(Some(&c), &job).await;
        assert!(
            html.contains("Ingenting importerades") && html.contains("/broken"),
            "{html}"
        );
        assert_eq!(app.store().kolada_value_count().await.unwrap().0, 0);

        let (status, _, _) = app
            .post_as(
                Some(&c),
                "/kolada/settings",
                &[("municipality", "0126"), ("api_url", &format!("{base}/v3"))],
            )
            .await;
        assert_eq!(status, 303);
        let (_, _, location) = app.post_as(Some(&c), "/kolada/fetch", &[]).await;
        let job = location.unwrap();
        assert_eq!(wait_for_job(&app, &c, &job).await, "done");
        let (_, html) = app.get_as(Some(&c), &job).await;
        assert!(html.contains("Importen är klar"), "{html}");
        let (values, _) = app.store().kolada_value_count().await.unwrap();
        assert!(values > 0, "values stored");
        let id = app.indicator_id("Kommunal skattesats").await;
        let r = app.store().indicator_record(id).await.unwrap();
        assert!(r.kolada, "Huddinge's values fill the linked indicator");
        // Only the one who started it, or a controller, follows the job.
        let editor = app.session_for("redaktor-ks").await;
        let (status, _) = app.get_as(Some(&editor), &job).await;
        assert_eq!(status, 404);
        app.finish().await;
    }
}
