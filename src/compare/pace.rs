//! How fast measuring may read a take while the takes play: no faster than
//! they play. Measuring is a second decode of the whole take beside the
//! screens'; flat out it takes the CPU the frames being played need (on two
//! cores the page then drops frames), and stopping it outright while
//! playing would leave a take played on a loop without a verdict. At the
//! pace of playback it costs what one more screen costs, and the verdict
//! still comes within about one pass of the take.

/// Frames the read may take at once after a wait, so it never bursts.
const MOST_AHEAD: f64 = 2.0;

pub struct Pace {
    /// Frames per millisecond.
    rate: f64,
    /// Frames the read may take now.
    credit: f64,
    /// When it last asked while playing.
    last_ms: Option<f64>,
}

impl Pace {
    pub fn new(fps: f64) -> Self {
        Self {
            rate: fps.max(1.0) / 1000.0,
            credit: 0.0,
            last_ms: None,
        }
    }

    /// Asked before each frame is read, at `now_ms`: whether the read must
    /// wait. Each `false` lets one frame through; while nothing plays the
    /// read runs flat out.
    pub fn holds(&mut self, playing: bool, now_ms: f64) -> bool {
        if !playing {
            self.last_ms = None;
            self.credit = 0.0;
            return false;
        }
        let since = self
            .last_ms
            .replace(now_ms)
            .map_or(0.0, |last| (now_ms - last).max(0.0));
        self.credit = (self.credit + since * self.rate).min(MOST_AHEAD);
        if self.credit >= 1.0 {
            self.credit -= 1.0;
            false
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames let through when asked every `step_ms` for `for_ms`.
    fn through(pace: &mut Pace, playing: bool, from_ms: f64, step_ms: f64, for_ms: f64) -> usize {
        let mut frames = 0;
        let mut now = from_ms;
        while now < from_ms + for_ms {
            // Like the read: ask again at once after a frame, later after
            // a wait.
            if pace.holds(playing, now) {
                now += step_ms;
            } else {
                frames += 1;
            }
        }
        frames
    }

    #[test]
    fn while_playing_the_read_keeps_the_pace_of_playback() {
        let mut pace = Pace::new(24.0);
        let frames = through(&mut pace, true, 0.0, 20.0, 10_000.0);
        assert!(
            (238..=242).contains(&frames),
            "{frames} frames in 10 s at 24 fps"
        );
    }

    #[test]
    fn stopped_it_runs_flat_out_and_after_a_pause_it_does_not_burst() {
        let mut pace = Pace::new(24.0);
        assert!(!pace.holds(false, 0.0));
        assert!(!pace.holds(false, 0.0));
        // Playing again after a long pause: a frame only once it is due.
        assert!(pace.holds(true, 60_000.0));
        assert!(pace.holds(true, 60_020.0));
        assert!(!pace.holds(true, 60_042.0));
        // A long gap between asks (a busy page) allows two frames, not more.
        assert!(!pace.holds(true, 70_000.0));
        assert!(!pace.holds(true, 70_000.0));
        assert!(pace.holds(true, 70_000.0));
    }
}
