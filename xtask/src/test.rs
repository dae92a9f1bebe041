//! `cargo xtask test`: every check CI runs, in order, stopping at the first
//! failure. Browser tests run last because they need the wasm build.

use std::time::Instant;

use anyhow::bail;

use crate::{sh, tools};

pub fn test(args: &[String]) -> anyhow::Result<()> {
    let mut browser = true;
    for arg in args {
        match arg.as_str() {
            "--skip-browser" => browser = false,
            other => bail!("unknown option `{other}` (try --skip-browser)"),
        }
    }
    let started = Instant::now();
    let mut done: Vec<(&str, f64)> = Vec::new();
    let mut step = |name: &'static str, f: &dyn Fn() -> anyhow::Result<()>| -> anyhow::Result<()> {
        eprintln!("\n==> {name}");
        let t = Instant::now();
        f()?;
        done.push((name, t.elapsed().as_secs_f64()));
        Ok(())
    };

    step("1/4 formatting and lints", &|| {
        tools::ensure_native_deps()?;
        sh::run(sh::cargo().args(["fmt", "--all", "--check"]))?;
        sh::run(sh::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        tools::ensure_web_toolchain()?;
        sh::run(sh::cargo().args([
            "clippy",
            "-p",
            "chorus-studio",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("2/4 unit and server tests", &|| {
        // The storage suite runs on PostgreSQL too, assets go to S3, and the
        // kill test runs two servers on one PostgreSQL: they start their own.
        tools::ensure_services()?;
        // Outgoing webhooks' signatures are checked by npm's implementation.
        let standardwebhooks = tools::ensure_standardwebhooks()?;
        sh::run(
            sh::cargo()
                .args(["test", "--workspace", "--exclude", "chorus-studio"])
                .env("PATH", tools::tool_path())
                .env("CHORUS_STANDARDWEBHOOKS", standardwebhooks),
        )?;
        // The studio's pure modules (composition rules, compare meters…)
        // build natively too; their unit tests live in the binary.
        sh::run(sh::cargo().args(["test", "-p", "chorus-studio", "--bins"]))
    })?;
    step("3/4 wasm build", &|| tools::trunk_build(true).map(drop))?;
    if browser {
        step("4/4 browser tests (headless Chromium)", &|| {
            tools::ensure_chromium()?;
            sh::run(sh::cargo().args(["build", "-p", "chorus-server"]))?;
            let root = sh::root();
            sh::run(
                sh::cargo()
                    .args([
                        "test",
                        "-p",
                        "chorus-studio",
                        "--test",
                        "browser",
                        "--",
                        "--test-threads=1",
                    ])
                    .env("CHORUS_BIN", sh::target_dir().join("debug").join("chorus"))
                    .env("CHORUS_DIST", root.join("dist")),
            )
        })?;
    } else {
        eprintln!("\n==> 4/4 browser tests skipped (--skip-browser)");
    }

    eprintln!(
        "\nAll checks passed in {:.0} s:",
        started.elapsed().as_secs_f64()
    );
    for (name, secs) in &done {
        eprintln!("  {name:<40} {secs:>6.0} s");
    }
    Ok(())
}
