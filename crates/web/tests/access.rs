//! Accounts, sign-in, CSRF, roles and scope, period locking and history, over HTTP on the
//! real server, on SQLite and (when reachable) PostgreSQL.

mod common;

use common::{App, Session, KS_2019_DECISION, PASSWORD};

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// An indicator of a KS goal (KS's editors may change it, FSN's may not).
async fn ks_indicator(app: &App) -> i64 {
    let ks = app.org_id("KS").await;
    app.store()
        .indicator_records(uppsikt_store::Scope::Org(ks))
        .await
        .unwrap()
        .first()
        .expect("KS has indicators")
        .indicator
        .id
}

fn outcome_form(period: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("period", period),
        ("breakdown", "total"),
        ("value", "42,5"),
        ("margin", ""),
        ("sample_size", ""),
    ]
}

async fn sign_in(app: &App, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/login?next=%2Forg%2F3"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// The CSRF token from a page the session can see.
async fn csrf_of(app: &App, cookie: &str) -> String {
    let page = app
        .client
        .get(app.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[start..start + 64].to_string()
}

#[tokio::test]
async fn sign_in_sets_a_secure_session_cookie_and_sign_out_ends_it() {
    each(async |app| {
        let ind = ks_indicator(app).await;
        // Wrong password: the form again, user name kept, password never echoed.
        let r = sign_in(app, "redaktor-ks", "fel-lösenord-999").await;
        assert_eq!(r.status(), 422);
        assert!(r.headers().get("set-cookie").is_none());
        let html = r.text().await.unwrap();
        assert!(html.contains("Fel användarnamn eller lösenord."));
        assert!(html.contains("value=\"redaktor-ks\""));
        assert!(!html.contains("fel-lösenord-999"));
        // An unknown user gets the very same answer.
        let r = sign_in(app, "finns-inte", "fel-lösenord-999").await;
        assert_eq!(r.status(), 422);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Fel användarnamn eller lösenord."));

        let r = sign_in(app, "redaktor-ks", PASSWORD).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/org/3", "back to where they were");
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        for attribute in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Max-Age=28800",
            "Path=/",
        ] {
            assert!(set.contains(attribute), "{attribute} in {set}");
        }
        let cookie = set.split(';').next().unwrap().to_string();
        // Only the token's hash is stored.
        let token = cookie.split('=').nth(1).unwrap();
        assert!(app.store().session(token).await.unwrap().is_none());
        let hash = uppsikt_web::auth::password::token_hash(token);
        assert!(app.store().session(&hash).await.unwrap().is_some());

        let session = Session {
            csrf: csrf_of(app, &cookie).await,
            cookie: cookie.clone(),
        };
        let (status, html) = app
            .get_as(Some(&session), &format!("/indicators/{ind}"))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("Inloggad som <a href=\"/konto\">Test redaktor-ks</a> (redaktör)"));
        assert!(
            html.contains("Fyll i utfall"),
            "an editor of KS sees edit links"
        );

        let (status, _, location) = app.post_as(Some(&session), "/logout", &[]).await;
        assert_eq!((status, location.as_deref()), (303, Some("/")));
        let (status, _) = app.get_as(Some(&session), "/uppsikt").await;
        assert_eq!(status, 303, "signed out: the session no longer works");
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_a_new_password_lifts_it() {
    each(async |app| {
        for _ in 0..5 {
            assert_eq!(
                sign_in(app, "lasare", "fel-lösenord-999").await.status(),
                422
            );
        }
        let r = sign_in(app, "lasare", PASSWORD).await;
        assert_eq!(r.status(), 422, "locked even with the right password");
        // The same answer as a wrong password (issue 14): nobody learns the account waits.
        assert!(r
            .text()
            .await
            .unwrap()
            .contains(&uppsikt_domain::messages::sign_in_failed(15)));
        let user = app.store().user_by_name("lasare").await.unwrap().unwrap();
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_password(user.id, user.password_hash.as_deref().unwrap())
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(sign_in(app, "lasare", PASSWORD).await.status(), 303);
    })
    .await;
}

#[tokio::test]
async fn sign_in_attempts_from_one_address_are_rate_limited() {
    each(async |app| {
        let mut statuses = Vec::new();
        for i in 0..21 {
            let r = sign_in(app, &format!("ingen-{i}"), "fel-lösenord-999").await;
            statuses.push(r.status().as_u16());
        }
        assert!(statuses[..20].iter().all(|s| *s == 422), "{statuses:?}");
        assert_eq!(statuses[20], 429);
    })
    .await;
}

#[tokio::test]
async fn every_post_needs_the_sessions_csrf_token_and_our_origin() {
    each(async |app| {
        let ind = ks_indicator(app).await;
        let session = app.session.clone().unwrap();
        let v = app.store().data_version().await.unwrap();
        let path = format!("/indicators/{ind}/outcome");
        let send = |csrf: Option<&'static str>, origin: Option<&'static str>| {
            let mut form = outcome_form("2024");
            if let Some(c) = csrf {
                form.push(("csrf", c));
            }
            let mut req = app
                .client
                .post(app.url(&path))
                .header("cookie", &session.cookie)
                .form(&form);
            if let Some(o) = origin {
                req = req.header("origin", o);
            }
            req.send()
        };
        let r = send(None, None).await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("Inget har sparats"));
        assert_eq!(send(Some("fel"), None).await.unwrap().status(), 403);
        // The right token from another site's page is refused too.
        let mut form = outcome_form("2024");
        form.push(("csrf", &session.csrf));
        let r = app
            .client
            .post(app.url(&path))
            .header("cookie", &session.cookie)
            .header("origin", "https://annan.example")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(
            app.store().data_version().await.unwrap(),
            v,
            "nothing saved"
        );
        // With the token (and our own origin) it saves.
        let (status, _, _) = app.post(&path, &outcome_form("2024")).await;
        assert_eq!(status, 303);
    })
    .await;
}

/// (method, path, form, expected per viewer).
type Row<'a> = (&'a str, String, &'a Vec<(&'a str, &'a str)>, [u8; 7]);

/// What each role gets at each guarded route: the status, and for refusals that nothing
/// changed. `None` in a row means "allowed" (any answer but a refusal).
#[tokio::test]
async fn each_role_is_refused_wherever_it_must_be() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let ind = ks_indicator(app).await;
        let goal = app
            .store()
            .indicator_record(ind)
            .await
            .unwrap()
            .indicator
            .goal_id;
        let outcome = outcome_form("2025");
        let threshold = vec![("min_shortfall", "5")];
        let lock = vec![
            ("period", "2031"),
            ("body", "Kommunstyrelsen"),
            ("decided_on", "2032-03-30"),
            ("paragraph", "§ 45"),
            ("diary_number", "KS-2032/1"),
        ];
        let reopen = vec![("period", "2031"), ("reason", "Rättelse")];
        let empty: Vec<(&str, &str)> = vec![];
        // (method, path, form, [public, reader, auditor, redaktor-fsn, redaktor-ks, controller, admin])
        // 0 = allowed, 1 = sign in first (303 to /login or 401 for the API), 3 = 403.
        let rows: Vec<Row> = vec![
            // Open to everyone; the public sees what decisions cover (here nothing: 404).
            (
                "GET",
                format!("/indicators/{ind}"),
                &empty,
                [0, 0, 0, 0, 0, 0, 0],
            ),
            ("GET", "/uppsikt".into(), &empty, [1, 0, 0, 0, 0, 0, 0]),
            (
                "GET",
                "/api/v1/org-units".into(),
                &empty,
                [1, 0, 0, 0, 0, 0, 0],
            ),
            (
                "GET",
                format!("/org/{ks}/reports"),
                &empty,
                [1, 0, 0, 0, 0, 0, 0],
            ),
            // A decided document (none stored here: 404 for those allowed).
            ("GET", "/documents/1".into(), &empty, [1, 0, 0, 0, 0, 0, 0]),
            (
                "GET",
                format!("/history/goals/{goal}"),
                &empty,
                [1, 0, 0, 0, 0, 0, 0],
            ),
            (
                "GET",
                "/history/export.csv".into(),
                &empty,
                [1, 3, 0, 3, 3, 0, 0],
            ),
            (
                "GET",
                format!("/goals/{goal}/edit"),
                &empty,
                [1, 3, 3, 3, 0, 0, 0],
            ),
            // Att göra: the unit's editors and the controllers; the chooser for anyone
            // signed in (it lists what they may open); search for everyone.
            (
                "GET",
                format!("/org/{ks}/att-gora"),
                &empty,
                [1, 3, 3, 3, 0, 0, 0],
            ),
            ("GET", "/att-gora".into(), &empty, [1, 0, 0, 0, 0, 0, 0]),
            (
                "GET",
                "/sok?q=trygghet".into(),
                &empty,
                [0, 0, 0, 0, 0, 0, 0],
            ),
            (
                "POST",
                format!("/indicators/{ind}/outcome"),
                &outcome,
                [1, 3, 3, 3, 0, 0, 0],
            ),
            (
                "POST",
                format!("/org/{ks}/review"),
                &empty,
                [1, 3, 3, 3, 0, 0, 0],
            ),
            (
                "GET",
                format!("/org/{ks}/lock"),
                &empty,
                [1, 3, 3, 3, 3, 0, 0],
            ),
            // The admin's lock and reopening come after the controller's, so the form
            // answers that the period is already locked or open (422): allowed, not refused.
            (
                "POST",
                format!("/org/{ks}/lock"),
                &lock,
                [1, 3, 3, 3, 3, 0, 0],
            ),
            (
                "POST",
                format!("/org/{ks}/reopen"),
                &reopen,
                [1, 3, 3, 3, 3, 0, 0],
            ),
            // Raising deviations for the whole municipality: controllers and admins.
            (
                "POST",
                "/uppsikt/raise".into(),
                &empty,
                [1, 3, 3, 3, 3, 0, 0],
            ),
            // A board's threshold for automatic deviations: as raising them.
            (
                "GET",
                format!("/org/{ks}/deviation-threshold"),
                &empty,
                [1, 3, 3, 3, 3, 0, 0],
            ),
            (
                "POST",
                format!("/org/{ks}/deviation-threshold"),
                &threshold,
                [1, 3, 3, 3, 3, 0, 0],
            ),
            // One decision on several of a board's deviations: as one decision.
            (
                "GET",
                format!("/org/{ks}/deviations/decide"),
                &empty,
                [1, 3, 3, 3, 0, 0, 0],
            ),
            (
                "POST",
                format!("/org/{ks}/deviations/decide"),
                &empty,
                [1, 3, 3, 3, 0, 0, 0],
            ),
        ];
        let users = [
            "lasare",
            "revisor",
            "redaktor-fsn",
            "redaktor-ks",
            "controller",
            "admin",
        ];
        let mut sessions: Vec<Option<Session>> = vec![None];
        for u in users {
            sessions.push(Some(app.session_for(u).await));
        }
        let names = [
            "public",
            "lasare",
            "revisor",
            "redaktor-fsn",
            "redaktor-ks",
            "controller",
            "admin",
        ];
        for (method, path, form, expected) in &rows {
            for (i, session) in sessions.iter().enumerate() {
                let expect = expected[i];
                let before = app.store().data_version().await.unwrap();
                let (status, body, location) = match *method {
                    "GET" => {
                        let (s, b) = app.get_as(session.as_ref(), path).await;
                        (s, b, None)
                    }
                    _ => app.post_as(session.as_ref(), path, form).await,
                };
                let who = names[i];
                match expect {
                    0 => assert!(
                        ![401, 403].contains(&status)
                            && !location.as_deref().unwrap_or("").starts_with("/login"),
                        "{who} {method} {path}: allowed, got {status}"
                    ),
                    1 => {
                        if path.starts_with("/api/") {
                            assert_eq!(status, 401, "{who} {method} {path}");
                        } else if *method == "POST" {
                            // A form sent without a session: the sign-in page, which
                            // keeps what was typed (`lost_update.rs`).
                            assert_eq!(status, 401, "{who} {method} {path}");
                            assert!(body.contains("Din inloggning har gått ut"), "{path}");
                        } else {
                            assert_eq!(status, 303, "{who} {method} {path}");
                            if *method == "GET" {
                                let (_, b) = app.get_as(None, path).await;
                                assert!(b.is_empty(), "a redirect, not a page");
                            }
                        }
                    }
                    _ => {
                        assert_eq!(status, 403, "{who} {method} {path}");
                        assert!(
                            body.contains("behörighet") || body.contains("Bara "),
                            "{who} {method} {path}: a Swedish reason"
                        );
                    }
                }
                if expect != 0 {
                    assert_eq!(
                        app.store().data_version().await.unwrap(),
                        before,
                        "{who} {method} {path}: refused, nothing changed"
                    );
                }
            }
        }
        // The KS editor's outcome and the controller's lock and reopening are in the log.
        let log = app.store().change_log(None, 50).await.unwrap();
        let actors: Vec<&str> = log.iter().map(|e| e.actor.as_str()).collect();
        assert!(actors.contains(&"redaktor-ks") && actors.contains(&"controller"));
    })
    .await;
}

