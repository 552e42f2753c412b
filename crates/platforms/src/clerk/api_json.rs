//! User objects as Clerk's Backend API returns them (`GET /v1/users`, schema `User` of the
//! Backend API's OpenAPI spec): saved as a JSON array (one page, or pages concatenated into
//! one array), as NDJSON, or wrapped as `{"data": […]}` (what the Backend SDK's
//! `getUserList()` returns, `{"data": […], "totalCount": n}`, saved as it is).
//!
//! The API never returns password digests or TOTP secrets, so records from it carry neither;
//! its `password_enabled`/`totp_enabled`/`backup_code_enabled` flags say only that the user
//! had one, and are not read. Fields the canonical model has no place for (web3 wallets,
//! passkeys, SAML and enterprise accounts, organization memberships) are ignored, like any
//! field this reader does not know.

use super::json_fields::{JsonFields, kind_of};
use super::{IdentifierList, provider_without_prefix};
use authferry_core::{ExternalAccount, RecordError, Secret, User};
use serde_json::Value;

/// The list key of a wrapped page: `{"data": [users…], "totalCount": n}`.
const WRAPPER_KEY: &str = "data";

super::json_object_source!(
    /// `--from clerk-json:PATH`: Backend API user objects.
    ClerkApiJsonSource, "clerk-json:{} (Backend API users)", Some(WRAPPER_KEY), user_from_api_object);

/// One Backend API user object as a canonical user. `position` (from 1) names the record
/// when it has no usable id.
pub(crate) fn user_from_api_object(position: u64, value: &Value) -> Result<User, RecordError> {
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
    let source_id = JsonFields::new(object).id_text("id")?.ok_or_else(|| {
        RecordError::invalid(None, Some("id"), format!("record {position} has no id"))
    })?;
    let user = JsonFields::new(object).with_source_id(&source_id);

    let primary_email_id = user.text("primary_email_address_id")?;
    let mut emails = IdentifierList::emails();
    for (i, item) in user.list("email_addresses")?.iter().enumerate() {
        let email = user.nested("email_addresses", i, item)?;
        let Some(address) = email.text("email_address")? else {
            continue;
        };
        let primary = primary_email_id.is_some() && email.text("id")? == primary_email_id;
        emails.add(&address, is_verified(&email)?, primary);
    }

    let primary_phone_id = user.text("primary_phone_number_id")?;
    let mut phones = IdentifierList::phones();
    let mut backup_codes = Vec::new();
    for (i, item) in user.list("phone_numbers")?.iter().enumerate() {
        let phone = user.nested("phone_numbers", i, item)?;
        // Clerk hands out backup codes on the phone number object right after they are
        // generated; an export taken then has them in clear. Carry them like any secret.
        for code in phone.text_or_texts("backup_codes")? {
            backup_codes.push(Secret::new(code));
        }
        let Some(number) = phone.text("phone_number")? else {
            continue;
        };
        let primary = primary_phone_id.is_some() && phone.text("id")? == primary_phone_id;
        phones.add(&number, is_verified(&phone)?, primary);
    }

    let mut external_accounts = Vec::new();
    for (i, item) in user.list("external_accounts")?.iter().enumerate() {
        let account = user.nested("external_accounts", i, item)?;
        // Without the provider and the provider's id for the user the link cannot be made
        // again, and dropping it silently would lock the user out of that sign-in method.
        let missing = "missing: the sign-in link cannot be made again without it";
        let provider = account
            .text("provider")?
            .ok_or_else(|| account.error("provider", missing))?;
        let provider_user_id = account
            .text("provider_user_id")?
            .ok_or_else(|| account.error("provider_user_id", missing))?;
        external_accounts.push(ExternalAccount {
            provider: provider_without_prefix(&provider),
            provider_user_id,
            email: account.text("email_address")?,
            scopes: account
                .text("approved_scopes")?
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            created_at: account.millis("created_at")?,
            updated_at: account.millis("updated_at")?,
        });
    }

    // With `has_image: false` the `image_url` is Clerk's generated placeholder avatar, not
    // the user's picture: nothing to migrate.
    let image_url = if user.flag("has_image")? == Some(false) {
        None
    } else {
        match user.text("image_url")? {
            Some(url) => Some(url),
            None => user.text("profile_image_url")?,
        }
    };

    Ok(User {
        external_id: user.text("external_id")?,
        emails: emails.into_emails(),
        phones: phones.into_phones(),
        username: user.text("username")?,
        first_name: user.text("first_name")?,
        last_name: user.text("last_name")?,
        image_url,
        backup_codes,
        external_accounts,
        public_metadata: user.metadata("public_metadata")?,
        private_metadata: user.metadata("private_metadata")?,
        unsafe_metadata: user.metadata("unsafe_metadata")?,
        created_at: user.millis("created_at")?,
        updated_at: user.millis("updated_at")?,
        last_sign_in_at: user.millis("last_sign_in_at")?,
        banned: user.flag("banned")?.unwrap_or(false),
        locked: user.flag("locked")?.unwrap_or(false),
        source_id,
        ..Default::default()
    })
}

/// An email address or phone number is verified when its `verification.status` is
/// `verified`; a `null` verification (addresses added without one) is not.
fn is_verified(identification: &JsonFields<'_>) -> Result<bool, RecordError> {
    match identification.get("verification") {
        None => Ok(false),
        Some(Value::Object(verification)) => Ok(verification
            .get("status")
            .and_then(Value::as_str)
            .is_some_and(|status| status.trim() == "verified")),
        Some(other) => Err(identification.error(
            "verification",
            format!("expected an object, found {}", kind_of(other)),
        )),
    }
}
