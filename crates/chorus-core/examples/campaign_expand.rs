//! Times what the New campaign page does on a keystroke, natively: parse a
//! generated sheet and expand and check every variant. `cargo xtask bench
//! campaign` runs it beside the same work in Chromium.
//!
//! Usage: campaign_expand ROWS RUNS; prints each run's milliseconds.

use std::collections::BTreeMap;
use std::time::Instant;

use chorus_core::campaign::{NoFit, Sheet, bench_spec, expand};

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(250);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    let spec = bench_spec(rows);
    let mut csv = spec.sheet.columns.join(",");
    csv.push('\n');
    for row in &spec.sheet.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let models = chorus_core::registry();
    let images = BTreeMap::new();
    for _ in 0..runs {
        let start = Instant::now();
        let mut spec = spec.clone();
        spec.sheet = Sheet::parse(csv.as_bytes()).expect("the generated sheet parses");
        let expansion = expand(&spec, &models, &images, &NoFit);
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        assert!(!expansion.variants.is_empty());
        println!("{ms:.3} {}", expansion.variants.len());
    }
}
