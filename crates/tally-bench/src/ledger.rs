//! (f) The progress ledger of a banner with H households and R records (visits,
//! cleanup loads, demolitions, works; plus targets), computed on the device store and
//! on the server from the same changes. The data is made by real edits on a device
//! and pushed to the server in batches; only the ledger calls are timed.

use crate::report::Report;
use crate::server::{village_code_in, Backend, Server, BANNER};
use crate::stats::{runs, since};
use crate::sync::merge;
use anyhow::{ensure, Result};
use chrono::{Days, NaiveDate};
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tally_core::ids::SeededIds;
use tally_core::{Change, Level, Metric, Milestone, OrgUnit, PileKind, RowId, Table, WorksKind};
use tally_protocol::Role;
use tally_server::db::PushMode;
use tally_server::push::Author;
use tally_store::{DbKey, Edit, Store};

/// Households per village.
const PER_VILLAGE: usize = 500;

/// Surnames and given-name characters of the households' heads; some heads carry a
/// Mongolian name alone, as people in Inner Mongolia do.
const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤";
const GIVEN: &str = "明华军平强伟芳英兰秀福贵财宝林生海山河春秋玉珍凤梅桂荣德忠成富全有金银喜根柱锁润存旺双虎龙建国庆文武志刚红霞燕丽娟俊杰永";
const MONGOLIAN: &str = "巴特尔 额尔敦 乌云 其其格 苏和 格日勒 宝音 朝鲁 斯琴 那仁 孟和 图雅 阿拉坦 巴图 哈斯 吉日木图 萨仁 乌日娜 特木尔 达来 布和 敖其尔 满都拉 乌力吉";

/// Seeded households and records of a banner: the same seed gives the same data (ids
/// and clocks aside).
pub struct Gen {
    rng: SeededIds,
    today: NaiveDate,
    villages: usize,
    per_township: usize,
    households: Vec<(RowId, String)>,
}

impl Gen {
    pub fn new(seed: u64, today: NaiveDate, villages: usize, per_township: usize) -> Gen {
        Gen {
            rng: SeededIds::new(0, seed),
            today,
            villages,
            per_township,
            households: Vec::new(),
        }
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }

    fn day(&mut self) -> NaiveDate {
        let back = self.pick(90) as u64;
        self.today - Days::new(back + 1)
    }

    /// A head's name: a surname and one or two given characters, or a Mongolian name.
    fn head(&mut self) -> String {
        let pick_char = |g: &mut Gen, s: &str| {
            let n = s.chars().count();
            s.chars().nth(g.pick(n)).unwrap_or('明')
        };
        if self.pick(8) == 0 {
            let names: Vec<&str> = MONGOLIAN.split(' ').collect();
            return names[self.pick(names.len())].to_string();
        }
        let mut name = String::from(pick_char(self, SURNAMES));
        for _ in 0..1 + self.pick(2) {
            name.push(pick_char(self, GIVEN));
        }
        name
    }

    pub fn household(&mut self, i: usize) -> Edit {
        let unit = village_code_in(i % self.villages, self.per_township);
        let head = self.head();
        let members = 1 + self.pick(6) as u32;
        let mut e = Edit::new(Table::Household)
            .unit(&unit)
            .set("head", head)
            .set("members", members)
            .set("rating", ["C", "D"][self.pick(2)])
            .set("pension", members - members / 3)
            .set("medical", members);
        let (d1, d2) = (self.day(), self.day());
        let (start, done) = (d1.min(d2), d1.max(d2));
        e = match self.pick(10) {
            0..=3 => e,
            4 => e.set("renovation", "planned"),
            5 | 6 => e.set("renovation", "started").set("started_on", start),
            7 | 8 => e
                .set("renovation", "completed")
                .set("started_on", start)
                .set("completed_on", done),
            _ => e
                .set("renovation", "accepted")
                .set("started_on", start)
                .set("completed_on", done)
                .set("accepted_on", done),
        };
        e
    }

