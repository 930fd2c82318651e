//! Packet capture on the lab's links, natively: an AF_PACKET socket per
//! link, opened inside the link's namespace (`sys/capture.rs`), filtered
//! in the kernel (`sys/bpf.rs`), decoded into a line (`decode.rs`) or
//! written as pcapng (`pcapng.rs`). `command.rs` is `netscript capture`;
//! scripts capture through `Running`.

pub mod command;
pub mod decode;
pub mod pcapng;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::netlink::Netlink;
use crate::ns::Ns;
use crate::sys::capture::{Frame, Tap};

/// A link to capture on, opened.
pub struct Source {
    /// "NS/LINK".
    pub name: String,
    pub tap: Tap,
}

/// Open a capture on link `index` of `ns`, named `name` ("NS/LINK").
pub fn open(ns: &Ns, index: u32, name: String, filter: &[libc::sock_filter]) -> Result<Source> {
    let file = ns.open()?;
    Ok(Source {
        name,
        tap: Tap::open(&file, index, filter)?,
    })
}

/// Open "NS/LINK" (or "LINK", in the namespace netscript runs in).
pub fn open_named(net: &Netlink, spec: &str, filter: &[libc::sock_filter]) -> Result<Source> {
    let (ns, link) = spec.split_once('/').unwrap_or(("host", spec));
    let ns = Ns::named(ns);
    let info = net.link_by_name(&ns, link)?;
    open(&ns, info.index, format!("{}/{link}", ns.name()), filter)
}

/// When a capture ends by itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub count: Option<usize>,
    pub seconds: Option<Duration>,
}

/// Packets of several links, in the order the kernel received them: one
/// read ahead per link, the earliest handed out first.
pub struct Reader {
    sources: Vec<Source>,
    ahead: Vec<Option<Frame>>,
    /// Links found gone (not read any more).
    gone: Vec<bool>,
    checked: Instant,
}

impl Reader {
    pub fn new(sources: Vec<Source>) -> Reader {
        let ahead = sources.iter().map(|_| None).collect();
        let gone = sources.iter().map(|_| false).collect();
        Reader {
            sources,
            ahead,
            gone,
            checked: Instant::now(),
        }
    }

    /// The links found gone since the last call (checked once a second:
    /// a socket on a deleted link only stops receiving).
    pub fn newly_gone(&mut self) -> Vec<String> {
        if self.checked.elapsed() < Duration::from_secs(1) {
            return Vec::new();
        }
        self.checked = Instant::now();
        let mut out = Vec::new();
        for (i, s) in self.sources.iter().enumerate() {
            if !self.gone[i] && !s.tap.alive() {
                self.gone[i] = true;
                out.push(s.name.clone());
            }
        }
        out
    }

    /// Whether every link is gone.
    pub fn all_gone(&self) -> bool {
        self.gone.iter().all(|g| *g)
    }

    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name.clone()).collect()
    }

    /// The next packet (and the index of its link), waiting at most
    /// `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<(usize, Frame)> {
        self.fill();
        if self.ahead.iter().all(Option::is_none) {
            let taps: Vec<&Tap> = self.sources.iter().map(|s| &s.tap).collect();
            crate::sys::capture::wait_any(&taps, timeout);
            self.fill();
        }
        let first = (0..self.ahead.len())
            .filter_map(|i| self.ahead[i].as_ref().map(|f| (f.time, i)))
            .min()?
            .1;
        self.ahead[first].take().map(|f| (first, f))
    }

    fn fill(&mut self) {
        for (slot, source) in self.ahead.iter_mut().zip(&self.sources) {
            if slot.is_none() {
                *slot = source.tap.read();
            }
        }
    }
}

/// A capture running on a thread of its own, for scripts.
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<(usize, Frame)>>>,
    pub names: Vec<String>,
    pub started: Duration,
}

impl Running {
    pub fn start(sources: Vec<Source>, limits: Limits) -> Running {
        let stop = Arc::new(AtomicBool::new(false));
        let mut reader = Reader::new(sources);
        let names = reader.names();
        let flag = stop.clone();
        let began = Instant::now();
        let thread = std::thread::spawn(move || {
            let mut out = Vec::new();
            while !flag.load(Ordering::SeqCst)
                && !reader.all_gone()
                && limits.count.is_none_or(|c| out.len() < c)
                && limits.seconds.is_none_or(|s| began.elapsed() < s)
            {
                if let Some(p) = reader.next(Duration::from_millis(20)) {
                    out.push(p);
                }
                reader.newly_gone();
            }
            out
        });
        Running {
            stop,
            thread: Some(thread),
            names,
            started: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }

    /// Whether it ended by itself (its count or time reached).
    pub fn done(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stop now; what it captured (link index, packet), in order.
    pub fn stop(&mut self) -> Vec<(usize, Frame)> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

/// A capture whose handle is gone stops (its thread would otherwise keep
/// every packet until netscript exits).
impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
