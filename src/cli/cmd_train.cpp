// bertgrid train: one job of a config's grid, on this process (the grid runner is `run`).
#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/data_dir.h"
#include "core/error.h"
#include "grid/signals.h"
#include "io/embeddings_h5.h"
#include "jobs/execution_setup.h"
#include "jobs/model_source.h"
#include "jobs/run_job.h"

namespace bertgrid::cli {
namespace {

const char* kUsage =
    "Usage: bertgrid train --config FILE.toml --job finetune|head [--epochs E] [--strategy S]\n"
    "                      [--embeddings FILE.h5] [--data DIR] [--out DIR] [--resume]\n"
    "\n"
    "Trains one job of the config's grid (the first value of each list, unless overridden) on\n"
    "this process: a fine-tune of the whole model, or a head on precomputed sentence embeddings\n"
    "(`bertgrid embed --config FILE.toml`). Writes record.json, history.csv, predictions.csv and\n"
    "the model to the job folder (default runs/<config name>/<job id>) and prints the record.\n"
    "The device, precision and speed switches come from the config's [run] section\n"
    "(run.device = \"auto\": the first GPU when libtorch sees one).\n"
    "\n"
    "SIGTERM or SIGUSR1 stops it at the next step boundary with a checkpoint (exit status 3);\n"
    "--resume continues from it.\n"
    "\n"
    "Exit status: 0 done, 1 error, 2 usage, 3 stopped with a checkpoint.\n\n";

struct TrainOptions {
  std::string config, job, strategy, embeddings, data, out;
  std::optional<long long> epochs;
  long long stop_after_steps = 0, threads = 0;
  bool resume = false;
};

// The job's spec: the config's first grid point of its kind, with the command's overrides.
jobs::JobSpec job_spec(const TrainOptions& o, const RunConfig& cfg) {
  const auto kind = parse_choice<JobKind>(o.job);
  if (!kind)
    throw UsageError("bertgrid train: --job must be finetune or head, not '" + o.job + "'");
  if (*kind == JobKind::kHead && o.embeddings.empty())
    throw UsageError("bertgrid train: --job head needs --embeddings FILE.h5");
  if (o.epochs && *o.epochs <= 0)
    throw UsageError("bertgrid train: --epochs must be positive, got " + std::to_string(*o.epochs));
  jobs::JobSpec spec = jobs::spec_from_config(
      *kind, *kind == JobKind::kFinetune ? cfg.finetune : cfg.embeddings.head);
  if (o.epochs) spec.epochs = *o.epochs;
  if (*kind == JobKind::kHead)
    spec.strategy = o.strategy.empty() ? to_string(cfg.embeddings.strategies.at(0)) : o.strategy;
  spec.job_id = jobs::make_job_id(spec);
  return spec;
}

jobs::JobOutcome train_job(const TrainOptions& o, const RunConfig& cfg, const jobs::JobSpec& spec) {
  jobs::JobEnv env;
  if (o.threads > 0) env.context.use_compute_threads(static_cast<int>(o.threads));
  const auto tokenizer = text::Tokenizer::from_vocab_file(jobs::vocab_path(cfg));
  const auto arch = jobs::model_config(cfg, static_cast<int64_t>(tokenizer.vocab_size()));
  const auto data = jobs::prepare_data(cfg, resolve_data_dir(o.data, cfg), tokenizer,
                                       arch.max_position_embeddings);
  grid::install_stop_handlers();
  int64_t steps_seen = 0;
  env.config = &cfg;
  env.data = &data;
  env.job_dir = o.out.empty() ? "runs/" + cfg.name + "/" + spec.job_id : o.out;
  env.resume = o.resume;
  env.exec = jobs::make_execution(cfg, 0, 1, "this node");  // run.device, precision, switches
  env.context.log = [](const std::string& line) { std::cerr << line << "\n"; };
  env.context.stop = [&] {
    // Called before each step: after N calls, N steps are done in this process.
    return grid::stop_signal_received() ||
           (o.stop_after_steps > 0 && steps_seen++ >= o.stop_after_steps);
  };
  std::cerr << spec.job_id << ": " << data.train.size() << " train, " << data.test.size()
            << " test sentences"
            << (data.validation ? ", " + std::to_string(data.validation->size()) + " validation"
                                : "")
            << "\n";
  const io::EmbeddingsFile embeddings =
      spec.kind == JobKind::kHead ? io::read_embeddings_h5(o.embeddings) : io::EmbeddingsFile{};
  return jobs::run_job(spec, env, embeddings);
}

int run_train(const TrainOptions& o) {
  const RunConfig cfg = load_run_config(o.config);
  const jobs::JobSpec spec = job_spec(o, cfg);
  const jobs::JobOutcome outcome = train_job(o, cfg, spec);
  if (outcome.stopped) {
    std::cerr << spec.job_id << ": stopped; checkpoint in "
              << (o.out.empty() ? "runs/" + cfg.name + "/" + spec.job_id : o.out)
              << " (--resume)\n";
    return grid::kExitStopped;
  }
  auto record = to_json(outcome.record);
  record["resumed_from_step"] = outcome.resumed_from_step;
  std::cout << record.dump() << "\n";
  return 0;
}

}  // namespace

Command setup_train(CLI::App& parent) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* app = add_command(parent, "train",
                              "train one job of a config (fine-tune or embedding head)", kUsage);
  app->add_option("--config", o->config, "run config (TOML)")->type_name("FILE")->required();
  app->add_option("--job", o->job, "finetune or head")->type_name("KIND")->required();
  app->add_option("--epochs", o->epochs, "epochs (default: the config's first)")->type_name("E");
  app->add_option("--strategy", o->strategy,
                  "head jobs: embedding strategy (default: the config's first)")
      ->type_name("S");
  app->add_option("--embeddings", o->embeddings, "head jobs: embeddings.h5 from `bertgrid embed`")
      ->type_name("FILE");
  app->add_option("--data", o->data, "dataset folder (else $BERTGRID_DATA, else data.dir)")
      ->type_name("DIR");
  app->add_option("--out", o->out, "job folder (default runs/<name>/<job id>)")->type_name("DIR");
  app->add_flag("--resume", o->resume, "continue from the job folder's checkpoint");
  app->add_option("--stop-after-steps", o->stop_after_steps,
                  "stop (with a checkpoint) after N steps: for tests")
      ->type_name("N");
  app->add_option("--threads", o->threads, "intra-op threads (default: libtorch's)")
      ->type_name("N");
  return {app, [o] { return run_train(*o); }};
}

}  // namespace bertgrid::cli
