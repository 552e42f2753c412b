//! The three Clerk sources, through the crate's public API, on fixtures shaped like real
//! exports (`tests/fixtures/clerk/`) and on the bundled demo export (`samples/`).

use authferry_core::{EmailAddress, PhoneNumber, RecordError, Source, Timestamp, User};
use authferry_platforms::clerk::{
    ClerkApiJsonSource, ClerkCsvLayout, ClerkCsvSource, ClerkUsersJsonSource,
};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/clerk")
        .join(name)
}

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

/// Every record of a source, in order.
fn drain(source: &mut dyn Source) -> Vec<Result<User, RecordError>> {
    std::iter::from_fn(|| source.next_user()).collect()
}

/// Every record of a Clerk CSV export holding `text`.
fn read_csv(text: &str) -> Vec<Result<User, RecordError>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, text).unwrap();
    drain(&mut ClerkCsvSource::open(&path).unwrap())
}

fn ok_users(records: &[Result<User, RecordError>]) -> Vec<&User> {
    records.iter().filter_map(|r| r.as_ref().ok()).collect()
}

/// The ids of the users read, in order.
fn ok_ids(records: &[Result<User, RecordError>]) -> Vec<&str> {
    ok_users(records)
        .into_iter()
        .map(|u| u.source_id.as_str())
        .collect()
}

fn errors(records: &[Result<User, RecordError>]) -> Vec<&RecordError> {
    records.iter().filter_map(|r| r.as_ref().err()).collect()
}

fn user<'a>(records: &'a [Result<User, RecordError>], id: &str) -> &'a User {
    ok_users(records)
        .into_iter()
        .find(|u| u.source_id == id)
        .unwrap_or_else(|| panic!("no user {id} in {records:#?}"))
}

fn email(address: &str, verified: bool, primary: bool) -> EmailAddress {
    EmailAddress {
        address: address.into(),
        verified,
        primary,
    }
}

fn phone(number: &str, verified: bool, primary: bool) -> PhoneNumber {
    PhoneNumber {
        number: number.into(),
        verified,
        primary,
    }
}

fn digest(u: &User) -> Option<(&str, Option<&str>)> {
    u.password
        .as_ref()
        .map(|p| (p.digest.expose(), p.hasher.as_deref()))
}

/// Clerk's own sample digest, for the password `Kk4aPMeiaRpAs2OeX1NE`.
const CLERK_SAMPLE_DIGEST: &str = "$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2";

// ---------------------------------------------------------------------------------------------
// clerk-csv
// ---------------------------------------------------------------------------------------------

#[test]
fn dashboard_csv_maps_every_column() {
    let mut source = ClerkCsvSource::open(&fixture("dashboard.csv")).unwrap();
    assert_eq!(source.layout(), ClerkCsvLayout::Dashboard);
    assert!(source.describe().contains("dashboard layout"));
    let records = drain(&mut source);

    // Ten data rows: one blank (skipped), one without an id and one cut short (errors), seven
    // users.
    assert_eq!(ok_users(&records).len(), 7, "{records:#?}");
    assert_eq!(errors(&records).len(), 2);

    // Clerk's own sample row, after the BOM and the `#` comment line.
    let jane = user(&records, "user_2YDryYFVMM1W1plDDKz7Gzf4we6");
    assert_eq!(jane.first_name.as_deref(), Some("Jane"));
    assert_eq!(jane.last_name.as_deref(), Some("Doe"));
    assert_eq!(
        jane.username, None,
        "an empty cell is absent, not Some(\"\")"
    );
    assert_eq!(jane.emails, [email("janedoe@test.com", true, true)]);
    assert!(jane.phones.is_empty());
    assert_eq!(digest(jane), Some((CLERK_SAMPLE_DIGEST, Some("bcrypt"))));
    assert!(jane.totp_secret.is_none());
    assert!(jane.public_metadata.is_none());

    // Quoted newline and comma in names; `|` and `,` separated multi-value cells; the primary
    // listed again in lower case among the verified addresses is one address.
    let mary = user(&records, "user_2multiValue0000000000000001");
    assert_eq!(mary.first_name.as_deref(), Some("Mary\r\nAnn"));
    assert_eq!(mary.last_name.as_deref(), Some("Doe, Jr."));
    assert_eq!(mary.username.as_deref(), Some("mary_ann"));
    assert_eq!(
        mary.emails,
        [
            email("Mary.Ann@Example.com", true, true),
            email("mary@work.example", true, false),
            email("old-mary@example.com", false, false),
        ]
    );
    assert_eq!(
        mary.phones,
        [
            phone("+15551234567", true, true),
            phone("+15557654321", true, false),
            phone("+447700900123", false, false),
        ]
    );
    assert_eq!(
        mary.totp_secret.as_ref().map(|s| s.expose()),
        Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    );
    assert_eq!(
        digest(mary),
        Some((
            "$2b$10$IxstpZusuSIeHD5lb/um7.znEsxVmoSujHk9MtwA617C1lm2licx2",
            Some("bcrypt")
        ))
    );

    let zoe = user(&records, "user_2unicode00000000000000000002");
    assert_eq!(zoe.first_name.as_deref(), Some("Zoë"));
    assert_eq!(zoe.last_name.as_deref(), Some("Ñúñez-Łukasiewicz"));
    assert_eq!(zoe.username.as_deref(), Some("zoë_n"));
    assert_eq!(zoe.emails, [email("zoë@bücher.example", true, true)]);

    let phone_only = user(&records, "user_2phoneOnly000000000000000003");
    assert!(phone_only.emails.is_empty());
    assert_eq!(phone_only.phones, [phone("+15550001111", true, true)]);
    assert_eq!(phone_only.first_name, None);
    assert!(phone_only.password.is_none());

    // Another user's address in other case is passed on as it is: deduplicating across
    // records is the engine's job.
    let shouting = user(&records, "user_2caseDuplicate0000000000004");
    assert_eq!(shouting.emails, [email("JANEDOE@TEST.COM", true, true)]);

    // Whitespace around values is trimmed; a primary only in the unverified list is
    // unverified.
    let bob = user(&records, "user_2unverifiedPrimary000000005");
    assert_eq!(bob.first_name.as_deref(), Some("Padded"));
    assert_eq!(bob.emails, [email("bob@example.com", false, true)]);

    // A quoted digest with commas in it, and a hasher other than bcrypt.
    let argon = user(&records, "user_2argon000000000000000000006");
    assert_eq!(
        digest(argon),
        Some((
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            Some("argon2id")
        ))
    );

    // A row that stops early fails (issue 9: it used to move without the password its missing
    // cells may have held), with both counts.
    let short = errors(&records)[1];
    assert_eq!(
        short.source_id.as_deref(),
        Some("user_2shortRow0000000000000000007")
    );
    assert!(
        short.message.contains("has 5 cells, the header has 13"),
        "{short}"
    );

    // The row without an id fails alone, naming the field and where it is.
    let no_id = errors(&records)[0];
    assert!(!no_id.fatal);
    assert_eq!(no_id.source_id, None);
    assert_eq!(no_id.field.as_deref(), Some("id"));
    assert!(no_id.message.contains("row 8 after the header"), "{no_id}");
}

