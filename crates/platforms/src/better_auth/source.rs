//! A Better Auth database as a source, so that people can leave Better Auth again: users by
//! id in pages, with their credential and OAuth accounts and their two-factor rows, decrypted
//! with the app's secret. The inverse of [`mapping`](super::mapping): what the sink writes,
//! this reads back into the same canonical user.

use super::mapping::TempEmail;
use super::schema::{
    ACCOUNT, ACCOUNT_WRITES, Kind, SchemaPlan, TWO_FACTOR, TWO_FACTOR_WRITES, Table, USER,
    USER_WRITES,
};
use super::store::{RowFilter, Store, TextQuery};
use super::two_factor::{self, TOTP_PREFIX, TwoFactorCrypto};
use authferry_core::io::ByteProgress;
use authferry_core::{
    EmailAddress, ExternalAccount, PasswordCredential, PhoneNumber, RecordError, Secret, Source,
    Timestamp, User,
};
use std::collections::{HashMap, VecDeque};

/// Users read per query (their accounts and two-factor rows follow in one query each).
const PAGE: usize = 1000;

/// One table's rows as text, by column name.
struct Rows {
    names: Vec<&'static str>,
    rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    fn cell<'r>(&self, row: &'r [Option<String>], name: &str) -> Option<&'r str> {
        rows_cell(&self.names, row, name)
    }
}

fn rows_cell<'r>(names: &[&str], row: &'r [Option<String>], name: &str) -> Option<&'r str> {
    let i = names.iter().position(|n| *n == name)?;
    row.get(i)?.as_deref()
}

/// The columns of `table` among `writes` that the database has (by the schema plan).
fn readable(
    table: &Table,
    writes: &[&'static str],
    present: &[usize],
) -> Vec<(&'static str, Kind)> {
    present
        .iter()
        .filter_map(|&i| {
            let name = writes[i];
            table
                .columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| (name, c.kind))
        })
        .collect()
}

