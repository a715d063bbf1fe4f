//! A request rate limit per client address (a token bucket each), in bounded memory.
//!
//! Each address (IPv6: its /64, which one host usually has whole) gets a bucket of
//! `burst` tokens that refills evenly over `window`; a request takes one token. At most
//! `max_clients` addresses are remembered: a new one beyond that evicts the one seen
//! longest ago (a forgotten address starts again with a full bucket, so eviction can
//! only be generous to a client that has been quiet the longest, never stricter).
//!
//! [`RateLimiter::check`] answers with the wait until the next token, which callers send
//! as `Retry-After`. Used by the public API and the open-data downloads
//! ([`limit_public`]); it is reusable for any route group (one limiter per group).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uppsikt_domain::messages;

use crate::auth::login::ClientIp;
use crate::AppState;

/// How many requests an address may make in a window (a burst of that size, then evenly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

impl Default for RateLimit {
    /// 60 requests per 10 seconds.
    fn default() -> Self {
        RateLimit {
            requests: 60,
            window: Duration::from_secs(10),
        }
    }
}

/// The most addresses remembered at once.
pub const MAX_CLIENTS: usize = 10_000;

struct Bucket {
    tokens: f64,
    refilled: Instant,
    /// Its key in `Inner::by_use` (when it was last used, made unique by a counter).
    used: u64,
}

struct Inner {
    buckets: HashMap<IpAddr, Bucket>,
    /// Addresses by last use, oldest first (the eviction order).
    by_use: BTreeMap<u64, IpAddr>,
    next_use: u64,
}

pub struct RateLimiter {
    limit: RateLimit,
    max_clients: usize,
    inner: Mutex<Inner>,
}

/// The key an address is counted under: IPv4 as it is, IPv6 by its /64 prefix.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    }
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter::with_capacity(limit, MAX_CLIENTS)
    }

    pub fn with_capacity(limit: RateLimit, max_clients: usize) -> RateLimiter {
        RateLimiter {
            limit,
            max_clients: max_clients.max(1),
            inner: Mutex::new(Inner {
                buckets: HashMap::new(),
                by_use: BTreeMap::new(),
                next_use: 0,
            }),
        }
    }

    /// Takes a token for `ip`: `Ok` when the request may go on, else the wait until the
    /// next token.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.limit.requests.max(1));
        let per_second = burst / self.limit.window.as_secs_f64().max(0.001);
        let ip = key(ip);
        let Ok(mut inner) = self.inner.lock() else {
            return Err(Duration::from_secs(1));
        };
        let inner = &mut *inner;
        let used = inner.next_use;
        inner.next_use += 1;
        if !inner.buckets.contains_key(&ip) && inner.buckets.len() >= self.max_clients {
            if let Some((_, oldest)) = inner.by_use.pop_first() {
                inner.buckets.remove(&oldest);
            }
        }
        let bucket = inner.buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            refilled: now,
            used,
        });
        inner.by_use.remove(&bucket.used);
        bucket.used = used;
        inner.by_use.insert(used, ip);
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }

    /// How many addresses are remembered (for tests).
    pub fn clients(&self) -> usize {
        self.inner.lock().map(|i| i.buckets.len()).unwrap_or(0)
    }
}

/// The refusal for a client over its limit: 429, `Retry-After` in whole seconds (at least
/// one), and a Swedish message as JSON (the API's and the downloads' clients are programs).
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({ "error": messages::too_many_requests(seconds) })),
    )
        .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).unwrap_or(HeaderValue::from_static("1")),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Middleware: the public API's and the open data's limit per client address (the
/// address as the sign-in limit finds it, honouring `--trusted-proxy`).
pub async fn limit_public(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match state.public_limiter.check(ip) {
        Ok(()) => next.run(req).await,
        Err(wait) => too_many(wait),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_is_allowed_then_refused_until_a_token_comes_back() {
        let l = RateLimiter::new(RateLimit {
            requests: 3,
            window: Duration::from_secs(3),
        });
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(ip("192.0.2.1"), t).is_ok());
        }
        let wait = l.check_at(ip("192.0.2.1"), t).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        // Another address has its own bucket.
        assert!(l.check_at(ip("192.0.2.2"), t).is_ok());
        // One second later one token is back, and only one.
        let later = t + Duration::from_secs(1);
        assert!(l.check_at(ip("192.0.2.1"), later).is_ok());
        assert!(l.check_at(ip("192.0.2.1"), later).is_err());
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64_prefix() {
        let l = RateLimiter::new(RateLimit {
            requests: 1,
            window: Duration::from_secs(60),
        });
        let t = Instant::now();
        assert!(l.check_at(ip("2001:db8::1"), t).is_ok());
        assert!(l.check_at(ip("2001:db8::ffff:2"), t).is_err());
        assert!(l.check_at(ip("2001:db8:0:1::1"), t).is_ok());
    }

    #[test]
    fn memory_is_bounded_and_the_longest_unused_address_is_forgotten() {
        let l = RateLimiter::with_capacity(
            RateLimit {
                requests: 1,
                window: Duration::from_secs(60),
            },
            100,
        );
        let t = Instant::now();
        for i in 0..1000u32 {
            let _ = l.check_at(IpAddr::V4(i.into()), t);
            assert!(l.clients() <= 100);
        }
        assert_eq!(l.clients(), 100);
        // The most recent address is still remembered (and refused); the first is not.
        assert!(l.check_at(IpAddr::V4(999u32.into()), t).is_err());
        assert!(l.check_at(IpAddr::V4(0u32.into()), t).is_ok());
    }
}
