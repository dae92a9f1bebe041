//! The scrub bar: the playhead, in/out marks and keyframe ticks over the
//! clip's length. Dragging anywhere on it seeks frame by frame; the pointer
//! is captured so a drag that leaves the bar keeps scrubbing.

use leptos::html;
use leptos::prelude::*;
use web_sys::{Element, PointerEvent};

/// Frame under the pointer, from its position across the bar.
fn frame_at(bar: &Element, ev: &PointerEvent, frame_count: usize) -> Option<usize> {
    let rect = bar.get_bounding_client_rect();
    if rect.width() <= 0.0 || frame_count == 0 {
        return None;
    }
    let fraction = ((ev.client_x() - rect.left()) / rect.width()).clamp(0.0, 1.0);
    Some(((fraction * frame_count as f64) as usize).min(frame_count - 1))
}

/// Left edge of `frame`'s slot, as a CSS percentage.
fn percent(frame: usize, frame_count: usize) -> f64 {
    if frame_count == 0 {
        0.0
    } else {
        frame as f64 * 100.0 / frame_count as f64
    }
}

/// A filled, mirrored outline of the peaks in a `0..n × -1..1` box.
fn waveform_path(peaks: &[f32]) -> Option<(String, usize)> {
    use std::fmt::Write as _;
    if peaks.is_empty() {
        return None;
    }
    let mut d = String::from("M0 0");
    for (i, p) in peaks.iter().enumerate() {
        let _ = write!(d, "L{i} {:.3}", -p);
    }
    for (i, p) in peaks.iter().enumerate().rev() {
        let _ = write!(d, "L{i} {p:.3}");
    }
    d.push('Z');
    Some((d, peaks.len()))
}

#[component]
pub fn Timeline(
    frame_count: Signal<usize>,
    playhead: RwSignal<usize>,
    mark_in: RwSignal<Option<usize>>,
    mark_out: RwSignal<Option<usize>>,
    keyframes: Signal<Vec<usize>>,
    /// Loudness per bucket across the take, 0.0–1.0; empty when silent.
    peaks: Signal<Vec<f32>>,
    on_seek: Callback<usize>,
    /// Frames from the start already decoded into the player's memory, so
    /// scrubbing over them is instant: shown as a thin bar, as an edit
    /// suite shows what is ready to play.
    #[prop(optional, into)]
    decoded: Signal<usize>,
    /// Comments to show along the bar; clicking one calls `on_marker`.
    #[prop(optional, into)]
    markers: Signal<Vec<super::Marker>>,
    #[prop(optional)]
    on_marker: Option<Callback<String>>,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    // The bar itself, not the event's target: the pointer may be over a
    // mark or the waveform inside it.
    let bar_ref = NodeRef::<html::Div>::new();
    let seek_to = move |ev: &PointerEvent| {
        let Some(bar) = bar_ref.get_untracked() else {
            return;
        };
        if let Some(frame) = frame_at(&bar, ev, frame_count.get_untracked()) {
            on_seek.run(frame);
        }
    };
    let down = move |ev: PointerEvent| {
        if let Some(bar) = bar_ref.get_untracked() {
            // Synthetic or already-captured pointers refuse; scrubbing still
            // works while the pointer stays over the bar.
            let _ = bar.set_pointer_capture(ev.pointer_id());
        }
        dragging.set(true);
        seek_to(&ev);
    };
    let moved = move |ev: PointerEvent| {
        if dragging.get_untracked() {
            seek_to(&ev);
        }
    };
    let up = move |_: PointerEvent| dragging.set(false);
    let span_style = move || {
        let count = frame_count.get();
        let start = mark_in.get().unwrap_or(0);
        let end = mark_out.get().map_or(count, |f| f + 1);
        (mark_in.get().is_some() || mark_out.get().is_some()).then(|| {
            format!(
                "left:{:.3}%;width:{:.3}%",
                percent(start, count),
                percent(end.saturating_sub(start), count)
            )
        })
    };

    view! {
        <div
            node_ref=bar_ref
            class="timeline"
            class:dragging=move || dragging.get()
            data-testid="player-timeline"
            on:pointerdown=down
            on:pointermove=moved
            on:pointerup=up
            on:pointercancel=up
        >
            <div class="timeline-track">
                {move || waveform_path(&peaks.get()).map(|(d, n)| view! {
                    <svg class="timeline-wave" viewBox=format!("0 -1 {n} 2") preserveAspectRatio="none" aria-hidden="true">
                        <path d=d></path>
                    </svg>
                })}
                {move || {
                    let count = frame_count.get();
                    keyframes
                        .get()
                        .into_iter()
                        .map(|k| view! { <span class="timeline-key" style=format!("left:{:.3}%", percent(k, count))></span> })
                        .collect_view()
                }}
                {move || span_style().map(|style| view! { <span class="timeline-span" style=style></span> })}
                {move || {
                    let (done, count) = (decoded.get(), frame_count.get());
                    (done > 0).then(|| view! {
                        <span
                            class="timeline-decoded"
                            class:complete={done >= count}
                            data-testid="timeline-decoded"
                            style=format!("width:{:.3}%", percent(done.min(count), count))
                        ></span>
                    })
                }}
                {move || mark_in.get().map(|f| view! {
                    <span class="timeline-mark in" title=format!("In: frame {f}") style=format!("left:{:.3}%", percent(f, frame_count.get()))></span>
                })}
                {move || mark_out.get().map(|f| view! {
                    <span class="timeline-mark out" title=format!("Out: frame {f}") style=format!("left:{:.3}%", percent(f + 1, frame_count.get()))></span>
                })}
            </div>
            <div class="timeline-markers">
                {move || {
                    let count = frame_count.get();
                    markers.get().into_iter().map(|m| {
                        let id = m.id.clone();
                        let width = m.frame_out.map(|out| percent(out + 1 - m.frame.min(out), count));
                        let style = match width {
                            Some(w) => format!("left:{:.3}%;width:{w:.3}%", percent(m.frame, count)),
                            None => format!("left:{:.3}%", percent(m.frame, count)),
                        };
                        view! {
                            <button
                                type="button"
                                class="timeline-marker"
                                class:span=width.is_some()
                                class:muted=m.muted
                                style=style
                                title=m.label.clone()
                                aria-label=m.label.clone()
                                data-testid="timeline-marker"
                                data-frame=m.frame.to_string()
                                data-comment=m.id.clone()
                                // The bar under it would seek to the pointer instead.
                                on:pointerdown=|ev: PointerEvent| ev.stop_propagation()
                                on:click=move |_| {
                                    if let Some(pick) = on_marker {
                                        pick.run(id.clone());
                                    }
                                }
                            ></button>
                        }
                    }).collect_view()
                }}
            </div>
            <div
                class="timeline-playhead"
                data-testid="player-playhead"
                style=move || format!("left:{:.3}%", percent(playhead.get(), frame_count.get()))
            >
                <span class="timeline-playhead-label">{move || playhead.get().to_string()}</span>
            </div>
        </div>
    }
}
