//! What a sync meter says about one variant: the measured offset judged by
//! ITU-R BT.1359 (sound early is noticed sooner than sound late), how sure
//! the measurement is, and the correction that would cancel it. Pure, so the
//! wording and thresholds are unit-tested natively.

use chorus_sync::verdict::{
    SOUND_EARLY_DETECTABLE_MS, SOUND_EARLY_UNACCEPTABLE_MS, SOUND_LATE_DETECTABLE_MS,
    SOUND_LATE_UNACCEPTABLE_MS,
};
use chorus_sync::{Side, SyncVerdict};

/// The meter's scale, in ms: from sound well early to sound well late. The
/// late side is longer because BT.1359's late thresholds are.
pub const SCALE_MIN_MS: f64 = -250.0;
pub const SCALE_MAX_MS: f64 = 350.0;

/// One measurement, as the meter needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Positive: the sound comes later than the picture.
    pub offset_ms: f64,
    pub confidence: f64,
    /// Sure enough to offer a correction (chorus-sync's calibrated
    /// threshold, `SyncReport::confident`).
    pub confident: bool,
    /// Why the clip gives no footing, in the user's words.
    pub cant_tell: Option<String>,
    /// The best offset was the edge of the search: it may be larger.
    pub at_search_edge: bool,
    /// How close to zero still counts as in sync: what the method can tell
    /// apart (`chorus_sync::Method::tolerance_ms`; 0 for drawn mouths).
    pub tolerance_ms: f64,
}

/// The meter's colour, from calm to alarming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    InSync,
    Detectable,
    Unacceptable,
    /// Can't tell, or not sure enough to act on.
    Unsure,
}

impl Level {
    /// CSS class suffix (`meter-in-sync`, …).
    pub fn class(self) -> &'static str {
        match self {
            Level::InSync => "in-sync",
            Level::Detectable => "detectable",
            Level::Unacceptable => "unacceptable",
            Level::Unsure => "unsure",
        }
    }
}

impl Reading {
    pub fn verdict(&self) -> SyncVerdict {
        SyncVerdict::judge(self.offset_ms, self.tolerance_ms)
    }

    pub fn level(&self) -> Level {
        if self.cant_tell.is_some() || !self.confident {
            return Level::Unsure;
        }
        match self.verdict() {
            SyncVerdict::CantTell => Level::Unsure,
            SyncVerdict::InSync => Level::InSync,
            SyncVerdict::Detectable(_) => Level::Detectable,
            SyncVerdict::Unacceptable(_) => Level::Unacceptable,
        }
    }

    /// The offset as people say it: "sound 120 ms late".
    pub fn offset_text(&self) -> String {
        let ms = self.offset_ms.round() as i64;
        let edge = if self.at_search_edge { "at least " } else { "" };
        match ms {
            0 => "sound on the picture".to_string(),
            m if m < 0 => format!("sound {edge}{} ms early", -m),
            m => format!("sound {edge}{m} ms late"),
        }
    }

    /// The verdict in words.
    pub fn verdict_text(&self) -> String {
        if let Some(why) = &self.cant_tell {
            return format!("can't tell: {why}");
        }
        let words = match (self.level(), self.verdict()) {
            (Level::Unsure, _) | (_, SyncVerdict::CantTell) => {
                "not sure enough to judge: check by eye"
            }
            (_, SyncVerdict::InSync)
                if SyncVerdict::for_offset_ms(self.offset_ms) != SyncVerdict::InSync =>
            {
                return format!(
                    "in sync as far as a face can tell (±{:.0} ms)",
                    self.tolerance_ms
                );
            }
            (_, SyncVerdict::InSync) => "in sync",
            (_, SyncVerdict::Detectable(Side::SoundEarly)) => "early enough to notice",
            (_, SyncVerdict::Detectable(Side::SoundLate)) => "late enough to notice",
            (_, SyncVerdict::Unacceptable(Side::SoundEarly)) => "unacceptably early",
            (_, SyncVerdict::Unacceptable(Side::SoundLate)) => "unacceptably late",
        };
        words.to_string()
    }

    /// The correction the studio proposes: the reversed offset when the
    /// reading is sure and out of sync; nothing for a take that reads in
    /// sync, or one it cannot judge (moving a good take could only hurt).
    pub fn proposed_correction_ms(&self) -> i32 {
        match self.level() {
            Level::Unsure | Level::InSync => 0,
            Level::Detectable | Level::Unacceptable => self.correction_ms(),
        }
    }

    /// The shift that would put the sound on the picture, in whole ms:
    /// the measured offset, reversed.
    pub fn correction_ms(&self) -> i32 {
        (-self.offset_ms).round() as i32
    }
}

/// Where `offset_ms` sits on the meter's scale, 0..=100 %.
pub fn scale_percent(offset_ms: f64) -> f64 {
    ((offset_ms - SCALE_MIN_MS) / (SCALE_MAX_MS - SCALE_MIN_MS) * 100.0).clamp(0.0, 100.0)
}

