//! The progress bar: drawn on stderr only when it is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use syndup::{Progress, Stage};

/// A progress bar, or nothing when disabled; also records the process's peak resident memory
/// at each stage boundary (for `--verbose`).
pub struct Bar {
    bar: Option<ProgressBar>,
    peaks: std::sync::Mutex<Vec<(Stage, Option<u64>)>>,
}

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`; `None` elsewhere).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl Bar {
    /// A bar drawn on stderr when `enabled`. Nothing is drawn before [`Progress::start`] sets
    /// the style (indicatif's default template would show a first frame without units).
    pub fn new(enabled: bool) -> Bar {
        Bar {
            bar: enabled.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())),
            peaks: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Peak memory when each stage ended, in stage order.
    pub fn peaks(&self) -> Vec<(Stage, Option<u64>)> {
        self.peaks.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn mark(&self, next: Option<Stage>) {
        if let Ok(mut p) = self.peaks.lock() {
            // The peak so far belongs to the stage that just ended.
            if let Some(last) = p.last_mut() {
                last.1 = peak_rss();
            }
            if let Some(s) = next {
                p.push((s, None));
            }
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: Option<u64>) {
        if let Some(b) = &self.bar {
            if let Some(t) = total {
                b.set_length(t);
                b.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {msg:12} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} ({decimal_bytes_per_sec}, {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            } else {
                b.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {msg:12} {decimal_bytes} ({decimal_bytes_per_sec})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
            }
            b.set_message("reading");
            b.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
    fn stage(&self, stage: Stage) {
        self.mark(Some(stage));
        if let Some(b) = &self.bar {
            if stage != Stage::Read {
                // Reading is over: the byte bar would stand still at its last value while the
                // later stages run, so a ticking spinner with the stage's time replaces it.
                b.set_style(
                    ProgressStyle::with_template("{spinner} {msg:12} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.reset_elapsed();
                b.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            b.set_message(match stage {
                Stage::Read => "reading",
                Stage::Candidates => "candidates",
                Stage::Containment => "containment",
                Stage::Verify => "verifying",
                Stage::Cluster => "clustering",
                Stage::Repeats => "repeats",
                Stage::Passages => "passages",
                _ => "working",
            });
        }
    }
    fn read(&self, _documents: u64, bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
        }
    }
    fn finish(&self) {
        self.mark(None);
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
