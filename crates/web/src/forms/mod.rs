//! Forms: every form is a list of [`Field`]s rendered by one template. A POST either
//! saves and redirects (303) to the object's page, or re-displays the form with status 422,
//! the user's input untouched and a Swedish message at each field in error.

pub mod analysis;
pub mod assessment;
pub mod audits;
pub mod commitment;
pub mod current_period;
pub mod deviation;
pub mod deviation_board;
pub mod economy;
pub mod goal;
pub mod grid;
pub mod indicator;
pub mod internal_control;
pub mod lock;
pub mod milestone;
pub mod outcome;
pub mod review;
pub mod safety;

#[cfg(test)]
mod properties;
pub mod refs;

use std::borrow::Cow;
use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::text::{self, Lines};
use uppsikt_report::html::escape;

use uppsikt_domain::deviation::LifecycleError;
use uppsikt_store::{StoreError, Writer};

use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// The submitted form, by field name.
pub type Input = HashMap<String, String>;

/// A submitted form (`application/x-www-form-urlencoded`), decoded strictly: a field whose
/// bytes are not UTF-8 once percent-decoded refuses the whole form with a Swedish message
/// (axum's `Form` would replace them with U+FFFD and store that). Every form uses it.
pub struct Form<T = Input>(pub T);

impl<S: Send + Sync> FromRequest<S> for Form<Input> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> std::result::Result<Self, Response> {
        let path = req.uri().path().to_string();
        let refuse = |status, message: &str| crate::error::refusal(&path, status, message);
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                messages::FORM_NOT_A_FORM,
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| refuse(r.status(), messages::FORM_NOT_A_FORM))?;
        parse_form(&bytes).map(Form).map_err(|field| {
            refuse(
                StatusCode::BAD_REQUEST,
                &messages::form_not_utf8(&text::shown(&field, 40)),
            )
        })
    }
}

/// Decodes a form body; the error is the name of the first field that is not UTF-8.
/// A name given twice keeps its last value; `+` is a space; a `%` not followed by two hex
/// digits stays as it is (as browsers and the WHATWG URL standard do).
pub fn parse_form(body: &[u8]) -> std::result::Result<Input, String> {
    Ok(parse_form_pairs(body)?.into_iter().collect())
}

/// [`parse_form`]'s fields in the order they were sent (a name given twice is there twice).
pub fn parse_form_pairs(body: &[u8]) -> std::result::Result<Vec<(String, String)>, String> {
    let mut input = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = String::from_utf8(percent_decode(name))
            .map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())?;
        let value = String::from_utf8(percent_decode(value)).map_err(|_| name.clone())?;
        input.push((name, value));
    }
    Ok(input)
}

pub(crate) fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                raw.get(i + 1).copied().and_then(hex),
                raw.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

pub enum FieldKind {
    Text,
    Decimal,
    Integer,
    Date,
    Textarea(u8),
    Select(Vec<(String, String)>),
    /// Several choices (value, label), each a checkbox named `{name}-{value}`; the field's
    /// value is the chosen values joined by commas.
    Checkboxes(Vec<(String, String)>),
    /// One choice (value, label) of a few, as radio buttons named `{name}`; none is
    /// chosen until the user chooses.
    Radios(Vec<(String, String)>),
    /// A user name (sign-in).
    Username,
    /// A password: never re-displayed.
    Password,
}

pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub kind: FieldKind,
    pub required: bool,
}

