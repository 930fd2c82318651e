//! `netscript doctor`: what this machine lets netscript do, checked for
//! real (not guessed from uid), with what to do about what fails.

use crate::exit::Exit;
use crate::sys::privileges::{CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, capability};

struct Check {
    what: &'static str,
    ok: bool,
    detail: String,
    fix: &'static str,
}

/// What a probe said: the reason it failed, or None when it worked.
type Outcome = Option<String>;
/// The needed probes by name, then the optional ones in OPTIONAL's order.
type Probed = (Vec<(&'static str, Outcome)>, Vec<Outcome>);

/// Link kinds and qdiscs a lab may use and a kernel may lack: (what, the
/// kernel option that brings it).
const OPTIONAL: &[(&str, &str)] = &[
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

/// Create a veth pair and a bridge in a throwaway namespace: the real test
/// of what labs need (reason, or None when it worked); then the optional
/// link kinds and qdiscs, on that veth pair.
fn probe() -> Probed {
    let name = format!("netscript-doctor-{}", std::process::id());
    let mut out = Vec::new();
    let net = match crate::netlink::Netlink::new() {
        Ok(n) => n,
        Err(e) => return (vec![("netlink", Some(e.to_string()))], Vec::new()),
    };
    // A throwaway namespace that doctor deletes itself: nothing to record.
    if let Err(e) = net.add_netns(&name, true, |_| Ok(())) {
        return (vec![("named namespaces", Some(e.to_string()))], Vec::new());
    }
    out.push(("named namespaces", None));
    let ns = crate::ns::Ns::Named(name.clone());
    out.push((
        "veth pairs",
        net.add_veth(&ns, "probe0", &ns, "probe1")
            .err()
            .map(|e| e.to_string()),
    ));
    out.push((
        "bridges",
        net.add_bridge(&ns, "probe-br", &Default::default())
            .err()
            .map(|e| e.to_string()),
    ));
    let optional = if out.iter().all(|(_, failure)| failure.is_none()) {
        probe_optional(&net, &ns)
    } else {
        Vec::new()
    };
    let _ = net.del_netns(&name);
    (out, optional)
}

pub fn run() -> Exit {
    let mut checks = vec![
        Check {
            what: "CAP_NET_ADMIN (links, addresses, routes)",
            ok: capability(CAP_NET_ADMIN),
            detail: String::new(),
            fix: "run as root (sudo netscript ...)",
        },
        Check {
            what: "CAP_SYS_ADMIN (named namespaces, --sandbox)",
            ok: capability(CAP_SYS_ADMIN),
            detail: String::new(),
            fix: "run as root (sudo netscript ...)",
        },
        Check {
            what: "CAP_NET_RAW (ping)",
            ok: capability(CAP_NET_RAW),
            detail: String::new(),
            fix: "run as root (sudo netscript ...)",
        },
    ];
    // Before anything starts a thread: making a world forks.
    let sandbox = crate::sys::world_make::make("doctor", false).map(|keeper| keeper.kill());
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap_or_default();
    checks.push(Check {
        what: "sandboxes (--sandbox: user, network, mount and PID namespaces)",
        ok: sandbox.is_ok(),
        detail: match sandbox {
            Ok(()) => "made and removed one".into(),
            Err(e) => format!("{e} (max_user_namespaces = {})", userns.trim()),
        },
        fix: "allow user namespaces (sysctl -w user.max_user_namespaces=10000; on Ubuntu \
              kernel.apparmor_restrict_unprivileged_userns=0), outside a chroot",
    });
    let (needed, optional) = probe();
    for (what, failure) in needed {
        checks.push(Check {
            what,
            ok: failure.is_none(),
            detail: failure
                .unwrap_or_else(|| "created and removed in a throwaway namespace".into()),
            fix: "run as root, on a kernel with veth and bridge support (modprobe veth bridge)",
        });
    }
    let shared = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.split_whitespace().nth(4) == Some("/run/netns"))
        .map(|l| l.contains("shared:"));
    checks.push(Check {
        what: "/run/netns",
        ok: shared != Some(false),
        detail: match shared {
            Some(true) => "a shared mount, as iproute2 makes it".into(),
            Some(false) => {
                "mounted but not shared: namespaces may not show in other mount namespaces".into()
            }
            None => "not mounted yet (the first netns::add prepares it)".into(),
        },
        fix: "mount --make-shared /run/netns",
    });
    let mut failed = false;
    let mut missing = Vec::new();
    for ((what, config), failure) in OPTIONAL.iter().zip(optional) {
        match failure {
            None => checks.push(Check {
                what,
                ok: true,
                detail: "this kernel has it".into(),
                fix: "",
            }),
            Some(reason) => missing.push(format!("no   {what} — {reason}\n     needs {config}")),
        }
    }
    for c in &checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        let detail = if c.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", c.detail)
        };
        println!("{mark} {}{detail}", c.what);
        if !c.ok {
            println!("     fix: {}", c.fix);
            failed |= !c.what.starts_with("sandboxes") && c.what != "/run/netns";
        }
    }
    // What a kernel lacks is said, and does not fail the check: labs that
    // do not use it run.
    for m in missing {
        println!("{m}");
    }
    for (what, there, package) in tools() {
        if there {
            println!("ok   {what} — installed");
        } else {
            println!("no   {what} — not installed\n     needs the {package} package");
        }
    }
    if failed { Exit::Failed } else { Exit::Ok }
}

/// The programs the stdlib and `capture` use: (what, whether it is there,
/// the Debian package that brings it).
fn tools() -> Vec<(&'static str, bool, &'static str)> {
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
