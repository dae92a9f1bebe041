//! The compare view: two to four variants of one job under one clock. The
//! stage shows them in a grid, or two of them stacked as a wipe, an onion
//! skin or a difference (composited by the browser from the two canvases,
//! which always show the same frame). Below: one transport and scrub bar for
//! all, and a lane per variant with its meter, tracks and correction.

use std::rc::Rc;

use chorus_core::Job;
use chorus_core::api::asset_url;
use js_sys::{Array, Object, Reflect};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::{KeyboardEvent, PointerEvent};

use super::slot::{Disagreements, Meter, Shared, Slot, load};
use super::tracks::Lane;
use super::variant::{SlotScreen, VariantHead};
use super::variants::{take_name, version_label};
use crate::player::live::{command_of, live};
use crate::player::markers::markers_of;
use crate::player::timeline::Timeline;
use crate::review::feedback::FeedbackStore;
use crate::player::transport::Status;
use crate::player::transport_bar::TransportBar;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Grid,
    Wipe,
    Onion,
    Difference,
}

impl Layout {
    const ALL: [Layout; 4] = [
        Layout::Grid,
        Layout::Wipe,
        Layout::Onion,
        Layout::Difference,
    ];

    fn name(self) -> &'static str {
        match self {
            Layout::Grid => "Grid",
            Layout::Wipe => "Wipe",
            Layout::Onion => "Onion skin",
            Layout::Difference => "Difference",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Layout::Grid => "grid",
            Layout::Wipe => "wipe",
            Layout::Onion => "onion",
            Layout::Difference => "difference",
        }
    }
}

