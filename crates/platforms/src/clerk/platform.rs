//! Clerk's descriptor: four sources (three export files and a live instance) and one target,
//! with the flags and environment variables they read.

use super::{
    ClerkApi, ClerkApiJsonSource, ClerkApiSource, ClerkCsvSource, ClerkSettings, ClerkSink,
    ClerkUsersJsonSource, DEFAULT_API_URL,
};
use crate::SpecError;
use crate::registry::{Endpoint, EnvVar, FileSource, Flag, Platform, SinkPlan, SourcePlan, Spec};
use crate::remote::{RATE, RateBudget};
use authferry_core::{Secret, Sink, Source};
use authferry_hash::PasswordTarget;
use std::any::Any;
use std::path::PathBuf;

pub const PLATFORM: Platform = Platform {
    name: "Clerk",
    endpoints: &[
        Endpoint {
            flags: &[&WITH_DIGESTS, &RATE],
            env: &[&SOURCE_SECRET_KEY, &SOURCE_API_URL, &SECRET_KEY, &API_URL],
            fields: API_FIELDS_WITH_DIGESTS,
            formats: CLERK_FORMATS,
            ..Endpoint::source(
                "clerk-api",
                &["clerk-api"],
                "every user of a live Clerk instance, through the Backend API",
                parse_api_source,
            )
        },
        Endpoint {
            fields: &[
                PrimaryEmail,
                SecondaryEmails,
                PrimaryPhone,
                SecondaryPhones,
                Username,
                FirstName,
                LastName,
                Password,
                TotpSecret,
                PublicMetadata,
                PrivateMetadata,
                UnsafeMetadata,
                CreatedAt,
            ],
            formats: CLERK_FORMATS,
            ..Endpoint::source(
                "clerk-csv",
                &["clerk-csv:PATH"],
                "Clerk dashboard \"export users\" CSV (both header layouts)",
                |spec| FileSource::plan(spec, |p| Ok(Box::new(ClerkCsvSource::open(p)?))),
            )
        },
        Endpoint {
            fields: API_FIELDS,
            ..Endpoint::source(
                "clerk-json",
                &["clerk-json:PATH"],
                "Clerk Backend API user objects (GET /v1/users), JSON array or NDJSON",
                |spec| FileSource::plan(spec, |p| Ok(Box::new(ClerkApiJsonSource::open(p)?))),
            )
        },
        Endpoint {
            fields: &[
                PrimaryEmail,
                SecondaryEmails,
                PrimaryPhone,
                SecondaryPhones,
                Username,
                FirstName,
                LastName,
                Password,
                TotpSecret,
                BackupCodes,
                PublicMetadata,
                PrivateMetadata,
                CreatedAt,
                Banned,
            ],
            formats: CLERK_FORMATS,
            ..Endpoint::source(
                "clerk-users-json",
                &["clerk-users-json:PATH"],
                "the Clerk migration script's users.json",
                |spec| FileSource::plan(spec, |p| Ok(Box::new(ClerkUsersJsonSource::open(p)?))),
            )
        },
        Endpoint {
            flags: &[&RATE],
            env: &[&SECRET_KEY, &API_URL],
            fields: super::sink::HOLDS,
            ..Endpoint::target(
                "clerk",
                &["clerk"],
                "a Clerk instance through the Backend API, at its rate limit",
                parse_target,
                PASSWORD,
            )
        },
    ],
};

use authferry_core::Field::*;

/// What the Backend API's user objects carry (no digest, no TOTP secret: the API never returns
/// them).
const API_FIELDS: &[authferry_core::Field] = &[
    ExternalId,
    PrimaryEmail,
    SecondaryEmails,
    PrimaryPhone,
    SecondaryPhones,
    Username,
    FirstName,
    LastName,
    ImageUrl,
    BackupCodes,
    ExternalAccounts,
    PublicMetadata,
    PrivateMetadata,
    UnsafeMetadata,
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
    Banned,
    Locked,
];

