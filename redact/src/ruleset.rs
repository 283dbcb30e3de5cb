//! The rule files, split into one piece per rule and parsed piece by piece on first use.
//!
//! Parsing all of gitleaks.toml (3,200 lines) costs a few milliseconds, more than a whole CLI
//! upsert may add. At start-up only each rule's id and keywords are read, by hand, from its
//! piece; the piece is parsed as TOML (the `toml` crate, the same schema) the first time its
//! keywords occur in a text. A unit test checks the hand-read values against a full parse.

use std::sync::OnceLock;

use crate::config::RuleFile;
use crate::rule::{Allowlist, Rule};

/// A rule piece starts with this line; anything before the first one is the file's preamble
/// (title, global allowlist).
const RULE_HEADER: &str = "[[rules]]";

pub(crate) struct LazyRule {
    pub id: String,
    /// Lower case; the rule runs only on texts containing one of them (all texts when empty).
    pub keywords: Vec<String>,
    /// gitleaks' catch-all rules (id containing "generic"): they yield to a specific rule on
    /// the same secret, and false-positive vetoes always apply to them.
    pub generic: bool,
    source: &'static str,
    parsed: OnceLock<Option<Rule>>,
}

impl LazyRule {
    /// The parsed rule; `None` if its piece does not parse (a unit test parses them all).
    pub fn get(&self) -> Option<&Rule> {
        self.parsed
            .get_or_init(|| parse_rule(&self.id, self.source))
            .as_ref()
    }

    #[cfg(test)]
    pub fn source(&self) -> &'static str {
        self.source
    }
}

/// The rule in `source`, if it parses and is the one whose id was read by hand.
fn parse_rule(id: &str, source: &str) -> Option<Rule> {
    let file = RuleFile::parse(source).ok()?;
    let config = file.rules.into_iter().next().filter(|rule| rule.id == id)?;
    Rule::for_free_text(config)
}

/// The rules of `files`, in order, and their preambles (parsed later, for global allowlists).
pub(crate) fn split(files: &[&'static str]) -> Result<(Vec<LazyRule>, Vec<&'static str>), String> {
    let mut rules = Vec::new();
    let mut preambles = Vec::new();
    for file in files {
        let mut pieces = pieces(file);
        preambles.push(pieces.next().unwrap_or_default());
        for source in pieces {
            // Rules that need a file path never apply to free text (see Rule::for_free_text).
            if source.lines().any(|line| line.starts_with("path =")) {
                continue;
            }
            let id =
                string_value(source, "id").ok_or_else(|| format!("a rule without id: {source}"))?;
            let keywords = keywords(source).map_err(|e| format!("rule {id}: {e}"))?;
            rules.push(LazyRule {
                generic: id.to_ascii_lowercase().contains("generic"),
                id,
                keywords,
                source,
                parsed: OnceLock::new(),
            });
        }
    }
    Ok((rules, preambles))
}

/// The preamble first, then each `[[rules]]` piece (header included).
fn pieces(file: &'static str) -> impl Iterator<Item = &'static str> {
    let mut starts: Vec<usize> = vec![0];
    let mut at = 0;
    for line in file.split_inclusive('\n') {
        if line.trim_end() == RULE_HEADER {
            starts.push(at);
        }
        at += line.len();
    }
    starts.push(file.len());
    let bounds: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    bounds
        .into_iter()
        .map(move |(start, end)| &file[start..end])
}

/// The global allowlists of every preamble.
pub(crate) fn global_allowlists(preambles: &[&str]) -> Vec<Allowlist> {
    preambles
        .iter()
        .filter_map(|text| RuleFile::parse(text).ok())
        .flat_map(|mut file| file.global_allowlists())
        .map(Allowlist::new)
        .collect()
}

/// `key = "value"` at the start of a line of `piece`.
fn string_value(piece: &str, key: &str) -> Option<String> {
    piece.lines().find_map(|line| {
        let rest = line
            .strip_prefix(key)?
            .trim_start()
            .strip_prefix('=')?
            .trim_start();
        let mut strings = Strings { rest };
        strings.next_string().ok().flatten()
    })
}

/// The `keywords = [...]` array of `piece` (possibly over several lines), lower-cased.
fn keywords(piece: &str) -> Result<Vec<String>, String> {
    let Some(start) = piece.lines().position(|l| l.starts_with("keywords")) else {
        return Ok(Vec::new());
    };
    let text: String = piece.lines().skip(start).collect::<Vec<_>>().join("\n");
    let open = text.find('[').ok_or("keywords without [")?;
    let mut strings = Strings {
        rest: &text[open + 1..],
    };
    let mut out = Vec::new();
    loop {
        strings.rest = strings
            .rest
            .trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if strings.rest.starts_with(']') {
            return Ok(out);
        }
        match strings.next_string()? {
            Some(keyword) => out.push(keyword.to_ascii_lowercase()),
            None => return Err(format!("unexpected text in keywords: {}", strings.rest)),
        }
    }
}

/// Reads TOML basic ("...") and literal ('...') strings off the front of `rest`.
struct Strings<'t> {
    rest: &'t str,
}

impl Strings<'_> {
    fn next_string(&mut self) -> Result<Option<String>, String> {
        let quote = match self.rest.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Ok(None),
        };
        let mut out = String::new();
        let mut chars = self.rest[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.rest = &self.rest[1 + i + 1..];
                    return Ok(Some(out));
                }
                '\\' if quote == '"' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    other => return Err(format!("unsupported escape {other:?}")),
                },
                '\n' => break,
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_keywords_by_hand() {
        let file = "title = \"x\"\n[[rules]]\nid = \"a-b\"\nregex = '''x'''\nkeywords = [\"Foo\", 'b\"r']\n\n[[rules]]\nid = \"c\"\nregex = \"z\"\nkeywords = [\n    \"one\",\n    \"t\\\\wo\",\n]\n[[rules.allowlists]]\nregexes = ['''y''']\n[[rules]]\nid = \"p\"\npath = '''\\.p12$'''\n";
        let file: &'static str = Box::leak(file.to_owned().into_boxed_str());
        let (rules, preambles) = split(&[file]).expect("splits");
        assert_eq!(preambles, ["title = \"x\"\n"]);
        let read: Vec<(&str, Vec<String>)> = rules
            .iter()
            .map(|r| (r.id.as_str(), r.keywords.clone()))
            .collect();
        assert_eq!(
            read,
            [
                ("a-b", vec!["foo".into(), "b\"r".into()]),
                ("c", vec!["one".into(), "t\\wo".into()])
            ]
        );
        assert!(rules[1].get().is_some_and(|r| r.allowlists.len() == 1));
    }
}
