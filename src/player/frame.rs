//! Decoded pictures. A WebCodecs `VideoFrame` holds decoder memory until it
//! is closed, so it lives only inside [`OwnedFrame`] (closed in `Drop`) for
//! the moment it takes to copy its planes into a plain `Picture`.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{PlaneLayout, VideoFrame, VideoFrameCopyToOptions, VideoPixelFormat};

use super::picture::Picture;

/// A `VideoFrame` that is closed when dropped, whatever path drops it.
pub struct OwnedFrame(pub VideoFrame);

impl Drop for OwnedFrame {
    fn drop(&mut self) {
        self.0.close();
    }
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

/// An I420 frame's visible picture, asked of the browser already packed
/// plane after plane, so each byte is copied once into the browser's buffer
/// and once into ours (a 1080p frame is 3 MB, and a seek copies up to a
/// GOP of them).
async fn copy_i420(frame: OwnedFrame) -> Result<Picture, String> {
    let (width, height) = frame.0.visible_rect().map_or(
        (frame.0.coded_width(), frame.0.coded_height()),
        |r| (r.width() as u32, r.height() as u32),
    );
    let (luma, chroma) = (width * height, width.div_ceil(2) * height.div_ceil(2));
    let layout = [
        PlaneLayout::new(0, width),
        PlaneLayout::new(luma, width.div_ceil(2)),
        PlaneLayout::new(luma + chroma, width.div_ceil(2)),
    ];
    let options = VideoFrameCopyToOptions::new();
    options.set_layout(&layout);
    let target = Uint8Array::new_with_length(luma + 2 * chroma);
    frame
        .0
        .copy_to_with_u8_array_and_options(&target, &options)
        .await
        .map_err(|e| format!("could not copy a frame: {e:?}"))?;
    drop(frame);
    Ok(Picture {
        width,
        height,
        y: target.subarray(0, luma).to_vec(),
        u: target.subarray(luma, luma + chroma).to_vec(),
        v: target.subarray(luma + chroma, luma + 2 * chroma).to_vec(),
    })
}

/// Copies the visible picture of `frame` into `into` with one copy (the
/// browser writes the planes straight into wasm memory), luma first and
/// packed: its first width × height bytes are the luma plane. `into` is
/// reused from frame to frame, so it is only resized when the size changes.
/// Returns the width and height.
pub async fn copy_luma(frame: &VideoFrame, into: &mut Vec<u8>) -> Result<(u32, u32), String> {
    let (width, height) = frame.visible_rect().map_or(
        (frame.coded_width(), frame.coded_height()),
        |r| (r.width() as u32, r.height() as u32),
    );
    let (luma, cw) = (width * height, width.div_ceil(2));
    let chroma = cw * height.div_ceil(2);
    let planes = luma + 2 * chroma;
    let (layout, total) = match frame.format() {
        Some(VideoPixelFormat::I420) => (
            vec![
                PlaneLayout::new(0, width),
                PlaneLayout::new(luma, cw),
                PlaneLayout::new(luma + chroma, cw),
            ],
            planes,
        ),
        Some(VideoPixelFormat::I420a) => (
            vec![
                PlaneLayout::new(0, width),
                PlaneLayout::new(luma, cw),
                PlaneLayout::new(luma + chroma, cw),
                PlaneLayout::new(planes, width),
            ],
            planes + luma,
        ),
        Some(VideoPixelFormat::Nv12) => (
            vec![PlaneLayout::new(0, width), PlaneLayout::new(luma, 2 * cw)],
            planes,
        ),
        other => return Err(format!("unsupported pixel format {other:?}")),
    };
    let options = VideoFrameCopyToOptions::new();
    options.set_layout(&layout);
    if into.len() != total as usize {
        into.clear();
        into.resize(total as usize, 0);
    }
    // wasm-bindgen hands the browser a view of `into` in wasm memory, so the
    // frame is copied once. Software frames are copied before `copyTo`
    // returns; should a copy still fail (a view dies when wasm memory
    // grows), a copy through a buffer of its own takes over.
    let direct = frame
        .copy_to_with_u8_slice_and_options(into.as_mut_slice(), &options)
        .await;
    if direct.is_err() {
        let target = Uint8Array::new_with_length(total);
        frame
            .copy_to_with_u8_array_and_options(&target, &options)
            .await
            .map_err(|e| format!("could not copy a frame: {e:?}"))?;
        target.subarray(0, luma).copy_to(&mut into[..luma as usize]);
    }
    Ok((width, height))
}

/// Copies the visible picture out of `frame` (then dropped, so closed).
/// Decoders give I420 in software and often NV12 in hardware; NV12's
/// interleaved chroma is split here so the renderer sees I420 only.
pub async fn copy_out(frame: OwnedFrame) -> Result<Picture, String> {
    let format = frame.0.format();
    if format == Some(VideoPixelFormat::I420) {
        return copy_i420(frame).await;
    }
    let size = frame
        .0
        .allocation_size()
        .map_err(|e| format!("frame size unknown: {e:?}"))?;
    let target = Uint8Array::new_with_length(size);
    let layouts: Array = frame
        .0
        .copy_to_with_u8_array(&target)
        .await
        .map_err(|e| format!("could not copy a frame: {e:?}"))?
        .unchecked_into();
    let rect = frame.0.visible_rect();
    let width = rect
        .as_ref()
        .map_or(frame.0.coded_width(), |r| r.width() as u32);
    let height = rect
        .as_ref()
        .map_or(frame.0.coded_height(), |r| r.height() as u32);
    drop(frame);
    let all = target.to_vec();
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let plane = |i| layout(&layouts, i).ok_or_else(|| "frame layout missing".to_string());
    match format {
        Some(VideoPixelFormat::I420) => Ok(Picture {
            width,
            height,
            y: unpack(&all, plane(0)?, w, h),
            u: unpack(&all, plane(1)?, cw, ch),
            v: unpack(&all, plane(2)?, cw, ch),
        }),
        Some(VideoPixelFormat::Nv12) => {
            let uv = unpack(&all, plane(1)?, cw * 2, ch);
            Ok(Picture {
                width,
                height,
                y: unpack(&all, plane(0)?, w, h),
                u: uv.iter().step_by(2).copied().collect(),
                v: uv.iter().skip(1).step_by(2).copied().collect(),
            })
        }
        other => Err(format!("unsupported pixel format {other:?}")),
    }
}
