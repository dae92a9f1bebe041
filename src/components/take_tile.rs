//! One take in the Library: its poster (made by the server when the take
//! was stored), scrubbed on hover through the keyframe strip, and the one
//! player of the page once the take is opened (click, Enter or Space).
//! Only the opened take holds a decoder and frames; every other take is two
//! small images.

use chorus_core::api::asset_url;
use chorus_core::{JobId, JobOutput};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent, PointerEvent};

use crate::library_selection::{Selection, TakeRef};
use crate::player::{Player, PlayerLink};
use crate::review::feedback::FeedbackStore;
use crate::review::shapes::ShapesLayer;

/// The Library's picked takes, and every take in the order shown (for
/// Shift-click runs).
#[derive(Clone, Copy)]
pub struct LibrarySelection {
    pub picked: RwSignal<Selection>,
    pub order: Memo<Vec<TakeRef>>,
}

/// What a click or key on a poster asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Act {
    Open,
    Toggle,
    Extend,
}

/// The take the Library has open in its player, if any: job and output.
#[derive(Clone, Copy)]
pub struct OpenTake(pub RwSignal<Option<(JobId, usize)>>);

impl OpenTake {
    pub fn new() -> Self {
        Self(RwSignal::new(None))
    }

    fn is(&self, job: &JobId, output: usize) -> bool {
        self.0
            .with(|open| open.as_ref().is_some_and(|(j, o)| j == job && *o == output))
    }
}

/// Which strip tile a pointer at `x` of a `width`-wide poster points at.
fn tile_at(x: f64, width: f64, tiles: usize) -> Option<usize> {
    if tiles == 0 || width <= 0.0 {
        return None;
    }
    let at = (x / width).clamp(0.0, 0.999_999);
    Some((at * tiles as f64) as usize)
}

#[component]
pub fn TakeTile(job: JobId, index: usize, output: JobOutput, label: String) -> impl IntoView {
    let open = expect_context::<OpenTake>();
    let is_open = {
        let job = job.clone();
        Memo::new(move |_| open.is(&job, index))
    };
    let aspect = format!("aspect-ratio: {} / {}", output.width.max(1), output.height.max(1));
    let video = asset_url(&output.video);
    let (width, height) = (output.width, output.height);
    let title = format!(
        "Open the {label} take in the player (Enter); Ctrl-click or X to select it, Shift-click for a run"
    );
    let selection = expect_context::<LibrarySelection>();
    let me: TakeRef = (job.to_string(), index);
    let comments_job = job.clone();
    let shapes_job = job.clone();
    let focus_job = job.clone();
    let picked = {
        let me = me.clone();
        Memo::new(move |_| selection.picked.with(|s| s.contains(&me)))
    };
    let act = {
        let me = me.clone();
        move |act: Act| match act {
            Act::Open => open.0.set(Some((job.clone(), index))),
            Act::Toggle => selection.picked.update(|s| s.toggle(me.clone())),
            Act::Extend => {
                let order = selection.order.get_untracked();
                selection.picked.update(|s| s.extend_to(me.clone(), &order));
            }
        }
    };
    let act = StoredValue::new(act);
    let toggle = move |_| act.with_value(|f| f(Act::Toggle));
    let link = PlayerLink::new();
    let original = output.revision.map_or(index, |r| r.of);
    let close = move |_| {
        open.0.set(None);
        // A player opened again learns its frames again.
        link.frame_count.set(0);
    };
    let opened = NodeRef::<html::Div>::new();
    // Reviewers' comments on this take, as markers; a marker clicked shows
    // its frame and drawing.
    let feedback = use_context::<FeedbackStore>();
    Effect::new(move |_| {
        if let Some(store) = feedback {
            link.markers.set(store.markers(&comments_job, original, index));
        }
    });
    if let Some(store) = feedback {
        let job = focus_job;
        Effect::new(move |_| {
            let Some((on, take, comment, frame)) = store.focus.get() else {
                return;
            };
            if on != job || take != index {
                return;
            }
            open.0.set(Some((job.clone(), index)));
            // Once the player knows its frames, go there.
            if link.frame_count.get() > 0 {
                link.picked.set(Some(comment));
                link.seek.set(Some(frame));
                store.focus.set(None);
            }
        });
    }
    let picked_shapes = Signal::derive(move || {
        let Some(picked) = link.picked.get() else {
            return Vec::new();
        };
        let frame = link.frame.get();
        feedback
            .map(|store| store.comments(&shapes_job))
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.id == picked && c.frame <= frame && frame <= c.frame_out.unwrap_or(c.frame))
            .filter_map(|c| c.shape)
            .collect::<Vec<_>>()
    });
    // The opened player takes the keyboard at once; Escape gives it back.
    Effect::new(move |_| {
        if let Some(player) = opened
            .get()
            .and_then(|el| el.query_selector(".player").ok().flatten())
            .and_then(|el| el.dyn_into::<HtmlElement>().ok())
        {
            let _ = player.focus();
        }
    });
    let on_escape = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            open.0.set(None);
        }
    };

    view! {
        {move || if is_open.get() {
            view! {
                <div class="take-open" data-testid="take-open" node_ref=opened on:keydown=on_escape>
                    <Player src=video.clone() width height label=label.clone() link>
                        <ShapesLayer width height shown=picked_shapes />
                    </Player>
                    <button type="button" class="button small take-close" data-testid="take-close"
                        title="Back to the poster, freeing the player (Esc)" on:click=close>"Close player"</button>
                </div>
            }.into_any()
        } else {
            view! {
                <div class="take-closed" class:picked=move || picked.get()>
                    {poster_view(&output, aspect.clone(), title.clone(), move |a| act.with_value(|f| f(a)))}
                    <label class="take-check" title="Select this take">
                        <input type="checkbox" data-testid="take-select" aria-label=format!("Select the {label} take")
                            prop:checked=move || picked.get() on:change=toggle />
                    </label>
                </div>
            }.into_any()
        }}
    }
}

