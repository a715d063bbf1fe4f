//! The site made for residents: the start page a visitor sees (what the municipality
//! promised, how it went, per area, the boards), the boards' goals under each KF goal,
//! share metadata on every page, `robots.txt`, `sitemap.xml` and the accessibility
//! statement (tillgänglighetsredogörelse) with its known gaps.
//!
//! Guards (`lib.rs`): every route here is open. What a visitor sees is decided by the one
//! public rule (`uppsikt_domain::publication`, through [`crate::pages::audience`] and the
//! follow-up views that apply it); nothing here decides visibility on its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use askama::Template;
use axum::extract::{OriginalUri, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uppsikt_domain::area;
use uppsikt_domain::model::{Goal, Id, OrgKind, OrgUnit};
use uppsikt_domain::publication::Audience;
use uppsikt_domain::{Breakdown, Period};
use uppsikt_report::followup::{self, format_value, GoalSummary};
use uppsikt_report::html::escape;
use uppsikt_store::Scope;

use crate::auth::Viewer;
use crate::error::Result;
use crate::pages::{audience, cache_key, cached, page_period};
use crate::AppState;

// ---- Where to report accessibility problems ----

/// Where a visitor reports accessibility problems: an e-mail address or a web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Email(String),
    Web(String),
}

impl Contact {
    /// The link's target.
    pub fn href(&self) -> String {
        match self {
            Contact::Email(e) => format!("mailto:{e}"),
            Contact::Web(u) => u.clone(),
        }
    }

    /// The link's text.
    pub fn label(&self) -> &str {
        match self {
            Contact::Email(s) | Contact::Web(s) => s,
        }
    }
}

/// The longest contact accepted (bytes).
const CONTACT_MAX: usize = 254;

/// Parses `--accessibility-contact`: an e-mail address (`namn@kommun.se`) or an `https://`
/// or `http://` address with a host; anything else is refused with a Swedish reason.
pub fn parse_accessibility_contact(value: &str) -> std::result::Result<Contact, String> {
    let v = value.trim();
    let wrong = || {
        format!(
            "”{}” är varken en e-postadress eller en webbadress (https://…).",
            v.chars().take(80).collect::<String>()
        )
    };
    if v.is_empty()
        || v.len() > CONTACT_MAX
        || v.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(wrong());
    }
    if v.starts_with("http://") || v.starts_with("https://") {
        let url = reqwest::Url::parse(v).map_err(|_| wrong())?;
        if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() {
            return Err(wrong());
        }
        return Ok(Contact::Web(url.to_string()));
    }
    let mut parts = v.splitn(2, '@');
    let (local, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || "._%+-".contains(c))
    };
    if local.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains('@')
        || !plain(local)
        || !plain(domain)
    {
        return Err(wrong());
    }
    Ok(Contact::Email(v.to_string()))
}

// ---- The known gaps: one file, rendered here and read by the browser tests ----

/// The accessibility statement's facts that are not code: its date and the known gaps.
/// The same file is read by `e2e/tests/every-page.test.mjs`, which fails when
/// axe finds a violation not listed here, or a listed one no longer occurs.
const STATEMENT_JSON: &str = include_str!("../accessibility.json");

#[derive(Debug, Deserialize)]
pub struct Statement {
    /// When the statement was last reviewed (ISO date).
    pub reviewed: String,
    /// When the site was last tested as the statement describes (ISO date).
    pub tested: String,
    pub gaps: Vec<Gap>,
}

/// One known gap.
#[derive(Debug, Deserialize)]
pub struct Gap {
    /// What the problem is, in Swedish.
    pub title: String,
    /// Who it affects and how to get around it, in Swedish.
    pub description: String,
    /// The WCAG 2.1 success criteria not met, e.g. "1.4.3".
    pub wcag: Vec<String>,
    /// The pages (paths, `{id}` for any number) where it occurs.
    #[serde(default)]
    pub pages: Vec<String>,
    /// The axe-core rule that finds it; absent: found by a person, not by axe.
    #[serde(default)]
    pub axe_rule: Option<String>,
}

pub static STATEMENT: LazyLock<Statement> = LazyLock::new(|| {
    serde_json::from_str(STATEMENT_JSON).expect("crates/web/accessibility.json is valid")
});

// ---- The start page for a visitor ----

/// A KF goal and how many of the boards' goals serve it.
pub struct Promise {
    pub id: Id,
    pub title: String,
    pub depth: usize,
    pub serving: usize,
}

