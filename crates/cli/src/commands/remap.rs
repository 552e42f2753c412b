//! `authferry remap`: rewrites old user ids to new ones in the application's own PostgreSQL
//! database, using the journal's source-id → target-id map.
//!
//! For each `--column TABLE.COLUMN` the distinct values are read first and sorted into old ids
//! (to rewrite), new ids (already rewritten by an earlier run) and unknown values; any unknown
//! value stops the command before anything is written, unless `--ignore-unknown`. Rows are then
//! rewritten in batches of old ids, one transaction each, so an interrupted run leaves every
//! row either old or new and the same command resumes it (values already equal to a new id are
//! left alone). `--dry-run` prints the counts and writes nothing.

use crate::UsageError;
use crate::args::RemapArgs;
use anyhow::{Context, bail};
use authferry_core::State;
use authferry_core::journal::{Journal, Stored};
use authferry_platforms::shared::{parse_table_column, quote_ident as quote};
use postgres::Client;
use std::collections::{HashMap, HashSet};
use std::io::Write;

/// One `--column`, resolved in the database.
struct Target {
    /// As given, for messages.
    label: String,
    /// The table as PostgreSQL prints a `regclass` (quoted and qualified as needed).
    table: String,
    column: String,
    ty: String,
}

#[derive(Default)]
struct Census {
    /// Distinct old ids present, with their row counts.
    old: Vec<(String, i64)>,
    old_rows: i64,
    new_rows: i64,
    unknown_rows: i64,
    unknown_examples: Vec<String>,
    unknown_distinct: usize,
}

fn pg_error(e: postgres::Error) -> anyhow::Error {
    anyhow::Error::msg(authferry_platforms::pg::describe_error(e))
}

/// `TABLE.COLUMN` → (table as written, column unquoted). The table part keeps its quotes and
/// any schema (`app."Order"`), because PostgreSQL resolves it with its own rules.
fn split_column(text: &str) -> Result<(String, String), UsageError> {
    let tc = parse_table_column(text).map_err(|e| UsageError(format!("--column {e}")))?;
    Ok((tc.table_sql, tc.column))
}

fn resolve(client: &mut Client, text: &str) -> anyhow::Result<Target> {
    let (table, column) = split_column(text)?;
    let row = client
        .query_one(
            "SELECT to_regclass($1)::oid::bigint, to_regclass($1)::text",
            &[&table],
        )
        .map_err(pg_error)
        // PostgreSQL refuses a malformed name (`x; DROP TABLE x; --`) with "invalid name
        // syntax": say which option held it.
        .with_context(|| format!("--column {text}: `{table}` is not a table name"))?;
    let (Some(oid), Some(table_sql)) = (
        row.get::<_, Option<i64>>(0),
        row.get::<_, Option<String>>(1),
    ) else {
        bail!("--column {text}: there is no table {table}");
    };
    // An unquoted column name matches as PostgreSQL would fold it, or exactly.
    let rows = client
        .query(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
              WHERE attrelid = $1::bigint::oid AND attnum > 0 AND NOT attisdropped
                AND (attname = $2 OR attname = lower($2))
              ORDER BY attname = $2 DESC LIMIT 1",
            &[&oid, &column],
        )
        .map_err(pg_error)?;
    let Some(row) = rows.first() else {
        bail!("--column {text}: table {table_sql} has no column {column}");
    };
    Ok(Target {
        label: text.to_owned(),
        table: table_sql,
        column: row.get(0),
        ty: row.get(1),
    })
}

/// The journal's map of migrated users whose id changed.
fn load_map(journal: &mut Journal) -> anyhow::Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    journal.for_each_record(|r| {
        if let (Stored::Done(State::Migrated | State::AlreadyPresent), Some(sid), Some(tid)) =
            (&r.state, r.source_id, r.target_id)
            && sid != tid
        {
            map.insert(sid, tid);
        }
    })?;
    // A value that is both an old id and another user's new id could be either: rewriting it
    // would be a guess. Refuse.
    let new_ids: HashSet<&String> = map.values().collect();
    if let Some(both) = map.keys().find(|k| new_ids.contains(k)) {
        bail!(
            "the journal maps id {both} to a new id and another user to {both}: a value {both} \
             could be either, so remap cannot tell old from new"
        );
    }
    Ok(map)
}

fn census(
    client: &mut Client,
    t: &Target,
    map: &HashMap<String, String>,
    new_ids: &HashSet<&str>,
) -> anyhow::Result<Census> {
    let sql = format!(
        "SELECT {col}::text, count(*) FROM {table} WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 1",
        col = quote(&t.column),
        table = t.table
    );
    let mut c = Census::default();
    for row in client.query(&sql, &[]).map_err(pg_error)? {
        let value: String = row.get(0);
        let n: i64 = row.get(1);
        if map.contains_key(&value) {
            c.old_rows += n;
            c.old.push((value, n));
        } else if new_ids.contains(value.as_str()) {
            c.new_rows += n;
        } else {
            c.unknown_rows += n;
            c.unknown_distinct += 1;
            if c.unknown_examples.len() < 5 {
                c.unknown_examples.push(value);
            }
        }
    }
    Ok(c)
}

