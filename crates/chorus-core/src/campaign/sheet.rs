//! The campaign's sheet: CSV or TSV as pasted or uploaded, or the grid the
//! server reads out of an .xlsx. Rows are numbered as the spreadsheet shows
//! them, so every problem can say "row 5, price: …".

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{MAX_ROWS, SheetProblem, thousands};

/// A sheet with a header row naming its columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sheet {
    /// Column names from the header row, trimmed.
    pub columns: Vec<String>,
    /// The data rows that have something in them, in sheet order.
    #[serde(default)]
    pub rows: Vec<SheetRow>,
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetRow {
    /// As a spreadsheet shows it: the header is row 1, the first data row 2.
    pub number: u32,
    /// One trimmed cell per column (short rows are padded with empty cells).
    pub cells: Vec<String>,
}

impl Sheet {
    /// Reads CSV or TSV (told apart by the header line) in UTF-8, with or
    /// without a byte-order mark, or UTF-16 with one.
    pub fn parse(bytes: &[u8]) -> Result<Sheet, Vec<SheetProblem>> {
        let text = decode(bytes).map_err(|p| vec![p])?;
        let delimiter = delimiter(&text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        // A spreadsheet row is a record, blank or not; a line break inside a
        // quoted cell does not start one. The reader's own line numbers
        // count both, and start a record before the breaks it skips, so
        // rows are counted here: line breaks before the record's first
        // byte, less those that were inside earlier records' cells.
        let bytes = text.as_bytes();
        let (mut scanned, mut breaks, mut inside_cells) = (0usize, 0u64, 0u64);
        let mut header: Option<(u64, Vec<String>)> = None;
        let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
        let mut data_rows: usize = 0;
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let row = e.position().map(|p| p.line() as u32);
                    return Err(vec![SheetProblem::error(
                        row,
                        None,
                        format!("the sheet could not be read as CSV ({e})"),
                    )]);
                }
            }
            let mut start = record
                .position()
                .map_or(0, |p| p.byte() as usize)
                .max(scanned);
            while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                start += 1;
            }
            breaks += line_breaks(&bytes[scanned..start]);
            scanned = start;
            let row_line = 1 + breaks - inside_cells;
            inside_cells += record
                .iter()
                .map(|field| line_breaks(field.as_bytes()))
                .sum::<u64>();
            if record.iter().all(|field| field.trim().is_empty()) {
                continue;
            }
            match &header {
                None => header = Some((row_line, record.iter().map(str::to_string).collect())),
                Some((header_line, _)) => {
                    data_rows += 1;
                    // Past the limit only the count matters: the sheet is
                    // refused as a whole.
                    if data_rows <= MAX_ROWS {
                        let number = u32::try_from(row_line - header_line + 1).unwrap_or(u32::MAX);
                        rows.push((number, record.iter().map(str::to_string).collect()));
                    }
                }
            }
        }
        if data_rows > MAX_ROWS {
            return Err(vec![too_many_rows(data_rows)]);
        }
        let Some((_, header)) = header else {
            return Err(vec![empty_sheet()]);
        };
        Sheet::build(header, rows)
    }

    /// Takes the grid of strings read out of a spreadsheet file: the first
    /// row with anything in it names the columns.
    pub fn from_grid(grid: Vec<Vec<String>>) -> Result<Sheet, Vec<SheetProblem>> {
        let blank = |row: &[String]| row.iter().all(|cell| cell.trim().is_empty());
        let Some(header_index) = grid.iter().position(|row| !blank(row)) else {
            return Err(vec![empty_sheet()]);
        };
        if grid.len() - header_index - 1 > MAX_ROWS {
            let data_rows = grid[header_index + 1..]
                .iter()
                .filter(|row| !blank(row))
                .count();
            if data_rows > MAX_ROWS {
                return Err(vec![too_many_rows(data_rows)]);
            }
        }
        let mut grid = grid.into_iter().enumerate().skip(header_index);
        let header = grid.next().map(|(_, row)| row).unwrap_or_default();
        let rows = grid
            .filter(|(_, row)| !blank(row))
            .map(|(index, row)| {
                let number = u32::try_from(index - header_index + 1).unwrap_or(u32::MAX);
                (number, row)
            })
            .collect();
        Sheet::build(header, rows)
    }

    /// Trims every cell, pads short rows, drops empty cells past the last
    /// named column, then checks what is left.
    fn build(
        header: Vec<String>,
        rows: Vec<(u32, Vec<String>)>,
    ) -> Result<Sheet, Vec<SheetProblem>> {
        let mut columns: Vec<String> = header.iter().map(|name| name.trim().to_string()).collect();
        while columns.last().is_some_and(String::is_empty) {
            columns.pop();
        }
        let width = columns.len();
        let rows = rows
            .into_iter()
            .map(|(number, cells)| {
                let mut cells: Vec<String> =
                    cells.iter().map(|cell| cell.trim().to_string()).collect();
                while cells.len() > width && cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                cells.resize(cells.len().max(width), String::new());
                SheetRow { number, cells }
            })
            .collect();
        let sheet = Sheet { columns, rows };
        let problems = sheet.problems();
        if problems.is_empty() {
            Ok(sheet)
        } else {
            Err(problems)
        }
    }

    /// Everything wrong with the sheet as it stands; the server calls this on
    /// a sheet that arrived inside a campaign rather than through `parse`.
    pub fn problems(&self) -> Vec<SheetProblem> {
        if self.columns.is_empty() {
            return vec![empty_sheet()];
        }
        if self.rows.len() > MAX_ROWS {
            return vec![too_many_rows(self.rows.len())];
        }
        let mut out = Vec::new();
        for (i, name) in self.columns.iter().enumerate() {
            let place = Some(format!("column {}", column_letter(i)));
            if name.trim().is_empty() {
                out.push(SheetProblem::error(
                    Some(1),
                    place.as_deref(),
                    "this column has no name; name it in row 1 or delete the column",
                ));
            } else if let Some(formula) = formula(name) {
                out.push(formula_problem(1, name, formula));
            } else if let Some(first) = self.columns[..i]
                .iter()
                .position(|other| same_name(other, name))
            {
                out.push(SheetProblem::error(
                    Some(1),
                    Some(name),
                    format!(
                        "the column {name} appears twice (columns {} and {}); keep one",
                        column_letter(first),
                        column_letter(i)
                    ),
                ));
            }
        }
        for row in &self.rows {
            for (i, cell) in row.cells.iter().enumerate().take(self.columns.len()) {
                if let Some(formula) = formula(cell) {
                    out.push(formula_problem(row.number, &self.columns[i], formula));
                }
            }
            let extra = row.cells.iter().enumerate().skip(self.columns.len());
            if let Some((i, cell)) = extra.clone().find(|(_, cell)| !cell.trim().is_empty()) {
                out.push(SheetProblem::error(
                    Some(row.number),
                    Some(&format!("column {}", column_letter(i))),
                    format!(
                        "{} is to the right of the last named column; name the column in row 1 or remove the value",
                        quoted(cell)
                    ),
                ));
            }
        }
        out
    }

    /// The index of the column called `name`, whatever its case.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| same_name(c, name))
    }

    /// The cell of `row` in column `column`, or "" past its end.
    pub fn cell(row: &SheetRow, column: usize) -> &str {
        row.cells.get(column).map_or("", String::as_str)
    }
}

