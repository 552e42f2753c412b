//! What the SQLite and PostgreSQL stores share: the lookup of identifiers already taken, the
//! decision per record made from it (one function for `write_batch` and `find_existing`), and
//! the contract each store implements.

use super::mapping::{Identity, UserRows};
use super::schema::{Inspected, SchemaPlan};
use authferry_core::{Existing, Reason, ReasonCode, SinkError, WriteItem, WriteOutcome};
use std::collections::HashMap;

/// The identifiers of a batch, as stored in the target.
#[derive(Debug, Default)]
pub(crate) struct LookupKeys {
    pub ids: Vec<String>,
    pub emails: Vec<String>,
    pub usernames: Vec<String>,
    pub phones: Vec<String>,
}

impl LookupKeys {
    pub fn new<'a>(identities: impl Iterator<Item = &'a Identity>, plan: &SchemaPlan) -> Self {
        let mut keys = LookupKeys::default();
        let usernames = plan.writes_user("username");
        let phones = plan.writes_user("phoneNumber");
        for i in identities {
            keys.ids.push(i.id.clone());
            keys.emails.push(i.email.clone());
            if let (true, Some(u)) = (usernames, &i.username) {
                keys.usernames.push(u.clone());
            }
            if let (true, Some(p)) = (phones, &i.phone) {
                keys.phones.push(p.clone());
            }
        }
        keys
    }
}

/// Rows already in the target that hold one of the batch's identifiers.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    /// user id → its email.
    pub ids: HashMap<String, String>,
    /// email → user id, and the same for usernames and phone numbers.
    pub emails: HashMap<String, String>,
    pub usernames: HashMap<String, String>,
    pub phones: HashMap<String, String>,
}

impl Taken {
    /// The first identifier of `identity` already in the target: the id, then the email, the
    /// username and the phone number.
    pub fn existing(&self, identity: &Identity) -> Option<Existing> {
        if self.ids.contains_key(&identity.id) {
            return Some(Existing {
                target_id: identity.id.clone(),
                same_id: true,
                identifier: "id",
            });
        }
        let other = |map: &HashMap<String, String>, key: Option<&String>, identifier| {
            key.and_then(|k| map.get(k)).map(|holder| Existing {
                target_id: holder.clone(),
                same_id: *holder == identity.id,
                identifier,
            })
        };
        other(&self.emails, Some(&identity.email), "email")
            .or_else(|| other(&self.usernames, identity.username.as_ref(), "username"))
            .or_else(|| other(&self.phones, identity.phone.as_ref(), "phone"))
    }

    fn claim(&mut self, identity: &Identity) {
        self.ids.insert(identity.id.clone(), identity.email.clone());
        self.emails
            .insert(identity.email.clone(), identity.id.clone());
        if let Some(u) = &identity.username {
            self.usernames.insert(u.clone(), identity.id.clone());
        }
        if let Some(p) = &identity.phone {
            self.phones.insert(p.clone(), identity.id.clone());
        }
    }
}

/// A read for the Better Auth source: `columns` of `table` as text — booleans `true`/`false`,
/// dates RFC 3339 in UTC (or the milliseconds a SQLite database may hold), so that one mapping
/// serves both databases.
pub(crate) struct TextQuery<'a> {
    pub table: &'static str,
    pub columns: Vec<(&'static str, super::schema::Kind)>,
    pub rows: RowFilter<'a>,
}

pub(crate) enum RowFilter<'a> {
    /// The first `limit` rows by `id` after `after` (keyset paging).
    Page {
        after: Option<&'a str>,
        limit: usize,
    },
    /// Every row whose `userId` is one of these.
    OfUsers(&'a [String]),
}

/// What to do with one record of a batch.
pub(crate) enum Decision<'a> {
    Insert(&'a UserRows),
    Done(WriteOutcome),
}

/// The decision for every record of a batch, in order, from the rows already in the target.
/// Identifiers taken by an earlier record of the same batch count as taken, so that the
/// inserts cannot conflict with each other.
pub(crate) fn decide<'a>(
    items: &[WriteItem<'_>],
    mapped: &'a [Result<UserRows, Reason>],
    taken: &Taken,
) -> Vec<Decision<'a>> {
    let mut batch = Taken::default();
    items
        .iter()
        .zip(mapped)
        .map(|(item, rows)| {
            let rows = match rows {
                Ok(r) => r,
                Err(reason) => {
                    return Decision::Done(WriteOutcome::Failed {
                        reason: reason.clone(),
                    });
                }
            };
            let identity = &rows.identity;
            let skipped = |message: String, target_id: &str| {
                Decision::Done(WriteOutcome::Skipped {
                    reason: Reason::new(ReasonCode::ExistsInTarget, message),
                    target_id: Some(target_id.to_string()),
                })
            };
            if let Some(stored_email) = taken.ids.get(&identity.id) {
                let target_id = identity.id.clone();
                return if item.resumed {
                    // Our own write, committed before a crash left its outcome unknown.
                    Decision::Done(WriteOutcome::Migrated { target_id })
                } else if stored_email.to_lowercase() == identity.email {
                    Decision::Done(WriteOutcome::AlreadyPresent { target_id })
                } else {
                    skipped(
                        format!("id already in the target, as user {target_id} with another email"),
                        &identity.id,
                    )
                };
            }
            if let Some(e) = taken.existing(identity) {
                return skipped(
                    format!(
                        "{} already in the target as user {}",
                        e.identifier, e.target_id
                    ),
                    &e.target_id,
                );
            }
            if let Some(e) = batch.existing(identity) {
                return skipped(
                    format!(
                        "{} already taken by user {} earlier in this batch",
                        e.identifier, e.target_id
                    ),
                    &e.target_id,
                );
            }
            batch.claim(identity);
            Decision::Insert(rows)
        })
        .collect()
}

