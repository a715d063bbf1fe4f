//! One story of writes and reads, run on every backend available (atuin's db_story style).

use uppsikt_domain::model::{GoalKind, OrgKind, PeriodReview, Stage};
use uppsikt_domain::{
    Breakdown, CommitmentStatus, Direction, Outcome, Period, Status, Target, Trend,
};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{
    AssessmentInput, CommitmentInput, GoalInput, IndicatorInput, OrgUnitInput, Scope, Store,
};

async fn story(store: &Store) {
    let v0 = store.data_version().await.unwrap();
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let kommun = w
        .upsert_org_unit(&OrgUnitInput {
            key: "huddinge".into(),
            name: "Huddinge kommun".into(),
            short_name: "Huddinge".into(),
            kind: OrgKind::Kommun,
            parent_id: None,
            position: 0,
        })
        .await
        .unwrap();
    let ks = w
        .upsert_org_unit(&OrgUnitInput {
            key: "ks".into(),
            name: "Kommunstyrelsen".into(),
            short_name: "KS".into(),
            kind: OrgKind::Styrelse,
            parent_id: Some(kommun),
            position: 1,
        })
        .await
        .unwrap();
    let kf_goal = w
        .create_goal(&GoalInput {
            key: String::new(),
            org_id: kommun,
            parent_id: None,
            title: "Bra att leva och bo".into(),
            description: String::new(),
            kind: GoalKind::Overall,
            position: 0,
        })
        .await
        .unwrap();
    let goal = w
        .create_goal(&GoalInput {
            key: String::new(),
            org_id: ks,
            parent_id: Some(kf_goal),
            title: "Ökad trivsel och trygghet".into(),
            description: "Trygghet i alla områden".into(),
            kind: GoalKind::Board,
            position: 0,
        })
        .await
        .unwrap();
    w.set_priorities(goal, &["Trygghetsvandringar".into(), "Belysning".into()])
        .await
        .unwrap();
    w.set_analysis(goal, Period::Year(2019), "Tryggheten är oförändrad.")
        .await
        .unwrap();
    let ind = w
        .create_indicator(&IndicatorInput {
            key: String::new(),
            goal_id: goal,
            name: "Betygsindex för trygghet".into(),
            unit: "index".into(),
            direction: Direction::Higher,
            source: "SCB".into(),
            kolada_kpi: String::new(),
            decimals: 0,
            frequency: uppsikt_domain::Frequency::Biennial,
            position: 0,
            margin_basis: None,
            trend_window: Default::default(),
        })
        .await
        .unwrap();
    for (y, v) in [(2013, 56.0), (2015, 57.0), (2017, 55.0), (2019, 51.0)] {
        w.set_outcome(
            ind,
            &Outcome {
                period: Period::Year(y),
                breakdown: Breakdown::Total,
                value: v,
                margin: Some(9.0),
                sample_size: None,
            },
        )
        .await
        .unwrap();
    }
    w.set_outcome(
        ind,
        &Outcome {
            period: Period::Year(2019),
            breakdown: Breakdown::Area("Vårby".into()),
            value: 40.0,
            margin: None,
            sample_size: Some(120),
        },
    )
    .await
    .unwrap();
    w.set_milestone(ind, 2019, Some(Target::Maintain))
        .await
        .unwrap();
    let c = w
        .create_commitment(&CommitmentInput {
            key: String::new(),
            goal_id: goal,
            title: "Strategi för valfrihet".into(),
            description: String::new(),
            year: 2019,
            carried_over_from: None,
            position: 0,
        })
        .await
        .unwrap();
    w.add_commitment_status(
        c,
        "2019-12-31",
        CommitmentStatus::NotDoneThisYear,
        "Fortsätter 2020",
    )
    .await
    .unwrap();
    w.set_assessment(&AssessmentInput {
        org_id: ks,
        goal_id: Some(goal),
        period: Period::Year(2019),
        stage: Stage::Decided,
        level: "God".into(),
        motivation: "".into(),
        author: "KS".into(),
        date: "2020-02-19".into(),
    })
    .await
    .unwrap();
    w.set_assessment(&AssessmentInput {
        org_id: ks,
        goal_id: None,
        period: Period::Year(2019),
        stage: Stage::Decided,
        level: "God".into(),
        motivation: "".into(),
        author: "KS".into(),
        date: "".into(),
    })
    .await
    .unwrap();
    // The same key again replaces instead of duplicating.
    w.set_assessment(&AssessmentInput {
        org_id: ks,
        goal_id: None,
        period: Period::Year(2019),
        stage: Stage::Decided,
        level: "Godtagbar".into(),
        motivation: "Ändrad".into(),
        author: "KS".into(),
        date: "".into(),
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
    assert_eq!(store.data_version().await.unwrap(), v0 + 1);

    let goals = store.goals_of_org(ks).await.unwrap();
    assert_eq!(goals.len(), 1);
    assert_eq!(goals[0].key, "okad-trivsel-och-trygghet");
    assert_eq!(
        store.priorities(goal).await.unwrap(),
        vec!["Trygghetsvandringar", "Belysning"]
    );
    assert_eq!(
        store.analyses(goal).await.unwrap()[0].text,
        "Tryggheten är oförändrad."
    );
    let tree = store.goal_tree(kf_goal).await.unwrap();
    assert_eq!(tree.len(), 2);

    let records = store.indicator_records(Scope::Org(ks)).await.unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.outcomes.len(), 5);
    let e = r.evaluate(Period::Year(2019));
    assert_eq!(e.trend, Some(Trend::Unchanged));
    assert_eq!(e.status, Status::Achieved, "Behåll within the margin");
    assert_eq!(
        store
            .indicator_records(Scope::GoalTree(kf_goal))
            .await
            .unwrap()
            .len(),
        1
    );
    // The light load for goal lists holds only totals, and evaluates the same.
    let light = store.indicator_statuses(Scope::Org(ks)).await.unwrap();
    assert_eq!(light[0].outcomes.len(), 4);
    let le = light[0].evaluate(Period::Year(2019));
    assert_eq!((le.status, le.trend), (e.status, e.trend));
    assert_eq!(
        store
            .indicator_records(Scope::Indicator(ind))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .indicator_records(Scope::Org(kommun))
            .await
            .unwrap()
            .len(),
        0
    );

    let commitments = store.commitments(Scope::Org(ks)).await.unwrap();
    assert_eq!(
        commitments[0].status_at_year_end(2019),
        Some(CommitmentStatus::NotDoneThisYear)
    );
    let assessments = store.assessments_by_org(ks).await.unwrap();
    assert_eq!(assessments.len(), 2);
    let overall = assessments.iter().find(|a| a.goal_id.is_none()).unwrap();
    assert_eq!(
        (overall.level.as_str(), overall.motivation.as_str()),
        ("Godtagbar", "Ändrad")
    );

    let (scale, rules) = store.assessment_config().await.unwrap();
    assert_eq!(scale.levels[0], "Mycket god");
    assert_eq!(rules.thresholds.len(), 3);

    // Every change is in the log, with before and after values.
    let log = store
        .change_log(Some(("assessment", overall.id)), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log[0].before_value.as_deref().unwrap().contains("God"));
    assert!(log[0].after_value.as_deref().unwrap().contains("Godtagbar"));

    // A rolled-back writer leaves nothing behind and does not bump the version.
    let v1 = store.data_version().await.unwrap();
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_outcome(
        ind,
        &Outcome {
            period: Period::Year(2021),
            breakdown: Breakdown::Total,
            value: 60.0,
            margin: None,
            sample_size: None,
        },
    )
    .await
    .unwrap();
    drop(w);
    assert_eq!(store.indicator_record(ind).await.unwrap().outcomes.len(), 5);
    assert_eq!(store.data_version().await.unwrap(), v1);

    // Å, ä and ö survive the round trip; areas sort in Swedish order.
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    for a in ["Östberga", "Vårby", "Ängen", "Alby"] {
        w.upsert_area(a, None).await.unwrap();
    }
    w.commit().await.unwrap();
    let names: Vec<String> = store
        .areas()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, vec!["Alby", "Vårby", "Ängen", "Östberga"]);

    // A period review is stored, replaced, logged and removed when emptied.
    let mut review = PeriodReview {
        org_id: ks,
        period: Period::Year(2019),
        events: vec![
            "Överenskommelse om Spårväg syd".into(),
            "Val till Europaparlamentet".into(),
        ],
        improvement_areas: vec!["Utveckla lokalförsörjningsprocessen".into()],
    };
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_period_review(&review).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(
        store.period_review(ks, Period::Year(2019)).await.unwrap(),
        Some(review.clone())
    );
    assert_eq!(
        store.period_review(ks, Period::Year(2020)).await.unwrap(),
        None
    );
    review.events.pop();
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_period_review(&review).await.unwrap();
    w.commit().await.unwrap();
    let log = store
        .change_log(Some(("period_review", ks)), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log[0]
        .before_value
        .as_deref()
        .unwrap()
        .contains("Europaparlamentet"));
    assert!(!log[0]
        .after_value
        .as_deref()
        .unwrap()
        .contains("Europaparlamentet"));
    review.events.clear();
    review.improvement_areas.clear();
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_period_review(&review).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(
        store.period_review(ks, Period::Year(2019)).await.unwrap(),
        None
    );

    // A goal cannot be placed under itself.
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let err = w
        .update_goal(
            kf_goal,
            &GoalInput {
                key: String::new(),
                org_id: kommun,
                parent_id: Some(goal),
                title: "X".into(),
                description: String::new(),
                kind: GoalKind::Overall,
                position: 0,
            },
        )
        .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn story_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("story on {:?}", db.backend());
        story(&db.store).await;
        db.finish().await;
    }
}

