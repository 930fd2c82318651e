//! `netscript show` and `pingall` against an independent reading of the
//! kernel (`ip -j`), and pingall finding exactly the broken pairs.

use crate::common::{Sandbox, json};
use serde_json::Value;

fn lab_script() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/bridge-lab.rhai"
    ))
    .unwrap()
}

/// (namespace, link, kind, master, peer "ns/link", addresses).
type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Vec<String>,
);

/// Every link as `ip -j` describes it.
fn from_ip(sb: &Sandbox) -> Vec<Row> {
    let ids = json(&sb.read("ids.json"));
    let ns_of_id = |id: i64| -> String {
        ids.as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .map_or("?".into(), |n| n["name"].as_str().unwrap().to_string())
    };
    let mut out = Vec::new();
    for ns in ["host", "r1", "r2"] {
        let links = json(&sb.read(&format!("{ns}-links.json")));
        let addrs = json(&sb.read(&format!("{ns}-addrs.json")));
        for l in links.as_array().unwrap() {
            let name = l["ifname"].as_str().unwrap().to_string();
            let kind = l["linkinfo"]["info_kind"].as_str().map_or(
                if l["link_type"] == "loopback" {
                    "loopback"
                } else {
                    "device"
                }
                .to_string(),
                str::to_string,
            );
            let master = l["master"].as_str().map(str::to_string);
            let peer = if kind == "veth" {
                // Ids are as seen from each namespace; `ip netns list` gives
                // the host's view, and in this lab every other peer is in host.
                let peer_ns = match (ns, l["link_netnsid"].as_i64()) {
                    (_, None) => ns.to_string(),
                    ("host", Some(id)) => ns_of_id(id),
                    (_, Some(_)) => "host".to_string(),
                };
                let peer_name = match l["link"].as_str() {
                    Some(n) => n.to_string(),
                    None => {
                        let other = json(&sb.read(&format!("{peer_ns}-links.json")));
                        let idx = l["link_index"].as_i64().unwrap();
                        other
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|o| o["ifindex"] == idx)
                            .unwrap()["ifname"]
                            .as_str()
                            .unwrap()
                            .to_string()
                    }
                };
                Some(format!("{peer_ns}/{peer_name}"))
            } else {
                None
            };
            let mut cidrs: Vec<String> = addrs
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["ifname"] == name.as_str())
                .flat_map(|a| a["addr_info"].as_array().unwrap().clone())
                .map(|i| format!("{}/{}", i["local"].as_str().unwrap(), i["prefixlen"]))
                .collect();
            cidrs.sort();
            out.push((ns.to_string(), name, kind, master, peer, cidrs));
        }
    }
    out.sort();
    out
}

