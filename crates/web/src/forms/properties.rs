//! Property tests of every form's parser: whatever a request carries (any Unicode, control
//! and direction characters, huge values, numbers out of range, ids that are not ids), the
//! parser never panics and either gives a value whose every text passes the text rule or
//! gives messages that are Swedish and quote nothing the rule refuses. The form body
//! decoder never panics and never replaces bytes that are not UTF-8.
//!
//! Each test prints how many inputs it tried (`cargo test -p uppsikt-web --lib properties
//! -- --nocapture`).

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uppsikt_domain::model::{Goal, GoalKind, PeriodLock};
use uppsikt_domain::text::{self, Lines};
use uppsikt_domain::{AssessmentScale, Period};

use super::{parse_form, Errors, Input};

/// Cases per parser (each a whole form).
const CASES: u32 = 1500;

/// Runs `check` on `CASES` inputs from `strategy` and prints how many were tried.
fn run<S: Strategy>(
    name: &str,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let tried = AtomicUsize::new(0);
    let result = runner.run(&strategy, |value| {
        tried.fetch_add(1, Ordering::Relaxed);
        check(value)
    });
    eprintln!(
        "property {name}: {} inputs tried",
        tried.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// A value a request might carry for a field: anything at all, or near what forms expect.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        1 => "\\PC{0,20}",
        1 => "[0-9 ,.\\-+]{0,24}",
        1 => "[12][0-9]{3}(T[0-9]|-[0-9]{1,2}|W[0-9]{1,2})?",
        1 => "[12][0-9]{3}-[0-9]{2}-[0-9]{2}",
        1 => "\\PC{0,8}[\u{0}-\u{1f}\u{7f}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{200b}\u{feff}\u{e0041}]\\PC{0,8}",
        1 => "\\PC{0,8}(\r\n|\r|\n|\t)\\PC{0,8}",
        2 => prop::sample::select(vec![
            "", " ", "board", "overall", "proposed", "decided", "God", "Mycket god", "done",
            "in_progress", "act", "no_action", "medium", "internal_control", "milestone",
            "target", "higher", "year", "total", "area:Vårby", "area:", ">93,7", "≥ 850",
            "Öka", "1", "0", "-1", "99999999999", "18446744073709551615",
            "99999999999999999999", "2019", "2019T2", "2019-02-29", "2020-02-29",
            "1e308", "NaN", "inf", "88,7", "1 234,5",
        ])
        .prop_map(String::from),
        1 => (1usize..3).prop_map(|n| "å".repeat(n * 20_001 - 1)),
    ]
}

/// A form with some of `fields` (and sometimes a field of another name).
fn input_for(fields: &'static [&'static str]) -> impl Strategy<Value = Input> {
    (
        proptest::collection::vec(proptest::option::weighted(0.9, value()), fields.len()),
        proptest::option::of(("\\PC{0,10}", value())),
    )
        .prop_map(move |(values, extra)| {
            let mut input: Input = fields
                .iter()
                .zip(values)
                .filter_map(|(f, v)| v.map(|v| (f.to_string(), v)))
                .collect();
            if let Some((k, v)) = extra {
                input.entry(k).or_insert(v);
            }
            input
        })
}

/// Words and letters every Swedish message here has one of; words only English has.
fn assert_swedish(field: &str, message: &str) -> Result<(), TestCaseError> {
    let swedish = message.contains(['å', 'ä', 'ö', 'Å', 'Ä', 'Ö'])
        || [
            " eller ", "Ange ", "Skriv ", " inte ", " ingen ", " inget ", " mellan ",
        ]
        .iter()
        .any(|w| message.contains(w));
    prop_assert!(swedish, "{field}: not Swedish: {message}");
    let lower = message.to_lowercase();
    for english in ["invalid", "error", "failed", "expected", "cannot", "parse"] {
        prop_assert!(!lower.contains(english), "{field}: English: {message}");
    }
    prop_assert!(
        message
            .chars()
            .all(|c| text::refused(c, Lines::One).is_none()),
        "{field}: the message quotes a refused character: {message:?}"
    );
    Ok(())
}

fn assert_messages(e: &Errors) -> Result<(), TestCaseError> {
    prop_assert!(!e.is_empty(), "a refusal says why");
    for (field, message) in &e.0 {
        assert_swedish(field, message)?;
    }
    Ok(())
}

fn one_line(s: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        text::check(s, Lines::One).is_ok(),
        "stored one-line text {s:?}"
    );
    prop_assert_eq!(s.trim(), s);
    Ok(())
}

fn many_lines(s: &str) -> Result<(), TestCaseError> {
    prop_assert!(text::check(s, Lines::Many).is_ok(), "stored text {s:?}");
    prop_assert!(!s.contains('\r'), "line endings normalised: {s:?}");
    Ok(())
}

