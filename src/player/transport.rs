//! The transport every player-like view shares: one playhead over one or
//! more screens and one sound. The single player is a transport with one
//! screen; the compare view one with two to four; review pages reuse it.
//!
//! - A seek decodes the wanted frame on every screen first and draws them
//!   all together, so screens never show different frames. Seeks never queue
//!   up: while frames decode, newer requests replace the wanted frame, and a
//!   repeated seek to the same frame (a screen that just joined) still gets
//!   its own pass.
//! - Playback follows the sound's clock while it is heard, else the wall
//!   clock, and loops between the in and out marks when both are set.
//! - While playing forwards, every screen decodes the next stretch before
//!   the playhead gets there.
//!
//! It knows nothing of the browser: screens, sound and the host (tasks, the
//! clock, the play loop's ticks) come in through traits, so it is tested
//! natively over fake screens; the view binds its `Status` to signals.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::future::join_all;

use super::keys::{Command, next_speed};
use super::playhead::{Tick, reached, start_frame, tick};
use chorus_media::Picture;

/// A task the host runs to completion on the page's thread.
pub type Task = Pin<Box<dyn Future<Output = ()>>>;

/// One screen: frame numbers in, pictures drawn.
pub trait Screen {
    fn frame_count(&self) -> usize;
    fn fps(&self) -> f64;
    fn is_cached(&self, frame: usize) -> bool;
    /// The picture of `frame`, decoding it first when needed.
    fn picture(&self, frame: usize) -> impl Future<Output = Result<Rc<Picture>, String>>;
    /// Draws `picture`; returns a checksum of what is now on screen, when
    /// the page carries the test hook.
    fn draw(&self, picture: &Picture) -> Result<Option<u32>, String>;
    /// Told when playback starts and stops, so work in the background can
    /// make way for the frames being played.
    fn playing(&self, _playing: bool) {}
}

/// The sound: every screen's voice, started together.
pub trait Sound {
    /// Starts every voice at `media_s` seconds into the clip.
    fn play_from(&mut self, media_s: f64);
    fn stop(&mut self);
    /// Where playback is, in seconds of the clip, while it plays.
    fn media_time(&self) -> Option<f64>;
}

/// What the page gives the transport: tasks, a clock and ticks.
pub trait Host {
    fn spawn(&self, task: Task);
    fn now_ms(&self) -> f64;
    /// Calls `tick` every few milliseconds until it returns false.
    fn every_tick(&self, tick: Box<dyn FnMut() -> bool>);
}

/// Everything a view shows of the transport.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    /// The frame the playhead points at (ahead of `shown` while decoding).
    pub playhead: usize,
    /// Per screen: the frame it shows.
    pub shown: Vec<Option<usize>>,
    /// Per screen: the checksum of its pixels, for the test hook.
    pub checksums: Vec<Option<u32>>,
    /// The shortest screen's frame count (they normally match).
    pub frame_count: usize,
    pub fps: f64,
    /// Video frames per wall-clock frame; 0 when paused, negative backwards.
    pub speed: f64,
    pub mark_in: Option<usize>,
    pub mark_out: Option<usize>,
    pub error: Option<String>,
}

impl Status {
    fn new(screens: usize) -> Self {
        Self {
            shown: vec![None; screens],
            checksums: vec![None; screens],
            fps: 30.0,
            ..Self::default()
        }
    }

    pub fn playing(&self) -> bool {
        self.speed != 0.0
    }

    pub fn last_frame(&self) -> usize {
        self.frame_count.saturating_sub(1)
    }

    /// The span playback stays in: the in/out marks when set.
    pub fn loop_span(&self) -> (usize, usize) {
        let last = self.last_frame();
        let start = self.mark_in.unwrap_or(0).min(last);
        let end = self.mark_out.unwrap_or(last).clamp(start, last);
        (start, end)
    }

    fn looping(&self) -> bool {
        self.mark_in.is_some() && self.mark_out.is_some()
    }
}

/// One run of playback: where it started, and how.
#[derive(Clone, Copy)]
struct Run {
    generation: u32,
    from: usize,
    started_ms: f64,
    span: (usize, usize),
    looping: bool,
    speed: f64,
}

