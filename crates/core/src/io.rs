//! Files: reading exports with progress, writing user data privately, streaming JSON.

use serde::de::DeserializeOwned;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes read out of a known total, shared between a source's reader and the progress display.
#[derive(Clone, Debug, Default)]
pub struct ByteProgress {
    read: Arc<AtomicU64>,
    pub total: u64,
}

impl ByteProgress {
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

/// A reader that counts what passes through it into a [`ByteProgress`].
pub struct CountingReader<R> {
    inner: R,
    progress: ByteProgress,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens an export for streaming, with a byte counter for the ETA.
pub fn open_counted(path: &Path) -> io::Result<(BufReader<CountingReader<File>>, ByteProgress)> {
    let file = File::open(path)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ByteProgress {
        read: Arc::new(AtomicU64::new(0)),
        total,
    };
    let reader = CountingReader {
        inner: file,
        progress: progress.clone(),
    };
    Ok((BufReader::with_capacity(256 * 1024, reader), progress))
}

/// Opens an export again at byte `offset` (a reader that resynchronises after a broken
/// record), counting into the same [`ByteProgress`], which is set to `offset`.
pub fn open_counted_at(
    path: &Path,
    offset: u64,
    progress: &ByteProgress,
) -> io::Result<BufReader<CountingReader<File>>> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    progress.read.store(offset, Ordering::Relaxed);
    let reader = CountingReader {
        inner: file,
        progress: progress.clone(),
    };
    Ok(BufReader::with_capacity(256 * 1024, reader))
}

/// Creates (or truncates) a file that will hold user data, readable by its owner only.
/// The mode is set at creation, so there is no moment when the file is world-readable.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let file = open_private(path, OpenOptions::new().write(true).create(true))?;
    // Emptied only once it is known to be ours.
    file.set_len(0)?;
    Ok(file)
}

/// Opens `path` with `opts` for writing user data, owner-only (0600): never through a
/// symbolic link (`O_NOFOLLOW`: a link planted at the path would send users' digests where it
/// points), only a regular file, and only one this user owns (not a file another account
/// left for us to fill). The mode is set on the open file, not by path.
pub fn open_private(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        let file = opts.open(path).map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} is a symbolic link: authferry writes user data only to a regular file (give the real path)",
                        path.display()
                    ),
                )
            } else {
                e
            }
        })?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to another user (uid {}): authferry writes user data only to files of its own user",
                    path.display(),
                    meta.uid()
                ),
            ));
        }
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        opts.open(path)
    }
}

/// A file's identity for a journal: its canonical path and, on Unix, its device and inode, so
/// that a file deleted and made again (or another file moved to the same path) is not taken for
/// the one a migration wrote. `None` when the file does not exist.
pub fn file_identity(path: &Path) -> Option<String> {
    let canonical = std::fs::canonicalize(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(&canonical).ok()?;
        // Inodes are reused at once by a file made after a deletion: the creation time tells
        // them apart where the file system keeps it.
        let born = m
            .created()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| format!(", created {}.{:09}", d.as_secs(), d.subsec_nanos()))
            .unwrap_or_default();
        Some(format!(
            "file {} (device {}, inode {}{born})",
            canonical.display(),
            m.dev(),
            m.ino()
        ))
    }
    #[cfg(not(unix))]
    {
        Some(format!("file {}", canonical.display()))
    }
}

/// A path in the temporary directory no other run uses: `authferry-NAME-PID-NANOS` + `suffix`.
pub fn unique_temp_path(name: &str, suffix: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "authferry-{name}-{}-{nanos}{suffix}",
        std::process::id()
    ))
}

