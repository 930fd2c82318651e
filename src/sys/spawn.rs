//! Background processes in a namespace (servers, traffic generators):
//! started with their output collected, and stopped before their namespace
//! is deleted and when netscript exits, unless started detached.

use std::cell::RefCell;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::command::{self, Options, Target};
use super::exec::status_code;
use crate::error::{Error, Kind, Result};

/// Output kept per stream: the most recent bytes.
const KEEP: usize = 1 << 20;

pub struct Spawned {
    child: Child,
    pub pid: u32,
    pub argv: Vec<String>,
    /// Name of the namespace it runs in ("host" for the starting one).
    pub netns: String,
    stdout: Collected,
    stderr: Collected,
    status: Option<i32>,
    pub detached: bool,
}

pub type Process = Rc<RefCell<Spawned>>;

thread_local! {
    static ALL: RefCell<Vec<Process>> = const { RefCell::new(Vec::new()) };
}

/// Output read so far, and whether the pipe has reached its end.
type Collected = (Arc<Mutex<Vec<u8>>>, Arc<std::sync::atomic::AtomicBool>);

fn collect(pipe: Option<impl Read + Send + 'static>) -> Collected {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(pipe.is_none()));
    let sink = buf.clone();
    let finished = done.clone();
    if let Some(mut p) = pipe {
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = p.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut b = sink.lock().unwrap_or_else(|e| e.into_inner());
                b.extend_from_slice(&chunk[..n]);
                if b.len() > KEEP {
                    let cut = b.len() - KEEP;
                    b.drain(..cut);
                }
            }
            finished.store(true, std::sync::atomic::Ordering::SeqCst);
        });
    }
    (buf, done)
}

/// Start `argv` in the background inside `target`. It gets its own process
/// group (so Ctrl-C at the REPL leaves it running) and, unless `detach`,
/// dies with netscript.
pub fn spawn(target: &Target, argv: &[String], opts: &Options, detach: bool) -> Result<Process> {
    let mut cmd = command::build(target, argv, opts)?;
    let stdin = if opts.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setpgid and prctl are async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(move || {
            libc::setpgid(0, 0);
            let on_death = if detach { 0 } else { libc::SIGTERM };
            libc::prctl(libc::PR_SET_PDEATHSIG, on_death, 0, 0, 0);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| command::spawn_error(&argv[0], target, &e))?;
    command::feed_stdin(&mut child, opts);
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());
    let process = Rc::new(RefCell::new(Spawned {
        pid: child.id(),
        child,
        argv: argv.to_vec(),
        netns: target.label().to_string(),
        stdout,
        stderr,
        status: None,
        detached: detach,
    }));
    ALL.with(|all| all.borrow_mut().push(process.clone()));
    Ok(process)
}

impl Spawned {
    /// Its exit status, once it has exited.
    pub fn status(&mut self) -> Option<i32> {
        if self.status.is_none()
            && let Ok(Some(s)) = self.child.try_wait()
        {
            self.status = Some(status_code(s));
            self.drain();
        }
        self.status
    }

    /// After exit: let the output readers reach the end of their pipes, so
    /// `output()` has everything (bounded: a daemonized grandchild may hold
    /// a pipe open).
    fn drain(&self) {
        use std::sync::atomic::Ordering;
        let start = Instant::now();
        while !(self.stdout.1.load(Ordering::SeqCst) && self.stderr.1.load(Ordering::SeqCst))
            && start.elapsed() < Duration::from_millis(500)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn alive(&mut self) -> bool {
        self.status().is_none()
    }

    /// Wait for it to exit (at most `timeout`); Ctrl-C at the REPL stops
    /// the wait, not the process.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<i32> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.status() {
                return Ok(s);
            }
            if timeout.is_some_and(|t| start.elapsed() >= t) {
                return Err(Error::new(
                    Kind::Timeout,
                    format!(
                        "wait for `{}` (pid {})",
                        command::display(&self.argv),
                        self.pid
                    ),
                    "it is still running",
                ));
            }
            if crate::interrupt::requested() {
                return Err(Error::new(
                    Kind::Timeout,
                    format!("wait for pid {}", self.pid),
                    "interrupted",
                ));
            }
            let left = timeout.map_or(Duration::from_millis(100), |t| {
                t.saturating_sub(start.elapsed())
            });
            super::pidfd::wait_exit(self.pid, left.min(Duration::from_millis(100)));
        }
    }

    /// Stop it: SIGTERM to its process group, SIGKILL if it is still there
    /// after a second. Returns its exit status.
    pub fn stop(&mut self) -> i32 {
        if let Some(s) = self.status() {
            return s;
        }
        let group = Pid::from_raw(-(self.pid as i32));
        let _ = kill(group, Signal::SIGTERM);
        super::pidfd::wait_exit(self.pid, Duration::from_secs(1));
        if self.status().is_none() {
            let _ = kill(group, Signal::SIGKILL);
            if let Ok(s) = self.child.wait() {
                self.status = Some(status_code(s));
                self.drain();
            }
        } else {
            // The leader is gone; make sure the rest of its group is too.
            let _ = kill(group, Signal::SIGKILL);
        }
        self.status.unwrap_or(-1)
    }

    /// What it wrote so far: (stdout, stderr).
    pub fn output(&self) -> (String, String) {
        let text = |(b, _): &Collected| {
            String::from_utf8_lossy(&b.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
        };
        (text(&self.stdout), text(&self.stderr))
    }
}

/// Stop the processes started in namespace `netns` (before it is deleted),
/// detached ones included: their namespace is going away.
pub fn stop_in(netns: &str) {
    for p in everything() {
        let mut p = p.borrow_mut();
        if p.netns == netns {
            p.stop();
        }
    }
}

/// Whether a process this run spawned in the host still runs (it may
/// change the host's settings at any time).
pub fn running_in_host() -> bool {
    ALL.with(|all| {
        all.borrow()
            .iter()
            .any(|p| p.borrow().netns == "host" && p.borrow_mut().alive())
    })
}

/// Stop every process that was not started detached (netscript exits).
pub fn stop_all() {
    for p in everything() {
        let mut p = p.borrow_mut();
        if !p.detached {
            p.stop();
        }
    }
    ALL.with(|all| all.borrow_mut().clear());
}

fn everything() -> Vec<Process> {
    ALL.with(|all| all.borrow().clone())
}
