//! HTTP integration tests: every page, form (valid and invalid input) and API route, on
//! every available backend, against the real server with the demo data.

mod common;

use common::{apps, App};
use uppsikt_report::html::escape;

async fn each(test: impl AsyncFn(&App)) {
    for app in apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn start_page_shows_vision_and_organisation_tree() {
    each(async |app| {
        let (status, html) = app.get("/").await;
        assert_eq!(status, 200);
        assert!(html.contains("<html lang=\"sv\">"));
        assert!(html.contains("Vision"));
        assert!(html.contains("Kommunstyrelsen"));
        assert!(html.contains("Huddinge kommun"));
        assert!(html.contains("Hoppa till innehållet"));
    })
    .await;
}

#[tokio::test]
async fn board_page_lists_every_goal_with_published_and_proposed_assessments() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (status, html) = app.get(&format!("/org/{ks}")).await;
        assert_eq!(status, 200);
        for goal in app.store().goals_of_org(ks).await.unwrap() {
            assert!(
                html.contains(&escape(&goal.title)),
                "board page lists {}",
                goal.title
            );
        }
        assert!(html.contains("Sammanvägd måluppfyllelse 2019"));
        assert!(
            html.contains("Bra att leva och bo"),
            "grouped under the KF goals"
        );
        assert!(html.contains("Systemets förslag"));
        assert!(
            html.contains("badge level-3\">Ej godtagbar"),
            "Ökad valfrihet's published level"
        );
        assert!(html.contains("badge level-0\">Mycket god"));
        // An explicit period and an invalid one.
        assert_eq!(app.get(&format!("/org/{ks}?period=2018")).await.0, 200);
        let (status, html) = app.get(&format!("/org/{ks}?period=2019X")).await;
        assert_eq!(status, 400);
        assert!(html.contains("är ingen period"));
        assert_eq!(app.get("/org/999999").await.0, 404);
    })
    .await;
}

#[tokio::test]
async fn goal_page_is_laid_out_like_the_annual_report() {
    each(async |app| {
        let id = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let (status, html) = app.get(&format!("/goals/{id}?period=2019")).await;
        assert_eq!(status, 200);
        for heading in [
            "Analys 2019",
            "Mått",
            "Utfall &amp; trend",
            "Etappmål &amp; status",
            "Ranking &amp; genomsnitt",
            "Kön",
            "Område",
            "Omotiverade skillnader?",
            "Utvecklingsåtaganden",
        ] {
            assert!(html.contains(heading), "goal page has {heading}");
        }
        assert!(html.contains("Betygsindex för trygghet"));
        assert!(html.contains("Trend: Oförändrad"), "51 vs 55 within ±9");
        assert!(html.contains("Ranking 2019: 13/19"));
        assert!(html.contains("Vårby"), "lowest district");
        assert!(html.contains("Klart"));

        let service = app
            .goal_id("Utbyggd samhällsservice i takt med bostadsbyggandet")
            .await;
        let (_, html) = app.get(&format!("/goals/{service}?period=2019")).await;
        assert!(html.contains("Särskilt prioriterat"));
        assert!(html.contains("Förskolor, skolor och äldreboenden ska prioriteras"));

        let valfrihet = app.goal_id("Ökad valfrihet").await;
        let (_, html) = app.get(&format!("/goals/{valfrihet}?period=2019")).await;
        assert!(html.contains("Ej klart i år"));
        assert!(html.contains("0 av 1 åtagande klart"));
        assert!(
            html.contains("badge level-3\">Ej godtagbar</span> <span class=\"muted\">(0"),
            "system proposes Ej godtagbar too"
        );
        assert_eq!(app.get("/goals/999999").await.0, 404);
    })
    .await;
}

#[tokio::test]
async fn indicator_page_has_a_chart_and_the_same_data_as_a_table() {
    each(async |app| {
        let id = app.indicator_id("Betygsindex för trygghet").await;
        let (status, html) = app.get(&format!("/indicators/{id}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("<svg class=\"chart\""));
        assert!(html.contains("role=\"img\""));
        assert!(html.contains("<table class=\"data\">"));
        for v in ["56 (±9,0)", "57 (±9,0)", "55 (±9,0)", "51 (±9,0)"] {
            assert!(html.contains(v), "table shows {v}");
        }
        assert!(html.contains("id=\"indicator-trend\">Oförändrad"));
        assert!(
            html.contains("id=\"indicator-status\">Ej uppnått"),
            "Öka not met: fall within margin is no rise"
        );
        assert_eq!(app.get("/indicators/999999").await.0, 404);
    })
    .await;
}

