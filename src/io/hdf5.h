// Checked access to the serial HDF5 C API (1.10 and later): RAII handles for hid_t, return-code
// checks that turn failures into bertgrid::Error with HDF5's own reason, and the few typed reads
// and writes the bertgrid files need. Only io/ includes this.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bertgrid::io::h5 {

using CloseFn = herr_t (*)(hid_t);

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, CloseFn close) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  void reset();
  // Closes now and throws "<context>: ..." if HDF5 reports a failure (e.g. a failed flush).
  void close(const std::string& context);

 private:
  hid_t id_ = -1;
  CloseFn close_ = nullptr;
};

// Turns off HDF5's automatic error printing for this thread; errors come back as exceptions.
void quiet_errors();

// HDF5's most specific reason for the last failure on this thread ("" if none); clears the stack.
std::string last_error();

// Throws bertgrid::Error "<context>: <HDF5 reason>" when `id` or `status` is negative.
Handle checked(hid_t id, CloseFn close, const std::string& context);
void check(herr_t status, const std::string& context);
bool check_tri(htri_t status, const std::string& context);  // htri_t: <0 error, 0 false, >0 true

// "float32", "int64", "string", ... for error messages.
std::string describe_type(hid_t type);

// Names of the links in a group, in name order.
std::vector<std::string> link_names(hid_t group, const std::string& context);
// Names of the attributes of an object, in name order.
std::vector<std::string> attribute_names(hid_t object, const std::string& context);

// Dimensions of a dataset or attribute's simple dataspace.
std::vector<hsize_t> dataspace_dims(hid_t space, const std::string& context);

// Scalar attributes: strings are variable-length UTF-8 (h5py reads them as str).
void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& context);
void write_int64_attribute(hid_t object, const std::string& name, int64_t value,
                           const std::string& context);
// Reads a variable- or fixed-length string from a one-element attribute.
std::string read_string_attribute(hid_t attribute, const std::string& context);

// 1-D datasets of variable-length UTF-8 strings; the reader accepts fixed-length strings too.
void write_string_dataset(hid_t group, const std::string& name,
                          const std::vector<std::string>& values, const std::string& context);
std::vector<std::string> read_string_dataset(hid_t dataset, hsize_t rows,
                                             const std::string& context);

}  // namespace bertgrid::io::h5
