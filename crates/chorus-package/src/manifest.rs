//! `manifest.csv`: one row per clip in the package, for the people who
//! traffic the files (which row and language each is, what made it, what it
//! cost, how far its sound was measured off the picture, and who approved it).

use serde::{Deserialize, Serialize};

use crate::PackageError;

/// The manifest's name inside the package.
pub const MANIFEST_NAME: &str = "manifest.csv";

/// One clip's line in the manifest; the field names are the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRow {
    /// The clip's file name in the package.
    pub file: String,
    pub row: u32,
    pub language: String,
    pub ratio: String,
    pub model: String,
    /// Empty when the take has none.
    pub seed: Option<u64>,
    /// US dollars as a decimal, e.g. `0.42`.
    pub cost_usd: String,
    /// The measured lip-sync offset; empty when it was not measured.
    pub lipsync_offset_ms: Option<i64>,
    /// e.g. `approved`.
    pub decision: String,
    pub reviewer: String,
    /// When it was decided, RFC 3339.
    pub time: String,
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 4] = ['=', '+', '-', '@'];

/// Free text from people or providers cannot run as a formula when the
/// manifest is opened in a spreadsheet: it is kept as text with a `'`.
fn as_text(value: &str) -> String {
    if value.starts_with(FORMULA_START) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn is_decimal(s: &str) -> bool {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// The manifest as CSV (RFC 4180 quoting), header first.
pub fn manifest_csv(rows: &[ManifestRow]) -> Result<String, PackageError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        out.write_record([
            "file",
            "row",
            "language",
            "ratio",
            "model",
            "seed",
            "cost_usd",
            "lipsync_offset_ms",
            "decision",
            "reviewer",
            "time",
        ])
        .map_err(PackageError::Manifest)?;
    }
    for row in rows {
        if !is_decimal(&row.cost_usd) {
            return Err(PackageError::ManifestRow {
                file: row.file.clone(),
                reason: format!(
                    "cost_usd {:?} is not a decimal number of dollars like 0.42",
                    row.cost_usd
                ),
            });
        }
        let safe = ManifestRow {
            model: as_text(&row.model),
            decision: as_text(&row.decision),
            reviewer: as_text(&row.reviewer),
            ..row.clone()
        };
        out.serialize(safe).map_err(PackageError::Manifest)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| PackageError::Manifest(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| PackageError::ManifestRow {
        file: String::new(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ManifestRow {
        ManifestRow {
            file: "Spring_1_en_9x16_v1.mp4".into(),
            row: 1,
            language: "en".into(),
            ratio: "9:16".into(),
            model: "draft".into(),
            seed: Some(42),
            cost_usd: "0.00".into(),
            lipsync_offset_ms: None,
            decision: "approved".into(),
            reviewer: "Ana, \"client\"".into(),
            time: "2026-12-07T11:00:00Z".into(),
        }
    }

    #[test]
    fn header_and_quoting() {
        let csv = manifest_csv(&[row()]).unwrap();
        assert_eq!(
            csv,
            "file,row,language,ratio,model,seed,cost_usd,lipsync_offset_ms,decision,reviewer,time\n\
             Spring_1_en_9x16_v1.mp4,1,en,9:16,draft,42,0.00,,approved,\"Ana, \"\"client\"\"\",2026-12-07T11:00:00Z\n"
        );
        let empty = manifest_csv(&[]).unwrap();
        assert!(empty.starts_with("file,row,language,"), "{empty}");
    }

    #[test]
    fn formulas_stay_text_and_costs_must_be_decimals() {
        let evil = ManifestRow {
            reviewer: "=HYPERLINK(\"x\")".into(),
            lipsync_offset_ms: Some(-40),
            ..row()
        };
        let csv = manifest_csv(&[evil]).unwrap();
        assert!(csv.contains(",-40,approved,\"'=HYPERLINK"), "{csv}");
        for bad in ["", "1,5", "$3", "1.", ".5", "-1"] {
            let e = manifest_csv(&[ManifestRow {
                cost_usd: bad.into(),
                ..row()
            }])
            .unwrap_err();
            assert!(e.to_string().contains("Spring_1_en_9x16_v1.mp4"), "{e}");
        }
    }
}
