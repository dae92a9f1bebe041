use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::campaign::{MAX_ROWS, Sheet, SheetProblem};

fn parse(text: &str) -> Sheet {
    Sheet::parse(text.as_bytes()).unwrap_or_else(|p| panic!("parses: {p:?}"))
}

fn problems(bytes: &[u8]) -> Vec<String> {
    Sheet::parse(bytes)
        .expect_err("refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn grid(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| row.iter().map(|cell| (*cell).to_string()).collect())
        .collect()
}

#[test]
fn quoted_csv_keeps_commas_and_newlines_in_one_row() {
    let sheet = parse(
        "product , claim,line:de\n\"Shoe, red\",\"Light,\nfast\",Hallo\nMug,\"say \"\"hi\"\"\",  Tschüss  \n",
    );
    assert_eq!(sheet.columns, ["product", "claim", "line:de"]);
    assert_eq!(sheet.rows.len(), 2);
    assert_eq!(sheet.rows[0].number, 2);
    assert_eq!(sheet.rows[0].cells, ["Shoe, red", "Light,\nfast", "Hallo"]);
    // The newline inside row 2's cell does not make the next row 4.
    assert_eq!(sheet.rows[1].number, 3);
    assert_eq!(sheet.rows[1].cells, ["Mug", "say \"hi\"", "Tschüss"]);
}

#[test]
fn blank_rows_are_skipped_but_still_counted() {
    let sheet = parse("a,b\r\n\r\nx,y\r\n,\r\n  ,  \r\nz,\r");
    let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [3, 6]);
    assert_eq!(sheet.rows[1].cells, ["z", ""]);
    let sheet = parse("a,b\r\n\"x\r\ny\",1\r\n\r\nz,2\r");
    let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 4]);
    assert_eq!(sheet.rows[0].cells[0], "x\r\ny");
}

#[test]
fn tsv_is_told_apart_by_its_header() {
    let sheet = parse("product\tline:de\tprice\nShoe\tHallo, Welt\t-20%");
    assert_eq!(sheet.columns, ["product", "line:de", "price"]);
    assert_eq!(sheet.rows[0].cells, ["Shoe", "Hallo, Welt", "-20%"]);
    let semicolons = parse("product;price\nShoe;12,50");
    assert_eq!(semicolons.rows[0].cells, ["Shoe", "12,50"]);
}

#[test]
fn byte_order_marks_are_read() {
    let sheet = parse("\u{FEFF}product,colour\nShoe,red");
    assert_eq!(sheet.columns, ["product", "colour"]);

    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "product\tline:ja\nShoe\tこんにちは\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let sheet = Sheet::parse(&utf16).expect("UTF-16 LE");
    assert_eq!(sheet.columns, ["product", "line:ja"]);
    assert_eq!(sheet.rows[0].cells, ["Shoe", "こんにちは"]);
}

#[test]
fn invalid_utf8_names_its_line() {
    let problems = problems(b"product,colour\nShoe,red\nCaf\xe9,blue");
    assert_eq!(
        problems,
        [
            "row 3: this line is not UTF-8 text (the file was saved in another encoding); save it as UTF-8 CSV"
        ]
    );
}

#[test]
fn formula_cells_are_refused_with_row_and_column() {
    let text = "product,price,note\nShoe,10,-20%\nMug,+49 30 1234,@chorus\nCap,12,- soft cotton\n\
                Bag,=B2*2,ok\nHat,@SUM(B2:B3),+cmd|' /C calc'!A0\nTee,-B2*2,=HYPERLINK(\"x\")\n";
    assert_eq!(
        problems(text.as_bytes()),
        [
            "row 5, price: a formula (=B2*2); paste values, not formulas",
            "row 6, price: a formula (@SUM(B2:B3)); paste values, not formulas",
            "row 6, note: a formula (+cmd|' /C calc'!A0); paste values, not formulas",
            "row 7, price: a formula (-B2*2); paste values, not formulas",
            "row 7, note: a formula (=HYPERLINK(\"x\")); paste values, not formulas",
        ]
    );
}

