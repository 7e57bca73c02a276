//! Seq ranges, as a pull's `skip` names the changes a device already holds.

use super::MAX_SKIP_RANGES;

/// Sorted, disjoint, inclusive ranges of seqs, written `A-B` or `A`, comma-separated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqRanges(Vec<(i64, i64)>);

impl SeqRanges {
    /// The ranges covering `seqs` (in any order), the lowest [`MAX_SKIP_RANGES`] of
    /// them: leaving out fewer changes only costs bytes.
    pub fn of(seqs: &[i64]) -> SeqRanges {
        let mut sorted = seqs.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut out: Vec<(i64, i64)> = Vec::new();
        for s in sorted {
            let full = out.len() == MAX_SKIP_RANGES;
            match out.last_mut() {
                Some((_, end)) if *end + 1 == s => *end = s,
                _ if full => break,
                _ => out.push((s, s)),
            }
        }
        SeqRanges(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, seq: i64) -> bool {
        let i = self.0.partition_point(|(_, end)| *end < seq);
        self.0.get(i).is_some_and(|(start, _)| *start <= seq)
    }

    /// Read the query form; the error names the part that is wrong.
    pub fn parse(text: &str) -> Result<SeqRanges, String> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let bad = |why: &str| format!("skip: {part:?} {why}");
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let a: i64 = a.parse().map_err(|_| bad("is not a seq or a range A-B"))?;
            let b: i64 = b.parse().map_err(|_| bad("is not a seq or a range A-B"))?;
            if a < 1 || b < a {
                return Err(bad("must be seqs from 1 with A ≤ B"));
            }
            if out.last().is_some_and(|(_, end)| *end >= a) {
                return Err(bad("must come after the range before it, not overlapping"));
            }
            if out.len() == MAX_SKIP_RANGES {
                return Err(format!("skip: more than {MAX_SKIP_RANGES} ranges"));
            }
            out.push((a, b));
        }
        Ok(SeqRanges(out))
    }
}

impl std::fmt::Display for SeqRanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (a, b)) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            if a == b {
                write!(f, "{sep}{a}")?;
            } else {
                write!(f, "{sep}{a}-{b}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_ranges_cover_receipts_and_read_back() {
        let r = SeqRanges::of(&[7, 3, 4, 5, 9, 10, 4]);
        assert_eq!(r.to_string(), "3-5,7,9-10");
        assert_eq!(SeqRanges::parse(&r.to_string()), Ok(r.clone()));
        for (seq, inside) in [
            (2, false),
            (3, true),
            (5, true),
            (6, false),
            (7, true),
            (8, false),
            (10, true),
            (11, false),
        ] {
            assert_eq!(r.contains(seq), inside, "{seq}");
        }
        assert_eq!(SeqRanges::parse(""), Ok(SeqRanges::default()));
        let many: Vec<i64> = (0..200).map(|i| i * 2 + 1).collect();
        let capped = SeqRanges::of(&many);
        assert_eq!(capped.to_string().split(',').count(), MAX_SKIP_RANGES);
        assert!(capped.contains(1) && !capped.contains(399));
        for (bad, says) in [
            ("x", "\"x\" is not a seq"),
            ("5-3", "\"5-3\" must be seqs from 1"),
            ("0", "\"0\" must be seqs from 1"),
            ("1-5,4", "\"4\" must come after"),
            ("-2", "is not a seq"),
        ] {
            let e = SeqRanges::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let too_many = (1..=65)
            .map(|i| (i * 2).to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(SeqRanges::parse(&too_many)
            .unwrap_err()
            .contains("more than 64"));
    }
}
