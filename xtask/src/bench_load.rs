//! `cargo xtask bench load`: what a first visit costs.
//!
//! 1. The size budget: every built file raw, gzip and brotli, what the first
//!    page needs in all against the 0.8 MB brotli goal, and which crates the
//!    wasm's code comes from.
//! 2. First load in headless Chromium over emulated 4G and 3G, cold and warm,
//!    served now and, in the same run, as before (no compression, no caching
//!    headers): the ignored browser test `load::bench_first_load` measures,
//!    this prints the medians side by side.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::{dist, sh, tools};

/// Brotli bytes the first page may need (the goal).
const FIRST_PAGE_GOAL: u64 = 800_000;
/// Cold and warm targets for a first visit on 4G, in milliseconds.
const COLD_4G_TARGET_MS: f64 = 3000.0;
const WARM_4G_TARGET_MS: f64 = 1000.0;

pub fn load(args: &[String]) -> anyhow::Result<()> {
    let mut browser = true;
    for arg in args {
        match arg.as_str() {
            "--sizes-only" => browser = false,
            other => bail!("unknown option `{other}` (try --sizes-only)"),
        }
    }
    let files = tools::trunk_build(true)?;
    sizes(&files);
    contributors(
        &sh::target_dir()
            .join("wasm32-unknown-unknown")
            .join("wasm-release")
            .join("chorus-studio.wasm"),
    )?;
    if browser {
        first_load()?;
    }
    Ok(())
}

fn sizes(files: &[dist::Compressed]) {
    println!("\nSize budget (dist/, bytes)");
    println!(
        "  {:<44} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip", "brotli"
    );
    let mut first = (0, 0, 0);
    for f in files {
        println!(
            "  {:<44} {:>10} {:>10} {:>10}",
            f.name, f.raw, f.gzip, f.brotli
        );
        // The page, its loader, the app's glue and module, and its styles:
        // everything a first visit downloads before it can be used.
        if [".html", ".js", ".wasm", ".css"]
            .iter()
            .any(|ext| f.name.ends_with(ext))
        {
            first.0 += f.raw;
            first.1 += f.gzip;
            first.2 += f.brotli;
        }
    }
    let verdict = if first.2 <= FIRST_PAGE_GOAL {
        "met"
    } else {
        "missed"
    };
    println!(
        "  {:<44} {:>10} {:>10} {:>10}   goal {FIRST_PAGE_GOAL} brotli: {verdict}",
        "first page in all", first.0, first.1, first.2
    );
}

