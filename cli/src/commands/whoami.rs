//! `cargo-ai whoami`: the caller's ARN as the API sees it, the `user_uuid` recorded for it
//! (recomputed here with the server's own function), and the settings in use.

use serde::Serialize;
use sessions_core::user_uuid;

use crate::commands::print::{self, Report};
use crate::config::Setting;
use crate::context::Context;
use crate::error::{CliError, Kind};

#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// Who the caller is and which settings brought them there.
#[derive(Serialize)]
struct Whoami {
    user_arn: String,
    user_uuid: String,
    endpoint: Shown,
    region: Shown,
    workspace: Option<Shown>,
    profile: Option<Shown>,
}

/// A setting in use, and where it came from (`None`: not from our settings).
#[derive(Serialize)]
struct Shown {
    value: String,
    source: Option<String>,
}

impl<T: ToString> From<&Setting<T>> for Shown {
    fn from(s: &Setting<T>) -> Self {
        Shown {
            value: s.value.to_string(),
            source: Some(s.source.to_string()),
        }
    }
}

/// Where the AWS chain, not our settings, decided.
const AWS_CHAIN: &str = "AWS default chain";

impl Report for Whoami {
    fn human(&self) -> String {
        let source = |s: &Shown| s.source.clone().unwrap_or_else(|| AWS_CHAIN.to_owned());
        let workspace = match &self.workspace {
            Some(w) => format!("{}  ({})", w.value, source(w)),
            None => "-  (not set: pass --workspace or set CARGO_AI_WORKSPACE)".to_owned(),
        };
        let profile = match &self.profile {
            Some(p) => format!("{}  ({})", p.value, source(p)),
            None => format!("-  ({AWS_CHAIN})"),
        };
        format!(
            "arn        {}\n\
             user_uuid  {}  (UUIDv5 of the ARN; recorded on every session you create)\n\
             endpoint   {}  ({})\n\
             region     {}  ({})\n\
             workspace  {workspace}\n\
             profile    {profile}\n",
            self.user_arn,
            self.user_uuid,
            self.endpoint.value,
            source(&self.endpoint),
            self.region.value,
            source(&self.region),
        )
    }
}

pub async fn run(ctx: &Context, args: WhoamiArgs) -> Result<(), CliError> {
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
    let c = &ctx.config;
    let report = Whoami {
        user_arn: identity.user_arn,
        user_uuid: identity.user_uuid,
        endpoint: Shown {
            value: client.endpoint().to_string(),
            source: c.endpoint.as_ref().map(|e| e.source.to_string()),
        },
        region: Shown {
            value: client.region().to_owned(),
            // Always named: the AWS chain decides when our settings do not.
            source: Some(
                c.region
                    .as_ref()
                    .map_or_else(|| AWS_CHAIN.to_owned(), |r| r.source.to_string()),
            ),
        },
        workspace: c.workspace.as_ref().map(Shown::from),
        profile: c.profile.as_ref().map(Shown::from),
    };
    print::report(&report, args.json)
}
