//! The progress line of a long build: shown on a terminal (tmux) once a
//! script has run for a second, cleared when it ends, never mixed with
//! what the script prints; nothing when stderr is not a terminal or with
//! `-q`.

use crate::common::{Sandbox, netscript_bin};
use crate::repl::Term;

/// Slow enough to be seen: 30 namespaces over about 2 s, a line printed
/// in the middle.
const SLOW: &str = r#"
print("started");
for i in 1..=30 {
    netns::add(`n${i}`);
    if i == 20 { print("twenty made"); }
    sleep(0.07);
}
"#;

#[test]
fn a_long_build_shows_its_progress_on_a_terminal_then_clears_it() {
    let sb = Sandbox::new();
    sb.file("slow.rhai", SLOW);
    let cmd = format!(
        "cd {} && {} --sandbox slow.rhai; echo status=$?; sleep 60",
        sb.path().display(),
        netscript_bin()
    );
    let t = Term::launch(sb, &cmd, "started");
    let during = t.wait_for("namespaces, ");
    assert!(during.contains("building: "), "{during}");
    let after = t.wait_for("status=0");
    assert!(
        !after.contains("building: "),
        "the line is cleared:\n{after}"
    );
    let printed: Vec<&str> = after
        .lines()
        .filter(|l| l.contains("twenty made"))
        .collect();
    assert_eq!(
        printed,
        ["twenty made"],
        "a print is a line of its own:\n{after}"
    );
}

#[test]
fn no_progress_when_quiet_or_when_stderr_is_not_a_terminal() {
    let sb = Sandbox::new();
    sb.file("slow.rhai", SLOW);
    let cmd = format!(
        "cd {} && {} -q --sandbox slow.rhai; echo status=$?; sleep 60",
        sb.path().display(),
        netscript_bin()
    );
    let t = Term::launch(sb, &cmd, "started");
    let after = t.wait_for("status=0");
    assert!(!after.contains("namespaces, "), "{after}");

    let sb = Sandbox::new();
    sb.file("slow.rhai", SLOW);
    let run = sb.sh("netscript slow.rhai 2>err.txt | cat; cat err.txt");
    assert_eq!(run.stdout, "started\ntwenty made\n", "{}", run.stderr);
}
