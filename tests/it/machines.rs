//! One recipe, three machines: each "machine" is a network and mount
//! namespace of its own (its own /run/netns and /run/netscript), on an
//! underlay bridge of the test's sandbox. The same recipe runs on each
//! with `--machine NAME --machines FILE`: hosts dealt round-robin onto one
//! bridge stretched across all three (VXLAN, head-end replication), plus
//! a routed segment behind each machine's router; every host reaches every
//! other across machines; `down` on each leaves nothing.

use crate::common::Sandbox;

/// Start machines a, b and c (192.0.2.1-3 on bridge `ul`); then `$a`,
/// `$b`, `$c` hold their PIDs, and `on M CMD...` runs CMD on machine M.
pub const MACHINES: &str = r#"
ip link add ul type bridge && ip link set ul up
on() { local m=$1; shift; nsenter -t "${!m}" -n -m --wd="$PWD" "$@"; }
i=0
for m in a b c; do
    i=$((i + 1))
    unshare --net --mount --propagation private -- bash -c \
        'mount -t tmpfs tmpfs /run && mkdir /run/netns && mount -t sysfs sysfs /sys && ip link set lo up && touch /run/ready && exec sleep 600' &
    declare "$m=$!"
    for t in $(seq 100); do on $m test -e /run/ready 2>/dev/null && break; sleep 0.02; done
    ip link add ul-$m type veth peer name eth0 netns "${!m}"
    ip link set ul-$m master ul up
    on $m ip addr add 192.0.2.$i/24 dev eth0
    on $m ip link set eth0 up
done
echo '{"a": "192.0.2.1", "b": "192.0.2.2", "c": "192.0.2.3"}' > machines.json
"#;

