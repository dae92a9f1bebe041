//! Small browser helpers the components share.

use wasm_bindgen::JsCast;

/// True when the page URL carries `?name=1`. `skipcheck=1` submits without
/// the browser's check so the server's own check can be seen (used by tests
/// and by anyone debugging the server's answers).
pub fn query_flag(name: &str) -> bool {
    let Some(search) = web_sys::window().and_then(|w| w.location().search().ok()) else {
        return false;
    };
    search
        .trim_start_matches('?')
        .split('&')
        .any(|pair| pair == format!("{name}=1"))
}

/// The value of `?name=value` in the page URL.
pub fn query_value(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

/// Milliseconds on the page's monotonic clock (`performance.now()`).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Unix time in milliseconds, as the server records it.
pub fn epoch_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Moves keyboard focus to the element with `id` and scrolls it into view.
pub fn focus_id(id: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        element.scroll_into_view_with_bool(false);
        let _ = element.focus();
    }
}

/// True on Apple platforms, where shortcuts use ⌘ instead of Ctrl.
pub fn is_mac() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().platform().ok())
        .is_some_and(|p| p.starts_with("Mac") || p.starts_with("iP"))
}

/// "Ctrl" or "⌘", for shortcut hints.
pub fn mod_key_label() -> &'static str {
    if is_mac() { "⌘" } else { "Ctrl" }
}

/// A random seed in the range every provider accepts.
pub fn random_seed() -> i64 {
    (js_sys::Math::random() * 2_147_483_647.0).floor() as i64
}

/// Local clock time of a Unix-milliseconds instant, e.g. "14:05".
pub fn clock_time(unix_ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_ms as f64));
    let hours = date.get_hours();
    let minutes = date.get_minutes();
    let today = js_sys::Date::new_0().to_date_string() == date.to_date_string();
    if today {
        format!("{hours:02}:{minutes:02}")
    } else {
        format!(
            "{} {}, {hours:02}:{minutes:02}",
            month_name(date.get_month()),
            date.get_date()
        )
    }
}

fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    NAMES.get(month as usize).copied().unwrap_or("")
}

/// The test hook for the Content-Security-Policy: each violation the page
/// reports is kept on `window.__chorusCsp` as "directive blocked-uri
/// (source:line)", so the browser tests can fail on any.
pub fn watch_csp_violations() {
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let log = js_sys::Array::new();
    let _ = js_sys::Reflect::set(&window, &"__chorusCsp".into(), &log);
    let Some(document) = window.document() else {
        return;
    };
    let on_violation = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        let field = |name: &str| {
            js_sys::Reflect::get(&event, &name.into())
                .ok()
                .and_then(|v| v.as_string().or_else(|| v.as_f64().map(|n| n.to_string())))
                .unwrap_or_default()
        };
        let entry = format!(
            "{} {} ({}:{})",
            field("violatedDirective"),
            field("blockedURI"),
            field("sourceFile"),
            field("lineNumber")
        );
        log.push(&entry.into());
    });
    let _ = document.add_event_listener_with_callback(
        "securitypolicyviolation",
        on_violation.as_ref().unchecked_ref(),
    );
    // Lives as long as the page.
    on_violation.forget();
}

/// Sets the `chorus-interactive` performance mark on the frame after the
/// first view was built: the moment `cargo xtask bench load` measures to.
pub fn mark_interactive_on_next_frame() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let mark = wasm_bindgen::closure::Closure::once_into_js(|| {
        let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
            return;
        };
        let mark = js_sys::Reflect::get(&performance, &"mark".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(mark) = mark {
            let _ = mark.call1(&performance, &"chorus-interactive".into());
        }
    });
    let _ = window.request_animation_frame(mark.unchecked_ref());
}
