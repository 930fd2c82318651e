//! Bad input across the whole script API, table-driven: every case must
//! fail with exit status 1, the right error kind, an underline on exactly
//! the offending argument (or options entry), and leave the kernel and
//! /run exactly as they were before the script ran.

use crate::common::Sandbox;

/// Lines every case runs first, so the bad call has things to act on.
const PRELUDE: &str = r#"let a = netns::add("a");
let v = link::add_veth("v0", "v1", #{ peer_netns: a });
let br = bridge::add("br0");
let p = a.link("v1");
"#;

/// (the bad line, the error kind, the text the report must underline).
/// An empty culprit means "the whole call" (the first call on the line).
const CASES: &[(&str, &str, &str)] = &[
    // Namespace names: nothing may land outside /run/netns.
    (r#"netns::add("");"#, "invalid", r#""""#),
    (
        r#"netns::add("../../tmp/x");"#,
        "invalid",
        r#""../../tmp/x""#,
    ),
    (r#"netns::add("a/b");"#, "invalid", r#""a/b""#),
    (r#"netns::add(".hidden");"#, "invalid", r#"".hidden""#),
    (r#"netns::add("..");"#, "invalid", r#""..""#),
    (r#"netns::add("host");"#, "invalid", r#""host""#),
    (
        r#"netns::add("nul\x00byte");"#,
        "invalid",
        r#""nul\x00byte""#,
    ),
    (r#"netns::add("a");"#, "exists", r#""a""#),
    (r#"netns::add("b", #{ ipv6: 0 });"#, "invalid", "ipv6: 0"),
    (
        r#"netns::add("b", #{ ip6: false });"#,
        "invalid",
        "ip6: false",
    ),
    (r#"netns::add("a", #{ ipv6: false });"#, "exists", r#""a""#),
    (r#"netns::ensure("../x");"#, "invalid", r#""../x""#),
    (r#"netns::get("nope");"#, "not_found", r#""nope""#),
    (r#"netns::get("../a");"#, "invalid", r#""../a""#),
    (r#"netns::del("../etc");"#, "invalid", r#""../etc""#),
    (r#"netns::attach("../x", 1);"#, "invalid", r#""../x""#),
    (r#"netns::attach("x", -1);"#, "invalid", "-1"),
    (r#"netns::attach("x", 0);"#, "invalid", "0"),
    (
        r#"netns::attach("x", 2147483647);"#,
        "not_found",
        "2147483647",
    ),
    (r#"netns::identify(-5);"#, "invalid", "-5"),
    // Interface names: the kernel's rules, checked before any call.
    (
        r#"link::add_veth("abcdefghijklmnop", "x");"#,
        "invalid",
        r#""abcdefghijklmnop""#,
    ),
    (r#"link::add_veth("", "x");"#, "invalid", r#""""#),
    (r#"link::add_veth("a b", "x");"#, "invalid", r#""a b""#),
    (r#"link::add_veth("x", "a/b");"#, "invalid", r#""a/b""#),
    (r#"link::add_veth("x", "a:b");"#, "invalid", r#""a:b""#),
    (
        r#"link::add_veth("x", "tab\there");"#,
        "invalid",
        r#""tab\there""#,
    ),
    (
        r#"link::add_veth("x", "new\nline");"#,
        "invalid",
        r#""new\nline""#,
    ),
    (
        r#"link::add_veth("x", "bell\x07");"#,
        "invalid",
        r#""bell\x07""#,
    ),
    (
        r#"link::add_veth("x", "üüüüüüüü");"#,
        "invalid",
        r#""üüüüüüüü""#,
    ),
    (r#"link::add_veth("x", "..");"#, "invalid", r#""..""#),
    (r#"link::add_veth("v0", "x");"#, "exists", r#""v0""#),
    (r#"link::add_veth("x", "x");"#, "invalid", r#""x""#),
    (
        r#"link::add_veth("x", "y", #{ peer_netns: "nope" });"#,
        "not_found",
        r#"peer_netns: "nope""#,
    ),
    (
        r#"link::add_veth("x", "y", #{ netns: 5 });"#,
        "invalid",
        "netns: 5",
    ),
    (
        r#"link::add_veth("x", "y", #{ bogus: 1 });"#,
        "invalid",
        "bogus: 1",
    ),
    (r#"link::get("a/b");"#, "invalid", r#""a/b""#),
    (r#"link::get("nope");"#, "not_found", r#""nope""#),
    (r#"a.link("");"#, "invalid", r#""""#),
    (r#"bridge::add("br0");"#, "exists", r#""br0""#),
    (
        r#"bridge::add("this_is_too_long");"#,
        "invalid",
        r#""this_is_too_long""#,
    ),
    (
        r#"bridge::add("b", #{ ageing: -1 });"#,
        "invalid",
        "ageing: -1",
    ),
    (
        r#"bridge::add("b", #{ stp: "yes" });"#,
        "invalid",
        r#"stp: "yes""#,
    ),
    (
        r#"bridge::add("b", #{ colour: "red" });"#,
        "invalid",
        r#"colour: "red""#,
    ),
    // Link settings.
    (r#"v.set_mtu(0);"#, "invalid", "0"),
    (r#"v.set_mtu(1 << 20);"#, "invalid", "1 << 20"),
    (r#"v.set_mtu(-1);"#, "invalid", "-1"),
    (r#"set_mtu(v, 70000);"#, "invalid", "70000"),
    (r#"v.rename("");"#, "invalid", r#""""#),
    (r#"v.rename("a/b");"#, "invalid", r#""a/b""#),
    (r#"v.rename("br0");"#, "exists", r#""br0""#),
    (r#"v.set_master("nope");"#, "not_found", r#""nope""#),
    (r#"v.set_master(v);"#, "invalid", "v"),
    (r#"v.set_netns("../x");"#, "invalid", r#""../x""#),
    (r#"v.set_netns("nope");"#, "not_found", r#""nope""#),
    (
        r#"link::add_macvlan(v, "sideways");"#,
        "invalid",
        r#""sideways""#,
    ),
    (r#"v.del(#{ force: "yes" });"#, "invalid", r#"force: "yes""#),
    (r#"v.del(#{ forse: true });"#, "invalid", "forse: true"),
    (r#"link::get("lo").set_netns(a);"#, "permission", ""),
    // Addresses.
    (
        r#"v.addr_add("10.0.0.1/33");"#,
        "invalid",
        r#""10.0.0.1/33""#,
    ),
    (
        r#"v.addr_add("10.0.0.256/24");"#,
        "invalid",
        r#""10.0.0.256/24""#,
    ),
    (
        r#"v.addr_add("2001:db8::1/129");"#,
        "invalid",
        r#""2001:db8::1/129""#,
    ),
    (r#"v.addr_add("hello");"#, "invalid", r#""hello""#),
    (
        r#"v.addr_del("10.9.9.9/24");"#,
        "not_found",
        r#""10.9.9.9/24""#,
    ),
    (r#"addr::host("10.0.0.0/24", 300);"#, "invalid", "300"),
    (r#"addr::host("10.0.0.0/24", -1);"#, "invalid", "-1"),
    (r#"addr::subnets("10.0.0.0/8", 33, 2);"#, "invalid", "33"),
    (r#"addr::subnets("10.0.0.0/8", 16, -1);"#, "invalid", "-1"),
    (
        r#"addr::network("10.0.0.0/99");"#,
        "invalid",
        r#""10.0.0.0/99""#,
    ),
    // Routes and neighbours.
    (
        r#"a.route_add("10.1.0.0/16", "300.1.1.1");"#,
        "invalid",
        r#""300.1.1.1""#,
    ),
    (
        r#"a.route_add("10.1.0.0/33", "10.0.0.1");"#,
        "invalid",
        r#""10.1.0.0/33""#,
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ type: "sideways" });"#,
        "invalid",
        r#"type: "sideways""#,
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ dev: "v1", metric: -1 });"#,
        "invalid",
        "metric: -1",
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ dev: "nope" });"#,
        "not_found",
        r#"dev: "nope""#,
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ dev: "v1", proto: "sideways" });"#,
        "invalid",
        r#"proto: "sideways""#,
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ dev: "v1", scope: 256 });"#,
        "invalid",
        "scope: 256",
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ dev: "v1", src: "2001:db8::1" });"#,
        "invalid",
        r#"src: "2001:db8::1""#,
    ),
    (
        r#"a.route_add("10.1.0.0/16", #{ dev: "v1", src: "10.0.0/8" });"#,
        "invalid",
        r#"src: "10.0.0/8""#,
    ),
    (
        r#"a.neigh_add("10.0.0.9", "zz:zz:zz:zz:zz:zz", "v1");"#,
        "invalid",
        r#""zz:zz:zz:zz:zz:zz""#,
    ),
    (
        r#"a.neigh_add("10.0.0.9", "00:11:22:33:44", "v1");"#,
        "invalid",
        r#""00:11:22:33:44""#,
    ),
    (
        r#"a.neigh_add("ten", "00:11:22:33:44:55", "v1");"#,
        "invalid",
        r#""ten""#,
    ),
    (
        r#"a.neigh_add("10.0.0.9", "00:11:22:33:44:55", "nope");"#,
        "not_found",
        r#""nope""#,
    ),
    // Link kinds and traffic control.
    (
        r#"link::add_vxlan("vx", #{ id: 16777216, remote: "10.0.0.2" });"#,
        "invalid",
        "id: 16777216",
    ),
    (
        r#"link::add_vxlan("vx", #{ id: -1, remote: "10.0.0.2" });"#,
        "invalid",
        "id: -1",
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10, remote: "10.0.0.2", port: 70000 });"#,
        "invalid",
        "port: 70000",
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10, remote: "nowhere" });"#,
        "invalid",
        r#"remote: "nowhere""#,
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10, group: "10.0.0.9", dev: v });"#,
        "invalid",
        r#"group: "10.0.0.9""#,
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10, srcport: [9, 2] });"#,
        "invalid",
        "srcport: [9, 2]",
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10, ttl: 300 });"#,
        "invalid",
        "ttl: 300",
    ),
    (r#"v.set_txqueuelen(-5);"#, "invalid", "-5"),
    (r#"a.probe("10.0.0.1", #{ ttl: 0 });"#, "invalid", "ttl: 0"),
    (
        r#"a.ping("10.0.0.1", #{ ttl: 300 });"#,
        "invalid",
        "ttl: 300",
    ),
    (r#"a.probe("10.0.0");"#, "invalid", r#""10.0.0""#),
    (r#"a.proxy_add("10.0.0", "v1");"#, "invalid", r#""10.0.0""#),
    (
        r#"a.masquerade(#{ src: "10.0.0.0/33" });"#,
        "invalid",
        r#"src: "10.0.0.0/33""#,
    ),
    (
        r#"a.allow(#{ proto: "tcp", port: 70000 });"#,
        "invalid",
        "port: 70000",
    ),
    (
        r#"a.publish(#{ port: 80, to: "10.0.0.2:99999" });"#,
        "invalid",
        r#"to: "10.0.0.2:99999""#,
    ),
    (
        r#"a.publish(#{ port: 80, to: "10.0.0.2", proto: "gre" });"#,
        "invalid",
        r#"proto: "gre""#,
    ),
    (
        r#"a.deny(#{ chain: "nat" });"#,
        "invalid",
        r#"chain: "nat""#,
    ),
    (r#"a.forward_policy("reject");"#, "invalid", r#""reject""#),
    (
        r#"a.proxy_add("10.0.0.5", "nope");"#,
        "not_found",
        r#""nope""#,
    ),
    (
        r#"v.fdb_add("02:00:00:00:00");"#,
        "invalid",
        r#""02:00:00:00:00""#,
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10 }).fdb_add("02:00:00:00:00:01", #{ dst: "10.0.0" });"#,
        "invalid",
        r#"dst: "10.0.0""#,
    ),
    (
        r#"link::add_vxlan("vx", #{ id: 10 }).fdb_append("00:00:00:00:00:00", #{ dst: "10.0.0.2", vni: -1 });"#,
        "invalid",
        "vni: -1",
    ),
    (
        r#"v.shape(#{ rate: "10 parsecs", burst: "32kb", latency: "50ms" });"#,
        "invalid",
        r#"rate: "10 parsecs""#,
    ),
    (
        r#"v.shape(#{ rate: "1mbit", burst: "-5", latency: "50ms" });"#,
        "invalid",
        r#"burst: "-5""#,
    ),
    (
        r#"v.shape(#{ rate: "1mbit", burst: "32kb", latency: "1fortnight" });"#,
        "invalid",
        r#"latency: "1fortnight""#,
    ),
    // Impairments: checked before the kernel sees them (this machine's
    // kernel has no netem; tests/it/kernel_vm.rs applies good ones).
    (
        r#"v.netem(#{ delay: "20 parsecs" });"#,
        "invalid",
        r#"delay: "20 parsecs""#,
    ),
    (r#"v.netem(#{ delay: 20 });"#, "invalid", "delay: 20"),
    (
        r#"v.netem(#{ delay: "10ms", loss: "101%" });"#,
        "invalid",
        r#"loss: "101%""#,
    ),
    (r#"v.netem(#{ loss: "-1%" });"#, "invalid", r#"loss: "-1%""#),
    (
        r#"v.netem(#{ duplicate: "lots" });"#,
        "invalid",
        r#"duplicate: "lots""#,
    ),
    (
        r#"v.netem(#{ jitter: "5ms" });"#,
        "invalid",
        r#"jitter: "5ms""#,
    ),
    (
        r#"v.netem(#{ reorder: "25%" });"#,
        "invalid",
        r#"reorder: "25%""#,
    ),
    (
        r#"v.netem(#{ delay: "1ms", gap: 3 });"#,
        "invalid",
        "gap: 3",
    ),
    (r#"v.netem(#{ limit: 0 });"#, "invalid", "limit: 0"),
    (
        r#"v.netem(#{ delay: "5s", jitter: "3s" });"#,
        "invalid",
        r#"jitter: "3s""#,
    ),
    ("let id = 4096; link::add_vlan(v, id);", "invalid", "id"),
    (
        r#"v.netem(#{ rate: "0bit" });"#,
        "invalid",
        r#"rate: "0bit""#,
    ),
    (
        r#"v.netem(#{ latency: "5ms" });"#,
        "invalid",
        r#"latency: "5ms""#,
    ),
    // VLANs: ids and protocols are checked before the kernel sees them.
    ("link::add_vlan(v, 5000);", "invalid", "5000"),
    ("link::add_vlan(v, -1);", "invalid", "-1"),
    (
        r#"link::add_vlan(v, 10, #{ protocol: "isl" });"#,
        "invalid",
        r#"protocol: "isl""#,
    ),
    (
        r#"link::add_vlan(v, 10, #{ tag: 3 });"#,
        "invalid",
        "tag: 3",
    ),
    (
        r#"link::add_dummy("d", #{ netns: "../x" });"#,
        "invalid",
        r#"netns: "../x""#,
    ),
    // VRFs and routing tables.
    (r#"link::add_vrf("vrf0", 255);"#, "invalid", "255"),
    (r#"link::add_vrf("vrf0", -3);"#, "invalid", "-3"),
    (
        r#"a.route_add("10.9.0.0/16", #{ type: "blackhole", table: 253 });"#,
        "invalid",
        "table: 253",
    ),
    (
        r#"a.routes(#{ table: "main" });"#,
        "invalid",
        r#"table: "main""#,
    ),
    (r#"a.routes(#{ tbl: 10 });"#, "invalid", "tbl: 10"),
    // More of the API: bridge options, deletions, processes, fetches.
    ("br.set_bridge(#{ ageing: -1 });", "invalid", "ageing: -1"),
    ("br.set_bridge(#{ colour: 1 });", "invalid", "colour: 1"),
    (
        r#"a.route_del("10.9.0.0/16", "10.0.0.300");"#,
        "invalid",
        r#""10.0.0.300""#,
    ),
    (
        r#"a.route_del("10.9.0.0/33", "10.0.0.1");"#,
        "invalid",
        r#""10.9.0.0/33""#,
    ),
    (
        r#"a.neigh_del("10.0.0.300", p);"#,
        "invalid",
        r#""10.0.0.300""#,
    ),
    (
        r#"a.spawn("sleep 1", #{ timeout: -1 });"#,
        "invalid",
        "timeout: -1",
    ),
    (r#"a.spawn("");"#, "invalid", r#""""#),
    (r#"a.fetch("not a url");"#, "invalid", r#""not a url""#),
    (
        r#"a.fetch("http://10.0.0.1:70000/");"#,
        "invalid",
        r#""http://10.0.0.1:70000/""#,
    ),
    (
        r#"link::add_macvlan(v, "bridge", #{ name: "abcdefghijklmnopq" });"#,
        "invalid",
        r#"name: "abcdefghijklmnopq""#,
    ),
    (r#"a.run("true", #{ colour: 1 });"#, "invalid", "colour: 1"),
    (r#"a.spawn("sleep 5").wait(-1);"#, "invalid", "-1"),
    // Commands, pings and sysctls.
    (
        r#"a.ping_stats("10.0.0.1", #{ count: 0 });"#,
        "invalid",
        "count: 0",
    ),
    (
        r#"a.ping_stats("10.0.0.1", #{ interval: -1 });"#,
        "invalid",
        "interval: -1",
    ),
    (
        r#"a.ping_stats("10.0.0.1", #{ every: 1 });"#,
        "invalid",
        "every: 1",
    ),
    (
        r#"a.ping_stats("10.0.0.300");"#,
        "invalid",
        r#""10.0.0.300""#,
    ),
    (
        r#"a.ping("10.0.0.1", #{ timeout: -1 });"#,
        "invalid",
        "timeout: -1",
    ),
    (
        r#"a.ping("not-an-address");"#,
        "invalid",
        r#""not-an-address""#,
    ),
    (
        r#"a.exec("true", #{ timeout: 0 });"#,
        "invalid",
        "timeout: 0",
    ),
    (r#"a.exec("");"#, "invalid", r#""""#),
    (
        r#"a.sysctl("../../../etc/passwd");"#,
        "invalid",
        r#""../../../etc/passwd""#,
    ),
    (
        r#"a.sysctl("net.ipv4.no_such_key");"#,
        "not_found",
        r#""net.ipv4.no_such_key""#,
    ),
    (
        r#"a.sysctl("net.ipv4.ip_forward", "maybe");"#,
        "invalid",
        r#""maybe""#,
    ),
    (r#"container::pid("");"#, "invalid", r#""""#),
    // Arguments of the wrong type: no function matches, and the report
    // points at the argument every candidate disagrees with.
    (r#"netns::add(5);"#, "call", "5"),
    (r#"v.set_mtu("big");"#, "call", r#""big""#),
    (r#"v.set_master(5);"#, "call", "5"),
    (r#"a.route_add(5, "10.0.0.1");"#, "call", "5"),
    (r#"link::add_veth("x", 5, #{});"#, "call", "5"),
    (r#"a.ping(10);"#, "call", "10"),
    // Time.
    (r#"sleep(-1);"#, "invalid", "-1"),
    (r#"sleep("10 parsecs");"#, "invalid", r#""10 parsecs""#),
    (r#"after(-1, || 1);"#, "invalid", "-1"),
    (r#"every(0, || 1);"#, "invalid", "0"),
    (r#"every(1e-10, || 1);"#, "invalid", "1e-10"),
    (r#"every("100us", || 1);"#, "invalid", r#""100us""#),
    (r#"wait_until(|| false, -1.0);"#, "invalid", "-1.0"),
    // Exit statuses: one a shell would read as 0 is a mistake.
    (r#"exit(256);"#, "invalid", "256"),
    (r#"exit(-1);"#, "invalid", "-1"),
    (r#"exit(1.5);"#, "invalid", "1.5"),
    (r#"exit("x");"#, "invalid", r#""x""#),
];

/// Interfaces in the sandbox's root, the namespaces and the ledgers: what
/// a failed script must leave as it found it.
const STATE: &str = "ip -o link show | cut -d: -f2 | tr -d ' \\n'; echo; \
    ls -A /run/netns | tr '\\n' ' '; echo; ls -A /run/netscript 2>/dev/null | tr '\\n' ' '";

#[test]
fn bad_input_is_refused_with_a_spanned_error_and_leaves_nothing() {
    let sb = Sandbox::new();
    let mut runs = String::from(&format!("{{ {STATE}; }} > before\n"));
    for (i, (line, _, _)) in CASES.iter().enumerate() {
        sb.file(&format!("case{i}.rhai"), &format!("{PRELUDE}{line}\n"));
        runs.push_str(&format!(
            "netscript case{i}.rhai > /dev/null 2> case{i}.err; echo $? > case{i}.status; \
             {{ {STATE}; }} > case{i}.state\n\
             [ \"$(cat case{i}.status)\" = 0 ] && netscript down case{i} > /dev/null 2>&1\n"
        ));
    }
    // One sandbox for all of them: each case must leave it as it found it.
    sb.sh(&runs);
    let before = sb.read("before");
    let line_no = PRELUDE.lines().count() + 1;
    let mut failures = Vec::new();
    for (i, (line, kind, culprit)) in CASES.iter().enumerate() {
        let stderr = sb.read(&format!("case{i}.err"));
        let mut wrong = Vec::new();
        let status = sb.read(&format!("case{i}.status"));
        if status.trim() != "1" {
            wrong.push(format!("exit status {}", status.trim()));
        }
        if !stderr.starts_with(&format!("netscript::{kind}\n")) {
            wrong.push(format!("not kind {kind}"));
        }
        if stderr.contains("panicked") {
            wrong.push("panicked".into());
        }
        let expected = if culprit.is_empty() {
            None
        } else {
            Some(*culprit)
        };
        match underlined(&stderr, line_no) {
            Some(text) if expected.is_none_or(|c| c == text) => {}
            Some(text) => wrong.push(format!("underlines `{text}`, not `{culprit}`")),
            None => wrong.push(format!("no underline on line {line_no}")),
        }
        let state = sb.read(&format!("case{i}.state"));
        if state != before {
            wrong.push(format!("left state:\n{state}\ninstead of:\n{before}"));
        }
        if !wrong.is_empty() {
            failures.push(format!("{line}\n  {}\n{stderr}", wrong.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    assert!(CASES.len() >= 60);
}

/// The text under the primary label on source line `line_no` of a
/// rendered report.
fn underlined(report: &str, line_no: usize) -> Option<String> {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines.iter().position(|l| {
        l.trim_start()
            .strip_prefix(&format!("{line_no} │"))
            .is_some()
    })?;
    let source: Vec<char> = lines[at].chars().collect();
    let marks: Vec<char> = lines.get(at + 1)?.chars().collect();
    let bar = source.iter().position(|c| *c == '│')? + 2;
    let is_mark = |c: &char| "─┬╰┴".contains(*c);
    let first = marks.iter().position(is_mark)?;
    let last = marks.iter().rposition(is_mark)?;
    (first >= bar).then(|| {
        source[first.min(source.len())..(last + 1).min(source.len())]
            .iter()
            .collect()
    })
}
