//! The manual pages: netscript(1), and netscript-SUB(1) for each
//! subcommand, which netscript(1) names. Rendered from the command line's
//! definitions (clap_mangen), with the sections a manual page has that
//! clap does not know: EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::error::{Error, Result};

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
The script ran to its end (or called \fBexit\fR with status 0); the command did what it was asked.
.TP
\fB1\fR
The script failed (a runtime error, or \fBexit\fR with status 1), a lab could not be removed
completely, \fBpingall\fR saw a loss, or \fBdoctor\fR found that this machine cannot run labs.
A failed script's lab is rolled back unless \fB\-\-keep\-on\-error\fR.
.TP
\fB2\fR
Usage or compile error: bad options, a script that does not parse, a file that cannot be read.
.TP
\fB70\fR
A bug in netscript (a panic); the lab was rolled back.
.TP
\fB130\fR
Stopped by SIGINT, SIGTERM or another signal; the lab was rolled back.
.TP
\fB141\fR
Its standard output was closed (as a program killed by SIGPIPE); the lab was rolled back.
.PP
A script's \fBexit(N)\fR ends the run with status N.
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBNO_COLOR\fR
When set, error reports and the REPL use no colours.
.TP
\fBCOLUMNS\fR
The width error reports are wrapped to, when stderr is not a terminal.
.TP
\fBXDG_STATE_HOME\fR
The REPL keeps its history in \fI$XDG_STATE_HOME/netscript/history\fR
(default \fI~/.local/state/netscript/history\fR).
.TP
\fBXDG_RUNTIME_DIR\fR
Where a plain user's worlds are recorded (\fI$XDG_RUNTIME_DIR/netscript/worlds\fR;
without it \fI/tmp/netscript\-UID/worlds\fR).
.TP
\fBSHELL\fR
The shell \fBnetscript enter\fR starts, and \fBns.shell()\fR.
"#;

const FILES: &str = r#".SH FILES
.TP
\fI/run/netscript/LAB.json\fR
The ledger of lab LAB: every object its run made, which \fBnetscript down\fR removes.
.TP
\fI/run/netscript/LAB.lock\fR
Held by the run building LAB, so that two runs never build one lab.
.TP
\fI/run/netscript/LAB.files/\fR
The lab's own files (configurations and sockets of the daemons it runs).
.TP
\fI/run/netscript/worlds/\fR
The worlds (named sandboxes) root has made.
.TP
\fI/run/netns/\fR
Named network namespaces, shared with \fBip netns\fR.
"#;

/// Every page, as (file name, roff text).
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![("netscript.1".to_string(), main_page(&cmd)?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let man = labelled(clap_mangen::Man::new(sub.clone()));
        let mut text = Vec::new();
        man.render(&mut text).map_err(render_error)?;
        text.extend_from_slice(b".SH \"SEE ALSO\"\n\\fBnetscript\\fR(1)\n");
        pages.push((man.get_filename(), text));
    }
    Ok(pages)
}

fn main_page(cmd: &clap::Command) -> Result<Vec<u8>> {
    let man = labelled(clap_mangen::Man::new(cmd.clone()));
    let mut w = Vec::new();
    man.render_title(&mut w).map_err(render_error)?;
    man.render_name_section(&mut w).map_err(render_error)?;
    man.render_synopsis_section(&mut w).map_err(render_error)?;
    man.render_description_section(&mut w)
        .map_err(render_error)?;
    man.render_options_section(&mut w).map_err(render_error)?;
    man.render_subcommands_section(&mut w)
        .map_err(render_error)?;
    w.extend_from_slice(examples(cmd).as_bytes());
    w.extend_from_slice(EXIT_STATUS.as_bytes());
    w.extend_from_slice(ENVIRONMENT.as_bytes());
    w.extend_from_slice(FILES.as_bytes());
    let subs: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| format!("\\fBnetscript\\-{}\\fR(1)", s.get_name()))
        .collect();
    let see_also = format!(
        ".SH \"SEE ALSO\"\n{},\n\\fBip\\fR(8), \\fBip\\-netns\\fR(8), \\fBnft\\fR(8), \\fBtcpdump\\fR(8)\n",
        subs.join(", ")
    );
    w.extend_from_slice(see_also.as_bytes());
    man.render_version_section(&mut w).map_err(render_error)?;
    Ok(w)
}

/// The examples of `--help` (its after-help text up to the exit status,
/// which has its own section here), kept as lines.
fn examples(cmd: &clap::Command) -> String {
    let text = cmd
        .get_after_help()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut out = String::from(".SH EXAMPLES\n.nf\n");
    for line in text.lines() {
        if line.starts_with("Exit status") {
            break;
        }
        if line.starts_with("Examples:") || line.trim().is_empty() {
            continue;
        }
        let line = line.trim_start().replace('\\', "\\e").replace('-', "\\-");
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out
}

/// The page's footer: which program, which version, which manual.
fn labelled(man: clap_mangen::Man) -> clap_mangen::Man {
    man.source(format!("netscript {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands")
}

fn render_error(e: std::io::Error) -> Error {
    Error::from_io("render the manual page", &e)
}

/// `netscript man [PAGE] [--dir DIR]`: one page to stdout, or every page
/// written into DIR (what a package installs under man1/).
pub fn run(page: Option<&str>, dir: Option<&Path>) -> Result<Vec<PathBuf>> {
    let pages = pages()?;
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::from_io("create the directory", &e))?;
        let mut written = Vec::new();
        for (name, text) in &pages {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .map_err(|e| Error::from_io(format!("write {}", path.display()), &e))?;
            written.push(path);
        }
        return Ok(written);
    }
    let wanted = match page {
        None | Some("netscript") => "netscript.1".to_string(),
        Some(sub) => format!("netscript-{}.1", sub.trim_start_matches("netscript-")),
    };
    let Some((_, text)) = pages.iter().find(|(name, _)| *name == wanted) else {
        let names: Vec<&str> = pages
            .iter()
            .filter_map(|(n, _)| n.strip_prefix("netscript-")?.strip_suffix(".1"))
            .collect();
        return Err(Error::not_found(
            format!("show the manual page \"{}\"", page.unwrap_or_default()),
            "there is no such page",
        )
        .with_help(format!("the pages: netscript, {}", names.join(", "))));
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(text)
        .map_err(|e| Error::from_io("write the manual page", &e))?;
    Ok(Vec::new())
}
