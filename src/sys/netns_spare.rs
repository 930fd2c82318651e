//! A network namespace made ahead of time, on a thread of its own, so that
//! `netns::add` only has to name it.
//!
//! Creating a namespace is most of what a lab host costs (about 0.8 ms of
//! kernel work), and it needs nothing from the script but the name, which
//! only the bind mount uses. So once a script has made a namespace, a
//! second thread makes the next one while the script wires up the last:
//! it enters a fresh namespace, runs what the caller wants done inside it
//! (lab defaults, `lo` up, a netlink socket), goes back to where it
//! started and hands the namespace over as a file descriptor. The script's
//! next `netns::add` mounts that descriptor under its name, which is all
//! `ip netns add` does after its unshare.
//!
//! At most one namespace waits unnamed. It is in no list: nothing but this
//! process holds it, so the kernel frees it when the process ends or the
//! maker is dropped. It counts against the kernel's namespace limit while
//! it waits, so another program may reach that limit one namespace early.
//!
//! The maker works only when asked, once per namespace taken. When making
//! one fails, the caller is not told of that failure: it makes its
//! namespace itself, and asks again only after that, so the error it
//! reports is the one of that moment, not of an earlier attempt, and the
//! maker never competes with it for the last namespace the limit allows.
//!
//! A new namespace copies some settings of the machine's first namespace
//! (its IPv4 `conf/all` and `conf/default`, `ip_forward`), as they are when
//! it is made. A spare is therefore thrown away when the script changes
//! the host's settings or runs a program there, while a program it spawned
//! there still runs, and when it has waited longer than [`FRESH_FOR`]: a
//! change made meanwhile by another program is then still seen, unless it
//! falls within that second.

use std::cell::Cell;
use std::fs::File;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sched::{CloneFlags, setns, unshare};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

use crate::error::Result;
use crate::sys::netns_fs;

/// Bumped whenever the host's settings may change (see `host_may_change`).
static HOST_CHANGES: AtomicU64 = AtomicU64::new(0);

/// Say that the host's settings may change: the script sets a sysctl
/// there, or runs a program there. Said before and after the change, so a
/// spare begun before it ends is not used either.
pub fn host_may_change() {
    HOST_CHANGES.fetch_add(1, Ordering::SeqCst);
}

/// How long a spare may wait before it is made again rather than used.
/// A script making many namespaces asks for the next within a millisecond.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// A namespace nobody has named yet, and what was made inside it.
pub struct Spare<T> {
    pub ns: File,
    pub made: T,
    made_at: Instant,
    /// `HOST_CHANGES` when it was begun.
    host_changes: u64,
}

impl<T> Spare<T> {
    /// Made recently, and since then nothing may have changed the
    /// settings it copied from the host (a program the script started
    /// there and that still runs may change them at any time).
    fn fresh(&self) -> bool {
        self.made_at.elapsed() <= FRESH_FOR
            && self.host_changes == HOST_CHANGES.load(Ordering::SeqCst)
            && !crate::sys::spawn::running_in_host()
    }
}

/// The thread that makes a namespace ahead when asked. Dropping it waits
/// for the thread to end, so nothing it uses (the caller's runtime, say)
/// goes away under it.
pub struct Maker<T> {
    want: Option<Sender<()>>,
    next: Receiver<Option<Spare<T>>>,
    asked: Cell<bool>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Maker<T> {
    /// Start the thread from the calling thread's namespace, which it
    /// returns to between two namespaces and makes each from (the host:
    /// what `ip netns add` would make it from). `inside` runs in each new
    /// namespace. The thread takes no signals: Ctrl-C is the main thread's
    /// to see.
    pub fn start(inside: impl Fn() -> T + Send + 'static) -> Result<Maker<T>> {
        let home = netns_fs::current()?;
        let (want, wanted) = channel();
        let (made, next) = sync_channel(1);
        let mut signals = SigSet::empty();
        signals.add(Signal::SIGINT);
        signals.add(Signal::SIGTERM);
        let mut before = SigSet::empty();
        let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&signals), Some(&mut before));
        let spawned = std::thread::Builder::new()
            .name("netns-maker".into())
            .spawn(move || make_when_asked(&home, &inside, &wanted, &made));
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&before), None);
        let thread = spawned.map_err(|e| crate::error::Error::from_io("start a thread", &e))?;
        Ok(Maker {
            want: Some(want),
            next,
            asked: Cell::new(false),
            thread: Some(thread),
        })
    }

    /// Have the next namespace made, unless one is already on its way.
    pub fn ask(&self) {
        if !self.asked.get()
            && let Some(want) = &self.want
        {
            self.asked.set(want.send(()).is_ok());
        }
    }

    /// The namespace asked for, waiting for it if it is not ready yet.
    /// None if none was asked for, if no namespace could be entered, or if
    /// it has waited too long; what `inside` made is the caller's to check.
    pub fn take(&self) -> Option<Spare<T>> {
        if !self.asked.replace(false) {
            return None;
        }
        self.next.recv().ok().flatten().filter(Spare::fresh)
    }
}

