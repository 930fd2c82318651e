//! The classic bridge lab end to end, checked through `ip -j`.

use crate::common::{Sandbox, json};

fn lab_script() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/bridge-lab.rhai"
    ))
    .unwrap()
}

#[test]
fn bridge_lab_builds_the_tutorial_topology() {
    let sb = Sandbox::new();
    let (run, _) = sb.script_then(
        &lab_script(),
        "ip netns list > netns.txt\n\
         ip -j -d link show > host-links.json\n\
         ip -j addr show dev br0 > br0.json\n\
         for ns in r1 r2; do ip -n $ns -j -d link show > $ns-links.json; ip -n $ns -j addr show dev eth0 > $ns-addr.json; done\n\
         bridge -j link show > bridge.json",
    );
    run.success();
    assert!(
        run.stdout.contains("r1 -> r2 (100.100.100.20): reachable"),
        "{}",
        run.stdout
    );

    let names: Vec<&str> = sb
        .read("netns.txt")
        .leak()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["r1", "r2"]);

    let host = json(&sb.read("host-links.json"));
    let link = |name: &str| {
        host.as_array()
            .unwrap()
            .iter()
            .find(|l| l["ifname"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}: {host}"))
    };
    assert_eq!(link("br0")["linkinfo"]["info_kind"], "bridge");
    assert_eq!(link("br0")["operstate"], "UP");
    for port in ["veth1.2", "veth2.2"] {
        let l = link(port);
        assert_eq!(l["master"], "br0", "{l}");
        assert_eq!(l["operstate"], "UP", "{l}");
        assert_eq!(l["linkinfo"]["info_kind"], "veth");
    }
    let br0 = json(&sb.read("br0.json"));
    assert_eq!(br0[0]["addr_info"][0]["local"], "100.100.100.100");
    assert_eq!(br0[0]["addr_info"][0]["prefixlen"], 24);

    for (ns, addr) in [("r1", "100.100.100.10"), ("r2", "100.100.100.20")] {
        let links = json(&sb.read(&format!("{ns}-links.json")));
        let names: Vec<_> = links
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["ifname"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["lo", "eth0"], "{ns}");
        for l in links.as_array().unwrap() {
            assert!(
                l["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
                "{ns}: {l}"
            );
        }
        let a = json(&sb.read(&format!("{ns}-addr.json")));
        let v4: Vec<_> = a[0]["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["family"] == "inet")
            .collect();
        assert_eq!(v4.len(), 1);
        assert_eq!(v4[0]["local"], addr);
        assert_eq!(v4[0]["prefixlen"], 24);
    }

    let ports = json(&sb.read("bridge.json"));
    for port in ["veth1.2", "veth2.2"] {
        let p = ports
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["ifname"] == port)
            .unwrap();
        assert_eq!(p["state"], "forwarding", "{p}");
    }
}

#[test]
fn bridge_lab_first_ping_works_without_sleeping() {
    // Ping right after building, many times over: any "fails then works"
    // would show up as a false here or as a slow first ping.
    let sb = Sandbox::new();
    let run = sb.script(
        r#"
        for round in 0..5 {
            let br = bridge::add(`br${round}`);
            br.up();
            let a = netns::add(`a${round}`);
            let b = netns::add(`b${round}`);
            let ea = link::add_veth("eth0", `pa${round}`, #{ netns: a });
            let eb = link::add_veth("eth0", `pb${round}`, #{ netns: b });
            ea.addr_add(`10.${round}.0.1/24`);
            eb.addr_add(`10.${round}.0.2/24`);
            for p in [ea.peer, eb.peer] { p.set_master(br); p.up(); }
            ea.up();
            eb.up();
            let t = timestamp();
            if !a.ping(`10.${round}.0.2`) { throw `round ${round}: first ping failed`; }
            if t.elapsed > 0.5 { throw `round ${round}: first ping took ${t.elapsed} s`; }
        }
        print("ok");
        "#,
    );
    run.success();
}

#[test]
fn without_sandbox_the_lab_is_visible_to_ip_tools() {
    // The harness's sandbox plays the machine: netscript runs without
    // --sandbox and `ip netns`, `ip -n`, `bridge link` see its lab after it exits.
    let sb = Sandbox::new();
    let (run, oracle) = sb.script_then(
        &lab_script(),
        "ip netns list | sort; ip -n r1 -br addr show dev eth0; bridge link show | sort",
    );
    run.success();
    assert!(oracle.contains("r1"), "{oracle}");
    assert!(oracle.contains("100.100.100.10/24"), "{oracle}");
    assert!(
        oracle.contains("veth1.2") && oracle.contains("master br0"),
        "{oracle}"
    );
}

#[test]
fn sandbox_flag_leaves_the_outer_namespace_untouched() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", &lab_script());
    let run = sb.sh(
        "ip -j link show > before.json; ls -A /run/netns > before-ns.txt\n\
         netscript --sandbox lab.rhai > out.txt || exit 9\n\
         ip -j link show > after.json; ls -A /run/netns > after-ns.txt\n\
         grep -c reachable out.txt",
    );
    run.success();
    assert_eq!(json(&sb.read("before.json")), json(&sb.read("after.json")));
    assert_eq!(sb.read("before-ns.txt"), "");
    assert_eq!(sb.read("after-ns.txt"), "");
}
