//! Worlds: named sandboxes that stay after their script, reached from any
//! shell with `--in NAME`, `enter NAME` and `down NAME`; and the boundary
//! every sandbox keeps, even for root. Each test's shell has a PID
//! namespace of its own, so a keeper a failed test leaves ends with it.

use crate::common::{Sandbox, json};

/// A small lab: two hosts on a bridge.
const LAB: &str = r#"
let br = bridge::add("br0");
br.up();
for i in 1..=2 {
    let h = netns::add(`h${i}`);
    let eth = link::add_veth("eth0", `p${i}`, #{ netns: h });
    eth.peer.set_master(br);
    eth.peer.up();
    eth.addr_add(`10.0.0.${i}/24`);
    eth.up();
}
// Settled (a new bridge says UNKNOWN until a port forwards), so two looks
// at it agree.
wait_until(|| br.state == "UP", 5);
"#;

/// What is left of worlds on the test's "machine": keepers running, and
/// the machine's own links and namespaces.
const LEFT: &str = "echo keepers=$(ps -e -o args | grep -c '^netscript world'); \
                    echo links=$(ip -o link | wc -l) netns=$(ip netns list | wc -l)";

#[test]
fn two_worlds_run_the_same_recipe_side_by_side() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh_own_pids(&format!(
        "netscript --sandbox=a lab.rhai & netscript --sandbox=b lab.rhai & wait\n\
         netscript --in a pingall && netscript --in b pingall && echo both-clean\n\
         netscript ls > ls.out\n\
         netscript down a && echo a-down\n\
         netscript --in b pingall > /dev/null && echo b-still-clean\n\
         netscript ls > ls2.out\n\
         netscript down b > /dev/null && {LEFT}"
    ));
    assert!(
        run.stdout.contains("both-clean\n"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout
            .contains("world \"a\": removed with everything in it")
    );
    assert!(
        run.stdout.contains("a-down\nb-still-clean\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("keepers=0\nlinks=1 netns=0\n"),
        "{}",
        run.stdout
    );
    let ls = sb.read("ls.out");
    for world in ["world a (made ", "world b (made "] {
        assert!(ls.contains(world), "{ls}");
    }
    assert_eq!(ls.matches("  lab  (created ").count(), 2, "{ls}");
    assert!(ls.contains("    - namespace h1\n"), "{ls}");
    let ls2 = sb.read("ls2.out");
    assert!(!ls2.contains("world a") && ls2.contains("world b"), "{ls2}");
    assert!(run.stderr.contains("made world \"a\""), "{}", run.stderr);
}

#[test]
fn enter_and_in_see_what_the_script_made() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        &format!("{LAB}\nlet f = `${{ARGS[0]}}`;\nnetns::host().run([\"sh\", \"-c\", `cat > ${{f}}`], #{{ stdin: lab::snapshot().to_json() }});\n"),
    );
    let dir = sb.path().display().to_string();
    let run = sb.sh_own_pids(&format!(
        "netscript --sandbox=w lab.rhai {dir}/snap.json 2> /dev/null\n\
         netscript enter w -- ip netns exec h1 ip -j addr show dev eth0 > addr.json\n\
         netscript --in w show --json > show.json\n\
         netscript enter w -- sh -c 'echo world=$NETSCRIPT_WORLD; exit 3'; echo status=$?\n\
         netscript enter w -- no-such-program-xyz; echo status=$?\n\
         echo 'ip -br link show dev br0' | netscript enter w; echo status=$?\n\
         netscript down w > /dev/null; {LEFT}"
    ));
    assert!(
        run.stdout.starts_with("world=w\nstatus=3\nstatus=127\nbr0"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.ends_with("keepers=0\nlinks=1 netns=0\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("cannot run no-such-program-xyz in world \"w\""),
        "{}",
        run.stderr
    );
    let addr = json(&sb.read("addr.json"));
    let locals: Vec<&str> = addr[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["local"].as_str())
        .collect();
    assert!(locals.contains(&"10.0.0.1"), "{addr}");
    assert_eq!(json(&sb.read("show.json")), json(&sb.read("snap.json")));
}

#[test]
fn a_plain_user_makes_enters_shows_and_removes_a_world() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh_own_pids(&format!(
        "chmod 755 .; chmod 644 lab.rhai; mkdir -p xdg; chown 65534:65534 xdg; chmod 700 xdg\n\
         as() {{ setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR=$PWD/xdg \"$@\"; }}\n\
         as netscript --sandbox=mine lab.rhai 2> /dev/null && echo made\n\
         as netscript --in mine pingall > /dev/null && echo pinged\n\
         as netscript enter mine -- ip netns exec h2 ip -br addr show dev eth0\n\
         as netscript --in mine show | grep -c '10.0.0.[12]/24'\n\
         as netscript ls | head -1\n\
         netscript ls\n\
         as netscript down mine\n\
         {LEFT}"
    ));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..2],
        ["made", "pinged"],
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        lines[2].starts_with("eth0@") && lines[2].contains("10.0.0.2/24"),
        "{}",
        run.stdout
    );
    assert_eq!(lines[3], "2", "{}", run.stdout);
    assert!(lines[4].starts_with("world mine (made "), "{}", run.stdout);
    // Root does not see a plain user's worlds: they are that user's.
    assert_eq!(lines[5], "no labs are up", "{}", run.stdout);
    assert_eq!(
        lines[7..],
        ["keepers=0", "links=1 netns=0"],
        "{}",
        run.stdout
    );
    assert!(lines[6].starts_with("world \"mine\": removed with everything in it"));
}

