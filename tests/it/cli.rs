//! The command line as users meet it: files, shebang scripts, stdin,
//! ARGS, `check`, exit statuses.

use crate::common::Sandbox;

#[test]
fn shebang_script_runs_directly() {
    let sb = Sandbox::new();
    let path = sb.file(
        "lab.rhai",
        "#!/usr/bin/env netscript\nlet r1 = netns::add(\"r1\");\nprint(`${r1.name} ${ARGS}`);\n",
    );
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = sb.sh("./lab.rhai one 'two words' --flag; echo status=$?; ip netns list");
    assert_eq!(
        run.stdout, "r1 [\"one\", \"two words\", \"--flag\"]\nstatus=0\nr1\n",
        "{}",
        run.stderr
    );
}

#[test]
fn shebang_with_sandbox_flag() {
    let sb = Sandbox::new();
    let path = sb.file(
        "lab.rhai",
        "#!/usr/bin/env -S netscript --sandbox\nnetns::add(\"r1\");\nprint(netns::list());\n",
    );
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = sb.sh("./lab.rhai; echo status=$?; ip netns list | wc -l");
    assert_eq!(run.stdout, "[\"r1\"]\nstatus=0\n0\n", "{}", run.stderr);
}

#[test]
fn script_from_stdin() {
    let sb = Sandbox::new();
    let run = sb.sh("echo 'print(netns::exists(\"r1\")); netns::add(\"r1\"); print(netns::list());' | netscript");
    run.success();
    assert_eq!(run.stdout, "false\n[\"r1\"]\n");
    let run = sb.sh("echo 'print(ARGS)' | netscript - a b");
    assert_eq!(run.stdout, "[\"a\", \"b\"]\n");
}

#[test]
fn exit_statuses() {
    let sb = Sandbox::new();
    sb.file("ok.rhai", "print(1);\n");
    sb.file("fails.rhai", "netns::get(\"missing\");\n");
    sb.file("broken.rhai", "let x = ;\n");
    sb.file(
        "exits.rhai",
        "print(\"before\"); exit(7); print(\"after\");\n",
    );
    let run = sb.sh(
        "for f in ok fails broken exits missing-file; do netscript $f.rhai >/dev/null 2>&1; echo \"$f $?\"; done; \
         netscript --no-such-flag 2>/dev/null; echo \"flag $?\"",
    );
    assert_eq!(
        run.stdout,
        "ok 0\nfails 1\nbroken 2\nexits 7\nmissing-file 2\nflag 2\n"
    );
    let run = sb.sh("netscript exits.rhai");
    assert_eq!(run.stdout, "before\n");
}

#[test]
fn check_compiles_without_running() {
    let sb = Sandbox::new();
    sb.file(
        "good.rhai",
        "#!/usr/bin/env netscript\nnetns::add(\"r1\");\n",
    );
    sb.file("bad.rhai", "netns::add(\"r1\"\n");
    let run = sb.sh("netscript check good.rhai; echo \"good $?\"; ip netns list | wc -l");
    assert_eq!(run.stdout, "ok  good.rhai\ngood 0\n0\n");
    let run = sb.sh("netscript check good.rhai bad.rhai");
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("bad.rhai:1:11"), "{}", run.stderr);
    assert!(
        run.stderr.contains("this `(` is never closed"),
        "{}",
        run.stderr
    );
}

