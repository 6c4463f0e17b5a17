// AES-128 (FIPS-197) and CCM (RFC 3610) against published vectors.
#include <cstring>

#include "aes128.h"
#include "ccm.h"
#include "hex.h"
#include "tiny_test.h"

using goal::Aes128;

TEST(aes128_fips197_appendix_c1) {
  const auto key = from_hex("000102030405060708090a0b0c0d0e0f");
  const auto plain = from_hex("00112233445566778899aabbccddeeff");
  uint8_t out[16];
  Aes128(key.data()).encrypt_block(plain.data(), out);
  CHECK_EQ(to_hex(out, 16), std::string("69c4e0d86a7b0430d8cdb78070b4c55a"));
}

TEST(aes128_fips197_appendix_b) {
  const auto key = from_hex("2b7e151628aed2a6abf7158809cf4f3c");
  const auto plain = from_hex("3243f6a8885a308d313198a2e0370734");
  uint8_t out[16];
  Aes128(key.data()).encrypt_block(plain.data(), out);
  CHECK_EQ(to_hex(out, 16), std::string("3925841d02dc09fbdc118597196a0b32"));
}

TEST(ccm_rfc3610_packet_vector_1) {
  const auto key = from_hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
  const auto nonce = from_hex("00000003020100a0a1a2a3a4a5");
  const auto aad = from_hex("0001020304050607");
  const auto msg = from_hex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e");
  uint8_t out[23];
  uint8_t tag[8];
  REQUIRE(goal::ccm_encrypt(key.data(), nonce.data(), aad.data(), aad.size(), msg.data(),
                            msg.size(), out, tag, sizeof(tag)));
  CHECK_EQ(to_hex(out, 23), std::string("588c979a61c663d2f066d0c2c0f989806d5f6b61dac384"));
  CHECK_EQ(to_hex(tag, 8), std::string("17e8d12cfdf926e0"));
  uint8_t back[23];
  CHECK(goal::ccm_decrypt(key.data(), nonce.data(), aad.data(), aad.size(), out, 23, tag, 8,
                          back));
  CHECK(std::memcmp(back, msg.data(), 23) == 0);
  tag[0] ^= 1;
  CHECK(!goal::ccm_decrypt(key.data(), nonce.data(), aad.data(), aad.size(), out, 23, tag, 8,
                           back));
  CHECK_EQ(to_hex(back, 4), std::string("00000000"));  // nothing leaks from a failed tag
}

TEST(ccm_multi_block_no_aad_16_byte_tag) {
  // generated with Python cryptography's AESCCM(tag_length=16)
  const auto key = from_hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
  const auto nonce = from_hex("00000003020100a0a1a2a3a4a5");
  uint8_t msg[40];
  for (int i = 0; i < 40; ++i) msg[i] = static_cast<uint8_t>(i);
  uint8_t out[40];
  uint8_t tag[16];
  REQUIRE(goal::ccm_encrypt(key.data(), nonce.data(), nullptr, 0, msg, 40, out, tag, 16));
  CHECK_EQ(to_hex(out, 40),
           std::string("50849f9269ce6bdae87ec8dad8e1919865576369d2cb8ce87c15861dc27013903e03b709"
                       "c81a4dac"));
  CHECK_EQ(to_hex(tag, 16), std::string("0e51305a87036b2a1754a0f9e73530bd"));
}

TEST(ccm_empty_message_tag_only) {
  uint8_t key[16] = {0};
  uint8_t nonce[13] = {0};
  uint8_t tag[4];
  REQUIRE(goal::ccm_encrypt(key, nonce, nullptr, 0, nullptr, 0, nullptr, tag, 4));
  CHECK_EQ(to_hex(tag, 4), std::string("b3c06721"));
}

TEST(ccm_rejects_bad_tag_lengths) {
  uint8_t key[16] = {0};
  uint8_t nonce[13] = {0};
  uint8_t tag[16];
  CHECK(!goal::ccm_encrypt(key, nonce, nullptr, 0, nullptr, 0, nullptr, tag, 3));
  CHECK(!goal::ccm_encrypt(key, nonce, nullptr, 0, nullptr, 0, nullptr, tag, 5));
  CHECK(!goal::ccm_encrypt(key, nonce, nullptr, 0, nullptr, 0, nullptr, tag, 18));
}
