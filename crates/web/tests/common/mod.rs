//! `spawn_app`: the real server on port 0 over a fresh database with the demo data.

#![allow(dead_code)]

use std::path::PathBuf;

use uppsikt_domain::access::Role;
use uppsikt_store::testing::TestDb;
use uppsikt_store::Store;

pub struct App {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// The session `get` and `post` use: the administrator's, unless changed.
    pub session: Option<Session>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn demo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"))
}

/// A signed-in session: its cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// The password of every test account.
pub const PASSWORD: &str = "test-lösenord-123";

/// One argon2id hash of [`PASSWORD`] per test process (hashing is deliberately slow).
fn password_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| uppsikt_web::auth::password::hash_password(PASSWORD).unwrap())
        .clone()
}

/// The lock form for the executive board's decision on KS's 2019 (§ 45, KS-2020/123).
pub const KS_2019_DECISION: [(&str, &str); 5] = [
    ("period", "2019"),
    ("body", "Kommunstyrelsen"),
    ("decided_on", "2020-03-30"),
    ("paragraph", "§ 45"),
    ("diary_number", "KS-2020/123"),
];

/// The test accounts: (user name, role, units by short name).
pub const ACCOUNTS: [(&str, Role, &[&str]); 6] = [
    ("admin", Role::Admin, &[]),
    ("controller", Role::Controller, &[]),
    ("redaktor-ks", Role::Editor, &["KS"]),
    ("redaktor-fsn", Role::Editor, &["FSN"]),
    ("lasare", Role::Reader, &[]),
    ("revisor", Role::Auditor, &[]),
];

async fn add_accounts(store: &Store) {
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    for (username, role, units) in ACCOUNTS {
        let mut ids = Vec::new();
        for u in units {
            ids.push(store.find_org_unit(u).await.unwrap().id);
        }
        w.add_user(&uppsikt_store::NewUser {
            username: username.into(),
            display_name: format!("Test {username}"),
            role,
            units: ids,
            password_hash: Some(password_hash()),
            oidc_subject: None,
        })
        .await
        .unwrap();
    }
    w.commit().await.unwrap();
}

/// Which of the demo's data a test app holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Demo {
    /// The working material: every period can still be written.
    Working,
    /// With the decisions the seeds document (KS 2019, KF 2023), as `uppsikt demo` loads it.
    Decided,
}

async fn start(db: TestDb, options: uppsikt_web::ServerOptions, demo: Demo) -> App {
    let mut files = uppsikt_import::demo_files(&demo_dir());
    if demo == Demo::Working {
        files.retain(|f| !f.ends_with("decisions.toml"));
    }
    uppsikt_import::import_files(&db.store, &files, "test")
        .await
        .expect("demo data loads");
    add_accounts(&db.store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let store = db.store.clone();
    let server = tokio::spawn(async move {
        uppsikt_web::serve_with(store, listener, options, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    // Like a browser, the client names the page's origin on every request (POSTs from
    // anywhere else are refused).
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", base.parse().unwrap());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    let mut app = App {
        base,
        client,
        db,
        session: None,
        shutdown: Some(tx),
        server: Some(server),
    };
    app.session = Some(app.session_for("admin").await);
    app
}

/// One app per available backend holding the demo with its decisions.
pub async fn decided_apps() -> Vec<App> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        out.push(start(db, uppsikt_web::ServerOptions::default(), Demo::Decided).await);
    }
    out
}

/// One app per available backend: SQLite always, PostgreSQL when reachable or required.
pub async fn apps() -> Vec<App> {
    apps_with(uppsikt_web::ServerOptions::default()).await
}

/// [`apps`] with server options.
pub async fn apps_with(options: uppsikt_web::ServerOptions) -> Vec<App> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        out.push(start(db, options.clone(), Demo::Working).await);
    }
    out
}

/// Status, body and `Location` of an answer.
pub async fn answer(r: reqwest::Response) -> (u16, String, Option<String>) {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), location)
}

impl App {
    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A session for a test account, stored as sign-in would store it.
    pub async fn session_for(&self, username: &str) -> Session {
        use uppsikt_web::auth::password::{random_token, token_hash};
        let user = self.store().user_by_name(username).await.unwrap().unwrap();
        let (token, csrf) = (random_token(), random_token());
        self.store()
            .create_session(&token_hash(&token), user.id, &csrf, "2999-01-01T00:00:00Z")
            .await
            .unwrap();
        Session {
            cookie: format!("{}={token}", uppsikt_web::auth::SESSION_COOKIE),
            csrf,
        }
    }

    /// GET as the app's session.
    pub async fn get(&self, path: &str) -> (u16, String) {
        self.get_as(self.session.as_ref(), path).await
    }

