//! Build a star of N namespaces (each with a veth into bridge br0, lo and
//! its end up, an address from 10.10.0.0/16) three ways, side by side in
//! one run, each in a fresh sandbox: netscript, `ip -batch` (peers created
//! in their namespaces), and bash running one `ip` per step. Prints wall
//! times (median of rounds) and netscript's ratio to each.
//!
//!     sudo cargo bench --bench star            # N = 50 and 200, 3 rounds
//!     sudo cargo bench --bench star -- 500 5   # N = 500, 5 rounds

use std::process::Command;
use std::time::{Duration, Instant};

fn sandboxed(script: &str) -> Duration {
    let prelude = "mount -t tmpfs tmpfs /run && mkdir -p /run/netns && ip link set lo up\n";
    let start = Instant::now();
    let out = Command::new("unshare")
        .args([
            "--net",
            "--mount",
            "--propagation",
            "private",
            "--",
            "bash",
            "-e",
            "-c",
        ])
        .arg(format!("{prelude}{script}"))
        .output()
        .expect("unshare");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn addr(i: usize) -> String {
    format!("10.10.{}.{}/16", i / 250, i % 250 + 1)
}

fn netscript(n: usize, dir: &std::path::Path) -> String {
    let script = dir.join(format!("star{n}.rhai"));
    std::fs::write(
        &script,
        format!(
            "let br = bridge::add(\"br0\"); br.up();\n\
             for i in 1..={n} {{\n\
                 let h = netns::add(`h${{i}}`);\n\
                 let e = link::add_veth(\"eth0\", `v${{i}}`, #{{ netns: h }});\n\
                 e.addr_add(`10.10.${{i / 250}}.${{i % 250 + 1}}/16`);\n\
                 e.up();\n\
                 let p = e.peer; p.set_master(br); p.up();\n\
             }}\n"
        ),
    )
    .unwrap();
    format!(
        "{} --lab bench {}",
        env!("CARGO_BIN_EXE_netscript"),
        script.display()
    )
}

fn ip_batch(n: usize, dir: &std::path::Path) -> String {
    let mut host = String::from("link add br0 type bridge\nlink set br0 up\n");
    let mut inside = String::new();
    for i in 1..=n {
        host.push_str(&format!("netns add h{i}\nlink add v{i} type veth peer name eth0 netns h{i}\nlink set v{i} master br0\nlink set v{i} up\n"));
        let f = dir.join(format!("h{i}.batch"));
        std::fs::write(
            &f,
            format!(
                "link set lo up\nlink set eth0 up\naddr add {} dev eth0\n",
                addr(i)
            ),
        )
        .unwrap();
        inside.push_str(&format!("ip -n h{i} -batch {}\n", f.display()));
    }
    let f = dir.join("host.batch");
    std::fs::write(&f, host).unwrap();
    format!("ip -batch {}\n{inside}", f.display())
}

fn bash_ip(n: usize) -> String {
    let mut s = String::from("ip link add br0 type bridge\nip link set br0 up\n");
    for i in 1..=n {
        s.push_str(&format!(
            "ip netns add h{i}\nip link add v{i} type veth peer name eth0 netns h{i}\nip link set v{i} master br0\nip link set v{i} up\n\
             ip -n h{i} link set lo up\nip -n h{i} link set eth0 up\nip -n h{i} addr add {} dev eth0\n",
            addr(i)
        ));
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let sizes: Vec<usize> = match args.first().and_then(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![50, 200],
    };
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>5}  {:>10}  {:>10}  {:>10}  {:>14}  {:>14}",
        "N", "netscript", "ip -batch", "bash + ip", "vs ip -batch", "vs bash + ip"
    );
    for n in sizes {
        let methods = [
            netscript(n, dir.path()),
            ip_batch(n, dir.path()),
            bash_ip(n),
        ];
        let mut times = vec![Vec::new(); methods.len()];
        for _ in 0..rounds {
            // Interleaved, so every method meets the same machine.
            for (i, m) in methods.iter().enumerate() {
                times[i].push(sandboxed(m));
            }
        }
        let t: Vec<f64> = times.into_iter().map(|v| median(v).as_secs_f64()).collect();
        println!(
            "{n:>5}  {:>9.3}s  {:>9.3}s  {:>9.3}s  {:>13.2}x  {:>13.2}x",
            t[0],
            t[1],
            t[2],
            t[1] / t[0],
            t[2] / t[0]
        );
    }
    println!("(ratios above 1 mean netscript is faster; each time includes starting a sandbox)");
}
