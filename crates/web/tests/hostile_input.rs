//! Hostile input over HTTP, on every backend: numbers and ids out of range, references to
//! what does not exist or belongs to another board, control and direction-changing
//! characters, invalid UTF-8, and malformed addresses. Each is refused with a Swedish
//! message (a field error on the re-displayed form, a Swedish page, or JSON under
//! `/api/`), never a 500, and a refusal changes nothing (the data version stays).

mod common;

use common::{App, Session};

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// POSTs `body` as it is (with the session's cookie) and the given content type.
async fn post_raw(
    app: &App,
    session: &Session,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, String, String) {
    let mut req = app
        .client
        .post(app.url(path))
        .header("cookie", &session.cookie)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

/// GET with the session; status, content type and body.
async fn get_full(app: &App, session: Option<&Session>, path: &str) -> (u16, String, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(s) = session {
        req = req.header("cookie", &s.cookie);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

async fn version(app: &App) -> i64 {
    app.store().data_version().await.unwrap()
}

/// A KS goal (KS's editor may add under it) and a KF goal above it.
async fn ks_goal(app: &App) -> i64 {
    app.goal_id("Ökad valfrihet").await
}

/// A new goal of a unit (under no other goal), made through the form.
async fn new_goal_of(app: &App, short_name: &str, title: &str) -> i64 {
    let org = app.org_id(short_name).await;
    let (status, _, location) = app
        .post(
            &format!("/org/{org}/goals/new"),
            &[("title", title), ("kind", "board")],
        )
        .await;
    assert_eq!(status, 303);
    location
        .unwrap()
        .trim_start_matches("/goals/")
        .parse()
        .unwrap()
}

/// Words that only an English framework message has.
fn assert_not_english(body: &str) {
    for english in [
        "Invalid URL",
        "Cannot parse",
        "Failed to deserialize",
        "Failed to buffer",
        "Content-Type",
        "Expected request",
        "FOREIGN KEY",
        "constraint",
    ] {
        assert!(
            !body.contains(english),
            "English text {english:?} in {body}"
        );
    }
}

#[tokio::test]
async fn an_out_of_range_page_or_board_in_the_oversight_list_is_a_swedish_400() {
    each(async |app| {
        let reader = app.session_for("lasare").await;
        for query in [
            "page=18446744073709551615",
            "page=99999999999999999999999",
            "page=0",
            "page=-1",
            "page=en",
            "board=99999999999999999999",
            "board=abc",
        ] {
            let (status, ct, body) =
                get_full(app, Some(&reader), &format!("/uppsikt/list?{query}")).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert!(ct.starts_with("text/html"), "{query}: {ct}");
            assert_not_english(&body);
            assert!(body.contains("lang=\"sv\""), "{query}: a Swedish page");
        }
        let (status, _, body) = get_full(app, Some(&reader), "/uppsikt/list?page=2").await;
        assert_eq!(status, 200, "a real page number still works: {body}");
    })
    .await;
}

#[tokio::test]
async fn a_goals_parent_must_exist_and_be_a_goal_of_its_unit_or_a_unit_above() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let fsn = app.org_id("FSN").await;
        let kf_goal = app.goal_id("Bra att leva och bo").await;
        let ks_goal = ks_goal(app).await;
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let before = version(app).await;

        // An id that does not exist (it used to fail on the foreign key: a 500).
        for parent in ["99999999999", "-1", "0"] {
            let (status, html, _) = app
                .post(
                    &format!("/org/{ks}/goals/new"),
                    &[("title", "Nytt mål"), ("kind", "board"), ("parent", parent)],
                )
                .await;
            assert_eq!(status, 422, "parent {parent}: {html}");
            assert!(html.contains("finns inte"), "parent {parent}: {html}");
            assert!(
                html.contains(&format!("value=\"{parent}\" selected")),
                "the chosen id is shown again"
            );
            assert_not_english(&html);
            // Editing (this used to fail on the foreign key: a 500).
            let (status, html, _) = app
                .post(
                    &format!("/goals/{ks_goal}/edit"),
                    &[
                        ("title", "Ökad valfrihet"),
                        ("kind", "board"),
                        ("parent", parent),
                    ],
                )
                .await;
            assert_eq!(status, 422, "edit, parent {parent}: {html}");
            assert_not_english(&html);
        }
        // Another board's goal: FSN's editor may not hang an FSN goal under KS's goal.
        let (status, html, _) = app
            .post_as(
                Some(&fsn_editor),
                &format!("/org/{fsn}/goals/new"),
                &[
                    ("title", "Förskolemål"),
                    ("kind", "board"),
                    ("parent", &ks_goal.to_string()),
                ],
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Kommunstyrelsen"), "names whose goal it is");
        assert_eq!(version(app).await, before, "the refusals changed nothing");

        // The FSN form offers KF's goals and FSN's own, not KS's.
        let (_, html) = app
            .get_as(Some(&fsn_editor), &format!("/org/{fsn}/goals/new"))
            .await;
        assert!(html.contains(&format!("value=\"{kf_goal}\"")));
        assert!(
            !html.contains(&format!("value=\"{ks_goal}\"")),
            "no KS goal"
        );

        // Under a KF goal is fine; moving it under KS's goal afterwards is not.
        let (status, _, location) = app
            .post_as(
                Some(&fsn_editor),
                &format!("/org/{fsn}/goals/new"),
                &[
                    ("title", "Förskolemål"),
                    ("kind", "board"),
                    ("parent", &kf_goal.to_string()),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let id = location.unwrap().trim_start_matches("/goals/").to_string();
        let before = version(app).await;
        let (status, html, _) = app
            .post_as(
                Some(&fsn_editor),
                &format!("/goals/{id}/edit"),
                &[
                    ("title", "Förskolemål"),
                    ("kind", "board"),
                    ("parent", &ks_goal.to_string()),
                ],
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert_eq!(version(app).await, before);
        // A KS goal under another KS goal (its own unit) is fine.
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/goals/new"),
                &[
                    ("title", "Delmål"),
                    ("kind", "board"),
                    ("parent", &ks_goal.to_string()),
                ],
            )
            .await;
        assert_eq!(status, 303);
    })
    .await;
}

#[tokio::test]
async fn a_commitment_is_carried_over_only_from_an_earlier_one_of_its_own_unit() {
    each(async |app| {
        let goal = ks_goal(app).await;
        let new = |title: &'static str, year: &'static str, from: String| {
            let path = format!("/goals/{goal}/commitments/new");
            async move {
                app.post(
                    &path,
                    &[
                        ("title", title),
                        ("year", year),
                        ("carried_over_from", &from),
                    ],
                )
                .await
            }
        };
        let (status, _, _) = new("Första", "2019", String::new()).await;
        assert_eq!(status, 303);
        let ks = app.org_id("KS").await;
        let commitments = app
            .store()
            .commitments(uppsikt_store::Scope::Org(ks))
            .await
            .unwrap();
        let first = commitments.iter().find(|c| c.title == "Första").unwrap().id;
        let other_unit = {
            let fsn = app.org_id("FSN").await;
            let fsn_goal = new_goal_of(app, "FSN", "Förskolans mål").await;
            let path = format!("/goals/{fsn_goal}/commitments/new");
            let (status, _, _) = app
                .post(&path, &[("title", "FSN:s åtagande"), ("year", "2019")])
                .await;
            assert_eq!(status, 303);
            app.store()
                .commitments(uppsikt_store::Scope::Org(fsn))
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.title == "FSN:s åtagande")
                .unwrap()
                .id
        };
        let before = version(app).await;
        for (from, year, why) in [
            ("999999".to_string(), "2020", "does not exist"),
            ("99999999999999999999".to_string(), "2020", "not an id"),
            (other_unit.to_string(), "2020", "another unit's"),
            (first.to_string(), "2019", "the same year"),
            (first.to_string(), "2018", "a later year"),
        ] {
            let (status, html, _) = new("Andra", year, from.clone()).await;
            assert_eq!(status, 422, "{why}: {html}");
            assert!(html.contains("f-carried_over_from-error"), "{why}: {html}");
            assert_not_english(&html);
        }
        // Itself.
        let (status, html, _) = app
            .post(
                &format!("/commitments/{first}/edit"),
                &[
                    ("title", "Första"),
                    ("year", "2019"),
                    ("carried_over_from", &first.to_string()),
                ],
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("sig självt"), "{html}");
        assert_eq!(version(app).await, before, "the refusals changed nothing");
        let (status, _, _) = new("Andra", "2020", first.to_string()).await;
        assert_eq!(status, 303, "from an earlier one of the same unit");
    })
    .await;
}

#[tokio::test]
async fn control_and_direction_characters_are_refused_by_name_and_the_form_kept() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let before = version(app).await;
        for (field, value, named) in [
            ("title", "Trygghet\u{202e}gnilleT", "U+202E"),
            ("title", "Noll\u{0}tecken", "U+0000"),
            ("title", "Två\nrader", "U+000A"),
            ("title", "Osynligt\u{200b}mellanrum", "U+200B"),
            ("title", "Isolat\u{2066}x\u{2069}", "U+2066"),
            ("title", "Klocka\u{7}", "U+0007"),
            ("title", "C1\u{85}", "U+0085"),
            ("description", "Rad ett\r\nRad två\u{1b}[31m", "U+001B"),
            ("priorities", "Prio\u{feff}", "U+FEFF"),
        ] {
            let mut form = vec![("title", "Godkänd rubrik"), ("kind", "board")];
            form.retain(|(k, _)| *k != field);
            form.push((field, value));
            let (status, html, _) = app.post(&format!("/org/{ks}/goals/new"), &form).await;
            assert_eq!(status, 422, "{field} {named}: {html}");
            assert!(html.contains(named), "{field}: names {named}");
            assert!(
                html.contains(&format!("f-{field}-error")),
                "{field}: the error is at the field"
            );
        }
        assert_eq!(version(app).await, before, "nothing was stored");

        // Tabs and line breaks are fine in multi-line fields; CRLF is stored as LF.
        let (status, _, location) = app
            .post(
                &format!("/org/{ks}/goals/new"),
                &[
                    ("title", "Rubrik med å, ä och ö"),
                    ("kind", "board"),
                    ("description", "Rad ett\r\nRad\ttvå\rRad tre"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let id: i64 = location
            .unwrap()
            .trim_start_matches("/goals/")
            .parse()
            .unwrap();
        let goal = app.store().goal(id).await.unwrap();
        assert_eq!(goal.description, "Rad ett\nRad\ttvå\nRad tre");
    })
    .await;
}

#[tokio::test]
async fn invalid_utf8_in_a_form_is_refused_not_replaced() {
    each(async |app| {
        let ks = app.org_id("KS").await;
        let session = app.session.clone().unwrap();
        let before = version(app).await;
        let body = format!("title=Ogiltig%FFtext&kind=board&csrf={}", session.csrf);
        let (status, ct, html) = post_raw(
            app,
            &session,
            &format!("/org/{ks}/goals/new"),
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await;
        assert_eq!(status, 400, "{html}");
        assert!(ct.starts_with("text/html"));
        assert!(html.contains("UTF-8"), "{html}");
        assert!(html.contains("title"), "names the field: {html}");
        assert_not_english(&html);
        assert_eq!(version(app).await, before);
        assert!(
            !app.store()
                .goals()
                .await
                .unwrap()
                .iter()
                .any(|g| g.title.contains('\u{fffd}')),
            "no replacement character stored"
        );

        // A form sent as something else than a form: Swedish too.
        let (status, _, html) = post_raw(
            app,
            &session,
            &format!("/org/{ks}/goals/new"),
            Some("text/plain"),
            format!("title=x&kind=board&csrf={}", session.csrf).into_bytes(),
        )
        .await;
        assert!(status == 415 || status == 403, "{status}: {html}");
        assert_not_english(&html);
        assert_eq!(version(app).await, before);
    })
    .await;
}

#[tokio::test]
async fn malformed_addresses_get_swedish_pages_and_json_under_the_api() {
    each(async |app| {
        let reader = app.session_for("lasare").await;
        for path in [
            "/api/v1/goals/abc",
            "/api/v1/goals/99999999999999999999",
            "/api/v1/org-units/1.5/goals",
            "/api/v1/indicators/%FF",
            "/api/v1/goals/1?period=2019&period=2020",
            "/api/v1/finns-inte",
        ] {
            let (status, ct, body) = get_full(app, Some(&reader), path).await;
            assert!((400..500).contains(&status), "{path}: {status}");
            assert!(ct.starts_with("application/json"), "{path}: {ct} {body}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            let message = json["error"].as_str().unwrap_or_else(|| panic!("{body}"));
            assert_not_english(message);
            assert!(!message.is_empty());
        }
        let (status, _, _) = get_full(app, Some(&reader), "/api/v1/goals/abc").await;
        assert_eq!(status, 404, "an id that cannot be one names nothing");
        for path in [
            "/goals/abc",
            "/org/99999999999999999999",
            "/goals/1?period=2019&period=2020",
            "/history/goals/abc",
            "/history/export.csv?from=a&from=b",
            "/deviations/new?org=abc",
            "/indicators/%FF",
        ] {
            let (status, ct, body) = get_full(app, Some(&reader), path).await;
            assert!((400..500).contains(&status), "{path}: {status}");
            assert!(ct.starts_with("text/html"), "{path}: {ct} {body}");
            assert!(body.contains("lang=\"sv\""), "{path}");
            assert_not_english(&body);
        }
        // An editor's form address with a bad id.
        let editor = app.session_for("redaktor-ks").await;
        for path in ["/goals/%FF/edit", "/goals/abc/edit"] {
            let (status, ct, body) = get_full(app, Some(&editor), path).await;
            assert!((400..500).contains(&status), "{path}: {status}");
            assert!(ct.starts_with("text/html"), "{path}: {ct} {body}");
            assert_not_english(&body);
        }
    })
    .await;
}

/// A form's address, the field given the hostile text, and the other fields.
type FormCase = (String, &'static str, Vec<(&'static str, &'static str)>);

/// Every form, given a text with a right-to-left override in one of its fields: a 422 that
/// names the character at that field, and nothing written.
#[tokio::test]
async fn every_form_refuses_a_direction_override_and_writes_nothing() {
    each(async |app| {
        uppsikt_import::load_demo_deviations(app.store(), "demo")
            .await
            .unwrap();
        let ks = app.org_id("KS").await;
        let goal = ks_goal(app).await;
        let ind = app
            .store()
            .indicator_records(uppsikt_store::Scope::Org(ks))
            .await
            .unwrap()[0]
            .indicator
            .id;
        let commitment = app
            .store()
            .commitments(uppsikt_store::Scope::Org(ks))
            .await
            .unwrap()[0]
            .id;
        let deviations = app.store().deviations(None).await.unwrap();
        let undecided = deviations
            .iter()
            .find(|d| d.deviation.decision.is_none())
            .unwrap()
            .id;
        // A decided deviation with an action, made through the forms.
        let (status, _, _) = app
            .post(
                &format!("/deviations/{undecided}/decision"),
                &[
                    ("outcome", "act"),
                    ("body", "board"),
                    ("decided_on", "2024-03-01"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let (status, _, location) = app
            .post(
                &format!("/deviations/{undecided}/actions/new"),
                &[
                    ("what", "Åtgärd"),
                    ("responsible_unit", &ks.to_string()),
                    ("responsible_person", "Anna"),
                    ("due", "2099-12-31"),
                    ("expected_effect", "Bättre"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let action = location
            .unwrap()
            .rsplit("action-")
            .next()
            .unwrap()
            .to_string();
        let other = deviations
            .iter()
            .find(|d| d.deviation.decision.is_none() && d.id != undecided)
            .unwrap()
            .id;
        // A locked period to reopen.
        let (status, _, _) = app
            .post(
                &format!("/org/{ks}/lock"),
                &[
                    ("period", "2018"),
                    ("body", "KS"),
                    ("decided_on", "2019-03-01"),
                    ("paragraph", "§ 1"),
                    ("diary_number", "KS-2019/1"),
                ],
            )
            .await;
        assert_eq!(status, 303);

        let evil = "Text\u{202e}txeT";
        let forms: Vec<FormCase> = vec![
            (
                format!("/org/{ks}/goals/new"),
                "title",
                vec![("kind", "board")],
            ),
            (
                format!("/goals/{goal}/edit"),
                "description",
                vec![("title", "Ökad valfrihet"), ("kind", "board")],
            ),
            (
                format!("/goals/{goal}/indicators/new"),
                "name",
                vec![
                    ("unit", "%"),
                    ("direction", "higher"),
                    ("decimals", "0"),
                    ("frequency", "year"),
                ],
            ),
            (
                format!("/indicators/{ind}/edit"),
                "source",
                vec![
                    ("name", "Mått"),
                    ("unit", "%"),
                    ("direction", "higher"),
                    ("decimals", "0"),
                    ("frequency", "year"),
                ],
            ),
            (
                format!("/indicators/{ind}/outcome"),
                "period",
                vec![("breakdown", "total"), ("value", "1")],
            ),
            (
                format!("/indicators/{ind}/milestones"),
                "target",
                vec![("kind", "milestone"), ("year", "2024")],
            ),
            (
                format!("/goals/{goal}/commitments/new"),
                "title",
                vec![("year", "2024")],
            ),
            (
                format!("/commitments/{commitment}/edit"),
                "description",
                vec![("title", "Åtagande"), ("year", "2024")],
            ),
            (
                format!("/commitments/{commitment}/status"),
                "comment",
                vec![("status", "done"), ("date", "2024-05-01")],
            ),
            (
                format!("/goals/{goal}/assessment"),
                "author",
                vec![("period", "2024"), ("stage", "proposed"), ("level", "God")],
            ),
            (
                format!("/org/{ks}/assessment"),
                "motivation",
                vec![
                    ("period", "2024"),
                    ("stage", "proposed"),
                    ("level", "God"),
                    ("author", "Anna"),
                ],
            ),
            (
                format!("/org/{ks}/review"),
                "events",
                vec![("period", "2024")],
            ),
            (
                format!("/org/{ks}/deviations/new"),
                "area",
                vec![
                    ("description", "Avvikelse"),
                    ("source", "internal_control"),
                    ("severity", "medium"),
                    ("period", "2024"),
                    ("raised_on", "2024-05-01"),
                ],
            ),
            (
                format!("/deviations/{other}/decision"),
                "diary_number",
                vec![
                    ("outcome", "act"),
                    ("body", "board"),
                    ("decided_on", "2024-03-01"),
                ],
            ),
            (
                format!("/deviations/{undecided}/actions/new"),
                "responsible_person",
                vec![
                    ("what", "Åtgärd"),
                    ("responsible_unit", "1"),
                    ("due", "2099-12-31"),
                    ("expected_effect", "Bättre"),
                ],
            ),
            (
                format!("/deviation-actions/{action}/progress"),
                "comment",
                vec![("state", "in_progress"), ("on", "2024-05-01")],
            ),
            (
                format!("/org/{ks}/lock"),
                "diary_number",
                vec![
                    ("period", "2017"),
                    ("body", "KS"),
                    ("decided_on", "2019-03-01"),
                    ("paragraph", "§ 2"),
                ],
            ),
            (
                format!("/org/{ks}/reopen"),
                "reason",
                vec![("period", "2018")],
            ),
        ];
        for (path, field, mut form) in forms {
            form.push((field, evil));
            let before = version(app).await;
            let (status, html, _) = app.post(&path, &form).await;
            assert_eq!(status, 422, "{path} {field}: {html}");
            assert!(
                html.contains("U+202E"),
                "{path} {field}: names the character"
            );
            assert!(
                html.contains(&format!("f-{field}-error")),
                "{path}: the error is at {field}"
            );
            assert!(html.contains(evil), "{path}: what was typed is shown again");
            assert_eq!(version(app).await, before, "{path}: nothing written");
        }
    })
    .await;
}
