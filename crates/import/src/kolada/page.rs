//! One page of Kolada's API v3 (a saved file or an HTTP answer) → domain types, with a
//! Swedish error at the JSON path of every wrong field (`values[12].values[1].gender`).
//!
//! Every page is `{"values": [...], "count": N, "next_url": "…" | null}`. What the
//! items are is told by their content: data items have `kpi`, groups `members`, KPIs an
//! id like `N00901`, municipalities a four-digit id. Unknown extra fields are ignored; the
//! fields we use are checked strictly.
//!
//! Data pages are the bulk (10 million values are ~700 MB of JSON), so they are first
//! deserialised straight into borrowed structs; only when that fails is the page parsed
//! again as a `serde_json::Value` and walked, to name every wrong field.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use uppsikt_domain::kolada::{Gender, KoladaKey, KoladaValue, KpiId, MunicipalityId};
use uppsikt_domain::messages::{self, Expected};
use uppsikt_domain::period::{MAX_YEAR, MIN_YEAR};
use uppsikt_store::{KoladaKpi, KoladaMunicipality};

use crate::report::{quoted, Errors, Origin};

/// Longest title or status we keep (refused beyond, never truncated).
const TITLE_MAX: usize = 2_000;
const TEXT_MAX: usize = 100_000;

/// A Kolada municipality group as read from `municipality_groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupData {
    /// `G124125`.
    pub id: String,
    pub title: String,
    pub members: Vec<MunicipalityId>,
}

/// One change to the raw values, in page order.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Write(KoladaValue),
    /// `isdeleted: true`: Kolada withdrew the value.
    Delete(KoladaKey),
}

/// What a data page held.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DataBatch {
    pub ops: Vec<Op>,
    /// Values of municipality groups (`G…` as `municipality`): not stored, we compute
    /// group figures from the members' values.
    pub group_values: u64,
    /// Values outside the plan (other KPIs, municipalities or years).
    pub outside_plan: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// `values: []`: nothing (its kind cannot be told).
    Empty,
    Kpis(Vec<KoladaKpi>),
    Municipalities(Vec<KoladaMunicipality>),
    Groups(Vec<GroupData>),
    Data(DataBatch),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub content: Content,
    pub next_url: Option<String>,
    /// Items in the whole answer (all pages), when given.
    pub count: Option<u64>,
}

/// Which values to keep; an empty set keeps all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kpis: BTreeSet<String>,
    pub municipalities: BTreeSet<String>,
    pub years: Option<(i32, i32)>,
}

impl Filter {
    fn keeps(&self, kpi: &str, municipality: &str, year: i32) -> bool {
        (self.kpis.is_empty() || self.kpis.contains(kpi))
            && (self.municipalities.is_empty() || self.municipalities.contains(municipality))
            && self.years.is_none_or(|(a, b)| (a..=b).contains(&year))
    }
}

/// A Kolada municipality group id: `G` and digits.
pub fn group_id(s: &str) -> Option<&str> {
    let s = s.trim();
    let b = s.as_bytes();
    (b.len() >= 2 && b.len() <= 20 && b[0] == b'G' && b[1..].iter().all(u8::is_ascii_digit))
        .then_some(s)
}

/// Parses one page. Errors are added to `errors` (with `file` as the file); the page
/// returned holds what was valid.
pub fn parse_page(file: &str, bytes: &[u8], filter: &Filter, errors: &mut Errors) -> Page {
    if let Ok(fast) = serde_json::from_slice::<FastPage<'_>>(bytes) {
        let mut batch = DataBatch::default();
        for (i, item) in fast.values.iter().enumerate() {
            convert_item(file, i, item, filter, errors, &mut batch);
        }
        let content = if fast.values.is_empty() {
            Content::Empty
        } else {
            Content::Data(batch)
        };
        let next_url = next_url(file, fast.next_url.as_ref(), errors);
        return Page {
            content,
            next_url,
            count: fast.count.as_ref().and_then(Value::as_u64),
        };
    }
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let at = if e.line() > 0 {
                messages::file_position(e.line(), e.column())
            } else {
                String::new()
            };
            errors.at(
                &Origin::new(file, at),
                messages::json_syntax(&e.to_string()),
            );
            return empty_page();
        }
    };
    let root = Origin::new(file, "");
    let Some(obj) = doc.as_object() else {
        errors.at(&root, messages::kolada_not_a_page());
        return empty_page();
    };
    let next = next_url(file, obj.get("next_url"), errors);
    let count = obj.get("count").and_then(Value::as_u64);
    let items = match obj.get("values") {
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.at(&root.field("values"), messages::wrong_type(Expected::List));
            return empty_page();
        }
        None => {
            errors.at(&root, messages::kolada_not_a_page());
            return empty_page();
        }
    };
    let content = match detect(items) {
        None if items.is_empty() => Content::Empty,
        None => {
            for (i, _) in items.iter().enumerate() {
                errors.at(&item_origin(file, i), messages::kolada_unknown_row());
            }
            Content::Empty
        }
        Some(kind) => walk(file, items, kind, filter, errors),
    };
    Page {
        content,
        next_url: next,
        count,
    }
}

