//! Checks `function/openapi.yaml` against the code, so the published contract cannot drift
//! from what the server does: the operations against `router::ROUTES` and the error codes and
//! their statuses against `ErrorCode` (`responses`), the schemas against the wire types of
//! `sessions_core` and the numeric bounds against `sessions_core::fields` (`schemas`), and
//! every example against the same parsers the server runs (`examples`). The document is read
//! with `openapiv3`; this module adds only what the crate leaves to its users: following
//! `$ref`s, and the few schema keywords the checks compare.

mod examples;
mod responses;
mod schemas;

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, Components, Example, MediaType, OpenAPI, Parameter, ParameterData,
    ParameterSchemaOrContent, ReferenceOr, RequestBody, Response, Schema, SchemaKind, Type,
};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
const FIX: &str = "fix function/openapi.yaml";

fn text() -> String {
    std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("cannot read {SPEC}: {e}"))
}

fn spec() -> OpenAPI {
    serde_yaml::from_str(&text())
        .unwrap_or_else(|e| panic!("{SPEC} is not an OpenAPI 3.0 document: {e}; {FIX}"))
}

/// The kinds of component a `$ref` can point at, and where each lives.
trait Component: Sized {
    const PREFIX: &'static str;
    fn all(components: &Components) -> &IndexMap<String, ReferenceOr<Self>>;
}

macro_rules! component {
    ($type:ty, $prefix:literal, $field:ident) => {
        impl Component for $type {
            const PREFIX: &'static str = $prefix;
            fn all(components: &Components) -> &IndexMap<String, ReferenceOr<Self>> {
                &components.$field
            }
        }
    };
}

component!(Schema, "#/components/schemas/", schemas);
component!(Parameter, "#/components/parameters/", parameters);
component!(Response, "#/components/responses/", responses);
component!(Example, "#/components/examples/", examples);
component!(RequestBody, "#/components/requestBodies/", request_bodies);

/// The component a `$ref` names.
fn lookup<'a, T: Component>(api: &'a OpenAPI, reference: &str) -> &'a ReferenceOr<T> {
    let name = reference.strip_prefix(T::PREFIX).unwrap_or_else(|| {
        panic!(
            "openapi.yaml: $ref {reference} should point into {}; {FIX}",
            T::PREFIX
        )
    });
    api.components
        .as_ref()
        .and_then(|components| T::all(components).get(name))
        .unwrap_or_else(|| panic!("openapi.yaml: $ref {reference} points at nothing; {FIX}"))
}

/// Follows `$ref`s until an item.
fn resolve<'a, T: Component>(api: &'a OpenAPI, mut item: &'a ReferenceOr<T>) -> &'a T {
    for _ in 0..16 {
        match item {
            ReferenceOr::Item(found) => return found,
            ReferenceOr::Reference { reference } => item = lookup(api, reference),
        }
    }
    let from = match item {
        ReferenceOr::Reference { reference } => reference.as_str(),
        ReferenceOr::Item(_) => "",
    };
    panic!("openapi.yaml: $ref chain too long (a cycle?) at {from}; {FIX}")
}

/// A property's schema (properties hold boxed schemas).
fn resolve_property<'a>(api: &'a OpenAPI, property: &'a ReferenceOr<Box<Schema>>) -> &'a Schema {
    match property {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => resolve(api, lookup(api, reference)),
    }
}

/// The component schema `name`.
fn component<'a>(api: &'a OpenAPI, name: &str) -> &'a Schema {
    let schemas = api.components.as_ref().map(|c| &c.schemas);
    let schema = schemas
        .and_then(|schemas| schemas.get(name))
        .unwrap_or_else(|| panic!("openapi.yaml: components.schemas has no `{name}`; {FIX}"));
    resolve(api, schema)
}

/// The name of the component schema a media type uses (`#/components/schemas/<name>`).
fn schema_name(media: &MediaType, at: &str) -> String {
    match &media.schema {
        Some(ReferenceOr::Reference { reference }) => reference
            .strip_prefix(Schema::PREFIX)
            .unwrap_or_else(|| {
                panic!("openapi.yaml: {at}.schema should refer to a component schema; {FIX}")
            })
            .to_owned(),
        other => panic!(
            "openapi.yaml: {at}.schema should refer to a component schema, found {other:?}; {FIX}"
        ),
    }
}

/// The `example` and every `examples.<name>.value` of a parameter or media type.
fn examples<'a>(
    api: &'a OpenAPI,
    example: Option<&'a serde_json::Value>,
    named: &'a IndexMap<String, ReferenceOr<Example>>,
    at: &str,
) -> Vec<(String, &'a serde_json::Value)> {
    let mut found: Vec<(String, &serde_json::Value)> = example
        .map(|e| (format!("{at}.example"), e))
        .into_iter()
        .collect();
    for (name, example) in named {
        let label = format!("{at}.examples.{name}");
        let value = resolve(api, example).value.as_ref();
        let value = value.unwrap_or_else(|| panic!("openapi.yaml: {label} has no `value`; {FIX}"));
        found.push((label, value));
    }
    found
}

fn media_examples<'a>(
    api: &'a OpenAPI,
    media: &'a MediaType,
    at: &str,
) -> Vec<(String, &'a serde_json::Value)> {
    examples(api, media.example.as_ref(), &media.examples, at)
}

fn parameter_examples<'a>(
    api: &'a OpenAPI,
    parameter: &'a ParameterData,
    at: &str,
) -> Vec<(String, &'a serde_json::Value)> {
    examples(api, parameter.example.as_ref(), &parameter.examples, at)
}

