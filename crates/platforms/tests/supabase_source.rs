//! The Supabase source against a real PostgreSQL holding Supabase Auth's tables as a project
//! has them (`tests/fixtures/supabase/schema.sql`) and 220 users as GoTrue fills them
//! (`users.sql`, made by `tests/fixtures-gen/supabase/generate.py` with real bcrypt digests of
//! the passwords in `passwords.json`). `expected.json`, written by the same generator from its
//! own inputs, says what every user must become; the tests compare the source's output with
//! it, field by field.
//!
//! PostgreSQL on 127.0.0.1:5432 (user `postgres`, trust auth); each test creates and drops its
//! own database. Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql)
//! main start` if it is down.

use authferry_core::{RecordError, Source, User};
use authferry_platforms::SpecError;
use authferry_platforms::registry::{Settings, parse_source};
use authferry_platforms::supabase::{PAGE_SIZE, Skipped, SupabaseSource};
use authferry_testkit::TempPgDatabase;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/supabase/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_fixture(name: &str) -> BTreeMap<String, Value> {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A database with Supabase's auth schema and the fixture's users.
fn fixture_db() -> TempPgDatabase {
    let db = TempPgDatabase::with_schema("supabase_src", &fixture("schema.sql"));
    db.client()
        .batch_execute(&fixture("users.sql"))
        .expect("load users.sql");
    db
}

/// Everything the source yields, and what it left out.
fn read_all(url: &str) -> (Vec<Result<User, RecordError>>, Skipped) {
    let mut source = SupabaseSource::open(url).expect("open the Supabase source");
    assert_eq!(source.id_space(), Some("supabase"));
    let mut out = Vec::new();
    let mut skipped_records = 0u64;
    while let Some(item) = source.next_user() {
        assert!(
            !matches!(&item, Err(e) if e.fatal),
            "fatal error: {:?}",
            item.err()
        );
        // Deleted and anonymous accounts come as skipped records, each with its reason; the
        // counts say how many (checked by the callers).
        if let Err(e) = &item
            && e.skip
        {
            assert_eq!(
                e.to_reason().code,
                authferry_core::ReasonCode::InactiveInSource
            );
            assert!(e.message.contains("not moved"), "{}", e.message);
            assert!(e.source_id.is_some());
            skipped_records += 1;
            continue;
        }
        out.push(item);
    }
    let skipped = source.skipped().clone();
    assert_eq!(
        skipped_records,
        skipped.deleted_users + skipped.anonymous_users,
        "every deleted or anonymous user is one skipped record"
    );
    (out, skipped)
}

fn id_of(item: &Result<User, RecordError>) -> String {
    match item {
        Ok(u) => u.source_id.clone(),
        Err(e) => e.source_id.clone().expect("a record error names its user"),
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn millis(v: &Value) -> Option<i64> {
    v.as_i64()
}

#[test]
fn every_user_is_mapped_as_expected() {
    let db = fixture_db();
    let expected = json_fixture("expected.json");
    let (items, skipped) = read_all(&db.url());

    // Keyset order: by uuid, no user twice, none invented.
    let ids: Vec<String> = items.iter().map(id_of).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "users come in uuid order, once each"
    );
    let wanted: BTreeSet<&String> = expected
        .iter()
        .filter(|(_, e)| e.get("skip").is_none())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>(), wanted);

    // Who is left out, and the other things counted.
    let count = |kind: &str| {
        expected
            .values()
            .filter(|e| e["skip"] == json!(kind))
            .count() as u64
    };
    assert_eq!(skipped.deleted_users, count("deleted"));
    assert_eq!(skipped.anonymous_users, count("anonymous"));
    assert_eq!((skipped.deleted_users, skipped.anonymous_users), (1, 2));
    assert_eq!(skipped.sso_identities, 1, "the SAML identity is not linked");
    assert_eq!(
        skipped.extra_totp_factors, 1,
        "the second authenticator is counted"
    );
    assert!(
        skipped.other_factors.is_empty(),
        "the phone factor moves: {:?}",
        skipped.other_factors
    );
    let notes = skipped.notes().join("\n");
    assert!(
        notes.contains("SSO (SAML) identities not linked: 1"),
        "{notes}"
    );

    let mut seen = BTreeMap::<&str, usize>::new();
    for item in &items {
        let id = id_of(item);
        let e = &expected[&id];
        let label = format!("user {} ({id})", e["index"]);
        if let Some(reason) = e.get("source_error").and_then(Value::as_str) {
            let err = item.as_ref().expect_err(&label);
            assert!(!err.fatal, "{label}");
            assert!(err.message.contains(reason), "{label}: {}", err.message);
            // The envelope's sealed bytes never reach the message.
            assert!(
                !err.message.contains("\"data\""),
                "{label}: {}",
                err.message
            );
            assert!(
                err.message.contains("encrypted"),
                "{label}: {}",
                err.message
            );
            *seen.entry("source_error").or_default() += 1;
            continue;
        }
        let u = item
            .as_ref()
            .unwrap_or_else(|e| panic!("{label}: unexpected error {e}"));

        // Identifiers.
        match text(&e["email"]) {
            Some(address) => {
                assert_eq!(u.emails.len(), 1, "{label}");
                assert_eq!(u.emails[0].address, address, "{label}");
                assert_eq!(
                    u.emails[0].verified,
                    e["email_verified"] == json!(true),
                    "{label}"
                );
                assert!(u.emails[0].primary, "{label}");
            }
            None => assert!(u.emails.is_empty(), "{label}"),
        }
        match text(&e["phone"]) {
            Some(number) => {
                assert_eq!(u.phones.len(), 1, "{label}");
                assert_eq!(u.phones[0].number, number, "{label}: E.164 with +");
                assert_eq!(
                    u.phones[0].verified,
                    e["phone_verified"] == json!(true),
                    "{label}"
                );
                *seen.entry("phone").or_default() += 1;
            }
            None => assert!(u.phones.is_empty(), "{label}"),
        }

        // Password: declared bcrypt whatever the digest; a digest that is not bcrypt is the
        // engine's to fail (checked in the CLI's e2e test).
        match e["password"].as_str() {
            Some(kind) => {
                let pw = u.password.as_ref().expect(&label);
                assert_eq!(pw.hasher.as_deref(), Some("bcrypt"), "{label}");
                assert!(pw.params.is_empty(), "{label}");
                let parsed = authferry_hash::parse(
                    pw.digest.expose(),
                    Some("bcrypt"),
                    &authferry_hash::ExtParams::default(),
                );
                assert_eq!(parsed.is_ok(), kind == "bcrypt", "{label}");
                *seen
                    .entry(if kind == "bcrypt" {
                        "bcrypt"
                    } else {
                        "not bcrypt"
                    })
                    .or_default() += 1;
            }
            None => {
                assert!(u.password.is_none(), "{label}");
                *seen.entry("no password").or_default() += 1;
            }
        }

        // Two-factor.
        assert_eq!(
            u.totp_secret.as_ref().map(|s| s.expose().to_string()),
            text(&e["totp"]),
            "{label}"
        );
        if u.totp_secret.is_some() {
            *seen.entry("totp").or_default() += 1;
        }
        let mfa_phones: Vec<Value> = u
            .mfa_phones
            .iter()
            .map(|p| {
                assert!(p.verified, "{label}");
                json!(p.number)
            })
            .collect();
        assert_eq!(json!(mfa_phones), e["mfa_phones"], "{label}");
        if !mfa_phones.is_empty() {
            *seen.entry("mfa_phone").or_default() += 1;
        }

        // OAuth identities, without the user's own email/phone identities.
        let mut accounts: Vec<Value> = u
            .external_accounts
            .iter()
            .map(|a| {
                assert!(a.scopes.is_empty(), "{label}");
                assert!(a.created_at.is_some() && a.updated_at.is_some(), "{label}");
                json!({"provider": a.provider, "provider_user_id": a.provider_user_id, "email": a.email})
            })
            .collect();
        accounts.sort_by_key(|a| a.to_string());
        let mut want = e["accounts"].as_array().cloned().unwrap_or_default();
        want.sort_by_key(|a| a.to_string());
        assert_eq!(accounts, want, "{label}");
        if !accounts.is_empty() {
            *seen.entry("oauth").or_default() += 1;
        }

        // Metadata: the app's is private, the user's is user-editable (unsafe).
        assert_eq!(
            u.unsafe_metadata.as_ref(),
            e.get("user_metadata").filter(|v| !v.is_null()),
            "{label}"
        );
        assert_eq!(
            u.private_metadata.as_ref(),
            e.get("app_metadata"),
            "{label}"
        );
        assert!(u.public_metadata.is_none(), "{label}");
        assert_eq!(u.display_name, text(&e["display_name"]), "{label}");
        assert_eq!(u.image_url, text(&e["image_url"]), "{label}");

        // Dates and the ban.
        assert_eq!(
            u.created_at.map(|t| t.millis()),
            millis(&e["created_at"]),
            "{label}"
        );
        assert_eq!(
            u.updated_at.map(|t| t.millis()),
            millis(&e["updated_at"]),
            "{label}"
        );
        assert_eq!(
            u.last_sign_in_at.map(|t| t.millis()),
            millis(&e["last_sign_in_at"]),
            "{label}"
        );
        assert_eq!(u.banned, e["banned"] == json!(true), "{label}");
        if u.banned {
            *seen.entry("banned").or_default() += 1;
        }
        assert!(u.username.is_none() && u.backup_codes.is_empty() && !u.locked);
    }
    // The fixture's mix reached every branch.
    assert_eq!(seen.get("source_error"), Some(&2), "{seen:?}");
    assert_eq!(seen.get("not bcrypt"), Some(&1), "{seen:?}");
    assert_eq!(seen.get("banned"), Some(&1), "{seen:?}");
    assert_eq!(seen.get("mfa_phone"), Some(&1), "{seen:?}");
    assert!(seen.get("bcrypt") >= Some(&190), "{seen:?}");
    assert!(seen.get("totp") >= Some(&15), "{seen:?}");
    assert!(seen.get("oauth") >= Some(&15), "{seen:?}");
    assert!(seen.get("phone") >= Some(&15), "{seen:?}");
    assert!(seen.get("no password") >= Some(&14), "{seen:?}");
}

#[test]
fn chosen_users_in_detail() {
    let db = fixture_db();
    let expected = json_fixture("expected.json");
    let by_index = |i: i64| {
        expected
            .iter()
            .find(|(_, e)| e["index"] == json!(i))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no user {i} in expected.json"))
    };
    let (items, _) = read_all(&db.url());
    let user = |i: i64| -> User {
        let id = by_index(i);
        items
            .iter()
            .find(|r| id_of(r) == id)
            .unwrap_or_else(|| panic!("user {i} was not read"))
            .clone()
            .unwrap_or_else(|e| panic!("user {i}: {e}"))
    };

    // 0: email + password, confirmed, metadata in both columns.
    let u = user(0);
    assert_eq!(u.emails[0].address, "user0@example.com");
    assert!(u.emails[0].verified);
    assert!(
        u.password
            .as_ref()
            .unwrap()
            .digest
            .expose()
            .starts_with("$2a$10$")
    );
    assert_eq!(u.private_metadata.as_ref().unwrap()["role"], "admin");
    assert_eq!(
        u.private_metadata.as_ref().unwrap()["providers"],
        json!(["email"])
    );
    assert_eq!(
        u.unsafe_metadata.as_ref().unwrap()["preferences"]["theme"],
        "dark"
    );
    assert_eq!(u.display_name.as_deref(), Some("Ada Lovelace"));

    // 4: unconfirmed email.
    assert!(!user(4).emails[0].verified);

    // 5: banned until the year 3000; 6: a ban that ended.
    assert!(user(5).banned);
    assert!(!user(6).banned);

    // 7: OAuth only, two identities, no password; the email identity is not an account.
    let u = user(7);
    assert!(u.password.is_none());
    let providers: Vec<&str> = u
        .external_accounts
        .iter()
        .map(|a| a.provider.as_str())
        .collect();
    assert_eq!(providers, ["github", "google"]);
    assert!(
        u.external_accounts
            .iter()
            .all(|a| a.email.as_deref() == Some("user7@example.com"))
    );

    // 11: phone only, stored without + by GoTrue.
    let u = user(11);
    assert!(u.emails.is_empty());
    assert_eq!(u.phones[0].number, "+15550000011");
    assert!(u.phones[0].verified);
    assert!(u.password.is_some());

    // 16: azure is Microsoft.
    assert_eq!(user(16).external_accounts[0].provider, "microsoft");

    // 17: TOTP beside a phone factor (an SMS second factor, not a sign-in phone); 18: two TOTP factors, the first enrolled moves;
    // 19: only an unverified TOTP factor.
    assert_eq!(
        user(17)
            .totp_secret
            .as_ref()
            .map(|s| s.expose().to_string()),
        text(&expected[&by_index(17)]["totp"])
    );
    assert_eq!(
        user(18)
            .totp_secret
            .as_ref()
            .map(|s| s.expose().to_string()),
        text(&expected[&by_index(18)]["totp"])
    );
    assert!(user(19).totp_secret.is_none());
    let u = user(17);
    assert_eq!(u.mfa_phones.len(), 1);
    assert_eq!(u.mfa_phones[0].number, "+16660000017");
    assert!(u.mfa_phones[0].primary && u.phones.is_empty());

    // 15: an SSO user moves with their email, without the SAML link.
    let u = user(15);
    assert!(u.external_accounts.is_empty() && u.password.is_none());
    assert_eq!(u.emails[0].address, "user15@example.com");

    // Debug output carries no secret.
    let debug = format!("{:?}", user(17));
    assert!(
        !debug.contains("$2a$")
            && !debug.contains(&text(&expected[&by_index(17)]["totp"]).unwrap())
    );
}

#[test]
fn every_fixture_password_verifies_as_bcrypt() {
    let db = fixture_db();
    let passwords = json_fixture("passwords.json");
    assert!(passwords.len() >= 190, "the fixture has its password users");
    let (items, _) = read_all(&db.url());
    let users: BTreeMap<String, User> = items
        .into_iter()
        .filter_map(Result::ok)
        .map(|u| (u.source_id.clone(), u))
        .collect();
    // bcrypt at cost 10 is slow on purpose: check in parallel.
    let work: Vec<(String, String, String)> = passwords
        .iter()
        .map(|(id, pw)| {
            let u = users
                .get(id)
                .unwrap_or_else(|| panic!("user {id} with a password was not read"));
            let p = u
                .password
                .as_ref()
                .unwrap_or_else(|| panic!("{id} has no password"));
            assert_eq!(p.hasher.as_deref(), Some("bcrypt"), "{id}");
            (
                id.clone(),
                p.digest.expose().to_string(),
                pw.as_str().expect("a password").to_string(),
            )
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = work.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in work.chunks(chunk) {
            s.spawn(move || {
                for (id, digest, password) in part {
                    assert_eq!(
                        authferry_hash::verify(digest, Some("bcrypt"), password).ok(),
                        Some(true),
                        "{id}: the right password does not verify"
                    );
                    let wrong = format!("{password}!");
                    assert_eq!(
                        authferry_hash::verify(digest, Some("bcrypt"), &wrong).ok(),
                        Some(false),
                        "{id}: a wrong password verifies"
                    );
                }
            });
        }
    });
}

#[test]
fn pages_are_read_by_keyset_with_their_identities() {
    // Ids chosen in order so that the second page is wholly soft-deleted: the source must
    // read on past a page that gives nobody.
    let db = TempPgDatabase::with_schema("supabase_pages", &fixture("schema.sql"));
    let n = 2 * PAGE_SIZE + 345;
    let page = PAGE_SIZE;
    db.client()
        .batch_execute(&format!(
            "INSERT INTO auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
                                     raw_user_meta_data, created_at, updated_at, deleted_at)
             SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                    'bulk' || g || '@example.com', '', now(), '{{}}', NULL, now(), now(),
                    CASE WHEN g > {page} AND g <= 2 * {page} THEN now() END
               FROM generate_series(1, {n}) g;
             INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
             SELECT 'gh-' || g, ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                    jsonb_build_object('sub', 'gh-' || g), 'github', now(), now()
               FROM generate_series(1, {n}) g;"
        ))
        .unwrap();
    let (items, skipped) = read_all(&db.url());
    assert_eq!(skipped.deleted_users, PAGE_SIZE as u64);
    assert_eq!(items.len(), n - PAGE_SIZE);
    let mut last = String::new();
    for item in &items {
        let u = item.as_ref().unwrap();
        assert!(u.source_id > last, "keyset order");
        last = u.source_id.clone();
        let g: usize = u.emails[0]
            .address
            .trim_start_matches("bulk")
            .trim_end_matches("@example.com")
            .parse()
            .unwrap();
        assert!(
            g <= PAGE_SIZE || g > 2 * PAGE_SIZE,
            "a deleted user was read"
        );
        // Each page's identities go to that page's users.
        assert_eq!(u.external_accounts.len(), 1);
        assert_eq!(u.external_accounts[0].provider_user_id, format!("gh-{g}"));
        assert!(
            u.password.is_none(),
            "an empty encrypted_password is no password"
        );
        assert!(u.private_metadata.is_none(), "{{}} carries nothing");
    }
}

