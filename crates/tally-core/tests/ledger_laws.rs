//! Laws of the ledger, checked on random inputs: every unit's ledger equals a naive
//! recomputation straight from the records, and the ledger read from per-day sums (as
//! the stores keep them) equals it to the last digit.

use chrono::NaiveDate;
use proptest::collection::vec as many;
use proptest::prelude::*;
use proptest::sample::Index;
use tally_core::ledger::sums::totals;
use tally_core::ledger::{
    facts, facts_of_totals, ledger, ledger_of, window, window_of, DaySums, GroupRow,
    MilestoneState, MilestoneStatus,
};
use tally_core::*;
use uuid::Uuid;

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 5, 20).unwrap() + chrono::Days::new(n)
}

fn opt_day() -> impl Strategy<Value = Option<NaiveDate>> {
    prop::option::weighted(0.8, (0..40u64).prop_map(day))
}

/// Quantities in quarters, so that sums in any order are exact.
fn quarters(max: u32) -> impl Strategy<Value = f64> {
    (1..=max).prop_map(|q| f64::from(q) / 4.0)
}

fn id(n: usize) -> RowId {
    RowId(Uuid::from_u128(n as u128 + 1))
}

fn unit_tree() -> impl Strategy<Value = Vec<OrgUnit>> {
    // Each unit with its parent and its flags (bit 0 seepage zone, bit 1 key village).
    let unit = (prop::option::weighted(0.9, any::<Index>()), 0..4u8);
    many(unit, 0..7).prop_map(|parents| {
        let mut units = vec![OrgUnit {
            code: "u0".into(),
            name: "u0".into(),
            level: Level::Banner,
            parent: None,
            seepage: false,
            key_village: false,
        }];
        for (i, (p, flags)) in parents.into_iter().enumerate() {
            let parent = p.map(|ix| units[ix.index(units.len())].code.clone());
            units.push(OrgUnit {
                code: format!("u{}", i + 1),
                name: format!("u{}", i + 1),
                level: Level::Village,
                parent,
                seepage: flags & 1 != 0,
                key_village: flags & 2 != 0,
            });
        }
        units
    })
}

