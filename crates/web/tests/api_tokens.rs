//! Personal API tokens over HTTP, on every backend: made on `/konto/api-nycklar` and shown
//! once, stored as a hash, used with `Authorization: Bearer` (reading with a read token,
//! importing outcomes with an import token, all or nothing), refused when expired,
//! revoked, unknown, malformed or of a disabled account (401), or beyond their scope
//! (403); a bearer request ignores cookies; another person's token cannot be revoked;
//! uses are recorded at most once a minute and shown to the owner; live tokens are capped.

mod common;

use common::{apps, App, Session};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The default expiry the form offers (today + 90 days), read from the page.
fn default_expiry(html: &str) -> String {
    let at = html.find("id=\"f-expires\"").expect("the expiry field");
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + 10].to_string()
}

/// The secret shown on the page after creation.
fn secret_in(html: &str) -> Option<String> {
    let at = html.find("upk_")?;
    let secret: String = html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (secret.len() == 47).then_some(secret)
}

/// Creates a token as `s` and returns its secret (the page that showed it is checked).
async fn create(app: &App, s: &Session, name: &str, scope: &str) -> String {
    let (status, page) = app.get_as(Some(s), "/konto/api-nycklar").await;
    assert_eq!(status, 200, "{page}");
    let expires = default_expiry(&page);
    let r = app
        .client
        .post(app.url("/konto/api-nycklar"))
        .header("cookie", &s.cookie)
        .form(&[
            ("name", name),
            ("scope", scope),
            ("expires", &expires),
            ("csrf", &s.csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("cache-control").unwrap(),
        "no-store",
        "the page with the secret is kept by no cache"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Den visas bara den här gången"), "{html}");
    secret_in(&html).expect("the secret is shown once")
}

async fn bearer_get(app: &App, secret: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
}

async fn import(app: &App, secret: &str, csv: &str) -> (u16, serde_json::Value) {
    let r = app
        .client
        .post(app.url("/api/v1/outcomes/import"))
        .bearer_auth(secret)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
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

async fn token_id(app: &App, name: &str) -> i64 {
    sqlx::query("SELECT id FROM api_tokens WHERE name = $1")
        .bind(name)
        .fetch_one(app.store().pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

fn assert_invalid_token(r: &reqwest::Response, what: &str) {
    assert_eq!(r.status().as_u16(), 401, "{what}");
    assert_eq!(
        r.headers().get("www-authenticate").unwrap(),
        "Bearer error=\"invalid_token\"",
        "{what}"
    );
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_reads_the_api() {
    for app in apps().await {
        let s = app.session_for("lasare").await;
        // The account page is linked from the name in the header.
        let (status, html) = app.get_as(Some(&s), "/konto").await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("<a href=\"/konto\">Test lasare</a>"),
            "{html}"
        );
        assert!(html.contains("/konto/api-nycklar"), "{html}");

        let secret = create(&app, &s, "Power BI, läsning", "read").await;
        let (status, list) = app.get_as(Some(&s), "/konto/api-nycklar").await;
        assert_eq!(status, 200);
        assert!(list.contains("Power BI, läsning") && list.contains(&secret[..10]));
        assert!(!list.contains(&secret), "the secret is never shown again");

        // The database holds the SHA-256 of the secret, nowhere the secret itself.
        let row = sqlx::query("SELECT secret_hash, prefix, scope FROM api_tokens")
            .fetch_one(app.store().pool())
            .await
            .unwrap();
        let hash: String = row.get(0);
        let expected: String = Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hash, expected);
        assert_eq!(row.get::<String, _>(1), &secret[..10]);
        assert_eq!(row.get::<String, _>(2), "read");
        let logged: Vec<String> = sqlx::query(
            "SELECT COALESCE(after_value, '') FROM change_log WHERE object_type = 'api_token'",
        )
        .fetch_all(app.store().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
        assert_eq!(logged.len(), 1, "the creation is in the change log");
        assert!(!logged[0].contains(&secret[4..]) && !logged[0].contains(&hash));

        // The read token reads the API as its owner.
        let r = bearer_get(&app, &secret, "/api/v1/org-units").await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
        let units: serde_json::Value = r.json().await.unwrap();
        assert!(
            units["org_units"].as_array().is_some_and(|a| !a.is_empty()),
            "{units}"
        );
        let r = bearer_get(&app, &secret, "/api/v1/org-units").await;
        assert_eq!(r.status().as_u16(), 200);

        // Two uses within a minute are recorded once; the owner sees the use.
        let (uses, last): (i64, Option<i64>) =
            sqlx::query_as("SELECT use_count, last_used_at FROM api_tokens")
                .fetch_one(app.store().pool())
                .await
                .unwrap();
        assert_eq!(uses, 1);
        assert!(last.is_some());
        let (_, list) = app.get_as(Some(&s), "/konto/api-nycklar").await;
        assert!(list.contains("GET /api/v1/org-units"), "{list}");

        // A read token cannot import, nor send a form: 403, nothing written.
        let before = outcome_count(&app).await;
        let (status, body) = import(
            &app,
            &secret,
            "Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2024;Totalt;65,5\n",
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("får inte"),
            "{body}"
        );
        let r = app
            .client
            .post(app.url("/konto/api-nycklar"))
            .bearer_auth(&secret)
            .form(&[("name", "x"), ("scope", "read_import")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        assert_eq!(
            r.headers().get("www-authenticate").unwrap(),
            "Bearer error=\"insufficient_scope\""
        );
        assert_eq!(outcome_count(&app).await, before, "nothing written");
        let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
            .fetch_one(app.store().pool())
            .await
            .unwrap();
        assert_eq!(tokens, 1, "a token cannot make tokens");
        // The API's description names the token and the import.
        let doc: serde_json::Value = bearer_get(&app, &secret, "/api/v1/openapi.json")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["paths"]["/api/v1/outcomes/import"]["post"].is_object());
        // Nor see the token pages (a browser session is needed).
        let r = bearer_get(&app, &secret, "/konto/api-nycklar").await;
        assert_eq!(r.status().as_u16(), 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn an_import_token_imports_all_or_nothing_as_its_owner() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let secret = create(&app, &c, "Skript för utfall", "read_import").await;
        let before = outcome_count(&app).await;

        // A bad file: every row's error, nothing written.
        let bad = "Mått;Period;Uppdelning;Värde\n\
                   kf-trygg-utomhus;2024;Totalt;65,5\n\
                   inget-sadant-matt;2024;;10\n\
                   kf-trygg-utomhus;2025;Kvinnor;sextio\n";
        let (status, body) = import(&app, &secret, bad).await;
        assert_eq!(status, 422, "{body}");
        let errors = body["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["row"] == 3 && e["message"].as_str().is_some()),
            "{body}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e["row"] == 4 && e["column"] == "Värde"),
            "{body}"
        );
        assert_eq!(outcome_count(&app).await, before, "nothing written");

        // Neither CSV nor a workbook: 415.
        let r = app
            .client
            .post(app.url("/api/v1/outcomes/import"))
            .bearer_auth(&secret)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 415);

        // A good file: written, in the change log under the token's owner.
        let good = "Mått;Period;Uppdelning;Värde\n\
                    kf-trygg-utomhus;2024;Totalt;65,5\n\
                    kf-trygg-utomhus;2024;Kvinnor;58\n";
        let (status, body) = import(&app, &secret, good).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["new"], 2, "{body}");
        assert_eq!(outcome_count(&app).await, before + 2);
        let id = app.indicator_id("Trygg utomhus").await;
        let record = app
            .store()
            .indicator_records(uppsikt_store::Scope::Indicator(id))
            .await
            .unwrap()
            .remove(0);
        assert!(record.outcomes.iter().any(|o| o.period
            == uppsikt_domain::Period::parse("2024").unwrap()
            && (o.value - 65.5).abs() < 1e-9));
        let by_owner: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM change_log WHERE object_type = 'outcome' AND actor = 'controller' \
             AND source = 'file'",
        )
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        assert_eq!(by_owner, 2, "the change log names the token's owner");

        // The owner's role still decides: a reader's import token imports nothing.
        let r = app.session_for("lasare").await;
        let reader = create(&app, &r, "Läsare med import", "read_import").await;
        let (status, _) = import(&app, &reader, good).await;
        assert_eq!(status, 403);
        // An editor of another board may not import the council's indicator.
        let e = app.session_for("redaktor-fsn").await;
        let editor = create(&app, &e, "Redaktör", "read_import").await;
        let (status, body) = import(
            &app,
            &editor,
            "Mått;Period;Uppdelning;Värde\nkf-trygg-utomhus;2022;Totalt;1\n",
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            outcome_count(&app).await,
            before + 2,
            "nothing more written"
        );

        // A browser session cannot use the API import (it carries no token; no CSRF).
        let r = app
            .client
            .post(app.url("/api/v1/outcomes/import"))
            .header("cookie", &c.cookie)
            .header("content-type", "text/csv")
            .body(good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn expired_revoked_unknown_malformed_and_disabled_tokens_are_refused() {
    for app in apps().await {
        let s = app.session_for("controller").await;
        let expiring = create(&app, &s, "Går ut", "read").await;
        let revoked = create(&app, &s, "Återkallas", "read").await;
        let disabled = {
            let r = app.session_for("revisor").await;
            create(&app, &r, "Revisorns", "read").await
        };
        for secret in [&expiring, &revoked, &disabled] {
            assert_eq!(
                bearer_get(&app, secret, "/api/v1/org-units")
                    .await
                    .status()
                    .as_u16(),
                200
            );
        }

        sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE name = 'Går ut'")
            .execute(app.store().pool())
            .await
            .unwrap();
        let id = token_id(&app, "Återkallas").await;
        let (status, _, location) = app
            .post_as(Some(&s), &format!("/konto/api-nycklar/{id}/aterkalla"), &[])
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/konto/api-nycklar"))
        );
        let revoke_logged: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM change_log WHERE object_type = 'api_token' AND action = 'revoke'",
        )
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        assert_eq!(revoke_logged, 1);
        let revisor = app.store().user_by_name("revisor").await.unwrap().unwrap();
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Cli)
            .await
            .unwrap();
        w.set_user_disabled(revisor.id, true).await.unwrap();
        w.commit().await.unwrap();

        let unknown = format!("upk_{}", "A".repeat(43));
        for (secret, what) in [
            (expiring.as_str(), "expired"),
            (revoked.as_str(), "revoked"),
            (disabled.as_str(), "disabled account"),
            (unknown.as_str(), "unknown"),
            ("inte-en-nyckel", "malformed"),
        ] {
            for path in ["/api/v1/org-units", "/org/1"] {
                let r = bearer_get(&app, secret, path).await;
                assert_invalid_token(&r, what);
                let body: serde_json::Value = r.json().await.unwrap();
                assert!(
                    body["error"]
                        .as_str()
                        .unwrap()
                        .contains("API-nyckeln gäller inte"),
                    "{what}: {body}"
                );
            }
        }
        // Another scheme is not a visitor either.
        let r = app
            .client
            .get(app.url("/api/v1/org-units"))
            .header("authorization", "Basic dXNlcjpwYXNz")
            .send()
            .await
            .unwrap();
        assert_invalid_token(&r, "basic");
        // The list shows each token's status.
        let (_, list) = app.get_as(Some(&s), "/konto/api-nycklar").await;
        assert!(
            list.contains("Har gått ut") && list.contains("Återkallad"),
            "{list}"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn another_persons_token_cannot_be_revoked_and_cookies_do_not_count() {
    for app in apps().await {
        let owner = app.session_for("lasare").await;
        let secret = create(&app, &owner, "Läsarens", "read").await;
        let id = token_id(&app, "Läsarens").await;
        let other = app.session_for("admin").await;
        let (status, _, _) = app
            .post_as(
                Some(&other),
                &format!("/konto/api-nycklar/{id}/aterkalla"),
                &[],
            )
            .await;
        assert_eq!(status, 404, "another person's token is not found");
        let revoked: Option<i64> =
            sqlx::query_scalar("SELECT revoked_at FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_one(app.store().pool())
                .await
                .unwrap();
        assert_eq!(revoked, None, "nothing changed");
        let (_, admins) = app.get_as(Some(&other), "/konto/api-nycklar").await;
        assert!(!admins.contains("Läsarens"), "nobody else lists it");

        // A bearer request with the administrator's cookie acts as the reader only.
        let with_cookie = |path: &str| {
            app.client
                .get(app.url(path))
                .bearer_auth(&secret)
                .header("cookie", &other.cookie)
        };
        let r = with_cookie("/regler").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "the reader may not manage rules");
        assert_eq!(app.get_as(Some(&other), "/regler").await.0, 200);
        let r = with_cookie("/api/v1/org-units").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        // Without a session the account pages ask to sign in.
        let (status, _) = app.get_as(None, "/konto").await;
        assert_eq!(status, 303);
        // A form sent without a session is answered with the sign-in page (as every form).
        let (status, html, _) = app
            .post_as(None, &format!("/konto/api-nycklar/{id}/aterkalla"), &[])
            .await;
        assert_eq!(status, 401);
        assert!(html.contains("action=\"/login"), "{html}");
        assert_eq!(
            bearer_get(&app, &secret, "/api/v1/org-units")
                .await
                .status()
                .as_u16(),
            200,
            "still valid"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_input_is_shown_again_and_live_tokens_are_capped() {
    for app in apps().await {
        let s = app.session_for("redaktor-ks").await;
        let (_, page) = app.get_as(Some(&s), "/konto/api-nycklar").await;
        let expires = default_expiry(&page);
        for (name, scope, date, field) in [
            ("", "read", expires.as_str(), "f-name-error"),
            ("Namn kvar", "allt", expires.as_str(), "f-scope-error"),
            ("Namn kvar", "read", "2020-01-01", "f-expires-error"),
            ("Namn kvar", "read", "2999-01-01", "f-expires-error"),
            ("Namn kvar", "read", "i morgon", "f-expires-error"),
        ] {
            let (status, html, _) = app
                .post_as(
                    Some(&s),
                    "/konto/api-nycklar",
                    &[("name", name), ("scope", scope), ("expires", date)],
                )
                .await;
            assert_eq!(status, 422, "{name} {scope} {date}");
            assert!(html.contains(field) && html.contains("Nyckeln skapades inte"));
            assert!(
                html.contains(&format!("value=\"{date}\"")),
                "typed date kept"
            );
            if !name.is_empty() {
                assert!(html.contains("value=\"Namn kvar\""), "typed name kept");
            }
            assert!(secret_in(&html).is_none());
        }
        for n in 0..uppsikt_store::LIVE_TOKENS_PER_USER {
            create(&app, &s, &format!("Nyckel {n}"), "read").await;
        }
        let (status, html, _) = app
            .post_as(
                Some(&s),
                "/konto/api-nycklar",
                &[
                    ("name", "En för mycket"),
                    ("scope", "read"),
                    ("expires", &expires),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Du har redan 20 giltiga API-nycklar"),
            "{html}"
        );
        assert!(html.contains("value=\"En för mycket\""));
        let id = token_id(&app, "Nyckel 0").await;
        let (status, _, _) = app
            .post_as(Some(&s), &format!("/konto/api-nycklar/{id}/aterkalla"), &[])
            .await;
        assert_eq!(status, 303);
        create(&app, &s, "En för mycket", "read").await;
        app.finish().await;
    }
}
