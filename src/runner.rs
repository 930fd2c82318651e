//! Reading, compiling and running scripts, and reporting what went wrong.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rhai::{AST, Dynamic, EvalAltResult, Scope};

use crate::api::Session;
use crate::cli::{Cli, Command};
use crate::diag::{self, Sources};
use crate::exit::Exit;
use crate::lifecycle::{Ending, Policy};
use crate::netlink::Netlink;

use crate::sys::privileges::CAP_NET_ADMIN;

pub fn main(cli: Cli) -> Exit {
    raise_file_limit();
    let late = |a: &String| a == "--sandbox" || a.starts_with("--sandbox=");
    let late_in = |a: &String| a == "--in" || a.starts_with("--in=");
    if cli.sandbox.is_none() && cli.args.iter().any(late) {
        crate::say!(
            "netscript: --sandbox after the script is an argument of the script, not an option"
        );
        crate::say!("  to run in a sandbox, put it first: netscript --sandbox FILE [ARGS...]");
        return Exit::Usage;
    }
    if cli.inside.is_none() && cli.command.is_none() && cli.args.iter().any(late_in) {
        crate::say!("netscript: --in after the script is an argument of the script, not an option");
        crate::say!("  to run in a world, put it first: netscript --in NAME FILE [ARGS...]");
        return Exit::Usage;
    }
    let inside = match &cli.command {
        Some(Command::Enter { world, .. }) => Some(world.as_str()),
        _ => cli.inside.as_deref(),
    };
    let place = crate::world::Place {
        sandbox: cli.sandbox.as_deref(),
        inside,
    };
    if let Some(status) = crate::world::go(&place) {
        return status;
    }
    let sandbox = crate::sys::world::current().is_some();
    let policy = Policy {
        lab: cli.lab,
        rm: cli.rm,
        replace: cli.replace,
        wait: cli.wait,
        keep_on_error: cli.keep_on_error,
        trace: cli.trace || cli.verbose,
        verbosity: crate::lifecycle::report::Verbosity::from_flags(cli.quiet, cli.verbose),
        machine: cli.machine,
        machines: cli.machines,
    };
    let status = dispatch(cli.command, cli.file, cli.args, sandbox, &policy);
    crate::sys::spawn::stop_all();
    status
}

