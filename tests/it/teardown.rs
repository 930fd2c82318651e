//! `netscript down` and the veths that cross out of a lab's namespaces: the
//! end outside goes with the namespace, and `down` returns once it is gone.

use crate::common::Sandbox;

/// Host veths and namespaces, right after the command before it.
const LEFT: &str = "echo veths=$(ip -o link show type veth | wc -l) netns=$(ip netns list | wc -l)";

/// `down`'s report, saved in down.txt, lists `what` as removed.
#[track_caller]
fn assert_listed(sb: &Sandbox, what: &str) {
    let report = sb.read("down.txt");
    assert!(report.contains(&format!("  - {what}\n")), "{report}");
}

/// Both ways a veth can cross: its named end inside the namespace with the
/// other end in the host, and the other way round (`peer_netns`).
const BOTH_WAYS: &str = r#"
let br = bridge::add("br0");
br.up();
let h1 = netns::add("h1");
let inside = link::add_veth("eth0", "v1", #{ netns: h1 });
inside.peer.set_master(br);
let h2 = netns::add("h2");
let outside = link::add_veth("v2", "eth0", #{ peer_netns: h2 });
outside.set_master(br);
"#;

#[test]
fn ends_outside_go_with_their_namespaces_before_down_returns() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", BOTH_WAYS);
    let run = sb.sh(&format!(
        "netscript lab.rhai || exit 9\n{LEFT}\nnetscript down lab; {LEFT}"
    ));
    assert!(
        run.stdout.starts_with("veths=2 netns=2\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("veths=0 netns=0\n"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    for line in [
        "removed 5 objects\n",
        "  - veth eth0 (in h1)\n",
        "  - veth v2 (in host)\n",
        "  - bridge br0 (in host)\n",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
}

#[test]
fn a_ledger_that_does_not_say_where_peers_are_is_still_waited_for() {
    // Ledgers written before peers (and intents) were recorded: the links
    // are looked for.
    let sb = Sandbox::new();
    sb.file("lab.rhai", BOTH_WAYS);
    let run = sb.sh(&format!(
        "netscript lab.rhai || exit 9\n\
         grep -c '\"peer\"' /run/netscript/lab.json\n\
         sed -i -e 's/,\"peer\":{{[^}}]*}}//' -e '/\"op\":\"intent\"/d' /run/netscript/lab.json\n\
         grep -c '\"peer\"' /run/netscript/lab.json\n\
         netscript down lab >/dev/null; {LEFT}"
    ));
    assert_eq!(run.stdout, "4\n0\nveths=0 netns=0\n", "{}", run.stderr);
}

#[test]
fn an_end_the_script_moved_is_followed() {
    // v1 moves from the host to "x", a namespace the lab did not make: it
    // still goes with h1, and down waits for it there.
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let h1 = netns::add("h1");
let eth0 = link::add_veth("eth0", "v1", #{ netns: h1 });
eth0.peer.set_netns(netns::get("x"));
eth0.peer.rename("moved");
"#,
    );
    let run = sb.sh(
        "ip netns add x\n\
         netscript lab.rhai || exit 9\n\
         ip -n x -o link show type veth | wc -l\n\
         grep '\"op\":\"add\"' /run/netscript/lab.json | grep -o '\"peer\":{[^}]*}' | tail -1 | grep -o '\"ns\":\"[a-z0-9]*\"'\n\
         grep -c '\"op\":\"del\"' /run/netscript/lab.json\n\
         netscript down lab >/dev/null\n\
         ip -n x -o link show type veth | wc -l; ip netns list | cut -d' ' -f1",
    );
    // The ledger's record of eth0 says where its other end went; the
    // rename changed nothing recorded, so the move is its only change.
    assert_eq!(run.stdout, "1\n\"ns\":\"x\"\n1\n0\nx\n", "{}", run.stderr);
}

#[test]
fn an_end_moved_behind_the_labs_back_goes_by_the_other_end() {
    // eth0 leaves h1 for "x" by another tool: its pair outlives h1, and
    // down removes it by the host end v1 (the pair is the lab's, as when
    // the host end is the one recorded: see below), without waiting for
    // it to go with h1.
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let h1 = netns::add("h1");
link::add_veth("eth0", "v1", #{ netns: h1 });
"#,
    );
    let run = sb.sh("ip netns add x\n\
         netscript lab.rhai || exit 9\n\
         ip -n h1 link set eth0 netns x\n\
         timeout 5 netscript down lab > down.txt 2> warn.txt; echo status=$?\n\
         ip -o link show type veth | wc -l\n\
         ip -n x -o link show type veth | wc -l");
    assert_eq!(run.stdout, "status=0\n0\n0\n", "{}", run.stderr);
    assert_listed(&sb, "veth eth0 (in h1)");
    assert_eq!(sb.read("warn.txt"), "");
}

/// A namespace something holds by a descriptor or a mount (not a
/// process: those are stopped as strays) outlives its name, and with it
/// the lab's veth into it: down removes the veth by its end outside at
/// once (it waited 10 s for that end to go, then left it, with exit 0,
/// and the next run failed with EEXIST).
#[test]
fn a_namespace_held_by_a_descriptor_or_a_mount_does_not_keep_the_labs_veth() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "let r1 = netns::add(\"r1\");\nlink::add_veth(\"eth0\", \"p1\", #{ netns: r1 });\n",
    );
    let run = sb.sh("netscript lab.rhai || exit 9\n\
         sleep 30 9< /run/netns/r1 & holder=$!\n\
         timeout 5 netscript down lab > down.txt; echo status=$?\n\
         ip -o link show type veth | wc -l\n\
         netscript lab.rhai && echo again\n\
         touch m && mount --bind /run/netns/r1 m\n\
         timeout 5 netscript down lab > down2.txt; echo status=$?\n\
         ip -o link show type veth | wc -l\n\
         umount m; kill $holder; wait $holder");
    assert_eq!(
        run.stdout, "status=0\n0\nagain\nstatus=0\n0\n",
        "{}",
        run.stderr
    );
    assert!(sb.read("down.txt").contains("veth eth0 (in r1)"));
    assert!(sb.read("down2.txt").contains("veth eth0 (in r1)"));
}

#[test]
fn a_host_end_whose_namespace_something_else_holds_is_removed_itself() {
    // A process the lab did not start keeps h2 alive past its name: the veth
    // into it stays, so the host end is removed on its own.
    let sb = Sandbox::new();
    sb.file("lab.rhai", BOTH_WAYS);
    let run = sb.sh(&format!(
        "netscript lab.rhai || exit 9\n\
         ip netns exec h2 sleep 30 & holder=$!\n\
         for i in $(seq 100); do [ \"$(readlink /proc/$holder/ns/net)\" = \"$(ip netns exec h2 readlink /proc/self/ns/net)\" ] && break; sleep 0.02; done\n\
         [ $i -lt 100 ] || exit 8\n\
         netscript down lab > down.txt; {LEFT}\n\
         kill $holder; wait $holder"
    ));
    assert_eq!(run.stdout, "veths=0 netns=0\n", "{}", run.stderr);
    assert_listed(&sb, "veth v2 (in host)");
}

#[test]
fn a_host_end_whose_other_end_another_tool_moved_is_removed_itself() {
    // h2's eth0 goes to "x" by `ip`: the pair outlives h2, and down removes
    // the host end v2 itself (which takes the end in x with it).
    let sb = Sandbox::new();
    sb.file("lab.rhai", BOTH_WAYS);
    let run = sb.sh(&format!(
        "ip netns add x\n\
         netscript lab.rhai || exit 9\n\
         ip -n h2 link set eth0 netns x\n\
         netscript down lab > down.txt; {LEFT}\n\
         ip -n x -o link show type veth | wc -l"
    ));
    assert_eq!(run.stdout, "veths=0 netns=1\n0\n", "{}", run.stderr);
    assert_listed(&sb, "veth v2 (in host)");
}

#[test]
fn deleting_either_end_of_a_veth_drops_its_record() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let h1 = netns::add("h1");
let eth0 = link::add_veth("eth0", "v1", #{ netns: h1 });
eth0.peer.del();
"#,
    );
    let run = sb.sh("netscript lab.rhai || exit 9\nnetscript down lab 2>&1");
    assert_eq!(
        run.stdout, "lab \"lab\": removed 1 object\n  - namespace h1\n",
        "{}",
        run.stderr
    );
}

