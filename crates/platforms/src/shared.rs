//! Helpers that more than one platform (or the CLI) needs, in one place: dates as exports write
//! them, secrets kept out of what is printed, and SQL `TABLE.COLUMN` names. (URL redaction
//! itself lives in `authferry_pg`, which the journal shares.)

use authferry_core::Timestamp;

/// A date as people and scripts write it: RFC 3339, milliseconds or seconds since the epoch,
/// or the zone-less `2024-01-15 10:00:00` / `2024-01-15T10:00:00` / `2024-01-15` that SQL
/// exports produce (read as UTC, which is what JavaScript's `new Date()` in Clerk's scripts
/// does with a date-only value and what database dumps almost always mean).
pub fn parse_date_text(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(t) = Timestamp::parse_loose(text) {
        return Some(t);
    }
    use time::macros::format_description;
    let with_time = [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
    ];
    for format in with_time {
        if let Ok(dt) = time::PrimitiveDateTime::parse(text, format) {
            return Some(millis_of(dt.assume_utc()));
        }
    }
    let date_only = format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(text, date_only) {
        return Some(millis_of(date.midnight().assume_utc()));
    }
    None
}

fn millis_of(dt: time::OffsetDateTime) -> Timestamp {
    Timestamp::from_millis((dt.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// A spec fit for logs, reports and journals: a password in its URL is masked, in the user
/// part (`better-auth:postgres://u:pw@host` → `…u:***@host`) and in a `password=` parameter. The
/// same function as [`authferry_pg::redact_url`] (which a spec's `scheme:` prefix does not
/// disturb), under the name platforms use.
pub use authferry_pg::redact_url as redact_spec;

/// serde's messages quote the offending value (`invalid type: string "…"`), which may be a
/// secret: keep the message's shape, drop the quoted text.
pub fn redact_serde(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut in_quote = false;
    for c in msg.chars() {
        if c == '"' {
            if !in_quote {
                out.push_str("\"…\"");
            }
            in_quote = !in_quote;
        } else if !in_quote {
            out.push(c);
        }
    }
    out
}

/// `TABLE.COLUMN` as written on the command line (`--password-column`, `remap --column`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableColumn {
    /// The table as written, quotes and any schema kept (`app."Order"`), for a database that
    /// resolves the name by its own rules (PostgreSQL's `to_regclass`).
    pub table_sql: String,
    /// The table's name: unquoted (`""` read as `"`) when it is one quoted identifier, else as
    /// written.
    pub table: String,
    /// The column's name, unquoted (`""` read as `"`).
    pub column: String,
}

/// Parses `TABLE.COLUMN`: split on the last dot outside double quotes; either part may be
/// quoted as SQL quotes identifiers (`"User".password`, `"my.users"."a""b"`).
pub fn parse_table_column(text: &str) -> Result<TableColumn, String> {
    let t = text.trim();
    let mut in_quotes = false;
    let mut split = None;
    for (i, c) in t.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => split = Some(i),
            _ => {}
        }
    }
    let usage = || format!("`{text}` must be TABLE.COLUMN (e.g. User.password)");
    let i = split.ok_or_else(usage)?;
    let (table_sql, column) = (t[..i].trim(), t[i + 1..].trim());
    let parsed = TableColumn {
        table_sql: table_sql.to_owned(),
        table: unquote_ident(table_sql).unwrap_or_else(|| table_sql.to_owned()),
        column: unquote_ident(column).unwrap_or_else(|| column.to_owned()),
    };
    if parsed.table.is_empty() || parsed.column.is_empty() {
        return Err(usage());
    }
    Ok(parsed)
}

/// The name inside one double-quoted SQL identifier (`"a""b"` → `a"b`); `None` when `s` is
/// not exactly one.
fn unquote_ident(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.replace("\"\"", "").contains('"')).then(|| inner.replace("\"\"", "\""))
}

/// A name as a double-quoted SQL identifier (`a"b` → `"a""b"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_usual_shapes() {
        let expected = Some(Timestamp::from_millis(1_705_312_800_000));
        assert_eq!(parse_date_text("2024-01-15T10:00:00Z"), expected);
        assert_eq!(parse_date_text("2024-01-15 10:00:00"), expected);
        assert_eq!(parse_date_text("2024-01-15T10:00:00"), expected);
        assert_eq!(parse_date_text("1705312800000"), expected);
        assert_eq!(
            parse_date_text("2024-01-15"),
            Some(Timestamp::from_millis(1_705_276_800_000))
        );
        assert_eq!(parse_date_text("yesterday"), None);
    }

    #[test]
    fn redacts_url_passwords() {
        assert_eq!(
            redact_spec("better-auth:postgres://u:hunter2@h/db"),
            "better-auth:postgres://u:***@h/db"
        );
        assert_eq!(
            redact_spec("better-auth:postgres://u@h/db"),
            "better-auth:postgres://u@h/db"
        );
        assert_eq!(redact_spec("clerk-csv:a.csv"), "clerk-csv:a.csv");
    }

    #[test]
    fn redacts_password_parameters_of_specs() {
        assert_eq!(
            redact_spec("authjs:mysql://u:pw@h/db?PASSWORD=x&schema=s"),
            "authjs:mysql://u:***@h/db?PASSWORD=***&schema=s"
        );
        assert_eq!(redact_spec("ndjson:a?b.ndjson"), "ndjson:a?b.ndjson");
    }

    #[test]
    fn serde_messages_lose_quoted_values() {
        let m = redact_serde("invalid type: string \"$2b$10$secret\", expected a map at line 1");
        assert!(!m.contains("secret"), "{m}");
        assert!(m.contains("invalid type"));
    }

    fn tc(text: &str) -> (String, String, String) {
        let t = parse_table_column(text).unwrap();
        (t.table_sql, t.table, t.column)
    }

    #[test]
    fn table_column_parses() {
        let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(tc("User.password"), owned("User", "User", "password"));
        assert_eq!(
            tc("\"my.users\".\"hash\""),
            owned("\"my.users\"", "my.users", "hash")
        );
        assert_eq!(tc("orders.user_id"), owned("orders", "orders", "user_id"));
        // A schema stays in the table as written; only one quoted identifier is unquoted.
        assert_eq!(
            tc("app.\"Order\".\"userId\""),
            owned("app.\"Order\"", "app.\"Order\"", "userId")
        );
        assert_eq!(tc(" t . c "), owned("t", "t", "c"));
        for bad in ["password", ".x", "t.", "nodot", "\"a.b\""] {
            assert!(parse_table_column(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn doubled_quotes_in_quoted_names_are_one_quote() {
        let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            tc("\"Odd\"\"Table\".\"pass\"\"word\""),
            owned("\"Odd\"\"Table\"", "Odd\"Table", "pass\"word")
        );
        // A dot inside doubled quotes is still inside the identifier.
        assert_eq!(tc("\"a\"\".b\".c"), owned("\"a\"\".b\"", "a\".b", "c"));
        // `""` alone is an empty name, not a quote; an unbalanced quote hides the dot.
        for bad in ["t.\"\"", "\"\".c", "\"a\"\"b.c"] {
            assert!(parse_table_column(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_quote_and_unquote_back() {
        for name in ["users", "User", "a\"b", "my.users", "\"\"", ""] {
            assert_eq!(unquote_ident(&quote_ident(name)).as_deref(), Some(name));
        }
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
