//! Nothing left behind when a run meets a fault: other signals than
//! Ctrl-C, a closed stdout, a second run of the same lab, `down` during a
//! build, an unusable or full /run/netscript.

use crate::common::Sandbox;

/// Namespaces, links and ledgers, to compare before and after.
const STATE: &str =
    "{ ls /run/netns; ip -o link show | cut -d: -f2; ls /run/netscript 2>/dev/null; }";

/// A lab that builds, says "ready", then waits.
const WAITS: &str = r#"
let r1 = netns::add("r1");
let v = link::add_veth("eth0", "p1", #{ netns: r1 });
bridge::add("br0");
print("ready");
netns::host().exec("sleep 30");
print("not reached");
"#;

/// Wait (at most 10 s) for "ready" in FILE.
pub(crate) fn until_ready(file: &str) -> String {
    format!("for i in $(seq 200); do grep -q ready {file} && break; sleep 0.05; done")
}

#[test]
fn hangup_quit_and_user_signals_roll_back() {
    // The lab and the checks of lifecycle's SIGINT and SIGTERM test.
    for signal in ["HUP", "QUIT", "USR1", "USR2", "ALRM"] {
        let (sb, run) = crate::lifecycle::interrupted(signal);
        let err = sb.read("err.txt");
        assert_eq!(run.stdout, "status=130\n", "{signal}: {err}");
        assert_eq!(sb.read("before.txt"), sb.read("after.txt"), "{signal}");
        assert!(
            err.contains("rolled back lab \"waits\": 3 removed"),
            "{signal}: {err}"
        );
    }
}

/// Ctrl-C during a wait (sleep, wait_until, a program) is an interrupt:
/// no `catch` takes it (the script went on after catching a "timeout"),
/// and the report says interrupted.
#[test]
fn an_interrupted_wait_is_not_caught_and_not_a_timeout() {
    let sb = Sandbox::new();
    sb.file(
        "waits.rhai",
        "netns::add(\"r1\");\nprint(\"ready\");\n\
         try { sleep(if ARGS[0] == \"sleep\" { 30 } else { 0.001 }); netns::host().exec(\"sleep 30\"); } catch (e) { print(`caught ${e.kind}`); }\n\
         print(\"after\");\n",
    );
    for how in ["sleep", "exec"] {
        let run = sb.sh(&format!(
            "netscript waits.rhai {how} > out.txt 2> err.txt & p=$!\n\
             {}\n\
             kill -INT $p; wait $p; echo status=$? $(ls /run/netns | wc -l)\n\
             cat out.txt",
            until_ready("out.txt")
        ));
        let err = sb.read("err.txt");
        assert_eq!(run.stdout, "status=130 0\nready\n", "{how}: {err}");
        assert!(err.contains("netscript::interrupted"), "{how}: {err}");
        assert!(!err.contains("timeout"), "{how}: {err}");
    }
}

#[test]
fn a_closed_stdout_stops_the_script_and_rolls_back() {
    let sb = Sandbox::new();
    sb.file(
        "talks.rhai",
        r#"
        let r1 = netns::add("r1");
        link::add_veth("eth0", "p1", #{ netns: r1 });
        for i in 0..200 { print(`line ${i}`); sleep(0.02); }
        "#,
    );
    let run = sb.sh(&format!(
        "{STATE} > before.txt\n\
         netscript talks.rhai 2> err.txt | head -1; echo \"status=${{PIPESTATUS[0]}}\"\n\
         {STATE} > after.txt"
    ));
    let err = sb.read("err.txt");
    assert_eq!(run.stdout, "line 0\nstatus=141\n", "{err}");
    assert_eq!(sb.read("before.txt"), sb.read("after.txt"));
    assert!(
        err.contains("rolled back lab \"talks\": 2 removed"),
        "{err}"
    );
    assert!(!err.contains("interrupted"), "no error report: {err}");
}

/// A terminal that hung up (its ssh session gone) fails every write with
/// EIO: the error report and the rollback's lines cannot be written, and
/// the rollback still runs to the end. /dev/full fails writes the same
/// way (ENOSPC), with or without --trace.
#[test]
fn an_unwritable_stderr_does_not_stop_the_rollback() {
    let sb = Sandbox::new();
    sb.file(
        "fails.rhai",
        "let r1 = netns::add(\"r1\");\nlink::add_veth(\"eth0\", \"p1\", #{ netns: r1 });\nthrow \"no\";\n",
    );
    let run = sb.sh(&format!(
        "{STATE} > before.txt\n\
         netscript fails.rhai 2> /dev/full; echo status=$?\n\
         netscript --trace fails.rhai 2> /dev/full; echo status=$?\n\
         {STATE} > after.txt"
    ));
    assert_eq!(run.stdout, "status=1\nstatus=1\n", "{}", run.stderr);
    assert_eq!(sb.read("before.txt"), sb.read("after.txt"));
}

#[test]
fn a_second_run_of_a_lab_fails_at_once_and_leaves_the_first_alone() {
    let sb = Sandbox::new();
    sb.file("waits.rhai", &WAITS.replace("sleep 30", "sleep 1"));
    sb.file("other.rhai", "netns::add(\"r2\");\n");
    let run = sb.sh(&format!(
        "netscript waits.rhai > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         netscript --lab waits other.rhai 2> second.err; echo second=$?\n\
         echo first_pid=$pid\n\
         wait $pid; echo first=$?\n\
         ls /run/netns | sort | tr '\\n' ' '; echo\n\
         netscript down waits > /dev/null; echo down=$?; echo left $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l)",
        until_ready("out.txt")
    ));
    let second = sb.read("second.err");
    let pid = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("first_pid="))
        .expect("the first run's pid");
    assert!(run.stdout.contains("second=1\n"), "{}", run.stdout);
    assert!(
        second.contains(&format!("another netscript run (pid {pid}) is building it")),
        "{second}"
    );
    assert!(
        run.stdout.contains("first=0\n"),
        "{}\n{}",
        run.stdout,
        sb.read("err.txt")
    );
    // The first run's lab is whole, and the second made nothing.
    assert!(run.stdout.contains("\nr1 \n"), "{}", run.stdout);
    assert!(run.stdout.contains("down=0\n"), "{}", run.stdout);
    assert!(run.stdout.ends_with("left 0 0\n"), "{:?}", run.stdout);
}

#[test]
fn down_during_a_build_stops_the_builder_first() {
    let sb = Sandbox::new();
    sb.file("waits.rhai", WAITS);
    let run = sb.sh(&format!(
        "{STATE} > before.txt\n\
         netscript waits.rhai > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         netscript down waits > down.out 2> down.err; echo down=$?\n\
         wait $pid; echo builder=$?\n\
         {STATE} > after.txt",
        until_ready("out.txt")
    ));
    let down = sb.read("down.err");
    assert_eq!(
        run.stdout,
        "down=0\nbuilder=130\n",
        "{down}\n{}",
        sb.read("err.txt")
    );
    assert!(down.contains("is being built by pid"), "{down}");
    assert!(
        sb.read("down.out").contains("its run rolled it back"),
        "{}",
        sb.read("down.out")
    );
    assert_eq!(sb.read("before.txt"), sb.read("after.txt"));
}

/// The ledger's file system fills in the middle of a run that makes
/// bridges in the host (written ahead): whichever line does not fit (an
/// intent, or the record confirming a bridge the kernel made), the call
/// fails and the rollback leaves nothing. Names of every length move the
/// line that does not fit.
#[test]
fn a_ledger_that_fills_mid_run_fails_the_call_and_leaves_nothing() {
    let sb = Sandbox::new();
    sb.file(
        "many.rhai",
        "let pad = \"\";\nfor k in 0..parse_int(ARGS[0]) { pad += \"x\"; }\n\
         for i in 0..100 { bridge::add(`b${i}${pad}`.sub_string(0, 15)); }\n",
    );
    let run = sb.sh(
        "mkdir -p /run/netscript && mount -t tmpfs -o size=8k tmpfs /run/netscript\n\
         for pad in $(seq 0 12); do\n\
           netscript many.rhai $pad 2> err.$pad; echo -n \"$? \"\n\
           ip -o link show type bridge | wc -l; rm -f /run/netscript/*\n\
         done | sort | uniq -c | awk '{print $2, $3}'\n\
         grep -l 'no space' err.* | wc -l",
    );
    assert_eq!(run.stdout, "1 0\n13\n", "{}", run.stderr);
    // A script that catches the failed calls and goes on keeps its lab: a
    // line the disk filled in the middle of was cut off again, so the
    // ledger reads whole (a cut line would be damage: down exits 1) and
    // down removes every bridge.
    sb.file(
        "goes_on.rhai",
        "let pad = \"\";\nfor k in 0..parse_int(ARGS[0]) { pad += \"x\"; }\n\
         for i in 0..100 { try { bridge::add(`b${i}${pad}`.sub_string(0, 15)); } catch { } }\n",
    );
    let run = sb.sh(
        "mkdir -p /run/netscript && mount -t tmpfs -o size=8k tmpfs /run/netscript\n\
         for pad in $(seq 0 12); do\n\
           netscript goes_on.rhai $pad 2> /dev/null || echo failed\n\
           made=$(ip -o link show type bridge | wc -l)\n\
           netscript down goes_on > /dev/null 2>> down.err; echo \"$? $([ $made -gt 1 ] && echo made) $(ip -o link show type bridge | wc -l)\"\n\
         done | sort | uniq -c | awk '{print $1, $2, $3, $4}'",
    );
    assert_eq!(run.stdout, "13 0 made 0\n", "{}", sb.read("down.err"));
}

#[test]
fn a_lab_that_cannot_be_recorded_is_not_built() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\nprint(\"built\");\n");
    let run = sb.sh(
        "mkdir -p /run/netscript && mount -t tmpfs -o ro tmpfs /run/netscript\n\
         netscript lab.rhai; echo status=$?; ls -A /run/netns | wc -l",
    );
    assert_eq!(run.stdout, "status=1\n0\n", "{}", run.stderr);
    assert!(run.stderr.contains("/run/netscript"), "{}", run.stderr);
    assert!(run.stderr.contains("read-only"), "{}", run.stderr);
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
}

