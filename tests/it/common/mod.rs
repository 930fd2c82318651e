//! Test harness: every test runs in its own private network + mount
//! namespace (`unshare --net --mount`) with its own /run, /run/netns and
//! /sys, so nothing reaches the machine's network and all of it vanishes
//! when the test's shell exits. `ip -j` inside the same sandbox is the
//! independent oracle.

#![allow(dead_code)]

pub mod api;
pub mod examples;
pub mod vm;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a command left behind.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(
            self.status, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A temporary directory plus a way to run shell lines in a fresh sandbox.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

const PRELUDE: &str = "set -e\n\
    mount -t tmpfs tmpfs /run\n\
    mkdir -p /run/netns\n\
    mount -t sysfs sysfs /sys\n\
    ip link set lo up\n\
    set +e\n";

pub fn netscript_bin() -> &'static str {
    env!("CARGO_BIN_EXE_netscript")
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file into the test's directory.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).expect("write test file");
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// Run `script` with bash inside a fresh sandbox, in the test directory,
    /// with `netscript` on PATH.
    pub fn sh(&self, script: &str) -> Run {
        self.sh_with(&[], script)
    }

    /// `sh`, with a PID namespace of the test's own too: whatever the
    /// script leaves running (a world's keeper) ends with the test's shell.
    pub fn sh_own_pids(&self, script: &str) -> Run {
        self.sh_with(&["--pid", "--fork", "--mount-proc"], script)
    }

    fn sh_with(&self, more: &[&str], script: &str) -> Run {
        let bin_dir = Path::new(netscript_bin()).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("unshare")
            .args(["--net", "--mount", "--propagation", "private"])
            .args(more)
            .args(["--", "bash", "-c"])
            .arg(format!("{PRELUDE}{script}"))
            .current_dir(self.dir.path())
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS")
            .stdin(Stdio::null())
            .output()
            .expect("run unshare");
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run a Rhai script with `netscript` (no --sandbox: the harness's
    /// sandbox plays the host), then nothing else.
    pub fn script(&self, code: &str) -> Run {
        self.file("test.rhai", code);
        self.sh("netscript test.rhai")
    }

    /// Run a Rhai script, then `oracle` shell lines in the same sandbox;
    /// the oracle's stdout is returned separately.
    pub fn script_then(&self, code: &str, oracle: &str) -> (Run, String) {
        self.file("test.rhai", code);
        let run = self.sh(&format!(
            "netscript test.rhai > script.out 2> script.err; echo $? > script.code\n{oracle}"
        ));
        let script = Run {
            status: self.read("script.code").trim().parse().unwrap(),
            stdout: self.read("script.out"),
            stderr: self.read("script.err"),
        };
        (script, format!("{}{}", run.stdout, run.stderr))
    }
}

/// The optional link kinds and qdiscs `netscript doctor` probes.
pub const DOCTOR_OPTIONAL: &[&str] = &[
    "dummy links",
    "802.1Q VLAN links",
    "VRF",
    "macvlan links",
    "VXLAN tunnels",
    "bridge VLAN filtering",
    "netem (l.netem)",
    "tbf (l.shape)",
    "nftables (ns.masquerade, ns.publish, ns.nft)",
];

/// Parse `ip -j` output.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Run a Rhai script in a fresh sandbox and require it to succeed; its
/// asserts are `if !cond { throw "..." }`.
#[track_caller]
pub fn script_ok(code: &str) -> String {
    let sb = Sandbox::new();
    let run = sb.script(code);
    run.success();
    run.stdout
}