/// Makes an existing file owner-only (a file created by another library, such as SQLite).
pub fn restrict_permissions(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Makes sure a SQLite database file exists with mode 0600 before SQLite opens it, so that
/// SQLite's own file (and its -wal/-shm, which copy the main file's mode) is never readable
/// by others.
pub fn precreate_private(path: &Path) -> io::Result<()> {
    // Created if absent; an existing one must be a regular file of ours, not a link.
    open_private(path, OpenOptions::new().write(true).create(true)).map(drop)
}

/// Items of a JSON export read one at a time: either a top-level array (`[{…},{…}]`, or an
/// object whose `key` field is that array, e.g. `{"users": […]}`) or NDJSON (one value a
/// line). Memory stays bounded by one item whatever the file size.
///
/// An item that does not deserialise as `T` is reported with its position and the rest
/// continue; broken JSON syntax ends the stream with a fatal error (the parser cannot find the
/// next item boundary).
pub struct JsonItems<T> {
    rx: std::sync::mpsc::Receiver<JsonItem<T>>,
}

pub enum JsonItem<T> {
    Item(T),
    /// A value that is not a valid `T`: (position, message naming where — `line N` in NDJSON,
    /// `item N` in an array — and what, the raw value or `Null` when it was not JSON).
    Invalid(u64, String, serde_json::Value),
    /// The file cannot be read further.
    Fatal(String),
}

impl<T: DeserializeOwned + Send + 'static> JsonItems<T> {
    pub fn new<R: BufRead + Send + 'static>(
        mut reader: R,
        wrapper_key: Option<&'static str>,
    ) -> Self {
        // Parsing runs on its own thread and hands items over a small bounded channel: the
        // array visitor of serde cannot yield, and the channel gives backpressure.
        let (tx, rx) = std::sync::mpsc::sync_channel(1024);
        std::thread::Builder::new()
            .name("json-reader".into())
            .spawn(move || {
                let first = match first_significant_byte(&mut reader) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.send(JsonItem::Fatal(format!("cannot read: {e}")));
                        return;
                    }
                };
                let result = match (first, wrapper_key) {
                    (None, _) => Ok(()),
                    (Some(b'['), _) => stream_array(reader, &tx),
                    (Some(b'{'), Some(key)) => stream_object_file(reader, key, &tx),
                    (Some(_), _) => stream_lines(reader, None, &tx),
                };
                if let Err(msg) = result {
                    let _ = tx.send(JsonItem::Fatal(msg));
                }
            })
            .expect("spawn json reader thread");
        JsonItems { rx }
    }
}

impl<T> Iterator for JsonItems<T> {
    type Item = JsonItem<T>;
    fn next(&mut self) -> Option<JsonItem<T>> {
        self.rx.recv().ok()
    }
}

fn first_significant_byte<R: BufRead>(r: &mut R) -> io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        // Skip a UTF-8 BOM and whitespace.
        let mut skip = 0;
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            skip = 3;
        }
        while skip < buf.len() && buf[skip].is_ascii_whitespace() {
            skip += 1;
        }
        if skip < buf.len() {
            let b = buf[skip];
            r.consume(skip);
            return Ok(Some(b));
        }
        let n = buf.len();
        r.consume(n);
    }
}

/// A file starting with `{` is either NDJSON (its first line is a complete value) or one
/// multi-line object whose `key` holds the array of items (`{"users": […]}`), streamed.
/// Deciding from the whole first line, not from a guess at the first bytes, keeps an NDJSON
/// line that merely mentions the key from being taken for a wrapper.
fn stream_object_file<T: DeserializeOwned, R: BufRead>(
    mut reader: R,
    key: &'static str,
    tx: &std::sync::mpsc::SyncSender<JsonItem<T>>,
) -> Result<(), String> {
    let mut first = String::new();
    reader
        .read_line(&mut first)
        .map_err(|e| format!("cannot read line 1: {e}"))?;
    let complete = serde_json::from_str::<serde::de::IgnoredAny>(first.trim()).is_ok();
    let reader = io::Cursor::new(first.into_bytes()).chain(reader);
    if complete {
        stream_lines(reader, Some(key), tx)
    } else {
        stream_wrapped(reader, key, tx)
    }
}

fn send_value<T: DeserializeOwned>(
    pos: u64,
    place: &str,
    value: serde_json::Value,
    tx: &std::sync::mpsc::SyncSender<JsonItem<T>>,
) -> bool {
    let item = match T::deserialize(&value) {
        Ok(t) => JsonItem::Item(t),
        Err(e) => JsonItem::Invalid(pos, format!("{place}: {e}"), value),
    };
    tx.send(item).is_ok()
}

/// The longest NDJSON line read (a page of a thousand users saved on one line is a few MB):
/// memory stays bounded whatever a line holds; a longer line fails as one record.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads one line of at most [`MAX_LINE_BYTES`] into `buf` (its newline included). `Ok(None)`
/// at the end; `Ok(Some(false))` for a longer line, whose rest is skipped unread.
fn read_bounded_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() <= MAX_LINE_BYTES || buf.ends_with(b"\n") {
        return Ok(Some(true));
    }
    buf.clear();
    skip_line(reader)?;
    Ok(Some(false))
}

/// Reads past the next newline without keeping anything (memory stays flat however long the
/// line is); returns the bytes skipped, the newline included.
pub fn skip_line<R: BufRead>(reader: &mut R) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(skipped);
        }
        match available.iter().position(|b| *b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(skipped + i as u64 + 1);
            }
            None => {
                let all = available.len();
                reader.consume(all);
                skipped += all as u64;
            }
        }
    }
}

/// The largest record a record-oriented reader (CSV) takes: the same bound as an NDJSON line.
pub const MAX_RECORD_BYTES: u64 = MAX_LINE_BYTES as u64;

