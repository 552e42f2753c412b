//! Better Auth as a target, on SQLite or PostgreSQL: the tables better-auth 1.7.25 creates for
//! itself (core, two-factor, username, phone-number, admin), filled so that better-auth signs
//! the migrated users in: lower-cased emails, a credential account per password, OAuth
//! accounts, TOTP secrets and backup codes encrypted with the app's BETTER_AUTH_SECRET.
//!
//! Every row is a function of the record (and the secret): ids, nonces and generated backup
//! codes included. A batch re-sent after a crash therefore finds exactly its own rows, and a
//! resumed run leaves the same tables as an uninterrupted one.

mod mapping;
mod postgres;
mod schema;
mod source;
mod sqlite;
mod store;
pub mod two_factor;
mod verify_module;

pub use verify_module::verify_module;

use crate::SpecError;
use crate::registry::{Endpoint, EnvVar, Flag, Platform, SinkPlan, Spec};
use authferry_core::{
    Existing, Field, Reason, Requirement, Sink, SinkCapabilities, SinkError, Timestamp, User, Work,
    WriteItem, WriteOutcome,
};
use authferry_hash::{Format, PasswordTarget};
pub use mapping::TempEmail;
use mapping::{Identity, MappingContext, UserRows};
use schema::{Dialect, SchemaPlan};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use store::{LookupKeys, Store, WriteColumns};
use two_factor::TwoFactorCrypto;

use authferry_core::Field::*;

/// `better-auth:sqlite:PATH`, `better-auth:postgres://…`.
pub const PLATFORM: Platform = Platform {
    name: "Better Auth",
    endpoints: &[
        Endpoint {
            env: &[&BETTER_AUTH_SECRET, &BETTER_AUTH_SECRETS, &AUTH_SECRET],
            fields: &[
                PrimaryEmail,
                PrimaryPhone,
                Username,
                DisplayName,
                ImageUrl,
                Password,
                TotpSecret,
                BackupCodes,
                ExternalAccounts,
                PrivateMetadata,
                CreatedAt,
                UpdatedAt,
                Banned,
            ],
            ..Endpoint::source(
                "better-auth",
                &["better-auth:sqlite:PATH", "better-auth:postgres://…"],
                "a Better Auth database: users, accounts, two-factor secrets and codes",
                parse_source,
            )
        },
        Endpoint {
            flags: &[&BACKUP_CODES_OUT, &TEMP_EMAIL],
            env: &[&BETTER_AUTH_SECRET, &BETTER_AUTH_SECRETS, &AUTH_SECRET],
            // With the plugins authferry creates tables for (two-factor, username, phone
            // number, admin); `name` keeps first, last and display name.
            fields: &[
                PrimaryEmail,
                PrimaryPhone,
                Username,
                FirstName,
                LastName,
                DisplayName,
                ImageUrl,
                Password,
                TotpSecret,
                BackupCodes,
                ExternalAccounts,
                CreatedAt,
                UpdatedAt,
                Banned,
            ],
            ..Endpoint::target(
                "better-auth",
                &["better-auth:sqlite:PATH", "better-auth:postgres://…"],
                "a Better Auth database (SQLite tables created when absent)",
                parse_target,
                PASSWORD,
            )
        },
    ],
};

/// Better Auth verifies its own scrypt, and the rest through the emitted verify module.
const PASSWORD: PasswordTarget = PasswordTarget::BetterAuth;

pub static BACKUP_CODES_OUT: Flag = Flag::new(
    "backup-codes-out",
    "FILE",
    "Where generated two-factor backup codes are delivered (NDJSON, created 0600; default: \
     beside the journal, JOURNAL.backup-codes.ndjson)",
)
.ignored_elsewhere()
.default_beside_journal("backup-codes.ndjson");

pub static TEMP_EMAIL: Flag = Flag::new(
    "temp-email",
    "TEMPLATE",
    "The email of a phone-only user ({digits} or {phone} for the number; default \
     {digits}@phone.invalid), as the phoneNumber plugin's getTempEmail would make it",
)
.ignored_elsewhere();

pub static BETTER_AUTH_SECRET: EnvVar = EnvVar::new(
    "BETTER_AUTH_SECRET",
    "better-auth's secret; needed to write two-factor rows",
);