/// Which of the `*_WRITES` columns a store writes, by position.
pub(crate) struct WriteColumns<'a> {
    pub user: &'a [usize],
    pub account: &'a [usize],
    pub two_factor: &'a [usize],
    /// Every identifier the lookup checks has a unique constraint: an insert of a taken one
    /// fails, so inserts may be tried before any lookup.
    pub conflicts_fail_inserts: bool,
}

impl<'a> From<&'a SchemaPlan> for WriteColumns<'a> {
    fn from(plan: &'a SchemaPlan) -> Self {
        WriteColumns {
            user: &plan.user_columns,
            account: &plan.account_columns,
            two_factor: &plan.two_factor_columns,
            conflicts_fail_inserts: plan.unique_identifiers,
        }
    }
}

/// A database better-auth runs on.
pub(crate) trait Store: Send {
    /// The known tables and their columns, read-only.
    fn inspect(&mut self) -> Result<Inspected, SinkError>;
    /// Makes the target writable (SQLite: creates the file 0600) and runs `statements` in one
    /// transaction.
    fn create_tables(&mut self, statements: &[String]) -> Result<(), SinkError>;
    /// Read-only lookup of the rows holding `keys`.
    fn lookup(&mut self, keys: &LookupKeys) -> Result<Taken, SinkError>;
    /// Writes a batch in one transaction and returns one outcome per decision, in order.
    /// `decide` turns the rows already taken into what to do with each record; when
    /// `columns.conflicts_fail_inserts`, it may first be asked with nothing taken and the
    /// inserts tried without a lookup (an insert of a taken identifier then fails and the batch
    /// is redone after the lookup). A row the database refuses for a reason the lookup cannot
    /// foresee fails alone (`Failed { TargetRejected }`), the others are written.
    fn write<'m>(
        &mut self,
        keys: &LookupKeys,
        columns: &WriteColumns<'_>,
        decide: &mut dyn FnMut(&Taken) -> Vec<Decision<'m>>,
    ) -> Result<Vec<WriteOutcome>, SinkError>;
    /// `twoFactor.backupCodes` of these users, read-only (to hand out codes again).
    fn stored_backup_codes(
        &mut self,
        user_ids: &[&str],
    ) -> Result<HashMap<String, String>, SinkError>;
    /// Rows of a table for the Better Auth source, every value as text (see [`TextQuery`]).
    fn read_text(&mut self, query: &TextQuery<'_>) -> Result<Vec<Vec<Option<String>>>, SinkError>;
    /// Which database this is, for the journal (never a credential); `None` when it does not
    /// exist yet.
    fn instance(&mut self) -> Option<String>;
    /// After the last batch: durability and notes about the target itself.
    fn finish(&mut self) -> Result<Vec<String>, SinkError>;
}

/// A database's refusal of one row, fit for a report: quoted values (which may be anything the
/// record held) are cut out.
pub(crate) fn rejection(message: &str) -> Reason {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                out.push('…');
                quote = Some(c);
            }
            None => out.push(c),
        }
    }
    Reason::new(
        ReasonCode::TargetRejected,
        format!("the target refused the row: {}", out.trim()),
    )
}

/// The outcome of each decision once its inserts are committed; `refused(i)` gives the
/// database's refusal of the i-th record, if it refused it.
pub(crate) fn outcomes(
    decisions: Vec<Decision<'_>>,
    mut refused: impl FnMut(usize) -> Option<authferry_core::Reason>,
) -> Vec<WriteOutcome> {
    decisions
        .into_iter()
        .enumerate()
        .map(|(i, d)| match d {
            Decision::Done(outcome) => outcome,
            Decision::Insert(rows) => match refused(i) {
                Some(reason) => WriteOutcome::Failed { reason },
                None => WriteOutcome::Migrated {
                    target_id: rows.identity.id.clone(),
                },
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_cuts_quoted_values() {
        let r = rejection("invalid input syntax for type uuid: \"$2b$10$secret\"");
        assert!(!r.message.contains("secret"), "{}", r.message);
        assert!(r.message.contains("invalid input syntax"));
        assert_eq!(
            rejection("UNIQUE constraint failed: account.id").message,
            "the target refused the row: UNIQUE constraint failed: account.id"
        );
    }
}
