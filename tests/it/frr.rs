//! Routing daemons through the stdlib's `frr` module (FRR is installed by
//! .ci/run): the OSPF ring converges with both equal-cost paths, reroutes
//! when a link is cut, and leaves no daemon behind; a configuration FRR
//! rejects is an error at the script's line.

use crate::common::Sandbox;

#[test]
fn the_ospf_ring_converges_reroutes_and_goes_away() {
    let sb = Sandbox::new();
    let recipe = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ospf-ring.rhai");
    let run = sb.sh_own_pids(&format!(
        "netscript {recipe} || exit 9\n\
         ps -e -o comm | grep -cE '^(zebra|ospfd)$'\n\
         netscript down -v ospf-ring | grep -c '^  - process'\n\
         echo left=$(ps -e -o comm | grep -cE '^(zebra|ospfd)$') files=$(ls /run/netscript | wc -l)"
    ));
    assert_eq!(
        run.stdout,
        "4 routers converged\n\
         hosts: 0 of 12 pairs dropped\n\
         r1 to 10.3.0.0/24: 2 equal-cost next hops [\"10.0.1.2\", \"10.0.4.1\"]\n\
         after the cut, r1 to 10.2.0.0/24 via 10.0.4.1\n\
         hosts: 0 of 12 pairs dropped\n\
         8\n8\nleft=0 files=0\n",
        "{}",
        run.stderr
    );
}

#[test]
fn a_configuration_frr_rejects_is_an_error_at_the_scripts_line() {
    let sb = Sandbox::new();
    let run = sb.script(
        "import \"frr\" as frr;\nlet r1 = netns::add(\"r1\");\n\
         frr::router(r1, #{ ospf: #{ networks: [\"not-a-network\"] } });\n",
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("FRR's ospfd rejects its configuration: No such command on config line")
            && run.stderr.contains("network not-a-network area 0"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(" 3 │ frr::router(r1, #{ ospf: #{ networks: [\"not-a-network\"] } });"),
        "{}",
        run.stderr
    );
    let run =
        sb.script("import \"frr\" as frr;\nfrr::router(netns::add(\"r1\"), #{ osfp: #{} });\n");
    assert!(
        run.stderr.contains("frr::router has no option \"osfp\""),
        "{}",
        run.stderr
    );
}

#[test]
fn two_bgp_routers_peer_and_learn_each_others_network() {
    let sb = Sandbox::new();
    // --rm: FRR's daemons detach, and a lab left up would keep them (and
    // the test's namespaces) running after the test.
    sb.file(
        "test.rhai",
        r#"
        import "frr" as frr;
        let a = netns::add("a");
        let b = netns::add("b");
        let e = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
        e.addr_add("10.0.0.1/24");
        e.peer.addr_add("10.0.0.2/24");
        e.up();
        e.peer.up();
        let lan = link::add_veth("lan", "lan-end", #{ netns: a, peer_netns: a });
        lan.addr_add("192.168.1.1/24");
        lan.up();
        lan.peer.up();
        frr::router(a, #{ id: "1.1.1.1", bfd: true, bgp: #{ asn: 65001,
            neighbors: [#{ address: "10.0.0.2", asn: 65002, bfd: true }], networks: ["192.168.1.0/24"] } });
        frr::router(b, #{ id: "2.2.2.2", bfd: true, bgp: #{ asn: 65002,
            neighbors: [#{ address: "10.0.0.1", asn: 65001, bfd: true }] } });
        frr::wait_converged([a, b], 30);
        print(b.routes().filter(|r| r.dst == "192.168.1.0/24").map(|r| `${r.gateway} ${r.proto}`));
        print(frr::vtysh(b, "show bgp summary json").ipv4Unicast.peers["10.0.0.1"].state);
        let up = wait_until(|| frr::vtysh(a, "show bfd peers json").map(|p| p.status) == ["up"], 10);
        print(up);
        "#,
    );
    let run = sb.sh(
        "netscript --rm test.rhai; echo left=$(ps -e -o args | grep -c '[/]run/netscript/test.files/')",
    );
    assert_eq!(
        run.stdout, "[\"10.0.0.1 bgp\"]\nEstablished\ntrue\nleft=0\n",
        "{}",
        run.stderr
    );
}