fn empty_page() -> Page {
    Page {
        content: Content::Empty,
        next_url: None,
        count: None,
    }
}

fn item_origin(file: &str, i: usize) -> Origin {
    Origin::new(file, format!("values[{i}]"))
}

fn next_url(file: &str, v: Option<&Value>, errors: &mut Errors) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            errors.at(
                &Origin::new(file, "next_url"),
                messages::wrong_type(Expected::Text),
            );
            None
        }
    }
}

// --- the fast path: a data page deserialised into borrowed structs --------------------

#[derive(Deserialize)]
struct FastPage<'a> {
    #[serde(borrow)]
    values: Vec<FastItem<'a>>,
    #[serde(default)]
    next_url: Option<Value>,
    #[serde(default)]
    count: Option<Value>,
}

#[derive(Deserialize)]
struct FastItem<'a> {
    #[serde(borrow)]
    kpi: Cow<'a, str>,
    #[serde(borrow)]
    municipality: Cow<'a, str>,
    period: Year,
    #[serde(borrow)]
    values: Vec<FastEntry<'a>>,
}

#[derive(Deserialize)]
struct FastEntry<'a> {
    #[serde(borrow)]
    gender: Cow<'a, str>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(default)]
    isdeleted: Option<Flag>,
}

/// A period as Kolada writes it: `2019` or `"2019"`; `Err` keeps what was written.
struct Year(Result<i32, String>);

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Year, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Year;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a year")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Year, E> {
                Ok(year_of_int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Year, E> {
                Ok(i64::try_from(v).map_or(Year(Err(v.to_string())), year_of_int))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Year, E> {
                Ok(year_of_str(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn year_of_int(v: i64) -> Year {
    Year(
        i32::try_from(v)
            .ok()
            .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
            .ok_or_else(|| v.to_string()),
    )
}

fn year_of_str(v: &str) -> Year {
    match v.trim().parse::<i64>() {
        Ok(y) => match year_of_int(y) {
            Year(Ok(y)) => Year(Ok(y)),
            Year(Err(_)) => Year(Err(v.to_string())),
        },
        Err(_) => Year(Err(v.to_string())),
    }
}

/// `true`/`false` or `1`/`0`, as Kolada writes flags.
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flag, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false, 1 or 0")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
                match v {
                    0 | 1 => Ok(Flag(v == 1)),
                    _ => Err(E::custom("not a flag")),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
                match v {
                    0 | 1 => Ok(Flag(v == 1)),
                    _ => Err(E::custom("not a flag")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

fn flag_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// Checks one data item's ids, year and genders and adds its values to `batch`.
fn convert_item(
    file: &str,
    i: usize,
    item: &FastItem<'_>,
    filter: &Filter,
    errors: &mut Errors,
    batch: &mut DataBatch,
) {
    let at = |field: &str| Origin::new(file, format!("values[{i}].{field}"));
    let kpi = KpiId::parse(&item.kpi);
    if kpi.is_none() {
        errors.at(&at("kpi"), messages::invalid_kpi_id(&quoted(&item.kpi)));
    }
    let place = MunicipalityId::parse(&item.municipality);
    let is_group = place.is_none() && group_id(&item.municipality).is_some();
    if place.is_none() && !is_group {
        errors.at(
            &at("municipality"),
            messages::invalid_municipality_id(&quoted(&item.municipality)),
        );
    }
    let year = match &item.period {
        Year(Ok(y)) => Some(*y),
        Year(Err(written)) => {
            errors.at(
                &at("period"),
                messages::integer_range(&quoted(written), i64::from(MIN_YEAR), i64::from(MAX_YEAR)),
            );
            None
        }
    };
    let mut genders = Vec::with_capacity(item.values.len());
    for (j, e) in item.values.iter().enumerate() {
        let g = Gender::parse(&e.gender);
        if g.is_none() {
            errors.at(
                &at(&format!("values[{j}].gender")),
                messages::invalid_gender(&quoted(&e.gender)),
            );
        }
        if let Some(s) = &e.status {
            if s.chars().count() > TITLE_MAX {
                errors.at(
                    &at(&format!("values[{j}].status")),
                    messages::too_long(TITLE_MAX),
                );
            }
        }
        if let Some(g) = g {
            if genders.contains(&g) {
                errors.at(
                    &at(&format!("values[{j}].gender")),
                    messages::duplicate_in_list(g.code()),
                );
            }
            genders.push(g);
        }
    }
    if is_group {
        batch.group_values += item.values.len() as u64;
        return;
    }
    let (Some(kpi), Some(place), Some(year)) = (kpi, place, year) else {
        return;
    };
    if genders.len() != item.values.len() {
        return;
    }
    if !filter.keeps(kpi.as_str(), place.as_str(), year) {
        batch.outside_plan += item.values.len() as u64;
        return;
    }
    for (e, gender) in item.values.iter().zip(genders) {
        let key = KoladaKey {
            kpi: kpi.clone(),
            municipality: place.clone(),
            year,
            gender,
        };
        if e.isdeleted.as_ref().is_some_and(|f| f.0) {
            batch.ops.push(Op::Delete(key));
        } else {
            batch.ops.push(Op::Write(KoladaValue {
                kpi: key.kpi,
                municipality: key.municipality,
                year,
                gender,
                value: e.value.filter(|v| v.is_finite()),
                status: e.status.as_deref().unwrap_or("").to_string(),
            }));
        }
    }
}

// --- the slow path: a `Value` walked field by field ----------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kpi,
    Municipality,
    Group,
    Data,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Kpi => "nyckeltal",
            Kind::Municipality => "kommuner",
            Kind::Group => "kommungrupper",
            Kind::Data => "värden",
        }
    }
}

fn kind_of(item: &Map<String, Value>) -> Option<Kind> {
    if item.contains_key("kpi") && item.contains_key("period") {
        return Some(Kind::Data);
    }
    if item.contains_key("members") {
        return Some(Kind::Group);
    }
    let id = item.get("id").and_then(Value::as_str)?;
    if KpiId::parse(id).is_some()
        || item.contains_key("is_divided_by_gender")
        || item.contains_key("operating_area")
    {
        Some(Kind::Kpi)
    } else if MunicipalityId::parse(id).is_some() || item.contains_key("type") {
        Some(Kind::Municipality)
    } else if group_id(id).is_some() {
        Some(Kind::Group)
    } else {
        None
    }
}

/// The kind of the first item that tells.
fn detect(items: &[Value]) -> Option<Kind> {
    items.iter().filter_map(Value::as_object).find_map(kind_of)
}

fn walk(file: &str, items: &[Value], kind: Kind, filter: &Filter, errors: &mut Errors) -> Content {
    let mut kpis = Vec::new();
    let mut places = Vec::new();
    let mut groups = Vec::new();
    let mut batch = DataBatch::default();
    for (i, item) in items.iter().enumerate() {
        let origin = item_origin(file, i);
        let Some(obj) = item.as_object() else {
            errors.at(&origin, messages::wrong_type(Expected::Table));
            continue;
        };
        if kind_of(obj).is_some_and(|k| k != kind) {
            errors.at(&origin, messages::kolada_row_kind(kind.label()));
            continue;
        }
        let r = Fields {
            obj,
            origin: &origin,
        };
        match kind {
            Kind::Kpi => kpis.extend(kpi_item(&r, errors)),
            Kind::Municipality => places.extend(municipality_item(&r, errors)),
            Kind::Group => groups.extend(group_item(&r, errors)),
            Kind::Data => {
                if let Some(fast) = data_item(&r, errors) {
                    convert_item(file, i, &fast, filter, errors, &mut batch);
                }
            }
        }
    }
    match kind {
        Kind::Kpi => Content::Kpis(kpis),
        Kind::Municipality => Content::Municipalities(places),
        Kind::Group => Content::Groups(groups),
        Kind::Data => Content::Data(batch),
    }
}

/// One JSON object and where it is.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    origin: &'a Origin,
}

impl<'a> Fields<'a> {
    fn at(&self, field: &str) -> Origin {
        self.origin.field(field)
    }

    /// A required text (not blank).
    fn text(&self, errors: &mut Errors, field: &str, max: usize) -> Option<&'a str> {
        match self.obj.get(field) {
            None | Some(Value::Null) => {
                errors.at(&self.at(field), messages::REQUIRED.into());
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                errors.at(&self.at(field), messages::REQUIRED.into());
                None
            }
            Some(v) => self.checked_text(errors, field, v, max),
        }
    }

    /// An optional text (absent or null: empty).
    fn opt_text(&self, errors: &mut Errors, field: &str, max: usize) -> Option<&'a str> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Some(""),
            Some(v) => self.checked_text(errors, field, v, max),
        }
    }

    fn checked_text(
        &self,
        errors: &mut Errors,
        field: &str,
        v: &'a Value,
        max: usize,
    ) -> Option<&'a str> {
        match v {
            Value::String(s) if s.chars().count() > max => {
                errors.at(&self.at(field), messages::too_long(max));
                None
            }
            // The one text rule of every data file: no NUL (PostgreSQL refuses it in
            // text), control, direction-changing or invisible character.
            Value::String(s) => {
                match uppsikt_domain::text::check(s, uppsikt_domain::text::Lines::One) {
                    Ok(_) => Some(s.trim()),
                    Err(e) => {
                        errors.at(&self.at(field), messages::text_refused(&e));
                        None
                    }
                }
            }
            _ => {
                errors.at(&self.at(field), messages::wrong_type(Expected::Text));
                None
            }
        }
    }

    fn list(&self, errors: &mut Errors, field: &str) -> Option<&'a Vec<Value>> {
        match self.obj.get(field) {
            Some(Value::Array(a)) => Some(a),
            None | Some(Value::Null) => {
                errors.at(&self.at(field), messages::REQUIRED.into());
                None
            }
            Some(_) => {
                errors.at(&self.at(field), messages::wrong_type(Expected::List));
                None
            }
        }
    }
}

