//! The frame-exact core: given a frame number, produce exactly that picture.
//! A missing frame costs one ranged fetch of its GOP (coalesced into one
//! request), one decode from the GOP's keyframe, and the rest of the GOP
//! lands in the cache for the scrubbing that usually follows.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use chorus_media::{ByteRange, CodecConfig, Track};

use super::cache::{DEFAULT_BUDGET, FrameCache};
use super::decoder::{Chunk, Decoder};
use super::picture::Picture;
use super::source::{fetch_range, load_index};

pub struct FrameSource {
    url: String,
    pub track: Track,
    decoder: Decoder,
    cache: RefCell<FrameCache>,
    /// Decoded frames carry the chunk's timestamp back; this maps it to the
    /// frame number (hidden samples have no frame and are dropped).
    frame_of_timestamp: HashMap<i64, usize>,
}

impl FrameSource {
    pub async fn open(url: &str) -> Result<Rc<Self>, String> {
        let movie = load_index(url).await?;
        let track = movie
            .video_track()
            .cloned()
            .ok_or("the file has no video track")?;
        let CodecConfig::Video(codec) = &track.codec else {
            return Err("the video track has no video codec".into());
        };
        let decoder = Decoder::new(codec)?;
        let mut frame_of_timestamp = HashMap::new();
        for frame in 0..track.frame_count() {
            if let Some(sample) = track.frame_sample(frame) {
                frame_of_timestamp.insert(i64::from(timestamp_us(&track, sample)), frame);
            }
        }
        Ok(Rc::new(Self {
            url: url.to_string(),
            track,
            decoder,
            cache: RefCell::new(FrameCache::new(DEFAULT_BUDGET)),
            frame_of_timestamp,
        }))
    }

    pub fn frame_count(&self) -> usize {
        self.track.frame_count()
    }

    /// Frames per second (the average for variable-rate files).
    pub fn fps(&self) -> f64 {
        self.track
            .frame_rate
            .map_or(30.0, |r| r.rate().as_f64())
            .max(1.0)
    }

    /// When `frame` is shown, in seconds from the first frame (exact for
    /// variable-rate files).
    pub fn frame_seconds(&self, frame: usize) -> f64 {
        let time = |f: usize| {
            self.track
                .frame_sample(f)
                .and_then(|s| self.track.samples.get(s))
                .map(|s| s.presentation_time as f64 / f64::from(self.track.timescale.max(1)))
        };
        match (time(frame), time(0)) {
            (Some(t), Some(first)) => t - first,
            _ => frame as f64 / self.fps(),
        }
    }

    /// Frame numbers of the keyframes, for the timeline's ticks.
    pub fn keyframe_frames(&self) -> Vec<usize> {
        let mut frames: Vec<usize> = (0..self.frame_count())
            .filter(|&f| {
                self.track
                    .frame_sample(f)
                    .is_some_and(|s| self.track.samples.get(s).is_some_and(|s| s.is_keyframe))
            })
            .collect();
        frames.sort_unstable();
        frames
    }

    pub fn is_cached(&self, frame: usize) -> bool {
        self.cache.borrow().contains(frame)
    }

    /// The picture of `frame`, decoding its GOP first when it is not cached.
    pub async fn picture(&self, frame: usize) -> Result<Rc<Picture>, String> {
        if let Some(picture) = self.cache.borrow_mut().get(frame) {
            return Ok(picture);
        }
        self.decode_gop_of(frame).await?;
        self.cache
            .borrow_mut()
            .get(frame)
            .ok_or_else(|| format!("the decoder did not produce frame {frame}"))
    }

    /// Sample indices of the GOP holding `frame`: its keyframe up to the
    /// next keyframe, in decode order.
    fn gop_of(&self, frame: usize) -> Option<Range<usize>> {
        let start = self.track.keyframe_at_or_before(frame)?;
        let next = self.track.keyframes.partition_point(|&k| k <= start);
        let end = self
            .track
            .keyframes
            .get(next)
            .copied()
            .unwrap_or(self.track.samples.len());
        Some(start..end)
    }

    async fn decode_gop_of(&self, frame: usize) -> Result<(), String> {
        let gop = self
            .gop_of(frame)
            .ok_or_else(|| format!("frame {frame} is not in this video"))?;
        let samples = self
            .track
            .samples
            .get(gop.clone())
            .ok_or("the index is inconsistent")?;
        // One request for the whole GOP: its samples are close together in
        // the file (interleaved with a little audio at most).
        let first = samples.iter().map(|s| s.offset).min().unwrap_or(0);
        let last = samples
            .iter()
            .map(|s| s.offset + u64::from(s.size))
            .max()
            .unwrap_or(first);
        let fetched = fetch_range(
            &self.url,
            ByteRange {
                start: first,
                end: Some(last),
            },
        )
        .await?;
        let mut chunks = Vec::with_capacity(samples.len());
        for (i, sample) in gop.clone().zip(samples) {
            let from = sample
                .offset
                .checked_sub(fetched.start)
                .ok_or("the server sent the wrong bytes")? as usize;
            let data = fetched
                .bytes
                .get(from..from + sample.size as usize)
                .ok_or("the server sent too few bytes")?;
            chunks.push(Chunk {
                data,
                timestamp_us: timestamp_us(&self.track, i),
                is_keyframe: sample.is_keyframe,
            });
        }
        let pictures = self.decoder.decode_gop(&chunks).await?;
        let mut cache = self.cache.borrow_mut();
        for (timestamp, picture) in pictures {
            if let Some(&frame) = self.frame_of_timestamp.get(&timestamp) {
                cache.insert(frame, picture);
            }
        }
        Ok(())
    }
}

/// A sample's presentation time in microseconds, the unit WebCodecs uses.
/// i32 covers 35 minutes, far beyond our clips.
fn timestamp_us(track: &Track, sample: usize) -> i32 {
    let ticks = track.samples.get(sample).map_or(0, |s| s.presentation_time);
    let scale = i64::from(track.timescale.max(1));
    (ticks * 1_000_000 / scale) as i32
}
