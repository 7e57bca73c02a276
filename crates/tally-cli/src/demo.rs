//! `tally demo`: fill an empty database with a realistic banner — townships, villages,
//! hamlets, households with Chinese and Mongolian names, priority categories, seepage,
//! ratings, renovation progress over the last 60 days, visits, demolitions, cleanup
//! loads of every pile kind, roads and water, and targets due in one to three months —
//! so a newcomer sees a living ledger at once. The same seed on the same day gives the
//! same data (ids aside); everything lands in one `Store::batch`.

use crate::commands::Ctx;
use crate::{output, Failure};
use anyhow::Result;
use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tally_core::*;
use tally_store::{HouseholdFilter, NewHousehold, Store};

const BANNER: (&str, &str) = ("150625", "杭锦旗");

/// Townships: code, name, whether it lies in the Yellow River seepage zone, and the
/// names of up to four villages.
const TOWNSHIPS: &[(&str, &str, bool, &str)] = &[
    (
        "150625100",
        "锡尼镇",
        false,
        "阿斯尔嘎查 巴音乌素嘎查 图古日格嘎查 哈日陶勒盖嘎查",
    ),
    (
        "150625101",
        "吉日嘎朗图镇",
        true,
        "黄河村 新民村 乌兰什巴台嘎查 赛台吉嘎查",
    ),
    (
        "150625102",
        "独贵塔拉镇",
        true,
        "杭锦淖村 隆茂营村 沙日召嘎查 昌汗淖尔嘎查",
    ),
];

const HAMLETS: &[&str] = &["一社", "二社", "三社"];

const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤";
const GIVEN: &str = "明华军平强伟芳英兰秀福贵财宝林生海山河春秋玉珍凤梅桂荣德忠成富全有金银喜根柱锁润存旺双虎龙建国庆文武志刚红霞燕丽娟俊杰永";
/// Mongolian names, used on their own as people in Inner Mongolia do.
const MONGOLIAN: &str = "巴特尔 额尔敦 乌云 其其格 苏和 格日勒 宝音 朝鲁 斯琴 那仁 孟和 图雅 \
    阿拉坦 巴图 哈斯 吉日木图 萨仁 乌日娜 特木尔 达来 布和 敖其尔 满都拉 乌力吉";
/// What cadres write after a visit.
const NOTES: &str = "入户核查，房屋墙体有裂缝|已讲解危房改造政策|改造进度正常|院落柴草已清理|\
    户主外出务工，电话联系|核实家庭人口|低保政策已落实|屋顶漏雨，列入改造计划|新房已入住|\
    督促清理院内粪堆|自来水已入户|动员拆除旧房";

/// What the demo made, per village (for targets) and in total (for the summary).
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Tally {
    households: usize,
    /// Households with a C or D house (the renovation quota).
    dilapidated: usize,
    renovations_started: usize,
    renovations_completed: usize,
    visits: usize,
    demolitions: usize,
    cleanup_loads: usize,
    cleanup_tonnes: f64,
    road_km: f64,
    water_sites: usize,
    water_people: u32,
    works: usize,
    targets: usize,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.households += o.households;
        self.dilapidated += o.dilapidated;
        self.renovations_started += o.renovations_started;
        self.renovations_completed += o.renovations_completed;
        self.visits += o.visits;
        self.demolitions += o.demolitions;
        self.cleanup_loads += o.cleanup_loads;
        self.cleanup_tonnes += o.cleanup_tonnes;
        self.road_km += o.road_km;
        self.water_sites += o.water_sites;
        self.water_people += o.water_people;
        self.works += o.works;
        self.targets += o.targets;
    }
}

/// Org units made, by level.
#[derive(Debug, Default, Serialize)]
struct Units {
    banner: usize,
    townships: usize,
    villages: usize,
    hamlets: usize,
}

