//! The same request and seed give byte-identical files whatever the process
//! spoke before: a take rendered after other lines must equal the same take
//! rendered as the very first thing a fresh process does.

mod support;

use chorus_core::{AspectRatio, Language, Resolution};
use chorus_draft::Rendered;
use support::{child_voice, request, take};

/// Set in the copy of this test binary that renders the fresh reference.
const FRESH_TAKE_OUT: &str = "CHORUS_DRAFT_FRESH_TAKE_OUT";
const THIS_TEST: &str = "a_take_is_the_same_whatever_the_process_spoke_before";

fn take_a() -> Rendered {
    take(
        request(AspectRatio::Square, Resolution::P720, 3, 24),
        Some((Language::English, "Same again, please.")),
        0,
    )
}

#[test]
fn a_take_is_the_same_whatever_the_process_spoke_before() {
    if let Ok(out) = std::env::var(FRESH_TAKE_OUT) {
        // The fresh process: take A is the first line it ever speaks, with
        // espeak-ng in this very process, the reference a child must match.
        support::child_voice();
        chorus_draft::set_speaker(chorus_draft::Speaker::InProcess);
        std::fs::write(out, take_a().mp4).expect("fresh take written");
        return;
    }
    let out = std::env::temp_dir().join(format!("chorus-draft-fresh-{}.mp4", std::process::id()));
    let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([THIS_TEST, "--exact", "--test-threads=1", "--quiet"])
        .env(FRESH_TAKE_OUT, &out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the test binary runs again");
    assert!(status.success(), "the fresh render failed: {status}");
    let fresh = std::fs::read(&out).expect("fresh take");
    let _ = std::fs::remove_file(&out);

    // This process speaks other lines (another language, another text)
    // before and between two renders of A.
    child_voice();
    let _b = take(
        request(AspectRatio::Landscape16x9, Resolution::P720, 3, 25),
        Some((Language::German, "Guten Morgen, liebe Gäste!")),
        0,
    );
    let a = take_a();
    let _c = take(
        request(AspectRatio::Portrait9x16, Resolution::P720, 3, 30),
        Some((Language::French, "Encore une fois, s'il vous plaît.")),
        0,
    );
    let a_again = take_a();
    assert!(
        a.mp4 == fresh,
        "take A after another line differs from a fresh process's"
    );
    assert!(
        a_again.mp4 == fresh,
        "take A spoken again differs from a fresh process's"
    );
}
