//! The progress bar: drawn on stderr only when it is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use syndup::{Progress, Stage};

/// A progress bar, or nothing when disabled.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(enabled: bool) -> Bar {
        Bar {
            bar: enabled.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
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
                        "{spinner} {msg:12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            } else {
                b.set_style(
                    ProgressStyle::with_template("{spinner} {msg:12} {bytes} ({bytes_per_sec})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
            }
        }
    }
    fn stage(&self, stage: Stage) {
        if let Some(b) = &self.bar {
            b.set_message(match stage {
                Stage::Read => "reading",
                Stage::Candidates => "candidates",
                Stage::Verify => "verifying",
                Stage::Cluster => "clustering",
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
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
