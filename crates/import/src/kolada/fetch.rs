//! Kolada's API v3 over HTTP: which requests a plan needs (at most 25 ids per path
//! segment, `per_page`, `from_date`), and getting each answer with retries.
//!
//! Every page fetched is saved as a file in a directory, which is then imported like any
//! saved directory: one code path for online and offline, nothing written to the database
//! while the network is in use, and `--save DIR` keeps the pages for an offline machine.
//!
//! The client talks only to where the operator allows ([`ApiAllowList`]: Kolada's own API
//! and the addresses given to `--kolada-api-allow`), follows `next_url` only below the
//! API's address, follows no redirect, and reads every answer with a byte cap
//! ([`ClientOptions::max_page_bytes`]). Its messages name the URL (of its query only the
//! parameters the client sets) and the HTTP status, never the answer's text or the
//! server's temporary directory; details go to the log.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{StatusCode, Url};
use uppsikt_domain::kolada::{KpiId, MunicipalityId};
use uppsikt_domain::messages;

use super::{ClientOptions, FetchPlan};
use crate::progress::Progress;
use crate::report::{ImportReport, Origin};

/// At most this many ids in one path segment (Kolada's limit).
pub const MAX_IDS: usize = 25;

/// One request (its first page; further pages follow `next_url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What the pages hold, used in the saved files' names.
    pub kind: &'static str,
    /// Path below the base URL, e.g. `data/kpi/N00901/municipality/0126,0127`.
    pub path: String,
    pub from_date: Option<String>,
}

/// The KPI's last complete fetch day, for the pairs that already have values.
pub struct Incremental {
    pub fetched_on: BTreeMap<String, String>,
    /// (kpi, municipality) pairs with stored values.
    pub stored: BTreeSet<(String, String)>,
}

fn join_ids<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    ids.collect::<Vec<_>>().join(",")
}

/// The requests a plan needs: KPI metadata, the municipalities, the Kolada municipality
/// groups (`groups`, e.g. `G124125`: to refresh their members), then the data. A KPI × municipality pair with values already stored asks only for what
/// changed since the KPI's last complete fetch (unless `plan.full`); other pairs are
/// fetched whole. Pairs with the same `from_date` and the same municipalities share
/// requests, split so that no segment has more than 25 ids.
pub fn requests(plan: &FetchPlan, groups: &[String], incremental: &Incremental) -> Vec<Request> {
    let mut out = Vec::new();
    let kpi_ids: Vec<&str> = plan.kpis.iter().map(KpiId::as_str).collect();
    for chunk in kpi_ids.chunks(MAX_IDS) {
        out.push(Request {
            kind: "kpi",
            path: format!("kpi/{}", chunk.join(",")),
            from_date: None,
        });
    }
    let places: Vec<&str> = plan
        .municipalities
        .iter()
        .map(MunicipalityId::as_str)
        .collect();
    for chunk in places.chunks(MAX_IDS) {
        out.push(Request {
            kind: "municipality",
            path: format!("municipality/{}", chunk.join(",")),
            from_date: None,
        });
    }
    for chunk in groups.chunks(MAX_IDS) {
        out.push(Request {
            kind: "municipality_groups",
            path: format!(
                "municipality_groups/{}",
                join_ids(chunk.iter().map(String::as_str))
            ),
            from_date: None,
        });
    }
    // from_date (None: whole) → municipalities → KPIs.
    let mut classes: BTreeMap<Option<&str>, BTreeMap<Vec<&str>, Vec<&str>>> = BTreeMap::new();
    for kpi in &kpi_ids {
        let since = (!plan.full)
            .then(|| incremental.fetched_on.get(*kpi).map(String::as_str))
            .flatten();
        let (known, fresh): (Vec<&str>, Vec<&str>) = places.iter().partition(|m| {
            since.is_some()
                && incremental
                    .stored
                    .contains(&(kpi.to_string(), m.to_string()))
        });
        for (date, list) in [(since, known), (None, fresh)] {
            if !list.is_empty() {
                classes
                    .entry(date)
                    .or_default()
                    .entry(list)
                    .or_default()
                    .push(kpi);
            }
        }
    }
    let years: Vec<String> = plan
        .years
        .map(|(a, b)| (a..=b).map(|y| y.to_string()).collect())
        .unwrap_or_default();
    for (date, by_places) in classes {
        for (places, kpis) in by_places {
            for k in kpis.chunks(MAX_IDS) {
                for m in places.chunks(MAX_IDS) {
                    let base = format!("data/kpi/{}/municipality/{}", k.join(","), m.join(","));
                    let paths: Vec<String> = if years.is_empty() {
                        vec![base]
                    } else {
                        years
                            .chunks(MAX_IDS)
                            .map(|y| format!("{base}/year/{}", y.join(",")))
                            .collect()
                    };
                    out.extend(paths.into_iter().map(|path| Request {
                        kind: "data",
                        path,
                        from_date: date.map(str::to_string),
                    }));
                }
            }
        }
    }
    out
}

