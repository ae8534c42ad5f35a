// One job of either kind, as the grid's job loop and `bertgrid train` run it: fine-tune or head
// by the spec's kind. A checkpoint proven damaged (set aside as *.corrupt by the job, see
// training_job.h) makes the job start again from step 0 on a rebuilt model, once, with a warning
// in its outcome: the result is that of a run that never had the checkpoint.
#pragma once

#include "io/embeddings_h5.h"
#include "jobs/job.h"

namespace bertgrid::jobs {

// `embeddings`: head jobs' inputs (unused by fine-tuning).
JobOutcome run_job(const JobSpec& spec, const JobEnv& env, const io::EmbeddingsFile& embeddings);

}  // namespace bertgrid::jobs
