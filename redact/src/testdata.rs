//! The secret corpus and the benign texts, for this crate's tests and other crates' (feature
//! `testdata`): end-to-end tests send them through every path and read back what was stored.
//!
//! `testdata/secrets.tsv`: one case a line, `kind<TAB>secret<TAB>text`, where `text` is what a
//! person would paste and `secret` the one value in it that must not survive. Both columns are
//! escaped so a case stays on one line: `\n` is a newline, `\t` a tab, `\\` a backslash (so a
//! JSON key file keeps its literal `\n`s as `\\n`). Lines starting with `#` are comments.
//!
//! `testdata/benign.txt`: one session title or summary a line, verbatim; none holds a secret.

const SECRETS: &str = include_str!("../testdata/secrets.tsv");
const BENIGN: &str = include_str!("../testdata/benign.txt");

/// One synthesized secret (random, in the real format of its kind) in a sentence.
#[derive(Clone, Debug)]
pub struct SecretCase {
    pub kind: &'static str,
    pub secret: String,
    pub text: String,
}

/// Every case of `testdata/secrets.tsv`, decoded.
pub fn secrets() -> Vec<SecretCase> {
    SECRETS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut columns = line.splitn(3, '\t');
            let (Some(kind), Some(secret), Some(text)) =
                (columns.next(), columns.next(), columns.next())
            else {
                panic!("testdata/secrets.tsv: expected kind<TAB>secret<TAB>text: {line}");
            };
            SecretCase {
                kind,
                secret: unescape(secret),
                text: unescape(text),
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
