//! runware adapter (in progress).
