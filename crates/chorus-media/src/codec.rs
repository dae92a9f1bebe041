//! Reads the first sample entry of `stsd` into a decoder configuration: the
//! raw configuration record plus the WebCodecs codec string built from it
//! (see the WebCodecs codec registry and ISO/IEC 14496-15 Annex E for HEVC).

use std::fmt::Write as _;

use crate::boxes::BoxRef;
use crate::error::{FourCc, Result};
use crate::movie::{AudioCodec, AvcProfile, CodecConfig, VideoCodec};
use crate::reader::Reader;

/// Bytes of a VisualSampleEntry before its child boxes.
const VISUAL_ENTRY_LEN: usize = 78;
/// Bytes of an AudioSampleEntry (version 0) before its child boxes.
const AUDIO_ENTRY_LEN: usize = 28;

pub(crate) fn read_stsd(stsd: &BoxRef<'_>) -> Result<CodecConfig> {
    let mut r = stsd.reader();
    r.full_box()?;
    let count = r.u32()?;
    if count == 0 {
        return Err(r.invalid("no sample entries"));
    }
    // Files with several sample descriptions are rare; the preview plays
    // tracks encoded in one go, so the first entry describes every sample.
    let entry = stsd
        .children_after(8)
        .next()
        .transpose()?
        .ok_or_else(|| r.invalid("no sample entries"))?;
    match &entry.kind.0 {
        b"avc1" | b"avc3" | b"hvc1" | b"hev1" | b"av01" | b"vp09" => read_video(&entry),
        b"mp4a" | b"Opus" => read_audio(&entry),
        _ => Ok(CodecConfig::Unknown { fourcc: entry.kind }),
    }
}

fn read_video(entry: &BoxRef<'_>) -> Result<CodecConfig> {
    let mut r = entry.reader();
    // reserved(6) data_reference_index(2) pre_defined/reserved(16)
    r.skip(24)?;
    let coded_width = r.u16()?;
    let coded_height = r.u16()?;
    r.skip(VISUAL_ENTRY_LEN - 28)?;
    let config_kind = match &entry.kind.0 {
        b"avc1" | b"avc3" => b"avcC",
        b"hvc1" | b"hev1" => b"hvcC",
        b"av01" => b"av1C",
        _ => b"vpcC",
    };
    let mut config = None;
    for child in entry.children_after(VISUAL_ENTRY_LEN) {
        let child = child?;
        if &child.kind.0 == config_kind {
            config = Some(child);
            break;
        }
    }
    let config = config.ok_or(crate::error::MediaError::MissingBox {
        missing: FourCc(*config_kind),
        parent: entry.kind,
        offset: entry.offset,
    })?;
    let mut avc = None;
    let codec = match config_kind {
        b"avcC" => {
            let profile = avc_profile(&config)?;
            avc = Some(profile);
            format!(
                "{}.{:02x}{:02x}{:02x}",
                entry.kind, profile.profile_idc, profile.constraint_flags, profile.level_idc
            )
        }
        b"hvcC" => hevc_codec_string(entry.kind, &config)?,
        b"av1C" => av1_codec_string(&config)?,
        _ => vp9_codec_string(&config)?,
    };
    Ok(CodecConfig::Video(VideoCodec {
        fourcc: entry.kind,
        codec,
        coded_width,
        coded_height,
        config_record: config.body.to_vec(),
        avc,
    }))
}

fn avc_profile(avcc: &BoxRef<'_>) -> Result<AvcProfile> {
    let mut r = avcc.reader();
    let version = r.u8()?;
    if version != 1 {
        return Err(r.invalid(format!("configuration version {version}, expected 1")));
    }
    Ok(AvcProfile {
        profile_idc: r.u8()?,
        constraint_flags: r.u8()?,
        level_idc: r.u8()?,
    })
}

/// `hvc1.<space><profile>.<compat>.<tier><level>[.<constraint bytes>]`.
fn hevc_codec_string(fourcc: FourCc, hvcc: &BoxRef<'_>) -> Result<String> {
    let mut r = hvcc.reader();
    let version = r.u8()?;
    if version != 1 {
        return Err(r.invalid(format!("configuration version {version}, expected 1")));
    }
    let byte = r.u8()?;
    let space = ["", "A", "B", "C"]
        .get(usize::from(byte >> 6))
        .copied()
        .unwrap_or_default();
    let tier = if byte & 0x20 == 0 { 'L' } else { 'H' };
    let profile_idc = byte & 0x1f;
    // The compatibility flags are written in reverse bit order.
    let compat = r.u32()?.reverse_bits();
    let constraints = r.bytes(6)?;
    let level = r.u8()?;
    let mut s = format!("{fourcc}.{space}{profile_idc}.{compat:X}.{tier}{level}");
    let used = constraints
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    for b in constraints.iter().take(used) {
        let _ = write!(s, ".{b:02X}");
    }
    Ok(s)
}

/// `av01.<profile>.<level><tier>.<bit depth>` (the short form).
fn av1_codec_string(av1c: &BoxRef<'_>) -> Result<String> {
    let mut r = av1c.reader();
    let marker = r.u8()?;
    if marker != 0x81 {
        return Err(r.invalid(format!("marker/version byte {marker:#04x}, expected 0x81")));
    }
    let b1 = r.u8()?;
    let b2 = r.u8()?;
    let profile = b1 >> 5;
    let level = b1 & 0x1f;
    let tier = if b2 & 0x80 == 0 { 'M' } else { 'H' };
    let depth = match (b2 & 0x40 != 0, b2 & 0x20 != 0) {
        (false, _) => 8,
        (true, false) => 10,
        (true, true) => 12,
    };
    Ok(format!("av01.{profile}.{level:02}{tier}.{depth:02}"))
}

