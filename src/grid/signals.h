// Stop requests from the scheduler: SIGTERM and SIGUSR1 (Slurm's warning signal) set a flag that
// the training loop reads at each step boundary; the job then writes its step checkpoint and the
// process exits with kExitStopped, so a requeued run resumes where it stopped.
#pragma once

namespace bertgrid::grid {

constexpr int kExitStopped = 3;  // stopped on request, checkpoint written, resumable

void install_stop_handlers();
bool stop_signal_received();

}  // namespace bertgrid::grid