/// The host's own links, made before the lab: keep0 (a port of bridge
/// hbr, down, MTU 1500) and its peer keep1.
const HOST_LINKS: &str = "ip link add hbr type bridge\n\
     ip link add keep0 type veth peer name keep1\n\
     ip link set keep0 master hbr\n\
     ip link set keep1 alias hostside";

/// Each host link's name, flags, MTU and bridge; and whether labbr is up.
const SHOW_HOST: &str = "for l in keep0 keep1; do echo $l $(cat /sys/class/net/$l/flags) \
     $(cat /sys/class/net/$l/mtu) $(basename \"$(readlink /sys/class/net/$l/master)\") \
     $(cat /sys/class/net/$l/ifalias) $(cat /sys/class/net/$l/tx_queue_len) \
     $(cat /sys/class/net/$l/address); done; \
     ls /sys/class/net | grep -c labbr";

/// Changed by the lab (up, MTU, bridge, name, MAC, alias, queue length),
/// the host's own links are put back as they were: by a rollback, and by
/// `down` after a kill -9.
#[test]
fn settings_of_host_links_are_put_back_after_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let k = link::get("keep0");
        k.up();
        k.set_mtu(1400);
        k.set_master(bridge::add("labbr"));
        k.rename("renamed");
        k.set_mac("02:00:00:00:00:99");
        k.set_alias("lab side");
        k.set_txqueuelen(64);
        link::get("keep1").set_alias("");
        link::get("keep1").up();
        link::get("keep1").set_mtu(1500);   // as it was: nothing recorded
        print("ready");
        if ARGS[0] == "fail" { throw "stop"; }
        sleep(30);
        "#,
    );
    let run = sb.sh(&format!(
        "{HOST_LINKS}\n{{ {SHOW_HOST}; }} > before.txt\n\
         netscript lab.rhai fail > /dev/null 2> rollback.txt; echo status=$?\n\
         {{ {SHOW_HOST}; }} > after-rollback.txt\n\
         netscript lab.rhai wait > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         echo $(cat /sys/class/net/renamed/mtu) $(basename \"$(readlink /sys/class/net/renamed/master)\")\n\
         kill -9 $pid; wait $pid 2>/dev/null\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         {{ {SHOW_HOST}; }} > after-down.txt"
    ));
    assert_eq!(
        run.stdout, "status=1\n1400 labbr\ndown=0\n",
        "{}",
        run.stderr
    );
    let before = sb.read("before.txt");
    let mac = |line: &str| line.rsplit(' ').next().unwrap_or_default().to_string();
    let lines: Vec<&str> = before.lines().collect();
    assert!(lines[0].starts_with("keep0 0x1302 1500 hbr "), "{before}");
    assert!(
        lines[1].starts_with("keep1 0x1002 1500 hostside 1000 "),
        "{before}"
    );
    assert_ne!(mac(lines[0]), "02:00:00:00:00:99");
    let rollback = sb.read("rollback.txt");
    assert_eq!(sb.read("after-rollback.txt"), before, "{rollback}");
    let down = sb.read("down.txt");
    assert_eq!(sb.read("after-down.txt"), before, "{down}");
    for said in [
        "name of renamed: keep0 as before (in host)",
        "mtu of keep0: 1500 as before (in host)",
        "bridge of keep0: hbr as before (in host)",
        "state of keep1: down as before (in host)",
        "MAC address of renamed: ",
        "alias of renamed: \"\" as before (in host)",
        "txqueuelen of renamed: 1000 as before (in host)",
        "alias of keep1: \"hostside\" as before (in host)",
    ] {
        assert!(down.contains(said), "{down}");
        assert!(rollback.contains(said), "{rollback}");
    }
    assert!(!down.contains("warning"), "{down}");
}

