//! Label selector strings, as `kubectl get -l` and `?labelSelector=` take them.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/labels/selector.go`: the lexer (identifiers, `!`, `=`, `==`,
//! `!=`, `in`, `notin`, `(`, `)`, `,`, `>`, `<`), the recursive-descent parser and its messages
//! (`unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt`), the
//! requirement checks (label key/value syntax, integer values for `gt`/`lt`) and matching.
//! Simplified: a key error reads `<key>: Invalid value: ...` with the key standing in for the field
//! path upstream leaves empty.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::validation::names::{is_label_value, is_qualified_name};
use crate::sim::sort::StableSort;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operator {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One clause of a selector: `env in (a,b)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: BTreeSet<String>,
}

/// Requirements joined by AND. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
    /// `labels.Nothing()`: what a missing (nil) LabelSelector converts to.
    pub matches_nothing: bool,
}

impl Requirement {
    /// `labels.NewRequirement`: checks key, operator arity and values.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Requirement, String> {
        let errs = is_qualified_name(key);
        if !errs.is_empty() {
            return Err(format!(
                "{key}: Invalid value: {key:?}: {}",
                errs.join("; ")
            ));
        }
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err(
                    "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
                        .to_string(),
                )
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                return Err(
                    "values: Invalid value: for 'in', 'notin' operators, exact match operators must have exactly one value"
                        .to_string(),
                )
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err(
                    "values: Invalid value: values set must be empty for exists and does not exist"
                        .to_string(),
                )
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    return Err("values: Invalid value: for 'Gt', 'Lt' operators, exactly one value is required".to_string());
                }
                if values.iter().any(|v| v.parse::<i64>().is_err()) {
                    return Err("values[0]: Invalid value: for 'Gt', 'Lt' operators, the value must be an integer".to_string());
                }
            }
            _ => {}
        }
        for (i, v) in values.iter().enumerate() {
            let errs = is_label_value(v);
            if !errs.is_empty() {
                return Err(format!(
                    "values[{i}]: Invalid value: {v:?}: {}",
                    errs.join("; ")
                ));
            }
        }
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values: values.into_iter().collect(),
        })
    }

    /// Whether a label with this requirement's key and `value` (None: no such label) meets it.
    fn matches_value(&self, value: Option<&str>) -> bool {
        match self.operator {
            Operator::Equals | Operator::DoubleEquals | Operator::In => {
                value.is_some_and(|v| self.values.contains(v))
            }
            Operator::NotEquals | Operator::NotIn => {
                !value.is_some_and(|v| self.values.contains(v))
            }
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(have), Some(want)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values
                        .iter()
                        .next()
                        .and_then(|v| v.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values.iter().cloned().collect::<Vec<_>>().join(",");
        match self.operator {
            Operator::Equals => write!(f, "{}={}", self.key, values),
            Operator::DoubleEquals => write!(f, "{}=={}", self.key, values),
            Operator::NotEquals => write!(f, "{}!={}", self.key, values),
            Operator::In => write!(f, "{} in ({})", self.key, values),
            Operator::NotIn => write!(f, "{} notin ({})", self.key, values),
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::GreaterThan => write!(f, "{}>{}", self.key, values),
            Operator::LessThan => write!(f, "{}<{}", self.key, values),
        }
    }
}

impl Selector {
    pub fn everything() -> Selector {
        Selector::default()
    }

    pub fn nothing() -> Selector {
        Selector {
            requirements: Vec::new(),
            matches_nothing: true,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && !self.matches_nothing
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_by(|key| labels.get(key).map(String::as_str))
    }

    /// Whether an object's `metadata.labels` match, read in place: a controller matching 1,000
    /// pods on each sync does not copy each pod's labels into a map first.
    pub fn matches_labels_of(&self, object: &serde_json::Value) -> bool {
        let labels = object
            .ptr("/metadata/labels")
            .and_then(serde_json::Value::as_object);
        self.matches_by(|key| labels.and_then(|m| m.get(key)).and_then(|v| v.as_str()))
    }

    /// Whether the labels `value_of` gives (a label's value by key; None: no such label) match.
    fn matches_by<'a>(&self, value_of: impl Fn(&str) -> Option<&'a str>) -> bool {
        !self.matches_nothing
            && self
                .requirements
                .iter()
                .all(|r| r.matches_value(value_of(&r.key)))
    }

    /// Adds a requirement, keeping upstream's order (sorted by key) so `Display` is stable.
    pub fn add(&mut self, requirement: Requirement) {
        self.requirements.push(requirement);
        self.requirements.stable_sort_by(|a, b| a.key.cmp(&b.key));
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        write!(f, "{}", parts.join(","))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Identifier(String),
    DoesNotExist,
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    OpenParen,
    CloseParen,
    Comma,
    GreaterThan,
    LessThan,
    EndOfString,
}

impl Token {
    fn literal(&self) -> &str {
        match self {
            Token::Identifier(s) => s,
            Token::DoesNotExist => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::In => "in",
            Token::NotIn => "notin",
            Token::OpenParen => "(",
            Token::CloseParen => ")",
            Token::Comma => ",",
            Token::GreaterThan => ">",
            Token::LessThan => "<",
            Token::EndOfString => "",
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

fn lex(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if is_special(c) {
            let next = chars.get(i + 1).copied();
            let (token, width) = match (c, next) {
                ('=', Some('=')) => (Token::DoubleEquals, 2),
                ('!', Some('=')) => (Token::NotEquals, 2),
                ('=', _) => (Token::Equals, 1),
                ('!', _) => (Token::DoesNotExist, 1),
                ('(', _) => (Token::OpenParen, 1),
                (')', _) => (Token::CloseParen, 1),
                (',', _) => (Token::Comma, 1),
                ('>', _) => (Token::GreaterThan, 1),
                _ => (Token::LessThan, 1),
            };
            tokens.push(token);
            i += width;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !is_special(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(match word.as_str() {
                "in" => Token::In,
                "notin" => Token::NotIn,
                _ => Token::Identifier(word),
            });
        }
    }
    tokens.push(Token::EndOfString);
    tokens
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens
            .get(self.position)
            .unwrap_or(&Token::EndOfString)
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.position < self.tokens.len() {
            self.position += 1;
        }
        t
    }

    fn parse(&mut self) -> Result<Selector, String> {
        let mut selector = Selector::default();
        loop {
            match self.peek() {
                Token::Identifier(_) | Token::DoesNotExist => {
                    let r = self
                        .requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    selector.add(r);
                    match self.next() {
                        Token::EndOfString => return Ok(selector),
                        Token::Comma => match self.peek() {
                            Token::Identifier(_) | Token::DoesNotExist => {}
                            t => {
                                return Err(format!(
                                    "found '{}', expected: identifier after ','",
                                    t.literal()
                                ))
                            }
                        },
                        t => {
                            return Err(format!(
                                "found '{}', expected: ',' or 'end of string'",
                                t.literal()
                            ))
                        }
                    }
                }
                Token::EndOfString => return Ok(selector),
                t => {
                    return Err(format!(
                        "found '{}', expected: !, identifier, or 'end of string'",
                        t.literal()
                    ))
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let negated = *self.peek() == Token::DoesNotExist;
        if negated {
            self.next();
        }
        let key = match self.next() {
            Token::Identifier(k) => k,
            t => return Err(format!("found '{}', expected: identifier", t.literal())),
        };
        if negated {
            return Requirement::new(&key, Operator::DoesNotExist, Vec::new());
        }
        if matches!(self.peek(), Token::EndOfString | Token::Comma) {
            return Requirement::new(&key, Operator::Exists, Vec::new());
        }
        let operator = match self.next() {
            Token::In => Operator::In,
            Token::NotIn => Operator::NotIn,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::NotEquals => Operator::NotEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            t => {
                return Err(format!(
                    "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                    t.literal()
                ))
            }
        };
        let values = match operator {
            Operator::In | Operator::NotIn => self.value_list()?,
            _ => vec![self.exact_value()?],
        };
        Requirement::new(&key, operator, values)
    }

    fn exact_value(&mut self) -> Result<String, String> {
        match self.peek().clone() {
            Token::EndOfString | Token::Comma => Ok(String::new()),
            Token::Identifier(v) => {
                self.next();
                Ok(v)
            }
            t => Err(format!("found '{}', expected: identifier", t.literal())),
        }
    }

    fn value_list(&mut self) -> Result<Vec<String>, String> {
        match self.next() {
            Token::OpenParen => {}
            t => return Err(format!("found '{}', expected: '('", t.literal())),
        }
        let mut values = Vec::new();
        loop {
            match self.next() {
                Token::Identifier(v) => values.push(v),
                // `in ()` and `in (a,)` mean the empty value, as upstream reads them.
                Token::CloseParen => {
                    values.push(String::new());
                    return Ok(values);
                }
                Token::Comma => {
                    values.push(String::new());
                    continue;
                }
                t => {
                    return Err(format!(
                        "found '{}', expected: ',', ')' or identifier",
                        t.literal()
                    ))
                }
            }
            match self.next() {
                Token::Comma => {
                    if *self.peek() == Token::CloseParen {
                        self.next();
                        values.push(String::new());
                        return Ok(values);
                    }
                }
                Token::CloseParen => return Ok(values),
                t => return Err(format!("found '{}', expected: ',' or ')'", t.literal())),
            }
        }
    }
}

/// Parses a selector string (`app=web,env in (a,b),!legacy`). The empty string selects everything.
pub fn parse_selector(input: &str) -> Result<Selector, String> {
    Parser {
        tokens: lex(input),
        position: 0,
    }
    .parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matching_an_objects_labels_in_place_agrees_with_matching_its_label_map() {
        let selectors = [
            "app=web",
            "app!=web",
            "app in (web,db),tier",
            "!tier",
            "app notin (db)",
            "rank>3",
            "",
        ];
        let objects = [
            serde_json::json!({"metadata": {"labels": {"app": "web", "tier": "front", "rank": "5"}}}),
            serde_json::json!({"metadata": {"labels": {"app": "db"}}}),
            serde_json::json!({"metadata": {"labels": {"app": 7, "tier": "x"}}}),
            serde_json::json!({"metadata": {}}),
        ];
        let mut agreed = 0;
        for text in selectors {
            let selector = parse_selector(text).unwrap();
            for object in &objects {
                let by_map = selector.matches(&crate::sim::api::labels(object));
                assert_eq!(
                    selector.matches_labels_of(object),
                    by_map,
                    "{text} on {object}"
                );
                agreed += usize::from(by_map);
            }
        }
        // Both answers occur, so the agreement is not all-false or all-true.
        assert!(agreed > 0 && agreed < selectors.len() * objects.len());
        assert!(!Selector::nothing().matches_labels_of(&objects[0]));
    }

    #[test]
    fn selector_strings_match_label_sets_as_kubectl_l_does() {
        let web = set(&[
            ("app", "web"),
            ("env", "prod"),
            ("tier", "front"),
            ("gen", "3"),
        ]);
        for (selector, expected) in [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app!=db", true),
            ("missing!=x", true),
            ("env in (prod,dev)", true),
            ("env in (dev)", false),
            ("env notin (dev)", true),
            ("env notin (prod)", false),
            ("tier", true),
            ("!tier", false),
            ("!legacy", true),
            ("app=web,env=dev", false),
            ("app=web, env in (prod) , tier", true),
            ("gen>2", true),
            ("gen<2", false),
            ("app=", false),
        ] {
            let s = parse_selector(selector).unwrap_or_else(|e| panic!("{selector}: {e}"));
            assert_eq!(s.matches(&web), expected, "{selector}");
        }
    }

    #[test]
    fn malformed_selectors_get_upstream_messages() {
        for (selector, message) in [
            (
                "env IN (a)",
                "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "app=====web",
                "unable to parse requirement: found '==', expected: identifier",
            ),
            ("=web", "found '=', expected: !, identifier, or 'end of string'"),
            (
                "env in a",
                "unable to parse requirement: found 'a', expected: '('",
            ),
            ("app=web,", "found '', expected: identifier after ','"),
            (
                "app=web x",
                "found 'x', expected: ',' or 'end of string'",
            ),
            (
                "gen>x",
                "unable to parse requirement: values[0]: Invalid value: for 'Gt', 'Lt' operators, the value must be an integer",
            ),
        ] {
            assert_eq!(parse_selector(selector).unwrap_err(), message, "{selector}");
        }
        assert_eq!(
            parse_selector("bad key!=x").unwrap_err(),
            "unable to parse requirement: found 'key', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert!(parse_selector("-bad=x")
            .unwrap_err()
            .contains("name part must consist of alphanumeric characters"));
        assert!(parse_selector("app=bad value").is_err());
    }

    #[test]
    fn a_selector_prints_sorted_by_key() {
        let s = parse_selector("tier,app=web,env notin (b,a)").unwrap();
        assert_eq!(s.to_string(), "app=web,env notin (a,b),tier");
    }
}