/// One decision's outcome: how the goals of a unit for a period were assessed.
pub struct Outcome {
    pub org_id: Id,
    pub org_name: String,
    pub period: String,
    /// Decided assessments per level, in the scale's order (best first); levels with none
    /// are left out.
    pub levels: Vec<(String, usize)>,
    /// The unit's own visible goals without a decided assessment for the period.
    pub unassessed: usize,
    pub overall: Option<String>,
    pub indicators: usize,
    /// The plain sentence that sums it up.
    pub sentence: String,
}

pub struct Board {
    pub id: Id,
    pub name: String,
    pub short_name: String,
    pub goals: usize,
}

#[derive(Template)]
#[template(path = "public_start.html")]
struct StartPage {
    municipality: String,
    vision: Option<String>,
    promises: Vec<Promise>,
    outcomes: Vec<Outcome>,
    areas: Vec<crate::areas::CompareRow>,
    boards: Vec<Board>,
    description: String,
}

/// `GET /` for a visitor: the start page in plain Swedish (signed-in people get
/// [`crate::pages::index`]'s organisation page).
pub async fn start(state: &AppState, viewer: &Viewer, uri: &OriginalUri) -> Result<Response> {
    let key = cache_key(viewer, uri);
    cached(state, &key, || async {
        let audience = audience(state, viewer).await?;
        let Audience::Public(decisions) = &audience else {
            unreachable!("the start page for visitors is only served to visitors")
        };
        let units = state.store.org_units().await?;
        let name_of: HashMap<Id, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
        let findable = followup::findable(&state.store, &audience).await?;
        let visible: HashSet<Id> = findable.goals.iter().map(|g| g.id).collect();
        let is_kf = |org: Id| {
            name_of
                .get(&org)
                .is_some_and(|u| u.kind == OrgKind::Fullmaktige)
        };

        // What the municipality promised: KF's goals the public may see, as a tree.
        let kf_goals: Vec<&Goal> = findable.goals.iter().filter(|g| is_kf(g.org_id)).collect();
        let mut promises = Vec::new();
        promise_tree(&kf_goals, &findable.goals, None, 0, &visible, &mut promises);

        // How it went: one entry per decision, newest first.
        let (scale, _) = state.store.assessment_config().await?;
        let mut assessments = state.store.all_assessments().await?;
        assessments.retain(|a| audience.sees_assessment(a));
        let mut locks: Vec<_> = decisions.locks().to_vec();
        locks.sort_by(|a, b| b.period.cmp(&a.period).then(a.org_id.cmp(&b.org_id)));
        let mut outcomes = Vec::new();
        for lock in &locks {
            let Some(unit) = name_of.get(&lock.org_id) else {
                continue;
            };
            let mine: Vec<_> = assessments
                .iter()
                .filter(|a| a.org_id == lock.org_id && a.period == lock.period)
                .collect();
            let mut counts: BTreeMap<usize, (String, usize)> = BTreeMap::new();
            let mut assessed_goals = HashSet::new();
            for a in mine.iter().filter(|a| a.goal_id.is_some()) {
                if !assessed_goals.insert(a.goal_id) {
                    continue;
                }
                let pos = scale.position(&a.level).unwrap_or(usize::MAX);
                counts.entry(pos).or_insert_with(|| (a.level.clone(), 0)).1 += 1;
            }
            // The unit's own goals the public sees, and how many of them it left unassessed.
            let own: Vec<Id> = findable
                .goals
                .iter()
                .filter(|g| g.org_id == lock.org_id)
                .map(|g| g.id)
                .collect();
            let unassessed = own
                .iter()
                .filter(|id| !assessed_goals.contains(&Some(**id)))
                .count();
            let indicators = findable
                .records
                .iter()
                .filter(|r| {
                    r.outcomes.iter().any(|o| o.period.covered_by(lock.period))
                        && findable
                            .goals
                            .iter()
                            .any(|g| g.id == r.indicator.goal_id && g.org_id == lock.org_id)
                })
                .count();
            let overall = mine
                .iter()
                .find(|a| a.goal_id.is_none())
                .map(|a| a.level.clone());
            let levels: Vec<(String, usize)> = counts.into_values().collect();
            let assessed = assessed_goals.len();
            outcomes.push(Outcome {
                org_id: lock.org_id,
                org_name: unit.name.clone(),
                period: lock.period.label_sv(),
                sentence: outcome_sentence(&unit.name, lock.period, assessed, unassessed, &levels),
                levels,
                unassessed,
                overall,
                indicators,
            });
        }

        // Per area: the decided indicators broken down by area.
        let records = crate::areas::visible_records(state, &audience).await?;
        let by_id: HashMap<Id, _> = records.iter().map(|r| (r.indicator.id, r)).collect();
        let areas = area::comparison(&records)
            .iter()
            .filter_map(|c| {
                by_id
                    .get(&c.indicator_id)
                    .map(|r| crate::areas::compare_row(r, c))
            })
            .collect();

        // The boards a decision covers, as their pages show them.
        let mut boards = Vec::new();
        for u in &units {
            if let Ok(Some(period)) = page_period(state, &audience, u.id, None).await {
                let v = followup::board(&state.store, u.id, Some(period), &audience).await?;
                let goals: usize = v.sections.iter().map(|s| s.goals.len()).sum();
                // A unit whose decided period holds no goals has nothing to show a resident.
                if goals > 0 {
                    boards.push(Board {
                        id: u.id,
                        name: u.name.clone(),
                        short_name: u.short_name.clone(),
                        goals,
                    });
                }
            }
        }
        let municipality = units
            .iter()
            .find(|u| u.parent_id.is_none())
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "Kommunen".into());
        let description = format!(
            "Vad {municipality} har lovat och hur det gick: {} mål som kommunfullmäktige har \
             beslutat och nämndernas beslutade bedömningar, i klarspråk.",
            promises.len()
        );
        Ok(StartPage {
            municipality,
            vision: state.store.vision().await?,
            promises,
            outcomes,
            areas,
            boards,
            description,
        }
        .render()?)
    })
    .await
}

