//! Small statistics over measured durations: percentiles, medians, the spread.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Milliseconds of a duration, as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds since `t`.
pub fn since(t: Instant) -> f64 {
    ms(t.elapsed())
}

/// Round to three decimals (what the JSON lines carry).
pub fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The `p`-th percentile (0–100) by nearest rank; 0 for no samples.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

pub fn median(samples: &[f64]) -> f64 {
    percentile(samples, 50.0)
}

/// p50, p99, max and mean of latency samples in ms, as JSON fields.
pub fn latency(samples: &[f64]) -> Value {
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    json!({
        "n": samples.len(),
        "p50_ms": r3(percentile(samples, 50.0)),
        "p99_ms": r3(percentile(samples, 99.0)),
        "max_ms": r3(samples.iter().copied().fold(0.0, f64::max)),
        "mean_ms": r3(mean),
    })
}

/// Median, min and max of repeated runs in ms, as JSON fields named after `what`.
pub fn runs(what: &str, samples: &[f64]) -> Value {
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(0.0, f64::max);
    json!({
        format!("{what}_ms"): r3(median(samples)),
        format!("{what}_min_ms"): r3(if min.is_finite() { min } else { 0.0 }),
        format!("{what}_max_ms"): r3(max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), 50.0);
        assert_eq!(percentile(&s, 99.0), 99.0);
        assert_eq!(percentile(&s, 100.0), 100.0);
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 50.0), 2.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
