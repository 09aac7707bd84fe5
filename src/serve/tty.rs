//! `kubectl exec -it POD -- sh` through `serve`: the terminal's side of an interactive shell.
//!
//! Mirrors: what a student sees in a container's shell over a TTY: the shell's prompt
//! (busybox's `/ # `, dash's `# `, bash's `root@POD:/# `), each typed key echoed, backspace,
//! Ctrl-U, Ctrl-C (`^C` and a new prompt), Enter running the line, and `exit [N]` or Ctrl-D on an
//! empty line ending the session with that exit code. kubectl puts the local terminal in raw mode,
//! so this side is the line discipline: output's `\n` goes out as `\r\n`.
//! Simplified: each line runs as `SHELL -c LINE` in the container, so a variable set or a `cd`
//! on one line is gone on the next; no history, no cursor keys (their escape sequences are
//! dropped), no line editing beyond the end of the line, no job control.
//!
//! Sans I/O: [`TtySession::input`] takes the stdin bytes kubectl sent and says what to echo, which
//! line to run, or that the session ended; `net` runs the lines on the lab thread.

/// What a piece of input asks for, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TtyStep {
    /// Bytes for the terminal (stdout).
    Show(Vec<u8>),
    /// A line to run; after it, [`TtySession::ran`] gives its output and the next prompt.
    Run(String),
    /// The shell exited with this code.
    End(i32),
}

pub struct TtySession {
    prompt: String,
    line: String,
    /// `$?`: what `exit` and Ctrl-D end with.
    status: i32,
    /// Inside an escape sequence (a cursor key): bytes still to drop.
    escape: u8,
}

/// What the terminal shows for `text` written by a program: `\n` as `\r\n`.
pub fn onlcr(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

impl TtySession {
    pub fn new(prompt: &str) -> Self {
        TtySession {
            prompt: prompt.to_string(),
            line: String::new(),
            status: 0,
            escape: 0,
        }
    }

    /// The prompt, shown when the session starts and after each line.
    pub fn prompt(&self) -> Vec<u8> {
        self.prompt.as_bytes().to_vec()
    }

    /// A line's output and exit code: what to show before the next prompt.
    pub fn ran(&mut self, output: &str, code: i32) -> Vec<u8> {
        self.status = code;
        let mut shown = onlcr(output);
        shown.extend(self.prompt());
        shown
    }

    /// Keys as kubectl sent them (raw mode: one byte per key, or a few at once when pasted).
    pub fn input(&mut self, bytes: &[u8]) -> Vec<TtyStep> {
        let mut steps = Vec::new();
        let mut echo: Vec<u8> = Vec::new();
        let text = String::from_utf8_lossy(bytes).into_owned();
        for c in text.chars() {
            if self.escape > 0 {
                // ESC [ X: a cursor key's sequence is dropped whole.
                self.escape = if self.escape == 2 && c == '[' { 1 } else { 0 };
                continue;
            }
            match c {
                '\u{1b}' => self.escape = 2,
                '\r' | '\n' => {
                    echo.extend_from_slice(b"\r\n");
                    let line = std::mem::take(&mut self.line);
                    let words: Vec<&str> = line.split_whitespace().collect();
                    match words.as_slice() {
                        [] => echo.extend(self.prompt()),
                        ["exit"] => {
                            flush(&mut echo, &mut steps);
                            steps.push(TtyStep::End(self.status));
                            return steps;
                        }
                        ["exit", code] => {
                            flush(&mut echo, &mut steps);
                            // ash takes the low byte of the number it is given.
                            let code = code.parse::<i64>().map_or(2, |n| n.rem_euclid(256) as i32);
                            steps.push(TtyStep::End(code));
                            return steps;
                        }
                        _ => {
                            flush(&mut echo, &mut steps);
                            steps.push(TtyStep::Run(line.trim().to_string()));
                        }
                    }
                }
                '\u{7f}' | '\u{8}' if self.line.pop().is_some() => {
                    echo.extend_from_slice(b"\x08 \x08");
                }
                '\u{15}' => {
                    for _ in 0..self.line.chars().count() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                    self.line.clear();
                }
                '\u{3}' => {
                    self.line.clear();
                    echo.extend_from_slice(b"^C\r\n");
                    echo.extend(self.prompt());
                    self.status = 130;
                }
                '\u{4}' if self.line.is_empty() => {
                    echo.extend_from_slice(b"\r\n");
                    flush(&mut echo, &mut steps);
                    steps.push(TtyStep::End(self.status));
                    return steps;
                }
                '\t' => {}
                c if !c.is_control() => {
                    self.line.push(c);
                    let mut buf = [0u8; 4];
                    echo.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => {}
            }
        }
        flush(&mut echo, &mut steps);
        steps
    }
}

fn flush(echo: &mut Vec<u8>, steps: &mut Vec<TtyStep>) {
    if !echo.is_empty() {
        steps.push(TtyStep::Show(std::mem::take(echo)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_echoed_and_enter_runs_the_line() {
        let mut tty = TtySession::new("/ # ");
        assert_eq!(
            tty.input(b"hostx\x7fname\r"),
            vec![
                TtyStep::Show(b"hostx\x08 \x08name\r\n".to_vec()),
                TtyStep::Run("hostname".into())
            ]
        );
        assert_eq!(tty.ran("box\n", 0), b"box\r\n/ # ".to_vec());
        // A cursor key's escape sequence is dropped; Ctrl-C abandons the line.
        assert_eq!(
            tty.input(b"ls\x1b[A\x03"),
            vec![TtyStep::Show(b"ls^C\r\n/ # ".to_vec())]
        );
        // An empty line is a new prompt; `exit 3` ends with 3.
        assert_eq!(tty.input(b"\r"), vec![TtyStep::Show(b"\r\n/ # ".to_vec())]);
        assert_eq!(
            tty.input(b"exit 3\r"),
            vec![TtyStep::Show(b"exit 3\r\n".to_vec()), TtyStep::End(3)]
        );
    }

    #[test]
    fn ctrl_d_on_an_empty_line_ends_with_the_last_status() {
        let mut tty = TtySession::new("# ");
        assert_eq!(
            tty.input(b"false\r"),
            vec![
                TtyStep::Show(b"false\r\n".to_vec()),
                TtyStep::Run("false".into())
            ]
        );
        tty.ran("", 1);
        // Ctrl-D with text on the line does nothing.
        assert_eq!(tty.input(b"x\x04"), vec![TtyStep::Show(b"x".to_vec())]);
        assert_eq!(
            tty.input(b"\x15\x04"),
            vec![TtyStep::Show(b"\x08 \x08\r\n".to_vec()), TtyStep::End(1)]
        );
    }
}
