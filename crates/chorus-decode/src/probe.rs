//! Checking a clip by its bytes before it is imported: is it an MP4 or MOV
//! movie, is it whole, does it have a picture and a sound in codecs Chorus
//! takes, and do they decode. Of a file (up to 2 GB, its index perhaps at
//! the end, as cameras write it) only the box headers, the index and the
//! first samples are read.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;

use chorus_media::{CodecConfig, MediaError, Movie, Track};
use thiserror::Error;

use crate::{DecodeError, Mp4Source};

/// Samples of picture decoded to prove the picture decodes (enough to get
/// past B-frame reordering).
const FIRST_PICTURE_SAMPLES: usize = 24;
/// Packets of sound decoded to prove the sound decodes.
const FIRST_SOUND_PACKETS: usize = 8;

/// What an accepted clip is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipProbe {
    pub container: Container,
    pub video: VideoFormat,
    pub audio: AudioFormat,
    pub width: u32,
    pub height: u32,
    /// Of the picture, in ms.
    pub duration_ms: u64,
    /// Average frames per second.
    pub fps: f64,
    /// RFC 6381 codec strings, as a browser's decoder wants them.
    pub codecs: String,
    /// Whether the first picture and sound were decoded here; `false` for
    /// codecs this build reads only the structure of (HEVC, AV1, Opus:
    /// the browser decodes those).
    pub decoded_here: bool,
}

/// The container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Mp4,
    Mov,
}

impl Container {
    pub fn label(self) -> &'static str {
        match self {
            Container::Mp4 => "MP4",
            Container::Mov => "QuickTime MOV",
        }
    }
}

/// The picture's codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoFormat {
    H264,
    Hevc,
    Av1,
}

impl VideoFormat {
    pub fn label(self) -> &'static str {
        match self {
            VideoFormat::H264 => "H.264",
            VideoFormat::Hevc => "HEVC",
            VideoFormat::Av1 => "AV1",
        }
    }
}

/// The sound's codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Aac,
    Opus,
}

impl AudioFormat {
    pub fn label(self) -> &'static str {
        match self {
            AudioFormat::Aac => "AAC",
            AudioFormat::Opus => "Opus",
        }
    }
}

/// What Chorus accepts, for messages.
const ACCEPTED: &str = "MP4 or MOV with H.264, HEVC or AV1 video and AAC or Opus sound";

/// Why a clip was refused, in words for the person who chose it.
#[derive(Debug, Error)]
pub enum ProbeError {
    #[error("the file could not be read ({0})")]
    Io(#[source] std::io::Error),
    #[error("this is not an MP4 or MOV movie (it looks like {0}); Chorus imports {ACCEPTED}")]
    NotAMovie(String),
    #[error(
        "the file was cut short: it is {size} bytes but {needs} (an incomplete download or copy?)"
    )]
    Truncated { size: u64, needs: String },
    #[error("the movie's index cannot be read: {0}")]
    BadIndex(#[source] MediaError),
    #[error("there is no picture in this file, only sound; lip-sync needs both")]
    NoPicture,
    #[error("there is no sound in this file; lip-sync needs a voice to measure against")]
    NoSound,
    #[error("its picture is {0}, which Chorus does not import; re-export it as H.264, HEVC or AV1")]
    UnsupportedVideo(String),
    #[error("its sound is {0}, which Chorus does not import; re-export it as AAC or Opus")]
    UnsupportedAudio(String),
    #[error("its first picture does not decode ({0})")]
    PictureUndecodable(String),
    #[error("its sound does not decode ({0})")]
    SoundUndecodable(String),
}

