//! Files for the lab: `lab::file` beside the ledger, `ns.etc_file` in the
//! namespace's /etc (a world's own /etc/netns, never the machine's), both
//! recorded and removed at teardown.

use crate::common::Sandbox;

#[test]
fn lab_files_are_written_recorded_and_removed() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        "let p = lab::file(\"r1.conf\", `hostname r1\nlog stdout\n`);\nprint(p);\n\
         lab::file(\"r1.conf\", \"hostname r1b\\n\");\n\
         for bad in [\"../x\", \"a/b\", \"\", \"..\"] {\n\
           try { lab::file(bad, \"x\"); print(\"written\"); } catch (e) { print(e.kind); }\n\
         }\n\
         lab::file(\"evil\", \"a\\nEOF\\ntouch INJECTED\\n\");\n",
    );
    let run = sb.sh("netscript --trace lab.rhai 2> trace\n\
         cat /run/netscript/lab.files/r1.conf\n\
         netscript ls | grep r1.conf\n\
         netscript down lab | grep r1.conf\n\
         ls /run/netscript/\n\
         mkdir /run/netscript/lab.files && sh trace 2> /dev/null\n\
         cat /run/netscript/lab.files/evil; ls INJECTED 2>&1 | grep -c 'No such'");
    assert_eq!(
        run.stdout,
        "/run/netscript/lab.files/r1.conf\ninvalid\ninvalid\ninvalid\ninvalid\n\
         hostname r1b\n  - file /run/netscript/lab.files/r1.conf\n  - file /run/netscript/lab.files/r1.conf\n\
         a\nEOF\ntouch INJECTED\n1\n",
        "{}",
        run.stderr
    );
    // The trace writes the files back when pasted into a shell: the text
    // of each is exactly what the script wrote, and a line "EOF" in it
    // does not end its here-document (which would run the rest).
    let trace = sb.read("trace");
    assert!(
        trace.contains("cat > /run/netscript/lab.files/r1.conf << 'EOF'  # ")
            && trace.contains("\nhostname r1\nlog stdout\nEOF\n"),
        "{trace}"
    );
    assert!(trace.contains("evil << 'EOF1'  # "), "{trace}");
}

#[test]
fn etc_files_are_the_namespaces_own_and_a_worlds_own() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let a = netns::add("a");
        a.etc_file("hosts", "10.0.0.2 web\n");
        print(a.exec(["getent", "hosts", "web"]).stdout);
        print(a.exec(["cat", "/etc/hosts"]).stdout);
        netns::add("b").exec(["sh", "-c", "mkdir -p /etc/netns/b && echo mine > /etc/netns/b/hosts"]);
        try { netns::get("b").etc_file("hosts", "x"); } catch (e) { print(e.kind); }
        "#,
    );
    let run = sb.sh_own_pids(
        "machine() { ls -la /etc/netns 2>&1; ls -la --time-style=+ /etc | grep -c .; }\n\
         machine > before\n\
         netscript --sandbox=w lab.rhai 2> /dev/null\n\
         netscript enter w -- cat /etc/netns/a/hosts\n\
         netscript --in w down lab | grep -c 'file /etc/netns/a/hosts'\n\
         netscript enter w -- ls /etc/netns\n\
         netscript down w > /dev/null\n\
         machine > after; cmp before after && echo machine-unchanged",
    );
    assert_eq!(
        run.stdout,
        "10.0.0.2        web\n\n10.0.0.2 web\n\nexists\n10.0.0.2 web\n1\nb\nmachine-unchanged\n",
        "{}",
        run.stderr
    );
}
