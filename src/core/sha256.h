// SHA-256 (FIPS 180-4): checks downloaded model files and fingerprints inputs.
// Sha256 hashes a stream piece by piece; sha256_hex and sha256_file_hex hash a whole string or
// file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bertgrid {

class Sha256 {
 public:
  // `use_hardware`: the x86 SHA extensions when the CPU has them (1.39 GB/s against the portable
  // code's 0.31 GB/s on the development machine's AMD EPYC); false forces the portable code.
  // Both give the same digests.
  explicit Sha256(bool use_hardware = true);
  // Whether this CPU has the SHA extensions (and SSSE3 / SSE4.1) that the hardware path uses.
  static bool hardware_available();
  // Adds bytes to the message. May be called any number of times, with any sizes.
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // The 32-byte digest. The hasher is then reset, ready for a new message.
  std::array<std::uint8_t, 32> finish();
  // The digest as 64 lowercase hex characters (what `sha256sum` prints).
  std::string finish_hex();

 private:
  void compress(const std::uint8_t* blocks, std::size_t count);  // whole 64-byte blocks
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> block_;
  std::size_t block_used_;
  std::uint64_t total_bytes_;
  bool hardware_;
};

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lowercase hex SHA-256 of the file at `path`, read in chunks; bertgrid::Error naming the file if
// it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace bertgrid
