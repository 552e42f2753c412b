//! better-auth on PostgreSQL (`boolean`, `timestamptz`). Rows go in with COPY (text format, so
//! that the server converts to whatever compatible type a column has) straight into the
//! tables, one transaction per batch: first without a lookup where the unique constraints
//! would refuse a taken identifier, then after the lookup, and only when the database still
//! refuses a row, row by row in savepoints.

use super::mapping::{UserRows, Val};
use super::schema::{
    ACCOUNT_WRITES, FoundColumn, Inspected, Kind, TABLES, TWO_FACTOR_WRITES, USER_WRITES,
};
use super::store::{
    Decision, LookupKeys, RowFilter, Store, Taken, TextQuery, WriteColumns, outcomes, rejection,
};
use crate::pg::describe as describe_error;
use authferry_core::{Reason, SinkError, WriteOutcome};
use postgres::{Client, GenericClient};
use std::collections::HashMap;
use std::io::Write;

pub(crate) struct PostgresStore {
    client: Client,
}

fn backend(e: postgres::Error) -> SinkError {
    SinkError::Backend(crate::pg::describe_error(e))
}

/// Integrity (23…) and data (22…) errors refuse a row; anything else is the database failing.
fn is_row_error(e: &postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| matches!(&db.code().code()[..2], "22" | "23"))
}

/// One field of COPY's text format.
fn push_copy_value(buf: &mut String, v: Val<'_>) {
    match v {
        Val::Null => buf.push_str("\\N"),
        Val::Bool(b) => buf.push(if b { 't' } else { 'f' }),
        Val::Int(i) => buf.push_str(&i.to_string()),
        Val::Text(s) | Val::Date(s) => {
            // Runs without a special byte are copied whole.
            let mut rest = s;
            while let Some(i) = rest.find(['\\', '\t', '\n', '\r']) {
                buf.push_str(&rest[..i]);
                buf.push_str(match rest.as_bytes()[i] {
                    b'\\' => "\\\\",
                    b'\t' => "\\t",
                    b'\n' => "\\n",
                    _ => "\\r",
                });
                rest = &rest[i + 1..];
            }
            buf.push_str(rest);
        }
    }
}

