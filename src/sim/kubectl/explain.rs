//! `kubectl explain`: the field docs of the served kinds.
//!
//! Mirrors: kubectl v1.32's default OpenAPI v3 output (`pkg/explain/v2/templates/plaintext.tmpl`):
//! the `GROUP:`/`KIND:`/`VERSION:` header, `FIELD: name <type>`, the description wrapped at 76
//! columns (go-wordwrap, as kubectl's `wrap` template function) and indented by 4, `FIELDS:` with
//! `name\t<type>` and `-required-`, the field tree of `--recursive`, the resource found by the
//! longest matching prefix (`deployments.apps.spec`), `--api-version`, and the error texts.
//! Simplified: the docs are `www/explain.txt` (generated from k8s-openapi by
//! `tests/api_explain.rs`), handed to the shell by whoever runs it (`Shell::set_explain_docs`):
//! the page fetches it on the first `kubectl explain`, so the wasm does not carry it. No enums
//! (k8s-openapi's schemas have none), no `-o` (kubectl's `plaintext-openapiv2` template).

use super::cmd::Ctx;
use super::verb_util::{self as vu, Takes};
use super::Output;
use crate::sim::api::resources::{lookup, RESOURCES};

/// One field line of the docs: name, type as printed, the definition it leads to, required,
/// description (unwrapped, `\n` for each newline).
pub type Field<'a> = (&'a str, &'a str, Option<&'a str>, bool, &'a str);

/// A definition's description and fields, from the docs text (`kube-sandbox serve` builds its
/// OpenAPI schemas from them too).
pub fn definition<'a>(
    docs: &'a str,
    name: &str,
) -> Option<(&'a str, impl Iterator<Item = Field<'a>>)> {
    let mut lines = docs.lines();
    let doc = lines.find_map(|l| {
        l.strip_prefix("type ")?
            .strip_prefix(name)?
            .strip_prefix(' ')
    })?;
    let fields = lines.map_while(|l| {
        let mut w = l.strip_prefix(' ')?.splitn(5, ' ');
        let (name, ty, to, req) = (w.next()?, w.next()?, w.next()?, w.next()?);
        Some((name, ty, (to != "-").then_some(to), req == "r", w.next()?))
    });
    Some((doc, fields))
}

/// kubectl's `wrap 76 | indent 4` of a description from the docs (`\n` for each newline).
fn block(text: &str) -> String {
    format!(
        "    {}",
        wrap(&text.replace("\\n", "\n"), 76).replace('\n', "\n    ")
    )
}

