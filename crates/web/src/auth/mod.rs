//! Who is asking, and may they: sessions, CSRF, and the guards every route sits behind.
//!
//! - [`authenticate`] runs first on every request: it finds the session from its cookie
//!   (only the token's hash is stored), checks the CSRF token and origin of every POST,
//!   and puts a [`Viewer`] in the request. On the way out it fills the user bar and the
//!   forms' CSRF field into HTML, so that cached pages stay shared between users.
//! - A request with `Authorization: Bearer …` is a personal API token's instead
//!   ([`bearer`]): no cookie, no CSRF, the token's scope limiting its owner's role.
//! - [`guard`] layers a route group with the [`Action`] it needs; for edits and locks it
//!   resolves the organisation unit the path concerns and asks the domain's one access
//!   function. A refusal changes nothing.

pub mod bearer;
pub mod login;
pub mod oidc;
pub mod password;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{header, request::Parts, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use uppsikt_domain::access::{Action, Principal, Role};
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_store::User;

use crate::error::AppError;
use crate::AppState;
use uppsikt_report::html::escape;

/// The session cookie. The `__Host-` prefix makes browsers accept it only with `Secure`,
/// `Path=/` and no `Domain`, so no other host (a sibling subdomain) can set or shadow it.
pub const SESSION_COOKIE: &str = "__Host-uppsikt_session";
/// A browser in which an account has signed in before (see `login`'s back-off).
pub const DEVICE_COOKIE: &str = "__Host-uppsikt_device";
/// A single sign-on begun in this browser (see `oidc`).
pub const OIDC_COOKIE: &str = "__Host-uppsikt_oidc";
/// A session lasts a working day.
pub const SESSION_SECONDS: i64 = 8 * 60 * 60;
/// The largest form body accepted (the same limit as every other request body).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where in a page the user bar goes (filled per request, after the page cache).
pub const USER_MARKER: &str = "<!--uppsikt:user-->";
/// Where the menu items that depend on the viewer's rights go (a visitor is offered
/// nothing that needs signing in).
pub const NAV_MARKER: &str = "<!--uppsikt:nav-->";
/// Where the footer's links that depend on the viewer's rights go (the API needs
/// signing in, so a visitor is not offered it).
pub const FOOTER_MARKER: &str = "<!--uppsikt:footer-->";
/// Where in a page's head its share metadata goes (Open Graph, canonical link; filled by
/// `public_site::share_tags` after the cache, since the canonical address is the request's).
pub const SHARE_MARKER: &str = "<!--uppsikt:share-->";
/// Where in a form its CSRF field goes.
pub const CSRF_MARKER: &str = "<!--uppsikt:csrf-->";

/// The person behind a request, or the public.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    pub user: Option<User>,
    pub csrf: Option<String>,
    pub token_hash: Option<String>,
}

impl Viewer {
    pub fn public() -> Viewer {
        Viewer {
            principal: Principal::public(),
            user: None,
            csrf: None,
            token_hash: None,
        }
    }

    /// The name the change log records.
    pub fn actor(&self) -> String {
        self.user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_else(|| "allmänheten".into())
    }

    pub fn is_public(&self) -> bool {
        self.principal.role == Role::Public
    }

    pub fn allows(&self, action: Action, chain: &[Id]) -> bool {
        self.principal.allows(action, chain)
    }

    fn user_bar(&self) -> String {
        match (&self.user, &self.csrf) {
            (Some(u), Some(csrf)) => format!(
                "<form class=\"user\" method=\"post\" action=\"/logout\"><span>Inloggad som <a href=\"/konto\">{}</a> ({})</span> \
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" class=\"link\">Logga ut</button></form>",
                escape(&u.display_name),
                u.role.label_sv(),
                escape(csrf)
            ),
            _ => "<a class=\"user\" href=\"/login\">Logga in</a>".into(),
        }
    }

    /// The menu items this viewer may use, after the start page.
    fn nav(&self) -> String {
        // Att göra: for whoever may edit some unit (controllers everywhere, editors
        // their own units).
        let todo =
            self.allows(Action::Edit, &[]) || self.allows(Action::Edit, &self.principal.units);
        let items = [
            (todo, "/att-gora", "Att göra"),
            (
                self.allows(Action::ReadAll, &[]),
                "/uppsikt",
                crate::crumbs::OVERSIGHT_LABEL,
            ),
            (
                self.allows(Action::ReadAll, &[]),
                "/internal-control",
                crate::internal_control::LABEL,
            ),
            (
                self.allows(Action::ReadAll, &[]),
                "/audits",
                crate::audits::MENU_LABEL,
            ),
            (true, "/areas", crate::areas::LABEL),
            (true, "/economy", crate::economy::LABEL),
            (
                self.allows(Action::ReadAll, &[]),
                "/crime-prevention",
                crate::safety::MENU_LABEL,
            ),
            (self.allows(Action::ImportData, &[]), "/import", "Data in"),
            (self.allows(Action::ManageSources, &[]), "/kolada", "Kolada"),
            (
                self.allows(Action::ManageRules, &[]),
                "/regler",
                "Bedömningsregler",
            ),
        ];
        items
            .iter()
            .filter(|(allowed, _, _)| *allowed)
            .map(|(_, href, label)| format!("<li><a href=\"{href}\">{label}</a></li>"))
            .collect()
    }

