//! The Auth0 source (`auth0:PATH --with-password-hashes FILE`) on fixtures shaped like Auth0's
//! two files: the users-exports job's NDJSON and the password-hash export support provides
//! (`tests/fixtures/auth0/`, made by `tests/fixtures-gen/auth0/generate.mjs`, real bcrypt
//! digests of the passwords in `passwords.json`).
//!
//! Users are found by their fixture email (`userNNN@example.com` is user NNN of the generator,
//! whose special cases the generator's header lists), so that the fixtures can be made again.

use authferry_core::{RecordError, Source, Timestamp, User};
use authferry_platforms::Settings;
use authferry_platforms::auth0::Auth0Source;
use authferry_platforms::registry;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/auth0")
        .join(name)
}

fn drain(source: &mut dyn Source) -> Vec<Result<User, RecordError>> {
    std::iter::from_fn(|| source.next_user()).collect()
}

/// Both files, through the registry as `--from auth0:… --with-password-hashes …` parses them.
fn read_with_hashes() -> Vec<Result<User, RecordError>> {
    let settings = Settings::default().with_flag(
        "with-password-hashes",
        fixture("password-hashes.ndjson").display().to_string(),
    );
    let spec = format!("auth0:{}", fixture("users.ndjson").display());
    let mut source = registry::parse_source(&spec, &settings)
        .unwrap()
        .open()
        .unwrap();
    assert_eq!(source.id_space(), Some("auth0"));
    drain(source.as_mut())
}

/// `{"<user_id>": "<password>"}`.
fn passwords() -> BTreeMap<String, String> {
    serde_json::from_str(&std::fs::read_to_string(fixture("passwords.json")).unwrap()).unwrap()
}

/// The fixture's export lines as JSON (the broken one skipped): user NNN by email.
fn exported() -> BTreeMap<String, Value> {
    std::fs::read_to_string(fixture("users.ndjson"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v["email"].as_str()?.to_string(), v)))
        .collect()
}

fn id_of(n: u32) -> String {
    let email = format!("user{n:03}@example.com");
    exported()[&email]["user_id"].as_str().unwrap().to_string()
}

fn user<'a>(records: &'a [Result<User, RecordError>], id: &str) -> &'a User {
    records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .find(|u| u.source_id == id)
        .unwrap_or_else(|| panic!("no user {id} was read"))
}

fn error<'a>(records: &'a [Result<User, RecordError>], id: &str) -> &'a RecordError {
    records
        .iter()
        .filter_map(|r| r.as_ref().err())
        .find(|e| e.source_id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no error for {id}"))
}

fn ts(text: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(text)
}

#[test]
fn fields_are_mapped_for_chosen_users() {
    let records = read_with_hashes();
    let all = exported();

    // User 0: every field the export has.
    let ada_row = &all["user000@example.com"];
    let ada = user(&records, &id_of(0));
    assert!(ada.source_id.starts_with("auth0|"), "the id is kept whole");
    assert_eq!(ada.emails.len(), 1);
    assert_eq!(ada.emails[0].address, "user000@example.com");
    assert!(ada.emails[0].verified && ada.emails[0].primary);
    assert_eq!(ada.username.as_deref(), Some("ada_lovelace"));
    assert_eq!(ada.first_name.as_deref(), Some("Ada"));
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(ada.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ada.image_url.as_deref(), ada_row["picture"].as_str());
    assert_eq!(ada.created_at, ts(ada_row["created_at"].as_str().unwrap()));
    assert_eq!(ada.updated_at, ts(ada_row["updated_at"].as_str().unwrap()));
    assert_eq!(
        ada.last_sign_in_at,
        ts(ada_row["last_login"].as_str().unwrap())
    );
    assert!(!ada.banned);
    // app_metadata is the application's: private; user_metadata the user's: unsafe.
    assert_eq!(
        ada.private_metadata,
        Some(serde_json::json!({"roles": ["admin"], "plan": "pro", "tenant_ids": [17, 42]}))
    );
    assert_eq!(
        ada.unsafe_metadata,
        Some(serde_json::json!({"theme": "dark", "locale": "en-GB", "newsletter": true}))
    );
    assert_eq!(ada.public_metadata, None);
    assert!(ada.external_accounts.is_empty());
    let pw = ada.password.as_ref().expect("Ada has a database password");
    assert_eq!(pw.hasher.as_deref(), Some("bcrypt"));

    // Auth0's made-up name (the email) and nickname (its local part) are not display names.
    let plain = user(&records, &id_of(6));
    assert_eq!(all["user006@example.com"]["name"], "user006@example.com");
    assert_eq!(plain.display_name, None);
    assert!(!plain.emails[0].verified, "user 6's email is unverified");

    // Blocked: banned, password kept.
    let blocked = user(&records, &id_of(5));
    assert!(blocked.banned && blocked.password.is_some());
    assert!(user(&records, &id_of(19)).banned, "a blocked social user");

    // sms: phone only, verified, no password, no external account.
    let sms = records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .find(|u| u.source_id.starts_with("sms|"))
        .expect("an sms user");
    assert!(sms.emails.is_empty());
    assert_eq!(sms.phones.len(), 1);
    assert!(sms.phones[0].number.starts_with("+1555") && sms.phones[0].verified);
    assert!(sms.password.is_none() && sms.external_accounts.is_empty());

    // A database user with a phone number.
    let with_phone = user(&records, &id_of(20));
    assert!(with_phone.phones[0].verified && with_phone.password.is_some());

    // Every user line of the export was read, as a user or as a failed record.
    let lines = std::fs::read_to_string(fixture("users.ndjson"))
        .unwrap()
        .lines()
        .count();
    let from_export = records
        .iter()
        .filter(|r| match r {
            Ok(_) => true,
            Err(e) => !e.message.starts_with("password-hash export"),
        })
        .count();
    assert_eq!(from_export, lines);
    assert!(lines > 200, "the fixture has at least 200 users");
}

