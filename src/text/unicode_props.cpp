// Unicode character properties for the BERT normalizer; see unicode_props.h.
#include "text/unicode_props.h"

#include <utf8proc.h>

#include <algorithm>
#include <iterator>

namespace bertgrid::text {
namespace {

struct Range {
  char32_t lo, hi;
};

template <size_t N>
bool in_ranges(const Range (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t x, const Range& r) { return x < r.lo; });
  return it != std::begin(table) && c <= std::prev(it)->hi;
}

struct LowerRange {
  char32_t lo, hi;
  int32_t delta;
};

// HF's Rust tokenizers classifies with the `unicode_categories` crate and decomposes with
// `unicode-normalization-alignments`, whose tables are older than utf8proc's (2.8, Unicode 15.0);
// its lowercase is Rust's char::to_lowercase, newer than utf8proc's. The lists below are where
// they differ, found by probing every code point against the npm `tokenizers` 0.23.2 oracle
// (tests/oracle/oracle.js; the oracle ctest re-checks them all). "Not" lists: utf8proc's Mn / P* /
// Cf code points that HF does not treat so; "Extra": the reverse (categories changed since);
// kExtraLower: lowercase mappings Rust has and utf8proc lacks, as (range, offset).
const Range kNotMark[] = {
    {0x7FD, 0x7FD},     {0x898, 0x89F},     {0x8CA, 0x8E1},     {0x9FE, 0x9FE},
    {0xAFA, 0xAFF},     {0xB55, 0xB55},     {0xC04, 0xC04},     {0xC3C, 0xC3C},
    {0xD00, 0xD00},     {0xD3B, 0xD3C},     {0xD81, 0xD81},     {0xEBA, 0xEBA},
    {0xECE, 0xECE},     {0x180F, 0x180F},   {0x1885, 0x1886},   {0x1ABF, 0x1ACE},
    {0x1DF6, 0x1DFB},   {0xA82C, 0xA82C},   {0xA8C5, 0xA8C5},   {0xA8FF, 0xA8FF},
    {0xA9BD, 0xA9BD},   {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF},
    {0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11070, 0x11070}, {0x11073, 0x11074},
    {0x110C2, 0x110C2}, {0x111C9, 0x111C9}, {0x111CF, 0x111CF}, {0x1123E, 0x1123E},
    {0x11241, 0x11241}, {0x1133B, 0x1133B}, {0x11438, 0x1143F}, {0x11442, 0x11444},
    {0x11446, 0x11446}, {0x1145E, 0x1145E}, {0x1182F, 0x11837}, {0x11839, 0x1183A},
    {0x11938, 0x11938}, {0x1193B, 0x1193C}, {0x1193E, 0x1193E}, {0x11943, 0x11943},
    {0x119D4, 0x119D7}, {0x119DA, 0x119DB}, {0x119E0, 0x119E0}, {0x11A01, 0x11A0A},
    {0x11A33, 0x11A38}, {0x11A3B, 0x11A3E}, {0x11A47, 0x11A47}, {0x11A51, 0x11A56},
    {0x11A59, 0x11A5B}, {0x11A8A, 0x11A96}, {0x11A98, 0x11A99}, {0x11C30, 0x11C36},
    {0x11C38, 0x11C3D}, {0x11C3F, 0x11C3F}, {0x11C92, 0x11CA7}, {0x11CAA, 0x11CB0},
    {0x11CB2, 0x11CB3}, {0x11CB5, 0x11CB6}, {0x11D31, 0x11D36}, {0x11D3A, 0x11D3A},
    {0x11D3C, 0x11D3D}, {0x11D3F, 0x11D45}, {0x11D47, 0x11D47}, {0x11D90, 0x11D91},
    {0x11D95, 0x11D95}, {0x11D97, 0x11D97}, {0x11EF3, 0x11EF4}, {0x11F00, 0x11F01},
    {0x11F36, 0x11F3A}, {0x11F40, 0x11F40}, {0x11F42, 0x11F42}, {0x13440, 0x13440},
    {0x13447, 0x13455}, {0x16F4F, 0x16F4F}, {0x16FE4, 0x16FE4}, {0x1CF00, 0x1CF2D},
    {0x1CF30, 0x1CF46}, {0x1E000, 0x1E006}, {0x1E008, 0x1E018}, {0x1E01B, 0x1E021},
    {0x1E023, 0x1E024}, {0x1E026, 0x1E02A}, {0x1E08F, 0x1E08F}, {0x1E130, 0x1E136},
    {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF}, {0x1E944, 0x1E94A}};
const Range kExtraMark[] = {{0x1734, 0x1734}};
const Range kNotPunct[] = {
    {0x61D, 0x61D},     {0x9FD, 0x9FD},     {0xA76, 0xA76},     {0xC77, 0xC77},
    {0xC84, 0xC84},     {0x1B7D, 0x1B7E},   {0x2E43, 0x2E4F},   {0x2E52, 0x2E5D},
    {0x10EAD, 0x10EAD}, {0x10F55, 0x10F59}, {0x10F86, 0x10F89}, {0x1144B, 0x1144F},
    {0x1145A, 0x1145B}, {0x1145D, 0x1145D}, {0x11660, 0x1166C}, {0x116B9, 0x116B9},
    {0x1183B, 0x1183B}, {0x11944, 0x11946}, {0x119E2, 0x119E2}, {0x11A3F, 0x11A46},
    {0x11A9A, 0x11A9C}, {0x11A9E, 0x11AA2}, {0x11B00, 0x11B09}, {0x11C41, 0x11C45},
    {0x11C70, 0x11C71}, {0x11EF7, 0x11EF8}, {0x11F43, 0x11F4F}, {0x11FFF, 0x11FFF},
    {0x12FF1, 0x12FF2}, {0x16E97, 0x16E9A}, {0x16FE2, 0x16FE2}, {0x1E95E, 0x1E95F}};
const Range kExtraPunct[] = {{0x166D, 0x166D}, {0x111C9, 0x111C9}};
const Range kNotControl[] = {
    {0x890, 0x891}, {0x8E2, 0x8E2}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}};