    /// The footer's links this viewer may use: the API's description for readers.
    fn footer(&self) -> String {
        let open_data = "<p><a href=\"/oppna-data\">Öppna data och öppet API</a></p>";
        if self.allows(Action::ReadAll, &[]) {
            format!("{open_data}<p><a href=\"/api/v1/openapi.json\">Öppet API (JSON)</a></p>")
        } else {
            open_data.into()
        }
    }

    fn csrf_field(&self) -> String {
        self.csrf
            .as_deref()
            .map(|c| {
                format!(
                    "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
                    escape(c)
                )
            })
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Viewer, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .unwrap_or_else(Viewer::public))
    }
}

/// The value of the cookie `name` among the request's cookies (at most 4 KB).
pub(crate) fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 4096)
}

/// The session token from the request's cookies.
fn session_token(parts: &Parts) -> Option<String> {
    cookie_value(&parts.headers, SESSION_COOKIE).filter(|v| v.len() <= 128)
}

async fn viewer_of(state: &AppState, parts: &Parts) -> Result<Viewer, AppError> {
    let Some(token) = session_token(parts) else {
        return Ok(Viewer::public());
    };
    let hash = password::token_hash(&token);
    Ok(match state.store.session(&hash).await? {
        Some(s) => Viewer {
            principal: s.user.principal(),
            user: Some(s.user),
            csrf: Some(s.csrf_token),
            token_hash: Some(hash),
        },
        None => Viewer::public(),
    })
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The origins this service is reached at (`--public-origin`, or for a local run the
/// listening address), put into every request by the router.
#[derive(Debug, Clone, Default)]
pub struct PublicOrigins(pub Vec<String>);

impl PublicOrigins {
    /// `scheme://host[:port]` of a URL as browsers serialise an origin (lower case, no
    /// default port), or `None` when it has no such origin.
    pub fn origin_of(url: &str) -> Option<String> {
        let url = reqwest::Url::parse(url).ok()?;
        matches!(url.scheme(), "http" | "https")
            .then(|| url.origin().ascii_serialization())
            .filter(|o| o != "null")
    }

    fn admits(&self, url: &str) -> bool {
        Self::origin_of(url).is_some_and(|o| self.0.contains(&o))
    }
}

/// A POST is ours only when its `Origin` is one of the configured public origins (not
/// merely the request's own `Host`, which the client chooses); without `Origin`, the
/// `Referer`'s origin must be; with neither, or with `Origin: null`, it is refused
/// (browsers send `Origin` on every POST).
fn foreign_origin(parts: &Parts) -> bool {
    let Some(ours) = parts.extensions.get::<PublicOrigins>() else {
        return true;
    };
    let one = |name: header::HeaderName| {
        let mut values = parts.headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (Some(v), None) => Some(v.to_str().ok()),
            (None, _) => None,
            // Two values: nothing to trust.
            (Some(_), Some(_)) => Some(None),
        }
    };
    match one(header::ORIGIN) {
        Some(origin) => !origin.is_some_and(|o| ours.admits(o)),
        None => match one(header::REFERER) {
            Some(referer) => !referer.is_some_and(|r| ours.admits(r)),
            None => true,
        },
    }
}

/// Finds the viewer, checks CSRF on unsafe methods, and fills per-user parts of HTML.
///
/// A form sent again after signing in with `resume=1` ([`login`]'s "show the form with
/// what I typed") is answered as a GET of its address, with the typed values in the form
/// ([`crate::forms::with_typed`]): a GET writes nothing, whatever the route.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return bearer::authenticate(state, req, next).await;
    }
    let (mut parts, body) = req.into_parts();
    let viewer = match viewer_of(&state, &parts).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut typed = None;
    let body = if is_safe(&parts.method) {
        body
    } else {
        match check_post(&mut parts, &viewer, body).await {
            Ok(Checked::Body(body)) => body,
            Ok(Checked::Resume(input)) => {
                parts.method = Method::GET;
                typed = Some(input);
                Body::empty()
            }
            // The sign-in page that carries what was typed has the site's header.
            Err(refusal) if refusal.status() == StatusCode::UNAUTHORIZED => {
                return personalise(&state, refusal, &viewer, None, Versions::Current, None).await
            }
            Err(refusal) => return refusal,
        }
    };
    // An edit form's version is read before its page reads the object: a change in
    // between makes the next save a (needless) conflict, never a lost update.
    let versions = match &typed {
        Some(input) => Versions::Typed(
            input
                .get(crate::forms::VERSION_FIELD)
                .and_then(|v| crate::forms::parse_version(v)),
        ),
        None if parts.method == Method::GET => {
            match crate::forms::edited_object(parts.uri.path()) {
                Some((kind, id)) => match state.store.object_version(kind, id).await {
                    Ok(v) => Versions::ReadBefore(kind, id, v),
                    Err(e) => return AppError::from(e).into_response(),
                },
                None => Versions::Current,
            }
        }
        None => Versions::Current,
    };
    parts.extensions.insert(viewer.clone());
    let flash = crate::flash::pending(&parts.headers);
    // The page's canonical address, when the site's public origin is configured.
    let canonical = match (&state.canonical_origin, parts.method == Method::GET) {
        (Some(origin), true) => Some(crate::public_site::canonical_url(
            origin,
            parts.uri.path(),
            parts.uri.query(),
        )),
        _ => None,
    };
    let request = Request::from_parts(parts, body);
    let response = match typed {
        Some(input) => crate::forms::with_typed(input, next.run(request)).await,
        None => next.run(request).await,
    };
    personalise(
        &state,
        response,
        &viewer,
        flash.as_deref(),
        versions,
        canonical.as_deref(),
    )
    .await
}