/// The seeded generator, writing into the store as it goes.
struct Demo<'s> {
    store: &'s mut Store,
    rng: StdRng,
    today: NaiveDate,
    units: Units,
    total: Tally,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Demo<'_> {
    fn days_ago(&self, n: u64) -> NaiveDate {
        self.today
            .checked_sub_days(Days::new(n))
            .unwrap_or(self.today)
    }

    /// A day in the last `n` days (today included).
    fn recent(&mut self, n: u64) -> NaiveDate {
        let back = self.rng.gen_range(0..n);
        self.days_ago(back)
    }

    fn deadline(&mut self, min_days: u64, max_days: u64) -> NaiveDate {
        let ahead = self.rng.gen_range(min_days..=max_days);
        self.today
            .checked_add_days(Days::new(ahead))
            .unwrap_or(self.today)
    }

    fn han_name(&mut self) -> String {
        let surnames: Vec<char> = SURNAMES.chars().collect();
        let given: Vec<char> = GIVEN.chars().collect();
        let mut name = String::from(surnames[self.rng.gen_range(0..surnames.len())]);
        for _ in 0..self.rng.gen_range(1..=2) {
            name.push(given[self.rng.gen_range(0..given.len())]);
        }
        name
    }

    /// One of some items, at random.
    fn pick<'a>(&mut self, items: impl Iterator<Item = &'a str>) -> &'a str {
        let items: Vec<&str> = items.collect();
        items.choose(&mut self.rng).copied().unwrap_or_default()
    }

    fn name(&mut self) -> String {
        if self.rng.gen_bool(0.2) {
            self.pick(MONGOLIAN.split_whitespace()).to_string()
        } else {
            self.han_name()
        }
    }

    fn unit(
        &mut self,
        code: &str,
        name: &str,
        level: Level,
        parent: Option<&str>,
    ) -> tally_store::Result<()> {
        match level {
            Level::Banner => self.units.banner += 1,
            Level::Township => self.units.townships += 1,
            Level::Village => self.units.villages += 1,
            Level::Hamlet => self.units.hamlets += 1,
        }
        if self.store.unit(code).is_ok() {
            return Ok(()); // already there: leave it as it is
        }
        let unit = OrgUnit::new(code, name, level, parent);
        self.store.add_unit(&unit).map(drop)
    }

    fn all(&mut self) -> tally_store::Result<()> {
        self.unit(BANNER.0, BANNER.1, Level::Banner, None)?;
        let townships = self.rng.gen_range(2..=TOWNSHIPS.len());
        let mut banner = Tally::default();
        for &(code, name, seepage, villages) in &TOWNSHIPS[..townships] {
            self.unit(code, name, Level::Township, Some(BANNER.0))?;
            let mut township = Tally::default();
            for (i, vname) in villages
                .split_whitespace()
                .take(self.rng.gen_range(3..=4))
                .enumerate()
            {
                let vcode = format!("{code}{:03}", 201 + i);
                let v = self.village(&vcode, vname, code, seepage, i == 0)?;
                township.add(&v);
            }
            township.targets += self.township_targets(code, &township)?;
            banner.add(&township);
        }
        banner.targets += self.banner_targets(&banner)?;
        self.total = banner;
        Ok(())
    }

    /// `first`: the township's first village, which always has water works under way and
    /// is a key village (重点村); a seepage-zone township's villages are flagged 沿黄渗漏区.
    fn village(
        &mut self,
        code: &str,
        name: &str,
        parent: &str,
        seepage_zone: bool,
        first: bool,
    ) -> tally_store::Result<Tally> {
        self.unit(code, name, Level::Village, Some(parent))?;
        self.store
            .flag_village(code, VillageFlag::Seepage, seepage_zone)?;
        self.store
            .flag_village(code, VillageFlag::KeyVillage, first)?;
        let mut homes = vec![code.to_string()];
        if self.rng.gen_bool(0.4) {
            homes.clear();
            for (i, h) in HAMLETS.iter().take(self.rng.gen_range(2..=3)).enumerate() {
                let hcode = format!("{code}{:02}", i + 1);
                self.unit(&hcode, h, Level::Hamlet, Some(code))?;
                homes.push(hcode);
            }
        }
        let cadres: Vec<String> = (0..self.rng.gen_range(2..=3))
            .map(|_| self.han_name())
            .collect();
        let mut t = Tally::default();
        for _ in 0..self.rng.gen_range(30..=60) {
            let home = homes
                .choose(&mut self.rng)
                .cloned()
                .unwrap_or_else(|| code.to_string());
            let cadre = if self.rng.gen_bool(0.92) {
                cadres.choose(&mut self.rng).cloned()
            } else {
                None
            };
            self.household(&home, seepage_zone, cadre, &mut t)?;
        }
        self.cleanups(code, &mut t)?;
        for _ in 0..self.rng.gen_range(2..=6) {
            let (area, date) = (round1(self.rng.gen_range(30.0..150.0)), self.recent(60));
            self.store
                .add_demolition(code, None, Some(area), Some(date))?;
            t.demolitions += 1;
        }
        self.works(code, first, &mut t)?;
        t.targets += self.village_targets(code, &t)?;
        Ok(t)
    }

    fn household(
        &mut self,
        unit: &str,
        seepage_zone: bool,
        cadre: Option<String>,
        t: &mut Tally,
    ) -> tally_store::Result<()> {
        let r = &mut self.rng;
        let mut categories = Vec::new();
        for (c, p) in [
            (Category::FiveGuarantee, 0.06),
            (Category::Subsistence, 0.15),
            (Category::DisabledPoor, 0.05),
        ] {
            if r.gen_bool(p) {
                categories.push(c);
            }
        }
        let members = if categories.contains(&Category::FiveGuarantee) {
            1
        } else {
            *[1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6].choose(r).unwrap_or(&3)
        };
        // Poorer households more often live in a dangerous house.
        let worse = if categories.is_empty() { 0.0 } else { 0.2 };
        let x: f64 = r.gen();
        let rating = match x + worse {
            x if x < 0.25 => Rating::A,
            x if x < 0.60 => Rating::B,
            x if x < 0.85 => Rating::C,
            _ => Rating::D,
        };
        let phone = r.gen_bool(0.85).then(|| {
            format!(
                "1{}{:09}",
                [3, 5, 8].choose(r).unwrap_or(&3),
                r.gen_range(0..1_000_000_000u32)
            )
        });
        let seepage = r.gen_bool(if seepage_zone { 0.7 } else { 0.03 });
        let head = self.name();
        let id = self.store.add_household(&NewHousehold {
            village: unit.to_string(),
            head,
            members: Some(members),
            phone,
            id_number: None,
            categories: categories.clone(),
            seepage,
            rating: Some(rating),
            cadre,
            // Most adults in the pension scheme, nearly everyone in the medical one.
            pension: Some(members - members / 3),
            medical: Some(members),
        })?;
        t.households += 1;
        if rating >= Rating::C {
            t.dilapidated += 1;
            self.renovation(id, unit, t)?;
        }
        let visits = self.rng.gen_range(0..=2) + usize::from(!categories.is_empty());
        for _ in 0..visits {
            let date = self.recent(60);
            let note = self.pick(NOTES.split('|'));
            self.store.add_visit(id, Some(date), note)?;
            t.visits += 1;
        }
        Ok(())
    }

    /// Move a dilapidated house along planned → started → completed → accepted, one
    /// dated step at a time, stopping at the step it has reached by today.
    fn renovation(&mut self, id: RowId, unit: &str, t: &mut Tally) -> tally_store::Result<()> {
        if self.rng.gen_bool(0.1) {
            return Ok(()); // not planned yet
        }
        let back = self.rng.gen_range(40..=62);
        let mut day = self.days_ago(back);
        let steps = [
            (RenovationStatus::Planned, 0..1),
            (RenovationStatus::Started, 3..20),
            (RenovationStatus::Completed, 12..35),
            (RenovationStatus::Accepted, 3..12),
        ];
        let last = self.rng.gen_range(1..=4);
        for (status, gap) in steps.into_iter().take(last) {
            day = day
                .checked_add_days(Days::new(self.rng.gen_range(gap)))
                .unwrap_or(day);
            if day > self.today {
                break;
            }
            self.store.set_renovation(id, status, Some(day), false)?;
            t.renovations_started += usize::from(status == RenovationStatus::Started);
            if status == RenovationStatus::Completed {
                t.renovations_completed += 1;
                if self.rng.gen_bool(0.3) {
                    // The old house is pulled down once the new one stands.
                    let area = round1(self.rng.gen_range(40.0..120.0));
                    self.store
                        .add_demolition(unit, Some(id), Some(area), Some(day))?;
                    t.demolitions += 1;
                }
            }
        }
        Ok(())
    }

    fn cleanups(&mut self, village: &str, t: &mut Tally) -> tally_store::Result<()> {
        let loads = self.rng.gen_range(12..=30);
        for i in 0..loads {
            // Every pile kind at least once, then whatever is left.
            let kind = PileKind::ALL.get(i).copied().unwrap_or_else(|| {
                *PileKind::ALL
                    .choose(&mut self.rng)
                    .unwrap_or(&PileKind::Garbage)
            });
            let (lo, hi) = match kind {
                PileKind::Firewood => (1.0, 8.0),
                PileKind::Hay => (0.5, 5.0),
                PileKind::Manure => (2.0, 15.0),
                PileKind::Dirt => (3.0, 25.0),
                PileKind::Garbage => (0.5, 4.0),
            };
            let tonnes = round1(self.rng.gen_range(lo..hi));
            let piles = self.rng.gen_range(1..=6);
            let date = self.recent(60);
            self.store
                .add_cleanup(village, kind, tonnes, Some(piles), Some(date))?;
            t.cleanup_loads += 1;
            t.cleanup_tonnes += tonnes;
        }
        Ok(())
    }

    /// One works item: planned, started, or started and later completed (`under_way`:
    /// not merely planned).
    fn one_works(
        &mut self,
        village: &str,
        kind: WorksKind,
        quantity: f64,
        people: Option<u32>,
        under_way: bool,
    ) -> tally_store::Result<()> {
        let x: f64 = if under_way {
            self.rng.gen_range(0.15..1.0)
        } else {
            self.rng.gen()
        };
        let back = self.rng.gen_range(15..=60);
        let start = self.days_ago(back);
        if x < 0.15 {
            self.store
                .add_works(village, kind, quantity, people, WorksStatus::Planned, None)?;
        } else {
            let id = self.store.add_works(
                village,
                kind,
                quantity,
                people,
                WorksStatus::Started,
                Some(start),
            )?;
            let done = start
                .checked_add_days(Days::new(self.rng.gen_range(5..=25)))
                .unwrap_or(start);
            if x >= 0.5 && done <= self.today {
                self.store
                    .set_works_status(id, WorksStatus::Completed, Some(done), false)?;
            }
        }
        Ok(())
    }

    fn works(&mut self, village: &str, first: bool, t: &mut Tally) -> tally_store::Result<()> {
        for _ in 0..self.rng.gen_range(1..=3) {
            let km = round1(self.rng.gen_range(0.3..2.5));
            self.one_works(village, WorksKind::Road, km, None, false)?;
            t.road_km += km;
            t.works += 1;
        }
        if first || self.rng.gen_bool(0.6) {
            let people = self.rng.gen_range(80..=600);
            self.one_works(village, WorksKind::Water, 1.0, Some(people), first)?;
            t.water_sites += 1;
            t.water_people += people;
            t.works += 1;
        }
        for kind in [WorksKind::CultureRoom, WorksKind::Clinic, WorksKind::Shop] {
            if self.rng.gen_bool(0.3) {
                self.one_works(village, kind, 1.0, None, false)?;
                t.works += 1;
            }
        }
        Ok(())
    }

    fn target(
        &mut self,
        unit: &str,
        metric: Metric,
        quantity: f64,
        deadline: NaiveDate,
    ) -> tally_store::Result<usize> {
        if quantity <= 0.0 {
            return Ok(0);
        }
        self.store.set_target(unit, metric, quantity, deadline)?;
        Ok(1)
    }

    /// Every dilapidated house renovated, more cleanup and road than so far.
    fn village_targets(&mut self, code: &str, t: &Tally) -> tally_store::Result<usize> {
        let due = self.deadline(30, 60);
        let more = self.rng.gen_range(1.3..2.2);
        let cleanup = (t.cleanup_tonnes * more / 10.0).ceil() * 10.0;
        let road = (t.road_km * self.rng.gen_range(1.0..1.4) * 2.0).ceil() / 2.0;
        let demolition = (t.demolitions as f64 * 1.5).ceil();
        Ok(
            self.target(code, Metric::Renovation, t.dilapidated as f64, due)?
                + self.target(code, Metric::CleanupTonnes, cleanup, due)?
                + self.target(code, Metric::RoadKm, road, due)?
                + self.target(code, Metric::Demolition, demolition, due)?,
        )
    }

    /// A renovation target with its milestones (节点): a third by last week, two thirds in
    /// a fortnight, all by the deadline.
    fn renovation_target(
        &mut self,
        code: &str,
        quantity: f64,
        due: NaiveDate,
    ) -> tally_store::Result<usize> {
        if quantity <= 0.0 {
            return Ok(0);
        }
        let day = |d: i64| {
            self.today
                .checked_add_signed(chrono::Duration::days(d))
                .unwrap_or(self.today)
        };
        let milestones = vec![
            Milestone {
                date: day(-7),
                quantity: (quantity / 3.0).ceil(),
            },
            Milestone {
                date: day(14),
                quantity: (quantity * 2.0 / 3.0).ceil(),
            },
        ];
        let plan = tally_store::TargetPlan {
            unit: code.to_string(),
            metric: Metric::Renovation,
            quantity,
            deadline: due,
            milestones,
            ..tally_store::TargetPlan::default()
        };
        self.store.set_target_plan(&plan)?;
        Ok(1)
    }

    fn township_targets(&mut self, code: &str, t: &Tally) -> tally_store::Result<usize> {
        let due = self.deadline(45, 75);
        let people = (f64::from(t.water_people) * 1.2 / 50.0).ceil() * 50.0;
        let renovation = (t.dilapidated as f64 * 1.05).ceil();
        Ok(self.renovation_target(code, renovation, due)?
            + self.target(code, Metric::WaterSites, t.water_sites as f64 + 1.0, due)?
            + self.target(code, Metric::WaterPeople, people, due)?)
    }

    fn banner_targets(&mut self, t: &Tally) -> tally_store::Result<usize> {
        let due = self.deadline(75, 90);
        let code = BANNER.0;
        Ok(
            self.renovation_target(code, (t.dilapidated as f64 * 1.1).ceil(), due)?
                + self.target(code, Metric::RoadKm, (t.road_km * 1.3).ceil(), due)?
                + self.target(code, Metric::WaterSites, t.water_sites as f64 + 3.0, due)?
                + self.target(
                    code,
                    Metric::WaterPeople,
                    (f64::from(t.water_people) * 1.3 / 100.0).ceil() * 100.0,
                    due,
                )?
                + self.target(
                    code,
                    Metric::Demolition,
                    (t.demolitions as f64 * 1.6).ceil(),
                    due,
                )?
                + self.target(
                    code,
                    Metric::CleanupTonnes,
                    (t.cleanup_tonnes * 2.0 / 100.0).ceil() * 100.0,
                    due,
                )?,
        )
    }
}

