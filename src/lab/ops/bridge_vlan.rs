//! VLAN membership of bridge ports. A change on a port that outlives the
//! lab (one it did not make, outside its namespaces) goes in the ledger
//! (written ahead), so that teardown puts it back as it was.

use super::{Op, ip_n, q};
use crate::error::{Error, Result};
use crate::lab::Object;
use crate::netlink::{LinkInfo, PortVlan};
use crate::ns::Ns;

/// A port of a bridge, or the bridge itself (`self`).
pub struct BridgePort<'a> {
    pub ns: &'a Ns,
    pub bridge: u32,
    pub port: &'a LinkInfo,
    pub on_bridge: bool,
}

impl Op<'_> {
    /// `bridge vlan add dev PORT vid VID [pvid] [untagged] [self]`.
    pub fn bridge_vlan_add(&self, at: &BridgePort, v: PortVlan) -> Result<()> {
        // On a port the run did not make, an add may also change what was
        // there: the same VLAN's flags, or which VLAN is the PVID. Those
        // are recorded first, so teardown puts them back after undoing it.
        let mut before = Vec::new();
        if self.outlives_the_lab(at) {
            for m in self.net.bridge_vlans(at.ns)? {
                if m.port == at.port.index && (m.vid == v.vid || (v.pvid && m.pvid)) {
                    before.push(m);
                }
            }
        }
        let mut records: Vec<Object> = before
            .iter()
            .filter_map(|m| self.record(at, m, false))
            .collect();
        // A VLAN that was there already is put back as it was, not deleted.
        if !before.iter().any(|m| m.vid == v.vid) {
            records.extend(self.record(at, &v, true));
        }
        self.ahead(&records, || {
            self.net.bridge_vlan(at.ns, &v, at.on_bridge, true)
        })?;
        self.confirm(records)?;
        self.trace_vlan(at, &v, true);
        Ok(())
    }

    /// `bridge vlan del dev PORT vid VID [self]`. The kernel says nothing
    /// when asked to remove a VLAN a port is not in, so that is looked up
    /// first (with the flags teardown would put back).
    pub fn bridge_vlan_del(&self, at: &BridgePort, vid: u16) -> Result<()> {
        let member = self
            .net
            .bridge_vlans(at.ns)?
            .into_iter()
            .find(|m| m.port == at.port.index && m.vid == vid);
        let Some(v) = member else {
            return Err(Error::not_found(
                format!("remove \"{}\" from VLAN {vid}", at.port.name),
                "it is not a member of that VLAN",
            )
            .with_help("br.vlans() lists the ports' VLANs")
            .at_arg(1));
        };
        let record = self.record(at, &v, false);
        self.ahead(record.as_slice(), || {
            self.net.bridge_vlan(at.ns, &v, at.on_bridge, false)
        })?;
        self.confirm(record.into_iter().collect())?;
        self.trace_vlan(at, &v, false);
        Ok(())
    }

    fn trace_vlan(&self, at: &BridgePort, v: &PortVlan, add: bool) {
        self.change(|| {
            format!(
                "bridge {}vlan {} dev {} vid {}{}{}{}",
                ip_n(at.ns),
                if add { "add" } else { "del" },
                q(&at.port.name),
                v.vid,
                if add && v.pvid { " pvid" } else { "" },
                if add && v.untagged { " untagged" } else { "" },
                if at.on_bridge { " self" } else { "" }
            )
        });
    }

    /// Whether the port stays after the lab's teardown.
    fn outlives_the_lab(&self, at: &BridgePort) -> bool {
        let ns = at.ns.name();
        !self.lab.owns_netns(ns) && !self.lab.made_link(ns, at.port.index)
    }

    /// The record of a membership changed on a port that outlives the lab.
    fn record(&self, at: &BridgePort, v: &PortVlan, added: bool) -> Option<Object> {
        self.outlives_the_lab(at).then(|| Object::PortVlan {
            ns: at.ns.name().to_string(),
            ns_id: at.ns.id(),
            index: at.port.index,
            link: at.port.name.clone(),
            bridge: at.bridge,
            vid: v.vid,
            on_bridge: at.on_bridge,
            added,
            pvid: v.pvid,
            untagged: v.untagged,
        })
    }
}
