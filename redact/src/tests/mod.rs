//! Unit tests of the scanner as a whole: the generated rule set, and redaction rules.

use super::*;

mod corpus;
mod props;

const GITLEAKS_RULES: &str = include_str!("../../rules/gitleaks.toml");
const LOCAL_RULES: &str = include_str!("../../rules/local.toml");

#[test]
fn every_pattern_compiles() {
    let errors = SCANNER.compile_errors();
    assert!(
        errors.is_empty(),
        "patterns that do not compile:\n{}",
        errors.join("\n")
    );
    // 222 gitleaks rules less the 5 that need a file path, plus the local ones.
    let local = LOCAL_RULES.matches("\n[[rules]]\n").count();
    assert_eq!(SCANNER.rules.len(), 222 - 5 + local);
    assert_eq!(rule_ids().count(), SCANNER.rules.len());
}

/// The generated rules are gitleaks.toml's then local.toml's, in order, less those that need a
/// path, with their keywords, secret groups, entropy floors and allowlists; gitleaks' global
/// allowlist applies to both files' rules.
#[test]
fn generated_rules_match_the_files() {
    let parse = |text| -> config::RuleFile { toml::from_str(text).expect("rule file parses") };
    let (mut gitleaks, mut local) = (parse(GITLEAKS_RULES), parse(LOCAL_RULES));
    assert_eq!(gitleaks.global_allowlists().len(), 1);
    assert!(local.global_allowlists().is_empty());
    let gitleaks_rules = gitleaks.rules.into_iter().filter(|r| r.path.is_none());
    let local_rules = local.rules.into_iter().filter(|r| r.path.is_none());
    let configs: Vec<_> = gitleaks_rules.chain(local_rules).collect();
    assert_eq!(configs.len(), SCANNER.rules.len());
    let global = SCANNER.rules[0].allowlists[0];
    for (mut config, rule) in configs.into_iter().zip(SCANNER.rules) {
        assert_eq!(rule.id, config.id);
        let keywords: Vec<String> = config
            .keywords
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect();
        assert_eq!(rule.keywords, keywords, "{}", rule.id);
        assert_eq!(rule.secret_group, config.secret_group, "{}", rule.id);
        assert_eq!(rule.entropy, config.entropy, "{}", rule.id);
        assert_eq!(rule.generic, rule.id.contains("generic"), "{}", rule.id);
        assert!(std::ptr::eq(rule.allowlists[0], global), "{}", rule.id);
        assert_eq!(
            rule.allowlists.len(),
            1 + config.all_allowlists().len(),
            "{}",
            rule.id
        );
    }
}

/// gitleaks' global allowlist is generated once, first in every rule's list.
#[test]
fn the_global_allowlist_is_shared() {
    let global = SCANNER.rules[0].allowlists[0];
    assert!(
        SCANNER
            .rules
            .iter()
            .all(|r| std::ptr::eq(r.allowlists[0], global))
    );
    assert_eq!(global.patterns().count(), 13);
}

#[test]
fn rules_needing_a_path_are_left_out() {
    let ids: Vec<&str> = rule_ids().collect();
    for id in [
        "pkcs12-file",
        "freemius-secret-key",
        "hashicorp-tf-password",
        "kubernetes-secret-yaml",
        "nuget-config-password",
    ] {
        assert!(!ids.contains(&id), "{id}");
    }
}

fn kinds(text: &str) -> Vec<&'static str> {
    scan(text).into_iter().map(|f| f.kind).collect()
}

#[test]
fn nothing_found_borrows() {
    let text = "Fix the flaky retry test in the outbox (commit 4f2a9c1e)";
    assert!(matches!(redact(text), Cow::Borrowed(_)));
    assert!(matches!(redact(""), Cow::Borrowed(_)));
}

#[test]
fn replaces_only_the_secret() {
    let text = "deploy with AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and the github token ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o please";
    assert_eq!(
        redact(text),
        "deploy with AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key] and the github token [REDACTED:github-pat] please"
    );
}

#[test]
fn password_in_url_keeps_scheme_user_and_host() {
    assert_eq!(
        redact("psql postgres://app:Pg4ss-w0rd!@db.internal:5432/orders failed"),
        "psql postgres://app:[REDACTED:url-password]@db.internal:5432/orders failed"
    );
    assert_eq!(
        redact("see https://example.com:8443/docs and git@github.com:acme/x.git"),
        "see https://example.com:8443/docs and git@github.com:acme/x.git"
    );
    assert_eq!(
        kinds("redis://:${REDIS_PASSWORD}@cache:6379"),
        Vec::<&str>::new()
    );
}

#[test]
fn password_assignments_decided() {
    for secret in [
        "PASSWORD=Tr0ub4dor&3",
        "export PGPASSWORD='n0t-so-s3cret'",
        "db password: hunter2!",
        r#"{"password": "correct horse battery staple"}"#,
        "secret: 9f8e7d6c5b4a-prod",
        "?client_id=web&token=Zq81mNw02Lx",
    ] {
        assert!(!scan(secret).is_empty(), "not caught: {secret}");
    }
    for benign in [
        "password: <your password>",
        "PASSWORD=${DB_PASSWORD}",
        "password=$DB_PASSWORD",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "password: ***",
        "password: ********",
        "PASSWORD=changeme",
        "password=db_password",
        "secret: required",
        "max_tokens: 4096",
        "conn = connect(password=os.environ[\"PGPASSWORD\"])",
        "token = get_token()",
        "password: your-password-here",
        "pwd: /home/alice/src/sessions",
        "the password: it is stored in the keychain now",
        "cache_key: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    ] {
        assert_eq!(kinds(benign), Vec::<&str>::new(), "altered: {benign}");
    }
}

#[test]
fn specific_rule_names_the_marker_over_generic() {
    assert_eq!(
        kinds("GITHUB_TOKEN=ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o"),
        ["github-pat"]
    );
    assert_eq!(
        kinds("Authorization: token ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o"),
        ["github-pat"]
    );
}

#[test]
fn hex_secret_kept_only_with_its_service_keyword() {
    let key = "7c4a8d09ca3762af61e59520943dc26494f8941b7c4a8d09ca3762af61e59520";
    assert_eq!(
        kinds(&format!("discord_token = {key}")),
        ["discord-api-token"]
    );
    assert_eq!(kinds(&format!("api_key = {key}")), Vec::<&str>::new());
    let uuid = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
    assert_eq!(kinds(&format!("HEROKU_API_KEY={uuid}")), ["heroku-api-key"]);
    assert_eq!(
        kinds(&format!("request_id: {uuid}, api_key: {uuid}")),
        Vec::<&str>::new()
    );
}

#[test]
fn existing_markers_are_kept_and_wrapped_secrets_are_not() {
    let done = "token [REDACTED:github-pat] and postgres://app:[REDACTED:url-password]@db/x";
    assert_eq!(redact(done), done);
    let smuggled = "[REDACTED:ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o]";
    assert_eq!(redact(smuggled), "[REDACTED:[REDACTED:github-pat]]");
}

#[test]
fn multibyte_text_around_secrets_survives() {
    let text = "clé: ghp_R8f2kQz1xVb7Lm3NcYt6Wp0Hd9Ja4Se5Ug2o — déployé ✓";
    assert_eq!(redact(text), "clé: [REDACTED:github-pat] — déployé ✓");
}
