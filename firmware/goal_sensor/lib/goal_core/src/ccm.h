// AES-128-CCM (RFC 3610 / NIST SP 800-38C) with a 13-byte nonce (L = 2), as the goal beacon
// and its ack use it (docs/protocol.md §2.3, §2.5). Any even tag length 4..16.
#pragma once

#include <cstddef>
#include <cstdint>

namespace goal {

constexpr size_t kCcmNonceLen = 13;

// Encrypts `len` bytes of `msg` into `out` (may alias `msg`) and writes `tag_len` tag bytes.
// Returns false for arguments CCM with L = 2 cannot take (tag length, sizes).
bool ccm_encrypt(const uint8_t key[16], const uint8_t nonce[kCcmNonceLen], const uint8_t* aad,
                 size_t aad_len, const uint8_t* msg, size_t len, uint8_t* out, uint8_t* tag,
                 size_t tag_len);

// Decrypts into `out` (may alias `cipher`) and checks `tag`; returns false (and zeroes `out`)
// when the tag does not verify.
bool ccm_decrypt(const uint8_t key[16], const uint8_t nonce[kCcmNonceLen], const uint8_t* aad,
                 size_t aad_len, const uint8_t* cipher, size_t len, const uint8_t* tag,
                 size_t tag_len, uint8_t* out);

}  // namespace goal
