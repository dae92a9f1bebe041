//! The sync meter: a BT.1359 scale (red, amber, green, amber, red from
//! sound early to sound late) with a needle at the measured offset, the
//! offset and verdict in words, and how the figure was made.

use leptos::prelude::*;

use super::meter::{Level, scale_percent, zones};
use super::slot::Meter;

#[component]
pub fn SyncMeter(meter: RwSignal<Meter>, index: usize) -> impl IntoView {
    let state = move || match meter.get() {
        Meter::Waiting => "waiting",
        Meter::Measuring => "measuring",
        Meter::NoSound => "no-sound",
        Meter::Failed(_) => "failed",
        Meter::Done(_) => "done",
    };
    let done = move || match meter.get() {
        Meter::Done(done) => Some(done),
        _ => None,
    };
    let level = move || done().map_or("pending", |d| d.reading.level().class());
    let tolerance = move || done().map_or(0.0, |d| d.reading.tolerance_ms);
    let zone_views = move || {
        zones(tolerance())
            .into_iter()
            .map(|(from, to, level)| {
                view! {
                    <span
                        class=format!("meter-zone zone-{}", level.class())
                        style=format!("left:{from:.2}%;width:{:.2}%", to - from)
                    ></span>
                }
            })
            .collect_view()
    };
    let readout = move || {
        match meter.get() {
        Meter::Waiting => view! { <span class="meter-status">"Waiting to measure…"</span> }.into_any(),
        Meter::Measuring => view! { <span class="meter-status">"Measuring lip-sync…"</span> }.into_any(),
        Meter::NoSound => view! { <span class="meter-status">"This take has no sound"</span> }.into_any(),
        Meter::Failed(why) => view! { <span class="meter-status error" role="alert">{format!("Could not measure: {why}")}</span> }.into_any(),
        Meter::Done(d) if d.reading.cant_tell.is_some() => view! {
            <span class="meter-figure">"Can't tell"</span>
            <span class="meter-words">{d.reading.cant_tell.clone()}</span>
        }
        .into_any(),
        Meter::Done(d) => {
            let ms = d.reading.offset_ms;
            view! {
                <span class="meter-figure">{format!("{ms:+.0} ms")}</span>
                <span class="meter-words">{d.reading.offset_text()}" · "{d.reading.verdict_text()}</span>
            }
            .into_any()
        }
    }
    };
    let detail = move || {
        done().map(|d| {
            let drift = d
                .drift_over_clip_ms()
                .map(|v| format!(" · drifts {v:+.0} ms over the clip"))
                .unwrap_or_default();
            let check = d
                .gpu_cpu_difference
                .map(|(abs, _)| format!(" · GPU−CPU {abs:.1e}"))
                .unwrap_or_default();
            format!(
                "confidence {:.2} · {} · {:.0} ms{drift}{check}",
                d.reading.confidence, d.path, d.millis
            )
        })
    };
    view! {
        <div
            class=move || format!("meter meter-{}", level())
            data-testid="sync-meter"
            data-slot=index
            data-state=state
            data-level=level
            data-offset-ms=move || done().map(|d| format!("{:.2}", d.reading.offset_ms))
            data-confidence=move || done().map(|d| format!("{:.4}", d.reading.confidence))
            data-confident=move || done().map(|d| d.reading.confident.to_string())
            data-cant-tell=move || done().and_then(|d| d.reading.cant_tell.clone())
            data-path=move || done().map(|d| d.path.clone())
            data-analysis-ms=move || done().map(|d| format!("{:.0}", d.millis))
            data-frames-ms=move || done().map(|d| format!("{:.0}", d.frames_millis))
            data-gpu-cpu-abs=move || done().and_then(|d| d.gpu_cpu_difference).map(|(a, _)| format!("{a:e}"))
            data-gpu-cpu-rel=move || done().and_then(|d| d.gpu_cpu_difference).map(|(_, r)| format!("{r:e}"))
            role="meter"
            aria-label="Lip-sync offset"
            aria-valuemin="-250"
            aria-valuemax="350"
            aria-valuenow=move || done().map(|d| format!("{:.0}", d.reading.offset_ms))
        >
            <div class="meter-scale" aria-hidden="true">
                {zone_views}
                <span class="meter-zero" style=format!("left:{:.2}%", scale_percent(0.0))></span>
                {move || done().filter(|d| d.reading.level() != Level::Unsure).map(|d| view! {
                    <span class="meter-needle" style=format!("left:{:.2}%", scale_percent(d.reading.offset_ms))></span>
                })}
            </div>
            <div class="meter-scale-labels" aria-hidden="true">
                <span>"sound early"</span>
                <span>"0"</span>
                <span>"sound late"</span>
            </div>
            <div class="meter-readout">{readout}</div>
            <div class="meter-detail">{detail}</div>
        </div>
    }
}
