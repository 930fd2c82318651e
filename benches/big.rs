//! The big benchmark of issue 24: working labs of many hosts, netscript
//! against `ip -batch` building the same lab with the same static entries,
//! side by side in one run, rounds alternating the methods.
//!
//! 1. A working star of N hosts (default 1000): each host hI's eth0
//!    (10.10.x.y/16) is a veth end whose other end vI is a port of br0
//!    (10.10.255.254/16) in the root of the sandbox; working means built
//!    and every host answering a ping from the hub. netscript runs
//!    `scripts/star.rhai N static [ipv4]`: `lab::static_neighbours` gives
//!    the hub and each host permanent neighbour entries for each other, and
//!    br0 a static forwarding entry per host. ip -batch makes the same
//!    entries (MACs chosen at creation, `neigh replace ... nud permanent`,
//!    `bridge -batch` of `fdb replace`: a bridge may have learned a MAC
//!    already), one `ip -n hI -batch` per host, then
//!    one `ping` per host from the hub, all at once, retrying the lost ones.
//!    Its hosts without IPv6 take `ip -all netns exec sysctl` before any
//!    link is made (no batch line sets a sysctl), timed apart.
//! 2. The tree of `scripts/big-lab.rhai` (default 10,000 hosts): in a
//!    namespace "fabric" without IPv6, root bridge t0 (10.3.255.254/16) and
//!    a leaf bridge tB per 100 hosts (tBup, its port, peer of tBdn, t0's);
//!    host hI (no IPv6) has eth0 = 10.3.0.0 + I, its peer pI a port of its
//!    leaf. Static entries as above, then the fabric pings every host.
//!    Timed: built and reached, then torn down until the kernel has
//!    dismantled every namespace (`WAIT_FREED`). Memory per host: the drop
//!    of MemAvailable over the build, and the growth of the kernel's own.
//!
//! Every run gets a fresh sandbox (`unshare --net --mount`, a private /run)
//! on a quiet machine. Prints medians, the ratio netscript / ip -batch
//! (below 1: netscript is faster), netscript's peak RSS (/usr/bin/time)
//! and the targets of issue 24.
//!
//!     sudo cargo bench --bench big                 # star 1000 (3 rounds), tree 10000 (1 round)
//!     sudo cargo bench --bench big -- 1000 2000 1  # star N, tree N, rounds of both
//!     sudo cargo bench --bench big -- 0 10000      # N = 0 skips a part

mod common;
use common::median;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const NETSCRIPT: &str = env!("CARGO_BIN_EXE_netscript");
const STAR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/star.rhai");
const BIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/big-lab.rhai");
/// The hub's MAC for the ip -batch methods, set when the bridge is made.
const HUB_MAC: &str = "02:00:00:ff:ff:fe";
const PER_LEAF: usize = 100;
const IPV6_OFF: &str = "ip -all netns exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
                        net.ipv6.conf.default.disable_ipv6=1 >/dev/null";
/// MemAvailable, and the kernel's own memory (slab, per-CPU, vmalloc):
/// the first also moves with anything else running (a build: 100s of MB).
const MEM: &str = "awk '/^MemAvailable:/ { a = $2 } /^(Slab|Percpu|VmallocUsed):/ { k += $2 } \
                   END { print a, k }' /proc/meminfo >> /run/mem";
/// Until the kernel has dismantled every namespace deleted so far: it does
/// so in order (one batch after the other), so a probe namespace deleted
/// now goes, and its veth's end in the root with it, only after them.
const WAIT_FREED: &str = "ip netns add probe\n\
    ip link add probe type veth peer name probe netns probe\n\
    ip netns delete probe\n\
    while ip link show probe >/dev/null 2>&1; do sleep 0.01; done";
/// At most this many `ping` processes at once (pid_max is often 32768).
const WAVE: usize = 1000;

fn star_addr(i: usize) -> String {
    format!("10.10.{}.{}", i / 250, i % 250 + 1)
}

/// `addr::host("10.3.0.0/16", i)`.
fn tree_addr(i: usize) -> String {
    format!("10.3.{}.{}", i >> 8, i & 255)
}

fn mac(i: usize) -> String {
    format!("02:00:00:00:{:02x}:{:02x}", i >> 8, i & 255)
}

