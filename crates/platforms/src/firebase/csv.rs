//! `firebase auth:export users.csv`: no header, one user a row, cells by position as the
//! Firebase CLI documents its user account file (and firebase-tools' `accountExporter.ts`
//! writes it):
//!
//! ```text
//!  1 UID                  8-11 Google ID, Email, Display Name, Photo URL
//!  2 Email               12-15 Facebook ID, Email, Display Name, Photo URL
//!  3 Email Verified      16-19 Twitter ID, Email, Display Name, Photo URL
//!  4 Password Hash       20-23 GitHub ID, Email, Display Name, Photo URL
//!  5 Password Salt          24 User Creation Time (ms)
//!  6 Name                   25 Last Sign-In Time (ms)
//!  7 Photo URL              26 Phone Number
//! ```
//!
//! Current firebase-tools versions add two cells, 27 disabled and 28 the custom claims
//! (JSON), and every version ends each row with a comma: rows have 26 to 28 cells and an empty
//! one after them. A first row whose first cell is `UID` (a header someone added) is skipped.
//!
//! No row vanishes: a row with another number of cells fails naming both counts; a quote that
//! opens a cell and is not closed before the row ends (which would swallow the rows after it)
//! fails its row, and reading resumes at the next line; so does a row over 16 MiB.

use super::{
    ID_SPACE, MILLIS_EXPECTED, custom_claims, describe, millis_text, password, provider_name,
};
use crate::firebase::HashConfig;
use authferry_core::io::{
    ByteProgress, CappedReader, CountingReader, MAX_RECORD_BYTES, RecordCap, RecordTooLong,
    open_counted, open_counted_at, skip_line,
};
use authferry_core::{
    EmailAddress, ExternalAccount, PhoneNumber, RecordError, Source, Timestamp, User,
};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Capped per record: a cell of gigabytes (or `/dev/zero`) fails its row, memory stays flat.
type ExportReader = CappedReader<BufReader<CountingReader<File>>>;

/// The documented columns, by position.
const UID: usize = 0;
const EMAIL: usize = 1;
const EMAIL_VERIFIED: usize = 2;
const PASSWORD_HASH: usize = 3;
const PASSWORD_SALT: usize = 4;
const NAME: usize = 5;
const PHOTO_URL: usize = 6;
/// The four providers the CSV has cells for, each `ID, Email, Display Name, Photo URL`.
const PROVIDERS: [(usize, &str); 4] = [
    (7, "google.com"),
    (11, "facebook.com"),
    (15, "twitter.com"),
    (19, "github.com"),
];
const CREATED_AT: usize = 23;
const LAST_SIGN_IN: usize = 24;
const PHONE_NUMBER: usize = 25;
const DISABLED: usize = 26;
const CUSTOM_CLAIMS: usize = 27;

/// Cells in a row: the documented 26, up to 28 with firebase-tools' additions, and the empty
/// cell after the trailing comma.
const MIN_CELLS: usize = 26;
const MAX_CELLS: usize = 29;

/// The column's name, as the Firebase documentation titles it, for errors.
fn column_name(index: usize) -> &'static str {
    const NAMES: [&str; 28] = [
        "UID",
        "Email",
        "Email Verified",
        "Password Hash",
        "Password Salt",
        "Name",
        "Photo URL",
        "Google ID",
        "Google Email",
        "Google Display Name",
        "Google Photo URL",
        "Facebook ID",
        "Facebook Email",
        "Facebook Display Name",
        "Facebook Photo URL",
        "Twitter ID",
        "Twitter Email",
        "Twitter Display Name",
        "Twitter Photo URL",
        "GitHub ID",
        "GitHub Email",
        "GitHub Display Name",
        "GitHub Photo URL",
        "User Creation Time",
        "Last Sign-In Time",
        "Phone Number",
        "Disabled",
        "Custom Claims",
    ];
    NAMES.get(index).copied().unwrap_or("(extra cell)")
}

/// `--from firebase:PATH.csv`.
pub struct FirebaseCsvSource {
    path: PathBuf,
    reader: ::csv::Reader<ExportReader>,
    /// Starts each record's allowance of [`MAX_RECORD_BYTES`].
    cap: RecordCap,
    record: ::csv::ByteRecord,
    /// `record` holds the first row, read by [`FirebaseCsvSource::open`], not handed out yet.
    first_read: bool,
    progress: ByteProgress,
    /// Rows read so far, blank ones included: errors name a row by its number, because the
    /// CSV reader's line count misses newlines inside quoted cells.
    rows_read: u64,
    finished: bool,
    /// Where the current CSV reader started in the file (it starts again after a broken row):
    /// its byte offset, and the file's line number before its first line.
    base: u64,
    line_offset: u64,
    hash: Option<Map<String, Value>>,
}

