// bench_train: CPU training throughput of the real Trainer on DistilBERT for sequence
// classification (random init), fine-tune style: dynamic padding of tokenized sampled_train
// sentences, batch 16, dropout as configured, AdamW lr 5e-5 wd 0.01, clip 1.0, linear decay.
//
// Usage: bench_train [--shape tiny|base] [--threads N] [--steps K] [--repeats R] [--warmup W]
//                    [--shared DIR] [--ids-out FILE.json] [--phases]
//   tiny: dim 32, 2 layers, 4 heads, hidden 64; base: 768/6/12/3072; vocab 30522 for both.
//   Runs W warm-up steps, then R repeats of K timed steps, each step on the next batch of one
//   seeded shuffle, and prints samples/s per repeat and their median (last line, "median").
//   --ids-out writes the batches (token ids and labels, in step order) as JSON so that
//   bench/train_eager.py trains PyTorch on exactly the same ones. --phases also times the
//   step's parts (pad+forward, backward, zero, clip, AdamW) with the Trainer's own functions,
//   in CPU time of the main thread (exact with --threads 1, whatever the machine's load).
//   SHARED_DIR defaults to $BERTGRID_SHARED or ../shared.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "core/error.h"
#include "core/threads.h"
#include "model/distilbert.h"
#include "text/dataset.h"
#include "text/tokenizer.h"
#include "train/adamw.h"
#include "train/batching.h"
#include "train/clip.h"
#include "train/trainer.h"

namespace {

using bertgrid::Error;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of the calling thread: the --phases timer, robust to other processes' load (with
// --threads 1 all of libtorch's work runs on this thread).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Options {
  std::string shape = "tiny";
  int threads = 1;
  int64_t steps = 20;
  int64_t repeats = 5;
  int64_t warmup = 3;
  std::string shared;
  std::string ids_out;
  bool phases = false;
};

Options parse(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("BERTGRID_SHARED");
  o.shared = env ? env : "../shared";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--phases") {
      o.phases = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::puts(
          "Usage: bench_train [--shape tiny|base] [--threads N] [--steps K] [--repeats R]\n"
          "                   [--warmup W] [--shared DIR] [--ids-out FILE.json] [--phases]\n"
          "Training samples/s of the real Trainer (see the comment atop bench/bench_train.cpp).");
      std::exit(0);
    }
    if (i + 1 >= argc) throw Error("bench_train: " + a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--shape")
      o.shape = v;
    else if (a == "--threads")
      o.threads = std::stoi(v);
    else if (a == "--steps")
      o.steps = std::stoll(v);
    else if (a == "--repeats")
      o.repeats = std::stoll(v);
    else if (a == "--warmup")
      o.warmup = std::stoll(v);
    else if (a == "--shared")
      o.shared = v;
    else if (a == "--ids-out")
      o.ids_out = v;
    else
      throw Error("bench_train: unknown option " + a);
  }
  if (o.shape != "tiny" && o.shape != "base") throw Error("bench_train: --shape " + o.shape);
  if (o.threads < 1 || o.steps < 1 || o.repeats < 1 || o.warmup < 0) {
    throw Error("bench_train: --threads, --steps, --repeats must be >= 1, --warmup >= 0");
  }
  return o;
}

// The fine-tune task's loss over token-id lists (as jobs/finetune.cpp does it).
class BenchTask : public bertgrid::train::TrainingTask {
 public:
  BenchTask(bertgrid::model::DistilBertForSequenceClassification model,
            const std::vector<std::vector<int32_t>>& ids, const std::vector<int64_t>& labels,
            int64_t pad_id)
      : model_(std::move(model)), ids_(ids), labels_(labels), pad_id_(pad_id) {}

  torch::nn::Module& module() override { return *model_; }
  int64_t num_train() const override { return static_cast<int64_t>(labels_.size()); }
  bertgrid::train::TaskInputs inputs(const std::vector<int64_t>& rows) override {
    auto b = bertgrid::train::pad_batch(ids_, labels_, rows, pad_id_);
    return {b.input_ids, b.attention_mask, b.labels};
  }
  torch::Tensor loss_sum(const bertgrid::train::TaskInputs& in) override {
    auto logits = model_->forward(in.at(0), in.at(1));
    return torch::nn::functional::cross_entropy(
        logits, in.at(2), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }

 private:
  bertgrid::model::DistilBertForSequenceClassification model_;
  const std::vector<std::vector<int32_t>>& ids_;
  const std::vector<int64_t>& labels_;
  int64_t pad_id_;
};

void write_ids(const std::string& path, const Options& o,
               const std::vector<std::vector<int64_t>>& batches,
               const std::vector<std::vector<int32_t>>& ids, const std::vector<int64_t>& labels,
               int64_t pad_id) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw Error("bench_train: cannot write " + tmp);
    out << "{\"shape\": \"" << o.shape << "\", \"warmup\": " << o.warmup
        << ", \"steps\": " << o.steps << ", \"repeats\": " << o.repeats
        << ", \"pad_id\": " << pad_id << ", \"batches\": [\n";
    for (size_t b = 0; b < batches.size(); ++b) {
      out << " {\"labels\": [";
      for (size_t r = 0; r < batches[b].size(); ++r) {
        out << (r ? ", " : "") << labels[static_cast<size_t>(batches[b][r])];
      }
      out << "], \"ids\": [";
      for (size_t r = 0; r < batches[b].size(); ++r) {
        out << (r ? ", " : "") << "[";
        const auto& seq = ids[static_cast<size_t>(batches[b][r])];
        for (size_t t = 0; t < seq.size(); ++t) out << (t ? "," : "") << seq[t];
        out << "]";
      }
      out << "]}" << (b + 1 < batches.size() ? ",\n" : "\n");
    }
    out << "]}\n";
    if (!out) throw Error("bench_train: writing " + tmp + " failed");
  }
  std::rename(tmp.c_str(), path.c_str());
}