pub fn remap(args: RemapArgs) -> anyhow::Result<i32> {
    if !(args.db.starts_with("postgres://") || args.db.starts_with("postgresql://")) {
        return Err(UsageError("--db must be a postgres:// or postgresql:// URL".into()).into());
    }
    if args.column.is_empty() {
        return Err(UsageError("at least one --column TABLE.COLUMN is needed".into()).into());
    }
    for c in &args.column {
        split_column(c)?;
    }
    let mut journal = Journal::open_existing(&args.journal)?;
    let map = load_map(&mut journal)?;
    if map.is_empty() {
        bail!(
            "journal {} has no migrated user whose id changed: nothing to remap",
            journal.location()
        );
    }
    let new_ids: HashSet<&str> = map.values().map(String::as_str).collect();
    let mut client = authferry_platforms::pg::connect(&args.db)
        .map_err(anyhow::Error::msg)
        .with_context(|| {
            format!(
                "cannot connect to {}",
                authferry_platforms::redact_spec(&args.db)
            )
        })?;

    let mut targets = Vec::new();
    for text in &args.column {
        targets.push(resolve(&mut client, text)?);
    }
    // Every column is checked before any is written.
    let mut censuses = Vec::new();
    for t in &targets {
        censuses.push(census(&mut client, t, &map, &new_ids)?);
    }
    let mut out = std::io::stdout().lock();
    let unknown: Vec<String> = targets
        .iter()
        .zip(&censuses)
        .filter(|(_, c)| c.unknown_rows > 0)
        .map(|(t, c)| {
            format!(
                "{}: {} rows ({} distinct values, e.g. {})",
                t.label,
                c.unknown_rows,
                c.unknown_distinct,
                c.unknown_examples.join(", ")
            )
        })
        .collect();
    for (t, c) in targets.iter().zip(&censuses) {
        writeln!(
            out,
            "{}: {} rows to rewrite ({} users), {} rows already new, {} rows unknown",
            t.label,
            c.old_rows,
            c.old.len(),
            c.new_rows,
            c.unknown_rows
        )?;
    }
    if !unknown.is_empty() && !args.ignore_unknown {
        bail!(
            "values that are neither an old nor a new user id (pass --ignore-unknown to leave them as they are):\n  {}",
            unknown.join("\n  ")
        );
    }
    // New ids must fit the column's type (an integer column cannot take `user_2abc…`).
    for (t, c) in targets.iter().zip(&censuses) {
        let sample: Vec<&str> = c.old.iter().map(|(o, _)| map[o].as_str()).collect();
        let sql = format!(
            "SELECT count(CAST(v AS {})) FROM unnest($1::text[]) v",
            t.ty
        );
        client.query_one(&sql, &[&sample]).map_err(pg_error).with_context(|| {
            format!("{}: the new ids do not fit the column's type {}; change the column's type first", t.label, t.ty)
        })?;
    }
    if args.dry_run {
        writeln!(out, "dry run: nothing written")?;
        return Ok(0);
    }
    for (t, c) in targets.iter().zip(&censuses) {
        let sql = format!(
            "UPDATE {table} AS t SET {col} = CAST(m.new AS {ty})
               FROM unnest($1::text[], $2::text[]) AS m(old, new)
              WHERE t.{col} = CAST(m.old AS {ty})",
            table = t.table,
            col = quote(&t.column),
            ty = t.ty
        );
        let mut rewritten = 0u64;
        for chunk in c.old.chunks(args.batch_size as usize) {
            let olds: Vec<&str> = chunk.iter().map(|(o, _)| o.as_str()).collect();
            let news: Vec<&str> = olds.iter().map(|o| map[*o].as_str()).collect();
            let mut tx = client.transaction().map_err(pg_error)?;
            rewritten += tx
                .execute(&sql, &[&olds, &news])
                .map_err(|e| {
                    let fk = e.code() == Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION);
                    let err = pg_error(e);
                    if fk {
                        err.context(
                            "the column references the old user table: drop that foreign key \
                             (the new ids live in the new platform) before remapping",
                        )
                    } else {
                        err
                    }
                })
                .with_context(|| {
                    format!(
                        "{}: a batch failed and was rolled back; re-run to resume",
                        t.label
                    )
                })?;
            tx.commit().map_err(pg_error)?;
        }
        writeln!(out, "{}: {rewritten} rows rewritten", t.label)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_split_keeping_the_table_as_written() {
        assert_eq!(
            split_column("orders.user_id").unwrap(),
            ("orders".into(), "user_id".into())
        );
        assert_eq!(
            split_column("app.\"Order\".\"userId\"").unwrap(),
            ("app.\"Order\"".into(), "userId".into())
        );
        assert!(split_column("nodot").is_err());
        assert!(split_column("t.").is_err());
    }
}