fn kpi_item(r: &Fields<'_>, errors: &mut Errors) -> Option<KoladaKpi> {
    let id = r.text(errors, "id", TITLE_MAX).and_then(|s| {
        let id = KpiId::parse(s);
        if id.is_none() {
            errors.at(&r.at("id"), messages::invalid_kpi_id(&quoted(s)));
        }
        id
    });
    let title = r.text(errors, "title", TITLE_MAX);
    let description = r.opt_text(errors, "description", TEXT_MAX);
    let operating_area = r.opt_text(errors, "operating_area", TITLE_MAX);
    let divided = match r.obj.get("is_divided_by_gender") {
        None | Some(Value::Null) => Some(false),
        Some(v) => {
            let f = flag_of(v);
            if f.is_none() {
                errors.at(
                    &r.at("is_divided_by_gender"),
                    messages::wrong_type(Expected::Boolean),
                );
            }
            f
        }
    };
    Some(KoladaKpi {
        id: id?,
        title: title?.to_string(),
        description: description?.to_string(),
        operating_area: operating_area?.to_string(),
        divided_by_gender: divided?,
    })
}

fn municipality_id(r: &Fields<'_>, errors: &mut Errors, field: &str) -> Option<MunicipalityId> {
    let s = r.text(errors, field, TITLE_MAX)?;
    let id = MunicipalityId::parse(s);
    if id.is_none() {
        errors.at(&r.at(field), messages::invalid_municipality_id(&quoted(s)));
    }
    id
}

