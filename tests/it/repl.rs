//! The REPL driven like a person would: through a real terminal (tmux),
//! in a sandbox (`netscript --sandbox`), keys in and screen out.

use crate::common::{Sandbox, netscript_bin};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) const PROMPT: &str = "netscript (sandbox)> ";

/// A netscript REPL in its own tmux server, on a 120x50 terminal.
pub(crate) struct Term {
    pub(crate) sb: Sandbox,
    socket: String,
    prompt: &'static str,
}

impl Term {
    pub(crate) fn start() -> Term {
        Term::start_with("")
    }

    /// With `env` ("NAME=value ...") in netscript's environment.
    pub(crate) fn start_with(env: &str) -> Term {
        let sb = Sandbox::new();
        let state = sb.path().join("state");
        let cmd = format!(
            "cd {dir} && {env} XDG_STATE_HOME={state} NO_COLOR=1 {bin} --sandbox",
            dir = sb.path().display(),
            state = state.display(),
            bin = netscript_bin()
        );
        Term::launch(sb, &cmd, PROMPT)
    }

    /// Without --sandbox, on a host of the test's own: a private network
    /// and mount namespace set up as `Sandbox::sh` sets one up, where the
    /// `setup` shell lines ran first. The REPL's pid is in `repl.pid`.
    fn start_on_host(setup: &str) -> Term {
        let sb = Sandbox::new();
        sb.file(
            "start.sh",
            &format!(
                "set -e\nmount -t tmpfs tmpfs /run\nmkdir -p /run/netns\n\
                 mount -t sysfs sysfs /sys\nip link set lo up\n{setup}\n\
                 echo $$ > repl.pid\nXDG_STATE_HOME={state} NO_COLOR=1 exec {bin}\n",
                state = sb.path().join("state").display(),
                bin = netscript_bin()
            ),
        );
        let cmd = format!(
            "cd {} && unshare --net --mount --propagation private -- bash start.sh",
            sb.path().display()
        );
        Term::launch(sb, &cmd, "netscript> ")
    }

    pub(crate) fn launch(sb: Sandbox, cmd: &str, prompt: &'static str) -> Term {
        let socket = sb.path().join("tmux.sock").display().to_string();
        let ok = Command::new("tmux")
            .args([
                "-S",
                &socket,
                "new-session",
                "-d",
                "-s",
                "repl",
                "-x",
                "120",
                "-y",
                "50",
                cmd,
            ])
            .status()
            .expect("tmux")
            .success();
        assert!(ok, "tmux did not start");
        let t = Term { sb, socket, prompt };
        t.wait_for(prompt);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Everything on the terminal so far (scrollback included).
    pub(crate) fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-500", "-t", "repl"])
    }

