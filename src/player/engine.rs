//! The frame-exact core: given a frame number, produce exactly that picture.
//! One decode loop per take decodes whole GOPs: the GOP of a frame someone
//! waits for first (abandoning any other GOP in flight), and while nobody
//! waits, the undecoded GOP nearest the playhead, until the memory budget
//! is full. A waiting seek is answered the moment its frame leaves the
//! decoder, not when the GOP ends. Reusable wherever a take is shown.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use chorus_media::{ByteRange, CodecConfig, Gop, Track};
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use super::cache::{DEFAULT_BUDGET, FrameCache};
use super::decoder::{Chunk, Decoder, Sink, timestamp_us};
use super::frame::{HeldFrame, copy_out};
use super::picture::Picture;
use super::plan::{Direction, next_gop};
use super::source::{Fetched, fetch_range, load_index};
use super::wake::Notify;

/// What the decoder's callbacks write into: the cache and the wake-up.
struct Shared {
    cache: RefCell<FrameCache<HeldFrame>>,
    notify: Notify,
    /// Decoded frames carry the chunk's timestamp back; this maps it to the
    /// frame number (hidden samples have no frame and are dropped).
    frame_of_timestamp: HashMap<i64, usize>,
    /// The decoder's own failure, taken by the decode loop.
    failure: RefCell<Option<String>>,
    /// Frames the decoder has output so far, for the debug line.
    outputs: Cell<usize>,
}

impl Sink for Shared {
    fn frame(&self, frame: HeldFrame) {
        self.outputs.set(self.outputs.get() + 1);
        if let Some(&number) = self.frame_of_timestamp.get(&frame.timestamp_us()) {
            let bytes = frame.bytes();
            self.cache.borrow_mut().insert(number, frame, bytes);
        }
        self.notify.notify();
    }

    fn failed(&self, why: String) {
        *self.failure.borrow_mut() = Some(why);
        self.notify.notify();
    }
}

/// How one GOP has fared, for the requests waiting on it.
#[derive(Default, Clone, Copy)]
struct GopRecord {
    /// Decodes that ran to the end.
    finished: u32,
    /// Decodes that failed; the background fill skips such GOPs.
    failed: u32,
    /// A decode ran to the end yet left some of the GOP's frames missing
    /// (a damaged file); decoding it again would not help.
    short: bool,
}

/// How full the frame cache is, for the debug overlay and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub frames: usize,
    pub bytes: usize,
    pub budget: usize,
}

pub struct Engine {
    url: String,
    pub track: Track,
    gops: Vec<Gop>,
    /// `gop_of_frame[n]` is the GOP that decodes frame `n`.
    gop_of_frame: Vec<usize>,
    shared: Rc<Shared>,
    decoder: RefCell<Option<Decoder>>,
    /// Encoded bytes of GOPs fetched so far (a 15 s take is a few MB).
    fetched: RefCell<HashMap<usize, Rc<Fetched>>>,
    records: RefCell<Vec<GopRecord>>,
    last_error: RefCell<Option<String>>,
    /// Frames `picture` calls are waiting for, oldest first.
    requests: RefCell<Vec<usize>>,
    direction: Cell<Direction>,
    closed: Cell<bool>,
    /// The GOP being decoded now.
    in_flight: Cell<Option<usize>>,
}

impl Engine {
    /// Reads the index and starts the decode loop, which fills the cache
    /// from frame 0 outwards until `close`.
    pub async fn open(url: &str) -> Result<Rc<Self>, String> {
        Self::open_with_budget(url, DEFAULT_BUDGET).await
    }

