//! Nothing is left behind: running labs (through --sandbox, and through the
//! test harness) leaves the machine's namespaces, links and mounts as they
//! were, and a lab torn down inside a sandbox leaves no trace there either.

use crate::common::{Sandbox, netscript_bin};

/// What the machine's own network looks like: named namespaces, links,
/// and mounts under /run/netns.
fn machine_state() -> (Vec<String>, Vec<String>, usize) {
    let netns = std::fs::read_dir("/run/netns")
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let out = std::process::Command::new("ip")
        .args(["-j", "link", "show"])
        .output()
        .unwrap();
    let links = crate::common::json(&String::from_utf8_lossy(&out.stdout));
    let mut names: Vec<String> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let netns_mounts = mounts.lines().filter(|l| l.contains("/run/netns")).count();
    (netns, names, netns_mounts)
}

#[test]
fn sandboxed_labs_leave_the_machine_untouched() {
    let before = machine_state();
    let lab = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bridge-lab.rhai");
    let out = std::process::Command::new(netscript_bin())
        .args(["--sandbox", lab])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("reachable"));
    let sb = Sandbox::new();
    sb.script(&std::fs::read_to_string(lab).unwrap()).success();
    assert_eq!(machine_state(), before);
}

#[test]
fn teardown_inside_a_sandbox_leaves_nothing() {
    let sb = Sandbox::new();
    let (run, oracle) = sb.script_then(
        r#"
        let br = bridge::add("br0");
        br.up();
        let ns = [];
        for i in 1..=3 {
            let n = netns::add(`h${i}`);
            let eth = link::add_veth("eth0", `p${i}`, #{ netns: n });
            eth.peer.set_master(br);
            ns.push(n);
        }
        for n in ns { n.del(); }
        let left = link::list().map(|l| l.name);
        if left != ["lo", "br0"] { throw `left after deleting the namespaces: ${left}`; }
        br.del();
        "#,
        "ip -br link show | awk '{print $1}' | tr '\\n' ' '; echo; ls -A /run/netns | wc -l; grep -c ' /run/netns/' /proc/self/mountinfo",
    );
    run.success();
    assert_eq!(oracle, "lo \n0\n0\n", "{oracle}");
}