#[test]
fn dashboard_csv_keeps_file_order() {
    let mut source = ClerkCsvSource::open(&fixture("dashboard.csv")).unwrap();
    let ids: Vec<Option<String>> = drain(&mut source)
        .into_iter()
        .map(|r| r.ok().map(|u| u.source_id))
        .collect();
    assert_eq!(ids[0].as_deref(), Some("user_2YDryYFVMM1W1plDDKz7Gzf4we6"));
    assert_eq!(ids[5].as_deref(), Some("user_2unverifiedPrimary000000005"));
    assert_eq!(ids[6], None, "the row without an id");
    assert_eq!(ids[8], None, "the row cut short");
}

#[test]
fn csv_columns_match_by_name_in_any_order() {
    let mut source = ClerkCsvSource::open(&fixture("reordered.csv")).unwrap();
    assert_eq!(source.layout(), ClerkCsvLayout::Dashboard);
    let records = drain(&mut source);
    assert!(errors(&records).is_empty(), "{records:#?}");

    let ada = user(&records, "user_2reordered00000000000001");
    assert_eq!(ada.first_name.as_deref(), Some("Ada"));
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(ada.emails, [email("ada@example.com", true, true)]);
    assert_eq!(digest(ada), Some((CLERK_SAMPLE_DIGEST, Some("bcrypt"))));
    assert_eq!(
        ada.created_at,
        Some(Timestamp::from_millis(1_697_955_053_486))
    );
    assert!(ada.phones.is_empty() && ada.totp_secret.is_none());

    // A hasher without a digest is no password; the unknown `organization` column (with a
    // quoted comma) is ignored.
    let grace = user(&records, "user_2reordered00000000000002");
    assert!(grace.password.is_none());
    assert_eq!(grace.emails, [email("grace@example.com", false, true)]);
    assert_eq!(
        grace.created_at,
        Some(Timestamp::from_millis(1_697_955_053_486))
    );
}