/// Checks the clip at `path` by its bytes, reading only its box headers,
/// its index and its first samples.
pub fn probe_file(path: &Path) -> Result<ClipProbe, ProbeError> {
    let mut file = std::fs::File::open(path).map_err(ProbeError::Io)?;
    let size = file.metadata().map_err(ProbeError::Io)?.len();
    let mut head = vec![0_u8; usize::try_from(size.min(256)).unwrap_or(256)];
    file.read_exact(&mut head).map_err(ProbeError::Io)?;
    if head.is_empty() {
        return Err(ProbeError::NotAMovie("an empty file".into()));
    }
    let container = container_of(&head)?;
    let (moov_at, moov_len) = find_moov(&mut file, size)?;
    let moov = read_at(&mut file, moov_at, moov_len)?;
    let movie = chorus_media::parse_moov(&moov, moov_at).map_err(ProbeError::BadIndex)?;
    check(container, movie, size, |start, len| read_at(&mut file, start, len))
}

/// Checks a clip held whole in memory.
pub fn probe_bytes(bytes: &[u8]) -> Result<ClipProbe, ProbeError> {
    if bytes.is_empty() {
        return Err(ProbeError::NotAMovie("an empty file".into()));
    }
    let container = container_of(bytes)?;
    let size = bytes.len() as u64;
    let movie = chorus_media::parse_file(bytes).map_err(|e| match e {
        MediaError::MoovNotFound { .. } => missing_index(size),
        other => ProbeError::BadIndex(other),
    })?;
    check(container, movie, size, |start, len| {
        let range = usize::try_from(start).ok().zip(usize::try_from(start + len).ok());
        range
            .and_then(|(a, b)| bytes.get(a..b))
            .map(<[u8]>::to_vec)
            .ok_or(ProbeError::Truncated {
                size,
                needs: format!("its samples run to byte {}", start + len),
            })
    })
}

fn missing_index(size: u64) -> ProbeError {
    ProbeError::Truncated {
        size,
        needs: "its index (the moov box) is missing, which happens when a recording or copy stops before the end".into(),
    }
}

/// Where the top-level `moov` box is: walks the box headers, refusing a
/// file whose boxes run past its end before the index is found.
fn find_moov(file: &mut std::fs::File, size: u64) -> Result<(u64, u64), ProbeError> {
    let mut at = 0_u64;
    while at + 8 <= size {
        let header = read_at(file, at, (size - at).min(16))?;
        let short = u64::from(u32::from_be_bytes([header[0], header[1], header[2], header[3]]));
        let length = match short {
            0 => size - at,
            1 if header.len() >= 16 => {
                u64::from_be_bytes([
                    header[8], header[9], header[10], header[11], header[12], header[13],
                    header[14], header[15],
                ])
            }
            n => n,
        };
        if length < 8 {
            return Err(ProbeError::NotAMovie(format!(
                "a damaged movie: the box at byte {at} claims {length} bytes"
            )));
        }
        if &header[4..8] == b"moov" {
            if at + length > size {
                return Err(ProbeError::Truncated {
                    size,
                    needs: format!("its index runs to byte {}", at + length),
                });
            }
            return Ok((at, length));
        }
        at = at.saturating_add(length);
    }
    Err(missing_index(size))
}

fn read_at(file: &mut std::fs::File, start: u64, len: u64) -> Result<Vec<u8>, ProbeError> {
    let len = usize::try_from(len).map_err(|_| ProbeError::Io(std::io::Error::other("too large")))?;
    let mut bytes = vec![0_u8; len];
    file.seek(SeekFrom::Start(start)).map_err(ProbeError::Io)?;
    file.read_exact(&mut bytes).map_err(ProbeError::Io)?;
    Ok(bytes)
}

