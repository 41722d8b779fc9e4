//! SCIM PATCH requests (RFC 7644 §3.5.2) as identity providers send them:
//! `op` in any case (`"Replace"`, `"add"`), with a `path` or without one
//! (then `value` is an object of attributes, whose keys may themselves be
//! paths such as `name.givenName` or an extension's URN).

use serde_json::{Map, Value};

use super::error::{ScimError, ScimResult};
use super::filter::{self, PatchPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: OpKind,
    pub path: PatchPath,
    pub value: Value,
}

/// Most operations one request may carry.
pub const MAX_OPERATIONS: usize = 1_000;

/// The operations of a PatchOp body, with path-less ones split into one
/// operation per attribute of their value.
pub fn operations(body: &Map<String, Value>) -> ScimResult<Vec<Op>> {
    let ops = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .map(|(_, v)| v);
    let Some(Value::Array(ops)) = ops else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "A PatchOp needs an Operations array.",
        ));
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(
            "tooMany",
            "Too many operations in one request.",
        ));
    }
    let mut out = Vec::new();
    for op in ops {
        let kind = match filter::get_ci(op, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(k) if k == "add" => OpKind::Add,
            Some(k) if k == "replace" => OpKind::Replace,
            Some(k) if k == "remove" => OpKind::Remove,
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    "Each operation's op must be add, replace or remove.",
                ));
            }
        };
        let value = filter::get_ci(op, "value").cloned().unwrap_or(Value::Null);
        match filter::get_ci(op, "path")
            .and_then(Value::as_str)
            .map(str::trim)
        {
            Some(p) if !p.is_empty() => {
                let path = filter::parse_path(p).map_err(|e| ScimError::bad("invalidPath", e.0))?;
                out.push(Op { kind, path, value });
            }
            _ => {
                if kind == OpKind::Remove {
                    return Err(ScimError::bad(
                        "noTarget",
                        "A remove operation needs a path.",
                    ));
                }
                let Value::Object(attrs) = value else {
                    return Err(ScimError::invalid_value(
                        "An operation without a path needs an object as its value.",
                    ));
                };
                spread(kind, None, &attrs, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// One operation per attribute of a path-less value; an extension's
/// object (`"urn:...:enterprise:2.0:User": {...}`) spreads with its URN as
/// the schema.
fn spread(
    kind: OpKind,
    schema: Option<&str>,
    attrs: &Map<String, Value>,
    out: &mut Vec<Op>,
) -> ScimResult<()> {
    for (k, v) in attrs {
        if schema.is_none()
            && k.to_ascii_lowercase().starts_with("urn:")
            && k.matches(':').count() >= 6
            && v.is_object()
        {
            // `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
            if let Value::Object(inner) = v {
                spread(kind, Some(k.as_str()), inner, out)?;
            }
            continue;
        }
        let written = match schema {
            Some(s) => format!("{s}:{k}"),
            None => k.clone(),
        };
        let path = filter::parse_path(&written).map_err(|e| ScimError::bad("invalidPath", e.0))?;
        out.push(Op {
            kind,
            path,
            value: v.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(v: Value) -> ScimResult<Vec<Op>> {
        operations(v.as_object().unwrap())
    }

    #[test]
    fn entra_and_okta_shapes() {
        let got = ops(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@b.dk"},
                {"op": "replace", "value": {"active": false, "name.givenName": "Anne",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "IT"}}}
            ]
        }))
        .unwrap();
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].kind, OpKind::Replace);
        assert!(got[0].path.attr.is("active", None));
        assert_eq!(got[1].path.sub.as_deref(), Some("value"));
        assert!(got[3].path.attr.is("name", Some("givenName")));
        assert_eq!(
            got[4].path.attr.schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
    }

    #[test]
    fn malformed_operations_are_refused() {
        let kind = |v: Value| ops(v).unwrap_err().scim_type;
        assert_eq!(kind(json!({})), Some("invalidSyntax"));
        assert_eq!(
            kind(json!({"Operations": [{"op": "move", "path": "x"}]})),
            Some("invalidSyntax")
        );
        assert_eq!(
            kind(json!({"Operations": [{"op": "remove"}]})),
            Some("noTarget")
        );
        assert_eq!(
            kind(json!({"Operations": [{"op": "add", "path": "emails[", "value": 1}]})),
            Some("invalidPath")
        );
        assert_eq!(
            kind(json!({"Operations": [{"op": "add", "value": "x"}]})),
            Some("invalidValue")
        );
    }
}