/// One way of building the lab.
struct Method {
    name: &'static str,
    /// Timed apart, summed: namespaces, IPv6 off, the rest (until every
    /// host has answered the hub).
    build: [String; 3],
    down: String,
    /// The index of the ip -batch method it is compared with.
    versus: Option<usize>,
}

/// netscript `args`: its peak RSS in /run/rss if /usr/bin/time is there,
/// its output on stderr (a failure shows it; stdout is for the stamps).
fn netscript(name: &'static str, args: String, down: &str, versus: usize) -> Method {
    let run = format!("{NETSCRIPT} {args} >&2");
    let build = format!(
        "if [ -x /usr/bin/time ]; then /usr/bin/time -f %M -o /run/rss {run}; else {run}; fi"
    );
    let (down, versus) = (down.into(), Some(versus));
    Method {
        name,
        build: [build, ":".into(), ":".into()],
        down,
        versus,
    }
}

/// Ping every address listed in `addrs`, one `ping` process each, all at
/// once (in waves of WAVE); retry those that did not answer (up to 10
/// rounds). No single quote: it may be wrapped in `bash -c '...'`.
fn ping_loop(addrs: &Path) -> String {
    format!(
        "pending=$(cat {})\n\
         for try in 1 2 3 4 5 6 7 8 9 10; do\n\
           rm -f /run/lost; k=0\n\
           for a in $pending; do (ping -c 1 -W 1 -q $a >/dev/null 2>&1 || echo $a >> /run/lost) &\n\
             k=$((k + 1)); [ $((k % {WAVE})) -ne 0 ] || wait; done; wait\n\
           [ -s /run/lost ] || break; pending=$(cat /run/lost)\n\
         done\n\
         [ ! -s /run/lost ] || {{ echo unreachable: $(cat /run/lost) >&2; exit 1; }}\n",
        addrs.display()
    )
}