#[test]
fn a_full_ledger_fails_the_call_and_rolls_back() {
    let sb = Sandbox::new();
    sb.file(
        "many.rhai",
        "for i in 0..100 { netns::add(`n${i}`); }\nprint(\"built\");\n",
    );
    let run = sb.sh(
        "mkdir -p /run/netscript && mount -t tmpfs -o size=8k tmpfs /run/netscript\n\
         netscript many.rhai; echo status=$?; ls -A /run/netns | wc -l; ls -A /run/netscript",
    );
    assert_eq!(run.stdout, "status=1\n0\n", "{}", run.stderr);
    assert!(run.stderr.contains("ENOSPC"), "{}", run.stderr);
    assert!(
        run.stderr.contains("rolled back lab \"many\""),
        "{}",
        run.stderr
    );
}

/// Killed (SIGKILL: no rollback) at random points of a loop that makes
/// namespaces: `down` then leaves no namespace and no ledger, since each
/// namespace is recorded before it gets its name.
#[test]
fn sigkill_while_making_namespaces_leaves_nothing_that_down_misses() {
    let sb = Sandbox::new();
    sb.file("many.rhai", "for i in 0..5000 { netns::add(`n${i}`); }\n");
    let run = sb.sh("for round in $(seq 12); do \
             netscript many.rhai 2>/dev/null & pid=$!; \
             sleep 0.$((RANDOM % 40 + 5)); kill -9 $pid; wait $pid 2>/dev/null; \
             made=$(ls -A /run/netns | wc -l); \
             netscript down many > /dev/null 2>> down.err; \
             echo \"$made $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | grep -c json)\"; \
         done");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 12, "{}\n{}", run.stdout, run.stderr);
    for line in &lines {
        assert!(
            line.ends_with(" 0 0"),
            "left behind after down: {line}\n{}",
            run.stdout
        );
    }
    // The kills landed while namespaces were being made.
    assert!(
        lines.iter().any(|l| !l.starts_with("0 ")),
        "no round made a namespace: {}",
        run.stdout
    );
}

