//! Reading a member's people or org units from a file, as organisation
//! systems and Danish Excel write them (issue 4): XLSX, or CSV with `;`,
//! `,` or tab between fields, in UTF-8 (with or without a byte-order mark),
//! UTF-16 (Excel's "Unicode text") or Windows-1252 (Excel's "CSV" on a
//! Danish Windows). The kind of file is told by its content, never by its
//! name. What comes out is a `core::import::Table`; the rules about rows
//! live in `core::import`.

use std::io::Cursor;

use calamine::{Data, Reader};
use udrul_core::import::{RowErrors, Table};

/// The largest file taken: about 100,000 rows of a typical export. The
/// session middleware stops reading the upload at this size.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Most columns a file may have.
const MAX_COLUMNS: usize = 200;

/// Longest cell, in bytes: far more than any field we keep (those have
/// their own, shorter limits), so that only a file built to hurt meets it.
pub const MAX_CELL_BYTES: usize = 32 * 1024;

fn cell_too_long(row: u32) -> RowErrors {
    let mut e = RowErrors::default();
    e.push(udrul_core::import::RowError {
        row,
        column: None,
        code: "error-import-cell-too-long",
        other_row: None,
    });
    e
}

/// The table in `bytes`, or why the file cannot be read at all (as the
/// error of row 0).
pub fn read_table(bytes: &[u8]) -> Result<Table, RowErrors> {
    if bytes.is_empty() {
        return Err(RowErrors::file("error-import-empty"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(RowErrors::file("error-too-large"));
    }
    // XLSX is a zip archive; an old .xls is a compound document, which we
    // do not read (say so rather than show garbage).
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(RowErrors::file("error-import-xls"));
    }
    let text = decode_text(bytes)?;
    read_csv(&text)
}

/// The text of a CSV file: by its byte-order mark, else UTF-8 if it is
/// valid UTF-8, else Windows-1252 (which every byte sequence is).
pub fn decode_text(bytes: &[u8]) -> Result<String, RowErrors> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(RowErrors::file("error-import-encoding"));
        }
        return Ok(text.into_owned());
    }
    if bytes.contains(&0) {
        // NUL bytes without a BOM: UTF-16 without a mark, or not text.
        return Err(RowErrors::file("error-import-not-table"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok(text.into_owned())
        }
    }
}

