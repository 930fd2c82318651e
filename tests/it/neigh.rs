//! Neighbour tables beyond single entries: proxy ARP and NDP entries that
//! let a router stand in for hosts, and flushing what was learned; checked
//! against `ip -j neigh`.

use crate::common::api::*;
use crate::common::{Sandbox, json};

/// h1 sits in 10.0.0.0/16 and takes h2 (10.0.5.5, behind r1) for a
/// neighbour: r1 answers h1's ARP for it (and the same for IPv6), so h1
/// reaches h2 with no route at all.
#[test]
fn a_router_answers_for_the_hosts_it_proxies() {
    let (sb, out, _) = ok_then(
        r#"
        let h1 = netns::add("h1");
        let r1 = netns::add("r1");
        let h2 = netns::add("h2");
        r1.sysctl("net.ipv4.ip_forward", "1");
        r1.sysctl("net.ipv6.conf.all.forwarding", "1");
        r1.sysctl("net.ipv6.conf.all.proxy_ndp", "1");
        let a = link::add_veth("eth0", "left", #{ netns: h1, peer_netns: r1 });
        let b = link::add_veth("eth0", "right", #{ netns: h2, peer_netns: r1 });
        for l in [a, a.peer, b, b.peer] { l.up(); }
        a.addr_add("10.0.0.1/16");
        a.addr_add("2001:db8::1/48");
        a.peer.addr_add("10.0.0.254/24");
        a.peer.addr_add("2001:db8::fe/64");
        b.addr_add("10.0.5.5/24");
        b.addr_add("2001:db8:0:5::5/64");
        b.peer.addr_add("10.0.5.254/24");
        b.peer.addr_add("2001:db8:0:5::fe/64");
        h2.route_add("default", "10.0.5.254");
        h2.route_add("default", "2001:db8:0:5::fe");
        expect(!h1.ping("10.0.5.5", #{ timeout: 0.5 }), "nobody answers for h2 yet");
        r1.proxy_add("10.0.5.5", "left");
        r1.proxy_add("2001:db8:0:5::5", a.peer);
        h1.neigh_flush();
        expect(h1.ping("10.0.5.5"), "r1 answers for h2");
        expect(h1.ping("2001:db8:0:5::5"), "r1 answers for h2 (IPv6)");
        let learned = h1.neighs().filter(|e| e.ip == "10.0.5.5");
        expect_eq(learned[0].mac, a.peer.mac, "h2's address is at r1's MAC");
        for p in r1.proxies() { print(`${p.ip} ${p.dev}`); }
        expect_eq(fails(|| r1.proxy_add("10.0.5.5", "left")).kind, "exists", "twice");
        expect_eq(fails(|| r1.proxy_add("10.0.5", "left")).kind, "invalid", "a bad address");
        expect_eq(fails(|| r1.proxy_add("10.0.5.6", "nope")).kind, "not_found", "no such link");
        r1.proxy_del("2001:db8:0:5::5", "left");
        expect_eq(fails(|| r1.proxy_del("2001:db8:0:5::5", "left")).kind, "not_found", "gone");
        h1.neigh_add("10.0.9.9", "02:00:00:00:00:99", "eth0");
        let flushed = h1.neigh_flush("eth0");
        expect(flushed >= 1, `learned entries went: ${flushed}`);
        expect_eq(h1.neighs().map(|e| e.ip), ["10.0.9.9"], "a permanent entry stays");
        "#,
        "ip -n r1 -j neigh show proxy > proxy.json; ip -n h1 -j neigh show > h1.json",
    );
    let mut ours: Vec<&str> = out.lines().collect();
    ours.sort();
    assert_eq!(ours, ["10.0.5.5 left", "2001:db8:0:5::5 left"]);
    let proxies: Vec<String> = items(&json(&sb.read("proxy.json")))
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["dst"].as_str().unwrap(),
                e["dev"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(proxies, ["10.0.5.5 left"]);
    let h1: Vec<String> = items(&json(&sb.read("h1.json")))
        .iter()
        .map(|e| e["dst"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(h1, ["10.0.9.9"]);
}

/// A proxy entry on a link of the host's goes with the lab: by its
/// rollback, and by `down` after a kill -9.
#[test]
fn proxy_entries_on_host_links_go_with_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        netns::host().proxy_add("192.0.2.77", "hport");
        print("ready");
        if ARGS[0] == "fail" { throw "stop"; }
        sleep(30);
        "#,
    );
    let run = sb.sh("ip link add hport type veth peer name hpeer\n\
         netscript lab.rhai fail > /dev/null 2> rollback.txt; echo status=$?\n\
         ip neigh show proxy | wc -l\n\
         netscript lab.rhai wait > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         ip neigh show proxy | sed 's/ *$//'\n\
         kill -9 $pid; wait $pid 2>/dev/null\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         ip neigh show proxy | wc -l");
    assert_eq!(
        run.stdout, "status=1\n0\n192.0.2.77 dev hport proxy\ndown=0\n0\n",
        "{}",
        run.stderr
    );
    assert!(
        sb.read("down.txt")
            .contains("proxy entry 192.0.2.77 on hport (in host)"),
        "{}",
        sb.read("down.txt")
    );
}

#[test]
fn static_neighbours_make_a_star_reachable_without_arp_and_go_at_teardown() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        import "topo" as topo;
        let s = topo::star("br0", 3, "10.0.0.0/24");
        s.bridge.addr_add("10.0.0.254/24");
        // The hub (the host, on br0) and each host: 2 entries per host.
        print(lab::static_neighbours(#{ hubs: [netns::host()] }));
        print(s.hosts[1].neighs().map(|e| `${e.ip} ${e.state}`));
        let arp = s.bridge.capture(#{ filter: "arp" });
        print(netns::host().unreachable(["10.0.0.1", "10.0.0.2", "10.0.0.3"]));
        print(arp.stop().len());
        print(lab::static_neighbours(#{ hubs: [netns::host()] }));
        try { lab::static_neighbours(#{ hubs: "host" }); } catch (e) { print(e.kind); }
        "#,
    );
    let run = sb.sh("netscript lab.rhai || exit 9\n\
         ip neigh show nud permanent | wc -l\n\
         netscript down lab | grep -c neighbour\n\
         ip neigh show nud permanent | wc -l");
    assert_eq!(
        run.stdout, "6\n[\"10.0.0.254 permanent\"]\n[]\n0\n0\ninvalid\n3\n3\n0\n",
        "{}",
        run.stderr
    );
}

/// The bridges between a hub and its hosts get static forwarding entries,
/// so the first echo to a host is not flooded to the others (hosts
/// without IPv6 send nothing before, so without the entries the bridge
/// would not know their MACs yet); a lab with a loop gets none.
#[test]
fn static_neighbours_give_the_bridges_on_the_way_forwarding_entries() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let root = bridge::add("t0");
        root.addr_add("10.0.0.254/24");
        root.up();
        let leaf = bridge::add("t1");
        leaf.up();
        let up = link::add_veth("t1up", "t1dn");
        up.set_master(leaf); up.peer.set_master(root); up.up(); up.peer.up();
        for i in 1..=3 {
            let h = netns::add(`h${i}`, #{ ipv6: false });
            let eth = link::add_veth("eth0", `p${i}`, #{ netns: h });
            eth.addr_add(`10.0.0.${i}/24`);
            eth.up();
            eth.peer.set_master(leaf);
            eth.peer.up();
        }
        print(lab::static_neighbours(#{ hubs: [netns::host()] }));
        let mac = netns::get("h1").link("eth0").mac;
        print(root.fdb().filter(|e| e.mac == mac).map(|e| `${e.dev} ${e.state}`));
        print(leaf.fdb().filter(|e| e.mac == mac).map(|e| `${e.dev} ${e.state}`));
        print(leaf.fdb().filter(|e| e.mac == root.mac).map(|e| `${e.dev} ${e.state}`));
        let seen = netns::get("h3").link("eth0").capture(#{ filter: "icmp" });
        print(netns::host().unreachable(["10.0.0.1", "10.0.0.2"]));
        print(seen.stop().len());
        // A second way between the two bridges: a loop, so no entries.
        let second = link::add_veth("t1up2", "t1dn2");
        second.set_master(leaf); second.peer.set_master(root);
        let h4 = netns::add("h4", #{ ipv6: false });
        let eth = link::add_veth("eth0", "p4", #{ netns: h4 });
        eth.addr_add("10.0.0.4/24");
        eth.peer.set_master(leaf);
        lab::static_neighbours(#{ hubs: [netns::host()] });
        let mac4 = eth.mac;
        print(root.fdb().filter(|e| e.mac == mac4).len());
        "#,
    );
    let run = sb.sh("netscript lab.rhai || exit 9\n\
         netscript down lab | grep -c 'fdb'\n\
         ip -j link show | grep -c t0");
    assert_eq!(
        run.stdout, "6\n[\"t1dn static\"]\n[\"p1 static\"]\n[\"t1up static\"]\n[]\n0\n0\n0\n0\n",
        "{}",
        run.stderr
    );
}

/// pingall with static neighbours: no ARP on the wire, every pair
/// answers, no entry left behind; without, ARP runs (the test can fail).
#[test]
fn pingall_with_static_neighbours_sends_no_arp_and_leaves_no_entry() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        import "topo" as topo;
        let s = topo::star("br0", 4, "10.0.0.0/24");
        let arp = s.bridge.capture(#{ filter: "arp" });
        let r = pingall(#{ neighbours: "static" });
        print(`${r.dropped}/${r.sent} ${arp.stop().len()}`);
        print(s.hosts.map(|h| h.neighs().len()));
        let arp = s.bridge.capture(#{ filter: "arp" });
        let r = pingall();
        print(`${r.dropped}/${r.sent} ${arp.stop().len() > 0}`);
        try { pingall(#{ neighbours: "fixed" }); } catch (e) { print(e.kind); }
        // A namespace the lab did not make gets no entry: ARP serves it.
        let other = netns::get("other");
        let eth = link::add_veth("eth0", "o1", #{ netns: other });
        eth.addr_add("10.0.0.99/24");
        eth.up();
        eth.peer.set_master(s.bridge);
        eth.peer.up();
        let theirs = s.bridge.capture(#{ filter: "arp and host 10.0.0.99" });
        let ours = s.bridge.capture(#{ filter: "arp and not host 10.0.0.99" });
        let r = pingall(#{ neighbours: "static" });
        print(`${r.dropped}/${r.sent} ${theirs.stop().len() > 0} ${ours.stop().len()}`);
        "#,
    );
    let run = sb.sh("ip netns add other && netscript --rm lab.rhai; ip netns del other");
    assert_eq!(
        run.stdout, "0/12 0\n[0, 0, 0, 0]\n0/12 true\ninvalid\n0/20 true 0\n",
        "{}",
        run.stderr
    );
}

/// The entries pingall makes for a while are changes, and --trace shows
/// them: each added, then deleted, as `ip` would.
#[test]
fn pingall_with_static_neighbours_is_traced() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        import "topo" as topo;
        let s = topo::star("br0", 2, "10.0.0.0/24");
        print(pingall(#{ neighbours: "static" }).dropped);
        "#,
    );
    let run = sb.sh("netscript --rm --trace lab.rhai");
    assert_eq!(run.stdout, "0\n", "{}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(" neigh "))
        .map(|l| l.split("  #").next().unwrap())
        .collect();
    let adds = lines.iter().filter(|l| l.contains(" neigh add ")).count();
    let dels = lines.iter().filter(|l| l.contains(" neigh del ")).count();
    // two hosts, each the source once: an entry each way per pair
    assert_eq!((adds, dels), (4, 4), "{}", run.stderr);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ip -n h1 neigh add 10.0.0.2 lladdr ")
                && l.ends_with(" dev eth0")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"ip -n h1 neigh del 10.0.0.2 dev eth0"),
        "{lines:?}"
    );
}
