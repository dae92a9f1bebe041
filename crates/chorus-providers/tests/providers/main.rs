//! Every adapter against a local fake of its provider, faults included.
//! Nothing here leaves 127.0.0.1.

mod alibaba;
mod fal;
mod replicate;
mod support;
