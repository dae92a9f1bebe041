//! Encoders: H.264 through OpenH264 and AAC-LC through libfdk-aac (both built
//! from bundled source by their crates), turned into what the MP4 writer needs.

use openh264::encoder::{
    Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, RateControlMode,
    SpsPpsStrategy, UsageType, VuiConfig,
};
use openh264::formats::YUVSlices;

use crate::DraftError;
use crate::canvas::Frame;

/// Collects H.264 access units, frame by frame.
pub struct VideoEncoder {
    encoder: Encoder,
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
    pub samples: Vec<(Vec<u8>, bool)>,
}

fn enc_err(e: impl std::fmt::Display) -> DraftError {
    DraftError::Encode(e.to_string())
}

impl VideoEncoder {
    pub fn new(width: u32, height: u32, fps: u32) -> Result<Self, DraftError> {
        // Bits per pixel per frame sized for flat artwork: plenty for sharp
        // edges and type, far below camera footage.
        let bitrate = (u64::from(width) * u64::from(height) * u64::from(fps) / 12).min(12_000_000);
        let config = EncoderConfig::new()
            .bitrate(openh264::encoder::BitRate::from_bps(bitrate as u32))
            .max_frame_rate(FrameRate::from_hz(fps as f32))
            .rate_control_mode(RateControlMode::Bitrate)
            .skip_frames(false)
            .usage_type(UsageType::CameraVideoRealTime)
            .complexity(Complexity::Low)
            .sps_pps_strategy(SpsPpsStrategy::ConstantId)
            // A fixed thread count keeps output identical across machines.
            .num_threads(1)
            .intra_frame_period(IntraFramePeriod::from_num_frames(fps))
            .scene_change_detect(false)
            .adaptive_quantization(false)
            .background_detection(false)
            .vui(VuiConfig::bt709());
        let api = openh264::OpenH264API::from_source();
        let encoder = Encoder::with_api_config(api, config).map_err(enc_err)?;
        Ok(VideoEncoder {
            encoder,
            sps: Vec::new(),
            pps: Vec::new(),
            samples: Vec::new(),
        })
    }

    /// Encodes one frame; every frame produces exactly one sample.
    pub fn push(&mut self, frame: &Frame) -> Result<(), DraftError> {
        let (w, h) = (frame.width, frame.height);
        let source = YUVSlices::new((&frame.y, &frame.u, &frame.v), (w, h), (w, w / 2, w / 2));
        let stream = self.encoder.encode(&source).map_err(enc_err)?;
        let key = matches!(stream.frame_type(), FrameType::IDR | FrameType::I);
        let mut sample = Vec::new();
        for l in 0..stream.num_layers() {
            let Some(layer) = stream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n) else {
                    continue;
                };
                let body = strip_start_code(nal);
                let Some(&header) = body.first() else {
                    continue;
                };
                match header & 0x1f {
                    7 => body.clone_into(&mut self.sps),
                    8 => body.clone_into(&mut self.pps),
                    _ => {
                        sample.extend_from_slice(&(body.len() as u32).to_be_bytes());
                        sample.extend_from_slice(body);
                    }
                }
            }
        }
        if sample.is_empty() {
            return Err(DraftError::Encode(format!(
                "the H.264 encoder dropped frame {}",
                self.samples.len()
            )));
        }
        self.samples.push((sample, key));
        Ok(())
    }
}

fn strip_start_code(nal: &[u8]) -> &[u8] {
    if nal.starts_with(&[0, 0, 0, 1]) {
        &nal[4..]
    } else if nal.starts_with(&[0, 0, 1]) {
        &nal[3..]
    } else {
        nal
    }
}

/// AAC-LC at 48 kHz mono, as the MP4 writer wants it.
pub struct AacOutput {
    pub config: Vec<u8>,
    pub delay: u32,
    pub frames: Vec<Vec<u8>>,
    pub bitrate: u32,
}

pub const AAC_BITRATE: u32 = 96_000;

/// Encodes `pcm` (48 kHz mono) into enough AAC frames to cover it after the
/// encoder's delay.
pub fn encode_aac(pcm: &[i16], sample_rate: u32) -> Result<AacOutput, DraftError> {
    use fdk_aac::enc::{
        AudioObjectType, BitRate, ChannelMode, Encoder as Aac, EncoderParams, Transport,
    };
    let aac = Aac::new(EncoderParams {
        bit_rate: BitRate::Cbr(AAC_BITRATE),
        sample_rate,
        transport: Transport::Raw,
        channels: ChannelMode::Mono,
        audio_object_type: AudioObjectType::Mpeg4LowComplexity,
    })
    .map_err(enc_err)?;
    let info = aac.info().map_err(enc_err)?;
    let config = info.confBuf[..(info.confSize as usize).min(info.confBuf.len())].to_vec();
    let delay = info.nDelay;
    let frame_len = info.frameLength.max(1) as usize;
    // The crate offers no flush, so pad with silence until every real sample
    // has come out; the edit list hides the padding.
    let needed = (pcm.len() + delay as usize).div_ceil(frame_len);
    let mut input = pcm.to_vec();
    input.resize(pcm.len() + delay as usize + frame_len * 4, 0);
    let mut frames = Vec::with_capacity(needed);
    let mut out = vec![0u8; 8192];
    let mut pos = 0;
    while frames.len() < needed && pos < input.len() {
        let end = (pos + frame_len).min(input.len());
        let res = aac.encode(&input[pos..end], &mut out).map_err(enc_err)?;
        if res.output_size > 0 {
            frames.push(out[..res.output_size].to_vec());
        }
        if res.input_consumed == 0 && res.output_size == 0 {
            return Err(DraftError::Encode("the AAC encoder stalled".into()));
        }
        pos += res.input_consumed;
    }
    if frames.len() < needed {
        return Err(DraftError::Encode(
            "the AAC encoder returned too few frames".into(),
        ));
    }
    Ok(AacOutput {
        config,
        delay,
        frames,
        bitrate: AAC_BITRATE,
    })
}