#[test]
fn a_sandbox_cannot_change_a_namespace_outside_it_even_as_root() {
    let sb = Sandbox::new();
    // The test's network namespace plays the machine: a process in it to
    // attach, and a file naming it, as an escape would use them.
    sb.file(
        "escape.rhai",
        r#"
        let pid = parse_int(ARGS[0]);
        try { netns::attach("x", pid); print("attached"); } catch (e) { print(`${e.kind}: ${e.help}`); }
        for cmd in [
            `nsenter --net=${ARGS[1]} ip link add esc0 type bridge`,
            `nsenter -t ${pid} -n ip link add esc1 type bridge`,
            `nsenter --net=/proc/1/ns/net sysctl -qw net.ipv4.ip_forward=1`,
        ] {
            try { netns::host().run(cmd); print("ran"); } catch (e) { print("refused"); }
        }
        try { container::pid("web"); } catch (e) { print(`${e.kind}: ${e.message}`); }
        print(netns::host().run("ps -e -o comm="));
        "#,
    );
    let run = sb.sh_own_pids(
        "for i in $(seq 60); do /bin/true; done  # then the machine's pid is none of the world's
         sleep 300 & pid=$!
         touch machine.ns && mount --bind /proc/self/ns/net machine.ns
         state() { ip -j -d link; ip -j addr; ip -j route; cat /proc/sys/net/ipv4/ip_forward; }
         state > before
         netscript --sandbox escape.rhai $pid $PWD/machine.ns; echo status=$?
         state > after; cmp before after && echo machine-unchanged
         umount machine.ns; kill $pid",
    );
    let out = &run.stdout;
    assert!(
        out.starts_with(
            "not_found: a sandbox sees only its own processes: it cannot reach a namespace outside it"
        ),
        "{out}{}",
        run.stderr
    );
    // nsenter into the machine's namespace by its file is refused by the
    // kernel; by pid, there is no such process; /proc/1 is the world's own.
    assert!(out.contains("\nrefused\nrefused\nran\n"), "{out}");
    assert!(
        out.contains("permission: cannot find the PID of container \"web\": containers run outside the sandbox"),
        "{out}"
    );
    // Only the world's own processes are visible.
    assert!(out.contains("netscript-world\nnetscript\nps\n"), "{out}");
    assert!(out.ends_with("status=0\nmachine-unchanged\n"), "{out}");
}

