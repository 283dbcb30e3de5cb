//! Search as people and agents use it: snippets marked as the caller asks, deleted sessions
//! never found, and no query text (operators, quotes, SQL, 10,000 characters, anything at all)
//! ever an error other than "nothing to search for", nor a panic.

mod support;

use proptest::prelude::*;
use sessions_mirror::{Among, Change, Marks, Mirror, MirrorError, SearchQuery};
use support::fixture::{self, Row};

fn fixture_mirror() -> (tempfile::TempDir, Mirror) {
    let (dir, mut mirror) = support::mirror();
    mirror
        .apply(fixture::sessions().into_iter().map(Change::Live))
        .unwrap();
    (dir, mirror)
}

#[test]
fn snippets_mark_the_matched_words_as_asked() {
    let (_dir, mirror) = fixture_mirror();
    let mut query = SearchQuery::new("ccache");
    query.marks = Marks {
        start: "\x1b[1m".to_owned(),
        end: "\x1b[0m".to_owned(),
    };
    let hits = mirror.search(&query).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].snippet,
        "CMake now enables \x1b[1mccache\x1b[0m; the clean build of the native codec dropped from 14 to 6…"
    );
    let plain = mirror.search(&SearchQuery::new("ccache")).unwrap();
    assert_eq!(
        plain[0].snippet,
        "CMake now enables ccache; the clean build of the native codec dropped from 14 to 6…"
    );
    assert!(plain[0].score > 0.0);
}

#[test]
fn a_hit_in_json_is_the_session_with_its_score_and_snippet() {
    let (_dir, mirror) = fixture_mirror();
    let hits = mirror.search(&SearchQuery::new("ccache")).unwrap();
    let json = serde_json::to_value(&hits[0]).unwrap();
    for field in [
        "session_id",
        "title",
        "user_arn",
        "created_at",
        "repo",
        "branch",
        "score",
        "snippet",
    ] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
}

