//! The REPL as a place to work: the lab shown from the prompt (`:show`,
//! `show()`, `:pingall`), Mininet's habits answered with the netscript
//! they run, did-you-mean, pasted blocks, script type names, and `:save`
//! keeping only what built the lab.

use crate::repl::{PROMPT, Term};

/// Two hosts on a bridge, typed at the prompt.
fn two_hosts(t: &Term) {
    t.line(r#"let br = bridge::add("br0")"#);
    t.line("br.up()");
    t.line(
        r#"for i in 1..=2 { let h = netns::add(`h${i}`); let e = link::add_veth("eth0", `p${i}`, #{ netns: h }); e.addr_add(`10.0.0.${i}/24`); e.up(); e.peer.set_master(br); e.peer.up(); }"#,
    );
}

#[test]
fn the_lab_is_shown_from_the_prompt() {
    let t = Term::start();
    two_hosts(&t);
    let shown = t.line(":show");
    assert!(shown.contains("br0 "), "{shown}");
    assert!(
        shown.contains("<-> h1/eth0") && shown.contains("<-> h2/eth0"),
        "{shown}"
    );
    assert!(shown.contains("10.0.0.1/24"), "{shown}");
    // (A new bridge says UNKNOWN until a port forwards: either may be
    // drawn first.)
    let settled = |s: &str| s.replace("bridge    UNKNOWN", "bridge    UP");
    assert_eq!(settled(&t.line("show()")), settled(&shown));
    let matrix = t.line(":pingall");
    assert!(matrix.ends_with("dropped 0/2"), "{matrix}");
    assert!(matrix.contains("h1 -> h2"), "{matrix}");
    // pingall() as a value is drawn the same way, not as a raw map.
    assert_eq!(t.line("pingall()"), matrix);
    let dot = t.line(":graph");
    assert!(
        dot.starts_with("graph") || dot.starts_with("digraph"),
        "{dot}"
    );
}

#[test]
fn mininet_habits_run_as_the_netscript_they_mean() {
    let t = Term::start();
    two_hosts(&t);
    let all = t.line("pingall");
    assert!(all.starts_with("(netscript: pingall())"), "{all}");
    assert!(all.ends_with("dropped 0/2"), "{all}");
    assert_eq!(
        t.line("h1 ping h2"),
        "(netscript: netns::get(\"h1\").ping(\"10.0.0.2\"))\ntrue"
    );
    let addr = t.line("h2 ip -br addr show dev eth0");
    assert!(addr.contains("10.0.0.2/24"), "{addr}");
    let nodes = t.line("nodes");
    assert!(
        nodes.contains("\"h1\"") && nodes.contains("\"h2\""),
        "{nodes}"
    );
    let net = t.line("net");
    assert!(net.starts_with("(netscript: show())"), "{net}");
    let help = t.line("help");
    assert!(help.contains("Mininet habits work too"), "{help}");
    // A variable of that name wins over the habit.
    t.line("let nodes = 3");
    assert_eq!(t.line("nodes"), "3");
    let hint = t.line("h1");
    assert!(
        hint.contains("`h1` is a namespace, not a variable: netns::get(\"h1\")"),
        "{hint}"
    );
}

#[test]
fn mistyped_names_get_a_suggestion() {
    let t = Term::start();
    t.line(r#"let router = netns::add("r1")"#);
    let f = t.line(r#"netns::ad("x")"#);
    assert!(f.contains("did you mean `netns::add`?"), "{f}");
    let m = t.line(r#"router.pign("10.0.0.1")"#);
    assert!(m.contains("did you mean `ping`?"), "{m}");
    let v = t.line("ruoter.name");
    assert!(v.contains("did you mean `router`?"), "{v}");
    let c = t.line(":shwo");
    assert!(c.contains("did you mean :show?"), "{c}");
    // Values are written with script type names.
    let mixed = t.line(r#"[router, 1, "a"]"#);
    assert_eq!(mixed, r#"[Netns("r1"), 1, "a"]"#);
    assert!(!mixed.contains("netscript::"), "{mixed}");
}

#[test]
fn a_pasted_block_runs_every_line() {
    let t = Term::start();
    let prompts = t.screen().matches(PROMPT).count();
    // Three lines at once, as a terminal without bracketed paste sends them.
    t.keys(&[
        "-l",
        "let a = netns::add(\"p1\")\rlet b = 2\rprint(`${a.name}+${b}`)\r",
    ]);
    let screen = t.wait_until("three prompts", |s| {
        s.matches(PROMPT).count() >= prompts + 3
    });
    assert!(screen.contains("\np1+2\n"), "{screen}");
}

#[test]
fn save_keeps_only_what_built_the_lab_and_reruns_it() {
    let t = Term::start();
    two_hosts(&t);
    t.line("br");
    t.line("print(br.name)");
    t.line("show()");
    t.line("pingall");
    t.line(r#"netns::get("nope")"#);
    let shown = t.line(":show");
    let saved = t.line(":save lab.rhai");
    assert!(saved.starts_with("saved 3 inputs to lab.rhai"), "{saved}");
    let script = t.sb.read("lab.rhai");
    for absent in ["print(", "show()", "pingall", "nope", "\nbr;"] {
        assert!(!script.contains(absent), "{absent} saved:\n{script}");
    }
    // Run on a machine of its own, the saved script makes the same lab.
    let run = t.sb.sh("netscript lab.rhai && netscript show");
    // (A new bridge says UNKNOWN until a port forwards: not the lab's doing.)
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text
            .lines()
            .map(|l| l.trim_end().replace("bridge    UNKNOWN", "bridge    UP"))
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&run.stdout), sorted(&shown), "{}", run.stderr);
}

#[test]
fn the_repl_joins_a_world_an_earlier_run_made() {
    let sb = crate::common::Sandbox::new();
    sb.file(
        "lab.rhai",
        "let h = netns::add(\"h1\");\nlink::add_veth(\"eth0\", \"p1\", #{ netns: h });\n",
    );
    let bin = crate::common::netscript_bin();
    // The first run had the terminal too, and gave it back.
    sb.file(
        "start.sh",
        &format!(
            "mount -t tmpfs tmpfs /run\nmkdir -p /run/netns\n{bin} --sandbox=w lab.rhai 2> made\n\
             NO_COLOR=1 XDG_STATE_HOME=$PWD/state exec {bin} --in w\n"
        ),
    );
    let cmd = format!(
        "cd {} && unshare --net --mount --propagation private --pid --fork --mount-proc -- bash start.sh",
        sb.path().display()
    );
    let t = Term::launch(sb, &cmd, "netscript (w)> ");
    let shown = t.line(":show");
    assert!(shown.contains("<-> h1/eth0"), "{shown}");
    assert_eq!(t.line("h1 ip -br link show dev eth0").lines().count(), 2);
}
