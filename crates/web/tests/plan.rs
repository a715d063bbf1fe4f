//! The plan over HTTP on both backends: KS rolled from 2019 into 2020 (its 17 unfinished
//! commitments carried once, milestones saved all or nothing with a message at the row),
//! the verksamhetsplan document as a report job, the plan decided and reopened; and a
//! refusal for each route (visitor, reader, editor of another unit) that changes nothing.

mod common;

use common::App;
use uppsikt_domain::Target;
use uppsikt_store::Scope;

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// KS's commitments of a year.
async fn commitments(app: &App, year: i32) -> usize {
    let ks = app.org_id("KS").await;
    app.store()
        .commitments(Scope::Org(ks))
        .await
        .unwrap()
        .iter()
        .filter(|c| c.year == year)
        .count()
}

async fn milestone(app: &App, indicator: i64, year: i32) -> Option<Target> {
    app.store()
        .indicator_record(indicator)
        .await
        .unwrap()
        .milestones
        .into_iter()
        .find(|(y, _)| *y == year)
        .map(|(_, t)| t)
}

const DECISION: [(&str, &str); 4] = [
    ("body", "Kommunstyrelsen"),
    ("decided_on", "2019-12-09"),
    ("paragraph", "§ 200"),
    ("diary_number", "KS-2019/1234"),
];

