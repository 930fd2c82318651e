//! Running commands in a namespace: captured (`exec`), streamed (`run`),
//! or interactive on the user's terminal (`shell`).

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::command::{self, Options, Target};
use crate::error::{Error, Kind, Result};

/// What a finished command left: exit status (128 + signal when killed),
/// and its output as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn status_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Told a program's pid once it has run for a moment (most end before,
/// and are never told of); an error stops the program (and is the call's).
pub type Started<'a> = &'a dyn Fn(u32) -> Result<()>;

fn start(
    target: &Target,
    argv: &[String],
    opts: &Options,
    (stdout, stderr): (Stdio, Stdio),
) -> Result<Child> {
    if let Some(dir) = &opts.cwd
        && !std::path::Path::new(dir).is_dir()
    {
        return Err(Error::not_found(
            format!("run \"{}\" in {dir}", argv[0]),
            "no such directory",
        ));
    }
    let mut cmd = command::build(target, argv, opts)?;
    let stdin = if opts.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    // In netscript's own process group, unlike `spawn`'s programs: it is a
    // foreground program of the terminal (Ctrl-C reaches it, a pager or a
    // password prompt works, `stty tostop` does not stop it).
    cmd.stdin(stdin).stdout(stdout).stderr(stderr);
    let mut child = cmd
        .spawn()
        .map_err(|e| command::spawn_error(&argv[0], target, &e))?;
    command::feed_stdin(&mut child, opts);
    Ok(child)
}

/// A program's output as it is read: shared, so that what came before a
/// background program kept the pipe open is not lost (see `collected`).
type Collected = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;

/// The most output `exec` keeps: the longest string a script may hold
/// (the engine's limit, 256 MiB).
pub const OUTPUT_LIMIT: usize = 256 << 20;

/// A program being waited for: killed through a pidfd where there is one,
/// so that a program reaped meanwhile is never mistaken for a later one
/// given its PID.
struct Running {
    pid: u32,
    fd: Option<super::pidfd::Pidfd>,
}

impl Running {
    fn of(child: &Child) -> std::sync::Arc<Running> {
        let pid = child.id();
        // Opened before anything reaps it: the pidfd names this child.
        std::sync::Arc::new(Running {
            pid,
            fd: super::pidfd::Pidfd::open(pid),
        })
    }

