//! Drawing on the picture: a drag becomes a review shape (pin, arrow,
//! rectangle or freehand stroke) in 0–1 coordinates, and a shape becomes
//! SVG for any picture size. Pure, so it is tested natively.

use std::fmt::Write as _;

use chorus_core::review::{MAX_STROKE_POINTS, Point, Shape};

/// What a drag on the picture draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Pin,
    Arrow,
    Rect,
    Freehand,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::Pin, Tool::Arrow, Tool::Rect, Tool::Freehand];

    pub fn label(self) -> &'static str {
        match self {
            Tool::Pin => "Pin",
            Tool::Arrow => "Arrow",
            Tool::Rect => "Box",
            Tool::Freehand => "Pen",
        }
    }
}

/// A point on the picture from a pointer position inside a box of
/// `width` × `height`, kept on the picture.
pub fn to_unit(x: f64, y: f64, width: f64, height: f64) -> Point {
    let unit = |v: f64, size: f64| {
        if size > 0.0 {
            (v / size).clamp(0.0, 1.0) as f32
        } else {
            0.0
        }
    };
    [unit(x, width), unit(y, height)]
}

/// Smallest drag, as a share of the picture, that counts as a shape
/// rather than a click.
const MIN_DRAG: f32 = 0.01;

/// A shape being drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    tool: Tool,
    points: Vec<Point>,
}

impl Draft {
    pub fn start(tool: Tool, at: Point) -> Self {
        Draft {
            tool,
            points: vec![at],
        }
    }

    /// The pointer moved to `at`.
    pub fn extend(&mut self, at: Point) {
        match self.tool {
            Tool::Pin => self.points[0] = at,
            Tool::Arrow | Tool::Rect => {
                self.points.truncate(1);
                self.points.push(at);
            }
            Tool::Freehand => {
                // Points closer than a fraction of a percent add nothing.
                if self.points.last().is_none_or(|p| distance(*p, at) > 0.002) {
                    self.points.push(at);
                }
            }
        }
    }

    /// The shape so far, as it would be stored; `None` while it is too
    /// small to mean anything (a click with the arrow, say).
    pub fn shape(&self) -> Option<Shape> {
        let first = self.points[0];
        let last = *self.points.last()?;
        match self.tool {
            Tool::Pin => Some(Shape::Pin { at: first }),
            Tool::Arrow => (distance(first, last) >= MIN_DRAG).then_some(Shape::Arrow {
                from: first,
                to: last,
            }),
            Tool::Rect => ((first[0] - last[0]).abs() >= MIN_DRAG
                && (first[1] - last[1]).abs() >= MIN_DRAG)
                .then_some(Shape::Rect {
                    from: first,
                    to: last,
                }),
            Tool::Freehand => (self.points.len() >= 2).then(|| Shape::Freehand {
                points: thin(&self.points, MAX_STROKE_POINTS),
            }),
        }
    }
}

fn distance(a: Point, b: Point) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// At most `most` points of a stroke, evenly picked, first and last kept.
fn thin(points: &[Point], most: usize) -> Vec<Point> {
    if points.len() <= most {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..most).map(|i| points[i * last / (most - 1)]).collect()
}

/// One SVG element of a shape drawn in a `width` × `height` box.
#[derive(Debug, Clone, PartialEq)]
pub enum Svg {
    Circle {
        cx: f64,
        cy: f64,
    },
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    },
    /// A path's `d`.
    Path(String),
}