/// The checks once the index is read; `read(start, len)` fetches bytes.
fn check(
    container: Container,
    movie: Movie,
    size: u64,
    mut read: impl FnMut(u64, u64) -> Result<Vec<u8>, ProbeError>,
) -> Result<ClipProbe, ProbeError> {
    let video = movie.video_track().ok_or(ProbeError::NoPicture)?;
    let audio = movie.audio_track().ok_or(ProbeError::NoSound)?;
    check_whole(&movie, size)?;
    let (video_format, video_codec) = video_format(video)?;
    let (audio_format, audio_codec) = audio_format(audio)?;

    let decoded_here = video_format == VideoFormat::H264 && audio_format == AudioFormat::Aac;
    if video_format == VideoFormat::H264 {
        let (window, track) = first_samples(video, FIRST_PICTURE_SAMPLES, &mut read)?;
        let source = Mp4Source::from_movie("clip", &window, only(&movie, track));
        let pictures = crate::video::decode_first_pictures(&source, FIRST_PICTURE_SAMPLES)
            .map_err(|e| ProbeError::PictureUndecodable(reason(&e)))?;
        if pictures == 0 {
            return Err(ProbeError::PictureUndecodable(
                "the decoder gave no picture for its first samples".into(),
            ));
        }
    }
    if audio_format == AudioFormat::Aac {
        let (window, track) = first_samples(audio, FIRST_SOUND_PACKETS, &mut read)?;
        let source = Mp4Source::from_movie("clip", &window, only(&movie, track));
        crate::audio::decode_first_packets(&source, FIRST_SOUND_PACKETS)
            .map_err(|e| ProbeError::SoundUndecodable(reason(&e)))?;
    }

    let fps = video
        .frame_rate
        .map(|r| r.rate().as_f64())
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(0.0);
    let ticks = if video.duration > 0 {
        video.duration
    } else {
        video.samples.iter().map(|s| i64::from(s.duration)).sum()
    };
    let duration_ms =
        u64::try_from(i128::from(ticks) * 1000 / i128::from(video.timescale.max(1))).unwrap_or(0);
    Ok(ClipProbe {
        container,
        video: video_format,
        audio: audio_format,
        width: video.width,
        height: video.height,
        duration_ms,
        fps,
        codecs: format!("{video_codec}, {audio_codec}"),
        decoded_here,
    })
}

/// The bytes spanning the first `count` samples of `track`, and the track
/// cut to those samples with offsets counted from the start of the bytes.
fn first_samples(
    track: &Track,
    count: usize,
    read: &mut impl FnMut(u64, u64) -> Result<Vec<u8>, ProbeError>,
) -> Result<(Vec<u8>, Track), ProbeError> {
    let mut cut = track.clone();
    cut.samples.truncate(count);
    let start = cut.samples.iter().map(|s| s.offset).min().unwrap_or(0);
    let end = cut
        .samples
        .iter()
        .map(|s| s.offset + u64::from(s.size))
        .max()
        .unwrap_or(start);
    for sample in &mut cut.samples {
        sample.offset -= start;
    }
    cut.keyframes.retain(|&k| k < count);
    cut.frames.retain(|&f| f < count);
    Ok((read(start, end - start)?, cut))
}

/// `movie` with `track` as its only track.
fn only(movie: &Movie, track: Track) -> Movie {
    Movie {
        timescale: movie.timescale,
        duration: movie.duration,
        tracks: vec![track],
    }
}

/// The decoder's own words, without the file name our errors lead with.
fn reason(e: &DecodeError) -> String {
    let text = e.to_string();
    text.strip_prefix("clip: ").unwrap_or(&text).to_string()
}

/// MP4 or MOV by the first box; anything else named by its magic number.
fn container_of(bytes: &[u8]) -> Result<Container, ProbeError> {
    let kind = bytes.get(4..8).unwrap_or_default();
    match kind {
        b"ftyp" => {
            let brand = bytes.get(8..12).unwrap_or_default();
            Ok(if brand == b"qt  " {
                Container::Mov
            } else {
                Container::Mp4
            })
        }
        // Old QuickTime files start straight with these.
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot" => Ok(Container::Mov),
        _ => Err(ProbeError::NotAMovie(sniff(bytes))),
    }
}

