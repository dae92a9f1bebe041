//! Type for scenes and captions. We ship no font files: a system font is
//! loaded at run time from the usual Debian locations (DejaVu, Liberation,
//! Noto CJK for Chinese, Japanese and Korean). Without one, text is left out
//! of the picture rather than drawn badly.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontVec, PxScale, ScaleFont as _};

use crate::canvas::Mask;

const LATIN: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
];
const CJK: [&str; 4] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// The fonts found on this machine, loaded once per process (read-only after).
pub struct Fonts {
    faces: Vec<FontVec>,
}

fn load(paths: &[&str]) -> Option<FontVec> {
    paths.iter().find_map(|p| {
        let bytes = std::fs::read(p).ok()?;
        FontVec::try_from_vec(bytes).ok()
    })
}

/// The process's fonts.
pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        faces: [load(&LATIN), load(&CJK)].into_iter().flatten().collect(),
    })
}

impl Fonts {
    pub fn available(&self) -> bool {
        !self.faces.is_empty()
    }

    fn face_for(&self, c: char) -> Option<&FontVec> {
        self.faces
            .iter()
            .find(|f| f.glyph_id(c).0 != 0)
            .or(self.faces.first())
    }

    /// Width of `text` at `px` pixels.
    pub fn measure(&self, text: &str, px: f32) -> f32 {
        text.chars()
            .filter_map(|c| {
                self.face_for(c)
                    .map(|f| f.as_scaled(PxScale::from(px)).h_advance(f.glyph_id(c)))
            })
            .sum()
    }

    /// Rasterises one line of text into a coverage mask `px` pixels tall
    /// (plus descender room).
    pub fn render(&self, text: &str, px: f32) -> Mask {
        let width = self.measure(text, px).ceil() as usize + 2;
        let height = (px * 1.3).ceil() as usize;
        let mut mask = Mask {
            width,
            height,
            data: vec![0.0; width * height],
        };
        let mut pen = 1.0f32;
        for c in text.chars() {
            let Some(face) = self.face_for(c) else {
                continue;
            };
            let scaled = face.as_scaled(PxScale::from(px));
            let id = face.glyph_id(c);
            let glyph = id
                .with_scale_and_position(PxScale::from(px), ab_glyph::point(pen, scaled.ascent()));
            pen += scaled.h_advance(id);
            let Some(outline) = face.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                let x = b.min.x as i32 + gx as i32;
                let y = b.min.y as i32 + gy as i32;
                if x >= 0 && y >= 0 && (x as usize) < width && (y as usize) < height {
                    let cell = &mut mask.data[y as usize * width + x as usize];
                    *cell = (*cell + cov).min(1.0);
                }
            });
        }
        mask
    }

    /// Breaks `text` into lines no wider than `max_w` at `px`; CJK text (no
    /// spaces) breaks between characters.
    pub fn wrap(&self, text: &str, px: f32, max_w: f32) -> Vec<String> {
        let spaced = text.contains(' ');
        let units: Vec<String> = if spaced {
            text.split_whitespace().map(str::to_owned).collect()
        } else {
            text.chars().map(String::from).collect()
        };
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for unit in units {
            let candidate = if line.is_empty() {
                unit.clone()
            } else if spaced {
                format!("{line} {unit}")
            } else {
                format!("{line}{unit}")
            };
            if !line.is_empty() && self.measure(&candidate, px) > max_w {
                lines.push(std::mem::take(&mut line));
                line = unit;
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::fonts;

    #[test]
    fn every_language_s_text_has_real_glyphs() {
        let f = fonts();
        assert!(
            f.available(),
            "no font found; install fonts-dejavu-core and fonts-wqy-microhei (cargo xtask run does)"
        );
        for line in [
            "Fresh tulips, Grüße, très bien",
            "每天早上有新鲜的花",
            "每朝都有新鮮嘅花",
            "まいあさ、しんせんな はなを",
            "매일 아침 신선한 꽃을",
        ] {
            for c in line
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
            {
                let face = f.face_for(c).expect("a face");
                assert!(
                    ab_glyph::Font::glyph_id(face, c).0 != 0,
                    "no font has a glyph for {c:?}; install fonts-wqy-microhei (cargo xtask run does)"
                );
            }
            let mask = f.render(line, 40.0);
            assert!(mask.data.iter().any(|&v| v > 0.5), "{line} draws nothing");
        }
    }
}