fn dispatch(
    command: Option<Command>,
    file: Option<PathBuf>,
    args: Vec<String>,
    sandbox: bool,
    policy: &Policy,
) -> Exit {
    match command {
        Some(Command::Check { files }) => check(&files),
        Some(Command::Down { labs, all, json }) => {
            crate::labs_command::down(&labs, all, json, policy.verbosity)
        }
        Some(Command::Ls { json }) => crate::labs_command::ls(json, policy.verbosity),
        Some(Command::Enter { world, command }) => crate::world::enter(&world, &command),
        Some(Command::Capture {
            args,
            write,
            json,
            count,
            seconds,
        }) => {
            let limits = crate::capture::Limits {
                count,
                seconds: seconds.map(|s| std::time::Duration::from_secs_f64(s.max(0.0))),
            };
            let req = crate::capture::command::Request {
                args: &args,
                write: write.as_deref(),
                json,
                limits,
            };
            crate::capture::command::run(&req)
        }
        Some(Command::Show { lab, json }) => crate::show::command::show(lab.as_deref(), json),
        Some(Command::Graph {
            lab,
            format,
            expand,
            merge,
        }) => crate::show::command::graph(lab.as_deref(), &merge, format, expand),
        Some(Command::Pingall {
            lab,
            json,
            spanning,
            static_neighbours,
            merge,
        }) => {
            let how = crate::show::command::PingallHow {
                json,
                spanning,
                static_neighbours,
            };
            crate::show::command::pingall(lab.as_deref(), &merge, how)
        }
        Some(Command::Docs { definitions }) => {
            if definitions {
                crate::out_part!("{}", crate::docs::definitions());
            } else {
                crate::out_part!("{}", crate::docs::reference());
            }
            Exit::Ok
        }
        Some(Command::Completions { shell }) => match crate::completion::registration(shell) {
            Ok(text) => {
                use std::io::Write;
                let _ = std::io::stdout().write_all(&text);
                Exit::Ok
            }
            Err(e) => crate::exit::fail(e),
        },
        Some(Command::Man { page, dir }) => {
            match crate::manpages::run(page.as_deref(), dir.as_deref()) {
                Ok(_) => Exit::Ok,
                Err(e) => crate::exit::fail_with(&e),
            }
        }
        Some(Command::Doctor {
            probe_here: true, ..
        }) => crate::doctor::probe::here(),
        Some(Command::Doctor { json, .. }) => crate::doctor::run(json),
        None if !sandbox && !crate::sys::privileges::capability(CAP_NET_ADMIN) => {
            crate::say!(
                "netscript: a lab needs root or CAP_NET_ADMIN, and this process has neither"
            );
            crate::say!(
                "  help: run it as root, or try it in a private sandbox: netscript --sandbox {}",
                file.as_deref()
                    .map_or("FILE".into(), |f| f.display().to_string())
            );
            Exit::Failed
        }
        None if file.is_none() && std::io::stdin().is_terminal() => {
            let machines = match machines(policy) {
                Ok(m) => m,
                Err(code) => return code,
            };
            match backend() {
                Ok(net) => {
                    let lab = Rc::new(crate::lab::Lab::unrecorded(policy.trace));
                    crate::repl::run(net.clone(), Session::on(net, lab, machines))
                }
                Err(code) => code,
            }
        }
        None => {
            let (name, text, dir) = match read_script(file.as_deref()) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let lab_name = policy.lab.clone().unwrap_or_else(|| match &file {
                Some(f) if f != Path::new("-") => crate::lab::name_for(f),
                _ => "stdin".to_string(),
            });
            run(&name, &text, dir, args, &lab_name, policy)
        }
    }
}

/// (display name, text, directory for imports), or an exit status.
fn read_script(file: Option<&Path>) -> Result<(String, String, Option<PathBuf>), Exit> {
    match file {
        Some(path) if path != Path::new("-") => match std::fs::read_to_string(path) {
            Ok(text) => Ok((
                path.display().to_string(),
                text,
                path.parent().map(Path::to_path_buf),
            )),
            Err(e) => {
                crate::say!("netscript: cannot read {}: {e}", path.display());
                Err(Exit::Usage)
            }
        },
        _ => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                crate::say!("netscript: cannot read the script from stdin: {e}");
                return Err(Exit::Usage);
            }
            Ok(("<stdin>".into(), text, None))
        }
    }
}

fn check(files: &[PathBuf]) -> Exit {
    let engine = crate::api::parser();
    let mut status = Exit::Ok;
    for file in files {
        let original = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                crate::say!("netscript: cannot read {}: {e}", file.display());
                status = Exit::Usage;
                continue;
            }
        };
        let name = file.display().to_string();
        match engine.compile(diag::blank_shebang(&original)) {
            Ok(_) => crate::out!("ok  {name}"),
            Err(e) => {
                crate::say_part!(
                    "{}",
                    diag::for_stderr(&diag::from_parse(&e, &Sources::new(&name, &original)))
                );
                status = Exit::Usage;
            }
        }
    }
    status
}

/// This machine and the others (`--machine`, `--machines`), or the exit
/// status of a bad machines file.
fn machines(policy: &Policy) -> Result<crate::machines::Machines, Exit> {
    crate::machines::load(policy.machine.as_deref(), policy.machines.as_deref()).map_err(|e| {
        crate::exit::fail_with(&e);
        Exit::Usage
    })
}