    pub async fn open_with_budget(url: &str, budget: usize) -> Result<Rc<Self>, String> {
        let movie = load_index(url).await?;
        let track = movie
            .video_track()
            .cloned()
            .ok_or("the file has no video track")?;
        let CodecConfig::Video(codec) = &track.codec else {
            return Err("the video track has no video codec".into());
        };
        let mut frame_of_timestamp = HashMap::new();
        for frame in 0..track.frame_count() {
            if let Some(sample) = track.frame_sample(frame) {
                frame_of_timestamp.insert(i64::from(timestamp_us(&track, sample)), frame);
            }
        }
        let shared = Rc::new(Shared {
            cache: RefCell::new(FrameCache::new(budget)),
            notify: Notify::default(),
            frame_of_timestamp,
            failure: RefCell::new(None),
            outputs: Cell::new(0),
        });
        let decoder = Decoder::new(codec, Rc::clone(&shared) as Rc<dyn Sink>)?;
        let gops = track.gops();
        let mut gop_of_frame = vec![0; track.frame_count()];
        for (i, gop) in gops.iter().enumerate() {
            for slot in gop_of_frame
                .get_mut(gop.first_frame..=gop.last_frame)
                .unwrap_or_default()
            {
                *slot = i;
            }
        }
        let engine = Rc::new(Self {
            url: url.to_string(),
            track,
            records: RefCell::new(vec![GopRecord::default(); gops.len()]),
            gops,
            gop_of_frame,
            shared,
            decoder: RefCell::new(Some(decoder)),
            fetched: RefCell::new(HashMap::new()),
            last_error: RefCell::new(None),
            requests: RefCell::new(Vec::new()),
            direction: Cell::new(Direction::Paused),
            closed: Cell::new(false),
            in_flight: Cell::new(None),
        });
        spawn_local(Rc::clone(&engine).run());
        Ok(engine)
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

    /// When `frame` appears, in seconds of the take's own timeline.
    pub fn frame_time_s(&self, frame: usize) -> Option<f64> {
        let ticks = self.track.frame_time(frame)?;
        Some(ticks as f64 / f64::from(self.track.timescale.max(1)))
    }

    /// The frame on screen at `seconds` (exact for variable frame rates).
    pub fn frame_at_time_s(&self, seconds: f64) -> Option<usize> {
        let ticks = (seconds * f64::from(self.track.timescale.max(1))).floor() as i64;
        self.track.frame_at_time(ticks)
    }

    /// Frame numbers of the keyframes, ascending.
    pub fn keyframe_frames(&self) -> Vec<usize> {
        self.gops.iter().map(|g| g.first_frame).collect()
    }

    pub fn is_cached(&self, frame: usize) -> bool {
        self.shared.cache.borrow().contains(frame)
    }

    /// Resolves at the next change: a frame decoded, a GOP done, a request.
    pub async fn changed(&self) {
        self.shared.notify.changed().await;
    }

    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// One line on what the decode loop is doing, for the test hook.
    pub fn debug_line(&self) -> String {
        let records = self.records.borrow();
        let finished: u32 = records.iter().map(|r| r.finished).sum();
        let failed: u32 = records.iter().map(|r| r.failed).sum();
        format!(
            "outputs {} · GOPs decoded {finished}, failed {failed} · in flight {:?} · requests {:?} · last error {:?}",
            self.shared.outputs.get(),
            self.in_flight.get(),
            self.requests.borrow(),
            self.last_error.borrow()
        )
    }

    pub fn cache_stats(&self) -> CacheStats {
        let cache = self.shared.cache.borrow();
        CacheStats {
            frames: cache.len(),
            bytes: cache.used(),
            budget: cache.budget(),
        }
    }

    /// Where the reviewer is and which way the take moves: the background
    /// decode reads ahead from here and the cache keeps what is near it.
    pub fn set_playhead(&self, frame: usize, direction: Direction) {
        self.shared.cache.borrow_mut().set_playhead(frame);
        self.direction.set(direction);
        self.shared.notify.notify();
    }

    /// The picture of `frame`, decoding its GOP first when it is not cached.
    pub async fn picture(&self, frame: usize) -> Result<Picture, String> {
        let gop = *self
            .gop_of_frame
            .get(frame)
            .ok_or_else(|| format!("frame {frame} is not in this video"))?;
        let held = self.frame(frame, gop).await?;
        copy_out(held.frame()).await
    }

    /// Waits until `frame` is decoded and returns it (held, so eviction
    /// cannot close it while it is being copied).
    async fn frame(&self, frame: usize, gop: usize) -> Result<Rc<HeldFrame>, String> {
        let before = self.record(gop);
        self.requests.borrow_mut().push(frame);
        let _done = Unrequest {
            requests: &self.requests,
            frame,
        };
        self.shared.cache.borrow_mut().set_playhead(frame);
        self.shared.notify.notify();
        loop {
            if self.closed.get() {
                return Err("the player was closed".into());
            }
            if let Some(held) = self.shared.cache.borrow().get(frame) {
                return Ok(held);
            }
            let now = self.record(gop);
            if now.failed > before.failed {
                return Err(self
                    .last_error
                    .borrow()
                    .clone()
                    .unwrap_or_else(|| "decoding failed".into()));
            }
            if now.finished > before.finished {
                return Err(format!("the decoder did not produce frame {frame}"));
            }
            self.shared.notify.changed().await;
        }
    }

    fn record(&self, gop: usize) -> GopRecord {
        self.records.borrow().get(gop).copied().unwrap_or_default()
    }

    fn gop_complete(&self, gop: usize) -> bool {
        let cache = self.shared.cache.borrow();
        self.gops
            .get(gop)
            .is_none_or(|g| (g.first_frame..=g.last_frame).all(|f| cache.contains(f)))
    }

    /// The GOP of the newest request not yet cached.
    fn wanted_gop(&self) -> Option<usize> {
        let requests = self.requests.borrow();
        let frame = requests.iter().rev().find(|&&f| !self.is_cached(f))?;
        self.gop_of_frame.get(*frame).copied()
    }

    /// The next GOP to decode: one someone waits for, else the nearest
    /// undecoded one that fits in the budget without evicting anything
    /// nearer the playhead.
    fn next_job(&self) -> Option<usize> {
        if let Some(gop) = self.wanted_gop() {
            return Some(gop);
        }
        let spans: Vec<(usize, usize)> = self
            .gops
            .iter()
            .map(|g| (g.first_frame, g.last_frame))
            .collect();
        let playhead = self.shared.cache.borrow().playhead();
        let records = self.records.borrow().clone();
        let next = next_gop(
            &spans,
            |g| records.get(g).is_some_and(|r| r.failed > 0 || r.short) || self.gop_complete(g),
            playhead,
            self.direction.get(),
        )?;
        let frame_bytes = (self.track.width * self.track.height * 3 / 2) as usize;
        let bytes = self.gops.get(next.gop).map_or(0, |g| g.shown) * frame_bytes;
        self.shared
            .cache
            .borrow()
            .has_room_within(next.far, bytes)
            .then_some(next.gop)
    }

    /// The decode loop: runs until `close`.
    async fn run(self: Rc<Self>) {
        while !self.closed.get() {
            match self.next_job() {
                Some(gop) => self.decode(gop).await,
                None => self.shared.notify.changed().await,
            }
        }
    }

    /// True when decoding `gop` should stop for a more urgent one.
    fn preempted(&self, gop: usize) -> bool {
        self.closed.get() || self.wanted_gop().is_some_and(|wanted| wanted != gop)
    }

    async fn decode(&self, gop: usize) {
        self.in_flight.set(Some(gop));
        let outcome = self.try_decode(gop).await;
        self.in_flight.set(None);
        if self.closed.get() {
            return;
        }
        match outcome {
            Ok(true) => {
                let short = !self.gop_complete(gop);
                self.update_record(gop, |r| {
                    r.finished += 1;
                    r.short = short;
                });
            }
            Ok(false) => {}
            Err(why) => {
                *self.last_error.borrow_mut() = Some(why);
                self.update_record(gop, |r| r.failed += 1);
                // A failed WebCodecs decoder is closed for good: start afresh.
                if self
                    .decoder
                    .borrow()
                    .as_ref()
                    .is_none_or(|d| !d.is_usable())
                {
                    self.replace_decoder();
                }
            }
        }
        self.shared.notify.notify();
    }

    fn update_record(&self, gop: usize, change: impl FnOnce(&mut GopRecord)) {
        if let Some(record) = self.records.borrow_mut().get_mut(gop) {
            change(record);
        }
    }

    fn replace_decoder(&self) {
        let fresh = match &self.track.codec {
            CodecConfig::Video(codec) => {
                Decoder::new(codec, Rc::clone(&self.shared) as Rc<dyn Sink>).ok()
            }
            _ => None,
        };
        *self.decoder.borrow_mut() = fresh;
    }

    /// Decodes `gop` whole; `Ok(false)` when it gave way to a request for
    /// another GOP.
    async fn try_decode(&self, gop: usize) -> Result<bool, String> {
        let fetched = self.gop_bytes(gop).await?;
        if self.preempted(gop) {
            return Ok(false);
        }
        let samples = self
            .gops
            .get(gop)
            .map(|g| g.samples.clone())
            .ok_or("the index is inconsistent")?;
        let mut chunks = Vec::with_capacity(samples.len());
        for i in samples {
            let sample = self
                .track
                .samples
                .get(i)
                .ok_or("the index is inconsistent")?;
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
        self.shared.failure.borrow_mut().take();
        let finish = {
            let decoder = self.decoder.borrow();
            let decoder = decoder.as_ref().ok_or("no video decoder")?;
            decoder.start(&chunks)?;
            JsFuture::from(decoder.finish())
        };
        let mut finish = pin!(finish);
        loop {
            let changed = self.shared.notify.changed();
            let mut changed = pin!(changed);
            let finished = poll_fn(|cx| match finish.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(Some(result)),
                Poll::Pending => changed.as_mut().poll(cx).map(|()| None),
            })
            .await;
            if let Some(result) = finished {
                if let Some(why) = self.shared.failure.borrow_mut().take() {
                    return Err(why);
                }
                return result
                    .map(|_| true)
                    .map_err(|e| format!("decoding failed: {e:?}"));
            }
            if self.preempted(gop) {
                if let Some(decoder) = self.decoder.borrow().as_ref() {
                    decoder.abandon();
                }
                return Ok(false);
            }
        }
    }

    /// The encoded bytes of `gop`: one ranged request for all its samples
    /// (close together in the file, with a little audio between at most).
    async fn gop_bytes(&self, gop: usize) -> Result<Rc<Fetched>, String> {
        if let Some(fetched) = self.fetched.borrow().get(&gop) {
            return Ok(Rc::clone(fetched));
        }
        let samples = self
            .gops
            .get(gop)
            .and_then(|g| self.track.samples.get(g.samples.clone()))
            .ok_or("the index is inconsistent")?;
        let first = samples.iter().map(|s| s.offset).min().unwrap_or(0);
        let last = samples
            .iter()
            .map(|s| s.offset + u64::from(s.size))
            .max()
            .unwrap_or(first);
        let fetched = Rc::new(
            fetch_range(
                &self.url,
                ByteRange {
                    start: first,
                    end: Some(last),
                },
            )
            .await?,
        );
        self.fetched.borrow_mut().insert(gop, Rc::clone(&fetched));
        Ok(fetched)
    }

    /// Stops the decode loop and releases every decoded frame and the
    /// decoder. Waiting requests end with an error.
    pub fn close(&self) {
        self.closed.set(true);
        self.decoder.borrow_mut().take();
        self.shared.cache.borrow_mut().clear();
        self.fetched.borrow_mut().clear();
        self.shared.notify.notify();
    }
}

/// Removes a request when its `picture` call ends, however it ends.
struct Unrequest<'a> {
    requests: &'a RefCell<Vec<usize>>,
    frame: usize,
}

impl Drop for Unrequest<'_> {
    fn drop(&mut self) {
        let mut requests = self.requests.borrow_mut();
        if let Some(i) = requests.iter().position(|&f| f == self.frame) {
            requests.remove(i);
        }
    }
}