#[test]
fn deleted_sessions_never_appear() {
    let (_dir, mut mirror) = fixture_mirror();
    assert!(
        !mirror
            .search(&SearchQuery::new("ccache"))
            .unwrap()
            .is_empty()
    );
    let session = mirror.get("n-cpp").unwrap().unwrap();
    mirror
        .apply([Change::Deleted {
            session_id: "n-cpp".to_owned(),
            updated_at: session.updated_at.clone(),
        }])
        .unwrap();
    assert!(
        mirror
            .search(&SearchQuery::new("ccache"))
            .unwrap()
            .is_empty()
    );
    assert!(
        mirror
            .search(&SearchQuery::new("\"unity builds\""))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn nothing_to_search_for_is_a_clear_error() {
    let (_dir, mirror) = fixture_mirror();
    for text in [
        "",
        "   ",
        "AND OR NOT",
        "NEAR",
        "\"\"",
        "*",
        "\" *\"",
        "?!--++",
        "\"*\" *",
    ] {
        let err = mirror.search(&SearchQuery::new(text)).unwrap_err();
        assert!(matches!(err, MirrorError::EmptyQuery), "{text:?}: {err:?}");
        assert!(err.to_string().contains("no words to look for"), "{err}");
    }
}

#[test]
fn hostile_text_is_searched_for_as_text() {
    let (_dir, mirror) = fixture_mirror();
    for text in [
        "'; DROP TABLE sessions; --",
        "retry\" OR 1=1 --",
        "NEAR(retry upload, 2)",
        "title:retry",
        "{title summary}: retry",
        "retry AND NOT upload",
        "^retry",
        "retry - upload + (webhook)",
        "\u{0}\u{1}retry",
        "🦀 rust",
        "   *retry*   ",
    ] {
        let hits = mirror.search(&SearchQuery::new(text));
        assert!(hits.is_ok(), "{text:?}: {hits:?}");
    }
    assert_eq!(mirror.status().unwrap().rows, 252, "and nothing dropped");
}

#[test]
fn a_ten_thousand_character_query_is_bounded() {
    let (_dir, mirror) = fixture_mirror();
    let words: String = (0..2_000).map(|i| format!("w{i} ")).collect();
    let long = format!("{words} ccache");
    assert!(long.len() > 10_000);
    let started = std::time::Instant::now();
    let hits = mirror.search(&SearchQuery::new(&long)).unwrap();
    assert!(hits.is_empty(), "only the first terms are searched");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let one_word = "x".repeat(10_000);
    assert!(
        mirror
            .search(&SearchQuery::new(&one_word))
            .unwrap()
            .is_empty()
    );
    let phrase = format!("\"{}\"", "retry ".repeat(2_000));
    mirror.search(&SearchQuery::new(&phrase)).unwrap();
}

#[test]
fn limit_is_honoured() {
    let (_dir, mirror) = fixture_mirror();
    let mut query = SearchQuery::new("retry");
    query.limit = 3;
    assert_eq!(mirror.search(&query).unwrap().len(), 3);
    query.limit = 0;
    assert!(mirror.search(&query).unwrap().is_empty());
}

fn query_text() -> impl Strategy<Value = String> {
    // Whole strings of anything, and strings made of the characters FTS5 gives meaning to.
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just("\"".to_owned()),
                Just("*".to_owned()),
                Just("(".to_owned()),
                Just(")".to_owned()),
                Just(":".to_owned()),
                Just("^".to_owned()),
                Just("-".to_owned()),
                Just("+".to_owned()),
                Just("{".to_owned()),
                Just(" ".to_owned()),
                Just("AND".to_owned()),
                Just("OR".to_owned()),
                Just("NOT".to_owned()),
                Just("NEAR".to_owned()),
                Just("retry".to_owned()),
                Just("é".to_owned()),
                Just("\0".to_owned()),
                "[a-zA-Z0-9]{1,8}",
                any::<char>().prop_map(String::from),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_query_text_is_answered_or_is_an_empty_query(text in query_text()) {
        thread_local! {
            static MIRROR: (tempfile::TempDir, Mirror) = {
                let (dir, mut mirror) = support::mirror();
                mirror
                    .apply([
                        Change::Live(Row::new("s1", "Retry the upload (C++, é) \"quoted\" AND NEAR").session()),
                    ])
                    .unwrap();
                (dir, mirror)
            };
        }
        let result = MIRROR.with(|(_, mirror)| mirror.search(&SearchQuery::new(text.clone())));
        match result {
            Ok(_) | Err(MirrorError::EmptyQuery) => {}
            Err(e) => prop_assert!(false, "{text:?}: {e:?}"),
        }
    }
}

#[test]
fn a_search_among_several_people_and_repositories_keeps_any_of_them() {
    let (_dir, mut mirror) = support::mirror();
    let rows = [
        Row::new("a-api", "Retry the upload")
            .person("alice")
            .repo(Some("github.com/acme/api")),
        Row::new("a-web", "Retry the upload")
            .person("alice")
            .repo(Some("github.com/acme/web")),
        Row::new("b-api", "Retry the upload")
            .person("bob")
            .repo(Some("gitlab.com/acme/api")),
        Row::new("c-api", "Retry the upload")
            .person("carol")
            .repo(Some("github.com/acme/api")),
    ];
    mirror
        .apply(rows.iter().map(|r| Change::Live(r.session())))
        .unwrap();
    assert_eq!(
        mirror.user_arns().unwrap(),
        ["alice", "bob", "carol"].map(fixture::arn)
    );
    assert_eq!(
        mirror.repos().unwrap(),
        [
            "github.com/acme/api",
            "github.com/acme/web",
            "gitlab.com/acme/api"
        ]
    );
    let found = |among: &Among| {
        let mut ids: Vec<String> = mirror
            .search_among(&SearchQuery::new("upload"), among)
            .unwrap()
            .into_iter()
            .map(|h| h.session.session_id)
            .collect();
        ids.sort();
        ids
    };
    let apis = Some(vec![
        "github.com/acme/api".to_owned(),
        "gitlab.com/acme/api".to_owned(),
    ]);
    let alice_or_bob = Some(vec![fixture::arn("alice"), fixture::arn("bob")]);
    assert_eq!(
        found(&Among {
            user_arns: None,
            repos: apis.clone()
        }),
        ["a-api", "b-api", "c-api"]
    );
    assert_eq!(
        found(&Among {
            user_arns: alice_or_bob,
            repos: apis
        }),
        ["a-api", "b-api"]
    );
    assert!(
        found(&Among {
            user_arns: Some(Vec::new()),
            repos: None
        })
        .is_empty()
    );
    assert_eq!(found(&Among::default()).len(), 4);
}