/// Programs a lab's program left running in its namespaces (a daemon that
/// forked, one that ignores SIGTERM) do not make `exec` and `run` wait for
/// them, and are stopped by `down`, and reported: none keeps a namespace
/// alive after its name is gone.
#[test]
fn down_stops_programs_left_in_the_labs_namespaces() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let r1 = netns::add("r1");
        link::add_veth("eth0", "p1", #{ netns: r1 });
        // Each holds the output pipes open: the calls return all the same.
        let said = r1.exec(["sh", "-c", "sleep 6021 & echo started"]).stdout;
        said.trim();
        print(said);
        r1.run(["sh", "-c", "(trap '' TERM; exec sleep 6022) & echo run"]);
        "#,
    );
    let run = sb.sh("netscript lab.rhai; echo built=$?\n\
         echo running $(pgrep -xfc 'sleep 602[12]')\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         echo running $(pgrep -xfc 'sleep 602[12]') left $(ip -o link show | wc -l)");
    let down = sb.read("down.txt");
    assert_eq!(
        run.stdout, "started\nrun\nbuilt=0\nrunning 2\ndown=0\nrunning 0 left 1\n",
        "{}\ndown said:\n{down}",
        run.stderr
    );
    assert_eq!(down.matches("(sleep) (in r1)").count(), 2, "{down}");
}

