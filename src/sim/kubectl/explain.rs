//! `kubectl explain`: the field docs of the served kinds.
//!
//! Mirrors: kubectl v1.32's default OpenAPI v3 output (`pkg/explain/v2/templates/plaintext.tmpl`):
//! the `GROUP:`/`KIND:`/`VERSION:` header, `FIELD: name <type>`, the description wrapped at 76
//! columns (go-wordwrap; done when the docs are generated) and indented by 4, `FIELDS:` with
//! `name\t<type>` and `-required-`, the field tree of `--recursive`, the resource found by the
//! longest matching prefix (`deployments.apps.spec`), `--api-version`, and the error texts.
//! Simplified: the docs are `www/explain.txt` (generated from k8s-openapi by
//! `tests/api_explain.rs`), handed to the shell by whoever runs it (`Shell::set_explain_docs`):
//! the page fetches it on the first `kubectl explain`, so the wasm does not carry it. No enums
//! (k8s-openapi's schemas have none), no `-o plaintext-openapiv2`.

use super::cmd::Ctx;
use super::verb_util::{self as vu, Takes};
use super::Output;
use crate::sim::api::resources::{lookup, RESOURCES};

/// One field line of the docs: name, type as printed, the definition it leads to, required,
/// description (wrapped, `\n` for each newline).
type Field<'a> = (&'a str, &'a str, Option<&'a str>, bool, &'a str);

/// A definition's description and fields, from the docs text.
fn definition<'a>(docs: &'a str, name: &str) -> Option<(&'a str, Vec<Field<'a>>)> {
    let mut lines = docs.lines();
    let doc = lines.find_map(|l| {
        l.strip_prefix("type ")?
            .strip_prefix(name)?
            .strip_prefix(' ')
    })?;
    let fields = lines
        .map_while(|l| l.strip_prefix(' '))
        .filter_map(|l| {
            let mut w = l.splitn(5, ' ');
            let (name, ty, to, req) = (w.next()?, w.next()?, w.next()?, w.next()?);
            Some((name, ty, (to != "-").then_some(to), req == "r", w.next()?))
        })
        .collect();
    Some((doc, fields))
}

/// kubectl's `wrap 76 | indent 4`: the docs are wrapped already, `\n` marking each newline.
fn block(text: &str) -> String {
    format!("    {}", text.replace("\\n", "\n    "))
}

/// The fields of `name`: with descriptions, or (`--recursive`) as a tree of names and types.
fn field_list<'a>(
    docs: &'a str,
    name: Option<&'a str>,
    level: usize,
    recursive: bool,
    seen: &mut Vec<&'a str>,
) -> String {
    let mut out = String::new();
    let Some((name, (_, fields))) = name.and_then(|n| Some((n, definition(docs, n)?))) else {
        return out;
    };
    // A definition inside itself ends the walk, as kubectl's history of refs does.
    if seen.contains(&name) {
        return out;
    }
    seen.push(name);
    for (field, ty, to, required, doc) in fields {
        let required = if required { " -required-" } else { "" };
        out.push_str(&format!("{:1$}{field}\t<{ty}>{required}\n", "", level * 2));
        if recursive {
            out.push_str(&field_list(docs, to, level + 1, true, seen));
        } else {
            out.push_str(&block(if doc.is_empty() {
                "<no description>"
            } else {
                doc
            }));
            out.push_str("\n\n");
        }
    }
    seen.pop();
    out
}

fn fail(text: String) -> Output {
    Output::fail(format!("error: {text}\n"))
}

pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let flags = [
        ("recursive", None, Takes::Bool),
        ("api-version", None, Takes::Value),
        ("output", Some('o'), Takes::Value),
    ];
    let p = match vu::parse("kubectl explain", args, &flags, false) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let [arg] = p.positional.as_slice() else {
        return fail(match p.positional.len() {
            0 => "You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".into(),
            _ => "We accept only this format: explain RESOURCE".into(),
        });
    };
    if p.value("output").is_some_and(|o| o != "plaintext") {
        return fail("this sandbox's kubectl explain prints only --output=plaintext".into());
    }
    let words: Vec<&str> = arg.split('.').collect();
    let api_version = p.value("api-version");
    // With --api-version kubectl takes the first word as the resource; else the longest prefix.
    let found = (1..=words.len())
        .rev()
        .filter(|&n| n == 1 || api_version.is_none())
        .find_map(|n| Some((lookup(&words[..n].join("."))?, n)));
    let Some((info, n)) = found else {
        return fail(format!(
            "the server doesn't have a resource type \"{}\"",
            words[0]
        ));
    };
    let (mut group, mut version) = (info.group, info.version);
    if let Some(v) = api_version {
        (group, version) = v.split_once('/').unwrap_or(("", v));
        let gvr = format!("{group}/{version}, Resource={}", info.plural);
        if !RESOURCES
            .iter()
            .any(|r| r.group == group && r.version == version)
        {
            return fail(format!("couldn't find resource for \"{gvr}\""));
        }
        if (group, version) != (info.group, info.version) {
            return fail(format!("GVR ({gvr}) not found in OpenAPI schema"));
        }
    }
    // kubectl finds the resource first, then reads the docs (its OpenAPI download).
    let kind_line = format!("kind {} ", info.kind);
    let docs = ctx.explain_docs;
    let Some((docs, def)) =
        docs.and_then(|d| Some((d, d.lines().find_map(|l| l.strip_prefix(&kind_line))?)))
    else {
        return fail("the field docs of kubectl explain (explain.txt) are not loaded yet: the page fetches them on the first kubectl explain; try again once it has".into());
    };
    let mut out = String::new();
    if !group.is_empty() {
        out.push_str(&format!("GROUP:      {group}\n"));
    }
    out.push_str(&format!(
        "KIND:       {}\nVERSION:    {version}\n\n",
        info.kind
    ));
    let path = &words[n..];
    let mut description = "";
    let mut to = Some(def);
    for (i, name) in path.iter().enumerate() {
        let field = to.and_then(|d| definition(docs, d)?.1.into_iter().find(|f| f.0 == *name));
        let Some((_, ty, next, _, doc)) = field else {
            return fail(format!("field \"{}\" does not exist", path[path.len() - 1]));
        };
        if i + 1 == path.len() {
            out.push_str(&format!("FIELD: {name} <{ty}>\n\n\n"));
            description = doc;
        }
        to = next;
    }
    // The field's description, then its type's, each ending with a newline; or `<empty>`.
    let of_type = to.and_then(|d| definition(docs, d)).map_or("", |d| d.0);
    let description: String = [description, of_type]
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| format!("{d}\\n"))
        .collect();
    out.push_str("DESCRIPTION:\n");
    out.push_str(&block(if description.is_empty() {
        "<empty>"
    } else {
        &description
    }));
    out.push('\n');
    let fields = field_list(docs, to, 1, p.has("recursive"), &mut Vec::new());
    if !fields.is_empty() {
        out.push_str("FIELDS:\n");
        out.push_str(&fields);
    }
    out.push('\n');
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn explain_indents_the_wrapped_docs() {
        assert_eq!(super::block("one\\ntwo\\n"), "    one\n    two\n    ");
    }
}
