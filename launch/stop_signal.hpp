// SIGTERM and SIGUSR1 (SLURM's preemption warning, `scancel --signal`) ask the run to stop:
// the handler only sets a flag; the training loop agrees on it across ranks at the next step
// boundary, writes a checkpoint and exits 0.
#pragma once

namespace slatetrain {

// Installs the handlers for SIGTERM and SIGUSR1 (idempotent).
void install_stop_signal_handlers();
// Whether a stop signal has arrived in this process (async-signal-safe flag).
bool stop_signal_received();
// The signal that arrived (0 if none), for the log line.
int stop_signal_number();

}  // namespace slatetrain
