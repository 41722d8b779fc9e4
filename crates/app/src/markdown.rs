//! Task guidance is Markdown written by central staff. It is rendered with
//! pulldown-cmark and then cleaned by ammonia's allow-list, so neither raw
//! HTML nor `javascript:` links survive, whoever wrote the text.
//!
//! Guidance sits under headings of the page: its own headings are moved
//! below them (`heading_levels`), and text nested deeper than the input
//! rules allow (stored before they did) is shown as plain text rather than
//! rendered, so no stored text can make a view slow.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use udrul_core::input::{MAX_GUIDANCE_NESTING, markdown_nesting};

fn options() -> Options {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts
}

fn clean(raw: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .clean(raw)
        .to_string()
}

pub fn to_safe_html(markdown: &str) -> String {
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options()));
    clean(&raw)
}

fn level(n: usize) -> HeadingLevel {
    match n {
        0 | 1 => HeadingLevel::H1,
        2 => HeadingLevel::H2,
        3 => HeadingLevel::H3,
        4 => HeadingLevel::H4,
        5 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The HTML level of each heading of `levels` (Markdown levels 1-6, in
/// document order) under a page heading of level `under`: the highest
/// Markdown level used becomes `under + 1`, each level used below it the
/// next, and no heading is more than one level below the one before it
/// (nor above `under + 1`); h6 is the deepest.
pub fn heading_levels(levels: &[usize], under: usize) -> Vec<usize> {
    let mut used: Vec<usize> = levels.to_vec();
    used.sort_unstable();
    used.dedup();
    let mut prev = under;
    levels
        .iter()
        .map(|l| {
            let rank = used.iter().position(|u| u == l).unwrap_or(0);
            let out = (under + 1 + rank).min(prev + 1).min(6);
            prev = out;
            out
        })
        .collect()
}

/// Guidance as safe HTML under a page heading of level `under`.
pub fn guidance_html(markdown: &str, under: usize) -> String {
    if markdown_nesting(markdown) > MAX_GUIDANCE_NESTING {
        let text = markdown
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        return format!("<pre class=\"guidance-text\">{text}</pre>");
    }
    let events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    let levels: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(*level as usize),
            _ => None,
        })
        .collect();
    let mut mapped = heading_levels(&levels, under).into_iter();
    let mut open = Vec::new();
    let events = events.into_iter().map(|e| match e {
        Event::Start(Tag::Heading {
            level: _,
            id,
            classes,
            attrs,
        }) => {
            let to = level(mapped.next().unwrap_or(6));
            open.push(to);
            Event::Start(Tag::Heading {
                level: to,
                id,
                classes,
                attrs,
            })
        }
        Event::End(TagEnd::Heading(_)) => {
            Event::End(TagEnd::Heading(open.pop().unwrap_or(HeadingLevel::H6)))
        }
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, events);
    clean(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn headings_follow_the_page_without_skipping() {
        // `#` is the level below the page's heading, deeper ones follow.
        assert_eq!(heading_levels(&[1, 2, 3, 2], 2), [3, 4, 5, 4]);
        // Only `##` and `####` used: they become h3 and h4, not h4 and h6.
        assert_eq!(heading_levels(&[2, 4, 4, 2], 2), [3, 4, 4, 3]);
        // A deep heading first does not skip from the page's h2.
        assert_eq!(heading_levels(&[3, 1, 3], 2), [3, 3, 4]);
        // Never deeper than h6.
        assert_eq!(heading_levels(&[1, 2, 3, 4, 5, 6], 2), [3, 4, 5, 6, 6, 6]);
        let h = guidance_html("## Trin\n\ntekst\n\n#### Detaljer\n\nmere", 2);
        assert!(h.contains("<h3>Trin</h3>"), "{h}");
        assert!(h.contains("<h4>Detaljer</h4>"), "{h}");
        let h = guidance_html("Titel\n=====\n\n# Anden", 2);
        assert!(
            h.contains("<h3>Titel</h3>") && h.contains("<h3>Anden</h3>"),
            "{h}"
        );
    }

    #[test]
    fn text_nested_too_deeply_is_shown_as_text() {
        let h = guidance_html(&format!("{}x <b>", ">".repeat(19_000)), 2);
        assert!(h.starts_with("<pre") && !h.contains("<blockquote"));
        assert!(h.contains("x &lt;b&gt;"));
        let h = guidance_html(&format!("{}x", "> ".repeat(MAX_GUIDANCE_NESTING)), 2);
        assert_eq!(h.matches("<blockquote>").count(), MAX_GUIDANCE_NESTING);
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(">".to_string()),
                Just("> ".to_string()),
                Just("- ".to_string()),
                Just("1. ".to_string()),
                Just("* ".to_string()),
                Just("  ".to_string()),
                Just("\n".to_string()),
                Just("#".to_string()),
                Just("# x\n".to_string()),
                Just("`".to_string()),
                Just("[".to_string()),
                Just("](".to_string()),
                Just("|".to_string()),
                Just("<div>".to_string()),
                "[ -~]{0,6}",
                (1usize..5_000).prop_map(|n| ">".repeat(n)),
                (1usize..2_000).prop_map(|n| "- ".repeat(n)),
                (1usize..1_000).prop_map(|n| "[".repeat(n)),
                (1usize..500).prop_map(|n| "> - 1. ".repeat(n)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            /// Whatever the text, rendering answers, nests no deeper than
            /// the limit, and gives HTML of bounded size.
            #[test]
            fn rendering_hostile_guidance_stays_bounded(
                pieces in proptest::collection::vec(piece(), 0..30)
            ) {
                let md: String = pieces.concat().chars().take(udrul_core::input::MAX_GUIDANCE).collect();
                let h = guidance_html(&md, 2);
                prop_assert!(h.matches("<blockquote>").count() <= MAX_GUIDANCE_NESTING * md.lines().count().max(1));
                prop_assert!(h.len() <= 40 * md.len() + 64, "{} -> {}", md.len(), h.len());
                for bad in ["<h1", "<h2"] {
                    prop_assert!(!h.contains(bad));
                }
            }
        }
    }
}
