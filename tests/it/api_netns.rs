//! The v1 API against the real kernel — Namespaces: netns::* and Netns handles. Each script checks
//! itself (a thrown error fails the run) and, wherever one exists, an
//! independent oracle read in the same sandbox confirms it: `ip -j`,
//! `ip -n NS -j`, `bridge -j`, `ip netns list`, `/proc`.

#![allow(unused_imports)]

use crate::common::api::*;
use crate::common::{Sandbox, json, script_ok};
use serde_json::Value;

// ---------------------------------------------------------------- netns

#[test]
fn netns_add_get_ensure_exists_and_name() {
    let (sb, _, _) = ok_then(
        r#"
        expect(!netns::exists("r1"), "r1 exists before netns::add");
        let r1 = netns::add("r1");
        expect_eq(type_of(r1), "Netns", "type of a namespace handle");
        expect_eq(r1.name, "r1", "ns.name");
        expect(netns::exists("r1"), "netns::exists after add");
        let g = netns::get("r1");
        expect(g == r1, "netns::get gives the same namespace as add");
        expect_eq(g.name, "r1", "name of a handle from get");
        expect(netns::ensure("r1") == r1, "ensure of an existing namespace reuses it");
        expect(!netns::exists("r2"), "r2 exists before ensure");
        let r2 = netns::ensure("r2");
        expect(netns::exists("r2"), "ensure creates a missing namespace");
        expect_eq(r2.name, "r2", "name from ensure");
        expect(r2 != r1, "r2 != r1");
        expect(netns::ensure("r2") == r2, "ensure twice");
        expect_eq(r1.links().map(|l| l.name), ["lo"], "a new namespace has only lo");
        expect(r1.link("lo").is_up, "netns::add brings lo up");
        let names = netns::list();
        names.sort();
        expect_eq(names, ["r1", "r2"], "netns::list");
        "#,
        "ip netns list > ns.txt\n\
         ip -n r1 -j link > r1.json\n\
         ip -n r2 -j link > r2.json",
    );
    assert_eq!(
        sorted(netns_names(&sb.read("ns.txt"))),
        strings(&["r1", "r2"])
    );
    for ns in ["r1", "r2"] {
        let links = json(&sb.read(&format!("{ns}.json")));
        assert_eq!(ifnames(&links), ["lo"], "{ns}");
        assert!(has_flag(link_named(&links, "lo"), "UP"), "{ns}: {links}");
    }
}

/// From the second `netns::add` on, a namespace is made ahead on a thread
/// of its own (src/sys/netns_spare.rs) and only named by the call. Each is
/// a namespace of its own, made with the lab defaults; while the script
/// runs exactly one waits unnamed, held by netscript alone, and it is the
/// one the next `netns::add` names.
#[test]
fn namespaces_made_ahead_are_distinct_with_lab_defaults_and_used() {
    let (_sb, stdout, oracle) = ok_then(
        r#"
        for i in 1..=6 { netns::add(`n${i}`); }
        // The spare is held by a descriptor once it is made: wait for it.
        // (From a lab namespace: a program run in the host could change
        // what new namespaces copy from it, and the spare would be dropped.)
        let held = netns::get("n1").exec(["sh", "-c", "for i in $(seq 100); do \
            [ $(readlink /proc/$PPID/fd/* | grep '^net:' | sort -u | wc -l) -gt 1 ] && break; sleep 0.05; done; \
            readlink /proc/$PPID/fd/* | grep '^net:' | sort -u"]);
        print(held.stdout);
        netns::add("n7");
        "#,
        "readlink /proc/self/ns/net; \
         for i in 1 2 3 4 5 6 7; do stat -L -c 'net:[%i]' /run/netns/n$i; done; \
         for i in 1 2 3 4 5 6 7; do ip netns exec n$i sysctl -n net.ipv6.conf.default.accept_dad; \
           ip -n n$i -j link show lo; done",
    );
    let lines: Vec<&str> = oracle.lines().filter(|l| !l.is_empty()).collect();
    let host = lines[0];
    let named: std::collections::HashSet<&str> = lines[1..8].iter().copied().collect();
    assert_eq!(named.len(), 7, "seven distinct namespaces: {oracle}");
    assert!(!named.contains(host), "{oracle}");
    for i in 0..7 {
        assert_eq!(lines[8 + 2 * i], "0", "accept_dad in n{}: {oracle}", i + 1);
        let lo = json(lines[9 + 2 * i]);
        assert!(has_flag(&lo[0], "UP"), "lo of n{}: {lo}", i + 1);
    }
    let before_n7: std::collections::HashSet<&str> = lines[1..7].iter().copied().collect();
    let unnamed: Vec<&str> = stdout
        .lines()
        .filter(|ns| ns.starts_with("net:") && *ns != host && !before_n7.contains(ns))
        .collect();
    assert_eq!(
        unnamed,
        [lines[7]],
        "one spare, then named n7: {stdout} / {oracle}"
    );
}

