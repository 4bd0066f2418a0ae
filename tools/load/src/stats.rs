//! Per-endpoint figures from the recorded requests.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub label: &'static str,
    pub start: Duration,
    pub end: Duration,
}

impl Sample {
    fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One line per endpoint: count, requests per second over the span from its
/// first request to its last answer, p50 and p99 latency.
pub fn print_endpoints(samples: &[Sample]) {
    let mut by_label: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_label.entry(s.label).or_default().push(s);
    }
    println!(
        "{:<34} {:>6} {:>9} {:>9} {:>9}",
        "endpoint", "count", "rps", "p50 ms", "p99 ms"
    );
    for (label, list) in by_label {
        let mut latencies: Vec<Duration> = list.iter().map(|s| s.latency()).collect();
        latencies.sort_unstable();
        let first = list.iter().map(|s| s.start).min().unwrap_or_default();
        let last = list.iter().map(|s| s.end).max().unwrap_or_default();
        let span = last.saturating_sub(first).as_secs_f64().max(1e-9);
        println!(
            "{:<34} {:>6} {:>9.1} {:>9.1} {:>9.1}",
            label,
            list.len(),
            list.len() as f64 / span,
            ms(percentile(&latencies, 50.0)),
            ms(percentile(&latencies, 99.0)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
