//! Seeking questions a frame-exact player asks of a track: which frame is on
//! screen at a time, when a frame starts, and which samples to feed a decoder
//! (in decode order, from a keyframe) to get a given frame out of it.

use std::ops::Range;

use crate::movie::{Sample, Track};
use crate::scan::ByteRange;
use crate::time::Timecode;

impl Track {
    /// Number of shown frames (samples, for audio).
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The sample shown as frame number `frame`.
    pub fn frame_sample(&self, frame: usize) -> Option<usize> {
        self.frames.get(frame).copied()
    }

    /// Presentation time, in track ticks, at which `frame` appears.
    pub fn frame_time(&self, frame: usize) -> Option<i64> {
        self.sample_for_frame(frame).map(|s| s.presentation_time)
    }

    /// When `frame` is shown, in seconds after the first frame (exact for
    /// variable-rate tracks).
    pub fn frame_seconds(&self, frame: usize) -> Option<f64> {
        let (at, first) = (self.frame_time(frame)?, self.frame_time(0)?);
        Some((at - first) as f64 / f64::from(self.timescale.max(1)))
    }

    /// The frame on screen at presentation time `time` (track ticks): the
    /// last frame starting at or before it. `None` before the first frame and
    /// after the last one ends.
    pub fn frame_at_time(&self, time: i64) -> Option<usize> {
        let after = self.frames.partition_point(|&i| {
            self.samples
                .get(i)
                .is_some_and(|s| s.presentation_time <= time)
        });
        let frame = after.checked_sub(1)?;
        if frame + 1 == self.frames.len() && time >= self.presentation_end()? {
            return None;
        }
        Some(frame)
    }

    /// When the last frame stops being shown, in track ticks: the end of the
    /// edit when the edit list bounds it, else the last frame's start plus
    /// its sample duration.
    pub fn presentation_end(&self) -> Option<i64> {
        let last = self.sample_for_frame(self.frames.len().checked_sub(1)?)?;
        let by_sample = last
            .presentation_time
            .checked_add(i64::from(last.duration))?;
        // The edit ends at media time `media_start + media_duration`; shift it
        // like the samples. It differs from `empty_delay + duration` when the
        // edit starts inside a hidden frame.
        let edit = &self.edit;
        let by_edit = edit
            .media_duration
            .and_then(|d| edit.media_start.checked_add(d))
            .and_then(|end| end.checked_sub(edit.shift))
            .and_then(|end| end.checked_add(edit.empty_delay))
            .filter(|&end| end > last.presentation_time);
        Some(by_edit.unwrap_or(by_sample))
    }

    /// The index in `samples` of the sample on screen at `time`.
    pub fn sample_at_time(&self, time: i64) -> Option<usize> {
        self.frame_at_time(time).and_then(|f| self.frame_sample(f))
    }

    /// The index in `samples` of the last keyframe at or before `frame` in
    /// decode order, where decoding must start to reach that frame.
    pub fn keyframe_at_or_before(&self, frame: usize) -> Option<usize> {
        let sample = self.frame_sample(frame)?;
        let after = self.keyframes.partition_point(|&k| k <= sample);
        after
            .checked_sub(1)
            .and_then(|i| self.keyframes.get(i))
            .copied()
    }

    /// The samples, in decode order, to feed a freshly reset decoder so it
    /// outputs `frame`: from the keyframe before it up to and including the
    /// frame's own sample (every reference precedes it in decode order).
    /// Flush the decoder after the last one; it may output other frames of
    /// the range too, which the caller drops by presentation time.
    pub fn decode_range_for_frame(&self, frame: usize) -> Option<Range<usize>> {
        let start = self.keyframe_at_or_before(frame)?;
        let end = self.frame_sample(frame)?.checked_add(1)?;
        Some(start..end)
    }

    /// The bytes in the file that hold samples `span`: from the lowest
    /// sample offset to the end of the farthest sample (one request for
    /// all of them). `None` when the span holds no sample.
    pub fn byte_range(&self, span: Range<usize>) -> Option<ByteRange> {
        let samples = self.samples.get(span).filter(|s| !s.is_empty())?;
        let start = samples.iter().map(|s| s.offset).min()?;
        let end = samples
            .iter()
            .map(|s| s.offset.saturating_add(u64::from(s.size)))
            .max()?;
        Some(ByteRange {
            start,
            end: Some(end),
        })
    }

    /// All samples in decode order, cut into consecutive runs whose bytes
    /// lie within `max_bytes` of each other in the file, so a reader that
    /// decodes everything fetches the file in a few requests of bounded
    /// size. A sample bigger than `max_bytes` is a run of its own.
    pub fn read_spans(&self, max_bytes: u64) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
        let mut start = 0;
        let (mut low, mut high) = (u64::MAX, 0);
        for (i, sample) in self.samples.iter().enumerate() {
            let end = sample.offset.saturating_add(u64::from(sample.size));
            let (l, h) = (low.min(sample.offset), high.max(end));
            if i > start && h - l > max_bytes {
                spans.push(start..i);
                start = i;
                (low, high) = (sample.offset, end);
            } else {
                (low, high) = (l, h);
            }
        }
        if start < self.samples.len() {
            spans.push(start..self.samples.len());
        }
        spans
    }

    /// The timecode of `frame` at this track's frame rate (the average for
    /// variable-rate tracks; see the `time` module on non-drop-frame).
    pub fn frame_timecode(&self, frame: usize) -> Option<Timecode> {
        Timecode::from_frame(frame as u64, self.frame_rate?.rate())
    }

    /// The frame a timecode names, if the track has that frame.
    pub fn timecode_frame(&self, timecode: Timecode) -> Option<usize> {
        let frame = usize::try_from(timecode.to_frame(self.frame_rate?.rate())?).ok()?;
        (frame < self.frames.len()).then_some(frame)
    }

    fn sample_for_frame(&self, frame: usize) -> Option<&Sample> {
        self.frame_sample(frame).and_then(|i| self.samples.get(i))
    }
}