    pub(crate) fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text))
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "repl"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Type a line, press Enter, and wait for the next prompt.
    pub(crate) fn line(&self, text: &str) -> String {
        let prompt = self.prompt;
        let prompts = self.screen().matches(prompt).count();
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
        let screen = self.wait_until(&format!("the prompt after {text:?}"), |s| {
            s.matches(prompt).count() > prompts
        });
        // What the line printed: between its echo and the next prompt.
        let echo = format!("{prompt}{text}");
        let after = screen.rsplit_once(&echo).map_or("", |(_, rest)| rest);
        after
            .rsplit_once(prompt)
            .map_or(after, |(out, _)| out)
            .trim()
            .to_string()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn build_the_bridge_lab_by_hand_and_ping() {
    let t = Term::start();
    t.line(r#"let r1 = netns::add("r1")"#);
    t.line(r#"let r2 = netns::add("r2")"#);
    t.line(r#"let br = bridge::add("br0")"#);
    t.line("br.up()");
    t.line(r#"let v1 = link::add_veth("veth1.1", "veth1.2")"#);
    t.line("v1.set_netns(r1)");
    t.line(r#"v1.rename("eth0")"#);
    t.line(r#"v1.addr_add("100.100.100.10/24")"#);
    t.line("v1.up()");
    t.line(r#"let v2 = link::add_veth("eth0", "veth2.2", #{ netns: r2 })"#);
    t.line(r#"v2.addr_add("100.100.100.20/24")"#);
    t.line("v2.up()");
    t.line(r#"for p in [v1.peer, v2.peer] { p.set_master(br); p.up(); }"#);
    let shown = t.line("v1");
    assert_eq!(
        shown,
        "Link eth0  kind veth  state UP  addresses 100.100.100.10/24  peer veth1.2@host  netns r1"
    );
    let table = t.line("br.netns.links()");
    assert!(table.starts_with("NAME "), "{table}");
    assert!(table.contains("veth1.2  veth"), "{table}");
    assert_eq!(t.line(r#"r1.ping("100.100.100.20")"#), "true");
}

#[test]
fn an_internal_panic_is_reported_and_the_session_goes_on() {
    let t = Term::start_with("NETSCRIPT_TEST_PANIC=1");
    t.line(r#"let r1 = netns::add("r1")"#);
    let err = t.line("test_panic()");
    assert!(
        err.contains("internal error: a deliberate panic for a test"),
        "{err}"
    );
    assert!(err.contains("this is a bug in netscript"), "{err}");
    assert!(!err.contains("panicked at"), "{err}");
    assert_eq!(t.line("netns::list()"), r#"["r1"]"#);
}

#[test]
fn multi_line_function_then_call() {
    let t = Term::start();
    t.keys(&["-l", "fn twice(x) {"]);
    t.keys(&["Enter"]);
    t.keys(&["-l", "    x * 2"]);
    t.keys(&["Enter"]);
    t.line("}");
    assert_eq!(t.line("twice(21)"), "42");
    // Functions survive across inputs, and so do variables.
    t.line("let n = twice(5)");
    assert_eq!(t.line("n + 1"), "11");
}

#[test]
fn an_error_then_the_session_goes_on() {
    let t = Term::start();
    t.line(r#"let r1 = netns::add("r1")"#);
    let err = t.line(r#"netns::add("r1")"#);
    assert!(
        err.contains("cannot create namespace \"r1\": file exists (EEXIST)"),
        "{err}"
    );
    assert!(
        err.contains("use netns::ensure(\"r1\") to reuse it"),
        "{err}"
    );
    assert!(
        err.contains("2 │ netns::add(\"r1\")"),
        "the span points into the input just typed:\n{err}"
    );
    assert_eq!(t.line("netns::list()"), r#"["r1"]"#);
}

#[test]
fn tab_completes_functions_and_live_names() {
    let t = Term::start();
    t.line(r#"netns::add("lab-one")"#);
    t.keys(&["-l", "netns::a"]);
    t.keys(&["Tab"]);
    t.wait_for("netns::add(");
    t.keys(&["C-u"]);
    t.keys(&["-l", "netns::get(\"lab"]);
    t.keys(&["Tab"]);
    t.wait_for("netns::get(\"lab-one\"");
    t.keys(&["-l", ")"]);
    t.keys(&["Enter"]);
    t.wait_for("Netns lab-one");
    t.line(r#"let r = netns::get("lab-one")"#);
    t.keys(&["-l", "r.lin"]);
    t.keys(&["Tab"]);
    t.wait_for("r.link");
    // A second Tab lists what is possible.
    t.keys(&["Tab"]);
    t.wait_until("link( and links( listed", |s| {
        s.contains("link(") && s.contains("links(")
    });
}

#[test]
fn save_writes_a_script_that_runs() {
    let t = Term::start();
    t.line(r#"let r1 = netns::add("r1")"#);
    t.line(r#"let v = link::add_veth("eth0", "veth1", #{ netns: r1 })"#);
    t.line(r#"v.addr_add("10.0.0.1/24")"#);
    t.line(r#"netns::get("missing")"#);
    t.line("v.up()");
    let saved = t.line(":save lab.rhai");
    assert!(saved.starts_with("saved 4 inputs to lab.rhai"), "{saved}");
    let script = t.sb.read("lab.rhai");
    assert!(script.starts_with("#!/usr/bin/env netscript\n"), "{script}");
    assert!(
        !script.contains("missing"),
        "failed inputs are not saved:\n{script}"
    );
    let run = t.sb.sh("netscript --sandbox lab.rhai && echo ran");
    assert_eq!(run.stdout, "ran\n", "{}", run.stderr);
}

#[test]
fn ctrl_c_interrupts_a_long_call_and_keeps_the_session() {
    let t = Term::start();
    t.line(r#"let r1 = netns::add("r1")"#);
    let prompts = t.screen().matches(PROMPT).count();
    t.keys(&["-l", r#"loop { r1.ping("10.9.9.9"); }"#]);
    t.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(700));
    t.keys(&["C-c"]);
    let screen = t.wait_until("the prompt after Ctrl-C", |s| {
        s.matches(PROMPT).count() > prompts
    });
    assert!(screen.contains("interrupted"), "{screen}");
    assert_eq!(t.line("r1.name"), "r1");
}

#[test]
fn ctrl_d_leaves_and_history_is_saved() {
    let t = Term::start();
    t.line(r#"print("remember me")"#);
    t.keys(&["C-d"]);
    let history = t.sb.path().join("state/netscript/history");
    // The file appears before its lines are written: wait for the line.
    let start = Instant::now();
    let mut text = String::new();
    while !text.contains(r#"print("remember me")"#) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
        text = std::fs::read_to_string(&history).unwrap_or_default();
    }
    assert!(
        text.contains(r#"print("remember me")"#),
        "history: {text:?}"
    );
}

#[test]
fn imports_and_help() {
    let t = Term::start();
    t.line(r#"import "topo" as topo"#);
    t.line(r#"let br = bridge::add("br0")"#);
    t.line("br.up()");
    t.line(r#"let r1 = netns::add("r1")"#);
    // The module imported two inputs ago is still there.
    t.line(r#"topo::wire(r1, "eth0", "10.0.0.1/24", br, "p1")"#);
    assert_eq!(t.line(r#"r1.ping("10.0.0.1")"#), "true");
    let help = t.line(":help netns::add");
    assert!(help.contains("ip netns add NAME"), "{help}");
    let all = t.line(":help");
    assert!(
        all.contains("netns::") && all.contains(":save FILE"),
        "{all}"
    );
}

#[test]
fn without_a_terminal_there_is_no_prompt() {
    let sb = Sandbox::new();
    let run = sb.sh("echo 'print(1 + 1)' | netscript --sandbox");
    assert_eq!(run.stdout, "2\n");
    assert!(!run.stdout.contains("netscript>") && !run.stderr.contains("netscript>"));
}

#[test]
fn a_blank_line_drops_an_unfinished_input() {
    let t = Term::start();
    t.keys(&["-l", "let x = [1,"]);
    t.keys(&["Enter"]);
    t.keys(&["Enter"]);
    t.wait_for("(unfinished input dropped)");
    let err = t.line("x");
    assert!(err.contains("variable `x` is not defined"), "{err}");
}

#[test]
fn load_runs_a_file_into_the_session_and_links_complete() {
    let t = Term::start();
    t.sb.file("setup.rhai", "#!/usr/bin/env netscript\nlet r1 = netns::add(\"r1\");\nlink::add_veth(\"eth0\", \"veth1\", #{ netns: r1 });\n");
    assert_eq!(t.line(":load setup.rhai"), "loaded setup.rhai");
    // Variables from the file are in the session; link names come live.
    t.keys(&["-l", "r1.link(\"et"]);
    t.keys(&["Tab"]);
    t.wait_for("r1.link(\"eth0\"");
    t.keys(&["-l", ").kind"]);
    t.keys(&["Enter"]);
    t.wait_for("veth\n");
}

#[test]
fn a_link_the_repl_did_not_make_is_only_deleted_with_force() {
    let t = Term::start_on_host("ip link add ext0 type veth peer name ext1");
    let pid = t.sb.read("repl.pid");
    // `ip -j link` in the REPL's network namespace: the names there.
    let names = || {
        let out = Command::new("nsenter")
            .arg(format!("--net=/proc/{}/ns/net", pid.trim()))
            .args(["ip", "-j", "link", "show"])
            .output()
            .expect("nsenter");
        assert!(out.status.success(), "{out:?}");
        crate::common::api::sorted(crate::common::api::ifnames(&crate::common::json(
            &String::from_utf8_lossy(&out.stdout),
        )))
    };
    assert_eq!(names(), ["ext0", "ext1", "lo"]);
    t.line(r#"let ext = link::get("ext0")"#);
    let err = t.line("ext.del()");
    assert!(
        err.contains(
            r#"cannot delete link "ext0" in namespace "host": netscript did not create it"#
        ),
        "{err}"
    );
    assert!(err.contains("pass #{ force: true }"), "{err}");
    assert_eq!(names(), ["ext0", "ext1", "lo"], "refused means untouched");
    assert_eq!(t.line("ext.del(#{ force: true })"), "");
    assert_eq!(names(), ["lo"], "forced: both ends gone");
}
