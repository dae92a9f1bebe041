//! What `cargo xtask bench campaign` times in the page: the campaign
//! preview's work on every keystroke (parse the sheet, expand and check
//! every variant with chorus-core) for a generated sheet, exactly as the
//! New campaign page runs it. Installed on `window` as
//! `chorusBenchCampaign(rows, runs)`, answering each run's milliseconds;
//! nothing on the page calls it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chorus_core::campaign::{NoFit, Sheet, bench_spec, expand};
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;

pub fn install() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hook = Closure::<dyn Fn(u32, u32) -> js_sys::Array>::new(move |rows: u32, runs: u32| {
        let times = js_sys::Array::new();
        let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
            return times;
        };
        let spec = bench_spec(rows as usize);
        let csv = as_csv(&spec.sheet);
        let models = chorus_core::registry();
        let images = BTreeMap::new();
        for _ in 0..runs.max(1) {
            let start = performance.now();
            let mut spec = spec.clone();
            spec.sheet = Sheet::parse(csv.as_bytes()).unwrap_or_default();
            let expansion = expand(&spec, &models, &images, &NoFit);
            let took = performance.now() - start;
            // The result is read, so the work cannot be skipped.
            if expansion.variants.is_empty() {
                return js_sys::Array::new();
            }
            times.push(&JsValue::from_f64(took));
        }
        times
    });
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str("chorusBenchCampaign"), hook.as_ref());
    hook.forget();
}

/// The sheet as the CSV a person would paste.
fn as_csv(sheet: &Sheet) -> String {
    let quote = |cell: &str| {
        if cell.contains([',', '"', '\n']) {
            format!("\"{}\"", cell.replace('"', "\"\""))
        } else {
            cell.to_string()
        }
    };
    let mut out = String::new();
    let header: Vec<String> = sheet.columns.iter().map(|c| quote(c)).collect();
    let _ = writeln!(out, "{}", header.join(","));
    for row in &sheet.rows {
        let cells: Vec<String> = row.cells.iter().map(|c| quote(c)).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}
