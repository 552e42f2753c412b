//! What a run or a plan found, for people (`Display`) and for machines (`Serialize`).

use crate::outcome::{Reason, ReasonCode, State};
use authferry_hash::Support;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub migrated: u64,
    pub already_present: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Records another run sharing the journal holds (or settled while this one ran): that
    /// run reports them.
    #[serde(skip_serializing_if = "is_zero")]
    pub in_other_run: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counts {
    pub fn add(&mut self, state: State) {
        match state {
            State::Migrated => self.migrated += 1,
            State::AlreadyPresent => self.already_present += 1,
            State::Skipped => self.skipped += 1,
            State::Failed => self.failed += 1,
        }
    }
    pub fn total(&self) -> u64 {
        self.migrated + self.already_present + self.skipped + self.failed + self.in_other_run
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct FormatCount {
    pub users: u64,
    pub support: Support,
}

#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub state: State,
    pub code: ReasonCode,
    pub reason: String,
}

impl Problem {
    pub fn new(record: u64, source_id: Option<&str>, state: State, reason: &Reason) -> Self {
        Problem {
            record,
            source_id: source_id.map(str::to_owned),
            state,
            code: reason.code,
            reason: reason.message.clone(),
        }
    }
}

/// Users already moved whose source record changed since.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChangedSinceMoved {
    pub count: u64,
    /// The first of them, in order.
    pub records: Vec<Changed>,
}

impl ChangedSinceMoved {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Changed {
    pub record: u64,
    pub source_id: String,
}

/// The duration a plan expects at a remote target's request budget.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    pub seconds: f64,
    pub requests: u64,
    pub budget: String,
}

/// `3 h 05 min`, `4 min 10 s`, `12 s`: a duration for people.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0 if seconds < 1.0 => "under 1 s".to_string(),
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Migrate,
    Plan,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub mode: Mode,
    pub source: String,
    pub target: String,
    pub records: u64,
    /// In a plan, `migrated` counts the records that would be migrated.
    pub counts: Counts,
    pub reasons: BTreeMap<ReasonCode, u64>,
    pub hash_formats: BTreeMap<String, FormatCount>,
    /// Canonical fields present in the export that the target cannot hold, with the number of
    /// users who lose them.
    pub dropped_fields: BTreeMap<String, u64>,
    /// The first problem records, in order.
    pub problems: Vec<Problem>,
    /// Users moved by an earlier run that changed in the source since (a delta run lists them;
    /// the target keeps what was moved).
    #[serde(skip_serializing_if = "ChangedSinceMoved::is_empty")]
    pub changed: ChangedSinceMoved,
    pub notes: Vec<String>,
    pub elapsed_seconds: f64,
    /// A plan against a rate-limited target: how long the move takes at its request budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
    /// Set when the run stopped before the end of the source (a fatal source or target error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
}

impl Summary {
    pub fn new(mode: Mode, source: String, target: String) -> Self {
        Summary {
            mode,
            source,
            target,
            records: 0,
            counts: Counts::default(),
            reasons: BTreeMap::new(),
            hash_formats: BTreeMap::new(),
            dropped_fields: BTreeMap::new(),
            problems: Vec::new(),
            changed: ChangedSinceMoved::default(),
            notes: Vec::new(),
            elapsed_seconds: 0.0,
            estimate: None,
            aborted: None,
        }
    }

    /// Exit status per the project's convention: 3 when some record failed (or the run was cut
    /// short), 0 otherwise. "Could not run" (1) and usage (2) are decided before a summary exists.
    pub fn exit_code(&self) -> i32 {
        if self.counts.failed > 0 || self.aborted.is_some() {
            3
        } else {
            0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.mode == Mode::Plan;
        writeln!(
            f,
            "{} {} → {}",
            if plan { "Plan:" } else { "Migration:" },
            self.source,
            self.target
        )?;
        writeln!(f, "  records read        {:>10}", self.records)?;
        let c = &self.counts;
        writeln!(
            f,
            "  {:<19} {:>10}",
            if plan { "would migrate" } else { "migrated" },
            c.migrated
        )?;
        if c.already_present > 0 || !plan {
            writeln!(f, "  already present     {:>10}", c.already_present)?;
        }
        writeln!(f, "  skipped             {:>10}", c.skipped)?;
        writeln!(f, "  failed              {:>10}", c.failed)?;
        if c.in_other_run > 0 {
            writeln!(f, "  left to another run {:>10}", c.in_other_run)?;
        }
        if !self.reasons.is_empty() {
            writeln!(f, "Reasons:")?;
            for (code, n) in &self.reasons {
                writeln!(f, "  {:<24} {:>10}", code.as_str(), n)?;
            }
        }
        if !self.hash_formats.is_empty() {
            writeln!(f, "Password hash formats:")?;
            for (format, fc) in &self.hash_formats {
                writeln!(
                    f,
                    "  {:<24} {:>10}  {}",
                    format,
                    fc.users,
                    fc.support.describe()
                )?;
            }
        }
        if !self.dropped_fields.is_empty() {
            writeln!(f, "Fields the target cannot hold (dropped):")?;
            for (field, n) in &self.dropped_fields {
                writeln!(f, "  {:<24} {:>10} users", field, n)?;
            }
        }
        if !self.problems.is_empty() {
            writeln!(f, "First problem records:")?;
            for p in &self.problems {
                writeln!(
                    f,
                    "  #{:<8} {:<28} {:<8} {}",
                    p.record,
                    p.source_id.as_deref().unwrap_or("-"),
                    p.state.as_str(),
                    p.reason
                )?;
            }
        }
        if self.changed.count > 0 {
            writeln!(
                f,
                "Changed in the source since they were moved ({}; the target keeps what was moved):",
                self.changed.count
            )?;
            for c in &self.changed.records {
                writeln!(f, "  #{:<8} {}", c.record, c.source_id)?;
            }
        }
        if let Some(e) = &self.estimate {
            writeln!(
                f,
                "Estimated duration at the target's budget ({}): {} for {} requests.",
                e.budget,
                human_duration(e.seconds),
                e.requests
            )?;
        }
        for n in &self.notes {
            writeln!(f, "Note: {n}")?;
        }
        if let Some(a) = &self.aborted {
            writeln!(f, "Stopped early: {a}")?;
        }
        if self.elapsed_seconds > 0.0 {
            writeln!(
                f,
                "Took {:.1} s ({:.0} records/s).",
                self.elapsed_seconds,
                self.records as f64 / self.elapsed_seconds.max(1e-9)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_duration(0.2), "under 1 s");
        assert_eq!(human_duration(12.4), "12 s");
        assert_eq!(human_duration(202.0), "3 min 22 s");
        assert_eq!(
            human_duration(3.0 * 3600.0 + 5.0 * 60.0 + 20.0),
            "3 h 05 min"
        );
    }
}