#[test]
fn legacy_csv_reads_address_lists_and_json_metadata() {
    let mut source = ClerkCsvSource::open(&fixture("legacy.csv")).unwrap();
    assert_eq!(source.layout(), ClerkCsvLayout::Legacy);
    assert!(source.describe().contains("legacy layout"));
    let records = drain(&mut source);
    assert_eq!(records.len(), 5);

    // The legacy export says neither which address is primary nor which is verified, so
    // none is claimed (the canonical model then takes the first as primary).
    let jessica = user(&records, "user_2gRua7G8WRYBglzXE5sxRbIRkfJ");
    assert_eq!(
        jessica.emails,
        [
            email("jessica@atreides.com", false, false),
            email("jessica@harkonnen.com", false, false),
        ]
    );
    assert_eq!(
        jessica.primary_email().map(|e| e.address.as_str()),
        Some("jessica@atreides.com")
    );
    assert_eq!(
        jessica.public_metadata,
        Some(json!({"plan": "pro", "seats": 3}))
    );
    assert_eq!(
        jessica.private_metadata,
        Some(json!({"stripe_customer_id": "cus_123", "tags": ["vip", "beta"]}))
    );
    assert_eq!(jessica.unsafe_metadata, Some(json!({})));
    assert!(jessica.password.is_none());

    let vlad = user(&records, "user_2gXEmg00DCV77CHNO4aa3q8ZYRf");
    assert_eq!(vlad.username.as_deref(), Some("vlad"));
    assert_eq!(
        vlad.phones,
        [
            phone("+15551112222", false, false),
            phone("+15553334444", false, false),
        ]
    );
    assert_eq!(
        vlad.totp_secret.as_ref().map(|s| s.expose()),
        Some("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    );
    assert_eq!(
        digest(vlad),
        Some((
            "$2b$10$.rU67Fk.7/QRC6iLPFV8Eeb9w56VKAVOd9Lt5VqgERTn8KChBFLg6",
            Some("bcrypt")
        ))
    );
    assert!(
        vlad.public_metadata.is_none(),
        "empty metadata cells are absent"
    );

    // Broken metadata JSON fails that record, naming it and the column; the run goes on.
    let broken = records[2].as_ref().unwrap_err();
    assert!(!broken.fatal);
    assert_eq!(
        broken.source_id.as_deref(),
        Some("user_2brokenMetadata00000000003")
    );
    assert_eq!(broken.field.as_deref(), Some("public_metadata"));
    assert!(broken.message.contains("not valid JSON"), "{broken}");

    let paul = user(&records, "user_2afterBroken00000000000004");
    assert_eq!(paul.unsafe_metadata, Some(json!({"note": "ünïcödé ✓"})));
    assert_eq!(paul.public_metadata, None, "JSON null is no metadata");

    let leto = records[4].as_ref().unwrap_err();
    assert_eq!(leto.field.as_deref(), Some("private_metadata"));
    assert!(!leto.to_string().contains("sk_live_PRIVATEVALUE"), "{leto}");
}

#[test]
fn csv_cell_that_is_not_utf8_fails_that_record_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(b"id,first_name,primary_email_address\n")
        .unwrap();
    file.write_all(b"user_1,Jos\xe9,jose@example.com\n")
        .unwrap();
    file.write_all(b"user_2,Ana,ana@example.com\n").unwrap();
    drop(file);

    let records = drain(&mut ClerkCsvSource::open(&path).unwrap());
    let err = records[0].as_ref().unwrap_err();
    assert_eq!(err.source_id.as_deref(), Some("user_1"));
    assert_eq!(err.field.as_deref(), Some("first_name"));
    assert!(err.message.contains("UTF-8"));
    assert_eq!(records[1].as_ref().unwrap().source_id, "user_2");
}

/// Issue 9 item 1: an unbalanced quote used to swallow every row after it into one cell —
/// "records read 1" for a 3-row file, the other users nowhere. Now its row fails, naming the
/// line, and the rows after it are read.
#[test]
fn csv_stray_quote_fails_its_row_and_the_rows_after_it_still_arrive() {
    let records = read_csv(
        "# comment before the header\n\
         id,first_name,last_name,primary_email_address,password_digest\n\
         user_1,\"Al,Smith,al@example.com,\n\
         user_2,Bea,Jones,bea@example.com,\n\
         user_3,\"Cy, Jr.\",Doe,cy@example.com,\n\
         user_4,Di,\"Multi\nline\",di@example.com,\n\
         user_5,Ed,Ng,ed@example.com,\n",
    );
    let ids = ok_ids(&records);
    assert_eq!(
        ids,
        ["user_2", "user_3", "user_4", "user_5"],
        "{records:#?}"
    );
    let errs = errors(&records);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].source_id.as_deref(), Some("user_1"));
    assert!(
        errs[0].message.contains("line 3") && errs[0].message.contains("quoted cell"),
        "{}",
        errs[0].message
    );
    assert!(!errs[0].fatal);
    // A quoted comma and a legitimate cell over two lines are data, not damage.
    assert_eq!(
        user(&records, "user_3").first_name.as_deref(),
        Some("Cy, Jr.")
    );
    assert_eq!(
        user(&records, "user_4").last_name.as_deref(),
        Some("Multi\nline")
    );

    // The quote on the last row: it runs to the end of the file, and still only its own row fails.
    let records = read_csv(
        "id,first_name,primary_email_address\nuser_1,\"Al,al@example.com\nuser_2,Bea,bea@example.com\n",
    );
    assert_eq!(records.len(), 2, "{records:#?}");
    assert!(records[0].is_err());
    assert_eq!(records[1].as_ref().unwrap().source_id, "user_2");
}

