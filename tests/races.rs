//! Two netscript runs racing for the same names: exactly one wins each
//! name, the other gets a clean "exists" error and rolls back only what
//! it made itself; neither touches the other's objects.

mod common;
use common::Sandbox;

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