#[component]
pub fn CompareView(job: RwSignal<Job>, takes: Vec<usize>) -> impl IntoView {
    let slots: Vec<Slot> = job.with_untracked(|j| {
        takes
            .iter()
            .enumerate()
            .map(|(i, &t)| Slot::new(i, t, j))
            .collect()
    });
    let count = slots.len();
    let (transport, state) = live(count, publish);
    let shared = StoredValue::new_local(Shared::new(transport));
    let layout = RwSignal::new(Layout::Grid);
    let pair = RwSignal::new((0_usize, 1_usize.min(count.saturating_sub(1))));
    let wipe = RwSignal::new(50.0_f64);
    let onion = RwSignal::new(50.0_f64);
    let solo = RwSignal::new(None::<usize>);

    // Each slot loads its sound, visemes and measurement whenever the
    // version it shows changes.
    for slot in slots.iter().copied() {
        Effect::new(move |_| {
            let shown = slot.shown.get();
            let job = job.get_untracked();
            shared.with_value(|s| load(Rc::clone(s), slot, job, shown));
        });
    }
    let muted: Vec<RwSignal<bool>> = slots.iter().map(|s| s.muted).collect();
    Effect::new(move |_| {
        let solo = solo.get();
        let audible: Vec<bool> = muted
            .iter()
            .enumerate()
            .map(|(i, m)| solo.map_or(!m.get(), |s| s == i))
            .collect();
        shared.with_value(|s| s.transport.with_sound(|mix| mix.set_audible(&audible)));
    });
    on_cleanup(move || {
        shared.try_with_value(|s| s.transport.pause());
    });

    let on_command =
        Callback::new(move |command| shared.with_value(|s| s.transport.apply(command)));
    let on_keydown = move |ev: KeyboardEvent| {
        if let Some(command) = command_of(&ev) {
            ev.prevent_default();
            on_command.run(command);
        }
    };
    let seek = Callback::new(move |frame: usize| shared.with_value(|s| s.transport.scrub(frame)));

    let role = move |index: usize| {
        Signal::derive(move || {
            if layout.get() == Layout::Grid {
                return "grid";
            }
            let (a, b) = pair.get();
            if index == a {
                "a"
            } else if index == b {
                "b"
            } else {
                "hidden"
            }
        })
    };
    let screen_style = move |index: usize| {
        Signal::derive(move || {
            if pair.get().1 != index || pair.get().0 == index {
                return String::new();
            }
            match layout.get() {
                Layout::Wipe => format!("clip-path: inset(0 0 0 {:.2}%)", wipe.get()),
                Layout::Onion => format!("opacity: {:.2}", onion.get() / 100.0),
                Layout::Grid | Layout::Difference => String::new(),
            }
        })
    };
    let stage_ref = NodeRef::<html::Div>::new();
    let dragging = RwSignal::new(false);
    let wipe_to = move |ev: &PointerEvent| {
        if let Some(stage) = stage_ref.get_untracked() {
            let rect = stage.get_bounding_client_rect();
            if rect.width() > 0.0 {
                wipe.set(((ev.client_x() - rect.left()) / rect.width() * 100.0).clamp(0.0, 100.0));
            }
        }
    };
    let aspect = job.with_untracked(|j| {
        j.outputs.first().map_or_else(
            || "16 / 9".to_string(),
            |o| format!("{} / {}", o.width, o.height),
        )
    });
    let frame_count = Signal::derive(move || state.frame_count.get());
    let timecode = Signal::derive(move || {
        let frame = state.playhead.get();
        // Re-read once the screens have loaded (their tracks know the rate).
        state.frame_count.track();
        shared
            .with_value(|s| {
                s.transport
                    .first_screen()
                    .and_then(|screen| screen.frames.track.frame_timecode(frame))
            })
            .map_or_else(|| "--:--:--:--".to_string(), |t| t.to_string())
    });
    let detail = Signal::derive(move || {
        state.frame_count.track();
        shared
            .with_value(|s| s.transport.first_screen().map(|screen| screen.backend()))
            .unwrap_or("loading…")
            .to_string()
    });
    let first_peaks = slots[0].peaks;
    // Reviewers' comments on the takes shown, as markers on the one
    // timeline; a marker clicked takes every screen to its frame.
    let feedback = use_context::<FeedbackStore>();
    let shown: Vec<(usize, RwSignal<usize>)> = slots.iter().map(|s| (s.original, s.shown)).collect();
    if let Some(store) = feedback {
        store.want(&job.with_untracked(|j| j.id.clone()));
    }
    let markers = Signal::derive(move || {
        let Some(store) = feedback else {
            return Vec::new();
        };
        let comments = store.comments(&job.with(|j| j.id.clone()));
        shown
            .iter()
            .flat_map(|(original, take)| markers_of(&comments, *original, take.get()))
            .collect::<Vec<_>>()
    });
    let on_marker = Callback::new(move |picked: String| {
        let frame = markers.with_untracked(|m| m.iter().find(|m| m.id == picked).map(|m| m.frame));
        if let Some(frame) = frame {
            shared.with_value(|s| {
                s.transport.pause();
                s.transport.seek(frame);
            });
        }
    });
    let pair_slots = slots.clone();

    view! {
        <div class="compare" tabindex="0" on:keydown=on_keydown data-testid="compare-view"
            aria-keyshortcuts="Space J K L ArrowLeft ArrowRight Home End I O">
            <div class="compare-bar">
                <div class="segmented" role="radiogroup" aria-label="Layout">
                    {Layout::ALL.into_iter().map(|l| view! {
                        <button type="button" role="radio" class="segment" class:selected=move || layout.get() == l
                            aria-checked=move || (layout.get() == l).to_string()
                            data-testid=format!("layout-{}", l.class())
                            disabled=move || l != Layout::Grid && count < 2
                            on:click=move |_| layout.set(l)>{l.name()}</button>
                    }).collect_view()}
                </div>
                {move || (layout.get() != Layout::Grid).then(|| view! {
                    <PairPicker job=job slots=pair_slots.clone() pair=pair />
                })}
                {move || (layout.get() == Layout::Onion).then(|| view! {
                    <label class="onion-amount">"Top layer"
                        <input type="range" min="0" max="100" prop:value=move || onion.get().to_string()
                            on:input=move |ev| if let Ok(v) = event_target_value(&ev).parse() { onion.set(v) } />
                    </label>
                })}
            </div>
            <div
                node_ref=stage_ref
                class=move || format!("compare-stage mode-{} count-{count}", layout.get().class())
                style=format!("--clip-aspect: {aspect}")
                data-testid="compare-stage"
                on:pointerdown=move |ev| if layout.get_untracked() == Layout::Wipe { dragging.set(true); wipe_to(&ev); }
                on:pointermove=move |ev| if dragging.get_untracked() { wipe_to(&ev); }
                on:pointerup=move |_| dragging.set(false)
                on:pointerleave=move |_| dragging.set(false)
            >
                {slots.iter().copied().map(|slot| view! {
                    {move || {
                        let output = slot.shown.get();
                        let (url, label, version) = job.with_untracked(|j| {
                            let take = j.outputs.get(output);
                            let url = take.map(|o| asset_url(&o.video)).unwrap_or_default();
                            let words = take.map(version_label).unwrap_or_default();
                            let version = take.map_or(1, chorus_core::JobOutput::version);
                            (url, format!("{} · {words}", take_name(&j.outputs, output)), version)
                        });
                        view! {
                            <SlotScreen variant=slot output url label version shared state
                                role=role(slot.index) style=screen_style(slot.index) />
                        }
                    }}
                }).collect_view()}
                {move || (layout.get() == Layout::Wipe).then(|| view! {
                    <span class="wipe-handle" style=move || format!("left:{:.2}%", wipe.get())></span>
                })}
            </div>
            <TransportBar state on_command name="compare" timecode detail errors_here=true />
            <Timeline
                frame_count=frame_count
                playhead=state.playhead
                mark_in=state.mark_in
                mark_out=state.mark_out
                keyframes=Signal::derive(Vec::new)
                peaks=first_peaks.into()
                on_seek=seek
                markers
                on_marker
            />
            <div class="compare-lanes" data-testid="compare-lanes">
                {slots.iter().copied().map(|slot| view! {
                    <div class="compare-lane-row">
                        <VariantHead variant=slot job solo />
                        <Lane
                            frame_count=frame_count
                            playhead=state.playhead.into()
                            peaks=slot.peaks.into()
                            mouth=Signal::derive(move || match slot.meter.get() {
                                Meter::Done(d) => d.mouth_motion.clone(),
                                _ => Vec::new(),
                            })
                            visemes=slot.visemes.into()
                            disagreements=Signal::derive(move || match slot.meter.get() {
                                Meter::Done(d) => d.disagreements.clone(),
                                _ => Disagreements::default(),
                            })
                            mouth_status=Signal::derive(move || match slot.meter.get() {
                                Meter::Waiting | Meter::Measuring => "measuring…",
                                Meter::NoSound => "no sound to compare with",
                                Meter::Failed(_) => "not measured",
                                Meter::Done(_) => "no mouth motion found",
                            })
                            on_seek=seek
                        />
                    </div>
                }).collect_view()}
            </div>
        </div>
    }
}