/// One operation, with its path-level and own parameters resolved.
struct Operation<'a> {
    method: String,
    path: &'a str,
    operation: &'a openapiv3::Operation,
    parameters: Vec<&'a Parameter>,
}

impl Operation<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn operations(api: &OpenAPI) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    for (path, item) in api.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            panic!("openapi.yaml: paths.{path} should be written out, not a $ref; {FIX}");
        };
        for (method, operation) in item.iter() {
            found.push(Operation {
                method: method.to_ascii_uppercase(),
                path,
                operation,
                parameters: item
                    .parameters
                    .iter()
                    .chain(&operation.parameters)
                    .map(|p| resolve(api, p))
                    .collect(),
            });
        }
    }
    found
}

/// A parameter's schema.
fn parameter_schema<'a>(api: &'a OpenAPI, parameter: &'a ParameterData, at: &str) -> &'a Schema {
    match &parameter.format {
        ParameterSchemaOrContent::Schema(schema) => resolve(api, schema),
        ParameterSchemaOrContent::Content(_) => {
            panic!("openapi.yaml: {at} has no `schema`; {FIX}")
        }
    }
}

/// The object keywords of a schema: its properties in the order written, `required`, and
/// `additionalProperties`.
struct Object<'a> {
    properties: &'a IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: &'a [String],
    additional_properties: Option<&'a AdditionalProperties>,
}

fn object<'a>(schema: &'a Schema, at: &str) -> Object<'a> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => Object {
            properties: &o.properties,
            required: &o.required,
            additional_properties: o.additional_properties.as_ref(),
        },
        SchemaKind::Any(any) if !any.properties.is_empty() => Object {
            properties: &any.properties,
            required: &any.required,
            additional_properties: any.additional_properties.as_ref(),
        },
        _ => panic!("openapi.yaml: {at} should be an object schema with properties; {FIX}"),
    }
}

/// The property `name` of an object schema.
fn property<'a>(api: &'a OpenAPI, schema: &'a Schema, name: &str, at: &str) -> &'a Schema {
    let property = object(schema, at).properties.get(name);
    let property =
        property.unwrap_or_else(|| panic!("openapi.yaml: {at}.properties has no `{name}`; {FIX}"));
    resolve_property(api, property)
}

/// The size and range keywords the checks compare, whichever form the schema took (a schema
/// that mixes `type` with `not`, say, parses as `SchemaKind::Any`).
#[derive(Debug, Default)]
struct Bounds {
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    max_items: Option<usize>,
    /// The values `not: {enum: [...]}` excludes.
    excluded: Vec<serde_json::Value>,
}

fn bounds(api: &OpenAPI, schema: &Schema) -> Bounds {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => Bounds {
            min_length: s.min_length,
            max_length: s.max_length,
            pattern: s.pattern.clone(),
            ..Bounds::default()
        },
        SchemaKind::Type(Type::Integer(i)) => Bounds {
            minimum: i.minimum.map(|n| n as f64),
            maximum: i.maximum.map(|n| n as f64),
            ..Bounds::default()
        },
        SchemaKind::Type(Type::Number(n)) => Bounds {
            minimum: n.minimum,
            maximum: n.maximum,
            ..Bounds::default()
        },
        SchemaKind::Type(Type::Array(a)) => Bounds {
            max_items: a.max_items,
            ..Bounds::default()
        },
        SchemaKind::Any(any) => Bounds {
            min_length: any.min_length,
            max_length: any.max_length,
            pattern: any.pattern.clone(),
            minimum: any.minimum,
            maximum: any.maximum,
            max_items: any.max_items,
            excluded: any
                .not
                .as_deref()
                .map(|not| excluded(resolve(api, not)))
                .unwrap_or_default(),
        },
        _ => Bounds::default(),
    }
}

/// The values of an `enum`, whichever form its schema took.
fn excluded(schema: &Schema) -> Vec<serde_json::Value> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => s
            .enumeration
            .iter()
            .flatten()
            .map(|v| v.as_str().into())
            .collect(),
        SchemaKind::Any(any) => any.enumeration.clone(),
        _ => Vec::new(),
    }
}

/// The document's introduction (`info.description`).
fn introduction(api: &OpenAPI) -> &str {
    api.info
        .description
        .as_deref()
        .unwrap_or_else(|| panic!("openapi.yaml: info has no `description`; {FIX}"))
}

#[test]
fn every_ref_resolves() {
    fn walk(root: &serde_json::Value, value: &serde_json::Value, at: &str) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let pointer = reference
                        .as_str()
                        .and_then(|r| r.strip_prefix('#'))
                        .unwrap_or_else(|| {
                            panic!("openapi.yaml: {at}.$ref {reference} is not local; {FIX}")
                        });
                    assert!(
                        root.pointer(pointer).is_some(),
                        "openapi.yaml: {at}.$ref {reference} points at nothing; {FIX}"
                    );
                }
                for (key, v) in map {
                    walk(root, v, &format!("{at}.{key}"));
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(root, v, &format!("{at}[{i}]"));
                }
            }
            _ => {}
        }
    }
    // Plain YAML only: a tag (`!Ref`, ...) does not read as JSON and fails here.
    let root: serde_json::Value = serde_yaml::from_str(&text())
        .unwrap_or_else(|e| panic!("openapi.yaml is not plain JSON-compatible YAML: {e}; {FIX}"));
    walk(&root, &root, "");
}
