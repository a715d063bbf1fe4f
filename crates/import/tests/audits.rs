//! Audits loaded from data files on both backends: the demo gives DOMAIN-MODULES.md B4's
//! counts through the store (computed from the loaded audits, never typed), loading it
//! again changes nothing, and a file the load refuses leaves the database as it was.

use std::collections::BTreeSet;

use uppsikt_domain::audit::{chain, AuditKind, ChainStep, Grade, IcTarget, Stance};
use uppsikt_domain::messages::audit as au;
use uppsikt_import::{load, load_demo, parse_json, parse_str, ImportReport};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ChangeSource, Store};

async fn unit(store: &Store, key: &str) -> i64 {
    store
        .org_units()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.key == key)
        .unwrap_or_else(|| panic!("{key}"))
        .id
}

async fn load_text(store: &Store, text: &str) -> Result<uppsikt_import::Summary, ImportReport> {
    let data = parse_str("granskning.toml", text)?;
    load(store, &data, "test", ChangeSource::Cli).await
}

#[tokio::test]
async fn the_demo_audits_give_the_seeds_counts_and_reload_unchanged() {
    for db in TestDb::all().await {
        eprintln!("audits demo on {:?}", db.backend());
        let store = &db.store;
        let summary = load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let audits = store.audits().await.unwrap();
        assert_eq!(summary.audits, audits.len());
        let ks = unit(store, "ks").await;

        // B4.1: the seven audits of KS's action list and the 2018 follow-up, all before 2019,
        // linked to the plan's eleven audit actions (AA10 being R16).
        let older: Vec<_> = audits.iter().filter(|a| a.plan_year < 2019).collect();
        assert_eq!(older.len(), 8);
        let follow_ups = older
            .iter()
            .filter(|a| a.kind == AuditKind::FollowUp)
            .count();
        assert_eq!(
            follow_ups, 2,
            "the 2018 procurement follow-up and delegation 2016"
        );
        let shared = older
            .iter()
            .filter(|a| {
                a.case_ref
                    .as_ref()
                    .is_some_and(|c| c.text == "KS-2018/272.912")
            })
            .count();
        assert_eq!(shared, 2, "one case number, two audits");
        let plan = store.control_plan_of(ks, 2019).await.unwrap().unwrap();
        let linked: BTreeSet<&str> = older
            .iter()
            .flat_map(|a| &a.recommendations)
            .flat_map(|r| &r.ic_links)
            .map(|l| {
                assert_eq!(l.unit_id, ks);
                let IcTarget::Action(id) = l.target else {
                    panic!("{l:?}")
                };
                plan.actions
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.key.as_str())
                    .unwrap()
            })
            .collect();
        assert_eq!(linked.len(), 11, "{linked:?}");
        let expected: BTreeSet<&str> = [
            "AA01", "AA02", "AA03", "AA04", "AA05", "AA06", "AA07", "AA08", "AA09", "R16", "AA11",
        ]
        .into();
        assert_eq!(linked, expected);
        // Every action of the plan that serves a recommendation is linked from one.
        let audit_actions: BTreeSet<&str> = plan
            .actions
            .iter()
            .filter(|a| {
                a.sources.iter().any(|s| {
                    matches!(
                        s,
                        uppsikt_domain::internal_control::ActionSource::Recommendation { .. }
                    )
                })
            })
            .map(|a| a.key.as_str())
            .collect();
        assert_eq!(audit_actions, linked);

        // B4.2: the 2021 follow-up of three 2019 audits, with their responses and verdicts.
        let follow_up = audits
            .iter()
            .find(|a| a.kind == AuditKind::FollowUp && a.plan_year == 2021)
            .expect("the 2021 follow-up");
        assert_eq!(follow_up.follows_up.len(), 3);
        let of_2019: Vec<_> = audits.iter().filter(|a| a.plan_year == 2019).collect();
        assert_eq!(of_2019.len(), 3);
        let mut followed: Vec<i64> = of_2019.iter().map(|a| a.id).collect();
        let mut listed = follow_up.follows_up.clone();
        followed.sort_unstable();
        listed.sort_unstable();
        assert_eq!(followed, listed);
        let recs_2019: Vec<_> = of_2019.iter().flat_map(|a| &a.recommendations).collect();
        assert_eq!(recs_2019.len(), 12, "IK 1-5, JS 1a, 1b, 2, CS 1-4");
        assert!(recs_2019
            .iter()
            .all(|r| r.verdicts.len() == 1 && r.verdicts[0].year == 2021));
        let grades = |g: Grade| {
            recs_2019
                .iter()
                .filter(|r| r.verdicts[0].grade == g)
                .count()
        };
        assert_eq!(
            (
                grades(Grade::Implemented),
                grades(Grade::PartlyImplemented),
                grades(Grade::PlannedNotStarted),
                grades(Grade::Declined)
            ),
            (6, 2, 3, 1)
        );
        assert_eq!(
            follow_up.recommendations.len(),
            11,
            "IK21 a-e, JS21 a-c, CS21 a-c"
        );
        let reissuing = follow_up
            .recommendations
            .iter()
            .filter(|r| r.reissues.is_some())
            .count();
        assert_eq!(reissuing, 6, "IK21 a-e and CS21-b");

        // Responses only for the 2019 audits: KS (two) and grundskolenämnden.
        let responses: Vec<_> = audits.iter().flat_map(|a| &a.responses).collect();
        assert_eq!(responses.len(), 3);
        assert!(audits
            .iter()
            .filter(|a| !a.responses.is_empty())
            .all(|a| a.plan_year == 2019));
        let civil = of_2019
            .iter()
            .find(|a| a.title.contains("civilsamhället"))
            .unwrap();
        let cs1 = civil
            .recommendations
            .iter()
            .find(|r| r.number == "1")
            .unwrap();
        let steps: Vec<&str> = chain(&audits, cs1.id)
            .iter()
            .map(|s| match s {
                ChainStep::Recommended { .. } => "recommended",
                ChainStep::Responded {
                    stance: Stance::Declined(_),
                    ..
                } => "declined",
                ChainStep::Responded { .. } => "responded",
                ChainStep::Judged { .. } => "judged",
            })
            .collect();
        assert_eq!(steps, ["recommended", "declined", "judged", "recommended"]);
        let school = of_2019.iter().find(|a| a.audited_units.len() == 1).unwrap();
        let gsn = school
            .response_of(unit(store, "gsn").await)
            .expect("GSN's response");
        assert_eq!(
            (gsn.decided_on.as_str(), gsn.paragraph.as_str()),
            ("2020-09-01", "§ 9")
        );
        assert!(gsn
            .items
            .iter()
            .all(|i| matches!(i.stance, Stance::AcceptedWithReservation(_))));

        // B4.3 and B4.4.
        let a2024 = audits.iter().find(|a| a.plan_year == 2024).unwrap();
        assert_eq!((a2024.questions.len(), a2024.recommendations.len()), (5, 3));
        assert_eq!(a2024.questions_without_reasoning(), [5]);
        assert_eq!(a2024.addressees(), [ks]);
        let a2023 = audits.iter().find(|a| a.plan_year == 2023).unwrap();
        assert_eq!(
            (a2023.questions.len(), a2023.recommendations.len()),
            (6, 10)
        );
        assert_eq!(a2023.kind, AuditKind::InDepth);
        assert_eq!(a2023.addressees().len(), 8, "KS and the seven boards");
        assert!(a2023
            .criteria
            .iter()
            .any(|c| c.text.starts_with("Lag (2023:196)")));
        let subs: usize = a2023.questions.iter().map(|q| q.sub_questions.len()).sum();
        assert_eq!(subs, 3);
        assert!(a2023.responses.is_empty() && a2024.responses.is_empty());

        // The responses decided their recommendations' deviations.
        let raised = store.audit_deviations().await.unwrap();
        let items: usize = responses.iter().map(|r| r.items.len()).sum();
        assert_eq!(raised.len(), items, "{raised:?}");

        // Loading again (KS's 2019 now decided) writes nothing.
        let before = serde_json::to_string(&audits).unwrap();
        load_demo(store, "demo")
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        let again = store.audits().await.unwrap();
        assert_eq!(serde_json::to_string(&again).unwrap(), before);
        assert_eq!(store.audit_deviations().await.unwrap(), raised);
        db.finish().await;
    }
}

