// Safetensors reader and writer: header validation, tensor copies, atomic file writes.
#include "model/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"

namespace bertgrid::model {
namespace {

// Tensor bytes are copied as they are, so the host must be little-endian like the format.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O assumes a little-endian host");

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";

struct Dtype {
  const char* name;
  torch::ScalarType type;
  std::uint64_t itemsize;
};

constexpr Dtype kDtypes[] = {
    {"F64", torch::kDouble, 8},    {"F32", torch::kFloat, 4}, {"F16", torch::kHalf, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kLong, 8},  {"I32", torch::kInt, 4},
    {"I16", torch::kShort, 2},     {"I8", torch::kChar, 1},   {"U8", torch::kByte, 1},
    {"BOOL", torch::kBool, 1},
};

const Dtype* dtype_by_name(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const Dtype* dtype_by_type(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (type == d.type) return &d;
  return nullptr;
}

std::string supported_dtypes() {
  std::string out;
  for (const auto& d : kDtypes) out += std::string(out.empty() ? "" : ", ") + d.name;
  return out;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

[[noreturn]] void fail(const std::string& file, const std::string& message) {
  throw Error(file + ": " + message);
}

// One validated header entry.
struct Entry {
  std::string name;
  const Dtype* dtype = nullptr;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

bool is_count(const Json& v) {
  return v.is_number_unsigned() &&
         v.get<std::uint64_t>() <=
             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

Entry parse_entry(const std::string& file, const std::string& name, const Json& value,
                  std::uint64_t buffer_size) {
  const std::string where = "tensor " + quoted(name);
  if (!value.is_object())
    fail(file, where + ": header entry is not a JSON object: " + value.dump());
  auto field = [&](const char* key) -> const Json& {
    auto it = value.find(key);
    if (it == value.end()) fail(file, where + ": header entry has no \"" + key + "\"");
    return *it;
  };
  Entry e;
  e.name = name;

  const Json& dtype = field("dtype");
  if (!dtype.is_string()) fail(file, where + ": \"dtype\" is not a string: " + dtype.dump());
  e.dtype = dtype_by_name(dtype.get<std::string>());
  if (!e.dtype)
    fail(file, where + ": unsupported dtype " + dtype.dump() +
                   " (supported: " + supported_dtypes() + ")");

  const Json& shape = field("shape");
  bool shape_ok = shape.is_array() && std::all_of(shape.begin(), shape.end(), is_count);
  if (!shape_ok)
    fail(file, where + ": \"shape\" is not an array of non-negative integers: " + shape.dump());
  for (const auto& d : shape) e.shape.push_back(d.get<std::int64_t>());

  const Json& offsets = field("data_offsets");
  bool offsets_ok = offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                    offsets[1].is_number_unsigned();
  if (!offsets_ok)
    fail(file, where + ": \"data_offsets\" is not an array of two non-negative integers: " +
                   offsets.dump());
  e.begin = offsets[0].get<std::uint64_t>();
  e.end = offsets[1].get<std::uint64_t>();
  const std::string offsets_text =
      "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end) fail(file, where + ": " + offsets_text + " have begin > end");
  if (e.end > buffer_size)
    fail(file, where + ": " + offsets_text + " go past the end of the data buffer (" +
                   std::to_string(buffer_size) + " bytes)");

  // numel * itemsize, with overflow detection (a zero dimension makes any shape empty).
  std::uint64_t numel = 1;
  bool overflow = false;
  bool empty = std::any_of(e.shape.begin(), e.shape.end(), [](std::int64_t d) { return d == 0; });
  if (empty) {
    numel = 0;
  } else {
    for (std::int64_t d : e.shape)
      overflow = overflow || __builtin_mul_overflow(numel, static_cast<std::uint64_t>(d), &numel);
  }
  std::uint64_t needed = 0;
  overflow = overflow || __builtin_mul_overflow(numel, e.dtype->itemsize, &needed);
  const std::string described =
      where + " (shape " + shape_string(e.shape) + ", " + e.dtype->name + ")";
  if (overflow) fail(file, described + ": the shape has too many elements");
  if (needed != e.end - e.begin)
    fail(file, described + " has " + std::to_string(e.end - e.begin) + " bytes (" + offsets_text +
                   ") but needs " + std::to_string(needed) + " = " + std::to_string(numel) +
                   " elements x " + std::to_string(e.dtype->itemsize) + " bytes");
  return e;
}

std::uint64_t read_u64_le(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The header JSON, rejecting duplicate top-level names (plain JSON parsing would keep only one).
Json parse_header_json(const std::string& file, std::string_view text) {
  std::set<std::string> seen;
  auto on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second) fail(file, "duplicate name " + quoted(key) + " in the header");
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(text.data(), text.data() + text.size(), on_event);
  } catch (const Json::exception& e) {
    fail(file, std::string("malformed header JSON: ") + e.what());
  }
  if (!header.is_object())
    fail(file, "the header is not a JSON object: it is a JSON " + std::string(header.type_name()));
  return header;
}

std::map<std::string, std::string> parse_metadata(const std::string& file, const Json& value) {
  if (!value.is_object()) fail(file, "\"__metadata__\" is not a JSON object: " + value.dump());
  std::map<std::string, std::string> out;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string())
      fail(file, "\"__metadata__\" value of " + quoted(key) + " is not a string: " + v.dump());
    out[key] = v.get<std::string>();
  }
  return out;
}

// Tensors in order of their offsets; no two non-empty ones may share a byte.
void sort_and_check_overlaps(const std::string& file, std::vector<Entry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  const Entry* reach = nullptr;  // the non-empty tensor seen so far that ends last
  for (const auto& e : entries) {
    if (e.begin == e.end) continue;
    if (reach && e.begin < reach->end)
      fail(file, "tensors " + quoted(reach->name) + " (data_offsets [" +
                     std::to_string(reach->begin) + ", " + std::to_string(reach->end) + "]) and " +
                     quoted(e.name) + " (data_offsets [" + std::to_string(e.begin) + ", " +
                     std::to_string(e.end) + "]) overlap");
    if (!reach || e.end > reach->end) reach = &e;
  }
}

// ---- writing ---------------------------------------------------------------------------------

struct Prepared {
  std::string name;
  torch::Tensor data;  // CPU, contiguous
  const Dtype* dtype;
};

std::vector<Prepared> prepare(const std::string& context,
                              const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  auto format = metadata.find("format");
  if (format != metadata.end() && format->second != "pt")
    fail(context, "metadata \"format\" must be \"pt\" (got " + quoted(format->second) + ")");
  for (const auto& [key, value] : metadata) {
    try {
      (void)Json(key).dump();
      (void)Json(value).dump();
    } catch (const Json::exception&) {
      fail(context, "metadata key or value of " + quoted(key) + " is not valid UTF-8");
    }
  }
  std::vector<Prepared> out;
  std::set<std::string> seen;
  for (const auto& [name, tensor] : tensors) {
    const std::string where = "tensor " + quoted(name);
    if (name == kMetadataKey) fail(context, "a tensor cannot be named \"__metadata__\"");
    if (!seen.insert(name).second) fail(context, "duplicate tensor name " + quoted(name));
    try {
      (void)Json(name).dump();
    } catch (const Json::exception&) {
      fail(context, where + ": the name is not valid UTF-8");
    }
    if (!tensor.defined()) fail(context, where + " is undefined");
    const Dtype* dtype = dtype_by_type(tensor.scalar_type());
    if (!dtype)
      fail(context, where + ": cannot store dtype " +
                        std::string(c10::toString(tensor.scalar_type())) +
                        " (supported: " + supported_dtypes() + ")");
    out.push_back({name, tensor.detach().to(torch::kCPU).contiguous(), dtype});
  }
  return out;
}

// The JSON header, padded with spaces to a multiple of 8 bytes as HF does.
std::string make_header(const std::vector<Prepared>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  OrderedJson header = OrderedJson::object();
  OrderedJson meta = OrderedJson::object();
  meta["format"] = "pt";
  for (const auto& [key, value] : metadata) meta[key] = value;
  header[kMetadataKey] = meta;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::uint64_t nbytes = t.data.numel() * t.dtype->itemsize;
    OrderedJson entry = OrderedJson::object();
    entry["dtype"] = t.dtype->name;
    entry["shape"] = t.data.sizes().vec();
    entry["data_offsets"] = OrderedJson::array({offset, offset + nbytes});
    header[t.name] = std::move(entry);
    offset += nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

// Emits the whole file, piece by piece, to `sink`.
void emit(const std::vector<Prepared>& tensors, const std::map<std::string, std::string>& metadata,
          const std::function<void(const char*, std::size_t)>& sink) {
  const std::string header = make_header(tensors, metadata);
  char prefix[8];
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  sink(prefix, 8);
  sink(header.data(), header.size());
  for (const auto& t : tensors) {
    const std::size_t nbytes = t.data.numel() * t.dtype->itemsize;
    if (nbytes) sink(static_cast<const char*>(t.data.data_ptr()), nbytes);
  }
}

}  // namespace

const torch::Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name_for_errors) {
  const std::string& file = name_for_errors;
  if (bytes.size() < 8)
    fail(file, "truncated file: " + std::to_string(bytes.size()) +
                   " bytes, but a safetensors file starts with an 8-byte header length");
  const std::uint64_t header_len = read_u64_le(bytes.data());
  if (header_len > kMaxSafetensorsHeaderBytes)
    fail(file, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                   std::to_string(kMaxSafetensorsHeaderBytes) +
                   " bytes (corrupt or not a safetensors file)");
  if (header_len > bytes.size() - 8)
    fail(file, "header length " + std::to_string(header_len) + " goes past the end of the file (" +
                   std::to_string(bytes.size()) + " bytes, so at most " +
                   std::to_string(bytes.size() - 8) + " after the 8-byte length)");

  const Json header = parse_header_json(file, bytes.substr(8, header_len));
  const std::string_view buffer = bytes.substr(8 + header_len);

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey)
      out.metadata = parse_metadata(file, value);
    else
      entries.push_back(parse_entry(file, name, value, buffer.size()));
  }
  sort_and_check_overlaps(file, entries);

  out.tensors.reserve(entries.size());
  for (const auto& e : entries) {
    const char* src = buffer.data() + e.begin;
    const std::size_t nbytes = e.end - e.begin;
    if (e.dtype->type == torch::kBool) {
      auto bad = std::find_if(src, src + nbytes, [](char c) { return c != 0 && c != 1; });
      if (bad != src + nbytes)
        fail(file, "tensor " + quoted(e.name) + " (BOOL): byte " + std::to_string(bad - src) +
                       " is " + std::to_string(static_cast<unsigned char>(*bad)) + ", not 0 or 1");
    }
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
    if (nbytes) std::memcpy(t.data_ptr(), src, nbytes);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

SafetensorsFile load_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path, "the safetensors file"), path);
}

std::string serialize_safetensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  const auto prepared = prepare("serialize_safetensors", tensors, metadata);
  std::string out;
  emit(prepared, metadata, [&](const char* p, std::size_t n) { out.append(p, n); });
  return out;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const auto prepared = prepare(path, tensors, metadata);
  AtomicFile out(path);
  emit(prepared, metadata, [&](const char* p, std::size_t n) { out.write({p, n}); });
  out.commit();
}

}  // namespace bertgrid::model