/// Write each host's batch file (`TAG-hI`: its address, the hub's MAC)
/// and the file of their addresses (`TAG-addrs`); the commands that run
/// the batches, one `ip -n hI -batch` each.
fn hosts(tag: &str, n: usize, addr: fn(usize) -> String, hub: &str, dir: &Path) -> String {
    let mut all = String::new();
    for i in 1..=n {
        let batch = format!(
            "link set lo up\naddr add {}/16 dev eth0\nlink set eth0 up\n\
             neigh replace {hub} lladdr {HUB_MAC} dev eth0 nud permanent\n",
            addr(i)
        );
        write(dir, &format!("{tag}-h{i}"), &batch);
        all += &format!("{}\n", addr(i));
    }
    write(dir, &format!("{tag}-addrs"), &all);
    let dir = dir.display();
    format!("for i in $(seq {n}); do ip -n h$i -batch {dir}/{tag}-h$i; done\n")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn star_ip(name: &'static str, n: usize, ipv6: bool, dir: &Path) -> Method {
    let mut ns = String::new();
    let mut root = format!(
        "link add br0 address {HUB_MAC} type bridge\naddr add 10.10.255.254/16 dev br0\nlink set br0 up\n"
    );
    let mut fdb = String::new();
    for i in 1..=n {
        let (mac, addr) = (mac(i), star_addr(i));
        ns += &format!("netns add h{i}\n");
        root += &format!(
            "link add v{i} type veth peer name eth0 netns h{i} address {mac}\n\
             link set v{i} master br0\nlink set v{i} up\n\
             neigh replace {addr} lladdr {mac} dev br0 nud permanent\n"
        );
        fdb += &format!("fdb replace {mac} dev v{i} master static\n");
    }
    let hosts = hosts("star", n, star_addr, "10.10.255.254", dir);
    let ping = ping_loop(&dir.join("star-addrs"));
    Method {
        name,
        build: [
            format!("ip -batch {}", write(dir, "star-ns", &ns)),
            if ipv6 { ":".into() } else { IPV6_OFF.into() },
            format!(
                "ip -batch {}\nbridge -batch {}\n{hosts}{ping}",
                write(dir, "star-root", &root),
                write(dir, "star-fdb", &fdb),
            ),
        ],
        down: ":".into(),
        versus: None,
    }
}

fn tree_ip(n: usize, dir: &Path) -> Method {
    let mut ns = String::from("netns add fabric\n");
    let mut fabric = format!(
        "link set lo up\nlink add t0 address {HUB_MAC} type bridge\n\
         addr add 10.3.255.254/16 dev t0\nlink set t0 up\n"
    );
    let mut fdb = String::new();
    for i in 1..=n {
        let b = (i - 1) / PER_LEAF + 1;
        if (i - 1) % PER_LEAF == 0 {
            fabric += &format!(
                "link add t{b} type bridge\nlink set t{b} up\n\
                 link add t{b}up type veth peer name t{b}dn\n\
                 link set t{b}up master t{b}\nlink set t{b}dn master t0\n\
                 link set t{b}up up\nlink set t{b}dn up\n"
            );
            // Towards the hub, as lab::static_neighbours does.
            fdb += &format!("fdb replace {HUB_MAC} dev t{b}up master static\n");
        }
        let (mac, addr) = (mac(i), tree_addr(i));
        ns += &format!("netns add h{i}\n");
        fabric += &format!(
            "link add p{i} type veth peer name eth0 netns h{i} address {mac}\n\
             link set p{i} master t{b}\nlink set p{i} up\n\
             neigh replace {addr} lladdr {mac} dev t0 nud permanent\n"
        );
        fdb += &format!(
            "fdb replace {mac} dev p{i} master static\nfdb replace {mac} dev t{b}dn master static\n"
        );
    }
    let hosts = hosts("tree", n, tree_addr, "10.3.255.254", dir);
    let ping = ping_loop(&dir.join("tree-addrs"));
    Method {
        name: "ip -batch",
        build: [
            format!("ip -batch {}", write(dir, "tree-ns", &ns)),
            // The fabric and the hosts, before any link is made.
            IPV6_OFF.into(),
            format!(
                "ip -n fabric -batch {}\nbridge -n fabric -batch {}\n{hosts}\
                 ip netns exec fabric bash -ec '{ping}'",
                write(dir, "tree-fabric", &fabric),
                write(dir, "tree-fdb", &fdb),
            ),
        ],
        down: format!("ip -all netns delete\n{WAIT_FREED}"),
        versus: None,
    }
}

/// Run `phases` in a fresh sandbox once the machine is quiet: the wall
/// time of each, netscript's peak RSS (KiB), the readings in /run/mem.
fn sandboxed(what: &str, phases: &[&str]) -> (Vec<Duration>, Option<u64>, Vec<i64>) {
    let readings = ["cat /run/rss 2>/dev/null", "cat /run/mem 2>/dev/null"];
    let (times, nums) = common::sandboxed(what, Duration::from_secs(60), phases, &readings);
    let rss = nums[0].first().map(|&k| k as u64);
    (times, rss, nums[1].iter().map(|&k| k as i64).collect())
}

/// A method's medians: built (and every host reached), of which IPv6
/// off, torn down; memory per host in KiB over the build (MemAvailable's
/// drop, the kernel's own growth: `MEM`); netscript's peak RSS in KiB.
struct Summary([Duration; 3], [i64; 2], Option<u64>);

fn measure(part: &str, n: usize, rounds: usize, methods: &[Method]) -> Vec<Summary> {
    let mut runs: Vec<Vec<_>> = methods.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        eprint!("\r{part}, N={n}: round {}/{rounds}", round + 1);
        // Interleaved, so every method meets the same machine.
        for (m, runs) in methods.iter().zip(&mut runs) {
            let [a, b, c] = &m.build;
            let phases = [MEM, a, b, c, MEM, &m.down];
            let (t, rss, mem) = sandboxed(&format!("{} N={n}", m.name), &phases);
            let kib = match mem[..] {
                [a0, k0, a1, k1] => [(a0 - a1) / n as i64, (k1 - k0) / n as i64],
                _ => [0, 0],
            };
            runs.push(([t[1] + t[2] + t[3], t[2], t[5]], kib, rss));
        }
    }
    eprintln!();
    let summary = |r: Vec<([Duration; 3], [i64; 2], Option<u64>)>| {
        Summary(
            [0, 1, 2].map(|i| median(r.iter().map(|x| x.0[i]).collect())),
            [0, 1].map(|i| median(r.iter().map(|x| x.1[i]).collect())),
            r.iter().filter_map(|x| x.2).max(),
        )
    };
    runs.into_iter().map(summary).collect()
}

