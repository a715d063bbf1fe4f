//! Unit tests of parsing and validation: each rule of the format, the location it is
//! reported at, and the Swedish message from `uppsikt_domain::messages`.

use uppsikt_domain::messages::{self, Expected, Referent};
use uppsikt_domain::model::{GoalKind, Stage};
use uppsikt_domain::{AssessmentScale, Breakdown, CommitmentStatus, Frequency, Period, Target};

use crate::resolve::{check_levels, check_references, Existing};
use crate::*;

/// A small valid document; tests change one thing in it.
const VALID: &str = r#"format = "uppsikt/1"

[[org_units]]
key = "kommun"
name = "Exempel kommun"
short_name = "Kommun"
kind = "kommun"

[[org_units]]
key = "ks"
name = "Kommunstyrelsen"
short_name = "KS"
kind = "styrelse"
parent = "kommun"

[[goals]]
key = "bo"
org = "kommun"
title = "Bra att leva och bo"

[[goals]]
key = "trygghet"
org = "ks"
parent = "bo"
title = "Ökad trygghet"

[[indicators]]
key = "tryggt"
goal = "trygghet"
name = "Andel som känner sig trygga"
unit = "%"
direction = "higher"
outcomes = [
  { period = "2018", value = 70 },
  { period = "2018", breakdown = "women", value = 61 },
  { period = "2019", value = "71,5" },
]
milestones = [{ year = 2019, target = "Öka" }]
comparisons = [{ period = "2019", group = "Riket", rank = 13, of = 19 }]

[[commitments]]
key = "plan"
goal = "trygghet"
title = "Trygghetsplan"
year = 2019
statuses = [{ date = "2019-12-31", status = "Ej klart i år" }]

[[assessments]]
org = "ks"
goal = "trygghet"
period = "2019"
level = "God"
"#;

fn ok(text: &str) -> DataSet {
    parse_str("t.toml", text).unwrap_or_else(|r| panic!("{r}"))
}

fn errors(text: &str) -> Vec<RowError> {
    parse_str("t.toml", text)
        .expect_err("should be refused")
        .errors
}

/// The one error of `text`; fails if there is none or more than one.
fn one_error(text: &str) -> (String, String) {
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].file, "t.toml");
    (errs[0].location.clone(), errs[0].message.clone())
}

fn replace(from: &str, to: &str) -> String {
    assert_eq!(VALID.matches(from).count(), 1, "{from:?} must occur once");
    VALID.replace(from, to)
}

#[test]
fn the_valid_document_parses_with_documented_defaults() {
    let d = ok(VALID);
    assert_eq!(
        (d.org_units.len(), d.goals.len(), d.indicators.len()),
        (2, 2, 1)
    );
    assert_eq!(d.goals[0].kind, GoalKind::Overall, "no parent: overall");
    assert_eq!(d.goals[1].kind, GoalKind::Board, "with parent: board");
    assert_eq!(
        d.goals[0].position, None,
        "file order is applied when loading"
    );
    let ind = &d.indicators[0];
    assert_eq!((ind.decimals, ind.frequency), (0, Frequency::Year));
    assert_eq!(ind.outcomes[0].breakdown, Breakdown::Total);
    assert_eq!(ind.outcomes[1].breakdown, Breakdown::Women);
    assert_eq!(ind.milestones, vec![(2019, Target::Increase)]);
    assert_eq!(
        d.commitments[0].statuses[0].status,
        CommitmentStatus::NotDoneThisYear
    );
    assert_eq!(d.assessments[0].stage, Stage::Decided);
}

