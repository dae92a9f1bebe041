//! Frame number, timestamp and timecode arithmetic in exact rationals, so a
//! frame number survives any number of round trips through time and back
//! (23.976 and 29.97 fps included, where floating point drifts).
//!
//! Timecodes are non-drop-frame: frames are counted at the nominal integer
//! rate (24 for 24000/1001, 30 for 30000/1001), so at NTSC rates the timecode
//! runs 0.1% behind the wall clock (3.6 s per hour). That is what editors show
//! for NDF and is exact for frame addressing, which is what the preview needs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A positive fraction in lowest terms, e.g. 24000/1001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rational {
    pub num: u64,
    pub den: u64,
}

impl Rational {
    /// `None` when either part is zero.
    pub fn new(num: u64, den: u64) -> Option<Self> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Self {
            num: num / g,
            den: den / g,
        })
    }

    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Frames per second of a track's shown frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameRate {
    /// Every frame lasts the same number of ticks.
    Constant(Rational),
    /// Frame durations differ; `average` is frames over shown duration.
    Variable { average: Rational },
}

impl FrameRate {
    /// The exact rate for constant-rate tracks, the average otherwise.
    pub fn rate(self) -> Rational {
        match self {
            Self::Constant(rate) | Self::Variable { average: rate } => rate,
        }
    }

    pub fn is_constant(self) -> bool {
        matches!(self, Self::Constant(_))
    }
}

/// Ticks of `timescale` at which frame `frame` starts at constant `rate`,
/// rounded up to the first whole tick at or after the exact instant.
/// `None` on overflow or a zero timescale.
pub fn frame_to_time(frame: u64, rate: Rational, timescale: u32) -> Option<i64> {
    if timescale == 0 || rate.num == 0 {
        return None;
    }
    // frame * den * timescale / num, in i128 so no product can overflow.
    let numer = i128::from(frame) * i128::from(rate.den) * i128::from(timescale);
    let denom = i128::from(rate.num);
    let ticks = (numer + denom - 1) / denom;
    i64::try_from(ticks).ok()
}

/// The frame whose span `[start, next start)` contains `time` ticks at
/// constant `rate`: the exact inverse of [`frame_to_time`] whenever a frame
/// lasts at least one tick (`timescale >= rate`). `None` for negative times,
/// overflow or a zero timescale.
pub fn time_to_frame(time: i64, rate: Rational, timescale: u32) -> Option<u64> {
    if timescale == 0 || rate.den == 0 || time < 0 {
        return None;
    }
    let numer = i128::from(time) * i128::from(rate.num);
    let denom = i128::from(rate.den) * i128::from(timescale);
    u64::try_from(numer / denom).ok()
}

/// A non-drop-frame SMPTE-style timecode, `HH:MM:SS:FF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timecode {
    pub hours: u32,
    pub minutes: u8,
    pub seconds: u8,
    pub frames: u32,
}

impl Timecode {
    /// Frames per timecode second for `rate`: the rate rounded to the
    /// nearest integer, at least 1.
    pub fn nominal_fps(rate: Rational) -> u64 {
        let rounded =
            (u128::from(rate.num) * 2 + u128::from(rate.den)) / (u128::from(rate.den) * 2);
        u64::try_from(rounded).unwrap_or(u64::MAX).max(1)
    }

    /// The timecode of frame number `frame`. `None` if the hours overflow.
    pub fn from_frame(frame: u64, rate: Rational) -> Option<Self> {
        let fps = Self::nominal_fps(rate);
        let total_seconds = frame / fps;
        Some(Self {
            hours: u32::try_from(total_seconds / 3600).ok()?,
            minutes: ((total_seconds / 60) % 60) as u8,
            seconds: (total_seconds % 60) as u8,
            frames: (frame % fps) as u32,
        })
    }

    /// The frame number this timecode names, or `None` if a field is out of
    /// range for `rate` (minutes or seconds over 59, frames over fps - 1).
    pub fn to_frame(self, rate: Rational) -> Option<u64> {
        let fps = Self::nominal_fps(rate);
        if self.minutes >= 60 || self.seconds >= 60 || u64::from(self.frames) >= fps {
            return None;
        }
        let seconds =
            u64::from(self.hours) * 3600 + u64::from(self.minutes) * 60 + u64::from(self.seconds);
        seconds
            .checked_mul(fps)?
            .checked_add(u64::from(self.frames))
    }
}

