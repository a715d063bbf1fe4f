//! The change log read aloud: each row as a Swedish sentence ("Utfall 2020 Totalt: – → 58
//! (± 3)"), never as the JSON the log stores. Known object types get their own wording
//! (outcomes, milestones, targets, analyses, assessments, statuses, decisions, locks);
//! every other row lists its changed fields as "Fältnamn: gammalt → nytt".

use serde_json::{Map, Value};
use uppsikt_domain::indicator::{Breakdown, Direction};
use uppsikt_domain::model::{GoalKind, Stage};
use uppsikt_domain::number::format_sv;
use uppsikt_domain::object_kind::log_type_sv;
use uppsikt_store::{ChangeLogEntry, ChangeSource};

/// What stands for no value.
const NONE: &str = "–";
/// Texts longer than this many characters are shown cut, with "…".
const TEXT_MAX: usize = 160;

/// The change as a sentence.
pub fn describe(e: &ChangeLogEntry) -> String {
    let before = parse(e.before_value.as_deref());
    let after = parse(e.after_value.as_deref());
    let kind = e.object_type.as_str();
    match kind {
        "outcome" => outcome(e.action.as_str(), before.as_ref(), after.as_ref()),
        "milestone" | "target" => year_target(kind, before.as_ref(), after.as_ref()),
        "goal_analysis" => analysis(before.as_ref(), after.as_ref()),
        "commitment_status" => status(after.as_ref().or(before.as_ref())),
        "assessment" => assessment(before.as_ref(), after.as_ref()),
        "period" => period(e.action.as_str(), before.as_ref(), after.as_ref()),
        _ => match (e.action.as_str(), &after) {
            ("import_outcomes", Some(Value::Number(n))) => {
                format!("{} utfall importerade", number(n.as_f64().unwrap_or(0.0)))
            }
            _ => fields(log_type_sv(kind), before.as_ref(), after.as_ref()),
        },
    }
}

/// Where the change came from, in Swedish ("import av utfall-2020.csv").
pub fn source_sv(e: &ChangeLogEntry) -> String {
    match e.change_source() {
        None => "okänd källa".into(),
        Some(ChangeSource::Form) => "formulär".into(),
        Some(ChangeSource::File(name)) if name.is_empty() => "import av fil".into(),
        Some(ChangeSource::File(name)) => format!("import av {name}"),
        Some(ChangeSource::Kolada) => "Kolada".into(),
        Some(ChangeSource::Upgrade) => "uppgradering".into(),
        Some(ChangeSource::Cli) => "kommandoraden".into(),
        Some(ChangeSource::Demo) => "demodata".into(),
        Some(ChangeSource::Bench) => "prestandamätning".into(),
    }
}

/// The person: the account's name, else the name the log records.
pub fn person(e: &ChangeLogEntry) -> String {
    e.actor_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&e.actor)
        .to_string()
}

fn parse(text: Option<&str>) -> Option<Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())))
        .filter(|v| !v.is_null())
}

fn get<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    v.and_then(|v| v.get(key)).filter(|v| !v.is_null())
}

fn text_of(v: Option<&Value>, key: &str) -> Option<String> {
    get(v, key).map(plain)
}

/// A number the Swedish way, with as many decimals as it has (at most four).
fn number(n: f64) -> String {
    let decimals = (0..=4u8)
        .find(|d| {
            let scale = 10f64.powi(i32::from(*d));
            ((n * scale).round() / scale - n).abs() < 1e-9
        })
        .unwrap_or(4);
    format_sv(n, decimals)
}

fn cut(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= TEXT_MAX {
        return text.to_string();
    }
    let mut out: String = text.chars().take(TEXT_MAX).collect();
    out.push('…');
    out
}