/// A lab of more namespaces than the soft limit on open files allows:
/// netscript takes the hard limit, as each namespace keeps a file open.
#[test]
fn the_soft_limit_on_open_files_is_raised() {
    let sb = Sandbox::new();
    sb.file(
        "wide.rhai",
        "for i in 0..150 { netns::add(`n${i}`); }\nprint(netns::list().len());\n",
    );
    let run = sb.sh("ulimit -S -n 100; netscript --rm wide.rhai; echo status=$?");
    assert_eq!(run.stdout, "150\nstatus=0\n", "{}", run.stderr);
}

/// Past the hard limit, the error says which limit it is and how to raise
/// it, and the lab is rolled back.
#[test]
fn running_out_of_open_files_names_the_limit() {
    let sb = Sandbox::new();
    sb.file("wide.rhai", "for i in 0..200 { netns::add(`n${i}`); }\n");
    let run = sb.sh("ulimit -n 80; netscript wide.rhai; echo status=$?; ls -A /run/netns | wc -l");
    assert_eq!(run.stdout, "status=1\n0\n", "{}", run.stderr);
    assert!(
        run.stderr.contains("too many open files (EMFILE)")
            && run.stderr.contains("limit of open files")
            && run.stderr.contains("80)")
            && run.stderr.contains("ulimit -n"),
        "{}",
        run.stderr
    );
}