fn municipality_item(r: &Fields<'_>, errors: &mut Errors) -> Option<KoladaMunicipality> {
    let id = municipality_id(r, errors, "id");
    let title = r.text(errors, "title", TITLE_MAX);
    let kind = r.opt_text(errors, "type", TITLE_MAX);
    Some(KoladaMunicipality {
        id: id?,
        title: title?.to_string(),
        kind: kind?.to_string(),
    })
}

fn group_item(r: &Fields<'_>, errors: &mut Errors) -> Option<GroupData> {
    let id = r.text(errors, "id", TITLE_MAX).and_then(|s| {
        let id = group_id(s);
        if id.is_none() {
            errors.at(&r.at("id"), messages::invalid_group_id(&quoted(s)));
        }
        id
    });
    let title = r.text(errors, "title", TITLE_MAX);
    let mut members = Vec::new();
    let mut ok = true;
    for (j, m) in r.list(errors, "members").into_iter().flatten().enumerate() {
        let origin = r.at(&format!("members[{j}]"));
        let Some(obj) = m.as_object() else {
            errors.at(&origin, messages::wrong_type(Expected::Table));
            ok = false;
            continue;
        };
        let f = Fields {
            obj,
            origin: &origin,
        };
        match municipality_id(&f, errors, "id") {
            Some(id) if !members.contains(&id) => members.push(id),
            Some(_) => {}
            None => ok = false,
        }
    }
    let (id, title) = (id?, title?);
    ok.then(|| GroupData {
        id: id.to_string(),
        title: title.to_string(),
        members,
    })
}