/// Kolada's own API, always allowed.
pub const KOLADA_ORIGIN: &str = "https://api.kolada.se";

/// The API's address if it is one: `http(s)://host[:port][/path]` without user name,
/// password, query (not even a bare `?`) or fragment; normalised (lower-case host, no
/// default port, no dot segments) and without a trailing slash.
pub fn api_address(given: &str) -> Option<String> {
    let u = Url::parse(given.trim()).ok()?;
    let plain = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some()
        && u.username().is_empty()
        && u.password().is_none()
        && u.query().is_none()
        && u.fragment().is_none();
    plain.then(|| u.as_str().trim_end_matches('/').to_string())
}

/// Whether `url` is `prefix` or below it: the same scheme, host and port, no user name,
/// and a path that is the prefix's or continues it after a `/`.
fn within(prefix: &Url, url: &Url) -> bool {
    let base = prefix.path().trim_end_matches('/');
    let path = url.path();
    prefix.origin() == url.origin()
        && url.username().is_empty()
        && url.password().is_none()
        && (path == base || path.starts_with(&format!("{base}/")))
}

/// Where Kolada's API may be: [`KOLADA_ORIGIN`] and the addresses the server's operator
/// allows (an address allows every path below it). The one check of an API address, for
/// the settings form, the data format's `api_url` when used, and `import kolada --from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAllowList(Vec<Url>);

impl Default for ApiAllowList {
    fn default() -> Self {
        ApiAllowList(Url::parse(KOLADA_ORIGIN).into_iter().collect())
    }
}

impl ApiAllowList {
    /// Kolada's own API and `extra` (each as [`api_address`] takes it).
    pub fn with(extra: &[String]) -> Result<ApiAllowList, String> {
        let mut list = ApiAllowList::default();
        for given in extra {
            let url = api_address(given)
                .and_then(|a| Url::parse(&a).ok())
                .ok_or_else(|| messages::kolada_api_allow_invalid(given))?;
            if !list.0.contains(&url) {
                list.0.push(url);
            }
        }
        Ok(list)
    }

    /// `given` as the API's address, normalised ([`api_address`]), if it is one and
    /// allowed; else why not, in Swedish.
    pub fn check(&self, given: &str) -> Result<String, String> {
        let address = api_address(given).ok_or_else(|| messages::invalid_api_url(given))?;
        let url = Url::parse(&address).map_err(|_| messages::invalid_api_url(given))?;
        if self.0.iter().any(|prefix| within(prefix, &url)) {
            Ok(address)
        } else {
            Err(messages::kolada_api_not_allowed(&address, &self.shown()))
        }
    }