/// `Ok` values are checked by `ok`; `Err`s must carry Swedish messages.
fn outcome<T>(
    parsed: Result<T, Errors>,
    ok: impl FnOnce(T) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    match parsed {
        Ok(v) => ok(v),
        Err(e) => assert_messages(&e),
    }
}

#[test]
fn goal_form() {
    const FIELDS: &[&str] = &[
        "title",
        "description",
        "parent",
        "kind",
        "priorities",
        "analysis_period",
        "analysis",
        "position",
    ];
    run("goal", input_for(FIELDS), |input| {
        outcome(super::goal::parse(&input, 1), |p| {
            one_line(&p.input.title)?;
            prop_assert!(!p.input.title.is_empty());
            many_lines(&p.input.description)?;
            for item in &p.priorities {
                one_line(item)?;
            }
            if let Some((_, text)) = &p.analysis {
                many_lines(text)?;
            }
            prop_assert!(p
                .input
                .parent_id
                .is_none_or(|id| input["parent"].trim() == id.to_string()));
            Ok(())
        })
    });
}

#[test]
fn indicator_form() {
    const FIELDS: &[&str] = &[
        "name",
        "unit",
        "direction",
        "source",
        "kolada_kpi",
        "decimals",
        "frequency",
        "groups-1",
        "groups-2",
    ];
    let goal = Goal {
        id: 1,
        key: "m".into(),
        org_id: 1,
        parent_id: None,
        title: "Mål".into(),
        description: String::new(),
        kind: GoalKind::Board,
        position: 0,
    };
    let groups = [uppsikt_store::ComparisonGroup {
        id: 1,
        key: "g".into(),
        title: "Grupp".into(),
        kolada_id: None,
        members: Vec::new(),
    }];
    let page = super::indicator::page(&goal, None, &groups);
    run("indicator", input_for(FIELDS), |input| {
        outcome(super::indicator::parse(&input, 1, &page), |(i, groups)| {
            for s in [&i.name, &i.unit, &i.source, &i.kolada_kpi] {
                one_line(s)?;
            }
            prop_assert!(i.decimals <= 4);
            prop_assert!(groups.iter().all(|g| *g == 1));
            Ok(())
        })
    });
}

#[test]
fn outcome_form() {
    const FIELDS: &[&str] = &["period", "breakdown", "value", "margin", "sample_size"];
    run(
        "outcome",
        (input_for(FIELDS), prop::sample::select(vec!["%", "antal"])),
        |(input, unit)| {
            outcome(super::outcome::parse(&input, unit), |o| {
                prop_assert!(o.value.is_finite());
                prop_assert!(unit != "%" || (0.0..=100.0).contains(&o.value));
                prop_assert!(o.margin.is_none_or(|m| m >= 0.0 && m.is_finite()));
                if let Some(area) = o.breakdown.area() {
                    one_line(area)?;
                }
                Ok(())
            })
        },
    );
}

#[test]
fn milestone_form() {
    run(
        "milestone",
        input_for(&["kind", "year", "target"]),
        |input| {
            outcome(super::milestone::parse(&input), |(_, year, _)| {
                prop_assert!((1900..=2200).contains(&year));
                Ok(())
            })
        },
    );
}

#[test]
fn commitment_forms() {
    run(
        "commitment",
        input_for(&["title", "description", "year", "carried_over_from"]),
        |input| {
            outcome(super::commitment::parse(&input, 1), |c| {
                one_line(&c.title)?;
                many_lines(&c.description)?;
                prop_assert!((1900..=2200).contains(&c.year));
                Ok(())
            })
        },
    );
    run(
        "commitment status",
        input_for(&["status", "date", "comment"]),
        |input| {
            outcome(
                super::commitment::parse_status(&input),
                |(_, date, comment)| {
                    prop_assert!(uppsikt_domain::date::parse_iso_date(&date).is_ok());
                    many_lines(&comment)
                },
            )
        },
    );
}

#[test]
fn assessment_form() {
    const FIELDS: &[&str] = &["period", "stage", "level", "motivation", "author", "date"];
    let scale = AssessmentScale::huddinge();
    run("assessment", input_for(FIELDS), |input| {
        let (f, e) = super::assessment::parse(&input, &scale);
        if e.is_empty() {
            prop_assert!(f.period.is_some() && f.stage.is_some() && f.author.is_some());
            prop_assert!(f.level.as_ref().is_some_and(|l| scale.levels.contains(l)));
            many_lines(&f.motivation)?;
            one_line(f.author.as_deref().unwrap_or(""))?;
        } else {
            assert_messages(&e)?;
        }
        Ok(())
    });
}

#[test]
fn review_form() {
    run(
        "review",
        input_for(&["period", "events", "improvement_areas"]),
        |input| match super::review::parse(&input, 1) {
            Ok(r) => {
                for item in r.events.iter().chain(&r.improvement_areas) {
                    many_lines(item)?;
                }
                Ok(())
            }
            Err((e, _)) => assert_messages(&e),
        },
    );
}

