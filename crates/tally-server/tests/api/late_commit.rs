//! PostgreSQL only: concurrent transactions commit seq values out of order; a pull must
//! not pass a push transaction that is still open, or the change it commits late would
//! be skipped for ever.

use crate::support::*;
use axum::http::Method;
use serde_json::json;
use tally_core::{Change, RowId, Table};
use tally_protocol::Role;
use tally_server::db::{PgPushTx, PushMode};
use tally_server::push::Author;

/// A push transaction on PostgreSQL that stores `change` as the cadre's and stays open;
/// the seq the change took.
async fn open_push(h: &Harness, cadre: &Dev, change: &Change) -> (PgPushTx, i64) {
    let pg = h.pg.as_ref().expect("postgres");
    let mut open = pg.begin_push().await.unwrap();
    let who = Author {
        device: cadre.id,
        user: CADRE.into(),
        role: Role::Cadre,
        units: vec![VILLAGE_A1.into()],
    };
    let pushed = open
        .apply(std::slice::from_ref(change), &who, T0, PushMode::PerChange)
        .await
        .unwrap();
    let seq = accepted(&pushed.results)[0];
    (open, seq)
}

#[tokio::test]
async fn postgres_a_late_commit_is_not_skipped() {
    let Some(h) = Harness::new(Backend::Postgres).await else {
        return;
    };
    let mut cadre = h.device(CADRE).await;
    let first = cadre.household(VILLAGE_A1, "先来户");
    accepted(&h.push(&cadre, std::slice::from_ref(&first)).await.results());
    let (_, cursor) = h.pull_all(&cadre, "").await;

    // A push transaction stores a change and stays open.
    let late = cadre.household(VILLAGE_A1, "晚提交");
    let (open, late_seq) = open_push(&h, &cadre, &late).await;

    // Meanwhile another push commits, on another task: a visit, which shares no ledger
    // sum with the open household (a second household of the village would wait for the
    // open transaction's lock on the village's household count).
    let early = cadre.change(
        Table::Visit,
        RowId(uuid::Uuid::now_v7()),
        VILLAGE_A1,
        json!({"household": first.row, "date": TODAY}),
    );
    let body = serde_json::to_vec(&json!({ "changes": [early] })).unwrap();
    let req = request(
        Method::POST,
        "/api/v1/sync/push",
        Some(&cadre.token),
        Some(body),
    );
    let reply = tokio::spawn(send(h.app(), req)).await.unwrap();
    let early_seq = accepted(&reply.results())[0];
    assert!(
        late_seq < early_seq,
        "the open transaction holds the lower seq: a seq cursor would now pass it"
    );

    // Pulls do not pass the open transaction: the committed change waits behind it.
    for _ in 0..2 {
        let r = h.pull(&cadre, &cursor, 100).await;
        assert!(r.pulled().is_empty(), "{:?}", r.pulled());
        assert_eq!(r.cursor(), cursor);
        assert!(!r.more());
    }

    open.commit().await.unwrap();
    let (pulled, end) = h.pull_all(&cadre, &cursor).await;
    let ids: Vec<_> = pulled.iter().map(|p| p.change.id).collect();
    assert_eq!(
        ids,
        [late.id, early.id],
        "none missed, in (txid, seq) order"
    );
    assert_eq!(
        pulled.iter().map(|p| p.seq).collect::<Vec<_>>(),
        [late_seq, early_seq]
    );
    let (again, _) = h.pull_all(&cadre, &end).await;
    assert!(again.is_empty());
}

#[tokio::test]
async fn postgres_an_abandoned_push_transaction_stores_nothing() {
    let Some(h) = Harness::new(Backend::Postgres).await else {
        return;
    };
    let mut cadre = h.device(CADRE).await;
    let (_, cursor) = h.pull_all(&cadre, "").await;
    let change = cadre.household(VILLAGE_A1, "未提交");
    let (open, _) = open_push(&h, &cadre, &change).await;
    drop(open);

    let (pulled, _) = h.pull_all(&cadre, &cursor).await;
    assert!(pulled.is_empty(), "rolled back: {pulled:?}");
    // The device retries and the change is stored once.
    accepted(
        &h.push(&cadre, std::slice::from_ref(&change))
            .await
            .results(),
    );
    let (pulled, _) = h.pull_all(&cadre, &cursor).await;
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].change.id, change.id);
}

/// Transaction ids grow past a power of ten (999 → 1000) on any live server: pages must
/// follow their numeric order, or the cursor jumps ahead of a change and skips it.
#[tokio::test]
async fn postgres_pulls_follow_transaction_ids_past_a_power_of_ten() {
    let Some(h) = Harness::new(Backend::Postgres).await else {
        return;
    };
    let mut cadre = h.device(CADRE).await;
    let (_, cursor) = h.pull_all(&cadre, "").await;
    let before = cadre.household(VILLAGE_A1, "进位前");
    accepted(
        &h.push(&cadre, std::slice::from_ref(&before))
            .await
            .results(),
    );
    // Use up transaction ids (one per subtransaction that writes) until the next id has
    // one more digit than the one that stored `before`.
    h.raw_sql(
        "CREATE TEMP TABLE burn (x int);
         DO $$
         DECLARE
           now bigint := pg_current_xact_id()::text::bigint;
           target bigint := power(10, length(now::text))::bigint;
         BEGIN
           FOR i IN 1 .. (target - now + 5) LOOP
             BEGIN
               INSERT INTO burn VALUES (i);
               RAISE EXCEPTION 'roll back this subtransaction';
             EXCEPTION WHEN raise_exception THEN NULL;
             END;
           END LOOP;
         END $$;",
    )
    .await;
    let after = cadre.household(VILLAGE_A1, "进位后");
    accepted(&h.push(&cadre, std::slice::from_ref(&after)).await.results());

    // One change per page: each page must move the cursor forward in commit order.
    let mut cursor = cursor;
    let mut got = Vec::new();
    for _ in 0..10 {
        let page = h.pull(&cadre, &cursor, 1).await;
        got.extend(page.pulled().into_iter().map(|p| p.change.id));
        cursor = page.cursor();
        if !page.more() {
            break;
        }
    }
    assert!(
        got.contains(&before.id),
        "the change before the carry was skipped"
    );
    assert!(
        got.contains(&after.id),
        "the change after the carry was skipped"
    );
}