#[tokio::test]
async fn every_form_renders() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let goal = app.goal_id("Ökad valfrihet").await;
        let ind = app.indicator_id("Betygsindex för trygghet").await;
        let commitment = app
            .store()
            .commitments(uppsikt_store::Scope::GoalTree(goal))
            .await
            .unwrap()[0]
            .id;
        for path in [
            format!("/org/{ks}/goals/new"),
            format!("/goals/{goal}/edit"),
            format!("/goals/{goal}/indicators/new"),
            format!("/indicators/{ind}/edit"),
            format!("/indicators/{ind}/outcome"),
            format!("/indicators/{ind}/milestones"),
            format!("/goals/{goal}/commitments/new"),
            format!("/commitments/{commitment}/edit"),
            format!("/commitments/{commitment}/status"),
            format!("/goals/{goal}/assessment?period=2019"),
            format!("/org/{ks}/assessment?period=2019"),
            format!("/org/{ks}/review?period=2019"),
            format!("/org/{ks}/lock"),
            format!("/org/{ks}/reopen?period=2019"),
            format!("/org/{ks}/deviations/new"),
            "/kolada/settings".to_string(),
            "/kolada/groups/new".to_string(),
        ] {
            let (status, html) = app.get(&path).await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("<form method=\"post\""), "{path} has a form");
            assert!(html.contains("<label for=\"f-"), "{path} labels its fields");
        }
    })
    .await;
}

/// The value a form shows in its one-line field `name`.
fn input_value<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let attribute = format!("name=\"{name}\" value=\"");
    let start = html.find(&attribute)? + attribute.len();
    html[start..].split('"').next()
}

