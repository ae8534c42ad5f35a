#include "io/job_record.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <variant>

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

// The record's columns, in the CSV's order: each a name and the member it holds. Both formats
// are written from this table; per-format rules follow the value's type (see csv_cell and
// json_value). `confusion` is beside the table: JSON only.
using Member = std::variant<std::string JobRecord::*, JobKind JobRecord::*, JobStatus JobRecord::*,
                            int64_t JobRecord::*, uint64_t JobRecord::*, double JobRecord::*,
                            std::optional<double> JobRecord::*>;
struct Field {
  const char* name;
  Member member;
  bool null_for_nan;  // JSON: a NaN metric is written as null (NaN is not JSON)
};

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"job_id", &JobRecord::job_id, false},
      {"kind", &JobRecord::kind, false},
      {"epochs", &JobRecord::epochs, false},
      {"strategy", &JobRecord::strategy, false},
      {"init_seed", &JobRecord::init_seed, false},
      {"data_seed", &JobRecord::data_seed, false},
      {"batch_size", &JobRecord::batch_size, false},
      {"learning_rate", &JobRecord::learning_rate, false},
      {"weight_decay", &JobRecord::weight_decay, false},
      {"warmup_steps", &JobRecord::warmup_steps, false},
      {"eval_loss", &JobRecord::eval_loss, true},
      {"eval_accHate", &JobRecord::eval_accHate, true},
      {"eval_accNoHate", &JobRecord::eval_accNoHate, true},
      {"eval_accAll", &JobRecord::eval_accAll, true},
      {"eval_precision_hate", &JobRecord::eval_precision_hate, true},
      {"eval_recall_hate", &JobRecord::eval_recall_hate, true},
      {"eval_f1_hate", &JobRecord::eval_f1_hate, true},
      {"eval_train_loss", &JobRecord::eval_train_loss, true},
      {"val_loss", &JobRecord::val_loss, true},
      {"val_accAll", &JobRecord::val_accAll, true},
      {"train_seconds", &JobRecord::train_seconds, false},
      {"status", &JobRecord::status, false},
      {"error", &JobRecord::error, false},
  };
  return table;
}

// CSV: text quoted where needed, a choice by its name, integers as they are, reals in their
// shortest exact form ("nan" for NaN), a missing optional empty.
std::string csv_cell(const JobRecord& r, const Member& member) {
  struct Cell {
    const JobRecord& r;
    std::string operator()(std::string JobRecord::*m) const { return csv_quote(r.*m); }
    std::string operator()(JobKind JobRecord::*m) const { return to_string(r.*m); }
    std::string operator()(JobStatus JobRecord::*m) const { return to_string(r.*m); }
    std::string operator()(int64_t JobRecord::*m) const { return std::to_string(r.*m); }
    std::string operator()(uint64_t JobRecord::*m) const { return std::to_string(r.*m); }
    std::string operator()(double JobRecord::*m) const { return number(r.*m); }
    std::string operator()(std::optional<double> JobRecord::*m) const {
      return optional_number(r.*m);
    }
  };
  return std::visit(Cell{r}, member);
}

// JSON: a missing optional is null; with null_for_nan, so is NaN.
nlohmann::json json_value(const JobRecord& r, const Field& f) {
  struct Value {
    const JobRecord& r;
    bool null_for_nan;
    nlohmann::json real(double x) const {
      return null_for_nan && std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x);
    }
    nlohmann::json operator()(std::string JobRecord::*m) const { return r.*m; }
    nlohmann::json operator()(JobKind JobRecord::*m) const { return to_string(r.*m); }
    nlohmann::json operator()(JobStatus JobRecord::*m) const { return to_string(r.*m); }
    nlohmann::json operator()(int64_t JobRecord::*m) const { return r.*m; }
    nlohmann::json operator()(uint64_t JobRecord::*m) const { return r.*m; }
    nlohmann::json operator()(double JobRecord::*m) const { return real(r.*m); }
    nlohmann::json operator()(std::optional<double> JobRecord::*m) const {
      return r.*m ? real(*(r.*m)) : nlohmann::json(nullptr);
    }
  };
  return std::visit(Value{r, f.null_for_nan}, f.member);
}

template <typename E>
E choice_at(const nlohmann::json& j, const char* key) {
  return choice_from_string<E>(j.at(key).get<std::string>());
}

// Reads one field from `j`. Every key must be present, but an optional's may be missing; a null
// real reads as NaN.
void read_field(const nlohmann::json& j, const Field& f, JobRecord& r) {
  struct Read {
    const nlohmann::json& j;
    const char* key;
    JobRecord& r;
    void operator()(std::string JobRecord::*m) const { r.*m = j.at(key).get<std::string>(); }
    void operator()(JobKind JobRecord::*m) const { r.*m = choice_at<JobKind>(j, key); }
    void operator()(JobStatus JobRecord::*m) const { r.*m = choice_at<JobStatus>(j, key); }
    void operator()(int64_t JobRecord::*m) const { r.*m = j.at(key).get<int64_t>(); }
    void operator()(uint64_t JobRecord::*m) const { r.*m = j.at(key).get<uint64_t>(); }
    void operator()(double JobRecord::*m) const {
      const auto& v = j.at(key);
      r.*m = v.is_null() ? std::nan("") : v.get<double>();
    }
    void operator()(std::optional<double> JobRecord::*m) const {
      if (!j.contains(key) || j.at(key).is_null())
        r.*m = std::nullopt;
      else
        r.*m = j.at(key).get<double>();
    }
  };
  std::visit(Read{j, f.name, r}, f.member);
}

}  // namespace

std::string job_record_csv_header() {
  std::string header;
  for (const auto& f : fields()) header += (header.empty() ? "" : ",") + std::string(f.name);
  return header;
}

std::string job_record_csv_row(const JobRecord& r) {
  std::string row;
  bool first = true;
  for (const auto& f : fields()) {
    if (!first) row += ',';
    row += csv_cell(r, f.member);
    first = false;
  }
  return row;
}

std::string job_records_csv(const std::vector<JobRecord>& records) {
  std::string out = job_record_csv_header() + "\n";
  for (const auto& r : records) out += job_record_csv_row(r) + "\n";
  return out;
}

nlohmann::json to_json(const JobRecord& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : fields()) j[f.name] = json_value(r, f);
  j["confusion"] = r.confusion;
  return j;
}

JobRecord job_record_from_json(const nlohmann::json& j) {
  JobRecord r;
  const char* key = "";
  try {
    for (const auto& f : fields()) {
      key = f.name;
      read_field(j, f, r);
    }
    key = "confusion";
    if (j.contains("confusion")) r.confusion = j.at("confusion").get<decltype(r.confusion)>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("job record: key '") + key + "': " + e.what());
  } catch (const Error& e) {
    throw Error(std::string("job record: key '") + key + "': " + e.what());
  }
}

}  // namespace bertgrid
