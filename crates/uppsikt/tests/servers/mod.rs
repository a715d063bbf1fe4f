//! `uppsikt serve` processes for tests that need more than one, or kill one: started on a
//! database with the demo, followed over HTTP with a signed-in session.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_uppsikt"));
    c.env_remove("UPPSIKT_DATABASE_URL")
        .env_remove("UPPSIKT_ADDR")
        .env_remove("UPPSIKT_TEST_JOB_DELAY_MS")
        .env_remove("UPPSIKT_JOB_LEASE_SECS")
        .env("RUST_LOG", "warn");
    c
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Loads the demo (with its decisions) into `url`.
pub fn demo(url: &str) {
    let ok = bin()
        .args(["--database-url", url, "demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// A running `uppsikt serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `uppsikt serve` on `url` with `env`, and waits until it answers.
    pub async fn start(url: &str, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = bin();
        cmd.args([
            "--database-url",
            url,
            "--addr",
            &format!("127.0.0.1:{port}"),
            "serve",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..300 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Server { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("server did not start");
    }

    /// SIGKILL: the process stops where it is.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// A client that names this server's origin (POSTs from elsewhere are refused) and
    /// follows no redirect.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", self.base.parse().unwrap());
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    }

    pub async fn get(&self, s: &Session, path: &str) -> (u16, String) {
        let r = self
            .client()
            .get(format!("{}{path}", self.base))
            .header("cookie", &s.cookie)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    pub async fn get_bytes(&self, s: &Session, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .client()
            .get(format!("{}{path}", self.base))
            .header("cookie", &s.cookie)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.bytes().await.unwrap().to_vec())
    }

    /// POSTs a form with the session's CSRF token: (status, body, Location).
    pub async fn post(
        &self,
        s: &Session,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &s.csrf));
        let r = self
            .client()
            .post(format!("{}{path}", self.base))
            .header("cookie", &s.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    /// Uploads a file to Data in (the CSRF token first, as the form puts it).
    pub async fn upload(
        &self,
        s: &Session,
        name: &str,
        bytes: Vec<u8>,
    ) -> (u16, String, Option<String>) {
        let form = reqwest::multipart::Form::new()
            .text("csrf", s.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        let r = self
            .client()
            .post(format!("{}/import/outcomes", self.base))
            .header("cookie", &s.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    /// Polls a job's status (`/reports/…` or `/imports/…`) until it no longer runs or
    /// `within` passed; its last state.
    pub async fn wait_for(&self, s: &Session, job: &str, within: Duration) -> String {
        let until = std::time::Instant::now() + within;
        loop {
            let (status, body) = self.get(s, &format!("{job}/status")).await;
            assert_eq!(status, 200, "{job}: {body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let state = v["state"].as_str().unwrap().to_string();
            if state != "running" || std::time::Instant::now() > until {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn answer(r: reqwest::Response) -> (u16, String, Option<String>) {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, r.text().await.unwrap(), location)
}

/// A signed-in browser: its session cookie and the CSRF token its forms carry.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A session for `username`, stored as sign-in stores it.
pub async fn session_for(store: &uppsikt_store::Store, username: &str) -> Session {
    use uppsikt_web::auth::password::{random_token, token_hash};
    let user = store.user_by_name(username).await.unwrap().unwrap();
    let (token, csrf) = (random_token(), random_token());
    store
        .create_session(&token_hash(&token), user.id, &csrf, "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    Session {
        cookie: format!("{}={token}", uppsikt_web::auth::SESSION_COOKIE),
        csrf,
    }
}
