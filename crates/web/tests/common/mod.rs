//! `spawn_app`: the real server on port 0 over a fresh database with the demo data.

#![allow(dead_code)]

use std::path::PathBuf;

use uppsikt_store::testing::TestDb;
use uppsikt_store::Store;

pub struct App {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn demo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"))
}

async fn start(db: TestDb) -> App {
    let files = uppsikt_import::demo_files(&demo_dir());
    uppsikt_import::import_files(&db.store, &files, "test")
        .await
        .expect("demo data loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let store = db.store.clone();
    let server = tokio::spawn(async move {
        uppsikt_web::serve_on(store, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    App {
        base,
        client,
        db,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// One app per available backend: SQLite always, PostgreSQL when reachable or required.
pub async fn apps() -> Vec<App> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        out.push(start(db).await);
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

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let r = self
            .client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, r.text().await.unwrap(), location)
    }

    pub async fn json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
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
