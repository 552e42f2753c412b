//! The Clerk dashboard's "Export users" CSV.
//!
//! Two header layouts are in use. The dashboard's current one:
//!
//! ```text
//! id,first_name,last_name,username,primary_email_address,primary_phone_number,
//! verified_email_addresses,unverified_email_addresses,verified_phone_numbers,
//! unverified_phone_numbers,totp_secret,password_digest,password_hasher
//! ```
//!
//! and the older one that Clerk support sent, which lists all addresses in one column and
//! carries metadata as JSON text:
//!
//! ```text
//! id,first_name,last_name,username,email_addresses,phone_numbers,totp_secret,
//! password_digest,password_hasher,unsafe_metadata,public_metadata,private_metadata
//! ```
//!
//! Columns are matched by name (case-insensitively, in any order); unknown columns are
//! ignored and every column but `id` may be missing; a name twice is refused. Several values
//! in one cell are separated by `|` (Clerk's own separator) or `,`. An empty cell is an absent
//! value.
//!
//! No row vanishes: a row whose number of cells is not the header's fails with both counts,
//! and a quote that opens a cell and is not closed before the row ends (which would swallow the
//! rows after it into one cell) fails its row, and reading resumes at the next line.

use super::{IdentifierList, parse_flag, split_multi};
use crate::shared::parse_date_text;
use authferry_core::io::{
    ByteProgress, CappedReader, CountingReader, MAX_RECORD_BYTES, RecordCap, RecordTooLong,
    open_counted, open_counted_at, skip_line,
};
use authferry_core::{PasswordCredential, RecordError, Secret, Source, User};
use serde_json::Value;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Capped per record: a cell of gigabytes (or `/dev/zero`) fails its row, memory stays flat.
type ExportReader = CappedReader<BufReader<CountingReader<File>>>;

/// Which of Clerk's two CSV header layouts a file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClerkCsvLayout {
    /// `primary_email_address`, `verified_email_addresses`, … (the dashboard's export).
    Dashboard,
    /// `email_addresses`, `phone_numbers` and JSON metadata columns (older support exports).
    Legacy,
}

impl ClerkCsvLayout {
    pub fn name(self) -> &'static str {
        match self {
            ClerkCsvLayout::Dashboard => "dashboard",
            ClerkCsvLayout::Legacy => "legacy",
        }
    }
}

/// The columns this source understands. Anything else in the header is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Id,
    ExternalId,
    FirstName,
    LastName,
    Username,
    ImageUrl,
    PrimaryEmailAddress,
    VerifiedEmailAddresses,
    UnverifiedEmailAddresses,
    PrimaryPhoneNumber,
    VerifiedPhoneNumbers,
    UnverifiedPhoneNumbers,
    /// Legacy layout: every address, with no word on which is primary or verified.
    EmailAddresses,
    /// Legacy layout: every phone number, likewise.
    PhoneNumbers,
    TotpSecret,
    BackupCodes,
    PasswordDigest,
    PasswordHasher,
    PublicMetadata,
    PrivateMetadata,
    UnsafeMetadata,
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
    Banned,
    Locked,
}

impl Column {
    const ALL: [Column; 26] = [
        Column::Id,
        Column::ExternalId,
        Column::FirstName,
        Column::LastName,
        Column::Username,
        Column::ImageUrl,
        Column::PrimaryEmailAddress,
        Column::VerifiedEmailAddresses,
        Column::UnverifiedEmailAddresses,
        Column::PrimaryPhoneNumber,
        Column::VerifiedPhoneNumbers,
        Column::UnverifiedPhoneNumbers,
        Column::EmailAddresses,
        Column::PhoneNumbers,
        Column::TotpSecret,
        Column::BackupCodes,
        Column::PasswordDigest,
        Column::PasswordHasher,
        Column::PublicMetadata,
        Column::PrivateMetadata,
        Column::UnsafeMetadata,
        Column::CreatedAt,
        Column::UpdatedAt,
        Column::LastSignInAt,
        Column::Banned,
        Column::Locked,
    ];

