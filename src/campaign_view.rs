//! How a campaign's board is laid out and filtered: sheet rows down, one
//! column per language × format across; the filters kept in the page's URL;
//! which rows are on screen (only those are built, so a board of a thousand
//! variants scrolls as easily as one of twelve). Pure, so tested natively.

use std::ops::Range;

use chorus_core::board::{BoardFilter, BoardVariant, Campaign, DecisionFilter, VariantStatus};
use chorus_core::cost::format_usd;
use chorus_core::{AspectRatio, Language};

/// One row of the board: a sheet row and, per column, the variant shown
/// there (`None` where the filters hide it or it does not exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub row: u32,
    /// Indices into `Campaign::variants`, one per column.
    pub cells: Vec<Option<usize>>,
}

/// The board as the filters leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardLayout {
    pub columns: Vec<(Language, AspectRatio)>,
    pub rows: Vec<BoardRow>,
    /// Variants the filters let through.
    pub shown: usize,
}

/// Lays the campaign out: a language filter narrows the columns, the status
/// and decision filters empty the cells they hide, and rows left with no
/// cell go.
pub fn layout(campaign: &Campaign, filter: BoardFilter) -> BoardLayout {
    let columns: Vec<(Language, AspectRatio)> = campaign
        .languages
        .iter()
        .filter(|l| filter.language.is_none_or(|f| f == **l))
        .flat_map(|l| campaign.ratios.iter().map(move |r| (*l, *r)))
        .collect();
    let mut rows: Vec<BoardRow> = Vec::new();
    let mut shown = 0;
    for (i, v) in campaign.variants.iter().enumerate() {
        if !filter.matches(v) {
            continue;
        }
        let Some(column) = columns
            .iter()
            .position(|(l, r)| *l == v.language && *r == v.ratio)
        else {
            continue;
        };
        // Variants come row by row, so a row's cells are together.
        if rows.last().is_none_or(|r| r.row != v.row) {
            rows.push(BoardRow {
                row: v.row,
                cells: vec![None; columns.len()],
            });
        }
        if let Some(last) = rows.last_mut() {
            last.cells[column] = Some(i);
            shown += 1;
        }
    }
    BoardLayout {
        columns,
        rows,
        shown,
    }
}

/// The rows of height `row_h` that overlap the screen, `overscan` more on
/// each side. `top` is where the first row is against the top of the
/// window (negative once scrolled past), `viewport_h` the window's height.
pub fn visible_rows(
    top: f64,
    viewport_h: f64,
    row_h: f64,
    count: usize,
    overscan: usize,
) -> Range<usize> {
    if count == 0 || row_h <= 0.0 {
        return 0..0;
    }
    let first = ((-top) / row_h).floor().max(0.0);
    let last = ((viewport_h - top) / row_h).ceil().max(0.0);
    // Rounded row counts fit in usize; the casts only drop the fraction.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "floored non-negative row counts"
    )]
    let (first, last) = (first as usize, last as usize);
    let start = first.saturating_sub(overscan).min(count);
    let end = last.saturating_add(overscan).min(count).max(start);
    start..end
}

/// Reads the board's filters from a URL query (`?status=failed&language=de`);
/// unknown keys and values are ignored.
pub fn filter_from_search(search: &str) -> BoardFilter {
    let mut filter = BoardFilter::default();
    for pair in search.trim_start_matches('?').split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        match key {
            "status" => filter.status = VariantStatus::parse(value),
            "language" => filter.language = Language::from_code(value),
            "decision" => filter.decision = DecisionFilter::parse(value),
            _ => {}
        }
    }
    filter
}

/// The filters as a URL query, without the `?`; empty when none is set.
pub fn filter_to_search(filter: BoardFilter) -> String {
    let mut parts = Vec::new();
    if let Some(s) = filter.status {
        parts.push(format!("status={}", s.slug()));
    }
    if let Some(l) = filter.language {
        parts.push(format!("language={}", l.code()));
    }
    if let Some(d) = filter.decision {
        parts.push(format!("decision={}", d.slug()));
    }
    parts.join("&")
}

/// "$1.20 spent of $5.00 cap · estimate $2.40".
pub fn spend_line(campaign: &Campaign) -> String {
    let cap = campaign
        .cap_usd_micros
        .map(|cap| format!(" of {} cap", format_usd(cap)))
        .unwrap_or_default();
    format!(
        "{} spent{cap} · estimate {}",
        format_usd(campaign.committed_usd_micros),
        format_usd(campaign.estimate_usd_micros)
    )
}

/// How much of the cap is committed, 0–1, for the spend bar.
pub fn spend_share(campaign: &Campaign) -> Option<f64> {
    let cap = campaign.cap_usd_micros.filter(|c| *c > 0)?;
    Some((campaign.committed_usd_micros as f64 / cap as f64).clamp(0.0, 1.0))
}

