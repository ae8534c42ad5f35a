#include "io/embeddings_h5.h"

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/hdf5.h"

namespace bertgrid::io {
namespace {

using h5::check;
using h5::checked;
using h5::Handle;

constexpr const char* kLabels = "labels";
constexpr const char* kFileIds = "file_ids";
const char* const kRequiredStrings[] = {"model", "pooling", "precision", "fingerprint"};
const char* const kRequiredInts[] = {"max_length"};

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string shape_text(const torch::Tensor& t) {
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  return shape_text(dims);
}

bool valid_name(const std::string& name) {
  return !name.empty() && name != "." && name.find('/') == std::string::npos;
}

// Checks everything the reader will check, before the file is created.
void validate_for_write(const std::string& path, const EmbeddingsFile& file) {
  for (const char* key : kRequiredStrings) {
    if (!file.attrs_str.count(key)) throw Error(path + ": missing string attribute '" + key + "'");
  }
  for (const char* key : kRequiredInts) {
    if (!file.attrs_int.count(key)) throw Error(path + ": missing integer attribute '" + key + "'");
  }
  for (const auto& [key, value] : file.attrs_int) {
    if (file.attrs_str.count(key)) {
      throw Error(path + ": attribute '" + key + "' is given as both a string and an integer");
    }
  }
  if (file.splits.empty()) throw Error(path + ": no splits to write");
  const auto& [first_name, first] = *file.splits.begin();
  for (const auto& [split_name, split] : file.splits) {
    const std::string group = path + ": /" + split_name;
    if (!valid_name(split_name)) throw Error(path + ": invalid split name '" + split_name + "'");
    const std::size_t n = split.labels.size();
    if (split.file_ids.size() != n) {
      throw Error(group + " has " + std::to_string(split.file_ids.size()) + " file_ids but " +
                  std::to_string(n) + " labels");
    }
    if (split.by_strategy.empty()) throw Error(group + " has no embeddings");
    for (const auto& [strategy, t] : split.by_strategy) {
      const std::string where = group + "/" + strategy;
      if (!valid_name(strategy) || strategy == kLabels || strategy == kFileIds) {
        throw Error(path + ": invalid strategy name '" + strategy + "' in /" + split_name);
      }
      if (!t.defined()) throw Error(where + " is an undefined tensor");
      if (t.scalar_type() != torch::kFloat32 || t.dim() != 2 || !t.device().is_cpu()) {
        throw Error(where + " must be a 2-D float32 CPU tensor, got " + shape_text(t) + " " +
                    std::string(c10::toString(t.scalar_type())) + " on " + t.device().str());
      }
      if (static_cast<std::size_t>(t.size(0)) != n) {
        throw Error(where + " has shape " + shape_text(t) + " but there are " + std::to_string(n) +
                    " labels");
      }
      const auto other = first.by_strategy.find(strategy);
      if (other == first.by_strategy.end()) {
        throw Error(where + " has no counterpart in /" + first_name);
      }
      if (other->second.dim() == 2 && other->second.size(1) != t.size(1)) {
        throw Error(where + " has shape " + shape_text(t) + " but /" + first_name + "/" + strategy +
                    " has " + std::to_string(other->second.size(1)) + " columns");
      }
    }
    if (split.by_strategy.size() != first.by_strategy.size()) {
      throw Error(group + " has " + std::to_string(split.by_strategy.size()) + " strategies but /" +
                  first_name + " has " + std::to_string(first.by_strategy.size()));
    }
  }
}

void write_split(hid_t file, const std::string& name, const SplitEmbeddings& split,
                 const std::string& path) {
  const std::string group_ctx = path + ": /" + name;
  Handle group = checked(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                         H5Gclose, group_ctx + ": H5Gcreate2");
  h5::write_string_dataset(group.get(), kFileIds, split.file_ids, group_ctx + "/" + kFileIds);

  const std::string labels_ctx = group_ctx + "/" + kLabels;
  const hsize_t n = split.labels.size();
  Handle label_space = checked(H5Screate_simple(1, &n, nullptr), H5Sclose, labels_ctx);
  Handle labels = checked(H5Dcreate2(group.get(), kLabels, H5T_STD_I32LE, label_space.get(),
                                     H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose, labels_ctx + ": H5Dcreate2");
  if (n > 0) {
    check(H5Dwrite(labels.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                   split.labels.data()),
          labels_ctx + ": H5Dwrite");
  }
  labels.close(labels_ctx + ": H5Dclose");

  for (const auto& [strategy, tensor] : split.by_strategy) {
    const std::string ctx = group_ctx + "/" + strategy;
    const torch::Tensor t = tensor.contiguous();
    const hsize_t dims[2] = {static_cast<hsize_t>(t.size(0)), static_cast<hsize_t>(t.size(1))};
    Handle space = checked(H5Screate_simple(2, dims, nullptr), H5Sclose, ctx + ": H5Screate");
    Handle dset = checked(H5Dcreate2(group.get(), strategy.c_str(), H5T_IEEE_F32LE, space.get(),
                                     H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose, ctx + ": H5Dcreate2");
    if (t.numel() > 0) {
      check(H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     t.data_ptr<float>()),
            ctx + ": H5Dwrite");
    }
    dset.close(ctx + ": H5Dclose");
  }
  group.close(group_ctx + ": H5Gclose");
}

// Opens `name` in `parent` as a dataset, or throws naming what is there instead.
Handle open_dataset(hid_t parent, const std::string& name, const std::string& ctx) {
  Handle obj = checked(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose, ctx + ": H5Oopen");
  if (H5Iget_type(obj.get()) != H5I_DATASET) throw Error(ctx + " is not a dataset");
  obj.reset();
  return checked(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, ctx + ": H5Dopen2");
}

// Returns the dims of a dataset after checking its rank and type class/size.
std::vector<hsize_t> dataset_dims(hid_t dset, int rank, const std::string& ctx) {
  Handle space = checked(H5Dget_space(dset), H5Sclose, ctx + ": H5Dget_space");
  std::vector<hsize_t> dims = h5::dataspace_dims(space.get(), ctx);
  if (static_cast<int>(dims.size()) != rank) {
    throw Error(ctx + " has shape " + shape_text(dims) + ", expected " + std::to_string(rank) +
                "-D");
  }
  return dims;
}

void expect_type(hid_t dset, H5T_class_t cls, std::size_t size, const char* expected,
                 const std::string& ctx) {
  Handle type = checked(H5Dget_type(dset), H5Tclose, ctx + ": H5Dget_type");
  const bool size_ok = size == 0 || H5Tget_size(type.get()) == size;
  const bool sign_ok = cls != H5T_INTEGER || H5Tget_sign(type.get()) == H5T_SGN_2;
  if (H5Tget_class(type.get()) != cls || !size_ok || !sign_ok) {
    throw Error(ctx + " has type " + h5::describe_type(type.get()) + ", expected " + expected);
  }
}

SplitEmbeddings read_split(hid_t file, const std::string& name, const std::string& path) {
  const std::string group_ctx = path + ": /" + name;
  Handle group =
      checked(H5Gopen2(file, name.c_str(), H5P_DEFAULT), H5Gclose, group_ctx + ": H5Gopen2");
  const std::vector<std::string> members = h5::link_names(group.get(), group_ctx);
  for (const char* required : {kLabels, kFileIds}) {
    if (std::find(members.begin(), members.end(), required) == members.end()) {
      throw Error(group_ctx + "/" + required + " is missing");
    }
  }
  SplitEmbeddings split;

  const std::string labels_ctx = group_ctx + "/" + kLabels;
  Handle labels = open_dataset(group.get(), kLabels, labels_ctx);
  expect_type(labels.get(), H5T_INTEGER, 4, "int32", labels_ctx);
  const hsize_t n = dataset_dims(labels.get(), 1, labels_ctx)[0];
  split.labels.resize(n);
  if (n > 0) {
    check(
        H5Dread(labels.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, split.labels.data()),
        labels_ctx + ": H5Dread");
  }

  const std::string ids_ctx = group_ctx + "/" + kFileIds;
  Handle ids = open_dataset(group.get(), kFileIds, ids_ctx);
  expect_type(ids.get(), H5T_STRING, 0, "strings", ids_ctx);
  const hsize_t id_rows = dataset_dims(ids.get(), 1, ids_ctx)[0];
  if (id_rows != n) {
    throw Error(ids_ctx + " has shape [" + std::to_string(id_rows) + "] but /" + name + "/" +
                kLabels + " has shape [" + std::to_string(n) + "]");
  }
  split.file_ids = h5::read_string_dataset(ids.get(), n, ids_ctx);

  for (const auto& strategy : members) {
    if (strategy == kLabels || strategy == kFileIds) continue;
    const std::string ctx = group_ctx + "/" + strategy;
    Handle dset = open_dataset(group.get(), strategy, ctx);
    expect_type(dset.get(), H5T_FLOAT, 4, "float32", ctx);
    const std::vector<hsize_t> dims = dataset_dims(dset.get(), 2, ctx);
    if (dims[0] != n) {
      throw Error(ctx + " has shape " + shape_text(dims) + " but " + labels_ctx + " has shape [" +
                  std::to_string(n) + "]");
    }
    torch::Tensor t = torch::empty({static_cast<int64_t>(dims[0]), static_cast<int64_t>(dims[1])},
                                   torch::kFloat32);
    if (t.numel() > 0) {
      check(
          H5Dread(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr<float>()),
          ctx + ": H5Dread");
    }
    split.by_strategy.emplace(strategy, std::move(t));
  }
  if (split.by_strategy.empty()) throw Error(group_ctx + " has no embedding datasets");
  return split;
}

// Every split must hold the same strategies with the same widths.
void check_splits_agree(const EmbeddingsFile& file, const std::string& path) {
  const auto& [first_name, first] = *file.splits.begin();
  for (const auto& [name, split] : file.splits) {
    for (const auto& [strategy, t] : first.by_strategy) {
      const auto it = split.by_strategy.find(strategy);
      if (it == split.by_strategy.end()) {
        throw Error(path + ": /" + name + "/" + strategy + " is missing (present in /" +
                    first_name + ")");
      }
      if (it->second.size(1) != t.size(1)) {
        throw Error(path + ": /" + name + "/" + strategy + " has shape " + shape_text(it->second) +
                    " but /" + first_name + "/" + strategy + " has shape " + shape_text(t));
      }
    }
    for (const auto& [strategy, t] : split.by_strategy) {
      if (!first.by_strategy.count(strategy)) {
        throw Error(path + ": /" + first_name + "/" + strategy + " is missing (present in /" +
                    name + ")");
      }
    }
  }
}

Handle open_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error("embeddings file not found: " + path);
  return checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                 path + ": cannot open as HDF5");
}

// The file's bytes, built in memory (HDF5's core driver without a backing store): nothing in
// HDF5 touches the disk, so a full disk fails in the atomic writer, with every HDF5 close
// checked and no half-closed file left for HDF5 to close again at exit.
std::string file_image(const std::string& path, const EmbeddingsFile& file) {
  const std::string ctx = path + " (built in memory)";
  Handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, ctx + ": H5Pcreate");
  check(H5Pset_fapl_core(fapl.get(), 1 << 20, /*backing_store=*/0), ctx + ": H5Pset_fapl_core");
  Handle f =
      checked(H5Fcreate((path + ".in-memory").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
              H5Fclose, ctx + ": H5Fcreate");
  for (const auto& [key, value] : file.attrs_str)
    h5::write_string_attribute(f.get(), key, value, path);
  for (const auto& [key, value] : file.attrs_int)
    h5::write_int64_attribute(f.get(), key, value, path);
  for (const auto& [name, split] : file.splits) write_split(f.get(), name, split, path);
  check(H5Fflush(f.get(), H5F_SCOPE_LOCAL), ctx + ": H5Fflush");
  const ssize_t size = H5Fget_file_image(f.get(), nullptr, 0);
  if (size <= 0) throw Error(ctx + ": H5Fget_file_image failed");
  std::string image(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(f.get(), image.data(), image.size()) != size)
    throw Error(ctx + ": H5Fget_file_image failed");
  f.close(ctx + ": H5Fclose");
  fapl.close(ctx + ": H5Pclose");
  return image;
}

}  // namespace