#[tokio::test]
async fn a_decided_period_is_locked_shown_and_reopened_with_a_logged_reason() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let ind = ks_indicator(app).await;
        let controller = app.session_for("controller").await;
        let editor = app.session_for("redaktor-ks").await;
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &format!("/org/{ks}/lock"),
                &KS_2019_DECISION,
            )
            .await;
        assert_eq!(status, 303);
        let (_, html) = app.get_as(Some(&editor), &format!("/org/{ks}?period=2019")).await;
        assert!(html.contains("Beslutad period."));
        assert!(html.contains("KS-2020/123"));

        // The editor's 2019 outcome is refused with the decision named; input kept.
        let v = app.store().data_version().await.unwrap();
        let path = format!("/indicators/{ind}/outcome");
        let (status, html, _) = app.post_as(Some(&editor), &path, &outcome_form("2019")).await;
        assert_eq!(status, 422);
        assert!(html.contains("Perioden 2019 är låst genom beslut: Kommunstyrelsen 2020-03-30, § 45, dnr KS-2020/123."));
        assert!(html.contains("value=\"42,5\""), "what was typed is kept");
        assert_eq!(app.store().data_version().await.unwrap(), v);
        // A tertial in the locked year too; another year is open.
        let (status, _, _) = app.post_as(Some(&editor), &path, &outcome_form("2019T3")).await;
        assert_eq!(status, 422);
        let (status, _, _) = app.post_as(Some(&editor), &path, &outcome_form("2020")).await;
        assert_eq!(status, 303);

        // Reopening needs a reason; with one, it is logged and the edit passes.
        let reopen = format!("/org/{ks}/reopen");
        let (status, html, _) = app
            .post_as(Some(&controller), &reopen, &[("period", "2019"), ("reason", "")])
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Motivering"));
        let (status, _, _) = app
            .post_as(
                Some(&controller),
                &reopen,
                &[("period", "2019"), ("reason", "Felaktigt utfall rättas efter KS beslut")],
            )
            .await;
        assert_eq!(status, 303);
        let (status, _, _) = app.post_as(Some(&editor), &path, &outcome_form("2019")).await;
        assert_eq!(status, 303);
        let (status, html) = app.get_as(Some(&editor), &format!("/history/org/{ks}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Öppnad igen") && html.contains("Låst efter beslut"));
        assert!(html.contains("Felaktigt utfall rättas efter KS beslut"));
        assert!(html.contains("controller"));
    })
    .await;
}