/// Concurrent writers queue instead of failing, and every committed write is counted.
#[tokio::test]
async fn concurrent_writers_all_commit() {
    for db in TestDb::all().await {
        let store = db.store.clone();
        let ind = one_indicator(&store).await;
        let v0 = store.data_version().await.unwrap();
        let mut tasks = Vec::new();
        for t in 0..8u8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..5u8 {
                    // Read first, then write: the pattern that upgrades a read lock.
                    let _ = store.indicator_record(ind).await.unwrap();
                    let mut w = store
                        .writer("test", uppsikt_store::ChangeSource::Form)
                        .await
                        .unwrap();
                    let week = Period::Week(2020, t * 5 + i + 1);
                    w.set_outcome(
                        ind,
                        &Outcome {
                            period: week,
                            breakdown: Breakdown::Total,
                            value: f64::from(i),
                            margin: None,
                            sample_size: None,
                        },
                    )
                    .await
                    .unwrap();
                    w.commit().await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            store.indicator_record(ind).await.unwrap().outcomes.len(),
            40
        );
        assert_eq!(store.data_version().await.unwrap(), v0 + 40);
        db.finish().await;
    }
}

/// A municipality with one goal and one weekly indicator; returns the indicator's id.
async fn one_indicator(store: &Store) -> i64 {
    let mut w = store
        .writer("test", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let org = w
        .upsert_org_unit(&OrgUnitInput {
            key: "k".into(),
            name: "Kommunen".into(),
            short_name: "K".into(),
            kind: OrgKind::Kommun,
            parent_id: None,
            position: 0,
        })
        .await
        .unwrap();
    let goal = w
        .create_goal(&GoalInput {
            key: String::new(),
            org_id: org,
            parent_id: None,
            title: "Mål".into(),
            description: String::new(),
            kind: GoalKind::Overall,
            position: 0,
        })
        .await
        .unwrap();
    let ind = w
        .create_indicator(&IndicatorInput {
            key: String::new(),
            goal_id: goal,
            name: "Mått".into(),
            unit: "antal".into(),
            direction: Direction::Higher,
            source: String::new(),
            kolada_kpi: String::new(),
            decimals: 0,
            frequency: uppsikt_domain::Frequency::Week,
            position: 0,
            margin_basis: None,
            trend_window: Default::default(),
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    ind
}

/// A backup taken while writers commit is one consistent snapshot: its data version,
/// change log and outcomes agree, and a restore brings exactly that state back.
#[tokio::test]
async fn backup_during_writes_is_consistent_and_restores() {
    let dir = std::env::temp_dir().join(format!("uppsikt-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("live.sqlite").display());
    let store = Store::open(&url).await.unwrap();
    let ind = one_indicator(&store).await;
    let v0 = store.data_version().await.unwrap();
    let writers: Vec<_> = (0..4u8)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..10u8 {
                    let mut w = store
                        .writer("test", uppsikt_store::ChangeSource::Form)
                        .await
                        .unwrap();
                    w.set_outcome(
                        ind,
                        &Outcome {
                            period: Period::Week(2021, t * 10 + i + 1),
                            breakdown: Breakdown::Total,
                            value: f64::from(i),
                            margin: None,
                            sample_size: None,
                        },
                    )
                    .await
                    .unwrap();
                    w.commit().await.unwrap();
                }
            })
        })
        .collect();
    let backup = dir.join("kopia.sqlite");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.backup_to(&backup).await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let copy = Store::open(&format!("sqlite://{}", backup.display()))
        .await
        .unwrap();
    let v = copy.data_version().await.unwrap() - v0;
    let outcomes = copy.indicator_record(ind).await.unwrap().outcomes.len() as i64;
    let logged = copy
        .change_log(Some(("outcome", ind)), 1000)
        .await
        .unwrap()
        .len() as i64;
    assert_eq!(outcomes, v, "one outcome per commit");
    assert_eq!(logged, v, "one log row per commit");
    copy.close().await;
    assert_eq!(
        store.indicator_record(ind).await.unwrap().outcomes.len(),
        40
    );

    let summary = store.restore_from(&backup, "test").await.unwrap();
    assert!(
        summary.data_version > v0 + 40,
        "moves past every version seen"
    );
    assert_eq!(
        store.indicator_record(ind).await.unwrap().outcomes.len() as i64,
        outcomes
    );
    let kept = store
        .change_log(Some(("outcome", ind)), 1000)
        .await
        .unwrap();
    assert_eq!(
        kept.len(),
        40,
        "the append-only log keeps what the restore undid"
    );
    assert_eq!(
        store.change_log(None, 1).await.unwrap()[0].action,
        "restore"
    );
    assert!(matches!(
        store.backup_to(&backup).await,
        Err(uppsikt_store::StoreError::Backup(
            uppsikt_store::BackupError::Exists(_)
        ))
    ));
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL has its own tools; uppsikt says so instead of half-working.
#[tokio::test]
async fn backup_and_restore_on_postgres_are_refused_clearly() {
    use uppsikt_store::{Backend, BackupError, StoreError};
    for db in TestDb::all().await {
        if db.backend() == Backend::Postgres {
            let path = std::env::temp_dir().join("uppsikt-pg-backup-never-written");
            let backup = db.store.backup_to(&path).await;
            assert!(matches!(
                backup,
                Err(StoreError::Backup(BackupError::NotSqlite))
            ));
            let restore = db.store.restore_from(&path, "test").await;
            assert!(matches!(
                restore,
                Err(StoreError::Backup(BackupError::NotSqlite))
            ));
            assert!(!path.exists());
        }
        db.finish().await;
    }
}
