//! `cargo xtask bench library`: a Library of 5,000 jobs in headless
//! Chromium against the release server: the first screen beside the same
//! measurement on a Library of one page (the reference, same run), a
//! scroll-through of everything, and the page's memory before and after.

use std::collections::BTreeMap;

use crate::{sh, tools};

/// The first screen of 5,000 jobs must show within this, in milliseconds.
const FIRST_SCREEN_TARGET_MS: f64 = 1000.0;

pub fn library() -> anyhow::Result<()> {
    tools::ensure_chromium()?;
    tools::trunk_build(true)?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let out = crate::bench::browser_bench(
        "library::bench_library",
        &sh::target_dir().join("release").join("chorus"),
    )?;
    let mut first: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    let mut rest = Vec::new();
    let mut slow = Vec::new();
    for line in out.lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        match cells[..] {
            ["bench-library", "first-screen", jobs, ms] => {
                if let (Ok(jobs), Ok(ms)) = (jobs.parse(), ms.parse()) {
                    first.entry(jobs).or_default().push(ms);
                }
            }
            ["bench-library-slow", request] => slow.push(request.to_string()),
            ["bench-library", what, ref figures @ ..] => {
                rest.push((what.to_string(), figures.join("\t")));
            }
            _ => {}
        }
    }
    println!("\nLibrary, first screen (ms from navigation; 30 slots, posters on screen loaded)");
    println!("{:>8}  {:>8}  {:>8}", "jobs", "median", "runs");
    for (jobs, runs) in &mut first {
        let median = crate::bench::median(runs);
        let mark = if *jobs >= 5000 && median > FIRST_SCREEN_TARGET_MS {
            "  over the 1 s target"
        } else {
            ""
        };
        let all: Vec<String> = runs.iter().map(|r| format!("{r:.0}")).collect();
        println!("{jobs:>8}  {median:>8.0}  {:>8}{mark}", all.join(" "));
    }
    if !slow.is_empty() {
        println!("\nRequests over 1 s during a first screen");
        for request in &slow {
            println!("  {request}");
        }
    }
    println!("\nScroll-through and memory (JS heap MB, DOM nodes, cards in the page)");
    for (what, figures) in rest {
        println!("{what:>16}  {figures}");
    }
    Ok(())
}