#[tokio::test]
async fn the_public_sees_only_decided_periods_and_no_edit_links() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let (status, html) = app.get_as(None, &format!("/org/{ks}")).await;
        assert_eq!(status, 404);
        assert!(html.contains("inget beslut ännu"));
        let (status, html) = app.get_as(None, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("href=\"/login\""));
        assert!(html.contains("Allt på sidorna är beslutat"));
        let (_, html) = app.get("/").await;
        assert!(
            !html.contains("Allt på sidorna är beslutat"),
            "not when signed in"
        );
        let mut w = app
            .store()
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.lock_period(&uppsikt_domain::model::PeriodLock {
            org_id: ks,
            period: uppsikt_domain::Period::Year(2019),
            body: "Kommunstyrelsen".into(),
            decided_on: "2020-03-30".into(),
            paragraph: "§ 45".into(),
            diary_number: "KS-2020/123".into(),
            locked_by: "controller".into(),
            locked_at: "2020-03-30T12:00:00Z".into(),
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        let (status, html) = app.get_as(None, &format!("/org/{ks}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("mål och måluppfyllelse 2019"));
        assert!(
            !html.contains("Bedöm sammanvägd"),
            "no edit links for the public"
        );
        assert!(!html.contains("Skapa rapport"));
        assert_eq!(
            app.get_as(None, &format!("/org/{ks}?period=2020")).await.0,
            404
        );
        // Signed in, the same page has the edit links (the cache keeps them apart).
        let (_, html) = app.get(&format!("/org/{ks}")).await;
        assert!(html.contains("Bedöm sammanvägd"));
    })
    .await;
}

#[tokio::test]
async fn history_shows_who_changed_what_and_auditors_export_the_log() {
    each(async |app| {
        let ind = ks_indicator(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                &format!("/indicators/{ind}/outcome"),
                &outcome_form("2024"),
            )
            .await;
        assert_eq!(status, 303);
        let (status, html) = app
            .get_as(
                Some(&app.session_for("lasare").await),
                &format!("/history/indicators/{ind}"),
            )
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("<h1>Historik:"));
        assert!(html.contains("redaktor-ks"));
        assert!(
            html.contains("Utfall 2024 Totalt: – → 42,5"),
            "the change in words, not JSON"
        );
        assert!(
            html.contains("<td>Utfall</td>"),
            "the change log's types in Swedish"
        );
        // Only the kinds with a history page have one; an unknown kind is no page.
        for path in [
            format!("/history/kpis/{ind}"),
            format!("/history/deviation-actions/{ind}"),
            "/history/goals/999999".to_string(),
        ] {
            let (status, _) = app
                .get_as(Some(&app.session_for("lasare").await), &path)
                .await;
            assert_eq!(status, 404, "{path}");
        }

        let auditor = app.session_for("revisor").await;
        let r = app
            .client
            .get(app.url("/history/export.csv?from=2000-01-01"))
            .header("cookie", &auditor.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("\u{feff}id;tid;vem;åtgärd;objekttyp;objekt-id;före;efter"));
        assert!(csv.contains("\"redaktor-ks\";\"set\";\"outcome\""));
        assert!(!csv.contains("argon2"), "no password hashes in the export");
        let (status, _) = app
            .get_as(Some(&auditor), "/history/export.csv?from=igår")
            .await;
        assert_eq!(status, 400);
    })
    .await;
}

