//! Clerk as a source, in the three shapes a Clerk user base leaves the platform in:
//!
//! * [`ClerkCsvSource`] (`clerk-csv:PATH`): the dashboard's "Export users" CSV, the only export
//!   with password digests and TOTP secrets. Two header layouts are in use and both are read.
//! * [`ClerkApiJsonSource`] (`clerk-json:PATH`): user objects as the Backend API's
//!   `GET /v1/users` returns them (no digests or TOTP secrets: the API never returns them).
//! * [`ClerkUsersJsonSource`] (`clerk-users-json:PATH`): the `users.json` that Clerk's migration
//!   script imports, which people also use as a hand-made interchange file.
//!
//! * [`ClerkApiSource`] (`clerk-api`): every user of a live instance through the Backend API,
//!   optionally joined with a dashboard CSV for password digests and TOTP secrets.
//!
//! And Clerk as a target: [`ClerkSink`] (`--to clerk`) creates users through the Backend API.
//!
//! All sources stream: memory stays bounded by one record (or one API page) whatever the
//! export's size.

mod api;
mod api_json;
mod api_source;
mod csv;
mod json_fields;
mod platform;
mod sink;
mod users_json;

pub use api::{
    ApiError, ClerkApi, ClerkError, ClerkSettings, DEFAULT_API_URL, LIVE_BUDGET, TEST_BUDGET,
};
pub use api_json::ClerkApiJsonSource;
pub use api_source::{ClerkApiLookup, ClerkApiSource};
pub use csv::{ClerkCsvLayout, ClerkCsvSource};
pub use platform::{
    API_URL, PLATFORM, SECRET_KEY, SOURCE_API_URL, SOURCE_SECRET_KEY, WITH_DIGESTS,
};
pub use sink::{ClerkSink, create_user_body};
pub use users_json::ClerkUsersJsonSource;

use authferry_core::{EmailAddress, PhoneNumber, RecordError, Source, User};

/// The values of a multi-valued export cell. Clerk's dashboard export separates several
/// addresses with `|` (`a@x.com|b@x.com`); exports that went through a spreadsheet or another
/// tool use `,` inside the quoted cell instead. Clerk's own importer splits on both, and so do we.
pub(crate) fn split_multi(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(['|', ','])
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// A user's email addresses or phone numbers, collected from several places of one record
/// (primary, verified, unverified lists) into one entry per identifier, in first-seen order.
///
/// A later mention of the same identifier can only add to what is known about it: the primary
/// address listed again among the verified ones becomes verified, never the reverse.
pub(crate) struct IdentifierList {
    entries: Vec<IdentifierEntry>,
    /// Emails compare case-insensitively (Clerk lower-cases them); phone numbers exactly.
    case_insensitive: bool,
}

struct IdentifierEntry {
    value: String,
    verified: bool,
    primary: bool,
}

impl IdentifierList {
    pub(crate) fn emails() -> Self {
        IdentifierList {
            entries: Vec::new(),
            case_insensitive: true,
        }
    }

    pub(crate) fn phones() -> Self {
        IdentifierList {
            entries: Vec::new(),
            case_insensitive: false,
        }
    }

    /// Adds one identifier; surrounding whitespace is dropped and an empty value ignored.
    pub(crate) fn add(&mut self, value: &str, verified: bool, primary: bool) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let case_insensitive = self.case_insensitive;
        let same = |existing: &str| {
            if case_insensitive {
                existing.to_lowercase() == value.to_lowercase()
            } else {
                existing == value
            }
        };
        match self.entries.iter_mut().find(|e| same(&e.value)) {
            Some(entry) => {
                entry.verified |= verified;
                entry.primary |= primary;
            }
            None => self.entries.push(IdentifierEntry {
                value: value.to_owned(),
                verified,
                primary,
            }),
        }
    }

    pub(crate) fn into_emails(self) -> Vec<EmailAddress> {
        self.entries
            .into_iter()
            .map(|e| EmailAddress {
                address: e.value,
                verified: e.verified,
                primary: e.primary,
            })
            .collect()
    }

    pub(crate) fn into_phones(self) -> Vec<PhoneNumber> {
        self.entries
            .into_iter()
            .map(|e| PhoneNumber {
                number: e.value,
                verified: e.verified,
                primary: e.primary,
            })
            .collect()
    }
}

/// Clerk names OAuth providers `oauth_google`, `oauth_github`, `oauth_custom_acme`; the
/// canonical model keeps the provider without the platform's prefix.
pub(crate) fn provider_without_prefix(provider: &str) -> String {
    let provider = provider.trim();
    provider
        .strip_prefix("oauth_")
        .unwrap_or(provider)
        .to_owned()
}

