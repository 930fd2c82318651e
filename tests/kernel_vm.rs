//! What the test machines' kernel lacks, on a stock Debian kernel booted
//! under QEMU (tests/common/vm.rs): dummy and 802.1Q VLAN links, netem,
//! bridge VLAN filtering. Each test is one VM, built and torn down by
//! netscript, with `ip -j` inside the same VM as the oracle.

mod common;
use common::api::PRELUDE;
use common::examples::{expected_prints, matches, needs_vm};
use common::vm::Vm;
use common::{Run, json};

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
        print("ok");
        "#,
        "ip -n r1 -j -d addr show lo1 > lo1.json; ip -j -d link show d0 > d0.json; \
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