    /// GET as `session` (None: the public).
    pub async fn get_as(&self, session: Option<&Session>, path: &str) -> (u16, String) {
        let mut req = self.client.get(self.url(path));
        if let Some(s) = session {
            req = req.header("cookie", &s.cookie);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// POST a form as the app's session (its CSRF token added).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        self.post_as(self.session.as_ref(), path, form).await
    }

    /// POST a form as `session` with its CSRF token (None: the public, no token).
    pub async fn post_as(
        &self,
        session: Option<&Session>,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut req = self.client.post(self.url(path));
        if let Some(s) = session {
            fields.push(("csrf", &s.csrf));
            req = req.header("cookie", &s.cookie);
        }
        answer(req.form(&fields).send().await.unwrap()).await
    }

    /// Uploads `bytes` as `name` to Data in as `s`, the CSRF token first (as the form puts
    /// it) unless `csrf` is false.
    pub async fn upload(
        &self,
        s: &Session,
        name: &str,
        bytes: Vec<u8>,
        csrf: bool,
    ) -> (u16, String, Option<String>) {
        self.upload_to(s, "/import/outcomes", name, bytes, csrf)
            .await
    }

    /// Uploads `bytes` as `name` in the field `file` to `path` as `s` (the audit report),
    /// the CSRF token first unless `csrf` is false.
    pub async fn upload_to(
        &self,
        s: &Session,
        path: &str,
        name: &str,
        bytes: Vec<u8>,
        csrf: bool,
    ) -> (u16, String, Option<String>) {
        let mut form = reqwest::multipart::Form::new();
        if csrf {
            form = form.text("csrf", s.csrf.clone());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        let r = self
            .client
            .post(self.url(path))
            .header("cookie", &s.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    pub async fn json(&self, path: &str) -> (u16, serde_json::Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(s) = &self.session {
            req = req.header("cookie", &s.cookie);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// Starts a report job for a unit with the report form's fields, waits until it is
    /// ready (failing on a failed job) and returns the downloaded document as text.
    pub async fn report_text(&self, org_id: i64, form: &[(&str, &str)]) -> String {
        let (status, _, location) = self.post(&format!("/org/{org_id}/reports"), form).await;
        assert_eq!(status, 303, "the report job starts");
        let job = location.unwrap();
        let mut ready = false;
        for _ in 0..100 {
            let (_, s) = self.json(&format!("{job}/status")).await;
            if s["state"] == "ready" {
                ready = true;
                break;
            }
            assert_ne!(s["state"], "failed", "{s}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready, "report finished");
        let mut req = self.client.get(self.url(&format!("{job}/download")));
        if let Some(s) = &self.session {
            req = req.header("cookie", &s.cookie);
        }
        req.send().await.unwrap().text().await.unwrap()
    }

    pub async fn org_id(&self, short_name: &str) -> i64 {
        self.store().find_org_unit(short_name).await.unwrap().id
    }

    pub async fn goal_id(&self, title: &str) -> i64 {
        self.store()
            .goals()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.title == title)
            .unwrap_or_else(|| panic!("goal {title}"))
            .id
    }

    pub async fn indicator_id(&self, name_starts: &str) -> i64 {
        self.store()
            .indicator_records(uppsikt_store::Scope::All)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.indicator.name.starts_with(name_starts))
            .unwrap_or_else(|| panic!("indicator {name_starts}"))
            .indicator
            .id
    }

    /// A second server over the same database with `options` (another process would be
    /// the same: sessions and data are in the database); stops when dropped.
    pub async fn twin(&self, options: uppsikt_web::ServerOptions) -> Twin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let store = self.db.store.clone();
        tokio::spawn(async move {
            uppsikt_web::serve_with(store, listener, options, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Twin {
            base,
            _shutdown: tx,
        }
    }

    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.finish().await;
    }
}

/// A second server over an [`App`]'s database.
pub struct Twin {
    pub base: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A route a refusal test sends: its path, a form to POST, and the sessions refused there.
pub type Route<'a> = (String, Vec<(&'a str, &'a str)>, Vec<&'a Session>);

/// Every route sends a visitor to sign in (GET), refuses a visitor's POST or answers it with
/// the sign-in page (401, keeping what was typed) or a redirect to it, and
/// answers each refused session 403 with the guard's message, for GET and POST alike.
pub async fn assert_routes_refused(app: &App, routes: &[Route<'_>]) {
    for (path, form, refused) in routes {
        let (status, _) = app.get_as(None, path).await;
        assert_eq!(status, 303, "a visitor is sent to sign in: GET {path}");
        let (status, _, _) = app.post_as(None, path, form).await;
        assert!(
            [303, 401, 403].contains(&status),
            "visitor POST {path}: {status}"
        );
        for s in refused {
            assert_eq!(app.get_as(Some(s), path).await.0, 403, "GET {path}");
            let (status, html, _) = app.post_as(Some(s), path, form).await;
            assert_eq!(status, 403, "POST {path}");
            assert!(
                html.contains("behörighet") || html.contains("Bara"),
                "{path}"
            );
        }
    }
}
