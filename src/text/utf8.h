// UTF-8 validation: find the first byte that breaks well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), so readers can reject a file naming the offset.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bertgrid::text {

// Byte offset of the first ill-formed sequence in `bytes`, or nullopt when all of it is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view bytes);

// Throws bertgrid::Error "<where>: invalid UTF-8 at byte offset N" when `bytes` is ill-formed.
void check_utf8(std::string_view bytes, const std::string& where);

}  // namespace bertgrid::text
