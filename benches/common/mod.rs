//! What both benchmarks need: a quiet machine before each run, and
//! medians.

use std::time::{Duration, Instant};

/// Idle and total time of each core (the `cpuN` lines of /proc/stat).
fn core_times() -> Vec<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cores = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "));
    let core = |l: &str| {
        // user nice system idle iowait irq softirq steal
        let t: Vec<u64> = l.split_whitespace().skip(1).flat_map(str::parse).collect();
        (t[3] + t[4], t[..8].iter().sum())
    };
    cores.map(core).collect()
}

/// The least idle core's share of idle time over `window`.
fn least_idle_share(window: Duration) -> f64 {
    let before = core_times();
    std::thread::sleep(window);
    core_times()
        .iter()
        .zip(&before)
        .map(|((i1, t1), (i0, t0))| {
            i1.saturating_sub(*i0) as f64 / t1.saturating_sub(*t0).max(1) as f64
        })
        .fold(1.0, f64::min)
}

/// Wait (at most `patience`) until every core is 85% idle over 200 ms:
/// the kernel frees a dead sandbox's namespaces and bridges in the
/// background, for up to seconds after the method that made them has
/// ended, and a run started meanwhile would pay for its predecessor (the
/// faster the method, the larger its share).
pub fn settle(patience: Duration) {
    let deadline = Instant::now() + patience;
    while least_idle_share(Duration::from_millis(200)) < 0.85 {
        if Instant::now() > deadline {
            eprintln!(
                "\nwarning: the machine is still busy after {} s; measuring anyway",
                patience.as_secs()
            );
            return;
        }
    }
}

/// The median (the upper one of an even count); the default of none.
pub fn median<T: Ord + Copy + Default>(mut v: Vec<T>) -> T {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}
