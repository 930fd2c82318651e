//! The v1 API against the real kernel — Links: properties, methods, veth options, bridges. Each script checks
//! itself (a thrown error fails the run) and, wherever one exists, an
//! independent oracle read in the same sandbox confirms it: `ip -j`,
//! `ip -n NS -j`, `bridge -j`, `ip netns list`, `/proc`.

#![allow(unused_imports)]

use crate::common::api::*;
use crate::common::{Sandbox, json, script_ok};
use serde_json::Value;

// ------------------------------------------------------ link properties

#[test]
fn link_properties_match_ip_link() {
    let (sb, out, _) = ok_then(
        r#"
        fn show(l) {
            let p = l.peer;
            let peer = if p == () { "" } else { p.name };
            `${l.name}|${l.index}|${l.kind}|${l.mtu}|${l.mac}|${l.is_up}|${l.state}|${l.master}|${l.netns.name}|${peer}`
        }
        let r1 = netns::add("r1");
        let br = bridge::add("br0");
        let a = link::add_veth("a", "b");
        a.set_mtu(1400);
        a.peer.set_master(br);
        a.up();
        let e = link::add_veth("eth0", "r1-eth0", #{ netns: r1 });
        e.up();
        e.peer.up();
        for l in link::list() { print(show(l)); }
        for l in r1.links() { print(show(l)); }
        "#,
        "ip -j -d link > host.json; ip -n r1 -j -d link > r1.json",
    );
    let host = json(&sb.read("host.json"));
    let r1 = json(&sb.read("r1.json"));
    let mut seen = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 10, "{line}");
        let oracle = match f[8] {
            "host" => &host,
            "r1" => &r1,
            other => panic!("unexpected namespace {other}: {line}"),
        };
        let l = link_named(oracle, f[0]);
        assert_eq!(f[1], l["ifindex"].to_string(), "index: {line}\n{l}");
        let kind = if l["link_type"] == "loopback" {
            "loopback"
        } else {
            l["linkinfo"]["info_kind"].as_str().unwrap()
        };
        assert_eq!(f[2], kind, "kind: {line}\n{l}");
        assert_eq!(f[3], l["mtu"].to_string(), "mtu: {line}\n{l}");
        assert_eq!(f[4], l["address"].as_str().unwrap(), "mac: {line}\n{l}");
        assert_eq!(f[5], has_flag(l, "UP").to_string(), "is_up: {line}\n{l}");
        assert_eq!(f[6], l["operstate"].as_str().unwrap(), "state: {line}\n{l}");
        assert_eq!(
            f[7],
            l["master"].as_str().unwrap_or(""),
            "master: {line}\n{l}"
        );
        let peer = match f[0] {
            "a" => "b",
            "b" => "a",
            "eth0" => "r1-eth0",
            "r1-eth0" => "eth0",
            _ => "",
        };
        assert_eq!(f[9], peer, "peer: {line}");
        seen.push(format!("{}/{}", f[8], f[0]));
    }
    // link::list() and ns.links() show every link, in ip's (index) order.
    let mut expected: Vec<String> = ifnames(&host).iter().map(|n| format!("host/{n}")).collect();
    expected.extend(ifnames(&r1).iter().map(|n| format!("r1/{n}")));
    assert_eq!(seen, expected);
    // And the values are the ones the script set up.
    let line = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{name}|")))
            .unwrap()
            .split('|')
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(line("a")[3], "1400");
    assert_eq!(line("a")[2], "veth");
    assert_eq!(line("a")[6], "LOWERLAYERDOWN");
    assert_eq!(line("b")[7], "br0");
    assert_eq!(line("b")[5], "false");
    assert_eq!(line("br0")[2], "bridge");
    assert_eq!(line("br0")[5], "false");
    assert_eq!(line("eth0")[6], "UP");
    assert_eq!(line("eth0")[8], "r1");
    assert_eq!(line("lo")[2], "loopback");
    assert_eq!(line("lo")[1], "1");
    assert_eq!(line("a")[4].len(), 17);
}

#[test]
fn link_get_list_and_ns_link_links_match_ip_link() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        bridge::add("br0");
        link::add_veth("a", "b");
        link::add_veth("x", "y", #{ netns: r1, peer_netns: r1 });
        let lo = link::get("lo");
        expect_eq(lo.index, 1, "lo index");
        expect_eq(lo.kind, "loopback", "lo kind");
        expect_eq(type_of(lo), "Link", "type of a link handle");
        expect(link::get("a") == link::get("b").peer, "link::get(a) == b.peer");
        expect(netns::host().link("a") == link::get("a"), "host.link == link::get");
        expect(r1.link("x") == r1.link("y").peer, "r1.link(x) == y.peer");
        expect_eq(r1.link("x").netns.name, "r1", "ns.link gives a link in that namespace");

        let e = fails(|| link::get("x"));
        expect_eq(e.kind, "not_found", "link::get of a link that is only in r1");
        expect(`${e.message} ${e.help}`.contains("r1"), `the error names r1, where x is: ${e}`);
        let e = fails(|| r1.link("a"));
        expect_eq(e.kind, "not_found", "r1.link of a host link");
        expect(`${e.message} ${e.help}`.contains("host"), `the error names the host, where a is: ${e}`);
        expect_eq(fails(|| link::get("ghost")).kind, "not_found", "link::get of nothing");
        expect_eq(fails(|| r1.link("ghost")).kind, "not_found", "ns.link of nothing");

        for l in link::list() { print(`host ${l.name} ${l.index}`); }
        for l in r1.links() { print(`r1 ${l.name} ${l.index}`); }
        "#,
        "ip -j link > host.json; ip -n r1 -j link > r1.json",
    );
    for ns in ["host", "r1"] {
        let oracle = json(&sb.read(&format!("{ns}.json")));
        let expected: Vec<String> = items(&oracle)
            .iter()
            .map(|l| format!("{} {}", l["ifname"].as_str().unwrap(), l["ifindex"]))
            .collect();
        assert_eq!(tagged(&out, &format!("{ns} ")), expected, "{ns}");
    }
    assert_eq!(
        sorted(ifnames(&json(&sb.read("r1.json")))),
        strings(&["lo", "x", "y"])
    );
}

