//! Every change-log row names where its change came from: the source its `Writer` was
//! opened with (a form, an imported file, Kolada …), on both backends. Rows from before
//! the column existed have none; the history shows them as "okänd källa".

mod common;

use common::tree;
use uppsikt_domain::access::Role;
use uppsikt_domain::{Breakdown, Outcome, Period};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ChangeSource, NewUser};

fn outcome(year: i32, value: f64) -> Outcome {
    Outcome {
        period: Period::Year(year),
        breakdown: Breakdown::Total,
        value,
        margin: Some(3.0),
        sample_size: None,
    }
}

#[tokio::test]
async fn each_row_records_the_source_its_writer_was_opened_with() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store.writer("kajsa", ChangeSource::Cli).await.unwrap();
        w.add_user(&NewUser {
            username: "kajsa".into(),
            display_name: "Kajsa Controller".into(),
            role: Role::Controller,
            units: Vec::new(),
            password_hash: None,
            oidc_subject: None,
        })
        .await
        .unwrap();
        w.commit().await.unwrap();
        for (source, year) in [
            (ChangeSource::Form, 2020),
            (ChangeSource::file("/tmp/upload/utfall-2020.csv"), 2021),
            (ChangeSource::Kolada, 2022),
        ] {
            let mut w = store.writer("kajsa", source.clone()).await.unwrap();
            assert_eq!(w.source(), &source);
            w.set_outcome(t.indicator, &outcome(year, 58.0))
                .await
                .unwrap();
            w.commit().await.unwrap();
        }
        let log = store
            .change_log(Some(("outcome", t.indicator)), 10)
            .await
            .unwrap();
        let sources: Vec<_> = log.iter().map(|e| e.change_source()).collect();
        assert_eq!(
            sources,
            vec![
                Some(ChangeSource::Kolada),
                Some(ChangeSource::File("utfall-2020.csv".into())),
                Some(ChangeSource::Form),
            ],
            "newest first, the file named without its directories"
        );
        assert_eq!(log[1].source.as_deref(), Some("file"));
        assert_eq!(log[1].source_detail.as_deref(), Some("utfall-2020.csv"));
        assert!(
            log.iter()
                .all(|e| e.actor == "kajsa" && e.actor_name.as_deref() == Some("Kajsa Controller")),
            "the account's name comes with each row"
        );
        // The history of the indicator reads the same rows, with the same columns.
        let history = store
            .history(
                uppsikt_domain::object_kind::ObjectKind::Indicator,
                t.indicator,
                10,
            )
            .await
            .unwrap();
        assert!(
            history.len() >= 4,
            "three outcomes and the indicator's creation"
        );
        assert_eq!(history[0].change_source(), Some(ChangeSource::Kolada));
        // A row whose actor has no account has no name; the export reads every row.
        let all = store.change_log_between(None, None).await.unwrap();
        let created = all.iter().find(|e| e.object_type == "user").unwrap();
        assert_eq!(created.change_source(), Some(ChangeSource::Cli));
        assert!(all
            .iter()
            .filter(|e| e.actor == "test")
            .all(|e| e.actor_name.is_none() && e.change_source() == Some(ChangeSource::Form)));
        db.finish().await;
    }
}

#[tokio::test]
async fn rows_from_before_sources_were_recorded_have_none() {
    for db in TestDb::all().await {
        let store = &db.store;
        // As an older version wrote them: without the new columns.
        sqlx::query(
            "INSERT INTO change_log (at, actor, action, object_type, object_id, before_value, after_value) \
             VALUES ('2019-01-01T10:00:00Z', 'gammal', 'set', 'vision', NULL, NULL, '\"Vision\"')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let log = store.change_log(None, 1).await.unwrap();
        assert_eq!(log[0].actor, "gammal");
        assert_eq!(log[0].source, None);
        assert_eq!(log[0].change_source(), None);
        db.finish().await;
    }
}
