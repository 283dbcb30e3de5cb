//! The baseline for the Lambda `bootstrap`'s start-up: a hello-world `lambda_http` function
//! built with the same profile, answering `200 hello` to every event.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
