//! A few of a clip's keyframes as RGB pictures, for posters and scrub
//! strips. Each chosen keyframe is decoded alone with a fresh decoder (a
//! keyframe needs no picture before it), so a long clip costs a handful of
//! pictures, not all of them. H.264 is turned to RGB by OpenH264; HEVC and
//! AV1 are decoded by libavcodec and turned to RGB by libswscale.

use std::path::Path;

use chorus_media::{Track, TrackKind};
use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;

use crate::annexb::NalConfig;
use crate::libav;
use crate::probe::open_indexed;
use crate::video::{Picture, picture, thread_count};
use crate::{DecodeError, Mp4Source};

/// One decoded keyframe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Still {
    /// Presentation time from the first picture, in ms.
    pub time_ms: u64,
    pub width: u32,
    pub height: u32,
    /// `width * height` pixels, 3 bytes each, row after row.
    pub rgb: Vec<u8>,
}

/// `keyframe_stills` of the clip at `path`, reading only its index and the
/// keyframes chosen, so a clip of any size costs a few pictures' bytes.
pub fn keyframe_stills_file(path: &Path, count: usize) -> Result<Vec<Still>, DecodeError> {
    let name = path.display().to_string();
    let (mut clip, mut movie) = open_indexed(path).map_err(|source| DecodeError::Refused {
        file: name.clone(),
        source,
    })?;
    let track = movie
        .tracks
        .iter_mut()
        .find(|t| t.kind == TrackKind::Video)
        .ok_or_else(|| DecodeError::NoVideo { file: name.clone() })?;
    // The chosen keyframes' bytes, one after another, and the index moved
    // to point into them.
    let mut bytes = Vec::new();
    for index in spread(&track.keyframes, count) {
        let Some(sample) = track.samples.get_mut(index) else {
            continue;
        };
        let data = clip
            .read_at(sample.offset, u64::from(sample.size))
            .map_err(|source| DecodeError::Refused {
                file: name.clone(),
                source,
            })?;
        sample.offset = bytes.len() as u64;
        bytes.extend_from_slice(&data);
    }
    keyframe_stills(&Mp4Source::from_movie(name, &bytes, movie), count)
}

/// Up to `count` keyframes of the first video track, spread evenly over
/// it, in presentation order. A keyframe that does not decode alone (an
/// open group of pictures) is left out; no keyframe at all is an error.
pub fn keyframe_stills(source: &Mp4Source<'_>, count: usize) -> Result<Vec<Still>, DecodeError> {
    let track = source.video_track()?;
    let decoder = picture(source, track)?;
    let start = track
        .frames
        .first()
        .and_then(|&i| track.samples.get(i))
        .map_or(0, |s| s.presentation_time);
    let mut stills = Vec::new();
    let mut first_error = None;
    for index in spread(&track.keyframes, count) {
        let still = match &decoder {
            Picture::H264(config) => h264_still(source, track, config, index),
            Picture::Libav(stream) => {
                libav::still_rgb(source, track, stream, index, thread_count())
            }
        };
        let time_ms = track.samples.get(index).map_or(0, |s| {
            let ticks = (s.presentation_time - start).max(0);
            u64::try_from(ticks).unwrap_or(0) * 1000 / u64::from(track.timescale.max(1))
        });
        match still {
            Ok(Some((width, height, rgb))) => stills.push(Still {
                time_ms,
                width,
                height,
                rgb,
            }),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    stills.sort_by_key(|s| s.time_ms);
    match (stills.is_empty(), first_error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(DecodeError::NoFrames {
            file: source.name().to_owned(),
        }),
        (false, _) => Ok(stills),
    }
}

/// Up to `count` of `items`, evenly spaced, the first always among them.
fn spread(items: &[usize], count: usize) -> Vec<usize> {
    if items.len() <= count {
        return items.to_vec();
    }
    (0..count).map(|i| items[i * items.len() / count]).collect()
}

/// Sample `index` (a keyframe) decoded alone, as RGB.
fn h264_still(
    source: &Mp4Source<'_>,
    track: &Track,
    config: &NalConfig,
    index: usize,
) -> Result<Option<(u32, u32, Vec<u8>)>, DecodeError> {
    let fail = |reason: String| DecodeError::VideoDecode {
        file: source.name().to_owned(),
        codec: "H.264",
        index,
        reason,
    };
    // Flushing after the one packet gives its picture straight away.
    let decoder_config = DecoderConfig::new().flush_after_decode(Flush::Flush);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), decoder_config)
        .map_err(|e| fail(e.to_string()))?;
    let mut packet = config.parameter_sets.clone();
    config
        .sample_to_annex_b(source.sample_bytes(track, index)?, &mut packet)
        .map_err(fail)?;
    let Some(picture) = decoder.decode(&packet).map_err(|e| fail(e.to_string()))? else {
        return Ok(None);
    };
    let (width, height) = picture.dimensions();
    let mut rgb = vec![0; width * height * 3];
    picture.write_rgb8(&mut rgb);
    Ok(Some((width as u32, height as u32, rgb)))
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn spread_keeps_the_first_and_spaces_the_rest() {
        assert_eq!(spread(&[0, 24, 48], 10), [0, 24, 48]);
        let keyframes: Vec<usize> = (0..20).map(|i| i * 24).collect();
        assert_eq!(spread(&keyframes, 4), [0, 120, 240, 360]);
    }
}