impl Field {
    pub fn new(name: &'static str, label: &str, kind: FieldKind) -> Field {
        Field {
            name,
            label: label.into(),
            value: String::new(),
            error: None,
            hint: None,
            kind,
            required: false,
        }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: &str) -> Field {
        self.hint = Some(hint.into());
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Field {
        self.value = value.into();
        self
    }

    pub fn is_textarea(&self) -> bool {
        matches!(self.kind, FieldKind::Textarea(_))
    }

    pub fn is_select(&self) -> bool {
        matches!(self.kind, FieldKind::Select(_))
    }

    /// A select's submitted value that is none of its options (an id that no longer
    /// exists, or one typed into the request): shown as an extra option, so that what was
    /// sent is kept and the field's message has something to point at.
    pub fn unlisted_value(&self) -> Option<&str> {
        let listed = self.options().iter().any(|(v, _)| *v == self.value);
        (self.is_select() && !listed && !self.value.is_empty()).then_some(self.value.as_str())
    }

    pub fn rows(&self) -> u8 {
        match self.kind {
            FieldKind::Textarea(rows) => rows,
            _ => 1,
        }
    }

    pub fn options(&self) -> &[(String, String)] {
        match &self.kind {
            FieldKind::Select(options)
            | FieldKind::Checkboxes(options)
            | FieldKind::Radios(options) => options,
            _ => &[],
        }
    }

    pub fn is_checkboxes(&self) -> bool {
        matches!(self.kind, FieldKind::Checkboxes(_))
    }

    pub fn is_radios(&self) -> bool {
        matches!(self.kind, FieldKind::Radios(_))
    }

    /// Whether a checkbox's value is among the field's chosen values.
    pub fn is_checked(&self, value: &str) -> bool {
        self.value.split(',').any(|v| v == value)
    }

    /// The chosen values of a checkbox field in the submitted form, in option order.
    pub fn checked_in(&self, input: &Input) -> Vec<String> {
        self.options()
            .iter()
            .filter(|(v, _)| input.contains_key(&format!("{}-{v}", self.name)))
            .map(|(v, _)| v.clone())
            .collect()
    }

    pub fn inputmode(&self) -> Option<&'static str> {
        match self.kind {
            FieldKind::Decimal => Some("decimal"),
            FieldKind::Integer => Some("numeric"),
            _ => None,
        }
    }

    pub fn autocomplete(&self) -> Option<&'static str> {
        match self.kind {
            FieldKind::Username => Some("username"),
            FieldKind::Password => Some("current-password"),
            _ => (self.name == "author").then_some("name"),
        }
    }

    pub fn input_type(&self) -> &'static str {
        match self.kind {
            FieldKind::Password => "password",
            _ => "text",
        }
    }

    pub fn width(&self) -> &'static str {
        match self.kind {
            FieldKind::Decimal | FieldKind::Integer | FieldKind::Date => "narrow",
            _ => "wide",
        }
    }

    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("f-{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("f-{}-error", self.name));
        }
        ids.join(" ")
    }
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub title: String,
    pub intro: Option<String>,
    pub action: String,
    pub cancel: String,
    pub submit: String,
    pub crumbs: Vec<(String, String)>,
    pub fields: Vec<Field>,
}

impl FormPage {
    /// Where the field with the version of the object the form edits goes (filled by
    /// [`fill_versions`] or [`Post::submit`]); nothing for a form that edits no object.
    pub fn version_marker(&self) -> String {
        edited_object(&self.action)
            .map(|(kind, id)| version_marker(kind, id))
            .unwrap_or_default()
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }

    /// The trail to the form (`crumbs`), then the form itself as the current page.
    pub fn crumbs_html(&self) -> String {
        self.crumbs
            .iter()
            .fold(crate::crumbs::Crumbs::start(), |c, (href, label)| {
                c.then(href.clone(), label.clone())
            })
            .then(self.action.clone(), self.title.clone())
            .html()
    }

