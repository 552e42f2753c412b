//! The platforms authferry knows, as data. Each platform module exports one [`Platform`]: its
//! endpoints (each a source or a target) with their spellings, one help line, the flags and
//! environment variables they read, how to parse and open them and, for a target, its password
//! capability. [`PLATFORMS`] lists them; parsing and opening `--from`/`--to`, the CLI's platform
//! flags, `--help` and the README's list of sources and targets all come from that list.
//! Adding a platform is its module and one line in [`PLATFORMS`]: nothing in core, nothing in
//! the CLI.

use crate::{SpecError, redact_spec};
use authferry_core::lookup::{IndexedExport, Lookup};
use authferry_core::{Sink, Source};
use authferry_hash::PasswordTarget;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

/// Every platform, in the order `--help` lists them.
pub const PLATFORMS: &[&Platform] = &[
    &crate::auth0::PLATFORM,
    &crate::authjs::PLATFORM,
    &crate::better_auth::PLATFORM,
    &crate::clerk::PLATFORM,
    &crate::firebase::PLATFORM,
    &crate::ndjson::PLATFORM,
    &crate::supabase::PLATFORM,
    &crate::supertokens::PLATFORM,
];

/// One platform module's descriptor.
#[derive(Debug)]
pub struct Platform {
    /// As people write it (`Better Auth`).
    pub name: &'static str,
    pub endpoints: &'static [Endpoint],
}

/// A source or a target: what `--from`/`--to` name.
#[derive(Debug)]
pub struct Endpoint {
    /// What a spec starts with: the text before its first `:` (`clerk-csv`), or the whole spec
    /// when it is one of [`Endpoint::forms`] (`clerk`, `clerk-api`).
    pub scheme: &'static str,
    /// The spellings people write, for help and errors (`authjs:sqlite:PATH`): the scheme
    /// alone, or the scheme, `:` and what follows.
    pub forms: &'static [&'static str],
    /// One line for `--help` (at most [`HELP_WIDTH`] characters).
    pub help: &'static str,
    /// The flags it reads beyond its spec.
    pub flags: &'static [&'static Flag],
    /// The environment variables it reads.
    pub env: &'static [&'static EnvVar],
    /// A source: the canonical fields its records can carry. A target: the fields it keeps
    /// (a database target with the tables and plugins authferry creates). For the fidelity
    /// table (`docs/fidelity.md`), which tests keep true.
    pub fields: &'static [authferry_core::Field],
    /// A source: the password formats its digests come in; empty when any format authferry
    /// identifies may come (a database or an interchange file of unknown origin).
    pub formats: &'static [authferry_hash::Format],
    pub role: Role,
}

/// Parses a `--from` spec of an endpoint's scheme.
pub type ParseSource = fn(&Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError>;
/// Parses a `--to` spec of an endpoint's scheme.
pub type ParseTarget = fn(&Spec<'_>) -> Result<Box<dyn SinkPlan>, SpecError>;

impl Endpoint {
    /// An endpoint that reads no flag or variable (add them with struct update syntax:
    /// `Endpoint { flags: &[&FLAG], ..Endpoint::source(…) }`).
    pub const fn new(
        scheme: &'static str,
        forms: &'static [&'static str],
        help: &'static str,
        role: Role,
    ) -> Endpoint {
        Endpoint {
            scheme,
            forms,
            help,
            flags: &[],
            env: &[],
            fields: &[],
            formats: &[],
            role,
        }
    }

    pub const fn source(
        scheme: &'static str,
        forms: &'static [&'static str],
        help: &'static str,
        parse: ParseSource,
    ) -> Endpoint {
        Endpoint::new(scheme, forms, help, Role::Source(parse))
    }

    /// A target whose digests are checked against `password`'s capability table.
    pub const fn target(
        scheme: &'static str,
        forms: &'static [&'static str],
        help: &'static str,
        parse: ParseTarget,
        password: PasswordTarget,
    ) -> Endpoint {
        Endpoint::new(scheme, forms, help, Role::Target { parse, password })
    }

    pub fn is_source(&self) -> bool {
        matches!(self.role, Role::Source(_))
    }

    /// The spec is the scheme alone (`clerk`), not `scheme:…`.
    pub fn is_bare(&self) -> bool {
        self.forms.contains(&self.scheme)
    }

    pub fn reads(&self, flag: &Flag) -> bool {
        self.flags.iter().any(|f| f.name == flag.name)
    }

    /// A target's password capability.
    pub fn password(&self) -> Option<PasswordTarget> {
        match self.role {
            Role::Target { password, .. } => Some(password),
            Role::Source(_) => None,
        }
    }
}