/// A lab name is a plain file name: no newline (it would break `ls`).
#[test]
fn a_lab_name_with_a_newline_is_refused() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\n");
    let run = sb.sh(
        "netscript --lab \"$(printf 'a\\nb')\" lab.rhai; echo status=$?; ls -A /run/netns | wc -l",
    );
    assert_eq!(run.stdout, "status=2\n0\n", "{}", run.stderr);
    assert!(
        run.stderr.contains("a lab name is a plain file name"),
        "{}",
        run.stderr
    );
}

/// A program `exec` waits for ends with netscript, even when netscript is
/// killed with SIGKILL: nothing keeps the lab's namespace alive, and `down`
/// removes all of it.
#[test]
fn a_program_exec_waits_for_dies_with_a_killed_netscript() {
    let sb = Sandbox::new();
    sb.file(
        "holds.rhai",
        r#"
        let r1 = netns::add("r1");
        link::add_veth("eth0", "p1", #{ netns: r1 });
        print("ready");
        r1.exec("sleep 30");
        "#,
    );
    let run = sb.sh(&format!(
        "netscript holds.rhai > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         sleep 0.2; kill -9 $pid; wait $pid 2>/dev/null\n\
         for i in $(seq 50); do [ -z \"$(ip netns pids r1 2>/dev/null)\" ] && break; sleep 0.05; done\n\
         echo pids=$(ip netns pids r1 2>/dev/null | wc -l)\n\
         netscript down holds > /dev/null; echo down=$?\n\
         echo left $(ls -A /run/netns | wc -l) $(ip -o link show | wc -l)",
        until_ready("out.txt")
    ));
    assert_eq!(run.stdout, "pids=0\ndown=0\nleft 0 1\n", "{}", run.stderr);
}

/// A program waited for in the host (a namespace the lab did not make)
/// that ignores the parent-death signal outlives a kill -9 of netscript;
/// it is in the ledger while it runs (from its first 50 ms: most programs
/// end before, and cost no ledger lines), so `down` stops it (no stray
/// sweep looks outside the lab's namespaces). One that ended is off the
/// ledger.
#[test]
fn a_program_in_the_host_that_ignores_sigterm_goes_at_down() {
    let sb = Sandbox::new();
    sb.file(
        "holds.rhai",
        r#"
        netns::add("r1");
        netns::host().exec("true");
        print("ready");
        netns::host().exec(["sh", "-c", "trap '' TERM; echo $$ > stubborn.pid; while :; do sleep 0.05; done"]);
        "#,
    );
    let run = sb.sh_own_pids(&format!(
        "netscript holds.rhai > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         for i in $(seq 100); do [ -s stubborn.pid ] && break; sleep 0.02; done\n\
         sleep 0.2; grep -c '\"type\":\"process\"' /run/netscript/holds.json\n\
         kill -9 $pid; wait $pid 2>/dev/null; sleep 0.2\n\
         kill -0 $(cat stubborn.pid) && echo outlived\n\
         netscript down holds > down.txt; echo down=$?\n\
         kill -0 $(cat stubborn.pid) 2>/dev/null || echo gone\n\
         grep -c '(in host)' down.txt",
        until_ready("out.txt")
    ));
    // One line: `exec("true")` ended within 50 ms and wrote none.
    assert_eq!(
        run.stdout, "1\noutlived\ndown=0\ngone\n1\n",
        "{}",
        run.stderr
    );
}

/// What a program the lab spawned in the host started in the background
/// (a daemon its shell left) is in that program's process group: after a
/// kill -9 of netscript the shell dies of the parent-death signal, its
/// children live on, and `down` stops them by their group and session.
/// A process that reuses a recorded PID is never taken for the lab's.
#[test]
fn what_a_host_program_left_in_its_group_goes_at_down() {
    let sb = Sandbox::new();
    sb.file(
        "holds.rhai",
        r#"
        netns::add("r1");
        print("ready");
        netns::host().spawn(["sh", "-c", "sleep 6041 & sleep 6042"]);
        sleep(30);
        "#,
    );
    let run = sb.sh_own_pids(&format!(
        "netscript holds.rhai > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         sleep 0.3; kill -9 $pid; wait $pid 2>/dev/null; sleep 0.2\n\
         pgrep -xfc 'sleep 604[12]'\n\
         netscript down holds > down.txt; echo down=$?\n\
         pgrep -xfc 'sleep 604[12]'",
        until_ready("out.txt")
    ));
    assert_eq!(run.stdout, "2\ndown=0\n0\n", "{}", run.stderr);
    assert_eq!(sb.read("down.txt").matches("(of the group of").count(), 2);
}

/// A recorded program that ended long ago, whose PID a new process that
/// leads a group of its own now has: `down` leaves that process and its
/// group alone (they started later, and passed every other check).
#[test]
fn a_reused_pid_is_never_the_labs_group() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "netns::add(\"r1\");\nnetns::host().spawn([\"sleep\", \"0.3\"], #{ detach: true });\n",
    );
    let run = sb.sh_own_pids(
        "netscript lab.rhai || exit 9\n\
         P=$(grep -o '\"pid\":[0-9]*' /run/netscript/lab.json | head -1 | cut -d: -f2)\n\
         sleep 1\n\
         echo $((P - 1)) > /proc/sys/kernel/ns_last_pid\n\
         setsid sleep 6051 & sleep 0.2\n\
         [ \"$(pgrep -xf 'sleep 6051')\" = \"$P\" ] && echo reused\n\
         netscript down lab > down.txt; echo down=$?\n\
         pgrep -xfc 'sleep 6051'",
    );
    assert_eq!(run.stdout, "reused\ndown=0\n1\n", "{}", run.stderr);
    assert!(!sb.read("down.txt").contains("6051"));
}

