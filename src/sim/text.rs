//! Cutting text to a byte budget without splitting a character: what a bounded log line, a
//! traced command line and the terminal's scrollback keep of a text too long for them.
//! (`str::floor_char_boundary` does this from Rust 1.91; the crate supports 1.89.)

/// The longest start of `text` that is at most `max` bytes.
pub fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The longest end of `text` that is at most `max` bytes.
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut from = text.len() - max;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_between_characters() {
        // '가' is three bytes.
        assert_eq!(head("가나다", 7), "가나");
        assert_eq!(tail("가나다", 7), "나다");
        assert_eq!(head("가나다", 2), "");
        assert_eq!(tail("abc", 2), "bc");
        assert_eq!(head("abc", 10), "abc");
        assert_eq!(tail("abc", 10), "abc");
    }
}