fn records() -> impl Strategy<Value = (Records, NaiveDate)> {
    let (unit, gone) = (|| any::<Index>(), prop::bool::weighted);
    let status = || prop::option::of(0..4usize);
    let insured = || prop::option::of(0..6u32);
    let households = (
        unit(),
        status(),
        opt_day(),
        opt_day(),
        opt_day(),
        gone(0.1),
        (insured(), insured()),
        // Categories (a bit each), flagged seepage-zone, rating.
        (
            0..8usize,
            prop::bool::weighted(0.2),
            prop::option::of(0..4usize),
        ),
    );
    let cleanups = (unit(), 0..5usize, quarters(800), 0..40u64, gone(0.1));
    let people = prop::option::of(0..1000u32);
    let dates = (opt_day(), opt_day(), opt_day());
    // Progress entries: a quantity on a day, some withdrawn; together they may pass the
    // planned quantity (entries made on two devices at once).
    let progress = many((quarters(40), 0..40u64, gone(0.2)), 0..4);
    let works = (
        unit(),
        0..WorksKind::ALL.len(),
        quarters(80),
        people,
        0..4usize,
        dates,
        gone(0.1),
        progress,
    );
    // A target may start a period, be a cleanup target of one pile kind, and have
    // milestones (day, quantity): several periods of one unit stand side by side.
    // Metrics drawn mostly from a few, so that one unit's periods and its subtree's
    // targets of one metric meet often.
    let cleanup = Metric::ALL
        .iter()
        .position(|m| *m == Metric::CleanupTonnes)
        .unwrap_or(0);
    let metric = prop_oneof![
        Just(0usize),
        Just(1usize),
        Just(cleanup),
        0..Metric::ALL.len()
    ];
    let targets = (
        unit(),
        metric,
        1..100u32,
        0..90u64,
        gone(0.2),
        prop::option::weighted(0.4, 0..30u64),
        prop::option::weighted(0.3, 0..5usize),
        many((0..60u64, 1..100u32), 0..3),
    );
    (
        unit_tree(),
        many(households, 0..14),
        many(cleanups, 0..10),
        many((unit(), 0..40u64, gone(0.1)), 0..6),
        many(works, 0..8),
        many(targets, 0..10),
        5..35u64,
    )
        .prop_map(|(units, hs, cs, ds, ws, ts, as_of)| {
            let at = |ix: &Index| units[ix.index(units.len())].code.clone();
            let mut r = Records::default();
            for (
                n,
                (
                    u,
                    s,
                    started,
                    completed,
                    accepted,
                    deleted,
                    (pension, medical),
                    (cats, seepage, rating),
                ),
            ) in hs.iter().enumerate()
            {
                r.households.push(Household {
                    id: id(n),
                    unit: at(u),
                    head: format!("户{n}"),
                    members: 5,
                    phone: None,
                    id_number: None,
                    categories: Category::ALL
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| cats & (1 << i) != 0)
                        .map(|(_, c)| *c)
                        .collect(),
                    seepage: *seepage,
                    rating: rating.map(|x| Rating::ALL[x]),
                    renovation: s.map(|s| RenovationStatus::ALL[s]),
                    planned_on: None,
                    started_on: *started,
                    completed_on: *completed,
                    accepted_on: *accepted,
                    cadre: None,
                    pension: *pension,
                    medical: *medical,
                    deleted: *deleted,
                });
            }
            for (n, (u, kind, tonnes, d, deleted)) in cs.iter().enumerate() {
                r.cleanups.push(Cleanup {
                    id: id(100 + n),
                    unit: at(u),
                    kind: PileKind::ALL[*kind],
                    tonnes: *tonnes,
                    piles: 1,
                    date: day(*d),
                    deleted: *deleted,
                });
            }
            for (n, (u, d, deleted)) in ds.iter().enumerate() {
                r.demolitions.push(Demolition {
                    id: id(200 + n),
                    unit: at(u),
                    household: None,
                    area_m2: None,
                    date: day(*d),
                    deleted: *deleted,
                });
            }
            for (n, (u, kind, quantity, people, status, (s, c, a), deleted, progress)) in
                ws.iter().enumerate()
            {
                let mut progress: Vec<Progress> = progress
                    .iter()
                    .enumerate()
                    .map(|(k, (q, d, withdrawn))| Progress {
                        id: Uuid::from_u128(((n as u128) << 8) + k as u128).to_string(),
                        date: day(*d),
                        quantity: *q,
                        note: None,
                        withdrawn: withdrawn.then(|| "录错了".to_string()),
                    })
                    .collect();
                progress.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
                r.works.push(Works {
                    id: id(300 + n),
                    unit: at(u),
                    kind: WorksKind::ALL[*kind],
                    name: None,
                    location: None,
                    note: None,
                    quantity: *quantity,
                    people: *people,
                    status: WorksStatus::ALL[*status],
                    started_on: *s,
                    completed_on: *c,
                    accepted_on: *a,
                    lat: None,
                    lon: None,
                    progress,
                    deleted: *deleted,
                });
            }
            // At most one live target per unit, metric, pile kind and period start (a
            // deleted one may sit beside it).
            for (n, (u, metric, quantity, deadline, deleted, from, pile, milestones)) in
                ts.iter().enumerate()
            {
                let metric = Metric::ALL[*metric];
                let mut milestones: Vec<Milestone> = milestones
                    .iter()
                    .map(|(d, q)| Milestone {
                        date: day(*d),
                        quantity: f64::from(*q),
                    })
                    .collect();
                milestones.sort_by_key(|m| m.date);
                milestones.dedup_by_key(|m| m.date);
                let t = Target {
                    id: id(400 + n),
                    unit: at(u),
                    metric,
                    pile: pile
                        .filter(|_| metric == Metric::CleanupTonnes)
                        .map(|p| PileKind::ALL[p]),
                    quantity: f64::from(*quantity),
                    deadline: day(*deadline),
                    from: from.map(day),
                    milestones,
                    deleted: *deleted,
                };
                let taken = |o: &Target| {
                    !o.deleted
                        && (&o.unit, o.metric, o.pile, o.from)
                            == (&t.unit, t.metric, t.pile, t.from)
                };
                if t.deleted || !r.targets.iter().any(taken) {
                    r.targets.push(t);
                }
            }
            r.units = units;
            (r, day(as_of))
        })
}

fn round(x: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (x * p).round() / p
}

