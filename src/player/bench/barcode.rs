//! The frame number the benchmark clip carries in its pixels: the top band
//! holds 24 equal cells, 12 bits of the frame number (least significant
//! first, white = 1) and then the same 12 bits inverted. A frame reads back
//! only when every bit and its inverse disagree, so a blurred, blended or
//! half-drawn frame is reported as unreadable, never as a wrong number.
//! `xtask/src/bench_seek.rs` draws the same layout with ffmpeg.

/// Bits of the frame number (4096 frames: nearly three minutes at 24 fps).
pub const BITS: usize = 12;
/// The band's height as a fraction of the picture's (96 of 1080 lines).
pub const BAND_FRACTION: f64 = 96.0 / 1080.0;

/// Luma of an RGBA pixel, 0–255 (BT.709 weights).
fn luma(rgba: &[u8]) -> f64 {
    match rgba {
        [r, g, b, ..] => 0.2126 * f64::from(*r) + 0.7152 * f64::from(*g) + 0.0722 * f64::from(*b),
        _ => 0.0,
    }
}

/// Reads the frame number from one row of RGBA pixels across the band
/// (any width of at least 48 pixels).
pub fn read(row: &[u8]) -> Option<u32> {
    let width = row.len() / 4;
    let cells = 2 * BITS;
    if width < cells * 2 {
        return None;
    }
    let bit = |cell: usize| -> Option<bool> {
        // The centre of the cell, well away from edges the codec smears.
        let x = ((cell as f64 + 0.5) * width as f64 / cells as f64) as usize;
        let value = luma(row.get(x * 4..x * 4 + 4)?);
        // Mid-grey means blended or damaged: neither bit.
        if value > 160.0 {
            Some(true)
        } else if value < 96.0 {
            Some(false)
        } else {
            None
        }
    };
    let mut number = 0_u32;
    for k in 0..BITS {
        let (plain, inverted) = (bit(k)?, bit(BITS + k)?);
        if plain == inverted {
            return None;
        }
        if plain {
            number |= 1 << k;
        }
    }
    Some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the clip draws it, `width` pixels wide.
    fn row(number: u32, width: usize) -> Vec<u8> {
        let cells = 2 * BITS;
        (0..width)
            .flat_map(|x| {
                let cell = x * cells / width;
                let white = if cell < BITS {
                    number >> cell & 1 == 1
                } else {
                    number >> (cell - BITS) & 1 == 0
                };
                let v = if white { 235 } else { 16 };
                [v, v, v, 255]
            })
            .collect()
    }

    #[test]
    fn reads_every_number_at_full_and_reduced_width() {
        for width in [1920, 640, 301] {
            for number in [0, 1, 101, 359, 2048, 4095] {
                assert_eq!(
                    read(&row(number, width)),
                    Some(number),
                    "{number} at {width}"
                );
            }
        }
    }

    #[test]
    fn a_blend_of_two_frames_is_unreadable_not_wrong() {
        let (a, b) = (row(100, 640), row(101, 640));
        let blend: Vec<u8> = a.iter().zip(&b).map(|(x, y)| x.midpoint(*y)).collect();
        assert_eq!(read(&blend), None);
    }

    #[test]
    fn a_black_or_white_band_is_unreadable() {
        assert_eq!(read(&[0; 640 * 4]), None);
        assert_eq!(read(&[255; 640 * 4]), None);
        assert_eq!(read(&[0; 8]), None);
    }
}
