//! Checks an uploaded reference image before it is stored: the format is
//! recognised from the bytes (never the file name), the size and shape must
//! suit the video models, and the pixel count is read from the header and
//! capped before anything is decoded, so a decompression bomb costs nothing.

use std::io::Cursor;

use chorus_core::Problem;
use image::{ImageFormat, ImageReader, Limits};

use crate::error::ApiError;

/// Largest upload, in bytes (the strictest provider limit, fal's 20 MB).
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Shortest short side the models accept.
pub const MIN_SHORT_SIDE: u32 = 300;
/// Widest aspect either way (1:2.5 to 2.5:1).
pub const MAX_ASPECT: f64 = 2.5;
/// Most pixels we agree to decode (about 8K × 5K).
pub const MAX_PIXELS: u64 = 40_000_000;

/// What an accepted image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Recognises the format from the first bytes.
pub fn sniff(bytes: &[u8]) -> Result<(ImageFormat, &'static str), ApiError> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok((ImageFormat::Png, "image/png"));
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok((ImageFormat::Jpeg, "image/jpeg"));
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok((ImageFormat::WebP, "image/webp"));
    }
    let what = if starts(b"GIF8") {
        "a GIF"
    } else if starts(b"BM") {
        "a BMP"
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && (bytes[8..12] == *b"heic" || bytes[8..12] == *b"mif1")
    {
        "a HEIC photo"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "a video"
    } else if starts(b"%PDF") {
        "a PDF"
    } else {
        "not an image we recognise"
    };
    Err(ApiError::UnsupportedMedia(format!(
        "This file is {what}; upload a PNG, JPEG or WebP image"
    )))
}

fn rule(message: String) -> ApiError {
    ApiError::invalid(vec![Problem::error("file", message)])
}

/// Checks `bytes` against every rule, decoding them fully only once the header
/// has shown the image is a sensible size.
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, ApiError> {
    if bytes.len() > MAX_BYTES {
        return Err(ApiError::TooLarge(format!(
            "The image is {:.1} MB; the limit is 20 MB",
            bytes.len() as f64 / (1024.0 * 1024.0)
        )));
    }
    if bytes.is_empty() {
        return Err(ApiError::BadRequest("The file is empty".into()));
    }
    let (format, mime) = sniff(bytes)?;
    let name = mime.trim_start_matches("image/").to_uppercase();

    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| {
            ApiError::BadRequest(format!(
                "The {name} file is damaged and cannot be read ({e})"
            ))
        })?;

    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ApiError::TooLarge(format!(
            "The image is {width}×{height} pixels ({} megapixels); the limit is {} megapixels",
            pixels / 1_000_000,
            MAX_PIXELS / 1_000_000
        )));
    }
    let short = width.min(height);
    if short < MIN_SHORT_SIDE {
        return Err(rule(format!(
            "The image is {width}×{height}; its short side must be at least {MIN_SHORT_SIDE} px"
        )));
    }
    let aspect = f64::from(width.max(height)) / f64::from(short);
    if aspect > MAX_ASPECT {
        return Err(rule(format!(
            "The image is {width}×{height}, {aspect:.1} times longer than it is wide; it must be between 1:2.5 and 2.5:1"
        )));
    }

    // Decode once to prove the whole file is readable, with limits as a second
    // guard in case the header lied.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    reader.decode().map_err(|e| {
        ApiError::BadRequest(format!("The {name} file is damaged or cut short ({e})"))
    })?;

    Ok(ImageInfo {
        mime,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("encodes");
        out.into_inner()
    }

    fn message(err: ApiError) -> String {
        match err {
            ApiError::Invalid { problems, .. } => problems[0].message.clone(),
            other => other.to_string(),
        }
    }

    #[test]
    fn accepts_a_normal_png_and_reads_its_size() {
        let info = inspect(&png(640, 400)).expect("accepted");
        assert_eq!(
            info,
            ImageInfo {
                mime: "image/png",
                width: 640,
                height: 400
            }
        );
    }

    #[test]
    fn recognises_by_bytes_not_name() {
        assert!(message(inspect(b"GIF89a....").unwrap_err()).contains("GIF"));
        assert!(
            message(inspect(b"hello world, not an image").unwrap_err())
                .contains("PNG, JPEG or WebP")
        );
    }

    #[test]
    fn refuses_small_and_extreme_shapes() {
        assert_eq!(
            message(inspect(&png(299, 500)).unwrap_err()),
            "The image is 299×500; its short side must be at least 300 px"
        );
        assert!(message(inspect(&png(1000, 300)).unwrap_err()).contains("between 1:2.5 and 2.5:1"));
        assert!(inspect(&png(750, 300)).is_ok());
    }

    #[test]
    fn refuses_a_bomb_from_its_header_alone() {
        // A PNG header claiming 30000×30000 pixels followed by nothing: it is
        // refused on the header before any decoding is tried.
        let mut bomb = png(300, 300);
        // IHDR width and height live at bytes 16..24.
        bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
        // The IHDR checksum covers type and data (bytes 12..29) and sits at 29..33.
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = inspect(&bomb).unwrap_err();
        assert!(matches!(err, ApiError::TooLarge(_)), "{err:?}");
        assert!(message(err).contains("900 megapixels"));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn refuses_a_truncated_file() {
        let whole = png(400, 400);
        let err = inspect(&whole[..whole.len() / 2]).unwrap_err();
        assert!(message(err).contains("damaged"));
    }

    #[test]
    fn refuses_oversized_files() {
        let big = vec![0u8; MAX_BYTES + 1];
        assert!(matches!(inspect(&big).unwrap_err(), ApiError::TooLarge(_)));
    }
}
