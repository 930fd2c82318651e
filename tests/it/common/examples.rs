//! Reading the reference's examples: what their comments say they print,
//! and which need a kernel the test machines do not run.

/// An example or recipe that starts (after its shebang) with `// needs a
/// kernel with ...` uses a link kind or qdisc these machines' kernel
/// lacks; tests/it/kernel_vm.rs runs it.
pub fn needs_vm(code: &str) -> bool {
    let code = code.trim_start();
    let code = match code.strip_prefix("#!") {
        Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
        None => code,
    };
    code.trim_start().starts_with("// needs a kernel with")
}

/// `print(x);   // expected` lines of a loop-free example, in order.
pub fn expected_prints(code: &str) -> Option<Vec<String>> {
    if code.contains("for ") {
        return None;
    }
    let mut out = Vec::new();
    let mut block = false;
    for line in code.lines() {
        let line = line.trim();
        // A `show();` line prints a block: the comment lines under it.
        if block && let Some(expected) = line.strip_prefix("// ") {
            out.push(expected.trim().to_string());
            continue;
        }
        block = line.starts_with("show()");
        if block {
            continue;
        }
        // print(...) and ns.run(...) lines say what they print.
        let says_output =
            line.contains("print(") || (line.contains(".run(") && !line.starts_with("try"));
        if !says_output {
            continue;
        }
        let comment = line.split_once("// ")?.1;
        // A trailing " (explanation)" is not part of the output.
        let expected = match comment.trim().rsplit_once(" (") {
            Some((value, note)) if note.ends_with(')') => value,
            _ => comment,
        };
        let expected = expected.trim().to_string();
        out.push(expected);
    }
    Some(out)
}

pub fn matches(expected: &str, actual: &str) -> bool {
    match expected.strip_suffix("...") {
        Some(prefix) => actual
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .starts_with(&prefix.split_whitespace().collect::<Vec<_>>().join(" ")),
        None => expected == actual,
    }
}
