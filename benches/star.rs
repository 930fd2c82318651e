//! The star benchmark of docs/performance.md: N namespaces h1..hN, each
//! with eth0 (10.10.x.y/16) one end of a veth pair whose other end is a
//! port of bridge br0 (10.10.255.254/16) in the root of a fresh sandbox.
//! Built, pinged and torn down by each method side by side in one run,
//! rounds alternating the methods:
//!
//! - netscript: `scripts/star.rhai N` (and `netscript down`);
//! - ip -batch: one batch for the root (namespaces, veths with the peer
//!   created in its namespace, ports), then one `ip -n hI -batch` per host
//!   (a batch line cannot name a namespace);
//! - bash + ip, in place: one `ip` process per step, peers created in
//!   their namespaces;
//! - bash + ip, moved: the classic tutorial, veth ends moved into the
//!   namespaces and renamed, one `ip` process per step;
//! - pyroute2: IPRoute in one Python process, peers created in place
//!   (only when `python3 -c "import pyroute2"` works);
//! - and, not as a rival but to show what IPv6 costs, netscript building
//!   the star with `netns::add(name, #{ ipv6: false })` for the hosts.
//!
//! Each run starts on a quiet machine (every core 85% idle over 200 ms):
//! the kernel frees a finished run's namespaces in the background.
//!
//! Every method builds the same lab, pings from the hub until every host
//! answers (the others with one `ping` process per host, all at once),
//! and tears down until the last veth is gone. Prints medians, the ratio
//! netscript/other (below 1 means netscript is faster), netscript's peak
//! memory (with /usr/bin/time), its start-up time, and the targets of
//! issue 7.
//!
//!     sudo cargo bench --bench star               # N = 50, 200, 1000; 3 rounds
//!     sudo cargo bench --bench star -- 200 5      # N = 200 only, 5 rounds
//!     sudo cargo bench --bench star -- 50,200 3   # N = 50 and 200

mod common;
use common::median;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const NETSCRIPT: &str = env!("CARGO_BIN_EXE_netscript");
const RECIPE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/star.rhai");

/// Wait until the root of the sandbox has no veth left.
const WAIT_VETHS: &str = "while ip -o link show type veth | grep -q .; do :; done";

fn ip(i: usize) -> String {
    format!("10.10.{}.{}", i / 250, i % 250 + 1)
}

/// One way of building the lab.
struct Method {
    name: &'static str,
    setup: String,
    /// Build, then ping from the hub until every host answers.
    setup_and_ping: String,
    teardown: String,
}

/// Ping every host from the hub, one `ping` process each, all at once;
/// retry those that did not answer (up to 10 rounds), like the recipe.
fn ping_loop(n: usize) -> String {
    let all: Vec<String> = (1..=n).map(ip).collect();
    format!(
        "pending='{}'\n\
         for try in 1 2 3 4 5 6 7 8 9 10; do\n\
           rm -f /run/lost; for a in $pending; do (ping -c 1 -W 1 -q $a >/dev/null 2>&1 || echo $a >> /run/lost) & done; wait\n\
           [ -s /run/lost ] || break; pending=$(cat /run/lost)\n\
         done\n\
         [ ! -s /run/lost ] || {{ echo unreachable: $(cat /run/lost) >&2; exit 1; }}\n",
        all.join(" ")
    )
}

fn netscript(n: usize) -> Method {
    Method {
        name: "netscript",
        setup: format!("{NETSCRIPT} --lab star {RECIPE} {n} setup >/dev/null"),
        setup_and_ping: format!(
            "if [ -x /usr/bin/time ]; then /usr/bin/time -f %M -o /run/rss {NETSCRIPT} --lab star {RECIPE} {n} >/dev/null; \
             else {NETSCRIPT} --lab star {RECIPE} {n} >/dev/null; fi"
        ),
        teardown: format!("{NETSCRIPT} down star >/dev/null"),
    }
}

/// Not a rival: netscript building the same star with `#{ ipv6: false }`
/// on the hosts, to show what IPv6 costs. Left out of the targets.
const WITHOUT_IPV6: &str = "netscript, hosts without IPv6";

fn netscript_without_ipv6(n: usize) -> Method {
    Method {
        name: WITHOUT_IPV6,
        setup: format!("{NETSCRIPT} --lab star {RECIPE} {n} setup ipv4 >/dev/null"),
        setup_and_ping: format!("{NETSCRIPT} --lab star {RECIPE} {n} ipv4 >/dev/null"),
        teardown: format!("{NETSCRIPT} down star >/dev/null"),
    }
}