/// An address a host link had before the run is never written ahead as
/// the lab's (a kill -9 between that intent and its cancel, after the
/// kernel's EEXIST, would have made `down` remove the host's address): it
/// is refused before anything is written.
#[test]
fn an_address_the_host_link_had_is_never_the_labs() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        netns::add("r1");
        try { link::get("keep0").addr_add("10.9.0.1/24"); } catch (e) { print(e.kind); }
        print("ready");
        sleep(30);
        "#,
    );
    let run = sb.sh(&format!(
        "ip link add keep0 type veth peer name keep1; ip addr add 10.9.0.1/24 dev keep0\n\
         netscript lab.rhai > out.txt 2> err.txt & pid=$!\n\
         {}\n\
         grep -c 10.9.0.1 /run/netscript/lab.json\n\
         kill -9 $pid; wait $pid 2> /dev/null\n\
         netscript down lab > /dev/null; echo down=$?\n\
         ip -o addr show dev keep0 | grep -c 10.9.0.1/24\n\
         cat out.txt",
        until_ready("out.txt")
    ));
    assert_eq!(
        run.stdout, "0\ndown=0\n1\nexists\nready\n",
        "{}",
        run.stderr
    );
}

/// A damaged ledger is never taken silently: `down` removes what the
/// ledger identifies, leaves alone what a damaged or forged line names,
/// says which lines, keeps the ledger as LAB.json.damaged, and fails.
#[test]
fn down_of_a_damaged_ledger_reports_it_and_removes_only_what_it_identifies() {
    let forged = r#"{"op":"add","obj":{"type":"link","ns":"host","ns_id":null,"index":IDX,"name":"keep0","kind":"veth"}}"#;
    let cases = [
        (
            "garbage",
            "echo 'not json at all' >> /run/netscript/lab.json",
            "line 5: not a ledger record",
        ),
        (
            "cut",
            "printf '{\"op\":\"add\",\"obj\":{\"type\":\"ne' >> /run/netscript/lab.json",
            "line 5: cut short",
        ),
        (
            "forged",
            &*format!(
                "idx=$(cat /sys/class/net/keep0/ifindex); echo '{}' | sed \"s/IDX/$idx/\" >> /run/netscript/lab.json",
                forged
            ),
            "line 5: veth keep0 (in host) has no namespace identity",
        ),
    ];
    for (what, damage, said) in cases {
        let sb = Sandbox::new();
        sb.file(
            "lab.rhai",
            "let r1 = netns::add(\"r1\");\nlink::add_veth(\"eth0\", \"p1\", #{ netns: r1 });\n",
        );
        let run = sb.sh(&format!(
            "ip link add keep0 type veth peer name keep1\n\
             netscript lab.rhai; echo built=$?\n\
             {damage}\n\
             netscript down lab > down.out 2> down.err; echo down=$?\n\
             echo left $(ls -A /run/netns | wc -l) $(ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d '\\n')\n\
             ls /run/netscript"
        ));
        let err = sb.read("down.err");
        assert!(
            run.stdout
                .starts_with("built=0\ndown=1\nleft 0 lo keep1 keep0\nlab.json.damaged\n"),
            "{what}: {}\n{err}",
            run.stdout
        );
        assert!(err.contains(said), "{what}: {err}");
        assert!(err.contains("is damaged"), "{what}: {err}");
        assert!(sb.read("down.out").contains("namespace r1"), "{what}");
    }
}

