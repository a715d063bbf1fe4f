//! The Kolada page for controllers: which municipality is ours, where the API answers, the
//! comparison groups (Kolada's municipality groups and custom lists), which indicators are
//! linked to a KPI, and fetching from Kolada as a background job.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::{Html, Response};
use uppsikt_domain::kolada::{KpiId, MunicipalityId};
use uppsikt_domain::messages;
use uppsikt_domain::model::Id;
use uppsikt_store::{ComparisonGroup, ComparisonGroupInput, KoladaSettings, Scope};

use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::forms::{saved, Errors, Field, FieldKind, Form, FormPage, Input, Post, NAME_MAX};
use crate::AppState;

/// One linked indicator as the page lists it.
pub struct LinkedRow {
    pub id: Id,
    pub name: String,
    pub kpi: String,
    pub kpi_title: String,
    pub groups: Vec<String>,
    pub latest: String,
}

pub struct GroupRow {
    pub group: ComparisonGroup,
    pub kind: &'static str,
    pub members: String,
    pub used_by: usize,
}

#[derive(Template)]
#[template(path = "kolada.html")]
struct KoladaPage {
    municipality: String,
    api_url: String,
    values: i64,
    missing: i64,
    groups: Vec<GroupRow>,
    linked: Vec<LinkedRow>,
    notice: Option<String>,
}

/// Names of the municipalities we know, by id (from Kolada's metadata).
async fn municipality_names(state: &AppState) -> Result<HashMap<String, String>> {
    Ok(state
        .store
        .kolada_municipalities()
        .await?
        .into_iter()
        .map(|m| (m.id.as_str().to_string(), m.title))
        .collect())
}