/// A reader that yields at most [`MAX_RECORD_BYTES`] between two [`RecordCap::reset`]s and
/// then fails with [`RecordTooLong`]: a parser that keeps a whole record in memory (the `csv`
/// crate grows its buffer without limit) is stopped at the bound instead of following a
/// 2 GiB cell — or `/dev/zero` — until the allocator aborts.
pub struct CappedReader<R> {
    inner: R,
    used: Arc<AtomicU64>,
}

/// The handle that starts a new record's allowance.
#[derive(Clone, Debug)]
pub struct RecordCap(Arc<AtomicU64>);

impl RecordCap {
    pub fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

impl<R> CappedReader<R> {
    pub fn new(inner: R) -> (Self, RecordCap) {
        let used = Arc::new(AtomicU64::new(0));
        (
            CappedReader {
                inner,
                used: used.clone(),
            },
            RecordCap(used),
        )
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let used = self.used.load(Ordering::Relaxed);
        let left = MAX_RECORD_BYTES.saturating_sub(used);
        if left == 0 && !buf.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLong));
        }
        let max = buf.len().min(left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.used.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A record ran past [`MAX_RECORD_BYTES`].
#[derive(Debug)]
pub struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "longer than {} MiB (no user record is that large)",
            MAX_RECORD_BYTES >> 20
        )
    }
}

impl std::error::Error for RecordTooLong {}

impl RecordTooLong {
    /// Whether `e` is a [`CappedReader`]'s refusal (also when a parser wrapped it).
    pub fn is(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>())
    }
}

/// NDJSON. With a wrapper `key`, a line holding a whole wrapper object (`{"key": […]}`, a
/// page saved on one line) gives its items.
fn stream_lines<T: DeserializeOwned, R: BufRead>(
    mut reader: R,
    key: Option<&str>,
    tx: &std::sync::mpsc::SyncSender<JsonItem<T>>,
) -> Result<(), String> {
    let mut pos = 0u64;
    let mut buf = Vec::new();
    let mut lineno = 0usize;
    loop {
        let whole = read_bounded_line(&mut reader, &mut buf)
            .map_err(|e| format!("cannot read line {}: {e}", lineno + 1))?;
        let Some(whole) = whole else { break };
        lineno += 1;
        let invalid = |pos, msg: String| JsonItem::Invalid(pos, msg, serde_json::Value::Null);
        if !whole {
            pos += 1;
            let msg = format!(
                "line {lineno} is longer than {} MiB: not read (no user record is that large)",
                MAX_LINE_BYTES >> 20
            );
            if tx.send(invalid(pos, msg)).is_err() {
                return Ok(());
            }
            continue;
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            pos += 1;
            if tx
                .send(invalid(pos, format!("line {lineno}: not UTF-8 text")))
                .is_err()
            {
                return Ok(());
            }
            continue;
        };
        // (Numbered from 0 below, as before.)
        let lineno = lineno - 1;
        let trimmed = line.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() {
            continue;
        }
        pos += 1;
        match serde_json::from_str::<serde_json::Value>(trimmed) {
            Ok(serde_json::Value::Object(mut page))
                if key.is_some_and(|k| page.get(k).is_some_and(|v| v.is_array())) =>
            {
                let Some(serde_json::Value::Array(items)) = page.remove(key.unwrap_or_default())
                else {
                    continue;
                };
                pos -= 1;
                for (i, v) in items.into_iter().enumerate() {
                    pos += 1;
                    if !send_value(pos, &format!("line {} item {}", lineno + 1, i + 1), v, tx) {
                        return Ok(());
                    }
                }
            }
            Ok(v) => {
                if !send_value(pos, &format!("line {}", lineno + 1), v, tx) {
                    return Ok(());
                }
            }
            Err(e) => {
                // One bad line in NDJSON does not hide the next: report and go on.
                // serde counts lines within the one line it was given: give the column only.
                let what = e.to_string();
                let what = what.split(" at line ").next().unwrap_or_default();
                let msg = format!(
                    "line {}: not JSON ({what} at column {})",
                    lineno + 1,
                    e.column()
                );
                if tx
                    .send(JsonItem::Invalid(pos, msg, serde_json::Value::Null))
                    .is_err()
                {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

struct ArrayVisitor<'a, T> {
    tx: &'a std::sync::mpsc::SyncSender<JsonItem<T>>,
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for ArrayVisitor<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of users")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut pos = 0u64;
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            pos += 1;
            if !send_value(pos, &format!("item {pos}"), v, self.tx) {
                break;
            }
        }
        Ok(())
    }
}

struct ArraySeed<'a, T>(&'a std::sync::mpsc::SyncSender<JsonItem<T>>);

impl<'de, T: DeserializeOwned> serde::de::DeserializeSeed<'de> for ArraySeed<'_, T> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(ArrayVisitor { tx: self.0 })
    }
}