/// KF's goals under `parent` (the top: goals whose parent is not one of them), each with
/// how many visible goals of other units serve it.
fn promise_tree(
    kf: &[&Goal],
    all: &[Goal],
    parent: Option<Id>,
    depth: usize,
    visible: &HashSet<Id>,
    out: &mut Vec<Promise>,
) {
    if depth > 10 {
        return;
    }
    let kf_ids: HashSet<Id> = kf.iter().map(|g| g.id).collect();
    for g in kf.iter().filter(|g| match parent {
        None => g.parent_id.is_none_or(|p| !kf_ids.contains(&p)),
        Some(p) => g.parent_id == Some(p),
    }) {
        out.push(Promise {
            id: g.id,
            title: g.title.clone(),
            depth,
            serving: all
                .iter()
                .filter(|c| {
                    c.parent_id == Some(g.id) && c.org_id != g.org_id && visible.contains(&c.id)
                })
                .count(),
        });
        promise_tree(kf, all, Some(g.id), depth + 1, visible, out);
    }
}

/// One plain sentence about a decision's assessments, honest about what is missing.
fn outcome_sentence(
    unit: &str,
    period: Period,
    assessed: usize,
    unassessed: usize,
    levels: &[(String, usize)],
) -> String {
    let when = period.label_sv();
    let goals_sv = |n: usize| {
        if n == 1 {
            "1 mål".to_string()
        } else {
            format!("{n} mål")
        }
    };
    if assessed == 0 {
        return format!(
            "{unit} har inte beslutat någon bedömning av sina mål för {when} i uppsikt. \
             Det som finns är beslutade utfall för måtten."
        );
    }
    let mut s = format!("{unit} bedömde {} för {when}.", goals_sv(assessed));
    if let Some((level, n)) = levels.iter().max_by_key(|(_, n)| *n) {
        s.push_str(&format!(
            " Det vanligaste omdömet var ”{level}” ({}).",
            goals_sv(*n)
        ));
    }
    if unassessed > 0 {
        s.push_str(&format!(
            " {} av dess egna mål saknar beslutad bedömning.",
            goals_sv(unassessed)
        ));
    }
    s
}

// ---- A KF goal's page: the boards' goals that serve it ----

/// A board's goal under a KF goal: its decided assessments and its indicators.
pub struct Serving {
    pub id: Id,
    pub title: String,
    pub unit: String,
    /// (period, level) of each decided assessment, newest first.
    pub assessments: Vec<(String, String)>,
    /// (id, name, latest value with its period, or "–").
    pub indicators: Vec<(Id, String, String)>,
}