/// Edit forms are filled by field name: each stored value is in its own field.
#[tokio::test]
async fn edit_forms_show_each_stored_value_in_its_field() {
    each(async |app| {
        let ind = app.indicator_id("Betygsindex för trygghet").await;
        let i = app.store().indicator_record(ind).await.unwrap().indicator;
        let (_, html) = app.get(&format!("/indicators/{ind}/edit")).await;
        assert_eq!(input_value(&html, "name"), Some(escape(&i.name).as_str()));
        assert_eq!(input_value(&html, "unit"), Some(escape(&i.unit).as_str()));
        assert_eq!(
            input_value(&html, "decimals"),
            Some(i.decimals.to_string().as_str())
        );
        assert_eq!(
            input_value(&html, "kolada_kpi"),
            Some(i.kolada_kpi.as_str())
        );

        let goal = app.goal_id("Ökad valfrihet").await;
        let g = app.store().goal(goal).await.unwrap();
        let (_, html) = app.get(&format!("/goals/{goal}/edit")).await;
        assert_eq!(input_value(&html, "title"), Some(escape(&g.title).as_str()));
        assert_eq!(
            input_value(&html, "position"),
            Some(g.position.to_string().as_str())
        );

        let c = &app
            .store()
            .commitments(uppsikt_store::Scope::GoalTree(goal))
            .await
            .unwrap()[0];
        let (_, html) = app.get(&format!("/commitments/{}/edit", c.id)).await;
        assert_eq!(input_value(&html, "title"), Some(escape(&c.title).as_str()));
        assert_eq!(
            input_value(&html, "year"),
            Some(c.year.to_string().as_str())
        );
        let (_, html) = app.get(&format!("/commitments/{}/status", c.id)).await;
        assert_eq!(
            input_value(&html, "date"),
            Some(format!("{:04}-12-31", c.year).as_str())
        );

        let ks = app.org_id("KS").await;
        let (_, html) = app.get(&format!("/org/{ks}/review?period=2019T2")).await;
        assert_eq!(input_value(&html, "period"), Some("2019T2"));
        let (_, html) = app.get(&format!("/org/{ks}/reopen?period=2019")).await;
        assert!(html.contains("<option value=\"2019\" selected>"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn adding_an_outcome_changes_status_and_trend() {
    each(async |app| {
        let id = app.indicator_id("Betygsindex för trygghet").await;
        let (status, _, location) = app
            .post(
                &format!("/indicators/{id}/outcome"),
                &[
                    ("period", "2021"),
                    ("breakdown", "total"),
                    ("value", "66,5"),
                    ("margin", "3"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/indicators/{id}?period=2021").as_str()),
            "back to the indicator as of the period just entered"
        );
        let (_, _, _) = app
            .post(
                &format!("/indicators/{id}/milestones"),
                &[("kind", "milestone"), ("year", "2021"), ("target", ">60")],
            )
            .await;
        let (_, html) = app.get(&format!("/indicators/{id}")).await;
        assert!(html.contains("66,5"), "new value shown");
        assert!(
            html.contains("id=\"indicator-trend\">Positiv"),
            "51 → 66.5 beyond the margin"
        );
        assert!(html.contains("id=\"indicator-status\">Uppnått"));
        let record = app.store().indicator_record(id).await.unwrap();
        assert!(record
            .outcomes
            .iter()
            .any(|o| o.value == 66.5 && o.margin == Some(3.0)));
        let log = app
            .store()
            .change_log(Some(("outcome", id)), 5)
            .await
            .unwrap();
        assert_eq!(log[0].actor, "admin", "the signed-in user is logged");
    })
    .await;
}

#[tokio::test]
async fn invalid_outcome_redisplays_the_form_with_input_and_swedish_messages() {
    each(async |app| {
        let id = app.indicator_id("Betygsindex för trygghet").await;
        let before = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post(
                &format!("/indicators/{id}/outcome"),
                &[
                    ("period", "2019X"),
                    ("breakdown", "total"),
                    ("value", "fyrtio två"),
                    ("margin", "-1"),
                    ("sample_size", ""),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Uppgifterna sparades inte"));
        assert!(html.contains("value=\"2019X\""), "period input kept");
        assert!(html.contains("value=\"fyrtio två\""), "value input kept");
        assert!(html.contains("är ingen period"));
        assert!(html.contains("är inget tal"));
        assert!(html.contains("Felmarginalen kan inte vara negativ"));
        assert!(html.contains("aria-invalid=\"true\""));
        assert_eq!(
            app.store().data_version().await.unwrap(),
            before,
            "nothing saved"
        );
        // A percentage out of range on a % indicator.
        let pct = app
            .indicator_id("Andel vuxna som upplever sitt bostadsområde som tryggt")
            .await;
        let (status, html, _) = app
            .post(
                &format!("/indicators/{pct}/outcome"),
                &[("period", "2020"), ("breakdown", "total"), ("value", "120")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("mellan 0 och 100"));
    })
    .await;
}

#[tokio::test]
async fn goal_forms_create_edit_and_refuse_bad_input() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let kf_goal = app.goal_id("Bra att leva och bo").await;
        let long = "å".repeat(201);
        let (status, html, _) = app
            .post(
                &format!("/org/{ks}/goals/new"),
                &[
                    ("title", &long),
                    ("kind", "board"),
                    ("parent", &kf_goal.to_string()),
                    ("analysis", "Text utan period"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("för lång: högst 200 tecken"));
        assert!(
            html.contains(&long),
            "the long title is kept, not truncated"
        );
        assert!(html.contains("Ange vilken period analysen gäller"));
        assert!(html.contains("Text utan period"));

        let parent = kf_goal.to_string();
        let form = [
            ("title", "Ökad trygghet i Vårby"),
            ("kind", "board"),
            ("parent", parent.as_str()),
            ("priorities", "Belysning\n\nTrygghetsvandringar"),
            ("analysis_period", "2024"),
            ("analysis", "Första året."),
        ];
        let (status, _, location) = app.post(&format!("/org/{ks}/goals/new"), &form).await;
        assert_eq!(status, 303);
        let path = location.unwrap();
        let (_, html) = app.get(&path).await;
        assert!(html.contains("Ökad trygghet i Vårby"));
        assert!(
            html.contains("<li>Belysning</li>") && html.contains("<li>Trygghetsvandringar</li>")
        );
        let id: i64 = path.trim_start_matches("/goals/").parse().unwrap();
        assert_eq!(app.store().goal(id).await.unwrap().parent_id, Some(kf_goal));

        // Edit, and refuse to put the KF goal under its own child.
        let (status, _, _) = app
            .post(
                &format!("/goals/{id}/edit"),
                &[
                    ("title", "Ökad trygghet i Vårby och Skogås"),
                    ("kind", "board"),
                    ("parent", parent.as_str()),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            app.store().goal(id).await.unwrap().title,
            "Ökad trygghet i Vårby och Skogås"
        );
        let child = id.to_string();
        let (status, html, _) = app
            .post(
                &format!("/goals/{kf_goal}/edit"),
                &[
                    ("title", "Bra att leva och bo"),
                    ("kind", "overall"),
                    ("parent", child.as_str()),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("kan inte ligga under sig självt"));
    })
    .await;
}

#[tokio::test]
async fn indicator_milestone_and_commitment_forms_save_and_validate() {
    each(async |app| {
        let goal = app.goal_id("Ökad valfrihet").await;
        let (status, html, _) = app
            .post(
                &format!("/goals/{goal}/indicators/new"),
                &[
                    ("name", ""),
                    ("unit", "%"),
                    ("direction", "sidled"),
                    ("decimals", "7"),
                    ("frequency", "year"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Fältet måste fyllas i"));
        assert!(html.contains("inget av de tillåtna alternativen"));
        assert!(html.contains("inget heltal mellan 0 och 4"));
        let (status, _, location) = app
            .post(
                &format!("/goals/{goal}/indicators/new"),
                &[
                    ("name", "Andel verksamhet i extern regi"),
                    ("unit", "%"),
                    ("direction", "higher"),
                    ("decimals", "1"),
                    ("frequency", "year"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let ind: i64 = location
            .unwrap()
            .trim_start_matches("/indicators/")
            .parse()
            .unwrap();

        let (status, html, _) = app
            .post(
                &format!("/indicators/{ind}/milestones"),
                &[
                    ("kind", "milestone"),
                    ("year", "2020"),
                    ("target", "bättre"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("inget giltigt mål"));
        assert!(html.contains("value=\"bättre\""));
        let (status, _, _) = app
            .post(
                &format!("/indicators/{ind}/milestones"),
                &[("kind", "target"), ("year", "2030"), ("target", "≥ 25,5")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            app.store().indicator_record(ind).await.unwrap().targets[0]
                .1
                .to_string(),
            ">=25.5"
        );

        let (status, html, _) = app
            .post(
                &format!("/goals/{goal}/commitments/new"),
                &[
                    ("title", "Konkurrensprövningsstrategi"),
                    ("year", "tjugotjugo"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("value=\"tjugotjugo\""));
        let (status, _, _) = app
            .post(
                &format!("/goals/{goal}/commitments/new"),
                &[
                    ("title", "Konkurrensprövningsstrategi"),
                    ("year", "2020"),
                    ("description", "Slutföra strategin."),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let c = app
            .store()
            .commitments(uppsikt_store::Scope::GoalTree(goal))
            .await
            .unwrap();
        let new = c.iter().find(|c| c.year == 2020).unwrap();
        let (status, html, _) = app
            .post(
                &format!("/commitments/{}/status", new.id),
                &[("status", "done"), ("date", "2020-02-30")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("inget datum"));
        let (status, _, _) = app
            .post(
                &format!("/commitments/{}/status", new.id),
                &[
                    ("status", "done"),
                    ("date", "2020-12-15"),
                    ("comment", "Beslutad i KF."),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let (status, _, _) = app
            .post(
                &format!("/commitments/{}/edit", new.id),
                &[
                    ("title", "Strategi för konkurrensprövning"),
                    ("year", "2020"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let c = app.store().commitment(new.id).await.unwrap();
        assert_eq!(c.title, "Strategi för konkurrensprövning");
        assert_eq!(c.latest().unwrap().comment, "Beslutad i KF.");
    })
    .await;
}

#[tokio::test]
async fn a_decided_assessment_that_overrides_the_proposal_needs_a_motivation() {
    each(async |app| {
        let goal = app.goal_id("Ökad valfrihet").await;
        let path = format!("/goals/{goal}/assessment");
        let (status, html, _) = app
            .post(
                &path,
                &[
                    ("period", "2019"),
                    ("stage", "decided"),
                    ("level", "God"),
                    ("author", "Kommunstyrelsen"),
                ],
            )
            .await;
        assert_eq!(status, 422, "God differs from the proposal Ej godtagbar");
        assert!(html.contains("Skriv en motivering"));
        let (status, html, _) = app
            .post(
                &path,
                &[
                    ("period", "2019"),
                    ("stage", "decided"),
                    ("level", "Utmärkt"),
                    ("author", ""),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("finns inte på bedömningsskalan")
                || html.contains("inget av de tillåtna")
        );
        let (status, _, _) = app
            .post(
                &path,
                &[
                    ("period", "2020"),
                    ("stage", "proposed"),
                    ("level", "Godtagbar"),
                    ("author", "Controller"),
                    ("motivation", "Strategin beslutades 2020."),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = app.get(&format!("/goals/{goal}?period=2020")).await;
        assert!(html.contains("badge level-2\">Godtagbar"));
        let ks = app.org_id("KS").await;
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/assessment"),
                &[
                    ("period", "2019"),
                    ("stage", "proposed"),
                    ("level", "God"),
                    ("author", "Controller"),
                ],
            )
            .await;
        assert_eq!(status, 303);
    })
    .await;
}

#[tokio::test]
async fn assessment_form_without_a_period_uses_the_units_latest() {
    each(async |app| {
        let kf = app.org_id("KF").await;
        let (status, html) = app.get(&format!("/org/{kf}/assessment")).await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"2023\""), "KF's data runs to 2023");
        assert!(!html.contains("value=\"2019\""));
    })
    .await;
}

#[tokio::test]
async fn events_and_improvement_areas_are_shown_edited_and_validated() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (status, html) = app.get(&format!("/org/{ks}?period=2019")).await;
        assert_eq!(status, 200);
        assert!(html.contains("<h3>Årets händelser</h3>"));
        assert!(html.contains("Valet till Europaparlamentet hölls i maj."));
        assert!(html.contains("Utveckla processen för lokalförsörjning."));
        let form = format!("/org/{ks}/review");
        let (status, html) = app.get(&format!("{form}?period=2019")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Valet till Europaparlamentet hölls i maj.\n"));

        // A bad period re-displays everything typed, with a Swedish message.
        let typed = "Ny simhall i Flemingsberg öppnade\nÅrets företagare utsågs";
        let (status, html, _) = app
            .post(
                &form,
                &[
                    ("period", "2019X"),
                    ("events", typed),
                    ("improvement_areas", "Ökad samverkan"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("2019X"));
        assert!(html.contains("Ny simhall i Flemingsberg öppnade\nÅrets företagare utsågs"));
        assert!(html.contains("Ökad samverkan"));
        // Over-long text is refused, not truncated.
        let long = "å".repeat(20_001);
        let (status, html, _) = app
            .post(&form, &[("period", "2020"), ("events", long.as_str())])
            .await;
        assert_eq!(status, 422);
        assert!(html.contains(&long));

        let (status, _, location) = app
            .post(
                &form,
                &[
                    ("period", "2020T1"),
                    (
                        "events",
                        "- Ny simhall i Flemingsberg öppnade\n\n• Årets företagare utsågs",
                    ),
                    ("improvement_areas", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/org/{ks}?period=2020T1").as_str())
        );
        let review = app
            .store()
            .period_review(ks, uppsikt_domain::Period::Tertial(2020, 1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            review.events,
            vec![
                "Ny simhall i Flemingsberg öppnade",
                "Årets företagare utsågs"
            ]
        );
        assert!(review.improvement_areas.is_empty());
        let (_, html) = app.get(&format!("/org/{ks}?period=2020T1")).await;
        assert!(html.contains("<h3>Periodens händelser</h3>"));
        assert!(!html.contains("<h3>Förbättringsområden</h3>"));
    })
    .await;
}

#[tokio::test]
async fn api_serves_goals_indicators_and_its_openapi_document() {
    each(async |app| {
        let (status, doc) = app.json("/api/v1/openapi.json").await;
        assert_eq!(status, 200);
        assert_eq!(doc["openapi"], "3.0.3");
        for path in [
            "/api/v1/org-units",
            "/api/v1/org-units/{id}/goals",
            "/api/v1/goals/{id}",
            "/api/v1/indicators/{id}",
            // The public API and the open data (issue 23; more in tests/open_data.rs).
            "/api/public/v1/units",
            "/api/public/v1/goals",
            "/api/public/v1/goals/{id}",
            "/api/public/v1/indicators",
            "/api/public/v1/indicators/{id}",
            "/api/public/v1/assessments",
            "/oppna-data/utfall.csv",
            "/oppna-data/katalog.rdf",
        ] {
            assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
        }
        let (status, units) = app.json("/api/v1/org-units").await;
        assert_eq!(status, 200);
        assert!(units["org_units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["short_name"] == "KS"));

        let ks = app.org_id("KS").await;
        let (status, board) = app
            .json(&format!("/api/v1/org-units/{ks}/goals?period=2019"))
            .await;
        assert_eq!(status, 200);
        let valfrihet = board["goals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["title"] == "Ökad valfrihet")
            .unwrap();
        assert_eq!(valfrihet["assessment"]["decided"]["level"], "Ej godtagbar");
        assert_eq!(valfrihet["assessment"]["system"]["level"], "Ej godtagbar");
        assert_eq!(board["overall"]["decided"]["level"], "God");

        let goal = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let (status, g) = app.json(&format!("/api/v1/goals/{goal}?period=2019")).await;
        assert_eq!(status, 200);
        let ind = g["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "Betygsindex för trygghet")
            .unwrap();
        assert_eq!(ind["evaluation"]["trend"], "unchanged");
        assert!(!g["commitments"].as_array().unwrap().is_empty());

        let id = ind["id"].as_i64().unwrap();
        let (status, i) = app.json(&format!("/api/v1/indicators/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(
            i["outcomes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["breakdown"] == "total")
                .count(),
            4
        );
        assert!(i["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["period"] == "2019" && e["status"] == "not_achieved"));

        let (status, err) = app.json("/api/v1/goals/999999").await;
        assert_eq!(status, 404);
        assert!(err["error"].as_str().unwrap().contains("finns inte"));
        let (status, _) = app.json(&format!("/api/v1/goals/{goal}?period=bad")).await;
        assert_eq!(status, 400);
    })
    .await;
}

#[tokio::test]
async fn responses_carry_security_headers_and_unknown_paths_are_404() {
    each(async |app| {
        let r = app.client.get(app.url("/")).send().await.unwrap();
        let csp = r
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
        assert_eq!(
            r.headers().get("x-content-type-options").unwrap(),
            "nosniff"
        );
        let (status, html) = app.get("/finns-inte").await;
        assert_eq!(status, 404);
        assert!(html.contains("Sidan hittades inte"));
        assert_eq!(app.get("/static/style.css").await.0, 200);
    })
    .await;
}

#[tokio::test]
async fn skapa_rapport_builds_a_report_in_the_background_for_download() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (status, html) = app.get(&format!("/org/{ks}")).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("href=\"/org/{ks}/reports\">Skapa rapport")));
        assert_eq!(app.get(&format!("/org/{ks}/reports")).await.0, 200);
        let (status, html, _) = app
            .post(
                &format!("/org/{ks}/reports"),
                &[
                    ("kind", "delarsrapport"),
                    ("period", "2019"),
                    ("format", "html"),
                ],
            )
            .await;
        assert_eq!(status, 422, "a delårsrapport needs a tertial");
        assert!(html.contains("tertial 1 (per 30 april)"));
        let (status, _, location) = app
            .post(
                &format!("/org/{ks}/reports"),
                &[
                    ("kind", "verksamhetsberattelse"),
                    ("period", "2019"),
                    ("format", "html"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let job = location.unwrap();
        let mut ready = false;
        for _ in 0..100 {
            let (_, s) = app.json(&format!("{job}/status")).await;
            if s["state"] == "ready" {
                ready = true;
                break;
            }
            assert_ne!(s["state"], "failed", "{s}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready, "report finished");
        let (status, page) = app.get(&job).await;
        assert_eq!(status, 200);
        assert!(page.contains("Rapporten är klar"));
        let r = app
            .client
            .get(app.url(&format!("{job}/download")))
            .header("cookie", &app.session.as_ref().unwrap().cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("verksamhetsberattelse-2019-kommunstyrelsen.html"));
        let version = r.headers()["x-uppsikt-data-version"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            version,
            app.store().data_version().await.unwrap().to_string()
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("Verksamhetsberättelse 2019") && body.contains("Ökad valfrihet"));
        assert_eq!(app.get("/reports/999999").await.0, 404);
    })
    .await;
}
