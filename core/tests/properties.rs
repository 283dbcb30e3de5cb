//! Property tests of the validated fields and the upsert body parser: whatever the input, the
//! parsers never panic, they accept exactly what the API's rules allow, and what they accept
//! round-trips. The default case count keeps this fast; the long run is the same tests with
//! `PROPTEST_CASES=100000` (infra/fuzz/long).

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sessions_core::fields::{SESSION_ID_MAX_CHARS, SUMMARY_MAX_BYTES, TITLE_MAX_CHARS};
use sessions_core::{
    Cursor, ErrorCode, SessionId, Summary, Timestamp, Title, UpsertBody, WorkspaceId,
};

/// The oracle for timestamps: RFC 3339 as chrono reads it (the date-time separator being the
/// application's choice, section 5.6), as a UTC instant in the years the API keeps.
fn rfc3339_utc(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = match raw.as_bytes().get(10) {
        Some(b) if b.is_ascii() => format!("{}T{}", &raw[..10], &raw[11..]),
        _ => raw.to_owned(),
    };
    chrono::DateTime::parse_from_rfc3339(&raw)
        .ok()
        .map(|t| t.to_utc())
        .filter(|t| (1970..=9999).contains(&chrono::Datelike::year(t)))
}

/// Strings are expanded from a seed by a small PRNG (splitmix64), their length drawn by
/// proptest (so it still shrinks): a collection strategy builds a shrinkable tree per
/// character, which in a debug build costs milliseconds per case for long strings and would
/// make the 100000-case run take hours.
fn expand(seed: u64, len: usize, pick: fn(u64) -> char) -> String {
    let mut state = seed;
    (0..len).map(|_| pick(next(&mut state))).collect()
}

fn from(alphabet: &[char], r: u64) -> char {
    alphabet[(r % alphabet.len() as u64) as usize]
}

/// The characters the rules are about: separators, whitespace, controls, multi-byte.
const SPECIAL: &[char] = &[
    '.', '_', ':', '-', '/', '%', ' ', '\t', '\n', '\r', '\0', '\u{7f}', '\u{85}', '\u{a0}',
    '\u{2028}', '\u{feff}', 'é', '€', '😀', '"', '\\', '{', '}',
];

/// Any character, biased towards ASCII and the special ones.
fn any_char(r: u64) -> char {
    match r % 10 {
        0..=3 => char::from(0x20 + ((r >> 8) % 95) as u8),
        4..=5 => from(SPECIAL, r >> 8),
        6 => char::from(((r >> 8) % 0x20) as u8),
        _ => char::from_u32(((r >> 8) % 0x11_0000) as u32).unwrap_or('\u{fffd}'),
    }
}

/// Any character but a control one.
fn printable(r: u64) -> char {
    let c = any_char(r);
    if c.is_control() { '\u{b7}' } else { c }
}

/// A summary's characters: printable ones, newlines and tabs.
fn summary_char(r: u64) -> char {
    if r.is_multiple_of(8) {
        from(&['\n', '\r', '\t'], r >> 8)
    } else {
        printable(r >> 3)
    }
}

fn id_char(r: u64) -> char {
    const ID: &[char] = &['a', 'Z', '0', '9', '.', '_', ':', '-', '.', '.'];
    if r.is_multiple_of(16) {
        any_char(r >> 4)
    } else if r.is_multiple_of(2) {
        from(ID, r >> 1)
    } else {
        char::from(
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                [((r >> 1) % 62) as usize],
        )
    }
}

fn cursor_char(r: u64) -> char {
    from(
        &[
            'a', 'z', 'A', 'Z', '0', '9', '_', '-', 'e', 'y', 'J', '=', '+', '/', '%', ' ',
        ],
        r,
    )
}

fn seeded(len: std::ops::Range<usize>, pick: fn(u64) -> char) -> impl Strategy<Value = String> {
    (any::<u64>(), len).prop_map(move |(seed, len)| expand(seed, len, pick))
}

/// Arbitrary text up to `max` characters, biased towards the characters the rules are about.
fn text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        1 => any::<String>(),
        4 => seeded(0..max + 1, any_char),
    ]
    .boxed()
}

