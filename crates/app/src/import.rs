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
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.len() > MAX_COLUMNS {
            return Err(RowErrors::file("error-import-too-many-columns"));
        }
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

/// The first sheet with anything in it.
fn read_xlsx(bytes: &[u8]) -> Result<Table, RowErrors> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|_| RowErrors::file("error-import-bad-xlsx"))?;
    let names = book.sheet_names().to_vec();
    for name in names {
        let range = book
            .worksheet_range(&name)
            .map_err(|_| RowErrors::file("error-import-bad-xlsx"))?;
        if range.is_empty() {
            continue;
        }
        if range.width() > MAX_COLUMNS {
            return Err(RowErrors::file("error-import-too-many-columns"));
        }
        // Row numbers as Excel shows them: the range may start below row 1.
        let first_row = range.start().map(|(r, _)| r).unwrap_or(0) + 1;
        let mut table = Table::default();
        let mut have_header = false;
        for (i, row) in range.rows().enumerate() {
            let cells: Vec<String> = row.iter().map(cell_text).collect();
            if is_blank(&cells) {
                continue;
            }
            let number = first_row + i as u32;
            if have_header {
                table.rows.push((number, cells));
                if table.rows.len() > udrul_core::import::MAX_ROWS {
                    return Err(RowErrors::file("error-import-too-many-rows"));
                }
            } else {
                table.header_row = number;
                table.headers = cells;
                have_header = true;
            }
        }
        if have_header {
            return Ok(table);
        }
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
}
