// How a failed run says why, once: a failure common to every rank (a bad configuration, a
// missing data directory) is printed by rank 0 alone and the job ends through MPI_Finalize
// with a non-zero exit; a failure of some ranks only is printed by each failing rank with its
// number and the job ends with MPI_Abort (the ranks still healthy may be blocked in a
// collective, and are killed quietly). docs/DATA_SAFETY.md, "Failure messages".
#pragma once

#include <string>

namespace slatetrain {

// The failing ranks agree for up to this long on whether every rank failed; a failure of
// fewer ranks is reported and aborted after it (what a one-rank failure costs in wall time).
inline constexpr double kFailureAgreementSeconds = 5.0;

// Creates the communicator only failure reports use (collective; MpiSession calls it after
// MPI_Init) and frees it (before MPI_Finalize).
void open_failure_reports();
void close_failure_reports();

// Prints `message` once for the job as described above. Returns `exit_code` when every rank
// failed (the caller finalises MPI and exits with it); otherwise calls MPI_Abort and does not
// return. Without MPI (not initialised or already finalised) it prints and returns.
int report_failure(const std::string& message, int exit_code);

}  // namespace slatetrain