/// Line breaks in `bytes`: `\r\n`, `\n` or a lone `\r` each count once.
fn line_breaks(bytes: &[u8]) -> u64 {
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => count += 1,
            b'\r' => {
                count += 1;
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    count
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The text of `bytes`: UTF-8 (a byte-order mark is dropped) or UTF-16 with
/// its byte-order mark, which Excel's "Unicode text" export writes.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, SheetProblem> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest).map(Cow::Borrowed);
    }
    let utf16 = match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((rest, u16::from_le_bytes as fn([u8; 2]) -> u16)),
        [0xFE, 0xFF, rest @ ..] => Some((rest, u16::from_be_bytes as fn([u8; 2]) -> u16)),
        _ => None,
    };
    let Some((rest, unit)) = utf16 else {
        return utf8(bytes).map(Cow::Borrowed);
    };
    let units = rest.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(rest.len() / 2);
    let mut line: u32 = 1;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => {
                if c == '\n' {
                    line += 1;
                }
                text.push(c);
            }
            Err(_) => return Err(not_text(line, "UTF-16")),
        }
    }
    if rest.len() % 2 == 1 {
        return Err(not_text(line, "UTF-16"));
    }
    Ok(Cow::Owned(text))
}

fn utf8(bytes: &[u8]) -> Result<&str, SheetProblem> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.split(|b| *b == b'\n').count();
        not_text(u32::try_from(line).unwrap_or(u32::MAX), "UTF-8")
    })
}

