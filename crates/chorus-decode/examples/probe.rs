//! The import check on files, as the server runs it:
//! `cargo run -p chorus-decode --example probe -- clip.mov [more.mp4 …]`.
//! Prints what each clip is, or the sentence it is refused with.

use std::path::Path;

fn main() {
    for path in std::env::args().skip(1) {
        match chorus_decode::probe_file(Path::new(&path)) {
            Ok(probe) => println!(
                "{path}: {} {}×{} {} + {}, {} ms at {:.3} fps ({})",
                probe.container.label(),
                probe.width,
                probe.height,
                probe.video.label(),
                probe.audio.label(),
                probe.duration_ms,
                probe.fps,
                probe.codecs
            ),
            Err(e) => println!("{path}: {e}"),
        }
    }
}
