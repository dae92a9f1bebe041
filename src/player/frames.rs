//! The frame-exact core: given a frame number, produce exactly that picture.
//! A missing frame costs one ranged fetch of its GOP (coalesced into one
//! request) and a decode from the GOP's keyframe, answered as soon as the
//! frame itself is decoded; the rest of the GOP keeps decoding behind it
//! into the cache, for the scrubbing that usually follows, unless a frame
//! of another GOP is asked for first.
//!
//! Pictures are kept at the size the screen shows them (a whole factor
//! smaller than the video, never smaller than the screen). When the whole
//! take then fits the cache, [`FrameSource::fill`] decodes it all in the
//! background, straight through with its own decoder, so that after a
//! moment every seek and step is a cache hit.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use chorus_media::{CodecConfig, Picture, Track, preview_factor, shrunk_size};
use gloo_timers::future::TimeoutFuture;
use leptos::task::spawn_local;

use super::cache::{DEFAULT_BUDGET, FrameCache};
use super::decoder::{Chunk, Decoder, Sink};
use super::frame::picture_in;
use super::sequence::Sequence;
use super::source::{fetch_range, load_video_track};

/// How much memory every screen on a page may hold in whole takes decoded
/// ahead ([`FrameSource::fill`]), together: the compare view's screens each
/// fill while they fit, the rest decode GOP by GOP as asked.
const PAGE_FILL_BUDGET: usize = 640 * 1024 * 1024;

thread_local! {
    /// Bytes of whole takes the page's screens have reserved.
    static FILL_RESERVED: Cell<usize> = const { Cell::new(0) };
}

/// Where a whole-take fill stands, for the timeline and the tests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    /// Not started, or not done because the take would not fit the budget.
    Off,
    /// Decoding; every frame before this one is in (frames come in order).
    Running(usize),
    /// Every frame is in the cache, read in this many milliseconds.
    Done(f64),
    /// The read stopped; seeks still decode GOP by GOP.
    Failed,
}

/// As `data-fill` shows it on a screen: "off", "failed", "running 120"
/// (frames in so far) or "done 1234" (milliseconds the whole take took).
impl std::fmt::Display for Fill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fill::Off => f.write_str("off"),
            Fill::Failed => f.write_str("failed"),
            Fill::Running(frames) => write!(f, "running {frames}"),
            Fill::Done(ms) => write!(f, "done {ms:.0}"),
        }
    }
}

pub struct FrameSource {
    url: String,
    pub track: Track,
    /// Pictures are shrunk by this much (1: kept whole).
    pub factor: u32,
    decoder: Decoder,
    /// Filled by the decoder's sink as pictures come out.
    cache: Rc<RefCell<FrameCache>>,
    /// The GOP decode under way or last finished.
    running: RefCell<Option<Rc<Run>>>,
    /// Bytes reserved from [`PAGE_FILL_BUDGET`] by this screen's fill.
    reserved: Cell<usize>,
    fill: Cell<Fill>,
    /// Whether the transport is playing this screen, and the last frame
    /// it asked for: while playing, the fill keeps only a little ahead.
    playing: Cell<bool>,
    asked: Cell<usize>,
}

/// While the take plays, how far ahead of the playhead the whole-take
/// read may run, in seconds. Racing further ahead takes the CPU the
/// frames being played need; the rest is read once playback stops.
const PLAYING_LEAD_S: f64 = 2.0;

impl Drop for FrameSource {
    fn drop(&mut self) {
        FILL_RESERVED.with(|r| r.set(r.get().saturating_sub(self.reserved.get())));
    }
}

/// One GOP's decode and who is waiting on it.
struct Run {
    gop: Range<usize>,
    /// Callers waiting for one of its frames; while any are, no other GOP
    /// may take the decoder.
    waiting: Cell<usize>,
    outcome: RefCell<Option<Result<(), String>>>,
}

impl Run {
    fn finished(&self) -> bool {
        self.outcome.borrow().is_some()
    }
}

