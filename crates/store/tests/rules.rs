//! The versioned assessment rules on every backend: the version the upgrade seeds from the
//! active scale, saving a version (validated, logged) that then applies, and refusals that
//! write nothing.

use uppsikt_domain::assessment::{AssessmentRules, MissingOutcomes, RulesError};
use uppsikt_domain::evaluation::EvaluationSettings;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{RuleProblem, Store};

async fn save(
    store: &Store,
    rules: &AssessmentRules,
    relative: f64,
    motivation: &str,
) -> Result<i64, RuleProblem> {
    let mut w = store
        .writer("controller", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let saved = w
        .save_rules(
            rules,
            EvaluationSettings {
                relative_threshold: relative,
            },
            motivation,
        )
        .await
        .unwrap();
    match saved {
        Ok(_) => w.commit().await.unwrap(),
        Err(_) => w.rollback().await.unwrap(),
    }
    saved
}

async fn versions_are_saved_logged_and_applied(store: &Store) {
    // The upgrade's version: the scale's rules, 1 % relative threshold.
    let first = store.rule_versions().await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].number, 1);
    assert_eq!(first[0].rules, AssessmentRules::default());
    assert!((first[0].settings.relative_threshold - 0.01).abs() < 1e-12);
    assert_eq!(first[0].saved_by, "uppsikt (uppgradering)");
    let (scale, rules) = store.assessment_config().await.unwrap();
    assert_eq!(scale.levels.len(), 4);
    assert_eq!(rules, AssessmentRules::default());

    let stricter = AssessmentRules {
        thresholds: vec![0.95, 0.675, 0.4],
        commitment_weight: 0.5,
        unfinished_commitment_penalty: 1,
        missing_outcomes: MissingOutcomes::NotAchieved,
    };
    let v0 = store.data_version().await.unwrap();
    let id = save(
        store,
        &stricter,
        0.02,
        "  Närmare nämndernas beslut 2019.  ",
    )
    .await
    .unwrap();
    assert!(store.data_version().await.unwrap() > v0);
    let versions = store.rule_versions().await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!((versions[0].id, versions[0].number), (id, 2));
    assert_eq!(versions[0].rules, stricter);
    assert!((versions[0].settings.relative_threshold - 0.02).abs() < 1e-12);
    assert_eq!(versions[0].saved_by, "controller");
    assert_eq!(versions[0].motivation, "Närmare nämndernas beslut 2019.");
    assert!(!versions[0].saved_at.is_empty());
    assert_eq!(versions[1].number, 1, "the older version is kept");
    assert_eq!(store.assessment_config().await.unwrap().1, stricter);
    let log = store
        .change_log(Some(("rule_version", id)), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "controller");
    assert!(log[0].before_value.as_deref().unwrap().contains("0.9"));
    assert!(log[0]
        .after_value
        .as_deref()
        .unwrap()
        .contains("not_achieved"));

    // Refusals write nothing.
    let v1 = store.data_version().await.unwrap();
    let rising = AssessmentRules {
        thresholds: vec![0.5, 0.9, 0.4],
        ..AssessmentRules::default()
    };
    assert_eq!(
        save(store, &rising, 0.01, "x").await,
        Err(RuleProblem::Rules(RulesError::ThresholdOrder))
    );
    assert_eq!(
        save(store, &AssessmentRules::default(), 0.6, "x").await,
        Err(RuleProblem::RelativeThreshold(0.6))
    );
    let heavy = AssessmentRules {
        commitment_weight: 11.0,
        ..AssessmentRules::default()
    };
    assert_eq!(
        save(store, &heavy, 0.01, "x").await,
        Err(RuleProblem::Weight(11.0))
    );
    let penalty = AssessmentRules {
        unfinished_commitment_penalty: 4,
        ..AssessmentRules::default()
    };
    assert_eq!(
        save(store, &penalty, 0.01, "x").await,
        Err(RuleProblem::Penalty(4))
    );
    assert_eq!(
        save(store, &AssessmentRules::default(), 0.01, " \n").await,
        Err(RuleProblem::NoMotivation)
    );
    assert_eq!(
        save(store, &stricter, 0.02, "Samma igen").await,
        Err(RuleProblem::Unchanged)
    );
    assert_eq!(store.rule_versions().await.unwrap().len(), 2);
    assert_eq!(store.data_version().await.unwrap(), v1);
    assert_eq!(store.assessment_config().await.unwrap().1, stricter);

    // Back to the first version's settings: a third version, which applies.
    save(store, &AssessmentRules::default(), 0.01, "Tillbaka")
        .await
        .unwrap();
    assert_eq!(
        store.assessment_config().await.unwrap().1,
        AssessmentRules::default()
    );
    assert_eq!(store.rule_versions().await.unwrap()[0].number, 3);
}

#[tokio::test]
async fn rule_versions_on_every_backend() {
    for db in TestDb::all().await {
        versions_are_saved_logged_and_applied(&db.store).await;
        db.finish().await;
    }
}
