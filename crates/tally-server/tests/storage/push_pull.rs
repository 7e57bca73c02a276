//! Pushes store each change once and decide per change or for the whole batch; pulls
//! return pages in commit order after a cursor, within a scope, less what the asking
//! device already holds.

use crate::support::*;
use tally_core::ChangeId;
use tally_protocol::SeqRanges;
use tally_server::db::{Held, PageSize, PushMode};
use tally_testkit::banner::{VILLAGE_A, VILLAGE_B};
use tally_testkit::{per_backend, Backend};

per_backend!(
    each_change_is_stored_once,
    per_change_and_all_or_nothing,
    pages_come_in_commit_order_after_the_cursor,
    held_changes_are_skipped_and_passed,
    pulls_keep_to_their_units,
    pages_are_bounded_in_bytes,
);

/// A page ends at its byte bound as well as at its count (always holding one change),
/// and the pages still hold every change once, in order.
async fn pages_are_bounded_in_bytes(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let start = end_cursor(&t).await;
    let mut a = Writer::cadre_a();
    let mut pushed = Vec::new();
    for i in 0..6 {
        let c = a.household(VILLAGE_A, &format!("户主{i}"));
        a.push(&t, std::slice::from_ref(&c), PushMode::PerChange)
            .await;
        pushed.push(c.id);
    }
    let all = pull_pages(&t, &everything(), &start, 100, &Held::default()).await;
    assert_eq!(ids(&all), pushed);
    let sizes: Vec<usize> = all[0]
        .changes
        .iter()
        .map(|c| c.change.get().len())
        .collect();
    let pages_of = |bytes: usize| {
        let t = &t;
        let start = start.clone();
        async move {
            let mut pages = Vec::new();
            let mut cursor = start;
            for _ in 0..100 {
                let size = PageSize {
                    changes: 100,
                    bytes,
                };
                let page =
                    t.db.pull(everything(), &cursor, size, Held::default())
                        .await
                        .unwrap();
                cursor = page.cursor.clone();
                let more = page.more;
                pages.push(page);
                if !more {
                    break;
                }
            }
            pages
        }
    };
    let one_each = pages_of(1).await;
    assert_eq!(
        one_each.len(),
        6,
        "a change bigger than the bound still comes, alone"
    );
    assert_eq!(ids(&one_each), pushed);
    let two = pages_of(sizes[0] + sizes[1]).await;
    assert_eq!(two[0].changes.len(), 2, "as many as fit");
    assert!(two.iter().all(|p| p.changes.len() <= 2));
    assert_eq!(ids(&two), pushed, "every change once, in order");
}

/// The cursor after everything stored so far (the seeding).
async fn end_cursor(t: &tally_testkit::TestDb) -> String {
    let pages = pull_pages(t, &everything(), "", 1000, &Held::default()).await;
    pages.last().expect("a page").cursor.clone()
}

async fn each_change_is_stored_once(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let start = end_cursor(&t).await;
    let mut a = Writer::cadre_a();
    let h = a.household(VILLAGE_A, "张三");

    let first = a
        .push(&t, &[h.clone(), h.clone()], PushMode::PerChange)
        .await;
    assert!(first.stored);
    let s = seq(&first.results[0]);
    assert_eq!(
        seq(&first.results[1]),
        s,
        "the same id twice in a batch: one seq"
    );

    let again = a
        .push(&t, std::slice::from_ref(&h), PushMode::PerChange)
        .await;
    assert_eq!(seq(&again.results[0]), s, "a replay answers the stored seq");
    assert!(!again.stored, "a replay stores nothing");

    let pages = pull_pages(&t, &everything(), &start, 100, &Held::default()).await;
    assert_eq!(ids(&pages), vec![h.id], "stored once");
    let row = t.db.row(h.row).await.unwrap().expect("the merged row");
    assert_eq!(row.fields["head"].value, "张三");
}

async fn per_change_and_all_or_nothing(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let start = end_cursor(&t).await;
    let mut a = Writer::cadre_a();

    let (good, theirs) = (a.household(VILLAGE_A, "甲"), a.household(VILLAGE_B, "乙"));
    let all = a
        .push(&t, &[good.clone(), theirs.clone()], PushMode::AllOrNothing)
        .await;
    assert!(!all.stored && !all.all_out_of_scope);
    let codes: Vec<&str> = all.results.iter().map(code).collect();
    assert_eq!(codes, ["batch_rejected", "out_of_scope"]);
    assert_eq!(
        t.db.row(good.row).await.unwrap(),
        None,
        "nothing was stored"
    );

    let each = a
        .push(&t, &[good.clone(), theirs.clone()], PushMode::PerChange)
        .await;
    assert!(each.stored && !each.all_out_of_scope);
    let codes: Vec<&str> = each.results.iter().map(code).collect();
    assert_eq!(codes, ["accepted", "out_of_scope"]);

    let none = a.push(&t, &[theirs], PushMode::PerChange).await;
    assert!(!none.stored && none.all_out_of_scope);

    let pages = pull_pages(&t, &everything(), &start, 100, &Held::default()).await;
    assert_eq!(ids(&pages), vec![good.id]);
}