/// Found by fuzzing (`fuzz/seeds/source_clerk_csv/crlf-then-stray-quote.csv`): after a row
/// ending in CRLF, the `csv` crate places the next record on the LF, a line early. A stray
/// quote in that record resynchronised on its own first line and read it twice (a duplicate
/// record, a wrong line number in the reason).
#[test]
fn csv_stray_quote_after_a_crlf_row_is_read_once() {
    let records = read_csv(
        "id,first_name,primary_email_address\r\n\
         user_1,Al,al@example.com\r\n\
         user_2,\"Bea,bea@example.com\n\
         user_3,Cy,cy@example.com\n\
         user_4,Di,di@example.com,extra\r\n\
         user_5,Ed,ed@example.com\r\n",
    );
    assert_eq!(
        ok_ids(&records),
        ["user_1", "user_3", "user_5"],
        "{records:#?}"
    );
    let errs = errors(&records);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].message.contains("row 2 (line 3): a quoted cell"),
        "{}",
        errs[0].message
    );
    assert!(
        errs[0].message.contains("so the 3 lines after it"),
        "{}",
        errs[0].message
    );
    assert!(
        errs[1].message.contains("row 4 (line 5) has 4 cells"),
        "{}",
        errs[1].message
    );
    assert_eq!(records.len(), 5);
}

/// Issue 9 item 2: a row cut short (or with cells to spare) used to migrate with whatever its
/// cells happened to hold — a user without the password it had. It fails with both counts.
#[test]
fn csv_row_with_another_number_of_cells_than_the_header_fails() {
    let records = read_csv(&format!(
        "id,first_name,primary_email_address,password_digest,password_hasher\n\
             user_1,Al,al@example.com\n\
             user_2,Bea,bea@example.com,{CLERK_SAMPLE_DIGEST},bcrypt\n\
             user_3,Cy,cy@example.com,{CLERK_SAMPLE_DIGEST},bcrypt,extra\n\
             ,,,,\n"
    ));
    assert_eq!(records.len(), 3, "a blank row is no record: {records:#?}");
    let short = records[0].as_ref().unwrap_err();
    assert_eq!(short.source_id.as_deref(), Some("user_1"));
    assert!(
        short.message.contains("has 3 cells, the header has 5"),
        "{}",
        short.message
    );
    assert_eq!(records[1].as_ref().unwrap().source_id, "user_2");
    let long = records[2].as_ref().unwrap_err();
    assert!(long.message.contains("has 6 cells"), "{}", long.message);
    assert!(!long.message.contains(CLERK_SAMPLE_DIGEST));
}

/// Issue 9 item 11: a 200 MB cell took 479 MB of memory and `/dev/zero` aborted the process on
/// a 2 GiB allocation. A row longer than the record bound fails alone (named by row and line)
/// and the rows after it arrive; a header that long is no Clerk export.
#[test]
fn csv_row_over_the_record_bound_fails_alone() {
    let bound = authferry_core::io::MAX_RECORD_BYTES as usize;
    let mut text =
        String::from("id,first_name,primary_email_address\nuser_1,Al,al@example.com\nuser_2,");
    text.push_str(&"x".repeat(bound + 100_000));
    text.push_str(",bea@example.com\nuser_3,Cy,cy@example.com\n");
    // A stray quote whose cell runs over many short lines past the bound.
    text.push_str("user_4,\"Di,di@example.com\n");
    for _ in 0..(bound / 20 + 10) {
        text.push_str("user_x,Ex,x@example.com\n");
    }
    let records = read_csv(&text);
    assert_eq!(
        ok_ids(&records)[..2],
        ["user_1", "user_3"],
        "{:?}",
        errors(&records)
    );
    let huge = records[1].as_ref().unwrap_err();
    assert!(
        huge.message
            .contains("row 2 (line 3) runs on for more than 16 MiB"),
        "{}",
        huge.message
    );
    assert!(!huge.fatal);
    let stray = records[3].as_ref().unwrap_err();
    assert!(
        stray.message.contains("row 4 (line 5)"),
        "{}",
        stray.message
    );
    // Every physical row is a record: the 4 above and each line after the stray quote.
    assert_eq!(records.len(), 4 + bound / 20 + 10);
    assert!(
        records[4..]
            .iter()
            .all(|r| r.as_ref().is_ok_and(|u| u.source_id == "user_x"))
    );

    let err = ClerkCsvSource::open(Path::new("/dev/zero"))
        .err()
        .expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string().contains("its header is longer than 16 MiB"),
        "{err}"
    );
}

#[test]
fn csv_header_naming_a_column_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.csv");
    std::fs::write(
        &path,
        "id,primary_email_address,Password_Digest,password_digest\nuser_1,a@example.com,x,y\n",
    )
    .unwrap();
    let err = ClerkCsvSource::open(&path).err().expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("`password_digest` twice (columns 3 and 4)"),
        "{err}"
    );
}

