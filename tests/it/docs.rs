//! The reference is generated from the registered docs: it must be up to
//! date, every function must have an example, and every example (and the
//! README's script) must run and print what its comments say.

use crate::common::examples::{expected_prints, matches, needs_vm};
use crate::common::{Sandbox, netscript_bin};

fn docs_output() -> String {
    let out = std::process::Command::new(netscript_bin())
        .arg("docs")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_reference_is_up_to_date() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md"))
            .unwrap_or_default();
    assert!(
        committed == docs_output(),
        "docs/reference.md is stale: regenerate it with `cargo run -- docs > docs/reference.md`"
    );
}

#[test]
fn every_function_has_docs_and_an_example() {
    for e in netscript::docs::entries() {
        let operator = e.usage.starts_with("a ")
            || e.usage.contains(".to_string(")
            || e.usage.contains(".to_debug(");
        assert!(!e.doc.trim().is_empty(), "{} has no docs", e.usage);
        if !operator {
            assert!(
                !e.examples().is_empty(),
                "{} has no ```rhai example",
                e.usage
            );
        }
    }
}

#[test]
fn every_example_runs_and_prints_what_it_says() {
    let mut checked = 0;
    for e in netscript::docs::entries() {
        for (i, code) in e.examples().iter().enumerate() {
            // Examples of what this machine's kernel lacks run on a VM, in
            // tests/it/kernel_vm.rs.
            if needs_vm(code) {
                continue;
            }
            let sb = Sandbox::new();
            sb.file("example.rhai", code);
            let run = sb.sh("netscript --sandbox example.rhai");
            assert_eq!(
                run.status, 0,
                "example {i} of {} failed:\n{code}\n{}",
                e.usage, run.stderr
            );
            if let Some(expected) = expected_prints(code) {
                let actual: Vec<&str> = run.stdout.lines().collect();
                assert_eq!(
                    actual.len(),
                    expected.len(),
                    "example of {}:\n{code}\nprinted:\n{}",
                    e.usage,
                    run.stdout
                );
                for (x, a) in expected.iter().zip(&actual) {
                    assert!(
                        matches(x, a),
                        "example of {} says {x:?} but printed {a:?}:\n{code}",
                        e.usage
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} examples had checkable output");
}

#[test]
fn readme_script_runs() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```rhai\n").expect("README has a rhai block") + 8;
    let code = &readme[start..start + readme[start..].find("```").unwrap()];
    let sb = Sandbox::new();
    sb.file("first.rhai", code);
    let run = sb.sh("netscript --sandbox first.rhai");
    run.success();
    assert_eq!(run.stdout, "true\n");
}

#[test]
fn the_guide_runs_from_top_to_bottom() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.md")).unwrap();
    let entry = netscript::docs::Entry {
        section: "guide".into(),
        usage: "guide".into(),
        doc: guide,
    };
    let code = entry.examples().join("\n");
    assert!(code.contains("netns::attach"), "{code}");
    // Steps 1 to 6 in the world the guide names, then what step 6 says
    // a second shell sees; then the whole guide, as written.
    let six = netscript::docs::Entry {
        doc: entry.doc[..entry.doc.find("## 7.").unwrap()].to_string(),
        ..entry.clone()
    }
    .examples()
    .join("\n");
    let sb = Sandbox::new();
    sb.file("six.rhai", &six);
    sb.file("guide.rhai", &code);
    let run = sb.sh_own_pids(
        "netscript --sandbox=guide six.rhai > /dev/null 2>&1\n\
         netscript --in guide show | grep -c 'r[12]/eth0'\n\
         netscript --in guide pingall > /dev/null && echo pingall-clean\n\
         netscript --in guide graph --format svg | grep -c '<svg'\n\
         netscript enter guide -- ip netns exec r1 ip -br addr show dev eth0 | grep -c 100.100.100.10/24\n\
         netscript down guide > /dev/null\n\
         netscript --sandbox guide.rhai",
    );
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("2\npingall-clean\n1\n1\n"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.contains("true\ntrue\n"), "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with("[]"), "{}", run.stdout);
}

#[test]
fn the_operate_page_examples_run() {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operate.md")).unwrap();
    let entry = netscript::docs::Entry {
        section: "operate".into(),
        usage: "operate".into(),
        doc: page,
    };
    let examples = entry.examples();
    assert_eq!(examples.len(), 4, "capture, FRR, traffic and files");
    for code in examples {
        let sb = Sandbox::new();
        sb.file("example.rhai", &code);
        let run = sb.sh("netscript --sandbox example.rhai");
        assert_eq!(run.status, 0, "{code}\n{}{}", run.stdout, run.stderr);
        if let Some(expected) = expected_prints(&code) {
            let actual: Vec<&str> = run.stdout.lines().collect();
            assert_eq!(actual.len(), expected.len(), "{code}\n{}", run.stdout);
            for (x, a) in expected.iter().zip(&actual) {
                assert!(matches(x, a), "says {x:?} but printed {a:?}:\n{code}");
            }
        }
    }
}