/// Sysctls a lab changes in a namespace it did not make (the host's) are
/// put back: by its rollback, and by `down` after a kill -9; a key changed
/// twice gets its first value back.
#[test]
fn sysctls_of_the_host_are_put_back_after_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let h = netns::host();
        h.sysctl("net.ipv4.ip_forward", "1");
        h.sysctl("net.ipv4.ip_forward", "0");
        h.sysctl("net.ipv4.ip_forward", "1");
        h.forwarding(true);
        h.sysctl("net.ipv4.conf.all.rp_filter", "2");
        let r1 = netns::add("r1");
        r1.sysctl("net.ipv4.ip_forward", "1");
        print("ready");
        if ARGS[0] == "fail" { throw "stop"; }
        sleep(30);
        "#,
    );
    let show = "echo $(cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/conf/all/rp_filter)";
    let run = sb.sh(&format!(
        "sysctl -qw net.ipv4.conf.all.rp_filter=1; {show}\n\
         netscript lab.rhai fail > /dev/null 2> rollback.txt; echo status=$?; {show}\n\
         netscript lab.rhai wait > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         {show}; kill -9 $pid; wait $pid 2>/dev/null\n\
         netscript down lab > down.txt 2>&1; echo down=$?; {show}"
    ));
    assert_eq!(
        run.stdout,
        "0 0 1\nstatus=1\n0 0 1\n1 1 2\ndown=0\n0 0 1\n",
        "{}{}",
        run.stderr,
        sb.read("down.txt")
    );
    let down = sb.read("down.txt");
    assert!(
        down.contains("sysctl net.ipv4.ip_forward: 0 as before (in host)"),
        "{down}"
    );
    assert_eq!(
        down.matches("sysctl net.ipv4.ip_forward").count(),
        1,
        "{down}"
    );
    assert!(!down.contains("(in r1)\n  - sysctl"), "{down}");
}

/// A host link the lab moved off its bridge is put back on that bridge
/// only: if the bridge went meanwhile (and another took its name), `down`
/// leaves the link alone and says so.
#[test]
fn a_link_goes_back_only_to_the_bridge_it_left() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "link::get(\"keep0\").set_master(bridge::add(\"labbr\"));\nprint(\"ready\");\nsleep(30);\n",
    );
    let run = sb.sh(&format!(
        "{HOST_LINKS}\n\
         netscript lab.rhai > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         kill -9 $pid; wait $pid 2>/dev/null\n\
         ip link del hbr; ip link add hbr type bridge\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         ls /sys/class/net/hbr/brif | wc -l; test -e /sys/class/net/keep0/master || echo no-master"
    ));
    assert_eq!(run.stdout, "down=0\n0\nno-master\n", "{}", run.stderr);
    let down = sb.read("down.txt");
    assert!(
        down.contains("the bridge it was a port of is gone"),
        "{down}"
    );
}