fn push_copy_row(buf: &mut String, values: &[Val<'_>], positions: &[usize]) {
    for (n, &i) in positions.iter().enumerate() {
        if n > 0 {
            buf.push('\t');
        }
        push_copy_value(buf, values[i]);
    }
    buf.push('\n');
}

fn copy_sql(table: &str, all: &[&str], positions: &[usize]) -> String {
    let names: Vec<String> = positions
        .iter()
        .map(|&i| format!("\"{}\"", all[i]))
        .collect();
    format!("COPY \"{table}\" ({}) FROM STDIN", names.join(", "))
}

/// Why a COPY failed: the server refused it, or the stream to it broke.
enum CopyError {
    Db(postgres::Error),
    Stream(std::io::Error),
}

impl From<postgres::Error> for CopyError {
    fn from(e: postgres::Error) -> Self {
        CopyError::Db(e)
    }
}

impl CopyError {
    fn is_row_error(&self) -> bool {
        matches!(self, CopyError::Db(e) if is_row_error(e))
    }
    fn into_sink_error(self) -> SinkError {
        match self {
            CopyError::Db(e) => backend(e),
            CopyError::Stream(e) => SinkError::Backend(format!("PostgreSQL: COPY failed: {e}")),
        }
    }
    fn rejection(&self) -> Reason {
        match self {
            CopyError::Db(e) => rejection(&describe_error(e)),
            CopyError::Stream(e) => rejection(&e.to_string()),
        }
    }
}

/// Bytes of COPY text formatted before they are sent: the server parses and inserts one chunk
/// while the next is formatted.
const COPY_CHUNK: usize = 64 * 1024;

/// COPYs the rows `format` writes (one call per row, `false` once there are no more), sending
/// them in chunks as they are formatted.
fn copy_table(
    client: &mut impl GenericClient,
    sql: &str,
    mut format: impl FnMut(&mut String) -> bool,
) -> Result<(), CopyError> {
    let mut buf = String::with_capacity(COPY_CHUNK + 4096);
    let mut more = format(&mut buf);
    if buf.is_empty() && !more {
        return Ok(());
    }
    let mut writer = client.copy_in(sql)?;
    loop {
        while more && buf.len() < COPY_CHUNK {
            more = format(&mut buf);
        }
        if let Err(io) = writer.write_all(buf.as_bytes()) {
            // A refusal by the server can surface as an I/O error of the stream; `finish`
            // then returns the server's own error.
            return Err(match writer.finish() {
                Err(e) => CopyError::Db(e),
                Ok(_) => CopyError::Stream(io),
            });
        }
        buf.clear();
        if !more {
            break;
        }
    }
    writer.finish()?;
    Ok(())
}

fn copy_rows(
    client: &mut impl GenericClient,
    columns: &WriteColumns<'_>,
    rows: &[&UserRows],
) -> Result<(), CopyError> {
    let mut users = rows.iter();
    copy_table(
        client,
        &copy_sql("user", &USER_WRITES, columns.user),
        |buf| match users.next() {
            Some(r) => {
                push_copy_row(buf, &r.user_values(), columns.user);
                true
            }
            None => false,
        },
    )?;
    let mut accounts = rows
        .iter()
        .flat_map(|r| r.accounts.iter().map(move |a| (*r, a)));
    copy_table(
        client,
        &copy_sql("account", &ACCOUNT_WRITES, columns.account),
        |buf| match accounts.next() {
            Some((r, a)) => {
                push_copy_row(buf, &r.account_values(a), columns.account);
                true
            }
            None => false,
        },
    )?;
    let mut two_factors = rows
        .iter()
        .filter(|_| !columns.two_factor.is_empty())
        .filter_map(|r| r.two_factor.as_ref().map(|tf| (*r, tf)));
    copy_table(
        client,
        &copy_sql("twoFactor", &TWO_FACTOR_WRITES, columns.two_factor),
        |buf| match two_factors.next() {
            Some((r, tf)) => {
                push_copy_row(buf, &r.two_factor_values(tf), columns.two_factor);
                true
            }
            None => false,
        },
    )
}

fn select_any(
    client: &mut impl GenericClient,
    sql: &str,
    keys: &[String],
    into: &mut HashMap<String, String>,
) -> Result<(), postgres::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    for row in client.query(sql, &[&keys])? {
        let (k, v): (Option<String>, Option<String>) = (row.get(0), row.get(1));
        if let (Some(k), Some(v)) = (k, v) {
            into.insert(k, v);
        }
    }
    Ok(())
}

fn lookup(client: &mut impl GenericClient, keys: &LookupKeys) -> Result<Taken, postgres::Error> {
    let mut taken = Taken::default();
    select_any(
        client,
        "SELECT \"id\"::text, \"email\"::text FROM \"user\" WHERE \"id\" = ANY($1::text[])",
        &keys.ids,
        &mut taken.ids,
    )?;
    select_any(
        client,
        "SELECT \"email\"::text, \"id\"::text FROM \"user\" WHERE \"email\" = ANY($1::text[])",
        &keys.emails,
        &mut taken.emails,
    )?;
    select_any(
        client,
        "SELECT \"username\"::text, \"id\"::text FROM \"user\" WHERE \"username\" = ANY($1::text[])",
        &keys.usernames,
        &mut taken.usernames,
    )?;
    select_any(
        client,
        "SELECT \"phoneNumber\"::text, \"id\"::text FROM \"user\" WHERE \"phoneNumber\" = ANY($1::text[])",
        &keys.phones,
        &mut taken.phones,
    )?;
    Ok(taken)
}

impl PostgresStore {
    pub fn connect(url: &str) -> Result<Self, SinkError> {
        // TLS as libpq does it (`sslmode`, `sslrootcert`): hosted databases require it.
        let client = crate::pg::connect(url).map_err(SinkError::Connect)?;
        Ok(PostgresStore { client })
    }

