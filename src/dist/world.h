// The MPI world (RAII init/finalize), node-local ranks, and the groups of ranks that each train
// one job data-parallel. Only src/dist calls MPI.
#pragma once

#include <mpi.h>

#include <string>

namespace bertgrid::dist {

class World {
 public:
  // Initialises MPI (thread level FUNNELED) unless it already is; finalizes only what it started.
  World(int* argc, char*** argv);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm comm() const { return MPI_COMM_WORLD; }
  // Rank and rank count on this node (MPI_Comm_split_type SHARED): picks the local GPU.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  const std::string& hostname() const { return hostname_; }
  // Ends every rank at once: for a failure that this rank alone has seen (Error::one in LAMMPS).
  [[noreturn]] void abort(int status) const;

 private:
  bool owns_mpi_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::string hostname_;
};

// Ranks split into consecutive groups of `ranks_per_job` (MPI_Comm_split).
class Group {
 public:
  // Throws bertgrid::Error (on every rank alike) when ranks_per_job does not divide the world.
  Group(const World& world, int ranks_per_job);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int index() const { return index_; }  // which group this rank is in
  int count() const { return count_; }  // how many groups
  int rank() const { return rank_; }    // rank within the group
  int size() const { return size_; }
  MPI_Comm comm() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int index_ = 0, count_ = 1, rank_ = 0, size_ = 1;
};

}  // namespace bertgrid::dist