#[test]
fn csv_that_is_not_a_clerk_export_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "name,email\nSomebody,somebody@example.com\n").unwrap();
    let err = ClerkCsvSource::open(&other).err().expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("no `id` column"), "{err}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let err = ClerkCsvSource::open(&empty).err().expect("refused");
    assert!(err.to_string().contains("empty"), "{err}");

    let missing = dir.path().join("missing.csv");
    let err = ClerkCsvSource::open(&missing).err().expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);

    // A header alone is a valid export of no users.
    let header_only = dir.path().join("header.csv");
    std::fs::write(&header_only, "id,primary_email_address\r\n").unwrap();
    assert!(
        ClerkCsvSource::open(&header_only)
            .unwrap()
            .next_user()
            .is_none()
    );
}

#[test]
fn csv_streams_with_progress() {
    // Larger than the reader's buffer, so reading it all up front would show.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(
        file,
        "id,first_name,primary_email_address,verified_email_addresses"
    )
    .unwrap();
    for i in 0..40_000 {
        writeln!(
            file,
            "user_{i:08},Name {i},u{i}@example.com,u{i}@example.com"
        )
        .unwrap();
    }
    drop(file);

    let mut source = ClerkCsvSource::open(&path).unwrap();
    let progress = source.progress().expect("a file source reports progress");
    assert!(progress.total > 2_000_000);
    let first = source.next_user().unwrap().unwrap();
    assert_eq!(first.source_id, "user_00000000");
    assert!(
        progress.read() < progress.total / 2,
        "read {} of {} after one record",
        progress.read(),
        progress.total
    );
    let rest = drain(&mut source);
    assert_eq!(rest.len(), 39_999);
    assert!(rest.iter().all(Result::is_ok));
    assert_eq!(progress.read(), progress.total);
}

#[test]
fn csv_reads_the_synthetic_exports_the_benchmarks_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synthetic.csv");
    authferry_platforms::synthetic::write_clerk_csv(&path, 300, 11).unwrap();
    let records = drain(&mut ClerkCsvSource::open(&path).unwrap());
    assert_eq!(records.len(), 300);
    assert!(errors(&records).is_empty(), "{records:#?}");
    let users = ok_users(&records);
    assert!(
        users
            .iter()
            .any(|u| u.last_name.as_deref() == Some("\"Jr\", Smith"))
    );
    assert!(
        users
            .iter()
            .all(|u| u.emails.len() == 1 && u.emails[0].verified)
    );
    assert!(users.iter().any(|u| u.totp_secret.is_some()));
    assert!(users.iter().any(|u| u.password.is_none()));
}

// ---------------------------------------------------------------------------------------------
// clerk-json
// ---------------------------------------------------------------------------------------------

#[test]
fn api_json_maps_the_backend_api_user() {
    let mut source = ClerkApiJsonSource::open(&fixture("api_users.json")).unwrap();
    assert!(source.describe().starts_with("clerk-json:"));
    let records = drain(&mut source);
    assert_eq!(records.len(), 7);

    let ada = user(&records, "user_2apiFull000000000000000001");
    assert_eq!(ada.external_id.as_deref(), Some("legacy-42"));
    assert_eq!(ada.username.as_deref(), Some("ada"));
    assert_eq!(ada.first_name.as_deref(), Some("Ada"));
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(
        ada.image_url.as_deref(),
        Some("https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJhZGEifQ")
    );
    // Primary by `primary_email_address_id`, verified by `verification.status`; the same
    // address again in other case is one address.
    assert_eq!(
        ada.emails,
        [
            email("ada.old@example.com", false, false),
            email("Ada@Example.com", true, true),
        ]
    );
    assert_eq!(
        ada.phones,
        [
            phone("+15551234567", true, true),
            phone("+15557654321", false, false),
        ]
    );
    assert_eq!(ada.external_accounts.len(), 2);
    let google = &ada.external_accounts[0];
    assert_eq!(google.provider, "google");
    assert_eq!(google.provider_user_id, "109876543210987654321");
    assert_eq!(google.email.as_deref(), Some("Ada@Example.com"));
    assert_eq!(
        google.scopes,
        [
            "email",
            "https://www.googleapis.com/auth/userinfo.email",
            "https://www.googleapis.com/auth/userinfo.profile",
            "openid",
            "profile"
        ]
    );
    assert_eq!(
        google.created_at,
        Some(Timestamp::from_millis(1_697_955_000_000))
    );
    assert_eq!(
        google.updated_at,
        Some(Timestamp::from_millis(1_697_955_100_000))
    );
    let github = &ada.external_accounts[1];
    assert_eq!(github.provider, "github");
    assert_eq!(github.provider_user_id, "583231");
    assert_eq!(github.scopes, ["read:user", "user:email"]);

    assert_eq!(
        ada.public_metadata,
        Some(json!({"plan": "pro", "seats": 3}))
    );
    assert_eq!(
        ada.private_metadata,
        Some(json!({"stripe_customer_id": "cus_123"}))
    );
    assert_eq!(ada.unsafe_metadata, Some(json!({"theme": "dark"})));
    assert_eq!(
        ada.created_at,
        Some(Timestamp::from_millis(1_697_955_053_486))
    );
    assert_eq!(
        ada.updated_at,
        Some(Timestamp::from_millis(1_700_000_000_500))
    );
    assert_eq!(
        ada.last_sign_in_at,
        Some(Timestamp::from_millis(1_700_000_000_000))
    );
    assert!(!ada.banned && !ada.locked);
    // The API carries no secrets: its `totp_enabled`/`password_enabled` flags are not secrets.
    assert!(ada.password.is_none() && ada.totp_secret.is_none());
    assert!(ada.backup_codes.is_empty());

    let phone_user = user(&records, "user_2apiPhoneOnly00000000000002");
    assert!(phone_user.emails.is_empty());
    assert_eq!(phone_user.phones, [phone("+447700900123", true, true)]);
    assert!(phone_user.banned && phone_user.locked);
    assert_eq!(
        phone_user.image_url, None,
        "Clerk's placeholder avatar is not the user's"
    );
    assert_eq!(phone_user.private_metadata, None);
    assert_eq!(phone_user.public_metadata, Some(json!({})));
    let codes: Vec<&str> = phone_user.backup_codes.iter().map(|c| c.expose()).collect();
    assert_eq!(codes, ["a1b2c-3d4e5", "f6g7h-8i9j0"]);

    let broken = records[2].as_ref().unwrap_err();
    assert_eq!(
        broken.source_id.as_deref(),
        Some("user_2apiBrokenAccount000000003")
    );
    assert_eq!(
        broken.field.as_deref(),
        Some("external_accounts[0].provider_user_id")
    );

    let bad_date = records[3].as_ref().unwrap_err();
    assert_eq!(
        bad_date.source_id.as_deref(),
        Some("user_2apiBadDate00000000000004")
    );
    assert_eq!(bad_date.field.as_deref(), Some("created_at"));

    let not_object = records[4].as_ref().unwrap_err();
    assert!(not_object.message.contains("record 5"), "{not_object}");
    assert!(!not_object.fatal);

    let no_id = records[5].as_ref().unwrap_err();
    assert_eq!(no_id.field.as_deref(), Some("id"));

    // Nulls where the spec has lists are empty lists; the run went on to the last record.
    let minimal = user(&records, "user_2apiMinimal000000000000007");
    assert_eq!(minimal.username.as_deref(), Some("minimal"));
    assert!(minimal.emails.is_empty() && minimal.external_accounts.is_empty());
}