impl FrameSource {
    /// Opens the take at `url` for a screen `shown` device pixels large
    /// (zero when unknown: pictures are then kept whole).
    pub async fn open(url: &str, shown: (u32, u32)) -> Result<Rc<Self>, String> {
        let track = load_video_track(url).await?;
        let CodecConfig::Video(codec) = &track.codec else {
            return Err("the video track has no video codec".into());
        };
        let factor = preview_factor(track.width, track.height, shown);
        let frame_of_timestamp = frame_of_timestamp(&track);
        let cache = Rc::new(RefCell::new(FrameCache::new(DEFAULT_BUDGET)));
        let filled = Rc::clone(&cache);
        let sink: Sink = Rc::new(move |timestamp, picture| {
            if let Some(&frame) = frame_of_timestamp.get(&timestamp) {
                filled.borrow_mut().insert(frame, picture);
            }
        });
        let decoder = Decoder::new(codec, factor, sink)?;
        Ok(Rc::new(Self {
            url: url.to_string(),
            track,
            factor,
            decoder,
            cache,
            running: RefCell::new(None),
            reserved: Cell::new(0),
            fill: Cell::new(Fill::Off),
            playing: Cell::new(false),
            asked: Cell::new(0),
        }))
    }

    /// The size pictures are kept and drawn at.
    pub fn picture_size(&self) -> (u32, u32) {
        shrunk_size(self.track.width, self.track.height, self.factor)
    }

    pub fn fill_state(&self) -> Fill {
        self.fill.get()
    }

    /// Told by the transport when playback starts and stops.
    pub fn set_playing(&self, playing: bool) {
        self.playing.set(playing);
    }

    /// Whether the whole-take read, about to decode toward frame `next`,
    /// should wait: while playing, when it is far enough ahead of the
    /// playhead. Never when behind it, so a frame played next can always
    /// come from the read.
    fn fill_holds(&self, next: usize) -> bool {
        let lead = (self.fps() * PLAYING_LEAD_S).ceil() as usize;
        self.playing.get() && next > self.asked.get() + lead
    }

    /// Decodes every frame of the take into the cache in the background,
    /// when all of them fit its budget and the page's; returns at once.
    /// Frames already cached are skipped, a seek meanwhile still decodes
    /// its own GOP at once, and dropping the source stops the read.
    pub fn fill(self: &Rc<Self>) {
        if self.fill.get() != Fill::Off {
            return;
        }
        let (width, height) = self.picture_size();
        let whole = self.frame_count() * Picture::size_of(width, height);
        let reserved = FILL_RESERVED.with(|r| {
            let fits = whole <= DEFAULT_BUDGET && r.get() + whole <= PAGE_FILL_BUDGET;
            if fits {
                r.set(r.get() + whole);
            }
            fits
        });
        if !reserved {
            return;
        }
        self.reserved.set(whole);
        self.fill.set(Fill::Running(0));
        let weak = Rc::downgrade(self);
        let sequence = Sequence::of_track(&self.url, self.track.clone()).held_while({
            let weak = weak.clone();
            move |next| weak.upgrade().is_some_and(|this| this.fill_holds(next))
        });
        spawn_local(async move {
            // The first frame's GOP decodes alone, so the screen shows
            // something as soon as it can.
            for _ in 0..200 {
                match weak.upgrade() {
                    Some(this) if this.cache.borrow().is_empty() => {}
                    Some(_) => break,
                    None => return,
                }
                TimeoutFuture::new(10).await;
            }
            let started = crate::dom::now_ms();
            let outcome = sequence
                .each_frame(|frame, decoded| {
                    let this = weak.upgrade().ok_or("the screen was closed")?;
                    if !this.cache.borrow().contains(frame) {
                        let picture = picture_in(
                            decoded.width,
                            decoded.height,
                            decoded.layout,
                            decoded.planes,
                            this.factor,
                        )?;
                        this.cache.borrow_mut().insert(frame, picture);
                    }
                    this.fill.set(Fill::Running(frame + 1));
                    Ok(())
                })
                .await;
            if let Some(this) = weak.upgrade() {
                this.fill.set(match outcome {
                    Ok(()) => Fill::Done(crate::dom::now_ms() - started),
                    Err(_) => Fill::Failed,
                });
            }
        });
    }

    pub fn frame_count(&self) -> usize {
        self.track.frame_count()
    }