impl FirebaseCsvSource {
    pub fn open(path: &Path, hash: Option<&HashConfig>) -> io::Result<Self> {
        let (mut file, progress) = open_counted(path)?;
        let mut base = 0;
        if file.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            file.consume(3);
            base = 3;
        }
        let (file, cap) = CappedReader::new(file);
        let mut reader = csv_reader(file);
        // The first row is read now: a file whose first row runs past the cap is no export
        // (`/dev/zero`, a binary file) and is refused here, before reading resynchronises on
        // a line that never ends.
        let mut record = ::csv::ByteRecord::new();
        let first_read = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                let message = e.to_string();
                return Err(match e.into_kind() {
                    ::csv::ErrorKind::Io(e) if RecordTooLong::is(&e) => io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("not a Firebase users export: its first row is {e}"),
                    ),
                    ::csv::ErrorKind::Io(e) => e,
                    _ => io::Error::new(io::ErrorKind::InvalidData, message),
                });
            }
        };
        Ok(FirebaseCsvSource {
            path: path.to_path_buf(),
            reader,
            cap,
            record,
            first_read,
            progress,
            rows_read: 0,
            finished: !first_read,
            base,
            line_offset: 0,
            hash: hash.map(HashConfig::params),
        })
    }

    /// Checks a row's shape. A row with another number of cells fails; if it also ran over
    /// several lines, a quote swallowed the lines after it: it fails, and reading starts again
    /// at the line after its first.
    fn check_shape(&mut self) -> Result<(), RecordError> {
        let cells = self.record.len();
        let trailing_empty = cells < MAX_CELLS
            || self
                .record
                .get(MAX_CELLS - 1)
                .is_some_and(|c| c.iter().all(u8::is_ascii_whitespace));
        if (MIN_CELLS..=MAX_CELLS).contains(&cells) && trailing_empty {
            return Ok(());
        }
        // The id, when the row's first cell is sound enough to be one.
        let id = self
            .record
            .get(UID)
            .and_then(|c| std::str::from_utf8(c).ok())
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.len() <= 255 && !id.contains(['\n', '"']))
            .map(str::to_owned);
        let (start_byte, start_line) = self
            .record
            .position()
            .map(|p| (p.byte(), p.line()))
            .unwrap_or_default();
        let (start_byte, start_line) = self
            .true_start(start_byte, start_line)
            .map_err(|e| self.fatal(e))?;
        let next_line = self.reader.position().line();
        let line = self.line_offset + start_line;
        if next_line > start_line + 1 {
            let swallowed = next_line - start_line - 1;
            self.resume_after(self.base + start_byte, line)
                .map_err(|e| self.fatal(e))?;
            return Err(RecordError::invalid(
                id,
                None,
                format!(
                    "row {} (line {line}): a quoted cell opens on this line and is not closed before \
                     the row ends, so the {swallowed} lines after it read as part of it (a stray \
                     `\"`, e.g. in a display name); the row is failed and the lines after it are \
                     read as rows of their own",
                    self.rows_read
                ),
            ));
        }
        Err(RecordError::invalid(
            id,
            None,
            format!(
                "row {} (line {line}) has {cells} cells; a Firebase export row has {MIN_CELLS} to \
                 {} and a trailing comma: the row is cut short or has cells to spare, so no cell \
                 can be trusted to be the column it claims",
                self.rows_read,
                MAX_CELLS - 1
            ),
        ))
    }

    fn fatal(&self, e: io::Error) -> RecordError {
        RecordError::fatal(format!("cannot read {}: {e}", self.path.display()))
    }

    /// Where the record at (`byte`, `line`) of the current reader really starts: the `csv`
    /// crate places a record that follows a CRLF on that line's LF, and counts its line as the
    /// one before (firebase-tools writes CRLF on Windows). Read from the file (only on the
    /// error paths).
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
        self.reader = csv_reader(rest);
        Ok(())
    }

    /// After a row over [`MAX_RECORD_BYTES`] that started at `start`: reading resumes at the
    /// line after its first; the error names the row.
    fn skip_oversized(&mut self, start: &::csv::Position) -> RecordError {
        let resumed = self
            .true_start(start.byte(), start.line())
            .and_then(|(byte, line)| {
                let line = self.line_offset + line;
                self.resume_after(self.base + byte, line).map(|()| line)
            });
        match resumed {
            Ok(line) => RecordError::invalid(
                None,
                None,
                format!(
                    "row {} (line {line}) runs on for more than {} MiB (a huge cell, or a stray \
                     `\"` opening a cell that never closes): the row is failed, reading goes on \
                     at the next line",
                    self.rows_read,
                    MAX_RECORD_BYTES >> 20
                ),
            ),
            Err(e) => {
                self.finished = true;
                self.fatal(e)
            }
        }
    }
}

fn csv_reader(input: ExportReader) -> ::csv::Reader<ExportReader> {
    ::csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(input)
}

impl Source for FirebaseCsvSource {
    fn describe(&self) -> String {
        describe(&self.path, "CSV", self.hash.as_ref())
    }

