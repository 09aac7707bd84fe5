//! Splitting a command line into words, the way a POSIX shell does before running a command.
//!
//! Mirrors: bash's word splitting and quote removal (`'...'` literal, `"..."` with `\"` `\\` `\$`
//! escapes, a backslash outside quotes escapes the next character), and the operators a student
//! types in lab notes: `>` / `>>` (write a file), `<<EOF` (a heredoc), `|`, `;` and `&&`.
//! Simplified: no variable, glob, tilde or command substitution expansion.

/// One piece of a command line after quote removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(String),
    /// `> FILE`
    RedirectOut,
    /// `>> FILE`
    RedirectAppend,
    /// `< FILE`
    RedirectIn,
    /// `<<DELIM` (or `<<-DELIM`, which strips leading tabs from the body).
    HereDoc {
        delimiter: String,
        strip_tabs: bool,
    },
    /// `|`
    Pipe,
    /// `;`
    Semicolon,
    /// `&&`
    AndIf,
}

/// Why a line could not be split; the text is what bash prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexError {
    /// An opening quote without its closing quote on the same line.
    UnterminatedQuote(char),
    /// An operator with no word after it: `cat >`.
    MissingWord(&'static str),
}

impl std::fmt::Display for LexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LexError::UnterminatedQuote(q) => {
                write!(f, "bash: unexpected EOF while looking for matching `{q}'")
            }
            LexError::MissingWord(op) => {
                write!(f, "bash: syntax error near unexpected token `{op}'")
            }
        }
    }
}

/// Splits one line into tokens. A `#` at the start of a word begins a comment.
pub fn tokenize(line: &str) -> Result<Vec<Token>, LexError> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut word = String::new();
    // A word exists once any character or any quote pair was seen: `''` is an empty word.
    let mut in_word = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                flush(&mut tokens, &mut word, &mut in_word);
                i += 1;
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(LexError::UnterminatedQuote('\'')),
                        Some('\'') => break,
                        Some(&ch) => word.push(ch),
                    }
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(LexError::UnterminatedQuote('"')),
                        Some('"') => break,
                        Some('\\') => match chars.get(i + 1) {
                            // Inside double quotes a backslash only escapes these.
                            Some(&next @ ('"' | '\\' | '$' | '`')) => {
                                word.push(next);
                                i += 1;
                            }
                            _ => word.push('\\'),
                        },
                        Some(&ch) => word.push(ch),
                    }
                    i += 1;
                }
                i += 1;
            }
            '\\' => {
                in_word = true;
                if let Some(&next) = chars.get(i + 1) {
                    word.push(next);
                }
                i += 2;
            }
            '>' | '<' | '|' | ';' | '&' => {
                flush(&mut tokens, &mut word, &mut in_word);
                let next = chars.get(i + 1).copied();
                match (c, next) {
                    ('>', Some('>')) => {
                        tokens.push(Token::RedirectAppend);
                        i += 2;
                    }
                    ('>', _) => {
                        tokens.push(Token::RedirectOut);
                        i += 1;
                    }
                    ('<', Some('<')) => {
                        i += 2;
                        let strip_tabs = chars.get(i) == Some(&'-');
                        if strip_tabs {
                            i += 1;
                        }
                        while matches!(chars.get(i), Some(' ' | '\t')) {
                            i += 1;
                        }
                        let (delimiter, next_i) = delimiter_word(&chars, i);
                        if delimiter.is_empty() {
                            return Err(LexError::MissingWord("newline"));
                        }
                        tokens.push(Token::HereDoc {
                            delimiter,
                            strip_tabs,
                        });
                        i = next_i;
                    }
                    ('<', _) => {
                        tokens.push(Token::RedirectIn);
                        i += 1;
                    }
                    ('|', _) => {
                        tokens.push(Token::Pipe);
                        i += 1;
                    }
                    (';', _) => {
                        tokens.push(Token::Semicolon);
                        i += 1;
                    }
                    ('&', Some('&')) => {
                        tokens.push(Token::AndIf);
                        i += 2;
                    }
                    _ => {
                        // A lone `&` (background job): there is no job control; keep it as a word.
                        word.push(c);
                        in_word = true;
                        i += 1;
                    }
                }
            }
            _ => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    flush(&mut tokens, &mut word, &mut in_word);
    Ok(tokens)
}

