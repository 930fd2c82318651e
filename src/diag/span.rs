//! From Rhai positions (1-based line, 1-based character column, no length)
//! to byte spans that cover the whole construct that failed.

/// Byte offset of a 1-based line and 1-based character column. Columns
/// count characters (a tab or an emoji is one column). Clamped to the end
/// of the line, so a position just past the last character is valid.
pub fn byte_offset(src: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for (i, text) in src.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let body = text.strip_suffix('\n').unwrap_or(text);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let within = body
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(body.len(), |(b, _)| b);
            return Some(start + within);
        }
        start += text.len();
    }
    (line == src.split_inclusive('\n').count() + 1).then_some(src.len())
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The span (offset, length) of what starts at `offset`: a whole call with
/// its arguments (`netns::add("r1")`, `.link("x")`), an identifier or
/// property, or one character.
pub fn call_span(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let rest = &src[offset..];
    let Some(first) = rest.chars().next() else {
        return (offset, 0);
    };
    let mut start = offset;
    let mut end;
    if first == '.' && rest[1..].starts_with(|c: char| is_ident(c)) {
        end = offset + 1 + ident_len(&rest[1..]);
    } else if is_ident(first) {
        // Widen back over a `module::` path.
        while let Some(before) = src[..start].strip_suffix("::") {
            let seg = before.len()
                - before
                    .chars()
                    .rev()
                    .take_while(|c| is_ident(*c))
                    .map(char::len_utf8)
                    .sum::<usize>();
            if seg == before.len() {
                break;
            }
            start = seg;
        }
        end = offset + ident_len(rest);
        while src[end..].starts_with("::") && src[end + 2..].starts_with(|c: char| is_ident(c)) {
            end += 2 + ident_len(&src[end + 2..]);
        }
    } else {
        return (offset, first.len_utf8());
    }
    let after = &src[end..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    if after[gap..].starts_with('(')
        && let Some(close) = matching_paren(&src[end + gap..])
    {
        end += gap + close + 1;
    }
    (start, end - start)
}

/// The span of the single token at `offset`: an identifier, a string
/// literal, or one character. For syntax errors, where calls may be broken.
pub fn token_span(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let rest = &src[offset..];
    match rest.chars().next() {
        None => (offset, 0),
        Some(c) if is_ident(c) => (offset, ident_len(rest)),
        Some(q @ ('"' | '`')) => {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    return (offset, i + 1);
                } else if c == '\n' {
                    break;
                }
            }
            (offset, 1)
        }
        Some(c) => (offset, c.len_utf8()),
    }
}

