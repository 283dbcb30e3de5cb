//! Checks `template.yaml` against the code it deploys, so the two cannot drift apart:
//! the table's keys and indexes against `store::table`, the HTTP API's routes against
//! `router::ROUTES`, the function's environment against `settings`, and its IAM policy
//! against the DynamoDB actions the store calls (`store::dynamo::IAM_ACTIONS`).
//!
//! CloudFormation short tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`) parse as
//! `serde_yaml::Value::Tagged`. serde_yaml's accessors (`as_str`, `get`) look through tags, so
//! `!Ref X` would read as the string `"X"`; the helpers below refuse tagged values wherever a
//! literal is expected, and read intrinsics explicitly wherever one is expected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::{Mapping, Value};
use sessions_function::router::ROUTES;
use sessions_function::settings::{ALLOWLIST_ENV, TABLE_ENV};
use sessions_function::store::dynamo::IAM_ACTIONS;
use sessions_function::store::table::{
    DEFAULT_TABLE_NAME, INDEXES, KeyDef, TABLE_KEY, key_attributes,
};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
const FUNCTION_SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
/// The Lambda binary; `env!` fails the build here if the `bootstrap` binary is renamed.
const BOOTSTRAP_EXE: &str = env!("CARGO_BIN_EXE_bootstrap");

/// The only DynamoDB actions the function may ever be granted (least privilege): reading one
/// item, the conditional upsert, the conditional tombstone of an owner's delete, and querying
/// the indexes.
const ALLOWED_ACTIONS: [&str; 4] = [
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
];

const FIX_TABLE: &str = "fix SessionsTable in template.yaml (or, if the code changed on purpose, \
     keep function/src/store/table.rs and the template in step; a deployed key schema cannot \
     change in place)";
const FIX_FUNCTION: &str = "fix SessionsFunction in template.yaml";

fn template() -> Value {
    let text =
        std::fs::read_to_string(TEMPLATE).unwrap_or_else(|e| panic!("cannot read {TEMPLATE}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{TEMPLATE} is not valid YAML: {e}"))
}

/// `value[key]` of a mapping, or a panic naming where it was expected.
fn field<'a>(value: &'a Value, key: &str, at: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("template.yaml: {at} has no `{key}`"))
}

/// A literal (untagged) string; `!Ref`/`!Sub`/... where a literal belongs is drift too.
fn literal_str<'a>(value: &'a Value, at: &str) -> &'a str {
    match value {
        Value::String(s) => s,
        other => panic!("template.yaml: {at} should be a literal string, found {other:?}"),
    }
}

fn literal_bool(value: &Value, at: &str) -> bool {
    match value {
        Value::Bool(b) => *b,
        other => panic!("template.yaml: {at} should be a literal true/false, found {other:?}"),
    }
}

fn sequence<'a>(value: &'a Value, at: &str) -> &'a [Value] {
    match value {
        Value::Sequence(items) => items,
        other => panic!("template.yaml: {at} should be a list, found {other:?}"),
    }
}

fn mapping<'a>(value: &'a Value, at: &str) -> &'a Mapping {
    match value {
        Value::Mapping(m) => m,
        other => panic!("template.yaml: {at} should be a mapping, found {other:?}"),
    }
}

/// An intrinsic function written as a short tag, e.g. `!Ref X` -> `("Ref", X)`.
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        _ => None,
    }
}

/// Whether an IAM `Resource` value points at `logical_id` (`!Ref`, `!GetAtt Id.Arn`,
/// `!Sub ...${Id.Arn}...` or `!Sub ...${Id}...`), never at `*` or another resource.
fn refers_to(value: &Value, logical_id: &str) -> bool {
    match intrinsic(value) {
        Some((tag, Value::String(arg))) if tag == "Ref" => arg == logical_id,
        Some((tag, Value::String(arg))) if tag == "GetAtt" => {
            arg.split('.').next() == Some(logical_id)
        }
        Some((tag, Value::Sequence(args))) if tag == "GetAtt" => {
            args.first().and_then(Value::as_str) == Some(logical_id)
        }
        Some((tag, Value::String(arg))) if tag == "Sub" => {
            arg.contains(&format!("${{{logical_id}}}"))
                || arg.contains(&format!("${{{logical_id}."))
        }
        _ => false,
    }
}