#[test]
fn an_old_schema_is_read() {
    // A project from before November 2023 (identities.id was the provider's id), before
    // phone factors and anonymous users, without the ban, soft-delete and SSO columns.
    let db = TempPgDatabase::with_schema("supabase_old", &fixture("schema.sql"));
    db.client()
        .batch_execute(
            "ALTER TABLE auth.mfa_factors DROP COLUMN phone;
             ALTER TABLE auth.identities DROP COLUMN id;
             ALTER TABLE auth.identities RENAME COLUMN provider_id TO id;
             ALTER TABLE auth.identities ADD CONSTRAINT identities_pkey PRIMARY KEY (provider, id);
             ALTER TABLE auth.users DROP COLUMN is_anonymous, DROP COLUMN deleted_at,
                                    DROP COLUMN banned_until, DROP COLUMN is_sso_user;
             INSERT INTO auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
                                     raw_user_meta_data, created_at, updated_at, phone)
             VALUES ('11111111-1111-4111-8111-111111111111', 'old@example.com', '', now(),
                     '{\"provider\":\"github\",\"providers\":[\"github\"]}', '{\"name\":\"Old Timer\",\"picture\":\"https://p.example/o.png\"}',
                     '2021-10-01 10:00:00+00', now(), '447700900123');
             INSERT INTO auth.identities (id, user_id, identity_data, provider, created_at, updated_at)
             VALUES ('583231', '11111111-1111-4111-8111-111111111111', '{\"email\":\"old@example.com\"}',
                     'github', now(), now());
             INSERT INTO auth.mfa_factors (id, user_id, factor_type, status, created_at, updated_at, secret)
             VALUES ('22222222-2222-4222-8222-222222222222', '11111111-1111-4111-8111-111111111111',
                     'totp', 'verified', now(), now(), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');",
        )
        .unwrap();
    let (items, skipped) = read_all(&db.url());
    assert_eq!(skipped, Skipped::default());
    assert_eq!(items.len(), 1);
    let u = items[0].as_ref().unwrap();
    assert_eq!(u.external_accounts[0].provider_user_id, "583231");
    assert_eq!(u.phones[0].number, "+447700900123");
    assert_eq!(u.display_name.as_deref(), Some("Old Timer"));
    assert_eq!(u.image_url.as_deref(), Some("https://p.example/o.png"));
    assert_eq!(u.created_at.map(|t| t.millis()), Some(1_633_082_400_000));
    assert_eq!(
        u.totp_secret.as_ref().map(|s| s.expose()),
        Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    );
    assert!(u.mfa_phones.is_empty() && !u.banned);
}

