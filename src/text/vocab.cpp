// Vocab; see vocab.h.
#include "text/vocab.h"

#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/file_read.h"

namespace bertgrid::text {

void Vocab::Table::build(const std::vector<std::pair<std::string_view, int32_t>>& entries) {
  size_t capacity = 16;
  while (capacity < entries.size() * 2) capacity *= 2;
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  pool_.clear();
  max_key_bytes_ = 0;
  for (const auto& [key, id] : entries) {
    const uint64_t h = hash(key);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id == kMissing) {
        slot =
            Slot{tag, id, static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(key.size())};
        pool_.append(key);
        break;
      }
      if (slot.tag == tag && std::string_view(pool_.data() + slot.offset, slot.length) == key) {
        slot.id = id;  // a repeated token: the later line wins
        break;
      }
    }
    if (key.size() > max_key_bytes_) max_key_bytes_ = key.size();
  }
}

Vocab::Vocab(std::vector<std::string> tokens, std::string continuation_prefix)
    : tokens_(std::move(tokens)), prefix_(std::move(continuation_prefix)) {
  std::vector<std::pair<std::string_view, int32_t>> whole, continuation;
  whole.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    std::string_view t = tokens_[i];
    whole.emplace_back(t, static_cast<int32_t>(i));
    if (!prefix_.empty() && t.size() > prefix_.size() && t.substr(0, prefix_.size()) == prefix_)
      continuation.emplace_back(t.substr(prefix_.size()), static_cast<int32_t>(i));
  }
  whole_.build(whole);
  continuation_.build(continuation);
}

Vocab Vocab::from_file(const std::string& path) {
  return parse(read_file(path, "the vocabulary file"), path);
}

Vocab Vocab::parse(std::string_view bytes, const std::string& where) {
  std::vector<std::string> tokens;
  while (!bytes.empty()) {
    const size_t end = bytes.find('\n');
    std::string_view line = bytes.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    tokens.emplace_back(line);
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + 1);
  }
  if (tokens.empty()) throw Error(where + ": empty vocabulary (no tokens)");
  return Vocab(std::move(tokens));
}

const std::string& Vocab::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size())
    throw Error("vocabulary: token id " + std::to_string(id) + " out of range [0, " +
                std::to_string(tokens_.size()) + ")");
  return tokens_[static_cast<size_t>(id)];
}

}  // namespace bertgrid::text