    /// Puts values into the fields by name (stored values for an edit form, or defaults).
    /// A name that no field has is a programmer's error: caught by the tests that render
    /// each form (debug builds), ignored in a release build.
    pub fn with_values<V: Into<String>>(
        mut self,
        values: impl IntoIterator<Item = (&'static str, V)>,
    ) -> FormPage {
        for (name, value) in values {
            let field = self.fields.iter_mut().find(|f| f.name == name);
            debug_assert!(field.is_some(), "the form has no field {name:?}");
            if let Some(f) = field {
                f.value = value.into();
            }
        }
        self
    }

    /// Puts the submitted values into the fields (all of them, valid or not).
    pub fn fill(mut self, input: &Input) -> FormPage {
        for f in &mut self.fields {
            if f.is_checkboxes() {
                f.value = f.checked_in(input).join(",");
            } else if let Some(v) = input.get(f.name) {
                f.value = v.clone();
            }
        }
        self
    }

    pub fn render_page(self) -> Result<Response> {
        // A form shown again with what was typed before signing in again (`auth`'s
        // resume): the typed values replace the stored ones.
        let page = match RESUMED.try_with(Input::clone) {
            Ok(typed) => self.fill(&typed),
            Err(_) => self,
        };
        page.render_status()
    }

    fn render_status(self) -> Result<Response> {
        let status = if self.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        let html = self.render()?;
        Ok((status, Html(html)).into_response())
    }
}

/// Collects field errors while parsing a submitted form.
#[derive(Default)]
pub struct Errors(pub HashMap<&'static str, String>);

impl Errors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes the errors onto the form's fields.
    pub fn apply(mut self, mut page: FormPage) -> FormPage {
        for f in &mut page.fields {
            f.error = self.0.remove(f.name);
        }
        // An error for a field the form does not show must still be seen.
        if let Some((_, message)) = self.0.into_iter().next() {
            if let Some(first) = page.fields.first_mut() {
                first.error.get_or_insert(message);
            }
        }
        page
    }

    /// The field's value if it passes the text rule (`domain::text`) and is at most `max`
    /// characters; multi-line values come with `\n` line endings.
    fn checked<'a>(
        &mut self,
        input: &'a Input,
        field: &'static str,
        max: usize,
        lines: Lines,
    ) -> Option<Cow<'a, str>> {
        let value = input.get(field).map(String::as_str).unwrap_or("");
        if value.chars().count() > max {
            self.add(field, messages::too_long(max));
            return None;
        }
        match text::check(value, lines) {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, messages::text_refused(&e));
                None
            }
        }
    }

    /// The value of a typed field (period, number, date, choice, id): one line, at most
    /// [`TYPED_MAX`] characters, trimmed.
    fn typed<'a>(&mut self, input: &'a Input, field: &'static str) -> Option<&'a str> {
        let value = input.get(field).map(String::as_str).unwrap_or("");
        match self.checked(input, field, TYPED_MAX, Lines::One) {
            Some(_) => Some(value.trim()),
            None => None,
        }
    }

    /// Multi-line text as typed (not trimmed; empty allowed; line endings not changed), at
    /// most `max` characters.
    pub fn raw_text<'a>(
        &mut self,
        input: &'a Input,
        field: &'static str,
        max: usize,
    ) -> Option<&'a str> {
        let value = input.get(field).map(String::as_str).unwrap_or("");
        self.checked(input, field, max, Lines::Many).map(|_| value)
    }

    /// A required one-line text (trimmed), at most `max` characters.
    pub fn text(&mut self, input: &Input, field: &'static str, max: usize) -> Option<String> {
        let value = self.checked(input, field, max, Lines::One)?;
        let value = value.trim();
        if value.is_empty() {
            self.add(field, messages::REQUIRED);
            return None;
        }
        Some(value.to_string())
    }

    /// An optional one-line text (trimmed; empty allowed), at most `max` characters.
    pub fn optional_text(&mut self, input: &Input, field: &'static str, max: usize) -> String {
        self.checked(input, field, max, Lines::One)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }

    /// A required multi-line text (trimmed, `\n` line endings), at most `max` characters.
    pub fn paragraphs(&mut self, input: &Input, field: &'static str, max: usize) -> Option<String> {
        let value = self.checked(input, field, max, Lines::Many)?;
        let value = value.trim();
        if value.is_empty() {
            self.add(field, messages::REQUIRED);
            return None;
        }
        Some(value.to_string())
    }

    /// An optional multi-line text (trimmed, `\n` line endings), at most `max` characters.
    pub fn optional_paragraphs(
        &mut self,
        input: &Input,
        field: &'static str,
        max: usize,
    ) -> String {
        self.checked(input, field, max, Lines::Many)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }

    /// The non-empty lines of a text field (trimmed), each an item of a list; more than
    /// `max_items` lines are refused at the field with `too_many`.
    pub fn list(
        &mut self,
        input: &Input,
        field: &'static str,
        max_items: usize,
        too_many: impl FnOnce() -> String,
    ) -> Vec<String> {
        let text = self.optional_paragraphs(input, field, TEXT_MAX);
        let items: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        if items.len() > max_items {
            self.add(field, too_many());
        }
        items
    }

    /// Whether a typed field was left empty (or is missing).
    pub fn is_blank(input: &Input, field: &str) -> bool {
        input.get(field).is_none_or(|v| v.trim().is_empty())
    }

    pub fn period(&mut self, input: &Input, field: &'static str) -> Option<uppsikt_domain::Period> {
        let raw = self.typed(input, field)?;
        uppsikt_domain::Period::parse(raw)
            .map_err(|e| self.add(field, messages::period(&e)))
            .ok()
    }

    pub fn decimal(&mut self, input: &Input, field: &'static str) -> Option<f64> {
        let raw = self.typed(input, field)?;
        uppsikt_domain::parse_decimal(raw)
            .map_err(|e| self.add(field, messages::number(&e)))
            .ok()
    }

    /// An indicator's value (`88,7`, `1 234,5`, and `3 %` where `percent`), read as the
    /// grids and outcome files read it (`domain::number::parse_value`).
    pub fn value(&mut self, input: &Input, field: &'static str, percent: bool) -> Option<f64> {
        let raw = self.typed(input, field)?;
        uppsikt_domain::number::parse_value(raw, percent)
            .map_err(|e| self.add(field, messages::number(&e)))
            .ok()
    }

    /// An optional margin of error (`3`, `±3`, `+/-3`): empty gives `Some(None)`, invalid
    /// or negative gives `None` with the message at the field.
    pub fn margin(
        &mut self,
        input: &Input,
        field: &'static str,
        percent: bool,
    ) -> Option<Option<f64>> {
        let raw = self.typed(input, field)?;
        uppsikt_domain::number::parse_margin(raw, percent)
            .map_err(|e| self.add(field, messages::number(&e)))
            .ok()
    }

    pub fn integer(
        &mut self,
        input: &Input,
        field: &'static str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let raw = self.typed(input, field)?;
        if raw.is_empty() {
            self.add(field, messages::REQUIRED);
            return None;
        }
        match raw.replace([' ', '\u{a0}'], "").parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                self.add(field, messages::integer_range(raw, min, max));
                None
            }
        }
    }

    pub fn optional_integer(
        &mut self,
        input: &Input,
        field: &'static str,
        min: i64,
        max: i64,
    ) -> Option<Option<i64>> {
        if Self::is_blank(input, field) {
            return Some(None);
        }
        self.integer(input, field, min, max).map(Some)
    }

    /// An optional id chosen in a select (empty: none). Whether it names something that
    /// exists and may be chosen is for the caller to check ([`refs`]).
    pub fn optional_id(&mut self, input: &Input, field: &'static str) -> Option<Option<Id>> {
        let raw = self.typed(input, field)?;
        if raw.is_empty() {
            return Some(None);
        }
        match raw.parse::<Id>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                self.add(field, messages::unknown_choice(raw));
                None
            }
        }
    }

    pub fn date(&mut self, input: &Input, field: &'static str) -> Option<String> {
        let raw = self.typed(input, field)?;
        uppsikt_domain::date::parse_iso_date(raw)
            .map_err(|_| self.add(field, messages::not_a_date(raw)))
            .ok()
    }

    pub fn optional_date(&mut self, input: &Input, field: &'static str) -> Option<String> {
        if Self::is_blank(input, field) {
            return Some(String::new());
        }
        self.date(input, field)
    }

    /// One of the allowed option values.
    pub fn choice<T>(
        &mut self,
        input: &Input,
        field: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = self.typed(input, field)?;
        if raw.is_empty() {
            self.add(field, messages::REQUIRED);
            return None;
        }
        parse(raw).or_else(|| {
            self.add(field, messages::unknown_choice(raw));
            None
        })
    }
}

