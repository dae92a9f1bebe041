//! Posters and scrub strips: when a take is stored (a draft render, a
//! provider's clip, an import), a few of its keyframes are decoded natively
//! (`chorus_decode::keyframe_stills`) and stored, content-addressed like
//! every asset, as a poster (one JPEG `POSTER_WIDTH` wide) and a strip (up
//! to `STRIP_FRAMES` thumbnails side by side in one JPEG), so the Library
//! shows cards without opening a player per take. Making them never fails
//! the take: a clip that does not decode keeps no poster, and says so in
//! the log.

use anyhow::Context as _;
use chorus_core::{JobOutput, Strip};
use chorus_decode::{Mp4Source, Still, keyframe_stills, keyframe_stills_file};
use image::imageops::FilterType;
use image::{ImageEncoder as _, RgbImage};

use crate::state::AppState;

/// Width of a poster, in pixels.
pub const POSTER_WIDTH: u32 = 320;
/// Width of one thumbnail of the strip, in pixels.
pub const STRIP_TILE_WIDTH: u32 = 160;
/// The most thumbnails a strip holds.
pub const STRIP_FRAMES: usize = 10;
/// JPEG quality of both.
const QUALITY: u8 = 80;
/// Pictures from this far into a take make a better poster than its
/// first (which often fades in).
const POSTER_FROM_MS: u64 = 1000;

/// A poster and a strip, encoded, not yet stored.
pub struct Made {
    pub poster: Vec<u8>,
    pub poster_size: (u32, u32),
    pub strip: Vec<u8>,
    pub frame_width: u32,
    pub frame_height: u32,
    pub times_ms: Vec<u64>,
}

/// Decodes `mp4`'s keyframes and encodes the poster and strip (CPU-bound:
/// run it on a blocking thread).
pub fn make(name: &str, mp4: &[u8]) -> anyhow::Result<Made> {
    let source = Mp4Source::parse(name, mp4)?;
    from_stills(&keyframe_stills(&source, STRIP_FRAMES)?)
}

/// `make` for the clip at `path`, reading only its index and the keyframes
/// shown, whatever its size.
pub fn make_from_file(path: &std::path::Path) -> anyhow::Result<Made> {
    from_stills(&keyframe_stills_file(path, STRIP_FRAMES)?)
}

fn from_stills(stills: &[Still]) -> anyhow::Result<Made> {
    let pictures: Vec<RgbImage> = stills.iter().map(to_image).collect::<anyhow::Result<_>>()?;
    let poster_at = stills
        .iter()
        .position(|s| s.time_ms >= POSTER_FROM_MS)
        .unwrap_or(0);
    let poster = scaled(&pictures[poster_at], POSTER_WIDTH);
    let tiles: Vec<RgbImage> = pictures
        .iter()
        .map(|p| scaled(p, STRIP_TILE_WIDTH))
        .collect();
    let (frame_width, frame_height) = tiles[0].dimensions();
    let mut strip = RgbImage::new(frame_width * tiles.len() as u32, frame_height);
    for (i, tile) in tiles.iter().enumerate() {
        // Pictures of one track share a size; a tile that differs is
        // scaled to the first's.
        let tile = if tile.dimensions() == (frame_width, frame_height) {
            tile.clone()
        } else {
            image::imageops::resize(tile, frame_width, frame_height, FilterType::Triangle)
        };
        image::imageops::replace(&mut strip, &tile, i64::from(frame_width) * i as i64, 0);
    }
    Ok(Made {
        poster: jpeg(&poster)?,
        poster_size: poster.dimensions(),
        strip: jpeg(&strip)?,
        frame_width,
        frame_height,
        times_ms: stills.iter().map(|s| s.time_ms).collect(),
    })
}

fn to_image(still: &Still) -> anyhow::Result<RgbImage> {
    RgbImage::from_raw(still.width, still.height, still.rgb.clone())
        .context("a decoded picture is smaller than its size says")
}

/// `picture` scaled to `width`, keeping its shape (never enlarged).
fn scaled(picture: &RgbImage, width: u32) -> RgbImage {
    let (w, h) = picture.dimensions();
    if w <= width {
        return picture.clone();
    }
    let height = (u64::from(h) * u64::from(width) / u64::from(w)).max(1) as u32;
    image::imageops::resize(picture, width, height, FilterType::Triangle)
}

fn jpeg(picture: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY).write_image(
        picture.as_raw(),
        picture.width(),
        picture.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

/// Makes and stores the poster and strip of the take `video` from `mp4`,
/// its bytes; a failure is logged and gives neither.
pub async fn make_for(
    state: &AppState,
    video: &str,
    mp4: Vec<u8>,
) -> (Option<String>, Option<Strip>) {
    let name = format!("take {video}");
    made_and_stored(state, video, move || make(&name, &mp4)).await
}

/// `make_for` the take stored at `path` (an import's spooled file), read
/// in part.
pub async fn make_for_file(
    state: &AppState,
    video: &str,
    path: &std::path::Path,
) -> (Option<String>, Option<Strip>) {
    let path = path.to_path_buf();
    made_and_stored(state, video, move || make_from_file(&path)).await
}

/// Runs `made` on a blocking thread and stores what it makes; a failure is
/// logged and gives neither.
async fn made_and_stored(
    state: &AppState,
    video: &str,
    made: impl FnOnce() -> anyhow::Result<Made> + Send + 'static,
) -> (Option<String>, Option<Strip>) {
    match store(state, made).await {
        Ok((poster, strip)) => (Some(poster), Some(strip)),
        Err(e) => {
            tracing::warn!(video = %video, error = format!("{e:#}"), "no poster for this take");
            (None, None)
        }
    }
}

/// Sets a take's poster and strip.
pub fn set(output: &mut JobOutput, (poster, strip): (Option<String>, Option<Strip>)) {
    output.poster = poster;
    output.strip = strip;
}

async fn store(
    state: &AppState,
    made: impl FnOnce() -> anyhow::Result<Made> + Send + 'static,
) -> anyhow::Result<(String, Strip)> {
    let made = tokio::task::spawn_blocking(made)
        .await
        .context("the poster task stopped")??;
    let put = |bytes: Vec<u8>, width: u32, height: u32| async move {
        state
            .assets
            .put(&state.db, &bytes, "image/jpeg", Some((width, height)))
            .await
    };
    let (width, height) = made.poster_size;
    let poster = put(made.poster, width, height).await?;
    let strip_width = made.frame_width * made.times_ms.len() as u32;
    let strip = put(made.strip, strip_width, made.frame_height).await?;
    Ok((
        poster.id,
        Strip {
            image: strip.id,
            frame_width: made.frame_width,
            frame_height: made.frame_height,
            times_ms: made.times_ms,
        },
    ))
}
