//! "Sparat": the confirmation a save shows on the page it redirects to.
//!
//! Pages are cached per data version and view key (`cache.rs`), never per person, so the
//! confirmation cannot be part of the cached HTML. A save sets a short-lived cookie
//! (HttpOnly, SameSite=Strict, one minute) on its redirect; when the next HTML page is
//! filled for the viewer (`auth::personalise`, like the user bar), the message goes into
//! the page at [`FLASH_MARKER`] as a `role="status"` region and the cookie is cleared.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use uppsikt_report::html::escape;

/// Where in a page the confirmation goes (`base.html`, above the main content).
pub const FLASH_MARKER: &str = "<!--uppsikt:flash-->";
/// The cookie carrying one confirmation to the next page.
pub const FLASH_COOKIE: &str = "__Host-uppsikt_flash";
/// The longest confirmation carried (bytes, as written in the cookie).
const FLASH_MAX: usize = 600;

/// Adds the confirmation `message` to a save's response (its redirect).
pub fn set(mut response: Response, message: &str) -> Response {
    let cookie = format!(
        "{FLASH_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=60",
        encode(message)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The confirmation the request carries, if any.
pub fn pending(headers: &HeaderMap) -> Option<String> {
    let raw = crate::auth::cookie_value(headers, FLASH_COOKIE).filter(|v| v.len() <= FLASH_MAX)?;
    String::from_utf8(crate::forms::percent_decode(raw.as_bytes()))
        .ok()
        .filter(|m| !m.trim().is_empty())
}

/// Fills the page's flash region: the pending message, or nothing. Returns the page and
/// whether the message was shown (then the cookie is to be cleared).
pub fn fill(html: String, message: Option<&str>) -> (String, bool) {
    if !html.contains(FLASH_MARKER) {
        return (html, false);
    }
    match message {
        Some(m) => (
            html.replacen(
                FLASH_MARKER,
                &format!(
                    "<div class=\"flash\" role=\"status\"><p>{}</p></div>",
                    escape(m)
                ),
                1,
            ),
            true,
        ),
        None => (html.replace(FLASH_MARKER, ""), false),
    }
}

/// Clears the cookie once its message has been shown.
pub fn clear(headers: &mut HeaderMap) {
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "__Host-uppsikt_flash=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
}

/// Percent-encodes everything but ASCII letters and digits (cookie values may hold no
/// spaces, commas or semicolons, and no bytes beyond ASCII).
fn encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len() * 3);
    for b in message.bytes().take(FLASH_MAX / 3) {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_survives_the_cookie_and_is_escaped_in_the_page() {
        let message = "Sparat: 3 utfall <för> Män; 1 234,5";
        let cookie = format!("{FLASH_COOKIE}={}", encode(message));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        let got = pending(&headers).unwrap();
        assert_eq!(got, message);
        let (html, shown) = fill(format!("<main>{FLASH_MARKER}</main>"), Some(&got));
        assert!(shown);
        assert_eq!(
            html,
            "<main><div class=\"flash\" role=\"status\"><p>Sparat: 3 utfall &lt;för&gt; Män; 1 234,5</p></div></main>"
        );
        let (html, shown) = fill(format!("<main>{FLASH_MARKER}</main>"), None);
        assert!(!shown);
        assert_eq!(html, "<main></main>");
        let (_, shown) = fill("<main></main>".into(), Some("x"));
        assert!(
            !shown,
            "a page without the region keeps the message for the next"
        );
    }
}
