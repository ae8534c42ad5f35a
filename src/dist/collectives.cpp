#include "dist/collectives.h"

#include <set>

#include "core/error.h"
#include "dist/mpi_check.h"

namespace bertgrid::dist {
namespace {

// Counts from every rank to root, and the displacements that place them end to end.
std::vector<int> gather_counts(MPI_Comm comm, int count, int root, std::vector<int>& displs) {
  int rank = 0, size = 1;
  BERTGRID_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  BERTGRID_MPI_CHECK(MPI_Comm_size(comm, &size));
  std::vector<int> counts(rank == root ? size : 0);
  BERTGRID_MPI_CHECK(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm));
  displs.assign(counts.size(), 0);
  for (size_t i = 1; i < counts.size(); ++i) displs[i] = displs[i - 1] + counts[i - 1];
  return counts;
}

}  // namespace

int64_t allreduce_max(MPI_Comm comm, int64_t value) {
  int64_t out = 0;
  BERTGRID_MPI_CHECK(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_MAX, comm));
  return out;
}

double allreduce_max_seconds(MPI_Comm comm, double seconds) {
  double out = 0;
  BERTGRID_MPI_CHECK(MPI_Allreduce(&seconds, &out, 1, MPI_DOUBLE, MPI_MAX, comm));
  return out;
}

int64_t allreduce_sum(MPI_Comm comm, int64_t value) {
  int64_t out = 0;
  BERTGRID_MPI_CHECK(MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_SUM, comm));
  return out;
}

std::string broadcast_string(MPI_Comm comm, const std::string& value, int root) {
  int64_t n = static_cast<int64_t>(value.size());
  BERTGRID_MPI_CHECK(MPI_Bcast(&n, 1, MPI_INT64_T, root, comm));
  std::string out = value;
  out.resize(static_cast<size_t>(n));
  BERTGRID_MPI_CHECK(MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, root, comm));
  return out;
}

std::vector<std::string> gather_strings(MPI_Comm comm, const std::string& value, int root) {
  std::vector<int> displs;
  auto counts = gather_counts(comm, static_cast<int>(value.size()), root, displs);
  std::string all(counts.empty() ? 0 : static_cast<size_t>(displs.back() + counts.back()), '\0');
  BERTGRID_MPI_CHECK(MPI_Gatherv(value.data(), static_cast<int>(value.size()), MPI_CHAR, all.data(),
                                 counts.data(), displs.data(), MPI_CHAR, root, comm));
  std::vector<std::string> out;
  for (size_t i = 0; i < counts.size(); ++i)
    out.push_back(all.substr(static_cast<size_t>(displs[i]), static_cast<size_t>(counts[i])));
  return out;
}

std::vector<float> gather_floats(MPI_Comm comm, const std::vector<float>& values, int root) {
  std::vector<int> displs;
  auto counts = gather_counts(comm, static_cast<int>(values.size()), root, displs);
  std::vector<float> all(counts.empty() ? 0 : static_cast<size_t>(displs.back() + counts.back()));
  BERTGRID_MPI_CHECK(MPI_Gatherv(values.data(), static_cast<int>(values.size()), MPI_FLOAT,
                                 all.data(), counts.data(), displs.data(), MPI_FLOAT, root, comm));
  return all;
}

}  // namespace bertgrid::dist

namespace bertgrid::dist {

void raise_if_any(MPI_Comm comm, const std::string& local_error) {
  if (allreduce_max(comm, local_error.empty() ? 0 : 1) == 0) return;
  const auto errors = gather_strings(comm, local_error);
  // One message when every failed rank says the same; else each with its rank.
  std::set<std::string> distinct;
  for (const auto& e : errors)
    if (!e.empty()) distinct.insert(e);
  std::string joined = distinct.size() == 1 ? *distinct.begin() : "";
  for (size_t r = 0; r < errors.size() && distinct.size() > 1; ++r) {
    if (errors[r].empty()) continue;
    if (!joined.empty()) joined += "\n";
    joined += "rank " + std::to_string(r) + ": " + errors[r];
  }
  throw Error(broadcast_string(comm, joined));
}

}  // namespace bertgrid::dist
