//! `ns.probe`: what came back for an echo across a router, IPv4 and IPv6,
//! checked against ping(8) run by hand in the same lab.

use crate::common::Sandbox;
use crate::common::api::with_prelude;

/// h1 — r1 — h2, each side its own subnet, r1 forwarding both families;
/// r1 has no route for 10.0.9.0/24 or 2001:db8:9::/64, drops 10.0.8.0/24
/// and refuses 10.0.7.0/24; it sends ICMP errors without a rate limit.
const ROUTER_LAB: &str = r#"
    let h1 = netns::add("h1");
    let r1 = netns::add("r1");
    let h2 = netns::add("h2");
    r1.sysctl("net.ipv4.ip_forward", "1");
    r1.sysctl("net.ipv6.conf.all.forwarding", "1");
    // Routers send ICMP errors to one host about once a second; the
    // oracle's pings come right after the probes.
    r1.sysctl("net.ipv4.icmp_ratelimit", "0");
    r1.sysctl("net.ipv6.icmp.ratelimit", "0");
    let a = link::add_veth("eth0", "left", #{ netns: h1, peer_netns: r1 });
    let b = link::add_veth("eth0", "right", #{ netns: h2, peer_netns: r1 });
    for l in [a, a.peer, b, b.peer] { l.up(); }
    a.addr_add("10.0.1.1/24");
    a.addr_add("2001:db8:1::1/64");
    a.peer.addr_add("10.0.1.254/24");
    a.peer.addr_add("2001:db8:1::fe/64");
    b.addr_add("10.0.2.1/24");
    b.addr_add("2001:db8:2::1/64");
    b.peer.addr_add("10.0.2.254/24");
    b.peer.addr_add("2001:db8:2::fe/64");
    h1.route_add("default", "10.0.1.254");
    h1.route_add("default", "2001:db8:1::fe");
    h2.route_add("default", "10.0.2.254");
    h2.route_add("default", "2001:db8:2::fe");
    r1.route_add("10.0.8.0/24", #{ type: "blackhole" });
    r1.route_add("10.0.7.0/24", #{ type: "prohibit" });
"#;

#[test]
fn a_probe_across_a_router_tells_replies_errors_and_loss_apart() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        &with_prelude(&format!(
            "{ROUTER_LAB}\n{}",
            r#"
        let show = |to, p| print(`${to} ok=${p.ok} error=${p.error} from=${p.from} ttl=${p.ttl} type=${p.type} code=${p.code}`);
        for to in ["10.0.2.1", "2001:db8:2::1", "10.0.9.9", "2001:db8:9::1", "10.0.7.1"] {
            show.call(to, h1.probe(to));
        }
        show.call("ttl1", h1.probe("10.0.2.1", #{ ttl: 1 }));
        show.call("ttl1-v6", h1.probe("2001:db8:2::1", #{ ttl: 1 }));
        show.call("blackhole", h1.probe("10.0.8.1", #{ timeout: 0.3 }));
        h1.route_add("10.0.6.0/24", #{ type: "unreachable" });
        show.call("local", h1.probe("10.0.6.1"));
        let p = h1.probe("10.0.2.1");
        expect(p.rtt > 0.0 && p.rtt < 1000.0, `a round trip in ms: ${p.rtt}`);
        expect(!h1.ping("10.0.2.1", #{ ttl: 1 }), "one hop is not enough");
        expect(h1.ping("10.0.2.1", #{ ttl: 2 }), "two hops are");
        expect_eq(fails(|| h1.probe("10.0.2.1", #{ ttl: 0 })).kind, "invalid", "a TTL of 0");
        expect_eq(fails(|| h1.probe("10.0.2.1", #{ ttl: 256 })).kind, "invalid", "a TTL past 255");
        expect_eq(fails(|| h1.probe("10.0.2.1", #{ hops: 2 })).kind, "invalid", "an unknown option");
        expect_eq(fails(|| h1.probe("10.0.2")).kind, "invalid", "a bad address");
        "#
        )),
    );
    let run = sb.sh("netscript --lab probe lab.rhai || exit 9\n\
         ip netns exec h1 ping -c 1 -W 2 10.0.2.1 | grep -o 'ttl=[0-9]*'\n\
         ip netns exec h1 ping -c 1 -W 2 2001:db8:2::1 | grep -o 'ttl=[0-9]*'\n\
         ip netns exec h1 ping -c 1 -W 2 10.0.9.9 | grep -o 'From .*'\n\
         ip netns exec h1 ping -c 1 -W 2 -t 1 10.0.2.1 | grep -o 'From .*'\n\
         netscript down probe > /dev/null");
    assert_eq!(
        run.stdout,
        "10.0.2.1 ok=true error= from=10.0.2.1 ttl=63 type= code=\n\
         2001:db8:2::1 ok=true error= from=2001:db8:2::1 ttl=63 type= code=\n\
         10.0.9.9 ok=false error=net_unreachable from=10.0.1.254 ttl=64 type=3 code=0\n\
         2001:db8:9::1 ok=false error=net_unreachable from=2001:db8:1::fe ttl=64 type=1 code=0\n\
         10.0.7.1 ok=false error=prohibited from=10.0.1.254 ttl=64 type=3 code=13\n\
         ttl1 ok=false error=ttl_exceeded from=10.0.1.254 ttl=64 type=11 code=0\n\
         ttl1-v6 ok=false error=ttl_exceeded from=2001:db8:1::fe ttl=64 type=3 code=0\n\
         blackhole ok=false error=lost from= ttl= type= code=\n\
         local ok=false error=host_unreachable from= ttl= type= code=\n\
         ttl=63\nttl=63\n\
         From 10.0.1.254 icmp_seq=1 Destination Net Unreachable\n\
         From 10.0.1.254 icmp_seq=1 Time to live exceeded\n",
        "{}",
        run.stderr
    );
}
