//! Accounts, sessions, period locks and the append-only change log, on every backend.

mod common;

use common::tree;
use uppsikt_domain::access::Role;
use uppsikt_domain::model::{PeriodLock, PeriodReview};
use uppsikt_domain::{Breakdown, Outcome, Period};
use uppsikt_store::testing::TestDb;
use uppsikt_store::{NewUser, SignInCounter, SignInKey, Store, StoreError};

fn outcome(period: &str, value: f64) -> Outcome {
    Outcome {
        period: Period::parse(period).unwrap(),
        breakdown: Breakdown::Total,
        value,
        margin: None,
        sample_size: None,
    }
}

fn ks_decision(org_id: i64, period: &str) -> PeriodLock {
    PeriodLock {
        org_id,
        period: Period::parse(period).unwrap(),
        body: "Kommunstyrelsen".into(),
        decided_on: "2020-03-30".into(),
        paragraph: "§ 45".into(),
        diary_number: "KS-2020/123".into(),
        locked_by: "controller".into(),
        locked_at: "2020-03-30T12:00:00Z".into(),
    }
}

async fn set_outcome(store: &Store, ind: i64, o: &Outcome) -> Result<(), StoreError> {
    let mut w = store
        .writer("redaktor", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    w.set_outcome(ind, o).await?;
    w.commit().await
}

#[tokio::test]
async fn a_decided_period_is_locked_for_the_unit_and_its_children_until_reopened() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        set_outcome(store, t.indicator, &outcome("2019", 70.0))
            .await
            .unwrap();
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.lock_period(&ks_decision(t.ks, "2019")).await.unwrap();
        w.commit().await.unwrap();
        let v = store.data_version().await.unwrap();

        // The child's outcome for 2019 (and for a tertial in 2019) is refused, untouched.
        for p in ["2019", "2019T2"] {
            let refused = set_outcome(store, t.indicator, &outcome(p, 99.0)).await;
            match refused {
                Err(StoreError::Locked(lock)) => {
                    assert_eq!(lock.paragraph, "§ 45");
                    assert_eq!(lock.org_id, t.ks);
                }
                other => panic!("expected a lock for {p}, got {other:?}"),
            }
        }
        assert_eq!(store.data_version().await.unwrap(), v, "nothing changed");
        let stored = store.indicator_record(t.indicator).await.unwrap().outcomes;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].value, 70.0);
        // Assessments, analyses, reviews and a re-import's clearing are refused too.
        let mut w = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let review = PeriodReview {
            org_id: t.child,
            period: Period::Year(2019),
            events: vec!["Något".into()],
            improvement_areas: vec![],
        };
        assert!(matches!(
            w.set_period_review(&review).await,
            Err(StoreError::Locked(_))
        ));
        assert!(matches!(
            w.clear_indicator_series(t.indicator).await,
            Err(StoreError::Locked(_))
        ));
        drop(w);
        // Another year, and a sibling board, are open.
        set_outcome(store, t.indicator, &outcome("2020", 71.0))
            .await
            .unwrap();
        assert_eq!(
            store
                .lock_covering(t.other, Period::Year(2019))
                .await
                .unwrap(),
            None
        );
        assert!(store
            .lock_covering(t.child, Period::Tertial(2019, 1))
            .await
            .unwrap()
            .is_some());
        // Locking the same period twice is refused.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        assert!(matches!(
            w.lock_period(&ks_decision(t.ks, "2019")).await,
            Err(StoreError::Duplicate(_))
        ));
        drop(w);

        // Reopening with a reason is logged with the lock it lifted; then writes pass.
        let mut w = store
            .writer("controller", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.reopen_period(
            t.ks,
            Period::Year(2019),
            "Felaktigt utfall rättas enligt KS beslut",
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        set_outcome(store, t.indicator, &outcome("2019", 72.0))
            .await
            .unwrap();
        let log = store.change_log(Some(("period", t.ks)), 10).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["reopen", "lock"]);
        assert!(log[0]
            .after_value
            .as_deref()
            .unwrap()
            .contains("Felaktigt utfall"));
        assert!(log[0]
            .before_value
            .as_deref()
            .unwrap()
            .contains("KS-2020/123"));
        assert_eq!(log[0].actor, "controller");
        assert!(store.period_locks(Some(t.ks)).await.unwrap().is_empty());
        let _ = t.kommun;
        db.finish().await;
    }
}

#[tokio::test]
async fn the_change_log_refuses_updates_and_deletes() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        set_outcome(store, t.indicator, &outcome("2019", 70.0))
            .await
            .unwrap();
        let before = store.counts().await.unwrap().change_log;
        for sql in [
            "UPDATE change_log SET actor = 'någon annan'",
            "DELETE FROM change_log",
        ] {
            let result = sqlx::query(sql).execute(store.pool()).await;
            let message = result.expect_err(sql).to_string();
            assert!(message.contains("append-only"), "{sql}: {message}");
        }
        assert_eq!(store.counts().await.unwrap().change_log, before);
        db.finish().await;
    }
}

