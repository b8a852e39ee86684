//! The learner's progress display: a line per reporting interval, and a stop as soon as a loss
//! is not a finite number.

use std::io::Write;
use std::time::Instant;

use burn::train::Interrupter;
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, NumericEntry};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};

use super::control::TrainingControl;
use super::history::{Mean, add_entry};

/// Prints one line per reporting interval to stderr (epoch, losses, elapsed time) and stops
/// training as soon as a loss is not a finite number.
pub(super) struct ProgressPrinter {
    total_epochs: usize,
    log_every: usize,
    every: usize,
    started: Instant,
    current_epoch: usize,
    train: Mean,
    valid: Mean,
    control: TrainingControl,
    interrupter: Interrupter,
}

impl ProgressPrinter {
    pub(super) fn new(
        log_every: usize,
        control: TrainingControl,
        interrupter: Interrupter,
    ) -> Self {
        Self {
            total_epochs: 0,
            log_every,
            every: 1,
            started: Instant::now(),
            current_epoch: 1,
            train: Mean::default(),
            valid: Mean::default(),
            control,
            interrupter,
        }
    }

    fn record(&self, mean: &mut Mean, state: &MetricState) {
        let MetricState::Numeric(_, entry) = state else {
            return;
        };
        add_entry(mean, entry.as_ref());
        let value = match entry {
            Some(NumericEntry::Aggregated {
                aggregated_value, ..
            }) => *aggregated_value,
            Some(NumericEntry::Value(value)) => *value,
            _ => return,
        };
        if !value.is_finite() {
            self.control.set_diverged(self.current_epoch, value);
            self.interrupter
                .stop(Some("the loss is not a finite number"));
        }
    }
}

impl MetricsRendererTraining for ProgressPrinter {
    fn update_train(&mut self, state: MetricState) {
        let mut train = std::mem::take(&mut self.train);
        self.record(&mut train, &state);
        self.train = train;
    }

    fn update_valid(&mut self, state: MetricState) {
        let mut valid = std::mem::take(&mut self.valid);
        self.record(&mut valid, &state);
        self.valid = valid;
    }

    fn on_train_end(
        &mut self,
        _summary: Option<burn::train::LearnerSummary>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for ProgressPrinter {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}

    fn on_test_end(
        &mut self,
        _summary: Option<burn::train::LearnerSummary>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        Ok(())
    }
}

impl TrainingProgressLogger for ProgressPrinter {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _total_items: Option<usize>,
        _label: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.every = match self.log_every {
            0 => (total_epochs / 20).max(1),
            every => every,
        };
        self.started = Instant::now();
        self.current_epoch = starting_epoch;
        if !self.control.quiet {
            eprintln!("training for {total_epochs} epochs (from epoch {starting_epoch})");
        }
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.current_epoch = epoch + 1;
        let train = std::mem::take(&mut self.train).value();
        let valid = std::mem::take(&mut self.valid).value();
        let shown = epoch.is_multiple_of(self.every) || epoch == self.total_epochs || epoch == 1;
        if !shown || self.control.quiet {
            return;
        }
        let mut line = format!("epoch {epoch:>6}/{}", self.total_epochs);
        if let Some(train) = train {
            line += &format!("  train loss {train:.6e}");
        }
        if let Some(valid) = valid {
            line += &format!("  valid loss {valid:.6e}");
        }
        line += &format!("  {:.1} s", self.started.elapsed().as_secs_f64());
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    fn start_split(&mut self, _split: &str, _total_items: usize) {}

    fn update_split(&mut self, _items_processed: usize) {}

    fn end_split(&mut self) {}

    fn end(&mut self) {}

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for ProgressPrinter {
    fn start_global_progress(&mut self, _total_tests: usize) {}

    fn start_test(&mut self, _name: &str, _total_items: usize) {}

    fn update_test_progress(&mut self, _items_processed: usize) {}

    fn end_test(&mut self) {}

    fn end_global_progress(&mut self) {}

    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for ProgressPrinter {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, _definition: MetricDefinition) {}
}
