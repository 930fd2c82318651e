//! The rtnetlink backend: one netlink connection per namespace, opened on a
//! thread that entered that namespace, cached until the namespace goes away.
//! Every call is synchronous for the caller: it is driven to completion on a
//! single-threaded tokio runtime.

mod addr;
mod bridge;
mod bridge_vlan;
mod conn;
mod fdb;
mod kinds;
mod kstruct;
mod link;
mod link_details;
mod link_info;
mod neigh;
mod netem;
mod netns;
mod nexthop;
mod qdisc;
mod request;
mod route;
mod route_names;
mod rule;
mod socket;
mod types;
mod watch;

pub use bridge::BridgeOptions;
pub use bridge_vlan::PortVlan;
pub use fdb::{FdbEntry, FdbSpec, FdbWrite};
pub use kinds::{Vxlan, VxlanTune, macvlan_mode};
pub use link_details::Detail;
pub use neigh::NeighInfo;
pub use netem::Netem;
pub use qdisc::{Qdisc, Tbf};
pub use route::{PathSpec, RouteKind, RouteSpec};
pub use route_names::{proto_name, proto_number, scope_name, scope_number};
pub use rule::RuleSpec;
pub use types::{LinkInfo, LinkKind, LinkStats, NextHop, RouteInfo};

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::ns::Ns;
use crate::sys::netns_fs::NsId;
use socket::{Conn, Opened};

/// The backend every script call goes through.
pub struct Netlink {
    /// Namespaces made ahead, from the second `add_netns` on (ended
    /// before the runtime it opens sockets with, see Drop).
    spares: RefCell<Option<crate::sys::netns_spare::Maker<(bool, Opened)>>>,
    /// The named namespaces where veth peers were last found, most recent
    /// first (`ns_with_nsid` asks them first).
    peer_homes: RefCell<Vec<Ns>>,
    /// Whether the next namespace has IPv6: a spare is made as the last
    /// one asked for was.
    next_ipv6: std::sync::Arc<std::sync::atomic::AtomicBool>,
    rt: tokio::runtime::Runtime,
    conns: RefCell<HashMap<Ns, Conn>>,
    /// (namespace, nsid seen from it) -> the named namespace with that id.
    nsids: RefCell<HashMap<(Ns, i32), (Ns, NsId)>>,
    /// Veth ends in other namespaces whose namespace was deleted: the
    /// kernel removes them asynchronously; they are waited for before the
    /// next call that could see them.
    dying: RefCell<Vec<(Ns, u32)>>,
    /// Link events listened to since before those links could go (see
    /// `watch`), by namespace.
    watching: RefCell<HashMap<Ns, (rtnetlink::sys::Socket, HashSet<u32>)>>,
}

impl Netlink {
    /// Start the backend in the calling thread's namespace, which becomes
    /// `host`.
    pub fn new() -> Result<Netlink> {
        Ns::remember_host()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::error::Error::from_io("start the netlink runtime", &e))?;
        Ok(Netlink {
            rt,
            conns: RefCell::new(HashMap::new()),
            nsids: RefCell::new(HashMap::new()),
            dying: RefCell::new(Vec::new()),
            watching: RefCell::new(HashMap::new()),
            spares: RefCell::new(None),
            peer_homes: RefCell::new(Vec::new()),
            next_ipv6: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        })
    }

    fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }
}

impl Drop for Netlink {
    fn drop(&mut self) {
        // The maker thread opens sockets with the runtime: it ends first.
        drop(self.spares.borrow_mut().take());
        self.wait_dying();
        // All at once: `forget` of each namespace would search the other
        // namespaces' ids every time (10,000 namespaces: seconds).
        let all: Vec<Ns> = self.conns.borrow().keys().cloned().collect();
        self.forget_all(&all);
    }
}