/// Started, completed, completed in the 7 days ending on `as_of`, and accepted, of one
/// metric (of one pile kind, if given) over the records of the units `inside` accepts.
/// Records dated before `since` (the period's first day) are not counted.
fn naive_sums(
    r: &Records,
    inside: &dyn Fn(&str) -> bool,
    metric: Metric,
    pile: Option<PileKind>,
    as_of: NaiveDate,
    since: Option<NaiveDate>,
) -> (f64, f64, f64, f64) {
    let (mut started, mut completed, mut last7, mut accepted) = (0.0, 0.0, 0.0, 0.0);
    let in_period = |d: NaiveDate| d <= as_of && since.is_none_or(|s| d >= s);
    let counts = |d: Option<NaiveDate>| d.is_none_or(in_period);
    let mut accept = |amount: f64, on: Option<Option<NaiveDate>>| {
        if on.is_some_and(counts) {
            accepted += amount;
        }
    };
    let this_week =
        |d: Option<NaiveDate>| d.is_some_and(|d| in_period(d) && (as_of - d).num_days() < 7);
    let mut add =
        |amount: f64, start: Option<Option<NaiveDate>>, done: Option<Option<NaiveDate>>| {
            if start.is_some_and(counts) {
                started += amount;
            }
            if done.is_some_and(counts) {
                completed += amount;
                if done.is_some_and(this_week) {
                    last7 += amount;
                }
            }
        };
    match metric {
        Metric::Renovation => {
            for h in r
                .households
                .iter()
                .filter(|h| !h.deleted && inside(&h.unit))
            {
                let Some(s) = h.renovation else { continue };
                let start = (s >= RenovationStatus::Started)
                    .then_some(h.started_on.or(h.completed_on).or(h.accepted_on));
                let done =
                    (s >= RenovationStatus::Completed).then_some(h.completed_on.or(h.accepted_on));
                add(1.0, start, done);
                accept(
                    1.0,
                    (s >= RenovationStatus::Accepted).then_some(h.accepted_on),
                );
            }
        }
        Metric::Pension | Metric::Medical => {
            for h in r
                .households
                .iter()
                .filter(|h| !h.deleted && inside(&h.unit))
            {
                let n = if metric == Metric::Pension {
                    h.pension
                } else {
                    h.medical
                };
                add(f64::from(n.unwrap_or(0)), Some(None), Some(None));
            }
        }
        Metric::RoadKm
        | Metric::WaterSites
        | Metric::WaterPeople
        | Metric::Power
        | Metric::Broadcast
        | Metric::School
        | Metric::Clinic
        | Metric::CultureRoom
        | Metric::Shop
        | Metric::Greening => {
            let kind = match metric {
                Metric::RoadKm => WorksKind::Road,
                Metric::WaterSites | Metric::WaterPeople => WorksKind::Water,
                Metric::Power => WorksKind::Power,
                Metric::Broadcast => WorksKind::Broadcast,
                Metric::School => WorksKind::School,
                Metric::Clinic => WorksKind::Clinic,
                Metric::CultureRoom => WorksKind::CultureRoom,
                Metric::Shop => WorksKind::Shop,
                _ => WorksKind::Greening,
            };
            for w in r
                .works
                .iter()
                .filter(|w| !w.deleted && w.kind == kind && inside(&w.unit))
            {
                let people = metric == Metric::WaterPeople;
                let whole = if people {
                    f64::from(w.people.unwrap_or(0))
                } else {
                    w.quantity
                };
                let live: Vec<&Progress> = w
                    .progress
                    .iter()
                    .filter(|p| p.withdrawn.is_none())
                    .collect();
                let first = live.iter().map(|p| p.date).min();
                let start = (w.status >= WorksStatus::Started || !live.is_empty())
                    .then_some(w.started_on.or(first).or(w.completed_on));
                let completed_on = (w.status >= WorksStatus::Completed)
                    .then_some(w.completed_on.or(w.accepted_on));
                // Done by a day: the entries up to it (at most the whole), and, once
                // completed, the rest the entries never reached.
                let sum = |upto: &dyn Fn(NaiveDate) -> bool| -> f64 {
                    if people {
                        return 0.0; // people are served when the item is completed
                    }
                    live.iter()
                        .filter(|p| upto(p.date))
                        .map(|p| p.quantity)
                        .sum()
                };
                let all = sum(&|_| true);
                let rest = whole - all.min(whole);
                // Done by a day, of what is dated: the entries up to it (at most the
                // whole), and the rest once completed on a day up to it.
                let by = |d: NaiveDate| -> f64 {
                    let rest = match completed_on {
                        Some(Some(c)) if c <= d => rest,
                        _ => 0.0,
                    };
                    sum(&|p| p <= d).min(whole) + rest
                };
                let undated = if completed_on == Some(None) {
                    rest
                } else {
                    0.0
                };
                if start.is_some_and(counts) {
                    started += whole;
                }
                let before = |d: NaiveDate| d - chrono::Days::new(1);
                // What was done before the period (all of it, for a day before it).
                let start_of = |d: NaiveDate| since.map_or(0.0, |s| by(before(s).min(d)));
                completed += undated + by(as_of) - start_of(as_of);
                let week_before = as_of - chrono::Days::new(7);
                last7 += by(as_of) - by(week_before).max(start_of(as_of));
                accept(
                    whole,
                    (w.status >= WorksStatus::Accepted).then_some(w.accepted_on),
                );
            }
        }
        Metric::Demolition => {
            for d in r
                .demolitions
                .iter()
                .filter(|d| !d.deleted && inside(&d.unit))
            {
                add(1.0, Some(Some(d.date)), Some(Some(d.date)));
            }
        }
        Metric::CleanupTonnes => {
            for c in r.cleanups.iter().filter(|c| !c.deleted && inside(&c.unit)) {
                if pile.is_none_or(|p| p == c.kind) {
                    add(c.tonnes, Some(Some(c.date)), Some(Some(c.date)));
                }
            }
        }
    }
    (started, completed, last7, accepted)
}