#[test]
fn show_json_matches_ip() {
    let sb = Sandbox::new();
    let (run, _) = sb.script_then(
        &lab_script(),
        "netscript show --json > show.json\n\
         ip -j netns list-id > /dev/null 2>&1; ip -j netns list > ids.json\n\
         ip -j -d link show > host-links.json; ip -j addr show > host-addrs.json\n\
         for ns in r1 r2; do ip -n $ns -j -d link show > $ns-links.json; ip -n $ns -j addr show > $ns-addrs.json; done",
    );
    run.success();
    let show = json(&sb.read("show.json"));
    let mut mine = Vec::new();
    for ns in show["namespaces"].as_array().unwrap() {
        for l in ns["links"].as_array().unwrap() {
            let mut cidrs: Vec<String> = l["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            cidrs.sort();
            let peer = l["peer"].as_object().map(|p| {
                format!(
                    "{}/{}",
                    p["netns"].as_str().unwrap(),
                    p["link"].as_str().unwrap()
                )
            });
            mine.push((
                ns["name"].as_str().unwrap().to_string(),
                l["name"].as_str().unwrap().to_string(),
                l["kind"].as_str().unwrap().to_string(),
                l["master"].as_str().map(str::to_string),
                peer,
                cidrs,
            ));
        }
    }
    mine.sort();
    assert_eq!(mine, from_ip(&sb));
    // The bridge lab's shape, spelled out.
    assert!(mine.contains(&(
        "host".into(),
        "veth1.2".into(),
        "veth".into(),
        Some("br0".into()),
        Some("r1/eth0".into()),
        mine.iter().find(|m| m.1 == "veth1.2").unwrap().5.clone()
    )));
}

#[test]
fn show_tree_and_lab_filter() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", &lab_script());
    sb.file(
        "other.rhai",
        "let x = netns::add(\"x\"); link::add_veth(\"xa\", \"xb\");\n",
    );
    let run = sb.sh("netscript lab.rhai > /dev/null && netscript other.rhai && netscript show lab; echo ---; netscript show");
    let (lab, all) = run.stdout.split_once("---\n").unwrap();
    assert!(lab.contains("  br0  ") || lab.contains("  br0 "), "{lab}");
    assert!(
        lab.contains("├ veth1.2") && lab.contains("└ veth2.2"),
        "{lab}"
    );
    assert!(lab.contains("<-> host/veth1.2"), "{lab}");
    assert!(
        !lab.contains("xa") && !lab.contains("\nx\n"),
        "another lab's objects are not shown:\n{lab}"
    );
    assert!(all.contains("xa") && all.contains("\nx\n"), "{all}");
    // Columns line up: the kind takes its 10 places, "loopback" too.
    assert!(all.contains(" loopback  UNKNOWN "), "{all}");
    assert!(all.contains(" veth      "), "{all}");
}