    /// One transaction: the decisions (from the lookup of `keys`, or from nothing taken), the
    /// COPY of the rows to insert, the commit. `None` when the database refused a row: the
    /// transaction is then rolled back (on drop) and nothing of it is written.
    fn bulk<'m>(
        &mut self,
        keys: Option<&LookupKeys>,
        columns: &WriteColumns<'_>,
        decide: &mut dyn FnMut(&Taken) -> Vec<Decision<'m>>,
    ) -> Result<Option<Vec<WriteOutcome>>, SinkError> {
        let mut tx = self.client.transaction().map_err(backend)?;
        let taken = match keys {
            Some(keys) => lookup(&mut tx, keys).map_err(backend)?,
            None => Taken::default(),
        };
        let decisions = decide(&taken);
        let inserts: Vec<&UserRows> = decisions
            .iter()
            .filter_map(|d| match d {
                Decision::Insert(rows) => Some(*rows),
                Decision::Done(_) => None,
            })
            .collect();
        match copy_rows(&mut tx, columns, &inserts) {
            Ok(()) => {
                tx.commit().map_err(backend)?;
                Ok(Some(outcomes(decisions, |_| None)))
            }
            Err(e) if e.is_row_error() => Ok(None),
            Err(e) => Err(e.into_sink_error()),
        }
    }
}

impl Store for PostgresStore {
    fn instance(&mut self) -> Option<String> {
        let row = self
            .client
            .query_one(
                "SELECT current_database()::text, (SELECT oid FROM pg_database WHERE datname = current_database())::int8,
                        current_schema()::text, coalesce(host(inet_server_addr()), 'local socket'),
                        coalesce(inet_server_port(), 0)",
                &[],
            )
            .ok()?;
        let (db, oid, schema, addr, port): (String, i64, String, String, i32) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        // The cluster's own id names the server however it is reached (localhost, an IP, a
        // proxy); the address is the fallback for roles that may not read it.
        let server = self
            .client
            .query_one(
                "SELECT system_identifier::text FROM pg_control_system()",
                &[],
            )
            .map(|r| format!("cluster {}", r.get::<_, String>(0)))
            .unwrap_or_else(|_| format!("{addr}:{port}"));
        Some(format!(
            "postgres {server} database {db} (oid {oid}) schema {schema}"
        ))
    }

    fn inspect(&mut self) -> Result<Inspected, SinkError> {
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let rows = self
            .client
            .query(
                "SELECT table_name::text, column_name::text, udt_name::text, is_nullable::text = 'NO', \
                        (column_default IS NOT NULL OR is_identity::text = 'YES' OR is_generated::text <> 'NEVER') \
                 FROM information_schema.columns \
                 WHERE table_schema::text = current_schema() AND table_name::text = ANY($1::text[]) \
                 ORDER BY table_name, ordinal_position",
                &[&names],
            )
            .map_err(backend)?;
        // Columns with a unique index of their own (not partial, not an expression).
        let unique: Vec<(String, String)> = self
            .client
            .query(
                "SELECT c.relname::text, a.attname::text FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
                 WHERE n.nspname = current_schema() AND c.relname::text = ANY($1::text[]) \
                   AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL",
                &[&names],
            )
            .map_err(backend)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut inspected = Inspected::new();
        for row in rows {
            let table: String = row.get(0);
            let name: String = row.get(1);
            let is_unique = unique.iter().any(|(t, c)| *t == table && *c == name);
            inspected.entry(table).or_default().push(FoundColumn {
                name,
                type_name: row.get(2),
                not_null: row.get(3),
                filled_by_database: row.get(4),
                unique: is_unique,
            });
        }
        Ok(inspected)
    }