/// Compile and run one script; print its errors; return the exit status.
pub fn run(
    name: &str,
    text: &str,
    dir: Option<PathBuf>,
    args: Vec<String>,
    lab_name: &str,
    policy: &Policy,
) -> Exit {
    // Compiled before anything is set up: a script that does not compile
    // takes no lock, and Ctrl-C during a long compile ends netscript at
    // once (its handler is not installed yet: there is nothing to roll
    // back).
    let sources = Sources::new(name, text);
    let mut ast = match crate::api::parser().compile(diag::blank_shebang(text)) {
        Ok(ast) => ast,
        Err(e) => {
            crate::say_part!("{}", diag::for_stderr(&diag::from_parse(&e, &sources)));
            return Exit::Usage;
        }
    };
    ast.set_source(name);
    let machines = match machines(policy) {
        Ok(m) => m,
        Err(code) => return code,
    };
    // Then, so a signal that comes while the lab is being set up (its
    // ledger already made) still ends in a rollback.
    crate::interrupt::install();
    let net = match backend() {
        Ok(n) => n,
        Err(code) => return code,
    };
    let script = Path::new(name)
        .canonicalize()
        .map_or(name.to_string(), |p| p.display().to_string());
    let lab = match crate::lifecycle::begin(&net, lab_name, &script, policy) {
        Ok(lab) => lab,
        Err(code) => return code,
    };
    let session = Session::on(net.clone(), lab.clone(), machines);
    let progress = crate::progress::Progress::start(
        lab.counts(),
        policy.verbosity == crate::lifecycle::report::Verbosity::Quiet || policy.trace,
    );
    let (status, ending) = evaluate(&ast, &sources, dir, args, session, progress);
    crate::lifecycle::end(&net, &lab, ending, policy);
    status
}

/// Run the compiled script: its exit status and how it ended.
fn evaluate(
    ast: &AST,
    sources: &Sources,
    dir: Option<PathBuf>,
    args: Vec<String>,
    session: Rc<Session>,
    progress: Option<crate::progress::Progress>,
) -> (Exit, Ending) {
    let mut engine = crate::api::engine(session.clone(), dir);
    engine.on_progress(|_| crate::interrupt::requested().then_some(Dynamic::UNIT));
    let mut scope = Scope::new();
    let args: rhai::Array = args.into_iter().map(Dynamic::from).collect();
    scope.push_constant("ARGS", args);
    let result = diag::internal::catch(|| engine.run_ast_with_scope(&mut scope, ast));
    // The line goes before anything is reported.
    drop(progress);
    let result = match result {
        Ok(result) => result,
        Err(report) => {
            crate::say_part!("{}", diag::for_stderr(&report));
            return (Exit::Internal, Ending::Failure);
        }
    };
    match result {
        Ok(()) => (
            session.take_exit_status().map_or(Exit::Ok, Exit::script),
            Ending::Success,
        ),
        // exit() inside a closure comes back wrapped in the call's error.
        Err(_) if let Some(code) = session.take_exit_status() => {
            (Exit::script(code), Ending::Success)
        }
        Err(e) => match *e {
            EvalAltResult::Exit(..) => (Exit::Ok, Ending::Success),
            // Nobody reads the output: stop quietly, after the rollback.
            _ if crate::interrupt::stdout_is_closed() => (Exit::StdoutClosed, Ending::Failure),
            ref err => {
                let signatures = crate::api::signatures(&engine);
                crate::say_part!(
                    "{}",
                    diag::for_stderr(&diag::from_eval(err, sources, &signatures))
                );
                let status = if crate::interrupt::requested() {
                    Exit::Interrupted
                } else {
                    Exit::Failed
                };
                (status, Ending::Failure)
            }
        },
    }
}

/// A lab of thousands of namespaces keeps a file open for each: take the
/// whole of the hard limit on open files, as the soft one is often 1024.
fn raise_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// The netlink backend (a world's keeper has brought its loopback up).
fn backend() -> Result<Rc<Netlink>, Exit> {
    Netlink::new().map(Rc::new).map_err(crate::exit::fail)
}
