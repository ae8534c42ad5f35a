// The fine-tune job: the whole DistilBERT with its classification head, trained end to end on
// the tokenized train split (dynamic padding), evaluated on test, train and validation; the
// model is saved as an HF directory.
#pragma once

#include "jobs/job.h"

namespace bertgrid::jobs {

JobOutcome run_finetune(const JobSpec& spec, const JobEnv& env);

}  // namespace bertgrid::jobs