/// A data item as the fast path would have read it, or `None` with the wrong fields
/// named. Ids, years and genders are checked afterwards by `convert_item`, as there.
fn data_item(r: &Fields<'_>, errors: &mut Errors) -> Option<FastItem<'static>> {
    let kpi = r.text(errors, "kpi", TITLE_MAX);
    let municipality = r.text(errors, "municipality", TITLE_MAX);
    let period = match r.obj.get("period") {
        Some(Value::Number(n)) => Some(match n.as_i64() {
            Some(i) => year_of_int(i),
            None => Year(Err(n.to_string())),
        }),
        Some(Value::String(s)) => Some(year_of_str(s)),
        None | Some(Value::Null) => {
            errors.at(&r.at("period"), messages::REQUIRED.into());
            None
        }
        Some(_) => {
            errors.at(&r.at("period"), messages::wrong_type(Expected::Integer));
            None
        }
    };
    let mut entries = Vec::new();
    let mut ok = true;
    for (j, v) in r.list(errors, "values").into_iter().flatten().enumerate() {
        let origin = r.at(&format!("values[{j}]"));
        match entry(&origin, v, errors) {
            Some(e) => entries.push(e),
            None => ok = false,
        }
    }
    let item = FastItem {
        kpi: Cow::Owned(kpi?.to_string()),
        municipality: Cow::Owned(municipality?.to_string()),
        period: period?,
        values: entries,
    };
    ok.then_some(item)
}

fn entry(origin: &Origin, v: &Value, errors: &mut Errors) -> Option<FastEntry<'static>> {
    let Some(obj) = v.as_object() else {
        errors.at(origin, messages::wrong_type(Expected::Table));
        return None;
    };
    let r = Fields { obj, origin };
    let gender = r.text(errors, "gender", TITLE_MAX);
    let value = match obj.get("value") {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => Some(n.as_f64()),
        Some(_) => {
            errors.at(&r.at("value"), messages::wrong_type(Expected::Number));
            None
        }
    };
    let status = match obj.get("status") {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(Cow::Owned(s.clone()))),
        Some(_) => {
            errors.at(&r.at("status"), messages::wrong_type(Expected::Text));
            None
        }
    };
    let isdeleted = match obj.get("isdeleted") {
        None | Some(Value::Null) => Some(None),
        Some(v) => match flag_of(v) {
            Some(b) => Some(Some(Flag(b))),
            None => {
                errors.at(&r.at("isdeleted"), messages::wrong_type(Expected::Boolean));
                None
            }
        },
    };
    Some(FastEntry {
        gender: Cow::Owned(gender?.to_string()),
        value: value?,
        status: status?,
        isdeleted: isdeleted?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Page, Vec<(String, String)>) {
        let mut errors = Errors::default();
        let page = parse_page("p.json", text.as_bytes(), &Filter::default(), &mut errors);
        let errs = errors
            .0
            .into_iter()
            .map(|e| (e.location, e.message))
            .collect();
        (page, errs)
    }

    fn data(page: &Page) -> &DataBatch {
        match &page.content {
            Content::Data(b) => b,
            other => panic!("not data: {other:?}"),
        }
    }

    #[test]
    fn data_items_become_values_with_missing_kept_and_deletions() {
        let (page, errs) = parse(
            r#"{"count": 2, "next_url": "https://api.kolada.se/v3/data?page=2", "values": [
              {"kpi": "N00901", "municipality": "0126", "period": 2019, "extra": [1],
               "values": [{"gender": "T", "value": 19.87, "status": "", "count": 1},
                          {"gender": "K", "value": null, "status": "Saknas"}]},
              {"kpi": "N00901", "municipality": "0127", "period": "2018",
               "values": [{"gender": "M", "isdeleted": true}]}]}"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            page.next_url.as_deref(),
            Some("https://api.kolada.se/v3/data?page=2")
        );
        assert_eq!(page.count, Some(2));
        let ops = &data(&page).ops;
        assert_eq!(ops.len(), 3);
        let Op::Write(v) = &ops[1] else { panic!() };
        assert_eq!((v.value, v.status.as_str()), (None, "Saknas"));
        assert_eq!(v.gender, Gender::Women);
        let Op::Delete(k) = &ops[2] else { panic!() };
        assert_eq!((k.year, k.gender), (2018, Gender::Men));
    }

    #[test]
    fn wrong_fields_are_named_by_their_json_path() {
        let (_, errs) = parse(
            r#"{"values": [
              {"kpi": "N00901", "municipality": "0126", "period": 2019, "values": [{"gender": "T", "value": 1}]},
              {"kpi": "n901", "municipality": "126", "period": 1800,
               "values": [{"gender": "T", "value": 1}, {"gender": "X", "value": 2}]},
              {"kpi": "N00901", "municipality": "0126", "period": 2019, "values": [{"gender": "T", "value": "19,87"}]}
            ]}"#,
        );
        let locations: Vec<&str> = errs.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            locations,
            [
                "values[1].kpi",
                "values[1].municipality",
                "values[1].period",
                "values[1].values[1].gender",
                "values[2].values[0].value"
            ],
            "{errs:?}"
        );
        assert_eq!(errs[3].1, messages::invalid_gender("X"));
        assert_eq!(errs[4].1, messages::wrong_type(Expected::Number));
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let (page, errs) = parse("{\"values\": [\n  {\"kpi\": }\n]}");
        assert_eq!(page.content, Content::Empty);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "rad 2, kolumn 11");
        assert!(errs[0].1.starts_with("Filen är inte giltig JSON"));
        let (_, errs) = parse("[1, 2]");
        assert_eq!(errs[0].1, messages::kolada_not_a_page());
    }

    #[test]
    fn metadata_pages_are_told_by_their_content() {
        let (page, errs) = parse(
            r#"{"values": [{"id": "N00901", "title": "Skattesats till kommun", "description": null,
              "operating_area": "Kommunen, Ekonomi", "is_divided_by_gender": 0, "publication_date": "2020-01-01"}]}"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        let Content::Kpis(k) = page.content else {
            panic!()
        };
        assert_eq!(k[0].id.as_str(), "N00901");
        assert!(!k[0].divided_by_gender);

        let (page, errs) =
            parse(r#"{"values": [{"id": "0126", "title": "Huddinge", "type": "K"}]}"#);
        assert!(errs.is_empty());
        assert!(matches!(page.content, Content::Municipalities(ref m) if m[0].title == "Huddinge"));

        let (page, errs) = parse(
            r#"{"values": [{"id": "G124125", "title": "Södertörn", "members": [{"id": "0126", "title": "Huddinge"}, {"id": "0127"}]}]}"#,
        );
        assert!(errs.is_empty());
        let Content::Groups(g) = page.content else {
            panic!()
        };
        assert_eq!(g[0].members.len(), 2);

        let (_, errs) = parse(
            r#"{"values": [{"id": "G1", "title": "X", "members": [{"id": "12"}]}, {"id": "0126", "title": "Huddinge", "type": "K"}]}"#,
        );
        assert_eq!(
            errs,
            vec![
                (
                    "values[0].members[0].id".to_string(),
                    messages::invalid_municipality_id("12")
                ),
                (
                    "values[1]".to_string(),
                    messages::kolada_row_kind("kommungrupper")
                )
            ]
        );
    }

    #[test]
    fn group_values_and_values_outside_the_plan_are_counted_not_kept() {
        let text = r#"{"values": [
            {"kpi": "N00901", "municipality": "G124125", "period": 2019, "values": [{"gender": "T", "value": 1}]},
            {"kpi": "N00901", "municipality": "0126", "period": 2015, "values": [{"gender": "T", "value": 1}]},
            {"kpi": "N00901", "municipality": "0126", "period": 2019, "values": [{"gender": "T", "value": 1}]}]}"#;
        let filter = Filter {
            years: Some((2016, 2020)),
            ..Filter::default()
        };
        let mut errors = Errors::default();
        let page = parse_page("p.json", text.as_bytes(), &filter, &mut errors);
        assert!(errors.0.is_empty());
        let b = data(&page);
        assert_eq!((b.ops.len(), b.group_values, b.outside_plan), (1, 1, 1));
    }
}