/// What a text flag cell says: `true`/`false`, `1`/`0`, `yes`/`no`; `None` for anything else.
pub(crate) fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// A JSON export (array, NDJSON or wrapped) whose objects become users through `convert`:
/// the streaming, numbering and error handling the Clerk JSON sources share.
pub(crate) struct JsonObjectSource {
    description: String,
    items: authferry_core::io::JsonItems<serde_json::Value>,
    progress: authferry_core::io::ByteProgress,
    position: u64,
    convert: fn(u64, &serde_json::Value) -> Result<User, RecordError>,
}

impl JsonObjectSource {
    pub(crate) fn open(
        path: &std::path::Path,
        description: String,
        wrapper_key: Option<&'static str>,
        convert: fn(u64, &serde_json::Value) -> Result<User, RecordError>,
    ) -> std::io::Result<Self> {
        let (reader, progress) = authferry_core::io::open_counted(path)?;
        Ok(JsonObjectSource {
            description,
            items: authferry_core::io::JsonItems::new(reader, wrapper_key),
            progress,
            position: 0,
            convert,
        })
    }
}

impl Source for JsonObjectSource {
    fn id_space(&self) -> Option<&'static str> {
        Some("clerk")
    }
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        use authferry_core::io::JsonItem;
        self.position += 1;
        Some(match self.items.next()? {
            JsonItem::Item(value) => (self.convert)(self.position, &value),
            // Only a line of NDJSON that is not JSON at all comes here (every JSON value is
            // a `Value`); the message already says which line.
            JsonItem::Invalid(_, message, _) => Err(RecordError::invalid(
                None,
                None,
                crate::shared::redact_serde(&message),
            )),
            JsonItem::Fatal(message) => {
                Err(RecordError::fatal(crate::shared::redact_serde(&message)))
            }
        })
    }

    fn progress(&self) -> Option<authferry_core::io::ByteProgress> {
        Some(self.progress.clone())
    }
}

/// Declares a named Clerk JSON source: a [`JsonObjectSource`] with its spec prefix, wrapper
/// key and object-to-user conversion, so each reader writes only its mapping.
macro_rules! json_object_source {
    ($(#[$doc:meta])* $name:ident, $label:literal, $wrapper:expr, $convert:path) => {
        $(#[$doc])*
        pub struct $name(super::JsonObjectSource);

        impl $name {
            pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
                let description = format!($label, path.display());
                super::JsonObjectSource::open(path, description, $wrapper, $convert).map($name)
            }
        }

        impl authferry_core::Source for $name {
            fn describe(&self) -> String {
                self.0.describe()
            }
            fn id_space(&self) -> Option<&'static str> {
                self.0.id_space()
            }
            fn next_user(&mut self) -> Option<Result<authferry_core::User, authferry_core::RecordError>> {
                self.0.next_user()
            }
            fn progress(&self) -> Option<authferry_core::io::ByteProgress> {
                self.0.progress()
            }
        }
    };
}
pub(crate) use json_object_source;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_valued_cells_split_on_pipe_and_comma() {
        let values: Vec<&str> = split_multi(" a@x.com| b@x.com ,c@x.com,,|").collect();
        assert_eq!(values, ["a@x.com", "b@x.com", "c@x.com"]);
        assert_eq!(split_multi("").count(), 0);
    }

    #[test]
    fn identifier_list_merges_case_insensitively_and_keeps_order() {
        let mut emails = IdentifierList::emails();
        emails.add("Ada@Example.com", false, true);
        emails.add("ada@example.com", true, false);
        emails.add("second@example.com", false, false);
        emails.add("  ", true, false);
        let emails = emails.into_emails();
        assert_eq!(emails.len(), 2);
        assert_eq!(emails[0].address, "Ada@Example.com");
        assert!(emails[0].primary && emails[0].verified);
        assert!(!emails[1].primary && !emails[1].verified);

        let mut phones = IdentifierList::phones();
        phones.add("+15551234567", true, true);
        phones.add("+15551234567", false, false);
        assert_eq!(phones.into_phones().len(), 1);
    }

    #[test]
    fn providers_lose_clerks_prefix() {
        assert_eq!(provider_without_prefix("oauth_google"), "google");
        assert_eq!(provider_without_prefix("oauth_custom_acme"), "custom_acme");
        assert_eq!(provider_without_prefix("saml"), "saml");
    }

    #[test]
    fn flags() {
        assert_eq!(parse_flag(" TRUE "), Some(true));
        assert_eq!(parse_flag("0"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
    }
}
