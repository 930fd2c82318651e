//! What the test machines' kernel lacks, on a stock Debian kernel booted
//! under QEMU (tests/it/common/vm.rs): dummy and 802.1Q VLAN links, netem,
//! bridge VLAN filtering. Each test is one VM, built and torn down by
//! netscript, with `ip -j` inside the same VM as the oracle.

use crate::common::api::PRELUDE;
use crate::common::examples::{expected_prints, matches, needs_vm};
use crate::common::vm::Vm;
use crate::common::{Run, json};

/// Run `code` (with the assertion prelude) as lab "test" on a fresh VM,
/// then `oracle` shell lines, then `netscript down test`; the VM's files
/// `after-links.json` and `after-netns.txt` hold what was left.
fn on_vm(code: &str, oracle: &str) -> (Vm, Run) {
    let vm = Vm::new();
    vm.file("test.rhai", &format!("{PRELUDE}{code}"));
    let run = vm.sh(&format!(
        "netscript test.rhai > script.out 2> script.err; echo $? > script.code\n\
         {oracle}\n\
         netscript down test > /dev/null 2>&1\n\
         ip -j link show > after-links.json; ip netns list > after-netns.txt\n"
    ));
    let script = Run {
        status: vm.read("script.code").trim().parse().unwrap(),
        stdout: vm.read("script.out"),
        stderr: vm.read("script.err"),
    };
    assert_eq!(run.status, 0, "the VM's shell failed: {}", run.stderr);
    (vm, script)
}

/// Nothing is left on the VM but its loopback.
#[track_caller]
fn left_nothing(vm: &Vm) {
    let links = json(&vm.read("after-links.json"));
    let names: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lo"], "links left behind");
    assert_eq!(vm.read("after-netns.txt"), "", "namespaces left behind");
}

