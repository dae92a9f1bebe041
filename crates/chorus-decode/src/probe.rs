//! Checking a clip by its bytes before it is imported: is it an MP4 or MOV
//! movie, is it whole, does it have a picture and a sound in codecs Chorus
//! takes, and do they decode. Of a file (up to 2 GB, its index perhaps at
//! the end, as cameras write it) only the top-level box headers, the index
//! (`moov`) and the samples of the first pictures and sound packets are
//! read; that every sample lies inside the file is checked from the
//! sample tables alone.

use std::fmt;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use chorus_media::{CodecConfig, MediaError, Movie, Track};
use thiserror::Error;

use crate::{DecodeError, Mp4Source};

/// Samples of picture decoded to prove the picture decodes (enough to get
/// past B-frame reordering).
const FIRST_PICTURE_SAMPLES: usize = 24;
/// Packets of sound decoded to prove the sound decodes.
const FIRST_SOUND_PACKETS: usize = 8;
/// The largest index read. A 2 GB clip's index is a few megabytes (it has
/// at most chorus-media's 2^20 samples a track); more is a damaged file.
const MAX_INDEX_BYTES: u64 = 256 << 20;
/// Bytes of the file's start kept for recognising what it is.
const HEAD_BYTES: u64 = 512;

/// What an accepted clip is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipProbe {
    /// MP4 or QuickTime MOV.
    pub container: Container,
    /// The picture's codec.
    pub video: VideoFormat,
    /// The sound's codec.
    pub audio: AudioFormat,
    /// Display width of the picture, in pixels.
    pub width: u32,
    /// Display height of the picture, in pixels.
    pub height: u32,
    /// Length of the picture (the video track, after its edit list), in
    /// milliseconds.
    pub duration_ms: u64,
    /// Average frames per second.
    pub fps: f64,
    /// RFC 6381 codec strings as a browser's `canPlayType` and WebCodecs
    /// want them, picture first: `"avc1.64001f, mp4a.40.2"`.
    pub codecs: String,
}

/// The container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// ISO base media file (MP4, M4V, 3GP).
    Mp4,
    /// QuickTime movie (brand `qt  `, or no `ftyp` at all).
    Mov,
}

impl Container {
    /// Its name for people: "MP4" or "QuickTime MOV".
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
    /// H.264 / AVC (`avc1`, `avc3`).
    H264,
    /// H.265 / HEVC (`hvc1`, `hev1`).
    Hevc,
    /// AV1 (`av01`).
    Av1,
}

impl VideoFormat {
    /// Its name for people: "H.264", "HEVC" or "AV1".
    pub fn label(self) -> &'static str {
        match self {
            VideoFormat::H264 => "H.264",
            VideoFormat::Hevc => "HEVC",
            VideoFormat::Av1 => "AV1",
        }
    }
}

impl fmt::Display for VideoFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The sound's codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// AAC-LC, or HE-AAC (v1, v2), of which the AAC-LC core is decoded.
    Aac,
    /// Opus, mono or stereo.
    Opus,
}