#[test]
fn handles_compare_and_print() {
    let out = ok(r#"
        let r1 = netns::add("r1");
        let l = link::add_veth("eth0", "p0", #{ netns: r1 });
        expect_eq(`${r1}`, "Netns(\"r1\")", "Netns in a string");
        expect_eq(r1.to_string(), "Netns(\"r1\")", "Netns to_string");
        expect_eq(r1.to_debug(), "Netns(\"r1\")", "Netns to_debug");
        expect_eq(netns::host().to_string(), "Netns(\"host\")", "host to_string");
        expect_eq(`${l}`, "Link(\"eth0\" in r1)", "Link in a string");
        expect_eq(l.to_string(), "Link(\"eth0\" in r1)", "Link to_string");
        expect_eq(l.to_debug(), "Link(\"eth0\" in r1)", "Link to_debug");
        expect_eq(l.peer.to_string(), "Link(\"p0\" in host)", "peer to_string");

        expect(r1 == netns::get("r1"), "Netns ==");
        expect(!(r1 != netns::get("r1")), "Netns != of the same");
        expect(r1 != netns::host(), "Netns !=");
        expect(!(r1 == netns::host()), "Netns == of different");
        expect(l == r1.link("eth0"), "Link ==");
        expect(!(l != r1.link("eth0")), "Link != of the same");
        expect(l != l.peer, "Link !=");
        expect(!(l == l.peer), "Link == of different");
        expect(r1.link("lo") != netns::host().link("lo"), "lo in two namespaces are different links");
        expect(r1.link("lo") == r1.link("lo"), "lo == lo");
        print(l);
        print(r1);
        "#);
    assert_eq!(out, "Link(\"eth0\" in r1)\nNetns(\"r1\")\n");
}

// ------------------------------------------------------ link methods

#[test]
fn up_down_is_up_and_state_follow_the_kernel() {
    let (sb, _, _) = ok_then(
        r#"
        let l = link::add_veth("a", "b");
        let p = l.peer;
        expect(!l.is_up, "a new veth is down");
        expect_eq(l.state, "DOWN", "state of a new veth");
        l.up();
        expect(l.is_up, "is_up after up()");
        expect_eq(l.state, "LOWERLAYERDOWN", "state while the peer is down");
        p.up();
        expect(p.is_up, "peer is_up");
        expect_eq(l.state, "UP", "state with both ends up");
        expect_eq(p.state, "UP", "peer state with both ends up");
        l.up();
        expect(l.is_up, "up() twice");
        l.down();
        expect(!l.is_up, "is_up after down()");
        expect_eq(l.state, "DOWN", "state after down()");
        expect_eq(p.state, "LOWERLAYERDOWN", "peer state after down()");
        l.down();
        expect(!l.is_up, "down() twice");
        let r1 = netns::add("r1");
        let e = link::add_veth("eth0", "p1", #{ netns: r1 });
        e.up();
        expect(e.is_up, "up() in another namespace");
        "#,
        "ip -j link > host.json; ip -n r1 -j link > r1.json",
    );
    let host = json(&sb.read("host.json"));
    let a = link_named(&host, "a");
    assert!(!has_flag(a, "UP"), "{a}");
    assert_eq!(a["operstate"], "DOWN", "{a}");
    let b = link_named(&host, "b");
    assert!(has_flag(b, "UP"), "{b}");
    assert_eq!(b["operstate"], "LOWERLAYERDOWN", "{b}");
    assert!(!has_flag(link_named(&host, "p1"), "UP"));
    let r1 = json(&sb.read("r1.json"));
    assert!(has_flag(link_named(&r1, "eth0"), "UP"), "{r1}");
}

#[test]
fn rename_is_followed_by_the_handle_and_its_copies() {
    let (sb, _, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let l = link::add_veth("veth1.1", "veth1.2", #{ netns: r1 });
        let copy = l;
        let idx = l.index;
        l.rename("eth0");
        expect_eq(l.name, "eth0", "name after rename");
        expect_eq(copy.name, "eth0", "a copy made before the rename follows it");
        expect_eq(l.index, idx, "rename keeps the index");
        expect(r1.link("eth0") == l, "r1.link(new name) == the handle");
        expect_eq(fails(|| r1.link("veth1.1")).kind, "not_found", "the old name is gone");
        copy.rename("wan0");
        expect_eq(l.name, "wan0", "the original follows a rename through the copy");
        expect_eq(l.peer.peer.name, "wan0", "peer.peer after rename");
        let h = link::add_veth("h0", "h1");
        let e = fails(|| h.rename("h1"));
        expect_eq(e.kind, "exists", "rename onto a taken name");
        expect_eq(h.name, "h0", "a failed rename keeps the name");
        h.peer.rename("hpeer");
        expect_eq(h.peer.name, "hpeer", "rename of a peer");
        "#,
        "ip -j link > host.json; ip -n r1 -j link > r1.json",
    );
    assert_eq!(
        sorted(ifnames(&json(&sb.read("r1.json")))),
        strings(&["lo", "wan0"])
    );
    assert_eq!(
        sorted(ifnames(&json(&sb.read("host.json")))),
        strings(&["h0", "hpeer", "lo", "veth1.2"])
    );
}

#[test]
fn set_mtu_matches_ip_link() {
    let (sb, _, _) = ok_then(
        r#"
        let l = link::add_veth("a", "b");
        expect_eq(l.mtu, 1500, "mtu of a new veth");
        l.set_mtu(9000);
        expect_eq(l.mtu, 9000, "mtu after set_mtu");
        expect_eq(l.peer.mtu, 1500, "set_mtu changes only that end");
        l.peer.set_mtu(1280);
        expect_eq(l.peer.mtu, 1280, "peer mtu");
        expect_eq(fails(|| l.set_mtu(10)).kind, "invalid", "an MTU the kernel refuses");
        expect_eq(fails(|| l.set_mtu(-1)).kind, "invalid", "a negative MTU");
        expect_eq(l.mtu, 9000, "failed set_mtu changes nothing");
        let br = bridge::add("br0");
        br.set_mtu(1400);
        expect_eq(br.mtu, 1400, "bridge mtu");
        "#,
        "ip -j link > host.json",
    );
    let host = json(&sb.read("host.json"));
    assert_eq!(link_named(&host, "a")["mtu"], 9000);
    assert_eq!(link_named(&host, "b")["mtu"], 1280);
    assert_eq!(link_named(&host, "br0")["mtu"], 1400);
}

/// `set_mac` as `ip link` shows it, bad addresses refused changing
/// nothing; `carrier` and `stats()` as `ip -j -s link` reports them.
#[test]
fn set_mac_carrier_and_stats_match_ip_link() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        let a = link::add_veth("a", "b", #{ netns: r1, peer_netns: r2 });
        a.set_mac("02:00:00:00:0A:01");
        expect_eq(a.mac, "02:00:00:00:0a:01", "mac after set_mac");
        for bad in ["01:00:5e:00:00:01", "02:00:00:00:00", "02:00:00:00:00:zz", ""] {
            let e = fails(|| a.set_mac(bad));
            expect_eq(e.kind, "invalid", `kind for ${bad}`);
        }
        expect_eq(a.mac, "02:00:00:00:0a:01", "a refused set_mac changes nothing");
        a.addr_add("10.0.0.1/24");
        a.peer.addr_add("10.0.0.2/24");
        a.up();
        expect(!a.carrier, "no carrier while the peer is down");
        a.peer.up();
        expect(a.carrier, "carrier once both ends are up");
        expect(r1.ping("10.0.0.2"), "the ping goes through");
        let s = a.stats();
        expect_eq(s.keys().len(), 8, `eight counters: ${s}`);
        print(s.tx_packets);
        print(s.rx_packets);
        "#,
        "ip -n r1 -j -s link show dev a > a.json; ip -n r2 -j link show dev b > b.json",
    );
    let a = &json(&sb.read("a.json"))[0];
    assert_eq!(a["address"], "02:00:00:00:0a:01", "{a}");
    assert!(items(&a["flags"]).iter().any(|f| f == "LOWER_UP"), "{a}");
    // The counters netscript read, against ip's read right after (nothing
    // else sends on this pair but the kernel's own IPv6 chatter, so ip's
    // are at least as high).
    let mut said = out.lines().map(|l| l.parse::<u64>().unwrap());
    let (tx, rx) = (said.next().unwrap(), said.next().unwrap());
    let stats = &a["stats64"];
    assert!(tx >= 1 && rx >= 1, "{out}");
    assert!(stats["tx"]["packets"].as_u64().unwrap() >= tx, "{stats}");
    assert!(stats["rx"]["packets"].as_u64().unwrap() >= rx, "{stats}");
}

/// A bridge's forwarding database as `bridge -j fdb show br` lists it:
/// its ports' own addresses, the addresses learned from a ping across it,
/// and its own entries (`self`); a port's `fdb()` is its part of that.
#[test]
fn fdb_of_a_bridge_matches_bridge_fdb_show() {
    let (sb, out, _) = ok_then(
        r#"
        let h1 = netns::add("h1");
        let h2 = netns::add("h2");
        let br = bridge::add("br0");
        br.up();
        let a = link::add_veth("eth0", "p1", #{ netns: h1 });
        let b = link::add_veth("eth0", "p2", #{ netns: h2 });
        for l in [a, b] { l.peer.set_master(br); l.peer.up(); l.up(); }
        a.addr_add("10.0.0.1/24");
        b.addr_add("10.0.0.2/24");
        expect(h1.ping("10.0.0.2"), "the ping crosses the bridge");
        let all = br.fdb();
        let learned = all.filter(|e| e.state == "learned").map(|e| `${e.mac} ${e.dev}`);
        expect(learned.contains(`${a.mac} p1`) && learned.contains(`${b.mac} p2`), `both hosts learned: ${all}`);
        expect(all.filter(|e| e.state == "permanent" && !("self" in e)).len() == 2, `the ports' own: ${all}`);
        expect_eq(a.peer.fdb().filter(|e| e.dev != "p1"), [], "a port's entries are its own");
        for e in all.filter(|e| !("self" in e)) { print(`${e.mac} ${e.dev} ${e.state}`); }
        "#,
        "bridge -j fdb show br br0 > fdb.json",
    );
    let mut ours: Vec<String> = out.lines().map(str::to_string).collect();
    ours.sort();
    let mut theirs: Vec<String> = items(&json(&sb.read("fdb.json")))
        .iter()
        .filter(|e| {
            !e["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x == "self"))
        })
        .map(|e| {
            let state = match e["state"].as_str() {
                Some("permanent") => "permanent",
                Some("static") => "static",
                _ => "learned",
            };
            format!(
                "{} {} {state}",
                e["mac"].as_str().unwrap(),
                e["ifname"].as_str().unwrap()
            )
        })
        .collect();
    theirs.sort();
    // Read right after netscript's: within the ageing time (300 s) no
    // learned entry goes away.
    assert_eq!(ours, theirs, "{out}");
}

#[test]
fn set_netns_by_handle_by_name_and_back_to_host_and_handles_follow() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        // r1 already uses indexes 2 and 3, so the moved link gets a new one.
        link::add_veth("i1", "i2", #{ netns: r1, peer_netns: r1 });
        let l = link::add_veth("veth1.1", "veth1.2");
        let copy = l;
        let peer = l.peer;
        l.set_netns(r1);
        expect_eq(l.netns.name, "r1", "netns after set_netns(Netns)");
        expect_eq(copy.netns.name, "r1", "a copy made before the move follows it");
        expect(l.netns == r1, "l.netns == r1");
        expect(r1.link("veth1.1") == copy, "r1.link finds the moved link");
        expect_eq(l.index, r1.link("veth1.1").index, "index after a renumbering move");
        expect_eq(fails(|| link::get("veth1.1")).kind, "not_found", "the link left the host");
        expect(peer.peer == l, "the host end's peer follows the move");
        expect_eq(peer.peer.netns.name, "r1", "peer.peer.netns");
        copy.set_netns("r2");
        expect_eq(l.netns.name, "r2", "set_netns by name, seen through the original");
        expect(r2.link("veth1.1") == l, "r2.link finds it");
        l.rename("eth0");
        expect_eq(copy.name, "eth0", "rename after a move, seen through the copy");
        l.set_netns("host");
        expect_eq(copy.netns.name, "host", "set_netns(\"host\")");
        expect(link::get("eth0") == l, "back in the host");
        copy.set_netns(r1);
        l.up();
        expect(copy.is_up, "up() after moves");
        expect_eq(fails(|| l.set_netns("nope")).kind, "not_found", "move to a missing namespace");
        expect_eq(l.netns.name, "r1", "a failed move leaves the link where it was");
        link::add_veth("eth0", "x0", #{ netns: r2 });
        expect_eq(fails(|| l.set_netns(r2)).kind, "exists", "move onto a taken name");
        expect_eq(l.netns.name, "r1", "a refused move leaves the link where it was");
        print(`index ${l.index}`);
        "#,
        "ip -j link > host.json; ip -n r1 -j link > r1.json; ip -n r2 -j link > r2.json",
    );
    let r1 = json(&sb.read("r1.json"));
    assert_eq!(sorted(ifnames(&r1)), strings(&["eth0", "i1", "i2", "lo"]));
    let eth0 = link_named(&r1, "eth0");
    assert!(has_flag(eth0, "UP"), "{eth0}");
    assert_eq!(tagged(&out, "index "), [eth0["ifindex"].to_string()]);
    assert_eq!(
        sorted(ifnames(&json(&sb.read("r2.json")))),
        strings(&["eth0", "lo"])
    );
    assert_eq!(
        sorted(ifnames(&json(&sb.read("host.json")))),
        strings(&["lo", "veth1.2", "x0"])
    );
}

#[test]
fn add_veth_options_create_each_end_in_its_namespace() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        let a = link::add_veth("eth0", "eth0", #{ netns: r1, peer_netns: "r2" });
        expect_eq(type_of(a), "Link", "add_veth returns a Link");
        expect_eq(a.kind, "veth", "kind");
        expect_eq(a.netns.name, "r1", "netns option (Netns)");
        expect_eq(a.peer.netns.name, "r2", "peer_netns option (name)");
        expect(a.peer.peer == a, "peer.peer == the original across namespaces");
        let b = link::add_veth("b0", "b1", #{ peer_netns: r1 });
        expect_eq(b.netns.name, "host", "netns defaults to the host");
        expect_eq(b.peer.netns.name, "r1", "peer_netns alone");
        let c = link::add_veth("c0", "c1", #{ netns: "r2", peer_netns: r2 });
        expect_eq(c.netns.name, "r2", "netns by name");
        expect_eq(c.peer.netns.name, "r2", "both ends in one namespace");
        let d = link::add_veth("d0", "d1", #{ netns: r1 });
        expect_eq(d.peer.netns.name, "host", "peer_netns defaults to the host");
        let e = link::add_veth("e0", "e1");
        expect_eq(e.netns.name, "host", "no options: host");
        expect_eq(e.peer.name, "e1", "peer name");
        expect_eq(e.peer.netns.name, "host", "no options: peer in the host");
        let err = fails(|| link::add_veth("x0", "x1", #{ nets: r1 }));
        expect_eq(err.kind, "invalid", "an unknown option key");
        expect(err.message.contains("nets"), `the message names the key: ${err.message}`);
        expect_eq(fails(|| link::add_veth("x0", "x1", #{ netns: "nope" })).kind, "not_found", "a missing namespace");
        expect_eq(fails(|| link::add_veth("e0", "x1")).kind, "exists", "a taken name");
        expect(!link::list().map(|l| l.name).contains("x1"), "failed calls leave nothing");
        print(`b1 ${b.peer.index}`);
        "#,
        "ip -j -d link > host.json; ip -n r1 -j -d link > r1.json; ip -n r2 -j -d link > r2.json",
    );
    let host = json(&sb.read("host.json"));
    let r1 = json(&sb.read("r1.json"));
    let r2 = json(&sb.read("r2.json"));
    assert_eq!(
        sorted(ifnames(&host)),
        strings(&["b0", "d1", "e0", "e1", "lo"])
    );
    assert_eq!(sorted(ifnames(&r1)), strings(&["b1", "d0", "eth0", "lo"]));
    assert_eq!(sorted(ifnames(&r2)), strings(&["c0", "c1", "eth0", "lo"]));
    for ns in [&host, &r1, &r2] {
        for l in items(ns) {
            if l["ifname"] != "lo" {
                assert_eq!(l["linkinfo"]["info_kind"], "veth", "{l}");
            }
        }
    }
    // Same-namespace peers are named by ip; b0's peer is b1 in r1.
    assert_eq!(link_named(&host, "e0")["link"], "e1");
    assert_eq!(link_named(&r2, "c0")["link"], "c1");
    let b0 = link_named(&host, "b0");
    assert!(b0.get("link_netnsid").is_some(), "{b0}");
    assert_eq!(tagged(&out, "b1 "), [b0["link_index"].to_string()]);
    assert_eq!(link_named(&r1, "b1")["ifindex"], b0["link_index"], "{b0}");
}

#[test]
fn peer_across_namespaces_and_of_other_kinds() {
    ok(r#"
        let r1 = netns::add("r1");
        let v = link::add_veth("a", "b", #{ peer_netns: r1 });
        let p = v.peer;
        expect_eq(p.name, "b", "peer name");
        expect_eq(p.netns.name, "r1", "peer netns");
        expect(p.peer == v, "peer.peer == original");
        expect_eq(p.peer.name, "a", "peer.peer.name");
        expect_eq(p.peer.netns.name, "host", "peer.peer.netns");
        expect(v.peer.peer.peer == p, "peer three times");
        p.set_netns("host");
        expect_eq(v.peer.netns.name, "host", "peer after the peer moved");
        v.set_netns(r1);
        expect(v.peer == p, "peer after the original moved");
        expect(p.peer == v, "peer.peer after the original moved");
        p.rename("c");
        expect_eq(v.peer.name, "c", "peer after a rename");
        expect(bridge::add("br0").peer == (), "a bridge has no peer");
        expect(link::get("lo").peer == (), "lo has no peer");
        expect(r1.link("lo").peer == (), "lo in r1 has no peer");
        "#);
}

#[test]
fn set_master_by_link_and_by_name_and_nomaster() {
    let (sb, _, _) = ok_then(
        r#"
        let br = bridge::add("br0");
        let br1 = bridge::add("br1");
        br.up();
        let p1 = link::add_veth("p1", "q1");
        let p2 = link::add_veth("p2", "q2");
        let p3 = link::add_veth("p3", "q3");
        expect_eq(p1.master, (), "no master at first");
        p1.set_master(br);
        expect_eq(p1.master, "br0", "set_master(Link)");
        expect_eq(type_of(p1.master), "string", "master is a name");
        p2.set_master("br1");
        expect_eq(p2.master, "br1", "set_master(name)");
        p2.set_master("br0");
        expect_eq(p2.master, "br0", "moved to another bridge");
        p3.set_master(br1);
        p3.nomaster();
        expect_eq(p3.master, (), "after nomaster");
        p3.nomaster();
        expect_eq(p3.master, (), "nomaster of a free link");
        expect_eq(fails(|| p3.set_master("nosuch")).kind, "not_found", "a missing bridge");
        let r1 = netns::add("r1");
        let rb = bridge::add("rb", #{ netns: r1 });
        expect_eq(fails(|| p3.set_master(rb)).kind, "invalid", "a bridge in another namespace");
        expect_eq(p3.master, (), "failed set_master changes nothing");
        let e = link::add_veth("eth0", "x", #{ netns: r1 });
        e.set_master("rb");
        expect_eq(e.master, "rb", "set_master by name inside a namespace");
        expect_eq(fails(|| e.set_master("br0")).kind, "not_found", "a bridge name is looked up in the link's namespace");
        expect_eq(e.master, "rb", "failed set_master keeps the bridge");
        p1.up();
        p1.peer.up();
        "#,
        "ip -j link > host.json; ip -n r1 -j link > r1.json; bridge -j link show > ports.json",
    );
    let host = json(&sb.read("host.json"));
    assert_eq!(link_named(&host, "p1")["master"], "br0");
    assert_eq!(link_named(&host, "p2")["master"], "br0");
    assert!(link_named(&host, "p3").get("master").is_none());
    assert!(link_named(&host, "q1").get("master").is_none());
    let r1 = json(&sb.read("r1.json"));
    assert_eq!(link_named(&r1, "eth0")["master"], "rb");
    let ports = json(&sb.read("ports.json"));
    let mut names: Vec<String> = items(&ports)
        .iter()
        .map(|p| p["ifname"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["p1", "p2"]);
    // The doc promises a port forwards as soon as it is up and enslaved.
    let p1 = items(&ports).iter().find(|p| p["ifname"] == "p1").unwrap();
    assert_eq!(p1["state"], "forwarding", "{p1}");
}

#[test]
fn addr_add_addrs_and_addr_del_match_ip_addr() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        let l = link::add_veth("eth0", "eth0", #{ netns: r1, peer_netns: r2 });
        expect_eq(l.addrs(), [], "no addresses at first");
        l.addr_add("10.0.0.1/24");
        l.addr_add("10.0.1.1/24");
        l.addr_add("192.0.2.7");
        l.addr_add("2001:db8::1/64");
        l.addr_add("2001:db8:5::5");
        let a = l.addrs();
        expect_eq(a.len(), 5, `addresses: ${a}`);
        expect(a.contains("192.0.2.7/32"), `a bare IPv4 address is a /32: ${a}`);
        expect(a.contains("2001:db8:5::5/128"), `a bare IPv6 address is a /128: ${a}`);
        expect_eq(a[0], "10.0.0.1/24", "IPv4 first");
        l.up();
        l.peer.up();
        expect(l.addrs().some(|x| x.starts_with("fe80:")), `a link-local address once up: ${l.addrs()}`);
        l.addr_del("10.0.1.1/24");
        l.addr_del("2001:db8:5::5");
        l.addr_del("192.0.2.7");
        expect(!l.addrs().contains("10.0.1.1/24"), "addr_del of IPv4");
        expect(!l.addrs().contains("2001:db8:5::5/128"), "addr_del of IPv6");
        expect_eq(fails(|| l.addr_del("10.9.9.9/24")).kind, "not_found", "addr_del of an address it lacks");
        expect_eq(fails(|| l.addr_add("10.0.0.1/24")).kind, "exists", "addr_add twice");
        expect_eq(fails(|| l.addr_add("10.0.0.300/24")).kind, "invalid", "a bad address");
        expect_eq(fails(|| l.addr_add("10.0.0.3/33")).kind, "invalid", "a bad prefix length");
        let p = l.peer;
        p.addr_add("10.0.0.2/24");
        p.addr_add("2001:db8::2/64");
        let h = link::add_veth("h0", "h1");
        h.addr_add("172.16.0.1/16");
        h.addr_add("172.17.0.1/16");
        h.addr_del("172.16.0.1/16");
        for x in l.addrs() { print(`r1 ${x}`); }
        for x in p.addrs() { print(`r2 ${x}`); }
        for x in h.addrs() { print(`host ${x}`); }
        "#,
        "ip -n r1 -j addr show dev eth0 > r1.json\n\
         ip -n r2 -j addr show dev eth0 > r2.json\n\
         ip -j addr show dev h0 > host.json",
    );
    for ns in ["r1", "r2", "host"] {
        let oracle = json(&sb.read(&format!("{ns}.json")));
        assert_eq!(
            tagged(&out, &format!("{ns} ")),
            cidrs(&oracle[0]),
            "{ns}: {oracle}"
        );
    }
    let r1: Vec<String> = tagged(&out, "r1 ");
    assert_eq!(r1[..2], strings(&["10.0.0.1/24", "2001:db8::1/64"]));
    assert_eq!(r1.len(), 3, "{r1:?}");
    assert!(r1[2].starts_with("fe80:"), "{r1:?}");
    assert_eq!(tagged(&out, "host "), ["172.17.0.1/16"]);
}

#[test]
fn ipv6_addresses_are_usable_at_once() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        let a = link::add_veth("eth0", "eth0", #{ netns: r1, peer_netns: r2 });
        let b = a.peer;
        a.addr_add("2001:db8:1::1/64");
        b.addr_add("2001:db8:1::2/64");
        a.up();
        b.up();
        expect(r1.ping("2001:db8:1::2"), "ping6 r1 -> r2 right after up()");
        expect(r2.ping("2001:db8:1::1"), "ping6 r2 -> r1");
        for x in a.addrs() { print(`r1 ${x}`); }
        for x in b.addrs() { print(`r2 ${x}`); }
        "#,
        "ip -n r1 -j addr > r1.json; ip -n r2 -j addr > r2.json",
    );
    for ns in ["r1", "r2"] {
        let oracle = json(&sb.read(&format!("{ns}.json")));
        let eth0 = link_named(&oracle, "eth0");
        let mut scopes = Vec::new();
        for a in items(&eth0["addr_info"]) {
            // Neither the global nor the link-local address waits for DAD.
            assert!(a.get("tentative").is_none(), "{ns}: tentative: {a}");
            assert!(a.get("dadfailed").is_none(), "{ns}: dadfailed: {a}");
            scopes.push(a["scope"].as_str().unwrap().to_string());
        }
        assert_eq!(scopes, ["global", "link"], "{ns}: {eth0}");
        assert_eq!(tagged(&out, &format!("{ns} ")), cidrs(eth0), "{ns}");
    }
}

#[test]
fn link_del_removes_both_ends() {
    let (sb, _, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let l = link::add_veth("a", "b");
        let copy = l;
        let p = l.peer;
        l.del();
        expect_eq(link::list().map(|x| x.name), ["lo"], "both ends of a veth go");
        expect_eq(fails(|| copy.name).kind, "not_found", "a handle on a deleted link");
        expect_eq(fails(|| p.up()).kind, "not_found", "the peer's handle");
        expect_eq(fails(|| l.del()).kind, "not_found", "deleting twice");
        let x = link::add_veth("x0", "x1", #{ peer_netns: r1 });
        x.peer.del();
        expect_eq(link::list().map(|x| x.name), ["lo"], "deleting the far end removes the host end");
        let br = bridge::add("br0", #{ netns: r1 });
        br.del();
        expect_eq(r1.links().map(|x| x.name), ["lo"], "a bridge in a namespace");
        bridge::add("br1").del();
        "#,
        "ip -j link > host.json; ip -n r1 -j link > r1.json",
    );
    assert_eq!(ifnames(&json(&sb.read("host.json"))), ["lo"]);
    assert_eq!(ifnames(&json(&sb.read("r1.json"))), ["lo"]);
}

#[test]
fn a_link_handle_into_a_deleted_namespace_reports_not_found() {
    // A handle whose link went away with its namespace is like one whose
    // link was deleted: "not_found" (not an I/O error).
    ok(r#"
        let r1 = netns::add("r1");
        let l = link::add_veth("eth0", "p0", #{ netns: r1 });
        netns::del("r1");
        let e = fails(|| l.name);
        expect_eq(e.kind, "not_found", `l.name after its namespace was deleted (${e.message})`);
        let e = fails(|| l.up());
        expect_eq(e.kind, "not_found", `l.up() after its namespace was deleted (${e.message})`);
        "#);
}

// ---------------------------------------------------------------- bridge

#[test]
fn bridge_add_starts_down_and_can_be_made_in_a_namespace() {
    let (sb, _, _) = ok_then(
        r#"
        let br = bridge::add("br0");
        expect_eq(type_of(br), "Link", "bridge::add returns a Link");
        expect_eq(br.kind, "bridge", "kind");
        expect(!br.is_up, "a new bridge is down");
        expect_eq(br.state, "DOWN", "state of a new bridge");
        expect_eq(br.netns.name, "host", "netns");
        let up = bridge::add("br-up");
        up.up();
        expect(up.is_up, "a bridge after up()");
        let r1 = netns::add("r1");
        let b1 = bridge::add("br1", #{ netns: r1 });
        expect_eq(b1.netns.name, "r1", "netns option as a Netns");
        expect(!b1.is_up, "down in a namespace too");
        let b2 = bridge::add("br2", #{ netns: "r1" });
        expect(r1.link("br2") == b2, "netns option as a name");
        expect_eq(fails(|| link::get("br1")).kind, "not_found", "not in the host");
        let e = fails(|| bridge::add("bx", #{ color: "red" }));
        expect_eq(e.kind, "invalid", "an unknown option key");
        expect(e.message.contains("color"), `the message names the key: ${e.message}`);
        expect_eq(fails(|| bridge::add("br0")).kind, "exists", "a taken name");
        expect_eq(fails(|| bridge::add("bx", #{ netns: "nope" })).kind, "not_found", "a missing namespace");
        "#,
        "ip -j -d link > host.json; ip -n r1 -j -d link > r1.json",
    );
    let host = json(&sb.read("host.json"));
    assert_eq!(sorted(ifnames(&host)), strings(&["br-up", "br0", "lo"]));
    let br0 = link_named(&host, "br0");
    assert_eq!(br0["linkinfo"]["info_kind"], "bridge");
    assert!(!has_flag(br0, "UP"), "{br0}");
    assert!(has_flag(link_named(&host, "br-up"), "UP"));
    let r1 = json(&sb.read("r1.json"));
    assert_eq!(sorted(ifnames(&r1)), strings(&["br1", "br2", "lo"]));
    for name in ["br1", "br2"] {
        let b = link_named(&r1, name);
        assert_eq!(b["linkinfo"]["info_kind"], "bridge", "{b}");
        assert!(!has_flag(b, "UP"), "{b}");
    }
}

#[test]
fn macvlan_is_created_directly_in_its_namespace() {
    let sb = Sandbox::new();
    let (run, oracle) = sb.script_then(
        r#"
        let r1 = netns::add("r1");
        let up = link::add_veth("uplink", "uplink-peer");
        let a = link::add_macvlan(up, "bridge", #{ netns: r1, name: "eth0" });
        let b = link::add_macvlan(up, "private");
        print(`${a.name} ${a.netns.name} ${b.name} ${b.netns.name}`);
        try { link::add_macvlan(up, "sideways"); } catch (e) { print(e.kind); }
        "#,
        "ip -n r1 -j -d link show eth0 > r1.json; ip -j -d link show macvlan0 > host.json",
    );
    run.success();
    assert_eq!(run.stdout, "eth0 r1 macvlan0 host\ninvalid\n");
    let _ = oracle;
    let r1 = json(&sb.read("r1.json"));
    assert_eq!(r1[0]["linkinfo"]["info_kind"], "macvlan");
    assert_eq!(r1[0]["linkinfo"]["info_data"]["mode"], "bridge");
    let host = json(&sb.read("host.json"));
    assert_eq!(host[0]["linkinfo"]["info_data"]["mode"], "private");
}

#[test]
fn vxlan_is_created_with_its_settings_and_deleted() {
    let (sb, stdout, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let u = link::add_veth("u0", "u1", #{ netns: r1 });
        u.addr_add("192.0.2.1/24");
        let a = link::add_vxlan("vx42", #{ id: 42, local: "192.0.2.1", remote: "192.0.2.2", dev: u });
        expect_eq(a.kind, "vxlan", "kind");
        expect_eq(a.netns.name, "r1", "created where its underlay device is");
        let b = link::add_vxlan("vx7", #{ id: 7, remote: "2001:db8::2", port: 8472 });
        expect_eq(b.netns.name, "host", "default namespace");
        let c = link::add_vxlan("vx9", #{ id: 16777215, remote: "239.1.1.1", dev: link::get("u1"), netns: r1 });
        expect_eq(c.netns.name, "r1", "moved into netns, socket beside its dev");
        link::add_vxlan("vx8", #{ id: 8 }).del();
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 16777216 })).kind, "invalid", "a VNI of 25 bits");
        expect_eq(fails(|| link::add_vxlan("bad", #{ remote: "192.0.2.2" })).kind, "invalid", "no id");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, remote: "192.0.2" })).kind, "invalid", "a bad address");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, local: "192.0.2.1", remote: "2001:db8::1" })).kind, "invalid", "mixed families");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, port: 70000 })).kind, "invalid", "a port past 65535");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, dev: "u0" })).kind, "invalid", "dev must be a link");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, vni: 3 })).kind, "invalid", "an unknown option");
        expect_eq(fails(|| link::add_vxlan("vx7", #{ id: 5 })).kind, "exists", "a taken name");
        print("ok");
        "#,
        "ip -n r1 -j -d link show vx42 > a.json; ip -j -d link show vx7 > b.json; \
         ip -n r1 -j -d link show vx9 > c.json; ip -j link show > host.json",
    );
    assert_eq!(stdout, "ok\n");
    let a = &json(&sb.read("a.json"))[0]["linkinfo"];
    assert_eq!(a["info_kind"], "vxlan", "{a}");
    assert_eq!(a["info_data"]["id"], 42, "{a}");
    assert_eq!(a["info_data"]["local"], "192.0.2.1", "{a}");
    assert_eq!(a["info_data"]["remote"], "192.0.2.2", "{a}");
    assert_eq!(a["info_data"]["link"], "u0", "{a}");
    assert_eq!(a["info_data"]["port"], 4789, "{a}");
    let b = &json(&sb.read("b.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(b["id"], 7, "{b}");
    assert_eq!(b["remote6"], "2001:db8::2", "{b}");
    assert_eq!(b["port"], 8472, "{b}");
    let c = &json(&sb.read("c.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(c["id"], 16777215, "{c}");
    assert_eq!(c["group"], "239.1.1.1", "{c}");
    let host = ifnames(&json(&sb.read("host.json")));
    assert!(!host.contains(&"vx8".to_string()), "deleted: {host:?}");
    assert!(
        !host.iter().any(|n| n == "bad"),
        "nothing half-built: {host:?}"
    );
}

/// A VXLAN end's kernel settings, set by `add_vxlan` and read back by
/// `l.info()`, agree with `ip -d link`; so do the details of a bridge, a
/// macvlan and a veth, and a link's alias and queue length.
#[test]
fn link_details_read_back_as_ip_d_link_shows_them() {
    let (sb, stdout, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let u = link::add_veth("u0", "u1", #{ netns: r1 });
        let vx = link::add_vxlan("vx0", #{ id: 42, remote: "192.0.2.2", learning: false, ttl: 8, tos: 16,
                                           srcport: [4000, 5000], udpcsum: true, ageing: 60, proxy: true });
        let g = link::add_vxlan("vxg", #{ id: 7, group: "239.1.1.1", dev: u });
        let br = bridge::add("br0", #{ stp: true, ageing: 30 });
        let mv = link::add_macvlan(link::get("u1"), "private", #{ name: "mv0" });
        u.set_alias("uplink; to \"r2\"");
        u.set_txqueuelen(64);
        for l in [vx, g, br, mv, u] {
            let i = l.info();
            let keys = i.keys().filter(|k| !["name", "index", "mac", "peer", "carrier", "state", "up", "mtu", "master"].contains(k));
            keys.sort();
            let line = `${i.name}:`;
            for k in keys { line += ` ${k}=${i[k]}`; }
            print(line);
        }
        expect_eq(u.info().peer, link::get("u1"), "a veth's peer");
        expect_eq(link::get("u1").info().peer.netns.name, "r1", "the peer's namespace");
        expect_eq(u.alias, "uplink; to \"r2\"", "alias");
        expect_eq(u.txqueuelen, 64, "txqueuelen");
        u.set_alias("");
        expect_eq(u.alias, "", "alias removed");
        let long = ""; long.pad(255, 'x');
        u.set_alias(long);
        expect_eq(u.alias.len(), 255, "a 255-byte alias");
        long += "x";
        expect_eq(fails(|| u.set_alias(long)).kind, "invalid", "an alias past 255 bytes");
        u.set_alias("");
        expect_eq(fails(|| u.set_txqueuelen(-1)).kind, "invalid", "a negative queue length");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, group: "10.0.0.1", dev: u })).kind, "invalid", "a group that is not multicast");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, group: "239.1.1.1" })).kind, "invalid", "a group without dev");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, group: "239.1.1.1", remote: "192.0.2.2", dev: u })).kind, "invalid", "group and remote");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, srcport: [5000, 4000] })).kind, "invalid", "a backwards range");
        expect_eq(fails(|| link::add_vxlan("bad", #{ id: 1, learning: "no" })).kind, "invalid", "learning is a bool");
        "#,
        "ip -j -d link show vx0 > vx0.json; ip -n r1 -j -d link show vxg > vxg.json; \
         ip -j -d link show br0 > br0.json; ip -j -d link show mv0 > mv0.json; ip -j link show > host.json",
    );
    assert_eq!(
        stdout,
        "vx0: ageing=60 alias= id=42 kind=vxlan learning=false port=4789 proxy=true remote=192.0.2.2 \
         srcport=[4000, 5000] tos=16 ttl=8 txqueuelen=1000 udpcsum=true\n\
         vxg: ageing=300 alias= group=239.1.1.1 id=7 kind=vxlan learning=true port=4789 proxy=false \
         tos=0 ttl=0 txqueuelen=1000 udpcsum=true\n\
         br0: ageing=30 alias= kind=bridge mcast_querier=false mcast_snooping=true stp=true txqueuelen=1000 vlan_filtering=false\n\
         mv0: alias= kind=macvlan mode=private txqueuelen=1000\n\
         u0: alias=uplink; to \"r2\" kind=veth txqueuelen=64\n"
    );
    let vx = &json(&sb.read("vx0.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(vx["learning"], false, "{vx}");
    assert_eq!(vx["ttl"], 8, "{vx}");
    assert_eq!(vx["tos"], "0x10", "{vx}");
    assert_eq!(vx["port_range"]["low"], 4000, "{vx}");
    assert_eq!(vx["port_range"]["high"], 5000, "{vx}");
    assert_eq!(vx["ageing"], 60, "{vx}");
    assert_eq!(vx["proxy"], true, "{vx}");
    assert_eq!(vx["udp_csum"], true, "{vx}");
    let g = &json(&sb.read("vxg.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(g["group"], "239.1.1.1", "{g}");
    assert_eq!(g["link"], "u0", "{g}");
    let br = &json(&sb.read("br0.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(br["stp_state"], 1, "{br}");
    assert_eq!(br["ageing_time"], 3000, "{br}");
    let mv = &json(&sb.read("mv0.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(mv["mode"], "private", "{mv}");
    let host = ifnames(&json(&sb.read("host.json")));
    assert!(
        !host.iter().any(|n| n == "bad"),
        "nothing half-built: {host:?}"
    );
}

#[test]
fn shape_limits_a_transfer_and_reads_back_like_tc() {
    let (sb, _, oracle) = ok_then(
        r#"
        let a = netns::add("a");
        let b = netns::add("b");
        let ea = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
        let eb = ea.peer;
        ea.addr_add("10.0.0.1/24");
        eb.addr_add("10.0.0.2/24");
        ea.up();
        eb.up();
        b.run(["sh", "-c", "mkdir -p www && head -c 262144 /dev/zero > www/big"]);
        let server = b.spawn(["busybox", "httpd", "-f", "-p", "8080", "-h", "www"]);
        wait_until(|| b.listening().len() > 0, 5);
        let get = || {
            let t = timestamp();
            let r = a.fetch("http://10.0.0.2:8080/big", #{ timeout: 10 });
            expect_eq(r.body.len(), 262144, "the whole file");
            t.elapsed
        };
        let fast = get.call();
        eb.shape(#{ rate: "2mbit" });      // what b sends: the response
        expect_eq(eb.qdisc().kind, "tbf", "shaped");
        let slow = get.call();
        // 256 KiB is 2.1 Mbit: about a second at 2 mbit/s.
        expect(slow > 0.8 && slow < 3.0, `at 2mbit the transfer took ${slow} s`);
        expect(fast < 0.5, `unshaped it took ${fast} s`);
        eb.shape(#{ rate: "100mbit", burst: "64kb", latency: "10ms" });
        expect_eq(eb.qdisc(), #{ kind: "tbf", rate: "100mbit", burst: 65536, limit: 190536 }, "changed in place");
        expect(get.call() < 0.5, "fast again at 100mbit");
        eb.clear_qdisc();
        eb.clear_qdisc();
        expect_eq(eb.qdisc(), #{ kind: "noqueue" }, "cleared");
        eb.shape(#{ rate: "5mbit", latency: "20ms" });
        expect_eq(fails(|| eb.shape(#{ rate: "fast" })).kind, "invalid", "a rate without a number");
        expect_eq(fails(|| eb.shape(#{ rate: "10 parsecs" })).kind, "invalid", "an unknown unit");
        expect_eq(fails(|| eb.shape(#{ rate: "10tbit" })).kind, "invalid", "past 8tbit");
        expect_eq(fails(|| eb.shape(#{ burst: "32kb" })).kind, "invalid", "no rate");
        expect_eq(fails(|| eb.shape(#{ rate: "1mbit", burst: "100b" })).kind, "invalid", "a burst below one frame");
        expect_eq(fails(|| eb.shape(#{ rate: "1mbit", latency: "2h" })).kind, "invalid", "a latency past an hour");
        expect_eq(fails(|| eb.shape(#{ rate: "1mbit", latency: "5ms", limit: "10kb" })).kind, "invalid", "latency and limit");
        expect_eq(fails(|| eb.shape(#{ rate: "1mbit", delay: "5ms" })).kind, "invalid", "netem's option on tbf");
        expect_eq(eb.qdisc().rate, "5mbit", "a failed call changed nothing");
        server.kill();
        "#,
        "tc -n b qdisc show dev eth0",
    );
    let _ = sb;
    assert!(
        oracle.starts_with("qdisc tbf ") && oracle.contains("rate 5Mbit"),
        "{oracle}"
    );
}

#[test]
fn a_scheduled_flap_is_seen_by_a_ping_loop() {
    ok(r#"
        let a = netns::add("a");
        let b = netns::add("b");
        let ea = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
        ea.addr_add("10.0.0.1/24");
        ea.peer.addr_add("10.0.0.2/24");
        ea.up();
        ea.peer.up();
        after("600ms", || ea.peer.down());
        after("1400ms", || ea.peer.up());
        let ticks = [0];
        let ticker = every("100ms", || ticks[0] += 1);
        let seen = [];
        let t = timestamp();
        while t.elapsed < 2.4 {
            let ok = a.ping("10.0.0.2", #{ timeout: 0.1 });
            if seen.is_empty() || seen[seen.len() - 1] != ok { seen.push(ok); }
            sleep("100ms");
        }
        ticker.cancel();
        expect_eq(seen, [true, false, true], "the loop saw the outage and the recovery");
        expect(ticks[0] >= 10, `every ran while the loop slept: ${ticks[0]} ticks`);
        let n = ticks[0];
        sleep(0.3);
        expect_eq(ticks[0], n, "a cancelled timer stays quiet");

        let late = after(0.1, || throw "boom");
        expect_eq(fails(|| sleep(0.3)), "boom", "an error in a timer surfaces where the script waits");
        expect_eq(fails(|| after(-1, || 1)).kind, "invalid", "a negative delay");
        expect_eq(fails(|| every("0ms", || 1)).kind, "invalid", "a zero period");
        expect_eq(fails(|| sleep("soon")).kind, "invalid", "not a time");
        let fired = [false];
        after(0.2, || fired[0] = true);
        let traffic = a.spawn(["sleep", "0.6"]);
        expect_eq(traffic.wait(), 0, "the spawned process ran to its end");
        expect(fired[0], "a call fell due while the script waited for a process");
        after(30, || throw "never: pending calls are dropped at the end");
        "#);
}

#[test]
fn bridge_options_are_set_at_creation() {
    let (sb, stdout, _) = ok_then(
        r#"
        bridge::add("plain");
        bridge::add("tuned", #{ stp: true, ageing: 30, mcast_snooping: false, mcast_querier: true });
        try {
            bridge::add("vlans", #{ vlan_filtering: true });
            print("made");
        } catch (e) {
            print(e.message);
        }
        expect_eq(fails(|| bridge::add("bad", #{ stp: "yes" })).kind, "invalid", "stp is a bool");
        expect_eq(fails(|| bridge::add("bad", #{ ageing: -5 })).kind, "invalid", "negative ageing");
        expect_eq(fails(|| bridge::add("bad", #{ stpp: true })).kind, "invalid", "an unknown option");
        "#,
        "ip -d -j link show plain > plain.json; ip -d -j link show tuned > tuned.json; \
         ip -d -j link show > all.json",
    );
    let plain = &json(&sb.read("plain.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(plain["stp_state"], 0, "{plain}");
    assert_eq!(plain["ageing_time"], 30000, "{plain}");
    assert_eq!(plain["mcast_snooping"], 1, "{plain}");
    let tuned = &json(&sb.read("tuned.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(tuned["stp_state"], 1, "{tuned}");
    assert_eq!(tuned["ageing_time"], 3000, "{tuned}");
    assert_eq!(tuned["mcast_snooping"], 0, "{tuned}");
    assert_eq!(tuned["mcast_querier"], 1, "{tuned}");
    // VLAN filtering is made where the kernel has it. Where it lacks it
    // (CONFIG_BRIDGE_VLAN_FILTERING, as on the test machines) that must be
    // said, and nothing left half-built.
    let all = json(&sb.read("all.json"));
    let vlans = items(&all).iter().find(|l| l["ifname"] == "vlans");
    if stdout.trim() == "made" {
        let v = vlans.expect("made, so listed");
        assert_eq!(v["linkinfo"]["info_data"]["vlan_filtering"], 1, "{v}");
    } else {
        assert!(stdout.contains("do not support VLAN filtering"), "{stdout}");
        assert!(vlans.is_none(), "nothing half-built");
    }
    assert!(items(&all).iter().all(|l| l["ifname"] != "bad"));
}

#[test]
fn bridge_options_change_on_a_running_bridge() {
    let (sb, stdout, _) = ok_then(
        r#"
        let br = bridge::add("br0", #{ netns: netns::add("r1") });
        br.up();
        br.set_bridge(#{ stp: true, ageing: 12.5, mcast_querier: true });
        br.set_bridge(#{ mcast_snooping: false });
        let v = link::add_veth("v0", "v1");
        expect_eq(fails(|| v.set_bridge(#{ stp: true })).kind, "invalid", "not a bridge");
        expect_eq(fails(|| br.set_bridge(#{ stpp: true })).kind, "invalid", "an unknown option");
        expect_eq(fails(|| br.set_bridge(#{ ageing: "soon" })).kind, "invalid", "a bad value");
        print(fails(|| v.set_bridge(#{ stp: true })).message);
        "#,
        "ip -n r1 -d -j link show br0 > br0.json",
    );
    let data = &json(&sb.read("br0.json"))[0]["linkinfo"]["info_data"];
    assert_eq!(data["stp_state"], 1, "{data}");
    assert_eq!(data["ageing_time"], 1250, "{data}");
    assert_eq!(data["mcast_querier"], 1, "{data}");
    assert_eq!(data["mcast_snooping"], 0, "{data}");
    assert_eq!(
        stdout,
        "cannot set bridge options on \"v0\" in namespace \"host\": it is a veth link, not a bridge\n"
    );
}

#[test]
fn a_shape_on_a_link_the_lab_did_not_make_is_undone_at_teardown() {
    let sb = Sandbox::new();
    sb.file(
        "q.rhai",
        r#"
        let x = link::get("x0");
        x.shape(#{ rate: "10mbit" });
        x.shape(#{ rate: "20mbit" });
        link::add_veth("y0", "y1").shape(#{ rate: "1mbit" });
        "#,
    );
    let run = sb.sh("ip link add x0 type veth peer name x1\n\
         netscript --lab q q.rhai && tc qdisc show dev x0 | cut -d' ' -f2\n\
         netscript down q\n\
         tc qdisc show dev x0 | grep -c tbf; ip -br link show x0 | cut -d' ' -f1");
    assert_eq!(
        run.stdout,
        "tbf\nlab \"q\": removed 2 objects\n  - qdisc on x0 (in host)\n  - veth y0 (in host)\n0\nx0@x1\n",
        "{}",
        run.stderr
    );
}

/// A qdisc someone else put on a link is not replaced (and so lost at
/// teardown) unless forced; with force it is, and teardown leaves the
/// kernel's default.
#[test]
fn a_qdisc_someone_else_set_is_replaced_only_with_force() {
    let sb = Sandbox::new();
    sb.file(
        "q.rhai",
        r#"
        let x = link::get("x0");
        try { x.shape(#{ rate: "10mbit" }); } catch (e) { print(`${e.kind}: ${e.message}`); }
        try { x.netem(#{ delay: "1ms" }); } catch (e) { print(e.kind); }
        try { x.clear_qdisc(); } catch (e) { print(e.kind); }
        print(x.qdisc().rate);
        x.shape(#{ rate: "10mbit", force: true });
        print(x.qdisc().rate);
        x.shape(#{ rate: "20mbit" });
        print(x.qdisc().rate);
        "#,
    );
    let run = sb.sh("ip link add x0 type veth peer name x1
         tc qdisc add dev x0 root tbf rate 1mbit burst 32kb latency 50ms
         netscript --lab q q.rhai
         netscript down q > /dev/null; tc qdisc show dev x0 | grep -c tbf");
    assert_eq!(
        run.stdout,
        "permission: cannot replace the tbf qdisc of \"x0\" in namespace \"host\": netscript did not put it there\n\
         permission\npermission\n1mbit\n10mbit\n20mbit\n0\n",
        "{}",
        run.stderr
    );
}

/// Link kinds and qdiscs a kernel may lack (the test machines' lacks all
/// of these; tests/it/kernel_vm.rs makes them on one that has them): where
/// the kernel says no, the error says what is missing and nothing is left
/// half-built; where it says yes, the object is there.
#[test]
fn what_the_kernel_lacks_is_said_and_nothing_is_half_built() {
    let (sb, stdout, _) = ok_then(
        r#"
        fn try_it(f) { let said = "made"; try { f.call(); } catch (e) { said = `${e.kind}: ${e.message} (${e.help})`; } said }
        let v = link::add_veth("v0", "v1");
        print(try_it(|| link::add_dummy("d0")));
        print(try_it(|| link::add_vlan(v, 10)));
        print(try_it(|| v.netem(#{ delay: "10ms" })));
        print(v.qdisc().kind);
        let br = bridge::add("br0");
        v.peer.set_master(br);
        print(try_it(|| br.vlan_add(v.peer, 10)));
        "#,
        "ip -j link show > links.json",
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    let names: Vec<String> = items(&json(&sb.read("links.json")))
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_string())
        .collect();
    // One kind of error for all of them, its help naming what provides it.
    let unsupported = |line: &str, missing: &str, provider: &str| {
        assert!(line.starts_with("unsupported: "), "{line}");
        assert!(line.contains(missing), "{line}");
        assert!(line.contains(provider), "{line}");
    };
    for (line, missing, provider, name) in [
        (
            lines[0],
            "this kernel has no dummy links",
            "modprobe dummy",
            "d0",
        ),
        (
            lines[1],
            "this kernel has no vlan links",
            "modprobe 8021q",
            "v0.10",
        ),
    ] {
        if line == "made" {
            assert!(names.iter().any(|n| n == name), "{names:?}");
        } else {
            unsupported(line, missing, provider);
            assert!(!names.iter().any(|n| n == name), "half-built: {names:?}");
        }
    }
    if lines[2] == "made" {
        assert_eq!(lines[3], "netem");
    } else {
        unsupported(
            lines[2],
            "this kernel has no netem qdisc",
            "modprobe sch_netem",
        );
        assert_eq!(lines[3], "noqueue", "nothing half-built");
    }
    if lines[4] != "made" {
        unsupported(
            lines[4],
            "this kernel's bridges do not support VLAN filtering",
            "CONFIG_BRIDGE_VLAN_FILTERING",
        );
    }
}