#[test]
fn dummy_and_vlan_links_are_created_where_asked_and_torn_down() {
    let (vm, run) = on_vm(
        r#"
        let r1 = netns::add("r1");
        let lo1 = link::add_dummy("lo1", #{ netns: r1 });
        lo1.addr_add("192.0.2.1/32");
        lo1.up();
        expect_eq(lo1.kind, "dummy", "kind");
        expect_eq(link::add_dummy("d0").netns.name, "host", "default namespace");
        let trunk = link::add_veth("trunk", "trunk-peer");
        let v10 = link::add_vlan(trunk, 10);
        expect_eq(v10.name, "trunk.10", "the name ip would give");
        expect_eq(v10.kind, "vlan", "kind");
        let ad = link::add_vlan(trunk, 20, #{ name: "eth20", netns: r1, protocol: "802.1ad" });
        expect_eq(ad.netns.name, "r1", "created directly in r1");
        expect_eq(fails(|| link::add_vlan(trunk, 4095)).kind, "invalid", "a reserved id");
        expect_eq(fails(|| link::add_vlan(trunk, 10)).kind, "exists", "a taken name");
        expect_eq(fails(|| link::add_vlan(trunk, 7, #{ protocol: "isl" })).kind, "invalid", "a protocol");
        let long = link::add_veth("abcdefghijkl", "abcdefghijkl-p");
        let e = fails(|| link::add_vlan(long, 1000));
        expect_eq(e.kind, "invalid", "a default name past 15 bytes");
        expect(e.help.contains("name"), e.help);
        expect_eq(fails(|| link::add_dummy("d0")).kind, "exists", "a taken dummy name");
        link::add_dummy("gone").del();
        link::add_vlan(trunk, 30).del();
        print("ok");
        "#,
        "ip -j link show > host.json; ip -n r1 -j -d addr show lo1 > lo1.json; ip -j -d link show d0 > d0.json; \
         ip -j -d link show trunk.10 > v10.json; ip -n r1 -j -d link show eth20 > v20.json",
    );
    run.success();
    assert_eq!(run.stdout, "ok\n");
    let lo1 = &json(&vm.read("lo1.json"))[0];
    assert_eq!(lo1["linkinfo"]["info_kind"], "dummy");
    assert!(
        lo1["flags"].as_array().unwrap().contains(&"UP".into()),
        "{lo1}"
    );
    assert_eq!(lo1["addr_info"][0]["local"], "192.0.2.1");
    assert_eq!(
        json(&vm.read("d0.json"))[0]["linkinfo"]["info_kind"],
        "dummy"
    );
    let v10 = &json(&vm.read("v10.json"))[0];
    assert_eq!(v10["link"], "trunk");
    assert_eq!(v10["linkinfo"]["info_kind"], "vlan");
    assert_eq!(v10["linkinfo"]["info_data"]["protocol"], "802.1Q");
    assert_eq!(v10["linkinfo"]["info_data"]["id"], 10);
    let v20 = &json(&vm.read("v20.json"))[0];
    assert_eq!(v20["linkinfo"]["info_data"]["protocol"], "802.1ad");
    assert_eq!(v20["linkinfo"]["info_data"]["id"], 20);
    let host = json(&vm.read("host.json"));
    let names: Vec<&str> = host
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "lo",
            "d0",
            "trunk-peer",
            "trunk",
            "trunk.10",
            "abcdefghijkl-p",
            "abcdefghijkl"
        ],
        "deleted ones are gone"
    );
    left_nothing(&vm);
}

/// The reference's examples that need such a kernel, all on one VM, each
/// in its own --sandbox; each must succeed and print what it says.
#[test]
fn reference_examples_that_need_these_kernel_features_run() {
    let examples: Vec<(String, String)> = netscript::docs::entries()
        .into_iter()
        .flat_map(|e| {
            e.examples()
                .into_iter()
                .filter(|c| needs_vm(c))
                .map(move |c| (e.usage.clone(), c))
        })
        .collect();
    assert!(
        examples.len() >= 2,
        "only {} examples need a VM",
        examples.len()
    );
    let vm = Vm::new();
    let mut script = String::new();
    for (i, (_, code)) in examples.iter().enumerate() {
        vm.file(&format!("ex{i}.rhai"), code);
        script.push_str(&format!(
            "netscript --sandbox ex{i}.rhai > ex{i}.out 2> ex{i}.err; echo $? > ex{i}.code\n"
        ));
    }
    vm.sh(&script).success();
    for (i, (usage, code)) in examples.iter().enumerate() {
        let status = vm.read(&format!("ex{i}.code"));
        let stdout = vm.read(&format!("ex{i}.out"));
        assert_eq!(
            status.trim(),
            "0",
            "example of {usage} failed:\n{code}\n{}",
            vm.read(&format!("ex{i}.err"))
        );
        if let Some(expected) = expected_prints(code) {
            let actual: Vec<&str> = stdout.lines().collect();
            assert_eq!(
                actual.len(),
                expected.len(),
                "example of {usage}:\n{code}\nprinted:\n{stdout}"
            );
            for (x, a) in expected.iter().zip(&actual) {
                assert!(
                    matches(x, a),
                    "example of {usage} says {x:?} but printed {a:?}:\n{code}"
                );
            }
        }
    }
}

/// The round-trip times iputils `ping` printed, in milliseconds.
fn rtts(ping_output: &str) -> Vec<f64> {
    ping_output
        .lines()
        .filter_map(|l| {
            l.split_once("time=")?
                .1
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn netem_delays_drops_and_changes_while_traffic_flows() {
    let (vm, run) = on_vm(
        r#"
        let a = netns::add("a");
        let b = netns::add("b");
        let l = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
        l.addr_add("10.9.0.1/24");
        l.up();
        l.peer.addr_add("10.9.0.2/24");
        l.peer.up();
        expect(a.ping("10.9.0.2"), "reachable unimpaired");
        l.netem(#{ delay: "50ms" });
        print(a.exec("ping -c 4 -i 0.2 10.9.0.2").stdout);
        let steady = a.ping_stats("10.9.0.2", #{ count: 10, interval: 0.05 });
        l.netem(#{ delay: "50ms", jitter: "20ms" });
        let jittery = a.ping_stats("10.9.0.2", #{ count: 20, interval: 0.05 });
        expect(steady.min >= 50.0 && steady.max < 100.0, `ping_stats sees the delay: ${steady}`);
        // Not compared with the steady run's spread: one late echo on a
        // busy VM is enough to widen that (a max of 76 ms was seen).
        expect(jittery.mdev > 5.0 && jittery.max - jittery.min > 20.0, `ping_stats sees the jitter: ${steady} ${jittery}`);
        print("=====");
        l.netem(#{ loss: "100%" });
        expect(!a.ping("10.9.0.2"), "100% loss drops every echo");
        // Traffic flows while the delay goes from 0 to 80 ms.
        l.netem(#{});
        let p = a.spawn("ping -c 30 -i 0.1 10.9.0.2");
        sleep(1.2);
        l.netem(#{ delay: "80ms" });
        p.wait();
        print(p.output().stdout);
        print("=====");
        let all = #{ delay: "10ms", jitter: "2ms", loss: "0.5%", duplicate: "1%",
                     corrupt: "0.1%", reorder: "25%", gap: 5, rate: "10mbit", limit: 500 };
        l.netem(all);
        print(l.qdisc());
        // Replaced: what is not given again is off.
        l.peer.netem(all);
        l.peer.netem(#{ delay: "5ms" });
        print(l.peer.qdisc());
        "#,
        "tc -n a -j qdisc show dev eth0 > tc.json; tc -n b -j qdisc show dev eth0 > tc-b.json",
    );
    run.success();
    let parts: Vec<&str> = run.stdout.split("=====\n").collect();
    assert_eq!(parts.len(), 3, "{}", run.stdout);
    let delayed = rtts(parts[0]);
    assert_eq!(delayed.len(), 4, "{}", parts[0]);
    assert!(
        delayed.iter().all(|t| (50.0..100.0).contains(t)),
        "a 50 ms netem delay gives round trips of 50 to 100 ms: {delayed:?}"
    );
    let flowing = rtts(parts[1]);
    assert!(flowing.len() >= 25, "{}", parts[1]);
    let (fast, slow): (Vec<f64>, Vec<f64>) = flowing.iter().partition(|t| **t < 50.0);
    assert!(
        fast.len() >= 5 && slow.len() >= 5,
        "before and after the change: {flowing:?}"
    );
    assert!(slow.iter().all(|t| *t >= 80.0), "{flowing:?}");
    let last_fast = flowing.iter().rposition(|t| *t < 50.0).unwrap();
    let first_slow = flowing.iter().position(|t| *t >= 80.0).unwrap();
    assert!(
        last_fast < first_slow,
        "the delay set once stays: {flowing:?}"
    );
    assert_eq!(
        parts[2].trim(),
        "#{\"corrupt\": \"0.1%\", \"delay\": \"10ms\", \"duplicate\": \"1%\", \"gap\": 5, \"jitter\": \"2ms\", \
         \"kind\": \"netem\", \"limit\": 500, \"loss\": \"0.5%\", \"rate\": \"10mbit\", \"reorder\": \"25%\"}\n\
         #{\"delay\": \"5ms\", \"kind\": \"netem\", \"limit\": 1000}"
    );
    let b = &json(&vm.read("tc-b.json"))[0]["options"];
    assert_eq!(b["delay"]["delay"], 0.005, "{b}");
    for off in ["rate", "corrupt", "reorder", "duplicate", "loss-random"] {
        assert!(b[off].is_null(), "{off} stays on after a replace: {b}");
    }
    let tc = &json(&vm.read("tc.json"))[0];
    assert_eq!(tc["kind"], "netem", "{tc}");
    let o = &tc["options"];
    assert_eq!(o["limit"], 500, "{tc}");
    assert_eq!(o["delay"]["delay"], 0.01, "{tc}");
    assert_eq!(o["delay"]["jitter"], 0.002, "{tc}");
    assert_eq!(o["loss-random"]["loss"], 0.005, "{tc}");
    assert_eq!(o["duplicate"]["duplicate"], 0.01, "{tc}");
    assert_eq!(o["corrupt"]["corrupt"], 0.001, "{tc}");
    assert_eq!(o["reorder"]["reorder"], 0.25, "{tc}");
    assert_eq!(o["gap"], 5, "{tc}");
    assert_eq!(o["rate"]["rate"], 1_250_000, "{tc}");
    left_nothing(&vm);
}

#[test]
fn a_vlan_filtering_bridge_keeps_vlans_apart() {
    let (vm, run) = on_vm(
        r#"
        let br = bridge::add("br0", #{ vlan_filtering: true });
        br.up();
        let hosts = [];
        for h in [["h1", 10], ["h2", 10], ["h3", 20]] {
            let ns = netns::add(h[0]);
            let eth = link::add_veth("eth0", `${h[0]}-br`, #{ netns: ns });
            eth.addr_add(`10.5.0.${hosts.len() + 1}/24`);
            eth.up();
            eth.peer.set_master(br);
            br.vlan_add(eth.peer, h[1], #{ pvid: true, untagged: true });
            br.vlan_del(eth.peer, 1);
            eth.peer.up();
            hosts.push(ns);
        }
        // A trunk: h4 sees VLAN 10 tagged, on its own VLAN link.
        let h4 = netns::add("h4");
        let trunk = link::add_veth("trunk", "h4-br", #{ netns: h4 });
        trunk.up();
        trunk.peer.set_master(br);
        br.vlan_add(trunk.peer, 10);
        trunk.peer.up();
        let v10 = link::add_vlan(trunk, 10);
        v10.addr_add("10.5.0.4/24");
        v10.up();
        let h1 = hosts[0];
        expect(h1.ping("10.5.0.2"), "h1 reaches h2 on VLAN 10");
        expect(h1.ping("10.5.0.4"), "h1 reaches h4 tagged on the trunk");
        expect(!h1.ping("10.5.0.3", #{ timeout: 1 }), "h1 does not reach h3 on VLAN 20");
        expect_eq(fails(|| br.vlan_add(link::add_veth("x0", "x1"), 10)).kind, "invalid", "not a port");
        expect_eq(fails(|| br.vlan_add(trunk.peer, 4095)).kind, "invalid", "a reserved id");
        expect_eq(fails(|| br.vlan_add(trunk.peer, 0)).kind, "invalid", "VLAN 0");
        expect_eq(fails(|| br.vlan_del(trunk.peer, 30)).kind, "not_found", "not a member");
        expect_eq(fails(|| trunk.peer.vlan_add(br, 10)).kind, "invalid", "not a bridge");
        for v in br.vlans() { print(`${v.port} ${v.vid} ${v.pvid} ${v.untagged}`); }
        "#,
        "bridge -j vlan show > vlans.json",
    );
    run.success();
    assert_eq!(
        run.stdout,
        "br0 1 true true\nh1-br 10 true true\nh2-br 10 true true\nh3-br 20 true true\n\
         h4-br 1 true true\nh4-br 10 false false\n",
        "{}",
        run.stderr
    );
    let vlans = json(&vm.read("vlans.json"));
    let h3 = vlans
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ifname"] == "h3-br")
        .unwrap_or_else(|| panic!("{vlans}"));
    assert_eq!(h3["vlans"][0]["vlan"], 20, "{h3}");
    assert_eq!(
        h3["vlans"][0]["flags"],
        serde_json::json!(["PVID", "Egress Untagged"]),
        "{h3}"
    );
    left_nothing(&vm);
}

/// The recipes in scripts/ that need such a kernel, on one VM, each in
/// its own --sandbox: each must succeed and report no failure.
#[test]
fn recipes_that_need_these_kernel_features_run() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    let mut recipes: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rhai")
                && needs_vm(&std::fs::read_to_string(p).unwrap())
        })
        .collect();
    recipes.sort();
    assert!(!recipes.is_empty(), "no recipe needs a VM");
    let vm = Vm::new();
    let script: String = recipes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "netscript --sandbox {} > r{i}.out 2> r{i}.err; echo $? > r{i}.code\n",
                p.display()
            )
        })
        .collect();
    vm.sh(&script).success();
    for (i, path) in recipes.iter().enumerate() {
        let out = vm.read(&format!("r{i}.out"));
        assert_eq!(
            vm.read(&format!("r{i}.code")).trim(),
            "0",
            "{} failed:\n{out}{}",
            path.display(),
            vm.read(&format!("r{i}.err"))
        );
        assert!(
            !out.is_empty() && !out.contains("FAIL"),
            "{}:\n{out}",
            path.display()
        );
    }
}

/// Two VRFs in one router, with the same subnets in each: each host's
/// traffic stays in its own VRF, and a route in one VRF's table is not in
/// the other's.
#[test]
fn vrfs_keep_overlapping_networks_apart() {
    let (vm, run) = on_vm(
        r#"
        let router = netns::add("router");
        router.forwarding(true);
        let vrfs = #{ red: link::add_vrf("red", 10, #{ netns: router }),
                      blue: link::add_vrf("blue", 20, #{ netns: router }) };
        for color in ["red", "blue"] {
            vrfs[color].up();
            for side in [1, 2] {
                let h = netns::add(`${color}${side}`);
                let eth = link::add_veth("eth0", `${color}${side}`, #{ netns: h, peer_netns: router });
                eth.addr_add(`10.0.${side}.2/24`);
                eth.up();
                h.route_add("default", `10.0.${side}.1`);
                eth.peer.set_master(vrfs[color]);
                eth.peer.addr_add(`10.0.${side}.1/24`);
                eth.peer.up();
            }
        }
        // Only red2 has 10.0.9.2, and only red's table routes to it.
        netns::get("red2").link("lo").addr_add("10.0.9.2/32");
        router.route_add("10.0.9.0/24", #{ via: "10.0.2.2", table: 10 });
        expect(netns::get("red1").ping("10.0.2.2"), "red1 reaches red2 across the router");
        expect(netns::get("blue1").ping("10.0.2.2"), "blue1 reaches blue2 at the same address");
        expect(netns::get("red1").ping("10.0.9.2"), "red's table routes to 10.0.9.2");
        expect(!netns::get("blue1").ping("10.0.9.2", #{ timeout: 1 }), "blue's does not");
        print(router.routes(#{ table: 10 }).filter(|r| r.dst == "10.0.9.0/24"));
        print(router.routes(#{ table: 20 }).filter(|r| r.dst == "10.0.9.0/24"));
        router.route_del("10.0.9.0/24", #{ via: "10.0.2.2", table: 10 });
        expect_eq(router.routes(#{ table: 10 }).filter(|r| r.dst == "10.0.9.0/24").len(), 0, "deleted");
        expect_eq(fails(|| link::add_vrf("bad", 255)).kind, "invalid", "the local table");
        expect_eq(fails(|| router.route_add("10.1.0.0/16", #{ type: "blackhole", table: 0 })).kind, "invalid", "table 0");
        router.route_add("10.0.8.0/24", #{ via: "10.0.1.2", table: 20 });
        "#,
        "ip -n router -d -j link show red > red.json; ip -n router -j route show table 20 > t20.json",
    );
    run.success();
    assert_eq!(
        run.stdout,
        "[#{\"dev\": \"red2\", \"dst\": \"10.0.9.0/24\", \"gateway\": \"10.0.2.2\"}]\n[]\n"
    );
    let red = &json(&vm.read("red.json"))[0];
    assert_eq!(red["linkinfo"]["info_kind"], "vrf", "{red}");
    assert_eq!(red["linkinfo"]["info_data"]["table"], 10, "{red}");
    let t20 = json(&vm.read("t20.json"));
    let routes = t20.as_array().unwrap();
    assert!(
        routes.iter().any(|r| r["dst"] == "10.0.8.0/24"
            && r["gateway"] == "10.0.1.2"
            && r["dev"] == "blue1"),
        "{t20}"
    );
    left_nothing(&vm);
}

/// `netscript doctor` finds every optional link kind and qdisc on a
/// kernel that has them (on this machine's it says which are missing:
/// tests/it/cli.rs), and fails nothing.
#[test]
fn doctor_finds_every_optional_feature_on_a_kernel_that_has_them() {
    let vm = Vm::new();
    let run = vm.sh("netscript --sandbox doctor; echo status=$?");
    for feature in crate::common::DOCTOR_OPTIONAL {
        assert!(
            run.stdout
                .contains(&format!("ok   {feature} — this kernel has it\n")),
            "{feature}:\n{}{}",
            run.stdout,
            run.stderr
        );
    }
    assert!(!run.stdout.contains("\nno "), "{}", run.stdout);
    assert!(run.stdout.ends_with("status=0\n"), "{}", run.stdout);
}

/// VLANs changed on a bridge and a port the lab did not make are changed
/// back at teardown: `bridge vlan show` is as it was before the lab.
#[test]
fn vlans_changed_on_a_bridge_the_lab_did_not_make_are_changed_back() {
    let vm = Vm::new();
    vm.file(
        "test.rhai",
        r#"
        let br = link::get("brx");
        let port = link::get("px");
        br.vlan_add(port, 30, #{ pvid: true, untagged: true });
        br.vlan_del(port, 1);
        br.vlan_add(br, 30);
        br.vlan_add(port, 40);
        br.vlan_del(port, 40);
        br.vlan_add(br, 1);
        print(br.vlans().len());
        "#,
    );
    let run = vm.sh("ip link add brx type bridge vlan_filtering 1\n\
         ip link add px type veth peer name py\n\
         ip link set px master brx\n\
         bridge -j vlan show > before.json\n\
         netscript test.rhai > script.out 2> script.err; echo $? > script.code\n\
         bridge -j vlan show > during.json\n\
         netscript down test > down.out 2>&1\n\
         bridge -j vlan show > after.json\n");
    run.success();
    assert_eq!(
        vm.read("script.code").trim(),
        "0",
        "{}",
        vm.read("script.err")
    );
    assert_eq!(vm.read("script.out"), "3\n");
    assert_ne!(vm.read("before.json"), vm.read("during.json"));
    assert_eq!(
        json(&vm.read("after.json")),
        json(&vm.read("before.json")),
        "{}",
        vm.read("down.out")
    );
}