const ORG: &str = r#"format = "uppsikt/1"

[[org_units]]
key = "kommun"
name = "Kommunen"
short_name = "Kommun"
kind = "kommun"

[[org_units]]
key = "ks"
name = "Kommunstyrelsen"
short_name = "KS"
kind = "styrelse"
parent = "kommun"

[[org_units]]
key = "gsn"
name = "Grundskolenämnden"
short_name = "GSN"
kind = "namnd"
parent = "kommun"
"#;

const AUDIT: &str = r#"
[[audits]]
key = "a"
title = "Granskning av intern kontroll"
plan_year = 2019
case_ref = "KS-2019/1.912"

[[audits.questions]]
number = 1
text = "Räcker den interna kontrollen?"
assessment = "Delvis"

[[audits.recommendations]]
key = "a-1"
number = "1"
text = "Verka för ett enhetligt arbetssätt."
to = ["ks", "gsn"]
questions = [1]

[[audits.recommendations.verdicts]]
year = 2021
grade = "Genomförd"

[[audits.responses]]
org = "gsn"
body = "nämnd"
document = "Protokollsutdrag"
decided_on = "2020-09-01"
paragraph = "§ 9"
items = [{ recommendation = "a-1", stance = "declined", text = "Inte vårt ansvar." }]
"#;

