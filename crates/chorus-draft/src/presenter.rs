//! The drawn presenter: a friendly flat-style character. Everything that
//! never moves (body, head, hair, open eyes) is drawn once onto a canvas;
//! only the mouth and, during a blink, the eyelids are drawn per frame,
//! straight into the YUV frame.

use crate::canvas::{Canvas, Frame, Rgb, ellipse, rounded_rect};
use crate::scene::{Layout, Palette, Rng};
use crate::viseme::MouthShape;

const SKINS: [Rgb; 5] = [
    Rgb(255, 214, 186),
    Rgb(241, 194, 160),
    Rgb(214, 160, 120),
    Rgb(170, 116, 82),
    Rgb(120, 80, 58),
];
const HAIRS: [Rgb; 4] = [
    Rgb(52, 36, 30),
    Rgb(28, 26, 34),
    Rgb(120, 72, 40),
    Rgb(200, 150, 80),
];

/// The presenter's look and where it stands.
#[derive(Debug, Clone, Copy)]
pub struct Presenter {
    skin: Rgb,
    hair: Rgb,
    shirt: Rgb,
    cx: f32,
    cy: f32,
    u: f32,
}

const LIPS: Rgb = Rgb(92, 34, 48);
const TONGUE: Rgb = Rgb(230, 110, 120);
const TEETH: Rgb = Rgb(252, 250, 246);
const EYE: Rgb = Rgb(40, 32, 44);

impl Presenter {
    pub fn new(layout: &Layout, pal: &Palette, rng: &mut Rng) -> Self {
        Presenter {
            skin: SKINS[rng.below(SKINS.len() as u64) as usize],
            hair: HAIRS[rng.below(HAIRS.len() as u64) as usize],
            shirt: pal.shirt,
            cx: layout.head.0,
            cy: layout.head.1,
            u: layout.unit,
        }
    }

    fn eye_centres(&self) -> [(f32, f32); 2] {
        let (dx, y) = (56.0 * self.u, self.cy - 6.0 * self.u);
        [(self.cx - dx, y), (self.cx + dx, y)]
    }

    /// Draws everything that stays still.
    pub fn draw_static(&self, c: &mut Canvas) {
        let (cx, cy, u) = (self.cx, self.cy, self.u);
        let big = (
            cx - 400.0 * u,
            cy - 300.0 * u,
            cx + 400.0 * u,
            cy + 700.0 * u,
        );
        // Soft shadow behind the figure grounds it in the scene.
        c.fill(big, Rgb(0, 0, 0), 0.12, |x, y| {
            rounded_rect(
                x,
                y,
                cx + 14.0 * u,
                cy + 420.0 * u,
                250.0 * u,
                260.0 * u,
                170.0 * u,
            ) / (30.0 * u)
        });
        // Shoulders and shirt.
        c.fill(big, self.shirt, 1.0, |x, y| {
            rounded_rect(x, y, cx, cy + 430.0 * u, 230.0 * u, 250.0 * u, 150.0 * u)
        });
        // Collar: a V of skin.
        let skin_dark = self.skin.mix(Rgb(120, 60, 50), 0.18);
        c.fill(big, skin_dark, 1.0, |x, y| {
            rounded_rect(x, y, cx, cy + 170.0 * u, 46.0 * u, 70.0 * u, 30.0 * u)
        });
        c.fill(big, self.skin, 1.0, |x, y| {
            let v = (x - cx).abs() * 1.1 + (y - (cy + 175.0 * u));
            v.max(rounded_rect(
                x,
                y,
                cx,
                cy + 230.0 * u,
                60.0 * u,
                60.0 * u,
                10.0 * u,
            )) - 58.0 * u
        });
        // Hair behind the head.
        c.fill(big, self.hair, 1.0, |x, y| {
            ellipse(x, y, cx, cy - 40.0 * u, 168.0 * u, 170.0 * u)
        });
        // Ears.
        for side in [-1.0f32, 1.0] {
            let ex = cx + side * 142.0 * u;
            c.fill(big, self.skin, 1.0, |x, y| {
                ellipse(x, y, ex, cy + 10.0 * u, 26.0 * u, 36.0 * u)
            });
        }
        // Face.
        c.fill(big, self.skin, 1.0, |x, y| {
            ellipse(x, y, cx, cy + 10.0 * u, 145.0 * u, 160.0 * u)
        });
        // Fringe: the top of the face covered by hair, with a soft sweep.
        c.fill(big, self.hair, 1.0, |x, y| {
            let face = ellipse(x, y, cx, cy + 10.0 * u, 150.0 * u, 165.0 * u);
            let sweep = cy - 88.0 * u + ((x - cx) / u * 0.012).sin() * 22.0 * u - (x - cx) * 0.12;
            face.max(y - sweep)
        });
        // Cheeks.
        for side in [-1.0f32, 1.0] {
            let ex = cx + side * 88.0 * u;
            c.fill(big, Rgb(255, 120, 120), 0.22, |x, y| {
                ellipse(x, y, ex, cy + 58.0 * u, 30.0 * u, 18.0 * u) / (6.0 * u)
            });
        }
        // Brows.
        for (ex, ey) in self.eye_centres() {
            c.fill(big, self.hair, 1.0, |x, y| {
                rounded_rect(
                    x,
                    y,
                    ex,
                    ey - 46.0 * u - (x - ex).abs() * 0.08,
                    28.0 * u,
                    6.5 * u,
                    6.5 * u,
                )
            });
        }
        // Nose.
        c.fill(big, skin_dark, 0.8, |x, y| {
            ellipse(x, y, cx, cy + 38.0 * u, 11.0 * u, 8.0 * u)
        });
        // Open eyes with a catch-light.
        for (ex, ey) in self.eye_centres() {
            c.fill(big, EYE, 1.0, |x, y| {
                ellipse(x, y, ex, ey, 17.0 * u, 22.0 * u)
            });
            c.fill(big, Rgb(255, 255, 255), 0.95, |x, y| {
                ellipse(x, y, ex + 5.0 * u, ey - 8.0 * u, 5.5 * u, 5.5 * u)
            });
        }
    }

