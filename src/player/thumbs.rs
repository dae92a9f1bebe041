//! Timeline thumbnails, one per keyframe. A keyframe decodes on its own, so
//! a second decoder is fed nothing but keyframes (one small ranged fetch
//! each) and every picture it outputs is drawn small into a JPEG and closed
//! in the output callback. It runs beside the main decoder and never holds
//! its frames.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chorus_media::{ByteRange, CodecConfig, Track};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::decoder::{Chunk, Decoder, Sink, timestamp_us};
use super::frame::HeldFrame;
use super::source::fetch_range;

/// Thumbnail height in pixels: twice the strip's CSS height, for sharpness
/// on high-density screens.
const THUMB_HEIGHT: u32 = 72;

/// A keyframe's picture, small: its frame number and a `data:` JPEG URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub frame: usize,
    pub url: String,
}

/// Draws each decoded keyframe as it comes out and closes it at once, so
/// the decoder never waits on frames held here.
struct Collected {
    canvas: Canvas,
    /// Presentation timestamp (µs) → frame number, for keyframes only.
    frame_of_timestamp: HashMap<i64, usize>,
    thumbs: RefCell<Vec<Thumbnail>>,
    failure: RefCell<Option<String>>,
}

impl Sink for Collected {
    fn frame(&self, frame: HeldFrame) {
        let Some(&number) = self.frame_of_timestamp.get(&frame.timestamp_us()) else {
            return;
        };
        match self.canvas.jpeg(&frame) {
            Ok(url) => self
                .thumbs
                .borrow_mut()
                .push(Thumbnail { frame: number, url }),
            Err(why) => *self.failure.borrow_mut() = Some(why),
        }
        // `frame` drops here: the VideoFrame is closed as soon as it is drawn.
    }

    fn failed(&self, why: String) {
        *self.failure.borrow_mut() = Some(why);
    }
}

/// One thumbnail per keyframe of `track`, in frame order.
pub async fn keyframe_thumbnails(url: &str, track: &Track) -> Result<Vec<Thumbnail>, String> {
    let CodecConfig::Video(codec) = &track.codec else {
        return Err("no video codec".into());
    };
    let mut encoded = Vec::with_capacity(track.keyframes.len());
    for &sample in &track.keyframes {
        let Some(s) = track.samples.get(sample) else {
            continue;
        };
        let range = ByteRange {
            start: s.offset,
            end: Some(s.offset + u64::from(s.size)),
        };
        let fetched = fetch_range(url, range).await?;
        let from = s.offset.saturating_sub(fetched.start) as usize;
        let bytes = fetched
            .bytes
            .get(from..from + s.size as usize)
            .ok_or("the server sent too few bytes")?
            .to_vec();
        encoded.push((sample, bytes));
    }
    let chunks: Vec<Chunk<'_>> = encoded
        .iter()
        .map(|(sample, bytes)| Chunk {
            data: bytes,
            timestamp_us: timestamp_us(track, *sample),
            is_keyframe: true,
        })
        .collect();
    let keyframe_samples: HashSet<usize> = track.keyframes.iter().copied().collect();
    let frame_of_timestamp = (0..track.frame_count())
        .filter_map(|f| {
            let sample = track.frame_sample(f)?;
            keyframe_samples
                .contains(&sample)
                .then(|| (i64::from(timestamp_us(track, sample)), f))
        })
        .collect();
    let collected = Rc::new(Collected {
        canvas: Canvas::new(track.width.max(1), track.height.max(1))?,
        frame_of_timestamp,
        thumbs: RefCell::new(Vec::new()),
        failure: RefCell::new(None),
    });
    let decoder = Decoder::new(codec, Rc::clone(&collected) as Rc<dyn Sink>)?;
    decoder.start(&chunks)?;
    JsFuture::from(decoder.finish())
        .await
        .map_err(|e| format!("thumbnails failed: {e:?}"))?;
    if let Some(why) = collected.failure.borrow_mut().take() {
        return Err(why);
    }
    let mut thumbs = std::mem::take(&mut *collected.thumbs.borrow_mut());
    thumbs.sort_by_key(|t| t.frame);
    Ok(thumbs)
}

struct Canvas {
    element: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Result<Self, String> {
        let element: HtmlCanvasElement = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("canvas").ok())
            .and_then(|e| e.dyn_into().ok())
            .ok_or("no canvas for thumbnails")?;
        element.set_height(THUMB_HEIGHT);
        element.set_width(
            (u64::from(THUMB_HEIGHT) * u64::from(width) / u64::from(height)).max(1) as u32,
        );
        let context = element
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into().ok())
            .ok_or("no 2D context for thumbnails")?;
        Ok(Self { element, context })
    }

    fn jpeg(&self, held: &HeldFrame) -> Result<String, String> {
        let (w, h) = (self.element.width(), self.element.height());
        self.context
            .draw_image_with_video_frame_and_dw_and_dh(
                held.frame(),
                0.0,
                0.0,
                f64::from(w),
                f64::from(h),
            )
            .map_err(|e| format!("could not draw a thumbnail: {e:?}"))?;
        self.element
            .to_data_url_with_type("image/jpeg")
            .map_err(|e| format!("could not encode a thumbnail: {e:?}"))
    }
}