    pub fn record(&mut self, j: usize) -> Edit {
        let k = self.pick(self.households.len());
        let (hh, unit) = self.households[k].clone();
        let date = self.day();
        match self.pick(100) {
            0..=39 => Edit::new(Table::Visit)
                .unit(&unit)
                .set("household", hh)
                .set("date", date)
                .set("note", crate::device::note(j)),
            40..=89 => Edit::new(Table::Cleanup)
                .unit(&unit)
                .set("kind", PileKind::ALL[self.pick(5)])
                .set("tonnes", 0.5 + self.pick(400) as f64 / 20.0)
                .set("piles", 1 + self.pick(5) as u32)
                .set("date", date),
            90..=97 => Edit::new(Table::Demolition)
                .unit(&unit)
                .set("household", hh)
                .set("area_m2", 20.0 + self.pick(200) as f64)
                .set("date", date),
            _ => {
                // Every kind, so that every metric of the ledger has facts.
                let kind = WorksKind::ALL[self.pick(WorksKind::ALL.len())];
                Edit::new(Table::Works)
                    .unit(&unit)
                    .set("kind", kind)
                    .set("quantity", 0.5 + self.pick(20) as f64 / 4.0)
                    .set(
                        "people",
                        kind.def()
                            .serves_people
                            .then_some(50 + self.pick(500) as u32),
                    )
                    .set("status", ["planned", "started", "completed"][self.pick(3)])
                    .set("started_on", date)
            }
        }
    }
}

fn units(store: &mut Store, villages: usize, per_township: usize) -> Result<()> {
    let mut add = |code: String, level, parent: Option<String>| {
        store.add_unit(&OrgUnit {
            name: format!("单位{code}"),
            code,
            level,
            parent,
            seepage: false,
            key_village: false,
        })
    };
    add(BANNER.into(), Level::Banner, None)?;
    for i in 0..villages {
        let v = village_code_in(i, per_township);
        if i % per_township == 0 {
            add(v[..9].to_string(), Level::Township, Some(BANNER.into()))?;
        }
        add(v.clone(), Level::Village, Some(v[..9].to_string()))?;
    }
    Ok(())
}

/// Make the data on the device and push every change to the server as it is made.
pub fn build(
    store: &mut Store,
    server: &Server,
    gen: &mut Gen,
    households: usize,
    records: usize,
) -> Result<()> {
    make(store, server, gen, 0..households + records, households)?;
    push_targets(store, server, gen)
}

/// Push `changes` to the server as an admin's device, 1 000 per push.
fn push(store: &Store, server: &Server, changes: Vec<Change>) -> Result<()> {
    // The server records the pushing account as the author: the store's own.
    let author = Author {
        device: store.device()?.id,
        user: store.device()?.author.clone(),
        role: Role::Admin,
        units: vec![],
    };
    let now = tally_server::WallClock::now_ms(&tally_server::SystemClock);
    for chunk in changes.chunks(1000) {
        let pushed = server.rt.block_on(server.db.push(
            chunk.to_vec(),
            author.clone(),
            now,
            PushMode::PerChange,
        ))?;
        let rejected = pushed
            .results
            .iter()
            .filter(|r| !matches!(r, tally_protocol::PushResult::Accepted { .. }))
            .count();
        ensure!(
            rejected == 0,
            "the server rejected {rejected} changes: {:?}",
            pushed.results.first()
        );
    }
    Ok(())
}

/// Make rows `range` (the first `households` of all of them households, the rest records
/// of the households made so far) and push them, 10 000 per device transaction.
pub fn make(
    store: &mut Store,
    server: &Server,
    gen: &mut Gen,
    range: std::ops::Range<usize>,
    households: usize,
) -> Result<()> {
    for start in range.clone().step_by(10_000) {
        let end = (start + 10_000).min(range.end);
        let changes = store.batch(|s| {
            (start..end)
                .map(|i| {
                    let e = if i < households {
                        gen.household(i)
                    } else {
                        gen.record(i)
                    };
                    // A new row (a household, a record) always changes something.
                    let change = s.edit(e)?.into_change().expect("a new row");
                    if i < households {
                        gen.households.push((change.row, change.unit.clone()));
                    }
                    Ok(change)
                })
                .collect::<tally_store::Result<Vec<Change>>>()
        })?;
        push(store, server, changes)?;
    }
    Ok(())
}

