//! A small MP4 writer for exactly what the draft engine makes: one H.264
//! track, optionally one AAC-LC track, index (`moov`) before the data
//! (faststart), samples interleaved in one-second chunks.
//!
//! Written by hand rather than through a muxer crate so that every timestamp
//! is an exact integer (frame n starts at n/fps), the AAC encoder delay is
//! trimmed with an edit list, and no wall-clock time leaks into the file:
//! the same input gives the same bytes.

/// The video track: Annex-B-free access units (AVCC, 4-byte lengths).
pub struct VideoTrack {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
    /// One entry per frame: (length-prefixed NAL units, is keyframe).
    pub samples: Vec<(Vec<u8>, bool)>,
}

/// The audio track: raw AAC access units of 1024 samples each.
pub struct AudioTrack {
    pub sample_rate: u32,
    pub channels: u16,
    /// AudioSpecificConfig from the encoder.
    pub config: Vec<u8>,
    /// Samples of encoder delay to skip at the start (edit list).
    pub delay: u32,
    /// Samples the track should play after the delay.
    pub play_samples: u64,
    pub frames: Vec<Vec<u8>>,
    pub bitrate: u32,
}

const MOVIE_TIMESCALE: u32 = 1000;
/// Video media timescale per fps unit, so a frame lasts `VIDEO_TICKS` ticks.
const VIDEO_TICKS: u32 = 1000;
const AAC_FRAME: u32 = 1024;

