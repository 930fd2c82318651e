//! Runs at the same time: a second run of a lab that waits its turn
//! (`--wait`), namespaces ensured by several runs at once, and what a run
//! does before it takes its lab (compiling).

use crate::common::Sandbox;
use crate::faults::until_ready;

#[test]
fn with_wait_a_second_run_of_a_lab_waits_for_the_first_to_end() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "netns::add(\"r1\");\nprint(`ready ${ARGS[0]}`);\nsleep(parse_float(ARGS[1]));\n",
    );
    let run = sb.sh(&format!(
        "netscript --rm lab.rhai first 1.5 > first.txt 2>&1 & first=$!\n\
         {}\n\
         netscript --rm --wait lab.rhai second 0.01 > second.txt 2> second.err; echo second=$?\n\
         wait $first; echo first=$?\n\
         cat first.txt second.txt\n\
         netscript --rm lab.rhai third 30 > third.txt 2>&1 & third=$!\n\
         {}\n\
         netscript --rm --wait lab.rhai fourth 0.01 > /dev/null 2> fourth.err & fourth=$!\n\
         sleep 0.3; kill -INT $fourth; wait $fourth; echo fourth=$?\n\
         kill $third; wait $third; echo third=$?\n\
         echo left $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l)",
        until_ready("first.txt"),
        until_ready("third.txt"),
    ));
    let waited = sb.read("second.err");
    assert_eq!(
        run.stdout,
        "second=0\nfirst=0\nready first\nready second\nfourth=130\nthird=130\nleft 0 0\n",
        "{waited}\n{}",
        run.stderr
    );
    assert!(waited.contains("waiting for run "), "{waited}");
    assert!(waited.contains("of lab \"lab\" to end"), "{waited}");
    assert!(sb.read("fourth.err").contains("waiting for run"));
}

/// Four runs (four labs) ensure the same 40 namespaces at once: each run
/// makes the ones it gets first and uses the others', none fails; then
/// each namespace is in exactly one lab, and `down` of all four removes
/// them all.
#[test]
fn ensure_is_race_free_between_runs() {
    let sb = Sandbox::new();
    sb.file(
        "ensure.rhai",
        "for i in 0..40 { netns::ensure(`s${i}`).links(); }\nprint(\"ok\");\n",
    );
    let run = sb.sh("for round in 1 2 3; do \
             for l in a b c d; do netscript --lab $l ensure.rhai > $l.out 2> $l.err & done; wait; \
             cat a.out b.out c.out d.out | tr '\\n' ' '; cat *.err; \
             echo $(ls /run/netns | wc -l) $(netscript ls -v | grep -c '^  - namespace'); \
             netscript down a b c d > /dev/null 2>&1; echo left $(ls -A /run/netns | wc -l); \
         done");
    assert_eq!(
        run.stdout,
        "ok ok ok ok 40 40\nleft 0\n".repeat(3),
        "{}",
        run.stderr
    );
}

/// A script is compiled before its lab is taken: one that does not compile
/// leaves no lock, and a signal during a long compile ends netscript at
/// once (SIGTERM here: a background job of a shell script starts with
/// SIGINT ignored; Ctrl-C on a terminal is handled the same way).
#[test]
fn compiling_comes_before_the_lab_and_stops_at_ctrl_c() {
    let sb = Sandbox::new();
    sb.file("bad.rhai", "netns::add(\"r1\";\n");
    // Long to compile (seconds in a debug build), and never run.
    let long: String = (0..6000)
        .map(|i| format!("let x{i} = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];\n"))
        .collect();
    sb.file("long.rhai", &format!("netns::add(\"r1\");\n{long}"));
    let run = sb.sh(
        "netscript bad.rhai 2> /dev/null; echo bad=$? $(ls -A /run/netscript 2>/dev/null | wc -l)\n\
         netscript long.rhai & pid=$!; sleep 0.3; start=$(date +%s%N); kill -TERM $pid; wait $pid; \
         echo long=$? $(( ($(date +%s%N) - start) / 100000000 )) $(ls -A /run/netns | wc -l) $(ls -A /run/netscript 2>/dev/null | wc -l)",
    );
    assert_eq!(run.stdout, "bad=2 0\nlong=143 0 0 0\n", "{}", run.stderr);
}

/// Five runs of one lab at once: one builds it, the others fail at once
/// naming the run that holds it (none orphans anything); `--replace` of
/// the lab while it is being built is refused the same way, and `down`
/// then removes exactly the winner's lab.
#[test]
fn runs_of_one_lab_at_once_one_builds_the_others_fail_cleanly() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "let me = ARGS[0];\nnetns::add(`n${me}`);\nbridge::add(`b${me}`);\nprint(`ready ${me}`);\nsleep(1.5);\n",
    );
    let run = sb.sh(&format!(
        "for i in 1 2 3 4 5; do netscript lab.rhai $i > out$i.txt 2> err$i.txt & done\n\
         {}\n\
         netscript --replace lab.rhai 9 > /dev/null 2> replace.err; echo replace=$?\n\
         wait\n\
         echo built $(cat out*.txt | grep -c ready) busy $(cat err*.txt | grep -c 'run (pid [0-9]*) is building it')\n\
         echo netns $(ls /run/netns | wc -l) bridges $(ip -o link show type bridge | wc -l)\n\
         netscript down lab > /dev/null; echo down=$? left $(ls -A /run/netns | wc -l) $(ip -o link show | wc -l)",
        "for i in $(seq 200); do cat out*.txt | grep -q ready && break; sleep 0.05; done"
    ));
    assert_eq!(
        run.stdout, "replace=1\nbuilt 1 busy 4\nnetns 1 bridges 1\ndown=0 left 0 1\n",
        "{}",
        run.stderr
    );
    assert!(
        sb.read("replace.err").contains("is building it"),
        "{}",
        sb.read("replace.err")
    );
}