/// What a file that is not a movie looks like.
fn sniff(bytes: &[u8]) -> String {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let named = if starts(b"\x89PNG") {
        "a PNG image"
    } else if starts(b"\xFF\xD8\xFF") {
        "a JPEG image"
    } else if starts(b"\x1A\x45\xDF\xA3") {
        "a WebM or Matroska video"
    } else if starts(b"RIFF") && bytes.get(8..11) == Some(b"AVI") {
        "an AVI video"
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        "a WAV sound file"
    } else if starts(b"ID3") || starts(b"\xFF\xFB") {
        "an MP3 sound file"
    } else if starts(b"GIF8") {
        "a GIF image"
    } else if bytes.first() == Some(&0x47) && bytes.get(188) == Some(&0x47) {
        "an MPEG transport stream"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if bytes.iter().take(64).all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
        "plain text"
    } else {
        let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return format!("something else: it starts with the bytes {}", head.join(" "));
    };
    named.to_string()
}

/// Every sample the index points at lies inside the file.
fn check_whole(movie: &Movie, size: u64) -> Result<(), ProbeError> {
    let end = movie
        .tracks
        .iter()
        .flat_map(|t| t.samples.iter())
        .map(|s| s.offset.saturating_add(u64::from(s.size)))
        .max()
        .unwrap_or(0);
    if end > size {
        return Err(ProbeError::Truncated {
            size,
            needs: format!("its index points at samples up to byte {end}"),
        });
    }
    Ok(())
}

fn video_format(track: &Track) -> Result<(VideoFormat, String), ProbeError> {
    match &track.codec {
        CodecConfig::Video(codec) => match &codec.fourcc.0 {
            b"avc1" | b"avc3" => Ok((VideoFormat::H264, codec.codec.clone())),
            b"hvc1" | b"hev1" => Ok((VideoFormat::Hevc, codec.codec.clone())),
            b"av01" => Ok((VideoFormat::Av1, codec.codec.clone())),
            b"vp09" => Err(ProbeError::UnsupportedVideo("VP9".into())),
            other => Err(ProbeError::UnsupportedVideo(fourcc_name(other))),
        },
        CodecConfig::Unknown { fourcc } => Err(ProbeError::UnsupportedVideo(fourcc_name(&fourcc.0))),
        CodecConfig::Audio(_) => Err(ProbeError::NoPicture),
    }
}

fn audio_format(track: &Track) -> Result<(AudioFormat, String), ProbeError> {
    match &track.codec {
        CodecConfig::Audio(codec) => match (&codec.fourcc.0, codec.object_type) {
            (b"mp4a", Some(2 | 5 | 29)) => Ok((AudioFormat::Aac, codec.codec.clone())),
            (b"mp4a", Some(0x69 | 0x6B)) => Err(ProbeError::UnsupportedAudio("MP3".into())),
            (b"mp4a", _) => Err(ProbeError::UnsupportedAudio(format!(
                "an MPEG-4 audio kind other than AAC ({})",
                codec.codec
            ))),
            (b"Opus", _) => Ok((AudioFormat::Opus, codec.codec.clone())),
            (other, _) => Err(ProbeError::UnsupportedAudio(fourcc_name(other))),
        },
        CodecConfig::Unknown { fourcc } => Err(ProbeError::UnsupportedAudio(fourcc_name(&fourcc.0))),
        CodecConfig::Video(_) => Err(ProbeError::NoSound),
    }
}

/// A codec's name from its sample entry code.
fn fourcc_name(code: &[u8; 4]) -> String {
    let named = match code {
        b"mp4v" => "MPEG-4 Part 2",
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "Apple ProRes",
        b"jpeg" | b"mjpa" | b"mjpb" => "Motion JPEG",
        b"vp08" => "VP8",
        b"dvh1" | b"dvhe" => "Dolby Vision",
        b"s263" | b"h263" => "H.263",
        b"ac-3" => "Dolby Digital (AC-3)",
        b"ec-3" => "Dolby Digital Plus (E-AC-3)",
        b"alac" => "Apple Lossless",
        b"lpcm" | b"sowt" | b"twos" | b"in24" | b"in32" | b"fl32" | b"ipcm" | b"fpcm" => {
            "uncompressed PCM"
        }
        b"fLaC" => "FLAC",
        b".mp3" => "MP3",
        _ => {
            let text: String = code
                .iter()
                .map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '?' })
                .collect();
            return format!("the codec \"{}\"", text.trim());
        }
    };
    named.to_string()
}