#[test]
fn print_to_a_closed_pipe_ends_quietly() {
    let sb = Sandbox::new();
    sb.file("many.rhai", "for i in 0..100000 { print(i); }\n");
    let run = sb.sh("netscript many.rhai | head -1; echo \"status ${PIPESTATUS[0]}\"");
    assert_eq!(run.stdout, "0\nstatus 141\n");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn help_and_version() {
    let sb = Sandbox::new();
    let run = sb.sh("netscript --help");
    run.success();
    assert!(
        run.stdout.contains("--sandbox") && run.stdout.contains("Examples:"),
        "{}",
        run.stdout
    );
    let run = sb.sh("netscript --version");
    assert_eq!(
        run.stdout,
        format!("netscript {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_man_page_and_definitions() {
    let sb = Sandbox::new();
    let run = sb.sh(
        "netscript completions bash > c.bash && bash -n c.bash && echo bash-ok\n\
         netscript completions zsh | grep -q '#compdef netscript' && echo zsh-ok\n\
         netscript completions fish | grep -q 'complete .*--command netscript' && echo fish-ok\n\
         netscript man | grep -q '^.TH netscript 1' && echo man-ok\n\
         netscript docs --definitions > api.d.rhai; grep -c 'fn addr_add(l: Link, cidr: string) -> ();' api.d.rhai",
    );
    assert_eq!(
        run.stdout, "bash-ok\nzsh-ok\nfish-ok\nman-ok\n1\n",
        "{}",
        run.stderr
    );
}

#[test]
fn sandbox_flag_works_before_subcommands() {
    let sb = Sandbox::new();
    sb.file("args.rhai", "print(ARGS);\n");
    let run =
        sb.sh("netscript --sandbox ls; netscript args.rhai ls; netscript --sandbox args.rhai ls");
    assert_eq!(
        run.stdout, "no labs are up\n[\"ls\"]\n[\"ls\"]\n",
        "{}",
        run.stderr
    );
}

#[test]
fn doctor_checks_for_real_and_says_what_to_fix() {
    let sb = Sandbox::new();
    let run = sb.sh("netscript --sandbox doctor; echo status=$?");
    assert!(
        run.stdout
            .contains("ok   veth pairs — created and removed in a throwaway sandbox"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ok   CAP_NET_ADMIN"), "{}", run.stdout);
    // Each optional feature is there or said to be missing, with what
    // brings it; a missing one does not fail the check.
    for feature in crate::common::DOCTOR_OPTIONAL {
        let had = run
            .stdout
            .contains(&format!("ok   {feature} — this kernel has it\n"));
        let lacked = run
            .stdout
            .contains(&format!("no   {feature} — this kernel"))
            && run.stdout.contains("     needs CONFIG_");
        assert!(had ^ lacked, "{feature}:\n{}", run.stdout);
    }
    assert!(
        run.stdout.ends_with(
            "this machine can run labs: on its network (as root) and in sandboxes\nstatus=0\n"
        ),
        "{}",
        run.stdout
    );
}

/// A plain user is told what works for them (a sandbox), not to become
/// root; doctor makes nothing on the machine while it probes (the
/// kernel's own event stream, watched all along, stays empty); --json.
#[test]
fn doctor_tells_a_plain_user_the_truth_and_makes_nothing() {
    let sb = Sandbox::new();
    let run = sb.sh("ip monitor all > monitor.txt 2>&1 & m=$!; sleep 0.3\n\
         setpriv --reuid=65534 --regid=65534 --clear-groups netscript doctor; echo status=$?\n\
         netscript doctor > /dev/null; echo status=$?\n\
         setpriv --reuid=65534 --regid=65534 --clear-groups netscript doctor --json > doctor.json\n\
         sleep 0.3; kill $m; ls -A /run/netns | wc -l");
    let out = &run.stdout;
    assert!(
        out.contains(
            "no   CAP_NET_ADMIN (links, addresses, routes) — this process does not have it\n"
        ),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");
    assert!(
        out.contains(
            "this machine can run labs in a sandbox: netscript --sandbox lab.rhai \
             (on its own network they need root: sudo netscript lab.rhai)\nstatus=0\n"
        ),
        "{out}"
    );
    // the advice for the three capabilities, once
    assert_eq!(
        out.matches("in a sandbox they need none of it").count(),
        1,
        "{out}"
    );
    assert!(out.ends_with("status=0\n0\n"), "{out}");
    assert_eq!(sb.read("monitor.txt"), "", "doctor changed the machine");
    // Where neither works (no capabilities, no user namespaces: a user
    // namespace of the test's own, its limit set to 0), it says so and
    // exits 1.
    let run = sb.sh(
        "unshare --user --map-root-user -- sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && \
         setpriv --bounding-set=-all --inh-caps=-all netscript doctor; echo status=$?'",
    );
    assert!(
        run.stdout.contains("FAIL sandboxes")
            && run.stdout.contains("FAIL CAP_NET_ADMIN")
            && run.stdout.contains("     fix: allow user namespaces")
            && run
                .stdout
                .ends_with("this machine cannot run labs: see what failed above\nstatus=1\n"),
        "{}",
        run.stdout
    );
    let doc = crate::common::json(&sb.read("doctor.json"));
    assert_eq!(doc["can_run_labs"], true);
    assert_eq!(doc["on_this_machine"], false);
    assert_eq!(doc["in_a_sandbox"], true);
    for check in doc["checks"].as_array().unwrap() {
        assert!(["ok", "no", "fail"].contains(&check["status"].as_str().unwrap()));
        assert!(check["what"].is_string() && check["detail"].is_string());
        assert!(check["fix"].is_string());
    }
}