#[tokio::test]
async fn ks_is_rolled_into_2020_its_plan_built_decided_and_reopened() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let housing = app
            .indicator_id("Antal färdigställda bostäder (Totalt)")
            .await;
        let broadband = app
            .indicator_id("Andel med tillgång till bredband om minst 100 Mbit/s - Hushåll")
            .await;
        assert_eq!(commitments(app, 2019).await, 43);
        assert_eq!(commitments(app, 2020).await, 0);

        let (status, html) = app.get(&format!("/org/{ks}/plan/2020/rollover")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Målen och måtten behålls"),
            "timeless, says the page"
        );
        assert!(
            html.contains("Gestaltningsprinciper för Huddinge"),
            "an unfinished commitment listed"
        );
        assert!(html.contains(&format!("name=\"m-{housing}\" value=\"\"")));
        let at = html
            .find(&format!("name=\"m-{broadband}\""))
            .expect("the row");
        assert!(
            html[at..at + 60].contains("value=\"&gt;=95\"")
                || html[at..at + 60].contains("value=\"&#62;=95\""),
            "the seeds' 2020 milestone prefilled: {}",
            &html[at..at + 60]
        );
        assert!(
            html.contains("≥\u{a0}850"),
            "last year's milestone beside the field"
        );

        // One row wrong: nothing at all is saved, the input is kept, the row says why.
        let housing_field = format!("m-{housing}");
        let broadband_field = format!("m-{broadband}");
        let (status, html, _) = app
            .post(
                &format!("/org/{ks}/plan/2020/rollover"),
                &[(&housing_field, "≥ 900"), (&broadband_field, "mycket")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”mycket” är inget giltigt mål"), "{html}");
        assert!(html.contains("value=\"≥ 900\""), "typed input kept");
        assert_eq!(commitments(app, 2020).await, 0);
        assert_eq!(milestone(app, housing, 2020).await, None);

        // Two milestones in one submit, and the 17 unfinished commitments carried.
        let (status, _, location) = app
            .post(
                &format!("/org/{ks}/plan/2020/rollover"),
                &[(&housing_field, "≥ 900"), (&broadband_field, "≥ 97")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(&*format!("/org/{ks}/plan/2020")));
        assert_eq!(commitments(app, 2020).await, 17);
        assert_eq!(
            milestone(app, housing, 2020).await,
            Some(Target::parse("≥900").unwrap())
        );
        assert_eq!(
            milestone(app, broadband, 2020).await,
            Some(Target::parse("≥97").unwrap())
        );
        // Again: nothing carried twice.
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/plan/2020/rollover"),
                &[(&housing_field, "≥ 900"), (&broadband_field, "≥ 97")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(commitments(app, 2020).await, 17);

        let (status, html) = app.get(&format!("/org/{ks}/plan/2020")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Utkast."));
        assert!(html.contains("Målen och måtten är tidlösa"));
        assert!(html.contains("≥\u{a0}900"));
        assert!(html.contains("(överflyttat från 2019"));
        assert!(
            html.contains("Saknas"),
            "milestones not filled in are shown as missing"
        );
        // A draft is not public.
        assert_eq!(
            app.get_as(None, &format!("/org/{ks}/plan/2020")).await.0,
            404
        );

        // The document, as a report job.
        let body = app
            .report_text(
                ks,
                &[
                    ("kind", "verksamhetsplan"),
                    ("period", "2020"),
                    ("format", "html"),
                ],
            )
            .await;
        assert!(body.contains("Verksamhetsplan 2020"));
        assert!(body.contains("Utkast – planen är inte beslutad."));
        assert!(body.contains("Gestaltningsprinciper för Huddinge"));
        assert!(body.contains("Överflyttat från 2019"));
        assert!(body.contains("≥\u{a0}900"));

        // Decided: public, frozen.
        let controller = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/plan/2020/decide"),
                &DECISION,
            )
            .await;
        assert_eq!(status, 303);
        let (status, html, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/plan/2020/decide"),
                &DECISION,
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Verksamhetsplanen för 2020 är redan beslutad för enheten."));
        let (status, html) = app.get_as(None, &format!("/org/{ks}/plan/2020")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Beslutad plan."));
        assert!(html.contains("Kommunstyrelsen 2019-12-09, § 200, dnr KS-2019/1234"));
        assert!(
            html.contains("Gestaltningsprinciper för Huddinge"),
            "the decided commitments are public"
        );
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post(
                &format!("/org/{ks}/plan/2020/rollover"),
                &[(&housing_field, "≥ 950")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Verksamhetsplanen för 2020 är beslutad"),
            "{html}"
        );
        let (status, html, _) = app
            .post(
                &format!("/indicators/{housing}/milestones"),
                &[("kind", "milestone"), ("year", "2020"), ("target", "≥ 950")],
            )
            .await;
        assert_eq!(status, 422, "the milestone form says it at the field");
        assert!(html.contains("Verksamhetsplanen för 2020 är beslutad"));
        assert_eq!(app.store().data_version().await.unwrap(), version);
        assert_eq!(
            milestone(app, housing, 2020).await,
            Some(Target::parse("≥900").unwrap())
        );

        // Reopened with a reason: open again.
        let (status, html, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/plan/2020/reopen"),
                &[("reason", "")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Fel i formuläret"));
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/plan/2020/reopen"),
                &[("reason", "Etappmålet för bostäder ska ändras")],
            )
            .await;
        assert_eq!(status, 303);
        assert!(app.store().plan_decision(ks, 2020).await.unwrap().is_none());
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/plan/2020/rollover"),
                &[(&housing_field, "≥ 950")],
            )
            .await;
        assert_eq!(status, 303);
    })
    .await;
}

/// A route, its form and who it refuses.
type Route<'a> = (&'a str, &'a [(&'a str, &'a str)], Vec<&'a common::Session>);

/// Every plan route refuses those it is not for, and nothing changes.
#[tokio::test]
async fn the_plan_routes_refuse_visitors_readers_and_other_units_editors() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let housing = app
            .indicator_id("Antal färdigställda bostäder (Totalt)")
            .await;
        let field = format!("m-{housing}");
        let reader = app.session_for("lasare").await;
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let ks_editor = app.session_for("redaktor-ks").await;
        let version = app.store().data_version().await.unwrap();
        let rollover = format!("/org/{ks}/plan/2020/rollover");
        let decide = format!("/org/{ks}/plan/2020/decide");
        let reopen = format!("/org/{ks}/plan/2020/reopen");
        let roll_form: Vec<(&str, &str)> = vec![(&field, "≥ 900")];
        let reason = [("reason", "Inget skäl")];
        // (path, form, who may not) for each route.
        let routes: Vec<Route> = vec![
            (&rollover, &roll_form, vec![&reader, &fsn_editor]),
            (&decide, &DECISION, vec![&reader, &fsn_editor, &ks_editor]),
            (&reopen, &reason, vec![&reader, &fsn_editor, &ks_editor]),
        ];
        for (path, form, refused) in &routes {
            let (status, _) = app.get_as(None, path).await;
            assert_eq!(status, 303, "a visitor is sent to sign in: GET {path}");
            let (status, _, location) = app.post_as(None, path, form).await;
            assert!(
                [303, 401, 403].contains(&status),
                "visitor POST {path}: {status}"
            );
            if status == 303 {
                assert!(location.unwrap().starts_with("/login"));
            }
            for s in refused {
                assert_eq!(app.get_as(Some(s), path).await.0, 403, "GET {path}");
                let (status, html, _) = app.post_as(Some(s), path, form).await;
                assert_eq!(status, 403, "POST {path}");
                assert!(html.contains("behörighet") || html.contains("Ingen behörighet"));
            }
        }
        // A draft plan is not for visitors.
        assert_eq!(
            app.get_as(None, &format!("/org/{ks}/plan/2020")).await.0,
            404
        );
        assert_eq!(
            app.get_as(Some(&reader), &format!("/org/{ks}/plan/2020"))
                .await
                .0,
            200
        );
        // Nothing changed.
        assert_eq!(app.store().data_version().await.unwrap(), version);
        assert_eq!(commitments(app, 2020).await, 0);
        assert_eq!(milestone(app, housing, 2020).await, None);
        assert!(app.store().plan_decision(ks, 2020).await.unwrap().is_none());
        // KS's own editor may roll over; a year outside the calendar is not a page.
        assert_eq!(app.get_as(Some(&ks_editor), &rollover).await.0, 200);
        assert_eq!(app.get(&format!("/org/{ks}/plan/99999")).await.0, 404);
    })
    .await;
}
