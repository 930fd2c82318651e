//! Opening, caching and closing the per-namespace netlink connections.

use rtnetlink::Handle;

use super::Netlink;
use super::socket::{Conn, Opened, lab_namespace, open_socket};
use crate::error::Result;
use crate::ns::Ns;
use crate::sys::netns_fs::{self, NsId};
use crate::sys::netns_spare::Maker;

impl Netlink {
    /// The connection for `ns`, opened on first use. A cached connection is
    /// reused only while the name still refers to the same namespace.
    pub(super) fn handle(&self, ns: &Ns) -> Result<Handle> {
        // The common case, checked with one stat(2): still the namespace
        // the cached connection was opened in.
        if let Some(id) = ns.id()
            && let Some(conn) = self.conns.borrow().get(ns)
            && conn.id == id
        {
            return Ok(conn.handle.clone());
        }
        let file = match ns.open() {
            Ok(f) => f,
            Err(e) => {
                // Deleted behind our back: our socket must not keep it alive.
                self.forget(ns);
                return Err(e);
            }
        };
        let id = netns_fs::id_of(&file)?;
        self.forget(ns);
        let rt = self.rt.handle().clone();
        let opened = netns_fs::run_in(&file, move || open_socket(&rt))?;
        self.adopt(ns, id, opened)
    }

    /// Create namespace `name` with lab defaults and its connection. From
    /// the second namespace on, the namespace, its defaults and its socket
    /// were made ahead on another thread (netns_spare) while the script
    /// went on, and only need naming here.
    pub(super) fn create_with_conn(
        &self,
        name: &str,
        ipv6: bool,
        record: impl FnOnce(NsId) -> Result<()>,
    ) -> Result<()> {
        use std::sync::atomic::Ordering;
        let inside = lab_namespace(
            self.rt.handle().clone(),
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(ipv6)),
        );
        // A spare whose making failed is not used: the namespace is made
        // here instead, and any error is the one of this moment. Nor is
        // one made with IPv6 on when this one is to be without, or the
        // other way round.
        let spare = || {
            let spares = self.spares.borrow();
            let spare = spares.as_ref().and_then(|m| m.take());
            spare
                .filter(|s| s.made.0 == ipv6 && s.made.1.is_ok())
                .map(|s| (s.ns, s.made))
        };
        let (file, (_, opened)) = netns_fs::create(name, spare, inside, record)?;
        self.next_ipv6.store(ipv6, Ordering::SeqCst);
        self.ask_for_spare();
        let adopted = netns_fs::id_of(&file)
            .and_then(|id| self.adopt(&Ns::Named(name.to_string()), id, opened));
        if let Err(e) = adopted {
            // Nothing half-built: the namespace goes if it cannot be used.
            let _ = netns_fs::delete(name);
            return Err(e);
        }
        Ok(())
    }

    /// Have the next namespace made ahead. The thread is started by the
    /// first namespace a script makes; without it, every namespace is made
    /// on the spot.
    fn ask_for_spare(&self) {
        let mut spares = self.spares.borrow_mut();
        if spares.is_none() {
            let ipv6 = self.next_ipv6.clone();
            *spares = Maker::start(lab_namespace(self.rt.handle().clone(), ipv6)).ok();
        }
        if let Some(maker) = spares.as_ref() {
            maker.ask();
        }
    }

    fn adopt(&self, ns: &Ns, id: NsId, opened: Opened) -> Result<Handle> {
        let (connection, handle) = opened.map_err(|e| e.in_netns(ns.name()))?;
        let task = self.rt.spawn(connection);
        self.conns.borrow_mut().insert(
            ns.clone(),
            Conn {
                handle: handle.clone(),
                id,
                task,
            },
        );
        Ok(handle)
    }

    /// Close the connection of `ns`, so its socket no longer holds the
    /// namespace alive.
    pub(super) fn forget(&self, ns: &Ns) {
        self.forget_all(std::slice::from_ref(ns));
    }

    /// `forget` of many namespaces, their ids dropped in one pass.
    pub(super) fn forget_all(&self, all: &[Ns]) {
        let going: std::collections::HashSet<&Ns> = all.iter().collect();
        self.nsids
            .borrow_mut()
            .retain(|(from, _), (to, _)| !going.contains(from) && !going.contains(to));
        for ns in all {
            // A socket listening there would keep the namespace alive too.
            self.watching.borrow_mut().remove(ns);
            let conn = self.conns.borrow_mut().remove(ns);
            if let Some(conn) = conn {
                drop(conn.handle);
                conn.task.abort();
                let _ = self.block_on(conn.task);
            }
        }
    }
}