/// The delimiter of a CSV text: Excel's `sep=` line if there is one, else
/// whichever of `;`, tab and `,` the header line has most of outside quotes
/// (`;` on a tie, as Danish Excel writes).
fn delimiter(first_line: &str) -> u8 {
    let mut counts = [(b';', 0usize), (b'\t', 0), (b',', 0)];
    let mut quoted = false;
    for b in first_line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
            c.1 += 1;
        }
    }
    counts
        .iter()
        .max_by_key(|(d, n)| (*n, *d == b';'))
        .map(|(d, _)| *d)
        .unwrap_or(b';')
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// How many line ends ("\n", or a "\r" not followed by one) lie in
/// `text[from..to]`. The csv crate may start a record between the "\r" and
/// the "\n" of a line end, so the look-ahead is into all of `text`.
fn line_ends(text: &[u8], from: usize, to: usize) -> u32 {
    let mut n = 0;
    for i in from..to {
        let c = text[i];
        if c == b'\n' || (c == b'\r' && text.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

fn read_csv(text: &str) -> Result<Table, RowErrors> {
    let mut rest = text;
    let mut line_offset = 0u32;
    // Excel's own hint on the first line: `sep=;`.
    let mut delim = None;
    if let Some(first) = rest.lines().next()
        && let Some(d) = first.trim().strip_prefix("sep=")
        && d.len() == 1
    {
        delim = Some(d.as_bytes()[0]);
        rest = &rest[first.len()..];
        rest = rest
            .strip_prefix("\r\n")
            .or(rest.strip_prefix('\n'))
            .unwrap_or(rest);
        line_offset = 1;
    }
    let first_line = rest.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delim = delim.unwrap_or_else(|| delimiter(first_line));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(rest.as_bytes());
    let mut table = Table::default();
    let mut have_header = false;
    let mut record = csv::StringRecord::new();
    let (mut counted_to, mut counted_lines) = (0usize, 0u32);
    loop {
        let line_before = reader.position().line() as u32 + line_offset;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => {
                let line = line_before;
                let mut e = RowErrors::default();
                e.push(udrul_core::import::RowError {
                    row: line,
                    column: None,
                    code: "error-import-bad-csv",
                    other_row: None,
                });
                return Err(e);
            }
        }
        // The line the record starts on (a quoted field may span lines),
        // counted from its byte offset: the csv crate's own line numbers
        // are those of the previous record's end.
        let line = match record.position() {
            Some(p) => {
                let bytes = rest.as_bytes();
                let mut at = (p.byte() as usize).min(bytes.len());
                // The crate gives where it began reading the record: after
                // the last one's "\r", before the blank lines it skips.
                while matches!(bytes.get(at), Some(b'\r' | b'\n')) {
                    at += 1;
                }
                counted_lines += line_ends(bytes, counted_to, at);
                counted_to = at;
                counted_lines + 1 + line_offset
            }
            None => line_before,
        };
        if record.len() > MAX_COLUMNS {
            return Err(RowErrors::file("error-import-too-many-columns"));
        }
        if record.iter().any(|c| c.len() > MAX_CELL_BYTES) {
            return Err(cell_too_long(line));
        }
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if is_blank(&cells) {
            continue;
        }
        if have_header {
            table.rows.push((line, cells));
            if table.rows.len() > udrul_core::import::MAX_ROWS {
                return Err(RowErrors::file("error-import-too-many-rows"));
            }
        } else {
            table.header_row = line;
            table.headers = cells;
            have_header = true;
        }
    }
    if !have_header {
        return Err(RowErrors::file("error-import-empty"));
    }
    Ok(table)
}

/// A cell as text: whole numbers without a decimal point (Excel keeps
/// phone numbers and ids as numbers), dates as ISO dates.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) => String::new(),
    }
}

/// An Excel serial date (days since 1899-12-30) as an ISO date, with the
/// time when it has one.
fn excel_date(serial: f64) -> String {
    let days = serial.floor();
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let Some(date) = base.checked_add_signed(chrono::Duration::days(days as i64)) else {
        return serial.to_string();
    };
    let secs = ((serial - days) * 86_400.0).round() as u32;
    if secs == 0 {
        date.to_string()
    } else {
        let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs.min(86_399), 0)
            .unwrap_or_default();
        format!("{date} {t}")
    }
}

/// Most bytes all the parts of an XLSX file may unpack to, counted as they
/// are inflated (the sizes a zip declares can lie). A 50,000-row export
/// unpacks to some 20 MB; a zip bomb is stopped here after a fraction of a
/// second, before any XML is parsed.
pub const MAX_UNPACKED_BYTES: u64 = 128 * 1024 * 1024;

/// Most bytes the shared strings (every text cell's text, read into memory
/// whole when the workbook is opened) may unpack to.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 32 * 1024 * 1024;

/// Most parts (files) an XLSX archive may hold; Excel writes a dozen.
const MAX_PARTS: usize = 1_000;

/// Inflates every part of the archive once, counting the bytes that come
/// out, and refuses the file when they pass the limits: so that calamine,
/// which reads the same bytes afterwards, never meets a bomb.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), RowErrors> {
    use std::io::Read;
    let bad = || RowErrors::file("error-import-bad-xlsx");
    let too_big = || RowErrors::file("error-import-unpacked-too-large");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad())?;
    if zip.len() > MAX_PARTS {
        return Err(bad());
    }
    let mut left = MAX_UNPACKED_BYTES;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|_| bad())?;
        let shared = part
            .name()
            .map_err(|_| bad())?
            .ends_with("sharedStrings.xml");
        let limit = if shared {
            MAX_SHARED_STRINGS_BYTES.min(left)
        } else {
            left
        };
        // What the archive declares is checked first (cheap), then what
        // inflating actually gives.
        if part.size() > limit {
            return Err(too_big());
        }
        let got =
            std::io::copy(&mut part.take(limit + 1), &mut std::io::sink()).map_err(|_| bad())?;
        if got > limit {
            return Err(too_big());
        }
        left -= got;
    }
    Ok(())
}