// The parts of Trainer::step for one rank, timed one by one (thread CPU seconds added into `t`).
void timed_step(BenchTask& task, bertgrid::train::FlatParams& flat, bertgrid::train::AdamW& adamw,
                const std::vector<int64_t>& rows, double lr, std::map<std::string, double>& t) {
  double start = thread_cpu_seconds();
  auto lap = [&](const char* name) {
    const double now = thread_cpu_seconds();
    t[name] += now - start;
    start = now;
  };
  flat.zero_grad();
  lap("zero_grad");
  torch::Tensor loss = task.loss_sum(task.inputs(rows));
  const double loss_value = loss.item<double>();
  lap("forward");
  (loss / static_cast<double>(rows.size())).backward();
  lap("backward");
  bertgrid::train::clip_grad_norm(flat, 1.0);
  lap("clip");
  adamw.step(lr);
  lap("adamw");
  if (!std::isfinite(loss_value)) throw Error("bench_train: loss is not finite");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    bertgrid::set_compute_threads(o.threads);
    torch::manual_seed(0);

    auto tok = bertgrid::text::Tokenizer::from_vocab_file(
        o.shared + "/data/bert-base-uncased-vocab/vocab.txt");
    const auto examples = bertgrid::text::read_vicomtech_split(
        o.shared + "/data/hate-speech-dataset", "sampled_train", bertgrid::text::LabelMap{});
    std::vector<std::vector<int32_t>> ids;
    std::vector<int64_t> labels;
    for (const auto& ex : examples) {
      ids.push_back(tok.encode(ex.text, 512));
      labels.push_back(ex.label);
    }

    const auto config = bertgrid::bench::shape_config(o.shape);
    bertgrid::model::DistilBertForSequenceClassification model(config);
    bertgrid::model::init_weights(*model, config, /*seed=*/42);
    model->train();
    BenchTask task(model, ids, labels, tok.pad_id());

    const int64_t total = o.warmup + o.steps * o.repeats;
    bertgrid::train::TrainerSettings settings;  // batch 16, lr 5e-5, wd 0.01, clip 1.0
    settings.max_steps = total;
    bertgrid::train::Trainer trainer(task, settings);

    // The step order: the seeded shuffle of the train set, batch after batch, over epochs.
    std::vector<std::vector<int64_t>> batches;
    for (int64_t epoch = 0; static_cast<int64_t>(batches.size()) < total; ++epoch) {
      const auto order = bertgrid::text::epoch_permutation(0, epoch, task.num_train());
      for (auto& b : bertgrid::text::make_batches(order, settings.batch_size)) {
        if (static_cast<int64_t>(b.size()) == settings.batch_size) batches.push_back(std::move(b));
      }
    }
    batches.resize(static_cast<size_t>(total));
    if (!o.ids_out.empty()) write_ids(o.ids_out, o, batches, ids, labels, tok.pad_id());

    size_t next = 0;
    for (int64_t s = 0; s < o.warmup; ++s) trainer.step(batches[next++]);
    trainer.sync();

    std::vector<double> rates;
    std::map<std::string, double> phase_seconds;
    for (int64_t r = 0; r < o.repeats; ++r) {
      int64_t samples = 0;
      const auto start = Clock::now();
      for (int64_t s = 0; s < o.steps; ++s) {
        const auto& rows = batches[next++];
        if (o.phases) {
          const double lr = 5e-5 * static_cast<double>(total - (o.warmup + r * o.steps + s)) /
                            static_cast<double>(total);
          timed_step(task, trainer.flat(), trainer.optimizer(), rows, lr, phase_seconds);
        } else {
          trainer.step(rows);
        }
        samples += static_cast<int64_t>(rows.size());
      }
      if (!o.phases) trainer.sync();  // the device has finished the steps timed
      const double secs = seconds_since(start);
      rates.push_back(static_cast<double>(samples) / secs);
      std::printf("repeat %lld: %.2f samples/s (%.1f ms/step)\n", static_cast<long long>(r + 1),
                  rates.back(), secs * 1e3 / static_cast<double>(o.steps));
    }
    if (o.phases) {
      const double n = static_cast<double>(o.steps * o.repeats);
      for (const auto& [name, secs] : phase_seconds) {
        std::printf("phase %-10s %8.2f CPU ms/step\n", name.c_str(), secs * 1e3 / n);
      }
    }
    std::sort(rates.begin(), rates.end());
    std::printf("median %.3f samples/s (shape %s, threads %d, %lld steps x %lld repeats)\n",
                rates[rates.size() / 2], o.shape.c_str(), o.threads,
                static_cast<long long>(o.steps), static_cast<long long>(o.repeats));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
