// The head job: pre_classifier -> ReLU -> dropout -> classifier trained on frozen sentence
// embeddings of one strategy (precomputed into embeddings.h5 by the embedding stage).
#pragma once

#include "io/embeddings_h5.h"
#include "jobs/job.h"

namespace bertgrid::jobs {

// `embeddings` holds /train and /test; rows are matched to the run's splits by file_id, so a
// validation split carved from train finds its rows in /train.
JobOutcome run_head(const JobSpec& spec, const JobEnv& env, const io::EmbeddingsFile& embeddings);

}  // namespace bertgrid::jobs