/// `vp09.<profile>.<level>.<bit depth>` (the short form).
fn vp9_codec_string(vpcc: &BoxRef<'_>) -> Result<String> {
    let mut r = vpcc.reader();
    let (version, _) = r.full_box()?;
    if version != 1 {
        return Err(r.unsupported("vpcC version other than 1"));
    }
    let profile = r.u8()?;
    let level = r.u8()?;
    let depth = r.u8()? >> 4;
    Ok(format!("vp09.{profile:02}.{level:02}.{depth:02}"))
}

fn read_audio(entry: &BoxRef<'_>) -> Result<CodecConfig> {
    let mut r = entry.reader();
    r.skip(8)?; // reserved(6) data_reference_index(2)
    let version = r.u16()?;
    r.skip(6)?; // revision(2) vendor(4)
    let mut channels = r.u16()?;
    r.skip(6)?; // sample size(2) pre_defined(2) reserved(2)
    let mut sample_rate = r.u32()? >> 16;
    // QuickTime sound description versions put more fields before children.
    let extra = match version {
        0 => 0,
        1 => 16,
        2 => {
            r.skip(4)?; // size of struct
            sample_rate = f64::from_bits(r.u64()?) as u32;
            channels = u16::try_from(r.u32()?).unwrap_or(u16::MAX);
            36
        }
        _ => return Err(r.unsupported("sound sample entry version above 2")),
    };
    let children = entry.children_after(AUDIO_ENTRY_LEN + extra);
    if &entry.kind.0 == b"Opus" {
        return Ok(CodecConfig::Audio(AudioCodec {
            fourcc: entry.kind,
            codec: "opus".to_owned(),
            sample_rate,
            channels,
            object_type: None,
            description: None,
        }));
    }
    // An MP4 keeps `esds` in the entry; a QuickTime sound description of
    // version 1 or 2 (ffmpeg's MOVs, many cameras) keeps it inside `wave`.
    let mut esds = None;
    for child in children {
        let child = child?;
        if &child.kind.0 == b"esds" {
            esds = Some(child);
            break;
        }
        if &child.kind.0 == b"wave" {
            esds = child.find(FourCc::new(b"esds"))?;
            if esds.is_some() {
                break;
            }
        }
    }
    let esds = esds.ok_or(crate::error::MediaError::MissingBox {
        missing: FourCc::new(b"esds"),
        parent: entry.kind,
        offset: entry.offset,
    })?;
    let es = read_esds(&esds)?;
    let (codec, object_type) = if es.object_type_indication == 0x40 {
        let aot = es
            .specific_info
            .map(|asc| audio_object_type(asc, &esds))
            .transpose()?;
        match aot {
            Some(aot) => (format!("mp4a.40.{aot}"), Some(aot)),
            None => ("mp4a.40".to_owned(), None),
        }
    } else {
        (format!("mp4a.{:02x}", es.object_type_indication), None)
    };
    Ok(CodecConfig::Audio(AudioCodec {
        fourcc: entry.kind,
        codec,
        sample_rate,
        channels,
        object_type,
        description: es.specific_info.map(<[u8]>::to_vec),
    }))
}

struct EsInfo<'a> {
    object_type_indication: u8,
    specific_info: Option<&'a [u8]>,
}

/// Walks the MPEG-4 descriptors in `esds` (ISO/IEC 14496-1 §7.2.6) down to
/// the DecoderConfigDescriptor and its DecoderSpecificInfo.
fn read_esds<'a>(esds: &BoxRef<'a>) -> Result<EsInfo<'a>> {
    let mut r = esds.reader();
    r.full_box()?;
    let mut es = descriptor(&mut r, 0x03)?;
    es.skip(2)?; // ES_ID
    let flags = es.u8()?;
    if flags & 0x80 != 0 {
        es.skip(2)?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let len = es.u8()?;
        es.skip(usize::from(len))?; // URL
    }
    if flags & 0x20 != 0 {
        es.skip(2)?; // OCR_ES_Id
    }
    let mut config = descriptor(&mut es, 0x04)?;
    let object_type_indication = config.u8()?;
    config.skip(12)?; // stream type, buffer size, max and average bitrate
    let specific_info = if config.remaining() > 0 {
        Some(descriptor(&mut config, 0x05)?.rest())
    } else {
        None
    };
    Ok(EsInfo {
        object_type_indication,
        specific_info,
    })
}

/// Reads one descriptor header of the expected `tag` and returns a reader
/// over its payload.
fn descriptor<'a>(r: &mut Reader<'a>, tag: u8) -> Result<Reader<'a>> {
    let found = r.u8()?;
    if found != tag {
        return Err(r.invalid(format!("descriptor tag {found:#04x}, expected {tag:#04x}")));
    }
    // Sizes are up to four 7-bit groups, high bit set on all but the last.
    let mut len = 0usize;
    for _ in 0..4 {
        let b = r.u8()?;
        len = (len << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
    }
    let offset = r.offset();
    let payload = r.bytes(len)?;
    Ok(Reader::new(payload, offset, r.kind(), offset))
}

/// The audio object type at the start of an AudioSpecificConfig: five bits,
/// or 32 plus six more bits when those five are all ones.
fn audio_object_type(asc: &[u8], esds: &BoxRef<'_>) -> Result<u8> {
    let mut r = Reader::new(asc, esds.body_offset(), esds.kind, esds.offset);
    let first = r.u8()?;
    let aot = first >> 3;
    if aot != 31 {
        return Ok(aot);
    }
    let second = r.u8()?;
    Ok(32 + (((first & 0x07) << 3) | (second >> 5)))
}
