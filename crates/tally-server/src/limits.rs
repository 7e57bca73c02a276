//! Wrong-password limits for enrolment: per account *and source* (so a stranger
//! elsewhere cannot lock a cadre out by guessing at her name), and per source across
//! all names (so one machine cannot try a password on every account). The database
//! keeps the attempts (every server process sees them); an attempt is counted before its
//! password is checked, in one transaction with the count, so a burst of concurrent
//! guesses gets no more checks than the limit, and a right password takes its
//! attempts back. Attempts leave the table with their window, and the table holds at
//! most [`MAX_ROWS`] (the oldest go first), so random names cannot grow it without bound.

use std::net::IpAddr;

/// Wrong passwords per account from one source within [`WINDOW_MS`].
pub const PER_ACCOUNT: usize = 5;
/// Wrong passwords from one source, whatever the account, within [`WINDOW_MS`]: a
/// township office behind one address with a few dozen cadres stays well below it.
pub const PER_SOURCE: usize = 30;
pub const WINDOW_MS: u64 = 15 * 60 * 1000;
/// Attempts the table holds at most.
pub const MAX_ROWS: usize = 50_000;

/// Where an attempt came from, as the table keys it: the peer's IPv4 address, or the
/// /64 network of an IPv6 one (one machine holds many addresses of its /64); "" when
/// the server was not told (tests that call the router directly).
pub fn source_key(peer: Option<IpAddr>) -> String {
    match peer {
        None => String::new(),
        Some(IpAddr::V4(a)) => a.to_string(),
        Some(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Whether another attempt may be counted, given the times (ms, any order) of the
/// account's attempts from this source and of all the source's attempts within the
/// window; if not, in how many ms one frees up.
pub fn verdict(account: &[u64], source: &[u64], now_ms: u64) -> Result<(), u64> {
    let since = now_ms.saturating_sub(WINDOW_MS);
    let wait = |times: &[u64], limit: usize| {
        let mut recent: Vec<u64> = times.iter().copied().filter(|t| *t > since).collect();
        if recent.len() < limit {
            return 0;
        }
        recent.sort_unstable();
        (recent[recent.len() - limit] + WINDOW_MS).saturating_sub(now_ms)
    };
    match wait(account, PER_ACCOUNT).max(wait(source, PER_SOURCE)) {
        0 => Ok(()),
        ms => Err(ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_750_000_000_000;

    /// What a case gives: the account's and the source's attempt times, now, the verdict.
    type Case = (&'static str, Vec<u64>, Vec<u64>, u64, Result<(), u64>);

    #[test]
    fn the_limits_and_when_they_free_up() {
        let five: Vec<u64> = (0..5).map(|i| T + i * 1000).collect();
        let cases: &[Case] = &[
            ("nothing yet", vec![], vec![], T, Ok(())),
            (
                "four of the account",
                five[..4].to_vec(),
                five[..4].to_vec(),
                T + 5000,
                Ok(()),
            ),
            (
                "five of the account",
                five.clone(),
                five.clone(),
                T + 5000,
                Err(WINDOW_MS - 5000),
            ),
            (
                "the first has left the window",
                five.clone(),
                five.clone(),
                T + WINDOW_MS,
                Ok(()),
            ),
            (
                "thirty of the source",
                vec![],
                (0..30).map(|i| T + i).collect(),
                T + 100,
                Err(WINDOW_MS - 100),
            ),
            (
                "twenty-nine of the source",
                vec![],
                (0..29).map(|i| T + i).collect(),
                T + 100,
                Ok(()),
            ),
            (
                "the later limit decides",
                five.clone(),
                (0..30).map(|i| T + 4000 + i).collect(),
                T + 5000,
                Err(WINDOW_MS - 1000),
            ),
        ];
        for (what, account, source, now, want) in cases {
            assert_eq!(verdict(account, source, *now), *want, "{what}");
        }
    }

    #[test]
    fn sources_are_keyed_by_address_or_ipv6_network() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(source_key(None), "");
        assert_eq!(source_key(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(source_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(source_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            source_key(ip("2001:db8:1:2:bbbb::9")),
            source_key(ip("2001:db8:1:2:aaaa::1")),
            "one machine's addresses are one source"
        );
    }
}