#[tokio::test]
async fn a_refused_audit_leaves_the_database_as_it_was() {
    for db in TestDb::all().await {
        let store = &db.store;
        let file = format!("{ORG}{AUDIT}");
        let summary = load_text(store, &file)
            .await
            .unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(summary.audits, 1);
        let before = serde_json::to_string(&store.audits().await.unwrap()).unwrap();
        let counts = store.counts().await.unwrap();

        // A second audit whose response comes in the future: refused when written, after
        // the first audit and its recommendation were; nothing stays.
        let second = AUDIT
            .replace("key = \"a\"", "key = \"b\"")
            .replace("\"a-1\"", "\"b-1\"")
            .replace(
                "Granskning av intern kontroll",
                "Granskning av styrdokument",
            )
            .replace("2020-09-01", "2199-01-01");
        let report = load_text(store, &format!("{ORG}{AUDIT}{second}"))
            .await
            .expect_err("a response dated ahead");
        assert_eq!(report.errors.len(), 1, "{report}");
        assert_eq!(report.errors[0].location, "audits[1].responses[0]");
        assert_eq!(
            report.errors[0].message,
            au::refusal(&uppsikt_domain::audit::AuditRefusal::InFuture)
        );
        assert_eq!(
            serde_json::to_string(&store.audits().await.unwrap()).unwrap(),
            before
        );
        assert_eq!(store.counts().await.unwrap(), counts);

        // A link to a plan that does not exist is found before anything is written.
        let linked = AUDIT.replace(
            "questions = [1]",
            "questions = [1]\nic_links = [{ plan = { org = \"ks\", year = 2019 }, action = \"AA01\" }]",
        );
        let report = load_text(
            store,
            &format!("{ORG}{}", linked.replace("key = \"a\"", "key = \"c\"")),
        )
        .await
        .expect_err("no plan");
        assert_eq!(
            report.errors[0].location,
            "audits[0].recommendations[0].ic_links[0].plan"
        );
        assert_eq!(report.errors[0].message, au::unknown_plan("ks", 2019));
        assert_eq!(store.counts().await.unwrap(), counts);
        db.finish().await;
    }
}

#[test]
fn the_json_form_reads_as_the_toml_form() {
    let toml = parse_str("a.toml", &format!("{ORG}{AUDIT}")).unwrap_or_else(|r| panic!("{r}"));
    let table: toml::Table = format!("{ORG}{AUDIT}").parse().unwrap();
    let json = serde_json::to_string(&table).unwrap();
    let from_json = parse_json("a.toml", &json).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(from_json, toml);
    let report = parse_json(
        "api",
        r#"{"format":"uppsikt/1","audits":[{"key":"x","title":null,"plan_year":2019}]}"#,
    )
    .expect_err("null");
    assert_eq!(report.errors.len(), 1, "{report}");
    assert_eq!(report.errors[0].location, "audits[0].title");
    assert_eq!(report.errors[0].message, au::JSON_NULL);
}
