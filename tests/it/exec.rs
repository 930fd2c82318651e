//! Commands inside namespaces with `ip netns exec` fidelity: /sys and
//! /etc/netns, options, errors, streamed runs and interactive shells.

use crate::common::Sandbox;

/// /etc seen through an overlay whose writes land in the test's directory,
/// so /etc/netns/NAME can be made without touching the machine's /etc.
const PRIVATE_ETC: &str = "mkdir -p up work && mount -t overlay overlay -o lowerdir=/etc,upperdir=$PWD/up,workdir=$PWD/work /etc\n";

#[test]
fn sys_class_net_lists_the_namespaces_links() {
    let sb = Sandbox::new();
    let run = sb.script(
        r#"
        let r1 = netns::add("r1");
        link::add_veth("eth0", "host-end", #{ netns: r1 });
        print(r1.exec("ls /sys/class/net").stdout.split("\n").filter(|l| l != ""));
        print(netns::host().exec("ls /sys/class/net").stdout.split("\n").filter(|l| l != ""));
        "#,
    );
    assert_eq!(
        run.stdout, "[\"eth0\", \"lo\"]\n[\"host-end\", \"lo\"]\n",
        "{}",
        run.stderr
    );
}

#[test]
fn etc_netns_files_replace_etc_files() {
    let sb = Sandbox::new();
    sb.file(
        "hosts.rhai",
        r#"
        let r1 = netns::add("r1");
        print(r1.exec("cat /etc/hosts").stdout);
        print(netns::add("r2").exec("cat /etc/hosts").stdout.contains("special"));
        "#,
    );
    let run = sb.sh(&format!(
        "{PRIVATE_ETC}mkdir -p /etc/netns/r1 && echo '10.9.9.9 special' > /etc/netns/r1/hosts\nnetscript hosts.rhai"
    ));
    assert_eq!(run.stdout, "10.9.9.9 special\n\nfalse\n", "{}", run.stderr);
}

#[test]
fn env_cwd_stdin_and_timeout() {
    let out = crate::common::script_ok(
        r#"
        let r1 = netns::add("r1");
        print(r1.exec(["sh", "-c", "echo $A-$B"], #{ env: #{ A: "x", B: 2 } }).stdout);
        print(r1.exec("pwd", #{ cwd: "/tmp" }).stdout);
        print(r1.exec("tr a-z A-Z", #{ stdin: "shout\n" }).stdout);
        let t = timestamp();
        try { r1.exec("sleep 10", #{ timeout: 0.3 }); print("no timeout"); } catch (e) {
            print(e.kind);
            print(e.message);
        }
        if t.elapsed > 3.0 { throw "the timeout did not kill the command"; }
        try { r1.exec("true", #{ timeout: -1 }); } catch (e) { print(e.kind); }
        try { r1.exec("true", #{ shell: true }); } catch (e) { print(e.kind); }
        try { r1.exec("pwd", #{ cwd: "/no/such/dir" }); } catch (e) { print(e.kind); }
        "#,
    );
    assert_eq!(
        out,
        "x-2\n\n/tmp\n\nSHOUT\n\ntimeout\ncannot run `sleep 10` in namespace \"r1\": it did not finish within 0.3 s and was killed\n\
         invalid\ninvalid\nnot_found\n"
    );
}

#[test]
fn a_missing_program_is_named() {
    let sb = Sandbox::new();
    let run = sb.script("let r1 = netns::add(\"r1\");\nr1.exec(\"no-such-tool-xyz localhost\");\n");
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("cannot run \"no-such-tool-xyz\" in namespace \"r1\": no such program 'no-such-tool-xyz'"), "{}", run.stderr);
    assert!(
        run.stderr.contains("is it installed and on PATH?"),
        "{}",
        run.stderr
    );
}

#[test]
fn run_streams_output_and_fails_with_the_stderr_tail() {
    let sb = Sandbox::new();
    let run = sb.script(
        r#"
        let r1 = netns::add("r1");
        r1.run("echo streamed");
        r1.run(["sh", "-c", "echo first >&2; echo last words >&2; exit 4"]);
        "#,
    );
    assert_eq!(run.status, 1);
    assert_eq!(run.stdout, "streamed\n");
    assert!(
        run.stderr.starts_with("first\nlast words\n"),
        "stderr streams through:\n{}",
        run.stderr
    );
    let message = run.stderr.replace("\n  │ ", " ");
    assert!(
        message.contains("cannot run `sh -c 'echo first >&2; echo last words >&2; exit 4'` in namespace \"r1\": it exited with status 4: first / last words"),
        "{message}"
    );
}

#[test]
fn shell_on_a_terminal_runs_inside_the_namespace() {
    let sb = Sandbox::new();
    sb.file(
        "sh.rhai",
        "let r1 = netns::add(\"r1\");\nlink::add_veth(\"inside0\", \"outside0\", #{ netns: r1 });\nlet s = r1.shell();\nprint(`shell exited with ${s}`);\n",
    );
    let socket = sb.path().join("tmux.sock").display().to_string();
    let cmd = format!(
        "cd {} && SHELL=/bin/sh {} --sandbox sh.rhai; sleep 30",
        sb.path().display(),
        crate::common::netscript_bin()
    );
    let tmux = |args: &[&str]| {
        let out = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    let wait_for = |text: &str| {
        let start = std::time::Instant::now();
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed().as_secs() < 15,
                "waiting for {text:?}:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    tmux(&[
        "send-keys",
        "-t",
        "t",
        "-l",
        "echo in-$NETSCRIPT_NETNS; ls /sys/class/net | tr '\\n' ' '; echo",
    ]);
    tmux(&["send-keys", "-t", "t", "Enter"]);
    let screen = wait_for("inside0 lo");
    assert!(screen.contains("in-r1"), "{screen}");
    // Ctrl-C belongs to the shell, not to netscript.
    tmux(&["send-keys", "-t", "t", "C-c"]);
    // Type only once the shell has answered the interrupt with a fresh
    // prompt: sh drops a line that arrives while it handles SIGINT.
    let start = std::time::Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
        if screen.lines().filter(|l| l.starts_with('#')).count() >= 3 {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 15,
            "waiting for a prompt after Ctrl-C:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tmux(&["send-keys", "-t", "t", "-l", "exit 3"]);
    tmux(&["send-keys", "-t", "t", "Enter"]);
    wait_for("shell exited with 3");
    tmux(&["kill-server"]);
}

/// A program whose output passes the longest string a script may hold is
/// killed and the call fails with a help (collecting it filled the memory
/// until the OOM killer ended netscript, without a rollback).
#[test]
fn exec_stops_a_program_whose_output_passes_what_a_script_holds() {
    let sb = Sandbox::new();
    sb.file(
        "yes.rhai",
        r#"
        let r1 = netns::add("r1");
        try { r1.exec(["yes"]); } catch (e) { print(e.kind); print(e.message); print(e.help); }
        // What it started goes too: its pipes are closed.
        try { r1.exec(["sh", "-c", "yes; true"]); } catch (e) { print(e.kind); }
        print(wait_until(|| r1.pids().len() == 0, 2));
        "#,
    );
    let run = sb.sh("netscript --rm yes.rhai");
    assert_eq!(
        run.stdout,
        "invalid\n\
         cannot run `yes` in namespace \"r1\": its output passed 256 MiB, the most a script holds, and it was killed\n\
         send it to a file instead (sh -c \"CMD > FILE\"), or use run(), which shows it\n\
         invalid\ntrue\n",
        "{}",
        run.stderr
    );
}