/// The goals of other units that serve the goal `of` (`children` as its page shows them),
/// each with all its assessments and indicators the audience may see, newest first.
pub(crate) async fn serving(
    state: &AppState,
    audience: &Audience,
    of: &Goal,
    children: &[GoalSummary],
) -> Result<Vec<Serving>> {
    let units = state.store.org_units().await?;
    let short = |id: Id| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.short_name.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for c in children.iter().filter(|c| c.goal.org_id != of.org_id) {
        let g = &c.goal;
        let mut assessments = state.store.assessments_of_goal(g.id).await?;
        assessments.retain(|a| audience.sees_assessment(a) && a.org_id == g.org_id);
        assessments.retain(|a| a.stage == uppsikt_domain::model::Stage::Decided);
        assessments.sort_by_key(|a| std::cmp::Reverse(a.period));
        let mut indicators = Vec::new();
        for r in state
            .store
            .indicator_records(Scope::GoalTree(g.id))
            .await?
            .into_iter()
            .filter(|r| r.indicator.goal_id == g.id)
        {
            let r = audience.indicator(g.org_id, r);
            if !audience.sees_indicator(&r) {
                continue;
            }
            let latest = r
                .outcomes
                .iter()
                .filter(|o| o.breakdown == Breakdown::Total)
                .max_by_key(|o| o.period.last_day_number())
                .map(|o| {
                    format!(
                        "{} ({})",
                        format_value(o.value, r.indicator.decimals, &r.indicator.unit),
                        o.period.label_sv()
                    )
                })
                .unwrap_or_else(|| "–".into());
            indicators.push((r.indicator.id, r.indicator.name.clone(), latest));
        }
        out.push(Serving {
            id: g.id,
            title: g.title.clone(),
            unit: short(g.org_id),
            assessments: assessments
                .into_iter()
                .map(|a| (a.period.label_sv(), a.level))
                .collect(),
            indicators,
        });
    }
    Ok(out)
}

// ---- Share metadata ----

/// The share metadata of an HTML page (filled into `auth::SHARE_MARKER` after the cache):
/// Open Graph from the page's own `<title>` and description, and the canonical link and
/// `og:url` when the site's public origin is configured (`canonical`: origin and path).
pub(crate) fn share_tags(html: &str, canonical: Option<&str>) -> String {
    // Both are already escaped by the template; they are copied as they are.
    let title = between(html, "<title>", "</title>").unwrap_or("uppsikt");
    let description = between(html, "<meta name=\"description\" content=\"", "\">").unwrap_or("");
    let mut out = format!(
        "<meta property=\"og:title\" content=\"{}\">\
         <meta property=\"og:description\" content=\"{description}\">\
         <meta property=\"og:type\" content=\"website\">\
         <meta property=\"og:locale\" content=\"sv_SE\">\
         <meta property=\"og:site_name\" content=\"uppsikt\">",
        title.replace('"', "&#34;")
    );
    if let Some(url) = canonical {
        let url = escape(url);
        out.push_str(&format!(
            "<link rel=\"canonical\" href=\"{url}\"><meta property=\"og:url\" content=\"{url}\">"
        ));
    }
    out
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

/// The canonical address of a page at `path` with `query`: the configured origin and the
/// path, keeping only a `period` that is a period (other parameters make no other page).
pub(crate) fn canonical_url(origin: &str, path: &str, query: Option<&str>) -> String {
    let period = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.strip_prefix("period="))
            .find_map(|p| Period::parse(p).ok())
    });
    match period {
        Some(p) => format!("{origin}{path}?period={p}"),
        None => format!("{origin}{path}"),
    }
}

// ---- robots.txt and sitemap.xml ----