pub static BETTER_AUTH_SECRETS: EnvVar = EnvVar::new(
    "BETTER_AUTH_SECRETS",
    "versioned secrets \"2:new,1:old\"; two-factor rows get $ba$<version>$",
);

pub static AUTH_SECRET: EnvVar = EnvVar::new(
    "AUTH_SECRET",
    "read when BETTER_AUTH_SECRET is unset, as better-auth does",
);

/// `--to better-auth:…`, parsed.
#[derive(Debug)]
struct BetterAuthPlan {
    target: BetterAuthTarget,
    options: BetterAuthOptions,
}

/// The database a `better-auth:…` spec names.
fn parse_database(spec: &Spec<'_>) -> Result<BetterAuthTarget, SpecError> {
    if let Some(path) = spec.rest.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(spec.unknown());
        }
        Ok(BetterAuthTarget::Sqlite(PathBuf::from(path)))
    } else if spec.rest.starts_with("postgres://") || spec.rest.starts_with("postgresql://") {
        Ok(BetterAuthTarget::Postgres(spec.rest.to_string()))
    } else {
        Err(SpecError::Usage(format!(
            "`{}` must be `better-auth:sqlite:PATH` or `better-auth:postgres://…`",
            crate::redact_spec(spec.text)
        )))
    }
}

/// The app's secrets from the environment, as better-auth reads them.
#[derive(Clone, Default)]
pub struct AppSecrets {
    /// BETTER_AUTH_SECRET (or AUTH_SECRET).
    pub secret: Option<String>,
    /// BETTER_AUTH_SECRETS (version, secret), the first current.
    pub versioned: Option<Vec<(u32, String)>>,
}

impl AppSecrets {
    fn from_spec(spec: &Spec<'_>) -> Result<AppSecrets, SpecError> {
        Ok(AppSecrets {
            versioned: spec
                .var(BETTER_AUTH_SECRETS.name)
                .filter(|s| !s.trim().is_empty())
                .map(|s| two_factor::parse_versioned_secrets(&s))
                .transpose()
                .map_err(SpecError::Usage)?,
            secret: spec
                .var(BETTER_AUTH_SECRET.name)
                .or_else(|| spec.var(AUTH_SECRET.name)),
        })
    }

    /// The two-factor keys; `None` when no secret is set.
    fn crypto(&self) -> Option<TwoFactorCrypto> {
        match &self.versioned {
            Some(versions) => TwoFactorCrypto::versioned(versions, self.secret.as_deref()),
            None => self
                .secret
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(TwoFactorCrypto::new),
        }
    }
}

impl std::fmt::Debug for AppSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSecrets")
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field(
                "versioned",
                &self
                    .versioned
                    .as_ref()
                    .map(|v| v.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
            )
            .finish()
    }
}

/// Opens the database's store (changing nothing) and reads its schema.
fn open_store(
    target: &BetterAuthTarget,
) -> Result<(Box<dyn Store>, SchemaPlan, String), SinkError> {
    let (mut store, dialect, description): (Box<dyn Store>, _, _) = match target {
        BetterAuthTarget::Sqlite(path) => (
            Box::new(sqlite::SqliteStore::open(path)?),
            Dialect::Sqlite,
            format!("better-auth:sqlite:{}", path.display()),
        ),
        BetterAuthTarget::Postgres(url) => (
            Box::new(postgres::PostgresStore::connect(url)?),
            Dialect::Postgres,
            format!("better-auth:{}", crate::redact_spec(url)),
        ),
    };
    let plan = SchemaPlan::new(dialect, &store.inspect()?);
    Ok((store, plan, description))
}

/// `--from better-auth:…`, parsed.
#[derive(Debug)]
struct BetterAuthSourcePlan {
    database: BetterAuthTarget,
    secrets: AppSecrets,
}

fn parse_source(spec: &Spec<'_>) -> Result<Box<dyn crate::registry::SourcePlan>, SpecError> {
    Ok(Box::new(BetterAuthSourcePlan {
        database: parse_database(spec)?,
        secrets: AppSecrets::from_spec(spec)?,
    }))
}

