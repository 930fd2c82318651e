//! The handles scripts hold: `Netns` and `Link`.

use std::cell::RefCell;
use std::rc::Rc;

use crate::ns::Ns;

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
}

impl LinkHandle {
    pub fn new(ns: Ns, index: u32) -> Self {
        LinkHandle(Rc::new(RefCell::new(Location { ns, index })))
    }

    pub fn ns(&self) -> Ns {
        self.0.borrow().ns.clone()
    }

    pub fn index(&self) -> u32 {
        self.0.borrow().index
    }

    /// The link now lives at `index` in `ns` (after a move).
    pub fn relocate(&self, ns: Ns, index: u32) {
        *self.0.borrow_mut() = Location { ns, index };
    }

    pub fn same_link(&self, other: &LinkHandle) -> bool {
        *self.0.borrow() == *other.0.borrow()
    }
}