pub struct BetterAuthSource {
    description: String,
    store: Box<dyn Store>,
    user_columns: Vec<(&'static str, Kind)>,
    account_columns: Vec<(&'static str, Kind)>,
    two_factor_columns: Vec<(&'static str, Kind)>,
    crypto: Option<TwoFactorCrypto>,
    /// Phone-only users carry the phoneNumber plugin's made-up email: recognised by the
    /// default template, so that it does not travel as a real address.
    temp_email: TempEmail,
    after: Option<String>,
    ready: VecDeque<Result<User, RecordError>>,
    done: bool,
}

impl BetterAuthSource {
    pub(crate) fn new(
        description: String,
        store: Box<dyn Store>,
        plan: &SchemaPlan,
        crypto: Option<TwoFactorCrypto>,
    ) -> Result<Self, String> {
        if plan.create.iter().any(|t| t.name == USER.name) {
            return Err("the database has no Better Auth `user` table".into());
        }
        if let Some(problem) = &plan.problem {
            return Err(problem.clone());
        }
        let account_columns = if plan.create.iter().any(|t| t.name == ACCOUNT.name) {
            Vec::new()
        } else {
            readable(&ACCOUNT, &ACCOUNT_WRITES, &plan.account_columns)
        };
        let two_factor_columns = if plan.create.iter().any(|t| t.name == TWO_FACTOR.name) {
            Vec::new()
        } else {
            readable(&TWO_FACTOR, &TWO_FACTOR_WRITES, &plan.two_factor_columns)
        };
        Ok(BetterAuthSource {
            description,
            store,
            user_columns: readable(&USER, &USER_WRITES, &plan.user_columns),
            account_columns,
            two_factor_columns,
            crypto,
            temp_email: TempEmail::default(),
            after: None,
            ready: VecDeque::new(),
            done: false,
        })
    }

    fn read(
        &mut self,
        table: &'static str,
        columns: &[(&'static str, Kind)],
        rows: RowFilter<'_>,
    ) -> Result<Rows, RecordError> {
        let query = TextQuery {
            table,
            columns: columns.to_vec(),
            rows,
        };
        let rows = self
            .store
            .read_text(&query)
            .map_err(|e| RecordError::fatal(format!("cannot read {}: {e}", self.description)))?;
        Ok(Rows {
            names: columns.iter().map(|(n, _)| *n).collect(),
            rows,
        })
    }

    /// The rows of `table` belonging to `ids`, by user (none when the table is absent).
    fn read_of_users(
        &mut self,
        table: &'static str,
        columns: &[(&'static str, Kind)],
        ids: &[String],
    ) -> Result<Grouped, RecordError> {
        let mut grouped = Grouped {
            names: columns.iter().map(|(n, _)| *n).collect(),
            groups: HashMap::new(),
        };
        if columns.is_empty() {
            return Ok(grouped);
        }
        let rows = self.read(table, columns, RowFilter::OfUsers(ids))?;
        for row in rows.rows {
            if let Some(u) = rows_cell(&grouped.names, &row, "userId").map(str::to_owned) {
                grouped.groups.entry(u).or_default().push(row);
            }
        }
        Ok(grouped)
    }

    /// Reads the next page of users with their accounts and two-factor rows.
    fn fill(&mut self) -> Result<(), RecordError> {
        let columns = self.user_columns.clone();
        let after = self.after.clone();
        let users = self.read(
            USER.name,
            &columns,
            RowFilter::Page {
                after: after.as_deref(),
                limit: PAGE,
            },
        )?;
        if users.rows.len() < PAGE {
            self.done = true;
        }
        let ids: Vec<String> = users
            .rows
            .iter()
            .filter_map(|r| users.cell(r, "id").map(str::to_owned))
            .collect();
        let Some(last) = ids.last() else {
            return Ok(());
        };
        self.after = Some(last.clone());
        let account_columns = self.account_columns.clone();
        let accounts = self.read_of_users(ACCOUNT.name, &account_columns, &ids)?;
        let two_factor_columns = self.two_factor_columns.clone();
        let two_factor = self.read_of_users(TWO_FACTOR.name, &two_factor_columns, &ids)?;
        for row in &users.rows {
            self.ready
                .push_back(self.user(&users, row, &accounts, &two_factor));
        }
        Ok(())
    }

    fn user(
        &self,
        users: &Rows,
        row: &[Option<String>],
        accounts: &Grouped,
        two_factor: &Grouped,
    ) -> Result<User, RecordError> {
        let id = users.cell(row, "id").unwrap_or_default().to_owned();
        let invalid = |field: &str, message: String| {
            RecordError::invalid(Some(id.clone()), Some(field), message)
        };
        let text = |name: &str| {
            users
                .cell(row, name)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let flag = |name: &str| users.cell(row, name).is_some_and(truthy);
        let time = |name: &str, field: &str| -> Result<Option<Timestamp>, RecordError> {
            users
                .cell(row, name)
                .map(|t| {
                    timestamp(t).ok_or_else(|| {
                        invalid(field, format!("`{name}` is not a date the source can read"))
                    })
                })
                .transpose()
        };
        let phone = text("phoneNumber");
        let email = text("email");
        // The phoneNumber plugin's made-up address is no address of the user's.
        let temp = match (&email, &phone) {
            (Some(e), Some(p)) => e.eq_ignore_ascii_case(&self.temp_email.for_phone(p)),
            _ => false,
        };
        let mut user = User {
            source_id: id.clone(),
            emails: email
                .filter(|_| !temp)
                .map(|address| EmailAddress {
                    address,
                    verified: flag("emailVerified"),
                    primary: true,
                })
                .into_iter()
                .collect(),
            phones: phone
                .map(|number| PhoneNumber {
                    number,
                    verified: flag("phoneNumberVerified"),
                    primary: true,
                })
                .into_iter()
                .collect(),
            // better-auth keeps the username lower-cased and the original in displayUsername.
            username: text("displayUsername").or_else(|| text("username")),
            // One `name`: whatever the user called themselves, kept whole.
            display_name: text("name"),
            image_url: text("image"),
            created_at: time("createdAt", "created_at")?,
            updated_at: time("updatedAt", "updated_at")?,
            banned: flag("banned"),
            ..Default::default()
        };
        if let Some(role) = text("role").filter(|r| r != "user") {
            // The admin plugin's role: no canonical field, kept where the app's own data goes.
            user.private_metadata = Some(serde_json::json!({ "better_auth_role": role }));
        }
        for account in accounts.of(&id) {
            let cell = |name: &str| {
                accounts
                    .cell(account, name)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let provider = cell("providerId").unwrap_or_default();
            if provider == "credential" {
                if let Some(digest) = cell("password") {
                    user.password = Some(PasswordCredential {
                        // better-auth's own scrypt is named; anything else a migration wrote
                        // (bcrypt, argon2 …) is recognised by its shape, as it was written.
                        hasher: authferry_hash::identify(digest, None)
                            .ok()
                            .filter(|i| i.format == authferry_hash::Format::BetterAuthScrypt)
                            .map(|i| i.format.name().to_string()),
                        digest: Secret::new(digest),
                        params: Default::default(),
                    });
                }
                continue;
            }
            let Some(account_id) = cell("accountId") else {
                continue;
            };
            user.external_accounts.push(ExternalAccount {
                provider: provider.to_owned(),
                provider_user_id: account_id.to_owned(),
                email: None,
                scopes: cell("scope")
                    .map(|s| {
                        s.split([',', ' '])
                            .filter(|x| !x.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                created_at: cell("createdAt").and_then(timestamp),
                updated_at: cell("updatedAt").and_then(timestamp),
            });
        }
        if flag("twoFactorEnabled")
            && let Some(tf) = two_factor.of(&id).first()
        {
            let crypto = self.crypto.as_ref().ok_or_else(|| {
                invalid(
                    "totp_secret",
                    "the user has two-factor authentication: BETTER_AUTH_SECRET (or \
                     BETTER_AUTH_SECRETS) is needed to read it"
                        .into(),
                )
            })?;
            let open = |name: &str, field: &str| -> Result<Option<Secret>, RecordError> {
                two_factor
                    .cell(tf, name)
                    .map(|stored| {
                        crypto.decrypt(stored).ok_or_else(|| {
                            invalid(
                                field,
                                format!(
                                    "twoFactor.{name} does not decrypt with the given secret (another \
                                     BETTER_AUTH_SECRET, or a retired version?)"
                                ),
                            )
                        })
                    })
                    .transpose()
            };
            if let Some(secret) = open("secret", "totp_secret")? {
                user.totp_secret = Some(totp_base32(&secret));
            }
            if let Some(codes) = open("backupCodes", "backup_codes")? {
                user.backup_codes = two_factor::parse_backup_codes(&codes).ok_or_else(|| {
                    invalid(
                        "backup_codes",
                        "twoFactor.backupCodes is not a list of codes".into(),
                    )
                })?;
            }
        }
        Ok(user)
    }
}

/// Rows of a table grouped by user id.
struct Grouped {
    names: Vec<&'static str>,
    groups: HashMap<String, Vec<Vec<Option<String>>>>,
}

impl Grouped {
    fn of(&self, user: &str) -> &[Vec<Option<String>>] {
        self.groups.get(user).map(Vec::as_slice).unwrap_or_default()
    }
    fn cell<'r>(&self, row: &'r [Option<String>], name: &str) -> Option<&'r str> {
        rows_cell(&self.names, row, name)
    }
}

fn truthy(text: &str) -> bool {
    matches!(text.trim(), "true" | "1" | "t")
}

/// RFC 3339 text, or the milliseconds since the epoch a SQLite database may hold.
fn timestamp(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok().map(Timestamp::from_millis);
    }
    Timestamp::parse_rfc3339(t).or_else(|| Timestamp::parse_loose(t))
}

/// A decrypted `twoFactor.secret` as a base32 TOTP secret: an imported one is stored as
/// `base32:<secret>`; one better-auth generated is a plain string whose UTF-8 bytes are the
/// HMAC key (`createOTP(secret)`), which base32 writes out.
fn totp_base32(plain: &Secret) -> Secret {
    match plain.expose().strip_prefix(TOTP_PREFIX) {
        Some(b32) => Secret::new(b32),
        None => Secret::new(data_encoding::BASE32_NOPAD.encode(plain.expose().as_bytes())),
    }
}

impl Source for BetterAuthSource {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn id_space(&self) -> Option<&'static str> {
        Some("better-auth")
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        loop {
            if let Some(next) = self.ready.pop_front() {
                return Some(next);
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }

    fn progress(&self) -> Option<ByteProgress> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_both_databases_forms() {
        let iso = timestamp("2024-01-02T03:04:05.678Z").unwrap();
        assert_eq!(timestamp(&iso.millis().to_string()), Some(iso));
        assert!(timestamp("yesterday").is_none());
    }

    #[test]
    fn totp_secrets_imported_or_generated() {
        assert_eq!(
            totp_base32(&Secret::new("base32:JBSWY3DPEHPK3PXP")).expose(),
            "JBSWY3DPEHPK3PXP"
        );
        // better-auth's own: the string's bytes are the key.
        assert_eq!(totp_base32(&Secret::new("Hello!")).expose(), "JBSWY3DPEE");
    }
}
