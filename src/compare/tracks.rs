//! A variant's lane on the shared timeline: its waveform, its measured
//! mouth motion and, when the take has a sidecar, its viseme track, all on
//! the same frame axis as every other variant's, with the common playhead.
//! A click anywhere on a lane seeks every variant there.

use leptos::html;
use leptos::prelude::*;
use serde::Deserialize;
use web_sys::MouseEvent;

use super::slot::Disagreements;

/// One viseme span of a take's sidecar (the draft engine writes these),
/// on the picture's frame numbers.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct VisemeSpan {
    pub viseme: String,
    pub start_frame: u32,
    pub end_frame: u32,
}

/// The part of a sidecar the compare view reads; anything else is ignored.
#[derive(Deserialize)]
struct Sidecar {
    #[serde(default)]
    visemes: Vec<VisemeSpan>,
}

/// Fetches a sidecar asset; a missing or unreadable one is no track.
pub async fn load_visemes(asset: &str) -> Vec<VisemeSpan> {
    let url = chorus_core::api::asset_url(asset);
    let Ok(response) = gloo_net::http::Request::get(&url).send().await else {
        return Vec::new();
    };
    response
        .json::<Sidecar>()
        .await
        .map(|s| s.visemes)
        .unwrap_or_default()
}

/// SVG path of a 0..1 series drawn as a filled area over `0..n × 0..1`.
fn area_path(values: &[f32]) -> Option<String> {
    use std::fmt::Write as _;
    let peak = values.iter().fold(0.0_f32, |m, v| m.max(*v));
    if values.is_empty() || peak <= 0.0 {
        return None;
    }
    let mut d = String::from("M0 1");
    for (i, v) in values.iter().enumerate() {
        let y = 1.0 - (v.max(0.0) / peak).min(1.0);
        let _ = write!(d, "L{i} {y:.3}L{} {y:.3}", i + 1);
    }
    let _ = write!(d, "L{} 1Z", values.len());
    Some(d)
}

fn percent(frame: usize, count: usize) -> f64 {
    if count == 0 {
        0.0
    } else {
        frame as f64 * 100.0 / count as f64
    }
}

#[component]
pub fn Lane(
    frame_count: Signal<usize>,
    playhead: Signal<usize>,
    /// Loudness buckets across the clip, 0..=1.
    peaks: Signal<Vec<f32>>,
    /// The mouth region's motion per frame (empty until measured).
    mouth: Signal<Vec<f32>>,
    visemes: Signal<Vec<VisemeSpan>>,
    /// Frame spans where mouth and voice disagree: moving in silence, and
    /// still under speech.
    disagreements: Signal<Disagreements>,
    /// What the mouth row says while it has no motion to draw.
    mouth_status: Signal<&'static str>,
    on_seek: Callback<usize>,
) -> impl IntoView {
    let lane_ref = NodeRef::<html::Div>::new();
    let click = move |ev: MouseEvent| {
        let (Some(lane), count) = (lane_ref.get_untracked(), frame_count.get_untracked()) else {
            return;
        };
        let rect = lane.get_bounding_client_rect();
        if rect.width() > 0.0 && count > 0 {
            let fraction = ((ev.client_x() - rect.left()) / rect.width()).clamp(0.0, 1.0);
            on_seek.run(((fraction * count as f64) as usize).min(count - 1));
        }
    };
    let wave = move || {
        let peaks = peaks.get();
        area_path(&peaks).map(|d| {
            view! {
                <svg class="lane-wave" viewBox=format!("0 0 {} 1", peaks.len()) preserveAspectRatio="none" aria-hidden="true">
                    <path d=d></path>
                </svg>
            }
        })
    };
    let motion = move || {
        let values = mouth.get();
        area_path(&values).map(|d| {
            view! {
                <svg class="lane-mouth" viewBox=format!("0 0 {} 1", values.len()) preserveAspectRatio="none" aria-hidden="true">
                    <path d=d></path>
                </svg>
            }
        })
    };
    let flagged = move || {
        let count = frame_count.get();
        let Disagreements { silent, still } = disagreements.get();
        let mark = move |(start, end): (usize, usize), class: &'static str, title: &'static str| {
            view! {
                <span class=format!("flag {class}") title=title
                    style=format!("left:{:.3}%;width:{:.3}%", percent(start, count), percent(end.saturating_sub(start), count))></span>
            }
        };
        silent
            .into_iter()
            .map(|s| mark(s, "silent", "The mouth moves but nothing is heard"))
            .chain(
                still
                    .into_iter()
                    .map(|s| mark(s, "still", "Speech plays over a still mouth")),
            )
            .collect_view()
    };
    let spans = move || {
        let count = frame_count.get();
        visemes
            .get()
            .into_iter()
            .filter(|v| v.viseme != "sil")
            .map(|v| {
                let start = v.start_frame as usize;
                let width = (v.end_frame.max(v.start_frame + 1) - v.start_frame) as usize;
                view! {
                    <span
                        class=format!("viseme v-{}", v.viseme.to_lowercase())
                        title=format!("{} · frames {}–{}", v.viseme, v.start_frame, v.end_frame)
                        style=format!("left:{:.3}%;width:{:.3}%", percent(start, count), percent(width, count))
                    >{v.viseme.clone()}</span>
                }
            })
            .collect_view()
    };
    view! {
        <div class="lane" node_ref=lane_ref on:click=click data-testid="compare-lane">
            <div class="lane-row" title="Sound">
                <span class="lane-label">"Sound"</span>
                {wave}
            </div>
            <div class="lane-row" title="Mouth motion, as measured" data-testid="lane-mouth">
                <span class="lane-label">"Mouth"</span>
                {move || motion().map_or_else(
                    || view! { <span class="lane-empty">{mouth_status.get()}</span> }.into_any(),
                    IntoAny::into_any,
                )}
                {flagged}
            </div>
            <div class="lane-row visemes" title="Visemes from the take's sidecar" data-testid="lane-visemes">
                <span class="lane-label">"Visemes"</span>
                {move || if visemes.with(Vec::is_empty) {
                    view! { <span class="lane-empty">"no sidecar"</span> }.into_any()
                } else {
                    spans().into_any()
                }}
            </div>
            <div class="lane-playhead" style=move || format!("left:{:.3}%", percent(playhead.get(), frame_count.get()))></div>
        </div>
    }
}