/// Makes a blank string non-blank, so generators need no filter.
fn not_blank(mut s: String) -> String {
    if s.trim().is_empty() {
        s.insert(0, 'x');
    }
    s
}

fn session_id_rule(raw: &str) -> bool {
    let n = raw.chars().count();
    (1..=SESSION_ID_MAX_CHARS).contains(&n)
        && raw != "."
        && raw != ".."
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

fn title_rule(raw: &str) -> bool {
    !raw.trim().is_empty()
        && raw.chars().count() <= TITLE_MAX_CHARS
        && !raw.chars().any(char::is_control)
}

fn summary_rule(raw: &str) -> bool {
    !raw.trim().is_empty()
        && raw.len() <= SUMMARY_MAX_BYTES
        && !raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// RFC 3339 timestamps built from their parts: any offset, any fraction, years 1960-9999.
fn rfc3339() -> impl Strategy<Value = String> {
    (
        1960i32..=9999,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        proptest::option::of("[0-9]{1,9}"),
        prop_oneof![
            Just("Z".to_owned()),
            Just("z".to_owned()),
            (prop_oneof![Just('+'), Just('-')], 0u8..24, 0u8..60)
                .prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
        ],
        prop_oneof![Just('T'), Just('t')],
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, offset, t)| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{frac}{offset}")
        })
}

/// A value the API accepts for each field.
fn valid_title() -> impl Strategy<Value = String> {
    seeded(1..TITLE_MAX_CHARS + 1, printable)
        .prop_map(not_blank)
        .prop_map(|t| {
            // A blank string made non-blank may be one character too long.
            t.chars().take(TITLE_MAX_CHARS).collect::<String>()
        })
}

fn valid_summary() -> impl Strategy<Value = String> {
    seeded(1..1500, summary_char).prop_map(not_blank)
}

/// Text just under and over the summary's 16384 bytes.
fn near_summary_limit() -> impl Strategy<Value = String> {
    prop_oneof![
        (4090usize..4100).prop_map(|n| "😀".repeat(n)),
        (16_380usize..16_390).prop_map(|n| "a".repeat(n)),
        (
            5400usize..5500,
            proptest::sample::select(vec!['é', '€', '\u{1}', '\n', ' '])
        )
            .prop_map(|(n, c)| format!("{}{c}", "€a".repeat(n / 2))),
    ]
}

fn valid_timestamp() -> impl Strategy<Value = String> {
    rfc3339().prop_filter("UTC year 1970-9999", |raw| rfc3339_utc(raw).is_some())
}

/// Any JSON value, nested a few levels: a small shrinkable one, or a larger one expanded from
/// a seed (see `expand`).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text(40).prop_map(Value::String),
        rfc3339().prop_map(Value::String),
    ];
    let small = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(text(12), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    });
    prop_oneof![
        1 => small,
        3 => any::<u64>().prop_map(|seed| {
            let mut state = seed;
            seeded_json(&mut state, 4)
        }),
    ]
}

fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn seeded_json(state: &mut u64, depth: u32) -> Value {
    const KEYS: [&str; 5] = [
        "title",
        "summary",
        "finished_at",
        "observed_at",
        "finshed_at",
    ];
    let r = next(state);
    let len = |state: &mut u64, max: u64| (next(state) % max) as usize;
    match r % 10 {
        0 => Value::Null,
        1 => Value::Bool(r & 0x100 != 0),
        2 => Value::from((r >> 8) as i64 >> ((r >> 4) % 64)),
        3 => Value::from(f64::from_bits(next(state))),
        4 | 5 => {
            let n = len(state, 48);
            Value::String(expand(next(state), n, any_char))
        }
        6 => Value::String(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z",
            1960 + (r >> 8) % 8100,
            (r >> 16) % 14,
            (r >> 20) % 33,
            (r >> 26) % 25,
            (r >> 31) % 61,
            (r >> 37) % 61,
            (r >> 43) % 10_000,
        )),
        7 if depth > 0 => {
            let n = len(state, 6);
            Value::Array((0..n).map(|_| seeded_json(state, depth - 1)).collect())
        }
        8 | 9 if depth > 0 => {
            let n = len(state, 6);
            let mut object = Map::new();
            for _ in 0..n {
                let key = if next(state).is_multiple_of(4) {
                    let k = len(state, 12);
                    expand(next(state), k, any_char)
                } else {
                    KEYS[len(state, KEYS.len() as u64)].to_owned()
                };
                object.insert(key, seeded_json(state, depth - 1));
            }
            Value::Object(object)
        }
        _ => Value::String(String::new()),
    }
}

