use clap::Parser;

fn main() {
    // Like other Unix tools: `netscript ... | head` ends quietly when the
    // reader goes away, instead of failing on a broken pipe.
    // SAFETY: resetting a signal disposition before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let args = netscript::cli::normalize(std::env::args_os().collect());
    let cli = netscript::cli::Cli::parse_from(args);
    std::process::exit(netscript::runner::main(cli).code());
}
