//! `authferry idmap export`: the source-id → target-id map of a migration, for updating the
//! foreign keys in the application's own database.

use crate::UsageError;
use crate::args::{IdmapExportArgs, IdmapFormat};
use anyhow::Context;
use authferry_core::State;
use authferry_core::journal::{Journal, Stored};
use std::io::Write;

pub fn export(args: IdmapExportArgs) -> anyhow::Result<()> {
    if !valid_sql_identifier(&args.table) {
        return Err(UsageError(format!(
            "--table `{}` must be letters, digits and `_`, not starting with a digit",
            args.table
        ))
        .into());
    }
    let mut journal = Journal::open_existing(&args.journal)?;
    let out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(
            authferry_core::io::create_private_file(p)
                .with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(out);
    let mut writer = IdmapWriter::new(args.format, &args.table);
    let mut result = writer.begin(&mut out);
    journal.for_each_record(|r| {
        if result.is_err() {
            return;
        }
        if let (Stored::Done(State::Migrated | State::AlreadyPresent), Some(sid), Some(tid)) =
            (&r.state, &r.source_id, &r.target_id)
        {
            result = writer.row(&mut out, sid, tid);
        }
    })?;
    result?;
    writer.end(&mut out)?;
    out.flush()?;
    Ok(())
}

fn valid_sql_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Streams the map in one of three formats without holding it in memory.
struct IdmapWriter<'a> {
    format: IdmapFormat,
    table: &'a str,
    rows: u64,
}

const SQL_ROWS_PER_INSERT: u64 = 1000;

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl<'a> IdmapWriter<'a> {
    fn new(format: IdmapFormat, table: &'a str) -> Self {
        IdmapWriter {
            format,
            table,
            rows: 0,
        }
    }

    fn begin(&mut self, w: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            IdmapFormat::Csv => writeln!(w, "source_id,target_id"),
            IdmapFormat::Json => write!(w, "["),
            IdmapFormat::Sql => writeln!(
                w,
                "-- authferry id map: old (source) user id → new (target) user id.\n\
                 -- Example: UPDATE orders SET user_id = m.target_id FROM {t} m WHERE orders.user_id = m.source_id;\n\
                 -- or run `authferry remap` (resumable, batched).\n\
                 CREATE TABLE IF NOT EXISTS {t} (source_id TEXT PRIMARY KEY, target_id TEXT NOT NULL);",
                t = self.table
            ),
        }
    }

    fn row(&mut self, w: &mut impl Write, source_id: &str, target_id: &str) -> std::io::Result<()> {
        let n = self.rows;
        self.rows += 1;
        match self.format {
            IdmapFormat::Csv => writeln!(w, "{},{}", csv_field(source_id), csv_field(target_id)),
            IdmapFormat::Json => {
                let sep = if n == 0 { "\n" } else { ",\n" };
                write!(
                    w,
                    "{sep}{}",
                    serde_json::json!({ "source_id": source_id, "target_id": target_id })
                )
            }
            IdmapFormat::Sql => {
                if n.is_multiple_of(SQL_ROWS_PER_INSERT) {
                    if n > 0 {
                        writeln!(
                            w,
                            "\nON CONFLICT (source_id) DO UPDATE SET target_id = excluded.target_id;"
                        )?;
                    }
                    write!(
                        w,
                        "INSERT INTO {} (source_id, target_id) VALUES\n  ({}, {})",
                        self.table,
                        sql_quote(source_id),
                        sql_quote(target_id)
                    )
                } else {
                    write!(
                        w,
                        ",\n  ({}, {})",
                        sql_quote(source_id),
                        sql_quote(target_id)
                    )
                }
            }
        }
    }

    fn end(&mut self, w: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            IdmapFormat::Csv => Ok(()),
            IdmapFormat::Json => writeln!(w, "{}]", if self.rows > 0 { "\n" } else { "" }),
            IdmapFormat::Sql if self.rows > 0 => writeln!(
                w,
                "\nON CONFLICT (source_id) DO UPDATE SET target_id = excluded.target_id;"
            ),
            IdmapFormat::Sql => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_quote_their_values() {
        let mut out = Vec::new();
        let mut w = IdmapWriter::new(IdmapFormat::Sql, "m");
        w.begin(&mut out).unwrap();
        w.row(&mut out, "o'brien", "t1").unwrap();
        w.end(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("('o''brien', 't1')"), "{s}");
        assert!(s.trim_end().ends_with("excluded.target_id;"));
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert!(valid_sql_identifier("authferry_idmap"));
        assert!(!valid_sql_identifier("x; DROP TABLE y"));
    }
}