/// Variants that are not ended: what Cancel the rest stops.
pub fn still_running(variants: &[BoardVariant]) -> usize {
    variants.iter().filter(|v| !v.status.is_ended()).count()
}

/// What a cell says about its cost: what it cost once settled, else its
/// estimate marked as such.
pub fn cell_cost(v: &BoardVariant) -> String {
    match v.cost_usd_micros {
        Some(cost) => format_usd(cost),
        None => format!("≈{}", format_usd(v.estimate_usd_micros)),
    }
}

/// The URL of the campaign's export (a ZIP): `only` is `approved` or `all`.
pub fn export_href(campaign_id: &str, only: &str, pattern: &str) -> String {
    format!(
        "/api/campaigns/{campaign_id}/export?only={only}&pattern={}",
        encode(pattern)
    )
}

/// `%XX`-encodes everything but unreserved characters.
fn encode(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(
        idx: u32,
        row: u32,
        language: Language,
        ratio: AspectRatio,
        status: VariantStatus,
    ) -> BoardVariant {
        BoardVariant {
            idx,
            row,
            language,
            ratio,
            status,
            reason: None,
            job_id: None,
            attempts: 0,
            progress: 0.0,
            model: "draft".into(),
            seed: None,
            line: None,
            estimate_usd_micros: 100_000,
            cost_usd_micros: None,
            video: None,
            poster: None,
            sidecar: None,
            sync: None,
            decision: None,
            reviewer: None,
            decided_at: None,
            updated_at: 0,
        }
    }

    fn campaign() -> Campaign {
        let langs = [Language::English, Language::German];
        let ratios = [AspectRatio::Portrait9x16, AspectRatio::Square];
        let mut variants = Vec::new();
        for row in 2..5 {
            for l in langs {
                for r in ratios {
                    let status = if row == 3 && l == Language::German {
                        VariantStatus::Failed
                    } else {
                        VariantStatus::Succeeded
                    };
                    variants.push(variant(variants.len() as u32, row, l, r, status));
                }
            }
        }
        Campaign {
            id: "c1".into(),
            name: "Spring".into(),
            created_at: 0,
            created_by: None,
            cap_usd_micros: Some(5_000_000),
            committed_usd_micros: 1_200_000,
            estimate_usd_micros: 2_400_000,
            name_pattern: String::new(),
            languages: langs.to_vec(),
            ratios: ratios.to_vec(),
            canceled_at: None,
            finished_at: None,
            variants,
        }
    }

    #[test]
    fn the_board_is_rows_by_language_and_format() {
        let c = campaign();
        let all = layout(&c, BoardFilter::default());
        assert_eq!(all.columns.len(), 4);
        assert_eq!(all.rows.len(), 3);
        assert_eq!(all.shown, 12);
        assert_eq!(all.rows[1].row, 3);
        assert_eq!(all.rows[1].cells, [Some(4), Some(5), Some(6), Some(7)]);

        let failed = layout(&c, filter_from_search("?status=failed"));
        assert_eq!(failed.rows.len(), 1);
        assert_eq!(failed.rows[0].cells, [None, None, Some(6), Some(7)]);

        let german = layout(&c, filter_from_search("language=de"));
        assert_eq!(
            german.columns,
            [
                (Language::German, AspectRatio::Portrait9x16),
                (Language::German, AspectRatio::Square)
            ]
        );
        assert_eq!(german.shown, 6);
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let f = filter_from_search("?status=succeeded&language=de&decision=approved&x=1");
        assert_eq!(
            filter_to_search(f),
            "status=succeeded&language=de&decision=approved"
        );
        assert_eq!(filter_to_search(BoardFilter::default()), "");
    }

    #[test]
    fn only_rows_near_the_screen_are_built() {
        assert_eq!(visible_rows(0.0, 800.0, 100.0, 1000, 2), 0..10);
        assert_eq!(visible_rows(-5000.0, 800.0, 100.0, 1000, 2), 48..60);
        assert_eq!(visible_rows(-99_000.0, 800.0, 100.0, 1000, 2), 988..1000);
        assert_eq!(visible_rows(2000.0, 800.0, 100.0, 1000, 2), 0..2);
        assert_eq!(visible_rows(0.0, 800.0, 100.0, 0, 2), 0..0);
    }

    #[test]
    fn money_and_links() {
        let c = campaign();
        assert_eq!(spend_line(&c), "$1.20 spent of $5.00 cap · estimate $2.40");
        assert_eq!(spend_share(&c), Some(0.24));
        assert_eq!(cell_cost(&c.variants[0]), "≈$0.10");
        assert_eq!(
            export_href("c1", "approved", "{campaign}_{row}.mp4"),
            "/api/campaigns/c1/export?only=approved&pattern=%7Bcampaign%7D_%7Brow%7D.mp4"
        );
        assert_eq!(still_running(&c.variants), 0);
    }
}