impl AudioFormat {
    /// Its name for people: "AAC" or "Opus".
    pub fn label(self) -> &'static str {
        match self {
            AudioFormat::Aac => "AAC",
            AudioFormat::Opus => "Opus",
        }
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a clip was refused, in a sentence for the person who chose it:
/// what is wrong, where, and what to do.
#[derive(Debug, Error)]
pub enum ProbeError {
    /// The file could not be opened or read.
    #[error("The file {} could not be read: {source}.", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not an MP4 or MOV at all; `start` says what its first bytes look
    /// like ("it starts like a PNG image").
    #[error(
        "This file is not an MP4 or MOV movie ({start}). Chorus imports MP4 and MOV files with H.264, HEVC or AV1 video and AAC or Opus sound."
    )]
    NotAMovie { start: String },
    /// The file ends before its index, or before the samples its index
    /// points at: `size` is the file's length, `runs_to` the byte the file
    /// would have to reach to hold `part` (`None`: the file ends before
    /// `part` begins, as when the index never comes).
    #[error("{}", truncated_message(*.size, .part, *.runs_to))]
    Truncated {
        size: u64,
        part: String,
        runs_to: Option<u64>,
    },
    /// The boxes or the index are there but cannot be read; `reason` says
    /// which and at what byte.
    #[error(
        "This movie is damaged: {reason}. Its pictures and sound cannot be found; export or download it again."
    )]
    Damaged { reason: String },
    /// A fragmented MP4 (streaming style), which the demuxer does not read.
    #[error(
        "This is a fragmented MP4 (written in pieces for live streaming), which Chorus cannot import. Export it again as a regular MP4 or MOV."
    )]
    Fragmented,
    /// No video track.
    #[error(
        "This file has sound but no picture (it has no video track). Chorus needs the video of the person speaking, with its sound."
    )]
    NoPicture,
    /// No audio track.
    #[error(
        "This video has no sound (it has no audio track). Chorus measures lip-sync against the voice; export the video again with its sound."
    )]
    NoSound,
    /// A picture codec Chorus does not take, by name ("VP9", "Apple
    /// ProRes", …).
    #[error(
        "This movie's picture is {codec}, which Chorus does not import. Chorus takes H.264, HEVC and AV1 video; export it again in one of those."
    )]
    UnsupportedVideo { codec: String },
    /// A sound codec Chorus does not take, by name.
    #[error(
        "This movie's sound is {codec}, which Chorus does not import. Chorus takes AAC and Opus sound (mono or stereo); export it again with AAC sound."
    )]
    UnsupportedAudio { codec: String },
    /// The first picture does not decode; `reason` is the decoder's.
    #[error(
        "The first picture of this {codec} video cannot be decoded ({reason}). The file is probably damaged; export it again."
    )]
    PictureUndecodable { codec: VideoFormat, reason: String },
    /// The first sound packets do not decode; `reason` is the decoder's.
    #[error(
        "The sound at the start of this movie ({codec}) cannot be decoded ({reason}). The file is probably damaged; export it again."
    )]
    SoundUndecodable { codec: AudioFormat, reason: String },
}

fn truncated_message(size: u64, part: &str, runs_to: Option<u64>) -> String {
    let size = Bytes(size);
    match runs_to {
        Some(end) => format!(
            "This movie is cut short: the file is {size} bytes long, but it would have to reach byte {} to hold {part} — an incomplete download or copy? Upload the complete file.",
            Bytes(end)
        ),
        None => format!(
            "This movie is cut short: the file is {size} bytes long and ends before {part} — an incomplete download or copy? Upload the complete file."
        ),
    }
}

/// A byte count or offset with thousands separators: `2,147,483,648`.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                f.write_str(",")?;
            }
            write!(f, "{digit}")?;
        }
        Ok(())
    }
}

/// Checks the clip at `path` by its bytes, reading only its box headers,
/// its index and its first samples.
pub fn probe_file(path: &Path) -> Result<ClipProbe, ProbeError> {
    let mut file = Clip::open(path)?;
    let head = file.read_at(0, file.size.min(HEAD_BYTES))?;
    let container = container_of(&head)?;
    let movie = read_index(&mut file)?;
    check(container, &movie, &mut file)
}

/// The clip at `path`, open, and its index, read without its samples.
pub(crate) fn open_indexed(path: &Path) -> Result<(Clip<'_>, Movie), ProbeError> {
    let mut file = Clip::open(path)?;
    let movie = read_index(&mut file)?;
    Ok((file, movie))
}

/// Finds and parses the file's index (its `moov` box).
fn read_index(file: &mut Clip<'_>) -> Result<Movie, ProbeError> {
    let (at, len) = find_moov(file)?;
    if len > MAX_INDEX_BYTES {
        return Err(ProbeError::Damaged {
            reason: format!(
                "its index (the moov box at byte {}) claims {} bytes, far more than any index",
                Bytes(at),
                Bytes(len)
            ),
        });
    }
    let moov = file.read_at(at, len)?;
    chorus_media::parse_moov(&moov, at).map_err(|e| match e {
        MediaError::Unsupported { what, .. } if what.contains("fragmented") => {
            ProbeError::Fragmented
        }
        other => ProbeError::Damaged {
            reason: format!(
                "its index (the moov box at byte {}) cannot be read ({other})",
                Bytes(at)
            ),
        },
    })
}

