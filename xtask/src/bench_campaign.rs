//! `cargo xtask bench campaign`: a campaign's three costs, each beside a
//! reference from the same run:
//! - what the New campaign page does on a keystroke (parse the sheet,
//!   expand and check 1,000 variants) natively and in Chromium's wasm,
//!   against the 100 ms budget;
//! - 200 draft variants end to end against one draft job alone, on the
//!   release server (the browser benchmark `campaign_bench::bench_campaign`);
//! - writing the delivery package against `zip -0` (`bench package`).

use crate::{sh, tools};

const ROWS: &str = "250";
const RUNS: &str = "15";

pub fn campaign() -> anyhow::Result<()> {
    tools::ensure_native_deps()?;
    tools::ensure_chromium()?;
    sh::run(sh::cargo().args([
        "build",
        "--release",
        "-p",
        "chorus-core",
        "--example",
        "campaign_expand",
    ]))?;
    let example = sh::target_dir()
        .join("release")
        .join("examples")
        .join("campaign_expand");
    let out = sh::output(std::process::Command::new(&example).args([ROWS, RUNS]))?;
    let mut times: Vec<f64> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    let variants = out
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_string();
    times.sort_by(f64::total_cmp);
    let native_median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    tools::trunk_build(true)?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let figures = crate::bench::browser_bench_with(
        "campaign_bench::bench_campaign",
        &sh::target_dir().join("release").join("chorus"),
        &[],
    )?;
    println!("campaign benchmark (same run, this machine)");
    println!(
        "  native    {variants} variants parsed, expanded and checked  median {native_median:.1} ms  worst {:.1} ms",
        times.last().copied().unwrap_or(f64::NAN)
    );
    for line in figures.lines() {
        if let Some(figure) = line.strip_prefix("bench-campaign\t") {
            println!("  {}", figure.replace('\t', "  "));
        }
    }
    println!("export (the delivery package against zip -0 on the same files):");
    crate::bench_package::package()
}