impl crate::registry::SourcePlan for BetterAuthSourcePlan {
    fn open(&self) -> Result<Box<dyn authferry_core::Source>, SpecError> {
        let label = self.database.label();
        if let BetterAuthTarget::Sqlite(p) = &self.database
            && !p.exists()
        {
            return Err(SpecError::open(&label, "no such file"));
        }
        let (store, plan, description) =
            open_store(&self.database).map_err(|e| SpecError::open(&label, e))?;
        source::BetterAuthSource::new(description, store, &plan, self.secrets.crypto())
            .map(|s| Box::new(s) as Box<dyn authferry_core::Source>)
            .map_err(|e| SpecError::open(&label, e))
    }

    fn refuse(&self, target: &dyn SinkPlan) -> Option<String> {
        let target: &dyn std::any::Any = target;
        let target = target.downcast_ref::<BetterAuthPlan>()?;
        self.database.same_as(&target.target).then(|| {
            "--from and --to name the same Better Auth database: a migration reads one and writes \
             another"
                .to_string()
        })
    }
}

fn parse_target(spec: &Spec<'_>) -> Result<Box<dyn SinkPlan>, SpecError> {
    let target = parse_database(spec)?;
    let secrets = AppSecrets::from_spec(spec)?;
    let options = BetterAuthOptions {
        versioned_secrets: secrets.versioned,
        secret: secrets.secret,
        backup_codes_out: spec.flag(BACKUP_CODES_OUT.name).map(PathBuf::from),
        temp_email: spec
            .flag(TEMP_EMAIL.name)
            .map(TempEmail::parse)
            .transpose()
            .map_err(SpecError::Usage)?,
    };
    Ok(Box::new(BetterAuthPlan { target, options }))
}

impl SinkPlan for BetterAuthPlan {
    fn open(&self) -> Result<Box<dyn Sink>, SpecError> {
        let label = self.target.label();
        BetterAuthSink::open(self.target.clone(), self.options.clone())
            .map(|s| Box::new(s) as Box<dyn Sink>)
            .map_err(|e| SpecError::open(&label, e))
    }
}

#[derive(Clone)]
pub enum BetterAuthTarget {
    Sqlite(PathBuf),
    /// A `postgres://` URL (it may carry a password: never printed as is).
    Postgres(String),
}

impl BetterAuthTarget {
    /// As a spec (shown through [`SpecError::open`], which masks a URL's password).
    fn label(&self) -> String {
        match self {
            BetterAuthTarget::Sqlite(p) => format!("better-auth:sqlite:{}", p.display()),
            BetterAuthTarget::Postgres(url) => format!("better-auth:{url}"),
        }
    }

    /// Whether two specs name one database (one file, or one URL).
    fn same_as(&self, other: &BetterAuthTarget) -> bool {
        match (self, other) {
            (BetterAuthTarget::Sqlite(a), BetterAuthTarget::Sqlite(b)) => {
                a == b
                    || matches!(
                        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
                        (Ok(x), Ok(y)) if x == y
                    )
            }
            (BetterAuthTarget::Postgres(a), BetterAuthTarget::Postgres(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Debug for BetterAuthTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BetterAuthTarget::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            BetterAuthTarget::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&crate::redact_spec(url))
                .finish(),
        }
    }
}

#[derive(Clone)]
pub struct BetterAuthOptions {
    /// BETTER_AUTH_SECRET of the app: two-factor secrets and backup codes are encrypted with
    /// it. Needed only when users have TOTP secrets.
    pub secret: Option<String>,
    /// BETTER_AUTH_SECRETS of the app (version, secret), the first current: when set, values
    /// are written under it in better-auth's `$ba$<version>$` envelope, and `secret` only
    /// reads bare values (better-auth's legacy secret).
    pub versioned_secrets: Option<Vec<(u32, String)>>,
    /// Where the backup codes authferry generates are delivered (NDJSON, 0600).
    pub backup_codes_out: Option<PathBuf>,
    /// Phone-only users' email (`--temp-email`); [`TempEmail::DEFAULT`] when `None`.
    pub temp_email: Option<TempEmail>,
}

impl std::fmt::Debug for BetterAuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BetterAuthOptions")
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field(
                "versioned_secrets",
                &self
                    .versioned_secrets
                    .as_ref()
                    .map(|v| v.iter().map(|(n, _)| *n).collect::<Vec<_>>()),
            )
            .field("backup_codes_out", &self.backup_codes_out)
            .field("temp_email", &self.temp_email)
            .finish()
    }
}

