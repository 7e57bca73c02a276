//! Where the store gets the time: the system clock in production, a fake in tests.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Wall-clock time and the device's time zone offset.
pub trait TimeSource {
    /// Milliseconds since the Unix epoch, as the device clock says.
    fn now_ms(&self) -> u64;
    /// The device's offset from UTC in minutes (China: +480).
    fn utc_offset_min(&self) -> i32;
}

/// The system clock and the local time zone.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemTime;

impl TimeSource for SystemTime {
    fn now_ms(&self) -> u64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    fn utc_offset_min(&self) -> i32 {
        chrono::Local::now().offset().local_minus_utc() / 60
    }
}

fn utc(ms: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)).unwrap_or_default()
}

/// The calendar date at `ms` in a zone `offset_min` minutes from UTC.
pub fn local_date(ms: u64, offset_min: i32) -> NaiveDate {
    (utc(ms) + Duration::minutes(i64::from(offset_min))).date_naive()
}

/// An RFC 3339 UTC timestamp with milliseconds.
pub fn utc_rfc3339(ms: u64) -> String {
    utc(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A compact UTC stamp for file names.
pub fn utc_stamp(ms: u64) -> String {
    utc(ms).format("%Y%m%dT%H%M%SZ").to_string()
}

/// A settable clock for tests and simulations; clones share the same time.
#[derive(Clone, Debug)]
pub struct FakeTime {
    ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    offset_min: i32,
}

impl FakeTime {
    /// A clock at `ms` in UTC+8.
    pub fn at(ms: u64) -> FakeTime {
        FakeTime {
            ms: std::sync::Arc::new(ms.into()),
            offset_min: 480,
        }
    }

    /// A clock at noon (Beijing time) of a date.
    pub fn on(date: NaiveDate) -> FakeTime {
        let noon_utc = date
            .and_hms_opt(4, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis();
        FakeTime::at(u64::try_from(noon_utc).unwrap_or(0))
    }

    pub fn set(&self, ms: u64) {
        self.ms.store(ms, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.set(self.now_ms().saturating_add_signed(ms));
    }
}

impl TimeSource for FakeTime {
    fn now_ms(&self) -> u64 {
        self.ms.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn utc_offset_min(&self) -> i32 {
        self.offset_min
    }
}