/// Whether an endpoint is a source or a target, and how its specs are parsed.
#[derive(Debug)]
pub enum Role {
    /// Parses a spec of this scheme without touching anything (both specs of a run are checked
    /// before either is opened).
    Source(ParseSource),
    Target {
        parse: ParseTarget,
        /// The capability table of the password digests it takes.
        password: PasswordTarget,
    },
}

/// A flag a platform takes beyond its spec (`--password-column TABLE.COLUMN`). Several
/// endpoints may read the same flag (one `static`).
#[derive(Debug)]
pub struct Flag {
    /// Without the dashes.
    pub name: &'static str,
    pub value_name: &'static str,
    pub help: &'static str,
    /// Another flag this one needs.
    pub requires: Option<&'static str>,
    /// Checks the value when the command line is read.
    pub check: Option<CheckValue>,
    /// Given to a run whose source and target do not read it: a usage error (true), or
    /// ignored (a setting such as `--rate` that scripts pass to every run).
    pub refused_elsewhere: bool,
    /// An output file that is never left out: when the flag is not given, a file of this name
    /// beside the journal (`<journal stem>.<name>`).
    pub default_beside_journal: Option<&'static str>,
}

/// Checks a flag's value; the error says what is wrong with it.
pub type CheckValue = fn(&str) -> Result<(), String>;

impl Flag {
    /// A flag with a value, read only by the endpoints that declare it and refused in a run
    /// where none does.
    pub const fn new(name: &'static str, value_name: &'static str, help: &'static str) -> Flag {
        Flag {
            name,
            value_name,
            help,
            requires: None,
            check: None,
            refused_elsewhere: true,
            default_beside_journal: None,
        }
    }

    pub const fn requires(mut self, other: &'static str) -> Flag {
        self.requires = Some(other);
        self
    }

    pub const fn check(mut self, check: CheckValue) -> Flag {
        self.check = Some(check);
        self
    }

    /// Ignored, rather than refused, in a run whose endpoints do not read it.
    pub const fn ignored_elsewhere(mut self) -> Flag {
        self.refused_elsewhere = false;
        self
    }

    /// Defaults to a file named `<journal stem>.<name>` beside the journal (see
    /// [`defaulted_flags`]).
    pub const fn default_beside_journal(mut self, name: &'static str) -> Flag {
        self.default_beside_journal = Some(name);
        self
    }
}

/// The flags of a run's endpoints that default to a file beside the journal, with that file's
/// name; the command fills in those not given.
pub fn defaulted_flags(from: &str, to: &str) -> Vec<(&'static str, &'static str)> {
    [find(from, true), find(to, false)]
        .into_iter()
        .flatten()
        .flat_map(|(e, _)| e.flags.iter())
        .filter_map(|f| f.default_beside_journal.map(|name| (f.name, name)))
        .collect()
}

/// An environment variable an endpoint reads. Several endpoints may read the same one.
#[derive(Debug)]
pub struct EnvVar {
    pub name: &'static str,
    /// One line for `--help` (at most [`HELP_WIDTH`] characters).
    pub help: &'static str,
}

impl EnvVar {
    pub const fn new(name: &'static str, help: &'static str) -> EnvVar {
        EnvVar { name, help }
    }
}

