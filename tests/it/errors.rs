//! Rendered error snapshots (no colour, width 100). Each one was read: the
//! underline must sit exactly under the argument at fault, or under the
//! failing call when no one argument is.

use crate::common::Sandbox;

/// Run `script` as `name` (netscript without --sandbox, inside the
/// harness's sandbox) and return (exit status, stderr).
fn fails(name: &str, script: &str) -> (i32, String) {
    let sb = Sandbox::new();
    sb.file(name, script);
    let run = sb.sh(&format!("netscript {name}"));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    (run.status, run.stderr)
}

#[track_caller]
fn snapshot(name: &str, script: &str, status: i32, expected: &str) {
    let (got_status, stderr) = fails(name, script);
    assert_eq!(stderr, expected, "rendered:\n{stderr}");
    assert_eq!(got_status, status);
}

#[test]
fn netns_exists() {
    snapshot(
        "exists.rhai",
        r#"let r1 = netns::add("r1");
let again = netns::add("r1");
"#,
        1,
        r#"netscript::exists

  × cannot create namespace "r1": file exists (EEXIST)
   ╭─[exists.rhai:2:24]
 1 │ let r1 = netns::add("r1");
 2 │ let again = netns::add("r1");
   ·                        ──┬─
   ·                          ╰── already exists
   ╰────
  help: use netns::ensure("r1") to reuse it, or delete it first
rolled back lab "exists": 1 removed
  - namespace r1
"#,
    );
}