void write_embeddings_h5(const std::string& path, const EmbeddingsFile& file) {
  h5::quiet_errors();
  validate_for_write(path, file);
  write_file_atomic(path, file_image(path, file));
}

EmbeddingsFile read_embeddings_h5(const std::string& path) {
  h5::quiet_errors();
  Handle f = open_file(path);
  EmbeddingsFile file;

  for (const auto& key : h5::attribute_names(f.get(), path)) {
    const std::string ctx = path + ": attribute '" + key + "'";
    Handle attr = checked(H5Aopen(f.get(), key.c_str(), H5P_DEFAULT), H5Aclose, ctx);
    Handle type = checked(H5Aget_type(attr.get()), H5Tclose, ctx + ": H5Aget_type");
    Handle space = checked(H5Aget_space(attr.get()), H5Sclose, ctx + ": H5Aget_space");
    if (H5Sget_simple_extent_npoints(space.get()) != 1) continue;  // not ours: ignore
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls == H5T_STRING) {
      file.attrs_str[key] = h5::read_string_attribute(attr.get(), ctx);
    } else if (cls == H5T_INTEGER) {
      int64_t value = 0;
      check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), ctx + ": H5Aread");
      file.attrs_int[key] = value;
    }
  }
  for (const char* key : kRequiredStrings) {
    if (!file.attrs_str.count(key)) {
      throw Error(path + ": missing root attribute '" + key + "' (a string)" +
                  (file.attrs_int.count(key) ? ", found an integer" : ""));
    }
  }
  for (const char* key : kRequiredInts) {
    if (!file.attrs_int.count(key)) {
      throw Error(path + ": missing root attribute '" + key + "' (an integer)" +
                  (file.attrs_str.count(key) ? ", found a string" : ""));
    }
  }

  for (const auto& name : h5::link_names(f.get(), path)) {
    Handle obj =
        checked(H5Oopen(f.get(), name.c_str(), H5P_DEFAULT), H5Oclose, path + ": /" + name);
    if (H5Iget_type(obj.get()) != H5I_GROUP) {
      throw Error(path + ": /" + name + " is not a split group");
    }
    file.splits.emplace(name, read_split(f.get(), name, path));
  }
  if (file.splits.empty()) throw Error(path + ": no split groups");
  check_splits_agree(file, path);
  f.close(path + ": H5Fclose");
  return file;
}

std::optional<std::string> read_root_string(const std::string& path, const std::string& name) {
  h5::quiet_errors();
  try {
    if (!std::filesystem::is_regular_file(path)) return std::nullopt;
    Handle f = open_file(path);
    const std::string ctx = path + ": attribute '" + name + "'";
    if (!h5::check_tri(H5Aexists(f.get(), name.c_str()), ctx)) return std::nullopt;
    Handle attr = checked(H5Aopen(f.get(), name.c_str(), H5P_DEFAULT), H5Aclose, ctx);
    Handle type = checked(H5Aget_type(attr.get()), H5Tclose, ctx);
    if (H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
    return h5::read_string_attribute(attr.get(), ctx);
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<std::string> read_fingerprint(const std::string& path) {
  return read_root_string(path, "fingerprint");
}

}  // namespace bertgrid::io