    fn header(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::ExternalId => "external_id",
            Column::FirstName => "first_name",
            Column::LastName => "last_name",
            Column::Username => "username",
            Column::ImageUrl => "image_url",
            Column::PrimaryEmailAddress => "primary_email_address",
            Column::VerifiedEmailAddresses => "verified_email_addresses",
            Column::UnverifiedEmailAddresses => "unverified_email_addresses",
            Column::PrimaryPhoneNumber => "primary_phone_number",
            Column::VerifiedPhoneNumbers => "verified_phone_numbers",
            Column::UnverifiedPhoneNumbers => "unverified_phone_numbers",
            Column::EmailAddresses => "email_addresses",
            Column::PhoneNumbers => "phone_numbers",
            Column::TotpSecret => "totp_secret",
            Column::BackupCodes => "backup_codes",
            Column::PasswordDigest => "password_digest",
            Column::PasswordHasher => "password_hasher",
            Column::PublicMetadata => "public_metadata",
            Column::PrivateMetadata => "private_metadata",
            Column::UnsafeMetadata => "unsafe_metadata",
            Column::CreatedAt => "created_at",
            Column::UpdatedAt => "updated_at",
            Column::LastSignInAt => "last_sign_in_at",
            Column::Banned => "banned",
            Column::Locked => "locked",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Where each known column is in this file's rows.
struct ColumnIndex([Option<usize>; Column::ALL.len()]);

impl ColumnIndex {
    fn from_header(names: &[String]) -> Self {
        let mut positions = [None; Column::ALL.len()];
        for column in Column::ALL {
            // The first of two same-named columns wins, as in every spreadsheet reader.
            positions[column.slot()] = names.iter().position(|n| n == column.header());
        }
        ColumnIndex(positions)
    }

    fn has(&self, column: Column) -> bool {
        self.0[column.slot()].is_some()
    }

    fn position(&self, column: Column) -> Option<usize> {
        self.0[column.slot()]
    }
}

pub struct ClerkCsvSource {
    path: PathBuf,
    layout: ClerkCsvLayout,
    columns: ColumnIndex,
    reader: ::csv::Reader<ExportReader>,
    /// Starts each record's allowance of [`MAX_RECORD_BYTES`].
    cap: RecordCap,
    record: ::csv::ByteRecord,
    progress: ByteProgress,
    /// Data rows read so far, blank ones included: errors name a row by its number, because
    /// the CSV reader's line count misses newlines inside quoted cells.
    rows_read: u64,
    finished: bool,
    /// Cells in the header: every row has as many.
    header_len: usize,
    /// Where the current CSV reader started in the file (it starts again after a broken
    /// row): its byte offset, and the file's line number before its first line.
    base: u64,
    line_offset: u64,
}

impl ClerkCsvSource {
    /// Opens the export and reads its header. A file whose header is not a Clerk export's
    /// (no `id` column, or no column identifying a user) is refused here, before any record.
    pub fn open(path: &Path) -> io::Result<Self> {
        let (mut file, progress) = open_counted(path)?;
        let (preamble_bytes, preamble_lines) = skip_preamble(&mut file)?;
        let (file, cap) = CappedReader::new(file);
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(file);
        let names: Vec<String> = reader
            .byte_headers()
            .map_err(|e| {
                let e = csv_to_io(e);
                if RecordTooLong::is(&e) {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("not a Clerk users export: its header is {e}"),
                    )
                } else {
                    e
                }
            })?
            .iter()
            .map(|name| {
                String::from_utf8_lossy(name)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_ascii_lowercase()
            })
            .collect();
        if names.iter().all(String::is_empty) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a Clerk users export: the file is empty",
            ));
        }
        for (i, name) in names.iter().enumerate() {
            if let Some(j) = names[..i].iter().position(|n| n == name && !n.is_empty()) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the header names `{name}` twice (columns {} and {}): which one holds the users' data is anyone's guess; remove one",
                        j + 1,
                        i + 1
                    ),
                ));
            }
        }
        let columns = ColumnIndex::from_header(&names);
        let layout = detect_layout(&columns).map_err(|why| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a Clerk users export: {why}"),
            )
        })?;
        Ok(ClerkCsvSource {
            path: path.to_path_buf(),
            layout,
            columns,
            reader,
            cap,
            record: ::csv::ByteRecord::new(),
            progress,
            rows_read: 0,
            finished: false,
            header_len: names.len(),
            base: preamble_bytes,
            line_offset: preamble_lines,
        })
    }

    /// The header layout the file was found to have.
    pub fn layout(&self) -> ClerkCsvLayout {
        self.layout
    }
}

