//! Prints what espeak-ng reports for a line, for tuning the viseme map.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let voice = args.get(1).map_or("en", String::as_str);
    let text = args.get(2).map_or("Hello there", String::as_str);
    let t = std::time::Instant::now();
    let spoken = chorus_draft::espeak::synthesize(voice, text).expect("speaks");
    println!(
        "rate {} samples {} in {:?}",
        spoken.sample_rate,
        spoken.samples.len(),
        t.elapsed()
    );
    for p in &spoken.phonemes {
        print!("{}@{} ", p.name, p.sample);
    }
    println!();
    println!(
        "{}",
        chorus_draft::espeak::phonemes(voice, text).expect("phonemes")
    );
}
