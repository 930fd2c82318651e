//! "Did you mean": the known name nearest to a mistyped one.

/// The candidate nearest to `name`: within a few edits (a letter
/// missing, added, changed, or two swapped), or the same words in
/// another order (`add_addr` for `addr_add`). None if nothing is close.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match name.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        6..=9 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = if same_words(name, c) {
            1
        } else {
            distance(name, c)
        };
        let close = d <= limit || same_words(name, c);
        if close && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The functions and methods a call could have meant: for `m::f`, the
/// other functions of modules; for a plain `f`, methods and functions
/// called without a module.
pub fn function<'a>(name: &str, signatures: &'a [String]) -> Option<&'a str> {
    let qualified = name.contains("::");
    nearest(
        name,
        signatures
            .iter()
            .map(|s| s.split('(').next().unwrap_or(""))
            .filter(|f| f.contains("::") == qualified),
    )
}

fn same_words(a: &str, b: &str) -> bool {
    fn words(s: &str) -> Vec<&str> {
        let mut w: Vec<&str> = s.split('_').collect();
        w.sort_unstable();
        w
    }
    a.contains('_') && words(a) == words(b)
}

/// Optimal string alignment distance: insertions, deletions,
/// substitutions and swaps of neighbours, each costing one.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn near_names() {
        let names = [
            "ping",
            "pids",
            "addr_add",
            "add_veth",
            "netns::add",
            "netns::del",
        ];
        assert_eq!(nearest("pign", names), Some("ping"));
        assert_eq!(nearest("add_addr", names), Some("addr_add"));
        assert_eq!(nearest("netns::ad", names), Some("netns::add"));
        assert_eq!(nearest("shell", names), None);
        assert_eq!(nearest("xy", ["x"]), None);
    }
}