#[test]
fn decimal_comma_string_values_are_accepted() {
    let d = ok(&replace(r#"value = "71,5""#, r#"value = "88,7""#));
    assert_eq!(d.indicators[0].outcomes[2].value, 88.7);
    assert_eq!(d.indicators[0].outcomes[2].period, Period::Year(2019));
}

#[test]
fn a_bad_period_is_reported_at_its_row() {
    let (at, msg) = one_error(&replace(
        r#"period = "2019", value = "71,5""#,
        r#"period = "2019X", value = "71,5""#,
    ));
    assert_eq!(at, "indicators[0].outcomes[2].period");
    assert_eq!(msg, messages::period(&Period::parse("2019X").unwrap_err()));
    assert!(msg.contains("är ingen period"), "{msg}");
}

#[test]
fn a_bad_breakdown_is_reported() {
    let (at, msg) = one_error(&replace(
        r#"breakdown = "women""#,
        r#"breakdown = "kvinnor""#,
    ));
    assert_eq!(at, "indicators[0].outcomes[1].breakdown");
    assert_eq!(
        msg,
        messages::breakdown(&Breakdown::parse("kvinnor").unwrap_err())
    );
}

#[test]
fn a_bad_target_is_reported() {
    let (at, msg) = one_error(&replace(r#"target = "Öka""#, r#"target = "bättre""#));
    assert_eq!(at, "indicators[0].milestones[0].target");
    assert_eq!(msg, messages::target(&Target::parse("bättre").unwrap_err()));
}

#[test]
fn milestone_targets_accept_comparators_and_bare_numbers() {
    let d = ok(&replace(
        r#"target = "Öka" }]"#,
        r#"target = "≥850" }, { year = 2020, target = 93.7 }]"#,
    ));
    assert!(
        matches!(d.indicators[0].milestones[0].1, Target::Value { value, .. } if value == 850.0)
    );
    assert!(
        matches!(d.indicators[0].milestones[1].1, Target::Value { value, .. } if value == 93.7)
    );
}

#[test]
fn a_bad_status_is_reported() {
    let (at, msg) = one_error(&replace(
        r#"status = "Ej klart i år""#,
        r#"status = "Färdig""#,
    ));
    assert_eq!(at, "commitments[0].statuses[0].status");
    assert_eq!(msg, messages::unknown_status("Färdig"));
}

#[test]
fn a_bad_date_is_reported() {
    let (at, msg) = one_error(&replace(r#"date = "2019-12-31""#, r#"date = "2019-02-30""#));
    assert_eq!(at, "commitments[0].statuses[0].date");
    assert_eq!(msg, messages::not_a_date("2019-02-30"));
}

#[test]
fn a_percentage_outside_0_to_100_is_refused() {
    let (at, msg) = one_error(&replace(
        r#"breakdown = "women", value = 61"#,
        r#"breakdown = "women", value = 101"#,
    ));
    assert_eq!(at, "indicators[0].outcomes[1].value");
    assert_eq!(msg, messages::percent_out_of_range(101.0));
    assert!(msg.contains("mellan 0 och 100"), "{msg}");
    // The same value is fine for an index.
    ok(&replace(
        r#"breakdown = "women", value = 61"#,
        r#"breakdown = "women", value = 101"#,
    )
    .replace(r#"unit = "%""#, r#"unit = "index""#));
}

#[test]
fn too_long_texts_are_refused_not_truncated() {
    let title = "å".repeat(NAME_MAX + 1);
    let (at, msg) = one_error(&replace(
        r#"title = "Ökad trygghet""#,
        &format!(r#"title = "{title}""#),
    ));
    assert_eq!(at, "goals[1].title");
    assert_eq!(msg, messages::too_long(NAME_MAX));
    let exactly = "å".repeat(NAME_MAX);
    assert_eq!(
        ok(&replace(
            r#"title = "Ökad trygghet""#,
            &format!(r#"title = "{exactly}""#)
        ))
        .goals[1]
            .title,
        exactly
    );
    let text = "x".repeat(TEXT_MAX + 1);
    let (at, msg) = one_error(&replace(
        r#"title = "Trygghetsplan""#,
        &format!("title = \"Trygghetsplan\"\ndescription = \"{text}\""),
    ));
    assert_eq!(at, "commitments[0].description");
    assert_eq!(msg, messages::too_long(TEXT_MAX));
}

#[test]
fn a_missing_required_field_is_reported() {
    let (at, msg) = one_error(&replace("name = \"Kommunstyrelsen\"\n", ""));
    assert_eq!(at, "org_units[1].name");
    assert_eq!(msg, messages::REQUIRED);
    let (at, _) = one_error(&replace("year = 2019\n", ""));
    assert_eq!(at, "commitments[0].year");
}

#[test]
fn a_toml_syntax_error_is_reported_with_line_and_column() {
    let broken = replace("key = \"ks\"", "key = \"ks");
    let (at, msg) = one_error(&broken);
    let line = VALID.lines().position(|l| l == "key = \"ks\"").unwrap() + 1;
    assert!(at.starts_with(&format!("rad {line}, kolumn ")), "{at}");
    assert!(msg.starts_with(&messages::toml_syntax("")), "{msg}");
}

#[test]
fn keys_must_be_lower_case_slugs() {
    let (at, msg) = one_error(&replace(r#"key = "plan""#, r#"key = "Plan 2019""#));
    assert_eq!(at, "commitments[0].key");
    assert_eq!(msg, messages::invalid_key("Plan 2019", KEY_MAX));
}

#[test]
fn duplicate_keys_are_reported_with_the_first_place() {
    let doc = format!("{VALID}\n[[goals]]\nkey = \"bo\"\norg = \"kommun\"\ntitle = \"Igen\"\n");
    let (at, msg) = one_error(&doc);
    assert_eq!(at, "goals[2].key");
    assert_eq!(
        msg,
        messages::duplicate_key(Referent::Goal, "bo", "goals[0].key")
    );
}

#[test]
fn duplicate_keys_across_files_name_the_other_file() {
    let dir = std::env::temp_dir().join(format!("uppsikt-import-dup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.toml"), dir.join("b.toml"));
    std::fs::write(&a, VALID).unwrap();
    std::fs::write(
        &b,
        "format = \"uppsikt/1\"\n[[goals]]\nkey = \"bo\"\norg = \"kommun\"\ntitle = \"X\"\n",
    )
    .unwrap();
    let report = parse_files(&[a.clone(), b.clone()]).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(report.errors.len(), 1, "{report}");
    let e = &report.errors[0];
    assert_eq!(
        (e.file.as_str(), e.location.as_str()),
        (b.display().to_string().as_str(), "goals[0].key")
    );
    let first = format!("{}: goals[0].key", a.display());
    assert_eq!(
        e.message,
        messages::duplicate_key(Referent::Goal, "bo", &first)
    );
}

#[test]
fn duplicate_outcomes_and_milestone_years_are_refused() {
    let (at, msg) = one_error(&replace(
        r#"{ period = "2019", value = "71,5" }"#,
        r#"{ period = "2018", value = "71,5" }"#,
    ));
    assert_eq!(at, "indicators[0].outcomes[2]");
    assert_eq!(
        msg,
        messages::duplicate_outcome("2018", "total", "indicators[0].outcomes[0]")
    );
    let (at, msg) = one_error(&replace(
        r#"target = "Öka" }]"#,
        r#"target = "Öka" }, { year = 2019, target = ">5" }]"#,
    ));
    assert_eq!(at, "indicators[0].milestones[1]");
    assert_eq!(
        msg,
        messages::duplicate_year(2019, "indicators[0].milestones[0]")
    );
}

#[test]
fn a_rank_needs_of_and_must_lie_within_it() {
    let (at, msg) = one_error(&replace("rank = 13, of = 19", "rank = 13"));
    assert_eq!(at, "indicators[0].comparisons[0].of");
    assert_eq!(msg, messages::rank_without_of());
    let (at, msg) = one_error(&replace("rank = 13, of = 19", "rank = 20, of = 19"));
    assert_eq!(at, "indicators[0].comparisons[0].rank");
    assert_eq!(msg, messages::rank_out_of_range(20, 19));
    let (at, msg) = one_error(&replace("rank = 13, of = 19", "rank = 0, of = 19"));
    assert_eq!(at, "indicators[0].comparisons[0].rank");
    assert_eq!(msg, messages::out_of_range(1, i64::MAX));
}

#[test]
fn a_rank_and_an_average_in_separate_rows_are_merged() {
    let d = ok(&replace(
        "rank = 13, of = 19 }]",
        "rank = 13, of = 19 }, { period = \"2019\", group = \"Riket\", average = 45 }]",
    ));
    let c = &d.indicators[0].comparisons;
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].rank, c[0].of, c[0].average),
        (Some(13), Some(19), Some(45.0))
    );
    let (at, _) = one_error(&replace(
        "rank = 13, of = 19 }]",
        "rank = 13, of = 19 }, { period = \"2019\", group = \"Riket\", rank = 12, of = 19 }]",
    ));
    assert_eq!(at, "indicators[0].comparisons[1]");
}

#[test]
fn unknown_fields_and_wrong_types_are_reported() {
    let (at, msg) = one_error(&replace(
        "title = \"Trygghetsplan\"",
        "titel = \"Trygghetsplan\"\ntitle = \"T\"",
    ));
    assert_eq!(at, "commitments[0].titel");
    assert_eq!(msg, messages::unknown_field("titel"));
    let (at, msg) = one_error(&replace("year = 2019\n", "year = \"tjugo\"\n"));
    assert_eq!(at, "commitments[0].year");
    assert_eq!(msg, messages::wrong_type(Expected::Integer));
}

#[test]
fn the_format_line_is_required() {
    let (at, msg) = one_error(&replace("format = \"uppsikt/1\"", ""));
    assert_eq!(at, "format");
    assert_eq!(msg, messages::missing_format(FORMAT));
    let (_, msg) = one_error(&replace("format = \"uppsikt/1\"", "format = \"uppsikt/2\""));
    assert_eq!(msg, messages::unsupported_format("uppsikt/2", FORMAT));
}

#[test]
fn every_error_is_collected_not_just_the_first() {
    let doc = replace(
        r#"period = "2019", value = "71,5""#,
        r#"period = "2019X", value = "x""#,
    )
    .replace(r#"status = "Ej klart i år""#, r#"status = "?""#)
    .replace("kind = \"styrelse\"", "kind = \"nämnd\"");
    let locations: Vec<String> = errors(&doc).into_iter().map(|e| e.location).collect();
    assert_eq!(
        locations,
        [
            "org_units[1].kind",
            "indicators[0].outcomes[2].period",
            "indicators[0].outcomes[2].value",
            "commitments[0].statuses[0].status"
        ]
    );
}

#[test]
fn unknown_references_are_found_before_anything_is_written() {
    let doc = replace(
        r#"goal = "trygghet"
title = "Trygghetsplan""#,
        r#"goal = "saknas"
title = "Trygghetsplan""#,
    )
    .replace("parent = \"kommun\"", "parent = \"region\"");
    let errs = check_references(&ok(&doc), &Existing::default()).0;
    let found: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.location.as_str(), e.message.as_str()))
        .collect();
    let region = messages::unknown_reference(Referent::OrgUnit, "region");
    let goal = messages::unknown_reference(Referent::Goal, "saknas");
    assert_eq!(
        found,
        [
            ("org_units[1].parent", region.as_str()),
            ("commitments[0].goal", goal.as_str())
        ]
    );
    assert!(check_references(&ok(VALID), &Existing::default())
        .0
        .is_empty());
}

#[test]
fn cycles_in_the_goal_tree_are_refused() {
    let doc = replace(
        "key = \"bo\"\norg = \"kommun\"",
        "key = \"bo\"\norg = \"kommun\"\nparent = \"trygghet\"",
    );
    let errs = check_references(&ok(&doc), &Existing::default()).0;
    let locations: Vec<&str> = errs.iter().map(|e| e.location.as_str()).collect();
    assert_eq!(locations, ["goals[0].parent", "goals[1].parent"]);
    assert_eq!(
        errs[0].message,
        messages::reference_cycle(Referent::Goal, "bo")
    );
}

#[test]
fn assessment_levels_must_be_on_the_scale_in_any_case() {
    let scale = AssessmentScale::huddinge();
    assert!(check_levels(
        &ok(&replace("level = \"God\"", "level = \"ej GODTAGBAR\"")),
        &scale
    )
    .0
    .is_empty());
    let errs = check_levels(
        &ok(&replace("level = \"God\"", "level = \"Uppfyllt\"")),
        &scale,
    )
    .0;
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].location, "assessments[0].level");
    assert_eq!(
        errs[0].message,
        messages::unknown_level("Uppfyllt", &scale.levels)
    );
}

#[test]
fn demo_files_come_organisation_first() {
    let files = demo_files(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo"
    )));
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("huddinge.toml"));
    assert_eq!(names.last().map(String::as_str), Some("decisions.toml"));
    let mut rest = names[1..names.len() - 1].to_vec();
    rest.sort();
    assert_eq!(names[1..names.len() - 1], rest[..]);
    assert!(names.len() >= 4);
}

#[test]
fn the_built_in_demo_is_the_demo_directory() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo"));
    let files = demo_files(dir);
    let built_in: Vec<(&str, &str)> = DEMO.iter().copied().chain([DEMO_DECISIONS]).collect();
    assert_eq!(files.len(), built_in.len(), "add new demo files to DEMO");
    for (path, (name, text)) in files.iter().zip(built_in) {
        assert!(
            name.ends_with(&*path.file_name().unwrap().to_string_lossy()),
            "{name} vs {path:?}"
        );
        assert_eq!(&std::fs::read_to_string(path).unwrap(), text);
    }
    let data = parse_texts(DEMO).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(data.org_units.len(), 25);
}

// --- Kolada settings and comparison groups ---------------------------------------------

/// Our municipality in Kolada and two comparison groups, appended to [`VALID`].
const KOLADA: &str = r#"
[kolada]
municipality = "0126"
api_url = "https://api.kolada.se/v3/"

[[comparison_groups]]
key = "lan"
title = "Stockholms län"
kolada_id = "G100001"

[[comparison_groups]]
key = "sodertorn"
title = "Södertörn"
members = ["0127", "0136", "0126"]
"#;

/// [`VALID`] with [`KOLADA`], its indicator linked to a KPI and compared against both groups.
fn with_kolada() -> String {
    replace(
        "direction = \"higher\"\n",
        "direction = \"higher\"\nkolada_kpi = \"U07414\"\ncomparison_groups = [\"lan\", \"sodertorn\"]\n",
    ) + KOLADA
}

/// [`with_kolada`] with one change.
fn kolada_with(from: &str, to: &str) -> String {
    let doc = with_kolada();
    assert_eq!(doc.matches(from).count(), 1, "{from:?} must occur once");
    doc.replace(from, to)
}

fn m(id: &str) -> uppsikt_domain::kolada::MunicipalityId {
    uppsikt_domain::kolada::MunicipalityId::parse(id).unwrap()
}

fn keys(list: &[&str]) -> Vec<Key> {
    list.iter().map(|k| Key::parse(k).unwrap()).collect()
}

#[test]
fn kolada_settings_and_comparison_groups_parse() {
    let d = ok(&with_kolada());
    assert_eq!(d.kolada.len(), 1);
    assert_eq!(d.kolada[0].municipality, m("0126"));
    assert_eq!(
        d.kolada[0].api_url.as_deref(),
        Some("https://api.kolada.se/v3"),
        "stored without the trailing slash"
    );
    assert_eq!(d.kolada[0].origin.location, "kolada");
    let g = &d.comparison_groups;
    assert_eq!(g.len(), 2);
    assert_eq!(
        (
            g[0].key.as_str(),
            g[0].title.as_str(),
            g[0].kolada_id.as_deref()
        ),
        ("lan", "Stockholms län", Some("G100001"))
    );
    assert!(
        g[0].members.is_empty(),
        "a Kolada group may wait for its members"
    );
    assert_eq!(g[1].kolada_id, None);
    assert_eq!(g[1].members, vec![m("0127"), m("0136"), m("0126")]);
    assert_eq!(g[1].origin.location, "comparison_groups[1]");
    let ind = &d.indicators[0];
    assert_eq!(ind.kolada_kpi, "U07414");
    assert_eq!(ind.comparison_groups, Some(keys(&["lan", "sodertorn"])));
    assert_eq!(
        ok(VALID).indicators[0].comparison_groups,
        None,
        "absent: the stored groups are left as they are"
    );
    assert!(ok(VALID).kolada.is_empty() && ok(VALID).comparison_groups.is_empty());
}

#[test]
fn the_kolada_table_needs_our_municipality_as_four_digits_in_text() {
    let (at, msg) = one_error(&kolada_with(
        "municipality = \"0126\"",
        "municipality = \"126\"",
    ));
    assert_eq!(at, "kolada.municipality");
    assert_eq!(msg, messages::invalid_municipality_id("126"));
    let (at, msg) = one_error(&kolada_with(
        "municipality = \"0126\"",
        "municipality = 126",
    ));
    assert_eq!(at, "kolada.municipality");
    assert_eq!(msg, messages::wrong_type(Expected::Text));
    let (at, msg) = one_error(&kolada_with("municipality = \"0126\"\n", ""));
    assert_eq!(at, "kolada.municipality");
    assert_eq!(msg, messages::REQUIRED);
    let (at, msg) = one_error(&kolada_with(
        "api_url = \"https://api.kolada.se/v3/\"",
        "api_url = \"api.kolada.se\"",
    ));
    assert_eq!(at, "kolada.api_url");
    assert_eq!(msg, messages::invalid_api_url("api.kolada.se"));
    let (at, _) = one_error(&kolada_with(
        "api_url = \"https://api.kolada.se/v3/\"",
        "api_url = \"ftp://kolada.se\"",
    ));
    assert_eq!(at, "kolada.api_url");
    let (at, msg) = one_error(&kolada_with("[kolada]\n", "[kolada]\nkommun = \"0126\"\n"));
    assert_eq!(at, "kolada.kommun");
    assert_eq!(msg, messages::unknown_field("kommun"));
    let d = ok(&kolada_with(
        "api_url = \"https://api.kolada.se/v3/\"\n",
        "",
    ));
    assert_eq!(
        d.kolada[0].api_url, None,
        "omitted: the stored address is kept"
    );
    let (at, msg) = one_error("format = \"uppsikt/1\"\nkolada = \"0126\"\n");
    assert_eq!(at, "kolada");
    assert_eq!(msg, messages::wrong_type(Expected::Table));
}

#[test]
fn a_custom_group_needs_members_a_kolada_group_does_not() {
    let (at, msg) = one_error(&kolada_with(
        "members = [\"0127\", \"0136\", \"0126\"]\n",
        "",
    ));
    assert_eq!(at, "comparison_groups[1].members");
    assert_eq!(msg, messages::custom_group_needs_members());
    let (at, _) = one_error(&kolada_with(
        "members = [\"0127\", \"0136\", \"0126\"]",
        "members = []",
    ));
    assert_eq!(at, "comparison_groups[1].members");
    // Listing a Kolada group's members is allowed (until Kolada's replace them).
    let d = ok(&kolada_with(
        "kolada_id = \"G100001\"",
        "kolada_id = \"G100001\"\nmembers = [\"0126\"]",
    ));
    assert_eq!(d.comparison_groups[0].members, vec![m("0126")]);
}

#[test]
fn group_members_and_kolada_ids_are_checked_one_by_one() {
    let errs = errors(&kolada_with(
        "members = [\"0127\", \"0136\", \"0126\"]",
        "members = [\"0127\", \"136\", \"0127\", 126, \"G0126\"]",
    ));
    let found: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.location.as_str(), e.message.as_str()))
        .collect();
    let (bad, twice, number, group) = (
        messages::invalid_municipality_id("136"),
        messages::duplicate_in_list("0127"),
        messages::wrong_type(Expected::Text),
        messages::invalid_municipality_id("G0126"),
    );
    assert_eq!(
        found,
        [
            ("comparison_groups[1].members[1]", bad.as_str()),
            ("comparison_groups[1].members[2]", twice.as_str()),
            ("comparison_groups[1].members[3]", number.as_str()),
            ("comparison_groups[1].members[4]", group.as_str()),
        ],
        "wrong members are not reported once more as missing"
    );
    let (at, msg) = one_error(&kolada_with(
        "kolada_id = \"G100001\"",
        "kolada_id = \"100001\"",
    ));
    assert_eq!(at, "comparison_groups[0].kolada_id");
    assert_eq!(msg, messages::invalid_group_id("100001"));
    let (at, msg) = one_error(&kolada_with(
        "members = [\"0127\", \"0136\", \"0126\"]",
        "members = \"0127\"",
    ));
    assert_eq!(at, "comparison_groups[1].members");
    assert_eq!(msg, messages::wrong_type(Expected::List));
}

