//! Which network namespace an object lives in.

use std::fs::File;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::sys::netns_fs;

/// A network namespace by name: the one netscript started in, or a named
/// one under /run/netns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ns {
    Host,
    Named(String),
}

static HOST: OnceLock<File> = OnceLock::new();

impl Ns {
    /// Record the calling thread's namespace as "host". Call once, early,
    /// on the main thread (after entering a sandbox, if any).
    pub fn remember_host() -> Result<()> {
        if HOST.get().is_none() {
            let _ = HOST.set(netns_fs::current()?);
        }
        Ok(())
    }

    pub fn named(name: &str) -> Ns {
        if name == "host" {
            Ns::Host
        } else {
            Ns::Named(name.to_string())
        }
    }

    /// "host" for the starting namespace, otherwise its name.
    pub fn name(&self) -> &str {
        match self {
            Ns::Host => "host",
            Ns::Named(n) => n,
        }
    }

    /// An open file of the namespace, usable with setns(2) and NETNS_FD.
    pub fn open(&self) -> Result<File> {
        match self {
            Ns::Host => {
                let host = HOST.get().expect("Ns::remember_host was not called");
                host.try_clone()
                    .map_err(|e| Error::from_io("open the host namespace", &e))
            }
            Ns::Named(name) => netns_fs::open(name),
        }
    }

    /// The namespace's identity (nsfs device and inode), if it exists now.
    pub fn id(&self) -> Option<netns_fs::NsId> {
        match self {
            Ns::Host => {
                static ID: OnceLock<netns_fs::NsId> = OnceLock::new();
                if let Some(id) = ID.get() {
                    return Some(*id);
                }
                let id = netns_fs::id_of(HOST.get()?).ok()?;
                Some(*ID.get_or_init(|| id))
            }
            Ns::Named(name) => netns_fs::id_of_name(name),
        }
    }

    /// Whether this is the host's namespace: the host, or a name for it.
    pub fn is_host(&self) -> bool {
        *self == Ns::Host || self.id().is_some_and(|id| Ns::Host.id() == Some(id))
    }

    /// Every namespace netscript can see: host first, then /run/netns order.
    pub fn all() -> Result<Vec<Ns>> {
        let mut all = vec![Ns::Host];
        all.extend(netns_fs::list()?.into_iter().map(Ns::Named));
        Ok(all)
    }
}