#[test]
fn api_json_reads_ndjson_and_the_data_wrapper() {
    let records = drain(&mut ClerkApiJsonSource::open(&fixture("api_users.ndjson")).unwrap());
    assert_eq!(records.len(), 3, "{records:#?}");
    assert_eq!(
        records[0].as_ref().unwrap().source_id,
        "user_2apiFull000000000000000001"
    );
    let bad_line = records[1].as_ref().unwrap_err();
    assert!(!bad_line.fatal);
    assert!(bad_line.message.contains("line 3"), "{bad_line}");
    assert_eq!(
        records[2].as_ref().unwrap().source_id,
        "user_2apiPhoneOnly00000000000002"
    );

    let records = drain(&mut ClerkApiJsonSource::open(&fixture("api_users_wrapped.json")).unwrap());
    let ids = ok_ids(&records);
    assert_eq!(
        ids,
        [
            "user_2apiMinimal000000000000007",
            "user_2apiPhoneOnly00000000000002"
        ]
    );
}

#[test]
fn api_json_tells_a_wrapper_from_ndjson_whatever_the_line_length() {
    let dir = tempfile::tempdir().unwrap();

    // A page saved minified, on one line.
    let one_line = dir.path().join("page.json");
    std::fs::write(
        &one_line,
        r#"{"data":[{"id":"user_a","username":"a"},{"id":"user_b","username":"b"}],"totalCount":2}"#,
    )
    .unwrap();
    let records = drain(&mut ClerkApiJsonSource::open(&one_line).unwrap());
    let ids = ok_ids(&records);
    assert_eq!(ids, ["user_a", "user_b"], "{records:#?}");

    // NDJSON whose first line is long and has a `data` key in its metadata: not a wrapper.
    let ndjson = dir.path().join("users.ndjson");
    let long_user = json!({
        "id": "user_long",
        "public_metadata": {"data": ["x"], "padding": "p".repeat(10_000)},
        "username": "long"
    });
    let short_user = json!({"id": "user_short", "username": "short"});
    std::fs::write(&ndjson, format!("{long_user}\n{short_user}\n")).unwrap();
    let records = drain(&mut ClerkApiJsonSource::open(&ndjson).unwrap());
    let ids = ok_ids(&records);
    assert_eq!(ids, ["user_long", "user_short"], "{records:#?}");
}

