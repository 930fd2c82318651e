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
//! it waits.
//!
//! The maker works only when asked, once per namespace taken. When making
//! one fails, the caller is not told of that failure: it makes its
//! namespace itself, and asks again only after that, so the error it
//! reports is the one of that moment, not of an earlier attempt, and the
//! maker never competes with it for the last namespace the limit allows.

use std::cell::Cell;
use std::fs::File;
use std::os::fd::AsFd;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use nix::sched::{CloneFlags, setns, unshare};

use crate::error::Result;
use crate::sys::netns_fs;

/// A namespace nobody has named yet, and what was made inside it.
pub struct Spare<T> {
    pub ns: File,
    pub made: T,
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
    /// Start the thread from the calling thread's namespace (a new
    /// namespace is a sibling of every other; this is only where the maker
    /// returns to between two). `inside` runs in each new namespace.
    pub fn start(inside: impl Fn() -> T + Send + 'static) -> Result<Maker<T>> {
        let home = netns_fs::current()?;
        let (want, wanted) = channel();
        let (made, next) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("netns-maker".into())
            .spawn(move || make_when_asked(&home, &inside, &wanted, &made))
            .map_err(|e| crate::error::Error::from_io("start a thread", &e))?;
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

    /// The namespace asked for, waiting for it if it is not ready yet;
    /// None if none was asked for or it could not be made.
    pub fn take(&self) -> Option<Spare<T>> {
        if !self.asked.replace(false) {
            return None;
        }
        self.next.recv().ok().flatten()
    }

    /// Throw away the namespace asked for (made with settings that have
    /// changed since), so the next one is made afresh.
    pub fn discard(&self) {
        drop(self.take());
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
    while wanted.recv().is_ok() {
        let spare = match unshare(CloneFlags::CLONE_NEWNET) {
            Ok(()) => {
                let value = inside();
                let ns = netns_fs::current().ok();
                if setns(home.as_fd(), CloneFlags::CLONE_NEWNET).is_err() {
                    return;
                }
                ns.map(|ns| Spare { ns, made: value })
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
        maker.discard();
        assert!(maker.take().is_none(), "a discarded spare is gone");
        drop(maker); // ends the thread, and waits for it
        assert!(File::open(format!("/proc/self/task/{tid}")).is_err());
    }
}