fn detect_layout(columns: &ColumnIndex) -> Result<ClerkCsvLayout, String> {
    if !columns.has(Column::Id) {
        return Err("the header has no `id` column".into());
    }
    let dashboard = [
        Column::PrimaryEmailAddress,
        Column::VerifiedEmailAddresses,
        Column::UnverifiedEmailAddresses,
        Column::PrimaryPhoneNumber,
        Column::VerifiedPhoneNumbers,
        Column::UnverifiedPhoneNumbers,
    ];
    let legacy = [Column::EmailAddresses, Column::PhoneNumbers];
    if dashboard.iter().any(|c| columns.has(*c)) {
        Ok(ClerkCsvLayout::Dashboard)
    } else if legacy.iter().any(|c| columns.has(*c)) {
        Ok(ClerkCsvLayout::Legacy)
    } else if columns.has(Column::Username) {
        // A username-only instance: nothing says which layout, and nothing depends on it.
        Ok(ClerkCsvLayout::Dashboard)
    } else {
        Err(
            "the header has no email, phone or username column (expected \
             `primary_email_address` or `email_addresses`)"
                .into(),
        )
    }
}

fn csv_to_io(e: ::csv::Error) -> io::Error {
    let message = e.to_string();
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        _ => io::Error::new(io::ErrorKind::InvalidData, message),
    }
}

/// Skips what comes before the header: a UTF-8 byte order mark, blank lines, and `#` comment
/// lines (Clerk's own sample export starts with `# Password for users with passwords: …`, and
/// Clerk's importer reads CSV with comments skipped). Only lines before the header are
/// skipped: in the rows a leading `#` is data. Returns the bytes and lines skipped.
fn skip_preamble<R: BufRead>(reader: &mut R) -> io::Result<(u64, u64)> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut at_start = true;
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let buf = reader.fill_buf()?;
        if at_start && buf.starts_with(BOM) {
            reader.consume(BOM.len());
            bytes += BOM.len() as u64;
            at_start = false;
            continue;
        }
        at_start = false;
        match buf.first() {
            Some(b'#') => {
                bytes += skip_line(reader)?;
                lines += 1;
            }
            Some(b'\r') => {
                reader.consume(1);
                bytes += 1;
            }
            Some(b'\n') => {
                reader.consume(1);
                bytes += 1;
                lines += 1;
            }
            _ => return Ok((bytes, lines)),
        }
    }
}

impl ClerkCsvSource {
    /// Checks a data row's shape. A row with another number of cells than the header fails;
    /// if it also ran over several lines, a quote swallowed the rows after it: it fails, and
    /// reading starts again at the line after its first.
    fn check_shape(&mut self) -> Result<(), RecordError> {
        let fields = self.record.len();
        let row = Row {
            record: &self.record,
            columns: &self.columns,
            number: self.rows_read,
        };
        if fields == self.header_len || row.is_blank() {
            return Ok(());
        }
        // The id, when the row's first cells are sound enough to have one.
        let id = row
            .text(Column::Id, None)
            .ok()
            .flatten()
            .filter(|id| id.len() <= 255 && !id.contains(['\n', '"']))
            .map(str::to_owned);
        let (start_byte, start_line) = self
            .record
            .position()
            .map(|p| (p.byte(), p.line()))
            .unwrap_or_default();
        let fatal =
            |e: io::Error| RecordError::fatal(format!("cannot read {}: {e}", self.path.display()));
        let (start_byte, start_line) = self.true_start(start_byte, start_line).map_err(fatal)?;
        let next_line = self.reader.position().line();
        let line = self.line_offset + start_line;
        if next_line > start_line + 1 {
            let swallowed = next_line - start_line - 1;
            self.resume_after(self.base + start_byte, line)
                .map_err(|e| {
                    RecordError::fatal(format!("cannot read {}: {e}", self.path.display()))
                })?;
            return Err(RecordError::invalid(
                id,
                None,
                format!(
                    "row {} (line {line}): a quoted cell opens on this line and is not closed before the row ends, \
                     so the {swallowed} lines after it read as part of it (a stray `\"`?); the row is failed \
                     and the lines after it are read as rows of their own",
                    self.rows_read
                ),
            ));
        }
        Err(RecordError::invalid(
            id,
            None,
            format!(
                "row {} (line {line}) has {fields} cells, the header has {}: the row is cut short or \
                 has cells to spare, so no cell can be trusted to be the column it claims",
                self.rows_read, self.header_len
            ),
        ))
    }

    /// Where the record at (`byte`, `line`) of the current reader really starts: the `csv`
    /// crate places a record that follows a CRLF on that line's LF, and counts its line as the
    /// one before. Read from the file (only on the error paths).
    fn true_start(&self, byte: u64, line: u64) -> io::Result<(u64, u64)> {
        let mut file = open_counted_at(&self.path, self.base + byte, &self.progress)?;
        let (mut byte, mut line) = (byte, line);
        loop {
            let buf = file.fill_buf()?;
            match buf.first() {
                Some(b'\n') => line += 1,
                Some(b'\r') => {}
                _ => return Ok((byte, line)),
            }
            file.consume(1);
            byte += 1;
        }
    }