/// The API's fields, plus what `--with-digests` joins from the dashboard's CSV.
const API_FIELDS_WITH_DIGESTS: &[authferry_core::Field] = &[
    ExternalId,
    PrimaryEmail,
    SecondaryEmails,
    PrimaryPhone,
    SecondaryPhones,
    Username,
    FirstName,
    LastName,
    ImageUrl,
    Password,
    TotpSecret,
    BackupCodes,
    ExternalAccounts,
    PublicMetadata,
    PrivateMetadata,
    UnsafeMetadata,
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
    Banned,
    Locked,
];

/// The formats Clerk's `password_hasher` names (its exports carry these).
const CLERK_FORMATS: &[authferry_hash::Format] = {
    use authferry_hash::Format as F;
    &[
        F::Argon2i,
        F::Argon2id,
        F::AwsCognito,
        F::Bcrypt,
        F::BcryptPeppered,
        F::DjangoBcryptSha256,
        F::ClerkHmacSha256Utf16,
        F::Md5Hex,
        F::Phpass,
        F::ClerkMd5Salted,
        F::LdapSsha,
        F::ClerkPbkdf2Sha1,
        F::ClerkPbkdf2Sha256,
        F::DjangoPbkdf2Sha256,
        F::ClerkPbkdf2Sha512,
        F::ClerkPbkdf2Sha512Hex,
        F::ClerkFirebaseScrypt,
        F::WerkzeugScrypt,
        F::Sha256Hex,
        F::ClerkSha256Salted,
        F::SymfonySha512,
    ]
};

/// What Clerk's `password_hasher` values can verify, with authferry's re-encodes.
pub(super) const PASSWORD: PasswordTarget = PasswordTarget::Clerk;

pub static WITH_DIGESTS: Flag = Flag::new(
    "with-digests",
    "clerk-csv:PATH",
    "`clerk-api` source: the dashboard's CSV export, joined on user id to add password digests, \
     TOTP secrets and backup codes (the API never returns them)",
);

pub static SECRET_KEY: EnvVar = EnvVar::new(
    "CLERK_SECRET_KEY",
    "the Clerk instance's secret key (sk_live_… or sk_test_…); never printed",
);

pub static API_URL: EnvVar = EnvVar::new(
    "CLERK_API_URL",
    "the Backend API's address (default https://api.clerk.com)",
);

pub static SOURCE_SECRET_KEY: EnvVar = EnvVar::new(
    "CLERK_SOURCE_SECRET_KEY",
    "clerk-api: the source instance's key, if not CLERK_SECRET_KEY",
);

pub static SOURCE_API_URL: EnvVar = EnvVar::new(
    "CLERK_SOURCE_API_URL",
    "clerk-api: that instance's address, if not CLERK_API_URL",
);

/// The key and address from `secret_key`/`api_url`, else from the target's variables (most
/// moves have one Clerk side), and `--rate`.
fn settings(
    spec: &Spec<'_>,
    secret_key: &EnvVar,
    api_url: &EnvVar,
) -> Result<ClerkSettings, SpecError> {
    let var = |own: &EnvVar, shared: &EnvVar| spec.var(own.name).or_else(|| spec.var(shared.name));
    Ok(ClerkSettings {
        secret_key: var(secret_key, &SECRET_KEY).map(Secret::new),
        api_url: var(api_url, &API_URL),
        rate: spec
            .flag(RATE.name)
            .map(str::parse::<RateBudget>)
            .transpose()
            .map_err(|e| SpecError::Usage(format!("--rate {e}")))?,
        ..Default::default()
    })
}

/// `--from clerk-api [--with-digests clerk-csv:PATH]`.
#[derive(Debug)]
struct ApiSourcePlan {
    settings: ClerkSettings,
    digests: Option<PathBuf>,
}