// Combining marks newer than HF's NFD tables, which therefore treat them as starters (class 0).
const Range kStarter[] = {
    {0x7FD, 0x7FD},     {0x898, 0x89F},     {0x8CA, 0x8D3},     {0x9FE, 0x9FE},
    {0xC3C, 0xC3C},     {0xD3B, 0xD3C},     {0xEBA, 0xEBA},     {0x1715, 0x1715},
    {0x1ABF, 0x1ACE},   {0x1DF6, 0x1DFA},   {0xA82C, 0xA82C},   {0x10D24, 0x10D27},
    {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF}, {0x10F46, 0x10F50}, {0x10F82, 0x10F85},
    {0x11070, 0x11070}, {0x1133B, 0x1133B}, {0x1145E, 0x1145E}, {0x11839, 0x1183A},
    {0x1193D, 0x1193E}, {0x11943, 0x11943}, {0x119E0, 0x119E0}, {0x11A34, 0x11A34},
    {0x11A47, 0x11A47}, {0x11A99, 0x11A99}, {0x11D42, 0x11D42}, {0x11D44, 0x11D45},
    {0x11D97, 0x11D97}, {0x11F41, 0x11F42}, {0x16FF0, 0x16FF1}, {0x1E08F, 0x1E08F},
    {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF}};