#[test]
fn link_not_found_names_where_it_is() {
    snapshot(
        "notfound.rhai",
        r#"let r1 = netns::add("r1");
link::add_veth("eth0", "veth1.2", #{ netns: r1 });
let eth = link::get("eth0");
"#,
        1,
        r#"netscript::not_found

  × cannot find link "eth0" in namespace "host": no such link
   ╭─[notfound.rhai:3:21]
 2 │ link::add_veth("eth0", "veth1.2", #{ netns: r1 });
 3 │ let eth = link::get("eth0");
   ·                     ───┬──
   ·                        ╰── not found
   ╰────
  help: a link named "eth0" exists in namespace "r1": use netns::get("r1").link("eth0")
rolled back lab "notfound": 2 removed
  - namespace r1
  - veth eth0 (in r1)
"#,
    );
}

#[test]
fn invalid_cidr() {
    snapshot(
        "cidr.rhai",
        r#"let v = link::add_veth("veth1.1", "veth1.2");
v.addr_add("100.100.100.300/24");
"#,
        1,
        r#"netscript::invalid

  × cannot use "100.100.100.300/24" as an address: "100.100.100.300" is not an IPv4 or IPv6
  │ address
   ╭─[cidr.rhai:2:12]
 1 │ let v = link::add_veth("veth1.1", "veth1.2");
 2 │ v.addr_add("100.100.100.300/24");
   ·            ──────────┬─────────
   ·                      ╰── invalid argument
   ╰────
  help: write it like 10.0.0.1/24 or 2001:db8::1/64
rolled back lab "cidr": 1 removed
  - veth veth1.1 (in host)
"#,
    );
}

#[test]
fn wrong_argument_type() {
    snapshot(
        "argtype.rhai",
        r#"let v = link::add_veth("veth1.1", 2);
"#,
        1,
        r#"netscript::call

  × no function matches the call link::add_veth(string, int)
   ╭─[argtype.rhai:1:35]
 1 │ let v = link::add_veth("veth1.1", 2);
   ·                                   ┬
   ·                                   ╰── expected string here
   ╰────
  help: the arguments do not match; `add_veth` takes:
          link::add_veth(name: string, peer_name: string) -> Link
          link::add_veth(name: string, peer_name: string, options: map) -> Link
"#,
    );
}

#[test]
fn syntax_error_unclosed_block() {
    snapshot(
        "syntax.rhai",
        r#"let r1 = netns::add("r1");
if r1.ping("10.0.0.2") {
    print("up")
"#,
        2,
        r#"netscript::syntax

  × syntax error: the script ends before this `{` is closed
   ╭─[syntax.rhai:2:24]
 1 │ let r1 = netns::add("r1");
 2 │ if r1.ping("10.0.0.2") {
   ·                        ┬
   ·                        ╰── this `{` is never closed
 3 │     print("up")
   ╰────
  help: add the missing `}`
"#,
    );
}

#[test]
fn error_inside_a_script_function() {
    snapshot(
        "infn.rhai",
        r#"fn wire(ns, name) {
    let l = link::add_veth(name, name);
    l.set_netns(ns);
}

let r1 = netns::add("r1");
wire(r1, "eth0");
"#,
        1,
        r#"netscript::invalid

  × cannot create veth pair "eth0"/"eth0": both ends have the same name in the same namespace
   ╭─[infn.rhai:2:34]
 1 │ fn wire(ns, name) {
 2 │     let l = link::add_veth(name, name);
   ·                                  ──┬─
   ·                                    ╰── invalid argument
 3 │     l.set_netns(ns);
   ╰────
   ╭─[infn.rhai:7:1]
 6 │ let r1 = netns::add("r1");
 7 │ wire(r1, "eth0");
   · ────────┬───────
   ·         ╰── in this call to `wire`
   ╰────
  help: give the peer another name, or create it in another namespace
rolled back lab "infn": 1 removed
  - namespace r1
"#,
    );
}

#[test]
fn error_on_a_line_with_multibyte_text_and_tabs() {
    snapshot(
        "multibyte.rhai",
        r#"let greeting = "Grüße 😀";	let r = netns::get("café");
"#,
        1,
        r#"netscript::not_found

  × cannot open namespace "café": no such namespace
   ╭─[multibyte.rhai:1:51]
 1 │ let greeting = "Grüße 😀";  let r = netns::get("café");
   ·                                                ───┬──
   ·                                                   ╰── not found
   ╰────
  help: create it with netns::add, or list them with netns::list()
"#,
    );
}

#[test]
fn error_inside_a_stdlib_module() {
    snapshot(
        "stdlib.rhai",
        r#"import "topo" as topo;
let br = bridge::add("br0");
let r1 = netns::add("r1");
topo::wire(r1, "eth0", "10.0.0.1/33", br, "veth1.2");
"#,
        1,
        r#"netscript::invalid

  × cannot use "10.0.0.1/33" as an address: the prefix length "33" is not a number from 0 to 32
    ╭─[<stdlib>/topo.rhai:20:12]
 19 │     let inside = link::add_veth(ifname, port, #{ netns: ns, peer_netns: br.netns });
 20 │     inside.addr_add(cidr);
    ·            ───────┬──────
    ·                   ╰── invalid argument
 21 │     let outside = inside.peer;
    ╰────
  help: an IPv4 prefix length is 0..=32

Advice: netscript::call_site

  ☞ called from stdlib.rhai
   ╭─[stdlib.rhai:4:1]
 3 │ let r1 = netns::add("r1");
 4 │ topo::wire(r1, "eth0", "10.0.0.1/33", br, "veth1.2");
   · ──────────────────────────┬─────────────────────────
   ·                           ╰── in this call to `wire`
   ╰────
rolled back lab "stdlib": 3 removed
  - namespace r1
  - veth eth0 (in r1)
  - bridge br0 (in host)
"#,
    );
}

#[test]
fn an_unprivileged_user_is_told_before_anything_is_attempted() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "let r1 = netns::add(\"r1\");\n");
    // The script comes on stdin: the unprivileged user cannot read the test dir.
    let run = sb.sh(
        "setpriv --reuid=65534 --regid=65534 --clear-groups netscript - < lab.rhai; \
         echo status=$?; ls -A /run/netns | wc -l",
    );
    assert_eq!(run.stdout, "status=1\n0\n");
    assert_eq!(
        run.stderr,
        "netscript: a lab needs root or CAP_NET_ADMIN, and this process has neither\n  \
         help: run it as root, or try it in a private sandbox: netscript --sandbox -\n"
    );
}

#[test]
fn a_plain_users_sandbox_runs_a_real_lab_in_a_user_namespace() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"let r1 = netns::add("r1");
let v = link::add_veth("v0", "v1", #{ peer_netns: r1 });
v.addr_add("10.0.0.1/24");
v.up();
let p = r1.link("v1");
p.addr_add("10.0.0.2/24");
p.up();
print(r1.ping("10.0.0.1"));
print(r1.exec("id -u").stdout);
"#,
    );
    let run = sb.sh(
        "setpriv --reuid=65534 --regid=65534 --clear-groups netscript --sandbox - < lab.rhai; \
         echo status=$?; ls -A /run/netns | wc -l; ip -o link show | wc -l",
    );
    // Root inside its own user namespace; nothing left outside it.
    assert_eq!(run.stdout, "true\n0\n\nstatus=0\n0\n1\n", "{}", run.stderr);
}

#[test]
fn caught_errors_are_maps_and_leave_the_script_running() {
    let sb = Sandbox::new();
    let run = sb.script(
        r#"
        netns::add("r1");
        try { netns::add("r1"); } catch (e) {
            print(`${e.kind} ${e.errno}`);
            print(e.message);
            print(e.help);
        }
        try { link::get("nope"); } catch (e) { print(e.kind); }
        try { link::add_veth("a", "b").addr_add("10.0.0.1/40"); } catch (e) { print(e.kind); }
        print("still running");
        "#,
    );
    run.success();
    assert_eq!(
        run.stdout,
        "exists 17\ncannot create namespace \"r1\": file exists (EEXIST)\n\
         use netns::ensure(\"r1\") to reuse it, or delete it first\nnot_found\ninvalid\nstill running\n"
    );
}

#[test]
fn the_engines_own_errors_are_caught_in_the_same_shape() {
    let sb = Sandbox::new();
    let run = sb.script(
        r#"
        let seen = [];
        try { no_such_function(1); } catch (e) { seen.push(e); }
        try { let a = [1]; a[5] } catch (e) { seen.push(e); }
        fn typo() { try { 1 + "a" * 2 } catch (err) { return err } }
        seen.push(typo());
        try { netns::get("nope") } catch (e) { seen.push(e); }
        for e in seen {
            print(`${e.kind} | ${e.message} | ${e.errno} | ${e.help == ()}`);
        }
        print(seen[0].error);
        // What a script throws itself stays its own.
        try { throw "mine" } catch (e) { print(e); }
        try { throw #{ error: "Error of mine", message: "m" } } catch (e) { print(e.kind == ()); }
        "#,
    );
    run.success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "script | no function matches the call no_such_function(int) |  | true"
    );
    assert!(
        lines[1].starts_with("script | Array index 5 out of bounds"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2] == "script | no function matches the call *(string, int) |  | true",
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("not_found | "), "{}", lines[3]);
    assert_eq!(lines[4..], ["ErrorFunctionNotFound", "mine", "true"]);
}

#[test]
fn a_failed_call_leaves_nothing_half_built() {
    // The veth is refused (its peer name is taken) and no end of it remains.
    let sb = Sandbox::new();
    let (run, oracle) = sb.script_then(
        r#"
        link::add_veth("a", "taken");
        try { link::add_veth("new", "taken"); } catch (e) { print(e.message); }
        try { netns::add("bad/name"); } catch (e) { print(e.kind); }
        "#,
        "ip -br link show | awk '{print $1}' | sort | tr '\\n' ' '; ls -A /run/netns",
    );
    run.success();
    assert_eq!(
        run.stdout,
        "cannot create veth pair \"new\"/\"taken\" in namespace \"host\": a link named \"taken\" already exists in namespace \"host\"\ninvalid\n"
    );
    assert_eq!(oracle.trim(), "a@taken lo taken@a");
}

#[test]
fn uncaught_throw_is_reported_at_the_throw() {
    let (status, stderr) = fails("throw.rhai", "let x = 1;\nthrow \"lab check failed\";\n");
    assert_eq!(status, 1);
    assert!(
        stderr.contains("uncaught exception: lab check failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 │ throw \"lab check failed\";"),
        "{stderr}"
    );
}

#[test]
fn module_name_used_as_a_variable_gets_a_hint() {
    let (status, stderr) = fails("dot.rhai", "let r1 = netns.add(\"r1\");\n");
    assert_eq!(status, 1);
    assert!(
        stderr.contains("`netns` is a module: call its functions as `netns::name(...)`"),
        "{stderr}"
    );
}

#[test]
fn a_full_bridge_says_what_its_limit_is() {
    let sb = Sandbox::new();
    // 1023 ports made by ip -batch (fast), then one more by a script.
    let batch: String = (0..1023)
        .map(|i| format!("link add a{i} master br0 type veth peer name b{i}\n"))
        .collect();
    sb.file("ports.batch", &format!("link add br0 type bridge\n{batch}"));
    sb.file(
        "lab.rhai",
        "let v = link::add_veth(\"x0\", \"y0\");\nv.set_master(link::get(\"br0\"));\n",
    );
    let run = sb.sh(
        "ip -batch ports.batch && netscript lab.rhai; echo status=$?; ip -o link show master br0 | wc -l",
    );
    assert_eq!(run.stdout, "status=1\n1023\n", "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "cannot add link \"x0\" to link \"br0\" in namespace \"host\": the bridge has 1023 ports, the most"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("topo::tree"), "{}", run.stderr);
}
