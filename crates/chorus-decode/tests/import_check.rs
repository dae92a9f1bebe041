//! The import check by bytes, on a real recording and on copies broken the
//! ways files arrive broken: cut short, an image renamed, a codec Chorus
//! does not take, a picture or a sound missing. Each is refused with a
//! sentence that says what is wrong.

use std::path::PathBuf;

use chorus_decode::{AudioFormat, Container, ProbeError, VideoFormat, probe_bytes, probe_file};

fn footage(name: &str) -> PathBuf {
    let dir = std::env::var_os("CHORUS_FOOTAGE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/footage"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "real footage missing: {} (the shared folder beside the repository, or CHORUS_FOOTAGE)",
        path.display()
    );
    path
}

/// `bytes` with the first `from` inside its index replaced by `to`.
fn patched(bytes: &[u8], from: &[u8; 4], to: &[u8; 4]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = out
        .windows(4)
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(from)));
    out[at..at + 4].copy_from_slice(to);
    out
}

fn refused(bytes: &[u8]) -> ProbeError {
    probe_bytes(bytes).expect_err("the copy should be refused")
}

#[test]
fn a_real_recording_passes_read_from_disk_or_memory() {
    let path = footage("talking-5.mp4");
    let probe = probe_file(&path).expect("talking-5 passes");
    assert_eq!(probe.container, Container::Mp4);
    assert_eq!(probe.video, VideoFormat::H264);
    assert_eq!(probe.audio, AudioFormat::Aac);
    assert_eq!((probe.width, probe.height), (524, 524));
    assert!((probe.fps - 25.0).abs() < 0.01, "{}", probe.fps);
    assert!((4_850..=4_950).contains(&probe.duration_ms), "{}", probe.duration_ms);
    assert!(probe.codecs.starts_with("avc1.") && probe.codecs.contains("mp4a.40.2"), "{}", probe.codecs);
    assert!(probe.decoded_here);
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(probe_bytes(&bytes).expect("passes"), probe);
}

#[test]
fn broken_copies_are_refused_with_the_reason() {
    let path = footage("talking-5.mp4");
    let bytes = std::fs::read(&path).expect("read");

    let cut = refused(&bytes[..bytes.len() * 6 / 10]);
    assert!(matches!(cut, ProbeError::Truncated { .. }), "{cut}");
    assert!(cut.to_string().contains("cut short"), "{cut}");
    // From disk too, where the index is found by walking the boxes.
    let dir = tempfile::tempdir().expect("tempdir");
    let cut_path = dir.path().join("cut.mp4");
    std::fs::write(&cut_path, &bytes[..bytes.len() / 2]).expect("write");
    let cut = probe_file(&cut_path).expect_err("refused");
    assert!(matches!(cut, ProbeError::Truncated { .. }), "{cut}");
    let head_only = dir.path().join("head.mp4");
    std::fs::write(&head_only, &bytes[..600]).expect("write");
    let head = probe_file(&head_only).expect_err("refused");
    assert!(head.to_string().contains("cut short"), "{head}");

    let png = refused(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x02\0\0\0");
    assert!(png.to_string().contains("it looks like a PNG image"), "{png}");
    let text = refused(b"<html><body>Not found</body></html>");
    assert!(text.to_string().contains("plain text"), "{text}");
    assert!(matches!(refused(b""), ProbeError::NotAMovie(_)));

    let mpeg4 = refused(&patched(&bytes, b"avc1", b"mp4v"));
    assert_eq!(
        mpeg4.to_string(),
        "its picture is MPEG-4 Part 2, which Chorus does not import; re-export it as H.264, HEVC or AV1"
    );
    let ac3 = refused(&patched(&bytes, b"mp4a", b"ac-3"));
    assert!(ac3.to_string().contains("Dolby Digital (AC-3)"), "{ac3}");

    let silent = refused(&patched(&bytes, b"soun", b"text"));
    assert!(matches!(silent, ProbeError::NoSound), "{silent}");
    let blind = refused(&patched(&bytes, b"vide", b"text"));
    assert!(matches!(blind, ProbeError::NoPicture), "{blind}");
}