/// `netns::add(name, #{ ipv6: false })`: no IPv6 on lo, nor on a link made
/// in it later, while a namespace made without the option has both.
#[test]
fn a_namespace_without_ipv6_has_no_ipv6_address_on_any_link() {
    let (_sb, _, oracle) = ok_then(
        r#"
        let v4 = netns::add("v4", #{ ipv6: false });
        // Made ahead as the last one was (without IPv6), then one that
        // must not be such a spare, then one that may.
        netns::add("v4b", #{ ipv6: false });
        let both = netns::add("both", #{ ipv6: true });
        netns::add("both2");
        let eth = link::add_veth("eth0", "eth0", #{ netns: v4, peer_netns: both });
        eth.addr_add("10.0.0.1/24");
        eth.up();
        eth.peer.addr_add("10.0.0.2/24");
        eth.peer.up();
        expect(v4.unreachable(["10.0.0.2"]).is_empty(), "IPv4 works without IPv6");
        "#,
        "ip -n v4 -j addr; echo; ip -n both -j addr; echo; ip -n v4b -j addr; echo; ip -n both2 -j addr",
    );
    let lines: Vec<&str> = oracle.lines().filter(|l| !l.is_empty()).collect();
    let (v4, both, v4b, both2) = (lines[0], lines[1], lines[2], lines[3]);
    let families = |text: &str, link: &str| -> Vec<String> {
        let links = json(text);
        link_named(&links, link)["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["family"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(families(v4, "lo"), ["inet"], "{v4}");
    assert_eq!(families(v4, "eth0"), ["inet"], "{v4}");
    assert_eq!(families(both, "lo"), ["inet", "inet6"], "{both}");
    assert_eq!(families(both, "eth0"), ["inet", "inet6"], "{both}");
    assert_eq!(families(v4b, "lo"), ["inet"], "{v4b}");
    assert_eq!(families(both2, "lo"), ["inet", "inet6"], "{both2}");
}

#[test]
fn netns_list_matches_ip_netns_list_in_names_and_order() {
    let (sb, out, _) = ok_then(
        r#"
        for n in ["m", "a", "zz", "b0", "c", "r10", "r9"] { netns::add(n); }
        netns::ensure("a");
        expect_eq(netns::list().len(), 7, "netns::list length");
        for n in netns::list() { print(n); }
        "#,
        "ip netns list > ns.txt",
    );
    let ours: Vec<String> = out.lines().map(String::from).collect();
    assert_eq!(ours, netns_names(&sb.read("ns.txt")));
    assert_eq!(
        sorted(ours),
        strings(&["a", "b0", "c", "m", "r10", "r9", "zz"])
    );
}

#[test]
fn netns_host_is_the_namespace_netscript_started_in() {
    let (_, out, oracle) = ok_then(
        r#"
        let h = netns::host();
        expect_eq(h.name, "host", "netns::host().name");
        expect(h == netns::host(), "host == host");
        expect(h.link("lo").is_up, "host lo is up");
        let v = link::add_veth("a", "b");
        expect(v.netns == h, "a veth made without options is in the host");
        expect_eq(h.links().map(|l| l.name), link::list().map(|l| l.name), "host.links() == link::list()");
        let r1 = netns::add("r1");
        expect(h != r1, "host != r1");
        expect(!netns::list().contains("host"), "the host is not a named namespace");
        print(h.exec("readlink /proc/self/ns/net").stdout);
        "#,
        "readlink /proc/self/ns/net",
    );
    assert_eq!(out.trim(), oracle.trim());
    assert!(out.starts_with("net:["), "{out}");
}

#[test]
fn netns_made_by_ip_netns_add_is_usable() {
    let sb = Sandbox::new();
    sb.file(
        "test.rhai",
        &with_prelude(
            r#"
        expect(netns::exists("x"), "netns::exists on a namespace made by ip");
        expect(netns::list().contains("x"), "netns::list shows it");
        let x = netns::get("x");
        expect_eq(x.name, "x", "name");
        expect(netns::ensure("x") == x, "ensure reuses it");
        expect_eq(x.links().map(|l| l.name), ["lo"], "its links");
        let v = link::add_veth("eth0", "x-eth0", #{ netns: "x" });
        expect_eq(v.netns.name, "x", "veth end created in x");
        v.addr_add("10.5.0.1/24");
        v.up();
        let br = bridge::add("xbr", #{ netns: x });
        let d = link::add_veth("d0", "d1");
        d.set_netns(x);
        expect_eq(x.links().len(), 4, "x's links");
        // Used, not owned: deleting it needs force.
        let e = fails(|| netns::del("x"));
        expect_eq(e.kind, "permission", "del of a namespace netscript did not make");
        expect(e.help.contains("force: true"), `the help says how: ${e.help}`);
        expect_eq(fails(|| x.del()).kind, "permission", "x.del()");
        expect_eq(fails(|| x.del(#{ forse: true })).kind, "invalid", "a misspelt option");
        expect(netns::exists("x"), "x is still there");
        "#,
        ),
    );
    let run = sb.sh("ip netns add x\n\
         netscript test.rhai || exit 9\n\
         ip -n x -j -d link > x.json\n\
         ip -n x -j addr show dev eth0 > x-addr.json\n\
         ip -j link > host.json");
    run.success();
    let x = json(&sb.read("x.json"));
    assert_eq!(sorted(ifnames(&x)), strings(&["d0", "eth0", "lo", "xbr"]));
    assert!(has_flag(link_named(&x, "eth0"), "UP"), "{x}");
    assert_eq!(link_named(&x, "xbr")["linkinfo"]["info_kind"], "bridge");
    let addr = json(&sb.read("x-addr.json"));
    assert_eq!(cidrs(&addr[0]), ["10.5.0.1/24"]);
    assert_eq!(
        sorted(ifnames(&json(&sb.read("host.json")))),
        strings(&["d1", "lo", "x-eth0"])
    );
}

/// Forced, a namespace of another tool's goes (by name or by handle),
/// and only that one.
#[test]
fn a_namespace_netscript_did_not_make_is_deleted_when_forced() {
    let sb = Sandbox::new();
    sb.file(
        "test.rhai",
        &with_prelude(
            r#"
        netns::del("y", #{ force: true });
        netns::get("z").del(#{ force: true });
        netns::add("mine").del(#{ force: false });
        expect_eq(netns::list(), ["keep"], "what is left");
        "#,
        ),
    );
    let run = sb.sh("for n in y z keep; do ip netns add $n; done
         netscript test.rhai || exit 9
         ip netns list | cut -d' ' -f1");
    run.success();
    assert_eq!(
        run.stdout,
        "keep
"
    );
}

#[test]
fn netns_errors_are_catchable_maps_with_kind_message_errno() {
    ok(r#"
        let r1 = netns::add("r1");
        let e = fails(|| netns::add("r1"));
        expect_eq(type_of(e), "map", "a caught netscript error is a map");
        for k in ["kind", "message", "errno", "help"] { expect(k in e, `the error has no ${k}: ${e}`); }
        expect_eq(e.kind, "exists", "kind of add of an existing name");
        expect_eq(e.errno, 17, "errno of add of an existing name (EEXIST)");
        expect(e.message.contains("\"r1\""), `the message names r1: ${e.message}`);

        let e = fails(|| netns::get("nope"));
        expect_eq(e.kind, "not_found", "kind of get of a missing namespace");
        expect(e.message.contains("nope"), `the message names nope: ${e.message}`);
        for k in ["kind", "message", "errno", "help"] { expect(k in e, `the error has no ${k}: ${e}`); }

        expect_eq(fails(|| netns::del("nope")).kind, "not_found", "del of a missing namespace");
        expect(!netns::exists("nope"), "failed calls create nothing");
        expect_eq(netns::list(), ["r1"], "failed calls create nothing");
        "#);
}

#[test]
fn netns_del_by_name_and_by_handle() {
    let (sb, _, _) = ok_then(
        r#"
        netns::add("r1");
        let r2 = netns::add("r2");
        netns::add("r3");
        netns::del("r1");
        expect(!netns::exists("r1"), "r1 after netns::del");
        r2.del();
        expect(!netns::exists("r2"), "r2 after ns.del()");
        expect_eq(fails(|| netns::get("r2")).kind, "not_found", "get of a deleted namespace");
        expect_eq(fails(|| r2.del()).kind, "not_found", "deleting twice");
        expect_eq(netns::list(), ["r3"], "list after the deletes");
        let again = netns::add("r1");
        expect_eq(again.links().map(|l| l.name), ["lo"], "a re-created namespace is fresh");
        "#,
        "ip netns list > ns.txt; ls -A /run/netns > dir.txt",
    );
    assert_eq!(
        sorted(netns_names(&sb.read("ns.txt"))),
        strings(&["r1", "r3"])
    );
    assert_eq!(
        sorted(sb.read("dir.txt").lines().map(String::from).collect()),
        strings(&["r1", "r3"])
    );
}

#[test]
fn deleting_a_namespace_removes_the_other_ends_of_its_veths() {
    let (sb, _, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        let r3 = netns::add("r3");
        link::add_veth("eth0", "r1-eth0", #{ netns: r1 });
        let m = link::add_veth("m0", "r2-eth0");
        m.set_netns(r2);
        link::add_veth("k1", "k2", #{ netns: r3, peer_netns: r1 });
        expect_eq(link::list().map(|l| l.name), ["lo", "r1-eth0", "r2-eth0"], "host links before");
        expect_eq(r3.links().map(|l| l.name), ["lo", "k1"], "r3 links before");
        netns::del("r1");
        expect_eq(link::list().map(|l| l.name), ["lo", "r2-eth0"], "r1's veth peer is gone from the host");
        expect_eq(r3.links().map(|l| l.name), ["lo"], "r1's veth peer is gone from r3");
        r2.del();
        expect_eq(link::list().map(|l| l.name), ["lo"], "r2's (moved) veth peer is gone from the host");
        "#,
        "ip -j link > host.json; ip -n r3 -j link > r3.json; ip netns list > ns.txt",
    );
    assert_eq!(ifnames(&json(&sb.read("host.json"))), ["lo"]);
    assert_eq!(ifnames(&json(&sb.read("r3.json"))), ["lo"]);
    assert_eq!(netns_names(&sb.read("ns.txt")), ["r3"]);
}

/// Handles held in constants (`const`, `global::X` inside a function, a
/// module's variables) take every method: none changes the handle itself.
#[test]
fn handles_in_constants_take_methods_and_properties() {
    let (_, _, oracle) = ok_then(
        r#"
        const R1 = netns::add("r1");
        const V = link::add_veth("eth0", "veth1", #{ netns: R1 });
        fn wire() {
            global::V.addr_add("10.0.0.1/24");
            global::V.up();
            global::V.peer.up();
            global::R1.sysctl("net.ipv4.ip_forward", 1);
            global::V.rename("e0");
        }
        wire();
        expect_eq(V.name, "e0", "a renamed constant handle follows the link");
        expect(global::R1.ping("10.0.0.1"), "ping from a constant namespace handle");
        expect_eq(R1.sysctl("net.ipv4.ip_forward"), "1", "sysctl through a constant");
        const P = R1.spawn("sleep 5");
        expect(P.alive, "a constant process handle");
        P.kill();
        const T = after(10, || print("never"));
        T.cancel();
        "#,
        "ip -n r1 -4 -j addr show dev e0",
    );
    let addrs = json(&oracle);
    assert_eq!(cidrs(&addrs[0]), ["10.0.0.1/24"]);
}