/// The wasm's code by crate, read from the module before wasm-bindgen and
/// wasm-opt (which strip the function names): shares, not final bytes.
fn contributors(wasm: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(wasm).with_context(|| {
        format!(
            "cannot read {} (built by the release wasm build)",
            wasm.display()
        )
    })?;
    let mut imported = 0u32;
    let mut bodies: Vec<u64> = Vec::new();
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut data = 0u64;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload? {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import?.ty, wasmparser::TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                let range = body.range();
                bodies.push(range.end - range.start);
            }
            wasmparser::Payload::DataSection(reader) => {
                let range = reader.range();
                data += range.end - range.start;
            }
            wasmparser::Payload::CustomSection(section) => {
                if let wasmparser::KnownCustom::Name(reader) = section.as_known() {
                    for name in reader {
                        if let wasmparser::Name::Function(map) = name? {
                            for naming in map {
                                let naming = naming?;
                                names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if names.is_empty() {
        println!(
            "\nThe wasm module has no function names: no breakdown by crate ({})",
            wasm.display()
        );
        return Ok(());
    }
    let mut by_crate: BTreeMap<String, u64> = BTreeMap::new();
    let mut functions: Vec<(u64, String)> = Vec::with_capacity(bodies.len());
    let mut total = 0u64;
    for (i, size) in bodies.iter().enumerate() {
        let index = imported + u32::try_from(i).unwrap_or(u32::MAX);
        let name = names.get(&index).map_or("(unnamed)", String::as_str);
        *by_crate.entry(crate_of(name)).or_default() += size;
        functions.push((*size, name.to_string()));
        total += size;
    }
    functions.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut rows: Vec<(String, u64)> = by_crate.into_iter().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    println!(
        "\nBiggest contributors to the wasm (code by crate before wasm-opt; {total} bytes of code, {data} of data)"
    );
    for (krate, size) in rows.iter().take(15) {
        let share = *size as f64 * 100.0 / total.max(1) as f64;
        println!("  {krate:<32} {size:>10} {share:>5.1}%");
    }
    println!("\nLargest functions");
    for (size, name) in functions.iter().take(12) {
        let name = format!("{:#}", rustc_demangle::demangle(name));
        let short: String = name.chars().take(100).collect();
        println!("  {size:>8}  {short}");
    }
    Ok(())
}

/// The crate a (demangled) function name belongs to: `<wgpu::X as T>::f`
/// and `wgpu::X::f` are both wgpu's.
fn crate_of(mangled: &str) -> String {
    let name = format!("{:#}", rustc_demangle::demangle(mangled));
    let name = name.trim_start_matches('<').trim_start_matches('&');
    let name = name.strip_prefix("mut ").unwrap_or(name);
    match name.split_once("::") {
        Some((first, _)) if !first.contains(' ') && !first.is_empty() => first.to_string(),
        _ => "(runtime and glue)".to_string(),
    }
}

type Key = (String, String, String, String);

#[derive(Default)]
struct Samples {
    bytes: Vec<f64>,
    requests: Vec<f64>,
    ms: Vec<f64>,
}

fn first_load() -> anyhow::Result<()> {
    tools::ensure_chromium()?;
    sh::run(sh::cargo().args(["build", "--release", "-p", "chorus-server"]))?;
    let out = crate::bench::browser_bench(
        "load::bench_first_load",
        &sh::target_dir().join("release").join("chorus"),
    )?;
    let mut table: BTreeMap<Key, Samples> = BTreeMap::new();
    for line in out.lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        let [
            "bench-load",
            delivery,
            network,
            page,
            cache,
            bytes,
            _body,
            requests,
            ms,
        ] = cells[..]
        else {
            continue;
        };
        let entry = table
            .entry((
                network.to_string(),
                page.to_string(),
                cache.to_string(),
                delivery.to_string(),
            ))
            .or_default();
        entry.bytes.push(bytes.parse()?);
        entry.requests.push(requests.parse()?);
        entry.ms.push(ms.parse()?);
    }
    if table.is_empty() {
        bail!("the load benchmark printed no figures:\n{out}");
    }
    println!(
        "\nFirst load in headless Chromium (median of the rounds; bytes on the wire, time to the app's interactive mark)"
    );
    println!(
        "  {:<4} {:<8} {:<5} {:>12} {:>12} {:>9} {:>9} {:>8}",
        "net", "page", "cache", "bytes before", "bytes now", "ms before", "ms now", "speed-up"
    );
    let keys: Vec<(String, String, String)> = table
        .keys()
        .map(|(n, p, c, _)| (n.clone(), p.clone(), c.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut verdicts = Vec::new();
    for (network, page, cache) in keys {
        let get = |delivery: &str| {
            table.get(&(
                network.clone(),
                page.clone(),
                cache.clone(),
                delivery.to_string(),
            ))
        };
        let (Some(before), Some(now)) = (get("before"), get("now")) else {
            continue;
        };
        let (ms_before, ms_now) = (median(&before.ms), median(&now.ms));
        println!(
            "  {network:<4} {page:<8} {cache:<5} {:>12.0} {:>12.0} {ms_before:>9.0} {ms_now:>9.0} {:>7.1}x",
            median(&before.bytes),
            median(&now.bytes),
            ms_before / ms_now.max(1.0),
        );
        if network == "4G" {
            let target = if cache == "cold" {
                COLD_4G_TARGET_MS
            } else {
                WARM_4G_TARGET_MS
            };
            let verdict = if ms_now <= target { "met" } else { "missed" };
            verdicts.push(format!(
                "  {page} {cache} on 4G: {ms_now:.0} ms, target {target:.0} ms: {verdict}"
            ));
        }
    }
    println!("\nTargets");
    for v in verdicts {
        println!("{v}");
    }
    Ok(())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_from_symbol_names() {
        assert_eq!(crate_of("_ZN4wgpu6Device3new17h0123456789abcdefE"), "wgpu");
        assert_eq!(crate_of("<leptos::X as core::fmt::Debug>::fmt"), "leptos");
        assert_eq!(crate_of("memcpy"), "(runtime and glue)");
    }

    #[test]
    fn medians() {
        assert!((median(&[3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(&[4.0, 1.0, 2.0, 3.0]) - 2.5).abs() < f64::EPSILON);
    }
}