/// The file being probed: read only where asked.
pub(crate) struct Clip<'p> {
    file: File,
    path: &'p Path,
    size: u64,
}

impl<'p> Clip<'p> {
    fn open(path: &'p Path) -> Result<Self, ProbeError> {
        let io = |source| ProbeError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        Ok(Self { file, path, size })
    }

    /// `len` bytes from `start`, which the caller has checked lie inside
    /// the file.
    pub(crate) fn read_at(&mut self, start: u64, len: u64) -> Result<Vec<u8>, ProbeError> {
        let io = |source| ProbeError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        let len = usize::try_from(len).map_err(|_| io(std::io::Error::other("read too large")))?;
        let mut bytes = vec![0_u8; len];
        self.file.seek(SeekFrom::Start(start)).map_err(io)?;
        self.file.read_exact(&mut bytes).map_err(io)?;
        Ok(bytes)
    }
}

/// Where the top-level `moov` box is (start, length): walks the box
/// headers from the start, so a file whose boxes run past its end, or that
/// ends before any `moov`, is found cut short without reading its samples.
fn find_moov(file: &mut Clip<'_>) -> Result<(u64, u64), ProbeError> {
    let size = file.size;
    let mut at = 0_u64;
    let mut fragments = false;
    loop {
        if size.saturating_sub(at) < 8 {
            if fragments {
                return Err(ProbeError::Fragmented);
            }
            return Err(ProbeError::Truncated {
                size,
                part: "its index (the moov box that says where every picture and sound is)"
                    .to_owned(),
                runs_to: None,
            });
        }
        let header = file.read_at(at, (size - at).min(16))?;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        if !kind.iter().all(|&b| b.is_ascii_alphanumeric() || b == b' ') {
            return Err(ProbeError::Damaged {
                reason: format!(
                    "at byte {}, where its next part should begin, there are only the bytes {}",
                    Bytes(at),
                    hex(&header[..8])
                ),
            });
        }
        let short = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let (len, header_len) = match short {
            0 => (size - at, 8),
            1 => match header.get(8..16) {
                Some(b) => (
                    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                    16,
                ),
                None => (16, 16),
            },
            n => (n, 8),
        };
        if len < header_len {
            return Err(ProbeError::Damaged {
                reason: format!(
                    "the {} box at byte {} declares an impossible size of {len} bytes",
                    fourcc_text(kind),
                    Bytes(at)
                ),
            });
        }
        let end = at.saturating_add(len);
        if end > size {
            let part = match &kind {
                b"mdat" => format!("its media data (the mdat box at byte {})", Bytes(at)),
                b"moov" => format!("its index (the moov box at byte {})", Bytes(at)),
                _ => format!(
                    "its data (the {} box at byte {})",
                    fourcc_text(kind),
                    Bytes(at)
                ),
            };
            return Err(ProbeError::Truncated {
                size,
                part,
                runs_to: Some(end),
            });
        }
        match &kind {
            b"moov" => return Ok((at, len)),
            b"moof" => fragments = true,
            _ => {}
        }
        at = end;
    }
}

