//! The Lambda entry point (`Handler: bootstrap`): builds the DynamoDB client once, then serves.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::{Error, service_fn};
use sessions_function::router::Api;
use sessions_function::settings::Settings;
use sessions_function::store::DynamoStore;
use sessions_function::{aws, lambda, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init(true);
    let settings = Settings::from_env()?;
    let store = DynamoStore::new(aws::dynamodb_client().await, settings.table);
    let api = Arc::new(Api::new(store, settings.allow_list));
    lambda_http::run(service_fn(move |req| {
        let api = api.clone();
        async move { Ok::<_, Infallible>(lambda::handle(&api, req).await) }
    }))
    .await
}