    /// Starts reading again at the line after the one at byte `from` (file line `line`).
    fn resume_after(&mut self, from: u64, line: u64) -> io::Result<()> {
        let mut rest = open_counted_at(&self.path, from, &self.progress)?;
        let skipped = skip_line(&mut rest)?;
        self.base = from + skipped;
        self.line_offset = line;
        let (rest, cap) = CappedReader::new(rest);
        self.cap = cap;
        self.reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(rest);
        Ok(())
    }
}

impl Source for ClerkCsvSource {
    fn id_space(&self) -> Option<&'static str> {
        Some("clerk")
    }
    fn describe(&self) -> String {
        format!(
            "clerk-csv:{} ({} layout)",
            self.path.display(),
            self.layout.name()
        )
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        loop {
            if self.finished {
                return None;
            }
            let start = self.reader.position().clone();
            self.cap.reset();
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(e) if matches!(e.kind(), ::csv::ErrorKind::Io(io) if RecordTooLong::is(io)) => {
                    self.rows_read += 1;
                    let resumed =
                        self.true_start(start.byte(), start.line())
                            .and_then(|(byte, line)| {
                                let line = self.line_offset + line;
                                self.resume_after(self.base + byte, line).map(|()| line)
                            });
                    let line = match resumed {
                        Ok(line) => line,
                        Err(e) => {
                            self.finished = true;
                            return Some(Err(RecordError::fatal(format!(
                                "cannot read {}: {e}",
                                self.path.display()
                            ))));
                        }
                    };
                    return Some(Err(RecordError::invalid(
                        None,
                        None,
                        format!(
                            "row {} (line {line}) runs on for more than {} MiB (a huge cell, or a \
                             stray `\"` opening a cell that never closes): the row is failed, reading \
                             goes on at the next line",
                            self.rows_read,
                            MAX_RECORD_BYTES >> 20
                        ),
                    )));
                }
                Err(e) => {
                    // With `flexible` and byte records the only error left is I/O: the file
                    // cannot be read further.
                    self.finished = true;
                    return Some(Err(RecordError::fatal(format!(
                        "cannot read {}: {e}",
                        self.path.display()
                    ))));
                }
            }
            self.rows_read += 1;
            if let Err(e) = self.check_shape() {
                if e.fatal {
                    self.finished = true;
                }
                return Some(Err(e));
            }
            let row = Row {
                record: &self.record,
                columns: &self.columns,
                number: self.rows_read,
            };
            match row.to_user() {
                Ok(Some(user)) => return Some(Ok(user)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }

    fn progress(&self) -> Option<ByteProgress> {
        Some(self.progress.clone())
    }
}

/// One data row of the export.
struct Row<'r> {
    record: &'r ::csv::ByteRecord,
    columns: &'r ColumnIndex,
    /// The row's number counting from the first row after the header, for people looking
    /// for it in the file.
    number: u64,
}