/// Why a form's write did not happen: messages at the form's fields (the form is shown
/// again with everything typed), or a failure that becomes an error page.
pub enum Refusal {
    At(Errors),
    Failed(AppError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Refusal {
        Refusal::Failed(e.into())
    }
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Refusal {
        Refusal::Failed(e)
    }
}

impl Refusal {
    /// One message at one field.
    pub fn at(field: &'static str, message: impl Into<String>) -> Refusal {
        let mut e = Errors::default();
        e.add(field, message);
        Refusal::At(e)
    }
}

/// A write's result, with the refusals that are the user's to mend shown at a field.
pub trait RefusedAt<T> {
    /// A period a decision locked, a step the deviation lifecycle does not allow, or a
    /// change internal control's rules refuse becomes a message at `field`; other errors
    /// fail.
    fn at(self, field: &'static str) -> std::result::Result<T, Refusal>;
}

impl<T> RefusedAt<T> for std::result::Result<T, StoreError> {
    fn at(self, field: &'static str) -> std::result::Result<T, Refusal> {
        self.map_err(|e| match e {
            StoreError::Locked(lock) => Refusal::at(field, messages::period_locked(&lock)),
            StoreError::PlanDecided(plan) => {
                Refusal::at(field, messages::plan::plan_decided(&plan))
            }
            // A missing action is the address's fault, not the form's: it passes on.
            StoreError::Lifecycle(l) if !matches!(l, LifecycleError::NoSuchAction(_)) => {
                Refusal::at(field, messages::deviations::lifecycle(&l))
            }
            StoreError::InternalControl(r) => {
                Refusal::at(field, messages::internal_control::refusal(&r))
            }
            StoreError::Audit(r) => Refusal::at(field, messages::audit::refusal(&r)),
            StoreError::Area(r) => Refusal::at(field, messages::area::refusal(&r)),
            StoreError::Economy(r) => Refusal::at(field, messages::economy::refusal(&r)),
            other => other.into(),
        })
    }
}

/// A form sent to an object's address (`/goals/{id}/edit`, `/org/{id}/lock`, …): the app,
/// who sends it, the id in the address and the submitted fields, read in that order (as
/// the separate extractors were).
pub struct Post {
    pub state: AppState,
    pub viewer: Viewer,
    pub id: Id,
    pub input: Input,
    /// What the page after a save confirms; `None`: [`messages::forms::saved`].
    pub confirmation: Option<String>,
    /// The address the form was sent to: an edit form's object is read from it
    /// ([`edited_object`]) for the lost-update check. `None` (built with [`Post::new`]
    /// without [`Post::at`]): no check.
    path: Option<String>,
}

impl FromRequest<AppState> for Post {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> std::result::Result<Post, Response> {
        let (mut parts, body) = req.into_parts();
        let Ok(viewer) = Viewer::from_request_parts(&mut parts, state).await;
        let Path(id) = Path::<Id>::from_request_parts(&mut parts, state).await?;
        let path = parts.uri.path().to_string();
        let Form(input) =
            Form::<Input>::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Post::new(state, viewer, id, input).at(&path))
    }
}

impl Post {
    /// A form's POST from its parts, for routes whose address holds more than the
    /// object's id (the plan's `/org/{id}/plan/{year}/…`).
    pub fn new(state: &AppState, viewer: Viewer, id: Id, input: Input) -> Post {
        Post {
            state: state.clone(),
            viewer,
            id,
            input,
            confirmation: None,
            path: None,
        }
    }