/// What is left open at the end of `text`: the innermost unclosed
/// bracket, or an unterminated string, with its byte offset. Comments are
/// skipped. The REPL asks for more input while this is `Some`.
pub fn unclosed(text: &str) -> Option<(usize, char)> {
    let mut stack = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek().is_some_and(|(_, n)| *n == '*') => {
                let mut prev = ' ';
                chars.next();
                for (_, c) in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' | '`' => {
                let mut closed = false;
                while let Some((_, n)) = chars.next() {
                    if n == '\\' {
                        chars.next();
                    } else if n == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Some((i, c));
                }
            }
            '{' | '(' | '[' => stack.push((i, c)),
            '}' | ')' | ']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}

/// Narrow the span of a whole call (as from [`call_span`]) to the part an
/// error is about: an argument, an options-map entry (`key: value`), or
/// the argument written as a given value. `None` when the call does not
/// show it (say, the options are in a variable).
pub fn subject_span(
    src: &str,
    (start, len): (usize, usize),
    subject: &crate::error::Subject,
) -> Option<(usize, usize)> {
    use crate::error::Subject;
    let call = src.get(start..start + len)?;
    let open = call.find('(')?;
    let inner = call[open + 1..].strip_suffix(')')?;
    let args = split_top(inner, start + open + 1);
    let text = |(at, n): (usize, usize)| &src[at..at + n];
    let entries = |arg: (usize, usize)| {
        let body = text(arg).strip_prefix("#{")?.strip_suffix('}')?;
        Some(split_top(body, arg.0 + 2))
    };
    let key_of = |entry: (usize, usize)| {
        let e = text(entry);
        let colon = e.find(':')?;
        let key = e[..colon].trim();
        Some(unquote(key).unwrap_or_else(|| key.to_string()))
    };
    match subject {
        Subject::Arg(i) => args.get(*i).copied(),
        Subject::Option(key) => args
            .iter()
            .filter_map(|a| entries(*a))
            .flatten()
            .find(|e| key_of(*e).as_deref() == Some(key.as_str())),
        Subject::Value(value) => {
            let is = |piece: &str| unquote(piece).unwrap_or_else(|| piece.to_string()) == *value;
            args.iter().copied().find(|a| is(text(*a))).or_else(|| {
                args.iter().filter_map(|a| entries(*a)).flatten().find(|e| {
                    let t = text(*e);
                    t.find(':').is_some_and(|c| is(t[c + 1..].trim()))
                })
            })
        }
    }
}

/// The pieces of `s` between top-level commas (outside brackets, strings
/// and comments), without the blanks and comments around them, as
/// (offset, length) with `s` starting at `base`.
fn split_top(s: &str, base: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    let mut chars = s.char_indices().peekable();
    let mut push = |from: usize, to: usize| {
        let (start, end) = without_comments(s, from, to);
        if start < end {
            pieces.push((base + start, end - start));
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' | '`' | '\'' => {
                while let Some((_, n)) = chars.next() {
                    if n == '\\' {
                        chars.next();
                    } else if n == c {
                        break;
                    }
                }
            }
            // A comment may hold quotes and commas of its own.
            '/' if s[i + 1..].starts_with(['/', '*']) => {
                let end = comment_end(s, i);
                while chars.next_if(|(k, _)| *k < end).is_some() {}
            }
            ',' if depth == 0 => {
                push(from, i);
                from = i + 1;
            }
            _ => {}
        }
    }
    push(from, s.len());
    pieces
}

/// Where the comment starting at `at` (`//` or `/*`) ends.
fn comment_end(s: &str, at: usize) -> usize {
    if s[at..].starts_with("//") {
        s[at..].find('\n').map_or(s.len(), |n| at + n + 1)
    } else {
        s[at + 2..].find("*/").map_or(s.len(), |e| at + 2 + e + 2)
    }
}

/// `s[from..to]` without leading and trailing blanks and comments.
fn without_comments(s: &str, mut from: usize, mut to: usize) -> (usize, usize) {
    loop {
        let piece = &s[from..to];
        let trimmed = piece.trim_start();
        from += piece.len() - trimmed.len();
        if trimmed.starts_with("//") || trimmed.starts_with("/*") {
            from = comment_end(s, from).min(to);
        } else {
            break;
        }
    }
    loop {
        to = from + s[from..to].trim_end().len();
        match s[from..to].strip_suffix("*/").and_then(|p| p.rfind("/*")) {
            Some(open) => to = from + open,
            None => break,
        }
    }
    (from, to)
}

/// The contents of a plain Rhai string literal (`"..."` with its escapes),
/// or `None` if `text` is not one.
fn unquote(text: &str) -> Option<String> {
    let body = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            e @ ('x' | 'u' | 'U') => {
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(digits).collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            other => other,
        };
        out.push(escaped);
    }
    Some(out)
}

fn ident_len(s: &str) -> usize {
    s.chars()
        .take_while(|c| is_ident(*c))
        .map(char::len_utf8)
        .sum()
}