/// The one resource of `kind`: its logical id and its definition.
fn resource<'a>(template: &'a Value, kind: &str) -> (&'a str, &'a Value) {
    let resources = mapping(field(template, "Resources", "the template"), "Resources");
    let found: Vec<(&str, &Value)> = resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
        .map(|(id, r)| (literal_str(id, "a resource's logical id"), r))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "template.yaml should define exactly one {kind} resource, found {:?}",
        found.iter().map(|(id, _)| id).collect::<Vec<_>>()
    );
    found[0]
}

/// A key schema as (attribute, key type) pairs, in the order written.
fn key_schema(value: &Value, at: &str) -> Vec<(String, String)> {
    sequence(value, at)
        .iter()
        .map(|element| {
            (
                literal_str(field(element, "AttributeName", at), at).to_owned(),
                literal_str(field(element, "KeyType", at), at).to_owned(),
            )
        })
        .collect()
}

fn expected_key_schema(key: KeyDef) -> Vec<(String, String)> {
    vec![
        (key.partition.to_owned(), "HASH".to_owned()),
        (key.sort.to_owned(), "RANGE".to_owned()),
    ]
}

#[test]
fn table_keys_and_indexes_match_store_table() {
    let template = template();
    let (id, table) = resource(&template, "AWS::DynamoDB::Table");
    let props = field(table, "Properties", id);

    let at = format!("{id}.Properties.KeySchema");
    assert_eq!(
        key_schema(field(props, "KeySchema", id), &at),
        expected_key_schema(TABLE_KEY),
        "{at} differs from TABLE_KEY in function/src/store/table.rs; {FIX_TABLE}"
    );

    let at = format!("{id}.Properties.AttributeDefinitions");
    let mut attributes: Vec<(String, String)> =
        sequence(field(props, "AttributeDefinitions", id), &at)
            .iter()
            .map(|def| {
                (
                    literal_str(field(def, "AttributeName", &at), &at).to_owned(),
                    literal_str(field(def, "AttributeType", &at), &at).to_owned(),
                )
            })
            .collect();
    attributes.sort();
    let expected: Vec<(String, String)> = key_attributes()
        .into_iter()
        .map(|name| (name.to_owned(), "S".to_owned()))
        .collect();
    assert_eq!(
        attributes, expected,
        "{at} should define exactly the key attributes of store::table::key_attributes(), each \
         of type S (CloudFormation refuses definitions no key uses); {FIX_TABLE}"
    );

    let at = format!("{id}.Properties.GlobalSecondaryIndexes");
    let mut indexes = BTreeMap::new();
    for index in sequence(field(props, "GlobalSecondaryIndexes", id), &at) {
        let name = literal_str(field(index, "IndexName", &at), &at).to_owned();
        let here = format!("{at}[{name}]");
        let keys = key_schema(field(index, "KeySchema", &here), &here);
        let projection = literal_str(
            field(
                field(index, "Projection", &here),
                "ProjectionType",
                &format!("{here}.Projection"),
            ),
            &here,
        )
        .to_owned();
        assert!(
            indexes.insert(name.clone(), (keys, projection)).is_none(),
            "{at} defines the index {name} twice; {FIX_TABLE}"
        );
    }
    let expected: BTreeMap<String, (Vec<(String, String)>, String)> = INDEXES
        .iter()
        .map(|(name, key)| {
            (
                (*name).to_owned(),
                (expected_key_schema(*key), "ALL".to_owned()),
            )
        })
        .collect();
    assert_eq!(
        indexes, expected,
        "{at} (name -> (key schema, projection)) differs from INDEXES in \
         function/src/store/table.rs; every index projects ALL because the store reads whole \
         sessions from them; {FIX_TABLE}"
    );
    assert!(
        props.get("LocalSecondaryIndexes").is_none(),
        "{id} defines LocalSecondaryIndexes, which function/src/store/table.rs does not know \
         about (the local stack would lack them); {FIX_TABLE}"
    );
}

