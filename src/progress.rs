//! The progress line of a long build: on a terminal, once a script has
//! run for a second, stderr shows what its lab has made so far and how
//! fast ("building: 4,213 namespaces, 8,426 links, 21,065 objects; 1,050
//! objects/s, 20 s"), redrawn ten times a second and cleared when the
//! script ends. Nothing when stderr is not a terminal, nor with `-q`.
//!
//! The script's own `print` goes through [`suspend`], which takes the
//! line away while the text is written, so the two never mix.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::lab::Counts;

/// The line being drawn, if any: `suspend` needs it from any thread.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A script runs this long before its progress is shown.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// The thread drawing the line; dropping it clears the line.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Start showing `counts`, unless stderr is not a terminal or `quiet`.
    pub fn start(counts: Arc<Counts>, quiet: bool) -> Option<Progress> {
        use std::io::IsTerminal;
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw_until(&stopped, &counts))
            .ok()?;
        Some(Progress {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
        if let Some(bar) = lock().take() {
            bar.finish_and_clear();
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, Option<ProgressBar>> {
    BAR.lock().unwrap_or_else(|e| e.into_inner())
}

fn draw_until(stop: &AtomicBool, counts: &Counts) {
    let start = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        std::thread::park_timeout(Duration::from_millis(100));
        let elapsed = start.elapsed();
        if stop.load(Ordering::SeqCst) || elapsed < QUIET_FOR {
            continue;
        }
        let (netns, links, all) = counts.now();
        let mut bar = lock();
        let bar = bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a template"));
            bar
        });
        bar.set_message(line(netns, links, all, elapsed));
        bar.tick();
    }
}

/// "building: 4,213 namespaces, 8,426 links, 21,065 objects; 1,050
/// objects/s, 20 s".
pub fn line(netns: usize, links: usize, all: usize, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { all as f64 / secs } else { 0.0 };
    format!(
        "building: {} namespaces, {} links, {} objects; {} objects/s, {} s",
        grouped(netns),
        grouped(links),
        grouped(all),
        grouped(rate as usize),
        elapsed.as_secs()
    )
}

/// 21065 -> "21,065".
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Run `f` (which writes to the terminal) with the progress line taken
/// away, so that its text is not mixed with the line.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let bar = lock().clone();
    match bar {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_groups_thousands_and_gives_the_rate() {
        assert_eq!(
            line(4213, 8426, 21065, Duration::from_secs(20)),
            "building: 4,213 namespaces, 8,426 links, 21,065 objects; 1,053 objects/s, 20 s"
        );
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
