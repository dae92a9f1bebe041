//! The draft engine's voice helper as a binary of its own: answers one
//! request on standard input and output in a fresh process, then exits. The
//! crate's tests speak through it (the `chorus` binary has its own copy of
//! this entry point as `chorus __voice`).

fn main() -> std::process::ExitCode {
    match chorus_draft::serve_voice(&mut std::io::stdin().lock(), &mut std::io::stdout().lock()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chorus-draft-voice: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
