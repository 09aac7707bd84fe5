//! `kubectl explain`: the field docs of the served kinds.
//!
//! Mirrors: kubectl v1.32's default OpenAPI v3 output (`pkg/explain/v2/templates/plaintext.tmpl`):
//! the `GROUP:`/`KIND:`/`VERSION:` header, `FIELD: name <type>`, the description wrapped at 76
//! columns (go-wordwrap) and indented by 4, `FIELDS:` with `name\t<type>` and `-required-`, the
//! field tree of `--recursive`, the resource found by the longest matching prefix
//! (`deployments.apps.spec`), `--api-version`, and the error texts.
//! Simplified: the docs are `www/explain.txt` (generated from k8s-openapi by
//! `tests/api_explain.rs`), handed to the shell by whoever runs it (`Shell::set_explain_docs`):
//! the page fetches it on the first `kubectl explain`, so the wasm does not carry it. No enums
//! (k8s-openapi's schemas have none), no `-o plaintext-openapiv2`.

use super::cmd::Ctx;
use super::verb_util::{self as vu, Takes};
use super::Output;
use crate::sim::api::resources::{lookup, RESOURCES};

/// One field line of the docs: name, type as printed, the definition it leads to, required,
/// description (escaped).
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

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => out.push(match chars.next() {
                Some('n') => '\n',
                other => other.unwrap_or('\\'),
            }),
            (c, _) => out.push(c),
        }
    }
    out
}

/// go-wordwrap's `WrapString` (kubectl's `wrap`): breaks at white space once a line would pass
/// `lim` characters; a word longer than `lim` stays whole.
fn wrap(text: &str, lim: usize) -> String {
    let (mut out, mut word, mut space) = (String::new(), String::new(), String::new());
    let (mut current, mut word_len, mut space_len) = (0, 0, 0);
    for c in text.chars() {
        if c == '\n' {
            if word.is_empty() && current + space_len > lim {
                space.clear();
            }
            out.push_str(&space);
            out.push_str(&word);
            (space, word, space_len, word_len) = (String::new(), String::new(), 0, 0);
            out.push(c);
            current = 0;
        } else if c.is_whitespace() && c != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space_len + word_len;
                out.push_str(&space);
                out.push_str(&word);
                (space, word, space_len, word_len) = (String::new(), String::new(), 0, 0);
            }
            space.push(c);
            space_len += 1;
        } else {
            word.push(c);
            word_len += 1;
            if current + space_len + word_len > lim && word_len < lim {
                out.push('\n');
                current = 0;
                space.clear();
                space_len = 0;
            }
        }
    }
    if !word.is_empty() || current + space_len <= lim {
        out.push_str(&space);
    }
    out + &word
}

/// kubectl's `wrap 76 | indent 4`.
fn block(text: &str) -> String {
    format!("    {}", wrap(text, 76).replace('\n', "\n    "))
}

/// The fields of `name`: with descriptions, or (`--recursive`) as a tree of names and types.
fn field_list(
    docs: &str,
    name: Option<&str>,
    level: usize,
    recursive: bool,
    seen: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    let Some((name, (_, fields))) = name.and_then(|n| Some((n, definition(docs, n)?))) else {
        return out;
    };
    if seen.iter().any(|s| s == name) {
        return out;
    }
    seen.push(name.to_string());
    for (field, ty, to, required, doc) in fields {
        let required = if required { " -required-" } else { "" };
        out.push_str(&format!("{:1$}{field}\t<{ty}>{required}\n", "", level * 2));
        if !recursive {
            let doc = unescape(doc);
            let doc = if doc.is_empty() {
                "<no description>"
            } else {
                &doc
            };
            out.push_str(&format!("{}\n\n", block(doc)));
        } else {
            out.push_str(&field_list(docs, to, level + 1, true, seen));
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
    if p.has("help") {
        return Output::ok("Describe fields and structure of various resources.\n\nUsage:\n  kubectl explain TYPE [--recursive=FALSE|TRUE] [--api-version=api-version-group] [-o|--output=plaintext|plaintext-openapiv2]\n");
    }
    let [arg] = p.positional.as_slice() else {
        return fail(match p.positional.len() {
            0 => "You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".into(),
            _ => "We accept only this format: explain RESOURCE".into(),
        });
    };
    if p.value("output").is_some_and(|o| o != "plaintext") {
        return fail("this sandbox's kubectl explain prints only --output=plaintext".into());
    }
    let Some(docs) = ctx.explain_docs else {
        return fail("the field docs of kubectl explain (explain.txt) are not loaded yet: the page fetches them on the first kubectl explain; try again once it has".into());
    };
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
    let path = &words[n..];
    let kind_line = format!("kind {} ", info.kind);
    let Some(def) = docs.lines().find_map(|l| l.strip_prefix(&kind_line)) else {
        return fail(format!(
            "GVK {group}/{version}, Kind={} not found in OpenAPI schema",
            info.kind
        ));
    };
    let mut out = String::new();
    if !group.is_empty() {
        out.push_str(&format!("GROUP:      {group}\n"));
    }
    out.push_str(&format!(
        "KIND:       {}\nVERSION:    {version}\n\n",
        info.kind
    ));
    let mut description = String::new();
    let mut to = Some(def);
    for (i, name) in path.iter().enumerate() {
        let field = to.and_then(|d| definition(docs, d)?.1.into_iter().find(|f| f.0 == *name));
        let Some((_, ty, next, _, doc)) = field else {
            return fail(format!("field \"{}\" does not exist", path[path.len() - 1]));
        };
        if i + 1 == path.len() {
            out.push_str(&format!("FIELD: {name} <{ty}>\n\n\n"));
            description = unescape(doc);
            if !description.is_empty() {
                description.push('\n');
            }
        }
        to = next;
    }
    if let Some((doc, _)) = to.and_then(|d| definition(docs, d)) {
        if !doc.is_empty() {
            description.push_str(&unescape(doc));
            description.push('\n');
        }
    }
    if description.is_empty() {
        description.push_str("<empty>");
    }
    out.push_str(&format!("DESCRIPTION:\n{}\n", block(&description)));
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
    use super::{block, unescape, wrap};

    #[test]
    fn explain_wraps_as_go_wordwrap() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("aaa bbb ccc", 6), "aaa\nbbb\nccc");
        // A word longer than the limit stays whole, on its own line.
        assert_eq!(
            wrap("a https://example.com/long b", 8),
            "a\nhttps://example.com/long\nb"
        );
        // Newlines are kept; spaces before one are dropped only past the limit.
        assert_eq!(wrap("ab  \ncd", 10), "ab  \ncd");
        assert_eq!(wrap("abcd   \ncd", 5), "abcd\ncd");
        assert_eq!(block("one\ntwo\n"), "    one\n    two\n    ");
        assert_eq!(unescape("a\\nb\\\\n"), "a\nb\\n");
    }
}
