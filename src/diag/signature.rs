//! Matching a call no function takes against the registered signatures:
//! which argument is wrong, and what was expected there.

/// Whether `name` is a method: its registered forms take a `&mut`
/// receiver first.
pub(super) fn takes_receiver(name: &str, signatures: &[String]) -> bool {
    !name.is_empty()
        && signatures.iter().any(|s| {
            s.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('('))
                .is_some_and(|params| {
                    params
                        .split_once(": ")
                        .is_some_and(|(_, t)| t.starts_with("&mut "))
                })
        })
}

/// For a call no function matches: the one argument (by position,
/// counting a method's receiver) that every registered function of that
/// name and arity disagrees with, and the type expected there.
pub(super) fn mismatched_argument(sig: &str, signatures: &[String]) -> Option<(usize, String)> {
    let called = readable_signature(sig);
    let open = called.find('(')?;
    let name = &called[..open];
    let given = params(called[open + 1..].strip_suffix(')')?);
    let mut common: Option<Vec<(usize, String)>> = None;
    for s in signatures {
        let Some((fn_name, rest)) = s.split_once('(') else {
            continue;
        };
        if fn_name != name && fn_name.rsplit("::").next() != Some(name) {
            continue;
        }
        let Some(close) = rest.rfind(')') else {
            continue;
        };
        let wanted: Vec<&str> = params(&rest[..close])
            .into_iter()
            .map(|p| p.split_once(": ").map_or(p, |(_, t)| t))
            .collect();
        if wanted.len() != given.len() {
            continue;
        }
        let wrong: Vec<(usize, String)> = given
            .iter()
            .zip(&wanted)
            .enumerate()
            .filter(|(_, (g, w))| !type_fits(g, w))
            .map(|(i, (_, w))| (i, w.to_string()))
            .collect();
        common = Some(match common {
            None => wrong,
            Some(before) => {
                let mut kept: Vec<(usize, String)> = before
                    .into_iter()
                    .filter(|(i, _)| wrong.iter().any(|(j, _)| j == i))
                    .collect();
                for (i, w) in &wrong {
                    if let Some(k) = kept.iter_mut().find(|(j, _)| j == i)
                        && !k.1.split(" or ").any(|t| t == w)
                    {
                        k.1 = format!("{} or {w}", k.1);
                    }
                }
                kept
            }
        });
    }
    let common = common?;
    match common.as_slice() {
        [(i, expected)] => Some((*i, expected.replace("&mut ", "").replace('&', ""))),
        _ => None,
    }
}

fn params(list: &str) -> Vec<&str> {
    list.split(", ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether a value of type `given` (as `readable_signature` writes it)
/// fits a parameter declared as `wanted` in the docs' signatures.
fn type_fits(given: &str, wanted: &str) -> bool {
    let norm = |t: &str| {
        let t = t.trim().trim_start_matches("&mut ").trim_start_matches('&');
        match t {
            "str" | "ImmutableString" | "String" => "string".to_string(),
            "i64" => "int".into(),
            "f64" => "float".into(),
            other => other.to_lowercase(),
        }
    };
    let given = norm(given);
    wanted
        .split('|')
        .map(norm)
        .any(|w| w == given || w == "dynamic" || w == "any")
}

/// "link::add_veth (&str | ImmutableString | String, i64)" -> "link::add_veth(string, int)"
pub fn readable_signature(sig: &str) -> String {
    sig.replace(" (", "(")
        .replace("&str | ImmutableString | String", "string")
        .replace("ImmutableString", "string")
        .replace("i64", "int")
        .replace("f64", "float")
        .replace("rhai::Map", "map")
        .replace("rhai::Array", "array")
        .replace("netscript::api::handles::NetnsHandle", "Netns")
        .replace("netscript::api::handles::LinkHandle", "Link")
}