fn secs(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        return "-".into();
    }
    format!("{:.3}s", d.as_secs_f64())
}

fn print_table(title: &str, methods: &[Method], r: &[Summary]) {
    println!("\n{title}");
    println!(
        "| method | built + every host reached | of which IPv6 off | torn down | \
         memory per host: MemAvailable drop / kernel's | peak RSS | build ratio | teardown ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (m, s) in methods.iter().zip(r) {
        let ratio = |i: usize| match m.versus {
            Some(v) if secs(s.0[i]) != "-" && secs(r[v].0[i]) != "-" => {
                format!("{:.2}", s.0[i].as_secs_f64() / r[v].0[i].as_secs_f64())
            }
            _ => "-".into(),
        };
        let rss =
            s.2.map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        let [built, off, down] = s.0.map(secs);
        let ([avail, kernel], b, d) = (s.1, ratio(0), ratio(2));
        println!(
            "| {} | {built} | {off} | {down} | {avail} / {kernel} KiB | {rss} | {b} | {d} |",
            m.name
        );
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("arguments: star N, tree N, rounds"))
        .collect();
    let star_n = args.first().copied().unwrap_or(1000);
    let tree_n = args.get(1).copied().unwrap_or(10000);
    assert!(tree_n <= 65000, "the tree has room for 65000 hosts");
    let rounds = args.get(2).copied();
    let found = Command::new("sh")
        .args(["-c", "command -v ping ip bridge unshare"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "needs ping (iputils-ping), ip, bridge (iproute2), unshare (util-linux)"
    );
    let dir = tempfile::tempdir().unwrap().keep();
    println!(
        "big benchmark: medians; ratio = netscript / ip -batch (below 1: netscript is faster)"
    );
    // (judged at this size, met, what)
    let mut targets = Vec::new();
    if star_n > 0 {
        let (n, rounds) = (star_n, rounds.unwrap_or(3));
        let ours = |name, ipv4, versus| {
            let args = format!("--lab star {STAR} {n} static{ipv4}");
            netscript(name, args, ":", versus)
        };
        let methods = [
            ours("netscript, hosts with IPv6", "", 1),
            star_ip("ip -batch, hosts with IPv6", n, true, &dir),
            ours("netscript, hosts without IPv6", " ipv4", 3),
            star_ip("ip -batch, hosts without IPv6", n, false, &dir),
        ];
        let r = measure("working star", n, rounds, &methods);
        let title = format!("working star, N = {n}, {rounds} rounds (not torn down)");
        print_table(&title, &methods, &r);
        for (t, hosts) in [(r[0].0[0], "with"), (r[2].0[0], "without")] {
            let what = format!(
                "working star N=1000 <= 2.0 s (hosts {hosts} IPv6): {}",
                secs(t)
            );
            targets.push((n == 1000, t.as_secs_f64() <= 2.0, what));
        }
    }
    if tree_n > 0 {
        let (n, rounds) = (tree_n, rounds.unwrap_or(1));
        let down = format!("{NETSCRIPT} down big >&2\n{WAIT_FREED}");
        let methods = [
            netscript("netscript", format!("--lab big {BIG} {n}"), &down, 1),
            tree_ip(n, &dir),
        ];
        let r = measure("tree", n, rounds, &methods);
        let title = format!(
            "tree of {n} hosts (scripts/big-lab.rhai), {rounds} rounds; \
             torn down = until the kernel has dismantled every namespace"
        );
        print_table(&title, &methods, &r);
        let [built, _, down] = r[0].0;
        let what = format!("10,000 hosts built and reachable <= 30 s: {}", secs(built));
        targets.push((n == 10000, built.as_secs_f64() <= 30.0, what));
        let what = format!("10,000 hosts torn down <= 15 s: {}", secs(down));
        targets.push((n == 10000, down.as_secs_f64() <= 15.0, what));
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("\ntargets (issue 24)");
    for (judged, met, what) in targets {
        match (judged, met) {
            (false, _) => println!("not judged (another N): {what}"),
            (true, true) => println!("met:     {what}"),
            (true, false) => println!("NOT MET: {what}"),
        }
    }
}