    /// Frames per second (the average for variable-rate files).
    pub fn fps(&self) -> f64 {
        fps(&self.track)
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

    /// The picture of `frame`: from the cache, or decoded from its GOP's
    /// keyframe, answered as soon as it comes out of the decoder.
    pub async fn picture(self: &Rc<Self>, frame: usize) -> Result<Rc<Picture>, String> {
        self.asked.set(frame);
        if let Some(picture) = self.cache.borrow_mut().get(frame) {
            return Ok(picture);
        }
        // A frame the whole-take read is about to reach (playing on from
        // where it is, say) comes from it, not from a second decode of the
        // same GOP beside it.
        let lead = (self.fps() / 2.0).ceil() as usize;
        while let Fill::Running(next) = self.fill.get()
            && (next..next + lead).contains(&frame)
        {
            TimeoutFuture::new(2).await;
            if let Some(picture) = self.cache.borrow_mut().get(frame) {
                return Ok(picture);
            }
        }
        let gop = self
            .gop_of(frame)
            .ok_or_else(|| format!("frame {frame} is not in this video"))?;
        let run = self.run_for(gop).await;
        run.waiting.set(run.waiting.get() + 1);
        let found = loop {
            if let Some(picture) = self.cache.borrow_mut().get(frame) {
                break Ok(picture);
            }
            if let Some(outcome) = run.outcome.borrow().clone() {
                break Err(outcome.err().unwrap_or_else(|| {
                    format!("the decoder did not produce frame {frame}")
                }));
            }
            TimeoutFuture::new(1).await;
        };
        run.waiting.set(run.waiting.get() - 1);
        found
    }

    /// The decode of `gop`: the one under way, or a new one. Another GOP's
    /// decode is abandoned when nobody waits on it any more, and otherwise
    /// finished first.
    async fn run_for(self: &Rc<Self>, gop: Range<usize>) -> Rc<Run> {
        loop {
            let current = self.running.borrow().clone();
            if let Some(run) = current.filter(|r| !r.finished()) {
                if run.gop == gop {
                    return run;
                }
                if run.waiting.get() > 0 {
                    TimeoutFuture::new(1).await;
                    continue;
                }
            }
            let run = Rc::new(Run {
                gop,
                waiting: Cell::new(0),
                outcome: RefCell::new(None),
            });
            *self.running.borrow_mut() = Some(Rc::clone(&run));
            let this = Rc::clone(self);
            let decoding = Rc::clone(&run);
            spawn_local(async move {
                let outcome = this.decode_gop(&decoding).await;
                *decoding.outcome.borrow_mut() = Some(outcome);
            });
            return run;
        }
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

    /// Decodes `run`'s GOP, unless another run has taken the decoder while
    /// its bytes were on the way (that run's decode must not be reset by
    /// this one).
    async fn decode_gop(&self, run: &Rc<Run>) -> Result<(), String> {
        let gop = run.gop.clone();
        let samples = self
            .track
            .samples
            .get(gop.clone())
            .ok_or("the index is inconsistent")?;
        // One request for the whole GOP: its samples are close together in
        // the file (interleaved with a little audio at most).
        let range = self
            .track
            .byte_range(gop.clone())
            .ok_or("the index is inconsistent")?;
        let fetched = fetch_range(&self.url, range).await?;
        let still_ours = self
            .running
            .borrow()
            .as_ref()
            .is_some_and(|current| Rc::ptr_eq(current, run));
        if !still_ours {
            return Err("another GOP's decode took the decoder".into());
        }
        let mut chunks = Vec::with_capacity(samples.len());
        for (i, sample) in gop.clone().zip(samples) {
            chunks.push(Chunk {
                data: fetched.sample_bytes(sample)?,
                timestamp_us: timestamp_us(&self.track, i),
                is_keyframe: sample.is_keyframe,
            });
        }
        self.decoder.decode_gop(&chunks).await
    }
}

/// A sample's presentation time in microseconds, the unit WebCodecs uses.
/// i32 covers 35 minutes, far beyond our clips.
pub(super) fn timestamp_us(track: &Track, sample: usize) -> i32 {
    let ticks = track.samples.get(sample).map_or(0, |s| s.presentation_time);
    let scale = i64::from(track.timescale.max(1));
    (ticks * 1_000_000 / scale) as i32
}

/// Decoded frames carry their chunk's timestamp back; this maps it to the
/// frame number (hidden samples have no frame, so their pictures are
/// dropped).
pub(super) fn frame_of_timestamp(track: &Track) -> HashMap<i64, usize> {
    (0..track.frame_count())
        .filter_map(|frame| {
            let sample = track.frame_sample(frame)?;
            Some((i64::from(timestamp_us(track, sample)), frame))
        })
        .collect()
}

/// Frames per second of `track` (the average for variable-rate files; 30
/// when it does not say).
pub(super) fn fps(track: &Track) -> f64 {
    track
        .frame_rate
        .map_or(30.0, |r| r.rate().as_f64())
        .max(1.0)
}
