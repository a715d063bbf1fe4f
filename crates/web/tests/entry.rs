//! Entering outcomes like a spreadsheet, writing the analysis and assessing where you
//! read: the outcome grids (per indicator, per goal), pasting from Excel, the save
//! confirmation, the goal page's analysis form and the assessment form, over HTTP on
//! every available backend with the demo data.

mod common;

use common::{App, Session, KS_2019_DECISION};
use uppsikt_domain::{Breakdown, Period};

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// KS's "Andel vuxna som upplever sitt bostadsområde som tryggt kvällstid" (unit %,
/// outcomes 2018: total, women, men, Gladö-Lissma, Vårby).
async fn evening(app: &App) -> i64 {
    app.indicator_id("Andel vuxna som upplever sitt bostadsområde som tryggt kvällstid")
        .await
}

async fn value(app: &App, id: i64, period: &str, b: Breakdown) -> Option<(f64, Option<f64>)> {
    let p = Period::parse(period).unwrap();
    app.store()
        .indicator_record(id)
        .await
        .unwrap()
        .outcomes
        .into_iter()
        .find(|o| o.period == p && o.breakdown == b)
        .map(|o| (o.value, o.margin))
}

/// POST as `session` returning the answer's `Set-Cookie` headers too.
async fn post_with_cookies(
    app: &App,
    session: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Vec<String>) {
    let mut fields = form.to_vec();
    fields.push(("csrf", &session.csrf));
    let r = app
        .client
        .post(app.url(path))
        .header("cookie", &session.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (r.status().as_u16(), location, cookies)
}

#[tokio::test]
async fn the_indicator_grid_saves_total_women_and_men_in_one_submit_and_confirms_it() {
    each(async |app| {
        let id = evening(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/indicators/{id}/outcomes");
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200);
        for heading in ["Totalt", "Kvinnor", "Män", "Gladö-Lissma", "Vårby"] {
            assert!(
                html.contains(&format!("<th scope=\"col\">{heading}<")),
                "{heading}"
            );
        }
        assert!(
            html.contains("name=\"v|2018|total\" value=\"70\""),
            "stored values filled"
        );
        assert!(
            html.contains("name=\"v|2020|women\" value=\"\""),
            "next periods offered"
        );
        assert!(html.contains("Klistra in från Excel"));
        assert!(html.contains("Lägg till period"));

        let before = app.store().data_version().await.unwrap();
        let (status, location, cookies) = post_with_cookies(
            app,
            &editor,
            &path,
            &[
                ("v|2020|total", "58 %"),
                ("m|2020|total", "±3"),
                ("v|2020|women", "60"),
                ("m|2020|women", "+/- 4"),
                ("v|2020|men", "56,5"),
                ("m|2020|men", ""),
                ("v|2018|total", "70"),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(path.as_str()));
        assert_eq!(
            value(app, id, "2020", Breakdown::Total).await,
            Some((58.0, Some(3.0)))
        );
        assert_eq!(
            value(app, id, "2020", Breakdown::Women).await,
            Some((60.0, Some(4.0)))
        );
        assert_eq!(
            value(app, id, "2020", Breakdown::Men).await,
            Some((56.5, None))
        );
        assert_eq!(
            app.store().data_version().await.unwrap(),
            before + 1,
            "one transaction"
        );
        let log = app
            .store()
            .change_log(Some(("outcome", id)), 10)
            .await
            .unwrap();
        assert_eq!(
            log.iter().filter(|l| l.actor == "redaktor-ks").count(),
            3,
            "three outcomes logged, the unchanged 2018 value not"
        );
        let flash = cookies
            .iter()
            .find(|c| c.starts_with("__Host-uppsikt_flash="))
            .expect("the save sets its confirmation");
        assert!(flash.contains("HttpOnly") && flash.contains("SameSite=Strict"));
        // The next page shows it once, as a status message, and clears it.
        let value_part = flash.split(';').next().unwrap();
        let r = app
            .client
            .get(app.url(&path))
            .header("cookie", format!("{}; {value_part}", editor.cookie))
            .send()
            .await
            .unwrap();
        let cleared = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("__Host-uppsikt_flash=;"));
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<div class=\"flash\" role=\"status\"><p>Sparat: 3 utfall.</p></div>"),
            "{}",
            &html[..html.len().min(3000)]
        );
        assert!(cleared, "the confirmation is shown once");
        let (_, html) = app.get_as(Some(&editor), &path).await;
        assert!(!html.contains("class=\"flash\""), "not on the next page");
    })
    .await;
}