/// What this run wrote, for the closing notes.
#[derive(Default)]
struct Written {
    /// Users written with a digest better-auth does not verify by itself, by format.
    foreign_digests: BTreeMap<&'static str, u64>,
    two_factor: u64,
    /// Users given backup codes authferry generated, and how many of those went to the file.
    generated_codes: u64,
    delivered_codes: u64,
    /// Phone-only users written with a temporary email, and seen by a plan's lookups.
    temp_emails: u64,
    planned_temp_emails: u64,
    /// Usernames written that better-auth's default validator refuses at sign-in.
    unusable_usernames: u64,
}

/// better-auth's default `usernameValidator` (`^[a-zA-Z0-9_.]+$`) and length limits (3 to 30),
/// which the username plugin applies to the sign-in input before its lookup.
fn passes_default_username_rules(username: &str) -> bool {
    (3..=30).contains(&username.chars().count())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

pub struct BetterAuthSink {
    description: String,
    store: Box<dyn Store>,
    plan: SchemaPlan,
    prepared: bool,
    /// Shared with the mapping thread of `write_stream`.
    crypto: Option<std::sync::Arc<TwoFactorCrypto>>,
    backup_codes_out: Option<PathBuf>,
    codes_file: Option<File>,
    /// Phone-only users' email; `None` when the target has no `user.phoneNumber` column
    /// (such users then fail: there is nowhere to keep their number).
    temp_email: Option<TempEmail>,
    /// `createdAt` for records without one when called outside the engine (which fills it
    /// from the journal's start, so that resumed runs write the same value).
    fallback_created: Timestamp,
    written: Written,
}

impl BetterAuthSink {
    /// Connects and reads the schema; changes nothing (a SQLite file is not created until
    /// `prepare`), so `plan` can use it.
    pub fn open(target: BetterAuthTarget, opts: BetterAuthOptions) -> Result<Self, SinkError> {
        let (store, plan, description) = open_store(&target)?;
        let temp_email = plan
            .writes_user("phoneNumber")
            .then(|| opts.temp_email.unwrap_or_default());
        Ok(BetterAuthSink {
            description,
            store,
            plan,
            prepared: false,
            crypto: AppSecrets {
                secret: opts.secret.clone(),
                versioned: opts.versioned_secrets.clone(),
            }
            .crypto()
            .map(std::sync::Arc::new),
            backup_codes_out: opts.backup_codes_out,
            codes_file: None,
            temp_email,
            fallback_created: Timestamp::now(),
            written: Written::default(),
        })
    }

    fn codes_file(&mut self) -> Result<Option<&mut File>, SinkError> {
        let Some(path) = &self.backup_codes_out else {
            return Ok(None);
        };
        if self.codes_file.is_none() {
            // Appended to, so that a resumed run adds the codes of the batches it redoes.
            let file = authferry_core::io::open_private(
                path,
                std::fs::OpenOptions::new().append(true).create(true),
            )
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("--backup-codes-out {}: {e}", path.display()),
                )
            })?;
            self.codes_file = Some(file);
        }
        Ok(self.codes_file.as_mut())
    }

    /// After the batch committed: counts what was written and hands out generated backup
    /// codes, for the users written now and for those already written by an earlier run (so a
    /// resumed run, or a re-run with `--backup-codes-out`, delivers them). The codes are random,
    /// so they are always read back from the target: what is stored is what users can redeem.
    fn after_commit(
        &mut self,
        mapped: &[Result<UserRows, Reason>],
        outcomes: &[WriteOutcome],
    ) -> Result<(), SinkError> {
        let mut holders: Vec<&UserRows> = Vec::new();
        for (rows, outcome) in mapped.iter().zip(outcomes) {
            let Ok(rows) = rows else { continue };
            match outcome {
                WriteOutcome::Migrated { .. } => {
                    if let Some(f) = rows
                        .digest_format
                        .filter(|f| *f != Format::BetterAuthScrypt)
                    {
                        *self.written.foreign_digests.entry(f.name()).or_insert(0) += 1;
                    }
                    if rows.two_factor.is_some() {
                        self.written.two_factor += 1;
                    }
                    if self.plan.writes_user("username")
                        && rows
                            .identity
                            .username
                            .as_deref()
                            .is_some_and(|u| !passes_default_username_rules(u))
                    {
                        self.written.unusable_usernames += 1;
                    }
                    if rows.generated_backup_codes {
                        self.written.generated_codes += 1;
                        holders.push(rows);
                    }
                    if rows.identity.temp_email {
                        self.written.temp_emails += 1;
                    }
                }
                WriteOutcome::AlreadyPresent { .. } if rows.generated_backup_codes => {
                    holders.push(rows)
                }
                _ => {}
            }
        }
        if self.backup_codes_out.is_none() || holders.is_empty() {
            return Ok(());
        }
        let Some(crypto) = self.crypto.as_ref() else {
            return Ok(());
        };
        let ids: Vec<&str> = holders.iter().map(|r| r.identity.id.as_str()).collect();
        let stored = self.store.stored_backup_codes(&ids)?;
        let mut lines = String::new();
        let mut count = 0u64;
        for rows in &holders {
            // Only rows authferry wrote: codes the user set up in the app since are theirs.
            let codes = stored
                .get(&rows.identity.id)
                .and_then(|s| crypto.our_plaintext(&rows.identity.id, "backupCodes", s))
                .and_then(|plain| two_factor::parse_backup_codes(&plain));
            let Some(codes) = codes else { continue };
            let codes: Vec<&str> = codes.iter().map(authferry_core::Secret::expose).collect();
            let line = serde_json::json!({
                "source_id": rows.identity.id,
                "email": rows.identity.email,
                "backup_codes": codes,
            });
            lines.push_str(&line.to_string());
            lines.push('\n');
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        if let Some(file) = self.codes_file()? {
            file.write_all(lines.as_bytes())?;
            file.sync_data()?;
            self.written.delivered_codes += count;
        }
        Ok(())
    }
}