fn ip_batch(n: usize, dir: &Path) -> Method {
    let mut root = String::from(
        "link add br0 type bridge\naddr add 10.10.255.254/16 dev br0\nlink set br0 up\n",
    );
    let mut inside = String::new();
    let mut down = String::new();
    for i in 1..=n {
        root.push_str(&format!(
            "netns add h{i}\nlink add v{i} type veth peer name eth0 netns h{i}\nlink set v{i} master br0\nlink set v{i} up\n"
        ));
        let f = dir.join(format!("h{i}.batch"));
        std::fs::write(
            &f,
            format!(
                "link set lo up\naddr add {}/16 dev eth0\nlink set eth0 up\n",
                ip(i)
            ),
        )
        .unwrap();
        inside.push_str(&format!("ip -n h{i} -batch {}\n", f.display()));
        down.push_str(&format!("netns delete h{i}\n"));
    }
    down.push_str("link delete br0\n");
    let root_file = dir.join("root.batch");
    let down_file = dir.join("down.batch");
    std::fs::write(&root_file, root).unwrap();
    std::fs::write(&down_file, down).unwrap();
    let setup = format!("ip -batch {}\n{inside}", root_file.display());
    Method {
        name: "ip -batch",
        setup_and_ping: format!("{setup}{}", ping_loop(n)),
        setup,
        teardown: format!("ip -batch {}\n{WAIT_VETHS}", down_file.display()),
    }
}

fn bash_ip(n: usize) -> Method {
    let mut setup = String::from(
        "ip link add br0 type bridge\nip addr add 10.10.255.254/16 dev br0\nip link set br0 up\n",
    );
    let mut down = String::new();
    for i in 1..=n {
        setup.push_str(&format!(
            "ip netns add h{i}\nip link add v{i} type veth peer name eth0 netns h{i}\n\
             ip link set v{i} master br0\nip link set v{i} up\n\
             ip -n h{i} link set lo up\nip -n h{i} addr add {}/16 dev eth0\nip -n h{i} link set eth0 up\n",
            ip(i)
        ));
        down.push_str(&format!("ip netns delete h{i}\n"));
    }
    down.push_str(&format!("ip link delete br0\n{WAIT_VETHS}"));
    Method {
        name: "bash + ip, in place",
        setup_and_ping: format!("{setup}{}", ping_loop(n)),
        setup,
        teardown: down,
    }
}

/// The classic tutorial's way (DESIGN.md): the veth is made in the root
/// and its end moved into the namespace, one `ip` process per step.
fn bash_ip_moved(n: usize) -> Method {
    let mut setup = String::from(
        "ip link add br0 type bridge\nip addr add 10.10.255.254/16 dev br0\nip link set br0 up\n",
    );
    for i in 1..=n {
        setup.push_str(&format!(
            "ip netns add h{i}\nip link add e{i} type veth peer name v{i}\nip link set e{i} netns h{i}\n\
             ip -n h{i} link set e{i} name eth0\nip link set v{i} master br0\nip link set v{i} up\n\
             ip -n h{i} link set lo up\nip -n h{i} addr add {}/16 dev eth0\nip -n h{i} link set eth0 up\n",
            ip(i)
        ));
    }
    Method {
        name: "bash + ip, moved",
        setup_and_ping: format!("{setup}{}", ping_loop(n)),
        setup,
        teardown: bash_ip(n).teardown,
    }
}

const PYROUTE2: &str = r#"
import sys
from pyroute2 import IPRoute, netns
n = int(sys.argv[2])
ipr = IPRoute()
if sys.argv[1] == "down":
    for i in range(1, n + 1):
        netns.remove(f"h{i}")
    ipr.link("del", index=ipr.link_lookup(ifname="br0")[0])
    sys.exit(0)