#[tokio::test]
async fn accounts_sessions_and_lock_out() {
    for db in TestDb::all().await {
        let store = &db.store;
        let t = tree(store).await;
        let mut w = store
            .writer("admin", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        let id = w
            .add_user(&NewUser {
                username: "anna".into(),
                display_name: "Anna Åström".into(),
                role: Role::Editor,
                units: vec![t.ks],
                password_hash: Some("$argon2id$v=19$secret-hash".into()),
                oidc_subject: None,
            })
            .await
            .unwrap();
        let again = w
            .add_user(&NewUser {
                username: "anna".into(),
                display_name: "Anna igen".into(),
                role: Role::Reader,
                units: vec![],
                password_hash: None,
                oidc_subject: None,
            })
            .await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))));
        w.commit().await.unwrap();

        let anna = store.user_by_name("anna").await.unwrap().unwrap();
        assert_eq!(anna.id, id);
        assert_eq!(anna.display_name, "Anna Åström");
        assert_eq!(anna.role, Role::Editor);
        assert_eq!(anna.units, vec![t.ks]);
        // The log has the account, never its hash.
        let log = store.change_log(Some(("user", id)), 5).await.unwrap();
        assert_eq!(log.len(), 1);
        assert!(!log[0].after_value.as_deref().unwrap().contains("argon2"));

        // Sessions: found while valid; gone when expired, when signed out, when disabled.
        store
            .create_session("hash-1", id, "csrf-1", "2999-01-01T00:00:00Z")
            .await
            .unwrap();
        store
            .create_session("hash-old", id, "csrf-2", "2000-01-01T00:00:00Z")
            .await
            .unwrap();
        let s = store.session("hash-1").await.unwrap().unwrap();
        assert_eq!(s.csrf_token, "csrf-1");
        assert_eq!(s.user.username, "anna");
        assert!(store.session("hash-old").await.unwrap().is_none());
        assert_eq!(store.delete_expired_sessions().await.unwrap(), 1);
        let mut w = store
            .writer("admin", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_user_disabled(id, true).await.unwrap();
        w.commit().await.unwrap();
        assert!(store.session("hash-1").await.unwrap().is_none());

        // A waiting account (as the web layer's back-off leaves it); a new password lifts it.
        let waiting = SignInCounter {
            failures: 5,
            level: 1,
            locked_until: Some("2999-01-01T00:00:00Z".into()),
            last_failed_at: Some("2998-12-31T23:59:00Z".into()),
        };
        assert!(store
            .swap_sign_in_counter(SignInKey::Account(id), &SignInCounter::default(), &waiting)
            .await
            .unwrap());
        let anna = store.user_by_name("anna").await.unwrap().unwrap();
        assert_eq!(anna.sign_in_counter(), waiting);
        let mut w = store
            .writer("admin", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        w.set_password(id, "$argon2id$v=19$new").await.unwrap();
        w.set_user_disabled(id, false).await.unwrap();
        w.commit().await.unwrap();
        let anna = store.user_by_name("anna").await.unwrap().unwrap();
        assert_eq!(anna.sign_in_counter(), SignInCounter::default());
        assert!(!anna.disabled);
        let log = store.change_log(Some(("user", id)), 5).await.unwrap();
        assert!(log.iter().all(|e| !format!("{e:?}").contains("argon2")));
        db.finish().await;
    }
}

/// A decision cannot slip in under a write that already checked the locks: recording it
/// waits until that write has committed (PostgreSQL: a table lock; SQLite: the one writer).
#[tokio::test]
async fn recording_a_decision_waits_for_writes_that_checked_the_locks() {
    for db in TestDb::all().await {
        let store = db.store.clone();
        let t = tree(&store).await;
        let mut writer = store
            .writer("redaktor", uppsikt_store::ChangeSource::Form)
            .await
            .unwrap();
        writer
            .ensure_unlocked(t.child, Period::Year(2019))
            .await
            .unwrap();
        let locker = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut w = store
                    .writer("controller", uppsikt_store::ChangeSource::Form)
                    .await
                    .unwrap();
                w.lock_period(&ks_decision(t.ks, "2019")).await.unwrap();
                w.commit().await.unwrap();
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !locker.is_finished(),
            "the decision waits for the open write"
        );
        writer
            .set_outcome(t.indicator, &outcome("2019", 55.0))
            .await
            .unwrap();
        writer.commit().await.unwrap();
        locker.await.unwrap();
        // The write landed before the decision; after it, the same write is refused.
        assert_eq!(store.period_locks(Some(t.ks)).await.unwrap().len(), 1);
        assert!(matches!(
            set_outcome(&store, t.indicator, &outcome("2019", 56.0)).await,
            Err(StoreError::Locked(_))
        ));
        db.finish().await;
    }
}

