// The version of the HDF5 library linked at run time.
#pragma once

#include <string>

namespace bertgrid::io {

std::string hdf5_version();  // "major.minor.release"

}  // namespace bertgrid::io