#[test]
fn programs_die_with_a_killed_throwaway_sandbox() {
    let sb = Sandbox::new();
    sb.file(
        "bg.rhai",
        r#"
        let r1 = netns::add("r1");
        r1.exec(["sh", "-c", "sleep 6061 >/dev/null 2>&1 </dev/null &"]);
        r1.spawn(["sleep", "6062"]);
        print("started");
        sleep(60);
        "#,
    );
    // Killed with SIGKILL at several points of its run, netscript leaves
    // no program of its script running: the world's PID 1 goes with it.
    let run = sb.sh_own_pids(
        "for delay in 0.05 0.2 0.4 1; do
           netscript --sandbox bg.rhai > out & pid=$!
           sleep $delay; kill -9 $pid; wait $pid 2> /dev/null
           for i in $(seq 50); do ps -e -o args | grep -Eq '^sleep 606|^netscript world' || break; sleep 0.1; done
           echo left=$(ps -e -o args | grep -Ec '^sleep 606|^netscript world')
         done",
    );
    assert_eq!(run.stdout, "left=0\n".repeat(4), "{}", run.stderr);
}

#[test]
fn world_names_and_places_are_checked() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", "netns::add(\"h1\");\n");
    let run = sb.sh_own_pids(
        "for name in 'a;b' '..' '.hidden' -x \"$(printf 'a\\nb')\" $(printf 'w%.0s' $(seq 65)); do
           netscript --sandbox=\"$name\" lab.rhai 2>> err; echo status=$?
         done
         netscript --in nosuch show 2>> err; echo status=$?
         netscript --sandbox=a --in a show 2>> err; echo status=$?
         ls -A /run/netscript/worlds 2> /dev/null | wc -l; echo keepers=$(ps -e -o args | grep -c '^netscript world')",
    );
    assert_eq!(
        run.stdout,
        format!(
            "{}status=1\nstatus=2\n0\nkeepers=0\n",
            "status=1\n".repeat(6)
        ),
        "{}",
        sb.read("err")
    );
    let err = sb.read("err");
    assert_eq!(
        err.matches("a world's name is 1 to 64 letters, digits")
            .count(),
        6,
        "{err}"
    );
    assert!(
        err.contains("cannot enter world \"nosuch\": there is no such world\n  help: make it with netscript --sandbox=nosuch FILE"),
        "{err}"
    );
    assert!(
        err.contains("--sandbox and --in cannot be used together"),
        "{err}"
    );
}