/// Targets: renovation per village, cleanup and demolition for the banner.
pub fn push_targets(store: &mut Store, server: &Server, gen: &Gen) -> Result<()> {
    let deadline = gen.today + Days::new(120);
    let mut targets = Vec::new();
    for i in 0..gen.villages {
        let village = village_code_in(i, gen.per_township);
        targets.extend(
            store
                .set_target(&village, Metric::Renovation, 300.0, deadline)?
                .into_change(),
        );
    }
    // The banner's cleanup target of this year's campaign: a period that started before
    // most of the loads, and milestones behind and ahead, so the ledger sums over a window
    // and tells each milestone apart.
    let from = gen.today - Days::new(60);
    let milestone = |days_ago: u64, quantity: f64| Milestone {
        date: gen.today - Days::new(days_ago),
        quantity,
    };
    let plan = tally_store::TargetPlan {
        unit: BANNER.to_string(),
        metric: Metric::CleanupTonnes,
        quantity: 1e6,
        deadline,
        from: Some(from),
        milestones: vec![
            milestone(30, 100_000.0),
            milestone(10, 200_000.0),
            Milestone {
                date: gen.today + Days::new(30),
                quantity: 500_000.0,
            },
        ],
        ..tally_store::TargetPlan::default()
    };
    targets.extend(store.set_target_plan(&plan)?.into_change());
    targets.extend(
        store
            .set_target(BANNER, Metric::Demolition, 50_000.0, deadline)?
            .into_change(),
    );
    push(store, server, targets)
}

/// The org units on the generating device (a device records only in units it knows).
pub fn device_units(store: &mut Store, villages: usize, per_township: usize) -> Result<()> {
    units(store, villages, per_township)
}

pub fn bench(
    report: &mut Report,
    backend: &Backend,
    data: &Path,
    households: usize,
    records: usize,
    repeat: usize,
) -> Result<()> {
    let villages = households.div_ceil(PER_VILLAGE).max(1);
    // Only the households this scenario makes: the device and the server hold the same.
    let server = Server::start_with(
        backend,
        &crate::server::Setup {
            households: false,
            ..crate::server::Setup::villages(villages)
        },
    )?;
    let dir = tempfile::tempdir_in(data)?;
    let mut store = Store::open(&dir.path().join("ledger.db"), &DbKey::random())?;
    store.init("bench")?;
    units(&mut store, villages, 100)?;
    let today = store.today();
    let mut gen = Gen::new(7, today, villages, 100);
    let t = Instant::now();
    build(&mut store, &server, &mut gen, households, records)?;
    eprintln!(
        "ledger: {households} households and {records} records made in {:.1} s",
        since(t) / 1000.0
    );
    let (mut dev, mut srv) = (Vec::new(), Vec::new());
    let mut ledgers = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let on_device = store.ledger(BANNER, Some(today))?;
        dev.push(since(t));
        let t = Instant::now();
        let on_server = server.rt.block_on(server.db.ledger(BANNER, today))?;
        srv.push(since(t));
        ledgers = Some((on_device, on_server));
    }
    let same = ledgers.as_ref().is_some_and(|(d, s)| Some(d) == s.as_ref());
    ensure!(
        same,
        "the device and the server computed different ledgers: {ledgers:?}"
    );
    let fields = json!({ "households": households, "records": records, "villages": villages, "runs": dev.len(), "same_ledger": same });
    let name = format!("ledger-{}", backend.name());
    report.add(&name, "device", merge(fields.clone(), runs("time", &dev)));
    report.add(&name, "server", merge(fields, runs("time", &srv)));
    if std::env::var_os("TALLY_BENCH_KEEP").is_some() {
        eprintln!("ledger: device database kept in {}", dir.keep().display());
    }
    Ok(())
}
