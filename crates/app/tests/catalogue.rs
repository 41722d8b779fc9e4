//! Every string goes through the catalogue: both languages have the same
//! keys, and every key the code and templates name exists.

use std::collections::BTreeSet;
use std::path::Path;

fn keys_of(lang: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang);
    let mut keys = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ftl") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some((k, _)) = line.split_once(" =") else {
                continue;
            };
            if !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                assert!(keys.insert(k.to_string()), "{lang}: key {k} defined twice");
            }
        }
    }
    keys
}

/// String literals passed to the catalogue lookups in code and templates.
fn used_keys() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "templates"] {
        collect(&root.join(dir), &mut files);
    }
    let mut used = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for pat in [
            ".t(\"",
            ".n(\"",
            ".s(\"",
            ".args(\"",
            "key: \"",
            "Conflict(\"",
            "BadRequest(\"",
        ] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(pat) {
                rest = &rest[i + pat.len()..];
                let end = rest.find('"').unwrap();
                let key = &rest[..end];
                if key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                    && !key.is_empty()
                {
                    used.insert(key.to_string());
                }
            }
        }
    }
    used
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("rs" | "html")) {
            out.push(p);
        }
    }
}

#[test]
fn danish_and_english_have_the_same_keys() {
    let da = keys_of("da");
    let en = keys_of("en");
    let only_da: Vec<_> = da.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&da).collect();
    assert!(
        only_da.is_empty() && only_en.is_empty(),
        "only in da: {only_da:?}; only in en: {only_en:?}"
    );
}

#[test]
fn every_key_used_exists() {
    let da = keys_of("da");
    let missing: Vec<_> = used_keys()
        .into_iter()
        .filter(|k| !da.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys used but not in the catalogue: {missing:?}"
    );
}

#[test]
fn every_enum_value_and_error_code_has_a_text() {
    use udrul_core::{ExecutionStatus, TaskType};
    let da = keys_of("da");
    for s in ExecutionStatus::ALL {
        assert!(da.contains(&format!("status-{}", s.as_str())));
    }
    for t in TaskType::ALL {
        assert!(da.contains(&format!("task-type-{}", t.as_str())));
    }
    for m in 1..=12 {
        assert!(da.contains(&format!("month-{m}")));
    }
    // Error codes produced by the core's parsers and the store.
    let core_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let store_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/src");
    let mut files = Vec::new();
    collect(&core_src, &mut files);
    if store_src.exists() {
        collect(&store_src, &mut files);
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("\"error-") {
            rest = &rest[i + 1..];
            let key = &rest[..rest.find('"').unwrap()];
            assert!(
                da.contains(key),
                "{}: error code {key} has no text",
                f.display()
            );
        }
    }
}

/// Every audit action the code records is in the core's list, and each has
/// words in both languages for the audit page.
#[test]
fn every_audit_action_is_listed_and_named() {
    let known: BTreeSet<&str> = udrul_core::AUDIT_ACTIONS.iter().copied().collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    collect(&root.join("../store/src"), &mut files);
    let prefixes = [
        "audit.",
        "instance.",
        "login.",
        "project.",
        "robot_token.",
        "task.",
        "user.",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for lit in text.split('"').skip(1).step_by(2) {
            let action_like = prefixes.iter().any(|p| lit.starts_with(p))
                && !lit.ends_with(".html")
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
            if action_like || lit == "logout" {
                assert!(
                    known.contains(lit),
                    "{}: {lit} is not in AUDIT_ACTIONS",
                    f.display()
                );
            }
        }
    }
    for lang in ["da", "en"] {
        let keys = keys_of(lang);
        for a in udrul_core::AUDIT_ACTIONS {
            let key = udrul_core::audit_action_key(a);
            assert!(keys.contains(&key), "{lang}: {key}");
        }
    }
}

/// One term per concept (the glossary at the top of locales/da/common.ftl):
/// competing words for the same concept do not come back.
#[test]
fn competing_terms_do_not_appear() {
    let forbidden: &[(&str, &[&str])] = &[
        // The member is "medlem"; "kommune" beside it was a second word.
        (
            "da",
            &[
                "kommune",
                "(mer)",
                "afsluttet\n",
                "= afsluttet",
                "frist",
                "deadline",
            ],
        ),
        (
            "en",
            &["municipality", "municipalities", "deadline", "completed"],
        ),
    ];
    for (lang, words) in forbidden {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with('#') {
                    continue;
                }
                let l = format!("{}\n", line.to_lowercase());
                for w in *words {
                    assert!(
                        !l.contains(w),
                        "{}:{}: \"{w}\" competes with the glossary's term: {line}",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
    // The status a closed task shows is "Lukket", not "Afsluttet" (which
    // read as a member's "Fuldført").
    let da = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/da/common.ftl"),
    )
    .unwrap();
    assert!(da.contains("\ntask-closed-tag = Lukket\n"));
    assert!(da.contains("\nstatus-fuldfoert = Fuldført\n"));
}
