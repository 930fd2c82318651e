//! The command line's contract with the tools around it: manual pages
//! that name only pages that exist, completion that knows the labs that
//! are up.

use crate::common::Sandbox;

/// Every page `netscript man --dir` writes; each page it names (`x(N)`)
/// is one of them or a page this machine has, as `man -w` finds it.
#[test]
fn manual_pages_name_only_pages_that_exist() {
    let sb = Sandbox::new();
    let run = sb.sh("netscript man --dir man/man1 && ls man/man1");
    run.success();
    let ours: Vec<&str> = run.stdout.lines().collect();
    assert!(ours.contains(&"netscript.1"), "{ours:?}");
    assert!(ours.contains(&"netscript-down.1"), "{ours:?}");
    let mut named = std::collections::BTreeSet::new();
    for page in &ours {
        let text = sb.read(&format!("man/man1/{page}"));
        // roff writes "netscript\-down(1)" with its font changes around it
        let plain = text
            .replace("\\fB", "")
            .replace("\\fR", "")
            .replace("\\-", "-");
        for (i, _) in plain.match_indices('(') {
            let name: String = plain[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
                .chars()
                .rev()
                .collect();
            let section = plain[i + 1..].chars().next().unwrap_or(' ');
            if !name.is_empty() && section.is_ascii_digit() && plain[i + 2..].starts_with(')') {
                named.insert(format!("{name}.{section}"));
            }
        }
    }
    assert!(named.contains("netscript-down.1"), "{named:?}");
    assert!(named.contains("ip.8"), "{named:?}");
    let words: Vec<String> = named
        .iter()
        .map(|p| {
            let (name, section) = p.rsplit_once('.').unwrap();
            format!("{section} {name}")
        })
        .collect();
    let run = sb.sh(&format!(
        "for p in {}; do set -- $p; MANPATH=$PWD/man: man -w $1 $2 >/dev/null 2>&1 || echo \"missing $2($1)\"; done; echo checked",
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    assert_eq!(run.stdout, "checked\n", "{}", run.stderr);
    // The sections a manual page has that clap alone does not write.
    let main = sb.read("man/man1/netscript.1");
    for section in [
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH EXAMPLES",
    ] {
        assert!(main.contains(section), "no {section}");
    }
    assert!(main.contains("NO_COLOR") && main.contains("/run/netscript/LAB.json"));
    let run = sb.sh("netscript man down | grep '^.TH'; netscript man nosuch; echo status=$?");
    assert_eq!(
        run.stdout,
        format!(
            ".TH netscript-down 1  \"netscript {}\" \"User Commands\"\nstatus=1\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(
        run.stderr.contains("the pages: netscript, check,"),
        "{}",
        run.stderr
    );
}

/// bash, given the script `netscript completions bash` prints, completes
/// `netscript down ` with the lab that is up, and a script's name with
/// the .rhai files here.
#[test]
fn completion_offers_the_labs_that_are_up() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\n");
    sb.file("notes.txt", "");
    let complete = |line: &str| {
        format!(
            "COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _clap_complete_netscript netscript \"${{COMP_WORDS[COMP_CWORD]}}\"; \
             echo \"{line}: ${{COMPREPLY[*]}}\""
        )
    };
    let run = sb.sh(&format!(
        "netscript --lab built-by-test lab.rhai || exit 9\n\
         source <(netscript completions bash)\n\
         {}\n{}\n{}\n{}",
        complete("netscript down ''"),
        complete("netscript down bu"),
        complete("netscript show ''"),
        complete("netscript la"),
    ));
    // Options come too when nothing is typed yet, as clap offers them.
    let offered: Vec<(&str, Vec<&str>)> = run
        .stdout
        .lines()
        .map(|l| {
            let (line, words) = l.split_once(": ").unwrap_or((l, ""));
            (
                line,
                words.split(' ').filter(|w| !w.starts_with('-')).collect(),
            )
        })
        .collect();
    assert_eq!(
        offered,
        [
            ("netscript down ''", vec!["built-by-test", "lab.rhai"]),
            ("netscript down bu", vec!["built-by-test"]),
            ("netscript show ''", vec!["built-by-test"]),
            ("netscript la", vec!["lab.rhai"]),
        ],
        "{}",
        run.stderr
    );
}