    /// Closes the eyes by `amount` (0 open, 1 shut).
    pub fn draw_blink(&self, frame: &mut Frame, amount: f32) {
        if amount <= 0.02 {
            return;
        }
        let u = self.u;
        for (ex, ey) in self.eye_centres() {
            let b = (ex - 30.0 * u, ey - 34.0 * u, ex + 30.0 * u, ey + 34.0 * u);
            let lid = ey - 24.0 * u + 48.0 * u * amount;
            frame.fill(b, self.skin, 1.0, |x, y| {
                ellipse(x, y, ex, ey, 19.0 * u, 24.0 * u).max(y - lid)
            });
            if amount > 0.7 {
                frame.fill(b, EYE, 1.0, |x, y| {
                    let curve = ey + 6.0 * u + ((x - ex) / (18.0 * u)).powi(2) * -6.0 * u;
                    rounded_rect(x, y, ex, curve, 18.0 * u, 3.0 * u, 3.0 * u)
                });
            }
        }
    }

    /// Draws the mouth in `shape`.
    pub fn draw_mouth(&self, frame: &mut Frame, shape: MouthShape) {
        let u = self.u;
        let (mx, my) = (self.cx, self.cy + 92.0 * u);
        let hw = 34.0 * u * shape.wide;
        let hh = (shape.open * 50.0 * u).max(0.0);
        let b = (mx - 80.0 * u, my - 60.0 * u, mx + 80.0 * u, my + 80.0 * u);
        if hh < 4.0 * u {
            // Closed: a gentle smile line.
            frame.fill(b, LIPS, 1.0, |x, y| {
                let dx = (x - mx) / hw;
                let curve = my - dx * dx * 9.0 * u + 4.0 * u;
                rounded_rect(x, y, mx, curve, hw, 4.5 * u, 4.5 * u)
            });
            return;
        }
        // Open: flat top, round bottom, like a drawn "D" on its side.
        let cy = my + hh * 0.35;
        let mouth = move |x: f32, y: f32| {
            let round = ellipse(x, y, mx, cy, hw, hh);
            let flat = y - (my - hh * 0.45);
            round.max(-flat)
        };
        frame.fill(b, LIPS, 1.0, mouth);
        frame.fill(b, TONGUE, 1.0, |x, y| {
            mouth(x, y).max(ellipse(x, y, mx, cy + hh * 0.85, hw * 0.7, hh * 0.55))
        });
        if shape.teeth {
            frame.fill(b, TEETH, 1.0, |x, y| {
                mouth(x, y).max(y - (my - hh * 0.45 + (10.0 * u).min(hh * 0.45)))
            });
        }
    }
}

