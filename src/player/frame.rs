//! Decoded pictures. A WebCodecs `VideoFrame` holds decoder memory until it
//! is closed, so it lives only inside [`OwnedFrame`] (closed in `Drop`) for
//! the moment it takes to copy its planes out.
//!
//! Every copy goes straight into wasm memory, packed plane after plane
//! ([`copy_planes`]): a 1080p frame is 3 MB, a seek copies up to a GOP of
//! them, and the meter copies every frame of a take.

use js_sys::Uint8Array;
use web_sys::{PlaneLayout, VideoFrame, VideoFrameCopyToOptions, VideoPixelFormat};

use chorus_media::Picture;

/// A `VideoFrame` that is closed when dropped, whatever path drops it.
pub struct OwnedFrame(pub VideoFrame);

impl Drop for OwnedFrame {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// How a frame's planes were laid out by [`copy_planes`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Packed {
    /// Y, U, V (and for I420A an alpha plane after them).
    I420,
    /// Y, then U and V interleaved.
    Nv12,
}

/// Copies the visible picture of `frame` into `into` with one copy (the
/// browser writes the planes straight into wasm memory), packed plane after
/// plane with the luma first: its first width × height bytes are the luma
/// plane. `into` may be reused from frame to frame; it is only resized when
/// the size changes. Returns the width, height and layout.
pub async fn copy_planes(
    frame: &VideoFrame,
    into: &mut Vec<u8>,
) -> Result<(u32, u32, Packed), String> {
    let (width, height) = frame.visible_rect().map_or(
        (frame.coded_width(), frame.coded_height()),
        |r| (r.width() as u32, r.height() as u32),
    );
    let (luma, cw) = (width * height, width.div_ceil(2));
    let chroma = cw * height.div_ceil(2);
    let planes = luma + 2 * chroma;
    let (layout, total, packed) = match frame.format() {
        Some(VideoPixelFormat::I420) => (
            vec![
                PlaneLayout::new(0, width),
                PlaneLayout::new(luma, cw),
                PlaneLayout::new(luma + chroma, cw),
            ],
            planes,
            Packed::I420,
        ),
        Some(VideoPixelFormat::I420a) => (
            vec![
                PlaneLayout::new(0, width),
                PlaneLayout::new(luma, cw),
                PlaneLayout::new(luma + chroma, cw),
                PlaneLayout::new(planes, width),
            ],
            planes + luma,
            Packed::I420,
        ),
        Some(VideoPixelFormat::Nv12) => (
            vec![PlaneLayout::new(0, width), PlaneLayout::new(luma, 2 * cw)],
            planes,
            Packed::Nv12,
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
        target.copy_to(into.as_mut_slice());
    }
    Ok((width, height, packed))
}

/// Copies the visible picture out of `frame` (then dropped, so closed) as
/// packed I420, shrunk by `factor` to the size it is shown at
/// (`chorus_media::preview_factor`; 1 keeps it whole).
pub async fn copy_out(frame: OwnedFrame, factor: u32) -> Result<Picture, String> {
    let mut data = Vec::new();
    let (width, height, packed) = copy_planes(&frame.0, &mut data).await?;
    drop(frame);
    picture_of(width, height, packed, data, factor)
}

/// The picture in a borrowed buffer `planes` as [`copy_planes`] left
/// them (a reader's reused buffer), shrunk by `factor`.
pub fn picture_in(
    width: u32,
    height: u32,
    packed: Packed,
    planes: &[u8],
    factor: u32,
) -> Result<Picture, String> {
    match packed {
        Packed::I420 => Picture::from_planes(width, height, planes, factor)
            .ok_or_else(|| format!("a {width}×{height} frame came out the wrong size")),
        Packed::Nv12 => picture_of(width, height, packed, planes.to_vec(), factor),
    }
}

/// The picture in `planes` as [`copy_planes`] left them, shrunk by
/// `factor`. Decoders give I420 in software and often NV12 in hardware;
/// NV12's interleaved chroma is split here so the renderer sees I420 only.
fn picture_of(
    width: u32,
    height: u32,
    packed: Packed,
    mut planes: Vec<u8>,
    factor: u32,
) -> Result<Picture, String> {
    if packed == Packed::Nv12 {
        let luma = (width * height) as usize;
        let interleaved = planes.split_off(luma.min(planes.len()));
        planes.extend(interleaved.iter().step_by(2));
        planes.extend(interleaved.iter().skip(1).step_by(2));
    }
    // I420A's alpha plane follows the three the renderer uses, and is
    // left out.
    let picture = if factor > 1 {
        Picture::from_planes(width, height, &planes, factor)
    } else {
        planes.truncate(Picture::size_of(width, height));
        Picture::packed(width, height, planes)
    };
    picture.ok_or_else(|| format!("a {width}×{height} frame came out the wrong size"))
}