impl Row<'_> {
    /// The row as a user; `None` for a row with nothing in it (spreadsheets leave `,,,,` rows).
    fn to_user(&self) -> Result<Option<User>, RecordError> {
        let source_id = match self.text(Column::Id, None)? {
            Some(id) => id.to_owned(),
            None if self.is_blank() => return Ok(None),
            None => {
                return Err(RecordError::invalid(
                    None,
                    Some(Column::Id.header()),
                    format!("row {} after the header has no id", self.number),
                ));
            }
        };
        let id = Some(source_id.as_str());
        let owned = |column| -> Result<Option<String>, RecordError> {
            Ok(self.text(column, id)?.map(str::to_owned))
        };

        let mut emails = IdentifierList::emails();
        if let Some(primary) = self.text(Column::PrimaryEmailAddress, id)? {
            // Verified only if the export lists it among the verified addresses (below).
            emails.add(primary, false, true);
        }
        for (column, verified) in [
            (Column::VerifiedEmailAddresses, true),
            (Column::UnverifiedEmailAddresses, false),
            // The legacy column says nothing about verification: claim none.
            (Column::EmailAddresses, false),
        ] {
            for address in split_multi(self.text(column, id)?.unwrap_or_default()) {
                emails.add(address, verified, false);
            }
        }

        let mut phones = IdentifierList::phones();
        if let Some(primary) = self.text(Column::PrimaryPhoneNumber, id)? {
            phones.add(primary, false, true);
        }
        for (column, verified) in [
            (Column::VerifiedPhoneNumbers, true),
            (Column::UnverifiedPhoneNumbers, false),
            (Column::PhoneNumbers, false),
        ] {
            for number in split_multi(self.text(column, id)?.unwrap_or_default()) {
                phones.add(number, verified, false);
            }
        }

        let password = match self.text(Column::PasswordDigest, id)? {
            Some(digest) => Some(PasswordCredential {
                hasher: owned(Column::PasswordHasher)?,
                digest: Secret::new(digest),
                params: Default::default(),
            }),
            None => None,
        };

        let backup_codes = split_multi(self.text(Column::BackupCodes, id)?.unwrap_or_default())
            .map(Secret::new)
            .collect();

        Ok(Some(User {
            external_id: owned(Column::ExternalId)?,
            emails: emails.into_emails(),
            phones: phones.into_phones(),
            username: owned(Column::Username)?,
            first_name: owned(Column::FirstName)?,
            last_name: owned(Column::LastName)?,
            image_url: owned(Column::ImageUrl)?,
            password,
            totp_secret: self.text(Column::TotpSecret, id)?.map(Secret::new),
            backup_codes,
            public_metadata: self.metadata(Column::PublicMetadata, id)?,
            private_metadata: self.metadata(Column::PrivateMetadata, id)?,
            unsafe_metadata: self.metadata(Column::UnsafeMetadata, id)?,
            created_at: self.timestamp(Column::CreatedAt, id)?,
            updated_at: self.timestamp(Column::UpdatedAt, id)?,
            last_sign_in_at: self.timestamp(Column::LastSignInAt, id)?,
            banned: self.flag(Column::Banned, id)?.unwrap_or(false),
            locked: self.flag(Column::Locked, id)?.unwrap_or(false),
            source_id,
            ..Default::default()
        }))
    }

    fn error(&self, column: Column, id: Option<&str>, message: &str) -> RecordError {
        RecordError::invalid(
            id.map(str::to_owned),
            Some(column.header()),
            format!("row {} after the header: {message}", self.number),
        )
    }

    /// A cell's text, trimmed; a missing column, a short row and an empty cell are all `None`.
    fn text(&self, column: Column, id: Option<&str>) -> Result<Option<&str>, RecordError> {
        let Some(bytes) = self
            .columns
            .position(column)
            .and_then(|i| self.record.get(i))
        else {
            return Ok(None);
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|_| self.error(column, id, "not valid UTF-8 text"))?
            .trim();
        Ok((!text.is_empty()).then_some(text))
    }

    fn metadata(&self, column: Column, id: Option<&str>) -> Result<Option<Value>, RecordError> {
        let Some(text) = self.text(column, id)? else {
            return Ok(None);
        };
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Null) => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(e) => Err(self.error(column, id, &super::json_fields::json_syntax_message(&e))),
        }
    }

    fn timestamp(
        &self,
        column: Column,
        id: Option<&str>,
    ) -> Result<Option<authferry_core::Timestamp>, RecordError> {
        match self.text(column, id)? {
            None => Ok(None),
            Some(text) => parse_date_text(text).map(Some).ok_or_else(|| {
                self.error(
                    column,
                    id,
                    "not a date (expected RFC 3339 or milliseconds since the epoch)",
                )
            }),
        }
    }

    fn flag(&self, column: Column, id: Option<&str>) -> Result<Option<bool>, RecordError> {
        match self.text(column, id)? {
            None => Ok(None),
            Some(text) => parse_flag(text)
                .map(Some)
                .ok_or_else(|| self.error(column, id, "expected true or false")),
        }
    }

    fn is_blank(&self) -> bool {
        self.record
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preamble_skips_bom_comments_and_blank_lines_only() {
        let mut input = io::Cursor::new(
            b"\xEF\xBB\xBF# Password for users: x\r\n\r\n#second\nid,username\n#data\n".to_vec(),
        );
        skip_preamble(&mut input).unwrap();
        let mut rest = String::new();
        io::Read::read_to_string(&mut input, &mut rest).unwrap();
        assert_eq!(rest, "id,username\n#data\n");
    }

    #[test]
    fn layout_comes_from_the_header() {
        let index = |names: &[&str]| {
            ColumnIndex::from_header(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            detect_layout(&index(&["id", "primary_email_address"])),
            Ok(ClerkCsvLayout::Dashboard)
        );
        assert_eq!(
            detect_layout(&index(&["email_addresses", "id"])),
            Ok(ClerkCsvLayout::Legacy)
        );
        assert!(detect_layout(&index(&["name", "email"])).is_err());
        assert!(detect_layout(&index(&["id", "name"])).is_err());
    }
}