/// The checks once the index is read.
fn check(
    container: Container,
    movie: &Movie,
    file: &mut Clip<'_>,
) -> Result<ClipProbe, ProbeError> {
    check_whole(movie, file.size)?;
    let video = movie
        .video_track()
        .filter(|t| !t.samples.is_empty())
        .ok_or(ProbeError::NoPicture)?;
    let audio = movie
        .audio_track()
        .filter(|t| !t.samples.is_empty())
        .ok_or(ProbeError::NoSound)?;
    let (video_format, video_codec) = video_format(video)?;
    let (audio_format, audio_codec) = audio_format(audio)?;

    let (window, track) = first_samples(video, FIRST_PICTURE_SAMPLES, file)?;
    let source = Mp4Source::from_movie("clip", &window, only(movie, track));
    let pictures =
        crate::video::decode_first_pictures(&source, FIRST_PICTURE_SAMPLES).map_err(|e| {
            ProbeError::PictureUndecodable {
                codec: video_format,
                reason: reason(&e),
            }
        })?;
    if pictures == 0 {
        return Err(ProbeError::PictureUndecodable {
            codec: video_format,
            reason: format!(
                "the decoder gave no picture for its first {} samples",
                video.samples.len().min(FIRST_PICTURE_SAMPLES)
            ),
        });
    }

    let (window, track) = first_samples(audio, FIRST_SOUND_PACKETS, file)?;
    let source = Mp4Source::from_movie("clip", &window, only(movie, track));
    let blocks = crate::audio::decode_first_packets(&source, FIRST_SOUND_PACKETS).map_err(|e| {
        ProbeError::SoundUndecodable {
            codec: audio_format,
            reason: reason(&e),
        }
    })?;
    if blocks == 0 {
        return Err(ProbeError::SoundUndecodable {
            codec: audio_format,
            reason: "the decoder gave no sound for its first packets".to_owned(),
        });
    }

    let ticks = if video.duration > 0 {
        video.duration
    } else {
        video.samples.iter().map(|s| i64::from(s.duration)).sum()
    };
    let timescale = i128::from(video.timescale.max(1));
    let duration_ms =
        u64::try_from((i128::from(ticks) * 1000 + timescale / 2) / timescale).unwrap_or(0);
    let fps = video
        .frame_rate
        .map(|r| r.rate().as_f64())
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or_else(|| {
            if duration_ms == 0 {
                0.0
            } else {
                video.frames.len() as f64 * 1000.0 / duration_ms as f64
            }
        });
    let (width, height) = match (&video.codec, video.width, video.height) {
        (CodecConfig::Video(codec), 0, _) | (CodecConfig::Video(codec), _, 0) => {
            (u32::from(codec.coded_width), u32::from(codec.coded_height))
        }
        (_, width, height) => (width, height),
    };
    Ok(ClipProbe {
        container,
        video: video_format,
        audio: audio_format,
        width,
        height,
        duration_ms,
        fps,
        codecs: format!("{video_codec}, {audio_codec}"),
    })
}

/// Every sample the index points at lies inside the file: checked from
/// the sample tables, without reading a sample.
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
            part: "the pictures and sound its index lists".to_owned(),
            runs_to: Some(end),
        });
    }
    Ok(())
}

/// The bytes of the first `count` samples of `track`, one after another,
/// and the track cut to those samples with offsets into those bytes.
fn first_samples(
    track: &Track,
    count: usize,
    file: &mut Clip<'_>,
) -> Result<(Vec<u8>, Track), ProbeError> {
    let mut cut = track.clone();
    cut.samples.truncate(count);
    cut.keyframes.retain(|&k| k < count);
    cut.frames.retain(|&f| f < count);
    let mut window = Vec::new();
    for sample in &mut cut.samples {
        let bytes = file.read_at(sample.offset, u64::from(sample.size))?;
        sample.offset = window.len() as u64;
        window.extend_from_slice(&bytes);
    }
    Ok((window, cut))
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
    text.strip_prefix("clip: ").unwrap_or(&text).to_owned()
}

/// MP4 or MOV by the first box; anything else named by its magic number.
fn container_of(head: &[u8]) -> Result<Container, ProbeError> {
    let not = |start: String| Err(ProbeError::NotAMovie { start });
    if head.is_empty() {
        return not("it is empty".to_owned());
    }
    match head.get(4..8) {
        Some(b"ftyp") => {
            let brand = head.get(8..12).unwrap_or_default();
            match brand {
                b"qt  " => Ok(Container::Mov),
                b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis" => {
                    not("it starts like a HEIC photo".to_owned())
                }
                b"avif" | b"avis" => not("it starts like an AVIF image".to_owned()),
                _ => Ok(Container::Mp4),
            }
        }
        // Old QuickTime files start straight with these.
        Some(b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot") => Ok(Container::Mov),
        _ => not(sniff(head)),
    }
}

