//! `cargo xtask`: the one entry point for everything beyond `cargo build`.
//!
//! - `cargo xtask run`   installs what is missing, builds the studio, serves it
//! - `cargo xtask test`  formatting, lints, unit and server tests, the wasm
//!   build and the browser tests, in that order
//! - `cargo xtask bench <name>`  prints benchmark figures against a reference

mod bench;
mod bench_campaign;
mod bench_library;
mod bench_load;
mod bench_package;
mod bench_seek;
mod bench_sync;
mod bench_sync_real;
mod dist;
mod http;
mod run;
mod sh;
mod test;
mod tools;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command>

Commands:
  run [--addr HOST:PORT] [--data DIR]   Install missing tools, build the studio
                                        (release) and serve it (default 127.0.0.1:8080)
  test [--skip-browser]                 fmt + clippy, unit and server tests, wasm build,
                                        browser tests in headless Chromium
  bench <draft|sync|queue|load|library|seek|package>
                                        Print benchmark figures beside a reference
  dist                                  Build the studio (release) into dist/, as the
                                        browser tests and `run` serve it
  help                                  This text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    let result = match command {
        "run" => run::run(rest),
        "test" => test::test(rest),
        "bench" => bench::bench(rest),
        "dist" => tools::trunk_build(true).map(drop),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(anyhow::anyhow!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}