#[test]
fn api_json_cut_short_is_fatal_after_the_records_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.json");
    std::fs::write(
        &path,
        r#"[{"id":"user_a","username":"a"},{"id":"user_b","user"#,
    )
    .unwrap();
    let records = drain(&mut ClerkApiJsonSource::open(&path).unwrap());
    assert_eq!(records[0].as_ref().unwrap().source_id, "user_a");
    assert!(records[1].as_ref().unwrap_err().fatal);
    assert_eq!(records.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// clerk-users-json
// ---------------------------------------------------------------------------------------------

#[test]
fn users_json_maps_the_migration_script_schema() {
    let mut source = ClerkUsersJsonSource::open(&fixture("users.json")).unwrap();
    assert!(source.describe().starts_with("clerk-users-json:"));
    let records = drain(&mut source);
    assert_eq!(records.len(), 11);

    // The README's own examples.
    let dev = user(&records, "1");
    assert_eq!(dev.emails, [email("dev@example.com", true, true)]);
    assert_eq!(dev.first_name.as_deref(), Some("Dev"));
    assert_eq!(dev.last_name.as_deref(), Some("Agrawal"));
    assert!(dev.password.is_none());

    let second = user(&records, "2");
    assert_eq!(
        digest(second),
        Some((
            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            Some("bcrypt")
        ))
    );

    // A password without `passwordHasher` is bcrypt, the script's default.
    let no_hasher = user(&records, "3");
    assert_eq!(
        no_hasher.emails,
        [email("nohasher@example.com", true, true)]
    );
    assert_eq!(
        digest(no_hasher),
        Some((CLERK_SAMPLE_DIGEST, Some("bcrypt")))
    );

    // Everything the script's current schema has.
    let four = user(&records, "4");
    assert_eq!(
        four.emails,
        [
            email("Primary@Example.com", true, true),
            email("second@work.example", true, false),
            email("third@example.com", true, false),
            email("pending@example.com", false, false),
        ]
    );
    assert_eq!(
        four.phones,
        [
            phone("+15551230000", true, true),
            phone("+15551230001", true, false),
            phone("+15551239999", false, false),
        ]
    );
    assert_eq!(four.username.as_deref(), Some("four"));
    assert_eq!(four.first_name.as_deref(), Some("Fœur"));
    assert_eq!(four.last_name.as_deref(), Some("Quatre"));
    assert_eq!(
        four.totp_secret.as_ref().map(|s| s.expose()),
        Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    );
    let codes: Vec<&str> = four.backup_codes.iter().map(|c| c.expose()).collect();
    assert_eq!(codes, ["abcd-1234", "efgh-5678"]);
    assert_eq!(four.public_metadata, Some(json!({"role": "admin"})));
    assert_eq!(four.private_metadata, Some(json!({"crm_id": 991})));
    assert_eq!(four.unsafe_metadata, Some(json!({})));
    assert!(four.banned);
    assert_eq!(
        four.created_at,
        Timestamp::parse_rfc3339("2024-01-15T10:00:00.000Z")
    );

    let argon = user(&records, "5");
    assert_eq!(
        digest(argon),
        Some((
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            Some("argon2id")
        ))
    );

    let no_id = records[5].as_ref().unwrap_err();
    assert_eq!(no_id.field.as_deref(), Some("userId"));
    assert!(no_id.message.contains("record 6"), "{no_id}");

    let bad_totp = records[6].as_ref().unwrap_err();
    assert_eq!(bad_totp.source_id.as_deref(), Some("7"));
    assert_eq!(bad_totp.field.as_deref(), Some("totpSecret"));

    let bad_codes = records[7].as_ref().unwrap_err();
    assert_eq!(bad_codes.field.as_deref(), Some("backupCodes[1]"));

    let phone_only = user(&records, "9");
    assert_eq!(phone_only.phones, [phone("+447700900456", true, true)]);
    assert_eq!(
        phone_only.created_at,
        Timestamp::parse_rfc3339("2024-01-15T10:00:00Z")
    );

    let bad_date = records[9].as_ref().unwrap_err();
    assert_eq!(bad_date.field.as_deref(), Some("createdAt"));

    // `null` is absent: no password, so the lone hasher means nothing.
    let null_password = user(&records, "11");
    assert!(null_password.password.is_none());
    assert_eq!(null_password.first_name, None);
}

// ---------------------------------------------------------------------------------------------
// All sources: errors never carry secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn no_error_message_contains_a_digest_or_secret_from_the_fixtures() {
    let secrets = [
        CLERK_SAMPLE_DIGEST,
        "$2b$10$IxstpZusuSIeHD5lb/um7.znEsxVmoSujHk9MtwA617C1lm2licx2",
        "$2b$10$QcxP4C1NxUInP6sfScz7xu8E746KkOHZMVU3JSqgoyRxZ/ePjBv/u",
        "$2b$10$.rU67Fk.7/QRC6iLPFV8Eeb9w56VKAVOd9Lt5VqgERTn8KChBFLg6",
        "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "c2FsdHNhbHQ",
        "JBSWY3DPEHPK3PXP",
        "KRSXG5CTMVRXEZLU",
        "GEZDGNBVGY3TQOJQ",
        "a1b2c-3d4e5",
        "abcd-1234",
        "zzzz-9999",
        "12345",
        "sk_live_PRIVATEVALUE",
        "Kk4aPMeiaRpAs2OeX1NE",
    ];
    let mut sources: Vec<Box<dyn Source>> = vec![
        Box::new(ClerkCsvSource::open(&fixture("dashboard.csv")).unwrap()),
        Box::new(ClerkCsvSource::open(&fixture("legacy.csv")).unwrap()),
        Box::new(ClerkCsvSource::open(&fixture("reordered.csv")).unwrap()),
        Box::new(ClerkApiJsonSource::open(&fixture("api_users.json")).unwrap()),
        Box::new(ClerkApiJsonSource::open(&fixture("api_users.ndjson")).unwrap()),
        Box::new(ClerkUsersJsonSource::open(&fixture("users.json")).unwrap()),
    ];
    let mut seen = 0;
    for source in &mut sources {
        for error in errors(&drain(source.as_mut())) {
            seen += 1;
            let texts = [
                error.to_string(),
                error.to_reason().to_string(),
                format!("{error:?}"),
            ];
            for text in texts {
                for secret in secrets {
                    assert!(!text.contains(secret), "{secret:?} leaked into {text:?}");
                }
            }
        }
    }
    assert!(seen >= 12, "the fixtures exercise the error paths ({seen})");
}