    fn kill(&self) {
        match &self.fd {
            Some(fd) => {
                fd.signal(libc::SIGKILL);
            }
            None => {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(self.pid as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// What both of a program's pipes have given so far, and whether that
/// passed `OUTPUT_LIMIT`.
#[derive(Default)]
struct Total {
    bytes: std::sync::atomic::AtomicUsize,
    over: std::sync::atomic::AtomicBool,
}

/// Read a program's output as it comes. Past `OUTPUT_LIMIT` (both pipes
/// together) the program is killed and its pipes closed, so that what it
/// started and still writes dies of SIGPIPE (`exec("yes")` would fill the memory, and
/// the machine's OOM killer ends netscript without a rollback).
fn read_all(
    pipe: Option<impl Read + Send + 'static>,
    program: std::sync::Arc<Running>,
    total: std::sync::Arc<Total>,
) -> (Collected, std::thread::JoinHandle<()>) {
    use std::sync::atomic::Ordering::SeqCst;
    let buf = Collected::default();
    // Only a weak hold: once `collected` has taken the output and let go,
    // what a background program writes later is read and dropped, not
    // kept for ever.
    let into = std::sync::Arc::downgrade(&buf);
    let reader = std::thread::spawn(move || {
        let Some(mut p) = pipe else { return };
        let mut chunk = [0u8; 8192];
        while let Ok(n) = p.read(&mut chunk) {
            if n == 0 {
                break;
            }
            // Once exec has returned, what a background program writes is
            // drained and dropped, never counted (nor is it killed for it).
            let Some(kept) = into.upgrade() else {
                continue;
            };
            if total.bytes.fetch_add(n, SeqCst) + n > OUTPUT_LIMIT {
                if !total.over.swap(true, SeqCst) {
                    program.kill();
                }
                return;
            }
            if let Ok(mut b) = kept.lock() {
                b.extend_from_slice(&chunk[..n]);
            }
        }
    });
    (buf, reader)
}

/// How long output may keep coming once the program has exited: a
/// program it started in the background (`daemon &`) may hold the pipe
/// open for ever.
const AFTER_EXIT: Duration = Duration::from_millis(200);

/// What a reader of a program's output got once the program has exited:
/// all of it, or what came until `deadline` if something the program
/// started in the background keeps the pipe open (the reader goes on
/// draining it on its own until that ends).
fn collected(
    (buf, reader): (Collected, std::thread::JoinHandle<()>),
    deadline: std::time::Instant,
) -> Vec<u8> {
    while !reader.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = buf
        .lock()
        .map(|mut b| std::mem::take(&mut *b))
        .unwrap_or_default();
    drop(buf);
    out
}

/// Wait for `child`, killing it if `timeout` passes first.
/// `started` is told the program's pid if it is still running after the
/// first 50 ms.
fn wait(
    child: Child,
    program: &Running,
    argv: &[String],
    target: &Target,
    (timeout, started): (Option<Duration>, Started),
) -> Result<ExitStatus> {
    let (tx, rx) = mpsc::channel();
    let mut child = child;
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let begun = std::time::Instant::now();
    let kill_it = || {
        program.kill();
        let _ = rx.recv();
    };
    let mut told = false;
    let waited = loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(r) => break r,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Err(std::io::Error::other("wait failed"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !told {
            told = true;
            if let Err(e) = started(program.pid) {
                kill_it();
                return Err(e);
            }
        }
        if crate::interrupt::requested() {
            kill_it();
            return Err(Error::new(
                Kind::Timeout,
                format!("run `{}`", command::display(argv)),
                "interrupted",
            )
            .in_netns(target.label()));
        }
        if let Some(limit) = timeout
            && begun.elapsed() >= limit
        {
            kill_it();
            return Err(Error::new(
                Kind::Timeout,
                format!("run `{}`", command::display(argv)),
                format!(
                    "it did not finish within {} s and was killed",
                    limit.as_secs_f64()
                ),
            )
            .in_netns(target.label()));
        }
    };
    waited.map_err(|e| {
        Error::from_io(format!("wait for \"{}\"", argv[0]), &e).in_netns(target.label())
    })
}

/// Run `argv` to completion inside `target`, capturing its output.
pub fn exec(target: &Target, argv: &[String], opts: &Options, started: Started) -> Result<Output> {
    let mut child = start(target, argv, opts, (Stdio::piped(), Stdio::piped()))?;
    let program = Running::of(&child);
    let total = std::sync::Arc::new(Total::default());
    let out = read_all(child.stdout.take(), program.clone(), total.clone());
    let err = read_all(child.stderr.take(), program.clone(), total.clone());
    let status = wait(child, &program, argv, target, (opts.timeout, started))?;
    if total.over.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Error::new(
            Kind::Invalid,
            format!("run `{}`", command::display(argv)),
            format!(
                "its output passed {} MiB, the most a script holds, and it was killed",
                OUTPUT_LIMIT >> 20
            ),
        )
        .in_netns(target.label())
        .with_help(
            "send it to a file instead (sh -c \"CMD > FILE\"), or use run(), which shows it",
        ));
    }
    let deadline = std::time::Instant::now() + AFTER_EXIT;
    Ok(Output {
        status: status_code(status),
        stdout: String::from_utf8_lossy(&collected(out, deadline)).into_owned(),
        stderr: String::from_utf8_lossy(&collected(err, deadline)).into_owned(),
    })
}

/// Run `argv` with its output going straight to ours; a non-zero status is
/// an error that quotes the end of what it wrote to stderr.
pub fn run(target: &Target, argv: &[String], opts: &Options, started: Started) -> Result<()> {
    let mut child = start(target, argv, opts, (Stdio::inherit(), Stdio::piped()))?;
    let program = Running::of(&child);
    let pipe = child.stderr.take();
    let kept = Collected::default();
    let into = kept.clone();
    let tee = std::thread::spawn(move || {
        let Some(mut p) = pipe else { return };
        let mut buf = [0u8; 4096];
        while let Ok(n) = p.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = std::io::stderr().write_all(&buf[..n]);
            if let Ok(mut kept) = into.lock() {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 8192 {
                    let cut = kept.len() - 4096;
                    kept.drain(..cut);
                }
            }
        }
    });
    let tee = (kept, tee);
    let status = status_code(wait(
        child,
        &program,
        argv,
        target,
        (opts.timeout, started),
    )?);
    let stderr = collected(tee, std::time::Instant::now() + AFTER_EXIT);
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    if status == 0 {
        return Ok(());
    }
    let tail: Vec<&str> = stderr.trim_end().lines().rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    let reason = if tail.is_empty() {
        format!("it exited with status {status}")
    } else {
        format!("it exited with status {status}: {}", tail.join(" / "))
    };
    Err(Error::new(
        Kind::Os,
        format!("run `{}`", command::display(argv)),
        reason,
    )
    .in_netns(target.label()))
}

/// An interactive shell ($SHELL, else /bin/sh) inside `target` on the
/// user's terminal; returns its exit status when it exits. Ctrl-C belongs
/// to the shell meanwhile.
pub fn shell(target: &Target) -> Result<i32> {
    let program = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".into());
    let opts = Options {
        env: vec![("NETSCRIPT_NETNS".into(), target.label().to_string())],
        ..Options::default()
    };
    let argv = vec![program];
    let mut cmd = command::build(target, &argv, &opts)?;
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    // SAFETY: signal(2) is async-signal-safe; the shell gets default
    // handling of the keys we ignore below while it runs.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
    let ignored = IgnoreInterrupts::new();
    let status = cmd
        .spawn()
        .map_err(|e| command::spawn_error(&argv[0], target, &e))
        .and_then(|mut child| {
            child
                .wait()
                .map_err(|e| Error::from_io("wait for the shell", &e))
        });
    drop(ignored);
    crate::interrupt::clear();
    Ok(status_code(status?))
}

/// SIGINT and SIGQUIT ignored while it lives (like system(3) does while a
/// child owns the terminal), restored after.
struct IgnoreInterrupts {
    int: libc::sighandler_t,
    quit: libc::sighandler_t,
}

impl IgnoreInterrupts {
    fn new() -> Self {
        // SAFETY: swapping signal dispositions; restored in Drop.
        unsafe {
            IgnoreInterrupts {
                int: libc::signal(libc::SIGINT, libc::SIG_IGN),
                quit: libc::signal(libc::SIGQUIT, libc::SIG_IGN),
            }
        }
    }
}

impl Drop for IgnoreInterrupts {
    fn drop(&mut self) {
        // SAFETY: restoring the dispositions saved in new().
        unsafe {
            libc::signal(libc::SIGINT, self.int);
            libc::signal(libc::SIGQUIT, self.quit);
        }
    }
}
