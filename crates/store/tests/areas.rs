//! Areas and community safety on every backend: areas, situation reports, forums,
//! agreements, statutes and duties written and read whole; every refusal changing
//! nothing; a locked year refusing a situation report; the deviations they raise, once;
//! "2 av 4" from stored duties; an area's level history; the histories; police classes of
//! a database older than migration 0017.

mod common;

use std::collections::BTreeSet;

use common::tree;
use uppsikt_domain::area::{Area, AreaKind, AreaRefusal, Classification, PoliceClass};
use uppsikt_domain::deviation::Source;
use uppsikt_domain::forum::{
    Activity, Agreement, AgreementKind, Council, Documented, FocusArea, Forum, Meeting, Member,
    Party, PartyKind,
};
use uppsikt_domain::model::{Id, PeriodLock};
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_domain::obligation::{
    compliance, overdue_key, unmet_key, ComplianceStatus, Evidence, EvidenceKind, Obligation,
    ObligationAssessment, Statute,
};
use uppsikt_domain::situation::{
    level_key, not_presented_key, rise_key, AreaLevel, ChecklistItem, LevelScale, Presentation,
    ReportStatus, SituationKind, SituationReport,
};
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{Store, StoreError, Writer};

async fn writer(store: &Store) -> Writer {
    store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap()
}

fn area(name: &str, kind: Option<AreaKind>, parent: Option<Id>) -> Area {
    Area {
        id: 0,
        name: name.into(),
        kind,
        parent_id: parent,
        note: String::new(),
        classifications: Vec::new(),
    }
}

fn classification(year: Option<i32>, class: PoliceClass, source: &str) -> Classification {
    Classification {
        year,
        class,
        source: source.into(),
        as_of: None,
    }
}

fn refusal<T: std::fmt::Debug>(r: Result<T, StoreError>) -> AreaRefusal {
    match r {
        Err(StoreError::Area(r)) => r,
        other => panic!("expected an area refusal, got {other:?}"),
    }
}

fn report(kind: SituationKind, title: &str, end: &str, levels: &[(Id, u8)]) -> SituationReport {
    SituationReport {
        id: 0,
        kind,
        title: title.into(),
        period_start: format!("{}-01-01", &end[..4]),
        period_end: end.into(),
        producer: "OSG".into(),
        producer_forum_id: None,
        status: ReportStatus::Final,
        levels: levels
            .iter()
            .map(|(a, l)| AreaLevel {
                area_id: *a,
                level: *l,
            })
            .collect(),
        unnamed_levels: Vec::new(),
        checklist: BTreeSet::new(),
        summary: String::new(),
        public: false,
        synthetic: false,
        presentations: Vec::new(),
    }
}

fn forum(code: &str, name: &str) -> Forum {
    Forum {
        id: 0,
        code: code.into(),
        name: name.into(),
        purpose: String::new(),
        chair: String::new(),
        members: Vec::new(),
        cadence: String::new(),
        reports_to_unit: None,
        reports_to_forum: None,
        reports_what: String::new(),
        documented: Documented::No,
        evaluated_on: None,
        evaluation: String::new(),
        area_ids: Vec::new(),
        council: None,
        meetings: Vec::new(),
        note: String::new(),
    }
}

fn statute(sfs: &str, leading: Option<Id>) -> Statute {
    Statute {
        id: 0,
        sfs: sfs.into(),
        title: "Lag om kommuners ansvar för brottsförebyggande arbete".into(),
        in_force: Some("2023-07-01".into()),
        leading_unit_id: leading,
        url: format!("https://lagen.nu/{sfs}"),
        note: String::new(),
    }
}

fn assessment(status: ComplianceStatus, on: &str) -> ObligationAssessment {
    ObligationAssessment {
        status,
        assessed_by: "Revisorerna (KPMG), granskning 2023/24".into(),
        by_auditors: true,
        assessed_on: on.into(),
        text: String::new(),
    }
}

fn duty(statute_id: Id, code: &str, requirement: Option<&str>, unit: Id) -> Obligation {
    Obligation {
        id: 0,
        statute_id,
        code: code.into(),
        section: String::new(),
        duty: format!("Plikt {code}"),
        checklist: Vec::new(),
        requirement: requirement.map(str::to_string),
        first_due: None,
        every_months: None,
        responsible_unit_id: Some(unit),
        fulfilled_by: None,
        evidence: Vec::new(),
        assessments: Vec::new(),
        note: String::new(),
    }
}