#[test]
fn group_keys_and_titles_follow_the_rules_of_keys_and_names() {
    let (at, msg) = one_error(&kolada_with("key = \"sodertorn\"", "key = \"Södertörn\""));
    assert_eq!(at, "comparison_groups[1].key");
    assert_eq!(msg, messages::invalid_key("Södertörn", KEY_MAX));
    let long = "ö".repeat(NAME_MAX + 1);
    let (at, msg) = one_error(&kolada_with(
        "title = \"Södertörn\"",
        &format!("title = \"{long}\""),
    ));
    assert_eq!(at, "comparison_groups[1].title");
    assert_eq!(msg, messages::too_long(NAME_MAX));
    let (at, msg) = one_error(&kolada_with("title = \"Södertörn\"\n", ""));
    assert_eq!(at, "comparison_groups[1].title");
    assert_eq!(msg, messages::REQUIRED);
    let (at, msg) = one_error(&kolada_with(
        "key = \"sodertorn\"",
        "key = \"sodertorn\"\nmedlemmar = 1",
    ));
    assert_eq!(at, "comparison_groups[1].medlemmar");
    assert_eq!(msg, messages::unknown_field("medlemmar"));
}

#[test]
fn an_indicators_groups_are_keys_given_once_and_need_a_kpi() {
    let (at, msg) = one_error(&kolada_with(
        "comparison_groups = [\"lan\", \"sodertorn\"]",
        "comparison_groups = [\"lan\", \"sodertorn\", \"lan\"]",
    ));
    assert_eq!(at, "indicators[0].comparison_groups[2]");
    assert_eq!(msg, messages::duplicate_in_list("lan"));
    let (at, msg) = one_error(&kolada_with(
        "comparison_groups = [\"lan\", \"sodertorn\"]",
        "comparison_groups = [\"lan\", \"Södertörn\"]",
    ));
    assert_eq!(at, "indicators[0].comparison_groups[1]");
    assert_eq!(msg, messages::invalid_key("Södertörn", KEY_MAX));
    let (at, msg) = one_error(&kolada_with("kolada_kpi = \"U07414\"\n", ""));
    assert_eq!(at, "indicators[0].comparison_groups");
    assert_eq!(msg, messages::groups_need_kpi());
    let (at, _) = one_error(&kolada_with(
        "kolada_kpi = \"U07414\"",
        "kolada_kpi = \" \"",
    ));
    assert_eq!(at, "indicators[0].comparison_groups", "blank is missing");
    // A wrong id is reported as such, not once more as missing.
    let (at, msg) = one_error(&kolada_with(
        "kolada_kpi = \"U07414\"",
        "kolada_kpi = \"u07414\"",
    ));
    assert_eq!(at, "indicators[0].kolada_kpi");
    assert_eq!(msg, messages::invalid_kpi_id("u07414"));
    // An empty list removes the groups and needs no KPI.
    let d = ok(&kolada_with(
        "kolada_kpi = \"U07414\"\ncomparison_groups = [\"lan\", \"sodertorn\"]",
        "comparison_groups = []",
    ));
    assert_eq!(d.indicators[0].comparison_groups, Some(vec![]));
    assert_eq!(d.indicators[0].kolada_kpi, "");
}

