//! What a run created: the ledger under /run/netscript/LAB.json (one JSON
//! line per creation or removal, written before the call returns), the
//! teardown that undoes exactly that, and the `--trace` of every change.
//!
//! What would outlive the lab's namespaces (a bridge in the host, an
//! address on the host's link) is written ahead: an intent line before the
//! kernel call, then the record of what was made (or a cancel line if the
//! call failed). A run killed in between leaves an intent that teardown
//! settles with the kernel (`teardown::settle`). The lines are written,
//! not synced: /run is memory, and what they describe does not outlive a
//! reboot either.

mod before;
mod count;
mod index;
mod ledger;
mod lock;
mod names;
mod object;
pub mod ops;
pub mod shared;
mod teardown;

pub use before::Before;
pub use count::Counts;
pub use ledger::{all, load, names as ledger_names, parse, unreadable};
pub use lock::{LabLock, Role};
pub use names::{check_name, is_files_dir, ledger_path, name_for, name_from_arg};
pub use object::{Object, Place};
pub use teardown::{Teardown, teardown, teardown_ledger, teardown_settling};

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub const STATE_DIR: &str = "/run/netscript";

/// The objects of one run, kept in memory and in the ledger file.
pub struct Lab {
    pub name: String,
    script: String,
    /// Where the ledger is written; None when nothing is recorded (REPL).
    path: Option<PathBuf>,
    file: RefCell<Option<File>>,
    objects: RefCell<Vec<Object>>,
    /// Intents written ahead and not yet confirmed or cancelled.
    pending: RefCell<Vec<Object>>,
    index: RefCell<index::Index>,
    counts: std::sync::Arc<count::Counts>,
    trace: bool,
    /// Held for the run's life: one run per lab name.
    _lock: Option<LabLock>,
    /// The last id given to firewall rules (`Lab::next_id`).
    ids: std::cell::Cell<u64>,
}

/// The first line of a ledger.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Header {
    #[serde(default)]
    lab: String,
    #[serde(default)]
    script: String,
    #[serde(default)]
    created: u64,
    #[serde(default)]
    pid: u32,
}

/// Every later line: an object created or removed, or about to be made.
#[derive(Serialize, Deserialize)]
pub(crate) struct Line {
    op: Change,
    obj: Object,
}

/// A line as it is written (the object borrowed, not copied).
#[derive(Serialize)]
struct LineOut<'a> {
    op: Change,
    obj: &'a Object,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Change {
    Add,
    Del,
    /// About to be made: written before the kernel call.
    Intent,
    /// The call an intent announced failed: nothing was made.
    Cancel,
}

/// A lab read back from its ledger.
#[derive(Clone, Debug)]
pub struct Ledger {
    pub name: String,
    pub script: String,
    pub created: u64,
    pub pid: u32,
    pub objects: Vec<Object>,
    /// What its run was making when it ended: intents neither confirmed
    /// nor cancelled (newest last; teardown settles them with the kernel).
    pub pending: Vec<Object>,
    /// What could not be read, line by line ("line 4: ..."): a damaged
    /// ledger is reported, never taken silently.
    pub damaged: Vec<String>,
}