    fn create_tables(&mut self, statements: &[String]) -> Result<(), SinkError> {
        if statements.is_empty() {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(backend)?;
        // One creator at a time per schema; the others then find the tables made.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('authferry better-auth schema ' || current_schema()))",
            &[],
        )
        .map_err(backend)?;
        for statement in statements {
            tx.batch_execute(statement).map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn lookup(&mut self, keys: &LookupKeys) -> Result<Taken, SinkError> {
        lookup(&mut self.client, keys).map_err(backend)
    }

    fn write<'m>(
        &mut self,
        keys: &LookupKeys,
        columns: &WriteColumns<'_>,
        decide: &mut dyn FnMut(&Taken) -> Vec<Decision<'m>>,
    ) -> Result<Vec<WriteOutcome>, SinkError> {
        // A first run meets an empty target: when the unique constraints would refuse any
        // identifier already taken, a COPY that goes through proves every record new, and the
        // lookup is only needed when it does not.
        if columns.conflicts_fail_inserts
            && let Some(done) = self.bulk(None, columns, decide)?
        {
            return Ok(done);
        }
        if let Some(done) = self.bulk(Some(keys), columns, decide)? {
            return Ok(done);
        }
        // A row the lookup could not foresee (a concurrent sign-up, a constraint of the app's
        // own): row by row, each in a savepoint, so that it fails alone.
        let mut tx = self.client.transaction().map_err(backend)?;
        let decisions = decide(&lookup(&mut tx, keys).map_err(backend)?);
        let mut refusals = HashMap::new();
        for (i, d) in decisions.iter().enumerate() {
            if let Decision::Insert(rows) = d {
                let mut savepoint = tx.transaction().map_err(backend)?;
                match copy_rows(&mut savepoint, columns, &[rows]) {
                    Ok(()) => savepoint.commit().map_err(backend)?,
                    Err(e) if e.is_row_error() => {
                        savepoint.rollback().map_err(backend)?;
                        refusals.insert(i, e.rejection());
                    }
                    Err(e) => return Err(e.into_sink_error()),
                }
            }
        }
        tx.commit().map_err(backend)?;
        Ok(outcomes(decisions, |i| refusals.remove(&i)))
    }

    fn stored_backup_codes(
        &mut self,
        user_ids: &[&str],
    ) -> Result<HashMap<String, String>, SinkError> {
        let ids: Vec<String> = user_ids.iter().map(|s| s.to_string()).collect();
        let mut out = HashMap::new();
        select_any(
            &mut self.client,
            "SELECT \"userId\"::text, \"backupCodes\"::text FROM \"twoFactor\" WHERE \"userId\" = ANY($1::text[])",
            &ids,
            &mut out,
        )
        .map_err(backend)?;
        Ok(out)
    }

    fn read_text(&mut self, query: &TextQuery<'_>) -> Result<Vec<Vec<Option<String>>>, SinkError> {
        let select: Vec<String> = query
            .columns
            .iter()
            .map(|(name, kind)| match kind {
                Kind::Date => format!(
                    "to_char(\"{name}\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                ),
                _ => format!("\"{name}\"::text"),
            })
            .collect();
        let base = format!("SELECT {} FROM \"{}\"", select.join(", "), query.table);
        let rows = match &query.rows {
            RowFilter::Page {
                after: Some(after),
                limit,
            } => self.client.query(
                &format!("{base} WHERE \"id\" > $1 ORDER BY \"id\" LIMIT {limit}"),
                &[after],
            ),
            RowFilter::Page { after: None, limit } => self
                .client
                .query(&format!("{base} ORDER BY \"id\" LIMIT {limit}"), &[]),
            RowFilter::OfUsers(ids) => self.client.query(
                &format!("{base} WHERE \"userId\" = ANY($1::text[]) ORDER BY \"id\""),
                &[ids],
            ),
        }
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|row| (0..query.columns.len()).map(|i| row.get(i)).collect())
            .collect())
    }

    fn finish(&mut self) -> Result<Vec<String>, SinkError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_only_its_special_bytes() {
        let mut buf = String::new();
        push_copy_value(&mut buf, Val::Text("Zoë\tA\\B\nC\rD – é"));
        assert_eq!(buf, "Zoë\\tA\\\\B\\nC\\rD – é");
        buf.clear();
        push_copy_value(&mut buf, Val::Text("\\\\"));
        assert_eq!(buf, "\\\\\\\\");
        buf.clear();
        push_copy_row(
            &mut buf,
            &[Val::Null, Val::Bool(true), Val::Int(-3)],
            &[2, 0, 1],
        );
        assert_eq!(buf, "-3\t\\N\tt\n");
    }
}
