//! Keeps the half-written composition in localStorage so a reload, a crash or
//! a closed tab never loses work. Storage failures (private mode, quota) are
//! not worth interrupting anyone for: the page simply works without them.

use crate::composition::Composition;

/// Versioned so a future incompatible shape can start fresh instead of failing.
const KEY: &str = "chorus.compose.v1";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load() -> Option<Composition> {
    let raw = local_storage()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

pub fn save(composition: &Composition) {
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(composition)) {
        // Ignored on purpose: see the module comment.
        let _ = storage.set_item(KEY, &json);
    }
}