// A canonical decomposition newer than HF's NFD tables (Dives Akuru, Unicode 13).
const Range kNoDecompose[] = {{0x11938, 0x11938}};
const LowerRange kExtraLower[] = {
    {0x1C89, 0x1C89, 1},    {0xA7CB, 0xA7CB, -42343}, {0xA7CC, 0xA7CC, 1}, {0xA7CE, 0xA7CE, 1},
    {0xA7D2, 0xA7D2, 1},    {0xA7D4, 0xA7D4, 1},      {0xA7DA, 0xA7DA, 1}, {0xA7DC, 0xA7DC, -42561},
    {0x10D50, 0x10D65, 32}, {0x16EA0, 0x16EB8, 27}};

// The handle_chinese_chars ranges of HF's Rust BertNormalizer (note 0x2B820-0x2B91F is absent).
const Range kCjk[] = {{0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xF900, 0xFAFF},  {0x20000, 0x2A6DF},
                      {0x2A700, 0x2B81F}, {0x2B920, 0x2CEAF}, {0x2F800, 0x2FA1F}};

// Unicode White_Space (Rust char::is_whitespace).
const Range kWhitespace[] = {{0x09, 0x0D},     {0x20, 0x20},     {0x85, 0x85},     {0xA0, 0xA0},
                             {0x1680, 0x1680}, {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F},
                             {0x205F, 0x205F}, {0x3000, 0x3000}};

int category(char32_t c) {
  return utf8proc_get_property(static_cast<int32_t>(c))->category;
}

}  // namespace

bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  int cat = category(c);
  bool other = cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
               cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CS;
  return other && !in_ranges(kNotControl, c);
}

bool is_whitespace(char32_t c) {
  return in_ranges(kWhitespace, c);
}

bool is_punctuation(char32_t c) {
  if (c < 128) return (ascii_class(static_cast<unsigned char>(c)) & kAsciiPunct) != 0;
  int cat = category(c);
  bool punct = cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
  return (punct && !in_ranges(kNotPunct, c)) || in_ranges(kExtraPunct, c);
}

bool is_nonspacing_mark(char32_t c) {
  return (category(c) == UTF8PROC_CATEGORY_MN && !in_ranges(kNotMark, c)) ||
         in_ranges(kExtraMark, c);
}

bool is_cjk_ideograph(char32_t c) {
  return in_ranges(kCjk, c);
}

int combining_class(char32_t c) {
  if (in_ranges(kStarter, c)) return 0;
  return utf8proc_get_property(static_cast<int32_t>(c))->combining_class;
}

void append_lowercase(char32_t c, std::u32string& out) {
  if (c == 0x130) {  // the one unconditional multi-character lowercase mapping
    out.push_back('i');
    out.push_back(0x307);
    return;
  }
  auto it = std::upper_bound(std::begin(kExtraLower), std::end(kExtraLower), c,
                             [](char32_t x, const LowerRange& r) { return x < r.lo; });
  if (it != std::begin(kExtraLower) && c <= std::prev(it)->hi) {
    out.push_back(static_cast<char32_t>(static_cast<int32_t>(c) + std::prev(it)->delta));
    return;
  }
  out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<int32_t>(c))));
}

void append_decomposition(char32_t c, std::u32string& out) {
  if (c < 0xC0 || in_ranges(kNoDecompose, c)) {
    out.push_back(c);
    return;
  }
  utf8proc_int32_t buf[8];
  int boundclass = 0;
  utf8proc_ssize_t n =
      utf8proc_decompose_char(static_cast<int32_t>(c), buf, 8, UTF8PROC_DECOMPOSE, &boundclass);
  if (n <= 0 || n > 8) {
    out.push_back(c);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) out.push_back(static_cast<char32_t>(buf[i]));
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

char32_t decode_utf8(const char* s, size_t n, size_t& i) {
  utf8proc_int32_t cp = 0;
  utf8proc_ssize_t len = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s + i),
                                          static_cast<utf8proc_ssize_t>(n - i), &cp);
  if (len <= 0) {
    ++i;
    return 0xFFFD;
  }
  i += static_cast<size_t>(len);
  return static_cast<char32_t>(cp);
}

}  // namespace bertgrid::text