    /// The address the form was sent to (the request's path), for a POST built with
    /// [`Post::new`]: an edit form's save is then checked against lost updates.
    pub fn at(mut self, path: &str) -> Post {
        self.path = Some(path.to_string());
        self
    }

    /// The version the form showed, if it carries one. A form POST without a `version`
    /// field (a page opened before forms carried it, a script) is saved as before, without
    /// the check; a field that is not a version is refused.
    fn sent_version(&self) -> Result<Option<i64>> {
        match self.input.get(VERSION_FIELD) {
            None => Ok(None),
            Some(v) => parse_version(v)
                .map(Some)
                .ok_or_else(|| AppError::BadRequest(messages::forms::VERSION_INVALID.into())),
        }
    }

    /// The one way a form's POST ends. Input that did not parse (`parsed`'s errors) or a
    /// write refused at a field ([`Refusal::At`]) shows the form again (422) with everything
    /// typed and the messages at their fields; `form` builds it only then. Otherwise `write`
    /// runs on one writer on behalf of the viewer, is committed, and the answer redirects
    /// (303) to the address `write` returns. A refused write is rolled back.
    ///
    /// An edit form (its address names an object, [`edited_object`]) carries the version of
    /// the object it showed. Before `write`, in the writer's transaction, that version is
    /// compared with the object's current one ([`uppsikt_store::Writer::object_version`]);
    /// if someone changed the object since, nothing is written and the form is shown again
    /// (409) with everything typed, their changes above it and the new version in it, so
    /// that saving again is a deliberate overwrite.
    pub async fn submit<T>(
        &self,
        form: impl AsyncFnOnce() -> Result<FormPage>,
        parsed: std::result::Result<T, Errors>,
        write: impl AsyncFnOnce(&mut Writer, T) -> std::result::Result<String, Refusal>,
    ) -> Result<Response> {
        let sent = self.sent_version()?;
        let object = self.path.as_deref().and_then(edited_object);
        let refused = match parsed {
            Err(e) => e,
            Ok(parsed) => {
                let mut w = self
                    .state
                    .store
                    .writer(&self.viewer.actor(), uppsikt_store::ChangeSource::Form)
                    .await?;
                if let (Some((kind, id)), Some(sent)) = (object, sent) {
                    let current = w.object_version(kind, id).await?;
                    if is_stale(sent, current) {
                        w.rollback().await?;
                        let page = form().await?.fill(&self.input);
                        let notice = self.conflict_notice(kind, id, sent).await?;
                        return finish(page, StatusCode::CONFLICT, &notice, Some(current));
                    }
                }
                match write(&mut w, parsed).await {
                    Ok(to) => {
                        let changes = w.changes();
                        w.commit().await?;
                        let message = self
                            .confirmation
                            .clone()
                            .unwrap_or_else(|| messages::forms::saved(changes));
                        return Ok(crate::flash::set(saved(to), &message));
                    }
                    Err(Refusal::At(e)) => e,
                    Err(Refusal::Failed(e)) => return Err(e),
                }
            }
        };
        // Shown again with the version it was sent with: a change made meanwhile is still
        // caught at the next save.
        let page = refused.apply(form().await?.fill(&self.input));
        let status = if page.has_errors() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        finish(page, status, "", sent)
    }

