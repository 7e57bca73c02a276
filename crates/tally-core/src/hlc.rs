//! The hybrid logical clock: physical milliseconds plus a counter, so that an edit made
//! after seeing another always sorts after it, whatever the wall clocks say.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A hybrid logical timestamp. Ordered by `ms`, then `count`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (physical part, corrected by the measured offset).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ms: u64,
    /// Logical counter for events within the same millisecond.
    pub count: u32,
}

impl Hlc {
    pub const ZERO: Hlc = Hlc { ms: 0, count: 0 };
    /// The largest counter a timestamp may carry (five digits, as it is written): more
    /// events in one millisecond move the time on instead.
    pub const MAX_COUNT: u32 = 99_999;
    /// No change is older than the deployment: 2024-01-01T00:00:00Z.
    pub const EPOCH_MS: u64 = 1_704_067_200_000;

    pub fn new(ms: u64, count: u32) -> Self {
        Self { ms, count }
    }

    /// Within the bounds every clock keeps (not before the deployment, a counter of at
    /// most [`Hlc::MAX_COUNT`]). A timestamp outside them is refused, never adopted: one
    /// poisoned counter would otherwise be passed on to every device that pulls it.
    pub fn is_sane(&self) -> bool {
        self.ms >= Self::EPOCH_MS && self.count <= Self::MAX_COUNT
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}-{:05}", self.ms, self.count)
    }
}

impl FromStr for Hlc {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (ms, count) = s
            .split_once('-')
            .ok_or_else(|| format!("not an hlc: {s:?}"))?;
        Ok(Hlc {
            ms: ms.parse().map_err(|_| format!("not an hlc: {s:?}"))?,
            count: count.parse().map_err(|_| format!("not an hlc: {s:?}"))?,
        })
    }
}

/// A source of hybrid logical time.
pub trait Clock {
    /// A timestamp greater than every timestamp this clock has issued or observed.
    fn now(&mut self) -> Hlc;
    /// Take note of a timestamp seen in a change from elsewhere.
    fn observe(&mut self, remote: Hlc);
}

/// The HLC state machine; the physical time is passed in on every call, so the same
/// code runs under the system clock, a corrected clock, or a test clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlcClock {
    pub last: Hlc,
}

impl HlcClock {
    pub fn new(last: Hlc) -> Self {
        Self { last }
    }

    /// Issue a timestamp at physical time `physical_ms`.
    pub fn tick(&mut self, physical_ms: u64) -> Hlc {
        self.last = if physical_ms > self.last.ms {
            Hlc::new(physical_ms, 0)
        } else if self.last.count >= Hlc::MAX_COUNT {
            // The counter is full: the next millisecond, which still sorts after.
            Hlc::new(self.last.ms.saturating_add(1), 0)
        } else {
            Hlc::new(self.last.ms, self.last.count + 1)
        };
        self.last
    }

    /// Merge a remote timestamp into the clock so the next tick sorts after it; one
    /// outside the bounds ([`Hlc::is_sane`]) is not adopted.
    pub fn observe(&mut self, remote: Hlc) {
        if remote > self.last && remote.count <= Hlc::MAX_COUNT {
            self.last = remote;
        }
    }
}

/// A clock for tests: physical time is whatever the test sets.
#[derive(Clone, Debug, Default)]
pub struct FakeClock {
    pub physical_ms: u64,
    pub hlc: HlcClock,
}

impl FakeClock {
    pub fn at(physical_ms: u64) -> Self {
        Self {
            physical_ms,
            hlc: HlcClock::default(),
        }
    }

    pub fn advance(&mut self, ms: u64) {
        self.physical_ms += ms;
    }
}

impl Clock for FakeClock {
    fn now(&mut self) -> Hlc {
        self.hlc.tick(self.physical_ms)
    }
    fn observe(&mut self, remote: Hlc) {
        self.hlc.observe(remote);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_is_monotonic_when_the_wall_clock_goes_backwards() {
        let mut c = HlcClock::default();
        let a = c.tick(1_000);
        let b = c.tick(900);
        let d = c.tick(900);
        assert!(a < b && b < d, "{a} {b} {d}");
        assert_eq!(b, Hlc::new(1_000, 1));
    }

    #[test]
    fn a_full_counter_moves_the_time_on_and_a_poisoned_one_is_not_adopted() {
        let mut c = HlcClock::new(Hlc::new(5_000, Hlc::MAX_COUNT - 1));
        assert_eq!(c.tick(10), Hlc::new(5_000, Hlc::MAX_COUNT));
        assert_eq!(c.tick(10), Hlc::new(5_001, 0), "no counter past the bound");
        assert!(Hlc::new(5_000, Hlc::MAX_COUNT) < Hlc::new(5_001, 0));
        c.observe(Hlc::new(6_000, u32::MAX));
        assert_eq!(
            c.tick(10),
            Hlc::new(5_001, 1),
            "a poisoned counter is ignored"
        );
        assert!(!Hlc::new(Hlc::EPOCH_MS, u32::MAX).is_sane());
        assert!(!Hlc::new(Hlc::EPOCH_MS - 1, 0).is_sane());
        assert!(Hlc::new(Hlc::EPOCH_MS, Hlc::MAX_COUNT).is_sane());
    }

    #[test]
    fn observe_moves_past_a_remote_timestamp() {
        let mut c = HlcClock::default();
        c.tick(10);
        c.observe(Hlc::new(5_000, 7));
        assert_eq!(c.tick(20), Hlc::new(5_000, 8));
        assert_eq!(c.tick(6_000), Hlc::new(6_000, 0));
    }

    #[test]
    fn display_round_trips_and_sorts_like_the_value() {
        let a = Hlc::new(1_700_000_000_000, 3);
        let b = Hlc::new(1_700_000_000_000, 12);
        assert_eq!(a.to_string().parse::<Hlc>().unwrap(), a);
        assert!(a.to_string() < b.to_string());
        assert!("x".parse::<Hlc>().is_err());
    }
}
