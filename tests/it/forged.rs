//! Ledger records that name what netscript never makes, with every
//! identity a forger can read in /proc (a namespace's inode, a process's
//! start time): `down` acts on none of them, reports each, keeps the
//! ledger as LAB.json.damaged and fails. Each case runs in a PID namespace
//! of its own, so that even a regression signals only the test's
//! processes.

use crate::common::Sandbox;

/// Build a lab, start a process to watch, append `line` (after the shell
/// expanded it: $NS is the identity of the namespace netscript runs in,
/// as "[dev, ino]", $ONE the start time of pid 1) to its ledger, take it
/// down; then say what survived.
fn down_with(line: &str) -> (String, String) {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "netns::add(\"r1\");\nlab::file(\"conf\", \"x\");\n",
    );
    let run = sb.sh_own_pids(&format!(
        "NS=\"[$(stat -L -c '%d, %i' /proc/self/ns/net)]\"\n\
         ONE=$(cut -d')' -f2 /proc/1/stat | awk '{{print $20}}')\n\
         sleep 60 & watched=$!\n\
         echo kept > victim\n\
         mkdir -p /run/netscript/other.files && echo kept > /run/netscript/other.files/f\n\
         netscript lab.rhai; echo built=$?\n\
         echo \"{line}\" >> /run/netscript/lab.json\n\
         netscript down lab > down.out 2> down.err; echo down=$?\n\
         kill -0 $watched && echo watched alive\n\
         cat victim /run/netscript/other.files/f\n\
         ls /run/netns | wc -l; ls /run/netscript\n\
         kill $watched"
    ));
    (run.stdout, sb.read("down.err"))
}

fn assert_refused(line: &str, said: &str) {
    let (out, err) = down_with(line);
    assert_eq!(
        out, "built=0\ndown=1\nwatched alive\nkept\nkept\n0\nlab.json.damaged\nother.files\n",
        "{line}\n{err}"
    );
    assert!(err.contains(said), "{line}\n{err}");
}

#[test]
fn a_namespace_record_naming_the_one_netscript_runs_in_is_refused() {
    // As "host" (the name netscript gives it), and under a name of its
    // own that some tool bound to it: teardown would stop every program
    // in it as a stray of the lab's.
    assert_refused(
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"netns\",\"name\":\"host\",\"id\":$NS}}"#,
        "names a namespace netscript cannot make",
    );
}

#[test]
fn process_one_is_never_a_labs() {
    assert_refused(
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"process\",\"pid\":1,\"start\":$ONE,\"netns\":\"r1\"}}"#,
        "names process 1 or none",
    );
}

#[test]
fn a_file_record_outside_the_labs_places_is_refused() {
    for line in [
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"file\",\"path\":\"$PWD/victim\",\"dirs\":[]}}"#,
        r#"{\"op\":\"intent\",\"obj\":{\"type\":\"file\",\"path\":\"$PWD/victim\",\"dirs\":[]}}"#,
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"file\",\"path\":\"/run/netscript/lab.files/../../..$PWD/victim\",\"dirs\":[]}}"#,
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"file\",\"path\":\"/run/netscript/other.files/f\",\"dirs\":[]}}"#,
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"file\",\"path\":\"/run/netscript/lab.files/g\",\"dirs\":[\"/run/netscript/other.files\"]}}"#,
    ] {
        assert_refused(line, "is outside the lab's own directory");
    }
}

#[test]
fn a_table_record_that_is_not_the_labs_own_is_refused() {
    assert_refused(
        r#"{\"op\":\"add\",\"obj\":{\"type\":\"nft_table\",\"ns\":\"host\",\"ns_id\":$NS,\"table\":\"inet filter\",\"nonce\":\"\"}}"#,
        "is not this lab's table (inet netscript_lab)",
    );
}
