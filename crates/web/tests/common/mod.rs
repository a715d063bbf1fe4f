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
    let mut w = store.writer("test").await.unwrap();
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

async fn start(db: TestDb, options: uppsikt_web::ServerOptions) -> App {
    let files = uppsikt_import::demo_files(&demo_dir());
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
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
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

/// One app per available backend: SQLite always, PostgreSQL when reachable or required.
pub async fn apps() -> Vec<App> {
    apps_with(uppsikt_web::ServerOptions::default()).await
}

/// [`apps`] with server options.
pub async fn apps_with(options: uppsikt_web::ServerOptions) -> Vec<App> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        out.push(start(db, options.clone()).await);
    }
    out
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
        let r = req.form(&fields).send().await.unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, r.text().await.unwrap(), location)
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