/// The first sheet with anything in it, read cell by cell: the rows are
/// kept as they come (a cell far out costs one cell, not a grid up to it),
/// and reading stops as soon as a limit is passed.
fn read_xlsx(bytes: &[u8]) -> Result<Table, RowErrors> {
    use std::collections::BTreeMap;
    let bad = || RowErrors::file("error-import-bad-xlsx");
    check_unpacked_size(bytes)?;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|_| bad())?;
    let names = book.sheet_names().to_vec();
    for name in names {
        let mut cells = book.worksheet_cells_reader(&name).map_err(|_| bad())?;
        // Non-blank cells by row (a file may give rows in any order), and
        // the columns they span.
        let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        let (mut min_col, mut max_col) = (u32::MAX, 0u32);
        while let Some(cell) = cells.next_cell().map_err(|_| bad())? {
            let (row, col) = cell.get_position();
            let text = cell_text(&Data::from(cell.get_value().clone()));
            if text.trim().is_empty() {
                continue;
            }
            if text.len() > MAX_CELL_BYTES {
                return Err(cell_too_long(row + 1));
            }
            min_col = min_col.min(col);
            max_col = max_col.max(col);
            if (max_col - min_col) as usize >= MAX_COLUMNS {
                return Err(RowErrors::file("error-import-too-many-columns"));
            }
            let row_cells = rows.entry(row).or_default();
            // (More cells than columns: the same cell given again and again.)
            if row_cells.len() >= MAX_COLUMNS {
                return Err(RowErrors::file("error-import-too-many-columns"));
            }
            row_cells.push((col, text));
            // The header and MAX_ROWS data rows.
            if rows.len() > udrul_core::import::MAX_ROWS + 1 {
                return Err(RowErrors::file("error-import-too-many-rows"));
            }
        }
        if rows.is_empty() {
            continue;
        }
        let mut table = Table::default();
        let mut have_header = false;
        for (row, row_cells) in rows {
            // Columns from the first one used, as Excel's used range has
            // them; a row ends at its last non-blank cell.
            let width = row_cells
                .iter()
                .map(|(c, _)| (c - min_col) as usize + 1)
                .max()
                .unwrap_or(0);
            let mut out = vec![String::new(); width];
            for (c, text) in row_cells {
                out[(c - min_col) as usize] = text;
            }
            // Row numbers as Excel shows them.
            let number = row + 1;
            if have_header {
                table.rows.push((number, out));
            } else {
                table.header_row = number;
                table.headers = out;
                have_header = true;
            }
        }
        return Ok(table);
    }
    Err(RowErrors::file("error-import-empty"))
}