#[test]
fn down_of_a_world_stops_a_run_building_in_it() {
    let sb = Sandbox::new();
    sb.file(
        "slow.rhai",
        "for i in 1..=200 { netns::add(`h${i}`); sleep(0.01); }\n",
    );
    let run = sb.sh_own_pids(&format!(
        "netscript --sandbox=w slow.rhai > /dev/null 2>&1 & pid=$!\n\
         for i in $(seq 100); do netscript --in w ls 2> /dev/null | grep -q 'namespace h3' && break; sleep 0.05; done\n\
         netscript down w; wait $pid; echo run=$?\n\
         {LEFT}"
    ));
    assert!(
        run.stdout
            .starts_with("world \"w\": removed with everything in it"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout
            .ends_with("run=137\nkeepers=0\nlinks=1 netns=0\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_world_killed_while_being_made_is_recorded_or_gone() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    // SIGKILL at points all through making the world and building in it:
    // a keeper is never left that no record names.
    let run = sb.sh_own_pids(&format!(
        "for d in 0 0.001 0.002 0.004 0.006 0.01 0.02 0.04 0.08; do\n\
           netscript --sandbox=w lab.rhai > /dev/null 2>&1 & pid=$!\n\
           sleep $d; kill -9 $pid; wait $pid 2> /dev/null; sleep 0.2\n\
           k=$(ps -e -o args | grep -c '^netscript world w$')\n\
           r=$(ls /run/netscript/worlds/w.json 2> /dev/null | wc -l)\n\
           echo $k$r\n\
           netscript down w > /dev/null 2>&1\n\
         done\n\
         {LEFT}"
    ));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{}{}", run.stdout, run.stderr);
    for line in &lines[..9] {
        assert!(*line == "00" || *line == "11", "{}", run.stdout);
    }
    assert_eq!(
        lines[9..],
        ["keepers=0", "links=1 netns=0"],
        "{}",
        run.stdout
    );
}

#[test]
fn a_damaged_record_or_an_unusable_run_is_reported_not_guessed() {
    let sb = Sandbox::new();
    sb.file("lab.rhai", LAB);
    let run = sb.sh_own_pids(
        "netscript --sandbox=d lab.rhai 2> /dev/null\n\
         echo garbage > /run/netscript/worlds/d.json\n\
         netscript ls\n\
         netscript down d 2>&1; echo status=$?\n\
         echo keepers=$(ps -e -o args | grep -c '^netscript world d$')\n\
         mount -o remount,ro /run\n\
         netscript --sandbox=ro lab.rhai 2>&1; echo status=$?\n\
         netscript --sandbox lab.rhai > /dev/null && echo throwaway-ok\n\
         echo keepers=$(ps -e -o args | grep -c '^netscript world')",
    );
    assert_eq!(
        run.stdout,
        "world d  (its record /run/netscript/worlds/d.json is damaged; netscript down d says more)\n\
         netscript: cannot find world \"d\": its record /run/netscript/worlds/d.json is damaged\n  \
         help: its keeper shows as \"netscript world d\" in ps: kill it, then remove the record\n\
         status=1\n\
         keepers=1\n\
         netscript: cannot make world \"ro\": read-only file system (EROFS)\n\
         status=1\n\
         throwaway-ok\n\
         keepers=1\n",
        "{}",
        run.stderr
    );
}

#[test]
fn a_record_naming_another_process_is_not_obeyed() {
    let sb = Sandbox::new();
    // A forged record: the pid and start time of a process that is no
    // keeper. ls does not list it, and down does not signal it.
    let run = sb.sh_own_pids(
        "sleep 60 & pid=$!\n\
         start=$(cut -d')' -f2 /proc/$pid/stat | awk '{print $20}')\n\
         mkdir -p /run/netscript/worlds && chmod 700 /run/netscript/worlds\n\
         echo \"{\\\"pid\\\": $pid, \\\"start\\\": $start, \\\"created\\\": 0}\" > /run/netscript/worlds/x.json\n\
         netscript ls; netscript down x; echo status=$?\n\
         kill -0 $pid && echo sleep-alive; kill $pid",
    );
    assert_eq!(
        run.stdout, "no labs are up\nstatus=1\nsleep-alive\n",
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no lab named \"x\" is up"),
        "{}",
        run.stderr
    );
}

/// `ls -q` is the names of the labs here, one per line: a world's header
/// and the labs inside it are left out (`ls` shows them).
#[test]
fn ls_quiet_is_the_labs_here_only() {
    let sb = Sandbox::new();
    sb.file("inside.rhai", "netns::add(\"a\");\n");
    sb.file("here.rhai", "netns::add(\"b\");\n");
    let run = sb.sh_own_pids(
        "netscript --sandbox=w1 inside.rhai && netscript here.rhai && \
         echo '== -q' && netscript ls -q && echo '== plain' && netscript ls | grep -c 'world w1\\|inside'; \
         netscript down w1 > /dev/null",
    );
    assert_eq!(run.stdout, "== -q\nhere\n== plain\n2\n", "{}", run.stderr);
}
