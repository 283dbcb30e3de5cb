//! The rule files, split into one piece per rule and parsed piece by piece on first use.
//!
//! Parsing all of gitleaks.toml (3,200 lines) costs a few milliseconds, more than a whole CLI
//! upsert may add. At start-up only each rule's id and keywords are read, by hand, from its
//! piece; the piece is parsed as TOML (the `toml` crate, the same schema) the first time its
//! keywords occur in a text. A unit test checks the hand-read values against a full parse.

use std::sync::OnceLock;

use memchr::memmem;

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
    let sub_table = memmem::Finder::new(b"\n[");
    for file in files {
        let mut pieces = pieces(file);
        preambles.push(pieces.next().unwrap_or_default());
        for source in pieces {
            let keys = Keys::read(head(source, &sub_table));
            // Rules that need a file path never apply to free text (see Rule::for_free_text).
            if keys.path {
                continue;
            }
            let id = keys
                .id
                .and_then(|value| Strings { rest: value }.next_string().ok().flatten())
                .ok_or_else(|| format!("a rule without id: {source}"))?;
            let keywords = match keys.keywords {
                Some(value) => keywords(value).map_err(|e| format!("rule {id}: {e}"))?,
                None => Vec::new(),
            };
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

/// The preamble first, then each `[[rules]]` piece (header included). Searched with memchr's
/// SIMD substring search: iterating the 3,200 lines one by one would cost more than the rest
/// of start-up together.
fn pieces(file: &'static str) -> impl Iterator<Item = &'static str> {
    let header = format!("\n{RULE_HEADER}\n");
    let mut starts: Vec<usize> = vec![0];
    if file.starts_with(&header[1..]) {
        starts.push(0);
    }
    starts.extend(memmem::find_iter(file.as_bytes(), header.as_bytes()).map(|at| at + 1));
    starts.push(file.len());
    let bounds: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    bounds
        .into_iter()
        .map(move |(start, end)| &file[start..end])
}

/// A rule piece up to its first sub-table (`[[rules.allowlists]]`): where its keys are.
fn head<'p>(piece: &'p str, sub_table: &memmem::Finder<'_>) -> &'p str {
    let body = piece.get(1..).unwrap_or_default();
    match sub_table.find(body.as_bytes()) {
        Some(at) => &piece[..at + 1],
        None => piece,
    }
}

/// The keys read at start-up, each as the text after its `=` (to the end of the head).
#[derive(Default)]
struct Keys<'h> {
    id: Option<&'h str>,
    keywords: Option<&'h str>,
    path: bool,
}

impl<'h> Keys<'h> {
    fn read(head: &'h str) -> Self {
        let mut keys = Self::default();
        let mut at = 0;
        for line in head.split_inclusive('\n') {
            let start = at;
            at += line.len();
            // Only these keys are wanted; skip the long description and regex lines unread.
            if !line.starts_with(['i', 'k', 'p']) {
                continue;
            }
            let Some((key, _)) = line.split_once('=') else {
                continue;
            };
            let value = || head[start + key.len() + 1..].trim_start_matches([' ', '\t']);
            match key.trim_end_matches([' ', '\t']) {
                "id" => keys.id = Some(value()),
                "keywords" => keys.keywords = Some(value()),
                "path" => keys.path = true,
                _ => {}
            }
        }
        keys
    }
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

/// A `[...]` array of strings (possibly over several lines), lower-cased.
fn keywords(value: &str) -> Result<Vec<String>, String> {
    let mut strings = Strings {
        rest: value.strip_prefix('[').ok_or("keywords without [")?,
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