    /// The allowed addresses, for messages: `https://api.kolada.se, http://…`.
    pub fn shown(&self) -> String {
        self.0
            .iter()
            .map(|u| u.as_str().trim_end_matches('/'))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The base URL, checked against `allowed`.
pub fn base_url(given: &str, allowed: &ApiAllowList) -> Result<Url, ImportReport> {
    let whole = Origin::new("", "");
    let address = allowed
        .check(given)
        .map_err(|m| ImportReport::single(&whole, m))?;
    Url::parse(&address).map_err(|_| ImportReport::single(&whole, messages::invalid_api_url(given)))
}

/// The longest URL a message shows (a page's own `next_url` could be any length).
const SHOWN_URL_MAX: usize = 300;

/// A URL as messages name it: without user name, password and fragment, and of its query
/// only the parameters this client sets (anything else could be a secret).
pub(crate) fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| matches!(k.as_ref(), "per_page" | "page" | "from_date"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.set_query(None);
    if !kept.is_empty() {
        u.query_pairs_mut().extend_pairs(kept);
    }
    let text = u.to_string();
    match text.char_indices().nth(SHOWN_URL_MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn first_url(base: &Url, r: &Request, per_page: u32) -> Result<Url, ImportReport> {
    let mut url = Url::parse(&format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        r.path
    ))
    .map_err(|_| {
        ImportReport::single(
            &Origin::new("", ""),
            messages::invalid_api_url(base.as_str()),
        )
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("per_page", &per_page.to_string());
        if let Some(d) = &r.from_date {
            q.append_pair("from_date", d);
        }
    }
    Ok(url)
}

/// Where a fetch saves its pages: `save_to` if given (kept; it must be empty or new, so
/// that no earlier page is mixed in or overwritten), else a new temporary directory of a
/// random name, readable only by this user and removed when dropped. Each page is named
/// by its URL: errors name that, never the file it was spooled to.
pub struct Spool {
    dir: SpoolDir,
    files: Vec<(String, PathBuf)>,
}

enum SpoolDir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Spool {
    pub fn new(save_to: Option<&Path>) -> Result<Spool, ImportReport> {
        let dir = match save_to {
            Some(d) => {
                std::fs::create_dir_all(d).map_err(|e| save_error(d, &e))?;
                let not_empty = std::fs::read_dir(d)
                    .map_err(|e| save_error(d, &e))?
                    .next()
                    .is_some();
                if not_empty {
                    return Err(ImportReport::single(
                        &Origin::new("", ""),
                        messages::save_dir_not_empty(&d.display().to_string()),
                    ));
                }
                SpoolDir::Kept(d.to_path_buf())
            }
            None => SpoolDir::Temporary(
                tempfile::Builder::new()
                    .prefix("uppsikt-kolada-")
                    .tempdir()
                    .map_err(|e| spool_error(&std::env::temp_dir(), &e))?,
            ),
        };
        Ok(Spool {
            dir,
            files: Vec::new(),
        })
    }

    /// Saves the next page, fetched from `url`; names sort in fetch order
    /// (`000001-kpi.json`, …).
    fn save(&mut self, kind: &str, url: &Url, bytes: &[u8]) -> Result<(), ImportReport> {
        let name = format!("{:06}-{kind}.json", self.files.len() + 1);
        let (path, temporary) = match &self.dir {
            SpoolDir::Kept(d) => (d.join(name), false),
            SpoolDir::Temporary(t) => (t.path().join(name), true),
        };
        if let Err(e) = std::fs::write(&path, bytes) {
            return Err(if temporary {
                spool_error(&path, &e)
            } else {
                save_error(&path, &e)
            });
        }
        self.files.push((shown(url), path));
        Ok(())
    }

    /// The pages saved, in fetch order: (the URL it came from, the file).
    pub fn files(&self) -> &[(String, PathBuf)] {
        &self.files
    }
}

/// The operator's own directory (`--save`) could not be written: named, with the reason.
fn save_error(path: &Path, e: &std::io::Error) -> ImportReport {
    ImportReport::single(
        &Origin::new("", ""),
        messages::cannot_save_page(&path.display().to_string(), &e.to_string()),
    )
}

/// The temporary directory could not be written: logged, not shown.
fn spool_error(path: &Path, e: &std::io::Error) -> ImportReport {
    tracing::error!(path = %path.display(), error = %e, "Kolada: cannot spool a page");
    ImportReport::single(&Origin::new("", ""), messages::kolada_spool_failed())
}

/// What fetching did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fetched {
    pub requests: usize,
    pub retries: usize,
}

/// Fetches every request and all its pages into `spool`, in order. A page that cannot be
/// read as a Kolada page is kept too: the import then reports its errors.
pub async fn fetch_all(
    base: &Url,
    list: &[Request],
    options: &ClientOptions,
    spool: &mut Spool,
    progress: &Progress,
) -> Result<Fetched, ImportReport> {
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("uppsikt/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            tracing::error!(error = %error_chain(&e), "Kolada: cannot build the HTTP client");
            ImportReport::single(
                &Origin::new("", ""),
                messages::kolada_unreachable(&shown(base), 1, &messages::kolada_no_connection()),
            )
        })?;
    let mut done = Fetched::default();
    progress.set_done(0);
    progress.set_total(list.len() as u64);
    for r in list {
        let mut url = first_url(base, r, options.per_page)?;
        let mut seen: HashSet<Url> = HashSet::new();
        let mut first = true;
        loop {
            progress.check()?;
            progress.set_step(format!(
                "Hämtar från Kolada: sida {} av {}",
                progress.snapshot().done + 1,
                progress.snapshot().total.max(1)
            ));
            let (bytes, retries) = get(&client, &url, options, progress).await?;
            done.requests += 1;
            done.retries += retries;
            spool.save(r.kind, &url, &bytes)?;
            seen.insert(url.clone());
            // Only the paging is read here; the import checks everything else.
            let page = paging(&bytes);
            drop(bytes);
            if first {
                let per_page = u64::from(options.per_page.max(1));
                let pages = page.count.map_or(1, |c| c.div_ceil(per_page).max(1));
                progress.add_total(pages.saturating_sub(1));
                first = false;
            }
            progress.advance(1);
            let Some(next) = page.next_url else { break };
            let next_url = match url.join(&next) {
                Ok(mut u) if within(base, &u) => {
                    u.set_fragment(None);
                    u
                }
                _ => {
                    let head: String = next.chars().take(SHOWN_URL_MAX).collect();
                    tracing::warn!(page = %url, next_url = %head, "Kolada: next_url outside the API");
                    return Err(ImportReport::single(
                        &Origin::new(&shown(&url), "next_url"),
                        messages::kolada_next_url_elsewhere(&shown(base)),
                    ));
                }
            };
            if seen.contains(&next_url) {
                break;
            }
            if progress.snapshot().done >= progress.snapshot().total {
                progress.add_total(1);
            }
            url = next_url;
        }
    }
    Ok(done)
}

/// The paging fields of a page (`next_url`, `count`); anything else is read by the import,
/// which also reports a page that is no valid JSON.
#[derive(Default, serde::Deserialize)]
struct Paging {
    #[serde(default)]
    next_url: Option<String>,
    #[serde(default)]
    count: Option<u64>,
}

fn paging(bytes: &[u8]) -> Paging {
    let mut page: Paging = serde_json::from_slice(bytes).unwrap_or_default();
    page.next_url = page
        .next_url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    page
}

/// Why one try did not give a page.
enum Miss {
    Status(StatusCode),
    /// The answer is larger than the cap (its declared or its read length so far).
    TooLarge(u64),
    Net(reqwest::Error),
}

/// One GET: the answer's body if it is a success, read chunk by chunk and given up as soon
/// as it would pass `max` bytes. Another status's body is never read.
async fn get_once(client: &reqwest::Client, url: &Url, max: u64) -> Result<Vec<u8>, Miss> {
    let mut resp = client.get(url.clone()).send().await.map_err(Miss::Net)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(Miss::Status(status));
    }
    if let Some(declared) = resp.content_length().filter(|n| *n > max) {
        return Err(Miss::TooLarge(declared));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Miss::Net)? {
        let read = (body.len() + chunk.len()) as u64;
        if read > max {
            return Err(Miss::TooLarge(read));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// One GET with retries on 5xx, 429, time-outs and connection errors, waiting
/// `backoff`, then twice as long each time (at most 30 s). Another 4xx, a redirect (not
/// followed) and an answer over the byte cap are final.
async fn get(
    client: &reqwest::Client,
    url: &Url,
    options: &ClientOptions,
    progress: &Progress,
) -> Result<(Vec<u8>, usize), ImportReport> {
    let tries = options.retries.saturating_add(1);
    let mut delay = options.backoff;
    let mut last = String::new();
    let named = shown(url);
    let fail = |message: String| ImportReport::single(&Origin::new("", ""), message);
    for attempt in 1..=tries {
        let answer =
            until_cancelled(progress, get_once(client, url, options.max_page_bytes)).await?;
        match answer {
            Ok(body) => return Ok((body, attempt as usize - 1)),
            Err(Miss::Status(status)) if status.is_redirection() => {
                tracing::warn!(url = %url, %status, "Kolada: redirect not followed");
                return Err(fail(messages::kolada_redirected(&named, status.as_u16())));
            }
            Err(Miss::Status(status))
                if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                last = messages::kolada_server_error(status.as_u16());
            }
            Err(Miss::Status(status)) => {
                return Err(fail(messages::kolada_refused(&named, status.as_u16())))
            }
            Err(Miss::TooLarge(bytes)) => {
                tracing::warn!(url = %url, bytes, max = options.max_page_bytes, "Kolada: answer over the cap");
                return Err(fail(messages::kolada_page_too_large(
                    &named,
                    options.max_page_bytes,
                )));
            }
            Err(Miss::Net(e)) if e.is_timeout() => {
                last = messages::kolada_timed_out(options.timeout.as_secs().max(1))
            }
            Err(Miss::Net(e)) => {
                tracing::warn!(url = %url, error = %error_chain(&e), "Kolada: connection failed");
                last = if e.is_connect() {
                    messages::kolada_no_connection()
                } else {
                    messages::kolada_connection_broken()
                };
            }
        }
        tracing::warn!(url = %url, attempt, problem = %last, "Kolada: försöker igen");
        if attempt < tries {
            until_cancelled(progress, tokio::time::sleep(delay)).await?;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
    Err(fail(messages::kolada_unreachable(&named, tries, &last)))
}

/// The error and its causes, e.g. "error sending request: connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cause = c.source();
    }
    out
}

/// Runs `fut` unless the import is cancelled first (checked every 50 ms).
async fn until_cancelled<T>(
    progress: &Progress,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, ImportReport> {
    let watch = async {
        while !progress.is_cancelled() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        v = fut => Ok(v),
        () = watch => Err(ImportReport::cancelled()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<T>(list: &[&str], parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
        list.iter().map(|s| parse(s).unwrap()).collect()
    }

    #[test]
    fn large_plans_are_split_into_at_most_25_ids_per_segment() {
        let kpis: Vec<String> = (0..30).map(|i| format!("N{i:05}")).collect();
        let places: Vec<String> = (0..60).map(|i| format!("{i:04}")).collect();
        let plan = FetchPlan {
            kpis: ids(
                &kpis.iter().map(String::as_str).collect::<Vec<_>>(),
                KpiId::parse,
            ),
            municipalities: ids(
                &places.iter().map(String::as_str).collect::<Vec<_>>(),
                MunicipalityId::parse,
            ),
            years: Some((1990, 2019)),
            full: false,
        };
        let none = Incremental {
            fetched_on: BTreeMap::new(),
            stored: BTreeSet::new(),
        };
        let list = requests(&plan, &[], &none);
        let data: Vec<&Request> = list.iter().filter(|r| r.kind == "data").collect();
        // 2 KPI chunks × 3 municipality chunks × 2 year chunks.
        assert_eq!(data.len(), 12);
        for r in &list {
            for segment in r.path.split('/') {
                assert!(segment.split(',').count() <= MAX_IDS, "{}", r.path);
            }
        }
        let mut covered = BTreeSet::new();
        for r in &data {
            let parts: Vec<&str> = r.path.split('/').collect();
            for k in parts[2].split(',') {
                for m in parts[4].split(',') {
                    for y in parts[6].split(',') {
                        covered.insert((k.to_string(), m.to_string(), y.to_string()));
                    }
                }
            }
        }
        assert_eq!(covered.len(), 30 * 60 * 30);
    }

    #[test]
    fn pairs_with_values_ask_only_for_changes_since_the_last_fetch() {
        let plan = FetchPlan {
            kpis: ids(&["N00901", "N00902"], KpiId::parse),
            municipalities: ids(&["0126", "0127"], MunicipalityId::parse),
            years: None,
            full: false,
        };
        let inc = Incremental {
            fetched_on: BTreeMap::from([("N00901".to_string(), "2024-05-01".to_string())]),
            stored: BTreeSet::from([("N00901".to_string(), "0126".to_string())]),
        };
        let list = requests(&plan, &["G1".to_string()], &inc);
        let data: Vec<(String, Option<String>)> = list
            .iter()
            .filter(|r| r.kind == "data")
            .map(|r| (r.path.clone(), r.from_date.clone()))
            .collect();
        assert_eq!(
            data,
            vec![
                ("data/kpi/N00902/municipality/0126,0127".to_string(), None),
                ("data/kpi/N00901/municipality/0127".to_string(), None),
                (
                    "data/kpi/N00901/municipality/0126".to_string(),
                    Some("2024-05-01".to_string())
                ),
            ]
        );
        assert!(list.iter().any(|r| r.path == "municipality_groups/G1"));
        let full = requests(
            &FetchPlan {
                full: true,
                ..plan.clone()
            },
            &[],
            &inc,
        );
        assert!(full.iter().all(|r| r.from_date.is_none()));
    }

    #[test]
    fn api_addresses_are_plain_http_and_normalised() {
        let ok = |s: &str| api_address(s).unwrap();
        assert_eq!(ok("https://api.kolada.se/v3/"), "https://api.kolada.se/v3");
        assert_eq!(
            ok(" HTTPS://API.Kolada.se:443/v3 "),
            "https://api.kolada.se/v3"
        );
        assert_eq!(
            ok("https://api.kolada.se/x/../v3/./"),
            "https://api.kolada.se/v3"
        );
        assert_eq!(ok("https://api.kolada.se"), "https://api.kolada.se");
        for bad in [
            "ftp://x",
            "kolada",
            "file:///etc/passwd",
            "https://api.kolada.se/v3?",
            "https://api.kolada.se/v3?x=1",
            "https://api.kolada.se/v3#",
            "https://user@api.kolada.se/v3",
            "https://user:pw@api.kolada.se/v3",
        ] {
            assert_eq!(api_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_kolada_and_the_operators_addresses_are_allowed() {
        let default = ApiAllowList::default();
        assert_eq!(
            default.check("https://api.kolada.se/v3/").unwrap(),
            "https://api.kolada.se/v3"
        );
        for refused in [
            "http://api.kolada.se/v3",
            "https://api.kolada.se:8443/v3",
            "https://api.kolada.se.example.org/v3",
            "http://127.0.0.1:9/v3",
            "http://169.254.169.254/latest",
        ] {
            let m = default.check(refused).unwrap_err();
            assert!(m.contains("ingen tillåten adress"), "{refused}: {m}");
        }
        let local = ApiAllowList::with(&["http://127.0.0.1:4000/v3".to_string()]).unwrap();
        assert!(local.check("http://127.0.0.1:4000/v3").is_ok());
        assert!(local.check("http://127.0.0.1:4000/v3/sub").is_ok());
        assert!(local.check("http://127.0.0.1:4000/v3x").is_err());
        assert!(local.check("http://127.0.0.1:4000/").is_err());
        assert!(local.check("http://127.0.0.1:4001/v3").is_err());
        assert!(local.check("http://127.0.0.1:4000/v3/../admin").is_err());
        assert!(ApiAllowList::with(&["http://127.0.0.1:4000/v3?".to_string()]).is_err());
    }

    #[test]
    fn urls_in_messages_keep_only_the_clients_own_query_parameters() {
        let u =
            Url::parse("http://127.0.0.1:4000/v3/data?per_page=5&page=2&token=hemligt#x").unwrap();
        assert_eq!(shown(&u), "http://127.0.0.1:4000/v3/data?per_page=5&page=2");
        let long = Url::parse(&format!("http://h/v3/{}", "a".repeat(1000))).unwrap();
        assert_eq!(shown(&long).chars().count(), SHOWN_URL_MAX + 1);
    }
}