/// The SVG for `shape` in a box of `width` × `height`: an arrow is its
/// shaft and a head sized to the picture.
pub fn svg(shape: &Shape, width: f64, height: f64) -> Vec<Svg> {
    let at = |p: &Point| (f64::from(p[0]) * width, f64::from(p[1]) * height);
    match shape {
        Shape::Pin { at: p } => {
            let (cx, cy) = at(p);
            vec![Svg::Circle { cx, cy }]
        }
        Shape::Rect { from, to } => {
            let (x0, y0) = at(from);
            let (x1, y1) = at(to);
            vec![Svg::Rect {
                x: x0.min(x1),
                y: y0.min(y1),
                w: (x1 - x0).abs(),
                h: (y1 - y0).abs(),
            }]
        }
        Shape::Arrow { from, to } => {
            let (x0, y0) = at(from);
            let (x1, y1) = at(to);
            let angle = (y1 - y0).atan2(x1 - x0);
            let head = width.min(height) * 0.04;
            let wing = |turn: f64| {
                (
                    x1 - head * (angle + turn).cos(),
                    y1 - head * (angle + turn).sin(),
                )
            };
            let (ax, ay) = wing(0.5);
            let (bx, by) = wing(-0.5);
            vec![
                Svg::Path(format!("M{x0:.1} {y0:.1}L{x1:.1} {y1:.1}")),
                Svg::Path(format!("M{ax:.1} {ay:.1}L{x1:.1} {y1:.1}L{bx:.1} {by:.1}")),
            ]
        }
        Shape::Freehand { points } => {
            let mut d = String::new();
            for (i, p) in points.iter().enumerate() {
                let (x, y) = at(p);
                let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { 'M' } else { 'L' });
            }
            vec![Svg::Path(d)]
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "exact values: clamped ends and copied points"
)]
mod tests {
    use super::*;

    #[test]
    fn a_drag_with_each_tool_makes_its_shape() {
        let mut rect = Draft::start(Tool::Rect, [0.6, 0.7]);
        rect.extend([0.5, 0.5]);
        rect.extend([0.2, 0.3]);
        assert_eq!(
            rect.shape(),
            Some(Shape::Rect {
                from: [0.6, 0.7],
                to: [0.2, 0.3]
            })
        );
        assert_eq!(rect.shape().and_then(|s| s.problem()), None);

        let mut arrow = Draft::start(Tool::Arrow, [0.1, 0.1]);
        assert_eq!(arrow.shape(), None, "a click is not an arrow");
        arrow.extend([0.4, 0.2]);
        assert!(matches!(arrow.shape(), Some(Shape::Arrow { .. })));

        let pin = Draft::start(Tool::Pin, [0.5, 0.5]);
        assert_eq!(pin.shape(), Some(Shape::Pin { at: [0.5, 0.5] }));
    }

    #[test]
    fn long_strokes_are_thinned_to_what_the_server_takes() {
        let mut pen = Draft::start(Tool::Freehand, [0.0, 0.0]);
        for i in 1..=2000 {
            let t = i as f32 / 2000.0;
            pen.extend([t, (t * 9.0).sin().abs()]);
        }
        let Some(Shape::Freehand { points }) = pen.shape() else {
            panic!("a stroke");
        };
        assert_eq!(points.len(), MAX_STROKE_POINTS);
        assert_eq!(points[0], [0.0, 0.0]);
        assert_eq!(points.last().copied(), Some([1.0, 9.0_f32.sin().abs()]));
    }

    #[test]
    fn pointers_off_the_picture_stay_on_its_edge() {
        assert_eq!(to_unit(-5.0, 50.0, 200.0, 100.0), [0.0, 0.5]);
        assert_eq!(to_unit(300.0, 120.0, 200.0, 100.0), [1.0, 1.0]);
        assert_eq!(to_unit(1.0, 1.0, 0.0, 0.0), [0.0, 0.0]);
    }

    #[test]
    fn shapes_scale_to_any_picture() {
        let rect = Shape::Rect {
            from: [0.5, 0.5],
            to: [0.25, 0.25],
        };
        assert_eq!(
            svg(&rect, 400.0, 200.0),
            vec![Svg::Rect {
                x: 100.0,
                y: 50.0,
                w: 100.0,
                h: 50.0
            }]
        );
        let arrow = Shape::Arrow {
            from: [0.0, 0.5],
            to: [1.0, 0.5],
        };
        let parts = svg(&arrow, 100.0, 100.0);
        assert_eq!(parts[0], Svg::Path("M0.0 50.0L100.0 50.0".into()));
        assert_eq!(parts.len(), 2, "a shaft and a head");
    }
}