/// Offset of the ')' matching the '(' that `s` starts with, skipping
/// strings and character literals.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (c == ')').then_some(i);
                }
            }
            '"' | '`' | '\'' => {
                let quote = c;
                while let Some((_, c)) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == quote {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = "let ü = \"é\"; netns::add(\"r1\")\n\tfoo()";
        let off = byte_offset(src, 1, 14).unwrap();
        assert_eq!(&src[off..off + 5], "netns");
        // A tab is one column.
        let off = byte_offset(src, 2, 2).unwrap();
        assert_eq!(&src[off..], "foo()");
    }

    #[test]
    fn shebang_line_keeps_offsets() {
        let src = "//!/usr/bin/env netscript\nnetns::add(\"r1\");\n";
        let off = byte_offset(src, 2, 1).unwrap();
        assert_eq!(&src[off..off + 10], "netns::add");
    }

    #[test]
    fn end_of_input_is_a_position() {
        assert_eq!(byte_offset("ab\n", 2, 1), Some(3));
        assert_eq!(byte_offset("ab", 1, 3), Some(2));
        assert_eq!(byte_offset("ab", 5, 1), None);
    }

    #[test]
    fn spans_cover_whole_calls() {
        let src = r#"let x = netns::add("a(b)", #{ n: [1, 2] }); y"#;
        let at = src.find("add").unwrap();
        let (s, l) = call_span(src, at);
        assert_eq!(&src[s..s + l], r#"netns::add("a(b)", #{ n: [1, 2] })"#);
        let at = src.find("netns").unwrap();
        let (s, l) = call_span(src, at);
        assert_eq!(&src[s..s + l], r#"netns::add("a(b)", #{ n: [1, 2] })"#);
        let src = "r1.link(\"é\").up()";
        let (s, l) = call_span(src, 2);
        assert_eq!(&src[s..s + l], ".link(\"é\")");
        let (s, l) = call_span(src, 3);
        assert_eq!(&src[s..s + l], "link(\"é\")");
        let (s, l) = call_span("a + nope;", 4);
        assert_eq!((s, l), (4, 4));
        let (s, l) = call_span("a + ;", 4);
        assert_eq!((s, l), (4, 1));
        assert_eq!(token_span("print(x)", 0), (0, 5));
        assert_eq!(token_span(r#"x "a\"é" y"#, 2), (2, 7));
        assert_eq!(token_span("x ;", 2), (2, 1));
    }

    #[test]
    fn subjects_narrow_a_call_to_its_culprit() {
        use crate::error::Subject;
        let src = r#"x.add("a,b", "t\x07", #{ mtu: 0, "peer": [1, 2] }); y"#;
        let call = call_span(src, 1);
        let at = |s: Subject| subject_span(src, call, &s).map(|(o, n)| &src[o..o + n]);
        assert_eq!(at(Subject::Arg(0)), Some(r#""a,b""#));
        assert_eq!(at(Subject::Arg(3)), None);
        assert_eq!(at(Subject::Option("mtu".into())), Some("mtu: 0"));
        assert_eq!(
            at(Subject::Option("peer".into())),
            Some(r#""peer": [1, 2]"#)
        );
        assert_eq!(at(Subject::Option("nope".into())), None);
        assert_eq!(at(Subject::Value("t\u{7}".into())), Some(r#""t\x07""#));
        assert_eq!(at(Subject::Value("0".into())), Some("mtu: 0"));
        assert_eq!(at(Subject::Value("a".into())), None);
        // Comments inside the call are not arguments' text.
        let src = "f(\"a\", // don't, \"x\"\n \"b\" /* it's, */)";
        let call = call_span(src, 0);
        let at = |s: Subject| subject_span(src, call, &s).map(|(o, n)| &src[o..o + n]);
        assert_eq!(at(Subject::Arg(1)), Some("\"b\""));
    }

    #[test]
    fn open_constructs_at_the_end() {
        assert_eq!(unclosed("fn f() {\n  if x { 1 }\n"), Some((7, '{')));
        assert_eq!(unclosed("print(\"a(b\""), Some((5, '(')));
        assert_eq!(unclosed("let s = `multi\nline"), Some((8, '`')));
        assert_eq!(unclosed("let a = [1, 2]; // [ not code\n"), None);
        assert_eq!(unclosed("/* ( */ x"), None);
    }
}
