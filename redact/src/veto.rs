//! Values that look random but are not secrets: git SHAs, digests, UUIDs, base64 of prose.
//!
//! Session titles are full of commit hashes and content digests, which catch-all rules would
//! take for keys. These vetoes run after every rule. A rule for one service whose own keyword
//! stands next to the value (`heroku_api_key = <uuid>`, `discord token: <64 hex>`) is trusted
//! over them: there the hex or UUID shape is that service's real key format.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// Hex lengths of abbreviated and full git object names and common digests (MD5, SHA-1,
/// SHA-256, SHA-512).
const HEX_LENGTHS: [usize; 8] = [7, 8, 10, 12, 32, 40, 64, 128];

/// Digest algorithms as they prefix a digest (`sha256:<hex>`, SRI's `sha512-<base64>`, ssh's
/// `SHA256:<base64>`), with their digest size in bytes.
const DIGEST_PREFIXES: [(&str, usize); 6] = [
    ("sha256", 32),
    ("sha512", 64),
    ("sha384", 48),
    ("sha1", 20),
    ("md5", 16),
    ("blake3", 32),
];

/// Whether `value` (with `before`, the text just before it) is one of the shapes that are never
/// redacted on their own.
pub(crate) fn is_benign_shape(value: &str, before: &str) -> bool {
    let value = value.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
    if let Some((digest, size)) = strip_digest_prefix(value) {
        return is_digest_encoding(digest, size);
    }
    if let Some(size) = digest_prefix_before(before) {
        return is_digest_encoding(value, size);
    }
    is_digest_hex(value) || is_uuid(value) || is_named_digest(value) || is_base64_of_prose(value)
}

fn strip_digest_prefix(value: &str) -> Option<(&str, usize)> {
    DIGEST_PREFIXES.iter().find_map(|&(name, size)| {
        let head = value.get(..name.len())?;
        let rest = &value[name.len()..];
        let digest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('-'))?;
        head.eq_ignore_ascii_case(name).then_some((digest, size))
    })
}

fn digest_prefix_before(before: &str) -> Option<usize> {
    let before = before
        .strip_suffix(':')
        .or_else(|| before.strip_suffix('-'))?;
    DIGEST_PREFIXES.iter().find_map(|&(name, size)| {
        let start = before.len().checked_sub(name.len())?;
        let tail = before.get(start..)?;
        tail.eq_ignore_ascii_case(name).then_some(size)
    })
}

/// Hex or base64 of exactly `size` bytes.
fn is_digest_encoding(value: &str, size: usize) -> bool {
    if value.len() == size * 2 && is_hex(value) {
        return true;
    }
    let decoded = STANDARD
        .decode(pad(value))
        .or_else(|_| URL_SAFE.decode(pad(value)));
    decoded.is_ok_and(|bytes| bytes.len() == size)
}

/// A name followed by a digest: `cargo-<sha256>`, `node-modules-<sha1>`, `Linux-build.<md5>`,
/// as cache keys and artifact names are made. A name that says key, secret, token, password
/// or auth does not count: `key-<32 hex>` is an API key format.
fn is_named_digest(value: &str) -> bool {
    let Some(split) = value.rfind(['-', '_', '.', ':']) else {
        return false;
    };
    let (name, digest) = (&value[..split], &value[split + 1..]);
    let lower = name.to_ascii_lowercase();
    digest.len() >= 32
        && is_digest_hex(digest)
        && name.len() >= 3
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !["key", "secret", "token", "pass", "pwd", "auth", "sk", "pk"]
            .iter()
            .any(|w| lower.contains(w))
}

fn is_hex(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn is_digest_hex(value: &str) -> bool {
    HEX_LENGTHS.contains(&value.len()) && is_hex(value)
}

/// The canonical 8-4-4-4-12 form.
pub(crate) fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| is_hex(g))
}

/// Base64 (standard or URL-safe) whose decoded bytes read as words: a README line, a commit
/// message, a JSON snippet someone encoded. Credentials decode to binary or to one token with
/// no spaces (`user:password`), so they are not vetoed.
fn is_base64_of_prose(value: &str) -> bool {
    if value.len() < 12 {
        return false;
    }
    let decoded = STANDARD
        .decode(value)
        .or_else(|_| URL_SAFE.decode(value))
        .or_else(|_| STANDARD.decode(pad(value)))
        .or_else(|_| URL_SAFE.decode(pad(value)));
    let Ok(bytes) = decoded else { return false };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let spaces = text.chars().filter(|c| c.is_whitespace()).count();
    printable && spaces > 0 && (letters + spaces) * 10 >= text.chars().count() * 7
}

fn pad(value: &str) -> String {
    let mut padded = value.to_owned();
    while !padded.len().is_multiple_of(4) {
        padded.push('=');
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_ids_are_benign() {
        for value in [
            "4f2a9c1",
            "4f2a9c1e",
            "4f2a9c1e0b",
            "4f2a9c1e0b7d",
            "9e107d9d372bb6826bd81d3542a419d6",
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            "e163e53b9e7e8a8511e77271e2b323ed057759542a6d988258afe3a1fa329caf",
            "sha256:e163e53b9e7e8a8511e77271e2b323ed057759542a6d988258afe3a1fa329caf",
            "\"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\"",
            "d301feeb-fa85-4443-9744-315378544105",
            "aGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0",
            "cargo-9d21f6be6abf0d7c1c1e21862ab8a18a8902073fec8df4f50947aaeb26c57d21",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
        ] {
            assert!(is_benign_shape(value, ""), "{value}");
        }
        assert!(is_benign_shape(
            "tSZzGBCjJd+qyEVmz0P3Ag6l0o/kWZillHGa74S7fj8",
            "fingerprint SHA256:"
        ));
    }

    #[test]
    fn secrets_are_not_benign() {
        for value in [
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o",
            "4f2a9c1e0b7d11",
            "dXNlcjpwYXNzd29yZA==",
            "Tr0ub4dor&3",
            "key-3f2a9c1e0b7d4c5a8e6f1b2d3c4a5e6f",
            "api_token-3f2a9c1e0b7d4c5a8e6f1b2d3c4a5e6f",
        ] {
            assert!(!is_benign_shape(value, ""), "{value}");
        }
        assert!(!is_benign_shape(
            "tSZzGBCjJd+qyEVmz0P3Ag6l0o/kWZillHGa74S7fj8",
            "password: "
        ));
    }
}
