//! Picture formats: resolutions and aspect ratios, and the exact pixel size of
//! each combination.

use serde::{Deserialize, Serialize};

/// Output resolution, named by the short side of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Resolution {
    #[serde(rename = "720p")]
    P720,
    #[serde(rename = "1080p")]
    P1080,
}

impl Resolution {
    pub const ALL: [Resolution; 2] = [Resolution::P720, Resolution::P1080];

    /// Pixels on the frame's short side.
    pub fn short_side(self) -> u32 {
        match self {
            Resolution::P720 => 720,
            Resolution::P1080 => 1080,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Resolution::P720 => "720p",
            Resolution::P1080 => "1080p",
        }
    }

    pub fn parse(s: &str) -> Option<Resolution> {
        Resolution::ALL
            .into_iter()
            .find(|r| r.label().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Frame shape. Each variant is width:height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AspectRatio {
    #[serde(rename = "16:9")]
    Landscape16x9,
    #[serde(rename = "9:16")]
    Portrait9x16,
    #[serde(rename = "1:1")]
    Square,
    #[serde(rename = "4:3")]
    Landscape4x3,
    #[serde(rename = "3:4")]
    Portrait3x4,
    #[serde(rename = "21:9")]
    Cinema21x9,
    #[serde(rename = "9:21")]
    Tall9x21,
    #[serde(rename = "5:4")]
    Landscape5x4,
    #[serde(rename = "4:5")]
    Portrait4x5,
}

impl AspectRatio {
    pub const ALL: [AspectRatio; 9] = [
        AspectRatio::Landscape16x9,
        AspectRatio::Portrait9x16,
        AspectRatio::Square,
        AspectRatio::Landscape4x3,
        AspectRatio::Portrait3x4,
        AspectRatio::Cinema21x9,
        AspectRatio::Tall9x21,
        AspectRatio::Landscape5x4,
        AspectRatio::Portrait4x5,
    ];

    /// The ratio closest to a `width`×`height` picture (by the logarithm of
    /// width over height, so 2:1 is as far from 1:1 as 1:2 is).
    pub fn nearest(width: u32, height: u32) -> AspectRatio {
        let wanted = (f64::from(width.max(1)) / f64::from(height.max(1))).ln();
        let distance = |a: AspectRatio| {
            let (w, h) = a.ratio();
            ((f64::from(w) / f64::from(h)).ln() - wanted).abs()
        };
        AspectRatio::ALL
            .into_iter()
            .min_by(|a, b| distance(*a).total_cmp(&distance(*b)))
            .unwrap_or(AspectRatio::Landscape16x9)
    }

    /// (width, height) in ratio units.
    pub fn ratio(self) -> (u32, u32) {
        match self {
            AspectRatio::Landscape16x9 => (16, 9),
            AspectRatio::Portrait9x16 => (9, 16),
            AspectRatio::Square => (1, 1),
            AspectRatio::Landscape4x3 => (4, 3),
            AspectRatio::Portrait3x4 => (3, 4),
            AspectRatio::Cinema21x9 => (21, 9),
            AspectRatio::Tall9x21 => (9, 21),
            AspectRatio::Landscape5x4 => (5, 4),
            AspectRatio::Portrait4x5 => (4, 5),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AspectRatio::Landscape16x9 => "16:9",
            AspectRatio::Portrait9x16 => "9:16",
            AspectRatio::Square => "1:1",
            AspectRatio::Landscape4x3 => "4:3",
            AspectRatio::Portrait3x4 => "3:4",
            AspectRatio::Cinema21x9 => "21:9",
            AspectRatio::Tall9x21 => "9:21",
            AspectRatio::Landscape5x4 => "5:4",
            AspectRatio::Portrait4x5 => "4:5",
        }
    }

    pub fn parse(s: &str) -> Option<AspectRatio> {
        AspectRatio::ALL.into_iter().find(|a| a.label() == s.trim())
    }

    /// Exact frame size in pixels. The short side is the resolution's line
    /// count; the long side follows the ratio, rounded to an even number of
    /// pixels because 4:2:0 video needs even dimensions.
    pub fn dimensions(self, resolution: Resolution) -> (u32, u32) {
        let (w, h) = self.ratio();
        let short = resolution.short_side();
        let long = |num: u32, den: u32| {
            let exact = short * num / den;
            exact + (exact % 2)
        };
        if w >= h {
            (long(w, h), short)
        } else {
            (short, long(h, w))
        }
    }
}

impl std::fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sizes() {
        use AspectRatio::*;
        use Resolution::*;
        let cases = [
            (Landscape16x9, P720, (1280, 720)),
            (Landscape16x9, P1080, (1920, 1080)),
            (Portrait9x16, P1080, (1080, 1920)),
            (Square, P720, (720, 720)),
            (Landscape4x3, P1080, (1440, 1080)),
            (Portrait3x4, P720, (720, 960)),
            (Cinema21x9, P720, (1680, 720)),
            (Tall9x21, P1080, (1080, 2520)),
            (Landscape5x4, P1080, (1350, 1080)),
            (Portrait4x5, P720, (720, 900)),
        ];
        for (ratio, res, size) in cases {
            assert_eq!(ratio.dimensions(res), size, "{ratio} at {res}");
        }
    }

    #[test]
    fn every_size_is_even_and_matches_its_ratio() {
        for ratio in AspectRatio::ALL {
            for res in Resolution::ALL {
                let (w, h) = ratio.dimensions(res);
                assert_eq!(w % 2, 0);
                assert_eq!(h % 2, 0);
                assert_eq!(w.min(h), res.short_side());
                let (rw, rh) = ratio.ratio();
                let err = (f64::from(w) / f64::from(h) - f64::from(rw) / f64::from(rh)).abs();
                assert!(err < 0.01, "{ratio} {res}: {w}x{h}");
            }
        }
    }

    #[test]
    fn labels_parse_back() {
        for ratio in AspectRatio::ALL {
            assert_eq!(AspectRatio::parse(ratio.label()), Some(ratio));
        }
        for res in Resolution::ALL {
            assert_eq!(Resolution::parse(res.label()), Some(res));
        }
        assert_eq!(AspectRatio::parse("2:1"), None);
    }
}