fn ks_decision(org_id: Id, year: i32) -> PeriodLock {
    PeriodLock {
        org_id,
        period: Period::Year(year),
        body: "Kommunstyrelsen".into(),
        decided_on: "2024-03-30".into(),
        paragraph: "§ 45".into(),
        diary_number: "KS-2024/123".into(),
        locked_by: "controller".into(),
        locked_at: "2024-03-30T12:00:00Z".into(),
    }
}

/// Vårby and Flemingsberg (kommundelar) and Grantorp inside Flemingsberg.
async fn three_areas(store: &Store) -> (Id, Id, Id) {
    let mut w = writer(store).await;
    let mut varby = area("Vårby", Some(AreaKind::District), None);
    varby.classifications = vec![
        classification(Some(2019), PoliceClass::Risk, "Polisen 2019"),
        classification(Some(2024), PoliceClass::Vulnerable, "Polisen 2024"),
    ];
    let varby = w.create_area(&varby).await.unwrap();
    let fleming = w
        .create_area(&area("Flemingsberg", Some(AreaKind::District), None))
        .await
        .unwrap();
    let grantorp = w
        .create_area(&area("Grantorp", Some(AreaKind::PoliceArea), Some(fleming)))
        .await
        .unwrap();
    w.commit().await.unwrap();
    (varby, fleming, grantorp)
}

#[tokio::test]
async fn areas_are_written_and_read_whole_and_refusals_change_nothing() {
    for db in TestDb::all().await {
        eprintln!("areas on {:?}", db.backend());
        let store = &db.store;
        let (varby, fleming, grantorp) = three_areas(store).await;
        let areas = store.areas().await.unwrap();
        let names: Vec<&str> = areas.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["Flemingsberg", "Grantorp", "Vårby"]);
        let v = store.area(varby).await.unwrap();
        assert_eq!(v.kind, Some(AreaKind::District));
        assert_eq!(v.class_in(2024).unwrap().class, PoliceClass::Vulnerable);
        assert_eq!(v.classifications[0].source, "Polisen 2019");
        assert_eq!(store.area(grantorp).await.unwrap().parent_id, Some(fleming));
        assert_eq!(
            store.area_by_name("Grantorp").await.unwrap().map(|a| a.id),
            Some(grantorp)
        );
        assert_eq!(store.area_by_name("Ingenstans").await.unwrap(), None);
        assert!(store.area(varby + 1000).await.unwrap_err().is_not_found());

        // Refusals: a name taken (in any case), a parent cycle, an unknown parent.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        assert!(matches!(
            refusal(w.create_area(&area("vårby", None, None)).await),
            AreaRefusal::Duplicate(_)
        ));
        let mut cycle = store.area(fleming).await.unwrap();
        cycle.parent_id = Some(grantorp);
        assert_eq!(
            refusal(w.update_area(&cycle).await),
            AreaRefusal::ParentCycle
        );
        assert!(w
            .create_area(&area("Ny", None, Some(grantorp + 1000)))
            .await
            .unwrap_err()
            .is_not_found());
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.areas().await.unwrap(), areas);
        assert_eq!(store.data_version().await.unwrap(), version);

        // An update, and the breakdowns' upsert: a class becomes an undated
        // classification beside the dated ones, once.
        let mut w = writer(store).await;
        let mut g = store.area(grantorp).await.unwrap();
        g.note = "Ligger i Flemingsberg enligt allmän kännedom.".into();
        w.update_area(&g).await.unwrap();
        w.upsert_area("Vårby", Some("sarskilt-utsatt"))
            .await
            .unwrap();
        let n = w.changes();
        w.upsert_area("Vårby", Some("sarskilt-utsatt"))
            .await
            .unwrap();
        w.upsert_area("Vårby", None).await.unwrap();
        assert_eq!(w.changes(), n);
        w.upsert_area("Skogås", None).await.unwrap();
        assert!(matches!(
            refusal(w.upsert_area("Alby", Some("farlig")).await),
            AreaRefusal::Required(_)
        ));
        w.commit().await.unwrap();
        assert_eq!(store.area(grantorp).await.unwrap(), g);
        let v = store.area(varby).await.unwrap();
        assert_eq!(v.classifications.len(), 3);
        assert_eq!(v.class_in(2024).unwrap().class, PoliceClass::Vulnerable);
        assert_eq!(
            v.class_in(2018).unwrap().class,
            PoliceClass::SeverelyVulnerable
        );
        assert!(store.area_by_name("Skogås").await.unwrap().is_some());
        assert!(store.area_by_name("Alby").await.unwrap().is_none());
        let history = store.history(ObjectKind::Area, varby, 100).await.unwrap();
        assert_eq!(history.len(), 2, "created and classified");
        db.finish().await;
    }
}

