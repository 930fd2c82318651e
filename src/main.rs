use clap::Parser;

fn main() {
    let cli = netscript::cli::Cli::parse();
    std::process::exit(netscript::runner::main(cli));
}