#[test]
fn pingall_reports_exactly_the_broken_pairs() {
    let sb = Sandbox::new();
    let mut script = lab_script();
    script.push_str(
        r#"
        let r3 = netns::add("r3");
        let v3 = link::add_veth("eth0", "veth3.2", #{ netns: r3 });
        v3.addr_add("100.100.100.30/24");
        v3.up();
        v3.peer.set_master(br0);   // its bridge end stays down: broken
        "#,
    );
    sb.file("lab.rhai", &script);
    let run = sb.sh("netscript lab.rhai > /dev/null; netscript pingall --json > all.json; echo status=$?; netscript pingall lab; echo status=$?");
    assert!(run.stdout.ends_with("status=1\n"), "{}", run.stdout);
    let doc: Value = json(&sb.read("all.json"));
    let mut failed: Vec<(String, String)> = doc["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ok"] == false)
        .map(|p| {
            (
                p["from"].as_str().unwrap().to_string(),
                p["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    failed.sort();
    let expected: Vec<(String, String)> = [
        ("host", "r3"),
        ("r1", "r3"),
        ("r2", "r3"),
        ("r3", "host"),
        ("r3", "r1"),
        ("r3", "r2"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(failed, expected);
    assert_eq!(doc["sent"], 12);
    assert_eq!(doc["dropped"], 6);
    let r1 = run
        .stdout
        .lines()
        .rfind(|l| l.starts_with("r1 -> "))
        .unwrap();
    assert!(
        r1.contains(" host") && r1.contains(" r2") && r1.contains(" X(r3 100.100.100.30)"),
        "{r1}"
    );
    assert!(
        run.stdout.contains("dropped 6/12\nstatus=1\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn spanning_pingall_is_a_chain() {
    let out = crate::common::script_ok(
        r#"
        let br = bridge::add("br0");
        br.up();
        for i in 1..=5 {
            let h = netns::add(`h${i}`);
            let e = link::add_veth("eth0", `p${i}`, #{ netns: h });
            e.addr_add(`10.0.0.${i}/24`);
            e.up();
            e.peer.set_master(br);
            e.peer.up();
        }
        let all = pingall();
        let chain = pingall(#{ pairs: "spanning" });
        print(`${all.sent} ${all.dropped} ${chain.sent} ${chain.dropped}`);
        "#,
    );
    assert_eq!(out, "20 0 4 0\n");
}

/// A shaped link shows its qdisc as tc would be given it, in the tree and
/// in JSON (checked against `tc -j`); a link with the kernel's default
/// shows none.
#[test]
fn show_says_which_links_are_shaped() {
    let sb = Sandbox::new();
    sb.file(
        "q.rhai",
        r#"let a = link::add_veth("a0", "a1");
a.shape(#{ rate: "10mbit", burst: "32kb", limit: "64kb" });"#,
    );
    let run = sb.sh(
        "netscript --lab q q.rhai && netscript show q > tree.txt && netscript show q --json > show.json \
         && tc -j qdisc show dev a0 > tc.json",
    );
    run.success();
    let tree = sb.read("tree.txt");
    let a0 = tree
        .lines()
        .find(|l| l.trim_start().starts_with("a0 "))
        .unwrap_or_else(|| panic!("{tree}"));
    assert!(
        a0.ends_with("[tbf rate 10mbit burst 32768 limit 65536]"),
        "{tree}"
    );
    let a1 = tree
        .lines()
        .find(|l| l.trim_start().starts_with("a1 "))
        .unwrap_or_else(|| panic!("{tree}"));
    assert!(!a1.contains('['), "{tree}");
    let show = json(&sb.read("show.json"));
    let links = show["namespaces"][0]["links"].as_array().unwrap();
    let link = |name: &str| {
        links
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("{show}"))
    };
    assert_eq!(
        link("a0")["qdisc"],
        "tbf rate 10mbit burst 32768 limit 65536"
    );
    assert_eq!(link("a1")["qdisc"], Value::Null);
    let tc = &json(&sb.read("tc.json"))[0];
    assert_eq!(tc["kind"], "tbf", "{tc}");
    assert_eq!(tc["options"]["rate"], 1_250_000, "{tc}");
    // tc works the burst out from the bucket's time, a byte short.
    let burst = tc["options"]["burst"].as_i64().unwrap();
    assert!((burst - 32768).abs() <= 1, "{tc}");
}

/// A stacked link is shown on the link it sits on, as `ip` writes it
/// (`mv0@uplink`), with the namespace when that is another one; JSON has
/// it as `parent`. Checked against `ip -j`.
#[test]
fn show_names_the_link_a_macvlan_sits_on() {
    let sb = Sandbox::new();
    sb.file(
        "m.rhai",
        r#"let r1 = netns::add("r1");
let up = link::add_veth("uplink", "other");
link::add_macvlan(up, "bridge", #{ name: "mv0" });
// In r1, eth0 gets the index its parent has in the host (lo is 1).
link::add_macvlan(up, "bridge", #{ netns: r1, name: "first" });
let eth0 = link::add_macvlan(up, "bridge", #{ netns: r1, name: "eth0" });
if eth0.index != up.index { throw `eth0 is #${eth0.index}, uplink #${up.index}`; }"#,
    );
    let run = sb.sh(
        "netscript --lab m m.rhai && netscript show m > tree.txt && netscript show m --json > show.json \
         && ip -j link show mv0 > mv0.json && ip -n r1 -j link show eth0 > eth0.json",
    );
    run.success();
    let tree = sb.read("tree.txt");
    let starts = |prefix: &str| tree.lines().any(|l| l.trim_start().starts_with(prefix));
    assert!(starts("mv0@uplink "), "{tree}");
    assert!(starts("eth0@host/uplink "), "{tree}");
    assert!(starts("uplink "), "a link on nothing has no @: {tree}");
    let show = json(&sb.read("show.json"));
    let link = |ns: &str, name: &str| -> Value {
        show["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == ns)
            .and_then(|n| {
                n["links"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["name"] == name)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {ns}/{name} in {show}"))
    };
    let parent = serde_json::json!({"netns": "host", "link": "uplink"});
    assert_eq!(link("host", "mv0")["parent"], parent);
    assert_eq!(link("r1", "eth0")["parent"], parent);
    assert_eq!(link("host", "uplink")["parent"], Value::Null);
    assert_eq!(link("host", "uplink")["peer"]["link"], "other");
    // ip's own view: mv0 sits on uplink; r1's eth0 on a link elsewhere.
    assert_eq!(json(&sb.read("mv0.json"))[0]["link"], "uplink");
    assert!(json(&sb.read("eth0.json"))[0]["link_netnsid"].is_i64());
}
