//! The feed of job changes (`GET /api/events`, server-sent events), held
//! only while the page is in view. A tab that is hidden, or a page left
//! for another (and perhaps kept in the back-forward cache), lets its
//! stream go, and takes it up again when shown, catching up through the
//! `on_open` callback.
//!
//! Why: over HTTP/1.1 a browser opens at most six connections to one host.
//! A stream held by every open tab, or by every page kept for the Back
//! button, uses them up, and the next page's own requests wait behind
//! them (seen here: the seventh Library opened in one tab took 58 s).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Event, EventSource, EventTarget, MessageEvent};

type Callback = Closure<dyn FnMut(Event)>;

/// The open feed; dropping it closes the stream and stops watching the
/// page.
pub struct LiveFeed {
    inner: Rc<Inner>,
}

struct Inner {
    url: String,
    source: RefCell<Option<EventSource>>,
    /// The stream's own listeners, kept for every stream opened.
    stream: Vec<(&'static str, Callback)>,
    /// Visibility and page-lifecycle listeners, removed on drop.
    page: RefCell<Vec<(EventTarget, &'static str, Callback)>>,
}

/// What to do with each named event's data.
pub type Handlers = Vec<(&'static str, Box<dyn FnMut(String)>)>;

impl LiveFeed {
    /// Follows the event stream at `url` while the page is visible, each
    /// named event to its handler. `on_open` runs each time the stream
    /// (re)connects and when the server says the tab fell behind, so the
    /// caller reloads what it shows; `on_down` runs when the stream drops
    /// or is let go.
    pub fn listen(
        url: &str,
        handlers: Handlers,
        on_open: impl FnMut() + 'static,
        on_down: impl FnMut() + 'static,
    ) -> Option<Self> {
        let on_open = Rc::new(RefCell::new(on_open));
        let on_down = Rc::new(RefCell::new(on_down));
        let mut stream: Vec<(&'static str, Callback)> = handlers
            .into_iter()
            .map(|(kind, mut handle)| {
                let callback = Callback::new(move |ev: Event| {
                    if let Some(data) = ev.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) {
                        handle(data);
                    }
                });
                (kind, callback)
            })
            .collect();
        let opened = {
            let on_open = on_open.clone();
            Callback::new(move |_| (on_open.borrow_mut())())
        };
        let resync = Callback::new(move |_| (on_open.borrow_mut())());
        let down = {
            let on_down = on_down.clone();
            Callback::new(move |_| (on_down.borrow_mut())())
        };
        stream.extend([("open", opened), ("resync", resync), ("error", down)]);
        let inner = Rc::new(Inner {
            url: url.to_string(),
            source: RefCell::new(None),
            stream,
            page: RefCell::new(Vec::new()),
        });
        let window = web_sys::window()?;
        let document = window.document()?;
        let watch = |target: EventTarget, kind: &'static str, act: fn(&Inner, bool), on_down: Rc<RefCell<dyn FnMut()>>| {
            let weak: Weak<Inner> = Rc::downgrade(&inner);
            let callback = Callback::new(move |_| {
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let shown = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| !d.hidden());
                act(&inner, shown);
                if inner.source.borrow().is_none() {
                    (on_down.borrow_mut())();
                }
            });
            let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
            inner.page.borrow_mut().push((target, kind, callback));
        };
        let follow = |inner: &Inner, shown: bool| {
            if shown {
                inner.connect();
            } else {
                inner.disconnect();
            }
        };
        watch(document.clone().into(), "visibilitychange", follow, on_down.clone());
        watch(window.clone().into(), "pageshow", follow, on_down.clone());
        watch(window.into(), "pagehide", |inner, _| inner.disconnect(), on_down);
        if !document.hidden() {
            inner.connect();
        }
        Some(Self { inner })
    }
}

/// A handler that reads each event's data as `T` (and skips what it cannot read).
pub fn json_handler<T: serde::de::DeserializeOwned>(mut handle: impl FnMut(T) + 'static) -> Box<dyn FnMut(String)> {
    Box::new(move |data: String| {
        if let Ok(value) = serde_json::from_str::<T>(&data) {
            handle(value);
        }
    })
}

impl Inner {
    fn connect(&self) {
        if self.source.borrow().is_some() {
            return;
        }
        let Ok(source) = EventSource::new(&self.url) else {
            return;
        };
        for (kind, callback) in &self.stream {
            let _ = source.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        }
        *self.source.borrow_mut() = Some(source);
    }

    fn disconnect(&self) {
        if let Some(source) = self.source.borrow_mut().take() {
            source.close();
        }
    }
}

impl Drop for LiveFeed {
    fn drop(&mut self) {
        self.inner.disconnect();
        for (target, kind, callback) in self.inner.page.borrow_mut().drain(..) {
            let _ = target.remove_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        }
    }
}