/// Which two variants the stacked layouts show: A under, B on top.
#[component]
fn PairPicker(
    job: RwSignal<Job>,
    slots: Vec<Slot>,
    pair: RwSignal<(usize, usize)>,
) -> impl IntoView {
    let options = move || {
        job.with(|j| {
            slots
                .iter()
                .map(|s| (s.index, take_name(&j.outputs, s.original)))
                .collect::<Vec<_>>()
        })
    };
    let pick = move |which: usize| {
        move |ev: leptos::ev::Event| {
            if let Ok(index) = event_target_value(&ev).parse::<usize>() {
                pair.update(|(a, b)| if which == 0 { *a = index } else { *b = index });
            }
        }
    };
    let select = move |which: usize, label: &'static str| {
        view! {
            <label class="pair-pick">
                <span>{label}</span>
                <select on:change=pick(which) data-testid=format!("pair-{which}")>
                    {options().into_iter().map(|(i, name)| view! {
                        <option value=i.to_string() selected=move || {
                            let (a, b) = pair.get();
                            if which == 0 { a == i } else { b == i }
                        }>{name}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    };
    view! { <div class="pair">{select(0, "Under")}{select(1, "Over")}</div> }
}

/// The test hook: `window.__chorusCompare`, each screen's frame and
/// checksum.
fn publish(status: &Status) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let to_array = |values: Vec<Option<f64>>| {
        values
            .into_iter()
            .map(|v| v.map_or(JsValue::NULL, JsValue::from_f64))
            .collect::<Array>()
    };
    let frames = status.shown.iter().map(|f| f.map(|f| f as f64)).collect();
    let sums = status.checksums.iter().map(|c| c.map(f64::from)).collect();
    let hook = Object::new();
    let _ = Reflect::set(&hook, &"frames".into(), &to_array(frames));
    let _ = Reflect::set(&hook, &"checksums".into(), &to_array(sums));
    let _ = Reflect::set(
        &hook,
        &"frameCount".into(),
        &JsValue::from_f64(status.frame_count as f64),
    );
    let _ = Reflect::set(
        &hook,
        &"playing".into(),
        &JsValue::from_bool(status.playing()),
    );
    let _ = Reflect::set(&window, &"__chorusCompare".into(), &hook);
}
