//! SuperTokens as a target: the core's bulk import (CDI 5.2+), followed to the end.
//!
//! * [`mapping`]: a canonical user as one bulk-import entry, checked by the core's rules.
//! * [`api`]: the core over HTTP (API key, retries, the bulk-import table, look-ups).
//! * [`sink`]: batches, tickets, settling, exactly once.

pub mod api;
pub mod mapping;
pub mod sink;

pub use api::{CoreApi, CoreSettings};
pub use sink::SupertokensSink;

use crate::SpecError;
use crate::registry::{Endpoint, EnvVar, Flag, Platform, SinkPlan, Spec};
use crate::remote::{RATE, RateBudget};
use authferry_core::{Secret, Sink};
use authferry_hash::PasswordTarget;
use std::time::Duration;

pub const PLATFORM: Platform = Platform {
    name: "SuperTokens",
    endpoints: &[Endpoint {
        flags: &[&TENANT, &ROLES_FROM, &POLL_INTERVAL, &RATE],
        env: &[&API_KEY],
        fields: mapping::HOLDS,
        ..Endpoint::target(
            "supertokens",
            &["supertokens:URL"],
            "a SuperTokens core (CDI 5.2+) by bulk import, followed until imported",
            parse_target,
            PasswordTarget::Supertokens,
        )
    }],
};

pub static TENANT: Flag = Flag::new(
    "tenant",
    "ID",
    "SuperTokens: the tenant users are imported into (default `public`; others need the core's multi-tenancy)",
);

pub static ROLES_FROM: Flag = Flag::new(
    "roles-from",
    "METADATA.KEY",
    "SuperTokens: each user's roles, from this key of the source's metadata (`public_metadata.roles`: a string or a list); the roles must exist in the core",
)
.check(|v| v.parse::<mapping::RolesFrom>().map(|_| ()));

pub static POLL_INTERVAL: Flag = Flag::new(
    "poll-interval",
    "SECONDS",
    "SuperTokens: how often the core's import is checked while users are being imported (default 2)",
)
.check(|v| parse_seconds(v).map(|_| ()));

pub static API_KEY: EnvVar = EnvVar::new(
    "SUPERTOKENS_API_KEY",
    "the SuperTokens core's API key, when it has one; never printed",
);

fn parse_seconds(v: &str) -> Result<Duration, String> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{v}` is not a number of seconds between 0 and 3600"))
}

#[derive(Debug)]
struct TargetPlan {
    settings: CoreSettings,
    poll: Duration,
    roles_from: Option<mapping::RolesFrom>,
}

fn parse_target(spec: &Spec<'_>) -> Result<Box<dyn SinkPlan>, SpecError> {
    let url = spec.rest.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(SpecError::Usage(format!(
            "--to {}: write the core's address, e.g. supertokens:http://localhost:3567",
            crate::redact_spec(spec.text)
        )));
    }
    let tenant = spec.flag(TENANT.name).unwrap_or("public").trim();
    if tenant.is_empty()
        || !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SpecError::Usage(format!(
            "--tenant `{tenant}`: a tenant id is letters, digits, `-` and `_`"
        )));
    }
    Ok(Box::new(TargetPlan {
        settings: CoreSettings {
            url: url.to_string(),
            api_key: spec.var(API_KEY.name).map(Secret::new),
            rate: spec
                .flag(RATE.name)
                .map(str::parse::<RateBudget>)
                .transpose()
                .map_err(|e| SpecError::Usage(format!("--rate {e}")))?,
            tenant: tenant.to_ascii_lowercase(),
            ..Default::default()
        },
        poll: spec
            .flag(POLL_INTERVAL.name)
            .map(parse_seconds)
            .transpose()
            .map_err(|e| SpecError::Usage(format!("--poll-interval {e}")))?
            .unwrap_or(Duration::from_secs(2)),
        roles_from: spec
            .flag(ROLES_FROM.name)
            .map(str::parse)
            .transpose()
            .map_err(|e| SpecError::Usage(format!("--roles-from {e}")))?,
    }))
}

impl SinkPlan for TargetPlan {
    fn open(&self) -> Result<Box<dyn Sink>, SpecError> {
        let spec = format!("supertokens:{}", self.settings.url);
        let api = CoreApi::new(&self.settings).map_err(|e| SpecError::open(&spec, e))?;
        SupertokensSink::open(api, self.poll)
            .map(|s| Box::new(s.with_roles_from(self.roles_from.clone())) as Box<dyn Sink>)
            .map_err(|e| SpecError::open(&spec, e))
    }
}