#[tokio::test]
async fn situation_reports_round_trip_and_lock_and_history() {
    for db in TestDb::all().await {
        eprintln!("situation reports on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let (varby, fleming, grantorp) = three_areas(store).await;
        assert_eq!(store.level_scale().await.unwrap(), LevelScale::default());

        let mut w = writer(store).await;
        let scale = LevelScale {
            board_id: Some(t.ks),
            definitions: [
                (1, "Lugnt".to_string()),
                (5, "Mycket allvarligt".to_string()),
            ]
            .into(),
            ..LevelScale::default()
        };
        w.set_level_scale(&scale).await.unwrap();
        let steering = w.create_forum(&forum("F03", "Styrgruppen")).await.unwrap();
        let mut overall = report(
            SituationKind::Overall,
            "Övergripande lägesbild 2023",
            "2023-12-31",
            &[(varby, 5), (fleming, 1), (grantorp, 2)],
        );
        overall.unnamed_levels = vec![3, 3];
        overall.checklist = [ChecklistItem::Mapping, ChecklistItem::Extent].into();
        overall.summary = "Vårby har läge 5.".into();
        overall.producer_forum_id = Some(steering);
        overall.presentations = vec![Presentation {
            unit_id: None,
            forum_id: Some(steering),
            date: "2024-01-15".into(),
            reference: "Minnesanteckningar".into(),
        }];
        let overall_id = w.create_situation_report(&overall).await.unwrap();
        let t1 = w
            .create_situation_report(&report(
                SituationKind::Tertial,
                "T1 2024",
                "2024-04-30",
                &[(varby, 3), (fleming, 1)],
            ))
            .await
            .unwrap();
        let t2 = w
            .create_situation_report(&report(
                SituationKind::Tertial,
                "T2 2024",
                "2024-08-31",
                &[(varby, 4), (fleming, 1)],
            ))
            .await
            .unwrap();
        let week = w
            .create_situation_report(&report(
                SituationKind::Weekly,
                "Vecka 20",
                "2024-05-19",
                &[(varby, 5)],
            ))
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.level_scale().await.unwrap(), scale);
        let mut w = writer(store).await;
        let found = w
            .situation_reports_in_tx(SituationKind::Tertial, "2024-04-30")
            .await
            .unwrap();
        assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![t1]);
        w.rollback().await.unwrap();

        let stored = store.situation_report(overall_id).await.unwrap();
        assert_eq!(
            stored,
            SituationReport {
                id: overall_id,
                ..overall.clone()
            }
        );
        let ids = |rs: Vec<SituationReport>| rs.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.situation_reports(None, None).await.unwrap()),
            vec![t2, week, t1, overall_id],
            "newest first"
        );
        assert_eq!(
            ids(store
                .situation_reports(Some(SituationKind::Tertial), Some(2024))
                .await
                .unwrap()),
            vec![t2, t1]
        );
        assert_eq!(
            ids(store.situation_reports(None, Some(2023)).await.unwrap()),
            vec![overall_id]
        );

        // The history of Vårby: per kind, with the change from the previous one.
        let history = store.area_level_history(varby).await.unwrap();
        let rows: Vec<(Id, u8, Option<i16>)> = history
            .iter()
            .map(|r| (r.report_id, r.level, r.change))
            .collect();
        assert_eq!(
            rows,
            vec![
                (overall_id, 5, None),
                (t1, 3, None),
                (week, 5, None),
                (t2, 4, Some(1))
            ]
        );

        // Refusals change nothing.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        assert_eq!(
            refusal(
                w.create_situation_report(&report(
                    SituationKind::Tertial,
                    "T3",
                    "2024-12-31",
                    &[(varby, 6)]
                ))
                .await
            ),
            AreaRefusal::LevelOutOfScale(6, 5)
        );
        let mut personal = stored.clone();
        personal.summary = "Händelse med 121212-1212 i Vårby".into();
        assert!(matches!(
            refusal(w.update_situation_report(&personal).await),
            AreaRefusal::PersonalNumber("summary", _)
        ));
        assert_eq!(
            refusal(
                w.add_presentation(
                    overall_id,
                    &Presentation {
                        unit_id: Some(t.ks),
                        forum_id: Some(steering),
                        date: "2024-02-01".into(),
                        reference: String::new(),
                    }
                )
                .await
            ),
            AreaRefusal::PresentationTarget
        );
        assert!(w
            .create_situation_report(&report(
                SituationKind::Tertial,
                "T3",
                "2024-12-31",
                &[(varby + 1000, 1)]
            ))
            .await
            .unwrap_err()
            .is_not_found());
        assert!(matches!(
            refusal(
                w.set_level_scale(&LevelScale {
                    threshold: 9,
                    ..LevelScale::default()
                })
                .await
            ),
            AreaRefusal::BadScale
        ));
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.situation_report(overall_id).await.unwrap(), stored);

        // An update replaces levels, checklist and presentations; the same again is no
        // change.
        let mut w = writer(store).await;
        let mut changed = stored.clone();
        changed.levels = vec![AreaLevel {
            area_id: grantorp,
            level: 4,
        }];
        changed.checklist = ChecklistItem::ALL.iter().copied().collect();
        changed.presentations.clear();
        w.update_situation_report(&changed).await.unwrap();
        let n = w.changes();
        w.update_situation_report(&changed).await.unwrap();
        assert_eq!(w.changes(), n);
        w.add_presentation(
            overall_id,
            &Presentation {
                unit_id: Some(t.ks),
                forum_id: None,
                date: "2024-02-20".into(),
                reference: "§ 12".into(),
            },
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let again = store.situation_report(overall_id).await.unwrap();
        assert_eq!(again.levels, changed.levels);
        assert!(again.checklist_complete());
        assert_eq!(again.presented_to(t.ks).unwrap().reference, "§ 12");
        assert_eq!(
            store
                .area_level_history(varby)
                .await
                .unwrap()
                .first()
                .map(|r| r.report_id),
            Some(t1)
        );
        let types: BTreeSet<String> = store
            .history(ObjectKind::SituationReport, overall_id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.object_type)
            .collect();
        assert_eq!(
            types,
            ["situation_presentation", "situation_report"]
                .map(String::from)
                .into()
        );

        // A year locked for the scale's board refuses its reports, also moving one out.
        let mut w = writer(store).await;
        w.lock_period(&ks_decision(t.ks, 2023)).await.unwrap();
        w.commit().await.unwrap();
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        let locked = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Locked(_)));
        assert!(locked(
            w.create_situation_report(&report(
                SituationKind::Tertial,
                "T3 2023",
                "2023-12-31",
                &[]
            ))
            .await
            .map(|_| ())
        ));
        let mut moved = again.clone();
        moved.period_start = "2024-01-01".into();
        moved.period_end = "2024-12-31".into();
        assert!(locked(w.update_situation_report(&moved).await));
        assert!(locked(
            w.add_presentation(
                overall_id,
                &Presentation {
                    unit_id: Some(t.ks),
                    forum_id: None,
                    date: "2024-03-01".into(),
                    reference: String::new(),
                },
            )
            .await
        ));
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        // The next year is open.
        let mut w = writer(store).await;
        w.create_situation_report(&report(
            SituationKind::Tertial,
            "T3 2024",
            "2024-12-31",
            &[],
        ))
        .await
        .unwrap();
        w.commit().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn situation_reports_raise_deviations_once() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let (varby, fleming, _) = three_areas(store).await;
        let mut w = writer(store).await;
        // Without a board nothing is raised.
        let overall = w
            .create_situation_report(&report(
                SituationKind::Overall,
                "Övergripande lägesbild 2023",
                "2023-12-31",
                &[(varby, 5), (fleming, 1)],
            ))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let of_situations = |due: &[uppsikt_domain::deviation::NewDeviation]| {
            due.iter()
                .filter(|d| d.source == Source::SituationReport)
                .filter_map(|d| d.cause_key.clone())
                .collect::<Vec<_>>()
        };
        let due = store
            .automatic_deviations("2024-06-01", 2023)
            .await
            .unwrap();
        assert!(of_situations(&due).is_empty());

        let mut w = writer(store).await;
        w.set_level_scale(&LevelScale {
            board_id: Some(t.ks),
            ..LevelScale::default()
        })
        .await
        .unwrap();
        let t1 = w
            .create_situation_report(&report(
                SituationKind::Tertial,
                "T1 2024",
                "2024-04-30",
                &[(fleming, 1)],
            ))
            .await
            .unwrap();
        let t2 = w
            .create_situation_report(&report(
                SituationKind::Tertial,
                "T2 2024",
                "2024-08-31",
                &[(fleming, 2)],
            ))
            .await
            .unwrap();
        w.add_presentation(
            t1,
            &Presentation {
                unit_id: Some(t.ks),
                forum_id: None,
                date: "2024-05-20".into(),
                reference: "§ 4".into(),
            },
        )
        .await
        .unwrap();
        // Weekly reports raise nothing.
        w.create_situation_report(&report(
            SituationKind::Weekly,
            "Vecka 30",
            "2024-07-28",
            &[(varby, 5)],
        ))
        .await
        .unwrap();
        w.commit().await.unwrap();
        let due = store
            .automatic_deviations("2024-12-01", 2023)
            .await
            .unwrap();
        assert_eq!(
            of_situations(&due),
            vec![
                not_presented_key(overall),
                level_key(overall, varby),
                not_presented_key(t2),
                rise_key(t2, fleming),
            ]
        );
        let mut w = writer(store).await;
        let raised = w.raise_deviations(due.clone(), "2024-12-01").await.unwrap();
        assert_eq!(raised.len(), 4);
        assert!(w
            .raise_deviations(due, "2024-12-01")
            .await
            .unwrap()
            .is_empty());
        w.commit().await.unwrap();
        let deviations = store.deviations(Some(t.ks)).await.unwrap();
        assert_eq!(deviations.len(), 4);
        assert!(deviations
            .iter()
            .any(|d| d.deviation.raised.area.as_deref() == Some("Vårby")));
        db.finish().await;
    }
}