/// A parsed `--from`: checked, not yet opened.
pub trait SourcePlan: Any + fmt::Debug + Send + Sync {
    fn open(&self) -> Result<Box<dyn Source>, SpecError>;
    /// The source as a lookup by identity (the trickle server's question). By default the
    /// source is read once into a private index; a live platform answers from its API or
    /// database instead.
    fn open_lookup(&self) -> Result<Box<dyn Lookup>, SpecError> {
        let source = self.open()?;
        let describe = source.describe();
        IndexedExport::build(source)
            .map(|i| Box::new(i) as Box<dyn Lookup>)
            .map_err(|e| SpecError::Open {
                spec: describe,
                message: e.to_string(),
            })
    }
    /// Why this source cannot feed `target` (a Clerk instance into itself), as a usage error.
    fn refuse(&self, _target: &dyn SinkPlan) -> Option<String> {
        None
    }
}

/// A parsed `--to`: checked, not yet opened.
pub trait SinkPlan: Any + fmt::Debug + Send + Sync {
    fn open(&self) -> Result<Box<dyn Sink>, SpecError>;
}

/// What endpoints read beyond their specs: the platform flags given, and environment variables
/// (set here, else from the process when made with [`Settings::from_process_env`]).
#[derive(Clone, Default)]
pub struct Settings {
    flags: BTreeMap<String, String>,
    vars: BTreeMap<String, String>,
    process_env: bool,
}

impl Settings {
    /// Reads environment variables from the process.
    pub fn from_process_env() -> Self {
        Settings {
            process_env: true,
            ..Default::default()
        }
    }

    /// `--NAME VALUE` (the name without dashes).
    pub fn with_flag(mut self, name: &str, value: impl Into<String>) -> Self {
        self.flags.insert(name.to_string(), value.into());
        self
    }

    /// An environment variable, in place of the process's.
    pub fn with_var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .cloned()
            .or_else(|| self.process_env.then(|| std::env::var(name).ok()).flatten())
            .filter(|v| !v.is_empty())
    }
}

impl fmt::Debug for Settings {
    /// Flags with their values; variables by name only (they hold keys).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("flags", &self.flags)
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("process_env", &self.process_env)
            .finish()
    }
}

/// A spec matched to its endpoint, as the endpoint's parser sees it.
pub struct Spec<'a> {
    /// The whole spec as given.
    pub text: &'a str,
    /// What follows `scheme:` (empty for a bare scheme).
    pub rest: &'a str,
    endpoint: &'static Endpoint,
    settings: &'a Settings,
}

impl<'a> Spec<'a> {
    /// The value of a flag this endpoint declares.
    pub fn flag(&self, name: &str) -> Option<&'a str> {
        debug_assert!(
            self.endpoint.flags.iter().any(|f| f.name == name),
            "{} reads --{name} without declaring it",
            self.endpoint.scheme
        );
        self.settings.flags.get(name).map(String::as_str)
    }

    /// The value of an environment variable this endpoint declares (unset when empty).
    pub fn var(&self, name: &str) -> Option<String> {
        debug_assert!(
            self.endpoint.env.iter().any(|v| v.name == name),
            "{} reads {name} without declaring it",
            self.endpoint.scheme
        );
        self.settings.var(name)
    }

    /// [`Spec::rest`] as a path.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(self.rest)
    }

    /// The usage error for a spec that is none of the endpoints' forms.
    pub fn unknown(&self) -> SpecError {
        unknown(self.text, self.endpoint.is_source())
    }
}

/// `--help` fits this many columns.
const WIDTH: usize = 100;
/// Where help lines start.
const INDENT: usize = 28;
/// Help lines are at most this long.
pub const HELP_WIDTH: usize = WIDTH - INDENT;

pub fn endpoints() -> impl Iterator<Item = &'static Endpoint> {
    PLATFORMS.iter().flat_map(|p| p.endpoints.iter())
}

pub fn sources() -> impl Iterator<Item = &'static Endpoint> {
    endpoints().filter(|e| e.is_source())
}

