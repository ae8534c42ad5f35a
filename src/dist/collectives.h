// The few small collectives the grid needs beyond the gradient all-reduce: agreeing on a flag,
// broadcasting a string, gathering strings or counts to a root.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace bertgrid::dist {

// The largest of every rank's value (e.g. "did any rank fail / get a stop signal?").
int64_t allreduce_max(MPI_Comm comm, int64_t value);
int64_t allreduce_sum(MPI_Comm comm, int64_t value);
double allreduce_max_seconds(MPI_Comm comm, double seconds);  // the slowest rank's time

// `value` from `root` on every rank.
std::string broadcast_string(MPI_Comm comm, const std::string& value, int root = 0);

// Every rank's string, in rank order, at `root` (empty elsewhere).
std::vector<std::string> gather_strings(MPI_Comm comm, const std::string& value, int root = 0);

// Every rank's float buffer concatenated in rank order at `root` (empty elsewhere).
std::vector<float> gather_floats(MPI_Comm comm, const std::vector<float>& values, int root = 0);

// Collective error agreement: every rank passes its own error ("" = none); if any is non-empty,
// every rank throws the same bertgrid::Error listing each failed rank's message. So one rank's
// failure never leaves the others waiting in the next collective.
void raise_if_any(MPI_Comm comm, const std::string& local_error);

// Runs `f` on every rank, then agrees as raise_if_any does.
template <typename F>
void all_or_none(MPI_Comm comm, F&& f) {
  std::string error;
  try {
    f();
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  }
  raise_if_any(comm, error);
}

}  // namespace bertgrid::dist