#[test]
fn kolada_settings_group_keys_titles_and_kolada_ids_are_unique_across_files() {
    let a = with_kolada();
    let b = format!("format = \"uppsikt/1\"\n{KOLADA}");
    let report = parse_texts(&[("a.toml", &a), ("b.toml", &b)]).unwrap_err();
    let found: Vec<(&str, &str, &str)> = report
        .errors
        .iter()
        .map(|e| (e.file.as_str(), e.location.as_str(), e.message.as_str()))
        .collect();
    let settings = messages::duplicate_kolada_settings("a.toml: kolada");
    let key_lan = messages::duplicate_key(
        Referent::ComparisonGroup,
        "lan",
        "a.toml: comparison_groups[0].key",
    );
    let key_s = messages::duplicate_key(
        Referent::ComparisonGroup,
        "sodertorn",
        "a.toml: comparison_groups[1].key",
    );
    let title_lan =
        messages::duplicate_group_title("Stockholms län", "a.toml: comparison_groups[0].title");
    let title_s =
        messages::duplicate_group_title("Södertörn", "a.toml: comparison_groups[1].title");
    let id = messages::duplicate_kolada_group("G100001", "a.toml: comparison_groups[0].kolada_id");
    assert_eq!(
        found,
        [
            ("b.toml", "comparison_groups[0].key", key_lan.as_str()),
            ("b.toml", "comparison_groups[1].key", key_s.as_str()),
            ("b.toml", "kolada", settings.as_str()),
            ("b.toml", "comparison_groups[0].title", title_lan.as_str()),
            ("b.toml", "comparison_groups[0].kolada_id", id.as_str()),
            ("b.toml", "comparison_groups[1].title", title_s.as_str()),
        ]
    );
    // Titles differ only in case: still the same name.
    let (at, msg) = one_error(&kolada_with(
        "title = \"Södertörn\"",
        "title = \"STOCKHOLMS LÄN\"",
    ));
    assert_eq!(at, "comparison_groups[1].title");
    assert_eq!(
        msg,
        messages::duplicate_group_title("STOCKHOLMS LÄN", "comparison_groups[0].title")
    );
}

