//! Sign-in, sessions and response headers (issue 14, items 5–9), over HTTP on the real
//! server, on SQLite and (when reachable) PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{App, Session, PASSWORD};
use uppsikt_domain::access::Role;
use uppsikt_web::auth::{DEVICE_COOKIE, OIDC_COOKIE, SESSION_COOKIE};
use uppsikt_web::ServerOptions;

async fn each(options: ServerOptions, test: impl AsyncFn(&App)) {
    for app in common::apps_with(options).await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

async fn each_default(test: impl AsyncFn(&App)) {
    each(ServerOptions::default(), test).await;
}

/// A client like a browser with no cookies: it names no origin unless told.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    async fn of(r: reqwest::Response) -> Answer {
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// `NAME=VALUE` of the cookie the answer sets, and the whole `Set-Cookie` line.
    fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|line| (line.split(';').next().unwrap().to_string(), line))
    }
}

/// POSTs the sign-in form (our origin, optionally with cookies).
async fn sign_in_to(
    app: &App,
    next: &str,
    username: &str,
    password: &str,
    cookies: Option<&str>,
    forwarded_for: Option<&str>,
) -> Answer {
    let mut req = app
        .client
        .post(app.url(&format!("/login{next}")))
        .form(&[("username", username), ("password", password)]);
    if let Some(c) = cookies {
        req = req.header("cookie", c);
    }
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    Answer::of(req.send().await.unwrap()).await
}

async fn sign_in(app: &App, username: &str, password: &str, cookies: Option<&str>) -> Answer {
    sign_in_to(app, "", username, password, cookies, None).await
}

async fn get_as(app: &App, session: Option<&Session>, path: &str) -> Answer {
    let mut req = app.client.get(app.url(path));
    if let Some(s) = session {
        req = req.header("cookie", &s.cookie);
    }
    Answer::of(req.send().await.unwrap()).await
}