fn stream_array<T: DeserializeOwned, R: BufRead>(
    reader: R,
    tx: &std::sync::mpsc::SyncSender<JsonItem<T>>,
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    serde::de::DeserializeSeed::deserialize(ArraySeed(tx), &mut de)
        .map_err(|e| format!("broken JSON array: {e}"))
}

struct WrapperVisitor<'a, T> {
    key: &'static str,
    tx: &'a std::sync::mpsc::SyncSender<JsonItem<T>>,
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for WrapperVisitor<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with a `{}` array", self.key)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if k == self.key {
                map.next_value_seed(ArraySeed(self.tx))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

fn stream_wrapped<T: DeserializeOwned, R: BufRead>(
    reader: R,
    key: &'static str,
    tx: &std::sync::mpsc::SyncSender<JsonItem<T>>,
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    serde::Deserializer::deserialize_map(&mut de, WrapperVisitor { key, tx })
        .map_err(|e| format!("broken JSON: {e}"))
}

/// Writes one JSON value per line.
pub fn write_ndjson_line<W: Write, T: serde::Serialize>(w: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, value)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9 item 9: a file another account owns is not filled with user data (nor
    /// emptied first); a link is not followed.
    #[cfg(unix)]
    #[test]
    fn private_outputs_refuse_links_and_files_of_other_users() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("theirs");
        std::fs::write(&theirs, "kept").unwrap();
        std::os::unix::fs::symlink(&theirs, dir.path().join("link")).unwrap();
        let e = create_private_file(&dir.path().join("link")).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        // Giving a file away takes root (CI runs as root); elsewhere this part cannot be set up.
        if std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).is_ok() {
            let e = create_private_file(&theirs).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
            assert!(e.to_string().contains("another user (uid 65534)"), "{e}");
            let e = precreate_private(&theirs).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        }
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "kept");
        let mine = dir.path().join("mine");
        create_private_file(&mine).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&mine).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    use std::io::Cursor;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Item {
        id: u32,
    }

    fn collect(text: &str, key: Option<&'static str>) -> Vec<String> {
        JsonItems::<Item>::new(Cursor::new(text.as_bytes().to_vec()), key)
            .map(|i| match i {
                JsonItem::Item(it) => format!("ok {}", it.id),
                JsonItem::Invalid(p, _, _) => format!("invalid {p}"),
                JsonItem::Fatal(_) => "fatal".to_string(),
            })
            .collect()
    }

    /// Issue 9 item 11: a line longer than the cap fails as one record and is skipped unread
    /// (memory stays bounded by the cap); bytes that are not UTF-8 fail their line only.
    #[test]
    fn an_oversized_or_binary_line_fails_alone() {
        let mut text = b"{\"id\":1}\n{\"id\":\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        text.extend(b"\"}\n{\"id\":\xff}\n{\"id\":4}\n");
        let items: Vec<String> = JsonItems::<Item>::new(Cursor::new(text), None)
            .map(|i| match i {
                JsonItem::Item(it) => format!("ok {}", it.id),
                JsonItem::Invalid(p, m, _) => format!("invalid {p}: {m}"),
                JsonItem::Fatal(m) => format!("fatal {m}"),
            })
            .collect();
        assert_eq!(
            items,
            [
                "ok 1",
                "invalid 2: line 2 is longer than 16 MiB: not read (no user record is that large)",
                "invalid 3: line 3: not UTF-8 text",
                "ok 4"
            ]
        );
    }

    #[test]
    fn reads_array_ndjson_and_wrapper() {
        assert_eq!(
            collect("\u{feff} [ {\"id\":1}, {\"id\":\"x\"}, {\"id\":3} ]", None),
            ["ok 1", "invalid 2", "ok 3"]
        );
        assert_eq!(
            collect("{\"id\":1}\r\n\r\n{\"id\":2}\nnot json\n{\"id\":4}\n", None),
            ["ok 1", "ok 2", "invalid 3", "ok 4"]
        );
        assert_eq!(
            collect(
                "{\n \"meta\": {\"a\": [1]},\n \"users\": [{\"id\":7}]\n}",
                Some("users")
            ),
            ["ok 7"]
        );
        assert_eq!(collect("[{\"id\":1}, {\"id\":", None), ["ok 1", "fatal"]);
        assert!(collect("   ", None).is_empty());
    }

    #[test]
    fn private_file_is_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        create_private_file(&p).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