    /// The message above a form whose object someone else changed since version `sent`:
    /// who, when, and each of their changes in words (before → after).
    async fn conflict_notice(&self, kind: ObjectKind, id: Id, sent: i64) -> Result<String> {
        let changes = self
            .state
            .store
            .history_since(kind, id, sent, CONFLICT_ROWS + 1)
            .await?;
        let shown = changes.len().min(CONFLICT_ROWS as usize);
        let (who, when) = changes
            .first()
            .map(|e| {
                (
                    crate::change_text::person(e),
                    uppsikt_domain::date::swedish_time_of(&e.at),
                )
            })
            .unwrap_or_default();
        let rows: String = changes
            .iter()
            .take(shown)
            .map(|e| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&uppsikt_domain::date::swedish_time_of(&e.at)),
                    escape(&crate::change_text::person(e)),
                    escape(&crate::change_text::describe(e)),
                )
            })
            .collect();
        let more = if changes.len() > shown {
            format!("<p>{}</p>", escape(&messages::forms::conflict_more(shown)))
        } else {
            String::new()
        };
        Ok(format!(
            "<div class=\"error-summary conflict\" role=\"alert\" aria-labelledby=\"conflict-h\">\
             <h2 id=\"conflict-h\">{}</h2><p>{}</p>\
             <table class=\"changes\"><caption>Deras ändringar</caption><thead><tr>\
             <th scope=\"col\">När</th><th scope=\"col\">Vem</th><th scope=\"col\">Ändring</th>\
             </tr></thead><tbody>{rows}</tbody></table>{more}</div>",
            escape(messages::forms::CONFLICT_HEADING),
            escape(&messages::forms::conflict_intro(&who, &when)),
        ))
    }
}

/// At most this many of the other person's changes are listed above a refused form.
const CONFLICT_ROWS: i64 = 20;

/// Renders a form shown again: `notice` (HTML) above it, and the version field with
/// `version` (`None`: left for [`fill_versions`], which puts the current one).
fn finish(
    page: FormPage,
    status: StatusCode,
    notice: &str,
    version: Option<i64>,
) -> Result<Response> {
    let object = edited_object(&page.action);
    let mut html = page.render()?.replace(NOTICE_MARKER, notice);
    if let (Some((kind, id)), Some(v)) = (object, version) {
        html = fill_version(&html, kind, id, Some(v));
    }
    Ok((status, Html(html)).into_response())
}

// --- versions of edited objects -------------------------------------------------------------

/// The name of an edit form's version field.
pub const VERSION_FIELD: &str = "version";
/// Where a form page shows a message above the form (a conflict, a resumed form).
pub const NOTICE_MARKER: &str = "<!--uppsikt:form-notice-->";
/// Where a form carries hidden fields of its own (the sign-in page's typed fields).
pub const HIDDEN_MARKER: &str = "<!--uppsikt:form-hidden-->";
/// The start of a version marker: `<!--uppsikt:version goals 12-->`.
const VERSION_MARKER: &str = "<!--uppsikt:version ";

