// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface: checks downloaded model files and
// fingerprints inputs. Sha256 hashes a stream piece by piece; sha256_hex and sha256_file_hex hash
// a whole string or file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bertgrid {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  // Adds bytes to the message. May be called any number of times, with any sizes.
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // The 32-byte digest. The hasher is then reset, ready for a new message.
  std::array<std::uint8_t, 32> finish();
  // The digest as 64 lowercase hex characters (what `sha256sum` prints).
  std::string finish_hex();

 private:
  struct Context;  // OpenSSL's EVP_MD_CTX, kept out of this header
  std::unique_ptr<Context> context_;
};

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lowercase hex SHA-256 of the file at `path`, read in chunks; bertgrid::Error naming the file if
// it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace bertgrid
