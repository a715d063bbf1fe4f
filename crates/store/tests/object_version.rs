//! The version of an object (the newest change-log row of its history), on every backend:
//! 0 before anything is logged for it, the newest row after a change to it or one of its
//! parts, unchanged by a change to another object; and two writers that check the same
//! object's version take turns, so that the second sees the first one's change (on
//! PostgreSQL through the advisory lock, on SQLite through `BEGIN IMMEDIATE`).

mod common;

use std::time::Duration;

use uppsikt_domain::model::GoalKind;
use uppsikt_domain::object_kind::ObjectKind;
use uppsikt_store::testing::TestDb;
use uppsikt_store::{ChangeSource, GoalInput, Store};

fn goal_input(t: &common::Tree, title: &str) -> GoalInput {
    GoalInput {
        key: String::new(),
        org_id: t.child,
        parent_id: None,
        title: title.into(),
        description: String::new(),
        kind: GoalKind::Board,
        position: 0,
    }
}

async fn newest_row(store: &Store) -> i64 {
    store.change_log(None, 1).await.unwrap()[0].id
}

#[tokio::test]
async fn an_objects_version_is_its_newest_change() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = common::tree(store).await;
        let goal = ObjectKind::Goal;
        let created = store.object_version(goal, t.goal).await.unwrap();
        assert!(created > 0, "the goal's creation is logged");
        assert_eq!(store.object_version(goal, t.goal + 1000).await.unwrap(), 0);

        let mut w = store.writer("a", ChangeSource::Form).await.unwrap();
        assert_eq!(w.object_version(goal, t.goal).await.unwrap(), created);
        w.update_goal(t.goal, &goal_input(&t, "Ändrad"))
            .await
            .unwrap();
        w.commit().await.unwrap();
        let changed = store.object_version(goal, t.goal).await.unwrap();
        assert!(changed > created);
        assert_eq!(changed, newest_row(store).await);

        // Another object's change leaves it as it was.
        let mut w = store.writer("a", ChangeSource::Form).await.unwrap();
        let other = w.create_goal(&goal_input(&t, "Annat")).await.unwrap();
        w.commit().await.unwrap();
        assert_ne!(other, t.goal);
        assert_eq!(store.object_version(goal, t.goal).await.unwrap(), changed);
        // The history after a version is what changed since.
        let since = store
            .history_since(goal, t.goal, created, 10)
            .await
            .unwrap();
        assert_eq!(since.len(), 1);
        assert_eq!(since[0].id, changed);
        assert!(store
            .history_since(goal, t.goal, changed, 10)
            .await
            .unwrap()
            .is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn writers_that_check_one_objects_version_take_turns() {
    for db in TestDb::all().await {
        let store = db.store.clone();
        let t = common::tree(&store).await;
        let before = store
            .object_version(ObjectKind::Goal, t.goal)
            .await
            .unwrap();
        let mut first = store.writer("a", ChangeSource::Form).await.unwrap();
        assert_eq!(
            first
                .object_version(ObjectKind::Goal, t.goal)
                .await
                .unwrap(),
            before
        );
        let second = {
            let store = store.clone();
            let goal = t.goal;
            tokio::spawn(async move {
                let mut w = store.writer("b", ChangeSource::Form).await.unwrap();
                let seen = w.object_version(ObjectKind::Goal, goal).await.unwrap();
                w.rollback().await.unwrap();
                seen
            })
        };
        // The second waits while the first has checked and not yet committed.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "the second writer waits its turn");
        first
            .update_goal(t.goal, &goal_input(&t, "Först"))
            .await
            .unwrap();
        first.commit().await.unwrap();
        let seen = second.await.unwrap();
        assert!(
            seen > before,
            "the second writer sees the first one's change"
        );
        assert_eq!(
            seen,
            store
                .object_version(ObjectKind::Goal, t.goal)
                .await
                .unwrap()
        );
        db.finish().await;
    }
}