/// The version each edit form on a page gets.
enum Versions {
    /// The object's version now.
    Current,
    /// Read before the page was made (a GET of the object's form).
    ReadBefore(ObjectKind, Id, i64),
    /// The version the form had when it was typed into (`None`: it had none, and stays
    /// without).
    Typed(Option<i64>),
}

/// A POST that may go on: its body, or a form to be shown again with what was typed.
enum Checked {
    Body(Body),
    Resume(crate::forms::Input),
}

/// Decides whether a POST can be accepted at all before reading its body, then checks
/// that it carries the session's CSRF token. A POST from another site is answered without
/// reading a byte of its body. Without a session (other than signing in), a form from our
/// own pages (`application/x-www-form-urlencoded`) is read within [`MAX_BODY_BYTES`] and
/// answered with the sign-in page that carries what was typed ([`login::typed_sign_in`]);
/// any other POST without a session without reading its body. A form's body is read
/// (within [`MAX_BODY_BYTES`]) and its token checked here. A file upload's body is not
/// read here: it is set aside for [`CheckedUpload`], the only way to it, which reads the
/// token (the form's first field) before anything else, so that a file is neither buffered
/// twice nor read at all for a request that carries no valid token. File uploads
/// (multipart) are not carried through signing in again.
async fn check_post(parts: &mut Parts, viewer: &Viewer, body: Body) -> Result<Checked, Response> {
    if foreign_origin(parts) {
        return Err(refuse(StatusCode::FORBIDDEN, messages::access::CROSS_SITE));
    }
    // Signing in happens before there is a session; the origin check and SameSite cover it.
    let expected = match viewer.csrf.clone() {
        _ if parts.uri.path() == "/login" => None,
        Some(csrf) => Some(csrf),
        None => return Err(sign_in_again(parts, body).await),
    };
    if let (Some(expected), true) = (&expected, is_upload(parts)) {
        parts
            .extensions
            .insert(PendingUpload::new(body, expected.clone()));
        return Ok(Checked::Body(Body::empty()));
    }
    let bytes = read_form(body).await?;
    let Some(expected) = expected else {
        return Ok(Checked::Body(Body::from(bytes)));
    };
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let sent = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
    match sent {
        Some(sent) if password::constant_time_eq(sent, &expected) => {
            let resume = form.iter().any(|(k, v)| k == login::RESUME && v == "1");
            match resume
                .then(|| crate::forms::parse_form(&bytes).ok())
                .flatten()
            {
                Some(typed) => Ok(Checked::Resume(typed)),
                None => Ok(Checked::Body(Body::from(bytes))),
            }
        }
        _ => Err(csrf_refused()),
    }
}

/// A form's body, within [`MAX_BODY_BYTES`].
async fn read_form(body: Body) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &messages::http::form_too_large(MAX_BODY_BYTES / (1024 * 1024)),
            )
        })
}

