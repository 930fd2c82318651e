//! Syntax colouring for the line being typed (only ever drawn on a
//! terminal: rustyline does not call it otherwise).

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "do", "until", "return",
    "break", "continue", "import", "as", "try", "catch", "throw", "true", "false", "private",
    "switch",
];

const KEYWORD: &str = "\x1b[35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[90m";
const RESET: &str = "\x1b[0m";

/// `line` with ANSI colours around keywords, strings, numbers and comments.
pub fn colour(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let end_of = |j: usize| chars.get(j).map_or(line.len(), |(b, _)| *b);
        if c == '/' && chars.get(i + 1).is_some_and(|(_, n)| *n == '/') {
            out.push_str(&format!("{COMMENT}{}{RESET}", &line[at..]));
            break;
        }
        if c == '"' || c == '`' {
            let mut j = i + 1;
            while j < chars.len() && chars[j].1 != c {
                j += if chars[j].1 == '\\' { 2 } else { 1 };
            }
            let stop = end_of((j + 1).min(chars.len()));
            out.push_str(&format!("{STRING}{}{RESET}", &line[at..stop]));
            i = j + 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len()
                && (chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '.' || chars[j].1 == '_')
            {
                j += 1;
            }
            out.push_str(&format!("{NUMBER}{}{RESET}", &line[at..end_of(j)]));
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let word = &line[at..end_of(j)];
            if KEYWORDS.contains(&word) {
                out.push_str(&format!("{KEYWORD}{word}{RESET}"));
            } else {
                out.push_str(word);
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn colours_keep_the_text() {
        let line = r#"let r1 = netns::add("r\"1"); // 2 ünï"#;
        let coloured = super::colour(line);
        let plain: String = coloured
            .split('\x1b')
            .enumerate()
            .map(|(i, s)| {
                if i == 0 {
                    s
                } else {
                    &s[s.find('m').unwrap() + 1..]
                }
            })
            .collect();
        assert_eq!(plain, line);
        assert!(coloured.starts_with("\x1b[35mlet\x1b[0m"));
        assert!(coloured.contains("\x1b[32m\"r\\\"1\"\x1b[0m"));
    }
}