/// The targets that apply on `as_of`: per unit, metric and pile kind, the live one that
/// started last on or before the day (no start: before every start).
fn naive_applicable(r: &Records, as_of: NaiveDate) -> Vec<&Target> {
    let mut out: Vec<&Target> = Vec::new();
    for t in r
        .targets
        .iter()
        .filter(|t| !t.deleted && t.from.is_none_or(|f| f <= as_of))
    {
        let later = r.targets.iter().any(|o| {
            !o.deleted
                && (&o.unit, o.metric, o.pile) == (&t.unit, t.metric, t.pile)
                && o.from.is_none_or(|f| f <= as_of)
                && o.from > t.from
        });
        if !later {
            out.push(t);
        }
    }
    out
}

/// The first day a metric's records count from in `root`'s ledger: the latest start of a
/// target that applies in its subtree.
fn naive_since(r: &Records, root: &str, metric: Metric, as_of: NaiveDate) -> Option<NaiveDate> {
    naive_applicable(r, as_of)
        .into_iter()
        .filter(|t| t.metric == metric && under(r, &t.unit, root))
        .filter_map(|t| t.from)
        .max()
}

/// Whether `unit` is `root` or below it.
fn under(r: &Records, unit: &str, root: &str) -> bool {
    let mut at = Some(unit.to_string());
    for _ in 0..=r.units.len() {
        match at {
            Some(u) if u == root => return true,
            Some(u) => {
                at = r
                    .units
                    .iter()
                    .find(|x| x.code == u)
                    .and_then(|x| x.parent.clone())
            }
            None => return false,
        }
    }
    false
}

