//! The `firebase:` source through the crate's public API, on the fixtures of
//! `tests/fixtures/firebase/` (made by `tests/fixtures-gen/firebase/generate.py` with the
//! `firebase-scrypt` package, so every digest is Firebase's own scrypt of a known password):
//! every field of chosen users, the JSON and CSV exports agreeing, the broken record failing
//! alone, `--hash-config` parsing, and every fixture password verifying with authferry's hash
//! crate.

use authferry_core::{
    EmailAddress, ExternalAccount, PhoneNumber, RecordError, Source, Timestamp, User,
};
use authferry_hash::ExtParams;
use authferry_platforms::SpecError;
use authferry_platforms::firebase::{
    ExportFormat, FirebaseCsvSource, FirebaseJsonSource, HashConfig, HashConfigError,
    detect_format, open_export,
};
use authferry_platforms::registry::{Settings, parse_run, parse_source};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/firebase")
        .join(name)
}

fn hash_config() -> HashConfig {
    HashConfig::read(&fixture("hash_config.txt")).expect("the fixture's hash config parses")
}

/// The made-up project's signer key and separator, read from the fixture as a person would.
fn fixture_secrets() -> (String, String) {
    let text = std::fs::read_to_string(fixture("hash_config.txt")).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().trim_end_matches(',').to_owned())
            .unwrap()
    };
    (value("base64_signer_key"), value("base64_salt_separator"))
}

fn passwords() -> BTreeMap<String, String> {
    serde_json::from_str(&std::fs::read_to_string(fixture("passwords.json")).unwrap()).unwrap()
}

/// The export's raw user objects, by localId.
fn raw_users() -> BTreeMap<String, Value> {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("export.json")).unwrap()).unwrap();
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["localId"].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

fn drain(source: &mut dyn Source) -> Vec<Result<User, RecordError>> {
    std::iter::from_fn(|| source.next_user()).collect()
}

fn read_json(hash: Option<&HashConfig>) -> Vec<Result<User, RecordError>> {
    drain(&mut FirebaseJsonSource::open(&fixture("export.json"), hash).unwrap())
}

fn read_csv(hash: Option<&HashConfig>) -> Vec<Result<User, RecordError>> {
    drain(&mut FirebaseCsvSource::open(&fixture("export.csv"), hash).unwrap())
}

fn ok_users(records: &[Result<User, RecordError>]) -> Vec<&User> {
    records.iter().filter_map(|r| r.as_ref().ok()).collect()
}

fn errors(records: &[Result<User, RecordError>]) -> Vec<&RecordError> {
    records.iter().filter_map(|r| r.as_ref().err()).collect()
}

/// The user whose localId starts with `prefix` (the fixture's ids are `fbNNN` + random).
fn user<'a>(records: &'a [Result<User, RecordError>], prefix: &str) -> &'a User {
    let found: Vec<&User> = ok_users(records)
        .into_iter()
        .filter(|u| u.source_id.starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "one user {prefix}…");
    found[0]
}

fn email(address: &str, verified: bool) -> EmailAddress {
    EmailAddress {
        address: address.into(),
        verified,
        primary: true,
    }
}

fn phone(number: &str, primary: bool) -> PhoneNumber {
    PhoneNumber {
        number: number.into(),
        verified: true,
        primary,
    }
}

fn link(provider: &str, id: &str, email: Option<&str>) -> ExternalAccount {
    ExternalAccount {
        provider: provider.into(),
        provider_user_id: id.into(),
        email: email.map(str::to_owned),
        scopes: Vec::new(),
        created_at: None,
        updated_at: None,
    }
}

fn ms(n: i64) -> Option<Timestamp> {
    Some(Timestamp::from_millis(n))
}