/// Builds the whole file in memory.
pub fn write(video: &VideoTrack, audio: Option<&AudioTrack>) -> Vec<u8> {
    let chunks = plan_chunks(video, audio);
    // The moov's size does not depend on the offsets' values (stco is 32-bit
    // throughout), so build it once to learn its size, then for real.
    let ftyp = ftyp();
    let probe = moov(video, audio, &chunks, 0);
    let data_start = (ftyp.len() + probe.len() + 8) as u64;
    let moov = moov(video, audio, &chunks, data_start);
    debug_assert_eq!(moov.len(), probe.len());

    let payload: usize = chunks.iter().map(|c| c.bytes).sum();
    let mut out = Vec::with_capacity(ftyp.len() + moov.len() + 8 + payload);
    out.extend_from_slice(&ftyp);
    out.extend_from_slice(&moov);
    out.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"mdat");
    for chunk in &chunks {
        let samples: Box<dyn Iterator<Item = &Vec<u8>>> = match chunk.track {
            Track::Video => Box::new(
                video.samples[chunk.first..chunk.first + chunk.count]
                    .iter()
                    .map(|s| &s.0),
            ),
            Track::Audio => match audio {
                Some(a) => Box::new(a.frames[chunk.first..chunk.first + chunk.count].iter()),
                None => Box::new(std::iter::empty()),
            },
        };
        for s in samples {
            out.extend_from_slice(s);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Track {
    Video,
    Audio,
}

/// A run of consecutive samples of one track stored together in mdat.
struct Chunk {
    track: Track,
    first: usize,
    count: usize,
    /// Offset from the start of mdat's payload.
    offset: u64,
    bytes: usize,
}

fn plan_chunks(video: &VideoTrack, audio: Option<&AudioTrack>) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut offset = 0u64;
    let per_video = video.fps.max(1) as usize;
    let per_audio = audio.map_or(1, |a| (a.sample_rate / AAC_FRAME).max(1) as usize);
    let (mut v, mut a) = (0usize, 0usize);
    let audio_len = audio.map_or(0, |t| t.frames.len());
    while v < video.samples.len() || a < audio_len {
        if v < video.samples.len() {
            let count = per_video.min(video.samples.len() - v);
            let bytes = video.samples[v..v + count].iter().map(|s| s.0.len()).sum();
            chunks.push(Chunk {
                track: Track::Video,
                first: v,
                count,
                offset,
                bytes,
            });
            offset += bytes as u64;
            v += count;
        }
        if let Some(t) = audio
            && a < audio_len
        {
            let count = per_audio.min(audio_len - a);
            let bytes = t.frames[a..a + count].iter().map(Vec::len).sum();
            chunks.push(Chunk {
                track: Track::Audio,
                first: a,
                count,
                offset,
                bytes,
            });
            offset += bytes as u64;
            a += count;
        }
    }
    chunks
}

/// Appends a box: size, type, then whatever `body` writes.
fn bx(out: &mut Vec<u8>, kind: [u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&kind);
    body(out);
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// A full box: version and flags before the body.
fn full(
    out: &mut Vec<u8>,
    kind: [u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    bx(out, kind, |o| {
        o.push(version);
        o.extend_from_slice(&flags.to_be_bytes()[1..]);
        body(o);
    });
}

fn u16be(o: &mut Vec<u8>, v: u16) {
    o.extend_from_slice(&v.to_be_bytes());
}
fn u32be(o: &mut Vec<u8>, v: u32) {
    o.extend_from_slice(&v.to_be_bytes());
}

fn ftyp() -> Vec<u8> {
    let mut o = Vec::new();
    bx(&mut o, *b"ftyp", |o| {
        o.extend_from_slice(b"isom");
        u32be(o, 0x200);
        for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
            o.extend_from_slice(brand);
        }
    });
    o
}

/// The unity matrix every header carries.
fn matrix(o: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        u32be(o, v);
    }
}

fn video_duration_ms(video: &VideoTrack) -> u32 {
    (video.samples.len() as u64 * 1000 / u64::from(video.fps.max(1))) as u32
}

fn moov(
    video: &VideoTrack,
    audio: Option<&AudioTrack>,
    chunks: &[Chunk],
    data_start: u64,
) -> Vec<u8> {
    let mut o = Vec::new();
    let duration = video_duration_ms(video);
    bx(&mut o, *b"moov", |o| {
        full(o, *b"mvhd", 0, 0, |o| {
            u32be(o, 0); // creation time: fixed, for byte-identical output
            u32be(o, 0);
            u32be(o, MOVIE_TIMESCALE);
            u32be(o, duration);
            u32be(o, 0x0001_0000); // rate 1.0
            u16be(o, 0x0100); // volume 1.0
            o.extend_from_slice(&[0; 10]);
            matrix(o);
            o.extend_from_slice(&[0; 24]);
            u32be(o, if audio.is_some() { 3 } else { 2 }); // next track id
        });
        video_trak(o, video, duration, chunks, data_start);
        if let Some(a) = audio {
            audio_trak(o, a, duration, chunks, data_start);
        }
    });
    o
}

fn tkhd(o: &mut Vec<u8>, id: u32, duration: u32, audio: bool, size: (u32, u32)) {
    full(o, *b"tkhd", 0, 3, |o| {
        u32be(o, 0);
        u32be(o, 0);
        u32be(o, id);
        u32be(o, 0);
        u32be(o, duration);
        o.extend_from_slice(&[0; 8]);
        u16be(o, 0); // layer
        u16be(o, u16::from(audio)); // alternate group
        u16be(o, if audio { 0x0100 } else { 0 });
        u16be(o, 0);
        matrix(o);
        u32be(o, size.0 << 16);
        u32be(o, size.1 << 16);
    });
}

fn mdhd_hdlr(o: &mut Vec<u8>, timescale: u32, duration: u32, handler: [u8; 4], name: &str) {
    full(o, *b"mdhd", 0, 0, |o| {
        u32be(o, 0);
        u32be(o, 0);
        u32be(o, timescale);
        u32be(o, duration);
        u16be(o, 0x55c4); // language "und"
        u16be(o, 0);
    });
    full(o, *b"hdlr", 0, 0, |o| {
        u32be(o, 0);
        o.extend_from_slice(&handler);
        o.extend_from_slice(&[0; 12]);
        o.extend_from_slice(name.as_bytes());
        o.push(0);
    });
}

fn dinf(o: &mut Vec<u8>) {
    bx(o, *b"dinf", |o| {
        full(o, *b"dref", 0, 0, |o| {
            u32be(o, 1);
            full(o, *b"url ", 0, 1, |_| {});
        });
    });
}

/// stsc + stsz + stco for one track's chunks.
fn sample_tables(
    o: &mut Vec<u8>,
    track: Track,
    sizes: &[usize],
    chunks: &[Chunk],
    data_start: u64,
) {
    let mine: Vec<&Chunk> = chunks.iter().filter(|c| c.track == track).collect();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (i, c) in mine.iter().enumerate() {
        if runs.last().is_none_or(|r| r.1 != c.count as u32) {
            runs.push((i as u32 + 1, c.count as u32));
        }
    }
    full(o, *b"stsc", 0, 0, |o| {
        u32be(o, runs.len() as u32);
        for (first, count) in &runs {
            u32be(o, *first);
            u32be(o, *count);
            u32be(o, 1);
        }
    });
    full(o, *b"stsz", 0, 0, |o| {
        u32be(o, 0);
        u32be(o, sizes.len() as u32);
        for s in sizes {
            u32be(o, *s as u32);
        }
    });
    full(o, *b"stco", 0, 0, |o| {
        u32be(o, mine.len() as u32);
        for c in &mine {
            u32be(o, (data_start + c.offset) as u32);
        }
    });
}

fn video_trak(o: &mut Vec<u8>, v: &VideoTrack, duration: u32, chunks: &[Chunk], data_start: u64) {
    let timescale = v.fps * VIDEO_TICKS;
    let media_duration = v.samples.len() as u32 * VIDEO_TICKS;
    bx(o, *b"trak", |o| {
        tkhd(o, 1, duration, false, (v.width, v.height));
        bx(o, *b"mdia", |o| {
            mdhd_hdlr(o, timescale, media_duration, *b"vide", "Chorus draft video");
            bx(o, *b"minf", |o| {
                full(o, *b"vmhd", 0, 1, |o| o.extend_from_slice(&[0; 8]));
                dinf(o);
                bx(o, *b"stbl", |o| {
                    full(o, *b"stsd", 0, 0, |o| {
                        u32be(o, 1);
                        avc1(o, v);
                    });
                    full(o, *b"stts", 0, 0, |o| {
                        u32be(o, 1);
                        u32be(o, v.samples.len() as u32);
                        u32be(o, VIDEO_TICKS);
                    });
                    let keys: Vec<u32> = v
                        .samples
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.1)
                        .map(|(i, _)| i as u32 + 1)
                        .collect();
                    full(o, *b"stss", 0, 0, |o| {
                        u32be(o, keys.len() as u32);
                        for k in keys {
                            u32be(o, k);
                        }
                    });
                    let sizes: Vec<usize> = v.samples.iter().map(|s| s.0.len()).collect();
                    sample_tables(o, Track::Video, &sizes, chunks, data_start);
                });
            });
        });
    });
}

