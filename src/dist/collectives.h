// The few small collectives the grid needs beyond the gradient all-reduce: agreeing on a flag,
// broadcasting a string, gathering strings or counts to a root.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bertgrid::dist {

// The largest of every rank's value (e.g. "did any rank fail / get a stop signal?").
int64_t allreduce_max(MPI_Comm comm, int64_t value);
int64_t allreduce_sum(MPI_Comm comm, int64_t value);

// `value` from `root` on every rank.
std::string broadcast_string(MPI_Comm comm, const std::string& value, int root = 0);

// Every rank's string, in rank order, at `root` (empty elsewhere).
std::vector<std::string> gather_strings(MPI_Comm comm, const std::string& value, int root = 0);

// Every rank's float buffer concatenated in rank order at `root` (empty elsewhere).
std::vector<float> gather_floats(MPI_Comm comm, const std::vector<float>& values, int root = 0);

void barrier(MPI_Comm comm);

}  // namespace bertgrid::dist
