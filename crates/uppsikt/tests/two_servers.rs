//! Two app processes on one PostgreSQL, a user's requests alternating between them: signed
//! in on A, a form saved on B with that session is seen on A at once (both with their page
//! cache on); a report started on A is followed and downloaded on B; a file previewed on A
//! is committed on B. Runs where PostgreSQL is reachable (or required), else says so.

mod servers;

use std::time::Duration;

use servers::{demo, Server, Session};
use uppsikt_store::testing::TestDb;
use uppsikt_store::Store;

const PASSWORD: &str = "två-servrar-lösenord-22";

/// Signs in on `server` as a browser does: the session cookie it sets, and the CSRF token
/// of a form page.
async fn sign_in(server: &Server, username: &str) -> Session {
    let r = server
        .client()
        .post(format!("{}/login", server.base))
        .form(&[("username", username), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "signed in");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(uppsikt_web::auth::SESSION_COOKIE))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let mut s = Session {
        cookie,
        csrf: String::new(),
    };
    let (status, page) = server.get(&s, "/import").await;
    assert_eq!(status, 200);
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with its token")
        + 19;
    s.csrf = page[at..at + 64].to_string();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_requests_alternate_between_two_servers_on_one_postgresql() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let url = db.url.clone();
    demo(&url);
    let store = Store::open(&url).await.unwrap();
    let user = store.user_by_name("controller").await.unwrap().unwrap();
    let hash = uppsikt_web::auth::password::hash_password(PASSWORD).unwrap();
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_password(user.id, &hash).await.unwrap();
    w.commit().await.unwrap();
    let ks = store.find_org_unit("KS").await.unwrap().id;
    let ind = store
        .indicator_records(uppsikt_store::Scope::Org(ks))
        .await
        .unwrap()
        .iter()
        .find(|r| r.indicator.key == "ks-antal-fardigstallda-bostader")
        .map(|r| r.indicator.id)
        .unwrap();
    let a = Server::start(&url, &[]).await;
    let b = Server::start(&url, &[]).await;

    // Signed in on A; the same session saves on B, and A shows it at once.
    let s = sign_in(&a, "controller").await;
    let page = format!("/indicators/{ind}");
    let (status, before) = a.get(&s, &page).await;
    assert_eq!(status, 200);
    let (_, board_before) = a.get(&s, &format!("/org/{ks}")).await;
    assert!(!before.contains("2031"), "no outcome for 2031 yet");
    let (status, body, _) = b
        .post(
            &s,
            &format!("/indicators/{ind}/outcome"),
            &[
                ("period", "2031"),
                ("breakdown", "total"),
                ("value", "4321"),
            ],
        )
        .await;
    assert_eq!(status, 303, "saved on B: {body}");
    let (status, after) = a.get(&s, &page).await;
    assert_eq!(status, 200);
    assert!(after.contains("2031"), "A shows B's write at once");
    let (_, board_after) = a.get(&s, &format!("/org/{ks}")).await;
    assert_ne!(
        board_before, board_after,
        "A's cached board page is not served stale"
    );

    // A report started on A, followed and downloaded on B.
    let (status, body, report) = a
        .post(
            &s,
            &format!("/org/{ks}/reports"),
            &[
                ("kind", "verksamhetsberattelse"),
                ("period", "2019"),
                ("format", "html"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let report = report.unwrap();
    assert_eq!(
        b.wait_for(&s, &report, Duration::from_secs(120)).await,
        "ready"
    );
    let (status, html) = b.get(&s, &report).await;
    assert_eq!(status, 200, "{html}");
    let (status, file) = b.get(&s, &format!("{report}/download")).await;
    assert_eq!(status, 200);
    assert!(file.contains("Verksamhetsberättelse"));

    // A file previewed on A, committed on B, the import followed on A.
    let csv = "Mått;Period;Uppdelning;Värde\nks-antal-fardigstallda-bostader;2032;Totalt;555\n";
    let (status, body, preview) = a.upload(&s, "utfall.csv", csv.into()).await;
    assert_eq!(status, 303, "{body}");
    let preview = preview.unwrap();
    let (status, body, import) = b.post(&s, &format!("{preview}/commit"), &[]).await;
    assert_eq!(status, 303, "committed on B: {body}");
    let import = import.unwrap();
    assert_eq!(
        a.wait_for(&s, &import, Duration::from_secs(120)).await,
        "done"
    );
    let (status, after) = b.get(&s, &page).await;
    assert_eq!(status, 200);
    assert!(after.contains("2032"));
    // The upload is gone on both once imported.
    let (status, _) = a.get(&s, &preview).await;
    assert_eq!(status, 404);

    drop((a, b));
    store.close().await;
    db.finish().await;
}
