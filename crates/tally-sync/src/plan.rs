//! The sync client's decisions, apart from any IO: how the outbox is cut into pushes,
//! what each push answer means for the outbox (receipts, rejections, a re-stamp after
//! `clock_ahead` and a second pass), when the rounds stop, and how large each pull page
//! is. `client.rs` does the talking and the store writes these decisions ask for.

use std::collections::HashSet;
use tally_core::ChangeId;
use tally_protocol::{codes, PushResponse, PushResult, MAX_CLOCK_AHEAD_MS};

/// The size of the first pull page of a sync: nothing is being applied while it comes,
/// so its size is pure waiting; the pages after come while one is applied.
pub const FIRST_PAGE: u32 = 250;

/// The size of pull page number `page` (0 first) when pages of `limit` are wanted.
pub fn pull_limit(page: usize, limit: u32) -> u32 {
    let limit = limit.max(1);
    if page == 0 {
        limit.min(FIRST_PAGE)
    } else {
        limit
    }
}

/// Where pushing the outbox stands, round after round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushPlan {
    batch: usize,
    /// The outbox position (change-log seq) the next batch starts after.
    after: i64,
    rounds_left: usize,
    /// A `clock_ahead` answer was already handled by re-stamping (only once a sync).
    restamped: bool,
}

/// The next batch to read from the outbox: at most `limit` pending changes after `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextBatch {
    pub after: i64,
    pub limit: usize,
}

/// One rejection to record on the device, as the server gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub change: ChangeId,
    pub code: String,
    pub reason: String,
    pub reason_zh: String,
}

/// What one push answer asks of the device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answered {
    /// Stored by the server: record each receipt.
    pub receipts: Vec<(ChangeId, i64)>,
    /// Refused: keep the change, visible with the reason.
    pub refusals: Vec<Refusal>,
    /// Changes the server found too far ahead of its clock: record the receipts first,
    /// then re-stamp the outbox's changes made ahead to this time (ms, server clock)
    /// and push again from the start of the outbox. Happens at most once a sync.
    pub restamp_to: Option<u64>,
}

/// A push answer that cannot be right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadAnswer {
    /// Some pushed changes have no result: nothing of the answer is recorded.
    LeftOut(Vec<ChangeId>),
}

impl PushPlan {
    /// Pushing `pending` changes in batches of `batch`. Every round settles a whole batch
    /// (accepted or refused) but for one re-stamp pass, hence a bound of
    /// `pending / batch + 3` rounds.
    pub fn new(pending: usize, batch: usize) -> PushPlan {
        let batch = batch.max(1);
        PushPlan {
            batch,
            after: 0,
            rounds_left: pending / batch + 3,
            restamped: false,
        }
    }

    /// The batch to read next, or `None` when the rounds are used up. An empty read
    /// means the outbox is pushed.
    pub fn next_batch(&mut self) -> Option<NextBatch> {
        self.rounds_left = self.rounds_left.checked_sub(1)?;
        Some(NextBatch {
            after: self.after,
            limit: self.batch,
        })
    }

    /// The server's answer to the batch `sent` (outbox seq and change id, in order).
    pub fn answered(
        &mut self,
        sent: &[(i64, ChangeId)],
        answer: &PushResponse,
    ) -> Result<Answered, BadAnswer> {
        let answered: HashSet<ChangeId> =
            answer.results.iter().map(PushResult::change_id).collect();
        let left_out: Vec<ChangeId> = sent
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !answered.contains(id))
            .collect();
        if !left_out.is_empty() {
            return Err(BadAnswer::LeftOut(left_out));
        }
        let mut out = Answered::default();
        let mut ahead = false;
        for r in &answer.results {
            match r {
                PushResult::Accepted { change_id, seq } => out.receipts.push((*change_id, *seq)),
                PushResult::Rejected { code, .. }
                    if code == codes::CLOCK_AHEAD && !self.restamped =>
                {
                    ahead = true
                }
                PushResult::Rejected {
                    change_id,
                    code,
                    reason,
                    reason_zh,
                } => out.refusals.push(Refusal {
                    change: *change_id,
                    code: code.clone(),
                    reason: reason.clone(),
                    reason_zh: reason_zh.clone(),
                }),
            }
        }
        self.after = sent.last().map_or(self.after, |(seq, _)| *seq);
        if ahead {
            self.restamped = true;
            self.after = 0;
            out.restamp_to = Some(restamp_limit(answer.server_time_ms));
        }
        Ok(out)
    }
}

