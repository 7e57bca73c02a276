//! Identifiers: UUIDv7 newtypes built from a timestamp and random bytes given by the caller.

use crate::model::{Metric, PileKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Where fresh ids come from. The store uses the system clock and OS randomness; tests
/// use a seeded source so runs repeat.
pub trait IdSource {
    /// Milliseconds since the Unix epoch and 10 random bytes for a new UUIDv7.
    fn next_parts(&mut self) -> (u64, [u8; 10]);

    fn next_uuid(&mut self) -> Uuid {
        let (ms, bytes) = self.next_parts();
        uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
    }
}

macro_rules! uuid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new(ids: &mut dyn IdSource) -> Self {
                Self(ids.next_uuid())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }
    };
}

uuid_newtype!(
    /// The id of a synced row (household, visit, cleanup load, …).
    RowId
);
uuid_newtype!(
    /// The id of one change; the idempotency key of sync.
    ChangeId
);
uuid_newtype!(
    /// The id of an enrolled device.
    DeviceId
);

const NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_2c4e_9a43_4f5e_8d7c_1a2b_3c4d_5e6f);

/// The natural key of a row that two devices may create independently and that must
/// then be one row: an org unit by its official code, a target by unit and metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NaturalKey<'a> {
    OrgUnit {
        code: &'a str,
    },
    /// A target: of a unit, a metric, a pile kind (cleanup per pile) and a period (its
    /// first day), so 2015 and 2016 targets of one unit are two rows.
    Target {
        unit: &'a str,
        metric: Metric,
        pile: Option<PileKind>,
        from: Option<NaiveDate>,
    },
}

impl RowId {
    /// The id of the row with a natural key (a UUIDv5 of table and key), the same on
    /// every device and the server.
    pub fn natural(key: NaturalKey<'_>) -> Self {
        let name = match key {
            NaturalKey::OrgUnit { code } => format!("org_unit/{code}"),
            NaturalKey::Target {
                unit,
                metric,
                pile,
                from,
            } => {
                // Without a pile kind or a period: the id targets were first created with.
                let mut name = format!("target/{unit}/{}", metric.code());
                if let Some(p) = pile {
                    name.push_str(&format!("/pile:{}", p.code()));
                }
                if let Some(d) = from {
                    name.push_str(&format!("/from:{d}"));
                }
                name
            }
        };
        Self(Uuid::new_v5(&NAMESPACE, name.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_ids_are_the_ones_rows_were_created_with() {
        // The ids of rows already stored and synced: they must never change.
        let v5 = |name: &str| RowId(Uuid::new_v5(&NAMESPACE, name.as_bytes()));
        assert_eq!(
            RowId::natural(NaturalKey::OrgUnit { code: "150622" }),
            v5("org_unit/150622")
        );
        assert_eq!(
            RowId::natural(NaturalKey::Target {
                unit: "150622100",
                metric: Metric::Renovation,
                pile: None,
                from: None,
            }),
            v5("target/150622100/renovation")
        );
        let day = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap();
        assert_eq!(
            RowId::natural(NaturalKey::Target {
                unit: "150622100",
                metric: Metric::CleanupTonnes,
                pile: Some(PileKind::Hay),
                from: Some(day),
            }),
            v5("target/150622100/cleanup-tonnes/pile:hay/from:2016-01-01")
        );
    }
}

/// A deterministic id source for tests and demos: a counter for time and a xorshift
/// generator for the random bytes.
#[derive(Clone, Debug)]
pub struct SeededIds {
    ms: u64,
    state: u64,
}

impl SeededIds {
    pub fn new(start_ms: u64, seed: u64) -> Self {
        Self {
            ms: start_ms,
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

impl IdSource for SeededIds {
    fn next_parts(&mut self) -> (u64, [u8; 10]) {
        self.ms += 1;
        let a = self.next_u64().to_le_bytes();
        let b = self.next_u64().to_le_bytes();
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&a);
        out[8..].copy_from_slice(&b[..2]);
        (self.ms, out)
    }
}