fn stored_group(
    id: i64,
    key: &str,
    title: &str,
    kolada_id: Option<&str>,
) -> uppsikt_store::ComparisonGroup {
    uppsikt_store::ComparisonGroup {
        id,
        key: key.into(),
        title: title.into(),
        kolada_id: kolada_id.map(String::from),
        members: vec![m("0126")],
    }
}

#[test]
fn an_indicators_groups_resolve_against_the_files_and_then_the_database() {
    // Only the files: the indicator names a group that is nowhere.
    let doc = kolada_with(
        "comparison_groups = [\"lan\", \"sodertorn\"]",
        "comparison_groups = [\"lan\", \"liknande\"]",
    );
    let errs = check_references(&ok(&doc), &Existing::default()).0;
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].location, "indicators[0].comparison_groups[1]");
    assert_eq!(
        errs[0].message,
        messages::unknown_reference(Referent::ComparisonGroup, "liknande")
    );
    // In the database.
    let mut existing = Existing::default();
    existing.comparison_groups.insert(
        "liknande".into(),
        stored_group(7, "liknande", "Liknande kommuner", None),
    );
    assert!(check_references(&ok(&doc), &existing).0.is_empty());
    assert!(check_references(&ok(&with_kolada()), &Existing::default())
        .0
        .is_empty());
}