#[test]
fn digests_join_on_the_database_identity_and_only_there() {
    let records = read_with_hashes();
    let passwords = passwords();
    let hash_file = std::fs::read_to_string(fixture("password-hashes.ndjson")).unwrap();

    // The linked-account case: primary identity google-oauth2, a database identity linked. The
    // digest is found under the linked identity's id, not the root user_id.
    let linked_row = &exported()["user007@example.com"];
    let linked_id = linked_row["user_id"].as_str().unwrap();
    assert!(linked_id.starts_with("google-oauth2|"));
    let db_id = linked_row["identities"][1]["user_id"].as_str().unwrap();
    assert!(hash_file.contains(db_id) && !hash_file.contains(&linked_id[14..]));
    let linked = user(&records, linked_id);
    let pw = linked
        .password
        .as_ref()
        .expect("joined on the linked identity");
    assert_eq!(
        authferry_hash::verify(pw.digest.expose(), Some("bcrypt"), &passwords[linked_id]),
        Ok(true)
    );
    assert_eq!(linked.external_accounts.len(), 1);
    assert_eq!(linked.external_accounts[0].provider, "google");

    // alt_id: `auth0|legacy-0008` joins the entry whose alt_id is legacy-0008 (its _id.$oid is
    // another value).
    let legacy = user(&records, "auth0|legacy-0008");
    assert_eq!(
        authferry_hash::verify(
            legacy.password.as_ref().unwrap().digest.expose(),
            Some("bcrypt"),
            &passwords["auth0|legacy-0008"]
        ),
        Ok(true)
    );

    // The digest is on the right user only: never one that verifies another user's password,
    // and never on a user without a database identity.
    let with_password: Vec<&User> = records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|u| u.password.is_some() && u.source_id != id_of(15))
        .collect();
    for (i, u) in with_password.iter().enumerate().take(12) {
        let other = with_password[(i + 1) % with_password.len()];
        let digest = u.password.as_ref().unwrap().digest.expose();
        assert_eq!(
            authferry_hash::verify(digest, Some("bcrypt"), &passwords[&other.source_id]),
            Ok(false),
            "{}'s digest must not verify {}'s password",
            u.source_id,
            other.source_id
        );
    }
    let mut digests: Vec<&str> = with_password
        .iter()
        .map(|u| u.password.as_ref().unwrap().digest.expose())
        .collect();
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), with_password.len(), "no digest given twice");
    for u in records.iter().filter_map(|r| r.as_ref().ok()) {
        let database = exported()
            .values()
            .find(|v| v["user_id"] == u.source_id.as_str())
            .is_some_and(|v| {
                v["identities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["provider"] == "auth0")
            });
        assert_eq!(
            u.password.is_some(),
            database,
            "{}: a password exactly when the user has a database identity",
            u.source_id
        );
    }

    // Without --with-password-hashes: the same users, no passwords, nothing reported after.
    let mut plain = Auth0Source::open(&fixture("users.ndjson"), None).unwrap();
    let plain = drain(&mut plain);
    assert!(plain.iter().flatten().all(|u| u.password.is_none()));
    assert_eq!(
        plain.iter().filter(|r| r.is_err()).count(),
        1,
        "the broken line only"
    );
}