/// `GET /robots.txt`: crawlers may read the public pages, not the sign-in, the account
/// pages or the API (except its public part). Open; takes no input.
pub async fn robots(State(state): State<AppState>) -> Response {
    let mut body = String::from(
        "User-agent: *\n\
         Allow: /\n\
         Allow: /api/public\n\
         Disallow: /login\n\
         Disallow: /logout\n\
         Disallow: /konto\n\
         Disallow: /api\n",
    );
    if let Some(origin) = &state.canonical_origin {
        body.push_str(&format!("\nSitemap: {origin}/sitemap.xml\n"));
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `GET /sitemap.xml`: the public pages (start, boards, goals and indicators the one
/// public rule lets a visitor see, and the fixed pages). A sitemap names absolute
/// addresses, so without a configured public origin there is none (404). Open; takes no
/// input; always built as the public sees the site, whoever asks.
pub async fn sitemap(State(state): State<AppState>) -> Result<Response> {
    let Some(origin) = state.canonical_origin.clone() else {
        return Ok((
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Ingen webbplatskarta: tjänstens publika adress (--public-origin) är inte inställd.\n",
        )
            .into_response());
    };
    let xml = state
        .cache
        .get_or_build(
            "sitemap.xml",
            state.store.stamp(uppsikt_store::PageScope::All).await?,
            || async {
                let paths = public_paths(&state).await?;
                let mut xml = String::from(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                     <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
                );
                for p in paths {
                    xml.push_str(&format!(
                        "  <url><loc>{}</loc></url>\n",
                        escape(&format!("{origin}{p}"))
                    ));
                }
                xml.push_str("</urlset>\n");
                Ok::<String, crate::AppError>(xml)
            },
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        xml,
    )
        .into_response())
}

/// Every page a visitor can open, as paths.
async fn public_paths(state: &AppState) -> Result<Vec<String>> {
    let audience = Audience::Public(state.store.decisions().await?);
    let mut out: Vec<String> = [
        "/",
        "/sok",
        "/areas",
        "/economy",
        "/oppna-data",
        "/tillganglighet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for u in state.store.org_units().await? {
        if matches!(page_period(state, &audience, u.id, None).await, Ok(Some(_))) {
            out.push(format!("/org/{}", u.id));
        }
    }
    let findable = followup::findable(&state.store, &audience).await?;
    out.extend(findable.goals.iter().map(|g| format!("/goals/{}", g.id)));
    out.extend(
        findable
            .records
            .iter()
            .map(|r| format!("/indicators/{}", r.indicator.id)),
    );
    Ok(out)
}

// ---- The accessibility statement ----

#[derive(Template)]
#[template(path = "accessibility.html")]
struct StatementPage {
    statement: &'static Statement,
    contact: Option<Contact>,
}

/// `GET /tillganglighet`: the accessibility statement the DOS law requires, after DIGG's
/// model. Open to everyone; takes no input.
pub async fn statement(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
) -> Result<Response> {
    let key = cache_key(&viewer, &uri);
    cached(&state, &key, || async {
        Ok(StatementPage {
            statement: LazyLock::force(&STATEMENT),
            contact: state.accessibility_contact.as_deref().cloned(),
        }
        .render()?)
    })
    .await
}

/// The site's icon (so that browsers do not ask for a missing `/favicon.ico`).
pub const FAVICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" height=\"32\" rx=\"6\" fill=\"#1d4f73\"/><path d=\"M9 9v9a7 7 0 0 0 14 0V9h-4v9a3 3 0 0 1-6 0V9z\" fill=\"#fff\"/></svg>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_an_email_or_a_web_address() {
        assert_eq!(
            parse_accessibility_contact(" tillganglighet@kommun.se "),
            Ok(Contact::Email("tillganglighet@kommun.se".into()))
        );
        assert_eq!(
            parse_accessibility_contact("https://kommun.se/kontakt"),
            Ok(Contact::Web("https://kommun.se/kontakt".into()))
        );
        for bad in [
            "",
            "kommun.se",
            "a@b",
            "\"<x>\"@kommun.se",
            "a b@kommun.se",
            "javascript:alert(1)",
            "https://",
            "https://user@kommun.se/",
            &format!("{}@kommun.se", "a".repeat(300)),
        ] {
            assert!(parse_accessibility_contact(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_gaps_file_is_valid() {
        assert!(!STATEMENT.reviewed.is_empty());
        for g in &STATEMENT.gaps {
            assert!(!g.title.is_empty() && !g.wcag.is_empty(), "{g:?}");
        }
    }

    #[test]
    fn a_canonical_address_keeps_only_a_period() {
        assert_eq!(
            canonical_url("https://k.se", "/goals/3", Some("period=2019&x=<y>")),
            "https://k.se/goals/3?period=2019"
        );
        assert_eq!(
            canonical_url("https://k.se", "/goals/3", Some("period=\"><")),
            "https://k.se/goals/3"
        );
    }

    #[test]
    fn share_tags_copy_the_escaped_title_and_description() {
        let html = "<title>A &amp; &#34;B&#34; – uppsikt</title><meta name=\"description\" content=\"x &lt;y\">";
        let tags = share_tags(html, None);
        assert!(tags.contains("og:title\" content=\"A &amp; &#34;B&#34; – uppsikt\""));
        assert!(tags.contains("og:description\" content=\"x &lt;y\""));
        assert!(!tags.contains("canonical"));
    }
}
