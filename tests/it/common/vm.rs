//! A sandbox that is a whole machine: a stock Debian kernel booted under
//! QEMU (software emulation: no network card, nothing shared but files),
//! for link kinds and qdiscs the test machines' own kernel lacks (dummy,
//! 802.1Q VLAN, netem, VRF, bridge VLAN filtering). The host's file
//! system is shared read-only, so the VM runs the very netscript, `ip` and
//! `tc` binaries under test; the test's directory is shared read-write at
//! the same path. `tests/vm/kernel.sh` fetches and prepares the kernel.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Run, Sandbox, netscript_bin};

/// Longest a VM may run before the test fails (a boot takes about 6 s).
const DEADLINE: Duration = Duration::from_secs(300);

/// The prepared kernel and initramfs, made once per machine.
fn kernel() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-kernel");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vm/kernel.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(&dir)
        .output()
        .expect("run tests/vm/kernel.sh");
    assert!(
        out.status.success(),
        "tests/vm/kernel.sh could not prepare the test kernel (it needs Debian's apt-get, \
         dpkg-deb, depmod, cpio and busybox-static; `.ci/run` installs them):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir.join("vmlinuz"), dir.join("initrd.gz"))
}

/// A temporary directory (a `Sandbox`'s, for `file`, `read` and `path`)
/// plus a way to run a shell script on a fresh VM.
pub struct Vm {
    sb: Sandbox,
}

impl std::ops::Deref for Vm {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sb
    }
}

impl Vm {
    pub fn new() -> Self {
        Vm { sb: Sandbox::new() }
    }

    /// Boot a VM and run `script` with bash as its only work, in the test
    /// directory, with `netscript` on PATH, a fresh /run, /run/netns
    /// and /sys, and lo up; then the VM powers off.
    pub fn sh(&self, script: &str) -> Run {
        let (vmlinuz, initrd) = kernel();
        self.file("run.sh", script);
        let dir = self.path().to_str().expect("a UTF-8 temp dir");
        let bin_dir = Path::new(netscript_bin()).parent().unwrap();
        for path in [dir, bin_dir.to_str().unwrap_or(" ")] {
            // The kernel command line splits at spaces, -virtfs at commas.
            assert!(
                !path.contains([' ', ',']),
                "the VM cannot be given {path:?}"
            );
        }
        let append = format!(
            "console=ttyS0 quiet panic=-1 NETSCRIPT_DIR={dir} NETSCRIPT_PATH={}",
            bin_dir.display()
        );
        let mut qemu = Command::new("qemu-system-x86_64");
        // SAFETY: prctl in the child before exec; it allocates nothing.
        // QEMU dies with the test's thread, even one killed with SIGKILL.
        unsafe {
            qemu.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut qemu = qemu
            .args(["-accel", "tcg", "-m", "1G", "-smp", "1"])
            .args(["-display", "none", "-monitor", "none", "-no-reboot"])
            .args(["-nic", "none"])
            .arg("-serial")
            .arg(format!("file:{dir}/console.log"))
            .arg("-virtfs")
            .arg("local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap")
            .arg("-virtfs")
            .arg(format!(
                "local,path={dir},mount_tag=work,security_model=none"
            ))
            .arg("-kernel")
            .arg(&vmlinuz)
            .arg("-initrd")
            .arg(&initrd)
            .arg("-append")
            .arg(append)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start qemu-system-x86_64 (Debian's qemu-system-x86; `.ci/run` installs it)");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = qemu.try_wait().expect("wait for qemu") {
                break status;
            }
            if started.elapsed() > DEADLINE {
                qemu.kill().ok();
                qemu.wait().ok();
                panic!(
                    "the VM ran for more than {DEADLINE:?}; its console:\n{}",
                    std::fs::read_to_string(self.path().join("console.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let console = std::fs::read_to_string(self.path().join("console.log")).unwrap_or_default();
        let Ok(code) = std::fs::read_to_string(self.path().join("vm.status")) else {
            let mut err = String::new();
            if let Some(mut e) = qemu.stderr.take() {
                std::io::Read::read_to_string(&mut e, &mut err).ok();
            }
            panic!(
                "the VM ended ({status}) before the script did; qemu said:\n{err}\nconsole:\n{console}"
            );
        };
        Run {
            status: code.trim().parse().expect("a status"),
            stdout: self.read("vm.stdout"),
            stderr: self.read("vm.stderr"),
        }
    }
}
