//! Packet capture: `netscript capture` (lines, pcapng to a file or to
//! stdout) checked with `tcpdump -r` as the oracle, and `l.capture()` in
//! scripts counting exactly what was sent.

use crate::common::Sandbox;

/// h1 - r2 - h3: two links, r2 forwarding between them.
const ROUTED: &str = r#"
let h1 = netns::add("h1");
let r2 = netns::add("r2");
let h3 = netns::add("h3");
r2.forwarding(true);
let a = link::add_veth("eth0", "left", #{ netns: h1, peer_netns: r2 });
let b = link::add_veth("eth0", "right", #{ netns: h3, peer_netns: r2 });
a.addr_add("10.1.0.1/24");
a.peer.addr_add("10.1.0.254/24");
b.addr_add("10.3.0.3/24");
b.peer.addr_add("10.3.0.254/24");
for l in [a, a.peer, b, b.peer] { l.up(); }
h1.route_add("default", #{ via: "10.1.0.254" });
h3.route_add("default", #{ via: "10.3.0.254" });
"#;

#[test]
fn the_command_writes_lines_and_pcapng_that_tcpdump_reads() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", ROUTED);
    let run = sb.sh(
        "netscript lab.rhai || exit 9\n\
         netscript capture r2/left r2/right -w both.pcapng -c 4 icmp 2> both.err & w=$!\n\
         netscript capture h1/eth0 -c 2 icmp > lines 2> lines.err & l=$!\n\
         netscript capture h3/eth0 -w - -c 2 icmp 2> /dev/null | tcpdump -nn -r - 2> /dev/null > piped & p=$!\n\
         sleep 0.5; ip netns exec h1 ping -c1 -W2 10.3.0.3 > /dev/null && echo pinged\n\
         wait $w $l $p\n\
         tcpdump -nn -r both.pcapng 2> /dev/null | sed 's/^[0-9:.]* //'\n\
         grep -c 'h1/eth0' lines; cat lines.err both.err; cut -d' ' -f2- piped",
    );
    assert_eq!(
        run.stdout,
        "pinged\n\
         IP 10.1.0.1 > 10.3.0.3: ICMP echo request, id ID, seq 1, length 64\n\
         IP 10.1.0.1 > 10.3.0.3: ICMP echo request, id ID, seq 1, length 64\n\
         IP 10.3.0.3 > 10.1.0.1: ICMP echo reply, id ID, seq 1, length 64\n\
         IP 10.3.0.3 > 10.1.0.1: ICMP echo reply, id ID, seq 1, length 64\n\
         2\n\
         netscript: capturing on h1/eth0 (Ctrl-C stops)\n\
         2 packets captured\n\
         netscript: capturing on r2/left, r2/right (Ctrl-C stops)\n\
         4 packets captured\n\
         IP 10.1.0.1 > 10.3.0.3: ICMP echo request, id ID, seq 1, length 64\n\
         IP 10.3.0.3 > 10.1.0.1: ICMP echo reply, id ID, seq 1, length 64\n"
            .replace("ID", &ping_id(&run.stdout)),
        "{}",
        run.stderr
    );
    // One interface per link, named as netscript names them.
    let file = std::fs::read(sb.path().join("both.pcapng")).unwrap();
    let has = |name: &str| file.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(has("r2/left") && has("r2/right"));
    let lines = sb.read("lines");
    assert!(
        lines.contains(" h1/eth0 out 10.1.0.1 > 10.3.0.3: ICMP echo request, id "),
        "{lines}"
    );
    assert!(
        lines.contains(" h1/eth0 in  10.3.0.3 > 10.1.0.1: ICMP echo reply"),
        "{lines}"
    );
}

/// `--json`: one object per packet, the fields a script's capture gives.
#[test]
fn the_command_prints_json_lines() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", ROUTED);
    let run = sb.sh("netscript lab.rhai || exit 9\n\
         netscript capture h1/eth0 --json -c 2 icmp > packets.json 2> /dev/null & c=$!\n\
         sleep 0.5; ip netns exec h1 ping -c1 -W2 10.3.0.3 > /dev/null && echo pinged\n\
         wait $c; netscript capture h1/eth0 --json -w x.pcapng 2>&1 | head -1");
    assert!(run.stdout.starts_with("pinged\n"), "{}", run.stderr);
    assert!(run.stdout.contains("cannot be used with"), "{}", run.stdout);
    let lines: Vec<serde_json::Value> = sb
        .read("packets.json")
        .lines()
        .map(crate::common::json)
        .collect();
    assert_eq!(lines.len(), 2);
    let (out, back) = (&lines[0], &lines[1]);
    assert_eq!(out["link"], "h1/eth0");
    assert_eq!(out["direction"], "out");
    assert_eq!(back["direction"], "in");
    assert_eq!(out["protocol"], "ICMP");
    assert_eq!(
        (out["src"].as_str(), out["dst"].as_str()),
        (Some("10.1.0.1"), Some("10.3.0.3"))
    );
    assert_eq!(out["length"], 98);
    assert!(
        out["summary"]
            .as_str()
            .unwrap()
            .starts_with("10.1.0.1 > 10.3.0.3: ICMP echo request")
    );
    let t = out["time"].as_f64().unwrap();
    assert!(t > 1.7e9 && back["time"].as_f64().unwrap() >= t);
}

/// The id tcpdump printed for the ping (it differs per run).
fn ping_id(text: &str) -> String {
    text.split("id ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or("?")
        .to_string()
}

#[test]
fn a_script_counts_exactly_what_it_sent_and_sees_where_it_went() {
    let sb = Sandbox::new();
    let run = sb.script(&format!(
        "{ROUTED}
        let mid = r2.link(\"left\").capture(#{{ filter: \"icmp\" }});
        let far = h3.link(\"eth0\").capture(#{{ filter: \"icmp\", count: 6 }});
        for i in 1..=3 {{ if !h1.ping(\"10.3.0.3\") {{ throw \"no reply\"; }} }}
        let seen = far.wait();
        let through = mid.stop();
        print(seen.len());
        print(seen.filter(|p| p.direction == \"in\").len());
        print(seen[0].summary.starts_with(\"10.1.0.1 > 10.3.0.3: ICMP echo request\"));
        print(`${{seen[1].src}} ${{seen[1].dst}} ${{seen[1].protocol}} ${{seen[1].link}} ${{seen[1].length}}`);
        print(through.len());
        print(through.all(|p| p.link == \"r2/left\"));
        print(seen.all(|p| p.time >= 0.0 && p.time < 5.0));
        "
    ));
    assert_eq!(
        run.stdout, "6\n3\ntrue\n10.3.0.3 10.1.0.1 ICMP h3/eth0 98\n6\ntrue\ntrue\n",
        "{}",
        run.stderr
    );
}

#[test]
fn capture_in_a_world() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", ROUTED);
    let run = sb.sh_own_pids(
        "netscript --sandbox=w lab.rhai 2> /dev/null\n\
         netscript --in w capture r2/right -c 1 icmp > line 2> /dev/null & c=$!\n\
         sleep 0.5; netscript enter w -- ip netns exec h1 ping -c1 -W2 10.3.0.3 > /dev/null\n\
         wait $c; cut -d' ' -f2- line; netscript down w > /dev/null",
    );
    assert!(
        run.stdout
            .starts_with("r2/right out 10.1.0.1 > 10.3.0.3: ICMP echo request, id "),
        "{}{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn bad_captures_say_what_is_wrong() {
    let sb = Sandbox::new();
    let run = sb.script(
        "let a = netns::add(\"a\");\nlet lo = a.link(\"lo\");\nlo.capture(#{ filter: \"icmp and port\" });\n",
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains(
            "cannot compile the capture filter \"icmp and port\": can't parse filter expression: syntax error"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(" 3 │ lo.capture(#{ filter: \"icmp and port\" });"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("man 7 pcap-filter"), "{}", run.stderr);
    let run = sb.sh(
        "netscript capture h9/eth0; echo status=$?\n\
         netscript capture eth0; echo status=$?\n\
         ip tuntap add dev t0 mode tun && ip link set t0 up && netscript capture host/t0; echo status=$?",
    );
    assert_eq!(run.stdout, "status=1\nstatus=1\nstatus=1\n");
    assert!(
        run.stderr
            .contains("the link carries no Ethernet frames (hardware type 65534)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("cannot find link \"eth0\" in namespace \"h9\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("name the links first, as NS/LINK"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_capture_ends_when_its_link_goes() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", ROUTED);
    let run = sb.sh("netscript lab.rhai || exit 9\n\
         timeout 20 netscript capture h1/eth0 -c 1000 > /dev/null 2> err & c=$!\n\
         sleep 0.5; ip -n h1 link del eth0\n\
         wait $c; echo status=$?; grep -c 'is gone' err");
    assert_eq!(
        run.stdout,
        "status=0\n1\n",
        "{}{}",
        run.stderr,
        sb.read("err")
    );
    assert!(
        sb.read("err")
            .contains("netscript: h1/eth0 is gone: no more packets from it"),
        "{}",
        sb.read("err")
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_capture_quietly() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", ROUTED);
    let run = sb.sh(
        "netscript lab.rhai || exit 9\n\
         (netscript capture h1/eth0 icmp | head -1 > first; echo ${PIPESTATUS[0]} > status) 2> err &\n\
         sleep 0.5; ip netns exec h1 ping -c 3 -i 0.2 -W 1 10.3.0.3 > /dev/null; wait\n\
         cat status; cut -d' ' -f2-4 first",
    );
    assert_eq!(
        run.stdout,
        "0\nh1/eth0 out 10.1.0.1\n",
        "{}",
        sb.read("err")
    );
    assert!(!sb.read("err").contains("panicked"), "{}", sb.read("err"));
}
