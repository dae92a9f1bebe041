//! One variant's place in the compare view and the work behind it: which
//! version it shows, its sound (into the shared mix, and as a waveform), its
//! viseme track, and its sync measurement. Measurements run one at a time
//! (they decode every frame), on the GPU when WebGPU is there.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use chorus_core::Job;
use chorus_core::api::asset_url;
use chorus_sync::MouthRegion;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::analysis::{Measured, measure};
use super::gpu_motion::GpuMotion;
use super::meter::Reading;
use super::pcm;
use super::tracks::{VisemeSpan, load_visemes};
use super::variants::newest_version;
use crate::player::live::Live;

/// Buckets in a lane's waveform.
const PEAKS: usize = 480;

/// A finished measurement, as the meter and the lanes show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Done {
    pub reading: Reading,
    pub path: String,
    pub millis: f64,
    /// Of `millis`, reading the frames.
    pub frames_millis: f64,
    pub gpu_cpu_difference: Option<(f64, f64)>,
    pub mouth_motion: Vec<f32>,
    pub region: MouthRegion,
    /// Offsets per window (ms), to show drift.
    pub windows: Vec<f64>,
    pub drift_ms_per_minute: Option<f64>,
    /// Clip length in seconds (frames over rate).
    pub seconds: f64,
    pub disagreements: Disagreements,
}

impl Done {
    /// How far the offset moves from the clip's start to its end, for clips
    /// long enough that per-window offsets mean something (10 s or more:
    /// several windows); shorter clips are measured as one.
    pub fn drift_over_clip_ms(&self) -> Option<f64> {
        (self.seconds >= MIN_DRIFT_SECONDS)
            .then_some(self.drift_ms_per_minute?)
            .map(|per_minute| per_minute * self.seconds / 60.0)
    }
}

const MIN_DRIFT_SECONDS: f64 = 10.0;

/// Frame spans `[start, end)` where mouth and voice disagree.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Disagreements {
    /// The mouth moves while nothing is heard.
    pub silent: Vec<(usize, usize)>,
    /// Speech plays over a still mouth.
    pub still: Vec<(usize, usize)>,
}

