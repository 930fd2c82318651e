//! Bad input never reaches beyond the lab: sysctl keys stay inside
//! /proc/sys/net, deleting a namespace entry never unmounts anything else,
//! odd names create nothing, stale handles refuse to act, and a sandbox
//! leaves no process running.

use crate::common::Sandbox;

#[test]
fn sysctl_keys_cannot_leave_the_network_tree() {
    let sb = Sandbox::new();
    let run = sb.script(
        r#"
        for key in ["net.//.kernel.hostname", "net./.x", "kernel.hostname", "net.ipv4.", "net..x"] {
            try { netns::host().sysctl(key); throw `read ${key}`; } catch (e) {
                if e.kind != "invalid" { throw `${key}: ${e}`; }
            }
        }
        print("ok");
        "#,
    );
    assert_eq!(run.stdout, "ok\n", "{}", run.stderr);
}

#[test]
fn deleting_a_symlinked_entry_unmounts_nothing() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        netns::add("real");
        print(netns::exists("evil"));
        netns::del("evil");
        netns::del("alias", #{ force: true });
        let names = netns::list();
        names.sort();
        print(names.reduce(|all, n| if all == () { n } else { `${all} ${n}` }));
        print(netns::get("real").name);
        "#,
    );
    let run = sb.sh(
        "mkdir -p /tmp/ns-target && mount -t tmpfs nstest /tmp/ns-target\n\
         ln -s /tmp/ns-target /run/netns/evil\n\
         ip netns add real0 && ln -s /run/netns/real0 /run/netns/alias\n\
         netscript lab.rhai; echo status=$?\n\
         grep -c ' /tmp/ns-target ' /proc/self/mountinfo\n\
         ip netns exec real0 true && echo real0-still-mounted",
    );
    assert_eq!(
        run.stdout, "true\nreal real0\nreal\nstatus=0\n1\nreal0-still-mounted\n",
        "{}",
        run.stderr
    );
}

#[test]
fn names_the_kernel_would_rewrite_are_refused_and_nothing_is_created() {
    let sb = Sandbox::new();
    let (run, oracle) = sb.script_then(
        r#"
        for pair in [["v%d", "p%d"], ["a\x00b", "c"], ["ok", "this-is-too-long-for-linux"]] {
            try { link::add_veth(pair[0], pair[1]); throw "created"; } catch (e) {
                if e.kind != "invalid" { throw `${pair}: ${e}`; }
            }
        }
        try { bridge::add("br%d"); throw "created"; } catch (e) { print(e.kind); }
        "#,
        "ip -br link show | awk '{print $1}'",
    );
    run.success();
    assert_eq!(run.stdout, "invalid\n");
    assert_eq!(oracle.trim(), "lo");
}

