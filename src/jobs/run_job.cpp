#include "jobs/run_job.h"

#include "jobs/finetune.h"
#include "jobs/head.h"
#include "jobs/training_job.h"

namespace bertgrid::jobs {

JobOutcome run_job(const JobSpec& spec, const JobEnv& env, const io::EmbeddingsFile& embeddings) {
  auto run = [&](const JobEnv& e) {
    return spec.kind == JobKind::kFinetune ? run_finetune(spec, e) : run_head(spec, e, embeddings);
  };
  try {
    return run(env);
  } catch (const CheckpointSetAside& e) {
    const std::string warning = spec.job_id + ": " + e.what();
    env.context.progress("warning: " + warning);
    JobEnv fresh = env;
    fresh.resume = false;
    JobOutcome outcome = run(fresh);
    outcome.warnings.push_back(warning);
    return outcome;
  }
}

}  // namespace bertgrid::jobs