#[test]
fn table_name_defaults_to_the_code_default() {
    let template = template();
    let (id, table) = resource(&template, "AWS::DynamoDB::Table");
    let at = format!("{id}.Properties.TableName");
    let name = field(field(table, "Properties", id), "TableName", id);
    let parameter = match intrinsic(name) {
        Some((tag, Value::String(parameter))) if tag == "Ref" => parameter.clone(),
        _ => panic!("{at} should be `!Ref <parameter>`, found {name:?}; {FIX_TABLE}"),
    };
    let default = field(
        field(
            field(&template, "Parameters", "the template"),
            &parameter,
            "Parameters",
        ),
        "Default",
        &format!("Parameters.{parameter}"),
    );
    assert_eq!(
        literal_str(default, &format!("Parameters.{parameter}.Default")),
        DEFAULT_TABLE_NAME,
        "Parameters.{parameter}.Default should be store::table::DEFAULT_TABLE_NAME, the name \
         the CLI, the local stack and the function assume; fix template.yaml"
    );
}

#[test]
fn table_keeps_its_data() {
    let template = template();
    let (id, table) = resource(&template, "AWS::DynamoDB::Table");
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        assert_eq!(
            table.get(policy).map(|v| literal_str(v, policy)),
            Some("Retain"),
            "{id} must have {policy}: Retain so that deleting or replacing the stack never \
             deletes the sessions; fix template.yaml"
        );
    }
    let props = field(table, "Properties", id);
    assert_eq!(
        literal_str(field(props, "BillingMode", id), "BillingMode"),
        "PAY_PER_REQUEST",
        "{id}.Properties.BillingMode should be PAY_PER_REQUEST (on-demand, as \
         store::table::create_if_missing creates it locally); fix template.yaml"
    );
    let checks = [
        (
            "PointInTimeRecoverySpecification",
            "PointInTimeRecoveryEnabled",
        ),
        ("SSESpecification", "SSEEnabled"),
    ];
    for (spec, flag) in checks {
        let at = format!("{id}.Properties.{spec}.{flag}");
        assert!(
            literal_bool(field(field(props, spec, id), flag, &at), &at),
            "{at} must be true; fix template.yaml"
        );
    }
    let at = format!("{id}.Properties.DeletionProtectionEnabled");
    assert!(
        literal_bool(field(props, "DeletionProtectionEnabled", id), &at),
        "{at} must be true; fix template.yaml"
    );
}

#[test]
fn function_runs_the_bootstrap_binary() {
    let template = template();
    let (id, function) = resource(&template, "AWS::Serverless::Function");
    let props = field(function, "Properties", id);
    for (key, expected) in [("Runtime", "provided.al2023"), ("Handler", "bootstrap")] {
        let at = format!("{id}.Properties.{key}");
        assert_eq!(
            literal_str(field(props, key, id), &at),
            expected,
            "{at} should be {expected} (a custom-runtime Rust binary named bootstrap); \
             {FIX_FUNCTION}"
        );
    }
    let metadata = field(function, "Metadata", id);
    let at = format!("{id}.Metadata.BuildMethod");
    assert_eq!(
        literal_str(field(metadata, "BuildMethod", &at), &at),
        "rust-cargolambda",
        "{at} should be rust-cargolambda so that `sam build` builds the Rust binary; \
         {FIX_FUNCTION}"
    );
    if let Some(binary) = metadata
        .get("BuildProperties")
        .and_then(|p| p.get("Binary"))
    {
        let at = format!("{id}.Metadata.BuildProperties.Binary");
        let bin_name = Path::new(BOOTSTRAP_EXE)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("the bootstrap binary's path has a UTF-8 file name");
        assert_eq!(
            literal_str(binary, &at),
            bin_name,
            "{at} must name the `bootstrap` binary of sessions-function \
             (function/Cargo.toml [[bin]]); {FIX_FUNCTION}"
        );
    }
}

