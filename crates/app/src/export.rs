//! CSV and XLSX exports of tables. Cells that a spreadsheet would run as a
//! formula (starting with = + - @, tab or carriage return) are neutralised
//! with a leading apostrophe, as OWASP recommends for CSV injection.

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
        ws.write_string_with_format(0, u16::try_from(c)?, neutralise(h).as_ref(), &bold)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Written as strings, never as formulas.
            ws.write_string(
                u32::try_from(r + 1)?,
                u16::try_from(c)?,
                neutralise(cell).as_ref(),
            )?;
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
}
