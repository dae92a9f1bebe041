//! Whether an offset matters to a viewer, by ITU-R BT.1359: people notice
//! sound that arrives early sooner than sound that arrives late, because late
//! sound is what distance does in nature.

use serde::{Deserialize, Serialize};

/// Sound ahead of picture becomes detectable beyond this many ms.
pub const SOUND_EARLY_DETECTABLE_MS: f64 = 45.0;
/// Sound ahead of picture becomes unacceptable beyond this many ms.
pub const SOUND_EARLY_UNACCEPTABLE_MS: f64 = 90.0;
/// Sound behind picture becomes detectable beyond this many ms.
pub const SOUND_LATE_DETECTABLE_MS: f64 = 125.0;
/// Sound behind picture becomes unacceptable beyond this many ms.
pub const SOUND_LATE_UNACCEPTABLE_MS: f64 = 185.0;

/// How close to zero a reading of a real face must be to be called in sync
/// whatever BT.1359 says of the same number: recordings made in sync read
/// within this (five real clips: +64, +49, +6, −19 and −61 ms), so a
/// smaller reading cannot be told from in sync, and a correction of it could
/// move a good take out of sync.
pub const FACE_TOLERANCE_MS: f64 = 80.0;

/// Which way the sound is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Sound comes before the picture (negative offset).
    SoundEarly,
    /// Sound comes after the picture (positive offset).
    SoundLate,
}

/// BT.1359 verdict on an audio-visual offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "side", rename_all = "snake_case")]
pub enum SyncVerdict {
    /// The clip gives no footing (see `SyncReport::cant_tell`).
    CantTell,
    InSync,
    Detectable(Side),
    Unacceptable(Side),
}

impl SyncVerdict {
    /// Verdict for an offset in ms; positive means the sound is late.
    /// Exactly at a threshold still counts as the milder verdict ("beyond").
    pub fn for_offset_ms(offset_ms: f64) -> Self {
        let (side, magnitude, detectable, unacceptable) = if offset_ms < 0.0 {
            (
                Side::SoundEarly,
                -offset_ms,
                SOUND_EARLY_DETECTABLE_MS,
                SOUND_EARLY_UNACCEPTABLE_MS,
            )
        } else {
            (
                Side::SoundLate,
                offset_ms,
                SOUND_LATE_DETECTABLE_MS,
                SOUND_LATE_UNACCEPTABLE_MS,
            )
        };
        if magnitude > unacceptable {
            Self::Unacceptable(side)
        } else if magnitude > detectable {
            Self::Detectable(side)
        } else {
            Self::InSync
        }
    }
}

impl SyncVerdict {
    /// The verdict on a reading that can only be trusted to within
    /// ±`tolerance_ms`: in sync when it is that close to zero, else
    /// BT.1359's verdict on the reading itself.
    pub fn judge(offset_ms: f64, tolerance_ms: f64) -> Self {
        if offset_ms.abs() <= tolerance_ms {
            Self::InSync
        } else {
            Self::for_offset_ms(offset_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_within_its_tolerance_is_in_sync() {
        use Side::{SoundEarly, SoundLate};
        assert_eq!(
            SyncVerdict::judge(-61.0, FACE_TOLERANCE_MS),
            SyncVerdict::InSync
        );
        assert_eq!(
            SyncVerdict::judge(-61.0, 0.0),
            SyncVerdict::Detectable(SoundEarly)
        );
        assert_eq!(
            SyncVerdict::judge(-85.0, FACE_TOLERANCE_MS),
            SyncVerdict::Detectable(SoundEarly)
        );
        assert_eq!(
            SyncVerdict::judge(141.0, FACE_TOLERANCE_MS),
            SyncVerdict::Detectable(SoundLate)
        );
        assert_eq!(
            SyncVerdict::judge(200.0, FACE_TOLERANCE_MS),
            SyncVerdict::Unacceptable(SoundLate)
        );
    }

    #[test]
    fn thresholds_are_asymmetric() {
        use Side::{SoundEarly, SoundLate};
        use SyncVerdict::{Detectable, InSync, Unacceptable};
        let cases = [
            (0.0, InSync),
            (-45.0, InSync),
            (-46.0, Detectable(SoundEarly)),
            (-90.0, Detectable(SoundEarly)),
            (-91.0, Unacceptable(SoundEarly)),
            (100.0, InSync),
            (125.0, InSync),
            (126.0, Detectable(SoundLate)),
            (185.0, Detectable(SoundLate)),
            (186.0, Unacceptable(SoundLate)),
        ];
        for (ms, want) in cases {
            assert_eq!(SyncVerdict::for_offset_ms(ms), want, "{ms} ms");
        }
    }

    #[test]
    fn serialises_with_its_side() {
        let json = serde_json::to_string(&SyncVerdict::Detectable(Side::SoundLate)).unwrap();
        assert_eq!(json, r#"{"verdict":"detectable","side":"sound_late"}"#);
        let json = serde_json::to_string(&SyncVerdict::InSync).unwrap();
        assert_eq!(json, r#"{"verdict":"in_sync"}"#);
    }
}
