//! Where playback is, tick by tick: the arithmetic the player's and the
//! compare view's play loops share, kept free of the browser so it is
//! tested natively.

/// The frame playback starts from at `at`: playing on from the end of the
/// span (or from outside it) starts over at the span's near edge.
pub fn start_frame(at: usize, (start, end): (usize, usize), speed: f64) -> usize {
    if (speed > 0.0 && at >= end) || at < start || at > end {
        if speed > 0.0 { start } else { end }
    } else {
        at
    }
}

/// The frame playback has reached: the sound's clock (`sound_s`, seconds of
/// media time) when sound plays, else the wall clock, `elapsed_ms` after
/// starting from frame `from` at `speed`.
pub fn reached(sound_s: Option<f64>, from: usize, elapsed_ms: f64, fps: f64, speed: f64) -> i64 {
    sound_s.map_or_else(
        || from as i64 + (elapsed_ms / 1000.0 * fps * speed).floor() as i64,
        |t| (t * fps).floor() as i64,
    )
}

/// What a play loop does with the frame it reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Inside the span: show it.
    Show(usize),
    /// Past an edge while looping: start again from this frame.
    Restart(usize),
    /// Past an edge without a loop: show this last frame and stop.
    Stop(usize),
}

pub fn tick(frame: i64, (start, end): (usize, usize), looping: bool, speed: f64) -> Tick {
    if frame >= start as i64 && frame <= end as i64 {
        Tick::Show(frame as usize)
    } else if looping {
        Tick::Restart(if speed > 0.0 { start } else { end })
    } else {
        Tick::Stop(frame.clamp(start as i64, end as i64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playing_from_the_end_or_outside_the_marks_starts_over() {
        assert_eq!(start_frame(99, (0, 99), 1.0), 0);
        assert_eq!(start_frame(40, (0, 99), 1.0), 40);
        assert_eq!(start_frame(5, (10, 20), -1.0), 20);
        assert_eq!(start_frame(0, (0, 99), -2.0), 0);
    }

    #[test]
    fn the_sound_clock_wins_over_the_wall_clock() {
        assert_eq!(reached(Some(2.0), 0, 0.0, 24.0, 1.0), 48);
        assert_eq!(reached(None, 10, 1000.0, 24.0, 2.0), 58);
        assert_eq!(reached(None, 10, 500.0, 24.0, -1.0), -2);
    }

    #[test]
    fn edges_loop_or_stop() {
        assert_eq!(tick(50, (0, 99), false, 1.0), Tick::Show(50));
        assert_eq!(tick(100, (0, 99), true, 1.0), Tick::Restart(0));
        assert_eq!(tick(-1, (0, 99), true, -1.0), Tick::Restart(99));
        assert_eq!(tick(130, (0, 99), false, 4.0), Tick::Stop(99));
        assert_eq!(tick(-3, (0, 99), false, -1.0), Tick::Stop(0));
    }
}