impl<T> Drop for Maker<T> {
    fn drop(&mut self) {
        // The thread sees the asking side gone and ends.
        drop(self.want.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Make a namespace each time one is wanted, until nobody can want one or
/// the thread cannot return home (it would then sit in a named namespace).
fn make_when_asked<T>(
    home: &File,
    inside: &impl Fn() -> T,
    wanted: &Receiver<()>,
    made: &SyncSender<Option<Spare<T>>>,
) {
    crate::sys::fresh_proc::use_here();
    while wanted.recv().is_ok() {
        let host_changes = HOST_CHANGES.load(Ordering::SeqCst);
        crate::sys::fresh_proc::renew_now_and_then();
        let spare = match unshare(CloneFlags::CLONE_NEWNET) {
            Ok(()) => {
                let value = inside();
                let ns = netns_fs::current().ok();
                if setns(home.as_fd(), CloneFlags::CLONE_NEWNET).is_err() {
                    return;
                }
                ns.map(|ns| Spare {
                    ns,
                    made: value,
                    made_at: Instant::now(),
                    host_changes,
                })
            }
            Err(_) => None,
        };
        if made.send(spare).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::netns_fs::id_of;

    /// What runs inside a spare: the namespace it is in, and the thread
    /// it runs on, so the test can see where the thread went afterwards.
    fn where_am_i() -> (netns_fs::NsId, i32) {
        let here = netns_fs::current().unwrap();
        (id_of(&here).unwrap(), nix::unistd::gettid().as_raw())
    }

    fn namespace_of_thread(tid: i32) -> netns_fs::NsId {
        let file = File::open(format!("/proc/self/task/{tid}/ns/net")).unwrap();
        id_of(&file).unwrap()
    }

    /// The maker sets each namespace's defaults through a procfs instance
    /// of its own (made anew every 64 namespaces), mounted nowhere: the
    /// thread's mount table is the process's.
    #[test]
    fn the_maker_sets_defaults_through_a_proc_of_its_own() {
        use crate::sys::fresh_proc;
        let mounts = |path: &str| std::fs::read_to_string(path).unwrap();
        let before = mounts("/proc/self/mountinfo");
        let maker = Maker::start(move || {
            let set = crate::sys::sysctl::lab_defaults_here(false).is_ok();
            let off = std::fs::read_to_string("/proc/sys/net/ipv6/conf/default/disable_ipv6")
                .map_or(true, |v| v.trim() == "1");
            let mine = fresh_proc::in_use();
            (set && off && mine, mounts("/proc/thread-self/mountinfo"))
        })
        .expect("a maker thread");
        for _ in 0..(fresh_proc::EVERY + 6) {
            maker.ask();
            let spare = maker.take().expect("a namespace (run the tests as root)");
            assert!(
                spare.made.0,
                "IPv6 off as the namespace was made, through its own proc"
            );
            assert_eq!(spare.made.1, before, "nothing mounted where anyone sees it");
        }
    }

    /// Runs as root (like every test here): the namespaces made are empty
    /// and unnamed, and the kernel frees them when the test drops them.
    #[test]
    fn a_spare_is_a_new_namespace_made_only_when_asked() {
        let home = id_of(&netns_fs::current().unwrap()).unwrap();
        let maker = Maker::start(where_am_i).expect("a maker thread");
        assert!(maker.take().is_none(), "nothing was asked for");

        maker.ask();
        maker.ask(); // one namespace on its way at a time
        let first = maker.take().expect("a namespace (run the tests as root)");
        let (inside, tid) = first.made;
        assert_eq!(id_of(&first.ns).unwrap(), inside, "made inside it");
        assert_ne!(inside, home, "a new namespace");
        assert_eq!(namespace_of_thread(tid), home, "the maker went home");
        assert!(maker.take().is_none(), "only one was asked for");

        maker.ask();
        let second = maker.take().unwrap();
        assert_ne!(second.made.0, inside, "each spare is another namespace");

        maker.ask();
        let _ = maker.take().unwrap(); // ready, and made before the change
        maker.ask();
        std::thread::sleep(Duration::from_millis(100));
        host_may_change();
        assert!(maker.take().is_none(), "made before the host changed");
        maker.ask();
        assert!(maker.take().is_some(), "made after it");
        drop(maker); // ends the thread, and waits for it
        // The kernel lists an ended thread a moment longer than join waits.
        let listed = || File::open(format!("/proc/self/task/{tid}")).is_ok();
        let deadline = Instant::now() + Duration::from_secs(5);
        while listed() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!listed(), "the maker thread ended");
    }
}
