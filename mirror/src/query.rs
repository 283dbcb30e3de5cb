//! What a person or an agent types, turned into FTS5 phrases that cannot fail to parse: every
//! word and phrase quoted, a trailing `*` kept as a prefix; the search ORs them together so
//! that a sentence finds the sessions matching most of its words first.

use crate::error::{MirrorError, Result};

/// At most this many terms are searched for; the rest of a long query is ignored.
pub const MAX_TERMS: usize = 32;

/// A word or phrase longer than this is cut (at a character boundary).
const MAX_TERM_BYTES: usize = 128;

/// FTS5's operators, ignored when typed in capitals: the terms are always OR-ed and ranked,
/// and a query of nothing else has nothing to search for. In lower case they are words.
const OPERATORS: [&str; 4] = ["AND", "OR", "NOT", "NEAR"];

/// Words so common in a typed question that they would match most sessions and slow every
/// search down while adding nothing to the ranking. Searched for only when the query has no
/// other word; inside a quoted phrase they always count.
const STOPWORDS: [&str; 40] = [
    "a", "about", "already", "an", "and", "any", "are", "as", "at", "be", "by", "did", "do",
    "does", "for", "from", "has", "have", "how", "i", "in", "is", "it", "of", "on", "or",
    "someone", "that", "the", "this", "to", "was", "we", "what", "when", "where", "which", "who",
    "why", "with",
];

#[derive(Debug, PartialEq, Eq)]
struct Term {
    text: String,
    prefix: bool,
}

impl Term {
    fn new(text: &str, prefix: bool) -> Self {
        let text = &text[..text.floor_char_boundary(MAX_TERM_BYTES)];
        Term {
            text: text.to_owned(),
            prefix,
        }
    }

    /// FTS5 string syntax: inside double quotes everything is text, `""` is a quote; a `*`
    /// after the closing quote makes the last token a prefix.
    fn render(&self) -> String {
        let star = if self.prefix { "*" } else { "" };
        format!("\"{}\"{star}", self.text.replace('"', "\"\""))
    }

    fn is_stopword(&self) -> bool {
        !self.prefix && STOPWORDS.contains(&self.text.to_lowercase().as_str())
    }
}

/// The FTS5 phrases to search for in `text` (to be OR-ed), or `MirrorError::EmptyQuery`
/// when it holds no word.
pub fn fts_phrases(text: &str) -> Result<Vec<String>> {
    let terms = terms(text);
    let (words, stopwords): (Vec<Term>, Vec<Term>) =
        terms.into_iter().partition(|t| !t.is_stopword());
    let chosen = if words.is_empty() { stopwords } else { words };
    if chosen.is_empty() {
        return Err(MirrorError::EmptyQuery);
    }
    Ok(chosen.iter().map(Term::render).collect())
}

/// The query's words and quoted phrases, in order, without repeats, at most `MAX_TERMS`.
fn terms(text: &str) -> Vec<Term> {
    // Control characters (NUL above all) would cut or confuse the expression: they separate.
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // Enough to fill MAX_TERMS after stopwords and repeats are left out, and no more: a
    // query of a megabyte costs no more than one of a line.
    let enough = MAX_TERMS * 4;
    let mut terms: Vec<Term> = Vec::new();
    let mut after_phrase = false;
    // Between quotes (odd pieces) is a phrase; an unclosed quote runs to the end.
    'pieces: for (i, piece) in text.split('"').enumerate() {
        if terms.len() >= enough {
            break;
        }
        if i % 2 == 1 {
            after_phrase = has_word(piece);
            if after_phrase {
                terms.push(Term::new(piece.trim(), false));
            }
            continue;
        }
        // `"exponential back"*`: the star right after a phrase makes it a prefix.
        if let Some(phrase) = terms
            .last_mut()
            .filter(|_| after_phrase && piece.starts_with('*'))
        {
            phrase.prefix = true;
        }
        for word in piece.split_whitespace() {
            let core = word.trim_end_matches('*');
            let prefix = core.len() < word.len();
            // "the uploader's retries": the possessive would make a phrase with an "s"
            // that nearly every session holds, slow to check and adding nothing.
            let core = ["'s", "’s"]
                .iter()
                .find_map(|s| core.strip_suffix(s))
                .unwrap_or(core);
            if !OPERATORS.contains(&core) && has_word(core) {
                terms.push(Term::new(core, prefix));
            }
            if terms.len() >= enough {
                break 'pieces;
            }
        }
    }
    let mut unique: Vec<Term> = Vec::new();
    for term in terms {
        let seen = unique
            .iter()
            .any(|u| u.prefix == term.prefix && u.text.to_lowercase() == term.text.to_lowercase());
        if !seen && unique.len() < MAX_TERMS {
            unique.push(term);
        }
    }
    unique
}