impl Sink for BetterAuthSink {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn capabilities(&self) -> SinkCapabilities {
        let mut requirements = vec![match self.temp_email {
            Some(_) => Requirement::NeedsOneOf(
                vec![Field::PrimaryEmail, Field::PrimaryPhone],
                mapping::email_requirement(true),
            ),
            None => Requirement::Needs(Field::PrimaryEmail, mapping::email_requirement(false)),
        }];
        if self.plan.holds_totp() && self.crypto.is_none() {
            requirements.push(Requirement::Refuses(
                Field::TotpSecret,
                mapping::secret_requirement(),
            ));
        }
        SinkCapabilities {
            holds: self.plan.holds(),
            password_target: PASSWORD,
            requirements,
        }
    }

    fn instance(&mut self) -> Option<String> {
        self.store.instance()
    }

    fn prepare(&mut self) -> Result<(), SinkError> {
        // The backup-codes file is opened before anything is written: a path that cannot be
        // written is said now, not after the target holds users whose codes it should list.
        self.codes_file()?;
        // Several runs sharing a journal start together: when another one created the tables
        // between this one's inspection and its creation, inspect again.
        let mut attempt = 0;
        loop {
            // Read again: the schema may have changed since `open`.
            let inspected = self.store.inspect()?;
            let plan = SchemaPlan::new(self.plan.dialect, &inspected);
            if let Some(problem) = &plan.problem {
                return Err(SinkError::Schema(format!(
                    "{problem} (compared with what better-auth 1.7.25 creates)"
                )));
            }
            match self.store.create_tables(&plan.create_statements()) {
                Ok(()) => {
                    self.plan = plan.after_creation();
                    self.prepared = true;
                    return Ok(());
                }
                Err(_) if attempt == 0 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    fn find_existing(&mut self, users: &[&User]) -> Result<Vec<Option<Existing>>, SinkError> {
        if let Some(problem) = &self.plan.problem {
            return Err(SinkError::Schema(problem.clone()));
        }
        let identities: Vec<Option<Identity>> = users
            .iter()
            .map(|u| Identity::of(u, self.temp_email.as_ref()))
            .collect();
        self.written.planned_temp_emails +=
            identities.iter().flatten().filter(|i| i.temp_email).count() as u64;
        if self.plan.create.iter().any(|t| t.name == schema::USER.name) {
            // No `user` table yet: nothing is taken.
            return Ok(vec![None; users.len()]);
        }
        let keys = LookupKeys::new(identities.iter().flatten(), &self.plan);
        let taken = self.store.lookup(&keys)?;
        Ok(identities
            .iter()
            .map(|i| i.as_ref().and_then(|i| taken.existing(i)))
            .collect())
    }

    fn write_batch(&mut self, batch: &[WriteItem<'_>]) -> Result<Vec<WriteOutcome>, SinkError> {
        if !self.prepared {
            return Err(SinkError::Config(
                "the Better Auth target was not prepared (prepare() runs before write_batch)"
                    .into(),
            ));
        }
        let cx = MappingContext {
            crypto: self.crypto.as_deref(),
            temp_email: self.temp_email.as_ref(),
            holds_totp: self.plan.holds_totp(),
            fallback_created: self.fallback_created,
        };
        let mapped: Vec<Result<UserRows, Reason>> = batch
            .iter()
            .map(|item| mapping::map_user(item.user, &cx))
            .collect();
        self.write_mapped(batch, mapped)
    }

    /// Maps batch N+1 (rows, two-factor encryption) on a thread of its own while batch N is
    /// written, so that the database is not left waiting for the next rows.
    fn write_stream(
        &mut self,
        work: std::sync::mpsc::Receiver<Work>,
        answers: std::sync::mpsc::Sender<authferry_core::Answer>,
    ) {
        if !self.prepared {
            return authferry_core::traits::answer_each(work, answers, |_| {
                Err(SinkError::Config(
                    "the Better Auth target was not prepared (prepare() runs before write_batch)"
                        .into(),
                ))
            });
        }
        // Shared with the mapping thread for the run; everything else stays with the writer.
        let crypto = self.crypto.clone();
        let (holds_totp, fallback_created) = (self.plan.holds_totp(), self.fallback_created);
        let temp_email = self.temp_email.clone();
        std::thread::scope(|scope| {
            let (to_writer, mapped_work) = std::sync::mpsc::sync_channel(1);
            let crypto = crypto.as_deref();
            let temp_email = temp_email.as_ref();
            scope.spawn(move || {
                let cx = MappingContext {
                    crypto,
                    temp_email,
                    holds_totp,
                    fallback_created,
                };
                for w in work {
                    let mapped: Vec<Result<UserRows, Reason>> = match &w {
                        Work::Write(batch) => batch
                            .iter()
                            .map(|q| mapping::map_user(&q.user, &cx))
                            .collect(),
                        Work::Settle(_) => Vec::new(),
                    };
                    if to_writer.send((w, mapped)).is_err() {
                        break;
                    }
                }
            });
            for (w, mapped) in mapped_work {
                let answer = match &w {
                    Work::Write(batch) if batch.is_empty() => Ok(Vec::new()),
                    Work::Write(batch) => self
                        .write_mapped(&authferry_core::traits::write_items(batch), mapped)
                        .map(|outcomes| authferry_core::traits::acks(batch, outcomes)),
                    Work::Settle(_) => Ok(Vec::new()),
                };
                let failed = answer.is_err();
                if answers.send(answer).is_err() || failed {
                    break;
                }
            }
        });
    }

    fn pipeline_depth(&self) -> usize {
        // One batch mapped while the one before is written.
        2
    }

    fn plan_notes(&mut self) -> Vec<String> {
        self.temp_email_note("would get", self.written.planned_temp_emails)
            .into_iter()
            .collect()
    }

    fn finish(&mut self) -> Result<Vec<String>, SinkError> {
        self.finish_notes()
    }
}

impl BetterAuthSink {
    /// Writes a mapped batch: lookups where needed, the inserts, the commit, then the
    /// after-commit bookkeeping (counts, generated backup codes).
    fn write_mapped(
        &mut self,
        batch: &[WriteItem<'_>],
        mapped: Vec<Result<UserRows, Reason>>,
    ) -> Result<Vec<WriteOutcome>, SinkError> {
        let keys = LookupKeys::new(
            mapped.iter().flatten().map(|rows| &rows.identity),
            &self.plan,
        );
        let columns = WriteColumns::from(&self.plan);
        let outcomes = self.store.write(&keys, &columns, &mut |taken| {
            store::decide(batch, &mapped, taken)
        })?;
        self.after_commit(&mapped, &outcomes)?;
        Ok(outcomes)
    }

    /// How many phone-only users get a temporary email, and the `getTempEmail` the app needs.
    fn temp_email_note(&self, verb: &str, users: u64) -> Option<String> {
        let temp = self.temp_email.as_ref()?;
        (users > 0).then(|| {
            format!(
                "{} phone-only users {verb} a temporary email ({}) and sign in with their phone \
                 number and password (the phoneNumber plugin's /sign-in/phone-number); give the app \
                 the same addresses for new phone sign-ups: phoneNumber({{ signUpOnVerification: \
                 {{ getTempEmail: {} }} }})",
                users,
                temp.template(),
                temp.js()
            )
        })
    }

    fn finish_notes(&mut self) -> Result<Vec<String>, SinkError> {
        let mut notes = self.store.finish()?;
        notes.extend(self.temp_email_note("got", self.written.temp_emails));
        let w = &self.written;
        if !w.foreign_digests.is_empty() {
            let formats: Vec<String> = w
                .foreign_digests
                .iter()
                .map(|(format, n)| format!("{n} {format}"))
                .collect();
            notes.push(format!(
                "password digests better-auth does not verify by itself were written ({}): run \
                 `authferry emit better-auth-verify --out auth-verify.mjs` and pass its exports as \
                 better-auth's `emailAndPassword.password` option (`password: {{ hash, verify }}`, \
                 see the file's header), or these users cannot sign in with their password",
                formats.join(", ")
            ));
        }
        if w.two_factor > 0 {
            notes.push(match self.crypto.as_ref().and_then(|c| c.version()) {
                Some(v) => format!(
                    "{} users' two-factor secrets and backup codes are encrypted with version {v} of \
                     BETTER_AUTH_SECRETS: the app must keep that version among its secrets, or \
                     their codes are refused",
                    w.two_factor
                ),
                None => format!(
                    "{} users' two-factor secrets and backup codes are encrypted with BETTER_AUTH_SECRET: \
                     the app must run with the same secret, or their codes are refused",
                    w.two_factor
                ),
            });
        }
        if w.unusable_usernames > 0 {
            notes.push(format!(
                "{} usernames do not pass better-auth's default username rules (3 to 30 characters \
                 from a-z, A-Z, 0-9, `_` and `.`): those users cannot sign in by username unless the \
                 app's username plugin sets `usernameValidator` (and `minUsernameLength`/`maxUsernameLength`)",
                w.unusable_usernames
            ));
        }
        match &self.backup_codes_out {
            Some(path) if w.delivered_codes > 0 => notes.push(format!(
                "{} users' two-factor backup codes, generated by authferry (the source had none), \
                 are in {} (owner-only): hand each user their own, then delete the file",
                w.delivered_codes,
                path.display()
            )),
            None if w.generated_codes > 0 => notes.push(format!(
                "{} users got new two-factor backup codes (the source had none), delivered nowhere: \
                 `--backup-codes-out FILE` delivers them (running the same migration again with it and \
                 a new `--journal` writes them out without changing the target, as long as \
                 BETTER_AUTH_SECRET is the same)",
                w.generated_codes
            )),
            _ => {}
        }
        if let Some(file) = &self.codes_file {
            file.sync_all()?;
        }
        Ok(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_rules_are_better_auths_defaults() {
        assert!(passes_default_username_rules("ada.l_99"));
        assert!(!passes_default_username_rules("ada-l"));
        assert!(!passes_default_username_rules("ab"));
        assert!(!passes_default_username_rules(&"a".repeat(31)));
        assert!(!passes_default_username_rules("adé"));
    }
}
