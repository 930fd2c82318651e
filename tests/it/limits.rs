//! A script that runs away (recursion, self-importing modules, strings and
//! arrays that double forever) gets a clear error and its lab rolled back,
//! instead of netscript dying of a stack overflow or out of memory.

use crate::common::Sandbox;

/// Run `main.rhai` (a namespace first, then `code`) beside `files`: the
/// error report, and what is left of the lab.
fn runaway(files: &[(&str, &str)], code: &str) -> (String, String) {
    let sb = Sandbox::new();
    for (name, text) in files {
        sb.file(name, text);
    }
    sb.file("main.rhai", &format!("netns::add(\"r1\");\n{code}"));
    let run = sb.sh(
        "ulimit -v 8000000; netscript main.rhai; echo status=$?; ls -A /run/netns /run/netscript",
    );
    (run.stderr, run.stdout)
}

const ROLLED_BACK: &str = "status=1\n/run/netns:\n\n/run/netscript:\n";

#[test]
fn a_module_that_imports_itself_or_what_imports_it_is_an_error() {
    let (err, left) = runaway(
        &[("me.rhai", "import \"me\" as m;\n")],
        "import \"me\" as m;\n",
    );
    assert_eq!(left, ROLLED_BACK, "{err}");
    assert!(
        err.contains("cannot import \"me\": it imports itself (me.rhai → me.rhai)"),
        "{err}"
    );
    let (err, left) = runaway(
        &[
            ("a.rhai", "import \"b\" as b;\n"),
            ("b.rhai", "import \"main\" as m;\n"),
        ],
        "import \"a\" as a;\n",
    );
    assert_eq!(left, ROLLED_BACK, "{err}");
    assert!(
        err.contains("it imports what imports it (main.rhai → a.rhai → b.rhai → main.rhai)"),
        "{err}"
    );
    assert!(err.contains("netscript::invalid"), "{err}");
}

#[test]
fn endless_recursion_is_an_error_at_the_same_depth_in_every_build() {
    let (err, left) = runaway(&[], "fn f(x) { f(x + 1) }\nf(0);\n");
    assert_eq!(left, ROLLED_BACK, "{err}");
    assert!(
        err.contains("functions call each other more than 64 deep"),
        "{err}"
    );
    // 60 levels are allowed (Rhai's debug builds allow only 8).
    let (err, left) = runaway(
        &[],
        "fn f(x) { if x < 60 { f(x + 1) } else { x } }\nprint(f(0));\n",
    );
    assert_eq!(
        left, "60\nstatus=0\n/run/netns:\nr1\n\n/run/netscript:\nmain.json\n",
        "{err}"
    );
}

#[test]
fn strings_and_arrays_that_grow_forever_are_stopped() {
    for code in [
        "let s = \"xy\"; loop { s += s; }\n",
        "let a = [1]; loop { a += a; }\n",
    ] {
        let (err, left) = runaway(&[], code);
        assert_eq!(left, ROLLED_BACK, "{code}: {err}");
        assert!(err.contains("netscript::too_large"), "{code}: {err}");
        assert!(err.contains("256 MiB"), "{code}: {err}");
    }
}
