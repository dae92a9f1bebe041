//! The command line as a QC script uses it: `chorus draft` makes a fixture
//! with a known A/V offset, `chorus sync --json` measures it and prints the
//! promised fields, and files it cannot analyse fail with a clear message.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chorus() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chorus"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../chorus-decode/tests/fixtures")
        .join(name)
}

#[test]
fn a_fixture_rendered_late_is_measured_late_with_every_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = dir.path().join("late.mp4");
    let out = chorus()
        .args([
            "draft",
            "--lang",
            "de",
            "--duration",
            "4",
            "--aspect",
            "9:16",
        ])
        .args(["--text", "Frische Tulpen, jeden Morgen, direkt vom Feld."])
        .arg("--av-offset-ms=120")
        .arg("--out")
        .arg(&clip)
        .output()
        .expect("chorus draft runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a terminal: no progress bar in the captured output, just the summary.
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("Rendering ["), "{said}");
    assert!(
        said.contains("Wrote ") && said.contains("720×1280"),
        "{said}"
    );
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(clip.with_extension("json")).expect("sidecar"))
            .expect("sidecar JSON");
    assert_eq!(sidecar["av_offset_ms"], 120);
    assert!(sidecar["visemes"][0]["start_frame"].is_u64(), "{sidecar}");

    let out = chorus()
        .arg("sync")
        .arg(&clip)
        .args(["--json", "--rendered"])
        .output()
        .expect("chorus sync runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let offset = report["av_offset_ms"].as_f64().expect("av_offset_ms");
    assert!((offset - 120.0).abs() <= 40.0, "measured {offset} ms");
    assert!(report["confidence"].as_f64().expect("confidence") > 0.1);
    assert_eq!(report["fps"].as_f64(), Some(24.0));
    assert_eq!(report["frames"].as_u64(), Some(96));
    let region = &report["mouth_region"];
    for field in ["x", "y", "w", "h"] {
        let v = region[field].as_f64().expect("region field");
        assert!((0.0..=1.0).contains(&v), "{field} = {v}");
    }
    let windows = report["windows"].as_array().expect("windows");
    assert!(!windows.is_empty());
    assert!(windows.iter().all(|w| w["offset_ms"].is_f64()));
}

#[test]
fn files_without_sound_or_picture_fail_with_a_clear_message() {
    for (name, missing) in [
        ("video_only.mp4", "has no audio track"),
        ("audio_only.mp4", "has no video track"),
    ] {
        let out = chorus()
            .arg("sync")
            .arg(fixture(name))
            .arg("--json")
            .output()
            .expect("chorus sync runs");
        assert!(!out.status.success(), "{name} should fail");
        assert!(out.stdout.is_empty(), "{name}: no report on stdout");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains(missing) && said.contains("lip-sync needs both picture and sound"),
            "{name}: {said}"
        );
    }
    let out = chorus()
        .args(["sync", "/nonexistent/clip.mp4"])
        .output()
        .expect("chorus sync runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not read /nonexistent/clip.mp4"));
}
