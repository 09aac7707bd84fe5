//! The terminal's scrollback: what was typed and printed, bounded as a terminal's is.
//!
//! Mirrors: a terminal emulator's scrollback, which keeps a number of lines and lets the oldest
//! scroll away. Here it is bounded twice, by entries and by bytes, so that no paste and no output
//! (a 10 MB line echoed back, `kubectl get pods -o yaml` at 3,000 pods) makes the page's memory
//! grow without bound; of an entry bigger than the whole budget, the end is kept, as a terminal
//! shows the end of a long output.
//! Text is shared (`Rc<str>`): the page hands the scrollback to its view on every render.

use std::rc::Rc;

use super::i18n::Msg;
use crate::sim::text;

/// At most this many entries (a command, an output, an error each count one).
pub const LINES_MAX: usize = 500;
/// At most this many bytes of text in all.
pub const BYTES_MAX: usize = 2 << 20;

/// One entry of the scrollback.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// What the user typed, after the prompt it was typed at.
    Command { prompt: Rc<str>, text: Rc<str> },
    /// A note from the sandbox itself, shown in the reader's language.
    Note(Msg),
    /// Program output, verbatim (kubectl output is never translated).
    Output(Rc<str>),
    /// What a program wrote to standard error, verbatim, drawn in red.
    Error(Rc<str>),
}

impl Line {
    fn bytes(&self) -> usize {
        match self {
            Line::Command { prompt, text } => prompt.len() + text.len(),
            Line::Note(_) => 0,
            Line::Output(text) | Line::Error(text) => text.len(),
        }
    }

    /// The same entry with only the end of its text: at most `max` bytes in all.
    fn tail(self, max: usize) -> Line {
        let cut = |text: Rc<str>, max: usize| -> Rc<str> {
            let kept = text::tail(&text, max);
            if kept.len() == text.len() {
                return text;
            }
            // From the next whole line, when there is one.
            match kept.find('\n') {
                Some(nl) if nl + 1 < kept.len() => Rc::from(&kept[nl + 1..]),
                _ => Rc::from(kept),
            }
        };
        match self {
            Line::Command { prompt, text } => Line::Command {
                text: cut(text, max.saturating_sub(prompt.len())),
                prompt,
            },
            Line::Output(text) => Line::Output(cut(text, max)),
            Line::Error(text) => Line::Error(cut(text, max)),
            note => note,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scrollback {
    lines: Vec<Line>,
    bytes: usize,
    /// Entries ever pushed: moves on every push, even once the oldest scroll away.
    pushed: u64,
}

impl Scrollback {
    pub fn new() -> Scrollback {
        Scrollback::default()
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// Bytes of text kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many entries were ever pushed (what a view keys "scroll to the newest" on).
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    pub fn push(&mut self, line: Line) {
        let line = line.tail(BYTES_MAX);
        self.bytes += line.bytes();
        self.lines.push(line);
        self.pushed += 1;
        let mut drop = 0;
        while self.lines.len() - drop > LINES_MAX || self.bytes > BYTES_MAX {
            self.bytes -= self.lines[drop].bytes();
            drop += 1;
        }
        self.lines.drain(..drop);
    }

    /// `clear`: the screen empties.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(text: &str) -> Line {
        Line::Output(Rc::from(text))
    }

    #[test]
    fn the_oldest_entries_scroll_away_past_the_entry_limit() {
        let mut s = Scrollback::new();
        for i in 0..LINES_MAX + 20 {
            s.push(output(&format!("{i}\n")));
        }
        assert_eq!(s.lines().len(), LINES_MAX);
        assert_eq!(s.lines()[0], output("20\n"));
        assert_eq!(s.pushed(), (LINES_MAX + 20) as u64);
        let bytes: usize = s.lines().iter().map(Line::bytes).sum();
        assert_eq!(s.bytes(), bytes);
    }

    #[test]
    fn big_outputs_push_the_oldest_out_past_the_byte_limit() {
        let mut s = Scrollback::new();
        s.push(Line::Note(Msg::TerminalWelcome));
        let third = "x".repeat(BYTES_MAX / 3);
        for _ in 0..3 {
            s.push(output(&third));
        }
        assert_eq!(s.lines().len(), 4, "all fit");
        s.push(output(&third));
        assert_eq!(s.lines().len(), 3, "the note and the first output went");
        assert!(s.bytes() <= BYTES_MAX);
    }

    #[test]
    fn of_an_entry_over_the_whole_budget_the_end_is_kept_from_a_whole_line() {
        let mut s = Scrollback::new();
        s.push(output("before\n"));
        let mut huge = String::new();
        let mut n = 0;
        while huge.len() <= BYTES_MAX * 2 {
            huge.push_str(&format!("line {n} 가나다\n"));
            n += 1;
        }
        s.push(Line::Error(Rc::from(huge.as_str())));
        assert_eq!(s.lines().len(), 1);
        let Line::Error(kept) = &s.lines()[0] else {
            panic!("the error is kept");
        };
        assert!(kept.len() <= BYTES_MAX);
        assert!(kept.starts_with("line "), "{}", &kept[..20]);
        assert!(kept.ends_with(&format!("line {} 가나다\n", n - 1)));
        // A 10 MB typed line keeps its prompt and its end.
        s.push(Line::Command {
            prompt: Rc::from("[root@master ~]# "),
            text: Rc::from("é".repeat(5 << 20).as_str()),
        });
        let Line::Command { prompt, text } = &s.lines()[s.lines().len() - 1] else {
            panic!("the command is kept");
        };
        assert_eq!(&**prompt, "[root@master ~]# ");
        assert!(text.len() <= BYTES_MAX && text.chars().all(|c| c == 'é'));
        assert!(s.bytes() <= BYTES_MAX);
    }

    #[test]
    fn clear_empties_the_screen_but_keeps_counting() {
        let mut s = Scrollback::new();
        s.push(output("a"));
        s.clear();
        assert!(s.lines().is_empty());
        assert_eq!(s.bytes(), 0);
        assert_eq!(s.pushed(), 1);
    }
}
