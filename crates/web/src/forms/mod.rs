//! Forms: every form is a list of [`Field`]s rendered by one template. A POST either
//! saves and redirects (303) to the object's page, or re-displays the form with status 422,
//! the user's input untouched and a Swedish message at each field in error.

pub mod assessment;
pub mod commitment;
pub mod deviation;
pub mod goal;
pub mod indicator;
pub mod lock;
pub mod milestone;
pub mod outcome;
pub mod review;

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uppsikt_domain::messages;

use crate::error::Result;

/// The submitted form, by field name.
pub type Input = HashMap<String, String>;

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

    pub fn rows(&self) -> u8 {
        match self.kind {
            FieldKind::Textarea(rows) => rows,
            _ => 1,
        }
    }

    pub fn options(&self) -> &[(String, String)] {
        match &self.kind {
            FieldKind::Select(options) | FieldKind::Checkboxes(options) => options,
            _ => &[],
        }
    }

    pub fn is_checkboxes(&self) -> bool {
        matches!(self.kind, FieldKind::Checkboxes(_))
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
    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }

    /// Puts stored values into the fields, in field order (for an edit form).
    pub fn with_values(mut self, values: impl IntoIterator<Item = String>) -> FormPage {
        for (f, v) in self.fields.iter_mut().zip(values) {
            f.value = v;
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

    fn raw<'a>(&mut self, input: &'a Input, field: &'static str, max: usize) -> Option<&'a str> {
        let value = input.get(field).map(String::as_str).unwrap_or("");
        if value.chars().count() > max {
            self.add(field, messages::too_long(max));
            return None;
        }
        Some(value)
    }

    /// The text as typed (not trimmed; empty allowed), at most `max` characters.
    pub fn raw_text<'a>(
        &mut self,
        input: &'a Input,
        field: &'static str,
        max: usize,
    ) -> Option<&'a str> {
        self.raw(input, field, max)
    }

    /// A required text (trimmed), at most `max` characters.
    pub fn text(&mut self, input: &Input, field: &'static str, max: usize) -> Option<String> {
        let value = self.raw(input, field, max)?.trim();
        if value.is_empty() {
            self.add(field, messages::REQUIRED);
            return None;
        }
        Some(value.to_string())
    }

    /// An optional text (trimmed; empty allowed), at most `max` characters.
    pub fn optional_text(&mut self, input: &Input, field: &'static str, max: usize) -> String {
        self.raw(input, field, max)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }

    pub fn period(&mut self, input: &Input, field: &'static str) -> Option<uppsikt_domain::Period> {
        let raw = input.get(field).map(String::as_str).unwrap_or("");
        uppsikt_domain::Period::parse(raw)
            .map_err(|e| self.add(field, messages::period(&e)))
            .ok()
    }

    pub fn decimal(&mut self, input: &Input, field: &'static str) -> Option<f64> {
        let raw = input.get(field).map(String::as_str).unwrap_or("");
        uppsikt_domain::parse_decimal(raw)
            .map_err(|e| self.add(field, messages::number(&e)))
            .ok()
    }

    /// An optional decimal: empty gives `Some(None)`, invalid gives `None`.
    pub fn optional_decimal(&mut self, input: &Input, field: &'static str) -> Option<Option<f64>> {
        match input.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(_) => self.decimal(input, field).map(Some),
        }
    }

    pub fn integer(
        &mut self,
        input: &Input,
        field: &'static str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let raw = input.get(field).map(|s| s.trim()).unwrap_or("");
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
        match input.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(_) => self.integer(input, field, min, max).map(Some),
        }
    }

    pub fn date(&mut self, input: &Input, field: &'static str) -> Option<String> {
        let raw = input.get(field).map(String::as_str).unwrap_or("");
        uppsikt_domain::date::parse_iso_date(raw)
            .map_err(|_| self.add(field, messages::not_a_date(raw.trim())))
            .ok()
    }

    pub fn optional_date(&mut self, input: &Input, field: &'static str) -> Option<String> {
        match input.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Some(String::new()),
            Some(_) => self.date(input, field),
        }
    }

    /// One of the allowed option values.
    pub fn choice<T>(
        &mut self,
        input: &Input,
        field: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = input.get(field).map(|s| s.trim()).unwrap_or("");
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

/// A write refused because a decision locked its period becomes a message at `field`,
/// so that the form is shown again with everything typed; other errors pass on.
pub fn locked_to_field(
    written: std::result::Result<(), uppsikt_store::StoreError>,
    field: &'static str,
) -> Result<Option<Errors>> {
    match written {
        Ok(()) => Ok(None),
        Err(uppsikt_store::StoreError::Locked(lock)) => {
            let mut e = Errors::default();
            e.add(field, messages::period_locked(&lock));
            Ok(Some(e))
        }
        Err(other) => Err(other.into()),
    }
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

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;
