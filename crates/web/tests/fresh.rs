//! Fresh under writes (issue 22): a write invalidates only the cached pages it can change,
//! and no page served after a write shows data from before it.
//!
//! The property test reads a sample of pages through a server with the page cache on (so
//! they are cached), makes one random write through the forms (an outcome, a goal's title
//! or parent, an indicator's name, an assessment, a commitment, a unit's review), then
//! reads every sampled page again through that server and through a second server over the
//! same database with the cache off: each must be the same, byte for byte. On both backends.

mod common;

use common::{apps, App, Session};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// The fields of the form at `action` on a page, as a browser would send them unchanged:
/// inputs (checked boxes only), textareas and each select's selected option.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action}"));
    let end = start + html[start..].find("</form>").expect("form ends");
    let form = &html[start..end];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let tag_end = rest.find('>').expect("tag ends");
        let tag = &rest[..=tag_end];
        let attrs = attributes(tag);
        let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        if tag.starts_with("<input") {
            let kind = get("type").unwrap_or_default();
            let checkable = kind == "checkbox" || kind == "radio";
            if let Some(name) = get("name") {
                if kind != "submit" && (!checkable || attrs.iter().any(|(k, _)| k == "checked")) {
                    out.push((name, get("value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let close = rest.find("</textarea>").expect("textarea ends");
            out.push((get("name").unwrap(), unescape(&rest[tag_end + 1..close])));
        } else if tag.starts_with("<select") {
            let close = rest.find("</select>").expect("select ends");
            let options = &rest[tag_end + 1..close];
            let chosen = option_values(options)
                .into_iter()
                .find(|(_, selected)| *selected)
                .or_else(|| option_values(options).into_iter().next())
                .map(|(v, _)| v)
                .unwrap_or_default();
            out.push((get("name").unwrap(), chosen));
        }
        rest = &rest[1..];
    }
    out
}

/// The values of the radio buttons `name` on a page.
fn radio_values(html: &str, name: &str) -> Vec<String> {
    html.split("<input")
        .skip(1)
        .map(|t| attributes(&format!("<input{}>", &t[..t.find('>').unwrap_or(t.len())])))
        .filter(|a| a.iter().any(|(k, v)| k == "type" && v == "radio"))
        .filter(|a| a.iter().any(|(k, v)| k == "name" && v == name))
        .filter_map(|a| a.into_iter().find(|(k, _)| k == "value").map(|(_, v)| v))
        .collect()
}

/// A select's options: (value, selected).
fn option_values(options: &str) -> Vec<(String, bool)> {
    options
        .split("<option")
        .skip(1)
        .map(|o| {
            let tag = &o[..o.find('>').unwrap_or(o.len())];
            let attrs = attributes(&format!("<option{tag}>"));
            let value = attrs
                .iter()
                .find(|(k, _)| k == "value")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            (value, attrs.iter().any(|(k, _)| k == "selected"))
        })
        .collect()
}

/// A tag's attributes (double-quoted values unescaped; bare ones with an empty value).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let inner = tag.trim_start_matches('<').trim_end_matches('>');
    let mut out = Vec::new();
    let mut chars = inner.char_indices().peekable();
    // Skip the tag name.
    while let Some((_, c)) = chars.peek() {
        if c.is_whitespace() {
            break;
        }
        chars.next();
    }
    loop {
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() || c == '/' {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        let name = inner[start..end].to_string();
        if chars.peek().is_some_and(|(_, c)| *c == '=') {
            chars.next();
            chars.next(); // the opening quote
            let mut value = String::new();
            for (_, c) in chars.by_ref() {
                if c == '"' {
                    break;
                }
                value.push(c);
            }
            out.push((name, unescape(&value)));
        } else {
            if name.is_empty() {
                chars.next();
                continue;
            }
            out.push((name, String::new()));
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// One write through a form.
#[derive(Debug, Clone)]
enum Write {
    Outcome(usize),
    GoalTitle(usize),
    GoalParent(usize, usize),
    IndicatorName(usize),
    Assessment(usize),
    Commitment(usize),
    Review(usize),
}

fn write_strategy() -> impl Strategy<Value = Write> {
    let i = 0usize..1000;
    prop_oneof![
        3 => i.clone().prop_map(Write::Outcome),
        2 => i.clone().prop_map(Write::GoalTitle),
        1 => (i.clone(), i.clone()).prop_map(|(a, b)| Write::GoalParent(a, b)),
        2 => i.clone().prop_map(Write::IndicatorName),
        2 => i.clone().prop_map(Write::Assessment),
        1 => i.clone().prop_map(Write::Commitment),
        1 => i.prop_map(Write::Review),
    ]
}

struct World {
    units: Vec<i64>,
    goals: Vec<i64>,
    indicators: Vec<i64>,
    commitments: Vec<i64>,
    /// The pages compared after every write.
    pages: Vec<String>,
}

impl World {
    async fn of(app: &App) -> World {
        let store = app.store();
        use uppsikt_store::Scope;
        let units: Vec<i64> = store
            .org_units()
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect();
        let goals: Vec<i64> = store.goals().await.unwrap().iter().map(|g| g.id).collect();
        let indicators: Vec<i64> = store
            .indicator_records(Scope::All)
            .await
            .unwrap()
            .iter()
            .map(|r| r.indicator.id)
            .collect();
        let commitments: Vec<i64> = store
            .commitments(Scope::All)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        let mut pages = vec!["/".to_string(), "/uppsikt".to_string()];
        pages.extend(units.iter().map(|u| format!("/org/{u}")));
        // Every third goal and every fifth indicator: units across the tree, and pages
        // whose unit the random write often is not.
        pages.extend(goals.iter().step_by(3).map(|g| format!("/goals/{g}")));
        pages.extend(
            indicators
                .iter()
                .step_by(5)
                .map(|i| format!("/indicators/{i}")),
        );
        World {
            units,
            goals,
            indicators,
            commitments,
            pages,
        }
    }
}

/// Sends a form as it is on the page at `page`, after `change` has edited its fields;
/// the answer's status.
async fn edit(
    app: &App,
    s: &Session,
    page: &str,
    action: &str,
    change: impl FnOnce(&mut Vec<(String, String)>),
) -> u16 {
    let (status, html) = app.get_as(Some(s), page).await;
    assert_eq!(status, 200, "{page}");
    let mut fields = form_fields(&html, action);
    fields.retain(|(k, _)| k != "csrf");
    change(&mut fields);
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_as(Some(s), action, &form).await.0
}

fn set(fields: &mut [(String, String)], name: &str, f: impl FnOnce(&str) -> String) {
    let field = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("field {name}"));
    field.1 = f(&field.1);
}

/// Makes one write; whether it was saved (a form may refuse, e.g. a goal as its own
/// parent's parent).
async fn write(app: &App, s: &Session, world: &World, w: &Write, n: usize) -> bool {
    let pick = |list: &[i64], i: usize| list[i % list.len()];
    let mark = format!("ändrad {n}");
    let status = match *w {
        Write::Outcome(i) => {
            let ind = pick(&world.indicators, i);
            let period = format!("{}W{:02}", 2100 + n / 52, n % 52 + 1);
            let value = (n % 97).to_string();
            app.post_as(
                Some(s),
                &format!("/indicators/{ind}/outcome"),
                &[
                    ("period", &period),
                    ("breakdown", "total"),
                    ("value", &value),
                    ("margin", ""),
                    ("sample_size", ""),
                ],
            )
            .await
            .0
        }
        Write::GoalTitle(i) => {
            let g = pick(&world.goals, i);
            let path = format!("/goals/{g}/edit");
            edit(app, s, &path, &path, |f| {
                set(f, "title", |t| format!("{t} ({mark})"))
            })
            .await
        }
        Write::GoalParent(i, j) => {
            let g = pick(&world.goals, i);
            let path = format!("/goals/{g}/edit");
            let (_, html) = app.get_as(Some(s), &path).await;
            let start = html.find("name=\"parent\"").expect("parent select");
            let options = &html[start..start + html[start..].find("</select>").unwrap()];
            let values = option_values(options);
            let value = values[j % values.len()].0.clone();
            edit(app, s, &path, &path, |f| set(f, "parent", |_| value)).await
        }
        Write::IndicatorName(i) => {
            let ind = pick(&world.indicators, i);
            let path = format!("/indicators/{ind}/edit");
            edit(app, s, &path, &path, |f| {
                set(f, "name", |t| format!("{t} ({mark})"))
            })
            .await
        }
        Write::Assessment(i) => {
            let g = pick(&world.goals, i);
            let action = format!("/goals/{g}/assessment");
            let page = format!("{action}?period=2019");
            let (_, html) = app.get_as(Some(s), &page).await;
            let levels = radio_values(&html, "level");
            let level = levels[n % levels.len()].clone();
            edit(app, s, &page, &action, |f| {
                f.retain(|(k, _)| k != "level");
                f.push(("level".into(), level));
                set(f, "motivation", |_| format!("Motivering {mark}"))
            })
            .await
        }
        Write::Commitment(i) => {
            if world.commitments.is_empty() {
                return false;
            }
            let c = pick(&world.commitments, i);
            let path = format!("/commitments/{c}/edit");
            edit(app, s, &path, &path, |f| {
                set(f, "title", |t| format!("{t} ({mark})"))
            })
            .await
        }
        Write::Review(i) => {
            let u = pick(&world.units, i);
            let action = format!("/org/{u}/review");
            let page = format!("{action}?period=2019");
            edit(app, s, &page, &action, |f| {
                set(f, "events", |_| format!("Händelse {mark}"))
            })
            .await
        }
    };
    status == 303
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_served_after_a_write_shows_data_from_before_it() {
    for app in apps().await {
        let s = app.session_for("controller").await;
        let fresh = app
            .twin(uppsikt_web::ServerOptions {
                page_cache: false,
                ..Default::default()
            })
            .await;
        let world = World::of(&app).await;
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(6);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let saved = std::sync::atomic::AtomicUsize::new(0);
        let n = std::sync::atomic::AtomicUsize::new(0);
        let handle = tokio::runtime::Handle::current();
        let writes = prop::collection::vec(write_strategy(), 1..4);
        let result = tokio::task::block_in_place(|| {
            runner.run(&writes, |writes| {
                handle.block_on(async {
                    // Cache every sampled page, as readers would.
                    for page in &world.pages {
                        let (status, _) = app.get_as(Some(&s), page).await;
                        prop_assert_eq!(status, 200, "{}", page);
                    }
                    for w in &writes {
                        let k = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let ok = write(&app, &s, &world, w, k).await;
                        if ok {
                            saved.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        eprintln!("{w:?} saved: {ok}");
                        for page in &world.pages {
                            let cached = app.get_as(Some(&s), page).await;
                            let url = format!("{}{page}", fresh.base);
                            let r = app
                                .client
                                .get(url)
                                .header("cookie", &s.cookie)
                                .send()
                                .await
                                .unwrap();
                            let built = (r.status().as_u16(), r.text().await.unwrap());
                            if cached != built {
                                return Err(TestCaseError::fail(format!(
                                    "{page} after {w:?} is not current: cached {} bytes, built {} bytes",
                                    cached.1.len(),
                                    built.1.len()
                                )));
                            }
                        }
                    }
                    Ok(())
                })
            })
        });
        if let Err(e) = result {
            panic!("{:?}: {e}", app.db.backend());
        }
        // The property was tested against writes that happened.
        assert!(
            saved.load(std::sync::atomic::Ordering::SeqCst) > 0,
            "no write was saved"
        );
        drop(fresh);
        app.finish().await;
    }
}

/// A write to one board's indicator leaves another board's cached page as it was, and
/// changes its own board, the boards above it and its indicator's page.
#[tokio::test]
async fn a_write_invalidates_its_unit_and_those_above_not_a_sibling() {
    use uppsikt_domain::object_kind::ObjectKind;
    use uppsikt_store::PageScope;
    for app in apps().await {
        let store = app.store();
        let units = store.org_units().await.unwrap();
        // An indicator of a unit that has a unit beside it (neither above nor below).
        let beside = |unit: i64| {
            units.iter().find(|u| {
                u.id != unit
                    && u.parent_id.is_some()
                    && !is_above(&units, u.id, unit)
                    && !is_above(&units, unit, u.id)
            })
        };
        let mut found = None;
        for r in store
            .indicator_records(uppsikt_store::Scope::All)
            .await
            .unwrap()
        {
            let unit = store
                .owning_unit(ObjectKind::Indicator, r.indicator.id)
                .await
                .unwrap();
            if let Some(sibling) = beside(unit) {
                found = Some((r.indicator.id, unit, sibling.id));
                break;
            }
        }
        let (ind, unit, sibling) = found.expect("an indicator with a unit beside its own");
        let root = units.iter().find(|u| u.parent_id.is_none()).unwrap().id;
        let stamps = async |store: &uppsikt_store::Store| {
            (
                store.stamp(PageScope::Unit(unit)).await.unwrap(),
                store.stamp(PageScope::Unit(root)).await.unwrap(),
                store.stamp(PageScope::Unit(sibling)).await.unwrap(),
                store
                    .stamp(PageScope::Object(ObjectKind::Indicator, ind))
                    .await
                    .unwrap(),
                store.stamp(PageScope::All).await.unwrap(),
            )
        };
        let before = stamps(store).await;
        let (status, _, _) = app
            .post(
                &format!("/indicators/{ind}/outcome"),
                &[
                    ("period", "2099W01"),
                    ("breakdown", "total"),
                    ("value", "5"),
                    ("margin", ""),
                    ("sample_size", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let after = stamps(store).await;
        assert_ne!(before.0, after.0, "its unit");
        assert_ne!(before.1, after.1, "the root above it");
        assert_eq!(before.2, after.2, "a unit beside it");
        assert_ne!(before.3, after.3, "its indicator's page");
        assert_eq!(after.0, after.3, "an indicator's page goes with its unit");
        assert_ne!(before.4, after.4, "the pages that show everything");
        // A write that is no one unit's (a unit's review) changes every unit's pages.
        let (status, _, _) = app
            .post(
                &format!("/org/{sibling}/review"),
                &[
                    ("period", "2019"),
                    ("events", "Händelse"),
                    ("improvement_areas", ""),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let global = stamps(store).await;
        assert_ne!(after.0, global.0);
        assert_ne!(after.2, global.2);
        app.finish().await;
    }
}

/// Whether `a` is above `b` in the unit tree.
fn is_above(units: &[uppsikt_domain::model::OrgUnit], a: i64, b: i64) -> bool {
    let parent = |u: i64| units.iter().find(|x| x.id == u).and_then(|x| x.parent_id);
    let mut at = b;
    while let Some(p) = parent(at) {
        if p == a {
            return true;
        }
        at = p;
    }
    false
}