pub fn targets() -> impl Iterator<Item = &'static Endpoint> {
    endpoints().filter(|e| !e.is_source())
}

/// The first of each name, in registry order.
fn distinct<T>(items: impl Iterator<Item = &'static T>, name: fn(&T) -> &str) -> Vec<&'static T> {
    let mut out: Vec<&'static T> = Vec::new();
    for item in items {
        if !out.iter().any(|o| name(o) == name(item)) {
            out.push(item);
        }
    }
    out
}

/// Every flag, once, in registry order.
pub fn flags() -> Vec<&'static Flag> {
    distinct(endpoints().flat_map(|e| e.flags.iter().copied()), |f| {
        f.name
    })
}

/// Every environment variable, once, in registry order.
pub fn env_vars() -> Vec<&'static EnvVar> {
    distinct(endpoints().flat_map(|e| e.env.iter().copied()), |v| v.name)
}

/// The endpoint a spec names, and what follows its scheme.
fn find(spec: &str, source: bool) -> Result<(&'static Endpoint, &str), SpecError> {
    let (scheme, rest) = match spec.split_once(':') {
        Some((scheme, rest)) => (scheme, rest),
        None => (spec, ""),
    };
    endpoints()
        .filter(|e| e.is_source() == source && e.scheme == scheme)
        .find(|e| {
            if e.is_bare() {
                spec == e.scheme
            } else {
                !rest.is_empty()
            }
        })
        .map(|e| (e, rest))
        .ok_or_else(|| unknown(spec, source))
}

fn unknown(spec: &str, source: bool) -> SpecError {
    let (what, list) = if source {
        ("source", sources().collect::<Vec<_>>())
    } else {
        ("target", targets().collect())
    };
    let mut text = format!("unknown {what} `{}`; expected one of:\n", redact_spec(spec));
    for e in list {
        list_forms(&mut text, e);
    }
    SpecError::Usage(text.trim_end().to_string())
}

/// Refuses a flag given that no endpoint of the `run` reads, when the flag says so.
fn check_flags(settings: &Settings, run: &[&Endpoint]) -> Result<(), SpecError> {
    for name in settings.flags.keys() {
        let Some(flag) = flags().into_iter().find(|f| f.name == name) else {
            return Err(SpecError::Usage(format!("unknown flag --{name}")));
        };
        if !flag.refused_elsewhere || run.iter().any(|e| e.reads(flag)) {
            continue;
        }
        let readers: Vec<String> = endpoints()
            .filter(|e| e.reads(flag))
            .map(|e| {
                let kind = if e.is_source() { "sources" } else { "targets" };
                format!(
                    "`{}{}` {kind}",
                    e.scheme,
                    if e.is_bare() { "" } else { ":" }
                )
            })
            .collect();
        return Err(SpecError::Usage(format!(
            "--{} applies to {} only",
            flag.name,
            readers.join(" and ")
        )));
    }
    Ok(())
}

fn spec<'a>(
    text: &'a str,
    found: (&'static Endpoint, &'a str),
    settings: &'a Settings,
) -> Spec<'a> {
    Spec {
        text,
        rest: found.1,
        endpoint: found.0,
        settings,
    }
}

fn parse_source_at(s: &Spec<'_>) -> Result<Box<dyn SourcePlan>, SpecError> {
    match s.endpoint.role {
        Role::Source(parse) => parse(s),
        Role::Target { .. } => unreachable!("found among sources"),
    }
}

fn parse_target_at(s: &Spec<'_>) -> Result<Box<dyn SinkPlan>, SpecError> {
    match s.endpoint.role {
        Role::Target { parse, .. } => parse(s),
        Role::Source(_) => unreachable!("found among targets"),
    }
}

/// Parses a `--from` spec on its own: the flags given must be ones it reads.
pub fn parse_source(text: &str, settings: &Settings) -> Result<Box<dyn SourcePlan>, SpecError> {
    let found = find(text, true)?;
    check_flags(settings, &[found.0])?;
    parse_source_at(&spec(text, found, settings))
}

