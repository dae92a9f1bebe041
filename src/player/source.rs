//! Where the player's bytes come from: HTTP Range requests against the
//! server's asset endpoint. Only the index (`moov`) is fetched up front; sample
//! bytes are fetched per GOP when a frame in it is wanted.

use chorus_media::{ByteRange, IndexLocation, Movie, Sample, Track, locate_moov, parse_moov};
use gloo_net::http::Request;

/// The first request reads this much: enough for our draft files (index
/// first) to hold `moov` whole, small enough to be quick when it does not.
const FIRST_WINDOW: u64 = 256 * 1024;

/// One fetched span of the file.
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// Byte offset of `bytes[0]` in the file.
    pub start: u64,
    /// Total file size, from `Content-Range`, when the server said.
    pub file_size: Option<u64>,
}

impl Fetched {
    /// The bytes of `sample`, which must lie in this span.
    pub fn sample_bytes(&self, sample: &Sample) -> Result<&[u8], String> {
        let from = sample
            .offset
            .checked_sub(self.start)
            .ok_or("the server sent the wrong bytes")? as usize;
        self.bytes
            .get(from..from + sample.size as usize)
            .ok_or_else(|| "the server sent too few bytes".to_string())
    }
}

/// Fetches `range` of `url`. A server that ignores Range and answers 200 with
/// the whole file is accepted too: the caller gets the whole file.
pub async fn fetch_range(url: &str, range: ByteRange) -> Result<Fetched, String> {
    let response = Request::get(url)
        .header("Range", &range.http_range())
        .send()
        .await
        .map_err(|e| format!("could not fetch the video ({e})"))?;
    let status = response.status();
    if status != 206 && status != 200 {
        return Err(format!("the server answered {status} for the video"));
    }
    let file_size = response
        .headers()
        .get("content-range")
        .and_then(|v| v.rsplit('/').next().and_then(|n| n.parse().ok()));
    let bytes = response
        .binary()
        .await
        .map_err(|e| format!("could not read the video ({e})"))?;
    let start = if status == 206 { range.start } else { 0 };
    let file_size = file_size.or((status == 200).then_some(bytes.len() as u64));
    Ok(Fetched {
        bytes,
        start,
        file_size,
    })
}

/// Reads and parses the index with one request when `moov` is near the
/// start, two when it is elsewhere (at the end, after `mdat`).
pub async fn load_index(url: &str) -> Result<Movie, String> {
    let mut window = fetch_range(
        url,
        ByteRange {
            start: 0,
            end: Some(FIRST_WINDOW),
        },
    )
    .await?;
    // Three rounds at most: first window, the moov itself, and a retry in
    // case the file size was only learnt from the second answer.
    for _ in 0..3 {
        let location = locate_moov(&window.bytes, window.start, window.file_size)
            .map_err(|e| format!("not a playable MP4 ({e})"))?;
        match location {
            IndexLocation::Found { start, end } => {
                let from = (start - window.start) as usize;
                let to = (end - window.start) as usize;
                let moov = window
                    .bytes
                    .get(from..to)
                    .ok_or("the index lies outside the fetched bytes")?;
                return parse_moov(moov, start).map_err(|e| format!("unreadable index ({e})"));
            }
            IndexLocation::Fetch(range) => {
                let size = window.file_size;
                window = fetch_range(url, range).await?;
                window.file_size = window.file_size.or(size);
            }
        }
    }
    Err("could not find the video's index".into())
}

/// The index's first video track, or why there is none.
pub async fn load_video_track(url: &str) -> Result<Track, String> {
    let movie = load_index(url).await?;
    movie
        .video_track()
        .cloned()
        .ok_or_else(|| "the file has no video track".to_string())
}
