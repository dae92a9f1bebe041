//! Merging the cascade's many overlapping hits into one box per face, with
//! OpenCV's `groupRectangles` rules (and its `clipObjects` afterwards).

/// An integer box in detection pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

/// How far apart two hits may be, relative to their size, and still be
/// the same face (OpenCV's `GROUP_EPS`).
const EPS: f64 = 0.2;

/// Two hits are the same face when every edge is within `EPS` of the mean
/// of the smaller width and the smaller height.
fn similar(a: &Rect, b: &Rect) -> bool {
    let delta = EPS * f64::from(a.w.min(b.w) + a.h.min(b.h)) * 0.5;
    f64::from((a.x - b.x).abs()) <= delta
        && f64::from((a.y - b.y).abs()) <= delta
        && f64::from((a.x + a.w - b.x - b.w).abs()) <= delta
        && f64::from((a.y + a.h - b.y - b.h).abs()) <= delta
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// `f32` to `i32`, rounding halves to even (OpenCV's `cvRound`).
fn round_f32(v: f32) -> i32 {
    v.round_ties_even() as i32
}

/// `f64` to `i32`, rounding halves to even.
fn round_f64(v: f64) -> i32 {
    v.round_ties_even() as i32
}

/// Groups `hits` into faces: hits are linked when [`similar`], and a
/// group is every hit linked to another by a chain of such links. A group
/// of `n` hits becomes their mean box (each side rounded), kept only when
/// `n > min_neighbors`, and dropped when it lies within another kept group
/// (with `EPS` of that group's size to spare) that has more than
/// `max(3, n)` hits, or any, if `n < 3`. With `min_neighbors == 0` nothing
/// is grouped: every hit is a box of one. Returns boxes with their hit
/// counts, in the order OpenCV gives them.
pub(super) fn group(hits: &[Rect], min_neighbors: u32) -> Vec<(Rect, u32)> {
    if min_neighbors == 0 || hits.is_empty() {
        return hits.iter().map(|&r| (r, 1)).collect();
    }
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    for i in 0..hits.len() {
        for j in 0..i {
            if similar(&hits[i], &hits[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                if a != b {
                    parent[a] = b;
                }
            }
        }
    }
    // Groups numbered in the order their first hit appears.
    let mut label = vec![usize::MAX; hits.len()];
    let mut sums: Vec<([i64; 4], u32)> = Vec::new();
    for (i, hit) in hits.iter().enumerate() {
        let r = root(&mut parent, i);
        if label[r] == usize::MAX {
            label[r] = sums.len();
            sums.push(([0; 4], 0));
        }
        let (sum, n) = &mut sums[label[r]];
        for (s, v) in sum.iter_mut().zip([hit.x, hit.y, hit.w, hit.h]) {
            *s += i64::from(v);
        }
        *n += 1;
    }
    let means: Vec<(Rect, u32)> = sums
        .iter()
        .map(|&(sum, n)| {
            let inverse = 1.0 / n as f32;
            let [x, y, w, h] = sum.map(|v| round_f32(v as f32 * inverse));
            (Rect { x, y, w, h }, n)
        })
        .collect();
    let threshold = min_neighbors;
    means
        .iter()
        .enumerate()
        .filter(|&(i, &(r1, n1))| {
            n1 > threshold
                && !means.iter().enumerate().any(|(j, &(r2, n2))| {
                    let dx = round_f64(f64::from(r2.w) * EPS);
                    let dy = round_f64(f64::from(r2.h) * EPS);
                    j != i
                        && n2 > threshold
                        && r1.x >= r2.x - dx
                        && r1.y >= r2.y - dy
                        && r1.x + r1.w <= r2.x + r2.w + dx
                        && r1.y + r1.h <= r2.y + r2.h + dy
                        && (n2 > n1.max(3) || n1 < 3)
                })
        })
        .map(|(_, &m)| m)
        .collect()
}

/// `r` cut to the `width × height` picture, or `None` if nothing is left.
pub(super) fn clip(r: Rect, width: i32, height: i32) -> Option<Rect> {
    let (x0, y0) = (r.x.max(0), r.y.max(0));
    let (x1, y1) = ((r.x + r.w).min(width), (r.y + r.h).min(height));
    (x1 > x0 && y1 > y0).then(|| Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn overlapping_hits_merge_into_their_mean() {
        let hits = [
            r(100, 100, 50, 50),
            r(102, 101, 50, 50),
            r(104, 99, 52, 52),
            r(10, 10, 45, 45),
        ];
        let groups = group(&hits, 2);
        assert_eq!(groups, vec![(r(102, 100, 51, 51), 3)]);
        // The lone hit is kept only when one neighbour is enough.
        assert_eq!(group(&hits, 0).len(), 4);
        assert_eq!(group(&hits, 1).len(), 1);
        assert!(group(&hits, 3).is_empty());
    }

    #[test]
    fn chains_link_hits_that_are_not_directly_similar() {
        let hits = [r(0, 0, 50, 50), r(8, 0, 50, 50), r(16, 0, 50, 50)];
        assert!(!similar(&hits[0], &hits[2]));
        assert_eq!(group(&hits, 2), vec![(r(8, 0, 50, 50), 3)]);
    }

    #[test]
    fn a_small_group_inside_a_strong_one_is_dropped() {
        let mut hits = vec![r(200, 200, 100, 100); 6];
        hits.extend([r(230, 230, 40, 40); 2]);
        assert_eq!(group(&hits, 1), vec![(r(200, 200, 100, 100), 6)]);
    }

    #[test]
    fn clipping_cuts_to_the_picture() {
        assert_eq!(clip(r(-5, 10, 20, 20), 100, 25), Some(r(0, 10, 15, 15)));
        assert_eq!(clip(r(100, 0, 20, 20), 100, 100), None);
    }
}