#[test]
fn the_registry_opens_the_clerk_sources() {
    for spec in [
        format!("clerk-csv:{}", fixture("dashboard.csv").display()),
        format!("clerk-json:{}", fixture("api_users.json").display()),
        format!("clerk-users-json:{}", fixture("users.json").display()),
    ] {
        let mut source = authferry_platforms::open_source(&spec).unwrap();
        // Every Clerk reader names Clerk's id space (the journal keys ids by it).
        assert_eq!(source.id_space(), Some("clerk"), "{spec}");
        assert!(source.next_user().is_some(), "{spec}");
    }
}

// ---------------------------------------------------------------------------------------------
// The bundled demo export
// ---------------------------------------------------------------------------------------------

/// `| \`user_…\` | name | \`email\` | \`password\` | \`totp\` |` rows of samples/README.md.
fn sample_passwords() -> Vec<(String, Option<String>, Option<String>)> {
    let readme = std::fs::read_to_string(samples_dir().join("README.md")).unwrap();
    readme
        .lines()
        .filter(|line| line.starts_with("| `user_"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = |cell: &str| {
                cell.strip_prefix('`')
                    .and_then(|c| c.strip_suffix('`'))
                    .map(str::to_owned)
            };
            (code(cells[1]).unwrap(), code(cells[4]), code(cells[5]))
        })
        .collect()
}

#[test]
fn sample_export_reads_cleanly_and_its_passwords_are_the_documented_ones() {
    let mut source = ClerkCsvSource::open(&samples_dir().join("clerk-export.csv")).unwrap();
    assert_eq!(source.layout(), ClerkCsvLayout::Dashboard);
    let records = drain(&mut source);
    assert!(errors(&records).is_empty(), "{records:#?}");
    let users = ok_users(&records);
    assert_eq!(users.len(), 25);

    let documented = sample_passwords();
    assert_eq!(
        documented.len(),
        25,
        "every sample user is in samples/README.md"
    );
    let mut with_password = 0;
    let mut with_totp = 0;
    for (id, password, totp) in &documented {
        let u = user(&records, id);
        match (password, &u.password) {
            (Some(password), Some(credential)) => {
                with_password += 1;
                assert_eq!(credential.hasher.as_deref(), Some("bcrypt"));
                assert!(
                    bcrypt::verify(password, credential.digest.expose()).unwrap(),
                    "the README's password for {id} matches its digest"
                );
            }
            (None, None) => {}
            _ => panic!("{id}: README and export disagree on having a password"),
        }
        assert_eq!(u.totp_secret.as_ref().map(|s| s.expose()), totp.as_deref());
        if let Some(secret) = totp {
            with_totp += 1;
            assert_eq!(secret.len(), 32);
            assert!(
                data_encoding::BASE32_NOPAD
                    .decode(secret.as_bytes())
                    .is_ok_and(|key| key.len() == 20)
            );
        }
    }
    assert_eq!((with_password, with_totp), (20, 3));

    // The planted problems are there, passed on for the engine to report.
    let addresses: Vec<&str> = users
        .iter()
        .flat_map(|u| u.emails.iter().map(|e| e.address.as_str()))
        .collect();
    assert!(addresses.contains(&"Priya.Sharma@Example.com"));
    assert!(addresses.contains(&"priya.sharma@example.com"));
    assert!(addresses.contains(&"jonas.weber@@example.com"));
    let phone_only: Vec<&&User> = users.iter().filter(|u| u.emails.is_empty()).collect();
    assert_eq!(phone_only.len(), 1);
    assert_eq!(phone_only[0].phones, [phone("+233201234567", true, true)]);
    let anne = users
        .iter()
        .find(|u| u.first_name.as_deref() == Some("Anne-Marie"))
        .unwrap();
    assert_eq!(anne.last_name.as_deref(), Some("Dubois, née Martin"));
}