/// What a run was making when it ended (an intent its ledger wrote ahead
/// of the kernel call, never confirmed) is settled with the kernel: a link
/// there under that name and kind goes, one that is not is forgotten, and
/// a cancelled intent leaves a link of the same name alone.
#[test]
fn an_unconfirmed_intent_is_settled_with_the_kernel() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "bridge::add(\"br0\");\n");
    // Lines written as a killed run leaves them: the record of br0 turned
    // into intents for other names (index 0: not known before the call).
    let run = sb.sh("netscript lab.rhai; echo built=$?\n\
         ip link add made type bridge; ip link add theirs type bridge\n\
         rec=$(grep '\"add\".*\"br0\"' /run/netscript/lab.json)\n\
         intent() { echo \"$rec\" | sed -e \"s/\\\"op\\\":\\\"add\\\"/\\\"op\\\":\\\"$1\\\"/\" \
             -e \"s/\\\"br0\\\"/\\\"$2\\\"/\" -e 's/\"index\":[0-9]*/\"index\":0/'; }\n\
         { intent intent theirs; intent cancel theirs; intent intent never; intent intent made; } \
             >> /run/netscript/lab.json\n\
         netscript ls | grep -c 'being made when its run ended'\n\
         netscript down lab; echo down=$?\n\
         echo left $(ip -o link show | cut -d: -f2 | tr -d '\\n'); ls /run/netscript");
    assert_eq!(
        run.stdout,
        "built=0\n2\nlab \"lab\": removed 2 objects\n  - bridge made (in host)\n  - bridge br0 (in host)\n\
         down=0\nleft lo theirs\n",
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
}

/// A lab of a few hundred objects (namespaces, host bridges, veths between
/// host links, addresses on host links, programs) killed with SIGKILL at
/// random points, each followed by `down`: nothing the run made is left.
#[test]
fn sigkill_at_random_points_of_a_big_build_leaves_nothing_after_down() {
    let sb = Sandbox::new();
    sb.file("big.rhai", &BIG.replace("6017", "6018"));
    let run = sb.sh_own_pids(&format!(
        "for round in $(seq 30); do \
             netscript big.rhai > /dev/null 2>&1 & pid=$!; \
             sleep $(printf '0.%03d' $((RANDOM % 400 + 10))); kill -9 $pid; wait $pid 2>/dev/null; \
             made=$(ip -o link show | wc -l); \
             netscript down big > /dev/null 2>> down.err; \
             echo \"$made $(ip -o link show | wc -l) $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l) $({})\"; \
         done",
        sleepers(6018)
    ));
    assert_all_gone(&run, 30, &sb.read("down.err"));
}

