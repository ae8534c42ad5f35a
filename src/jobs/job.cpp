#include "jobs/job.h"

#include <sstream>

#include "train/schedule.h"

namespace bertgrid::jobs {

JobSpec spec_from_config(JobKind kind, const TrainConfig& t) {
  JobSpec s;
  s.kind = kind;
  s.epochs = t.epochs.at(0);
  s.init_seed = t.init_seed.at(0);
  s.data_seed = t.data_seed.at(0);
  s.batch_size = t.batch_size.at(0);
  s.eval_batch_size = t.eval_batch_size;
  s.learning_rate = t.learning_rate.at(0);
  s.weight_decay = t.weight_decay.at(0);
  s.warmup_steps = t.warmup_steps.at(0);
  s.warmup_ratio = t.warmup_ratio;
  s.max_grad_norm = t.max_grad_norm;
  s.logging_steps = t.logging_steps;
  s.group_by_length = t.group_by_length;
  return s;
}

int64_t warmup_steps_used(const JobSpec& spec, int64_t num_train) {
  if (!spec.warmup_ratio) return spec.warmup_steps;
  return train::warmup_from_ratio(*spec.warmup_ratio,
                                  train::total_steps(num_train, spec.batch_size, spec.epochs));
}

JobRecord record_header(const JobSpec& spec, int64_t num_train) {
  JobRecord r;
  r.job_id = spec.job_id;
  r.kind = spec.kind;
  r.epochs = spec.epochs;
  r.strategy = spec.strategy;
  r.init_seed = spec.init_seed;
  r.data_seed = spec.data_seed;
  r.batch_size = spec.batch_size;
  r.learning_rate = spec.learning_rate;
  r.weight_decay = spec.weight_decay;
  r.warmup_steps = warmup_steps_used(spec, num_train);
  return r;
}

std::string make_job_id(const JobSpec& s) {
  std::ostringstream id;
  id << to_string(s.kind);
  if (!s.strategy.empty()) id << "-" << s.strategy;
  id << "-e" << s.epochs << "-b" << s.batch_size << "-lr" << s.learning_rate << "-wd"
     << s.weight_decay << "-w";
  if (s.warmup_ratio)
    id << "r" << *s.warmup_ratio;
  else
    id << s.warmup_steps;
  id << "-i" << s.init_seed << "-d" << s.data_seed;
  return id.str();
}

}  // namespace bertgrid::jobs