/// The object an edit form at `action` changes: the kind its first segment names and the
/// id in its second, for an address with more after them (`/goals/12/edit`,
/// `/indicators/7/milestones`, `/audits/3/questions/9/edit`). A form that makes something
/// new (`…/new`) edits no existing object, nor does one whose address names no kind
/// (`/economy/…`, `/kolada/…`, `/login`).
pub fn edited_object(action: &str) -> Option<(ObjectKind, Id)> {
    let path = action.split(['?', '#']).next()?;
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    if segments.len() < 3 || segments.last() == Some(&"new") {
        return None;
    }
    let kind = ObjectKind::from_path_segment(segments[0])?;
    let id = segments[1];
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, id.parse().ok()?))
}

/// A version as a form sends it: digits, at most 18.
pub fn parse_version(v: &str) -> Option<i64> {
    let v = v.trim();
    (!v.is_empty() && v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v.parse().ok())
        .flatten()
}

/// Whether a save that showed version `sent` must be refused because the object is now at
/// `current`: any other version than the one shown means someone else has changed it (or,
/// after a restore, that the page is older than the data).
pub fn is_stale(sent: i64, current: i64) -> bool {
    sent != current
}

fn version_marker(kind: ObjectKind, id: Id) -> String {
    format!("{VERSION_MARKER}{} {id}-->", kind.path_segment())
}

/// The objects whose version fields a page asks for (its version markers).
pub fn version_markers(html: &str) -> Vec<(ObjectKind, Id)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(VERSION_MARKER) {
        rest = &rest[start + VERSION_MARKER.len()..];
        let Some(end) = rest.find("-->") else { break };
        let object = rest[..end].split_once(' ').and_then(|(segment, id)| {
            Some((ObjectKind::from_path_segment(segment)?, id.parse().ok()?))
        });
        if let Some(o) = object.filter(|o| !found.contains(o)) {
            found.push(o);
        }
        rest = &rest[end..];
    }
    found
}

/// Puts the version field into the page's forms that edit the object (`None`: no field,
/// the form is saved unchecked).
pub fn fill_version(html: &str, kind: ObjectKind, id: Id, version: Option<i64>) -> String {
    let field = version
        .map(|v| format!("<input type=\"hidden\" name=\"{VERSION_FIELD}\" value=\"{v}\">"))
        .unwrap_or_default();
    html.replace(&version_marker(kind, id), &field)
}

tokio::task_local! {
    /// What was typed into a form before signing in again, while its page is shown again
    /// (`auth`'s resume): [`FormPage::render_page`] fills it into the form.
    static RESUMED: Input;
}

/// Runs `f` (a GET of a form's page) with the form showing `typed` instead of what is
/// stored.
pub async fn with_typed<F: std::future::Future>(typed: Input, f: F) -> F::Output {
    RESUMED.scope(typed, f).await
}

/// Redirect after a successful POST.
pub fn saved(to: String) -> Response {
    Redirect::to(&to).into_response()
}

/// Options for a `<select>` from (value, label) pairs.
pub fn options<I, V, L>(items: I) -> FieldKind
where
    I: IntoIterator<Item = (V, L)>,
    V: ToString,
    L: ToString,
{
    FieldKind::Select(
        items
            .into_iter()
            .map(|(v, l)| (v.to_string(), l.to_string()))
            .collect(),
    )
}

/// Breadcrumbs down to a goal: its unit, then the goal.
pub async fn goal_crumbs(
    state: &crate::AppState,
    goal_id: uppsikt_domain::model::Id,
) -> Result<Vec<(String, String)>> {
    let goal = state.store.goal(goal_id).await?;
    let org = state.store.org_unit(goal.org_id).await?;
    Ok(vec![
        (format!("/org/{}", org.id), org.name),
        (format!("/goals/{}", goal.id), goal.title),
    ])
}

/// Breadcrumbs down to an indicator: unit, goal, indicator.
pub async fn indicator_crumbs(
    state: &crate::AppState,
    record: &uppsikt_domain::model::IndicatorRecord,
) -> Result<Vec<(String, String)>> {
    let mut crumbs = goal_crumbs(state, record.indicator.goal_id).await?;
    crumbs.push((
        format!("/indicators/{}", record.indicator.id),
        record.indicator.name.clone(),
    ));
    Ok(crumbs)
}