/// The lab renames a host link, changes it under its new name, and gives
/// its old name to a link of its own: one `down` (or the rollback) puts
/// the old name back once that link is gone, and the change made under
/// the new name too (it took a second `down`).
#[test]
fn a_host_links_old_name_taken_by_a_lab_link_comes_back_in_one_down() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let k = link::get("keep0");
k.rename("renamed");
k.set_mtu(1400);
link::add_veth("keep0", "other");
if ARGS.len() > 0 { throw "roll back"; }
"#,
    );
    let run = sb.sh(
        "ip link add keep0 type veth peer name keep1\n\
         show() { ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d ' \\n'; echo \" $(cat /sys/class/net/keep0/mtu 2>/dev/null)\"; }\n\
         netscript lab.rhai; show\n\
         netscript down lab > down.txt 2> down.err; echo down=$?; show\n\
         netscript lab.rhai fail 2> rollback.err; echo rollback=$?; show",
    );
    assert_eq!(
        run.stdout,
        "lokeep1renamedotherkeep0 1500\n\
         down=0\nlokeep1keep0 1500\n\
         rollback=1\nlokeep1keep0 1500\n",
        "{}\n{}",
        sb.read("down.err"),
        run.stderr
    );
}

/// Two labs that are up both change a setting of the host (ip_forward, a
/// host link's MTU): the first lab's record of what it was counts, a lab
/// that goes while the other is up leaves the setting as it is (and says
/// why), and the last to go puts back what the host had: in either order,
/// and when both go at once.
#[test]
fn a_host_setting_two_labs_changed_comes_back_when_the_last_goes() {
    let sb = Sandbox::new();
    for (name, mtu) in [("a", 1400), ("b", 1300)] {
        sb.file(
            &format!("{name}.rhai"),
            &format!(
                "netns::host().sysctl(\"net.ipv4.ip_forward\", \"1\");\n\
                 link::get(\"keep0\").set_mtu({mtu});\nnetns::add(\"{name}1\");\n"
            ),
        );
    }
    let run = sb.sh(
        "ip link add keep0 type veth peer name keep1\n\
         state() { echo \"$1 $(cat /proc/sys/net/ipv4/ip_forward) $(cat /sys/class/net/keep0/mtu)\"; }\n\
         for order in 'a b' 'b a'; do\n\
           set -- $order\n\
           netscript a.rhai && netscript b.rhai && state both\n\
           netscript down $1 > /dev/null 2>> warn.txt; state \"$2 up\"\n\
           netscript down $2 > /dev/null; state none\n\
         done\n\
         for round in 1 2 3; do\n\
           netscript a.rhai && netscript b.rhai\n\
           netscript down a > /dev/null 2>&1 & netscript down b > /dev/null 2>&1; wait; state together\n\
         done",
    );
    assert_eq!(
        run.stdout,
        "both 1 1300\nb up 1 1300\nnone 0 1500\n\
         both 1 1300\na up 1 1300\nnone 0 1500\n\
         together 0 1500\ntogether 0 1500\ntogether 0 1500\n",
        "{}",
        run.stderr
    );
    let warn = sb.read("warn.txt");
    assert!(
        warn.contains("left as it is: lab \"b\", which is up, changed it too and puts it back")
            && warn.contains("left as it is: lab \"a\", which is up"),
        "{warn}"
    );
}

/// Where the kernel gives no pidfds (before Linux 5.3, or a seccomp
/// profile that forbids pidfd_open: injected here with strace), down still
/// stops the lab's programs, by pid and start time as before pidfds.
#[test]
fn programs_are_stopped_where_the_kernel_gives_no_pidfds() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let r1 = netns::add("r1");
r1.spawn(["sleep", "6031"], #{ detach: true });
netns::host().spawn(["sleep", "6032"], #{ detach: true });
"#,
    );
    let run = sb.sh_own_pids(
        "netscript lab.rhai || exit 9\n\
         pgrep -xfc 'sleep 603[12]'\n\
         strace -f -qq -e trace=pidfd_open -e inject=pidfd_open:error=ENOSYS -o strace.log netscript down lab > down.txt; echo down=$?\n\
         pgrep -xfc 'sleep 603[12]'\n\
         grep -c INJECTED strace.log | grep -qv '^0$' && echo injected",
    );
    assert_eq!(run.stdout, "2\ndown=0\n0\ninjected\n", "{}", run.stderr);
    assert_eq!(sb.read("down.txt").matches("process").count(), 2);
}
