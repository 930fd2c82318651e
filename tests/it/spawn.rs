//! Background processes: a server in one namespace answers a client in
//! another, and nothing outlives its namespace or netscript unless asked.

use crate::common::Sandbox;

const WIRE: &str = r#"
let a = netns::add("a");
let b = netns::add("b");
let e = link::add_veth("eth0", "eth0", #{ netns: a, peer_netns: b });
e.addr_add("10.0.0.1/24");
e.up();
e.peer.addr_add("10.0.0.2/24");
e.peer.up();
"#;

#[test]
fn a_server_in_one_namespace_answers_a_client_in_another() {
    let out = crate::common::script_ok(&format!(
        r#"{WIRE}
        let server = a.spawn(["busybox", "nc", "-l", "-p", "7000", "-e", "echo", "hello over tcp"]);
        let got = "";
        for i in 0..100 {{
            got = b.exec(["busybox", "nc", "-w", "1", "10.0.0.1", "7000"]).stdout;
            if got != "" {{ break; }}
        }}
        print(got);
        print(server.wait(5));
        print(server.alive);
        "#
    ));
    assert_eq!(out, "hello over tcp\n\n0\nfalse\n");
}

#[test]
fn spawned_processes_stop_with_their_namespace_and_with_netscript() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        &format!(
            r#"{WIRE}
            let in_a = a.spawn("sleep 60");
            let in_b = b.spawn(["sh", "-c", "sleep 60; echo never"]);
            let kept = b.spawn("sleep 60", #{{ detach: true }});
            print(`${{in_a.pid}} ${{in_b.pid}} ${{kept.pid}}`);
            netns::del("a");
            if in_a.alive {{ throw "still running after its namespace was deleted"; }}
            if !in_b.alive {{ throw "stopped too early"; }}
            "#
        ),
    );
    let run = sb.sh("set -- $(netscript lab.rhai) || exit 9\n\
         for pid in $1 $2; do test -e /proc/$pid && echo \"$pid left running\"; done\n\
         test -e /proc/$3 && echo detached-kept && kill $3");
    assert_eq!(run.stdout, "detached-kept\n", "{}", run.stderr);
}

#[test]
fn output_and_timeouts() {
    let out = crate::common::script_ok(
        r#"
        let r1 = netns::add("r1");
        let p = r1.spawn(["sh", "-c", "echo out; echo err >&2; sleep 30"]);
        try { p.wait(0.2); } catch (e) { print(e.kind); }
        let o = p.output();
        print(o.status == ());
        print(p.kill());
        let o = p.output();
        print(o.stdout);
        print(o.stderr);
        print(o.status);
        try { r1.spawn("sleep 1", #{ timeout: 1 }); } catch (e) { print(e.kind); }
        try { r1.spawn("no-such-daemon"); } catch (e) { print(e.kind); }
        "#,
    );
    assert_eq!(
        out,
        "timeout\ntrue\n143\nout\n\nerr\n\n143\ninvalid\nnot_found\n"
    );
}
