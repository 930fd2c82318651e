//! `l.fdb()`: the forwarding database of a bridge or VXLAN link.

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::Link;
use crate::api::convert::RhaiResultOf;
use crate::api::session;
use crate::netlink::FdbEntry;

#[export_module]
pub mod link_fdb {
    use super::*;

    /// The forwarding database entries of this link: for a bridge, those of
    /// its ports and its own; for a port or a VXLAN link, its own. Each is
    /// `#{ mac, dev, state }` with `state` "permanent" (a link's own
    /// address), "static" (added) or "learned" (seen in traffic), and, when
    /// present, `vlan`, `dst` and `vni` (a VXLAN entry's remote end and
    /// network), and `self: true` for an entry of the link itself rather
    /// than of its bridge.
    ///
    /// `bridge -n NS fdb show br BR` (or `dev DEV`)
    ///
    /// ```rhai
    /// let h1 = netns::add("h1");
    /// let h2 = netns::add("h2");
    /// let br = bridge::add("br0");
    /// br.up();
    /// let a = link::add_veth("eth0", "p1", #{ netns: h1 });
    /// let b = link::add_veth("eth0", "p2", #{ netns: h2 });
    /// for l in [a, b] { l.peer.set_master(br); l.peer.up(); l.up(); }
    /// a.addr_add("10.0.0.1/24");
    /// b.addr_add("10.0.0.2/24");
    /// h1.ping("10.0.0.2");
    /// let learned = br.fdb().filter(|e| e.state == "learned" && e.mac == a.mac);
    /// print(learned.map(|e| e.dev));   // ["p1"]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn fdb(ctx: NativeCallContext, l: &mut Link) -> RhaiResultOf<Array> {
        let (entries, links) = session::read(&ctx, |net| {
            l.check()?;
            Ok((net.fdb(&l.ns())?, net.links(&l.ns())?))
        })?;
        let me = l.index();
        let name_of = |i: u32| {
            links
                .iter()
                .find(|k| k.index == i)
                .map_or(Dynamic::UNIT, |k| k.name.clone().into())
        };
        Ok(entries
            .into_iter()
            .filter(|e| e.dev == me || (e.master == Some(me) && !e.on_self))
            .map(|e| entry_map(&e, name_of(e.dev)))
            .collect())
    }
}

fn entry_map(e: &FdbEntry, dev: Dynamic) -> Dynamic {
    let mut m = Map::new();
    m.insert("mac".into(), e.mac.clone().into());
    m.insert("dev".into(), dev);
    m.insert("state".into(), e.state.into());
    if let Some(v) = e.vlan {
        m.insert("vlan".into(), INT::from(v).into());
    }
    if let Some(d) = e.dst {
        m.insert("dst".into(), d.to_string().into());
    }
    if let Some(v) = e.vni {
        m.insert("vni".into(), INT::from(v).into());
    }
    if e.on_self {
        m.insert("self".into(), true.into());
    }
    Dynamic::from_map(m)
}