#[tokio::test]
async fn one_bad_cell_saves_nothing_and_the_grid_comes_back_with_every_value_typed() {
    each(async |app| {
        let id = evening(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/indicators/{id}/outcomes");
        let before = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    ("v|2020|total", "58"),
                    ("v|2020|women", "sextio"),
                    ("v|2020|men", "120"),
                    ("m|2020|area:Vårby", "3"),
                    ("v|2018|total", ""),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Inget sparades. Rätta följande:"));
        assert!(html.contains("value=\"sextio\""), "typed value kept");
        assert!(html.contains("value=\"58\""), "the good cell kept too");
        assert!(html.contains("”sextio” är inget tal"));
        assert!(html.contains("mellan 0 och 100"));
        assert!(html.contains("Ange ett värde till felmarginalen"));
        assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"e"));
        assert!(html.contains("href=\"#c"), "the summary links to the cells");
        assert_eq!(
            app.store().data_version().await.unwrap(),
            before,
            "nothing saved"
        );
        assert_eq!(value(app, id, "2020", Breakdown::Total).await, None);
        assert_eq!(
            value(app, id, "2018", Breakdown::Total).await,
            Some((70.0, None)),
            "the cleared cell was not deleted either"
        );

        // A per-cent sign for an indicator that is not in per cent is refused.
        let index = app.indicator_id("Betygsindex för trygghet").await;
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &format!("/indicators/{index}/outcomes"),
                &[("v|2021|total", "3 %"), ("action", "save")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("måttets enhet är inte procent"), "{html}");
        assert_eq!(app.store().data_version().await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn clearing_a_cell_deletes_its_outcome_and_logs_it() {
    each(async |app| {
        let id = evening(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let (status, _, location) = app
            .post_as(
                Some(&editor),
                &format!("/indicators/{id}/outcomes"),
                &[
                    ("v|2018|area:Vårby", ""),
                    ("m|2018|area:Vårby", ""),
                    ("v|2018|total", "70"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{location:?}");
        assert_eq!(
            value(app, id, "2018", Breakdown::Area("Vårby".into())).await,
            None
        );
        assert_eq!(
            value(app, id, "2018", Breakdown::Total).await,
            Some((70.0, None))
        );
        let log = app
            .store()
            .change_log(Some(("outcome", id)), 5)
            .await
            .unwrap();
        assert_eq!(log[0].action, "delete");
    })
    .await;
}

#[tokio::test]
async fn grids_refuse_visitors_readers_and_editors_of_other_units_and_change_nothing() {
    each(async |app| {
        let id = evening(app).await;
        let goal = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let reader = app.session_for("lasare").await;
        let fsn = app.session_for("redaktor-fsn").await;
        let before = app.store().data_version().await.unwrap();
        for path in [
            format!("/indicators/{id}/outcomes"),
            format!("/goals/{goal}/outcomes?period=2020"),
            format!("/goals/{goal}/analysis?period=2020"),
        ] {
            let (status, _) = app.get_as(None, &path).await;
            assert!(
                status == 303 || status == 401 || status == 403,
                "{path}: {status}"
            );
            for s in [&reader, &fsn] {
                let (status, _) = app.get_as(Some(s), &path).await;
                assert_eq!(status, 403, "{path}");
            }
        }
        let cells = [
            ("v|2020|total", "58"),
            ("period", "2020"),
            ("v|ID|total", "58"),
            ("analysis", "Inte min"),
            ("action", "save"),
        ];
        for path in [
            format!("/indicators/{id}/outcomes"),
            format!("/goals/{goal}/outcomes"),
            format!("/goals/{goal}/analysis"),
        ] {
            let (status, _, _) = app.post_as(None, &path, &cells).await;
            assert!(
                status == 303 || status == 401 || status == 403,
                "{path}: {status}"
            );
            for s in [&reader, &fsn] {
                let (status, _, _) = app.post_as(Some(s), &path, &cells).await;
                assert_eq!(status, 403, "{path}");
            }
        }
        assert_eq!(
            app.store().data_version().await.unwrap(),
            before,
            "nothing changed"
        );
    })
    .await;
}

#[tokio::test]
async fn the_goal_grid_saves_its_indicators_for_one_period() {
    each(async |app| {
        let goal = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let id = evening(app).await;
        let housing = app.indicator_id("Betygsindex för bostäder").await;
        let editor = app.session_for("redaktor-ks").await;
        let (status, html) = app
            .get_as(
                Some(&editor),
                &format!("/goals/{goal}/outcomes?period=2020"),
            )
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("Utfall 2020 för Ökad trivsel och trygghet i Huddinges områden"));
        assert!(html.contains("Betygsindex för bostäder"));
        assert!(html.contains(&format!("name=\"v|{id}|total\"")));
        let (status, _, location) = app
            .post_as(
                Some(&editor),
                &format!("/goals/{goal}/outcomes"),
                &[
                    ("period", "2020"),
                    (&format!("v|{id}|total"), "1.234,5"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{location:?}");
        let (status, _, location) = app
            .post_as(
                Some(&editor),
                &format!("/goals/{goal}/outcomes"),
                &[
                    ("period", "2020"),
                    (&format!("v|{id}|total"), "62"),
                    (&format!("v|{housing}|total"), "1\u{202f}055"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/goals/{goal}/outcomes?period=2020").as_str())
        );
        assert_eq!(
            value(app, id, "2020", Breakdown::Total).await,
            Some((62.0, None))
        );
        assert_eq!(
            value(app, housing, "2020", Breakdown::Total).await,
            Some((1055.0, None))
        );
    })
    .await;
}

#[tokio::test]
async fn a_paste_from_excel_fills_the_grid_without_saving() {
    each(async |app| {
        let id = evening(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/indicators/{id}/outcomes");
        let before = app.store().data_version().await.unwrap();
        // With a header row, periods first, a margin column and a new period.
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    (
                        "paste",
                        "Period\tTotalt\t±\tKvinnor\tMän\r\n2020\t58 %\t3\t60\t56,5\r\n2021\t59 ± 2\t\t61\t57\r\n",
                    ),
                    ("action", "read"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("name=\"v|2020|total\" value=\"58 %\""));
        assert!(html.contains("name=\"m|2020|total\" value=\"3\""));
        assert!(html.contains("name=\"v|2020|men\" value=\"56,5\""));
        assert!(html.contains("name=\"v|2021|total\" value=\"59\""));
        assert!(html.contains("name=\"m|2021|total\" value=\"2\""));
        assert_eq!(app.store().data_version().await.unwrap(), before, "read in, not saved");

        // Without a header: values in the grid's column order, rows named by period.
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[("paste", "2019\t71\t62\t81"), ("action", "read")],
            )
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("name=\"v|2019|women\" value=\"62\""));
        // A line naming no period is reported at the paste field.
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[("paste", "Förra året\t71"), ("action", "read")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Rad 1: ”Förra året” är ingen period"));
        assert!(html.contains("value=\"v\"") || html.contains("Förra året"));
        assert_eq!(app.store().data_version().await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn a_locked_period_is_read_only_in_the_grid_and_refused() {
    each(async |app| {
        let id = evening(app).await;
        let ks = app.org_id("KS").await;
        let controller = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/lock"),
                &KS_2019_DECISION,
            )
            .await;
        assert_eq!(status, 303);
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/indicators/{id}/outcomes");
        let (_, html) = app.get_as(Some(&editor), &path).await;
        assert!(html.contains("Låsta perioder visas utan rutor"));
        assert!(
            !html.contains("name=\"v|2018|total\""),
            "no input for a decided period"
        );
        let before = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    ("v|2018|total", "71"),
                    ("v|2020|total", "58"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("är låst genom beslut"));
        assert_eq!(app.store().data_version().await.unwrap(), before);
        assert_eq!(value(app, id, "2020", Breakdown::Total).await, None);
    })
    .await;
}

#[tokio::test]
async fn the_analysis_is_written_on_the_goal_page_for_its_period() {
    each(async |app| {
        let goal = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let editor = app.session_for("redaktor-ks").await;
        let (_, html) = app
            .get_as(Some(&editor), &format!("/goals/{goal}?period=2020"))
            .await;
        assert!(html.contains("Ingen analys är skriven för 2020 ännu."));
        assert!(html.contains(&format!("action=\"/goals/{goal}/analysis\"")));
        assert!(html.contains("<input type=\"hidden\" name=\"period\" value=\"2020\">"));
        let (status, _, location) = app
            .post_as(
                Some(&editor),
                &format!("/goals/{goal}/analysis"),
                &[
                    ("period", "2020"),
                    ("analysis", "Tryggheten ökade i Vårby."),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/goals/{goal}?period=2020#analysis-h").as_str())
        );
        let (_, html) = app
            .get_as(Some(&editor), &format!("/goals/{goal}?period=2020"))
            .await;
        assert!(html.contains("<p class=\"analysis\">Tryggheten ökade i Vårby.</p>"));
        // 2019's analysis is untouched.
        let (_, html) = app
            .get_as(Some(&editor), &format!("/goals/{goal}?period=2019"))
            .await;
        assert!(html.contains("Trygghetsfrågor har fått större plats"));
        // A reader sees the text, not the form.
        let reader = app.session_for("lasare").await;
        let (_, html) = app
            .get_as(Some(&reader), &format!("/goals/{goal}?period=2020"))
            .await;
        assert!(html.contains("Tryggheten ökade i Vårby."));
        assert!(!html.contains("/analysis\""));
    })
    .await;
}

#[tokio::test]
async fn the_assessment_form_chooses_no_level_names_the_assessor_and_shows_the_basis() {
    each(async |app| {
        let goal = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/goals/{goal}/assessment");
        let (status, html) = app
            .get_as(Some(&editor), &format!("{path}?period=2019"))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("type=\"radio\""));
        assert!(!html.contains(" checked"), "no level chosen beforehand");
        assert!(html.contains("name=\"author\" value=\"Test redaktor-ks\""));
        assert!(html.contains("Underlag 2019"));
        assert!(
            html.contains("Betygsindex för bostäder"),
            "the measures judged"
        );
        assert!(html.contains("Systemets förslag"));
        let before = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    ("period", "2019"),
                    ("stage", "proposed"),
                    ("motivation", "Enligt underlaget."),
                    ("author", "Test redaktor-ks"),
                    ("date", ""),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Underlag 2019"),
            "the basis stays beside the form"
        );
        assert!(
            html.contains("value=\"Enligt underlaget.\"") || html.contains(">Enligt underlaget.<")
        );
        assert_eq!(app.store().data_version().await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn every_form_save_confirms() {
    each(async |app| {
        let goal = app
            .goal_id("Ökad trivsel och trygghet i Huddinges områden")
            .await;
        let editor = app.session_for("redaktor-ks").await;
        let (status, _, cookies) = post_with_cookies(
            app,
            &editor,
            &format!("/goals/{goal}/analysis"),
            &[("period", "2021"), ("analysis", "Ny text.")],
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with("__Host-uppsikt_flash=Sparat")),
            "{cookies:?}"
        );
    })
    .await;
}
