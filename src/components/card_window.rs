//! Only the Library cards near the screen exist: each job sits in a slot,
//! and a slot far from the screen holds an empty box of the card's last
//! height instead of the card. One `IntersectionObserver` watches every
//! slot, so a Library of thousands of jobs keeps a screenful or two of
//! cards (and their images) in the page whatever its length.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

/// How far beyond the screen cards are kept, so scrolling never shows an
/// empty box.
const MARGIN: &str = "1200px 0px";

/// What a slot shows: the card when near, and the height it had.
#[derive(Clone, Copy)]
struct SlotState {
    near: RwSignal<bool>,
    height: RwSignal<f64>,
}

struct Watcher {
    observer: IntersectionObserver,
    _on_change: Closure<dyn FnMut(js_sys::Array)>,
    slots: Rc<RefCell<HashMap<u32, SlotState>>>,
    next: Cell<u32>,
}

/// The page's one observer of slots; put in context by the Library.
#[derive(Clone, Copy)]
pub struct CardWindow(StoredValue<Option<Watcher>, LocalStorage>);

impl CardWindow {
    pub fn new() -> Self {
        let slots: Rc<RefCell<HashMap<u32, SlotState>>> = Rc::default();
        let seen = Rc::clone(&slots);
        let on_change = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            for entry in entries.iter() {
                let Ok(entry) = entry.dyn_into::<IntersectionObserverEntry>() else {
                    continue;
                };
                let id = entry
                    .target()
                    .get_attribute("data-slot")
                    .and_then(|v| v.parse::<u32>().ok());
                let Some(state) = id.and_then(|id| seen.borrow().get(&id).copied()) else {
                    continue;
                };
                let near = entry.is_intersecting();
                if !near {
                    // Keep the card's height so the page does not jump.
                    state.height.set(entry.bounding_client_rect().height());
                }
                if state.near.get_untracked() != near {
                    state.near.set(near);
                }
            }
        });
        let options = IntersectionObserverInit::new();
        options.set_root_margin(MARGIN);
        let watcher =
            IntersectionObserver::new_with_options(on_change.as_ref().unchecked_ref(), &options)
                .ok()
                .map(|observer| Watcher {
                    observer,
                    _on_change: on_change,
                    slots,
                    next: Cell::new(0),
                });
        Self(StoredValue::new_local(watcher))
    }

    fn watch(&self, element: &web_sys::Element, state: SlotState) -> Option<u32> {
        self.0.with_value(|w| {
            let w = w.as_ref()?;
            let id = w.next.get();
            w.next.set(id + 1);
            w.slots.borrow_mut().insert(id, state);
            let _ = element.set_attribute("data-slot", &id.to_string());
            w.observer.observe(element);
            Some(id)
        })
    }

    fn forget(&self, id: u32, element: &web_sys::Element) {
        self.0.try_with_value(|w| {
            if let Some(w) = w {
                w.observer.unobserve(element);
                w.slots.borrow_mut().remove(&id);
            }
        });
    }

    /// Stops watching everything (the Library is leaving).
    pub fn close(&self) {
        self.0.try_with_value(|w| {
            if let Some(w) = w {
                w.observer.disconnect();
                w.slots.borrow_mut().clear();
            }
        });
    }
}

/// One job's place in the list: `card` while near the screen, an empty box
/// of its height otherwise.
#[component]
pub fn CardSlot(
    /// The job's id, kept on the slot so tests and links find it however
    /// far it is.
    job_id: String,
    card: ViewFn,
) -> impl IntoView {
    let window = expect_context::<CardWindow>();
    let state = SlotState {
        near: RwSignal::new(true),
        height: RwSignal::new(0.0),
    };
    let slot = NodeRef::<html::Li>::new();
    let watched = StoredValue::new_local(None::<(u32, web_sys::Element)>);
    Effect::new(move |_| {
        if let Some(element) = slot.get() {
            let element: web_sys::Element = element.into();
            if let Some(id) = window.watch(&element, state) {
                watched.set_value(Some((id, element)));
            }
        }
    });
    on_cleanup(move || {
        watched.try_with_value(|w| {
            if let Some((id, element)) = w {
                window.forget(*id, element);
            }
        });
    });
    let style = move || {
        (!state.near.get()).then(|| format!("height:{:.0}px", state.height.get().max(1.0)))
    };
    view! {
        <li class="job-slot" node_ref=slot style=style data-testid="job-slot" data-job-id=job_id
            data-near=move || state.near.get().to_string()>
            {move || state.near.get().then(|| card.run())}
        </li>
    }
}