/// What a file that is not a movie looks like, as "it starts like …".
fn sniff(head: &[u8]) -> String {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let named = if starts(b"\x89PNG\r\n\x1a\n") {
        "a PNG image"
    } else if starts(b"\xFF\xD8\xFF") {
        "a JPEG image"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "a GIF image"
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        "a WebP image"
    } else if starts(b"\x1A\x45\xDF\xA3") {
        "a WebM or Matroska (MKV) video"
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        "an AVI video"
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WAVE") {
        "a WAV sound file"
    } else if head.first() == Some(&0x47) && (head.len() < 189 || head.get(188) == Some(&0x47)) {
        "an MPEG transport stream (.ts)"
    } else if starts(b"\x00\x00\x01\xBA") {
        "an MPEG program stream (.mpg)"
    } else if starts(b"FLV") {
        "a Flash video (FLV)"
    } else if starts(b"OggS") {
        "an Ogg file"
    } else if starts(b"ID3") || starts(b"\xFF\xFB") || starts(b"\xFF\xF3") {
        "an MP3 sound file"
    } else if starts(b"%PDF") {
        "a PDF document"
    } else if starts(b"PK\x03\x04") {
        "a ZIP archive"
    } else if is_text(head) {
        let lower = String::from_utf8_lossy(&head[..head.len().min(64)]).to_ascii_lowercase();
        if lower.trim_start().starts_with("<!doctype html")
            || lower.trim_start().starts_with("<html")
        {
            "a web page (HTML)"
        } else {
            "plain text"
        }
    } else {
        return format!(
            "it starts with the bytes {}, which no movie does",
            hex(&head[..head.len().min(8)])
        );
    };
    format!("it starts like {named}")
}

