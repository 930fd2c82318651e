//! Container namespaces: attach by PID, identify, pids, the recipe, and
//! detaching leaving the container running. The stand-in container is a
//! process the test starts in a network namespace of its own.

use crate::common::Sandbox;

/// Shell lines that start a stand-in container (a busybox web server in a
/// fresh network namespace) and leave its PID in $CTR.
const STAND_IN: &str = "mkdir -p www && echo 'hello from the container' > www/index.html\n\
    unshare --net sh -c 'ip link set lo up; echo ready > up; exec busybox httpd -f -p 80 -h www' &\n\
    CTR=$!\n\
    for i in $(seq 100); do test -e up && break; sleep 0.05; done\n";

#[test]
fn attach_identify_pids_and_detach() {
    let sb = Sandbox::new();
    sb.file(
        "attach.rhai",
        r#"
        let pid = parse_int(ARGS[0]);
        let ctr = netns::attach("myapp", pid);
        print(netns::list().contains("myapp"));
        print(netns::identify(pid));
        print(ctr.pids() == [pid]);
        print(ctr.links().map(|l| l.name));
        print(ctr.listening());
        print(ctr.fetch("http://localhost/").body);
        try { netns::attach("other", 999999999); } catch (e) { print(e.kind); }
        try { netns::attach("myapp", pid); } catch (e) { print(e.kind); }
        link::add_veth("c-eth0", "h-eth0", #{ netns: ctr });
        "#,
    );
    let run = sb.sh(&format!(
        "{STAND_IN}netscript attach.rhai $CTR > out.txt 2> err.txt; echo status=$?\n\
         ip netns list | grep -c myapp\n\
         ip netns identify $CTR\n\
         test \"$(readlink /proc/$CTR/ns/net)\" = \"$(ip netns exec myapp readlink /proc/self/ns/net)\" && echo same-namespace\n\
         echo 'netns::del(\"myapp\");' | netscript\n\
         ip netns list | wc -l\n\
         ip -br link show h-eth0 | cut -d' ' -f1\n\
         kill -0 $CTR && echo still-running\n\
         kill $CTR"
    ));
    assert_eq!(
        run.stdout,
        "status=0\n1\nmyapp\nsame-namespace\n0\nh-eth0@if2\nstill-running\n",
        "{}",
        sb.read("err.txt")
    );
    assert_eq!(
        sb.read("out.txt"),
        "true\nmyapp\ntrue\n[\"lo\"]\n[#{\"addr\": \"::\", \"port\": 80, \"proto\": \"tcp6\"}]\n\
         hello from the container\n\nnot_found\nexists\n"
    );
}

#[test]
fn the_recipe_looks_inside_a_process_by_pid() {
    let sb = Sandbox::new();
    let recipe = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/container-netns.rhai");
    let run = sb.sh(&format!("{STAND_IN}netscript {recipe} $CTR; echo status=$?; ip netns list | wc -l; kill -0 $CTR && echo alive; kill $CTR"));
    assert!(
        run.stdout.contains("its namespace is attached as \"ctr-"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout
            .contains("    lo  UNKNOWN  [\"127.0.0.1/8\", \"::1/128\"]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("    tcp6 :::80"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("GET http://localhost:80/ -> 200: hello from the container"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("the container is still running: true\nstatus=0\n0\nalive\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn container_pid_explains_what_is_missing() {
    let out = crate::common::script_ok(
        r#"
        try { container::pid("no-such-container-here"); } catch (e) { print(e.kind); print(e.message); }
        "#,
    );
    assert!(
        out.starts_with("not_found\ncannot find the PID of container \"no-such-container-here\": "),
        "{out}"
    );
}

#[test]
fn teardown_removes_what_the_lab_made_inside_an_attached_namespace() {
    let sb = Sandbox::new();
    sb.file(
        "inside.rhai",
        r#"
        let ctr = netns::attach("ctr", parse_int(ARGS[0]));
        let br = bridge::add("br-in", #{ netns: ctr });
        let eth = link::add_veth("c-eth0", "h-eth0", #{ netns: ctr });
        eth.set_master(br);
        "#,
    );
    let run = sb.sh(&format!(
        "{STAND_IN}netscript --lab inside inside.rhai $CTR 2> err.txt; echo status=$?\n\
         nsenter -t $CTR -n ip -br link | cut -d' ' -f1 | sort | tr '\\n' ' '; echo\n\
         netscript down inside > down.txt 2>&1; echo down=$?\n\
         nsenter -t $CTR -n ip -br link | cut -d' ' -f1 | tr '\\n' ' '; echo\n\
         ip -br link show h-eth0 2>&1 | grep -c 'does not exist'\n\
         ip netns list | wc -l\n\
         kill -0 $CTR && echo still-running\n\
         kill $CTR"
    ));
    assert_eq!(
        run.stdout,
        "status=0\nbr-in c-eth0@if2 lo \ndown=0\nlo \n1\n0\nstill-running\n",
        "{}{}",
        sb.read("err.txt"),
        sb.read("down.txt")
    );
}