#[test]
fn social_identities_become_external_accounts() {
    let records = read_with_hashes();
    let all = exported();
    let account = |n: u32| {
        let u = user(&records, &id_of(n));
        assert_eq!(u.external_accounts.len(), 1, "user {n}: {u:?}");
        let a = &u.external_accounts[0];
        (
            a.provider.clone(),
            a.provider_user_id.clone(),
            a.email.clone(),
            u.password.is_some(),
        )
    };
    let identity = |n: u32, i: usize| {
        let v = &all[&format!("user{n:03}@example.com")]["identities"][i]["user_id"];
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    let email = |n: u32| Some(format!("user{n:03}@example.com"));

    assert_eq!(
        account(2),
        ("google".into(), identity(2, 0), email(2), false)
    );
    // GitHub's identity id is a number in the export.
    assert!(all["user003@example.com"]["identities"][0]["user_id"].is_number());
    assert_eq!(
        account(3),
        ("github".into(), identity(3, 0), email(3), false)
    );
    assert_eq!(account(9).0, "microsoft");
    assert_eq!(account(10).0, "apple");
    assert_eq!(account(11).0, "facebook");
    assert_eq!(account(12).0, "twitter");
    assert_eq!(account(13).0, "linkedin");
    // A custom social connection: named by its connection, the id without its prefix.
    let (provider, id, _, _) = account(14);
    assert_eq!(provider, "acme-sso");
    assert_eq!(Some(id.as_str()), identity(14, 0).strip_prefix("acme-sso|"));
    // A provider authferry has no common name for keeps Auth0's.
    assert_eq!(account(23).0, "bitbucket");
    // Database + linked google: the password and the link, the link's email from profileData.
    assert_eq!(
        account(1),
        ("google".into(), identity(1, 1), email(1), true)
    );
    // Enterprise and passwordless identities are not links.
    for n in [21, 22] {
        let u = user(&records, &id_of(n));
        assert!(
            u.external_accounts.is_empty() && u.password.is_none(),
            "user {n}"
        );
        assert_eq!(u.emails[0].address, email(n).unwrap());
    }
}

#[test]
fn bad_records_fail_alone_with_reasons() {
    let records = read_with_hashes();
    // The broken line: no id to name, its line named; the records after it are read.
    let lines = std::fs::read_to_string(fixture("users.ndjson")).unwrap();
    let broken_line = lines
        .lines()
        .position(|l| serde_json::from_str::<Value>(l).is_err())
        .unwrap()
        + 1;
    let broken: Vec<&RecordError> = records
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| e.source_id.is_none() && !e.message.starts_with("password-hash export"))
        .collect();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0]
            .message
            .starts_with(&format!("line {broken_line}: not JSON")),
        "{}",
        broken[0].message
    );
    assert!(!broken[0].fatal);
    let position = records
        .iter()
        .position(|r| matches!(r, Err(e) if e.message.starts_with(&format!("line {broken_line}:"))))
        .unwrap();
    assert!(records[position + 1].is_ok(), "the next line is read");

    // A passwordHash that is not bcrypt: the source declares bcrypt (Auth0's only hasher), so
    // the engine's hasher check fails the record, naming both, never the digest.
    let argon = user(&records, &id_of(15));
    let pw = argon.password.as_ref().unwrap();
    assert_eq!(pw.hasher.as_deref(), Some("bcrypt"));
    let e = authferry_hash::verify(pw.digest.expose(), Some("bcrypt"), "x").unwrap_err();
    assert!(
        matches!(e, authferry_hash::HashError::MismatchedHasher { .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains(pw.digest.expose()), "{e}");

    // Failing at the source, named by id and field.
    let reason = |n: u32| {
        let e = error(&records, &id_of(n));
        assert_eq!(e.field.as_deref(), Some("passwordHash"));
        assert!(!e.fatal);
        e.message.clone()
    };
    assert!(
        reason(16).contains("no entry in the password-hash export"),
        "{}",
        reason(16)
    );
    assert!(reason(16).contains("Username-Password-Authentication"));
    assert!(reason(17).contains("last_password_reset"), "{}", reason(17));
    assert!(reason(18).contains("two entries"), "{}", reason(18));

    // After the last user: the entry no user claims, and the hash export's broken line.
    let leftovers: Vec<&RecordError> = records
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| e.message.starts_with("password-hash export"))
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:#?}");
    assert!(
        leftovers
            .iter()
            .any(|e| e.message.contains("belongs to no user")),
        "{leftovers:#?}"
    );
    assert!(
        leftovers.iter().any(|e| e.message.contains("not JSON")),
        "{leftovers:#?}"
    );
    let first_leftover = records
        .iter()
        .position(|r| matches!(r, Err(e) if e.message.starts_with("password-hash export")))
        .unwrap();
    assert_eq!(
        first_leftover,
        records.len() - 2,
        "reported after every user"
    );
    let orphan_id = std::fs::read_to_string(fixture("password-hashes.ndjson"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["email"] == "deleted-before-the-user-export@example.com")
        .unwrap()["_id"]["$oid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        leftovers.iter().any(|e| e.message.contains(&orphan_id)),
        "the orphan entry is named by its id"
    );

    let failed = records.iter().filter(|r| r.is_err()).count();
    assert_eq!(
        failed,
        1 + 3 + 2,
        "only the records above fail: {:#?}",
        errors(&records)
    );
}

fn errors(records: &[Result<User, RecordError>]) -> Vec<&RecordError> {
    records.iter().filter_map(|r| r.as_ref().err()).collect()
}

#[test]
fn nothing_secret_in_any_error_or_debug_output() {
    let records = read_with_hashes();
    let mut secrets: Vec<String> = passwords().into_values().collect();
    for line in std::fs::read_to_string(fixture("password-hashes.ndjson"))
        .unwrap()
        .lines()
    {
        if let Some(h) = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| v["passwordHash"].as_str().map(str::to_owned))
        {
            // The salt and hash without the "$2b$10$" prefix are as secret.
            secrets.push(h[h.len().saturating_sub(53)..].to_string());
            secrets.push(h);
        }
    }
    assert!(secrets.len() > 300);
    let mut text = String::new();
    for r in &records {
        match r {
            Err(e) => text.push_str(&format!("{e}\n{e:?}\n{:?}\n", e.to_reason())),
            Ok(u) => text.push_str(&format!("{u:?}\n")),
        }
    }
    let mut source = Auth0Source::open(
        &fixture("users.ndjson"),
        Some(&fixture("password-hashes.ndjson")),
    )
    .unwrap();
    text.push_str(&format!("{source:?}\n{}\n", source.describe()));
    source.next_user();
    text.push_str(&format!("{source:?}\n"));
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .collect();
    assert!(leaked.is_empty(), "{} secret values leaked", leaked.len());
    assert!(source.describe().contains("password hashes from"));
}

