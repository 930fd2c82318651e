//! Every recipe in scripts/ runs in a sandbox and succeeds.

mod common;
use common::Sandbox;

fn recipes() -> Vec<std::path::PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    all.sort();
    all
}

#[test]
fn every_recipe_runs() {
    let all = recipes();
    assert!(all.len() >= 3, "{all:?}");
    for path in all {
        let sb = Sandbox::new();
        let run = sb.sh(&format!("netscript --sandbox {}", path.display()));
        assert_eq!(
            run.status,
            0,
            "{} failed:\n{}{}",
            path.display(),
            run.stdout,
            run.stderr
        );
        assert!(
            !run.stdout.is_empty(),
            "{} printed no summary",
            path.display()
        );
        assert!(
            !run.stdout.contains("FAIL") && !run.stdout.contains("UNREACHABLE"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn recipes_are_executable_shebang_scripts() {
    for path in recipes() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("#!/usr/bin/env netscript\n"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn routed_lab_shows_the_router_forwarding() {
    let sb = Sandbox::new();
    let run = sb.sh(concat!(
        "netscript --sandbox ",
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/routed-lab.rhai"
    ));
    run.success();
    assert!(
        run.stdout.contains("forwarding off: unreachable (ok)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("forwarding on again: reachable (ok)"),
        "{}",
        run.stdout
    );
}