/// A field name made at run time for a form with rows or one input per stored object
/// (`class-2`, `level-14`): [`Field`]'s names are `&'static str`, so each distinct name is
/// made once and kept. Only names the server builds from stored ids or bounded row
/// numbers come here, never names taken from a request.
pub fn field_name(prefix: &str, n: impl std::fmt::Display) -> &'static str {
    static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<&'static str>>> =
        std::sync::LazyLock::new(Default::default);
    let name = format!("{prefix}-{n}");
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name.as_str()) {
        return known;
    }
    let made: &'static str = Box::leak(name.into_boxed_str());
    names.insert(made);
    made
}

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;
/// Longest value of a typed field (period, number, date, choice, id).
pub const TYPED_MAX: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    fn two_fields() -> FormPage {
        FormPage {
            title: String::new(),
            intro: None,
            action: String::new(),
            cancel: String::new(),
            submit: String::new(),
            crumbs: Vec::new(),
            fields: vec![
                Field::new("title", "Rubrik", FieldKind::Text),
                Field::new("year", "År", FieldKind::Integer).value("2019"),
            ],
        }
    }

    #[test]
    fn values_go_to_the_fields_they_name_whatever_their_order() {
        let page = two_fields().with_values([("year", "2024"), ("title", "Trygghet")]);
        let values: Vec<(&str, &str)> = page
            .fields
            .iter()
            .map(|f| (f.name, f.value.as_str()))
            .collect();
        assert_eq!(values, [("title", "Trygghet"), ("year", "2024")]);
        let page = two_fields().with_values([("title", "Trygghet")]);
        assert_eq!(
            page.fields[1].value, "2019",
            "a field not named keeps its value"
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "no field \"yaer\"")]
    fn a_name_no_field_has_is_caught() {
        let _ = two_fields().with_values([("yaer", "2024")]);
    }

    #[test]
    fn an_edit_forms_address_names_the_object_it_edits() {
        assert_eq!(
            edited_object("/goals/12/edit"),
            Some((ObjectKind::Goal, 12))
        );
        assert_eq!(
            edited_object("/audits/3/questions/9/edit"),
            Some((ObjectKind::Audit, 3))
        );
        assert_eq!(
            edited_object("/goals/12/assessment?period=2019"),
            Some((ObjectKind::Goal, 12))
        );
        for none in [
            "/goals/12",
            "/org/3/goals/new",
            "/goals/12/indicators/new",
            "/economy/3/2024/lines",
            "/kolada/groups/2/edit",
            "/login",
            "/goals/x/edit",
            "/goals/+1/edit",
            "/goals/-1/edit",
            "/goals//edit",
            "/goals/1234567890123456789/edit",
            "goals/1/edit",
            "",
        ] {
            assert_eq!(edited_object(none), None, "{none:?}");
        }
    }

    #[test]
    fn a_version_is_stale_when_it_is_not_the_current_one() {
        assert!(!is_stale(7, 7));
        assert!(is_stale(6, 7), "someone saved since");
        assert!(is_stale(8, 7), "a page newer than the data (a restore)");
        assert!(is_stale(0, 1), "the object's first change");
        for bad in ["", " ", "1.5", "-1", "+1", "12a", "1234567890123456789"] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Every kind's edit form carries a marker for its object, which takes the version
        /// field that the form sends back as the same version.
        #[test]
        fn a_forms_version_goes_out_and_comes_back(
            k in 0..ObjectKind::ALL.len(),
            id in 1i64..1_000_000_000_000,
            version in 0i64..999_999_999_999_999_999,
        ) {
            let kind = ObjectKind::ALL[k];
            let mut page = two_fields();
            page.action = format!("/{}/{id}/edit", kind.path_segment());
            let marker = page.version_marker();
            proptest::prop_assert_eq!(version_markers(&marker), vec![(kind, id)]);
            let html = fill_version(&format!("<form>{marker}</form>"), kind, id, Some(version));
            let value = html
                .split("name=\"version\" value=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap();
            proptest::prop_assert_eq!(parse_version(value), Some(version));
            proptest::prop_assert!(!is_stale(parse_version(value).unwrap(), version));
            // Another object's version does not fill it.
            let other = fill_version(&marker, kind, id + 1, Some(version));
            proptest::prop_assert_eq!(other, marker);
        }
    }
}
