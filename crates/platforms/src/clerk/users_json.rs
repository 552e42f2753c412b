//! The `users.json` of Clerk's migration script (`clerk/migration-script`): a JSON array (or
//! NDJSON) of
//!
//! ```text
//! { "userId": "…", "email": "…", "firstName"?, "lastName"?, "password"?, "passwordHasher"? }
//! ```
//!
//! as its README documents, plus the fields its current schema accepts: `email`,
//! `emailAddresses`, `unverifiedEmailAddresses`, `phone`, `phoneNumbers` and
//! `unverifiedPhoneNumbers` (each one text or a list), `username`, `totpSecret`,
//! `backupCodes`, `publicMetadata`/`privateMetadata`/`unsafeMetadata`, `banned` and
//! `createdAt`. Everything else (Clerk-only settings such as `skipPasswordChecks`) is ignored.
//!
//! `userId` is the user's id in the system the file was made from; it becomes the source id.
//! The script creates every `email`/`emailAddresses`/`phone`/`phoneNumbers` entry verified and
//! makes the first one primary, and so does this reader.

use super::IdentifierList;
use super::json_fields::{JsonFields, kind_of};
use authferry_core::{PasswordCredential, RecordError, Secret, User};
use serde_json::Value;

/// The script's default when a password comes without `passwordHasher`.
const DEFAULT_HASHER: &str = "bcrypt";

super::json_object_source!(
    /// `--from clerk-users-json:PATH`: the migration script's `users.json`.
    ClerkUsersJsonSource, "clerk-users-json:{} (Clerk migration script users.json)", None, user_from_script_object);

pub(crate) fn user_from_script_object(position: u64, value: &Value) -> Result<User, RecordError> {
    let Value::Object(object) = value else {
        return Err(RecordError::invalid(
            None,
            None,
            format!(
                "record {position}: expected a user object, found {}",
                kind_of(value)
            ),
        ));
    };
    let source_id = JsonFields::new(object).id_text("userId")?.ok_or_else(|| {
        RecordError::invalid(
            None,
            Some("userId"),
            format!("record {position} has no userId"),
        )
    })?;
    let user = JsonFields::new(object).with_source_id(&source_id);

    let mut emails = IdentifierList::emails();
    let verified_emails = [
        user.text_or_texts("email")?,
        user.text_or_texts("emailAddresses")?,
    ];
    for (i, address) in verified_emails.iter().flatten().enumerate() {
        emails.add(address, true, i == 0);
    }
    for address in user.text_or_texts("unverifiedEmailAddresses")? {
        emails.add(&address, false, false);
    }

    let mut phones = IdentifierList::phones();
    let verified_phones = [
        user.text_or_texts("phone")?,
        user.text_or_texts("phoneNumbers")?,
    ];
    for (i, number) in verified_phones.iter().flatten().enumerate() {
        phones.add(number, true, i == 0);
    }
    for number in user.text_or_texts("unverifiedPhoneNumbers")? {
        phones.add(&number, false, false);
    }

    let password = match user.text("password")? {
        Some(digest) => Some(PasswordCredential {
            hasher: Some(
                user.text("passwordHasher")?
                    .unwrap_or_else(|| DEFAULT_HASHER.to_owned()),
            ),
            digest: Secret::new(digest),
            params: Default::default(),
        }),
        None => None,
    };

    Ok(User {
        emails: emails.into_emails(),
        phones: phones.into_phones(),
        username: user.text("username")?,
        first_name: user.text("firstName")?,
        last_name: user.text("lastName")?,
        password,
        totp_secret: user.text("totpSecret")?.map(Secret::new),
        backup_codes: user
            .text_or_texts("backupCodes")?
            .into_iter()
            .map(Secret::new)
            .collect(),
        public_metadata: user.metadata("publicMetadata")?,
        private_metadata: user.metadata("privateMetadata")?,
        unsafe_metadata: user.metadata("unsafeMetadata")?,
        created_at: user.millis("createdAt")?,
        banned: user.flag("banned")?.unwrap_or(false),
        source_id,
        ..Default::default()
    })
}
