//! The stdlib's own tests, written in Rhai (stdlib/tests/*.rhai), each run
//! in a fresh sandbox.

use crate::common::Sandbox;

#[test]
fn stdlib_tests_written_in_rhai_pass() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/stdlib/tests");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2);
    for f in files {
        let sb = Sandbox::new();
        let run = sb.sh(&format!("netscript --sandbox {}", f.display()));
        assert_eq!(
            run.status,
            0,
            "{}:\n{}{}",
            f.display(),
            run.stdout,
            run.stderr
        );
        assert!(
            run.stdout.trim_end().ends_with(" ok"),
            "{}: {}",
            f.display(),
            run.stdout
        );
    }
}