impl Done {
    fn from(measured: Measured) -> Self {
        let r = measured.report;
        Self {
            reading: Reading {
                offset_ms: r.av_offset_ms,
                confidence: r.confidence,
                confident: r.confident,
                cant_tell: r.cant_tell.as_ref().map(|c| c.message.clone()),
                at_search_edge: r.at_search_edge,
                tolerance_ms: r.method.tolerance_ms(),
            },
            path: measured.path,
            millis: measured.millis,
            frames_millis: measured.frames_millis,
            gpu_cpu_difference: measured.gpu_cpu_difference,
            mouth_motion: r.mouth_motion,
            region: r.mouth_region,
            windows: r.windows.iter().map(|w| w.offset_ms).collect(),
            drift_ms_per_minute: r.drift_ms_per_minute,
            seconds: r.frames as f64 / r.fps.max(1.0),
            disagreements: Disagreements {
                silent: r
                    .silent_mouth_spans
                    .iter()
                    .map(|s| (s.start_frame, s.end_frame))
                    .collect(),
                still: r
                    .still_mouth_spans
                    .iter()
                    .map(|s| (s.start_frame, s.end_frame))
                    .collect(),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Meter {
    /// Waiting for its sound or for another variant's measurement.
    Waiting,
    Measuring,
    NoSound,
    Failed(String),
    Done(Box<Done>),
}

/// Everything one variant shows; `Copy` handles.
#[derive(Clone, Copy)]
pub struct Slot {
    pub index: usize,
    /// The original take (index in the job's outputs).
    pub original: usize,
    /// The version on show (index in the job's outputs).
    pub shown: RwSignal<usize>,
    pub meter: RwSignal<Meter>,
    pub peaks: RwSignal<Vec<f32>>,
    pub visemes: RwSignal<Vec<VisemeSpan>>,
    pub muted: RwSignal<bool>,
    /// The shift the next correction makes, in ms (the measured correction
    /// once there is one; the user may nudge it).
    pub nudge: RwSignal<i32>,
    pub applying: RwSignal<bool>,
    pub apply_error: RwSignal<Option<String>>,
    /// The reading of the version a correction was made from, kept to show
    /// beside the new version's own measurement.
    pub before: RwSignal<Option<Reading>>,
}

impl Slot {
    pub fn new(index: usize, original: usize, job: &Job) -> Self {
        Self {
            index,
            original,
            shown: RwSignal::new(newest_version(&job.outputs, original).unwrap_or(original)),
            meter: RwSignal::new(Meter::Waiting),
            peaks: RwSignal::new(Vec::new()),
            visemes: RwSignal::new(Vec::new()),
            muted: RwSignal::new(false),
            nudge: RwSignal::new(0),
            applying: RwSignal::new(false),
            apply_error: RwSignal::new(None),
            before: RwSignal::new(None),
        }
    }
}

/// What every slot shares: the transport, the GPU for measuring, and the
/// lock that keeps measurements one at a time.
pub struct Shared {
    pub transport: Rc<Live>,
    gpu: RefCell<Option<Result<Rc<GpuMotion>, String>>>,
    measuring: Cell<bool>,
    /// `?crosscheck=1` also runs block motion on the GPU and the CPU and
    /// compares them (`?motion=cpu` leaves the GPU out).
    force_cpu: bool,
    cross_check: bool,
}

impl Shared {
    pub fn new(transport: Rc<Live>) -> Rc<Self> {
        Rc::new(Self {
            transport,
            gpu: RefCell::new(None),
            measuring: Cell::new(false),
            force_cpu: crate::dom::query_value("motion").as_deref() == Some("cpu"),
            cross_check: crate::dom::query_flag("crosscheck"),
        })
    }

    /// The compute GPU, set up on first use; `None` (CPU path) without one.
    async fn gpu(&self) -> Option<Rc<GpuMotion>> {
        if self.force_cpu {
            return None;
        }
        if self.gpu.borrow().is_none() {
            let made = GpuMotion::new().await.map(Rc::new);
            if let Err(why) = &made {
                leptos::logging::log!("motion on the CPU: {why}");
            }
            *self.gpu.borrow_mut() = Some(made);
        }
        self.gpu
            .borrow()
            .as_ref()
            .and_then(|g| g.as_ref().ok().cloned())
    }
}

/// Loads what `slot` shows for output `shown` of `job`: sound, visemes, then
/// the measurement. Stops quietly if the slot moves to another version first.
pub fn load(shared: Rc<Shared>, slot: Slot, job: Job, shown: usize) {
    let Some(output) = job.outputs.get(shown).cloned() else {
        return;
    };
    let still_shown = move || slot.shown.get_untracked() == shown;
    slot.meter.set(Meter::Waiting);
    slot.peaks.set(Vec::new());
    if let Some(sidecar) = output.sidecar.clone() {
        spawn_local(async move {
            let visemes = load_visemes(&sidecar).await;
            if still_shown() {
                slot.visemes.set(visemes);
            }
        });
    } else {
        slot.visemes.set(Vec::new());
    }
    let rendered = job.request.model == "draft";
    let url = asset_url(&output.video);
    spawn_local(async move {
        let duration_s = output.duration_ms as f64 / 1000.0;
        let sound = match pcm::load(&url, duration_s).await {
            Ok(Some(sound)) => sound,
            Ok(None) => return slot.meter.set(Meter::NoSound),
            Err(why) => return slot.meter.set(Meter::Failed(why)),
        };
        if !still_shown() {
            return;
        }
        shared
            .transport
            .with_sound(|mix| mix.set_samples(slot.index, &sound.samples, sound.sample_rate));
        slot.peaks.set(sound.peaks(PEAKS));
        while shared.measuring.replace(true) {
            TimeoutFuture::new(30).await;
        }
        if still_shown() {
            slot.meter.set(Meter::Measuring);
            let gpu = shared.gpu().await;
            let result = measure(&url, &sound, rendered, gpu.as_deref(), shared.cross_check).await;
            if still_shown() {
                match result {
                    Ok(measured) => {
                        let done = Done::from(measured);
                        slot.nudge.set(done.reading.proposed_correction_ms());
                        slot.meter.set(Meter::Done(Box::new(done)));
                    }
                    Err(why) => slot.meter.set(Meter::Failed(why)),
                }
            }
        }
        shared.measuring.set(false);
    });
}
