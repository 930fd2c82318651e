//! Every run owns what it created: rollback on failure and on signals,
//! `down` from the ledger (also after SIGKILL, without the script, with
//! objects gone by hand), refusing to run over a live lab, and `--trace`
//! that rebuilds the same lab when replayed by a shell.

use crate::common::{Sandbox, json};

/// Shell lines printing the machine's state: namespaces, links, addresses,
/// routes (the sandbox's root namespace).
const STATE: &str = "{ ls -A /run/netns; ip -j link show; ip -j addr show; ip -j route show; ip -6 -j route show; }";

const SEVEN_THEN_FAIL: &str = r#"
let r1 = netns::add("r1");
let r2 = netns::add("r2");
let br = bridge::add("br0");
let v = link::add_veth("eth0", "p1", #{ netns: r1 });
netns::host().link("lo").addr_add("10.9.9.9/32");
netns::host().route_add("10.50.0.0/16", "10.9.9.9");
let s = r2.spawn("sleep 60");
netns::get("nope");
"#;

#[test]
fn a_failing_script_is_rolled_back_completely() {
    let sb = Sandbox::new();
    sb.file("seven.rhai", SEVEN_THEN_FAIL);
    let run = sb.sh(&format!(
        "{STATE} > before.txt\nnetscript seven.rhai 2> err.txt; echo status=$?\n{STATE} > after.txt\nls -A /run/netscript"
    ));
    assert_eq!(run.stdout, "status=1\n", "{}", sb.read("err.txt"));
    assert_eq!(sb.read("before.txt"), sb.read("after.txt"));
    let err = sb.read("err.txt");
    assert!(
        err.contains("rolled back lab \"seven\": 7 removed"),
        "{err}"
    );
    for line in [
        "  - process ",
        "  - route 10.50.0.0/16 via 10.9.9.9 (in host)",
        "  - address 10.9.9.9/32 on lo (in host)",
        "  - bridge br0 (in host)",
        "  - namespace r2",
        "  - namespace r1",
        "  - veth eth0 (in r1)",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}

#[test]
fn keep_on_error_keeps_and_says_how_to_remove() {
    let sb = Sandbox::new();
    sb.file("seven.rhai", SEVEN_THEN_FAIL);
    let run = sb.sh("netscript --keep-on-error seven.rhai 2> err.txt; ip netns list | cut -d' ' -f1 | sort | tr '\\n' ' '; netscript down seven > /dev/null; ip netns list | wc -l");
    assert_eq!(run.stdout, "r1 r2 0\n");
    assert!(
        sb.read("err.txt").contains(
            "kept lab \"seven\" (6 objects) for inspection; remove it with: netscript down seven"
        ),
        "{}",
        sb.read("err.txt")
    );
}

/// Run `waits.rhai` in the background, wait until it has built its lab,
/// then send `signal`.
pub(crate) fn interrupted(signal: &str) -> (Sandbox, crate::common::Run) {
    let sb = Sandbox::new();
    sb.file(
        "waits.rhai",
        r#"
        let r1 = netns::add("r1");
        let v = link::add_veth("eth0", "p1", #{ netns: r1 });
        bridge::add("br0");
        print("ready");
        netns::host().exec("sleep 30");
        print("not reached");
        "#,
    );
    let run = sb.sh(&format!(
        "{STATE} > before.txt\n\
         netscript waits.rhai > out.txt 2> err.txt & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         kill -{signal} $pid; wait $pid; echo status=$?\n\
         {STATE} > after.txt"
    ));
    (sb, run)
}

#[test]
fn sigint_and_sigterm_roll_back() {
    for signal in ["INT", "TERM"] {
        let (sb, run) = interrupted(signal);
        assert_eq!(
            run.stdout,
            "status=130\n",
            "{signal}: {}",
            sb.read("err.txt")
        );
        assert_eq!(sb.read("before.txt"), sb.read("after.txt"), "{signal}");
        assert!(
            sb.read("err.txt")
                .contains("rolled back lab \"waits\": 3 removed"),
            "{}",
            sb.read("err.txt")
        );
        assert!(!sb.read("out.txt").contains("not reached"));
    }
}

#[test]
fn after_sigkill_down_removes_everything_even_without_the_script() {
    let (sb, run) = interrupted("KILL");
    assert_eq!(run.stdout, "status=137\n");
    let run = sb.sh(&format!(
        "{STATE} > before.txt\nnetscript waits.rhai 2>/dev/null & pid=$!\n\
         for i in $(seq 200); do test -e /run/netscript/waits.json && ip netns list | grep -q r1 && break; sleep 0.05; done\n\
         sleep 0.3; kill -KILL $pid; wait $pid\n\
         netscript ls\n\
         rm waits.rhai\n\
         netscript down waits; echo status=$?\n\
         {STATE} > after.txt; ls -A /run/netscript"
    ));
    assert_eq!(
        sb.read("before.txt"),
        sb.read("after.txt"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.contains("waits  (created "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("  - namespace r1\n  - veth eth0 (in r1)\n  - bridge br0 (in host)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("lab \"waits\": removed 3 objects\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("status=0\n"), "{}", run.stdout);
}

#[test]
fn down_skips_what_was_removed_by_hand_and_touches_no_other_lab() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "netns::add(\"r1\"); bridge::add(\"br0\"); link::add_veth(\"a1\", \"a2\");\n",
    );
    sb.file(
        "lab2.rhai",
        "netns::add(\"r1-2\"); bridge::add(\"br0-2\");\n",
    );
    let run = sb.sh(
        "netscript lab.rhai && netscript lab2.rhai\n\
         ip link del br0\n\
         ip netns add r1b\n\
         netscript down lab.rhai 2> warn.txt; echo status=$?\n\
         ip netns list | sort | tr '\\n' ' '; echo; ip -br link show | awk '{print $1}' | sort | tr '\\n' ' '",
    );
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        "br0-2 lo ",
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("status=0\nr1-2 r1b \n"),
        "{}",
        run.stdout
    );
    assert!(
        sb.read("warn.txt")
            .contains("warning: bridge br0 (in host): it is already gone; skipped"),
        "{}",
        sb.read("warn.txt")
    );
    // A namespace re-created under the same name is not the lab's.
    let run = sb.sh("netscript lab.rhai && ip netns del r1 && ip netns add r1\n\
         netscript down lab 2> warn.txt; ip netns list");
    assert_eq!(run.stdout.lines().last(), Some("r1"), "{}", run.stdout);
    assert!(
        sb.read("warn.txt").contains(
            "namespace r1: the namespace of that name now is not the one this lab made; skipped"
        ),
        "{}",
        sb.read("warn.txt")
    );
}

#[test]
fn a_lab_that_is_up_is_not_run_over() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\nprint(\"built\");\n");
    let run = sb.sh("netscript lab.rhai\n\
         netscript lab.rhai 2> refused.txt; echo status=$?\n\
         netscript --replace lab.rhai 2> replaced.txt; echo status=$?\n\
         netscript --lab other lab.rhai 2> /dev/null; echo status=$?\n\
         ip netns list; netscript ls");
    assert_eq!(
        run.stdout,
        "built\nstatus=1\nbuilt\nstatus=0\nstatus=1\nr1\n".to_string()
            + &run.stdout[run.stdout.find("lab  (created").unwrap_or(0)..],
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.ends_with(", 1 object)\n  - namespace r1\n"),
        "{}",
        run.stdout
    );
    let refused = sb.read("refused.txt");
    assert!(
        refused.contains("lab \"lab\" is already up (1 object,"),
        "{refused}"
    );
    assert!(
        refused.contains("remove it with `netscript down lab`, or run with --replace"),
        "{refused}"
    );
    assert_eq!(
        sb.read("replaced.txt"),
        "replaced lab \"lab\": 1 removed\n  - namespace r1\n"
    );
}

#[test]
fn rm_tears_down_after_success() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "let r = netns::add(\"r9\");\nlink::add_veth(\"x1\", \"x2\", #{ netns: r });\nprint(netns::list());\n");
    let run =
        sb.sh("netscript --rm lab.rhai; ip netns list | wc -l; ip -br link | wc -l; netscript ls");
    assert_eq!(
        run.stdout, "[\"r9\"]\n0\n1\nno labs are up\n",
        "{}",
        run.stderr
    );
}

/// `ip -j` dumps without what differs between two identical builds.
fn normalized(text: &str) -> serde_json::Value {
    let mut v = json(text);
    fn strip(v: &mut serde_json::Value) {
        // Link-local IPv6 addresses follow the (random) MAC addresses.
        if let Some(info) = v.get_mut("addr_info").and_then(|i| i.as_array_mut()) {
            info.retain(|a| a["scope"] != "link");
        }
        match v {
            serde_json::Value::Object(map) => {
                for k in [
                    "ifindex",
                    "address",
                    "broadcast",
                    "link_index",
                    "link_netnsid",
                    "link",
                    "master_index",
                    "group",
                    "preferred_life_time",
                    "valid_life_time",
                ] {
                    // A link's "address" is its MAC; an address entry's is kept.
                    if k != "address" || map.get("family").is_none() {
                        map.remove(k);
                    }
                }
                for (_, x) in map.iter_mut() {
                    strip(x);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn trace_replayed_by_a_shell_rebuilds_the_lab() {
    let lab = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bridge-lab.rhai");
    let dump = "for ns in r1 r2; do ip -n $ns -j addr show > $ns.json; done; ip -j addr show > host.json; \
         ip netns exec r1 sysctl -n net.ipv6.conf.default.accept_dad > dad.txt";
    let built = Sandbox::new();
    let run = built.sh(&format!(
        "netscript --trace {lab} > /dev/null 2> trace.sh; echo status=$?; {dump}"
    ));
    assert_eq!(run.stdout, "status=0\n");
    let trace = built.read("trace.sh");
    assert!(
        trace.starts_with(
            "ip netns add r1 && ip -n r1 link set lo up && ip netns exec r1 sysctl -q -e -w \
             net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0  # bridge-lab.rhai:7\n"
        ),
        "{trace}"
    );
    assert!(
        trace.contains("ip -n r1 addr add 100.100.100.10/24 dev eth0  # bridge-lab.rhai:29\n"),
        "{trace}"
    );
    assert!(
        trace.contains("# ip netns exec r1 ping -c 1 100.100.100.20  # bridge-lab.rhai:46\n"),
        "{trace}"
    );

    let replayed = Sandbox::new();
    replayed.file("trace.sh", &trace);
    let run = replayed.sh(&format!(
        "sh -e trace.sh; echo status=$?; {dump}\n\
         ip netns exec r1 busybox ping -c 1 -W 2 100.100.100.20 > /dev/null && echo ping-ok"
    ));
    assert_eq!(run.stdout, "status=0\nping-ok\n", "{}", run.stderr);
    // The lab's sysctl defaults are in the trace too (DAD off).
    assert_eq!(built.read("dad.txt"), "0\n");
    assert_eq!(replayed.read("dad.txt"), "0\n");
    for f in ["r1.json", "r2.json", "host.json"] {
        assert_eq!(
            normalized(&built.read(f)),
            normalized(&replayed.read(f)),
            "{f}"
        );
    }
}

#[test]
fn a_signal_at_any_point_of_a_runaway_lab_leaves_nothing() {
    let sb = Sandbox::new();
    // Builds forever; a pure loop between the calls, too.
    sb.file(
        "loop.rhai",
        r#"
        let i = 0;
        loop {
            let ns = netns::add(`n${i}`);
            link::add_veth(`v${i}`, "eth0", #{ peer_netns: ns });
            let spin = 0;
            while spin < 500 { spin += 1; }
            i += 1;
        }
        "#,
    );
    // Once the ledger exists, the signal handlers are in place; then wait
    // 0 to 250 ms, so the signal lands in a call, between calls, or in
    // the loop. A watchdog ends a run that ignores it.
    let run = sb.sh(
        "for d in 0 0.005 0.03 0.1 0.25; do for sig in INT TERM; do \
           netscript loop.rhai 2> err.txt & pid=$!; \
           for i in $(seq 400); do [ -e /run/netscript/loop.json ] && break; sleep 0.005; done; \
           sleep $d; kill -$sig $pid; \
           ( for i in $(seq 300); do kill -0 $pid 2> /dev/null || exit; sleep 0.1; done; \
             kill -9 $pid ) & dog=$!; \
           wait $pid; s=$?; wait $dog; \
           echo \"$sig $d $s $(ls -A /run/netns | wc -l) $(ip -o link show | wc -l) $(ls -A /run/netscript | wc -l)\"; \
         done; done",
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 10, "{}{}", run.stdout, run.stderr);
    for line in lines {
        // Status 130, no namespace, only lo, no ledger.
        assert!(
            line.ends_with(" 130 0 1 0"),
            "{line}\n{}",
            sb.read("err.txt")
        );
    }
}

#[test]
fn sigint_stops_a_pure_loop_and_rolls_back() {
    let sb = Sandbox::new();
    // No call inside the loop: only the engine can notice the signal.
    sb.file(
        "spin.rhai",
        "netns::add(\"r1\");\nprint(\"ready\");\nloop {}\n",
    );
    // A watchdog ends a run that ignores the signal for 10 s (status 137).
    let run = sb.sh("netscript spin.rhai > out.txt 2> err.txt & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         sleep 0.2; ls /run/netns; kill -INT $pid\n\
         ( for i in $(seq 100); do kill -0 $pid 2> /dev/null || exit; sleep 0.1; done; \
           kill -9 $pid ) & dog=$!\n\
         wait $pid; echo status=$?; wait $dog\n\
         ls -A /run/netns | wc -l; ls -A /run/netscript | wc -l");
    assert_eq!(
        run.stdout,
        "r1\nstatus=130\n0\n0\n",
        "{}",
        sb.read("err.txt")
    );
    assert!(
        sb.read("err.txt")
            .contains("rolled back lab \"spin\": 1 removed"),
        "{}",
        sb.read("err.txt")
    );
}