/// The target of a unit: its own, else the sum of its children's; with the pace it needs.
fn naive_goal(
    r: &Records,
    unit: &str,
    (metric, pile): (Metric, Option<PileKind>),
    as_of: NaiveDate,
    since: Option<NaiveDate>,
) -> Option<(f64, f64, Option<NaiveDate>)> {
    if let Some(t) = naive_applicable(r, as_of)
        .into_iter()
        .find(|t| t.unit == unit && t.metric == metric && t.pile == pile)
    {
        let inside = |u: &str| under(r, u, unit);
        let (_, completed, _, _) = naive_sums(r, &inside, metric, pile, as_of, since);
        let days = (t.deadline - as_of).num_days().max(1) as f64;
        return Some((
            t.quantity,
            (t.quantity - completed).max(0.0) / days,
            Some(t.deadline),
        ));
    }
    let mut sum: Option<(f64, f64, Option<NaiveDate>)> = None;
    for kid in r.units.iter().filter(|u| u.parent.as_deref() == Some(unit)) {
        if let Some((q, per_day, _)) = naive_goal(r, &kid.code, (metric, pile), as_of, since) {
            let acc = sum.get_or_insert((0.0, 0.0, None));
            acc.0 += q;
            acc.1 += per_day;
        }
    }
    sum
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ledger_is_the_naive_sum_of_the_records((r, as_of) in records()) {
        let all = facts(&r);
        for root in &r.units {
            let root = root.code.as_str();
            let l = ledger(&r.units, &r.targets, &all, root, as_of).expect("known unit");
            let mut keys: Vec<(Metric, Option<PileKind>)> = Metric::ALL.iter().map(|m| (*m, None)).collect();
            keys.extend(PileKind::ALL.iter().map(|p| (Metric::CleanupTonnes, Some(*p))));
            prop_assert_eq!(l.rows.len(), keys.len());
            for (row, (metric, pile)) in l.rows.iter().zip(keys) {
                let key = RowKey { metric, pile };
                prop_assert_eq!(row.key, key);
                let inside = |u: &str| under(&r, u, root);
                let since = naive_since(&r, root, metric, as_of);
                let (s, c, w, a) = naive_sums(&r, &inside, metric, pile, as_of, since);
                let goal = naive_goal(&r, root, (metric, pile), as_of, since);
                let own = naive_applicable(&r, as_of)
                    .into_iter()
                    .find(|t| t.unit == root && t.metric == metric && t.pile == pile);
                // Each milestone: completed by its day (in the period), met if that reaches
                // it; else missed once its day passed, or at risk when the last 7 days'
                // pace falls short of what it needs per day.
                let milestones: Vec<MilestoneStatus> = own
                    .map(|t| {
                        t.milestones
                            .iter()
                            .map(|m| {
                                let by = m.date.min(as_of);
                                let done = naive_sums(&r, &inside, metric, pile, by, since).1;
                                let (state, need) = if done >= m.quantity - 1e-9 {
                                    (MilestoneState::Met, None)
                                } else if m.date < as_of {
                                    (MilestoneState::Missed, None)
                                } else {
                                    let days = (m.date - as_of).num_days().max(1) as f64;
                                    let need = (m.quantity - done) / days;
                                    let pace = w / 7.0;
                                    let state = if pace + 1e-9 < need {
                                        MilestoneState::AtRisk
                                    } else {
                                        MilestoneState::OnTrack
                                    };
                                    (state, Some(round(need, 3)))
                                };
                                MilestoneStatus {
                                    date: m.date,
                                    quantity: m.quantity,
                                    completed: round(done, 3),
                                    state,
                                    required_per_day: need,
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let target = goal.map(|g| g.0);
                let want = LedgerRow {
                    key,
                    target: target.map(|t| round(t, 3)),
                    started: round(s, 3),
                    completed: round(c, 3),
                    accepted: metric.def().accepted().then(|| round(a, 3)),
                    percent: target.filter(|t| *t > 0.0).map(|t| round(c / t * 100.0, 2)),
                    remaining: target.map(|t| round(t - c, 3)),
                    required_per_day: goal.map(|g| round(g.1, 3)),
                    last_7_days_per_day: round(w / 7.0, 3),
                    deadline: goal.and_then(|g| g.2),
                    from: own.and_then(|t| t.from),
                    milestones,
                };
                let same = close_opt(row.target, want.target)
                    && close(row.started, want.started)
                    && close(row.completed, want.completed)
                    && close_opt(row.accepted, want.accepted)
                    && close_opt(row.percent, want.percent)
                    && close_opt(row.remaining, want.remaining)
                    && close_opt(row.required_per_day, want.required_per_day)
                    && close(row.last_7_days_per_day, want.last_7_days_per_day)
                    && row.deadline == want.deadline
                    && row.from == want.from
                    && row.milestones.len() == want.milestones.len()
                    && row.milestones.iter().zip(&want.milestones).all(|(a, b)| {
                        a.date == b.date
                            && a.state == b.state
                            && close(a.completed, b.completed)
                            && close_opt(a.required_per_day, b.required_per_day)
                    });
                prop_assert!(same, "{} as of {}:\n got  {:?}\n want {:?}", root, as_of, row, want);
            }
        }
        prop_assert!(ledger(&r.units, &r.targets, &all, "nowhere", as_of).is_none());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A ledger read from per-day sums (as the stores keep them) is the ledger of the
    /// records, to the last digit, after other records were added and taken away again.
    #[test]
    fn ledger_from_day_sums_is_the_ledger_of_the_records(
        (r, as_of) in records(),
        (other, _) in records(),
    ) {
        let all = facts(&r);
        let mut sums = DaySums::default();
        sums.add_facts(&facts(&other), 1);
        sums.add_facts(&all, 1);
        sums.add_facts(&facts(&other), -1);
        let mut exact = DaySums::default();
        exact.add_facts(&all, 1);
        prop_assert_eq!(sums.iter().collect::<Vec<_>>(), exact.iter().collect::<Vec<_>>());
        for root in &r.units {
            let root = root.code.as_str();
            let w = window(&r.units, &r.targets, root, as_of);
            let from_sums = facts_of_totals(&totals(&sums, as_of, &w), as_of, &w);
            prop_assert_eq!(
                ledger(&r.units, &r.targets, &from_sums, root, as_of),
                ledger(&r.units, &r.targets, &all, root, as_of)
            );
            for flag in VillageFlag::ALL {
                let only = Some(*flag);
                let w = window_of(&r.units, &r.targets, root, as_of, only);
                let from_sums = facts_of_totals(&totals(&sums, as_of, &w), as_of, &w);
                prop_assert_eq!(
                    ledger_of(&r.units, &r.targets, &from_sums, root, as_of, only),
                    ledger_of(&r.units, &r.targets, &all, root, as_of, only)
                );
            }
        }
    }
}

/// Whether `unit` is `flag`ged or lies under a unit that is.
fn naive_flagged(r: &Records, unit: &str, flag: VillageFlag) -> bool {
    let mut at = Some(unit.to_string());
    for _ in 0..=r.units.len() {
        let Some(code) = at else { return false };
        let Some(u) = r.units.iter().find(|u| u.code == code) else {
            return false;
        };
        if u.has(flag) {
            return true;
        }
        at = u.parent.clone();
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The breakdowns count the households themselves: all, each category, the seepage
    /// zone (flagged themselves or in a flagged village) and the key villages — how
    /// many, renovated (completed or accepted), and still to renovate (rated C/D or in
    /// the plan, not renovated); withdrawn households count nowhere. A ledger of the
    /// flagged villages only is the ledger of their records and their own targets.
    #[test]
    fn breakdowns_count_the_households((r, as_of) in records()) {
        let all = facts(&r);
        for root in &r.units {
            let root = root.code.as_str();
            let l = ledger(&r.units, &r.targets, &all, root, as_of).expect("known unit");
            let groups: Vec<Group> = l.groups.iter().map(|g| g.group).collect();
            prop_assert_eq!(&groups[..], Group::ALL);
            for row in &l.groups {
                let member = |h: &Household| match row.group {
                    Group::All => true,
                    Group::FiveGuarantee => h.categories.contains(&Category::FiveGuarantee),
                    Group::Subsistence => h.categories.contains(&Category::Subsistence),
                    Group::DisabledPoor => h.categories.contains(&Category::DisabledPoor),
                    Group::Seepage => h.seepage || naive_flagged(&r, &h.unit, VillageFlag::Seepage),
                    Group::KeyVillage => naive_flagged(&r, &h.unit, VillageFlag::KeyVillage),
                };
                let hs: Vec<&Household> = r
                    .households
                    .iter()
                    .filter(|h| !h.deleted && under(&r, &h.unit, root) && member(h))
                    .collect();
                let renovated = |h: &&&Household| {
                    matches!(h.renovation, Some(RenovationStatus::Completed | RenovationStatus::Accepted))
                };
                let needs = |h: &&&Household| {
                    h.renovation.is_some() || matches!(h.rating, Some(Rating::C | Rating::D))
                };
                let want = GroupRow {
                    group: row.group,
                    households: hs.len() as u64,
                    renovated: hs.iter().filter(renovated).count() as u64,
                    backlog: hs.iter().filter(|h| needs(h) && !renovated(h)).count() as u64,
                };
                prop_assert_eq!(row, &want, "{} as of {}", root, as_of);
            }
            for flag in VillageFlag::ALL {
                let mut only = r.clone();
                let inside = |u: &str| naive_flagged(&r, u, *flag);
                only.households.retain(|h| inside(&h.unit));
                only.cleanups.retain(|c| inside(&c.unit));
                only.demolitions.retain(|d| inside(&d.unit));
                only.works.retain(|w| inside(&w.unit));
                only.targets.retain(|t| inside(&t.unit));
                let got = ledger_of(&r.units, &r.targets, &all, root, as_of, Some(*flag))
                    .expect("known unit");
                let want = ledger(&only.units, &only.targets, &facts(&only), root, as_of)
                    .expect("known unit");
                prop_assert_eq!(got.only, Some(*flag));
                prop_assert_eq!(got.rows, want.rows, "{} only {}", root, flag);
                prop_assert_eq!(got.groups, want.groups, "{} only {}", root, flag);
            }
        }
    }
}