#[tokio::test]
async fn forums_and_agreements_round_trip_and_refuse_unknown_statutes() {
    for db in TestDb::all().await {
        eprintln!("forums on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let (varby, fleming, _) = three_areas(store).await;
        let mut w = writer(store).await;
        let steering = w.create_forum(&forum("F03", "Styrgruppen")).await.unwrap();
        let mut osg = forum("F01", "Operativ samverkansgrupp (OSG)");
        osg.purpose = "Operativ lägesbild varje vecka.".into();
        osg.members = vec![
            Member {
                organisation: "Huddinge kommun".into(),
                role: "Säkerhetssamordnare".into(),
            },
            Member {
                organisation: "Polisen".into(),
                role: "Kommunpolis".into(),
            },
        ];
        osg.cadence = "varje vecka".into();
        osg.reports_to_forum = Some(steering);
        osg.reports_what = "Veckolägesbilder".into();
        osg.documented = Documented::Partly;
        osg.area_ids = vec![varby, fleming];
        osg.council = Some(Council {
            decision: "KS 2025-03-10 § 12".into(),
            led_by_municipality: true,
            partners_in_leading_positions: false,
            strategic_remit: true,
        });
        let osg_id = w.create_forum(&osg).await.unwrap();
        w.add_meeting(
            osg_id,
            &Meeting {
                date: "2024-05-02".into(),
                reference: String::new(),
                note: "Lägesbild vecka 18".into(),
            },
        )
        .await
        .unwrap();
        let sid = w
            .create_statute(&statute("2023:196", Some(t.ks)))
            .await
            .unwrap();
        let agreement = Agreement {
            id: 0,
            code: "AG-2023-24".into(),
            kind: AgreementKind::Collaboration,
            title: "Samverkansöverenskommelse 2023–2024".into(),
            parties: vec![
                Party {
                    name: "Huddinge kommun".into(),
                    kind: PartyKind::Municipality,
                },
                Party {
                    name: "Polisområde Syd".into(),
                    kind: PartyKind::Police,
                },
            ],
            valid_from: Some("2023-01-01".into()),
            valid_to: Some("2024-12-31".into()),
            purpose: "Ökad trygghet".into(),
            focus_areas: vec![
                FocusArea {
                    id: 0,
                    name: "Trygghet i offentlig miljö".into(),
                    has_plan: false,
                    activities: Vec::new(),
                },
                FocusArea {
                    id: 0,
                    name: "Gängkriminalitet".into(),
                    has_plan: true,
                    activities: vec![Activity {
                        id: 0,
                        title: "Trygghetsvandringar".into(),
                        problem: "Otrygghet kvällstid".into(),
                        goal_short: "Fler vandringar".into(),
                        goal_long: "Ökad trygghet".into(),
                        owner: "Kommunen".into(),
                        frequency: "Varje månad".into(),
                        follow_up: "Tertialvis i styrgruppen".into(),
                        effect_indicator_id: Some(t.indicator),
                    }],
                },
            ],
            governing_forum_id: Some(steering),
            situation_report_id: None,
            statutes: vec!["2023:196".into()],
            area_ids: vec![varby],
            note: String::new(),
        };
        let ag = w.create_agreement(&agreement).await.unwrap();
        w.commit().await.unwrap();

        let stored = store.forum(osg_id).await.unwrap();
        assert_eq!(stored.members, osg.members);
        assert_eq!(stored.area_ids, vec![varby, fleming]);
        assert_eq!(stored.council, osg.council);
        assert_eq!(stored.meetings.len(), 1);
        assert_eq!(
            stored,
            Forum {
                id: osg_id,
                meetings: stored.meetings.clone(),
                ..osg.clone()
            }
        );
        let codes: Vec<String> = store
            .forums()
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(codes, vec!["F01", "F03"]);
        let got = store.agreement(ag).await.unwrap();
        assert_eq!(got.parties, agreement.parties);
        assert_eq!(got.statutes, vec!["2023:196".to_string()]);
        assert_eq!(got.focus_areas.len(), 2);
        assert!(got.focus_areas.iter().all(|f| f.id > 0));
        let activity = &got.focus_areas[1].activities[0];
        assert!(activity.id > 0);
        assert_eq!(activity.effect_indicator_id, Some(t.indicator));
        let mut normalised = got.clone();
        for f in &mut normalised.focus_areas {
            f.id = 0;
            for a in &mut f.activities {
                a.id = 0;
            }
        }
        assert_eq!(
            normalised,
            Agreement {
                id: ag,
                ..agreement.clone()
            }
        );
        assert_eq!(store.agreements().await.unwrap(), vec![got.clone()]);
        assert_eq!(
            store
                .statute_by_sfs("2023:196")
                .await
                .unwrap()
                .map(|s| s.id),
            Some(sid)
        );

        // Refusals change nothing: the seed's 2023:193 names 2023:196; a forum's name is
        // unique; an agreement's code is unique; a duplicate SFS number.
        let version = store.data_version().await.unwrap();
        let mut w = writer(store).await;
        let mut wrong = got.clone();
        wrong.statutes = vec!["2023:193".into()];
        assert_eq!(
            refusal(w.update_agreement(&wrong).await),
            AreaRefusal::UnknownStatute("2023:193".into(), Some("2023:196".into()))
        );
        assert!(matches!(
            refusal(w.create_forum(&forum("F99", "styrgruppen")).await),
            AreaRefusal::Duplicate(_)
        ));
        let mut copy = agreement.clone();
        copy.title = "Kopia".into();
        assert!(matches!(
            refusal(w.create_agreement(&copy).await),
            AreaRefusal::Duplicate(_)
        ));
        assert!(matches!(
            refusal(w.create_statute(&statute("2023:196", None)).await),
            AreaRefusal::Duplicate(_)
        ));
        assert!(matches!(
            refusal(w.create_statute(&statute("2023-196", None)).await),
            AreaRefusal::BadSfs(_)
        ));
        let mut bad_meeting = Meeting {
            date: "2024-13-01".into(),
            reference: String::new(),
            note: String::new(),
        };
        assert!(matches!(
            refusal(w.add_meeting(osg_id, &bad_meeting).await),
            AreaRefusal::BadDate(_)
        ));
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.agreement(ag).await.unwrap(), got);
        assert_eq!(store.forum(osg_id).await.unwrap(), stored);

        // The same agreement again, its parts without ids (as an import gives it), is no
        // change.
        let mut w = writer(store).await;
        w.update_agreement(&Agreement {
            id: ag,
            ..agreement.clone()
        })
        .await
        .unwrap();
        assert_eq!(w.changes(), 0);
        assert_eq!(w.agreements_in_tx().await.unwrap(), vec![got.clone()]);
        assert_eq!(w.forums_in_tx().await.unwrap().len(), 2);
        w.rollback().await.unwrap();

        // Updates replace members, meetings, areas and focus areas.
        let mut w = writer(store).await;
        let mut f = stored.clone();
        f.members.pop();
        f.area_ids = vec![fleming];
        bad_meeting.date = "2024-06-01".into();
        f.meetings.push(bad_meeting);
        w.update_forum(&f).await.unwrap();
        let mut a = got.clone();
        a.focus_areas.truncate(1);
        a.situation_report_id = None;
        w.update_agreement(&a).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.forum(osg_id).await.unwrap(), f);
        assert_eq!(store.agreement(ag).await.unwrap().focus_areas.len(), 1);
        let types: BTreeSet<String> = store
            .history(ObjectKind::Forum, osg_id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.object_type)
            .collect();
        assert_eq!(types, ["forum", "forum_meeting"].map(String::from).into());
        db.finish().await;
    }
}