#[test]
fn deviation_forms() {
    run(
        "deviation",
        input_for(&[
            "description",
            "source",
            "severity",
            "area",
            "period",
            "raised_on",
        ]),
        |input| {
            outcome(super::deviation::parse_new(&input, 1), |(d, _)| {
                many_lines(&d.description)?;
                if let Some(area) = &d.area {
                    one_line(area)?;
                }
                Ok(())
            })
        },
    );
    run(
        "deviation decision",
        input_for(&[
            "outcome",
            "motivation",
            "body",
            "decided_on",
            "paragraph",
            "diary_number",
        ]),
        |input| {
            outcome(super::deviation::parse_decision(&input), |d| {
                one_line(&d.paragraph)?;
                one_line(&d.diary_number)
            })
        },
    );
    run(
        "deviation decision on several",
        input_for(&[
            "deviations-1",
            "deviations-2",
            "deviations-x",
            "motivation",
            "body",
            "decided_on",
            "paragraph",
            "diary_number",
        ]),
        |input| {
            outcome(super::deviation_board::parse_bulk(&input), |(ids, d)| {
                prop_assert!(!ids.is_empty() && ids.len() <= super::deviation_board::BULK_MAX);
                one_line(&d.paragraph)?;
                one_line(&d.diary_number)
            })
        },
    );
    run(
        "deviation threshold",
        input_for(&["negative_trend-on", "min_shortfall"]),
        |input| {
            outcome(super::deviation_board::parse_threshold(&input), |t| {
                prop_assert!(t.is_valid() && t.min_shortfall.is_finite(), "{t:?}");
                Ok(())
            })
        },
    );
    run(
        "deviation action",
        input_for(&[
            "what",
            "responsible_unit",
            "responsible_person",
            "due",
            "expected_effect",
            "indicator",
        ]),
        |input| {
            outcome(super::deviation::parse_action(&input), |a| {
                one_line(&a.what)?;
                one_line(&a.responsible_person)?;
                many_lines(&a.expected_effect)
            })
        },
    );
    run(
        "deviation action progress",
        input_for(&["state", "on", "comment"]),
        |input| {
            outcome(super::deviation::parse_progress(&input), |(_, _, c)| {
                many_lines(&c)
            })
        },
    );
}

#[test]
fn lock_forms() {
    run(
        "lock",
        input_for(&["period", "body", "decided_on", "paragraph", "diary_number"]),
        |input| {
            outcome(super::lock::parse_lock(&input, 1, "controller"), |l| {
                for s in [&l.body, &l.paragraph, &l.diary_number] {
                    one_line(s)?;
                }
                Ok(())
            })
        },
    );
    let locked = [PeriodLock {
        org_id: 1,
        period: Period::parse("2019").unwrap(),
        body: "KS".into(),
        decided_on: "2020-03-01".into(),
        paragraph: "§ 1".into(),
        diary_number: "KS-2020/1".into(),
        locked_by: "controller".into(),
        locked_at: "2020-03-01T10:00:00Z".into(),
    }];
    run("reopen", input_for(&["period", "reason"]), |input| {
        outcome(super::lock::parse_reopen(&input, &locked), |(p, reason)| {
            prop_assert_eq!(p.to_string(), "2019");
            many_lines(&reason)
        })
    });
}

#[test]
fn form_bodies_decode_strictly() {
    // Any bytes: no panic; what decodes is UTF-8 by construction, and a refusal names a
    // field only when some field's bytes were not UTF-8.
    run(
        "form body bytes",
        proptest::collection::vec(any::<u8>(), 0..200),
        |bytes| {
            // serde_urlencoded (what axum's Form uses) decodes the same way, but lossily.
            let lossy: Input = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            match parse_form(&bytes) {
                Ok(input) => prop_assert_eq!(input, lossy),
                Err(_) => prop_assert!(
                    lossy
                        .iter()
                        .any(|(k, v)| k.contains('\u{fffd}') || v.contains('\u{fffd}')),
                    "refused only for bytes that are not UTF-8"
                ),
            }
            Ok(())
        },
    );
    // Any form as a browser encodes it comes back exactly.
    run(
        "form body round trip",
        proptest::collection::hash_map("\\PC{1,10}", any::<String>(), 0..6),
        |map| {
            let body = serde_urlencoded::to_string(&map).unwrap();
            prop_assert_eq!(parse_form(body.as_bytes()), Ok(map));
            Ok(())
        },
    );
}

#[test]
fn invalid_utf8_in_a_form_body_is_refused_with_the_field_named() {
    assert_eq!(
        parse_form(b"title=a%FFb&kind=board"),
        Err("title".to_string())
    );
    assert_eq!(
        parse_form(b"t%C3%A5=%C3%A5+%C3%A4%0D%0A&x=100%&y=%zz"),
        Ok(Input::from([
            ("tå".to_string(), "å ä\r\n".to_string()),
            ("x".to_string(), "100%".to_string()),
            ("y".to_string(), "%zz".to_string()),
        ]))
    );
}
