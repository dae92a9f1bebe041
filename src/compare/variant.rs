//! One variant's two faces in the compare view: its screen (a canvas under
//! the shared transport, with the mouth region the measurement found) and its
//! head on the timeline (name, version, solo and mute, sync meter, and the
//! correction that makes its next version).

use std::rc::Rc;

use chorus_core::Job;
use chorus_core::job::versions_of;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::meter::Level;
use super::meter_view::SyncMeter;
use super::slot::{Meter, Shared, Slot};
use super::variants::{newest_version, take_name, version_label};
use crate::api;
use crate::player::live::TransportState;
use crate::player::frames::Fill;
use crate::player::screen::CanvasScreen;
use crate::player::view::follow_fill;

#[component]
pub fn SlotScreen(
    variant: Slot,
    /// The output shown (index in the job's outputs).
    output: usize,
    url: String,
    label: String,
    /// Its version number (1 as generated).
    version: u32,
    shared: StoredValue<Rc<Shared>, LocalStorage>,
    state: TransportState,
    /// `grid`, `a`, `b` or `hidden`: where the screen sits in the stage.
    role: Signal<&'static str>,
    /// Extra style for the wipe and onion modes.
    style: Signal<String>,
) -> impl IntoView {
    let slot = variant;
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let error = RwSignal::new(None::<String>);
    let fill = RwSignal::new(Fill::Off);
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else {
            return;
        };
        let url = url.clone();
        spawn_local(async move {
            match CanvasScreen::open(&url, canvas).await {
                Ok(screen) if slot.shown.get_untracked() == output => {
                    spawn_local(follow_fill(Rc::downgrade(&screen.frames), fill));
                    shared.with_value(|s| {
                        s.transport.set_screen(slot.index, Some(Rc::new(screen)));
                    });
                }
                Ok(_) => {}
                Err(why) => error.set(Some(why)),
            }
        });
    });
    on_cleanup(move || {
        shared.try_with_value(|s| s.transport.set_screen(slot.index, None));
    });
    let region = move || match slot.meter.get() {
        Meter::Done(d) => Some(format!(
            "left:{:.2}%;top:{:.2}%;width:{:.2}%;height:{:.2}%",
            d.region.x * 100.0,
            d.region.y * 100.0,
            d.region.w * 100.0,
            d.region.h * 100.0
        )),
        _ => None,
    };
    let shown = move || state.shown.with(|s| s.get(slot.index).copied().flatten());
    let checksum = move || {
        state
            .checksums
            .with(|s| s.get(slot.index).copied().flatten())
    };
    view! {
        <div
            class=move || format!("compare-screen role-{}", role.get())
            style=style
            data-testid="compare-screen"
            data-slot=slot.index
            data-output=output
            data-version=version
            data-frame=move || shown().map(|f| f.to_string())
            data-checksum=move || checksum().map(|c| c.to_string())
            data-fill=move || fill.get().to_string()
        >
            <canvas node_ref=canvas_ref width="16" height="9" aria-label=format!("{label} picture")></canvas>
            {move || region().map(|style| view! {
                <span class="mouth-box" style=style title="Where the speaking mouth was found"></span>
            })}
            <span class="screen-label">{label.clone()}</span>
            {move || error.get().map(|why| view! { <p class="player-error" role="alert">{why}</p> })}
        </div>
    }
}

