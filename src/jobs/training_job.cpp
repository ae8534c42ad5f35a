#include "jobs/training_job.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/torch_compat.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/history_csv.h"

namespace bertgrid::jobs {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string predictions_csv(const EvalSplit& split, const train::Evaluation& ev) {
  std::ostringstream out;
  out.precision(9);
  out << "file_id,label,p_hate,predicted\n";
  for (size_t i = 0; i < split.labels.size(); ++i)
    out << split.file_ids[i] << ',' << split.labels[i] << ',' << ev.p_hate[i] << ','
        << ev.predictions[i] << '\n';
  return out.str();
}

train::Evaluation evaluate_split(const EvalSplit& split, int64_t batch_size,
                                 torch::nn::Module& module, const train::Execution& exec) {
  module.eval();
  compat::AutocastScope autocast(exec.device, exec.bf16);
  auto ev = train::evaluate(split.logits, split.labels, split.lengths, batch_size);
  module.train();
  return ev;
}

// Passes every call through to the job's task, letting env.fault act on the loss (tests).
class FaultInjectingTask : public train::TrainingTask {
 public:
  FaultInjectingTask(train::TrainingTask& inner, const JobEnv& env, const train::Trainer* trainer)
      : inner_(inner), env_(env), trainer_(trainer) {}
  torch::nn::Module& module() override { return inner_.module(); }
  int64_t num_train() const override { return inner_.num_train(); }
  train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    return inner_.inputs(rows);
  }
  std::vector<int64_t> lengths() const override { return inner_.lengths(); }
  torch::Tensor loss_sum(const train::TaskInputs& in) override {
    torch::Tensor loss = inner_.loss_sum(in);
    if (trainer_) env_.fault(trainer_->position().step, trainer_->device_step(), loss);
    return loss;
  }
  void set_trainer(const train::Trainer* t) { trainer_ = t; }

 private:
  train::TrainingTask& inner_;
  const JobEnv& env_;
  const train::Trainer* trainer_;
};

train::TrainerSettings trainer_settings(const JobSpec& spec, const JobEnv& env, int64_t num_train) {
  train::TrainerSettings settings;
  settings.epochs = spec.epochs;
  settings.batch_size = spec.batch_size;
  settings.learning_rate = spec.learning_rate;
  settings.weight_decay = spec.weight_decay;
  settings.warmup_steps = warmup_steps_used(spec, num_train);
  settings.max_grad_norm = spec.max_grad_norm;
  settings.data_seed = spec.data_seed;
  settings.logging_steps = spec.logging_steps;
  settings.group_by_length = spec.group_by_length;
  settings.exec = env.exec;
  return settings;
}

// The test split's evaluation at the end of an epoch, kept for the end of the job.
struct EpochEvaluation {
  int64_t step = -1;  // the optimiser steps done when it ran
  train::Evaluation test;
};

// The finished job's metrics: test (with its confusion matrix), train, and validation if any.
// The test split's evaluation is the last epoch's when that ran on these weights (the final step).
void evaluate_finished(const JobSpec& spec, const JobEnv& env, TrainingJobParts& parts,
                       torch::nn::Module& module, JobRecord& r, train::Evaluation& test,
                       const train::Evaluation* final_epoch_test) {
  test = final_epoch_test ? *final_epoch_test
                          : evaluate_split(parts.test, spec.eval_batch_size, module, env.exec);
  auto train_ev = evaluate_split(parts.train, spec.eval_batch_size, module, env.exec);
  r.eval_loss = test.loss;
  r.eval_accHate = test.metrics.acc_hate;
  r.eval_accNoHate = test.metrics.acc_no_hate;
  r.eval_accAll = test.metrics.acc_all;
  r.eval_precision_hate = test.metrics.precision;
  r.eval_recall_hate = test.metrics.recall;
  r.eval_f1_hate = test.metrics.f1;
  r.eval_train_loss = train_ev.loss;
  r.confusion = test.metrics.confusion;
  if (parts.validation) {
    auto val = evaluate_split(*parts.validation, spec.eval_batch_size, module, env.exec);
    r.val_loss = val.loss;
    r.val_accAll = val.metrics.acc_all;
  }
}

// The finished job's files; record.json last, as the mark of a finished job (the resume scan).
void write_job_outputs(const JobEnv& env, const TrainingJobParts& parts, const JobOutcome& outcome,
                       const train::Evaluation& test, const std::string& checkpoint) {
  write_file_atomic(env.job_dir + "/history.csv", train::job_history_csv(outcome.history));
  write_file_atomic(env.job_dir + "/predictions.csv", predictions_csv(parts.test, test));
  if (parts.save_model) parts.save_model(env.job_dir);
  write_file_atomic(env.job_dir + "/record.json", to_json(outcome.record).dump(1) + "\n");
  fs::remove(checkpoint);
}

