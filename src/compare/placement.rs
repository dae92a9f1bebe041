//! Where a take's decoded sound goes on the picture's clock. Pure, so the
//! rule is unit-tested natively; `pcm` feeds it what WebCodecs' audio
//! decoder gave back.
//!
//! The decoder's output timestamps are read relative to its first output,
//! never as they are: Chromium (seen in 148) counts an audio decoder's
//! output time from its first input's timestamp, but from 0 where that
//! timestamp is negative. An AAC track's priming packets sit before its
//! edit, at negative times (-2048 samples from most encoders), so taken as
//! they are, every block landed 2048 samples (43 ms at 48 kHz) late, and a
//! take drawn exactly in sync measured and played 43 ms late. Video
//! decoders keep negative timestamps (the player maps frames by them).

/// One block of decoded mono samples and the timestamp (µs) the decoder
/// gave it, in output order.
pub struct Block {
    pub timestamp_us: i64,
    pub samples: Vec<f32>,
}

/// How the track's first decoded packet relates to the picture.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    /// Presentation time of the first packet fed to the decoder, in track
    /// ticks (negative for packets before the edit).
    pub first_tick: i64,
    /// Ticks per second of the track.
    pub timescale: i64,
    /// Ticks the edit starts inside its first shown packet (Opus pre-skip),
    /// by which all sound goes later (as chorus-decode does).
    pub within_first: i64,
}

/// Mono samples at `rate` from picture time 0, `length` long: each block
/// at the first packet's time plus its distance from the first block;
/// what falls before 0 or after the end is dropped, silence where nothing
/// was decoded.
pub fn place(blocks: Vec<Block>, start: Start, rate: u32, length: usize) -> Vec<f32> {
    let rate = i64::from(rate.max(1));
    let timescale = start.timescale.max(1);
    let mut samples = vec![0.0_f32; length];
    let Some(first_us) = blocks.first().map(|b| b.timestamp_us) else {
        return samples;
    };
    let origin = (start.first_tick + start.within_first) * rate / timescale;
    for block in blocks {
        // µs are finer than a sample at any audio rate, so the rounded
        // distance is the exact count of samples the decoder gave before.
        let after_first = rounded_div((block.timestamp_us - first_us) * rate, 1_000_000);
        let at = origin + after_first;
        for (i, value) in block.samples.into_iter().enumerate() {
            if let Ok(index) = usize::try_from(at + i as i64)
                && let Some(slot) = samples.get_mut(index)
            {
                *slot = value;
            }
        }
    }
    samples
}

/// `n / d` rounded to nearest (`d` > 0).
fn rounded_div(n: i64, d: i64) -> i64 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;
    const PACKET: usize = 1024;

    /// An AAC track as encoders write it; packet k carries the value k + 1
    /// in every sample, so 0 is silence.
    fn blocks(first_timestamp_us: i64, packets: usize) -> Vec<Block> {
        (0..packets)
            .map(|k| Block {
                // What the decoder reports: its first timestamp, then time
                // counted in samples (rounded down to µs, as Chromium does).
                timestamp_us: first_timestamp_us
                    + (k * PACKET) as i64 * 1_000_000 / i64::from(RATE),
                samples: vec![(k + 1) as f32; PACKET],
            })
            .collect()
    }

    /// Which packet sample `at` came from; `None` for silence.
    fn packet(pcm: &[f32], at: usize) -> Option<usize> {
        let value = pcm[at].round() as usize;
        value.checked_sub(1)
    }

    /// Two priming packets before the edit, at -2048 samples.
    fn aac_start() -> Start {
        Start {
            first_tick: -2048,
            timescale: i64::from(RATE),
            within_first: 0,
        }
    }

    #[test]
    fn priming_stays_before_the_picture_whatever_the_decoder_reports() {
        // The decoder kept the first packet's negative time, or counted
        // from 0 (Chromium 148): the same placement either way.
        for first_timestamp_us in [-42_667, 0] {
            let pcm = place(blocks(first_timestamp_us, 6), aac_start(), RATE, 4 * PACKET);
            let at = |i| packet(&pcm, i);
            assert_eq!(
                at(0),
                Some(2),
                "packet 2 at picture time 0 ({first_timestamp_us} µs)"
            );
            assert_eq!(at(PACKET - 1), Some(2));
            assert_eq!(at(PACKET), Some(3));
            assert_eq!(at(4 * PACKET - 1), Some(5));
        }
    }

    #[test]
    fn a_track_starting_after_the_picture_leaves_silence_first() {
        let start = Start {
            first_tick: 480,
            timescale: i64::from(RATE),
            within_first: 0,
        };
        let pcm = place(blocks(10_000, 2), start, RATE, 3000);
        assert_eq!(packet(&pcm, 479), None, "silence before the sound starts");
        assert_eq!(packet(&pcm, 480), Some(0));
        assert_eq!(packet(&pcm, 480 + PACKET), Some(1));
        assert_eq!(packet(&pcm, 2999), None, "silence after the last packet");
    }

    #[test]
    fn pre_skip_moves_every_block_later_and_other_timescales_are_rescaled() {
        // A track at a 1000-tick timescale, its edit 5 ticks into the first
        // shown packet.
        let start = Start {
            first_tick: 0,
            timescale: 1000,
            within_first: 0,
        };
        let pcm = place(blocks(0, 2), start, RATE, 3 * PACKET);
        assert_eq!(packet(&pcm, PACKET), Some(1));
        let shifted = place(
            blocks(0, 2),
            Start {
                within_first: 5,
                ..start
            },
            RATE,
            3 * PACKET,
        );
        assert_eq!(packet(&shifted, 239), None, "5 ms = 240 samples later");
        assert_eq!(packet(&shifted, 240), Some(0));
        assert_eq!(packet(&shifted, 240 + PACKET), Some(1));
    }

    #[test]
    fn nothing_decoded_is_silence() {
        let pcm = place(Vec::new(), aac_start(), RATE, 10);
        assert!((0..10).all(|i| packet(&pcm, i).is_none()));
    }
}
