//! `cargo xtask run`: from a fresh machine to a running studio.

use std::process::Command;

use anyhow::bail;

use crate::{sh, tools};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut serve_args: Vec<String> = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--addr" | "--data" => {
                let Some(value) = iter.next() else {
                    bail!("{arg} needs a value")
                };
                serve_args.extend([arg.clone(), value.clone()]);
            }
            other => bail!("unknown option `{other}` (try --addr HOST:PORT or --data DIR)"),
        }
    }
    tools::ensure_native_deps()?;
    tools::trunk_build(true)?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let binary = sh::target_dir().join("release").join("chorus");
    let mut serve = Command::new(binary);
    serve
        .arg("serve")
        .arg("--dist")
        .arg(sh::root().join("dist"))
        .args(&serve_args);
    sh::run(&mut serve)
}