    fn next_user(&mut self) -> Option<Result<User, RecordError>> {
        loop {
            if self.finished {
                return None;
            }
            let start = self.reader.position().clone();
            let read = if std::mem::take(&mut self.first_read) {
                Ok(true)
            } else {
                self.cap.reset();
                self.reader.read_byte_record(&mut self.record)
            };
            match read {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(e) if matches!(e.kind(), ::csv::ErrorKind::Io(io) if RecordTooLong::is(io)) => {
                    self.rows_read += 1;
                    return Some(Err(self.skip_oversized(&start)));
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
            let row = Row {
                record: &self.record,
                number: self.rows_read,
            };
            if row.is_blank() || (self.rows_read == 1 && row.is_header()) {
                continue;
            }
            if let Err(e) = self.check_shape() {
                if e.fatal {
                    self.finished = true;
                }
                return Some(Err(e));
            }
            let row = Row {
                record: &self.record,
                number: self.rows_read,
            };
            return Some(row.to_user(self.hash.as_ref()));
        }
    }

    fn id_space(&self) -> Option<&'static str> {
        Some(ID_SPACE)
    }

    fn progress(&self) -> Option<ByteProgress> {
        Some(self.progress.clone())
    }
}

/// One data row of the export.
struct Row<'r> {
    record: &'r ::csv::ByteRecord,
    /// The row's number from the first line, for people looking for it in the file.
    number: u64,
}

impl Row<'_> {
    fn to_user(&self, hash: Option<&Map<String, Value>>) -> Result<User, RecordError> {
        let source_id = self
            .cell(UID, None)?
            .ok_or_else(|| {
                RecordError::invalid(
                    None,
                    Some(column_name(UID)),
                    format!("row {} has no UID", self.number),
                )
            })?
            .to_owned();
        let id = Some(source_id.as_str());
        let owned = |index| -> Result<Option<String>, RecordError> {
            Ok(self.cell(index, id)?.map(str::to_owned))
        };

        let emails = match self.cell(EMAIL, id)? {
            Some(address) => vec![EmailAddress {
                address: address.to_owned(),
                verified: self.flag(EMAIL_VERIFIED, id)?.unwrap_or(false),
                primary: true,
            }],
            None => Vec::new(),
        };
        let phones = match self.cell(PHONE_NUMBER, id)? {
            Some(number) => vec![PhoneNumber {
                number: number.to_owned(),
                verified: true,
                primary: true,
            }],
            None => Vec::new(),
        };
        let password = password(
            &source_id,
            (column_name(PASSWORD_HASH), owned(PASSWORD_HASH)?),
            (column_name(PASSWORD_SALT), owned(PASSWORD_SALT)?),
            hash,
        )?;

        let mut external_accounts = Vec::new();
        for (at, provider_id) in PROVIDERS {
            let Some(raw_id) = self.cell(at, id)? else {
                continue;
            };
            external_accounts.push(ExternalAccount {
                provider: provider_name(provider_id).unwrap_or_default(),
                provider_user_id: raw_id.to_owned(),
                email: owned(at + 1)?,
                scopes: Vec::new(),
                created_at: None,
                updated_at: None,
            });
        }

        let public_metadata = match self.cell(CUSTOM_CLAIMS, id)? {
            None => None,
            Some(text) => custom_claims(text).map_err(|why| self.error(CUSTOM_CLAIMS, id, &why))?,
        };

        Ok(User {
            emails,
            phones,
            display_name: owned(NAME)?,
            image_url: owned(PHOTO_URL)?,
            password,
            external_accounts,
            public_metadata,
            created_at: self.millis(CREATED_AT, id)?,
            last_sign_in_at: self.millis(LAST_SIGN_IN, id)?,
            banned: self.flag(DISABLED, id)?.unwrap_or(false),
            source_id,
            ..Default::default()
        })
    }

    fn error(&self, index: usize, id: Option<&str>, message: &str) -> RecordError {
        RecordError::invalid(
            id.map(str::to_owned),
            Some(column_name(index)),
            format!("row {} (column {}): {message}", self.number, index + 1),
        )
    }

    /// A cell's text, trimmed; a missing or empty cell is `None`.
    fn cell(&self, index: usize, id: Option<&str>) -> Result<Option<&str>, RecordError> {
        let Some(bytes) = self.record.get(index) else {
            return Ok(None);
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|_| self.error(index, id, "not valid UTF-8 text"))?
            .trim();
        Ok((!text.is_empty()).then_some(text))
    }

    fn flag(&self, index: usize, id: Option<&str>) -> Result<Option<bool>, RecordError> {
        match self
            .cell(index, id)?
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(self.error(index, id, "expected true or false")),
        }
    }

    fn millis(&self, index: usize, id: Option<&str>) -> Result<Option<Timestamp>, RecordError> {
        match self.cell(index, id)? {
            None => Ok(None),
            Some(text) => millis_text(text)
                .map(Some)
                .ok_or_else(|| self.error(index, id, MILLIS_EXPECTED)),
        }
    }

    fn is_blank(&self) -> bool {
        self.record
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
    }

    /// A header row someone added (`UID,Email,…`): the export itself has none.
    fn is_header(&self) -> bool {
        self.record
            .get(UID)
            .is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"uid"))
    }
}
