//! Progress on stderr: a bar with rate and ETA on a terminal, plain periodic lines otherwise
//! (logs of a CI job or `nohup` stay readable).

use authferry_core::{Observer, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub enum ProgressDisplay {
    Quiet,
    Bar(ProgressBar),
    Lines { last: Instant },
}

/// Plain progress lines are at most this frequent.
const LINE_EVERY: Duration = Duration::from_secs(5);

impl ProgressDisplay {
    pub fn new(quiet: bool) -> Self {
        if quiet {
            return ProgressDisplay::Quiet;
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}%  {msg}  ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            ProgressDisplay::Bar(bar)
        } else {
            ProgressDisplay::Lines {
                last: Instant::now(),
            }
        }
    }

    pub fn finish(&mut self) {
        if let ProgressDisplay::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}

fn rate(p: &Progress<'_>) -> f64 {
    p.summary.records as f64 / p.elapsed.as_secs_f64().max(1e-3)
}

fn counts(p: &Progress<'_>) -> String {
    let c = &p.summary.counts;
    format!(
        "{} records, {} migrated, {} present, {} skipped, {} failed, {:.0}/s",
        p.summary.records,
        c.migrated,
        c.already_present,
        c.skipped,
        c.failed,
        rate(p)
    )
}

impl Observer for ProgressDisplay {
    fn progress(&mut self, p: &Progress<'_>) {
        match self {
            ProgressDisplay::Quiet => {}
            ProgressDisplay::Bar(bar) => {
                if let Some((read, total)) = p.bytes {
                    bar.set_length(total.max(1));
                    bar.set_position(read.min(total));
                }
                bar.set_message(counts(p));
            }
            ProgressDisplay::Lines { last } => {
                if last.elapsed() < LINE_EVERY {
                    return;
                }
                *last = Instant::now();
                let eta = match p.bytes {
                    Some((read, total)) if read > 0 && total >= read => {
                        let secs = p.elapsed.as_secs_f64() * (total - read) as f64 / read as f64;
                        format!(
                            ", {:.0}% read, ETA {:.0} s",
                            100.0 * read as f64 / total as f64,
                            secs
                        )
                    }
                    _ => String::new(),
                };
                eprintln!("authferry: {}{eta}", counts(p));
            }
        }
    }
}
