//! Rendered pages, cached by the versions of what they show ([`uppsikt_store::Stamp`]):
//! a page is served from the cache only while the data it was built from is unchanged, also
//! when several servers share one PostgreSQL database. Which write changes which page is
//! decided in one place, the store's `scope.rs`; pages say what they show with a
//! [`uppsikt_store::PageScope`].
//!
//! Concurrent misses for the same page are built once (single flight): the first request
//! builds it, the others wait for it and are served what it built.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use uppsikt_store::Stamp;

/// At most this many pages are kept; beyond it the cache is cleared (pages are cheap to
/// rebuild, and a bounded cache cannot exhaust memory).
const MAX_ENTRIES: usize = 2_000;

/// At most this many bytes of pages are kept; beyond it the cache is cleared.
const MAX_BYTES: usize = 256 * 1024 * 1024;

#[derive(Default)]
struct Pages {
    map: HashMap<String, (Stamp, Bytes)>,
    bytes: usize,
}

#[derive(Default)]
pub struct PageCache {
    enabled: bool,
    pages: RwLock<Pages>,
    /// The pages being built now, one lock per key (removed when its last waiter is done).
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl PageCache {
    pub fn new(enabled: bool) -> PageCache {
        PageCache {
            enabled,
            ..PageCache::default()
        }
    }

    pub fn get(&self, key: &str, stamp: Stamp) -> Option<Bytes> {
        if !self.enabled {
            return None;
        }
        let pages = self.pages.read().ok()?;
        pages
            .map
            .get(key)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, html)| html.clone())
    }

    pub fn put(&self, key: String, stamp: Stamp, html: Bytes) {
        if !self.enabled {
            return;
        }
        if let Ok(mut pages) = self.pages.write() {
            if pages.map.len() >= MAX_ENTRIES || pages.bytes + html.len() > MAX_BYTES {
                pages.map.clear();
                pages.bytes = 0;
            }
            pages.bytes += html.len() + key.len();
            if let Some((_, old)) = pages.map.insert(key.clone(), (stamp, html)) {
                pages.bytes = pages.bytes.saturating_sub(old.len() + key.len());
            }
        }
    }

    /// The page at `key` for `stamp`: from the cache, or built by `render` (once, however
    /// many ask for it at the same time; a failed build is not kept, and each waiter then
    /// tries itself).
    pub async fn get_or_build<F, Fut, E>(
        &self,
        key: &str,
        stamp: Stamp,
        render: F,
    ) -> Result<Bytes, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        if !self.enabled {
            return render().await.map(Bytes::from);
        }
        if let Some(html) = self.get(key, stamp) {
            return Ok(html);
        }
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
            flights.entry(key.to_string()).or_default().clone()
        };
        let built = {
            let _turn = flight.lock().await;
            match self.get(key, stamp) {
                Some(html) => Ok(html),
                None => match render().await {
                    Ok(html) => {
                        let html = Bytes::from(html);
                        self.put(key.to_string(), stamp, html.clone());
                        Ok(html)
                    }
                    Err(e) => Err(e),
                },
            }
        };
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        // The map's reference and ours: no one else waits for this key.
        if Arc::strong_count(&flight) <= 2 {
            flights.remove(key);
        }
        built
    }

    /// Keys being built now (for tests: the map does not grow).
    #[cfg(test)]
    fn flights(&self) -> usize {
        self.flights.lock().map(|f| f.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_page_is_served_only_for_its_stamp() {
        let cache = PageCache::new(true);
        cache.put(
            "/org/1".into(),
            Stamp(7, 2),
            Bytes::from_static(b"<p>v7</p>"),
        );
        assert_eq!(
            cache.get("/org/1", Stamp(7, 2)).as_deref(),
            Some(&b"<p>v7</p>"[..])
        );
        assert_eq!(cache.get("/org/1", Stamp(8, 2)), None);
        assert_eq!(cache.get("/org/1", Stamp(7, 3)), None);
        assert_eq!(cache.get("/org/2", Stamp(7, 2)), None);
        let off = PageCache::new(false);
        off.put("/org/1".into(), Stamp(7, 0), Bytes::from_static(b"x"));
        assert_eq!(off.get("/org/1", Stamp(7, 0)), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_build_the_page_once() {
        let cache = Arc::new(PageCache::new(true));
        let builds = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, builds) = (cache.clone(), builds.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_build("/org/1", Stamp(1, 1), || async {
                        builds.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, ()>("<p>built</p>".to_string())
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().as_ref(), b"<p>built</p>");
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(cache.flights(), 0);
        // A newer stamp builds again.
        let again = cache
            .get_or_build("/org/1", Stamp(1, 2), || async {
                builds.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>("<p>v2</p>".to_string())
            })
            .await;
        assert_eq!(again.unwrap().as_ref(), b"<p>v2</p>");
        assert_eq!(builds.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_build_is_not_kept() {
        let cache = PageCache::new(true);
        let failed = cache
            .get_or_build("/x", Stamp(1, 0), || async { Err::<String, _>("boom") })
            .await;
        assert_eq!(failed, Err("boom"));
        assert_eq!(cache.get("/x", Stamp(1, 0)), None);
        assert_eq!(cache.flights(), 0);
    }
}
