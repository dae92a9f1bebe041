//! The player's keyboard, as editors expect it: what each key means, kept
//! apart from the component so the mapping reads as one table.

/// What a key asks the player to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    TogglePlay,
    /// J: play backwards (faster on each press).
    ShuttleBack,
    /// K: stop.
    ShuttleStop,
    /// L: play forwards (faster on each press).
    ShuttleForward,
    /// Move by this many frames.
    Step(i64),
    /// Move by this many seconds.
    StepSeconds(i64),
    First,
    Last,
    MarkIn,
    MarkOut,
    ClearMarks,
}

/// Maps a `KeyboardEvent.key` (and Shift) to a command.
pub fn command_for(key: &str, shift: bool) -> Option<Command> {
    Some(match key {
        " " | "Spacebar" => Command::TogglePlay,
        "j" | "J" => Command::ShuttleBack,
        "k" | "K" => Command::ShuttleStop,
        "l" | "L" => Command::ShuttleForward,
        "ArrowLeft" if shift => Command::StepSeconds(-1),
        "ArrowRight" if shift => Command::StepSeconds(1),
        "ArrowLeft" => Command::Step(-1),
        "ArrowRight" => Command::Step(1),
        "Home" => Command::First,
        "End" => Command::Last,
        "i" | "I" => Command::MarkIn,
        "o" | "O" => Command::MarkOut,
        "x" | "X" => Command::ClearMarks,
        _ => return None,
    })
}

/// The next shuttle speed when J or L is pressed at `speed` (frames of
/// video per frame of wall clock, negative backwards): pressing the same
/// direction again doubles up to 8×; the other direction starts over.
pub fn next_speed(speed: f64, forward: bool) -> f64 {
    let direction = if forward { 1.0 } else { -1.0 };
    if speed * direction > 0.0 {
        (speed * 2.0).clamp(-8.0, 8.0)
    } else {
        direction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_step_frames_and_shift_steps_seconds() {
        assert_eq!(command_for("ArrowRight", false), Some(Command::Step(1)));
        assert_eq!(
            command_for("ArrowLeft", true),
            Some(Command::StepSeconds(-1))
        );
        assert_eq!(command_for(" ", false), Some(Command::TogglePlay));
        assert_eq!(command_for("q", false), None);
    }

    #[test]
    fn l_again_goes_faster_and_j_reverses() {
        let once = next_speed(0.0, true);
        assert!((once - 1.0).abs() < f64::EPSILON);
        assert!((next_speed(once, true) - 2.0).abs() < f64::EPSILON);
        assert!((next_speed(8.0, true) - 8.0).abs() < f64::EPSILON);
        assert!((next_speed(4.0, false) + 1.0).abs() < f64::EPSILON);
    }
}
