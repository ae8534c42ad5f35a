#include "dist/world.h"

#include <unistd.h>

#include "core/error.h"
#include "dist/mpi_check.h"

namespace bertgrid::dist {

void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  throw Error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + " on " +
              host + ": " + std::string(text, len));
}

World::World(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    BERTGRID_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    owns_mpi_ = true;
  }
  // Errors come back as codes (checked), so a failed call can end the run cleanly.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  BERTGRID_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  BERTGRID_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  MPI_Comm local;
  BERTGRID_MPI_CHECK(
      MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local));
  BERTGRID_MPI_CHECK(MPI_Comm_rank(local, &local_rank_));
  BERTGRID_MPI_CHECK(MPI_Comm_size(local, &local_size_));
  MPI_Comm_free(&local);
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  hostname_ = host;
}

World::~World() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_mpi_ && !finalized) MPI_Finalize();
}

void World::abort(int status) const {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);
}

Group::Group(const World& world, int ranks_per_job) {
  if (ranks_per_job <= 0 || world.size() % ranks_per_job != 0)
    throw Error("ranks_per_job = " + std::to_string(ranks_per_job) + " does not divide the " +
                std::to_string(world.size()) + " ranks of this run");
  index_ = world.rank() / ranks_per_job;
  count_ = world.size() / ranks_per_job;
  BERTGRID_MPI_CHECK(MPI_Comm_split(world.comm(), index_, world.rank(), &comm_));
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  BERTGRID_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  BERTGRID_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

Group::~Group() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

}  // namespace bertgrid::dist
