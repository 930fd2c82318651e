//! What both benchmarks need: a quiet machine before each run, phases
//! timed in a fresh sandbox, and medians.

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

/// Run `phases` one after the other in a fresh sandbox (its own network
/// and mount namespace, a private /run) once the machine is quiet (at
/// most `patience`), then `readings` (shell lines that print one line
/// each): the wall time of each phase, and the numbers on each reading's
/// line.
pub fn sandboxed(
    what: &str,
    patience: Duration,
    phases: &[&str],
    readings: &[&str],
) -> (Vec<Duration>, Vec<Vec<f64>>) {
    settle(patience);
    let mut script = String::from(
        "mount -t tmpfs tmpfs /run && mkdir -p /run/netns && ip link set lo up && cd /run\n\
         stamps=$EPOCHREALTIME\n",
    );
    for p in phases {
        script.push_str(&format!("{p}\nstamps=\"$stamps $EPOCHREALTIME\"\n"));
    }
    script.push_str("echo $stamps\n");
    for r in readings {
        script.push_str(&format!("echo $({r})\n"));
    }
    // A file, not `bash -c`: a script for 1000 hosts is longer than one
    // argument may be.
    let file = std::env::temp_dir().join(format!("netscript-bench-{}.sh", std::process::id()));
    std::fs::write(&file, script).unwrap();
    let out = std::process::Command::new("unshare")
        .args(["--net", "--mount", "--propagation", "private", "--"])
        .args(["bash", "-e"])
        .arg(&file)
        .env("LC_ALL", "C")
        .output()
        .expect("unshare");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().map(|l| -> Vec<f64> {
        l.split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect()
    });
    let stamps = lines.next().unwrap_or_default();
    let times = stamps
        .windows(2)
        .map(|w| Duration::from_secs_f64(w[1] - w[0]))
        .collect();
    (times, lines.collect())
}
