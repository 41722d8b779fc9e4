//! CSV and XLSX exports of tables. In CSV, cells that a spreadsheet would
//! run as a formula (starting with = + - @, tab or carriage return) are
//! neutralised with a leading apostrophe, as OWASP recommends for CSV
//! injection. XLSX needs no apostrophe: every cell is written as a string
//! cell (`write_string`), which a spreadsheet shows as text and never
//! evaluates, so "=1+1" reads back as exactly "=1+1".

use rust_xlsxwriter::{Format, Workbook};

/// A table to export: a header row and text rows.
pub struct Table {
    pub sheet_name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A file download: its type, its name and its bytes.
pub fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `<prefix>-<name as ASCII letters, digits and ->.<ext>`, or the id when
/// nothing of the name is left: a file name every system takes.
pub fn file_name(prefix: &str, name: &str, id: i64, ext: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() {
        id.to_string()
    } else {
        slug.to_string()
    };
    format!("{prefix}-{slug}.{ext}")
}

pub const CSV: &str = "text/csv; charset=utf-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// UTF-8 with a byte-order mark and `;` separators: what Danish Excel opens
/// correctly with a double click.
pub fn to_csv(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        w.write_record(t.header.iter().map(|h| neutralise(h).into_owned()))?;
        for r in &t.rows {
            w.write_record(r.iter().map(|c| neutralise(c).into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn to_xlsx(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // Sheet names: at most 31 characters, none of []:*?/\
    let name: String = t
        .sheet_name
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if !name.is_empty() {
        ws.set_name(&name)?;
    }
    let bold = Format::new().set_bold();
    for (c, h) in t.header.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(c)?, h, &bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Written as strings, never as formulas: no apostrophe needed.
            ws.write_string(u32::try_from(r + 1)?, u16::try_from(c)?, cell)?;
        }
    }
    ws.autofit();
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            sheet_name: "ID 31: status?".into(),
            header: vec!["Kommune".into(), "Status".into()],
            rows: vec![
                vec!["Brøndby".into(), "ikke påbegyndt".into()],
                vec!["=HYPERLINK(\"http://x\")".into(), "-1+1".into()],
            ],
        }
    }

    #[test]
    fn csv_has_bom_semicolons_and_no_formulas() {
        let b = to_csv(&table()).unwrap();
        let s = String::from_utf8(b).unwrap();
        assert!(s.starts_with('\u{feff}'));
        assert!(s.contains("Brøndby;ikke påbegyndt"));
        assert!(s.contains("\"'=HYPERLINK(\"\"http://x\"\")\";'-1+1"));
    }

    #[test]
    fn xlsx_is_a_zip() {
        let b = to_xlsx(&table()).unwrap();
        assert_eq!(&b[..2], b"PK");
    }

    #[test]
    fn xlsx_keeps_formula_looking_text_as_literal_text() {
        use calamine::{Data, Reader, Xlsx};
        let mut t = table();
        t.rows.push(vec!["=1+1".into(), "@SUM(A1)".into()]);
        let b = to_xlsx(&t).unwrap();
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(b)).unwrap();
        let sheet = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&sheet).unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(cells[3][0], Data::String("=1+1".into()));
        assert_eq!(cells[3][1], Data::String("@SUM(A1)".into()));
        assert_eq!(cells[2][0], Data::String("=HYPERLINK(\"http://x\")".into()));
        assert_eq!(cells[2][1], Data::String("-1+1".into()));
        // And no cell of the sheet is a formula.
        let formulas = wb.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{formulas:?}"
        );
        // CSV is still neutralised.
        let csv = String::from_utf8(to_csv(&t).unwrap()).unwrap();
        assert!(csv.contains("'=1+1;'@SUM(A1)"), "{csv}");
    }
}