async fn pages_come_in_commit_order_after_the_cursor(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let start = end_cursor(&t).await;
    let (mut a, mut b) = (Writer::cadre_a(), Writer::cadre_b());
    let mut pushed: Vec<(i64, ChangeId)> = Vec::new();
    for i in 0..7 {
        let (w, c) = if i % 2 == 0 {
            let c = a.household(VILLAGE_A, &format!("甲{i}"));
            (&a, c)
        } else {
            let c = b.household(VILLAGE_B, &format!("乙{i}"));
            (&b, c)
        };
        let r = w
            .push(&t, std::slice::from_ref(&c), PushMode::PerChange)
            .await;
        pushed.push((seq(&r.results[0]), c.id));
    }
    let pages = pull_pages(&t, &everything(), &start, 3, &Held::default()).await;
    assert_eq!(pages.len(), 3, "3 + 3 + 1");
    assert!(pages[..2].iter().all(|p| p.more && p.changes.len() == 3));
    assert!(!pages[2].more);
    let seqs: Vec<i64> = pages
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| c.seq)
        .collect();
    assert_eq!(seqs, pushed.iter().map(|(s, _)| *s).collect::<Vec<_>>());
    assert_eq!(
        ids(&pages),
        pushed.iter().map(|(_, id)| *id).collect::<Vec<_>>()
    );

    // From a cursor in the middle: the rest; from the last cursor: nothing more.
    let rest = pull_pages(&t, &everything(), &pages[0].cursor, 100, &Held::default()).await;
    assert_eq!(ids(&rest), ids(&pages[1..]));
    let end = &pages[2].cursor;
    let after = pull_pages(&t, &everything(), end, 100, &Held::default()).await;
    assert!(after.iter().all(|p| p.changes.is_empty()) && !after[0].more);
    assert_eq!(&after[0].cursor, end, "an empty page keeps the cursor");
}

async fn held_changes_are_skipped_and_passed(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let start = end_cursor(&t).await;
    let (mut a, mut b) = (Writer::cadre_a(), Writer::cadre_b());
    let mine = a.household(VILLAGE_A, "甲");
    let theirs = b.household(VILLAGE_B, "乙");
    let s_mine = seq(&a
        .push(&t, std::slice::from_ref(&mine), PushMode::PerChange)
        .await
        .results[0]);
    b.push(&t, std::slice::from_ref(&theirs), PushMode::PerChange)
        .await;

    let held = Held::of(a.who.device, SeqRanges::of(&[s_mine]));
    assert!(held.skips(&a.who.device.to_string(), s_mine));
    let pages = pull_pages(&t, &everything(), &start, 100, &held).await;
    assert_eq!(
        ids(&pages),
        vec![theirs.id],
        "the device's own change is left out"
    );

    // A page of one that holds only the skipped change still moves the cursor past it.
    let first =
        t.db.pull(everything(), &start, PageSize::of(1), held.clone())
            .await
            .unwrap();
    let rest = pull_pages(&t, &everything(), &first.cursor, 1, &held).await;
    let mut seen = ids(std::slice::from_ref(&first));
    seen.extend(ids(&rest));
    assert_eq!(seen, vec![theirs.id]);

    // Another device's held seqs skip nothing of this one.
    let other = Held::of(b.who.device, SeqRanges::of(&[s_mine]));
    let pages = pull_pages(&t, &everything(), &start, 100, &other).await;
    assert_eq!(ids(&pages), vec![mine.id, theirs.id]);
}

async fn pulls_keep_to_their_units(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let start = end_cursor(&t).await;
    let (mut a, mut b) = (Writer::cadre_a(), Writer::cadre_b());
    let in_a = a.household(VILLAGE_A, "甲");
    let in_b = b.household(VILLAGE_B, "乙");
    a.push(&t, std::slice::from_ref(&in_a), PushMode::PerChange)
        .await;
    b.push(&t, std::slice::from_ref(&in_b), PushMode::PerChange)
        .await;
    let none = Held::default();
    let a_only = pull_pages(&t, &only(&[VILLAGE_A]), &start, 100, &none).await;
    assert_eq!(ids(&a_only), vec![in_a.id]);
    let both = pull_pages(&t, &only(&[VILLAGE_A, VILLAGE_B]), &start, 100, &none).await;
    assert_eq!(ids(&both), vec![in_a.id, in_b.id]);
    let nowhere = pull_pages(&t, &only(&[]), &start, 100, &none).await;
    assert!(ids(&nowhere).is_empty());

    // The ancestors' org-unit rows reach a narrow scope, their other changes do not.
    let org = tally_server::scope::ReadFilter {
        units: Some(vec![VILLAGE_A.to_string()]),
        org_units: vec![tally_testkit::banner::BANNER.to_string()],
    };
    let pages = pull_pages(&t, &org, "", 100, &none).await;
    let units: Vec<String> = pages
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| serde_json::from_str::<tally_core::Change>(c.change.get()).unwrap())
        .map(|c| format!("{}:{}", c.table.code(), c.unit))
        .collect();
    assert_eq!(
        units,
        [
            format!("org_unit:{}", tally_testkit::banner::BANNER),
            format!("org_unit:{VILLAGE_A}"),
            format!("household:{VILLAGE_A}"),
        ]
    );
}