/// What `demo --json` prints.
#[derive(Serialize)]
struct Summary {
    banner: &'static str,
    seed: u64,
    today: NaiveDate,
    units: Units,
    #[serde(flatten)]
    made: Tally,
}

pub fn run(ctx: &Ctx, seed: u64) -> Result<()> {
    let mut store = ctx.open()?;
    if !store
        .households(&HouseholdFilter {
            limit: Some(1),
            ..HouseholdFilter::default()
        })?
        .is_empty()
    {
        return Err(Failure::new(
            "数据库里已经有农户：演示数据只放进空的数据库（用 --db 指定一个新文件）",
            "the database already has households: the demo only fills an empty one (pass --db with a new file)",
        )
        .into());
    }
    let today = store.today();
    let (units, made) = store.batch(|s| {
        let mut demo = Demo {
            store: s,
            rng: StdRng::seed_from_u64(seed),
            today,
            units: Units::default(),
            total: Tally::default(),
        };
        demo.all()?;
        Ok((demo.units, demo.total))
    })?;
    let summary = Summary {
        banner: BANNER.0,
        seed,
        today,
        units,
        made,
    };
    if ctx.json {
        return output::json(&summary);
    }
    let (u, m) = (&summary.units, &summary.made);
    output::lines([
        format!("演示数据已生成 / demo data created (seed {seed}, {today})"),
        format!(
            "  组织单位 units: {} 旗, {} 苏木镇, {} 嘎查村, {} 自然村",
            u.banner, u.townships, u.villages, u.hamlets
        ),
        format!(
            "  农户 households: {}（危房 {}，已开工 {}，已竣工 {}）, 走访 visits: {}",
            m.households, m.dilapidated, m.renovations_started, m.renovations_completed, m.visits
        ),
        format!(
            "  拆除 demolitions: {}, 清理 cleanup: {} 车 loads / {} 吨 t, 工程 works: {}, 指标 targets: {}",
            m.demolitions,
            m.cleanup_loads,
            output::num(round1(m.cleanup_tonnes)),
            m.works,
            m.targets
        ),
        format!("旗 banner: {} {}", BANNER.0, BANNER.1),
        format!("查看台账 / see the ledger: tally ledger --unit {}", BANNER.0),
    ])
}
