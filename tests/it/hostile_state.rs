//! What netscript finds in /run when someone has been there: a ledger or
//! lock replaced by a FIFO or a symlink, /run/netns a symlink, and a plain
//! user asking for `down`. Each is refused with a clear error, promptly
//! (a FIFO never makes it wait), and nothing is touched.

use crate::common::Sandbox;

/// A lab with one namespace, left up.
const LAB: &str = "netns::add(\"r1\");\n";

#[test]
fn a_fifo_or_symlink_in_place_of_a_ledger_is_refused_without_waiting() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh(
        "mkdir -p /run/netscript; mkfifo /run/netscript/fifo.json\n\
         echo '{}' > /tmp/elsewhere.json; ln -s /tmp/elsewhere.json /run/netscript/link.json\n\
         timeout 10 netscript down fifo 2> fifo.err; echo fifo=$?\n\
         timeout 10 netscript down link 2> link.err; echo link=$?\n\
         timeout 10 netscript ls > ls.txt; echo ls=$?\n\
         timeout 10 netscript --lab fifo lab.rhai 2> run.err; echo run=$? $(ls -A /run/netns | wc -l)\n\
         cat /tmp/elsewhere.json; rm /tmp/elsewhere.json",
    );
    assert_eq!(
        run.stdout, "fifo=1\nlink=1\nls=0\nrun=1 0\n{}\n",
        "{}",
        run.stderr
    );
    assert!(
        sb.read("fifo.err").contains("not a regular file"),
        "{}",
        sb.read("fifo.err")
    );
    assert!(
        sb.read("link.err").contains("is a symlink"),
        "{}",
        sb.read("link.err")
    );
    assert!(
        sb.read("run.err").contains("not a regular file"),
        "{}",
        sb.read("run.err")
    );
    let ls = sb.read("ls.txt");
    assert!(
        ls.contains("fifo  (its ledger cannot be read: not a regular file"),
        "{ls}"
    );
    assert!(ls.contains("link  (its ledger cannot be read: "), "{ls}");
}

#[test]
fn a_fifo_in_place_of_a_lock_is_refused_without_waiting() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh("mkdir -p /run/netscript; mkfifo /run/netscript/lab.lock\n\
         timeout 10 netscript lab.rhai 2> run.err; echo run=$? $(ls -A /run/netns | wc -l)");
    assert_eq!(run.stdout, "run=1 0\n", "{}", run.stderr);
    let err = sb.read("run.err");
    assert!(
        err.contains("/run/netscript/lab.lock is not a regular file"),
        "{err}"
    );
}

#[test]
fn a_symlink_in_place_of_run_netns_is_refused() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh(
        "rmdir /run/netns; mkdir /tmp/ns-elsewhere; ln -s /tmp/ns-elsewhere /run/netns\n\
         netscript lab.rhai 2> run.err; echo run=$?\n\
         ls -A /tmp/ns-elsewhere | wc -l; grep -c ns-elsewhere /proc/self/mountinfo; rmdir /tmp/ns-elsewhere",
    );
    assert_eq!(run.stdout, "run=1\n0\n0\n", "{}", run.stderr);
    let err = sb.read("run.err");
    assert!(err.contains("/run/netns is not a directory"), "{err}");
}

/// A plain user's `down` fails saying why, and the lab is left whole (no
/// "already gone" warnings, no exit 0).
#[test]
fn a_plain_users_down_fails_and_leaves_the_lab_whole() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh(
        "netscript lab.rhai; echo built=$?\n\
         setpriv --reuid=65534 --regid=65534 --clear-groups netscript down lab > down.out 2> down.err; \
         echo down=$?\n\
         ls /run/netns; ls /run/netscript",
    );
    assert_eq!(
        run.stdout, "built=0\ndown=1\nr1\nlab.json\n",
        "{}",
        run.stderr
    );
    let err = sb.read("down.err");
    assert!(!err.contains("already gone"), "{err}");
    assert!(
        err.contains("removing a lab needs root or CAP_NET_ADMIN"),
        "{err}"
    );
    assert_eq!(sb.read("down.out"), "");
}