/// Blink amounts over the clip: a blink every 2.5–5 s, 160 ms each.
pub fn blink_at(seed: u64, t_ms: f64) -> f32 {
    let mut rng = Rng::new(seed ^ 0xB11C);
    let mut next = 900.0 + f64::from(rng.unit()) * 1200.0;
    while next < t_ms + 200.0 {
        let dt = t_ms - next;
        if (0.0..160.0).contains(&dt) {
            // Fast close, slower open.
            return if dt < 60.0 {
                (dt / 60.0) as f32
            } else {
                (1.0 - (dt - 60.0) / 100.0) as f32
            };
        }
        next += 2500.0 + f64::from(rng.unit()) * 2500.0;
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::palette;
    use crate::viseme::Viseme;

    /// Rows of the luma plane where `a` and `b` differ.
    fn changed_rows(a: &Frame, b: &Frame) -> Vec<usize> {
        (0..a.height)
            .filter(|&y| a.y[y * a.width..(y + 1) * a.width] != b.y[y * b.width..(y + 1) * b.width])
            .collect()
    }

    #[test]
    fn blinks_are_short_and_spread_over_the_clip() {
        for seed in [1, 42, 7_000] {
            let amounts: Vec<f32> = (0..15_000)
                .map(|ms| blink_at(seed, f64::from(ms)))
                .collect();
            assert!(amounts.iter().all(|a| (0.0..=1.0).contains(a)));
            let starts: Vec<usize> = (1..amounts.len())
                .filter(|&i| amounts[i] > 0.0 && amounts[i - 1] == 0.0)
                .collect();
            // One every 2.5–5 s after the first, which comes within 0.9–2.1 s.
            assert!(
                (3..=6).contains(&starts.len()),
                "seed {seed}: blinks at {starts:?} ms"
            );
            assert!((900..2_200).contains(&starts[0]), "{starts:?}");
            for s in starts.iter().filter(|&&s| s < 14_800) {
                let shut = amounts[*s..].iter().take_while(|&&a| a > 0.0).count();
                assert!((150..=161).contains(&shut), "a blink lasting {shut} ms");
                assert!(amounts[s + 59] > 0.95, "eyes shut 60 ms in");
            }
        }
        assert!((0..15_000).any(|ms| {
            let t = f64::from(ms);
            (blink_at(1, t) > 0.0) != (blink_at(2, t) > 0.0)
        }));
    }

    #[test]
    fn eyelids_and_mouth_shapes_change_their_own_part_of_the_face() {
        let layout = Layout::new(1280, 720, false);
        let mut rng = Rng::new(5);
        let presenter = Presenter::new(&layout, &palette(&mut rng), &mut rng);
        let mut base = Frame::new(1280, 720);
        presenter.draw_mouth(&mut base, Viseme::Sil.shape());

        let mut shut = base.clone();
        presenter.draw_blink(&mut shut, 1.0);
        let eyes = changed_rows(&base, &shut);
        assert!(!eyes.is_empty(), "a blink must show");
        let mut open = base.clone();
        presenter.draw_blink(&mut open, 0.0);
        assert!(
            changed_rows(&base, &open).is_empty(),
            "open eyes draw nothing"
        );

        let mut mouths = Vec::new();
        for v in Viseme::ALL {
            let mut f = base.clone();
            presenter.draw_mouth(&mut f, v.shape());
            let rows = changed_rows(&base, &f);
            // Every mouth lies below the eyes.
            assert!(
                rows.iter().all(|&y| y > *eyes.last().expect("eye rows")),
                "{}: rows {rows:?}",
                v.name()
            );
            mouths.push((v, f.y));
        }
        // Open and rounded shapes look different from the rest pose and
        // from each other.
        let look = |v: Viseme| &mouths.iter().find(|m| m.0 == v).expect("drawn").1;
        for (a, b) in [
            (Viseme::Sil, Viseme::Aa),
            (Viseme::Aa, Viseme::Oh),
            (Viseme::Oh, Viseme::Ou),
            (Viseme::E, Viseme::Aa),
        ] {
            assert!(
                look(a) != look(b),
                "{} and {} look alike",
                a.name(),
                b.name()
            );
        }
    }
}