#[test]
fn a_database_without_supabase_auth_is_refused() {
    let db = TempPgDatabase::create("supabase_none");
    let err = SupabaseSource::open(&db.url()).unwrap_err();
    assert!(err.contains("auth.users"), "{err}");
}

#[test]
fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let spec = "supabase:postgres://postgres:Sup3r-Secret-pw@127.0.0.1:1/postgres?sslmode=disable";
    let plan = parse_source(spec, &Settings::default()).expect("a well-formed spec parses");
    assert!(!format!("{plan:?}").contains("Sup3r-Secret-pw"));
    let err = match plan.open() {
        Err(e) => e,
        Ok(_) => panic!("nothing listens on port 1"),
    };
    let text = err.to_string();
    assert!(matches!(err, SpecError::Open { .. }), "{text}");
    assert!(!text.contains("Sup3r-Secret-pw"), "{text}");
    assert!(
        text.contains("127.0.0.1:1") && text.contains("PostgreSQL"),
        "{text}"
    );
}

#[test]
fn specs_that_are_not_postgres_urls_are_usage_errors() {
    for spec in [
        "supabase:mysql://u:pw@host/db",
        "supabase:https://abc.supabase.co",
    ] {
        match parse_source(spec, &Settings::default()) {
            Err(SpecError::Usage(m)) => {
                assert!(m.contains("supabase:postgres://"), "{m}");
                assert!(!m.contains(":pw@"), "{m}");
            }
            other => panic!("{spec}: {:?}", other.map(|_| ())),
        }
    }
    assert!(matches!(
        parse_source(
            "supabase:postgres://u@h/db?sslmode=sometimes",
            &Settings::default()
        ),
        Err(SpecError::Usage(_))
    ));
}

#[test]
fn the_source_opens_through_the_registry() {
    let db = fixture_db();
    let plan = parse_source(&format!("supabase:{}", db.url()), &Settings::default()).unwrap();
    let mut source = plan.open().unwrap();
    assert!(
        source.describe().contains("auth.mfa_factors"),
        "{}",
        source.describe()
    );
    assert_eq!(source.id_space(), Some("supabase"));
    let (mut n, mut skipped) = (0, 0);
    while let Some(item) = source.next_user() {
        assert!(!matches!(&item, Err(e) if e.fatal));
        n += 1;
        skipped += matches!(&item, Err(e) if e.skip) as usize;
    }
    assert_eq!(n, 220, "every user is a record");
    assert_eq!(
        skipped, 3,
        "one deleted and two anonymous, skipped with their reasons"
    );
}
