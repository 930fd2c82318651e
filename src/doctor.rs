//! `netscript doctor`: what this machine lets netscript do, checked for
//! real (not guessed from uid), with what to do about what fails.

use crate::runner::{FAILED, OK};
use crate::sys::privileges::{CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, capability};

struct Check {
    what: &'static str,
    ok: bool,
    detail: String,
    fix: &'static str,
}

/// Create a veth pair and a bridge in a throwaway namespace: the real test
/// of what labs need. (reason, or None when it worked)
fn probe() -> Vec<(&'static str, Option<String>)> {
    let name = format!("netscript-doctor-{}", std::process::id());
    let mut out = Vec::new();
    let net = match crate::netlink::Netlink::new() {
        Ok(n) => n,
        Err(e) => return vec![("netlink", Some(e.to_string()))],
    };
    if let Err(e) = net.add_netns(&name) {
        return vec![("named namespaces", Some(e.to_string()))];
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
    let _ = net.del_netns(&name);
    out
}

pub fn run() -> i32 {
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
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap_or_default();
    checks.push(Check {
        what: "user namespaces",
        ok: userns.trim().parse::<u64>().is_ok_and(|n| n > 0),
        detail: format!("max_user_namespaces = {}", userns.trim()),
        fix: "sysctl -w user.max_user_namespaces=10000 (only needed for rootless tools)",
    });
    for (what, failure) in probe() {
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
            failed |= c.what != "user namespaces" && c.what != "/run/netns";
        }
    }
    if failed { FAILED } else { OK }
}