#[tokio::test]
async fn oversized_requests_are_refused_with_a_clear_message() {
    each(async |app| {
        let ind = ks_indicator(app).await;
        let big = "x".repeat(1024 * 1024 + 1);
        let (status, html, _) = app
            .post(&format!("/indicators/{ind}/outcome"), &[("period", &big)])
            .await;
        assert_eq!(status, 413);
        assert!(html.contains("för stort"));
    })
    .await;
}

#[tokio::test]
async fn editors_choose_existing_areas_and_only_controllers_add_new_ones() {
    each(async |app| {
        let ind = ks_indicator(app).await;
        let path = format!("/indicators/{ind}/outcome");
        let form = |breakdown: &'static str| {
            vec![
                ("period", "2024"),
                ("breakdown", breakdown),
                ("value", "42,5"),
            ]
        };
        let editor = app.session_for("redaktor-ks").await;
        let areas = app.store().areas().await.unwrap();
        let version = app.store().data_version().await.unwrap();
        // An area typed by an editor would be seen by every unit: refused at the field.
        let (status, html, _) = app
            .post_as(Some(&editor), &path, &form("area:Nytt område"))
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("f-breakdown-error"));
        assert!(html.contains("Området ”Nytt område” finns inte"), "{html}");
        assert!(
            html.contains("value=\"area:Nytt område\" selected"),
            "what was sent is shown again"
        );
        assert_eq!(app.store().areas().await.unwrap(), areas, "no area added");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        // An existing area is the editor's to choose.
        let (status, _, _) = app.post_as(Some(&editor), &path, &form("area:Vårby")).await;
        assert_eq!(status, 303);
        // Nor can an editor add one with a file.
        let key = app
            .store()
            .indicator_record(ind)
            .await
            .unwrap()
            .indicator
            .key;
        let csv = format!("Mått;Period;Uppdelning;Värde\n{key};2024;Område: Nytt område;42,5\n");
        let multipart = reqwest::multipart::Form::new()
            .text("csrf", editor.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("utfall.csv"),
            );
        let r = app
            .client
            .post(app.url("/import/outcomes"))
            .header("cookie", &editor.cookie)
            .multipart(multipart)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let preview = r.headers()["location"].to_str().unwrap().to_string();
        let (status, html) = app.get_as(Some(&editor), &preview).await;
        assert_eq!(status, 200);
        assert!(html.contains("Området ”Nytt område” finns inte"), "{html}");
        let (status, _, _) = app
            .post_as(Some(&editor), &format!("{preview}/commit"), &[])
            .await;
        assert_eq!(status, 409, "a file with an error is not imported");
        assert_eq!(app.store().areas().await.unwrap(), areas, "no area added");
        // A controller adds an area.
        let controller = app.session_for("controller").await;
        let (status, _, _) = app
            .post_as(Some(&controller), &path, &form("area:Nytt område"))
            .await;
        assert_eq!(status, 303);
        assert!(app
            .store()
            .areas()
            .await
            .unwrap()
            .iter()
            .any(|a| a.name == "Nytt område"));
    })
    .await;
}
