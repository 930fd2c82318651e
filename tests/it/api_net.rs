//! The v1 API against the real kernel — Routes, exec, ping, sysctl, the lab stdlib and exit. Each script checks
//! itself (a thrown error fails the run) and, wherever one exists, an
//! independent oracle read in the same sandbox confirms it: `ip -j`,
//! `ip -n NS -j`, `bridge -j`, `ip netns list`, `/proc`.

#![allow(unused_imports)]

use crate::common::api::*;
use crate::common::{Sandbox, json, script_ok};
use serde_json::Value;

// ---------------------------------------------------------------- routes

/// `ip -j route` entries as "dst|gateway|dev", with host routes given their
/// prefix length the way netscript writes them.
fn ip_routes(v: &Value) -> Vec<String> {
    items(v)
        .iter()
        .map(|r| {
            let dst = r["dst"].as_str().unwrap();
            let dst = if dst == "default" || dst.contains('/') {
                dst.to_string()
            } else if dst.contains(':') {
                format!("{dst}/128")
            } else {
                format!("{dst}/32")
            };
            format!(
                "{dst}|{}|{}",
                r["gateway"].as_str().unwrap_or(""),
                r["dev"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn routes_match_ip_route_for_ipv4_and_ipv6() {
    let (sb, out, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let eth = link::add_veth("eth0", "peer", #{ netns: r1 });
        eth.addr_add("10.1.0.1/24");
        eth.addr_add("2001:db8:1::1/64");
        eth.up();
        eth.peer.up();
        expect_eq(r1.routes().filter(|r| r.dst == "default"), [], "no default route at first");
        r1.route_add("default", "10.1.0.254");
        r1.route_add("10.2.0.0/16", "10.1.0.2");
        r1.route_add("10.3.3.3/32", "10.1.0.3");
        r1.route_add("2001:db8:2::/64", "2001:db8:1::2");
        r1.route_add("default", "2001:db8:1::fe");
        let rs = r1.routes();
        expect_eq(type_of(rs), "array", "routes() is an array");
        expect_eq(rs[0], #{ dst: "default", gateway: "10.1.0.254", dev: "eth0" }, "IPv4 default first");
        expect(rs.contains(#{ dst: "10.1.0.0/24", gateway: (), dev: "eth0", proto: "kernel", scope: "link", src: "10.1.0.1" }), `connected route: ${rs}`);
        expect(rs.contains(#{ dst: "default", gateway: "2001:db8:1::fe", dev: "eth0" }), `IPv6 default: ${rs}`);
        expect_eq(fails(|| r1.route_add("default", "10.1.0.253")).kind, "exists", "a second default");
        expect_eq(fails(|| r1.route_add("bogus", "10.1.0.254")).kind, "invalid", "a bad destination");
        expect_eq(fails(|| r1.route_add("10.5.0.0/16", "bogus")).kind, "invalid", "a bad gateway");
        expect_eq(fails(|| r1.route_add("10.7.0.0/16", "2001:db8:1::2")).kind, "invalid", "mixed IP versions");
        expect_eq(netns::add("empty").routes(), [], "a fresh namespace has no main-table routes");
        for r in r1.routes() { print(`${r.dst}|${r.gateway}|${r.dev}`); }
        "#,
        "ip -n r1 -j route > r4.json; ip -n r1 -6 -j route > r6.json",
    );
    let mut expected = ip_routes(&json(&sb.read("r4.json")));
    let v6 = ip_routes(&json(&sb.read("r6.json")));
    expected.extend(v6);
    let ours: Vec<String> = out.lines().map(String::from).collect();
    assert_eq!(ours, expected);
    for r in [
        "default|10.1.0.254|eth0",
        "10.1.0.0/24||eth0",
        "10.2.0.0/16|10.1.0.2|eth0",
        "10.3.3.3/32|10.1.0.3|eth0",
        "2001:db8:1::/64||eth0",
        "2001:db8:2::/64|2001:db8:1::2|eth0",
        "default|2001:db8:1::fe|eth0",
    ] {
        assert!(ours.iter().any(|o| o == r), "missing {r}: {ours:?}");
    }
    // IPv4 then IPv6.
    let first_v6 = ours.iter().position(|r| r.contains(':')).unwrap();
    assert!(
        ours[..first_v6].iter().all(|r| !r.contains(':')),
        "{ours:?}"
    );
    assert!(ours[first_v6..].iter().all(|r| r.contains(':')), "{ours:?}");
}

#[test]
fn routes_and_forwarding_connect_two_namespaces_through_a_router() {
    let (sb, _, oracle) = ok_then(
        r#"
        let h1 = netns::add("h1");
        let rt = netns::add("rt");
        let h2 = netns::add("h2");
        let a = link::add_veth("eth0", "eth1", #{ netns: h1, peer_netns: rt });
        let b = link::add_veth("eth0", "eth2", #{ netns: h2, peer_netns: rt });
        a.addr_add("10.1.0.1/24");
        a.addr_add("2001:db8:1::1/64");
        a.peer.addr_add("10.1.0.254/24");
        a.peer.addr_add("2001:db8:1::fe/64");
        b.addr_add("10.2.0.1/24");
        b.addr_add("2001:db8:2::1/64");
        b.peer.addr_add("10.2.0.254/24");
        b.peer.addr_add("2001:db8:2::fe/64");
        for l in [a, a.peer, b, b.peer] { l.up(); }
        h1.route_add("default", "10.1.0.254");
        h1.route_add("default", "2001:db8:1::fe");
        h2.route_add("10.1.0.0/24", "10.2.0.254");
        h2.route_add("2001:db8:1::/64", "2001:db8:2::fe");
        expect(h1.ping("10.1.0.254"), "h1 reaches the router");
        rt.forwarding(false);
        expect_eq(rt.sysctl("net.ipv4.ip_forward"), "0", "forwarding(false), IPv4");
        expect_eq(rt.sysctl("net.ipv6.conf.all.forwarding"), "0", "forwarding(false), IPv6");
        expect(!h1.ping("10.2.0.1", #{ timeout: 0.3 }), "IPv4 must not cross a router that does not forward");
        expect(!h1.ping("2001:db8:2::1", #{ timeout: 0.3 }), "IPv6 must not cross a router that does not forward");
        rt.forwarding(true);
        expect_eq(rt.sysctl("net.ipv4.ip_forward"), "1", "forwarding(true), IPv4");
        expect_eq(rt.sysctl("net.ipv6.conf.all.forwarding"), "1", "forwarding(true), IPv6");
        expect(h1.ping("10.2.0.1"), "h1 -> h2 over IPv4 via the default route");
        expect(h1.ping("2001:db8:2::1"), "h1 -> h2 over IPv6 via the default route");
        expect(h2.ping("10.1.0.1"), "h2 -> h1 over IPv4 via a prefix route");
        expect(h2.ping("2001:db8:1::1"), "h2 -> h1 over IPv6 via a prefix route");
        expect_eq(h1.sysctl("net.ipv4.ip_forward"), "0", "forwarding is per namespace");
        "#,
        "ip netns exec rt cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding\n\
         cat /proc/sys/net/ipv4/ip_forward\n\
         ip -n h1 -j route > h1.json",
    );
    assert_eq!(
        oracle.split_whitespace().collect::<Vec<_>>(),
        ["1", "1", "0"]
    );
    let h1_routes = ip_routes(&json(&sb.read("h1.json")));
    assert!(
        h1_routes.iter().any(|r| r == "default|10.1.0.254|eth0"),
        "{h1_routes:?}"
    );
}

// ------------------------------------------------------------------ exec

#[test]
fn exec_string_is_split_like_a_shell_line() {
    ok(r#"
        let r1 = netns::add("r1");
        let out = r1.exec("sh -c 'echo hi; exit 3'");
        expect_eq(type_of(out), "map", "exec returns a map");
        expect_eq(out.status, 3, "status");
        expect_eq(out.stdout, "hi\n", "stdout");
        expect_eq(out.stderr, "", "stderr");
        expect_eq(out.keys().len(), 3, `keys: ${out}`);
        let out = r1.exec("printf '%s|' \"a b\" 'c  d' e\\ f");
        expect_eq(out.stdout, "a b|c  d|e f|", "quotes and backslashes group words");
        expect_eq(out.status, 0, "status 0");
        let out = r1.exec("echo $HOME; ls > x");
        expect_eq(out.stdout, "$HOME; ls > x\n", "no shell runs: no expansion, no ; or >");
        let out = r1.exec("sh -c 'echo oops >&2; exit 1'");
        expect_eq(out.status, 1, "status of a failing command");
        expect_eq(out.stdout, "", "stdout of a failing command");
        expect_eq(out.stderr, "oops\n", "stderr is captured");
        expect_eq(fails(|| r1.exec("sh -c 'unclosed")).kind, "invalid", "an unclosed quote");
        expect_eq(fails(|| r1.exec("")).kind, "invalid", "an empty command");
        "#);
}

#[test]
fn exec_array_passes_words_as_they_are() {
    ok(r#"
        let r1 = netns::add("r1");
        let out = r1.exec(["sh", "-c", "echo \"$1|$2\"; echo err >&2; exit 5", "sh", "a b", "'c'"]);
        expect_eq(out.status, 5, "status");
        expect_eq(out.stdout, "a b|'c'\n", "words are not split or unquoted");
        expect_eq(out.stderr, "err\n", "stderr");
        let out = r1.exec(["sh", "-c", "exit 3"]);
        expect_eq(out.status, 3, "doc example");
        expect_eq(fails(|| r1.exec([])).kind, "invalid", "an empty array");
        "#);
}

#[test]
fn exec_runs_inside_the_namespace() {
    let (_, out, oracle) = ok_then(
        r#"
        fn names(text) {
            let all = text.split("\n").filter(|l| l != "").map(|l| l.split(" ")[0].split("@")[0]);
            all.sort();
            all
        }
        let r1 = netns::add("r1");
        link::add_veth("hostonly0", "hostonly1");
        link::add_veth("eth0", "r1-peer", #{ netns: r1 });
        let out = r1.exec("ip -br link");
        expect_eq(out.status, 0, `ip -br link: ${out}`);
        expect_eq(names(out.stdout), ["eth0", "lo"], "ip -br link inside r1 shows only r1's links");
        let out = netns::host().exec(["ip", "-br", "link"]);
        expect_eq(names(out.stdout), ["hostonly0", "hostonly1", "lo", "r1-peer"], "inside the host");
        let inside = r1.exec("readlink /proc/self/ns/net").stdout;
        inside.trim();
        let outside = netns::host().exec(["readlink", "/proc/self/ns/net"]).stdout;
        outside.trim();
        print(`r1 ${inside}`);
        print(`host ${outside}`);
        "#,
        "echo \"r1 $(ip netns exec r1 readlink /proc/self/ns/net)\"\n\
         echo \"host $(readlink /proc/self/ns/net)\"",
    );
    assert_eq!(
        tagged(&out, "r1 "),
        tagged(&oracle, "r1 "),
        "{out}\n{oracle}"
    );
    assert_eq!(tagged(&out, "host "), tagged(&oracle, "host "));
    assert_ne!(tagged(&out, "r1 "), tagged(&out, "host "));
}

#[test]
fn exec_of_a_missing_program_is_not_found() {
    ok(r#"
        let r1 = netns::add("r1");
        let e = fails(|| r1.exec("no-such-program --flag"));
        expect_eq(e.kind, "not_found", "a missing program");
        expect(e.message.contains("no-such-program"), `the message names the program: ${e.message}`);
        let e = fails(|| r1.exec(["no-such-program-2", "x"]));
        expect_eq(e.kind, "not_found", "a missing program (array)");
        expect(e.message.contains("no-such-program-2"), `the message names the program: ${e.message}`);
        "#);
}

#[test]
fn routes_with_metrics_and_routes_that_drop() {
    let (_, _, oracle) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let eth = link::add_veth("eth0", "peer", #{ netns: r1 });
        eth.addr_add("10.1.0.1/24");
        eth.addr_add("2001:db8:1::1/64");
        eth.up();
        eth.peer.up();
        r1.route_add("10.2.0.0/16", "10.1.0.2");
        r1.route_add("10.2.0.0/16", #{ via: "10.1.0.3", metric: 200 });
        r1.route_add("10.66.0.0/16", #{ type: "blackhole" });
        r1.route_add("10.67.0.0/16", #{ type: "unreachable", metric: 7 });
        r1.route_add("10.68.0.0/16", #{ type: "prohibit" });
        r1.route_add("2001:db8:66::/48", #{ type: "blackhole" });
        r1.route_add("10.77.0.0/16", #{ dev: "eth0" });
        let rs = r1.routes();
        expect(rs.contains(#{ dst: "10.2.0.0/16", gateway: "10.1.0.2", dev: "eth0" }), `the first: ${rs}`);
        expect(rs.contains(#{ dst: "10.2.0.0/16", gateway: "10.1.0.3", dev: "eth0", metric: 200 }), `the second: ${rs}`);
        expect(rs.contains(#{ dst: "10.66.0.0/16", gateway: (), dev: (), type: "blackhole" }), `blackhole: ${rs}`);
        expect(rs.contains(#{ dst: "10.67.0.0/16", gateway: (), dev: (), type: "unreachable", metric: 7 }), `unreachable: ${rs}`);
        expect(rs.contains(#{ dst: "2001:db8:66::/48", gateway: (), dev: "lo", type: "blackhole" }), `IPv6 blackhole: ${rs}`);
        expect(rs.contains(#{ dst: "10.77.0.0/16", gateway: (), dev: "eth0", scope: "link" }), `a connected route: ${rs}`);
        expect(!r1.ping("10.66.0.1", #{ timeout: 0.3 }), "a blackhole drops");
        expect(!r1.ping("10.67.0.1", #{ timeout: 0.3 }), "unreachable drops");
        expect(!r1.ping("10.68.0.1", #{ timeout: 0.3 }), "prohibit refuses");
        expect_eq(fails(|| r1.route_add("10.66.0.0/16", #{ type: "blackhole" })).kind, "exists", "twice");
        expect_eq(fails(|| r1.route_add("10.9.0.0/16", #{ type: "blackhole", via: "10.1.0.2" })).kind, "invalid", "a blackhole with a gateway");
        expect_eq(fails(|| r1.route_add("10.9.0.0/16", #{ metric: 5 })).kind, "invalid", "neither via nor dev");
        expect_eq(fails(|| r1.route_add("10.9.0.0/16", #{ type: "sinkhole" })).kind, "invalid", "an unknown type");
        expect_eq(fails(|| r1.route_add("10.9.0.0/16", #{ via: "10.1.0.2", metric: -1 })).kind, "invalid", "a negative metric");
        expect_eq(fails(|| r1.route_add("10.9.0.0/16", #{ via: "10.1.0.2", weight: 1 })).kind, "invalid", "an unknown option");
        expect_eq(fails(|| r1.route_add("10.9.0.1/16", #{ type: "blackhole" })).kind, "invalid", "host bits set");
        r1.route_del("10.2.0.0/16", #{ via: "10.1.0.3", metric: 200 });
        r1.route_del("10.68.0.0/16", #{ type: "prohibit" });
        expect_eq(fails(|| r1.route_del("10.68.0.0/16", #{ type: "prohibit" })).kind, "not_found", "already gone");
        "#,
        "ip -n r1 -j route show; ip -n r1 -6 -j route show",
    );
    let mut seen: Vec<String> = oracle
        .lines()
        .flat_map(|l| items(&json(l)).clone())
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["type"].as_str().unwrap_or("unicast"),
                r["dst"].as_str().unwrap(),
                r["gateway"].as_str().unwrap_or("-"),
                r["metric"].as_u64().unwrap_or(0)
            )
        })
        .filter(|r| {
            !r.contains("10.1.0.0/24") && !r.contains("2001:db8:1::/64") && !r.contains("fe80")
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "blackhole 10.66.0.0/16 - 0",
            "blackhole 2001:db8:66::/48 - 1024",
            "unicast 10.2.0.0/16 10.1.0.2 0",
            "unicast 10.77.0.0/16 - 0",
            "unreachable 10.67.0.0/16 - 7",
        ]
    );
}

/// Who made a route, how far it reaches and its source address, both ways:
/// routes `ip` adds read back by netscript, routes netscript adds read by
/// `ip -j route`, and the two agree on every route of both tables.
#[test]
fn route_protocols_scopes_and_sources_agree_with_ip_route() {
    let sb = Sandbox::new();
    sb.file(
        "test.rhai",
        &with_prelude(
            r#"
        let r1 = netns::get("r1");
        r1.route_add("10.5.0.0/16", #{ via: "10.0.0.2", proto: "bgp", src: "10.0.0.1" });
        r1.route_add("10.6.0.0/16", #{ dev: "ea", scope: "link", proto: 200 });
        r1.route_add("10.8.0.0/16", #{ type: "throw", table: 100 });
        r1.route_add("2001:db8:5::/48", #{ via: "2001:db8::2", proto: "static", src: "2001:db8::1" });
        expect_eq(fails(|| r1.route_add("10.9.0.0/16", #{ via: "10.0.0.2", src: "10.0.0.77" })).kind, "invalid", "a source the namespace lacks");
        for r in r1.routes() + r1.routes(#{ table: 100 }) {
            print(`${r.dst} ${r.type ?? "unicast"} ${r.proto ?? "boot"} ${r.scope ?? "global"} ${r.src ?? "-"}`);
        }
        "#,
        ),
    );
    let run = sb.sh(
        "ip netns add r1; ip -n r1 link add name ea type veth peer name pa; ip -n r1 link set ea up; ip -n r1 link set pa up\n\
         ip -n r1 addr add 10.0.0.1/24 dev ea; ip -n r1 addr add 2001:db8::1/64 dev ea nodad\n\
         ip -n r1 route add 10.7.0.0/16 via 10.0.0.3 proto ospf src 10.0.0.1\n\
         ip -n r1 route add 10.7.7.7/32 dev ea proto zebra scope host\n\
         ip -n r1 route add throw 10.9.0.0/16 table 100 proto static\n\
         netscript test.rhai > ours.txt || exit 9\n\
         ip -n r1 -j route show; ip -n r1 -6 -j route show; ip -n r1 -j route show table 100",
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let ours = std::fs::read_to_string(sb.path().join("ours.txt")).unwrap();
    let mut ours: Vec<&str> = ours.lines().collect();
    let mut theirs: Vec<String> = run
        .stdout
        .lines()
        .flat_map(|l| items(&json(l)).clone())
        .map(|r| {
            let dst = r["dst"].as_str().unwrap();
            let dst = match dst.contains('/') || dst == "default" {
                true => dst.to_string(),
                false => format!("{dst}/32"),
            };
            let word = |key: &str, none: &str| r[key].as_str().unwrap_or(none).to_string();
            format!(
                "{dst} {} {} {} {}",
                word("type", "unicast"),
                word("protocol", "boot"),
                word("scope", "global"),
                word("prefsrc", "-")
            )
        })
        .collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    for expected in [
        "10.5.0.0/16 unicast bgp global 10.0.0.1",
        "10.6.0.0/16 unicast 200 link -",
        "10.7.0.0/16 unicast ospf global 10.0.0.1",
        "10.7.7.7/32 unicast zebra host -",
        "10.8.0.0/16 throw boot global -",
        "10.9.0.0/16 throw static global -",
        "2001:db8:5::/48 unicast static global 2001:db8::1",
    ] {
        assert!(ours.contains(&expected), "{expected} in {ours:?}");
    }
}

/// A route with a protocol of its own, added in the host, goes with the
/// lab (teardown deletes it as `ip route del` would: any protocol matches
/// unless one is given), and a script deletes one without naming its
/// protocol.
#[test]
fn routes_with_a_protocol_go_with_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let host = netns::host();
        host.route_add("10.77.0.0/16", #{ type: "blackhole", proto: "bgp" });
        host.route_add("10.78.0.0/16", #{ type: "blackhole", proto: "ospf", metric: 5 });
        host.route_add("10.79.0.0/16", #{ type: "blackhole", proto: "zebra" });
        host.route_del("10.79.0.0/16", #{ type: "blackhole" });
        throw "stop";
        "#,
    );
    let run = sb.sh(
        "netscript lab.rhai > /dev/null 2> err.txt; echo status=$?\n\
         ip route show type blackhole | wc -l",
    );
    assert_eq!(run.stdout, "status=1\n0\n", "{}", sb.read("err.txt"));
    let err = sb.read("err.txt");
    assert!(err.contains("rolled back lab \"lab\": 2 removed"), "{err}");
}

/// Multipath (ECMP) routes as routing daemons install them, IPv4 and
/// IPv6, put there by `ip`: read back with every path (compared with
/// `ip -j route`), and removed by the gateway of any path.
#[test]
fn multipath_routes_read_back_with_every_path_and_go_by_any_gateway() {
    let sb = Sandbox::new();
    sb.file(
        "test.rhai",
        &with_prelude(
            r#"
        let r1 = netns::get("r1");
        let mp = r1.routes().filter(|r| "nexthops" in r);
        print(mp.len());
        for r in mp {
            print(`${r.dst} ${r.gateway} ${r.dev} ${r.nexthops.map(|h| `${h.gateway}/${h.dev}/${h.weight}`)}`);
        }
        // r1 is not a lab's (ip made it): its routes go with force only.
        expect_eq(fails(|| r1.route_del("10.7.0.0/16", "10.0.1.2")).kind, "permission", "not the lab's");
        r1.route_del("10.7.0.0/16", #{ via: "10.0.1.2", force: true });
        r1.route_del("2001:db8:7::/48", #{ via: "2001:db8::2", force: true });
        expect_eq(r1.routes().filter(|r| "nexthops" in r), [], "both gone");
        expect_eq(fails(|| r1.route_del("10.7.0.0/16", #{ via: "10.0.1.2", force: true })).kind, "not_found", "gone already");
        "#,
        ),
    );
    let run = sb.sh(
        "ip netns add r1; ip -n r1 link add name ea type veth peer name pa; ip -n r1 link add name eb type veth peer name pb\n\
         for l in ea eb pa pb; do ip -n r1 link set $l up; done\n\
         ip -n r1 addr add 10.0.0.1/24 dev ea; ip -n r1 addr add 10.0.1.1/24 dev eb\n\
         ip -n r1 addr add 2001:db8::1/64 dev ea nodad; ip -n r1 addr add 2001:db8:1::1/64 dev eb nodad\n\
         ip -n r1 route add 10.7.0.0/16 nexthop via 10.0.0.2 dev ea nexthop via 10.0.1.2 dev eb weight 3\n\
         ip -n r1 -6 route add 2001:db8:7::/48 nexthop via 2001:db8::2 dev ea nexthop via 2001:db8:1::2 dev eb\n\
         ip -n r1 -j route show 10.7.0.0/16 > v4.json; ip -n r1 -6 -j route show 2001:db8:7::/48 > v6.json\n\
         netscript test.rhai || exit 9\n\
         ip -n r1 route show 10.7.0.0/16 | wc -l; ip -n r1 -6 route show 2001:db8:7::/48 | wc -l",
    );
    assert_eq!(
        run.stdout,
        "2\n10.7.0.0/16   [\"10.0.0.2/ea/1\", \"10.0.1.2/eb/3\"]\n\
         2001:db8:7::/48   [\"2001:db8::2/ea/1\", \"2001:db8:1::2/eb/1\"]\n0\n0\n",
        "{}",
        run.stderr
    );
    // The oracle says the same paths.
    assert_paths(&sb);
}

/// Two multipath routes to one place at two metrics: deleting by a gateway
/// of the second removes the second only.
#[test]
fn a_multipath_route_goes_by_its_gateway_and_not_its_neighbour_at_another_metric() {
    let sb = Sandbox::new();
    sb.file(
        "test.rhai",
        "let r1 = netns::get(\"r1\");\nr1.route_del(\"10.9.0.0/16\", #{ via: \"10.0.1.3\", force: true });\n",
    );
    let run = sb.sh(
        "ip netns add r1; ip -n r1 link add name ea type veth peer name pa; ip -n r1 link add name eb type veth peer name pb\n\
         for l in ea eb pa pb; do ip -n r1 link set $l up; done\n\
         ip -n r1 addr add 10.0.0.1/24 dev ea; ip -n r1 addr add 10.0.1.1/24 dev eb\n\
         ip -n r1 route add 10.9.0.0/16 metric 10 nexthop via 10.0.0.2 nexthop via 10.0.1.2\n\
         ip -n r1 route add 10.9.0.0/16 metric 20 nexthop via 10.0.0.3 nexthop via 10.0.1.3\n\
         netscript test.rhai || exit 9\n\
         ip -n r1 -j route show 10.9.0.0/16",
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let left = items(&json(&run.stdout)).clone();
    assert_eq!(left.len(), 1, "{}", run.stdout);
    assert_eq!(left[0]["metric"], 10, "{}", run.stdout);
}

/// Multipath routes made by netscript, IPv4 and IPv6, as `ip -j route`
/// shows them; bad paths refused at the option, nothing added; a
/// multipath route in the host goes with the lab.
#[test]
fn multipath_routes_are_added_with_their_paths_and_weights() {
    let (sb, _, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let a = link::add_veth("ea", "pa", #{ netns: r1 });
        let b = link::add_veth("eb", "pb", #{ netns: r1 });
        for l in [a, b, a.peer, b.peer] { l.up(); }
        a.addr_add("10.0.0.1/24");
        b.addr_add("10.0.1.1/24");
        a.addr_add("2001:db8::1/64");
        b.addr_add("2001:db8:1::1/64");
        r1.route_add("10.7.0.0/16", #{ nexthops: [#{ via: "10.0.0.2", dev: a }, #{ via: "10.0.1.2", weight: 3 }] });
        r1.route_add("2001:db8:7::/48", #{ nexthops: [#{ via: "2001:db8::2" }, #{ via: "2001:db8:1::2", dev: "eb" }] });
        let mp = r1.routes().filter(|r| "nexthops" in r);
        expect_eq(mp.len(), 2, `two multipath routes: ${mp}`);
        expect_eq(mp[0].nexthops, [#{ gateway: "10.0.0.2", dev: "ea", weight: 1 }, #{ gateway: "10.0.1.2", dev: "eb", weight: 3 }], "IPv4 paths");
        for bad in [
            #{ nexthops: [] },
            #{ nexthops: "10.0.0.2" },
            #{ nexthops: [#{ weight: 2 }] },
            #{ nexthops: [#{ via: "10.0.0.2", weight: 0 }] },
            #{ nexthops: [#{ via: "10.0.0.2", weight: 257 }] },
            #{ nexthops: [#{ via: "10.0.0.2", wieght: 2 }] },
            #{ nexthops: [#{ via: "10.0.0.2" }, #{ via: "2001:db8::2" }] },
            #{ nexthops: [#{ via: "10.0.0.2" }], via: "10.0.1.2" },
            #{ nexthops: [#{ via: "10.0.0.2" }], type: "blackhole" },
        ] {
            let e = fails(|| r1.route_add("10.9.0.0/16", bad));
            expect_eq(e.kind, "invalid", `kind for ${bad}`);
            expect_eq(e.option, "nexthops", `the option at fault for ${bad}`);
        }
        expect(!r1.routes().some(|r| r.dst == "10.9.0.0/16"), "nothing added");
        netns::host().route_add("10.123.0.0/16", #{ nexthops: [#{ dev: a.peer }, #{ dev: b.peer }] });
        "#,
        "ip -n r1 -j route show 10.7.0.0/16 > v4.json; ip -n r1 -6 -j route show 2001:db8:7::/48 > v6.json; \
         ip -j route show 10.123.0.0/16 > host.json; \
         netscript down test > /dev/null; ip -j route show 10.123.0.0/16 > host-after.json",
    );
    assert_paths(&sb);
    assert_eq!(
        items(&json(&sb.read("host.json")))[0]["nexthops"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert!(
        items(&json(&sb.read("host-after.json"))).is_empty(),
        "the host's multipath route went with the lab"
    );
}

/// Policy routing rules as `ip -j rule` shows them, both families; bad
/// ones refused at the option at fault, nothing added; one added in the
/// host goes with the lab.
#[test]
fn rules_match_ip_rule_and_go_with_the_lab() {
    let (sb, _, _) = ok_then(
        r#"
        let r1 = netns::add("r1");
        r1.rule_add(#{ from: "10.1.0.0/24", table: 10, priority: 100 });
        r1.rule_add(#{ to: "10.2.0.9", oif: "lo", table: 11, priority: 101 });
        r1.rule_add(#{ fwmark: 7, table: 20, priority: 200 });
        r1.rule_add(#{ from: "2001:db8:1::/48", iif: "lo", table: 30, priority: 300 });
        r1.rule_add(#{ iif: "lo", ipv6: true, table: 31, priority: 301 });
        expect_eq(fails(|| r1.rule_add(#{ fwmark: 7, table: 20, priority: 200 })).kind, "exists", "the same rule twice");
        let mine = r1.rules().filter(|r| r.table < 253);
        expect_eq(mine, [
            #{ priority: 100, table: 10, from: "10.1.0.0/24" },
            #{ priority: 101, table: 11, to: "10.2.0.9/32", oif: "lo" },
            #{ priority: 200, table: 20, fwmark: 7 },
            #{ priority: 300, table: 30, from: "2001:db8:1::/48", iif: "lo", ipv6: true },
            #{ priority: 301, table: 31, iif: "lo", ipv6: true },
        ], "the rules read back");
        for bad in [
            #{ table: 10 },
            #{ from: "10.0.0.0/8" },
            #{ from: "10.0.0.0/33", table: 1 },
            #{ from: "10.0.0.0/8", to: "::/0", table: 1 },
            #{ fwmark: -1, table: 1 },
            #{ iif: "lo", table: 0 },
            #{ iif: "lo", table: 1, lookup: 2 },
        ] {
            expect_eq(fails(|| r1.rule_add(bad)).kind, "invalid", `kind for ${bad}`);
        }
        r1.rule_del(#{ fwmark: 7, table: 20, priority: 200 });
        expect_eq(fails(|| r1.rule_del(#{ fwmark: 7, table: 20 })).kind, "not_found", "gone already");
        netns::host().rule_add(#{ from: "10.9.0.0/16", table: 40 });
        "#,
        "ip -n r1 -j rule show > v4.json; ip -n r1 -6 -j rule show > v6.json; ip -j rule show > host.json; \
         netscript down test > /dev/null; ip -j rule show > host-after.json",
    );
    let show = |file: &str| -> Vec<String> {
        items(&json(&sb.read(file)))
            .iter()
            .filter(|r| r["table"] != "local" && r["table"] != "main" && r["table"] != "default")
            .map(|r| {
                let mut text = format!("{} {}", r["priority"], r["table"].as_str().unwrap_or("?"));
                for key in ["src", "dst", "iif", "oif", "fwmark"] {
                    if let Some(v) = r.get(key).and_then(|v| v.as_str()).filter(|v| *v != "all") {
                        text.push_str(&format!(" {key}={v}"));
                    }
                }
                text
            })
            .collect()
    };
    assert_eq!(
        show("v4.json"),
        ["100 10 src=10.1.0.0", "101 11 dst=10.2.0.9 oif=lo"]
    );
    assert_eq!(
        show("v6.json"),
        ["300 30 src=2001:db8:1:: iif=lo", "301 31 iif=lo"]
    );
    assert_eq!(show("host.json"), ["32765 40 src=10.9.0.0"]);
    assert!(
        show("host-after.json").is_empty(),
        "the host's rule went with the lab"
    );
}

/// A rule given no priority is removed by the priority the kernel gave
/// it: a host rule with the same selectors, there before, stays.
#[test]
fn a_labs_rule_without_priority_goes_and_the_hosts_alike_one_stays() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "netns::host().rule_add(#{ from: \"10.9.0.0/16\", table: 40 });\n",
    );
    let run = sb.sh("ip rule add from 10.9.0.0/16 lookup 40 pref 100\n\
         netscript lab.rhai || exit 9\n\
         ip rule show | grep -c 'lookup 40'\n\
         netscript down lab > /dev/null || exit 8\n\
         ip rule show | grep 'lookup 40'");
    assert_eq!(
        run.stdout, "2\n100:\tfrom 10.9.0.0/16 lookup 40\n",
        "{}",
        run.stderr
    );
}

#[test]
fn a_route_added_in_the_host_goes_with_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "r.rhai",
        r#"netns::host().route_add("10.66.0.0/16", #{ type: "blackhole", metric: 9 });"#,
    );
    let run = sb.sh(
        "netscript --lab r r.rhai && ip route show | grep -c 10.66;          netscript down r; ip route show | grep -c 10.66",
    );
    assert_eq!(
        run.stdout,
        "1\nlab \"r\": removed 1 object\n  - blackhole route 10.66.0.0/16 metric 9 (in host)\n0\n",
        "{}",
        run.stderr
    );
}

#[test]
fn a_route_in_another_table_goes_with_the_lab_from_that_table() {
    let sb = Sandbox::new();
    sb.file(
        "r.rhai",
        r#"let h = netns::host();
h.route_add("10.66.0.0/16", #{ type: "blackhole", table: 10 });
h.route_add("10.66.0.0/16", #{ type: "unreachable" });
print(h.routes(#{ table: 10 }));
print(h.routes(#{ table: 254 }).len());"#,
    );
    let run = sb.sh("netscript --lab r r.rhai && ip -j route show table 10; \
         netscript down r; ip route show table 10 | wc -l; ip route show | wc -l");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..2],
        [
            r#"[#{"dev": (), "dst": "10.66.0.0/16", "gateway": (), "type": "blackhole"}]"#,
            "1"
        ],
        "{}",
        run.stderr
    );
    let table10 = crate::common::json(lines[2]);
    assert_eq!(table10[0]["dst"], "10.66.0.0/16", "{table10}");
    assert_eq!(table10[0]["type"], "blackhole", "{table10}");
    assert_eq!(
        lines[3..],
        [
            "lab \"r\": removed 2 objects",
            "  - unreachable route 10.66.0.0/16 (in host)",
            "  - blackhole route 10.66.0.0/16 table 10 (in host)",
            "0",
            "0"
        ],
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------------ ping

#[test]
fn ping_answers_true_for_reachable_and_false_for_absent_addresses() {
    ok(r#"
        let a = netns::add("a");
        let b = netns::add("b");
        let ea = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
        let eb = ea.peer;
        ea.addr_add("10.0.0.1/24");
        ea.addr_add("2001:db8::1/64");
        eb.addr_add("10.0.0.2/24");
        eb.addr_add("2001:db8::2/64");
        ea.up();
        eb.up();
        expect(a.ping("10.0.0.2"), "IPv4 a -> b");
        expect(b.ping("10.0.0.1"), "IPv4 b -> a");
        expect(a.ping("2001:db8::2"), "IPv6 a -> b");
        expect(b.ping("2001:db8::1"), "IPv6 b -> a");
        expect(a.ping("127.0.0.1"), "loopback IPv4");
        expect(a.ping("::1"), "loopback IPv6");
        expect(a.ping("10.0.0.2", #{ timeout: 0.3 }), "reachable with a timeout");
        expect(a.ping("10.0.0.2", #{ timeout: 1 }), "an integer timeout");

        let t = timestamp();
        expect(!a.ping("10.0.0.3", #{ timeout: 0.3 }), "nobody has 10.0.0.3");
        expect(t.elapsed < 1.5, `a 0.3 s IPv4 timeout took ${t.elapsed} s`);
        let t = timestamp();
        expect(!a.ping("2001:db8::3", #{ timeout: 0.3 }), "nobody has 2001:db8::3");
        expect(t.elapsed < 1.5, `a 0.3 s IPv6 timeout took ${t.elapsed} s`);
        expect(!a.ping("192.0.2.1", #{ timeout: 0.3 }), "no route: false, not an error");
        let t = timestamp();
        expect(!a.ping("10.0.0.4"), "default timeout");
        expect(t.elapsed > 2.0 && t.elapsed < 6.0, `the default retries last about 3 s, took ${t.elapsed} s`);

        expect_eq(fails(|| a.ping("10.0.0.2", #{ tmeout: 1 })).kind, "invalid", "an unknown option");
        expect_eq(fails(|| a.ping("10.0.0.2", #{ timeout: -1 })).kind, "invalid", "a negative timeout");
        expect_eq(fails(|| a.ping("not-an-address")).kind, "invalid", "not an address");
        ea.down();
        expect(!a.ping("10.0.0.2", #{ timeout: 0.3 }), "a link that is down");
        "#);
}

#[test]
fn unreachable_pings_many_at_once_and_names_only_the_silent_ones() {
    ok(r#"
        import "topo" as topo;
        let s = topo::star("br0", 40, "10.7.0.0/24");
        s.bridge.addr_add("10.7.0.254/24");
        s.bridge.addr_add("2001:db8:7::fe/64");
        s.links[0].addr_add("2001:db8:7::1/64");
        let all = [];
        for i in 1..=40 { all.push(`10.7.0.${i}`); }
        all.push("2001:db8:7::1");
        let hub = netns::host();
        let t = timestamp();
        expect_eq(hub.unreachable(all), [], "the hub reaches all 40 hosts, over IPv4 and IPv6");
        expect(t.elapsed < 2.0, `40 hosts at once took ${t.elapsed} s`);

        s.links[4].down();
        s.links[21].down();
        let t = timestamp();
        let lost = hub.unreachable(all + ["10.7.0.99"], #{ timeout: 0.5 });
        expect_eq(lost, ["10.7.0.5", "10.7.0.22", "10.7.0.99"], "exactly the silent ones, in order");
        // The probes' neighbour entries went with them, a pinned one stays.
        let learned = || hub.neighs().filter(|n| n.ip.starts_with("10.7.0."));
        expect_eq(learned.call().len(), 0, `neighbour entries left: ${learned.call()}`);
        hub.neigh_add("10.7.0.5", "02:00:00:00:00:05", s.bridge);
        hub.unreachable(["10.7.0.5", "10.7.0.6"], #{ timeout: 0.3 });
        expect_eq(learned.call().map(|n| n.ip), ["10.7.0.5"], "only the pinned entry");
        hub.neigh_del("10.7.0.5", s.bridge);
        expect(t.elapsed < 2.0, `the silent ones time out together, took ${t.elapsed} s`);
        expect_eq(hub.unreachable([]), [], "nothing to ping");
        hub.run("ip route add prohibit 10.99.0.0/16");
        expect_eq(hub.unreachable(["10.99.0.1", "10.7.0.1"]), ["10.99.0.1"], "a refused address is only unanswered");
        expect(!hub.ping("10.99.0.1", #{ timeout: 0.3 }), "a refused single ping is false too");

        expect_eq(fails(|| hub.unreachable(["10.7.0.1", 5])).kind, "invalid", "a number in the list");
        expect_eq(fails(|| hub.unreachable(["10.7.0.1/24"])).kind, "invalid", "a prefix");
        expect_eq(fails(|| hub.unreachable(["10.7.0.1"], #{ timeout: -1 })).kind, "invalid", "a negative timeout");
        "#);
}

// ---------------------------------------------------------------- sysctl

#[test]
fn sysctl_reads_and_writes_net_keys_of_its_namespace() {
    let (_, _, oracle) = ok_then(
        r#"
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        expect_eq(type_of(r1.sysctl("net.ipv4.ip_forward")), "string", "a sysctl value is a string");
        expect_eq(r1.sysctl("net.ipv4.ip_forward"), "0", "default ip_forward");
        r1.sysctl("net.ipv4.ip_forward", 1);
        expect_eq(r1.sysctl("net.ipv4.ip_forward"), "1", "set with a number");
        r1.sysctl("net.ipv4.conf.all.rp_filter", "2");
        expect_eq(r1.sysctl("net.ipv4.conf.all.rp_filter"), "2", "set with a string");
        r1.sysctl("net.ipv6.conf.all.forwarding", true);
        expect_eq(r1.sysctl("net.ipv6.conf.all.forwarding"), "1", "set with a bool");
        expect_eq(r2.sysctl("net.ipv4.ip_forward"), "0", "another namespace is untouched");
        expect_eq(netns::host().sysctl("net.ipv4.ip_forward"), "0", "the host is untouched");
        expect_eq(fails(|| r1.sysctl("net.ipv4.no_such_key")).kind, "not_found", "a missing net key");
        "#,
        "ip netns exec r1 sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv6.conf.all.forwarding\n\
         ip netns exec r2 sysctl -n net.ipv4.ip_forward\n\
         cat /proc/sys/net/ipv4/ip_forward",
    );
    assert_eq!(
        oracle.split_whitespace().collect::<Vec<_>>(),
        ["1", "2", "1", "0", "0"]
    );
}

#[test]
fn forwarding_turns_ipv4_and_ipv6_forwarding_on_and_off() {
    let (_, _, oracle) = ok_then(
        r#"
        let r1 = netns::add("router");
        r1.forwarding(true);
        expect_eq(r1.sysctl("net.ipv4.ip_forward"), "1", "IPv4 on");
        expect_eq(r1.sysctl("net.ipv6.conf.all.forwarding"), "1", "IPv6 on");
        let r2 = netns::add("off");
        r2.forwarding(true);
        r2.forwarding(false);
        expect_eq(r2.sysctl("net.ipv4.ip_forward"), "0", "IPv4 off");
        expect_eq(r2.sysctl("net.ipv6.conf.all.forwarding"), "0", "IPv6 off");
        "#,
        "ip netns exec router sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding\n\
         ip netns exec off sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding",
    );
    assert_eq!(
        oracle.split_whitespace().collect::<Vec<_>>(),
        ["1", "1", "0", "0"]
    );
}

#[test]
fn sysctl_rejects_keys_outside_net() {
    // Only keys that cannot do harm even if the check were missing: a
    // read, and a write to a key that does not exist.
    ok(r#"
        let r1 = netns::add("r1");
        let e = fails(|| r1.sysctl("kernel.hostname"));
        expect_eq(e.kind, "invalid", "reading kernel.hostname");
        expect(e.message.contains("kernel.hostname"), `the message names the key: ${e.message}`);
        expect_eq(fails(|| r1.sysctl("fs.netscript_no_such_key", 1)).kind, "invalid", "writing a non-net key");
        expect_eq(fails(|| r1.sysctl("net/../kernel/hostname")).kind, "invalid", "a path escaping net");
        expect_eq(fails(|| r1.sysctl("net.ipv4.../../kernel.hostname")).kind, "invalid", "dots escaping net");
        "#);
}

// ------------------------------------------------------------- stdlib, exit

#[test]
fn lab_wire_connects_a_namespace_to_a_bridge() {
    let (sb, _, _) = ok_then(
        r#"
        import "topo" as topo;
        let br = bridge::add("br0");
        br.up();
        let r1 = netns::add("r1");
        let r2 = netns::add("r2");
        let e1 = topo::wire(r1, "eth0", "100.100.100.10/24", br, "veth1.2");
        let e2 = topo::wire(r2, "eth0", "100.100.100.20/24", br, "veth2.2");
        expect_eq(e1.netns.name, "r1", "wire returns the end inside the namespace");
        expect_eq(e1.name, "eth0", "its name");
        expect_eq(e1.peer.name, "veth1.2", "the bridge end");
        expect_eq(e1.peer.master, "br0", "the bridge end is a port");
        expect_eq(e1.addrs()[0], "100.100.100.10/24", "the address");
        expect(r1.ping("100.100.100.20"), "r1 -> r2 through the bridge");
        "#,
        "ip -n r1 -j addr show dev eth0 > r1.json; ip -j link > host.json",
    );
    let r1 = json(&sb.read("r1.json"));
    assert!(has_flag(&r1[0], "UP"), "{r1}");
    assert_eq!(cidrs(&r1[0])[0], "100.100.100.10/24");
    let host = json(&sb.read("host.json"));
    for port in ["veth1.2", "veth2.2"] {
        let p = link_named(&host, port);
        assert_eq!(p["master"], "br0", "{p}");
        assert!(has_flag(p, "UP"), "{p}");
    }
}

#[test]
fn exit_sets_the_status_and_stops_the_script() {
    let cases: &[(&str, i32, &str)] = &[
        ("print(\"a\"); exit(3); print(\"b\");", 3, "a\n"),
        ("exit(0); throw \"not reached\";", 0, ""),
        ("exit();", 0, ""),
        ("exit(42);", 42, ""),
        ("fn f() { exit(7); } f(); print(\"after\");", 7, ""),
        (
            "let r1 = netns::add(\"r1\"); if r1.ping(\"127.0.0.1\") { exit(5); } print(\"no\");",
            5,
            "",
        ),
        ("throw \"boom\";", 1, ""),
        ("print(\"done\");", 0, "done\n"),
    ];
    for (code, status, stdout) in cases {
        let sb = Sandbox::new();
        let run = sb.script(code);
        assert_eq!(run.status, *status, "{code}\n{}{}", run.stdout, run.stderr);
        assert_eq!(run.stdout, *stdout, "{code}");
    }
}

// ------------------------------------------------------------- neighbours

#[test]
fn neighbours_are_added_listed_used_and_deleted() {
    let (_, stdout, oracle) = ok_then(
        r#"
        let a = netns::add("a");
        let b = netns::add("b");
        let ea = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
        let eb = ea.peer;
        ea.addr_add("10.0.0.1/24");
        eb.addr_add("10.0.0.2/24");
        ea.up();
        eb.up();
        // A wrong MAC, pinned: no ARP is done, frames go to nobody.
        a.neigh_add("10.0.0.2", "02:00:00:00:00:99", ea);
        expect(!a.ping("10.0.0.2", #{ timeout: 0.5 }), "a pinned wrong MAC is used");
        a.neigh_del("10.0.0.2", "eth0");
        a.neigh_add("10.0.0.2", eb.mac, "eth0");
        expect(a.ping("10.0.0.2"), "the right MAC, pinned");
        a.neigh_add("2001:db8::2", "02-00-00-00-00-02", ea);
        let n = a.neighs().filter(|e| e.ip == "10.0.0.2");
        expect_eq(n, [#{ ip: "10.0.0.2", mac: eb.mac, dev: "eth0", state: "permanent" }], "listed");
        expect_eq(fails(|| a.neigh_add("10.0.0.2", eb.mac, ea)).kind, "exists", "twice");
        expect_eq(fails(|| a.neigh_del("10.0.0.77", ea)).kind, "not_found", "no such entry");
        expect_eq(fails(|| a.neigh_add("10.0.0.3", "02:00:00:00:00", ea)).kind, "invalid", "five bytes");
        expect_eq(fails(|| a.neigh_add("10.0.0.3", "02:00:00:00:00:zz", ea)).kind, "invalid", "not hex");
        expect_eq(fails(|| a.neigh_add("10.0.0.3/24", eb.mac, ea)).kind, "invalid", "a prefix");
        expect_eq(fails(|| a.neigh_add("10.0.0.3", eb.mac, "nope0")).kind, "not_found", "no such link");
        expect_eq(fails(|| a.neigh_add("10.0.0.3", eb.mac, eb)).kind, "invalid", "a link of another namespace");
        print(eb.mac);
        "#,
        "ip -n a -j neigh show",
    );
    let mac = stdout.trim();
    let v = json(&oracle);
    let mut seen: Vec<String> = items(&v)
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["dst"].as_str().unwrap(),
                e["lladdr"].as_str().unwrap_or(""),
                e["state"][0].as_str().unwrap_or("")
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            format!("10.0.0.2 {mac} PERMANENT"),
            "2001:db8::2 02:00:00:00:00:02 PERMANENT".to_string()
        ]
    );
}

#[test]
fn a_neighbour_added_in_the_host_goes_with_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "n.rhai",
        r#"
        let br = bridge::add("br0");
        netns::host().neigh_add("10.0.0.5", "02:00:00:00:00:05", br);
        link::add_veth("x0", "x1");
        netns::host().neigh_add("10.0.0.6", "02:00:00:00:00:06", "x0");
        "#,
    );
    let run = sb.sh(
        "netscript --lab n n.rhai && ip -j neigh show | grep -o '10.0.0.[56]' | sort | tr '\\n' ' '; echo; \
         netscript down n > down.txt; ip -j neigh show | grep -c '10.0.0' ; cat down.txt",
    );
    assert!(
        run.stdout.starts_with("10.0.0.5 10.0.0.6 \n0\n"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.contains("neighbour 10.0.0.6 on x0 (in host)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("warning"), "{}", run.stdout);
}

/// The paths of the two multipath routes both multipath tests make, as
/// `ip -j route` wrote them to v4.json and v6.json.
#[track_caller]
fn assert_paths(sb: &Sandbox) {
    for (file, paths) in [
        ("v4.json", ["10.0.0.2 ea 1", "10.0.1.2 eb 3"]),
        ("v6.json", ["2001:db8::2 ea 1", "2001:db8:1::2 eb 1"]),
    ] {
        let routes = json(&sb.read(file));
        let hops: Vec<String> = items(&routes[0]["nexthops"])
            .iter()
            .map(|h| {
                format!(
                    "{} {} {}",
                    h["gateway"].as_str().unwrap(),
                    h["dev"].as_str().unwrap(),
                    h["weight"].as_u64().unwrap_or(1)
                )
            })
            .collect();
        assert_eq!(hops, paths, "{routes}");
    }
}

/// fetch's timeout bounds the whole answer: a server that sends a byte
/// now and then (each read used to wait its own timeout, for ever) fails
/// at the timeout; and Ctrl-C stops a fetch at once.
#[test]
fn a_fetch_ends_at_its_timeout_or_at_ctrl_c_whatever_the_server_does() {
    let sb = Sandbox::new();
    sb.file(
        "drip.sh",
        "#!/bin/sh\nprintf 'HTTP/1.0 200 OK\\r\\n\\r\\n'\nwhile :; do printf x; sleep 0.3; done\n",
    );
    sb.file(
        "fetch.rhai",
        r#"
let a = netns::add("a");
let b = netns::add("b");
let ea = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
ea.addr_add("10.0.0.1/24"); ea.peer.addr_add("10.0.0.2/24"); ea.up(); ea.peer.up();
let server = b.spawn(["busybox", "nc", "-l", "-p", "8080", "-e", `${ARGS[1]}/drip.sh`]);
wait_until(|| b.listening().len() > 0, 5);
print("ready");
let t = timestamp();
try { a.fetch("http://10.0.0.2:8080/", #{ timeout: parse_float(ARGS[0]) }); print("got"); } catch (e) { print(e.kind); }
print(t.elapsed < 2.5);
"#,
    );
    let run = sb.sh(&format!(
        "chmod +x drip.sh\n\
         timeout 20 netscript --rm fetch.rhai 1 $PWD; echo status=$?\n\
         timeout 20 netscript --rm fetch.rhai 30 $PWD > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         sleep 0.5; kill -INT $pid; wait $pid; echo status=$? $(ls /run/netns | wc -l)",
        crate::faults::until_ready("out.txt")
    ));
    assert_eq!(
        run.stdout, "ready\ntimeout\ntrue\nstatus=0\nstatus=130 0\n",
        "{}",
        run.stderr
    );
}