/// Lag (2023:196) with the eight duties as the auditors assessed them in 2024: L4 met by
/// the agreement, L6 by the coordinator function; requirement 1 is L1–L3.
async fn huddinge_duties(store: &Store, unit: Id, leading: Id) -> (Id, Vec<Id>) {
    let mut w = writer(store).await;
    let sid = w
        .create_statute(&statute("2023:196", Some(leading)))
        .await
        .unwrap();
    let ag = w
        .create_agreement(&Agreement {
            id: 0,
            code: "AG-2023-24".into(),
            kind: AgreementKind::Collaboration,
            title: "Samverkansöverenskommelse".into(),
            parties: Vec::new(),
            valid_from: None,
            valid_to: None,
            purpose: String::new(),
            focus_areas: Vec::new(),
            governing_forum_id: None,
            situation_report_id: None,
            statutes: Vec::new(),
            area_ids: Vec::new(),
            note: String::new(),
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    // Created out of order: they come back L1 … L8.
    for (code, req, status) in [
        ("L8", None, None),
        ("L1", Some("1"), Some(ComplianceStatus::NotMet)),
        ("L2", Some("1"), Some(ComplianceStatus::NotMet)),
        ("L3", Some("1"), Some(ComplianceStatus::NotMet)),
        ("L4", Some("2"), Some(ComplianceStatus::Met)),
        ("L5", Some("3"), Some(ComplianceStatus::NotMet)),
        ("L6", Some("4"), Some(ComplianceStatus::Met)),
        ("L7", None, None),
    ] {
        let mut d = duty(sid, code, req, unit);
        match code {
            "L1" => {
                d.section = "4 §".into();
                d.every_months = Some(24);
                d.fulfilled_by = Some(EvidenceKind::SituationReport);
            }
            "L2" => {
                d.first_due = Some("2024-07-01".into());
                d.every_months = Some(24);
                d.fulfilled_by = Some(EvidenceKind::Decision);
            }
            "L4" => d.evidence.push(Evidence {
                id: 0,
                kind: EvidenceKind::Agreement,
                ref_id: Some(ag),
                date: Some("2023-01-01".into()),
                text: String::new(),
            }),
            "L6" => d.evidence.push(Evidence {
                id: 0,
                kind: EvidenceKind::Function,
                ref_id: None,
                date: None,
                text: "Säkerhetssamordnare, trygghets- och säkerhetssektionen".into(),
            }),
            _ => {}
        }
        d.assessments = status
            .map(|s| assessment(s, "2024-03-01"))
            .into_iter()
            .collect();
        ids.push(w.create_obligation(&d).await.unwrap());
    }
    w.commit().await.unwrap();
    (sid, ids)
}

#[tokio::test]
async fn duties_count_two_of_four_and_raise_overdue_and_unmet_once() {
    for db in TestDb::all().await {
        eprintln!("duties on {:?}", db.backend());
        let store = &db.store;
        let t = tree(store).await;
        let (sid, _) = huddinge_duties(store, t.ks, t.ks).await;
        let duties = store.obligations(sid).await.unwrap();
        let codes: Vec<&str> = duties.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, vec!["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"]);
        let c = compliance(&duties);
        assert_eq!(c.summary_sv(), "2 av 4");
        assert_eq!(duties[0].section, "4 §");
        assert_eq!(duties[3].evidence[0].kind, EvidenceKind::Agreement);
        assert_eq!(
            duties[5].evidence[0].text,
            "Säkerhetssamordnare, trygghets- och säkerhetssektionen"
        );
        let facts = store.evidence_facts().await.unwrap();
        assert_eq!(facts.agreements.len(), 1);
        let l2 = &duties[1];
        assert_eq!(
            uppsikt_domain::obligation::overdue(l2, &facts, "2024-07-02").as_deref(),
            Some("2024-07-01")
        );
        assert_eq!(store.obligation(l2.id).await.unwrap(), *l2);

        // Overdue and unmet, each once, on the responsible board.
        let due = store
            .automatic_deviations("2024-12-01", 2024)
            .await
            .unwrap();
        let keys: Vec<String> = due
            .iter()
            .filter(|d| d.source == Source::Obligation)
            .filter_map(|d| d.cause_key.clone())
            .collect();
        assert!(keys.contains(&overdue_key(l2.id, "2024-07-01")), "{keys:?}");
        assert!(keys.contains(&unmet_key(l2.id)));
        assert_eq!(keys.len(), 5, "L2 overdue; L1, L2, L3, L5 unmet: {keys:?}");
        let mut w = writer(store).await;
        assert_eq!(
            w.raise_deviations(due.clone(), "2024-12-01")
                .await
                .unwrap()
                .len(),
            5
        );
        assert!(w
            .raise_deviations(due, "2024-12-01")
            .await
            .unwrap()
            .is_empty());
        w.commit().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn evidence_and_assessments_are_checked_against_what_they_name() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let (varby, _, _) = three_areas(store).await;
        let (sid, ids) = huddinge_duties(store, t.child, t.ks).await;
        let l1 = ids[1];
        let before = store.obligation(l1).await.unwrap();
        let version = store.data_version().await.unwrap();

        // "Uppfylld" without a complete lägesbild is refused; so is a date after today, a
        // duplicate code, a report that does not exist.
        let mut w = writer(store).await;
        let met = assessment(ComplianceStatus::Met, "2025-01-10");
        assert!(matches!(
            refusal(w.add_obligation_assessment(l1, &met, "2025-02-01").await),
            AreaRefusal::NoQualifyingEvidence(_)
        ));
        assert_eq!(
            refusal(
                w.add_obligation_assessment(
                    l1,
                    &assessment(ComplianceStatus::NotMet, "2025-03-01"),
                    "2025-02-01"
                )
                .await
            ),
            AreaRefusal::InFuture
        );
        assert!(matches!(
            refusal(w.create_obligation(&duty(sid, "L2", None, t.child)).await),
            AreaRefusal::Duplicate(_)
        ));
        assert!(w
            .add_evidence(
                l1,
                &Evidence {
                    id: 0,
                    kind: EvidenceKind::SituationReport,
                    ref_id: Some(999_999),
                    date: None,
                    text: String::new(),
                }
            )
            .await
            .unwrap_err()
            .is_not_found());
        assert_eq!(w.changes(), 0);
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        assert_eq!(store.obligation(l1).await.unwrap(), before);

        // A complete lägesbild as evidence makes "Uppfylld" possible.
        let mut w = writer(store).await;
        let mut r = report(
            SituationKind::Overall,
            "Övergripande lägesbild 2024",
            "2024-12-31",
            &[(varby, 4)],
        );
        r.checklist = ChecklistItem::ALL.iter().copied().collect();
        let report_id = w.create_situation_report(&r).await.unwrap();
        let evidence = w
            .add_evidence(
                l1,
                &Evidence {
                    id: 0,
                    kind: EvidenceKind::SituationReport,
                    ref_id: Some(report_id),
                    date: Some("2024-12-31".into()),
                    text: String::new(),
                },
            )
            .await
            .unwrap();
        w.add_obligation_assessment(l1, &met, "2025-02-01")
            .await
            .unwrap();
        let mut changed = store.obligation(l1).await.unwrap();
        changed.checklist = vec!["Kartläggning".into(), "Analys".into()];
        changed.note = "Se revisionsrapporten.".into();
        // Evidence and assessments given to an update are not its to change.
        changed.evidence.clear();
        w.update_obligation(&changed).await.unwrap();
        w.commit().await.unwrap();
        let after = store.obligation(l1).await.unwrap();
        assert_eq!(after.status(), ComplianceStatus::Met);
        assert_eq!(after.evidence.len(), 1);
        assert_eq!(after.evidence[0].id, evidence);
        assert_eq!(after.checklist, changed.checklist);
        assert!(store
            .evidence_facts()
            .await
            .unwrap()
            .complete_reports
            .contains(&report_id));

        let mut w = writer(store).await;
        w.remove_evidence(evidence).await.unwrap();
        assert!(w
            .remove_evidence(evidence)
            .await
            .unwrap_err()
            .is_not_found());
        w.commit().await.unwrap();
        assert!(store.obligation(l1).await.unwrap().evidence.is_empty());
        let types: BTreeSet<String> = store
            .history(ObjectKind::Obligation, l1, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.object_type)
            .collect();
        assert_eq!(
            types,
            ["obligation", "obligation_assessment", "obligation_evidence"]
                .map(String::from)
                .into()
        );
        let mut s = store.statute(sid).await.unwrap();
        s.note = "Trädde i kraft 2023-07-01 (revisionsrapporten anger 2023-06-01).".into();
        let mut w = writer(store).await;
        w.update_statute(&s).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.statutes().await.unwrap(), vec![s]);
        db.finish().await;
    }
}

/// A database made before migration 0017 (its migrations only), with an area classed the
/// old way: the migration makes the class an undated classification without a source.
#[tokio::test]
async fn old_police_classes_become_undated_classifications() {
    let dir = std::env::temp_dir().join(format!(
        "uppsikt-migrations-before-0017-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0017" {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    let file = dir.join("old.db");
    let store = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let before_0017 = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
    before_0017.run(store.pool()).await.unwrap();
    sqlx::query(
        "INSERT INTO areas (name, police_class) VALUES ('Vårby', 'utsatt'), ('Alby', NULL), \
         ('Fittja', 'sarskilt-utsatt')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let classes: Vec<(String, Vec<Classification>)> = store
        .areas()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.classifications))
        .collect();
    assert_eq!(
        classes,
        vec![
            ("Alby".to_string(), vec![]),
            (
                "Fittja".to_string(),
                vec![classification(None, PoliceClass::SeverelyVulnerable, "")]
            ),
            (
                "Vårby".to_string(),
                vec![classification(None, PoliceClass::Vulnerable, "")]
            ),
        ]
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
