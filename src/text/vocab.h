// Vocab: a WordPiece vocabulary (`vocab.txt`, one token per line, id = line number) with two
// open-addressing hash tables: whole tokens, and '##' continuation tokens keyed without the '##',
// so WordPiece looks up string_views without building strings.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace bertgrid::text {

class Vocab {
 public:
  static constexpr int32_t kMissing = -1;

  Vocab() = default;
  explicit Vocab(std::vector<std::string> tokens, std::string continuation_prefix = "##");
  // Reads a vocab.txt (trailing '\n' and '\r' stripped from each line). Throws bertgrid::Error
  // naming the path if it cannot be read or holds no tokens.
  static Vocab from_file(const std::string& path);
  // The same from the bytes of a vocab.txt held in memory; `where` names it in errors.
  static Vocab parse(std::string_view bytes, const std::string& where);

  // Id of the whole token, or kMissing. A token listed twice maps to its last line, as in HF.
  int32_t find(std::string_view token) const { return whole_.find(token); }
  // Id of prefix + piece (e.g. "##ing" for "ing"), or kMissing.
  int32_t find_continuation(std::string_view piece) const { return continuation_.find(piece); }
  size_t size() const { return tokens_.size(); }
  const std::string& token(int32_t id) const;
  const std::string& continuation_prefix() const { return prefix_; }
  // Length in bytes of the longest token (whole) and continuation piece (without the prefix).
  size_t max_whole_bytes() const { return whole_.max_key_bytes(); }
  size_t max_continuation_bytes() const { return continuation_.max_key_bytes(); }

 private:
  class Table {
   public:
    void build(const std::vector<std::pair<std::string_view, int32_t>>& entries);
    int32_t find(std::string_view key) const {
      const uint64_t h = hash(key);
      const auto tag = static_cast<uint32_t>(h >> 32);
      for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
        const Slot& slot = slots_[i];
        if (slot.id == kMissing) return kMissing;
        if (slot.tag == tag && slot.length == key.size() &&
            std::memcmp(pool_.data() + slot.offset, key.data(), key.size()) == 0)
          return slot.id;
      }
    }
    size_t max_key_bytes() const { return max_key_bytes_; }
    // 64-bit hash of a short key, 8 bytes at a time (multiply-xorshift mixing).
    static uint64_t hash(std::string_view s) {
      uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xFF51AFD7ED558CCDULL);
      const char* p = s.data();
      size_t n = s.size();
      for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
        h ^= h >> 29;
      }
      if (n > 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, n);
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
      }
      h ^= h >> 32;
      h *= 0xFF51AFD7ED558CCDULL;
      return h ^ (h >> 29);
    }

   private:
    struct Slot {        // 16 bytes
      uint32_t tag = 0;  // high half of the key's hash
      int32_t id = kMissing;
      uint32_t offset = 0;  // of the key in pool_
      uint32_t length = 0;
    };
    // An empty table has one empty slot, so find() needs no emptiness check.
    std::vector<Slot> slots_ = std::vector<Slot>(1);
    std::string pool_;
    uint64_t mask_ = 0;
    size_t max_key_bytes_ = 0;
  };

  std::vector<std::string> tokens_;
  std::string prefix_;
  Table whole_;
  Table continuation_;
};

}  // namespace bertgrid::text