impl fmt::Display for Timecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}:{:02}",
            self.hours, self.minutes, self.seconds, self.frames
        )
    }
}

/// Why a timecode string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timecode must look like HH:MM:SS:FF, got {0:?}")]
pub struct TimecodeParseError(pub String);

impl FromStr for Timecode {
    type Err = TimecodeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TimecodeParseError(s.to_owned());
        let mut parts = s.split(':');
        let mut next = || parts.next().ok_or_else(err);
        let (h, m, sec, fr) = (next()?, next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(Self {
            hours: h.parse().map_err(|_| err())?,
            minutes: m.parse().map_err(|_| err())?,
            seconds: sec.parse().map_err(|_| err())?,
            frames: fr.parse().map_err(|_| err())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NTSC_FILM: Rational = Rational {
        num: 24000,
        den: 1001,
    };
    const NTSC: Rational = Rational {
        num: 30000,
        den: 1001,
    };

    #[test]
    fn rational_reduces() {
        assert_eq!(Rational::new(12288, 512), Rational::new(24, 1));
        assert_eq!(Rational::new(0, 1), None);
    }

    #[test]
    fn ntsc_frames_land_on_the_ticks_muxers_write() {
        // 30000/1001 in a 30000 timescale: every frame is exactly 1001 ticks.
        assert_eq!(frame_to_time(60, NTSC, 30000), Some(60_060));
        assert_eq!(time_to_frame(60_059, NTSC, 30000), Some(59));
        assert_eq!(time_to_frame(60_060, NTSC, 30000), Some(60));
        // 23.976 in a 90 kHz timescale: 3753.75 ticks per frame.
        assert_eq!(frame_to_time(1, NTSC_FILM, 90_000), Some(3754));
        assert_eq!(frame_to_time(4, NTSC_FILM, 90_000), Some(15_015));
    }

    #[test]
    fn timecode_at_ntsc_is_non_drop() {
        // 30 timecode frames per second even though 29.97 play per second.
        let tc = Timecode::from_frame(107_892, NTSC).unwrap();
        assert_eq!(tc.to_string(), "00:59:56:12");
        assert_eq!("00:59:56:12".parse::<Timecode>().unwrap(), tc);
        assert_eq!(Timecode::nominal_fps(NTSC_FILM), 24);
        assert_eq!(
            "00:00:01:24"
                .parse::<Timecode>()
                .unwrap()
                .to_frame(NTSC_FILM),
            None
        );
        assert!("1:2:3".parse::<Timecode>().is_err());
    }

    fn any_rate() -> impl Strategy<Value = Rational> {
        prop_oneof![
            Just(NTSC_FILM),
            Just(NTSC),
            Just(Rational::new(60000, 1001).unwrap()),
            (1u64..=240, 1u64..=1001).prop_filter_map("zero", |(n, d)| Rational::new(n, d)),
        ]
    }

    proptest! {
        #[test]
        fn frame_time_round_trips(
            frame in 0u64..10_000_000,
            rate in any_rate(),
            timescale in prop_oneof![Just(1000u32), Just(12288), Just(24000), Just(30000), Just(90000), 240u32..1_000_000],
        ) {
            prop_assume!(u128::from(rate.den) * u128::from(timescale) >= u128::from(rate.num));
            let t = frame_to_time(frame, rate, timescale).unwrap();
            prop_assert_eq!(time_to_frame(t, rate, timescale), Some(frame));
            // The tick before a frame's start belongs to the previous frame.
            if frame > 0 {
                prop_assert_eq!(time_to_frame(t - 1, rate, timescale), Some(frame - 1));
            }
        }

        #[test]
        fn timecode_round_trips(frame in 0u64..100_000_000, rate in any_rate()) {
            let tc = Timecode::from_frame(frame, rate).unwrap();
            prop_assert_eq!(tc.to_frame(rate), Some(frame));
            let parsed: Timecode = tc.to_string().parse().unwrap();
            prop_assert_eq!(parsed, tc);
        }
    }
}