/// The take as its poster: the first picture, the strip's keyframe under
/// the pointer while hovering, and a play mark; a click or key calls `act`
/// with what it asks for.
fn poster_view(
    output: &JobOutput,
    aspect: String,
    title: String,
    act: impl Fn(Act) + Clone + 'static,
) -> impl IntoView {
    let hovered = RwSignal::new(None::<usize>);
    let strip = output.strip.clone();
    let tiles = strip.as_ref().map_or(0, |s| s.times_ms.len());
    let poster = output.poster.as_deref().map(asset_url);
    let has_poster = poster.is_some();
    let on_key = {
        let act = act.clone();
        move |ev: KeyboardEvent| {
            let asked = match ev.key().as_str() {
                "Enter" | " " => Act::Open,
                "x" | "X" if ev.shift_key() => Act::Extend,
                "x" | "X" => Act::Toggle,
                _ => return,
            };
            ev.prevent_default();
            act(asked);
        }
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        act(if ev.shift_key() {
            Act::Extend
        } else if ev.ctrl_key() || ev.meta_key() {
            Act::Toggle
        } else {
            Act::Open
        });
    };
    let on_move = move |ev: PointerEvent| {
        let Some(target) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        hovered.set(tile_at(ev.client_x() - rect.left(), rect.width(), tiles));
    };
    // The hovered keyframe: the strip as a background, moved to its tile.
    let scrub_style = move || {
        let strip = strip.as_ref()?;
        let at = hovered.get()?;
        let count = strip.times_ms.len().max(1);
        Some(format!(
            "background-image:url('{}');background-size:{}% 100%;background-position:{:.4}% 0",
            asset_url(&strip.image),
            count * 100,
            if count > 1 {
                at as f64 * 100.0 / (count - 1) as f64
            } else {
                0.0
            },
        ))
    };
    let scrub_line = move || {
        hovered.get().map(|tile| {
            format!(
                "left:{:.2}%",
                (tile as f64 + 0.5) * 100.0 / tiles.max(1) as f64
            )
        })
    };
    view! {
        <button
            type="button"
            class="take-poster"
            class:has-poster=has_poster
            style=aspect
            data-testid="take-poster"
            aria-label=title.clone()
            title=title
            on:click=on_click
            on:keydown=on_key
            on:pointermove=on_move
            on:pointerleave=move |_| hovered.set(None)
        >
            {poster.map(|src| view! {
                <img src=src alt="" loading="lazy" decoding="async" draggable="false" />
            })}
            <span class="take-scrub" style=scrub_style aria-hidden="true"></span>
            {move || scrub_line().map(|style| view! { <span class="take-scrub-line" style=style aria-hidden="true"></span> })}
            <span class="take-play" aria-hidden="true">
                <svg viewBox="0 0 16 16"><path d="M4 2.5v11L13 8z"></path></svg>
            </span>
        </button>
    }
}
