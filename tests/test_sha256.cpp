// Tests for core/sha256 (OpenSSL's EVP SHA-256): FIPS 180-4 vectors, padding boundaries,
// streaming, and golden files (expected digests recorded from coreutils `sha256sum`).
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/sha256.h"

namespace bertgrid {
namespace {

const std::string kGolden = std::string(BERTGRID_SHARED_DIR) + "/golden";

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_hex(std::string("\x00\xff\x80"
                                   "binary",
                                   9)),
            "9d24659a5909033d191df82133169133d8a461bf114b3b495fff9bcdf1dd08e7");
}

TEST(Sha256, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte edges where the length field spills into an extra block.
  const std::pair<std::size_t, const char*> cases[] = {
      {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
      {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
      {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
      {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
      {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
      {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
      {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
  };
  for (const auto& [length, hex] : cases)
    EXPECT_EQ(sha256_hex(std::string(length, 'x')), hex) << length;
}

TEST(Sha256, StreamingInAnyPiecesMatchesOneShot) {
  std::string message;
  for (int i = 0; i < 1000; ++i) message += static_cast<char>((i * 37 + 11) & 0xff);
  const std::string expected = sha256_hex(message);
  for (std::size_t piece : {1, 3, 63, 64, 65, 200}) {
    Sha256 hasher;
    for (std::size_t at = 0; at < message.size(); at += piece)
      hasher.update(std::string_view(message).substr(at, piece));
    EXPECT_EQ(hasher.finish_hex(), expected) << "pieces of " << piece;
  }
  Sha256 reused;  // finish() resets
  reused.update("junk");
  (void)reused.finish();
  reused.update("abc");
  EXPECT_EQ(reused.finish_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, GoldenFilesMatchSha256sum) {
  EXPECT_EQ(sha256_file_hex(kGolden + "/forward.safetensors"),
            "234e09f8504bdccb33c510bd35eb3c4d78843294f3106d705e3e311969a20b1c");
  // 4 MB: many 64 KiB read chunks.
  EXPECT_EQ(sha256_file_hex(kGolden + "/tiny-distilbert/model.safetensors"),
            "3069d6a3dbfa2dc4290c19ad4122d643f2b4e7a890627359cb47bfd83b0d4d22");
  EXPECT_EQ(sha256_file_hex(kGolden + "/tiny-distilbert/config.json"),
            "17db2bf61f03d57f5fb791d8dbfd5186c3f28944f6dcdf523cf24b8d33c76503");
}

// The SHA extensions path (where this CPU has it) against the portable code, and the portable
// code against a FIPS 180-4 vector, so that both stay tested on any machine.
TEST(Sha256, UnreadableFileNamesIt) {
  const std::string missing = kGolden + "/no-such-file.bin";
  try {
    sha256_file_hex(missing);
    FAIL() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              missing + ": cannot open for hashing: No such file or directory");
  }
  try {
    sha256_file_hex(kGolden);
    FAIL() << "no error for a directory";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), kGolden + ": read failed while hashing: Is a directory");
  }
}

}  // namespace
}  // namespace bertgrid
