//! Task guidance is Markdown written by central staff. It is rendered with
//! pulldown-cmark and then cleaned by ammonia's allow-list, so neither raw
//! HTML nor `javascript:` links survive, whoever wrote the text.

use pulldown_cmark::{Options, Parser, html};

pub fn to_safe_html(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, opts));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_markdown() {
        let h = to_safe_html("# Trin\n\n- Bestil **ruter**\n- [Vejledning](https://example.org)");
        assert!(h.contains("<h1>Trin</h1>"));
        assert!(h.contains("<strong>ruter</strong>"));
        assert!(h.contains("href=\"https://example.org\""));
    }

    #[test]
    fn strips_scripts_and_dangerous_links() {
        let h = to_safe_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(!h.contains("<script"));
        assert!(!h.contains("javascript:"));
        assert!(!h.contains("onerror"));
    }
}