#[test]
fn http_api_events_are_the_router_routes() {
    let template = template();
    let (id, function) = resource(&template, "AWS::Serverless::Function");
    let (api_id, api) = resource(&template, "AWS::Serverless::HttpApi");
    let at = format!("{id}.Properties.Events");
    let events = mapping(field(field(function, "Properties", id), "Events", id), &at);
    let mut routes = Vec::new();
    for (name, event) in events {
        let name = literal_str(name, &at);
        let here = format!("{at}.{name}");
        assert_eq!(
            literal_str(field(event, "Type", &here), &here),
            "HttpApi",
            "{here}: every event must be an HttpApi route (lambda_http is built for payload \
             format 2.0 only); {FIX_FUNCTION}"
        );
        let props = field(event, "Properties", &here);
        routes.push((
            literal_str(field(props, "Method", &here), &here).to_owned(),
            literal_str(field(props, "Path", &here), &here).to_owned(),
        ));
        assert_eq!(
            props
                .get("PayloadFormatVersion")
                .map(|v| literal_str(v, &here)),
            Some("2.0"),
            "{here}.Properties.PayloadFormatVersion must be \"2.0\": function/src/lambda.rs \
             reads API Gateway v2 requests (lambda_http feature apigw_http); {FIX_FUNCTION}"
        );
        let api_ref = field(props, "ApiId", &here);
        assert!(
            refers_to(api_ref, api_id),
            "{here}.Properties.ApiId should be `!Ref {api_id}` (the IAM-authenticated HTTP \
             API), found {api_ref:?}; {FIX_FUNCTION}"
        );
        assert!(
            props.get("Auth").is_none(),
            "{here} overrides Auth; every route must keep the API's IAM authorizer, which \
             gives the function its caller identity; {FIX_FUNCTION}"
        );
    }
    routes.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(
        routes, expected,
        "the HttpApi events (Method, Path) of {id} differ from router::ROUTES in \
         function/src/router.rs: a route missing from the template is never delivered to the \
         function, and one the router does not serve answers 405/404; fix the Events in \
         template.yaml"
    );

    let auth = field(field(api, "Properties", api_id), "Auth", api_id);
    let at = format!("{api_id}.Properties.Auth");
    assert_eq!(
        literal_str(field(auth, "DefaultAuthorizer", &at), &at),
        "AWS_IAM",
        "{at}.DefaultAuthorizer must be AWS_IAM: function/src/lambda.rs takes the caller from \
         the IAM authorizer and answers 401 without it; fix template.yaml"
    );
    assert!(
        literal_bool(field(auth, "EnableIamAuthorizer", &at), &at),
        "{at}.EnableIamAuthorizer must be true; fix template.yaml"
    );
}

