//! Every recipe in scripts/ runs in a sandbox and succeeds.

use crate::common::Sandbox;
use crate::common::examples::needs_vm;

fn recipes() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    all.sort();
    all
}

#[test]
fn every_recipe_runs() {
    let all = recipes();
    assert!(all.len() >= 3, "{all:?}");
    for path in all {
        // Recipes for kernels with more than these machines' run on a VM,
        // in tests/it/kernel_vm.rs.
        let text = std::fs::read_to_string(&path).unwrap();
        if needs_vm(&text) {
            continue;
        }
        // A recipe too big for a test says what to run it with instead.
        let args = text
            .lines()
            .find_map(|l| l.strip_prefix("// test args: "))
            .unwrap_or("");
        let sb = Sandbox::new();
        let run = sb.sh(&format!("netscript --sandbox {} {args}", path.display()));
        assert_eq!(
            run.status,
            0,
            "{} failed:\n{}{}",
            path.display(),
            run.stdout,
            run.stderr
        );
        assert!(
            !run.stdout.is_empty(),
            "{} printed no summary",
            path.display()
        );
        assert!(
            !run.stdout.contains("FAIL") && !run.stdout.contains("UNREACHABLE"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn recipes_are_executable_shebang_scripts() {
    for path in recipes() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("#!/usr/bin/env netscript\n"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn routed_lab_shows_the_router_forwarding() {
    let sb = Sandbox::new();
    let run = sb.sh(concat!(
        "netscript --sandbox ",
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/routed-lab.rhai"
    ));
    run.success();
    assert!(
        run.stdout.contains("forwarding off: unreachable (ok)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("forwarding on again: reachable (ok)"),
        "{}",
        run.stdout
    );
}

/// The two-machine recipe as it is meant to run: one half per machine, each
/// machine a namespace with its own /run (so its own /run/netns), joined by
/// an underlay veth; each side's host then pings the other's across VXLAN.
#[test]
fn two_hosts_vxlan_runs_one_half_on_each_machine() {
    let sb = Sandbox::new();
    let recipe = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/two-hosts-vxlan.rhai");
    let run = sb.sh(&format!(
        r#"ip netns add A; ip netns add B
ip link add u0 netns A type veth peer name u0 netns B
ip -n A addr add 192.0.2.1/24 dev u0; ip -n A link set u0 up; ip -n A link set lo up
ip -n B addr add 192.0.2.2/24 dev u0; ip -n B link set u0 up; ip -n B link set lo up
side() {{
  ip netns exec $1 unshare --mount --propagation private sh -c "mount -t tmpfs tmpfs /run &&
    netscript {recipe} $2 $3 $4 > out-$1.txt 2>&1 && touch up-$1 &&
    while [ ! -e up-$5 ]; do sleep 0.05; done &&
    ip netns exec h$4 ping -c 1 -W 3 10.42.0.$6 > /dev/null && echo $1-reaches-$5 > ping-$1.txt;
    touch done-$1; while [ ! -e done-$5 ]; do sleep 0.05; done"
}}
side A 192.0.2.1 192.0.2.2 1 B 2 & side B 192.0.2.2 192.0.2.1 2 A 1 & wait
cat ping-A.txt ping-B.txt; cat out-A.txt out-B.txt
ip netns list | sort | tr '\n' ' '"#
    ));
    assert_eq!(
        run.stdout,
        "A-reaches-B\nB-reaches-A\n\
         side 1: h1 is 10.42.0.1 on br-lab, tunnel vx42 192.0.2.1 -> 192.0.2.2\n\
         side 2: h2 is 10.42.0.2 on br-lab, tunnel vx42 192.0.2.2 -> 192.0.2.1\n\
         A B ",
        "{}",
        run.stderr
    );
}