async fn add_account(
    app: &App,
    username: &str,
    hash: Option<String>,
    subject: Option<&str>,
) -> i64 {
    let mut w = app
        .store()
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let id = w
        .add_user(&uppsikt_store::NewUser {
            username: username.into(),
            display_name: format!("Test {username}"),
            role: Role::Reader,
            units: vec![],
            password_hash: hash,
            oidc_subject: subject.map(str::to_string),
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    id
}

/// The argon2id hash of [`PASSWORD`] that the test accounts have.
async fn test_hash(app: &App) -> String {
    let lasare = app.store().user_by_name("lasare").await.unwrap().unwrap();
    lasare.password_hash.unwrap()
}

async fn ks_indicator(app: &App) -> i64 {
    let ks = app.org_id("KS").await;
    app.store()
        .indicator_records(uppsikt_store::Scope::Org(ks))
        .await
        .unwrap()
        .first()
        .unwrap()
        .indicator
        .id
}

// --- item 5: caches and HTTPS ------------------------------------------------------------------

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A report built in the background, downloaded when ready.
async fn report_pdf(app: &App, session: &Session) -> Answer {
    let ks = app.org_id("KS").await;
    let (status, _, location) = app
        .post_as(
            Some(session),
            &format!("/org/{ks}/reports"),
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "pdf"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let job = location.unwrap();
    let started = Instant::now();
    loop {
        let status = get_as(app, Some(session), &format!("{job}/status")).await;
        assert_eq!(status.header("cache-control"), Some("no-store"));
        if status.body.contains("ready") {
            break;
        }
        assert!(!status.body.contains("failed"), "{}", status.body);
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "report not built"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    get_as(app, Some(session), &format!("{job}/download")).await
}

#[tokio::test]
async fn signed_in_answers_are_never_stored_and_every_answer_asks_for_https() {
    each_default(async |app| {
        let auditor = app.session_for("revisor").await;
        let ind = ks_indicator(app).await;
        let mut signed_in = vec![
            (
                "API JSON",
                get_as(app, Some(&auditor), "/api/v1/org-units").await,
            ),
            (
                "Uppsikt workbook",
                get_as(app, Some(&auditor), "/uppsikt/export.xlsx").await,
            ),
            (
                "change-log CSV",
                get_as(app, Some(&auditor), "/history/export.csv?from=2000-01-01").await,
            ),
            ("report PDF", report_pdf(app, &auditor).await),
            ("HTML page", get_as(app, Some(&auditor), "/").await),
            (
                "not found",
                get_as(app, Some(&auditor), "/finns-inte").await,
            ),
            (
                "refusal",
                get_as(app, Some(&auditor), &format!("/indicators/{ind}/outcome")).await,
            ),
        ];
        // A redirect after a saved form.
        let admin = app.session.clone().unwrap();
        let r = app
            .client
            .post(app.url(&format!("/indicators/{ind}/outcome")))
            .header("cookie", &admin.cookie)
            .form(&[
                ("period", "2024"),
                ("breakdown", "total"),
                ("value", "42"),
                ("csrf", admin.csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        signed_in.push(("redirect", Answer::of(r).await));
        let expected_status = [200, 200, 200, 200, 200, 404, 403, 303];
        for ((what, answer), status) in signed_in.iter().zip(expected_status) {
            assert_eq!(answer.status, status, "{what}");
            assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
            assert_eq!(
                answer.header("strict-transport-security"),
                Some(HSTS),
                "{what}"
            );
            // The existing protections stay.
            assert_eq!(
                answer.header("x-content-type-options"),
                Some("nosniff"),
                "{what}"
            );
            assert!(answer.header("content-security-policy").is_some(), "{what}");
        }
        assert!(signed_in[3]
            .1
            .header("content-type")
            .unwrap()
            .contains("pdf"));
        // The public gets HTTPS pinned too; the shared style sheet stays cacheable.
        for path in [
            "/",
            "/healthz",
            "/static/style.css",
            "/login",
            "/indicators/1",
        ] {
            let answer = get_as(app, None, path).await;
            assert_eq!(
                answer.header("strict-transport-security"),
                Some(HSTS),
                "{path}"
            );
        }
        let css = get_as(app, Some(&auditor), "/static/style.css").await;
        assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));
    })
    .await;
}

// --- item 6: where sign-in leads -----------------------------------------------------------------

#[tokio::test]
async fn signing_in_never_leads_off_the_site() {
    each_default(async |app| {
        // The request, then its relatives.
        for next in [
            "%2F%09%2Fevil.example",
            "/%09/evil.example",
            "%2F%0A%2Fevil.example",
            "%2F%0D%0A%2Fevil.example",
            "%2F%2Fevil.example",
            "%2F%5Cevil.example",
            "%5C%5Cevil.example",
            "%20%2F%2Fevil.example",
            "%09%2F%2Fevil.example",
            "https%3A%2F%2Fevil.example",
            "%2F%C2%A0%2Fevil.example",
            "%2F%00%2Fevil.example",
        ] {
            let r = sign_in_to(
                app,
                &format!("?next={next}"),
                "lasare",
                PASSWORD,
                None,
                None,
            )
            .await;
            assert_eq!(r.status, 303, "next={next}");
            assert_eq!(r.location(), Some("/"), "next={next}");
        }
        // A path on this site is still where sign-in leads.
        let r = sign_in_to(
            app,
            "?next=%2Forg%2F3%3Fperiod%3D2019",
            "lasare",
            PASSWORD,
            None,
            None,
        )
        .await;
        assert_eq!(r.location(), Some("/org/3?period=2019"));
    })
    .await;
}

// --- item 7: client addresses and back-off -------------------------------------------------------

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let options = ServerOptions {
        login_attempts_per_minute: 3,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Default::default()
    };
    each(options, async |app| {
        let attempt = |xff: &'static str| async move {
            sign_in_to(app, "", "ingen", "fel-lösenord-999", None, Some(xff))
                .await
                .status
        };
        for _ in 0..3 {
            assert_eq!(attempt("203.0.113.5").await, 422);
        }
        assert_eq!(attempt("203.0.113.5").await, 429);
        // What the client itself put first does not change who it is.
        assert_eq!(attempt("198.51.100.77, 203.0.113.5").await, 429);
        // Another client behind the same proxy is not limited by the first.
        assert_eq!(attempt("203.0.113.6").await, 422);
    })
    .await;
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_for_is_not_believed() {
    let options = ServerOptions {
        login_attempts_per_minute: 3,
        ..Default::default()
    };
    each(options, async |app| {
        let mut statuses = Vec::new();
        for i in 0..4 {
            let xff = format!("203.0.113.{i}");
            let r = sign_in_to(app, "", "ingen", "fel-lösenord-999", None, Some(&xff)).await;
            statuses.push(r.status);
        }
        assert_eq!(statuses, [422, 422, 422, 429]);
    })
    .await;
}

#[tokio::test]
async fn strangers_guessing_a_password_never_lock_the_owner_out_of_their_browser() {
    each_default(async |app| {
        // The owner signs in once: their browser is remembered.
        let r = sign_in(app, "redaktor-ks", PASSWORD, None).await;
        assert_eq!(r.status, 303);
        let (device, line) = r.cookie(DEVICE_COOKIE).expect("a device cookie");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(line.contains(attribute), "{attribute} in {line}");
        }
        assert!(!line.to_lowercase().contains("domain="), "{line}");
        // Strangers fail five times: new browsers must wait.
        for _ in 0..5 {
            assert_eq!(
                sign_in(app, "redaktor-ks", "gissning-123456", None)
                    .await
                    .status,
                422
            );
        }
        let stranger = sign_in(app, "redaktor-ks", PASSWORD, None).await;
        assert_eq!(
            stranger.status, 422,
            "a new browser waits, even with the password"
        );
        assert!(stranger.cookie(SESSION_COOKIE).is_none());
        // The owner's browser does not.
        let owner = sign_in(app, "redaktor-ks", PASSWORD, Some(&device)).await;
        assert_eq!(owner.status, 303);
        assert!(owner.cookie(SESSION_COOKIE).is_some());
        // A cookie the server never issued (or issued for another account) is a stranger.
        let forged = format!("{DEVICE_COOKIE}={}", "ab".repeat(32));
        assert_eq!(
            sign_in(app, "redaktor-ks", PASSWORD, Some(&forged))
                .await
                .status,
            422
        );
        // The owner's own typos count in their browser only, with the same back-off.
        for _ in 0..5 {
            assert_eq!(
                sign_in(app, "redaktor-ks", "skrivfel-123456", Some(&device))
                    .await
                    .status,
                422
            );
        }
        assert_eq!(
            sign_in(app, "redaktor-ks", PASSWORD, Some(&device))
                .await
                .status,
            422
        );
    })
    .await;
}

#[tokio::test]
async fn after_a_wait_has_passed_one_wrong_password_does_not_lock_again() {
    each_default(async |app| {
        for _ in 0..5 {
            assert_eq!(
                sign_in(app, "lasare", "fel-lösenord-999", None)
                    .await
                    .status,
                422
            );
        }
        assert_eq!(
            sign_in(app, "lasare", PASSWORD, None).await.status,
            422,
            "waiting"
        );
        // The minute passes (the stored times are moved back, as if it had).
        let user = app.store().user_by_name("lasare").await.unwrap().unwrap();
        let now = time::OffsetDateTime::now_utc();
        let old = user.sign_in_counter();
        let passed = uppsikt_store::SignInCounter {
            locked_until: Some(uppsikt_web::auth::login::rfc3339(
                now - time::Duration::seconds(1),
            )),
            last_failed_at: Some(uppsikt_web::auth::login::rfc3339(
                now - time::Duration::seconds(61),
            )),
            ..old.clone()
        };
        assert_eq!(old.failures, 5);
        let key = uppsikt_store::SignInKey::Account(user.id);
        assert!(app
            .store()
            .swap_sign_in_counter(key, &old, &passed)
            .await
            .unwrap());
        // One typo, then the right password: in.
        assert_eq!(
            sign_in(app, "lasare", "fel-lösenord-999", None)
                .await
                .status,
            422
        );
        assert_eq!(sign_in(app, "lasare", PASSWORD, None).await.status, 303);
        let user = app.store().user_by_name("lasare").await.unwrap().unwrap();
        assert_eq!(
            user.sign_in_counter(),
            uppsikt_store::SignInCounter::default()
        );
    })
    .await;
}

/// The form answered to a failed sign-in of `username`, with the user name taken out.
async fn failure(app: &App, username: &str, password: &str) -> String {
    let r = sign_in(app, username, password, None).await;
    assert_eq!(r.status, 422, "{username}");
    assert!(r.cookie(SESSION_COOKIE).is_none());
    r.body
}

#[tokio::test]
async fn every_failed_sign_in_gets_the_same_answer() {
    each_default(async |app| {
        let hash = test_hash(app).await;
        let first = failure(app, "kalle", PASSWORD).await; // no such account
        assert!(first.contains("Fel användarnamn eller lösenord."));
        let mut answers = vec![("single sign-on only", {
            add_account(app, "kalle", None, Some("kalle@kommun.se")).await;
            failure(app, "kalle", PASSWORD).await
        })];
        let id = app.store().user_by_name("kalle").await.unwrap().unwrap().id;
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_password(id, &hash).await.unwrap();
        w.commit().await.unwrap();
        for i in 0..5 {
            answers.push((
                ["wrong 1", "wrong 2", "wrong 3", "wrong 4", "wrong 5"][i],
                failure(app, "kalle", "fel-lösenord-999").await,
            ));
        }
        answers.push((
            "waiting, right password",
            failure(app, "kalle", PASSWORD).await,
        ));
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_user_disabled(id, true).await.unwrap();
        w.commit().await.unwrap();
        answers.push((
            "disabled, right password",
            failure(app, "kalle", PASSWORD).await,
        ));
        for (what, body) in &answers {
            assert!(
                body == &first,
                "{what}: the answer differs from an unknown user's"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn every_failed_sign_in_takes_the_same_time() {
    let options = ServerOptions {
        login_attempts_per_minute: 10_000,
        ..Default::default()
    };
    each(options, async |app| {
        let hash = test_hash(app).await;
        for name in ["tid-fel-1", "tid-fel-2", "tid-fel-3", "tid-vanta", "tid-av"] {
            add_account(app, name, Some(hash.clone()), None).await;
        }
        for _ in 0..5 {
            sign_in(app, "tid-vanta", "fel-lösenord-999", None).await;
        }
        let disabled = app
            .store()
            .user_by_name("tid-av")
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut w = app
            .store()
            .writer("test", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_user_disabled(disabled, true).await.unwrap();
        w.commit().await.unwrap();
        let rounds = 9;
        let mut times: HashMap<&str, Vec<Duration>> = HashMap::new();
        for round in 0..rounds {
            let wrong_account = ["tid-fel-1", "tid-fel-2", "tid-fel-3"][round % 3];
            let unknown = format!("tid-okand-{round}");
            for (class, user, password) in [
                ("unknown user", unknown.as_str(), PASSWORD),
                ("wrong password", wrong_account, "fel-lösenord-999"),
                ("waiting", "tid-vanta", PASSWORD),
                ("disabled", "tid-av", PASSWORD),
            ] {
                let started = Instant::now();
                let r = sign_in(app, user, password, None).await;
                times.entry(class).or_default().push(started.elapsed());
                assert_eq!(r.status, 422, "{class}");
            }
        }
        let medians: Vec<(&str, Duration)> = times
            .into_iter()
            .map(|(class, mut t)| {
                t.sort();
                (class, t[t.len() / 2])
            })
            .collect();
        eprintln!("median time of a failed sign-in: {medians:?}");
        let fastest = medians.iter().map(|m| m.1).min().unwrap();
        let slowest = medians.iter().map(|m| m.1).max().unwrap();
        // Without a hash verification on every path an unknown name answers in well under
        // a millisecond against ~30 ms for a wrong password (a ratio of 100 or more); 3
        // leaves room for a busy CI machine without letting that through.
        assert!(
            slowest.as_secs_f64() / fastest.as_secs_f64() < 3.0,
            "the time tells the classes apart: {medians:?}"
        );
    })
    .await;
}

// --- item 8: single sign-on bound to the browser, documents cached ---------------------------------

const KEYS: [(&str, &str, &str, &str); 2] = [
    (
        "k1",
        "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420b3c0dd3c3f165dc75f6cdce7c60f92d462ceb878c10ecfcbcdabf7bb9c1ebeeaa14403420004e25df0ae5c2f8454f33e75160c4f778d80f1fa17feb778bbd73a8a038dd50ca9d80f5ceab0169c05434ef59509b3508256edef214ffe4e2917fc327ed6e04f8f",
        "4l3wrlwvhFTzPnUWDE93jYDx-hf-t3i71zqKA43VDKk",
        "2A9c6rAWnAVDTvWVCbNQglbt7yFP_k4pF_wyftbgT48",
    ),
    (
        "k2",
        "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02010104200ab14925eb97f3b0233e8d614068090b1a176a5ba7fbfe188aad246e89630afca14403420004f398d4e00069143670a8ade5699d69f118fa5cfe31ec58c89021460483a0cf0568c9e33652490a9402a76470aa7e4cba60dcd37cb67ee63a38c9a05f91832179",
        "85jU4ABpFDZwqK3laZ1p8Rj6XP4x7FjIkCFGBIOgzwU",
        "aMnjNlJJCpQCp2Rwqn5MumDc03y2fuY6OMmgX5GDIXk",
    ),
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A local stand-in for an OpenID provider: discovery, keys (ES256, one current key),
/// an authorization endpoint that signs in `SUBJECT` at once, and a token endpoint. It
/// counts how often discovery and keys are fetched.
#[derive(Clone, Default)]
struct Provider {
    base: Arc<Mutex<String>>,
    discovery_hits: Arc<Mutex<usize>>,
    jwks_hits: Arc<Mutex<usize>>,
    key: Arc<Mutex<usize>>,
    /// code -> nonce, for codes not yet used
    codes: Arc<Mutex<HashMap<String, String>>>,
    issued: Arc<AtomicUsize>,
}

const SUBJECT: &str = "anna.astrom@huddinge.se";

impl Provider {
    async fn start() -> Provider {
        use axum::extract::{Form, Query, State};
        use axum::response::{IntoResponse, Json, Redirect};
        use axum::routing::{get, post};
        let provider = Provider::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        *provider.base.lock().unwrap() = base;
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(|State(p): State<Provider>| async move {
                    *p.discovery_hits.lock().unwrap() += 1;
                    let base = p.base.lock().unwrap().clone();
                    Json(serde_json::json!({
                        "issuer": base,
                        "authorization_endpoint": format!("{base}/authorize"),
                        "token_endpoint": format!("{base}/token"),
                        "jwks_uri": format!("{base}/jwks"),
                    }))
                }),
            )
            .route(
                "/jwks",
                get(|State(p): State<Provider>| async move {
                    *p.jwks_hits.lock().unwrap() += 1;
                    let (kid, _, x, y) = KEYS[*p.key.lock().unwrap()];
                    Json(serde_json::json!({"keys": [{
                        "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig"
                    }]}))
                }),
            )
            .route(
                "/authorize",
                get(
                    |State(p): State<Provider>, Query(q): Query<HashMap<String, String>>| async move {
                        let code = format!("kod-{}", p.issued.fetch_add(1, Ordering::Relaxed));
                        p.codes.lock().unwrap().insert(code.clone(), q["nonce"].clone());
                        let back = format!(
                            "{}?{}",
                            q["redirect_uri"],
                            serde_urlencoded::to_string([("code", code.as_str()), ("state", q["state"].as_str())]).unwrap()
                        );
                        Redirect::to(&back)
                    },
                ),
            )
            .route(
                "/token",
                post(
                    |State(p): State<Provider>, Form(f): Form<HashMap<String, String>>| async move {
                        let Some(nonce) = p.codes.lock().unwrap().remove(&f["code"]) else {
                            return (axum::http::StatusCode::BAD_REQUEST, "invalid_grant").into_response();
                        };
                        let (kid, der, _, _) = KEYS[*p.key.lock().unwrap()];
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs();
                        let claims = serde_json::json!({
                            "iss": p.base.lock().unwrap().clone(), "aud": "uppsikt", "sub": SUBJECT,
                            "nonce": nonce, "iat": now, "exp": now + 300,
                        });
                        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
                        header.kid = Some(kid.into());
                        let token = jsonwebtoken::encode(
                            &header,
                            &claims,
                            &jsonwebtoken::EncodingKey::from_ec_der(&unhex(der)),
                        )
                        .unwrap();
                        Json(serde_json::json!({"id_token": token, "access_token": "x", "token_type": "Bearer"}))
                            .into_response()
                    },
                ),
            )
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        provider
    }

    fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }

    fn hits(&self) -> (usize, usize) {
        (
            *self.discovery_hits.lock().unwrap(),
            *self.jwks_hits.lock().unwrap(),
        )
    }

    fn options(&self) -> ServerOptions {
        ServerOptions {
            oidc: Some(uppsikt_web::auth::oidc::OidcConfig {
                issuer: self.base(),
                client_id: "uppsikt".into(),
                client_secret: "testhemlighet".into(),
                redirect_url: "http://uppsikt.test/login/oidc/callback".into(),
            }),
            ..Default::default()
        }
    }
}

/// A browser starts single sign-on: its pending-sign-in cookie, and the callback path the
/// provider sends it back to (after signing in there).
async fn begin_sso(app: &App) -> (String, String) {
    let r = get_as(app, None, "/login/oidc?next=%2Forg%2F3").await;
    assert_eq!(r.status, 303);
    let (cookie, line) = r.cookie(OIDC_COOKIE).expect("a pending sign-in cookie");
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(line.contains(attribute), "{attribute} in {line}");
    }
    let at_provider = bare_client()
        .get(r.location().unwrap())
        .send()
        .await
        .unwrap();
    let back = at_provider.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let path = back
        .strip_prefix("http://uppsikt.test")
        .unwrap()
        .to_string();
    (cookie, path)
}

async fn callback(app: &App, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = bare_client().get(app.url(path));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    Answer::of(req.send().await.unwrap()).await
}

#[tokio::test]
async fn a_single_sign_on_callback_in_another_browser_is_refused() {
    let provider = Provider::start().await;
    each(provider.options(), async |app| {
        add_account(app, "anna-sso", None, Some(SUBJECT)).await;
        let (mine, path) = begin_sso(app).await;
        let (theirs, _) = begin_sso(app).await;
        // The attacker's callback, opened in the victim's browser: no cookie, or the
        // cookie of a sign-in the victim began themselves.
        for cookie in [None, Some(theirs.as_str())] {
            let r = callback(app, &path, cookie).await;
            assert_eq!(r.status, 403, "{cookie:?}");
            assert!(r.body.contains("startades inte i den här webbläsaren"));
            assert!(r.cookie(SESSION_COOKIE).is_none(), "not signed in");
        }
        // In the browser that began it, the same callback signs in.
        let r = callback(app, &path, Some(&mine)).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), Some("/org/3"));
        assert!(r.cookie(SESSION_COOKIE).is_some());
        let (cleared, _) = r
            .cookie(OIDC_COOKIE)
            .expect("the pending cookie is cleared");
        assert_eq!(cleared, format!("{OIDC_COOKIE}="));
    })
    .await;
}

#[tokio::test]
async fn discovery_and_keys_are_fetched_once_and_again_for_a_new_key() {
    let provider = Provider::start().await;
    each(provider.options(), async |app| {
        add_account(app, "anna-sso", None, Some(SUBJECT)).await;
        *provider.key.lock().unwrap() = 0;
        let before = provider.hits();
        for _ in 0..2 {
            let (cookie, path) = begin_sso(app).await;
            assert_eq!(callback(app, &path, Some(&cookie)).await.status, 303);
        }
        let after = provider.hits();
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (1, 1),
            "fetched once each"
        );
        // The provider rotates its key: one refetch of the keys, and sign-in works.
        *provider.key.lock().unwrap() = 1;
        let (cookie, path) = begin_sso(app).await;
        assert_eq!(callback(app, &path, Some(&cookie)).await.status, 303);
        let rotated = provider.hits();
        assert_eq!((rotated.0 - before.0, rotated.1 - before.1), (1, 2));
    })
    .await;
}

// --- item 9: sessions, cookies, origin --------------------------------------------------------------

#[tokio::test]
async fn the_session_cookie_is_host_only_and_secure() {
    each_default(async |app| {
        let r = sign_in(app, "controller", PASSWORD, None).await;
        assert_eq!(r.status, 303);
        let (cookie, line) = r.cookie(SESSION_COOKIE).expect("a session cookie");
        assert!(line.starts_with("__Host-uppsikt_session="), "{line}");
        for attribute in [
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=28800",
        ] {
            assert!(line.contains(attribute), "{attribute} in {line}");
        }
        assert!(!line.to_lowercase().contains("domain="), "{line}");
        let session = Session {
            cookie: cookie.clone(),
            csrf: String::new(),
        };
        let (status, html) = app.get_as(Some(&session), "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("Inloggad som <a href=\"/konto\">Test controller</a>"));
        // The old cookie name carries no session.
        let old = Session {
            cookie: cookie.replace("__Host-uppsikt_session=", "uppsikt_session="),
            csrf: String::new(),
        };
        assert!(!app.get_as(Some(&old), "/").await.1.contains("Inloggad som"));
    })
    .await;
}

#[tokio::test]
async fn expired_sessions_are_removed_at_sign_in_and_periodically() {
    let options = ServerOptions {
        purge_every: Duration::from_millis(100),
        ..Default::default()
    };
    each(options, async |app| {
        let controller = app
            .store()
            .user_by_name("controller")
            .await
            .unwrap()
            .unwrap();
        app.store()
            .create_session("utgangen-1", controller.id, "csrf", "2000-01-01T00:00:00Z")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            app.store().delete_expired_sessions().await.unwrap(),
            0,
            "purged in the background"
        );
    })
    .await;
    // With the default (a quarter of an hour), a sign-in removes its account's expired sessions.
    each_default(async |app| {
        let controller = app
            .store()
            .user_by_name("controller")
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await; // the purge at start-up has run
        app.store()
            .create_session("utgangen-2", controller.id, "csrf", "2000-01-01T00:00:00Z")
            .await
            .unwrap();
        assert_eq!(sign_in(app, "controller", PASSWORD, None).await.status, 303);
        assert_eq!(
            app.store().delete_expired_sessions().await.unwrap(),
            0,
            "purged at sign-in"
        );
    })
    .await;
}

/// POSTs an outcome as the administrator with the given Origin, Referer and Host.
async fn post_outcome(
    app: &App,
    origin: Option<&str>,
    referer: Option<&str>,
    host: Option<&str>,
) -> u16 {
    let ind = ks_indicator(app).await;
    let admin = app.session.clone().unwrap();
    let mut req = bare_client()
        .post(app.url(&format!("/indicators/{ind}/outcome")))
        .header("cookie", &admin.cookie)
        .form(&[
            ("period", "2024"),
            ("breakdown", "total"),
            ("value", "42"),
            ("csrf", admin.csrf.as_str()),
        ]);
    for (name, value) in [("origin", origin), ("referer", referer), ("host", host)] {
        if let Some(v) = value {
            req = req.header(name, v);
        }
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_post_is_accepted_only_from_the_public_origin() {
    each_default(async |app| {
        let v = app.store().data_version().await.unwrap();
        let page = app.url("/indicators/1/outcome");
        for (origin, referer, host) in [
            (None, None, None),
            (Some("null"), None, None),
            (Some("http://evil.example"), None, None),
            // The request's own Host is the client's to choose.
            (Some("http://evil.example"), None, Some("evil.example")),
            (None, Some("http://evil.example/"), None),
            (Some("http://evil.example"), Some(page.as_str()), None),
        ] {
            assert_eq!(
                post_outcome(app, origin, referer, host).await,
                403,
                "{origin:?} {referer:?} {host:?}"
            );
        }
        assert_eq!(
            app.store().data_version().await.unwrap(),
            v,
            "nothing saved"
        );
        // Our origin, or (without Origin) a page of ours as Referer; localhost is ours too.
        assert_eq!(post_outcome(app, Some(&app.base), None, None).await, 303);
        assert_eq!(post_outcome(app, None, Some(&page), None).await, 303);
        let port = app.base.rsplit(':').next().unwrap();
        assert_eq!(
            post_outcome(app, Some(&format!("http://localhost:{port}")), None, None).await,
            303
        );
        // Signing in is a POST too.
        let r = bare_client()
            .post(app.url("/login"))
            .form(&[("username", "lasare"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn behind_a_proxy_the_configured_public_origin_is_ours() {
    let options = ServerOptions {
        public_origins: vec![
            uppsikt_web::parse_public_origin("https://Uppsikt.Kommun.se/").unwrap(),
        ],
        ..Default::default()
    };
    each(options, async |app| {
        assert_eq!(
            post_outcome(app, Some("https://uppsikt.kommun.se"), None, None).await,
            303
        );
        assert_eq!(post_outcome(app, Some(&app.base), None, None).await, 403);
        assert_eq!(
            post_outcome(app, Some("http://uppsikt.kommun.se"), None, None).await,
            403
        );
    })
    .await;
}
