//! The secret corpus and the benign texts, for this crate's tests and other crates' (feature
//! `testdata`): end-to-end tests send them through every path and read back what was stored.
//!
//! `testdata/secrets.tsv`: one case a line, `kind<TAB>caught<TAB>secret<TAB>text`, where `text`
//! is what a person would paste and `secret` the one value in it that must not survive;
//! `caught` is `alone` when the secret's format gives it away (with nothing around it, it must
//! be redacted too) and `context` when only the words around it do. The secret and text columns
//! are escaped so a case stays on one line: `\n` is a newline, `\t` a tab, `\\` a backslash
//! (so a JSON key file keeps its literal `\n`s as `\\n`). Lines starting with `#` are comments.
//!
//! `testdata/benign.txt`: one session title or summary a line, verbatim; none holds a secret.

const SECRETS: &str = include_str!("../testdata/secrets.tsv");
const BENIGN: &str = include_str!("../testdata/benign.txt");

/// One synthesized secret (random, in the real format of its kind) in a sentence, or alone.
#[derive(Clone, Debug)]
pub struct SecretCase {
    pub kind: &'static str,
    pub secret: String,
    pub text: String,
    /// Whether the secret's format alone gives it away: then it must be redacted even when
    /// nothing around it says what it is.
    pub caught_alone: bool,
}

impl SecretCase {
    /// The same secret with nothing around it that says what it is (no service name, no
    /// `key=`), at the end of a line as it is pasted. (A text that starts with the secret would
    /// start with `-` for a PEM block, which `cargo-ai`'s argument parser takes for a flag.)
    pub fn alone(&self) -> SecretCase {
        SecretCase {
            text: format!("pasted from my notes: {}", self.secret),
            ..self.clone()
        }
    }
}

/// Every case that must be redacted: each line of `testdata/secrets.tsv` as pasted, then the
/// secret alone for every kind whose format gives it away.
pub fn secrets() -> Vec<SecretCase> {
    let cases = in_context();
    let alone: Vec<SecretCase> = cases
        .iter()
        .filter(|c| c.caught_alone)
        .map(SecretCase::alone)
        .collect();
    cases.into_iter().chain(alone).collect()
}

/// Each line of `testdata/secrets.tsv`, decoded: the secret in its sentence.
pub fn in_context() -> Vec<SecretCase> {
    SECRETS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut columns = line.splitn(4, '\t');
            let (Some(kind), Some(caught), Some(secret), Some(text)) = (
                columns.next(),
                columns.next(),
                columns.next(),
                columns.next(),
            ) else {
                panic!(
                    "testdata/secrets.tsv: expected kind<TAB>caught<TAB>secret<TAB>text: {line}"
                );
            };
            let caught_alone = match caught {
                "alone" => true,
                "context" => false,
                other => panic!("testdata/secrets.tsv: caught is alone or context, not {other:?}"),
            };
            SecretCase {
                kind,
                secret: unescape(secret),
                text: unescape(text),
                caught_alone,
            }
        })
        .collect()
}

/// Every line of `testdata/benign.txt`.
pub fn benign() -> Vec<&'static str> {
    BENIGN.lines().filter(|line| !line.is_empty()).collect()
}

fn unescape(column: &str) -> String {
    let mut out = String::with_capacity(column.len());
    let mut chars = column.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => panic!("testdata/secrets.tsv: unknown escape \\{other}"),
            None => panic!("testdata/secrets.tsv: a line ends in a backslash"),
        }
    }
    out
}