/// The fixture's creation time of user `i` (generate.py: 1_600_000_000_000 + i × 86_400_123).
fn created(i: i64) -> i64 {
    1_600_000_000_000 + i * 86_400_123
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn json_export_maps_every_field_of_chosen_users() {
    let hash = hash_config();
    let records = read_json(Some(&hash));
    assert_eq!(records.len(), 211);
    assert_eq!(ok_users(&records).len(), 210);
    let raw = raw_users();
    let (key, sep) = fixture_secrets();

    // Password, Google link, photo; never signed in since the export (no lastSignedInAt).
    let ada = user(&records, "fb000");
    let ada_raw = &raw[&ada.source_id];
    assert_eq!(ada.emails, [email("user0@example.com", true)]);
    assert!(ada.phones.is_empty());
    assert_eq!(ada.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        ada.image_url.as_deref(),
        Some("https://lh3.example.com/a/photo-0.png")
    );
    assert_eq!(ada.created_at, ms(created(0)));
    assert_eq!(ada.last_sign_in_at, None);
    assert_eq!(
        ada.external_accounts,
        [link("google", "100000000000", Some("user0@example.com"))]
    );
    let pw = ada.password.as_ref().expect("a password");
    assert_eq!(pw.hasher.as_deref(), Some("firebase_scrypt"));
    assert_eq!(
        pw.digest.expose(),
        ada_raw["passwordHash"].as_str().unwrap()
    );
    assert_eq!(
        Value::Object(pw.params.clone()),
        json!({"signer_key": key, "salt_separator": sep, "rounds": 8, "mem_cost": 14,
               "salt": ada_raw["salt"]})
    );
    assert!(!ada.banned && ada.mfa_phones.is_empty() && ada.public_metadata.is_none());
    for unused in [
        ada.username.is_some(),
        ada.first_name.is_some(),
        ada.last_name.is_some(),
        ada.external_id.is_some(),
        ada.totp_secret.is_some(),
        !ada.backup_codes.is_empty(),
        ada.private_metadata.is_some(),
        ada.unsafe_metadata.is_some(),
        ada.updated_at.is_some(),
        ada.locked,
    ] {
        assert!(!unused, "Firebase has no such field: {ada:?}");
    }

    // Custom claims (a JSON object written as text) are the public metadata; mixed-case email.
    let grace = user(&records, "fb001");
    assert_eq!(grace.emails, [email("Mixed.Case1@Example.COM", true)]);
    assert_eq!(
        grace.public_metadata,
        Some(json!({"role": "admin", "tier": 1, "tags": ["a", "b,c"]}))
    );
    assert_eq!(grace.last_sign_in_at, ms(created(1) + 3_600_000 + 1));
    assert!(grace.external_accounts.is_empty());

    // Unverified email, non-ASCII name.
    let zoe = user(&records, "fb002");
    assert_eq!(zoe.emails, [email("user2@example.com", false)]);
    assert_eq!(zoe.display_name.as_deref(), Some("Zoë Ångström"));

    // Two phone second factors; the first is primary; the number is no sign-in phone.
    let lukasz = user(&records, "fb004");
    assert_eq!(
        lukasz.mfa_phones,
        [phone("+44200000004", true), phone("+33610000004", false)]
    );
    assert!(lukasz.phones.is_empty());
    assert!(lukasz.password.is_some());

    // Phone-only: a verified primary phone; the API's `phone` provider entry is no link.
    let phone_only = user(&records, "fb005");
    assert!(raw[&phone_only.source_id]["providerUserInfo"][0]["providerId"] == "phone");
    assert_eq!(phone_only.phones, [phone("+15550000005", true)]);
    assert!(phone_only.emails.is_empty());
    assert!(phone_only.password.is_none());
    assert!(phone_only.external_accounts.is_empty());
    assert_eq!(phone_only.display_name, None);
    assert_eq!(phone_only.created_at, ms(created(5)));
    assert_eq!(phone_only.last_sign_in_at, ms(created(5) + 3_600_000 + 5));

    // Disabled → banned.
    let disabled = user(&records, "fb006");
    assert!(disabled.banned);
    assert!(disabled.password.is_some());
    assert_eq!(disabled.external_accounts.len(), 1);

    // A password user with a sign-in phone too.
    assert_eq!(
        user(&records, "fb007").phones,
        [phone("+15550000007", true)]
    );

    // The API's `password` provider entry is the password itself, not a link.
    let with_password_entry = user(&records, "fb008");
    assert_eq!(
        raw[&with_password_entry.source_id]["providerUserInfo"][0]["providerId"],
        "password"
    );
    assert!(with_password_entry.external_accounts.is_empty());

    // OAuth-only users: each provider loses its domain; no password.
    for (prefix, provider, with_email) in [
        ("fb003", "google", true),
        ("fb010", "github", true),
        ("fb017", "facebook", true),
        ("fb024", "twitter", false),
        ("fb031", "apple", true),
    ] {
        let u = user(&records, prefix);
        let raw_info = &raw[&u.source_id]["providerUserInfo"][0];
        assert!(u.password.is_none(), "{prefix}");
        let expected_email = u.emails[0].address.clone();
        assert_eq!(
            u.external_accounts,
            [link(
                provider,
                raw_info["rawId"].as_str().unwrap(),
                with_email.then_some(expected_email.as_str())
            )],
            "{prefix}"
        );
    }
}

#[test]
fn the_broken_json_record_fails_alone_naming_its_field() {
    let records = read_json(Some(&hash_config()));
    let errs = errors(&records);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = errs[0];
    assert!(!e.fatal);
    assert_eq!(e.source_id.as_deref(), Some("fbBROKENcreatedAt0000000000"));
    assert_eq!(e.field.as_deref(), Some("createdAt"));
    assert!(e.message.contains("milliseconds"), "{e}");
    assert!(
        !e.to_string().contains("yesterday"),
        "the value is not echoed: {e}"
    );
    // It sits at position 101; the records after it are all read.
    assert!(records[100].is_err());
    assert_eq!(records[101..].iter().filter(|r| r.is_ok()).count(), 110);
}

#[test]
fn json_source_says_what_it_reads_and_whose_ids() {
    let source = FirebaseJsonSource::open(&fixture("export.json"), None).unwrap();
    assert_eq!(source.id_space(), Some("firebase"));
    assert!(source.describe().contains("auth:export JSON"));
    assert!(source.describe().contains("no --hash-config"));
    let p = source.progress().expect("a file source reports progress");
    assert!(p.total > 90_000);
    let (key, _) = fixture_secrets();
    let with = FirebaseJsonSource::open(&fixture("export.json"), Some(&hash_config())).unwrap();
    assert!(!with.describe().contains(&key));
}

/// Without `--hash-config` a password still comes through, with only its salt: the hash crate
/// then refuses to verify it (a missing parameter), and says so without showing a secret.
#[test]
fn without_hash_config_digests_come_through_unverifiable() {
    let records = read_json(None);
    assert_eq!(ok_users(&records).len(), 210);
    let ada = user(&records, "fb000");
    let pw = ada.password.as_ref().unwrap();
    assert_eq!(pw.params.keys().collect::<Vec<_>>(), ["salt"]);
    let params = ExtParams::from_json(&pw.params).unwrap();
    let e = authferry_hash::parse(pw.digest.expose(), pw.hasher.as_deref(), &params)
        .expect_err("no signer key, rounds or memory cost: nothing can verify it");
    let text = e.to_string();
    assert!(!text.contains(pw.digest.expose()), "{text}");
}

#[test]
fn json_edge_cases_fail_alone_or_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let secret_hash = "U0VDUkVULWRpZ2VzdA=="; // base64 of "SECRET-digest"
    // NDJSON (what a script over the Admin SDK saves), with raw API names and shapes.
    let lines = [
        // URL-safe base64 as the API returns it, lastLoginAt, claims as an object,
        // a TOTP enrolment (no secret: skipped) and an unobfuscated phone.
        json!({"localId": "a", "email": "a@example.com", "passwordHash": "-_-_", "salt": "AA",
               "lastLoginAt": "1700000000000", "createdAt": 1600000000000i64,
               "customAttributes": {"admin": true},
               "mfaInfo": [{"mfaEnrollmentId": "t", "totpInfo": {}},
                           {"mfaEnrollmentId": "p", "phoneInfo": "+1*******4567",
                            "unobfuscatedPhoneInfo": "+15551234567"}]}),
        json!({"localId": "b", "email": "b@example.com", "passwordHash": "not base64!"}),
        json!({"localId": "c", "email": "c@example.com",
               "mfaInfo": [{"mfaEnrollmentId": "p", "phoneInfo": "+1*******4567"}]}),
        json!({"localId": "d", "email": "d@example.com",
               "providerUserInfo": [{"providerId": "github.com"}]}),
        json!({"localId": "e", "email": "e@example.com", "customAttributes": format!("{{\"k\": \"{secret_hash}")}),
        json!({"email": "nobody@example.com"}),
        json!({"localId": "f", "email": "f@example.com", "emailVerified": "yes"}),
        json!({"localId": "g", "phoneNumber": "+15550001111", "disabled": true,
               "providerUserInfo": [{"providerId": "oidc.acme", "rawId": "u-1"}]}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect::<String>() + "{not json\n";
    let path = write_temp(dir.path(), "users.ndjson", &text);
    let records = drain(&mut FirebaseJsonSource::open(&path, Some(&hash_config())).unwrap());
    assert_eq!(records.len(), 9);

    let a = records[0].as_ref().unwrap();
    let pw = a.password.as_ref().unwrap();
    assert_eq!(
        pw.digest.expose(),
        "+/+/",
        "URL-safe base64 becomes standard"
    );
    assert_eq!(pw.params["salt"], "AA==", "padding restored");
    assert_eq!(a.last_sign_in_at, ms(1_700_000_000_000));
    assert_eq!(a.created_at, ms(1_600_000_000_000));
    assert_eq!(a.public_metadata, Some(json!({"admin": true})));
    assert_eq!(a.mfa_phones, [phone("+15551234567", true)]);

    let field = |i: usize| {
        let e = records[i].as_ref().unwrap_err();
        assert!(!e.fatal);
        (e.source_id.clone(), e.field.clone().unwrap_or_default())
    };
    assert_eq!(field(1), (Some("b".into()), "passwordHash".into()));
    assert_eq!(field(2), (Some("c".into()), "mfaInfo[0].phoneInfo".into()));
    assert!(
        records[2]
            .as_ref()
            .unwrap_err()
            .message
            .contains("obfuscated")
    );
    assert_eq!(
        field(3),
        (Some("d".into()), "providerUserInfo[0].rawId".into())
    );
    assert_eq!(field(4), (Some("e".into()), "customAttributes".into()));
    assert_eq!(field(5), (None, "localId".into()));
    assert_eq!(field(6), (Some("f".into()), "emailVerified".into()));
    let g = records[7].as_ref().unwrap();
    assert!(g.banned);
    assert_eq!(g.external_accounts, [link("oidc.acme", "u-1", None)]);
    // The line that is not JSON fails alone too.
    assert!(!records[8].as_ref().unwrap_err().fatal);
    for e in errors(&records) {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("SECRET")
                && !shown.contains(secret_hash)
                && !shown.contains("not base64!"),
            "{shown}"
        );
    }

    // A bare array reads the same as the wrapper.
    let array = write_temp(
        dir.path(),
        "array.json",
        &format!("[{}, {}]", lines[0], lines[7]),
    );
    let again = drain(&mut FirebaseJsonSource::open(&array, None).unwrap());
    assert_eq!(ok_users(&again).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_export_maps_every_column_of_chosen_users() {
    let records = read_csv(Some(&hash_config()));
    assert_eq!(records.len(), 31);
    assert_eq!(ok_users(&records).len(), 30);
    let raw = raw_users();

    let ada = user(&records, "fb000");
    assert_eq!(ada.emails, [email("user0@example.com", true)]);
    assert_eq!(ada.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        ada.image_url.as_deref(),
        Some("https://lh3.example.com/a/photo-0.png")
    );
    assert_eq!(
        ada.external_accounts,
        [link("google", "100000000000", Some("user0@example.com"))]
    );
    assert_eq!(ada.created_at, ms(created(0)));
    assert_eq!(ada.last_sign_in_at, None);
    let pw = ada.password.as_ref().unwrap();
    assert_eq!(pw.digest.expose(), raw[&ada.source_id]["passwordHash"]);
    assert_eq!(pw.params["salt"], raw[&ada.source_id]["salt"]);
    assert_eq!(pw.params["rounds"], 8);

    // Quoted custom claims with commas inside; an unverified email; a comma in a name.
    assert_eq!(
        user(&records, "fb001").public_metadata,
        Some(json!({"role": "admin", "tier": 1, "tags": ["a", "b,c"]}))
    );
    assert_eq!(
        user(&records, "fb002").emails,
        [email("user2@example.com", false)]
    );
    assert_eq!(
        user(&records, "fb015").display_name.as_deref(),
        Some("John Smith, Jr.")
    );
    let phone_only = user(&records, "fb005");
    assert_eq!(phone_only.phones, [phone("+15550000005", true)]);
    assert!(phone_only.emails.is_empty() && phone_only.password.is_none());
    assert!(user(&records, "fb006").banned);
    assert!(!user(&records, "fb007").banned);
    for (prefix, provider) in [
        ("fb010", "github"),
        ("fb017", "facebook"),
        ("fb024", "twitter"),
    ] {
        let u = user(&records, prefix);
        assert_eq!(u.external_accounts.len(), 1, "{prefix}");
        assert_eq!(u.external_accounts[0].provider, provider);
    }
    assert_eq!(user(&records, "fb024").external_accounts[0].email, None);
}

/// The CSV and the JSON export of the same project give the same users, but for what the CSV
/// has no column for (second factors).
#[test]
fn csv_and_json_exports_agree() {
    let hash = hash_config();
    let json_records = read_json(Some(&hash));
    let csv_records = read_csv(Some(&hash));
    let by_id: BTreeMap<&str, &User> = ok_users(&json_records)
        .into_iter()
        .map(|u| (u.source_id.as_str(), u))
        .collect();
    let mut compared = 0;
    for from_csv in ok_users(&csv_records) {
        let mut from_json = by_id[from_csv.source_id.as_str()].clone();
        from_json.mfa_phones.clear();
        assert_eq!(*from_csv, from_json, "{}", from_csv.source_id);
        compared += 1;
    }
    assert_eq!(compared, 30);
}

#[test]
fn the_broken_csv_row_fails_alone_naming_its_column() {
    let records = read_csv(None);
    let errs = errors(&records);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = errs[0];
    assert!(!e.fatal);
    assert_eq!(e.source_id.as_deref(), Some("fbBROKENcsvCreatedAt00000000"));
    assert_eq!(e.field.as_deref(), Some("User Creation Time"));
    assert!(e.message.contains("row 16 (column 24)"), "{e}");
    assert!(!e.to_string().contains("not-a-number"), "{e}");
    assert!(records[15].is_err());
    assert!(records[16..].iter().all(|r| r.is_ok()));
}

#[test]
fn csv_rows_of_the_wrong_shape_fail_alone_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let row = |id: &str, name: &str, cells: usize| {
        let mut v = vec![String::new(); cells];
        v[0] = id.into();
        v[1] = format!("{id}@example.com");
        v[2] = "true".into();
        v[5] = name.into();
        v.join(",")
    };
    let text = [
        // A header someone added is skipped.
        "UID,Email,Email Verified,Password Hash,Password Salt,Name".to_string(),
        row("old", "Old Export", 26), // documented 26 columns, no trailing comma
        row("older", "Older Export", 27), // 26 and the trailing comma
        row("short", "Cut Short", 12), // cut short: fails
        row("quote", "\"Stray", 29),  // a quote that never closes: fails alone
        row("after", "After The Quote", 29),
        String::new(),               // blank: skipped
        row("more", "Too Many", 31), // cells to spare: fails
        row("last", "Last", 29),
    ]
    .join("\r\n");
    let path = write_temp(dir.path(), "users.csv", &text);
    let records = drain(&mut FirebaseCsvSource::open(&path, None).unwrap());
    let ok: Vec<&str> = ok_users(&records)
        .iter()
        .map(|u| u.source_id.as_str())
        .collect();
    assert_eq!(ok, ["old", "older", "after", "last"], "{records:#?}");
    let errs = errors(&records);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs.iter().all(|e| !e.fatal));
    assert_eq!(errs[0].source_id.as_deref(), Some("short"));
    assert!(errs[0].message.contains("has 12 cells"), "{}", errs[0]);
    assert!(errs[1].message.contains("quoted cell"), "{}", errs[1]);
    assert_eq!(errs[2].source_id.as_deref(), Some("more"));
    assert_eq!(
        user(&records, "after").display_name.as_deref(),
        Some("After The Quote")
    );
}

/// A cell past the 16 MiB record cap fails its row and reading goes on; a file whose first row
/// never ends (`/dev/zero`) is refused when opened, rather than read forever.
#[test]
fn a_huge_csv_row_fails_alone_and_dev_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let row = |id: &str, name: &str| {
        let mut v = vec![String::new(); 29];
        v[0] = id.into();
        v[1] = format!("{id}@example.com");
        v[5] = name.into();
        v.join(",")
    };
    let huge = "x".repeat(17 << 20);
    let text = [
        row("first", "First"),
        row("huge", &huge),
        row("after", "After"),
    ]
    .join("\n");
    let path = write_temp(dir.path(), "users.csv", &text);
    let records = drain(&mut FirebaseCsvSource::open(&path, None).unwrap());
    let ok: Vec<&str> = ok_users(&records)
        .iter()
        .map(|u| u.source_id.as_str())
        .collect();
    assert_eq!(ok, ["first", "after"]);
    let errs = errors(&records);
    assert_eq!(errs.len(), 1);
    assert!(
        !errs[0].fatal && errs[0].message.contains("more than 16 MiB"),
        "{}",
        errs[0]
    );

    #[cfg(unix)]
    {
        let e = open_export(Path::new("/dev/zero"), None)
            .err()
            .expect("/dev/zero is no export");
        assert!(
            e.to_string().contains("first row is longer than 16 MiB"),
            "{e}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// format detection and the registry

#[test]
fn the_format_comes_from_the_extension_else_the_first_character() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        detect_format(&fixture("export.json")).unwrap(),
        ExportFormat::Json
    );
    assert_eq!(
        detect_format(&fixture("export.csv")).unwrap(),
        ExportFormat::Csv
    );
    let json = write_temp(
        dir.path(),
        "users.export",
        &std::fs::read_to_string(fixture("export.json")).unwrap(),
    );
    let csv = write_temp(
        dir.path(),
        "users.txt",
        &std::fs::read_to_string(fixture("export.csv")).unwrap(),
    );
    assert_eq!(detect_format(&json).unwrap(), ExportFormat::Json);
    assert_eq!(detect_format(&csv).unwrap(), ExportFormat::Csv);
    assert_eq!(drain(&mut *open_export(&json, None).unwrap()).len(), 211);
    assert_eq!(drain(&mut *open_export(&csv, None).unwrap()).len(), 31);
}

#[test]
fn firebase_specs_open_through_the_registry() {
    let config = fixture("hash_config.txt").display().to_string();
    let from = format!("firebase:{}", fixture("export.json").display());
    let settings = Settings::default().with_flag("hash-config", config.as_str());
    let plan = parse_source(&from, &settings).unwrap();
    let (key, sep) = fixture_secrets();
    let debug = format!("{plan:?}");
    assert!(!debug.contains(&key) && !debug.contains(&sep), "{debug}");
    let mut source = plan.open().unwrap();
    assert_eq!(source.id_space(), Some("firebase"));
    let first = source.next_user().unwrap().unwrap();
    assert_eq!(first.password.unwrap().params["signer_key"], key.as_str());

    // Without the flag it opens too; the flag elsewhere is refused.
    assert!(parse_source(&from, &Settings::default()).is_ok());
    let Err(SpecError::Usage(m)) = parse_run("ndjson:a", "ndjson:b", &settings) else {
        panic!("--hash-config with another source")
    };
    assert_eq!(m, "--hash-config applies to `firebase:` sources only");

    // A bad configuration is a usage error naming the file and the line, not the key.
    let dir = tempfile::tempdir().unwrap();
    let bad = write_temp(
        dir.path(),
        "bad.txt",
        &format!(
            "hash_config {{\n  algorithm: SCRYPT,\n  base64_signer_key: {key},\n  rounds: 80,\n  mem_cost: 14,\n}}\n"
        ),
    );
    let bad_s = bad.display().to_string();
    let Err(SpecError::Usage(m)) = parse_source(
        &from,
        &Settings::default().with_flag("hash-config", bad_s.as_str()),
    ) else {
        panic!("rounds 80 is refused")
    };
    assert!(
        m.contains(&bad_s) && m.contains("line 4") && m.contains("rounds"),
        "{m}"
    );
    assert!(!m.contains(&key), "{m}");
    let Err(SpecError::Usage(m)) = parse_source(
        &from,
        &Settings::default().with_flag(
            "hash-config",
            dir.path().join("missing.txt").display().to_string(),
        ),
    ) else {
        panic!("a missing file is refused")
    };
    assert!(m.contains("cannot read"), "{m}");

    // A missing export is an open error naming it.
    let missing = format!("firebase:{}", dir.path().join("nope.json").display());
    let Err(SpecError::Open { spec, .. }) =
        parse_source(&missing, &Settings::default()).unwrap().open()
    else {
        panic!("a missing export")
    };
    assert!(spec.contains("nope.json"));
}

// ---------------------------------------------------------------------------------------------
// --hash-config

const KEY: &str = "S3cr3tS1gn3rK3yAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==";
const SEP: &str = "Bw==";

fn console_block() -> String {
    format!(
        "hash_config {{\n  algorithm: SCRYPT,\n  base64_signer_key: {KEY},\n  base64_salt_separator: {SEP},\n  rounds: 8,\n  mem_cost: 14,\n}}\n"
    )
}

#[test]
fn hash_config_reads_the_console_block_and_its_variants() {
    let reference = HashConfig::parse(&console_block()).unwrap();
    assert_eq!((reference.rounds(), reference.mem_cost()), (8, 14));
    assert_eq!(
        Value::Object(reference.params()),
        json!({"signer_key": KEY, "salt_separator": SEP, "rounds": 8, "mem_cost": 14})
    );
    let debug = format!("{reference:?}");
    assert!(!debug.contains(KEY) && !debug.contains(SEP), "{debug}");

    for variant in [
        // CRLF, tabs, no trailing commas, a comment and blank lines.
        console_block()
            .replace('\n', "\r\n")
            .replace("  ", "\t")
            .replace(",\r", "\r"),
        format!("# pasted from the console\n\n{}", console_block()),
        // Without the surrounding braces, or without the name.
        format!(
            "algorithm: SCRYPT\nbase64_signer_key: {KEY}\nbase64_salt_separator: {SEP}\nrounds: 8\nmem_cost: 14\n"
        ),
        format!(
            "{{ algorithm: SCRYPT, base64_signer_key: {KEY}, base64_salt_separator: {SEP}, rounds: 8, mem_cost: 14 }}"
        ),
        // One line, quoted values, the brace on the next line, a BOM.
        format!(
            "hash_config {{ algorithm: \"SCRYPT\", base64_signer_key: \"{KEY}\", base64_salt_separator: \"{SEP}\", rounds: \"8\", mem_cost: 14, }}"
        ),
        format!(
            "\u{feff}hash_config\n{{\nalgorithm:SCRYPT,\nbase64_signer_key:{KEY},\nbase64_salt_separator:{SEP},\nrounds:8,\nmem_cost:14\n}}\n\n"
        ),
    ] {
        assert_eq!(
            HashConfig::parse(&variant).unwrap(),
            reference,
            "{variant:?}"
        );
    }
    // The separator is optional (Firebase then appends none).
    let no_sep = HashConfig::parse(
        &console_block().replace(&format!("  base64_salt_separator: {SEP},\n"), ""),
    )
    .unwrap();
    assert!(!no_sep.params().contains_key("salt_separator"));
    // The fixture, as generate.py wrote it.
    assert_eq!(hash_config().rounds(), 8);
}

#[test]
fn hash_config_refuses_anything_else_naming_the_line_never_the_key() {
    let block = console_block();
    let cases: Vec<(String, &str)> = vec![
        ("hello world".into(), "line 1: expected `name: value`"),
        (String::new(), "no settings"),
        (
            block.replace("algorithm: SCRYPT", "algorithm: HMAC_SHA256"),
            "line 2: algorithm `HMAC_SHA256` is not supported",
        ),
        (
            block.replace("algorithm: SCRYPT", "algorithm: STANDARD_SCRYPT"),
            "line 2: algorithm `STANDARD_SCRYPT` is not supported",
        ),
        (
            block.replace("algorithm: SCRYPT,\n", ""),
            "no `algorithm` setting",
        ),
        (
            block.replace(
                &format!("base64_signer_key: {KEY}"),
                &format!("base64_signer_key: {KEY}!!"),
            ),
            "line 3: base64_signer_key is not base64",
        ),
        (
            block.replace(&format!("  base64_signer_key: {KEY},\n"), ""),
            "no `base64_signer_key` setting",
        ),
        // A key pasted on a line of its own.
        (
            block.replace("  rounds: 8,\n", &format!("  {KEY}\n  rounds: 8,\n")),
            "line 5: expected `name: value`",
        ),
        (
            block.replace(
                "  rounds: 8,\n",
                &format!("  {}: 1,\n  rounds: 8,\n", &KEY[..20]),
            ),
            "line 5: unknown setting",
        ),
        (
            block.replace("mem_cost: 14", "mem_cost: 15"),
            "line 6: mem_cost must be a whole number from 1 to 14",
        ),
        (
            block.replace("rounds: 8", "rounds: eight"),
            "line 5: rounds must be a whole number from 1 to 8",
        ),
        (
            block.replace("  mem_cost: 14,\n", "  mem_cost: 14,\n  rounds: 8,\n"),
            "line 7: rounds again (first given on line 5)",
        ),
        (
            block.replace("}\n", ""),
            "the `{` on line 1 is never closed",
        ),
        (
            format!("{block}{block}"),
            "line 8: text after the closing `}`",
        ),
        (
            block.replace("hash_config {", "hash_config ("),
            "line 1: expected `{` after `hash_config`",
        ),
        (
            block.replace(
                &format!("base64_signer_key: {KEY}"),
                &format!("base64_signer_key: \"{KEY}"),
            ),
            "line 3: base64_signer_key opens a quote",
        ),
    ];
    for (text, expected) in cases {
        let e = HashConfig::parse(&text).expect_err(expected);
        let shown = format!("{e} {e:?}");
        assert!(
            shown.contains(expected),
            "expected {expected:?}, got {shown}"
        );
        assert!(!shown.contains(&KEY[..20]), "the key leaked: {shown}");
        assert!(!shown.contains(SEP), "the separator leaked: {shown}");
    }
    assert!(matches!(
        HashConfig::read(Path::new("/nonexistent/hash_config.txt")),
        Err(HashConfigError::Read { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// the passwords

/// Every fixture password verifies with authferry's own hash crate, from what the source
/// produced (digest, hasher and params), and a wrong one does not. Two threads: each check is
/// one scrypt with N = 2^14, r = 8.
#[test]
fn every_fixture_password_verifies_with_authferrys_hash_crate() {
    let records = read_json(Some(&hash_config()));
    let passwords = passwords();
    let with_password: Vec<&User> = ok_users(&records)
        .into_iter()
        .filter(|u| u.password.is_some())
        .collect();
    assert_eq!(with_password.len(), passwords.len());
    assert!(
        with_password.len() >= 150,
        "most fixture users have a password"
    );

    let check = |users: &[&User]| {
        for u in users {
            let pw = u.password.as_ref().unwrap();
            let password = &passwords[&u.source_id];
            let params = ExtParams::from_json(&pw.params).unwrap();
            let parsed =
                authferry_hash::parse(pw.digest.expose(), pw.hasher.as_deref(), &params).unwrap();
            assert_eq!(parsed.verify(password).ok(), Some(true), "{}", u.source_id);
            assert_eq!(
                parsed.verify(&format!("{password}!")).ok(),
                Some(false),
                "{}: a wrong password",
                u.source_id
            );
        }
    };
    let (a, b) = with_password.split_at(with_password.len() / 2);
    std::thread::scope(|s| {
        s.spawn(|| check(a));
        s.spawn(|| check(b));
    });

    // The CSV's digests are the same ones: spot-check one through that path.
    let csv = read_csv(Some(&hash_config()));
    let u = user(&csv, "fb002");
    let pw = u.password.as_ref().unwrap();
    let params = ExtParams::from_json(&pw.params).unwrap();
    assert_eq!(
        authferry_hash::verify_with(
            pw.digest.expose(),
            pw.hasher.as_deref(),
            &params,
            &passwords[&u.source_id]
        )
        .ok(),
        Some(true)
    );
}
