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

/// Whether `value` is one of the shapes that are never redacted on their own.
pub(crate) fn is_benign_shape(value: &str) -> bool {
    let value = value.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
    let digest = ["sha256:", "sha512:", "sha1:", "md5:"]
        .iter()
        .find_map(|prefix| strip_prefix_ignore_case(value, prefix));
    match digest {
        Some(hex) => is_hex(hex) && !hex.is_empty(),
        None => is_digest_hex(value) || is_uuid(value) || is_base64_of_prose(value),
    }
}

fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &value[prefix.len()..])
}

fn is_hex(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_digest_hex(value: &str) -> bool {
    HEX_LENGTHS.contains(&value.len()) && is_hex(value)
}

/// The canonical 8-4-4-4-12 form.
fn is_uuid(value: &str) -> bool {
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
    let Ok(text) = std::str::from_utf8(&bytes) else { return false };
    let printable = text.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let spaces = text.chars().filter(|c| c.is_whitespace()).count();
    printable && spaces > 0 && (letters + spaces) * 10 >= text.chars().count() * 7
}

fn pad(value: &str) -> String {
    let mut padded = value.to_owned();
    while padded.len() % 4 != 0 {
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
        ] {
            assert!(is_benign_shape(value), "{value}");
        }
    }

    #[test]
    fn secrets_are_not_benign() {
        for value in [
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o",
            "4f2a9c1e0b7d11",
            "dXNlcjpwYXNzd29yZA==",
            "Tr0ub4dor&3",
        ] {
            assert!(!is_benign_shape(value), "{value}");
        }
    }
}
