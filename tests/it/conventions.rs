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

/// A lab of many objects is counted by kind (`ls`, `down`, a rollback);
/// -v lists every object, -q says nothing but errors (`ls -q`: names).
#[test]
fn big_labs_are_summed_up_unless_verbose_and_quiet_is_quiet() {
    let sb = Sandbox::new();
    sb.file("big.rhai", "for i in 1..=20 { netns::add(`h${i}`); }\n");
    sb.file(
        "small.rhai",
        "netns::add(\"s1\");\nlink::add_veth(\"a0\", \"b0\");\n",
    );
    let run = sb.sh("netscript big.rhai && netscript small.rhai && \
         echo '== ls' && netscript ls | sed 's/(created [^)]*)//' && \
         echo '== ls -q' && netscript ls -q && \
         echo '== ls -v' && netscript ls -v | grep -c '^  - namespace h' && \
         echo '== down' && netscript down big && \
         echo '== down -q' && netscript -q down small && \
         echo '== run -q --rm' && netscript -q --rm small.rhai && echo '== end' && netscript ls");
    assert_eq!(
        run.stdout,
        "== ls\n\
         big  \n  20 namespaces (ls -v lists them)\n\
         small  \n  - namespace s1\n  - veth a0 (in host)\n\
         == ls -q\nbig\nsmall\n\
         == ls -v\n20\n\
         == down\nlab \"big\": removed 20 objects: 20 namespaces\n\
         == down -q\n== run -q --rm\n== end\nno labs are up\n",
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
    // A rollback: counted; with -q only the error itself.
    sb.file(
        "fails.rhai",
        "for i in 1..=20 { netns::add(`h${i}`); }\nthrow \"boom\";\n",
    );
    let run = sb.sh("netscript fails.rhai; netscript -q fails.rhai 2>&1 | grep -c 'rolled back'");
    assert!(
        run.stderr
            .contains("rolled back lab \"fails\": 20 removed: 20 namespaces\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("  - namespace"), "{}", run.stderr);
    assert_eq!(run.stdout, "0\n");
}

/// `down --all` removes every lab a ledger lists; `ls --json` and `down
/// --json` print one document each, as docs/lifecycle.md describes.
#[test]
fn down_all_and_json() {
    let sb = Sandbox::new();
    sb.file("one.rhai", "netns::add(\"a\");\n");
    sb.file(
        "two.rhai",
        "netns::add(\"b\");\nlink::add_veth(\"x0\", \"x1\");\n",
    );
    let run = sb.sh(
        "netscript one.rhai && netscript two.rhai && netscript ls --json > ls.json && \
         netscript down --json one nosuch > down.json; echo status=$?; \
         netscript down --all; echo status=$?; netscript ls; ls -A /run/netns | wc -l; \
         netscript down --all; echo status=$?",
    );
    assert_eq!(
        run.stdout,
        "status=1\nlab \"two\": removed 2 objects\n  - veth x0 (in host)\n  - namespace b\n\
         status=0\nno labs are up\n0\nno labs are up\nstatus=0\n",
        "{}",
        run.stderr
    );
    let ls: serde_json::Value = serde_json::from_str(&sb.read("ls.json")).unwrap();
    let labs = ls["labs"].as_array().unwrap();
    assert_eq!(labs.len(), 2);
    assert_eq!(labs[0]["name"], "one");
    assert_eq!(labs[0]["objects"], serde_json::json!(["namespace a"]));
    assert_eq!(labs[1]["objects"].as_array().unwrap().len(), 2);
    assert!(labs[0]["created"].as_u64().unwrap() > 1_700_000_000);
    assert!(labs[0]["script"].as_str().unwrap().ends_with("one.rhai"));
    assert_eq!(ls["worlds"], serde_json::json!([]));
    // Without the right to remove anything, still one document.
    let run = sb.sh(
        "setpriv --reuid=65534 --regid=65534 --clear-groups netscript down --json x; echo status=$?",
    );
    let (doc, status) = run.stdout.rsplit_once("status=").unwrap();
    assert_eq!(status, "1\n");
    assert_eq!(
        crate::common::json(doc)["removed"][0]["error"],
        "removing a lab needs root or CAP_NET_ADMIN"
    );
    let down: serde_json::Value = serde_json::from_str(&sb.read("down.json")).unwrap();
    assert_eq!(
        down,
        serde_json::json!({ "removed": [
            { "name": "one", "kind": "lab", "removed": ["namespace a"], "skipped": [],
              "failed": [], "damaged_ledger_lines": 0, "ok": true },
            { "name": "nosuch", "kind": "lab", "ok": false, "error": "no such lab is up" },
        ]})
    );
}

/// What the script stopped, waited for, or removed with its parent is
/// not reported at teardown as "already gone".
#[test]
fn teardown_reports_nothing_the_script_itself_ended() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let a = netns::add("a");
        let v = link::add_veth("eth0", "h0", #{ netns: a });
        v.addr_add("10.0.0.1/24");
        v.up();
        v.peer.addr_add("10.0.0.2/24");
        v.peer.up();
        let host = netns::host();
        host.route_add("10.5.0.0/16", #{ via: "10.0.0.1" });
        host.sysctl("net.ipv4.conf.h0.forwarding", "1");
        host.neigh_add("10.0.0.9", "02:00:00:00:00:09", "h0");
        let b = netns::add("b");
        let w = link::add_veth("e0", "e1");
        w.set_netns(b);
        w.peer.up();
        host.sysctl("net.ipv4.conf.e1.forwarding", "1");
        host.route_add("10.6.0.0/16", #{ dev: "e1" });
        let p = b.spawn("sleep 100");
        p.kill();
        b.spawn("sleep 0.1").wait();
        b.spawn("true");
        sleep(0.2);
        a.del();
        w.peer.del();
        "#,
    );
    let run = sb.sh(
        "netscript lab.rhai && netscript ls && netscript down lab; echo status=$?; \
         ip -j route show 10.5.0.0/16; cat /proc/sys/net/ipv4/ip_forward",
    );
    assert_eq!(run.stderr, "", "{}", run.stdout);
    assert!(
        run.stdout.starts_with("lab  (created ") || run.stdout.starts_with("lab  ("),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("lab \"lab\": removed 1 object\n  - namespace b\nstatus=0\n[]\n0\n"),
        "{}",
        run.stdout
    );
}