/// The latest stamp a change may keep once the server's clock is known: half the
/// protocol's allowance ahead of it, so that it is accepted even after a little drift.
pub fn restamp_limit(server_ms: u64) -> u64 {
    server_ms + MAX_CLOCK_AHEAD_MS / 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_protocol::PushResponse;
    use uuid::Uuid;

    fn id(n: u128) -> ChangeId {
        ChangeId(Uuid::from_u128(n))
    }

    fn accepted(n: u128, seq: i64) -> PushResult {
        PushResult::Accepted {
            change_id: id(n),
            seq,
        }
    }

    fn rejected(n: u128, code: &str) -> PushResult {
        PushResult::Rejected {
            change_id: id(n),
            code: code.into(),
            reason: format!("{code} reason"),
            reason_zh: format!("{code} 原因"),
        }
    }

    fn refusal(n: u128, code: &str) -> Refusal {
        Refusal {
            change: id(n),
            code: code.into(),
            reason: format!("{code} reason"),
            reason_zh: format!("{code} 原因"),
        }
    }

    const NOW: u64 = 1_780_286_400_000;

    struct Row {
        what: &'static str,
        /// A `clock_ahead` was already handled in this sync.
        restamped: bool,
        sent: Vec<(i64, ChangeId)>,
        results: Vec<PushResult>,
        expect: Result<Answered, BadAnswer>,
        /// Where the next batch starts after this answer.
        next_after: i64,
    }

    fn check(row: Row) {
        let mut plan = PushPlan::new(10, 5);
        plan.restamped = row.restamped;
        plan.after = 0;
        let answer = PushResponse {
            results: row.results,
            server_time_ms: NOW,
        };
        let got = plan.answered(&row.sent, &answer);
        assert_eq!(got, row.expect, "{}", row.what);
        if got.is_ok() {
            assert_eq!(plan.after, row.next_after, "{}: next batch", row.what);
        }
    }

    #[test]
    fn push_answers_become_receipts_refusals_and_at_most_one_restamp() {
        let sent = vec![(11, id(1)), (12, id(2)), (13, id(3))];
        let rows = vec![
            Row {
                what: "all stored: three receipts, the next batch after the last",
                restamped: false,
                sent: sent.clone(),
                results: vec![accepted(1, 7), accepted(2, 8), accepted(3, 9)],
                expect: Ok(Answered {
                    receipts: vec![(id(1), 7), (id(2), 8), (id(3), 9)],
                    ..Answered::default()
                }),
                next_after: 13,
            },
            Row {
                what: "a refusal is kept with the server's code and both reasons",
                restamped: false,
                sent: sent.clone(),
                results: vec![
                    accepted(1, 7),
                    rejected(2, codes::OUT_OF_SCOPE),
                    accepted(3, 9),
                ],
                expect: Ok(Answered {
                    receipts: vec![(id(1), 7), (id(3), 9)],
                    refusals: vec![refusal(2, codes::OUT_OF_SCOPE)],
                    restamp_to: None,
                }),
                next_after: 13,
            },
            Row {
                what: "clock ahead: receipts kept, re-stamp, start over from the outbox's start",
                restamped: false,
                sent: sent.clone(),
                results: vec![
                    accepted(1, 7),
                    rejected(2, codes::CLOCK_AHEAD),
                    rejected(3, codes::CLOCK_AHEAD),
                ],
                expect: Ok(Answered {
                    receipts: vec![(id(1), 7)],
                    refusals: vec![],
                    restamp_to: Some(NOW + MAX_CLOCK_AHEAD_MS / 2),
                }),
                next_after: 0,
            },
            Row {
                what: "clock ahead a second time in one sync: refused like any other",
                restamped: true,
                sent: sent.clone(),
                results: vec![
                    accepted(1, 7),
                    rejected(2, codes::CLOCK_AHEAD),
                    accepted(3, 9),
                ],
                expect: Ok(Answered {
                    receipts: vec![(id(1), 7), (id(3), 9)],
                    refusals: vec![refusal(2, codes::CLOCK_AHEAD)],
                    restamp_to: None,
                }),
                next_after: 13,
            },
            Row {
                what: "an answer that leaves changes out is not recorded at all",
                restamped: false,
                sent: sent.clone(),
                results: vec![accepted(1, 7), accepted(3, 9)],
                expect: Err(BadAnswer::LeftOut(vec![id(2)])),
                next_after: 0,
            },
            Row {
                what: "results in another order than sent still settle every change",
                restamped: false,
                sent: sent.clone(),
                results: vec![accepted(3, 9), accepted(1, 7), accepted(2, 8)],
                expect: Ok(Answered {
                    receipts: vec![(id(3), 9), (id(1), 7), (id(2), 8)],
                    ..Answered::default()
                }),
                next_after: 13,
            },
            Row {
                what: "an empty batch answered empty",
                restamped: false,
                sent: vec![],
                results: vec![],
                expect: Ok(Answered::default()),
                next_after: 0,
            },
        ];
        for row in rows {
            check(row);
        }
    }

    #[test]
    fn rounds_are_bounded_by_the_outbox_and_one_restamp_pass() {
        for (pending, batch, rounds) in [(0, 5, 3), (10, 5, 5), (11, 5, 5), (1000, 1000, 4)] {
            let mut plan = PushPlan::new(pending, batch);
            let mut n = 0;
            while plan.next_batch().is_some() {
                n += 1;
                assert!(n <= 1000, "unbounded");
            }
            assert_eq!(n, rounds, "{pending} pending in batches of {batch}");
        }
        let mut plan = PushPlan::new(3, 0);
        assert_eq!(
            plan.next_batch(),
            Some(NextBatch { after: 0, limit: 1 }),
            "a batch of 0 means 1"
        );
    }

    #[test]
    fn the_first_pull_page_is_small_and_the_rest_as_asked() {
        for (page, limit, want) in [
            (0, 2000, FIRST_PAGE),
            (0, 100, 100),
            (1, 2000, 2000),
            (7, 100, 100),
            (0, 0, 1),
            (3, 0, 1),
        ] {
            assert_eq!(pull_limit(page, limit), want, "page {page} of {limit}");
        }
    }
}
