//! No lost update, over HTTP on both backends: two people open the same edit form, A
//! saves, B saves what B typed against the version B saw: refused (409), nothing written,
//! B's text kept in the form, A's change shown above it in words (who, before → after)
//! and the new version in the form, so that B's second save is a deliberate overwrite
//! (303). For a goal, an indicator, a goal's assessment, an internal control risk, an
//! audit, an area (crime prevention) and a grant (economy). A form without a version is
//! saved as before. And nothing typed is lost on an expired session: the sign-in page
//! carries the form (escaped, never a password or the old CSRF token), signing in shows
//! what was typed, "show the form" writes nothing, "save" writes once, and a foreign
//! address to send it to is refused.

mod common;

use common::{answer, App, Session, PASSWORD};

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

// --- a browser's view of a form ----------------------------------------------------------------

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e < 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A tag's attributes (`<input type="text" name="x" checked>`), values unescaped.
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let mut rest = inner.split_once(char::is_whitespace).map_or("", |x| x.1);
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("=\"") {
            let close = r.find('"').unwrap();
            out.push((name, Some(unescape(&r[..close]))));
            rest = &r[close + 1..];
        } else {
            out.push((name, None));
        }
    }
    out
}

fn attr(attrs: &[(String, Option<String>)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone().unwrap_or_default())
}