async fn add_anna(store: &Store) -> i64 {
    let mut w = store
        .writer("admin", uppsikt_store::ChangeSource::Form)
        .await
        .unwrap();
    let id = w
        .add_user(&NewUser {
            username: "anna".into(),
            display_name: "Anna Åström".into(),
            role: Role::Reader,
            units: vec![],
            password_hash: Some("$argon2id$v=19$secret-hash".into()),
            oidc_subject: None,
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    id
}

fn failed(failures: i64, at: &str) -> SignInCounter {
    SignInCounter {
        failures,
        level: 0,
        locked_until: None,
        last_failed_at: Some(at.into()),
    }
}

/// Two sign-ins failing at the same moment both count: a counter changes only from the
/// state it was read in (compare and set), on the account and per browser alike.
#[tokio::test]
async fn sign_in_counters_change_only_from_the_state_they_were_read_in() {
    for db in TestDb::all().await {
        let store = &db.store;
        let id = add_anna(store).await;
        let account = SignInKey::Account(id);
        let zero = SignInCounter::default();
        let one = failed(1, "2030-01-01T10:00:00Z");
        assert!(store
            .swap_sign_in_counter(account, &zero, &one)
            .await
            .unwrap());
        // The second attempt read the same old state: refused, so it must read again.
        assert!(!store
            .swap_sign_in_counter(account, &zero, &one)
            .await
            .unwrap());
        let now = store.sign_in_counter(account).await.unwrap().unwrap();
        assert_eq!(now, one);
        let two = failed(2, "2030-01-01T10:00:01Z");
        assert!(store
            .swap_sign_in_counter(account, &now, &two)
            .await
            .unwrap());
        assert_eq!(
            store
                .user_by_name("anna")
                .await
                .unwrap()
                .unwrap()
                .failed_logins,
            2
        );

        // A browser is unknown until the account signs in there; then it has its own count.
        let device = SignInKey::Device {
            user_id: id,
            device_hash: "enhet-1",
        };
        assert_eq!(store.device_counter(id, "enhet-1").await.unwrap(), None);
        assert!(!store
            .swap_sign_in_counter(device, &zero, &one)
            .await
            .unwrap());
        store
            .trust_device(id, "enhet-1", "2030-01-01T10:05:00Z")
            .await
            .unwrap();
        assert_eq!(
            store.device_counter(id, "enhet-1").await.unwrap(),
            Some(zero.clone())
        );
        assert!(store
            .swap_sign_in_counter(device, &zero, &one)
            .await
            .unwrap());
        assert!(!store
            .swap_sign_in_counter(device, &zero, &one)
            .await
            .unwrap());
        assert_eq!(
            store.device_counter(id, "enhet-1").await.unwrap(),
            Some(one.clone())
        );
        // The account's count is untouched by the browser's; a success resets only its own.
        assert_eq!(store.sign_in_counter(account).await.unwrap(), Some(two));
        store.reset_sign_in_counter(device).await.unwrap();
        assert_eq!(
            store.device_counter(id, "enhet-1").await.unwrap(),
            Some(zero.clone())
        );
        store.reset_sign_in_counter(account).await.unwrap();
        assert_eq!(store.sign_in_counter(account).await.unwrap(), Some(zero));
        db.finish().await;
    }
}

/// An account is remembered in at most DEVICES_PER_USER browsers (the most recently
/// used), and a browser unused for long is forgotten; expired sessions go too.
#[tokio::test]
async fn remembered_browsers_and_sessions_are_bounded() {
    for db in TestDb::all().await {
        let store = &db.store;
        let id = add_anna(store).await;
        for i in 0..uppsikt_store::DEVICES_PER_USER + 5 {
            store
                .trust_device(
                    id,
                    &format!("enhet-{i:03}"),
                    &format!("2030-01-01T10:{i:02}:00Z"),
                )
                .await
                .unwrap();
        }
        assert!(
            store
                .device_counter(id, "enhet-000")
                .await
                .unwrap()
                .is_none(),
            "oldest dropped"
        );
        let newest = format!("enhet-{:03}", uppsikt_store::DEVICES_PER_USER + 4);
        assert!(store.device_counter(id, &newest).await.unwrap().is_some());
        // Signing in again from an old browser makes it recent (and clears its count).
        store
            .trust_device(id, "enhet-005", "2030-01-01T11:00:00Z")
            .await
            .unwrap();
        assert_eq!(
            store
                .delete_devices_unused_since("2030-01-01T10:30:00Z")
                .await
                .unwrap(),
            uppsikt_store::DEVICES_PER_USER as u64 - 1
        );
        assert!(store
            .device_counter(id, "enhet-005")
            .await
            .unwrap()
            .is_some());

        store
            .create_session("gammal", id, "c1", "2000-01-01T00:00:00Z")
            .await
            .unwrap();
        store
            .create_session("giltig", id, "c2", "2999-01-01T00:00:00Z")
            .await
            .unwrap();
        assert_eq!(store.delete_expired_sessions_of(id).await.unwrap(), 1);
        assert_eq!(store.delete_expired_sessions().await.unwrap(), 0);
        assert!(store.session("giltig").await.unwrap().is_some());
        db.finish().await;
    }
}