/// Parses a `--to` spec on its own: the flags given must be ones it reads.
pub fn parse_target(text: &str, settings: &Settings) -> Result<Box<dyn SinkPlan>, SpecError> {
    let found = find(text, false)?;
    check_flags(settings, &[found.0])?;
    parse_target_at(&spec(text, found, settings))
}

/// The source and the target of a run, parsed.
pub type ParsedRun = (Box<dyn SourcePlan>, Box<dyn SinkPlan>);

/// Parses both specs of a run, checking everything that can be checked before either is
/// opened: the specs, the flags given, and the pair (a source may refuse a target).
pub fn parse_run(from: &str, to: &str, settings: &Settings) -> Result<ParsedRun, SpecError> {
    let source = find(from, true)?;
    let target = find(to, false)?;
    check_flags(settings, &[source.0, target.0])?;
    let source = parse_source_at(&spec(from, source, settings))?;
    let target = parse_target_at(&spec(to, target, settings))?;
    if let Some(why) = source.refuse(target.as_ref()) {
        return Err(SpecError::Usage(why));
    }
    Ok((source, target))
}

/// A source read from a file (`scheme:PATH`): opening it names the path in its error.
#[derive(Debug)]
pub struct FileSource {
    pub path: PathBuf,
    open: fn(&Path) -> std::io::Result<Box<dyn Source>>,
}

impl FileSource {
    /// The parser of a `scheme:PATH` source opened by `open`.
    pub fn plan(
        spec: &Spec<'_>,
        open: fn(&Path) -> std::io::Result<Box<dyn Source>>,
    ) -> Result<Box<dyn SourcePlan>, SpecError> {
        Ok(Box::new(FileSource {
            path: spec.path(),
            open,
        }))
    }
}

impl SourcePlan for FileSource {
    fn open(&self) -> Result<Box<dyn Source>, SpecError> {
        (self.open)(&self.path).map_err(|e| SpecError::open(&self.path.display().to_string(), e))
    }
}

/// Records read from the start of a file before its kind is judged.
const KIND_PROBE: usize = 20;

/// The source kind a file's first bytes look like, by the fields only that kind writes
/// (`localId`: Firebase; `auth0|` ids: Auth0; …); `None` when nothing stands out.
pub fn sniff(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    // The header: Clerk's dashboard export may open with a `#` comment line.
    let first_line = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}'))
        .find(|l| !l.starts_with('#'))
        .unwrap_or("");
    let has = |k: &str| text.contains(k);
    Some(if has("\"localId\"") {
        "firebase"
    } else if has("\"auth0|") || (has("\"user_id\"") && has("\"identities\"")) {
        "auth0"
    } else if has("\"email_addresses\"") || has("\"primary_email_address_id\"") {
        "clerk-json"
    } else if has("\"userId\"") && (has("\"passwordHasher\"") || has("\"firstName\"")) {
        "clerk-users-json"
    } else if has("\"source_id\"") {
        "ndjson"
    } else if first_line.starts_with("id,")
        && (first_line.contains("password_digest") || first_line.contains("email_address"))
    {
        "clerk-csv"
    } else {
        return None;
    })
}

