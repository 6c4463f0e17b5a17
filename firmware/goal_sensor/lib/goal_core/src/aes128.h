// AES-128 block encryption (FIPS-197), forward direction only: CCM never decrypts a block.
// Small and table-light (one 256-byte S-box) for a microcontroller; not hardened against
// cache-timing attacks, which need an attacker on the chip itself.
#pragma once

#include <cstdint>

namespace goal {

class Aes128 {
 public:
  static constexpr int kBlock = 16;
  explicit Aes128(const uint8_t key[16]);
  void encrypt_block(const uint8_t in[16], uint8_t out[16]) const;

 private:
  uint8_t round_keys_[176];
};

}  // namespace goal
