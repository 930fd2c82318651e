//! Forwarding entries written by scripts: `fdb_add`, `fdb_append` and
//! `fdb_del` on bridge ports and VXLAN links, checked against `bridge -j
//! fdb show`; a three-site VXLAN fabric that forwards only by them; and
//! entries on the host's links going with the lab.

use crate::common::api::*;
use crate::common::{Sandbox, json};
use serde_json::Value;

/// `bridge -j fdb show` entries as "mac dst vni port state flag".
fn entries(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = items(v)
        .iter()
        .filter(|e| e["mac"] != "33:33:00:00:00:01" && e["mac"] != "01:00:5e:00:00:01")
        .filter(|e| e["state"] != "permanent" || e["dst"].is_string())
        .map(|e| {
            let word = |k: &str| match &e[k] {
                Value::Null => "-".to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let flag = match e["flags"].as_array() {
                Some(f) if f.iter().any(|x| x == "self") => "self",
                _ => "master",
            };
            format!(
                "{} {} {} {} {} {flag}",
                word("mac"),
                word("dst"),
                word("vni"),
                word("port"),
                word("state")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn entries_are_added_appended_and_deleted_as_bridge_fdb_shows() {
    let (sb, out, _) = ok_then(
        r#"
        let br = bridge::add("br0");
        let a = link::add_veth("a", "a-br");
        a.peer.set_master(br);
        a.peer.fdb_add("02:00:00:00:00:0a");
        a.peer.fdb_add("02:00:00:00:00:0c", #{ state: "permanent" });
        a.peer.fdb_add("02:00:00:00:00:0d");
        let vx = link::add_vxlan("vx0", #{ id: 42, learning: false });
        vx.fdb_append("00:00:00:00:00:00", #{ dst: "192.0.2.2" });
        vx.fdb_append("00:00:00:00:00:00", #{ dst: "192.0.2.3" });
        expect_eq(fails(|| vx.fdb_append("00:00:00:00:00:00", #{ dst: "2001:db8::4" })).kind, "invalid", "an IPv6 remote on an IPv4 link");
        vx.fdb_add("02:00:00:00:00:0b", #{ dst: "192.0.2.9", vni: 7, port: 8472 });
        let mine = vx.fdb().map(|e| `${e.mac} ${e.dst} ${e.vni ?? "-"} ${e.port ?? "-"} ${e.state}`);
        mine.sort();
        for m in mine { print(m); }
        vx.fdb_del("00:00:00:00:00:00", #{ dst: "192.0.2.2" });
        expect_eq(vx.fdb().filter(|e| e.mac == "00:00:00:00:00:00").len(), 1, "one remote went");
        a.peer.fdb_del("02:00:00:00:00:0d");
        expect_eq(fails(|| a.peer.fdb_del("02:00:00:00:00:0d")).kind, "not_found", "gone already");
        expect_eq(fails(|| a.peer.fdb_add("02:00:00:00:00:0a")).kind, "exists", "twice");
        expect_eq(fails(|| a.fdb_add("02:00:00:00:00:0e")).kind, "invalid", "not on a bridge");
        expect_eq(fails(|| a.peer.fdb_add("02:00:00:00:00:0e", #{ state: "dynamic" })).kind, "invalid", "dynamic on a bridge");
        vx.fdb_add("02:00:00:00:00:0f", #{ dst: "192.0.2.5", state: "dynamic" });
        expect_eq(vx.fdb().filter(|e| e.mac == "02:00:00:00:00:0f")[0].state, "learned", "dynamic reads back as learned");
        vx.fdb_del("02:00:00:00:00:0f");
        expect_eq(fails(|| a.peer.fdb_add("02:00:00:00:00:0e", #{ dst: "192.0.2.2" })).kind, "invalid", "dst on a bridge port");
        expect_eq(fails(|| vx.fdb_append("02:00:00:00:00:0e", #{})).kind, "invalid", "append without dst");
        expect_eq(fails(|| a.peer.fdb_append("02:00:00:00:00:0e", #{ dst: "192.0.2.2" })).kind, "invalid", "append on a bridge port");
        expect_eq(fails(|| vx.fdb_add("02:00:00:00:00", #{ dst: "192.0.2.2" })).kind, "invalid", "a short MAC");
        expect_eq(fails(|| vx.fdb_add("02:00:00:00:00:0e", #{ dst: "192.0.2" })).kind, "invalid", "a bad dst");
        expect_eq(fails(|| vx.fdb_add("02:00:00:00:00:0e", #{ dst: "192.0.2.2", vni: 16777216 })).kind, "invalid", "a VNI of 25 bits");
        expect_eq(fails(|| vx.fdb_add("02:00:00:00:00:0e", #{ dst: "192.0.2.2", state: "sticky" })).kind, "invalid", "a bad state");
        expect_eq(fails(|| vx.fdb_add("02:00:00:00:00:0e", #{ via: "192.0.2.2" })).kind, "invalid", "an unknown option");
        "#,
        "bridge -j fdb show dev vx0 > vx.json; bridge -j fdb show dev a-br > port.json",
    );
    assert_eq!(
        out,
        "00:00:00:00:00:00 192.0.2.2 - - static\n\
         00:00:00:00:00:00 192.0.2.3 - - static\n\
         02:00:00:00:00:0b 192.0.2.9 7 8472 static\n"
    );
    assert_eq!(
        entries(&json(&sb.read("vx.json"))),
        [
            "00:00:00:00:00:00 192.0.2.3 - - static self",
            "02:00:00:00:00:0b 192.0.2.9 7 8472 static self",
        ]
    );
    let port = entries(&json(&sb.read("port.json")));
    assert!(
        port.contains(&"02:00:00:00:00:0a - - - static master".to_string()),
        "{port:?}"
    );
    assert!(
        !port.iter().any(|e| e.starts_with("02:00:00:00:00:0d")),
        "{port:?}"
    );
    // "permanent" on a bridge port makes the MAC the bridge's own.
    let raw = sb.read("port.json");
    let own = items(&json(&raw))
        .iter()
        .any(|e| e["mac"] == "02:00:00:00:00:0c" && e["state"] == "permanent");
    assert!(own, "{raw}");
}

/// Three sites whose VXLAN ends learn nothing: their hosts reach each
/// other only through the entries the recipe wrote (flooding to every
/// other site, each host's MAC to its own). Take one site's entries away
/// at one end and only that site is cut off from it.
#[test]
fn a_three_site_fabric_forwards_by_its_entries_alone() {
    let sb = Sandbox::new();
    let recipe = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/vxlan-fabric.rhai");
    sb.file(
        "cut.rhai",
        r#"
        let vx = netns::get("s1").link("vx100");
        let h3 = netns::get("h3").link("eth0");
        vx.fdb_del("00:00:00:00:00:00", #{ dst: "192.0.2.3" });
        vx.fdb_del(h3.mac);
        // h1 forgets h3's MAC, so it must ask again: its ARP now reaches
        // only s2.
        netns::get("h1").neigh_del("10.100.0.3", "eth0");
        print(`h1->h2 ${netns::get("h1").ping("10.100.0.2")}`);
        print(`h1->h3 ${netns::get("h1").ping("10.100.0.3", #{ timeout: 0.5 })}`);
        print(`h2->h3 ${netns::get("h2").ping("10.100.0.3")}`);
        "#,
    );
    let run = sb.sh(&format!(
        "netscript --lab fabric {recipe} || exit 9\n\
         bridge -n s1 -j fdb show dev vx100 > before.json\n\
         netscript cut.rhai\n\
         netscript down fabric > /dev/null"
    ));
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("6 pings between 3 sites' hosts across VXLAN: all answered"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("knows 4 entries, 0 learned"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("h1->h2 true\nh1->h3 false\nh2->h3 true\n"),
        "{}",
        run.stdout
    );
    let before = entries(&json(&sb.read("before.json")));
    let flood: Vec<&String> = before
        .iter()
        .filter(|e| e.starts_with("00:00:00:00:00:00"))
        .collect();
    assert_eq!(
        flood,
        [
            "00:00:00:00:00:00 192.0.2.2 - - static self",
            "00:00:00:00:00:00 192.0.2.3 - - static self"
        ],
        "{before:?}"
    );
    assert_eq!(
        before.iter().filter(|e| e.ends_with("self")).count(),
        4,
        "two floods and two hosts, nothing learned: {before:?}"
    );
}

/// Entries put on the host's own links (a bridge port and a VXLAN link
/// another tool made) go with the lab: by its rollback, and by `down`
/// after a kill -9.
#[test]
fn entries_on_host_links_go_with_the_lab() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        link::get("hport").fdb_add("02:00:00:00:00:51");
        link::get("hvx").fdb_append("00:00:00:00:00:00", #{ dst: "192.0.2.7" });
        link::get("hvx").fdb_add("02:00:00:00:00:52", #{ dst: "192.0.2.8" });
        // The host's own remote is not the lab's to append (or remove),
        // said the way the kernel lists it or not.
        try { link::get("hvx").fdb_append("00:00:00:00:00:00", #{ dst: "192.0.2.1" }); } catch (e) { print(e.kind); }
        try { link::get("hvx").fdb_append("00:00:00:00:00:00", #{ dst: "192.0.2.1", port: 4789, vni: 9 }); } catch (e) { print(e.kind); }
        try { link::get("hvx").fdb_append("02:00:00:00:00:52", #{ dst: "192.0.2.9" }); } catch (e) { print(e.kind); }
        print(link::get("hvx").fdb().filter(|e| e.mac == "00:00:00:00:00:00").map(|e| e.state));
        print("ready");
        if ARGS[0] == "fail" { throw "stop"; }
        sleep(30);
        "#,
    );
    let show = "( bridge -j fdb show dev hport | grep -o '02:00:00:00:00:5.' ; \
                bridge -j fdb show dev hvx | grep -o '\"dst\":\"[0-9.]*\"' ) | sort";
    let run = sb.sh(&format!(
        "ip link add hbr type bridge; ip link add hport type veth peer name hpeer\n\
         ip link set hport master hbr\n\
         ip link add hvx type vxlan id 9 dstport 4789\n\
         bridge fdb append 00:00:00:00:00:00 dev hvx dst 192.0.2.1\n\
         netscript lab.rhai fail > /dev/null 2> rollback.txt; echo status=$?\n\
         echo after rollback:; {show}\n\
         netscript lab.rhai wait > out.txt 2>&1 & pid=$!\n\
         for i in $(seq 200); do grep -q ready out.txt && break; sleep 0.05; done\n\
         echo while up:; {show}\n\
         kill -9 $pid; wait $pid 2>/dev/null\n\
         netscript down lab > down.txt 2>&1; echo down=$?\n\
         echo after down:; {show}"
    ));
    assert_eq!(
        run.stdout,
        "status=1\nafter rollback:\n\"dst\":\"192.0.2.1\"\n\
         while up:\n\"dst\":\"192.0.2.1\"\n\"dst\":\"192.0.2.7\"\n\"dst\":\"192.0.2.8\"\n02:00:00:00:00:51\n\
         down=0\nafter down:\n\"dst\":\"192.0.2.1\"\n",
        "{}\n{}",
        run.stderr,
        sb.read("down.txt")
    );
    assert_eq!(
        sb.read("out.txt"),
        "exists\nexists\ninvalid\n[\"permanent\", \"permanent\"]\nready\n"
    );
    let down = sb.read("down.txt");
    assert!(
        down.contains("forwarding entry 02:00:00:00:00:51 on hport (in host)"),
        "{down}"
    );
    assert!(
        down.contains("forwarding entry 00:00:00:00:00:00 to 192.0.2.7 on hvx (in host)"),
        "{down}"
    );
}

/// A static entry a lab adds on a bridge port stays there while the
/// bridge sees its MAC arrive on another port (it is sticky, as an added
/// entry means it): the frames for that MAC keep going where the lab said.
#[test]
fn a_static_entry_stays_on_its_port_whatever_the_bridge_learns() {
    let (sb, out, _) = ok_then(
        r#"
        let br = bridge::add("br0");
        br.up();
        let h1 = netns::add("h1");
        let h2 = netns::add("h2");
        let a = link::add_veth("eth0", "p1", #{ netns: h1 });
        let b = link::add_veth("eth0", "p2", #{ netns: h2 });
        for l in [a, b] { l.peer.set_master(br); l.peer.up(); l.up(); }
        a.addr_add("10.0.0.1/24");
        b.addr_add("10.0.0.2/24");
        a.peer.fdb_add(b.mac);
        h2.ping("10.0.0.1", #{ timeout: 0.5 });   // h2's frames come in on p2
        print(br.fdb().filter(|e| e.mac == b.mac).map(|e| `${e.dev} ${e.state}`));
        print(b.mac);
        "#,
        "bridge -j fdb show br br0 > fdb.json",
    );
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("[\"p1 static\"]"), "{out}");
    let mac = lines.next().unwrap();
    let raw = sb.read("fdb.json");
    let entry = items(&json(&raw))
        .iter()
        .find(|e| e["mac"] == mac)
        .cloned()
        .unwrap_or_else(|| panic!("{raw}"));
    assert_eq!(entry["ifname"], "p1", "{entry}");
    assert!(
        entry["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "sticky")),
        "{entry}"
    );
}
