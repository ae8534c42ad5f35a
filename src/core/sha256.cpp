// SHA-256 through OpenSSL's EVP digest interface (libcrypto): the SHA extensions or AVX2 code
// that OpenSSL picks for the CPU, without a hand-written compression function to maintain.
#include "core/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace bertgrid {

struct Sha256::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(ctx); }
};

namespace {

void check(int ok, const char* call) {
  if (ok != 1) throw Error(std::string("SHA-256: OpenSSL's ") + call + " failed");
}

}  // namespace

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  if (!context_->ctx) throw Error("SHA-256: OpenSSL could not allocate a digest context");
  check(EVP_DigestInit_ex(context_->ctx, EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0) check(EVP_DigestUpdate(context_->ctx, data, size), "EVP_DigestUpdate");
}

std::array<std::uint8_t, 32> Sha256::finish() {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(context_->ctx, digest.data(), &length), "EVP_DigestFinal_ex");
  check(EVP_DigestInit_ex(context_->ctx, EVP_sha256(), nullptr), "EVP_DigestInit_ex");
  return digest;
}

std::string Sha256::finish_hex() {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t byte : finish()) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.finish_hex();
}

std::string sha256_file_hex(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open for hashing: " + std::strerror(errno));
  Sha256 hasher;
  // Small and left uninitialised: a fingerprint hashes some 2,400 text files of a few hundred
  // bytes each, and a zeroed 1 MiB buffer per file cost more than their bytes.
  constexpr std::size_t kChunk = 1 << 16;
  const std::unique_ptr<char[]> chunk(new char[kChunk]);
  while (true) {
    const ssize_t got = ::read(fd, chunk.get(), kChunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw Error(path + ": read failed while hashing: " + why);
    }
    if (got == 0) break;
    hasher.update(chunk.get(), static_cast<std::size_t>(got));
  }
  ::close(fd);
  return hasher.finish_hex();
}

}  // namespace bertgrid