#[test]
fn header_names_must_be_there_and_unique() {
    assert_eq!(
        problems(b""),
        ["the sheet is empty; row 1 names the columns and each row below is one product"]
    );
    assert_eq!(problems(b"\n , \n"), problems(b""));
    assert_eq!(
        problems(b"Product,colour,,product\nShoe,red,x,y\n"),
        [
            "row 1, column C: this column has no name; name it in row 1 or delete the column",
            "row 1, product: the column product appears twice (columns A and D); keep one",
        ]
    );
}

#[test]
fn short_rows_are_padded_and_long_ones_refused() {
    let sheet = parse("a,b,c\nx\ny,z,w,,");
    assert_eq!(sheet.rows[0].cells, ["x", "", ""]);
    // Empty cells past the last column are dropped.
    assert_eq!(sheet.rows[1].cells, ["y", "z", "w"]);
    assert_eq!(
        problems(b"a,b\nx,y\nx,y,,extra value\n"),
        [
            "row 3, column D: \u{201c}extra value\u{201d} is to the right of the last named column; name the column in row 1 or remove the value"
        ]
    );
}

#[test]
fn a_ten_thousand_row_sheet_is_refused_quickly() {
    let mut text = String::from("product,colour,line:de\n");
    for i in 0..10_000 {
        let _ = writeln!(text, "Shoe {i},red,\"Hallo, {i}\"");
    }
    let started = Instant::now();
    let refused = Sheet::parse(text.as_bytes()).expect_err("too many rows");
    // Generous for an unoptimised build: the point is that it is linear.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["the sheet has 10,000 rows; a campaign takes at most 1,000"]
    );

    let mut rows = vec![vec!["product".to_string()]];
    rows.extend((0..10_000).map(|i| vec![format!("Shoe {i}")]));
    let refused = Sheet::from_grid(rows).expect_err("too many rows");
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].message,
        "the sheet has 10,000 rows; a campaign takes at most 1,000"
    );

    // Exactly the limit is fine.
    let mut text = String::from("product\n");
    for i in 0..MAX_ROWS {
        let _ = writeln!(text, "Shoe {i}");
    }
    assert_eq!(parse(&text).rows.len(), MAX_ROWS);
}

#[test]
fn a_grid_from_xlsx_gets_the_same_checks() {
    let sheet = Sheet::from_grid(grid(&[
        &["", ""],
        &[" product ", "line:de", ""],
        &["Shoe", "Hallo"],
        &["", ""],
        &["Mug", "Tschüss", ""],
    ]))
    .expect("reads");
    assert_eq!(sheet.columns, ["product", "line:de"]);
    let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [2, 4]);
    assert_eq!(sheet.rows[1].cells, ["Mug", "Tschüss"]);

    let refused =
        Sheet::from_grid(grid(&[&["product", "price"], &["Shoe", "=B1"]])).expect_err("formula");
    assert_eq!(
        refused[0].to_string(),
        "row 2, price: a formula (=B1); paste values, not formulas"
    );
    assert!(Sheet::from_grid(Vec::new()).is_err());
}

#[test]
fn problems_say_only_what_is_known() {
    let both = SheetProblem::error(
        Some(14),
        Some("line:de"),
        "German needs 7.9 s; the clip is 5 s",
    );
    assert_eq!(
        both.to_string(),
        "row 14, line:de: German needs 7.9 s; the clip is 5 s"
    );
    assert_eq!(
        SheetProblem::error(Some(3), None, "x").to_string(),
        "row 3: x"
    );
    assert_eq!(
        SheetProblem::warning(None, Some("notes"), "x").to_string(),
        "notes: x"
    );
    assert_eq!(SheetProblem::error(None, None, "x").to_string(), "x");
}

#[test]
fn a_sheet_that_arrives_whole_is_checked_again() {
    let mut sheet = parse("product,price\nShoe,10");
    assert!(sheet.problems().is_empty());
    sheet.rows[0].cells[1] = "=1+1".into();
    sheet.rows[0].cells.push("more".into());
    let problems: Vec<String> = sheet.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2);
    assert!(problems[0].starts_with("row 2, price: a formula"));
    assert!(problems[1].starts_with("row 2, column C:"));
    assert_eq!(sheet.column("PRICE"), Some(1));
}
