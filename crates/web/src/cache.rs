//! Rendered pages, cached per data version. Every committed write bumps the version, so a
//! cached page is served only while the data it was built from is unchanged, also when
//! several servers share one PostgreSQL database.

use std::collections::HashMap;
use std::sync::RwLock;

use axum::body::Bytes;

/// At most this many pages are kept; beyond it the cache is cleared (pages are cheap to
/// rebuild, and a bounded cache cannot exhaust memory).
const MAX_ENTRIES: usize = 2_000;

#[derive(Default)]
pub struct PageCache {
    enabled: bool,
    pages: RwLock<HashMap<String, (i64, Bytes)>>,
}

impl PageCache {
    pub fn new(enabled: bool) -> PageCache {
        PageCache {
            enabled,
            pages: RwLock::default(),
        }
    }

    pub fn get(&self, key: &str, version: i64) -> Option<Bytes> {
        if !self.enabled {
            return None;
        }
        let pages = self.pages.read().ok()?;
        pages
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, html)| html.clone())
    }

    pub fn put(&self, key: String, version: i64, html: Bytes) {
        if !self.enabled {
            return;
        }
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() >= MAX_ENTRIES {
                pages.clear();
            }
            pages.insert(key, (version, html));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_served_only_for_its_version() {
        let cache = PageCache::new(true);
        cache.put("/org/1".into(), 7, Bytes::from_static(b"<p>v7</p>"));
        assert_eq!(cache.get("/org/1", 7).as_deref(), Some(&b"<p>v7</p>"[..]));
        assert_eq!(cache.get("/org/1", 8), None);
        assert_eq!(cache.get("/org/2", 7), None);
        let off = PageCache::new(false);
        off.put("/org/1".into(), 7, Bytes::from_static(b"x"));
        assert_eq!(off.get("/org/1", 7), None);
    }
}