impl Ledger {
    /// How many objects it lists, pending ones included.
    pub fn len(&self) -> usize {
        self.objects.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Lab {
    /// A lab whose objects are recorded in its ledger, by the run that
    /// holds its lock.
    pub fn recorded(name: &str, script: &str, trace: bool, lock: LabLock) -> Lab {
        Lab {
            name: name.to_string(),
            script: script.to_string(),
            path: Some(ledger_path(name)),
            file: RefCell::new(None),
            objects: RefCell::new(Vec::new()),
            pending: RefCell::new(Vec::new()),
            index: Default::default(),
            counts: Default::default(),
            trace,
            _lock: Some(lock),
            ids: Default::default(),
        }
    }

    /// A lab that records nothing (the REPL), only traces if asked.
    pub fn unrecorded(trace: bool) -> Lab {
        Lab {
            name: String::new(),
            script: String::new(),
            path: None,
            file: RefCell::new(None),
            objects: RefCell::new(Vec::new()),
            pending: RefCell::new(Vec::new()),
            index: Default::default(),
            counts: Default::default(),
            trace,
            _lock: None,
            ids: Default::default(),
        }
    }

    /// The lab's own directory, for `lab::file`: beside its ledger, or, for
    /// a run that records nothing (the REPL), one named for this process
    /// there too (never in /tmp, where another user could make it first).
    pub fn files_dir(&self) -> PathBuf {
        match &self.path {
            Some(_) => names::files_dir(&self.name),
            None => PathBuf::from(STATE_DIR).join(format!("repl-{}.files", std::process::id())),
        }
    }

    /// How many objects this run has made, for another thread to read.
    pub fn counts(&self) -> std::sync::Arc<count::Counts> {
        self.counts.clone()
    }

    pub fn objects(&self) -> Vec<Object> {
        self.objects.borrow().clone()
    }

    /// Look at each recorded object, without copying the ledger (`f` must
    /// not change the lab).
    pub fn each(&self, mut f: impl FnMut(&Object)) {
        for o in self.objects.borrow().iter() {
            f(o);
        }
    }

    /// Record a creation. The ledger line is written before this returns;
    /// if it cannot be, the error says so (the object is still the run's,
    /// so a rollback removes it).
    pub fn created(&self, object: Object) -> Result<()> {
        let written = self.write(Change::Add, &object);
        self.pending.borrow_mut().retain(|i| !object.fulfils(i));
        self.index.borrow_mut().add(&object);
        self.counts.made(&object);
        self.objects.borrow_mut().push(object);
        written
    }

    /// Write-ahead: `intent` is about to be made (recorded before the
    /// kernel call; the record of what was made confirms it).
    pub fn intend(&self, intent: &Object) -> Result<()> {
        self.write(Change::Intent, intent)?;
        self.pending.borrow_mut().push(intent.clone());
        Ok(())
    }

    /// The call announced by `intent` failed. A cancel that cannot be
    /// written leaves the intent, which teardown settles with the kernel.
    pub fn cancel(&self, intent: &Object) {
        let _ = self.write(Change::Cancel, intent);
        self.pending.borrow_mut().retain(|i| i != intent);
    }

    /// What the run wrote ahead and never confirmed: a call that made its
    /// object in the kernel, then failed (or panicked) before recording
    /// it. A rollback settles these with the kernel as `down` would.
    pub fn pending(&self) -> Vec<Object> {
        self.pending.borrow().clone()
    }

    /// Record that objects matching `gone` no longer exist.
    pub fn removed(&self, gone: impl Fn(&Object) -> bool) {
        let matched: Vec<Object> = self
            .objects
            .borrow()
            .iter()
            .filter(|o| gone(o))
            .cloned()
            .collect();
        for o in &matched {
            // A removal that cannot be written leaves a record of what is
            // gone: teardown skips it as already gone.
            let _ = self.write(Change::Del, o);
            self.index.borrow_mut().remove(o);
        }
        self.objects.borrow_mut().retain(|o| !gone(o));
    }

    /// Replace a recorded link's location or name (after a move or rename).
    /// The new record is written first: a run killed between the two
    /// lines leaves both (teardown finds one of them gone), never neither.
    pub fn relocated(&self, old: &Object, new: Object) -> Result<()> {
        if self.objects.borrow().iter().any(|o| o == old) {
            self.created(new)?;
            self.removed(|o| o == old);
        }
        Ok(())
    }

    /// Link `index` of namespace `ns` is now at `to`, called `name` (after a
    /// move or a rename): its record follows, and so does the record of a
    /// veth whose other end it is.
    pub fn link_moved(&self, ns: &str, index: u32, to: &Place, name: &str) -> Result<()> {
        let changes: Vec<(Object, Object)> = self
            .objects
            .borrow()
            .iter()
            .filter_map(|o| {
                let (itself, its_peer) = (o.is_link_at(ns, index), o.has_peer_at(ns, index));
                let mut new = o.clone();
                if let Object::Link {
                    ns,
                    ns_id,
                    index,
                    name: called,
                    peer,
                    ..
                } = &mut new
                {
                    if itself {
                        (*ns, *ns_id, *index) = (to.ns.clone(), to.ns_id, to.index);
                        *called = name.to_string();
                    }
                    if its_peer {
                        *peer = Some(to.clone());
                    }
                }
                // A renamed peer changes nothing that is recorded.
                (new != *o).then(|| (o.clone(), new))
            })
            .collect();
        for (old, new) in changes {
            self.relocated(&old, new)?;
        }
        Ok(())
    }

    /// The record of link `index` of namespace `ns` itself (not of a veth
    /// whose other end it is).
    pub fn record_of_link(&self, ns: &str, index: u32) -> Option<Object> {
        self.objects
            .borrow()
            .iter()
            .find(|o| o.is_link_at(ns, index))
            .cloned()
    }

    /// Whether any object of this run is `found` (without copying them).
    pub fn any(&self, found: impl Fn(&Object) -> bool) -> bool {
        self.objects.borrow().iter().any(found)
    }

    /// Whether this run created namespace `name`.
    pub fn owns_netns(&self, name: &str) -> bool {
        self.index.borrow().has_netns(name)
    }

    /// Whether this run made link `index` of namespace `ns`: its record, or
    /// the other end of a veth it recorded.
    pub fn made_link(&self, ns: &str, index: u32) -> bool {
        self.index.borrow().has_link(ns, index)
    }

    /// A number for the rules one script call adds, unique in the run.
    pub fn next_id(&self) -> u64 {
        self.ids.set(self.ids.get() + 1);
        self.ids.get()
    }

    pub fn tracing(&self) -> bool {
        self.trace
    }

    /// `--trace`: one line per operation, as the iproute2 command that does
    /// the same, with where in the script it came from. Commands that
    /// change nothing are printed as comments, so the whole trace can be
    /// pasted into a shell.
    pub fn trace(&self, at: &str, command: &str, changes: bool) {
        if self.trace {
            let prefix = if changes { "" } else { "# " };
            // A here-document's text follows its first line: the comment
            // goes there, or the closing word would not close it.
            match command.split_once('\n') {
                Some((first, rest)) => crate::say!("{prefix}{first}  # {at}\n{rest}"),
                None => crate::say!("{prefix}{command}  # {at}"),
            }
        }
    }

    fn write(&self, op: Change, obj: &Object) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let action = format!("record lab \"{}\" in {}", self.name, path.display());
        let mut file = self.file.borrow_mut();
        if file.is_none() {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .map_err(|e| lock::unusable(&action, &e))?;
            let header = Header {
                lab: self.name.clone(),
                script: self.script.clone(),
                created: now(),
                pid: std::process::id(),
            };
            f.write_all(format!("{}\n", to_json(&header)).as_bytes())
                .map_err(|e| lock::unusable(&action, &e))?;
            *file = Some(f);
        }
        let Some(f) = file.as_mut() else {
            return Ok(());
        };
        // One write per line: formatting straight into the file would make
        // a system call per JSON token.
        let line = LineOut { op, obj };
        let before = f.metadata().map(|m| m.len());
        f.write_all(format!("{}\n", to_json(&line)).as_bytes())
            .map_err(|e| {
                // A line written in part (the disk filled in its middle)
                // would damage the next one appended after it: cut it off.
                if let Ok(len) = before {
                    let _ = f.set_len(len);
                }
                lock::unusable(&action, &e)
            })
    }

    /// After a run: forget processes that have ended, and remove the
    /// ledger if nothing it lists is left.
    pub fn finish(&self) {
        self.removed(
            |o| matches!(o, Object::Process { pid, start, .. } if !process_alive(*pid, *start)),
        );
        if self.objects.borrow().is_empty() {
            self.file.borrow_mut().take();
            if let Some(path) = &self.path {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// The ledger is done with (after a teardown).
    pub fn discard(&self) {
        self.objects.borrow_mut().clear();
        self.index.borrow_mut().clear();
        self.file.borrow_mut().take();
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub use crate::sys::pidfd::start_time as process_start;

pub fn process_alive(pid: u32, start: u64) -> bool {
    process_start(pid) == Some(start)
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("ledger records serialize")
}

#[cfg(test)]
mod tests;
