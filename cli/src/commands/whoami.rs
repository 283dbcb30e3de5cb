//! `cargo-ai whoami`: the caller's ARN as the API sees it, the `user_uuid` recorded for it
//! (recomputed here with the server's own function), and the settings in use.

use serde_json::json;
use sessions_core::user_uuid;

use crate::context::Context;
use crate::error::{CliError, Kind};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(ctx: &Context, args: WhoamiArgs) -> Result<(), CliError> {
    let as_json = args.json;
    let client = ctx.connect().await?;
    let identity = client.whoami().await?;
    let recomputed = user_uuid(&identity.user_arn).to_string();
    if recomputed != identity.user_uuid {
        return Err(CliError::new(
            Kind::Unavailable,
            format!(
                "the API records user_uuid {} for {}, but UUIDv5 of that ARN is {recomputed}",
                identity.user_uuid, identity.user_arn
            ),
        )
        .help("the endpoint runs a different version of the sessions API; tell its maintainers"));
    }
    let source = |s: Option<String>| s.unwrap_or_else(|| "AWS default chain".to_owned());
    let c = &ctx.config;
    let workspace = c
        .workspace
        .as_ref()
        .map(|w| (w.value.to_string(), w.source.to_string()));
    let endpoint_source = c.endpoint.as_ref().map(|e| e.source.to_string());
    let region_source = source(c.region.as_ref().map(|r| r.source.to_string()));
    let profile = c
        .profile
        .as_ref()
        .map(|p| (p.value.clone(), p.source.to_string()));
    if as_json {
        return render::json(&json!({
            "user_arn": identity.user_arn,
            "user_uuid": identity.user_uuid,
            "endpoint": {"value": client.endpoint().as_str(), "source": endpoint_source},
            "region": {"value": client.region(), "source": region_source},
            "workspace": workspace.as_ref().map(|(v, s)| json!({"value": v, "source": s})),
            "profile": profile.as_ref().map(|(v, s)| json!({"value": v, "source": s})),
        }));
    }
    println!("arn        {}", identity.user_arn);
    println!(
        "user_uuid  {}  (UUIDv5 of the ARN; recorded on every session you create)",
        identity.user_uuid
    );
    println!(
        "endpoint   {}  ({})",
        client.endpoint(),
        source(endpoint_source)
    );
    println!("region     {}  ({region_source})", client.region());
    match &workspace {
        Some((v, s)) => println!("workspace  {v}  ({s})"),
        None => println!("workspace  -  (not set: pass --workspace or set CARGO_AI_WORKSPACE)"),
    }
    match &profile {
        Some((v, s)) => println!("profile    {v}  ({s})"),
        None => println!("profile    -  (AWS default chain)"),
    }
    Ok(())
}