#[test]
fn every_fixture_password_verifies_against_its_digest() {
    let records = read_with_hashes();
    let passwords = passwords();
    let mut verified = 0;
    for u in records.iter().filter_map(|r| r.as_ref().ok()) {
        let Some(pw) = &u.password else { continue };
        if u.source_id == id_of(15) {
            continue; // not bcrypt: fails in the engine (above)
        }
        assert_eq!(
            authferry_hash::verify(
                pw.digest.expose(),
                pw.hasher.as_deref(),
                &passwords[&u.source_id]
            ),
            Ok(true),
            "{}",
            u.source_id
        );
        verified += 1;
    }
    // Every password of the fixture but those of the four users that must not get one.
    assert_eq!(verified, passwords.len() - 4);
    assert!(verified > 100);
}

#[test]
fn files_that_are_not_the_json_export_are_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("tenant.json.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    let e = Auth0Source::open(&gz, None).unwrap_err().to_string();
    assert!(e.contains("gzip") && e.contains("gunzip"), "{e}");
    let csv = dir.path().join("tenant.csv");
    std::fs::write(&csv, "user_id,email\n\"'auth0|1\",\"'a@x.com\"\n").unwrap();
    let e = Auth0Source::open(&csv, None).unwrap_err().to_string();
    assert!(e.contains("csv"), "{e}");
    let pgp = dir.path().join("hashes.json.pgp");
    std::fs::write(&pgp, "-----BEGIN PGP MESSAGE-----\n\nhQIMA...\n").unwrap();
    let e = Auth0Source::open(&fixture("users.ndjson"), Some(&pgp))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--with-password-hashes") && e.contains("gpg --decrypt"),
        "{e}"
    );

    // The flag belongs to this source.
    let settings = Settings::default().with_flag("with-password-hashes", "h.ndjson");
    let e = registry::parse_source("ndjson:x", &settings)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--with-password-hashes applies to `auth0:`"),
        "{e}"
    );
}