/// The scale's zones as (from %, to %, level), early to late. The green
/// zone widens to ±`tolerance_ms` where the reading's method cannot tell
/// finer (a face: ±80 ms), as the verdict does.
pub fn zones(tolerance_ms: f64) -> [(f64, f64, Level); 5] {
    let p = scale_percent;
    let early = SOUND_EARLY_DETECTABLE_MS
        .max(tolerance_ms)
        .min(SOUND_EARLY_UNACCEPTABLE_MS);
    let late = SOUND_LATE_DETECTABLE_MS
        .max(tolerance_ms)
        .min(SOUND_LATE_UNACCEPTABLE_MS);
    [
        (0.0, p(-SOUND_EARLY_UNACCEPTABLE_MS), Level::Unacceptable),
        (
            p(-SOUND_EARLY_UNACCEPTABLE_MS),
            p(-early),
            Level::Detectable,
        ),
        (p(-early), p(late), Level::InSync),
        (p(late), p(SOUND_LATE_UNACCEPTABLE_MS), Level::Detectable),
        (p(SOUND_LATE_UNACCEPTABLE_MS), 100.0, Level::Unacceptable),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(offset_ms: f64) -> Reading {
        Reading {
            offset_ms,
            confidence: 0.5,
            confident: true,
            cant_tell: None,
            at_search_edge: false,
            tolerance_ms: 0.0,
        }
    }

    #[test]
    fn a_face_reading_within_its_tolerance_is_left_alone() {
        let face = |offset_ms| Reading {
            tolerance_ms: chorus_sync::verdict::FACE_TOLERANCE_MS,
            ..reading(offset_ms)
        };
        let good = face(-61.0);
        assert_eq!(good.level(), Level::InSync);
        assert_eq!(
            good.verdict_text(),
            "in sync as far as a face can tell (±80 ms)"
        );
        assert_eq!(good.proposed_correction_ms(), 0, "a good take is not moved");
        assert_eq!(face(10.0).verdict_text(), "in sync");
        let late = face(141.0);
        assert_eq!(late.level(), Level::Detectable);
        assert_eq!(late.proposed_correction_ms(), -141);
        assert_eq!(
            reading(-61.0).level(),
            Level::Detectable,
            "drawn mouths are exact"
        );
    }

    #[test]
    fn levels_follow_bt1359_on_each_side() {
        assert_eq!(reading(0.0).level(), Level::InSync);
        assert_eq!(reading(-60.0).level(), Level::Detectable);
        assert_eq!(
            reading(100.0).level(),
            Level::InSync,
            "late is forgiven longer"
        );
        assert_eq!(reading(150.0).level(), Level::Detectable);
        assert_eq!(reading(-95.0).level(), Level::Unacceptable);
        assert_eq!(reading(200.0).level(), Level::Unacceptable);
        let unsure = Reading {
            confidence: 0.02,
            confident: false,
            ..reading(200.0)
        };
        assert_eq!(unsure.level(), Level::Unsure);
        assert_eq!(
            unsure.verdict_text(),
            "not sure enough to judge: check by eye"
        );
        assert_eq!(unsure.proposed_correction_ms(), 0, "no correction offered");
        assert_eq!(reading(200.0).proposed_correction_ms(), -200);
        let cant = Reading {
            cant_tell: Some("no face found".into()),
            ..reading(0.0)
        };
        assert_eq!(cant.level(), Level::Unsure);
        assert_eq!(cant.verdict_text(), "can't tell: no face found");
    }

    #[test]
    fn words_and_corrections() {
        assert_eq!(reading(120.4).offset_text(), "sound 120 ms late");
        assert_eq!(reading(-40.0).offset_text(), "sound 40 ms early");
        assert_eq!(reading(0.3).offset_text(), "sound on the picture");
        let edge = Reading {
            at_search_edge: true,
            ..reading(625.0)
        };
        assert_eq!(edge.offset_text(), "sound at least 625 ms late");
        assert_eq!(reading(120.4).correction_ms(), -120);
        assert_eq!(reading(-40.6).correction_ms(), 41);
        assert_eq!(reading(200.0).verdict_text(), "unacceptably late");
        assert_eq!(reading(-60.0).verdict_text(), "early enough to notice");
    }

    #[test]
    fn the_scale_covers_every_zone_in_order() {
        for tolerance in [0.0, chorus_sync::verdict::FACE_TOLERANCE_MS] {
            let zones = zones(tolerance);
            assert!((zones[0].0 - 0.0).abs() < 1e-9);
            assert!((zones[4].1 - 100.0).abs() < 1e-9);
            for pair in zones.windows(2) {
                assert!((pair[0].1 - pair[1].0).abs() < 1e-9, "zones touch");
                assert!(pair[0].0 < pair[0].1);
            }
        }
        assert!(
            (zones(80.0)[2].0 - scale_percent(-80.0)).abs() < 1e-9,
            "a face's green zone starts at −80 ms"
        );
        assert!((scale_percent(0.0) - 250.0 / 600.0 * 100.0).abs() < 1e-9);
        assert!((scale_percent(-1000.0)).abs() < 1e-9, "clamped");
    }
}
