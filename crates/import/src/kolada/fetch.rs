//! Kolada's API v3 over HTTP: which requests a plan needs (at most 25 ids per path
//! segment, `per_page`, `from_date`), and getting each answer with retries.
//!
//! Every page fetched is saved as a file in a directory, which is then imported like any
//! saved directory: one code path for online and offline, nothing written to the database
//! while the network is in use, and `--save DIR` keeps the pages for an offline machine.

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

/// The API's address if it is one: `http(s)://` and a host, without a trailing slash.
pub(crate) fn api_address(given: &str) -> Option<String> {
    let trimmed = given.trim().trim_end_matches('/');
    match Url::parse(trimmed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Some(trimmed.to_string())
        }
        _ => None,
    }
}

/// The base URL, checked: `http(s)://…`, without a trailing slash.
pub fn base_url(given: &str) -> Result<String, ImportReport> {
    api_address(given)
        .ok_or_else(|| ImportReport::single(&Origin::new("", ""), messages::invalid_api_url(given)))
}

fn first_url(base: &str, r: &Request, per_page: u32) -> Result<Url, ImportReport> {
    let mut url = Url::parse(&format!("{base}/{}", r.path))
        .map_err(|_| ImportReport::single(&Origin::new("", ""), messages::invalid_api_url(base)))?;
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
/// that no earlier page is mixed in or overwritten), else a temporary directory removed
/// when dropped.
pub struct Spool {
    dir: PathBuf,
    keep: bool,
    files: Vec<PathBuf>,
}

impl Spool {
    pub fn new(save_to: Option<&Path>) -> Result<Spool, ImportReport> {
        let (dir, keep) = match save_to {
            Some(d) => (d.to_path_buf(), true),
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let name = format!("uppsikt-kolada-{}-{nanos}", std::process::id());
                (std::env::temp_dir().join(name), false)
            }
        };
        std::fs::create_dir_all(&dir).map_err(|e| save_error(&dir, &e))?;
        let not_empty = std::fs::read_dir(&dir)
            .map_err(|e| save_error(&dir, &e))?
            .next()
            .is_some();
        if keep && not_empty {
            return Err(ImportReport::single(
                &Origin::new("", ""),
                messages::save_dir_not_empty(&dir.display().to_string()),
            ));
        }
        Ok(Spool {
            dir,
            keep,
            files: Vec::new(),
        })
    }

    /// Saves the next page; names sort in fetch order (`000001-kpi.json`, …).
    fn save(&mut self, kind: &str, bytes: &[u8]) -> Result<(), ImportReport> {
        let path = self
            .dir
            .join(format!("{:06}-{kind}.json", self.files.len() + 1));
        std::fs::write(&path, bytes).map_err(|e| save_error(&path, &e))?;
        self.files.push(path);
        Ok(())
    }

    /// The pages saved, in fetch order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn save_error(path: &Path, e: &std::io::Error) -> ImportReport {
    ImportReport::single(
        &Origin::new("", ""),
        messages::cannot_save_page(&path.display().to_string(), &e.to_string()),
    )
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
    base: &str,
    list: &[Request],
    options: &ClientOptions,
    spool: &mut Spool,
    progress: &Progress,
) -> Result<Fetched, ImportReport> {
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .user_agent(concat!("uppsikt/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            ImportReport::single(
                &Origin::new("", ""),
                messages::kolada_unreachable(base, 1, &e.to_string()),
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
            spool.save(r.kind, &bytes)?;
            seen.insert(url.clone());
            // Only the paging is read here; the import checks everything else.
            let page = paging(&bytes);
            if first {
                let per_page = u64::from(options.per_page.max(1));
                let pages = page.count.map_or(1, |c| c.div_ceil(per_page).max(1));
                progress.add_total(pages.saturating_sub(1));
                first = false;
            }
            progress.advance(1);
            let Some(next) = page.next_url else { break };
            let next_url = match url.join(&next) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => u,
                _ => {
                    return Err(ImportReport::single(
                        &Origin::new(url.as_str(), "next_url"),
                        messages::kolada_bad_next_url(&next),
                    ))
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

/// One GET with retries on 5xx, 429, time-outs and connection errors, waiting
/// `backoff`, then twice as long each time (at most 30 s). A 4xx is final.
async fn get(
    client: &reqwest::Client,
    url: &Url,
    options: &ClientOptions,
    progress: &Progress,
) -> Result<(Vec<u8>, usize), ImportReport> {
    let tries = options.retries.saturating_add(1);
    let mut delay = options.backoff;
    let mut last = String::new();
    let fail = |message: String| ImportReport::single(&Origin::new("", ""), message);
    for attempt in 1..=tries {
        let answer = until_cancelled(progress, async {
            let resp = client.get(url.clone()).send().await?;
            let status = resp.status();
            let body = if status.is_success() {
                Some(resp.bytes().await?)
            } else {
                None
            };
            Ok::<_, reqwest::Error>((status, body))
        })
        .await?;
        match answer {
            Ok((_, Some(body))) => return Ok((body.to_vec(), attempt as usize - 1)),
            Ok((status, None))
                if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                last = messages::kolada_server_error(status.as_u16());
            }
            Ok((status, None)) => {
                return Err(fail(messages::kolada_refused(
                    url.as_str(),
                    status.as_u16(),
                )))
            }
            Err(e) if e.is_timeout() => {
                last = messages::kolada_timed_out(options.timeout.as_secs().max(1))
            }
            Err(e) => last = messages::kolada_connection(&error_chain(&e)),
        }
        tracing::warn!(url = %url, attempt, problem = %last, "Kolada: försöker igen");
        if attempt < tries {
            until_cancelled(progress, tokio::time::sleep(delay)).await?;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
    Err(fail(messages::kolada_unreachable(
        url.as_str(),
        tries,
        &last,
    )))
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
    fn base_urls_must_be_http() {
        assert_eq!(
            base_url("https://api.kolada.se/v3/").unwrap(),
            "https://api.kolada.se/v3"
        );
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("kolada").is_err());
    }
}
