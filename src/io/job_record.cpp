#include "io/job_record.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace bertgrid {
namespace {

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The shortest text that reads back as the same double.
std::string number(double x) {
  if (std::isnan(x)) return "nan";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

std::string optional_number(const std::optional<double>& x) {
  return x ? number(*x) : "";
}

}  // namespace

std::string job_record_csv_header() {
  return "job_id,kind,epochs,strategy,init_seed,data_seed,batch_size,learning_rate,weight_decay,"
         "warmup_steps,eval_loss,eval_accHate,eval_accNoHate,eval_accAll,eval_precision_hate,"
         "eval_recall_hate,eval_f1_hate,eval_train_loss,val_loss,val_accAll,train_seconds,status,"
         "error";
}

std::string job_record_csv_row(const JobRecord& r) {
  std::ostringstream out;
  out << csv_quote(r.job_id) << ',' << csv_quote(r.kind) << ',' << r.epochs << ','
      << csv_quote(r.strategy) << ',' << r.init_seed << ',' << r.data_seed << ',' << r.batch_size
      << ',' << number(r.learning_rate) << ',' << number(r.weight_decay) << ',' << r.warmup_steps
      << ',' << number(r.eval_loss) << ',' << number(r.eval_accHate) << ','
      << number(r.eval_accNoHate) << ',' << number(r.eval_accAll) << ','
      << number(r.eval_precision_hate) << ',' << number(r.eval_recall_hate) << ','
      << number(r.eval_f1_hate) << ',' << number(r.eval_train_loss) << ','
      << optional_number(r.val_loss) << ',' << optional_number(r.val_accAll) << ','
      << number(r.train_seconds) << ',' << csv_quote(r.status) << ',' << csv_quote(r.error);
  return out.str();
}

std::string job_records_csv(const std::vector<JobRecord>& records) {
  std::string out = job_record_csv_header() + "\n";
  for (const auto& r : records) out += job_record_csv_row(r) + "\n";
  return out;
}

nlohmann::json to_json(const JobRecord& r) {
  // NaN is not JSON: a metric that is undefined (e.g. an empty class) is written as null.
  auto num = [](double x) -> nlohmann::json {
    return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x);
  };
  nlohmann::json j = {
      {"job_id", r.job_id},
      {"kind", r.kind},
      {"epochs", r.epochs},
      {"strategy", r.strategy},
      {"init_seed", r.init_seed},
      {"data_seed", r.data_seed},
      {"batch_size", r.batch_size},
      {"learning_rate", r.learning_rate},
      {"weight_decay", r.weight_decay},
      {"warmup_steps", r.warmup_steps},
      {"eval_loss", num(r.eval_loss)},
      {"eval_accHate", num(r.eval_accHate)},
      {"eval_accNoHate", num(r.eval_accNoHate)},
      {"eval_accAll", num(r.eval_accAll)},
      {"eval_precision_hate", num(r.eval_precision_hate)},
      {"eval_recall_hate", num(r.eval_recall_hate)},
      {"eval_f1_hate", num(r.eval_f1_hate)},
      {"eval_train_loss", num(r.eval_train_loss)},
      {"val_loss", r.val_loss ? num(*r.val_loss) : nlohmann::json(nullptr)},
      {"val_accAll", r.val_accAll ? num(*r.val_accAll) : nlohmann::json(nullptr)},
      {"train_seconds", r.train_seconds},
      {"status", r.status},
      {"error", r.error},
      {"confusion", r.confusion},
  };
  return j;
}

JobRecord job_record_from_json(const nlohmann::json& j) {
  auto num = [&](const char* key) {
    const auto& v = j.at(key);
    return v.is_null() ? std::nan("") : v.get<double>();
  };
  auto opt = [&](const char* key) -> std::optional<double> {
    if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
    return j.at(key).get<double>();
  };
  try {
    JobRecord r;
    r.job_id = j.at("job_id").get<std::string>();
    r.kind = j.at("kind").get<std::string>();
    r.epochs = j.at("epochs").get<int64_t>();
    r.strategy = j.at("strategy").get<std::string>();
    r.init_seed = j.at("init_seed").get<uint64_t>();
    r.data_seed = j.at("data_seed").get<uint64_t>();
    r.batch_size = j.at("batch_size").get<int64_t>();
    r.learning_rate = j.at("learning_rate").get<double>();
    r.weight_decay = j.at("weight_decay").get<double>();
    r.warmup_steps = j.at("warmup_steps").get<int64_t>();
    r.eval_loss = num("eval_loss");
    r.eval_accHate = num("eval_accHate");
    r.eval_accNoHate = num("eval_accNoHate");
    r.eval_accAll = num("eval_accAll");
    r.eval_precision_hate = num("eval_precision_hate");
    r.eval_recall_hate = num("eval_recall_hate");
    r.eval_f1_hate = num("eval_f1_hate");
    r.eval_train_loss = num("eval_train_loss");
    r.val_loss = opt("val_loss");
    r.val_accAll = opt("val_accAll");
    r.train_seconds = j.at("train_seconds").get<double>();
    r.status = j.at("status").get<std::string>();
    r.error = j.at("error").get<std::string>();
    if (j.contains("confusion")) r.confusion = j.at("confusion").get<decltype(r.confusion)>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("job record: ") + e.what());
  }
}

}  // namespace bertgrid