#[test]
fn a_group_may_not_take_the_kolada_id_or_title_of_another_group_in_the_database() {
    let doc = ok(&with_kolada());
    let mut existing = Existing::default();
    existing.comparison_groups.insert(
        "kolada-g100001".into(),
        stored_group(1, "kolada-g100001", "Stockholms län", Some("G100001")),
    );
    existing.comparison_groups.insert(
        "egen-sodertorn".into(),
        stored_group(2, "egen-sodertorn", "södertörn", None),
    );
    let errs = check_references(&doc, &existing).0;
    let found: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.location.as_str(), e.message.as_str()))
        .collect();
    let id = messages::kolada_group_taken_by("G100001", "kolada-g100001");
    let title = messages::group_title_taken_by("Södertörn", "egen-sodertorn");
    assert_eq!(
        found,
        [
            ("comparison_groups[0].kolada_id", id.as_str()),
            ("comparison_groups[1].title", title.as_str()),
        ],
        "the title clash of the Kolada group is not reported twice"
    );
    // The same groups under the files' keys are the files' groups: they change.
    let mut same = Existing::default();
    same.comparison_groups.insert(
        "lan".into(),
        stored_group(1, "lan", "Länet", Some("G100001")),
    );
    same.comparison_groups.insert(
        "sodertorn".into(),
        stored_group(2, "sodertorn", "Stockholms län", None),
    );
    assert!(check_references(&doc, &same).0.is_empty());
}

