//! The translation catalogue. Every user-visible string is a Fluent message
//! in `locales/<lang>/*.ftl`, Danish the default, English the second.
//! Templates call `ctx.t(<key>)`, or `ctx.tr.n(<key>, count)` for plurals.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use unic_langid::langid;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "da",
        // No Unicode isolation marks: they would end up in HTML and CSV.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Formatted messages without arguments, per language (see `Tr::t`).
static PLAIN: LazyLock<[RwLock<HashMap<String, String>>; 2]> =
    LazyLock::new(|| [RwLock::default(), RwLock::default()]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Da,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Da, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Da => langid!("da"),
            Lang::En => langid!("en"),
        }
    }
}

/// A translator for one request.
#[derive(Debug, Clone)]
pub struct Tr {
    pub lang: Lang,
    id: LanguageIdentifier,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            id: lang.id(),
        }
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The message `key`. A missing key shows as the key itself, and a test
    /// checks that every key used exists in both languages.
    ///
    /// Messages without arguments are formatted once per language and kept:
    /// a page with fifty rows asks for the same few labels a hundred times,
    /// and a Fluent lookup costs more than the row. Only keys the catalogue
    /// has are kept, so the cache is bounded by the catalogue.
    pub fn t(&self, key: &str) -> String {
        let cache = &PLAIN[self.lang as usize];
        if let Some(v) = cache.read().ok().and_then(|m| m.get(key).cloned()) {
            return v;
        }
        match LOCALES.try_lookup(&self.id, key) {
            Some(v) => {
                if let Ok(mut m) = cache.write() {
                    m.insert(key.to_string(), v.clone());
                }
                v
            }
            None => LOCALES.lookup(&self.id, key),
        }
    }

    /// The message `key` with one argument `$n`.
    pub fn n(&self, key: &str, n: i64) -> String {
        self.args(key, &[("n", FluentValue::from(n))])
    }

    /// The message `key` with one string argument `$s`.
    pub fn s(&self, key: &str, s: &str) -> String {
        self.args(key, &[("s", FluentValue::from(s.to_string()))])
    }

    pub fn args(&self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
            .collect();
        LOCALES.lookup_with_args(&self.id, key, &map)
    }

    /// Whether the catalogue has `key` in this language.
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(&self.id, key).is_some()
    }

    /// A date as people here write it: 5. oktober 2022 / 5 October 2022.
    pub fn date(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self.t(&format!("month-{}", d.month()));
        match self.lang {
            Lang::Da => format!("{}. {} {}", d.day(), month, d.year()),
            Lang::En => format!("{} {} {}", d.day(), month, d.year()),
        }
    }

    /// A moment in Copenhagen time, to the minute, as people here write it:
    /// "4. december 2026 kl. 14.05" / "4 December 2026, 14:05".
    pub fn datetime(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        let local = t.with_timezone(&chrono_tz::Europe::Copenhagen);
        let date = self.date(local.date_naive());
        match self.lang {
            Lang::Da => format!("{date} kl. {}", local.format("%H.%M")),
            Lang::En => format!("{date}, {}", local.format("%H:%M")),
        }
    }
}
