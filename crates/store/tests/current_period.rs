//! A unit's current period on every backend: the latest decided period until a controller
//! chooses one, the nearest choice above a unit without its own, and every choice logged
//! in the unit's history.

mod common;

use common::tree;
use uppsikt_domain::current_period::{Basis, CurrentPeriod};
use uppsikt_domain::model::PeriodLock;
use uppsikt_domain::Period;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{StoreError, CURRENT_PERIOD_LOG_TYPE};

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

fn ks_2019(org_id: i64) -> PeriodLock {
    PeriodLock {
        org_id,
        period: p("2019"),
        body: "Kommunstyrelsen".into(),
        decided_on: "2020-03-30".into(),
        paragraph: "§ 45".into(),
        diary_number: "KS-2020/123".into(),
        locked_by: "controller".into(),
        locked_at: "2020-03-30T12:00:00Z".into(),
    }
}

#[tokio::test]
async fn the_current_period_is_the_latest_decided_until_a_controller_chooses() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        assert_eq!(store.current_period(t.ks).await.unwrap(), None);
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.lock_period(&ks_2019(t.ks)).await.unwrap();
        w.commit().await.unwrap();
        let decided = Some(CurrentPeriod {
            period: p("2019"),
            basis: Basis::LatestDecided,
        });
        assert_eq!(store.current_period(t.ks).await.unwrap(), decided);
        assert_eq!(store.current_period(t.child).await.unwrap(), decided);
        assert_eq!(store.current_period(t.other).await.unwrap(), None);

        let version = store.data_version().await.unwrap();
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_current_period(t.ks, Some(p("2020"))).await.unwrap();
        w.commit().await.unwrap();
        assert!(store.data_version().await.unwrap() > version);
        assert_eq!(
            store.current_period(t.ks).await.unwrap(),
            Some(CurrentPeriod {
                period: p("2020"),
                basis: Basis::Chosen
            })
        );
        assert_eq!(
            store.current_period(t.child).await.unwrap(),
            Some(CurrentPeriod {
                period: p("2020"),
                basis: Basis::Inherited(t.ks)
            }),
            "the förvaltning follows KS"
        );
        let log = store
            .change_log(Some((CURRENT_PERIOD_LOG_TYPE, t.ks)), 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].actor, "controller");
        assert_eq!(log[0].before_value.as_deref(), Some(r#"{"period":null}"#));
        assert_eq!(log[0].after_value.as_deref(), Some(r#"{"period":"2020"}"#));

        // The same choice again writes nothing; clearing it goes back to the decided year.
        let version = store.data_version().await.unwrap();
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_current_period(t.ks, Some(p("2020"))).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), version);
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_current_period(t.ks, None).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(store.current_period(t.ks).await.unwrap(), decided);
        let log = store
            .change_log(Some((CURRENT_PERIOD_LOG_TYPE, t.ks)), 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].after_value.as_deref(), Some(r#"{"period":null}"#));

        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(matches!(
            w.set_current_period(9999, Some(p("2020"))).await,
            Err(StoreError::NotFound { .. })
        ));
        w.rollback().await.unwrap();
        db.finish().await;
    }
}