fn avc1(o: &mut Vec<u8>, v: &VideoTrack) {
    bx(o, *b"avc1", |o| {
        o.extend_from_slice(&[0; 6]);
        u16be(o, 1); // data reference index
        o.extend_from_slice(&[0; 16]);
        u16be(o, v.width as u16);
        u16be(o, v.height as u16);
        u32be(o, 0x0048_0000); // 72 dpi
        u32be(o, 0x0048_0000);
        u32be(o, 0);
        u16be(o, 1); // frames per sample
        o.extend_from_slice(&[0; 32]); // compressor name
        u16be(o, 0x18); // depth
        u16be(o, 0xffff);
        bx(o, *b"avcC", |o| {
            o.push(1);
            // profile, compatibility and level come straight from the SPS.
            o.extend_from_slice(v.sps.get(1..4).unwrap_or(&[66, 0xc0, 40]));
            o.push(0xff); // 4-byte NAL lengths
            o.push(0xe1); // one SPS
            u16be(o, v.sps.len() as u16);
            o.extend_from_slice(&v.sps);
            o.push(1);
            u16be(o, v.pps.len() as u16);
            o.extend_from_slice(&v.pps);
        });
    });
}

fn audio_trak(o: &mut Vec<u8>, a: &AudioTrack, duration: u32, chunks: &[Chunk], data_start: u64) {
    let media_duration = a.frames.len() as u32 * AAC_FRAME;
    let play_ms = (a.play_samples * 1000 / u64::from(a.sample_rate)) as u32;
    bx(o, *b"trak", |o| {
        tkhd(o, 2, duration.min(play_ms), true, (0, 0));
        // Skip the encoder's priming samples so sound starts exactly at 0.
        bx(o, *b"edts", |o| {
            full(o, *b"elst", 0, 0, |o| {
                u32be(o, 1);
                u32be(o, play_ms);
                u32be(o, a.delay);
                u32be(o, 0x0001_0000);
            });
        });
        bx(o, *b"mdia", |o| {
            mdhd_hdlr(
                o,
                a.sample_rate,
                media_duration,
                *b"soun",
                "Chorus draft audio",
            );
            bx(o, *b"minf", |o| {
                full(o, *b"smhd", 0, 0, |o| o.extend_from_slice(&[0; 4]));
                dinf(o);
                bx(o, *b"stbl", |o| {
                    full(o, *b"stsd", 0, 0, |o| {
                        u32be(o, 1);
                        mp4a(o, a);
                    });
                    full(o, *b"stts", 0, 0, |o| {
                        u32be(o, 1);
                        u32be(o, a.frames.len() as u32);
                        u32be(o, AAC_FRAME);
                    });
                    let sizes: Vec<usize> = a.frames.iter().map(Vec::len).collect();
                    sample_tables(o, Track::Audio, &sizes, chunks, data_start);
                });
            });
        });
    });
}

fn mp4a(o: &mut Vec<u8>, a: &AudioTrack) {
    bx(o, *b"mp4a", |o| {
        o.extend_from_slice(&[0; 6]);
        u16be(o, 1);
        o.extend_from_slice(&[0; 8]);
        u16be(o, a.channels);
        u16be(o, 16);
        u32be(o, 0);
        u32be(o, a.sample_rate << 16);
        full(o, *b"esds", 0, 0, |o| {
            let max_frame = a.frames.iter().map(Vec::len).max().unwrap_or(0) as u32;
            let dsi_len = a.config.len() as u8;
            let dcd_len = 13 + 2 + dsi_len;
            let es_len = 3 + 2 + dcd_len + 3;
            o.extend_from_slice(&[0x03, es_len]);
            u16be(o, 2); // ES id
            o.push(0);
            o.extend_from_slice(&[0x04, dcd_len, 0x40, 0x15]); // MPEG-4 audio stream
            o.extend_from_slice(&max_frame.to_be_bytes()[1..]); // buffer size
            u32be(o, a.bitrate);
            u32be(o, a.bitrate);
            o.extend_from_slice(&[0x05, dsi_len]);
            o.extend_from_slice(&a.config);
            o.extend_from_slice(&[0x06, 1, 2]); // SL config: predefined
        });
    });
}