/// A link of the lab's moved out of its namespaces to the host is written
/// ahead there (an intent, then the record of where it went): killed at
/// random points of a loop of such moves, then `down`, nothing is left.
#[test]
fn a_lab_link_moved_to_the_host_is_written_ahead() {
    let sb = Sandbox::new();
    sb.file(
        "mv.rhai",
        r#"
let r1 = netns::add("r1");
for i in 0..parse_int(ARGS[0]) {
    let vx = link::add_vxlan(`vx${i}`, #{ id: 100 + i, netns: r1 });
    vx.set_netns(netns::host());
}
"#,
    );
    let run = sb.sh(
        "netscript mv.rhai 1 || exit 9\n\
         grep -c '\"op\":\"intent\",\"obj\":{\"type\":\"link\",\"ns\":\"host\".*\"name\":\"vx0\"' /run/netscript/mv.json\n\
         netscript down mv > /dev/null\n\
         for round in $(seq 12); do \
             netscript mv.rhai 150 > /dev/null 2>&1 & pid=$!; \
             sleep $(printf '0.%03d' $((RANDOM % 300 + 10))); kill -9 $pid; wait $pid 2>/dev/null; \
             netscript down mv > /dev/null 2>> down.err; \
             echo \"$(ip -o link show | wc -l) $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l)\"; \
         done | sort | uniq -c | awk '{print $1, $2, $3, $4}'",
    );
    assert_eq!(run.stdout, "1\n12 1 0 0\n", "{}", sb.read("down.err"));
}

/// A move to a namespace where the name is taken fails with EEXIST, and
/// writes no intent: one left by a kill before its cancel would make down
/// delete the other link of that name (the host's own eth9 here).
#[test]
fn a_move_onto_a_taken_name_writes_no_intent() {
    let sb = Sandbox::new();
    sb.file(
        "mv.rhai",
        r#"
let r1 = netns::add("r1");
let l = link::add_veth("eth9", "x9", #{ netns: r1 });
try { l.set_netns(netns::host()); } catch (e) { print(e.kind); }
"#,
    );
    let run = sb.sh(
        "ip link add eth9 type veth peer name eth9p\n\
         netscript mv.rhai || exit 9\n\
         grep -c '\"op\":\"intent\",\"obj\":{\"type\":\"link\",\"ns\":\"host\".*\"name\":\"eth9\"' /run/netscript/mv.json\n\
         sed -i '/\"op\":\"cancel\"/d' /run/netscript/mv.json\n\
         netscript down mv > /dev/null; ip -o link show eth9 | wc -l",
    );
    assert_eq!(run.stdout, "exists\n0\n1\n", "{}", run.stderr);
}

/// A run that changes links it did not make (forwarding entries on a host
/// bridge port and a host VXLAN link, proxy entries, alias and queue
/// length), killed with SIGKILL at random points and followed by `down`:
/// the host's links are as they were, every time.
#[test]
fn sigkill_while_changing_host_links_leaves_them_as_they_were_after_down() {
    let sb = Sandbox::new();
    sb.file(
        "host.rhai",
        r#"
        let port = link::get("hport");
        let vx = link::get("hvx");
        let host = netns::host();
        port.set_alias("lab");
        port.set_txqueuelen(77);
        for i in 0..150 {
            let h = i.to_hex();
            if h.len() < 2 { h = "0" + h; }
            port.fdb_add(`02:00:00:00:01:${h}`);
            vx.fdb_append("00:00:00:00:00:00", #{ dst: `192.0.2.${i + 1}` });
            host.proxy_add(`198.51.100.${i + 1}`, "hport");
        }
        "#,
    );
    let state = "echo $(bridge fdb show dev hport | grep -c 02:00:00:00:01)                  $(bridge fdb show dev hvx | wc -l) $(ip neigh show proxy | wc -l)                  $(cat /sys/class/net/hport/ifalias) $(cat /sys/class/net/hport/tx_queue_len)";
    let run = sb.sh(&format!(
        "ip link add hbr type bridge; ip link add hport type veth peer name hpeer\n\
         ip link set hport master hbr; ip link set hport alias orig\n\
         ip link add hvx type vxlan id 9 dstport 4789\n\
         bridge fdb append 00:00:00:00:00:00 dev hvx dst 192.0.2.250\n\
         {state} > before.txt\n\
         for round in $(seq 20); do \
             netscript host.rhai > /dev/null 2>&1 & pid=$!; \
             sleep $(printf '0.%03d' $((RANDOM % 300 + 5))); kill -9 $pid; wait $pid 2>/dev/null; \
             echo \"killed at $(bridge fdb show dev hport | grep -c 02:00:00:00:01)\" >> kills.txt; \
             netscript down host > /dev/null 2>> down.err; \
             {state}; \
         done"
    ));
    let before = sb.read("before.txt");
    assert_eq!(before, "0 1 0 orig 1000\n");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 20, "{}\n{}", run.stdout, run.stderr);
    for line in &lines {
        assert_eq!(
            format!("{line}\n"),
            before,
            "{}\ndown said:\n{}",
            run.stdout,
            sb.read("down.err")
        );
    }
    let kills = sb.read("kills.txt");
    let mid = kills
        .lines()
        .filter(|l| !l.ends_with(" 0") && !l.ends_with(" 150"))
        .count();
    assert!(mid >= 5, "few kills landed mid-run:\n{kills}");
}

/// The same build stopped at random points by SIGHUP (a closed terminal)
/// or by a closed stdout (`| head -c N`): the run rolls itself back.
#[test]
fn sighup_and_a_closed_stdout_at_random_points_roll_back() {
    let sb = Sandbox::new();
    // Built, it waits: each signal and each closed stdout lands mid-run.
    sb.file("big.rhai", &format!("{BIG}sleep(30);\n"));
    let sleepers = sleepers(6017);
    let run = sb.sh_own_pids(&format!(
        "for round in $(seq 30); do \
             netscript big.rhai > /dev/null 2>&1 & pid=$!; \
             sleep $(printf '0.%03d' $((RANDOM % 600 + 10))); kill -HUP $pid; wait $pid 2>/dev/null; \
             echo \"x $(ip -o link show | wc -l) $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l) $({sleepers})\"; \
         done; \
         for round in $(seq 30); do \
             netscript big.rhai 2>/dev/null | head -c $((RANDOM % 1500 + 1)) > /dev/null; \
             echo \"x $(ip -o link show | wc -l) $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l) $({sleepers})\"; \
         done"
    ));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 60, "{}\n{}", run.stdout, run.stderr);
    for line in lines {
        assert!(
            line.ends_with(" 1 0 0 0"),
            "left behind: {line}\n{}",
            run.stdout
        );
    }
}

/// ~570 objects: per bridge in the host, 40 namespaces with a veth to it
/// (one runs a program), 20 veths between host links, an address on a
/// host link. Prints a line per namespace (for `| head -c N`).
const BIG: &str = r#"
for b in 0..3 {
  let br = bridge::add(`br${b}`);
  br.up();
  for h in 0..40 {
    let ns = netns::add(`h${b}_${h}`);
    let v = link::add_veth("eth0", `v${b}_${h}`, #{ netns: ns });
    v.peer.set_master(br);
    v.peer.up();
    v.addr_add(`10.${b}.0.${h + 1}/16`);
    if h % 10 == 0 { ns.spawn("sleep 6017"); }
    print(`host ${b} ${h} up`);
  }
  for k in 0..20 { link::add_veth(`x${b}_${k}`, `y${b}_${k}`); }
  link::get(`v${b}_0`).addr_add(`172.16.${b}.1/24`);
}
"#;

/// How many programs `sleep N` are running: BIG's, when each test that
/// runs it at once makes N its own (`sleep 6017` in BIG). The campaigns
/// run in a PID namespace of their own, so that nothing else on the
/// machine that sleeps as long is counted.
fn sleepers(n: u32) -> String {
    format!("pgrep -xfc 'sleep {n}'")
}

/// Each line is "MADE LINKS NETNS LEDGERS SLEEPERS": after `down` only lo
/// is left; and the kills landed while the lab was being built.
fn assert_all_gone(run: &crate::common::Run, rounds: usize, down_err: &str) {
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), rounds, "{}\n{}", run.stdout, run.stderr);
    for line in &lines {
        assert!(
            line.ends_with(" 1 0 0 0"),
            "left behind after down: {line}\n{}\ndown said:\n{down_err}",
            run.stdout
        );
    }
    let mid_build = lines
        .iter()
        .filter(|l| l.split(' ').next().is_some_and(|m| m != "1" && m != "244"))
        .count();
    assert!(
        mid_build >= rounds / 3,
        "few kills landed mid-build: {}",
        run.stdout
    );
}