#[test]
fn a_handle_never_acts_on_a_recreated_namespace() {
    let sb = Sandbox::new();
    let (run, oracle) = sb.script_then(
        r#"
        let r1 = netns::add("r1");
        let old = link::add_veth("a", "b", #{ netns: r1, peer_netns: r1 });
        netns::del("r1");
        let again = netns::add("r1");
        link::add_veth("x", "y", #{ netns: again, peer_netns: again });
        try { old.del(); throw "acted"; } catch (e) { print(e.kind); print(e.message); }
        "#,
        "ip -n r1 -br link show | awk '{print $1}' | sort | tr '\\n' ' '",
    );
    run.success();
    assert_eq!(
        run.stdout,
        "not_found\ncannot use link #3: its namespace \"r1\" was deleted (the one of that name now is a new one)\n"
    );
    assert_eq!(oracle.trim(), "lo x@y y@x");
}

#[test]
fn a_sandbox_stops_the_processes_its_script_left_running() {
    let sb = Sandbox::new();
    sb.file(
        "bg.rhai",
        r#"
        let r1 = netns::add("r1");
        r1.exec(["sh", "-c", "sleep 6071 >/dev/null 2>&1 </dev/null &"]);
        print(netns::host().exec(["ps", "-e", "-o", "args"]).stdout.contains("sleep 6071"));
        "#,
    );
    // The program runs while the script does, and is gone once netscript
    // has exited (the sandbox's PID 1 takes every process in it along).
    let run = sb.sh_own_pids(
        "netscript --sandbox bg.rhai; echo left=$(ps -e -o args | grep -c '^sleep 6071')",
    );
    assert_eq!(run.stdout, "true\nleft=0\n", "{}", run.stderr);
}

#[test]
fn exit_inside_a_closure_keeps_its_status() {
    let sb = Sandbox::new();
    let run = sb.script("[1].map(|v| exit(7));\nprint(\"not reached\");\n");
    assert_eq!(
        (run.status, run.stdout.as_str(), run.stderr.as_str()),
        (7, "", "")
    );
}

#[test]
fn sandbox_flag_after_the_script_is_refused() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\n");
    let run = sb.sh("netscript lab.rhai x --sandbox; echo status=$?; ip netns list | wc -l");
    assert_eq!(run.stdout, "status=2\n0\n");
    assert!(
        run.stderr
            .contains("put it first: netscript --sandbox FILE"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_internal_panic_is_reported_as_a_bug_after_rolling_back() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "let r1 = netns::add(\"r1\");\nlink::add_veth(\"v0\", \"v1\", #{ peer_netns: r1 });\ntest_panic();\n",
    );
    let run = sb.sh(
        "NETSCRIPT_TEST_PANIC=1 netscript lab.rhai; echo status=$?; \
         ip netns list | wc -l; ip -o link show | wc -l",
    );
    // Only lo is left, no namespace, and the run says it failed as a bug.
    assert_eq!(run.stdout, "status=70\n0\n1\n", "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "netscript::internal\n\n  × internal error: a deliberate panic for a test (at src/api/mod.rs:"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("this is a bug in netscript"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back lab \"lab\": 2 removed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked at"), "{}", run.stderr);
}

#[test]
fn links_netscript_did_not_make_are_only_deleted_or_moved_with_force() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let r1 = netns::add("r1");
let theirs = link::get("eth9");
for f in [|| theirs.del(), || theirs.set_netns(r1), || theirs.peer.del()] {
    try { f.call(); print("changed"); } catch (e) { print(`${e.kind}: ${e.message}`); }
}
// Its own links (and anything in its namespaces) need no force.
link::add_veth("mine", "mine-peer").peer.del();
link::add_veth("inside", "inside-peer", #{ netns: r1 }).peer.set_netns(r1);
r1.link("inside").del();
theirs.set_netns(r1, #{ force: true });
print(theirs.netns.name);
"#,
    );
    let run = sb.sh(
        "ip link add eth9 type veth peer name eth9-peer; netscript lab.rhai; echo status=$?; \
         ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr '\\n' ' '; echo; \
         ip -n r1 -o link show | cut -d: -f2 | cut -d@ -f1 | tr '\\n' ' '",
    );
    assert_eq!(
        run.stdout,
        "permission: cannot delete link \"eth9\" in namespace \"host\": netscript did not create it\n\
         permission: cannot move link \"eth9\" in namespace \"host\": netscript did not create it\n\
         permission: cannot delete link \"eth9-peer\" in namespace \"host\": netscript did not create it\n\
         r1\nstatus=0\n lo  eth9-peer \n lo  eth9 ",
        "{}",
        run.stderr
    );
}

/// The same for settings: an address, route or rule that no lab added,
/// in a namespace no lab made, is deleted only with force (no rollback
/// would put it back); the lab's own, and anything in its namespaces, need
/// none.
#[test]
fn settings_netscript_did_not_make_are_only_deleted_with_force() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
let host = netns::host();
let theirs = link::get("eth9");
for f in [
    || theirs.addr_del("10.9.0.1/24"),
    || host.route_del("10.50.0.0/16", #{ dev: "eth9" }),
    || host.rule_del(#{ from: "10.7.0.0/16", table: 7 }),
] {
    try { f.call(); print("deleted"); } catch (e) { print(`${e.kind}: ${e.message}`); }
}
theirs.addr_add("10.9.1.1/24");
theirs.addr_del("10.9.1.1/24");
host.route_add("10.51.0.0/16", #{ dev: "eth9" });
host.route_del("10.51.0.0/16", #{ dev: "eth9" });
let br = bridge::add("br9");
br.addr_add("10.53.0.1/24");
br.up();
host.route_add("10.54.0.0/16", #{ via: "10.53.0.2" });
host.route_del("10.54.0.0/16", #{ dev: br });
host.route_del("10.53.0.0/24", #{ dev: br });
let r1 = netns::add("r1");
r1.route_add("10.52.0.0/16", #{ type: "blackhole" });
r1.route_del("10.52.0.0/16", #{ type: "blackhole" });
host.route_del("10.50.0.0/16", #{ dev: "eth9", force: true });
theirs.addr_del("10.9.0.1/24", #{ force: true });
host.rule_del(#{ from: "10.7.0.0/16", table: 7, force: true });
print("forced");
"#,
    );
    let run = sb.sh(
        "ip link add eth9 type veth peer name eth9-peer; ip link set eth9 up\n\
         ip addr add 10.9.0.1/24 dev eth9; ip route add 10.50.0.0/16 dev eth9\n\
         ip rule add from 10.7.0.0/16 lookup 7\n\
         netscript --rm lab.rhai; echo status=$?\n\
         ip -o addr show dev eth9 | grep -c 10.9; ip route | grep -c 10.5; ip rule | grep -c 10.7",
    );
    assert_eq!(
        run.stdout,
        "permission: cannot delete address 10.9.0.1/24 from eth9 in namespace \"host\": netscript did not make it\n\
         permission: cannot delete route 10.50.0.0/16 in namespace \"host\": netscript did not make it\n\
         permission: cannot delete rule \"from 10.7.0.0/16 lookup 7\" in namespace \"host\": netscript did not make it\n\
         forced\nstatus=0\n0\n0\n0\n",
        "{}",
        run.stderr
    );
}

#[test]
fn names_cannot_escape_run_netns_or_the_ledger_directory() {
    let sb = Sandbox::new();
    // A victim outside /run (the sandbox shares the machine's /tmp) and one
    // inside it, next to /run/netns.
    let victim = sb.path().join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    let rel = format!("../..{}", victim.display());
    for (i, call) in [
        format!("netns::add({rel:?})"),
        format!("netns::del({rel:?})"),
        format!("netns::ensure({rel:?})"),
        format!("netns::attach({rel:?}, 1)"),
        "netns::add(\"../victim\")".to_string(),
        "netns::del(\"../victim\")".to_string(),
        "netns::attach(\"../victim\", 1)".to_string(),
        "netns::del(\"..\")".to_string(),
    ]
    .iter()
    .enumerate()
    {
        sb.file(&format!("escape{i}.rhai"), &format!("{call};\n"));
    }
    let run = sb.sh("echo 'keep me' > /run/victim; \
         for f in escape*.rhai; do netscript $f 2>/dev/null; echo -n \"$? \"; done; echo; \
         for lab in ../escape a/b .hidden ''; do \
             netscript --lab \"$lab\" escape0.rhai 2>/dev/null; echo -n \"$? \"; done; echo; \
         cat /run/victim; ls -A /run | tr '\\n' ' '; echo; ls -A /run/netns | wc -l");
    // /run/netscript is netscript's own: a run takes its lab's lock there
    // before it starts.
    assert_eq!(
        run.stdout, "1 1 1 1 1 1 1 1 \n2 2 2 2 \nkeep me\nmount netns netscript victim \n0\n",
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert_eq!(
        std::fs::read_dir(sb.path()).unwrap().count(),
        9,
        "nothing new in the test dir"
    );
}

#[test]
fn a_lab_past_the_kernels_namespace_limit_fails_cleanly_and_rolls_back() {
    let sb = Sandbox::new();
    sb.file("many.rhai", "for i in 0..100000 { netns::add(`n${i}`); }\n");
    // Root of a user namespace of the test's own, whose namespace limit is
    // 20: the kernel says no at the 20th (the shell's own counts too).
    let run = sb.sh("unshare --user --map-root-user --net --mount sh -c '\
           echo 20 > /proc/sys/user/max_net_namespaces && \
           mount -t tmpfs tmpfs /run && mkdir /run/netns && \
           netscript - < many.rhai; echo status=$?; ls -A /run/netns | wc -l'");
    assert_eq!(run.stdout, "status=1\n0\n", "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot create namespace \"n19\": no space left on device (ENOSPC)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sysctl user.max_net_namespaces"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back lab \"stdin\": 19 removed"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_namespace_deleted_by_someone_else_fails_the_next_call_that_uses_it() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "let r1 = netns::add(\"r1\");\nlet eth = link::add_veth(\"eth0\", \"v1\", #{ netns: r1 });\n\
         netns::host().run(\"ip netns del r1\");\neth.up();\n",
    );
    // The kernel frees the namespace (and the veth with it) once netscript,
    // which still held it, has exited: wait for that, up to 5 s.
    let run = sb.sh("netscript lab.rhai; echo status=$?; \
         for i in $(seq 50); do [ $(ip -o link show | wc -l) = 1 ] && break; sleep 0.1; done; \
         ip -o link show | wc -l");
    assert_eq!(run.stdout, "status=1\n1\n", "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "netscript::not_found\n\n  × cannot use link #2: its namespace \"r1\" was deleted"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_kept_lab_does_not_vouch_for_a_namespace_that_only_has_its_name() {
    let sb = Sandbox::new();
    sb.file("keep.rhai", "let r1 = netns::add(\"r1\");\nlink::add_veth(\"x\", \"y\", #{ netns: r1, peer_netns: r1 });\n");
    sb.file(
        "del.rhai",
        "try { netns::get(\"r1\").link(\"x\").del(); print(\"deleted\"); } catch (e) { print(e.kind); }\n",
    );
    // The kept lab's ledger names r1, but r1 is now another namespace.
    let run = sb.sh(
        "netscript keep.rhai && ip netns del r1 && ip netns add r1 && \
         ip -n r1 link add x type veth peer name y && netscript del.rhai; \
         ip -n r1 -o link show | wc -l",
    );
    assert_eq!(run.stdout, "permission\n3\n", "{}", run.stderr);
}

#[test]
fn overlong_namespace_and_lab_names_are_refused_and_create_nothing() {
    let sb = Sandbox::new();
    for len in [254, 255, 256] {
        sb.file(
            &format!("ns{len}.rhai"),
            &format!("netns::add({:?});\n", "n".repeat(len)),
        );
    }
    sb.file("lab.rhai", "netns::add(\"r1\");\n");
    let (long, longest) = ("l".repeat(200), "l".repeat(201));
    // Namespace names of 255 bytes (netscript allows 254) and 256 (past
    // NAME_MAX, too long for any path component), and a lab name past 200
    // bytes, fail before anything is made; the longest allowed work.
    let run = sb.sh(&format!(
        "for f in ns256 ns255; do netscript $f.rhai 2> $f.err; echo -n \"$? \"; done; \
         netscript --lab {longest} lab.rhai 2> lab.err; echo $?; \
         ls -A /run/netns | wc -l; ls -A /run/netscript 2> /dev/null | wc -l; \
         netscript ns254.rhai && netscript --lab {long} lab.rhai && \
         for d in /run/netns /run/netscript; do echo $(ls $d | awk '{{print length}}' | sort -n); done"
    ));
    assert_eq!(run.stdout, "1 1 2\n0\n0\n2 254\n10 205\n", "{}", run.stderr);
    for err in ["ns255.err", "ns256.err"] {
        let text = sb.read(err);
        assert!(text.starts_with("netscript::invalid\n"), "{err}: {text}");
        // The report wraps its message: compare it word by word.
        let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "│").collect();
        assert!(
            words
                .join(" ")
                .contains("as a namespace name: the name is longer than 254 bytes"),
            "{err}: {text}"
        );
    }
    assert_eq!(
        sb.read("lab.err"),
        format!(
            "netscript: cannot use \"{longest}\" as a lab name: a lab name is at most 200 bytes\n  \
             help: give --lab a name like bridge-lab\n"
        )
    );
}

/// `--trace` prints commands that can be pasted into a shell: a hostile
/// name is quoted, so pasting the trace makes the same objects and runs
/// nothing else.
#[test]
fn the_trace_quotes_hostile_names() {
    let sb = Sandbox::new();
    sb.file(
        "hostile.rhai",
        r#"
        let r = netns::add("x;echo INJECTED");
        let v = link::add_veth("a$(id)", "b`id`", #{ netns: r });
        v.up();
        "#,
    );
    let run = sb.sh(
        "netscript --trace --rm hostile.rhai 2> trace.txt; echo status=$?\n\
         grep -v '^#' trace.txt | grep -v '^tore down\\|^  - ' > pasted.sh\n\
         bash pasted.sh 2>&1; echo pasted=$?\n\
         ip netns list; ip -n 'x;echo INJECTED' -o link show | cut -d: -f2 | cut -d@ -f1",
    );
    assert!(
        run.stdout.starts_with("status=0\npasted=0\n"),
        "{}\n{}",
        run.stdout,
        sb.read("trace.txt")
    );
    assert!(!run.stdout.contains("\nINJECTED\n"), "{}", run.stdout);
    assert!(run.stdout.contains("x;echo INJECTED"), "{}", run.stdout);
    assert!(
        run.stdout.contains(" a$(id)"),
        "{}\n{}",
        run.stdout,
        sb.read("trace.txt")
    );
}