mod kolada_properties {
    use proptest::prelude::*;

    use super::*;

    /// What the parser should make of a list of member ids: the members kept, and the
    /// index and message of every wrong one.
    fn expected_members(items: &[String]) -> (Vec<String>, Vec<(usize, String)>) {
        let mut kept: Vec<String> = Vec::new();
        let mut wrong = Vec::new();
        for (i, s) in items.iter().enumerate() {
            let valid = s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
            if !valid {
                wrong.push((i, messages::invalid_municipality_id(s)));
            } else if kept.contains(s) {
                wrong.push((i, messages::duplicate_in_list(s)));
            } else {
                kept.push(s.clone());
            }
        }
        (kept, wrong)
    }

    fn quoted(items: &[String]) -> String {
        let q: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
        format!("[{}]", q.join(", "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn members_are_kept_in_order_and_every_wrong_one_is_reported_at_its_place(
            items in prop::collection::vec("[0-9]{4}|[0-9]{1,6}|G[0-9]{1,4}|[0-9]{2}[a-z][0-9]", 0..12)
        ) {
            // A Kolada group, so that an empty list is allowed.
            let doc = kolada_with(
                "kolada_id = \"G100001\"",
                &format!("kolada_id = \"G100001\"\nmembers = {}", quoted(&items)),
            );
            let (kept, wrong) = expected_members(&items);
            match parse_str("t.toml", &doc) {
                Ok(d) => {
                    prop_assert!(wrong.is_empty());
                    let got: Vec<&str> = d.comparison_groups[0].members.iter().map(|m| m.as_str()).collect();
                    prop_assert_eq!(got, kept.iter().map(String::as_str).collect::<Vec<_>>());
                }
                Err(report) => {
                    let got: Vec<(String, String)> = report.errors.into_iter().map(|e| (e.location, e.message)).collect();
                    let want: Vec<(String, String)> = wrong
                        .into_iter()
                        .map(|(i, m)| (format!("comparison_groups[0].members[{i}]"), m))
                        .collect();
                    prop_assert_eq!(got, want);
                }
            }
        }

        #[test]
        fn an_indicators_groups_keep_their_order_and_a_repeat_is_reported(
            picks in prop::collection::vec(0usize..4, 0..8)
        ) {
            let names = ["lan", "sodertorn", "riket", "liknande"];
            let listed: Vec<String> = picks.iter().map(|&i| names[i].to_string()).collect();
            let doc = kolada_with(
                "comparison_groups = [\"lan\", \"sodertorn\"]",
                &format!("comparison_groups = {}", quoted(&listed)),
            );
            let mut first: Vec<&str> = Vec::new();
            let mut repeats = Vec::new();
            for (i, k) in listed.iter().enumerate() {
                if first.contains(&k.as_str()) {
                    repeats.push((format!("indicators[0].comparison_groups[{i}]"), messages::duplicate_in_list(k)));
                } else {
                    first.push(k);
                }
            }
            match parse_str("t.toml", &doc) {
                Ok(d) => {
                    prop_assert!(repeats.is_empty());
                    prop_assert_eq!(d.indicators[0].comparison_groups.clone(), Some(keys(&first)));
                    // Groups named that are neither in the files nor the database.
                    let unknown: Vec<String> = check_references(&d, &Existing::default())
                        .0
                        .into_iter()
                        .map(|e| e.location)
                        .collect();
                    let want: Vec<String> = first
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| !["lan", "sodertorn"].contains(k))
                        .map(|(i, _)| format!("indicators[0].comparison_groups[{i}]"))
                        .collect();
                    prop_assert_eq!(unknown, want);
                }
                Err(report) => {
                    let got: Vec<(String, String)> = report.errors.into_iter().map(|e| (e.location, e.message)).collect();
                    prop_assert_eq!(got, repeats);
                }
            }
        }
    }
}

#[test]
fn margin_basis_and_trend_window_are_read_and_default_to_the_source_and_last_two() {
    use uppsikt_domain::indicator::TrendWindow;
    use uppsikt_domain::uncertainty::MarginBasis;
    let plain = ok(VALID);
    assert_eq!(plain.indicators[0].margin_basis, None);
    assert_eq!(plain.indicators[0].trend_window, TrendWindow::LastTwo);
    for (code, basis) in [
        ("", None),
        ("exact", Some(MarginBasis::Exact)),
        ("published", Some(MarginBasis::Published)),
        ("survey", Some(MarginBasis::Survey { respondents: None })),
        (
            "survey:480",
            Some(MarginBasis::Survey {
                respondents: Some(480),
            }),
        ),
        ("unknown", Some(MarginBasis::Unknown)),
    ] {
        let d = ok(&replace(
            "direction = \"higher\"\n",
            &format!(
                "direction = \"higher\"\nmargin_basis = \"{code}\"\ntrend_window = \"series\"\n"
            ),
        ));
        assert_eq!(d.indicators[0].margin_basis, basis, "{code}");
        assert_eq!(d.indicators[0].trend_window, TrendWindow::Series);
    }
}

#[test]
fn a_bad_margin_basis_or_trend_window_is_a_row_error_in_swedish() {
    let (at, message) = one_error(&replace(
        "direction = \"higher\"\n",
        "direction = \"higher\"\nmargin_basis = \"survey:0\"\n",
    ));
    assert_eq!(at, "indicators[0].margin_basis");
    assert!(
        message.contains("”survey:0” är inget av de tillåtna alternativen"),
        "{message}"
    );
    assert!(message.contains("survey:<antal svar>"), "{message}");
    let (at, message) = one_error(&replace(
        "direction = \"higher\"\n",
        "direction = \"higher\"\ntrend_window = \"alla\"\n",
    ));
    assert_eq!(at, "indicators[0].trend_window");
    assert!(message.contains("last_two, series"), "{message}");
}

#[test]
fn milestones_against_a_comparison_group_are_accepted() {
    for (text, target) in [
        ("> Länssnitt", "> Länssnitt"),
        ("< Riket", "< Riket"),
        ("Bland de 25 % bästa i länet", "Bland de 25 % bästa i länet"),
    ] {
        let d = ok(&replace(
            r#"target = "Öka""#,
            &format!("target = \"{text}\""),
        ));
        assert_eq!(d.indicators[0].milestones[0].1.to_string(), target);
    }
}
