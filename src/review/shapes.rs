//! Shapes over the picture: the comments' drawings shown, and a drag drawing
//! a new one with the tool picked. The layer uses the picture's own pixel
//! size as its coordinate box, so it lines up at any display size.

use chorus_core::review::Shape;
use leptos::prelude::*;
use web_sys::PointerEvent;

use crate::sketch::{Draft, Svg, Tool, svg, to_unit};

fn parts(shape: &Shape, width: f64, height: f64, class: &'static str) -> impl IntoView + use<> {
    let data = serde_json::to_string(shape).unwrap_or_default();
    let kind = shape.label();
    view! {
        <g class=class data-testid="shape" data-shape=data data-kind=kind>
            {svg(shape, width, height).into_iter().map(|part| match part {
                Svg::Circle { cx, cy } => view! {
                    <circle cx=cx cy=cy r=width.min(height) * 0.018 vector-effect="non-scaling-stroke"></circle>
                }.into_any(),
                Svg::Rect { x, y, w, h } => view! {
                    <rect x=x y=y width=w height=h vector-effect="non-scaling-stroke"></rect>
                }.into_any(),
                Svg::Path(d) => view! { <path d=d vector-effect="non-scaling-stroke"></path> }.into_any(),
            }).collect_view()}
        </g>
    }
}

#[component]
pub fn ShapesLayer(
    /// The picture's size in pixels.
    width: u32,
    height: u32,
    /// Drawings to show (the picked comment's).
    shown: Signal<Vec<Shape>>,
    /// The tool a drag draws with; `None` leaves the picture to the player.
    #[prop(optional)]
    tool: Option<RwSignal<Option<Tool>>>,
    /// Where a finished drawing goes.
    #[prop(optional)]
    drawn: Option<RwSignal<Option<Shape>>>,
) -> impl IntoView {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    let draft = RwSignal::new(None::<Draft>);
    let drawing = move || tool.is_some_and(|t| t.get().is_some());
    let point = move |ev: &PointerEvent| {
        let rect = svg_ref.get_untracked()?.get_bounding_client_rect();
        Some(to_unit(
            ev.client_x() - rect.left(),
            ev.client_y() - rect.top(),
            rect.width(),
            rect.height(),
        ))
    };
    let down = move |ev: PointerEvent| {
        let Some(chosen) = tool.and_then(|t| t.get_untracked()) else {
            return;
        };
        ev.prevent_default();
        ev.stop_propagation();
        if let Some(svg) = svg_ref.get_untracked() {
            let _ = svg.set_pointer_capture(ev.pointer_id());
        }
        if let Some(at) = point(&ev) {
            draft.set(Some(Draft::start(chosen, at)));
        }
    };
    let moved = move |ev: PointerEvent| {
        if draft.with_untracked(Option::is_some)
            && let Some(at) = point(&ev)
        {
            draft.update(|d| {
                if let Some(d) = d {
                    d.extend(at);
                }
            });
        }
    };
    let up = move |_: PointerEvent| {
        if let Some(done) = draft.get_untracked().and_then(|d| d.shape())
            && let Some(drawn) = drawn
        {
            drawn.set(Some(done));
        }
        draft.set(None);
    };

    view! {
        <svg
            node_ref=svg_ref
            class="shapes-layer"
            class:drawing=drawing
            viewBox=format!("0 0 {w} {h}")
            // The canvas letterboxes the picture the same way.
            preserveAspectRatio="xMidYMid meet"
            data-testid="shapes-layer"
            on:pointerdown=down
            on:pointermove=moved
            on:pointerup=up
            on:pointercancel=up
        >
            {move || shown.get().iter().map(|s| parts(s, w, h, "shape")).collect_view()}
            {move || drawn.and_then(|d| d.get()).map(|s| parts(&s, w, h, "shape new"))}
            {move || draft.with(|d| d.as_ref().and_then(Draft::shape)).map(|s| parts(&s, w, h, "shape new"))}
        </svg>
    }
}

/// The drawing tools, and Clear when something is drawn.
#[component]
pub fn ToolPicker(tool: RwSignal<Option<Tool>>, drawn: RwSignal<Option<Shape>>) -> impl IntoView {
    view! {
        <div class="tool-picker" role="group" aria-label="Draw on the picture">
            {Tool::ALL.into_iter().map(|t| view! {
                <button
                    type="button"
                    class="button small tool"
                    class:active=move || tool.get() == Some(t)
                    aria-pressed=move || (tool.get() == Some(t)).to_string()
                    title=format!("{} (drag on the picture)", t.label())
                    data-testid=format!("tool-{}", t.label().to_lowercase())
                    on:click=move |_| tool.update(|now| *now = if *now == Some(t) { None } else { Some(t) })
                >{t.label()}</button>
            }).collect_view()}
            {move || drawn.get().is_some().then(|| view! {
                <button type="button" class="button small" data-testid="tool-clear"
                    on:click=move |_| drawn.set(None)>"Clear drawing"</button>
            })}
        </div>
    }
}