/// Whether the start of a file reads as text (ASCII or UTF-8).
fn is_text(head: &[u8]) -> bool {
    let head = &head[..head.len().min(256)];
    // A UTF-8 character may be cut at the end of the window.
    let valid = match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    valid.is_some_and(|text| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A four-character code as text, unprintable bytes as `?`.
fn fourcc_text(code: [u8; 4]) -> String {
    code.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn video_format(track: &Track) -> Result<(VideoFormat, String), ProbeError> {
    let unsupported = |codec: String| Err(ProbeError::UnsupportedVideo { codec });
    match &track.codec {
        CodecConfig::Video(codec) => match &codec.fourcc.0 {
            b"avc1" | b"avc3" => Ok((VideoFormat::H264, codec.codec.clone())),
            b"hvc1" | b"hev1" => Ok((VideoFormat::Hevc, codec.codec.clone())),
            b"av01" => Ok((VideoFormat::Av1, codec.codec.clone())),
            b"vp09" => unsupported("VP9".to_owned()),
            other => unsupported(codec_name(*other)),
        },
        CodecConfig::Unknown { fourcc } => unsupported(codec_name(fourcc.0)),
        CodecConfig::Audio(codec) => unsupported(codec_name(codec.fourcc.0)),
    }
}

fn audio_format(track: &Track) -> Result<(AudioFormat, String), ProbeError> {
    let unsupported = |codec: String| Err(ProbeError::UnsupportedAudio { codec });
    let codec = match &track.codec {
        CodecConfig::Audio(codec) => codec,
        CodecConfig::Unknown { fourcc } => return unsupported(codec_name(fourcc.0)),
        CodecConfig::Video(codec) => return unsupported(codec_name(codec.fourcc.0)),
    };
    let format = match (&codec.fourcc.0, codec.object_type) {
        (b"Opus", _) => AudioFormat::Opus,
        (b"mp4a", Some(2 | 5 | 29)) => AudioFormat::Aac,
        (b"mp4a", Some(kind)) => return unsupported(mpeg4_audio_name(kind, &codec.codec)),
        (b"mp4a", None) => return unsupported(mp4a_name(&codec.codec)),
        (other, _) => return unsupported(codec_name(*other)),
    };
    if codec.channels > 2 {
        return unsupported(format!(
            "{} surround sound ({} channels)",
            format.label(),
            codec.channels
        ));
    }
    Ok((format, codec.codec.clone()))
}

/// An MPEG-4 audio object type other than AAC-LC and HE-AAC, by name.
fn mpeg4_audio_name(kind: u8, codec: &str) -> String {
    match kind {
        1 => "AAC Main".to_owned(),
        4 => "AAC-LTP".to_owned(),
        23 => "AAC-LD".to_owned(),
        39 => "AAC-ELD".to_owned(),
        42 => "xHE-AAC (USAC)".to_owned(),
        32..=34 => "MP3 (MPEG-1 audio in MPEG-4)".to_owned(),
        36 => "MPEG-4 ALS".to_owned(),
        _ => format!("an MPEG-4 audio kind other than AAC ({codec})"),
    }
}

/// An `mp4a` entry that is not MPEG-4 audio, by its object type code.
fn mp4a_name(codec: &str) -> String {
    match codec {
        "mp4a.69" | "mp4a.6b" => "MP3".to_owned(),
        "mp4a.66" | "mp4a.67" | "mp4a.68" => "MPEG-2 AAC".to_owned(),
        "mp4a.a5" => "Dolby Digital (AC-3)".to_owned(),
        "mp4a.a6" => "Dolby Digital Plus (E-AC-3)".to_owned(),
        "mp4a.a9" | "mp4a.aa" | "mp4a.ab" | "mp4a.ac" => "DTS".to_owned(),
        "mp4a.dd" => "Vorbis".to_owned(),
        "mp4a.40" => "AAC without its decoder configuration".to_owned(),
        _ => format!("an audio codec Chorus does not know ({codec})"),
    }
}

/// A codec's name from its sample entry code.
fn codec_name(code: [u8; 4]) -> String {
    let named = match &code {
        b"mp4v" => "MPEG-4 Part 2 (DivX/Xvid style)",
        b"apcn" | b"apch" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "Apple ProRes",
        b"jpeg" | b"mjpa" | b"mjpb" | b"mjp2" => "Motion JPEG",
        b"vp08" => "VP8",
        b"vp09" => "VP9",
        b"dvh1" | b"dvhe" | b"dvav" | b"dva1" => "Dolby Vision",
        b"s263" | b"h263" => "H.263",
        b"mp2v" | b"m2v1" | b"xdvc" | b"xd5c" | b"xd59" => "MPEG-2 video",
        b"dvc " | b"dvcp" | b"dv5n" | b"dv5p" | b"dvpp" | b"dvh5" | b"dvh6" => "DV",
        b"AVdn" | b"AVdh" => "Avid DNxHD",
        b"cvid" => "Cinepak",
        b"png " => "PNG frames",
        b"raw " | b"2vuy" | b"yuv2" | b"v210" => "uncompressed video",
        b"vvc1" | b"vvi1" => "H.266 / VVC",
        b"ac-3" => "Dolby Digital (AC-3)",
        b"ec-3" => "Dolby Digital Plus (E-AC-3)",
        b"ac-4" => "Dolby AC-4",
        b"alac" => "Apple Lossless (ALAC)",
        b"lpcm" | b"sowt" | b"twos" | b"in24" | b"in32" | b"fl32" | b"fl64" | b"ipcm" | b"fpcm"
        | b"raw\0" | b"NONE" => "uncompressed PCM",
        b"fLaC" => "FLAC",
        b".mp3" | b"mp3 " => "MP3",
        b"samr" => "AMR",
        b"sawb" => "AMR-WB",
        b"ulaw" | b"alaw" => "G.711",
        b"ima4" => "IMA ADPCM",
        b"Qclp" | b"sqcp" => "QCELP",
        _ => return format!("the codec \"{}\"", fourcc_text(code)),
    };
    named.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_with_separators() {
        assert_eq!(Bytes(0).to_string(), "0");
        assert_eq!(Bytes(999).to_string(), "999");
        assert_eq!(Bytes(1_000).to_string(), "1,000");
        assert_eq!(Bytes(2_147_483_648).to_string(), "2,147,483,648");
    }

    #[test]
    fn other_files_are_named_by_their_first_bytes() {
        let named = |head: &[u8]| match container_of(head) {
            Err(ProbeError::NotAMovie { start }) => start,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            named(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            "it starts like a PNG image"
        );
        assert_eq!(
            named(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            "it starts like a JPEG image"
        );
        assert_eq!(
            named(b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81"),
            "it starts like a WebM or Matroska (MKV) video"
        );
        assert_eq!(
            named(b"RIFF\x10\0\0\0AVI LIST"),
            "it starts like an AVI video"
        );
        let mut ts = vec![0_u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        assert_eq!(named(&ts), "it starts like an MPEG transport stream (.ts)");
        assert_eq!(
            named(b"Dear team,\nthe clip is attached."),
            "it starts like plain text"
        );
        assert_eq!(
            named(b"<!DOCTYPE html><html>"),
            "it starts like a web page (HTML)"
        );
        assert_eq!(
            named(&[0, 1, 2, 3, 0xfe, 5, 6, 7, 8, 9]),
            "it starts with the bytes 00 01 02 03 FE 05 06 07, which no movie does"
        );
        assert_eq!(named(b""), "it is empty");
        assert_eq!(
            named(b"\0\0\0\x18ftypheic\0\0\0\0"),
            "it starts like a HEIC photo"
        );
        assert!(matches!(
            container_of(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Ok(Container::Mov)
        ));
        assert!(matches!(
            container_of(b"\0\0\0\x18ftypisom\0\0\x02\0"),
            Ok(Container::Mp4)
        ));
        assert!(matches!(
            container_of(b"\0\0\0\x08wide\0\0\0\x10mdat"),
            Ok(Container::Mov)
        ));
    }

    #[test]
    fn every_message_is_a_sentence() {
        let errors = [
            ProbeError::Io {
                path: PathBuf::from("/tmp/clip.mp4"),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            ProbeError::NotAMovie {
                start: "it starts like a PNG image".to_owned(),
            },
            ProbeError::Truncated {
                size: 1_000_000,
                part: "its media data (the mdat box at byte 40)".to_owned(),
                runs_to: Some(2_000_000),
            },
            ProbeError::Truncated {
                size: 1_000_000,
                part: "its index".to_owned(),
                runs_to: None,
            },
            ProbeError::Damaged {
                reason: "its index (the moov box at byte 12) cannot be read (no mvhd)".to_owned(),
            },
            ProbeError::Fragmented,
            ProbeError::NoPicture,
            ProbeError::NoSound,
            ProbeError::UnsupportedVideo {
                codec: "VP9".to_owned(),
            },
            ProbeError::UnsupportedAudio {
                codec: "FLAC".to_owned(),
            },
            ProbeError::PictureUndecodable {
                codec: VideoFormat::Hevc,
                reason: "bad".to_owned(),
            },
            ProbeError::SoundUndecodable {
                codec: AudioFormat::Opus,
                reason: "bad".to_owned(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.starts_with(char::is_uppercase), "{text}");
            assert!(text.ends_with('.'), "{text}");
        }
        let cut = ProbeError::Truncated {
            size: 1_000_000,
            part: "its media data (the mdat box at byte 40)".to_owned(),
            runs_to: Some(2_000_000),
        };
        assert_eq!(
            cut.to_string(),
            "This movie is cut short: the file is 1,000,000 bytes long, but it would have to reach byte 2,000,000 to hold its media data (the mdat box at byte 40) — an incomplete download or copy? Upload the complete file."
        );
    }
}
