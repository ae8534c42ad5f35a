// libFuzzer target: bertgrid's own validation of embeddings.h5 (io::read_embeddings_h5), not
// libhdf5's byte parser. The input is decoded (Reader, front to back, so scripts/fuzz_seeds.py
// can spell valid files) into a STRUCTURED description —
// root attributes of various types or absent, split groups (or non-groups) with labels, file_ids
// and strategy datasets of chosen dtypes, ranks and shapes, odd names — which is written with the
// HDF5 C API to a scratch file, then read back. The reader must either throw bertgrid::Error or
// return a file whose shapes are consistent (and whose labels are the ones written).
#include <hdf5.h>

#include <map>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "io/embeddings_h5.h"

using namespace bertgrid;

namespace {

// Decodes the input front to back; past its end every byte reads as 0.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  // A value in [lo, hi] from one byte.
  template <typename T = int>
  T range(T lo, T hi) {
    return static_cast<T>(lo + static_cast<T>(byte() % (hi - lo + 1)));
  }
  bool flag() { return byte() & 1; }
  // A length byte (mod max + 1), then that many bytes: invalid UTF-8 and NULs included.
  std::string str(size_t max) {
    const size_t n = range<size_t>(0, max);
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(byte()));
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Closes an HDF5 id on scope exit (negative ids: creation failed, nothing to close).
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  Id(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Id() {
    if (id >= 0) close(id);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  bool ok() const { return id >= 0; }
};

hid_t vlen_string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

Id simple_space(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return Id(H5Screate(H5S_SCALAR), H5Sclose);
  return Id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

hsize_t count_of(const std::vector<hsize_t>& dims) {
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  return n;
}

// A string of up to `max` bytes (arbitrary bytes: invalid UTF-8 and NULs included).
std::string some_string(Reader& in, size_t max) {
  return in.str(max);
}

std::string pick_name(Reader& in, std::initializer_list<const char*> known) {
  const size_t k = in.range<size_t>(0, known.size());
  if (k < known.size()) return *(known.begin() + k);
  return some_string(in, 8);
}

// Writes an attribute or dataset of `kind` under `parent` named `name` with shape `dims`.
// Kinds: 0 int32, 1 int64, 2 uint32, 3 float32, 4 float64, 5 vlen string, 6 fixed string, 7 uint8.
void write_object(hid_t parent, const std::string& name, int kind, const std::vector<hsize_t>& dims,
                  bool attribute, Reader& in) {
  const hsize_t n = count_of(dims);
  Id space = simple_space(dims);
  if (!space.ok()) return;
  hid_t file_type = -1, mem_type = -1;
  std::vector<unsigned char> bytes;
  std::vector<std::string> strings;
  std::vector<const char*> ptrs;
  Id owned_type(-1, H5Tclose);
  switch (kind) {
    case 0:
      file_type = H5T_STD_I32LE, mem_type = H5T_NATIVE_INT32;
      break;
    case 1:
      file_type = H5T_STD_I64LE, mem_type = H5T_NATIVE_INT64;
      break;
    case 2:
      file_type = H5T_STD_U32LE, mem_type = H5T_NATIVE_UINT32;
      break;
    case 3:
      file_type = H5T_IEEE_F32LE, mem_type = H5T_NATIVE_FLOAT;
      break;
    case 4:
      file_type = H5T_IEEE_F64LE, mem_type = H5T_NATIVE_DOUBLE;
      break;
    case 7:
      file_type = H5T_STD_U8LE, mem_type = H5T_NATIVE_UINT8;
      break;
    case 5: {
      owned_type.id = vlen_string_type();
      file_type = mem_type = owned_type.id;
      for (hsize_t i = 0; i < n; ++i) strings.push_back(some_string(in, 12));
      for (const auto& s : strings) ptrs.push_back(s.c_str());
      break;
    }
    default: {  // fixed-length strings, padded as the input says
      const size_t width = in.range<size_t>(1, 8);
      owned_type.id = H5Tcopy(H5T_C_S1);
      H5Tset_size(owned_type.id, width);
      H5Tset_strpad(owned_type.id, in.flag() ? H5T_STR_NULLPAD : H5T_STR_SPACEPAD);
      file_type = mem_type = owned_type.id;
      bytes.resize(width * n);
      for (auto& b : bytes) b = in.byte();
      break;
    }
  }
  if (kind != 5 && kind != 6) {
    bytes.resize(H5Tget_size(mem_type) * n);
    for (auto& b : bytes) b = in.byte();
  }
  const void* buf = kind == 5 ? static_cast<const void*>(ptrs.data()) : bytes.data();
  if (attribute) {
    Id a(H5Acreate2(parent, name.c_str(), file_type, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (a.ok() && n > 0) H5Awrite(a.id, mem_type, buf);
  } else {
    Id d(H5Dcreate2(parent, name.c_str(), file_type, space.id, H5P_DEFAULT, H5P_DEFAULT,
                    H5P_DEFAULT),
         H5Dclose);
    if (d.ok() && n > 0) H5Dwrite(d.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  }
}

// A shape: usually the expected rank with lengths near `rows`, sometimes another rank.
std::vector<hsize_t> some_dims(Reader& in, size_t rank, hsize_t rows) {
  if (in.range(0, 7) == 0) rank = in.range<size_t>(0, 3);
  std::vector<hsize_t> dims(rank);
  for (size_t i = 0; i < rank; ++i)
    dims[i] = (i == 0 && in.flag()) ? rows : in.range<hsize_t>(0, 5);
  return dims;
}

struct Written {
  std::map<std::string, std::vector<int32_t>> labels;  // splits whose labels are int32 [N]
};

void write_split(hid_t file, const std::string& name, Reader& in, Written& written) {
  if (in.range(0, 15) == 0) {  // a dataset where a split group belongs
    write_object(file, name, in.range(0, 7), some_dims(in, 1, 2), false, in);
    return;
  }
  Id group(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!group.ok()) return;  // an invalid or repeated name
  const hsize_t rows = in.range<hsize_t>(0, 4);
  const int label_kind = in.range(0, 9);  // 8: absent, 9: a group
  if (label_kind == 9) {
    Id g(H5Gcreate2(group.id, "labels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  } else if (label_kind < 8) {
    const std::vector<hsize_t> dims = some_dims(in, 1, rows);
    write_object(group.id, "labels", label_kind, dims, false, in);
    if (label_kind == 0 && dims.size() == 1) {
      // Re-read what was written so the reader's labels can be compared with it.
      Id d(H5Dopen2(group.id, "labels", H5P_DEFAULT), H5Dclose);
      std::vector<int32_t> values(dims[0]);
      if (d.ok() && (values.empty() || H5Dread(d.id, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL,
                                               H5P_DEFAULT, values.data()) >= 0))
        written.labels[name] = values;
    }
  }
  const int id_kind = in.range(0, 9);  // 8: absent, 9: a group
  if (id_kind == 9) {
    Id g(H5Gcreate2(group.id, "file_ids", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  } else if (id_kind < 8) {
    const int kind = in.flag() ? 5 : id_kind;
    write_object(group.id, "file_ids", kind, some_dims(in, 1, rows), false, in);
  }
  const int strategies = in.range(0, 3);
  for (int s = 0; s < strategies; ++s) {
    const std::string strategy = pick_name(in, {"CLS", "LAST_MEAN", "MAX", "SECOND_LAST_MEAN"});
    if (in.range(0, 15) == 0) {
      Id g(H5Gcreate2(group.id, strategy.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      continue;
    }
    const int kind = in.flag() ? 3 : in.range(0, 7);
    write_object(group.id, strategy, kind, some_dims(in, 2, rows), false, in);
  }
}

// Writes the file the input describes; returns what the checks need to know.
Written write_described_file(const std::string& path, Reader& in) {
  Written written;
  Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  fuzz::require(file.ok(), "cannot create the scratch HDF5 file");
  for (const char* key : {"model", "pooling", "precision", "fingerprint", "max_length", "extra"}) {
    const int kind = in.range(0, 8);  // 8: absent
    if (kind == 8) continue;
    const std::string name = std::string(key) == "extra" ? some_string(in, 8) : key;
    write_object(file.id, name, kind, some_dims(in, 0, 1), true, in);
  }
  const int splits = in.range(0, 3);
  for (int s = 0; s < splits; ++s)
    write_split(file.id, pick_name(in, {"train", "test", "dev"}), in, written);
  return written;
}

void check_result(const io::EmbeddingsFile& f, const Written& written) {
  for (const char* key : {"model", "pooling", "precision", "fingerprint"})
    fuzz::require(f.attrs_str.count(key) == 1, "string attributes present");
  fuzz::require(f.attrs_int.count("max_length") == 1, "max_length present");
  fuzz::require(!f.splits.empty(), "at least one split");
  const io::SplitEmbeddings& first = f.splits.begin()->second;
  for (const auto& [name, split] : f.splits) {
    const size_t n = split.labels.size();
    fuzz::require(split.file_ids.size() == n, "file_ids match labels");
    fuzz::require(!split.by_strategy.empty(), "at least one strategy");
    fuzz::require(split.by_strategy.size() == first.by_strategy.size(), "same strategies");
    for (const auto& [strategy, t] : split.by_strategy) {
      fuzz::require(t.dim() == 2 && t.size(0) == static_cast<int64_t>(n), "[N, dim] embeddings");
      fuzz::require(t.scalar_type() == torch::kFloat32, "float32 embeddings");
      const auto other = first.by_strategy.find(strategy);
      fuzz::require(other != first.by_strategy.end(), "strategy in every split");
      fuzz::require(other->second.size(1) == t.size(1), "same width in every split");
    }
    const auto w = written.labels.find(name);
    if (w != written.labels.end()) fuzz::require(w->second == split.labels, "labels as written");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), true);
  (void)quiet;
  Reader in(data, size);
  const std::string path = fuzz::scratch_path("embeddings.h5");
  const Written written = write_described_file(path, in);
  io::EmbeddingsFile f;
  if (fuzz::accepts([&] { f = io::read_embeddings_h5(path); })) check_result(f, written);
  return 0;
}