fn named(id: &MunicipalityId, names: &HashMap<String, String>) -> String {
    match names.get(id.as_str()) {
        Some(n) => format!("{n} ({id})"),
        None => id.to_string(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    crate::error::Query(q): crate::error::Query<HashMap<String, String>>,
) -> Result<Response> {
    let settings = state.store.kolada_settings().await?;
    let names = municipality_names(&state).await?;
    let (values, missing) = state.store.kolada_value_count().await?;
    let groups = state.store.comparison_groups().await?;
    let records = state.store.indicator_records(Scope::All).await?;
    let mut used: HashMap<Id, usize> = HashMap::new();
    let mut linked = Vec::new();
    let titles: HashMap<Id, String> = groups.iter().map(|g| (g.id, g.title.clone())).collect();
    for r in records
        .iter()
        .filter(|r| !r.indicator.kolada_kpi.is_empty())
    {
        let ids = state.store.indicator_groups(r.indicator.id).await?;
        for g in &ids {
            *used.entry(*g).or_default() += 1;
        }
        let kpi_title = match KpiId::parse(&r.indicator.kolada_kpi) {
            Some(k) => state
                .store
                .kolada_kpi(&k)
                .await?
                .map(|k| k.title)
                .unwrap_or_default(),
            None => String::new(),
        };
        let latest = r
            .outcomes
            .iter()
            .filter(|o| o.breakdown == uppsikt_domain::Breakdown::Total)
            .max_by_key(|o| o.period)
            .map(|o| {
                format!(
                    "{} ({})",
                    uppsikt_report::followup::format_value(
                        o.value,
                        r.indicator.decimals,
                        &r.indicator.unit
                    ),
                    o.period.label_sv()
                )
            })
            .unwrap_or_else(|| "–".into());
        linked.push(LinkedRow {
            id: r.indicator.id,
            name: r.indicator.name.clone(),
            kpi: r.indicator.kolada_kpi.clone(),
            kpi_title,
            groups: ids.iter().filter_map(|g| titles.get(g).cloned()).collect(),
            latest,
        });
    }
    linked.sort_by(|a, b| uppsikt_domain::collate::swedish_cmp(&a.name, &b.name));
    let groups = groups
        .into_iter()
        .map(|g| GroupRow {
            kind: if g.kolada_id.is_some() {
                "Kolada-grupp"
            } else {
                "Egen lista"
            },
            members: g
                .members
                .iter()
                .map(|m| {
                    names
                        .get(m.as_str())
                        .cloned()
                        .unwrap_or_else(|| m.to_string())
                })
                .collect::<Vec<_>>()
                .join(", "),
            used_by: used.get(&g.id).copied().unwrap_or(0),
            group: g,
        })
        .collect();
    let notice = q.get("linked").map(|n| messages::kolada::group_linked(n));
    let html = KoladaPage {
        municipality: settings
            .municipality
            .as_ref()
            .map(|m| named(m, &names))
            .unwrap_or_default(),
        api_url: settings.api_url,
        values,
        missing,
        groups,
        linked,
        notice,
    }
    .render()?;
    Ok(crate::jobs::uncached(Html(html)))
}

// --- settings -------------------------------------------------------------------------

fn settings_page() -> FormPage {
    FormPage {
        title: "Koppling till Kolada".into(),
        intro: Some("Vilken kommun som är vår i Kolada avgör vilka värden som fyller de kopplade måttens utfall och vem som rankas i jämförelsegrupperna.".into()),
        action: "/kolada/settings".into(),
        cancel: "/kolada".into(),
        submit: "Spara kopplingen".into(),
        crumbs: vec![("/kolada".into(), "Kolada".into())],
        fields: vec![
            Field::new("municipality", "Vår kommun i Kolada", FieldKind::Text)
                .hint("Kommunkoden med fyra siffror, t.ex. 0126 för Huddinge. Lämna tomt för att inte fylla i något från Kolada."),
            Field::new("api_url", "Koladas API", FieldKind::Text)
                .required()
                .hint("Normalt https://api.kolada.se/v3. En annan adress måste den som driver uppsikt först tillåta."),
        ],
    }
}

pub async fn settings_form(State(state): State<AppState>) -> Result<Response> {
    let s = state.store.kolada_settings().await?;
    settings_page()
        .with_values([
            (
                "municipality",
                s.municipality.map(|m| m.to_string()).unwrap_or_default(),
            ),
            ("api_url", s.api_url),
        ])
        .render_page()
}

pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<Input>,
) -> Result<Response> {
    let mut e = Errors::default();
    let raw = e.optional_text(&input, "municipality", 20);
    let municipality = if raw.is_empty() {
        None
    } else {
        let parsed = MunicipalityId::parse(&raw);
        if parsed.is_none() {
            e.add("municipality", messages::not_a_municipality_id(&raw));
        }
        parsed
    };
    // The address must be one the server's operator allows: else anyone with this page
    // could make the server fetch from any address it can reach.
    let web_address = |url: &str| {
        let lower = url.to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    };
    let api_url = match e.text(&input, "api_url", NAME_MAX) {
        Some(url) if !web_address(&url) => {
            e.add("api_url", messages::not_a_web_address(&url));
            None
        }
        Some(url) => match state.kolada_api.check(&url) {
            Ok(address) => Some(address),
            Err(message) => {
                e.add("api_url", message);
                None
            }
        },
        None => None,
    };
    let (Some(api_url), true) = (api_url, e.is_empty()) else {
        return e.apply(settings_page().fill(&input)).render_page();
    };
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    w.set_kolada_settings(&KoladaSettings {
        municipality,
        api_url,
    })
    .await?;
    // Our municipality decides which values fill the linked indicators.
    w.sync_kolada_outcomes(None).await?;
    w.commit().await?;
    Ok(saved("/kolada".into()))
}

// --- comparison groups ----------------------------------------------------------------

fn group_page(group: Option<&ComparisonGroup>) -> FormPage {
    let (title, action) = match group {
        Some(g) => (
            format!("Ändra jämförelsegruppen {}", g.title),
            format!("/kolada/groups/{}/edit", g.id),
        ),
        None => (
            "Ny jämförelsegrupp".to_string(),
            "/kolada/groups/new".to_string(),
        ),
    };
    FormPage {
        title,
        intro: Some("En egen lista med kommuner att jämföra med, t.ex. Södertörn eller kommuner som liknar vår. Placering och genomsnitt räknas för varje år ur Kolada-värdena.".into()),
        action,
        cancel: "/kolada".into(),
        submit: "Spara gruppen".into(),
        crumbs: vec![("/kolada".into(), "Kolada".into())],
        fields: vec![
            Field::new("title", "Namn", FieldKind::Text).required(),
            Field::new("members", "Kommuner", FieldKind::Textarea(8))
                .required()
                .hint("En kommun per rad (eller åtskilda med komma): kommunkoden, t.ex. 0127, eller namnet, t.ex. Botkyrka, om Koladas kommunlista är hämtad."),
        ],
    }
}

/// Municipalities from a text: codes, or names of municipalities Kolada lists.
fn parse_members(
    text: &str,
    names: &HashMap<String, String>,
) -> std::result::Result<Vec<MunicipalityId>, String> {
    let by_name: HashMap<String, &String> =
        names.iter().map(|(id, n)| (n.to_lowercase(), id)).collect();
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for token in text
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let found = MunicipalityId::parse(token).or_else(|| {
            by_name
                .get(&token.to_lowercase())
                .and_then(|id| MunicipalityId::parse(id))
        });
        match found {
            Some(m) if !out.contains(&m) => out.push(m),
            Some(_) => {}
            None => unknown.push(token.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(messages::unknown_municipalities(&unknown));
    }
    if out.is_empty() {
        return Err(messages::REQUIRED.into());
    }
    Ok(out)
}

pub async fn new_group_form() -> Result<Response> {
    group_page(None).render_page()
}

async fn custom_group(state: &AppState, id: Id) -> Result<ComparisonGroup> {
    let group = state
        .store
        .comparison_groups()
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or(AppError::NotFound)?;
    if group.kolada_id.is_some() {
        return Err(AppError::Refused(
            axum::http::StatusCode::CONFLICT,
            messages::kolada::GROUP_FROM_KOLADA.into(),
        ));
    }
    Ok(group)
}

pub async fn edit_group_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let group = custom_group(&state, id).await?;
    let members = group
        .members
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    group_page(Some(&group))
        .with_values([("title", group.title.clone()), ("members", members)])
        .render_page()
}

pub async fn create_group(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form<Input>,
) -> Result<Response> {
    save_group(&state, &viewer, None, &input).await
}

pub async fn update_group(post: Post) -> Result<Response> {
    let group = custom_group(&post.state, post.id).await?;
    save_group(&post.state, &post.viewer, Some(&group), &post.input).await
}

async fn save_group(
    state: &AppState,
    viewer: &Viewer,
    group: Option<&ComparisonGroup>,
    input: &Input,
) -> Result<Response> {
    let mut e = Errors::default();
    let title = e.text(input, "title", NAME_MAX);
    let names = municipality_names(state).await?;
    let members = match e.raw_text(input, "members", 20_000) {
        Some(text) => match parse_members(text, &names) {
            Ok(m) => Some(m),
            Err(message) => {
                e.add("members", message);
                None
            }
        },
        None => None,
    };
    let existing = state.store.comparison_groups().await?;
    if let Some(t) = &title {
        let clash = existing.iter().any(|g| {
            g.title.to_lowercase() == t.to_lowercase() && Some(g.id) != group.map(|g| g.id)
        });
        if clash {
            e.add("title", messages::group_title_taken(t));
        }
    }
    let (Some(title), Some(members), true) = (title, members, e.is_empty()) else {
        return e.apply(group_page(group).fill(input)).render_page();
    };
    let key = match group {
        Some(g) => g.key.clone(),
        None => {
            let base = format!("egen-{}", uppsikt_store::slugify(&title));
            let taken: BTreeSet<&str> = existing.iter().map(|g| g.key.as_str()).collect();
            let mut key = base.clone();
            let mut n = 2;
            while taken.contains(key.as_str()) {
                key = format!("{base}-{n}");
                n += 1;
            }
            key
        }
    };
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    w.upsert_comparison_group(&ComparisonGroupInput {
        key,
        title,
        kolada_id: None,
        members,
    })
    .await?;
    w.commit().await?;
    Ok(saved("/kolada".into()))
}

pub async fn delete_group(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
) -> Result<Response> {
    custom_group(&state, id).await?;
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    w.delete_comparison_group(id).await?;
    w.commit().await?;
    Ok(saved("/kolada".into()))
}

/// Adds the group to every indicator linked to a KPI that does not use it yet.
pub async fn link_all(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
) -> Result<Response> {
    if !state
        .store
        .comparison_groups()
        .await?
        .iter()
        .any(|g| g.id == id)
    {
        return Err(AppError::NotFound);
    }
    let records = state.store.indicator_statuses(Scope::All).await?;
    let mut w = state
        .store
        .writer(&viewer.actor(), uppsikt_store::ChangeSource::Form)
        .await?;
    let mut linked = 0;
    for r in records
        .iter()
        .filter(|r| !r.indicator.kolada_kpi.is_empty())
    {
        let mut groups = state.store.indicator_groups(r.indicator.id).await?;
        if !groups.contains(&id) {
            groups.push(id);
            w.set_indicator_groups(r.indicator.id, &groups).await?;
            linked += 1;
        }
    }
    w.commit().await?;
    Ok(saved(format!("/kolada?linked={linked}")))
}

// --- fetching ---------------------------------------------------------------------------

/// "Hämta från Kolada nu": the linked KPIs for our municipality and the comparison groups'
/// members, from the configured API, as an import job (all or nothing, can be cancelled).
pub async fn fetch(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let id = crate::imports::start(
        &state,
        "Hämtning från Kolada".into(),
        "/kolada".into(),
        &viewer.actor(),
        crate::imports::ImportParams::Kolada,
        None,
    )
    .await?;
    Ok(saved(format!("/imports/{id}")))
}

/// Runs a Kolada fetch job for `actor` (the settings as they are when it runs).
pub(crate) async fn run_fetch(
    state: &AppState,
    actor: &str,
    progress: &uppsikt_import::Progress,
) -> std::result::Result<crate::imports::Finished, uppsikt_import::ImportReport> {
    use uppsikt_import::kolada::{self, ClientOptions, Source};
    let db = |e: uppsikt_store::StoreError| {
        uppsikt_import::ImportReport::single(&uppsikt_import::Origin::new("", ""), e.to_string())
    };
    let settings = state.store.kolada_settings().await.map_err(db)?;
    let options = ClientOptions {
        allowed: state.kolada_api.as_ref().clone(),
        ..ClientOptions::default()
    };
    let plan = kolada::default_plan(&state.store).await?;
    let source = Source::Api(settings.api_url);
    let summary =
        kolada::import_kolada(&state.store, &source, &plan, &options, actor, progress).await?;
    Ok(crate::imports::Finished {
        summary: summary.lines_sv(),
        next: ("/kolada".into(), "Till Kolada-sidan".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_codes_or_known_names() {
        let names = HashMap::from([
            ("0127".to_string(), "Botkyrka".to_string()),
            ("0136".to_string(), "Haninge".to_string()),
        ]);
        let got = parse_members("0126\nbotkyrka, Haninge; 0126", &names).unwrap();
        let ids: Vec<&str> = got.iter().map(MunicipalityId::as_str).collect();
        assert_eq!(ids, ["0126", "0127", "0136"]);
        let err = parse_members("0126\nBotkyrka\nGöteborg\n12", &names).unwrap_err();
        assert!(err.contains("Göteborg") && err.contains("12"), "{err}");
        assert!(parse_members(" \n ", &names).is_err());
    }
}
