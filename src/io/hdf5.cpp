#include "io/hdf5.h"

#include <algorithm>

#include "core/error.h"

namespace bertgrid::io::h5 {
namespace {

// Frees the strings HDF5 allocated for a variable-length read.
herr_t reclaim_vlen(hid_t type, hid_t space, void* buf) {
#if H5_VERSION_GE(1, 12, 0)
  return H5Treclaim(type, space, H5P_DEFAULT, buf);
#else
  return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
#endif
}

Handle vlen_string_type(H5T_cset_t cset, const std::string& context) {
  Handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, context + ": H5Tcopy");
  check(H5Tset_size(type.get(), H5T_VARIABLE), context + ": H5Tset_size");
  check(H5Tset_cset(type.get(), cset), context + ": H5Tset_cset");
  return type;
}

// A fixed-length string's value: up to the first NUL, or without trailing pad spaces.
std::string trim_fixed(const char* data, std::size_t size, H5T_str_t pad) {
  std::string s(data, std::find(data, data + size, '\0'));
  if (pad == H5T_STR_SPACEPAD) s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

herr_t collect_error(unsigned, const H5E_error2_t* err, void* data) {
  if (err->desc && *err->desc) *static_cast<std::string*>(data) = err->desc;
  return 0;
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = -1;
}

void Handle::close(const std::string& context) {
  const hid_t id = id_;
  id_ = -1;
  if (id >= 0 && close_) check(close_(id), context);
}

void quiet_errors() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

std::string last_error() {
  std::string innermost;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &innermost);
  H5Eclear2(H5E_DEFAULT);
  return innermost;
}

Handle checked(hid_t id, CloseFn close, const std::string& context) {
  if (id < 0) {
    const std::string why = last_error();
    throw Error(context + (why.empty() ? "" : ": " + why));
  }
  return Handle(id, close);
}

void check(herr_t status, const std::string& context) {
  if (status < 0) {
    const std::string why = last_error();
    throw Error(context + (why.empty() ? "" : ": " + why));
  }
}

bool check_tri(htri_t status, const std::string& context) {
  check(status < 0 ? -1 : 0, context);
  return status > 0;
}

std::string describe_type(hid_t type) {
  const std::size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      return "float" + std::to_string(bits);
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "HDF5 type class " + std::to_string(static_cast<int>(H5Tget_class(type)));
  }
}

std::vector<std::string> link_names(hid_t group, const std::string& context) {
  H5G_info_t info;
  check(H5Gget_info(group, &info), context + ": H5Gget_info");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    check(len < 0 ? -1 : 0, context + ": H5Lget_name_by_idx");
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    check(H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                             H5P_DEFAULT) < 0
              ? -1
              : 0,
          context + ": H5Lget_name_by_idx");
    name.resize(static_cast<std::size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

std::vector<std::string> attribute_names(hid_t object, const std::string& context) {
  std::vector<std::string> names;
  check(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attribute, &names),
        context + ": H5Aiterate2");
  return names;
}

std::vector<hsize_t> dataspace_dims(hid_t space, const std::string& context) {
  const int rank = H5Sget_simple_extent_ndims(space);
  check(rank < 0 ? -1 : 0, context + ": H5Sget_simple_extent_ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) {
    check(H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0 ? -1 : 0,
          context + ": H5Sget_simple_extent_dims");
  }
  return dims;
}

void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& context) {
  const std::string where = context + ": attribute '" + name + "'";
  if (value.find('\0') != std::string::npos) throw Error(where + " contains a NUL byte");
  Handle type = vlen_string_type(H5T_CSET_UTF8, where);
  Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, where + ": H5Screate");
  Handle attr =
      checked(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose, where + ": H5Acreate2");
  const char* ptr = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &ptr), where + ": H5Awrite");
  attr.close(where + ": H5Aclose");
}

void write_int64_attribute(hid_t object, const std::string& name, int64_t value,
                           const std::string& context) {
  const std::string where = context + ": attribute '" + name + "'";
  Handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, where + ": H5Screate");
  Handle attr = checked(
      H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose, where + ": H5Acreate2");
  check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), where + ": H5Awrite");
  attr.close(where + ": H5Aclose");
}

std::string read_string_attribute(hid_t attribute, const std::string& context) {
  Handle file_type = checked(H5Aget_type(attribute), H5Tclose, context + ": H5Aget_type");
  Handle space = checked(H5Aget_space(attribute), H5Sclose, context + ": H5Aget_space");
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw Error(context + ": expected a single string");
  }
  if (check_tri(H5Tis_variable_str(file_type.get()), context + ": H5Tis_variable_str")) {
    Handle type = vlen_string_type(H5Tget_cset(file_type.get()), context);
    char* ptr = nullptr;
    check(H5Aread(attribute, type.get(), &ptr), context + ": H5Aread");
    std::string value = ptr ? ptr : "";
    reclaim_vlen(type.get(), space.get(), &ptr);
    return value;
  }
  const std::size_t size = H5Tget_size(file_type.get());
  Handle type = checked(H5Tcopy(file_type.get()), H5Tclose, context + ": H5Tcopy");
  std::vector<char> buf(size);
  check(H5Aread(attribute, type.get(), buf.data()), context + ": H5Aread");
  return trim_fixed(buf.data(), size, H5Tget_strpad(file_type.get()));
}

void write_string_dataset(hid_t group, const std::string& name,
                          const std::vector<std::string>& values, const std::string& context) {
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) {
    if (v.find('\0') != std::string::npos) {
      throw Error(context + ": string '" + v.c_str() + "...' contains a NUL byte");
    }
    ptrs.push_back(v.c_str());
  }
  Handle type = vlen_string_type(H5T_CSET_UTF8, context);
  const hsize_t dims[1] = {values.size()};
  Handle space = checked(H5Screate_simple(1, dims, nullptr), H5Sclose, context + ": H5Screate");
  Handle dset = checked(H5Dcreate2(group, name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose, context + ": H5Dcreate2");
  if (!values.empty()) {
    check(H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
          context + ": H5Dwrite");
  }
  dset.close(context + ": H5Dclose");
}

std::vector<std::string> read_string_dataset(hid_t dataset, hsize_t rows,
                                             const std::string& context) {
  Handle file_type = checked(H5Dget_type(dataset), H5Tclose, context + ": H5Dget_type");
  Handle space = checked(H5Dget_space(dataset), H5Sclose, context + ": H5Dget_space");
  std::vector<std::string> values;
  values.reserve(rows);
  if (rows == 0) return values;
  if (check_tri(H5Tis_variable_str(file_type.get()), context + ": H5Tis_variable_str")) {
    Handle type = vlen_string_type(H5Tget_cset(file_type.get()), context);
    std::vector<char*> ptrs(rows, nullptr);
    check(H5Dread(dataset, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()),
          context + ": H5Dread");
    for (char* p : ptrs) values.emplace_back(p ? p : "");
    reclaim_vlen(type.get(), space.get(), ptrs.data());
    return values;
  }
  const std::size_t size = H5Tget_size(file_type.get());
  Handle type = checked(H5Tcopy(file_type.get()), H5Tclose, context + ": H5Tcopy");
  std::vector<char> buf(size * rows);
  check(H5Dread(dataset, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()),
        context + ": H5Dread");
  const H5T_str_t pad = H5Tget_strpad(file_type.get());
  for (hsize_t r = 0; r < rows; ++r) values.push_back(trim_fixed(buf.data() + r * size, size, pad));
  return values;
}

}  // namespace bertgrid::io::h5