pub struct Transport<S: Screen + 'static, A: Sound + 'static> {
    screens: RefCell<Vec<Option<Rc<S>>>>,
    sound: RefCell<Option<A>>,
    host: Rc<dyn Host>,
    status: RefCell<Status>,
    /// Told of every change of `status`.
    watch: Box<dyn Fn(&Status)>,
    wanted: Cell<usize>,
    /// Bumped by every seek, so a seek to the frame already being drawn
    /// still gets its own pass.
    requests: Cell<u64>,
    busy: Cell<bool>,
    /// Bumped on every play and pause, so a stale play loop ends itself.
    generation: Cell<u32>,
    run: Cell<Option<Run>>,
}

impl<S: Screen + 'static, A: Sound + 'static> Transport<S, A> {
    pub fn new(
        screens: usize,
        sound: Option<A>,
        host: Rc<dyn Host>,
        watch: impl Fn(&Status) + 'static,
    ) -> Rc<Self> {
        Rc::new(Self {
            screens: RefCell::new((0..screens).map(|_| None).collect()),
            sound: RefCell::new(sound),
            host,
            status: RefCell::new(Status::new(screens)),
            watch: Box::new(watch),
            wanted: Cell::new(0),
            requests: Cell::new(0),
            busy: Cell::new(false),
            generation: Cell::new(0),
            run: Cell::new(None),
        })
    }

    /// A copy of what the view shows.
    #[cfg(test)]
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    fn update(&self, change: impl FnOnce(&mut Status)) {
        let changed = {
            let mut status = self.status.borrow_mut();
            let before = status.clone();
            change(&mut status);
            *status != before
        };
        if changed {
            (self.watch)(&self.status.borrow());
        }
    }

    /// The first loaded screen (its track names the timecode).
    pub fn first_screen(&self) -> Option<Rc<S>> {
        self.screens.borrow().iter().flatten().next().cloned()
    }

    /// Puts `screen` in `slot` (or empties it) and redraws every screen at
    /// the playhead.
    pub fn set_screen(self: &Rc<Self>, slot: usize, screen: Option<Rc<S>>) {
        let (frame_count, fps) = {
            let mut screens = self.screens.borrow_mut();
            if let Some(place) = screens.get_mut(slot) {
                if let Some(joining) = &screen {
                    joining.playing(self.run.get().is_some());
                }
                *place = screen;
            }
            let loaded: Vec<&Rc<S>> = screens.iter().flatten().collect();
            let count = loaded.iter().map(|s| s.frame_count()).min().unwrap_or(0);
            (count, loaded.first().map(|s| s.fps()))
        };
        self.update(|s| {
            s.frame_count = frame_count;
            if let Some(fps) = fps {
                s.fps = fps.max(1.0);
            }
            if let Some(shown) = s.shown.get_mut(slot) {
                *shown = None;
            }
        });
        self.seek(self.wanted.get());
    }

    /// Runs `f` on the sound, once there is one.
    pub fn with_sound(&self, f: impl FnOnce(&mut A)) {
        if let Some(sound) = self.sound.borrow_mut().as_mut() {
            f(sound);
        }
    }

    /// Carries out one keyboard or button command on every screen at once.
    pub fn apply(self: &Rc<Self>, command: Command) {
        let (playhead, speed, fps, last) = {
            let s = self.status.borrow();
            (s.playhead, s.speed, s.fps.round() as i64, s.last_frame())
        };
        match command {
            Command::TogglePlay => {
                if speed == 0.0 {
                    self.play(1.0);
                } else {
                    self.pause();
                }
            }
            Command::ShuttleBack | Command::ShuttleForward => {
                self.play(next_speed(speed, command == Command::ShuttleForward));
            }
            Command::ShuttleStop => self.pause(),
            Command::Step(frames) => self.step(frames),
            Command::StepSeconds(seconds) => self.step(seconds * fps),
            Command::First => self.scrub(0),
            Command::Last => self.scrub(last),
            Command::MarkIn => self.update(|s| {
                s.mark_in = Some(playhead);
                if s.mark_out.is_some_and(|out| out < playhead) {
                    s.mark_out = None;
                }
            }),
            Command::MarkOut => self.update(|s| {
                s.mark_out = Some(playhead);
                if s.mark_in.is_some_and(|i| i > playhead) {
                    s.mark_in = None;
                }
            }),
            Command::ClearMarks => self.update(|s| {
                s.mark_in = None;
                s.mark_out = None;
            }),
        }
    }

