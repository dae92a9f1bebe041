//! Decoded frames. A WebCodecs `VideoFrame` holds decoder memory until it is
//! closed, so it lives only inside [`HeldFrame`], which closes it in `Drop`
//! whatever path drops it; the live count is on the test hook so a test can
//! see that none outlive their player. `copy_out` turns one into a plain
//! I420 [`Picture`] for drawing.

use std::cell::Cell;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomRectInit, PlaneLayout, VideoFrame, VideoFrameCopyToOptions, VideoPixelFormat};

use super::picture::Picture;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

/// `VideoFrame`s decoded and not yet closed, across every player.
pub fn live_frames() -> usize {
    LIVE.with(Cell::get)
}

/// A `VideoFrame` that is closed when dropped.
pub struct HeldFrame {
    frame: VideoFrame,
    bytes: usize,
}

impl HeldFrame {
    pub fn new(frame: VideoFrame) -> Self {
        LIVE.with(|n| n.set(n.get() + 1));
        let bytes = frame.allocation_size().map_or_else(
            |_| (frame.coded_width() * frame.coded_height() * 3 / 2) as usize,
            |b| b as usize,
        );
        Self { frame, bytes }
    }

    pub fn frame(&self) -> &VideoFrame {
        &self.frame
    }

    /// What the frame costs in memory, for the cache's budget.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Presentation time in microseconds, as given to the decoder.
    pub fn timestamp_us(&self) -> i64 {
        self.frame.timestamp() as i64
    }
}

impl Drop for HeldFrame {
    fn drop(&mut self) {
        self.frame.close();
        LIVE.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// The visible size of a frame (decoders often pad the coded size to 16).
fn visible_size(frame: &VideoFrame) -> (u32, u32) {
    frame.visible_rect().map_or_else(
        || (frame.coded_width(), frame.coded_height()),
        |r| (r.width() as u32, r.height() as u32),
    )
}

/// Copies the visible picture out of `frame` as packed I420. Software
/// decoders give I420, which the browser copies straight into our layout;
/// hardware ones often give NV12, whose interleaved chroma is split here.
pub async fn copy_out(frame: &VideoFrame) -> Result<Picture, String> {
    let (width, height) = visible_size(frame);
    match frame.format() {
        Some(VideoPixelFormat::I420) => copy_i420(frame, width, height).await,
        Some(VideoPixelFormat::Nv12) => copy_nv12(frame, width, height).await,
        other => Err(format!("unsupported pixel format {other:?}")),
    }
}

async fn copy_i420(frame: &VideoFrame, width: u32, height: u32) -> Result<Picture, String> {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let luma = width * height;
    let chroma = cw * ch;
    let rect = DomRectInit::new();
    rect.set_x(0.0);
    rect.set_y(0.0);
    rect.set_width(f64::from(width));
    rect.set_height(f64::from(height));
    let options = VideoFrameCopyToOptions::new();
    options.set_rect(&rect);
    // Tightly packed planes, one after the other: no strides to undo.
    options.set_layout(&[
        PlaneLayout::new(0, width),
        PlaneLayout::new(luma, cw),
        PlaneLayout::new(luma + chroma, cw),
    ]);
    let target = Uint8Array::new_with_length(luma + 2 * chroma);
    frame
        .copy_to_with_u8_array_and_options(&target, &options)
        .await
        .map_err(|e| format!("could not copy a frame: {e:?}"))?;
    Ok(Picture {
        width,
        height,
        y: target.subarray(0, luma).to_vec(),
        u: target.subarray(luma, luma + chroma).to_vec(),
        v: target.subarray(luma + chroma, luma + 2 * chroma).to_vec(),
    })
}

/// Reads a plane layout's offset and stride from what `copyTo` resolved to.
fn layout(layouts: &Array, plane: u32) -> Option<(usize, usize)> {
    let entry = layouts.get(plane);
    let num = |key: &str| {
        Reflect::get(&entry, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_f64())
            .map(|v| v as usize)
    };
    Some((num("offset")?, num("stride")?))
}

/// Copies `rows` rows of `row_len` bytes out of a strided plane.
fn unpack(all: &[u8], (offset, stride): (usize, usize), row_len: usize, rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(row_len * rows);
    for row in 0..rows {
        let start = offset + row * stride;
        if let Some(line) = all.get(start..start + row_len) {
            out.extend_from_slice(line);
        }
    }
    out
}

async fn copy_nv12(frame: &VideoFrame, width: u32, height: u32) -> Result<Picture, String> {
    let size = frame
        .allocation_size()
        .map_err(|e| format!("frame size unknown: {e:?}"))?;
    let target = Uint8Array::new_with_length(size);
    let layouts: Array = frame
        .copy_to_with_u8_array(&target)
        .await
        .map_err(|e| format!("could not copy a frame: {e:?}"))?
        .unchecked_into();
    let all = target.to_vec();
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let plane = |i| layout(&layouts, i).ok_or_else(|| "frame layout missing".to_string());
    let uv = unpack(&all, plane(1)?, cw * 2, ch);
    Ok(Picture {
        width,
        height,
        y: unpack(&all, plane(0)?, w, h),
        u: uv.iter().step_by(2).copied().collect(),
        v: uv.iter().skip(1).step_by(2).copied().collect(),
    })
}
