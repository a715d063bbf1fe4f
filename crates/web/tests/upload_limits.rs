//! Uploads that cannot hurt the service, over HTTP on every backend: a POST without a
//! session, or an upload without its CSRF token, is answered before its body is read;
//! uploads up to the promised size work; files built to expand (a zip bomb, a member
//! lying about its size, one shared string in every cell, an XLS of LABELSST records, an
//! ODS cell repeated over a sheet) are refused with a Swedish message, nothing is kept,
//! and the server answers other requests meanwhile; a large file is parsed off the
//! server's async workers.

mod common;

use std::time::{Duration, Instant};

use common::{apps, App};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uppsikt_domain::messages;
use uppsikt_import::table::{samples, MAX_CELL_BYTES, MAX_MEMBER_BYTES, MAX_TEXT_BYTES};

async fn keys(app: &App) -> Vec<String> {
    app.store()
        .indicator_records(uppsikt_store::Scope::All)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.indicator.key)
        .collect()
}

/// Sends `head` (a request's headers and the start of its body) on a new connection and
/// returns what the server answers within five seconds, without sending the rest of the
/// body the headers announce. `None` when it does not answer: it waits for the body.
async fn answer_without_body(app: &App, head: &str) -> Option<String> {
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn a_post_without_a_session_is_answered_before_its_body_is_read() {
    for app in apps().await {
        let host = app.base.trim_start_matches("http://").to_string();
        for (path, content_type) in [
            (
                "/import/outcomes",
                "multipart/form-data; boundary=xyz".to_string(),
            ),
            (
                "/org/1/goals/new",
                "application/x-www-form-urlencoded".to_string(),
            ),
        ] {
            // Twenty megabytes announced, none sent.
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Type: {content_type}\r\n\
                 Content-Length: 20000000\r\n\r\n"
            );
            let answer = answer_without_body(&app, &head)
                .await
                .unwrap_or_else(|| panic!("{path}: no answer while the body is awaited"));
            assert!(answer.starts_with("HTTP/1.1 303"), "{path}: {answer}");
            assert!(answer.contains("location: /login"), "{path}: {answer}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn an_upload_without_its_token_first_is_refused_before_the_file_is_read() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let host = app.base.trim_start_matches("http://").to_string();
        for first_field in [
            "Content-Disposition: form-data; name=\"csrf\"\r\n\r\nfel-token\r\n".to_string(),
            // The right token, but after the file: the file would be read unchecked.
            "Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nM\r\n"
                .to_string(),
        ] {
            let head = format!(
                "POST /import/outcomes HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nCookie: {}\r\n\
                 Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 20000000\r\n\r\n\
                 --xyz\r\n{first_field}--xyz\r\n",
                c.cookie
            );
            let answer = answer_without_body(&app, &head)
                .await
                .expect("an answer while the rest of the body is awaited");
            assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn uploads_of_15_mb_of_csv_and_an_xlsx_over_2_mib_are_read_and_previewed() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let keys = keys(&app).await;
        // 15 MB: about 330 000 rows.
        let rows = 15 * 1024 * 1024 / 48;
        let csv = samples::outcomes_csv(&keys, rows);
        assert!(csv.len() > 15 * 1000 * 1000, "{}", csv.len());
        let xlsx = samples::outcomes_xlsx(&keys, 100_000);
        assert!(xlsx.len() > 2 * 1024 * 1024, "{}", xlsx.len());
        for (name, bytes, rows) in [("utfall.csv", csv, rows), ("utfall.xlsx", xlsx, 100_000)] {
            let (status, html, location) = app.upload(&c, name, bytes, true).await;
            assert_eq!(status, 303, "{name}: {html}");
            let preview = location.unwrap();
            let (status, html) = app.get_as(Some(&c), &preview).await;
            assert_eq!(status, 200, "{name}: {html}");
            assert!(
                html.contains(&format!("{rows} rader")),
                "{name}: {rows} rows read"
            );
            let new = format!("id=\"count-new\">{rows}</span>");
            assert!(
                html.contains(&new),
                "{name}: every row is a new outcome: {}",
                &html[html.find("<h1>").unwrap_or(0)..][..3000.min(html.len() / 2)]
            );
        }
        app.finish().await;
    }
}

/// Files built to expand, each with the refusal it must get: each under 2 MiB, so that
/// they reach the reader also where larger uploads were refused before (see above).
fn hostile_files() -> Vec<(&'static str, Vec<u8>, String)> {
    vec![
        (
            "bomb.xlsx",
            // One cell of 1 GiB of text, packed to 1 MB; declared honestly.
            samples::zip_bomb_xlsx(1 << 30),
            messages::unpacks_too_large(MAX_MEMBER_BYTES >> 20),
        ),
        (
            "ljuger.xlsx",
            // The same cell, its member declaring 4 kB.
            samples::lying_member_xlsx(1 << 30, 4096),
            messages::workbook_damaged(),
        ),
        (
            "delad-text.xlsx",
            // One shared string of 32 kB in each of 256 000 cells: 8 GB as copies.
            samples::shared_string_xlsx(32 * 1024, 1_000),
            messages::text_too_large(MAX_TEXT_BYTES >> 20),
        ),
        (
            "labelsst.xls",
            // One shared string of 8 000 characters in 100 000 LABELSST records: 800 MB.
            samples::labelsst_xls(8_000, 100_000),
            messages::text_too_large(MAX_TEXT_BYTES >> 20),
        ),
        (
            "upprepad.ods",
            // A cell of 30 kB repeated over 256 columns and 500 rows: 3.9 GB.
            samples::repeated_cell_ods(30_000, 500),
            messages::text_too_large(MAX_TEXT_BYTES >> 20),
        ),
        (
            "lang-cell.xlsx",
            // One cell of 200 kB.
            samples::zip_bomb_xlsx(200 * 1024),
            messages::cell_too_long(None, MAX_CELL_BYTES / 1024),
        ),
    ]
}

#[tokio::test]
async fn files_built_to_expand_are_refused_in_swedish_while_the_server_answers_others() {
    for app in apps().await {
        let c = app.session_for("controller").await;
        let before = app.get_as(Some(&c), "/import").await.1.len();
        for (name, bytes, refusal) in hostile_files() {
            assert!(
                bytes.len() < 20 * 1024 * 1024,
                "{name}: {} bytes",
                bytes.len()
            );
            let started = Instant::now();
            let mut answered = 0;
            let (status, html, location) = {
                let uploading = app.upload(&c, name, bytes, true);
                tokio::pin!(uploading);
                loop {
                    tokio::select! {
                        done = &mut uploading => break done,
                        _ = tokio::time::sleep(Duration::from_millis(20)) => {
                            let (status, body) = app.get_as(None, "/healthz").await;
                            assert_eq!((status, body.as_str()), (200, "ok"), "{name}");
                            answered += 1;
                        }
                    }
                }
            };
            eprintln!(
                "{name}: refused in {:?}, {answered} other requests answered meanwhile",
                started.elapsed()
            );
            assert_eq!(status, 422, "{name}: {html}");
            assert_eq!(location, None, "{name}: nothing kept");
            assert!(
                html.contains(&refusal),
                "{name}: expected {refusal:?} in {html}"
            );
        }
        // The server still answers, and nothing of the files was kept or imported.
        let (status, page) = app.get_as(Some(&c), "/import").await;
        assert_eq!(status, 200);
        assert_eq!(page.len(), before);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_large_file_is_parsed_while_the_server_answers_others() {
    // One thread runs the server and this test (tokio's test runtime): parsing on it would
    // hold every other request until the parse ends.
    for app in apps().await {
        let c = app.session_for("controller").await;
        let keys = keys(&app).await;
        let csv = samples::outcomes_csv(&keys, 200_000);
        let started = Instant::now();
        let mut slowest = Duration::ZERO;
        let mut answered = 0;
        let (status, html, _) = {
            let uploading = app.upload(&c, "utfall.csv", csv, true);
            tokio::pin!(uploading);
            loop {
                tokio::select! {
                    done = &mut uploading => break done,
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {
                        let asked = Instant::now();
                        let (status, _) = app.get_as(None, "/healthz").await;
                        assert_eq!(status, 200);
                        slowest = slowest.max(asked.elapsed());
                        answered += 1;
                    }
                }
            }
        };
        let took = started.elapsed();
        eprintln!("upload took {took:?}; {answered} requests answered, the slowest in {slowest:?}");
        assert_eq!(status, 303, "{html}");
        assert!(
            answered >= 3,
            "requests answered while the file was read: {answered}"
        );
        assert!(
            slowest < took / 2,
            "the slowest answer ({slowest:?}) waited for the parse ({took:?})"
        );
        app.finish().await;
    }
}