fn flush(tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool) {
    if *in_word {
        tokens.push(Token::Word(std::mem::take(word)));
        *in_word = false;
    }
}

/// Reads a heredoc delimiter (`EOF`, `'EOF'`, `"EOF"`): quotes are removed, as bash does.
fn delimiter_word(chars: &[char], mut i: usize) -> (String, usize) {
    let mut out = String::new();
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '>' | '<' | '|' | ';' | '&' => break,
            '\'' | '"' => {
                i += 1;
                while let Some(&ch) = chars.get(i) {
                    if ch == c {
                        break;
                    }
                    out.push(ch);
                    i += 1;
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        tokenize(line)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn words_are_split_on_blanks_and_quotes_are_removed() {
        for (line, expected) in [
            ("kubectl get pods", vec!["kubectl", "get", "pods"]),
            ("  kubectl   get\tpods  ", vec!["kubectl", "get", "pods"]),
            ("echo 'a  b' \"c d\"", vec!["echo", "a  b", "c d"]),
            ("echo a\\ b", vec!["echo", "a b"]),
            ("echo ''", vec!["echo", ""]),
            ("echo x'y'\"z\"", vec!["echo", "xyz"]),
            ("echo \"say \\\"hi\\\"\"", vec!["echo", "say \"hi\""]),
            ("echo 'it\\s'", vec!["echo", "it\\s"]),
            ("echo \"a\\nb\"", vec!["echo", "a\\nb"]),
            (
                "kubectl get pods # all of them",
                vec!["kubectl", "get", "pods"],
            ),
            ("echo a#b", vec!["echo", "a#b"]),
            ("# only a comment", vec![]),
            ("-l 'app in (web, api)'", vec!["-l", "app in (web, api)"]),
        ] {
            assert_eq!(words(line), expected, "{line}");
        }
    }

    #[test]
    fn an_unterminated_quote_is_an_error_bash_words() {
        assert_eq!(
            tokenize("echo 'abc").map_err(|e| e.to_string()),
            Err("bash: unexpected EOF while looking for matching `''".to_string())
        );
        assert_eq!(
            tokenize("echo \"abc"),
            Err(LexError::UnterminatedQuote('"'))
        );
    }

    #[test]
    fn heredoc_operators_carry_their_unquoted_delimiter() {
        for (line, delimiter, strip_tabs) in [
            ("kubectl apply -f - <<EOF", "EOF", false),
            ("kubectl apply -f - << EOF", "EOF", false),
            ("cat <<'EOF' > web.yaml", "EOF", false),
            ("cat <<\"END\"", "END", false),
            ("cat <<-EOF", "EOF", true),
        ] {
            let tokens = tokenize(line).unwrap_or_default();
            assert!(
                tokens.contains(&Token::HereDoc {
                    delimiter: delimiter.to_string(),
                    strip_tabs
                }),
                "{line}: {tokens:?}"
            );
        }
    }

    #[test]
    fn redirections_and_lists_are_operators() {
        assert_eq!(
            tokenize("cat <<EOF >web.yaml").unwrap_or_default(),
            vec![
                Token::Word("cat".into()),
                Token::HereDoc {
                    delimiter: "EOF".into(),
                    strip_tabs: false
                },
                Token::RedirectOut,
                Token::Word("web.yaml".into()),
            ]
        );
        assert_eq!(
            tokenize("echo a >> f; ls && echo b | x").unwrap_or_default(),
            vec![
                Token::Word("echo".into()),
                Token::Word("a".into()),
                Token::RedirectAppend,
                Token::Word("f".into()),
                Token::Semicolon,
                Token::Word("ls".into()),
                Token::AndIf,
                Token::Word("echo".into()),
                Token::Word("b".into()),
                Token::Pipe,
                Token::Word("x".into()),
            ]
        );
    }

    #[test]
    fn a_heredoc_without_a_delimiter_is_a_syntax_error() {
        assert_eq!(tokenize("cat <<"), Err(LexError::MissingWord("newline")));
    }
}