/// The SHA-256 of a file, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(t: &Table) -> Vec<Vec<&str>> {
        t.rows
            .iter()
            .map(|(_, r)| r.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn danish_excel_csv_with_bom_semicolons_and_quotes() {
        let text = "\u{feff}Navn;E-mail;Titel\r\n\"Åse Øst\";aase@k.dk;\"Leder; IT\"\r\n\r\nBo;bo@k.dk;\r\n";
        let t = read_table(text.as_bytes()).unwrap();
        assert_eq!(t.headers, ["Navn", "E-mail", "Titel"]);
        assert_eq!(
            cells(&t),
            [
                vec!["Åse Øst", "aase@k.dk", "Leder; IT"],
                vec!["Bo", "bo@k.dk", ""]
            ]
        );
        // Row numbers are lines of the file; the blank line is skipped.
        assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn windows_1252_utf16_and_sep_lines() {
        // "Søren Ærø" in Windows-1252.
        let mut bytes = b"navn,email\n".to_vec();
        bytes.extend([b'S', 0xF8, b'r', b'e', b'n', b' ', 0xC6, b'r', 0xF8]);
        bytes.extend(b",s@k.dk\n");
        let t = read_table(&bytes).unwrap();
        assert_eq!(cells(&t), [vec!["Søren Ærø", "s@k.dk"]]);
        // UTF-16 LE with its mark, tab-separated (Excel's "Unicode text").
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "navn\temail\r\nÅse\ta@k.dk\r\n".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let t = read_table(&utf16).unwrap();
        assert_eq!(cells(&t), [vec!["Åse", "a@k.dk"]]);
        // Excel's sep= line: the header is on line 2.
        let t = read_table(b"sep=,\nnavn,email\nBo,b@k.dk\n").unwrap();
        assert_eq!((t.header_row, t.rows[0].0), (2, 3));
        assert_eq!(cells(&t), [vec!["Bo", "b@k.dk"]]);
    }

    #[test]
    fn files_that_are_not_tables_are_refused_by_content() {
        assert_eq!(
            read_table(b"").unwrap_err().errors[0].code,
            "error-import-empty"
        );
        assert_eq!(
            read_table(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0])
                .unwrap_err()
                .errors[0]
                .code,
            "error-import-xls"
        );
        assert_eq!(
            read_table(b"PK\x03\x04garbage").unwrap_err().errors[0].code,
            "error-import-bad-xlsx"
        );
        assert_eq!(
            read_table(b"\x89PNG\r\n\x1a\n\0\0").unwrap_err().errors[0].code,
            "error-import-not-table"
        );
    }

    #[test]
    fn xlsx_numbers_and_row_numbers_read_as_excel_shows_them() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(2, 0, "Navn").unwrap();
        sheet.write(2, 1, "Telefon").unwrap();
        sheet.write(3, 0, "Anne").unwrap();
        sheet.write(3, 1, 33669900).unwrap();
        sheet.write(5, 0, "Bo").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read_table(&bytes).unwrap();
        assert_eq!(t.header_row, 3);
        assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [4, 6]);
        assert_eq!(cells(&t)[0], ["Anne", "33669900"]);
    }

    /// An XLSX file as `rust_xlsxwriter` writes it, with the first sheet's
    /// XML replaced by what `sheet` writes (in chunks, so that a sheet of
    /// hundreds of megabytes never sits in memory).
    fn xlsx_with_sheet(sheet: impl FnOnce(&mut dyn std::io::Write)) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write(0, 0, "Navn").unwrap();
        let plain = book.save_to_buffer().unwrap();
        let mut from = zip::ZipArchive::new(Cursor::new(plain)).unwrap();
        let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        let mut sheet = Some(sheet);
        for i in 0..from.len() {
            let mut part = from.by_index(i).unwrap();
            let name = part.name().unwrap().to_string();
            to.start_file(name.as_str(), opts).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                (sheet.take().unwrap())(&mut to);
            } else {
                let mut body = Vec::new();
                part.read_to_end(&mut body).unwrap();
                to.write_all(&body).unwrap();
            }
        }
        to.finish().unwrap().into_inner()
    }

    const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
    const SHEET_END: &str = "</sheetData></worksheet>";
    const HEADERS: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Navn</t></is></c><c r="B1" t="inlineStr"><is><t>E-mail</t></is></c></row>"#;

    /// Headers in A1:B1 and one cell at the far corner asked the old
    /// reader for a dense grid of rows x columns (gigabytes): now the far
    /// cell costs one cell, and a corner past the column limit is refused
    /// before anything is built.
    #[test]
    fn a_far_cell_costs_one_cell() {
        let far = |cell: &str| {
            let cell = cell.to_string();
            xlsx_with_sheet(move |w| {
                write!(
                    w,
                    r#"{SHEET_START}{HEADERS}<row r="1048576"><c r="{cell}"><v>7</v></c></row>{SHEET_END}"#
                )
                .unwrap()
            })
        };
        let t = read_table(&far("GR1048576")).unwrap();
        assert_eq!(t.headers, ["Navn", "E-mail"]);
        assert_eq!(t.rows.len(), 1);
        let (number, cells) = &t.rows[0];
        assert_eq!(*number, 1_048_576);
        assert_eq!(cells.len(), MAX_COLUMNS);
        assert_eq!(cells[MAX_COLUMNS - 1], "7");
        assert_eq!(
            read_table(&far("XFD1048576")).unwrap_err().errors[0].code,
            "error-import-too-many-columns"
        );
    }

    /// A sheet that unpacks past the limit (rows without `r=`, blank so
    /// that no row limit stops them) is refused while it is inflated,
    /// whether or not the archive declares its true size.
    #[test]
    fn a_zip_bomb_is_stopped_at_the_unpacked_limit() {
        let row = r#"<row><c t="inlineStr"><is><t> </t></is></c></row>"#.repeat(1_000);
        let rows_needed = (MAX_UNPACKED_BYTES as usize / row.len()) + 2;
        let bomb = xlsx_with_sheet(|w| {
            write!(w, "{SHEET_START}{HEADERS}").unwrap();
            for _ in 0..rows_needed {
                w.write_all(row.as_bytes()).unwrap();
            }
            write!(w, "{SHEET_END}").unwrap();
        });
        assert!(bomb.len() < MAX_FILE_BYTES, "{}", bomb.len());
        assert_eq!(
            read_table(&bomb).unwrap_err().errors[0].code,
            "error-import-unpacked-too-large"
        );
        // The same archive claiming small sizes for every part.
        let mut lying = bomb.clone();
        let mut i = 0;
        while i + 30 < lying.len() {
            let at = if lying[i..].starts_with(b"PK\x03\x04") {
                Some(i + 22)
            } else if lying[i..].starts_with(b"PK\x01\x02") {
                Some(i + 24)
            } else {
                None
            };
            if let Some(at) = at {
                lying[at..at + 4].copy_from_slice(&1_000u32.to_le_bytes());
            }
            i += 1;
        }
        let code = read_table(&lying).unwrap_err().errors[0].code;
        assert!(
            ["error-import-unpacked-too-large", "error-import-bad-xlsx"].contains(&code),
            "{code}"
        );
    }

    /// The header and data rows of a sheet read cell by cell come out as
    /// the old dense reader gave them, in any order the XML lists them.
    #[test]
    fn xlsx_rows_in_any_order_and_columns_from_the_first_used() {
        let f = xlsx_with_sheet(|w| {
            write!(
                w,
                r#"{SHEET_START}<row r="5"><c r="C5" t="inlineStr"><is><t>Bo</t></is></c></row><row r="2"><c r="B2" t="inlineStr"><is><t>Navn</t></is></c><c r="D2" t="inlineStr"><is><t>Titel</t></is></c></row><row r="3"><c r="B3" t="inlineStr"><is><t>Anne</t></is></c><c r="C3"><v>12</v></c></row>{SHEET_END}"#
            )
            .unwrap()
        });
        let t = read_table(&f).unwrap();
        assert_eq!(t.header_row, 2);
        assert_eq!(t.headers, ["Navn", "", "Titel"]);
        assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(cells(&t), [vec!["Anne", "12"], vec!["", "Bo"]]);
    }

    /// CSV is checked while it is read: columns, then cell length, then
    /// rows, each stopping the reading with the row to blame.
    #[test]
    fn csv_limits_stop_the_reading() {
        let wide = format!("{}\n", vec!["h"; MAX_COLUMNS + 1].join(";"));
        assert_eq!(
            read_table(wide.as_bytes()).unwrap_err().errors[0].code,
            "error-import-too-many-columns"
        );
        let long = format!("navn;email\nBo;{}\n", "x".repeat(MAX_CELL_BYTES + 1));
        let e = read_table(long.as_bytes()).unwrap_err();
        assert_eq!(
            (e.errors[0].row, e.errors[0].code),
            (2, "error-import-cell-too-long")
        );
        let many = format!("navn\n{}", "x\n".repeat(udrul_core::import::MAX_ROWS + 1));
        assert_eq!(
            read_table(many.as_bytes()).unwrap_err().errors[0].code,
            "error-import-too-many-rows"
        );
        let ok = format!("navn\n{}", "x\n".repeat(udrul_core::import::MAX_ROWS));
        assert_eq!(
            read_table(ok.as_bytes()).unwrap().rows.len(),
            udrul_core::import::MAX_ROWS
        );
    }
}
