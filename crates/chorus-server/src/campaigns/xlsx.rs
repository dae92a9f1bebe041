//! A campaign sheet sent as a spreadsheet file (.xlsx, and what else
//! `calamine` reads: .xls, .xlsb, .ods), turned into the grid of text that
//! chorus-core's `Sheet::from_grid` checks like a pasted CSV. The first
//! worksheet is the sheet; a cell holding a formula is refused at its row
//! and column, as a pasted formula is, since a sheet's values are what a
//! campaign runs on, never something computed.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chorus_core::campaign::SheetProblem;

/// The first worksheet of `bytes` as rows of cell text; problems name the
/// row (as the spreadsheet numbers it) and the column header.
pub fn grid(bytes: &[u8]) -> Result<Vec<Vec<String>>, Vec<SheetProblem>> {
    let refuse = |message: String| vec![SheetProblem::error(None, None, message)];
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        refuse(format!(
            "the file is not a spreadsheet Chorus can read (.xlsx, .xls, .xlsb, .ods): {e}; or paste the sheet as CSV"
        ))
    })?;
    let Some(first) = book.sheet_names().first().cloned() else {
        return Err(refuse("the workbook has no worksheet".into()));
    };
    let values = book
        .worksheet_range(&first)
        .map_err(|e| refuse(format!("worksheet {first} cannot be read: {e}")))?;
    let formulas = book.worksheet_formula(&first).ok();
    let Some((top, left)) = values.start() else {
        return Err(refuse(format!("worksheet {first} is empty")));
    };
    let mut rows: Vec<Vec<String>> = values
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    let mut problems = Vec::new();
    if let Some(formulas) = formulas {
        for (r, c, formula) in formulas.used_cells() {
            if formula.trim().is_empty() {
                continue;
            }
            let (Some(fr), Some(fc)) =
                (formulas.start().map(|s| s.0), formulas.start().map(|s| s.1))
            else {
                continue;
            };
            let (row, col) = (fr as usize + r, fc as usize + c);
            let header = rows
                .first()
                .and_then(|h| h.get(col.saturating_sub(left as usize)))
                .filter(|h| !h.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| column_letters(col));
            problems.push(SheetProblem::error(
                Some(row as u32 + 1),
                Some(&header),
                format!("a formula (={formula}); paste values, not formulas"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Rows above the first used one are empty in the spreadsheet too.
    if top > 0 {
        let mut padded = vec![Vec::new(); top as usize];
        padded.append(&mut rows);
        rows = padded;
    }
    Ok(rows)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => d.as_datetime().map_or_else(
            || d.as_f64().to_string(),
            |d| d.format("%Y-%m-%d").to_string(),
        ),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// 0 → "A", 27 → "AB".
fn column_letters(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }

    #[test]
    fn a_file_that_is_no_spreadsheet_says_so() {
        let problems = grid(b"product,colour\nvase,teal\n").expect_err("not a workbook");
        assert!(
            problems[0]
                .message
                .starts_with("the file is not a spreadsheet"),
            "{problems:?}"
        );
    }
}
