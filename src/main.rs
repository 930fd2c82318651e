use clap::Parser;

fn main() {
    // Like other Unix tools: `netscript ... | head` ends quietly when the
    // reader goes away, instead of failing on a broken pipe.
    // SAFETY: resetting a signal disposition before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // A shell asking what fits at a TAB: answered, then exit.
    netscript::completion::answer_if_asked(<netscript::cli::Cli as clap::CommandFactory>::command);
    let args = netscript::cli::normalize(std::env::args_os().collect());
    let cli = netscript::cli::Cli::parse_from(args);
    std::process::exit(netscript::runner::main(cli).code());
}