#[test]
fn function_policy_is_least_privilege() {
    let template = template();
    let (id, function) = resource(&template, "AWS::Serverless::Function");
    let (table_id, _) = resource(&template, "AWS::DynamoDB::Table");
    let props = field(function, "Properties", id);
    assert!(
        props.get("Role").is_none(),
        "{id} sets Role, which replaces the checked Policies; {FIX_FUNCTION}"
    );
    let at = format!("{id}.Properties.Policies");
    let mut granted = BTreeSet::new();
    for policy in sequence(field(props, "Policies", id), &at) {
        let statements = policy.get("Statement").unwrap_or_else(|| {
            panic!(
                "{at}: cannot check {policy:?} for least privilege (a managed policy or a SAM \
                 policy template grants more than the store needs); write it as an inline \
                 statement; {FIX_FUNCTION}"
            )
        });
        for statement in sequence(statements, &at) {
            let here = format!(
                "{at} statement {}",
                statement
                    .get("Sid")
                    .and_then(Value::as_str)
                    .unwrap_or("(no Sid)")
            );
            assert_eq!(
                literal_str(field(statement, "Effect", &here), &here),
                "Allow",
                "{here}: only Allow statements are expected; {FIX_FUNCTION}"
            );
            let actions = field(statement, "Action", &here);
            let actions: Vec<&str> = match actions {
                Value::Sequence(list) => list.iter().map(|a| literal_str(a, &here)).collect(),
                single => vec![literal_str(single, &here)],
            };
            granted.extend(actions.into_iter().map(str::to_owned));
            let resources = field(statement, "Resource", &here);
            let resources: Vec<&Value> = match resources {
                Value::Sequence(list) => list.iter().collect(),
                single => vec![single],
            };
            for resource in resources {
                assert!(
                    refers_to(resource, table_id),
                    "{here}: Resource {resource:?} should be {table_id}'s ARN or its \
                     /index/* ARN, nothing broader; {FIX_FUNCTION}"
                );
            }
        }
    }
    let allowed: BTreeSet<String> = ALLOWED_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    let excess: Vec<&String> = granted.difference(&allowed).collect();
    assert!(
        excess.is_empty(),
        "{at} grants {excess:?}; the function may only have {ALLOWED_ACTIONS:?} (least \
         privilege); {FIX_FUNCTION}"
    );
    let called: BTreeSet<String> = IAM_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    let missing: Vec<&String> = called.difference(&granted).collect();
    assert!(
        missing.is_empty(),
        "the store calls {missing:?} (store::dynamo::IAM_ACTIONS), which {at} does not grant: \
         those requests would fail with AccessDenied in AWS; grant them in template.yaml (and \
         add them to ALLOWED_ACTIONS in this test only if that is really needed)"
    );
    let unused: Vec<&String> = granted.difference(&called).collect();
    assert!(
        unused.is_empty(),
        "{at} grants {unused:?}, which the store never calls (store::dynamo::IAM_ACTIONS); \
         remove them (least privilege); {FIX_FUNCTION}"
    );
}

/// Every `.rs` file under `dir`, concatenated.
fn source_text(dir: &Path) -> String {
    let mut text = String::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            text.push_str(&source_text(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            text.push_str(
                &std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
            );
        }
    }
    text
}

#[test]
fn environment_is_what_settings_reads() {
    let template = template();
    let (id, function) = resource(&template, "AWS::Serverless::Function");
    let (table_id, _) = resource(&template, "AWS::DynamoDB::Table");
    let at = format!("{id}.Properties.Environment.Variables");
    let mut variables = Mapping::new();
    // Globals.Function.Environment applies too; the function's own variables win.
    let globals = template
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"));
    let own = field(
        field(field(function, "Properties", id), "Environment", id),
        "Variables",
        &format!("{id}.Properties.Environment"),
    );
    for source in globals.into_iter().chain([own]) {
        for (name, value) in mapping(source, &at) {
            variables.insert(name.clone(), value.clone());
        }
    }

    let table = variables.get(TABLE_ENV).unwrap_or_else(|| {
        panic!(
            "{at} does not set {TABLE_ENV} (settings::TABLE_ENV): the function would use the \
             default table name instead of the stack's table; {FIX_FUNCTION}"
        )
    });
    assert!(
        matches!(intrinsic(table), Some((tag, Value::String(target))) if tag == "Ref" && target == table_id),
        "{at}.{TABLE_ENV} should be `!Ref {table_id}` (the stack's table name), found \
         {table:?}; {FIX_FUNCTION}"
    );
    assert!(
        variables.contains_key(ALLOWLIST_ENV),
        "{at} does not set {ALLOWLIST_ENV} (settings::ALLOWLIST_ENV): the deployment's \
         workspace allow-list would never reach the function; {FIX_FUNCTION}"
    );

    // The other direction: a variable no code reads is a setting that silently does nothing.
    let source = source_text(Path::new(FUNCTION_SRC));
    for name in variables.keys() {
        let name = literal_str(name, &at);
        assert!(
            source.contains(&format!("\"{name}\"")),
            "{at} sets {name}, which nothing in function/src reads (a misspelt or stale \
             setting); fix template.yaml or the code"
        );
    }
}