/// go-wordwrap's `WrapString`, which kubectl's `wrap` template function runs: text breaks at
/// white space once a line would pass `lim` characters; a longer word stays whole; white space
/// before a newline is dropped only when it would pass the limit.
pub fn wrap(text: &str, lim: usize) -> String {
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

/// The fields of `name`: with descriptions, or (`--recursive`) as a tree of names and types.
/// kubectl stops where a definition recurs inside itself; no served kind has one, so a depth cap
/// stands in for its history of refs.
fn field_list(docs: &str, name: Option<&str>, level: usize, recursive: bool) -> String {
    let mut out = String::new();
    let Some((_, fields)) = name
        .filter(|_| level < 16)
        .and_then(|n| definition(docs, n))
    else {
        return out;
    };
    for (field, ty, to, required, doc) in fields {
        let required = if required { " -required-" } else { "" };
        out.push_str(&format!("{:1$}{field}\t<{ty}>{required}\n", "", level * 2));
        if recursive {
            out.push_str(&field_list(docs, to, level + 1, true));
        } else {
            out.push_str(&block(if doc.is_empty() {
                "<no description>"
            } else {
                doc
            }));
            out.push_str("\n\n");
        }
    }
    out
}

fn fail(text: String) -> Output {
    Output::fail(format!("error: {text}\n"))
}

pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let flags = [
        ("recursive", None, Takes::Bool),
        ("api-version", None, Takes::Value),
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
    let api_version = p.value("api-version");
    // The resource: the longest prefix before a dot that names one (`deployments.apps.spec`);
    // with --api-version kubectl takes the first word only.
    let first = arg.find('.').unwrap_or(arg.len());
    let mut end = if api_version.is_some() {
        first
    } else {
        arg.len()
    };
    let info = loop {
        if let Some(info) = lookup(&arg[..end]) {
            break info;
        }
        match arg[..end].rfind('.') {
            Some(dot) if api_version.is_none() => end = dot,
            _ => {
                // kubectl's CheckErr prints a NoResourceMatchError without `error: `.
                let bare = &arg[..first];
                return Output::fail(format!(
                    "the server doesn't have a resource type \"{bare}\"\n"
                ));
            }
        }
    };
    let (group, version) = match api_version {
        Some(v) => v.split_once('/').unwrap_or(("", v)),
        None => (info.group, info.version),
    };
    if (group, version) != (info.group, info.version) {
        let gvr = format!("{group}/{version}, Resource={}", info.plural);
        return fail(
            if RESOURCES
                .iter()
                .any(|r| (r.group, r.version) == (group, version))
            {
                format!("GVR ({gvr}) not found in OpenAPI schema")
            } else {
                format!("couldn't find resource for \"{gvr}\"")
            },
        );
    }
    // kubectl finds the resource first, then reads the docs (its OpenAPI download).
    let kind_line = format!("kind {} ", info.kind);
    let docs = ctx.explain_docs;
    let Some((docs, def)) =
        docs.and_then(|d| Some((d, d.lines().find_map(|l| l.strip_prefix(&kind_line))?)))
    else {
        return fail("kubectl explain's docs (explain.txt) are not loaded yet".into());
    };
    let mut header = String::new();
    if !group.is_empty() {
        header = format!("GROUP:      {group}\n");
    }
    header.push_str(&format!(
        "KIND:       {}\nVERSION:    {version}\n\n",
        info.kind
    ));
    let mut out = header.clone();
    // The fields of the path, each in the type of the one before.
    let (mut to, mut field_doc, mut rest) = (Some(def), "", &arg[end..]);
    while let Some(path) = rest.strip_prefix('.') {
        let (name, tail) = path.split_at(path.find('.').unwrap_or(path.len()));
        let field = to.and_then(|d| definition(docs, d)?.1.find(|f| f.0 == name));
        let Some((_, ty, next, _, doc)) = field else {
            // kubectl names the path's last word, whichever is missing, after the header its
            // template has printed already.
            let last = &arg[arg.rfind('.').map_or(0, |dot| dot + 1)..];
            let mut failed = fail(format!("field \"{last}\" does not exist"));
            failed.stdout = header;
            return failed;
        };
        if tail.is_empty() {
            out.push_str(&format!("FIELD: {name} <{ty}>\n\n\n"));
        }
        (to, field_doc, rest) = (next, doc, tail);
    }
    // The field's description, then its type's, each ending with a newline; or `<empty>`.
    let mut description = String::new();
    for doc in [
        field_doc,
        to.and_then(|d| definition(docs, d)).map_or("", |d| d.0),
    ] {
        if !doc.is_empty() {
            description.push_str(doc);
            description.push_str("\\n");
        }
    }
    if description.is_empty() {
        description.push_str("<empty>");
    }
    out.push_str("DESCRIPTION:\n");
    out.push_str(&block(&description));
    out.push('\n');
    let fields = field_list(docs, to, 1, p.has("recursive"));
    if !fields.is_empty() {
        out.push_str("FIELDS:\n");
        out.push_str(&fields);
    }
    out.push('\n');
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn explain_wraps_and_indents_the_docs() {
        assert_eq!(super::block("one\\ntwo\\n"), "    one\n    two\n    ");
        let long = "word ".repeat(20);
        assert_eq!(
            super::block(long.trim_end()),
            format!(
                "    {}\n    {}",
                "word ".repeat(15).trim_end(),
                "word ".repeat(5).trim_end()
            )
        );
    }

    #[test]
    fn descriptions_wrap_as_go_wordwrap() {
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
        // Wrapping what is wrapped changes nothing.
        let text = "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.";
        assert_eq!(wrap(&wrap(text, 76), 76), wrap(text, 76));
    }
}