/// Whether the tokenizer finds a token in `s`: it keeps letters and digits, drops the rest.
fn has_word(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> String {
        fts_phrases(text).unwrap().join(" OR ")
    }

    #[test]
    fn words_are_quoted_and_ored() {
        assert_eq!(expr("upload retries"), r#""upload" OR "retries""#);
        assert_eq!(expr("  upload\tretries\n"), r#""upload" OR "retries""#);
    }

    #[test]
    fn punctuation_stays_inside_the_quotes() {
        assert_eq!(expr("sign-in"), r#""sign-in""#);
        assert_eq!(expr("C++ build"), r#""C++" OR "build""#);
        assert_eq!(expr("src/lib.rs"), r#""src/lib.rs""#);
        assert_eq!(
            expr("'; DROP TABLE sessions; --"),
            r#""DROP" OR "TABLE" OR "sessions;""#
        );
        assert_eq!(expr("title:login"), r#""title:login""#);
    }

    #[test]
    fn phrases_stay_phrases() {
        assert_eq!(
            expr(r#""exponential backoff" jitter"#),
            r#""exponential backoff" OR "jitter""#
        );
        assert_eq!(expr(r#"say "hi"#), r#""say" OR "hi""#, "an unclosed quote");
        assert_eq!(expr(r#""the retry loop""#), r#""the retry loop""#);
        assert_eq!(expr(r#""exponential back"*"#), r#""exponential back"*"#);
        assert_eq!(
            expr(r#"retry ""*"#),
            r#""retry""#,
            "no phrase to make a prefix"
        );
    }

    #[test]
    fn a_trailing_star_is_a_prefix() {
        assert_eq!(expr("upload*"), r#""upload"*"#);
        assert_eq!(expr("upload** x"), r#""upload"* OR "x""#);
        assert_eq!(expr("*upload"), r#""*upload""#, "only a trailing star");
        assert_eq!(expr("upload* upload"), r#""upload"* OR "upload""#);
    }

    #[test]
    fn operators_in_capitals_are_ignored_and_in_lower_case_searched() {
        assert_eq!(expr("retry AND upload"), r#""retry" OR "upload""#);
        assert_eq!(expr("NEAR near"), r#""near""#);
    }

    #[test]
    fn stopwords_count_only_when_nothing_else_is_left() {
        assert_eq!(
            expr("who already worked on the S3 uploader's retries?"),
            r#""worked" OR "S3" OR "uploader" OR "retries?""#
        );
        assert_eq!(expr("the who"), r#""the" OR "who""#);
    }

    #[test]
    fn a_possessive_is_the_word() {
        assert_eq!(expr("uploader's upload’s"), r#""uploader" OR "upload""#);
        assert_eq!(expr("\"the uploader's\""), r#""the uploader's""#);
    }

    #[test]
    fn repeats_are_searched_once() {
        assert_eq!(expr("Retry retry RETRY"), r#""Retry""#);
    }

    #[test]
    fn nothing_to_search_for_is_an_empty_query() {
        for text in [
            "",
            "   ",
            "\"\"",
            "*",
            "\"*\"",
            "AND OR NOT NEAR",
            "-- ++ ...",
            "\0",
            "\" \"",
        ] {
            assert!(
                matches!(fts_phrases(text), Err(MirrorError::EmptyQuery)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn long_queries_are_bounded() {
        let words: String = (0..5_000).map(|i| format!("w{i} ")).collect();
        assert_eq!(terms(&words).len(), MAX_TERMS);
        let word = "é".repeat(10_000);
        let term = &terms(&word)[0];
        assert!(term.text.len() <= MAX_TERM_BYTES && term.text.starts_with("éé"));
        let phrase = format!("\"{}\"", "abc ".repeat(5_000));
        assert!(terms(&phrase)[0].text.len() <= MAX_TERM_BYTES);
        let phrases: String = (0..5_000).map(|i| format!("\"p{i}\"")).collect();
        assert_eq!(terms(&phrases).len(), MAX_TERMS);
    }

    #[test]
    fn control_characters_separate_words() {
        assert_eq!(expr("retry\0upload"), r#""retry" OR "upload""#);
    }
}
