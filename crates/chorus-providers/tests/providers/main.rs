//! Every adapter against a local fake of its provider, faults included.
//! Nothing here leaves 127.0.0.1.

mod fake_fal;
mod fal;
mod support;
