//! Turns OpenCV's LBP frontal face cascade (an XML file from Debian's
//! `opencv-data`) into Rust tables in `OUT_DIR/face_cascade.rs`, which
//! `src/face/cascade.rs` includes. The crate reads no file at run time; the
//! model is compiled in. See `FACE_MODEL.md` for what the model is and its
//! licence.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, process};

const DEFAULT_PATH: &str = "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml";
const PATH_VAR: &str = "CHORUS_FACE_CASCADE";
const MISSING: &str = "chorus-sync needs OpenCV's face cascade from Debian's opencv-data package \
     (`apt-get install opencv-data`; `cargo xtask run`/`test` install it), or set \
     CHORUS_FACE_CASCADE to the file lbpcascade_frontalface_improved.xml";

/// LBP codes are 8 bits, so a categorical split is a 256-bit set: 8 words.
const SUBSET_WORDS: usize = 8;

struct Weak {
    feature: usize,
    subset: [u32; SUBSET_WORDS],
    leaves: [f32; 2],
}

struct Stage {
    first: usize,
    count: usize,
    threshold: f32,
}

struct Cascade {
    width: u32,
    height: u32,
    features: Vec<[u8; 4]>,
    weaks: Vec<Weak>,
    stages: Vec<Stage>,
}

fn main() {
    println!("cargo::rerun-if-env-changed={PATH_VAR}");
    let path = env::var_os(PATH_VAR).map_or_else(|| PathBuf::from(DEFAULT_PATH), PathBuf::from);
    println!("cargo::rerun-if-changed={}", path.display());

    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => fail(&format!("{MISSING} (reading {}: {err})", path.display())),
    };
    let cascade = match parse(&text) {
        Ok(cascade) => cascade,
        Err(err) => fail(&format!(
            "{} is not an LBP BOOST cascade of the form lbpcascade_frontalface_improved.xml has: {err}",
            path.display()
        )),
    };
    let Some(out_dir) = env::var_os("OUT_DIR") else {
        fail("OUT_DIR is not set: build.rs must run under cargo");
    };
    let out = Path::new(&out_dir).join("face_cascade.rs");
    if let Err(err) = fs::write(&out, render(&cascade, &path)) {
        fail(&format!("writing {}: {err}", out.display()));
    }
}

fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    process::exit(1);
}

/// The element children of `node` (comments and whitespace skipped).
fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children().filter(roxmltree::Node::is_element)
}

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &str,
) -> Result<roxmltree::Node<'a, 'i>, String> {
    elements(node)
        .find(|n| n.has_tag_name(name))
        .ok_or_else(|| format!("<{}> has no <{name}>", node.tag_name().name()))
}

fn text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Result<&'a str, String> {
    Ok(child(node, name)?.text().unwrap_or("").trim())
}

fn number<T: std::str::FromStr>(node: roxmltree::Node<'_, '_>, name: &str) -> Result<T, String> {
    let value = text(node, name)?;
    value
        .parse()
        .map_err(|_| format!("<{name}> is {value:?}, not a number of the expected kind"))
}

fn numbers<T: std::str::FromStr>(
    node: roxmltree::Node<'_, '_>,
    name: &str,
) -> Result<Vec<T>, String> {
    text(node, name)?
        .split_whitespace()
        .map(|word| {
            word.parse()
                .map_err(|_| format!("<{name}> holds {word:?}, not a number of the expected kind"))
        })
        .collect()
}

fn parse(xml: &str) -> Result<Cascade, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|err| format!("not XML: {err}"))?;
    let root = doc.root_element();
    if !root.has_tag_name("opencv_storage") {
        return Err(format!(
            "root element is <{}>, not <opencv_storage>",
            root.tag_name().name()
        ));
    }
    let cascade = child(root, "cascade")?;
    let stage_type = text(cascade, "stageType")?;
    if stage_type != "BOOST" {
        return Err(format!("stageType is {stage_type:?}, not \"BOOST\""));
    }
    let feature_type = text(cascade, "featureType")?;
    if feature_type != "LBP" {
        return Err(format!("featureType is {feature_type:?}, not \"LBP\""));
    }
    let width: u32 = number(cascade, "width")?;
    let height: u32 = number(cascade, "height")?;
    if !(3..=255).contains(&width) || !(3..=255).contains(&height) {
        return Err(format!("window {width}x{height} is outside 3..=255"));
    }
    let categories: u32 = number(child(cascade, "featureParams")?, "maxCatCount")?;
    if categories != 256 {
        return Err(format!("maxCatCount is {categories}, not 256"));
    }

    let features = elements(child(cascade, "features")?)
        .enumerate()
        .map(|(i, node)| feature(node, width, height).map_err(|err| format!("feature {i}: {err}")))
        .collect::<Result<Vec<_>, _>>()?;
    if features.is_empty() || features.len() > usize::from(u16::MAX) {
        return Err(format!("{} features; expected 1..=65535", features.len()));
    }

    let stage_nodes: Vec<_> = elements(child(cascade, "stages")?).collect();
    let stage_count: usize = number(cascade, "stageNum")?;
    if stage_nodes.len() != stage_count || stage_count == 0 {
        return Err(format!(
            "stageNum is {stage_count} but {} stages follow",
            stage_nodes.len()
        ));
    }
    let mut weaks = Vec::new();
    let mut stages = Vec::new();
    for (si, node) in stage_nodes.into_iter().enumerate() {
        let threshold: f64 =
            number(node, "stageThreshold").map_err(|err| format!("stage {si}: {err}"))?;
        let first = weaks.len();
        for (wi, weak_node) in elements(child(node, "weakClassifiers")?).enumerate() {
            let weak = weak(weak_node, features.len())
                .map_err(|err| format!("stage {si}, weak classifier {wi}: {err}"))?;
            weaks.push(weak);
        }
        let count = weaks.len() - first;
        let expected: usize =
            number(node, "maxWeakCount").map_err(|err| format!("stage {si}: {err}"))?;
        if count != expected || count == 0 {
            return Err(format!(
                "stage {si}: maxWeakCount is {expected} but {count} weak classifiers follow"
            ));
        }
        stages.push(Stage {
            first,
            count,
            // OpenCV reads every number as a double and stores it as a float.
            threshold: threshold as f32,
        });
    }
    if weaks.len() > usize::from(u16::MAX) {
        return Err(format!(
            "{} weak classifiers; at most 65535 fit",
            weaks.len()
        ));
    }
    Ok(Cascade {
        width,
        height,
        features,
        weaks,
        stages,
    })
}

