//! Two netscript runs racing for the same names: exactly one wins each
//! name, the other gets a clean "exists" error and rolls back only what
//! it made itself; neither touches the other's objects.

use crate::common::Sandbox;

#[test]
fn two_runs_racing_for_the_same_names() {
    let sb = Sandbox::new();
    for side in ["left", "right"] {
        sb.file(
            &format!("{side}.rhai"),
            &format!(
                "netns::add(\"{side}-only\");\nnetns::add(\"shared\");\n\
                 link::add_veth(\"same0\", \"same1\", #{{ peer_netns: \"shared\" }});\n"
            ),
        );
    }
    const ROUNDS: usize = 12;
    let run = sb.sh(&format!(
        "for i in $(seq {ROUNDS}); do \
             netscript left.rhai 2> left.err & a=$!; netscript right.rhai 2> right.err & b=$!; \
             wait $a; l=$?; wait $b; r=$?; \
             if [ $l = 0 ]; then w=left; lost=right.err; else w=right; lost=left.err; fi; \
             echo \"$l $r $(head -1 $lost) $(ls /run/netns | sort | tr '\\n' ' ')$(ip -o link show | wc -l)\"; \
             netscript down $w > /dev/null; \
         done; ls -A /run/netns | wc -l; ip -o link show | wc -l"
    ));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), ROUNDS + 2, "{}\n{}", run.stdout, run.stderr);
    for line in &lines[..ROUNDS] {
        let (winner, loser) = if line.starts_with("0 1 ") {
            ("left", "right")
        } else {
            ("right", "left")
        };
        assert!(
            line.starts_with("0 1 ") || line.starts_with("1 0 "),
            "one wins, one fails: {line}"
        );
        // Only the winner's objects: its namespace, the shared one, and the
        // veth end in the sandbox's root (lo + same0).
        assert!(
            line.ends_with(&format!("netscript::exists {winner}-only shared 2")),
            "{line} ({loser} lost)\n{}",
            run.stderr
        );
    }
    assert_eq!(&lines[ROUNDS..], ["0", "1"], "nothing left after down");
}

#[test]
fn two_runs_racing_for_the_same_link_name() {
    let sb = Sandbox::new();
    let dir = sb.path().display().to_string();
    // Each makes a namespace of its own, waits at a barrier until the
    // other has too, then both ask for the same veth name in the root.
    for (side, other) in [("left", "right"), ("right", "left")] {
        sb.file(
            &format!("{side}.rhai"),
            &format!(
                "netns::add(\"{side}-only\");\n\
                 netns::host().exec([\"sh\", \"-c\", \"touch {dir}/{side}.ready; i=0; \
                 while [ ! -e {dir}/{other}.ready ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done\"]);\n\
                 link::add_veth(\"shared0\", \"eth0\", #{{ peer_netns: \"{side}-only\" }});\n"
            ),
        );
    }
    const ROUNDS: usize = 10;
    let run = sb.sh(&format!(
        "for i in $(seq {ROUNDS}); do rm -f left.ready right.ready; \
             netscript left.rhai 2> left.err & a=$!; netscript right.rhai 2> right.err & b=$!; \
             wait $a; l=$?; wait $b; r=$?; \
             if [ $l = 0 ]; then w=left; lost=right.err; else w=right; lost=left.err; fi; \
             echo \"$l $r $(head -1 $lost) $(tail -2 $lost | tr -d '\\n') | \
$(ls /run/netns | tr '\\n' ' ')$(ls /run/netscript | tr '\\n' ' ')\
$(ip -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d '\\n') |\
$(ip -n $w-only -o link show | cut -d: -f2 | cut -d@ -f1 | tr -d '\\n')\"; \
             netscript down $w > /dev/null; \
         done; echo $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l); ip -o link show | wc -l"
    ));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), ROUNDS + 2, "{}\n{}", run.stdout, run.stderr);
    for line in &lines[..ROUNDS] {
        assert!(
            line.starts_with("0 1 ") || line.starts_with("1 0 "),
            "one wins, one fails: {line}\n{}",
            run.stderr
        );
        let (winner, loser) = if line.starts_with("0 1 ") {
            ("left", "right")
        } else {
            ("right", "left")
        };
        // The loser failed on the link name and rolled its namespace back;
        // the winner's namespace, ledger and both veth ends are intact.
        assert_eq!(
            &line[4..],
            format!(
                "netscript::exists rolled back lab \"{loser}\": 1 removed  - namespace {loser}-only | \
                 {winner}-only {winner}.json  lo shared0 | lo eth0"
            ),
            "{}",
            run.stderr
        );
    }
    assert_eq!(
        &lines[ROUNDS..],
        ["0 0", "1"],
        "no namespace, no ledger, only lo after down"
    );
}