/// What `down` cannot remove (here: /run/netns read-only, so a namespace's
/// entry cannot go) is an error, exit 1, and the ledger is kept; once the
/// cause is fixed, `down` again removes the rest.
#[test]
fn what_down_cannot_remove_is_an_error_and_the_ledger_stays() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\nbridge::add(\"br9\");\n");
    let run = sb.sh(
        "netscript lab.rhai; echo built=$?\n\
         mount -o remount,ro,bind /run/netns\n\
         netscript down lab > first.out 2> first.err; echo first=$? $(ls /run/netscript)\n\
         mount -o remount,rw,bind /run/netns\n\
         netscript down lab > second.out 2> /dev/null; echo second=$?\n\
         echo left $(ls -A /run/netns | wc -l) $(ls -A /run/netscript | wc -l) $(ip -o link show | wc -l)",
    );
    assert_eq!(
        run.stdout, "built=0\nfirst=1 lab.json\nsecond=0\nleft 0 0 1\n",
        "{}",
        run.stderr
    );
    let err = sb.read("first.err");
    assert!(
        err.contains("error: could not remove namespace r1: read-only file system (EROFS)"),
        "{err}"
    );
    assert!(err.contains("its ledger is kept"), "{err}");
    assert!(sb.read("first.out").contains("bridge br9"));
    assert!(sb.read("second.out").contains("namespace r1"));
}

/// A damaged ledger whose teardown also fails stays where `down` looks
/// (it was moved aside as .damaged, so the second `down` the message asked
/// for found no lab); once all it identifies is gone it is moved aside.
#[test]
fn a_damaged_ledger_that_down_cannot_finish_stays_for_the_next_down() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\nbridge::add(\"br9\");\n");
    let run = sb.sh("netscript lab.rhai; echo built=$?\n\
         echo 'garbage' >> /run/netscript/lab.json\n\
         mount -o remount,ro,bind /run/netns\n\
         netscript down lab > /dev/null 2> first.err; echo first=$? $(ls /run/netscript)\n\
         mount -o remount,rw,bind /run/netns\n\
         netscript down lab > second.out 2> second.err; echo second=$? $(ls /run/netscript)\n\
         echo left $(ls -A /run/netns | wc -l)");
    assert_eq!(
        run.stdout, "built=0\nfirst=1 lab.json\nsecond=1 lab.json.damaged\nleft 0\n",
        "{}",
        run.stderr
    );
    for file in ["first.err", "second.err"] {
        let err = sb.read(file);
        assert!(err.contains("line 5: not a ledger record"), "{file}: {err}");
    }
    assert!(sb.read("second.out").contains("namespace r1"));
}

/// --replace builds only once the old lab is all gone: over a damaged
/// ledger (something it lost may still be up) or a teardown that failed,
/// the run fails before building, says why, and keeps the ledger; a plain
/// run refuses a damaged ledger without a single readable object (it used
/// to delete it without a word).
#[test]
fn replace_builds_only_once_the_old_lab_is_all_gone() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"r1\");\n");
    let run = sb.sh(
        "netscript lab.rhai; echo built=$?\n\
         echo 'garbage' >> /run/netscript/lab.json\n\
         netscript --replace lab.rhai 2> damaged.err; echo damaged=$? $(ls /run/netscript) $(ls /run/netns)\n\
         netscript --replace lab.rhai 2> /dev/null; echo again=$? $(ls /run/netscript) $(ls /run/netns)\n\
         mount -o remount,ro,bind /run/netns\n\
         netscript --replace lab.rhai 2> failed.err; echo failed=$? $(ls /run/netscript)\n\
         mount -o remount,rw,bind /run/netns\n\
         netscript down lab > /dev/null; rm /run/netscript/lab.json.damaged\n\
         printf '{\"lab\":\"lab\"}\\nnot a record\\n' > /run/netscript/lab.json\n\
         netscript lab.rhai 2> headless.err; echo headless=$? $(ls /run/netscript) $(ls /run/netns)",
    );
    assert_eq!(
        run.stdout,
        "built=0\n\
         damaged=1 lab.json.damaged\n\
         again=0 lab.json lab.json.damaged r1\n\
         failed=1 lab.json lab.json.damaged\n\
         headless=1 lab.json\n",
        "{}",
        run.stderr
    );
    assert!(sb.read("damaged.err").contains("is damaged"));
    assert!(
        sb.read("failed.err")
            .contains("is not all gone, so it is not replaced")
    );
    assert!(
        sb.read("headless.err")
            .contains("is already up (a damaged ledger")
    );
}