fn parse_api_source(spec: &Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError> {
    let digests = match spec.flag(WITH_DIGESTS.name) {
        Some(d) => Some(PathBuf::from(
            d.strip_prefix("clerk-csv:")
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    SpecError::Usage(format!(
                        "--with-digests `{d}` must be `clerk-csv:PATH` (the dashboard export)"
                    ))
                })?,
        )),
        None => None,
    };
    Ok(Box::new(ApiSourcePlan {
        settings: settings(spec, &SOURCE_SECRET_KEY, &SOURCE_API_URL)?,
        digests,
    }))
}

impl SourcePlan for ApiSourcePlan {
    fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        let api = ClerkApi::new(&self.settings).map_err(|e| SpecError::open("clerk-api", e))?;
        ClerkApiSource::open(api, self.digests.as_deref())
            .map(|s| Box::new(s) as Box<dyn Source>)
            .map_err(|e| SpecError::open("clerk-api", e))
    }

    fn open_lookup(&self) -> Result<Box<dyn authferry_core::lookup::Lookup>, SpecError> {
        let api = ClerkApi::new(&self.settings).map_err(|e| SpecError::open("clerk-api", e))?;
        super::ClerkApiLookup::open(api, self.digests.as_deref())
            .map(|s| Box::new(s) as Box<dyn authferry_core::lookup::Lookup>)
            .map_err(|e| SpecError::open("clerk-api", e))
    }

    fn refuse(&self, target: &dyn SinkPlan) -> Option<String> {
        let target: &dyn Any = target;
        let target = target.downcast_ref::<TargetPlan>()?;
        same_instance(&self.settings, &target.settings).then(|| {
            "--from clerk-api and --to clerk name the same Clerk instance: set CLERK_SOURCE_SECRET_KEY \
             (and CLERK_SOURCE_API_URL if needed) for the instance users come from"
                .into()
        })
    }
}

fn same_instance(a: &ClerkSettings, b: &ClerkSettings) -> bool {
    let url = |s: &ClerkSettings| {
        s.api_url
            .as_deref()
            .unwrap_or(DEFAULT_API_URL)
            .trim_end_matches('/')
            .to_owned()
    };
    a.secret_key == b.secret_key && url(a) == url(b)
}

/// `--to clerk`.
#[derive(Debug)]
struct TargetPlan {
    settings: ClerkSettings,
}

fn parse_target(spec: &Spec<'_>) -> Result<Box<dyn SinkPlan>, SpecError> {
    Ok(Box::new(TargetPlan {
        settings: settings(spec, &SECRET_KEY, &API_URL)?,
    }))
}

impl SinkPlan for TargetPlan {
    fn open(&self) -> Result<Box<dyn Sink>, SpecError> {
        ClerkApi::new(&self.settings)
            .map(|api| Box::new(ClerkSink::new(api)) as Box<dyn Sink>)
            .map_err(|e| SpecError::open("clerk", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Settings, parse_run};

    #[test]
    fn clerk_to_clerk_needs_a_source_instance_of_its_own() {
        let one_key = Settings::default().with_var("CLERK_SECRET_KEY", "sk_test_a");
        let Err(SpecError::Usage(m)) = parse_run("clerk-api", "clerk", &one_key) else {
            panic!("one key names one instance")
        };
        assert!(m.contains("CLERK_SOURCE_SECRET_KEY"), "{m}");
        let two_keys = one_key
            .clone()
            .with_var("CLERK_SOURCE_SECRET_KEY", "sk_test_b");
        assert!(parse_run("clerk-api", "clerk", &two_keys).is_ok());
        let two_urls = one_key.with_var("CLERK_SOURCE_API_URL", "http://127.0.0.1:9");
        assert!(parse_run("clerk-api", "clerk", &two_urls).is_ok());
    }

    #[test]
    fn with_digests_must_name_a_clerk_csv() {
        let given = |d: &str| Settings::default().with_flag("with-digests", d);
        let Err(SpecError::Usage(m)) =
            crate::registry::parse_source("clerk-api", &given("export.csv"))
        else {
            panic!()
        };
        assert!(m.contains("must be `clerk-csv:PATH`"), "{m}");
        assert!(crate::registry::parse_source("clerk-api", &given("clerk-csv:e.csv")).is_ok());
    }
}