/// `<_><rect>x y w h</rect></_>`: the top-left cell of a 3×3 grid of
/// `w × h` cells, which must lie inside the window.
fn feature(node: roxmltree::Node<'_, '_>, width: u32, height: u32) -> Result<[u8; 4], String> {
    let rect: Vec<u32> = numbers(node, "rect")?;
    let &[x, y, w, h] = rect.as_slice() else {
        return Err(format!("rect has {} numbers, not 4", rect.len()));
    };
    if w == 0 || h == 0 || x + 3 * w > width || y + 3 * h > height {
        return Err(format!(
            "rect {x} {y} {w} {h} (3x3 cells) does not fit the {width}x{height} window"
        ));
    }
    // All below 256 because the window side is.
    Ok([x as u8, y as u8, w as u8, h as u8])
}

/// `<internalNodes>0 -1 feature s0 … s7</internalNodes>` and two leaves: a
/// stump (one split) on a categorical feature. Anything deeper is refused.
fn weak(node: roxmltree::Node<'_, '_>, features: usize) -> Result<Weak, String> {
    let nodes: Vec<i64> = numbers(node, "internalNodes")?;
    if nodes.len() != 3 + SUBSET_WORDS {
        return Err(format!(
            "internalNodes has {} numbers; a stump on an LBP feature has {}",
            nodes.len(),
            3 + SUBSET_WORDS
        ));
    }
    if nodes[0] != 0 || nodes[1] != -1 {
        return Err(format!(
            "node children are {} {}, not a stump's 0 -1",
            nodes[0], nodes[1]
        ));
    }
    let feature = usize::try_from(nodes[2])
        .ok()
        .filter(|&f| f < features)
        .ok_or_else(|| format!("feature index {} is not below {features}", nodes[2]))?;
    let mut subset = [0u32; SUBSET_WORDS];
    for (word, &value) in subset.iter_mut().zip(&nodes[3..]) {
        let value =
            i32::try_from(value).map_err(|_| format!("subset word {value} is not a 32-bit int"))?;
        *word = value.cast_unsigned();
    }
    let leaves: Vec<f64> = numbers(node, "leafValues")?;
    let &[left, right] = leaves.as_slice() else {
        return Err(format!("leafValues has {} numbers, not 2", leaves.len()));
    };
    Ok(Weak {
        feature,
        subset,
        leaves: [left as f32, right as f32],
    })
}

/// `f32` as a literal that reads back to the same bits.
fn float(value: f32) -> String {
    format!("f32::from_bits(0x{:08x}) /* {value:e} */", value.to_bits())
}

fn render(cascade: &Cascade, path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "// Generated by chorus-sync's build.rs from {name}; do not edit."
    );
    let _ = writeln!(out, "pub const WINDOW_WIDTH: usize = {};", cascade.width);
    let _ = writeln!(out, "pub const WINDOW_HEIGHT: usize = {};", cascade.height);
    let _ = writeln!(
        out,
        "pub static FEATURES: [[u8; 4]; {}] = [",
        cascade.features.len()
    );
    for [x, y, w, h] in &cascade.features {
        let _ = writeln!(out, "    [{x}, {y}, {w}, {h}],");
    }
    let _ = writeln!(out, "];");
    let _ = writeln!(out, "pub static WEAKS: [Weak; {}] = [", cascade.weaks.len());
    for weak in &cascade.weaks {
        let subset: Vec<String> = weak.subset.iter().map(|w| format!("0x{w:08x}")).collect();
        let _ = writeln!(
            out,
            "    Weak {{ feature: {}, subset: [{}], leaves: [{}, {}] }},",
            weak.feature,
            subset.join(", "),
            float(weak.leaves[0]),
            float(weak.leaves[1]),
        );
    }
    let _ = writeln!(out, "];");
    let _ = writeln!(
        out,
        "pub static STAGES: [Stage; {}] = [",
        cascade.stages.len()
    );
    for stage in &cascade.stages {
        let _ = writeln!(
            out,
            "    Stage {{ first: {}, count: {}, threshold: {} }},",
            stage.first,
            stage.count,
            float(stage.threshold),
        );
    }
    let _ = writeln!(out, "];");
    out
}