ipr.link("add", ifname="br0", kind="bridge")
br = ipr.link_lookup(ifname="br0")[0]
ipr.addr("add", index=br, address="10.10.255.254", prefixlen=16)
ipr.link("set", index=br, state="up")
for i in range(1, n + 1):
    netns.create(f"h{i}")
    ipr.link("add", ifname=f"v{i}", kind="veth", peer={"ifname": "eth0", "net_ns_fd": f"h{i}"})
    v = ipr.link_lookup(ifname=f"v{i}")[0]
    ipr.link("set", index=v, master=br)
    ipr.link("set", index=v, state="up")
    netns.pushns(f"h{i}")
    h = IPRoute()
    netns.popns()
    h.link("set", index=1, state="up")
    e = h.link_lookup(ifname="eth0")[0]
    h.addr("add", index=e, address=f"10.10.{i // 250}.{i % 250 + 1}", prefixlen=16)
    h.link("set", index=e, state="up")
    h.close()
"#;

fn pyroute2(n: usize, dir: &Path) -> Option<Method> {
    let has = Command::new("python3")
        .args(["-c", "import pyroute2"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        return None;
    }
    let script = dir.join("star.py");
    std::fs::write(&script, PYROUTE2).unwrap();
    let setup = format!("python3 {} up {n}\n", script.display());
    Some(Method {
        name: "pyroute2",
        setup_and_ping: format!("{setup}{}", ping_loop(n)),
        setup,
        teardown: format!("python3 {} down {n}\n{WAIT_VETHS}", script.display()),
    })
}

/// Run `phases` one after the other in a fresh sandbox once the machine
/// is quiet; the wall time of each, and netscript's peak memory in KiB if
/// it was measured.
fn sandboxed(what: &str, phases: &[&str]) -> (Vec<Duration>, Option<u64>) {
    let readings = ["cat /run/rss 2>/dev/null"];
    let (times, nums) = common::sandboxed(what, Duration::from_secs(30), phases, &readings);
    (times, nums[0].first().map(|&k| k as u64))
}

/// Above this many hosts the hub's pings are not measured: the kernel's
/// ARP table holds 1024 entries (gc_thresh3) for all namespaces together,
/// and a ping costs two (the hub's, and the host's for the hub), so pings
/// fail until entries are 5 s old and can be evicted, whatever the method.
const MAX_PINGED: usize = 500;

/// Medians per method: setup, teardown, setup + ping.
type Results = BTreeMap<&'static str, [Duration; 3]>;

fn measure(n: usize, rounds: usize, dir: &Path) -> (Results, Option<u64>) {
    let mut methods = vec![netscript(n), ip_batch(n, dir), bash_ip(n), bash_ip_moved(n)];
    methods.extend(pyroute2(n, dir));
    methods.push(netscript_without_ipv6(n));
    let mut samples: Vec<[Vec<Duration>; 3]> = methods.iter().map(|_| Default::default()).collect();
    let mut rss = None;
    for round in 0..rounds {
        eprint!("\rN={n}: round {}/{rounds}", round + 1);
        // Interleaved, so every method meets the same machine.
        for (m, s) in methods.iter().zip(&mut samples) {
            // The lab settles (untimed) before it is torn down: teardown
            // measures removing a lab that is up, not one whose addresses
            // and multicast reports are still being set up by the kernel.
            let what = format!("{} N={n}", m.name);
            let (t, _) = sandboxed(&what, &[&m.setup, "sleep 2", &m.teardown]);
            s[0].push(t[0]);
            s[1].push(t[2]);
            if n <= MAX_PINGED {
                let what = format!("{} N={n} with ping", m.name);
                let (t, kib) = sandboxed(&what, &[&m.setup_and_ping]);
                s[2].push(t[0]);
                rss = rss.max(kib);
            }
        }
    }
    eprintln!();
    let results = methods
        .iter()
        .zip(samples)
        .map(|(m, [a, b, c])| (m.name, [median(a), median(b), median(c)]))
        .collect();
    (results, rss)
}

/// Median wall time of `netscript` running an empty script.
fn startup(dir: &Path) -> Duration {
    let empty = dir.join("empty.rhai");
    std::fs::write(&empty, "").unwrap();
    let runs = (0..21)
        .map(|_| {
            let start = Instant::now();
            let ok = Command::new(NETSCRIPT)
                .arg(&empty)
                .status()
                .unwrap()
                .success();
            assert!(ok);
            start.elapsed()
        })
        .collect();
    median(runs)
}

fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn print_table(n: usize, r: &Results, rss: Option<u64>) {
    let ours = r["netscript"];
    println!("\nN = {n}");
    println!(
        "| method | setup | teardown | setup + ping from the hub | setup ratio | teardown ratio | ping ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, t) in r {
        let ratio = |i: usize| {
            if t[i].is_zero() {
                "-".to_string()
            } else {
                format!("{:.2}", ours[i].as_secs_f64() / t[i].as_secs_f64())
            }
        };
        let secs = |d: Duration| {
            if d.is_zero() {
                "-".to_string()
            } else {
                secs(d)
            }
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            secs(t[0]),
            secs(t[1]),
            secs(t[2]),
            ratio(0),
            ratio(1),
            ratio(2)
        );
    }
    if n > MAX_PINGED {
        println!(
            "(no pings above {MAX_PINGED} hosts: the kernel's ARP table, 1024 entries for all namespaces, is the limit)"
        );
    }
    if let Some(kib) = rss {
        println!(
            "netscript peak memory (build + ping): {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
}

fn verdict(ok: bool, what: String) {
    println!("{} {what}", if ok { "met:    " } else { "NOT MET:" });
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let sizes: Vec<usize> = match args.first() {
        Some(list) => list
            .split(',')
            .map(|n| n.parse().expect("sizes: a number or a list like 50,200"))
            .collect(),
        None => vec![50, 200, 1000],
    };
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    for (tool, package) in [
        ("ping", "iputils-ping"),
        ("ip", "iproute2"),
        ("unshare", "util-linux"),
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "the benchmark needs `{tool}`: apt-get install {package}"
        );
    }
    let dir: PathBuf = tempfile::tempdir().unwrap().keep();
    println!(
        "star benchmark: {} rounds, medians; ratio = netscript / method (below 1: netscript is faster)",
        rounds
    );
    let start = startup(&dir);
    println!(
        "netscript start-up (empty script): {:.1} ms",
        start.as_secs_f64() * 1000.0
    );
    let mut all = BTreeMap::new();
    for &n in &sizes {
        let (r, rss) = measure(n, rounds, &dir);
        print_table(n, &r, rss);
        all.insert(n, r);
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!("\ntargets (issue 7)");
    if let Some(r) = all.get(&200) {
        let ours = r["netscript"];
        let batch = r["ip -batch"];
        let bash = r["bash + ip, in place"];
        let moved = r["bash + ip, moved"];
        verdict(
            ours[0].as_secs_f64() <= 0.7 * batch[0].as_secs_f64(),
            format!(
                "setup N=200 <= 0.7 x ip -batch: {:.2}",
                ours[0].as_secs_f64() / batch[0].as_secs_f64()
            ),
        );
        verdict(
            ours[0].as_secs_f64() <= 0.1 * bash[0].as_secs_f64(),
            format!(
                "setup N=200 <= 0.1 x bash + ip: {:.2}",
                ours[0].as_secs_f64() / bash[0].as_secs_f64()
            ),
        );
        verdict(
            ours[0].as_secs_f64() <= 0.1 * moved[0].as_secs_f64(),
            format!(
                "setup N=200 <= 0.1 x bash + ip (moved, the classic lab): {:.2}",
                ours[0].as_secs_f64() / moved[0].as_secs_f64()
            ),
        );
        let best = r
            .iter()
            .filter(|(name, _)| **name != "netscript" && **name != WITHOUT_IPV6)
            .map(|(_, t)| t[1])
            .min()
            .unwrap();
        verdict(
            ours[1] <= best,
            format!(
                "teardown N=200 <= 1.0 x the best other: {:.2}",
                ours[1].as_secs_f64() / best.as_secs_f64()
            ),
        );
    }
    if let (Some(small), Some(big)) = (all.get(&50), all.get(&1000)) {
        let per_host = |r: &Results, n: f64| r["netscript"][0].as_secs_f64() / n;
        let growth = per_host(big, 1000.0) / per_host(small, 50.0);
        verdict(
            growth <= 1.5,
            format!("setup cost per host at N=1000 <= 1.5 x at N=50: {growth:.2}"),
        );
        let per_host = |r: &Results, n: f64| r[WITHOUT_IPV6][0].as_secs_f64() / n;
        let growth = per_host(big, 1000.0) / per_host(small, 50.0);
        println!("(not a target) the same growth with hosts without IPv6: {growth:.2}");
    }
    verdict(
        start <= Duration::from_millis(10),
        format!(
            "start-up of an empty script: {:.1} ms",
            start.as_secs_f64() * 1000.0
        ),
    );
}