/// A value as plain text: numbers Swedish, lists joined, objects as "fält: värde".
fn plain(v: &Value) -> String {
    match v {
        Value::Null => NONE.into(),
        Value::Bool(true) => "ja".into(),
        Value::Bool(false) => "nej".into(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), number),
        Value::String(s) if s.trim().is_empty() => NONE.into(),
        Value::String(s) => cut(s),
        Value::Array(items) if items.is_empty() => NONE.into(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", field_sv(k), value_sv(k, v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A field's value, codes named in Swedish.
fn value_sv(field: &str, v: &Value) -> String {
    let code = v.as_str().unwrap_or_default();
    let named = match field {
        "direction" => Direction::parse(code).map(|d| d.label_sv().to_string()),
        "kind" => GoalKind::parse(code).map(|k| k.label_sv().to_string()),
        "stage" => Stage::parse(code).map(|s| s.label_sv().to_string()),
        "breakdown" => Breakdown::try_from(code.to_string())
            .ok()
            .map(|b| b.label_sv()),
        _ => None,
    };
    named.unwrap_or_else(|| plain(v))
}

/// A field's Swedish label; unknown fields by their name, words spaced.
fn field_sv(field: &str) -> String {
    let known = match field {
        "title" => "Titel",
        "name" => "Namn",
        "short_name" => "Kortnamn",
        "description" => "Beskrivning",
        "kind" => "Typ",
        "position" => "Ordning",
        "org_id" => "Enhet",
        "parent_id" => "Överordnat",
        "goal_id" => "Mål",
        "unit" => "Enhet för värdet",
        "direction" => "Riktning",
        "source" => "Källa",
        "kolada_kpi" => "Kolada-nyckeltal",
        "decimals" => "Decimaler",
        "frequency" => "Frekvens",
        "margin_basis" => "Felmarginalens grund",
        "trend_window" => "Trendens underlag",
        "year" => "År",
        "carried_over_from" | "carried_over_from_id" => "Överfört från",
        "period" => "Period",
        "breakdown" => "Redovisning",
        "value" => "Värde",
        "margin" => "Felmarginal",
        "sample_size" => "Urval",
        "target" => "Målnivå",
        "stage" => "Skede",
        "level" => "Nivå",
        "motivation" => "Motivering",
        "author" => "Bedömd av",
        "date" => "Datum",
        "status" => "Status",
        "comment" => "Kommentar",
        "text" => "Text",
        "state" => "Läge",
        "on" => "Den",
        "reason" => "Skäl",
        "body" => "Beslutande organ",
        "decided_on" => "Beslutsdatum",
        "paragraph" => "Paragraf",
        "diary_number" => "Diarienummer",
        "locked_by" => "Låst av",
        "count" => "Antal",
        "key" => "Nyckel",
        "events" => "Händelser",
        "improvements" => "Förbättringsområden",
        "due" => "Klart senast",
        "responsible" => "Ansvarig",
        "cause" => "Orsak",
        "decision" => "Beslut",
        _ => "",
    };
    if !known.is_empty() {
        return known.into();
    }
    let spaced = field.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "Utfall 2020 Totalt: – → 58 (± 3)".
fn outcome(action: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let either = after.or(before);
    let period = text_of(either, "period").unwrap_or_default();
    let breakdown = get(either, "breakdown")
        .map(|b| value_sv("breakdown", b))
        .unwrap_or_default();
    let figure = |v: Option<&Value>| match get(v, "value").and_then(Value::as_f64) {
        None => NONE.to_string(),
        Some(x) => match get(v, "margin").and_then(Value::as_f64) {
            Some(m) => format!("{} (± {})", number(x), number(m)),
            None => number(x),
        },
    };
    let head = format!("Utfall {period} {breakdown}")
        .trim_end()
        .to_string();
    match action {
        "confirm_source" => format!("{head}: bekräftat av Kolada"),
        _ => format!("{head}: {} → {}", figure(before), figure(after)),
    }
}

/// "Etappmål 2020: – → ≥850".
fn year_target(kind: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    // A year as written, not as a number ("2024", not "2 024").
    let year = get(after.or(before), "year")
        .map(|y| y.as_i64().map_or_else(|| plain(y), |y| y.to_string()))
        .unwrap_or_default();
    let t = |v| text_of(v, "target").unwrap_or_else(|| NONE.into());
    format!("{} {year}: {} → {}", log_type_sv(kind), t(before), t(after))
}

fn analysis(before: Option<&Value>, after: Option<&Value>) -> String {
    let either = after.or(before);
    let period = text_of(either, "period").unwrap_or_default();
    let t = |v: Option<&Value>| {
        text_of(v, "text")
            .or_else(|| v.and_then(Value::as_str).map(cut))
            .unwrap_or_else(|| NONE.into())
    };
    format!("Analys {period}: {} → {}", t(before), t(after)).replace("Analys : ", "Analys: ")
}

fn status(v: Option<&Value>) -> String {
    let s = text_of(v, "status").unwrap_or_else(|| NONE.into());
    let mut out = format!("Status för åtagande: {s}");
    if let Some(date) = text_of(v, "date") {
        out.push_str(&format!(" ({date})"));
    }
    if let Some(c) = text_of(v, "comment").filter(|c| c != NONE) {
        out.push_str(&format!(": {c}"));
    }
    out
}

fn assessment(before: Option<&Value>, after: Option<&Value>) -> String {
    let either = after.or(before);
    let period = text_of(either, "period").unwrap_or_default();
    let stage = get(either, "stage")
        .map(|s| value_sv("stage", s).to_lowercase())
        .unwrap_or_default();
    let level = |v| text_of(v, "level").unwrap_or_else(|| NONE.into());
    let mut out = format!("Bedömning {period}").trim_end().to_string();
    if !stage.is_empty() {
        out.push_str(&format!(" ({stage})"));
    }
    out.push_str(&format!(": {} → {}", level(before), level(after)));
    if let Some(m) = text_of(after, "motivation").filter(|m| m != NONE) {
        out.push_str(&format!(". Motivering: {m}"));
    }
    out
}

fn period(action: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let either = after.or(before);
    let p = text_of(either, "period").unwrap_or_default();
    match action {
        "lock" => {
            let mut out = format!("Period {p} låst efter beslut");
            let details: Vec<String> = ["body", "decided_on", "paragraph", "diary_number"]
                .iter()
                .filter_map(|k| text_of(after, k).filter(|t| t != NONE))
                .collect();
            if !details.is_empty() {
                out.push_str(&format!(" ({})", details.join(", ")));
            }
            out
        }
        "reopen" => {
            let reason = text_of(after, "reason").unwrap_or_else(|| NONE.into());
            format!("Period {p} öppnad igen. Skäl: {reason}")
        }
        _ => fields("Period", before, after),
    }
}

/// The generic form: each changed field as "Fält: gammalt → nytt"; a value that is not
/// an object as "Typ: gammalt → nytt".
fn fields(label: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let empty = Map::new();
    fn as_map(v: Option<&Value>) -> Option<&Map<String, Value>> {
        v.and_then(Value::as_object)
    }
    match (as_map(before), as_map(after)) {
        (None, None) if before.is_none() && after.is_none() => label.to_string(),
        (b, a) if b.is_some() || a.is_some() => {
            let (b, a) = (b.unwrap_or(&empty), a.unwrap_or(&empty));
            let mut keys: Vec<&String> = a.keys().collect();
            keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
            let show = |k: &str, v: Option<&Value>| {
                v.filter(|v| !v.is_null())
                    .map_or_else(|| NONE.to_string(), |v| value_sv(k, v))
            };
            let changed: Vec<String> = keys
                .into_iter()
                .filter(|k| !matches!(k.as_str(), "id" | "key"))
                .filter(|k| b.get(*k) != a.get(*k))
                .map(|k| {
                    format!(
                        "{}: {} → {}",
                        field_sv(k),
                        show(k, b.get(k)),
                        show(k, a.get(k))
                    )
                })
                .collect();
            if changed.is_empty() {
                format!("{label}: oförändrad")
            } else {
                changed.join("; ")
            }
        }
        _ => {
            let show = |v: Option<&Value>| v.map_or_else(|| NONE.to_string(), plain);
            format!("{label}: {} → {}", show(before), show(after))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        object_type: &str,
        action: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> ChangeLogEntry {
        ChangeLogEntry {
            id: 1,
            at: "2024-07-01T09:30:00Z".into(),
            actor: "kajsa".into(),
            action: action.into(),
            object_type: object_type.into(),
            object_id: Some(1),
            before_value: before.map(Into::into),
            after_value: after.map(Into::into),
            actor_name: None,
            source: None,
            source_detail: None,
        }
    }

    #[test]
    fn an_outcome_reads_as_period_breakdown_and_figures() {
        let e = entry(
            "outcome",
            "set",
            None,
            Some(
                r#"{"period":"2020","breakdown":"total","value":58.0,"margin":3.0,"sample_size":null}"#,
            ),
        );
        assert_eq!(describe(&e), "Utfall 2020 Totalt: – → 58 (± 3)");
        let e = entry(
            "outcome",
            "set",
            Some(
                r#"{"period":"2019","breakdown":"men","value":88.7,"margin":null,"sample_size":null}"#,
            ),
            Some(
                r#"{"period":"2019","breakdown":"men","value":1234.5,"margin":null,"sample_size":null}"#,
            ),
        );
        assert_eq!(describe(&e), "Utfall 2019 Män: 88,7 → 1\u{a0}234,5");
        let e = entry(
            "outcome",
            "delete",
            Some(
                r#"{"period":"2019","breakdown":"area:Flemingsberg","value":4,"margin":null,"sample_size":null}"#,
            ),
            None,
        );
        assert_eq!(describe(&e), "Utfall 2019 Flemingsberg: 4 → –");
    }

    #[test]
    fn targets_analyses_and_assessments_read_as_sentences() {
        let e = entry(
            "milestone",
            "set",
            None,
            Some(r#"{"year":2020,"target":">=850"}"#),
        );
        assert_eq!(describe(&e), "Etappmål 2020: – → >=850");
        let e = entry(
            "assessment",
            "create",
            None,
            Some(
                r#"{"org_id":1,"goal_id":2,"period":"2019","stage":"decided","level":"God","motivation":"Bra.","author":"KS","date":"2020-02-01"}"#,
            ),
        );
        let text = describe(&e);
        assert!(text.starts_with("Bedömning 2019 ("), "{text}");
        assert!(text.contains(": – → God. Motivering: Bra."), "{text}");
    }

    #[test]
    fn other_objects_list_their_changed_fields_never_json() {
        let e = entry(
            "goal",
            "update",
            Some(r#"{"id":3,"key":"g","title":"Trygg","description":"","position":1}"#),
            Some(r#"{"key":"g","title":"Trygg utomhus","description":"Ny","position":1}"#),
        );
        assert_eq!(
            describe(&e),
            "Beskrivning: – → Ny; Titel: Trygg → Trygg utomhus"
        );
        let e = entry("vision", "set", None, Some(r#""Huddinge växer""#));
        assert_eq!(describe(&e), "Vision: – → Huddinge växer");
        let e = entry("user", "set_password", None, None);
        assert_eq!(describe(&e), "Konto");
        let e = entry(
            "anything_new",
            "x",
            None,
            Some(r#"{"a_b":[1,2.5],"c":{"d":true}}"#),
        );
        let text = describe(&e);
        assert!(!text.contains('{') && !text.contains('"'), "{text}");
        assert_eq!(text, "A b: – → 1, 2,5; C: – → D: ja");
    }

    #[test]
    fn sources_and_people_read_in_swedish() {
        let mut e = entry("goal", "update", None, None);
        assert_eq!(source_sv(&e), "okänd källa");
        e.source = Some("file".into());
        e.source_detail = Some("utfall-2020.csv".into());
        assert_eq!(source_sv(&e), "import av utfall-2020.csv");
        e.source = Some("kolada".into());
        assert_eq!(source_sv(&e), "Kolada");
        assert_eq!(person(&e), "kajsa");
        e.actor_name = Some("Kajsa Controller".into());
        assert_eq!(person(&e), "Kajsa Controller");
    }
}