/// Objects with the body's own keys (and sometimes others), holding any values.
fn body_like_object() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop_oneof![
            Just("title".to_owned()),
            Just("summary".to_owned()),
            Just("finished_at".to_owned()),
            Just("observed_at".to_owned()),
        ],
        1 => text(12),
    ];
    let value = prop_oneof![
        json_value(),
        valid_title().prop_map(Value::String),
        valid_timestamp().prop_map(Value::String),
    ];
    proptest::collection::btree_map(key, value, 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    #[test]
    fn session_id_accepts_exactly_the_rule(raw in prop_oneof![text(140), seeded(0..131, id_char)]) {
        match SessionId::parse(&raw) {
            Ok(id) => {
                prop_assert!(session_id_rule(&raw), "accepted {raw:?}");
                prop_assert_eq!(id.as_str(), raw.as_str());
                prop_assert_eq!(SessionId::parse(id.as_str()).ok(), Some(id));
            }
            Err(e) => {
                prop_assert!(!session_id_rule(&raw), "refused {raw:?}: {}", e.message);
                prop_assert_eq!(e.code, ErrorCode::InvalidSessionId);
            }
        }
    }

    #[test]
    fn title_accepts_exactly_the_rule(raw in prop_oneof![text(300), valid_title()]) {
        match Title::parse(&raw) {
            Ok(title) => {
                prop_assert!(title_rule(&raw), "accepted {raw:?}");
                prop_assert_eq!(title.as_str(), raw.as_str());
                prop_assert_eq!(Title::parse(title.as_str()).ok(), Some(title));
            }
            Err(e) => {
                prop_assert!(!title_rule(&raw), "refused {raw:?}: {}", e.message);
                prop_assert_eq!(e.code, ErrorCode::InvalidTitle);
            }
        }
    }

    #[test]
    fn title_truncating_is_always_valid(raw in text(600)) {
        if let Some(title) = Title::truncating(&raw) {
            prop_assert_eq!(Title::parse(title.as_str()).ok(), Some(title));
        } else {
            prop_assert!(raw.chars().all(|c| c.is_whitespace() || c.is_control()), "{raw:?}");
        }
    }

    #[test]
    fn summary_accepts_exactly_the_rule(raw in prop_oneof![text(400), valid_summary(), near_summary_limit()]) {
        match Summary::parse(&raw) {
            Ok(summary) => {
                prop_assert!(summary_rule(&raw), "accepted {raw:?}");
                prop_assert_eq!(summary.as_str(), raw.as_str());
                prop_assert_eq!(Summary::parse(summary.as_str()).ok(), Some(summary));
            }
            Err(e) => {
                prop_assert!(!summary_rule(&raw), "refused {raw:?}: {}", e.message);
                prop_assert_eq!(e.code, ErrorCode::InvalidSummary);
            }
        }
    }

    #[test]
    fn summary_truncating_is_always_valid(raw in prop_oneof![text(400), near_summary_limit()]) {
        if let Some(summary) = Summary::truncating(&raw) {
            prop_assert!(summary.as_str().len() <= SUMMARY_MAX_BYTES);
            prop_assert_eq!(Summary::parse(summary.as_str()).ok(), Some(summary));
        }
    }

    #[test]
    fn timestamp_parse_never_panics_and_normalizes(raw in prop_oneof![text(40), rfc3339()]) {
        let expected = rfc3339_utc(&raw);
        match Timestamp::parse("observed_at", &raw) {
            Ok(ts) => {
                let expected = expected.expect("accepted only what RFC 3339 and the year range allow");
                let text = ts.to_string();
                prop_assert_eq!(text.len(), 24, "{}", text);
                prop_assert!(text.ends_with('Z'));
                prop_assert_eq!(ts.unix_millis(), i128::from(expected.timestamp_millis()));
                prop_assert_eq!(Timestamp::parse("observed_at", &text).ok(), Some(ts));
            }
            Err(e) => {
                prop_assert!(expected.is_none(), "refused {raw:?}: {}", e.message);
                prop_assert_eq!(e.code, ErrorCode::InvalidTimestamp);
                prop_assert!(e.message.contains("observed_at"));
            }
        }
    }

    #[test]
    fn cursor_accepts_exactly_its_alphabet(raw in prop_oneof![text(64), seeded(0..2100, cursor_char)]) {
        let rule = !raw.is_empty()
            && raw.len() <= Cursor::MAX_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match Cursor::parse(&raw) {
            Ok(cursor) => {
                prop_assert!(rule, "accepted {raw:?}");
                prop_assert_eq!(cursor.as_str(), raw.as_str());
            }
            Err(e) => {
                prop_assert!(!rule, "refused {raw:?}");
                prop_assert_eq!(e.code, ErrorCode::InvalidQuery);
            }
        }
    }

    #[test]
    fn workspace_id_parse_never_panics(raw in prop_oneof![
        text(40),
        seeded(30..41, |r| from(&['0', '9', 'a', 'f', 'A', 'F', '-', '-', '{', '}', 'g'], r)),
    ]) {
        if let Ok(ws) = WorkspaceId::parse(&raw) {
            let canonical = ws.to_string();
            prop_assert_eq!(canonical.len(), 36);
            prop_assert_eq!(&canonical, &raw.to_ascii_lowercase());
            prop_assert_eq!(WorkspaceId::parse(&canonical).ok(), Some(ws));
        }
    }

    #[test]
    fn every_hyphenated_uuid_is_a_workspace(bytes in any::<[u8; 16]>(), upper in any::<bool>()) {
        let uuid = uuid::Uuid::from_bytes(bytes).hyphenated().to_string();
        let raw = if upper { uuid.to_ascii_uppercase() } else { uuid.clone() };
        let ws = WorkspaceId::parse(&raw).expect("a hyphenated UUID is a workspace id");
        prop_assert_eq!(ws.to_string(), uuid);
    }

    #[test]
    fn upsert_from_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = UpsertBody::from_json(&body) {
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn upsert_from_arbitrary_json_never_panics(value in prop_oneof![json_value(), body_like_object()]) {
        let body = serde_json::to_vec(&value).expect("serialize");
        match UpsertBody::from_json(&body) {
            // Whatever it accepts re-parses to itself.
            Ok(parsed) => {
                let again = serde_json::to_vec(&parsed).expect("serialize");
                prop_assert_eq!(UpsertBody::from_json(&again).ok(), Some(parsed));
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn valid_bodies_parse_and_reserialize_identically(
        title in valid_title(),
        summary in valid_summary(),
        observed_at in valid_timestamp(),
        finished_at in proptest::option::of(valid_timestamp()),
        finished_key in prop_oneof![Just("value"), Just("null"), Just("absent")],
    ) {
        let mut body = json!({"title": title, "summary": summary, "observed_at": observed_at});
        match (&finished_at, finished_key) {
            (Some(f), _) => body["finished_at"] = json!(f),
            (None, "null") => body["finished_at"] = Value::Null,
            _ => {}
        }
        let bytes = serde_json::to_vec(&body).expect("serialize");
        let parsed = UpsertBody::from_json(&bytes)
            .unwrap_or_else(|e| panic!("a valid body was refused: {}: {body}", e.message));
        let wire: Value = serde_json::to_value(&parsed).expect("serialize");
        prop_assert_eq!(&wire["title"], &json!(title));
        prop_assert_eq!(&wire["summary"], &json!(summary));
        prop_assert_eq!(
            &wire["observed_at"],
            &json!(Timestamp::parse("observed_at", &observed_at).expect("valid").to_string())
        );
        prop_assert_eq!(!wire["finished_at"].is_null(), finished_at.is_some());
        let again = UpsertBody::from_json(&serde_json::to_vec(&wire).expect("serialize"))
            .expect("the serialized body is accepted");
        prop_assert_eq!(serde_json::to_value(&again).expect("serialize"), wire);
        prop_assert_eq!(&again, &parsed);
        let read_back: UpsertBody = serde_json::from_value(serde_json::to_value(&parsed).expect("serialize"))
            .expect("serde reads what it wrote");
        prop_assert_eq!(read_back, parsed);
    }
}
