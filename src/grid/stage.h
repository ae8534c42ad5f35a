// The rule of the runner: every stage runs inside the collective error agreement. A stage that
// throws on any rank ends on every rank with the same bertgrid::Error, prefixed by the stage's
// name ("resume scan: ..."), so that no rank waits for ever in the next collective. Stages that
// rank 0 runs alone (run directory, resume scan, results, manifest) use on_root; the others
// on_every_rank. Each also passes through the test-only stage fault (grid/fault.h) and tells the
// watchdog, once it runs, which stage this rank is in.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "dist/collectives.h"
#include "dist/world.h"
#include "grid/fault.h"
#include "grid/watchdog.h"

namespace bertgrid::grid {

class Stages {
 public:
  Stages(const dist::World& world, std::optional<FaultSpec> fault)
      : world_(world), fault_(std::move(fault)) {}

  // From here on each stage's start is a heartbeat.
  void watch(Watchdog* watchdog) { watchdog_ = watchdog; }

  template <typename F>
  void on_every_rank(const std::string& name, F&& f) {
    agree(name, true, f);
  }
  template <typename F>
  void on_root(const std::string& name, F&& f) {
    agree(name, world_.rank() == 0, f);
  }

 private:
  template <typename F>
  void agree(const std::string& name, bool runs_here, F& f) {
    if (watchdog_) watchdog_->enter_stage(name);
    try {
      dist::all_or_none(world_.comm(), [&] {
        if (!runs_here) return;
        inject_stage_fault(fault_, name, world_.rank());
        f();
      });
    } catch (const Error& e) {
      throw Error(name + ": " + e.what());
    }
  }

  const dist::World& world_;
  std::optional<FaultSpec> fault_;
  Watchdog* watchdog_ = nullptr;
};

}  // namespace bertgrid::grid
