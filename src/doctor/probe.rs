//! The kernel's half of `netscript doctor`, run in a throwaway sandbox
//! (or, where none can be made, a private network and mount namespace):
//! a named namespace, a veth pair and a bridge made and removed for real,
//! then the optional link kinds and qdiscs. Nothing is made on the
//! machine. The results go back to the doctor outside as JSON.

use serde::{Deserialize, Serialize};

/// What a probe said: the reason it failed, or None when it worked.
pub type Outcome = Option<String>;

/// What the probes found.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Probed {
    /// What every lab needs, by name.
    pub needed: Vec<(String, Outcome)>,
    /// OPTIONAL's, in its order (empty when the needed ones failed).
    pub optional: Vec<Outcome>,
}

/// Link kinds and qdiscs a lab may use and a kernel may lack: (what, the
/// kernel option that brings it).
pub const OPTIONAL: &[(&str, &str)] = &[
    ("dummy links", "CONFIG_DUMMY (modprobe dummy)"),
    ("802.1Q VLAN links", "CONFIG_VLAN_8021Q (modprobe 8021q)"),
    ("VRF", "CONFIG_NET_VRF (modprobe vrf)"),
    ("macvlan links", "CONFIG_MACVLAN (modprobe macvlan)"),
    ("VXLAN tunnels", "CONFIG_VXLAN (modprobe vxlan)"),
    ("bridge VLAN filtering", "CONFIG_BRIDGE_VLAN_FILTERING"),
    (
        "netem (l.netem)",
        "CONFIG_NET_SCH_NETEM (modprobe sch_netem)",
    ),
    ("tbf (l.shape)", "CONFIG_NET_SCH_TBF (modprobe sch_tbf)"),
    (
        "nftables (ns.masquerade, ns.publish, ns.nft)",
        "libnftables (apt-get install nftables) and CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_MASQ",
    ),
];

/// Try each of OPTIONAL in namespace `ns`, on its veth end `probe0`.
fn probe_optional(net: &crate::netlink::Netlink, ns: &crate::ns::Ns) -> Vec<Option<String>> {
    use crate::netlink::{BridgeOptions, Netem, Tbf, Vxlan, macvlan_mode};
    let err = |r: crate::error::Result<crate::netlink::LinkInfo>| r.err().map(|e| e.reason);
    let veth = net.link_by_name(ns, "probe0").map(|l| l.index).unwrap_or(0);
    let vxlan = Vxlan {
        id: 42,
        local: None,
        remote: None,
        group: None,
        dev: None,
        port: 4789,
        tune: Default::default(),
    };
    let filtering = BridgeOptions {
        vlan_filtering: Some(true),
        ..Default::default()
    };
    let tbf = Tbf {
        rate: 125_000,
        burst: 16_384,
        limit: 16_384,
    };
    let netem = Netem {
        delay_ns: 1_000_000,
        limit: 1000,
        ..Default::default()
    };
    let macvlan = macvlan_mode("bridge").expect("a mode");
    vec![
        err(net.add_dummy(ns, "probe-dummy")),
        err(net.add_vlan(ns, veth, "probe0.10", 10, false, ns)),
        err(net.add_vrf(ns, "probe-vrf", 10)),
        err(net.add_macvlan(ns, veth, "probe-mv", macvlan, ns)),
        err(net.add_vxlan(ns, ns, "probe-vx", &vxlan)),
        err(net.add_bridge(ns, "probe-vlanbr", &filtering)),
        net.set_netem(ns, veth, &netem).err().map(|e| e.reason),
        net.set_tbf(ns, veth, &tbf).err().map(|e| e.reason),
        nft_works(ns).err().map(|e| e.reason),
    ]
}

/// A table with a NAT chain and a masquerade rule, made and deleted.
fn nft_works(ns: &crate::ns::Ns) -> crate::error::Result<String> {
    let file = ns.open()?;
    crate::sys::nft::run(
        &file,
        "add table inet netscript_doctor\n\
         add chain inet netscript_doctor post { type nat hook postrouting priority srcnat; }\n\
         add rule inet netscript_doctor post masquerade\n\
         delete table inet netscript_doctor",
    )
}

/// Make a named namespace, a veth pair and a bridge in it, here (in the
/// sandbox): the real test of what labs need; then the optional link
/// kinds and qdiscs, on that veth pair. Printed as JSON.
pub fn here() -> crate::exit::Exit {
    let probed = probe();
    match serde_json::to_string(&probed) {
        Ok(text) => {
            crate::out!("{text}");
            crate::exit::Exit::Ok
        }
        Err(e) => crate::exit::fail(e),
    }
}

fn probe() -> Probed {
    let name = "netscript-doctor";
    let mut needed = Vec::new();
    let net = match crate::netlink::Netlink::new() {
        Ok(n) => n,
        Err(e) => {
            needed.push(("netlink".to_string(), Some(e.to_string())));
            return Probed {
                needed,
                optional: Vec::new(),
            };
        }
    };
    // Inside the throwaway sandbox: nothing to record.
    if let Err(e) = net.add_netns(name, true, |_| Ok(())) {
        needed.push(("named namespaces".to_string(), Some(e.to_string())));
        return Probed {
            needed,
            optional: Vec::new(),
        };
    }
    needed.push(("named namespaces".to_string(), None));
    let ns = crate::ns::Ns::Named(name.to_string());
    let veth = net.add_veth(&ns, "probe0", &ns, "probe1");
    needed.push(("veth pairs".to_string(), veth.err().map(|e| e.to_string())));
    let bridge = net.add_bridge(&ns, "probe-br", &Default::default());
    needed.push(("bridges".to_string(), bridge.err().map(|e| e.to_string())));
    let optional = if needed.iter().all(|(_, failure)| failure.is_none()) {
        probe_optional(&net, &ns)
    } else {
        Vec::new()
    };
    let _ = net.del_netns(name);
    Probed { needed, optional }
}

/// The programs the stdlib and `capture` use: (what, whether it is there,
/// the Debian package that brings it).
pub fn tools() -> Vec<(&'static str, bool, &'static str)> {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()))
    };
    vec![
        (
            "FRR routing daemons (import \"frr\")",
            std::path::Path::new("/usr/lib/frr/zebra").is_file() && on_path("vtysh"),
            "frr",
        ),
        ("iperf3 (import \"traffic\")", on_path("iperf3"), "iperf3"),
        (
            "libpcap (netscript capture FILTER, l.capture filters)",
            crate::sys::bpf::compile("icmp").is_ok(),
            "libpcap0.8",
        ),
    ]
}