/// What a browser sends for the page's form that posts to `action`, unchanged (without
/// its CSRF token: the test client adds the session's).
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form posts to {action}:\n{html}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let close = rest.find('>').unwrap();
        let tag = &rest[..=close];
        let attrs = attributes(tag);
        let name = attr(&attrs, "name");
        if tag.starts_with("<input") {
            let kind = attr(&attrs, "type").unwrap_or_default();
            let checked = attr(&attrs, "checked").is_some();
            if let Some(name) = name.filter(|n| n != "csrf") {
                if !matches!(kind.as_str(), "checkbox" | "radio") || checked {
                    fields.push((name, attr(&attrs, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[close + 1..];
            let end = body.find("</textarea>").unwrap();
            fields.push((name.unwrap(), unescape(&body[..end])));
        } else if tag.starts_with("<select") {
            let body = &rest[close + 1..];
            let body = &body[..body.find("</select>").unwrap()];
            let options: Vec<Vec<(String, Option<String>)>> = body
                .split("<option")
                .skip(1)
                .map(|o| attributes(&format!("<option{}", &o[..o.find('>').unwrap()])))
                .collect();
            let chosen = options
                .iter()
                .find(|o| attr(o, "selected").is_some())
                .or(options.first())
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            fields.push((name.unwrap(), chosen));
        }
        rest = &rest[close + 1..];
    }
    fields
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

async fn change_log_rows(app: &App) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM change_log")
        .fetch_one(app.store().pool())
        .await
        .unwrap()
}

async fn first_id(app: &App, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT CAST(MIN(id) AS BIGINT) FROM {table}"))
        .fetch_one(app.store().pool())
        .await
        .unwrap()
}

/// Two people, A (the administrator) and B (a controller), open the form at `path`; A
/// sets `field` and saves; B sets it to text of B's own and saves: refused (409) with B's
/// text in the form and A's change above it; B saves again from that page: saved (303).
/// `prepare` fills what the form needs besides `field` (a level no one preselects).
async fn two_people_save(
    app: &App,
    path: &str,
    field: &str,
    prepare: impl Fn(&mut Vec<(String, String)>),
) {
    let a = app.session.clone().unwrap();
    let b = app.session_for("controller").await;
    let (status, page_a) = app.get_as(Some(&a), path).await;
    assert_eq!(status, 200, "{path}");
    let (_, page_b) = app.get_as(Some(&b), path).await;
    let mut fields_a = form_fields(&page_a, path);
    let mut fields_b = form_fields(&page_b, path);
    assert!(
        get(&fields_a, field).is_some(),
        "{path} has the field {field}"
    );
    let sent = get(&fields_b, "version")
        .unwrap_or_else(|| panic!("{path}: the form carries its version"))
        .to_string();
    assert_eq!(get(&fields_a, "version"), Some(sent.as_str()));
    prepare(&mut fields_a);
    prepare(&mut fields_b);

    set(&mut fields_a, field, "Ändrat av A");
    let (status, html, _) = app.post_as(Some(&a), path, &pairs(&fields_a)).await;
    assert_eq!(status, 303, "{path}: A's save: {html}");

    let typed_by_b = "B:s <text> & \"citat\"";
    set(&mut fields_b, field, typed_by_b);
    let rows = change_log_rows(app).await;
    let (status, html, _) = app.post_as(Some(&b), path, &pairs(&fields_b)).await;
    assert_eq!(
        status, 409,
        "{path}: B's save against an old version: {html}"
    );
    assert_eq!(change_log_rows(app).await, rows, "{path}: nothing written");
    assert!(
        html.contains("Någon annan har ändrat detta sedan du öppnade formuläret"),
        "{path}: the message says what happened"
    );
    assert!(html.contains("Test admin"), "{path}: who changed it");
    assert!(
        html.contains("Ändrat av A"),
        "{path}: A's change is shown: {html}"
    );
    assert!(!html.contains("<text>"), "{path}: B's text is escaped");
    let again = form_fields(&html, path);
    assert_eq!(
        get(&again, field),
        Some(typed_by_b),
        "{path}: B's text is kept in the form"
    );
    let new_version = get(&again, "version").unwrap();
    assert_ne!(new_version, sent, "{path}: the form has the new version");

    // Saving again overwrites A's change deliberately.
    let (status, html, _) = app.post_as(Some(&b), path, &pairs(&again)).await;
    assert_eq!(status, 303, "{path}: B's second save: {html}");
    let (_, page) = app.get_as(Some(&b), path).await;
    if field != "motivation" {
        assert_eq!(
            get(&form_fields(&page, path), field),
            Some(typed_by_b),
            "{path}: B's text is stored"
        );
    }
}

#[tokio::test]
async fn a_goal_saved_by_two_people_is_not_overwritten_unseen() {
    each(async |app| {
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        two_people_save(app, &format!("/goals/{goal}/edit"), "title", |_| {}).await;
    })
    .await;
}

#[tokio::test]
async fn an_indicator_saved_by_two_people_is_not_overwritten_unseen() {
    each(async |app| {
        let id = first_id(app, "indicators").await;
        two_people_save(app, &format!("/indicators/{id}/edit"), "name", |_| {}).await;
    })
    .await;
}

#[tokio::test]
async fn an_assessment_saved_by_two_people_is_not_overwritten_unseen() {
    each(async |app| {
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let path = format!("/goals/{goal}/assessment");
        let (_, html) = app.get(&path).await;
        // The first level the form offers (none is chosen for the user).
        let level = html
            .split("name=\"level\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a level to choose")
            .to_string();
        two_people_save(app, &path, "motivation", |f| set(f, "level", &level)).await;
    })
    .await;
}

#[tokio::test]
async fn internal_control_audits_safety_and_economy_forms_refuse_a_lost_update() {
    each(async |app| {
        let risk = first_id(app, "ic_risks").await;
        two_people_save(app, &format!("/ic-risks/{risk}/edit"), "text", |_| {}).await;
        let audit = first_id(app, "audits").await;
        two_people_save(app, &format!("/audits/{audit}/edit"), "title", |_| {}).await;
        let area = first_id(app, "areas").await;
        two_people_save(app, &format!("/areas/{area}/edit"), "name", |_| {}).await;
        let grant = first_id(app, "grants").await;
        two_people_save(app, &format!("/grants/{grant}/edit"), "name", |_| {}).await;
    })
    .await;
}

#[tokio::test]
async fn a_form_without_a_version_is_saved_as_before() {
    each(async |app| {
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let path = format!("/goals/{goal}/edit");
        let (_, page) = app.get(&path).await;
        let mut fields = form_fields(&page, &path);
        fields.retain(|(n, _)| n != "version");
        // Someone else has changed the goal meanwhile: without a version, no check.
        let mut other = form_fields(&page, &path);
        set(&mut other, "title", "Först");
        let controller = app.session_for("controller").await;
        assert_eq!(
            app.post_as(Some(&controller), &path, &pairs(&other))
                .await
                .0,
            303
        );
        set(&mut fields, "title", "Utan version");
        let (status, html, _) = app.post(&path, &pairs(&fields)).await;
        assert_eq!(status, 303, "{html}");
        // A version that is not a number is refused, and nothing is written.
        let rows = change_log_rows(app).await;
        set(&mut fields, "version", "12a");
        let (status, _, _) = app.post(&path, &pairs(&fields)).await;
        assert_eq!(status, 400);
        assert_eq!(change_log_rows(app).await, rows);
    })
    .await;
}

#[tokio::test]
async fn a_form_with_errors_keeps_the_version_it_was_opened_with() {
    each(async |app| {
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let path = format!("/goals/{goal}/edit");
        let (_, page) = app.get(&path).await;
        let mut fields = form_fields(&page, &path);
        let sent = get(&fields, "version").unwrap().to_string();
        // Someone else saves; then this form comes back with an error (empty title) …
        let controller = app.session_for("controller").await;
        let mut other = fields.clone();
        set(&mut other, "title", "Först");
        assert_eq!(
            app.post_as(Some(&controller), &path, &pairs(&other))
                .await
                .0,
            303
        );
        set(&mut fields, "title", "");
        let (status, html, _) = app.post(&path, &pairs(&fields)).await;
        assert_eq!(status, 422);
        let mut again = form_fields(&html, &path);
        assert_eq!(get(&again, "version"), Some(sent.as_str()));
        // … and once mended, the other person's change is still caught.
        set(&mut again, "title", "Rättad");
        assert_eq!(app.post(&path, &pairs(&again)).await.0, 409);
    })
    .await;
}

// --- an expired session ------------------------------------------------------------------------

/// Signs in with the sign-in page's form `html` (which carries what was typed), as
/// `username`; the answer's status, body and session.
async fn sign_in_from(app: &App, html: &str, username: &str) -> (u16, String, Option<Session>) {
    let mut fields = form_fields(html, "/login");
    set(&mut fields, "username", username);
    set(&mut fields, "password", PASSWORD);
    let r = app
        .client
        .post(app.url("/login"))
        .form(&pairs(&fields))
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(uppsikt_web::auth::SESSION_COOKIE))
        .map(|c| c.split(';').next().unwrap().to_string());
    let (status, html, _) = answer(r).await;
    let session = cookie.map(|cookie| {
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string();
        Session { cookie, csrf }
    });
    (status, html, session)
}

#[tokio::test]
async fn what_was_typed_when_the_session_expired_is_shown_and_saved_after_signing_in() {
    each(async |app| {
        let goal = app.goal_id("Ökat bostadsbyggande").await;
        let path = format!("/goals/{goal}/edit");
        let (_, page) = app.get(&path).await;
        let mut fields = form_fields(&page, &path);
        let typed = "Tryggare <b>kommun</b> & \"mer\"";
        set(&mut fields, "title", typed);
        set(&mut fields, "description", "Två\nrader");
        // The session has expired (or was ended in another tab): the old token is sent.
        let mut with_old_token = pairs(&fields);
        with_old_token.push(("csrf", "gammal-token"));
        with_old_token.push(("password", "hemligt"));
        let rows = change_log_rows(app).await;
        let (status, html, _) = app.post_as(None, &path, &with_old_token).await;
        assert_eq!(status, 401, "{html}");
        assert!(html.contains("Din inloggning har gått ut. Det du skrev är kvar"));
        assert!(!html.contains("<b>kommun"), "typed text is escaped");
        assert!(unescape(&html).contains(typed), "typed text is carried");
        assert!(
            !html.contains("gammal-token"),
            "the old CSRF token is dropped"
        );
        assert!(!html.contains("hemligt"), "a password is never carried");
        let carried = form_fields(&html, "/login");
        assert_eq!(get(&carried, "resume_to"), Some(path.as_str()));
        assert_eq!(change_log_rows(app).await, rows);

        // A wrong password: the page still carries the form.
        let mut wrong = carried.clone();
        set(&mut wrong, "username", "controller");
        set(&mut wrong, "password", "fel");
        let (status, html, _) = answer(
            app.client
                .post(app.url("/login"))
                .form(&pairs(&wrong))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            get(&form_fields(&html, "/login"), "resume_to"),
            Some(path.as_str())
        );

        // Signing in shows what was typed, with the two choices.
        let (status, html, session) = sign_in_from(app, &html, "controller").await;
        assert_eq!(status, 200, "{html}");
        let session = session.expect("signed in");
        assert!(html.contains("Visa formuläret med det jag skrev"));
        assert!(html.contains("Spara det jag skrev"));
        assert!(!html.contains("<b>kommun"), "typed text is escaped");
        assert!(unescape(&html).contains("Tryggare <b>kommun</b>"), "{html}");
        assert!(!html.contains("hemligt"));
        assert_eq!(
            change_log_rows(app).await,
            rows,
            "nothing saved by signing in"
        );

        // "Show the form": the form with what was typed, nothing written.
        let show = form_fields(&html, &path);
        assert_eq!(get(&show, "resume"), Some("1"));
        let show: Vec<(String, String)> = show.into_iter().filter(|(n, _)| n != "csrf").collect();
        let (status, form, _) = app.post_as(Some(&session), &path, &pairs(&show)).await;
        assert_eq!(status, 200, "{form}");
        assert_eq!(change_log_rows(app).await, rows, "showing writes nothing");
        let shown = form_fields(&form, &path);
        assert_eq!(get(&shown, "title"), Some(typed));
        assert_eq!(get(&shown, "version"), get(&fields, "version"));
        assert!(form.contains("Inget är sparat än"));

        // "Save": written once.
        let (status, html, _) = app.post_as(Some(&session), &path, &pairs(&shown)).await;
        assert_eq!(status, 303, "{html}");
        assert_eq!(app.store().goal(goal).await.unwrap().title, typed);
        let after = change_log_rows(app).await;
        assert!(after > rows);
        // The same page sent again is a conflict with its own save, not a second write.
        let (status, _, _) = app.post_as(Some(&session), &path, &pairs(&shown)).await;
        assert_eq!(status, 409);
        assert_eq!(change_log_rows(app).await, after);
    })
    .await;
}

#[tokio::test]
async fn a_foreign_address_to_send_the_typed_form_to_is_refused() {
    each(async |app| {
        for to in [
            "//evil.example/",
            "https://evil.example/goals/1/edit",
            "/\\evil.example",
            "/\t/evil.example",
            "evil.example",
            "/login",
            "/logout",
        ] {
            let form = [
                ("username", "controller"),
                ("password", PASSWORD),
                ("resume_to", to),
                ("typed.0.title", "x"),
            ];
            let (status, html, _) = answer(
                app.client
                    .post(app.url("/login"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(status, 400, "{to:?}: {html}");
            assert!(html.contains("inte en sida i uppsikt"), "{to:?}");
        }
        // A request to a path that is not one of ours is not carried either.
        let r = app
            .client
            .post(app.url("//evil.example/x"))
            .form(&[("title", "x")])
            .send()
            .await
            .unwrap();
        assert_ne!(r.status().as_u16(), 401);
    })
    .await;
}

#[tokio::test]
async fn only_forms_are_carried_through_signing_in_again() {
    each(async |app| {
        // The API and signing out are sent to sign in as before.
        let (status, _, _) = app.post_as(None, "/logout", &[("x", "1")]).await;
        assert_eq!(status, 303);
        // A form from another site is refused before its body is read.
        let r = app
            .client
            .post(app.url("/goals/1/edit"))
            .header("origin", "https://evil.example")
            .form(&[("title", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    })
    .await;
}
