// bertgrid train: one job of a config's grid, on this process (the grid runner is `run`).
#include <cstdlib>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/threads.h"
#include "jobs/execution_setup.h"
#include "jobs/finetune.h"
#include "jobs/head.h"
#include "io/embeddings_h5.h"
#include "jobs/model_source.h"
#include "grid/signals.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: bertgrid train --config FILE.toml --job finetune|head [--epochs E] [--strategy S]\n"
    "                      [--embeddings FILE.h5] [--data DIR] [--out DIR] [--resume]\n"
    "\n"
    "Trains one job of the config's grid (the first value of each list, unless overridden) on\n"
    "this process: a fine-tune of the whole model, or a head on precomputed sentence embeddings\n"
    "(`bertgrid embed`). Writes record.json, history.csv, predictions.csv and the model to the\n"
    "job folder (default runs/<config name>/<job id>) and prints the record. The device,\n"
    "precision and speed switches come from the config's [run] section (run.device = \"auto\":\n"
    "the first GPU when libtorch sees one).\n"
    "\n"
    "SIGTERM or SIGUSR1 stops it at the next step boundary with a checkpoint (exit status 3);\n"
    "--resume continues from it.\n"
    "\n"
    "Exit status: 0 done, 1 error, 2 usage, 3 stopped with a checkpoint.\n\n";

}  // namespace

std::string resolve_data_dir(const Args& args, const RunConfig& cfg) {
  if (auto d = args.get("data")) return *d;
  if (const char* env = std::getenv("BERTGRID_DATA"); env && *env) return env;
  if (cfg.data.dir.empty())
    throw Error(cfg.source + ": no dataset folder: set data.dir, BERTGRID_DATA or --data");
  return cfg.data.dir;
}

int cmd_train(int argc, char** argv, int first) {
  Args args("train",
            {{"config", true, "run config (TOML)", "FILE"},
             {"job", true, "finetune or head", "KIND"},
             {"epochs", true, "epochs (default: the config's first)", "E"},
             {"strategy", true, "head jobs: embedding strategy (default: the config's first)", "S"},
             {"embeddings", true, "head jobs: embeddings.h5 from `bertgrid embed`", "FILE"},
             {"data", true, "dataset folder (else $BERTGRID_DATA, else data.dir)", "DIR"},
             {"out", true, "job folder (default runs/<name>/<job id>)", "DIR"},
             {"resume", false, "continue from the job folder's checkpoint"},
             {"stop-after-steps", true, "stop (with a checkpoint) after N steps: for tests", "N"},
             {"threads", true, "intra-op threads (default: libtorch's)", "N"}},
            argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  const RunConfig cfg = load_run_config(args.require("config"));
  const std::string kind = args.require("job");
  if (kind != "finetune" && kind != "head")
    throw Error("bertgrid train: --job must be finetune or head, not '" + kind + "'");
  if (args.has("threads")) set_compute_threads(static_cast<int>(args.get_int("threads", 1)));

  jobs::JobSpec spec =
      jobs::spec_from_config(kind, kind == "finetune" ? cfg.finetune : cfg.embeddings.head);
  spec.epochs = args.get_int("epochs", spec.epochs);
  if (spec.epochs <= 0) throw Error("bertgrid train: --epochs must be positive");
  if (kind == "head")
    spec.strategy = args.get_or("strategy", to_string(cfg.embeddings.strategies.at(0)));
  spec.job_id = jobs::make_job_id(spec);

  const auto tokenizer = text::Tokenizer::from_vocab_file(jobs::vocab_path(cfg));
  const auto arch = jobs::model_config(cfg, static_cast<int64_t>(tokenizer.vocab_size()));
  const auto data =
      jobs::prepare_data(cfg, resolve_data_dir(args, cfg), tokenizer, arch.max_position_embeddings);

  grid::install_stop_handlers();
  const int64_t stop_after = args.get_int("stop-after-steps", 0);
  int64_t steps_seen = 0;
  jobs::JobEnv env;
  env.config = &cfg;
  env.data = &data;
  env.job_dir = args.get_or("out", "runs/" + cfg.name + "/" + spec.job_id);
  env.resume = args.has("resume");
  env.exec = jobs::make_execution(cfg, 0, 1, "this node");  // run.device, precision, switches
  env.progress = [](const std::string& line) { std::cerr << line << "\n"; };
  env.stop_requested = [&] {
    // Called before each step: after N calls, N steps are done in this process.
    return grid::stop_signal_received() || (stop_after > 0 && steps_seen++ >= stop_after);
  };
  std::cerr << spec.job_id << ": " << data.train.size() << " train, " << data.test.size()
            << " test sentences"
            << (data.validation ? ", " + std::to_string(data.validation->size()) + " validation"
                                : "")
            << "\n";

  jobs::JobOutcome outcome;
  if (kind == "finetune") {
    outcome = jobs::run_finetune(spec, env);
  } else {
    const auto embeddings = io::read_embeddings_h5(args.require("embeddings"));
    outcome = jobs::run_head(spec, env, embeddings);
  }
  if (outcome.stopped) {
    std::cerr << spec.job_id << ": stopped; checkpoint in " << env.job_dir << " (--resume)\n";
    return grid::kExitStopped;
  }
  auto record = to_json(outcome.record);
  record["resumed_from_step"] = outcome.resumed_from_step;
  std::cout << record.dump() << "\n";
  return 0;
}

}  // namespace bertgrid::cli
