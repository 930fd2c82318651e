//! The handles scripts hold: `Netns`, `Link` and `Process`.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::ns::Ns;
use crate::sys::netns_fs::NsId;

/// The handle types by the names scripts know them (the plugin modules'
/// signatures are read for the reference).
pub type Netns = NetnsHandle;
pub type Link = LinkHandle;

/// A parameter that takes a Netns handle or a namespace name.
pub type NetnsOrName = rhai::Dynamic;
/// A parameter that takes a Link handle or a link name.
pub type LinkOrName = rhai::Dynamic;

/// The parameter types that take more than one kind of value (each a
/// `Dynamic` under the name its signature shows), and how they are
/// written: (the name, in error reports, in the reference).
pub const PARAM_TYPES: &[(&str, &str, &str)] = &[
    ("NetnsOrName", "Netns|String", "Netns | string"),
    ("LinkOrName", "Link|String", "Link | string"),
    ("CommandLine", "String", "string"),
    ("Delay", "Dynamic", "any"),
    ("Seconds", "float", "float"),
];

/// A program started with `ns.spawn`.
#[derive(Clone)]
pub struct Process(pub crate::sys::spawn::Process);

/// A network namespace, by name ("host" for the starting one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetnsHandle {
    pub ns: Ns,
}

/// A link, identified by its namespace and index. Copies of a handle share
/// one location, so all of them follow the link when it is renamed or moved.
#[derive(Clone, Debug)]
pub struct LinkHandle(Rc<RefCell<Location>>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Location {
    ns: Ns,
    index: u32,
    /// The identity of the namespace the link was found in, so a handle
    /// never acts on a namespace re-created under the same name.
    ns_id: Option<NsId>,
}

impl LinkHandle {
    pub fn new(ns: Ns, index: u32) -> Self {
        let ns_id = ns.id();
        LinkHandle(Rc::new(RefCell::new(Location { ns, index, ns_id })))
    }

    /// Fails with "not_found" when the link's namespace is gone (or was
    /// replaced by a new one of the same name).
    pub fn check(&self) -> Result<()> {
        let loc = self.0.borrow();
        if loc.ns_id.is_none() || loc.ns.id() == loc.ns_id {
            return Ok(());
        }
        let reason = if crate::sys::netns_fs::exists(loc.ns.name()) {
            format!(
                "its namespace \"{}\" was deleted (the one of that name now is a new one)",
                loc.ns.name()
            )
        } else {
            format!("its namespace \"{}\" was deleted", loc.ns.name())
        };
        Err(Error::not_found(format!("use link #{}", loc.index), reason))
    }

    pub fn ns(&self) -> Ns {
        self.0.borrow().ns.clone()
    }

    pub fn index(&self) -> u32 {
        self.0.borrow().index
    }

    /// The link now lives at `index` in `ns` (after a move).
    pub fn relocate(&self, ns: Ns, index: u32) {
        let ns_id = ns.id();
        *self.0.borrow_mut() = Location { ns, index, ns_id };
    }

    pub fn same_link(&self, other: &LinkHandle) -> bool {
        let (a, b) = (self.0.borrow(), other.0.borrow());
        a.ns == b.ns && a.index == b.index && a.ns_id == b.ns_id
    }
}