// Whether any rank of the job's group says yes (a group of one: this rank).
bool any_rank(bool mine, const JobEnv& env) {
  if (!env.reducer) return mine;
  auto flag = torch::full({1}, mine ? 1.0f : 0.0f,
                          torch::TensorOptions().dtype(torch::kFloat32).device(env.exec.device));
  env.reducer->sum(flag.data_ptr<float>(), 1);
  return flag.item<float>() > 0;
}

// --resume: continues from the checkpoint when there is one. Damage found by any rank is agreed
// by the group; its first rank renames the file to *.corrupt, and every rank throws
// CheckpointSetAside (run_job starts the job again). Other errors keep the file and propagate.
void resume_from(const std::string& checkpoint, train::Trainer& trainer, const JobEnv& env) {
  std::string damage;
  try {
    if (fs::exists(checkpoint)) train::load_checkpoint(checkpoint, trainer);
  } catch (const train::CorruptCheckpoint& e) {
    damage = e.what();
  }
  if (!any_rank(!damage.empty(), env)) return;
  const std::string aside = checkpoint + ".corrupt";
  if (env.write_outputs && fs::exists(checkpoint)) fs::rename(checkpoint, aside);
  throw CheckpointSetAside((damage.empty() ? checkpoint + ": damaged on another rank" : damage) +
                           "; set aside as " + aside + ", the job starts again from step 0");
}

}  // namespace

JobOutcome run_training_job(const JobSpec& spec, const JobEnv& env, TrainingJobParts& parts) {
  const auto start = Clock::now();
  FaultInjectingTask faulty(*parts.task, env, nullptr);
  train::TrainingTask& task = env.fault ? faulty : *parts.task;
  torch::nn::Module& module = task.module();
  const auto settings = trainer_settings(spec, env, task.num_train());

  // Dropout's generators, seeded per job from data_seed (a checkpoint restores them on resume).
  env.context.seed_random(spec.data_seed);
  module.train();
  train::Trainer trainer(task, settings, env.reducer, env.group_rank, env.group_size);
  faulty.set_trainer(&trainer);

  JobOutcome outcome;
  const std::string checkpoint = env.job_dir + "/checkpoint.safetensors";
  if (env.write_outputs) fs::create_directories(env.job_dir);
  if (env.resume) {
    resume_from(checkpoint, trainer, env);
    outcome.resumed_from_step = trainer.position().step;
    if (outcome.resumed_from_step > 0)
      env.context.progress(spec.job_id + ": resumed at step " +
                           std::to_string(outcome.resumed_from_step));
  }
  auto save = [&] {
    if (!env.write_outputs) return;
    if (env.checkpoint_fault) env.checkpoint_fault(trainer.position().step, checkpoint);
    train::save_checkpoint(checkpoint, trainer, {{"job_id", spec.job_id}});
  };
  EpochEvaluation last_epoch;
  auto on_epoch_end = [&](int64_t epoch) {
    const auto evaluation = Clock::now();
    last_epoch = {trainer.position().step,
                  evaluate_split(parts.test, spec.eval_batch_size, module, env.exec)};
    outcome.evaluation_seconds += seconds_since(evaluation);
    const train::Evaluation& ev = last_epoch.test;
    trainer.history().push_back(
        {HistoryKind::kEval, trainer.position().step, double(epoch + 1), ev.loss, 0, 0});
    std::ostringstream line;
    line << spec.job_id << ": epoch " << epoch + 1 << "/" << spec.epochs << " eval_loss " << ev.loss
         << " accAll " << ev.metrics.acc_all;
    env.context.progress(line.str());
    if (env.config->run.epoch_checkpoints) save();
  };
  auto on_step = [&](const train::StepResult&) {
    env.context.step_done(trainer.position().step, trainer.total_steps());
  };
  const bool finished =
      trainer.run([&] { return env.context.stop_requested(); }, on_epoch_end, on_step);
  if (trainer.graphs_captured() > 0)
    env.context.progress(spec.job_id + ": " + std::to_string(trainer.graphs_captured()) +
                         " batch shapes captured as CUDA graphs" +
                         (trainer.update_graphed() ? ", and the optimiser update" : ""));
  outcome.local_examples = trainer.local_examples();
  outcome.history = trainer.history();
  outcome.record = record_header(spec, task.num_train());
  if (!finished) {
    save();
    outcome.stopped = true;
    outcome.record.status = JobStatus::kStopped;
    return outcome;
  }
  train::Evaluation test;
  const auto evaluation = Clock::now();
  const bool final_epoch_evaluated = last_epoch.step == trainer.position().step;
  evaluate_finished(spec, env, parts, module, outcome.record, test,
                    final_epoch_evaluated ? &last_epoch.test : nullptr);
  outcome.evaluation_seconds += seconds_since(evaluation);
  outcome.record.train_seconds = seconds_since(start);
  outcome.record.status = JobStatus::kOk;
  const auto outputs = Clock::now();
  if (env.write_outputs) write_job_outputs(env, parts, outcome, test, checkpoint);
  outcome.outputs_seconds = seconds_since(outputs);
  return outcome;
}

}  // namespace bertgrid::jobs