/// A POST without a session: a form from one of our pages (the origin was checked) is
/// answered with the sign-in page that carries what was typed, so that nothing typed is
/// lost when a session expired (or was ended in another tab) while the form was open.
/// Nothing is stored: the typed fields travel in the page. Anything else (the API, a
/// file upload, signing out, a body that is not a form or is announced larger than
/// [`MAX_BODY_BYTES`]) is sent to sign in as before, without reading its body.
async fn sign_in_again(parts: &Parts, body: Body) -> Response {
    let form = is_form(parts) && !is_upload(parts);
    let path = parts.uri.path();
    let to = parts
        .uri
        .path_and_query()
        .and_then(|p| login::resume_address(p.as_str()));
    // A body announced larger than a form may be is not waited for.
    let fits = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_none_or(|n| n <= MAX_BODY_BYTES);
    let (true, Some(to)) = (form && fits && !path.starts_with("/api/"), to) else {
        return sign_in_first(parts);
    };
    let bytes = match read_form(body).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal,
    };
    match crate::forms::parse_form_pairs(&bytes) {
        Ok(pairs) => login::typed_sign_in(&to, &login::carried(pairs)),
        Err(_) => sign_in_first(parts),
    }
}

/// Whether the request's body is a form (`application/x-www-form-urlencoded`).
fn is_form(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn csrf_refused() -> Response {
    refuse(StatusCode::FORBIDDEN, messages::access::FORM_UNVERIFIED)
}

/// A file upload: a multipart POST to one of the routes that take files.
fn is_upload(parts: &Parts) -> bool {
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let path = parts.uri.path();
    multipart && (path == "/import/outcomes" || path == "/import/sie" || is_audit_report_path(path))
}

/// `/audits/{id}/report`: where an audit's report PDF is uploaded.
fn is_audit_report_path(path: &str) -> bool {
    path.strip_prefix("/audits/")
        .and_then(|rest| rest.strip_suffix("/report"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The largest upload body: the file ([`crate::upload::UPLOAD_MAX`]) and the form's other
/// fields and multipart headers.
pub const UPLOAD_BODY_MAX: usize = crate::upload::UPLOAD_MAX + 64 * 1024;

/// An upload's body, set aside by [`authenticate`] with the CSRF token it must carry (the
/// request itself goes on with an empty body).
#[derive(Clone)]
struct PendingUpload(std::sync::Arc<(std::sync::Mutex<Option<Body>>, String)>);

impl PendingUpload {
    fn new(body: Body, expected: String) -> PendingUpload {
        PendingUpload(std::sync::Arc::new((
            std::sync::Mutex::new(Some(body)),
            expected,
        )))
    }

    fn take(&self) -> Option<(Body, &str)> {
        let body = self.0 .0.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        Some((body, &self.0 .1))
    }
}

/// A multipart upload whose CSRF token has been checked, positioned after it: the only
/// way a handler gets an upload's body, so that no upload route can forget the check.
/// The token must be the first field (the form puts it before the file) and is compared
/// in constant time; the rest of the body is read as the handler asks for it, within
/// [`UPLOAD_BODY_MAX`] in all. A request `authenticate` did not set aside (no session, no
/// multipart) is refused.
pub struct CheckedUpload(pub multer::Multipart<'static>);

impl<S: Send + Sync> FromRequestParts<S> for CheckedUpload {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<CheckedUpload, Response> {
        let pending = parts
            .extensions
            .remove::<PendingUpload>()
            .ok_or_else(csrf_refused)?;
        let (body, expected) = pending.take().ok_or_else(csrf_refused)?;
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok())
            .ok_or_else(csrf_refused)?;
        let limits = multer::SizeLimit::new()
            .whole_stream(UPLOAD_BODY_MAX as u64)
            .for_field("csrf", 1024);
        let mut form = multer::Multipart::with_constraints(
            body.into_data_stream(),
            boundary,
            multer::Constraints::new().size_limit(limits),
        );
        let sent = match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.ok(),
            _ => None,
        };
        match sent {
            Some(sent) if password::constant_time_eq(&sent, expected) => Ok(CheckedUpload(form)),
            _ => Err(csrf_refused()),
        }
    }
}

/// Fills the user bar, CSRF fields, edit forms' versions and a pending save confirmation
/// (`flash`) into an HTML response; other responses pass as they are.
async fn personalise(
    state: &AppState,
    response: Response,
    viewer: &Viewer,
    flash: Option<&str>,
    versions: Versions,
    canonical: Option<&str>,
) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut html = String::from_utf8_lossy(&bytes)
        .replace(USER_MARKER, &viewer.user_bar())
        .replace(NAV_MARKER, &viewer.nav())
        .replace(FOOTER_MARKER, &viewer.footer())
        .replace(CSRF_MARKER, &viewer.csrf_field());
    let canonical = canonical.filter(|_| parts.status == StatusCode::OK);
    let share = crate::public_site::share_tags(&html, canonical);
    html = html.replacen(SHARE_MARKER, &share, 1);
    for (kind, id) in crate::forms::version_markers(&html) {
        let version = match versions {
            Versions::Typed(v) => v,
            Versions::ReadBefore(k, i, v) if (k, i) == (kind, id) => Some(v),
            _ => match state.store.object_version(kind, id).await {
                Ok(v) => Some(v),
                Err(e) => return AppError::from(e).into_response(),
            },
        };
        html = crate::forms::fill_version(&html, kind, id, version);
    }
    if let Versions::Typed(_) = versions {
        let notice = format!(
            "<div class=\"working\" role=\"status\"><p>{}</p></div>",
            escape(messages::forms::RESUMED_NOTICE)
        );
        html = html.replace(crate::forms::NOTICE_MARKER, &notice);
    }
    // Only a page that was answered (not an error page) shows and uses up the message.
    let flash = flash.filter(|_| parts.status.is_success());
    let (html, shown) = crate::flash::fill(html, flash);
    if shown {
        crate::flash::clear(&mut parts.headers);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    // `Cache-Control: no-store` for signed-in viewers is set for every response, not only
    // HTML, by `crate::private_responses`.
    Response::from_parts(parts, Body::from(html))
}

/// A refusal page (HTML) that says what happened; nothing was changed.
pub fn refuse(status: StatusCode, message: &str) -> Response {
    AppError::Refused(status, message.to_string()).into_response()
}

fn sign_in_first(parts: &Parts) -> Response {
    if parts.uri.path().starts_with("/api/") {
        let refusal = AppError::Refused(
            StatusCode::UNAUTHORIZED,
            messages::access::SIGN_IN_FOR_API.into(),
        );
        return crate::error::ApiError(refusal).into_response();
    }
    let next = if is_safe(&parts.method) {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    } else {
        "/"
    };
    let next: String = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("/login?{next}")).into_response()
}

/// Lets a request through only for a person signed in in a browser (any role): their own
/// account's pages. Without a session it is sent to sign in; with an API token (no session
/// of its own) it is refused, so that a token cannot manage tokens.
pub async fn require_session(viewer: Viewer, req: Request, next: Next) -> Response {
    if viewer.user.is_some() && viewer.csrf.is_some() {
        return next.run(req).await;
    }
    let (parts, _) = req.into_parts();
    if viewer.user.is_some() {
        return refuse(StatusCode::FORBIDDEN, messages::access::SESSION_ONLY);
    }
    sign_in_first(&parts)
}

/// Which organisation unit a path's `{id}` concerns, from the kind of object its first
/// segment names (a path of no kind is not found).
async fn unit_of_path(state: &AppState, matched: &str, id: Id) -> Result<Id, AppError> {
    let kind = ObjectKind::of_path(matched).ok_or(AppError::NotFound)?;
    Ok(state.store.owning_unit(kind, id).await?)
}

/// Lets a request through a route group only if the viewer may do `action` there.
pub async fn guard(
    State((state, action)): State<(AppState, Action)>,
    viewer: Viewer,
    matched: Option<MatchedPath>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    let needs_unit = matches!(
        action,
        Action::Edit | Action::LockPeriod | Action::ReopenPeriod
    );
    let chain = if needs_unit {
        let id = params
            .iter()
            .find(|(k, _)| *k == "id")
            .and_then(|(_, v)| v.parse::<Id>().ok());
        let (Some(id), Some(matched)) = (id, matched) else {
            return AppError::NotFound.into_response();
        };
        let unit = match unit_of_path(&state, matched.as_str(), id).await {
            Ok(unit) => unit,
            Err(e) => return e.into_response(),
        };
        match state.store.org_chain(unit).await {
            Ok(chain) => chain,
            Err(e) => return AppError::from(e).into_response(),
        }
    } else {
        Vec::new()
    };
    if viewer.allows(action, &chain) {
        return next.run(req).await;
    }
    let (parts, _) = req.into_parts();
    if viewer.is_public() {
        return sign_in_first(&parts);
    }
    let refusal = AppError::Refused(
        StatusCode::FORBIDDEN,
        messages::access::refused(action).into(),
    );
    if parts.uri.path().starts_with("/api/") {
        return crate::error::ApiError(refusal).into_response();
    }
    refusal.into_response()
}
