//! Indicators as stored, on every backend.

mod common;

use common::tree;
use uppsikt_store::testing::TestDb;
use uppsikt_store::StoreError;

/// An indicator's frequency is stored as its code; a code the domain does not know is
/// reported as corrupt data, not a panic.
#[tokio::test]
async fn an_unknown_stored_frequency_is_an_error() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let stored: String = sqlx::query_scalar("SELECT frequency FROM indicators WHERE id = $1")
            .bind(t.indicator)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(stored, "year");
        sqlx::query("UPDATE indicators SET frequency = 'fortnight'")
            .execute(store.pool())
            .await
            .unwrap();
        match store.indicator_record(t.indicator).await {
            Err(StoreError::Corrupt(what)) => assert!(what.contains("fortnight"), "{what}"),
            other => panic!("{other:?}"),
        }
        db.finish().await;
    }
}