/// Fails fast on a file given as the wrong kind: when none of its first records can be read
/// as the kind `from` declares, a usage error that names the kind the file looks like —
/// before the journal or the target is created. Sources that are not files pass.
pub fn check_source_kind(from: &str, plan: &dyn SourcePlan) -> Result<(), SpecError> {
    let Ok((endpoint, rest)) = find(from, true) else {
        return Ok(());
    };
    let path = Path::new(rest);
    if endpoint.is_bare() || !path.is_file() {
        return Ok(());
    }
    let mut source = plan.open()?;
    let (mut read, mut first_error) = (0usize, None);
    for _ in 0..KIND_PROBE {
        match source.next_user() {
            None => break,
            Some(Ok(_)) => return Ok(()),
            // An account the source itself marks inactive was read fine.
            Some(Err(e)) if e.skip => return Ok(()),
            Some(Err(e)) => {
                read += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let guess = sniff(path).filter(|g| *g != endpoint.scheme);
    let empty = path.metadata().map(|m| m.len() < 3).unwrap_or(true);
    if read == 0 && (guess.is_none() || empty) {
        // An empty export, or nothing to say about it.
        return Ok(());
    }
    let what = match (read, &first_error) {
        (0, _) => format!("no record could be read from it as `{}`", endpoint.scheme),
        (n, Some(e)) => format!(
            "none of its first {n} records could be read as `{}` (the first: {e})",
            endpoint.scheme
        ),
        (n, None) => format!("none of its first {n} records could be read"),
    };
    let hint = match guess {
        Some(g) => format!(
            "; it looks like a `{g}` file: try --from {g}:{}",
            path.display()
        ),
        None => "; is it the kind of export the spec names? (`authferry migrate --help` lists the sources)".into(),
    };
    Err(SpecError::Usage(format!(
        "{}: {what}{hint}",
        redact_spec(from)
    )))
}

// ---------------------------------------------------------------------------------------------
// Help, generated

/// `left` then `right` in the help column, wrapped at [`WIDTH`] with continuation lines
/// under the help column (clap would wrap them to the margin, where they read as entries).
fn pad(out: &mut String, left: &str, right: &str) {
    if right.is_empty() {
        let _ = writeln!(out, "  {left}");
        return;
    }
    let mut lines: Vec<String> = vec![String::new()];
    for word in right.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && INDENT + last.len() + 1 + word.len() > WIDTH {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    let _ = writeln!(out, "  {left:<w$}{}", lines[0], w = INDENT - 2);
    for line in &lines[1..] {
        let _ = writeln!(out, "{:INDENT$}{line}", "");
    }
}

/// `label: a, b, c`, wrapped at [`WIDTH`] under the help column.
fn wrapped_list(out: &mut String, label: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let mut line = format!("{label}:");
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!(" {item},")
        } else {
            format!(" {item}")
        };
        if INDENT + line.len() + piece.len() > WIDTH {
            let _ = writeln!(out, "{:INDENT$}{line}", "");
            line = " ".repeat(label.len() + 1);
        }
        line.push_str(&piece);
    }
    let _ = writeln!(out, "{:INDENT$}{line}", "");
}

fn list_forms(out: &mut String, e: &Endpoint) {
    for (i, form) in e.forms.iter().enumerate() {
        pad(out, form, if i == 0 { e.help } else { "" });
    }
}

fn flag_names(e: &Endpoint) -> Vec<String> {
    e.flags.iter().map(|f| format!("--{}", f.name)).collect()
}

fn var_names(e: &Endpoint) -> Vec<String> {
    e.env.iter().map(|v| v.name.to_string()).collect()
}

/// The sources, then the targets, with their titles for `--help` and for markdown.
type Section = (&'static str, &'static str, Vec<&'static Endpoint>);

fn sections() -> [Section; 2] {
    [
        (
            "Sources (--from):",
            "**Sources** (`--from`):",
            sources().collect(),
        ),
        (
            "Targets (--to):",
            "**Targets** (`--to`):",
            targets().collect(),
        ),
    ]
}

/// The sources, targets and environment variables, for `--help`.
pub fn help() -> String {
    let mut out = String::new();
    for (title, _, list) in sections() {
        let _ = writeln!(out, "{title}");
        for e in list {
            list_forms(&mut out, e);
            wrapped_list(&mut out, "flags", &flag_names(e));
            wrapped_list(&mut out, "environment", &var_names(e));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Environment:");
    for v in env_vars() {
        pad(&mut out, v.name, v.help);
    }
    out.trim_end().to_string()
}

/// The README's list of sources and targets (between its `registry` markers).
pub fn markdown() -> String {
    let mut out = String::new();
    for (_, title, list) in sections() {
        let _ = writeln!(out, "* {title}");
        for e in list {
            let forms: Vec<String> = e.forms.iter().map(|f| format!("`{f}`")).collect();
            let _ = write!(out, "  * {} — {}.", forms.join(", "), e.help);
            let flags: Vec<String> = e
                .flags
                .iter()
                .map(|f| format!("`--{} {}`", f.name, f.value_name))
                .collect();
            if !flags.is_empty() {
                let _ = write!(out, " Flags: {}.", flags.join(", "));
            }
            let vars: Vec<String> = e.env.iter().map(|v| format!("`{}`", v.name)).collect();
            if !vars.is_empty() {
                let _ = write!(out, " Environment: {}.", vars.join(", "));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_are_consistent() {
        let mut seen = Vec::new();
        for e in endpoints() {
            assert!(!e.forms.is_empty(), "{}", e.scheme);
            for form in e.forms {
                assert!(
                    *form == e.scheme || form.starts_with(&format!("{}:", e.scheme)),
                    "{form} is not a form of {}",
                    e.scheme
                );
            }
            let key = (e.scheme, e.is_source());
            assert!(!seen.contains(&key), "{} registered twice", e.scheme);
            seen.push(key);
            assert!(
                e.help.chars().count() <= HELP_WIDTH,
                "{}: {}",
                e.scheme,
                e.help
            );
            assert!(
                !e.help.ends_with('.') && !e.help.contains('|'),
                "{}",
                e.help
            );
        }
        for v in env_vars() {
            assert!(
                v.help.chars().count() <= HELP_WIDTH,
                "{}: {}",
                v.name,
                v.help
            );
        }
        // A flag or variable shared by endpoints is one static, with one help text.
        for f in flags() {
            for other in endpoints().flat_map(|e| e.flags.iter()) {
                if other.name == f.name {
                    assert!(std::ptr::eq(*other, f), "--{} declared twice", f.name);
                }
            }
            if let Some(r) = f.requires {
                assert!(
                    flags().iter().any(|g| g.name == r),
                    "--{} requires --{r}",
                    f.name
                );
            }
        }
        for v in env_vars() {
            for other in endpoints().flat_map(|e| e.env.iter()) {
                if other.name == v.name {
                    assert!(std::ptr::eq(*other, v), "{} declared twice", v.name);
                }
            }
        }
    }

    #[test]
    fn specs_find_their_endpoint() {
        fn scheme(spec: &str, source: bool) -> Result<(&'static str, &str), SpecError> {
            find(spec, source).map(|(e, rest)| (e.scheme, rest))
        }
        assert_eq!(scheme("clerk-api", true).ok(), Some(("clerk-api", "")));
        assert_eq!(scheme("clerk", false).ok(), Some(("clerk", "")));
        assert_eq!(
            scheme("authjs:sqlite:x.db", true).ok(),
            Some(("authjs", "sqlite:x.db"))
        );
        assert_eq!(scheme("ndjson:o", false).ok(), Some(("ndjson", "o")));
        for (bad, source) in [
            ("clerk-csv", true),
            ("clerk-csv:", true),
            ("clerk-api:x", true),
            ("clerk:x", false),
            ("clerk", true),
            ("nope:x", true),
            ("better-auth", false),
        ] {
            assert!(
                matches!(find(bad, source), Err(SpecError::Usage(_))),
                "{bad}"
            );
        }
        let Err(SpecError::Usage(m)) = find("postgres://u:hunter2@h/db", false) else {
            panic!()
        };
        assert!(
            !m.contains("hunter2") && m.contains("better-auth:sqlite:PATH"),
            "{m}"
        );
    }

    #[test]
    fn flags_nobody_reads_are_refused_when_they_say_so() {
        let with = |name: &str, value: &str| Settings::default().with_flag(name, value);
        let Err(SpecError::Usage(m)) =
            parse_run("ndjson:a", "ndjson:b", &with("with-digests", "clerk-csv:x"))
        else {
            panic!()
        };
        assert_eq!(m, "--with-digests applies to `clerk-api` sources only");
        let Err(SpecError::Usage(m)) = parse_source("ndjson:a", &with("password-column", "a.b"))
        else {
            panic!()
        };
        assert_eq!(m, "--password-column applies to `authjs:` sources only");
        // --rate and --backup-codes-out are ignored where they do not apply, as before.
        assert!(parse_run("ndjson:a", "ndjson:b", &with("rate", "10/1s")).is_ok());
        assert!(parse_run("ndjson:a", "ndjson:b", &with("backup-codes-out", "c")).is_ok());
        assert!(matches!(
            parse_run("ndjson:a", "ndjson:b", &with("nope", "x")),
            Err(SpecError::Usage(_))
        ));
    }

    #[test]
    fn every_target_declares_the_password_capability_its_sink_reports() {
        let dir = std::env::temp_dir().join(format!("authferry-registry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = Settings::default()
            .with_var("CLERK_SECRET_KEY", "sk_test_registry")
            .with_var("CLERK_API_URL", "http://127.0.0.1:9");
        for e in targets() {
            // A form that needs no server: a path, or the scheme alone (not a URL).
            let Some(form) = e
                .forms
                .iter()
                .find(|f| !f.contains("://") && !f.ends_with("URL"))
            else {
                continue;
            };
            let spec = form.replace("PATH", &dir.join(e.scheme).display().to_string());
            let sink = parse_target(&spec, &settings).unwrap().open().unwrap();
            assert_eq!(
                Some(sink.capabilities().password_target),
                e.password(),
                "{spec}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_of_another_kind_is_refused_naming_the_kind_it_looks_like() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let settings = Settings::default();
        let check = |from: String| {
            let plan = parse_source(&from, &settings).unwrap();
            check_source_kind(&from, plan.as_ref())
        };
        for (file, given, looks_like) in [
            ("firebase/export.json", "ndjson", Some("firebase")),
            ("firebase/export.json", "clerk-json", Some("firebase")),
            ("clerk/dashboard.csv", "ndjson", Some("clerk-csv")),
            ("auth0/users.ndjson", "clerk-users-json", Some("auth0")),
            ("clerk/api_users.ndjson", "auth0", Some("clerk-json")),
        ] {
            let path = fixtures.join(file);
            let Err(SpecError::Usage(m)) = check(format!("{given}:{}", path.display())) else {
                panic!("{given}:{file} was not refused")
            };
            if let Some(k) = looks_like {
                assert!(m.contains(&format!("try --from {k}:")), "{m}");
            }
            assert_eq!(sniff(&path), looks_like, "{file}");
        }
        // The right kind passes; so does an empty file.
        for (file, kind) in [
            ("firebase/export.json", "firebase"),
            ("clerk/dashboard.csv", "clerk-csv"),
            ("auth0/users.ndjson", "auth0"),
            ("clerk/api_users.ndjson", "clerk-json"),
        ] {
            check(format!("{kind}:{}", fixtures.join(file).display()))
                .unwrap_or_else(|e| panic!("{kind}:{file}: {e}"));
        }
        let empty =
            std::env::temp_dir().join(format!("authferry-empty-{}.ndjson", std::process::id()));
        std::fs::write(&empty, "").unwrap();
        assert!(check(format!("ndjson:{}", empty.display())).is_ok());
        let _ = std::fs::remove_file(&empty);
    }

    #[test]
    fn help_lists_every_form_flag_and_variable_within_100_columns() {
        let text = help();
        for e in endpoints() {
            for form in e.forms {
                assert!(text.contains(form), "{form}");
            }
        }
        for f in flags() {
            assert!(text.contains(&format!("--{}", f.name)), "--{}", f.name);
        }
        for v in env_vars() {
            assert!(text.contains(v.name), "{}", v.name);
        }
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
    }
}
