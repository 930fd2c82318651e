//! The firewall in scripts: masquerade, published ports, allow and deny,
//! nft text, each rule in the lab's own nftables table; checked by what
//! gets through, by counters, and by `nft -j` as the oracle; and no table
//! left behind anywhere, while tables others own are never touched.

use crate::common::api::*;
use crate::common::{Sandbox, json};

/// h1 behind gw, which routes to isp; isp has no route back, so h1
/// reaches it only masqueraded.
const BEHIND_NAT: &str = r#"
    let isp = netns::add("isp");
    let gw = netns::add("gw");
    let h1 = netns::add("h1");
    gw.sysctl("net.ipv4.ip_forward", "1");
    let up = link::add_veth("up0", "eth0", #{ netns: gw, peer_netns: isp });
    let lan = link::add_veth("lan0", "eth0", #{ netns: gw, peer_netns: h1 });
    for l in [up, up.peer, lan, lan.peer] { l.up(); }
    up.addr_add("198.51.100.2/24");
    up.peer.addr_add("198.51.100.1/24");
    lan.addr_add("10.0.0.1/24");
    lan.peer.addr_add("10.0.0.11/24");
    h1.route_add("default", "10.0.0.1");
"#;

#[test]
fn masquerade_and_filters_do_what_they_say_and_counters_show_it() {
    let (sb, out, _) = ok_then(
        &format!(
            "{BEHIND_NAT}{}",
            r#"
        expect(!h1.ping("198.51.100.1", #{ timeout: 0.5 }), "no way back without NAT");
        let nat = gw.masquerade(#{ src: "10.0.0.0/24", oif: "up0" });
        expect(h1.ping("198.51.100.1"), "masqueraded, isp answers");
        let deny = gw.deny(#{ from: "10.0.0.11", proto: "icmp" });
        expect(!h1.ping("198.51.100.1", #{ timeout: 0.5 }), "icmp from h1 denied");
        let rules = gw.firewall().rules;
        let count = |id| rules.filter(|r| r.id == id)[0].packets;
        expect(count.call(deny) >= 1, `the deny rule matched: ${rules}`);
        print(`nat ${count.call(nat) >= 1}`);
        gw.firewall_del(deny);
        expect(h1.ping("198.51.100.1"), "allowed again");
        gw.firewall_del(nat);
        expect(!h1.ping("198.51.100.1", #{ timeout: 0.5 }), "no NAT, no answer");
        gw.forward_policy("drop");
        gw.masquerade(#{ oif: "up0" });
        expect(!h1.ping("198.51.100.1", #{ timeout: 0.5 }), "forwarding dropped by policy");
        let allow = gw.allow(#{ iif: "lan0", proto: "icmp" });
        expect(h1.ping("198.51.100.1"), "allowed out, replies let back");
        gw.nft("chain forward { ip daddr 198.51.100.9 counter drop; }");
        expect_eq(gw.firewall().rules.filter(|r| r.id == ()).map(|r| r.rule), ["ip daddr 198.51.100.9 counter drop"], "nft text in the forward chain");
        expect_eq(fails(|| gw.firewall_del(allow + 100)).kind, "not_found", "no such id");
        expect_eq(fails(|| gw.nft("} table ip filter { chain x { } }")).kind, "invalid", "text that leaves the table");
        expect_eq(fails(|| gw.nft("include \"/etc/nftables.conf\"")).kind, "invalid", "include");
        expect_eq(fails(|| gw.nft("chain forward { ip daddr 10.0.0.0/33 drop; }")).kind, "invalid", "nft's own error");
        expect_eq(fails(|| gw.allow(#{ proto: "tcp", port: 70000 })).kind, "invalid", "a port past 65535");
        expect_eq(fails(|| gw.allow(#{ proto: "gre" })).kind, "invalid", "an unknown protocol");
        expect_eq(fails(|| gw.allow(#{ port: 22 })).kind, "invalid", "a port without a protocol");
        expect_eq(fails(|| gw.allow(#{ from: "10.0.0.0/33" })).kind, "invalid", "a bad prefix");
        expect_eq(fails(|| gw.allow(#{ from: "10.0.0.0/24", to: "2001:db8::/64" })).kind, "invalid", "two families");
        expect_eq(fails(|| gw.allow(#{ iif: "a\"b" })).kind, "invalid", "a quote in a link name");
        expect_eq(fails(|| gw.allow(#{ chain: "postrouting" })).kind, "invalid", "a chain filters do not go in");
        expect_eq(fails(|| gw.forward_policy("reject")).kind, "invalid", "a policy nft has not");
        expect_eq(fails(|| gw.publish(#{ port: 80 })).kind, "invalid", "publish without to");
        expect_eq(fails(|| gw.publish(#{ port: 80, to: "10.0.0.2:0" })).kind, "invalid", "port 0");
        expect_eq(fails(|| gw.publish(#{ port: 80, to: "10.0.0.2", proto: "icmp" })).kind, "invalid", "icmp has no ports");
        "#
        ),
        "ip netns exec gw nft -j list table inet netscript_test > gw.json; \
         ip netns exec gw nft list tables > tables.txt",
    );
    assert_eq!(out, "nat true\n");
    assert_eq!(sb.read("tables.txt"), "table inet netscript_test\n");
    let rules: Vec<String> = json(&sb.read("gw.json"))["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o.get("rule"))
        .map(|r| r["chain"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        rules,
        ["postrouting", "forward", "forward", "forward"],
        "{rules:?}"
    );
}

/// A port published on gw reaches a server behind it from outside and
/// from gw itself; deleting it closes it.
#[test]
fn a_published_port_is_reached_from_outside_and_from_the_gateway() {
    ok(&format!(
        "{BEHIND_NAT}{}",
        r#"
        let server = h1.spawn(["sh", "-c", "d=$(mktemp -d); echo hi from h1 > $d/index.html; busybox httpd -f -p 80 -h $d"]);
        wait_until(|| h1.listening().len() > 0, 5);
        let id = gw.publish(#{ port: 8080, to: "10.0.0.11:80" });
        gw.publish(#{ port: 8081, to: "10.0.0.11:80", iif: "up0" });
        gw.masquerade(#{ src: "10.0.0.0/24", oif: "up0" });
        expect_eq(isp.fetch("http://198.51.100.2:8080/").body, "hi from h1\n", "from outside");
        expect_eq(gw.fetch("http://198.51.100.2:8080/").body, "hi from h1\n", "from the gateway itself");
        expect_eq(gw.fetch("http://localhost:8080/").body, "hi from h1\n", "from the gateway's localhost");
        expect_eq(gw.sysctl("net.ipv4.conf.all.route_localnet"), "1", "what localhost needs");
        expect_eq(isp.fetch("http://198.51.100.2:8081/").body, "hi from h1\n", "by up0");
        expect_eq(fails(|| gw.fetch("http://198.51.100.2:8081/", #{ timeout: 1 })).kind, "os", "not from the gateway itself: only by up0");
        gw.forward_policy("drop");
        expect_eq(isp.fetch("http://198.51.100.2:8080/").body, "hi from h1\n", "a published port passes a drop policy");
        gw.firewall_del(id);
        expect_eq(fails(|| isp.fetch("http://198.51.100.2:8080/", #{ timeout: 1 })).kind != (), true, "closed again");
        server.kill();
        "#
    ));
}

/// Rules in the host's own namespace go with the lab: by its rollback, and
/// by `down` after a kill -9. A table someone else made, even one named
/// like a lab's, is never touched; a lab whose table is taken is told.
#[test]
fn the_labs_tables_go_with_it_and_others_stay() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let h = netns::host();
        h.deny(#{ to: "192.0.2.99" });
        let r1 = netns::add("r1");
        r1.masquerade();
        print("ready");
        if ARGS[0] == "fail" { throw "stop"; }
        sleep(30);
        "#,
    );
    sb.file("taken.rhai", "netns::host().masquerade();\n");
    sb.file(
        "first_fails.rhai",
        "try { netns::host().nft(\"chain forward { ip daddr 10.0.0.0/33 drop; }\"); } catch (e) { print(e.kind); }\n",
    );
    let run = sb.sh(
        "nft add table inet mine; nft add chain inet mine c; nft add rule inet mine c counter\n\
         netscript lab.rhai fail > /dev/null 2> rollback.txt; echo status=$?\n\
         nft list tables\n\
         netscript lab.rhai wait > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         nft list tables\n\
         kill -9 $pid; wait $pid 2>/dev/null\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         nft list tables; nft list chain inet mine c | grep -c counter\n\
         nft add table inet netscript_taken\n\
         netscript taken.rhai > /dev/null 2> taken.txt; echo taken=$?\n\
         nft list tables\n\
         netscript first_fails.rhai; nft list tables | grep -c first_fails; netscript down first_fails > /dev/null",
    );
    assert_eq!(
        run.stdout,
        "status=1\ntable inet mine\n\
         table inet mine\ntable inet netscript_lab\n\
         down=0\ntable inet mine\n1\n\
         taken=1\ntable inet mine\ntable inet netscript_taken\n\
         invalid\n0\n",
        "{}",
        run.stderr
    );
    assert!(
        sb.read("rollback.txt")
            .contains("nftables table inet netscript_lab (in host)"),
        "{}",
        sb.read("rollback.txt")
    );
    assert!(
        sb.read("down.txt")
            .contains("nftables table inet netscript_lab (in host)"),
        "{}",
        sb.read("down.txt")
    );
    let taken = sb.read("taken.txt");
    assert!(
        taken.contains("namespace \"host\" has it already"),
        "{taken}"
    );
}

/// Killed with SIGKILL at random points while it adds rules in the host
/// and in a namespace of its own, a run leaves no table after `down`, in
/// 15 rounds of 15; the kills land before, during and after the table is
/// made.
#[test]
fn sigkill_while_adding_rules_leaves_no_table_after_down() {
    let sb = Sandbox::new();
    sb.file(
        "rules.rhai",
        r#"
        let r1 = netns::add("r1");
        for i in 0..200 {
            netns::host().deny(#{ to: `192.0.2.${i % 250}`, proto: "tcp", port: 1000 + i });
            r1.masquerade(#{ src: `10.${i % 250}.0.0/16` });
        }
        "#,
    );
    let run = sb.sh(
        "nft add table inet mine\n\
         for round in $(seq 15); do \
             netscript rules.rhai > /dev/null 2>&1 & pid=$!; \
             sleep $(printf '0.%03d' $((RANDOM % 250 + 5))); kill -9 $pid; wait $pid 2>/dev/null; \
             echo \"killed at $(nft list table inet netscript_rules 2>/dev/null | grep -c drop)\" >> kills.txt; \
             netscript down rules > /dev/null 2>> down.err; \
             echo $(nft list tables) $(ls /run/netns | wc -l); \
         done",
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 15, "{}\n{}", run.stdout, run.stderr);
    for line in &lines {
        assert_eq!(
            *line,
            "table inet mine 0",
            "{}\n{}",
            run.stdout,
            sb.read("down.err")
        );
    }
    let kills = sb.read("kills.txt");
    let mid = kills
        .lines()
        .filter(|l| !l.ends_with(" 0") && !l.ends_with(" 200"))
        .count();
    assert!(mid >= 3, "few kills landed mid-run:\n{kills}");
}

/// A table that has the lab's name but not its run's mark (the lab's went,
/// someone made one of that name since) is left alone by `down`.
#[test]
fn down_leaves_a_table_of_the_labs_name_that_is_not_its_own() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "netns::host().deny(#{ to: \"192.0.2.1\" });\nprint(\"ready\");\nsleep(30);\n",
    );
    let run = sb.sh("netscript lab.rhai > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         kill -9 $pid; wait $pid 2>/dev/null\n\
         nft delete table inet netscript_lab; nft add table inet netscript_lab\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         nft list tables");
    assert_eq!(
        run.stdout,
        "down=0\ntable inet netscript_lab\n",
        "{}{}",
        run.stderr,
        sb.read("down.txt")
    );
    let down = sb.read("down.txt");
    assert!(down.contains("not the one the lab made"), "{down}");
}