fn not_text(line: u32, encoding: &str) -> SheetProblem {
    SheetProblem::error(
        Some(line),
        None,
        format!(
            "this line is not {encoding} text (the file was saved in another encoding); save it as UTF-8 CSV"
        ),
    )
}

/// Tab when the header line has tabs (pasted from a spreadsheet, or TSV);
/// semicolon when it has semicolons and no commas (CSV from a European
/// Excel); comma otherwise.
fn delimiter(text: &str) -> u8 {
    let header = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let count = |c: char| header.chars().filter(|x| *x == c).count();
    let (tabs, commas, semicolons) = (count('\t'), count(','), count(';'));
    if tabs > 0 && tabs >= commas {
        b'\t'
    } else if commas == 0 && semicolons > 0 {
        b';'
    } else {
        b','
    }
}

fn empty_sheet() -> SheetProblem {
    SheetProblem::error(
        None,
        None,
        "the sheet is empty; row 1 names the columns and each row below is one product",
    )
}

fn too_many_rows(rows: usize) -> SheetProblem {
    SheetProblem::error(
        None,
        None,
        format!(
            "the sheet has {} rows; a campaign takes at most {}",
            thousands(rows),
            thousands(MAX_ROWS)
        ),
    )
}

fn formula_problem(row: u32, column: &str, formula: &str) -> SheetProblem {
    SheetProblem::error(
        Some(row),
        Some(column),
        format!("a formula ({formula}); paste values, not formulas"),
    )
}

/// `A`, `B`, … `Z`, `AA`: the spreadsheet's name for column `index` (0-based).
pub(crate) fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(char::from(b'A' + digit as u8));
        n = (n - 1) / 26;
    }
    letters.into_iter().rev().collect()
}

/// A cell's text for a message, cut short.
fn quoted(cell: &str) -> String {
    const SHOWN: usize = 30;
    let mut out: String = cell.chars().take(SHOWN).collect();
    if cell.chars().nth(SHOWN).is_some() {
        out.push('…');
    }
    format!("“{out}”")
}

/// The cell, cut short, when it is a spreadsheet formula: it starts with
/// `=`, or with `+`, `-` or `@` followed by a function call (`@SUM(`), a
/// DDE call (`+cmd|`) or a cell reference (`-B2*2`). Numbers with a sign
/// (`-20%`, `+49 30 1234`) and handles (`@chorus`) are values.
fn formula(cell: &str) -> Option<&str> {
    let mut chars = cell.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    let is_formula = match first {
        '=' => !rest.trim().is_empty(),
        '+' | '-' | '@' => looks_like_formula(rest),
        _ => false,
    };
    if !is_formula {
        return None;
    }
    let end = cell.char_indices().nth(40).map_or(cell.len(), |(i, _)| i);
    Some(&cell[..end])
}

fn looks_like_formula(rest: &str) -> bool {
    let rest = rest.trim_start_matches(['+', '-', '=', '@']);
    let word_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')))
        .map_or(rest.len(), |(i, _)| i);
    let (word, after) = rest.split_at(word_len);
    if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '$') {
        return false;
    }
    match after.chars().next() {
        // SUM( … ), cmd|' … ', Sheet1!A1
        Some('(' | '|' | '!') => true,
        // A1, $B$2, AB12 standing alone or followed by an operator.
        None | Some('+' | '-' | '*' | '/' | '^' | '&' | '=' | '<' | '>' | ':' | ',') => {
            is_cell_reference(word)
        }
        _ => false,
    }
}

/// `A1`, `$B$2`, `AB12`: one to three letters then digits.
fn is_cell_reference(word: &str) -> bool {
    let word = word.replace('$', "");
    let letters = word.chars().take_while(char::is_ascii_alphabetic).count();
    let digits = &word[letters..];
    (1..=3).contains(&letters) && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}