    /// Stops and shows `frame`: what dragging the playhead does.
    pub fn scrub(self: &Rc<Self>, frame: usize) {
        self.pause();
        self.seek(frame);
    }

    /// Asks for `frame` on every screen; returns at once.
    pub fn seek(self: &Rc<Self>, frame: usize) {
        let frame = frame.min(self.status.borrow().last_frame());
        self.wanted.set(frame);
        self.requests.set(self.requests.get() + 1);
        self.update(|s| s.playhead = frame);
        if self.busy.replace(true) {
            return;
        }
        let this = Rc::clone(self);
        self.host.spawn(Box::pin(async move {
            loop {
                let request = this.requests.get();
                this.show(this.wanted.get()).await;
                if this.requests.get() == request {
                    break;
                }
            }
            this.busy.set(false);
            this.prefetch_ahead().await;
        }));
    }

    fn loaded(&self) -> Vec<(usize, Rc<S>)> {
        self.screens
            .borrow()
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.clone().map(|s| (i, s)))
            .collect()
    }

    async fn show(&self, frame: usize) {
        let screens = self.loaded();
        if screens.is_empty() {
            return;
        }
        // Every screen's frame first, then all drawn in one go.
        let pictures = join_all(screens.iter().map(|(_, s)| s.picture(frame))).await;
        let pictures = match pictures.into_iter().collect::<Result<Vec<_>, String>>() {
            Ok(pictures) => pictures,
            // No screen moves unless every screen can.
            Err(why) => return self.update(|s| s.error = Some(why)),
        };
        let mut drawn = Vec::with_capacity(screens.len());
        for ((slot, screen), picture) in screens.iter().zip(pictures) {
            match screen.draw(&picture) {
                Ok(checksum) => drawn.push((*slot, checksum)),
                Err(why) => return self.update(|s| s.error = Some(why)),
            }
        }
        self.update(|s| {
            s.error = None;
            for (slot, checksum) in &drawn {
                if let Some(shown) = s.shown.get_mut(*slot) {
                    *shown = Some(frame);
                }
                if let Some(sum) = s.checksums.get_mut(*slot) {
                    *sum = *checksum;
                }
            }
        });
    }

    /// While playing forwards, decodes the next half second on every screen
    /// before the playhead gets there, so playback does not stall at every
    /// keyframe.
    async fn prefetch_ahead(&self) {
        let (speed, fps, last) = {
            let s = self.status.borrow();
            (s.speed, s.fps, s.last_frame())
        };
        if speed <= 0.0 || self.busy.get() {
            return;
        }
        let ahead = self.wanted.get() + fps.ceil() as usize / 2;
        if ahead > last {
            return;
        }
        let missing: Vec<Rc<S>> = self
            .loaded()
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| !s.is_cached(ahead))
            .collect();
        if missing.is_empty() {
            return;
        }
        self.busy.set(true);
        // Errors surface when the frame is actually shown.
        join_all(missing.iter().map(|s| s.picture(ahead))).await;
        self.busy.set(false);
        let wanted = self.wanted.get();
        let behind = self
            .status
            .borrow()
            .shown
            .iter()
            .any(|f| *f != Some(wanted));
        if behind {
            self.requests.set(self.requests.get() + 1);
            self.busy.set(true);
            self.show(wanted).await;
            self.busy.set(false);
        }
    }

    pub fn step(self: &Rc<Self>, frames: i64) {
        let last = self.status.borrow().last_frame() as i64;
        let to = (self.wanted.get() as i64 + frames).clamp(0, last);
        self.scrub(to as usize);
    }

    pub fn pause(&self) {
        self.with_sound(Sound::stop);
        self.generation.set(self.generation.get().wrapping_add(1));
        if self.run.take().is_some() {
            for (_, screen) in self.loaded() {
                screen.playing(false);
            }
        }
        self.update(|s| s.speed = 0.0);
    }

    fn start_sound(&self, frame: usize, speed: f64) {
        let fps = self.status.borrow().fps;
        self.with_sound(|sound| {
            if (speed - 1.0).abs() < f64::EPSILON {
                sound.play_from(frame as f64 / fps);
            } else {
                sound.stop();
            }
        });
    }

    /// Plays every screen at `speed` (1.0 real time, negative backwards)
    /// from the playhead, looping between the in and out marks when both
    /// are set.
    pub fn play(self: &Rc<Self>, speed: f64) {
        self.pause();
        let (span, looping, frame_count) = {
            let s = self.status.borrow();
            (s.loop_span(), s.looping(), s.frame_count)
        };
        if speed == 0.0 || frame_count == 0 {
            return;
        }
        let from = start_frame(self.wanted.get(), span, speed);
        let generation = self.generation.get();
        self.run.set(Some(Run {
            generation,
            from,
            started_ms: self.host.now_ms(),
            span,
            looping,
            speed,
        }));
        self.update(|s| s.speed = speed);
        for (_, screen) in self.loaded() {
            screen.playing(true);
        }
        self.start_sound(from, speed);
        let this = Rc::clone(self);
        self.host.every_tick(Box::new(move || this.tick()));
    }

    /// One step of the play loop; false once this run of playback is over.
    fn tick(self: &Rc<Self>) -> bool {
        let Some(mut run) = self.run.get() else {
            return false;
        };
        if run.generation != self.generation.get() {
            return false;
        }
        let fps = self.status.borrow().fps;
        let sound_time = self.sound.borrow().as_ref().and_then(Sound::media_time);
        let elapsed = self.host.now_ms() - run.started_ms;
        let at = reached(sound_time, run.from, elapsed, fps, run.speed);
        let frame = match tick(at, run.span, run.looping, run.speed) {
            Tick::Show(frame) => frame,
            Tick::Restart(at) => {
                run.from = at;
                run.started_ms = self.host.now_ms();
                self.run.set(Some(run));
                self.start_sound(at, run.speed);
                at
            }
            Tick::Stop(last) => {
                self.seek(last);
                self.pause();
                return false;
            }
        };
        if frame != self.wanted.get() {
            self.seek(frame);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::future::poll_fn;
    use std::task::{Poll, Waker};

    use futures_executor::LocalPool;
    use futures_util::task::LocalSpawnExt;

    use super::*;

    /// Holds decodes back until the test opens it, so requests can arrive
    /// while frames decode, as they do in the browser.
    #[derive(Default)]
    struct Gate {
        closed: Cell<bool>,
        waiting: RefCell<Vec<Waker>>,
    }

    impl Gate {
        fn open(&self) {
            self.closed.set(false);
            for waker in self.waiting.take() {
                waker.wake();
            }
        }

        async fn pass(&self) {
            poll_fn(|cx| {
                if self.closed.get() {
                    self.waiting.borrow_mut().push(cx.waker().clone());
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
        }
    }

    /// A screen whose pictures carry their frame number in the first luma
    /// byte, and which records what it drew.
    struct FakeScreen {
        frames: usize,
        gate: Rc<Gate>,
        broken: Cell<bool>,
        cached: RefCell<HashSet<usize>>,
        drawn: RefCell<Vec<usize>>,
        playing: Cell<bool>,
    }

    impl FakeScreen {
        fn new(frames: usize, gate: &Rc<Gate>) -> Rc<Self> {
            Rc::new(Self {
                frames,
                gate: Rc::clone(gate),
                broken: Cell::new(false),
                cached: RefCell::new(HashSet::new()),
                drawn: RefCell::new(Vec::new()),
                playing: Cell::new(false),
            })
        }
    }

    impl Screen for FakeScreen {
        fn frame_count(&self) -> usize {
            self.frames
        }

        fn fps(&self) -> f64 {
            25.0
        }

        fn is_cached(&self, frame: usize) -> bool {
            self.cached.borrow().contains(&frame)
        }

        async fn picture(&self, frame: usize) -> Result<Rc<Picture>, String> {
            self.gate.pass().await;
            if self.broken.get() {
                return Err(format!("frame {frame} could not be decoded"));
            }
            self.cached.borrow_mut().insert(frame);
            let mut data = vec![frame as u8; 4];
            data.extend([128, 128]);
            Ok(Rc::new(Picture::packed(2, 2, data).expect("2 × 2 I420")))
        }

        fn draw(&self, picture: &Picture) -> Result<Option<u32>, String> {
            let frame = usize::from(picture.y()[0]);
            self.drawn.borrow_mut().push(frame);
            Ok(Some(frame as u32))
        }

        fn playing(&self, playing: bool) {
            self.playing.set(playing);
        }
    }

    /// Sound that records where it was started and can be moved by hand.
    #[derive(Default)]
    struct FakeSound {
        starts: Rc<RefCell<Vec<f64>>>,
        at: Option<f64>,
    }

    impl Sound for FakeSound {
        fn play_from(&mut self, media_s: f64) {
            self.starts.borrow_mut().push(media_s);
            self.at = Some(media_s);
        }

        fn stop(&mut self) {
            self.at = None;
        }

        fn media_time(&self) -> Option<f64> {
            self.at
        }
    }

    /// A host on a local executor, with a clock the test moves.
    struct FakeHost {
        pool: RefCell<LocalPool>,
        now: Cell<f64>,
        ticks: RefCell<Vec<Box<dyn FnMut() -> bool>>>,
    }

    impl FakeHost {
        fn new() -> Rc<Self> {
            Rc::new(Self {
                pool: RefCell::new(LocalPool::new()),
                now: Cell::new(0.0),
                ticks: RefCell::new(Vec::new()),
            })
        }

        fn settle(&self) {
            self.pool.borrow_mut().run_until_stalled();
        }

        /// Moves the clock on by `ms`, ticking every 8 ms as the page does.
        fn advance(&self, ms: f64) {
            let end = self.now.get() + ms;
            while self.now.get() < end {
                self.now.set((self.now.get() + 8.0).min(end));
                let mut ticks = std::mem::take(&mut *self.ticks.borrow_mut());
                ticks.retain_mut(|t| t());
                self.ticks.borrow_mut().extend(ticks);
                self.settle();
            }
        }
    }

    impl Host for FakeHost {
        fn spawn(&self, task: Task) {
            self.pool
                .borrow()
                .spawner()
                .spawn_local(task)
                .expect("the test's executor is running");
        }

        fn now_ms(&self) -> f64 {
            self.now.get()
        }

        fn every_tick(&self, tick: Box<dyn FnMut() -> bool>) {
            self.ticks.borrow_mut().push(tick);
        }
    }

    struct Fixture {
        host: Rc<FakeHost>,
        transport: Rc<Transport<FakeScreen, FakeSound>>,
        screens: [Rc<FakeScreen>; 2],
        gate: Rc<Gate>,
        /// Where the sound was started, in seconds.
        starts: Rc<RefCell<Vec<f64>>>,
        /// How often the view was told of a change.
        changes: Rc<Cell<usize>>,
    }

    fn two_screens(frames: usize) -> Fixture {
        let host = FakeHost::new();
        let gate = Rc::new(Gate::default());
        let sound = FakeSound::default();
        let starts = Rc::clone(&sound.starts);
        let changes = Rc::new(Cell::new(0));
        let counted = Rc::clone(&changes);
        let transport = Transport::new(2, Some(sound), host.clone(), move |_: &Status| {
            counted.set(counted.get() + 1);
        });
        let screens = [
            FakeScreen::new(frames, &gate),
            FakeScreen::new(frames + 10, &gate),
        ];
        transport.set_screen(0, Some(Rc::clone(&screens[0])));
        transport.set_screen(1, Some(Rc::clone(&screens[1])));
        host.settle();
        Fixture {
            host,
            transport,
            screens,
            gate,
            starts,
            changes,
        }
    }

    fn last_drawn(screen: &FakeScreen) -> Option<usize> {
        screen.drawn.borrow().last().copied()
    }

    #[test]
    fn screens_join_and_show_the_playhead_together() {
        let f = two_screens(100);
        let status = f.transport.status();
        // The shorter screen sets the length.
        assert_eq!(status.frame_count, 100);
        assert_eq!(status.shown, vec![Some(0), Some(0)]);
        assert_eq!(status.checksums, vec![Some(0), Some(0)]);
        assert!((status.fps - 25.0).abs() < f64::EPSILON);
        assert_eq!(last_drawn(&f.screens[0]), Some(0));
        assert_eq!(last_drawn(&f.screens[1]), Some(0));
        assert!(f.changes.get() > 0, "the view was told of the changes");
    }

    #[test]
    fn stepping_moves_every_screen_exactly_one_frame() {
        let f = two_screens(100);
        f.transport.seek(40);
        f.host.settle();
        f.transport.apply(Command::Step(1));
        f.host.settle();
        assert_eq!(f.transport.status().shown, vec![Some(41), Some(41)]);
        f.transport.apply(Command::Step(-1));
        f.transport.apply(Command::Step(-1));
        f.host.settle();
        assert_eq!(f.transport.status().shown, vec![Some(39), Some(39)]);
        assert_eq!(f.transport.status().playhead, 39);
        f.transport.apply(Command::StepSeconds(1));
        f.host.settle();
        assert_eq!(f.transport.status().shown, vec![Some(64), Some(64)]);
        f.transport.apply(Command::Last);
        f.host.settle();
        assert_eq!(last_drawn(&f.screens[0]), Some(99));
        assert_eq!(last_drawn(&f.screens[1]), Some(99));
        f.transport.apply(Command::Step(1));
        f.host.settle();
        assert_eq!(
            f.transport.status().playhead,
            99,
            "stepping stops at the end"
        );
        f.transport.apply(Command::First);
        f.host.settle();
        assert_eq!(f.transport.status().shown, vec![Some(0), Some(0)]);
    }

    #[test]
    fn seeks_made_while_decoding_collapse_to_the_newest() {
        let f = two_screens(100);
        f.gate.closed.set(true);
        f.transport.seek(10);
        f.host.settle();
        for frame in [20, 30, 40] {
            f.transport.seek(frame);
        }
        assert_eq!(
            f.transport.status().playhead,
            40,
            "the playhead moves at once"
        );
        f.gate.open();
        f.host.settle();
        assert_eq!(f.transport.status().shown, vec![Some(40), Some(40)]);
        // The request in flight, then only the newest.
        assert_eq!(*f.screens[0].drawn.borrow(), vec![0, 10, 40]);
        assert_eq!(*f.screens[1].drawn.borrow(), vec![0, 10, 40]);
    }

    #[test]
    fn a_repeated_seek_to_the_same_frame_draws_again() {
        let f = two_screens(100);
        f.gate.closed.set(true);
        f.transport.seek(5);
        f.host.settle();
        f.transport.seek(5);
        f.gate.open();
        f.host.settle();
        assert_eq!(*f.screens[1].drawn.borrow(), vec![0, 5, 5]);
        // A screen that joins is drawn at the playhead at once.
        let late = FakeScreen::new(100, &f.gate);
        f.transport.set_screen(1, Some(Rc::clone(&late)));
        f.host.settle();
        assert_eq!(*late.drawn.borrow(), vec![5]);
        assert_eq!(f.transport.status().shown, vec![Some(5), Some(5)]);
    }

    #[test]
    fn play_follows_the_sound_in_lockstep_and_stops_at_the_end() {
        let f = two_screens(50);
        f.transport.seek(40);
        f.host.settle();
        assert!(f.screens.iter().all(|s| !s.playing.get()));
        f.transport.apply(Command::TogglePlay);
        assert!(f.transport.status().playing());
        assert!(
            f.screens.iter().all(|s| s.playing.get()),
            "every screen is told playback started"
        );
        assert_eq!(*f.starts.borrow(), vec![40.0 / 25.0]);
        // The sound's clock leads: at 1.8 s the playhead is on frame 45.
        f.transport.with_sound(|s| s.at = Some(1.8));
        f.host.advance(8.0);
        assert_eq!(f.transport.status().shown, vec![Some(45), Some(45)]);
        // Past the end, with no marks: the last frame, then stopped.
        f.transport.with_sound(|s| s.at = Some(2.5));
        f.host.advance(8.0);
        let status = f.transport.status();
        assert!(!status.playing());
        assert!(
            f.screens.iter().all(|s| !s.playing.get()),
            "and that it stopped"
        );
        assert_eq!(status.shown, vec![Some(49), Some(49)]);
        assert_eq!(*f.screens[0].drawn.borrow(), *f.screens[1].drawn.borrow());
    }

    #[test]
    fn play_loops_between_the_marks_on_the_wall_clock() {
        let f = two_screens(100);
        f.transport.seek(10);
        f.host.settle();
        f.transport.apply(Command::MarkIn);
        f.transport.seek(20);
        f.host.settle();
        f.transport.apply(Command::MarkOut);
        assert_eq!(f.transport.status().loop_span(), (10, 20));
        // Double speed is silent, so the wall clock drives it; from the out
        // mark, play starts over at the in mark.
        f.transport.apply(Command::ShuttleForward);
        f.transport.apply(Command::ShuttleForward);
        assert!((f.transport.status().speed - 2.0).abs() < f64::EPSILON);
        f.host.advance(600.0);
        let status = f.transport.status();
        assert!(status.playing(), "a loop keeps playing");
        assert_eq!(status.shown[0], status.shown[1], "screens in lockstep");
        for screen in &f.screens {
            let drawn = screen.drawn.borrow();
            // After the first frame and the two marks, only the loop.
            assert!(
                drawn.iter().skip(3).all(|f| (10..=20).contains(f)),
                "{drawn:?}"
            );
            // 600 ms at 2× and 25 fps is 30 frames: around the loop.
            assert!(drawn.windows(2).skip(3).any(|w| w[1] < w[0]), "{drawn:?}");
        }
        assert_eq!(*f.screens[0].drawn.borrow(), *f.screens[1].drawn.borrow());
        // Only normal speed is heard: the first L started the sound, the
        // second stopped it.
        assert_eq!(*f.starts.borrow(), vec![10.0 / 25.0]);
        f.transport.with_sound(|s| assert_eq!(s.at, None));
        f.transport.apply(Command::ShuttleStop);
        assert!(!f.transport.status().playing());
        f.transport.apply(Command::ClearMarks);
        assert_eq!(f.transport.status().loop_span(), (0, 99));
    }

    #[test]
    fn play_decodes_ahead_on_every_screen() {
        let f = two_screens(100);
        f.transport.apply(Command::TogglePlay);
        f.transport.with_sound(|s| s.at = Some(0.04));
        f.host.advance(8.0);
        assert_eq!(f.transport.status().shown, vec![Some(1), Some(1)]);
        // Half a second ahead of frame 1 (12 frames at 25 fps) is decoded.
        assert!(f.screens[0].is_cached(13));
        assert!(f.screens[1].is_cached(13));
        f.transport.apply(Command::TogglePlay);
        assert!(!f.transport.status().playing());
    }

    #[test]
    fn a_failing_screen_reports_its_error_and_recovers() {
        let f = two_screens(100);
        f.screens[1].broken.set(true);
        f.transport.seek(3);
        f.host.settle();
        let status = f.transport.status();
        assert_eq!(
            status.error.as_deref(),
            Some("frame 3 could not be decoded")
        );
        assert_eq!(status.shown, vec![Some(0), Some(0)]);
        assert_eq!(
            *f.screens[0].drawn.borrow(),
            vec![0],
            "no screen moved alone"
        );
        f.screens[1].broken.set(false);
        f.transport.seek(4);
        f.host.settle();
        assert_eq!(f.transport.status().error, None);
        assert_eq!(f.transport.status().shown, vec![Some(4), Some(4)]);
        // A shorter screen shortens the clip and clamps the playhead.
        f.transport.seek(99);
        f.host.settle();
        f.transport
            .set_screen(0, Some(FakeScreen::new(50, &Gate::default().into())));
        f.host.settle();
        assert_eq!(f.transport.status().frame_count, 50);
        assert_eq!(f.transport.status().playhead, 49);
    }
}