#[component]
pub fn VariantHead(
    variant: Slot,
    job: RwSignal<Job>,
    solo: RwSignal<Option<usize>>,
) -> impl IntoView {
    let slot = variant;
    // Corrections make a new version: for editors (viewers still measure).
    let access = crate::access::use_access();
    let name = move || job.with(|j| take_name(&j.outputs, slot.original));
    let versions = move || {
        job.with(|j| {
            versions_of(&j.outputs, slot.original)
                .into_iter()
                .map(|i| (i, version_label(&j.outputs[i])))
                .collect::<Vec<_>>()
        })
    };
    let next_version = move || {
        job.with(|j| {
            newest_version(&j.outputs, slot.original)
                .and_then(|i| j.outputs.get(i))
                .map_or(2, |o| o.version() + 1)
        })
    };
    let on_version = move |ev: leptos::ev::Event| {
        if let Ok(index) = event_target_value(&ev).parse::<usize>() {
            // Picking a version by hand leaves the correction behind.
            slot.before.set(None);
            slot.shown.set(index);
        }
    };
    let soloed = move || solo.get() == Some(slot.index);
    let toggle_solo = move |_| {
        solo.update(|s| {
            *s = if *s == Some(slot.index) {
                None
            } else {
                Some(slot.index)
            }
        });
    };
    let toggle_mute = move |_| slot.muted.update(|m| *m = !*m);
    let apply = move |_| {
        let shift = slot.nudge.get_untracked();
        let shown = slot.shown.get_untracked();
        let id = job.with_untracked(|j| j.id.clone());
        slot.applying.set(true);
        slot.apply_error.set(None);
        slot.before.set(match slot.meter.get_untracked() {
            Meter::Done(d) => Some(d.reading),
            _ => None,
        });
        spawn_local(async move {
            match api::shift_audio(&id, shown, shift).await {
                Ok(updated) => {
                    let newest = newest_version(&updated.outputs, slot.original);
                    job.set(updated);
                    if let Some(newest) = newest {
                        slot.shown.set(newest);
                    }
                }
                Err(err) => slot.apply_error.set(Some(err.message())),
            }
            slot.applying.set(false);
        });
    };
    let nudge_by = move |delta: i32| slot.nudge.update(|n| *n = n.saturating_add(delta));
    let on_nudge = move |ev: leptos::ev::Event| {
        if let Ok(value) = event_target_value(&ev).trim().parse::<i32>() {
            slot.nudge.set(value);
        }
    };
    let apply_text = move || {
        let shift = slot.nudge.get();
        if shift == 0 {
            return "Nothing to move".to_string();
        }
        let direction = if shift < 0 { "earlier" } else { "later" };
        format!(
            "Make v{} · sound {} ms {direction}",
            next_version(),
            shift.abs()
        )
    };

    view! {
        <div class="variant-head" data-testid="variant-head" data-slot=slot.index>
            <div class="variant-title">
                <span class="chip">{name}</span>
                <select
                    class="variant-version"
                    aria-label=move || format!("{} version", name())
                    data-testid="variant-version"
                    on:change=on_version
                    prop:value=move || slot.shown.get().to_string()
                >
                    {move || versions().into_iter().map(|(i, label)| view! {
                        <option value=i.to_string() selected=move || slot.shown.get() == i>{label}</option>
                    }).collect_view()}
                </select>
                <span class="variant-audio">
                    <button type="button" class="toggle" class:on=soloed aria-pressed=move || soloed().to_string()
                        title="Hear only this variant" data-testid="variant-solo" on:click=toggle_solo>"S"</button>
                    <button type="button" class="toggle" class:on=move || slot.muted.get() aria-pressed=move || slot.muted.get().to_string()
                        title="Mute this variant" data-testid="variant-mute" on:click=toggle_mute>"M"</button>
                </span>
            </div>
            <SyncMeter meter=slot.meter index=slot.index />
            <Show when=move || access.can_edit()>
            <div class="variant-apply">
                <label class="nudge">
                    <span>"Move sound"</span>
                    <button type="button" class="nudge-step" aria-label="10 ms earlier" on:click=move |_| nudge_by(-10)>"−10"</button>
                    <input type="number" step="1" inputmode="numeric" data-testid="variant-nudge"
                        prop:value=move || slot.nudge.get().to_string() on:change=on_nudge />
                    <button type="button" class="nudge-step" aria-label="10 ms later" on:click=move |_| nudge_by(10)>"+10"</button>
                    <span>"ms"</span>
                </label>
                <button
                    type="button"
                    class="button primary small"
                    data-testid="variant-apply"
                    disabled=move || slot.applying.get() || slot.nudge.get() == 0
                    on:click=apply
                >
                    {move || if slot.applying.get() { "Remuxing…".to_string() } else { apply_text() }}
                </button>
            </div>
            </Show>
            {move || slot.apply_error.get().map(|e| view! { <p class="problem error" role="alert">{e}</p> })}
            {move || correction_result(slot)}
        </div>
    }
}

/// After a correction: the meter before and after, and a warning when the
/// new version does not read in sync.
fn correction_result(slot: Slot) -> Option<impl IntoView> {
    let before = slot.before.get()?;
    let Meter::Done(after) = slot.meter.get() else {
        return None;
    };
    let after = after.reading;
    let words = |r: &super::meter::Reading| match &r.cant_tell {
        Some(_) => "can't tell".to_string(),
        None => format!("{:+.0} ms, {}", r.offset_ms, r.verdict_text()),
    };
    let level = after.level();
    let warning = (level != Level::InSync).then(|| {
        if level == Level::Unsure {
            "The new version can't be read with confidence: check it by eye before sending."
        } else {
            "The new version still does not read in sync: try another shift."
        }
    });
    Some(view! {
        <div class="correction-result" data-testid="correction-result" data-after-level=level.class()>
            <span class="correction-before">"Before: " {words(&before)}</span>
            <span class="correction-arrow" aria-hidden="true">" → "</span>
            <span class="correction-after">"after: " {words(&after)}</span>
            {warning.map(|w| view! { <p class="problem warning" role="status">{w}</p> })}
        </div>
    })
}