/// The recipe every machine runs: six hosts dealt to the three machines
/// on bridge br-lab, stretched across them; and on each machine k a
/// router gw (10.42.0.10k on the stretched bridge) with a LAN behind it
/// (10.5k.0.0/24, host s), routed to the others' LANs; the hosts' way
/// out is their machine's router.
pub const RECIPE: &str = r#"
import "topo" as topo;
let names = lab::machines().keys();
names.sort();
let k = names.index_of(lab::machine()) + 1;
let br = bridge::add("br-lab");
br.up();
let vx = topo::stretch(br, 42);
for i in topo::share(6) {
    let h = netns::add(`h${i}`);
    topo::wire(h, "eth0", `10.42.0.${i}/24`, br, `p${i}`).set_mtu(1450);
    h.route_add("default", #{ via: `10.42.0.10${k}` });
}
let gw = netns::add("gw");
gw.forwarding(true);
topo::wire(gw, "eth0", `10.42.0.10${k}/24`, br, "pgw").set_mtu(1450);
let s = netns::add("s");
let lan = link::add_veth("eth0", "lan", #{ netns: s, peer_netns: gw });
lan.addr_add(`10.5${k}.0.2/24`);
lan.peer.addr_add(`10.5${k}.0.1/24`);
lan.set_mtu(1450);
lan.up();
lan.peer.up();
s.route_add("default", #{ via: `10.5${k}.0.1` });
for j in 1..=3 {
    if j != k { gw.route_add(`10.5${j}.0.0/24`, #{ via: `10.42.0.10${j}` }); }
}
print(`${lab::machine()}: hosts ${topo::share(6)}, tunnel to ${vx.fdb().filter(|e| e.mac == "00:00:00:00:00:00").len()} machines`);
"#;

/// Every namespace of this machine that has an address pings every
/// address of the whole lab.
pub const REACH: &str = r#"
let all = [];
for i in 1..=6 { all.push(`10.42.0.${i}`); }
for k in 1..=3 { all.push(`10.42.0.10${k}`); all.push(`10.5${k}.0.2`); }
let lost = [];
for name in netns::list() {
    for addr in netns::get(name).unreachable(all) { lost.push(`${name}->${addr}`); }
}
print(`${lab::machine()}: ${netns::list().len()} namespaces, lost ${lost}`);
"#;

#[test]
fn one_recipe_on_three_machines_reaches_across_and_goes_away() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", RECIPE);
    sb.file("reach.rhai", REACH);
    let run = sb.sh(&format!(
        "{MACHINES}\n\
         for m in a b c; do on $m netscript --machine $m --machines machines.json lab.rhai || echo \"$m failed\"; done\n\
         for m in a b c; do on $m netscript --rm --machine $m --machines machines.json reach.rhai; done\n\
         for m in a b c; do on $m netscript show --json > $m.json; done\n\
         for m in a b c; do on $m netscript pingall lab --json --merge a.json b.json c.json > ping-$m.json; done\n\
         netscript graph --merge a.json b.json c.json > lab.dot && dot -Tsvg lab.dot > /dev/null && \
           netscript graph --merge a.json b.json c.json --format svg > lab.svg || echo 'no graph'\n\
         for m in a b c; do on $m netscript -q down lab; \
           echo \"$m left: $(on $m ls -A /run/netns | wc -l) namespaces, $(on $m ip -o link | grep -vc ' lo:\\| eth0@') links, $(on $m ls -A /run/netscript | wc -l) files\"; done\n\
         kill $a $b $c",
    ));
    // pingall on each machine with the others' shows: every lab
    // namespace here reaches every address of the lab on the other
    // machines too (the host, where the underlay is, reaches none).
    for m in ["a", "b", "c"] {
        let doc = crate::common::json(&sb.read(&format!("ping-{m}.json")));
        let pairs = doc["pairs"].as_array().expect("pairs");
        let lab: Vec<_> = pairs
            .iter()
            .filter(|p| p["from"] != "host" && p["to"] != "host")
            .collect();
        let across = lab
            .iter()
            .filter(|p| p["to"].as_str().unwrap().contains(':'));
        assert_eq!(across.count(), 4 * 10, "{m}: {doc}");
        assert!(lab.iter().all(|p| p["ok"] == true), "{m}: {doc}");
        assert!(
            !pairs
                .iter()
                .any(|p| p["to"].as_str().unwrap().starts_with(&format!("{m}:")))
        );
    }
    // The merged picture: every machine's hosts, each machine's bridge,
    // and the tunnels between the machines as edges.
    let dot = sb.read("lab.dot");
    for node in ["a:h1", "b:h2", "c:h3", "a:h4", "c:gw", "b:s"] {
        assert!(dot.contains(&format!("label=\"{node}")), "{node}\n{dot}");
    }
    let tunnels = dot.lines().filter(|l| l.contains("VNI 42")).count();
    assert_eq!(tunnels, 3, "{dot}");
    for bridge in ["br-lab (a)", "br-lab (b)", "br-lab (c)"] {
        assert!(dot.contains(bridge), "{bridge}\n{dot}");
    }
    roxmltree::Document::parse(&sb.read("lab.svg")).expect("well-formed SVG");
    assert_eq!(
        run.stdout,
        "a: hosts [1, 4], tunnel to 2 machines\n\
         b: hosts [2, 5], tunnel to 2 machines\n\
         c: hosts [3, 6], tunnel to 2 machines\n\
         a: 4 namespaces, lost []\n\
         b: 4 namespaces, lost []\n\
         c: 4 namespaces, lost []\n\
         a left: 0 namespaces, 0 links, 0 files\n\
         b left: 0 namespaces, 0 links, 0 files\n\
         c left: 0 namespaces, 0 links, 0 files\n",
        "{}",
        run.stderr
    );
}

/// A machines file that is not one, or that does not name this machine:
/// said before anything is built.
#[test]
fn a_bad_machines_file_is_refused_before_anything_is_built() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"x\");\n");
    sb.file("m.json", r#"{"a": "192.0.2.1", "b": "192.0.2.2"}"#);
    sb.file("bad.json", r#"{"a": "nowhere"}"#);
    let run = sb.sh(
        "netscript --machine c --machines m.json lab.rhai; echo status=$?\n\
         netscript --machine a --machines bad.json lab.rhai; echo status=$?\n\
         netscript --machine a --machines missing.json lab.rhai; echo status=$?\n\
         netscript --machine a --machines /dev/zero lab.rhai; echo status=$?\n\
         ls -A /run/netns | wc -l",
    );
    assert_eq!(run.stdout, "status=2\nstatus=2\nstatus=2\nstatus=2\n0\n");
    assert!(run.stderr.contains("it is over 1 MiB"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("this machine, \"c\", is not one of them\n  help: name it with --machine NAME, one of: a, b"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("machine \"a\": \"nowhere\" is not an address"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("missing.json"), "{}", run.stderr);
}

/// `graph --merge` of files that are not what `show --json` writes, or
/// two of one machine: said, with what to give instead.
#[test]
fn merging_what_is_not_a_machines_show_is_refused() {
    let sb = Sandbox::new();
    sb.file("a.json", r#"{"namespaces": []}"#);
    sb.file("x.json", r#"{"labs": []}"#);
    std::fs::create_dir(sb.path().join("other")).unwrap();
    sb.file("other/a.json", r#"{"namespaces": []}"#);
    let run = sb.sh("netscript graph --merge a.json x.json; echo status=$?\n\
         netscript graph --merge a.json other/a.json; echo status=$?\n\
         netscript graph --merge a.json; echo status=$?");
    assert!(
        run.stdout.starts_with("status=1\nstatus=1\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("x.json (netscript show --json): it has no \"namespaces\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("a file of machine \"a\" was given already"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.ends_with("status=0\n"), "{}", run.stdout);
    // A machine whose stretched bridge has no host of its own still has
    // its tunnel drawn; --merge and --spanning do not go together.
    let end = |m: &str| {
        format!(
            r#"{{"namespaces": [{{"name": "host", "links": [{{"name": "vx42", "index": 5, "kind": "vxlan", "up": true, "state": "up", "mtu": 1450, "mac": "02:00:00:00:00:0{m}", "addresses": [], "master": "br-lab", "peer": null, "parent": null, "qdisc": null, "vni": 42}}], "routes": [], "firewall": []}}]}}"#
        )
    };
    sb.file("m1.json", &end("1"));
    sb.file("m2.json", &end("2"));
    let run = sb.sh("netscript graph --merge m1.json m2.json | grep 'VNI 42'; \
         netscript pingall --merge m1.json --spanning 2>/dev/null; echo status=$?");
    assert!(run.stdout.contains("VNI 42"), "{}", run.stdout);
    assert!(run.stdout.ends_with("status=2\n"), "{}", run.stdout);
}
